/* policy_status.c - policy status: computed, compared, staggered, patched, retried. */
#include "kube/policy_status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/hmap.h"
#include "base/log.h"
#include "base/names.h"
#include "base/strv.h"
#include "kube/object_record.h"

/* Status writes. Every node computes the same status, so a node does not write it at once:
 * it queues the policy and, after a random delay, compares again with the status its watch
 * delivered meanwhile (another node has usually written it by then), and writes only if it
 * still differs, with a few patches in flight at most. A thousand nodes then mean a handful of
 * writes per change, not a thousand. */
#define STATUS_MAX_INFLIGHT 8
#define STATUS_JITTER_MIN_MS 200
#define STATUS_JITTER_MAX_MS 2000

struct policy_status {
    const struct kube_transport *t;
    struct engine *e;
    struct metrics *m;
    struct reflector *policies[PK__MAX];
    struct hmap dirty;            /* namespaces whose policies' status to check */
    bool all;                     /* check every policy's */
    struct hmap pending[PK__MAX]; /* per kind, the keys of policies whose status to write */
    unsigned inflight;
    unsigned failures; /* retry rounds of refused patches in a row (backoff) */
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
    hmap_put(&ps->dirty, ns, (void *)1, NULL);
}

void policy_status_mark_all(struct policy_status *ps)
{
    ps->all = true;
}

static json_t *desired_status(struct policy_status *ps, const struct policy *p,
                              enum policy_condition *ret_cond)
{
    struct policy_result pr;
    if (engine_policy_result(ps->e, p, &pr) < 0)
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
                     "loosens what its parent %s sets (%s): compiled with its own rules winning, "
                     "and detached from the parent's descendants",
                     p->extends, list ? list : "?") < 0)
            msg = NULL;
        free(list);
        *ret_cond = COND_CONFLICT;
    } else {
        reason = "Valid";
        st = "True";
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
};

static void flush(struct policy_status *ps);

static void on_timer(struct evtimer *timer, void *userdata)
{
    flush(userdata);
}

static void arm_timer(struct policy_status *ps, uint64_t delay_ms)
{
    if (!evtimer_armed(ps->timer))
        evtimer_arm(ps->timer, delay_ms);
}

static size_t npending(const struct policy_status *ps)
{
    size_t n = 0;
    for (int kind = 0; kind < PK__MAX; kind++)
        n += ps->pending[kind].n;
    return n;
}

static void queue(struct policy_status *ps, enum policy_kind kind, const char *key)
{
    if (hmap_put(&ps->pending[kind], key, (void *)1, NULL) < 0)
        return;
    arm_timer(ps, STATUS_JITTER_MIN_MS +
                      (uint64_t)rand() % (STATUS_JITTER_MAX_MS - STATUS_JITTER_MIN_MS));
}

static void on_patch_done(long status, const char *body, size_t len, const char *error,
                          void *userdata)
{
    struct patch_ctx *c = userdata;
    struct policy_status *ps = c->ps;
    ps->inflight--;
    if (status >= 200 && status < 300) {
        ps->failures = 0;
        metrics_add(ps->m, M_STATUS_PATCHES, 1);
        struct object_record *rec = reflector_record(ps->policies[c->kind], c->key);
        if (rec) {
            json_decref(rec->status);
            rec->status = json_incref(c->status);
        }
        if (npending(ps))
            arm_timer(ps, 0);
    } else if (status != 404) {
        log_warning("status of %s %s: patch failed: %s HTTP %ld %.200s",
                    reflector_kind(ps->policies[c->kind])->kind, c->key, error ? error : "", status,
                    body ? body : "");
        /* The server still holds the old status: write it again later, with backoff. */
        hmap_put(&ps->pending[c->kind], c->key, (void *)1, NULL);
        ps->failures++;
        /* 1 s doubling to 30 s, with jitter. */
        arm_timer(ps, backoff_jitter_ms(ps->failures, 1000, 30000));
    } else if (npending(ps))
        arm_timer(ps, 0);
    json_decref(c->status);
    free(c->key);
    free(c);
}

/* The status the policy should have, when it differs from what the server holds; NULL when
 * they agree (or the policy is gone). Sets rec->condition. */
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
    if (status_equal(rec->status, want)) {
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
    json_t *patch = json_pack("{s:O}", "status", want);
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
    if (!c || !body || !(c->key = strdup(key))) {
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
        free(c->key);
        free(c);
        return;
    }
    ps->inflight++;
}

/* Writes the queued statuses that still differ, STATUS_MAX_INFLIGHT at a time. */
static void flush(struct policy_status *ps)
{
    for (int kind = 0; kind < PK__MAX; kind++) {
        struct hmap *pending = &ps->pending[kind];
        char **keys = NULL;
        size_t n = 0;
        if (hmap_keys(pending, NULL, NULL, &keys, &n) < 0)
            return;
        for (size_t i = 0; i < n; i++) {
            const char *key = keys[i];
            if (ps->inflight >= STATUS_MAX_INFLIGHT)
                continue; /* stays queued: sent when a patch in flight completes */
            hmap_remove(pending, key);
            struct object_record *rec = reflector_record(ps->policies[kind], key);
            json_t *want = rec ? status_to_write(ps, kind, key, rec) : NULL;
            if (want)
                send_status(ps, kind, key, rec, want);
        }
        strv_free(keys, n);
    }
}

void policy_status_update(struct policy_status *ps)
{
    unsigned counts[COND__COUNT] = {0};
    for (int kind = 0; kind < PK__MAX; kind++) {
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
                if (want)
                    queue(ps, kind, h->key);
                json_decref(want);
            }
            if (rec->condition != COND_UNKNOWN)
                counts[rec->condition]++;
        }
    }
    ps->all = false;
    hmap_clear(&ps->dirty, NULL);
    metrics_set(ps->m, G_POLICIES_VALID, counts[COND_VALID]);
    metrics_set(ps->m, G_POLICIES_INVALID, counts[COND_INVALID]);
    metrics_set(ps->m, G_POLICIES_CONFLICT, counts[COND_CONFLICT]);
}
