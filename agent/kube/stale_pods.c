/* stale_pods.c - containers older than their profile: ProfileStale Events and a gauge. */
#include "kube/stale_pods.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/names.h"

/* True (and a ProfileStale Event posted) when a container of pod started before the
 * profile file rel last changed. */
static bool pod_stale(struct store *s, const struct pod *pod, const char *rel,
                      struct pod_events *events)
{
    struct stat st;
    if (store_stat(s, rel, &st, NULL) < 0)
        return false;
    for (size_t c = 0; c < pod->ncontainers; c++) {
        int64_t started = pod->containers[c].started_at;
        /* Seconds in startedAt: a change in the same second is not counted. */
        if (started > 0 && started < (int64_t)st.st_mtim.tv_sec) {
            char msg[512], when[64];
            rfc3339_utc(st.st_mtim.tv_sec, when, sizeof(when));
            snprintf(msg, sizeof(msg),
                     "container %s started before kscmp/%s last changed (%s): it runs "
                     "under the older profile until it restarts",
                     pod->containers[c].name, rel, when);
            pod_events_post(events, pod, "ProfileStale", msg);
            return true;
        }
    }
    return false;
}

void stale_pods_check(struct engine *e, struct store *s, const struct reflector *pods,
                      struct pod_events *events, struct metrics *m)
{
    unsigned stale = 0;
    const struct hmap *records = reflector_records(pods);
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(records, &it); h; h = hmap_next(records, &it)) {
        struct ns_name n;
        if (ns_name_split(h->key, &n) < 0 || !ns_name_ns(&n))
            continue;
        const struct pod *pod = engine_get_pod(e, n.ns, n.name);
        if (!pod)
            continue;
        bool is_stale = false;
        for (size_t i = 0; i < pod->nrefs && !is_stale; i++) {
            _cleanup_free_ char *rel = NULL;
            if (engine_classify_ref(pod->ns, pod->refs[i], &rel, NULL) == 0)
                is_stale = pod_stale(s, pod, rel, events);
        }
        stale += is_stale;
    }
    metrics_set(m, G_PODS_STALE, stale);
}
