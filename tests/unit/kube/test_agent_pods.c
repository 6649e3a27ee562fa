/* test_agent_pods.c - what `kubectl kscmp status` says of an agent pod that is not Ready
 * (kube/agent_pods.h): the container's waiting reason, restarts, last exit and the first line
 * of its termination message; a pod not started yet by its phase and condition; fields of
 * the wrong type read as absent; the line cut to the buffer, "..." at its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kube/agent_pods.h"

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    assert_non_null(j);
    return j;
}

static void why_is(const char *pod, const char *want)
{
    json_t *j = load(pod);
    char out[AGENT_WHY_QUOTE + 200];
    agent_pod_why(j, out, sizeof(out));
    assert_string_equal(out, want);
    json_decref(j);
}

static void test_crashloop(void **state)
{
    why_is("{\"status\":{\"containerStatuses\":[{\"name\":\"other\",\"restartCount\":9},"
           "{\"name\":\"agent\",\"restartCount\":3,"
           "\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}},"
           "\"lastState\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\","
           "\"message\":\"kscmp: error: bad root\\nmore\"}}}]}}",
           "CrashLoopBackOff, restarted 3 times; last exit status 1 (Error): kscmp: error: bad "
           "root ...");
    why_is("{\"status\":{\"containerStatuses\":[{\"name\":\"x\",\"restartCount\":1,"
           "\"state\":{\"terminated\":{\"exitCode\":2,\"message\":\"usage\"}}}]}}",
           "restarted 1 time; last exit status 2: usage");
    why_is("{\"status\":{\"containerStatuses\":[{\"name\":\"agent\",\"state\":{\"running\":{}}}]}}",
           "running, not ready yet");
}

static void test_not_started(void **state)
{
    why_is("{\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"Initialized\","
           "\"status\":\"True\"},{\"type\":\"PodScheduled\",\"status\":\"False\",\"reason\":"
           "\"Unschedulable\",\"message\":\"0/3 nodes are available\\nsecond\"}]}}",
           "Pending: PodScheduled not False (Unschedulable): 0/3 nodes are available");
    why_is("{}", "no status yet");
    why_is("[]", "no status yet");
}

static void test_wrong_types(void **state)
{
    why_is("{\"status\":{\"phase\":7,\"containerStatuses\":[1,\"a\",{\"name\":5,\"restartCount\":"
           "\"3\",\"state\":[],\"lastState\":{\"terminated\":\"x\"}}]}}",
           "no status yet");
    why_is("{\"status\":{\"containerStatuses\":[{\"state\":{\"waiting\":{}},\"lastState\":"
           "{\"terminated\":{\"exitCode\":\"1\",\"message\":7}}}]}}",
           "waiting; last exit status 0");
    json_t *j =
        load("{\"metadata\":{\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"uid\":\"a\"},"
             "{\"kind\":\"DaemonSet\",\"uid\":\"\"},{\"kind\":\"DaemonSet\",\"uid\":\"b\"}]},"
             "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
    assert_string_equal(agent_pod_daemonset_uid(j), "b");
    assert_true(agent_pod_ready(j));
    json_decref(j);
    j = load("{\"metadata\":{\"ownerReferences\":{}},\"status\":{\"conditions\":[{\"type\":"
             "\"Ready\",\"status\":true}]}}");
    assert_null(agent_pod_daemonset_uid(j));
    assert_false(agent_pod_ready(j));
    json_decref(j);
}

static void test_cut(void **state)
{
    char long_msg[2000];
    memset(long_msg, 'm', sizeof(long_msg) - 1);
    long_msg[sizeof(long_msg) - 1] = '\0';
    json_t *j = json_pack("{s:{s:[{s:{s:{s:i, s:s}}}]}}", "status", "containerStatuses",
                          "lastState", "terminated", "exitCode", 137, "message", long_msg);
    assert_non_null(j);
    char out[AGENT_WHY_QUOTE + 200];
    agent_pod_why(j, out, sizeof(out));
    /* The message's first AGENT_WHY_QUOTE bytes, then " ...". */
    assert_int_equal(strlen(out), strlen("last exit status 137: ") + AGENT_WHY_QUOTE + 4);
    assert_string_equal(out + strlen(out) - 4, " ...");
    for (size_t size = 1; size < 40; size++) {
        char small[40];
        memset(small, 'x', sizeof(small));
        agent_pod_why(j, small, size);
        assert_true(strlen(small) < size);
        if (size > 4)
            assert_string_equal(small + size - 4, "...");
    }
    json_decref(j);
}

/* Where a pod's /readyz is: only for a running agent container with an IP and a node; the
 * port named metrics, else the readiness probe's (a number or a name), never out of range. */
static void port_is(const char *spec, const char *status, int want)
{
    char text[2000];
    snprintf(text, sizeof(text), "{\"spec\":%s,\"status\":%s}", spec, status);
    json_t *j = load(text);
    assert_int_equal(agent_pod_readyz_port(j), want);
    json_decref(j);
}

#define RUNNING                                                                                    \
    "{\"podIP\":\"10.0.0.7\",\"containerStatuses\":[{\"name\":\"agent\",\"state\":{\"running\":{}" \
    "}}]}"

static void test_readyz_port(void **state)
{
    const char *spec =
        "{\"nodeName\":\"n\",\"containers\":[{\"name\":\"side\",\"ports\":[{\"name\":"
        "\"metrics\",\"containerPort\":1}]},{\"name\":\"agent\",\"ports\":[{\"name\":"
        "\"http\",\"containerPort\":80},{\"name\":\"metrics\",\"containerPort\":9750}]}]}";
    port_is(spec, RUNNING, 9750);
    /* Not running, no IP, no node: none. */
    port_is(spec,
            "{\"podIP\":\"10.0.0.7\",\"containerStatuses\":[{\"name\":\"agent\",\"state\":"
            "{\"waiting\":{}}}]}",
            0);
    port_is(spec, "{\"containerStatuses\":[{\"name\":\"agent\",\"state\":{\"running\":{}}}]}", 0);
    port_is("{\"containers\":[{\"name\":\"agent\",\"ports\":[{\"name\":\"metrics\","
            "\"containerPort\":9750}]}]}",
            RUNNING, 0);
    /* The readiness probe's port: by name, by number. */
    port_is("{\"nodeName\":\"n\",\"containers\":[{\"name\":\"agent\",\"ports\":[{\"name\":\"web\","
            "\"containerPort\":8080}],\"readinessProbe\":{\"httpGet\":{\"port\":\"web\"}}}]}",
            RUNNING, 8080);
    port_is("{\"nodeName\":\"n\",\"containers\":[{\"name\":\"agent\",\"readinessProbe\":"
            "{\"httpGet\":{\"port\":9999}}}]}",
            RUNNING, 9999);
    port_is("{\"nodeName\":\"n\",\"containers\":[{\"name\":\"agent\",\"readinessProbe\":"
            "{\"httpGet\":{\"port\":\"nope\"}}}]}",
            RUNNING, 0);
    port_is("{\"nodeName\":\"n\",\"containers\":[{\"name\":\"agent\",\"ports\":[{\"name\":"
            "\"metrics\",\"containerPort\":70000}]}]}",
            RUNNING, 0);
    port_is("{\"nodeName\":7,\"containers\":{}}", "[]", 0);
}

static void answer_is(long code, const char *body, size_t len, bool agents, const char *want)
{
    char out[AGENT_WHY_QUOTE + 100];
    assert_int_equal(agent_readyz_answer(code, body, len, out, sizeof(out)), agents);
    assert_string_equal(out, want);
    json_t *j = json_string(out); /* valid UTF-8 always */
    assert_non_null(j);
    json_decref(j);
}

static void test_readyz_answer(void **state)
{
    const char *standby = "standby: not ready: listing failed (HTTP 403)\n";
    answer_is(503, standby, strlen(standby), true, "standby: not ready: listing failed (HTTP 403)");
    answer_is(503, "a\r\nb\n", 5, true, "a ...");
    answer_is(503, "", 0, true, "(an empty answer)");
    answer_is(503, NULL, 0, true, "(an empty answer)");
    /* Control characters are kept (the CLI's text output escapes them); bytes that are not
     * UTF-8 are written \xNN; a character is not cut. */
    answer_is(503, "\x1b[2Kok\xff\xc3(\xe2\x82\xac\0z", 14, true,
              "\x1b[2Kok\\xff\\xc3(\xe2\x82\xac\\x00z");
    char big[AGENT_WHY_QUOTE + 10];
    memset(big, 'x', sizeof(big));
    memcpy(big + AGENT_WHY_QUOTE - 1, "\xe2\x82\xac", 3);
    char want[AGENT_WHY_QUOTE + 10];
    memset(want, 'x', AGENT_WHY_QUOTE - 1);
    strcpy(want + AGENT_WHY_QUOTE - 1, " ...");
    answer_is(503, big, sizeof(big), true, want);
    /* Bytes that are not UTF-8 take four each: the line ends where the buffer does, whole. */
    memset(big, 0xff, sizeof(big));
    char small[64];
    assert_true(agent_readyz_answer(503, big, sizeof(big), small, sizeof(small)));
    assert_string_equal(small, "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff ...");
    char status[200];
    snprintf(status, sizeof(status),
             "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
             "\"message\":\"%s\"}",
             "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
    assert_false(agent_readyz_answer(503, status, strlen(status), small, sizeof(small)));
    assert_string_equal(small, "abcdefghijklmnopqrstuvwxyzabcdefghijklmn ... (HTTP 503)");
    /* The API server's Status: not the agent's words. */
    const char *st = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                     "\"message\":\"pods \\\"a\\\" is forbidden\",\"code\":403}";
    answer_is(403, st, strlen(st), false, "pods \"a\" is forbidden (HTTP 403)");
    const char *bare = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\"}";
    answer_is(503, bare, strlen(bare), false, "(HTTP 503)");
    /* Not the API server's shape (review finding 5: a pod's own JSON): the agent's words. */
    answer_is(403, "{\"kind\":\"Status\"}", 17, true, "{\"kind\":\"Status\"}");
    const char *ok = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Success\"}";
    answer_is(403, ok, strlen(ok), true, ok);
    answer_is(503, "{\"kind\":\"other\"}", 16, true, "{\"kind\":\"other\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crashloop),   cmocka_unit_test(test_not_started),
        cmocka_unit_test(test_wrong_types), cmocka_unit_test(test_cut),
        cmocka_unit_test(test_readyz_port), cmocka_unit_test(test_readyz_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
