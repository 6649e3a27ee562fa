/* policy_status.h - the status of every policy, written back to the API server.
 *
 * Owns: what a policy's status says (Ready: Valid, Invalid with the reason, or Conflict with
 * the syscalls that loosen the parent; observedGeneration; lastTransitionTime moving only
 * when Ready's status does), the merge-patch on /status only when it differs from what the
 * server holds, staggered so that a thousand nodes computing the same status do not all
 * write it, at most a few patches in flight, retries with a backoff per policy (a status
 * refused with 400 or 422 not sent again before it changes: status_retry.h), and the gauges
 * of valid, invalid and conflicting policies.
 */
#ifndef KSCMP_POLICY_STATUS_H
#define KSCMP_POLICY_STATUS_H

#include "base/evloop.h"
#include "base/metrics.h"
#include "engine/engine.h"
#include "kube/transport.h"
#include "kube/reflector.h"

struct policy_status;

/* policies[kind] reads the policies of each kind; its records are struct object_record
 * (object_record.h), whose status and condition this module keeps. Takes nothing over. */
int policy_status_new(const struct kube_transport *t, struct engine *e, struct evloop *l,
                      struct metrics *m, struct reflector *const policies[PK__MAX],
                      struct policy_status **ret);
void policy_status_free(struct policy_status *ps);

/* A policy of kind in ns changed or went: the statuses of its namespace's policies (children,
 * conflicts) may move, or of every policy for a ClusterSeccompPolicy (or ns NULL). */
void policy_status_mark(struct policy_status *ps, enum policy_kind kind, const char *ns);
/* Every policy's status may move. */
void policy_status_mark_all(struct policy_status *ps);

/* After a sync: queues a write for the marked policies whose status differs from what the
 * server holds, and sets the gauges. */
void policy_status_update(struct policy_status *ps);

#endif
