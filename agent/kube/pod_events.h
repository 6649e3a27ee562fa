/* pod_events.h - Warning Events on the node's pods, through the API server.
 *
 * Owns: posting an Event (core/v1, involvedObject the pod, source this node), once per pod,
 * reason and message while the pod is known (de-duplication). The first time in the agent's
 * life, the pod's Events of that reason are listed (field selector involvedObject.uid and
 * reason): when this node posted the same one before (an agent that restarted), it is
 * counted up (count and lastTimestamp, merge-patch) instead of posted again. An Event the
 * server refused for a reason that may pass (no answer, 401, 403, 429, 5xx) is sent again
 * with backoff while its pod is known.
 */
#ifndef KSCMP_POD_EVENTS_H
#define KSCMP_POD_EVENTS_H

#include "base/evloop.h"
#include "base/metrics.h"
#include "engine/model.h"
#include "kube/transport.h"
#include "node/event_dedup.h"

struct pod_events;

/* t, l and m stay the caller's and must outlive it. */
int pod_events_new(const struct kube_transport *t, struct evloop *l, struct metrics *m,
                   const char *node, struct pod_events **ret);
void pod_events_free(struct pod_events *pe);

/* Reads the answer to the lookup (an EventList, outside input): the Event that node posted
 * before (source.host or reportingInstance, component kscmp) on the pod uid with message. On
 * success *ret_name is its name (a DNS-1123 subdomain: it goes into the PATCH's path; caller
 * frees) and *ret_count its count (1 to INT32_MAX - 1). -ENOENT: none; -EINVAL: the body cannot be
 * read (err says why); -ENOMEM. */
int pod_events_find_posted(const char *body, size_t len, const char *uid, const char *message,
                           const char *node, char **ret_name, int64_t *ret_count, struct kerr *err);

/* Posts a Warning Event on pod unless the same one was posted already. */
int pod_events_post(struct pod_events *pe, const struct pod *pod, const char *reason,
                    const char *message);

/* The same, of type Normal: a fact worth seeing in `kubectl describe pod`, not a problem. */
int pod_events_post_normal(struct pod_events *pe, const struct pod *pod, const char *reason,
                           const char *message);

/* A fact of an Event for programs to read (kubectl kscmp): one of its metadata.annotations. */
struct event_note {
    const char *key, *value;
};

/* The same, with nnotes annotations (they do not count in telling one Event from another: the
 * same reason and message come with the same notes). */
int pod_events_post_noted(struct pod_events *pe, const struct pod *pod, const char *reason,
                          const char *message, const struct event_note *notes, size_t nnotes);

/* Whether the cause of an Event is still there, asked when one that waited for its pod's budget
 * is about to go (it may have waited many minutes): 1 yes, 0 no (the pod ns/name no longer gets
 * it: the Event is withdrawn, not posted, and one made again later is posted), or a negative
 * errno when it cannot be told (the Event goes). */
typedef int (*pod_events_owed_fn)(const char *ns, const char *name, const char *reason,
                                  const char *message, void *userdata);

/* Without it (the default), every Event that waited goes. */
void pod_events_set_owed(struct pod_events *pe, pod_events_owed_fn owed, void *userdata);

/* The pod of this uid is gone: its Events are forgotten (and not retried). */
void pod_events_forget(struct pod_events *pe, const char *uid);

#endif
