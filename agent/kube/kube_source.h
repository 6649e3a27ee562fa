/* kube_source.h - the Kubernetes source of the agent: every kind it reads from the API
 * server into the engine, and what it tells the cluster back.
 *
 * Owns: the wiring of the Kubernetes side: one reflector per kind (SeccompPolicy,
 * ClusterSeccompPolicy, KubeArmorSeccompPolicy when its CRD exists, Namespace, and the
 * node's Pods by field selector; reflector.h), each object decoded into the engine, a sync
 * after changes (once every kind is listed: the first complete sync, then garbage
 * collection), and after each sync the policy status (policy_status.h), Events on pods
 * (pod_events.h) and stale pods (stale_pods.h).
 */
#ifndef KSCMP_KUBE_SOURCE_H
#define KSCMP_KUBE_SOURCE_H

#include "base/evloop.h"
#include "base/metrics.h"
#include "engine/engine.h"
#include "kube/client.h"
#include "node/reconcile.h"
#include "node/store.h"

struct kubesrc;

/* Takes nothing over: k, e, l, m, rec and s stay the caller's and must outlive it. */
int kubesrc_new(struct kube *k, struct engine *e, struct evloop *l, struct metrics *m,
                struct reconciler *rec, struct store *s, const char *node, struct kubesrc **ret);
void kubesrc_free(struct kubesrc *src);

struct recordings_opts;

/* Reads SeccompRecordings too, and records the pods they select (recordings.h); before
 * kubesrc_start. */
int kubesrc_enable_recordings(struct kubesrc *src, const char *node,
                              const struct recordings_opts *o);

/* Starts the lists; once every kind is listed, the first complete sync runs. */
int kubesrc_start(struct kubesrc *src);

/* Leaves KubeArmorSeccompPolicy objects alone (another product owns the kind): never read, so
 * no policy and no status of them (before kubesrc_start). */
void kubesrc_skip_kubearmor(struct kubesrc *src);

/* The Events sink for the reconciler (Events on pods, through the API). */
int kubesrc_event(const struct engine_event *ev, void *userdata);

/* Lists everything again, and computes every file again (SIGHUP). */
void kubesrc_relist(struct kubesrc *src);

#endif
