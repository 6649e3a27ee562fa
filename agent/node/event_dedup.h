/* event_dedup.h - which Events on pods were told already.
 *
 * Owns: the set of Events (pod, reason, message) told while their pod is known, so that the
 * agent tells each once, whichever way it tells them (posted to the API server, or logged in
 * --local mode); forgetting a pod's when the pod goes, or all of them (SIGHUP).
 */
#ifndef KSCMP_EVENT_DEDUP_H
#define KSCMP_EVENT_DEDUP_H

#include <stdbool.h>

#include "base/hmap.h"
#include "engine/model.h"

struct event_dedup {
    struct hmap told; /* event_key() */
};

void event_dedup_init(struct event_dedup *d);
/* Forgets everything (and frees the set). */
void event_dedup_clear(struct event_dedup *d);

/* The key of an Event: "<pod uid, else ns/name>\t<reason>\t<message>"; NULL when out of
 * memory. The caller frees it. */
char *event_key(const struct pod *pod, const char *reason, const char *message);

/* Remembers key: 1 when it is new (tell it), 0 when it was told already, -ENOMEM. */
int event_dedup_add(struct event_dedup *d, const char *key);
bool event_dedup_has(const struct event_dedup *d, const char *key);
/* Forgets key (telling it failed: it may be told again). */
void event_dedup_remove(struct event_dedup *d, const char *key);
/* Forgets the Events of the pod of this uid (it is gone). */
void event_dedup_forget_pod(struct event_dedup *d, const char *uid);

#endif
