/* test_event_budget.c - EVENT_BURST Events of a pod at once, then one per EVENT_REFILL_MS, in
 * order; at most EVENT_PENDING_MAX waiting; nothing kept after its pod goes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/event_budget.h"

static int nfreed;

static void free_item(void *item)
{
    nfreed++;
    free(item);
}

static int *item(int v)
{
    int *p = malloc(sizeof(*p));
    assert_non_null(p);
    *p = v;
    return p;
}

/* Pops one due item at now and returns its value, or -1 when none is due. */
static int pop(struct event_budget *b, uint64_t now, const char *want_pod)
{
    const char *pod = NULL;
    int *p = event_budget_pop_due(b, now, &pod);
    if (!p)
        return -1;
    if (want_pod)
        assert_string_equal(pod, want_pod);
    int v = *p;
    free(p);
    return v;
}

static void test_burst_then_one_per_refill(void **state)
{
    struct event_budget b;
    event_budget_init(&b, free_item);
    nfreed = 0;
    const uint64_t t0 = 5000;
    for (int i = 0; i < EVENT_BURST; i++)
        assert_int_equal(event_budget_take(&b, "u-1", t0), 1);
    assert_int_equal(event_budget_take(&b, "u-1", t0), 0);
    /* Another pod has its own budget. */
    assert_int_equal(event_budget_take(&b, "u-2", t0), 1);
    assert_int_equal(event_budget_next_due(&b), UINT64_MAX);

    int first = -1;
    assert_int_equal(event_budget_defer(&b, "u-1", item(1), &first), 1);
    assert_int_equal(first, 1);
    assert_int_equal(event_budget_defer(&b, "u-1", item(2), &first), 1);
    assert_int_equal(first, 0);
    assert_int_equal(event_budget_next_due(&b), t0 + EVENT_REFILL_MS);
    assert_int_equal(pop(&b, t0 + EVENT_REFILL_MS - 1, NULL), -1);
    assert_int_equal(pop(&b, t0 + EVENT_REFILL_MS, "u-1"), 1);
    assert_int_equal(pop(&b, t0 + EVENT_REFILL_MS, NULL), -1);
    assert_int_equal(event_budget_next_due(&b), t0 + 2 * EVENT_REFILL_MS);
    /* A token earned while an Event waits goes to the waiting one first: order is kept. */
    assert_int_equal(event_budget_take(&b, "u-1", t0 + 2 * EVENT_REFILL_MS), 0);
    assert_int_equal(pop(&b, t0 + 2 * EVENT_REFILL_MS, "u-1"), 2);
    assert_int_equal(event_budget_next_due(&b), UINT64_MAX);
    assert_int_equal(pop(&b, t0 + 9 * EVENT_REFILL_MS, NULL), -1);
    /* The tokens earned meanwhile: 9 - 2 = 7, not more. */
    for (int i = 0; i < 7; i++)
        assert_int_equal(event_budget_take(&b, "u-1", t0 + 9 * EVENT_REFILL_MS), 1);
    assert_int_equal(event_budget_take(&b, "u-1", t0 + 9 * EVENT_REFILL_MS), 0);
    assert_int_equal(nfreed, 0);
    event_budget_clear(&b);
}

static void test_refill_is_capped_and_clock_safe(void **state)
{
    struct event_budget b;
    event_budget_init(&b, free_item);
    for (int i = 0; i < EVENT_BURST; i++)
        assert_int_equal(event_budget_take(&b, "p", 1000000), 1);
    /* A clock that went back earns nothing. */
    assert_int_equal(event_budget_take(&b, "p", 10), 0);
    assert_int_equal(event_budget_take(&b, "p", 10 + EVENT_REFILL_MS - 1), 0);
    assert_int_equal(event_budget_take(&b, "p", 10 + EVENT_REFILL_MS), 1);
    /* A long quiet time earns EVENT_BURST, no more. */
    uint64_t later = 10 + 1000 * (uint64_t)EVENT_REFILL_MS;
    for (int i = 0; i < EVENT_BURST; i++)
        assert_int_equal(event_budget_take(&b, "p", later), 1);
    assert_int_equal(event_budget_take(&b, "p", later), 0);
    event_budget_clear(&b);
}

/* A token given back (an item popped and not posted) lets the next item go at once; never
 * more than EVENT_BURST, and nothing for a pod not known. */
static void test_refund(void **state)
{
    struct event_budget b;
    event_budget_init(&b, free_item);
    const uint64_t t0 = 7000;
    for (int i = 0; i < EVENT_BURST; i++)
        assert_int_equal(event_budget_take(&b, "u-1", t0), 1);
    assert_int_equal(event_budget_defer(&b, "u-1", item(1), NULL), 1);
    assert_int_equal(event_budget_defer(&b, "u-1", item(2), NULL), 1);
    assert_int_equal(pop(&b, t0 + EVENT_REFILL_MS, "u-1"), 1);
    assert_int_equal(pop(&b, t0 + EVENT_REFILL_MS, NULL), -1);
    event_budget_refund(&b, "u-1");
    assert_int_equal(event_budget_next_due(&b), t0 + EVENT_REFILL_MS);
    assert_int_equal(pop(&b, t0 + EVENT_REFILL_MS, "u-1"), 2);
    event_budget_refund(&b, "nobody");
    assert_null(event_budget_pop_due(&b, t0 + EVENT_REFILL_MS, NULL));
    /* Full: a refund adds nothing past EVENT_BURST. */
    uint64_t later = t0 + 1000 * (uint64_t)EVENT_REFILL_MS;
    assert_int_equal(event_budget_take(&b, "u-2", later), 1);
    event_budget_refund(&b, "u-2");
    event_budget_refund(&b, "u-2");
    for (int i = 0; i < EVENT_BURST; i++)
        assert_int_equal(event_budget_take(&b, "u-2", later), 1);
    assert_int_equal(event_budget_take(&b, "u-2", later), 0);
    event_budget_clear(&b);
}

static void test_pending_bound_and_forget(void **state)
{
    struct event_budget b;
    event_budget_init(&b, free_item);
    nfreed = 0;
    for (int i = 0; i < EVENT_BURST; i++)
        assert_int_equal(event_budget_take(&b, "u-1", 0), 1);
    for (int i = 0; i < EVENT_PENDING_MAX; i++)
        assert_int_equal(event_budget_defer(&b, "u-1", item(i), NULL), 1);
    assert_int_equal(event_budget_dropped(&b, "u-1"), 0);
    assert_int_equal(event_budget_defer(&b, "u-1", item(-1), NULL), 0);
    assert_int_equal(event_budget_defer(&b, "u-1", item(-1), NULL), 0);
    assert_int_equal(event_budget_dropped(&b, "u-1"), 2);
    assert_int_equal(nfreed, 2); /* the dropped ones */
    assert_int_equal(b.npending, EVENT_PENDING_MAX);
    assert_int_equal(event_budget_dropped(&b, "unknown"), 0);

    event_budget_forget(&b, "u-1");
    assert_int_equal(nfreed, 2 + EVENT_PENDING_MAX);
    assert_int_equal(b.npending, 0);
    assert_int_equal(event_budget_next_due(&b), UINT64_MAX);
    assert_null(event_budget_pop_due(&b, UINT64_MAX / 2, NULL));
    event_budget_forget(&b, "u-1"); /* twice: nothing */
    /* A pod forgotten starts again with a full budget. */
    assert_int_equal(event_budget_take(&b, "u-1", 1), 1);

    for (int i = 0; i < 3; i++)
        assert_int_equal(event_budget_defer(&b, "u-9", item(i), NULL), 1);
    event_budget_clear(&b);
    assert_int_equal(nfreed, 2 + EVENT_PENDING_MAX + 3);
}

/* The node's pods together keep at most EVENT_PENDING_NODE_MAX waiting. */
static void test_node_bound(void **state)
{
    struct event_budget b;
    event_budget_init(&b, free_item);
    nfreed = 0;
    size_t kept = 0, pods = EVENT_PENDING_NODE_MAX / EVENT_PENDING_MAX + 2;
    for (size_t i = 0; i < pods; i++) {
        assert_int_equal(event_budget_node_full(&b), kept == EVENT_PENDING_NODE_MAX);
        char pod[32];
        snprintf(pod, sizeof(pod), "u-%zu", i);
        for (int k = 0; k < EVENT_BURST; k++)
            assert_int_equal(event_budget_take(&b, pod, 0), 1);
        for (int k = 0; k < EVENT_PENDING_MAX; k++)
            kept += event_budget_defer(&b, pod, item(k), NULL) == 1;
    }
    assert_int_equal(kept, EVENT_PENDING_NODE_MAX);
    assert_true(event_budget_node_full(&b));
    assert_int_equal(b.npending, EVENT_PENDING_NODE_MAX);
    assert_int_equal(nfreed, pods * EVENT_PENDING_MAX - EVENT_PENDING_NODE_MAX);
    event_budget_clear(&b);
}

/* Random takes, defers, pops and forgets over three pods, time going forward: no pod sends more
 * than EVENT_BURST + elapsed / EVENT_REFILL_MS Events, each pod's waiting Events go in order,
 * and every item is handed back or freed exactly once. */
static void test_random_against_bounds(void **state)
{
    static const char *const pods[] = {"a", "b", "c"};
    for (unsigned seed = 1; seed <= 40; seed++) {
        srand(seed);
        struct event_budget b;
        event_budget_init(&b, free_item);
        nfreed = 0;
        int made = 0, popped = 0;
        uint64_t now = 1000, since[3] = {1000, 1000, 1000};
        int sent[3] = {0}, next_in[3] = {0}, next_out[3] = {0};
        for (int step = 0; step < 3000; step++) {
            int k = rand() % 3;
            switch (rand() % 8) {
            case 0:
                now += (uint64_t)(rand() % 3) * EVENT_REFILL_MS / 2 + (uint64_t)(rand() % 100);
                break;
            case 1:
            case 2:
            case 3: {
                int t = event_budget_take(&b, pods[k], now);
                assert_true(t == 0 || t == 1);
                if (t == 1) {
                    sent[k]++;
                    break;
                }
                int *p = item(k * 100000 + next_in[k]);
                made++;
                int q = event_budget_defer(&b, pods[k], p, NULL);
                assert_true(q == 0 || q == 1);
                if (q == 1)
                    next_in[k]++;
                break;
            }
            case 4:
            case 5:
            case 6: {
                const char *pod = NULL;
                int *p = event_budget_pop_due(&b, now, &pod);
                if (!p)
                    break;
                int j = pod[0] - 'a';
                assert_int_equal(*p, j * 100000 + next_out[j]);
                next_out[j]++;
                sent[j]++;
                popped++;
                free(p);
                break;
            }
            default:
                if (rand() % 10 == 0) {
                    event_budget_forget(&b, pods[k]);
                    sent[k] = 0;
                    since[k] = now;
                    next_in[k] = next_out[k] = 0;
                }
            }
            for (int j = 0; j < 3; j++)
                assert_true((uint64_t)sent[j] <= EVENT_BURST + (now - since[j]) / EVENT_REFILL_MS);
        }
        event_budget_clear(&b);
        assert_int_equal(popped + nfreed, made);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_one_per_refill),
        cmocka_unit_test(test_refill_is_capped_and_clock_safe),
        cmocka_unit_test(test_refund),
        cmocka_unit_test(test_pending_bound_and_forget),
        cmocka_unit_test(test_node_bound),
        cmocka_unit_test(test_random_against_bounds),
    };
    return cmocka_run_group_tests_name("event_budget", tests, NULL, NULL);
}
