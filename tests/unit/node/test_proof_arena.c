/* test_proof_arena.c - the proof worker's allocator: blocks, reuse, growth in place, what does
 * not fit, the reset and the pages given back; and proofs made with it installed give the
 * verdicts, messages and BPF programs they give without it, proof after proof.
 *
 * Linked with deps/build.sh's libseccomp when there is one (the Makefile defines
 * PATCHED_SECCOMP then): libseccomp's allocations go through the arena too, as in the agent.
 * Under AddressSanitizer (the unit tests' build) blocks given back must be poisoned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "engine/proof.h"
#include "node/proof_arena.h"

/* Under AddressSanitizer an allocation too large for any memory returns NULL, as it does
 * without it, instead of stopping the test (test_failure_counted). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

static int setup(void **state)
{
    assert_int_equal(proof_arena_install(), 0);
    return 0;
}

static int teardown(void **state)
{
    proof_arena_reset();
    proof_arena_uninstall();
    return 0;
}

static size_t used(void)
{
    struct proof_arena_stats s;
    proof_arena_stats(&s);
    return s.used;
}

static void assert_given_back(const void *p)
{
#ifdef TEST_ASAN
    assert_true(__asan_address_is_poisoned(p));
#else
    (void)p;
#endif
}

static void test_blocks(void **state)
{
    char *a = proof_arena_malloc(5), *b = proof_arena_malloc(100), *z = proof_arena_malloc(0);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(z);
    assert_true(a != b && b != z && a != z);
    assert_int_equal((uintptr_t)a % 16, 0);
    assert_int_equal((uintptr_t)b % 16, 0);
    memcpy(a, "abcd", 5);
    memset(b, 'x', 100);
    assert_string_equal(a, "abcd");
    size_t u = used();
    /* The last block goes back at once; another waits for the reset. */
    proof_arena_free(z);
    assert_true(used() < u);
    assert_given_back(z);
    u = used();
    proof_arena_free(a);
    assert_int_equal(used(), u);
    assert_given_back(a);
    assert_int_equal(b[99], 'x');
    proof_arena_free(NULL);
    proof_arena_reset();
    assert_int_equal(used(), 0);
    assert_given_back(b);
}

static void test_grow(void **state)
{
    char *a = proof_arena_malloc(10);
    memcpy(a, "0123456789", 10);
    /* The last block grows where it is. */
    char *g = proof_arena_realloc(a, 4000);
    assert_ptr_equal(g, a);
    assert_memory_equal(g, "0123456789", 10);
    memset(g + 10, 'y', 3990);
    /* Another block is copied, and the old one given back. */
    char *b = proof_arena_malloc(8);
    char *m = proof_arena_realloc(g, 5000);
    assert_ptr_not_equal(m, g);
    assert_memory_equal(m, "0123456789", 10);
    assert_int_equal(m[3999], 'y');
    assert_given_back(g);
    /* Smaller, in place; larger than the capacity of a block that is not last: moved. */
    char *s = proof_arena_realloc(b, 4);
    assert_ptr_equal(s, b);
    char *n = proof_arena_realloc(NULL, 3);
    assert_non_null(n);
    proof_arena_free(n);
    proof_arena_free(m);
    proof_arena_free(s);
}

static void test_too_large_spills(void **state)
{
    struct proof_arena_stats s0, s1;
    proof_arena_stats(&s0);
    char *big = proof_arena_malloc(PROOF_ARENA_RESERVE);
    assert_non_null(big);
    big[PROOF_ARENA_RESERVE - 1] = 1;
    proof_arena_stats(&s1);
    assert_int_equal(s1.spilled, s0.spilled + 1);
    assert_int_equal(s1.used, s0.used);
    /* Grown by the C library, freed by it (ASan would report a mismatch). */
    big = proof_arena_realloc(big, PROOF_ARENA_RESERVE + 4096);
    assert_non_null(big);
    assert_int_equal(big[PROOF_ARENA_RESERVE - 1], 1);
    proof_arena_free(big);
    /* An arena block that must grow past the region moves to the C library, contents kept. */
    char *a = proof_arena_malloc(16);
    memcpy(a, "kept", 5);
    char *b = proof_arena_realloc(a, PROOF_ARENA_RESERVE);
    assert_non_null(b);
    assert_string_equal(b, "kept");
    assert_given_back(a);
    proof_arena_free(b);
}

/* An allocation no memory can serve gives NULL (with ASan too: below), and is counted, so
 * that a worker refuses a proof during which libseccomp ran out of memory (it does not always
 * pass the failure on). */
static void test_failure_counted(void **state)
{
    struct proof_arena_stats s0, s1, s2;
    proof_arena_stats(&s0);
    assert_null(proof_arena_malloc((size_t)1 << 62));
    proof_arena_stats(&s1);
    assert_int_equal(s1.failed, s0.failed + 1);
    char *big = proof_arena_malloc(PROOF_ARENA_RESERVE); /* the C library's */
    assert_non_null(big);
    big[0] = 7;
    assert_null(proof_arena_realloc(big, (size_t)1 << 62));
    proof_arena_stats(&s2);
    assert_int_equal(s2.failed, s1.failed + 1);
    assert_int_equal(big[0], 7); /* left as it was */
    proof_arena_free(big);
    char *small = proof_arena_malloc(16);
    assert_non_null(small);
    proof_arena_free(small);
    proof_arena_stats(&s1);
    assert_int_equal(s1.failed, s2.failed); /* successes are not counted */
}

static void test_fills_then_spills(void **state)
{
    /* Blocks until the region's limit, then the C library's; the reset takes the region's
     * back and keeps no more than PROOF_ARENA_RETAIN of its pages writable. */
    struct proof_arena_stats s;
    size_t n = 0, spilled0;
    proof_arena_stats(&s);
    spilled0 = s.spilled;
    assert_true(s.committed == 0);
    void *p;
    for (;;) {
        p = proof_arena_malloc(1 << 20);
        assert_non_null(p);
        memset(p, 1, 1 << 20);
        proof_arena_stats(&s);
        if (s.spilled > spilled0)
            break;
        n++;
        assert_true(s.committed >= s.used && s.committed <= s.limit);
    }
    free(p); /* the C library's block */
    assert_true(n >= s.limit / (2u << 20));
    assert_true(s.committed > PROOF_ARENA_RETAIN);
    proof_arena_reset();
    proof_arena_stats(&s);
    assert_int_equal(s.used, 0);
    assert_int_equal(s.committed, PROOF_ARENA_RETAIN);
}

/* The limit follows RLIMIT_DATA: a quarter of it, in whole steps of 1 MiB. */
static void test_limit_from_rlimit(void **state)
{
    assert_int_equal(proof_arena_limit(RLIM_INFINITY), PROOF_ARENA_RESERVE);
    assert_int_equal(proof_arena_limit((rlim_t)1 << 30), PROOF_ARENA_RESERVE);
    assert_int_equal(proof_arena_limit((rlim_t)48 << 20), (size_t)12 << 20);
    assert_int_equal(proof_arena_limit((rlim_t)50 << 20), (size_t)12 << 20);
    assert_int_equal(proof_arena_limit((rlim_t)3 << 20), 0);
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_DATA, &rl), 0);
    struct proof_arena_stats s;
    proof_arena_stats(&s);
    assert_int_equal(s.limit, proof_arena_limit(rl.rlim_cur));
}

/* Under AddressSanitizer, writing one byte past a block, 16 bytes further (where the next
 * block's bytes would begin without a gap between them), or just before it is reported (the
 * child process dies of it), as on the C library's heap. */
static void test_overrun_reported(void **state)
{
#ifdef TEST_ASAN
    const int offsets[] = {32, 48, -1};
    for (size_t k = 0; k < sizeof(offsets) / sizeof(offsets[0]); k++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int devnull = open("/dev/null", O_WRONLY);
            if (devnull >= 0)
                dup2(devnull, 2);
            volatile char *p = proof_arena_malloc(32);
            (void)proof_arena_malloc(32); /* a block after it */
            p[offsets[k]] = 1;
            _exit(0);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
#else
    skip();
#endif
}

static void test_not_installed(void **state)
{
    /* Without a region the hooks are the C library's (freed here with free()). */
    proof_arena_uninstall();
    char *p = proof_arena_malloc(32);
    assert_non_null(p);
    p = proof_arena_realloc(p, 64);
    assert_non_null(p);
    free(p);
    proof_arena_reset();
    struct proof_arena_stats s;
    proof_arena_stats(&s);
    assert_int_equal(s.used, 0);
    assert_int_equal(proof_arena_install(), 0);
    assert_int_equal(proof_arena_install(), 0); /* twice: a no-op */
}

/* When the region cannot be reserved (here a seccomp filter refuses the worker's mmap() of it
 * with ENOMEM), the hooks are installed all the same: the C library serves every allocation,
 * and one that gets no memory is counted, so that the worker still refuses such a proof. */
static void test_installed_without_region(void **state)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        proof_arena_uninstall();
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx ||
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOMEM), SCMP_SYS(mmap), 2,
                             SCMP_A1(SCMP_CMP_EQ, PROOF_ARENA_RESERVE),
                             SCMP_A2(SCMP_CMP_EQ, PROT_NONE)) < 0 ||
            seccomp_load(ctx) < 0)
            _exit(10);
        seccomp_release(ctx);
        if (proof_arena_install() != -ENOMEM)
            _exit(11);
        struct proof_arena_stats a, b;
        proof_arena_stats(&a);
        if (a.committed != 0 || a.limit != 0)
            _exit(12);
        json_t *o = json_pack("{s:i}", "k", 1); /* jansson's allocations: through the hooks */
        if (!o)
            _exit(13);
        json_decref(o);
        proof_arena_stats(&b);
        if (b.calls <= a.calls || b.failed != a.failed)
            _exit(14);
        if (proof_arena_malloc((size_t)1 << 62))
            _exit(15);
        proof_arena_stats(&a);
        if (a.failed != b.failed + 1)
            _exit(16);
#ifdef PATCHED_SECCOMP
        ctx = seccomp_init(SCMP_ACT_ALLOW); /* libseccomp's: through them too */
        proof_arena_stats(&b);
        if (!ctx || b.calls <= a.calls)
            _exit(17);
        seccomp_release(ctx);
#endif
        proof_arena_reset(); /* no region: nothing to do */
        proof_arena_uninstall();
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the child failed at check %d (status %#x)", WEXITSTATUS(status), status);
}

/* ---- proofs with and without it ---- */

/* A profile with every syscall libseccomp knows on x86_64 (allowed, a few of them with
 * argument conditions), for x86_64, x86 and x32: the size of a runtime/default-based one and
 * more, so that the generator's arrays grow. */
static char *large_profile(const char *extra)
{
    json_t *names = json_array();
    for (int nr = 0; nr < 512; nr++) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
        if (name && strcmp(name, "personality") != 0 && strcmp(name, "clone") != 0)
            json_array_append_new(names, json_string(name));
        free(name);
    }
    json_t *root = json_pack("{s:s, s:[s,s,s], s:[{s:o, s:s}, {s:[s], s:s, s:[{s:i, s:i, s:s}]},"
                             " {s:[s], s:s, s:[{s:i, s:i, s:i, s:s}]}]}",
                             "defaultAction", "SCMP_ACT_ERRNO", "architectures", "SCMP_ARCH_X86_64",
                             "SCMP_ARCH_X86", "SCMP_ARCH_X32", "syscalls", "names", names, "action",
                             "SCMP_ACT_ALLOW", "names", "personality", "action", "SCMP_ACT_ALLOW",
                             "args", "index", 0, "value", 8, "op", "SCMP_CMP_EQ", "names", "clone",
                             "action", "SCMP_ACT_ALLOW", "args", "index", 0, "value", 2114060288,
                             "valueTwo", 0, "op", "SCMP_CMP_MASKED_EQ");
    assert_non_null(root);
    if (extra) {
        json_t *e = json_loads(extra, 0, NULL);
        assert_non_null(e);
        json_array_append_new(json_object_get(root, "syscalls"), e);
    }
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    assert_non_null(s);
    return s;
}

struct outcome {
    int code;
    char msg[1024];
    unsigned char *bpf; /* proof_build() + export, when the proof passed */
    size_t bpf_len;
};

static void prove(const char *json, struct outcome *o)
{
    struct kerr err = {0};
    o->code = proof_profile(json, strlen(json), &err);
    snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
    o->bpf = NULL;
    o->bpf_len = 0;
    if (o->code < 0)
        return;
    scmp_filter_ctx ctx = NULL;
    struct kerr err2 = {0};
    assert_int_equal(proof_build(json, strlen(json), &ctx, &err2), 0);
    int fd = memfd_create("bpf", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
    seccomp_release(ctx);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    o->bpf_len = (size_t)st.st_size;
    o->bpf = malloc(o->bpf_len ? o->bpf_len : 1); /* ours: the C library's, not the arena's */
    assert_int_equal(pread(fd, o->bpf, o->bpf_len, 0), (ssize_t)o->bpf_len);
    close(fd);
}

/* Whether every block taken between two snapshots came from the region: a worker then drops
 * what a proof built with the reset instead of freeing it block by block. */
static void test_took_all(void **state)
{
    struct proof_arena_stats s0, s1;
    proof_arena_stats(&s0);
    char *a = proof_arena_malloc(64);
    assert_non_null(a);
    proof_arena_stats(&s1);
    /* Only where libseccomp's allocations come here too (the patched build). */
    assert_int_equal(proof_arena_took_all(&s0, &s1), s1.libseccomp);
    char *big = proof_arena_malloc(PROOF_ARENA_RESERVE); /* from the C library */
    assert_non_null(big);
    proof_arena_stats(&s1);
    assert_false(proof_arena_took_all(&s0, &s1));
    proof_arena_free(big);
    proof_arena_free(a);
    proof_arena_route(false);
    proof_arena_stats(&s0);
    proof_arena_stats(&s1);
    assert_false(proof_arena_took_all(&s0, &s1));
    proof_arena_route(true);
}

static void test_proofs_same(void **state)
{
    /* The profiles and the expected outcomes with the C library's allocator. */
    proof_arena_uninstall();
    char *large = large_profile(NULL);
    char *large_bad = large_profile("{\"names\":[\"nosuchcall\"],\"action\":\"SCMP_ACT_ALLOW\"}");
    /* personality: allowed when arg 0 is 8 (large_profile), killed unconditionally, which
     * libseccomp lets decide. */
    char *large_kill = large_profile("{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_KILL\"}");
    const char *profiles[] = {
        large,
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\",\"write\"],"
        "\"action\":\"SCMP_ACT_ALLOW\"}]}",
        large_bad,
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mount\"],"
        "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},{\"names\":[\"socket\"],\"action\":"
        "\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":16,\"op\":\"SCMP_CMP_EQ\"}]}]}",
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
        "\"action\":\"SCMP_ACT_NOPE\"}]}",
        large_kill,
        "{\"defaultAction\":",
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"unknownKey\":1}",
    };
    size_t n = sizeof(profiles) / sizeof(profiles[0]);
    struct outcome *want = calloc(n, sizeof(*want));
    assert_non_null(want);

    for (size_t i = 0; i < n; i++)
        prove(profiles[i], &want[i]);
    assert_int_equal(want[0].code, 0);
    assert_true(want[0].bpf_len > 1000 * 8);
    assert_true(want[2].code < 0);
    assert_int_equal(want[5].code, 0);

    assert_int_equal(proof_arena_install(), 0);
    struct proof_arena_stats s;
    proof_arena_stats(&s);
#ifdef PATCHED_SECCOMP
    assert_true(s.libseccomp);
#endif
    print_message("libseccomp's allocations %s through the arena in this build\n",
                  s.libseccomp ? "go" : "do not go");
    /* Three rounds, the reset after each proof as the worker does. */
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < n; i++) {
            struct outcome got;
            prove(profiles[i], &got);
            proof_arena_stats(&s);
            proof_arena_reset();
            assert_int_equal(got.code, want[i].code);
            assert_string_equal(got.msg, want[i].msg);
            assert_int_equal(got.bpf_len, want[i].bpf_len);
            if (got.bpf_len)
                assert_memory_equal(got.bpf, want[i].bpf, got.bpf_len);
            free(got.bpf);
            if (i == 0) /* the large proof was served by the region */
                assert_true(s.used > 16 * 1024);
        }
    /* As the worker runs them: what proof_profile_keep() built dropped with the reset when
     * the region served all of it (the large proof, in the patched build), freed first
     * otherwise; the same outcomes, twice over. */
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < n; i++) {
            struct proof_arena_stats before, after;
            struct proof_keep keep;
            struct kerr err = {0};
            proof_arena_stats(&before);
            int code = proof_profile_keep(profiles[i], strlen(profiles[i]), 0, NULL, &keep, &err);
            proof_arena_stats(&after);
            bool drop = proof_arena_took_all(&before, &after);
#ifdef PATCHED_SECCOMP
            if (i == 0)
                assert_true(drop);
#endif
            if (!drop)
                proof_keep_free(&keep);
            proof_arena_reset();
            assert_int_equal(code, want[i].code);
            assert_string_equal(err.msg, want[i].msg);
        }
    for (size_t i = 0; i < n; i++)
        free(want[i].bpf);
    free(want);
    free(large);
    free(large_bad);
    free(large_kill);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large_spills, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fills_then_spills, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_from_rlimit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrun_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_installed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_installed_without_region, setup, teardown),
        cmocka_unit_test_setup_teardown(test_took_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proofs_same, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
