#!/usr/bin/env python3
"""crash.py - crash safety of `kscmp agent`: SIGKILL at random moments during a churn of
policy changes never leaves a profile partially written or other than a good one.

Setup: NS namespaces with PODS pods each, every pod referencing its own file
(kscmp/nsI/podJ.json) made of its own named policy merged with one ClusterSeccompPolicy
that applies to all of them. The churn thread rewrites that cluster policy's file (temporary
+ rename, as kubectl-style tools do) alternating between versions A and B, every few
milliseconds, so every change rewrites every file. `kscmp compile` gives, once, the two byte
strings each file may hold (A and B differ for every file).

One kill = start the agent (on a kubelet root that holds what the last run left, sometimes
emptied first so that the start writes everything), wait a random 0-300 ms while the churn
runs, SIGKILL it, then check: every NS/NAME.json below seccomp/kscmp is a regular file of mode
0644 whose bytes are exactly A or B for it (so complete, valid JSON), no file that existed is
gone, and nothing but expected files is there. Temporaries may remain after a kill (the start
removes them); how many kills left one is reported, as evidence the kills landed mid-write.

One convergence check (every CONVERGE_EVERY kills, and at the end) = stop the churn, plant a
stray temporary, start the agent, wait for /readyz, check every file holds the current
version's bytes and no temporary is left, then SIGTERM (exit 0).

Counts: each kill+check is one test, each convergence check is one test.
Ends with `N passed, N failed`. Environment: KSCMP_CRASH_KILLS (default 300),
KSCMP_CRASH_SEED (default: random, printed).
"""
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

NS = 4
PODS = 3
KILLS = int(os.environ.get("KSCMP_CRASH_KILLS", "300"))
CONVERGE_EVERY = 25
BUDGET_S = float(os.environ.get("KSCMP_CRASH_BUDGET", "150"))  # stop early, counted, if slow

CLUSTER = """\
apiVersion: kscmp.io/v1
kind: ClusterSeccompPolicy
metadata: {{name: churn}}
spec:
  selector: {{}}
  rules:
  - {{syscalls: [{calls}], action: Block, errno: {errno}}}
"""
VERSIONS = {
    "A": CLUSTER.format(calls="add_key, keyctl", errno="EACCES"),
    "B": CLUSTER.format(calls="add_key, keyctl, bpf, perf_event_open", errno="ENOSYS"),
}


def manifests(local):
    docs = []
    for i in range(NS):
        docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns{i}}}\n")
    with open(os.path.join(local, "00-namespaces.yaml"), "w") as f:
        f.write("---\n".join(docs))
    pols, pods = [], []
    for i in range(NS):
        for j in range(PODS):
            calls = ["read", "write", "close", "futex", "exit_group"][: 2 + (i + j) % 4]
            calls.append(["getpid", "openat", "mmap", "brk"][j % 4])
            pols.append(f"""\
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {{name: pod{j}, namespace: ns{i}}}
spec:
  seccomp: {{syscalls: [{', '.join(calls)}], action: Allow}}
""")
            pods.append(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: pod{j}, namespace: ns{i}}}
spec:
  securityContext:
    seccompProfile: {{type: Localhost, localhostProfile: kscmp/ns{i}/pod{j}.json}}
  containers:
  - {{name: c, image: busybox}}
""")
    with open(os.path.join(local, "10-policies.yaml"), "w") as f:
        f.write("---\n".join(pols))
    with open(os.path.join(local, "pods.yaml"), "w") as f:
        f.write("---\n".join(pods))
    return [f"ns{i}/pod{j}.json" for i in range(NS) for j in range(PODS)]


class Churn:
    """Rewrites 20-churn.yaml, alternating A and B, until stopped; knows the last version."""

    def __init__(self, local):
        self.path = os.path.join(local, "20-churn.yaml")
        self.current = "A"
        self.changes = 0
        self._stop = threading.Event()
        self._t = None
        H.write_atomic(self.path, VERSIONS["A"])

    def start(self):
        self._stop.clear()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            nxt = "B" if self.current == "A" else "A"
            H.write_atomic(self.path, VERSIONS[nxt])
            self.current = nxt
            self.changes += 1
            time.sleep(0.003)

    def stop(self):
        self._stop.set()
        if self._t:
            self._t.join()


def check_after_kill(root, files, expect, seen):
    """Problems of the store after a kill (empty list: none)."""
    problems = []
    base = H.store_dir(root)
    on_disk = H.profiles_on_disk(root)
    for rel, data in on_disk.items():
        if rel not in expect:
            problems.append(f"{rel}: a file nobody references")
            continue
        if data == expect[rel]["A"] or data == expect[rel]["B"]:
            st = os.lstat(os.path.join(base, rel))
            if not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o644:
                problems.append(f"{rel}: mode {oct(st.st_mode)}")
            continue
        kind = "valid JSON" if H.is_json(data) else "not valid JSON (partial?)"
        problems.append(f"{rel}: {len(data)} bytes, neither A ({len(expect[rel]['A'])}) nor B "
                        f"({len(expect[rel]['B'])}): {kind}")
    for rel in seen - set(on_disk):
        problems.append(f"{rel}: was on disk, now gone")
    seen |= set(on_disk)
    return problems


def main():
    if not os.access(H.KSCMP, os.X_OK):
        print(f"{H.KSCMP} is missing: run `make build/kscmp` first")
        print("0 passed, 1 failed")
        return 1
    bindir = H.snapshot_binary()
    seed = int(os.environ.get("KSCMP_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="kscmp-crash-")
    local, root = os.path.join(tmp, "local"), os.path.join(tmp, "kubelet")
    os.makedirs(local)
    os.makedirs(root)
    logpath = os.path.join(tmp, "agent.log")
    files = manifests(local)
    churn = Churn(local)

    # The two byte strings each file may hold.
    expect = {rel: {} for rel in files}
    pods = os.path.join(local, "pods.yaml")
    for v, text in VERSIONS.items():
        H.write_atomic(churn.path, text)
        for rel in files:
            expect[rel][v] = H.compile_profile(local, pods, rel)
    H.write_atomic(churn.path, VERSIONS["A"])
    for rel in files:
        assert expect[rel]["A"] != expect[rel]["B"], rel

    print(f"crash: {KILLS} SIGKILLs, {len(files)} files, seed {seed}, dir {tmp}", flush=True)
    passed = failed = 0
    kills_with_tmp = kills_mixed = kills_writing = 0
    seen = set()
    t_start = time.monotonic()

    def converge(label):
        nonlocal passed, failed
        churn.stop()
        want = churn.current
        os.makedirs(os.path.join(H.store_dir(root), "ns0"), exist_ok=True)
        stray = os.path.join(H.store_dir(root), "ns0", ".pod0.json.kscmp-tmp-Zz9Zz9")
        with open(stray, "w") as f:
            f.write('{"defaultAction": "SCMP_')
        a = H.Agent(local, root, logpath)
        problems = []
        try:
            a.start(wait_ready=True, timeout=30)
            on_disk = H.profiles_on_disk(root)
            for rel in files:
                if on_disk.get(rel) != expect[rel][want]:
                    problems.append(f"{rel}: not version {want} after /readyz")
            if H.temporaries(root):
                problems.append(f"temporaries left after start: {H.temporaries(root)}")
            rc = a.stop(signal.SIGTERM)
            if rc != 0:
                problems.append(f"SIGTERM: exit status {rc}")
        except AssertionError as e:
            problems.append(str(e)[:2000])
        finally:
            a.kill()
        seen.update(files)
        if problems:
            failed += 1
            print(f"FAIL converge {label}: " + "; ".join(problems), flush=True)
            print(a.log()[-3000:])
        else:
            passed += 1
        churn.start()

    churn.start()
    done = 0
    try:
        for k in range(KILLS):
            if time.monotonic() - t_start > BUDGET_S:
                print(f"crash: time budget of {BUDGET_S:.0f} s spent after {k} kills", flush=True)
                break
            if rng.random() < 0.2:  # the start then writes every file
                shutil.rmtree(H.store_dir(root), ignore_errors=True)
                seen.clear()
            with open(logpath, "ab") as log:
                proc = subprocess.Popen(
                    [H.KSCMP, "agent", "--local", local, "--kubelet-root", root,
                     "--metrics-addr", "off"], stdout=log, stderr=log, stdin=subprocess.DEVNULL)
            wait = rng.uniform(0, 0.08) if rng.random() < 0.7 else rng.uniform(0.08, 0.3)
            time.sleep(wait)  # the random moment of the kill (not a synchronisation)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if proc.returncode != -signal.SIGKILL:
                failed += 1
                print(f"FAIL kill {k}: the agent had exited {proc.returncode} before the kill")
                continue
            if H.temporaries(root):
                kills_with_tmp += 1
            on_disk = H.profiles_on_disk(root)
            versions = {("A" if d == expect[r]["A"] else "B") for r, d in on_disk.items()
                        if r in expect}
            if len(versions) > 1:
                kills_mixed += 1
            if H.temporaries(root) or len(versions) > 1:
                kills_writing += 1
            problems = check_after_kill(root, files, expect, seen)
            if problems:
                failed += 1
                print(f"FAIL kill {k} (after {wait * 1000:.0f} ms): " + "; ".join(problems),
                      flush=True)
            else:
                passed += 1
            done += 1
            if (k + 1) % CONVERGE_EVERY == 0:
                converge(f"after kill {k}")
        converge("at the end")
    finally:
        churn.stop()
        shutil.rmtree(bindir, ignore_errors=True)
    secs = time.monotonic() - t_start
    print(f"crash: {done} kills in {secs:.1f} s, {churn.changes} policy changes; kills that "
          f"left a temporary: {kills_with_tmp}; that found files of both versions: "
          f"{kills_mixed}; caught mid-write either way: {kills_writing}", flush=True)
    if failed == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"crash: kept {tmp} (agent log: {logpath})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
