#!/usr/bin/env python3
"""examples.py - the profiles examples/ and the README's first policy produce, enforced by runc
and crun, for containers that may gain privileges and for allowPrivilegeEscalation: false.

    examples.py KSCMP [--jobs N]

`kscmp agent --local DIR --once` writes the profiles of examples/ (and of the README's first
policy, taken from README.md as written) twice: for the Pods as they are (the long start-up
set) and for the same Pods with allowPrivilegeEscalation: false in every container (the short
one). Each profile then runs under runc and crun (ocirun.py: create and start as containerd's
shim does, the mode's noNewPrivileges, a non-root user for the short mode) with the program
tests/enforce/probe.c, built static without libc:
  - the container starts: the probe runs (its first process, and one started by `exec`);
  - the calls the policies allow work and the ones they block fail as they say (EPERM,
    EACCES; Kill ends the probe with SIGSYS): what the written profile says (its effective
    action for each call of a table of harmless calls) and what the example's comments say;
  - busybox (static glibc) starts under every profile, and its commands do or fail as
    expected: the examples allow what a program calls as it starts, not only the runtime.
Prints one PASS/FAIL line per check and closes with 'N passed, N failed'; exit 77 when no
runtime can run here.
"""
import argparse
import concurrent.futures
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ocirun  # noqa: E402
import startup  # noqa: E402
from startup import closing, report  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SIGSYS = 31

# Harmless calls whose result when allowed is never EPERM, EACCES or ENOSYS (as root or not,
# with the default capabilities): "name": [arguments] ("@TEXT" is a pointer to TEXT).
CALLS = {
    "getpid": [], "getppid": [], "getuid": [], "uname": [0], "madvise": [0, 0, 0],
    "futex": [0, 1, 1], "write": [-1, 0, 0], "read": [-1, 0, 0], "close": [-1],
    "accept4": [-1, 0, 0, 0], "bind": [-1, 0, 0], "listen": [-1, 0],
    "epoll_wait": [-1, 0, 1, 0], "pselect6": [0, 0, 0, 0, 1, 0],
    "mkdir": ["@/tmp/kscmp-probe-a", 448], "mkdirat": [-100, "@/tmp/kscmp-probe-b", 448],
    "ptrace": [7, 0, 0, 0], "mount": [0, 0, 0, 0, 0], "keyctl": [0x7fffffff],
    "add_key": [0, 0, 0, 0, 0], "request_key": [0, 0, 0, 0], "unshare": [0],
    "sethostname": [0, 100000], "syslog": [10, 0, 0],
}

# What each profile's policies say, for calls of CALLS (in addition to the written profile).
POLICY_SAYS = {
    "wordpress-mysql/wordpress.json": {
        "allow": ["accept4", "epoll_wait", "pselect6", "futex", "madvise"],
        "EPERM": ["keyctl", "add_key", "request_key", "mkdir", "getuid"]},
    "demo/web.json": {"allow": ["getpid", "futex"], "EPERM": ["mkdir", "ptrace", "getuid"]},
    "demo/api.json": {"allow": ["getpid", "futex", "accept4", "bind", "listen", "write", "read"],
                      "kill": ["ptrace", "mount"], "EPERM": ["mkdir", "syslog"]},
    "demo/hardened.json": {"allow": ["getpid", "uname", "futex", "write"],
                           "EACCES": ["mkdir", "mkdirat"], "EPERM": ["keyctl", "unshare"]},
    "readme/web.json": {"allow": ["read", "write", "futex", "accept4", "bind", "listen", "madvise"],
                        "kill": ["ptrace", "mount"], "EPERM": ["mkdir", "keyctl"]},
}

# busybox commands under each profile (every profile written must have some: a program must
# start under every example, its own start included, not only the runtime's): (args, exit 0?,
# text in the output).
EPERM_TEXT = "Operation not permitted"
BUSYBOX = {
    "wordpress-mysql/wordpress.json": [(["echo", "ok"], True, "ok"),
                                       (["mkdir", "/tmp/x"], False, EPERM_TEXT)],
    "demo/web.json": [(["echo", "ok"], True, "ok"), (["mkdir", "/tmp/x"], False, EPERM_TEXT)],
    "demo/api.json": [(["echo", "ok"], True, "ok"), (["mkdir", "/tmp/x"], False, EPERM_TEXT)],
    "demo/hardened.json": [(["echo", "ok"], True, "ok"), (["ls", "/"], True, "bin"),
                           (["mkdir", "/tmp/x"], False, "Permission denied")],
    "readme/web.json": [(["echo", "ok"], True, "ok"),
                        (["mkdir", "/tmp/x"], False, "Operation not permitted")],
}

ERRNO = {"EPERM": 1, "EACCES": 13}


_resolve = None


def nums_all(name):
    """The native number of any syscall name, -1 when unknown here."""
    global _resolve
    if _resolve is None:
        lib = ctypes.CDLL("libseccomp.so.2")
        lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
        lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        _resolve = lib.seccomp_syscall_resolve_name
    return _resolve(name.encode())


def syscall_numbers(names):
    """Native numbers from libseccomp."""
    lib = ctypes.CDLL("libseccomp.so.2")
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    return {n: lib.seccomp_syscall_resolve_name(n.encode()) for n in names}


def readme_policy(path):
    """The first YAML block of README.md's "A first policy" section, as written."""
    text = open(path).read()
    m = re.search(r"^## A first policy.*?^```yaml\n(.*?)^```", text, re.S | re.M)
    return m.group(1) if m else None


def no_new_privs(docs):
    """The documents with allowPrivilegeEscalation: false in every container of every Pod."""
    out = []
    for d in docs:
        if isinstance(d, dict) and d.get("kind") == "Pod":
            for key in ("initContainers", "containers", "ephemeralContainers"):
                for c in d.get("spec", {}).get(key) or []:
                    c.setdefault("securityContext", {})["allowPrivilegeEscalation"] = False
        out.append(d)
    return out


def write_profiles(kscmp, src_files, work, tag, nnp):
    """Copies the manifests (Pods rewritten for nnp) into a folder, runs the agent once on it
    and returns {rel: profile dict}."""
    local = os.path.join(work, f"{tag}-{'short' if nnp else 'long'}")
    root = local + "-kubelet"
    os.makedirs(local)
    os.makedirs(root)
    for name, text in src_files.items():
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
        if nnp:
            docs = no_new_privs(docs)
        with open(os.path.join(local, name), "w") as f:
            yaml.safe_dump_all(docs, f)
    p = subprocess.run([kscmp, "agent", "--local", local, "--kubelet-root", root,
                        "--metrics-addr", "off", "--once"], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        return None, f"agent --once exit {p.returncode}: {p.stderr.strip()[-500:]}"
    out = {}
    base = os.path.join(root, "seccomp", "kscmp")
    for dirpath, _, files in os.walk(base):
        for fn in files:
            rel = os.path.relpath(os.path.join(dirpath, fn), base)
            with open(os.path.join(dirpath, fn)) as f:
                out[f"{tag}/{rel.split('/', 1)[1]}" if tag == "readme" else rel] = json.load(f)
    return out, None


def effective(prof, name):
    """The profile's action for name: its unconditional rule, else the default; None when it
    has conditional rules (not checked here)."""
    act = None
    for rule in prof.get("syscalls") or []:
        if name in (rule.get("names") or []):
            if rule.get("args"):
                return None
            act = (rule["action"], rule.get("errnoRet", 1))
    return act or (prof["defaultAction"], prof.get("defaultErrnoRet", 1))


def expectation(prof, name):
    """("allow"|"errno"|"kill", errno) from the written profile; None for calls it does not
    decide unconditionally."""
    eff = effective(prof, name)
    if eff is None:
        return None
    act, errno = eff
    if act in ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG"):
        return ("allow", 0)
    if act == "SCMP_ACT_ERRNO":
        return ("errno", errno)
    if act in ("SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL", "SCMP_ACT_TRAP"):
        return ("kill", 0)
    return None


def check_profile(pool, rel, prof, mode, runtime, nums):
    says = POLICY_SAYS.get(rel, {})
    # What the policies say must be what the written profile says.
    for key, names in says.items():
        for n in names:
            want = {"allow": ("allow", 0), "kill": ("kill", 0)}.get(key, ("errno", ERRNO.get(key)))
            got = expectation(prof, n)
            if got != want:
                report(False, f"{rel} ({mode}): the profile gives {n} {got}, the policy says {want}")
    calls = {n: expectation(prof, n) for n in CALLS if nums.get(n, -1) >= 0}
    calls = {n: w for n, w in calls.items() if w}
    title = f"{rel}, {runtime}, {mode} set"
    nnp = mode == "short"
    user = "nonroot" if nnp else "root"
    r = pool.runner()
    # The container starts, first process and exec.
    res = r.run(runtime, prof, ["/bin/probe"], nnp=nnp, user=user, timeout=30)
    report(res.started and res.output.startswith("started") and res.status in (0, -4),
           f"{title}: the container starts ({res.describe()})")
    res = r.run(runtime, prof, ["/bin/probe", "wait"], nnp=nnp, user=user, timeout=30,
                exec_args=["/bin/probe"])
    report(res.started and res.output.startswith("started") and res.status in (0, -4),
           f"{title}: a process started with exec runs ({res.describe()})")
    # The calls that do not kill, in one run.
    plain = [n for n, w in calls.items() if w[0] != "kill"]
    args = ["/bin/probe"] + [",".join(str(x) for x in [nums[n]] + CALLS[n]) for n in plain]
    res = r.run(runtime, prof, args, nnp=nnp, user=user, timeout=30)
    got = {}
    for line in res.output.splitlines()[1:]:
        nr, _, val = line.partition(" ")
        got[int(nr)] = int(val)
    # runc answers ENOSYS, not the default action, for a call numbered above every call the
    # profile names (so that a newer libc falls back to an older call).
    named = {nums_all(x) for rule in prof.get("syscalls") or [] for x in rule.get("names") or []}
    top = max([x for x in named if x >= 0] or [0])
    for n in plain:
        what, errno = calls[n]
        if (ocirun.kind(runtime) == "runc" and what == "errno" and nums[n] > top
                and effective(prof, n) == (prof["defaultAction"], prof.get("defaultErrnoRet", 1))
                and n not in {x for rule in prof.get("syscalls") or [] for x in rule.get("names") or []}):
            errno = 38
        v = got.get(nums[n])
        if v is None:
            report(False, f"{title}: {n} gave no result ({res.describe()})")
        elif what == "allow":
            report(v not in (-1, -13, -38), f"{title}: {n} is allowed (returned {v})")
        else:
            report(v == -errno, f"{title}: {n} fails with errno {errno}"
                   f"{' (runc: above every call the profile names)' if errno == 38 else ''} "
                   f"(returned {v})")
    # Each call the profile kills, alone.
    for n in [n for n, w in calls.items() if w[0] == "kill"]:
        a = ",".join(str(x) for x in [nums[n]] + CALLS[n])
        res = r.run(runtime, prof, ["/bin/probe", a], nnp=nnp, user=user, timeout=30)
        report(res.started and res.status == -SIGSYS, f"{title}: {n} kills the process "
               f"({res.describe()})")
    for cmd, ok, text in BUSYBOX.get(rel, []):
        res = r.run(runtime, prof, ["/bin/busybox"] + cmd, nnp=nnp, user=user, timeout=30)
        good = res.started and (res.status == 0) == ok and text in res.output
        report(good, f"{title}: busybox {' '.join(cmd)} {'works' if ok else 'fails'} "
               f"({res.describe()})")


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("kscmp")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-upstream", action="store_true",
                    help="only the runtimes on PATH, not the runc releases runtimes.sh builds")
    a = ap.parse_args(argv)
    runtimes = startup.usable_runtimes(a.no_upstream)
    if not runtimes:
        return closing(77)
    work = tempfile.mkdtemp(prefix="kscmp-examples.")
    try:
        probe, why = startup.build_probe(work)
        if not probe:
            report(False, f"cannot build probe.c: {why}")
            return closing()
        ex_dir = os.path.join(REPO, "examples")
        examples = {f: open(os.path.join(ex_dir, f)).read() for f in sorted(os.listdir(ex_dir))
                    if f.endswith((".yaml", ".yml"))}
        readme = readme_policy(os.path.join(REPO, "README.md"))
        report(readme is not None, "README.md has the first policy in a yaml block")
        sources = [("examples", examples)] + ([("readme", {"web.yaml": readme})] if readme else [])
        profiles = {}
        for tag, files in sources:
            for nnp in (False, True):
                got, why = write_profiles(a.kscmp, files, work, tag, nnp)
                report(got is not None, f"{tag}: the agent writes its profiles "
                       f"({'allowPrivilegeEscalation: false' if nnp else 'as written'})"
                       + (f": {why}" if why else ""))
                for rel, prof in (got or {}).items():
                    profiles[(rel, "short" if nnp else "long")] = prof
        for rel in POLICY_SAYS:
            report((rel, "long") in profiles, f"{rel} is among the profiles written")
        for rel, mode in sorted(profiles):
            report(rel in BUSYBOX, f"{rel} ({mode}): busybox commands are checked under it")
        nums = syscall_numbers(CALLS)
        pool = startup.Pool(work, probe)
        jobs = [(rel, mode, rt) for (rel, mode) in sorted(profiles) for rt in runtimes]
        with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
            for f in [ex.submit(check_profile, pool, rel, profiles[(rel, mode)], mode, rt, nums)
                      for rel, mode, rt in jobs]:
                f.result()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return closing()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
