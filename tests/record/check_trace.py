#!/usr/bin/env python3
"""check_trace.py TRACE COUNTS - compares what strace -f saw of a recorded command with
what `kscmp record --counts` counted: the same calls, each as many times.

TRACE is `strace -f -qq -o TRACE kscmp record --counts ...`: the first pid is kscmp's own;
every other pid is the command (its threads and children). The command's pid loads the
recording filter with seccomp(SECCOMP_SET_MODE_FILTER...); its calls before that are kscmp's
set-up, not the command's. COUNTS is the --counts table kscmp printed on stderr.
Prints the differences; exit 0 when there are none."""
import collections, re, sys

trace, counts = sys.argv[1], sys.argv[2]
call = re.compile(r"^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()")
ret = re.compile(r"\)\s+= (\d+)")
lines = []
for line in open(trace):
    m = call.match(line)
    if m:
        lines.append((m.group(1), m.group(3), m.group(2), line))

# Pass 1: kscmp's own threads (its first pid, and what that pid clones with CLONE_THREAD).
first_pid = lines[0][0] if lines else None
kscmp = {first_pid}
pending = {}  # pid -> its clone in progress is a thread
for pid, name, resumed, line in lines:
    if pid != first_pid:
        continue
    if name in ("clone", "clone3"):
        pending[pid] = "CLONE_THREAD" in line
    if (name in ("clone", "clone3") or resumed in ("clone", "clone3")) and pending.get(pid):
        r = ret.search(line)
        if r:
            kscmp.add(r.group(1))
            pending[pid] = False

# Pass 2: every other pid is the command; its first pid counts only after its filter is in.
seen = collections.Counter()
child = None
started = False
for pid, name, resumed, line in lines:
    if pid in kscmp or name is None:
        continue  # kscmp itself, or the second half of a call already counted
    if child is None:
        child = pid
    if pid == child and not started:
        started = name == "seccomp" and "SECCOMP_SET_MODE_FILTER" in line
        continue
    seen[name] += 1

got = collections.Counter()
for line in open(counts):
    f = line.split()
    if len(f) == 3 and f[0] not in ("ARCH", "total") and f[2].isdigit():
        got[f[1]] += int(f[2])

bad = 0
for name in sorted(set(seen) | set(got)):
    if seen[name] != got[name]:
        print(f"{name}: strace saw {seen[name]}, kscmp record counted {got[name]}")
        bad += 1
print(f"{len(seen)} syscalls, {sum(seen.values())} calls compared; {bad} differ")
sys.exit(1 if bad or not seen else 0)
