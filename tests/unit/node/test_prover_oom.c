/* test_prover_oom.c - a proof during which an allocation got no memory is refused, whatever
 * libseccomp answered.
 *
 * libseccomp 2.5.4 does not pass every allocation failure on (its export can say success with
 * part of the program), so a proof worker refuses any proof during which one of the
 * allocations made through its arena's hooks failed (node/prover.c, node/proof_arena.h). Here
 * a worker fails the n-th allocation of a runtime/default-based proof, for n from the first to
 * the last one (every one near both ends, a stride between), and no verdict may be a pass:
 * libseccomp's own error, the worker's refusal, or a crash in libseccomp's error paths (a
 * crash refuses too). One past the last allocation, the proof passes: n covered the proof.
 *
 * The workers are this binary run again as `__proof-worker`, with KSCMP_TEST_FAIL_AT in their
 * environment (main() below). Linked with deps/build.sh's libseccomp when there is one
 * (PATCHED_SECCOMP), whose allocations go through the hooks as in build/kscmp; on Debian's
 * shared library only jansson's do, and the test says so and checks only those. With
 * deps/build.sh's jansson (PATCHED_JANSSON) no worker may crash either.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/metrics.h"
#include "engine/proof.h"
#include "engine_fixture.h"
#include "node/proof_arena.h"
#include "node/prover.h"

#define FAIL_AT_ENV "KSCMP_TEST_FAIL_AT"

struct verdict_seen {
    bool done;
    int verdict;
    char why[1024];
};

static void on_done(const char *key, int verdict, const char *why, const char *bytes, size_t len,
                    void *userdata)
{
    struct verdict_seen *v = userdata;
    v->done = true;
    v->verdict = verdict;
    snprintf(v->why, sizeof(v->why), "%s", why ? why : "");
}

/* The profile of a policy that extends runtime/default and blocks three calls, as the agent
 * writes it (~10 KB). */
static char *runtime_default_profile(size_t *ret_len)
{
    struct engine *e = engine_for(
        "x86_64", OBJS(POL("p", "  extends: runtime/default\n"
                                "  rules:\n"
                                "  - {syscalls: [mkdir, rmdir, chown], action: Block, errno: "
                                "EACCES}\n")));
    const struct policy *p = engine_get_policy(e, PK_POLICY, "demo", "p");
    assert_non_null(p);
    struct policy_result res;
    assert_int_equal(engine_policy_result(e, p, &res), 0);
    assert_true(res.valid);
    char *json = NULL;
    assert_int_equal(profile_render(res.prof, engine_sysdb(e), &json, ret_len), 0);
    engine_free(e);
    return json;
}

/* How many allocations one proof of json asks the hooks for, and whether libseccomp's are
 * among them. */
static size_t allocations_of(const char *json, size_t len, bool *ret_libseccomp)
{
    (void)proof_arena_install();
    struct proof_arena_stats a, b;
    proof_arena_stats(&a);
    struct kerr err = {0};
    assert_int_equal(proof_profile(json, len, &err), 0);
    proof_arena_stats(&b);
    proof_arena_reset();
    proof_arena_uninstall();
    *ret_libseccomp = b.libseccomp;
    assert_int_equal(b.failed, a.failed);
    return b.calls - a.calls;
}

/* The verdict of one worker on json when its n-th allocation fails (0: none). */
static void prove_failing(const char *json, size_t len, size_t n, struct verdict_seen *v)
{
    char nbuf[32];
    snprintf(nbuf, sizeof(nbuf), "%zu", n);
    assert_int_equal(setenv(FAIL_AT_ENV, nbuf, 1), 0);
    struct metrics *m = NULL;
    assert_int_equal(metrics_new(&m), 0);
    /* No memory limit (ASan's shadow memory would not fit in one); a deadline, because one of
     * libseccomp's error paths may loop. */
    struct prover_opts o = {
        .workers = 1, .cpu_seconds = 20, .memory_mib = PROVER_NO_LIMIT, .deadline_ms = 20000};
    struct prover *p = NULL;
    struct kerr err = {0};
    *v = (struct verdict_seen){0};
    assert_int_equal(prover_new(NULL, m, &o, on_done, v, &p, &err), 0);
    assert_int_equal(prover_submit(p, "demo/p.json", "demo", json, len), 0);
    assert_int_equal(prover_drain(p), 0);
    prover_free(p);
    metrics_free(m);
    unsetenv(FAIL_AT_ENV);
    assert_true(v->done);
}

/* Prints the one-line summary of each sanitizer report in dir, then removes them and dir. */
static void summarize_reports(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[512], line[512];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
            if (strncmp(line, "SUMMARY:", 8) == 0)
                print_message("  a worker's report: %s", line);
        fclose(f);
        assert_int_equal(unlink(path), 0);
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
}

static void test_every_failed_allocation_refused(void **state)
{
    (void)state;
    size_t len = 0;
    _cleanup_free_ char *json = runtime_default_profile(&len);
    bool libseccomp = false;
    size_t total = allocations_of(json, len, &libseccomp);
    assert_true(total > 100);
    if (!libseccomp)
        print_message("(libseccomp is Debian's shared library here: only jansson's allocations "
                      "go through the hooks)\n");

    /* A worker that crashes in a library's error path writes its sanitizer report there, not
     * in this test's output: Debian's jansson 2.14 lexer writes past a buffer when it could not
     * grow it (upstream issue #362), which deps/build.sh's patched jansson does not. */
    char logs[] = "/tmp/kscmp-test-oom-XXXXXX";
    assert_non_null(mkdtemp(logs));
    char opts[128];
    snprintf(opts, sizeof(opts), "log_path=%s/worker", logs);
    assert_int_equal(setenv("ASAN_OPTIONS", opts, 1), 0);
    assert_int_equal(setenv("UBSAN_OPTIONS", opts, 1), 0);

    size_t refused_by_worker = 0, by_libseccomp = 0, crashed = 0, tried = 0;
    size_t stride = total / 150 + 1;
    for (size_t n = 1; n <= total; n++) {
        if (n > 40 && n + 40 < total && n % stride)
            continue;
        struct verdict_seen v;
        prove_failing(json, len, n, &v);
        tried++;
        if (v.verdict >= 0)
            fail_msg("allocation %zu of %zu failed and the proof passed", n, total);
        if (strstr(v.why, "out of memory while proving it"))
            refused_by_worker++;
        else if (strstr(v.why, "crashed") || strstr(v.why, "worker exited")) {
            crashed++;
        } else
            by_libseccomp++;
    }
    print_message("%zu allocations a proof; %zu of them failed in turn: %zu refused by the worker, "
                  "%zu by an error of the proof, %zu by a crash\n",
                  total, tried, refused_by_worker, by_libseccomp, crashed);
    unsetenv("ASAN_OPTIONS");
    unsetenv("UBSAN_OPTIONS");
    summarize_reports(logs);
    /* Every refusal that came from a failed allocation says so, and names --proof-memory
     * (libseccomp's own "out of memory" named no limit: 167 of 228 before). */
    assert_int_equal(by_libseccomp, 0);
#ifdef PATCHED_JANSSON
    /* deps/build.sh's jansson refuses what it could not save (jansson-lex-save-oom.patch), and
     * libseccomp's error paths have not crashed on this profile either: a crash now is news. */
    assert_int_equal(crashed, 0);
#endif

    /* Past the last allocation nothing fails: the proof passes, so n covered it all. */
    struct verdict_seen v;
    prove_failing(json, len, total + 1, &v);
    if (v.verdict != 0)
        fail_msg("no allocation failed and the proof was refused: %s", v.why);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], PROVER_WORKER_COMMAND) == 0) {
        const char *n = getenv(FAIL_AT_ENV);
        if (n)
            proof_arena_fail_at(strtoul(n, NULL, 10));
        return prover_worker_main(argc - 1, argv + 1);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_failed_allocation_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
