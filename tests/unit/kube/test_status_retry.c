/* test_status_retry.c - a status patch refused (400, 422): the same content held for an hour,
 * said once per message, counted; other failures: a backoff that grows to 30 s, a log line
 * for the first and then one per 10 minutes; a success forgets both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/evloop.h"
#include "kube/status_retry.h"

static const char *refusal =
    "{\"kind\":\"Status\",\"code\":422,\"message\":\"no, says the webhook\"}";

static json_t *status_at(const char *ltt, int64_t gen)
{
    return json_pack("{s:[{s:s, s:s, s:s}], s:I, s:[{s:s, s:s}]}", "conditions", "type", "Ready",
                     "status", "True", "lastTransitionTime", ltt, "observedGeneration",
                     (json_int_t)gen, "nodes", "node", "a", "lastUpdate", ltt);
}

static void test_content_without_times(void **state)
{
    json_t *a = status_at("2026-01-01T00:00:00Z", 1), *b = status_at("2026-12-07T08:00:00Z", 1);
    json_t *ca = status_content(a), *cb = status_content(b);
    assert_true(json_equal(ca, cb));
    assert_null(json_object_get(json_array_get(json_object_get(ca, "conditions"), 0),
                                "lastTransitionTime"));
    assert_null(json_object_get(json_array_get(json_object_get(ca, "nodes"), 0), "lastUpdate"));
    assert_non_null(json_object_get(a, "conditions")); /* the status itself is left as it was */
    assert_non_null(
        json_object_get(json_array_get(json_object_get(a, "conditions"), 0), "lastTransitionTime"));
    json_decref(a);
    json_decref(b);
    json_decref(ca);
    json_decref(cb);
}

static void test_refused_held_an_hour(void **state)
{
    struct metrics *m = NULL;
    assert_int_equal(metrics_new(&m), 0);
    struct status_retry s = {0};
    json_t *st = status_at("2026-12-07T08:00:00Z", 1), *c1 = status_content(st);
    json_decref(st);
    st = status_at("2026-12-07T08:00:00Z", 2);
    json_t *c2 = status_content(st);
    json_decref(st);
    uint64_t t = 1000000;
    assert_false(status_retry_held(NULL, c1, t));
    assert_false(status_retry_held(&s, c1, t));
    assert_int_equal(status_retry_until(&s), 0);

    assert_true(status_retry_refused(&s, m, "SeccompPolicy", "demo/p", 422, refusal, c1, t));
    assert_int_equal(metrics_get(m, M_STATUS_REFUSED), 1);
    assert_string_equal(s.refused_msg, "no, says the webhook");
    assert_true(status_retry_held(&s, c1, t + 1));
    assert_true(status_retry_held(&s, c1, t + STATUS_REFUSED_RETRY_MS - 1));
    assert_false(status_retry_held(&s, c1, t + STATUS_REFUSED_RETRY_MS)); /* an hour on */
    assert_false(status_retry_held(&s, c2, t + 1));                       /* it changed */
    assert_int_equal(status_retry_until(&s), t + STATUS_REFUSED_RETRY_MS);

    /* The changed status refused with the same words: counted, not said again. */
    assert_false(status_retry_refused(&s, m, "SeccompPolicy", "demo/p", 422, refusal, c2, t + 5));
    assert_int_equal(metrics_get(m, M_STATUS_REFUSED), 2);
    assert_true(status_retry_held(&s, c2, t + 6));
    assert_false(status_retry_held(&s, c1, t + 6));
    /* Other words (not JSON: the body's start, bounded): said. */
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    assert_true(status_retry_refused(&s, m, "SeccompPolicy", "demo/p", 400, big, c2, t + 7));
    assert_int_equal(strlen(s.refused_msg), 300);

    status_retry_reset(&s);
    assert_false(status_retry_held(&s, c2, t + 8));
    assert_null(s.refused_msg);
    /* After a success the same words are said again. */
    assert_true(status_retry_refused(&s, m, "SeccompPolicy", "demo/p", 422, refusal, c2, t + 9));
    status_retry_reset(&s);
    json_decref(c1);
    json_decref(c2);
    metrics_free(m);
}

static void test_failures_back_off_and_log_rarely(void **state)
{
    struct status_retry s = {0};
    uint64_t t = 5000000;
    bool logged = false;
    for (unsigned i = 1; i <= 10; i++) {
        uint64_t wait = status_retry_failed(&s, "ClusterSeccompPolicy", "c", "patch", 500, NULL,
                                            "{\"message\":\"etcd\"}", t + i * 1000, &logged);
        uint64_t full = backoff_ms(i, STATUS_BACKOFF_BASE_MS, STATUS_BACKOFF_MAX_MS);
        assert_in_range(wait, full / 2, full);
        assert_true(wait <= STATUS_BACKOFF_MAX_MS);
        assert_int_equal(logged, i == 1); /* the first only, within 10 minutes */
    }
    assert_int_equal(s.failures, 10);
    assert_int_equal(s.not_logged, 9);
    /* 10 minutes after the first line: one more, then quiet again. */
    status_retry_failed(&s, "ClusterSeccompPolicy", "c", "patch", 0, "Connection refused", NULL,
                        t + 1000 + STATUS_FAILURE_LOG_MS, &logged);
    assert_true(logged);
    assert_int_equal(s.not_logged, 0);
    status_retry_failed(&s, "ClusterSeccompPolicy", "c", "patch", 403, NULL, NULL,
                        t + 2000 + STATUS_FAILURE_LOG_MS, &logged);
    assert_false(logged);
    /* A refusal (400, 422) ends the backoff; a success ends everything: the next failure is
     * said at once and waits the first backoff again. */
    struct metrics *m = NULL;
    assert_int_equal(metrics_new(&m), 0);
    json_t *c = json_object();
    status_retry_refused(&s, m, "ClusterSeccompPolicy", "c", 422, NULL, c,
                         t + 2500 + STATUS_FAILURE_LOG_MS);
    assert_int_equal(s.failures, 0);
    json_decref(c);
    metrics_free(m);
    status_retry_reset(&s);
    uint64_t wait = status_retry_failed(&s, "ClusterSeccompPolicy", "c", "patch", 500, NULL, NULL,
                                        t + 3000 + STATUS_FAILURE_LOG_MS, &logged);
    assert_true(logged);
    assert_in_range(wait, STATUS_BACKOFF_BASE_MS / 2, STATUS_BACKOFF_BASE_MS);
    status_retry_reset(&s);
}

/* status_retry_free: what a record's retry holds is freed (ASan would say a leak) and the
 * pointer is NULL after; NULL is fine. */
static void test_free_allocated(void **state)
{
    struct status_retry *s = NULL;
    status_retry_free(&s);
    assert_null(s);
    s = calloc(1, sizeof(*s));
    assert_non_null(s);
    struct metrics *m = NULL;
    assert_int_equal(metrics_new(&m), 0);
    json_t *c = json_object();
    assert_true(status_retry_refused(s, m, "SeccompPolicy", "demo/p", 422, NULL, c, 1000));
    assert_non_null(s->refused);
    status_retry_free(&s);
    assert_null(s);
    status_retry_free(&s);
    json_decref(c);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_without_times),
        cmocka_unit_test(test_refused_held_an_hour),
        cmocka_unit_test(test_failures_back_off_and_log_rarely),
        cmocka_unit_test(test_free_allocated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
