#!/usr/bin/env python3
"""`kscmp import` end to end: round trips, malformed input, determinism.

Round trip: import a profile, compile the policy with `kscmp compile --startup-syscalls none`,
and have roundtrip.py (an independent reading of the input) check that every syscall gets the
same action, and that the default and the architectures are the same. Inputs: Docker's
default profile and the Security Profiles Operator's examples (fetched at test time through
the Go module proxy by fetch.sh, cached, never committed), and the hand-written edge cases of
cases/. Malformed inputs must exit 1 with a message that names the file, the line and the
field. Prints 'N passed, N failed' (', N skipped' when the outside profiles cannot be had).
"""
import glob, os, stat, subprocess, sys, tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KSCMP = os.environ.get("KSCMP", os.path.join(ROOT, "build", "kscmp"))
CASES = os.path.join(HERE, "cases")
CHECK = [sys.executable, os.path.join(HERE, "roundtrip.py"), "compare"]
DEFAULT_CAPS = ("CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FSETID,CAP_FOWNER,CAP_MKNOD,CAP_NET_RAW,"
                "CAP_SETGID,CAP_SETUID,CAP_SETFCAP,CAP_SETPCAP,CAP_NET_BIND_SERVICE,"
                "CAP_SYS_CHROOT,CAP_KILL,CAP_AUDIT_WRITE")
ALL_CAPS = ("CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_DAC_READ_SEARCH,CAP_FOWNER,CAP_FSETID,CAP_KILL,"
            "CAP_SETGID,CAP_SETUID,CAP_SETPCAP,CAP_LINUX_IMMUTABLE,CAP_NET_BIND_SERVICE,"
            "CAP_NET_BROADCAST,CAP_NET_ADMIN,CAP_NET_RAW,CAP_IPC_LOCK,CAP_IPC_OWNER,"
            "CAP_SYS_MODULE,CAP_SYS_RAWIO,CAP_SYS_CHROOT,CAP_SYS_PTRACE,CAP_SYS_PACCT,"
            "CAP_SYS_ADMIN,CAP_SYS_BOOT,CAP_SYS_NICE,CAP_SYS_RESOURCE,CAP_SYS_TIME,"
            "CAP_SYS_TTY_CONFIG,CAP_MKNOD,CAP_LEASE,CAP_AUDIT_WRITE,CAP_AUDIT_CONTROL,"
            "CAP_SETFCAP,CAP_MAC_OVERRIDE,CAP_MAC_ADMIN,CAP_SYSLOG,CAP_WAKE_ALARM,"
            "CAP_BLOCK_SUSPEND,CAP_AUDIT_READ,CAP_PERFMON,CAP_BPF,CAP_CHECKPOINT_RESTORE")

sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from report import Report  # noqa: E402

R = Report()
ok, bad = R.ok, R.bad
TMP = tempfile.mkdtemp(prefix="kscmp-import-")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def policies(yaml_text):
    """(namespace, name) of every policy of an import's output."""
    out = []
    for d in yaml.safe_load_all(yaml_text):
        if d:
            out.append((d["metadata"].get("namespace", "default"), d["metadata"]["name"]))
    return out


def roundtrip(label, inputs, import_args, arch="x86_64", kernel="6.1", caps=DEFAULT_CAPS,
              fmt="oci", check_input=None, objects=None, containers=None):
    """Imports inputs, compiles every policy, compares each with the input's own reading."""
    args = [KSCMP, "import", "--arch", arch, "--kernel", kernel]
    for f in inputs:
        args += ["-f", f]
    p = run(args + import_args)
    if p.returncode != 0:
        bad(label, f"import exit {p.returncode}: {p.stderr}")
        return None
    out_yaml = os.path.join(TMP, label.replace("/", "_").replace(" ", "_") + ".yaml")
    open(out_yaml, "w").write(p.stdout)
    v = run([KSCMP, "validate", "--arch", arch, "-f", out_yaml])
    if v.returncode != 0:
        bad(label, f"validate of the import exit {v.returncode}: {v.stdout}{v.stderr}")
        return None
    pols = policies(p.stdout)
    for i, (ns, name) in enumerate(pols):
        c = run([KSCMP, "compile", "-f", out_yaml, "--policy", f"{ns}/{name}",
                 "--startup-syscalls", "none", "--arch", arch])
        sub = f"{label}: {ns}/{name}"
        if c.returncode != 0:
            bad(sub, f"compile exit {c.returncode}: {c.stderr}")
            continue
        out_json = out_yaml + f".{i}.json"
        open(out_json, "w").write(c.stdout)
        cmd = CHECK + [check_input or inputs[0], out_json, "--format", fmt, "--arch", arch,
                       "--kernel", kernel, "--caps", caps]
        if fmt == "spo":
            cmd += ["--object", (objects or {}).get(name, name)]
        if fmt == "advisor":
            cmd += ["--container", (containers or {}).get(name, name)]
        r = run(cmd)
        if r.returncode == 0:
            ok(f"{sub} ({r.stdout.strip().splitlines()[-1].replace('roundtrip: ', '')})")
        else:
            bad(sub, r.stdout + r.stderr)
    return p.stdout


def expect_error(label, text, want, args=(), name="bad.json", names_file=True):
    """A malformed input: exit 1, and stderr names the file and contains every want."""
    path = os.path.join(TMP, name)
    open(path, "w").write(text)
    p = run([KSCMP, "import", "--kernel", "6.1", "-f", path] + list(args))
    missing = [w for w in ([path] if names_file else []) + list(want) if w not in p.stderr]
    if p.returncode == 1 and not missing and not p.stdout:
        ok(f"refused: {label}")
    else:
        bad(f"refused: {label}", f"exit {p.returncode}, missing {missing}: {p.stderr}{p.stdout}")


def outside_profiles():
    f = run(["bash", os.path.join(HERE, "fetch.sh")])
    if f.returncode != 0:
        R.skip("Docker's default profile and SPO's examples", f.stderr.strip())
        return
    cache = f.stdout.strip()
    docker = glob.glob(os.path.join(cache, "github.com_moby_profiles_seccomp@*", "default.json"))[0]
    for arch in ("x86_64", "aarch64"):
        for kernel in ("6.1", "4.4"):
            roundtrip(f"docker default {arch} kernel {kernel}", [docker], ["--name", "docker"],
                      arch=arch, kernel=kernel)
    roundtrip("docker default all caps", [docker], ["--name", "docker", "--cap-add", "ALL"],
              caps=ALL_CAPS)
    roundtrip("docker default minus NET_RAW", [docker],
              ["--name", "docker", "--cap-drop", "CAP_NET_RAW,sys_chroot"],
              caps=",".join(c for c in DEFAULT_CAPS.split(",")
                            if c not in ("CAP_NET_RAW", "CAP_SYS_CHROOT")))
    spo = sorted(glob.glob(os.path.join(cache, "sigs.k8s.io_security-profiles-operator@*",
                                        "examples", "*.yaml")))
    used = 0
    runc = None
    for f in spo:
        docs = [d for d in yaml.safe_load_all(open(f)) if d]
        if not docs or any(d.get("kind") != "SeccompProfile" for d in docs):
            continue
        used += 1
        version = f.split("@")[1].split(os.sep)[0]
        roundtrip(f"spo {version} {os.path.basename(f)}", [f], [], fmt="spo")
        if os.path.basename(f) == "baseprofile-runc.yaml" and version == "v0.8.4":
            runc = f
    if used < 8:
        bad("spo examples", f"only {used} example files with SeccompProfile objects (0.8 and 1.0)")
    if runc:
        # A workload profile on SPO's runc base: extends when both are imported ...
        child = os.path.join(CASES, "spo-child-of-runc.yaml")
        both = os.path.join(TMP, "child-and-runc.yaml")
        open(both, "w").write(open(child).read() + "\n---\n" + open(runc).read())
        out = roundtrip("spo child of runc base", [child, runc], [], fmt="spo", check_input=both)
        if out is not None and "extends: runc-v1.1.12" not in out:
            bad("spo child of runc base: extends", out)
        # ... inlined when only the child is imported.
        out = roundtrip("spo child of runc base, inlined", [child, runc], ["--name", "nginx"],
                        fmt="spo", check_input=both)
        if out is not None and ("extends:" in out or "are inlined" not in out):
            bad("spo child of runc base: inlined", out)


def edge_cases():
    roundtrip("oci edge cases", [os.path.join(CASES, "oci-edge.json")], [])
    roundtrip("oci tab-indented", [os.path.join(CASES, "oci-tabs.json")], [])
    for arch in ("x86_64", "aarch64"):
        for kernel, caps in (("5.4", DEFAULT_CAPS), ("6.1", DEFAULT_CAPS + ",CAP_SYS_ADMIN"),
                             ("9.1", DEFAULT_CAPS + ",CAP_SYS_RAWIO")):
            extra = [] if caps == DEFAULT_CAPS else ["--cap-add", caps.split(",")[-1]]
            roundtrip(f"docker extensions {arch} {kernel} {caps.split(',')[-1]}",
                      [os.path.join(CASES, "docker-ext.json")], extra, arch=arch, kernel=kernel,
                      caps=caps)
    bases = os.path.join(CASES, "spo-bases.yaml")
    out = roundtrip("spo bases", [bases], [], fmt="spo")
    if out is not None and ("extends: parent" not in out or "extends: grandparent" not in out):
        bad("spo bases: extends", out)
    out = roundtrip("spo bases, one object", [bases], ["--name", "child"], fmt="spo")
    if out is not None and out.count("The rules of base profile") != 2:
        bad("spo bases, one object: both bases inlined", out)
    out = roundtrip("spo bases, --inline-bases", [bases], ["--inline-bases", "-n", "moved"],
                    fmt="spo")
    if out is not None and ("extends:" in out or "namespace: moved" not in out):
        bad("spo bases, --inline-bases", out)
    roundtrip("spo List, v1alpha1", [os.path.join(CASES, "spo-list.yaml")], [], fmt="spo")
    roundtrip("advisor", [os.path.join(CASES, "advisor.txt")], [], fmt="advisor")
    roundtrip("advisor --name", [os.path.join(CASES, "advisor.txt")], ["--name", "shop"],
              fmt="advisor", containers={"shop-web": "web", "shop-sidecar-log": "sidecar-log"})


def malformed():
    good_head = '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": ['
    cases = [
        ("notify action", good_head + '{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}',
         [":1:", "syscalls[0].action", "SCMP_ACT_NOTIFY"]),
        ("unknown action", good_head + '\n{"names": ["read"], "action": "SCMP_ACT_FOO"}]}',
         [":2:", "syscalls[0].action", "SCMP_ACT_FOO"]),
        ("flags", '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"]}',
         ["flags", "SECCOMP_FILTER_FLAG_LOG"]),
        ("listener", '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock"}',
         ["listenerPath", "notify"]),
        ("defaultErrnoRet", '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38}',
         ["defaultErrnoRet", "38"]),
        ("unknown field", '{"defaultAction": "SCMP_ACT_ERRNO", "seccompVersion": 2}',
         ["seccompVersion", "unknown field"]),
        ("unknown syscall field", good_head + '{"names": ["read"], "action": "SCMP_ACT_ALLOW", '
         '"priority": 3}]}', ["syscalls[0].priority", "unknown field"]),
        ("unknown arch", '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": '
         '["SCMP_ARCH_PARISC"]}', ["architectures[0]", "SCMP_ARCH_PARISC"]),
        ("value over 2^63-1", good_head + '{"names": ["read"], "action": "SCMP_ACT_ALLOW", '
         '"args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}]}',
         ["syscalls[0].args[0].value", "18446744073709551615"]),
        ("index over 5", good_head + '{"names": ["read"], "action": "SCMP_ACT_ALLOW", '
         '"args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}',
         ["syscalls[0].args[0].index"]),
        ("two conditions on one argument", good_head + '{"names": ["read"], "action": '
         '"SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_GE"}, '
         '{"index": 0, "value": 9, "op": "SCMP_CMP_LE"}]}]}', ["syscalls[0].args[1]"]),
        ("errnoRet on allow", good_head + '{"names": ["read"], "action": "SCMP_ACT_ALLOW", '
         '"errnoRet": 5}]}', ["syscalls[0].errnoRet"]),
        ("errno 0", good_head + '{"names": ["read"], "action": "SCMP_ACT_ERRNO", '
         '"errnoRet": 0}]}', ["syscalls[0].errnoRet"]),
        ("bad syscall name", good_head + '{"names": ["Read()"], "action": "SCMP_ACT_ALLOW"}]}',
         ["syscalls[0].names[0]", "Read()"]),
        ("unknown syscall that blocks", '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": '
         '[{"names": ["no_such_call"], "action": "SCMP_ACT_ERRNO"}]}', ["no_such_call"]),
        ("name and names", good_head + '{"name": "read", "names": ["write"], '
         '"action": "SCMP_ACT_ALLOW"}]}', ["syscalls[0]", "name and names"]),
        ("misspelt archMap architecture (another node's entry)",
         '{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_X86_64"},'
         ' {"architecture": "SCMP_ARCH_AARCH_64", "subArchitectures": ["SCMP_ARCH_ARM"]}]}',
         [":1:", "archMap[1].architecture", "SCMP_ARCH_AARCH_64"]),
        ("architectures and archMap", '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": '
         '["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}',
         ["archMap", "both"]),
        ("bad minKernel", good_head + '{"names": ["read"], "action": "SCMP_ACT_ALLOW", '
         '"includes": {"minKernel": "four"}}]}', ["syscalls[0].includes.minKernel"]),
        ("not JSON", '{"defaultAction": ', []),
        ("no defaultAction", '{"syscalls": []}', ["defaultAction", "required"]),
    ]
    for label, text, want in cases:
        expect_error(label, text, want)
    spo = ("apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
           "metadata: {name: p, namespace: ns}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n")
    spo_cases = [
        ("spo disabled", spo + "  disabled: true\n", [":6:", "SeccompProfile ns/p", "spec.disabled"]),
        ("spo oci base", spo + "  baseProfileName: oci://ghcr.io/x/runc:v1\n",
         ["spec.baseProfileName", "oci://"]),
        ("spo missing base", spo + "  baseProfileName: nowhere\n",
         ["spec.baseProfileName", "nowhere", "not in the given files"]),
        ("spo base in another namespace", spo + "  baseProfileName: q\n---\n" +
         spo.replace("name: p, namespace: ns", "name: q, namespace: other"),
         ["spec.baseProfileName", "\"q\" is not in namespace ns", "SeccompProfile other/q",
          "looked up where its profile is"]),
        ("spo base cycle", spo + "  baseProfileName: q\n---\n" +
         spo.replace("name: p", "name: q") + "  baseProfileName: p\n", ["cycle"]),
        ("spo unknown spec field", spo + "  seccompFlags: 1\n", ["spec.seccompFlags"]),
        ("spo syscall field", spo + "  syscalls:\n  - {names: [read], action: SCMP_ACT_ALLOW, "
         "includes: {caps: [CAP_SYS_ADMIN]}}\n", ["spec.syscalls[0].includes", "unknown field"]),
        ("spo newer version", spo.replace("v1beta1", "v2"), ["apiVersion", "v2"]),
        ("spo binding", "apiVersion: security-profiles-operator.x-k8s.io/v1alpha1\nkind: "
         "ProfileBinding\nmetadata: {name: b}\nspec: {}\n", ["ProfileBinding", "migrating"]),
        ("spo twice", spo + "---\n" + spo, ["SeccompPolicy ns/p", "both become"]),
        ("other kind", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", ["ConfigMap"]),
        ("spo bad name", spo.replace("name: p", "name: P_1"), ["metadata.name", "P_1"]),
        ("spo name too long", spo.replace("name: p,", "name: " + "a" * 300 + ","),
         ["metadata.name", "a" * 100 + "...\" is not a DNS-1123 subdomain (more than 253 characters)"]),
        # SPO 1.0: spec.state in place of spec.disabled
        ("spo 1.0 state Disabled", spo.replace("v1beta1", "v1") + "  state: Disabled\n",
         [":6:", "SeccompProfile ns/p", "spec.state", "set state: Enabled"]),
        ("spo 1.0 state not known", spo.replace("v1beta1", "v1") + "  state: Paused\n",
         [":6:", "spec.state", "\"Paused\" is not Enabled or Disabled"]),
        ("spo 1.0 disabled base", spo.replace("v1beta1", "v1") + "  baseProfileName: old\n---\n" +
         spo.replace("v1beta1", "v1").replace("name: p", "name: old") + "  state: Disabled\n",
         ["spec.baseProfileName", "ns/old is disabled", "set state: Enabled there"]),
    ]
    for label, text, want in spo_cases:
        expect_error(label, text, want, name="bad.yaml")
    expect_error("advisor without profile", "// web\n", ["web", "no profile follows"],
                 name="bad.txt")
    expect_error("not advisor output: text before the first // line", "hello\n// web\n{}\n",
                 [":1:"], name="bad.txt")
    for label, text in (("empty file", ""), ("blank file", "\n  \n"),
                        ("only comments", "# nothing here\n---\n# nor here\n")):
        expect_error(label, text, ["no seccomp profile in this file"], name="empty.yaml")
    # An empty file beside a good one is an error too, not skipped.
    good = os.path.join(TMP, "good.json")
    open(good, "w").write('{"defaultAction": "SCMP_ACT_ALLOW"}')
    expect_error("empty file beside a good one", "", ["no seccomp profile in this file"],
                 args=("-f", good), name="empty2.json")
    expect_error("advisor two documents", "// web\n{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n"
                 "---\n{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n", ["second document"],
                 name="bad.txt")
    expect_error("--name selects nothing", spo, ["no SeccompProfile named \"zz\""],
                 args=["--name", "zz"], name="bad.yaml", names_file=False)
    # A disabled profile is refused where it would be imported or inlined as a base, not when
    # --name picks another object of the same file.
    disabled = spo.replace("name: p", "name: old") + "  disabled: true\n"
    path = os.path.join(TMP, "with-disabled.yaml")
    open(path, "w").write(spo + "---\n" + disabled)
    p = run([KSCMP, "import", "--kernel", "6.1", "-f", path, "--name", "p"])
    if p.returncode == 0 and "name: p" in p.stdout and "old" not in p.stdout:
        ok("spo --name past a disabled object of the same file")
    else:
        bad("spo --name past a disabled object of the same file", f"exit {p.returncode}: {p.stderr}")
    expect_error("spo disabled, all imported", spo + "---\n" + disabled,
                 [":12:", "SeccompProfile ns/old", "spec.disabled"], name="bad.yaml")
    expect_error("spo disabled base", spo + "  baseProfileName: old\n---\n" + disabled,
                 [":6:", "SeccompProfile ns/p", "spec.baseProfileName", "ns/old is disabled"],
                 args=["--name", "p"], name="bad.yaml")


def spo_1_0():
    """SPO 0.9 and later: profiles cluster-wide (no metadata.namespace), spec.state (1.0),
    apiVersion v1 (1.0), SCMP_ARCH_NATIVE in architectures."""
    cluster = ("apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\n"
               "metadata:\n  name: web\n  annotations: {description: blocks mkdir}\n"
               "spec:\n  state: Enabled\n  defaultAction: SCMP_ACT_ALLOW\n"
               "  architectures: [SCMP_ARCH_NATIVE]\n"
               "  syscalls:\n  - {names: [mkdir, mkdirat], action: SCMP_ACT_ERRNO}\n")
    path = os.path.join(TMP, "spo-1.0.yaml")
    open(path, "w").write(cluster)
    p = run([KSCMP, "import", "--kernel", "6.1", "--arch", "x86_64", "-f", path, "-n", "shop"])
    docs = [d for d in yaml.safe_load_all(p.stdout) if d] if p.returncode == 0 else []
    spec = docs[0].get("spec", {}) if docs else {}
    if (p.returncode == 0 and len(docs) == 1 and
            docs[0]["metadata"] == {"name": "web", "namespace": "shop"} and
            spec.get("seccomp", {}).get("arch") == ["x86_64"] and "mkdirat" in p.stdout and
            "warning" not in p.stderr):
        ok("spo 1.0 (v1, cluster-wide, state: Enabled, SCMP_ARCH_NATIVE) with -n: imported into "
           "the namespace, the native architecture the one imported for")
    else:
        bad("spo 1.0 with -n", f"exit {p.returncode}: {p.stderr}{p.stdout}")
    p = run([KSCMP, "import", "--kernel", "6.1", "-f", path])
    if (p.returncode == 0 and f"{path}:1: SeccompProfile web: no metadata.namespace" in p.stderr and
            "-n NAMESPACE for each namespace whose pods use it" in p.stderr and
            "namespace:" not in p.stdout):
        ok("spo 1.0 without -n: imported without a namespace, and a warning says what that means")
    else:
        bad("spo 1.0 without -n: a warning", f"exit {p.returncode}: {p.stderr}")


def spo_v1alpha1_errno():
    """SPO's v1alpha1 wrote errnoRet as a string ("38"): read there, refused in later versions."""
    old = ("apiVersion: security-profiles-operator.x-k8s.io/v1alpha1\nkind: SeccompProfile\n"
           "metadata: {name: old, namespace: demo}\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n"
           "  syscalls:\n  - {action: SCMP_ACT_ERRNO, errnoRet: \"38\", names: [mkdir]}\n")
    path = os.path.join(TMP, "v1alpha1.yaml")
    open(path, "w").write(old)
    p = run([KSCMP, "import", "--kernel", "6.1", "--arch", "x86_64", "-f", path])
    if p.returncode == 0 and "errno: ENOSYS" in p.stdout:
        ok("spo v1alpha1: errnoRet \"38\" read as 38 (ENOSYS)")
    else:
        bad("spo v1alpha1 errnoRet string", f"exit {p.returncode}: {p.stderr}{p.stdout}")
    expect_error("spo v1beta1 errnoRet string", old.replace("v1alpha1", "v1beta1"),
                 ["spec.syscalls[0].errnoRet", "must be a whole number"], name="bad.yaml")


def node_arch_note():
    """A list of architectures without the node's own: it is added (a runtime filters it
    whatever the list says), and a comment says so; none when the list has it."""
    path = os.path.join(TMP, "x86only.json")
    open(path, "w").write('{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"],'
                          ' "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}')
    p = run([KSCMP, "import", "--kernel", "6.1", "--arch", "x86_64", "-f", path])
    docs = [d for d in yaml.safe_load_all(p.stdout) if d] if p.returncode == 0 else []
    arch = docs[0].get("spec", {}).get("seccomp", {}).get("arch") if docs else None
    R.check(p.returncode == 0 and arch == ["x86_64", "x86"] and
          "# architectures: x86_64 added" in p.stdout,
          "architectures without the node's own: x86_64 added, and said in a comment",
          f"exit {p.returncode}: {arch} {p.stderr}{p.stdout[:600]}")
    open(path, "w").write('{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],'
                          ' "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}')
    p = run([KSCMP, "import", "--kernel", "6.1", "--arch", "x86_64", "-f", path])
    R.check(p.returncode == 0 and "added:" not in p.stdout,
          "architectures with the node's own: no such comment", f"exit {p.returncode}: {p.stdout[:600]}")


def startup_note():
    """An allow-list leaves the container start-up syscalls to a default that refuses them;
    the agent allows them (docs/policies.md): the import says which, in a comment and a
    warning, and one the profile names itself is not among them."""
    hello = ("apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
             "metadata: {name: hello, namespace: demo}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n"
             "  architectures: [SCMP_ARCH_X86_64]\n  syscalls:\n"
             "  - {action: SCMP_ACT_ALLOW, names: [read, write, exit_group, execve]}\n"
             "  - {action: SCMP_ACT_ERRNO, names: [setresuid]}\n")
    path = os.path.join(TMP, "hello.yaml")
    open(path, "w").write(hello)
    p = run([KSCMP, "import", "--kernel", "6.1", "--arch", "x86_64", "-f", path])
    comment = " ".join(ln.lstrip("# ") for ln in p.stdout.splitlines() if ln.startswith("#"))
    if (p.returncode == 0 and "container start-up syscalls the profile refused by its default "
            "(SCMP_ACT_ERRNO" in p.stderr and "capset," in comment and " setuid," in comment and
            "setresuid" not in comment and "execve" not in comment):
        ok("import: the start-up syscalls the agent allows and the profile refused, said")
    else:
        bad("import: start-up note", f"exit {p.returncode}: {p.stderr}{comment}")
    open(path, "w").write(hello.replace("SCMP_ACT_ERRNO\n  arch", "SCMP_ACT_LOG\n  arch"))
    p = run([KSCMP, "import", "--kernel", "6.1", "--arch", "x86_64", "-f", path])
    if p.returncode == 0 and "start-up" not in p.stderr + p.stdout:
        ok("import: no start-up note where the default allows (SCMP_ACT_LOG)")
    else:
        bad("import: no start-up note for a LOG default", f"exit {p.returncode}: {p.stderr}")


def quiet_validate():
    """An imported policy with several blocks validates without a warning of its own making:
    arch stands on every block (a block without it reads as having the node's architectures)."""
    spo = ("apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
           "metadata: {name: r, namespace: demo}\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n"
           "  architectures: [SCMP_ARCH_X86_64]\n  syscalls:\n"
           "  - {action: SCMP_ACT_ERRNO, names: [mkdir]}\n"
           "  - {action: SCMP_ACT_ERRNO, errnoRet: 38, names: [rmdir]}\n"
           "  - {action: SCMP_ACT_ERRNO, names: [personality], args: [{index: 0, value: 8, op: SCMP_CMP_EQ}]}\n")
    src, out = os.path.join(TMP, "blocks.yaml"), os.path.join(TMP, "blocks-out.yaml")
    open(src, "w").write(spo)
    p = run([KSCMP, "import", "--kernel", "6.1", "--arch", "x86_64", "-f", src, "-o", out])
    v = run([KSCMP, "validate", "-f", out]) if p.returncode == 0 else p
    if p.returncode == 0 and v.returncode == 0 and "warning" not in v.stderr and v.stdout.startswith("valid"):
        ok("import: a policy of several blocks validates without a warning")
    else:
        bad("import: several blocks validate quietly", f"exit {p.returncode}/{v.returncode}: {p.stderr}{v.stderr}")


def determinism_and_cli():
    f = os.path.join(CASES, "oci-edge.json")
    a = run([KSCMP, "import", "--kernel", "6.1", "-f", f, "-n", "team-a"])
    b = run([KSCMP, "import", "--kernel", "6.1", "-f", f, "-n", "team-a"])
    out = os.path.join(TMP, "written.yaml")
    c = run([KSCMP, "import", "--kernel", "6.1", "-f", f, "-n", "team-a", "-o", out])
    if a.returncode == 0 and a.stdout == b.stdout and c.returncode == 0 and \
            open(out).read() == a.stdout and "namespace: team-a" in a.stdout:
        ok("deterministic, -o writes what stdout shows, -n sets the namespace")
    else:
        bad("deterministic", a.stderr + c.stderr)
    s = run([KSCMP, "import", "--kernel", "6.1", "-f", "-"], input=open(f).read())
    if s.returncode == 1 and "--name" in s.stderr:
        ok("standard input needs --name")
    else:
        bad("standard input needs --name", f"exit {s.returncode}: {s.stderr}")
    s = run([KSCMP, "import", "--kernel", "6.1", "-f", "-", "--name", "from-stdin"],
            input=open(f).read())
    if s.returncode == 0 and "name: from-stdin" in s.stdout:
        ok("standard input with --name")
    else:
        bad("standard input with --name", s.stderr)
    empty = os.path.join(TMP, "empty-folder")
    os.makedirs(empty, exist_ok=True)
    e = run([KSCMP, "import", "--kernel", "6.1", "-f", empty])
    if e.returncode == 1 and f"{empty}: no *.yaml, *.yml or *.json file in it" in e.stderr \
            and "no profile in the given files" in e.stderr and not e.stdout:
        ok("an empty folder: named, exit 1, nothing written")
    else:
        bad("an empty folder", f"exit {e.returncode}: {e.stderr}")
    for label, args in (("no -f", []), ("bad --kernel", ["-f", f, "--kernel", "x"]),
                        ("bad --cap-add", ["-f", f, "--cap-add", "CAP_NOPE"]),
                        ("bad --name", ["-f", f, "--name", "Bad_Name"]),
                        ("bad --arch", ["-f", f, "--arch", "vax"])):
        u = run([KSCMP, "import"] + args)
        if u.returncode == 2:
            ok(f"usage error: {label}")
        else:
            bad(f"usage error: {label}", f"exit {u.returncode}: {u.stderr}")
    output_targets(f, a.stdout)


def output_targets(f, want):
    """-o writes through what is there: "-" is standard output, a FIFO (or a device such as
    /dev/null) is written in place and never replaced by a regular file (as root, -o
    /dev/null used to replace the machine's /dev/null), a symbolic link keeps pointing at
    the file it names, which gets the YAML; a folder is an error naming the path."""
    args = [KSCMP, "import", "--kernel", "6.1", "-f", f, "-n", "team-a", "-o"]
    d = tempfile.mkdtemp(dir=TMP)
    s = run(args + ["-"], cwd=d)
    if s.returncode == 0 and s.stdout == want and not os.path.exists(os.path.join(d, "-")):
        ok('-o - is standard output')
    else:
        bad('-o - is standard output', f"exit {s.returncode}, files {os.listdir(d)}: {s.stderr}")
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE, text=True)
    s = run(args + [fifo])
    if not stat.S_ISFIFO(os.lstat(fifo).st_mode):
        reader.kill()  # replaced: nobody will ever write to the FIFO it waits on
    got = reader.communicate(timeout=60)[0]
    if s.returncode == 0 and stat.S_ISFIFO(os.lstat(fifo).st_mode) and got == want and \
            os.listdir(d) == ["fifo"]:
        ok("-o FIFO: written in place, still a FIFO")
    else:
        bad("-o FIFO", f"exit {s.returncode}, fifo={stat.S_ISFIFO(os.lstat(fifo).st_mode)}, "
            f"read {len(got)} bytes, files {os.listdir(d)}: {s.stderr}")
    real, link = os.path.join(d, "real.yaml"), os.path.join(d, "link.yaml")
    open(real, "w").write("old\n")
    os.symlink("real.yaml", link)
    s = run(args + [link])
    if s.returncode == 0 and os.path.islink(link) and open(real).read() == want:
        ok("-o symbolic link: the file it names gets the YAML, the link stays")
    else:
        bad("-o symbolic link", f"exit {s.returncode}, link={os.path.islink(link)}: {s.stderr}")
    s = run(args + [d])
    if s.returncode == 1 and f"{d}: cannot write: Is a directory" in s.stderr:
        ok("-o FOLDER: exit 1, names the path")
    else:
        bad("-o FOLDER", f"exit {s.returncode}: {s.stderr}")


def main():
    if not os.access(KSCMP, os.X_OK):
        bad("set-up", f"{KSCMP} is missing: run make build/kscmp")
        return R.finish()
    edge_cases()
    malformed()
    spo_1_0()
    startup_note()
    spo_v1alpha1_errno()
    node_arch_note()
    quiet_validate()
    determinism_and_cli()
    outside_profiles()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
