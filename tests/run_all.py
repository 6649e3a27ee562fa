#!/usr/bin/env python3
"""Runs every test suite of kscmp and closes with one line 'N passed, N failed'.

Suites (each counted by its own tests):
  format       clang-format check of the C sources (1 test)
  unit         every build/unit/test_* (cmocka, ASan+UBSan), built first: its test counts
  vectors      the conformance vectors' run.py on build/kscmp: its counts
  libseccomp   every vector's profile is built and loaded by libseccomp (build/tools/seccomp_load)
  fuzz         a short bounded run of every build/fuzz/fuzz_* on its seeds (1 test each)
  scripts      every executable tests/*/suite-*.sh: each prints 'N passed, N failed'

Usage: run_all.py [SUITE...]     (default: all)
Environment: KSCMP_FUZZ_SECONDS (default 20) per fuzzer, KSCMP_FUZZ_JOBS of them at once
(default: one per CPU); KSCMP_VECTORS, the conformance
vectors (default: ../shared/vectors beside the repository).

The conformance vectors are a test set kept outside the repository: CI puts them beside it.
On a clone without them, the suites and checks that need them are skipped, each named with
the reason in the summary ("SKIPPED: ..."), and everything else runs; skips do not fail the
run. So does a check this machine cannot make (a kernel that runs no 32-bit x86 programs). A
suite script reports its own skips as "skip WHAT: WHY" lines and ", N skipped" after its
counts. The last line stays 'N passed, N failed'; the number skipped is on the line before.
"""
import concurrent.futures, glob, json, os, re, shlex, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.normpath(os.environ.get("KSCMP_VECTORS") or
                           os.path.join(ROOT, "..", "shared", "vectors"))
os.environ["KSCMP_VECTORS"] = VECTORS  # the suite scripts look in the same place
os.chdir(ROOT)
results = []  # (suite, passed, failed, seconds)
skips = []  # (suite, what was skipped and why)


def have_vectors():
    return os.path.isfile(os.path.join(VECTORS, "run.py"))


def skip_suite(suite, why):
    skips.append((suite, why))
    print(f"== {suite}: skipped: {why}", flush=True)


def counts_from(text, pattern):
    m = None
    for m in re.finditer(pattern, text):
        pass
    return m


def run(cmd, timeout, env=None, **kw):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=env, errors="replace", **kw)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"")
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        return subprocess.CompletedProcess(cmd, 124, out, f"timed out after {timeout} s")


def record(suite, passed, failed, t0, detail=""):
    results.append((suite, passed, failed, time.time() - t0))
    status = "ok" if failed == 0 else "FAILED"
    print(f"== {suite}: {passed} passed, {failed} failed ({time.time() - t0:.1f} s) {status}",
          flush=True)
    if failed and detail:
        # The failing checks' own lines first (a suite that dumps logs after them would push
        # them out of the tail), then the tail.
        fails = failing_lines(detail)
        if fails:
            print("failing checks:\n" + "\n".join(fails)[-6000:], flush=True)
        print(detail.rstrip()[-6000:], flush=True)


def failing_lines(out, limit=40):
    """The lines of out that name a failed check ("FAIL ...", "not ok ...", "[  FAILED  ]
    ...") with the indented lines that follow each (its reason), at most limit checks."""
    keep, taking, n = [], False, 0
    for line in out.splitlines():
        if line.startswith(("FAIL ", "FAIL:", "not ok", "[  FAILED  ]")):
            n += 1
            if n > limit:
                keep.append("... and more failing lines")
                break
            keep.append(line)
            taking = True
        elif taking and line.startswith((" ", "\t")) and len(keep) < 40 * limit:
            keep.append(line)
        else:
            taking = False
    return keep


def suite_format():
    t0 = time.time()
    files = sorted(glob.glob("agent/*/*.[ch]") + glob.glob("tests/unit/*/*.[ch]") +
                   glob.glob("tests/fuzz/*/*.c") + glob.glob("tests/tools/*.c") +
                   glob.glob("bench/*.c"))
    p = run(["clang-format", "--dry-run", "--Werror"] + files, 120)
    record("format", int(p.returncode == 0), int(p.returncode != 0), t0, p.stderr)


def suite_unit():
    # Built first (nothing to do under `make test`): run alone, the suite would otherwise
    # test whatever build/unit held, however old its binaries.
    t0 = time.time()
    bins = sorted({"build/unit/" + os.path.basename(c)[:-2]
                   for c in glob.glob("tests/unit/*/test_*.c")})
    p = run(["make", "-s"] + bins, 1800)
    if p.returncode != 0:
        record("unit build", 0, 1, t0, p.stdout + p.stderr)
        return
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    for binary in sorted(glob.glob("build/unit/test_*")):
        if binary.endswith(".d"):
            continue
        t0 = time.time()
        p = run([binary], 600, env=env)
        out = p.stdout + p.stderr
        ok = counts_from(out, r"\[  PASSED  \] (\d+) test")
        bad = counts_from(out, r"\[  FAILED  \] (\d+) test")
        passed = int(ok.group(1)) if ok else 0
        failed = int(bad.group(1)) if bad else 0
        if p.returncode != 0 and failed == 0:
            failed = 1  # a crash, a sanitizer report or a leak
        record("unit " + os.path.basename(binary), passed, failed, t0, out)


def vector_cases():
    return sorted(d for d in glob.glob(os.path.join(VECTORS, "*")) if os.path.isfile(os.path.join(d, "args")))


def suite_vectors():
    if not have_vectors():
        skip_suite("vectors", f"no conformance vectors at {VECTORS}")
        return
    t0 = time.time()
    p = run([sys.executable, os.path.join(VECTORS, "run.py"), "build/kscmp"], 900)
    m = counts_from(p.stdout, r"(\d+) passed, (\d+) failed")
    passed, failed = (int(m.group(1)), int(m.group(2))) if m else (0, 1)
    if p.returncode != 0 and failed == 0:
        failed = 1
    record("vectors", passed, failed, t0, p.stdout + p.stderr)


def suite_libseccomp():
    """Every profile a vector produces must be one libseccomp builds and the kernel loads."""
    if not have_vectors():
        skip_suite("libseccomp", f"no conformance vectors at {VECTORS} (it loads their profiles)")
        return
    t0 = time.time()
    tool = "build/tools/seccomp_load"
    if not os.access(tool, os.X_OK):
        record("libseccomp", 0, 1, t0, f"{tool} is missing")
        return
    passed = failed = 0
    detail = ""
    binary = os.path.abspath("build/kscmp")
    for case in vector_cases():
        if not os.path.exists(os.path.join(case, "expect.json")):
            continue
        argv = [binary] + shlex.split(open(os.path.join(case, "args")).read())
        p = run(argv, 60, cwd=case)
        if p.returncode != 0:
            failed += 1
            detail += f"{os.path.basename(case)}: kscmp exit {p.returncode}\n"
            continue
        q = subprocess.run([tool, "-"], input=p.stdout, capture_output=True, text=True, timeout=60)
        if q.returncode == 0:
            passed += 1
        else:
            failed += 1
            detail += f"{os.path.basename(case)}: {q.stdout}{q.stderr}\n"
    record("libseccomp", passed, failed, t0, detail)


def suite_fuzz():
    """Each fuzzer runs single-threaded for KSCMP_FUZZ_SECONDS: KSCMP_FUZZ_JOBS of them at once
    (default: one per CPU), so that each still has a CPU of its own."""
    seconds = int(os.environ.get("KSCMP_FUZZ_SECONDS", "20"))
    jobs = max(1, int(os.environ.get("KSCMP_FUZZ_JOBS", "0")) or os.cpu_count() or 1)

    def one(binary):
        t0 = time.time()
        name = os.path.basename(binary)
        seeds = os.path.join("tests", "fuzz", "seeds", name)
        corpus = os.path.join("build", "fuzz", "corpus-" + name)
        os.makedirs(corpus, exist_ok=True)
        args = [binary, f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048",
                "-print_final_stats=0", corpus]
        if os.path.isdir(seeds):
            args.append(seeds)
        env = dict(os.environ)
        supp = os.path.join("tests", "fuzz", "lsan-libseccomp.supp")
        if name == "fuzz_proof" and os.path.exists(supp):
            env["LSAN_OPTIONS"] = "suppressions=" + os.path.abspath(supp)
        return name, t0, run(args, seconds + 120, env=env)

    binaries = [b for b in sorted(glob.glob("build/fuzz/fuzz_*")) if not b.endswith(".d")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for f in concurrent.futures.as_completed([pool.submit(one, b) for b in binaries]):
            name, t0, p = f.result()
            record("fuzz " + name, int(p.returncode == 0), int(p.returncode != 0), t0,
                   p.stdout + p.stderr)


def suite_scripts(pattern="tests/*/suite-*.sh"):
    for script in sorted(glob.glob(pattern)):
        t0 = time.time()
        p = run(["bash", script], 1800)
        out = p.stdout + p.stderr
        m = counts_from(out, r"(\d+) passed, (\d+) failed")
        passed, failed = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        if p.returncode != 0 and failed == 0:
            failed = 1
        for line in p.stdout.splitlines():
            if line.startswith("skip "):
                skips.append((os.path.relpath(script), line[5:].strip()))
        record(os.path.relpath(script), passed, failed, t0, out)


SUITES = {"format": suite_format, "unit": suite_unit, "vectors": suite_vectors,
          "libseccomp": suite_libseccomp, "fuzz": suite_fuzz, "scripts": suite_scripts,
          "scripts-e2e": lambda: suite_scripts("tests/e2e/suite-*.sh"),
          "scripts-node": lambda: suite_scripts("tests/e2e/suite-node.sh")}
DEFAULT = ["format", "unit", "vectors", "libseccomp", "fuzz", "scripts"]


def main():
    chosen = sys.argv[1:] or DEFAULT
    for name in chosen:
        if name not in SUITES:
            print(f"unknown suite {name}; known: {' '.join(SUITES)}", file=sys.stderr)
            return 2
        SUITES[name]()
    passed = sum(r[1] for r in results)
    failed = sum(r[2] for r in results)
    print()
    for suite, p, f, secs in results:
        if f:
            print(f"FAILED: {suite} ({f} failed)")
    for suite, why in skips:
        print(f"SKIPPED: {suite}: {why}")
    if skips:
        print(f"{len(skips)} skipped (named above), not counted below")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
