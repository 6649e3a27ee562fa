/* test_event_dedup.c - each Event told once while its pod is known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "node/event_dedup.h"

static void test_told_once(void **state)
{
    struct event_dedup d;
    event_dedup_init(&d);
    struct pod web = {.ns = (char *)"demo", .name = (char *)"web", .uid = (char *)"u-1"};
    struct pod db = {.ns = (char *)"demo", .name = (char *)"db", .uid = (char *)"u-12"};
    struct pod local = {.ns = (char *)"demo", .name = (char *)"web"}; /* --local: no uid */

    _cleanup_free_ char *k1 = event_key(&web, "ProfileStale", "m");
    _cleanup_free_ char *k2 = event_key(&web, "ProfileStale", "other message");
    _cleanup_free_ char *k3 = event_key(&db, "ProfileStale", "m");
    _cleanup_free_ char *k4 = event_key(&local, "ProfileStale", "m");
    assert_string_equal(k1, "u-1\tProfileStale\tm");
    assert_string_equal(k4, "demo/web\tProfileStale\tm");

    assert_int_equal(event_dedup_add(&d, k1), 1);
    assert_int_equal(event_dedup_add(&d, k1), 0);
    assert_int_equal(event_dedup_add(&d, k2), 1);
    assert_int_equal(event_dedup_add(&d, k3), 1);
    assert_int_equal(event_dedup_add(&d, k4), 1);
    assert_true(event_dedup_has(&d, k1));

    /* A failed post is forgotten, to be told again. */
    event_dedup_remove(&d, k2);
    assert_false(event_dedup_has(&d, k2));
    assert_int_equal(event_dedup_add(&d, k2), 1);

    /* The pod u-1 went: its Events go, not those of u-12 (a uid that starts the same). */
    event_dedup_forget_pod(&d, "u-1");
    assert_false(event_dedup_has(&d, k1));
    assert_false(event_dedup_has(&d, k2));
    assert_true(event_dedup_has(&d, k3));
    assert_true(event_dedup_has(&d, k4));
    event_dedup_forget_pod(&d, NULL);

    event_dedup_clear(&d);
    assert_false(event_dedup_has(&d, k3));
    assert_int_equal(event_dedup_add(&d, k3), 1);
    event_dedup_clear(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_told_once),
    };
    return cmocka_run_group_tests_name("event_dedup", tests, NULL, NULL);
}
