/* policy_status.c - policy status: computed, compared, staggered, patched, retried. */
#include "kube/policy_status.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/hmap.h"
#include "base/log.h"
#include "base/names.h"
#include "kube/object_record.h"
#include "kube/status_retry.h"

/* Status writes. Every node computes the same status, so a node does not write it at once:
 * each queued policy gets a delay of its own, and when it is due the node compares again with
 * the status its watch delivered meanwhile (another node has usually written it by then) and
 * writes only if it still differs, with a few patches in flight at most.
 *
 * The delay is STATUS_DELAY_MAX_MS minus an exponentially distributed amount with mean
 * STATUS_SPREAD_MS. The earliest of N nodes then comes about STATUS_SPREAD_MS x ln N before
 * STATUS_DELAY_MAX_MS, and the nodes whose turn comes within a watch's latency L of it (which
 * write too, not having seen its write yet) number about L / STATUS_SPREAD_MS whatever N is: a
 * change costs about one write for 5 nodes and for 5,000 (with a uniform delay, as before, they
 * numbered N x L / window, so they grew with the cluster). The price: one node alone writes
 * after about 3.7 s, 5,000 nodes after about 1.3 s.
 *
 * Many statuses at once (a first start: every policy's) stretch the delays by up to
 * STATUS_STRETCH_MAX, one more for every STATUS_STRETCH_PER queued together: each node then
 * writes at most a few dozen a second, and the watch has the time to tell it what the others
 * wrote (a node busy writing its files sees them late). */
#define STATUS_MAX_INFLIGHT 8
#define STATUS_DELAY_MAX_MS 4000
#define STATUS_DELAY_MIN_MS 100
#define STATUS_SPREAD_MS 300
#define STATUS_STRETCH_PER 100
#define STATUS_STRETCH_MAX 20
/* Due times closer than this are sent together (one timer wake-up). */
#define STATUS_TICK_MS 10

struct policy_status {
    const struct kube_transport *t;
    struct engine *e;
    struct metrics *m;
    struct reflector *policies[PK__MAX];
    struct hmap dirty; /* namespaces whose policies' status to check */
    bool all;          /* check every policy's */
    /* What the last walk of every policy left: the namespaced policies by condition (the
     * gauges, with the cluster ones counted afresh at each walk), and how many namespaced ones
     * it could not settle (condition still unknown). */
    unsigned counts_ns[COND__COUNT];
    size_t unsettled;
    struct hmap pending[PK__MAX]; /* per kind: key -> when to compare and write (now_ms()) */
    unsigned inflight;
    uint64_t rng; /* xorshift64 state, seeded from getrandom(): nodes draw unlike delays */
    struct evtimer *timer;
};

static void on_timer(struct evtimer *timer, void *userdata);

int policy_status_new(const struct kube_transport *t, struct engine *e, struct evloop *l,
                      struct metrics *m, struct reflector *const policies[PK__MAX],
                      struct policy_status **ret)
{
    struct policy_status *ps = calloc(1, sizeof(*ps));
    if (!ps)
        return -ENOMEM;
    *ps = (struct policy_status){.t = t, .e = e, .m = m};
    if (getrandom(&ps->rng, sizeof(ps->rng), GRND_NONBLOCK) != (ssize_t)sizeof(ps->rng))
        ps->rng = now_us() ^ ((uint64_t)getpid() << 32);
    ps->rng |= 1; /* xorshift never leaves 0 */
    memcpy(ps->policies, policies, sizeof(ps->policies));
    hmap_init(&ps->dirty);
    for (int kind = 0; kind < PK__MAX; kind++)
        hmap_init(&ps->pending[kind]);
    int q = evtimer_new(l, on_timer, ps, &ps->timer);
    if (q < 0) {
        policy_status_free(ps);
        return q;
    }
    *ret = ps;
    return 0;
}

void policy_status_free(struct policy_status *ps)
{
    if (!ps)
        return;
    evtimer_free(ps->timer);
    hmap_clear(&ps->dirty, NULL);
    for (int kind = 0; kind < PK__MAX; kind++)
        hmap_clear(&ps->pending[kind], NULL);
    free(ps);
}

void policy_status_mark(struct policy_status *ps, enum policy_kind kind, const char *ns)
{
    if (kind == PK_CLUSTER || !ns) {
        ps->all = true;
        return;
    }
    if (hmap_put(&ps->dirty, ns, (void *)1, NULL) < 0)
        ps->all = true; /* out of memory for the mark: look at every policy */
}

void policy_status_mark_all(struct policy_status *ps)
{
    ps->all = true;
}

static json_t *desired_status(struct policy_status *ps, const struct policy *p,
                              enum policy_condition *ret_cond)
{
    struct policy_result pr;
    if (engine_policy_status(ps->e, p, &pr) < 0)
        return NULL;
    const char *reason, *st;
    _cleanup_free_ char *msg = NULL;
    json_t *conflicts = json_array();
    if (!pr.valid) {
        reason = "Invalid";
        st = "False";
        msg = strdup(pr.error ? pr.error : "invalid");
        *ret_cond = COND_INVALID;
    } else if (pr.nconflicts) {
        reason = "Conflict";
        st = "True";
        size_t cap = 64;
        for (size_t i = 0; i < pr.nconflicts; i++)
            cap += strlen(pr.conflicts[i]) + 2;
        char *list = calloc(1, cap);
        for (size_t i = 0; list && i < pr.nconflicts; i++) {
            if (i)
                strcat(list, ", ");
            strcat(list, pr.conflicts[i]);
            json_array_append_new(conflicts, json_string(pr.conflicts[i]));
        }
        if (asprintf(&msg,
                     "loosens what its parent, %s, sets (%s): compiled with its own rules winning, "
                     "and detached from the parent's descendants",
                     p->extends, list ? list : "?") < 0)
            msg = NULL;
        free(list);
        *ret_cond = COND_CONFLICT;
    } else {
        reason = "Valid";
        st = "True";
        _cleanup_free_ char *w = engine_policy_warning(p);
        if (!w || asprintf(&msg, "compiled; warning: %s", w) < 0)
            msg = strdup("compiled");
        *ret_cond = COND_VALID;
    }
    json_t *cond =
        json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", "Ready", "status", st, "reason", reason,
                  "message", msg ? msg : "", "observedGeneration", (json_int_t)p->generation);
    json_t *s = json_pack("{s:[o], s:s, s:I, s:o}", "conditions", cond, "message", msg ? msg : "",
                          "observedGeneration", (json_int_t)p->generation, "conflicts", conflicts);
    return s;
}

/* Same status, ignoring lastTransitionTime. */
static bool status_equal(json_t *have, json_t *want)
{
    if (!json_is_object(have))
        return false;
    json_t *h = json_deep_copy(have);
    json_t *hc = json_array_get(json_object_get(h, "conditions"), 0);
    if (hc)
        json_object_del(hc, "lastTransitionTime");
    if (!json_object_get(h, "conflicts"))
        json_object_set_new(h, "conflicts", json_array());
    bool eq = json_equal(h, want);
    json_decref(h);
    return eq;
}

struct patch_ctx {
    struct policy_status *ps;
    enum policy_kind kind;
    char *key;
    json_t *status;
    char *sent_rv; /* the record's resourceVersion when the patch was sent (NULL: none) */
};

static void flush(struct policy_status *ps);

static void on_timer(struct evtimer *timer, void *userdata)
{
    flush(userdata);
}

/* Arms the timer for the earliest due write (nothing when none, or when the patches in flight
 * are at the limit: the next one to complete calls this again). */
static void schedule(struct policy_status *ps)
{
    if (ps->inflight >= STATUS_MAX_INFLIGHT)
        return;
    uint64_t first = UINT64_MAX;
    for (int kind = 0; kind < PK__MAX; kind++) {
        struct hmap_iter it;
        for (struct hmap_entry *h = hmap_first(&ps->pending[kind], &it); h;
             h = hmap_next(&ps->pending[kind], &it))
            if ((uintptr_t)h->value < first)
                first = (uintptr_t)h->value;
    }
    if (first == UINT64_MAX) {
        evtimer_cancel(ps->timer);
        return;
    }
    uint64_t now = now_ms();
    evtimer_arm(ps->timer, first > now ? first - now : 0);
}

/* The delay before a node compares and writes a queued status, stretched by stretch (see the
 * top of this file). */
static uint64_t stagger_ms(struct policy_status *ps, unsigned stretch)
{
    ps->rng ^= ps->rng << 13;
    ps->rng ^= ps->rng >> 7;
    ps->rng ^= ps->rng << 17;
    double u = (double)((ps->rng >> 11) + 1) / 9007199254740993.0; /* (0, 1] */
    double d = (STATUS_DELAY_MAX_MS + STATUS_SPREAD_MS * log(u)) * stretch;
    return d < STATUS_DELAY_MIN_MS ? STATUS_DELAY_MIN_MS : (uint64_t)d;
}

/* Queues key's status to be compared and written at due (ms, now_ms()). replace: a new draw
 * for a change replaces the time a key already queued had (a node whose turn for the previous
 * change was still to come would otherwise write the new status at once, before the node that
 * draws first for this change); a retry leaves a key already queued as it is. */
static void queue_at(struct policy_status *ps, enum policy_kind kind, const char *key, uint64_t due,
                     bool replace)
{
    if (!replace && hmap_get(&ps->pending[kind], key))
        return;
    if (hmap_put(&ps->pending[kind], key, (void *)(uintptr_t)due, NULL) < 0)
        return;
    schedule(ps);
}

/* A policy whose last patch failed (403, 429, 5xx, no answer) keeps the time its backoff set:
 * a sync (any pod's change re-walks the ClusterSeccompPolicies) does not bring it sooner. */
static void queue(struct policy_status *ps, enum policy_kind kind, const char *key,
                  const struct object_record *rec, unsigned stretch)
{
    queue_at(ps, kind, key, now_ms() + stagger_ms(ps, stretch),
             !rec->retry || !rec->retry->failures);
}

/* The policy's record of its failed patches, made on the first one (NULL: out of memory). */
static struct status_retry *retry_of(struct object_record *rec)
{
    if (!rec->retry)
        rec->retry = calloc(1, sizeof(*rec->retry));
    return rec->retry;
}

static void on_patch_done(long status, const char *body, size_t len, const char *error,
                          void *userdata)
{
    struct patch_ctx *c = userdata;
    struct policy_status *ps = c->ps;
    ps->inflight--;
    struct object_record *rec = reflector_record(ps->policies[c->kind], c->key);
    const char *kind = reflector_kind(ps->policies[c->kind])->kind;
    uint64_t now = now_ms();
    if (status >= 200 && status < 300) {
        metrics_add(ps->m, M_STATUS_PATCHES, 1);
        if (rec) {
            status_retry_free(&rec->retry);
            /* What the server holds now, unless the watch brought a later version of the
             * policy meanwhile (its event can come before this answer): then the record is
             * newer than what this answer says, and is kept (a status removed right after this
             * write was taken back by it, and never written again). */
            bool unchanged = !c->sent_rv ? !rec->rv : rec->rv && strcmp(rec->rv, c->sent_rv) == 0;
            if (unchanged) {
                json_decref(rec->status);
                rec->status = json_incref(c->status);
                json_t *obj = body ? json_loadb(body, len, 0, NULL) : NULL;
                const char *rv = json_string_value(
                    json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
                if (rv)
                    object_record_set_rv(rec, rv);
                json_decref(obj);
            }
        }
    } else if (status == 409) {
        /* Another write came first: compare again after a new delay, by when the watch has
         * brought it (a node that lost does not write the same status again). */
        metrics_add(ps->m, M_STATUS_CONFLICTS, 1);
        queue_at(ps, c->kind, c->key, now_ms() + stagger_ms(ps, 1), false);
    } else if ((status == 400 || status == 422) && rec && retry_of(rec)) {
        /* The API server (or a webhook) will not take this status: the same bytes would be
         * refused again. Said once, not sent again before it changes (status_to_write) or
         * STATUS_REFUSED_RETRY_MS pass (queued for then, unless a change is queued sooner). */
        json_t *content = status_content(c->status);
        status_retry_refused(rec->retry, ps->m, kind, c->key, status, body, content, now);
        json_decref(content);
        queue_at(ps, c->kind, c->key, status_retry_until(rec->retry), false);
    } else if (status != 404 && rec) {
        /* The server still holds the old status: write it again later, with this policy's
         * backoff (1 s doubling to 30 s, with jitter; out of memory for it: 30 s), unless it is
         * queued again sooner. */
        struct status_retry *r = retry_of(rec);
        uint64_t wait =
            r ? status_retry_failed(r, kind, c->key, "patch", status, error, body, now, NULL)
              : STATUS_BACKOFF_MAX_MS;
        queue_at(ps, c->kind, c->key, now + wait, false);
    }
    schedule(ps);
    json_decref(c->status);
    free(c->sent_rv);
    free(c->key);
    free(c);
}

/* The status the policy should have, when it differs from what the server holds; NULL when
 * they agree, when the server refused it (400, 422) less than STATUS_REFUSED_RETRY_MS ago, or
 * when the policy is gone. Sets rec->condition. */
static json_t *status_to_write(struct policy_status *ps, enum policy_kind kind, const char *key,
                               struct object_record *rec)
{
    struct ns_name n;
    const struct policy *p =
        ns_name_split(key, &n) == 0 ? engine_get_policy(ps->e, kind, ns_name_ns(&n), n.name) : NULL;
    if (!p)
        return NULL;
    enum policy_condition cond = COND_UNKNOWN;
    json_t *want = desired_status(ps, p, &cond);
    if (!want)
        return NULL;
    rec->condition = cond;
    /* Nothing to write; or what the server refused (400, 422), unchanged, before
     * STATUS_REFUSED_RETRY_MS (want has no lastTransitionTime yet: what status_content keeps). */
    if (status_equal(rec->status, want) || status_retry_held(rec->retry, want, now_ms())) {
        json_decref(want);
        return NULL;
    }
    return want;
}

/* Sends the merge-patch of want (taken) to the policy's /status. */
static void send_status(struct policy_status *ps, enum policy_kind kind, const char *key,
                        struct object_record *rec, json_t *want)
{
    struct ns_name n;
    if (ns_name_split(key, &n) < 0) {
        json_decref(want);
        return;
    }
    const char *ns = ns_name_ns(&n), *name = n.name;
    /* lastTransitionTime moves only when Ready's status does. */
    json_t *wc = json_array_get(json_object_get(want, "conditions"), 0);
    json_t *hc = json_array_get(json_object_get(rec->status, "conditions"), 0);
    const char *old_ltt = json_string_value(json_object_get(hc, "lastTransitionTime"));
    char ts[64];
    rfc3339_utc(time(NULL), ts, sizeof(ts));
    bool same_status =
        hc && json_equal(json_object_get(hc, "status"), json_object_get(wc, "status"));
    json_object_set_new(wc, "lastTransitionTime",
                        json_string(same_status && old_ltt ? old_ltt : ts));
    /* Conditional on the resourceVersion the status was read at: when another node wrote first
     * (its write not yet seen here), the server answers 409 and nothing is written; the
     * status is compared again once the watch has delivered that write. */
    json_t *patch = rec->rv ? json_pack("{s:{s:s}, s:O}", "metadata", "resourceVersion", rec->rv,
                                        "status", want)
                            : json_pack("{s:O}", "status", want);
    _cleanup_free_ char *body = json_dumps(patch, JSON_COMPACT);
    json_decref(patch);
    _cleanup_free_ char *path = NULL;
    const struct reflector_kind *rk = reflector_kind(ps->policies[kind]);
    if (ns ? asprintf(&path, "%s/namespaces/%s/%s/%s/status", rk->api_path, ns, rk->resource,
                      name) < 0
           : asprintf(&path, "%s/%s/%s/status", rk->api_path, rk->resource, name) < 0) {
        json_decref(want);
        return;
    }
    struct patch_ctx *c = calloc(1, sizeof(*c));
    if (!c || !body || !(c->key = strdup(key)) || (rec->rv && !(c->sent_rv = strdup(rec->rv)))) {
        if (c)
            free(c->key);
        free(c);
        json_decref(want);
        return;
    }
    c->ps = ps;
    c->kind = kind;
    c->status = want;
    struct kube_req_ops ops = {.done = on_patch_done, .userdata = c};
    if (ps->t->request(ps->t->impl, "PATCH", path, "application/merge-patch+json", body, false,
                       &ops, NULL) < 0) {
        json_decref(want);
        free(c->sent_rv);
        free(c->key);
        free(c);
        return;
    }
    ps->inflight++;
}

struct due_key {
    uint64_t due;
    const char *key; /* the pending entry's own key: valid until that entry is removed */
};

static int cmp_due(const void *a, const void *b)
{
    const struct due_key *x = a, *y = b;
    return x->due < y->due ? -1 : x->due > y->due ? 1 : strcmp(x->key, y->key);
}

/* Writes the queued statuses that are due and still differ, earliest due first (each node
 * draws its own order, so nodes with a backlog do not all work down the same list together),
 * STATUS_MAX_INFLIGHT at a time; the rest stay queued. */
static void flush(struct policy_status *ps)
{
    uint64_t now = now_ms() + STATUS_TICK_MS;
    for (int kind = 0; kind < PK__MAX && ps->inflight < STATUS_MAX_INFLIGHT; kind++) {
        struct hmap *pending = &ps->pending[kind];
        size_t n = 0;
        _cleanup_free_ struct due_key *due = calloc(pending->n + 1, sizeof(*due));
        if (!due)
            return;
        struct hmap_iter it;
        for (struct hmap_entry *h = hmap_first(pending, &it); h; h = hmap_next(pending, &it))
            if ((uintptr_t)h->value <= now)
                due[n++] = (struct due_key){(uintptr_t)h->value, h->key};
        if (n > 1)
            qsort(due, n, sizeof(*due), cmp_due);
        for (size_t i = 0; i < n && ps->inflight < STATUS_MAX_INFLIGHT; i++) {
            _cleanup_free_ char *key = strdup(due[i].key);
            if (!key)
                return;
            hmap_remove(pending, key); /* frees due[i].key only */
            struct object_record *rec = reflector_record(ps->policies[kind], key);
            json_t *want = rec ? status_to_write(ps, kind, key, rec) : NULL;
            if (want)
                send_status(ps, kind, key, rec, want);
            else if (rec && status_retry_until(rec->retry) > now_ms()) /* refused: try then */
                queue_at(ps, kind, key, status_retry_until(rec->retry) + STATUS_TICK_MS, true);
        }
    }
    schedule(ps);
}

struct to_queue {
    enum policy_kind kind;
    const char *key; /* the reflector record's key: stable while this runs */
    const struct object_record *rec;
};

void policy_status_update(struct policy_status *ps)
{
    /* After a sync that changed no policy (a pod came, changed or went: most syncs) only the
     * ClusterSeccompPolicies, always looked at, need a walk; the namespaced ones, their
     * conditions and the counts stand. Every change to a policy marks its namespace (or all)
     * first, and a walk that could not settle one (out of memory) makes the next one whole. */
    bool whole = ps->all || ps->dirty.n || ps->unsettled;
    unsigned counts[COND__COUNT] = {0}, counts_ns[COND__COUNT] = {0};
    if (!whole)
        memcpy(counts_ns, ps->counts_ns, sizeof(counts_ns));
    size_t unsettled = 0;
    struct to_queue *q = NULL;
    size_t nq = 0, cap = 0;
    for (int kind = 0; kind < PK__MAX; kind++) {
        if (!whole && kind != PK_CLUSTER)
            continue;
        const struct hmap *records = reflector_records(ps->policies[kind]);
        struct hmap_iter it;
        for (struct hmap_entry *h = hmap_first(records, &it); h; h = hmap_next(records, &it)) {
            struct object_record *rec = h->value;
            bool dirty = ps->all || rec->condition == COND_UNKNOWN || kind == PK_CLUSTER;
            struct ns_name n;
            if (!dirty && ns_name_split(h->key, &n) == 0 && ns_name_ns(&n))
                dirty = hmap_get(&ps->dirty, n.ns) != NULL;
            if (dirty) {
                json_t *want = status_to_write(ps, kind, h->key, rec);
                if (want && nq == cap) {
                    size_t nc = cap ? cap * 2 : 64;
                    struct to_queue *v = realloc(q, nc * sizeof(*v));
                    if (v) {
                        q = v;
                        cap = nc;
                    }
                }
                if (want && nq < cap)
                    q[nq++] = (struct to_queue){kind, h->key, rec};
                else if (want) /* out of memory for the list: queue it unstretched */
                    queue(ps, kind, h->key, rec, 1);
                json_decref(want);
            }
            if (rec->condition != COND_UNKNOWN)
                (kind == PK_CLUSTER ? counts : counts_ns)[rec->condition]++;
            else if (kind != PK_CLUSTER && ns_name_split(h->key, &n) == 0 &&
                     engine_get_policy(ps->e, kind, ns_name_ns(&n), n.name))
                unsettled++; /* not one the engine lacks: its next change marks it */
        }
    }
    if (whole) {
        memcpy(ps->counts_ns, counts_ns, sizeof(counts_ns));
        ps->unsettled = unsettled;
    }
    for (int c = 0; c < COND__COUNT; c++)
        counts[c] += counts_ns[c];
    size_t stretch = 1 + nq / STATUS_STRETCH_PER;
    if (stretch > STATUS_STRETCH_MAX)
        stretch = STATUS_STRETCH_MAX;
    for (size_t i = 0; i < nq; i++)
        queue(ps, q[i].kind, q[i].key, q[i].rec, (unsigned)stretch);
    free(q);
    ps->all = false;
    hmap_clear(&ps->dirty, NULL);
    metrics_set(ps->m, G_POLICIES_VALID, counts[COND_VALID]);
    metrics_set(ps->m, G_POLICIES_INVALID, counts[COND_INVALID]);
    metrics_set(ps->m, G_POLICIES_CONFLICT, counts[COND_CONFLICT]);
}
