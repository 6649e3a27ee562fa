/* test_recording.c - what a recording saw: numbers to names per architecture, unknown numbers
 * kept, union of many (order does not matter; merging again adds nothing), the status JSON
 * both ways and its malformed forms, and the SeccompPolicy it renders (decoded back by the
 * engine's own decoder: same names, allow-list, architectures seen). */
#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/decode.h"
#include "engine/manifest.h"
#include "engine/recording.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int arch(const char *name)
{
    int a = arch_parse(name);
    assert_true(a >= 0);
    return a;
}

static struct recorded *new_rec(void)
{
    struct recorded *r = NULL;
    assert_int_equal(recorded_new(&r), 0);
    return r;
}

static void test_arch_of(void **state)
{
    assert_int_equal(recorded_arch_of(SCMP_ARCH_X86_64, 39), arch("x86_64"));
    assert_int_equal(recorded_arch_of(SCMP_ARCH_X86_64, 39 | RECORDED_X32_BIT), arch("x32"));
    assert_int_equal(recorded_arch_of(SCMP_ARCH_X86, 20), arch("x86"));
    assert_int_equal(recorded_arch_of(SCMP_ARCH_AARCH64, 172), arch("aarch64"));
    assert_int_equal(recorded_arch_of(0x12345678, 1), -EINVAL);
}

static void test_numbers_to_names(void **state)
{
    _cleanup_(recorded_freep) struct recorded *r = new_rec();
    int x64 = arch("x86_64"), x86 = arch("x86"), x32 = arch("x32");
    assert_int_equal(recorded_add_number(r, x64, 0), 1);   /* read */
    assert_int_equal(recorded_add_number(r, x64, 0), 0);   /* again: nothing new */
    assert_int_equal(recorded_add_number(r, x64, 231), 1); /* exit_group */
    assert_int_equal(recorded_add_number(r, x86, 1), 1);   /* exit on i386 */
    assert_int_equal(recorded_add_number(r, x32, 39 | RECORDED_X32_BIT), 1); /* getpid */
    assert_int_equal(recorded_add_number(r, x64, 1000), 1);                  /* no name */
    assert_int_equal(recorded_add_number(r, x64, 1000), 0);
    assert_int_equal(recorded_add_number(r, x64, UINT32_MAX), 1);
    assert_int_equal(recorded_add_number(r, -1, 0), -EINVAL);
    assert_int_equal(recorded_add_number(r, 99, 0), -EINVAL);

    size_t n;
    const char *const *names = recorded_names(r, x64, &n);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "exit_group");
    assert_string_equal(names[1], "read");
    names = recorded_names(r, x86, &n);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "exit");
    names = recorded_names(r, x32, &n);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "getpid");
    const uint32_t *unk = recorded_unknown(r, x64, &n);
    assert_int_equal(n, 2);
    assert_int_equal(unk[0], 1000);
    assert_int_equal(unk[1], UINT32_MAX);
    assert_int_equal(recorded_arches(r), (1u << x64) | (1u << x86) | (1u << x32));
    assert_true(recorded_has_name(r, "getpid"));
    assert_false(recorded_has_name(r, "mkdir"));
}

static void test_names_refused(void **state)
{
    _cleanup_(recorded_freep) struct recorded *r = new_rec();
    int a = arch("x86_64");
    const char *bad[] = {"",
                         "Read",
                         "re ad",
                         "read\n",
                         "../x",
                         "a-b",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert_int_equal(recorded_add_name(r, a, bad[i]), -EINVAL);
    assert_int_equal(recorded_add_name(r, a, "read"), 1);
    assert_int_equal(recorded_arches(r), 1u << a);
}

static void test_bounds(void **state)
{
    _cleanup_(recorded_freep) struct recorded *r = new_rec();
    int a = arch("x86_64");
    char name[32];
    for (int i = 0; i < RECORDED_MAX_NAMES; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        assert_int_equal(recorded_add_name(r, a, name), 1);
    }
    assert_int_equal(recorded_add_name(r, a, "one_more"), -E2BIG);
    assert_int_equal(recorded_add_name(r, a, "n5"), 0); /* present: still fine */
    for (uint32_t i = 0; i < RECORDED_MAX_UNKNOWN; i++)
        assert_int_equal(recorded_add_number(r, a, 100000 + i), 1);
    assert_int_equal(recorded_add_number(r, a, 99999), -E2BIG);
}

/* A full list does not stop a merge: a container whose unknown numbers fill x86_64's list
 * still brings its 32-bit calls and its other x86_64 names (each container's share is capped
 * alone, so only the union of several overflows). */
static void test_merge_past_full(void **state)
{
    _cleanup_(recorded_freep) struct recorded *dst = new_rec();
    _cleanup_(recorded_freep) struct recorded *src = new_rec();
    int x64 = arch("x86_64"), x86 = arch("x86");
    for (uint32_t i = 0; i < RECORDED_MAX_UNKNOWN; i++)
        assert_int_equal(recorded_add_number(dst, x64, 100000 + i), 1);
    assert_int_equal(recorded_add_number(src, x64, 99999), 1); /* no room in dst */
    assert_int_equal(recorded_add_number(src, x64, 0), 1);     /* read */
    assert_int_equal(recorded_add_number(src, x86, 1), 1);     /* exit */
    assert_int_equal(recorded_merge(dst, src), -E2BIG);
    size_t n;
    const char *const *names = recorded_names(dst, x86, &n);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "exit");
    names = recorded_names(dst, x64, &n);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "read");
}

/* One container's own list full (a program calling over 256 unknown numbers): what it missed is
 * not lost without a word: a merge of it says -E2BIG (the caller notes it in the status), even
 * into an empty recording, and brings everything it holds. */
static void test_merge_of_a_truncated_source(void **state)
{
    _cleanup_(recorded_freep) struct recorded *dst = new_rec();
    _cleanup_(recorded_freep) struct recorded *src = new_rec();
    int x64 = arch("x86_64");
    for (uint32_t i = 0; i < RECORDED_MAX_UNKNOWN; i++)
        assert_int_equal(recorded_add_number(src, x64, 100000 + i), 1);
    assert_int_equal(recorded_add_number(src, x64, 0), 1);
    assert_int_equal(recorded_merge(dst, src), RECORDED_MAX_UNKNOWN + 1); /* nothing missed */
    assert_int_equal(recorded_add_number(src, x64, 99999), -E2BIG);       /* missed */
    _cleanup_(recorded_freep) struct recorded *fresh = new_rec();
    assert_int_equal(recorded_merge(fresh, src), -E2BIG);
    size_t n;
    recorded_names(fresh, x64, &n);
    assert_int_equal(n, 1);
    /* And the recording that took it says so at its next merge too. */
    _cleanup_(recorded_freep) struct recorded *later = new_rec();
    assert_int_equal(recorded_merge(later, fresh), -E2BIG);
}

/* A pseudo-random recording over a few architectures. */
static struct recorded *random_rec(unsigned *seed)
{
    struct recorded *r = new_rec();
    int arches[] = {arch("x86_64"), arch("x86"), arch("aarch64")};
    int n = (int)(rand_r(seed) % 60);
    for (int i = 0; i < n; i++) {
        int a = arches[rand_r(seed) % 3];
        uint32_t nr = (uint32_t)(rand_r(seed) % 500);
        if (rand_r(seed) % 10 == 0)
            nr += 2000; /* no name */
        assert_true(recorded_add_number(r, a, nr) >= 0);
    }
    return r;
}

/* Property: merging is a union. Any order gives the same set; merging again adds nothing;
 * adding the parts one by one equals the union of the parts (incremental = fresh). */
static void test_merge_is_union(void **state)
{
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        struct recorded *parts[4];
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
            parts[i] = random_rec(&seed);
        _cleanup_(recorded_freep) struct recorded *fwd = new_rec();
        _cleanup_(recorded_freep) struct recorded *rev = new_rec();
        int added = 0;
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
            int r = recorded_merge(fwd, parts[i]);
            assert_true(r >= 0);
            added += r;
        }
        for (size_t i = ARRAY_SIZE(parts); i-- > 0;)
            assert_true(recorded_merge(rev, parts[i]) >= 0);
        assert_true(recorded_equal(fwd, rev));
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
            assert_int_equal(recorded_merge(fwd, parts[i]), 0);
        /* Every entry of every part is in the union, and the union holds nothing else. */
        size_t total = 0;
        for (size_t a = 0; a < arch_count(); a++) {
            size_t n, m;
            const char *const *names = recorded_names(fwd, (int)a, &n);
            recorded_unknown(fwd, (int)a, &m);
            total += n + m;
            for (size_t i = 0; i < n; i++) {
                bool somewhere = false;
                for (size_t p = 0; p < ARRAY_SIZE(parts); p++) {
                    size_t pn;
                    const char *const *pnames = recorded_names(parts[p], (int)a, &pn);
                    for (size_t k = 0; k < pn; k++)
                        somewhere |= strcmp(pnames[k], names[i]) == 0;
                }
                assert_true(somewhere);
            }
            for (size_t i = 1; i < n; i++)
                assert_true(strcmp(names[i - 1], names[i]) < 0);
        }
        assert_int_equal(total, (size_t)added);
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
            recorded_free(parts[i]);
    }
}

static void test_json_round_trip(void **state)
{
    unsigned seed = 99;
    for (int round = 0; round < 100; round++) {
        _cleanup_(recorded_freep) struct recorded *r = random_rec(&seed);
        json_t *sys = NULL, *unk = NULL;
        assert_int_equal(recorded_to_json(r, &sys, &unk), 0);
        struct recorded *back = NULL;
        struct kerr err = {0};
        assert_int_equal(recorded_from_json(sys, unk, "status", &back, &err), 0);
        assert_true(recorded_equal(r, back));
        recorded_free(back);
        json_decref(sys);
        json_decref(unk);
    }
    /* Nothing seen: both NULL, and NULL reads back as empty. */
    _cleanup_(recorded_freep) struct recorded *empty = new_rec();
    json_t *sys = (json_t *)1, *unk = (json_t *)1;
    assert_int_equal(recorded_to_json(empty, &sys, &unk), 0);
    assert_null(sys);
    assert_null(unk);
    struct recorded *back = NULL;
    struct kerr err = {0};
    assert_int_equal(recorded_from_json(NULL, NULL, "status", &back, &err), 0);
    assert_int_equal(recorded_arches(back), 0);
    recorded_free(back);
}

static void test_json_malformed(void **state)
{
    static const struct {
        const char *syscalls, *unknown, *field;
    } cases[] = {
        {"[]", "null", "status.syscalls: must be an object of architectures"},
        {"{\"sparc\": [\"read\"]}", "null", "status.syscalls: unknown architecture \"sparc\""},
        {"{\"x86_64\": \"read\"}", "null", "status.syscalls.x86_64: must be a list"},
        {"{\"x86_64\": [1]}", "null", "status.syscalls.x86_64[0]: must be a syscall name"},
        {"{\"x86_64\": [\"read\", \"Bad\"]}", "null",
         "status.syscalls.x86_64[1]: \"Bad\" is not a syscall name"},
        {"null", "{\"x86\": [\"x\"]}", "status.unknownSyscalls.x86[0]: must be a number"},
        {"null", "{\"x86\": [-1]}", "status.unknownSyscalls.x86[0]: must be a number"},
        {"null", "{\"x86\": [4294967296]}", "status.unknownSyscalls.x86[0]: must be a number"},
        {"null", "{\"x86\": {}}", "status.unknownSyscalls.x86: must be a list"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_t *s = json_loads(cases[i].syscalls, JSON_DECODE_ANY, NULL);
        json_t *u = json_loads(cases[i].unknown, JSON_DECODE_ANY, NULL);
        struct recorded *r = (struct recorded *)1;
        struct kerr err = {0};
        int rc = recorded_from_json(json_is_null(s) ? NULL : s, json_is_null(u) ? NULL : u,
                                    "status", &r, &err);
        if (rc != -EINVAL || strncmp(err.msg, cases[i].field, strlen(cases[i].field)) != 0)
            fail_msg("case %zu: %d \"%s\"", i, rc, err.msg);
        assert_ptr_equal(r, (struct recorded *)1); /* not written on failure */
        json_decref(s);
        json_decref(u);
    }
    /* Too many names. */
    json_t *list = json_array();
    char name[32];
    for (int i = 0; i <= RECORDED_MAX_NAMES; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        json_array_append_new(list, json_string(name));
    }
    json_t *s = json_pack("{s:o}", "x86_64", list);
    struct recorded *r = NULL;
    struct kerr err = {0};
    assert_int_equal(recorded_from_json(s, NULL, "status", &r, &err), -E2BIG);
    assert_non_null(strstr(err.msg, "more than 1024 entries"));
    json_decref(s);
}

struct decoded {
    struct policy *p;
    int n;
};

static int keep_policy(struct object *o, void *userdata)
{
    struct decoded *d = userdata;
    d->n++;
    if (o->type == OBJ_POLICY && !d->p)
        d->p = TAKE_PTR(o->policy);
    object_clear(o);
    return 0;
}

static void test_render_decodes(void **state)
{
    _cleanup_(recorded_freep) struct recorded *r = new_rec();
    int x64 = arch("x86_64"), x86 = arch("x86");
    assert_int_equal(recorded_add_name(r, x64, "write"), 1);
    assert_int_equal(recorded_add_name(r, x64, "read"), 1);
    assert_int_equal(recorded_add_name(r, x86, "read"), 1); /* on both: listed once */
    assert_int_equal(recorded_add_name(r, x86, "socketcall"), 1);
    assert_int_equal(recorded_add_number(r, x64, 1000), 1);
    char *yaml = NULL;
    size_t len;
    assert_int_equal(
        recorded_render_policy(r, "demo", "web", "from: a b\napiVersion: evil\x01", &yaml, &len),
        0);
    assert_int_equal(strlen(yaml), len);
    assert_non_null(strstr(yaml, "# from: a b\n# apiVersion: evil\\x01\n"));
    assert_non_null(strstr(yaml, "# x86_64: 2 syscalls; numbers libseccomp has no name for, "
                                 "not allowed below: 1000\n"));
    assert_non_null(strstr(yaml, "    syscalls:\n    - read\n    - socketcall\n    - write\n"));
    assert_non_null(strstr(yaml, "    arch: [x86_64, x86]\n"));

    struct decoded d = {0};
    struct kerr err = {0};
    assert_int_equal(manifest_load_buffer(yaml, len, "rendered", keep_policy, &d, &err), 0);
    assert_int_equal(d.n, 1);
    assert_non_null(d.p);
    assert_null(d.p->error);
    assert_string_equal(d.p->ns, "demo");
    assert_string_equal(d.p->name, "web");
    assert_int_equal(d.p->nblocks, 1);
    assert_int_equal(d.p->blocks[0].verdict.action, ACT_ALLOW);
    assert_int_equal(d.p->blocks[0].arches, (1u << x64) | (1u << x86));
    assert_int_equal(d.p->blocks[0].nsyscalls, 3);
    assert_string_equal(d.p->blocks[0].syscalls[0].name, "read");
    assert_string_equal(d.p->blocks[0].syscalls[2].name, "write");
    policy_free(d.p);
    free(yaml);

    /* Names YAML would read as a boolean or a number ("kscmp record -- true" names its policy
     * after the command) are quoted, and read back as the names. */
    static const char *const odd[][2] = {{"yes", "true"}, {"0755", "off"}, {"demo", "1e3"}};
    for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
        assert_int_equal(recorded_render_policy(r, odd[i][0], odd[i][1], NULL, &yaml, &len), 0);
        char want[64];
        snprintf(want, sizeof(want), "  name: \"%s\"\n", odd[i][1]);
        assert_non_null(strstr(yaml, want));
        d = (struct decoded){0};
        assert_int_equal(manifest_load_buffer(yaml, len, "rendered", keep_policy, &d, &err), 0);
        assert_non_null(d.p);
        assert_null(d.p->error);
        assert_string_equal(d.p->ns, odd[i][0]);
        assert_string_equal(d.p->name, odd[i][1]);
        policy_free(d.p);
        free(yaml);
    }

    assert_int_equal(recorded_render_policy(r, "demo", "Bad_Name", NULL, &yaml, &len), -EINVAL);
    assert_int_equal(recorded_render_policy(r, "a/b", "web", NULL, &yaml, &len), -EINVAL);
}

static void test_render_empty(void **state)
{
    _cleanup_(recorded_freep) struct recorded *r = new_rec();
    char *yaml = NULL;
    size_t len;
    assert_int_equal(recorded_render_policy(r, "demo", "nothing", NULL, &yaml, &len), 0);
    assert_non_null(strstr(yaml, "# Nothing was recorded"));
    assert_non_null(strstr(yaml, "    syscalls: []\n    action: Allow\n"));
    assert_null(strstr(yaml, "arch:"));
    struct decoded d = {0};
    struct kerr err = {0};
    assert_int_equal(manifest_load_buffer(yaml, len, "rendered", keep_policy, &d, &err), 0);
    assert_non_null(d.p);
    assert_null(d.p->error);
    assert_int_equal(d.p->blocks[0].nsyscalls, 0);
    policy_free(d.p);
    free(yaml);
}

/* Names that YAML would read as null, a boolean or a number are quoted (status input may hold
 * them; real syscall names never do). */
static void test_render_quotes(void **state)
{
    _cleanup_(recorded_freep) struct recorded *r = new_rec();
    int a = arch("x86_64");
    const char *odd[] = {"null", "true", "on", "yes", "n", "123", "0x1f", "_llseek", "read"};
    for (size_t i = 0; i < ARRAY_SIZE(odd); i++)
        assert_int_equal(recorded_add_name(r, a, odd[i]), 1);
    char *yaml = NULL;
    size_t len;
    assert_int_equal(recorded_render_policy(r, "demo", "odd", NULL, &yaml, &len), 0);
    assert_non_null(strstr(yaml, "    - \"null\"\n"));
    assert_non_null(strstr(yaml, "    - \"123\"\n"));
    assert_non_null(strstr(yaml, "    - _llseek\n"));
    assert_non_null(strstr(yaml, "    - read\n"));
    struct decoded d = {0};
    struct kerr err = {0};
    assert_int_equal(manifest_load_buffer(yaml, len, "rendered", keep_policy, &d, &err), 0);
    assert_non_null(d.p);
    assert_null(d.p->error);
    assert_int_equal(d.p->blocks[0].nsyscalls, ARRAY_SIZE(odd));
    policy_free(d.p);
    free(yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arch_of),
        cmocka_unit_test(test_numbers_to_names),
        cmocka_unit_test(test_names_refused),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_merge_past_full),
        cmocka_unit_test(test_merge_is_union),
        cmocka_unit_test(test_merge_of_a_truncated_source),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_malformed),
        cmocka_unit_test(test_render_decodes),
        cmocka_unit_test(test_render_empty),
        cmocka_unit_test(test_render_quotes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
