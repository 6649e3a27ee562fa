#!/usr/bin/env python3
"""startup.py - keeps kscmp's start-up sets true with the real runtimes (contract 3.5).

    startup.py KSCMP [--jobs N] [--only RUNTIME] [--no-upstream]

The sets come from `KSCMP startup-syscalls -o json` for this machine's architecture. The
program in the container is tests/enforce/probe.c built static without libc: `probe exit`
makes one call, exit (and a runtime that fails may need exit_group to end), `probe pause`
waits in pause: none of these is a member of a set, so what the profile must allow beyond
them is the runtime's alone. Each container runs as containerd's shim runs it (ocirun.py),
under Debian's runc and crun and the upstream runc releases tests/enforce/runtimes.sh builds
(not with --no-upstream).

Checks, for each runtime (runc, crun, runc-VERSION) and each set (long: noNewPrivileges false, short:
true), as root and as a non-root user with supplementary groups, under an Errno and under a
Kill default, both for the container's first process and for one started by `exec`:
  1. with exactly the set plus the program's own calls, the container starts and the
     program ends with status 0 (twice);
  2. for every member of the set: without it (the program's calls still allowed), at least
     one of those runtimes, users, defaults or ways of starting fails to start the program;
     the failure is seen twice, and the line says which. A member that the data says stays
     (the Go runtime's calls that only a signal or contention brings) is listed with why.
Prints one PASS/FAIL line per check and closes with 'N passed, N failed'. Exit 77 when no
runtime can run here.
"""
import argparse
import concurrent.futures
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ocirun  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
APP = ["exit", "exit_group", "pause"]  # probe exit / probe pause, and a failing runtime's exit
DEFAULTS = ["SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS"]
ARCHES = {"x86_64": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
          "aarch64": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]}

lock = threading.Lock()
counts = {"passed": 0, "failed": 0}


def report(ok, text):
    """One PASS or FAIL line, counted (from any thread); examples.py reports with it too."""
    with lock:
        counts["passed" if ok else "failed"] += 1
        print(("PASS: " if ok else "FAIL: ") + text, flush=True)


def closing(status=0):
    """Prints the closing `N passed, N failed`; returns status when nothing failed, else 1."""
    print(f"{counts['passed']} passed, {counts['failed']} failed")
    return status if counts["failed"] == 0 else 1


def usable_runtimes(no_upstream, only=None):
    """runc and crun, and unless no_upstream the runc releases runtimes.sh builds (only: just
    that one of them): those that can run here, after a FAIL line for each that cannot."""
    names = ["runc", "crun"]
    if not no_upstream:
        more, why = ocirun.upstream()
        report(not why, "upstream runc releases are built" + (f": {why}" if why else
                                                              f": {', '.join(more)}"))
        names += more
    names = [n for n in names if only in (None, n)]
    avail = ocirun.available(names)
    for rt in names:
        if avail[rt]:
            report(False, f"{rt} cannot run here: {avail[rt]}")
    return [rt for rt in names if avail[rt] is None]


def build_probe(work):
    out = os.path.join(work, "probe")
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None, "no C compiler"
    p = subprocess.run([cc, "-static", "-nostdlib", "-fno-stack-protector", "-fno-builtin", "-O2",
                        "-o", out, os.path.join(HERE, "probe.c")], capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip()
    return out, None


def profile(names, default, arches):
    return {"defaultAction": default, "architectures": arches,
            "syscalls": [{"names": sorted(set(names)), "action": "SCMP_ACT_ALLOW"}]}


class Config:
    """One way of starting the program: runtime, set (mode), user, default, init or exec."""

    def __init__(self, runtime, mode, user, default, how):
        self.runtime, self.mode, self.user, self.default, self.how = runtime, mode, user, default, how

    def __str__(self):
        return (f"{self.runtime} {self.how}, {self.mode} set "
                f"(noNewPrivileges {'true' if self.mode == 'short' else 'false'}), "
                f"{self.user}, {self.default[9:].lower()} default")

    def run(self, runner, names, arches):
        prof = profile(list(names) + APP, self.default, arches)
        kw = dict(nnp=self.mode == "short", user=self.user, timeout=30)
        if self.how == "exec":
            return runner.run(self.runtime, prof, ["/bin/probe", "pause"],
                              exec_args=["/bin/probe", "exit"], **kw)
        return runner.run(self.runtime, prof, ["/bin/probe", "exit"], **kw)


class Pool:
    """One Runner (bundle folder) per worker thread."""

    def __init__(self, work, probe):
        self.work, self.probe, self.local, self.n = work, probe, threading.local(), 0

    def runner(self):
        r = getattr(self.local, "runner", None)
        if r is None:
            with lock:
                self.n += 1
                d = os.path.join(self.work, f"w{self.n}")
            os.makedirs(d)
            r = self.local.runner = ocirun.Runner(d, extra={"/bin/probe": self.probe})
        return r


def likely_first(configs, entry):
    """The configurations that the entry's step text points at, first. A step reads
    "runc: ...; runc >= 1.2 (exec): ...; crun: ...": segments of runtimes, "(exec)" for exec
    only, ">=" for the newer runc releases only."""
    step = entry["step"]
    segments = []
    for seg in step.split("; "):
        head = seg.split(":", 1)[0]
        rts = [rt for rt in ("runc", "crun") if rt in head]
        segments.append((rts, "(exec)" in head, ">=" in head))

    def score(c):
        s = 0
        upstream = c.runtime not in ("runc", "crun")
        if any(ocirun.kind(c.runtime) in rts and (c.how == "exec" or not exec_only)
               and (upstream or not newer) for rts, exec_only, newer in segments):
            s += 8
        if c.how == "init":
            s += 1
        if ("non-root" in step) == (c.user == "nonroot"):
            s += 2
        if ("ignored" in step) == (c.default == "SCMP_ACT_KILL_PROCESS"):
            s += 4
        return -s
    return sorted(configs, key=score)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("kscmp")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="one runtime: runc, crun or runc-VERSION")
    ap.add_argument("--no-upstream", action="store_true",
                    help="only the runtimes on PATH, not the runc releases runtimes.sh builds")
    a = ap.parse_args(argv)
    runtimes = usable_runtimes(a.no_upstream, a.only)
    if not runtimes:
        return closing(77)
    p = subprocess.run([a.kscmp, "startup-syscalls", "-o", "json"], capture_output=True, text=True)
    if p.returncode != 0:
        report(False, f"kscmp startup-syscalls: exit {p.returncode}: {p.stderr.strip()}")
        return closing()
    sets = json.loads(p.stdout)
    arches = ARCHES.get(sets["arch"])
    if not arches:
        report(False, f"no start-up tests for architecture {sets['arch']}")
        return closing()
    print(f"# {sets['arch']}: {sets['derivation']}", flush=True)
    work = tempfile.mkdtemp(prefix="kscmp-startup.")
    try:
        probe, why = build_probe(work)
        if not probe:
            report(False, f"cannot build probe.c: {why}")
            return closing()
        pool = Pool(work, probe)
        ex = concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs)
        configs = {mode: [Config(*c) for c in itertools.product(
            runtimes, [mode], ["root", "nonroot"], DEFAULTS, ["init", "exec"])]
            for mode in ("long", "short")}
        names = {mode: [e["name"] for e in sets[mode]] for mode in ("long", "short")}

        # 1. The whole set starts the program, every way, twice.
        def positive(c):
            for attempt in (1, 2):
                r = c.run(pool.runner(), names[c.mode], arches)
                if not r.ok:
                    return c, False, f"attempt {attempt}: {r.describe()}"
            return c, True, ""
        good = set()
        for c, ok, why in ex.map(positive, configs["long"] + configs["short"]):
            report(ok, f"{c}: the {c.mode} set and the program's own calls start it"
                   + (f": {why}" if why else ""))
            if ok:
                good.add(str(c))

        # 2. Each member is needed by some way of starting (or says why it stays).
        def member(mode, entry):
            rest = [n for n in names[mode] if n != entry["name"]]
            tried = 0
            for c in likely_first([c for c in configs[mode] if str(c) in good], entry):
                tried += 1
                r = c.run(pool.runner(), rest, arches)
                if r.ok:
                    continue
                again = c.run(pool.runner(), rest, arches)
                if again.ok:
                    continue  # not reproducible: not counted as a proof
                return mode, entry, c, r, tried
            return mode, entry, None, None, tried
        jobs = [(mode, e) for mode in ("long", "short") for e in sets[mode] if not e.get("stays")]
        for mode, entry, c, r, tried in ex.map(lambda j: member(*j), jobs):
            if c:
                report(True, f"{mode} set without {entry['name']}: {c} fails to start it "
                       f"({r.describe()[:160]})")
            else:
                report(False, f"{mode} set without {entry['name']}: all {tried} ways still start "
                       f"the program, yet the data says {entry['step']!r} needs it")
        for mode in ("long", "short"):
            for e in sets[mode]:
                if e.get("stays"):
                    print(f"STAYS: {mode} set, {e['name']}: {e['stays']}", flush=True)
        ex.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    long_n, short_n = len(names["long"]), len(names["short"])
    print(f"# sets: long {long_n}, short {short_n}; runtimes: {', '.join(runtimes)}")
    return closing()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
