"""node_record.py - the `record` scenario of suite-node.sh: a SeccompRecording on a real node.

The chart with recording.enabled (the agent's pod gets CAP_BPF, CAP_PERFMON, the node's bpffs
and cgroupfs), a busybox Deployment of 3 replicas recorded, `kubectl kscmp record show`
applied as the policy, the recording deleted, the pods restarted: they run under the
recorded policy, and a call they never made (mkdir, through kubectl exec) is refused.
"""
import json
import os
import subprocess

from kube_e2e import REPO, wait_until

T = 180
NS = "rec-a"
EPERM_TEXT = "Operation not permitted"


def deployment(N, replicas=3):
    """busybox pods that do a little and then wait: hostname, ls, a loop of sleeps."""
    cmd = ["sh", "-c", "hostname; ls / >/dev/null; while true; do sleep 1; done"]
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"terminationGracePeriodSeconds": 1,
                                           "automountServiceAccountToken": False,
                                           "enableServiceLinks": False, "dnsPolicy": "Default",
                                           "securityContext": {"seccompProfile": {
                                               "type": "Localhost",
                                               "localhostProfile": f"kscmp/{NS}/web.json"}},
                                           "containers": [{"name": "main", "image": N.busybox,
                                                           "imagePullPolicy": "Never",
                                                           "command": cmd}]}}}}


def ready_pods(N):
    pods = [p for p in N.pods(NS, "app%3Dweb") if not p["metadata"].get("deletionTimestamp")]
    ready = [p for p in pods if any(c.get("type") == "Ready" and c.get("status") == "True"
                                    for c in p.get("status", {}).get("conditions", []))]
    return pods, ready


def recording_status(N):
    obj = N.c.get_ok(f"/apis/kscmp.io/v1/namespaces/{NS}/seccomprecordings/web-rec")
    return (obj or {}).get("status") or {}


def bpffs_mounted():
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == "/sys/fs/bpf" and line.split()[2] == "bpf" for line in f)


def pin_dir(N):
    """This node's pins: a folder of its own in the machine's bpffs, so that test nodes that run
    at the same time on one machine (each with its agent) do not take each other's recorder
    over. A real node has one agent and keeps the chart's /sys/fs/bpf/kscmp."""
    return f"/sys/fs/bpf/kscmp-{N.name}"


def s_record(N):
    r = N.r
    if not bpffs_mounted():
        # As systemd mounts it on most distributions; left mounted (other runs may use it).
        subprocess.run(["mount", "-t", "bpf", "bpf", "/sys/fs/bpf"], check=True)
    try:
        record_scenario(N)
    finally:
        if N.env.get("KSCMP_E2E_DEPLOYED") == "helm":
            N.sh("undeploy")
        subprocess.run(["rm", "-rf", pin_dir(N)])
        r.info("recording: the chart without recording comes back for the next scenarios")


def record_scenario(N):
    r = N.r
    crd = os.path.join(REPO, "crd", "kscmp.io_seccomprecordings.yaml")
    r.step("recording: the SeccompRecording CRD applied",
           N.k_ok, "apply", "--server-side", "--force-conflicts", "-f", crd)
    N.k_ok("wait", "--for", "condition=Established", "--timeout=60s",
           "crd/seccomprecordings.kscmp.io")
    if N.env.get("KSCMP_E2E_DEPLOYED"):
        N.sh("undeploy")
    r.step("recording: helm install with recording.enabled=true",
           N.sh, "deploy", "--helm",
           env={"KSCMP_E2E_HELM_ARGS": "--set recording.enabled=true "
                                       f"--set extraArgs={{--bpf-pin-dir={pin_dir(N)}}}"})
    agent = N.agent_pod()
    ctr = agent["spec"]["containers"][0]
    caps = ((ctr.get("securityContext") or {}).get("capabilities") or {}).get("add") or []
    r.check(sorted(caps) == ["BPF", "PERFMON"] and
            (ctr.get("securityContext") or {}).get("seccompProfile", {}).get("type") == "RuntimeDefault",
            "recording: the agent's container adds CAP_BPF and CAP_PERFMON, nothing more, and keeps "
            "RuntimeDefault", json.dumps(ctr.get("securityContext")))

    N.namespace(NS)
    N.apply({"apiVersion": "kscmp.io/v1", "kind": "SeccompRecording",
             "metadata": {"name": "web-rec", "namespace": NS},
             "spec": {"policy": "web", "selector": {"matchLabels": {"app": "web"}}}},
            deployment(N))
    r.step("recording: the Deployment's 3 pods run under the recording profile",
           wait_until, lambda: len(ready_pods(N)[1]) == 3 or (False, f"{len(ready_pods(N)[1])} ready"),
           T, "3 ready pods")
    prof = N.read_profile(f"{NS}/web.json")
    prof = json.loads(prof) if prof else {}
    r.check(prof.get("defaultAction") == "SCMP_ACT_ALLOW",
            "recording: kscmp/rec-a/web.json is a recording profile (allow all)", json.dumps(prof)[:300])

    def recorded():
        st = recording_status(N)
        have = set((st.get("syscalls") or {}).get("x86_64") or [])
        want = {"uname", "getdents64", "execve"}
        return (want <= have and st.get("podsSeen") == 3 and
                any(c.get("type") == "Recording" and c.get("status") == "True"
                    for c in st.get("conditions") or [])) or (False, json.dumps(st)[:500])
    r.step("recording: the status holds the 3 pods' calls (uname, getdents64, ...), podsSeen 3",
           wait_until, recorded, T, "the recording's status")
    st = recording_status(N)
    r.info(f"recording: {len(st['syscalls']['x86_64'])} syscalls on x86_64 from "
           f"{st.get('podsSeen')} pods on {st.get('nodesSeen')} node(s)")
    complete = [c for c in st.get("conditions") or [] if c.get("type") == "Complete"]
    r.check(complete and complete[0].get("status") == "True",
            "recording: Complete True (the pods started under the recording: nothing missed)",
            json.dumps(complete))

    show = subprocess.run([os.path.join(REPO, "build", "kscmp"), "record", "show", "web-rec",
                           "-n", NS, "--kubeconfig", N.c.kubeconfig],
                          capture_output=True, text=True, timeout=60)
    r.check(show.returncode == 0 and "kind: SeccompPolicy" in show.stdout,
            "recording: kubectl kscmp record show web-rec prints the policy", show.stderr)
    r.step("recording: the shown policy applied", N.k_ok, "apply", "-f", "-", input=show.stdout)
    N.k_ok("-n", NS, "delete", "seccomprecording", "web-rec")

    def policy_profile():
        p = N.read_profile(f"{NS}/web.json")
        p = json.loads(p) if p else {}
        return p.get("defaultAction") == "SCMP_ACT_ERRNO" or (False, json.dumps(p)[:200])
    r.step("recording deleted: web.json is the recorded policy's profile",
           wait_until, policy_profile, T, "the policy's profile")
    N.k_ok("-n", NS, "rollout", "restart", "deployment/web")

    def restarted():
        pods, ready = ready_pods(N)
        fresh = [p for p in ready
                 if (p["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/restartedAt")]
        return (len(fresh) == 3 and len(pods) == 3) or (False, f"{len(fresh)} restarted and ready of {len(pods)}")
    r.step("restarted under the recorded policy: the 3 pods run", wait_until, restarted, T,
           "3 restarted pods ready")
    pods, _ = ready_pods(N)
    name = pods[0]["metadata"]["name"]
    p = N.k("-n", NS, "exec", name, "--", "hostname")
    r.check(p.returncode == 0, "restarted: a call the pods made (hostname: uname) works", p.stderr)
    p = N.k("-n", NS, "exec", name, "--", "mkdir", "/tmp/never")
    r.check(p.returncode != 0 and EPERM_TEXT in p.stderr,
            "restarted: a call they never made (mkdir) is refused (EPERM)",
            f"exit {p.returncode}: {p.stderr.strip()!r}")
    N.k("delete", "namespace", NS, "--wait=false")
