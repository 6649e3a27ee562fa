#!/usr/bin/env python3
"""test_agent.py - the real `kscmp agent --local` process against files on disk.

Each test starts the agent on a fresh DIR and a fresh kubelet root (metrics on a free port),
waits for /readyz, acts on DIR or on the kubelet root, and polls (with a deadline) until the
disk says what the contract (sections 2, 4, 6, 7) wants. Every profile the agent writes is
compared byte for byte with `kscmp compile -f DIR --pod DIR/pods.yaml --profile ...` and, when
build/tools/seccomp_load exists, loaded into the kernel.

Ends with one line `N passed, N failed` (skipped tests count in neither; a line before it
says how many were skipped and why).
"""
import calendar
import ctypes
import errno
import os
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

NAMESPACES = """\
apiVersion: v1
kind: Namespace
metadata: {name: demo, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
"""

# kscmp1 and kscmp2 select app=web: deny wins (contract 3.2).
MERGE = """\
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: kscmp1, namespace: demo}
spec:
  selector: {matchLabels: {app: web}}
  seccomp: {syscalls: [getpid, mkdir, futex], action: Allow}
  rules:
  - {syscalls: [ptrace], action: Block}
---
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: kscmp2, namespace: demo}
spec:
  selector: {matchLabels: {app: web}}
  seccomp: {syscalls: [getpid, ptrace], action: Allow}
  rules:
  - {syscalls: [mkdir], action: Block}
"""
MERGE_ONLY_1 = MERGE.split("---\n")[0]

# `api` is used by name (kscmp/demo/api.json) and extends `base`.
INHERIT = """\
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: base, namespace: demo}
spec:
  seccomp:
    groups: ["@signal"]
    syscalls: [exit_group, futex, read, write, close]
    action: Allow
---
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: api, namespace: demo}
spec:
  extends: base
  seccomp: {syscalls: [accept4, bind, listen], action: Allow}
"""

CLUSTER = """\
apiVersion: kscmp.io/v1
kind: ClusterSeccompPolicy
metadata: {name: baseline}
spec:
  selector: {}
  namespaceSelector: {matchLabels: {env: prod}}
  rules:
  - {syscalls: [add_key, keyctl, bpf], action: Block, errno: EACCES}
"""

OTHER = """\
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: db, namespace: other}
spec:
  seccomp: {syscalls: [read, write, fsync], action: Allow}
---
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: stolen, namespace: other}
spec:
  seccomp: {syscalls: [read], action: Allow}
"""


def pod(ns, name, labels, ref, where="pod"):
    lab = ", ".join(f"{k}: {v}" for k, v in labels.items())
    if where == "pod":
        return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {ns}, labels: {{{lab}}}}}
spec:
  securityContext:
    seccompProfile: {{type: Localhost, localhostProfile: {ref}}}
  containers:
  - {{name: c, image: busybox:1.36}}
"""
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {ns}, labels: {{{lab}}}}}
spec:
  containers:
  - name: c
    image: busybox:1.36
    securityContext:
      seccompProfile: {{type: Localhost, localhostProfile: {ref}}}
"""


def atomic_volume_write(d, files, pause=0.0, links_first=False, keep_links=False):
    """Writes {name: text} into d as the kubelet writes a ConfigMap volume: the files in a new
    hidden folder, a link ..data_tmp to it renamed over ..data, (pause seconds), links name ->
    ..data/name for new names, the names no longer in files unlinked, the old folder removed.
    links_first: the new names' links are made before the swap (older kubelets; pause seconds
    between them and the swap). keep_links: the links of names gone are left (a kubelet that
    stopped before removing them)."""
    old = os.readlink(os.path.join(d, "..data")) if os.path.lexists(os.path.join(d, "..data")) \
        else None
    ts = tempfile.mkdtemp(dir=d, prefix="..2026_12_05_")
    for name, text in files.items():
        with open(os.path.join(ts, name), "w") as f:
            f.write(text)
    def make_links():
        for name in files:
            if not os.path.lexists(os.path.join(d, name)):
                os.symlink(os.path.join("..data", name), os.path.join(d, name))
    if links_first:
        make_links()
        time.sleep(pause)
    os.symlink(os.path.basename(ts), os.path.join(d, "..data_tmp"))
    os.rename(os.path.join(d, "..data_tmp"), os.path.join(d, "..data"))
    if not links_first:
        time.sleep(pause)
        make_links()
    for name in os.listdir(d):
        if not name.startswith(".") and name not in files and not keep_links:
            os.unlink(os.path.join(d, name))
    if old:
        shutil.rmtree(os.path.join(d, old))


def many_policies(n):
    """n policies of namespace demo that select no pod (a key that takes a while to read)."""
    return "---\n".join(
        f"apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {{name: f{i}, "
        f"namespace: demo}}\nspec:\n  selector: {{matchLabels: {{app: none}}}}\n"
        f"  seccomp: {{syscalls: [read, write], action: Allow}}\n" for i in range(n))


def block_rule(name, call):
    """A policy of demo's web pods that blocks call with EPERM."""
    return (f"apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {{name: {name}, "
            f"namespace: demo}}\nspec:\n  selector: {{matchLabels: {{app: web}}}}\n"
            f"  rules:\n  - {{syscalls: [{call}], action: Block, errno: EPERM}}\n")


POD_WEB = pod("demo", "web-1", {"app": "web"}, "kscmp/demo/web.json")
POD_API = pod("demo", "api-1", {"app": "api"}, "kscmp/demo/api.json", where="container")
POD_DB = pod("other", "db-0", {"app": "db"}, "kscmp/other/db.json")
ALL_FILES = {"demo/web.json", "demo/api.json", "other/db.json"}


class AgentTest(unittest.TestCase):
    """A temp DIR (the manifests above), a temp kubelet root, and helpers."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kscmp-it-")
        self.local = os.path.join(self.tmp, "local")
        self.root = os.path.join(self.tmp, "kubelet")
        os.makedirs(self.local)
        os.makedirs(self.root)
        self.put("00-namespaces.yaml", NAMESPACES)
        self.put("10-merge.yaml", MERGE)
        self.put("20-inherit.yaml", INHERIT)
        self.put("30-cluster.yaml", CLUSTER)
        self.put("40-other.yaml", OTHER)
        self.set_pods([POD_WEB, POD_API, POD_DB])
        self.agents = []
        self.mounted = None

    def tearDown(self):
        for a in self.agents:
            a.kill()
        # Kept for the result to print when the test failed (the folder goes now).
        self.logs = [(a.logpath, a.log()) for a in self.agents if os.path.exists(a.logpath)]
        if self.mounted:
            subprocess.run(["umount", "-l", self.mounted], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------------

    def put(self, name, text):
        H.write_atomic(os.path.join(self.local, name), text)

    def set_pods(self, pods):
        """pods.yaml holds these Pod documents."""
        self.pods = list(pods)
        self.put("pods.yaml", "---\n".join(self.pods))

    def agent(self, wait_ready=True, extra=(), prefix=(), local=None):
        a = H.Agent(local or self.local, self.root, os.path.join(self.tmp, "agent.log"), extra,
                    prefix)
        self.agents.append(a)
        return a.start(wait_ready=wait_ready)

    def once(self, local, prefix=[], cwd=None, root=None):
        """(exit status, output) of `kscmp agent --local LOCAL --once` on this kubelet root (or
        root: one agent holds a root at a time)."""
        p = subprocess.run(list(prefix) + [H.KSCMP, "agent", "--local", local, "--kubelet-root",
                                     root or self.root, "--once", "--metrics-addr", "off"],
                           capture_output=True, timeout=120, cwd=cwd or self.tmp)
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace")

    def disk_state(self):
        """{rel: (bytes, inode)} of the profiles on disk: a rewrite changes the inode."""
        return {rel: (data, os.lstat(self.path(rel)).st_ino)
                for rel, data in H.profiles_on_disk(self.root).items()}

    def as_nobody(self):
        """A prefix that runs a command as nobody (uid/gid 65534), for permission tests: the
        agent may write the kubelet root (so a wrong removal would happen) but reads DIR only
        where the test lets it. Skips when setpriv is missing."""
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            self.skipTest("needs root and setpriv to run the agent as another user")
        for d in (self.tmp, os.path.dirname(H.KSCMP)):
            os.chmod(d, 0o755)
        for dirpath, dirs, files in os.walk(self.root):
            for n in [dirpath] + [os.path.join(dirpath, x) for x in dirs + files]:
                os.lchown(n, 65534, 65534)
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

    def path(self, rel):
        return os.path.join(H.store_dir(self.root), rel)

    def small_tmpfs_root(self):
        """Mounts a 512 KiB tmpfs as the kubelet root (skips when mount is not allowed)."""
        try:
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k,mode=0755", "kscmp-it",
                            self.root], check=True, capture_output=True)
        except (subprocess.CalledProcessError, FileNotFoundError) as e:
            self.skipTest(f"cannot mount a tmpfs as the kubelet root: {e}")
        self.mounted = self.root

    def fill_disk(self):
        """Fills the kubelet root's file system (a small tmpfs) with one file: its path."""
        filler = os.path.join(self.root, "filler")
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError as e:
                self.assertTrue(H.enospc(e), e)
        return filler

    def read(self, rel):
        try:
            with open(self.path(rel), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def expected(self, rel, changes=None):
        """`kscmp compile` of rel on DIR, or on a copy of DIR with changes applied
        ({file: text, or None to leave it out}). --pod gets the pods that reference rel
        (compile fails on a file where any pod's reference is refused)."""
        ref = tempfile.mkdtemp(dir=self.tmp, prefix="ref-")
        with open(os.path.join(ref, "pods-of-file.yaml"), "w") as f:
            f.write("---\n".join(p for p in self.pods if f"kscmp/{rel}}}" in p
                                  or p.endswith(f"kscmp/{rel}\n")))
        if not changes:
            return H.compile_profile(self.local, os.path.join(ref, "pods-of-file.yaml"), rel)
        policies = os.path.join(ref, "dir")
        os.makedirs(policies)
        for name in os.listdir(self.local):
            if not name.startswith("."):
                shutil.copy(os.path.join(self.local, name), policies)
        for name, text in changes.items():
            if text is None:
                os.unlink(os.path.join(policies, name))
            else:
                with open(os.path.join(policies, name), "w") as f:
                    f.write(text)
        return H.compile_profile(policies, os.path.join(ref, "pods-of-file.yaml"), rel)

    def volume_of_local(self):
        """A folder "cm" and {name: text} of the files of DIR, for atomic_volume_write()."""
        cm = os.path.join(self.tmp, "cm")
        os.makedirs(cm)
        files = {}
        for name in sorted(os.listdir(self.local)):
            with open(os.path.join(self.local, name)) as f:
                files[name] = f.read()
        return cm, files

    def versions_seen(self, rel):
        """Every version of kscmp/rel seen, polled every 2 ms, from its first up to 1 s after
        it (10 s at most for the first)."""
        seen, first, end = [], None, time.monotonic() + 10
        while time.monotonic() < end and (first is None or time.monotonic() < first + 1.0):
            data = self.read(rel)
            if data is not None and (not seen or seen[-1] != data):
                seen.append(data)
                first = first or time.monotonic()
            time.sleep(0.002)
        return seen

    def wait_bytes(self, rel, data, timeout=10.0):
        H.wait_until(lambda: self.read(rel) == data, timeout, f"kscmp/{rel} to hold the "
                     f"expected {len(data)} bytes (has {len(self.read(rel) or b'')})")

    def wait_absent(self, rel, timeout=10.0):
        H.wait_until(lambda: not os.path.lexists(self.path(rel)), timeout,
                     f"kscmp/{rel} to be removed")

    def assert_converged(self, files, timeout=10.0):
        """The store holds exactly `files`, each the bytes `kscmp compile` gives, mode 0644,
        loadable by the kernel, and no temporary is left."""
        want = {rel: self.expected(rel) for rel in files}
        H.wait_until(lambda: H.profiles_on_disk(self.root) == want, timeout,
                     f"the store to hold exactly {sorted(want)} as `kscmp compile` prints them "
                     f"(has {sorted(H.profiles_on_disk(self.root))})")
        for rel in files:
            st = os.lstat(self.path(rel))
            self.assertTrue(stat.S_ISREG(st.st_mode), rel)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o644, rel)
            self.assertTrue(H.is_json(want[rel]), rel)
        self.assert_loadable(files)
        H.wait_until(lambda: not H.temporaries(self.root), 5, "no temporary files")

    def assert_loadable(self, files):
        res = H.seccomp_load([self.path(rel) for rel in files])
        if res is not None:
            self.assertTrue(res[0], res[1])

    # -- the tests -------------------------------------------------------------------------

    def test_01_first_write(self):
        """Start on an empty kubelet root: every referenced file is written, /readyz 200."""
        a = self.agent()
        self.assertEqual(a.get("/readyz")[0], 200)
        self.assert_converged(ALL_FILES)

    def test_02_policy_change(self):
        """A changed policy changes the file (and only what it must)."""
        self.agent()
        self.assert_converged(ALL_FILES)
        before = self.read("demo/web.json")
        api_before = self.read("demo/api.json")
        self.put("10-merge.yaml", MERGE.replace("[getpid, mkdir, futex]",
                                                "[getpid, mkdir, futex, sysinfo]"))
        new = self.expected("demo/web.json")
        self.assertNotEqual(before, new)
        self.wait_bytes("demo/web.json", new)
        self.assertIn(b'"sysinfo"', new)
        self.assertEqual(self.read("demo/api.json"), api_before)
        self.assert_converged(ALL_FILES)

    def test_03_policy_delete(self):
        """Deleting a policy recomputes from what is left (the KubeArmor merge example)."""
        self.agent()
        self.assert_converged(ALL_FILES)
        self.put("10-merge.yaml", MERGE_ONLY_1)  # kscmp2 gone
        new = self.expected("demo/web.json")
        self.wait_bytes("demo/web.json", new)
        self.assert_converged(ALL_FILES)
        os.unlink(os.path.join(self.local, "30-cluster.yaml"))  # a whole file of policies
        self.wait_bytes("demo/web.json", self.expected("demo/web.json"))
        self.assertNotIn(b'"keyctl"', self.read("demo/web.json"))
        self.assert_converged(ALL_FILES)

    def test_04_pod_delete_gc(self):
        """A file no pod references any more is removed, and its empty folder too."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        removed = a.metric("kscmp_profiles_removed_total")
        self.set_pods([POD_WEB, POD_API])
        self.wait_absent("other/db.json")
        H.wait_until(lambda: not os.path.exists(self.path("other")), 5, "other/ removed")
        self.assert_converged(ALL_FILES - {"other/db.json"})
        # Counted once store_remove() returns, after its fsync of seccomp/kscmp, which follows
        # the folder's removal: under disk load the folder is seen gone before that.
        H.wait_until(lambda: a.metric("kscmp_profiles_removed_total") >= removed + 1, 5,
                     "kscmp_profiles_removed_total to count the removal")

    def test_05_orphan_at_start(self):
        """Files no pod references and temporaries present at start are removed."""
        os.makedirs(self.path("demo"))
        os.makedirs(self.path("gone"))
        for rel in ("demo/orphan.json", "gone/old.json"):
            with open(self.path(rel), "w") as f:
                f.write('{"defaultAction": "SCMP_ACT_ALLOW"}\n')
        tmp = self.path("demo/.web.json.kscmp-tmp-AbC123")
        with open(tmp, "w") as f:
            f.write('{"defaultAct')
        # Not ours: left alone.
        with open(self.path("demo/README"), "w") as f:
            f.write("not a profile\n")
        a = self.agent()
        self.assert_converged(ALL_FILES)
        self.assertFalse(os.path.exists(tmp))
        self.assertTrue(os.path.exists(self.path("demo/README")))
        self.assertIn("removed 1 temporary file", a.log())

    def test_06_tamper(self):
        """Edited, deleted, chmod-ed or replaced-by-a-link profiles are put back."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        good = self.read("demo/web.json")
        restored = a.metric("kscmp_profiles_restored_total")
        # Edited in place.
        with open(self.path("demo/web.json"), "r+b") as f:
            f.write(b'{"defaultAction": "SCMP_ACT_ALLOW"}')
            f.truncate()
        self.wait_bytes("demo/web.json", good)
        # Deleted.
        os.unlink(self.path("demo/web.json"))
        self.wait_bytes("demo/web.json", good)
        # Replaced through a rename (what an editor does).
        H.write_atomic(self.path("demo/web.json"), '{"defaultAction": "SCMP_ACT_ALLOW"}')
        self.wait_bytes("demo/web.json", good)
        # Replaced by a symbolic link to a file outside: the link goes, its target stays.
        outside = os.path.join(self.tmp, "outside.json")
        with open(outside, "w") as f:
            f.write("precious\n")
        link = self.path("demo/.link-tmp")
        os.symlink(outside, link)
        mark = a.log_mark()
        os.rename(link, self.path("demo/web.json"))
        H.wait_until(lambda: not os.path.islink(self.path("demo/web.json"))
                     and self.read("demo/web.json") == good, 10, "the link replaced")
        a.wait_log(r"kscmp/demo/web\.json was replaced by a symbolic link behind the agent's "
                   r"back: putting it back", mark)
        with open(outside) as f:
            self.assertEqual(f.read(), "precious\n")
        # A whole namespace folder gone (moved away in one step: the agent restores as fast
        # as rmtree deletes).
        os.rename(self.path("other"), os.path.join(self.root, "other-moved"))
        self.assert_converged(ALL_FILES)
        self.assertGreaterEqual(a.metric("kscmp_profiles_restored_total"), restored + 4)
        # Mode changed: the agent puts 0644 back (contract 4).
        os.chmod(self.path("demo/api.json"), 0o600)
        H.wait_until(lambda: stat.S_IMODE(os.stat(self.path("demo/api.json")).st_mode) == 0o644,
                     10, "mode 0644 back on demo/api.json")
        # A file that nobody should have, planted while it runs, goes.
        with open(self.path("demo/planted.json"), "w") as f:
            f.write('{"defaultAction": "SCMP_ACT_ALLOW"}')
        self.wait_absent("demo/planted.json")
        self.assertTrue(a.alive())

    def test_07_restart_converges(self):
        """Changes made while the agent was down are applied when it starts again."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        self.assertEqual(a.stop(), 0)
        self.put("10-merge.yaml", MERGE_ONLY_1)
        self.put("50-new.yaml", """\
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: new, namespace: demo}
spec:
  seccomp: {syscalls: [read, nanosleep], action: Allow}
""")
        self.set_pods([POD_WEB, POD_DB,
                       pod("demo", "new-1", {"app": "new"}, "kscmp/demo/new.json")])
        os.unlink(self.path("other/db.json"))
        with open(self.path("other/stale.json"), "w") as f:
            f.write("{}")
        self.agent()
        self.assert_converged({"demo/web.json", "demo/new.json", "other/db.json"})

    def test_07b_one_agent_per_root(self):
        """A second agent on the same kubelet root, with --once, waits for the first one's lock
        (two would undo each other's files without end, and a starting one removed the other's
        temporary files): once the first stops, the second takes over. (Without --once it
        stands by: test_07d.)"""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        logp = os.path.join(self.tmp, "second.log")
        with open(logp, "wb") as log:
            b = subprocess.Popen([H.KSCMP, "agent", "--local", self.local, "--kubelet-root",
                                  self.root, "--once", "--metrics-addr", "off"],
                                 stdout=log, stderr=log)
        try:
            H.wait_until(lambda: b"holds the folder's lock" in open(logp, "rb").read(), 10,
                         "the second agent to wait for the lock")
            time.sleep(0.5)
            self.assertIsNone(b.poll(), "the second agent did not wait")
            self.assertEqual(a.stop(), 0)
            self.assertEqual(b.wait(30), 0, open(logp, "rb").read().decode(errors="replace"))
        finally:
            if b.poll() is None:
                b.kill()
                b.wait()
        self.assert_converged(ALL_FILES)

    def test_07d_standby_until_the_lock_is_free(self):
        """An agent (not --once) that finds the kubelet root's lock held stands by: /readyz
        answers 200 and says "standby" (a DaemonSet's surge rollout deletes the old pod, whose
        agent holds the lock, only once the new one is Ready: the new one waited 20 s, exited
        1 and crash-looped, trial-live48 BUG 1), kscmp_standby is 1, kscmp_ready 0, and it
        writes and removes nothing, the other's temporary files included, while the other
        writes a change. Once the other stops (SIGTERM) it takes the lock at once, syncs and
        writes the next change. Prints the takeover gap (not asserted: a measure)."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        planted = self.path("demo/.web.json.kscmp-tmp-AbC123")  # as if the other's, in flight
        with open(planted, "w") as f:
            f.write("{}")
        b = H.Agent(self.local, self.root, os.path.join(self.tmp, "standby.log"),
                    env={"KSCMP_STANDBY_REMIND_SECONDS": "1"})
        self.agents.append(b)
        b.start(wait_ready=False)
        b.wait_log(r"info\s+\S+/seccomp/kscmp: another kscmp agent holds the folder's lock "
                   rf"\(pid {a.pid}\): standing by until it stops")
        # Said again while it lasts (every 5 min by default): two agents on one root by
        # mistake stand by forever, and must be seen.
        b.wait_log(r"warning\s+\S+/seccomp/kscmp: still standing by after [12] s: another "
                   rf"kscmp agent holds the folder's lock \(pid {a.pid}\)\. Two agents")
        status, body = b.get("/readyz")
        self.assertEqual((status, body.split(":")[0]), (200, "standby"), body)
        self.assertEqual(b.get("/healthz")[0], 200)
        # A change meanwhile is the first agent's to write; the standby touches nothing.
        self.put("60-during.yaml", block_rule("during", "mkdirat"))
        self.wait_bytes("demo/web.json", self.expected("demo/web.json"))
        state = self.disk_state()
        time.sleep(1.5)
        self.assertTrue(b.alive(), b.log()[-2000:])
        self.assertEqual(self.disk_state(), state)
        self.assertTrue(os.path.exists(planted), "the standby removed a temporary file")
        m = b.metrics()
        self.assertEqual((m.get("kscmp_standby"), m.get("kscmp_ready")), (1.0, 0.0), m)
        for c in ("written", "removed", "restored", "unchanged"):
            self.assertEqual(m.get(f"kscmp_profiles_{c}_total"), 0.0, c)
        self.assertEqual(m.get("kscmp_reconciles_total"), 0.0)
        self.assertNotIn("first reconcile", b.log())

        after = block_rule("after", "chdir")
        want = self.expected("demo/web.json", {"61-after.yaml": after})
        mark = b.log_mark()
        self.assertEqual(a.stop(), 0)
        exited = time.time()
        self.put("61-after.yaml", after)
        H.wait_until(lambda: self.read("demo/web.json") == want, 10,
                     "the agent that stood by to write the change")
        written = time.time()
        took = b.wait_log(r"(\S+)Z info\s+\S+: the lock is free after [\d.]+ s standing by: "
                          r"taking over", mark)
        took_at = calendar.timegm(time.strptime(took.group(1)[:19], "%Y-%m-%dT%H:%M:%S")) \
            + float("0" + took.group(1)[19:])
        print(f"\n  takeover: lock taken {1000 * (took_at - exited):.0f} ms after the first "
              f"agent's exit was seen; the change written {1000 * (written - exited):.0f} ms "
              f"after it (the change was put after the exit)", file=sys.stderr)
        b.wait_ready()
        status, body = b.get("/readyz")
        self.assertEqual((status, body), (200, "ready\n"))
        m = b.metrics()
        self.assertEqual((m.get("kscmp_standby"), m.get("kscmp_ready")), (0.0, 1.0), m)
        self.assertGreaterEqual(m.get("kscmp_profiles_written_total"), 1.0)
        self.assert_converged(ALL_FILES)  # the planted temporary is gone: the start cleans
        self.assertEqual(b.stop(), 0)

    def test_07e_no_standby_for_an_agent_that_cannot_start(self):
        """A standby agent is Ready, so a surge rollout deletes the old pod, whose agent holds
        the lock: one that would fail once it took over must fail first. A --kubeconfig that
        does not exist (an upgrade's bad argument) stood by as Ready, the old pod was deleted,
        and the node was left without an agent (trial-live49 BUG 1): now it is refused at
        once, the lock still held by the other agent, and nothing is written."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        state = self.disk_state()
        p = subprocess.run([H.KSCMP, "agent", "--kubeconfig", os.path.join(self.tmp, "none"),
                            "--node-name", "node-1", "--kubelet-root", self.root,
                            "--metrics-addr", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=15)
        self.assertEqual(p.returncode, 1, p.stderr[-2000:])
        self.assertIn("kubeconfig: " + os.path.join(self.tmp, "none"), p.stderr)
        self.assertNotIn("standing by", p.stderr)
        self.assertEqual(self.disk_state(), state)
        self.assertTrue(a.alive())
        self.assertEqual(a.get("/readyz"), (200, "ready\n"))

    def test_07c_once_stops_on_sigterm(self):
        """--once has no loop to read signals: SIGTERM ends it by the signal (it went unheard
        and the run ended 0 as if it had passed); no file is left partial."""
        big = os.path.join(self.tmp, "big")
        os.makedirs(big)
        docs = ["apiVersion: v1\nkind: Namespace\nmetadata: {name: big}\n"]
        for i in range(3000):
            docs.append(f"apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {{name: p{i}, "
                        f"namespace: big}}\nspec:\n  seccomp: {{syscalls: [read, write], "
                        f"action: Allow}}\n")
            docs.append(f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: big}}\n"
                        f"spec:\n  securityContext: {{seccompProfile: {{type: Localhost, "
                        f"localhostProfile: kscmp/big/p{i}.json}}}}\n  containers: [{{name: c}}]\n")
        with open(os.path.join(big, "a.yaml"), "w") as f:
            f.write("---\n".join(docs))
        logp = os.path.join(self.tmp, "once.log")
        with open(logp, "wb") as log:
            p = subprocess.Popen([H.KSCMP, "agent", "--local", big, "--kubelet-root", self.root,
                                  "--once", "--metrics-addr", "off"], stdout=log, stderr=log)
        H.wait_until(lambda: b"object(s)" in open(logp, "rb").read(), 20, "the manifests read")
        p.send_signal(signal.SIGTERM)
        rc = p.wait(30)
        self.assertEqual(rc, -signal.SIGTERM, open(logp, "rb").read()[-2000:])
        self.assertNotIn(b"ready: the first complete set", open(logp, "rb").read())
        for rel, data in H.profiles_on_disk(self.root).items():
            self.assertTrue(H.is_json(data), rel)

    def test_08_symlink_namespace_removed(self):
        """A link planted as seccomp/kscmp/NS (the kubelet would read profiles through it) is
        never followed: the link itself is removed, said, and the folder made again with its
        files; what it pointed to is untouched; other namespaces work meanwhile."""
        outside = os.path.join(self.tmp, "outside")
        os.makedirs(outside)
        with open(os.path.join(outside, "api.json"), "w") as f:
            f.write('{"defaultAction": "SCMP_ACT_ALLOW"}\n')
        a = self.agent()
        self.assert_converged(ALL_FILES)
        mark = a.log_mark()
        # Swap the real folder for a link in one step, so the agent cannot recreate it between.
        os.symlink(outside, self.path(".demo-link"))
        try:
            H.rename_exchange(self.path(".demo-link"), self.path("demo"))
        except OSError as e:
            self.skipTest(f"renameat2(RENAME_EXCHANGE) unavailable: {e}")
        shutil.rmtree(self.path(".demo-link"))
        a.wait_log(re.escape(f"{self.path('demo')} was a symbolic link in place of kscmp's "
                             "folder"), mark)
        self.assert_converged(ALL_FILES, timeout=20)
        self.assertFalse(os.path.islink(self.path("demo")))
        self.assertEqual(os.listdir(outside), ["api.json"])
        self.put("40-other.yaml", OTHER.replace("[read, write, fsync]", "[read, write]"))
        self.wait_bytes("other/db.json", self.expected("other/db.json"))
        self.assertTrue(a.alive())
        self.assertEqual(a.get("/readyz")[0], 200)

    def test_08b_symlink_kscmp_folder_removed(self):
        """seccomp/kscmp itself swapped for a link: the link removed, nothing written outside,
        the files back, and tampering is still undone afterwards."""
        outside = os.path.join(self.tmp, "outside")
        os.makedirs(outside)
        a = self.agent()
        self.assert_converged(ALL_FILES)
        mark = a.log_mark()
        seccomp = os.path.join(self.root, "seccomp")
        os.symlink(outside, os.path.join(seccomp, "link"))
        try:
            H.rename_exchange(os.path.join(seccomp, "link"), H.store_dir(self.root))
        except OSError as e:
            self.skipTest(f"renameat2(RENAME_EXCHANGE) unavailable: {e}")
        shutil.rmtree(os.path.join(seccomp, "link"))
        a.wait_log(r"was a symbolic link in place of kscmp's folder", mark)
        self.put("10-merge.yaml", MERGE_ONLY_1)
        a.wait_log(r"read .*10-merge\.yaml", mark)
        H.wait_until(lambda: not os.path.islink(H.store_dir(self.root)), 20, "the link gone")
        self.assertEqual(os.listdir(outside), [])
        self.assertTrue(a.alive())
        self.assert_converged(ALL_FILES, timeout=20)
        self.assertEqual(os.listdir(outside), [])
        # The folders made again are watched: tampering is undone.
        good = self.read("demo/api.json")
        os.unlink(self.path("demo/api.json"))
        self.wait_bytes("demo/api.json", good)

    def test_09_symlink_namespace_at_start(self):
        """A link planted before the agent starts: removed, the folder made, ready."""
        outside = os.path.join(self.tmp, "outside")
        os.makedirs(outside)
        os.makedirs(H.store_dir(self.root))
        os.symlink(outside, self.path("demo"))
        a = self.agent(wait_ready=False)
        a.wait_ready(20)
        self.assertIn("was a symbolic link in place of kscmp's folder", a.log())
        self.assert_converged(ALL_FILES)
        self.assertFalse(os.path.islink(self.path("demo")))
        self.assertEqual(os.listdir(outside), [])

    def test_10_full_disk(self):
        """Disk full: the old file stays byte-identical, the error is logged and counted, and
        the write is retried with backoff until space is back."""
        self.small_tmpfs_root()
        a = self.agent()
        self.assert_converged(ALL_FILES)
        old = self.read("demo/web.json")
        # Fill the disk.
        filler = self.fill_disk()
        errors = a.metric("kscmp_profile_write_errors_total")
        mark = a.log_mark()
        self.put("10-merge.yaml", MERGE.replace("[getpid, mkdir, futex]",
                                                "[getpid, mkdir, futex, sysinfo]"))
        new = self.expected("demo/web.json")
        H.wait_until(lambda: a.metric("kscmp_profile_write_errors_total") > errors, 10,
                     "kscmp_profile_write_errors_total to grow")
        a.wait_log(r"No space left on device", mark)
        a.wait_log(r"will try again in \d+ ms \(attempt 2\)", mark)  # retried, backing off
        # After the first ready /readyz stays 200: the gauge tells that a file is not as owed.
        self.assertEqual(a.get("/readyz")[0], 200)
        self.assertEqual(a.metric("kscmp_profiles_failing"), 1)
        self.assertEqual(self.read("demo/web.json"), old)
        self.assertEqual(H.temporaries(self.root), [])
        self.assertTrue(a.alive())
        os.unlink(filler)
        self.wait_bytes("demo/web.json", new, timeout=20)
        self.assert_converged(ALL_FILES)
        H.wait_until(lambda: a.metric("kscmp_profiles_failing") == 0, 5, "the gauge back to 0")
        a.stop()

    def test_11_broken_yaml(self):
        """A broken file in DIR: the rest keeps working, and the objects a broken file held
        before stay in place until it is fixed."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        web = self.read("demo/web.json")
        errors = a.metric("kscmp_source_errors_total")
        mark = a.log_mark()
        self.put("60-broken.yaml", "apiVersion: kscmp.io/v1\nkind: [unclosed\n  : :\n")
        a.wait_log(r"60-broken\.yaml", mark)
        # The same bad bytes seen again (a chmod, a close after opening to write): said once.
        broken = os.path.join(self.local, "60-broken.yaml")
        os.chmod(broken, 0o600)
        with open(broken, "r+"):
            pass
        self.put("61-marker.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: marker}\n")
        a.wait_log(r"61-marker\.yaml", mark)
        told = [l for l in a.log_since(mark).splitlines() if "60-broken.yaml" in l]
        self.assertEqual(len(told), 1, told)
        os.unlink(os.path.join(self.local, "61-marker.yaml"))
        # The cluster policy's file breaks: what it held (baseline) stays.
        self.put("30-cluster.yaml", CLUSTER + "  - {syscalls: [bpf\n")
        a.wait_log(r"30-cluster\.yaml", mark)
        H.wait_until(lambda: a.metric("kscmp_source_errors_total") >= errors + 2, 5,
                     "kscmp_source_errors_total += 2")
        # Another change still works, and the merge keeps the blocks of the broken file's
        # previous content (baseline).
        self.put("10-merge.yaml", MERGE_ONLY_1)
        expect_merge_1 = self.expected("demo/web.json",
                                       {"60-broken.yaml": None, "30-cluster.yaml": CLUSTER})
        self.wait_bytes("demo/web.json", expect_merge_1)
        self.assertNotEqual(web, expect_merge_1)
        self.assertIn(b'"keyctl"', self.read("demo/web.json"))
        self.assertTrue(a.alive())
        # Fixed, with a change: applied.
        os.unlink(os.path.join(self.local, "60-broken.yaml"))
        self.put("30-cluster.yaml", CLUSTER.replace("[add_key, keyctl, bpf]", "[add_key, bpf]"))
        self.wait_bytes("demo/web.json", self.expected("demo/web.json"))
        self.assertNotIn(b'"keyctl"', self.read("demo/web.json"))
        self.assert_converged(ALL_FILES)

    def test_12_invalid_policy_edit(self):
        """An edit that makes a policy invalid keeps the last good bytes, as if refused, while
        another policy's new block still reaches the file; fixing it writes the new
        profile."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        good = self.read("demo/web.json")
        api_good = self.read("demo/api.json")
        mark = a.log_mark()
        self.put("10-merge.yaml", MERGE.replace("[getpid, mkdir, futex]",
                                                "[getpid, mkdir, futex, notasyscall]"))
        a.wait_log(r"PolicyInvalid.*web-1|web-1.*PolicyInvalid", mark)
        self.assertEqual(self.read("demo/web.json"), good)
        # A parent turned invalid: its child's file (api) keeps its bytes too.
        self.put("20-inherit.yaml", INHERIT.replace("exit_group,", "exit_group, bogus_call,"))
        a.wait_log(r"PolicyInvalid.*api-1|api-1.*PolicyInvalid", mark)
        self.assertEqual(self.read("demo/api.json"), api_good)
        self.assertEqual(self.read("demo/web.json"), good)
        # A new block of the cluster policy meanwhile: it reaches both files, merged with the
        # two policies as they were before their bad edits.
        tighter = CLUSTER.replace("[add_key, keyctl, bpf]", "[add_key, keyctl, bpf, kexec_load]")
        self.put("30-cluster.yaml", tighter)
        as_refused = {"10-merge.yaml": MERGE, "20-inherit.yaml": INHERIT, "30-cluster.yaml": tighter}
        for rel in ("demo/web.json", "demo/api.json"):
            self.wait_bytes(rel, self.expected(rel, as_refused))
            self.assertIn(b'"kexec_load"', self.read(rel))
        self.put("30-cluster.yaml", CLUSTER)
        self.wait_bytes("demo/web.json", good)
        self.wait_bytes("demo/api.json", api_good)
        # Fixed: written.
        self.put("20-inherit.yaml", INHERIT)
        self.put("10-merge.yaml", MERGE.replace("[getpid, mkdir, futex]",
                                                "[getpid, mkdir, futex, sysinfo]"))
        new = self.expected("demo/web.json")
        self.assertNotEqual(new, good)
        self.wait_bytes("demo/web.json", new)
        self.assert_converged(ALL_FILES)

    def test_13_invalid_from_start(self):
        """A policy invalid when the agent starts: which pods its earlier versions selected
        is not known, so every file of its namespace stays as it is (absent here), with a
        logged Event; a file with no contributing policy stays absent; the other namespaces
        are written. Fixed, the namespace's files follow."""
        self.put("10-merge.yaml", MERGE.replace("[getpid, mkdir, futex]", "[getpid, nosuch]"))
        # other has no env=prod label: nothing contributes to other/nothing.json.
        self.set_pods(self.pods + [pod("other", "lonely", {"app": "x"},
                                       "kscmp/other/nothing.json")])
        a = self.agent()
        a.wait_log(r"PolicyInvalid")
        a.wait_log(r"NoPolicy")
        H.wait_until(lambda: set(H.profiles_on_disk(self.root)) == {"other/db.json"},
                     10, "only db.json")
        self.assertFalse(os.path.exists(self.path("demo/web.json")))
        self.assertFalse(os.path.exists(self.path("demo/api.json")))
        self.assertFalse(os.path.exists(self.path("other/nothing.json")))
        self.put("10-merge.yaml", MERGE)
        for rel in ("demo/web.json", "demo/api.json"):
            self.wait_bytes(rel, self.expected(rel))
        # A new policy, invalid, that selects no pod: named in the log all the same, and,
        # new, it holds nothing.
        mark = a.log_mark()
        self.put("70-orphan.yaml", "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: "
                 "{name: orphan, namespace: demo}\nspec:\n  selector: {matchLabels: {app: none}}\n"
                 "  seccomp: {syscalls: [nosuchcall], action: Allow}\n")
        a.wait_log(r'SeccompPolicy demo/orphan: Invalid: .*unknown syscall "nosuchcall"', mark)
        self.put("10-merge.yaml", MERGE.replace("[getpid, mkdir, futex]", "[getpid, futex]"))
        self.wait_bytes("demo/web.json", self.expected("demo/web.json"))

    def test_14_cross_namespace_refused(self):
        """A pod that references another namespace's folder (or a bad name) gets no file and
        a ProfileRefused Event in the log."""
        self.set_pods(self.pods + [
            pod("demo", "thief", {"app": "thief"}, "kscmp/other/stolen.json"),
            pod("demo", "odd", {"app": "odd"}, "kscmp/demo/Bad_Name.json", where="container"),
        ])
        a = self.agent()
        a.wait_log(r"ProfileRefused.*demo/thief")
        a.wait_log(r"ProfileRefused.*demo/odd")
        self.assert_converged(ALL_FILES)
        self.assertFalse(os.path.lexists(self.path("other/stolen.json")))
        self.assertGreaterEqual(a.metric("kscmp_events_total"), 2)
        self.assertTrue(a.alive())

    def test_15_sigterm(self):
        """SIGTERM: exit 0, never a temporary left, even in the middle of a stream of writes."""
        for round_ in range(3):
            a = self.agent()
            stop = threading.Event()
            variants = [MERGE, MERGE_ONLY_1]

            def churn():
                i = 0
                while not stop.is_set():
                    self.put("10-merge.yaml", variants[i % 2])
                    i += 1
                    time.sleep(0.001)
            t = threading.Thread(target=churn)
            t.start()
            H.wait_until(lambda: a.metric("kscmp_profiles_written_total") >= 6, 10,
                         "writes under way")
            try:
                rc = a.stop(signal.SIGTERM)
            finally:
                stop.set()
                t.join()
            self.assertEqual(rc, 0, f"round {round_}: exit status {rc}")
            self.assertEqual(H.temporaries(self.root), [])
            self.assertIn("stopped", a.log())
            on_disk = H.profiles_on_disk(self.root)
            for rel, data in on_disk.items():
                self.assertTrue(H.is_json(data), rel)
        self.agent()
        self.assert_converged(ALL_FILES)
        self.assertEqual(self.agents[-1].stop(signal.SIGINT), 0)

    def test_16_sighup(self):
        """SIGHUP reads DIR again: a change inotify cannot see (made through a hard link from
        outside DIR) is applied on SIGHUP, and the Events files owe are told again."""
        self.set_pods(self.pods + [pod("other", "lonely", {"app": "x"},
                                       "kscmp/other/nothing.json")])
        a = self.agent()
        self.assert_converged(ALL_FILES)
        a.wait_log(r"NoPolicy on pod other/lonely")
        outside = os.path.join(self.tmp, "hardlink.yaml")
        os.link(os.path.join(self.local, "10-merge.yaml"), outside)
        mark = a.log_mark()
        with open(outside, "r+") as f:  # in place: same inode, DIR's watch sees nothing
            f.write(MERGE_ONLY_1)
            f.truncate()
        new = self.expected("demo/web.json")
        self.assertNotEqual(new, self.read("demo/web.json"))
        a.send(signal.SIGHUP)
        a.wait_log(r"SIGHUP", mark)
        self.wait_bytes("demo/web.json", new)
        self.assertNotRegex(a.log_since(mark).split("SIGHUP")[0], r"read .*10-merge\.yaml",
                            "the agent saw the change before SIGHUP: this test proves nothing")
        a.wait_log(r"NoPolicy on pod other/lonely", mark)
        self.assertTrue(a.alive())
        self.assert_converged(ALL_FILES)

    def test_17_endpoints_and_metrics(self):
        """/healthz, /readyz, /metrics with the contract's figures."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        self.assertEqual(a.get("/healthz")[0], 200)
        self.assertEqual(a.get("/readyz")[0], 200)
        self.assertEqual(a.get("/nope")[0], 404)
        m = a.metrics()
        for name in ("kscmp_profiles_written_total", "kscmp_profiles_removed_total",
                     "kscmp_profile_write_errors_total", "kscmp_reconciles_total",
                     "kscmp_reconcile_errors_total", "kscmp_watch_restarts_total",
                     "kscmp_watch_relists_total", "kscmp_pods_stale_profiles",
                     "kscmp_profiles", "kscmp_ready", "kscmp_profiles_failing",
                     "kscmp_profile_write_latency_seconds_count"):
            self.assertIn(name, m, name)
        for cond in ("Valid", "Invalid", "Conflict"):
            self.assertIn(f'kscmp_policies{{condition="{cond}"}}', m)
        self.assertGreaterEqual(m["kscmp_profiles_written_total"], 3)
        self.assertEqual(m["kscmp_profiles"], 3)
        self.assertEqual(m["kscmp_ready"], 1)
        self.assertEqual(m["kscmp_profiles_failing"], 0)
        self.assertGreaterEqual(m["kscmp_profile_write_latency_seconds_count"], 3)
        self.assertEqual(m["kscmp_profile_write_errors_total"], 0)
        buckets, _, count = H.histogram(m, "kscmp_profile_write_latency_seconds")
        self.assertEqual(buckets[-1], (float("inf"), count))
        # A change is counted.
        self.put("10-merge.yaml", MERGE_ONLY_1)
        H.wait_until(lambda: a.metric("kscmp_profiles_written_total")
                     >= m["kscmp_profiles_written_total"] + 1, 10, "one more write counted")

    def test_17b_every_address(self):
        """--metrics-addr :PORT (the manifests' default) answers on IPv4 and on IPv6, as an
        IPv6-only pod is probed on its IPv6 address."""
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                s6.bind(("::1", 0))
        except OSError as e:
            self.skipTest(f"this machine has no IPv6 loopback to ask: {e}")
        port = H.free_port()
        log = open(os.path.join(self.tmp, "every.log"), "wb")
        p = subprocess.Popen([H.KSCMP, "agent", "--local", self.local, "--kubelet-root", self.root,
                              "--metrics-addr", f":{port}"], stdout=log, stderr=log,
                             stdin=subprocess.DEVNULL)
        try:
            def answers(host):
                try:
                    with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as r:
                        return r.status == 200
                except OSError:
                    return False
            H.wait_until(lambda: p.poll() is not None or answers("127.0.0.1"), 20,
                         "/healthz on 127.0.0.1")
            self.assertIsNone(p.poll(), open(log.name).read())
            self.assertTrue(answers("127.0.0.1"))
            self.assertTrue(answers("[::1]"), "no answer on [::1]")
            p.send_signal(signal.SIGINT)
            self.assertEqual(p.wait(timeout=30), 0)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            log.close()

    def test_18_unchanged_not_rewritten(self):
        """Deterministic output: a change that does not change the profile writes nothing,
        and a restart rewrites nothing (same inode, same mtime)."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        st = {rel: os.stat(self.path(rel)) for rel in ALL_FILES}
        mark = a.log_mark()
        # Same policies, other order and spelling: same profile.
        self.put("10-merge.yaml", "# reordered\n" + MERGE.replace(
            "[getpid, mkdir, futex]", "[futex, mkdir, getpid]"))
        a.wait_log(r"read .*10-merge\.yaml", mark)
        H.wait_until(lambda: a.metric("kscmp_reconciles_total") > 1, 5, "a reconcile")
        self.assertEqual(a.stop(), 0)
        b = self.agent()
        self.assertEqual(b.metric("kscmp_profiles_written_total"), 0)
        for rel in ALL_FILES:
            s2 = os.stat(self.path(rel))
            self.assertEqual((s2.st_ino, s2.st_mtime_ns), (st[rel].st_ino, st[rel].st_mtime_ns),
                             rel)


    def test_19_same_object_in_two_files(self):
        """A policy defined in two files: deleting (or emptying) one of them leaves the other
        one's definition in force (as a restart would), never a weaker profile."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        full = self.read("demo/web.json")
        kscmp2 = MERGE.split("---\n")[1]
        mark = a.log_mark()
        self.put("11-dup.yaml", kscmp2)
        a.wait_log(r"read .*11-dup\.yaml", mark)
        os.unlink(os.path.join(self.local, "11-dup.yaml"))
        a.wait_log(r"11-dup\.yaml removed", mark)
        a.wait_log(r"10-merge\.yaml: reading it again \(it holds objects another file dropped", mark)
        self.assertEqual(self.read("demo/web.json"), full)
        # The same with an edit that drops it from the second file.
        mark = a.log_mark()
        self.put("11-dup.yaml", kscmp2)
        a.wait_log(r"read .*11-dup\.yaml", mark)
        mark = a.log_mark()
        self.put("11-dup.yaml", OTHER.replace("name: db,", "name: db2,"))
        a.wait_log(r"read .*11-dup\.yaml", mark)
        self.assertEqual(self.read("demo/web.json"), full)
        # A restart agrees.
        self.assertEqual(a.stop(), 0)
        b = self.agent()
        self.assertEqual(self.read("demo/web.json"), full)
        self.assertEqual(b.metric("kscmp_profiles_written_total"), 0)

    def test_20_once_fails_when_a_pod_is_not_served(self):
        """--once is a gate: exit 0 when every pod's file is written; 1 (saying why) when a
        pod gets a Warning Event (no policy, a refused reference, no architecture in common),
        a policy is invalid or one is defined in two files, though the files that can be
        written are."""
        rc, out = self.once(self.local)
        self.assertEqual(rc, 0, out)
        self.assertEqual(set(H.profiles_on_disk(self.root)), ALL_FILES)
        bad = {
            "NoPolicy": (None, pod("other", "lost-1", {"app": "lost"}, "kscmp/other/nothing.json")),
            "ProfileRefused": (None, pod("demo", "thief-1", {"app": "x"}, "./kscmp/other/db.json")),
            "invalid": ("apiVersion: kscmp.io/v1\nkind: SeccompPolicy\n"
                        "metadata: {name: typo, namespace: demo}\n"
                        "spec: {seccomp: {syscalls: [readd], action: Allow}}\n", None),
            "ProfileConflict": ("apiVersion: kscmp.io/v1\nkind: SeccompPolicy\n"
                                "metadata: {name: a64, namespace: demo}\n"
                                "spec: {selector: {matchLabels: {app: web}}, seccomp: "
                                "{arch: [aarch64], syscalls: [read], action: Allow}}\n", None),
            "twice": (MERGE.split("---\n")[1], None),  # demo/kscmp2 of 10-merge.yaml again
            "twice-in-file": ("apiVersion: kscmp.io/v1\nkind: SeccompPolicy\n"
                              "metadata: {name: dup, namespace: demo}\n"
                              "spec: {seccomp: {syscalls: [read], action: Allow}}\n---\n"
                              "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\n"
                              "metadata: {name: dup, namespace: demo}\n"
                              "spec: {seccomp: {syscalls: [write], action: Allow}}\n", None),
        }
        for what, (policy_doc, pod_doc) in bad.items():
            if policy_doc:
                self.put("50-bad.yaml", policy_doc)
            if pod_doc:
                self.set_pods([POD_WEB, POD_API, POD_DB, pod_doc])
            rc, out = self.once(self.local)
            self.assertEqual(rc, 1, f"{what}: exit {rc}\n{out}")
            self.assertIn("--once: ", out.strip().splitlines()[-1], what)
            self.assertNotIn("ready: the first complete set", out, what)
            if what == "twice":
                self.assertIn("is defined in", out)
                self.assertIn("1 second definition(s) of an object: exit 1", out)
            elif what == "twice-in-file":
                self.assertIn("SeccompPolicy demo/dup is defined twice in ", out)
                self.assertIn("1 second definition(s) of an object: exit 1", out)
            elif what != "invalid":
                self.assertIn(f"event Warning {what}", out)
            self.assertIn("demo/api.json", H.profiles_on_disk(self.root), what)
            os.unlink(os.path.join(self.local, "50-bad.yaml")) if policy_doc else None
            self.set_pods([POD_WEB, POD_API, POD_DB])
        rc, out = self.once(self.local)
        self.assertEqual(rc, 0, out)

    def test_20_missing_source_changes_nothing(self):
        """A --local folder that is missing (or not a folder) changes nothing on disk: exit 1
        with --once, relative or absolute, and a running agent refuses to start."""
        self.agent()
        self.assert_converged(ALL_FILES)
        self.assertEqual(self.agents[-1].stop(), 0)
        before = self.disk_state()
        notdir = os.path.join(self.tmp, "a-file")
        with open(notdir, "w") as f:
            f.write("not a folder\n")
        for path in ("nonexistent", os.path.join(self.tmp, "nonexistent"), "a-file", notdir):
            rc, out = self.once(path)
            self.assertEqual(rc, 1, f"--once --local {path}: exit {rc}\n{out}")
            self.assertIn("nothing is changed", out, path)
            self.assertNotIn("ready", out, path)
            self.assertEqual(self.disk_state(), before, f"--once --local {path} changed the disk")
            p = subprocess.run([H.KSCMP, "agent", "--local", path, "--kubelet-root", self.root,
                                "--metrics-addr", "off"], capture_output=True, timeout=60,
                               cwd=self.tmp)
            self.assertEqual(p.returncode, 1, f"--local {path}: exit {p.returncode}")
            self.assertEqual(self.disk_state(), before, f"--local {path} changed the disk")
        # A --kubelet-root that does not exist: exit 1, and the message says which option.
        nokr = os.path.join(self.tmp, "no-kubelet-root")
        p = subprocess.run([H.KSCMP, "agent", "--local", self.local, "--kubelet-root", nokr,
                            "--metrics-addr", "off"], capture_output=True, text=True,
                           timeout=60, cwd=self.tmp)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(f"--kubelet-root: {nokr}: open: No such file or directory", p.stderr)
        self.assertFalse(os.path.exists(nokr))
        # With the metrics port on: it never says that it serves, as it stops before.
        p = subprocess.run([H.KSCMP, "agent", "--local", self.local, "--kubelet-root", nokr,
                            "--metrics-addr", "127.0.0.1:0"], capture_output=True, text=True,
                           timeout=60, cwd=self.tmp)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("--kubelet-root: ", p.stderr)
        self.assertNotIn("serving /metrics", p.stderr)
        # --once against an API server: a usage error (the agent there keeps watching).
        p = subprocess.run([H.KSCMP, "agent", "--once", "--node-name", "n1", "--kubelet-root",
                            self.root, "--metrics-addr", "off"], capture_output=True, text=True,
                           timeout=60, cwd=self.tmp)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--once works with --local only", p.stderr)

    def test_21_unreadable_source_changes_nothing(self):
        """A folder the agent may not read, or a manifest it may not read at start, changes
        nothing on disk (--once: exit 1; running: not ready, then converges once it can
        read); the agent runs as nobody so that permissions apply."""
        self.agent()
        self.assert_converged(ALL_FILES)
        self.assertEqual(self.agents[-1].stop(), 0)
        nobody = self.as_nobody()
        before = self.disk_state()
        os.chmod(self.local, 0o700)  # root's: nobody may not list it
        rc, out = self.once(self.local, nobody)
        self.assertEqual(rc, 1, out)
        self.assertIn("Permission denied", out)
        self.assertEqual(self.disk_state(), before)
        # The folder readable, the Pods' manifest not: nothing is removed or written.
        os.chmod(self.local, 0o755)
        for n in os.listdir(self.local):
            os.chmod(os.path.join(self.local, n), 0o644)
        pods = os.path.join(self.local, "pods.yaml")
        os.chmod(pods, 0o600)
        rc, out = self.once(self.local, nobody)
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"pods\.yaml: Permission denied")
        self.assertEqual(self.disk_state(), before)
        # Running: not ready, nothing changed; readable again: converges.
        a = self.agent(wait_ready=False, prefix=nobody)
        a.wait_log(r"not ready: 1 manifest\(s\) could not be read")
        self.assertEqual(a.get("/readyz")[0], 503)
        self.assertEqual(self.disk_state(), before)
        os.chmod(pods, 0o644)
        a.wait_ready()
        a.wait_log(r"pods\.yaml: recovered")
        self.assert_converged(ALL_FILES)
        self.assertEqual(self.disk_state(), before)  # nothing needed rewriting

    def test_22_source_removed_while_running(self):
        """The --local folder removed (or moved away) under a running agent: every profile
        stays; when the folder is back it is read whole and the disk follows it."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        before = self.disk_state()
        saved = os.path.join(self.tmp, "saved")
        shutil.copytree(self.local, saved)
        mark = a.log_mark()
        shutil.rmtree(self.local)
        H.wait_until(lambda: "folder was removed" in a.log_since(mark)
                     or self.disk_state() != before, 10, "the removal to be seen")
        self.assertEqual(self.disk_state(), before)
        a.wait_log(r"folder was removed: nothing is changed", mark)
        self.assertEqual(a.metric("kscmp_source_errors_total"), 1)
        self.assertEqual(self.disk_state(), before)
        self.assertTrue(a.alive())
        self.assertEqual(a.get("/healthz")[0], 200)
        # Back, without pods.yaml's db pod: read whole, and other/db.json goes.
        mark = a.log_mark()
        shutil.copytree(saved, self.local)
        self.set_pods([POD_WEB, POD_API])
        a.wait_log(r"can be read again", mark, timeout=30)
        self.wait_absent("other/db.json", timeout=20)
        self.assert_converged(ALL_FILES - {"other/db.json"})
        # Moved away and back.
        self.set_pods([POD_WEB, POD_API, POD_DB])
        self.assert_converged(ALL_FILES)
        before = self.disk_state()
        mark = a.log_mark()
        moved = os.path.join(self.tmp, "moved")
        os.rename(self.local, moved)
        a.wait_log(r"folder was moved away: nothing is changed", mark)
        self.assertEqual(self.disk_state(), before)
        os.unlink(os.path.join(moved, "pods.yaml"))  # not the source any more: no effect
        self.assertEqual(self.disk_state(), before)
        mark = a.log_mark()
        shutil.copytree(saved, self.local)
        a.wait_log(r"can be read again", mark, timeout=30)
        self.assert_converged(ALL_FILES)
        self.assertEqual(self.disk_state(), before)

    def workers(self, a):
        """The agent's proof workers (its child processes)."""
        with open(f"/proc/{a.pid}/task/{a.pid}/children") as f:
            return [int(x) for x in f.read().split()]

    def stuck_worker(self, a, change):
        """Stops every proof worker, makes `change()`, and returns the worker that got the
        proof (its job waits in its pipe) after letting the others go on."""
        ws = self.workers(a)
        self.assertGreaterEqual(len(ws), 1)
        for w in ws:
            os.kill(w, signal.SIGSTOP)
        change()
        held = H.wait_until(lambda: [w for w in ws if H.pending_input(w) > 0], 10,
                            "a proof job sent to a worker")
        for w in ws:
            if w != held[0]:
                os.kill(w, signal.SIGCONT)
        return held[0]

    def test_23_proof_worker_isolated(self):
        """The libseccomp proof runs in worker processes: while one namespace's proof is
        stuck, another namespace's file is written; a worker that crashes refuses its profile
        (remembered: the same bytes are not proven again, until SIGHUP), the agent lives on,
        and SIGTERM does not wait for a stuck proof."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        web, db = self.read("demo/web.json"), self.read("other/db.json")
        mark = a.log_mark()
        held = self.stuck_worker(a, lambda: self.put("10-merge.yaml", MERGE_ONLY_1))
        other2 = OTHER.replace("[read, write, fsync]", "[read, write, fsync, fdatasync]")
        self.put("40-other.yaml", other2)
        self.wait_bytes("other/db.json", self.expected("other/db.json"))
        self.assertNotEqual(self.read("other/db.json"), db)
        self.assertEqual(self.read("demo/web.json"), web)  # its proof is still stuck
        self.assertEqual(a.get("/healthz")[0], 200)
        # The stuck worker crashes as glibc does on a corrupt heap.
        proofs = a.metric("kscmp_proofs_total")
        os.kill(held, signal.SIGABRT)
        os.kill(held, signal.SIGCONT)
        a.wait_log(r"kscmp/demo/web\.json: the compiled profile is refused, the previous file "
                   r"stays: libseccomp crashed", mark)
        a.wait_log(r"event Warning ProfileRefused on pod demo/web-1", mark)
        self.assertTrue(a.alive())
        self.assertEqual(self.read("demo/web.json"), web)
        self.assertGreaterEqual(a.metric("kscmp_proof_worker_restarts_total"), 1)
        self.assertGreaterEqual(a.metric("kscmp_profiles_rejected_total"), 1)
        H.wait_until(lambda: len(self.workers(a)) == 2, 10, "the worker replaced")
        # The same bytes again (a comment changes nothing): refused at once, not proven.
        mark = a.log_mark()
        self.put("10-merge.yaml", "# again\n" + MERGE_ONLY_1)
        a.wait_log(r"kscmp/demo/web\.json: the compiled profile is refused \(as the same bytes "
                   r"were before: not proven again\)", mark)
        self.assertEqual(a.metric("kscmp_proofs_total"), proofs)
        # SIGHUP forgets the refusal: those bytes are proven again (no crash now) and written.
        mark = a.log_mark()
        a.send(signal.SIGHUP)
        a.wait_log(r"SIGHUP: 1 refused profile\(s\) forgotten", mark)
        self.wait_bytes("demo/web.json", self.expected("demo/web.json"))
        self.assertEqual(a.metric("kscmp_proofs_total"), proofs + 1)
        # Other bytes: proven and written.
        self.put("10-merge.yaml", MERGE.replace("[mkdir], action: Block}",
                                                "[mkdir], action: Block, errno: EXDEV}"))
        self.wait_bytes("demo/web.json", self.expected("demo/web.json"))
        self.assertNotEqual(self.read("demo/web.json"), web)
        # SIGTERM while a proof is stuck: the agent stops at once.
        self.stuck_worker(a, lambda: self.put("10-merge.yaml", MERGE.replace(
            "[ptrace], action: Block}", "[ptrace], action: Block, errno: EXDEV}")))
        t0 = time.monotonic()
        self.assertEqual(a.stop(timeout=10), 0)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(H.temporaries(self.root), [])

    def test_24_proof_deadline(self):
        """A proof whose worker is stopped (SIGSTOP, a frozen cgroup) past its wall-clock
        deadline (three times --proof-cpu-seconds) while it used almost no CPU time is not the
        profile's fault: the worker is killed and replaced, the file keeps its previous version
        meanwhile and is proven again with backoff, then written, without a restart; nothing is
        refused. (A new user's trial: the profile stayed refused until the agent restarted.)"""
        a = self.agent(extra=["--proof-cpu-seconds", "1"])
        self.assert_converged(ALL_FILES)
        web = self.read("demo/web.json")
        rejected = a.metric("kscmp_profiles_rejected_total")
        mark = a.log_mark()
        held = self.stuck_worker(a, lambda: self.put("10-merge.yaml", MERGE_ONLY_1))
        new = self.expected("demo/web.json")
        self.assertNotEqual(new, web)
        self.assertEqual(self.read("demo/web.json"), web)  # nothing written while it waits
        a.wait_log(r"proof worker \d+: the libseccomp proof did not finish within 3000 ms of "
                   r"wall-clock time while using \d+ ms of CPU: the worker was stopped or "
                   r"starved; will try again", mark, timeout=30)
        a.wait_log(r"kscmp/demo/web\.json: not proven yet, the previous file stays: .* will try "
                   r"again in \d+ ms \(attempt 1\)", mark)
        self.wait_bytes("demo/web.json", new, timeout=30)
        self.assertNotIn(held, self.workers(a))  # killed at the deadline, replaced
        self.assertEqual(a.metric("kscmp_proof_retries_total"), 1)
        self.assertEqual(a.metric("kscmp_profiles_rejected_total"), rejected)
        self.assertNotRegex(a.log_since(mark), r"refused|ProfileRefused")
        self.assertEqual(a.get("/readyz")[0], 200)
        self.assertTrue(a.alive())

    def test_25_local_conditions_and_recovery(self):
        """--local: kscmp_policies{condition} counts the policies by condition, a policy that
        turns invalid or conflicting and back is logged, and so is a broken file fixed."""
        a = self.agent()
        self.assert_converged(ALL_FILES)

        def conds():
            m = a.metrics()
            return tuple(m.get(f'kscmp_policies{{condition="{c}"}}')
                         for c in ("Valid", "Invalid", "Conflict"))
        self.assertEqual(conds(), (7, 0, 0))
        mark = a.log_mark()
        self.put("10-merge.yaml", MERGE.replace("[getpid, mkdir, futex]", "[getpid, nosuch]"))
        H.wait_until(lambda: conds() == (6, 1, 0), 10, "one policy counted invalid")
        # With why: the Event is told once per pod and reason, the log line each time.
        a.wait_log(r"SeccompPolicy demo/kscmp1: Valid -> Invalid: .*10-merge.yaml:\d+: "
                   r"SeccompPolicy demo/kscmp1: spec.seccomp.syscalls\[1\]: unknown syscall "
                   r"\"nosuch\"", mark)
        # A child that allows what its parent's allow-list leaves out: Conflict.
        self.put("50-child.yaml", """\
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {name: child, namespace: demo}
spec:
  extends: kscmp1
  seccomp: {syscalls: [getpid], action: Allow}
  rules:
  - {syscalls: [ptrace], action: Allow}
""")
        self.put("10-merge.yaml", MERGE)
        a.wait_log(r"SeccompPolicy demo/kscmp1: Invalid -> Valid \(recovered\)", mark)
        H.wait_until(lambda: conds() == (7, 0, 1), 10, "7 valid, 1 conflict")
        # A broken file, then fixed: the log says it recovered.
        mark = a.log_mark()
        self.put("30-cluster.yaml", CLUSTER + "  - {syscalls: [bpf\n")
        a.wait_log(r"30-cluster\.yaml", mark)
        self.put("30-cluster.yaml", CLUSTER)
        a.wait_log(r"30-cluster\.yaml: recovered: it reads without error again", mark)
        self.assertEqual(conds(), (7, 0, 1))

    def test_26_probes_under_slow_clients(self):
        """100 slow clients (a request head that never ends, a header line every second, a
        new connection for each one the agent drops), from 11 addresses, the probes' own among
        them, cannot keep /healthz and /readyz from answering within the kubelet's 3 s probe
        timeout, nor the scraper from /metrics."""
        a = self.agent()
        stop = threading.Event()
        socks = []
        lock = threading.Lock()
        count = [0]

        def connect():
            # Loopback answers every 127.x address: pods of the node stand for themselves.
            count[0] += 1
            src = f"127.0.0.{2 + count[0] % 10}" if count[0] % 6 else "127.0.0.1"
            s = socket.create_connection(("127.0.0.1", a.port), timeout=5,
                                         source_address=(src, 0))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            return s

        def dribble():
            while not stop.is_set():
                with lock:
                    for i, s in enumerate(socks):
                        try:
                            s.sendall(b"X-Slow: 1\r\n")
                        except OSError:
                            try:
                                s.close()
                                socks[i] = connect()
                            except OSError:
                                pass
                stop.wait(1.0)
        for _ in range(100):
            socks.append(connect())
        t = threading.Thread(target=dribble)
        t.start()
        lat = []
        try:
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:
                for path in ("/healthz", "/readyz", "/metrics"):
                    t0 = time.monotonic()
                    st, body = H.http_get(a.port, path, timeout=3)
                    lat.append(time.monotonic() - t0)
                    self.assertEqual(st, 200, f"{path} under slow clients: {st} {body[:200]}")
                time.sleep(0.2)
        finally:
            stop.set()
            t.join()
            for s in socks:
                s.close()
        print(f"\n    probes under 100 slow clients (11 addresses): {len(lat)} answered, max "
              f"{max(lat) * 1000:.1f} ms, median {sorted(lat)[len(lat) // 2] * 1000:.1f} ms",
              file=sys.stderr)
        self.assertTrue(a.alive())

    def test_26b_probe_not_evicted_by_a_wide_flood(self):
        """Every slot (64) taken by a flood from as many addresses, one connection each: a probe
        accepted before its request came is not the one closed for the next flood connection
        (the tie went to the newest), the oldest is; the probe is answered."""
        a = self.agent()
        flood = []
        try:
            for i in range(64):
                flood.append(socket.create_connection(("127.0.0.1", a.port), timeout=5,
                                                      source_address=(f"127.0.1.{i + 1}", 0)))
            time.sleep(0.3)
            probe = socket.create_connection(("127.0.0.1", a.port), timeout=5,
                                             source_address=("127.0.2.1", 0))
            flood.append(probe)
            time.sleep(0.3)  # accepted (an older flood connection made room), nothing sent yet
            flood.append(socket.create_connection(("127.0.0.1", a.port), timeout=5,
                                                  source_address=("127.0.3.1", 0)))
            time.sleep(0.3)
            probe.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            got = b""
            while True:
                chunk = probe.recv(4096)
                if not chunk:
                    break
                got += chunk
            self.assertTrue(got.startswith(b"HTTP/1.1 200"), f"the probe got {got[:200]!r}")
        finally:
            for s in flood:
                s.close()
        self.assertTrue(a.alive())

    def test_26c_other_methods(self):
        """A method other than GET and HEAD: 405 with the Allow header (RFC 9110 15.5.6)."""
        a = self.agent()
        for method in ("POST", "PUT", "DELETE", "OPTIONS"):
            s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
            try:
                s.sendall(f"{method} /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                          .encode())
                got = b""
                while b"\r\n\r\n" not in got:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
            finally:
                s.close()
            head = got.split(b"\r\n\r\n")[0].decode(errors="replace")
            self.assertTrue(head.startswith("HTTP/1.1 405"), f"{method}: {head!r}")
            self.assertIn("\r\nAllow: GET, HEAD", head, f"{method}: {head!r}")

    def test_26d_out_of_descriptors_no_busy_loop(self):
        """Out of descriptors (a limit of 28), with connections waiting: accepting pauses
        instead of spinning (accept4 failed with EMFILE at once, forever: a core busy), and a
        probe is answered once a slot and a descriptor come free."""
        a = self.agent(prefix=["prlimit", "--nofile=28:28", "--"])
        socks = []
        try:
            for i in range(30):
                s = socket.socket()
                s.bind((f"127.0.5.{i + 2}", 0))
                s.settimeout(5)
                s.connect(("127.0.0.1", a.port))
                socks.append(s)
            time.sleep(0.5)
            with open(f"/proc/{a.pid}/stat") as f:
                before = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
            time.sleep(2)
            with open(f"/proc/{a.pid}/stat") as f:
                after = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
            # A busy loop is ~200 ticks in 2 s; idle is ~0.
            self.assertLess(after - before, 50, f"{after - before} ticks of CPU in 2 s")
        finally:
            for s in socks:
                s.close()
        H.wait_until(lambda: a.get("/healthz")[0] == 200, 15, "/healthz 200 afterwards")

    def test_27_stalled_loop_fails_liveness(self):
        """/healthz fails when the event loop does not turn (its thread stopped by ptrace, as
        if stuck in a computation) for longer than --stall-timeout, while /readyz and
        /metrics still answer; it is healthy again once the loop turns."""
        libc = ctypes.CDLL(None, use_errno=True)
        libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
        PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_DETACH = 0x4206, 0x4207, 17
        a = self.agent(extra=["--stall-timeout", "2"])
        self.assertEqual(a.get("/healthz")[0], 200)
        tid = a.pid  # the main thread runs the loop; the endpoint has its own
        if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0:
            self.skipTest(f"ptrace: {os.strerror(ctypes.get_errno())}")
        try:
            self.assertEqual(libc.ptrace(PTRACE_INTERRUPT, tid, None, None), 0)
            os.waitpid(tid, 0x40000000)  # __WALL: the thread is stopped now
            st, body = H.wait_until(lambda: (lambda r: r if r[0] == 503 else None)(
                a.get("/healthz")), 15, "/healthz 503 while the loop is stopped")
            self.assertIn("has not turned", body)
            self.assertEqual(a.get("/readyz")[0], 200)
            self.assertEqual(a.get("/metrics")[0], 200)
        finally:
            libc.ptrace(PTRACE_DETACH, tid, None, None)
        H.wait_until(lambda: a.get("/healthz")[0] == 200, 10, "/healthz 200 again")

    def test_28_unwritable_name_does_not_hold_readiness(self):
        """A profile the node cannot store (a valid 252-character policy name: NAME.json is
        longer than a file name may be) is refused once, with a ProfileRefused Event on its pod,
        is not retried in a loop, and does not keep /readyz at 503."""
        labels = ["a" * 63, "b" * 63, "c" * 63, "d" * 60]
        name = ".".join(labels)
        self.assertEqual(len(name), 252)
        self.put("60-long.yaml", f"""\
apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {{name: {name}, namespace: demo}}
spec:
  seccomp: {{syscalls: [read, write, exit_group], action: Allow}}
""")
        self.set_pods(self.pods + [pod("demo", "long", {"app": "long"},
                                       f"kscmp/demo/{name}.json")])
        a = self.agent(wait_ready=False)
        a.wait_ready(timeout=30)
        a.wait_log(r"event Warning ProfileRefused on pod demo/long")
        self.assert_converged(ALL_FILES)
        errors = a.metric("kscmp_profile_write_errors_total")
        self.assertLessEqual(errors, 1)
        # Time passes and other work is done: the refused file is not tried again.
        self.put("10-merge.yaml", MERGE_ONLY_1)
        self.wait_bytes("demo/web.json", self.expected("demo/web.json"))
        H.wait_until(lambda: a.metric("kscmp_reconciles_total") >= 2, 5, "a second reconcile")
        self.assertEqual(a.metric("kscmp_profile_write_errors_total"), errors)
        self.assertEqual(a.get("/readyz")[0], 200)

    def test_29_emptied_file_keeps_its_objects(self):
        """A manifest emptied by an error (truncated to nothing, as a failed `> pods.yaml`
        leaves it) deletes nothing: what it held stays, the log says so; deleting the file
        removes its objects."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        before = self.disk_state()
        mark = a.log_mark()
        with open(os.path.join(self.local, "pods.yaml"), "w"):
            pass  # truncated in place: the file is written, and empty
        a.wait_log(r"pods\.yaml is empty: what it held stays", mark)
        self.put("10-merge.yaml", MERGE_ONLY_1)  # another change: the pods are still there
        self.wait_bytes("demo/web.json", self.expected("demo/web.json"))
        self.assertEqual(set(H.profiles_on_disk(self.root)), ALL_FILES)
        self.assertEqual(self.disk_state()["other/db.json"], before["other/db.json"])
        os.unlink(os.path.join(self.local, "pods.yaml"))
        H.wait_until(lambda: not H.profiles_on_disk(self.root), 10, "every file removed")


    def test_30_request_head_deadline(self):
        """A request head must be whole within 2 s of connecting: a client that sends a header
        line every half second (so that no idle timeout ever fires) is cut off, without an
        answer, long before it would stop; the probes meanwhile are answered."""
        a = self.agent()
        s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
        t0 = time.monotonic()
        closed = None
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            while closed is None and time.monotonic() - t0 < 20:
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                    if select.select([s], [], [], 0.5)[0]:
                        data = s.recv(4096)
                        self.assertEqual(data, b"", "an answer to an unfinished request head")
                        closed = time.monotonic() - t0
                except (BrokenPipeError, ConnectionResetError):
                    closed = time.monotonic() - t0
                self.assertEqual(a.get("/healthz")[0], 200)
        finally:
            s.close()
        self.assertIsNotNone(closed, "a request head dribbled for 20 s was never cut off")
        # The limit is 2 s; the margin is for a loaded machine. An idle timeout (10 s) would
        # never fire here.
        self.assertLess(closed, 9, f"cut off after {closed:.1f} s")
        print(f"\n    a dribbled request head is cut off after {closed:.2f} s", file=sys.stderr)

    def test_31_folder_named_like_a_manifest(self):
        """A folder in DIR named like a manifest (extra.yaml/) is not read, as `kscmp validate`
        does not read it: a warning naming it, once, at start (--once and a running agent)
        and when one is made while it runs; it never holds back the node's profiles."""
        os.mkdir(os.path.join(self.local, "extra.yaml"))
        want = f"{self.local}/extra.yaml is a folder: not read (sub-folders are not entered)"
        rc, out = self.once(self.local)
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.count(want), 1, out)
        self.assertNotIn("could not be read", out)
        self.assert_converged(ALL_FILES)
        a = self.agent()
        self.assertEqual(a.log().count(want), 1, a.log())
        mark = a.log_mark()
        os.mkdir(os.path.join(self.local, "new.yml"))
        a.wait_log(re.escape(f"{self.local}/new.yml is a folder: not read"), mark)
        self.put("10-merge.yaml", MERGE_ONLY_1)  # another change: applied
        self.wait_bytes("demo/web.json", self.expected("demo/web.json"))
        self.assertEqual(a.log().count(want), 1, a.log())
        self.assertNotIn("error", a.log_since(mark))

    def test_32_once_symlink_namespace(self):
        """--once with seccomp/kscmp/NS a link (the kubelet would read profiles through it, from
        a folder the agent never wrote): the link itself is removed, said with its name, the
        folder made and its files written; what it pointed to is untouched; exit 0."""
        outside = os.path.join(self.tmp, "outside")
        os.makedirs(outside)
        with open(os.path.join(outside, "web.json"), "w") as f:
            f.write('{"defaultAction": "SCMP_ACT_ALLOW"}\n')
        os.makedirs(H.store_dir(self.root))
        os.symlink(outside, self.path("demo"))
        rc, out = self.once(self.local)
        self.assertEqual(rc, 0, out)
        self.assertIn(f"{self.path('demo')} was a symbolic link in place of kscmp's folder", out)
        self.assertIn("ready: the first complete set of profiles is on disk",
                      out.strip().splitlines()[-1], out)
        self.assertFalse(os.path.islink(self.path("demo")))
        self.assertEqual(os.listdir(outside), ["web.json"])
        self.assert_converged(ALL_FILES)

    def rename_settled(self, a, old, new, marker, mark):
        """mv DIR/old DIR/new, seen by agent a, then past the removal settle time: a marker
        file (a Namespace named marker) read after it."""
        os.rename(os.path.join(self.local, old), os.path.join(self.local, new))
        a.wait_log(re.escape(old) + " renamed to .*" + re.escape(new), mark)
        time.sleep(0.5)  # past the removal settle time (200 ms)
        self.put(marker + ".yaml",
                 f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {marker}}}\n")
        a.wait_log(re.escape(marker) + r"\.yaml", mark)

    def test_33_rename_is_quiet(self):
        """mv DIR/a.yaml DIR/b.yaml: nothing changes on disk, and the log says it was renamed,
        not that its policies are defined twice (errors, PolicyInvalid) until a.yaml's
        removal settles."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        before = self.disk_state()
        mark = a.log_mark()
        self.rename_settled(a, "10-merge.yaml", "11-merge.yaml", "marker", mark)
        since = a.log_since(mark)
        for word in ("error", "PolicyInvalid", "defined in", "removed"):
            self.assertNotIn(word, since)
        self.assertEqual(self.disk_state(), before)

    def test_33b_rename_keeps_the_pod_in_force(self):
        """A Pod defined in two files, the one read last in force; mv of the other file: the
        definition in force stays (a rename read the file whole and made its Pod the one read
        last: the pod went from a strict policy to a loose one, silently)."""
        pod = ("apiVersion: v1\nkind: Pod\nmetadata: {{name: w1, namespace: twice, labels: "
               "{{app: {app}}}}}\nspec:\n  nodeName: node-1\n  securityContext:\n"
               "    seccompProfile: {{type: Localhost, localhostProfile: kscmp/twice/w.json}}\n"
               "  containers:\n  - {{name: main, image: busybox}}\n")
        self.put("62-twice.yaml",
                 "apiVersion: v1\nkind: Namespace\nmetadata: {name: twice}\n---\n"
                 "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: strict, "
                 "namespace: twice}\nspec:\n  selector: {matchLabels: {app: web}}\n"
                 "  seccomp: {syscalls: [read], action: Allow}\n---\n"
                 "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: loose, "
                 "namespace: twice}\nspec:\n  selector: {matchLabels: {app: other}}\n"
                 "  defaultAction: Allow\n")
        self.put("63-pod-a.yaml", pod.format(app="other"))
        self.put("64-pod-b.yaml", pod.format(app="web"))  # read last: in force
        a = self.agent()
        H.wait_until(lambda: os.path.exists(self.path("twice/w.json")), 10, "twice/w.json")
        with open(self.path("twice/w.json")) as f:
            before = f.read()
        self.assertIn('"defaultAction": "SCMP_ACT_ERRNO"', before)
        mark = a.log_mark()
        self.rename_settled(a, "63-pod-a.yaml", "65-pod-c.yaml", "marker2", mark)
        with open(self.path("twice/w.json")) as f:
            self.assertEqual(f.read(), before, a.log_since(mark))

    def test_34_seccomp_folder_moved_on_host(self):
        """<root>/seccomp a bind mount of another folder, as a pod's hostPath volume is. The
        host's folder moved away and a new one made at its name: the mount keeps the old one,
        where no kubelet reads, so the agent says so and exits 1 (started again, a container
        gets its volume mounted anew). A mounted folder already removed is refused at start."""
        host = os.path.join(self.tmp, "host-seccomp")
        seccomp = os.path.join(self.root, "seccomp")
        os.makedirs(host)
        os.makedirs(seccomp)
        try:
            subprocess.run(["mount", "--bind", host, seccomp], check=True, capture_output=True)
        except (subprocess.CalledProcessError, FileNotFoundError) as e:
            self.skipTest(f"cannot bind-mount a folder: {e}")
        self.mounted = seccomp
        a = self.agent()
        self.assert_converged(ALL_FILES)
        self.assertTrue(os.path.isfile(os.path.join(host, "kscmp", "demo", "web.json")))
        # The same folder bound over itself (a kubelet's start may do so with its root): the
        # path leads to the same folder: nothing to say.
        mark = a.log_mark()
        subprocess.run(["mount", "--bind", seccomp, seccomp], check=True, capture_output=True)
        try:
            a.wait_log(r"now below mount \d+ at \S+/seccomp \(was \d+ at \S+/seccomp\), the "
                       r"same folder", mark)
            self.assertTrue(a.alive())
            self.assertEqual(a.get("/readyz")[0], 200)
        finally:
            subprocess.run(["umount", seccomp], check=True, capture_output=True)
        time.sleep(2.5)
        self.assertTrue(a.alive(), a.log()[-2000:])
        os.rename(host, host + ".old")
        os.makedirs(host)
        H.wait_until(lambda: not a.alive(), 10, "the agent to stop")
        self.assertEqual(a.proc.returncode, 1, a.log()[-2000:])
        self.assertRegex(a.log(), r"the folder mounted at \S+/seccomp was moved on the host: it "
                                  r"was \S+/host-seccomp, it is now \S+/host-seccomp\.old")
        self.assertEqual(os.listdir(host), [])
        # Removed (the mount still shows it): refused at start, naming the folder.
        shutil.rmtree(host + ".old")
        code, out = self.once(self.local)
        self.assertEqual(code, 1, out)
        self.assertRegex(out, r"the folder mounted at \S+/seccomp \(\S+/host-seccomp\.old//"
                              r"deleted of device \d+:\d+\) was removed on the host")
        self.assertEqual(os.listdir(host), [])
        # Mounted anew: the agent writes where the host looks.
        subprocess.run(["umount", seccomp], check=True, capture_output=True)
        subprocess.run(["mount", "--bind", host, seccomp], check=True, capture_output=True)
        a = self.agent()
        self.assert_converged(ALL_FILES)
        self.assertTrue(os.path.isfile(os.path.join(host, "kscmp", "demo", "web.json")))
        # Another file system mounted over it: the path leads elsewhere.
        subprocess.run(["mount", "-t", "tmpfs", "kscmp-it", seccomp], check=True,
                       capture_output=True)
        try:
            H.wait_until(lambda: not a.alive(), 10, "the agent to stop")
            self.assertEqual(a.proc.returncode, 1, a.log()[-2000:])
            self.assertRegex(a.log(), r"the mount that held \S+/seccomp at start \(mount \d+ "
                                      r"at \S+/seccomp, folder \S+/host-seccomp of device "
                                      r"\d+:\d+\) is gone")
        finally:
            subprocess.run(["umount", seccomp], check=True, capture_output=True)

    def test_35_kubelet_root_moved(self):
        """The kubelet root moved away and made again while the agent runs (outside a pod, the
        agent holds the root it opened): it says so and exits 1; started again, it writes
        into the new one."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        os.rename(self.root, self.root + ".old")
        os.makedirs(self.root)
        H.wait_until(lambda: not a.alive(), 10, "the agent to stop")
        self.assertEqual(a.proc.returncode, 1, a.log()[-2000:])
        self.assertRegex(a.log(), r"\S+/kubelet is no longer the folder the agent opened at start "
                                  r"\(device \d+:\d+ inode \d+, now \d+:\d+ inode \d+\): it was "
                                  r"moved, removed or mounted over; profiles written below \S+ "
                                  r"would reach no kubelet: stopping \(exit status 1\)")
        self.agent()
        self.assert_converged(ALL_FILES)

    def test_36_changed_in_place(self):
        """A profile cut to 0 bytes (truncate, which closes nothing) or rewritten by a writer
        that keeps it open is put back at once, not at the next unrelated change."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        good = self.read("demo/web.json")
        restored = a.metric("kscmp_profiles_restored_total")
        os.truncate(self.path("demo/web.json"), 0)
        self.wait_bytes("demo/web.json", good, timeout=5)
        with open(self.path("demo/web.json"), "r+b") as f:
            f.write(b'{"defaultAction": "SCMP_ACT_ALLOW"}')
            f.truncate()  # written out, and cut there: the file is open still
            self.wait_bytes("demo/web.json", good, timeout=5)
        self.assertGreaterEqual(a.metric("kscmp_profiles_restored_total"), restored + 2)
        self.assert_converged(ALL_FILES)

    def test_37_sighup_checks_every_file(self):
        """SIGHUP looks at every profile on disk: a change no watch reports (written through a
        hard link in another folder) is put back, which it was not until an unrelated
        change."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        good = self.read("demo/web.json")
        hard = os.path.join(self.tmp, "hard.json")
        os.link(self.path("demo/web.json"), hard)
        with open(hard, "r+b") as f:
            f.write(b'{"defaultAction": "SCMP_ACT_ALLOW"}')
            f.truncate()
        time.sleep(0.3)
        self.assertNotEqual(self.read("demo/web.json"), good,
                            "the agent saw the change: this test proves nothing")
        mark = a.log_mark()
        a.send(signal.SIGHUP)
        self.wait_bytes("demo/web.json", good, timeout=5)
        a.wait_log(r"kscmp/demo/web\.json was changed behind the agent's back", mark)
        self.assert_converged(ALL_FILES)

    def test_38_strays_removed(self):
        """A symbolic link or a FIFO planted at a profile's name is removed, the entry itself,
        never what a link points to: by --once, at start, and while the agent runs (a link
        stayed: fail open, as a pod that later referenced the name with no policy got what it
        points to until the agent noticed). Such a pod finds no file (NoPolicy)."""
        weak = os.path.join(self.tmp, "weak.json")
        with open(weak, "w") as f:
            f.write('{"defaultAction": "SCMP_ACT_ALLOW"}\n')
        os.makedirs(self.path("other"))
        os.symlink(weak, self.path("other/sym.json"))
        os.mkfifo(self.path("other/fifo.json"))
        rc, out = self.once(self.local)
        self.assertEqual(rc, 0, out)
        self.assertIn("kscmp/other/sym.json appeared behind the agent's back (a symbolic link; "
                      "what it points to is left alone), which the agent never writes: removing "
                      "it", out)
        self.assertIn("kscmp/other/fifo.json appeared behind the agent's back", out)
        self.assertFalse(os.path.lexists(self.path("other/sym.json")))
        self.assertFalse(os.path.lexists(self.path("other/fifo.json")))
        # At start.
        os.symlink(weak, self.path("other/sym.json"))
        a = self.agent()
        self.assertFalse(os.path.lexists(self.path("other/sym.json")))
        self.assertIn("kscmp/other/sym.json appeared behind the agent's back", a.log())
        self.assertEqual(a.metric("kscmp_profiles_restored_total"), 1)
        # While it runs.
        os.symlink(weak, self.path("other/sym.json"))
        self.wait_absent("other/sym.json", timeout=5)
        H.wait_until(lambda: a.metric("kscmp_profiles_restored_total") == 2, 5,
                     "kscmp_profiles_restored_total to count the link")
        # A pod that references the name with no policy: nothing there, it cannot start.
        mark = a.log_mark()
        self.set_pods(self.pods + [pod("other", "sym-1", {"app": "sym"},
                                       "kscmp/other/sym.json")])
        a.wait_log(r"NoPolicy on pod other/sym-1", mark)
        self.assertFalse(os.path.lexists(self.path("other/sym.json")))
        with open(weak) as f:
            self.assertEqual(f.read(), '{"defaultAction": "SCMP_ACT_ALLOW"}\n')
        self.assert_converged(ALL_FILES)

    def test_39_store_folders_swapped(self):
        """mv <root>/seccomp seccomp.bak; cp -a seccomp.bak seccomp (then the same of
        seccomp/kscmp): the agent watches the folders the paths lead to, not the old ones. A
        hand edit or deletion in the live folder is put back (it went unnoticed), an edit of
        the backup is left alone."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        good = self.read("demo/web.json")
        open_profile = b'{"defaultAction": "SCMP_ACT_ALLOW"}'
        for name in ("seccomp", "seccomp/kscmp"):
            live = os.path.join(self.root, name)
            bak = live + ".bak"
            # The copy put in place in one step (renameat2 RENAME_EXCHANGE), the old folder
            # then moved to .bak: as mv and cp -a, without the instant in which the path leads
            # nowhere (the agent made the folder again then, and cp -a failed on it).
            subprocess.run(["cp", "-a", live, live + ".new"], check=True)
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.renameat2(-100, live.encode(), -100, (live + ".new").encode(), 2) != 0:
                raise OSError(ctypes.get_errno(), "renameat2 RENAME_EXCHANGE " + live)
            os.rename(live + ".new", bak)
            time.sleep(0.3)
            backup = os.path.join(bak, "kscmp" if name == "seccomp" else "", "demo", "web.json")
            with open(backup, "r+b") as f:
                f.write(open_profile)
                f.truncate()
            with open(self.path("demo/web.json"), "r+b") as f:
                f.write(open_profile)
                f.truncate()
            self.wait_bytes("demo/web.json", good, timeout=5)
            os.unlink(self.path("demo/web.json"))
            self.wait_bytes("demo/web.json", good, timeout=5)
            with open(backup, "rb") as f:
                self.assertEqual(f.read(), open_profile)
            self.assert_converged(ALL_FILES)
        self.assertTrue(a.alive())

    def test_40_policy_copied_beside_holds_only_its_files(self):
        """A copy of 10-merge.yaml kept in DIR: kscmp1 and kscmp2 are defined twice, selecting
        alike: web.json (theirs) keeps its last good profile, while api.json, which they do
        not reach, still takes a change of its own policy. A copy that selects otherwise holds
        every file of the namespace (which pods it is meant for is not known) until removed."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        web = self.read("demo/web.json")
        mark = a.log_mark()
        self.put("11-merge-copy.yaml", MERGE)
        a.wait_log(r"SeccompPolicy demo/kscmp1 is defined in \S+10-merge\.yaml and in "
                   r"\S+11-merge-copy\.yaml", mark)
        tighter = INHERIT.replace("[accept4, bind, listen]", "[accept4, bind]")
        self.put("20-inherit.yaml", tighter)
        self.wait_bytes("demo/api.json",
                        self.expected("demo/api.json", {"11-merge-copy.yaml": None}))
        self.assertNotIn(b'"listen"', self.read("demo/api.json"))
        self.assertEqual(self.read("demo/web.json"), web)
        # The copy selects app=api: api.json is held too.
        self.put("11-merge-copy.yaml", MERGE.replace("app: web", "app: api"))
        a.wait_log(r"kscmp/demo/api\.json: kept as it was: a contributing policy is invalid",
                   mark)
        api = self.read("demo/api.json")
        mark = a.log_mark()
        self.put("20-inherit.yaml", INHERIT)
        a.wait_log(r"kscmp/demo/api\.json: kept as it was", mark)
        self.assertEqual(self.read("demo/api.json"), api)
        # The copy removed: every file as compiled.
        os.unlink(os.path.join(self.local, "11-merge-copy.yaml"))
        self.assert_converged(ALL_FILES)

    def test_41_stop_says_what_is_left(self):
        """SIGTERM while a write fails (a full disk): exit 0, and the last line says how many
        files were left as they were, not only "stopped"."""
        self.small_tmpfs_root()
        a = self.agent()
        self.assert_converged(ALL_FILES)
        filler = self.fill_disk()
        mark = a.log_mark()
        self.put("10-merge.yaml", MERGE.replace("[getpid, mkdir, futex]",
                                                "[getpid, mkdir, futex, sysinfo]"))
        a.wait_log(r"will try again", mark)
        self.assertEqual(a.stop(), 0)
        last = a.log().strip().splitlines()[-1]
        self.assertRegex(last, r"warning\s+stopped with 1 file\(s\) not written or removed as "
                               r"owed")
        os.unlink(filler)

    def test_42_objects_gone_are_named(self):
        """Objects that go with a file are named in the log: a file commented out whole (a
        warning, as it is not an empty file, whose objects stay), objects taken out of a
        file, a file removed."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        mark = a.log_mark()
        self.put("30-cluster.yaml", "".join("# " + ln + "\n" for ln in CLUSTER.splitlines()))
        a.wait_log(r"warning\s+\S+30-cluster\.yaml holds no object any more: its 1 object\(s\) "
                   r"are gone: ClusterSeccompPolicy baseline", mark)
        self.put("30-cluster.yaml", CLUSTER)
        self.wait_bytes("demo/web.json", self.expected("demo/web.json"))
        mark = a.log_mark()
        self.put("20-inherit.yaml", INHERIT.split("---")[0])
        a.wait_log(r"20-inherit\.yaml: 1 object\(s\) no longer in it are gone: SeccompPolicy "
                   r"demo/api", mark)
        os.unlink(os.path.join(self.local, "30-cluster.yaml"))
        a.wait_log(r"30-cluster\.yaml removed: its 1 object\(s\) are gone: ClusterSeccompPolicy "
                   r"baseline", mark)

    def test_43_policy_in_a_namespace_dir_does_not_have(self):
        """A policy whose namespace has no Namespace and no pod in DIR (a typo in
        metadata.namespace moves it away from its pods): a warning naming both; none at start
        for the namespaces DIR has."""
        a = self.agent()
        self.assert_converged(ALL_FILES)
        self.assertNotIn("has no Namespace", a.log())
        mark = a.log_mark()
        self.put("80-typo.yaml", MERGE.split("---")[0].replace("namespace: demo", "namespace: dmeo"))
        a.wait_log(r"warning\s+SeccompPolicy dmeo/kscmp1: \S+ has no Namespace dmeo and no pod in "
                   r"it: the policy applies to no pod here, nor does any other new one of dmeo "
                   r"\(a typo in metadata\.namespace\?\)",
                   mark)

    def test_44_configmap_volume(self):
        """DIR is a ConfigMap volume: its files are links through ..data, which the kubelet
        swaps for a new folder on update (the steps of its atomic writer, below). No event
        comes for the files themselves; the swap reads every file again: an edited file is
        used, a removed key's objects go, an added one is read."""
        cm, files = self.volume_of_local()
        atomic_volume_write(cm, files)
        a = self.agent(local=cm)
        self.assert_converged(ALL_FILES)
        self.assertNotRegex(a.log(), r"\berror\b")
        mark = a.log_mark()
        new = self.expected("demo/web.json", {"10-merge.yaml": MERGE_ONLY_1})
        self.assertNotEqual(new, self.read("demo/web.json"))
        files["10-merge.yaml"] = MERGE_ONLY_1
        atomic_volume_write(cm, files)
        self.wait_bytes("demo/web.json", new)
        a.wait_log(r"a ConfigMap, Secret or projected volume changed \(\.\.data replaced, or a "
                   r"link made\): every file read again", mark)
        # A key removed (the guardrail), one added (a pod of a new file): the removed key's
        # link dangles between the swap and its removal, and must not hold anything back.
        mark = a.log_mark()
        del files["30-cluster.yaml"]
        extra = pod("demo", "web-2", {"app": "web"}, "kscmp/demo/web2.json")
        files["60-more.yaml"] = extra
        atomic_volume_write(cm, files, pause=0.02)
        new = self.expected("demo/web.json", {"10-merge.yaml": MERGE_ONLY_1,
                                              "30-cluster.yaml": None})
        self.wait_bytes("demo/web.json", new)
        self.pods.append(extra)
        want2 = self.expected("demo/web2.json", {"10-merge.yaml": MERGE_ONLY_1,
                                                 "30-cluster.yaml": None})
        self.wait_bytes("demo/web2.json", want2)
        a.wait_log(r"ClusterSeccompPolicy baseline", mark)
        self.assertNotRegex(a.log_since(mark), r"\berror\b")
        self.assertNotIn("whose file is not there", a.log_since(mark))
        self.assertNotIn("not in the volume's data", a.log_since(mark))  # read at the settle
        # One update adds a key with a Pod and, in a key that was there, a rule that applies
        # to it: the new key's link comes with its own event, the old key's change with none,
        # and the Pod's profile must never be computed from the old policy (it was, for the
        # 200 ms before the whole read).
        merge = MERGE_ONLY_1

        def new_pod_and_rule(call, n, **how):
            """Adds Block call to kscmp1 (in 10-merge.yaml) and Pod web-n in a new key, in one
            update written `how`; web-n's profile must only ever be the one with the rule."""
            nonlocal merge
            p = pod("demo", f"web-{n}", {"app": "web"}, f"kscmp/demo/web{n}.json")
            self.pods.append(p)
            old = self.expected(f"demo/web{n}.json", {"10-merge.yaml": merge,
                                                      "30-cluster.yaml": None})
            merge += f"  - {{syscalls: [{call}], action: Block, errno: EACCES}}\n"
            files["10-merge.yaml"] = merge
            files[f"{n}0-web{n}.yaml"] = p
            want = self.expected(f"demo/web{n}.json", {"10-merge.yaml": merge,
                                                       "30-cluster.yaml": None})
            self.assertNotEqual(want, old)  # else a mix could not be told from the right one
            atomic_volume_write(cm, files, **how)
            self.assertEqual(self.versions_seen(f"demo/web{n}.json"), [want],
                             f"kscmp/demo/web{n}.json was written from a mix of the volume's old "
                             f"and new keys ({how})")

        new_pod_and_rule("bpf", 7)
        # The same with the order of kubelets that make the new keys' links before the swap
        # (the link dangles until it): the new key must not be read alone either.
        mark = a.log_mark()
        new_pod_and_rule("mount", 8, links_first=True, pause=0.02)
        log = a.log_since(mark)
        self.assertNotRegex(log, r"\berror\b")
        self.assertNotIn("whose file is not there", log)  # the new link was not read alone
        self.assertNotIn("not in the volume's data", log)
        self.assertLess(log.index("every file read again"), log.index("80-web8.yaml"), log)
        self.assertTrue(a.alive())

    def test_46_volume_read_not_put_off(self):
        """In a volume, a change of the links' owner (the kubelet's fsGroup on each sync) reads
        nothing; events that keep coming (a file written beside the volume's, every 100 ms)
        put its whole read off by 2 seconds at the most."""
        cm, files = self.volume_of_local()
        files["40-other.yaml"] = "kind: [\n"  # broken: an owner change used to read it again
        atomic_volume_write(cm, files)
        a = self.agent(local=cm, wait_ready=False)
        a.wait_log(r"40-other\.yaml.*nothing of it is used yet")
        mark = a.log_mark()
        for _ in range(3):
            for name in files:
                os.lchown(os.path.join(cm, name), 0, 0)
            time.sleep(0.3)
        self.assertNotIn("volume changed", a.log_since(mark))
        files["40-other.yaml"] = OTHER
        new = self.expected("demo/web.json", {"10-merge.yaml": MERGE_ONLY_1})
        files["10-merge.yaml"] = MERGE_ONLY_1
        atomic_volume_write(cm, files)
        t0 = time.monotonic()
        took = None
        while time.monotonic() - t0 < 4.0:
            with open(os.path.join(cm, "99-beside.yaml"), "w") as f:
                f.write(f"# {time.monotonic()}\n")
            if took is None and self.read("demo/web.json") == new:
                took = time.monotonic() - t0
            time.sleep(0.1)
        self.assertIsNotNone(took, "the volume's update was never read while writes went on")
        self.assertLess(took, 3.0)
        self.assertGreater(took, 1.5, "read before 2 s: the writes did not put it off, and this "
                                      "test proves nothing")

    def test_47_volume_link_left_behind(self):
        """A removed key whose link the kubelet left behind (a crash between its swap and its
        unlinks: no later update removes it) is not in the volume's new data: its objects go
        (they stayed for good). An agent started on such a volume, which cannot tell it from a
        volume being torn down (its folder emptied), waits, and says to remove the link; so
        does a volume whose data folder empties while the agent runs: nothing goes."""
        cm, files = self.volume_of_local()
        atomic_volume_write(cm, files)
        a = self.agent(local=cm)
        self.assert_converged(ALL_FILES)
        mark = a.log_mark()
        del files["30-cluster.yaml"]
        atomic_volume_write(cm, files, keep_links=True)
        self.assertTrue(os.path.islink(os.path.join(cm, "30-cluster.yaml")))
        self.wait_bytes("demo/web.json", self.expected("demo/web.json", {"30-cluster.yaml": None}))
        a.wait_log(r"30-cluster\.yaml: not in the volume's new data \(\.\.data moved to a folder "
                   r"without it", mark)
        a.wait_log(r"30-cluster\.yaml removed: its 1 object\(s\) are gone", mark)
        # The data folder emptied in place (a teardown): every key seems missing, and nothing
        # goes (a SIGHUP reads the folder whole meanwhile).
        data = os.path.join(cm, os.readlink(os.path.join(cm, "..data")))
        before = self.disk_state()
        mark = a.log_mark()
        for name in os.listdir(data):
            os.unlink(os.path.join(data, name))
        a.send(signal.SIGHUP)
        a.wait_log(r"pods\.yaml: a link into \.\.data whose file is not there .*keeping what it "
                   r"held before", mark)
        time.sleep(0.5)
        self.assertEqual(self.disk_state(), before)
        self.assertNotIn("removed: its", a.log_since(mark))
        for name, text in files.items():
            with open(os.path.join(data, name), "w") as f:
                f.write(text)
        a.stop()
        self.agents.clear()
        rc, out = self.once(cm)  # --once: the link left behind cannot be read, an error
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"30-cluster\.yaml: a link into \.\.data whose file is not there "
                              r"\(.*a link left behind: remove it\)")
        b = self.agent(local=cm, wait_ready=False)
        b.wait_log(r"30-cluster\.yaml: a link into \.\.data whose file is not there .*remove it")
        self.assertNotEqual(b.get("/readyz")[0], 200)
        os.unlink(os.path.join(cm, "30-cluster.yaml"))
        H.wait_until(lambda: b.get("/readyz")[0] == 200, 10, "ready once the link is removed")

    def test_48_volume_objects_move_between_keys(self):
        """One update of a volume moves objects between keys: a Pod from pods.yaml and the
        guardrail from 30-cluster.yaml (a key the update removes) into 00-namespaces.yaml, read
        first. No object is in two keys of either version: nothing may be said or counted as
        defined twice (it was, with a "recovered" in the same read), and the profiles stay as
        they were."""
        cm, files = self.volume_of_local()
        atomic_volume_write(cm, files)
        a = self.agent(local=cm)
        self.assert_converged(ALL_FILES)
        before = self.disk_state()
        errors = a.metric("kscmp_source_errors_total")
        mark = a.log_mark()
        files["00-namespaces.yaml"] = "---\n".join([NAMESPACES, CLUSTER, POD_DB])
        del files["30-cluster.yaml"]
        files["pods.yaml"] = "---\n".join([POD_WEB, POD_API])
        atomic_volume_write(cm, files)
        a.wait_log(r"pods\.yaml: 1 object\(s\) no longer in it are gone: Pod other/db-0", mark)
        a.wait_log(r"read .*/00-namespaces\.yaml: 4 object\(s\)", mark)
        time.sleep(0.3)
        log = a.log_since(mark)
        self.assertNotIn("defined in", log)
        self.assertNotIn("recovered", log)
        self.assertNotRegex(log, r"\berror\b")
        self.assertEqual(a.metric("kscmp_source_errors_total"), errors)
        self.assertEqual(self.disk_state(), before)

    def test_49_volume_updated_during_its_read(self):
        """A volume updated again while the agent reads it whole (a key of 4,000 policies, read
        first, takes a while): the files read after the second update's swap are its version,
        those before the first's; what is put must be one version, never the first key of one
        beside the last key of the other (read again when ..data moved during the read)."""
        filler = many_policies(4000)
        rule = block_rule
        cm, files = self.volume_of_local()
        v = {0: ("getcwd", "chdir"), 1: ("uname", "umask"), 2: ("getppid", "statx")}

        def version(n):
            return {"00-big.yaml": filler + "---\n" + rule("early", v[n][0]),
                    "zz-late.yaml": rule("late", v[n][1])}

        files.update(version(0))
        atomic_volume_write(cm, files)
        a = self.agent(local=cm)
        mix = self.expected("demo/web.json", {"00-big.yaml": version(1)["00-big.yaml"],
                                              "zz-late.yaml": version(2)["zz-late.yaml"]})
        want = self.expected("demo/web.json", version(2))
        self.assertNotEqual(mix, want)
        seen = []
        poll = threading.Thread(target=lambda: seen.extend(self.versions_seen("demo/web.json")))
        mark = a.log_mark()
        files.update(version(1))
        atomic_volume_write(cm, files)
        end = time.monotonic() + 5  # the read has begun: update again at once
        while "every file read again" not in a.log_since(mark) and time.monotonic() < end:
            time.sleep(0.001)
        files.update(version(2))
        atomic_volume_write(cm, files)
        poll.start()
        self.wait_bytes("demo/web.json", want)
        poll.join()
        self.assertFalse(mix in seen, "kscmp/demo/web.json was written from the first update's "
                                    "first key beside the second update's last key")
        a.wait_log(r"\.\.data moved while the folder was read \(a volume updated meanwhile\): "
                   r"every file read again", mark)

    def update_during_read(self, versions, before_update=None):
        """A volume holding versions[0] read by an agent; versions[1] written, and versions[2]
        at once while the agent reads the update (its first key, of 4,000 policies, takes a
        while); before_update(folder, files) is called once the agent is ready. Returns the
        agent, kscmp_source_errors_total before the update, and the log mark."""
        cm, files = self.volume_of_local()
        files.update(versions[0])
        atomic_volume_write(cm, files)
        a = self.agent(local=cm)
        a.wait_log(r"ready: the first complete set")
        if before_update:
            before_update(cm, files)
        errors = a.metric("kscmp_source_errors_total")
        mark = a.log_mark()
        files.update(versions[1])
        atomic_volume_write(cm, files)
        end = time.monotonic() + 5  # the read has begun: update again at once
        while "every file read again" not in a.log_since(mark) and time.monotonic() < end:
            time.sleep(0.001)
        files.update(versions[2])
        atomic_volume_write(cm, files)
        a.wait_log(r"\.\.data moved while the folder was read \(a volume updated meanwhile\): "
                   r"every file read again", mark)
        return a, errors, mark

    def test_50_volume_read_of_one_version_moves_a_policy(self):
        """An update during a volume's read moves a policy from the key read first to the key
        read last: each of the two reads takes one version of the volume, so the policy is never
        seen in both keys (a false "defined in two files", an error counted)."""
        filler = many_policies(4000)
        moving = block_rule("moving", "statx")
        v = [{"00-big.yaml": "---\n".join([filler, block_rule("early", "getcwd"), moving]),
              "zz-late.yaml": block_rule("late", "chdir")},
             {"00-big.yaml": "---\n".join([filler, block_rule("early", "uname"), moving]),
              "zz-late.yaml": block_rule("late", "chdir")},
             {"00-big.yaml": "---\n".join([filler, block_rule("early", "uname")]),
              "zz-late.yaml": "---\n".join([block_rule("late", "chdir"), moving])}]
        a, errors, mark = self.update_during_read(v)
        self.wait_bytes("demo/web.json", self.expected("demo/web.json", v[2]))
        a.wait_log(r"00-big\.yaml: 1 object\(s\) no longer in it are gone: SeccompPolicy "
                   r"demo/moving", mark)
        log = a.log_since(mark)
        self.assertNotRegex(log, r"defined in \S+ and in|defined twice")
        self.assertEqual(a.metric("kscmp_source_errors_total"), errors, log)

    def test_51_volume_read_of_one_version_keeps_last_good(self):
        """An update during a volume's read moves a policy from the key read last to the key
        read first, with a bad edit: the read of one version sees it leave one key and come
        into the other, so it keeps its last good version (the refused edit's fallback), as
        when no update comes during the read (a mixed read saw it in neither key, deleted it,
        and held web.json as it was)."""
        filler = many_policies(4000)
        v = [{"00-big.yaml": "---\n".join([filler, block_rule("early", "getcwd")]),
              "zz-late.yaml": "---\n".join([block_rule("late", "chdir"),
                                            block_rule("moving", "statx")])},
             {"00-big.yaml": "---\n".join([filler, block_rule("early", "uname")]),
              "zz-late.yaml": "---\n".join([block_rule("late", "chdir"),
                                            block_rule("moving", "statx")])},
             {"00-big.yaml": "---\n".join([filler, block_rule("early", "uname"),
                                           block_rule("moving", "nosuchcall")]),
              "zz-late.yaml": block_rule("late", "chdir")}]
        a, _, mark = self.update_during_read(v)
        want = self.expected("demo/web.json", v[1])  # moving's last good version, early's new
        self.assertNotEqual(want, self.expected("demo/web.json", v[0]))
        self.wait_bytes("demo/web.json", want)
        a.wait_log(r"takes SeccompPolicy demo/moving as if the bad edit that makes it invalid "
                   r"had been refused", mark)
        a.wait_log(r"SeccompPolicy demo/moving: Valid -> Invalid", mark)
        self.assertNotIn("kept as it was", a.log_since(mark))

    def test_52_volume_read_again_says_a_failure_once(self):
        """A file that cannot be read is said (and counted) once per whole read, not once more
        in the pass made again because ..data moved during the first."""
        filler = many_policies(4000)
        v = [{"00-big.yaml": "---\n".join([filler, block_rule("early", c)])}
             for c in ("getcwd", "uname", "statx")]

        def loop(cm, files):
            # A link to itself beside the volume's keys (kept by the writes below: its name is
            # one of theirs, and a link that is there already is not made again).
            os.symlink("zz-loop.yaml", os.path.join(cm, "zz-loop.yaml"))
            files["zz-loop.yaml"] = ""

        a, errors, mark = self.update_during_read(v, loop)
        self.wait_bytes("demo/web.json", self.expected("demo/web.json", v[2]))
        log = a.log_since(mark)
        moved = log.index("..data moved while the folder was read")
        again = log.find("projected volume changed", moved)
        said = [m.start() for m in re.finditer(r"zz-loop\.yaml: Too many levels of symbolic links",
                                               log)]
        self.assertTrue(said and said[0] < moved, log)
        self.assertFalse([i for i in said if moved < i and (again < 0 or i < again)], log)

    def test_53_volume_key_linked_before_the_swap_during_a_read(self):
        """An older kubelet makes a new key's link before it swaps ..data. Made, with the swap
        after it, while the agent reads the previous update (from the folder it pinned, which
        lacks the key): the key is left to the read that follows the move, never said to be a
        key the update removed, nor a link whose file is not there."""
        cm, files = self.volume_of_local()
        files["00-big.yaml"] = many_policies(8000)
        atomic_volume_write(cm, files)
        a = self.agent(local=cm)
        errors = a.metric("kscmp_source_errors_total")
        mark = a.log_mark()
        files["00-big.yaml"] = many_policies(8000) + "---\n" + block_rule("early", "uname")
        atomic_volume_write(cm, files)
        os.symlink("..data/zz-new.yaml", os.path.join(cm, "zz-new.yaml"))
        a.wait_log(r"every file read again", mark)  # the first update's read has begun
        time.sleep(0.03)
        new = block_rule("newrule", "statx")
        files["zz-new.yaml"] = new
        atomic_volume_write(cm, files)  # the second's swap, during that read
        self.wait_bytes("demo/web.json", self.expected(
            "demo/web.json", {"00-big.yaml": files["00-big.yaml"], "zz-new.yaml": new}))
        log = a.log_since(mark)
        self.assertIn("..data moved while the folder was read", log)
        self.assertNotIn("zz-new.yaml: not in the volume's new data", log)
        self.assertNotIn("zz-new.yaml: a link into", log)
        self.assertEqual(a.metric("kscmp_source_errors_total"), errors, log)

    def test_54_volume_key_removed_link_left_during_a_read(self):
        """An update removes a key whose link stays (a kubelet that stopped before removing
        it) and moves its policy to another key; ..data moves again during the read. The key
        is gone in the version read (its objects go in that pass), so the policy is never
        seen in both keys (a false "defined in two files")."""
        filler = many_policies(8000)  # a read long enough to update the volume during it
        moving = block_rule("moving", "statx")
        cm, files = self.volume_of_local()
        files["00-big.yaml"] = "---\n".join([filler, block_rule("early", "getcwd")])
        files["mm-x.yaml"] = moving
        files["zz-y.yaml"] = block_rule("late", "chdir")
        atomic_volume_write(cm, files)
        a = self.agent(local=cm)
        mark = a.log_mark()
        del files["mm-x.yaml"]
        files["00-big.yaml"] = "---\n".join([filler, block_rule("early", "uname")])
        files["zz-y.yaml"] = "---\n".join([block_rule("late", "chdir"), moving])
        atomic_volume_write(cm, files, keep_links=True)
        end = time.monotonic() + 10  # the update's read has begun: update again at once
        while "every file read again" not in a.log_since(mark) and time.monotonic() < end:
            time.sleep(0.001)
        atomic_volume_write(cm, files, keep_links=True)  # the same content: ..data moves
        a.wait_log(r"\.\.data moved while the folder was read", mark)
        self.wait_bytes("demo/web.json", self.expected("demo/web.json", files))
        log = a.log_since(mark)
        self.assertIn("mm-x.yaml: not in the volume's new data", log)
        self.assertNotRegex(log, r"defined in \S+ and in|defined twice")

    def test_45_dangling_link_keeps_its_objects(self):
        """A link in DIR whose target goes (outside DIR: no event for it) keeps what it held,
        and the next read of DIR (SIGHUP) says so, as for a file that cannot be read (it was
        skipped in silence); removing the link removes its objects."""
        outside = os.path.join(self.tmp, "cluster-outside.yaml")
        shutil.move(os.path.join(self.local, "30-cluster.yaml"), outside)
        os.symlink(outside, os.path.join(self.local, "30-cluster.yaml"))
        a = self.agent()
        self.assert_converged(ALL_FILES)
        good = self.read("demo/web.json")
        os.unlink(outside)
        mark = a.log_mark()
        a.send(signal.SIGHUP)
        a.wait_log(r"error\s+\S+/30-cluster\.yaml: a symbolic link to a file that does not "
                   r"exist: keeping what it held before", mark)
        self.assertEqual(self.read("demo/web.json"), good)
        # Not a file that went: --once fails, as for a file it cannot read (on a root of its
        # own: the running agent holds this one).
        os.makedirs(os.path.join(self.tmp, "once-root"))
        rc, out = self.once(self.local, root=os.path.join(self.tmp, "once-root"))
        self.assertEqual(rc, 1, out)
        self.assertRegex(out, r"30-cluster\.yaml: a symbolic link to a file that does not exist: "
                              r"nothing of it is used yet")
        self.assertEqual(self.read("demo/web.json"), good)
        mark = a.log_mark()
        os.unlink(os.path.join(self.local, "30-cluster.yaml"))
        without = self.expected("demo/web.json")
        self.assertNotEqual(without, good)
        self.wait_bytes("demo/web.json", without)
        a.wait_log(r"ClusterSeccompPolicy baseline", mark)


def main():
    if not os.access(H.KSCMP, os.X_OK):
        print(f"{H.KSCMP} is missing: run `make build/kscmp` first", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    if not os.access(H.SECCOMP_LOAD, os.X_OK):
        print(f"note: {H.SECCOMP_LOAD} is absent: profiles are not loaded into the kernel",
              file=sys.stderr)
    bindir = H.snapshot_binary()
    print(f"agent: {H.KSCMP} (a copy of build/kscmp)")
    try:
        return H.run_tests(AgentTest, sys.argv[1:])
    finally:
        shutil.rmtree(bindir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
