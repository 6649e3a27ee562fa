/* kubesrc.h - the Kubernetes source of the agent: list, then watch, every kind it reads,
 * and tell the cluster what it found.
 *
 * Owns: one reflector per kind (SeccompPolicy, ClusterSeccompPolicy, KubeArmorSeccompPolicy
 * when its CRD exists, Namespace, and the node's Pods by field selector): paged lists,
 * resource versions, bookmarks, watch timeouts spread at random, 410 Gone → relist, other
 * errors → backoff with jitter; objects into the engine; policy status (merge-patch on
 * /status only when it differs from what is there); Events on pods (deduplicated); pods
 * running under an older version of their profile (ProfileStale).
 */
#ifndef KSCMP_KUBESRC_H
#define KSCMP_KUBESRC_H

#include "engine/engine.h"
#include "base/evloop.h"
#include "kube/client.h"
#include "base/metrics.h"
#include "node/reconcile.h"
#include "node/store.h"

struct kubesrc;

/* Takes nothing over: k, e, l, m, rec and s stay the caller's and must outlive it. */
int kubesrc_new(struct kube *k, struct engine *e, struct evloop *l, struct metrics *m,
                struct reconciler *rec, struct store *s, const char *node, struct kubesrc **ret);
void kubesrc_free(struct kubesrc *src);

/* Starts the lists; once every kind is listed, the first complete sync runs. */
int kubesrc_start(struct kubesrc *src);

/* The Events sink for the reconciler (Events on pods, through the API). */
int kubesrc_event(const struct engine_event *ev, void *userdata);

/* Lists everything again (SIGHUP). */
void kubesrc_relist(struct kubesrc *src);

#endif
