/* stale_pods.h - pods running under an older version of their profile.
 *
 * Owns: telling which containers started before the profile they reference last changed
 * on disk (the runtime applies a profile when a container starts, so such a container
 * keeps the old one until it restarts): a ProfileStale Event on the pod and the
 * kscmp_pods_stale_profiles gauge.
 */
#ifndef KSCMP_STALE_PODS_H
#define KSCMP_STALE_PODS_H

#include "base/metrics.h"
#include "engine/engine.h"
#include "kube/pod_events.h"
#include "kube/reflector.h"
#include "node/store.h"

/* Checks every pod the pods reflector holds against the store's files. */
void stale_pods_check(struct engine *e, struct store *s, const struct reflector *pods,
                      struct pod_events *events, struct metrics *m);

#endif
