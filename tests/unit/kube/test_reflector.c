/* test_reflector.c - the list-then-watch state machine of one kind, driven through a fake
 * transport (kube/transport.h): no HTTP client is linked (see the Makefile rule).
 *
 * The fake records every request the reflector starts; a test answers them (a list page, watch
 * lines, the end of a watch) as the API server would, and the reflector's callbacks record
 * what it did with them. Waits for retries run the real event loop with generous deadlines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/evloop.h"
#include "base/hmap.h"
#include "base/metrics.h"
#include "kube/reflector.h"

/* ---- the fake transport -------------------------------------------------------------------- */

#define MAX_REQS 64

struct kube_req {
    char *method, *path;
    bool stream;
    struct kube_req_ops ops;
    bool live; /* started, neither done nor cancelled */
};

struct fake {
    struct kube_req reqs[MAX_REQS];
    size_t n;
    unsigned cancels;
    int fail_next; /* the next request fails to start with this errno */
};

static int fake_request(void *impl, const char *method, const char *path, const char *ctype,
                        const char *body, bool stream, const struct kube_req_ops *ops,
                        struct kube_req **ret)
{
    struct fake *f = impl;
    if (f->fail_next) {
        int r = -f->fail_next;
        f->fail_next = 0;
        return r;
    }
    assert_true(f->n < MAX_REQS);
    struct kube_req *q = &f->reqs[f->n++];
    *q = (struct kube_req){strdup(method), strdup(path), stream, *ops, true};
    if (ret)
        *ret = q;
    return 0;
}

static void fake_cancel(void *impl, struct kube_req *q)
{
    struct fake *f = impl;
    if (!q)
        return;
    assert_true(q->live);
    q->live = false;
    f->cancels++;
}

/* The request in flight (exactly one: a reflector runs one list or watch at a time). */
static struct kube_req *live(struct fake *f)
{
    struct kube_req *found = NULL;
    for (size_t i = 0; i < f->n; i++)
        if (f->reqs[i].live) {
            assert_null(found);
            found = &f->reqs[i];
        }
    assert_non_null(found);
    return found;
}

static void answer(struct kube_req *q, long status, const char *body)
{
    assert_true(q->live);
    q->live = false;
    q->ops.done(status, body, body ? strlen(body) : 0, NULL, q->ops.userdata);
}

/* Feeds one watch line; returns what the reflector's line callback returned. */
static int line(struct kube_req *q, const char *text)
{
    assert_true(q->live && q->stream);
    return q->ops.line(text, strlen(text), q->ops.userdata);
}

/* ---- what the reflector told its owner ------------------------------------------------------ */

struct owner {
    struct hmap objects; /* key -> "rv" of the last apply (a strdup) */
    unsigned applies, removes, changed, listed;
    char log[4096];
};

static int on_apply(struct reflector *r, const char *key, json_t *obj, void **record,
                    void *userdata)
{
    struct owner *o = userdata;
    o->applies++;
    const char *rv =
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    /* The reflector fills apiVersion and kind into list items. */
    assert_string_equal(json_string_value(json_object_get(obj, "kind")), "Widget");
    free(*record);
    *record = strdup(rv ? rv : "");
    char *copy = strdup(*record);
    void *old = NULL;
    assert_int_equal(hmap_put(&o->objects, key, copy, &old), 0);
    free(old);
    snprintf(o->log + strlen(o->log), sizeof(o->log) - strlen(o->log), "+%s ", key);
    return 1;
}

static void on_remove(struct reflector *r, const char *key, void *record, void *userdata)
{
    struct owner *o = userdata;
    o->removes++;
    free(record);
    free(hmap_remove(&o->objects, key));
    snprintf(o->log + strlen(o->log), sizeof(o->log) - strlen(o->log), "-%s ", key);
}

static void on_changed(struct reflector *r, void *userdata)
{
    ((struct owner *)userdata)->changed++;
}

static void on_listed(struct reflector *r, void *userdata)
{
    ((struct owner *)userdata)->listed++;
}

static const struct reflector_ops ops = {
    .apply = on_apply,
    .remove = on_remove,
    .free_record = free,
    .changed = on_changed,
    .listed = on_listed,
};

static const struct reflector_kind widgets = {
    .api_path = "/apis/example.io/v1",
    .resource = "widgets",
    .api_version = "example.io/v1",
    .kind = "Widget",
    .optional = true,
};

struct env {
    struct fake fake;
    struct kube_transport t;
    struct evloop *l;
    struct metrics *m;
    struct owner owner;
    struct reflector *r;
};

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    e->t = (struct kube_transport){fake_request, fake_cancel, &e->fake};
    assert_int_equal(evloop_new(&e->l), 0);
    assert_int_equal(metrics_new(&e->m), 0);
    hmap_init(&e->owner.objects);
    assert_int_equal(
        reflector_new(&e->t, e->l, e->m, &widgets, "&fieldSelector=x%3Dy", &ops, &e->owner, &e->r),
        0);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    reflector_free(e->r);
    hmap_clear(&e->owner.objects, free);
    for (size_t i = 0; i < e->fake.n; i++) {
        free(e->fake.reqs[i].method);
        free(e->fake.reqs[i].path);
    }
    metrics_free(e->m);
    evloop_free(e->l);
    free(e);
    return 0;
}

/* A list page of widgets: items "ns/name@rv" separated by spaces; cont may be NULL. */
static char *page(const char *items, const char *rv, const char *cont)
{
    json_t *arr = json_array();
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", items);
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *at = strchr(tok, '@'), *slash = strchr(tok, '/');
        *at = '\0';
        *slash = '\0';
        json_array_append_new(arr, json_pack("{s:{s:s, s:s, s:s}}", "metadata", "namespace", tok,
                                             "name", slash + 1, "resourceVersion", at + 1));
    }
    json_t *meta = json_pack("{s:s}", "resourceVersion", rv);
    if (cont)
        json_object_set_new(meta, "continue", json_string(cont));
    json_t *root = json_pack("{s:o, s:o}", "items", arr, "metadata", meta);
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return s;
}

static char *event(const char *type, const char *ns, const char *name, const char *rv)
{
    json_t *root = json_pack("{s:s, s:{s:s, s:s, s:{s:s, s:s, s:s}}}", "type", type, "object",
                             "apiVersion", "example.io/v1", "kind", "Widget", "metadata",
                             "namespace", ns, "name", name, "resourceVersion", rv);
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return s;
}

static void answer_page(struct env *e, const char *items, const char *rv, const char *cont)
{
    _cleanup_free_ char *body = page(items, rv, cont);
    answer(live(&e->fake), 200, body);
}

static int feed(struct env *e, const char *type, const char *ns, const char *name, const char *rv)
{
    _cleanup_free_ char *ev = event(type, ns, name, rv);
    return line(live(&e->fake), ev);
}

static bool path_has(const struct kube_req *q, const char *part)
{
    return strstr(q->path, part) != NULL;
}

/* Runs the event loop until a new request is in flight (a retry after a backoff); fails after
 * 20 s, far longer than any backoff these tests reach. */
struct wait {
    struct env *e;
    size_t n0;
    uint64_t deadline;
    struct evtimer *t;
};

static void on_poll(struct evtimer *t, void *userdata)
{
    struct wait *w = userdata;
    if (w->e->fake.n > w->n0 || now_ms() > w->deadline)
        evloop_quit(w->e->l, 0);
    else
        evtimer_arm(t, 5);
}

static void wait_new_request(struct env *e)
{
    struct wait w = {e, e->fake.n, now_ms() + 20000, NULL};
    assert_int_equal(evtimer_new(e->l, on_poll, &w, &w.t), 0);
    evtimer_arm(w.t, 0);
    assert_int_equal(evloop_run(e->l), 0);
    evtimer_free(w.t);
    assert_true(e->fake.n > w.n0);
}

/* ---- the tests ------------------------------------------------------------------------------ */

/* A list, then a watch from the list's version with bookmarks; watch events applied. */
static void test_list_then_watch(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    struct kube_req *q = live(&e->fake);
    assert_string_equal(q->method, "GET");
    assert_false(q->stream);
    assert_true(path_has(q, "/apis/example.io/v1/widgets?limit=500"));
    assert_true(path_has(q, "&fieldSelector=x%3Dy"));
    assert_false(reflector_synced(e->r));
    answer_page(e, "a/one@5 a/two@6", "10", NULL);
    assert_true(reflector_synced(e->r));
    assert_int_equal(e->owner.applies, 2);
    assert_int_equal(e->owner.listed, 1);
    assert_int_equal(e->owner.changed, 1);
    assert_string_equal(reflector_record(e->r, "a/one"), "5");
    assert_int_equal(reflector_records(e->r)->n, 2);

    q = live(&e->fake);
    assert_true(q->stream);
    assert_true(path_has(q, "watch=1"));
    assert_true(path_has(q, "allowWatchBookmarks=true"));
    assert_true(path_has(q, "resourceVersion=10"));
    assert_true(path_has(q, "&fieldSelector=x%3Dy"));

    assert_int_equal(feed(e, "ADDED", "a", "three", "11"), 0);
    assert_int_equal(feed(e, "MODIFIED", "a", "one", "12"), 0);
    assert_int_equal(feed(e, "DELETED", "a", "two", "13"), 0);
    assert_string_equal(e->owner.log, "+a/one +a/two +a/three +a/one -a/two ");
    assert_string_equal(reflector_record(e->r, "a/one"), "12");
    assert_null(reflector_record(e->r, "a/two"));
    /* A DELETED of something it does not hold changes nothing. */
    unsigned changed = e->owner.changed;
    assert_int_equal(feed(e, "DELETED", "a", "nothing", "14"), 0);
    assert_int_equal(e->owner.changed, changed);
    assert_int_equal(e->owner.removes, 1);
}

/* Paged lists: the continue token is sent back; the kind is listed only after the last page. */
static void test_paging(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    answer_page(e, "a/one@1", "7", "tok+1/=");
    assert_false(reflector_synced(e->r));
    assert_int_equal(e->owner.listed, 0);
    struct kube_req *q = live(&e->fake);
    assert_false(q->stream);
    assert_true(path_has(q, "&continue=tok%2B1%2F%3D"));
    answer_page(e, "a/two@2", "8", NULL);
    assert_true(reflector_synced(e->r));
    assert_int_equal(e->owner.listed, 1);
    assert_int_equal(reflector_records(e->r)->n, 2);
    assert_true(path_has(live(&e->fake), "resourceVersion=8"));
}

/* A page larger than an answer may be (the client's 413) is asked for again in smaller pages,
 * from where the list is (a later page keeps its continue token): the same list, counted once
 * in kscmp_watch_relists_total however many times its page size is halved. The next list
 * starts with full pages again, and counts. */
static void test_page_too_large_is_one_list(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    assert_int_equal(metrics_get(e->m, M_WATCH_RELISTS), 1);
    assert_true(path_has(live(&e->fake), "widgets?limit=500&"));
    answer(live(&e->fake), 413, NULL);
    struct kube_req *q = live(&e->fake);
    assert_false(q->stream);
    assert_true(path_has(q, "widgets?limit=250&"));
    assert_false(path_has(q, "continue"));
    answer(q, 413, NULL);
    assert_true(path_has(live(&e->fake), "widgets?limit=125&"));
    answer_page(e, "a/one@1", "7", "more");
    /* A small page: the next one twice as large, then halved again where it is too large. */
    q = live(&e->fake);
    assert_true(path_has(q, "widgets?limit=250&continue=more"));
    answer(q, 413, NULL);
    q = live(&e->fake);
    assert_true(path_has(q, "widgets?limit=125&continue=more"));
    answer(q, 413, NULL);
    q = live(&e->fake);
    assert_true(path_has(q, "widgets?limit=62&continue=more"));
    answer_page(e, "a/two@2", "8", NULL);
    assert_true(reflector_synced(e->r));
    assert_int_equal(reflector_records(e->r)->n, 2);
    assert_int_equal(e->owner.listed, 1);
    assert_int_equal(metrics_get(e->m, M_WATCH_RELISTS), 1);
    assert_int_equal(metrics_get(e->m, M_WATCH_RESTARTS), 0);
    assert_true(live(&e->fake)->stream);
    /* 410 Gone: a new list, from the page that fitted (not 500 again, read and thrown away on
     * every node at every relist). */
    answer(live(&e->fake), 410, NULL);
    wait_new_request(e);
    q = live(&e->fake);
    assert_false(q->stream);
    assert_true(path_has(q, "widgets?limit=62&"));
    assert_int_equal(metrics_get(e->m, M_WATCH_RELISTS), 2);
    assert_int_equal(metrics_get(e->m, M_WATCH_RESTARTS), 1);
    /* A list with no page too large: the next starts twice as large, back to full pages. */
    answer_page(e, "a/two@2", "9", NULL);
    static const unsigned wants[] = {124, 248, 496, 500, 500};
    for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
        unsigned want = wants[i];
        /* Watches that ran (a bookmark) before they expired: each relist at once. */
        assert_int_equal(feed(e, "BOOKMARK", "a", "x", "10"), 0);
        answer(live(&e->fake), 410, NULL);
        wait_new_request(e);
        q = live(&e->fake);
        char lim[32];
        snprintf(lim, sizeof(lim), "widgets?limit=%u&", want);
        if (!path_has(q, lim))
            fail_msg("a relist after a list that fitted: want %s", lim);
        answer_page(e, "a/two@2", "10", NULL);
    }
}

/* A bookmark moves the version a watch resumes from, and applies nothing; a watch the server
 * ends (its timeout) resumes at once from the last version, without a list. */
static void test_bookmark_and_resume(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    answer_page(e, "a/one@1", "10", NULL);
    unsigned applies = e->owner.applies;
    assert_int_equal(feed(e, "BOOKMARK", "a", "x", "42"), 0);
    assert_int_equal(e->owner.applies, applies);
    size_t n = e->fake.n;
    answer(live(&e->fake), 200, NULL);
    assert_int_equal(e->fake.n, n + 1); /* no waiting */
    struct kube_req *q = live(&e->fake);
    assert_true(q->stream);
    assert_true(path_has(q, "resourceVersion=42"));
    assert_int_equal(e->owner.listed, 1);
}

/* 410 Gone in the watch: listed again from scratch, and what the new list no longer holds is
 * removed (deleted while the watch could not see it). */
static void test_410_relists(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    answer_page(e, "a/one@1 a/two@2", "10", NULL);
    struct kube_req *watch = live(&e->fake);
    assert_true(line(watch, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
                            "\"message\":\"too old resource version\"}}") < 0);
    /* The client ends the aborted stream. */
    answer(watch, 200, NULL);
    wait_new_request(e);
    struct kube_req *q = live(&e->fake);
    assert_false(q->stream);
    assert_false(path_has(q, "continue"));
    answer_page(e, "a/two@20 a/three@21", "30", NULL);
    assert_null(reflector_record(e->r, "a/one"));
    assert_string_equal(reflector_record(e->r, "a/two"), "20");
    assert_string_equal(reflector_record(e->r, "a/three"), "21");
    assert_int_equal(e->owner.removes, 1);
    assert_true(path_has(live(&e->fake), "resourceVersion=30"));
    /* The watch ending with HTTP 410 does the same. */
    answer(live(&e->fake), 410, NULL);
    wait_new_request(e);
    assert_false(live(&e->fake)->stream);
}

/* A 410 after failures (a watch answered 404 while a CRD was away, then 410 once it is back:
 * its history is new) lists again at once, not after the backoff the failures built up. */
static void test_410_after_failures_is_prompt(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    answer_page(e, "a/one@1", "10", NULL);
    for (int i = 0; i < 4; i++) {
        answer(live(&e->fake), 404, NULL);
        wait_new_request(e);
        assert_true(live(&e->fake)->stream); /* the watch again, from version 10 */
    }
    uint64_t t0 = now_ms();
    answer(live(&e->fake), 410, NULL);
    wait_new_request(e);
    uint64_t took = now_ms() - t0;
    if (took >= 1000)
        fail_msg("listed again after %llu ms", (unsigned long long)took);
    assert_false(live(&e->fake)->stream);
}

/* Failures back off and try again; the list that fails is not half-applied; an expired
 * continue token starts the list over. */
static void test_backoff(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    answer(live(&e->fake), 500, "{\"message\":\"etcd is sad\"}");
    assert_false(reflector_synced(e->r));
    wait_new_request(e);
    answer(live(&e->fake), 0, NULL); /* no answer at all */
    wait_new_request(e);
    answer(live(&e->fake), 200, "not json");
    wait_new_request(e);
    answer_page(e, "a/one@1", "5", "more");
    answer(live(&e->fake), 410, NULL); /* the continue token expired */
    wait_new_request(e);
    struct kube_req *q = live(&e->fake);
    assert_false(path_has(q, "continue"));
    answer_page(e, "a/one@1 a/two@2", "6", NULL);
    assert_true(reflector_synced(e->r));
    /* A request that cannot even start is retried too. */
    e->fake.fail_next = ENOMEM;
    answer(live(&e->fake), 503, NULL);
    wait_new_request(e);
    assert_true(live(&e->fake)->stream);
}

/* A line that is not a watch event restarts the watch from the last version it saw. */
static void test_bad_line(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    answer_page(e, "", "10", NULL);
    assert_int_equal(feed(e, "ADDED", "a", "one", "11"), 0);
    struct kube_req *watch = live(&e->fake);
    assert_true(line(watch, "{not json") < 0);
    answer(watch, 200, NULL);
    struct kube_req *q = live(&e->fake);
    assert_true(q->stream);
    assert_true(path_has(q, "resourceVersion=11"));
}

/* A 404 for an optional kind that holds nothing: the API server's /readyz decides. Not ready
 * (its routes may not be registered yet): listed again later. Ready: the kind is not served
 * (its CRD is not installed) and counts as listed, with nothing in it. A 404 while objects are
 * known removes nothing: objects leave through a deletion or a list that succeeds. */
static void test_not_served(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    answer(live(&e->fake), 404, NULL);
    struct kube_req *q = live(&e->fake);
    assert_string_equal(q->path, "/readyz");
    answer(q, 500, NULL);
    assert_false(reflector_synced(e->r));
    wait_new_request(e);
    answer(live(&e->fake), 404, NULL);
    answer(live(&e->fake), 200, "ok");
    assert_true(reflector_synced(e->r));
    assert_int_equal(e->owner.listed, 1);

    reflector_list(e->r); /* SIGHUP; the CRD is there now */
    answer_page(e, "a/one@1", "3", NULL);
    assert_int_equal(reflector_records(e->r)->n, 1);
    /* The watch ends; the list after it is answered 404: what is known stays, and the list
     * is tried again. */
    answer(live(&e->fake), 410, NULL);
    wait_new_request(e);
    answer(live(&e->fake), 404, NULL);
    assert_int_equal(reflector_records(e->r)->n, 1);
    wait_new_request(e);
    q = live(&e->fake);
    assert_false(q->stream);
    assert_true(path_has(q, "widgets?limit="));
    answer_page(e, "", "9", NULL); /* the kind is served and empty: now it goes */
    assert_int_equal(reflector_records(e->r)->n, 0);
    assert_string_equal(e->owner.log, "+a/one -a/one ");
    /* The CRD deleted while watched: the watch's 404 leads to a list (a watch would get 404 for
     * good), and the list's 404 to the API server's readiness: not installed. */
    q = live(&e->fake);
    assert_true(q->stream);
    answer(q, 404, NULL);
    wait_new_request(e);
    q = live(&e->fake);
    assert_false(q->stream);
    assert_true(path_has(q, "widgets?limit="));
    answer(q, 404, NULL);
    assert_string_equal(live(&e->fake)->path, "/readyz");
}

/* Listing again (SIGHUP) cancels the watch in flight and starts from the first page. */
static void test_relist_cancels(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    answer_page(e, "a/one@1", "5", NULL);
    assert_true(live(&e->fake)->stream);
    reflector_list(e->r);
    assert_int_equal(e->fake.cancels, 1);
    reflector_list(e->r); /* twice: the list in flight is cancelled in turn */
    assert_int_equal(e->fake.cancels, 2);
    struct kube_req *q = live(&e->fake);
    assert_false(q->stream);
    assert_false(path_has(q, "continue"));
}

/* A watch the server ends as soon as it started, with nothing in it, again and again (a server
 * going away, a proxy that closes streams): the first is followed at once, the next ones with
 * backoff, said in the log; a watch that delivered something ends the streak. */
static void test_quick_watch_ends_back_off(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    answer_page(e, "a/one@1", "10", NULL);
    size_t n = e->fake.n;
    answer(live(&e->fake), 200, NULL);
    assert_int_equal(e->fake.n, n + 1); /* the first: at once */
    for (int i = 0; i < 3; i++) {
        n = e->fake.n;
        uint64_t t0 = now_ms();
        answer(live(&e->fake), 200, NULL);
        assert_int_equal(e->fake.n, n); /* not at once */
        wait_new_request(e);
        uint64_t took = now_ms() - t0;
        if (took < (50u << i))
            fail_msg("quick end %d: watched again after %llu ms", i + 2, (unsigned long long)took);
        assert_true(live(&e->fake)->stream);
        assert_true(path_has(live(&e->fake), "resourceVersion=10"));
    }
    /* A watch that delivered something and then ended: at once again. */
    assert_int_equal(feed(e, "ADDED", "a", "two", "11"), 0);
    n = e->fake.n;
    answer(live(&e->fake), 200, NULL);
    assert_int_equal(e->fake.n, n + 1);
    assert_true(path_has(live(&e->fake), "resourceVersion=11"));
}

/* A watch answered 410 as soon as every list is in: the relists back off (a full list each
 * time) rather than following each other every 200 ms for good. */
static void test_quick_410_relists_back_off(void **state)
{
    struct env *e = *state;
    reflector_list(e->r);
    answer_page(e, "a/one@1", "10", NULL);
    uint64_t took[4];
    for (int i = 0; i < 4; i++) {
        uint64_t t0 = now_ms();
        answer(live(&e->fake), 410, NULL);
        wait_new_request(e);
        took[i] = now_ms() - t0;
        assert_false(live(&e->fake)->stream);
        answer_page(e, "a/one@1", "10", NULL);
    }
    if (took[0] >= 1000)
        fail_msg("the first 410: listed again after %llu ms", (unsigned long long)took[0]);
    if (took[3] < 700) /* backoff_jitter_ms(4, 200, ...): 800 to 1600 ms */
        fail_msg("the fourth 410 in a row: listed again after %llu ms",
                 (unsigned long long)took[3]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_then_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_too_large_is_one_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bookmark_and_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_410_relists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_410_after_failures_is_prompt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_served, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relist_cancels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quick_watch_ends_back_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quick_410_relists_back_off, setup, teardown),
    };
    return cmocka_run_group_tests_name("reflector", tests, NULL, NULL);
}
