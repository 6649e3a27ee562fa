/* test_engine_prop.c - the incremental property of the engine (engine_prop.h), seeded and
 * deterministic: several seeds, thousands of random steps in all (puts, updates and deletes of
 * policies with extends, selectors, args, arch, actions and ceilings, of Namespaces and Pods,
 * and chains longer than EXTENDS_MAX), each step's result compared with a fresh engine's.
 * KSCMP_PROP_STEPS sets the steps per seed (default 500), KSCMP_PROP_SEED one seed to run,
 * KSCMP_PROP_INPUT a file of fuzz_engine_prop to replay with a check after every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine_prop.h"

static void prop_fail_test(const char *msg, void *userdata)
{
    (void)userdata;
    fputs(msg, stderr);
    fail_msg("%s", msg);
}

static unsigned env_uint(const char *name, unsigned dflt)
{
    const char *v = getenv(name);
    return v && *v ? (unsigned)strtoul(v, NULL, 10) : dflt;
}

static void run_seed(uint64_t seed, unsigned steps)
{
    struct prop p;
    assert_int_equal(prop_init(&p, prop_fail_test, NULL), 0);
    struct prop_src src = {.state = seed * 0x9e3779b97f4a7c15ull + 1};
    prop_run(&p, &src, steps, true);
    prop_free(&p);
}

static void test_incremental_equals_fresh(void **state)
{
    (void)state;
    unsigned steps = env_uint("KSCMP_PROP_STEPS", 500);
    const char *input = getenv("KSCMP_PROP_INPUT"); /* a fuzzer's input, checked at every step */
    if (input && *input) {
        FILE *f = fopen(input, "rb");
        assert_non_null(f);
        static uint8_t buf[1 << 16];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        struct prop p;
        assert_int_equal(prop_init(&p, prop_fail_test, NULL), 0);
        struct prop_src src = {.data = buf, .len = n};
        prop_run(&p, &src, steps, env_uint("KSCMP_PROP_EVERY", 1) != 0);
        prop_free(&p);
        return;
    }
    const char *one = getenv("KSCMP_PROP_SEED");
    if (one && *one) {
        run_seed(strtoull(one, NULL, 10), steps);
        return;
    }
    for (uint64_t seed = 1; seed <= 6; seed++)
        run_seed(seed, steps);
}

/* The harness itself must be able to fail: an engine that forgets to tell a file's new
 * verdict is caught. (A model that never complains would make the property test vacuous.) */
static bool caught;
static void prop_fail_flag(const char *msg, void *userdata)
{
    (void)msg;
    (void)userdata;
    caught = true;
}

static void test_harness_catches_a_stale_file(void **state)
{
    (void)state;
    struct prop p;
    assert_int_equal(prop_init(&p, prop_fail_flag, NULL), 0);
    assert_int_equal(prop_put(p.e, "apiVersion: v1\nkind: Pod\nmetadata: {name: w, namespace: a}\n"
                                   "spec:\n  securityContext:\n    seccompProfile: {type: "
                                   "Localhost, localhostProfile: kscmp/a/web.json}\n"),
                     0);
    struct prop_obj *o = calloc(1, sizeof(*o));
    *o = (struct prop_obj){.type = PROP_POD,
                           .ns = strdup("a"),
                           .name = strdup("w"),
                           .yaml = strdup("apiVersion: v1\nkind: Pod\nmetadata: {name: w, "
                                          "namespace: a}\nspec:\n  securityContext:\n    "
                                          "seccompProfile: {type: Localhost, localhostProfile: "
                                          "kscmp/a/web.json}\n")};
    hmap_put(&p.objs, "pod/a/w", o, NULL);
    /* The pod is in the engine but no sync told its file: the model lacks it. */
    caught = false;
    prop_check(&p);
    assert_true(caught);
    assert_int_equal(prop_sync(p.e, &p.m), 0);
    caught = false;
    prop_check(&p);
    assert_false(caught);
    prop_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harness_catches_a_stale_file),
        cmocka_unit_test(test_incremental_equals_fresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
