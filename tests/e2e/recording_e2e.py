#!/usr/bin/env python3
"""SeccompRecordings against a real API server, with the real eBPF recorder, real processes and
three agents (nodes) writing one status.

One control plane (cluster.sh), the CRDs of crd/ (SeccompRecording's included), the RBAC of
deploy/ and deploy/recording/, the agents' ServiceAccount kubeconfig. No kubelet runs here
(tests/e2e/node.sh has one): each node's "kubelet" part is what the recorder reads of it, a
cgroup tree in this machine's cgroupfs laid out as the kubelet's cgroupfs driver lays it out
(KUBEPODS/burstable/pod<UID>/<container>), one per node, with the pods' real UIDs from the
API server; real processes run in those cgroups and the real eBPF program of each agent
records them. Each agent pins its recorder in a bpffs mounted for the test.

Checks: recording profiles written (and only to files whose pods the recording selects), the
union of three nodes' calls in one status (also when they add at the same moment), no write
when nothing is new, `kubectl kscmp record show`, bad input (an invalid policy name refused by
the schema, a selector that matches nothing, two recordings of one policy, a pod that goes
mid-recording, a file shared with a pod not selected), an agent SIGKILLed while its pod
keeps calling (pinned: nothing missed) and one without pins (the status says what may be
missing), a node whose status write is based on what it read before another writer changed
the status (its merge patch carries that resourceVersion: refused with 409, it reads again and
merges again, nothing lost), a recording's spec.policy changed (the file it named before is
its policy's again), the recording deleted while an agent was down (files back to the policy,
the recorder that agent left pinned taken over and stopped). Prints
'ok'/'FAIL' lines and closes with 'N passed, N failed'.
"""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, threading, time, traceback

import yaml

sys.dont_write_bytecode = True
from kube_e2e import Cluster, Agent, policy, wait_until, KSCMP, REPO  # noqa: E402
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from report import Report  # noqa: E402

T = 60
NS = "demo"
R = Report()
ok, bad, check = R.ok, R.bad, R.check
BUSYBOX = next((b for b in ("/bin/busybox", "/usr/bin/busybox") if os.access(b, os.X_OK)), None)


def rec_path(name):
    return f"/apis/kscmp.io/v1/namespaces/{NS}/seccomprecordings/{name}"


class Node:
    """One node: its agent, its kubepods cgroup tree, its pinned recorder."""

    def __init__(self, env, name, pinned=True):
        self.env, self.name = env, name
        self.kubepods = f"kscmp-e2e-{os.getpid()}-{name}"
        self.cg = os.path.join("/sys/fs/cgroup/memory", self.kubepods)
        os.makedirs(os.path.join(self.cg, "burstable"), exist_ok=True)
        self.pin = os.path.join(env.bpffs, name) if pinned else "off"
        extra = ["--recording", "--kubepods-cgroup", self.kubepods, "--bpf-pin-dir", self.pin,
                 "--record-interval", "1"]
        self.agent = Agent(name, env.agent_kc, name, os.path.join(env.scratch, "root-" + name),
                           env.scratch, registry=env.registry, extra=extra)

    def container_cg(self, pod_uid, container="c1"):
        d = os.path.join(self.cg, "burstable", f"pod{pod_uid}", container)
        os.makedirs(d, exist_ok=True)
        return d

    def run_in(self, pod_uid, *argv, container="c1"):
        """Runs argv (a busybox command) inside the pod's container cgroup; waits for it."""
        cg = self.container_cg(pod_uid, container)
        script = f'echo $$ > {cg}/cgroup.procs && exec "$@"'
        return subprocess.run(["sh", "-c", script, "sh"] + list(argv), capture_output=True,
                              text=True, timeout=60)

    def remove_pod_cg(self, pod_uid):
        d = os.path.join(self.cg, "burstable", f"pod{pod_uid}")
        for sub in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            p = os.path.join(d, sub)
            if os.path.isdir(p):
                os.rmdir(p)
        if os.path.isdir(d):
            os.rmdir(d)

    def cleanup(self):
        for dirpath, dirnames, _ in sorted(os.walk(self.cg, topdown=False), reverse=False):
            pass
        # Deepest first: containers, pods, QoS, the root.
        for dirpath, dirnames, _ in os.walk(self.cg, topdown=False):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass


class HoldingProxy:
    """A TCP proxy between one agent and the API server (TLS passes through untouched). hold()
    keeps what the server sends (answers and watch events) until release(), while the agent's
    requests still reach the server: the agent then acts on what it knew before."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        self.cond = threading.Condition()
        self.holding = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            try:
                s = socket.create_connection(self.target)
            except OSError:
                c.close()
                continue
            threading.Thread(target=self._pipe, args=(c, s, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(s, c, True), daemon=True).start()

    def _pipe(self, src, dst, from_server):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_server:
                    with self.cond:
                        while self.holding:
                            self.cond.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for x in (src, dst):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def hold(self):
        with self.cond:
            self.holding = True

    def release(self):
        with self.cond:
            self.holding = False
            self.cond.notify_all()

    def close(self):
        self.release()
        self.ls.close()


def server_of(kubeconfig):
    """(host, port) of a kubeconfig's first cluster."""
    with open(kubeconfig) as f:
        kc = yaml.safe_load(f)
    hostport = kc["clusters"][0]["cluster"]["server"].split("://", 1)[1].split("/", 1)[0]
    host, port = hostport.rsplit(":", 1)
    return host, int(port)


def proxied_kubeconfig(src, dst, proxy_port):
    """src's kubeconfig with its server's port replaced by the proxy's (the same address, so the
    server's certificate still matches)."""
    with open(src) as f:
        kc = yaml.safe_load(f)
    host, _ = server_of(src)
    kc["clusters"][0]["cluster"]["server"] = f"https://{host}:{proxy_port}"
    with open(dst, "w") as f:
        yaml.safe_dump(kc, f)


class Env:
    def __init__(self, c, scratch):
        self.c, self.scratch = c, scratch
        self.registry = os.path.join(scratch, "pids")
        self.bpffs = os.path.join(scratch, "bpffs")
        self.bin = os.path.join(scratch, "bin")
        os.makedirs(self.bin)
        os.symlink(KSCMP, os.path.join(self.bin, "kubectl-kscmp"))

    def apply(self, *objs):
        p = self.c.apply_objects(list(objs))
        if p.returncode != 0:
            raise RuntimeError(p.stderr)

    def kscmp(self, *args):
        env = dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"],
                   KUBECONFIG=self.c.kubeconfig)
        return subprocess.run(["kubectl", "kscmp"] + list(args), capture_output=True, text=True,
                              timeout=120, env=env)

    def recording(self, name):
        return self.c.get_ok(rec_path(name))

    def status(self, name):
        return (self.recording(name) or {}).get("status") or {}


def cond(status, typ):
    for c in status.get("conditions") or []:
        if c.get("type") == typ:
            return c
    return {}


def syscalls(status, arch="x86_64"):
    return set((status.get("syscalls") or {}).get(arch) or [])


def pod_obj(name, node, labels, ref):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "labels": labels},
            "spec": {"nodeName": node,
                     "securityContext": {"seccompProfile": {"type": "Localhost",
                                                            "localhostProfile": ref}},
                     "containers": [{"name": "c1", "image": "registry.invalid/busybox:1"}]}}


def recording_obj(name, policy, selector=None):
    spec = {"policy": policy}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "kscmp.io/v1", "kind": "SeccompRecording",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}


def policy_obj(name, syscalls_, action="Allow"):
    return policy(NS, name, syscalls_, action)


def uid_of(E, pod):
    return E.c.get_ok(f"/api/v1/namespaces/{NS}/pods/{pod}")["metadata"]["uid"]


def profile(agent, rel):
    b = agent.read(rel)
    return json.loads(b) if b else None


def is_recording_profile(p):
    return bool(p) and p.get("defaultAction") == "SCMP_ACT_ALLOW"


def stale_write(E, nodes):
    """Another writer changes the status after node-e's agent read it and before its write:
    node-e's merge patch carries the resourceVersion it merged from, so the API server refuses
    it (409); it reads again and merges again. Without the precondition its patch, built from
    the older status, would replace the syscalls the other writer added."""
    c = E.c
    kc = os.path.join(E.scratch, "node-e.kubeconfig")
    proxy = HoldingProxy(*server_of(E.agent_kc))
    proxied_kubeconfig(E.agent_kc, kc, proxy.port)
    try:
        E.apply(pod_obj("web-e", "node-e", {"app": "web"}, f"kscmp/{NS}/web.json"))
        uid = uid_of(E, "web-e")
        e = Node(E, "node-e")
        e.agent.kubeconfig = kc
        nodes.append(e)
        e.container_cg(uid)
        e.agent.start()
        e.agent.wait_ready(T)
        e.run_in(uid, BUSYBOX, "true")

        def entry():
            st = E.status("web-rec")
            ent = [n for n in st.get("nodes") or [] if n["name"] == "node-e"]
            return (ent and ent[0].get("active") == ["web-e"]) or (False, json.dumps(st)[:400])
        wait_until(entry, T, "node-e's entry in web-rec's status")
        time.sleep(2)  # node-e's agent has read back its own write (the watch) by now
        proxy.hold()
        try:
            # The other writer: acct added to the union, as another node's agent would.
            st = E.status("web-rec")
            names = sorted(set(syscalls(st)) | {"acct"})
            c.kubectl_ok("patch", "seccomprecording", "-n", NS, "web-rec", "--subresource=status",
                         "--type=merge", "-p",
                         json.dumps({"status": {"syscalls": {"x86_64": names}}}))
            # node-e's pod makes a new call; its agent writes it within its interval (1 s),
            # from the status it read before the other writer's change.
            e.run_in(uid, BUSYBOX, "ionice")  # ioprio_get
            time.sleep(4)
        finally:
            proxy.release()

        def both():
            have = syscalls(E.status("web-rec"))
            return {"acct", "ioprio_get"} <= have or (False, sorted(have))
        try:
            wait_until(both, T, "acct and ioprio_get in the union")
            ok("a write based on an older status (another writer came between): refused, read "
               "again, merged again: the other writer's acct and node-e's ioprio_get both kept")
        except AssertionError as err:
            bad("a write based on an older status", err)
    finally:
        proxy.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scratch", required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        bad("set-up", "the recorder needs root (CAP_BPF, CAP_PERFMON) and cgroupfs writes")
        return R.finish()
    if not BUSYBOX:
        bad("set-up", "busybox is not installed (make deps)")
        return R.finish()
    c = Cluster.start(os.path.join(a.scratch, "cluster"))
    E = Env(c, a.scratch)
    nodes = []
    mounted = False
    try:
        os.makedirs(E.bpffs)
        subprocess.run(["mount", "-t", "bpf", "bpf", E.bpffs], check=True)
        mounted = True
        for f in sorted(os.listdir(os.path.join(REPO, "crd"))):
            if f.endswith(".yaml"):
                c.kubectl_ok("apply", "--server-side", "-f", os.path.join(REPO, "crd", f))
        c.wait_crds(["seccomppolicies.kscmp.io", "seccomprecordings.kscmp.io"])
        for f in ("deploy/01-namespace.yaml", "deploy/02-rbac.yaml",
                  "deploy/recording/02-rbac-recording.yaml"):
            c.kubectl_ok("apply", "-f", os.path.join(REPO, f))
        E.agent_kc = os.path.join(a.scratch, "agent.kubeconfig")
        c.sa_kubeconfig("kscmp-system", "kscmp", E.agent_kc)
        E.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        scenario(E, nodes)
    except Exception:
        bad("recording scenario", traceback.format_exc())
    finally:
        for n in nodes:
            n.agent.stop()
        for n in nodes:
            n.cleanup()
        if mounted:
            subprocess.run(["umount", E.bpffs])
        c.stop()
    print()
    return R.finish()


def scenario(E, nodes):
    c = E.c
    # Pods first (the API server gives them their UIDs), then their cgroups, then the agents.
    E.apply(pod_obj("web-a", "node-a", {"app": "web"}, f"kscmp/{NS}/web.json"),
            pod_obj("web-b", "node-b", {"app": "web"}, f"kscmp/{NS}/web.json"),
            pod_obj("web-c", "node-c", {"app": "web"}, f"kscmp/{NS}/web.json"),
            pod_obj("other-a", "node-a", {"app": "other"}, f"kscmp/{NS}/other.json"),
            pod_obj("api-c", "node-c", {"app": "api"}, f"kscmp/{NS}/api.json"),
            pod_obj("batch-c", "node-c", {"app": "batch"}, f"kscmp/{NS}/api.json"),
            policy_obj("other", ["read", "write", "exit_group"]),
            policy_obj("api", ["read", "write", "exit_group"]))
    uid = {p: uid_of(E, p) for p in ("web-a", "web-b", "web-c", "other-a", "api-c", "batch-c")}
    a, b, cc = Node(E, "node-a"), Node(E, "node-b"), Node(E, "node-c", pinned=False)
    nodes += [a, b, cc]
    for n, pods in ((a, ("web-a", "other-a")), (b, ("web-b",)), (cc, ("web-c", "api-c", "batch-c"))):
        for p in pods:
            n.container_cg(uid[p])
        n.agent.start()
    for n in nodes:
        n.agent.wait_ready(T)
    other_before = a.agent.read(f"{NS}/other.json")
    api_before = cc.agent.read(f"{NS}/api.json")
    check(other_before and api_before and not a.agent.read(f"{NS}/web.json"),
          "set-up: three agents ready; other.json and api.json written; web.json absent "
          "(no policy yet)")

    # A recording of policy web (which does not exist yet): every node writes a recording
    # profile for its web pod, and only for it.
    E.apply(recording_obj("web-rec", "web", {"matchLabels": {"app": "web"}}),
            recording_obj("api-rec", "api", {"matchLabels": {"app": "api"}}))
    for n in nodes:
        wait_until(lambda n=n: is_recording_profile(profile(n.agent, f"{NS}/web.json")), T,
                   f"the recording profile on {n.name}")
    p = profile(a.agent, f"{NS}/web.json")
    check(is_recording_profile(p) and set(p["architectures"]) >= {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}
          and not p.get("syscalls"),
          "web.json on every node: a recording profile (allow all, every architecture)", p)
    check(a.agent.read(f"{NS}/other.json") == other_before,
          "other.json (a pod the recording does not select) is untouched")

    # Calls on three nodes: the status holds their union, pods and nodes counted.
    r1 = a.run_in(uid["web-a"], BUSYBOX, "mkdir", f"/tmp/kscmp-e2e-{os.getpid()}")
    r2 = b.run_in(uid["web-b"], BUSYBOX, "rmdir", f"/tmp/kscmp-e2e-{os.getpid()}")
    r3 = cc.run_in(uid["web-c"], BUSYBOX, "hostname")
    check(r1.returncode == 0 and r2.returncode == 0 and r3.returncode == 0,
          "busybox mkdir (node-a), rmdir (node-b), hostname (node-c) ran in the pods' cgroups",
          r1.stderr + r2.stderr + r3.stderr)

    def merged():
        st = E.status("web-rec")
        have = syscalls(st)
        want = {"mkdir", "rmdir", "uname", "execve"}
        return (want <= have and st.get("podsSeen") == 3 and st.get("nodesSeen") == 3
                and cond(st, "Recording").get("status") == "True") or (False, json.dumps(st)[:800])
    try:
        wait_until(merged, T, "the union of three nodes in web-rec's status")
        st = E.status("web-rec")
        ok(f"one status, three nodes: {len(syscalls(st))} syscalls, podsSeen 3, nodesSeen 3, "
           "Recording True")
    except AssertionError as e:
        bad("one status, three nodes", e)
        st = E.status("web-rec")
    names = sorted(n["name"] for n in st.get("nodes") or [])
    check(names == ["node-a", "node-b", "node-c"] and
          all(n.get("active") == ["web-" + n["name"][-1]] for n in st.get("nodes") or []),
          "one entry per node, each naming its active pod", st.get("nodes"))

    # At the same moment, a distinct call on each node: no update is lost.
    procs = []
    for n, pod, argv in ((a, "web-a", [BUSYBOX, "sync"]),
                         (b, "web-b", [BUSYBOX, "nproc"]),
                         (cc, "web-c", [BUSYBOX, "mkfifo", f"/tmp/kscmp-e2e-fifo-{os.getpid()}"])):
        cg = n.container_cg(uid[pod])
        procs.append(subprocess.Popen(["sh", "-c", f'echo $$ > {cg}/cgroup.procs && exec "$@"',
                                       "sh"] + argv))
    for pr in procs:
        pr.wait(timeout=60)
    try:
        os.unlink(f"/tmp/kscmp-e2e-fifo-{os.getpid()}")
    except OSError:
        pass

    def all_three():
        have = syscalls(E.status("web-rec"))
        return {"sync", "sched_getaffinity", "mknodat"} <= have or (False, sorted(have))
    try:
        wait_until(all_three, T, "three concurrent additions")
        ok("three nodes adding at once: sync, sched_getaffinity and mknodat all in the union")
    except AssertionError as e:
        bad("three nodes adding at once", e)

    # Nothing new: nothing written (the resourceVersion stays) over several collect rounds.
    rv0 = E.recording("web-rec")["metadata"]["resourceVersion"]
    time.sleep(4)
    rv1 = E.recording("web-rec")["metadata"]["resourceVersion"]
    check(rv0 == rv1, "no status write while nothing new is seen (4 collect rounds)",
          f"{rv0} -> {rv1}")

    # record show: the policy it amounts to.
    p = E.kscmp("record", "show", "web-rec", "-n", NS)
    check(p.returncode == 0 and "kind: SeccompPolicy" in p.stdout and "  name: web\n" in p.stdout
          and "    - mkdir\n" in p.stdout and "    - rmdir\n" in p.stdout,
          "kubectl kscmp record show web-rec: the SeccompPolicy web, with the union", p.stdout + p.stderr)
    show_yaml = os.path.join(E.scratch, "web-policy.yaml")
    with open(show_yaml, "w") as f:
        f.write(p.stdout)
    v = subprocess.run([KSCMP, "validate", "-f", show_yaml], capture_output=True, text=True)
    check(v.returncode == 0, "kscmp validate takes what record show printed", v.stdout + v.stderr)
    pj = E.kscmp("record", "show", "web-rec", "-n", NS, "-o", "json")
    try:
        obj = json.loads(pj.stdout)
        check(obj["kind"] == "SeccompPolicy" and "mkdir" in obj["spec"]["seccomp"]["syscalls"],
              "record show -o json: the same policy as JSON", pj.stdout[:400])
    except (ValueError, KeyError) as e:
        bad("record show -o json", f"{e}: {pj.stdout[:400]} {pj.stderr}")
    p = E.kscmp("record", "show", "no-such", "-n", NS)
    check(p.returncode == 1 and "not found" in p.stderr, "record show of a missing recording: exit 1",
          p.stderr)

    # Bad input.
    bad_rec = E.c.apply_objects([recording_obj("bad-name", "Bad_Name")])
    check(bad_rec.returncode != 0 and "spec.policy" in bad_rec.stderr,
          "a recording whose policy name is invalid is refused by the schema", bad_rec.stderr)
    E.apply(recording_obj("nomatch", "web2", {"matchLabels": {"app": "nobody"}}))
    try:
        wait_until(lambda: cond(E.status("nomatch"), "Recording").get("reason") == "NoPods",
                   T, "NoPods on a recording that selects nothing")
        ok("a selector that matches nothing: Recording False, reason NoPods")
    except AssertionError as e:
        bad("a selector that matches nothing", e)
    time.sleep(1)  # creationTimestamp has a one-second grain: be surely later than web-rec
    E.apply(recording_obj("web-rec2", "web", {"matchLabels": {"app": "web"}}))
    try:
        wait_until(lambda: cond(E.status("web-rec2"), "Recording").get("reason") == "Conflict",
                   T, "Conflict on the second recording of policy web")
        msg = cond(E.status("web-rec2"), "Recording").get("message", "")
        check("web-rec" in msg, "two recordings of one policy: the later one Conflict, naming "
              "the first", msg)
    except AssertionError as e:
        bad("two recordings of one policy", e)
    check(is_recording_profile(profile(a.agent, f"{NS}/web.json")) and
          cond(E.status("web-rec"), "Recording").get("status") == "True",
          "the first recording still records")
    try:
        wait_until(lambda: "share kscmp/demo/api.json" in (cond(E.status("api-rec"), "Complete")
                                                            .get("message") or ""),
                   T, "api-rec says its pod shares the file")
        ok("a pod sharing its file with a pod the recording does not select: not recorded, "
           "and the status says why")
    except AssertionError as e:
        bad("a shared file", f"{e}: {json.dumps(E.status('api-rec'))[:600]}")
    check(cc.agent.read(f"{NS}/api.json") == api_before,
          "api.json (shared with a pod not selected) keeps its policy's profile")

    # A pod that stops mid-recording: its calls stay, it leaves the active list, no crash.
    b.run_in(uid["web-b"], BUSYBOX, "uptime")  # sysinfo, just before it goes
    time.sleep(0.2)
    b.remove_pod_cg(uid["web-b"])
    c.kubectl_ok("delete", "pod", "-n", NS, "web-b", "--grace-period=0", "--force")

    def b_gone():
        st = E.status("web-rec")
        ent = [n for n in st.get("nodes") or [] if n["name"] == "node-b"]
        return (ent and not ent[0].get("active") and "sysinfo" in syscalls(st)
                and st.get("podsSeen") == 3) or (False, f"{ent} {sorted(syscalls(st))} "
                                                        f"podsSeen {st.get('podsSeen')}")
    try:
        wait_until(b_gone, T, "node-b's pod gone from active, its calls kept")
        ok("a pod that stops mid-recording: its calls kept (sysinfo), no longer active, "
           "podsSeen still 3")
    except AssertionError as e:
        bad("a pod that stops mid-recording", e)
    check(b.agent.alive(), "node-b's agent is still running")

    # Agent SIGKILLed while its pod keeps calling; pinned: nothing is missed.
    a.agent.kill()
    a.run_in(uid["web-a"], BUSYBOX, "chmod", "644", "/dev/null")  # chmod while no agent runs
    a.agent.start()
    a.agent.wait_ready(T)
    try:
        wait_until(lambda: "chmod" in syscalls(E.status("web-rec")), T,
                   "a call made while node-a's agent was down")
        ent = [n for n in E.status("web-rec").get("nodes") or [] if n["name"] == "node-a"]
        check(ent and not ent[0].get("missed") and
              cond(E.status("web-rec"), "Complete").get("status") != "False" or
              "node-a" not in cond(E.status("web-rec"), "Complete").get("message", ""),
              "agent SIGKILLed, restarted (pinned recorder): the call made meanwhile is "
              "recorded, nothing said missing for node-a", ent)
    except AssertionError as e:
        bad("agent restart with a pinned recorder", e)
    check("took over the pinned" in a.agent.log_text(), "the new agent took over the pinned "
          "program", a.agent.log_tail())

    # Without pins (node-c): the status says what may be missing.
    cc.agent.kill()
    cc.agent.start()
    cc.agent.wait_ready(T)
    try:
        wait_until(lambda: "node-c: the agent restarted" in
                   (cond(E.status("web-rec"), "Complete").get("message") or ""),
                   T, "Complete False naming node-c")
        check(cond(E.status("web-rec"), "Complete").get("status") == "False",
              "agent restarted without pins: Complete False, the status says node-c may have "
              "missed calls")
    except AssertionError as e:
        bad("agent restart without pins", f"{e}: {json.dumps(E.status('web-rec'))[:600]}")

    stale_write(E, nodes)

    # A recording whose spec.policy is changed: the file of the policy it named before is
    # given back to its policies (it was left a recording profile for good).
    E.apply(recording_obj("mover", "other", {"matchLabels": {"app": "other"}}))
    try:
        wait_until(lambda: is_recording_profile(profile(a.agent, f"{NS}/other.json")), T,
                   "other.json a recording profile")
        c.kubectl_ok("patch", "seccomprecording", "-n", NS, "mover", "--type=merge", "-p",
                     json.dumps({"spec": {"policy": "elsewhere"}}))
        wait_until(lambda: a.agent.read(f"{NS}/other.json") == other_before, T,
                   "other.json back to its policy")
        ok("a recording's spec.policy changed: the file it recorded before is its policy's again")
    except AssertionError as e:
        bad("a recording's spec.policy changed", e)
    c.kubectl_ok("delete", "seccomprecording", "-n", NS, "mover")

    # The policy applied, the recordings deleted (node-a's agent down meanwhile): the files
    # are the policy's again, and node-a's pinned recorder is taken over and stopped.
    a.agent.kill()
    c.kubectl_ok("apply", "-f", show_yaml)
    for name in ("web-rec", "web-rec2", "nomatch", "api-rec"):
        c.kubectl_ok("delete", "seccomprecording", "-n", NS, name)
    a.agent.start()
    a.agent.wait_ready(T)
    try:
        wait_until(lambda: not os.path.exists(os.path.join(a.pin, "link")), T,
                   "node-a's pinned recorder stopped")
        ok("recordings deleted while node-a's agent was down: its next agent stops the "
           "recorder left pinned (nothing left to record)")
    except AssertionError as e:
        bad("the recorder left pinned", f"{e}: {a.agent.log_tail()}")

    def policy_file():
        p = profile(a.agent, f"{NS}/web.json")
        names = {n for r in (p or {}).get("syscalls", []) for n in r.get("names", [])
                 if r.get("action") == "SCMP_ACT_ALLOW"}
        return (p and p.get("defaultAction") == "SCMP_ACT_ERRNO" and "mkdir" in names
                and "ptrace" not in names) or (False, json.dumps(p)[:300])
    try:
        wait_until(policy_file, T, "web.json back to the policy")
        ok("the recording deleted: web.json is the recorded policy's profile (mkdir allowed, "
           "ptrace not)")
    except AssertionError as e:
        bad("after the recording", e)
    # An agent with --recording but without the RBAC to read recordings: it still writes every
    # profile (its first sync does not wait for them for ever).
    norec_kc = os.path.join(E.scratch, "norec.kubeconfig")
    c.sa_kubeconfig("kscmp-system", "norec", norec_kc)
    E.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
             "metadata": {"name": "kscmp-norec"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                         "name": "kscmp-agent"},
             "subjects": [{"kind": "ServiceAccount", "name": "norec", "namespace": "kscmp-system"}]},
            pod_obj("other-d", "node-d", {"app": "other"}, f"kscmp/{NS}/other.json"))
    d = Node(E, "node-d")
    d.agent.kubeconfig = norec_kc
    nodes.append(d)
    d.agent.start()
    try:
        d.agent.wait_ready(T)
        ok("an agent that may not read SeccompRecordings is ready all the same")
    except AssertionError as e:
        bad("an agent that may not read SeccompRecordings", e)
    check(d.agent.read(f"{NS}/other.json") is not None,
          "... and writes its pods' profiles", d.agent.log_tail())
    check("could not be listed" in d.agent.log_text(), "... and says why recordings are missing",
          d.agent.log_tail())
    for n in nodes:
        check(n.agent.alive(), f"{n.name}'s agent is still running")
    for n in (a,):
        rc = n.agent.stop()
        check(rc == 0, f"{n.name}'s agent stops with 0 on SIGTERM", n.agent.log_tail())


if __name__ == "__main__":
    sys.exit(main())
