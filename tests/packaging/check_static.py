#!/usr/bin/env python3
"""Offline checks of kscmp's install objects (crd/, deploy/, charts/kscmp/); run by
check-static.sh. Needs python3 with PyYAML and jsonschema; uses helm when tests/e2e/tools.sh
has already built it (never builds it: check-server.sh does), else skips those checks.

Prints one line per check and `N passed, N failed` last; exits 1 if any failed.
"""
import copy
import glob
import json
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKG = os.path.join(ROOT, "tests", "packaging")
VECTORS = os.environ.get("KSCMP_VECTORS") or os.path.join(os.path.dirname(ROOT), "shared", "vectors")

# Vectors whose policies the CRD schemas refuse (the agent would say the same in status).
SCHEMA_INVALID_VECTORS = {"18-args-bad-index", "19-unknown-action", "30-unknown-kind"}

sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from report import Report  # noqa: E402

R = Report()
skip = R.skip


def check(name, ok, detail=""):
    """R.check with the name first, the order of this file's calls."""
    return R.check(ok, name, detail)


def rel(p):
    return os.path.relpath(p, ROOT)


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


# ---------------------------------------------------------------- every YAML file parses

def yaml_files():
    pats = ["crd/*.yaml", "deploy/*.yaml", "charts/kscmp/Chart.yaml", "charts/kscmp/values.yaml",
            "charts/kscmp/files/crds/*.yaml", "tests/packaging/invalid/*.yaml",
            "tests/packaging/valid/*.yaml"]
    out = []
    for p in pats:
        out += sorted(glob.glob(os.path.join(ROOT, p)))
    return out


class UniqueKeyLoader(yaml.SafeLoader):
    """Refuses a mapping that repeats a key (PyYAML keeps the last silently; kubectl refuses)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for k, _ in node.value:
        key = loader.construct_object(k, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, "duplicate key %r" % key,
                                                    k.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def check_yaml_parses():
    for path in yaml_files():
        try:
            with open(path, encoding="utf-8") as f:
                docs = [d for d in yaml.load_all(f, Loader=UniqueKeyLoader) if d is not None]
            check("yaml parses: " + rel(path), len(docs) > 0, "no document")
        except yaml.YAMLError as e:
            check("yaml parses: " + rel(path), False, str(e).replace("\n", " "))


# ---------------------------------------------------------------- the CRDs

EXPECT_CRDS = {
    "seccomppolicies.kscmp.io": ("kscmp.io", "SeccompPolicy", "Namespaced", ["kscmp"]),
    "clusterseccomppolicies.kscmp.io": ("kscmp.io", "ClusterSeccompPolicy", "Cluster", ["ckscmp"]),
    "kubearmorseccomppolicies.security.kubearmor.com":
        ("security.kubearmor.com", "KubeArmorSeccompPolicy", "Namespaced", None),
}
ACTIONS = {"Allow", "Audit", "Block", "Trap", "Kill", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",
           "SCMP_ACT_ERRNO", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_KILL",
           "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS"}
OPS = {"EQ", "NE", "LT", "LE", "GT", "GE", "MASKED_EQ"}


def crds():
    out = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "crd", "*.yaml"))):
        for d in load_all(path):
            out[d["metadata"]["name"]] = d
    return out


def structural_problems(node, where):
    """The rules of a structural schema that matter here, plus 'spec is strict' and the bounds
    that keep CEL cost estimates finite: every node typed (or int-or-string), no
    additionalProperties beside properties, no preserved unknown fields, arrays bounded."""
    probs = []
    if not isinstance(node, dict):
        return [where + ": not a mapping"]
    if node.get("x-kubernetes-preserve-unknown-fields"):
        probs.append(where + ": preserves unknown fields")
    if "type" not in node and not node.get("x-kubernetes-int-or-string"):
        probs.append(where + ": no type")
    if "properties" in node and "additionalProperties" in node:
        probs.append(where + ": both properties and additionalProperties")
    for bad in ("oneOf", "anyOf", "allOf", "not", "$ref", "default"):
        if bad in node:
            probs.append(where + ": uses " + bad)
    if node.get("type") == "array":
        if "items" not in node:
            probs.append(where + ": array without items")
        if "maxItems" not in node:
            probs.append(where + ": array without maxItems")
    for k, v in node.get("properties", {}).items():
        probs += structural_problems(v, where + "." + k)
    if isinstance(node.get("additionalProperties"), dict):
        probs += structural_problems(node["additionalProperties"], where + ".*")
    if isinstance(node.get("items"), dict):
        probs += structural_problems(node["items"], where + "[]")
    return probs


def dig(node, *path):
    for p in path:
        if p == "[]":
            node = node["items"]
        else:
            node = node["properties"][p]
    return node


RECORDING_CRD = "seccomprecordings.kscmp.io"


def check_recording_crd(c):
    """SeccompRecording's CRD (its own schema: spec.policy and spec.selector; a status the
    agents merge)."""
    name = RECORDING_CRD
    s = c["spec"]
    check(name + ": group, kind, scope, short names",
          (s["group"], s["names"]["kind"], s["scope"], s["names"].get("shortNames")) ==
          ("kscmp.io", "SeccompRecording", "Namespaced", ["kscmprec"]))
    v = s["versions"][0]
    check(name + ": one version v1, served and stored, status subresource",
          len(s["versions"]) == 1 and v["name"] == "v1" and v["served"] and v["storage"]
          and v.get("subresources") == {"status": {}})
    root = v["schema"]["openAPIV3Schema"]
    probs = structural_problems(dig(root, "spec"), "spec")
    probs += structural_problems(dig(root, "status"), "status")
    check(name + ": structural, strict, bounded schema", not probs, "; ".join(probs[:5]))
    spec = dig(root, "spec")
    pol = spec["properties"]["policy"]
    check(name + ": spec.policy required, a DNS-1123 subdomain",
          spec.get("required") == ["policy"] and pol.get("maxLength") == 253
          and pol.get("pattern", "").startswith("^[a-z0-9]"))
    cols = {col["name"]: col["jsonPath"] for col in v.get("additionalPrinterColumns", [])}
    check(name + ": printer columns", cols.get("Policy") == ".spec.policy" and
          cols.get("Recording") == '.status.conditions[?(@.type=="Recording")].status', str(cols))


def check_crds():
    got = crds()
    check("crd/: exactly the three policy CRDs and SeccompRecording's",
          set(got) == set(EXPECT_CRDS) | {RECORDING_CRD}, str(sorted(got)))
    if RECORDING_CRD in got:
        check_recording_crd(got[RECORDING_CRD])
    for name, (group, kind, scope, short) in EXPECT_CRDS.items():
        c = got.get(name)
        if not c:
            continue
        s = c["spec"]
        check(name + ": apiextensions.k8s.io/v1", c["apiVersion"] == "apiextensions.k8s.io/v1")
        check(name + ": group, kind, scope",
              (s["group"], s["names"]["kind"], s["scope"]) == (group, kind, scope),
              str((s["group"], s["names"]["kind"], s["scope"])))
        check(name + ": short names", s["names"].get("shortNames") == short,
              str(s["names"].get("shortNames")))
        vs = s["versions"]
        check(name + ": one version v1, served and stored",
              len(vs) == 1 and vs[0]["name"] == "v1" and vs[0]["served"] and vs[0]["storage"])
        v = vs[0]
        check(name + ": status subresource", v.get("subresources") == {"status": {}})
        cols = {col["name"]: col["jsonPath"] for col in v.get("additionalPrinterColumns", [])}
        check(name + ": printer columns", cols.get("Default") == ".spec.defaultAction"
              and cols.get("Extends") == ".spec.extends"
              and cols.get("Ready") == '.status.conditions[?(@.type=="Ready")].status'
              and cols.get("Age") == ".metadata.creationTimestamp", str(cols))
        if scope == "Cluster":
            check(name + ": a Ceiling column (guardrails at a glance)",
                  cols.get("Ceiling") == ".spec.ceiling", str(cols))
        root = v["schema"]["openAPIV3Schema"]
        probs = structural_problems(dig(root, "spec"), "spec")
        probs += structural_problems(dig(root, "status"), "status")
        check(name + ": structural, strict, bounded schema", not probs, "; ".join(probs[:5]))
        spec = dig(root, "spec")
        sev = spec["properties"]["severity"]
        check(name + ": severity 1..10", (sev["type"], sev["minimum"], sev["maximum"]) ==
              ("integer", 1, 10))
        check(name + ": namespaceSelector only on the cluster kind",
              ("namespaceSelector" in spec["properties"]) == (scope == "Cluster"))
        check(name + ": ceiling (boolean) only on the cluster kind",
              ("ceiling" in spec["properties"]) == (scope == "Cluster") and
              spec["properties"].get("ceiling", {"type": "boolean"})["type"] == "boolean")
        for bpath in (("seccomp",), ("rules", "[]")):
            b = dig(spec, *bpath)
            where = name + ": " + ".".join(bpath).replace(".[]", "[]")
            check(where + " action enum", set(b["properties"]["action"]["enum"]) == ACTIONS,
                  str(b["properties"]["action"]["enum"]))
            check(where + " defaultAction enum", set(spec["properties"]["defaultAction"]["enum"])
                  == ACTIONS)
            idx = dig(b, "args", "[]", "index")
            check(where + " args index 0..5", (idx["minimum"], idx["maximum"]) == (0, 5))
            ops = set(dig(b, "args", "[]", "op")["enum"])
            check(where + " op enum", ops == OPS | {"SCMP_CMP_" + o for o in OPS}, str(ops))
            sc = dig(b, "syscalls", "[]")
            check(where + " syscall pattern", sc.get("pattern") == "^[a-z0-9_]+$")
            arch = set(dig(b, "arch", "[]")["enum"])
            want = {"x86_64", "x86", "x32", "aarch64", "arm", "riscv64", "ppc64le", "s390x",
                    "SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64", "SCMP_ARCH_RISCV64"}
            check(where + " arch enum", want <= arch, str(sorted(want - arch)))
            errno = b["properties"]["errno"]
            check(where + " errno int-or-string", errno.get("x-kubernetes-int-or-string") is True)
            rules = [r["rule"] for r in b.get("x-kubernetes-validations", [])]
            check(where + " CEL: errno only with Block",
                  any("errno" in r and "SCMP_ACT_ERRNO" in r for r in rules), str(rules))
        st = dig(root, "status")
        cond = dig(st, "conditions", "[]")
        check(name + ": status fields", {"conditions", "message", "observedGeneration",
                                         "conflicts"} <= set(st["properties"])
              and {"type", "status", "reason", "message", "lastTransitionTime",
                   "observedGeneration"} <= set(cond["properties"]))


# ---------------------------------------------------------------- offline acceptance

def strict(schema):
    """The CRD schema as a JSON schema that, like the API server with strict field
    validation, refuses unknown fields (CEL rules are not evaluated here)."""
    s = copy.deepcopy(schema)

    def walk(n):
        if not isinstance(n, dict):
            return
        if "properties" in n and "additionalProperties" not in n:
            n["additionalProperties"] = False
        for v in n.get("properties", {}).values():
            walk(v)
        if isinstance(n.get("additionalProperties"), dict):
            walk(n["additionalProperties"])
        if isinstance(n.get("items"), dict):
            walk(n["items"])
    walk(s)
    s["properties"]["metadata"] = {"type": "object"}
    return s


def validators():
    import jsonschema
    out = {}
    for c in crds().values():
        s = c["spec"]
        schema = strict(s["versions"][0]["schema"]["openAPIV3Schema"])
        out[(s["group"] + "/v1", s["names"]["kind"])] = jsonschema.Draft4Validator(schema)
    return out


def offline_errors(vals, doc):
    v = vals.get((doc.get("apiVersion"), doc.get("kind")))
    if v is None:
        if str(doc.get("apiVersion", "")).split("/")[0] in ("kscmp.io", "security.kubearmor.com"):
            return ["no kind %s in %s" % (doc.get("kind"), doc.get("apiVersion"))]
        return None
    return [e.message for e in v.iter_errors(doc)]


def header(path, key):
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#\s*" + key + r":\s*(.*\S)", line)
            if m:
                return m.group(1)
    return None


def check_offline_acceptance():
    try:
        vals = validators()
    except ImportError:
        skip("offline schema validation", "python3 jsonschema is not installed")
        return
    for path in sorted(glob.glob(os.path.join(PKG, "valid", "*.yaml"))):
        for d in load_all(path):
            errs = offline_errors(vals, d)
            if errs is None:
                continue
            check("offline accepts %s %s" % (rel(path), d["metadata"]["name"]), not errs,
                  "; ".join(errs[:3]))
    for path in sorted(glob.glob(os.path.join(PKG, "invalid", "*.yaml"))):
        docs = load_all(path)
        check("invalid/ holds one object and says why: " + rel(path),
              len(docs) == 1 and header(path, "expect") is not None)
        errs = offline_errors(vals, docs[0]) if docs else None
        if (header(path, "checked-by") or "").startswith("cel"):
            # Only a CEL rule refuses it, which only the API server evaluates
            # (check-server.sh); everything else about it must be fine.
            check("offline accepts (CEL refuses it) " + rel(path), not errs,
                  "; ".join((errs or [])[:3]))
        else:
            check("offline rejects " + rel(path), bool(errs), "accepted")
    if not os.path.isdir(VECTORS):
        skip("the conformance vectors' policies", VECTORS + " is missing (a clone without them)")
        return
    for path in sorted(glob.glob(os.path.join(VECTORS, "*", "policies.yaml"))):
        case = os.path.basename(os.path.dirname(path))
        errs = []
        for d in load_all(path):
            e = offline_errors(vals, d)
            errs += e or []
        if case in SCHEMA_INVALID_VECTORS:
            check("offline rejects vector " + case, bool(errs), "accepted")
        else:
            check("offline accepts vector " + case, not errs, "; ".join(errs[:3]))


# ---------------------------------------------------------------- deploy/

AGENT_RULES = {
    ("kscmp.io", "seccomppolicies", "get"), ("kscmp.io", "seccomppolicies", "list"),
    ("kscmp.io", "seccomppolicies", "watch"), ("kscmp.io", "clusterseccomppolicies", "get"),
    ("kscmp.io", "clusterseccomppolicies", "list"), ("kscmp.io", "clusterseccomppolicies", "watch"),
    ("kscmp.io", "seccomppolicies/status", "patch"),
    ("kscmp.io", "clusterseccomppolicies/status", "patch"),
    ("security.kubearmor.com", "kubearmorseccomppolicies", "get"),
    ("security.kubearmor.com", "kubearmorseccomppolicies", "list"),
    ("security.kubearmor.com", "kubearmorseccomppolicies", "watch"),
    ("security.kubearmor.com", "kubearmorseccomppolicies/status", "patch"),
    ("", "namespaces", "get"), ("", "namespaces", "list"), ("", "namespaces", "watch"),
    ("", "pods", "get"), ("", "pods", "list"), ("", "pods", "watch"),
    ("", "events", "list"), ("", "events", "create"), ("", "events", "patch"),
    # the taint kscmp.io/agent-not-ready on its own Node (narrowed by the node policy)
    ("", "nodes", "get"), ("", "nodes", "patch"),
    # a standby asks for its own rights (kube/access_review.c): not only through
    # system:basic-user, which a cluster may have taken away
    ("authorization.k8s.io", "selfsubjectaccessreviews", "create"),
}


def rule_set(rules):
    out = set()
    for r in rules:
        check_keys = set(r) - {"apiGroups", "resources", "verbs"}
        if check_keys:
            out.add(("?", "?", "extra keys " + ",".join(sorted(check_keys))))
        for g in r["apiGroups"]:
            for res in r["resources"]:
                for v in r["verbs"]:
                    out.add((g, res, v))
    return out


def objects(paths):
    out = []
    for p in paths:
        out += load_all(p)
    return out


def by_kind(objs, kind):
    return [o for o in objs if o.get("kind") == kind]


def check_agent_objects(label, objs, ns, kubelet_root, image=None):
    """What contract section 8 asks of the installed objects, for deploy/ and the chart."""
    cr = by_kind(objs, "ClusterRole")
    check(label + ": one ClusterRole", len(cr) == 1)
    if cr:
        got = rule_set(cr[0]["rules"])
        check(label + ": ClusterRole rules are exactly the agent's", got == AGENT_RULES,
              "extra %s missing %s" % (sorted(got - AGENT_RULES), sorted(AGENT_RULES - got)))
    sa = by_kind(objs, "ServiceAccount")
    crb = by_kind(objs, "ClusterRoleBinding")
    check(label + ": ClusterRoleBinding binds the ClusterRole to the ServiceAccount",
          len(crb) == 1 and len(sa) == 1 and cr and crb[0]["roleRef"]["name"] ==
          cr[0]["metadata"]["name"] and crb[0]["subjects"] == [
              {"kind": "ServiceAccount", "name": sa[0]["metadata"]["name"], "namespace": ns}])
    ds = by_kind(objs, "DaemonSet")
    if not check(label + ": one DaemonSet", len(ds) == 1):
        return
    ds = ds[0]
    pod = ds["spec"]["template"]["spec"]
    c = pod["containers"]
    check(label + ": one container", len(c) == 1 and not pod.get("initContainers"))
    c = c[0]
    sel = ds["spec"]["selector"]["matchLabels"]
    tl = ds["spec"]["template"]["metadata"]["labels"]
    check(label + ": selector matches the pod template",
          all(tl.get(k) == v for k, v in sel.items()))
    check(label + ": service account", pod.get("serviceAccountName") == sa[0]["metadata"]["name"]
          if sa else False)
    seccomp_dir = kubelet_root.rstrip("/") + "/seccomp"
    vols = pod.get("volumes", [])
    check(label + ": the one volume is hostPath " + seccomp_dir + " DirectoryOrCreate",
          len(vols) == 1 and vols[0].get("hostPath") == {"path": seccomp_dir,
                                                         "type": "DirectoryOrCreate"},
          json.dumps(vols))
    check(label + ": mounted at the same path", c.get("volumeMounts") == [
        {"name": vols[0]["name"] if vols else "", "mountPath": seccomp_dir}],
        json.dumps(c.get("volumeMounts")))
    check(label + ": args agent --kubelet-root=" + kubelet_root,
          c.get("args", [])[:2] == ["agent", "--kubelet-root=" + kubelet_root.rstrip("/")],
          str(c.get("args")))
    env = {e["name"]: e for e in c.get("env", [])}
    check(label + ": NODE_NAME from spec.nodeName",
          env.get("NODE_NAME", {}).get("valueFrom") == {"fieldRef": {"fieldPath": "spec.nodeName"}})
    sc = c.get("securityContext", {})
    psc = pod.get("securityContext", {})
    check(label + ": root, no privilege escalation, read-only root, not privileged",
          sc.get("runAsUser") == 0 and sc.get("allowPrivilegeEscalation") is False
          and sc.get("readOnlyRootFilesystem") is True and sc.get("privileged") is False,
          json.dumps(sc))
    check(label + ": every capability dropped, none added",
          sc.get("capabilities") == {"drop": ["ALL"]}, json.dumps(sc.get("capabilities")))
    check(label + ": RuntimeDefault seccomp for the agent",
          sc.get("seccompProfile", psc.get("seccompProfile")) == {"type": "RuntimeDefault"})
    check(label + ": no host namespaces", not any(pod.get(k) for k in
                                                 ("hostNetwork", "hostPID", "hostIPC")))
    ports = c.get("ports", [])
    check(label + ": container port 9750 named metrics",
          ports == [{"name": "metrics", "containerPort": 9750, "protocol": "TCP"}], str(ports))
    lp, rp = c.get("livenessProbe", {}), c.get("readinessProbe", {})
    check(label + ": liveness /healthz, readiness /readyz",
          lp.get("httpGet") == {"path": "/healthz", "port": "metrics"}
          and rp.get("httpGet") == {"path": "/readyz", "port": "metrics"})
    res = c.get("resources", {})
    check(label + ": requests and limits", {"cpu", "memory"} <= set(res.get("requests", {}))
          and "memory" in res.get("limits", {}), json.dumps(res))
    check(label + ": tolerates every taint", {"operator": "Exists"} in pod.get("tolerations", []))
    check(label + ": system-node-critical", pod.get("priorityClassName") == "system-node-critical")
    us = ds["spec"].get("updateStrategy", {})
    check(label + ": RollingUpdate with maxUnavailable", us.get("type") == "RollingUpdate"
          and "maxUnavailable" in us.get("rollingUpdate", {}))
    if image:
        check(label + ": image " + image, c.get("image") == image, c.get("image"))
    svc = by_kind(objs, "Service")
    check(label + ": metrics Service port 9750 named metrics, selecting the agents",
          len(svc) == 1 and svc[0]["spec"]["ports"][0]["port"] == 9750
          and svc[0]["spec"]["ports"][0]["name"] == "metrics"
          and all(tl.get(k) == v for k, v in svc[0]["spec"]["selector"].items()))
    for o in objs:
        if o["kind"] in ("Namespace", "ClusterRole", "ClusterRoleBinding",
                         "CustomResourceDefinition", "ValidatingAdmissionPolicy",
                         "ValidatingAdmissionPolicyBinding"):
            continue
        check(label + ": %s/%s in namespace %s" % (o["kind"], o["metadata"]["name"], ns),
              o["metadata"].get("namespace") == ns, str(o["metadata"].get("namespace")))


def check_deploy():
    paths = sorted(glob.glob(os.path.join(ROOT, "deploy", "*.yaml")))
    names = [os.path.basename(p) for p in paths]
    check("deploy/: CRDs first, then the Namespace (kubectl applies files in name order)",
          names[:2] == ["00-crds.yaml", "01-namespace.yaml"], str(names))
    objs = objects(paths)
    ns = by_kind(objs, "Namespace")
    check("deploy/: Namespace kscmp-system, Pod Security privileged", len(ns) == 1 and
          ns[0]["metadata"]["name"] == "kscmp-system" and ns[0]["metadata"]["labels"].get(
              "pod-security.kubernetes.io/enforce") == "privileged")
    check("deploy/: the three CRDs", sorted(o["metadata"]["name"] for o in
                                            by_kind(objs, "CustomResourceDefinition"))
          == sorted(EXPECT_CRDS))
    with open(os.path.join(ROOT, "charts", "kscmp", "Chart.yaml"), encoding="utf-8") as f:
        app = yaml.safe_load(f)["appVersion"]
    check_agent_objects("deploy/", objs, "kscmp-system", "/var/lib/kubelet",
                        image="ghcr.io/kscmp/kscmp:" + app)


# ---------------------------------------------------------------- the chart

def check_chart_files():
    d = os.path.join(ROOT, "charts", "kscmp")
    with open(os.path.join(d, "Chart.yaml"), encoding="utf-8") as f:
        chart = yaml.safe_load(f)
    check("chart: Chart.yaml apiVersion v2, name kscmp, semver version",
          chart.get("apiVersion") == "v2" and chart.get("name") == "kscmp"
          and re.match(r"^\d+\.\d+\.\d+", str(chart.get("version", ""))))
    for f in ("values.yaml", "values.schema.json", "README.md", "templates/NOTES.txt",
              "templates/_helpers.tpl", "templates/crds.yaml", "templates/daemonset.yaml",
              "templates/rbac.yaml", "templates/serviceaccount.yaml", "templates/service.yaml",
              "templates/servicemonitor.yaml", "templates/node-policy.yaml",
              "templates/pod-policy.yaml"):
        check("chart: has " + f, os.path.isfile(os.path.join(d, f)))
    try:
        import jsonschema
    except ImportError:
        skip("chart values schema", "python3 jsonschema is not installed")
        return
    with open(os.path.join(d, "values.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    with open(os.path.join(d, "values.yaml"), encoding="utf-8") as f:
        values = yaml.safe_load(f)
    try:
        jsonschema.Draft7Validator.check_schema(schema)
        check("chart: values.schema.json is a draft-07 schema", True)
    except jsonschema.SchemaError as e:
        check("chart: values.schema.json is a draft-07 schema", False, e.message)
        return
    v = jsonschema.Draft7Validator(schema)
    errs = [e.message for e in v.iter_errors(values)]
    check("chart: values.yaml satisfies values.schema.json", not errs, "; ".join(errs[:3]))
    bad = {
        "a misspelt key": {"kubeletroot": "/var/lib/kubelet"},
        "a relative kubeletRoot": {"kubeletRoot": "var/lib/kubelet"},
        "kubeletRoot with ..": {"kubeletRoot": "/var/lib/../etc"},
        "kubeletRoot /": {"kubeletRoot": "/"},
        "logFormat xml": {"logFormat": "xml"},
        "startupSyscalls off": {"startupSyscalls": "off"},
        "a port out of range": {"metrics": {"port": 70000}},
        "pullPolicy sometimes": {"image": {"repository": "x", "pullPolicy": "Sometimes"}},
        "a CAP_ prefixed capability": {"extraCapabilities": ["CAP_DAC_OVERRIDE"]},
        # Kubernetes refuses a DaemonSet whose maxUnavailable and maxSurge are both 0
        # (maxSurge defaults to 0).
        "maxSurge 0 and maxUnavailable 0": {"updateStrategy": {
            "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}},
        "maxSurge 0% and maxUnavailable 0%": {"updateStrategy": {
            "type": "RollingUpdate", "rollingUpdate": {"maxSurge": "0%", "maxUnavailable": "0%"}}},
        "maxUnavailable 0 alone": {"updateStrategy": {
            "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}}},
        "maxSurge one": {"updateStrategy": {
            "type": "RollingUpdate", "rollingUpdate": {"maxSurge": "one"}}},
    }
    for what, over in bad.items():
        vals = copy.deepcopy(values)
        vals.update(over)
        check("chart: values schema refuses " + what, bool(list(v.iter_errors(vals))))
    good = {
        "k0s": {"kubeletRoot": "/var/lib/k0s/kubelet"},
        "microk8s": {"kubeletRoot": "/var/snap/microk8s/common/var/lib/kubelet"},
        "a trailing slash": {"kubeletRoot": "/var/lib/kubelet/"},
        "DAC_OVERRIDE": {"extraCapabilities": ["DAC_OVERRIDE"]},
        "maxUnavailable 1": {"updateStrategy": {"type": "RollingUpdate",
                                                "rollingUpdate": {"maxUnavailable": 1}}},
        # A surge: the new agent stands by until the old one exits (docs/agent.md).
        "maxSurge 1 and maxUnavailable 0": {"updateStrategy": {
            "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}},
        "maxSurge 10% with maxUnavailable 10%": {"updateStrategy": {
            "type": "RollingUpdate", "rollingUpdate": {"maxSurge": "10%",
                                                       "maxUnavailable": "10%"}}},
    }
    for what, over in good.items():
        vals = copy.deepcopy(values)
        vals.update(over)
        errs = [e.message for e in v.iter_errors(vals)]
        check("chart: values schema accepts " + what, not errs, "; ".join(errs[:3]))


def find_helm():
    tools = os.path.join(ROOT, "tests", "e2e", "tools.sh")
    if os.path.exists(tools):
        r = subprocess.run(["bash", tools, "check"], capture_output=True, text=True)
        if r.returncode == 0:
            r = subprocess.run(["bash", tools, "env"], capture_output=True, text=True)
            m = re.search(r"KSCMP_E2E_BIN='([^']*)'", r.stdout)
            if m and os.access(os.path.join(m.group(1), "helm"), os.X_OK):
                return os.path.join(m.group(1), "helm")
    for d in os.environ.get("PATH", "").split(os.pathsep):
        h = os.path.join(d, "helm")
        if os.access(h, os.X_OK):
            return h
    return None


def helm_template(helm, *args):
    r = subprocess.run([helm, "template", "kscmp", os.path.join(ROOT, "charts", "kscmp"),
                        "--namespace", "kscmp-system", *args], capture_output=True, text=True,
                       env=dict(os.environ, HELM_CONFIG_HOME="/nonexistent-kscmp",
                                HELM_CACHE_HOME="/nonexistent-kscmp",
                                HELM_DATA_HOME="/nonexistent-kscmp"))
    return r.returncode, r.stdout, r.stderr


def check_chart_render():
    helm = find_helm()
    if not helm:
        skip("chart rendering", "helm is not built (tests/e2e/tools.sh builds it; "
             "check-server.sh runs it)")
        return
    rc, out, err = helm_template(helm)
    if not check("chart: helm template with default values", rc == 0, err.strip()[-300:]):
        return
    objs = [d for d in yaml.load_all(out, Loader=UniqueKeyLoader) if d]
    deploy = objects(sorted(glob.glob(os.path.join(ROOT, "deploy", "*.yaml"))))
    check_agent_objects("chart", objs, "kscmp-system", "/var/lib/kubelet")
    want = {(o["kind"], o["metadata"]["name"]) for o in deploy if o["kind"] != "Namespace"}
    got = {(o["kind"], o["metadata"]["name"]) for o in objs}
    check("chart: renders the objects deploy/ has, with the same names (release kscmp)",
          want == got, "deploy/ only %s, chart only %s" % (sorted(want - got), sorted(got - want)))
    dep_crds = {o["metadata"]["name"]: o for o in by_kind(deploy, "CustomResourceDefinition")}
    for o in by_kind(objs, "CustomResourceDefinition"):
        n = o["metadata"]["name"]
        check("chart: CRD %s has the same spec as crd/" % n, dep_crds.get(n, {}).get("spec")
              == o["spec"])
        check("chart: CRD %s kept on uninstall" % n, o["metadata"].get("annotations", {})
              .get("helm.sh/resource-policy") == "keep")
    check("chart: DaemonSet selector as in deploy/ (immutable: lets either take over)",
          by_kind(deploy, "DaemonSet")[0]["spec"]["selector"]
          == by_kind(objs, "DaemonSet")[0]["spec"]["selector"])
    check("chart: Service selector as in deploy/",
          by_kind(deploy, "Service")[0]["spec"]["selector"]
          == by_kind(objs, "Service")[0]["spec"]["selector"])
    dsd = by_kind(deploy, "DaemonSet")[0]["spec"]["template"]["spec"]
    dsc = by_kind(objs, "DaemonSet")[0]["spec"]["template"]["spec"]
    for k in ("securityContext", "tolerations", "nodeSelector", "priorityClassName", "volumes"):
        check("chart: pod %s as in deploy/" % k, dsd.get(k) == dsc.get(k))
    for k in ("securityContext", "env", "ports", "livenessProbe", "readinessProbe", "resources",
              "volumeMounts", "args", "image"):
        check("chart: container %s as in deploy/" % k,
              dsd["containers"][0].get(k) == dsc["containers"][0].get(k))

    for kind in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"):
        dep = {o["metadata"]["name"]: o["spec"] for o in by_kind(deploy, kind)}
        for o in by_kind(objs, kind):
            n = o["metadata"]["name"]
            check("chart: %s %s has the same spec as deploy/" % (kind, n), dep.get(n) == o["spec"])
    rc, out, err = helm_template(helm, "--set", "podAdmission.enabled=false")
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in yaml.safe_load_all(out)
                   if o and o["kind"].startswith("ValidatingAdmissionPolicy"))
    check("chart: podAdmission.enabled=false leaves out only the pod admission policy",
          rc == 0 and kinds == [("ValidatingAdmissionPolicy", "kscmp-agent-node-taint"),
                                ("ValidatingAdmissionPolicyBinding", "kscmp-agent-node-taint")],
          str(kinds) + err[-300:])
    # Binding the agent's rights yourself (rbac.create=false) keeps the Node narrowing: it is
    # an admission policy on the agent's account, not a part of its RBAC.
    rc, out, err = helm_template(helm, "--set", "rbac.create=false")
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in yaml.safe_load_all(out)
                   if o and (o["kind"].startswith("ValidatingAdmissionPolicy") or
                             o["kind"].startswith("ClusterRole")))
    check("chart: rbac.create=false leaves out the ClusterRole and its binding, keeps the "
          "admission policies (the Node taint's narrowing)",
          rc == 0 and [k for k, _ in kinds].count("ClusterRole") == 0 and
          [k for k, _ in kinds].count("ClusterRoleBinding") == 0 and
          ("ValidatingAdmissionPolicy", "kscmp-agent-node-taint") in kinds and
          ("ValidatingAdmissionPolicyBinding", "kscmp-agent-node-taint") in kinds,
          str(kinds) + err[-300:])
    rc, out, err = helm_template(helm, "--set", "kubeletRoot=/var/lib/k0s/kubelet")
    if check("chart: helm template with kubeletRoot=/var/lib/k0s/kubelet", rc == 0, err[-300:]):
        objs = [d for d in yaml.safe_load_all(out) if d]
        check_agent_objects("chart k0s", objs, "kscmp-system", "/var/lib/k0s/kubelet")
    rc, out, err = helm_template(helm, "--set", "crds.kubearmorCompat=false")
    names = sorted(o["metadata"]["name"] for o in yaml.safe_load_all(out)
                   if o and o["kind"] == "CustomResourceDefinition")
    check("chart: crds.kubearmorCompat=false leaves out only the compatibility CRD", rc == 0 and
          names == ["clusterseccomppolicies.kscmp.io", "seccomppolicies.kscmp.io"], str(names))
    objs = [o for o in yaml.safe_load_all(out) if o]
    args = [a for o in objs if o["kind"] == "DaemonSet"
            for c in o["spec"]["template"]["spec"]["containers"] for a in c.get("args", [])]
    ka_rules = [r for o in objs if o["kind"] == "ClusterRole" for r in o.get("rules", [])
                if "security.kubearmor.com" in r.get("apiGroups", [])]
    check("chart: crds.kubearmorCompat=false: the agent does not read those objects "
          "(--kubearmor-policies=off) and has no right to", "--kubearmor-policies=off" in args
          and not ka_rules, f"{args} {ka_rules}")
    rc, out, err = helm_template(helm, "--set", "crds.install=false")
    check("chart: crds.install=false renders no CRD", rc == 0 and not any(
        o and o["kind"] == "CustomResourceDefinition" for o in yaml.safe_load_all(out)))
    rc, out, err = helm_template(helm, "--set", "crds.keep=false")
    check("chart: crds.keep=false drops the keep annotation", rc == 0 and not any(
        o and o["kind"] == "CustomResourceDefinition" and "helm.sh/resource-policy" in
        (o["metadata"].get("annotations") or {}) for o in yaml.safe_load_all(out)))
    rc, out, err = helm_template(helm, "--set", "metrics.serviceMonitor.enabled=true",
                                 "--set", "metrics.serviceMonitor.labels.release=prom")
    sm = [o for o in yaml.safe_load_all(out) if o and o["kind"] == "ServiceMonitor"]
    svc = [o for o in yaml.safe_load_all(out) if o and o["kind"] == "Service"]
    check("chart: ServiceMonitor selects the metrics Service", rc == 0 and len(sm) == 1
          and sm[0]["apiVersion"] == "monitoring.coreos.com/v1"
          and sm[0]["metadata"]["labels"].get("release") == "prom"
          and all(svc[0]["metadata"]["labels"].get(k) == v
                  for k, v in sm[0]["spec"]["selector"]["matchLabels"].items())
          and sm[0]["spec"]["endpoints"][0]["port"] == "metrics", err[-300:])
    rc, out, err = helm_template(helm)
    check("chart: no ServiceMonitor by default", rc == 0 and "ServiceMonitor" not in out)
    rc, out, err = helm_template(helm, "--set", "metrics.serviceMonitor.enabled=true",
                                 "--set", "metrics.service.enabled=false")
    check("chart: ServiceMonitor without the Service is refused", rc != 0)
    rc, out, err = helm_template(helm, "--set", "logFormat=json", "--set", "metrics.port=9800",
                                 "--set", "extraArgs={--node-name=x}",
                                 "--set", "extraCapabilities={DAC_OVERRIDE}",
                                 "--set", "seLinuxOptions.type=spc_t")
    ok = rc == 0
    if ok:
        ds = [o for o in yaml.safe_load_all(out) if o and o["kind"] == "DaemonSet"][0]
        c = ds["spec"]["template"]["spec"]["containers"][0]
        ok = (c["args"] == ["agent", "--kubelet-root=/var/lib/kubelet", "--metrics-addr=:9800",
                            "--log-format=json", "--node-name=x"]
              and c["ports"][0]["containerPort"] == 9800
              and c["securityContext"]["capabilities"] == {"drop": ["ALL"],
                                                           "add": ["DAC_OVERRIDE"]}
              and c["securityContext"]["seLinuxOptions"] == {"type": "spc_t"})
    check("chart: logFormat, metrics.port, extraArgs, extraCapabilities, seLinuxOptions", ok,
          err[-300:])
    for value, want in (("none", ["--startup-syscalls=none"]), ("auto", [])):
        rc, out, err = helm_template(helm, "--set", "startupSyscalls=" + value)
        ok = rc == 0
        if ok:
            ds = [o for o in yaml.safe_load_all(out) if o and o["kind"] == "DaemonSet"][0]
            args = ds["spec"]["template"]["spec"]["containers"][0]["args"]
            ok = [x for x in args if x.startswith("--startup-syscalls")] == want
        check(f"chart: startupSyscalls={value} gives the agent {want or 'no flag (auto)'}", ok,
              err[-300:])
    # helm's --set 'extraArgs={}' is a list of one empty string (trial-live49b): no argument.
    rc, out, err = helm_template(helm, "--set", "extraArgs={}")
    ok = rc == 0
    if ok:
        ds = [o for o in yaml.safe_load_all(out) if o and o["kind"] == "DaemonSet"][0]
        ok = ds["spec"]["template"]["spec"]["containers"][0]["args"] == [
            "agent", "--kubelet-root=/var/lib/kubelet"]
    check("chart: --set 'extraArgs={}' clears the extra arguments", ok, err[-300:] + out[-300:])
    rc, out, err = helm_template(helm, "--set", "extraArgs={-v}")
    check("chart: an extraArgs item that is not a flag is refused", rc != 0)
    rc, out, err = helm_template(helm, "--set", "kubeletroot=/x")
    check("chart: helm refuses a misspelt value (values.schema.json)", rc != 0)
    # A surge rollout (trial-live48 1b): the new agent stands by until the old one exits.
    rc, out, err = helm_template(helm, "--set", "updateStrategy.rollingUpdate.maxSurge=1",
                                 "--set", "updateStrategy.rollingUpdate.maxUnavailable=0")
    ok = rc == 0
    if ok:
        ds = [o for o in yaml.safe_load_all(out) if o and o["kind"] == "DaemonSet"][0]
        ok = ds["spec"]["updateStrategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    check("chart: updateStrategy maxSurge 1, maxUnavailable 0 renders", ok, err[-300:])
    rc, out, err = helm_template(helm, "--set", "updateStrategy.rollingUpdate.maxUnavailable=0")
    check("chart: helm refuses maxUnavailable 0 without maxSurge (both 0)", rc != 0, out[-200:])
    check_chart_recording(helm)


RECORDING_RULES = {("kscmp.io", "seccomprecordings", v) for v in ("get", "list", "watch")} | {
    ("kscmp.io", "seccomprecordings/status", "patch")}


def check_chart_recording(helm):
    """recording.enabled=true grants the recorder what it needs and nothing more (the default
    render, checked by check_agent_objects, has none of it): the SeccompRecording CRD, read and
    status-patch rights on recordings, CAP_BPF and CAP_PERFMON, the node's bpffs and its
    cgroupfs read-only, and the agent's recording flags; deploy/recording/ grants the same."""
    rc, out, err = helm_template(helm, "--set", "recording.enabled=true")
    if not check("chart: helm template with recording.enabled=true", rc == 0, err[-300:]):
        return
    objs = [d for d in yaml.safe_load_all(out) if d]
    crds = {o["metadata"]["name"] for o in by_kind(objs, "CustomResourceDefinition")}
    check("chart recording: the SeccompRecording CRD is installed", RECORDING_CRD in crds,
          str(sorted(crds)))
    cr = by_kind(objs, "ClusterRole")
    got = rule_set(cr[0]["rules"]) if len(cr) == 1 else set()
    check("chart recording: the ClusterRole gains exactly read and status patch of recordings",
          got == AGENT_RULES | RECORDING_RULES,
          "extra %s missing %s" % (sorted(got - AGENT_RULES - RECORDING_RULES),
                                   sorted((AGENT_RULES | RECORDING_RULES) - got)))
    dep = [o for o in objects(sorted(glob.glob(os.path.join(ROOT, "deploy", "recording",
                                                              "*.yaml"))))
           if o.get("kind") == "ClusterRole"]
    check("chart recording: deploy/recording/ grants the same rights",
          len(dep) == 1 and rule_set(dep[0]["rules"]) == RECORDING_RULES,
          str([rule_set(d["rules"]) for d in dep]))
    pod = by_kind(objs, "DaemonSet")[0]["spec"]["template"]["spec"]
    c = pod["containers"][0]
    check("chart recording: capabilities: all dropped, CAP_BPF and CAP_PERFMON added, nothing "
          "else", c["securityContext"].get("capabilities") == {"drop": ["ALL"],
                                                               "add": ["BPF", "PERFMON"]},
          json.dumps(c["securityContext"].get("capabilities")))
    check("chart recording: still no privilege escalation, read-only root, not privileged, "
          "RuntimeDefault", c["securityContext"].get("allowPrivilegeEscalation") is False and
          c["securityContext"].get("readOnlyRootFilesystem") is True and
          c["securityContext"].get("privileged") is False and
          c["securityContext"].get("seccompProfile") == {"type": "RuntimeDefault"},
          json.dumps(c["securityContext"]))
    vols = {v["name"]: v.get("hostPath") for v in pod.get("volumes", [])}
    mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
    check("chart recording: host paths are the seccomp folder, the bpffs and the cgroupfs",
          sorted(h["path"] for h in vols.values()) ==
          ["/sys/fs/bpf", "/sys/fs/cgroup", "/var/lib/kubelet/seccomp"], json.dumps(vols))
    cg = [m for n, m in mounts.items() if (vols.get(n) or {}).get("path") == "/sys/fs/cgroup"]
    check("chart recording: the cgroupfs is mounted read-only",
          len(cg) == 1 and cg[0].get("readOnly") is True, json.dumps(cg))
    check("chart recording: the agent runs with --recording",
          "--recording" in c.get("args", []), str(c.get("args")))


# ---------------------------------------------------------------- scripts

def check_scripts():
    r = subprocess.run(["bash", os.path.join(PKG, "sync-crds.sh"), "--check"],
                       capture_output=True, text=True)
    check("crd/ matches crd/generate.py; deploy/00-crds.yaml and charts/kscmp/files/crds/ "
          "match crd/", r.returncode == 0, r.stderr.strip())
    scripts = sorted(glob.glob(os.path.join(PKG, "*.sh")))
    for sh in scripts:
        r = subprocess.run(["bash", "-n", sh], capture_output=True, text=True)
        check("bash -n " + rel(sh), r.returncode == 0, r.stderr.strip())
    if any(os.access(os.path.join(d, "shellcheck"), os.X_OK)
           for d in os.environ.get("PATH", "").split(os.pathsep)):
        r = subprocess.run(["shellcheck", *scripts], capture_output=True, text=True)
        check("shellcheck tests/packaging/*.sh", r.returncode == 0, r.stdout.strip()[-500:])
    else:
        skip("shellcheck tests/packaging/*.sh", "shellcheck is not installed")


def main():
    check_yaml_parses()
    check_scripts()
    check_crds()
    check_offline_acceptance()
    check_deploy()
    check_chart_files()
    check_chart_render()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
