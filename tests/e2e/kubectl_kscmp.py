#!/usr/bin/env python3
"""`kubectl kscmp explain pod` and `kubectl kscmp status` against a real API server.

One control plane (cluster.sh), the CRDs and RBAC of deploy/, one agent for node-a with the
ServiceAccount kubeconfig of deploy/ (so its status and Events are real). The commands run
as `kubectl kscmp ...` (the kubectl-kscmp link on PATH), with a kubeconfig of a
ServiceAccount that may only read (get/list): what they print is checked against the
agent's files on disk, the policies' status and the Events it posted. Prints 'ok'/'FAIL'
lines and closes with 'N passed, N failed'.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time, traceback

sys.dont_write_bytecode = True
from kube_e2e import Cluster, Agent, policy, policy_path, wait_until, KSCMP, REPO  # noqa: E402
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from report import Report  # noqa: E402

T = 40
R = Report()
ok, bad, check = R.ok, R.bad, R.check
NS = "shop"


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


def pol(name, syscalls, selector=None, **kw):
    """A policy of namespace NS (kube_e2e.policy)."""
    return policy(NS, name, syscalls, selector=selector, **kw)


def pod(name, labels, ref, sidecar_ref=None):
    spec = {"nodeName": "node-a",
            "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": ref}},
            "initContainers": [{"name": "setup", "image": "registry.invalid/x:1",
                                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}],
            "containers": [{"name": "main", "image": "registry.invalid/x:1"}]}
    if sidecar_ref:
        spec["containers"].append({"name": "side", "image": "registry.invalid/x:1",
                                   "securityContext": {"seccompProfile": {
                                       "type": "Localhost", "localhostProfile": sidecar_ref}}})
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": NS, "labels": labels}, "spec": spec}


class Env:
    def __init__(self, c, scratch):
        self.c, self.scratch = c, scratch
        self.bin = os.path.join(scratch, "bin")
        os.makedirs(self.bin)
        os.symlink(KSCMP, os.path.join(self.bin, "kubectl-kscmp"))
        self.reader_kc = None

    def apply(self, *objs):
        p = self.c.apply_objects(list(objs))
        if p.returncode != 0:
            raise RuntimeError(p.stderr)

    def kscmp(self, *args, kubeconfig=None):
        """kubectl kscmp ARGS, as a user would run it (kubectl finds the plugin on PATH)."""
        env = dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"],
                   KUBECONFIG=kubeconfig or self.reader_kc)
        p = subprocess.run(["kubectl", "kscmp"] + list(args), capture_output=True, text=True,
                           timeout=120, env=env)
        if os.environ.get("KSCMP_E2E_SHOW") == "1":  # to read what a user sees
            print(f"$ kubectl kscmp {' '.join(args)}   (exit {p.returncode})\n{p.stdout}{p.stderr}")
        return p

    def set_started(self, name, t, containers=("main", "side")):
        """t: one start time for every container, or {container: time}."""
        times = t if isinstance(t, dict) else {cn: t for cn in containers}
        body = {"status": {"phase": "Running", "containerStatuses": [{
            "name": cn, "ready": True, "restartCount": 0, "started": True,
            "image": "registry.invalid/x:1", "imageID": "registry.invalid/x@sha256:" + "0" * 64,
            "containerID": "containerd://" + "ab" * 32,
            "state": {"running": {"startedAt": rfc3339(ct)}}} for cn, ct in times.items()]}}
        self.c.kubectl_ok("patch", "pod", "-n", NS, name, "--subresource=status", "--type=merge",
                          "-p", json.dumps(body))

    def ready(self, kind, name, want="True"):
        path = (f"/apis/kscmp.io/v1/namespaces/{NS}/seccomppolicies/{name}"
                if kind == "SeccompPolicy" else f"/apis/kscmp.io/v1/clusterseccomppolicies/{name}")

        def pred():
            obj = self.c.get_ok(path)
            conds = (obj.get("status") or {}).get("conditions") or []
            st = [x.get("status") for x in conds if x.get("type") == "Ready" and
                  x.get("observedGeneration") == obj["metadata"].get("generation")]
            return st == [want] or (False, f"{st}")
        wait_until(pred, T, f"{kind} {name} Ready={want}")


def reader_kubeconfig(E):
    """A ServiceAccount that may only get and list what the commands read."""
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "kscmp-reader"},
            "rules": [{"apiGroups": ["kscmp.io"], "resources": ["seccomppolicies",
                                                               "clusterseccomppolicies"],
                       "verbs": ["get", "list"]},
                      {"apiGroups": ["security.kubearmor.com"],
                       "resources": ["kubearmorseccomppolicies"], "verbs": ["get", "list"]},
                      {"apiGroups": [""], "resources": ["pods", "namespaces", "nodes", "events"],
                       "verbs": ["get", "list"]},
                      {"apiGroups": ["apps"], "resources": ["daemonsets"], "verbs": ["get", "list"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "kscmp-reader"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                           "name": "kscmp-reader"},
               "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "readers"}]}
    out = os.path.join(E.scratch, "reader.kubeconfig")
    E.c.sa_kubeconfig("readers", "reader", out, "2h")
    E.apply(role, binding)
    # The context's namespace is the default namespace of the commands.
    cfg = open(out).read()
    E.reader_kc = out
    wait_until(lambda: E.c.kubectl("auth", "can-i", "list", "pods", "--as",
                                   "system:serviceaccount:readers:reader").returncode == 0,
               T, "the reader's RBAC")
    return cfg


def scenario(E, agent):
    ts0 = time.time()
    E.apply({"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": NS, "labels": {"env": "prod"}}},
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}},
            pol("web", ["read", "write", "exit_group"]),
            pol("net", ["socket", "connect"], selector={"matchLabels": {"app": "web"}}),
            pol("baseline", ["ptrace"], kind="ClusterSeccompPolicy", action="Block",
                selector={"matchExpressions": [{"key": "app", "operator": "In",
                                                "values": ["web"]}]},
                ns_selector={"matchLabels": {"env": "prod"}}, ceiling=True),
            pol("broken", ["mkdirr"], selector={"matchLabels": {"app": "other"}}),
            pod("web-1", {"app": "web"}, f"kscmp/{NS}/web.json",
                sidecar_ref=f"kscmp/{NS}/web.json"),
            pod("lonely", {"app": "other"}, f"kscmp/{NS}/lonely.json"),
            pod("nothing", {"app": "none"}, f"kscmp/{NS}/nothing.json"))
    E.ready("SeccompPolicy", "web")
    E.ready("SeccompPolicy", "net")
    E.ready("ClusterSeccompPolicy", "baseline")
    E.ready("SeccompPolicy", "broken", "False")
    wait_until(lambda: agent.read(f"{NS}/web.json") is not None, T, "web.json on node-a")
    wait_until(lambda: E.c.events(NS, "nothing", "NoPolicy"), T, "NoPolicy on pod nothing")
    wait_until(lambda: E.c.events(NS, "lonely", "PolicyInvalid"), T, "PolicyInvalid on lonely")
    ok("set-up: agent Ready statuses, web.json written, NoPolicy and PolicyInvalid Events")

    # explain, text
    p = E.kscmp("explain", "pod", "web-1", "-n", NS)
    t = p.stdout
    check(p.returncode == 0, "explain pod web-1: exit 0", p.stderr)
    for frag, what in ((f"kscmp/{NS}/web.json", "the file"),
                       (f"SeccompPolicy          {NS}/web", "the policy named after the file"),
                       ("named after the file", "why: name"),
                       (f"{NS}/net", "the selector policy"),
                       ("its selector matches the pod", "why: selector"),
                       ("ClusterSeccompPolicy   baseline", "the cluster policy"),
                       ("cluster policy: its selectors match", "why: cluster"),
                       ("a ceiling: it has a say on every syscall", "the ceiling"),
                       ("setup", "the init container"), ("RuntimeDefault", "its profile type"),
                       ("side ", "the sidecar (container-level setting)"),
                       ("On the node: the merge of the policies above (every contributor is Ready)",
                        "the file's state"),
                       ("ptrace", "the profile (the cluster policy's block)"),
                       ("node node-a (x86_64", "the node and its architecture")):
        check(frag in t, f"explain text names {what}", t[-2500:])
    check("broken" not in t.split("Contributing")[1].split("On the node")[0],
          "explain text: a policy that does not select the pod is not listed", t)
    # explain, JSON: the profile is the agent's file, byte for byte in meaning
    p = E.kscmp("explain", "pod", "web-1", "-n", NS, "-o", "json")
    j = json.loads(p.stdout) if p.returncode == 0 else {}
    files = j.get("files") or [{}]
    contrib = {(c["kind"], c["name"], c["why"], c["ceiling"])
               for c in files[0].get("contributors", [])}
    check(contrib == {("SeccompPolicy", "web", "name", False),
                      ("SeccompPolicy", "net", "selector", False),
                      ("ClusterSeccompPolicy", "baseline", "cluster", True)},
          "explain -o json: contributors and why", contrib)
    disk = json.loads(agent.read(f"{NS}/web.json"))
    check(files[0].get("profile") == disk,
          "explain -o json: the profile equals the file the agent wrote on node-a",
          json.dumps(files[0].get("profile"))[:600] + "\n---\n" + json.dumps(disk)[:600])
    ctrs = {c["name"]: c for c in j.get("containers", [])}
    check(set(ctrs) == {"setup", "main", "side"} and ctrs["setup"]["kscmp"] is False and
          ctrs["main"]["localhostProfile"] == f"kscmp/{NS}/web.json" and
          ctrs["side"]["kscmp"] is True and len(files) == 1,
          "explain -o json: three containers, one kscmp file shared by two", ctrs)
    check(all(c.get("ready") == "True" for c in files[0].get("contributors", [])),
          "explain -o json: each contributor's Ready from its status", files)

    # a pod whose file no policy makes: NoPolicy, nothing written
    p = E.kscmp("explain", "pod", "nothing", "-n", NS, "-o", "json")
    j = json.loads(p.stdout) if p.returncode == 0 else {}
    f0 = (j.get("files") or [{}])[0]
    check(f0.get("state") != "written" and f0.get("contributors") == [] and
          any(e.get("reason") == "NoPolicy" for e in j.get("events", [])) and
          any(e.get("reason") == "NoPolicy" for e in j.get("expectedEvents", [])),
          "explain: no contributor, not written, the agent's NoPolicy Event and today's verdict",
          p.stdout[-1500:] + p.stderr)
    p = E.kscmp("explain", "pod", "lonely", "-n", NS)
    check(p.returncode == 0 and "invalid; it selected the pod" not in p.stdout and
          "broken" in p.stdout and "Ready False (Invalid" in p.stdout and
          "PolicyInvalid" in p.stdout,
          "explain: the invalid policy that selects the pod, its status, PolicyInvalid",
          p.stdout[-2000:] + p.stderr)

    # staleness: containers started before the file changed
    E.set_started("web-1", time.time() - 3600)
    mt = os.stat(agent.path(f"{NS}/web.json")).st_mtime
    wait_until(lambda: time.time() >= int(mt) + 1.05, 5, "the next second")
    E.c.api("PATCH", f"/apis/kscmp.io/v1/namespaces/{NS}/seccomppolicies/web",
            {"spec": {"seccomp": {"syscalls": ["read", "write", "exit_group", "mkdir"],
                                  "action": "Allow"}}}, ctype="application/merge-patch+json")
    wait_until(lambda: agent.read(f"{NS}/web.json") and b"\"mkdir\"" in agent.read(f"{NS}/web.json"), T,
               "web.json rewritten")
    wait_until(lambda: E.c.events(NS, "web-1", "ProfileStale"), T, "ProfileStale on web-1")
    p = E.kscmp("explain", "pod", "web-1", "-n", NS, "-o", "json")
    j = json.loads(p.stdout) if p.returncode == 0 else {}
    ctrs = {c["name"]: c for c in j.get("containers", [])}
    check(ctrs.get("main", {}).get("stale") is True and ctrs.get("side", {}).get("stale") is True,
          "explain: containers started before the change are stale", ctrs)
    p = E.kscmp("explain", "pod", "web-1", "-n", NS)
    check("STALE" in p.stdout, "explain text says STALE", p.stdout[-1500:])
    E.ready("SeccompPolicy", "web")
    # The Event names both (annotations); main restarts: only side is still stale.
    ev = E.c.events(NS, "web-1", "ProfileStale")[0]
    notes = (ev.get("metadata") or {}).get("annotations") or {}
    check(notes.get("kscmp.io/stale-containers") == "main,side" and
          notes.get("kscmp.io/profile") == f"kscmp/{NS}/web.json",
          "the ProfileStale Event names main and side, and the file, in its annotations", ev)
    changed = os.stat(agent.path(f"{NS}/web.json")).st_mtime_ns // 1000000000  # (a float rounds)
    E.set_started("web-1", {"main": changed + 1, "side": time.time() - 3600})
    p = E.kscmp("explain", "pod", "web-1", "-n", NS, "-o", "json")
    j = json.loads(p.stdout) if p.returncode == 0 else {}
    ctrs = {c["name"]: c for c in j.get("containers", [])}
    check(ctrs.get("main", {}).get("stale") is False and ctrs.get("side", {}).get("stale") is True,
          "explain: main restarted after the change: not stale; side still is", ctrs)

    # status: not Ready policies and pods with warnings; exit 1
    p = E.kscmp("status", "-n", NS, "-o", "json")
    j = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
    nr = {(x["kind"], x["name"], x["ready"], x.get("reason")) for x in j.get("notReady", [])}
    pods = {x["name"]: x for x in j.get("pods", [])}
    check(p.returncode == 1 and nr == {("SeccompPolicy", "broken", "False", "Invalid")},
          "status -n: exit 1, the Invalid policy", f"exit {p.returncode} {nr} {p.stderr}")
    check(set(pods) == {"nothing", "lonely", "web-1"} and
          all(x["current"] for x in pods.values()),
          "status -n: the three pods with kscmp warnings that still hold", pods)
    stale = [e.get("stale") for e in pods.get("web-1", {}).get("events", []) if e.get("reason") == "ProfileStale"]
    check({"file": f"kscmp/{NS}/web.json", "changed": rfc3339(changed), "containers": ["main", "side"]} in stale,
          "status -o json: the ProfileStale Event's file, change and containers, as structure",
          f"{stale}; file dated {rfc3339(changed)}; Events {[e.get('message') for e in E.c.events(NS, 'web-1', 'ProfileStale')]}; "
          f"{[ln for ln in agent.log_text().splitlines() if 'web.json' in ln or 'ProfileStale' in ln]}")
    p = E.kscmp("status", "-n", NS)
    check(p.returncode == 1 and "Policies not Ready" in p.stdout and "broken" in p.stdout and
          "NoPolicy" in p.stdout and "problems:" in p.stdout.replace("4 problems:", "problems:"),
          "status text: the same, readable", p.stdout[-2000:])

    # fixed: the stale containers restart, the missing policies come, the broken one goes
    E.set_started("web-1", time.time() + 1)
    E.apply(pol("nothing", ["read"]), pol("lonely", ["read"]))
    E.c.kubectl_ok("delete", "seccomppolicy", "-n", NS, "broken")
    E.ready("SeccompPolicy", "nothing")
    E.ready("SeccompPolicy", "lonely")
    p = E.kscmp("status", "-n", NS, "-o", "json")
    j = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
    pods = {x["name"]: x for x in j.get("pods", [])}
    check(p.returncode == 0 and j.get("problems") == 0 and not j.get("notReady") and
          pods and all(not x["current"] for x in pods.values()),
          "status after the fixes: exit 0, the old Events shown as resolved",
          f"exit {p.returncode}: {p.stdout[-1500:]}{p.stderr}")
    p = E.kscmp("status", "-n", NS)
    check(p.returncode == 0 and "resolved" in p.stdout and "OK:" in p.stdout,
          "status text after the fixes: OK, resolved", p.stdout[-1500:])

    # -A: another namespace's invalid policy counts
    E.apply({"apiVersion": "kscmp.io/v1", "kind": "SeccompPolicy",
             "metadata": {"name": "bad", "namespace": "other"},
             "spec": {"seccomp": {"syscalls": ["nope_nope"], "action": "Allow"}}})
    wait_until(lambda: E.kscmp("status", "-A").returncode == 1, T, "status -A to see other/bad")
    p = E.kscmp("status", "-A", "-o", "json")
    j = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
    check(any(x["namespace"] == "other" and x["name"] == "bad" for x in j.get("notReady", [])),
          "status -A: every namespace", p.stdout[-1000:])
    p = E.kscmp("status", "-n", NS)
    check(p.returncode == 0, "status -n shop: the other namespace does not count", p.stdout)

    # errors and usage
    p = E.kscmp("explain", "pod", "ghost", "-n", NS)
    check(p.returncode == 1 and "no pod ghost" in p.stderr, "explain of a missing pod: exit 1",
          p.stderr)
    for args in (["explain", "pod"], ["status", "-A", "-n", NS], ["status", "-o", "yaml"],
                 ["explain", "pod", "a", "b"]):
        p = E.kscmp(*args)
        check(p.returncode == 2, f"usage error: {' '.join(args)} -> exit 2", p.stderr)
    insecure = os.path.join(E.scratch, "insecure.kubeconfig")
    txt = open(E.reader_kc).read().replace("certificate-authority-data:",
                                           "insecure-skip-tls-verify: true\n    x-ca:")
    open(insecure, "w").write(txt)
    p = E.kscmp("status", kubeconfig=insecure)
    check(p.returncode == 1 and "insecure-skip-tls-verify" in p.stderr,
          "TLS as the agent: insecure-skip-tls-verify refused", p.stderr)
    # --context, and the context's namespace as the default one
    kc2 = os.path.join(E.scratch, "two-contexts.kubeconfig")
    shutil.copy(E.reader_kc, kc2)
    kcfg = ["kubectl", "config", "--kubeconfig", kc2]
    good = subprocess.run(kcfg + ["current-context"], capture_output=True, text=True).stdout.strip()
    user = subprocess.run(kcfg + ["view", "-o", "jsonpath={.contexts[0].context.user}"],
                          capture_output=True, text=True).stdout.strip()
    for args in (["set-cluster", "broken", "--server", "https://127.0.0.1:1"],
                 ["set-context", "broken", "--cluster", "broken", "--user", user],
                 ["use-context", "broken"], ["set-context", good, "--namespace", NS]):
        subprocess.run(kcfg + args, capture_output=True, check=True)
    p = E.kscmp("status", kubeconfig=kc2)
    check(p.returncode == 1 and "127.0.0.1:1" in p.stderr,
          "status on the current-context (an unreachable server): exit 1, says where",
          f"exit {p.returncode}: {p.stderr}")
    p = E.kscmp("status", "--context", good, kubeconfig=kc2)
    check(p.returncode == 0 and f"Scope: {NS}" in p.stdout,
          "--context picks the context, whose namespace is the default scope",
          f"exit {p.returncode}: {p.stdout[:300]}{p.stderr}")
    # the offline explain still works beside the cluster one
    p = subprocess.run([KSCMP, "explain", "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "--policy" in p.stdout, "kscmp explain --help is the offline one")
    trial_findings(E, agent)
    print(f"# scenario took {time.time() - ts0:.1f} s", flush=True)


def pod_in(ns, name, labels, ref):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": {"nodeName": "node-a",
                     "securityContext": {"seccompProfile": {"type": "Localhost",
                                                            "localhostProfile": ref}},
                     "containers": [{"name": "main", "image": "registry.invalid/x:1"}]}}


def explain_json(E, *args):
    p = E.kscmp("explain", "pod", *args, "-o", "json")
    return p, (json.loads(p.stdout) if p.returncode == 0 else {})


def trial_findings(E, agent):
    """What the real-node trial found explain pod getting wrong (/work/coord/trial-node.md)."""
    # A misspelt localhostProfile that a cluster policy alone makes: a note names the missing
    # SeccompPolicy and the nearest one (the agent writes the file and posts no NoPolicy).
    E.apply(pol("guard", ["capset"], kind="ClusterSeccompPolicy", action="Block",
                selector={"matchLabels": {"tier": "guarded"}},
                ns_selector={"matchLabels": {"env": "prod"}}, ceiling=True),
            pod_in(NS, "typo-1", {"tier": "guarded"}, f"kscmp/{NS}/wbe.json"))
    E.ready("ClusterSeccompPolicy", "guard")
    wait_until(lambda: agent.read(f"{NS}/wbe.json") is not None, T, "wbe.json from guard alone")
    p = E.kscmp("explain", "pod", "typo-1", "-n", NS)
    check(p.returncode == 0 and f"Note: there is no SeccompPolicy {NS}/wbe" in p.stdout and
          "holds only what ClusterSeccompPolicies give (did you mean "
          f"kscmp/{NS}/web.json?)" in p.stdout,
          "explain: a file of cluster policies alone gets the note, with the nearest file",
          p.stdout[-2500:] + p.stderr)
    p, j = explain_json(E, "web-1", "-n", NS)
    check(p.returncode == 0 and j.get("files") and "note" not in j["files"][0],
          "explain: no note on a file its namespace's policies make", p.stdout[-1500:])

    # --startup-syscalls: the profile and the Events of an agent run with that mode
    p, j = explain_json(E, "typo-1", "-n", NS)
    check(any(e.get("reason") == "ProfileBlocksStartup" for e in j.get("expectedEvents", [])),
          "explain (auto): a policy that blocks capset gets ProfileBlocksStartup",
          p.stdout[-1500:] + p.stderr)
    p, j = explain_json(E, "typo-1", "-n", NS, "--startup-syscalls", "none")
    check(p.returncode == 0 and
          not any(e.get("reason") == "ProfileBlocksStartup" for e in j.get("expectedEvents", [])),
          "explain --startup-syscalls none: no ProfileBlocksStartup", p.stdout[-1500:] + p.stderr)
    p = E.kscmp("explain", "pod", "web-1", "-n", NS, "--startup-syscalls", "none")
    check(p.returncode == 0 and "container start-up" not in p.stdout,
          "explain --startup-syscalls none: no start-up rules in the profile", p.stdout[-2500:])
    p = E.kscmp("explain", "pod", "web-1", "-n", NS)
    check("container start-up" in p.stdout, "explain (auto): start-up rules in the profile",
          p.stdout[-2500:])
    for args in (["explain", "pod", "web-1", "--startup-syscalls", "some"],
                 ["status", "--startup-syscalls", "none"]):
        p = E.kscmp(*args)
        check(p.returncode == 2, f"usage error: {' '.join(args)} -> exit 2", p.stderr)

    # A policy invalid since before the agent started holds its whole namespace (the agent
    # does not know what it selected before); one that went invalid while it ran does not.
    E.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ci"}},
            policy("ci", "early", ["read", "write", "exit_group"]),
            pod_in("ci", "early-1", {"app": "early"}, "kscmp/ci/early.json"))
    wait_until(lambda: agent.read("ci/early.json") is not None, T, "ci/early.json")
    E.apply(policy("ci", "t-parent", ["read"], extends="missing"))
    wait_until(lambda: (E.c.get_ok("/apis/kscmp.io/v1/namespaces/ci/seccomppolicies/t-parent")
                        .get("status") or {}).get("conditions"), T, "t-parent's status")
    p, j = explain_json(E, "early-1", "-n", "ci")
    f0 = (j.get("files") or [{}])[0]
    check(f0.get("state") == "written" and
          f0.get("keptIfAgentStartedWhileInvalid") == ["SeccompPolicy ci/t-parent"],
          "explain: an agent that ran before t-parent broke writes early.json; one started "
          "since would keep it: said", p.stdout[-1500:] + p.stderr)
    # The agent restarts (with --startup-syscalls none, as helm startupSyscalls=none)
    agent.stop()
    agent.extra = agent.extra + ["--startup-syscalls", "none"]
    agent.start()
    agent.wait_ready(T)
    E.apply(policy("ci", "later", ["read", "write", "exit_group"]),
            pod_in("ci", "later-1", {"app": "later"}, "kscmp/ci/later.json"))
    wait_until(lambda: E.c.events("ci", "later-1", "PolicyInvalid"), T, "PolicyInvalid on later-1")
    p = E.kscmp("explain", "pod", "later-1", "-n", "ci")
    check(p.returncode == 0 and "On the node: kept as it was" in p.stdout and
          "SeccompPolicy ci/t-parent invalid since before the agent started" in p.stdout and
          "every contributor is Ready" not in p.stdout and agent.read("ci/later.json") is None,
          "explain: a file held by a policy invalid since the agent started reads as kept",
          p.stdout[-2500:] + p.stderr)
    p, j = explain_json(E, "later-1", "-n", "ci")
    f0 = (j.get("files") or [{}])[0]
    check(f0.get("state") == "kept" and f0.get("heldBy") == ["SeccompPolicy ci/t-parent"] and
          any(e.get("reason") == "PolicyInvalid" for e in j.get("expectedEvents", [])),
          "explain -o json: state kept, heldBy t-parent, PolicyInvalid expected", j.get("files"))
    # --startup-syscalls none is what that agent writes, byte for byte in meaning
    wait_until(lambda: b'"capset"' not in (agent.read(f"{NS}/web.json") or b'"capset"'), T,
               "web.json rewritten without the start-up syscalls")
    p, j = explain_json(E, "web-1", "-n", NS, "--startup-syscalls", "none")
    disk = json.loads(agent.read(f"{NS}/web.json"))
    check(((j.get("files") or [{}])[0]).get("profile") == disk,
          "explain --startup-syscalls none: the profile equals the file of an agent run so",
          json.dumps(((j.get("files") or [{}])[0]).get("profile"))[:600] + "\n---\n" +
          json.dumps(disk)[:600])

    # A name one letter off: did you mean; the word pod left out: the form to write
    p = E.kscmp("explain", "pod", "web1", "-n", NS)
    check(p.returncode == 1 and "did you mean web-1?" in p.stderr,
          "explain pod web1: did you mean web-1", p.stderr)
    p = E.kscmp("explain", "web-1", "-n", NS)
    check(p.returncode == 2 and "explain pod web-1" in p.stderr and "unrecognized" not in p.stderr,
          "explain web-1 -n NS: tells to write explain pod web-1", p.stderr)


CI = "ci-status"


def status_json(E, *args, kubeconfig=None):
    p = E.kscmp("status", *args, "-o", "json", kubeconfig=kubeconfig)
    return p, (json.loads(p.stdout) if p.stdout.strip().startswith("{") else {})


def event_current(j, pod, reason):
    """The 'current' of each Event of reason on pod in a status -o json report."""
    return [e.get("current") for x in j.get("pods", []) if x.get("name") == pod
            for e in x.get("events", []) if e.get("reason") == reason]


def docs_access_yaml(marker):
    """The fenced YAML block of docs/access.md that holds marker."""
    text = open(os.path.join(REPO, "docs", "access.md")).read()
    for block in text.split("```yaml\n")[1:]:
        block = block.split("```")[0]
        if marker in block:
            return block
    raise AssertionError(f"docs/access.md: no YAML block with {marker}")


def scenario_status_trial(E, agent):
    """Findings of the real-node trial (coord/trial-node.md): status of a namespace that does
    not exist; --wait for Pending policies; a policy invalid since before the agent started
    holds its namespace's files (BUG 3); a namespace owner who cannot read the
    ClusterSeccompPolicies (DOC 7)."""
    # ROUGH 14: a namespace that does not exist is not "OK"
    p = E.kscmp("status", "-n", "nosuchns")
    check(p.returncode == 1 and p.stdout == "" and "namespace nosuchns does not exist" in p.stderr,
          "status -n nosuchns: exit 1, the namespace does not exist",
          f"exit {p.returncode}: {p.stdout[-300:]}{p.stderr}")

    # ROUGH 9: --wait. No agent runs while the policies come: they stay Pending.
    agent.stop(timeout=10)
    E.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": CI}},
            policy(CI, "t-parent", extends="bsae"),
            policy(CI, "waity", ["read"], selector={"matchLabels": {"app": "none"}}))
    # The elapsed time is in the reason: a --wait that ends early shows only by it (its
    # warning still says "after 2s"; cluster_cli.c compared whole seconds of its clock).
    t0 = time.monotonic()
    p, j = status_json(E, "-n", CI, "--wait=2s")
    waited = time.monotonic() - t0
    pend = {x["name"] for x in j.get("notReady", []) if x.get("ready") == "Pending"}
    check(p.returncode == 1 and pend == {"t-parent", "waity"} and waited >= 2 and
          "still Pending after 2s" in p.stderr,
          "status --wait=2s with no agent: waits 2 s, then reports the Pending policies",
          f"exit {p.returncode} after {waited:.2f} s {pend} {p.stderr}")
    env = dict(os.environ, PATH=E.bin + ":" + os.environ["PATH"], KUBECONFIG=E.reader_kc)
    bg = subprocess.Popen(["kubectl", "kscmp", "status", "-n", CI, "--wait", "-o", "json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(1.5)
    agent.start()  # t-parent is invalid when the agent starts
    agent.wait_ready(T)
    out, errs = bg.communicate(timeout=90)
    j = json.loads(out) if out.strip().startswith("{") else {}
    nr = {(x["name"], x["ready"]) for x in j.get("notReady", [])}
    check(nr == {("t-parent", "False")} and bg.returncode == 1,
          "status --wait: waits for the agent, then reports (t-parent Invalid, waity Ready)",
          f"exit {bg.returncode} {nr} {errs}")

    # BUG 3: t-parent (no selector) has been invalid since before the agent started: the agent
    # holds every file of the namespace, so a new pod's file stays absent.
    E.apply({"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "later-1", "namespace": CI, "labels": {"app": "later"}},
             "spec": {"nodeName": "node-a", "securityContext": {"seccompProfile": {
                 "type": "Localhost", "localhostProfile": f"kscmp/{CI}/later.json"}},
                 "containers": [{"name": "main", "image": "registry.invalid/x:1"}]}})
    wait_until(lambda: E.c.events(CI, "later-1", "PolicyInvalid"), T, "PolicyInvalid on later-1")
    msg = E.c.events(CI, "later-1", "PolicyInvalid")[0].get("message", "")
    check("invalid when the agent started" in msg and agent.read(f"{CI}/later.json") is None,
          "the agent holds later.json for t-parent, invalid since before it started", msg)
    p, j = status_json(E, "-n", CI)
    check(p.returncode == 1 and event_current(j, "later-1", "PolicyInvalid") == [True] and
          j.get("problems") == 2,
          "status: the PolicyInvalid of a policy invalid since the agent started still holds",
          f"exit {p.returncode}: {p.stdout[-1500:]}{p.stderr}")
    p = E.kscmp("status", "-n", CI)
    check("1 pod with kscmp warnings" in p.stdout and "resolved" not in p.stdout,
          "status text: later-1 counted, not 'resolved'", p.stdout[-1500:])
    # t-parent goes: the agent lets go (NoPolicy), and so does status
    E.c.kubectl_ok("delete", "seccomppolicy", "-n", CI, "t-parent")
    wait_until(lambda: E.c.events(CI, "later-1", "NoPolicy"), T, "NoPolicy on later-1")
    p, j = status_json(E, "-n", CI)
    check(event_current(j, "later-1", "PolicyInvalid") == [False] and
          event_current(j, "later-1", "NoPolicy") == [True],
          "status after t-parent is deleted: PolicyInvalid resolved, NoPolicy holds",
          p.stdout[-1500:] + p.stderr)

    # DOC 7: a namespace owner with a namespaced Role only (docs/access.md's reader Role)
    role = docs_access_yaml("kind: Role\nmetadata: {name: seccomp-policy-reader").replace(
        "namespace: shop", f"namespace: {CI}")
    E.c.kubectl_ok("create", "serviceaccount", "-n", CI, "owner")
    E.c.kubectl_ok("apply", "-f", "-", input=role)
    E.c.kubectl_ok("create", "rolebinding", "-n", CI, "owner-reader",
                   "--role=seccomp-policy-reader", f"--serviceaccount={CI}:owner")
    owner_kc = os.path.join(E.scratch, "owner.kubeconfig")
    E.c.sa_kubeconfig(CI, "owner", owner_kc, "2h")
    wait_until(lambda: E.c.kubectl("auth", "can-i", "list", "seccomppolicies.kscmp.io", "-n", CI,
                                   "--as", f"system:serviceaccount:{CI}:owner").returncode == 0,
               T, "the owner's Role")
    p, j = status_json(E, "-n", CI, kubeconfig=owner_kc)
    unread = [x.get("kind") for x in j.get("unreadable", [])]
    check(p.returncode == 1 and unread == ["ClusterSeccompPolicy"] and
          event_current(j, "later-1", "NoPolicy") == [True],
          "status -n as a namespace owner (HTTP 403 on clusterseccomppolicies): reports the "
          "namespace, the cluster policies unreadable", f"exit {p.returncode}: {p.stdout[-800:]}"
          f"{p.stderr}")
    p = E.kscmp("status", "-n", CI, kubeconfig=owner_kc)
    check("ClusterSeccompPolicies could not be read" in p.stdout and
          "clusterseccomppolicies (kscmp.io)" in p.stdout and "HTTP 403" in p.stdout and
          "later-1" in p.stdout,
          "status text as a namespace owner: says the cluster policies could not be read, and "
          "which right reads them", p.stdout[-1500:] + p.stderr)
    # docs/access.md's ClusterRole for namespace owners, bound to the owner: all is read
    cr = docs_access_yaml("kind: ClusterRole")
    E.c.kubectl_ok("apply", "-f", "-", input=cr)
    E.c.kubectl_ok("create", "clusterrolebinding", "owner-kscmp-cluster-reader",
                   "--clusterrole=kscmp-cluster-reader", f"--serviceaccount={CI}:owner")
    wait_until(lambda: E.c.kubectl("auth", "can-i", "list", "clusterseccomppolicies.kscmp.io",
                                   "--as", f"system:serviceaccount:{CI}:owner").returncode == 0,
               T, "the owner's ClusterRole")
    p, j = status_json(E, "-n", CI, kubeconfig=owner_kc)
    check(p.stdout and not j.get("unreadable") and "could not be read" not in p.stderr,
          "status -n as a namespace owner bound to docs/access.md's ClusterRole: all read",
          f"exit {p.returncode}: {p.stdout[-800:]}{p.stderr}")
    p = E.kscmp("explain", "pod", "later-1", "-n", CI, kubeconfig=owner_kc)
    check(p.returncode == 0, "explain pod as that namespace owner", p.stderr)


AGENTS_NS = "agents-check"
AGENT_LABELS = {"app.kubernetes.io/part-of": "kscmp", "app.kubernetes.io/component": "agent"}


def scenario_agents(E, agent):
    """status reports the agents: kscmp's DaemonSets (labelled as the chart's and deploy/'s)
    with fewer agents Ready than nodes, and why each pod is not Ready, from its container's
    status (the agent writes why it refused to start as its termination message). No
    controller-manager runs here: the DaemonSet's and the pod's status are written as the
    controllers and the kubelet would, and the API server checks them."""
    # A namespace of nothing: what status says is about the agents alone.
    E.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": AGENTS_NS}})
    p, j = status_json(E, "-n", AGENTS_NS)
    check(p.returncode == 0 and j.get("agents", {}).get("daemonSets") == [] and
          not j["agents"].get("notReady"),
          "status with no kscmp DaemonSet: no agent problem, nothing listed",
          f"exit {p.returncode}: {p.stdout[-800:]}{p.stderr}")
    p = E.kscmp("status", "-n", AGENTS_NS)
    check("Agents: no DaemonSet labelled app.kubernetes.io/part-of=kscmp,"
          "app.kubernetes.io/component=agent" in p.stdout, "status text: no DaemonSet, said",
          p.stdout[-800:])
    sel = {"app.kubernetes.io/name": "kscmp-t"}
    labels = dict(sel, **AGENT_LABELS)
    E.apply({"apiVersion": "apps/v1", "kind": "DaemonSet",
             "metadata": {"name": "kscmp-t", "namespace": "kscmp-system", "labels": labels},
             "spec": {"selector": {"matchLabels": sel}, "template": {
                 "metadata": {"labels": labels},
                 "spec": {"containers": [{"name": "agent", "image": "registry.invalid/x:1"}]}}}})
    ds = E.c.get_ok("/apis/apps/v1/namespaces/kscmp-system/daemonsets/kscmp-t")

    def ds_status(ready):
        E.c.kubectl_ok("patch", "daemonset", "-n", "kscmp-system", "kscmp-t", "--subresource=status",
                       "--type=merge", "-p", json.dumps({"status": {
                           "desiredNumberScheduled": 1, "currentNumberScheduled": 1,
                           "numberMisscheduled": 0, "numberReady": ready,
                           "numberAvailable": ready, "updatedNumberScheduled": 1}}))
    ds_status(0)
    E.apply({"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "kscmp-t-x1", "namespace": "kscmp-system", "labels": labels,
                          "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                                               "name": "kscmp-t", "uid": ds["metadata"]["uid"],
                                               "controller": True}]},
             "spec": {"nodeName": "node-a",
                      "containers": [{"name": "agent", "image": "registry.invalid/x:1"}]}})
    refusal = ("kscmp: error: --kubelet-root /var/lib/kubelet is not this node's kubelet root "
               "(no pod folder of its own)\nsecond line")
    E.c.kubectl_ok("patch", "pod", "-n", "kscmp-system", "kscmp-t-x1", "--subresource=status",
                   "--type=merge", "-p", json.dumps({"status": {
                       "phase": "Running",
                       "conditions": [{"type": "Ready", "status": "False",
                                       "reason": "ContainersNotReady"}],
                       "containerStatuses": [{
                           "name": "agent", "ready": False, "restartCount": 3,
                           "image": "registry.invalid/x:1", "imageID": "",
                           "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                           "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                                        "message": refusal}}}]}}))
    p, j = status_json(E, "-n", AGENTS_NS)
    nr = j.get("agents", {}).get("notReady", [])
    why = nr[0].get("why", "") if nr else ""
    check(p.returncode == 1 and j.get("problems") == 1 and len(nr) == 1 and
          nr[0].get("node") == "node-a" and nr[0].get("name") == "kscmp-t-x1" and
          why.startswith("CrashLoopBackOff, restarted 3 times; last exit status 1 (Error): "
                         "kscmp: error: --kubelet-root") and why.endswith("root (no pod folder "
                                                                          "of its own) ..."),
          "status: an agent in CrashLoopBackOff is a problem, with its node, restarts and the "
          "first line of its termination message", f"exit {p.returncode}: {nr} {p.stderr}")
    p = E.kscmp("status", "-n", AGENTS_NS)
    check(p.returncode == 1 and "Agents: DaemonSet kscmp-system/kscmp-t, 0 of 1 Ready" in p.stdout
          and "kscmp-system/kscmp-t-x1 on node node-a: CrashLoopBackOff" in p.stdout and
          "1 agent not Ready." in p.stdout,
          "status text: the agent not Ready, where and why", p.stdout[-1500:])
    # explain pod of a pod on that node says its agent is not Ready, first.
    p = E.kscmp("explain", "pod", "web-1", "-n", NS)
    check(p.returncode == 0 and "The kscmp agent of this node is not Ready (kscmp-system/"
          "kscmp-t-x1: CrashLoopBackOff" in p.stdout.split("Containers:")[0],
          "explain pod: the node's agent not Ready, said before the rest", p.stdout[:1200])
    p, j = explain_json(E, "web-1", "-n", NS)
    check(j.get("agentNotReady", {}).get("node") == "node-a",
          "explain pod -o json: agentNotReady", p.stdout[:800])
    t0 = time.monotonic()
    p = E.kscmp("status", "-n", AGENTS_NS, "--wait=2s")
    waited = time.monotonic() - t0
    check(p.returncode == 1 and waited >= 2 and "1 agent still not Ready after 2s" in p.stderr,
          "status --wait=2s waits for the agents too",
          f"exit {p.returncode} after {waited:.2f} s: {p.stderr}")
    # A namespace owner who cannot list DaemonSets: said, not a problem of its own.
    owner_kc = os.path.join(E.scratch, "owner.kubeconfig")
    p = E.kscmp("status", "-n", CI, kubeconfig=owner_kc)
    check("Agents: not read (DaemonSets cannot be listed" in p.stdout,
          "status as a namespace owner: the agents could not be read, said", p.stdout[-800:])
    # Ready again: no problem; the count is said.
    ds_status(1)
    E.c.kubectl_ok("patch", "pod", "-n", "kscmp-system", "kscmp-t-x1", "--subresource=status",
                   "--type=merge", "-p", json.dumps({"status": {"conditions": [
                       {"type": "Ready", "status": "True"}]}}))
    p = E.kscmp("explain", "pod", "web-1", "-n", NS)
    check(p.returncode == 0 and "agent of this node is not Ready" not in p.stdout,
          "explain pod once the agent is Ready: nothing said of it", p.stdout[:800])
    p = E.kscmp("status", "-n", AGENTS_NS)
    check(p.returncode == 0 and "Agents: DaemonSet kscmp-system/kscmp-t, 1 of 1 Ready" in p.stdout
          and "not Ready" not in p.stdout, "status once the agent is Ready: exit 0",
          f"exit {p.returncode}: {p.stdout[-1200:]}{p.stderr}")
    E.c.kubectl_ok("delete", "-n", "kscmp-system", "daemonset/kscmp-t", "pod/kscmp-t-x1",
                   "--wait=false")


NODES_NS = "nodes-check"


def scenario_nodes(E):
    """status and explain pod on the nodes that have no kscmp agent: a DaemonSet that
    tolerates no taint and selects kubernetes.io/os=linux, its agent pod on node-a; node-b
    tainted dedicated=gpu:NoSchedule with a pod bound to it that uses a kscmp file (a
    problem: it cannot start), node-c NotReady and of another OS with no such pod (said, not a
    problem). The Nodes are API objects alone (no kubelet), their Ready condition written
    through the status subresource."""
    E.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NODES_NS}})
    sel = {"app.kubernetes.io/name": "kscmp-n"}
    labels = dict(sel, **AGENT_LABELS)
    E.apply({"apiVersion": "apps/v1", "kind": "DaemonSet",
             "metadata": {"name": "kscmp-n", "namespace": "kscmp-system", "labels": labels},
             "spec": {"selector": {"matchLabels": sel}, "template": {
                 "metadata": {"labels": labels},
                 "spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                          "containers": [{"name": "agent", "image": "registry.invalid/x:1"}]}}}})
    ds = E.c.get_ok("/apis/apps/v1/namespaces/kscmp-system/daemonsets/kscmp-n")
    E.c.kubectl_ok("patch", "daemonset", "-n", "kscmp-system", "kscmp-n", "--subresource=status",
                   "--type=merge", "-p", json.dumps({"status": {
                       "desiredNumberScheduled": 1, "currentNumberScheduled": 1,
                       "numberMisscheduled": 0, "numberReady": 1, "numberAvailable": 1,
                       "updatedNumberScheduled": 1}}))
    E.apply({"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "kscmp-n-a", "namespace": "kscmp-system", "labels": labels,
                          "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                                               "name": "kscmp-n", "uid": ds["metadata"]["uid"],
                                               "controller": True}]},
             "spec": {"nodeName": "node-a",
                      "containers": [{"name": "agent", "image": "registry.invalid/x:1"}]}})
    E.c.kubectl_ok("patch", "pod", "-n", "kscmp-system", "kscmp-n-a", "--subresource=status",
                   "--type=merge", "-p", json.dumps({"status": {
                       "phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}))
    for name, os_label, taints, ready in (("node-b", "linux", [{"key": "dedicated", "value": "gpu",
                                                                "effect": "NoSchedule"},
                                                               {"key": "soft", "effect":
                                                                "PreferNoSchedule"}], "True"),
                                          ("node-c", "windows", [], "False")):
        E.c.kubectl_ok("create", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/os": os_label}},
            "spec": {"taints": taints, "unschedulable": name == "node-b"}}))
        E.c.kubectl_ok("patch", "node", name, "--subresource=status", "--type=merge", "-p",
                       json.dumps({"status": {"conditions": [{
                           "type": "Ready", "status": ready, "reason": "Test",
                           "lastHeartbeatTime": rfc3339(time.time()),
                           "lastTransitionTime": rfc3339(time.time())}]}}))
    # The API server taints a new Node node.kubernetes.io/not-ready:NoSchedule; the node
    # lifecycle controller (not run here) takes it off a Ready one. A DaemonSet's pods do not
    # tolerate it (node-c keeps it: said there).
    E.c.kubectl("taint", "node", "node-b", "node.kubernetes.io/not-ready:NoSchedule-")

    def bound_pod(name, node, profile):
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": NODES_NS},
                "spec": {"nodeName": node, "securityContext": {"seccompProfile": profile},
                         "containers": [{"name": "main", "image": "registry.invalid/x:1"}]}}
    E.apply(bound_pod("gpu-1", "node-b", {"type": "Localhost",
                                          "localhostProfile": f"kscmp/{NODES_NS}/train.json"}),
            bound_pod("win-1", "node-c", {"type": "RuntimeDefault"}))
    taint_why = "taint dedicated=gpu:NoSchedule not tolerated by DaemonSet kscmp-system/kscmp-n"
    sel_why = ("not selected by the nodeSelector of DaemonSet kscmp-system/kscmp-n "
               "(kubernetes.io/os=linux; the node has kubernetes.io/os=windows); node NotReady")
    p, j = status_json(E, "-n", NODES_NS)
    a = j.get("agents", {})
    nodes = {x.get("node"): x for x in a.get("nodesWithoutAgent", [])}
    pods = a.get("podsWithoutAgent", [])
    check(p.returncode == 1 and j.get("problems") == 1 and sorted(nodes) == ["node-b", "node-c"] and
          nodes["node-b"].get("why") == taint_why and nodes["node-b"].get("kscmpPods") == 1 and
          nodes["node-b"].get("ready") is True and nodes["node-c"].get("why", "").endswith(sel_why) and
          nodes["node-c"].get("kscmpPods") == 0 and nodes["node-c"].get("ready") is False and
          a.get("nodes") == 3 and a.get("nodesWithoutAgentCount") == 2 and
          a.get("podsWithoutAgentCount") == 1 and len(pods) == 1 and
          pods[0].get("name") == "gpu-1" and pods[0].get("node") == "node-b" and
          pods[0].get("file") == f"kscmp/{NODES_NS}/train.json" and
          pods[0].get("why") == f"cannot start: no kscmp agent on node node-b ({taint_why})" and
          not a.get("notReady"),
          "status -o json: the nodes without an agent and why (taint, nodeSelector, NotReady); "
          "the pod bound to one that uses a kscmp file is the one problem",
          f"exit {p.returncode}: {json.dumps(a)[:1500]} {p.stderr}")
    check([x.get("name") for x in a.get("daemonSets", [])] == ["kscmp-n"] and
          set(a["daemonSets"][0]) >= {"namespace", "name", "desired", "ready"} and
          {"scope", "policies", "notReady", "detached", "unreadable", "pods", "agents",
           "problems"} <= set(j), "status -o json: the keys it had are kept", json.dumps(j)[:800])
    p = E.kscmp("status", "-n", NODES_NS)
    out = p.stdout
    check(p.returncode == 1 and "Agents: DaemonSet kscmp-system/kscmp-n, 1 of 1 Ready" in out and
          "Nodes without a kscmp agent (2 of 3" in out and
          f"  node-b: {taint_why}; 1 pod of namespace {NODES_NS} there uses a kscmp file" in out and
          f"{sel_why}; no pod of namespace {NODES_NS} there uses a kscmp file "
          "(not a problem" in out.split("  node-c: ")[-1] and
          f"  {NODES_NS}/gpu-1 (kscmp/{NODES_NS}/train.json): cannot start: no kscmp agent on "
          f"node node-b ({taint_why})" in out and
          "1 problem: 0 policies not Ready, 0 pods with kscmp warnings, 1 pod on a node without "
          "a kscmp agent." in out,
          "status text: the nodes without an agent, why, and the pod that cannot start",
          f"exit {p.returncode}: {out[-2000:]}{p.stderr}")
    p, j = status_json(E, "-A")
    check(p.returncode == 1 and [x.get("name") for x in j.get("agents", {}).get(
          "podsWithoutAgent", [])] == ["gpu-1"], "status -A: the same pod, of any namespace",
          f"exit {p.returncode}: {json.dumps(j.get('agents'))[:1200]}")
    p, j = status_json(E, "-n", NODES_NS, "--wait=5s")
    check(p.returncode == 1 and j.get("problems") == 1 and [x.get("name") for x in j.get(
          "agents", {}).get("podsWithoutAgent", [])] == ["gpu-1"],
          "status --wait: the nodes compared once the wait is over",
          f"exit {p.returncode}: {json.dumps(j.get('agents'))[:1200]} {p.stderr}")
    # explain pod says first that the pod's node has no agent, and why
    p = E.kscmp("explain", "pod", "gpu-1", "-n", NODES_NS)
    check(p.returncode == 0 and f"No kscmp agent runs on this node ({taint_why})" in
          p.stdout.split("Containers:")[0],
          "explain pod: no agent on the pod's node, said first with why", p.stdout[:1200] + p.stderr)
    p, j = explain_json(E, "gpu-1", "-n", NODES_NS)
    check(j.get("agentMissing") == {"node": "node-b", "why": taint_why} and
          "agentNotReady" not in j, "explain pod -o json: agentMissing", p.stdout[:800] + p.stderr)
    p = E.kscmp("explain", "pod", "web-1", "-n", NS)
    check(p.returncode == 0 and "No kscmp agent" not in p.stdout and
          "agent of this node is not Ready" not in p.stdout,
          "explain pod on the node with a Ready agent pod: nothing said of the agent",
          p.stdout[:800] + p.stderr)
    # The DaemonSet tolerates the taint: node-b's pod is still without an agent (no pod yet)
    E.c.kubectl_ok("patch", "daemonset", "-n", "kscmp-system", "kscmp-n", "--type=json", "-p",
                   json.dumps([{"op": "add", "path": "/spec/template/spec/tolerations",
                                "value": [{"key": "dedicated", "operator": "Exists"}]}]))
    p, j = status_json(E, "-n", NODES_NS)
    nodes = {x.get("node"): x for x in j.get("agents", {}).get("nodesWithoutAgent", [])}
    check(p.returncode == 1 and nodes.get("node-b", {}).get("why") == "no agent pod there",
          "status: a node the DaemonSet would run on, but without its pod: no agent pod there",
          json.dumps(nodes)[:800])
    # Who may list DaemonSets but not Nodes is told, quietly; the rest is reported.
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "kscmp-no-nodes"},
            "rules": [{"apiGroups": ["kscmp.io"], "resources": ["seccomppolicies",
                                                               "clusterseccomppolicies"],
                       "verbs": ["get", "list"]},
                      {"apiGroups": [""], "resources": ["pods", "namespaces", "events"],
                       "verbs": ["get", "list"]},
                      {"apiGroups": ["apps"], "resources": ["daemonsets"], "verbs": ["get", "list"]}]}
    E.apply(role)
    E.c.kubectl_ok("create", "serviceaccount", "-n", "readers", "no-nodes")
    E.c.kubectl_ok("create", "clusterrolebinding", "kscmp-no-nodes", "--clusterrole=kscmp-no-nodes",
                   "--serviceaccount=readers:no-nodes")
    kc = os.path.join(E.scratch, "no-nodes.kubeconfig")
    E.c.sa_kubeconfig("readers", "no-nodes", kc, "2h")
    wait_until(lambda: E.c.kubectl("auth", "can-i", "list", "daemonsets.apps", "--as",
                                   "system:serviceaccount:readers:no-nodes").returncode == 0,
               T, "the no-nodes reader's RBAC")
    p, j = status_json(E, "-n", NODES_NS, kubeconfig=kc)
    a = j.get("agents", {})
    check(p.returncode == 0 and "nodes" in a.get("nodesUnreadable", "") and
          "nodesWithoutAgent" not in a and j.get("problems") == 0,
          "status without the right to list Nodes: said, not a problem",
          f"exit {p.returncode}: {json.dumps(a)[:800]} {p.stderr}")
    p = E.kscmp("status", "-n", NODES_NS, kubeconfig=kc)
    check("Nodes: not compared with the agents (" in p.stdout and p.stdout.count("Nodes:") == 1,
          "status text without the right to list Nodes: one line says so", p.stdout[-800:])
    # No kubelet runs here to finish a graceful deletion of the pods.
    E.c.kubectl_ok("delete", "-n", "kscmp-system", "daemonset/kscmp-n", "--wait=false")
    E.c.kubectl_ok("delete", "-n", "kscmp-system", "pod/kscmp-n-a", "--grace-period=0", "--force")
    E.c.kubectl_ok("delete", "-n", NODES_NS, "pod/gpu-1", "pod/win-1", "--grace-period=0",
                   "--force")
    E.c.kubectl_ok("delete", "node", "node-b", "node-c", "--wait=false")


KA_NS = "ka-off"


def scenario_kubearmor_off(E):
    """trial-live48 BUG 2: with the agents' DaemonSet run with --kubearmor-policies=off (the
    chart's crds.kubearmorCompat: false), status and explain pod leave KubeArmorSeccompPolicies
    out, as the agents do, and say so; with the flag gone they count again; the command's own
    --kubearmor-policies overrides. The agent here reads them (it is not the DaemonSet's): an
    invalid one gets its Ready False, which counts only when the agents read the kind."""
    E.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": KA_NS}},
            policy(KA_NS, "ka", ["read"]),
            policy(KA_NS, "theirs", ["chmod"], kind="KubeArmorSeccompPolicy",
                   selector={"matchLabels": {"app": "ka"}}, extends="missing"),
            {"apiVersion": "v1", "kind": "Pod",  # on no node: no agent is owed there
             "metadata": {"name": "ka-1", "namespace": KA_NS, "labels": {"app": "ka"}},
             "spec": {"securityContext": {"seccompProfile": {
                 "type": "Localhost", "localhostProfile": f"kscmp/{KA_NS}/ka.json"}},
                 "containers": [{"name": "main", "image": "registry.invalid/x:1"}]}})

    def ready_of(kind, name):
        obj = E.c.get_ok(policy_path(kind, KA_NS, name))
        st = [c.get("status") for c in (obj.get("status") or {}).get("conditions") or []
              if c.get("type") == "Ready" and
              c.get("observedGeneration") == obj["metadata"].get("generation")]
        return st == [("True" if kind == "SeccompPolicy" else "False")]
    wait_until(lambda: ready_of("SeccompPolicy", "ka") and
               ready_of("KubeArmorSeccompPolicy", "theirs"), T, "the agent's Ready statuses")

    def daemonset(args):
        sel = {"app.kubernetes.io/name": "kscmp-ka"}
        E.apply({"apiVersion": "apps/v1", "kind": "DaemonSet",
                 "metadata": {"name": "kscmp-ka", "namespace": "kscmp-system",
                              "labels": dict(sel, **AGENT_LABELS)},
                 "spec": {"selector": {"matchLabels": sel}, "template": {
                     "metadata": {"labels": dict(sel, **AGENT_LABELS)},
                     "spec": {"containers": [{"name": "agent", "image": "registry.invalid/x:1",
                                              "args": args}]}}}})

    def left_out(what, *flags):
        p, j = status_json(E, "-n", KA_NS, *flags)
        check(p.returncode == 0 and j.get("problems") == 0 and j.get("notReady") == [] and
              j.get("kubearmorPolicies", {}).get("read") is False,
              f"status -o json, {what}: KubeArmorSeccompPolicies left out, no problem",
              f"exit {p.returncode}: {p.stdout[-1200:]}{p.stderr}")
        p = E.kscmp("status", "-n", KA_NS, *flags)
        check(p.returncode == 0 and "KubeArmorSeccompPolicies: not read, as the agents do not "
              "read them" in p.stdout and "theirs" not in p.stdout,
              f"status, {what}: said, exit 0", f"exit {p.returncode}: {p.stdout}{p.stderr}")
        p = E.kscmp("explain", "pod", "ka-1", "-n", KA_NS, *flags)
        check(p.returncode == 0 and "theirs" not in p.stdout and
              "KubeArmorSeccompPolicies: not read" in p.stdout and
              "every contributor is Ready" in p.stdout,
              f"explain pod, {what}: the KubeArmor policy does not contribute",
              f"exit {p.returncode}: {p.stdout[:1500]}{p.stderr}")

    def counted(what, *flags):
        p, j = status_json(E, "-n", KA_NS, *flags)
        nr = [(x.get("kind"), x.get("name"), x.get("reason")) for x in j.get("notReady", [])]
        check(p.returncode == 1 and nr == [("KubeArmorSeccompPolicy", "theirs", "Invalid")],
              f"status, {what}: the KubeArmor policy counts", f"exit {p.returncode}: {nr} "
              f"{p.stderr}")
        p = E.kscmp("explain", "pod", "ka-1", "-n", KA_NS, *flags)
        check(p.returncode == 0 and f"KubeArmorSeccompPolicy {KA_NS}/theirs" in p.stdout,
              f"explain pod, {what}: the KubeArmor policy contributes", p.stdout[:1500])

    daemonset(["agent", "--kubelet-root=/var/lib/kubelet", "--kubearmor-policies=off"])
    left_out("the DaemonSet's agents run with --kubearmor-policies=off")
    counted("--kubearmor-policies=on given", "--kubearmor-policies=on")
    daemonset(["agent", "--kubelet-root=/var/lib/kubelet"])
    counted("the DaemonSet's agents read them (the default)")
    left_out("--kubearmor-policies=off given", "--kubearmor-policies=off")
    E.c.kubectl_ok("delete", "-n", "kscmp-system", "daemonset/kscmp-ka", "--wait=false")
    E.c.kubectl_ok("delete", "namespace", KA_NS, "--wait=false")


def scenario_require_profiles(E):
    """docs/access.md's ValidatingAdmissionPolicy that makes a namespace's pods use kscmp files
    (a guardrail binds only those; the hostile-tenant trial's DOC 4), as the API server runs
    it: Unconfined, RuntimeDefault, none, another namespace's file or another folder refused
    for any container (init and ephemeral ones too); every container under a kscmp file of its
    namespace, by its own setting or the pod's, let in; other namespaces untouched."""
    ns = "req"
    E.apply({"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": ns, "labels": {"kscmp.io/profiles": "required"}}})
    E.c.kubectl_ok("apply", "-f", "-", input=docs_access_yaml("name: kscmp-require-profiles"))

    def sc(ref=None, kind="Localhost"):
        if kind != "Localhost":
            return {"seccompProfile": {"type": kind}}
        return {"seccompProfile": {"type": "Localhost", "localhostProfile": ref}}

    def pod_obj(name, pod_sc=None, ctrs=(("main", None),), init=(), pns=ns):
        spec = {"nodeName": "node-a", "containers": [
            dict({"name": n, "image": "registry.invalid/x:1"}, **({"securityContext": c} if c else {}))
            for n, c in ctrs]}
        if init:
            spec["initContainers"] = [dict({"name": n, "image": "registry.invalid/x:1"},
                                           **({"securityContext": c} if c else {})) for n, c in init]
        if pod_sc:
            spec["securityContext"] = pod_sc
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": pns},
                "spec": spec}

    def create(obj):
        return E.c.kubectl("create", "-f", "-", input=json.dumps(obj))

    good = sc(f"kscmp/{ns}/web.json")
    # The binding takes effect a moment after it is created: a probe pod let in before is
    # deleted, and only the policy's own refusal counts.
    def in_force():
        p = create(pod_obj("probe", sc(kind="Unconfined")))
        if p.returncode == 0:
            E.c.kubectl("delete", "pod", "-n", ns, "probe", "--grace-period=0", "--force")
        return "kscmp: this namespace requires a kscmp profile" in p.stderr
    wait_until(in_force, T, "kscmp-require-profiles in force")
    refused = {
        "unconfined": pod_obj("u", sc(kind="Unconfined")),
        "runtime-default": pod_obj("rd", sc(kind="RuntimeDefault")),
        "none": pod_obj("none"),
        "other namespace's file": pod_obj("o", sc("kscmp/demo/web.json")),
        "another folder": pod_obj("f", sc("profiles/audit.json")),
        "one container of its own": pod_obj("m", good, ctrs=(("main", None),
                                                              ("side", sc(kind="Unconfined")))),
        "an init container": pod_obj("i", good, init=(("setup", sc(kind="RuntimeDefault")),)),
        "a privileged container on a kscmp file": pod_obj(
            "pr", good, ctrs=(("main", dict(sc(f"kscmp/{ns}/web.json"), privileged=True)),)),
    }
    for what, obj in refused.items():
        p = create(obj)
        check(p.returncode != 0 and "kscmp: this namespace requires a kscmp profile for every "
              "container" in p.stderr and f"localhostProfile: kscmp/{ns}/NAME.json" in p.stderr,
              f"require-profiles: {what} refused, the container named", p.stderr[-600:])
    p = create(refused["one container of its own"])
    check("; side would run without one" in p.stderr, "require-profiles: the container named",
          p.stderr[-400:])
    for what, obj in {"the pod's setting": pod_obj("ok1", good),
                      "each container's own": pod_obj("ok2", None, ctrs=(("main", good),),
                                                      init=(("setup", sc(f"kscmp/{ns}/init.json")),)),
                      "the pod's, one container another kscmp file": pod_obj(
                          "ok3", good, ctrs=(("main", None), ("side", sc(f"kscmp/{ns}/side.json"))))}.items():
        p = create(obj)
        check(p.returncode == 0, f"require-profiles: {what} let in", p.stderr[-600:])
    # An ephemeral container (kubectl debug) without a kscmp file is refused on a pod whose
    # own setting is not one of the namespace's... and let in under the pod's.
    dbg = {"name": "dbg", "image": "registry.invalid/x:1", "securityContext": sc(kind="Unconfined")}
    pod = E.c.get_ok(f"/api/v1/namespaces/{ns}/pods/ok1")
    pod["spec"]["ephemeralContainers"] = [dbg]
    p = E.c.kubectl("replace", "--raw", f"/api/v1/namespaces/{ns}/pods/ok1/ephemeralcontainers",
                    "-f", "-", input=json.dumps(pod))
    check(p.returncode != 0 and "dbg would run without one" in p.stderr,
          "require-profiles: an Unconfined ephemeral container refused", p.stderr[-600:])
    del dbg["securityContext"]
    p = E.c.kubectl("replace", "--raw", f"/api/v1/namespaces/{ns}/pods/ok1/ephemeralcontainers",
                    "-f", "-", input=json.dumps(pod))
    check(p.returncode == 0, "require-profiles: an ephemeral container under the pod's kscmp file "
          "let in", p.stderr[-600:])
    # A namespace without the label is not bound.
    p = create(pod_obj("free", sc(kind="Unconfined"), pns=NS))
    check(p.returncode == 0, "require-profiles: a namespace without the label is not bound",
          p.stderr[-400:])
    E.c.kubectl("delete", "pod", "-n", NS, "free", "--wait=false")


def scenario_large_lists(E):
    """The live trial's BUG 2: about 9 MB of policies in one namespace (each within the API
    server's object size) made status and explain pod fail on one page of 500 (HTTP 413 from
    the client's 8 MiB bound on an answer): the commands now list in smaller pages, as the
    agents do. The policies are over kscmp's name bound (invalid), which is what status says."""
    ns = "large"
    E.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    names = [f"x{j:04d}" for j in range(500)]
    for k in range(12):
        obj = {"apiVersion": "kscmp.io/v1", "kind": "SeccompPolicy",
               "metadata": {"name": f"big-{k}", "namespace": ns},
               "spec": {"rules": [{"syscalls": names, "action": "Block"} for _ in range(200)]}}
        E.c.kubectl_ok("create", "-f", "-", input=json.dumps(obj), timeout=120)
    p, j = status_json(E, "-n", ns)
    nr = {x["name"] for x in j.get("notReady", [])}
    check(p.returncode == 1 and len(nr) == 12 and "HTTP 413" not in p.stderr,
          "status over ~9.6 MB of policies: read in smaller pages, every policy reported",
          f"exit {p.returncode}: {sorted(nr)} {p.stderr[-400:]}")
    p = E.kscmp("status", "-A")
    check(p.returncode == 1 and "HTTP 413" not in p.stderr and "large/big-0" in p.stdout,
          "status -A over the same: read", p.stderr[-400:])
    E.c.kubectl("delete", "namespace", ns, "--wait=false")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scratch", required=True)
    args = ap.parse_args()
    d = os.path.join(args.scratch, "cluster")
    c = None
    agent = None
    try:
        c = Cluster.start(d)
        ok("cluster.sh start")
        for f in ("crd/", "deploy/01-namespace.yaml", "deploy/02-rbac.yaml"):
            c.kubectl_ok("apply", "-f", os.path.join(REPO, f))
        c.kubectl_ok("wait", "--for", "condition=Established", "--timeout=60s",
                     "crd/seccomppolicies.kscmp.io", "crd/clusterseccomppolicies.kscmp.io")
        E = Env(c, args.scratch)
        agent_kc = os.path.join(args.scratch, "agent.kubeconfig")
        c.sa_kubeconfig("kscmp-system", "kscmp", agent_kc, "2h")
        c.apply_objects([{"apiVersion": "v1", "kind": "Node", "metadata": {
            "name": "node-a", "labels": {"kubernetes.io/arch": "amd64"}},
            "status": {"nodeInfo": {"architecture": "amd64"}}}])
        agent = Agent("node-a", agent_kc, "node-a", os.path.join(args.scratch, "node-a"),
                      os.path.join(args.scratch, "logs"))
        os.makedirs(os.path.join(args.scratch, "logs"), exist_ok=True)
        agent.start()
        agent.wait_ready(T)
        ok("agent for node-a ready")
        reader_kubeconfig(E)
        ok("a read-only ServiceAccount for the commands")
        scenario(E, agent)
        scenario_status_trial(E, agent)
        scenario_agents(E, agent)
        scenario_nodes(E)
        scenario_kubearmor_off(E)
        scenario_require_profiles(E)
        scenario_large_lists(E)
    except Exception as e:  # noqa: BLE001
        bad("unexpected error", f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=6)}")
        if agent:
            print(agent.log_tail(20))
    finally:
        if agent:
            try:
                agent.stop(timeout=5)
            except Exception:  # noqa: BLE001
                pass
        if c:
            try:
                c.stop()
            except Exception:  # noqa: BLE001
                pass
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
