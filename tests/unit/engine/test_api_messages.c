/* test_api_messages.c - messages about objects read from the API server name the object.
 *
 * Objects from the API server have no file and no lines (decode_object with file ""): every
 * message about them, in a policy's result and in the Events the engine owes pods, starts
 * with "KIND ID" (or names it after a reason), never with a location such as ":0:" or ":12:"
 * that points into no file. Objects from files keep "FILE:LINE:". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine_fixture.h"

/* Decodes the JSON object text as the agent and kubectl kscmp do, and puts it into e. */
static void put_json(struct engine *e, const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad JSON in the test: %s: %s", jerr.text, text);
    struct ynode *doc = NULL;
    struct kerr err = {0};
    assert_int_equal(ydoc_from_json(j, &doc, &err), 0);
    json_decref(j);
    struct object o;
    if (decode_object(doc, "", &o, &err) < 0)
        fail_msg("decode: %s", err.msg);
    ynode_free(doc);
    assert_int_equal(engine_put_object(&o, e), 0);
    object_clear(&o);
}

#define API_POL(name, spec)                                                                        \
    "{\"apiVersion\":\"kscmp.io/v1\",\"kind\":\"SeccompPolicy\",\"metadata\":{\"name\":\"" name    \
    "\",\"namespace\":\"demo\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"" name          \
    "\"}}," spec "}}"
#define API_POD(name)                                                                              \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" name                       \
    "\",\"namespace\":\"demo\",\"labels\":{\"app\":\"" name "\"}},\"spec\":{\"nodeName\":"         \
    "\"node-1\",\"securityContext\":{\"seccompProfile\":{\"type\":\"Localhost\","                  \
    "\"localhostProfile\":\"kscmp/demo/" name ".json\"}},\"containers\":[{\"name\":\"main\","      \
    "\"image\":\"busybox\"}]}}"

/* A message about an API object: no location before the object, and the object named. */
static void check_api_message(const char *what, const char *msg, const char *object)
{
    if (!msg)
        fail_msg("%s: no message", what);
    if (msg[0] == ':' || strstr(msg, ":0:") || strstr(msg, ": :"))
        fail_msg("%s: a location that points into no file: \"%s\"", what, msg);
    if (!strstr(msg, object))
        fail_msg("%s: \"%s\" does not name %s", what, msg, object);
}

struct events {
    char *msgs[16];
    char *causes[16];
    size_t n;
};

static int on_file(const struct file_result *r, void *userdata)
{
    return 0;
}

static int on_event(const struct engine_event *ev, void *userdata)
{
    struct events *o = userdata;
    if (o->n < ELEMENTSOF(o->msgs)) {
        o->msgs[o->n] = strdup(ev->message);
        o->causes[o->n] = ev->cause ? strdup(ev->cause) : NULL;
        o->n++;
    }
    return 0;
}

static void test_policy_errors_from_the_api_name_the_object(void **state)
{
    static const struct {
        const char *name, *json, *want; /* want: a part of the error */
    } cases[] = {
        {"unknown-seccomp",
         API_POL("unknown-seccomp",
                 "\"seccomp\":{\"syscalls\":[\"getpid\",\"nosuchcall\"],\"action\":\"Allow\"}"),
         "seccomp.syscalls[1]: unknown syscall \"nosuchcall\""},
        {"unknown-rule",
         API_POL("unknown-rule",
                 "\"rules\":[{\"syscalls\":[\"nosuchcall\"],\"action\":\"Block\"}]"),
         "unknown syscall \"nosuchcall\""},
        {"typo-rule",
         API_POL("typo-rule", "\"rules\":[{\"syscalls\":[\"ptarce\"],\"action\":\"Block\"}]"),
         "unknown syscall \"ptarce\"; did you mean \"ptrace\"?"},
        {"orphan",
         API_POL("orphan", "\"extends\":\"missing\",\"seccomp\":{\"syscalls\":[\"getpid\"],"
                           "\"action\":\"Allow\"}"),
         "missing"},
        {"loop-a",
         API_POL("loop-a", "\"extends\":\"loop-b\",\"seccomp\":{\"syscalls\":[\"getpid\"],"
                           "\"action\":\"Allow\"}"),
         "cycle"},
    };
    struct engine *e = NULL;
    assert_int_equal(engine_new(arch_parse("x86_64"), &e), 0);
    put_json(e, API_POL("loop-b", "\"extends\":\"loop-a\",\"seccomp\":{\"syscalls\":[\"getpid\"],"
                                  "\"action\":\"Allow\"}"));
    put_json(e, API_POL("x86-64-only", "\"seccomp\":{\"arch\":[\"x86_64\"],\"syscalls\":["
                                       "\"getpid\",\"socketcall\"],\"action\":\"Allow\"}"));
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        put_json(e, cases[i].json);
    put_json(e, API_POD("unknown-seccomp"));
    put_json(e, API_POD("orphan"));

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char object[128];
        snprintf(object, sizeof(object), "SeccompPolicy demo/%s", cases[i].name);
        struct policy_result res;
        assert_int_equal(
            engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", cases[i].name), &res),
            0);
        if (res.valid)
            fail_msg("%s: valid", cases[i].name);
        check_api_message(cases[i].name, res.error, object);
        if (strncmp(res.error, object, strlen(object)) != 0)
            fail_msg("%s: \"%s\" does not start with \"%s\"", cases[i].name, res.error, object);
        if (!strstr(res.error, cases[i].want))
            fail_msg("%s: \"%s\" does not say \"%s\"", cases[i].name, res.error, cases[i].want);
    }

    /* A warning (a syscall the policy's architectures lack) names the object too. */
    struct policy_result res;
    assert_int_equal(
        engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "x86-64-only"), &res), 0);
    assert_true(res.valid);
    assert_int_equal(res.nwarnings, 1);
    check_api_message("warning", res.warnings[0], "SeccompPolicy demo/x86-64-only");
    assert_non_null(strstr(res.warnings[0], "\"socketcall\" does not exist on x86_64"));

    /* The Events the pods of the broken policies get say the same, without a location. */
    struct events ev = {0};
    struct sync_ops ops = {.file = on_file, .event = on_event, .userdata = &ev};
    assert_int_equal(engine_sync(e, &ops), 0);
    assert_true(ev.n >= 2);
    for (size_t i = 0; i < ev.n; i++) {
        check_api_message("event", ev.msgs[i], "SeccompPolicy demo/");
        if (ev.causes[i])
            check_api_message("event cause", ev.causes[i], "SeccompPolicy demo/");
        free(ev.msgs[i]);
        free(ev.causes[i]);
    }
    engine_free(e);
}

/* The same unknown syscall read from a file keeps its file and line. */
static void test_policy_errors_from_a_file_keep_the_location(void **state)
{
    struct engine *e = NULL;
    assert_int_equal(engine_new(arch_parse("x86_64"), &e), 0);
    load_text(e, POL("web", "  seccomp:\n"
                            "    action: Allow\n"
                            "    syscalls:\n"
                            "    - getpid\n"
                            "    - nosuchcall\n"));
    struct policy_result res;
    assert_int_equal(engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "web"), &res),
                     0);
    assert_false(res.valid);
    assert_string_equal(res.error, "test.yaml:9: SeccompPolicy demo/web: spec.seccomp.syscalls[1]: "
                                   "unknown syscall \"nosuchcall\"");
    engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_errors_from_the_api_name_the_object),
        cmocka_unit_test(test_policy_errors_from_a_file_keep_the_location),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
