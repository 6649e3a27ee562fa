#!/usr/bin/env python3
"""libseccomp_build.py - the agent's libseccomp makes the same BPF programs as Debian's.

build/kscmp links libseccomp as deps/build.sh builds it: Debian's source of the same version
with deps/patches/libseccomp-*.patch, which make large filters build in linear time. runc and
crun on the node use Debian's library, so the proof the agent runs before writing a profile
must come to the same verdict and the same program. This suite runs build/tools/bpf_export
(Debian's shared libseccomp) and build/tools/bpf_export-agent (the patched static one) on
  - profiles kscmp compiles from runtime/default-based policies, for several architectures,
  - every JSON file of the conformance vectors (when ../shared/vectors is there),
  - a reproducible corpus of random profiles (tests/proof/gen_profiles.py, --count),
and checks that each profile gets the same line from both: refused with the same errno and
message, or accepted with the same number of instructions and the same SHA-256 of the
program; and that build/tools/bpf_export-agent with KSCMP_PROOF_ARENA=1 (jansson's and
libseccomp's allocations in a proof worker's arena, node/proof_arena.h, reset after each
profile, a few hundred profiles per process) gives every compared profile that same line. It
also checks that the corpus reaches the shapes that matter (long jumps, programs
over 1,000 instructions, refusals) and that the patched build is faster on a large profile.
A profile on which either build runs over --timeout seconds (libseccomp 2.5.4 has inputs it
spins on; the agent's proof workers are CPU-limited for them) is not compared, and counted.
Prints `N passed, N failed` last.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(ROOT, "tests", "proof"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import gen_profiles  # noqa: E402
from report import Report  # noqa: E402

R = Report()


def export(tool, path, timeout):
    """The tool's line for path without the path, or None when it ran over timeout."""
    try:
        r = subprocess.run([tool, path], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if r.returncode != 0:
        return f"exit {r.returncode}: {r.stderr.strip()}"
    return r.stdout.strip()[len(path) + 1:]


POLICY = """apiVersion: kscmp.io/v1
kind: SeccompPolicy
metadata: {{name: p{i}, namespace: demo}}
spec:
  extends: runtime/default
  rules:
  - {{syscalls: [{calls}], action: Block, errno: EACCES}}
"""
CALLS = ["ptrace", "mount", "bpf", "keyctl", "personality", "unshare", "setns", "reboot",
         "swapon", "acct", "chroot", "pivot_root", "kexec_load", "add_key", "quotactl"]


def compiled_profiles(kscmp, d):
    """runtime/default-based profiles as the agent writes them, for several architectures."""
    out = []
    for i in range(12):
        arch = ["x86_64", "aarch64", "riscv64"][i % 3]
        pol = os.path.join(d, f"pol-{i}.yaml")
        with open(pol, "w") as f:
            f.write(POLICY.format(i=i, calls=", ".join(CALLS[i:i + 1 + i % 4])))
        r = subprocess.run([kscmp, "compile", "-f", pol, "--policy", f"demo/p{i}", "--arch",
                            arch], capture_output=True)
        R.check(r.returncode == 0, f"kscmp compile of pol-{i}.yaml for {arch}", r.stderr.decode()[:200])
        path = os.path.join(d, f"compiled-{i}-{arch}.json")
        with open(path, "wb") as f:
            f.write(r.stdout)
        out.append(path)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=1200)
    ap.add_argument("--timeout", type=float, default=5.0)
    a = ap.parse_args()
    deb = os.path.join(ROOT, "build", "tools", "bpf_export")
    agent = os.path.join(ROOT, "build", "tools", "bpf_export-agent")
    kscmp = os.path.join(ROOT, "build", "kscmp")
    with tempfile.TemporaryDirectory(prefix="kscmp-libseccomp-") as d:
        files = compiled_profiles(kscmp, d)
        vectors = os.environ.get("KSCMP_VECTORS") or os.path.join(ROOT, "..", "shared", "vectors")
        vec = sorted(glob.glob(os.path.join(vectors, "**", "*.json"), recursive=True))
        if not vec:
            R.skip("the conformance vectors' files", f"none at {vectors}")
        files += vec
        corpus = os.path.join(d, "corpus")
        gen_profiles.generate(corpus, a.count, 20261201)
        files += sorted(glob.glob(os.path.join(corpus, "*.json")))
        compared = over = ok = refused = long_jumps = big = 0
        lines = {}
        for path in files:
            x, y = export(deb, path, a.timeout), export(agent, path, a.timeout)
            if x is None or y is None:
                over += 1
                continue
            compared += 1
            lines[path] = x
            R.check(x == y, f"same verdict and program: {os.path.basename(path)}",
                    f"Debian's libseccomp says {x!r}, the agent's {y!r} ({path})")
            if x.startswith("ok "):
                ok += 1
                insns = int(x.split()[1])
                long_jumps += insns > 256
                big += insns > 1000
            else:
                refused += 1
        print(f"{compared} profiles compared ({ok} accepted: {long_jumps} over 256 instructions, "
              f"{big} over 1,000; {refused} refused), {over} not compared (over "
              f"{a.timeout:g} s in one build or both)")
        R.check(compared >= 0.98 * len(files), "at least 98% of the profiles compared",
                f"only {compared} of {len(files)}")
        R.check(long_jumps >= 100 and big >= 20 and refused >= 50,
                "the corpus reaches long jumps, large programs and refusals")
        # The same with the arena, many profiles per process (its reset between them).
        paths, same = list(lines), 0
        env = dict(os.environ, KSCMP_PROOF_ARENA="1")
        for k in range(0, len(paths), 300):
            batch = paths[k:k + 300]
            r = subprocess.run([agent] + batch, capture_output=True, text=True, env=env,
                               timeout=a.timeout * len(batch))
            got = {}
            for line in r.stdout.splitlines():
                path, _, rest = line.partition(" ")
                got[path] = rest
            for path in batch:
                if R.check(got.get(path) == lines[path],
                           f"same verdict and program in the arena: {os.path.basename(path)}",
                           f"without it {lines[path]!r}, with it {got.get(path)!r} "
                           f"(exit {r.returncode}: {r.stderr.strip()[-300:]})"):
                    same += 1
        print(f"with the proof arena: {same} of {len(paths)} profiles the same")
        # The point of the patch: the same program in less time (figures in bench/, not here;
        # this only checks that the agent's build is the patched one).
        t = {}
        for name, tool in (("debian", deb), ("agent", agent)):
            t1 = os.times()
            subprocess.run([tool] + files[:12] * 5, capture_output=True)
            t2 = os.times()
            t[name] = t2.children_user + t2.children_system - t1.children_user - t1.children_system
        print(f"CPU for 60 compiled profiles: Debian's {t['debian']:.2f} s, the agent's "
              f"{t['agent']:.2f} s")
        R.check(t["agent"] < t["debian"], "the agent's libseccomp is faster (patched)",
                f"Debian's {t['debian']:.2f} s, the agent's {t['agent']:.2f} s")
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
