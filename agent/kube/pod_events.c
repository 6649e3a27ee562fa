/* pod_events.c - Warning Events on pods: de-duplicated, retried while their pod is known. */
#include "kube/pod_events.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/names.h"
#include "kube/json_prune.h"
#include "node/event_budget.h"

/* An Event the API server refused for a reason that may pass: posted again later while its
 * pod is known. */
struct event_retry {
    char *key, *method, *path, *body;
    struct event_retry *next;
};

struct pod_events {
    const struct kube_transport *t;
    struct evloop *l;
    struct metrics *m;
    char *node;
    struct event_dedup sent;
    struct event_budget budget; /* per pod: struct event_ctx items (made by post()) */
    struct evtimer *budget_timer;
    struct event_retry *retries;
    struct evtimer *retry_timer;
    unsigned failures; /* retry rounds of refused Events in a row (backoff) */
    pod_events_owed_fn owed;
    void *owed_userdata;
};

static void event_retry_free(struct event_retry *er)
{
    free(er->key);
    free(er->method);
    free(er->path);
    free(er->body);
    free(er);
}

/* An Event on its way. post() makes one (a POST), which waits for a token of its pod's budget
 * or is sent at once, looked up first when the pod has a uid; a send makes one of its own for
 * the request in flight (retried from it when the server refused it). */
struct event_ctx {
    struct pod_events *pe;
    char *key, *method, *path, *body;
    /* post()'s (NULL in a send's): the lookup of the Event (list by involvedObject and reason)
     * matches uid and message, and ns goes into the path of the PATCH of one found. uid is NULL
     * for a pod without one (not looked up). name: the pod's, for pod_events_owed_fn. */
    char *ns, *name, *uid, *reason, *message;
};

/* Frees c (void *: also the budget's free function of the Events that wait). */
static void event_ctx_free(void *p)
{
    struct event_ctx *c = p;
    if (!c)
        return;
    free(c->key);
    free(c->method);
    free(c->path);
    free(c->body);
    free(c->ns);
    free(c->name);
    free(c->uid);
    free(c->reason);
    free(c->message);
    free(c);
}

static void on_retry_timer(struct evtimer *timer, void *userdata);
#define OWED_ASKS_PER_RUN 32

static void on_budget_timer(struct evtimer *timer, void *userdata);

int pod_events_new(const struct kube_transport *t, struct evloop *l, struct metrics *m,
                   const char *node, struct pod_events **ret)
{
    struct pod_events *pe = calloc(1, sizeof(*pe));
    if (!pe)
        return -ENOMEM;
    *pe = (struct pod_events){.t = t, .l = l, .m = m};
    event_dedup_init(&pe->sent);
    event_budget_init(&pe->budget, event_ctx_free);
    int q = (pe->node = strdup(node)) ? 0 : -ENOMEM;
    if (q == 0)
        q = evtimer_new(l, on_retry_timer, pe, &pe->retry_timer);
    if (q == 0)
        q = evtimer_new(l, on_budget_timer, pe, &pe->budget_timer);
    if (q < 0) {
        pod_events_free(pe);
        return q;
    }
    *ret = pe;
    return 0;
}

void pod_events_free(struct pod_events *pe)
{
    if (!pe)
        return;
    while (pe->retries) {
        struct event_retry *er = pe->retries;
        pe->retries = er->next;
        event_retry_free(er);
    }
    evtimer_free(pe->retry_timer);
    evtimer_free(pe->budget_timer);
    event_budget_clear(&pe->budget);
    event_dedup_clear(&pe->sent);
    free(pe->node);
    free(pe);
}

void pod_events_set_owed(struct pod_events *pe, pod_events_owed_fn owed, void *userdata)
{
    pe->owed = owed;
    pe->owed_userdata = userdata;
}

void pod_events_forget(struct pod_events *pe, const char *uid)
{
    event_dedup_forget_pod(&pe->sent, uid);
    if (uid)
        event_budget_forget(&pe->budget, uid);
}

static void on_event_done(long status, const char *body, size_t len, const char *error,
                          void *userdata);

/* POSTs a new Event, or merge-PATCHes an existing one (method says which). */
static int send_event(struct pod_events *pe, const char *key, const char *method, const char *path,
                      const char *body)
{
    struct event_ctx *c = calloc(1, sizeof(*c));
    if (!c || !(c->key = strdup(key)) || !(c->method = strdup(method)) ||
        !(c->path = strdup(path)) || !(c->body = strdup(body))) {
        event_ctx_free(c);
        return -ENOMEM;
    }
    c->pe = pe;
    struct kube_req_ops ops = {.done = on_event_done, .userdata = c};
    bool post = strcmp(method, "POST") == 0;
    int r = pe->t->request(pe->t->impl, method, path,
                           post ? "application/json" : "application/merge-patch+json", body, false,
                           &ops, NULL);
    if (r < 0)
        event_ctx_free(c);
    return r;
}

static void on_retry_timer(struct evtimer *timer, void *userdata)
{
    struct pod_events *pe = userdata;
    struct event_retry *er = pe->retries;
    pe->retries = NULL;
    while (er) {
        struct event_retry *next = er->next;
        /* Not when its pod went away meanwhile (pod_events_forget dropped the key). */
        if (event_dedup_has(&pe->sent, er->key) &&
            send_event(pe, er->key, er->method, er->path, er->body) < 0)
            event_dedup_remove(&pe->sent, er->key);
        event_retry_free(er);
        er = next;
    }
}

static void on_event_done(long status, const char *body, size_t len, const char *error,
                          void *userdata)
{
    struct event_ctx *c = userdata;
    struct pod_events *pe = c->pe;
    if (status >= 200 && status < 300) {
        pe->failures = 0;
        metrics_add(pe->m, M_EVENTS_SENT, 1);
    } else {
        log_warning("posting an Event failed: %s HTTP %ld %.200s", error ? error : "", status,
                    body ? body : "");
        bool transient =
            status == 0 || status == 401 || status == 403 || status == 429 || status >= 500;
        struct event_retry *er = transient ? calloc(1, sizeof(*er)) : NULL;
        if (er) {
            /* Posted again later, as long as the pod is known (the key stays in sent). */
            er->key = TAKE_PTR(c->key);
            er->method = TAKE_PTR(c->method);
            er->path = TAKE_PTR(c->path);
            er->body = TAKE_PTR(c->body);
            er->next = pe->retries;
            pe->retries = er;
            if (!evtimer_armed(pe->retry_timer)) {
                pe->failures++;
                /* 1 s doubling to 30 s, with jitter. */
                evtimer_arm(pe->retry_timer, backoff_jitter_ms(pe->failures, 1000, 30000));
            }
        } else
            event_dedup_remove(&pe->sent, c->key); /* try again next time */
    }
    event_ctx_free(c);
}

int pod_events_find_posted(const char *body, size_t len, const char *uid, const char *message,
                           const char *node, char **ret_name, int64_t *ret_count, struct kerr *err)
{
    static const struct prune_rule src[] = {{"host", NULL}, {"component", NULL}, {NULL, NULL}};
    static const struct prune_rule obj[] = {{"uid", NULL}, {NULL, NULL}};
    static const struct prune_rule meta[] = {{"name", NULL}, {NULL, NULL}};
    static const struct prune_rule item[] = {
        {"metadata", meta},          {"message", NULL},       {"count", NULL}, {"source", src},
        {"reportingInstance", NULL}, {"involvedObject", obj}, {NULL, NULL}};
    static const struct prune_rule keep[] = {{"items", item}, {NULL, NULL}};
    _cleanup_(json_decrefp) json_t *list = NULL;
    int r = json_prune(body, len, keep, &list, err);
    if (r < 0)
        return r;
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(list, "items"), i, ev)
    {
        const char *msg = json_string_value(json_object_get(ev, "message"));
        json_t *src_obj = json_object_get(ev, "source");
        const char *host = json_string_value(json_object_get(src_obj, "host"));
        const char *inst = json_string_value(json_object_get(ev, "reportingInstance"));
        const char *comp = json_string_value(json_object_get(src_obj, "component"));
        const char *ev_uid =
            json_string_value(json_object_get(json_object_get(ev, "involvedObject"), "uid"));
        const char *name =
            json_string_value(json_object_get(json_object_get(ev, "metadata"), "name"));
        if (!msg || !name || !ev_uid || strcmp(msg, message) != 0 || strcmp(ev_uid, uid) != 0 ||
            !comp || strcmp(comp, "kscmp") != 0 || !dns_subdomain_valid(name))
            continue;
        if (!((host && strcmp(host, node) == 0) || (inst && strcmp(inst, node) == 0)))
            continue;
        char *copy = strdup(name);
        if (!copy)
            return kerr_set(err, -ENOMEM, "out of memory");
        json_int_t count = json_integer_value(json_object_get(ev, "count"));
        *ret_name = copy;
        /* Kubernetes counts in 32 bits: the count the agent sends (+1) stays in them. */
        *ret_count = count <= 0 ? 1 : count >= INT32_MAX ? INT32_MAX - 1 : (int64_t)count;
        return 0;
    }
    return -ENOENT;
}

static void on_lookup_done(long status, const char *body, size_t len, const char *error,
                           void *userdata)
{
    struct event_ctx *c = userdata;
    struct pod_events *pe = c->pe;
    _cleanup_free_ char *patch = NULL, *path = NULL, *name = NULL;
    int64_t count = 0;
    if (status >= 200 && status < 300) {
        struct kerr err = {0};
        if (pod_events_find_posted(body, len, c->uid, c->message, pe->node, &name, &count, &err) <
            0)
            name = NULL; /* none, or unreadable: posted anew */
    } else if (status != 403)
        log_debug("looking up the Events of pod %s: %s HTTP %ld", c->uid, error ? error : "",
                  status);
    if (name) {
        char ts[64];
        rfc3339_utc(time(NULL), ts, sizeof(ts));
        json_t *p = json_pack("{s:I, s:s}", "count", (json_int_t)(count + 1), "lastTimestamp", ts);
        patch = p ? json_dumps(p, JSON_COMPACT) : NULL;
        json_decref(p);
        if (!patch || asprintf(&path, "/api/v1/namespaces/%s/events/%s", c->ns, name) < 0)
            path = NULL;
    }
    int r = path ? send_event(pe, c->key, "PATCH", path, patch)
                 : send_event(pe, c->key, "POST", c->path, c->body);
    if (r < 0)
        event_dedup_remove(&pe->sent, c->key); /* try again next time */
    event_ctx_free(c);
}

/* Looks for the same Event posted before by this node (an agent restarted: it bumps it rather
 * than posting it again), then posts or bumps it. c (made by post()) is the lookup's once it
 * started; when it cannot start, c stays the caller's. */
static int lookup_then_send(struct event_ctx *c)
{
    struct pod_events *pe = c->pe;
    _cleanup_free_ char *sel = NULL, *esc = NULL, *lpath = NULL;
    if (asprintf(&sel, "involvedObject.uid=%s,reason=%s", c->uid, c->reason) < 0 ||
        !(esc = kube_escape(sel)) ||
        asprintf(&lpath, "/api/v1/namespaces/%s/events?fieldSelector=%s", c->ns, esc) < 0)
        return -ENOMEM;
    struct kube_req_ops ops = {.done = on_lookup_done, .userdata = c};
    return pe->t->request(pe->t->impl, "GET", lpath, NULL, NULL, false, &ops, NULL);
}

static int post(struct pod_events *pe, const struct pod *pod, const char *type, const char *reason,
                const char *message, const struct event_note *notes, size_t nnotes);
static void send_now(struct event_ctx *c);
static int defer(struct pod_events *pe, const char *bkey, const struct pod *pod, const char *key,
                 struct event_ctx *c);

int pod_events_post(struct pod_events *pe, const struct pod *pod, const char *reason,
                    const char *message)
{
    return post(pe, pod, "Warning", reason, message, NULL, 0);
}

int pod_events_post_normal(struct pod_events *pe, const struct pod *pod, const char *reason,
                           const char *message)
{
    return post(pe, pod, "Normal", reason, message, NULL, 0);
}

int pod_events_post_noted(struct pod_events *pe, const struct pod *pod, const char *reason,
                          const char *message, const struct event_note *notes, size_t nnotes)
{
    return post(pe, pod, "Warning", reason, message, notes, nnotes);
}

static int post(struct pod_events *pe, const struct pod *pod, const char *type, const char *reason,
                const char *message, const struct event_note *notes, size_t nnotes)
{
    _cleanup_free_ char *key = event_key(pod, reason, message);
    if (!key)
        return -ENOMEM;
    int q = event_dedup_add(&pe->sent, key);
    if (q <= 0)
        return q;
    if (strcmp(type, "Warning") == 0)
        log_warning("event Warning %s on pod %s/%s: %s", reason, pod->ns, pod->name, message);
    else
        log_info("event %s %s on pod %s/%s: %s", type, reason, pod->ns, pod->name, message);
    char ts[64];
    rfc3339_utc(time(NULL), ts, sizeof(ts));
    _cleanup_free_ char *gen = NULL;
    if (asprintf(&gen, "%s.kscmp-", pod->name) < 0)
        return -ENOMEM;
    json_t *ev = json_pack(
        "{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s}, s:s, s:s, s:s, s:{s:s, s:s}, s:s, "
        "s:s, s:i, s:s, s:s}",
        "apiVersion", "v1", "kind", "Event", "metadata", "generateName", gen, "namespace", pod->ns,
        "involvedObject", "apiVersion", "v1", "kind", "Pod", "namespace", pod->ns, "name",
        pod->name, "uid", pod->uid ? pod->uid : "", "reason", reason, "message", message, "type",
        type, "source", "component", "kscmp", "host", pe->node, "firstTimestamp", ts,
        "lastTimestamp", ts, "count", 1, "reportingComponent", "kscmp", "reportingInstance",
        pe->node);
    json_t *annotations = ev && nnotes ? json_object() : NULL;
    for (size_t i = 0; annotations && i < nnotes; i++)
        if (json_object_set_new(annotations, notes[i].key, json_string(notes[i].value)) < 0) {
            json_decref(annotations);
            annotations = NULL;
        }
    if (nnotes && (!annotations || json_object_set_new(json_object_get(ev, "metadata"),
                                                       "annotations", annotations) < 0)) {
        json_decref(ev);
        ev = NULL;
    }
    _cleanup_free_ char *body = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    _cleanup_free_ char *path = NULL;
    if (!body || asprintf(&path, "/api/v1/namespaces/%s/events", pod->ns) < 0)
        return -ENOMEM;
    /* The pod's budget: past it, the Event waits (budget_key() as event_key() names the pod). */
    _cleanup_free_ char *bkey = NULL;
    if (pod->uid && *pod->uid ? !(bkey = strdup(pod->uid))
                              : asprintf(&bkey, "%s/%s", pod->ns, pod->name) < 0)
        return -ENOMEM;
    int t = event_budget_take(&pe->budget, bkey, now_ms());
    if (t < 0) {
        event_dedup_remove(&pe->sent, key); /* try again next time */
        return 0;
    }
    struct event_ctx *c = calloc(1, sizeof(*c));
    if (!c || !(c->key = strdup(key)) || !(c->method = strdup("POST")) ||
        !(c->ns = strdup(pod->ns)) || !(c->name = strdup(pod->name)) ||
        (pod->uid && !(c->uid = strdup(pod->uid))) || !(c->reason = strdup(reason)) ||
        !(c->message = strdup(message))) {
        event_ctx_free(c);
        event_dedup_remove(&pe->sent, key); /* try again next time */
        return t == 0 ? -ENOMEM : 0;        /* as one not kept fails (defer()), not one not sent */
    }
    c->pe = pe;
    c->path = TAKE_PTR(path);
    c->body = TAKE_PTR(body);
    if (t == 0)
        return defer(pe, bkey, pod, key, c);
    send_now(c);
    return 0;
}

/* Sends an Event made by post(), taking c: looked up first when the pod has a uid (an agent
 * restarted bumps the Event it posted before). One that cannot be sent is no longer told (the
 * same may be made again). */
static void send_now(struct event_ctx *c)
{
    struct pod_events *pe = c->pe;
    bool lookup = c->uid && *c->uid;
    int r = lookup ? lookup_then_send(c) : send_event(pe, c->key, "POST", c->path, c->body);
    if (r < 0)
        event_dedup_remove(&pe->sent, c->key); /* try again next time */
    if (r < 0 || !lookup)
        event_ctx_free(c);
}

static void arm_budget_timer(struct pod_events *pe)
{
    uint64_t due = event_budget_next_due(&pe->budget);
    if (due == UINT64_MAX) {
        evtimer_cancel(pe->budget_timer);
        return;
    }
    uint64_t now = now_ms();
    evtimer_arm(pe->budget_timer, due > now ? due - now : 0);
}

/* Keeps c (an Event made by post(), taken) until its pod's budget has a token; the key stays
 * told (the same Event is not made again meanwhile). key: c's, as the caller's own copy (the
 * budget frees c when it cannot keep it). */
static int defer(struct pod_events *pe, const char *bkey, const struct pod *pod, const char *key,
                 struct event_ctx *c)
{
    int first = 0;
    int q = event_budget_defer(&pe->budget, bkey, c, &first);
    if (q < 0) {
        event_dedup_remove(&pe->sent, key);
        return q;
    }
    if (q == 0) {
        /* Not told: the same Event may be made again later, and wait then if there is room. */
        event_dedup_remove(&pe->sent, key);
        metrics_add(pe->m, M_EVENTS_DROPPED, 1);
        size_t dropped = event_budget_dropped(&pe->budget, bkey);
        /* Said at the first and then at every hundredth: the log stays bounded too. */
        if (dropped % 100 == 1) {
            char why[96];
            if (event_budget_node_full(&pe->budget))
                snprintf(why, sizeof(why), "%d Events of the node's pods", EVENT_PENDING_NODE_MAX);
            else
                snprintf(why, sizeof(why), "%d Events of this pod", EVENT_PENDING_MAX);
            log_warning("pod %s/%s: %zu Event(s) not posted: %s were waiting for their pod's "
                        "budget; `kubectl kscmp explain pod -n %s %s` tells every cause",
                        pod->ns, pod->name, dropped, why, pod->ns, pod->name);
        }
        return 0;
    }
    metrics_add(pe->m, M_EVENTS_DEFERRED, 1);
    if (first)
        log_warning("pod %s/%s: more than %d Events at once: the rest are posted one a minute, "
                    "in order (`kubectl kscmp explain pod -n %s %s` tells every cause now)",
                    pod->ns, pod->name, EVENT_BURST, pod->ns, pod->name);
    arm_budget_timer(pe);
    return 0;
}

#define OWED_ASKS_PER_RUN 32

static void on_budget_timer(struct evtimer *timer, void *userdata)
{
    struct pod_events *pe = userdata;
    struct event_ctx *c;
    const char *bkey;
    /* Each question may compile a profile, and a withdrawn Event's token lets the next one
     * go at once: at most OWED_ASKS_PER_RUN a run, the rest after the loop's other work. */
    unsigned asks = 0;
    while (asks < OWED_ASKS_PER_RUN && (c = event_budget_pop_due(&pe->budget, now_ms(), &bkey))) {
        /* Not when its pod went away meanwhile (its items went with it) or was forgotten, nor
         * when its cause ended while it waited. */
        if (!event_dedup_has(&pe->sent, c->key)) {
            event_ctx_free(c);
            continue;
        }
        int owed = 1;
        if (pe->owed) {
            asks++;
            owed = pe->owed(c->ns, c->name, c->reason, c->message, pe->owed_userdata);
        }
        if (owed != 0) {
            send_now(c);
            continue;
        }
        log_info("pod %s/%s: a %s Event that waited for the pod's budget is not posted: its cause "
                 "has ended (%.200s)",
                 c->ns, c->name, c->reason, c->message);
        metrics_add(pe->m, M_EVENTS_WITHDRAWN, 1);
        event_budget_refund(&pe->budget, bkey); /* the next need not wait for it */
        event_dedup_remove(&pe->sent, c->key);  /* told again if it comes back */
        event_ctx_free(c);
    }
    arm_budget_timer(pe);
}
