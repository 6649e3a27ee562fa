/* reflector.c - list, then watch, one resource; relist on 410, backoff on failures. */
#include "kube/reflector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/strv.h"
#include "kube/watch_stream.h"

#define LIST_PAGE 500
/* A watch that the server ends (2xx, or 410 Gone) sooner than this after it started, having
 * delivered nothing, is a quick end: the first of a streak is followed at once (a watch that
 * timed out, history compacted), the next ones with backoff, so that a server or a proxy that
 * ends every watch at once is not asked again in a tight loop. */
#define WATCH_QUICK_MS 10000

struct reflector {
    const struct kube_transport *t;
    struct evloop *l;
    struct metrics *m;
    const struct reflector_kind *kind;
    char *path;  /* api_path/resource */
    char *query; /* added to lists and watches; "" when none */
    struct reflector_ops ops;
    void *userdata;
    char *rv;
    char *cont;
    struct hmap records; /* key -> the owner's record */
    struct hmap listed;  /* keys seen by the list in progress */
    struct kube_req *req;
    struct evtimer *timer; /* the next list or watch, after a failure or a 404 */
    unsigned failures;
    unsigned quick;      /* watches in a row that ended quickly (WATCH_QUICK_MS) */
    uint64_t watch_ms;   /* when the watch in flight started (now_ms()) */
    bool moved;          /* the watch in flight delivered an event or a bookmark */
    unsigned page;       /* objects per list page: the next page asked */
    unsigned start_page; /* the first page of the next list */
    unsigned list_min;   /* the smallest page of the list in progress */
    bool shrunk;         /* the list in progress had a page over KUBE_MAX_BODY */
    bool synced;         /* the first complete list is in */
    bool absent;         /* the kind is not served (CRD not installed) */
    bool off;            /* not asked for at all (reflector_turn_off()) */
    bool in_list;        /* a list is in progress (else a watch, or waiting) */
    bool said_kept;      /* told once per streak that a 404 keeps what is known */
    bool look;           /* the list in progress is the minute's look for a kind not served: not
                            counted as a list unless it finds the kind */
};

static void start_list(struct reflector *r);
static void request_page(struct reflector *r);
static void start_watch(struct reflector *r);

static void on_timer(struct evtimer *timer, void *userdata)
{
    struct reflector *r = userdata;
    if (r->absent) {
        /* The look, every minute, for an optional kind not served: not a list of what is
         * known (there is nothing), so not counted as one until it is served again. */
        hmap_clear(&r->listed, NULL);
        r->look = true;
        r->page = r->list_min = r->start_page;
        r->shrunk = false;
        request_page(r);
    } else if (r->in_list || !r->rv)
        start_list(r);
    else
        start_watch(r);
}

int reflector_new(const struct kube_transport *t, struct evloop *l, struct metrics *m,
                  const struct reflector_kind *kind, const char *query,
                  const struct reflector_ops *ops, void *userdata, struct reflector **ret)
{
    struct reflector *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    *r = (struct reflector){.t = t,
                            .l = l,
                            .m = m,
                            .kind = kind,
                            .ops = *ops,
                            .userdata = userdata,
                            .page = kind->page ? kind->page : LIST_PAGE,
                            .start_page = kind->page ? kind->page : LIST_PAGE};
    hmap_init(&r->records);
    hmap_init(&r->listed);
    int q = -ENOMEM;
    if (asprintf(&r->path, "%s/%s", kind->api_path, kind->resource) < 0)
        r->path = NULL;
    else if ((r->query = strdup(query ? query : "")))
        q = evtimer_new(l, on_timer, r, &r->timer);
    if (q < 0) {
        reflector_free(r);
        return q;
    }
    *ret = r;
    return 0;
}

void reflector_free(struct reflector *r)
{
    if (!r)
        return;
    r->t->cancel(r->t->impl, r->req);
    evtimer_free(r->timer);
    hmap_clear(&r->records, r->ops.free_record);
    hmap_clear(&r->listed, NULL);
    free(r->rv);
    free(r->cont);
    free(r->path);
    free(r->query);
    free(r);
}

const struct reflector_kind *reflector_kind(const struct reflector *r)
{
    return r->kind;
}

bool reflector_synced(const struct reflector *r)
{
    return r->synced;
}

void *reflector_record(const struct reflector *r, const char *key)
{
    return hmap_get(&r->records, key);
}

const struct hmap *reflector_records(const struct reflector *r)
{
    return &r->records;
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
    log_warning("%s: %s; trying again in %llu ms", r->kind->resource, why,
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

/* Hands one object of a list or a watch to the owner: 1 when it changed, 0 when not, or a
 * negative errno when it could not be taken in (out of memory: the list or watch is tried
 * again, so that nothing is silently missed). */
static int apply_object(struct reflector *r, json_t *obj)
{
    if (!json_object_get(obj, "apiVersion"))
        json_object_set_new(obj, "apiVersion", json_string(r->kind->api_version));
    if (!json_object_get(obj, "kind"))
        json_object_set_new(obj, "kind", json_string(r->kind->kind));
    json_t *meta = json_object_get(obj, "metadata");
    if (!json_string_value(json_object_get(meta, "name"))) {
        log_warning("%s: an object without metadata.name: ignored", r->kind->resource);
        return 0;
    }
    _cleanup_free_ char *key = object_key(obj);
    if (!key)
        return -ENOMEM;
    if (r->in_list && hmap_put(&r->listed, key, (void *)1, NULL) < 0)
        return -ENOMEM;
    void *record = hmap_get(&r->records, key);
    bool fresh = !record;
    /* The key goes in first: once the owner applied the object, holding it cannot fail. */
    if (fresh && hmap_put(&r->records, key, NULL, NULL) < 0)
        return -ENOMEM;
    int q = r->ops.apply(r, key, obj, &record, r->userdata);
    if (record)
        hmap_put(&r->records, key, record, NULL);
    else if (fresh)
        hmap_remove(&r->records, key);
    return q;
}

/* Tells the owner that key is gone. Returns true when it was held. */
static bool remove_key(struct reflector *r, const char *key)
{
    void *record = hmap_remove(&r->records, key);
    if (!record)
        return false;
    r->ops.remove(r, key, record, r->userdata);
    return true;
}

static bool not_in(const char *key, void *value, void *keep)
{
    return !keep || !hmap_get(keep, key);
}

/* Removes every key that keep does not hold (all of them when keep is NULL): 1 when one was,
 * 0 when none, -ENOMEM when they could not be listed (none removed). */
static int remove_keys_unless(struct reflector *r, const struct hmap *keep)
{
    char **gone = NULL;
    size_t n = 0;
    if (hmap_keys(&r->records, not_in, (void *)keep, &gone, &n) < 0)
        return -ENOMEM;
    bool changed = false;
    for (size_t i = 0; i < n; i++)
        changed |= remove_key(r, gone[i]);
    strv_free(gone, n);
    return changed;
}

static int on_watch_line(const char *line, size_t len, void *userdata)
{
    struct reflector *r = userdata;
    struct kerr err = {0};
    struct watch_event ev;
    int dq = watch_event_decode(line, len, r->kind->keep, &ev, &err);
    if (dq < 0) {
        char id[320];
        kube_object_id(line, len, "\"object\":", id, sizeof(id));
        log_warning("%s watch: %s%s%s%s", r->kind->resource,
                    dq == -ENOMEM ? strerror(ENOMEM) : err.msg, *id ? " (the event of " : "", id,
                    *id ? ")" : "");
        return dq; /* restart the watch from the version before this event */
    }
    bool changed = false;
    int q = 0;
    const char *rv = json_resource_version(ev.object);
    switch (ev.type) {
    case WATCH_ADDED:
    case WATCH_MODIFIED:
        q = apply_object(r, ev.object);
        changed = q > 0;
        if (q < 0) {
            /* Not taken in: the watch starts again from the version before this event. */
            log_warning("%s watch: an event could not be taken in: %s", r->kind->resource,
                        strerror(-q));
            json_decref(ev.object);
            return q;
        }
        q = 0;
        break;
    case WATCH_DELETED: {
        if (!json_string_value(json_object_get(json_object_get(ev.object, "metadata"), "name"))) {
            log_warning("%s: a deletion without metadata.name: ignored", r->kind->resource);
            break;
        }
        _cleanup_free_ char *key = object_key(ev.object);
        if (!key) {
            /* Not missed: the watch starts again from the version before this event. */
            log_warning("%s watch: a deletion could not be taken in: %s", r->kind->resource,
                        strerror(ENOMEM));
            json_decref(ev.object);
            return -ENOMEM;
        }
        changed = remove_key(r, key);
        break;
    }
    case WATCH_BOOKMARK:
        break;
    case WATCH_ERROR: {
        int code = watch_error_code(ev.object);
        if (code == 410) {
            log_info("%s: watch expired (410 Gone): listing again", r->kind->resource);
            free(r->rv);
            r->rv = NULL;
            rv = NULL;
        } else
            log_warning("%s watch error %d: %s", r->kind->resource, code,
                        json_string_value(json_object_get(ev.object, "message"))
                            ? json_string_value(json_object_get(ev.object, "message"))
                            : "");
        q = -EPIPE;
        break;
    }
    }
    if (ev.type != WATCH_ERROR)
        r->moved = true;
    if (rv && ev.type != WATCH_ERROR) {
        free(r->rv);
        r->rv = strdup(rv);
    }
    json_decref(ev.object);
    if (changed)
        r->ops.changed(r, r->userdata);
    return q;
}

static void on_watch_done(long status, const char *body, size_t len, const char *error,
                          void *userdata)
{
    struct reflector *r = userdata;
    r->req = NULL;
    metrics_add(r->m, M_WATCH_RESTARTS, 1);
    bool normal = status == 410 || !r->rv || (status >= 200 && status < 300 && !error);
    if (!normal)
        r->quick = 0;
    else if (!r->moved && now_ms() - r->watch_ms < WATCH_QUICK_MS)
        r->quick++;
    else
        r->quick = 1;
    if (status == 410 || !r->rv) {
        /* Normal (the API server kept no history that old, or restarted): listed again soon,
         * not after the backoff earlier failures built up (a 404 while a CRD was away); with
         * backoff only when watches keep expiring as soon as they start. */
        r->failures = r->quick - 1;
        retry_later(r, true, "watch expired (410 Gone)");
        return;
    }
    if (status >= 200 && status < 300 && !error) {
        if (r->quick > 1) {
            /* Ended again as soon as it started, with nothing: not a timeout. */
            char why[128];
            r->failures = r->quick - 2;
            snprintf(why, sizeof(why), "the watch ended as soon as it started (%u times in a row)",
                     r->quick);
            retry_later(r, false, why);
            return;
        }
        r->failures = 0;
        start_watch(r); /* the server's timeout ended it: go on from the last version */
        return;
    }
    if (status == 404 && r->kind->optional && r->records.n == 0) {
        /* An optional kind that holds nothing, no longer served (its CRD deleted, or the API
         * server starting): a list tells which, as at the start (not_served(): looked for once
         * a minute, quietly). Watching again would get 404, with a warning, for good. A kind
         * that holds objects watches again (they are kept either way). */
        retry_later(r, true, "watch ended: HTTP 404 (the kind is not served)");
        return;
    }
    char why[256];
    snprintf(why, sizeof(why), "watch ended: %s%s%ld%s", error ? error : "",
             error ? ", HTTP " : "HTTP ", status,
             status == 429 ? " (Too Many Requests: the API server is busy, or holds this agent to "
                             "its API Priority and Fairness share; usual while many clients start)"
                           : "");
    retry_later(r, false, why);
}

static void start_watch(struct reflector *r)
{
    r->in_list = false;
    _cleanup_free_ char *rv = kube_escape(r->rv ? r->rv : "");
    _cleanup_free_ char *path = NULL;
    /* Timeouts spread at random so that a thousand nodes do not come back at once. */
    unsigned timeout = 240 + (unsigned)(rand() % 120);
    if (!rv ||
        asprintf(&path,
                 "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%u%s",
                 r->path, rv, timeout, r->query) < 0) {
        path = NULL;
        retry_later(r, false, "cannot start the watch: out of memory");
        return;
    }
    struct kube_req_ops ops = {.line = on_watch_line, .done = on_watch_done, .userdata = r};
    r->watch_ms = now_ms();
    r->moved = false;
    int q = r->t->request(r->t->impl, "GET", path, NULL, NULL, true, &ops, &r->req);
    if (q < 0) {
        char why[128];
        snprintf(why, sizeof(why), "cannot start the watch: %s", strerror(-q));
        retry_later(r, false, why);
    }
}

/* The API server's /readyz answered, after a 404 for an optional kind that holds nothing. */
static void on_readyz_done(long status, const char *body, size_t len, const char *error,
                           void *userdata)
{
    struct reflector *r = userdata;
    r->req = NULL;
    if (status != 200) {
        retry_later(r, true,
                    "not served (404) while the API server is not ready: its routes may not be "
                    "registered yet");
        return;
    }
    /* A ready API server that does not serve the kind: its CRD is not installed (yet). */
    if (!r->absent)
        log_info("%s: not served by the API server (CRD not installed); checking again every "
                 "minute",
                 r->kind->resource);
    r->absent = true;
    r->failures = 0;
    r->synced = true;
    r->in_list = true;
    evtimer_arm(r->timer, 60000);
    r->ops.listed(r, r->userdata);
}

/* A list answered 404. Nothing leaves for it: objects leave only through DELETED events or a
 * list that succeeds. While objects of the kind are known, a 404 is taken for an API server
 * that has not registered the kind's routes yet (it starts): everything is kept and the list
 * is tried again with backoff. A kind the agent needs is waited for the same way. Only for an
 * optional kind that holds nothing does the API server's /readyz decide whether the kind is
 * simply not installed. */
static void not_served(struct reflector *r)
{
    free(r->cont);
    r->cont = NULL;
    if (r->records.n) {
        char why[256];
        snprintf(why, sizeof(why),
                 "not served (404): the %zu object(s) known are kept (the API server may be "
                 "starting; objects leave only when deleted, or when a list no longer holds "
                 "them)",
                 r->records.n);
        if (!r->said_kept)
            log_warning("%s: %s", r->kind->resource, why);
        r->said_kept = true;
        retry_later(r, true, "listing again after a 404");
        return;
    }
    if (!r->kind->optional) {
        retry_later(r, true,
                    "not served (404): its CustomResourceDefinition is not installed, or the API "
                    "server is still starting; nothing is synced until it is served");
        return;
    }
    struct kube_req_ops ops = {.done = on_readyz_done, .userdata = r};
    int q = r->t->request(r->t->impl, "GET", "/readyz", NULL, NULL, false, &ops, &r->req);
    if (q < 0)
        retry_later(r, true, "not served (404), and the API server's readiness cannot be asked");
}

static void on_list_done(long status, const char *body, size_t len, const char *error,
                         void *userdata)
{
    struct reflector *r = userdata;
    r->req = NULL;
    if (status == 404) {
        not_served(r);
        return;
    }
    if (status == 413 && r->page > 1) {
        /* The page does not fit in an answer: smaller pages, from where the list is. */
        r->page /= 2;
        r->shrunk = true;
        if (r->page < r->list_min)
            r->list_min = r->page;
        log_warning("%s: a list page is larger than %u bytes: %u objects per page from here",
                    r->kind->resource, KUBE_MAX_BODY, r->page);
        request_page(r); /* the same list: not a relist */
        return;
    }
    if (status == 410 && r->cont) {
        free(r->cont);
        r->cont = NULL;
        r->failures = 0;
        retry_later(r, true, "the list's continue token expired");
        return;
    }
    if (status < 200 || status >= 300 || error) {
        char why[512];
        snprintf(why, sizeof(why), "list failed: %s%sHTTP %ld%s%.200s", error ? error : "",
                 error ? ", " : "", status, body && *body ? " " : "", body ? body : "");
        retry_later(r, true, why);
        return;
    }
    /* Only what the agent uses of each item is built: a page of large pods costs little
     * more than its text. */
    const struct prune_rule keep[] = {{"metadata", NULL}, {"items", r->kind->keep}, {NULL, NULL}};
    json_t *j = NULL;
    struct kerr err = {0};
    int pq = json_prune(body, len, keep, &j, &err);
    json_t *items = json_object_get(j, "items");
    if (pq < 0 || !json_is_array(items)) {
        json_decref(j);
        char why[KERR_MSG_MAX + 64];
        snprintf(why, sizeof(why), "the list answer is not a list%s%s", pq < 0 ? ": " : "",
                 pq < 0 ? err.msg : "");
        retry_later(r, true, why);
        return;
    }
    if (r->absent)
        log_info("%s: now served by the API server", r->kind->resource);
    if (r->look)
        metrics_add(r->m, M_WATCH_RELISTS, 1); /* the look found it: it is its first list */
    r->look = false;
    r->absent = false;
    r->said_kept = false;
    bool changed = false;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        int q = apply_object(r, it);
        if (q < 0) {
            json_decref(j);
            if (changed)
                r->ops.changed(r, r->userdata);
            char why[128];
            snprintf(why, sizeof(why), "a listed object could not be taken in: %s", strerror(-q));
            retry_later(r, true, why);
            return;
        }
        changed |= q > 0;
    }
    json_t *meta = json_object_get(j, "metadata");
    const char *cont = json_string_value(json_object_get(meta, "continue"));
    unsigned full = r->kind->page ? r->kind->page : LIST_PAGE;
    if (cont && *cont) {
        if (r->cont && strcmp(r->cont, cont) == 0) {
            /* The page asked for again and again (a broken server or proxy): not followed in
             * a tight loop; a new list, with backoff. */
            json_decref(j);
            free(r->cont);
            r->cont = NULL;
            if (changed)
                r->ops.changed(r, r->userdata);
            retry_later(r, true, "the API server gave the same continue token twice");
            return;
        }
        free(r->cont);
        r->cont = strdup(cont);
        json_decref(j);
        if (changed)
            r->ops.changed(r, r->userdata);
        if (!r->cont) {
            /* Not from page one again within this list: its first pages are of another
             * snapshot, and an object deleted in between would stay. A new list. */
            retry_later(r, true, "out of memory for the list's continue token");
            return;
        }
        /* Past a part of large objects, pages grow back (doubling) where they are small. */
        if (len < KUBE_MAX_BODY / 4 && r->page < full)
            r->page = r->page * 2 < full ? r->page * 2 : full;
        request_page(r);
        return;
    }
    free(r->cont);
    r->cont = NULL;
    /* The next list starts with the page that fitted this one (a relist, as after each 410, would
     * read and throw away the same answers over KUBE_MAX_BODY again, on every node), or, when
     * none was too large, twice the last start, back to full pages. */
    r->start_page = r->shrunk ? r->list_min : r->start_page * 2 < full ? r->start_page * 2 : full;
    r->page = r->start_page;
    free(r->rv);
    r->rv = json_string_value(json_object_get(meta, "resourceVersion"))
                ? strdup(json_string_value(json_object_get(meta, "resourceVersion")))
                : NULL;
    json_decref(j);
    /* What the list no longer holds was deleted while we were not watching. */
    int gone = remove_keys_unless(r, &r->listed);
    hmap_clear(&r->listed, NULL);
    if (gone < 0) {
        /* Not a list that succeeded: an object it no longer holds would stay. */
        if (changed)
            r->ops.changed(r, r->userdata);
        retry_later(r, true, "out of memory while removing what the list no longer holds");
        return;
    }
    changed |= gone > 0;
    r->failures = 0;
    r->synced = true;
    if (changed)
        r->ops.changed(r, r->userdata);
    r->ops.listed(r, r->userdata);
    start_watch(r);
}

/* A list from its first page (the start, 410 Gone, a failed list tried again, SIGHUP): what
 * kscmp_watch_relists_total counts. A list that goes on (its next page, or the same page in
 * smaller pages) is request_page() alone. */
static void start_list(struct reflector *r)
{
    if (!r->cont) {
        hmap_clear(&r->listed, NULL);
        metrics_add(r->m, M_WATCH_RELISTS, 1);
        r->page = r->list_min = r->start_page;
        r->shrunk = false;
    }
    r->look = false;
    request_page(r);
}

/* Asks for the page the list is at: the first (r->cont NULL) or the one r->cont names, of
 * r->page objects. */
static void request_page(struct reflector *r)
{
    r->in_list = true;
    _cleanup_free_ char *cont = r->cont ? kube_escape(r->cont) : NULL;
    _cleanup_free_ char *path = NULL;
    if ((r->cont && !cont) || asprintf(&path, "%s?limit=%u%s%s%s", r->path, r->page,
                                       cont ? "&continue=" : "", cont ? cont : "", r->query) < 0) {
        path = NULL;
        retry_later(r, true, "cannot start the list: out of memory");
        return;
    }
    struct kube_req_ops ops = {.done = on_list_done, .userdata = r};
    int q = r->t->request(r->t->impl, "GET", path, NULL, NULL, false, &ops, &r->req);
    if (q < 0) {
        char why[128];
        snprintf(why, sizeof(why), "cannot start the list: %s", strerror(-q));
        retry_later(r, true, why);
    }
}

void reflector_turn_off(struct reflector *r)
{
    r->t->cancel(r->t->impl, r->req);
    r->req = NULL;
    evtimer_cancel(r->timer);
    r->off = true;
    r->synced = true;
}

void reflector_list(struct reflector *r)
{
    if (r->off)
        return;
    r->t->cancel(r->t->impl, r->req);
    r->req = NULL;
    /* A retry or a look for a kind not served may be due: this list takes its place. */
    evtimer_cancel(r->timer);
    free(r->cont);
    r->cont = NULL;
    start_list(r);
}
