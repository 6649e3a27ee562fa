/* metrics.h - the agent's counters and gauges.
 *
 * Owns: what the agent measures (docs/agent.md: metrics) and its Prometheus text. Updates come
 * from the event loop's thread, reads from the HTTP thread (program/http.h); a mutex guards
 * the numbers.
 */
#ifndef KSCMP_METRICS_H
#define KSCMP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum metric_counter {
    M_PROFILES_WRITTEN,
    M_PROFILES_REMOVED,
    M_PROFILES_RESTORED,
    M_PROFILES_UNCHANGED,
    M_WRITE_ERRORS,
    M_PROFILES_REJECTED, /* libseccomp refused a compiled profile: not written */
    M_PROOFS,            /* profiles proven in a worker (remembered verdicts not counted) */
    M_PROOF_WORKER_RESTARTS,
    M_PROOF_RETRIES, /* proofs that came to no verdict (not the profile's fault): proven again */
    M_RECONCILES,
    M_RECONCILE_ERRORS,
    M_SOURCE_ERRORS, /* broken files in --local DIR */
    M_WATCH_RESTARTS,
    M_WATCH_RELISTS,
    M_API_ERRORS,
    M_API_REQUESTS,
    M_EVENTS_SENT,
    M_EVENTS_DEFERRED,
    M_EVENTS_DROPPED,
    M_EVENTS_WITHDRAWN, /* waited for the budget, and their cause ended meanwhile */
    M_STATUS_PATCHES,
    M_STATUS_CONFLICTS, /* status patches refused with 409: another node wrote first */
    M_STATUS_REFUSED,   /* status patches refused with 400 or 422 */
    M__COUNTERS
};

enum metric_gauge {
    G_PROFILES,
    G_PODS_STALE,
    G_POLICIES_VALID,
    G_POLICIES_INVALID,
    G_POLICIES_CONFLICT,
    G_READY,
    G_PROFILES_FAILING, /* files whose last write or removal failed, waiting for a retry */
    G_STANDBY,          /* 1 while another agent holds the kubelet root's lock (program/agent.c) */
    G__GAUGES
};

struct metrics;

int metrics_new(struct metrics **ret);
void metrics_free(struct metrics *m);

void metrics_add(struct metrics *m, enum metric_counter c, uint64_t n);
void metrics_set(struct metrics *m, enum metric_gauge g, double v);
uint64_t metrics_get(struct metrics *m, enum metric_counter c);
/* One write latency: from the event that caused it to the file being durable. */
void metrics_observe_latency(struct metrics *m, double seconds);

/* The Prometheus text; the caller frees it. */
char *metrics_render(struct metrics *m);

/* True once the agent has set G_READY. */
bool metrics_ready(struct metrics *m);
/* True while the agent has G_STANDBY set: it waits for another agent's lock on the kubelet
 * root and writes nothing (/readyz says so, and answers 200: a DaemonSet's surge rollout
 * deletes the old pod, whose agent holds the lock, only once the new one is Ready). */
bool metrics_standby(struct metrics *m, char *why, size_t size);
/* While standing by: why this agent is not fit to take over yet (its check of the API server
 * failed; why is written into the standby's /readyz 503 "standby: not ready: ..."), or NULL
 * once it is. metrics_standby() copies it into why (size bytes; "" when none). */
void metrics_set_standby_problem(struct metrics *m, const char *why);
/* The longest problem kept (longer ones are cut), its NUL included: a list of rights that the
 * API server refuses fits. */
#define METRICS_STANDBY_PROBLEM_MAX 1280

/* The event loop's heartbeat: the loop calls metrics_heartbeat() every second; the health
 * endpoint asks how old the last one is (milliseconds; from metrics_new() on). */
void metrics_heartbeat(struct metrics *m);
uint64_t metrics_heartbeat_age_ms(struct metrics *m);

#endif
