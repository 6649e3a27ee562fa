/* event_budget.h - how many Events one pod may have posted at once, and the rest kept for later.
 *
 * Owns: a token bucket per pod (EVENT_BURST Events at once, then one per EVENT_REFILL_MS; the
 * kubelet's own Event recorder limits each object so too, more tightly) and, per pod, the Events
 * that found no
 * token: kept in order (at most EVENT_PENDING_MAX a pod; more are dropped and counted) and
 * handed back as tokens come. A pod with many containers that each name a refused file makes
 * as many causes: without a bound, each is two requests to the API server at once. Pure: the
 * caller gives the time and owns the items (it frees them with the free function it gives).
 */
#ifndef KSCMP_EVENT_BUDGET_H
#define KSCMP_EVENT_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hmap.h"

#define EVENT_BURST 25
#define EVENT_REFILL_MS 60000u
#define EVENT_PENDING_MAX 100
/* Events waiting, all pods of the node together (each a few hundred bytes). */
#define EVENT_PENDING_NODE_MAX 10000

struct event_budget {
    struct hmap pods; /* pod key (its uid) -> struct budget_pod */
    void (*free_item)(void *item);
    size_t npending; /* items kept, all pods */
};

/* free_item frees what event_budget_defer() is given (may be NULL: items are not owned). */
void event_budget_init(struct event_budget *b, void (*free_item)(void *item));
/* Frees every pod's state and every item kept. */
void event_budget_clear(struct event_budget *b);

/* Takes one of pod's tokens at now_ms: 1 when there was one (post now), 0 when there is none or
 * the pod already has Events waiting (they go first: defer this one behind them), -ENOMEM. */
int event_budget_take(struct event_budget *b, const char *pod, uint64_t now_ms);

/* Keeps item until a token of pod comes: 1 kept; 0 when pod already has EVENT_PENDING_MAX
 * waiting, or the node EVENT_PENDING_NODE_MAX (item freed and counted as dropped); -ENOMEM (item
 * freed). *ret_first (may be NULL) is set to 1 when pod had none waiting (the caller says that it
 * defers once a burst), else 0. */
int event_budget_defer(struct event_budget *b, const char *pod, void *item, int *ret_first);

/* The earliest time at which a kept item can go, or UINT64_MAX when none is kept. */
uint64_t event_budget_next_due(const struct event_budget *b);

/* An item whose pod has a token at now_ms (the token taken), its pod's oldest; NULL when none
 * is due. The caller owns it. *ret_pod (may be NULL) is set to the pod's key (valid until the
 * pod is forgotten). */
void *event_budget_pop_due(struct event_budget *b, uint64_t now_ms, const char **ret_pod);

/* Gives back the token an item popped took, when the caller did not post it after all (its
 * cause ended while it waited): the next of the pod's items need not wait for it. */
void event_budget_refund(struct event_budget *b, const char *pod);

/* Whether the node has EVENT_PENDING_NODE_MAX items waiting (event_budget_defer() keeps no
 * more, of any pod). */
bool event_budget_node_full(const struct event_budget *b);

/* Items of pod dropped so far (over EVENT_PENDING_MAX, or the node's cap). */
size_t event_budget_dropped(const struct event_budget *b, const char *pod);

/* The pod is gone: its items are freed and its state forgotten. */
void event_budget_forget(struct event_budget *b, const char *pod);

#endif
