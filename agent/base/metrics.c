/* metrics.c - counters, gauges and a latency histogram, in the Prometheus text format. */
#include "base/metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static const struct {
    const char *name, *help;
} counter_info[M__COUNTERS] = {
    [M_PROFILES_WRITTEN] = {"kscmp_profiles_written_total", "Profile files written."},
    [M_PROFILES_REMOVED] = {"kscmp_profiles_removed_total", "Profile files removed."},
    [M_PROFILES_RESTORED] = {"kscmp_profiles_restored_total",
                             "Profile files put back after someone changed or deleted them."},
    [M_PROFILES_UNCHANGED] = {"kscmp_profiles_unchanged_total",
                              "Recomputed profiles whose bytes were already on disk."},
    [M_WRITE_ERRORS] = {"kscmp_profile_write_errors_total",
                        "Failed writes or removals (the old file stays; retried with backoff)."},
    [M_PROFILES_REJECTED] = {"kscmp_profiles_rejected_total",
                             "Compiled profiles refused by the libseccomp proof, or remembered as "
                             "refused (not written)."},
    [M_PROOFS] = {"kscmp_proofs_total",
                  "Profiles proven by libseccomp in a worker process (a verdict remembered "
                  "from before is not counted)."},
    [M_PROOF_WORKER_RESTARTS] = {"kscmp_proof_worker_restarts_total",
                                 "Proof workers replaced: crashed, over their CPU, memory or "
                                 "time limit, or stopped answering."},
    [M_PROOF_RETRIES] = {"kscmp_proof_retries_total",
                         "Proofs that came to no verdict for a reason that is not the profile's "
                         "(the worker stopped, starved or killed by someone): not remembered, the "
                         "profile is proven again later."},
    [M_RECONCILES] = {"kscmp_reconciles_total", "Reconcile passes."},
    [M_RECONCILE_ERRORS] = {"kscmp_reconcile_errors_total", "Reconcile passes that failed."},
    [M_SOURCE_ERRORS] = {"kscmp_source_errors_total", "Manifests that could not be read."},
    [M_WATCH_RESTARTS] = {"kscmp_watch_restarts_total", "Watches started again."},
    [M_WATCH_RELISTS] = {"kscmp_watch_relists_total", "Full lists (start, 410 Gone)."},
    [M_API_ERRORS] = {"kscmp_api_errors_total", "Failed requests to the API server."},
    [M_API_REQUESTS] = {"kscmp_api_requests_total", "Requests to the API server."},
    [M_EVENTS_SENT] = {"kscmp_events_total", "Events recorded on pods."},
    [M_EVENTS_DEFERRED] = {"kscmp_events_deferred_total",
                           "Events on pods that waited for their pod's budget (25 at once, then "
                           "one a minute)."},
    [M_EVENTS_DROPPED] =
        {"kscmp_events_dropped_total",
         "Events on pods not posted: 100 were waiting on the pod, or 10000 on the node."},
    [M_EVENTS_WITHDRAWN] = {"kscmp_events_withdrawn_total",
                            "Events on pods not posted: their cause ended while they waited for "
                            "their pod's budget."},
    [M_STATUS_PATCHES] = {"kscmp_status_patches_total",
                          "Status patches written (policies and SeccompRecordings)."},
    [M_STATUS_CONFLICTS] = {"kscmp_status_conflicts_total",
                            "Policy status patches refused (409): another node wrote first."},
    [M_STATUS_REFUSED] = {"kscmp_status_refused_total",
                          "Status patches (policies and SeccompRecordings) refused with 400 or "
                          "422: not sent again until what they say changes, or an hour passes."},
};

static const struct {
    const char *name, *help, *labels;
} gauge_info[G__GAUGES] = {
    [G_PROFILES] = {"kscmp_profiles", "Profile files the node holds.", ""},
    [G_PODS_STALE] = {"kscmp_pods_stale_profiles",
                      "Pods whose running containers started before their profile last changed.",
                      ""},
    [G_POLICIES_VALID] = {"kscmp_policies", "Policies by condition.", "{condition=\"Valid\"}"},
    [G_POLICIES_INVALID] = {"kscmp_policies", NULL, "{condition=\"Invalid\"}"},
    [G_POLICIES_CONFLICT] = {"kscmp_policies", NULL, "{condition=\"Conflict\"}"},
    [G_READY] = {"kscmp_ready", "1 once the first complete set of profiles is on disk.", ""},
    [G_PROFILES_FAILING] = {"kscmp_profiles_failing",
                            "Profile files not as owed: their last write or removal failed (a "
                            "full disk, a read-only folder), retried with backoff.",
                            ""},
    [G_STANDBY] = {"kscmp_standby",
                   "1 while another agent holds the kubelet root's lock: this one writes nothing "
                   "and takes over when that one stops.",
                   ""},
};

struct metrics {
    pthread_mutex_t lock;
    uint64_t counters[M__COUNTERS];
    double gauges[G__GAUGES];
    uint64_t hist[NBUCKETS + 1];
    double hist_sum;
    uint64_t hist_count;
    uint64_t heartbeat_ms;
    char standby_problem[METRICS_STANDBY_PROBLEM_MAX]; /* metrics_set_standby_problem(); "" when
                                                          none */
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int metrics_new(struct metrics **ret)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    pthread_mutex_init(&m->lock, NULL);
    m->heartbeat_ms = mono_ms();
    *ret = m;
    return 0;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void metrics_add(struct metrics *m, enum metric_counter c, uint64_t n)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->counters[c] += n;
    pthread_mutex_unlock(&m->lock);
}

uint64_t metrics_get(struct metrics *m, enum metric_counter c)
{
    pthread_mutex_lock(&m->lock);
    uint64_t v = m->counters[c];
    pthread_mutex_unlock(&m->lock);
    return v;
}

void metrics_set(struct metrics *m, enum metric_gauge g, double v)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->gauges[g] = v;
    pthread_mutex_unlock(&m->lock);
}

void metrics_observe_latency(struct metrics *m, double seconds)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    size_t i = 0;
    while (i < NBUCKETS && seconds > buckets[i])
        i++;
    m->hist[i]++;
    m->hist_sum += seconds;
    m->hist_count++;
    pthread_mutex_unlock(&m->lock);
}

char *metrics_render(struct metrics *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    pthread_mutex_lock(&m->lock);
    for (int c = 0; c < M__COUNTERS; c++)
        fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counter_info[c].name,
                counter_info[c].help, counter_info[c].name, counter_info[c].name,
                (unsigned long long)m->counters[c]);
    for (int g = 0; g < G__GAUGES; g++) {
        if (gauge_info[g].help)
            fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", gauge_info[g].name, gauge_info[g].help,
                    gauge_info[g].name);
        fprintf(f, "%s%s %g\n", gauge_info[g].name, gauge_info[g].labels, m->gauges[g]);
    }
    const char *h = "kscmp_profile_write_latency_seconds";
    fprintf(f, "# HELP %s From the event that changed a profile to the file being durable.\n", h);
    fprintf(f, "# TYPE %s histogram\n", h);
    uint64_t cum = 0;
    for (size_t i = 0; i < NBUCKETS; i++) {
        cum += m->hist[i];
        fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", h, buckets[i], (unsigned long long)cum);
    }
    cum += m->hist[NBUCKETS];
    fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", h,
            (unsigned long long)cum, h, m->hist_sum, h, (unsigned long long)m->hist_count);
    pthread_mutex_unlock(&m->lock);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static bool gauge_positive(struct metrics *m, enum metric_gauge g)
{
    pthread_mutex_lock(&m->lock);
    bool set = m->gauges[g] > 0;
    pthread_mutex_unlock(&m->lock);
    return set;
}

bool metrics_ready(struct metrics *m)
{
    return gauge_positive(m, G_READY);
}

bool metrics_standby(struct metrics *m, char *why, size_t size)
{
    pthread_mutex_lock(&m->lock);
    bool set = m->gauges[G_STANDBY] > 0;
    if (size)
        snprintf(why, size, "%s", m->standby_problem);
    pthread_mutex_unlock(&m->lock);
    return set;
}

void metrics_set_standby_problem(struct metrics *m, const char *why)
{
    pthread_mutex_lock(&m->lock);
    snprintf(m->standby_problem, sizeof(m->standby_problem), "%s", why ? why : "");
    pthread_mutex_unlock(&m->lock);
}

void metrics_heartbeat(struct metrics *m)
{
    pthread_mutex_lock(&m->lock);
    m->heartbeat_ms = mono_ms();
    pthread_mutex_unlock(&m->lock);
}

uint64_t metrics_heartbeat_age_ms(struct metrics *m)
{
    uint64_t now = mono_ms();
    pthread_mutex_lock(&m->lock);
    uint64_t last = m->heartbeat_ms;
    pthread_mutex_unlock(&m->lock);
    return now > last ? now - last : 0;
}
