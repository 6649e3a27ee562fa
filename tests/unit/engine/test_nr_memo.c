/* test_nr_memo.c - the memory of libseccomp's syscall numbers gives libseccomp's answers.
 *
 * Every name libseccomp knows on every architecture kscmp knows, and names it does not, asked
 * twice (the second time from memory), in different orders; names too long to keep; names it
 * does not know, not kept; more architectures for one name than an entry keeps; no memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arch.h"
#include "engine/nr_memo.h"

/* Every name libseccomp gives a number below 1100 on one of kscmp's architectures (their
 * numbers start at 0, 4000, 5000 or 6000, or x32's bit 30), and a few it knows nowhere. */
static char **all_names(size_t *ret_n)
{
    size_t n = 0, cap = 4096;
    char **names = calloc(cap, sizeof(*names));
    assert_non_null(names);
    static const int bases[] = {0, 4000, 5000, 6000, 0x40000000};
    for (size_t a = 0; a < arch_count(); a++)
        for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
            for (int nr = bases[b]; nr < bases[b] + 1100; nr++) {
                char *name = seccomp_syscall_resolve_num_arch(arch_get(a)->token, nr);
                if (!name)
                    continue;
                bool seen = false;
                for (size_t i = 0; i < n && !seen; i++)
                    seen = strcmp(names[i], name) == 0;
                if (seen || n + 8 >= cap) {
                    free(name);
                    continue;
                }
                names[n++] = name;
            }
    static const char *const unknown[] = {
        "no_such_call", "read ", "READ", "x", "socketcal", "sched_get_priority_maxi"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        names[n++] = strdup(unknown[i]);
    *ret_n = n;
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Asks m every name on every architecture (and the native token 0), in the order given by
 * step (prime to n), and compares with libseccomp. */
static void ask_all(struct nr_memo *m, char **names, size_t n, size_t step)
{
    for (size_t k = 0; k < n; k++) {
        const char *name = names[(k * step) % n];
        for (size_t a = 0; a <= arch_count(); a++) {
            uint32_t token = a < arch_count() ? arch_get(a)->token : 0;
            int want = seccomp_syscall_resolve_name_arch(token, name);
            int got = nr_memo_resolve(m, token, name);
            if (got != want)
                fail_msg("%s on 0x%x: %d from memory, %d from libseccomp", name, token, got, want);
        }
    }
}

static void test_same_answers(void **state)
{
    (void)state;
    size_t n;
    char **names = all_names(&n);
    assert_true(n > 400); /* the table was read */
    struct nr_memo *m = nr_memo_new();
    assert_non_null(m);
    ask_all(m, names, n, 1);
    size_t known = 0; /* kept: the names libseccomp knows (natively: a number or a pseudo) */
    for (size_t i = 0; i < n; i++)
        known += seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, names[i]) != __NR_SCMP_ERROR;
    assert_true(known > 400 && known < n);
    assert_int_equal(nr_memo_count(m), known);
    uint64_t hits = nr_memo_hits(m);
    ask_all(m, names, n, 7919 % n ? 7919 : 1);
    /* The second time from memory, for the architectures an entry keeps. */
    size_t kept = arch_count() + 1 < NR_MEMO_ARCHES ? arch_count() + 1 : NR_MEMO_ARCHES;
    assert_int_equal(nr_memo_hits(m) - hits, known * kept);
    assert_int_equal(nr_memo_count(m), known);
    ask_all(NULL, names, n, 1); /* no memory: libseccomp's answers */
    nr_memo_free(m);
    free_names(names, n);
}

/* An entry found once answers for each architecture as the memo does. */
static void test_entry(void **state)
{
    (void)state;
    struct nr_memo *m = nr_memo_new();
    assert_non_null(m);
    struct nr_memo_entry *e = nr_memo_entry(m, "socket");
    assert_non_null(e);
    assert_ptr_equal(nr_memo_entry(m, "socket"), e);
    assert_ptr_not_equal(nr_memo_entry(m, "socketpair"), e);
    for (size_t a = 0; a < arch_count(); a++) {
        uint32_t t = arch_get(a)->token;
        assert_int_equal(nr_memo_entry_resolve(e, t, "socket"),
                         seccomp_syscall_resolve_name_arch(t, "socket"));
        assert_int_equal(nr_memo_resolve(m, t, "socket"),
                         seccomp_syscall_resolve_name_arch(t, "socket"));
    }
    assert_int_equal(nr_memo_entry_resolve(NULL, SCMP_ARCH_X86_64, "read"),
                     seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "read"));
    assert_null(nr_memo_entry(m, ""));
    assert_null(nr_memo_entry(NULL, "read"));
    nr_memo_free(m);
}

/* Names of up to NR_MEMO_NAME_MAX bytes and more are answered (none is kept: unknown). */
static void test_long_names(void **state)
{
    (void)state;
    struct nr_memo *m = nr_memo_new();
    assert_non_null(m);
    char name[NR_MEMO_NAME_MAX + 8];
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    for (size_t len = NR_MEMO_NAME_MAX - 1; len < sizeof(name); len++) {
        name[len] = '\0';
        assert_int_equal(nr_memo_resolve(m, SCMP_ARCH_X86_64, name), __NR_SCMP_ERROR);
        name[len] = 'a';
    }
    assert_int_equal(nr_memo_count(m), 0); /* none is a name libseccomp knows */
    nr_memo_free(m);
}

/* Names libseccomp does not know are answered and not kept: profiles refused for them do not
 * fill the memory, and the names it knows are still kept after any number of them. */
static void test_unknown_not_kept(void **state)
{
    (void)state;
    struct nr_memo *m = nr_memo_new();
    assert_non_null(m);
    char name[32];
    for (unsigned i = 0; i < 2 * NR_MEMO_MAX; i++) {
        snprintf(name, sizeof(name), "nocall_%u", i);
        assert_int_equal(nr_memo_resolve(m, SCMP_ARCH_X86_64, name), __NR_SCMP_ERROR);
        assert_null(nr_memo_entry(m, name));
    }
    assert_int_equal(nr_memo_count(m), 0);
    static const char *const real[] = {"read", "socket", "ipc", "open", "clone3", "socketcall"};
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++)
            for (size_t a = 0; a < arch_count(); a++) {
                uint32_t t = arch_get(a)->token;
                assert_int_equal(nr_memo_resolve(m, t, real[i]),
                                 seccomp_syscall_resolve_name_arch(t, real[i]));
            }
    assert_int_equal(nr_memo_count(m), sizeof(real) / sizeof(real[0]));
    nr_memo_free(m);
}

/* Names that begin with another's (read, readv, readlink...), asked longest first, then
 * shortest first: each gets its own answer. */
static void test_prefixes(void **state)
{
    (void)state;
    static const char *const family[] = {
        "read",        "readv",   "readahead", "readlink",   "readlinkat", "open",
        "openat",      "openat2", "socket",    "socketpair", "socketcall", "getresuid",
        "getresuid32", "setuid",  "setuid32",  "wait4",      "waitid",     "pread64",
        "preadv",      "preadv2", "clone",     "clone3",     "mmap",       "mmap2"};
    size_t nf = sizeof(family) / sizeof(family[0]);
    {
        struct nr_memo *m = nr_memo_new();
        assert_non_null(m);
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = 0; k < nf; k++) {
                /* longest first, then shortest first */
                const char *f = family[pass ? k : nf - 1 - k];
                for (size_t a = 0; a < arch_count(); a++) {
                    uint32_t t = arch_get(a)->token;
                    int want = seccomp_syscall_resolve_name_arch(t, f);
                    int got = nr_memo_resolve(m, t, f);
                    if (got != want)
                        fail_msg("%s on 0x%x: %d from memory, %d from libseccomp", f, t, got, want);
                }
            }
        nr_memo_free(m);
    }
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_answers), cmocka_unit_test(test_entry),
        cmocka_unit_test(test_long_names),   cmocka_unit_test(test_unknown_not_kept),
        cmocka_unit_test(test_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
