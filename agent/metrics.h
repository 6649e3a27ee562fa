/* metrics.h - the agent's counters, and the HTTP endpoint that serves them.
 *
 * Owns: what the agent measures (contract section 7) and /metrics (Prometheus text format),
 * /healthz and /readyz, served by libmicrohttpd on its own thread. Updates come from the
 * event loop's thread; a mutex guards the numbers.
 */
#ifndef KSCMP_METRICS_H
#define KSCMP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum metric_counter {
    M_PROFILES_WRITTEN,
    M_PROFILES_REMOVED,
    M_PROFILES_RESTORED,
    M_PROFILES_UNCHANGED,
    M_WRITE_ERRORS,
    M_PROFILES_REJECTED, /* libseccomp refused a compiled profile: not written */
    M_RECONCILES,
    M_RECONCILE_ERRORS,
    M_SOURCE_ERRORS, /* broken files in --local DIR */
    M_WATCH_RESTARTS,
    M_WATCH_RELISTS,
    M_API_ERRORS,
    M_API_REQUESTS,
    M_EVENTS_SENT,
    M_STATUS_PATCHES,
    M__COUNTERS
};

enum metric_gauge {
    G_PROFILES,
    G_PODS_STALE,
    G_POLICIES_VALID,
    G_POLICIES_INVALID,
    G_POLICIES_CONFLICT,
    G_READY,
    G__GAUGES
};

struct metrics;

int metrics_new(struct metrics **ret);
/* Stops the server (if any) and frees. */
void metrics_free(struct metrics *m);

void metrics_add(struct metrics *m, enum metric_counter c, uint64_t n);
void metrics_set(struct metrics *m, enum metric_gauge g, double v);
/* One write latency: from the event that caused it to the file being durable. */
void metrics_observe_latency(struct metrics *m, double seconds);
uint64_t metrics_get(struct metrics *m, enum metric_counter c);

/* The Prometheus text; the caller frees it. */
char *metrics_render(struct metrics *m);

/* Serves on addr ("[HOST]:PORT"; port 0 picks one). */
int metrics_serve(struct metrics *m, const char *addr, struct kerr *err);
/* The port served on, 0 when not serving. */
unsigned metrics_port(const struct metrics *m);

#endif
