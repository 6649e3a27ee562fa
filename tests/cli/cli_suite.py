#!/usr/bin/env python3
"""The offline command line, as a user runs it: build/kscmp on files in a temporary folder.

Issue 9 items 2, 5, 6, 7, 12 and issue 15 items 6, 7: a 20,000-policy extends chain, the
32-policy bound, `tree runtime/default`, `validate -f DIR` reporting everything, empty files,
option errors, messages that point at the right line and name the right things, architectures
merged as an intersection, ceilings, profile names the store cannot write, `kscmp groups`
without trailing spaces, and the README's agent synopsis and metrics list.

Prints one line per check and closes with 'N passed, N failed'.
"""
import json, os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The binary: the first argument, else $KSCMP_BIN, else build/kscmp of this checkout.
KSCMP = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else \
    os.environ.get("KSCMP_BIN") or os.path.join(ROOT, "build", "kscmp")
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from report import Report  # noqa: E402

R = Report()
check = R.check


def kscmp(*args, cwd=None, timeout=120):
    t0 = time.time()
    p = subprocess.run([KSCMP, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    p.seconds = time.time() - t0
    return p


def policy(name, body, ns="demo", kind="SeccompPolicy"):
    meta = f"{{name: {name}, namespace: {ns}}}" if ns else f"{{name: {name}}}"
    return f"apiVersion: kscmp.io/v1\nkind: {kind}\nmetadata: {meta}\nspec:\n{body}"


def pod(name, ref, ns="demo", labels="{app: web}"):
    return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}, labels: "
            f"{labels}}}\nspec:\n  securityContext:\n    seccompProfile: {{type: Localhost, "
            f"localhostProfile: \"{ref}\"}}\n  containers:\n  - {{name: main, image: busybox}}\n")


def write(d, name, *docs):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write("---\n".join(docs))
    return path


def chain(d, n):
    docs = []
    for i in range(n):
        ext = f"  extends: p{i - 1}\n" if i else "  extends: runtime/default\n"
        docs.append(policy(f"p{i}", ext + f"  seccomp: {{syscalls: [{'mkdir' if i % 2 else 'rmdir'}]"
                                          ", action: Block}\n"))
    return write(d, f"chain{n}.yaml", *docs)


def effective(prof, name):
    for r in prof.get("syscalls", []):
        if name in r["names"] and not r.get("args"):
            return r["action"]
    return prof.get("defaultAction")


def json_depth(t):
    depth, level = 0, [t]
    while level:
        depth += 1
        level = [c for n in level for c in n.get("children", [])]
    return depth


def test_chain(d):
    """Issue 9 item 2: a 20,000-policy chain crashed compile (SIGSEGV)."""
    path = chain(d, 20000)
    p = kscmp("compile", "-f", path, "--policy", "demo/p19999", "--arch", "x86_64")
    check(p.returncode == 1 and "demo/p19999: spec.extends: the extends chain is longer than 32 "
          "policies" in p.stderr, "20,000-policy chain: compile of the last exits 1, says why",
          f"exit {p.returncode}: {p.stderr}")
    check(p.seconds < 20, f"20,000-policy chain: compile takes {p.seconds:.1f} s (under 20)")
    p = kscmp("compile", "-f", path, "--policy", "demo/p31", "--arch", "x86_64",
              "--startup-syscalls", "none")
    prof = json.loads(p.stdout) if p.returncode == 0 else {}
    check(p.returncode == 0 and effective(prof, "mkdir") == "SCMP_ACT_ERRNO" and
          effective(prof, "rmdir") == "SCMP_ACT_ERRNO" and effective(prof, "read") == "SCMP_ACT_ALLOW",
          "20,000-policy chain: the 32nd compiles with what its ancestors block", p.stderr)
    p = kscmp("tree", "-f", path, "demo/p0", "-o", "json", "--arch", "x86_64")
    check(p.returncode == 0 and json_depth(json.loads(p.stdout)) == 32,
          "20,000-policy chain: tree -o json of the root is 32 deep", p.stderr[:300])
    p = kscmp("tree", "-f", path, "runtime/default", "--arch", "x86_64")
    lines = p.stdout.splitlines()
    check(p.returncode == 0 and lines[0] == "runtime/default" and len(lines) == 33 and
          lines[-1].endswith("└── demo/p31"),
          "20,000-policy chain: tree runtime/default prints the 32 that are valid",
          p.stdout[-300:] + p.stderr)
    p = kscmp("validate", "-f", path, "--arch", "x86_64")
    out = p.stdout.splitlines()
    check(p.returncode == 1 and len(out) == 20000 and
          sum(l.startswith("valid ") for l in out) == 32,
          "20,000-policy chain: validate lists all, 32 valid, exit 1",
          f"exit {p.returncode}, {len(out)} lines")
    # Vector 29's bound from both sides.
    path = chain(d, 33)
    p = kscmp("compile", "-f", path, "--policy", "demo/p31", "--arch", "x86_64")
    check(p.returncode == 0, "a chain of exactly 32 policies compiles", p.stderr)
    p = kscmp("compile", "-f", path, "--policy", "demo/p32", "--arch", "x86_64")
    check(p.returncode == 1 and "at most 32 are allowed" in p.stderr,
          "the 33rd policy of a chain is invalid", p.stderr)


def test_tree_runtime_default(d):
    path = write(d, "rd.yaml",
                 policy("base", "  extends: runtime/default\n"
                                "  seccomp: {syscalls: [mkdir], action: Block}\n"),
                 policy("child", "  extends: base\n  seccomp: {syscalls: [rmdir], action: Block}\n"),
                 policy("rebel", "  extends: runtime/default\n  defaultAction: Allow\n"),
                 policy("alone", "  seccomp: {syscalls: [read], action: Allow}\n"),
                 policy("grandrebel", "  extends: child\n"
                                      "  seccomp: {syscalls: [rmdir], action: Allow}\n"))
    p = kscmp("tree", "-f", path, "runtime/default", "--arch", "x86_64")
    check(p.returncode == 0 and p.stdout == "runtime/default\n└── demo/base\n    └── demo/child\n"
          "detached: demo/grandrebel from demo/child (loosens rmdir)\n"
          "detached: demo/rebel (loosens defaultAction)\n",
          "tree runtime/default: its descendants, the detached ones named (one below, with the "
          "parent it is detached from)", p.stdout + p.stderr)
    p = kscmp("tree", "-f", path, "demo/child", "--arch", "x86_64")
    check(p.returncode == 0 and p.stdout == "demo/child\ndetached: demo/grandrebel (loosens rmdir)\n",
          "tree of the parent it is detached from: named without 'from'", p.stdout + p.stderr)
    p = kscmp("tree", "-f", path, "runtime/default", "-o", "json", "--arch", "x86_64")
    t = json.loads(p.stdout) if p.returncode == 0 else {}
    check(t == {"name": "runtime/default", "children": [
        {"name": "demo/base", "children": [{"name": "demo/child", "children": []}]}]},
          "tree runtime/default -o json", p.stdout + p.stderr)
    # What a child loosens, listed with commas (one item reads as one word).
    path = write(d, "rebel2.yaml",
                 policy("base", "  seccomp: {syscalls: [read, write], action: Allow}\n"
                                "  rules:\n  - {syscalls: [mkdir], action: Block}\n"),
                 policy("rebel", "  extends: base\n  defaultAction: Allow\n"
                                 "  rules:\n  - {syscalls: [mkdir], action: Allow}\n"))
    p = kscmp("tree", "-f", path, "demo/base", "--arch", "x86_64")
    check(p.returncode == 0 and "detached: demo/rebel (loosens defaultAction, mkdir)\n" in p.stdout,
          "tree: what a detached child loosens, with commas", p.stdout + p.stderr)
    p = kscmp("validate", "-f", path, "--arch", "x86_64")
    check(p.returncode == 0 and "detached from base, loosens defaultAction, mkdir\n" in p.stdout,
          "validate: the same list", p.stdout + p.stderr)


def test_validate_dir(d):
    """Issue 9 item 5: validate -f DIR stopped at the first file-level error."""
    v = os.path.join(d, "v")
    os.mkdir(v)
    write(v, "1-good.yaml", policy("a", "  seccomp: {syscalls: [read], action: Allow}\n"))
    write(v, "2-syntax.yaml", "a: [\n")
    write(v, "3-kind.yaml", "apiVersion: kscmp.io/v1\nkind: SecompPolicy\nmetadata: {name: x}\n",
          policy("b", "  seccomp: {syscalls: [reed], action: Allow}\n"),
          policy("c", "  seccomp: {syscalls: [read], action: Allow}\n"))
    write(v, "4-dup.yaml", policy("a", "  seccomp: {syscalls: [write], action: Allow}\n"))
    write(v, "5-good.yaml", policy("e", "  seccomp: {syscalls: [read], action: Allow}\n"))
    # A second copy that is wrong itself: both are told (that it is a copy, and what is wrong).
    write(v, "6-dup-bad.yaml", policy("e", "  seccompp: {syscalls: [read], action: Allow}\n"))
    os.mkdir(os.path.join(v, "sub.yaml"))  # a folder named like a manifest: not entered
    p = kscmp("validate", "-f", v, "--arch", "x86_64")
    check(p.returncode == 1, "validate -f DIR with errors exits 1", p.stderr)
    # A policy defined twice is invalid, as the agent holds it (which one was meant?).
    check(p.stdout.splitlines() == ["invalid   SeccompPolicy demo/a (defined twice)",
                                    "invalid   SeccompPolicy demo/b",
                                    "valid     SeccompPolicy demo/c",
                                    "invalid   SeccompPolicy demo/e (defined twice)"],
          "validate -f DIR: every policy of every file, after the errors too", p.stdout)
    for want in ["2-syntax.yaml:2: malformed YAML",
                 "3-kind.yaml:2: SecompPolicy default/x: kind: unknown kind \"SecompPolicy\"",
                 "3-kind.yaml:9: SeccompPolicy demo/b: spec.seccomp.syscalls[0]: unknown syscall \"reed\"",
                 "4-dup.yaml:1: SeccompPolicy demo/a: defined twice (first at " +
                 os.path.join(v, "1-good.yaml") + ":1)",
                 "6-dup-bad.yaml:1: SeccompPolicy demo/e: defined twice (first at " +
                 os.path.join(v, "5-good.yaml") + ":1)",
                 "6-dup-bad.yaml:5: SeccompPolicy demo/e: spec.seccompp: unknown field",
                 "2 files or documents could not be read",
                 "2 objects defined a second time"]:
        check(want in p.stderr, f"validate -f DIR says: {want}", p.stderr)
    # The descendants of a policy defined twice are invalid too (their parent is not known).
    fam = os.path.join(d, "fam")
    os.mkdir(fam)
    write(fam, "a.yaml", policy("base", "  seccomp: {syscalls: [read], action: Allow}\n"),
          policy("child", "  extends: base\n  seccomp: {syscalls: [write], action: Allow}\n"),
          policy("grandchild", "  extends: child\n  seccomp: {syscalls: [close], action: Allow}\n"),
          policy("other", "  seccomp: {syscalls: [read], action: Allow}\n"))
    write(fam, "b.yaml", policy("base", "  seccomp: {syscalls: [getpid], action: Allow}\n"))
    p = kscmp("validate", "-f", fam, "--arch", "x86_64")
    check(p.returncode == 1 and p.stdout.splitlines() == [
        "invalid   SeccompPolicy demo/base (defined twice)",
        "invalid   SeccompPolicy demo/child (built on demo/base, which is defined twice)",
        "invalid   SeccompPolicy demo/grandchild (built on demo/base, which is defined twice)",
        "valid     SeccompPolicy demo/other"],
        "validate: the descendants of a policy defined twice are invalid", p.stdout + p.stderr)
    # The items of a List too: one that is no object is told, the items after it judged.
    lst = write(d, "list.yaml", "apiVersion: v1\nkind: List\nitems:\n"
                "- {apiVersion: kscmp.io/v1, kind: SeccompPolicy, metadata: {name: la, namespace: demo},"
                " spec: {}}\n- 42\n"
                "- {apiVersion: kscmp.io/v1, kind: SeccompPolicy, metadata: {name: lb, namespace: demo},"
                " spec: {}}\n")
    p = kscmp("validate", "-f", lst, "--arch", "x86_64")
    check(p.returncode == 1 and p.stdout.splitlines() == ["valid     SeccompPolicy demo/la",
                                                          "valid     SeccompPolicy demo/lb"] and
          "list.yaml:5: a manifest must be a mapping" in p.stderr,
          "validate: a List's bad item is told and the items after it judged", p.stdout + p.stderr)
    p = kscmp("compile", "-f", lst, "--arch", "x86_64", "--policy", "demo/la")
    check(p.returncode == 1 and "list.yaml:5" in p.stderr, "compile: such a List is refused whole",
          p.stderr)
    os.rename(os.path.join(v, "2-syntax.yaml"), os.path.join(d, "moved.yaml"))
    for f in ["3-kind.yaml", "4-dup.yaml", "6-dup-bad.yaml"]:
        os.remove(os.path.join(v, f))
    p = kscmp("validate", "-f", v, "--arch", "x86_64")
    sub = os.path.join(v, "sub.yaml")
    check(p.returncode == 0 and
          p.stderr == f"kscmp: warning: {sub} is a folder: not read (sub-folders are not "
          "entered)\n", "validate -f DIR of good files exits 0, saying only that the sub-folder "
          "is not read", p.stderr)


def test_empty(d):
    empty = write(d, "empty.yaml", "")
    comments = write(d, "comments.yaml", "# nothing yet\n---\n")
    good = write(d, "good.yaml", policy("web", "  seccomp: {syscalls: [read], action: Allow}\n"))
    p = kscmp("validate", "-f", empty)
    check(p.returncode == 1 and f"warning: {empty}: empty, no objects in it" in p.stderr and
          "no policy in the given files" in p.stderr,
          "validate of an empty file: a warning, and nothing to validate is an error", p.stderr)
    p = kscmp("validate", "-f", comments, "-f", good, "--arch", "x86_64")
    check(p.returncode == 0 and "comments.yaml: empty, no objects in it" in p.stderr,
          "an empty file among good ones: a warning, exit 0", p.stderr)
    p = kscmp("compile", "-f", empty, "-f", good, "--policy", "demo/web", "--arch", "x86_64")
    check(p.returncode == 0 and "empty.yaml: empty" in p.stderr,
          "compile with an empty file: a warning", p.stderr)
    # A bare NAME is a ClusterSeccompPolicy: whoever meant demo/web is told how to say it.
    for cmd in (["compile", "--policy", "web"], ["tree", "web"]):
        p = kscmp(cmd[0], "-f", good, *cmd[1:], "--arch", "x86_64")
        check(p.returncode == 1 and "no policy web in the given files (a NAME alone is a "
              "ClusterSeccompPolicy; a SeccompPolicy is NAMESPACE/NAME)" in p.stderr,
              f"{cmd[0]} with a bare NAME that is no cluster policy: exit 1, says NS/NAME",
              p.stderr)
    # A kind with no namespace: told where the namespace goes.
    for kind in ("SeccompPolicy", "KubeArmorSeccompPolicy"):
        p = kscmp("compile", "-f", good, "--policy", f"{kind}/web", "--arch", "x86_64")
        check(p.returncode == 1 and f"no policy {kind}/web in the given files (a namespaced "
              f"policy needs its namespace: {kind}/NAMESPACE/NAME)" in p.stderr,
              f"compile --policy {kind}/NAME: exit 1, says {kind}/NAMESPACE/NAME", p.stderr)
    e = os.path.join(d, "emptydir")
    os.mkdir(e)
    p = kscmp("validate", "-f", e)
    check(p.returncode == 1 and "no *.yaml, *.yml or *.json file in it" in p.stderr,
          "validate of a folder without manifests says so", p.stderr)


def test_usage(d):
    # A missing -f is said in one wording by every command that reads files.
    for cmd, what in [("validate", "policy"), ("compile", "policy"), ("explain", "policy"),
                      ("tree", "policy"), ("list", "policy"), ("import", "profile")]:
        p = kscmp(cmd)
        check(p.returncode == 2 and p.stderr.startswith(f"kscmp {cmd}: no {what} file given (-f FILE)\n"),
              f"kscmp {cmd} without -f: 'no {what} file given (-f FILE)', exit 2", p.stderr)
    for args, want in [(["validate", "-f"], "kscmp validate: option -f needs an argument"),
                       (["compile", "--filename"], "kscmp compile: option --filename needs an argument"),
                       (["compile", "-f", "x", "--pod"], "option --pod needs an argument"),
                       (["validate", "--bogus"], "kscmp validate: unrecognized option '--bogus'"),
                       (["compile", "-z"], "kscmp compile: unrecognized option '-z'"),
                       (["groups", "--bogus"], "kscmp groups: unrecognized option '--bogus'"),
                       (["agent", "--metrics-addr", "9999"],
                        "kscmp agent: --metrics-addr \"9999\": want [HOST]:PORT"),
                       (["agent", "--metrics-addr", "1.2.3.4:99999"], "\"1.2.3.4:99999\": bad port"),
                       (["validate", "-f", "x", "-o", "json"],
                        "kscmp validate: option -o does not go with this command"),
                       (["version", "--bogus"], "kscmp version: takes no argument"),
                       (["record", "--bogus"], "kscmp record: unrecognized option '--bogus'"),
                       (["agent", "--bogus"], "kscmp agent: unrecognized option '--bogus'"),
                       (["import", "--bogus"], "kscmp import: unrecognized option '--bogus'"),
                       (["status", "--bogus"], "kscmp status: unrecognized option '--bogus'"),
                       (["status", "--wait=5x"],
                        "kubectl kscmp status: --wait=5x: want a duration such as 30s, 2m or 1h"),
                       (["status", "--wait=0"], "kubectl kscmp status: --wait=0: want a duration"),
                       (["status", "--wait=25h"], "--wait=25h: want a duration"),
                       (["status", "--wait", "30s"],
                        "kubectl kscmp status: unexpected argument \"30s\""),
                       (["explain", "pod", "x", "--wait"],
                        "kubectl kscmp explain: --wait goes with status"),
                       (["validate", "-f", "x.yaml", "extra"],
                        "kscmp validate: unexpected argument \"extra\"")]:
        p = kscmp(*args)
        check(p.returncode == 2 and want in p.stderr and "unknown option" not in p.stderr,
              f"{' '.join(args)}: exit 2, '{want}'", p.stderr)


def test_termination_message(d):
    # Trial ROUGH 13: a command line the agent refuses (a chart's extraArgs flag without its
    # value) reaches the container's termination message, which `kubectl describe pod` shows,
    # not only the log; $KSCMP_TERMINATION_MESSAGE_PATH stands for /dev/termination-log.
    term = os.path.join(d, "termination-log")
    env = dict(os.environ, KSCMP_TERMINATION_MESSAGE_PATH=term, NODE_NAME="n1")
    for args, want in [(["--proof-workers"], "kscmp agent: option '--proof-workers' requires an argument"),
                       (["--proof-workers", "--kubelet-root", "/x"],
                        "kscmp agent: --proof-workers: want a number from 1 to 64, not \"--kubelet-root\""),
                       (["--bogus=1"], "kscmp agent: unrecognized option '--bogus'"),
                       (["--proof"], "kscmp agent: ambiguous option '--proof'"),
                       (["--local=/d", "-xh"], "kscmp agent: unrecognized option '-x'"),
                       (["--node-taint", "maybe"], "kscmp agent: --node-taint is on or off, not \"maybe\""),
                       (["--metrics-addr="], "kscmp agent: --metrics-addr: empty; \"off\" turns the endpoint off"),
                       (["--kubearmor-policies", "no"],
                        "kscmp agent: --kubearmor-policies is on or off, not \"no\""),
                       (["--local", "/d", "--kubearmor-policies", "off"],
                        "kscmp agent: --kubearmor-policies is about the API server's objects"),
                       (["--once"], "kscmp agent: --once works with --local only"),
                       (["extra"], "kscmp agent: unexpected argument \"extra\"")]:
        with open(term, "w") as f:
            f.write("stale text from an earlier run that is longer than any message here " * 3)
        p = subprocess.run([KSCMP, "agent", *args], capture_output=True, text=True, env=env, timeout=60)
        with open(term) as f:
            got = f.read()
        check(p.returncode == 2 and got.startswith(want) and want in p.stderr and "stale text" not in got,
              f"agent {' '.join(args)}: exit 2, termination message '{want}'", f"{got!r} {p.stderr!r}")
    # An early refusal after the command line (a store that cannot be opened) too, exit 1.
    with open(term, "w"):
        pass
    root = os.path.join(d, "file-not-folder")
    with open(root, "w"):
        pass
    p = subprocess.run([KSCMP, "agent", "--local", d, "--kubelet-root", root, "--once",
                        "--metrics-addr", "off"], capture_output=True, text=True, env=env, timeout=60)
    with open(term) as f:
        got = f.read()
    check(p.returncode == 1 and "--kubelet-root" in got and got in p.stderr,
          "agent with a kubelet root that is a file: exit 1, the reason in the termination message",
          f"{got!r} {p.stderr!r}")
    # Where there is no such file (outside a pod) none is made.
    os.unlink(term)
    p = subprocess.run([KSCMP, "agent", "--proof-workers"], capture_output=True, text=True, env=env,
                       timeout=60)
    check(p.returncode == 2 and not os.path.exists(term), "no termination message file: none made",
          p.stderr)


def test_unrelated_invalid(d):
    """A policy that has nothing to do with the pod: one that cannot be read stops compile and
    explain, and they say why; one found invalid when compiled is warned about, and the
    profile printed (the agent too would write the file)."""
    path = write(d, "unrelated.yaml",
                 policy("web", "  selector: {matchLabels: {app: web}}\n"
                               "  seccomp: {syscalls: [read], action: Allow}\n"),
                 policy("other", "  selector: {matchLabels: {app: none}}\n"
                                 "  seccomp: {syscal: [read], action: Allow}\n"),
                 pod("web-1", "kscmp/demo/web.json"))
    for cmd in ("compile", "explain"):
        p = kscmp(cmd, "-f", path, "--pod", path)
        check(p.returncode == 1 and p.stdout == "" and "demo/other: spec.seccomp.syscal" in p.stderr
              and f"kscmp {cmd}: stopped at that error" in p.stderr,
              f"{cmd}: an unrelated policy that cannot be read stops it, and it says why", p.stderr)
    os.remove(path)
    # Readable but invalid (an unknown syscall is found when it is compiled), and not in the
    # profile: printed, exit 0, as the agent would write it, with a warning that names it.
    path = write(d, "unrelated2.yaml",
                 policy("web", "  selector: {matchLabels: {app: web}}\n"
                               "  seccomp: {syscalls: [read], action: Allow}\n"),
                 policy("other", "  selector: {matchLabels: {app: none}}\n"
                                 "  seccomp: {syscalls: [mkdirr], action: Allow}\n"),
                 pod("web-1", "kscmp/demo/web.json"))
    for args in (("compile", "--pod", path), ("explain", "--pod", path),
                 ("compile", "--policy", "demo/web")):
        p = kscmp(args[0], "-f", path, *args[1:])
        check(p.returncode == 0 and p.stdout != "" and "kscmp: warning: not in this profile, but "
              "invalid: " in p.stderr and 'demo/other: spec.seccomp.syscalls[0]: unknown syscall '
              '"mkdirr"' in p.stderr,
              f"{' '.join(args[:2])}: an unrelated invalid policy: warned about, exit 0", p.stderr)
    os.remove(path)


def test_messages(d):
    """Issue 9 item 7."""
    pods = write(d, "pods.yaml", pod("web-1", "kscmp/demo/web.json"))
    path = write(d, "cycle.yaml",
                 policy("web", "  selector: {}\n  severity: 2\n  extends: b\n"),
                 policy("b", "  extends: web\n"))
    p = kscmp("compile", "-f", path, "--pod", pods, "--arch", "x86_64")
    check(p.returncode == 1 and p.stderr == f"kscmp: error: {path}:7: SeccompPolicy demo/web: "
          "spec.extends: cycle: demo/web -> demo/b -> demo/web\n",
          "a cycle: at the extends line, named once, no word of the agent", p.stderr)
    path = write(d, "missing.yaml", policy("web", "  selector: {}\n  extends: nosuch\n"))
    p = kscmp("compile", "-f", path, "--pod", pods, "--arch", "x86_64")
    check(p.returncode == 1 and p.stderr == f"kscmp: error: {path}:6: SeccompPolicy demo/web: "
          "spec.extends: parent \"nosuch\" not found (no SeccompPolicy demo/nosuch)\n",
          "a missing parent: at the extends line", p.stderr)
    path = write(d, "apiversion.yaml", policy("web", "  selector: {}\n").replace(
        "kscmp.io/v1", "kscmp.io/v1beta1"))
    p = kscmp("validate", "-f", path)
    check(p.returncode == 1 and "apiVersion: \"kscmp.io/v1beta1\" is not an apiVersion kscmp "
          "reads for SeccompPolicy (it reads kscmp.io/v1)" in p.stderr,
          "a wrong apiVersion says which one is read", p.stderr)
    path = write(d, "unknownsys.yaml", policy("web", "  selector: {}\n"
                                                    "  seccomp: {syscalls: [mkdirr], action: Allow}\n"))
    p = kscmp("compile", "-f", path, "--pod", pods, "--arch", "x86_64")
    check(p.returncode == 1 and "agent" not in p.stderr and "last good" not in p.stderr and
          "unknown syscall \"mkdirr\"" in p.stderr,
          "compile's error speaks of the policy, not of what the agent keeps", p.stderr)
    path = write(d, "other.yaml", policy("other", "  seccomp: {syscalls: [read], action: Allow}\n"))
    p = kscmp("compile", "-f", path, "--pod", pods, "--arch", "x86_64")
    check(p.returncode == 1 and p.stderr == "kscmp: error: NoPolicy: Pod demo/web-1: no policy "
          "contributes to kscmp/demo/web.json: there is no SeccompPolicy demo/web and no policy "
          "selects the pod\n", "nothing contributes: compile says so, not what the agent does",
          p.stderr)
    deploy = write(d, "deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, "
                   "namespace: demo}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n"
                   "        securityContext: {seccompProfile: {type: Localhost, localhostProfile: "
                   "kscmp/demo/web.json}}\n")
    p = kscmp("compile", "-f", path, "--pod", deploy, "--arch", "x86_64")
    check(p.returncode == 1 and p.stderr.startswith(f"kscmp: error: {deploy}: no Pod in it (only "
                                                    "kind: Pod is read"),
          "--pod with a Deployment: says the file has no Pod, not that pods use no profile",
          p.stderr)
    nopro = write(d, "nopro.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: demo}\n"
                  "spec:\n  containers:\n  - name: c\n")
    p = kscmp("compile", "-f", path, "--pod", nopro, "--arch", "x86_64")
    check(p.returncode == 1 and p.stderr == f"kscmp: error: {nopro}: the pods use no kscmp/ "
          "localhost profile\n", "--pod with a pod that uses no kscmp/ profile: says so", p.stderr)
    big = os.path.join(d, "big.yaml")
    with open(big, "wb") as f:
        f.truncate(64 * 1024 * 1024 + 1)
    p = kscmp("validate", "-f", big)
    check(p.returncode == 1 and f"{big}: larger than 67108864 bytes (64 MiB), the most kscmp "
          "reads from one file" in p.stderr, "a too large file: named, with the limit", p.stderr)
    os.remove(big)
    path = write(d, "explain.yaml", policy("web", "  selector: {}\n"
                                                  "  seccomp: {syscalls: [mkdir], action: Block}\n"))
    p = kscmp("explain", "-f", path, "--pod", pods, "--arch", "x86_64", "--startup-syscalls", "none")
    check(p.returncode == 0 and "demo/web (default of a block-list)" in p.stdout and
          "an block-list" not in p.stdout, "explain: \"a block-list\"", p.stdout)


def test_arch(d):
    """Issue 9 item 6."""
    pods = write(d, "pods-arch.yaml", pod("web-1", "kscmp/demo/web.json"))
    a = policy("a", "  selector: {}\n  seccomp: {arch: [x86_64], syscalls: [read], action: Allow}\n")
    path = write(d, "arch1.yaml", a, policy("b", "  selector: {}\n"
                                                 "  seccomp: {syscalls: [write], action: Allow}\n"))
    p = kscmp("explain", "-f", path, "--pod", pods, "--arch", "x86_64", "--startup-syscalls", "none")
    check(p.returncode == 0 and "architectures: x86_64   common to: demo/a spec.seccomp.arch "
          "(x86_64); demo/b (no arch: the node's) (x86_64, x86, x32)" in p.stdout,
          "explain says where the architectures come from", p.stdout + p.stderr)
    path = write(d, "arch2.yaml", a, policy("b", "  selector: {}\n  seccomp: {arch: [x86], "
                                                 "syscalls: [write], action: Allow}\n"))
    p = kscmp("compile", "-f", path, "--pod", pods, "--arch", "x86_64")
    check(p.returncode == 1 and p.stdout == "" and "no architecture in common: demo/a (x86_64), "
          "demo/b (x86)" in p.stderr, "no architecture in common: exit 1, nothing printed",
          p.stderr)
    path = write(d, "arch3.yaml", a, policy("c", "  extends: a\n  seccomp: {arch: [x86_64, x86], "
                                                 "syscalls: [write], action: Allow}\n"))
    p = kscmp("validate", "-f", path, "--arch", "x86_64")
    check(p.returncode == 0 and "conflict  SeccompPolicy demo/c: detached from a, loosens arch:x86"
          in p.stdout, "a child listing an architecture its parent leaves out is detached",
          p.stdout + p.stderr)


def test_dropped_names_bounded(d):
    """The hostile-tenant trial: a policy of many names that do not exist on the node's
    architectures gave one warning (and one agent log line) per name at each edit; the first
    few are named, the others counted in one line."""
    names = ", ".join(["recv", "send", "set_tls", "swapcontext"] * 10)
    body = "  rules:\n" + "".join(f"  - {{syscalls: [{names}], action: Block}}\n" for _ in range(3))
    p = kscmp("validate", "-f", write(d, "dropped.yaml", policy("l", body)), "--arch", "x86_64")
    lines = [ln for ln in p.stderr.splitlines() if "warning" in ln]
    check(p.returncode == 0 and len(lines) == 6 and sum("does not exist on" in ln for ln in lines) == 5
          and "115 more syscalls that do not exist on x86_64, x86, x32: dropped (the first 5 are "
          "named above)" in lines[-1], "120 names that do not exist: 5 warnings and one count",
          p.stderr[-1500:])


def test_inexact_said(d):
    """Conditions on two arguments beside an unconditional Allow cannot be written exactly:
    every call of the syscall is blocked, and compile says so (it said nothing, and explain
    gave the block to a rule that blocks only some calls); on one argument it is exact."""
    a = policy("a", "  defaultAction: Block\n  selector: {}\n"
                    "  seccomp: {syscalls: [personality, read, write, exit_group], action: Allow}\n")
    two = policy("b", "  selector: {}\n  rules:\n"
                      "  - {syscalls: [personality], action: Block, args: [{index: 0, op: GT, value: 5}]}\n"
                      "  - {syscalls: [personality], action: Block, args: [{index: 1, op: EQ, value: 3}]}\n")
    one = policy("b", "  selector: {}\n  rules:\n"
                      "  - {syscalls: [personality], action: Block, args: [{index: 0, op: MASKED_EQ, value: 8, valueTwo: 8}]}\n"
                      "  - {syscalls: [personality], action: Block, args: [{index: 0, op: MASKED_EQ, value: 16, valueTwo: 16}]}\n")
    pods = write(d, "inexact-pod.yaml", pod("web", "kscmp/demo/web.json"))
    p = kscmp("compile", "-f", write(d, "inexact-two.yaml", a, two), "--pod", pods, "--startup-syscalls", "none")
    prof = json.loads(p.stdout) if p.returncode == 0 else {}
    check(p.returncode == 0 and effective(prof, "personality") == "SCMP_ACT_ERRNO" and
          "kscmp: warning: kscmp/demo/web.json: personality: the policies' conditions for it cannot be "
          "written as seccomp rules" in p.stderr,
          "conditions on two arguments: every personality call blocked, and compile says so", p.stderr[-1500:])
    p = kscmp("explain", "-f", write(d, "inexact-two.yaml", a, two), "--pod", pods, "--startup-syscalls", "none")
    check(p.returncode == 0 and any(ln.startswith("personality") and "for every call" in ln
                                    for ln in p.stdout.splitlines()),
          "explain says the block is for every call", p.stdout[-1500:])
    # runtime/default allows personality(0) by a condition on arg 0: a Block on arg 1 overlaps it
    # on another argument, both raised to the Block (the default): said too (the live trial).
    rd = policy("web", "  extends: runtime/default\n  selector: {}\n")
    p = kscmp("compile", "-f", write(d, "inexact-rd.yaml", rd, two), "--pod", pods, "--startup-syscalls", "none")
    check(p.returncode == 0 and '"personality"' not in p.stdout and
          "kscmp: warning: kscmp/demo/web.json: personality: the policies' conditions for it cannot be "
          "written as seccomp rules" in p.stderr,
          "runtime/default's conditional Allow raised by a Block on another argument: said", p.stderr[-1500:])
    p = kscmp("compile", "-f", write(d, "inexact-one.yaml", a, one), "--pod", pods, "--startup-syscalls", "none")
    prof = json.loads(p.stdout) if p.returncode == 0 else {}
    allow = [r for r in prof.get("syscalls", []) if "personality" in r["names"]]
    check(p.returncode == 0 and "cannot be written" not in p.stderr and len(allow) == 1 and
          allow[0]["action"] == "SCMP_ACT_ALLOW" and
          [(x["op"], x["value"], x["valueTwo"]) for x in allow[0]["args"]] == [("SCMP_CMP_MASKED_EQ", 24, 0)],
          "two conditions on one argument: allowed when both bits are clear, no warning",
          p.stdout[-1500:] + p.stderr[-800:])
    # Guardrails that block two ioctl requests beside an allow-list's ioctl: the gap between them
    # is no one comparison; it is written in aligned blocks of the low 32 bits (it blocked all of
    # ioctl), and explain shows each block's mask and value.
    a2 = policy("a", "  defaultAction: Block\n  selector: {}\n"
                     "  seccomp: {syscalls: [ioctl, read, write, exit_group], action: Allow}\n")
    gaps = policy("b", "  selector: {}\n  rules:\n"
                       "  - {syscalls: [ioctl], action: Block, args: [{index: 1, op: EQ, value: 0x5412}]}\n"
                       "  - {syscalls: [ioctl], action: Block, args: [{index: 1, op: EQ, value: 0x541c}]}\n")
    path = write(d, "inexact-gaps.yaml", a2, gaps)
    p = kscmp("compile", "-f", path, "--pod", pods, "--startup-syscalls", "none")
    prof = json.loads(p.stdout) if p.returncode == 0 else {}
    rules = sorted((x["op"], x["value"], x["valueTwo"]) for r in prof.get("syscalls", [])
                   if "ioctl" in r["names"] and r["action"] == "SCMP_ACT_ALLOW" for x in r["args"])
    check(p.returncode == 0 and "cannot be written" not in p.stderr and rules == sorted([
              ("SCMP_CMP_LE", 0x5411, 0), ("SCMP_CMP_EQ", 0x5413, 0),
              ("SCMP_CMP_MASKED_EQ", 0xfffffffc, 0x5414), ("SCMP_CMP_MASKED_EQ", 0xfffffffc, 0x5418),
              ("SCMP_CMP_GT", 0x541c, 0)]),
          "a gap between two blocked ioctl requests: allowed in aligned blocks, no warning",
          p.stdout[-1500:] + p.stderr[-800:])
    p = kscmp("explain", "-f", path, "--pod", pods, "--startup-syscalls", "none")
    check(p.returncode == 0 and any(ln.startswith("ioctl") and ln.endswith("when arg1 MASKED_EQ 0xfffffffc 0x5418")
                                    for ln in p.stdout.splitlines()),
          "explain shows a MASKED_EQ's mask and value", p.stdout[-1500:])
    # The review of the gaps (review-46): each of these was refused by the proof or stricter and
    # not said; each is now the stricter rule, written and said, as before the gaps.
    def rule(sc, action, op, value):
        return f"  - {{syscalls: [{sc}], action: {action}, args: [{{index: 0, op: {op}, value: {value}}}]}}\n"
    x86_64 = "  defaultAction: Block\n  selector: {}\n  rules:\n" \
             "  - {syscalls: [read, write, exit_group], action: Allow, arch: [x86_64]}\n"
    for i, (docs, sc, what) in enumerate([
            ([policy("allow", "  selector: {}\n  seccomp: {syscalls: [personality, read, write, exit_group], action: Allow}\n"),
              policy("g1", "  selector: {}\n  rules:\n" + rule("personality", "Block", "LE", 8) +
                     rule("personality", "Block", "EQ", "0x100000002") + rule("personality", "Kill", "GT", 8))],
             "personality", "conditions that cover every value, raised to the strictest: said (it was not)"),
            ([policy("g2", "  selector: {}\n  rules:\n" + rule("socket", "Block", "GE", 24) +
                     rule("socket", "Kill", "EQ", 32) + rule("socket", "Audit", "GE", 30))],
             "socket", "pieces of three actions on socket, which x86 multiplexes: not written as blocks "
                       "(libseccomp refused them, EEXIST)"),
            ([policy("g3", x86_64 + rule("personality", "Audit", "LT", 38) + rule("personality", "Audit", "EQ", "0x80000000") +
                     rule("personality", "Audit", "GE", "0x10000000000") + rule("personality", "Kill", "EQ", 36))],
             "personality", "several ranges of two actions around 2^32: not written in more rules (libseccomp "
                            "built them looser; the proof refused)"),
            ([policy("g4", x86_64.replace("Block", "Kill").replace("[read,", "[personality, read,") +
                     rule("personality", "Kill", "EQ", "0xfffffffe") + rule("personality", "Audit", "EQ", "0x100000000"))],
             "personality", "several gaps with a value above 2^32 - 1: not written (libseccomp built them "
                            "looser; the proof refused)")]):
        p = kscmp("compile", "-f", write(d, f"gaps-review-{i + 1}.yaml", *docs), "--pod", pods,
                  "--startup-syscalls", "none")
        check(p.returncode == 0 and f"kscmp/demo/web.json: {sc}: the policies' conditions for it cannot be "
              "written as seccomp rules" in p.stderr, what, p.stdout[-800:] + p.stderr[-1500:])


def test_ceiling(d):
    """Issue 15 item 7."""
    pods = write(d, "pods-ceiling.yaml", pod("web-1", "kscmp/demo/web.json"))
    guard = policy("guard", "  selector: {}\n  ceiling: true\n"
                            "  seccomp: {syscalls: [read, write], action: Allow}\n",
                   ns=None, kind="ClusterSeccompPolicy")
    path = write(d, "ceiling.yaml", guard,
                 policy("web", "  seccomp: {syscalls: [read, bpf], action: Allow}\n"))
    p = kscmp("explain", "-f", path, "--pod", pods, "--arch", "x86_64", "--startup-syscalls", "none")
    line = [l for l in p.stdout.splitlines() if l.startswith("bpf ")]
    check(p.returncode == 0 and line and "SCMP_ACT_ERRNO" in line[0] and
          "ceiling guard" in line[0], "explain names the ceiling that blocks bpf",
          p.stdout + p.stderr)
    # A ceiling whose default is Allow agrees with the allow-list on read: read comes from the
    # allow-list's rule, not from the ceiling's default.
    open_guard = policy("guard", "  selector: {}\n  ceiling: true\n  defaultAction: Allow\n"
                                 "  rules: [{syscalls: [ptrace], action: Kill}]\n",
                        ns=None, kind="ClusterSeccompPolicy")
    path = write(d, "ceiling-open.yaml", open_guard,
                 policy("web", "  seccomp: {syscalls: [read, bpf], action: Allow}\n"))
    p = kscmp("explain", "-f", path, "--pod", pods, "--arch", "x86_64", "--startup-syscalls", "none")
    line = [l for l in p.stdout.splitlines() if l.startswith("read ")]
    check(p.returncode == 0 and line and "SCMP_ACT_ALLOW" in line[0] and
          "demo/web spec.seccomp" in line[0],
          "explain credits an allowed syscall to the allow-list, not an open ceiling's default",
          p.stdout + p.stderr)
    path = write(d, "ceiling-ns.yaml", policy("web", "  ceiling: true\n"))
    p = kscmp("validate", "-f", path)
    check(p.returncode == 1 and "SeccompPolicy demo/web: spec.ceiling: only a "
          "ClusterSeccompPolicy can be a ceiling" in p.stderr,
          "spec.ceiling on a SeccompPolicy: an error naming the field", p.stderr)
    path = write(d, "nsonly.yaml", policy("c", "  namespaceSelector: {matchLabels: {a: b}}\n"
                                               "  seccomp: {syscalls: [read], action: Allow}\n",
                                          ns=None, kind="ClusterSeccompPolicy"))
    p = kscmp("validate", "-f", path, "--arch", "x86_64")
    check(p.returncode == 0 and "warning: " in p.stderr and "spec.namespaceSelector is set but "
          "spec.selector is not: the policy selects no pod" in p.stderr,
          "a namespaceSelector without a selector: validate warns", p.stderr)
    src, root = os.path.join(d, "src"), os.path.join(d, "kubelet")
    os.mkdir(src)
    os.mkdir(root)
    os.rename(path, os.path.join(src, "nsonly.yaml"))
    p = kscmp("agent", "--local", src, "--kubelet-root", root, "--once", "--metrics-addr", "off",
              cwd=d)
    warn = [l for l in p.stderr.splitlines() if "spec.namespaceSelector is set but" in l]
    check(p.returncode == 0 and len(warn) == 1 and " warning " in warn[0] and
          "warning warning" not in warn[0],
          "a namespaceSelector without a selector: the agent's log warns, once", p.stderr)


def test_name_length(d):
    """Issue 15 item 6: the store takes NAME.json up to 255 bytes."""
    for n in (250, 251, 252, 253):
        name = ".".join(["a" * 63] * 4)[:n]
        name = name[:-1] + "z" if name.endswith(".") else name
        path = write(d, f"long{n}.yaml",
                     policy(name, "  seccomp: {syscalls: [read], action: Allow}\n"),
                     pod("p", f"kscmp/demo/{name}.json"))
        p = kscmp("compile", "-f", path, "--pod", path, "--arch", "x86_64")
        if n <= 250:
            check(p.returncode == 0, f"a profile name of {n} characters compiles", p.stderr)
        else:
            check(p.returncode == 1 and f"NAME is {n} characters long" in p.stderr and
                  "at most 250 characters" in p.stderr and "ProfileRefused" in p.stderr,
                  f"a profile name of {n} characters is refused up front", p.stderr)


def test_startup(d):
    """The runtime's start-up syscalls (contract 3.5) on the command line."""
    for args in (["agent", "--local", d, "--startup-syscalls", "some"],
                 ["compile", "-f", d, "--policy", "demo/web", "--startup-syscalls", "on"],
                 ["explain", "-f", d, "--policy", "demo/web", "--startup-syscalls="],
                 ["validate", "-f", d, "--startup-syscalls", "NONE"]):
        p = kscmp(*args)
        check(p.returncode == 2 and "auto or none" in p.stderr,
              f"{args[0]} --startup-syscalls {args[-1]!r}: exit 2, 'auto or none'", p.stderr)
    p = kscmp("tree", "-f", d, "demo/web", "--startup-syscalls", "none")
    check(p.returncode == 2, "tree --startup-syscalls: exit 2 (it does not go with tree)", p.stderr)
    pol = write(d, "web.yaml", policy("web", "  selector: {matchLabels: {app: web}}\n"
                                             "  seccomp: {syscalls: [read, write], action: Allow}\n"
                                             "  rules: [{syscalls: [setgroups], action: Block}]\n"),
                pod("web-1", "kscmp/demo/web.json"))
    p = kscmp("compile", "-f", pol, "--pod", pol)
    prof = json.loads(p.stdout) if p.returncode == 0 else {}
    check(p.returncode == 0 and effective(prof, "capset") == "SCMP_ACT_ALLOW" and
          effective(prof, "setgroups") == "SCMP_ACT_ERRNO" and
          "warning: ProfileBlocksStartup: Pod demo/web-1: kscmp/demo/web.json: it blocks" in p.stderr and
          "setgroups (runc, crun (exec): set the supplementary groups)" in p.stderr,
          "compile: the start-up set added, a blocked member kept blocked and warned about (exit 0)",
          p.stderr)
    p = kscmp("compile", "-f", pol, "--pod", pol, "--startup-syscalls", "none")
    prof = json.loads(p.stdout) if p.returncode == 0 else {}
    check(p.returncode == 0 and p.stderr == "" and effective(prof, "capset") == "SCMP_ACT_ERRNO",
          "compile --startup-syscalls none: exactly the policy, no warning", p.stderr)
    p = kscmp("validate", "-f", pol)
    check(p.returncode == 0 and p.stdout == "valid     SeccompPolicy demo/web\n" and
          f"warning: {pol}:1: SeccompPolicy demo/web: it blocks syscalls that the container "
          "runtime makes" in p.stderr and "setgroups" in p.stderr,
          "validate: a policy that blocks a start-up syscall is valid, with a warning", p.stderr)
    p = kscmp("validate", "-f", pol, "--startup-syscalls", "none")
    check(p.returncode == 0 and p.stderr == "", "validate --startup-syscalls none: no warning",
          p.stderr)
    p = kscmp("explain", "-f", pol, "--policy", "demo/web")
    line = [l for l in p.stdout.splitlines() if l.startswith("execve ")]
    check(p.returncode == 0 and line and "container start-up: runc, crun: start the container's "
          "program" in line[0], "explain --policy: the origin of execve is container start-up",
          p.stdout[-300:])
    p = kscmp("startup-syscalls", "--arch", "arm", "-o", "json")
    sets = json.loads(p.stdout) if p.returncode == 0 else {}
    names = [e["name"] for e in sets.get("long", [])]
    check(p.returncode == 0 and "fcntl64" in names and "fcntl" not in names and
          "not measured" in sets.get("derivation", ""),
          "startup-syscalls --arch arm: the 32-bit names, derived from the source", p.stdout[:300])
    p = kscmp("startup-syscalls", "--arch", "x86_64")
    check(p.returncode == 0 and "long set (45)" in p.stdout and "short set (19)" in p.stdout and
          "measured on Linux" in p.stdout, "startup-syscalls: both sets with their sizes",
          p.stdout[:300])


def test_help():
    """explain --help shows explain pod, record --help shows record show; kscmp help COMMAND
    is COMMAND --help, and help of no command is wrong usage."""
    p = kscmp("explain", "--help")
    check(p.returncode == 0 and "kscmp explain pod NAME" in p.stdout,
          "explain --help mentions explain pod", p.stdout[:400])
    p = kscmp("explain", "pod", "--help")
    check(p.returncode == 0 and "--startup-syscalls auto|none" in p.stdout,
          "explain pod --help has --startup-syscalls", p.stdout[:600])
    # the word pod left out: the form to write, not getopt on the options after the name
    for args in (["web-1", "-n", "demo"], ["-n", "demo", "web-1"],
                 ["web-1", "--startup-syscalls=none"]):
        p = kscmp("explain", *args)
        check(p.returncode == 2 and "explain pod web-1" in p.stderr and
              "unrecognized" not in p.stderr,
              f"explain {' '.join(args)}: says to write explain pod web-1", p.stderr)
    p = kscmp("record", "--help")
    check(p.returncode == 0 and "kscmp record show NAME" in p.stdout,
          "record --help mentions record show", p.stdout[:400])
    for args in (["validate"], ["import"], ["record", "show"], ["explain", "pod"], ["version"]):
        h, want = kscmp("help", *args), kscmp(*args, "--help")
        check(h.returncode == 0 and h.stdout == want.stdout and h.stdout.count("Usage:") >= 1,
              f"kscmp help {' '.join(args)}: the same as {' '.join(args)} --help, exit 0",
              h.stdout[:200] + h.stderr)
    # Every command 'kscmp help' lists is one 'kscmp help NAME' knows, and runs.
    listed = re.findall(r"^  ([a-z-]+)  ", kscmp("help").stdout.split("Commands:\n")[1],
                        re.M)
    bad = []
    for c in listed:
        h = kscmp("help", c)
        if h.returncode != 0 or h.stdout != kscmp(c, "--help").stdout or "Usage" not in h.stdout:
            bad.append(c)
    check(len(listed) >= 12 and not bad,
          f"kscmp help NAME: each of the {len(listed)} listed commands, as NAME --help", bad)
    p = kscmp("help", "nosuch")
    check(p.returncode == 2 and p.stdout == "" and 'kscmp help: no command "nosuch"' in p.stderr,
          "kscmp help nosuch: an error, exit 2", p.stdout[:200] + p.stderr)
    p = kscmp("help", "record", "ls")
    check(p.returncode == 2 and 'too many arguments ("ls")' in p.stderr,
          "kscmp help record ls: wrong usage, nothing run", p.stderr)


def test_groups_and_readme():
    p = kscmp("groups", "basic-io")
    check(p.returncode == 1 and 'no group "basic-io"; did you mean "@basic-io"?' in p.stderr,
          "kscmp groups NAME without its @: exit 1, says the name with @", p.stderr)
    p = kscmp("groups", "nosuch")
    check(p.returncode == 1 and "kscmp groups lists them" in p.stderr,
          "kscmp groups NAME of no group: exit 1", p.stderr)
    p = kscmp("version", "--help")
    check(p.returncode == 0 and p.stdout.startswith("Usage: kscmp version"),
          "kscmp version --help: its usage, exit 0", p.stdout + p.stderr)
    p = kscmp("groups")
    trailing = [l for l in p.stdout.splitlines() if l.endswith(" ")]
    check(p.returncode == 0 and not trailing and p.stdout.count("\n") > 50,
          "kscmp groups: no line ends in a space", f"{len(trailing)} lines do")
    readme = open(os.path.join(ROOT, "README.md")).read()
    m = re.search(r"```\nkscmp agent (.*?)```", readme, re.S)
    check(m and "--arch ARCH" in m.group(1) and "--once" in m.group(1),
          "README: the agent synopsis has --arch and --once")
    docs = [os.path.join(ROOT, "README.md")] + [
        os.path.join(ROOT, "docs", f) for f in sorted(os.listdir(os.path.join(ROOT, "docs")))
        if f.endswith(".md")]
    outside = [f"{os.path.relpath(f, ROOT)}: {m}" for f in docs
               for m in re.findall(r"\]\(([a-z]+:[^)]*)\)", open(f).read())]
    check(not outside, "README and docs/: every link stays inside the repository", f"{outside}")
    names = re.findall(r'"(kscmp_[a-z_]+)"', open(os.path.join(ROOT, "agent/base/metrics.c")).read())
    missing = [n for n in names if f"`{n}" not in readme]
    check(names and not missing, "README: every metric the agent serves is listed",
          f"missing: {missing}")


def test_json_syntax(d):
    """A JSON file's syntax error in JSON's words (jansson's, at its line and column), not
    libyaml's flow-mapping ones, for a command that reads policies and for import."""
    f = write(d, "pol.json", '{"apiVersion": "kscmp.io/v1", "kind": "SeccompPolicy",\n'
              ' "metadata": {"name": "a", "namespace": "demo"},\n'
              ' "spec": {"seccomp": {"syscalls": ["read"] "action": "Allow"}}}\n')
    p = kscmp("validate", "-f", f)
    check(p.returncode == 1 and f"{f}:3:51: malformed JSON: '}}' expected near '\"action\"'"
          in p.stderr and "flow" not in p.stderr,
          "validate: a JSON syntax error at jansson's line:column, in its words", p.stderr)
    f = write(d, "oci.json", '{"defaultAction": "SCMP_ACT_ERRNO",\n "syscalls": [\n'
              '  {"names": ["read"] "action": "SCMP_ACT_ALLOW"}\n ]\n}\n')
    p = kscmp("import", "-f", f)
    check(p.returncode == 1 and f"{f}:3:29: malformed JSON: '}}' expected near '\"action\"'"
          in p.stderr and "flow" not in p.stderr,
          "import: a JSON syntax error at jansson's line:column, in its words", p.stderr)
    # A JSON document followed by YAML ones: the error of a later document is libyaml's, at
    # its own line, not jansson's "second value".
    with open(os.path.join(d, "mix.yaml"), "w") as fh:
        fh.write('{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}\n'
                 '---\nfoo: [bad\n')
    p = kscmp("validate", "-f", os.path.join(d, "mix.yaml"))
    check(p.returncode == 1 and "second JSON value" not in p.stderr and
          "mix.yaml:4: malformed" in p.stderr,
          "validate: YAML after a JSON document is judged as YAML", p.stderr)
    # Past 1 MiB, jansson does not read the text again (its tree has no bound of its own).
    with open(os.path.join(d, "big.json"), "w") as fh:
        fh.write('{"' + "a" * 1100 + '": 1, "k": [' + "0," * 600000 + '0,]}\n')
    p = kscmp("validate", "-f", os.path.join(d, "big.json"))
    check(p.returncode == 1 and "big.json:1: malformed JSON:" in p.stderr,
          "validate: a large JSON text's syntax error in libyaml's words", p.stderr)


def test_unreachable(d):
    """A cluster command that cannot connect says why in the system's words, not the "Error"
    of a libcurl built without its verbose strings."""
    kc = write(d, "kubeconfig", "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: "
               "{server: \"https://127.0.0.1:1\"}}]\nusers: [{name: u, user: {token: x}}]\n"
               "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n")
    p = kscmp("status", "--kubeconfig", kc, timeout=60)
    check(p.returncode == 1 and "Failed to connect to 127.0.0.1 port 1" in p.stderr and
          p.stderr.rstrip().endswith(": Connection refused") and ": Error" not in p.stderr,
          "status, nothing listening: the reason is the system's (Connection refused)", p.stderr)
    # Exit 1 as for problems (the product's statuses are 0, 1, 2): what tells "could not ask"
    # apart, as docs/cli.md and --help say, is an empty standard output, with -o json too.
    for fmt in ("text", "json"):
        p = kscmp("status", "--kubeconfig", kc, "-o", fmt, timeout=60)
        check(p.returncode == 1 and p.stdout == "" and "Connection refused" in p.stderr,
              f"status -o {fmt}, cluster unreachable: exit 1, nothing on stdout, the reason on "
              "stderr", p.stdout + p.stderr)
    p = kscmp("status", "--help")
    check(p.returncode == 0 and "1 problems found, or the cluster could not be read" in p.stdout
          and "standard output is empty and standard error says why" in p.stdout,
          "status --help: its exit statuses, and how to tell the two 1s apart", p.stdout)


def test_duplicate_key(d):
    """A duplicate key names the object it is in and the key's path there."""
    f = write(d, "dup.yaml", policy("a", "  seccomp: {syscalls: [read], action: Allow}\n"
                                         "  defaultAction: Block\n  defaultAction: Allow\n"))
    p = kscmp("validate", "-f", f)
    check(p.returncode == 1 and f"{f}:7: SeccompPolicy demo/a: duplicate key "
          "\"spec.defaultAction\" (first at line 6)" in p.stderr,
          "validate: a duplicate key names its object and path", p.stderr)
    # validate reads on past such a document (the next one is judged too); the agent and
    # compile stop at it (a file that is not read whole is not taken in part).
    f = write(d, "dup2.yaml", policy("a", "  defaultAction: Block\n  defaultAction: Allow\n"),
              policy("b", "  bogusField: 1\n"), policy("c", "  seccomp: {syscalls: [read], action: Allow}\n"))
    p = kscmp("validate", "-f", f)
    check(p.returncode == 1 and "duplicate key \"spec.defaultAction\"" in p.stderr and
          "SeccompPolicy demo/b: spec.bogusField" in p.stderr and
          "1 file or document could not be read" in p.stderr,
          "validate: the document after a duplicate key is judged too", p.stderr)
    p = kscmp("compile", "-f", f, "--policy", "demo/c")
    check(p.returncode == 1 and "duplicate key" in p.stderr and p.stdout == "",
          "compile: a file with a duplicate key stops it", p.stderr)
    # The first key is found by its own text, not by line and name: a sibling on the same
    # line with the same key is not taken for it.
    f = write(d, "dup3.yaml", "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: "
              "{name: a, namespace: demo}\nspec: {x: {a: 1}, z: {a: 1, a: 2}}\n")
    p = kscmp("validate", "-f", f)
    check(p.returncode == 1 and "duplicate key \"spec.z.a\"" in p.stderr,
          "validate: a duplicate key's path is its own mapping's", p.stderr)
    # Two objects without '---' between them are refused whole: a child of the first is told
    # where its parent may be, beside "not found", and no nearer name is offered for it alone.
    f = write(d, "nodash.yaml", policy("base", "  seccomp: {syscalls: [read], action: Allow}\n") +
              policy("web", "  seccomp: {syscalls: [write], action: Allow}\n"),
              policy("app", "  extends: base\n  seccomp: {syscalls: [open], action: Allow}\n"))
    p = kscmp("validate", "-f", f)
    check(p.returncode == 1 and "two objects without a '---' line" in p.stderr and
          "parent \"base\" not found (no SeccompPolicy demo/base); it may be in a file or "
          "document that could not be read (above)" in p.stderr,
          "validate: a parent in a document that could not be read is said to be maybe there",
          p.stderr)
    f = write(d, "nodash-ok.yaml",
              policy("app", "  extends: base\n  seccomp: {syscalls: [open], action: Allow}\n"))
    p = kscmp("validate", "-f", f)
    check(p.returncode == 1 and "parent \"base\" not found" in p.stderr and
          "could not be read" not in p.stderr,
          "validate: with every document read, a missing parent is only missing", p.stderr)


def test_proof(d):
    """compile and explain refuse what the agent's proof refuses (libseccomp's program looser
    than the profile), naming the syscall; the same policies for x86_64 alone compile."""
    body = ("  selector: {}\n  seccomp: {%ssyscalls: [personality], action: Kill, args: "
            "[{index: 0, value: %s, op: LT}]}\n")
    for arch, ok in (("", False), ("arch: [x86_64], ", True)):
        f = write(d, f"p{int(ok)}.yaml", policy("a", body % (arch, 16)),
                  policy("b", body % (arch, 4294967296)), pod("web", "kscmp/demo/web.json"))
        for cmd in ("compile", "explain"):
            p = kscmp(cmd, "-f", f, "--pod", f, "--arch", "x86_64")
            if ok:
                check(p.returncode == 0 and "personality" in p.stdout,
                      f"{cmd}: nested ranges on x86_64 alone: written as one rule", p.stderr)
            else:
                check(p.returncode == 1 and "ProfileRefused: kscmp/demo/web.json: the agent would "
                      "not write this profile: libseccomp built a filter looser than the profile: "
                      "\"personality\" on SCMP_ARCH_X86" in p.stderr and p.stdout == "",
                      f"{cmd}: a value above 32 bits with x86 is refused, as the agent refuses it",
                      p.stderr)
        p = kscmp("compile", "-f", f, "--policy", "demo/b", "--arch", "x86_64")
        check((p.returncode == 0) == ok and ("ProfileRefused: demo/b:" in p.stderr) != ok,
              f"compile --policy: refused {'never' if ok else 'with x86'}", p.stderr)
        # validate says so too (a warning: merged with a policy that narrows the
        # architectures, the file may be written), and names b, not a.
        p = kscmp("validate", "-f", f, "--arch", "x86_64")
        warned = "SeccompPolicy demo/b: ProfileRefused: a file of this policy alone would not " \
                 "be written: " in p.stderr
        check(p.returncode == 0 and warned != ok and "demo/a: ProfileRefused" not in p.stderr
              and "valid     SeccompPolicy demo/b" in p.stdout,
              f"validate: {'no warning' if ok else 'a warning'} for a value above 32 bits "
              f"{'on x86_64 alone' if ok else 'with x86'}", p.stdout + p.stderr)


def test_import_checked(d):
    """import refuses, writing nothing, a profile whose policy would be invalid (more rules
    than a policy may hold), naming why; and keeps libseccomp's reading of a MASKED_EQ value
    with bits outside the mask, saying so."""
    rules = [{"names": ["personality"], "action": "SCMP_ACT_KILL_PROCESS",
              "args": [{"index": 0, "value": i, "op": "SCMP_CMP_EQ"}]} for i in range(300)]
    big = write(d, "big.json", json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": rules}))
    out = os.path.join(d, "big.yaml")
    p = kscmp("import", "-f", big, "--name", "big", "-n", "apps", "-o", out)
    check(p.returncode == 1 and not os.path.exists(out) and
          "kscmp: error: the profile cannot be imported as it is, the policy would be invalid: "
          in p.stderr and "300 rules, more than the 256" in p.stderr,
          "import: a profile over a policy's bounds is refused, nothing written", p.stderr)
    m = write(d, "m.json", json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["personality"], "action": "SCMP_ACT_KILL_PROCESS", "args": [
            {"index": 0, "value": 255, "valueTwo": 511, "op": "SCMP_CMP_MASKED_EQ"}]}]}))
    p = kscmp("import", "-f", m, "--name", "m", "-n", "apps")
    check(p.returncode == 0 and "valueTwo: 255, op: MASKED_EQ" in p.stdout and
          "MASKED_EQ valueTwo 0x1ff has bits outside the mask 0xff" in p.stderr,
          "import: MASKED_EQ outside the mask keeps libseccomp's reading, said", p.stdout + p.stderr)
    f = write(d, "m.yaml", p.stdout)
    p = kscmp("compile", "-f", f, "--policy", "apps/m", "--startup-syscalls", "none")
    check(p.returncode == 0 and '"valueTwo": 255' in p.stdout,
          "import: that rule compiles (a Kill kept)", p.stderr)


def test_over_bounds(d):
    """A policy within its own bounds whose chain adds up past a profile's (256 argument
    conditions): validate warns, naming the bound, and goes on to the next policy; compile
    says why it exits 1 (both once exited 1, or validate stopped, without a word)."""
    docs = []
    calls = (("personality", "setns"), ("socket", "mkdir"), ("kill", "ptrace"))
    for i in range(3):
        # 100 conditions each (50 on each of two syscalls of its own: a child's rules replace
        # its parent's for the syscalls they name)
        rules = "".join(f"  - {{syscalls: [{calls[i][k % 2]}], action: Kill, args: [{{index: 0, "
                        f"value: {k}, op: EQ}}]}}\n" for k in range(100))
        ext = f"  extends: p{i - 1}\n" if i else ""
        docs.append(policy(f"p{i}", ext + "  rules:\n" + rules))
    docs.append(policy("zz", "  seccomp: {syscalls: [read], action: Allow}\n"))
    f = write(d, "chain.yaml", *docs)
    p = kscmp("validate", "-f", f, "--arch", "x86_64")
    check(p.returncode == 0 and "SeccompPolicy demo/p2: ProfileRefused: a file of this policy "
          "alone would not be written: the profile would hold" in p.stderr and
          "valid     SeccompPolicy demo/zz" in p.stdout,
          "validate: a chain past a profile's bounds is a warning, and the next policy is read",
          p.stdout + p.stderr)
    p = kscmp("compile", "-f", f, "--policy", "demo/p2", "--arch", "x86_64")
    check(p.returncode == 1 and "kscmp: error: ProfileRefused: demo/p2: the agent would not "
          "write this profile: the profile would hold" in p.stderr and p.stdout == "",
          "compile: a profile past its bounds says why", p.stderr)


def test_policy_names_bound(d):
    """The hostile-tenant trial: a policy at the block bounds (256 x 1024 names) cost every agent
    about 2 MiB; the names of a whole policy are bounded (4096), the one past it named."""
    names = ", ".join(["read"] * 1024)
    body = "  rules:\n" + "".join(f"  - {{syscalls: [{names}], action: Block}}\n" for _ in range(4))
    p = kscmp("validate", "-f", write(d, "names-4096.yaml", policy("big", body)))
    check(p.returncode == 0 and "valid     SeccompPolicy demo/big" in p.stdout,
          "4096 names in a policy: valid", p.stdout + p.stderr[-500:])
    f = write(d, "names-4097.yaml", policy("big", body + "  - {groups: ['@clock'], action: Block}\n"))
    p = kscmp("validate", "-f", f)
    check(p.returncode == 1 and f"{f}:10: SeccompPolicy demo/big: spec.rules[4].groups[0]: more "
          "than 4096 names in the policy (the syscalls and groups of all its blocks together" in p.stderr,
          "4097 names in a policy: invalid, the name past the bound named", p.stderr[-500:])


def test_full_output(d):
    """What a command prints must reach stdout: a profile cut short by a full disk is no
    success (exit 1, the reason on stderr)."""
    if not os.path.exists("/dev/full"):
        R.bad("/dev/full", "this system has no /dev/full")
        return
    ex = os.path.join(ROOT, "examples")
    prof = os.path.join(d, "p.json")
    with open(prof, "w") as f:
        f.write('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": '
                '[{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}')
    for args in (["compile", "-f", ex, "--policy", "demo/api"], ["explain", "-f", ex, "--policy", "demo/api"],
                 ["validate", "-f", ex], ["list", "-f", ex], ["tree", "-f", ex, "demo/base"],
                 ["groups"], ["import", "-f", prof, "--name", "x"], ["version"], ["--help"],
                 ["explain", "-f", ex, "--policy", "demo/api", "--arch", "x86_64"],
                 ["help", "explain"]):
        with open("/dev/full", "w") as full:
            p = subprocess.run([KSCMP, *args], stdout=full, stderr=subprocess.PIPE, text=True,
                               timeout=60)
        # The reason, a flush in the middle of a long output (explain's) too: stdio keeps
        # only that a write failed (a new-user trial: "writing to standard output failed").
        check(p.returncode == 1 and
              "kscmp: error: writing to standard output: No space left on device\n" in p.stderr,
              f"kscmp {' '.join(a for a in args if not os.path.isabs(a))} to a full disk: exit 1 and the reason",
              p.stderr)


def test_namespace_unknown(d):
    # A ClusterSeccompPolicy that reads Namespace labels, and a pod whose Namespace is not among
    # the files: the profile is not printed (it could lack that policy's rules), exit 1; with the
    # Namespace it is, with them. A selector on the name alone needs no Namespace object.
    guard = policy("guard", "  selector: {}\n  namespaceSelector: {matchLabels: {env: prod}}\n"
                   "  rules: [{syscalls: [ptrace], action: Kill}]\n", ns=None,
                   kind="ClusterSeccompPolicy")
    web = policy("web", "  defaultAction: Allow\n  rules: [{syscalls: [mount], action: Block}]\n")
    pols = write(d, "pols.yaml", guard, web)
    pods = write(d, "pods.yaml", pod("web-1", "kscmp/demo/web.json"))
    ns = write(d, "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: demo, labels: {env: prod}}\n")
    p = kscmp("compile", "-f", pols, "--pod", pods)
    check(p.returncode == 1 and p.stdout == "" and "NamespaceUnknown" in p.stderr and
          "ClusterSeccompPolicy guard" in p.stderr and "Namespace demo" in p.stderr,
          "compile: a pod's Namespace missing where a namespaceSelector reads labels: exit 1, "
          "NamespaceUnknown naming the policy and the Namespace", p.stdout + p.stderr)
    p = kscmp("compile", "-f", pols, "-f", ns, "--pod", pods)
    ok = p.returncode == 0
    prof = json.loads(p.stdout) if ok else {}
    check(ok and effective(prof, "ptrace") == "SCMP_ACT_KILL_PROCESS",
          "compile: with the Namespace, its labels decide (ptrace killed)", p.stdout + p.stderr)
    byname = policy("guard", "  selector: {}\n  namespaceSelector: {matchLabels: "
                    "{kubernetes.io/metadata.name: demo}}\n"
                    "  rules: [{syscalls: [ptrace], action: Kill}]\n", ns=None,
                    kind="ClusterSeccompPolicy")
    p = kscmp("compile", "-f", write(d, "byname.yaml", byname, web), "--pod", pods)
    ok = p.returncode == 0
    prof = json.loads(p.stdout) if ok else {}
    check(ok and effective(prof, "ptrace") == "SCMP_ACT_KILL_PROCESS",
          "compile: a namespaceSelector on kubernetes.io/metadata.name needs no Namespace object",
          p.stdout + p.stderr)

    # The Namespace in two files with other labels: which labels it has is not known; the
    # one read last never decides silently (env: dev would drop the guard). The same labels
    # twice: a warning, read once.
    dev = write(d, "ns-dev.yaml", "apiVersion: v1\nkind: Namespace\n"
                "metadata: {name: demo, labels: {env: dev}}\n")
    p = kscmp("compile", "-f", pols, "-f", ns, "-f", dev, "--pod", pods)
    check(p.returncode == 1 and p.stdout == "" and
          f"{dev}:1: Namespace demo: defined twice (first at {ns}:1), with other labels" in p.stderr,
          "compile: a Namespace defined twice with other labels: exit 1, both places named",
          p.stdout + p.stderr)
    p = kscmp("validate", "-f", pols, "-f", ns, "-f", dev)
    check(p.returncode == 1 and "Namespace demo: defined twice" in p.stderr and
          "1 object defined a second time" in p.stderr,
          "validate: a Namespace defined twice with other labels: exit 1", p.stdout + p.stderr)
    same = write(d, "ns-same.yaml", "apiVersion: v1\nkind: Namespace\n"
                 "metadata: {name: demo, labels: {env: prod}}\n")
    p = kscmp("compile", "-f", pols, "-f", ns, "-f", same, "--pod", pods)
    ok = p.returncode == 0
    prof = json.loads(p.stdout) if ok else {}
    check(ok and effective(prof, "ptrace") == "SCMP_ACT_KILL_PROCESS" and
          "with the same labels: read once" in p.stderr,
          "compile: a Namespace defined twice with the same labels: a warning, used",
          p.stdout + p.stderr)


def test_file_given_twice(d):
    # A file given twice, or by its folder and by name, or through a link, is read once: not an
    # object "defined twice" at the same place.
    f = write(d, "web.yaml", policy("web", "  seccomp: {syscalls: [read], action: Allow}\n"))
    os.symlink(f, os.path.join(d, "link.yaml.txt"))
    for args, want in [(["-f", d, "-f", f], f"{f}: given more than once, read once"),
                       (["-f", f, "-f", os.path.join(d, "link.yaml.txt")],
                        f"{os.path.join(d, 'link.yaml.txt')}: the same file as {f}, read once")]:
        p = kscmp("validate", *args)
        check(p.returncode == 0 and want in p.stderr and "defined twice" not in p.stderr
              and p.stdout.count("valid     SeccompPolicy demo/web") == 1,
              f"validate {' '.join(args)}: read once, a warning, exit 0", p.stdout + p.stderr)


def test_folder_named_like_a_manifest(d):
    # A folder named like a manifest (DIR/extra.yaml/) is not entered, by any command that reads
    # a folder, nor by the agent: a warning naming it, and the files read (exit 0).
    write(d, "web.yaml", policy("web", "  seccomp: {syscalls: [read], action: Allow}\n"))
    sub = os.path.join(d, "extra.yaml")
    os.mkdir(sub)
    want = f"kscmp: warning: {sub} is a folder: not read (sub-folders are not entered)\n"
    for args in (["validate", "-f", d], ["compile", "-f", d, "--policy", "demo/web"]):
        p = kscmp(*args, "--arch", "x86_64")
        check(p.returncode == 0 and p.stderr == want,
              f"{args[0]} -f DIR: a folder named like a manifest is said, not read", p.stderr)
    imp = os.path.join(d, "imp")
    os.mkdir(imp)
    write(imp, "oci.json", '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": '
          '[{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}\n')
    sub = os.path.join(imp, "extra.json")
    os.mkdir(sub)
    p = kscmp("import", "-f", imp, "--name", "x")
    check(p.returncode == 0 and f"kscmp: warning: {sub} is a folder: not read" in p.stderr and
          "kind: SeccompPolicy" in p.stdout,
          "import -f DIR: a folder named like a profile is said, not read", p.stdout + p.stderr)


def test_double_typo(d):
    """A new-user trial: apiVersion and kind both misspelled was skipped without a word (one
    typo was caught). It is an error in validate, compile and the --local agent alike; foreign
    objects beside it are still skipped."""
    bad = ("apiVersion: kscmp.oi/v1\nkind: SecompPolicy\nmetadata: {name: web, namespace: demo}\n"
           "spec:\n  seccomp: {syscalls: [read], action: Allow}\n")
    src = os.path.join(d, "src")
    os.mkdir(src)
    path = write(src, "typo.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
                 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", bad,
                 policy("ok", "  seccomp: {syscalls: [read], action: Allow}\n"))
    want = (f"{path}:9: SecompPolicy demo/web: apiVersion: \"kscmp.oi/v1\" with kind "
            "\"SecompPolicy\" is not an object kscmp reads, but looks like a misspelled "
            "SeccompPolicy of kscmp.io/v1")
    p = kscmp("validate", "-f", path, "--arch", "x86_64")
    check(p.returncode == 1 and want in p.stderr and
          p.stdout == "valid     SeccompPolicy demo/ok\n" and
          "1 file or document could not be read" in p.stderr,
          "validate: apiVersion and kind both misspelled is an error naming file, document and "
          "field; the Deployment and ConfigMap are skipped", p.stdout + p.stderr)
    p = kscmp("compile", "-f", path, "--policy", "demo/ok", "--arch", "x86_64")
    check(p.returncode == 1 and want in p.stderr and p.stdout == "",
          "compile: apiVersion and kind both misspelled stops it, as one typo does", p.stderr)
    root = os.path.join(d, "kubelet")
    os.mkdir(root)
    p = kscmp("agent", "--local", src, "--kubelet-root", root, "--once", "--metrics-addr", "off",
              cwd=d)
    check(p.returncode == 1 and want in p.stderr and
          "1 manifest(s) could not be read" in p.stderr,
          "agent --local: apiVersion and kind both misspelled: the file is not used, as with one "
          "typo", p.stderr)


def test_list_kinds(d):
    """A new-user trial: list printed demo/web twice, for a SeccompPolicy and a
    KubeArmorSeccompPolicy of that name, with nothing to tell them apart. Such lines name their
    kind; the others stay NS/NAME alone (what scripts and vector 23 read)."""
    ka = ("apiVersion: security.kubearmor.com/v1\nkind: KubeArmorSeccompPolicy\n"
          "metadata: {name: web, namespace: demo}\nspec:\n"
          "  seccomp: {syscalls: [write], action: Allow}\n")
    path = write(d, "kinds.yaml", ka,
                 policy("web", "  seccomp: {syscalls: [read], action: Allow}\n"),
                 policy("webz", "  seccomp: {syscalls: [read], action: Allow}\n"),
                 policy("web", "  seccomp: {syscalls: [read], action: Allow}\n", ns="other"),
                 policy("web", "  seccomp: {syscalls: [read], action: Allow}\n", ns=None,
                        kind="ClusterSeccompPolicy"))
    p = kscmp("list", "-f", path)
    check(p.returncode == 0 and p.stdout.splitlines() == [
        "web", "demo/web (SeccompPolicy)", "demo/web (KubeArmorSeccompPolicy)", "demo/webz",
        "other/web"], "list: a NS/NAME two kinds share names the kind on each line",
          p.stdout + p.stderr)
    p = kscmp("list", "-f", path, "demo/web")
    check(p.returncode == 0 and p.stdout.splitlines() == [
        "demo/web (SeccompPolicy)", "demo/web (KubeArmorSeccompPolicy)", "demo/webz"],
          "list PREFIX: the same", p.stdout + p.stderr)
    # compile --policy NS/NAME with both kinds: the SeccompPolicy, said; KIND/NS/NAME picks.
    p = kscmp("compile", "-f", path, "--policy", "demo/web", "--startup-syscalls", "none")
    check(p.returncode == 0 and '"read"' in p.stdout and "kscmp: warning: demo/web is both a "
          "SeccompPolicy and a KubeArmorSeccompPolicy: the SeccompPolicy is the one used here"
          in p.stderr, "compile --policy NS/NAME of two kinds: the SeccompPolicy, said",
          p.stdout + p.stderr)
    p = kscmp("compile", "-f", path, "--policy", "KubeArmorSeccompPolicy/demo/web",
              "--startup-syscalls", "none")
    check(p.returncode == 0 and '"write"' in p.stdout and p.stderr == "",
          "compile --policy KubeArmorSeccompPolicy/NS/NAME: that one", p.stdout + p.stderr)


def test_refused_hint(d):
    # validate's ProfileRefused hint that a merge which narrows the architectures may be
    # written: only where the proof names an architecture other than the node's.
    x32 = write(d, "x32.yaml", policy("a", "  defaultAction: Allow\n  rules:\n  - {syscalls: [kill], "
                "action: Block, args: [{index: 1, value: 4294967296, op: EQ}], "
                "arch: [x86_64, x32]}\n"))
    p = kscmp("validate", "-f", x32, "--arch", "x86_64")
    check(p.returncode == 0 and "on SCMP_ARCH_X32" in p.stderr and
          "narrows the architectures, it may be" in p.stderr,
          "validate: a refusal on x32 says a merge that leaves x32 out may be written",
          p.stdout + p.stderr)
    own = write(d, "own.yaml", policy("c", "  defaultAction: Allow\n  rules:\n"
                "  - {syscalls: [mkdir], action: Block, args: [{index: 1, value: 16, op: GT}], "
                "arch: [x86_64]}\n"
                "  - {syscalls: [mkdir], action: Block, args: [{index: 1, value: 0, op: GT}, "
                "{index: 3, value: 16, op: EQ}], arch: [x86_64]}\n"))
    p = kscmp("validate", "-f", own, "--arch", "x86_64")
    check(p.returncode == 0 and "on SCMP_ARCH_X86_64" in p.stderr and "ProfileRefused" in p.stderr
          and "narrows the architectures" not in p.stderr,
          "validate: a refusal on the node's own architecture gives no such hint",
          p.stdout + p.stderr)


def test_warnings_of_others(d):
    """compile and explain print the warnings of the policies that make the profile asked for
    (the contributors and the policies they extend), and count the others' in one line: a
    warning of a policy that selects another pod reads as a problem of this profile."""
    a = policy("a", "  selector: {matchLabels: {app: a}}\n"
                    "  rules: [{syscalls: [arch_prctl, read], action: Allow}]\n")
    b = policy("b", "  selector: {matchLabels: {app: b}}\n"
                    "  rules: [{syscalls: [iopl, write], action: Allow}]\n")
    pods = write(d, "pods.yaml", pod("a-1", "kscmp/demo/a.json", labels="{app: a}"))
    note = ("kscmp: note: 1 warning of policies that do not contribute to {} not shown "
            "('kscmp validate -f' lists them)\n")
    path = write(d, "two.yaml", a, b)
    for cmd in ("compile", "explain"):
        p = kscmp(cmd, "-f", path, "--arch", "aarch64", "--pod", pods)
        check(p.returncode == 0 and p.stdout != "" and "demo/b" not in p.stderr and
              'SeccompPolicy demo/a: spec.rules[0].syscalls[0]: syscall "arch_prctl" does not '
              "exist on aarch64, arm: dropped\n" in p.stderr and
              p.stderr.endswith(note.format("kscmp/demo/a.json")),
              f"{cmd} --pod: the contributor's warning, one line counting the other's", p.stderr)
    p = kscmp("compile", "-f", write(d, "one.yaml", a), "--arch", "aarch64", "--pod", pods)
    check(p.returncode == 0 and p.stderr.count("\n") == 1 and "arch_prctl" in p.stderr,
          "compile --pod: no other policy, no line counting them", p.stderr)
    p = kscmp("validate", "-f", path, "--arch", "aarch64")
    check(p.returncode == 0 and '"arch_prctl"' in p.stderr and '"iopl"' in p.stderr and
          "note:" not in p.stderr, "validate: every policy's warnings", p.stderr)
    # A parent's warning is one of its child's profile; its sibling's is not.
    base = policy("base", "  rules: [{syscalls: [iopl, read], action: Allow}]\n")
    child = policy("a", "  extends: base\n  selector: {matchLabels: {app: a}}\n"
                        "  rules: [{syscalls: [write], action: Allow}]\n")
    other = policy("b", "  selector: {matchLabels: {app: b}}\n"
                        "  rules: [{syscalls: [ioperm, write], action: Allow}]\n")
    path = write(d, "extends.yaml", base, child, other)
    for cmd, args, what in (("compile", ("--pod", pods), "kscmp/demo/a.json"),
                            ("explain", ("--pod", pods), "kscmp/demo/a.json"),
                            ("compile", ("--policy", "demo/a"), "the profile of demo/a"),
                            ("explain", ("--policy", "demo/a"), "the profile of demo/a")):
        p = kscmp(cmd, "-f", path, "--arch", "aarch64", *args)
        check(p.returncode == 0 and p.stdout != "" and 'SeccompPolicy demo/base: '
              'spec.rules[0].syscalls[0]: syscall "iopl" does not exist' in p.stderr and
              "ioperm" not in p.stderr and p.stderr.endswith(note.format(what)),
              f"{cmd} {args[0]}: the parent's warning, not the other policy's", p.stderr)
    # An invalid child: the engine names no parent for it, so nothing is held back.
    child = policy("a", "  extends: base\n  selector: {matchLabels: {app: a}}\n"
                        "  rules: [{syscalls: [mkdirr], action: Allow}]\n")
    path = write(d, "invalid-child.yaml", base, child, other)
    for args in (("--pod", pods), ("--policy", "demo/a")):
        p = kscmp("compile", "-f", path, "--arch", "aarch64", *args)
        check(p.returncode == 1 and 'unknown syscall "mkdirr"' in p.stderr and
              'SeccompPolicy demo/base: spec.rules[0].syscalls[0]: syscall "iopl"' in p.stderr
              and "note:" not in p.stderr,
              f"compile {args[0]} of an invalid child: its parent's warning still printed",
              p.stderr)

    # A policy of the files whose metadata.namespace was not taken as written: its warning is
    # printed, contributor or not (it is likely why it does not contribute).
    nons = ("apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: a}\nspec:\n"
            "  selector: {matchLabels: {app: a}}\n  rules: [{syscalls: [mkdir], action: Block}]\n")
    path = write(d, "no-namespace.yaml", a, nons)
    p = kscmp("compile", "-f", path, "--pod", pods)
    check(p.returncode == 0 and 'SeccompPolicy default/a: no metadata.namespace: it is in '
          'namespace "default"' in p.stderr and "note:" not in p.stderr,
          "compile --pod: a policy put in default for want of a namespace is said", p.stderr)


def test_parent_hints(d):
    """A missing parent's error is followed by what was likely meant: a ClusterSeccompPolicy of
    that name, or the nearest name among the policies the parent is looked for in."""
    cluster = policy("baseline", "  rules: [{syscalls: [ptrace], action: Block}]\n", ns=None,
                     kind="ClusterSeccompPolicy")
    base = policy("base", "  rules: [{syscalls: [mount], action: Block}]\n")
    web = policy("web", "  extends: baseline\n  rules: [{syscalls: [mkdir], action: Block}]\n")
    p = kscmp("validate", "-f", write(d, "hint-cluster.yaml", cluster, base, web))
    check(p.returncode == 1 and 'parent "baseline" not found (no SeccompPolicy demo/baseline); '
          "there is a ClusterSeccompPolicy baseline: write ClusterSeccompPolicy/baseline\n"
          in p.stderr, "validate: a bare name of a ClusterSeccompPolicy", p.stderr)
    web = policy("web", "  extends: bsae\n  rules: [{syscalls: [mkdir], action: Block}]\n")
    path = write(d, "hint-near.yaml", cluster, base, web)
    for args in (("validate", "-f", path), ("compile", "-f", path, "--policy", "demo/web"),
                 ("tree", "-f", path, "demo/web")):
        p = kscmp(*args)
        check(p.returncode == 1 and 'parent "bsae" not found (no SeccompPolicy demo/bsae); did '
              'you mean "base"?\n' in p.stderr, f"{args[0]}: the nearest name", p.stderr)
    web = policy("web", "  extends: zzz\n  rules: [{syscalls: [mkdir], action: Block}]\n")
    p = kscmp("validate", "-f", write(d, "hint-none.yaml", cluster, base, web))
    check(p.returncode == 1 and 'parent "zzz" not found (no SeccompPolicy demo/zzz)\n'
          in p.stderr, "validate: nothing near, no hint", p.stderr)


def typo_policies(d):
    """demo/base, demo/web extending it and ClusterSeccompPolicy baseline, for the typo tests."""
    return write(d, "good.yaml",
                 policy("base", "  seccomp: {syscalls: [read], action: Allow}\n"),
                 policy("web", "  extends: base\n  seccomp: {syscalls: [write], action: Allow}\n"),
                 policy("baseline", "  seccomp: {syscalls: [bpf], action: Block}\n", ns=None,
                        kind="ClusterSeccompPolicy"))


ARCH = ("--arch", "x86_64")


def test_pod_typos(d):
    """Typos in a --pod file (trial-typos): the field at fault is named, with the fix."""
    good = typo_policies(d)
    # seccompProfile.type in the wrong case: the type is blamed, not the profile.
    typed = write(d, "typed.yaml", pod("web-1", "kscmp/demo/web.json").replace(
        "type: Localhost", "type: localhost"))
    p = kscmp("compile", "-f", good, "--pod", typed, *ARCH)
    check(p.returncode == 1 and p.stderr == f"kscmp: error: {typed}:6: Pod demo/web-1: "
          "spec.securityContext.seccompProfile.type: unknown type \"localhost\" (Localhost, "
          "RuntimeDefault or Unconfined); did you mean \"Localhost\"?\n",
          "--pod with type: localhost: names the type and Localhost", p.stderr)
    # A localhostProfile without kscmp/: the pods' own profile is named, with the fix.
    for ref, near in (("demo/web.json", "kscmp/demo/web.json"), ("web.json", "kscmp/demo/web.json"),
                      ("profiles/web.json", None)):
        nopre = write(d, "nopre.yaml", pod("web-1", ref))
        p = kscmp("compile", "-f", good, "--pod", nopre, *ARCH)
        hint = f" (did you mean {near}?)" if near else ""
        check(p.returncode == 1 and p.stderr == f"kscmp: error: {nopre}:6: Pod demo/web-1: the "
              "pods use no kscmp/ localhost profile (kscmp writes kscmp/NAMESPACE/NAME.json); "
              f"their localhostProfile: {ref}{hint}\n",
              f"--pod with localhostProfile {ref}: says which profile the pods use", p.stderr)
    several = write(d, "several.yaml", *(pod(f"p{i}", f"other/p{i}.json") for i in range(5)))
    p = kscmp("explain", "-f", good, "--pod", several, *ARCH)
    check(p.returncode == 1 and "their localhostProfile: other/p0.json, other/p1.json, "
          "other/p2.json and 2 more\n" in p.stderr, "five foreign profiles: three named, and the "
          "count of the others", p.stderr)
    # localHostProfile (misspelt key) next to type Localhost: the key is named, at its line.
    keytypo = write(d, "keytypo.yaml", pod("web-1", "kscmp/demo/web.json").replace(
        "{type: Localhost, localhostProfile:", "\n      type: Localhost\n      localHostProfile:")
                    .replace("\"}", "\""))
    p = kscmp("compile", "-f", good, "--pod", keytypo, *ARCH)
    check(p.returncode == 1 and p.stderr == f"kscmp: error: {keytypo}:8: Pod demo/web-1: "
          "spec.securityContext.seccompProfile.localHostProfile: unknown field; did you mean "
          "\"localhostProfile\"? (required when type is Localhost)\n",
          "--pod with localHostProfile: names the misspelt key at its line", p.stderr)


def test_yaml_typos(d):
    """YAML typos (trial-typos): an unquoted @, a colon without a space after it."""
    for name, body, line, want, title in (
            ("at.yaml", "  seccomp:\n    groups: [@basic-io]\n    action: Allow\n", 6,
             "malformed YAML: found character that cannot start any token while scanning for "
             "the next token (@ cannot start a plain value: quote it: \"@basic-io\")",
             "an unquoted @group: told to quote it"),
            ("glued.yaml", "  seccomp: {syscalls: [read], action:Allow}\n", 5,
             "SeccompPolicy demo/web: spec.seccomp.action:Allow: unknown field; a colon needs a "
             "space after it (\"action: Allow\")",
             "action:Allow in a flow mapping: told the colon needs a space")):
        f = write(d, name, policy("web", body))
        p = kscmp("validate", "-f", f)
        check(p.returncode == 1 and f"{f}:{line}: {want}\n" in p.stderr, title, p.stderr)

def test_name_typos(d):
    """Commands and policy names near a known one (trial-typos): the nearest is named."""
    good = typo_policies(d)
    p = kscmp("valdiate", "-f", good)
    check(p.returncode == 2 and p.stderr == "kscmp: unknown command \"valdiate\"; did you mean "
          "\"validate\"?\nRun 'kscmp help' for the list of commands.\n",
          "a misspelt command: the nearest named, exit 2", p.stderr)
    p = kscmp("frobnicate")
    check(p.returncode == 2 and p.stderr.startswith("kscmp: unknown command \"frobnicate\"\n\n")
          and "Commands:" in p.stderr, "a command near none: the list of commands, exit 2",
          p.stderr)
    # A long option with one dash: getopt would read -pod as -p -o -d, -filename as -f ilename.
    for args, opt in ((("compile", "-f", good, "-pod", good), "-pod"),
                      (("validate", "-filename", good), "-filename")):
        p = kscmp(*args)
        check(p.returncode == 2 and p.stderr.startswith(
              f"kscmp {args[0]}: unrecognized option '{opt}': a long option takes two dashes "
              f"(-{opt})\n"), f"{args[0]} {opt}: two dashes said, exit 2", p.stderr)
    # An option's value is not an option: a file named -pod after -f is read as a file.
    dash = os.path.join(d, "-pod")
    with open(good) as src, open(dash, "w") as dst:
        dst.write(src.read())
    p = kscmp("validate", "-f", "-pod", cwd=d)
    check(p.returncode == 0 and "two dashes" not in p.stderr, "validate -f -pod: a file", p.stderr)
    for cmd in (["tree", "demo/bsae"], ["compile", "--policy", "demo/bsae"]):
        p = kscmp(cmd[0], "-f", good, *cmd[1:], *ARCH)
        check(p.returncode == 1 and p.stderr == "kscmp: error: no policy demo/bsae in the given "
              "files; did you mean demo/base?\n", f"{cmd[0]} demo/bsae: did you mean demo/base",
              p.stderr)
    p = kscmp("explain", "-f", good, "--policy", "demo/baseline", *ARCH)
    check(p.returncode == 1 and p.stderr == "kscmp: error: no policy demo/baseline in the given "
          "files (baseline is a ClusterSeccompPolicy, named without a namespace: baseline)\n",
          "--policy NS/NAME of a ClusterSeccompPolicy: told to drop the namespace", p.stderr)
    p = kscmp("explain", "-f", good, "--policy", "demo/zzzzzz", *ARCH)
    check(p.returncode == 1 and p.stderr == "kscmp: error: no policy demo/zzzzzz in the given "
          "files\n", "a policy near none: no suggestion", p.stderr)


def test_unnamed_profile(d):
    """A file no policy is named after, made by the policies that select its pods alone: said,
    with the nearest policy's file (a misspelt localhostProfile under a cluster-wide policy)."""
    cluster = policy("baseline", "  selector: {}\n  rules: [{syscalls: [ptrace], action: Block}]\n",
                     ns=None, kind="ClusterSeccompPolicy")
    web = policy("web", "  rules: [{syscalls: [mkdir], action: Block}]\n")
    path = write(d, "policies.yaml", cluster, web)
    for cmd in ("compile", "explain"):
        p = kscmp(cmd, "-f", path, "--pod", write(d, "typo.yaml", pod("w", "kscmp/demo/wbe.json")))
        check(p.returncode == 0 and "kscmp: note: no SeccompPolicy demo/wbe, and none of demo "
              "selects its pods: kscmp/demo/wbe.json holds only what ClusterSeccompPolicies give "
              "(did you mean kscmp/demo/web.json?)\n" in p.stderr,
              f"{cmd}: a file the cluster-wide policy alone makes", p.stderr)
    p = kscmp("compile", "-f", path, "--pod", write(d, "right.yaml", pod("w", "kscmp/demo/web.json")))
    check(p.returncode == 0 and "note:" not in p.stderr, "compile: a file named after a policy",
          p.stderr)
    # A file named after no policy, made by policies of its namespace that select its pods (as
    # examples/20-merge.yaml makes kscmp/demo/web.json): as meant, nothing said.
    sel = policy("frontend", "  selector: {matchLabels: {app: web}}\n"
                             "  rules: [{syscalls: [mount], action: Block}]\n")
    p = kscmp("compile", "-f", write(d, "merged.yaml", cluster, sel), "--pod",
              write(d, "merged-pod.yaml", pod("w", "kscmp/demo/merged.json")))
    check(p.returncode == 0 and "note:" not in p.stderr,
          "compile: a file of policies that select its pods", p.stderr)


def main():
    if not os.access(KSCMP, os.X_OK):
        R.bad("set-up", f"{KSCMP} is missing: make build/kscmp")
        return R.finish()
    with tempfile.TemporaryDirectory(prefix="kscmp-cli-") as d:
        for t in (test_chain, test_tree_runtime_default, test_validate_dir, test_empty,
                  test_usage, test_termination_message, test_messages, test_arch, test_dropped_names_bounded, test_inexact_said, test_ceiling, test_name_length,
                  test_startup, test_proof, test_unrelated_invalid, test_json_syntax,
                  test_unreachable, test_duplicate_key, test_full_output,
                  test_namespace_unknown, test_file_given_twice, test_import_checked,
                  test_over_bounds, test_policy_names_bound,
                  test_folder_named_like_a_manifest, test_double_typo, test_list_kinds,
                  test_refused_hint, test_warnings_of_others, test_parent_hints,
                  test_pod_typos, test_yaml_typos, test_name_typos, test_unnamed_profile):
            sub = os.path.join(d, t.__name__)
            os.mkdir(sub)
            t(sub)
        test_groups_and_readme()
        test_help()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
