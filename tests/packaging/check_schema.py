#!/usr/bin/env python3
"""One schema, two judges: every policy case goes to a real API server (server-side dry run,
strict field validation, the CRDs of crd/) and to `kscmp validate`, and both must give the
same verdict. Run by suite-schema.sh, which provides the API server's binaries.

The cases:
  files      tests/packaging/valid/ and invalid/, examples/, and every conformance vector's
             policies (../shared/vectors, or $KSCMP_VECTORS; skipped, and said, when absent)
  unit       the decoder's malformed-policy unit cases (tests/unit/engine/test_decode.c)
  bounds     generated from crd/generate.py, the one schema: for every bound a policy at the
             limit and one over it, every spelling, near-misses, wrong types, nulls, unknown
             fields, and YAML scalars that kubectl reads differently from YAML 1.2

Each policy object is sent as the YAML text it was written in (Content-Type
application/yaml: the API server reads it as kubectl does); `kscmp validate -f` reads the
same file. Verdicts are per object: kscmp's is its "valid/conflict/invalid KIND NAME" line
(a file-level error refuses every object of the file).

A difference is allowed only where the repository says the agent decides and the API server
cannot (EXCEPTIONS below, each with its reason): then kscmp must refuse for that reason, and
the API server must accept.

Prints one line per case and `N passed, N failed` last; exits 1 on any failure.
Usage: check_schema.py KSCMP [CASE-SUBSTRING]   (with a cluster.sh env in the environment)
"""
import glob
import http.client
import importlib.util
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import urllib.parse

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKG = os.path.join(ROOT, "tests", "packaging")
VECTORS = os.environ.get("KSCMP_VECTORS") or os.path.join(os.path.dirname(ROOT), "shared",
                                                          "vectors")

# Where the agent decides and the API server cannot: (name, pattern in kscmp's message,
# reason). A case that kscmp refuses and the API server accepts passes only with one of these.
EXCEPTIONS = [
    ("unknown syscall", r"spec\.(seccomp|rules\[\d+\])\.syscalls\[\d+\]: unknown syscall",
     "syscall names are libseccomp's, per architecture; the API server has no such table"),
    ("missing parent", r"spec\.extends: parent \"[^\"]*\" not found",
     "a parent is another object; the schema sees one object at a time"),
    ("cycle", r"spec\.extends: cycle: ",
     "a cycle runs through several objects; the schema sees one at a time"),
    ("chain too deep", r"spec\.extends: the extends chain is longer than 32 policies",
     "the length of an extends chain is a property of several objects"),
    ("conditions after groups",
     r"more than the \d+ a policy may (have|give one syscall) .*after groups are expanded",
     "counting the syscalls of a group needs the group tables, which the schema does not hold"),
    ("invalid parent", r"spec\.extends: parent .* is invalid",
     "whether a parent is valid is a property of another object"),
]

sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from report import Report  # noqa: E402

R = Report()
report, skip = R.check, R.skip


def load_generate():
    spec = importlib.util.spec_from_file_location("kscmp_generate",
                                                  os.path.join(ROOT, "crd", "generate.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


G = load_generate()

# ---------------------------------------------------------------------------- the API server

KINDS = {
    ("kscmp.io/v1", "SeccompPolicy"): ("/apis/kscmp.io/v1", "seccomppolicies", True),
    ("kscmp.io/v1", "ClusterSeccompPolicy"): ("/apis/kscmp.io/v1", "clusterseccomppolicies",
                                              False),
    ("security.kubearmor.com/v1", "KubeArmorSeccompPolicy"):
        ("/apis/security.kubearmor.com/v1", "kubearmorseccomppolicies", True),
}
POLICY_KINDS = {"SeccompPolicy", "ClusterSeccompPolicy", "KubeArmorSeccompPolicy"}


class Api:
    def __init__(self):
        d = os.environ["KSCMP_E2E_DIR"]
        url = urllib.parse.urlparse(os.environ["KSCMP_E2E_SERVER"])
        self.host, self.port = url.hostname, url.port
        self.ctx = ssl.create_default_context(cafile=os.path.join(d, "pki", "ca.crt"))
        self.ctx.load_cert_chain(os.path.join(d, "pki", "admin.crt"),
                                 os.path.join(d, "pki", "admin.key"))
        self.conn = None

    def request(self, method, path, body=None, ctype="application/json"):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPSConnection(self.host, self.port,
                                                            context=self.ctx, timeout=60)
                headers = {"Accept": "application/json"}
                if body is not None:
                    headers["Content-Type"] = ctype
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read().decode(errors="replace")
                return r.status, data
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 2:
                    raise
        return 0, ""

    def ensure_namespace(self, ns):
        st, _ = self.request("GET", "/api/v1/namespaces/" + ns)
        if st == 404:
            body = json.dumps({"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {"name": ns}})
            st, data = self.request("POST", "/api/v1/namespaces", body)
            if st not in (200, 201, 409):
                raise RuntimeError("cannot create namespace %s: %s" % (ns, data[:300]))

    def dry_run(self, api_version, kind, namespace, text):
        """(accepted, message) for one object given as YAML text."""
        k = KINDS.get((api_version, kind))
        if k is None:
            return False, "no such kind on this API server: %s %s" % (api_version, kind)
        base, plural, namespaced = k
        if not isinstance(namespace, str):
            namespace = "default"  # the object's own (wrong) namespace field is in the text
        path = base + ("/namespaces/%s" % urllib.parse.quote(namespace or "default", safe="")
                       if namespaced else "") + "/" + plural
        path += "?dryRun=All&fieldValidation=Strict"
        st, data = self.request("POST", path, text.encode(), "application/yaml")
        if st in (200, 201):
            try:
                self.last = json.loads(data)
            except ValueError:
                self.last = None
            return True, ""
        try:
            msg = json.loads(data).get("message", data)
        except ValueError:
            msg = data
        return False, "HTTP %d: %s" % (st, msg)


# ---------------------------------------------------------------------------- kscmp

def kscmp_verdicts(kscmp, path):
    """{(kind, id): (accepted, message)} for the policies of a file, and the file's errors."""
    p = subprocess.run([kscmp, "validate", "-f", path], capture_output=True, text=True,
                       timeout=120)
    out = {}
    for line in p.stdout.splitlines():
        m = re.match(r"^(valid|conflict|invalid)\s+(\S+) (\S+?)(:.*)?$", line)
        if m:
            out[(m.group(2), m.group(3))] = m.group(1) != "invalid"
    errors = [ln for ln in p.stderr.splitlines() if ln.startswith("kscmp: error:")]
    return out, errors, p.returncode


# ---------------------------------------------------------------------------- cases

class Case:
    def __init__(self, name, text, agent_only=None, same_value=False):
        self.name = name
        self.text = text
        self.agent_only = agent_only  # an EXCEPTIONS name this case is about, if any
        # When both accept: the API server stores spec.rules[0].args[0].value as the number
        # kscmp compiles into the profile (YAML numbers read the same way by both).
        self.same_value = same_value


def documents(text):
    """(document text, parsed object) for every document of a YAML stream, as written."""
    out = []
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    for node in nodes:
        if node is None:
            continue
        piece = text[node.start_mark.index:node.end_mark.index]
        # A flow or block node's text; prefix the indentation it started at, for block nodes
        # that begin mid-line.
        try:
            obj = yaml.safe_load(piece)
        except yaml.YAMLError:
            obj = None
        out.append((piece, obj))
    return out


def file_cases():
    cases = []
    for d in ("valid", "invalid"):
        for path in sorted(glob.glob(os.path.join(PKG, d, "*.yaml"))):
            with open(path, encoding="utf-8") as f:
                cases.append(Case(os.path.relpath(path, ROOT), f.read()))
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.yaml"))):
        with open(path, encoding="utf-8") as f:
            cases.append(Case(os.path.relpath(path, ROOT), f.read()))
    if not os.path.isdir(VECTORS):
        skip("the conformance vectors' policies", VECTORS + " is missing")
        return cases
    for path in sorted(glob.glob(os.path.join(VECTORS, "*", "*.yaml"))):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if any(k in text for k in POLICY_KINDS) or "kscmp.io" in text:
            cases.append(Case("vector " + os.path.relpath(path, VECTORS), text))
    return cases


# The decoder's unit cases are C string literals in tests/unit/engine/test_decode.c.

def c_tokens(src):
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("/*", i):
            i = src.index("*/", i) + 2
        elif src.startswith("//", i):
            i = src.index("\n", i)
        elif c == '"':
            j, buf = i + 1, []
            while src[j] != '"':
                if src[j] == "\\":
                    e = src[j + 1]
                    buf.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\", "0": "\0"}.get(e, e))
                    j += 2
                else:
                    buf.append(src[j])
                    j += 1
            yield ("str", "".join(buf))
            i = j + 1
        elif c.isalnum() or c == "_":
            j = i
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            yield ("id", src[i:j])
            i = j
        elif c.isspace():
            i += 1
        else:
            yield ("p", c)
            i += 1


def unit_cases():
    path = os.path.join(ROOT, "tests", "unit", "engine", "test_decode.c")
    with open(path, encoding="utf-8") as f:
        src = f.read()
    macros = {}
    for m in re.finditer(r"#define (\w+)\s+((?:.*\\\n)*.*)", src):
        toks = [t for t in c_tokens(m.group(2).replace("\\\n", " ")) if t[0] == "str"]
        if toks:
            macros[m.group(1)] = "".join(t[1] for t in toks)
    start = src.index("bad_cases[] = {")
    body = src[start + len("bad_cases[] = {"):src.index("\n};", start)]
    cases, depth, fields, cur = [], 0, [], []
    for kind, val in c_tokens(body):
        if kind == "p" and val == "{":
            depth += 1
            if depth == 1:
                fields, cur = [], []
            continue
        if kind == "p" and val == "}":
            depth -= 1
            if depth == 0:
                fields.append(cur)
                if len(fields) >= 2:
                    name = "".join(v for k, v in fields[0] if k == "str")
                    text = "".join(macros.get(v, "") if k == "id" else v
                                   for k, v in fields[1] if k in ("str", "id"))
                    cases.append((name, text))
            continue
        if depth == 1 and kind == "p" and val == ",":
            fields.append(cur)
            cur = []
            continue
        if depth >= 1:
            cur.append((kind, val))
    out = []
    for name, text in cases:
        if re.search(r"kind: (SeccompPolicy|ClusterSeccompPolicy|KubeArmorSeccompPolicy)", text):
            out.append(Case("unit: " + name, text))
    return out, len(cases)


# Generated from the one schema.

HEAD = "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: %s, namespace: kscmp-schema}\nspec:\n"
CHEAD = "apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: %s}\nspec:\n"
KHEAD = ("apiVersion: security.kubearmor.com/v1\nkind: KubeArmorSeccompPolicy\n"
         "metadata: {name: %s, namespace: kscmp-schema}\nspec:\n")


def policy(name, body, head=HEAD):
    return head % name + body


def flow(items):
    return "[" + ", ".join(items) + "]"


def label(n, width=63, prefix=""):
    s = (prefix + "k%d" % n).ljust(width, "x") if width else prefix + "k%d" % n
    return s[:width] if width else s


def bound_cases():
    b = lambda name: G.BOUNDS[name][0]  # noqa: E731
    cases = []

    def add(name, body, head=HEAD, agent_only=None, same_value=False):
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-")
        cases.append(Case("bound: " + name, policy(slug, body, head), agent_only, same_value))

    sysnames = ["read", "write", "openat", "close", "mmap", "futex", "brk", "exit_group"]

    def names(n):
        return flow((sysnames * (n // len(sysnames) + 1))[:n])

    # list sizes, at the limit and over it
    for n in (b("MAX_SYSCALLS"), b("MAX_SYSCALLS") + 1):
        add("syscalls x%d" % n, "  seccomp: {syscalls: %s, action: Allow}\n" % names(n))
    for n in (b("MAX_GROUPS"), b("MAX_GROUPS") + 1):
        add("groups x%d" % n, "  seccomp: {groups: %s, action: Allow}\n" %
            flow(['"@basic-io"'] * n))
    for n in (b("MAX_RULES"), b("MAX_RULES") + 1):
        add("rules x%d" % n, "  rules:\n" + "  - {syscalls: [read], action: Allow}\n" * n)
    for n in (b("MAX_ARGS"), b("MAX_ARGS") + 1):
        args = flow(["{index: %d, value: 1, op: EQ}" % (i % 6) if i < 6 else
                     "{index: 0, value: 2, op: EQ}" for i in range(n)])
        add("args x%d" % n, "  rules: [{syscalls: [personality], action: Allow, args: %s}]\n"
            % args)
    add("args index twice", "  rules: [{syscalls: [personality], action: Allow, args: "
        "[{index: 1, value: 1, op: EQ}, {index: 1, value: 2, op: NE}]}]\n")
    for n in (len(G.ARCH_NAMES), len(G.ARCH_NAMES) + 1):
        add("arch x%d" % n, "  seccomp: {arch: %s, action: Allow}\n" %
            flow((G.ARCH_NAMES * 2)[:n]))
    for n in (b("MAX_NAME_LEN"), b("MAX_NAME_LEN") + 1):
        add("syscall name of %d characters" % n,
            "  seccomp: {syscalls: [%s], action: Allow}\n" % ("a" * n))
        add("group name of %d characters" % n,
            "  seccomp: {groups: [\"@%s\"], action: Allow}\n" % ("a" * (n - 1)))
    for n in (b("MAX_TAGS"), b("MAX_TAGS") + 1):
        add("tags x%d" % n, "  tags: %s\n" % flow(["t%d" % i for i in range(n)]))
    for n in (b("MAX_TAG_LEN"), b("MAX_TAG_LEN") + 1):
        add("tag of %d characters" % n, "  tags: [%s]\n" % ("t" * n))
    for n in (b("MAX_MESSAGE_LEN"), b("MAX_MESSAGE_LEN") + 1):
        add("message of %d characters" % n, "  message: %s\n" % ("m" * n))
        add("seccomp.message of %d characters" % n,
            "  seccomp: {syscalls: [read], action: Allow, message: %s}\n" % ("m" * n))
    for v in (b("MIN_SEVERITY") - 1, b("MIN_SEVERITY"), b("MAX_SEVERITY"),
              b("MAX_SEVERITY") + 1):
        add("severity %d" % v, "  severity: %d\n" % v)
        add("seccomp.severity %d" % v,
            "  seccomp: {syscalls: [read], action: Allow, severity: %d}\n" % v)
    # selectors
    for n in (b("MAX_SELECTOR_LABELS"), b("MAX_SELECTOR_LABELS") + 1):
        add("matchLabels x%d" % n, "  selector: {matchLabels: {%s}}\n" %
            ", ".join("k%d: v" % i for i in range(n)))
    for n in (b("MAX_SELECTOR_EXPRESSIONS"), b("MAX_SELECTOR_EXPRESSIONS") + 1):
        add("matchExpressions x%d" % n, "  selector: {matchExpressions: %s}\n" %
            flow(["{key: k%d, operator: Exists}" % i for i in range(n)]))
    for n in (b("MAX_SELECTOR_VALUES"), b("MAX_SELECTOR_VALUES") + 1):
        add("matchExpressions values x%d" % n,
            "  selector: {matchExpressions: [{key: k, operator: In, values: %s}]}\n" %
            flow(["v%d" % i for i in range(n)]))
    for n in (b("MAX_LABEL_VALUE_LEN"), b("MAX_LABEL_VALUE_LEN") + 1):
        add("label value of %d characters" % n,
            "  selector: {matchLabels: {app: %s}}\n" % ("v" * n))
        add("expression value of %d characters" % n,
            "  selector: {matchExpressions: [{key: app, operator: In, values: [%s]}]}\n" %
            ("v" * n))
    for n in (b("MAX_LABEL_NAME_LEN"), b("MAX_LABEL_NAME_LEN") + 1):
        add("label key name of %d characters" % n,
            "  selector: {matchLabels: {%s: v}}\n" % ("k" * n))
        add("expression key name of %d characters" % n,
            "  selector: {matchExpressions: [{key: %s, operator: Exists}]}\n" % ("k" * n))
        add("prefixed label key name of %d characters" % n,
            "  selector: {matchLabels: {example.com/%s: v}}\n" % ("k" * n))
    for n in (b("MAX_LABEL_PREFIX_LEN"), b("MAX_LABEL_PREFIX_LEN") + 1):
        prefix = ".".join(["p" * 62] * 4)
        prefix = (prefix + "." + "p" * 62)[:n]
        prefix = prefix.rstrip(".") + ("p" if prefix.endswith(".") else "")
        prefix = prefix[:n]
        add("label key prefix of %d characters" % len(prefix),
            "  selector: {matchLabels: {%s/app: v}}\n" % prefix)
    for key in ("yes", "on", "010", "0x10", "true", "app", "a.b_c-d", "example.com/app", "Example.com/app", "-app", "app-",
                "a/b/c", "/app", "example.com/", "a b", "app!", "_app", "a..b/app",
                "kubernetes.io/metadata.name"):
        add("label key %r" % key, "  selector: {matchLabels: {\"%s\": v}}\n" % key)
        add("expression key %r" % key,
            "  selector: {matchExpressions: [{key: \"%s\", operator: Exists}]}\n" % key)
    for val in ("", "a", "a.b-c_d", "-a", "a-", "a b", "A", "a/b", "_a", "2024-01-01",
                "2024-01-01T10:00:00Z", "1.5", "0x10"):
        add("label value %r" % val, "  selector: {matchLabels: {app: \"%s\"}}\n" % val)
        add("expression value %r" % val,
            "  selector: {matchExpressions: [{key: app, operator: In, values: [\"%s\"]}]}\n"
            % val)
    for key in ("yes", "on", "010", "0x10", "1.5", "null", "~", "2024-01-01"):
        add("plain label key %s" % key, "  selector: {matchLabels: {%s: v}}\n" % key)
    for val in ("2024-01-01", "010", "0x10", "yes", "1.5", "~"):
        add("plain label value %s" % val, "  selector: {matchLabels: {app: %s}}\n" % val)
        add("plain expression value %s" % val,
            "  selector: {matchExpressions: [{key: app, operator: In, values: [%s]}]}\n" % val)
    for op in G.SELECTOR_OPS + ["in", "Equals", ""]:
        vals = ", values: [a]" if op in ("In", "NotIn") else ""
        add("selector operator %r" % op,
            "  selector: {matchExpressions: [{key: k, operator: \"%s\"%s}]}\n" % (op, vals))
    # names and references
    for n in (b("MAX_OBJECT_NAME_LEN"), b("MAX_OBJECT_NAME_LEN") + 1):
        name = ".".join(["e" * 62] * 5)[:n].rstrip(".")
        name = name + "e" * (n - len(name))
        add("extends a name of %d characters" % n, "  extends: %s\n" % name)
        add("extends ClusterSeccompPolicy/ and %d characters" % n,
            "  extends: ClusterSeccompPolicy/%s\n" % name)
        add("cluster extends ClusterSeccompPolicy/ and %d characters" % n,
            "  extends: ClusterSeccompPolicy/%s\n" % name, CHEAD)
    for ext in ("runtime/default", "runtime/unconfined", "Base", "a_b", "a..b", "-a", "a-",
                "ns/base", "ClusterSeccompPolicy/", "clusterseccomppolicy/base",
                "ClusterSeccompPolicy/Base", "./base", ""):
        add("extends %r" % ext, "  extends: \"%s\"\n" % ext)
    for name in ("a" * 253, "a" * 254, "a.b", "a..b", "A", "a_b"):
        cases.append(Case("bound: metadata.name of %d characters %s" % (len(name), name[:5]),
                          policy(name, "  seccomp: {syscalls: [read], action: Allow}\n")))
    # spellings
    for a in G.ACTIONS + ["allow", "Deny", "SCMP_ACT_NOTIFY", "Log", ""]:
        add("action %r" % a, "  seccomp: {syscalls: [read], action: \"%s\"}\n" % a)
        add("defaultAction %r" % a, "  defaultAction: \"%s\"\n" % a)
    for a in G.ARCH_NAMES + ["amd64", "arm64", "i386", "parisc", "SCMP_ARCH_AMD64",
                             "X86_64", "scmp_arch_x86_64"]:
        add("arch %r" % a, "  seccomp: {arch: [\"%s\"], action: Allow}\n" % a)
    for o in G.OP_NAMES + ["eq", "EQUAL", "SCMP_CMP_EQUAL", "MASKED"]:
        add("op %r" % o, "  rules: [{syscalls: [personality], action: Allow, args: "
            "[{index: 0, value: 1, valueTwo: 1, op: \"%s\"}]}]\n" % o)
    for e in G.ERRNO_NAMES + ["EWHAT", "eperm", "E", "EPERM2"]:
        add("errno %r" % e, "  seccomp: {syscalls: [mkdir], action: Block, errno: \"%s\"}\n" % e)
    for e in ("0", "1", str(b("MAX_ERRNO")), str(b("MAX_ERRNO") + 1), "4095", "9999", "10000",
              "-1", "01", "0x10", "1.0", "1e2", "\"1\"", "\"4094\"", "\"4095\"", "\"01\"",
              "\" 1\"", "true", "null", "[1]"):
        add("errno %s" % e, "  seccomp: {syscalls: [mkdir], action: Block, errno: %s}\n" % e)
    for act in G.ACTIONS:
        add("errno with %s" % act, "  seccomp: {syscalls: [mkdir], action: %s, errno: 1}\n" % act)
    for g in ["@basic-io", "dns", "@no-such-group", "no-such", "@", "@-a", "@_a", "@a/b",
              "@Basic-io", "@basic_io", "-a", "a"]:
        add("group %r" % g, "  seccomp: {groups: [\"%s\"], action: Allow}\n" % g)
    for s in ["read", "mkdirr", "Read", "read-x", "_llseek", "a1", "1a", "_", "", "read x"]:
        add("syscall %r" % s, "  seccomp: {syscalls: [\"%s\"], action: Allow}\n" % s)
    # numbers and YAML scalars
    for v in ("0", "1", "9223372036854775807", "9223372036854775808", "18446744073709551615",
              "-1", "-0", "0x10", "0X1f", "0o10", "010", "089", "0b101", "1_000", "0x_10", "+5",
              "1.0", "1.5", "1e3", "1e18", "9007199254740993.0", ".5", "5.", "0.0", "\"5\"",
              "true", "null", "~", "0x", "1__0", "1_", "_1"):
        # x86_64 alone: on x86 and x32 the agent refuses a condition on a value above 32 bits
        # (libseccomp compares the low halves there), which is not what this case is about.
        add("args value %s" % v, "  rules: [{syscalls: [personality], action: Allow, arch: "
            "[x86_64], args: [{index: 0, value: %s, op: EQ}]}]\n" % v, same_value=True)
    for v in ("0", "5", "6", "-1", "5.0", "0x5", "\"5\"", "null"):
        add("args index %s" % v, "  rules: [{syscalls: [personality], action: Allow, args: "
            "[{index: %s, value: 0, op: EQ}]}]\n" % v)
    for v in ("5", "05", "0x5", "5.0", "5.5", "1e1", "\"5\"", "+5", "true"):
        add("severity %s" % v, "  severity: %s\n" % v)
    for v in ("yes", "no", "on", "off", "y", "n", "true", "True", "TRUE", "1", "0", "Yes",
              "\"true\""):
        add("matchLabels value %s" % v, "  selector: {matchLabels: {app: %s}}\n" % v)
        add("cluster ceiling %s" % v, "  ceiling: %s\n" % v, CHEAD)
    # nulls and types of every optional field
    for field in ("severity", "selector", "extends", "defaultAction", "seccomp", "rules",
                  "message", "tags"):
        add("spec.%s null" % field, "  %s: null\n" % field)
        add("spec.%s a list" % field, "  %s: [a]\n" % field)
        add("spec.%s a mapping" % field, "  %s: {a: b}\n" % field)
    for field in ("arch", "syscalls", "groups", "errno", "args", "severity", "tags", "message"):
        add("seccomp.%s null" % field, "  seccomp: {%s: null, action: Block}\n" % field)
    add("seccomp.action null", "  seccomp: {syscalls: [read], action: null}\n")
    add("selector.matchLabels null", "  selector: {matchLabels: null}\n")
    add("selector.matchExpressions null", "  selector: {matchExpressions: null}\n")
    add("expression values null",
        "  selector: {matchExpressions: [{key: k, operator: Exists, values: null}]}\n")
    add("args valueTwo null", "  rules: [{syscalls: [personality], action: Allow, args: "
        "[{index: 0, value: 1, valueTwo: null, op: EQ}]}]\n")
    add("spec null", "", HEAD.replace("spec:\n", "spec: null\n"))
    add("namespaceSelector on a namespaced kind", "  namespaceSelector: {}\n")
    add("namespaceSelector on the cluster kind", "  namespaceSelector: {}\n", CHEAD)
    add("namespaceSelector null on the cluster kind", "  namespaceSelector: null\n", CHEAD)
    add("ceiling on a namespaced kind", "  ceiling: true\n")
    add("ceiling on the KubeArmor kind", "  ceiling: true\n", KHEAD)
    add("ceiling true", "  ceiling: true\n  selector: {}\n"
        "  seccomp: {syscalls: [read], action: Allow}\n", CHEAD)
    add("ceiling null", "  ceiling: null\n", CHEAD)
    add("unknown spec field", "  mode: strict\n")
    add("unknown seccomp field", "  seccomp: {syscalls: [read], action: Allow, mode: x}\n")
    add("unknown selector field", "  selector: {matchNames: [a]}\n")
    add("unknown args field", "  rules: [{syscalls: [personality], action: Allow, args: "
        "[{index: 0, value: 1, op: EQ, mask: 1}]}]\n")
    add("KubeArmor kind with message and tags",
        "  severity: 3\n  tags: [MITRE]\n  message: hello\n  selector: {matchLabels: {a: b}}\n"
        "  seccomp: {syscalls: [read], action: Allow, tags: [x], message: m, severity: 2}\n",
        KHEAD)
    for meta in ("labels: {a: b}", "labels: {\"a b\": c}", "annotations: {a: b}",
                 "uid: 1234", "generation: 3", "resourceVersion: \"5\"", "unknownField: 1",
                 "finalizers: [example.com/x]", "ownerReferences: []"):
        cases.append(Case("bound: metadata %s" % meta,
                          "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n"
                          "  name: meta\n  namespace: kscmp-schema\n  %s\nspec: {}\n" % meta))
    cases.append(Case("bound: status is ignored on create",
                      policy("with-status", "  seccomp: {syscalls: [read], action: Allow}\n"
                             "status: {message: hi}\n")))
    # what only the agent can count
    cps = b("MAX_CONDITIONS_PER_SYSCALL")
    add("conditions per syscall %d" % cps, "  rules:\n" + "".join(
        "  - {syscalls: [ioctl], action: Allow, args: [{index: 1, value: %d, op: EQ}]}\n" % i
        for i in range(cps)))
    add("conditions per syscall %d" % (cps + 1), "  rules:\n" + "".join(
        "  - {syscalls: [ioctl], action: Allow, args: [{index: 1, value: %d, op: EQ}]}\n" % i
        for i in range(cps + 1)), agent_only="conditions after groups")
    add("the issue's policy: 256 rules x @system-service, Trap, arg0 EQ i", "  rules:\n" + "".join(
        "  - {groups: [\"@system-service\"], action: Trap, args: [{index: 0, value: %d, "
        "op: EQ}]}\n" % i for i in range(256)), agent_only="conditions after groups")
    return cases


# ---------------------------------------------------------------------------- judging

def compare_value(kscmp, path, ident, stored):
    """None when kscmp compiles the value the API server stored; else what differs."""
    try:
        want = stored["spec"]["rules"][0]["args"][0]["value"]
    except (KeyError, IndexError, TypeError):
        return "the API server's answer has no spec.rules[0].args[0].value: %r" % (stored,)
    p = subprocess.run([kscmp, "compile", "-f", path, "--policy", ident, "--arch", "x86_64",
                        "--startup-syscalls", "none"], capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        return "kscmp compile failed: " + p.stderr.strip()[:300]
    got = [a["value"] for e in json.loads(p.stdout).get("syscalls", [])
           if "personality" in e.get("names", []) for a in e.get("args", [])]
    if got != [want]:
        return "the API server stores value %r, kscmp compiles %r" % (want, got)
    return None


def judge(api, kscmp, case, workdir):
    docs = documents(case.text)
    if docs is None:
        skip(case.name, "not YAML PyYAML can read (the API server is not asked)")
        return
    policies = [(t, o) for t, o in docs if isinstance(o, dict) and o.get("kind") in POLICY_KINDS
                and isinstance(o.get("metadata"), dict)
                and isinstance(o["metadata"].get("name"), str)]
    if not policies:
        return
    path = os.path.join(workdir, "case.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(case.text)
    verdicts, errors, rc = kscmp_verdicts(kscmp, path)
    for text, obj in policies:
        meta = obj["metadata"]
        ns = meta.get("namespace") if obj["kind"] != "ClusterSeccompPolicy" else None
        if obj["kind"] != "ClusterSeccompPolicy" and not ns:
            ns = "default"
        if isinstance(ns, str) and re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ns) and \
                len(ns) <= 63:
            api.ensure_namespace(ns)
        ident = meta["name"] if ns is None else "%s/%s" % (ns, meta["name"])
        if not isinstance(ns, (str, type(None))):
            ident = "%s/%s" % (ns, meta["name"])
        api_ok, api_msg = api.dry_run(obj.get("apiVersion"), obj["kind"], ns, text)
        ours = verdicts.get((obj["kind"], ident))
        if ours is None:
            ours = rc == 0 and not errors
        # Its own message: an exception must be about this object, not a neighbour.
        why = [e for e in errors if "%s %s:" % (obj["kind"], ident) in e]
        ours_msg = " | ".join(why or errors)[:600]
        exc_msg = " | ".join(why)
        name = "%s: %s %s" % (case.name, obj["kind"], ident[:80])
        if api_ok and ours and case.same_value:
            problem = compare_value(kscmp, path, ident, api.last)
            if problem:
                report(False, name, problem)
                continue
        if api_ok == ours:
            if case.agent_only:
                report(False, name, "expected the agent alone to refuse it (%s); both %s" % (
                    case.agent_only, "accept" if ours else "refuse"))
            else:
                report(True, name + (" (both accept)" if ours else " (both refuse)"))
            continue
        if api_ok and not ours:
            exc = [e for e in EXCEPTIONS if re.search(e[1], exc_msg)]
            if exc:
                report(True, name + " (the agent alone refuses: %s; %s)" % (exc[0][0],
                                                                           exc[0][2]))
                continue
        report(False, name, "API server %s%s; kscmp %s%s" % (
            "accepts" if api_ok else "refuses", "" if api_ok else " (%s)" % api_msg[:400],
            "accepts" if ours else "refuses", "" if ours else " (%s)" % ours_msg))


def main(argv):
    if len(argv) < 2:
        print("usage: check_schema.py KSCMP [CASE-SUBSTRING]", file=sys.stderr)
        return 2
    kscmp = os.path.abspath(argv[1])
    only = argv[2] if len(argv) > 2 else None
    api = Api()
    cases = file_cases()
    ucases, nunit = unit_cases()
    report(nunit >= 100 and len(ucases) >= 60,
           "the decoder's unit cases were read from test_decode.c (%d cases, %d of policies)"
           % (nunit, len(ucases)))
    cases += ucases + bound_cases()
    print("# %d cases" % len(cases), flush=True)
    with tempfile.TemporaryDirectory(prefix="kscmp-schema.") as workdir:
        for case in cases:
            if only and only not in case.name:
                continue
            judge(api, kscmp, case, workdir)
            sys.stdout.flush()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
