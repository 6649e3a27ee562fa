/* kubesrc.c - reflectors, policy status, Events and staleness against the API server. */
#include "kube/kubesrc.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/cleanup.h"
#include "engine/decode.h"
#include "base/hmap.h"
#include "base/log.h"
#include "kube/watch_stream.h"
#include "engine/doc.h"

enum { R_NAMESPACES, R_PODS, R_POLICIES, R_CLUSTER_POLICIES, R_KUBEARMOR, R__COUNT };

#define LIST_PAGE 500

static const struct {
    const char *name;
    const char *path;
    const char *api_version;
    const char *kind;
    const char *status_prefix; /* "/apis/.../namespaces/%s/RESOURCE/%s/status" */
} kinds[R__COUNT] = {
    [R_NAMESPACES] = {"namespaces", "/api/v1/namespaces", "v1", "Namespace", NULL},
    [R_PODS] = {"pods", "/api/v1/pods", "v1", "Pod", NULL},
    [R_POLICIES] = {"seccomppolicies", "/apis/kscmp.io/v1/seccomppolicies", "kscmp.io/v1",
                    "SeccompPolicy", "/apis/kscmp.io/v1"},
    [R_CLUSTER_POLICIES] = {"clusterseccomppolicies", "/apis/kscmp.io/v1/clusterseccomppolicies",
                            "kscmp.io/v1", "ClusterSeccompPolicy", "/apis/kscmp.io/v1"},
    [R_KUBEARMOR] = {"kubearmorseccomppolicies",
                     "/apis/security.kubearmor.com/v1/kubearmorseccomppolicies",
                     "security.kubearmor.com/v1", "KubeArmorSeccompPolicy",
                     "/apis/security.kubearmor.com/v1"},
};

/* What the agent remembers of an object it read. */
struct known {
    int64_t generation;
    char *uid;
    json_t *status; /* policies: the status the server holds (as far as we know) */
    int condition;  /* policies: 0 valid, 1 invalid, 2 conflict, -1 not computed */
};

struct kubesrc;

struct reflector {
    struct kubesrc *src;
    int idx;
    char *rv;
    struct hmap known;  /* "ns/name" or "name" -> known */
    struct hmap listed; /* keys seen by the list in progress */
    char *cont;
    struct kube_req *req;
    struct evtimer *timer; /* the next list or watch, after a failure or a 404 */
    unsigned failures;
    bool synced;  /* the first complete list is in */
    bool absent;  /* the kind is not served (CRD not installed) */
    bool in_list; /* a list is in progress (else a watch, or waiting) */
};

struct kubesrc {
    struct kube *k;
    struct engine *e;
    struct evloop *l;
    struct metrics *m;
    struct reconciler *rec;
    struct store *s;
    char *node;
    char *pods_query; /* fieldSelector for the node */
    struct reflector r[R__COUNT];
    bool initial_done;
    uint64_t pending_event_us; /* earliest change not yet synced */
    struct hmap status_dirty;  /* "K/ns/name" of policies whose status to check */
    bool status_all;
    struct evtimer *sync_timer;   /* a sync after changes */
    struct evtimer *status_timer; /* queued status writes */
    struct evtimer *event_timer;  /* refused Events posted again */
    struct hmap events_sent;      /* "uid\treason\tmessage" */
    unsigned status_failures;     /* retry rounds of refused status patches in a row (backoff) */
    unsigned event_failures;      /* retry rounds of refused Events in a row (backoff) */
    struct hmap status_pending;   /* "IDX\tkey" of policies whose status to write */
    unsigned status_inflight;
    struct event_retry *event_retries;
};

/* An Event the API server refused for a reason that may pass (401/403/429/5xx, no answer):
 * posted again later while its pod is known. */
struct event_retry {
    char *key, *path, *body;
    struct event_retry *next;
};

/* 1 s doubling to 30 s, with jitter. */
static uint64_t retry_delay(unsigned failures)
{
    return backoff_jitter_ms(failures, 1000, 30000);
}

static void known_free(void *v)
{
    struct known *k = v;
    if (!k)
        return;
    free(k->uid);
    json_decref(k->status);
    free(k);
}

void kubesrc_free(struct kubesrc *src)
{
    if (!src)
        return;
    for (int i = 0; i < R__COUNT; i++) {
        struct reflector *r = &src->r[i];
        kube_cancel(r->req);
        free(r->rv);
        free(r->cont);
        hmap_clear(&r->known, known_free);
        hmap_clear(&r->listed, NULL);
        evtimer_free(r->timer);
    }
    evtimer_free(src->sync_timer);
    evtimer_free(src->status_timer);
    evtimer_free(src->event_timer);
    hmap_clear(&src->status_dirty, NULL);
    hmap_clear(&src->status_pending, NULL);
    hmap_clear(&src->events_sent, NULL);
    while (src->event_retries) {
        struct event_retry *er = src->event_retries;
        src->event_retries = er->next;
        free(er->key);
        free(er->path);
        free(er->body);
        free(er);
    }
    free(src->node);
    free(src->pods_query);
    free(src);
}

static void start_list(struct reflector *r);
static void start_watch(struct reflector *r);
static void schedule_sync(struct kubesrc *src, uint64_t event_us);

static void on_reflector_timer(struct evtimer *timer, void *userdata)
{
    struct reflector *r = userdata;
    if (r->in_list || !r->rv)
        start_list(r);
    else
        start_watch(r);
}

/* Backoff with jitter: 200 ms doubling to 30 s. */
static void retry_later(struct reflector *r, bool relist, const char *why)
{
    r->failures++;
    uint64_t delay = backoff_jitter_ms(r->failures, 200, 30000);
    if (relist) {
        free(r->rv);
        r->rv = NULL;
        r->in_list = true;
    }
    log_warning("%s: %s; trying again in %llu ms", kinds[r->idx].name, why,
                (unsigned long long)delay);
    evtimer_arm(r->timer, delay);
}

static char *object_key(const json_t *obj)
{
    json_t *meta = json_object_get(obj, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    if (!name)
        return NULL;
    char *k = NULL;
    if (asprintf(&k, "%s%s%s", ns ? ns : "", ns ? "/" : "", name) < 0)
        return NULL;
    return k;
}

static enum policy_kind policy_kind_of(int idx)
{
    return idx == R_CLUSTER_POLICIES ? PK_CLUSTER : idx == R_KUBEARMOR ? PK_KUBEARMOR : PK_POLICY;
}

static void mark_status(struct kubesrc *src, enum policy_kind kind, const char *ns)
{
    /* A change can move the status of its namespace's policies (children, conflicts), or of
     * every policy for a ClusterSeccompPolicy. */
    if (kind == PK_CLUSTER || !ns) {
        src->status_all = true;
        return;
    }
    hmap_put(&src->status_dirty, ns, (void *)1, NULL);
}

/* Puts one object from a list or a watch into the engine. Returns true when it changed. */
static bool apply_object(struct reflector *r, json_t *obj)
{
    struct kubesrc *src = r->src;
    if (!json_object_get(obj, "apiVersion"))
        json_object_set_new(obj, "apiVersion", json_string(kinds[r->idx].api_version));
    if (!json_object_get(obj, "kind"))
        json_object_set_new(obj, "kind", json_string(kinds[r->idx].kind));
    _cleanup_free_ char *key = object_key(obj);
    if (!key)
        return false;
    if (r->in_list)
        hmap_put(&r->listed, key, (void *)1, NULL);
    struct known *kn = hmap_get(&r->known, key);
    json_t *meta = json_object_get(obj, "metadata");
    int64_t gen = json_integer_value(json_object_get(meta, "generation"));
    const char *uid = json_string_value(json_object_get(meta, "uid"));
    bool is_policy = r->idx >= R_POLICIES;
    if (is_policy && kn && gen && kn->generation == gen && uid && kn->uid &&
        strcmp(uid, kn->uid) == 0) {
        /* Only its status or metadata moved (our own patch, usually): nothing to compile. */
        json_decref(kn->status);
        kn->status = json_deep_copy(json_object_get(obj, "status"));
        return false;
    }
    struct ynode *doc = NULL;
    struct kerr err = {0};
    struct object o = {0};
    int q = ydoc_from_json(obj, &doc, &err);
    if (q == 0)
        q = decode_object(doc, "", &o, &err);
    ynode_free(doc);
    if (q < 0) {
        log_warning("%s %s: ignored: %s", kinds[r->idx].kind, key, err.msg);
        object_clear(&o);
        return false;
    }
    if (!kn) {
        kn = calloc(1, sizeof(*kn));
        if (!kn || hmap_put(&r->known, key, kn, NULL) < 0) {
            free(kn);
            object_clear(&o);
            return false;
        }
    }
    kn->generation = gen;
    free(kn->uid);
    kn->uid = uid ? strdup(uid) : NULL;
    json_decref(kn->status);
    kn->status = is_policy ? json_deep_copy(json_object_get(obj, "status")) : NULL;
    kn->condition = -1;
    switch (o.type) {
    case OBJ_POLICY:
        if (o.policy->error)
            log_warning("%s", o.policy->error);
        mark_status(src, o.policy->kind, o.policy->ns);
        q = engine_put_policy(src->e, TAKE_PTR(o.policy));
        break;
    case OBJ_POD:
        q = engine_put_pod(src->e, TAKE_PTR(o.pod));
        break;
    case OBJ_NAMESPACE:
        q = engine_put_namespace(src->e, TAKE_PTR(o.ns));
        break;
    default:
        break;
    }
    object_clear(&o);
    if (q < 0)
        log_error("%s %s: %s", kinds[r->idx].kind, key, strerror(-q));
    return true;
}

static void forget_events_of(struct kubesrc *src, const char *uid)
{
    if (!uid)
        return;
    size_t ul = strlen(uid), n = 0;
    _cleanup_free_ char **gone = calloc(src->events_sent.n + 1, sizeof(*gone));
    if (!gone)
        return;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&src->events_sent, &it); h;
         h = hmap_next(&src->events_sent, &it))
        if (strncmp(h->key, uid, ul) == 0 && h->key[ul] == '\t')
            gone[n++] = strdup(h->key);
    for (size_t i = 0; i < n; i++) {
        if (gone[i])
            hmap_remove(&src->events_sent, gone[i]);
        free(gone[i]);
    }
}

static bool delete_key(struct reflector *r, const char *key)
{
    struct kubesrc *src = r->src;
    struct known *kn = hmap_remove(&r->known, key);
    if (!kn)
        return false;
    const char *slash = strchr(key, '/');
    _cleanup_free_ char *ns = slash ? strndup(key, (size_t)(slash - key)) : NULL;
    const char *name = slash ? slash + 1 : key;
    switch (r->idx) {
    case R_NAMESPACES:
        engine_delete_namespace(src->e, name);
        break;
    case R_PODS:
        engine_delete_pod(src->e, ns, name);
        forget_events_of(src, kn->uid);
        break;
    default:
        engine_delete_policy(src->e, policy_kind_of(r->idx), ns, name);
        mark_status(src, policy_kind_of(r->idx), ns);
        break;
    }
    known_free(kn);
    return true;
}

static int on_watch_line(const char *line, size_t len, void *userdata)
{
    struct reflector *r = userdata;
    struct kerr err = {0};
    struct watch_event ev;
    if (watch_event_decode(line, len, &ev, &err) < 0) {
        log_warning("%s watch: %s", kinds[r->idx].name, err.msg);
        return -EINVAL; /* restart the watch */
    }
    bool changed = false;
    int q = 0;
    const char *rv = json_resource_version(ev.object);
    switch (ev.type) {
    case WATCH_ADDED:
    case WATCH_MODIFIED:
        changed = apply_object(r, ev.object);
        break;
    case WATCH_DELETED: {
        _cleanup_free_ char *key = object_key(ev.object);
        changed = key && delete_key(r, key);
        break;
    }
    case WATCH_BOOKMARK:
        break;
    case WATCH_ERROR: {
        int code = watch_error_code(ev.object);
        if (code == 410) {
            log_info("%s: watch expired (410 Gone): listing again", kinds[r->idx].name);
            free(r->rv);
            r->rv = NULL;
            rv = NULL;
        } else
            log_warning("%s watch error %d: %s", kinds[r->idx].name, code,
                        json_string_value(json_object_get(ev.object, "message"))
                            ? json_string_value(json_object_get(ev.object, "message"))
                            : "");
        q = -EPIPE;
        break;
    }
    }
    if (rv && ev.type != WATCH_ERROR) {
        free(r->rv);
        r->rv = strdup(rv);
    }
    json_decref(ev.object);
    if (changed)
        schedule_sync(r->src, now_us());
    return q;
}

static void on_watch_done(long status, const char *body, size_t len, const char *error,
                          void *userdata)
{
    struct reflector *r = userdata;
    r->req = NULL;
    metrics_add(r->src->m, M_WATCH_RESTARTS, 1);
    if (status == 410 || !r->rv) {
        retry_later(r, true, "watch expired (410 Gone)");
        return;
    }
    if (status >= 200 && status < 300 && !error) {
        r->failures = 0;
        start_watch(r); /* the server's timeout ended it: go on from the last version */
        return;
    }
    char why[256];
    snprintf(why, sizeof(why), "watch ended: %s%s%ld", error ? error : "",
             error ? ", HTTP " : "HTTP ", status);
    retry_later(r, false, why);
}

static void start_watch(struct reflector *r)
{
    struct kubesrc *src = r->src;
    r->in_list = false;
    _cleanup_free_ char *rv = kube_escape(r->rv ? r->rv : "");
    _cleanup_free_ char *path = NULL;
    /* Timeouts spread at random so that a thousand nodes do not come back at once. */
    unsigned timeout = 240 + (unsigned)(rand() % 120);
    if (asprintf(
            &path, "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%u%s",
            kinds[r->idx].path, rv ? rv : "", timeout, r->idx == R_PODS ? src->pods_query : "") < 0)
        return;
    struct kube_req_ops ops = {.line = on_watch_line, .done = on_watch_done, .userdata = r};
    if (kube_request(src->k, "GET", path, NULL, NULL, true, &ops, &r->req) < 0)
        retry_later(r, false, "cannot start the watch");
}

static void initial_sync_if_ready(struct kubesrc *src);

static void on_list_done(long status, const char *body, size_t len, const char *error,
                         void *userdata)
{
    struct reflector *r = userdata;
    struct kubesrc *src = r->src;
    r->req = NULL;
    if (status == 404 && r->idx >= R_POLICIES) {
        /* The kind is not served: its CRD is not installed (yet). Look again later. */
        if (!r->absent)
            log_info("%s: not served by the API server (CRD not installed); checking again "
                     "every minute",
                     kinds[r->idx].name);
        r->absent = true;
        /* Objects we had (the CRD was removed) are gone. */
        size_t n = 0;
        _cleanup_free_ char **keys = calloc(r->known.n + 1, sizeof(*keys));
        struct hmap_iter it;
        for (struct hmap_entry *h = hmap_first(&r->known, &it); keys && h;
             h = hmap_next(&r->known, &it))
            keys[n++] = strdup(h->key);
        for (size_t i = 0; i < n; i++) {
            if (keys[i] && delete_key(r, keys[i]))
                schedule_sync(src, now_us());
            free(keys[i]);
        }
        r->synced = true;
        r->in_list = true;
        evtimer_arm(r->timer, 60000);
        initial_sync_if_ready(src);
        return;
    }
    if (status == 410 && r->cont) {
        free(r->cont);
        r->cont = NULL;
        retry_later(r, true, "the list's continue token expired");
        return;
    }
    if (status < 200 || status >= 300 || error) {
        char why[512];
        snprintf(why, sizeof(why), "list failed: %s%sHTTP %ld %.200s", error ? error : "",
                 error ? ", " : "", status, body ? body : "");
        retry_later(r, true, why);
        return;
    }
    json_error_t je;
    json_t *j = json_loadb(body, len, 0, &je);
    json_t *items = json_object_get(j, "items");
    if (!j || !json_is_array(items)) {
        json_decref(j);
        retry_later(r, true, "the list answer is not a list");
        return;
    }
    if (r->absent)
        log_info("%s: now served by the API server", kinds[r->idx].name);
    r->absent = false;
    bool changed = false;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) changed |= apply_object(r, it);
    json_t *meta = json_object_get(j, "metadata");
    const char *cont = json_string_value(json_object_get(meta, "continue"));
    if (cont && *cont) {
        free(r->cont);
        r->cont = strdup(cont);
        json_decref(j);
        if (changed)
            schedule_sync(src, now_us());
        start_list(r);
        return;
    }
    free(r->cont);
    r->cont = NULL;
    free(r->rv);
    r->rv = json_string_value(json_object_get(meta, "resourceVersion"))
                ? strdup(json_string_value(json_object_get(meta, "resourceVersion")))
                : NULL;
    json_decref(j);
    /* What the list no longer holds was deleted while we were not watching. */
    size_t n = 0;
    _cleanup_free_ char **gone = calloc(r->known.n + 1, sizeof(*gone));
    struct hmap_iter hit;
    for (struct hmap_entry *h = hmap_first(&r->known, &hit); gone && h;
         h = hmap_next(&r->known, &hit))
        if (!hmap_get(&r->listed, h->key))
            gone[n++] = strdup(h->key);
    for (size_t k = 0; k < n; k++) {
        if (gone[k])
            changed |= delete_key(r, gone[k]);
        free(gone[k]);
    }
    hmap_clear(&r->listed, NULL);
    r->failures = 0;
    r->synced = true;
    if (changed)
        schedule_sync(src, now_us());
    initial_sync_if_ready(src);
    start_watch(r);
}

static void start_list(struct reflector *r)
{
    struct kubesrc *src = r->src;
    if (!r->cont) {
        hmap_clear(&r->listed, NULL);
        metrics_add(src->m, M_WATCH_RELISTS, 1);
    }
    r->in_list = true;
    _cleanup_free_ char *cont = r->cont ? kube_escape(r->cont) : NULL;
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s?limit=%d%s%s%s", kinds[r->idx].path, LIST_PAGE,
                 cont ? "&continue=" : "", cont ? cont : "",
                 r->idx == R_PODS ? src->pods_query : "") < 0)
        return;
    struct kube_req_ops ops = {.done = on_list_done, .userdata = r};
    if (kube_request(src->k, "GET", path, NULL, NULL, false, &ops, &r->req) < 0)
        retry_later(r, true, "cannot start the list");
}

/* ---- status ---- */

static json_t *desired_status(struct kubesrc *src, const struct policy *p, int *ret_cond)
{
    struct policy_result pr;
    if (engine_policy_result(src->e, p, &pr) < 0)
        return NULL;
    const char *reason, *st;
    _cleanup_free_ char *msg = NULL;
    json_t *conflicts = json_array();
    if (!pr.valid) {
        reason = "Invalid";
        st = "False";
        msg = strdup(pr.error ? pr.error : "invalid");
        *ret_cond = 1;
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
        *ret_cond = 2;
    } else {
        reason = "Valid";
        st = "True";
        msg = strdup("compiled");
        *ret_cond = 0;
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
    struct kubesrc *src;
    int idx;
    char *key;
    json_t *status;
};

/* Status writes. Every node computes the same status, so a node does not write it at once:
 * it queues the policy and, after a random delay, compares again with the status its watch
 * delivered meanwhile (another node has usually written it by then), and writes only if it
 * still differs, with a few patches in flight at most. A thousand nodes then mean a handful of
 * writes per change, not a thousand. */
#define STATUS_MAX_INFLIGHT 8
#define STATUS_JITTER_MIN_MS 200
#define STATUS_JITTER_MAX_MS 2000

static void flush_statuses(struct kubesrc *src);

static void on_status_timer(struct evtimer *timer, void *userdata)
{
    struct kubesrc *src = userdata;
    if (src->initial_done)
        flush_statuses(src);
}

static void arm_status_timer(struct kubesrc *src, uint64_t delay_ms)
{
    if (!evtimer_armed(src->status_timer))
        evtimer_arm(src->status_timer, delay_ms);
}

static void queue_status(struct kubesrc *src, int idx, const char *key)
{
    _cleanup_free_ char *pk = NULL;
    if (asprintf(&pk, "%d\t%s", idx, key) < 0 ||
        hmap_put(&src->status_pending, pk, (void *)1, NULL) < 0)
        return;
    arm_status_timer(src, STATUS_JITTER_MIN_MS +
                              (uint64_t)rand() % (STATUS_JITTER_MAX_MS - STATUS_JITTER_MIN_MS));
}

static void on_patch_done(long status, const char *body, size_t len, const char *error,
                          void *userdata)
{
    struct patch_ctx *c = userdata;
    struct kubesrc *src = c->src;
    struct reflector *r = &src->r[c->idx];
    src->status_inflight--;
    if (status >= 200 && status < 300) {
        src->status_failures = 0;
        metrics_add(src->m, M_STATUS_PATCHES, 1);
        struct known *kn = hmap_get(&r->known, c->key);
        if (kn) {
            json_decref(kn->status);
            kn->status = json_incref(c->status);
        }
        if (src->status_pending.n)
            arm_status_timer(src, 0);
    } else if (status != 404) {
        log_warning("status of %s %s: patch failed: %s HTTP %ld %.200s", kinds[c->idx].kind, c->key,
                    error ? error : "", status, body ? body : "");
        /* The server still holds the old status: write it again later, with backoff. */
        _cleanup_free_ char *pk = NULL;
        if (asprintf(&pk, "%d\t%s", c->idx, c->key) >= 0)
            hmap_put(&src->status_pending, pk, (void *)1, NULL);
        src->status_failures++;
        arm_status_timer(src, retry_delay(src->status_failures));
    } else if (src->status_pending.n)
        arm_status_timer(src, 0);
    json_decref(c->status);
    free(c->key);
    free(c);
}

static void now_rfc3339(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The status the policy should have, when it differs from what the server holds; NULL when
 * they agree (or the policy is gone). Sets kn->condition. */
static json_t *status_to_write(struct kubesrc *src, int idx, const char *key, struct known *kn)
{
    const char *slash = strchr(key, '/');
    _cleanup_free_ char *ns = slash ? strndup(key, (size_t)(slash - key)) : NULL;
    const struct policy *p =
        engine_get_policy(src->e, policy_kind_of(idx), ns, slash ? slash + 1 : key);
    if (!p)
        return NULL;
    int cond = -1;
    json_t *want = desired_status(src, p, &cond);
    if (!want)
        return NULL;
    kn->condition = cond;
    if (status_equal(kn->status, want)) {
        json_decref(want);
        return NULL;
    }
    return want;
}

/* Sends the merge-patch of want (taken) to the policy's /status. */
static void send_status(struct kubesrc *src, int idx, const char *key, struct known *kn,
                        json_t *want)
{
    const char *slash = strchr(key, '/');
    _cleanup_free_ char *ns = slash ? strndup(key, (size_t)(slash - key)) : NULL;
    const char *name = slash ? slash + 1 : key;
    /* lastTransitionTime moves only when Ready's status does. */
    json_t *wc = json_array_get(json_object_get(want, "conditions"), 0);
    json_t *hc = json_array_get(json_object_get(kn->status, "conditions"), 0);
    const char *old_ltt = json_string_value(json_object_get(hc, "lastTransitionTime"));
    char ts[64];
    now_rfc3339(ts, sizeof(ts));
    bool same_status =
        hc && json_equal(json_object_get(hc, "status"), json_object_get(wc, "status"));
    json_object_set_new(wc, "lastTransitionTime",
                        json_string(same_status && old_ltt ? old_ltt : ts));
    json_t *patch = json_pack("{s:O}", "status", want);
    _cleanup_free_ char *body = json_dumps(patch, JSON_COMPACT);
    json_decref(patch);
    _cleanup_free_ char *path = NULL;
    const char *res = kinds[idx].name;
    if (ns ? asprintf(&path, "%s/namespaces/%s/%s/%s/status", kinds[idx].status_prefix, ns, res,
                      name) < 0
           : asprintf(&path, "%s/%s/%s/status", kinds[idx].status_prefix, res, name) < 0) {
        json_decref(want);
        return;
    }
    struct patch_ctx *c = calloc(1, sizeof(*c));
    if (!c || !body || !(c->key = strdup(key))) {
        free(c);
        json_decref(want);
        return;
    }
    c->src = src;
    c->idx = idx;
    c->status = want;
    struct kube_req_ops ops = {.done = on_patch_done, .userdata = c};
    if (kube_request(src->k, "PATCH", path, "application/merge-patch+json", body, false, &ops,
                     NULL) < 0) {
        json_decref(want);
        free(c->key);
        free(c);
        return;
    }
    src->status_inflight++;
}

/* Writes the queued statuses that still differ, STATUS_MAX_INFLIGHT at a time. */
static void flush_statuses(struct kubesrc *src)
{
    size_t n = 0;
    _cleanup_free_ char **keys = calloc(src->status_pending.n + 1, sizeof(*keys));
    if (!keys)
        return;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&src->status_pending, &it); h;
         h = hmap_next(&src->status_pending, &it))
        if ((keys[n] = strdup(h->key)))
            n++;
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *pk = keys[i];
        if (src->status_inflight >= STATUS_MAX_INFLIGHT)
            continue; /* stays queued: sent when a patch in flight completes */
        hmap_remove(&src->status_pending, pk);
        char *tab = strchr(pk, '\t');
        if (!tab)
            continue;
        int idx = atoi(pk);
        if (idx < R_POLICIES || idx >= R__COUNT)
            continue;
        struct known *kn = hmap_get(&src->r[idx].known, tab + 1);
        json_t *want = kn ? status_to_write(src, idx, tab + 1, kn) : NULL;
        if (want)
            send_status(src, idx, tab + 1, kn, want);
    }
}

static void update_statuses(struct kubesrc *src)
{
    unsigned counts[3] = {0, 0, 0};
    for (int idx = R_POLICIES; idx < R__COUNT; idx++) {
        struct reflector *r = &src->r[idx];
        struct hmap_iter it;
        for (struct hmap_entry *h = hmap_first(&r->known, &it); h; h = hmap_next(&r->known, &it)) {
            struct known *kn = h->value;
            const char *slash = strchr(h->key, '/');
            bool dirty = src->status_all || kn->condition < 0 || idx == R_CLUSTER_POLICIES;
            if (!dirty && slash) {
                char ns[64];
                size_t nl = (size_t)(slash - h->key);
                if (nl < sizeof(ns)) {
                    memcpy(ns, h->key, nl);
                    ns[nl] = '\0';
                    dirty = hmap_get(&src->status_dirty, ns) != NULL;
                }
            }
            if (dirty) {
                json_t *want = status_to_write(src, idx, h->key, kn);
                if (want)
                    queue_status(src, idx, h->key);
                json_decref(want);
            }
            if (kn->condition >= 0)
                counts[kn->condition]++;
        }
    }
    src->status_all = false;
    hmap_clear(&src->status_dirty, NULL);
    metrics_set(src->m, G_POLICIES_VALID, counts[0]);
    metrics_set(src->m, G_POLICIES_INVALID, counts[1]);
    metrics_set(src->m, G_POLICIES_CONFLICT, counts[2]);
}

/* ---- Events ---- */

struct event_ctx {
    struct kubesrc *src;
    char *key, *path, *body;
};

static void event_ctx_free(struct event_ctx *c)
{
    free(c->key);
    free(c->path);
    free(c->body);
    free(c);
}

static void on_event_done(long status, const char *body, size_t len, const char *error,
                          void *userdata);

static int send_event(struct kubesrc *src, const char *key, const char *path, const char *body)
{
    struct event_ctx *c = calloc(1, sizeof(*c));
    if (!c || !(c->key = strdup(key)) || !(c->path = strdup(path)) || !(c->body = strdup(body))) {
        if (c)
            event_ctx_free(c);
        return -ENOMEM;
    }
    c->src = src;
    struct kube_req_ops ops = {.done = on_event_done, .userdata = c};
    int r = kube_request(src->k, "POST", path, "application/json", body, false, &ops, NULL);
    if (r < 0)
        event_ctx_free(c);
    return r;
}

static void on_event_retry_timer(struct evtimer *timer, void *userdata)
{
    struct kubesrc *src = userdata;
    struct event_retry *er = src->event_retries;
    src->event_retries = NULL;
    while (er) {
        struct event_retry *next = er->next;
        /* Not when its pod went away meanwhile (forget_events_of dropped the key). */
        if (hmap_get(&src->events_sent, er->key) &&
            send_event(src, er->key, er->path, er->body) < 0)
            hmap_remove(&src->events_sent, er->key);
        free(er->key);
        free(er->path);
        free(er->body);
        free(er);
        er = next;
    }
}

static void on_event_done(long status, const char *body, size_t len, const char *error,
                          void *userdata)
{
    struct event_ctx *c = userdata;
    struct kubesrc *src = c->src;
    if (status >= 200 && status < 300) {
        src->event_failures = 0;
        metrics_add(src->m, M_EVENTS_SENT, 1);
    } else {
        log_warning("posting an Event failed: %s HTTP %ld %.200s", error ? error : "", status,
                    body ? body : "");
        bool transient =
            status == 0 || status == 401 || status == 403 || status == 429 || status >= 500;
        struct event_retry *er = transient ? calloc(1, sizeof(*er)) : NULL;
        if (er) {
            /* Posted again later, as long as the pod is known (the key stays in events_sent). */
            er->key = TAKE_PTR(c->key);
            er->path = TAKE_PTR(c->path);
            er->body = TAKE_PTR(c->body);
            er->next = src->event_retries;
            src->event_retries = er;
            if (!evtimer_armed(src->event_timer)) {
                src->event_failures++;
                evtimer_arm(src->event_timer, retry_delay(src->event_failures));
            }
        } else
            hmap_remove(&src->events_sent, c->key); /* try again next time */
    }
    event_ctx_free(c);
}

static int post_event(struct kubesrc *src, const struct pod *pod, const char *reason,
                      const char *message)
{
    _cleanup_free_ char *key = NULL;
    if (asprintf(&key, "%s\t%s\t%s", pod->uid ? pod->uid : pod->name, reason, message) < 0)
        return -ENOMEM;
    if (hmap_get(&src->events_sent, key))
        return 0;
    if (hmap_put(&src->events_sent, key, (void *)1, NULL) < 0)
        return -ENOMEM;
    log_warning("event Warning %s on pod %s/%s: %s", reason, pod->ns, pod->name, message);
    char ts[64];
    now_rfc3339(ts, sizeof(ts));
    _cleanup_free_ char *gen = NULL;
    if (asprintf(&gen, "%s.kscmp-", pod->name) < 0)
        return -ENOMEM;
    json_t *ev = json_pack(
        "{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s}, s:s, s:s, s:s, s:{s:s, s:s}, s:s, "
        "s:s, s:i, s:s, s:s}",
        "apiVersion", "v1", "kind", "Event", "metadata", "generateName", gen, "namespace", pod->ns,
        "involvedObject", "apiVersion", "v1", "kind", "Pod", "namespace", pod->ns, "name",
        pod->name, "uid", pod->uid ? pod->uid : "", "reason", reason, "message", message, "type",
        "Warning", "source", "component", "kscmp", "host", src->node, "firstTimestamp", ts,
        "lastTimestamp", ts, "count", 1, "reportingComponent", "kscmp", "reportingInstance",
        src->node);
    _cleanup_free_ char *body = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    _cleanup_free_ char *path = NULL;
    if (!body || asprintf(&path, "/api/v1/namespaces/%s/events", pod->ns) < 0)
        return -ENOMEM;
    if (send_event(src, key, path, body) < 0)
        hmap_remove(&src->events_sent, key); /* try again next time */
    return 0;
}

int kubesrc_event(const struct engine_event *ev, void *userdata)
{
    return post_event(userdata, ev->pod, ev->reason, ev->message);
}

/* ---- staleness ---- */

static void check_stale(struct kubesrc *src)
{
    unsigned stale = 0;
    struct reflector *r = &src->r[R_PODS];
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&r->known, &it); h; h = hmap_next(&r->known, &it)) {
        const char *slash = strchr(h->key, '/');
        if (!slash)
            continue;
        _cleanup_free_ char *ns = strndup(h->key, (size_t)(slash - h->key));
        const struct pod *pod = ns ? engine_get_pod(src->e, ns, slash + 1) : NULL;
        if (!pod)
            continue;
        bool is_stale = false;
        for (size_t i = 0; i < pod->nrefs && !is_stale; i++) {
            _cleanup_free_ char *rel = NULL;
            if (engine_classify_ref(pod->ns, pod->refs[i], &rel, NULL) != 0)
                continue;
            _cleanup_free_ char *path = NULL;
            struct stat st;
            if (asprintf(&path, "%s/%s", store_path(src->s), rel) < 0 ||
                fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                continue;
            for (size_t c = 0; c < pod->ncontainers; c++) {
                int64_t started = pod->containers[c].started_at;
                /* Seconds in startedAt: a change in the same second is not counted. */
                if (started > 0 && started < (int64_t)st.st_mtim.tv_sec) {
                    char msg[512], when[64];
                    time_t mt = st.st_mtim.tv_sec;
                    struct tm tm;
                    gmtime_r(&mt, &tm);
                    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
                    snprintf(msg, sizeof(msg),
                             "container %s started before kscmp/%s last changed (%s): it runs "
                             "under the older profile until it restarts",
                             pod->containers[c].name, rel, when);
                    post_event(src, pod, "ProfileStale", msg);
                    is_stale = true;
                    break;
                }
            }
        }
        stale += is_stale;
    }
    metrics_set(src->m, G_PODS_STALE, stale);
}

/* ---- syncing ---- */

static void on_sync_timer(struct evtimer *timer, void *userdata)
{
    struct kubesrc *src = userdata;
    if (!src->initial_done)
        return;
    uint64_t t = src->pending_event_us;
    src->pending_event_us = 0;
    reconciler_sync(src->rec, t);
    update_statuses(src);
    check_stale(src);
}

static void schedule_sync(struct kubesrc *src, uint64_t event_us)
{
    if (!src->pending_event_us || event_us < src->pending_event_us)
        src->pending_event_us = event_us;
    if (src->initial_done)
        evtimer_arm(src->sync_timer, 0);
}

static void initial_sync_if_ready(struct kubesrc *src)
{
    if (src->initial_done)
        return;
    for (int i = 0; i < R__COUNT; i++)
        if (!src->r[i].synced)
            return;
    src->initial_done = true;
    uint64_t t = now_us();
    log_info("every kind is listed: first complete sync");
    engine_touch_all(src->e);
    reconciler_sync(src->rec, src->pending_event_us ? src->pending_event_us : t);
    src->pending_event_us = 0;
    reconciler_gc(src->rec);
    reconciler_initial_done(src->rec);
    src->status_all = true;
    update_statuses(src);
    check_stale(src);
    log_info("first sync done in %.1f ms", (double)(now_us() - t) / 1000.0);
    malloc_trim(0); /* the list pages and their trees are freed: give the pages back */
}

int kubesrc_new(struct kube *k, struct engine *e, struct evloop *l, struct metrics *m,
                struct reconciler *rec, struct store *s, const char *node, struct kubesrc **ret)
{
    struct kubesrc *src = calloc(1, sizeof(*src));
    if (!src)
        return -ENOMEM;
    *src = (struct kubesrc){.k = k, .e = e, .l = l, .m = m, .rec = rec, .s = s};
    hmap_init(&src->status_dirty);
    hmap_init(&src->status_pending);
    hmap_init(&src->events_sent);
    src->node = strdup(node);
    _cleanup_free_ char *sel = NULL;
    if (src->node && asprintf(&sel, "spec.nodeName=%s", node) >= 0) {
        _cleanup_free_ char *esc = kube_escape(sel);
        if (esc && asprintf(&src->pods_query, "&fieldSelector=%s", esc) < 0)
            src->pods_query = NULL;
    }
    if (!src->node || !src->pods_query) {
        kubesrc_free(src);
        return -ENOMEM;
    }
    for (int i = 0; i < R__COUNT; i++) {
        src->r[i].src = src;
        src->r[i].idx = i;
        hmap_init(&src->r[i].known);
        hmap_init(&src->r[i].listed);
    }
    int q = evtimer_new(l, on_sync_timer, src, &src->sync_timer);
    if (q == 0)
        q = evtimer_new(l, on_status_timer, src, &src->status_timer);
    if (q == 0)
        q = evtimer_new(l, on_event_retry_timer, src, &src->event_timer);
    for (int i = 0; i < R__COUNT && q == 0; i++)
        q = evtimer_new(l, on_reflector_timer, &src->r[i], &src->r[i].timer);
    if (q < 0) {
        kubesrc_free(src);
        return q;
    }
    *ret = src;
    return 0;
}

int kubesrc_start(struct kubesrc *src)
{
    srand((unsigned)now_us());
    for (int i = 0; i < R__COUNT; i++)
        start_list(&src->r[i]);
    return 0;
}

void kubesrc_relist(struct kubesrc *src)
{
    for (int i = 0; i < R__COUNT; i++) {
        struct reflector *r = &src->r[i];
        kube_cancel(r->req);
        r->req = NULL;
        free(r->cont);
        r->cont = NULL;
        start_list(r);
    }
}
