/* stale_pods.c - containers older than their profile: ProfileStale Events and a gauge. */
#include "kube/stale_pods.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/evloop.h"
#include "base/hmap.h"
#include "base/names.h"

/* The most names of each group a message spells out; the rest are counted. */
#define MESSAGE_NAMES 10

enum staleness staleness_of(int64_t started, struct timespec changed)
{
    if (started <= 0 || started > (int64_t)changed.tv_sec)
        return STALE_NOT;
    return started == (int64_t)changed.tv_sec ? STALE_SAME_SECOND : STALE_BEFORE;
}

static bool same_date(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

enum staleness staleness_by_content(int64_t started, struct timespec changed,
                                    const struct store_version *v, size_t n)
{
    if (started <= 0)
        return STALE_NOT;
    if (!v || n == 0 || v[n - 1].kind != STORE_VERSION_BYTES ||
        !same_date(v[n - 1].date, changed) || started < (int64_t)v[0].date.tv_sec)
        return staleness_of(started, changed);
    const struct digest *now = &v[n - 1].digest;
    /* In the second of v[0]'s date, the version before it (not known) may have been read. */
    bool same = false, other = started == (int64_t)v[0].date.tv_sec;
    for (size_t i = 0; i < n; i++) {
        /* v[i] was there from its date to the next one's: both seconds count (whole seconds). */
        int64_t from = (int64_t)v[i].date.tv_sec;
        int64_t to = i + 1 < n ? (int64_t)v[i + 1].date.tv_sec : INT64_MAX;
        if (started < from || started > to || v[i].kind == STORE_VERSION_ABSENT)
            continue;
        /* The next one found on disk, not written here: other bytes may have come between. */
        if (i + 1 < n && v[i + 1].found)
            other = true;
        if (v[i].kind == STORE_VERSION_BYTES && digest_equal(&v[i].digest, now))
            same = true;
        else
            other = true;
    }
    if (!other)
        return same ? STALE_NOT : STALE_BEFORE; /* none: only while there was no file */
    return same ? STALE_SAME_SECOND : STALE_BEFORE;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "a, b and c", at most MESSAGE_NAMES of them then "and N more". */
static void put_names(FILE *f, const char *const *v, size_t n)
{
    size_t shown = n > MESSAGE_NAMES ? MESSAGE_NAMES : n;
    for (size_t i = 0; i < shown; i++)
        fprintf(f, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", v[i]);
    if (shown < n)
        fprintf(f, " and %zu more", n - shown);
}

int stale_pods_describe(const struct pod *pod, int ref, const char *rel, struct timespec changed,
                        const struct store_version *v, size_t nv, char **ret_message,
                        char **ret_names)
{
    size_t cap = pod->ncontainers ? pod->ncontainers : 1, nb = 0, ns = 0;
    _cleanup_free_ const char **before = calloc(cap, sizeof(*before));
    _cleanup_free_ const char **same = calloc(cap, sizeof(*same));
    _cleanup_free_ const char **all = calloc(cap, sizeof(*all));
    if (!before || !same || !all)
        return -ENOMEM;
    for (size_t c = 0; c < pod->ncontainers; c++) {
        if (pod->containers[c].ref != ref)
            continue;
        switch (staleness_by_content(pod->containers[c].started_at, changed, v, nv)) {
        case STALE_BEFORE:
            before[nb++] = pod->containers[c].name;
            break;
        case STALE_SAME_SECOND:
            same[ns++] = pod->containers[c].name;
            break;
        case STALE_NOT:
            break;
        }
    }
    size_t n = nb + ns;
    if (n == 0) {
        *ret_message = NULL;
        *ret_names = NULL;
        return 0;
    }
    qsort(before, nb, sizeof(*before), cmp_name);
    qsort(same, ns, sizeof(*same), cmp_name);
    memcpy(all, before, nb * sizeof(*all));
    memcpy(all + nb, same, ns * sizeof(*all));
    qsort(all, n, sizeof(*all), cmp_name);

    char when[64];
    rfc3339_utc(changed.tv_sec, when, sizeof(when));
    _cleanup_free_ char *message = NULL, *names = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&message, &len);
    if (!f)
        return -ENOMEM;
    if (nb > 0) {
        fprintf(f, "%s ", nb == 1 ? "container" : "containers");
        put_names(f, before, nb);
        fprintf(f, " started before kscmp/%s last changed (%s)", rel, when);
        if (ns > 0) {
            fprintf(f, ", and ");
            put_names(f, same, ns);
            fprintf(f,
                    " in that same second (start times have whole seconds, so %s may have "
                    "read either version)",
                    ns == 1 ? "it" : "they");
        }
        fprintf(f, ": %s under the older profile until %s", n == 1 ? "it runs" : "they run",
                n == 1 ? "it restarts" : "they restart");
    } else {
        fprintf(f, "%s ", ns == 1 ? "container" : "containers");
        put_names(f, same, ns);
        fprintf(f,
                " started in the same second as kscmp/%s last changed (%s): start times have "
                "whole seconds, so %s may run under the older profile until %s",
                rel, when, ns == 1 ? "it" : "they", ns == 1 ? "it restarts" : "they restart");
    }
    if (fclose(f) != 0 || !message)
        return -ENOMEM;

    f = open_memstream(&names, &len);
    if (!f)
        return -ENOMEM;
    for (size_t i = 0; n <= STALE_NAMES_MAX && i < n; i++)
        fprintf(f, "%s%s", i ? "," : "", all[i]);
    if (fclose(f) != 0 || !names)
        return -ENOMEM;
    *ret_message = TAKE_PTR(message);
    *ret_names = TAKE_PTR(names);
    return 0;
}

/* RFC 3339 in UTC at the start of s ("2026-12-01T13:12:50Z", fractions allowed; what follows
 * the Z is not read) to unix seconds; 0 when it is anything else. */
static int64_t parse_utc(const char *s)
{
    struct tm tm = {0};
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!end)
        return 0;
    if (*end == '.')
        for (end++; *end >= '0' && *end <= '9'; end++)
            ;
    if (*end != 'Z')
        return 0;
    int64_t t = (int64_t)timegm(&tm);
    return t > 0 ? t : 0;
}

static const char *str_of(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

json_t *stale_event_facts(json_t *ev)
{
    const char *reason = str_of(ev, "reason");
    if (!reason || strcmp(reason, "ProfileStale") != 0)
        return NULL;
    json_t *notes = json_object_get(json_object_get(ev, "metadata"), "annotations");
    const char *file = str_of(notes, STALE_NOTE_PROFILE);
    if (file) {
        const char *names = str_of(notes, STALE_NOTE_CONTAINERS);
        const char *changed = str_of(notes, STALE_NOTE_CHANGED);
        json_t *list = names && *names ? json_array() : json_null();
        for (const char *p = names; list && json_is_array(list) && p && *p;) {
            size_t n = strcspn(p, ",");
            if (n > 0 && json_array_append_new(list, json_stringn(p, n)) < 0) {
                json_decref(list);
                list = NULL;
            }
            p += n + (p[n] == ',');
        }
        if (!list)
            return NULL;
        return json_pack("{s:s, s:s, s:o}", "file", file, "changed", changed ? changed : "",
                         "containers", list);
    }
    const char *msg = str_of(ev, "message");
    const char *at = msg ? strstr(msg, " kscmp/") : NULL;
    const char *end = at ? strstr(at, " last changed (") : NULL;
    if (!end)
        return NULL;
    int64_t t = parse_utc(end + strlen(" last changed ("));
    if (t == 0) { /* the Event's own time */
        const char *when = str_of(ev, "lastTimestamp");
        if (!when)
            when = str_of(ev, "eventTime");
        t = parse_utc(when);
    }
    char changed[64] = "";
    if (t > 0)
        rfc3339_utc((time_t)t, changed, sizeof(changed));
    return json_pack("{s:s%, s:s, s:n}", "file", at + 1, (size_t)(end - at - 1), "changed", changed,
                     "containers");
}

bool stale_facts_hold(json_t *facts, const char *rel, const char *name, int64_t started)
{
    const char *file = str_of(facts, "file");
    if (!file || started <= 0 || strncmp(file, "kscmp/", 6) != 0 || strcmp(file + 6, rel) != 0)
        return false;
    json_t *names = json_object_get(facts, "containers");
    if (json_is_array(names)) {
        bool named = false;
        size_t i;
        json_t *v;
        json_array_foreach(names, i, v)
        {
            const char *n = json_string_value(v);
            named |= n && strcmp(n, name) == 0;
        }
        if (!named)
            return false;
    }
    int64_t changed = parse_utc(str_of(facts, "changed"));
    return changed == 0 || started <= changed;
}

/* A ProfileStale Event told: what it said, kept while its cause lasts. */
struct told {
    char *message, *names, *profile, *changed;
};

static void told_free(void *p)
{
    struct told *t = p;
    if (!t)
        return;
    free(t->message);
    free(t->names);
    free(t->profile);
    free(t->changed);
    free(t);
}

struct stale_pods {
    struct hmap told; /* "<pod uid or ns/name>\t<rel>\t<sec>.<nsec>" -> struct told */
    /* rel -> struct file_date of the files the last check looked at, kept while
     * store_serial() stays at dates_serial: each check after a pod change would otherwise
     * look at every pod's files on disk again (three system calls each: with 110 pods on the
     * node, ~75% of the agent's CPU while pods came and went, bench_kube.py --churn). Only
     * the files of the pods there now are kept. */
    struct hmap dates;
    uint64_t dates_serial;
};

struct file_date {
    bool present;
    struct timespec mtim;
};

/* The date of rel's version (store.h), *ret_present false when there is no such file: from
 * what the last check learnt (moved into next) while the store has not changed since, else
 * from the disk. */
static void file_date(struct stale_pods *sp, struct hmap *next, struct store *s, const char *rel,
                      bool *ret_present, struct timespec *ret)
{
    struct file_date *d = hmap_get(next, rel);
    struct file_date now;
    if (d) { /* a second reference of the same pod or another pod to the same file */
        *ret_present = d->present;
        *ret = d->mtim;
        return;
    }
    if ((d = hmap_remove(&sp->dates, rel))) {
        now = *d;
    } else {
        struct stat st;
        now = (struct file_date){.present = store_stat(s, rel, &st, NULL) == 0};
        if (now.present)
            now.mtim = st.st_mtim;
        if ((d = malloc(sizeof(*d))))
            *d = now;
    }
    /* Moved into next for the next check; without memory, looked at again then. */
    if (d && hmap_put(next, rel, d, NULL) < 0)
        free(d);
    *ret_present = now.present;
    *ret = now.mtim;
}

int stale_pods_new(struct stale_pods **ret)
{
    struct stale_pods *sp = calloc(1, sizeof(*sp));
    if (!sp)
        return -ENOMEM;
    hmap_init(&sp->told);
    hmap_init(&sp->dates);
    *ret = sp;
    return 0;
}

void stale_pods_free(struct stale_pods *sp)
{
    if (!sp)
        return;
    hmap_clear(&sp->told, told_free);
    hmap_clear(&sp->dates, free);
    free(sp);
}

/* Whether a container of pod that uses its reference ref started at or before changed (most
 * checks find none, and need not build a message to learn it). */
static bool any_stale(const struct pod *pod, int ref, struct timespec changed,
                      const struct store_version *v, size_t nv)
{
    for (size_t c = 0; c < pod->ncontainers; c++)
        if (pod->containers[c].ref == ref &&
            staleness_by_content(pod->containers[c].started_at, changed, v, nv) != STALE_NOT)
            return true;
    return false;
}

/* The Event of pod for its reference ref (file rel, version changed), from what was told of
 * the same cause before (moved from old into next), or new; NULL (and 0) when no container is
 * stale. */
static int stale_event(struct hmap *old, struct hmap *next, const struct pod *pod, int ref,
                       const char *rel, struct timespec changed, const struct store_version *v,
                       size_t nv, struct told **ret)
{
    _cleanup_free_ char *key = NULL, *message = NULL, *names = NULL;
    if (asprintf(&key, "%s/%s\t%s\t%s\t%lld.%09ld", pod->ns, pod->name, pod->uid ? pod->uid : "",
                 rel, (long long)changed.tv_sec, (long)changed.tv_nsec) < 0)
        return -ENOMEM;
    int r = stale_pods_describe(pod, ref, rel, changed, v, nv, &message, &names);
    if (r < 0)
        return r;
    struct told *t = hmap_remove(old, key);
    if (!message) { /* every container restarted since: the cause is over */
        told_free(t);
        *ret = NULL;
        return 0;
    }
    if (!t) {
        char when[64];
        rfc3339_utc(changed.tv_sec, when, sizeof(when));
        t = calloc(1, sizeof(*t));
        if (!t || asprintf(&t->profile, "kscmp/%s", rel) < 0 || !(t->changed = strdup(when))) {
            told_free(t);
            return -ENOMEM;
        }
        t->message = TAKE_PTR(message);
        t->names = TAKE_PTR(names);
    }
    void *dup = NULL;
    r = hmap_put(next, key, t, &dup);
    told_free(dup);
    if (r < 0) {
        told_free(t);
        return r;
    }
    *ret = t;
    return 0;
}

void stale_pods_check(struct stale_pods *sp, struct engine *e, struct store *s,
                      const struct reflector *pods, struct pod_events *events, struct metrics *m)
{
    unsigned stale = 0;
    struct hmap next, dates;
    hmap_init(&next);
    hmap_init(&dates);
    if (store_serial(s) != sp->dates_serial) {
        hmap_clear(&sp->dates, free);
        sp->dates_serial = store_serial(s);
    }
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
        for (size_t i = 0; i < pod->nrefs; i++) {
            _cleanup_free_ char *rel = NULL;
            struct timespec changed;
            bool present = false;
            struct told *t = NULL;
            if (engine_classify_ref(pod->ns, pod->refs[i], &rel, NULL) != 0)
                continue;
            file_date(sp, &dates, s, rel, &present, &changed);
            size_t nv = 0;
            const struct store_version *v = store_versions(s, rel, &nv);
            if (!present || !any_stale(pod, (int)i, changed, v, nv))
                continue; /* what was told of it before, if anything, is over: dropped below */
            /* Out of memory: this file is looked at again at the next check. */
            if (stale_event(&sp->told, &next, pod, (int)i, rel, changed, v, nv, &t) < 0 || !t)
                continue;
            struct event_note notes[] = {{STALE_NOTE_PROFILE, t->profile},
                                         {STALE_NOTE_CHANGED, t->changed},
                                         {STALE_NOTE_CONTAINERS, t->names}};
            pod_events_post_noted(events, pod, "ProfileStale", t->message, notes,
                                  *t->names ? 3 : 2);
            is_stale = true;
        }
        stale += is_stale;
    }
    hmap_clear(&sp->told, told_free);
    sp->told = next;
    hmap_clear(&sp->dates, free);
    sp->dates = dates;
    metrics_set(m, G_PODS_STALE, stale);
}
