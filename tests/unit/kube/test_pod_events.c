/* test_pod_events.c - reading the answer to the Event lookup of a restarted agent
 * (pod_events_find_posted): outside input that decides whether an Event is counted up and
 * which name goes into the PATCH's path. Only an Event this node posted (component kscmp,
 * source.host or reportingInstance the node) on the same pod with the same message counts;
 * a name that is not a DNS-1123 subdomain never reaches a path; malformed bodies and fields
 * of the wrong type mean "none" or an error, never a crash.
 *
 * Then the Events past a pod's budget (node/event_budget.h), through a fake transport
 * (kube/transport.h): they wait, go in order as tokens come, and are freed when dropped, when
 * their pod is forgotten and with pod_events (the leak check). The Makefile links this test
 * with now_ms() wrapped (__wrap_now_ms below): pod_events reads a clock the test moves on,
 * while the event loop keeps the real one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/evloop.h"
#include "base/metrics.h"
#include "kube/pod_events.h"
#include "node/event_budget.h"

#define UID "0b1c-uid"
#define MSG "no policy for kscmp/demo/web.json"

/* One Event as JSON, with its fields given as JSON text. */
#define EVENT(name, msg, uid, comp, host, inst, count)                                             \
    "{\"metadata\":{\"name\":" name "},\"message\":" msg ",\"involvedObject\":{\"uid\":" uid       \
    "},\"source\":{\"component\":" comp ",\"host\":" host "},\"reportingInstance\":" inst          \
    ",\"count\":" count "}"
#define GOOD(name)                                                                                 \
    EVENT("\"" name "\"", "\"" MSG "\"", "\"" UID "\"", "\"kscmp\"", "\"node-a\"", "\"node-a\"",   \
          "4")
/* An EventList of the items given as JSON text (joined with ","). */
#define LIST(items) "{\"kind\":\"EventList\",\"items\":[" items "]}"

static int find(const char *body, char **name, int64_t *count)
{
    struct kerr err = {0};
    *name = NULL;
    *count = -1;
    return pod_events_find_posted(body, strlen(body), UID, MSG, "node-a", name, count, &err);
}

static void test_finds_this_nodes_event(void **state)
{
    _cleanup_free_ char *name = NULL;
    int64_t count;
    assert_int_equal(find(LIST(GOOD("web.1")), &name, &count), 0);
    assert_string_equal(name, "web.1");
    assert_int_equal(count, 4);

    /* Found through reportingInstance alone, and among others. */
    free(name);
    name = NULL;
    assert_int_equal(
        find(LIST(EVENT("\"a.1\"", "\"other\"", "\"" UID "\"", "\"kscmp\"", "\"node-a\"",
                        "\"node-a\"", "1") "," EVENT("\"a.2\"", "\"" MSG "\"", "\"" UID "\"",
                                                     "\"kscmp\"", "null", "\"node-a\"", "7")),
             &name, &count),
        0);
    assert_string_equal(name, "a.2");
    assert_int_equal(count, 7);
}

/* Every field that must match, changed in turn, or of the wrong type: none found. */
static void test_others_do_not_count(void **state)
{
    static const char *const bodies[] = {
        LIST(""),
        "{\"items\":null}",
        "{\"items\":{}}",
        "{}",
        "[]",
        "\"items\"",
        LIST(EVENT("\"x.1\"", "\"another message\"", "\"" UID "\"", "\"kscmp\"", "\"node-a\"",
                   "\"node-a\"", "1")),
        LIST(EVENT("\"x.1\"", "\"" MSG "\"", "\"another-uid\"", "\"kscmp\"", "\"node-a\"",
                   "\"node-a\"", "1")),
        LIST(EVENT("\"x.1\"", "\"" MSG "\"", "\"" UID "\"", "\"kubelet\"", "\"node-a\"",
                   "\"node-a\"", "1")),
        LIST(EVENT("\"x.1\"", "\"" MSG "\"", "\"" UID "\"", "\"kscmp\"", "\"node-b\"", "\"node-b\"",
                   "1")),
        LIST(EVENT("\"x.1\"", "\"" MSG "\"", "\"" UID "\"", "\"kscmp\"", "null", "null", "1")),
        /* Wrong types. */
        LIST(
            EVENT("7", "\"" MSG "\"", "\"" UID "\"", "\"kscmp\"", "\"node-a\"", "\"node-a\"", "1")),
        LIST(EVENT("\"x.1\"", "[\"" MSG "\"]", "\"" UID "\"", "\"kscmp\"", "\"node-a\"",
                   "\"node-a\"", "1")),
        LIST(EVENT("\"x.1\"", "\"" MSG "\"", "{}", "\"kscmp\"", "\"node-a\"", "\"node-a\"", "1")),
        LIST(EVENT("\"x.1\"", "\"" MSG "\"", "\"" UID "\"", "true", "\"node-a\"", "\"node-a\"",
                   "1")),
        LIST("1,\"a\",null,[]"),
        "{\"items\":[{\"metadata\":\"web.1\"}]}",
        /* Names that must not go into a request path. */
        LIST(GOOD("../../pods/victim")),
        LIST(GOOD("web.1?dryRun=All")),
        LIST(GOOD("web/1")),
        LIST(GOOD("Web.1")),
        LIST(GOOD("")),
        LIST(GOOD("web%2F1")),
    };
    for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
        char *name;
        int64_t count;
        int r = find(bodies[i], &name, &count);
        if (r != -ENOENT)
            fail_msg("case %zu: %d, want -ENOENT (none): %s", i, r, bodies[i]);
        assert_null(name); /* out-parameters untouched */
        assert_int_equal(count, -1);
    }
}

/* A body that is not JSON, or is cut short: an error, nothing found. */
static void test_malformed_bodies(void **state)
{
    static const char *const bodies[] = {"", "{", "not json", "{\"items\":[",
                                         LIST(GOOD("web.1")) "trailing"};
    for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
        char *name;
        int64_t count;
        int r = find(bodies[i], &name, &count);
        if (r >= 0 || r == -ENOENT)
            fail_msg("case %zu: %d, want an error: %s", i, r, bodies[i]);
        assert_null(name);
    }
}

/* Counts that cannot be counted up as they are: 1 for none, below 2^31 - 1 at most. */
static void test_counts(void **state)
{
    static const struct {
        const char *count;
        int64_t want;
    } cases[] = {
        {"0", 1},
        {"-5", 1},
        {"null", 1},
        {"\"3\"", 1},
        {"2.5", 1},
        {"1", 1},
        {"2147483646", 2147483646},
        {"2147483647", 2147483646},
        {"9223372036854775807", 2147483646},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char body[1024];
        snprintf(body, sizeof(body),
                 LIST(EVENT("\"web.1\"", "\"" MSG "\"", "\"" UID "\"", "\"kscmp\"", "\"node-a\"",
                            "\"node-a\"", "%s")),
                 cases[i].count);
        _cleanup_free_ char *name = NULL;
        int64_t count;
        assert_int_equal(find(body, &name, &count), 0);
        if (count != cases[i].want)
            fail_msg("count %s: %lld, want %lld", cases[i].count, (long long)count,
                     (long long)cases[i].want);
    }
}

/* ---- the clock pod_events reads, and a fake transport ------------------------------------- */

/* How far the test has moved pod_events' clock past the real one. */
static uint64_t skew_ms;

uint64_t __real_now_ms(void);
uint64_t __wrap_now_ms(void);
uint64_t __wrap_now_ms(void)
{
    return __real_now_ms() + skew_ms;
}

struct kube_req {
    char *method, *path, *body;
    struct kube_req_ops ops;
    bool live; /* started, not answered */
};

struct fake {
    struct kube_req *reqs;
    size_t n;
};

static int fake_request(void *impl, const char *method, const char *path, const char *ctype,
                        const char *body, bool stream, const struct kube_req_ops *ops,
                        struct kube_req **ret)
{
    struct fake *f = impl;
    assert_false(stream);
    assert_null(ret); /* pod_events cancels nothing (and the array moves) */
    struct kube_req *v = realloc(f->reqs, (f->n + 1) * sizeof(*v));
    assert_non_null(v);
    f->reqs = v;
    struct kube_req *q = &f->reqs[f->n++];
    *q = (struct kube_req){strdup(method), strdup(path), body ? strdup(body) : NULL, *ops, true};
    return 0;
}

static void fake_clear(struct fake *f)
{
    for (size_t i = 0; i < f->n; i++) {
        assert_false(f->reqs[i].live);
        free(f->reqs[i].method);
        free(f->reqs[i].path);
        free(f->reqs[i].body);
    }
    free(f->reqs);
    *f = (struct fake){0};
}

/* Answers every request in flight, and those they start, as the API server would: no Event
 * posted before (an empty EventList), every POST created. */
static void drain(struct fake *f)
{
    for (size_t i = 0; i < f->n; i++) {
        if (!f->reqs[i].live)
            continue;
        f->reqs[i].live = false;
        bool get = strcmp(f->reqs[i].method, "GET") == 0;
        const char *body = get ? "{\"kind\":\"EventList\",\"items\":[]}" : "{}";
        struct kube_req_ops ops = f->reqs[i].ops; /* the array may move in done() */
        ops.done(get ? 200 : 201, body, strlen(body), NULL, ops.userdata);
    }
}

/* The messages of the POSTs from request from on, joined with " ". */
static char *posted(const struct fake *f, size_t from)
{
    char *s = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&s, &len);
    assert_non_null(m);
    bool first = true;
    for (size_t i = from; i < f->n; i++) {
        if (strcmp(f->reqs[i].method, "POST") != 0)
            continue;
        json_t *ev = json_loads(f->reqs[i].body, 0, NULL);
        assert_non_null(ev);
        fprintf(m, "%s%s", first ? "" : " ", json_string_value(json_object_get(ev, "message")));
        json_decref(ev);
        first = false;
    }
    assert_int_equal(fclose(m), 0);
    return s;
}

static size_t count_method(const struct fake *f, size_t from, const char *method)
{
    size_t n = 0;
    for (size_t i = from; i < f->n; i++)
        n += strcmp(f->reqs[i].method, method) == 0;
    return n;
}

static void on_quit(struct evtimer *t, void *userdata)
{
    evloop_quit(userdata, 0);
}

/* Runs the loop for ms (real time): the budget's timer fires when it is due. */
static void run_for(struct evloop *l, uint64_t ms)
{
    _cleanup_(evtimer_freep) struct evtimer *t = NULL;
    assert_int_equal(evtimer_new(l, on_quit, l, &t), 0);
    evtimer_arm(t, ms);
    evloop_run(l);
}

/* Posts "mNN" for NN in [from, to) on pod with stderr closed (a log line each): how many
 * posts failed. */
static int post_quietly(struct pod_events *pe, const struct pod *pod, int from, int to)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);
    assert_true(saved >= 0 && null >= 0);
    dup2(null, STDERR_FILENO);
    close(null);
    int failed = 0;
    for (int i = from; i < to; i++) {
        char msg[16];
        snprintf(msg, sizeof(msg), "m%02d", i);
        failed += pod_events_post(pe, pod, "ProfileRefused", msg) != 0;
    }
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    return failed;
}

struct events_fixture {
    struct fake f;
    struct kube_transport t;
    struct evloop *l;
    struct metrics *m;
    struct pod_events *pe;
};

static void events_setup(struct events_fixture *x)
{
    *x = (struct events_fixture){.t = {.request = fake_request}};
    x->t.impl = &x->f;
    skew_ms = 0;
    assert_int_equal(evloop_new(&x->l), 0);
    assert_int_equal(metrics_new(&x->m), 0);
    assert_int_equal(pod_events_new(&x->t, x->l, x->m, "node-a", &x->pe), 0);
}

static void events_teardown(struct events_fixture *x)
{
    drain(&x->f);
    pod_events_free(x->pe); /* with the Events still waiting */
    fake_clear(&x->f);
    metrics_free(x->m);
    evloop_free(x->l);
    skew_ms = 0;
}

/* A pod with a uid: its first EVENT_BURST Events are looked up (an agent restarted bumps what
 * it posted before) and posted at once, the rest wait, told once meanwhile; as tokens come
 * they go in order; the pod forgotten, what still waits goes with it. */
static void test_waiting_events_go_in_order(void **state)
{
    struct events_fixture x;
    events_setup(&x);
    struct pod pod = {.ns = "demo", .name = "many", .uid = "u-many"};
    assert_int_equal(post_quietly(x.pe, &pod, 0, 30), 0);
    assert_int_equal(x.f.n, EVENT_BURST);
    assert_int_equal(count_method(&x.f, 0, "GET"), EVENT_BURST);
    assert_non_null(strstr(x.f.reqs[0].path, "/api/v1/namespaces/demo/events?fieldSelector="));
    assert_int_equal(metrics_get(x.m, M_EVENTS_DEFERRED), 30 - EVENT_BURST);
    drain(&x.f);
    _cleanup_free_ char *first = posted(&x.f, 0);
    assert_string_equal(first, "m00 m01 m02 m03 m04 m05 m06 m07 m08 m09 m10 m11 m12 m13 m14 "
                               "m15 m16 m17 m18 m19 m20 m21 m22 m23 m24");
    assert_int_equal(metrics_get(x.m, M_EVENTS_SENT), EVENT_BURST);

    /* One that waits is told already: not kept twice. */
    size_t n0 = x.f.n;
    assert_int_equal(post_quietly(x.pe, &pod, 27, 28), 0);
    assert_int_equal(x.f.n, n0);
    assert_int_equal(metrics_get(x.m, M_EVENTS_DEFERRED), 30 - EVENT_BURST);

    /* Five minutes on: five tokens. One more Event waits behind the five (and arms the timer
     * on the moved clock); the five go, in order, each looked up first. */
    skew_ms += 5 * EVENT_REFILL_MS;
    assert_int_equal(post_quietly(x.pe, &pod, 30, 31), 0);
    assert_int_equal(metrics_get(x.m, M_EVENTS_DEFERRED), 31 - EVENT_BURST);
    run_for(x.l, 100);
    assert_int_equal(count_method(&x.f, n0, "GET"), 5);
    drain(&x.f);
    _cleanup_free_ char *later = posted(&x.f, n0);
    assert_string_equal(later, "m25 m26 m27 m28 m29");

    /* The pod forgotten: m30, still waiting, is freed and no longer told; the same Event on a
     * pod of that uid again is posted anew (a new budget). */
    pod_events_forget(x.pe, pod.uid);
    skew_ms += 10 * EVENT_REFILL_MS;
    run_for(x.l, 50);
    size_t n1 = x.f.n;
    assert_int_equal(post_quietly(x.pe, &pod, 30, 31), 0);
    assert_int_equal(count_method(&x.f, n1, "GET"), 1);
    drain(&x.f);
    _cleanup_free_ char *again = posted(&x.f, n1);
    assert_string_equal(again, "m30");
    events_teardown(&x);
}

/* A pod without a uid (not looked up: posted at once), and one with more waiting than
 * EVENT_PENDING_MAX: the Event past it is dropped (freed, counted) and not told, so the same
 * one made again is dropped again; pod_events_free() frees those that wait. */
static void test_waiting_events_dropped_and_freed(void **state)
{
    struct events_fixture x;
    events_setup(&x);
    struct pod nouid = {.ns = "demo", .name = "nouid"};
    assert_int_equal(post_quietly(x.pe, &nouid, 0, EVENT_BURST + 2), 0);
    assert_int_equal(x.f.n, EVENT_BURST);
    assert_int_equal(count_method(&x.f, 0, "POST"), EVENT_BURST);
    skew_ms += EVENT_REFILL_MS;
    assert_int_equal(post_quietly(x.pe, &nouid, EVENT_BURST + 2, EVENT_BURST + 3), 0);
    run_for(x.l, 100);
    assert_int_equal(x.f.n, EVENT_BURST + 1);
    drain(&x.f);
    _cleanup_free_ char *one = posted(&x.f, EVENT_BURST);
    assert_string_equal(one, "m25");

    struct pod crowd = {.ns = "demo", .name = "crowd", .uid = "u-crowd"};
    size_t n0 = x.f.n;
    uint64_t deferred = metrics_get(x.m, M_EVENTS_DEFERRED);
    assert_int_equal(post_quietly(x.pe, &crowd, 0, EVENT_BURST + EVENT_PENDING_MAX + 1), 0);
    assert_int_equal(x.f.n - n0, EVENT_BURST);
    assert_int_equal(metrics_get(x.m, M_EVENTS_DEFERRED) - deferred, EVENT_PENDING_MAX);
    assert_int_equal(metrics_get(x.m, M_EVENTS_DROPPED), 1);
    assert_int_equal(post_quietly(x.pe, &crowd, EVENT_BURST + EVENT_PENDING_MAX,
                                  EVENT_BURST + EVENT_PENDING_MAX + 1),
                     0);
    assert_int_equal(metrics_get(x.m, M_EVENTS_DROPPED), 2);
    events_teardown(&x);
}

/* Says that "m26" and "m28" are no longer owed, and cannot tell for "m29". */
static int owed_but_two(const char *ns, const char *name, const char *reason, const char *message,
                        void *userdata)
{
    int *asked = userdata;
    (*asked)++;
    assert_string_equal(ns, "demo");
    assert_string_equal(name, "many");
    assert_string_equal(reason, "ProfileRefused");
    if (strcmp(message, "m29") == 0)
        return -ENOMEM;
    return strcmp(message, "m26") != 0 && strcmp(message, "m28") != 0;
}

/* An Event whose cause ended while it waited for its pod's budget is withdrawn: not posted,
 * counted, its token given back (the next one goes in its place), and no longer told (made
 * again later, it is posted); one the callback cannot tell about goes. Events posted at once
 * are not asked about. */
static void test_waiting_events_withdrawn(void **state)
{
    struct events_fixture x;
    events_setup(&x);
    int asked = 0;
    pod_events_set_owed(x.pe, owed_but_two, &asked);
    struct pod pod = {.ns = "demo", .name = "many", .uid = "u-many"};
    assert_int_equal(post_quietly(x.pe, &pod, 0, 31), 0);
    drain(&x.f);
    assert_int_equal(asked, 0);
    size_t n0 = x.f.n;
    /* Three minutes on: three tokens (m31, posted then, waits and arms the timer on the moved
     * clock). m25, m27 and m29 go; m26 and m28 are withdrawn and give theirs back. */
    skew_ms += 3 * EVENT_REFILL_MS;
    assert_int_equal(post_quietly(x.pe, &pod, 31, 32), 0);
    run_for(x.l, 100);
    drain(&x.f);
    _cleanup_free_ char *later = posted(&x.f, n0);
    assert_string_equal(later, "m25 m27 m29");
    assert_int_equal(asked, 5);
    assert_int_equal(metrics_get(x.m, M_EVENTS_WITHDRAWN), 2);
    /* m26 made again is a new Event (not told): it waits behind m30 and m31, and goes. */
    size_t n1 = x.f.n;
    skew_ms += 3 * EVENT_REFILL_MS;
    pod_events_set_owed(x.pe, NULL, NULL);
    assert_int_equal(post_quietly(x.pe, &pod, 26, 27), 0);
    assert_int_equal(metrics_get(x.m, M_EVENTS_DEFERRED), 32 - EVENT_BURST + 1);
    run_for(x.l, 100);
    drain(&x.f);
    _cleanup_free_ char *again = posted(&x.f, n1);
    assert_string_equal(again, "m30 m31 m26");
    events_teardown(&x);
}

static int never_owed(const char *ns, const char *name, const char *reason, const char *message,
                      void *userdata)
{
    (*(int *)userdata)++;
    return 0;
}

/* Sixty waiting Events whose causes all ended: a run of the timer asks about a bounded number
 * (each question may compile a profile), and the next runs go on until none waits. */
static void test_withdrawals_go_on_past_a_run(void **state)
{
    struct events_fixture x;
    events_setup(&x);
    int asked = 0;
    pod_events_set_owed(x.pe, never_owed, &asked);
    struct pod pod = {.ns = "demo", .name = "many", .uid = "u-many"};
    assert_int_equal(post_quietly(x.pe, &pod, 0, EVENT_BURST + 60), 0);
    drain(&x.f);
    size_t n0 = x.f.n;
    skew_ms += EVENT_REFILL_MS;
    assert_int_equal(post_quietly(x.pe, &pod, 90, 91), 0); /* arms the timer on the moved clock */
    run_for(x.l, 200);
    assert_int_equal(asked, 61);
    assert_int_equal(metrics_get(x.m, M_EVENTS_WITHDRAWN), 61);
    assert_int_equal(x.f.n, n0);
    events_teardown(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_this_nodes_event),
        cmocka_unit_test(test_others_do_not_count),
        cmocka_unit_test(test_malformed_bodies),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_waiting_events_go_in_order),
        cmocka_unit_test(test_waiting_events_dropped_and_freed),
        cmocka_unit_test(test_waiting_events_withdrawn),
        cmocka_unit_test(test_withdrawals_go_on_past_a_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
