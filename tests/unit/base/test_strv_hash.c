/* test_strv_hash.c - arrays of owned strings, the one FNV-1a, the string-keyed hash map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hmap.h"
#include "base/strv.h"

/* Published FNV-1a 64-bit values. */
static void test_fnv1a64_vectors(void **state)
{
    static const struct {
        const char *s;
        uint64_t h;
    } cases[] = {
        {"", 0xcbf29ce484222325ull},
        {"a", 0xaf63dc4c8601ec8cull},
        {"foobar", 0x85944171f73967e8ull},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_true(fnv1a64_str(cases[i].s) == cases[i].h);
        assert_true(fnv1a64(cases[i].s, strlen(cases[i].s)) == cases[i].h);
    }
    /* Bytes past a NUL count for fnv1a64. */
    assert_true(fnv1a64("a\0b", 3) != fnv1a64_str("a"));
}

static void test_strv(void **state)
{
    char **v = NULL;
    size_t n = 0;
    assert_int_equal(strv_push(&v, &n, strdup("one")), 0);
    assert_int_equal(strv_addf(&v, &n, "%s-%d", "two", 2), 0);
    assert_int_equal(strv_push(&v, &n, NULL), -ENOMEM); /* a failed strdup, say */
    assert_int_equal(n, 2);
    assert_string_equal(v[0], "one");
    assert_string_equal(v[1], "two-2");
    strv_free(v, n);
    strv_free(NULL, 0);
}

/* hmap_get_or_new: a zeroed value made once, the same one found after, among many keys. */
static void test_hmap_get_or_new(void **state)
{
    struct hmap m;
    hmap_init(&m);
    char key[32];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        int *v = hmap_get_or_new(&m, key, sizeof(int));
        assert_non_null(v);
        assert_int_equal(*v, 0);
        *v = i + 1;
    }
    assert_int_equal(m.n, 100);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        int *v = hmap_get_or_new(&m, key, sizeof(int));
        assert_ptr_equal(v, hmap_get(&m, key));
        assert_int_equal(*v, i + 1);
    }
    assert_int_equal(m.n, 100);
    hmap_clear(&m, free);
}

/* hmap_key: the map's own copy of a key, which stays where it is while the map grows (a value
 * names itself with it), NULL for an absent key. */
static void test_hmap_key(void **state)
{
    (void)state;
    struct hmap m;
    hmap_init(&m);
    char key[32];
    assert_null(hmap_key(&m, "k0"));
    assert_int_equal(hmap_put(&m, "k0", (void *)1, NULL), 0);
    const char *k0 = hmap_key(&m, "k0");
    assert_non_null(k0);
    assert_string_equal(k0, "k0");
    for (int i = 1; i < 1000; i++) { /* several grows */
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(hmap_put(&m, key, (void *)(intptr_t)(i + 1), NULL), 0);
    }
    assert_ptr_equal(hmap_key(&m, "k0"), k0);
    assert_string_equal(k0, "k0");
    assert_ptr_not_equal(hmap_key(&m, "k999"), NULL);
    assert_null(hmap_key(&m, "k1000"));
    hmap_remove(&m, "k5");
    assert_null(hmap_key(&m, "k5"));
    hmap_clear(&m, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a64_vectors),
        cmocka_unit_test(test_strv),
        cmocka_unit_test(test_hmap_get_or_new),
        cmocka_unit_test(test_hmap_key),
    };
    return cmocka_run_group_tests_name("strv_hash", tests, NULL, NULL);
}
