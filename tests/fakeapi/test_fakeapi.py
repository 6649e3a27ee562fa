#!/usr/bin/env python3
"""test_fakeapi.py - `kscmp agent` against an API server that misbehaves on purpose.

fakeapi.py stands in for kube-apiserver where a real one cannot be made to fail on cue: a
kind that answers 404 on the relist after a 410 (as an API server that restarts and has not
registered its CRD routes yet), 500s, bodies that are not JSON, slow answers, huge pods and
watch events; and, where a cluster is too slow a place for it, what the agent tells of pods
running under an older profile. Every test asserts what the node's disk holds and what the
agent tells.

Ends with one line `N passed, N failed`.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import fakeapi  # noqa: E402
import harness as H  # noqa: E402

NODE = "node-a"


def ns(name, labels=None):
    return {"metadata": {"name": name, "labels": labels or {}}}


def pod(namespace, name, ref, labels=None, node=NODE, extra_spec=None):
    spec = {"nodeName": node,
            "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": ref}},
            "containers": [{"name": "c", "image": "busybox"}]}
    spec.update(extra_spec or {})
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
            "spec": spec}


def policy(namespace, name, spec):
    return {"metadata": {"name": name, "namespace": namespace}, "spec": spec}


def ready_policy(namespace, name, spec):
    """A policy whose status an agent has made Ready."""
    pol = policy(namespace, name, spec)
    pol["metadata"]["generation"] = 1
    pol["status"] = {"observedGeneration": 1, "conditions": [
        {"type": "Ready", "status": "True", "reason": "Compiled", "message": "ok",
         "lastTransitionTime": "2026-12-07T00:00:00Z", "observedGeneration": 1}]}
    return pol


def cluster_policy(name, spec):
    return {"metadata": {"name": name}, "spec": spec}


BASELINE = {"selector": {}, "namespaceSelector": {"matchLabels": {"env": "prod"}},
            "rules": [{"syscalls": ["bpf", "keyctl", "ptrace", "add_key"], "action": "Block"}]}
WEB = {"rules": [{"syscalls": ["mkdir"], "action": "Block"}]}


class KubeAgent:
    """`kscmp agent --kubeconfig` for node-a against the fake, its log in a file."""

    def __init__(self, kubeconfig, root, logpath, extra=(), env=None, binary=None):
        self.kubeconfig, self.root, self.logpath, self.extra = kubeconfig, root, logpath, extra
        self.env = env
        self.binary = binary or H.KSCMP
        self.proc = None

    def start(self):
        self.port = H.free_port()
        log = open(self.logpath, "ab")
        self.mark = log.tell()
        self.proc = subprocess.Popen(
            [self.binary, "agent", "--kubeconfig", self.kubeconfig, "--node-name", NODE,
             "--kubelet-root", self.root, "--metrics-addr", f"127.0.0.1:{self.port}",
             "--node-taint", "off"] + list(self.extra),
            stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            env=dict(os.environ, **self.env) if self.env else None)
        log.close()
        H.wait_until(lambda: self.proc.poll() is not None or self.get("/healthz")[0] == 200, 20,
                     "/healthz")
        if self.proc.poll() is not None:
            raise AssertionError(f"the agent exited {self.proc.returncode}:\n{self.log()[-3000:]}")
        return self

    def get(self, path):
        return H.http_get(self.port, path)

    def ready(self):
        return self.get("/readyz")[0] == 200

    def metric(self, key):
        st, body = self.get("/metrics")
        return H.parse_metrics(body).get(key, 0.0) if st == 200 else 0.0

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")

    def log_mark(self):
        return os.path.getsize(self.logpath)

    def wait_log(self, pattern, mark=0, timeout=15):
        import re
        rx = re.compile(pattern)

        def seen():
            with open(self.logpath, "rb") as f:
                f.seek(mark)
                return rx.search(f.read().decode(errors="replace"))
        return H.wait_until(seen, timeout, f"log line /{pattern}/")

    def status(self):
        return H.proc_status(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None


class FakeApiTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kscmp-fake-")
        self.api = fakeapi.FakeAPI(self.tmp).start()
        self.kubeconfig = self.api.kubeconfig(os.path.join(self.tmp, "kubeconfig"))
        self.root = os.path.join(self.tmp, "kubelet")
        os.makedirs(self.root)
        self.agents = []
        self.api.put("namespaces", ns("demo", {"env": "prod"}))
        self.api.put("namespaces", ns("other"))

    def tearDown(self):
        for a in self.agents:
            a.stop()
        self.logs = [(a.logpath, a.log()) for a in self.agents]
        self.api.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def agent(self, wait_ready=True, extra=(), env=None, binary=None):
        a = KubeAgent(self.kubeconfig, self.root, os.path.join(self.tmp, "agent.log"), extra, env, binary)
        self.agents.append(a)
        a.start()
        if wait_ready:
            H.wait_until(a.ready, 30, "/readyz 200")
        return a

    def read(self, rel):
        try:
            with open(os.path.join(H.store_dir(self.root), rel), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def blocked(self, rel):
        """The syscalls the profile gives a non-allow action to."""
        data = self.read(rel)
        if data is None:
            return None
        prof = json.loads(data)
        return {n for b in prof.get("syscalls", []) if b["action"] != "SCMP_ACT_ALLOW"
                for n in b["names"]}

    def disk(self):
        return {rel: (data, os.lstat(os.path.join(H.store_dir(self.root), rel)).st_ino)
                for rel, data in H.profiles_on_disk(self.root).items()}

    # -- issue 15 item 1: a 404 never deletes ----------------------------------------------------

    def test_01_relist_404_keeps_objects(self):
        """A watch that ends with 410, then a relist that answers 404 (an API server that has not
        registered the CRD routes yet): the ClusterSeccompPolicy stays in force, the file keeps
        its blocks, even when another change recomputes it; once listed again, all is well; the
        policy leaves only when it is deleted."""
        self.api.put("clusterseccomppolicies", cluster_policy("baseline", BASELINE))
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json"))
        a = self.agent()
        H.wait_until(lambda: self.blocked("demo/web.json") and
                     {"bpf", "keyctl", "mkdir"} <= self.blocked("demo/web.json"), 20,
                     "web.json with the baseline's and web's blocks")
        mark = a.log_mark()
        lists = self.api.count("GET", "/apis/kscmp.io/v1/clusterseccomppolicies?limit")
        self.api.fault("clusterseccomppolicies", "list", "status", status=404)
        self.api.fault("clusterseccomppolicies", "watch", "gone", count=1)
        self.api.end_watches("clusterseccomppolicies")
        relisted = lambda n: self.api.count(  # noqa: E731
            "GET", "/apis/kscmp.io/v1/clusterseccomppolicies?limit") >= lists + n
        H.wait_until(lambda: relisted(1), 30, "the relist after the 410, answered 404")
        a.wait_log(r"clusterseccomppolicies: not served", mark)  # the 404 is taken in
        # A change that recomputes the file: the baseline is still part of it.
        self.api.put("seccomppolicies", policy("demo", "web", {
            "rules": [{"syscalls": ["mkdir", "chmod"], "action": "Block"}]}))
        H.wait_until(lambda: "chmod" in (self.blocked("demo/web.json") or set()), 20,
                     "web.json recomputed")
        self.assertTrue({"bpf", "keyctl", "ptrace", "add_key", "mkdir"}
                        <= self.blocked("demo/web.json"))
        self.assertEqual(a.get("/readyz")[0], 200)
        a.wait_log(r"clusterseccomppolicies: not served \(404\): the 1 object\(s\) known are kept",
                   mark)
        H.wait_until(lambda: relisted(3), 30, "the list tried again (backoff)")
        # Served again: listed, nothing lost; then deleted: it leaves.
        self.api.clear_fault("clusterseccomppolicies")
        a.wait_log(r"clusterseccomppolicies: now served|watch", mark)
        self.api.delete("clusterseccomppolicies", "baseline")
        H.wait_until(lambda: "keyctl" not in (self.blocked("demo/web.json") or {"keyctl"}), 30,
                     "web.json without the deleted baseline")
        self.assertIn("mkdir", self.blocked("demo/web.json"))

    def test_02_start_with_404_changes_nothing(self):
        """An agent (re)started while the API server answers 404 for kscmp's kinds does not
        sync: the files on disk stay as they are, /readyz is 503; once the kinds are served
        it converges."""
        self.api.put("clusterseccomppolicies", cluster_policy("baseline", BASELINE))
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json"))
        a = self.agent()
        H.wait_until(lambda: self.read("demo/web.json"), 20, "web.json")
        self.assertEqual(a.stop(), 0)
        before = self.disk()
        self.api.fault("seccomppolicies", "list", "status", status=404)
        self.api.fault("clusterseccomppolicies", "list", "status", status=404)
        lists = self.api.count("GET", "/apis/kscmp.io/v1/seccomppolicies?limit")
        b = self.agent(wait_ready=False)
        listed = lambda n: self.api.count(  # noqa: E731
            "GET", "/apis/kscmp.io/v1/seccomppolicies?limit") >= lists + n
        H.wait_until(lambda: listed(1) and self.api.count(
            "GET", "/apis/kscmp.io/v1/clusterseccomppolicies?limit") >= 2, 30, "the lists")
        time.sleep(0.5)  # what a sync after the lists would have done, it would have by now
        self.assertEqual(b.get("/readyz")[0], 503)
        self.assertEqual(self.disk(), before)
        H.wait_until(lambda: listed(3), 30, "lists tried again (backoff)")
        self.assertEqual(self.disk(), before)
        b.wait_log(r"seccomppolicies: not served \(404\): its CustomResourceDefinition is not "
                   r"installed, or the API server is still starting")
        self.api.clear_fault()
        H.wait_until(b.ready, 60, "/readyz 200 once served")
        self.assertEqual(self.disk(), before)

    def test_03_optional_kind_404_asks_readiness(self):
        """The KubeArmor kind may be missing: a 404 for it counts as "not installed" only once
        the API server says it is ready (/readyz); while it is not, nothing syncs. A CRD
        installed later is picked up."""
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json"))
        self.api.fault("kubearmorseccomppolicies", "list", "status", status=404)
        self.api.readyz = 500
        a = self.agent(wait_ready=False)
        H.wait_until(lambda: self.api.count("GET", "/readyz") >= 2 or a.ready(), 30,
                     "the API server's readiness asked twice (or the agent ready)")
        self.assertEqual(a.get("/readyz")[0], 503)
        self.assertIsNone(self.read("demo/web.json"))
        a.wait_log(r"kubearmorseccomppolicies: not served \(404\) while the API server is not "
                   r"ready")
        self.api.readyz = 200
        a.wait_log(r"kubearmorseccomppolicies: not served by the API server \(CRD not installed\)")
        H.wait_until(a.ready, 30, "/readyz 200")
        self.assertEqual(self.blocked("demo/web.json"), {"mkdir"})

    def test_15_kubearmor_policies_off(self):
        """--kubearmor-policies=off (the chart's crds.kubearmorCompat: false, where another
        product owns the kind): its objects are never asked for, so they neither shape a
        profile nor get a status; the agent is ready without them."""
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        self.api.put("kubearmorseccomppolicies",
                     policy("demo", "theirs", {"selector": {"matchLabels": {"app": "web"}},
                                               "seccomp": {"syscalls": ["chmod"],
                                                           "action": "Block"}}))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json", {"app": "web"}))
        a = self.agent(extra=["--kubearmor-policies=off"])
        H.wait_until(lambda: self.read("demo/web.json"), 20, "web.json")
        self.assertEqual(self.blocked("demo/web.json"), {"mkdir"})
        a.wait_log(r"kubearmorseccomppolicies: not read \(--kubearmor-policies=off\)")
        self.assertEqual(self.api.count("GET", "/apis/security.kubearmor.com"), 0)
        self.assertEqual(self.api.count("PATCH", "/apis/security.kubearmor.com"), 0)
        # SIGHUP lists every kind again: still not this one.
        a.proc.send_signal(signal.SIGHUP)
        a.wait_log(r"SIGHUP")
        time.sleep(0.5)
        self.assertEqual(self.api.count("GET", "/apis/security.kubearmor.com"), 0)
        # On (the default), the same objects count.
        a.stop()
        self.agent()
        H.wait_until(lambda: self.blocked("demo/web.json") == {"mkdir", "chmod"}, 20,
                     "chmod blocked by the KubeArmor policy")

    # -- issue 9 item 10: no kind is left unwatched ------------------------------------------------

    def test_04_failures_are_retried(self):
        """Lists that answer 500, bodies that are not JSON, a slow answer and watches that fail
        are all tried again with backoff; every kind ends up listed and watched, and the files
        follow the objects."""
        for res in ("pods", "seccomppolicies", "namespaces"):
            self.api.fault(res, "list", "status", status=500, count=2)
        self.api.fault("clusterseccomppolicies", "list", "garbage", count=2)
        self.api.fault("kubearmorseccomppolicies", "list", "slow", seconds=3, count=1)
        for res in fakeapi.KINDS:
            self.api.fault(res, "watch", "status", status=500, count=1)
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json"))
        a = self.agent(wait_ready=False)
        H.wait_until(a.ready, 60, "/readyz 200 after the failures")
        for res in ("pods", "seccomppolicies", "clusterseccomppolicies", "namespaces",
                    "kubearmorseccomppolicies"):
            H.wait_until(lambda: any("watch=1" in p and f"/{res}?" in p
                                     for m, p in self.api.requests[-200:]), 30,
                         f"a watch of {res}")
        self.assertEqual(self.blocked("demo/web.json"), {"mkdir"})
        # Changes still arrive through the watches.
        self.api.put("clusterseccomppolicies", cluster_policy("baseline", BASELINE))
        H.wait_until(lambda: "keyctl" in (self.blocked("demo/web.json") or set()), 30,
                     "the baseline seen through the watch")

    def test_04_stalled_watch_given_up(self):
        """A watch that answers and then sends nothing (a connection that died without a word)
        is given up on once it has been quiet for KSCMP_WATCH_STALL_SECONDS (150 by default),
        with libcurl's words for it, and watched again: a change made meanwhile arrives."""
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json"))
        self.api.fault("clusterseccomppolicies", "watch", "mute", count=1)
        a = self.agent(env={"KSCMP_WATCH_STALL_SECONDS": "3"})
        self.api.put("clusterseccomppolicies", cluster_policy("baseline", BASELINE))
        a.wait_log(r"clusterseccomppolicies.*Operation too slow: nothing received on the watch "
                   r"for [34] seconds", timeout=20)
        H.wait_until(lambda: "keyctl" in (self.blocked("demo/web.json") or set()), 30,
                     "the baseline seen through the watch started again")

    def test_05_allocation_failures_are_retried(self):
        """Every way starting a list or a watch can fail (the request's path cannot be
        allocated, libcurl cannot make a handle) is retried with backoff: with those failures
        injected into the real binary (LD_PRELOAD), every kind is still listed and watched."""
        shim = os.path.join(H.REPO, "build", "tools", "failalloc.so")
        if not os.path.exists(shim):
            self.skipTest("build/tools/failalloc.so is missing (make build/tools/failalloc.so)")
        # LD_PRELOAD reaches only a dynamically linked program: build/kscmp is static
        # (make LINK=static), build/kscmp-shared is the same objects on shared libraries.
        shared = os.path.join(H.REPO, "build", "kscmp-shared")
        if not os.access(shared, os.X_OK):
            self.skipTest("build/kscmp-shared is missing (make build/kscmp-shared)")
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json"))
        a = self.agent(wait_ready=False, env={
            "LD_PRELOAD": shim, "KSCMP_FAIL_FORMATS": "%s?watch=1,%s?limit=",
            "KSCMP_FAIL_TIMES": "6", "KSCMP_FAIL_CURL_INIT": "4",
            "KSCMP_FAIL_CURL_SKIP": "1"}, binary=shared)
        H.wait_until(a.ready, 60, "/readyz 200 despite the failures")
        for res in ("pods", "seccomppolicies", "clusterseccomppolicies", "namespaces",
                    "kubearmorseccomppolicies"):
            H.wait_until(lambda: any("watch=1" in p and f"/{res}?" in p
                                     for m, p in list(self.api.requests)), 60,
                         f"a watch of {res}")
        self.api.put("clusterseccomppolicies", cluster_policy("baseline", BASELINE))
        self.api.put("pods", pod("demo", "web-2", "kscmp/demo/web2.json"))
        self.api.put("seccomppolicies", policy("demo", "web2", WEB))
        H.wait_until(lambda: "keyctl" in (self.blocked("demo/web.json") or set())
                     and self.read("demo/web2.json"), 30, "changes seen through every watch")
        self.assertEqual(a.stop(), 0)
        log = a.log()
        self.assertIn('asprintf "%s?watch=1" failed 6 time(s)', log)
        self.assertIn('asprintf "%s?limit=" failed 6 time(s)', log)
        self.assertIn("curl_easy_init failed 4 time(s)", log)
        self.assertIn("cannot start the watch: out of memory", log)

    # -- issue 15 item 4: API memory -----------------------------------------------------------

    def test_08_sighup_proves_refused_profiles_again(self):
        """In a cluster too, SIGHUP forgets the profiles refused before and computes every file
        again, though the relist brings no change: a profile refused because its proof worker
        crashed is proven again, and written."""
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json"))
        a = self.agent()
        H.wait_until(lambda: self.blocked("demo/web.json") == {"mkdir"}, 20, "web.json")
        with open(f"/proc/{a.proc.pid}/task/{a.proc.pid}/children") as f:
            workers = [int(x) for x in f.read().split()]
        for w in workers:
            os.kill(w, signal.SIGSTOP)
        mark = a.log_mark()
        self.api.put("seccomppolicies", policy("demo", "web", {
            "rules": [{"syscalls": ["mkdir", "chmod"], "action": "Block"}]}))
        held = H.wait_until(lambda: [w for w in workers if H.pending_input(w) > 0], 20,
                            "the proof sent to a stopped worker")[0]
        os.kill(held, signal.SIGABRT)  # as glibc aborts on a heap libseccomp corrupted
        for w in workers:
            os.kill(w, signal.SIGCONT)
        a.wait_log(r"kscmp/demo/web\.json: the compiled profile is refused, the previous file "
                   r"stays: libseccomp crashed", mark)
        self.assertEqual(self.blocked("demo/web.json"), {"mkdir"})
        mark = a.log_mark()
        a.proc.send_signal(signal.SIGHUP)
        a.wait_log(r"SIGHUP: 1 refused profile\(s\) forgotten", mark)
        H.wait_until(lambda: self.blocked("demo/web.json") == {"mkdir", "chmod"}, 20,
                     "web.json proven again and written")
        self.assertTrue(a.ready())

    def test_09_taint_refusal_says_why(self):
        """The API server refuses to take the node's taint off (an admission policy: an agent
        run outside its pod may change no Node): the log gives the API server's reason, not
        only its HTTP status."""
        self.api.put("nodes", {"metadata": {"name": NODE}, "spec": {"taints": [
            {"key": "kscmp.io/agent-not-ready", "effect": "NoSchedule"}]}})
        why = ("ValidatingAdmissionPolicy 'kscmp-agent-node-taint' with binding "
               "'kscmp-agent-node-taint' denied request: the kscmp agent may change only the "
               "Node its own pod runs on")
        self.api.fault("nodes", "patch", "status", status=422, message=why)
        a = self.agent(extra=["--node-taint", "on"])
        a.wait_log(r"node node-a: taint kscmp\.io/agent-not-ready not removed yet: PATCH node: "
                   r"HTTP 422: ValidatingAdmissionPolicy 'kscmp-agent-node-taint' with binding "
                   r"'kscmp-agent-node-taint' denied request: the kscmp agent may change only "
                   r"the Node its own pod runs on \(again in \d+ ms\)")

    def test_10_status_says_the_selector_warning(self):
        """A ClusterSeccompPolicy with a namespaceSelector and no selector selects no pod: its
        status says so (Valid, with the warning), not only the agent's log."""
        self.api.put("clusterseccomppolicies", cluster_policy("nosel", {
            "namespaceSelector": {"matchLabels": {"env": "prod"}},
            "rules": [{"syscalls": ["bpf"], "action": "Block"}]}))
        self.agent()

        def message():
            o = self.api.get("clusterseccomppolicies", "nosel") or {}
            conds = (o.get("status") or {}).get("conditions") or [{}]
            return conds[0].get("message", "")
        H.wait_until(lambda: "warning" in message(), 30, "the status of nosel")
        self.assertRegex(message(), r"^compiled; warning: .*spec\.namespaceSelector is set but "
                                    r"spec\.selector is not: the policy selects no pod")

    def big_pod(self, name, size):
        """A pod of about size bytes of JSON whose bulk is a long array of small numbers (the
        most expensive kind of JSON to hold as a tree)."""
        groups = [1] * (size // 2)
        return pod("demo", name, f"kscmp/demo/{name}.json",
                   extra_spec={"securityContext": {
                       "seccompProfile": {"type": "Localhost",
                                          "localhostProfile": f"kscmp/demo/{name}.json"},
                       "supplementalGroups": groups}})

    # -- trial ROUGH 11: staleness by content ------------------------------------------------------

    def web_running_after_its_file(self):
        """demo/web and its pod web-1, whose container started (its status says) a second after
        its file was written: the agent and the file's bytes."""
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        p = pod("demo", "web-1", "kscmp/demo/web.json")
        self.api.put("pods", p)
        a = self.agent()
        first = H.wait_until(lambda: self.read("demo/web.json"), 20, "demo/web.json")
        mtime = os.stat(os.path.join(H.store_dir(self.root), "demo/web.json")).st_mtime
        time.sleep(max(0.0, int(mtime) + 2 - time.time()))  # the container starts after it
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        p["status"] = {"phase": "Running", "containerStatuses": [
            {"name": "c", "state": {"running": {"startedAt": started}}}]}
        self.api.put("pods", p)
        return a, first

    def test_11_same_bytes_again_not_stale(self):
        """Trial ROUGH 11: a policy deleted (its pod's file removed: NoPolicy) and made again
        identical writes the file again with the same bytes: the running container, which
        started under them, is not reported ProfileStale. A change of the bytes is."""
        a, first = self.web_running_after_its_file()

        def stale_events():
            return [e for e in self.api.objects.get("events", {}).values()
                    if e.get("reason") == "ProfileStale"]
        self.api.delete("seccomppolicies", "demo/web")
        H.wait_until(lambda: self.read("demo/web.json") is None, 20, "demo/web.json removed")
        time.sleep(1.1)  # written again in a later second
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        H.wait_until(lambda: self.read("demo/web.json"), 20, "demo/web.json written again")
        self.assertEqual(self.read("demo/web.json"), first)
        time.sleep(1.5)  # the check after the write
        self.assertEqual(stale_events(), [])
        self.assertEqual(a.metric("kscmp_pods_stale_profiles"), 0)
        # Other bytes: the container runs under the older profile.
        self.api.put("seccomppolicies", policy("demo", "web", {
            "rules": [{"syscalls": ["mkdir", "chmod"], "action": "Block"}]}))
        evs = H.wait_until(stale_events, 20, "a ProfileStale Event")
        self.assertIn("kscmp/demo/web.json", evs[0]["message"])
        self.assertEqual(evs[0]["involvedObject"]["name"], "web-1")

    def test_12_same_bytes_again_after_a_restart(self):
        """The same as test_11 with the agent restarted between the container's start and the
        policy's deletion (a rollout): the new agent knows the bytes on disk from its first
        check, so the same bytes written again are no ProfileStale either (the second trial's
        B2)."""
        a, first = self.web_running_after_its_file()
        time.sleep(1.5)
        self.assertEqual(a.stop(), 0)
        self.agents.remove(a)
        a = self.agent()

        def stale_events():
            return [e for e in self.api.objects.get("events", {}).values()
                    if e.get("reason") == "ProfileStale"]
        time.sleep(1.1)
        self.assertEqual(stale_events(), [])
        self.api.delete("seccomppolicies", "demo/web")
        H.wait_until(lambda: self.read("demo/web.json") is None, 20, "demo/web.json removed")
        time.sleep(1.1)  # written again in a later second
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        H.wait_until(lambda: self.read("demo/web.json"), 20, "demo/web.json written again")
        self.assertEqual(self.read("demo/web.json"), first)
        time.sleep(1.5)  # the check after the write
        self.assertEqual([e.get("message") for e in stale_events()], [])
        self.assertEqual(a.metric("kscmp_pods_stale_profiles"), 0)

    def test_06_big_pods_bounded_memory(self):
        """Five pods of 1.41 MiB each (under etcd's limit) at start: the agent's peak RSS stays
        under 48 MiB (it was 219 MB) and every pod gets its file."""
        for i in range(5):
            self.api.put("seccomppolicies", policy("demo", f"big{i}", WEB))
            self.api.put("pods", self.big_pod(f"big{i}", int(1.41 * (1 << 20))))
        a = self.agent(wait_ready=False)
        H.wait_until(a.ready, 60, "/readyz 200")
        for i in range(5):
            H.wait_until(lambda: self.read(f"demo/big{i}.json"), 20, f"demo/big{i}.json")
        hwm = a.status()["VmHWM"]
        print(f"\n    5 pods of 1.41 MiB at start: agent VmHWM {hwm / 1024:.1f} MiB, VmRSS "
              f"{a.status()['VmRSS'] / 1024:.1f} MiB", file=sys.stderr)
        self.assertLess(hwm, 48 * 1024, f"VmHWM {hwm} kB")

    def test_07_huge_watch_event_bounded_memory(self):
        """A watch event of 29.75 MiB is refused (over the 16 MiB a watch event may have) without
        the agent's RSS following it (it reached 815 MB); a 3 MiB one is taken in; the agent
        goes on watching and its memory comes back down."""
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json"))
        a = self.agent()
        mark = a.log_mark()
        self.api.fault("pods", "watch", "line", size=int(29.75 * (1 << 20)), count=1)
        self.api.end_watches("pods")
        a.wait_log(r"larger than 16777216 bytes", mark, timeout=30)
        # A big pod that is within the limit: taken in, its file written.
        self.api.put("seccomppolicies", policy("demo", "big", WEB))
        self.api.put("pods", self.big_pod("big", 3 << 20))
        H.wait_until(lambda: self.read("demo/big.json"), 60, "demo/big.json")
        self.api.put("pods", pod("demo", "web-2", "kscmp/demo/web2.json"))
        self.api.put("seccomppolicies", policy("demo", "web2", WEB))
        H.wait_until(lambda: self.read("demo/web2.json"), 30, "demo/web2.json")
        st = a.status()
        print(f"\n    a 29.75 MiB and a 3 MiB watch event: agent VmHWM {st['VmHWM'] / 1024:.1f} "
              f"MiB, VmRSS after {st['VmRSS'] / 1024:.1f} MiB", file=sys.stderr)
        self.assertLess(st["VmHWM"], 48 * 1024, f"VmHWM {st['VmHWM']} kB")
        self.assertLess(st["VmRSS"], 32 * 1024, f"VmRSS {st['VmRSS']} kB")

    def test_13_escaped_pods_are_taken(self):
        """A tenant's Pod whose strings are full of '<' (1.4 MiB in etcd, as protobuf) comes as
        ~8.4 MiB of JSON: each '<' written \\u003c, as the API server does. Listed at start and
        watched after, such Pods are taken in and their files written, and a small pod after
        them too (the limits were 4 and 8 MiB: the watch of pods, or the list, stalled for
        good). One over the limits is refused, and named in the log."""
        def escaped(name, n):
            p = pod("demo", name, f"kscmp/demo/{name}.json")
            p["spec"]["containers"][0]["env"] = [{"name": "X", "value": "<" * n}]
            return p
        for name in ("listed", "watched", "small", "over"):
            self.api.put("seccomppolicies", policy("demo", name, WEB))
        self.api.put("pods", escaped("listed", 1400000))
        a = self.agent(wait_ready=False)
        H.wait_until(a.ready, 60, "/readyz 200")
        H.wait_until(lambda: self.read("demo/listed.json"), 20, "demo/listed.json")
        self.api.put("pods", escaped("watched", 1400000))
        self.api.put("pods", pod("demo", "small", "kscmp/demo/small.json"))
        H.wait_until(lambda: self.read("demo/watched.json"), 60, "demo/watched.json")
        H.wait_until(lambda: self.read("demo/small.json"), 30, "demo/small.json")
        # Past the limit (an etcd whose limit was raised): the event is refused and the watch
        # asked again, with the object named (the kind waits for it; docs/agent.md).
        mark = a.log_mark()
        self.api.put("pods", escaped("over", 3000000))  # ~18 MB of JSON
        a.wait_log(r"a watch event \(of demo/over\) is larger than 16777216 bytes", mark,
                   timeout=30)

    def test_14_cli_list_does_not_loop(self):
        """A server whose list never ends (empty pages, each with the same continue token):
        `kscmp status` stops at once and says so, exit 1 (it asked for pages forever)."""
        self.api.fault("seccomppolicies", "list", "endless")
        p = subprocess.run([H.KSCMP, "status", "-A", "--kubeconfig", self.kubeconfig],
                           capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("the same continue token twice", p.stderr)
        self.assertLess(self.api.count("GET", "/apis/kscmp.io/v1/seccomppolicies"), 5)
        # The agent neither: a new list each time, with backoff, said.
        a = self.agent(wait_ready=False)
        a.wait_log(r"seccomppolicies: the API server gave the same continue token twice", 0,
                   timeout=20)
        time.sleep(2)
        self.assertLess(self.api.count("GET", "/apis/kscmp.io/v1/seccomppolicies"), 40)
        self.api.clear_fault("seccomppolicies", "list")
        H.wait_until(a.ready, 60, "/readyz 200")

    def test_16_cli_not_a_list_is_no_ok(self):
        """A list answered with HTTP 200 and no items array (a Status from a proxy): `kscmp
        status` fails, naming the path and the server's words, never "OK" with nothing read."""
        self.api.put("seccomppolicies", policy("demo", "web", {"extends": "missing"}))
        self.api.fault("seccomppolicies", "list", "status200")
        p = subprocess.run([H.KSCMP, "status", "-A", "--kubeconfig", self.kubeconfig],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertNotIn("OK:", p.stdout)
        self.assertIn("/apis/kscmp.io/v1/seccomppolicies: the answer is not a list (kind Status: "
                      "etcdserver: request timed out", p.stderr)

    def test_16b_cli_gives_up_in_time(self):
        """A server that pages for good (empty pages, a new token each) is given up after 100
        such pages; one that answers slowly, when --timeout runs out (exit 1, said), not after
        each request's 60 s."""
        self.api.fault("seccomppolicies", "list", "newtoken")
        p = subprocess.run([H.KSCMP, "status", "-A", "--kubeconfig", self.kubeconfig],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("100 pages in a row without an item", p.stderr)
        self.api.clear_fault()
        self.api.fault("seccomppolicies", "list", "slow", seconds=20)
        t0 = time.monotonic()
        p = subprocess.run([H.KSCMP, "status", "-A", "--timeout", "2s", "--kubeconfig",
                            self.kubeconfig], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("when the command's time was up (2 s; --timeout)", p.stderr)
        self.assertLess(time.monotonic() - t0, 15)

    def test_17_cli_text_shows_control_characters(self):
        """Strings from the cluster (a policy's status message here; Events' alike) go to a
        terminal with their control characters shown, not acted on: an ESC sequence and a CR
        could erase the line and print "OK" in its place. -o json keeps them exact."""
        pol = policy("demo", "web2", WEB)
        pol["metadata"]["generation"] = 1
        pol["status"] = {"observedGeneration": 1, "conditions": [
            {"type": "Ready", "status": "False", "reason": "Invalid",
             "message": "bad\u001b[2K\rOK: all fine" + "x" * 5000,
             "lastTransitionTime": "2026-12-07T00:00:00Z", "observedGeneration": 1}]}
        self.api.put("seccomppolicies", pol)
        p = subprocess.run([H.KSCMP, "status", "-A", "--kubeconfig", self.kubeconfig],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertNotIn("\u001b", p.stdout)
        self.assertNotIn("\r", p.stdout)
        self.assertIn("bad\\x1b[2K\\x0dOK: all fine", p.stdout)
        self.assertIn("(3", p.stdout)  # "... (3015 bytes more)": a long message is cut
        p = subprocess.run([H.KSCMP, "status", "-A", "-o", "json", "--kubeconfig",
                            self.kubeconfig], capture_output=True, text=True, timeout=30)
        self.assertTrue(json.loads(p.stdout)["notReady"][0]["message"].startswith(
            "bad\u001b[2K\rOK: all fine"), p.stdout[:300])

    # -- trial-live48 BUG 2: the CLI reads KubeArmor objects only when the agents do ----------

    def cli(self, *args):
        return subprocess.run([H.KSCMP] + list(args) + ["--kubeconfig", self.kubeconfig],
                              capture_output=True, text=True, timeout=60)

    def kubearmor_world(self):
        """Another product's KubeArmorSeccompPolicy (no agent ever reports on it: Pending) that
        selects demo/web-1, beside a kscmp policy the agent has made Ready."""
        self.api.put("seccomppolicies", ready_policy("demo", "web", WEB))
        self.api.put("kubearmorseccomppolicies",
                     policy("demo", "theirs", {"selector": {"matchLabels": {"app": "web"}},
                                               "seccomp": {"syscalls": ["chmod"],
                                                           "action": "Block"}}))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json", {"app": "web"}))

    def agent_set(self, name, args, command=None, namespace="kscmp-system", ready=0):
        """kscmp DaemonSet namespace/name (uid uid-NAMESPACE-NAME), ready of as many nodes."""
        ctr = {"name": "agent", "image": "registry.invalid/kscmp:1", "args": args}
        if command:
            ctr["command"] = command
        self.api.put("daemonsets", {
            "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}",
                         "labels": {"app.kubernetes.io/part-of": "kscmp",
                                    "app.kubernetes.io/component": "agent"}},
            "spec": {"template": {"spec": {"containers": [ctr]}}},
            "status": {"desiredNumberScheduled": ready, "numberReady": ready}})

    def assert_kubearmor_counted(self, why, *flags):
        p = self.cli("status", "-n", "demo", *flags)
        self.assertEqual(p.returncode, 1, why + ": " + p.stdout + p.stderr)
        self.assertIn("KubeArmorSeccompPolicy demo/theirs  Pending: no agent has reported", p.stdout,
                      why)
        j = json.loads(self.cli("status", "-n", "demo", "-o", "json", *flags).stdout)
        self.assertEqual([x["name"] for x in j["notReady"]], ["theirs"], why)
        self.assertTrue(j["kubearmorPolicies"]["read"], why)
        p = self.cli("explain", "pod", "web-1", "-n", "demo", *flags)
        self.assertEqual(p.returncode, 0, why + ": " + p.stdout + p.stderr)
        self.assertIn("KubeArmorSeccompPolicy demo/theirs", p.stdout, why)
        j = json.loads(self.cli("explain", "pod", "web-1", "-n", "demo", "-o", "json",
                                *flags).stdout)
        self.assertEqual(sorted(c["kind"] for c in j["files"][0]["contributors"]),
                         ["KubeArmorSeccompPolicy", "SeccompPolicy"], why)
        self.assertIn("chmod", json.dumps(j["files"][0]["profile"]), why)
        return p

    def assert_kubearmor_left_out(self, why, *flags):
        before = self.api.count("GET", "/apis/security.kubearmor.com")
        p = self.cli("status", "-n", "demo", *flags)
        self.assertEqual(p.returncode, 0, why + ": " + p.stdout + p.stderr)
        self.assertNotIn("demo/theirs", p.stdout, why)
        self.assertIn("KubeArmorSeccompPolicies: not read, as the agents do not read them (",
                      p.stdout, why)
        self.assertIn("OK: every policy is Ready", p.stdout, why)
        j = json.loads(self.cli("status", "-n", "demo", "-o", "json", *flags).stdout)
        self.assertEqual((j["problems"], j["notReady"], j["kubearmorPolicies"]["read"]),
                         (0, [], False), why)
        p = self.cli("explain", "pod", "web-1", "-n", "demo", *flags)
        self.assertEqual(p.returncode, 0, why + ": " + p.stdout + p.stderr)
        self.assertNotIn("theirs", p.stdout, why)
        self.assertIn("KubeArmorSeccompPolicies: not read", p.stdout, why)
        self.assertIn("On the node: the merge of the policies above (every contributor is Ready)",
                      p.stdout, why)
        j = json.loads(self.cli("explain", "pod", "web-1", "-n", "demo", "-o", "json",
                                *flags).stdout)
        self.assertEqual([c["kind"] for c in j["files"][0]["contributors"]], ["SeccompPolicy"],
                         why)
        self.assertNotIn("chmod", json.dumps(j["files"][0]["profile"]), why)
        # Not even asked for: a namespace owner without the right to them is not refused.
        self.assertEqual(self.api.count("GET", "/apis/security.kubearmor.com"), before, why)
        return p

    def test_18_cli_kubearmor_policies_off(self):
        """trial-live48 BUG 2: with the agents run with --kubearmor-policies=off (the chart's
        crds.kubearmorCompat: false), status and explain pod leave KubeArmorSeccompPolicies
        out (another product's objects, which no agent reports on) instead of counting them as
        Pending problems that never clear and as contributors to the pod's file."""
        self.kubearmor_world()
        # No DaemonSet: the agents' default (read), said while the kind is served.
        p = self.assert_kubearmor_counted("no DaemonSet")
        self.assertIn("KubeArmorSeccompPolicies: read, as the agents do by default (no "
                      "DaemonSet labelled", p.stdout)
        # The chart's DaemonSet without the flag (compat on): read, nothing to say.
        self.agent_set("kscmp", ["agent", "--kubelet-root=/var/lib/kubelet"])
        p = self.assert_kubearmor_counted("DaemonSet without the flag")
        self.assertNotIn("KubeArmorSeccompPolicies:", p.stdout)
        self.agent_set("kscmp", ["agent", "--kubearmor-policies=on"])
        self.assert_kubearmor_counted("DaemonSet with --kubearmor-policies=on")
        # The chart's DaemonSet with crds.kubearmorCompat: false.
        self.agent_set("kscmp", ["agent", "--kubelet-root=/var/lib/kubelet",
                                 "--kubearmor-policies=off", "--proof-workers=2"])
        p = self.assert_kubearmor_left_out("DaemonSet with --kubearmor-policies=off")
        self.assertIn("(DaemonSet kscmp-system/kscmp: --kubearmor-policies=off)", p.stdout)
        j = json.loads(self.cli("status", "-n", "demo", "-o", "json").stdout)
        self.assertEqual(j["kubearmorPolicies"]["from"], "daemonSets")
        # Written as the agent's getopt reads it too: the next argument, an abbreviation, the
        # last one winning; after "--" it is no option.
        self.agent_set("kscmp", ["--kubearmor", "off"], command=["kscmp", "agent"])
        self.assert_kubearmor_left_out("--kubearmor off, in command and args")
        self.agent_set("kscmp", ["agent", "--kubearmor-policies=on", "--kubearmor-pol=off"])
        self.assert_kubearmor_left_out("the last one: off")
        self.agent_set("kscmp", ["agent", "--kubearmor-policies=off", "--kubearmor-policies", "on"])
        self.assert_kubearmor_counted("the last one: on")
        self.agent_set("kscmp", ["agent", "--", "--kubearmor-policies=off"])
        self.assert_kubearmor_counted("after --")
        # The flag overrides the DaemonSets, either way.
        self.agent_set("kscmp", ["agent", "--kubearmor-policies=off"])
        self.assert_kubearmor_counted("--kubearmor-policies=on given", "--kubearmor-policies=on")
        p = self.cli("status", "-n", "demo", "--kubearmor-policies", "on", "-o", "json")
        self.assertEqual(json.loads(p.stdout)["kubearmorPolicies"]["from"], "flag")
        # One DaemonSet off, another on: some agents read them, so they count; said.
        self.agent_set("kscmp-gpu", ["agent"])
        p = self.assert_kubearmor_counted("mixed DaemonSets")
        self.assertIn("KubeArmorSeccompPolicies: read, as the agents of DaemonSet "
                      "kscmp-system/kscmp-gpu do (those of kscmp-system/kscmp run with "
                      "--kubearmor-policies=off", p.stdout)
        self.api.delete("daemonsets", "kscmp-system/kscmp-gpu")
        self.api.delete("daemonsets", "kscmp-system/kscmp")
        self.assert_kubearmor_left_out("no DaemonSet, --kubearmor-policies=off given",
                                       "--kubearmor-policies=off")
        p = self.cli("status", "-n", "demo", "--kubearmor-policies=maybe")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--kubearmor-policies \"maybe\": want on, off or auto", p.stderr)

    def test_18b_cli_kubearmor_daemonsets_unreadable(self):
        """DaemonSets that cannot be listed (HTTP 403, a namespace owner): the agents' default
        is taken (KubeArmor objects count, as before) and the output says why and how to say
        otherwise; --kubearmor-policies=off then leaves them out."""
        self.kubearmor_world()
        self.agent_set("kscmp", ["agent", "--kubearmor-policies=off"])
        self.api.fault("daemonsets", "list", "status", status=403,
                       message="daemonsets.apps is forbidden: User \"owner\" cannot list")
        p = self.assert_kubearmor_counted("DaemonSets unreadable")
        self.assertIn("KubeArmorSeccompPolicies: read, as the agents do by default: kscmp's "
                      "DaemonSets cannot be listed (", p.stdout)
        self.assertIn("(if they do, run this with --kubearmor-policies=off)", p.stdout)
        p = self.cli("status", "-n", "demo")
        self.assertIn("KubeArmorSeccompPolicies: read, as the agents do by default: kscmp's "
                      "DaemonSets cannot be listed (", p.stdout)
        j = json.loads(self.cli("status", "-n", "demo", "-o", "json").stdout)
        self.assertEqual(j["kubearmorPolicies"]["from"], "default")
        self.assert_kubearmor_left_out("DaemonSets unreadable, --kubearmor-policies=off",
                                       "--kubearmor-policies=off")

    def test_19_cli_explain_text_shows_control_characters(self):
        """explain pod writes what comes from the cluster with its control characters shown,
        as status does: a contributing policy's status message and a container's
        localhostProfile were written as they were."""
        pol = policy("demo", "web", WEB)
        pol["metadata"]["generation"] = 1
        pol["status"] = {"observedGeneration": 1, "conditions": [
            {"type": "Ready", "status": "False", "reason": "Invalid",
             "message": "bad\u001b[2K\rOK: all fine",
             "lastTransitionTime": "2026-12-07T00:00:00Z", "observedGeneration": 1}]}
        self.api.put("seccomppolicies", pol)
        p = pod("demo", "web-1", "kscmp/demo/web.json")
        p["spec"]["containers"].append({"name": "side", "image": "busybox", "securityContext": {
            "seccompProfile": {"type": "Localhost", "localhostProfile": "x\u001b[1Ay.json"}}})
        self.api.put("pods", p)
        r = self.cli("explain", "pod", "web-1", "-n", "demo")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("\u001b", r.stdout)
        self.assertNotIn("\r", r.stdout)
        self.assertIn("(Invalid: bad\\x1b[2K\\x0dOK: all fine)", r.stdout)
        self.assertIn("Localhost: x\\x1b[1Ay.json (not a kscmp profile)", r.stdout)
        j = json.loads(self.cli("explain", "pod", "web-1", "-n", "demo", "-o", "json").stdout)
        self.assertEqual(j["files"][0]["contributors"][0]["message"],
                         "bad\u001b[2K\rOK: all fine")

    # -- a recording's status the API server refuses (400, 422) ---------------------------------

    def recording_patches(self):
        return self.api.count("PATCH", "/apis/kscmp.io/v1/namespaces/demo/seccomprecordings/rec/status")

    def test_20b_failed_recording_status_backs_off(self):
        """A 500 on a SeccompRecording's status patch is tried again, after a backoff that
        grows (1, 2, 4 s ...), not at once in a loop; once the server answers, it is written."""
        self.api.fault("seccomprecordings", "patch", "status", status=500)
        rec = {"metadata": {"namespace": "demo", "name": "rec"}, "spec": {"policy": "Not_A_Name"}}
        self.api.put("seccomprecordings", rec)
        self.agent(extra=("--recording",))
        H.wait_until(lambda: self.recording_patches() >= 1, 30, "the first status patch")
        time.sleep(6)
        self.assertIn(self.recording_patches(), range(2, 6))
        self.api.clear_fault("seccomprecordings", "patch")
        H.wait_until(lambda: "Not_A_Name" in json.dumps(
            self.api.get("seccomprecordings", "demo/rec").get("status") or {}), 60,
            "the status written once the server answers")

    def test_20_refused_recording_status_not_resent(self):
        """A 422 on a SeccompRecording's status patch: the same bytes would be refused again, so
        it is said once (naming the recording and the server's message), counted, and not sent
        again until what the status says changes; then it is sent once more."""
        self.api.fault("seccomprecordings", "patch", "status", status=422,
                       message="status.nodes: Too many: 5001: must have at most 5000 items")
        rec = {"metadata": {"namespace": "demo", "name": "rec"}, "spec": {"policy": "Not_A_Name"}}
        self.api.put("seccomprecordings", rec)
        a = self.agent(extra=("--recording",))
        H.wait_until(lambda: self.recording_patches() >= 1, 30, "the first status patch")
        time.sleep(8)  # the old code sent it again after 1, 2 and 4 s
        self.assertEqual(self.recording_patches(), 1)
        log = a.log()
        self.assertEqual(log.count("SeccompRecording demo/rec: the API server refused it (HTTP 422)"),
                         1, log[-3000:])
        self.assertIn("must have at most 5000 items", log)
        self.assertEqual(a.metric("kscmp_status_refused_total"), 1)
        # What it says changes (another invalid policy name): sent once more, refused again,
        # not said again (same message).
        rec["spec"]["policy"] = "Still_Not"
        self.api.put("seccomprecordings", rec)
        H.wait_until(lambda: self.recording_patches() >= 2, 30, "a patch of the new content")
        time.sleep(5)
        self.assertEqual(self.recording_patches(), 2)
        self.assertEqual(a.log().count("the API server refused it"), 1)
        # The server takes it again: written.
        self.api.clear_fault("seccomprecordings", "patch")
        rec["spec"]["policy"] = "Third_Bad"
        self.api.put("seccomprecordings", rec)
        H.wait_until(lambda: "Third_Bad" in json.dumps(
            self.api.get("seccomprecordings", "demo/rec").get("status") or {}), 30,
            "the status written once the server takes it")

    # -- a policy's status the API server refuses (400, 422) or fails (500) ---------------------

    def policy_patches(self, key, resource="seccomppolicies"):
        ns, _, name = key.rpartition("/")
        where = f"namespaces/{ns}/" if ns else ""
        return self.api.count("PATCH", f"/apis/kscmp.io/v1/{where}{resource}/{name}/status")

    def observed(self, key, resource="seccomppolicies"):
        o = self.api.get(resource, key) or {}
        return (o.get("status") or {}).get("observedGeneration") == o["metadata"].get("generation")

    def test_21_refused_policy_status_not_resent(self):
        """A 422 on one policy's status patch (a webhook refusing it): the same bytes would be
        refused again, so it is said once (naming the policy and the server's message), counted,
        and not sent again until the status changes; the other policies' statuses are written
        meanwhile; once the server takes it, it is written."""
        why = "admission webhook \"status.example.com\" denied the request: no"
        self.api.fault("seccomppolicies", "patch", "status", status=422, message=why,
                       name="demo/bad")
        bad = policy("demo", "bad", {"rules": [{"syscalls": ["mkdir"], "action": "Block"}]})
        self.api.put("seccomppolicies", bad)
        self.api.put("seccomppolicies", policy("demo", "good", WEB))
        a = self.agent()
        H.wait_until(lambda: self.policy_patches("demo/bad") >= 1, 30, "the first status patch")
        H.wait_until(lambda: self.observed("demo/good"), 15, "the other policy's status")
        time.sleep(8)  # the old code sent it again after 1, 2 and 4 s
        self.assertEqual(self.policy_patches("demo/bad"), 1)
        log = a.log()
        self.assertEqual(log.count("status of SeccompPolicy demo/bad: the API server refused it "
                                   "(HTTP 422): " + why), 1, log[-3000:])
        self.assertEqual(a.metric("kscmp_status_refused_total"), 1)
        # The other policy changes: its status is written at once, as ever.
        self.api.put("seccomppolicies", policy("demo", "good", {"rules": [
            {"syscalls": ["rmdir"], "action": "Block"}]}))
        H.wait_until(lambda: self.observed("demo/good"), 15, "the other policy's new status")
        # What the refused status says changes (its generation): sent once more, refused again,
        # not said again (same message).
        bad["spec"]["rules"][0]["syscalls"] = ["rmdir"]
        self.api.put("seccomppolicies", bad)
        H.wait_until(lambda: self.policy_patches("demo/bad") >= 2, 30, "a patch of the new status")
        time.sleep(6)
        self.assertEqual(self.policy_patches("demo/bad"), 2)
        self.assertEqual(a.log().count("the API server refused it"), 1)
        self.assertEqual(a.metric("kscmp_status_refused_total"), 2)
        # The server takes it again: written at the next change.
        self.api.clear_fault("seccomppolicies", "patch")
        bad["spec"]["rules"][0]["syscalls"] = ["unlink"]
        self.api.put("seccomppolicies", bad)
        H.wait_until(lambda: self.observed("demo/bad"), 30, "the status written once the server "
                     "takes it")

    def test_21b_failed_policy_status_backs_off_per_policy(self):
        """A 500 on one policy's status patch is tried again with a backoff of its own (1, 2,
        4 s ...: a few patches, not a loop), said in the log once (not at every try); another
        policy's patch that fails once meanwhile is tried again after its own first backoff (1 s),
        not after the first one's (the old code shared one count); once the server answers, the
        first is written."""
        self.api.fault("clusterseccomppolicies", "patch", "status", status=500,
                       message="etcdserver: request timed out", name="cbad")
        self.api.put("clusterseccomppolicies", cluster_policy("cbad", BASELINE))
        a = self.agent()
        H.wait_until(lambda: self.policy_patches("cbad", "clusterseccomppolicies") >= 1, 30,
                     "the first status patch")
        t0 = time.monotonic()
        H.wait_until(lambda: self.policy_patches("cbad", "clusterseccomppolicies") >= 4, 30,
                     "the failed patch tried again")
        self.assertGreater(time.monotonic() - t0, 2.5)  # 0.5-1, 1-2, 2-4 s: not a loop
        log = a.log()
        self.assertEqual(log.count("status of ClusterSeccompPolicy cbad:"), 1, log[-3000:])
        self.assertIn("status of ClusterSeccompPolicy cbad: patch failed: HTTP 500: etcdserver: "
                      "request timed out; retried with backoff (said again at most every 10 "
                      "minutes while it fails)", log)
        # Another policy's patch fails once: tried again after its own backoff (the old code
        # waited 8-16 s here, the first policy's fourth).
        self.api.fault("seccomppolicies", "patch", "status", status=500, count=1, name="demo/good")
        self.api.put("seccomppolicies", policy("demo", "good", WEB))
        H.wait_until(lambda: self.policy_patches("demo/good") >= 1, 30, "its first patch")
        t1 = time.monotonic()
        H.wait_until(lambda: self.observed("demo/good"), 30, "its status written")
        self.assertLess(time.monotonic() - t1, 4)
        self.api.clear_fault("clusterseccomppolicies", "patch")
        H.wait_until(lambda: self.observed("cbad", "clusterseccomppolicies"), 40,
                     "the status written once the server answers")

    # -- trial-live48 ROUGH 1 and 2: several agent pods on one node ------------------------------

    # A surge rollout on node-a: the old agent pod Ready, the new one not.
    ROLLOUT = (("kscmp-system", "kscmp-old", "kscmp", True, "08:00"),
               ("kscmp-system", "kscmp-new", "kscmp", False, "08:10"))

    def agent_world(self, pods, sets=(("kscmp-system", "kscmp"),)):
        """Node node-a (Ready), the kscmp DaemonSets sets (1 of 1 Ready each), their agent
        pods pods (agent_pod()'s arguments) and demo/web-1 on node-a using a kscmp file."""
        self.api.put("nodes", {"metadata": {"name": NODE}, "status": {"conditions": [
            {"type": "Ready", "status": "True"}]}})
        self.api.put("seccomppolicies", ready_policy("demo", "web", WEB))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json"))
        for namespace, name in sets:
            self.agent_set(name, ["agent"], namespace=namespace, ready=1)
        for args in pods:
            self.agent_pod(*args)

    def agent_pod(self, namespace, name, ds, ready, started):
        """An agent pod of DaemonSet namespace/ds on node-a, started at started (hh:mm); one
        not Ready crash-loops, saying why."""
        status = {"phase": "Running", "startTime": f"2026-12-07T{started}:00Z",
                  "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                  "containerStatuses": [{"name": "agent", "ready": ready, "restartCount":
                                         0 if ready else 2, "state": {"running": {}} if ready
                                         else {"waiting": {"reason": "CrashLoopBackOff"}},
                                         "lastState": {} if ready else {"terminated": {
                                             "exitCode": 1, "reason": "Error",
                                             "message": "kscmp: error: it broke"}}}]}
        self.api.put("pods", {
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {"app.kubernetes.io/part-of": "kscmp",
                                    "app.kubernetes.io/component": "agent"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                                              "name": ds, "uid": f"uid-{namespace}-{ds}",
                                              "controller": True}]},
            "spec": {"nodeName": NODE, "containers": [{"name": "agent", "image": "x"}]},
            "status": status})

    def test_22_cli_agents_of_a_rollout(self):
        """trial-live48 ROUGH 1: during a surge rollout node-a has two agent pods of one
        DaemonSet, the old one Ready and the new one not: the node's agent is the Ready one,
        so neither status nor explain pod says the node's agent is not Ready; both say a
        rollout is in progress (not a problem). With none Ready, the newest is the node's
        agent."""
        self.agent_world(self.ROLLOUT)
        rollout = ("node node-a: a rollout is in progress on this node: 2 agent pods (one "
                   "writes, the others stand by or start)")
        p = self.cli("status", "-A")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("Agents not Ready", p.stdout)
        self.assertIn("Nodes with several kscmp agent pods:\n  " + rollout + "\n", p.stdout)
        self.assertIn("    kscmp-system/kscmp-new (DaemonSet kscmp): not Ready: CrashLoopBackOff, "
                      "restarted 2 times; last exit status 1 (Error): kscmp: error: it broke",
                      p.stdout)
        self.assertIn("    kscmp-system/kscmp-old (DaemonSet kscmp): Ready\n", p.stdout)
        self.assertIn("OK: every policy is Ready", p.stdout)
        j = json.loads(self.cli("status", "-A", "-o", "json").stdout)
        a = j["agents"]
        self.assertEqual((j["problems"], a["notReady"], a["podsNotReady"],
                          a["nodesWithSeveralCount"], a["nodesWithSeveralDaemonSets"]),
                         (0, [], 1, 1, 0))
        several = a["nodesWithSeveral"][0]
        self.assertEqual((several["node"], several["pods"], several["daemonSets"],
                          several["problem"]), (NODE, 2, ["kscmp-system/kscmp"], False))
        self.assertEqual(sorted((x["name"], x["ready"]) for x in several["agents"]),
                         [("kscmp-new", False), ("kscmp-old", True)])
        p = self.cli("explain", "pod", "web-1", "-n", "demo")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        head = p.stdout.split("Containers:")[0]
        self.assertNotIn("not Ready (", head)
        self.assertIn("  " + rollout + "\n", head)
        j = json.loads(self.cli("explain", "pod", "web-1", "-n", "demo", "-o", "json").stdout)
        self.assertNotIn("agentNotReady", j)
        self.assertEqual(j["agentsOnNode"]["node"], NODE)
        # Neither Ready: the newest is the node's agent, not Ready; one problem.
        self.agent_pod("kscmp-system", "kscmp-old", "kscmp", False, "08:00")
        self.api.put("daemonsets", dict(self.api.get("daemonsets", "kscmp-system/kscmp"),
                                        status={"desiredNumberScheduled": 1, "numberReady": 0}))
        j = json.loads(self.cli("status", "-A", "-o", "json").stdout)
        self.assertEqual((j["problems"], [x["name"] for x in j["agents"]["notReady"]]),
                         (1, ["kscmp-new"]))
        self.assertIn("none of them Ready", j["agents"]["nodesWithSeveral"][0]["message"])
        p = self.cli("explain", "pod", "web-1", "-n", "demo")
        self.assertIn("The kscmp agent of this node is not Ready (kscmp-system/kscmp-new: ",
                      p.stdout)

    def test_23_cli_agents_of_two_daemonsets(self):
        """Two kscmp DaemonSets (two Helm releases) with an agent pod each on node-a: one
        writes, the other stands by for good. status says so as a problem (exit 1), explain
        pod says it too; the standby's pod not Ready is not an agent missing besides."""
        self.agent_world((("kscmp-system", "kscmp-a", "kscmp", True, "08:00"),
                          ("kscmp-two", "kscmp-b", "kscmp", True, "08:10")),
                         (("kscmp-system", "kscmp"), ("kscmp-two", "kscmp")))
        line = ("node node-a has agents of two DaemonSets (kscmp-system/kscmp, kscmp-two/kscmp): "
                "only one writes, the other stands by for good (two releases?)")
        p = self.cli("status", "-A")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("Nodes with several kscmp agent pods:\n  " + line + "\n", p.stdout)
        self.assertIn("1 problem: 0 policies not Ready, 0 pods with kscmp warnings, 1 node with "
                      "agents of several DaemonSets.", p.stdout)
        j = json.loads(self.cli("status", "-A", "-o", "json").stdout)
        a = j["agents"]
        self.assertEqual((j["problems"], a["nodesWithSeveralDaemonSets"], a["notReady"]),
                         (1, 1, []))
        self.assertEqual((a["nodesWithSeveral"][0]["problem"], a["nodesWithSeveral"][0]["message"]),
                         (True, line))
        p = self.cli("explain", "pod", "web-1", "-n", "demo")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("  " + line + "\n", p.stdout.split("Containers:")[0])
        j = json.loads(self.cli("explain", "pod", "web-1", "-n", "demo", "-o", "json").stdout)
        self.assertTrue(j["agentsOnNode"]["problem"])
        # The second release's agent crash-looping instead (its DaemonSet 0 of 1 Ready): the
        # node is served all the same; the two DaemonSets stay the one problem.
        self.agent_pod("kscmp-two", "kscmp-b", "kscmp", False, "08:10")
        self.api.put("daemonsets", dict(self.api.get("daemonsets", "kscmp-two/kscmp"),
                                        status={"desiredNumberScheduled": 1, "numberReady": 0}))
        p = self.cli("status", "-A")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertNotIn("Agents not Ready", p.stdout)
        self.assertIn("\n1 problem: ", p.stdout)
        self.assertNotIn("agent not Ready", p.stdout)

    def test_24_cli_wait_for_every_agent_pod(self):
        """trial-live48 ROUGH 2: status --wait waits for the agent pods the report lists, a
        surge rollout's new pod too (the DaemonSet's counts say 1 of 1 Ready all along): until
        its time is up, then says so and reports what it waited for; or until the pod is
        Ready."""
        self.agent_world(self.ROLLOUT)
        t0 = time.monotonic()
        p = self.cli("status", "-A", "--wait=3s", "-o", "json")
        waited = time.monotonic() - t0
        self.assertGreaterEqual(waited, 3, p.stderr)
        self.assertIn("--wait: 1 agent pod still not Ready after 3s, beside a Ready one on its "
                      "node (a rollout in progress, or a second DaemonSet's agent: see Nodes "
                      "with several kscmp agent pods)", p.stderr)
        j = json.loads(p.stdout)
        self.assertEqual((p.returncode, j["agents"]["podsNotReady"]), (0, 1), p.stderr)
        self.assertEqual([(x["name"], x["ready"]) for x in j["agents"]["nodesWithSeveral"][0][
            "agents"] if not x["ready"]], [("kscmp-new", False)])
        # The new pod gets Ready (it stands by) while --wait waits: it returns then.
        t0 = time.monotonic()
        bg = subprocess.Popen([H.KSCMP, "status", "-A", "--wait=30s", "-o", "json",
                               "--kubeconfig", self.kubeconfig], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        self.assertIsNone(bg.poll(), "--wait returned while an agent pod was not Ready")
        self.agent_pod("kscmp-system", "kscmp-new", "kscmp", True, "08:10")
        out, errs = bg.communicate(timeout=30)
        self.assertLess(time.monotonic() - t0, 15, errs)
        j = json.loads(out)
        self.assertEqual((bg.returncode, j["problems"], j["agents"]["podsNotReady"]), (0, 0, 0),
                         errs)
        self.assertNotIn("warning", errs)


    # -- trial-live49b ROUGH R1: why an agent pod that runs is not Ready (its /readyz) -----------

    STANDBY_503 = (b"standby: not ready: listing SeccompPolicies as this agent will failed: "
                   b"/apis/kscmp.io/v1/seccomppolicies?limit=1: seccomppolicies.kscmp.io is "
                   b"forbidden (HTTP 403)\n")

    def running_agent_pod(self, name, node=NODE, ip="10.0.0.9", ports=None, ds="kscmp",
                          started="08:10"):
        """An agent pod of DaemonSet kscmp-system/ds on node that runs and is not Ready (as a
        standby whose check fails, or an agent not synced yet); its container's ports ports
        (default: metrics 9750, as the chart's)."""
        ctr = {"name": "agent", "image": "x",
               "ports": ports if ports is not None else [
                   {"name": "metrics", "containerPort": 9750, "protocol": "TCP"}],
               "readinessProbe": {"httpGet": {"path": "/readyz", "port": "metrics"}}}
        self.api.put("pods", {
            "metadata": {"name": name, "namespace": "kscmp-system",
                         "labels": {"app.kubernetes.io/part-of": "kscmp",
                                    "app.kubernetes.io/component": "agent"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                                              "name": ds, "uid": f"uid-kscmp-system-{ds}",
                                              "controller": True}]},
            "spec": {"nodeName": node, "containers": [
                {"name": "init-like-sidecar", "image": "y",
                 "ports": [{"name": "metrics", "containerPort": 1}]}, ctr]},
            "status": {"phase": "Running", "podIP": ip,
                       "startTime": f"2026-12-07T{started}:00Z",
                       "conditions": [{"type": "Ready", "status": "False"}],
                       "containerStatuses": [{"name": "agent", "ready": False, "restartCount": 0,
                                              "state": {"running": {}}}]}})

    def proxied(self):
        with self.api.lock:
            return [p for m, p in self.api.requests if m == "GET" and "/proxy/" in p]

    def test_30_cli_readyz_of_a_standby(self):
        """trial-live49b ROUGH R1: a surge rollout's new agent pod runs, not Ready, because its
        standby's check of the API server fails: status and explain pod show the first line
        of its /readyz (read through the API server's pod proxy, on the number of its port
        named metrics), -o json has it as readyz; --agent-readyz=off asks nothing. A pod that
        does not run (crash-looping) is not asked."""
        self.agent_world((("kscmp-system", "kscmp-old", "kscmp", True, "08:00"),))
        self.running_agent_pod("kscmp-new")
        self.api.readyz_of["kscmp-system/kscmp-new"] = (9750, 503, self.STANDBY_503)
        line = self.STANDBY_503.decode().rstrip("\n")
        p = self.cli("status", "-A")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("    kscmp-system/kscmp-new (DaemonSet kscmp): not Ready: running, its "
                      "/readyz answers 503: " + line + "\n", p.stdout)
        self.assertEqual(self.proxied(),
                         ["/api/v1/namespaces/kscmp-system/pods/kscmp-new:9750/proxy/readyz"])
        self.assertNotIn("could not be read", p.stdout)
        j = json.loads(self.cli("status", "-A", "-o", "json").stdout)
        a = j["agents"]
        new = [x for x in a["nodesWithSeveral"][0]["agents"] if x["name"] == "kscmp-new"][0]
        self.assertEqual(new["readyz"], {"code": 503, "answer": line})
        self.assertIn(line, new["why"])
        self.assertEqual((a["readyzUnread"], a["readyzNotAsked"]), (None, 0))
        p = self.cli("explain", "pod", "web-1", "-n", "demo")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("  kscmp-system/kscmp-new (DaemonSet kscmp): not Ready: running, its "
                      "/readyz answers 503: " + line + "\n", p.stdout.split("Containers:")[0])
        j = json.loads(self.cli("explain", "pod", "web-1", "-n", "demo", "-o", "json").stdout)
        self.assertEqual([x.get("readyz") for x in j["agentsOnNode"]["agents"]
                          if x["name"] == "kscmp-new"], [{"code": 503, "answer": line}])
        # Off: not asked, the pod's state alone.
        n = len(self.proxied())
        p = self.cli("status", "-A", "--agent-readyz=off")
        self.assertIn("(DaemonSet kscmp): not Ready: running, not ready yet\n", p.stdout)
        j = json.loads(self.cli("status", "-A", "--agent-readyz", "off", "-o", "json").stdout)
        self.assertNotIn("readyzNotAsked", j["agents"])
        p = self.cli("explain", "pod", "web-1", "-n", "demo", "--agent-readyz=off")
        self.assertIn("not Ready: running, not ready yet\n", p.stdout)
        self.assertEqual(len(self.proxied()), n)
        p = self.cli("status", "-A", "--agent-readyz=maybe")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn('--agent-readyz "maybe": want on or off', p.stderr)
        # Crash-looping: its why is its exit, nothing is asked.
        self.agent_pod("kscmp-system", "kscmp-new", "kscmp", False, "08:10")
        p = self.cli("status", "-A")
        self.assertIn("not Ready: CrashLoopBackOff", p.stdout)
        self.assertEqual(len(self.proxied()), n)

    def test_30b_cli_readyz_unread_said_once(self):
        """No right to pods/proxy (403): said once in the report, nothing more asked (counted
        as not asked), and not an error by itself (exit 0: a rollout is no problem). Another
        failure (the pod does not answer on that port: the API server's 503 Status, not the
        agent's words): said once too, each pod asked."""
        self.agent_world((("kscmp-system", "kscmp-old", "kscmp", True, "08:00"),))
        self.running_agent_pod("kscmp-new1", started="08:10")
        self.running_agent_pod("kscmp-new2", started="08:11")
        for name in ("kscmp-new1", "kscmp-new2"):
            self.api.readyz_of["kscmp-system/" + name] = (9750, 503, self.STANDBY_503)
        forbidden = ('pods "kscmp-new2" is forbidden: User "owner" cannot get resource '
                     '"pods/proxy" in API group "" in the namespace "kscmp-system"')
        self.api.fault("pods", "proxy", "status", status=403, message=forbidden)
        p = self.cli("status", "-A")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        said = f"(its /readyz could not be read: {forbidden} (HTTP 403))"
        self.assertEqual(p.stdout.count("could not be read"), 1, p.stdout)
        self.assertIn(said, p.stdout)
        self.assertEqual(p.stdout.count("not Ready: running, not ready yet"), 2, p.stdout)
        self.assertEqual(len(self.proxied()), 1)
        self.assertIn("  (1 more agent pod not Ready: its /readyz not asked)\n", p.stdout)
        j = json.loads(self.cli("status", "-A", "-o", "json").stdout)
        self.assertEqual(j["agents"]["readyzUnread"], f"{forbidden} (HTTP 403)")
        self.assertEqual(j["agents"]["readyzNotAsked"], 1)
        # The pods do not answer on 9750 (their agents listen elsewhere): both asked, said once.
        self.api.clear_fault("pods", "proxy")
        for name in ("kscmp-new1", "kscmp-new2"):
            self.api.readyz_of["kscmp-system/" + name] = (9751, 503, self.STANDBY_503)
        n = len(self.proxied())
        p = self.cli("status", "-A")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout.count("could not be read"), 1, p.stdout)
        self.assertIn("(its /readyz could not be read: error trying to reach service: dial tcp "
                      "10.0.0.9:9750: connect: connection refused (HTTP 503))", p.stdout)
        self.assertNotIn("standby: not ready", p.stdout)
        self.assertEqual(len(self.proxied()), n + 2)
        self.assertNotIn("not asked", p.stdout)

    def test_30c_cli_readyz_control_characters_escaped(self):
        """What a pod's /readyz says is outside input: its control characters are shown
        escaped in text (as every other string from the cluster), exact in -o json; only its
        first line, bounded."""
        self.agent_world(())
        self.running_agent_pod("kscmp-a")
        body = b"not ready: \x1b[2K\x1b[1AOK\x07 " + b"y" * 600 + b"\nsecond line\n"
        self.api.readyz_of["kscmp-system/kscmp-a"] = (9750, 503, body)
        p = self.cli("status", "-A")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertNotIn("\x1b", p.stdout)
        self.assertNotIn("\x07", p.stdout)
        self.assertIn("  kscmp-system/kscmp-a on node node-a: running, its /readyz answers 503: "
                      "not ready: \\x1b[2K\\x1b[1AOK\\x07 yyy", p.stdout)
        self.assertNotIn("second line", p.stdout)
        j = json.loads(self.cli("status", "-A", "-o", "json").stdout)
        answer = j["agents"]["notReady"][0]["readyz"]["answer"]
        self.assertTrue(answer.startswith("not ready: \x1b[2K\x1b[1AOK\x07 yyy"), answer)
        self.assertTrue(answer.endswith("y ..."), answer)
        self.assertLess(len(answer), 420)

    def standby_agents(self, n):
        """agent_world() with n nodes (Ready), each with an agent pod that runs, not Ready,
        whose /readyz answers 503 "not ready: x"."""
        self.agent_world(())
        for i in range(n):
            node = f"node-{i:02d}"
            self.api.put("nodes", {"metadata": {"name": node}, "status": {"conditions": [
                {"type": "Ready", "status": "True"}]}})
            self.running_agent_pod(f"kscmp-{i:02d}", node=node, ip=f"10.0.1.{i + 1}")
            self.api.readyz_of[f"kscmp-system/kscmp-{i:02d}"] = (9750, 503, b"not ready: x\n")

    def test_30d_cli_readyz_bounded(self):
        """At most 20 pods are asked, the rest counted ("N more ... not asked"); answers that
        take long: none asked after 10 s in all; a proxy that does not answer (a NetworkPolicy
        that drops the API server's packets): given up after 3 s, said once, and no more
        asked."""
        self.standby_agents(25)
        p = self.cli("status", "-A")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(len(self.proxied()), 20)
        self.assertEqual(p.stdout.count("its /readyz answers 503: not ready: x"), 20, p.stdout)
        self.assertIn("  (5 more agent pods not Ready: their /readyz not asked)\n", p.stdout)
        j = json.loads(self.cli("status", "-A", "-o", "json").stdout)
        self.assertEqual(j["agents"]["readyzNotAsked"], 5)
        # Each answer after 1.9 s: those asked in the first 10 s only, the last one given what
        # is left of the 10 s (review finding 2: the total had reached ~13 s).
        self.api.fault("pods", "proxy", "slow", seconds=1.9)
        n = len(self.proxied())
        t0 = time.monotonic()
        p = self.cli("status", "-A")
        took = time.monotonic() - t0
        asked = len(self.proxied()) - n
        self.assertIn(asked, (5, 6), p.stdout)
        answered = p.stdout.count("its /readyz answers 503: not ready: x")
        self.assertIn(asked - answered, (0, 1), p.stdout)
        self.assertLess(took, 11.5, p.stdout)
        self.assertIn(f"  ({25 - asked} more agent pods not Ready: their /readyz not asked)\n",
                      p.stdout)
        # No answer: the first request given up after 3 s, said once, no other asked.
        self.api.fault("pods", "proxy", "slow", seconds=6)
        n = len(self.proxied())
        t0 = time.monotonic()
        p = self.cli("status", "-A")
        took = time.monotonic() - t0
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertLess(took, 8, p.stdout)
        self.assertEqual(len(self.proxied()) - n, 1)
        self.assertEqual(p.stdout.count("could not be read"), 1, p.stdout)
        self.assertIn("no complete answer in 3 s (a NetworkPolicy that keeps the API server "
                      "from the agent's port?))", p.stdout)
        self.assertIn("  (24 more agent pods not Ready: their /readyz not asked)\n", p.stdout)

    def test_30e_cli_readyz_within_timeout(self):
        """From a review of test_30*: (1) the /readyz questions take at most half of what
        --timeout leaves, so that the report's own requests still run (10 pods answering after
        2.9 s used up `status -A --timeout 8s`, which then failed with "the command's time is
        up"); (3) an answer larger than the client takes is a failure said as such (it was
        shown as the agent's "413: (an empty answer)"); (4) a NUL byte of an answer is shown,
        not the end of it."""
        self.standby_agents(10)
        self.api.fault("pods", "proxy", "slow", seconds=2.9)
        t0 = time.monotonic()
        p = self.cli("status", "-A", "--timeout", "8s")
        took = time.monotonic() - t0
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)  # pods not Ready: a finding
        self.assertNotIn("time is up", p.stdout + p.stderr)
        self.assertNotIn("error", p.stderr)
        self.assertIn("its /readyz answers 503: not ready: x", p.stdout)
        self.assertIn("more agent pods not Ready: their /readyz not asked", p.stdout)
        self.assertLess(took, 8, p.stdout)
        self.api.clear_fault("pods", "proxy")
        # (3) 17 MiB: more than the client reads of an answer.
        self.api.readyz_of["kscmp-system/kscmp-00"] = (9750, 503, b"x" * (17 << 20))
        self.api.readyz_of["kscmp-system/kscmp-01"] = (9750, 503, b"abc\0def\n")
        p = self.cli("status", "-A")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertNotIn("answers 503: (an empty answer)", p.stdout)
        self.assertIn("(its /readyz could not be read: ", p.stdout)
        self.assertIn("the answer is larger than 16777216 bytes)", p.stdout)
        # (4) the NUL shown as \x00 and what follows it kept.
        self.assertIn("its /readyz answers 503: abc\\x00def", p.stdout)
        self.assertIn("its /readyz answers 503: not ready: x", p.stdout)

    # -- the standby's check of the API server (trial-live49 BUG 1's rest) ----------------------

    PREFLIGHT = "/apis/kscmp.io/v1/seccomppolicies?limit=1"

    def preflights(self):
        with self.api.lock:
            return sum(1 for m, p in self.api.requests if m == "GET" and p == self.PREFLIGHT)

    def standby_refused(self, extra=()):
        """Agent A runs and holds the kubelet root; then the policies' list is refused with 403
        (A, listed already, keeps watching) and agent B starts on the same root. Returns
        (a, b) once B answers /readyz 503 "standby: not ready" and logged why."""
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json"))
        a = self.agent()
        H.wait_until(lambda: "mkdir" in (self.blocked("demo/web.json") or ()), 20, "web.json")
        self.api.fault("seccomppolicies", "list", "status", status=403)
        b = KubeAgent(self.kubeconfig, self.root, os.path.join(self.tmp, "standby.log"),
                      extra=extra)
        self.agents.append(b)
        b.start()
        # Asked before /readyz is served: its first answer is already the 503.
        status, body = b.get("/readyz")
        self.assertEqual(status, 503, body)
        self.assertRegex(body, r"^standby: not ready: listing SeccompPolicies as this agent "
                               r"will failed: /apis/kscmp.io/v1/seccomppolicies\?limit=1: "
                               r"injected fault \(HTTP 403\)\n$")
        b.wait_log(r"warning\s+\S+/seccomp/kscmp: another kscmp agent holds the folder's lock: "
                   r"standing by, not ready to take over: listing SeccompPolicies .*HTTP 403\)\. "
                   r"/readyz answers 503")
        self.assertEqual(b.metric("kscmp_standby"), 1.0)
        self.assertTrue(a.ready())
        return a, b

    def test_25_standby_not_ready_while_the_api_server_refuses(self):
        """A standby is Ready so that a surge rollout deletes the old pod: one whose API server
        refuses it (credentials, RBAC, CRDs missing) was Ready all the same, the rollout
        removed the working agent, and the refusal showed only after the takeover. Now the
        standby lists SeccompPolicies first, as the agent will: while that fails /readyz
        answers 503 "standby: not ready: ..." (the rollout waits), asked again every 5 s,
        logged at the first failure only (then once a minute); once it passes, 200 standby;
        and when the other agent stops, it takes over and writes."""
        a, b = self.standby_refused()
        H.wait_until(lambda: self.preflights() >= 3, 20, "the check asked again")
        self.assertEqual(b.get("/readyz")[0], 503)
        self.assertEqual(b.log().count("not ready to take over"), 1, b.log()[-2000:])
        self.assertNotIn("standing by until it stops", b.log())
        self.api.clear_fault("seccomppolicies", "list")
        H.wait_until(lambda: b.get("/readyz")[0] == 200, 15, "/readyz 200 standby")
        self.assertTrue(b.get("/readyz")[1].startswith("standby: another kscmp agent holds"))
        b.wait_log(r"info\s+\S+: the API server accepts this agent now")
        b.wait_log(r"info\s+\S+: another kscmp agent holds the folder's lock.*: standing by "
                   r"until it stops")
        asked = self.preflights()
        time.sleep(6)
        self.assertEqual(self.preflights(), asked, "asked again after it passed")
        self.assertEqual(b.metric("kscmp_profiles_written_total"), 0.0)
        mark = b.log_mark()
        self.assertEqual(a.stop(), 0)
        self.api.put("seccomppolicies", policy("demo", "web", {"rules": [
            {"syscalls": ["mkdir", "chdir"], "action": "Block"}]}))
        H.wait_until(lambda: "chdir" in (self.blocked("demo/web.json") or ()), 20,
                     "the change written by the agent that stood by")
        b.wait_log(r"info\s+\S+: the lock is free after [\d.]+ s standing by: taking over\n",
                   mark)
        H.wait_until(b.ready, 20, "/readyz 200")
        self.assertEqual(b.get("/readyz"), (200, "ready\n"))

    def test_26_standby_takes_over_a_free_lock_though_refused(self):
        """The lock freed while the standby's check still fails: the old agent is gone, so it
        takes over anyway and says so; its start then meets the 403 as any start does (not
        ready, retried), and once the list is allowed it writes."""
        a, b = self.standby_refused()
        mark = b.log_mark()
        self.assertEqual(a.stop(), 0)
        b.wait_log(r"warning\s+\S+: the lock is free after [\d.]+ s standing by: taking over, "
                   r"although the API server did not accept this agent \(listing "
                   r"SeccompPolicies .*HTTP 403\)", mark)
        self.assertTrue(b.proc.poll() is None, b.log()[-2000:])
        status, body = b.get("/readyz")
        self.assertEqual(status, 503, body)
        self.assertFalse(body.startswith("standby"), body)
        self.assertEqual(b.metric("kscmp_standby"), 0.0)
        self.api.put("seccomppolicies", policy("demo", "web", {"rules": [
            {"syscalls": ["mkdir", "chdir"], "action": "Block"}]}))
        self.api.clear_fault("seccomppolicies", "list")
        H.wait_until(lambda: "chdir" in (self.blocked("demo/web.json") or ()), 30,
                     "the change written by the agent that took over")
        H.wait_until(b.ready, 20, "/readyz 200")


    def test_27_standby_check_bounded_and_stopped_by_sigterm(self):
        """The check runs while the standby's loop does not (it reads no signal meanwhile): a
        server that does not answer is given up after 10 s (/readyz says so), and SIGTERM during
        a check stops the agent at once, not when the server answers."""
        a, b = self.standby_refused()
        self.api.fault("seccomppolicies", "list", "slow", seconds=25)
        H.wait_until(lambda: "no complete answer in 10 s" in b.get("/readyz")[1], 25,
                     "/readyz: the check given up")
        asked = self.preflights()
        H.wait_until(lambda: self.preflights() > asked, 10, "the check asked again")
        time.sleep(0.5)
        t0 = time.monotonic()
        b.proc.send_signal(signal.SIGTERM)
        self.assertEqual(b.proc.wait(10), 0)
        self.assertLess(time.monotonic() - t0, 2)
        self.assertIn("SIGTERM: stopping (standing by: nothing was written)", b.log())
        self.assertTrue(a.ready())

    def test_27b_standby_check_within_half_the_stall_timeout(self):
        """The heartbeat does not beat while the check waits: with --stall-timeout 4 a server
        that does not answer is given up after 2 s, and /healthz stays 200 throughout (with
        the 10 s deadline it failed after 4 s)."""
        a, b = self.standby_refused(extra=("--stall-timeout", "4"))
        self.api.fault("seccomppolicies", "list", "slow", seconds=25)
        H.wait_until(lambda: "no complete answer in 2 s" in b.get("/readyz")[1], 25,
                     "/readyz: the check given up after 2 s")
        end = time.monotonic() + 8
        while time.monotonic() < end:
            self.assertEqual(b.get("/healthz")[0], 200)
            time.sleep(0.25)
        self.assertTrue(a.ready())

    # -- the standby's rights (SelfSubjectAccessReviews) ---------------------------------------

    def standby_pair(self, extra=(), env=None):
        """Agent A runs and holds the kubelet root; agent B (extra flags, env) starts on the
        same root and stands by. Returns (a, b)."""
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        self.api.put("pods", pod("demo", "web-1", "kscmp/demo/web.json"))
        a = self.agent()
        H.wait_until(lambda: "mkdir" in (self.blocked("demo/web.json") or ()), 20, "web.json")
        b = KubeAgent(self.kubeconfig, self.root, os.path.join(self.tmp, "standby.log"),
                      extra=extra, env=env)
        self.agents.append(b)
        b.start()
        return a, b

    def reviewed(self):
        with self.api.lock:
            return [(r.get("verb"), r.get("group"), r.get("resource") +
                     ("/" + r["subresource"] if r.get("subresource") else ""),
                     r.get("namespace"), r.get("name")) for r in self.api.reviews]

    def test_29_standby_not_ready_while_a_right_is_missing(self):
        """An upgrade whose ServiceAccount keeps `list seccomppolicies` but loses another right
        went Ready all the same and replaced the working agent. Now the standby asks the API
        server for every right its flags need (SelfSubjectAccessReviews, all at once): with
        the taint on and `patch nodes` denied, /readyz answers 503 naming it (logged once),
        and 200 once the right is granted."""
        self.api.denied = {("patch", "", "nodes", ""), ("create", "", "events", "")}
        a, b = self.standby_pair(extra=("--node-taint", "on"))
        status, body = b.get("/readyz")
        self.assertEqual((status, body), (503, "standby: not ready: the API server denies this "
                                               "agent rights it needs (RBAC): create events "
                                               "(core), patch nodes (core)\n"))
        b.wait_log(r"warning\s+\S+/seccomp/kscmp: another kscmp agent holds the folder's lock: "
                   r"standing by, not ready to take over: the API server denies this agent "
                   r"rights it needs \(RBAC\): create events \(core\), patch nodes \(core\)\. "
                   r"/readyz answers 503")
        asked = self.reviewed()
        self.assertIn(("patch", "", "nodes", None, NODE), asked)
        self.assertIn(("patch", "kscmp.io", "seccomppolicies/status", None, None), asked)
        self.assertIn(("watch", "security.kubearmor.com", "kubearmorseccomppolicies", None,
                       None), asked)
        self.assertNotIn("seccomprecordings", " ".join(x[2] for x in asked))
        self.api.denied = {("patch", "", "nodes", "")}
        H.wait_until(lambda: b.get("/readyz")[1].endswith("(RBAC): patch nodes (core)\n"), 15,
                     "only patch nodes missing")
        self.assertEqual(b.get("/readyz")[0], 503)
        self.assertEqual(b.log().count("not ready to take over"), 1, b.log()[-2000:])
        self.api.denied = set()
        H.wait_until(lambda: b.get("/readyz")[0] == 200, 15, "/readyz 200 standby")
        self.assertTrue(b.get("/readyz")[1].startswith("standby: another kscmp agent holds"))
        b.wait_log(r"info\s+\S+: the API server accepts this agent now")
        n = len(self.reviewed())
        time.sleep(6)
        self.assertEqual(len(self.reviewed()), n, "asked again after it passed")
        self.assertTrue(a.ready())

    def test_29e_standby_checked_again_at_its_reminders(self):
        """A standby that passed was never asked again (a review): one that stays (a paused
        rollout, two DaemonSets) kept answering 200 after its ServiceAccount lost a right. It
        is asked again at each reminder (KSCMP_STANDBY_REMIND_SECONDS, 5 min by default): a
        right lost since makes it 503 naming it, and 200 again once granted."""
        a, b = self.standby_pair(env={"KSCMP_STANDBY_REMIND_SECONDS": "2"})
        self.assertEqual(b.get("/readyz")[0], 200, b.get("/readyz"))
        n = len(self.reviewed())
        self.api.denied = {("patch", "kscmp.io", "seccomppolicies", "status")}
        H.wait_until(lambda: b.get("/readyz")[0] == 503, 10, "503 after a reminder")
        self.assertGreater(len(self.reviewed()), n)
        self.assertEqual(b.get("/readyz")[1], "standby: not ready: the API server denies this "
                                              "agent rights it needs (RBAC): patch "
                                              "seccomppolicies/status (kscmp.io)\n")
        b.wait_log(r"warning\s+\S+/seccomp/kscmp: another kscmp agent holds the folder's lock: "
                   r"standing by, not ready to take over: the API server denies this agent "
                   r"rights it needs \(RBAC\): patch seccomppolicies/status \(kscmp.io\)")
        self.api.denied = set()
        H.wait_until(lambda: b.get("/readyz")[0] == 200, 15, "/readyz 200 again")
        self.assertTrue(a.ready())
        # Six at a time at most (the review: each in flight is a connection of its own, asked
        # again every 5 s on every node of a surge while it fails).
        self.api.fault("selfsubjectaccessreviews", "create", "slow", seconds=0.3)
        n = len(self.reviewed())
        H.wait_until(lambda: len(self.reviewed()) >= n + 12, 20, "a check again, slowly")
        self.assertLessEqual(self.api.reviews_most, 6)
        self.assertGreaterEqual(self.api.reviews_most, 2)

    def test_29b_standby_rights_its_flags_do_not_need_do_not_block(self):
        """Rights the configuration does not use are not asked for: with --node-taint off and
        --kubearmor-policies off, Nodes and KubeArmorSeccompPolicies denied do not keep the
        standby from Ready (its first /readyz already 200)."""
        self.api.denied = {("patch", "", "nodes", ""), ("get", "", "nodes", ""),
                           ("list", "security.kubearmor.com", "kubearmorseccomppolicies", ""),
                           ("watch", "security.kubearmor.com", "kubearmorseccomppolicies", ""),
                           ("get", "kscmp.io", "seccomprecordings", "")}
        a, b = self.standby_pair(extra=("--kubearmor-policies", "off"))
        self.assertTrue(b.get("/readyz")[1].startswith("standby: another kscmp agent holds"),
                        b.get("/readyz"))
        asked = self.reviewed()
        self.assertIn(("create", "", "events", None, None), asked)
        self.assertIn(("watch", "", "pods", None, None), asked)
        for res in ("nodes", "kubearmorseccomppolicies", "seccomprecordings"):
            self.assertNotIn(res, [x[2].split("/")[0] for x in asked])
        self.assertTrue(a.ready())

    def test_29c_standby_not_ready_while_the_reviews_fail(self):
        """The reviews answered 500 (or 403: system:basic-user taken away) keep the standby not
        ready, as a failed list does, naming the failure; once they are answered it is Ready.
        A server that does not serve them (404) is told and does not block."""
        self.api.fault("selfsubjectaccessreviews", "create", "status", status=500)
        a, b = self.standby_pair()
        status, body = b.get("/readyz")
        self.assertEqual(status, 503, body)
        self.assertRegex(body, r"^standby: not ready: asking the API server for this agent's "
                               r"rights failed: /apis/authorization.k8s.io/v1/"
                               r"selfsubjectaccessreviews: HTTP 500: injected fault\n$")
        self.api.fault("selfsubjectaccessreviews", "create", "status", status=403)
        H.wait_until(lambda: "injected fault (HTTP 403)" in b.get("/readyz")[1], 15,
                     "the 403 told")
        status, body = b.get("/readyz")
        self.assertEqual(status, 503)
        # Told as a failure to ask, not as rights refused (a docs review: it said RBAC).
        self.assertRegex(body, r"^standby: not ready: asking the API server for this agent's "
                               r"rights failed: /apis/authorization.k8s.io/v1/"
                               r"selfsubjectaccessreviews: injected fault \(HTTP 403\)\n$")
        self.api.fault("selfsubjectaccessreviews", "create", "status", status=404)
        H.wait_until(lambda: b.get("/readyz")[0] == 200, 15, "/readyz 200 standby")
        b.wait_log(r"warning\s+\S+: the API server does not serve SelfSubjectAccessReviews "
                   r"\(.*injected fault\): this agent's rights other than listing "
                   r"SeccompPolicies are not checked before it takes over")
        self.assertTrue(a.ready())

    def test_29d_standby_asks_only_what_deploy_rbac_grants(self):
        """Every right the standby asks for with the taint and KubeArmor on is granted by
        deploy/02-rbac.yaml (else a standby installed from it would never be Ready)."""
        import yaml  # noqa: PLC0415 (only this test needs it)
        with open(os.path.join(HERE, "..", "..", "deploy", "02-rbac.yaml")) as f:
            role = [d for d in yaml.safe_load_all(f) if d and d["kind"] == "ClusterRole"][0]
        granted = {(v, g, r) for rule in role["rules"] for v in rule["verbs"]
                   for g in rule["apiGroups"] for r in rule["resources"]}
        a, b = self.standby_pair(extra=("--node-taint", "on"))
        asked = {(v, g, r) for v, g, r, _ns, _name in self.reviewed()}
        self.assertGreaterEqual(len(asked), 17, asked)
        self.assertEqual(asked - granted, set())
        self.assertTrue(b.ready())

    def test_28_removed_status_written_again(self):
        """Someone removes a policy's status (`kubectl patch --subresource=status -p
        '{"status": null}'`, the chart README's advice for KubeArmor objects): the running
        agent writes it again at once (it waited for some later change or a restart, and
        `kubectl kscmp status` said Pending meanwhile: trial-live49b R3). A status of another
        agent, with its Ready condition, is left alone (agents of two versions would
        overwrite each other's for good)."""
        self.api.put("seccomppolicies", policy("demo", "web", WEB))
        a = self.agent()
        H.wait_until(lambda: self.observed("demo/web"), 20, "the status written")
        patches = self.policy_patches("demo/web")
        o = self.api.get("seccomppolicies", "demo/web")
        del o["status"]
        self.api.put("seccomppolicies", o)  # same spec: the generation stays
        H.wait_until(lambda: self.observed("demo/web"), 15, "the status written again")
        self.assertEqual(self.policy_patches("demo/web"), patches + 1)
        # Another agent's status with a Ready condition (say, of another version): kept.
        o = self.api.get("seccomppolicies", "demo/web")
        o["status"]["conditions"][0]["message"] = "written by another agent"
        self.api.put("seccomppolicies", o)
        time.sleep(5)
        self.assertEqual(self.policy_patches("demo/web"), patches + 1)
        self.assertTrue(a.ready())


def main():
    if not os.access(H.KSCMP, os.X_OK):
        print(f"{H.KSCMP} is missing: run `make build/kscmp` first", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    if not shutil.which("openssl"):
        print("openssl is missing (make deps)", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    bindir = H.snapshot_binary()
    try:
        return H.run_tests(FakeApiTest, sys.argv[1:])
    finally:
        shutil.rmtree(bindir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
