/* recordings.c - SeccompRecordings: selection, the recorder, the engine, merged status. */
#include "kube/recordings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/strv.h"
#include "base/hmap.h"
#include "base/log.h"
#include "engine/recording_status.h"
#include "kube/status_retry.h"

/* Status writes wait a random 0.2-2 s and compare again with what the watch delivered (as the
 * policies' status does), at most a few at a time. */
#define WRITE_JITTER_MIN_MS 200
#define WRITE_JITTER_MAX_MS 2000
#define WRITE_MAX_INFLIGHT 8
#define NOTE_MAX 4096
/* How long the first sync waits for the recordings' list. */
#define RECORDINGS_LIST_DEADLINE_S 10

static const struct reflector_kind recording_kind = {
    "/apis/kscmp.io/v1", "seccomprecordings", "kscmp.io/v1", "SeccompRecording", true, 0, NULL};

struct rec {
    struct recordings *rs;
    char *key; /* "ns/name" */
    struct recording_spec spec;
    json_t *status; /* as the server holds it, as far as we know */
    char *rv;
    enum recording_state state;
    char *state_msg;
    /* This node's share. */
    struct recorded *seen;
    struct hmap counted; /* pod UIDs recorded here */
    char **active;       /* names of the pods recorded here now, sorted */
    size_t nactive;
    char *since;  /* when recording began here (RFC 3339), or NULL */
    char *sticky; /* what may be missing for good (a restart without pins, a full map) */
    char *now;    /* what is missing while it lasts (shared file, pods started before) */
    bool registered;
    char *registered_policy; /* the policy it is put into the engine for (spec.policy may change) */
    int64_t registered_generation;
    bool queued, inflight;
    /* A status refused with 400 or 422 is not sent again with the same content before it
     * changes (new syscalls, a node's entry, another node's write) or an hour passes; other
     * failures are retried with backoff (status_retry.h). */
    struct status_retry retry;
    json_t *sending;   /* the status in flight (status_content()) */
    uint64_t retry_at; /* after a failed write: not written again before (now_ms) */
};

struct recordings {
    struct kube *k;
    struct kube_transport t; /* k's, for the reflector */
    struct engine *e;
    struct evloop *l;
    struct metrics *m;
    struct reflector *pods;
    struct reflector *refl;
    char *node;
    struct recordings_opts o;
    char *cgroup_root, *kubepods, *pin_dir;
    struct recorder *recorder;
    char recorder_error[KERR_MSG_MAX]; /* why this node cannot record, or "" */
    bool was_active;
    char started[32];   /* when the agent started (RFC 3339) */
    struct hmap by_uid; /* recording uid -> struct rec (the reflector's records) */
    struct evtimer *collect_timer, *write_timer;
    struct evtimer *list_deadline; /* the first sync waits this long for the recordings */
    bool list_late;                /* ... and then goes on without them */
    unsigned inflight;
    bool unpersisted;  /* a collect added what is not written yet */
    bool stop_wanted;  /* nothing to record: stop the recorder once all is written */
    bool adopt_failed; /* a recorder left pinned could not be taken over (said once) */
};

static void now_rfc3339(char *buf, size_t len)
{
    rfc3339_utc(time(NULL), buf, len);
}

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (what the API server and rfc3339_utc write); 0 when not. */
static time_t parse_rfc3339(const char *s)
{
    struct tm tm = {0};
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

static void rec_free(void *v)
{
    struct rec *r = v;
    if (!r)
        return;
    free(r->key);
    recording_spec_clear(&r->spec);
    json_decref(r->status);
    free(r->rv);
    free(r->state_msg);
    recorded_free(r->seen);
    hmap_clear(&r->counted, NULL);
    strv_free(r->active, r->nactive);
    free(r->since);
    free(r->sticky);
    free(r->now);
    free(r->registered_policy);
    status_retry_reset(&r->retry);
    json_decref(r->sending);
    free(r);
}

/* Appends note to *text ("; " between), bounded by NOTE_MAX. */
static void add_note(char **text, const char *note)
{
    if (*text && strstr(*text, note))
        return;
    size_t have = *text ? strlen(*text) : 0;
    if (have + strlen(note) + 2 > NOTE_MAX)
        return;
    char *joined = NULL;
    if (asprintf(&joined, "%s%s%s", *text ? *text : "", *text ? "; " : "", note) < 0)
        return;
    free(*text);
    *text = joined;
}

static void write_later(struct recordings *rs, struct rec *r, bool soon)
{
    r->queued = true;
    uint64_t delay =
        soon ? 0
             : WRITE_JITTER_MIN_MS + (uint64_t)rand() % (WRITE_JITTER_MAX_MS - WRITE_JITTER_MIN_MS);
    if (!evtimer_armed(rs->write_timer))
        evtimer_arm(rs->write_timer, delay);
}

/* This node's entry as the server holds it, or NULL. */
static json_t *server_entry(const struct rec *r, const char *node)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->status, "nodes"), i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        if (name && strcmp(name, node) == 0)
            return e;
    }
    return NULL;
}

/* A recording the agent sees for the first time: what this node wrote before (an agent
 * that restarted) is where it goes on from. */
static void adopt_server_entry(struct recordings *rs, struct rec *r)
{
    json_t *e = server_entry(r, rs->node);
    if (!e)
        return;
    const char *since = json_string_value(json_object_get(e, "since"));
    const char *missed = json_string_value(json_object_get(e, "missed"));
    if (since && !r->since)
        r->since = strdup(since);
    /* Notes that last; the ones that hold while a pod runs are computed again. */
    if (missed && strstr(missed, "restarted"))
        add_note(&r->sticky, missed);
}

/* Takes r out of the engine: its file is its policies' again. By the policy it was put for,
 * which spec.policy may no longer name. */
static void unregister(struct recordings *rs, struct rec *r)
{
    if (!r->registered)
        return;
    engine_delete_recording(rs->e, r->spec.ns, r->registered_policy);
    r->registered = false;
    free(r->registered_policy);
    r->registered_policy = NULL;
}

/* ---- the reflector ----------------------------------------------------------------------- */

/* 1 when the recording changed, 0 when not (or ignored), -ENOMEM: the reflector tries again. */
static int on_apply(struct reflector *refl, const char *key, json_t *obj, void **record,
                    void *userdata)
{
    struct recordings *rs = userdata;
    struct recording_spec spec = {0};
    struct kerr err = {0};
    int q = recording_spec_decode(obj, &spec, &err);
    if (q == -ENOMEM)
        return q;
    if (q < 0) {
        log_warning("SeccompRecording %s: ignored: %s", key, err.msg);
        return 0;
    }
    struct rec *r = *record;
    bool changed = !r || strcmp(r->spec.uid, spec.uid) != 0 ||
                   r->spec.generation != spec.generation || !spec.generation;
    if (r && strcmp(r->spec.uid, spec.uid) != 0) {
        /* Deleted and made again under the same name: a new recording. */
        hmap_remove(&rs->by_uid, r->spec.uid);
        unregister(rs, r);
        rec_free(r);
        r = *record = NULL;
    }
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r || !(r->key = strdup(key)) || recorded_new(&r->seen) < 0) {
            rec_free(r);
            recording_spec_clear(&spec);
            return -ENOMEM;
        }
        r->rs = rs;
        hmap_init(&r->counted);
        *record = r;
    }
    if (changed) {
        recording_spec_clear(&r->spec);
        r->spec = spec;
    } else {
        recording_spec_clear(&spec);
    }
    hmap_put(&rs->by_uid, r->spec.uid, r, NULL);
    json_decref(r->status);
    r->status = json_deep_copy(json_object_get(obj, "status"));
    free(r->rv);
    const char *rv =
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    r->rv = rv ? strdup(rv) : NULL;
    if (changed)
        adopt_server_entry(rs, r);
    /* Another node's write may have taken ours with it, or dropped our entry: look again. */
    write_later(rs, r, false);
    return changed ? 1 : 0;
}

static void on_remove(struct reflector *refl, const char *key, void *record, void *userdata)
{
    struct recordings *rs = userdata;
    struct rec *r = record;
    hmap_remove(&rs->by_uid, r->spec.uid);
    unregister(rs, r);
    rec_free(r);
}

static void on_changed(struct reflector *refl, void *userdata)
{
    struct recordings *rs = userdata;
    if (rs->o.changed)
        rs->o.changed(rs->o.userdata);
}

static void on_listed(struct reflector *refl, void *userdata)
{
    struct recordings *rs = userdata;
    if (rs->o.listed)
        rs->o.listed(rs->o.userdata);
}

/* ---- what to record ---------------------------------------------------------------------- */

/* Valid, Conflict (another recording of the same policy was made first) or Invalid. */
static void decide_states(struct recordings *rs)
{
    const struct hmap *all = reflector_records(rs->refl);
    struct hmap_iter it, it2;
    for (struct hmap_entry *h = hmap_first(all, &it); h; h = hmap_next(all, &it)) {
        struct rec *r = h->value;
        free(r->state_msg);
        r->state_msg = NULL;
        if (r->spec.error) {
            r->state = RECORDING_INVALID;
            r->state_msg = strdup(r->spec.error);
            continue;
        }
        r->state = RECORDING_VALID;
        for (struct hmap_entry *g = hmap_first(all, &it2); g; g = hmap_next(all, &it2)) {
            const struct rec *o = g->value;
            if (o == r || o->spec.error || strcmp(o->spec.ns, r->spec.ns) != 0 ||
                strcmp(o->spec.policy, r->spec.policy) != 0)
                continue;
            int c = strcmp(o->spec.created, r->spec.created);
            if (c < 0 || (c == 0 && strcmp(o->spec.name, r->spec.name) < 0)) {
                r->state = RECORDING_CONFLICT;
                if (asprintf(&r->state_msg,
                             "SeccompRecording %s/%s records policy %s already (it was made "
                             "first): this one records nothing while it exists",
                             o->spec.ns, o->spec.name, r->spec.policy) < 0)
                    r->state_msg = NULL;
                break;
            }
        }
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of a selector (the engine takes its own). */
static int selector_dup(const struct selector *in, struct selector *out)
{
    *out = (struct selector){.present = in->present};
    if (in->match.n && !(out->match.v = calloc(in->match.n, sizeof(*out->match.v))))
        return -ENOMEM;
    for (size_t i = 0; i < in->match.n; i++) {
        out->match.v[i].key = strdup(in->match.v[i].key);
        out->match.v[i].value = strdup(in->match.v[i].value);
        out->match.n++;
        if (!out->match.v[i].key || !out->match.v[i].value)
            return -ENOMEM;
    }
    if (in->nexprs && !(out->exprs = calloc(in->nexprs, sizeof(*out->exprs))))
        return -ENOMEM;
    for (size_t i = 0; i < in->nexprs; i++) {
        struct sel_expr *e = &out->exprs[i];
        out->nexprs++;
        e->op = in->exprs[i].op;
        if (!(e->key = strdup(in->exprs[i].key)))
            return -ENOMEM;
        if (in->exprs[i].nvalues && !(e->values = calloc(in->exprs[i].nvalues, sizeof(char *))))
            return -ENOMEM;
        for (size_t k = 0; k < in->exprs[i].nvalues; k++) {
            if (!(e->values[k] = strdup(in->exprs[i].values[k])))
                return -ENOMEM;
            e->nvalues++;
        }
    }
    return 0;
}

struct plan {
    struct recorder_pod *pods;
    size_t n, cap;
};

static int plan_add(struct plan *p, const char *pod_uid, const char *recording_uid)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 32;
        struct recorder_pod *v = realloc(p->pods, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        p->pods = v;
        p->cap = cap;
    }
    p->pods[p->n++] = (struct recorder_pod){pod_uid, recording_uid};
    return 0;
}

static bool planned(const struct plan *p, const char *pod_uid)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->pods[i].pod_uid, pod_uid) == 0)
            return true;
    return false;
}

/* The pods r selects on this node go into plan; its active list and the notes that hold
 * while they run are set. */
static int select_pods(struct recordings *rs, struct rec *r, struct plan *plan)
{
    strv_free(r->active, r->nactive);
    r->active = NULL;
    r->nactive = 0;
    free(r->now);
    r->now = NULL;
    if (r->state != RECORDING_VALID)
        return 0;
    const struct pod **pods = NULL;
    size_t n = 0, unselected = 0;
    int q = engine_recording_scope(rs->e, r->spec.ns, r->spec.policy, &r->spec.selector, &pods, &n,
                                   &unselected);
    if (q < 0)
        return q;
    if (n && unselected) {
        char note[512];
        snprintf(note, sizeof(note),
                 "%zu pod%s it selects share kscmp/%s/%s.json with %zu pod%s it does not: they "
                 "keep their policies' profile and are not recorded (give them a file of their "
                 "own, or select them all)",
                 n, n == 1 ? "" : "s", r->spec.ns, r->spec.policy, unselected,
                 unselected == 1 ? "" : "s");
        add_note(&r->now, note);
        free(pods);
        return 0;
    }
    if (n && !(r->active = calloc(n, sizeof(*r->active)))) {
        free(pods);
        return -ENOMEM;
    }
    time_t since = parse_rfc3339(r->since);
    size_t early = 0;
    char early_names[256] = "";
    for (size_t i = 0; i < n; i++) {
        if ((q = plan_add(plan, pods[i]->uid, r->spec.uid)) < 0 ||
            !(r->active[r->nactive] = strdup(pods[i]->name))) {
            free(pods);
            return -ENOMEM;
        }
        r->nactive++;
        for (size_t c = 0; since && c < pods[i]->ncontainers; c++)
            if (pods[i]->containers[c].started_at > 0 &&
                pods[i]->containers[c].started_at < since) {
                size_t l = strlen(early_names);
                if (early++ < 5)
                    snprintf(early_names + l, sizeof(early_names) - l, "%s%s", l ? ", " : "",
                             pods[i]->name);
                break;
            }
    }
    free(pods);
    qsort(r->active, r->nactive, sizeof(*r->active), cmp_str);
    if (early) {
        char note[512];
        snprintf(note, sizeof(note),
                 "%s%s started before recording began here (%s), under their former profile: "
                 "only their calls since then are seen; restart them to record them whole",
                 early_names, early > 5 ? ", ..." : "", r->since);
        add_note(&r->now, note);
    }
    return 0;
}

/* After the recorder (re)started: what the agent before this one may have left unseen. */
static void note_start(struct recordings *rs)
{
    enum bpf_recorder_start how = recorder_start_kind(rs->recorder);
    const char *pin = recorder_pin_problem(rs->recorder);
    if (*pin)
        log_warning("recorder: %s; recording goes on unpinned: an agent restart will lose "
                    "what was not yet written to the recordings' status",
                    pin);
    log_info("recorder: %s the eBPF program (%s)",
             how == BPFREC_REUSED     ? "took over the pinned"
             : how == BPFREC_REPLACED ? "replaced the pinned"
                                      : "loaded",
             recorder_pinned(rs->recorder) ? "pinned" : "not pinned");
    if (how == BPFREC_REUSED)
        return; /* it kept recording while no agent ran: nothing is missing */
    const struct hmap *all = reflector_records(rs->refl);
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(all, &it); h; h = hmap_next(all, &it)) {
        struct rec *r = h->value;
        json_t *e = server_entry(r, rs->node);
        if (!e || !json_array_size(json_object_get(e, "active")))
            continue;
        const char *last = json_string_value(json_object_get(e, "lastUpdate"));
        char note[512];
        snprintf(note, sizeof(note),
                 "the agent restarted at %s without a pinned recorder%s%s: calls between %s and "
                 "then of the pods it was recording may be missing",
                 rs->started, *pin ? " (" : "", *pin ? "no bpffs for pins)" : "",
                 last ? last : "its last update");
        add_note(&r->sticky, note);
    }
}

void recordings_update(struct recordings *rs)
{
    decide_states(rs);
    struct plan plan = {0};
    const struct hmap *all = reflector_records(rs->refl);
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(all, &it); h; h = hmap_next(all, &it))
        if (select_pods(rs, h->value, &plan) < 0)
            log_error("recordings: out of memory");
    /* The node's other pods: not recorded. */
    const struct hmap *pods = reflector_records(rs->pods);
    _cleanup_free_ const char **others = calloc(pods->n + 1, sizeof(*others));
    size_t nothers = 0;
    for (struct hmap_entry *h = hmap_first(pods, &it); others && h; h = hmap_next(pods, &it)) {
        const char *slash = strchr(h->key, '/');
        _cleanup_free_ char *ns = slash ? strndup(h->key, (size_t)(slash - h->key)) : NULL;
        const struct pod *p = ns ? engine_get_pod(rs->e, ns, slash + 1) : NULL;
        if (p && p->uid && !planned(&plan, p->uid))
            others[nothers++] = p->uid;
    }
    bool can = false;
    if (rs->recorder) {
        struct kerr err = {0};
        if (recorder_set_pods(rs->recorder, plan.pods, plan.n, others, nothers, &err) == 0) {
            rs->recorder_error[0] = '\0';
            can = true;
        } else {
            if (strcmp(rs->recorder_error, err.msg) != 0)
                log_error("recorder: cannot record on this node: %s", err.msg);
            snprintf(rs->recorder_error, sizeof(rs->recorder_error), "%s", err.msg);
        }
        /* Nothing to record, the recordings listed: a program an earlier agent left pinned
         * (its recordings deleted while no agent ran) is taken over, read, and stopped. */
        if (plan.n == 0 && can && reflector_synced(rs->refl)) {
            struct kerr aerr = {0};
            int q = recorder_adopt(rs->recorder, &aerr);
            if (q < 0 && !rs->adopt_failed)
                log_warning("recorder: cannot take over the one left pinned: %s", aerr.msg);
            rs->adopt_failed = q < 0;
        }
        bool active = recorder_active(rs->recorder);
        if (active && !rs->was_active)
            note_start(rs);
        rs->was_active = active;
        /* Nothing left to record: stopped by the collect timer once what it holds is
         * collected and written. */
        rs->stop_wanted = plan.n == 0;
    }
    free(plan.pods);
    char now[32];
    now_rfc3339(now, sizeof(now));
    /* Out of the engine first (conflict, invalid, nothing to record here, the recorder failed,
     * or spec.policy names another policy now), then in: two recordings that trade a policy
     * must not take each other's out (the engine knows one recording per file). */
    for (struct hmap_entry *h = hmap_first(all, &it); h; h = hmap_next(all, &it)) {
        struct rec *r = h->value;
        bool want = r->state == RECORDING_VALID && r->nactive > 0 && can;
        if (r->nactive > 0 && !can) {
            char note[KERR_MSG_MAX + 64];
            snprintf(note, sizeof(note), "cannot record on this node: %s", rs->recorder_error);
            add_note(&r->now, note);
        }
        if (r->registered && (!want || strcmp(r->registered_policy, r->spec.policy) != 0))
            unregister(rs, r);
    }
    for (struct hmap_entry *h = hmap_first(all, &it); h; h = hmap_next(all, &it)) {
        struct rec *r = h->value;
        bool want = r->state == RECORDING_VALID && r->nactive > 0 && can;
        if (want && (!r->registered || r->registered_generation != r->spec.generation)) {
            struct selector sel;
            char *policy = strdup(r->spec.policy);
            if (policy && selector_dup(&r->spec.selector, &sel) == 0 &&
                engine_put_recording(rs->e, r->spec.ns, r->spec.policy, r->spec.name, &sel) == 0) {
                free(r->registered_policy);
                r->registered_policy = policy;
                r->registered = true;
                r->registered_generation = r->spec.generation;
                if (!r->since)
                    r->since = strdup(now);
                log_info("SeccompRecording %s/%s: recording %zu pod%s of policy %s", r->spec.ns,
                         r->spec.name, r->nactive, r->nactive == 1 ? "" : "s", r->spec.policy);
            } else {
                free(policy);
                if (policy)
                    selector_free(&sel);
            }
        }
        write_later(rs, r, false);
    }
}

/* ---- collecting -------------------------------------------------------------------------- */

static int on_seen(const struct recorder_seen *s, void *userdata)
{
    struct recordings *rs = userdata;
    struct rec *r = hmap_get(&rs->by_uid, s->recording_uid);
    if (!r)
        return 0; /* its recording is gone */
    int added = recorded_merge(r->seen, s->calls);
    if (added == -E2BIG) {
        /* Everything else was added: written (only what changes is), and said. */
        add_note(&r->sticky, "more distinct syscalls were seen than a status holds (1024 names "
                             "and 256 unknown numbers per architecture): some are not listed");
        added = 1;
    }
    if (added < 0)
        return added;
    if (!hmap_get(&r->counted, s->pod_uid)) {
        hmap_put(&r->counted, s->pod_uid, (void *)1, NULL);
        added++;
    }
    if (s->others_full)
        add_note(&r->sticky, "a container made calls with numbers above 1023 that did not all "
                             "fit in the recorder");
    if (added > 0) {
        rs->unpersisted = true;
        write_later(rs, r, false);
    }
    return 0;
}

static bool writes_pending(struct recordings *rs)
{
    if (rs->inflight)
        return true;
    const struct hmap *all = reflector_records(rs->refl);
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(all, &it); h; h = hmap_next(all, &it))
        if (((struct rec *)h->value)->queued)
            return true;
    return false;
}

static void on_collect_timer(struct evtimer *t, void *userdata)
{
    struct recordings *rs = userdata;
    if (rs->recorder && recorder_active(rs->recorder)) {
        /* What the last collect reported is durable once no write is waiting. */
        bool persisted = !rs->unpersisted || !writes_pending(rs);
        if (persisted)
            rs->unpersisted = false;
        struct kerr err = {0};
        if (recorder_collect(rs->recorder, on_seen, rs, persisted, &err) < 0)
            log_error("recorder: %s", err.msg);
        uint64_t lost = recorder_lost(rs->recorder);
        if (lost) {
            char note[160];
            snprintf(note, sizeof(note),
                     "the recorder's map of containers was full: %llu calls went unrecorded",
                     (unsigned long long)lost);
            const struct hmap *all = reflector_records(rs->refl);
            struct hmap_iter it;
            for (struct hmap_entry *h = hmap_first(all, &it); h; h = hmap_next(all, &it)) {
                struct rec *r = h->value;
                if (r->nactive)
                    add_note(&r->sticky, note);
            }
        }
        /* Nothing left to record, and all it held is collected and written: stop it. */
        if (rs->stop_wanted && !rs->unpersisted && !writes_pending(rs)) {
            log_info("recorder: nothing left to record on this node: stopped");
            recorder_stop(rs->recorder);
            rs->was_active = false;
        }
    }
    /* A refused status, unchanged for STATUS_REFUSED_RETRY_MS: sent again once. */
    const struct hmap *all = reflector_records(rs->refl);
    struct hmap_iter it;
    uint64_t now = now_ms();
    for (struct hmap_entry *h = hmap_first(all, &it); h; h = hmap_next(all, &it)) {
        struct rec *r = h->value;
        uint64_t until = status_retry_until(&r->retry);
        if (until && !r->queued && !r->inflight && now >= until) {
            json_decref(r->retry.refused);
            r->retry.refused = NULL;
            write_later(rs, r, false);
        }
    }
    evtimer_arm(t, rs->o.collect_ms);
}

/* ---- status ------------------------------------------------------------------------------ */

struct write_ctx {
    struct recordings *rs;
    char *uid;
    bool get; /* the GET after a 409 */
};

static char *object_path(const struct rec *r)
{
    char *p = NULL;
    if (asprintf(&p, "%s/namespaces/%s/%s/%s", recording_kind.api_path, r->spec.ns,
                 recording_kind.resource, r->spec.name) < 0)
        return NULL;
    return p;
}

/* Takes the object the server answered with as what it holds. */
static void take_object(struct rec *r, const char *body, size_t len)
{
    json_t *obj = body ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *meta = json_object_get(obj, "metadata");
    const char *uid = json_string_value(json_object_get(meta, "uid"));
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    if (uid && rv && strcmp(uid, r->spec.uid) == 0) {
        json_decref(r->status);
        r->status = json_deep_copy(json_object_get(obj, "status"));
        free(r->rv);
        r->rv = strdup(rv);
    }
    json_decref(obj);
}

static void flush(struct recordings *rs);

static void on_write_done(long status, const char *body, size_t len, const char *error,
                          void *userdata)
{
    struct write_ctx *c = userdata;
    struct recordings *rs = c->rs;
    rs->inflight--;
    struct rec *r = hmap_get(&rs->by_uid, c->uid);
    if (r) {
        r->inflight = false;
        if (status >= 200 && status < 300) {
            take_object(r, body, len);
            if (!c->get) {
                r->retry_at = 0;
                status_retry_reset(&r->retry);
                metrics_add(rs->m, M_STATUS_PATCHES, 1);
            } else {
                write_later(rs, r, true); /* merge again from what the server holds now */
            }
        } else if (status == 409 && !c->get) {
            /* Another node wrote first: read what it wrote, merge again. */
            _cleanup_free_ char *path = object_path(r);
            struct write_ctx *g = calloc(1, sizeof(*g));
            if (path && g && (g->uid = strdup(c->uid))) {
                g->rs = rs;
                g->get = true;
                struct kube_req_ops ops = {.done = on_write_done, .userdata = g};
                if (kube_request(rs->k, "GET", path, NULL, NULL, false, &ops, NULL) == 0) {
                    rs->inflight++;
                    r->inflight = true;
                    g = NULL;
                }
            }
            if (g) {
                free(g->uid);
                free(g);
                write_later(rs, r, false);
            }
        } else if ((status == 400 || status == 422) && !c->get) {
            /* The same bytes would be refused again: said once, not sent again until what
             * they say changes (write_one) or STATUS_REFUSED_RETRY_MS pass. */
            status_retry_refused(&r->retry, rs->m, recording_kind.kind, r->key, status, body,
                                 r->sending, now_ms());
        } else if (status != 404) {
            r->queued = true;
            uint64_t wait =
                status_retry_failed(&r->retry, recording_kind.kind, r->key,
                                    c->get ? "read" : "patch", status, error, body, now_ms(), NULL);
            r->retry_at = now_ms() + wait; /* flush() below, and others, wait for it */
            evtimer_arm(rs->write_timer, wait);
        }
    }
    free(c->uid);
    free(c);
    flush(rs);
}

/* Merges this node's share into what the server holds; writes it when it adds anything. */
static void write_one(struct recordings *rs, struct rec *r)
{
    char now[32];
    now_rfc3339(now, sizeof(now));
    _cleanup_free_ char *missed = NULL;
    if (r->sticky)
        add_note(&missed, r->sticky);
    if (r->now)
        add_note(&missed, r->now);
    int64_t pods = (int64_t)r->counted.n;
    struct recording_contribution c = {
        .node = rs->node,
        .has_entry = pods > 0 || r->nactive > 0 || missed,
        .seen = r->seen,
        .pods = pods,
        .active = (const char *const *)r->active,
        .nactive = r->nactive,
        .missed = missed,
        .since = r->since,
    };
    json_t *merged = NULL;
    bool changed = false;
    _cleanup_free_ char *warning = NULL;
    int q = recording_status_merge(r->status, &c, r->state, r->state_msg, r->spec.generation, now,
                                   &merged, &changed, &warning);
    if (q < 0)
        return;
    if (warning)
        log_warning("status of SeccompRecording %s: %s", r->key, warning);
    if (!changed) {
        json_decref(merged);
        return;
    }
    /* What the server refused, unchanged: not sent again before STATUS_REFUSED_RETRY_MS. */
    json_t *content = status_content(merged);
    if (status_retry_held(&r->retry, content, now_ms())) {
        json_decref(content);
        json_decref(merged);
        return;
    }
    json_decref(r->sending);
    r->sending = content;
    json_t *patch =
        json_pack("{s:{s:s?}, s:o}", "metadata", "resourceVersion", r->rv, "status", merged);
    _cleanup_free_ char *body = patch ? json_dumps(patch, JSON_COMPACT) : NULL;
    json_decref(patch);
    _cleanup_free_ char *path = object_path(r);
    _cleanup_free_ char *status_path = NULL;
    if (!body || !path || asprintf(&status_path, "%s/status", path) < 0)
        return;
    struct write_ctx *w = calloc(1, sizeof(*w));
    if (!w || !(w->uid = strdup(r->spec.uid))) {
        free(w);
        return;
    }
    w->rs = rs;
    struct kube_req_ops ops = {.done = on_write_done, .userdata = w};
    if (kube_request(rs->k, "PATCH", status_path, "application/merge-patch+json", body, false, &ops,
                     NULL) < 0) {
        free(w->uid);
        free(w);
        r->queued = true;
        return;
    }
    rs->inflight++;
    r->inflight = true;
}

static void flush(struct recordings *rs)
{
    const struct hmap *all = reflector_records(rs->refl);
    struct hmap_iter it;
    uint64_t now = now_ms(), wait = 0;
    for (struct hmap_entry *h = hmap_first(all, &it); h; h = hmap_next(all, &it)) {
        struct rec *r = h->value;
        if (!r->queued || r->inflight)
            continue;
        if (r->retry_at > now) {
            /* Its backoff after a failure runs: later (a write that completes flushes too). */
            if (!wait || r->retry_at - now < wait)
                wait = r->retry_at - now;
            continue;
        }
        if (rs->inflight >= WRITE_MAX_INFLIGHT)
            return; /* the rest go when a write in flight completes */
        r->queued = false;
        write_one(rs, r);
    }
    if (wait && !evtimer_armed(rs->write_timer))
        evtimer_arm(rs->write_timer, wait);
}

static void on_write_timer(struct evtimer *t, void *userdata)
{
    flush(userdata);
}

/* The recordings could not be listed in time (no RBAC for them, a failing API): the node's
 * profiles must not wait for them. Files then start as their policies' (stricter), and turn
 * into recording profiles once the list comes. */
static void on_list_deadline(struct evtimer *t, void *userdata)
{
    struct recordings *rs = userdata;
    if (reflector_synced(rs->refl))
        return;
    log_warning("SeccompRecordings could not be listed within %d s: the node's profiles are "
                "written without them until they are (is the agent allowed to list them?)",
                RECORDINGS_LIST_DEADLINE_S);
    rs->list_late = true;
    if (rs->o.listed)
        rs->o.listed(rs->o.userdata);
}

/* ---- life -------------------------------------------------------------------------------- */

int recordings_new(struct kube *k, struct engine *e, struct evloop *l, struct metrics *m,
                   struct reflector *pods, const char *node, const struct recordings_opts *o,
                   struct recordings **ret)
{
    struct recordings *rs = calloc(1, sizeof(*rs));
    if (!rs)
        return -ENOMEM;
    *rs = (struct recordings){
        .k = k, .t = kube_transport(k), .e = e, .l = l, .m = m, .pods = pods, .o = *o};
    hmap_init(&rs->by_uid);
    if (!rs->o.collect_ms)
        rs->o.collect_ms = 5000;
    now_rfc3339(rs->started, sizeof(rs->started));
    rs->node = strdup(node);
    if (o->recorder.cgroup_root)
        rs->cgroup_root = strdup(o->recorder.cgroup_root);
    if (o->recorder.kubepods)
        rs->kubepods = strdup(o->recorder.kubepods);
    if (o->recorder.pin_dir)
        rs->pin_dir = strdup(o->recorder.pin_dir);
    rs->o.recorder = (struct recorder_opts){rs->cgroup_root, rs->kubepods, rs->pin_dir};
    static const struct reflector_ops ops = {
        .apply = on_apply,
        .remove = on_remove,
        .free_record = rec_free,
        .changed = on_changed,
        .listed = on_listed,
    };
    int q = rs->node ? 0 : -ENOMEM;
    if (q == 0)
        q = reflector_new(&rs->t, l, m, &recording_kind, NULL, &ops, rs, &rs->refl);
    if (q == 0)
        q = evtimer_new(l, on_collect_timer, rs, &rs->collect_timer);
    if (q == 0)
        q = evtimer_new(l, on_write_timer, rs, &rs->write_timer);
    if (q == 0)
        q = evtimer_new(l, on_list_deadline, rs, &rs->list_deadline);
    if (q < 0) {
        recordings_free(rs);
        return q;
    }
    /* A node that cannot record (no cgroupfs it understands) still reads recordings, and says
     * so in their status when it has pods to record. */
    struct kerr err = {0};
    if (recorder_new(&rs->o.recorder, &rs->recorder, &err) < 0) {
        snprintf(rs->recorder_error, sizeof(rs->recorder_error), "%s", err.msg);
        log_error("recorder: cannot record on this node: %s", err.msg);
    }
    *ret = rs;
    return 0;
}

void recordings_free(struct recordings *rs)
{
    if (!rs)
        return;
    reflector_free(rs->refl); /* frees every struct rec */
    hmap_clear(&rs->by_uid, NULL);
    recorder_free(rs->recorder);
    evtimer_free(rs->collect_timer);
    evtimer_free(rs->write_timer);
    evtimer_free(rs->list_deadline);
    free(rs->node);
    free(rs->cgroup_root);
    free(rs->kubepods);
    free(rs->pin_dir);
    free(rs);
}

void recordings_start(struct recordings *rs)
{
    reflector_list(rs->refl);
    evtimer_arm(rs->collect_timer, rs->o.collect_ms);
    evtimer_arm(rs->list_deadline, RECORDINGS_LIST_DEADLINE_S * 1000);
}

void recordings_relist(struct recordings *rs)
{
    reflector_list(rs->refl);
}

bool recordings_synced(const struct recordings *rs)
{
    return reflector_synced(rs->refl) || rs->list_late;
}
