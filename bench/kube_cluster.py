"""kube_cluster.py - the cluster bench_kube.py and bench_scale.py measure against: its start
(tests/e2e/cluster.sh with the tools of tests/e2e/tools.sh; the CRDs of crd/, the namespace
and RBAC of deploy/, the agents' ServiceAccount kubeconfig), their agents, and the teardown.
Python 3 standard library only.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import kube_e2e  # noqa: E402
from kube_e2e import Agent, Cluster  # noqa: E402

SA_NS, SA_NAME = "kscmp-system", "kscmp"
CRDS = ["seccomppolicies.kscmp.io", "clusterseccomppolicies.kscmp.io",
        "kubearmorseccomppolicies.security.kubearmor.com"]


def tools_env():
    """Puts the e2e tools (kube-apiserver, etcd, kubectl of tests/e2e/tools.sh) in os.environ."""
    p = subprocess.run(["bash", os.path.join(ROOT, "tests", "e2e", "tools.sh"), "env"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        raise SystemExit(f"tests/e2e/tools.sh failed (Go is needed once to build the tools):\n{p.stderr[-1500:]}")
    for part in p.stdout.split(";"):
        part = part.strip()
        if part.startswith("export "):
            k, _, v = part[len("export "):].partition("=")
            v = v.strip("'\"")
            v = v.replace("$KSCMP_E2E_BIN", os.environ.get("KSCMP_E2E_BIN", "")).replace("$PATH", os.environ["PATH"])
            os.environ[k] = v


def prepare(prefix):
    """The e2e tools in os.environ, the agent's binary ($KSCMP or build/kscmp; SystemExit when
    missing), a scratch folder named prefix... and an empty one for the cluster: returns
    (kscmp, scratch, cluster folder)."""
    tools_env()
    kscmp = os.environ.get("KSCMP", os.path.join(ROOT, "build", "kscmp"))
    if not os.access(kscmp, os.X_OK):
        raise SystemExit(f"{kscmp} is missing: make build/kscmp")
    scratch = tempfile.mkdtemp(prefix=prefix)
    return kscmp, scratch, tempfile.mkdtemp(prefix="kscmp-e2e.")


def start(cdir, scratch, token_ttl):
    """Starts a cluster in cdir with the CRDs, deploy/'s namespace and RBAC, and writes the
    agents' ServiceAccount kubeconfig (its token valid for token_ttl, e.g. "2h") to
    scratch/agent.kubeconfig: returns (cluster, kubeconfig path)."""
    c = Cluster.start(cdir)
    c.kubectl_ok("apply", "-f", os.path.join(ROOT, "crd"))
    c.wait_crds(CRDS)
    c.kubectl_ok("apply", "-f", os.path.join(ROOT, "deploy", "01-namespace.yaml"),
                 "-f", os.path.join(ROOT, "deploy", "02-rbac.yaml"))
    kc = os.path.join(scratch, "agent.kubeconfig")
    c.sa_kubeconfig(SA_NS, SA_NAME, kc, token_ttl)
    return c, kc


def agent(name, node, root, scratch, kc):
    """An agent (not started) for node with its kubelet root in root, on the ServiceAccount's
    token file, its PID registered in scratch/pids."""
    return Agent(name, kc + ".tokenfile", node, root, scratch, registry=os.path.join(scratch, "pids"),
                 extra=["--log-format", "text"])


def teardown(c, cdir, agents, scratch, timeout=10):
    """Stops the agents (one a bench stopped is continued first), then the cluster: c, or when
    its start failed (c None), the processes cluster.sh recorded in cdir; removes scratch."""
    for a in agents:
        try:
            if a.alive():
                a.signal(signal.SIGCONT)
                a.stop(timeout=timeout)
        except Exception:  # noqa: BLE001
            pass
    if c:
        c.stop()
    else:
        subprocess.run(["bash", os.path.join(ROOT, "tests", "e2e", "cluster.sh"), "stop", cdir],
                       capture_output=True)
    shutil.rmtree(scratch, ignore_errors=True)


def until_still(snap, quiet, limit, interval):
    """Calls snap() every interval seconds until its value has not changed for quiet seconds
    (or limit seconds have passed): returns (that value, seconds from the start to its last
    change, seconds waited in all)."""
    t0 = time.monotonic()
    last, since = snap(), time.monotonic()
    while time.monotonic() - t0 < limit:
        time.sleep(interval)
        v = snap()
        if v != last:
            last, since = v, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last, since - t0, time.monotonic() - t0


def statuses_done(c):
    """Seconds-free check: every SeccompPolicy's status is there for its generation."""
    st, obj = c.api("GET", "/apis/kscmp.io/v1/seccomppolicies?limit=5000", timeout=60)
    if st != 200:
        return False
    items = obj.get("items", [])
    left = sum(1 for it in items
               if (it.get("status") or {}).get("observedGeneration") != it["metadata"].get("generation"))
    return True if left == 0 else (False, f"{left} of {len(items)} policies without their status")


def policy(ns, name, syscalls, selector=None):
    """A SeccompPolicy allowing syscalls, for the pods selector picks (None: no selector)."""
    return kube_e2e.policy(ns, name, syscalls, selector=selector)
