/* event_budget.c - a token bucket of Events per pod, and the Events waiting for a token. */
#include "node/event_budget.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

struct pending {
    void *item;
    struct pending *next;
};

struct budget_pod {
    bool init;
    unsigned tokens;
    uint64_t refilled_ms; /* the tokens are counted up to this time */
    struct pending *head, *tail;
    size_t n, dropped;
};

void event_budget_init(struct event_budget *b, void (*free_item)(void *item))
{
    hmap_init(&b->pods);
    b->free_item = free_item;
    b->npending = 0;
}

static void pod_free_items(struct event_budget *b, struct budget_pod *p)
{
    while (p->head) {
        struct pending *q = p->head;
        p->head = q->next;
        if (b->free_item)
            b->free_item(q->item);
        free(q);
    }
    p->tail = NULL;
    b->npending -= p->n;
    p->n = 0;
}

void event_budget_clear(struct event_budget *b)
{
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&b->pods, &it); h; h = hmap_next(&b->pods, &it))
        pod_free_items(b, h->value);
    hmap_clear(&b->pods, free);
    b->npending = 0;
}

/* Tokens earned since refilled_ms, up to EVENT_BURST. */
static void refill(struct budget_pod *p, uint64_t now_ms)
{
    if (!p->init) {
        *p = (struct budget_pod){.init = true, .tokens = EVENT_BURST, .refilled_ms = now_ms};
        return;
    }
    if (now_ms < p->refilled_ms || p->tokens >= EVENT_BURST) {
        p->refilled_ms = now_ms;
        return;
    }
    uint64_t earned = (now_ms - p->refilled_ms) / EVENT_REFILL_MS;
    if (earned >= EVENT_BURST - p->tokens) {
        p->tokens = EVENT_BURST;
        p->refilled_ms = now_ms;
    } else {
        p->tokens += (unsigned)earned;
        p->refilled_ms += earned * EVENT_REFILL_MS;
    }
}

int event_budget_take(struct event_budget *b, const char *pod, uint64_t now_ms)
{
    struct budget_pod *p = hmap_get_or_new(&b->pods, pod, sizeof(*p));
    if (!p)
        return -ENOMEM;
    refill(p, now_ms);
    if (p->n > 0 || p->tokens == 0)
        return 0;
    p->tokens--;
    return 1;
}

bool event_budget_node_full(const struct event_budget *b)
{
    return b->npending >= EVENT_PENDING_NODE_MAX;
}

int event_budget_defer(struct event_budget *b, const char *pod, void *item, int *ret_first)
{
    struct budget_pod *p = hmap_get_or_new(&b->pods, pod, sizeof(*p));
    bool room = p && p->n < EVENT_PENDING_MAX && b->npending < EVENT_PENDING_NODE_MAX;
    struct pending *q = room ? malloc(sizeof(*q)) : NULL;
    if (!q) {
        if (b->free_item)
            b->free_item(item);
        if (!p || room)
            return -ENOMEM;
        p->dropped++;
        return 0;
    }
    if (ret_first)
        *ret_first = p->n == 0;
    *q = (struct pending){.item = item};
    if (p->tail)
        p->tail->next = q;
    else
        p->head = q;
    p->tail = q;
    p->n++;
    b->npending++;
    return 1;
}

uint64_t event_budget_next_due(const struct event_budget *b)
{
    uint64_t due = UINT64_MAX;
    if (b->npending == 0)
        return due;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&b->pods, &it); h; h = hmap_next(&b->pods, &it)) {
        const struct budget_pod *p = h->value;
        if (p->n == 0)
            continue;
        uint64_t t = p->tokens > 0 ? p->refilled_ms : p->refilled_ms + EVENT_REFILL_MS;
        if (t < due)
            due = t;
    }
    return due;
}

void *event_budget_pop_due(struct event_budget *b, uint64_t now_ms, const char **ret_pod)
{
    if (b->npending == 0)
        return NULL;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&b->pods, &it); h; h = hmap_next(&b->pods, &it)) {
        struct budget_pod *p = h->value;
        if (p->n == 0)
            continue;
        refill(p, now_ms);
        if (p->tokens == 0)
            continue;
        p->tokens--;
        struct pending *q = p->head;
        p->head = q->next;
        if (!p->head)
            p->tail = NULL;
        p->n--;
        b->npending--;
        void *item = q->item;
        free(q);
        if (ret_pod)
            *ret_pod = h->key;
        return item;
    }
    return NULL;
}

void event_budget_refund(struct event_budget *b, const char *pod)
{
    struct budget_pod *p = hmap_get(&b->pods, pod);
    if (p && p->init && p->tokens < EVENT_BURST)
        p->tokens++;
}

size_t event_budget_dropped(const struct event_budget *b, const char *pod)
{
    const struct budget_pod *p = hmap_get(&b->pods, pod);
    return p ? p->dropped : 0;
}

void event_budget_forget(struct event_budget *b, const char *pod)
{
    struct budget_pod *p = hmap_remove(&b->pods, pod);
    if (!p)
        return;
    pod_free_items(b, p);
    free(p);
}
