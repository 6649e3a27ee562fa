#!/usr/bin/env python3
"""node_suite.py - the scenarios of suite-node.sh, on the node node.sh started.

usage: node_suite.py --node DIR --scratch DIR [--only NAME,...]

Prints one line per check ("ok   ..." / "FAIL ..." / "XFAIL ...") and keeps the counts in
SCRATCH/counts ("PASSED FAILED") for suite-node.sh, which prints the closing line. Every
wait polls with a deadline; nothing sleeps and hopes. Python 3 standard library only.
"""
import argparse
import datetime
import glob
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from kube_e2e import (REPO, Cluster, ScenarioReport, Stop, http_get, parse_metrics,  # noqa: E402
                      read_env_file, require, wait_until)
import node_record  # noqa: E402

NODE_SH = os.path.join(HERE, "node.sh")
T = 120  # seconds, the default bound of a wait (pods start in seconds; the machine may be busy)
EACCES_TEXT, EPERM_TEXT = "Permission denied", "Operation not permitted"


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


# ---------------------------------------------------------------- the node
class Node:
    def __init__(self, d, report):
        self.dir = os.path.abspath(d)
        self.r = report
        self.reload()

    def reload(self):
        self.env = read_env_file(os.path.join(self.dir, "env"))
        self.c = Cluster(os.path.join(self.dir, "cp"))
        self.name = self.env["KSCMP_NODE_NAME"]
        self.root = self.env["KSCMP_KUBELET_ROOT"]
        self.profiles = os.path.join(self.root, "seccomp", "kscmp")
        self.busybox = self.env["KSCMP_E2E_IMAGE_BUSYBOX"]
        self.image = self.env["KSCMP_E2E_IMAGE_KSCMP"]
        self.sock = self.env["KSCMP_E2E_CONTAINERD_SOCK"]

    def sh(self, *args, timeout=300, env=None):
        p = subprocess.run(["bash", NODE_SH, args[0], self.dir] + list(args[1:]), capture_output=True,
                           text=True, timeout=timeout, env=dict(os.environ, **(env or {})))
        if p.returncode != 0:
            raise RuntimeError(f"node.sh {args[0]} failed: {p.stderr.strip()[-1500:]}")
        self.reload()
        return p.stdout

    def ctr(self, *args, timeout=60):
        return subprocess.run(["ctr", "--address", self.sock, "--namespace", "k8s.io"] + list(args),
                              capture_output=True, text=True, timeout=timeout)

    def k(self, *args, **kw):
        return self.c.kubectl(*args, **kw)

    def k_ok(self, *args, **kw):
        return self.c.kubectl_ok(*args, **kw)

    def apply(self, *objs):
        p = self.c.apply_objects(list(objs))
        if p.returncode != 0:
            raise RuntimeError(f"kubectl apply: {p.stderr.strip()[-800:]}")

    def namespace(self, name, labels=None):
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}})
        # The ServiceAccount admission plugin refuses pods until the controller-manager made it.
        wait_until(lambda: self.c.get_ok(f"/api/v1/namespaces/{name}/serviceaccounts/default"), T,
                   f"ServiceAccount {name}/default")

    def pod(self, ns, name):
        return self.c.get_ok(f"/api/v1/namespaces/{ns}/pods/{name}")

    def pods(self, ns, selector=None):
        q = f"?labelSelector={selector}" if selector else ""
        obj = self.c.get_ok(f"/api/v1/namespaces/{ns}/pods{q}") or {}
        return obj.get("items", [])

    def events(self, ns, pod=None, reason=None):
        return self.c.events(ns, pod, reason)

    def logs(self, ns, name, container="main", previous=False):
        args = ["-n", ns, "logs", name, "-c", container] + (["--previous"] if previous else [])
        p = self.k(*args)
        if p.returncode == 0:
            return p.stdout
        # The kubelet's own files, if the API server could not reach it.
        out = ""
        for f in sorted(glob.glob(os.path.join(self.env["KSCMP_E2E_POD_LOGS"], f"{ns}_{name}_*", container, "*.log"))):
            out += open(f, errors="replace").read()
        return out

    def agent_pods(self):
        return [p for p in self.pods("kscmp-system", "app.kubernetes.io/name%3Dkscmp")
                if not p["metadata"].get("deletionTimestamp")]

    def agent_pod(self):
        """The agent's pod that is Ready (exactly one on this one-node cluster)."""
        def pred():
            ready = [p for p in self.agent_pods() if pod_ready(p)]
            return ready[0] if len(ready) == 1 else (False, f"{len(ready)} ready agent pods")
        return wait_until(pred, T, "the agent's pod to be Ready")

    def container_pids(self, pod, cname):
        """PIDs in the cgroup of a pod's container (cgroup v1, cgroupfs driver)."""
        st = container_status(pod, cname)
        cid = (st or {}).get("containerID", "").split("//")[-1]
        require(cid, f"{pod['metadata']['name']}/{cname} has no container id")
        uid = pod["metadata"]["uid"]
        for d in glob.glob(f"/sys/fs/cgroup/pids/kubepods/**/pod{uid}/{cid}", recursive=True):
            return [int(x) for x in open(os.path.join(d, "cgroup.procs")).read().split()]
        raise AssertionError(f"no cgroup for container {cid} of pod {uid}")

    def agent_get(self, path, pod=None):
        pod = pod or self.agent_pod()
        return http_get(pod["status"]["podIP"], 9750, path, 5)

    def agent_metrics(self):
        st, text = self.agent_get("/metrics")
        require(st == 200, f"/metrics: HTTP {st}")
        return parse_metrics(text)

    def agent_log(self):
        p = self.k("-n", "kscmp-system", "logs", "ds/kscmp", "--tail=-1")
        return p.stdout if p.returncode == 0 else p.stderr

    def profile_files(self):
        out = {}
        for d, _, files in os.walk(self.profiles):
            for f in files:
                path = os.path.join(d, f)
                try:
                    out[os.path.relpath(path, self.profiles)] = open(path, "rb").read()
                except FileNotFoundError:
                    pass
        return out

    def read_profile(self, rel):
        try:
            return open(os.path.join(self.profiles, rel), "rb").read()
        except FileNotFoundError:
            return None


TAINT = "kscmp.io/agent-not-ready"


def node_taints(N):
    node = N.c.get_ok(f"/api/v1/nodes/{N.name}") or {}
    return [t.get("key") for t in (node.get("spec") or {}).get("taints") or []]


def pod_ready(p):
    for c in (p.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def container_status(p, cname):
    st = p.get("status") or {}
    for s in (st.get("containerStatuses") or []) + (st.get("initContainerStatuses") or []):
        if s.get("name") == cname:
            return s
    return None


def bb_pod(node, ns, name, cmd, profile=None, ape=None, labels=None, restart="Never", runtime_default=False):
    sc = {}
    if ape is not None:
        sc["allowPrivilegeEscalation"] = ape
    if runtime_default:
        sc["seccompProfile"] = {"type": "RuntimeDefault"}
    spec = {"restartPolicy": restart, "terminationGracePeriodSeconds": 1, "automountServiceAccountToken": False,
            "enableServiceLinks": False, "dnsPolicy": "Default",
            "containers": [{"name": "main", "image": node.busybox, "imagePullPolicy": "Never", "command": cmd,
                            "securityContext": sc}]}
    if profile:
        spec["securityContext"] = {"seccompProfile": {"type": "Localhost", "localhostProfile": profile}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
            "spec": spec}


def policy(ns, name, rules=None, extends="runtime/default", selector=None, seccomp=None):
    spec = {}
    if extends:
        spec["extends"] = extends
    if rules:
        spec["rules"] = rules
    if selector is not None:
        spec["selector"] = selector
    if seccomp:
        spec["seccomp"] = seccomp
    return {"apiVersion": "kscmp.io/v1", "kind": "SeccompPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def block_mkdir(errno="EACCES"):
    return [{"syscalls": ["mkdir", "mkdirat"], "action": "Block", "errno": errno}]


WAIT_ERRORS = {"CreateContainerError", "CreateContainerConfigError", "RunContainerError", "StartError",
               "CrashLoopBackOff", "ErrImageNeverPull", "InvalidImageName"}


def outcome(node, ns, name, cname="main", timeout=T, settle=8.0, running=False):
    """Waits for a container to end up somewhere: ("terminated", exitCode, reason, message),
    ("waiting", reason, message) once that reason held for settle seconds, or with running,
    ("running",)."""
    since = {}

    def pred():
        p = node.pod(ns, name)
        st = container_status(p or {}, cname) or {}
        state = st.get("state") or {}
        if "terminated" in state:
            t = state["terminated"]
            return ("terminated", t.get("exitCode"), t.get("reason", ""), t.get("message", ""))
        if "running" in state and running:
            return ("running",)
        w = state.get("waiting") or {}
        reason = w.get("reason", "")
        if reason in WAIT_ERRORS:
            t0 = since.setdefault(reason, time.monotonic())
            if time.monotonic() - t0 >= settle:
                return ("waiting", reason, w.get("message", ""))
        return (False, f"{cname}: {state or 'no status'}")
    return wait_until(pred, timeout, f"container {ns}/{name}/{cname} to start or fail")


def wait_running(node, ns, name, cname="main", timeout=T):
    def pred():
        p = node.pod(ns, name)
        st = container_status(p or {}, cname) or {}
        return ("running" in (st.get("state") or {})) or (False, st.get("state"))
    return wait_until(pred, timeout, f"{ns}/{name}/{cname} Running")


def wait_event(node, ns, pod, reason, contains=None, timeout=T, etype=None):
    def pred():
        for e in node.events(ns, pod, reason):
            if contains and contains not in e.get("message", ""):
                continue
            if etype and e.get("type") != etype:
                continue
            return e
        return False
    return wait_until(pred, timeout, f"Event {reason} on {ns}/{pod}" + (f" containing {contains!r}" if contains else ""))


def kubelet_seccomp_events(node, ns, pod):
    """The kubelet's Warning Events of a pod that say a seccomp profile could not be loaded."""
    return [e for e in node.events(ns, pod) if e.get("type") == "Warning" and e.get("reason") == "Failed"
            and "seccomp" in e.get("message", "").lower()]


# ---------------------------------------------------------------- scenarios
def check_agent_as_designed(N, how):
    r = N.r
    pod = r.step(f"{how}: the agent's pod is Ready (readiness probe /readyz)", N.agent_pod)
    r.step(f"{how}: the agent removed the node's {TAINT} taint (the kubelet registered it)",
           wait_until, lambda: TAINT not in node_taints(N) or (False, node_taints(N)), T, "the taint to go")
    spec_c = pod["spec"]["containers"][0]
    probes = [spec_c.get("readinessProbe", {}).get("httpGet", {}).get("path"),
              spec_c.get("livenessProbe", {}).get("httpGet", {}).get("path")]
    r.soft(probes == ["/readyz", "/healthz"], f"{how}: probes are /readyz and /healthz", str(probes))
    st, body = N.agent_get("/readyz", pod)
    r.soft(st == 200, f"{how}: /readyz answers 200 on the pod's address", f"{st} {body[:200]}")
    pids = N.container_pids(pod, "agent")
    require(pids, "no process in the agent's cgroup")
    pid = pids[0]
    status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status").read().splitlines() if ":" in line)
    caps = {k: status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
    r.soft(all(int(v, 16) == 0 for v in caps.values()), f"{how}: the agent process has no capability at all",
           str(caps))
    r.soft(status.get("NoNewPrivs", "").strip() == "1", f"{how}: no_new_privs (allowPrivilegeEscalation: false)",
           status.get("NoNewPrivs"))
    r.soft(status.get("Seccomp", "").strip() == "2", f"{how}: under a seccomp filter (RuntimeDefault)",
           status.get("Seccomp"))
    r.soft(status.get("Uid", "").split()[:2] == ["0", "0"], f"{how}: runs as uid 0 (owner of the seccomp folder)",
           status.get("Uid"))
    mounts = [line.split() for line in open(f"/proc/{pid}/mountinfo").read().splitlines()]
    rootm = [m for m in mounts if m[4] == "/"]
    r.soft(rootm and "ro" in rootm[-1][5].split(","), f"{how}: root filesystem read-only", str(rootm[-1:]))
    host_dev = os.stat("/").st_dev
    host_majmin = f"{os.major(host_dev)}:{os.minor(host_dev)}"
    seccomp_dir = os.path.join(N.root, "seccomp")
    from_host = {m[4]: m[3] for m in mounts if m[2] == host_majmin}
    dirs = {p: src for p, src in from_host.items() if p not in (
        "/etc/hosts", "/dev/termination-log", "/etc/hostname", "/etc/resolv.conf")}
    r.soft(dirs == {seccomp_dir: seccomp_dir},
           f"{how}: only <kubelet root>/seccomp is mounted from the host (besides the kubelet's per-pod files)",
           json.dumps(from_host, indent=1))
    rw = [m for m in mounts if m[4] == seccomp_dir]
    r.soft(rw and "rw" in rw[-1][5].split(","), f"{how}: the seccomp folder is writable", str(rw))
    r.soft("checked: the kubelet that runs this pod" in N.agent_log(),
           f"{how}: the agent checked its kubelet root against its own mounts", N.agent_log()[-800:])
    return pod


def write_and_use(N, how, ns):
    """A policy and a pod: the agent writes the file there, the kubelet loads it."""
    r = N.r
    N.namespace(ns)
    N.apply(policy(ns, "p", block_mkdir()),
            bb_pod(N, ns, "use", ["sh", "-c", "mkdir /tmp/x; echo mkdir=$?"], profile=f"kscmp/{ns}/p.json"))
    path = os.path.join(N.profiles, ns, "p.json")
    r.step(f"{how}: the agent wrote {path} on the host",
           wait_until, lambda: os.path.exists(path), T, path)
    st = os.stat(path)
    r.soft(st.st_uid == 0 and (st.st_mode & 0o777) == 0o644, f"{how}: owned by root, mode 0644",
           f"uid {st.st_uid} mode {oct(st.st_mode)}")
    o = outcome(N, ns, "use")
    out = N.logs(ns, "use")
    r.soft(o[0] == "terminated" and o[1] == 0 and EACCES_TEXT in out and "mkdir=1" in out,
           f"{how}: a pod started by the kubelet under it: mkdir refused with EACCES", f"{o} {out!r}")


def agents_status(N):
    """kubectl kscmp status -A -o json as an admin runs it on this cluster: (exit, report)."""
    p = subprocess.run([os.path.join(REPO, "build", "kscmp"), "status", "-A", "-o", "json"],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, KUBECONFIG=N.env["KUBECONFIG"]))
    j = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
    return p, (j.get("agents") or {})


def s_install(N):
    r = N.r
    r.step("deploy/: kubectl apply (kubelet root and local image set as deploy/README.md says)",
           N.sh, "deploy")
    check_agent_as_designed(N, "deploy/")
    p, a = agents_status(N)
    sets = a.get("daemonSets") or []
    r.soft(len(sets) == 1 and sets[0].get("desired") == 1 and sets[0].get("ready") == 1 and
           not a.get("notReady"), "deploy/: kubectl kscmp status -A finds the DaemonSet, 1 of 1 agents Ready",
           f"exit {p.returncode}: {a} {p.stderr[-300:]}")
    write_and_use(N, "deploy/", "inst-a")
    r.step("deploy/: removed (kubectl delete of the DaemonSet, Service, RBAC)", N.sh, "undeploy")
    r.step("chart: helm install (kubeletRoot and image as values)", N.sh, "deploy", "--helm")
    check_agent_as_designed(N, "helm")
    write_and_use(N, "helm", "inst-b")
    # The file of the first install stays: nothing references it any more, so the agent may
    # remove it; the second one must be there.
    r.soft(N.read_profile("inst-b/p.json") is not None, "helm: its profile stays on disk")


def s_kubelet_root(N):
    """Issue 15 item 8: a wrong kubeletRoot is refused loudly."""
    r = N.r
    wrong = os.path.join(N.dir, "not-the-kubelet-root")
    r.step("helm uninstall", N.sh, "undeploy")
    p = subprocess.run(["bash", NODE_SH, "deploy", N.dir, "--helm"], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, KSCMP_E2E_START_TIMEOUT="30",
                                KSCMP_E2E_HELM_ARGS=f"--set kubeletRoot={wrong}"))
    N.reload()
    r.soft(p.returncode != 0, "wrong kubeletRoot: the DaemonSet never becomes Ready", p.stderr[-300:])

    def crashed():
        for pod in N.agent_pods():
            st = container_status(pod, "agent") or {}
            t = (st.get("lastState") or {}).get("terminated") or (st.get("state") or {}).get("terminated")
            if t and "is not this node's kubelet root" in t.get("message", ""):
                return t
        return False
    t = r.step("wrong kubeletRoot: the agent exits, the reason in its termination message",
               wait_until, crashed, T, "the agent's termination message")
    r.info(f"termination message: {t.get('message', '')[:300]}")
    r.soft(t.get("exitCode") == 1, "wrong kubeletRoot: exit status 1", str(t.get("exitCode")))
    p, a = agents_status(N)
    nr = a.get("notReady") or []
    r.soft(p.returncode == 1 and any(x.get("node") == N.name and "is not this node's kubelet root" in x.get("why", "")
                                     for x in nr),
           "wrong kubeletRoot: kubectl kscmp status -A reports the agent not Ready on its node, with its "
           "termination message", f"exit {p.returncode}: {a} {p.stderr[-300:]}")
    r.soft(not os.path.exists(os.path.join(wrong, "seccomp", "kscmp")),
           "wrong kubeletRoot: nothing written below the wrong root (only the hostPath's empty folder)",
           str(os.listdir(os.path.join(wrong, "seccomp"))) if os.path.isdir(os.path.join(wrong, "seccomp")) else "")
    r.step("helm uninstall; deploy/ again for the next scenarios", lambda: (N.sh("undeploy"), N.sh("deploy")))


def ran(o, out):
    """The container's process started (the runtime got as far as execve)."""
    return o[0] == "terminated" and o[2] != "StartError" and "exec fifo" not in out


# What each container of examples/90-pods.yaml runs with the busybox image, and what must come
# out. allowlist: the profile is an allow-list (the container starts thanks to the runtime's
# start-up set, contract 3.5, and busybox itself thanks to examples/50-program-start.yaml;
# a StartError or a program that dies as it starts fails).
EXAMPLE_RUNS = {
    # Allow-lists: busybox runs, and mkdir fails with the policy's errno (EPERM).
    ("wordpress-mysql", "wordpress-0", "wordpress"): dict(
        cmd=["busybox", "mkdir", "/tmp/x"], allowlist=True,
        expect="busybox runs, mkdir (not in the allow-list) fails with EPERM",
        check=lambda o, out: ran(o, out) and o[1] == 1 and EPERM_TEXT in out),
    ("demo", "web-1", "web"): dict(
        cmd=["busybox", "mkdir", "/tmp/x"], allowlist=True,
        expect="busybox runs, mkdir (blocked by kscmp2) fails with EPERM",
        check=lambda o, out: ran(o, out) and o[1] == 1 and EPERM_TEXT in out),
    ("demo", "api-1", "api"): dict(
        cmd=["busybox", "mount", "-t", "tmpfs", "none", "/tmp"], allowlist=True,
        expect="mount is Kill in base: killed by SIGSYS (exit status 159), never mounted",
        check=lambda o, out: ran(o, out) and o[1] == 159),
    ("demo", "api-1", "sidecar"): dict(
        cmd=["sh", "-c", "echo hello; mkdir /tmp/x; echo mkdir=$?; ls / >/dev/null && echo ls=ok"],
        allowlist=False,
        expect="echo and ls work, mkdir refused with EACCES",
        check=lambda o, out: (o[0] == "terminated" and o[1] == 0 and "hello" in out and EACCES_TEXT in out
                              and "mkdir=1" in out and "ls=ok" in out)),
}


def example_pods(N):
    docs = N.c.yaml_to_objects(os.path.join(REPO, "examples", "90-pods.yaml"))
    out = []
    for variant in ("", "-nnp"):
        for d in docs:
            p = json.loads(json.dumps(d))
            ns, name = p["metadata"]["namespace"], p["metadata"]["name"]
            p["metadata"]["name"] = name + variant
            p["metadata"].pop("annotations", None)
            spec = p["spec"]
            spec.update(restartPolicy="Never", terminationGracePeriodSeconds=1, automountServiceAccountToken=False,
                        enableServiceLinks=False, dnsPolicy="Default")
            for c in spec["containers"]:
                run = EXAMPLE_RUNS[(ns, name, c["name"])]
                c.update(image=N.busybox, imagePullPolicy="Never", command=run["cmd"])
                if variant:
                    c.setdefault("securityContext", {})["allowPrivilegeEscalation"] = False
            out.append(p)
    return out


def s_enforce(N):
    r = N.r
    ex = os.path.join(REPO, "examples")
    r.step("examples/ policies applied (namespaces, KubeArmor, merge, inheritance, cluster baseline, program start)",
           N.k_ok, "apply", "-f", os.path.join(ex, "00-namespaces.yaml"), "-f", os.path.join(ex, "10-kubearmor-wordpress.yaml"),
           "-f", os.path.join(ex, "20-merge.yaml"), "-f", os.path.join(ex, "30-inheritance.yaml"),
           "-f", os.path.join(ex, "40-cluster-baseline.yaml"), "-f", os.path.join(ex, "50-program-start.yaml"))
    for ns in ("wordpress-mysql", "demo"):
        wait_until(lambda: N.c.get_ok(f"/api/v1/namespaces/{ns}/serviceaccounts/default"), T, f"SA {ns}/default")
    pods = example_pods(N)
    # A control: the sidecar's commands under RuntimeDefault, where mkdir works.
    control = bb_pod(N, "demo", "control", EXAMPLE_RUNS[("demo", "api-1", "sidecar")]["cmd"], runtime_default=True)
    N.apply(*(pods + [control]))
    o = outcome(N, "demo", "control")
    out = N.logs("demo", "control")
    r.soft(o[0] == "terminated" and o[1] == 0 and "mkdir=0" in out,
           "control: the same commands under RuntimeDefault: mkdir succeeds", f"{o} {out!r}")
    for p in pods:
        ns, name = p["metadata"]["namespace"], p["metadata"]["name"]
        base = name.removesuffix("-nnp")
        mode = "allowPrivilegeEscalation: false (no_new_privs)" if name.endswith("-nnp") else "default (may gain privileges)"
        for c in p["spec"]["containers"]:
            run = EXAMPLE_RUNS[(ns, base, c["name"])]
            title = f"enforce {ns}/{base}/{c['name']}, {mode}: {run['expect']}"
            try:
                o = outcome(N, ns, name, c["name"])
            except AssertionError as e:
                r.bad(title, str(e))
                continue
            out = N.logs(ns, name, c["name"]) if o[0] == "terminated" else ""
            good = run["check"](o, out)
            why = f"container: {o}; output: {out[-300:]!r}"
            if run["allowlist"]:
                r.info(f"{ns}/{name}/{c['name']}: {o[:3]}, output {out.strip()[-160:]!r}")
            r.soft(good, title, why)


def s_change(N):
    r = N.r
    ns = "chg"
    N.namespace(ns)
    N.apply(policy(ns, "prof", block_mkdir("EACCES")),
            bb_pod(N, ns, "running", ["sh", "-c", "mkdir /tmp/a; sleep 3600"], profile=f"kscmp/{ns}/prof.json"))
    r.step("change: pod running under prof.json (mkdir: EACCES)", wait_running, N, ns, "running")
    wait_until(lambda: EACCES_TEXT in N.logs(ns, "running"), T, "the running pod's mkdir output")
    # A change in a later second than the start: the plain case (the same second: below).
    started = container_status(N.pod(ns, "running"), "main")["state"]["running"]["startedAt"]
    t_start = datetime.datetime.strptime(started, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    wait_until(lambda: time.time() >= t_start + 1.2, 10, "the second after the container started")
    before = N.read_profile(f"{ns}/prof.json")
    N.k_ok("-n", ns, "patch", "seccomppolicy", "prof", "--type", "merge", "-p",
           json.dumps({"spec": {"rules": block_mkdir("EPERM")}}))
    r.step("change: the policy's errno changed to EPERM: the file is rewritten",
           wait_until, lambda: (N.read_profile(f"{ns}/prof.json") or before) != before, T, "the new profile")
    e = r.step("change: the running pod gets a ProfileStale Event", wait_event, N, ns, "running", "ProfileStale")
    r.info(f"ProfileStale: {e.get('message', '')[:200]}")
    r.step("change: kscmp_pods_stale_profiles counts it",
           wait_until, lambda: N.agent_metrics().get("kscmp_pods_stale_profiles", 0) >= 1, T, "the stale metric")
    p = N.k("-n", ns, "exec", "running", "--", "mkdir", "/tmp/b")
    r.soft(p.returncode != 0 and EACCES_TEXT in p.stderr,
           "change: a process started in the running container still gets the old profile (EACCES)",
           f"exit {p.returncode}: {p.stderr.strip()!r}")
    N.apply(bb_pod(N, ns, "new", ["sh", "-c", "mkdir /tmp/a; echo done"], profile=f"kscmp/{ns}/prof.json"))
    o = outcome(N, ns, "new")
    out = N.logs(ns, "new")
    r.soft(o[0] == "terminated" and EPERM_TEXT in out, "change: a new pod gets the new profile (EPERM)",
           f"{o} {out!r}")
    change_same_second(N, ns)


def change_same_second(N, ns):
    """A policy changed in the second its pod's container started (startedAt has whole seconds):
    the container may have read either version, so it is reported (the Event says "may")."""
    r = N.r
    logs = N.env["KSCMP_E2E_POD_LOGS"]
    texts = {"EACCES": EACCES_TEXT, "EPERM": EPERM_TEXT}
    cur = "EPERM"  # what the change above left
    for attempt in range(1, 6):
        name = f"quick{attempt}"
        N.apply(bb_pod(N, ns, name, ["sh", "-c", "echo go; exec sleep 3600"], profile=f"kscmp/{ns}/prof.json"))
        # The container's first line, read from the kubelet's log file on this host the moment it is
        # there (polled every 10 ms): the policy changes right after the container started.
        deadline = time.monotonic() + T
        while not any("go" in open(f, errors="replace").read()
                      for f in glob.glob(os.path.join(logs, f"{ns}_{name}_*", "main", "*.log"))):
            require(time.monotonic() < deadline, f"{name}'s output in {logs}")
            time.sleep(0.01)
        before = N.read_profile(f"{ns}/prof.json")
        st, ans = N.c.api("PATCH", f"/apis/kscmp.io/v1/namespaces/{ns}/seccomppolicies/prof",
                          body={"spec": {"rules": block_mkdir("EACCES" if cur == "EPERM" else "EPERM")}},
                          ctype="application/merge-patch+json")
        require(st == 200, f"patching the policy: HTTP {st} {ans}")
        old, cur = cur, "EACCES" if cur == "EPERM" else "EPERM"
        wait_until(lambda: (N.read_profile(f"{ns}/prof.json") or before) != before, T, "the new profile")
        changed = os.stat(os.path.join(N.profiles, ns, "prof.json")).st_mtime_ns // 1000000000
        wait_running(N, ns, name)
        started = container_status(N.pod(ns, name), "main")["state"]["running"]["startedAt"]
        t_start = int(datetime.datetime.strptime(started, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp())
        if t_start != changed:
            r.info(f"same second, attempt {attempt}: container started {started}, profile changed in second "
                   f"{changed - t_start:+d} from it: again")
            N.k("-n", ns, "delete", "pod", name, "--wait=false")
            continue
        e = r.step(f"change in the second a container started ({started}): ProfileStale, saying it may run "
                   "under the older profile", wait_event, N, ns, name, "ProfileStale", "same second")
        r.info(f"ProfileStale: {e.get('message', '')[:300]}")
        p = N.k("-n", ns, "exec", name, "--", "mkdir", "/tmp/b")
        got = "the older" if texts[old] in p.stderr else "the newer" if texts[cur] in p.stderr else "no"
        r.info(f"same second: the container had read {got} version ({p.stderr.strip()!r})")
        return
    r.info("same second: in 5 attempts the change never landed in the container's start second "
           "(a busy machine); not checked")


def race_round(N, ns, count, tag):
    """count policies and pods in one kubectl apply; returns (missing-file failures, seconds to
    Running per pod)."""
    objs = []
    for i in range(count):
        objs.append(policy(ns, f"p{i}", block_mkdir()))
        objs.append(bb_pod(N, ns, f"pod{i}", ["sleep", "3600"], profile=f"kscmp/{ns}/p{i}.json"))
    t0 = time.monotonic()
    N.apply(*objs)
    running = {}

    def pred():
        obj = N.c.get_ok(f"/api/v1/namespaces/{ns}/pods") or {}
        now = time.monotonic()
        for p in obj.get("items", []):
            st = container_status(p, "main") or {}
            if "running" in (st.get("state") or {}):
                running.setdefault(p["metadata"]["name"], now - t0)
        return len(running) == count or (False, f"{len(running)}/{count} Running")
    wait_until(pred, 240, f"{count} pods Running", interval=0.1)
    failed = {}
    for i in range(count):
        ev = kubelet_seccomp_events(N, ns, f"pod{i}")
        if ev:
            failed[f"pod{i}"] = sum(e.get("count", 1) for e in ev)
    return failed, [running[f"pod{i}"] for i in range(count)]


def s_race(N):
    r = N.r
    results = {}
    for count in (1, 20):
        ns = f"race-{count}"
        N.namespace(ns)
        failed, times = r.step(f"race: {count} policy+pod pair(s) in one kubectl apply: every pod Running",
                               race_round, N, ns, count, str(count))
        results[count] = (failed, times)
        r.info(f"race {count}: {len(failed)}/{count} pod(s) hit CreateContainerError for a missing profile "
               f"({sum(failed.values())} kubelet Event(s)); time to Running p50 {pct(times, 50):.2f} s, "
               f"max {max(times):.2f} s")
        with open(os.path.join(N.r.scratch, f"race-{count}.json"), "w") as f:
            json.dump({"failed": failed, "seconds_to_running": times}, f)
        r.soft(not failed, f"race: {count} pod(s): no container start failed for a missing file",
               f"{len(failed)} pod(s) failed first: {failed}")
        # Each started with the first version of its file, often in the second it was written:
        # none may be taken for stale (a first version is dated the second before).
        stale = [e.get("message") for e in N.events(ns, None, "ProfileStale")]
        told = [ln for ln in N.agent_log().splitlines() if f"ProfileStale on pod {ns}/" in ln]
        r.soft(not stale and not told, f"race: {count} pod(s): none reported ProfileStale", f"{stale} {told}")
        N.k("delete", "namespace", ns, "--wait=false")


ADMISSION = "kscmp-profile-references"  # deploy/07-pod-policy.yaml, the chart's pod-policy.yaml


def create_pod(N, obj, dry_run=False):
    """POSTs a Pod (with dry_run, only through admission); (HTTP status, the answer's message)."""
    q = "?dryRun=All" if dry_run else ""
    st, ans = N.c.api("POST", f"/api/v1/namespaces/{obj['metadata']['namespace']}/pods{q}", body=obj)
    return st, (ans.get("message", "") if isinstance(ans, dict) else str(ans))


def s_failclosed(N):
    r = N.r
    ns, other = "fc", "fc-other"
    N.namespace(ns)
    N.namespace(other)
    cmd = ["sh", "-c", "echo UNCONFINED-RAN; mkdir /tmp/x; echo mkdir=$?"]
    # other's file exists on the node: a pod of other uses it.
    N.apply(policy(other, "x", block_mkdir()),
            policy(ns, "bad", block_mkdir(), extends="no-such-parent"),
            bb_pod(N, other, "owner", ["sleep", "3600"], profile=f"kscmp/{other}/x.json"),
            bb_pod(N, ns, "invalid", cmd, profile=f"kscmp/{ns}/bad.json"),
            bb_pod(N, ns, "nothing", cmd, profile=f"kscmp/{ns}/none.json"))
    r.step(f"fail closed: {other}/owner runs under kscmp/{other}/x.json (the file is on the node)",
           wait_running, N, other, "owner")

    # The kubelet would load another namespace's file that exists: the admission policy refuses
    # such pods, however the path is spelt.
    for name, ref in (("cross-existing", f"kscmp/{other}/x.json"), ("dot-slash", f"./kscmp/{other}/x.json"),
                      ("double-slash", f"kscmp//{other}/x.json")):
        st, msg = create_pod(N, bb_pod(N, ns, name, cmd, profile=ref))
        r.soft(st in (400, 403, 422) and ADMISSION in msg and f'"{ref}"' in msg,
               f"fail closed: a pod of {ns} naming {ref} is refused at admission", f"HTTP {st}: {msg[:400]}")
        r.soft(N.pod(ns, name) is None, f"fail closed: ... and does not exist")
    # A controller's pods: the Deployment's ReplicaSet cannot create its pod, and says why.
    tmpl = bb_pod(N, ns, "x", ["sleep", "3600"], profile=f"kscmp/{other}/x.json", labels={"app": "cross-deploy"},
                  restart="Always")
    N.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "cross-deploy", "namespace": ns},
             "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "cross-deploy"}},
                      "template": {"metadata": {"labels": {"app": "cross-deploy"}}, "spec": tmpl["spec"]}}})

    def failed_create():
        for e in N.events(ns, None, "FailedCreate"):
            if (e.get("involvedObject") or {}).get("kind") == "ReplicaSet" and ADMISSION in e.get("message", ""):
                return e
        return False
    try:
        e = wait_until(failed_create, T, "a FailedCreate Event on the Deployment's ReplicaSet")
        r.ok("fail closed: a Deployment naming another namespace's file: its ReplicaSet gets a FailedCreate "
             "Warning Event with the admission policy's message")
        r.info(f"FailedCreate: {e.get('message', '')[:300]}")

        def replica_failure():
            d = N.c.get_ok(f"/apis/apps/v1/namespaces/{ns}/deployments/cross-deploy") or {}
            for c in (d.get("status") or {}).get("conditions") or []:
                if c.get("type") == "ReplicaFailure" and c.get("status") == "True":
                    return c
            return (False, (d.get("status") or {}).get("conditions"))
        c = wait_until(replica_failure, T, "the Deployment's ReplicaFailure condition")
        r.ok("fail closed: ... and the Deployment's status says ReplicaFailure")
        r.info(f"ReplicaFailure: {c.get('message', '')[:200]}")
        r.soft(not N.pods(ns, "app%3Dcross-deploy"), "fail closed: ... and no pod of it exists")
    except AssertionError as e:
        r.bad("fail closed: a Deployment naming another namespace's file", str(e))
    N.k("-n", ns, "delete", "deployment", "cross-deploy", "--wait=false")

    for pod, reason in (("invalid", "PolicyInvalid"), ("nothing", "NoPolicy")):
        failclosed_waits(N, ns, pod, reason)

    # Without the admission policy (an admin turned it off) the agent still refuses to write
    # another namespace's file (ProfileRefused); but the kubelet loads one that exists.
    binding = N.c.get_ok(f"/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/{ADMISSION}")
    if not binding:
        r.bad("fail closed: the admission policy's binding is installed")
        return
    N.k_ok("delete", "validatingadmissionpolicybinding", ADMISSION)
    cross = bb_pod(N, ns, "cross", cmd, profile=f"kscmp/{other}/y.json")

    def admitted(want):
        st, msg = create_pod(N, cross, dry_run=True)
        return (st == 201) == want or (False, f"HTTP {st}: {msg[:200]}")
    try:
        wait_until(lambda: admitted(True), T, "the API server to let such a pod in (binding deleted)")
        N.apply(cross)
        failclosed_waits(N, ns, "cross", "ProfileRefused")
        N.apply(bb_pod(N, ns, "cross-existing", ["sh", "-c", "mkdir /tmp/x; echo ran"], profile=f"kscmp/{other}/x.json"))
        o = outcome(N, ns, "cross-existing")
        r.info(f"fail closed, admission policy off: a pod of {ns} naming {other}'s existing file: {o[:2]}, output "
               f"{N.logs(ns, 'cross-existing').strip()!r} (the kubelet loaded {other}'s profile); kscmp's Events: "
               f"{[e.get('reason') for e in N.events(ns, 'cross-existing') if e.get('type') == 'Warning']}")
    except AssertionError as e:
        r.bad("fail closed, admission policy off", str(e))
    finally:
        meta = binding["metadata"]
        binding["metadata"] = {k: meta[k] for k in ("name", "labels", "annotations") if k in meta}
        binding.pop("status", None)
        st, ans = N.c.api("POST", "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings",
                          body=binding)
        r.check(st == 201, "fail closed: the admission policy's binding put back", f"HTTP {st}: {ans}")
        r.step("fail closed: ... and in force again", wait_until, lambda: admitted(False), T, "a refusal again")


def failclosed_waits(N, ns, pod, reason):
    """kscmp's Warning Event and the kubelet's beside it; the container waits and never runs."""
    r = N.r
    title = f"fail closed: {pod}"
    try:
        e = wait_event(N, ns, pod, reason, etype="Warning")
        r.ok(f"{title}: kscmp's Warning Event {reason}")
        r.info(f"{reason}: {e.get('message', '')[:200]}")
        wait_until(lambda: kubelet_seccomp_events(N, ns, pod), T, "the kubelet's Failed Event")
        r.ok(f"{title}: the kubelet's Warning Event beside it (cannot load the seccomp profile)")
        o = outcome(N, ns, pod, settle=10)
        p = N.pod(ns, pod)
        st = container_status(p, "main") or {}
        never = not st.get("lastState") and st.get("restartCount", 0) == 0 and "UNCONFINED-RAN" not in N.logs(ns, pod)
        r.soft(o[0] == "waiting" and o[1] == "CreateContainerError" and never,
               f"{title}: waits in CreateContainerError and never ran", f"{o}; status {st}")
    except AssertionError as e:
        r.bad(title, str(e))


class FileWatch(threading.Thread):
    """Samples every profile file often; remembers any file that disappeared or changed."""

    def __init__(self, node):
        super().__init__(daemon=True)
        self.node = node
        self.base = node.profile_files()
        self.changes = []
        self.samples = 0
        self.stop_ = threading.Event()

    def run(self):
        while not self.stop_.is_set():
            now = self.node.profile_files()
            for rel, data in self.base.items():
                if now.get(rel) != data:
                    self.changes.append((time.strftime("%H:%M:%S"), rel, "gone" if rel not in now else "changed"))
            self.samples += 1
            self.stop_.wait(0.02)

    def stop(self):
        self.stop_.set()
        self.join(10)


def s_rollout(N):
    r = N.r
    ns = "roll"
    N.namespace(ns)
    N.apply(policy(ns, "p", block_mkdir()), bb_pod(N, ns, "base", ["sleep", "3600"], profile=f"kscmp/{ns}/p.json"))
    r.step("rollout: a pod running under roll/p.json", wait_running, N, ns, "base")
    w = FileWatch(N)
    r.info(f"rollout: watching {len(w.base)} profile file(s)")
    w.start()
    names = []
    try:
        def churn(prefix, n):
            for i in range(n):
                name = f"{prefix}{i}"
                N.apply(bb_pod(N, ns, name, ["sleep", "3600"], profile=f"kscmp/{ns}/p.json"))
                names.append(name)
                time.sleep(0.5)
        old = N.agent_pod()["metadata"]["name"]
        N.k_ok("-n", "kscmp-system", "delete", "pod", old, "--wait=false")
        churn("del", 6)
        r.step("rollout: the agent's pod deleted; its replacement Ready",
               wait_until, lambda: any(pod_ready(p) and p["metadata"]["name"] != old for p in N.agent_pods()), T,
               "a new agent pod")
        N.k_ok("-n", "kscmp-system", "rollout", "restart", "daemonset/kscmp")
        churn("rr", 6)
        r.step("rollout: kubectl rollout restart completes", N.k_ok, "-n", "kscmp-system", "rollout", "status",
               "daemonset/kscmp", "--timeout=180s", timeout=200)
        for name in names:
            wait_running(N, ns, name)
        r.ok(f"rollout: all {len(names)} pods started meanwhile are Running")
    finally:
        w.stop()
    r.soft(not w.changes and w.samples > 50,
           f"rollout: no profile file disappeared or changed ({w.samples} samples of {len(w.base)} files)",
           str(w.changes[:10]))
    surge_rollout(N, ns)


def mkdir_errno(N, rel):
    """The errnoRet of mkdir in a profile file (None: no file, no rule)."""
    data = N.read_profile(rel)
    for s in json.loads(data or b"{}").get("syscalls") or []:
        if "mkdir" in s.get("names", []):
            return s.get("errnoRet")
    return None


def surge_rollout(N, ns):
    """maxSurge 1 / maxUnavailable 0: the new agent is Ready as a standby while the old one runs
    (it held the kubelet root's lock), takes over once the old pod is deleted, and writes a
    policy change made at that moment (trial-live48 BUG 1: this rollout deadlocked)."""
    r = N.r

    def strategy(surge, unavailable):
        N.k_ok("-n", "kscmp-system", "patch", "daemonset", "kscmp", "--type=merge", "-p", json.dumps(
            {"spec": {"updateStrategy": {"rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}}}))

    rel = f"{ns}/p.json"
    old = N.agent_pod()["metadata"]["name"]
    strategy(1, 0)
    try:
        N.k_ok("-n", "kscmp-system", "rollout", "restart", "daemonset/kscmp")
        # The controller deletes the old pod only once the new one is Ready (a standby).
        r.step("surge: the old agent's pod is deleted (the new one is Ready, standing by)", wait_until,
               lambda: (N.pod("kscmp-system", old) or {"metadata": {"deletionTimestamp": "gone"}})
               ["metadata"].get("deletionTimestamp"), 60, f"{old} to be deleted")
        N.apply(policy(ns, "p", block_mkdir("EROFS")))  # while the new agent takes over
        r.step("surge: kubectl rollout status completes", N.k_ok, "-n", "kscmp-system", "rollout", "status",
               "daemonset/kscmp", "--timeout=60s", timeout=80)
        new = N.agent_pod()
        name = new["metadata"]["name"]
        log = N.logs("kscmp-system", name, container="agent")
        restarts = (container_status(new, "agent") or {}).get("restartCount")
        r.soft(name != old and restarts == 0 and "standing by" in log and "taking over" in log,
               "surge: the new agent stood by, then took over, with 0 restarts",
               f"{name} restarts {restarts}; log: {log[-1500:]}")
        r.step("surge: the change made during the takeover is on disk (mkdir errnoRet 30)", wait_until,
               lambda: mkdir_errno(N, rel) == 30 or (False, f"errnoRet {mkdir_errno(N, rel)}"), 30, rel)
        surge_standby_refused(N)
    finally:
        strategy(0, "10%")


def surge_standby_refused(N):
    """trial-live49b ROUGH R1: a surge rollout's new agent whose check of the API server fails
    (its ServiceAccount has no rights) runs, not Ready, its /readyz 503 "standby: not ready:
    ... (HTTP 403)"; kubectl kscmp status shows that line (read through the API server's pod
    proxy) beside the pod. The old agent keeps the node; the rights back, the rollout ends."""
    r = N.r
    sa = "kscmp-e2e-nopriv"
    N.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": "kscmp-system"}})
    old = N.agent_pod()["metadata"]["name"]

    def use(account):
        N.k_ok("-n", "kscmp-system", "patch", "daemonset", "kscmp", "--type=merge", "-p", json.dumps(
            {"spec": {"template": {"spec": {"serviceAccountName": account}}}}))

    def standby():
        for p in N.agent_pods():
            if p["metadata"]["name"] == old or pod_ready(p) or not (p.get("status") or {}).get("podIP"):
                continue
            try:
                st, body = N.agent_get("/readyz", p)
            except OSError as e:
                return (False, f"{p['metadata']['name']}: {e}")
            if st == 503 and body.startswith("standby: not ready: ") and "(HTTP 403)" in body:
                return p, body.splitlines()[0]
            return (False, f"{p['metadata']['name']}: {st} {body[:200]}")
        return (False, "no new agent pod running yet")

    use(sa)
    try:
        pod, line = r.step("surge, no rights: the new agent runs, /readyz 503 \"standby: not ready: ... "
                           "(HTTP 403)\"", wait_until, standby, 90, "the new agent pod to stand by, not ready")
        name = pod["metadata"]["name"]
        p = subprocess.run([os.path.join(REPO, "build", "kscmp"), "status", "-A"], capture_output=True,
                           text=True, timeout=120, env=dict(os.environ, KUBECONFIG=N.env["KUBECONFIG"]))
        want = f"kscmp-system/{name} (DaemonSet kscmp): not Ready: running, its /readyz answers 503: {line}"
        r.soft(want in p.stdout, "surge, no rights: kubectl kscmp status shows the new pod's /readyz line",
               f"want {want!r}; exit {p.returncode}: {p.stdout[-1500:]} {p.stderr[-300:]}")
        _, a = agents_status(N)
        got = [x.get("readyz") for s in a.get("nodesWithSeveral") or [] for x in s.get("agents") or []
               if x.get("name") == name]
        r.soft(got == [{"code": 503, "answer": line}], "surge, no rights: -o json has it as readyz", str(a)[-1500:])
    finally:
        use("kscmp")
        r.step("surge, no rights: rights back, kubectl rollout status completes", N.k_ok, "-n", "kscmp-system",
               "rollout", "status", "daemonset/kscmp", "--timeout=90s", timeout=110)
        N.k("-n", "kscmp-system", "delete", "serviceaccount", sa, "--wait=false")


def s_node_guard(N):
    """The agent may change only its own Node's kscmp taint (RBAC + ValidatingAdmissionPolicy)."""
    r = N.r
    pod = N.agent_pod()
    token = N.k_ok("-n", "kscmp-system", "create", "token", "kscmp", "--bound-object-kind", "Pod",
                   "--bound-object-name", pod["metadata"]["name"], "--duration", "10m").strip()
    N.apply({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "kscmp-e2e-other-node"}})

    def patch(node, body):
        st, obj = N.c.api("PATCH", f"/api/v1/nodes/{node}", body=body, ctype="application/merge-patch+json",
                          token=token)
        return st, (obj.get("message", "") if isinstance(obj, dict) else str(obj))[:300]
    mine = N.c.get_ok(f"/api/v1/nodes/{N.name}")
    others = (mine.get("spec") or {}).get("taints") or []
    st, msg = patch(N.name, {"spec": {"taints": others + [{"key": TAINT, "effect": "NoSchedule"}]}})
    r.soft(st == 200, "node guard: the agent's token may add the taint to its own Node", f"{st} {msg}")
    st, msg = patch(N.name, {"spec": {"taints": others or None}})
    r.soft(st == 200, "node guard: ... and remove it", f"{st} {msg}")
    st, msg = patch(N.name, {"metadata": {"labels": {"kscmp-e2e": "x"}}})
    r.soft(st in (403, 422) and "only the taint" in msg, "node guard: a label on its own Node is refused",
           f"{st} {msg}")
    st, msg = patch(N.name, {"spec": {"unschedulable": True}})
    r.soft(st in (403, 422) and "only the taint" in msg, "node guard: cordoning its own Node is refused",
           f"{st} {msg}")
    st, msg = patch(N.name, {"metadata": {"finalizers": ["kscmp.io/e2e"]}})
    r.soft(st in (403, 422) and "only the taint" in msg, "node guard: a finalizer on its own Node is refused",
           f"{st} {msg}")
    owner = {"apiVersion": "v1", "kind": "ConfigMap", "name": "gone", "uid": "00000000-0000-0000-0000-000000000001"}
    st, msg = patch(N.name, {"metadata": {"ownerReferences": [owner]}})
    r.soft(st in (403, 422) and "only the taint" in msg,
           "node guard: an owner reference on its own Node (the garbage collector would delete it) is refused",
           f"{st} {msg}")
    for bad, what in (({"key": TAINT, "effect": "NoExecute"}, "as NoExecute"),
                      ({"key": TAINT, "value": "x", "effect": "NoSchedule"}, "with a value"),
                      ([{"key": TAINT, "effect": "NoSchedule"}, {"key": TAINT, "effect": "PreferNoSchedule"}],
                       "twice")):
        st, msg = patch(N.name, {"spec": {"taints": others + (bad if isinstance(bad, list) else [bad])}})
        r.soft(st in (403, 422) and "only as NoSchedule" in msg, f"node guard: its taint {what} is refused",
               f"{st} {msg}")
    st, msg = patch("kscmp-e2e-other-node", {"spec": {"taints": [{"key": TAINT, "effect": "NoSchedule"}]}})
    r.soft(st in (403, 422) and "only the Node its own pod runs on" in msg,
           "node guard: the taint on another Node is refused", f"{st} {msg}")
    N.k("delete", "node", "kscmp-e2e-other-node", "--wait=false")


def reboot_round(N, ns, how):
    """One node restart with the agent coming up last; returns what the pods printed."""
    r = N.r
    N.namespace(ns)
    N.apply(policy(ns, "p", block_mkdir("EACCES")),
            bb_pod(N, ns, "old", ["sh", "-c", "mkdir /tmp/x; sleep 3600"], profile=f"kscmp/{ns}/p.json",
                   restart="Always"))
    r.step(f"{how}: pod old running under {ns}/p.json (mkdir: EACCES)", wait_running, N, ns, "old")
    before = N.read_profile(f"{ns}/p.json")
    restarts0 = (container_status(N.pod(ns, "old"), "main") or {}).get("restartCount", 0)
    flag = "--graceful" if how == "shutdown" else "--kill"
    r.step(f"{how}: kubelet stopped, every container {'stopped (SIGTERM)' if flag == '--graceful' else 'killed'}, "
           "containerd stopped", N.sh, "stop-node", flag)
    tainted = TAINT in node_taints(N)
    if how == "shutdown":
        r.soft(tainted, f"{how}: the agent, stopped while its pod was not deleted, tainted its node",
               str(node_taints(N)))
    else:
        r.info(f"{how}: node taints now {node_taints(N)} (a killed agent cannot taint)")
    N.k_ok("-n", ns, "patch", "seccomppolicy", "p", "--type", "merge", "-p",
           json.dumps({"spec": {"rules": block_mkdir("EPERM")}}))
    N.apply(bb_pod(N, ns, "new", ["sh", "-c", "mkdir /tmp/x; sleep 3600"], profile=f"kscmp/{ns}/p.json"))
    r.soft(N.read_profile(f"{ns}/p.json") == before, f"{how}: while the node is down its file keeps the old profile")
    # The agent comes up last: its image is away until the other pods had their chance.
    N.sh("start-node", "--runtime-only")
    rm = N.ctr("images", "rm", N.image)
    r.check(rm.returncode == 0, f"{how}: the agent's image removed, so that it starts last", rm.stderr)
    r.step(f"{how}: containerd and the kubelet started again", N.sh, "start-node")

    def settled():
        o = container_status(N.pod(ns, "old") or {}, "main") or {}
        np_ = N.pod(ns, "new") or {}
        n = container_status(np_, "main") or {}
        old_up = o.get("restartCount", 0) > restarts0 and "running" in (o.get("state") or {})
        new_state = n.get("state") or {}
        new_done = "running" in new_state or (new_state.get("waiting") or {}).get("reason") in WAIT_ERRORS
        unscheduled = not np_.get("spec", {}).get("nodeName")
        return (old_up and (new_done or unscheduled)) or (False, f"old {o.get('state')}, new {new_state}")
    wait_until(settled, T, "old restarted and new started or held")
    # The node is up with the agent away: give the scheduler and kubelet time to act on new.
    t0 = time.monotonic()
    wait_until(lambda: time.monotonic() - t0 >= 10, 15, "10 s with the node up and the agent away")
    old_out = N.logs(ns, "old")
    new_pod = N.pod(ns, "new") or {}
    new_st = container_status(new_pod, "main") or {}
    new_out = N.logs(ns, "new") if "running" in (new_st.get("state") or {}) else ""
    r.info(f"{how}, agent away: old restarted -> {old_out.strip()!r}; new: node "
           f"{new_pod.get('spec', {}).get('nodeName')}, state {new_st.get('state')}, output {new_out.strip()!r}")
    r.step(f"{how}: the agent's image back; the agent Ready", lambda: (N.sh("image"), N.agent_pod()))
    r.step(f"{how}: the file holds the new profile",
           wait_until, lambda: (N.read_profile(f"{ns}/p.json") or before) != before, T, "the new profile")
    r.step(f"{how}: the agent removed the taint", wait_until, lambda: TAINT not in node_taints(N), T, "no taint")
    if EACCES_TEXT in old_out:
        e = r.step(f"{how}: pod old, whose container the kubelet restarted with the old profile, is reported "
                   "ProfileStale", wait_event, N, ns, "old", "ProfileStale")
        r.info(f"ProfileStale: {e.get('message', '')[:200]}")
    return new_out, new_st


def s_reboot(N):
    """Node restart with the agent last: can a pod start with a stale profile?"""
    r = N.r
    new_out, new_st = reboot_round(N, "boot-a", "shutdown")
    r.soft(not new_out and "running" not in (new_st.get("state") or {}),
           "shutdown: a pod created while the node was down did not start before the agent synced (taint)",
           f"new: {new_st.get('state')} {new_out!r}")
    o = outcome(N, "boot-a", "new", running=True)
    wait_until(lambda: N.logs("boot-a", "new").strip(), T, "new's output")
    out = N.logs("boot-a", "new")
    r.soft(o[0] == "running" and EPERM_TEXT in out, "shutdown: once the agent synced, it started with the new profile",
           f"{o} {out!r}")
    new_out, new_st = reboot_round(N, "boot-b", "power cut")
    if EACCES_TEXT in new_out:
        r.info("power cut: a pod bound while the node was down started with the stale profile before the agent "
               "synced (no agent was there to taint the node)")
        e = r.step("power cut: that pod is reported ProfileStale", wait_event, N, "boot-b", "new", "ProfileStale")
        r.info(f"ProfileStale: {e.get('message', '')[:200]}")
    else:
        r.ok("power cut: no pod started with the stale profile")


SCENARIOS = [("install", s_install), ("kubelet-root", s_kubelet_root), ("enforce", s_enforce),
             ("change", s_change), ("race", s_race), ("failclosed", s_failclosed), ("rollout", s_rollout),
             ("node-guard", s_node_guard), ("reboot", s_reboot), ("record", node_record.s_record)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node", required=True)
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    report = ScenarioReport(os.path.join(args.scratch, "counts"))
    report.scratch = args.scratch
    report.stop_on_term()
    N = Node(args.node, report)
    only = set(filter(None, args.only.split(",")))
    current = None
    try:
        for name, fn in SCENARIOS:
            if only and name not in only:
                continue
            if name != "install" and not N.env.get("KSCMP_E2E_DEPLOYED"):
                N.sh("deploy")  # the scenarios after install need an agent
            current = name
            report.scenario(name, fn, N)
    except Stop:
        report.bad(f"interrupted (suite timeout) during scenario {current}")
    finally:
        if report.xfails:
            print(f"# {len(report.xfails)} known gap(s), not counted: {'; '.join(report.xfails)}", flush=True)
        if report.failed:
            print("# last lines of the agent's log:")
            for line in N.agent_log().splitlines()[-25:]:
                print(f"#   {line}")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
