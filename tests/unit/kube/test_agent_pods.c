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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crashloop),
        cmocka_unit_test(test_not_started),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
