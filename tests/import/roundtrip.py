#!/usr/bin/env python3
"""An independent reading of seccomp profiles, for the import round-trip tests.

    roundtrip.py compare INPUT OUTPUT.json [--format oci|spo|advisor] [--object NAME]
                 [--container NAME] [--arch ARCH] [--kernel X.Y] [--caps CAP,...]
                 [--allow-stricter]

INPUT is the profile as the user had it; OUTPUT.json is what `kscmp compile
--startup-syscalls none` made of the imported policy. This file resolves INPUT on its own
(Docker's archMap and includes/excludes, SPO's union with baseProfileName, the advisor's
"// CONTAINER" sections) without any of kscmp's code, then compares, for every syscall that
exists on one of the profile's architectures (asked of libseccomp through ctypes), the
action each profile gives on a set of argument values built from every condition either
profile has on that syscall (each value, its neighbours, mask edges). A call's action is the
most restrictive of the rules that match it, else the default. Also compared: the default
action and errno, and the architectures.

Exit 0 when equal (or, with --allow-stricter, when OUTPUT is never less restrictive), 1 with
one line per difference otherwise.
"""
import argparse, ctypes, itertools, json, os, sys

import yaml

ACTIONS = {  # least restrictive first, as the kernel ranks them
    "SCMP_ACT_ALLOW": 0, "SCMP_ACT_LOG": 1, "SCMP_ACT_TRACE": 2, "SCMP_ACT_ERRNO": 3,
    "SCMP_ACT_TRAP": 4, "SCMP_ACT_KILL": 5, "SCMP_ACT_KILL_THREAD": 5,
    "SCMP_ACT_KILL_PROCESS": 6,
}
DOCKER_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
OCI_ARCH = {
    "x86_64": "SCMP_ARCH_X86_64", "x86": "SCMP_ARCH_X86", "x32": "SCMP_ARCH_X32",
    "aarch64": "SCMP_ARCH_AARCH64", "arm": "SCMP_ARCH_ARM", "riscv64": "SCMP_ARCH_RISCV64",
    "ppc64le": "SCMP_ARCH_PPC64LE", "s390x": "SCMP_ARCH_S390X", "s390": "SCMP_ARCH_S390",
}
LIBSECCOMP_ARCH = {v: k for k, v in OCI_ARCH.items()}
U64 = (1 << 64) - 1

_lib = ctypes.CDLL("libseccomp.so.2")
_lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
_lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
_lib.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
_lib.seccomp_syscall_resolve_name_arch.restype = ctypes.c_int


def exists(name, arches):
    """Whether the syscall has a real number on one of the OCI architectures."""
    for a in arches:
        tok = _lib.seccomp_arch_resolve_name(LIBSECCOMP_ARCH[a].encode())
        if tok and _lib.seccomp_syscall_resolve_name_arch(tok, name.encode()) >= 0:
            return True
    return False


def verdict(action, errno_ret):
    """(rank, errno) where a larger value is more restrictive; for ERRNO a lower errno is."""
    rank = ACTIONS[action]
    if action == "SCMP_ACT_ERRNO":
        return (rank, -(errno_ret if errno_ret is not None else 1))
    return (rank, 0)


def rule_verdict(r):
    return verdict(r["action"], r.get("errnoRet"))


# ---- resolving the input ----

def docker_filter(f, include, arch, kernel, caps):
    if f is None:
        return None
    hits = []
    if f.get("caps"):
        has = [c in caps for c in f["caps"]]
        hits.append(all(has) if include else any(has))
    if f.get("arches"):
        hits.append(DOCKER_ARCH.get(arch, arch) in f["arches"])
    if f.get("minKernel"):
        want = tuple(int(x) for x in f["minKernel"].split("."))
        hits.append(kernel >= want)
    if not hits:
        return include  # an empty filter: includes everything, excludes nothing
    return all(hits) if include else any(hits)


def resolve_oci(p, arch, kernel, caps):
    """A Docker/OCI profile as the runtime receives it."""
    out = {"defaultAction": p["defaultAction"], "defaultErrnoRet": p.get("defaultErrnoRet"),
           "architectures": list(p.get("architectures") or [])}
    if p.get("archMap"):
        for m in p["archMap"]:
            if m["architecture"] == OCI_ARCH[arch]:
                out["architectures"] = [m["architecture"]] + list(m.get("subArchitectures") or [])
                break
    if not out["architectures"]:
        out["architectures"] = [OCI_ARCH[arch]]  # the runtime's native architecture only
    rules = []
    for s in p.get("syscalls") or []:
        if s.get("excludes") and docker_filter(s["excludes"], False, arch, kernel, caps):
            continue
        if s.get("includes") and not docker_filter(s["includes"], True, arch, kernel, caps):
            continue
        names = s.get("names") or ([s["name"]] if s.get("name") else [])
        rules.append({"names": names, "action": s["action"], "errnoRet": s.get("errnoRet"),
                      "args": s.get("args") or []})
    out["syscalls"] = rules
    return out


def resolve_spo(objs, name, arch):
    """SPO's reading: the object's default and architectures, its rules and its bases'."""
    by_name = {o["metadata"]["name"]: o for o in objs}
    obj = by_name[name]
    spec = obj["spec"]
    out = {"defaultAction": spec["defaultAction"], "defaultErrnoRet": None,
           "architectures": list(spec.get("architectures") or []) or [OCI_ARCH[arch]],
           "syscalls": []}
    seen = 0
    cur = obj
    while cur is not None:
        for s in cur["spec"].get("syscalls") or []:
            out["syscalls"].append({"names": s["names"], "action": s["action"],
                                    "errnoRet": s.get("errnoRet"), "args": s.get("args") or []})
        base = cur["spec"].get("baseProfileName")
        cur = by_name[base] if base else None
        seen += 1
        if seen > 32:
            raise SystemExit("base chain too long")
    return out


def advisor_sections(text):
    """{container: profile} from the advisor's "// CONTAINER" sections."""
    out, name, buf = {}, None, []
    for line in text.splitlines():
        if line.strip().startswith("//"):
            if name is not None:
                out[name] = json.loads("\n".join(buf))
            name, buf = line.strip()[2:].strip(), []
        else:
            buf.append(line)
    if name is not None:
        out[name] = json.loads("\n".join(buf))
    return out


# ---- comparing ----

def cond_holds(arg, vals):
    v = vals.get(arg["index"], 0)
    a, b = arg.get("value", 0), arg.get("valueTwo", 0)
    op = arg["op"].replace("SCMP_CMP_", "")
    return {"NE": v != a, "LT": v < a, "LE": v <= a, "EQ": v == a, "GE": v >= a, "GT": v > a,
            "MASKED_EQ": (v & a) == b}[op]


def probes(rules):
    """Argument vectors that tell the rules apart: each index's interesting values."""
    per_index = {}
    for r in rules:
        for a in r["args"]:
            s = per_index.setdefault(a["index"], {0, U64, 1 << 63})
            v, w = a.get("value", 0), a.get("valueTwo", 0)
            for x in (v, w, v | w, w | (~v & U64), v & ~w & U64):
                for d in (-1, 0, 1):
                    if 0 <= x + d <= U64:
                        s.add(x + d)
            low = v & -v if v else 0
            if low:
                s.add(w ^ low)
    if not per_index:
        return [{}]
    idx = sorted(per_index)
    lists = [sorted(per_index[i]) for i in idx]
    out = []
    for combo in itertools.product(*lists):
        out.append(dict(zip(idx, combo)))
        if len(out) >= 20000:
            break
    return out


def effective(profile, name, vals):
    best = None
    for r in profile["syscalls"]:
        if name in r["names"] and all(cond_holds(a, vals) for a in r["args"]):
            v = rule_verdict(r)
            best = v if best is None or v > best else best
    if best is None:
        best = verdict(profile["defaultAction"], profile.get("defaultErrnoRet"))
    return best


def compare(inp, out, allow_stricter):
    problems = []
    din = verdict(inp["defaultAction"], inp.get("defaultErrnoRet"))
    dout = verdict(out["defaultAction"], out.get("defaultErrnoRet"))
    if din != dout and not (allow_stricter and dout > din):
        problems.append(f"default: input {din}, output {dout}")
    if sorted(set(inp["architectures"])) != sorted(set(out["architectures"])):
        problems.append(f"architectures: input {sorted(inp['architectures'])}, "
                        f"output {sorted(out['architectures'])}")
    arches = [a for a in out["architectures"] if a in LIBSECCOMP_ARCH]
    names = set()
    for p in (inp, out):
        for r in p["syscalls"]:
            names.update(r["names"])
    checked = 0
    for name in sorted(names):
        if not exists(name, arches):
            continue
        rules = [r for p in (inp, out) for r in p["syscalls"] if name in r["names"]]
        for vals in probes(rules):
            a, b = effective(inp, name, vals), effective(out, name, vals)
            checked += 1
            if a != b and not (allow_stricter and b > a):
                problems.append(f"{name} {vals}: input {a}, output {b}")
                break
    return problems, checked


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["compare"])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--format", choices=["oci", "spo", "advisor"], default="oci")
    ap.add_argument("--object")
    ap.add_argument("--container")
    ap.add_argument("--arch", default="x86_64")
    ap.add_argument("--kernel", default="6.1")
    ap.add_argument("--caps", default="")
    ap.add_argument("--allow-stricter", action="store_true")
    a = ap.parse_args()
    kernel = tuple(int(x) for x in a.kernel.split("."))
    caps = set(c for c in a.caps.split(",") if c)
    text = open(a.input).read()
    if a.format == "oci":
        inp = resolve_oci(json.loads(text), a.arch, kernel, caps)
    elif a.format == "advisor":
        inp = resolve_oci(advisor_sections(text)[a.container], a.arch, kernel, caps)
    else:
        objs = []
        for d in yaml.safe_load_all(text):
            if d and d.get("kind") == "SeccompProfile":
                objs.append(d)
            elif d and d.get("kind") in ("List", "SeccompProfileList"):
                objs.extend(i for i in d.get("items") or [] if i.get("kind") == "SeccompProfile")
        inp = resolve_spo(objs, a.object, a.arch)
    raw = json.load(open(a.output))
    out = {"defaultAction": raw["defaultAction"], "defaultErrnoRet": raw.get("defaultErrnoRet"),
           "architectures": raw.get("architectures") or [],
           "syscalls": [{"names": r["names"], "action": r["action"],
                         "errnoRet": r.get("errnoRet"), "args": r.get("args") or []}
                        for r in raw.get("syscalls") or []]}
    problems, checked = compare(inp, out, a.allow_stricter)
    for p in problems:
        print("roundtrip:", p)
    print(f"roundtrip: {checked} calls compared, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
