#!/usr/bin/env python3
"""The repository stands on its own (run by suite-selfcontained.sh):

1. What users read points only inside the repository: README.md, docs/, the CRDs (what
   `kubectl explain` shows), crd/, deploy/, the chart, examples/ and the C headers name no
   file outside it (no "../shared", no "the contract"), and every relative Markdown link
   resolves to a file of the repository and, with an anchor, to a heading of that file.
2. A copy of the repository with nothing beside it (no conformance vectors) runs what does
   not need them and says plainly what it skips: tests/run_all.py's vector suites are
   skipped and named, exit 0; the offline packaging checks pass with the vector part
   skipped; the e2e suite, which needs the vectors, says so and exits 0.

Prints one line per check and `N passed, N failed` last; exits 1 on any failure.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from report import Report  # noqa: E402

R = Report()


def check(name, ok, detail=""):
    """R.check with the name first, the order of this file's calls."""
    return R.check(ok, name, detail)


def rel(p):
    return os.path.relpath(p, ROOT)


def user_facing():
    pats = ["README.md", "docs/**/*.md", "crd/*", "deploy/*", "charts/kscmp/**/*",
            "examples/*", "agent/*/*.h", "Containerfile"]
    out = []
    for p in pats:
        out += [f for f in glob.glob(os.path.join(ROOT, p), recursive=True) if os.path.isfile(f)]
    return sorted(set(out))


OUTSIDE = re.compile(r"\.\./shared|shared/(design|vectors)|\bthe contract\b|\bcontract "
                     r"(section|\d)|kscmp contract", re.IGNORECASE)


def check_no_outside_pointers():
    files = user_facing()
    check("user-facing files found (%d)" % len(files), len(files) > 40)
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            hits = [(i + 1, ln.strip()) for i, ln in enumerate(fh) if OUTSIDE.search(ln)]
        check("no pointer outside the repository: " + rel(f), not hits,
              "; ".join("line %d: %s" % (n, t[:100]) for n, t in hits[:3]))


def slug(heading):
    """A GitHub heading anchor: lower case, punctuation dropped, spaces to dashes."""
    s = heading.strip().lower()
    s = re.sub(r"[`*_]", "", s) if "`" in s or "*" in s else s
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(path):
    out = set()
    counts = {}
    in_code = False
    with open(path, encoding="utf-8") as fh:
        for ln in fh:
            if ln.startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", ln)
            if m:
                a = slug(m.group(2))
                n = counts.get(a, 0)
                counts[a] = n + 1
                out.add(a if n == 0 else "%s-%d" % (a, n))
    return out


LINK = re.compile(r"\]\(([^)\s]+)\)")


def check_links():
    docs = [f for f in user_facing() if f.endswith(".md")]
    for f in docs:
        bad = []
        text = open(f, encoding="utf-8").read()
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        text = re.sub(r"`[^`\n]*`", "", text)  # inline code: patterns, not links
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target):  # a web address
                continue
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
            if not dest.startswith(ROOT + os.sep) and dest != ROOT:
                bad.append(target + " (outside the repository)")
            elif not os.path.exists(dest):
                bad.append(target + " (no such file)")
            elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                bad.append(target + " (no such heading)")
        check("links resolve inside the repository: " + rel(f), not bad, "; ".join(bad[:5]))


def check_reference_complete():
    """docs/ name every metric, every agent option, every command and every Event reason
    the code has (a new one without words in the reference fails here)."""
    agent_md = open(os.path.join(ROOT, "docs", "agent.md"), encoding="utf-8").read()
    cli_md = open(os.path.join(ROOT, "docs", "cli.md"), encoding="utf-8").read()
    metrics = sorted(set(re.findall(r'"(kscmp_[a-z_]+)"', open(
        os.path.join(ROOT, "agent", "base", "metrics.c"), encoding="utf-8").read())))
    check("metrics found in agent/base/metrics.c (%d)" % len(metrics), len(metrics) > 10)
    missing = [m for m in metrics if m not in agent_md]
    check("docs/agent.md names every metric", not missing, ", ".join(missing))
    reasons = set()
    for f in glob.glob(os.path.join(ROOT, "agent", "*", "*.c")):
        if f.endswith("import.c"):  # names the Security Profiles Operator's kinds
            continue
        reasons |= set(re.findall(r'"((?:Profile|Policy|No)[A-Z][A-Za-z]+)"',
                                  open(f, encoding="utf-8").read()))
    reasons = sorted(r for r in reasons if r in ("NoPolicy",) or r.startswith(("Profile",
                                                                               "Policy")))
    missing = [r for r in reasons if "`%s`" % r not in agent_md]
    check("docs/agent.md names every Event reason (%s)" % ", ".join(reasons), not missing,
          ", ".join(missing))
    kscmp = os.path.join(ROOT, "build", "kscmp")
    if not os.access(kscmp, os.X_OK):
        check("build/kscmp to read the options from", False, "make build/kscmp first")
        return
    out = subprocess.run([kscmp, "agent", "--help"], capture_output=True, text=True).stdout
    opts = sorted(set(re.findall(r"^\s+(--[a-z-]+)", out, re.M)))
    missing = [o for o in opts if "`%s" % o not in agent_md]
    check("docs/agent.md names every agent option (%d)" % len(opts), opts and not missing,
          ", ".join(missing))
    out = subprocess.run([kscmp, "--help"], capture_output=True, text=True).stdout
    cmds = re.findall(r"^  ([a-z][a-z-]+)\s", out.split("Commands:")[1], re.M)
    missing = [c for c in cmds if c not in ("agent", "version") and c not in cli_md]
    check("docs/cli.md covers every command (%s)" % " ".join(cmds), cmds and not missing,
          ", ".join(missing))


def check_access_doc():
    """docs/access.md gives the agent's ClusterRole rule by rule, verbs included."""
    import yaml
    doc = open(os.path.join(ROOT, "docs", "access.md"), encoding="utf-8").read()
    rows = [ln for ln in doc.splitlines() if ln.startswith("| ")]
    with open(os.path.join(ROOT, "deploy", "02-rbac.yaml"), encoding="utf-8") as f:
        role = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "ClusterRole"][0]
    for rule in role["rules"]:
        for res in rule["resources"]:
            base = res.split("/")[0]
            if res.endswith("/status"):  # one row for the three kinds' status
                row = [r for r in rows if r.startswith("| their `/status`")]
            else:
                row = [r for r in rows if "`%s`" % base in r.split("|")[1]]
            missing = [v for v in rule["verbs"]
                       if not any("`%s`" % v in r.split("|")[2] for r in row)]
            check("docs/access.md: %s %s" % (res, ",".join(rule["verbs"])), row and not missing,
                  "not in its table" if not row else "verbs missing: " + ", ".join(missing))


def copy_repository(dest):
    """The files a clone would have (tracked, and new ones not ignored), as they are now."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for f in files.split("\0"):
        if not f or not os.path.isfile(os.path.join(ROOT, f)):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(dest, f), follow_symlinks=False)


def check_alone():
    with tempfile.TemporaryDirectory(prefix="kscmp-alone.") as tmp:
        repo = os.path.join(tmp, "kscmp")
        copy_repository(repo)
        check("a copy of the repository, nothing beside it",
              os.path.isfile(os.path.join(repo, "tests", "run_all.py"))
              and not os.path.exists(os.path.join(tmp, "shared")))
        env = {k: v for k, v in os.environ.items() if k != "KSCMP_VECTORS"}
        p = subprocess.run([sys.executable, "tests/run_all.py", "vectors", "libseccomp"],
                           cwd=repo, env=env, capture_output=True, text=True, timeout=300)
        out = p.stdout + p.stderr
        check("run_all.py without the vectors: exit 0", p.returncode == 0, out[-400:])
        check("run_all.py names each suite it skipped and why",
              "SKIPPED: vectors: no conformance vectors at" in out
              and "SKIPPED: libseccomp: no conformance vectors at" in out, out[-400:])
        check("run_all.py counts the skips on the line before its last, 'N passed, N failed'",
              out.strip().splitlines()[-2:] == ["2 skipped (named above), not counted below",
                                                "0 passed, 0 failed"], out[-200:])
        p = subprocess.run(["bash", "tests/e2e/suite-e2e.sh"], cwd=repo, env=env,
                           capture_output=True, text=True, timeout=120)
        check("suite-e2e.sh without the vectors: skipped, said, exit 0",
              p.returncode == 0 and "skip tests/e2e/suite-e2e.sh: no conformance vectors" in
              p.stdout and p.stdout.strip().endswith("0 passed, 0 failed, 1 skipped"),
              (p.stdout + p.stderr)[-300:])
        p = subprocess.run([sys.executable, "tests/packaging/check_static.py"], cwd=repo,
                           env=env, capture_output=True, text=True, timeout=600)
        last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
        check("the offline packaging checks pass without the vectors, the vector part skipped",
              p.returncode == 0 and "skip the conformance vectors' policies:" in p.stdout,
              last + " " + "; ".join(ln for ln in p.stdout.splitlines()
                                     if ln.startswith("FAIL"))[:300])


def main():
    check_no_outside_pointers()
    check_links()
    check_reference_complete()
    check_access_doc()
    check_alone()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
