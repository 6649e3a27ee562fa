/* test_pod_events.c - reading the answer to the Event lookup of a restarted agent
 * (pod_events_find_posted): outside input that decides whether an Event is counted up and
 * which name goes into the PATCH's path. Only an Event this node posted (component kscmp,
 * source.host or reportingInstance the node) on the same pod with the same message counts;
 * a name that is not a DNS-1123 subdomain never reaches a path; malformed bodies and fields
 * of the wrong type mean "none" or an error, never a crash.
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
#include "kube/pod_events.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finds_this_nodes_event),
        cmocka_unit_test(test_others_do_not_count),
        cmocka_unit_test(test_malformed_bodies),
        cmocka_unit_test(test_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
