/* test_stale_pods.c - which containers run under an older version of their profile
 * (kube/stale_pods.h): the decision against a version's date, with whole-second start times
 * (the same second counts, fail safe), by content where the store's history of the file
 * reaches (a file written again with the bytes a container started under is no change), and
 * the ProfileStale message and names: every stale container of that file, sorted, none of
 * another file.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "kube/stale_pods.h"

/* 2026-12-01T13:12:50Z */
#define T 1796130770

static void test_staleness_of(void **state)
{
    static const struct {
        int64_t started;
        struct timespec changed;
        enum staleness want;
    } cases[] = {
        {0, {T, 0}, STALE_NOT},                 /* not running */
        {-5, {T, 0}, STALE_NOT},                /* unreadable start time */
        {T + 1, {T, 500000000}, STALE_NOT},     /* the next second: after the change */
        {T + 1, {T, 999999999}, STALE_NOT},     /* a first version: dated the second before */
        {T, {T, 0}, STALE_SAME_SECOND},         /* the same second: either version */
        {T, {T, 999999999}, STALE_SAME_SECOND}, /* the same second, late in it */
        {T, {T, 1}, STALE_SAME_SECOND},         /* the same second, early in it */
        {T - 1, {T, 0}, STALE_BEFORE},          /* the second before */
        {T - 3600, {T, 123}, STALE_BEFORE},     /* an hour before */
        {T + 3600, {T, 123}, STALE_NOT},        /* an hour after */
        {1, {1, 0}, STALE_SAME_SECOND},         /* the epoch's first second */
        {INT64_MAX, {T, 0}, STALE_NOT},         /* far future */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum staleness got = staleness_of(cases[i].started, cases[i].changed);
        if (got != cases[i].want)
            fail_msg("case %zu: started %lld, changed %lld.%09ld: %d, want %d", i,
                     (long long)cases[i].started, (long long)cases[i].changed.tv_sec,
                     cases[i].changed.tv_nsec, got, cases[i].want);
    }
}

/* Versions of a file (store_versions()): bytes 'A', 'B' (their digest's first byte; 'a', 'b':
 * the same found on disk, not written by the store), a removal ('-') or someone else's bytes
 * ('?'), dated sec .nsec. */
struct ver {
    char what;
    int64_t sec;
    long nsec;
};

static size_t versions(const struct ver *w, struct store_version *v)
{
    size_t n = 0;
    for (; w[n].what; n++) {
        v[n] = (struct store_version){.date = {w[n].sec, w[n].nsec}};
        v[n].kind = w[n].what == '-'   ? STORE_VERSION_ABSENT
                    : w[n].what == '?' ? STORE_VERSION_UNKNOWN
                                       : STORE_VERSION_BYTES;
        v[n].found = (w[n].what >= 'a' && w[n].what <= 'z') || w[n].what == '?';
        v[n].digest.b[0] = (uint8_t)toupper((unsigned char)w[n].what);
    }
    return n;
}

/* A T-1 (a first version, dated the second before it was written at T) ... */
#define FIRST(what, at)                                                                            \
    {                                                                                              \
        what, (at)-1, 999999999                                                                    \
    }

/* Staleness by content (trial ROUGH 11): what a container started under against the bytes on
 * disk now, whatever the dates; by date where the history does not reach. */
static void test_staleness_by_content(void **state)
{
    static const struct {
        const char *what;
        struct ver v[STORE_VERSIONS_MAX + 1];
        int64_t started;
        enum staleness want;
    } cases[] = {
        /* ROUGH 11: A written at T-100, removed at T-50 (NoPolicy), written again at T with
         * the same bytes: containers that started under A are not stale. */
        {"removed, same bytes again",
         {FIRST('A', T - 100), {'-', T - 50, 7}, FIRST('A', T)},
         T - 80,
         STALE_NOT},
        {"removed, same bytes again, start in the first's second",
         {FIRST('A', T - 100), {'-', T - 50, 7}, FIRST('A', T)},
         T - 101,
         STALE_SAME_SECOND},
        {"removed, same bytes again, start in the removal's second",
         {FIRST('A', T - 100), {'-', T - 50, 7}, FIRST('A', T)},
         T - 50,
         STALE_NOT},
        {"removed, same bytes again, start after",
         {FIRST('A', T - 100), {'-', T - 50, 7}, FIRST('A', T)},
         T + 5,
         STALE_NOT},
        {"removed, other bytes",
         {FIRST('A', T - 100), {'-', T - 50, 7}, FIRST('B', T)},
         T - 80,
         STALE_BEFORE},
        /* Changed, then changed back: under A not stale, under B stale. */
        {"A B A, under A", {FIRST('A', T - 100), {'B', T - 50, 5}, {'A', T, 5}}, T - 80, STALE_NOT},
        {"A B A, under B",
         {FIRST('A', T - 100), {'B', T - 50, 5}, {'A', T, 5}},
         T - 20,
         STALE_BEFORE},
        {"A B A, A then B in its second",
         {FIRST('A', T - 100), {'B', T - 50, 5}, {'A', T, 5}},
         T - 50,
         STALE_SAME_SECOND},
        {"A B A, B then A in its second",
         {FIRST('A', T - 100), {'B', T - 50, 5}, {'A', T, 5}},
         T,
         STALE_SAME_SECOND},
        {"A B A, after", {FIRST('A', T - 100), {'B', T - 50, 5}, {'A', T, 5}}, T + 1, STALE_NOT},
        /* Someone else's bytes in between: stale, fail safe. */
        {"A ? A", {FIRST('A', T - 100), {'?', T - 50, 5}, {'A', T, 5}}, T - 20, STALE_BEFORE},
        /* A found again on disk: someone else's bytes may have been there between (not seen),
         * so a container that started under the first A may have read them. */
        {"A, a found later", {FIRST('A', T - 100), {'a', T, 5}}, T - 20, STALE_SAME_SECOND},
        {"A, a found later, started after it",
         {FIRST('A', T - 100), {'a', T, 5}},
         T + 1,
         STALE_NOT},
        /* An ordinary change: as by date. */
        {"A B, under A", {FIRST('A', T - 100), {'B', T, 5}}, T - 20, STALE_BEFORE},
        {"A B, same second", {FIRST('A', T - 100), {'B', T, 5}}, T, STALE_SAME_SECOND},
        {"A B, under B", {FIRST('A', T - 100), {'B', T, 5}}, T + 1, STALE_NOT},
        /* Before the history: by date (the version before the first known may differ). */
        {"A found at T-100, started before",
         {{'A', T - 100, 5}, {'-', T - 50, 7}, FIRST('A', T)},
         T - 200,
         STALE_BEFORE},
        {"A found at T-100, started in its second",
         {{'A', T - 100, 5}, {'-', T - 50, 7}, FIRST('A', T)},
         T - 100,
         STALE_SAME_SECOND},
        {"A found at T-100, started after",
         {{'A', T - 100, 5}, {'-', T - 50, 7}, FIRST('A', T)},
         T - 99,
         STALE_NOT},
        /* A history that does not end at the file's date (changed from outside since): by date. */
        {"history not of the file now",
         {FIRST('A', T - 100), {'-', T - 50, 7}, {'A', T - 10, 0}},
         T - 80,
         STALE_BEFORE},
        {"history ending in a removal",
         {FIRST('A', T - 100), {'-', T, 999999999}},
         T - 80,
         STALE_BEFORE},
        /* Only while there was no file: not a start the kubelet allows; fail safe. */
        {"started while removed",
         {FIRST('A', T - 100), {'-', T - 50, 7}, FIRST('A', T)},
         T - 30,
         STALE_BEFORE},
        {"not running", {FIRST('A', T - 100), {'B', T, 5}}, 0, STALE_NOT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct store_version v[STORE_VERSIONS_MAX];
        size_t n = versions(cases[i].v, v);
        /* The file's date: its last version's, but where the history is not of it. */
        struct timespec changed = v[n - 1].date;
        if (strcmp(cases[i].what, "history not of the file now") == 0)
            changed = (struct timespec){T, 5};
        enum staleness got = staleness_by_content(cases[i].started, changed, v, n);
        if (got != cases[i].want)
            fail_msg("%s: started %lld: %d, want %d", cases[i].what,
                     (long long)(cases[i].started - T), got, cases[i].want);
    }
    /* No history: by date. */
    assert_int_equal(staleness_by_content(T - 1, (struct timespec){T, 0}, NULL, 0), STALE_BEFORE);
    assert_int_equal(staleness_by_content(T + 1, (struct timespec){T, 0}, NULL, 0), STALE_NOT);
}

/* A pod of n containers: names[i] runs under refs[i] since started[i]. */
static struct pod *make_pod(size_t n, const char *const *names, const int *refs,
                            const int64_t *started)
{
    struct pod *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    p->ns = strdup("shop");
    p->name = strdup("web-1");
    p->containers = calloc(n ? n : 1, sizeof(*p->containers));
    assert_non_null(p->containers);
    for (size_t i = 0; i < n; i++) {
        p->containers[i].name = strdup(names[i]);
        p->containers[i].ref = refs[i];
        p->containers[i].started_at = started[i];
    }
    p->ncontainers = n;
    return p;
}

static void describe(const struct pod *p, int ref, struct timespec changed, char **msg,
                     char **names)
{
    assert_int_equal(stale_pods_describe(p, ref, "shop/web.json", changed, NULL, 0, msg, names), 0);
}

static void test_describe_names_every_container(void **state)
{
    /* Listed out of order; "side" uses another file; "idle" is not running; "new" started
     * after the change; "same" in its second. */
    static const char *const names[] = {"zeta", "side", "main", "idle", "new", "same", "alpha"};
    static const int refs[] = {0, 1, 0, 0, 0, 0, 0};
    static const int64_t started[] = {T - 10, T - 10, T - 1, 0, T + 1, T, T - 3600};
    _cleanup_(pod_freep) struct pod *p = make_pod(7, names, refs, started);
    _cleanup_free_ char *msg = NULL, *list = NULL;
    describe(p, 0, (struct timespec){T, 400000000}, &msg, &list);
    assert_string_equal(list, "alpha,main,same,zeta");
    assert_string_equal(msg, "containers alpha, main and zeta started before kscmp/shop/web.json "
                             "last changed (2026-12-01T13:12:50Z), and same in that same second "
                             "(start times have whole seconds, so it may have read either "
                             "version): they run under the older profile until they restart");

    /* The other file: only "side". */
    _cleanup_free_ char *msg2 = NULL, *list2 = NULL;
    describe(p, 1, (struct timespec){T, 0}, &msg2, &list2);
    assert_string_equal(list2, "side");
    assert_string_equal(msg2, "container side started before kscmp/shop/web.json last changed "
                              "(2026-12-01T13:12:50Z): it runs under the older profile until it "
                              "restarts");

    /* A version of the next second: "new" is in its second, the rest before. */
    _cleanup_free_ char *msg3 = NULL, *list3 = NULL;
    describe(p, 0, (struct timespec){T + 1, 0}, &msg3, &list3);
    assert_string_equal(list3, "alpha,main,new,same,zeta");
    assert_non_null(strstr(msg3, "containers alpha, main, same and zeta started before"));
    assert_non_null(strstr(msg3, "and new in that same second"));
}

static void test_describe_same_second_only(void **state)
{
    static const char *const names[] = {"b", "a"};
    static const int refs[] = {0, 0};
    static const int64_t started[] = {T, T};
    _cleanup_(pod_freep) struct pod *p = make_pod(2, names, refs, started);
    _cleanup_free_ char *msg = NULL, *list = NULL;
    describe(p, 0, (struct timespec){T, 999999998}, &msg, &list);
    assert_string_equal(list, "a,b");
    assert_string_equal(msg, "containers a and b started in the same second as "
                             "kscmp/shop/web.json last changed (2026-12-01T13:12:50Z): start "
                             "times have whole seconds, so they may run under the older profile "
                             "until they restart");
    /* The old kubectl kscmp read "kscmp/REL last changed (WHEN)" from the message: kept. */
    assert_non_null(strstr(msg, " kscmp/shop/web.json last changed (2026-12-01T13:12:50Z)"));
}

static void test_describe_nothing_stale(void **state)
{
    static const char *const names[] = {"a", "b", "c"};
    static const int refs[] = {0, -1, 0};
    static const int64_t started[] = {T + 1, T - 100, 0};
    _cleanup_(pod_freep) struct pod *p = make_pod(3, names, refs, started);
    char *msg = (char *)"untouched", *list = (char *)"untouched";
    describe(p, 0, (struct timespec){T, 0}, &msg, &list);
    assert_null(msg);
    assert_null(list);
    /* A first version written in second T is dated T-1 .999999999: "a" started with it. */
    describe(p, 0, (struct timespec){T, 999999999}, &msg, &list);
    assert_null(msg);
    _cleanup_(pod_freep) struct pod *empty = make_pod(0, NULL, NULL, NULL);
    describe(empty, 0, (struct timespec){T, 0}, &msg, &list);
    assert_null(msg);
}

/* Trial ROUGH 11 end to end of the message: the policy removed (NoPolicy, the file removed)
 * and made again identical; the file is written again with the same bytes: no Event for the
 * containers that started under them, one for those that started under other bytes. */
static void test_describe_same_bytes_again(void **state)
{
    static const char *const names[] = {"app", "sidecar", "late"};
    static const int refs[] = {0, 0, 0};
    static const int64_t started[] = {T - 80, T - 101, T + 3};
    static const struct ver same[] = {FIRST('A', T - 100), {'-', T - 50, 7}, FIRST('A', T), {0}};
    static const struct ver other[] = {FIRST('A', T - 100), {'-', T - 50, 7}, FIRST('B', T), {0}};
    _cleanup_(pod_freep) struct pod *p = make_pod(3, names, refs, started);
    struct store_version v[STORE_VERSIONS_MAX];
    size_t n = versions(same, v);
    _cleanup_free_ char *msg = NULL, *list = NULL;
    assert_int_equal(stale_pods_describe(p, 0, "shop/web.json", v[n - 1].date, v, n, &msg, &list),
                     0);
    /* "sidecar" started in the second of the first version known: the one before may differ. */
    assert_string_equal(list, "sidecar");
    assert_non_null(strstr(msg, "container sidecar started in the same second as"));
    free(TAKE_PTR(msg));
    free(TAKE_PTR(list));
    n = versions(other, v);
    assert_int_equal(stale_pods_describe(p, 0, "shop/web.json", v[n - 1].date, v, n, &msg, &list),
                     0);
    assert_string_equal(list, "app,sidecar");
}

/* Many stale containers: the message spells out ten of each group and counts the rest; the
 * annotation lists them all up to STALE_NAMES_MAX, and none above. */
static void test_describe_many(void **state)
{
    for (size_t n = 11; n <= STALE_NAMES_MAX + 1; n += STALE_NAMES_MAX - 10) {
        char **names = calloc(n, sizeof(*names));
        int *refs = calloc(n, sizeof(*refs));
        int64_t *started = calloc(n, sizeof(*started));
        assert_true(names && refs && started);
        for (size_t i = 0; i < n; i++) {
            assert_true(asprintf(&names[i], "c%04zu", i) > 0);
            started[i] = T - 1;
        }
        _cleanup_(pod_freep) struct pod *p = make_pod(n, (const char *const *)names, refs, started);
        _cleanup_free_ char *msg = NULL, *list = NULL;
        describe(p, 0, (struct timespec){T, 0}, &msg, &list);
        char want[64];
        snprintf(want, sizeof(want), "c0008, c0009 and %zu more started before", n - 10);
        if (!strstr(msg, want))
            fail_msg("%zu containers: %s", n, msg);
        if (n <= STALE_NAMES_MAX) {
            assert_int_equal(strlen(list), n * 6 - 1);
            assert_true(strncmp(list, "c0000,c0001,", 12) == 0);
        } else {
            assert_string_equal(list, "");
        }
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        free(refs);
        free(started);
    }
}

/* Reads a JSON text, the Event under test. */
static json_t *event(const char *text)
{
    json_error_t e;
    json_t *ev = json_loads(text, JSON_DECODE_ANY, &e);
    if (!ev)
        fail_msg("bad test JSON: %s: %s", e.text, text);
    return ev;
}

static json_t *facts_of(const char *text)
{
    json_t *ev = event(text);
    json_t *f = stale_event_facts(ev);
    json_decref(ev);
    return f;
}

#define NOTES(file, changed, names)                                                                \
    "{\"reason\":\"ProfileStale\",\"message\":\"whatever\",\"metadata\":{\"annotations\":{"        \
    "\"kscmp.io/profile\":\"" file "\",\"kscmp.io/profile-changed\":\"" changed "\"" names "}}}"

/* The annotations an agent writes, read back; a container is stale while it is named and has
 * not started after the change. */
static void test_event_facts_annotations(void **state)
{
    json_t *f = facts_of(NOTES("kscmp/shop/web.json", "2026-12-01T13:12:50Z",
                               ",\"kscmp.io/stale-containers\":\"a,b\""));
    assert_non_null(f);
    char *dump = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(dump, "{\"changed\":\"2026-12-01T13:12:50Z\",\"containers\":[\"a\",\"b\"],"
                              "\"file\":\"kscmp/shop/web.json\"}");
    free(dump);
    assert_true(stale_facts_hold(f, "shop/web.json", "a", T));
    assert_true(stale_facts_hold(f, "shop/web.json", "b", T - 100));
    assert_false(stale_facts_hold(f, "shop/web.json", "a", T + 1)); /* restarted since */
    assert_false(stale_facts_hold(f, "shop/web.json", "c", T));     /* not named */
    assert_false(stale_facts_hold(f, "shop/other.json", "a", T));   /* another file */
    assert_false(stale_facts_hold(f, "shop/web.json", "a", 0));     /* not running */
    json_decref(f);

    /* No names (over the cap): any container on the file. */
    f = facts_of(NOTES("kscmp/shop/web.json", "2026-12-01T13:12:50Z", ""));
    assert_true(json_is_null(json_object_get(f, "containers")));
    assert_true(stale_facts_hold(f, "shop/web.json", "anyone", T));
    assert_false(stale_facts_hold(f, "shop/web.json", "anyone", T + 1));
    json_decref(f);
    assert_false(stale_facts_hold(NULL, "shop/web.json", "a", T));
}

/* Events of agents before the annotations: the file and the time from the message. */
static void test_event_facts_message(void **state)
{
    json_t *f =
        facts_of("{\"reason\":\"ProfileStale\",\"message\":\"container main started before "
                 "kscmp/shop/web.json last changed (2026-12-01T13:12:50Z): it runs under the "
                 "older profile until it restarts\"}");
    assert_string_equal(json_string_value(json_object_get(f, "file")), "kscmp/shop/web.json");
    assert_string_equal(json_string_value(json_object_get(f, "changed")), "2026-12-01T13:12:50Z");
    assert_true(stale_facts_hold(f, "shop/web.json", "side", T));
    assert_false(stale_facts_hold(f, "shop/web.json", "side", T + 1));
    json_decref(f);
    /* No time in the message: the Event's. */
    f = facts_of("{\"reason\":\"ProfileStale\",\"lastTimestamp\":\"2026-12-01T13:12:51Z\","
                 "\"message\":\"x kscmp/shop/web.json last changed (soon)\"}");
    assert_string_equal(json_string_value(json_object_get(f, "changed")), "2026-12-01T13:12:51Z");
    assert_true(stale_facts_hold(f, "shop/web.json", "main", T + 1));
    json_decref(f);
}

/* Anything else is no ProfileStale fact, never a crash; odd annotations are read with care. */
static void test_event_facts_malformed(void **state)
{
    static const char *const none[] = {
        "{}",
        "[]",
        "\"ProfileStale\"",
        "{\"reason\":\"NoPolicy\",\"message\":\"x kscmp/a/b.json last changed "
        "(2026-12-01T13:12:50Z)\"}",
        "{\"reason\":7}",
        "{\"reason\":\"ProfileStale\"}",
        "{\"reason\":\"ProfileStale\",\"message\":\"nothing of a file\"}",
        "{\"reason\":\"ProfileStale\",\"message\":\" kscmp/a/b.json\"}",
        "{\"reason\":\"ProfileStale\",\"message\":\"\"}",
        "{\"reason\":\"ProfileStale\",\"message\":[1]}",
        "{\"reason\":\"ProfileStale\",\"metadata\":{\"annotations\":{\"kscmp.io/profile\":5}}}",
        "{\"reason\":\"ProfileStale\",\"metadata\":{\"annotations\":[]}}",
        "{\"reason\":\"ProfileStale\",\"metadata\":7}",
    };
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        json_t *f = facts_of(none[i]);
        if (f)
            fail_msg("facts from %s", none[i]);
    }
    /* Empty names between commas are skipped; a name list of commas names nobody (so nothing
     * is stale by name). */
    json_t *f = facts_of(NOTES("kscmp/a/b.json", "2026-12-01T13:12:50Z",
                               ",\"kscmp.io/stale-containers\":\",,a,,\""));
    assert_int_equal(json_array_size(json_object_get(f, "containers")), 1);
    json_decref(f);
    f = facts_of(
        NOTES("kscmp/a/b.json", "2026-12-01T13:12:50Z", ",\"kscmp.io/stale-containers\":\",,,\""));
    assert_int_equal(json_array_size(json_object_get(f, "containers")), 0);
    assert_false(stale_facts_hold(f, "a/b.json", "a", T));
    json_decref(f);
    /* An unreadable change time: any start counts (fail safe); a file outside kscmp/ none. */
    f = facts_of(NOTES("kscmp/a/b.json", "yesterday", ""));
    assert_true(stale_facts_hold(f, "a/b.json", "a", T + 3600));
    json_decref(f);
    f = facts_of(NOTES("other/a/b.json", "2026-12-01T13:12:50Z", ""));
    assert_false(stale_facts_hold(f, "a/b.json", "a", T));
    json_decref(f);
    /* A changed annotation that is not a string, or missing. */
    f = facts_of("{\"reason\":\"ProfileStale\",\"metadata\":{\"annotations\":{\"kscmp.io/profile\":"
                 "\"kscmp/a/b.json\",\"kscmp.io/profile-changed\":1}}}");
    assert_string_equal(json_string_value(json_object_get(f, "changed")), "");
    json_decref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_staleness_of),
        cmocka_unit_test(test_staleness_by_content),
        cmocka_unit_test(test_describe_same_bytes_again),
        cmocka_unit_test(test_describe_names_every_container),
        cmocka_unit_test(test_describe_same_second_only),
        cmocka_unit_test(test_describe_nothing_stale),
        cmocka_unit_test(test_describe_many),
        cmocka_unit_test(test_event_facts_annotations),
        cmocka_unit_test(test_event_facts_message),
        cmocka_unit_test(test_event_facts_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
