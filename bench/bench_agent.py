#!/usr/bin/env python3
"""bench_agent.py - node-side figures of the real `kscmp agent --local` process.

Prints figures, no pass/fail (the aims of the issue are printed next to them):

  (a) latency: a policy file renamed into DIR -> the profile's new bytes on disk, p50/p99
      over --changes changes (measured here with inotify on the profile's folder: the
      agent's rename of the new file, whose data is fsync()ed before it; the folder's fsync
      follows), for a small profile and for a large one (runtime/default based); and the
      agent's own histogram kscmp_profile_write_latency_seconds (event read -> file and
      folder durable) over the same changes.                          aim: p99 < 5 ms
      Back to back by default: the next change comes as soon as the last is seen, while the
      agent still fsync()s the folder. With --gap MS, changes come MS apart (as in a cluster,
      where they are seconds apart), and the floor is also given to its rename, the end
      point observed for the agent. The policy's own rename is timed too: when DIR is on
      the kubelet root's file system that rename can take as long as the agent's folder
      fsync in progress (it did on ext4, bench/README), and the change is not there before
      it returns. --policies-dir DIR puts the policy folders elsewhere (e.g. /dev/shm), as
      a change coming from the API server's watch does not touch the node's disk.
  (b) memory: VmRSS and VmHWM of the agent with 10k policies in 100 namespaces and 250
      pods in DIR, once every profile is on disk.                     aim: RSS < 16 MiB
  (c) full resync: N files to write on an empty kubelet root, agent start -> ready (the
      time of its log line "ready: ...", which /readyz follows; and
      the agent's own "first reconcile done in" figure), against the floor of
      N x (write + fsync + rename + fsync of the folder) done by this script on the same
      disk, same bytes, same folders, in the same run.               aim: within 1.5x

Usage: bench/bench_agent.py [--dir DIR] [--policies-dir DIR] [--changes N] [--gap MS]
                            [--resync-files N] [--quick]
DIR (default: a temporary folder) decides the disk that is measured.
Python 3.11 standard library only; needs build/kscmp.
"""
import argparse
import itertools
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "integration"))
import harness as H  # noqa: E402

LAT = "kscmp_profile_write_latency_seconds"
SYSCALLS = ["read", "write", "close", "futex", "exit_group", "openat", "mmap", "munmap", "brk",
            "fstat", "lseek", "getpid", "gettid", "clock_gettime", "nanosleep", "epoll_wait",
            "epoll_ctl", "accept4", "recvfrom", "sendto", "socket", "connect", "bind", "listen",
            "getsockopt", "setsockopt", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
            "madvise", "mprotect", "pread64", "pwrite64", "readv", "writev", "fcntl", "dup",
            "dup3", "pipe2", "getrandom", "statx", "newfstatat", "getdents64", "uname"]
COMBOS = list(itertools.combinations(range(len(SYSCALLS)), 3))
BLOCKS = ["ptrace", "mount", "umount2", "kexec_load", "bpf", "keyctl", "add_key",
          "perf_event_open", "reboot", "swapon"]


def pct(values, q):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def ms(x):
    return f"{x * 1000:.2f} ms"


def namespace_doc(name):
    return f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n"


def pod_doc(ns, name, labels, ref):
    lab = ", ".join(f"{k}: {v}" for k, v in labels.items())
    return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, "
            f"labels: {{{lab}}}}}\nspec:\n  securityContext:\n    seccompProfile: "
            f"{{type: Localhost, localhostProfile: {ref}}}\n  containers:\n"
            f"  - {{name: c, image: busybox}}\n")


def policy_doc(ns, name, body):
    return (f"apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {{name: {name}, "
            f"namespace: {ns}}}\nspec:\n{body}")


def fresh(base, name):
    d = os.path.join(base, name)
    shutil.rmtree(d, ignore_errors=True)
    local, root = os.path.join(d, "local"), os.path.join(d, "kubelet")
    os.makedirs(local)
    os.makedirs(root)
    return d, local, root


def agent_metrics_delta(before, after):
    b0, s0, c0 = H.histogram(before, LAT)
    b1, s1, c1 = H.histogram(after, LAT)
    delta = [(le, c - dict(b0).get(le, 0.0)) for le, c in b1]
    return delta, s1 - s0, c1 - c0


# -- (a) latency ------------------------------------------------------------------------------

SMALL = ("  seccomp: {{syscalls: [{calls}], action: Allow}}\n"
         "  rules:\n  - {{syscalls: [ptrace], action: Block}}\n")
LARGE = ("  extends: runtime/default\n"
         "  rules:\n  - {{syscalls: [{calls}], action: Block, errno: EACCES}}\n")


def change_loop(pol, versions, target, expected, changes, start=0, gap=0.0, renames=None):
    """Renames each version in turn (from change number start) over pol and waits (inotify)
    for target to be renamed into place holding the matching expected bytes: seconds per
    change. gap: seconds to wait before each change (0: the next comes as soon as the last
    is seen). renames: a list to which the seconds each rename of pol took are added (on the
    same file system as target, a rename can wait for the agent's last folder fsync)."""
    ino = H.Inotify()
    ino.add(os.path.dirname(target), H.IN_MOVED_TO)
    samples = []
    tmp = os.path.join(os.path.dirname(pol), "." + os.path.basename(pol) + ".new")
    try:
        for i in range(changes):
            v = (start + i) % 2
            with open(tmp, "w") as f:
                f.write(versions[v])
            if gap:
                time.sleep(gap)
            t0 = time.perf_counter()
            os.rename(tmp, pol)
            if renames is not None:
                renames.append(time.perf_counter() - t0)
            deadline = t0 + 10
            while True:
                names = ino.wait(max(0.0, deadline - time.perf_counter()))
                t1 = time.perf_counter()
                if os.path.basename(target) in names:
                    with open(target, "rb") as f:
                        if f.read() == expected[v]:
                            break
                if t1 > deadline:
                    raise SystemExit(f"change {i}: the new profile did not arrive in 10 s")
            samples.append(t1 - t0)
    finally:
        ino.close()
    return samples


def start_null_agent(d, versions, expected, policies=None):
    """bench/null_agent.c answering changes renamed into a folder of its own (the policy
    file, read, and the profile written as the store does, no compiling): what the wake-ups
    and the disk cost alone. (process, its policy file, its profile file), or None when it
    cannot be built."""
    exe = os.path.join(H.REPO, "build", "bench", "null_agent")
    if subprocess.run(["make", "-s", "-C", H.REPO, "build/bench/null_agent"],
                      capture_output=True).returncode != 0:
        return None
    local = os.path.join(policies or d, "null-local")
    out = os.path.join(d, "null-out")
    os.makedirs(local, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    pairs = []
    for i, (v, e) in enumerate(zip(versions, expected)):
        pairs += [os.path.join(d, f"null-p{i}"), os.path.join(d, f"null-j{i}")]
        with open(pairs[-2], "w") as f:
            f.write(v)
        with open(pairs[-1], "wb") as f:
            f.write(e)
    p = subprocess.Popen([exe, local, "web.yaml", out, "web.json"] + pairs,
                         stderr=subprocess.PIPE, text=True)
    p.stderr.readline()  # "watching": its inotify watch is in place
    return p, os.path.join(local, "web.yaml"), os.path.join(out, "web.json")


WARMUP = 20  # changes before those measured (an even number: they end on the first version)


def bench_latency(base, changes, kind, blocks=10, gap=0.0, policies=None):
    """The agent, the disk floor and the null agent measured in turns, blocks of
    changes/blocks each, so that the disk's drift and its slow spells fall on all three.
    gap: seconds between changes, for all three (0: back to back). policies: a folder on
    another file system for the policy folders (the changes' side), else beside the rest."""
    d, local, root = fresh(base, f"latency-{kind}")
    null_policies = None
    if policies:  # the agent's and the null agent's policy folders, side by side
        local = tempfile.mkdtemp(prefix=f"latency-{kind}-", dir=policies)
        null_policies = tempfile.mkdtemp(prefix=f"latency-{kind}-null-", dir=policies)
    tmpl = SMALL if kind == "small" else LARGE
    versions = [policy_doc("demo", "web", tmpl.format(calls="getpid, mkdir, futex")),
                policy_doc("demo", "web", tmpl.format(calls="getpid, mkdir, futex, sysinfo"))]
    with open(os.path.join(local, "00.yaml"), "w") as f:
        f.write(namespace_doc("demo") + "---\n" +
                pod_doc("demo", "web-1", {"app": "web"}, "kscmp/demo/web.json"))
    pol = os.path.join(local, "web.yaml")
    expected = []
    for v in versions:
        with open(pol, "w") as f:
            f.write(v)
        expected.append(H.compile_profile(local, os.path.join(local, "00.yaml"), "demo/web.json"))
    a = H.Agent(local, root, os.path.join(d, "agent.log")).start()
    null = start_null_agent(d, versions, expected, null_policies)
    target = os.path.join(H.store_dir(root), "demo", "web.json")
    H.wait_until(lambda: open(target, "rb").read() == expected[1], 10, "first write")
    # Not counted: the first proof of each version, and the disk settling after the set-up
    # (right after a start, a dozen changes at times take ~2 ms each, then never again).
    change_loop(pol, versions, target, expected, WARMUP)
    if null:
        change_loop(null[1], versions, null[2], expected, WARMUP)
    before = a.metrics()
    samples, floor, floor_rename, nulls = [], [], [], []
    renames, null_renames = [], []
    per = max(1, changes // blocks)
    try:
        cpu = 0.0
        for b in range(blocks):
            n = per if b < blocks - 1 else changes - per * (blocks - 1)
            cpu0 = sum(H.cpu_seconds(a.pid))
            samples += change_loop(pol, versions, target, expected, n, len(samples), gap,
                                   renames)
            cpu += sum(H.cpu_seconds(a.pid)) - cpu0
            full, to_rename = floor_single(os.path.join(d, "floor"), expected, n, gap)
            floor += full
            floor_rename += to_rename
            if null:
                nulls += change_loop(null[1], versions, null[2], expected, n, len(nulls), gap,
                                     null_renames)
        # The agent records a write once the folder is fsync()ed, after the rename seen here.
        n0 = H.histogram(before, LAT)[2]
        H.wait_until(lambda: H.histogram(a.metrics(), LAT)[2] >= n0 + changes, 10,
                     "the agent's histogram to count every change")
        after = a.metrics()
        rss = H.proc_status(a.pid)
        rss["cpu_per_change"] = cpu / changes
    finally:
        a.stop()
        if null:
            null[0].kill()
            null[0].wait()
    delta, s, c = agent_metrics_delta(before, after)
    return (samples, delta, s, c, len(expected[1]), rss, floor, nulls or None,
            floor_rename, (renames, null_renames))


def floor_single(d, versions, changes, gap=0.0):
    """Per change: one file made durable as store.c does (temporary, write, fsync, rename,
    fsync of the folder), alternating the same two byte strings, on the same disk, gap
    seconds before each. Seconds per change: (to the folder's fsync, to the rename)."""
    os.makedirs(d, exist_ok=True)
    dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    target, tmp = os.path.join(d, "web.json"), os.path.join(d, ".web.json.tmp")
    full, to_rename = [], []
    try:
        for i in range(changes):
            if gap:
                time.sleep(gap)
            t0 = time.perf_counter()
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            os.write(fd, versions[i % 2])
            os.fsync(fd)
            os.close(fd)
            os.rename(tmp, target)
            t1 = time.perf_counter()
            os.fsync(dfd)
            full.append(time.perf_counter() - t0)
            to_rename.append(t1 - t0)
    finally:
        os.close(dfd)
    return full, to_rename


# -- (b) memory -------------------------------------------------------------------------------

def gen_big(local, namespaces=100, per_ns=100, pods=250):
    """namespaces x per_ns policies and `pods` pods; each pod gets the policies of its group
    (grp label, 10 groups per namespace) and its own named policy."""
    with open(os.path.join(local, "00-namespaces.yaml"), "w") as f:
        f.write("---\n".join(namespace_doc(f"team-{n:03d}") for n in range(namespaces)))
    pod_docs = []
    refs = []
    for p in range(pods):
        ns = f"team-{p % namespaces:03d}"
        name = f"app-{p:03d}"
        pod_docs.append(pod_doc(ns, name, {"app": name, "grp": f"g{p % 10}"},
                                f"kscmp/{ns}/{name}.json"))
        refs.append(f"{ns}/{name}.json")
    with open(os.path.join(local, "90-pods.yaml"), "w") as f:
        f.write("---\n".join(pod_docs))
    named = {}
    for p in range(pods):
        named.setdefault(p % namespaces, []).append(f"app-{p:03d}")
    total = 0
    for n in range(namespaces):
        ns = f"team-{n:03d}"
        docs = []
        names = named.get(n, [])
        for i in range(per_ns):
            calls = [SYSCALLS[(n * 7 + i * 3 + k) % len(SYSCALLS)] for k in range(4 + i % 6)]
            block = BLOCKS[(n + i) % len(BLOCKS)]
            if i < len(names):
                name, sel = names[i], ""
            else:
                name, sel = f"pol-{i:03d}", f"  selector: {{matchLabels: {{grp: g{i % 10}}}}}\n"
            body = (sel + f"  seccomp: {{syscalls: [{', '.join(sorted(set(calls)))}], "
                    f"action: Allow}}\n  rules:\n  - {{syscalls: [{block}], action: Block}}\n")
            docs.append(policy_doc(ns, name, body))
            total += 1
        with open(os.path.join(local, f"10-{ns}.yaml"), "w") as f:
            f.write("---\n".join(docs))
    return total, refs


def bench_memory(base):
    d, local, root = fresh(base, "memory")
    npol, refs = gen_big(local)
    size = sum(os.path.getsize(os.path.join(local, f)) for f in os.listdir(local))
    a = H.Agent(local, root, os.path.join(d, "agent.log"))
    t_ready = _start_to_ready(a, timeout=300)
    try:
        on_disk = H.profiles_on_disk(root)
        missing = [r for r in refs if r not in on_disk]
        st = H.proc_status(a.pid)
        first = _first_reconcile_ms(a)
        # A change with all of that loaded: one policy that 25 pods merge.
        m0 = a.metrics()
        H.write_atomic(os.path.join(local, "10-team-000.yaml"),
                       open(os.path.join(local, "10-team-000.yaml")).read().replace(
                           "name: pol-050", "name: pol-050x"))
        H.wait_until(lambda: a.metric("kscmp_reconciles_total") > m0["kscmp_reconciles_total"],
                     30, "a reconcile")
        st2 = H.proc_status(a.pid)
    finally:
        a.stop()
    return dict(policies=npol, pods=len(refs), files=len(on_disk), missing=len(missing),
                dir_bytes=size, t_ready=t_ready, first_ms=first, rss=st["VmRSS"],
                anon=st.get("RssAnon", 0), file=st.get("RssFile", 0),
                hwm=st["VmHWM"], rss2=st2["VmRSS"], hwm2=st2["VmHWM"])


def _start_to_ready(a, timeout=120):
    """Seconds from just before the agent is started to the time its log gives the line
    "ready: the first complete set of profiles is on disk" (written once the last file and
    its folder are durable). The time is the agent's own, to the millisecond: /readyz is
    polled only to know when to look, at an interval that does not matter (a poll backing off
    to 100 ms, as harness.wait_until does, would add up to that much; a 1 ms poll would take
    CPU from the agent on two cores)."""
    import datetime
    import re
    t0 = time.time()
    a.start(wait_ready=False, timeout=timeout)
    H.wait_until(lambda: a.get("/readyz")[0] == 200, timeout, "/readyz", interval=0.02)
    m = re.search(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z\s+info\s+ready: the first "
                  r"complete set of profiles is on disk", a.log(), re.M)
    if not m:
        raise AssertionError("no \"ready:\" line in the agent's log:\n" + a.log()[-2000:])
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp() - t0


def _first_reconcile_ms(a):
    import re
    m = re.search(r"first reconcile done in ([0-9.]+) ms", a.log())
    return float(m.group(1)) if m else float("nan")


# -- (c) resync ---------------------------------------------------------------------------------

def gen_resync(local, n, kind="groups", namespaces=10):
    docs = [namespace_doc(f"rs-{k}") for k in range(namespaces)]
    with open(os.path.join(local, "00-namespaces.yaml"), "w") as f:
        f.write("---\n".join(docs))
    pods, pols, refs = [], [], []
    groups = ["@basic-io", "@network-io", "@signal", "@timer", "@io-event", "@process",
              "@file-system", "malloc", "dns", "inet-client"]
    for i in range(n):
        ns = f"rs-{i % namespaces}"
        name = f"svc-{i:04d}"
        g = [groups[(i + k) % len(groups)] for k in range(1 + i % 3)]
        # Three calls of the 44 by a combination of its own (13,244 of them; stride 53 is
        # prime to that), so that every profile is different: profiles with the same bytes
        # are proven once, and a resync of copies would not measure the proofs.
        calls = [SYSCALLS[k] for k in COMBOS[(i * 53) % len(COMBOS)]]
        if kind == "groups":
            body = (f"  seccomp: {{groups: [{', '.join(repr(x) for x in g)}], syscalls: "
                    f"[{', '.join(calls)}], action: Allow}}\n"
                    f"  rules:\n  - {{syscalls: [ptrace, mount], action: Kill}}\n")
        else:  # runtime/default and a few blocks of its own: ~10 KB each
            body = (f"  extends: runtime/default\n  rules:\n"
                    f"  - {{syscalls: [{', '.join(calls)}], action: Block, errno: EACCES}}\n")
        pols.append(policy_doc(ns, name, body))
        pods.append(pod_doc(ns, name, {"app": name}, f"kscmp/{ns}/{name}.json"))
        refs.append(f"{ns}/{name}.json")
    with open(os.path.join(local, "10-policies.yaml"), "w") as f:
        f.write("---\n".join(pols))
    with open(os.path.join(local, "90-pods.yaml"), "w") as f:
        f.write("---\n".join(pods))
    return refs


def floor_writes(root, files):
    """N x (write + fsync + rename + fsync of the folder), the way store.c does it."""
    t0 = time.perf_counter()
    dirfds = {}
    for rel, data in files.items():
        ns, name = rel.split("/")
        d = os.path.join(root, ns)
        if ns not in dirfds:
            os.makedirs(d, exist_ok=True)
            dirfds[ns] = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        tmp = os.path.join(d, "." + name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, os.path.join(d, name))
        os.fsync(dirfds[ns])
    secs = time.perf_counter() - t0
    for fd in dirfds.values():
        os.close(fd)
    return secs


def bench_resync(base, n, rounds, kind):
    d, local, root = fresh(base, "resync-" + kind)
    gen_resync(local, n, kind)
    agent_s, agent_first, floors, cpu, workers_cpu = [], [], [], [], []
    files = {}
    for r in range(rounds):
        shutil.rmtree(root)
        os.makedirs(root)
        # The floor is taken before and after each agent run and averaged: the disk's speed
        # drifts (a virtual disk shared with other work), and a ratio of figures taken minutes
        # apart measures the drift.
        if files:
            fl = os.path.join(d, f"floor-{r}-before")
            before = floor_writes(fl, files)
            shutil.rmtree(fl)
        else:
            before = None
        logp = os.path.join(d, f"agent-{r}.log")
        a = H.Agent(local, root, logp)
        agent_s.append(_start_to_ready(a))
        agent_first.append(_first_reconcile_ms(a) / 1000)
        cpu.append(H.cpu_seconds(a.pid))
        workers_cpu.append(sum(sum(H.cpu_seconds(int(k))) for k in subprocess.run(
            ["pgrep", "-P", str(a.pid)], capture_output=True, text=True).stdout.split()))
        files = H.profiles_on_disk(root)
        a.stop()
        assert len(files) == n, (len(files), n)
        fl = os.path.join(d, f"floor-{r}")
        after = floor_writes(fl, files)
        floors.append(after if before is None else (before + after) / 2)
        shutil.rmtree(fl)
    # Start-up without writes: the same DIR, every file already right.
    logp = os.path.join(d, "agent-nowrite.log")
    a = H.Agent(local, root, logp)
    nowrite = _start_to_ready(a)
    nowrite_first = _first_reconcile_ms(a) / 1000
    a.stop()
    sizes = [len(v) for v in files.values()]
    return dict(kind=kind, n=n, agent=agent_s, cpu=cpu, workers_cpu=workers_cpu, first=agent_first,
                floor=floors, nowrite=nowrite,
                nowrite_first=nowrite_first, bytes_min=min(sizes), bytes_max=max(sizes),
                bytes_mean=statistics.mean(sizes), distinct=len(set(files.values())))


def bench_resync_print(r):
    a_med, f_med = statistics.median(r["agent"]), statistics.median(r["floor"])
    first_med = statistics.median(r["first"])
    print(f"(c) full resync of {r['n']} files, {r['kind']} profiles ({r['bytes_min']}.."
          f"{r['bytes_max']} bytes, mean {r['bytes_mean']:.0f}; {r['distinct']} different), "
          f"{len(r['agent'])} round(s), "
          f"medians:")
    print(f"    agent start -> ready (its log):     {ms(a_med)}   (rounds: "
          + ", ".join(ms(x) for x in r["agent"]) + ")")
    print(f"    agent's first reconcile (in-agent): {ms(first_med)}")
    u = statistics.median(c[0] for c in r["cpu"])
    k = statistics.median(c[1] for c in r["cpu"])
    print(f"    agent CPU time up to /readyz: user {ms(u)} + system {ms(k)} (the rest of the "
          f"wall time is waiting, mostly on fsync)")
    print(f"    its proof workers' CPU time (all {r['n']} proofs): "
          f"{ms(statistics.median(r['workers_cpu']))}")
    print(f"    floor N x (write+fsync+rename+fsync dir): {ms(f_med)}   (rounds: "
          + ", ".join(ms(x) for x in r["floor"]) + "; from round 2 the mean of one taken "
          "before and one after the agent's)")
    paired = [x / y for x, y in zip(r["agent"], r["floor"])]
    print("    ratio per round (agent / that round's floor): "
          + ", ".join(f"{x:.2f}x" for x in paired) + f"; median {statistics.median(paired):.2f}x")
    print(f"    start -> ready with every file already right (no write): "
          f"{ms(r['nowrite'])} (first reconcile {ms(r['nowrite_first'])})")
    print(f"    ratio start->ready / floor: {a_med / f_med:.2f}x; first reconcile / "
          f"floor: {first_med / f_med:.2f}x; aim 1.5x -> "
          + ("met" if a_med <= 1.5 * f_med else "MISSED") + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", help="where DIR and the kubelet roots go (decides the disk)")
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--resync-files", type=int, default=250)
    ap.add_argument("--rounds", type=int, default=3, help="resync rounds")
    ap.add_argument("--gap", type=float, default=0.0, metavar="MS",
                    help="(a): milliseconds between changes (default 0: back to back)")
    ap.add_argument("--policies-dir", metavar="DIR",
                    help="(a): put the policy folders (where changes come) in DIR, on another "
                         "file system than the kubelet roots (e.g. /dev/shm)")
    ap.add_argument("--quick", action="store_true", help="100 changes, 1 resync round")
    ap.add_argument("--only", choices=["a", "b", "c"], action="append")
    args = ap.parse_args()
    if args.quick:
        args.changes, args.rounds = 100, 1
    if not os.access(H.KSCMP, os.X_OK):
        sys.exit(f"{H.KSCMP} is missing: run `make build/kscmp` first")
    pol_base = (tempfile.mkdtemp(prefix="kscmp-bench-", dir=args.policies_dir)
                if args.policies_dir else None)
    base = tempfile.mkdtemp(prefix="kscmp-bench-", dir=args.dir)
    bindir = H.snapshot_binary()
    only = set(args.only or ["a", "b", "c"])
    fs = subprocess.run(["df", "-T", base], capture_output=True, text=True).stdout.splitlines()
    print(f"kscmp agent benchmark: {H.KSCMP}\n  disk: {fs[-1] if fs else base}\n"
          f"  cpus: {os.cpu_count()}, kernel {os.uname().release}\n")
    try:
        if "a" in only:
            for kind in ("small", "large"):
                samples, delta, s, c, size, rss, floor, null, floor_rn, rn = bench_latency(
                    base, args.changes, kind, gap=args.gap / 1000, policies=pol_base)
                print(f"(a) policy change -> new profile on disk, {kind} profile ({size} bytes), "
                      f"{len(samples)} changes, "
                      + (f"{args.gap:g} ms apart" if args.gap else "back to back"))
                print(f"    observed (rename into DIR -> agent's rename seen):  p50 "
                      f"{ms(pct(samples, .5))}  p90 {ms(pct(samples, .9))}  p99 "
                      f"{ms(pct(samples, .99))}  max {ms(max(samples))}")
                print(f"    of which the policy's own rename (the change is not there before it "
                      f"returns): p50 {ms(pct(rn[0], .5))}  p99 {ms(pct(rn[0], .99))}  max "
                      f"{ms(max(rn[0]))}"
                      + (f"; beside the null agent: p50 {ms(pct(rn[1], .5))}  p99 "
                         f"{ms(pct(rn[1], .99))}" if rn[1] else ""))
                print(f"    agent histogram (event -> durable), {c:.0f} writes:      p50 "
                      f"{ms(H.histogram_quantile(delta, .5))}  p99 "
                      f"{ms(H.histogram_quantile(delta, .99))}  mean {ms(s / c if c else 0)}"
                      f"   (bucket-interpolated)")
                print(f"    disk floor (this script: write+fsync+rename+fsync dir):  p50 "
                      f"{ms(pct(floor, .5))}  p90 {ms(pct(floor, .9))}  p99 {ms(pct(floor, .99))}"
                      f"  max {ms(max(floor))}")
                if null:
                    print(f"    null agent (bench/null_agent.c: the same wake-ups and writes, no "
                          f"compiling):  p50 {ms(pct(null, .5))}  p90 {ms(pct(null, .9))}  p99 "
                          f"{ms(pct(null, .99))}  max {ms(max(null))}")
                if args.gap:
                    # Apart, the agent's folder fsync is over when the next change comes, and
                    # the end point observed (its rename) is before its next one: the floor to
                    # the same end point is the one to compare with (the stricter ratio).
                    print(f"    disk floor to its rename (write+fsync+rename, the end point "
                          f"observed for the agent):  p50 {ms(pct(floor_rn, .5))}  p90 "
                          f"{ms(pct(floor_rn, .9))}  p99 {ms(pct(floor_rn, .99))}  max "
                          f"{ms(max(floor_rn))}")
                    ref, what = floor_rn, "the floor to its rename"
                else:
                    ref, what = floor, "the floor"
                print(f"    ratio to {what}: p50 {pct(samples, .5) / pct(ref, .5):.2f}x, "
                      f"p99 {pct(samples, .99) / pct(ref, .99):.2f}x"
                      + (f"; the null agent's: p50 {pct(null, .5) / pct(ref, .5):.2f}x, p99 "
                         f"{pct(null, .99) / pct(ref, .99):.2f}x" if null else ""))
                print("    aim: p99 < 5 ms -> "
                      + ("met" if pct(samples, .99) < 0.005 else "MISSED"))
                print(f"    agent CPU (user+sys) per change: {ms(rss['cpu_per_change'])}; "
                      f"RSS after: {rss['VmRSS']} kB, HWM {rss['VmHWM']} kB\n")
        if "b" in only:
            m = bench_memory(base)
            print(f"(b) memory: {m['policies']} policies in 100 namespaces, {m['pods']} pods "
                  f"({m['dir_bytes'] / 1024:.0f} KiB of YAML), {m['files']} profiles written "
                  f"({m['missing']} missing)")
            print(f"    start -> /readyz {m['t_ready']:.2f} s (first reconcile "
                  f"{m['first_ms']:.0f} ms)")
            print(f"    VmRSS {m['rss']} kB ({m['rss'] / 1024:.1f} MiB), VmHWM {m['hwm']} kB "
                  f"({m['hwm'] / 1024:.1f} MiB); after one more change: VmRSS {m['rss2']} kB, "
                  f"VmHWM {m['hwm2']} kB")
            print(f"    of which private (RssAnon) {m['anon']} kB ({m['anon'] / 1024:.1f} MiB), "
                  f"shared library and file pages (RssFile) {m['file']} kB "
                  f"({m['file'] / 1024:.1f} MiB)")
            print("    aim: RSS < 16 MiB -> "
                  + ("met" if max(m['hwm'], m['hwm2']) < 16 * 1024 else "MISSED") + "\n")
        if "c" in only:
            for kind in ("groups", "runtime-default"):
                bench_resync_print(bench_resync(base, args.resync_files, args.rounds, kind))
    finally:
        shutil.rmtree(base, ignore_errors=True)
        if pol_base:
            shutil.rmtree(pol_base, ignore_errors=True)
        shutil.rmtree(bindir, ignore_errors=True)


if __name__ == "__main__":
    main()
