/* test_daemon_nodes.c - whether a DaemonSet puts its pod on a node (kube/daemon_nodes.h):
 * tolerations against taints as Kubernetes matches them (Exists, Equal, an empty key, an
 * empty effect, PreferNoSchedule keeping nothing off, the tolerations the DaemonSet
 * controller adds), nodeSelector and required node affinity against the node, the words of
 * why, and whether the node is Ready; every field missing or of another type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "kube/daemon_nodes.h"

static json_t *load(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (!j)
        fail_msg("bad test JSON: %s: %s", text, e.text);
    return j;
}

static bool tolerates(const char *toleration, const char *taint)
{
    json_t *a = load(toleration), *b = load(taint);
    bool r = toleration_tolerates(a, b);
    json_decref(a);
    json_decref(b);
    return r;
}

static void test_toleration(void **state)
{
    static const struct {
        const char *toleration, *taint;
        bool want;
    } cases[] = {
        /* Exists with no key: every taint, every effect (deploy/'s agent) */
        {"{\"operator\":\"Exists\"}", "{\"key\":\"a\",\"value\":\"b\",\"effect\":\"NoExecute\"}",
         true},
        {"{\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}",
         "{\"key\":\"a\",\"effect\":\"NoExecute\"}", false},
        {"{\"operator\":\"Exists\",\"key\":\"a\"}",
         "{\"key\":\"a\",\"value\":\"x\",\"effect\":"
         "\"NoSchedule\"}",
         true},
        {"{\"operator\":\"Exists\",\"key\":\"a\"}", "{\"key\":\"b\",\"effect\":\"NoSchedule\"}",
         false},
        /* Equal (and no operator): key and value */
        {"{\"key\":\"dedicated\",\"value\":\"gpu\"}",
         "{\"key\":\"dedicated\",\"value\":\"gpu\",\"effect\":\"NoSchedule\"}", true},
        {"{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"gpu\",\"effect\":"
         "\"NoSchedule\"}",
         "{\"key\":\"dedicated\",\"value\":\"gpu\",\"effect\":\"NoSchedule\"}", true},
        {"{\"key\":\"dedicated\",\"value\":\"cpu\"}",
         "{\"key\":\"dedicated\",\"value\":\"gpu\",\"effect\":\"NoSchedule\"}", false},
        {"{\"key\":\"dedicated\"}", "{\"key\":\"dedicated\",\"effect\":\"NoSchedule\"}", true},
        {"{\"key\":\"dedicated\"}",
         "{\"key\":\"dedicated\",\"value\":\"\",\"effect\":\"NoSchedule\"}", true},
        {"{\"key\":\"dedicated\",\"effect\":\"NoExecute\"}",
         "{\"key\":\"dedicated\",\"effect\":\"NoSchedule\"}", false},
        /* an empty key goes with Exists only */
        {"{\"operator\":\"Equal\"}", "{\"key\":\"\",\"effect\":\"NoSchedule\"}", false},
        {"{}", "{\"key\":\"a\",\"effect\":\"NoSchedule\"}", false},
        /* an operator Kubernetes does not have */
        {"{\"key\":\"a\",\"operator\":\"exists\"}", "{\"key\":\"a\",\"effect\":\"NoSchedule\"}",
         false},
        /* fields of another type read as absent */
        {"{\"key\":7,\"operator\":\"Exists\"}", "{\"key\":\"a\",\"effect\":\"NoSchedule\"}", true},
        {"{\"key\":\"a\",\"operator\":[],\"value\":{}}",
         "{\"key\":\"a\",\"effect\":\"NoSchedule\"}", true},
        {"{\"key\":\"a\",\"effect\":5}", "{\"key\":\"a\",\"effect\":\"NoSchedule\"}", true},
        {"{\"key\":\"a\"}", "{\"key\":\"a\",\"value\":9,\"effect\":\"NoSchedule\"}", true},
        {"[]", "{\"key\":\"a\",\"effect\":\"NoSchedule\"}", false},
        {"{\"operator\":\"Exists\"}", "\"a\"", false},
        {"null", "null", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (tolerates(cases[i].toleration, cases[i].taint) != cases[i].want)
            fail_msg("case %zu: %s against %s: want %d", i, cases[i].toleration, cases[i].taint,
                     cases[i].want);
    }
}

/* The key of the first taint of node that spec does not tolerate ("" for none), and more. */
static void untolerated_is(const char *spec, const char *node, const char *want, size_t want_more)
{
    json_t *s = load(spec), *n = load(node);
    size_t more = 99;
    json_t *t = daemon_untolerated_taint(s, n, &more);
    const char *key = t ? json_string_value(json_object_get(t, "key")) : "";
    assert_string_equal(key ? key : "(not a string)", want);
    assert_int_equal(more, want_more);
    json_decref(s);
    json_decref(n);
}

static void test_untolerated(void **state)
{
    const char *node = "{\"spec\":{\"taints\":["
                       "{\"key\":\"soft\",\"effect\":\"PreferNoSchedule\"},"
                       "{\"key\":\"node.kubernetes.io/unschedulable\",\"effect\":\"NoSchedule\"},"
                       "{\"key\":\"node.kubernetes.io/not-ready\",\"effect\":\"NoExecute\"},"
                       "{\"key\":\"dedicated\",\"value\":\"gpu\",\"effect\":\"NoSchedule\"},"
                       "{\"key\":\"evict\",\"effect\":\"NoExecute\"}]}}";
    /* a cordoned, NotReady node keeps a DaemonSet's pods; PreferNoSchedule keeps nothing off */
    untolerated_is("{}", node, "dedicated", 1);
    untolerated_is("{\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Exists\"}]}", node,
                   "evict", 0);
    untolerated_is("{\"tolerations\":[{\"operator\":\"Exists\"}]}", node, "", 0);
    untolerated_is("{\"tolerations\":[{\"effect\":\"NoSchedule\",\"operator\":\"Exists\"},"
                   "{\"key\":\"evict\",\"operator\":\"Exists\"}]}",
                   node, "", 0);
    /* network-unavailable: tolerated for host-network pods only */
    const char *net = "{\"spec\":{\"taints\":[{\"key\":\"node.kubernetes.io/network-unavailable\","
                      "\"effect\":\"NoSchedule\"}]}}";
    untolerated_is("{}", net, "node.kubernetes.io/network-unavailable", 0);
    untolerated_is("{\"hostNetwork\":true}", net, "", 0);
    untolerated_is("{\"hostNetwork\":\"true\"}", net, "node.kubernetes.io/network-unavailable", 0);
    /* of another type, or missing */
    untolerated_is("{\"tolerations\":{\"operator\":\"Exists\"}}", node, "dedicated", 1);
    untolerated_is("{\"tolerations\":[1,\"x\",null]}", node, "dedicated", 1);
    untolerated_is("[]", node, "dedicated", 1);
    untolerated_is("{}", "{\"spec\":{\"taints\":{}}}", "", 0);
    untolerated_is("{}", "{\"spec\":[]}", "", 0);
    untolerated_is("{}", "{\"spec\":{\"taints\":[7,{\"effect\":\"NoSchedule\"}]}}",
                   "(not a string)", 0);
    untolerated_is("{}", "{\"spec\":{\"taints\":[{\"key\":3,\"effect\":\"NoExecute\"}]}}",
                   "(not a string)", 0);
    untolerated_is("{}", "{\"spec\":{\"taints\":[{\"key\":\"a\",\"effect\":[]}]}}", "", 0);
    untolerated_is("null", "null", "", 0);
}

static bool selects(const char *sel, const char *labels, const char *want_key)
{
    json_t *s = load(sel), *l = load(labels);
    const char *key = NULL;
    bool r = node_selector_matches(s, l, &key);
    if (!r)
        assert_string_equal(key, want_key);
    json_decref(s);
    json_decref(l);
    return r;
}

static void test_node_selector(void **state)
{
    const char *labels = "{\"kubernetes.io/os\":\"linux\",\"disk\":\"ssd\"}";
    assert_true(selects("{\"kubernetes.io/os\":\"linux\"}", labels, NULL));
    assert_true(selects("{\"kubernetes.io/os\":\"linux\",\"disk\":\"ssd\"}", labels, NULL));
    assert_true(selects("{}", labels, NULL));
    assert_false(selects("{\"kubernetes.io/os\":\"windows\"}", labels, "kubernetes.io/os"));
    assert_false(selects("{\"disk\":\"ssd\",\"gpu\":\"yes\"}", labels, "gpu"));
    assert_false(selects("{\"disk\":\"\"}", labels, "disk"));
    /* of another type, or missing */
    assert_true(selects("null", labels, NULL));
    assert_true(selects("[\"disk\"]", labels, NULL));
    assert_true(selects("\"disk=ssd\"", labels, NULL));
    assert_true(selects("{\"disk\":7,\"x\":null}", labels, NULL));
    assert_false(selects("{\"disk\":\"ssd\"}", "null", "disk"));
    assert_false(selects("{\"disk\":\"ssd\"}", "[]", "disk"));
    assert_false(selects("{\"disk\":\"ssd\"}", "{\"disk\":true}", "disk"));
}

static bool affinity(const char *aff, const char *node)
{
    json_t *a = load(aff), *n = load(node);
    bool r = node_affinity_matches(a, n);
    json_decref(a);
    json_decref(n);
    return r;
}

#define TERMS(x)                                                                                   \
    "{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{"                      \
    "\"nodeSelectorTerms\":" x "}}}"

static void test_affinity(void **state)
{
    const char *node = "{\"metadata\":{\"name\":\"node-b\",\"labels\":{\"zone\":\"a\",\"cores\":"
                       "\"16\",\"gpu\":\"\"}}}";
    assert_true(affinity("{}", node));
    assert_true(affinity("null", node));
    assert_true(affinity(TERMS("null"), node));
    assert_true(affinity(TERMS("{}"), node));
    assert_false(affinity(TERMS("[]"), node));
    assert_false(affinity(TERMS("[{}]"), node)); /* an empty term selects nothing */
    assert_true(affinity(
        TERMS("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"b\","
              "\"a\"]}]}]"),
        node));
    assert_false(
        affinity(TERMS("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":"
                       "[\"b\"]}]}]"),
                 node));
    /* terms ORed, requirements ANDed */
    assert_true(
        affinity(TERMS("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":"
                       "[\"b\"]}]},{\"matchExpressions\":[{\"key\":\"gpu\",\"operator\":"
                       "\"Exists\"}]}]"),
                 node));
    assert_false(
        affinity(TERMS("[{\"matchExpressions\":[{\"key\":\"gpu\",\"operator\":\"Exists\"},{\"key\":"
                       "\"zone\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}]"),
                 node));
    assert_true(affinity(
        TERMS(
            "[{\"matchExpressions\":[{\"key\":\"tpu\",\"operator\":\"NotIn\",\"values\":[\"x\"]},"
            "{\"key\":\"tpu\",\"operator\":\"DoesNotExist\"},{\"key\":\"cores\",\"operator\":"
            "\"Gt\",\"values\":[\"8\"]},{\"key\":\"cores\",\"operator\":\"Lt\",\"values\":[\"17\"]}"
            "]}]"),
        node));
    assert_false(affinity(TERMS("[{\"matchExpressions\":[{\"key\":\"cores\",\"operator\":\"Gt\","
                                "\"values\":[\"16\"]}]}]"),
                          node));
    assert_false(affinity(TERMS("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Gt\","
                                "\"values\":[\"1\"]}]}]"),
                          node)); /* not a number */
    assert_false(affinity(TERMS("[{\"matchExpressions\":[{\"key\":\"cores\",\"operator\":\"Gt\","
                                "\"values\":[\"1\",\"2\"]}]}]"),
                          node));
    assert_false(affinity(TERMS("[{\"matchExpressions\":[{\"key\":\"cores\",\"operator\":\"Lt\","
                                "\"values\":[\"99999999999999999999999\"]}]}]"),
                          node));
    /* matchFields: metadata.name alone */
    assert_true(affinity(TERMS("[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\","
                               "\"values\":[\"node-b\"]}]}]"),
                         node));
    assert_false(affinity(TERMS("[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":"
                                "\"NotIn\",\"values\":[\"node-b\"]}]}]"),
                          node));
    assert_false(affinity(TERMS("[{\"matchFields\":[{\"key\":\"metadata.uid\",\"operator\":"
                                "\"Exists\"}]}]"),
                          node));
    /* of another type */
    assert_false(affinity(TERMS("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\","
                                "\"values\":\"a\"}]}]"),
                          node));
    assert_true(affinity(TERMS("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"NotIn\","
                               "\"values\":{}}]}]"),
                         node));
    assert_false(
        affinity(TERMS("[{\"matchExpressions\":[{\"key\":5,\"operator\":\"Exists\"}]}]"), node));
    assert_false(affinity(TERMS("[{\"matchExpressions\":[7]}]"), node));
    assert_false(affinity(TERMS("[{\"matchExpressions\":{}}, 3, \"x\"]"), node));
    assert_false(affinity(TERMS("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\","
                                "\"values\":[\"a\"]}]}]"),
                          "{\"metadata\":{\"labels\":[\"zone\"]}}"));
}

static void keeps_off_is(const char *spec, const char *node, const char *want)
{
    json_t *s = load(spec), *n = load(node);
    char why[300];
    bool r = daemon_keeps_off(s, n, "kscmp-system/kscmp", why, sizeof(why));
    assert_string_equal(why, want);
    assert_int_equal(r, *want != '\0');
    json_decref(s);
    json_decref(n);
}

static void test_keeps_off(void **state)
{
    const char *gpu = "{\"metadata\":{\"name\":\"g\",\"labels\":{\"kubernetes.io/os\":\"linux\"}},"
                      "\"spec\":{\"unschedulable\":true,\"taints\":[{\"key\":\"dedicated\","
                      "\"value\":\"gpu\",\"effect\":\"NoSchedule\"},{\"key\":\"x\",\"effect\":"
                      "\"NoExecute\"},{\"key\":\"y\",\"effect\":\"NoExecute\"}]}}";
    keeps_off_is("{}", gpu,
                 "taint dedicated=gpu:NoSchedule not tolerated by DaemonSet kscmp-system/kscmp "
                 "(nor 2 other taints)");
    keeps_off_is("{\"tolerations\":[{\"operator\":\"Exists\"}]}", gpu, "");
    keeps_off_is("{\"tolerations\":[{\"operator\":\"Exists\"}],\"nodeSelector\":{"
                 "\"kubernetes.io/os\":\"windows\"}}",
                 gpu,
                 "not selected by the nodeSelector of DaemonSet kscmp-system/kscmp "
                 "(kubernetes.io/os=windows; the node has kubernetes.io/os=linux)");
    keeps_off_is("{\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Exists\"},{\"key\":\"x\","
                 "\"operator\":\"Exists\"}],\"nodeSelector\":{\"pool\":\"a\"},\"affinity\":"
                 "{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{"
                 "\"nodeSelectorTerms\":[{}]}}}}",
                 gpu,
                 "taint y:NoExecute not tolerated by DaemonSet kscmp-system/kscmp; not selected "
                 "by the nodeSelector of DaemonSet kscmp-system/kscmp (pool=a; the node has no "
                 "label pool); not selected by the required node affinity of DaemonSet "
                 "kscmp-system/kscmp");
    keeps_off_is("{}", "{}", "");
    keeps_off_is("7", "\"node\"", "");
    keeps_off_is("{\"nodeSelector\":{\"a\":\"b\"}}", "[]",
                 "not selected by the nodeSelector of DaemonSet kscmp-system/kscmp (a=b; the node "
                 "has no label a)");
    /* cut to the buffer, "..." at its end */
    json_t *s = load("{}"), *n = load(gpu);
    for (size_t size = 1; size < 40; size++) {
        char small[40];
        memset(small, 'x', sizeof(small));
        assert_true(daemon_keeps_off(s, n, "kscmp-system/kscmp", small, size));
        assert_true(strlen(small) < size);
        if (size > 4)
            assert_string_equal(small + size - 4, "...");
    }
    json_decref(s);
    json_decref(n);
}

static void not_ready_is(const char *node, const char *want)
{
    json_t *n = load(node);
    const char *r = node_not_ready(n);
    if (want)
        assert_string_equal(r, want);
    else
        assert_null(r);
    json_decref(n);
}

static void test_not_ready(void **state)
{
    not_ready_is("{\"status\":{\"conditions\":[{\"type\":\"MemoryPressure\",\"status\":\"False\"},"
                 "{\"type\":\"Ready\",\"status\":\"True\"}]}}",
                 NULL);
    not_ready_is("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}",
                 "node NotReady");
    not_ready_is("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Unknown\"}]}}",
                 "node NotReady (its kubelet stopped reporting)");
    not_ready_is("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":true}]}}",
                 "node NotReady (its kubelet stopped reporting)");
    not_ready_is("{}", "no Ready condition (no kubelet has reported)");
    not_ready_is("{\"status\":{\"conditions\":{\"type\":\"Ready\",\"status\":\"True\"}}}",
                 "no Ready condition (no kubelet has reported)");
    not_ready_is("{\"status\":{\"conditions\":[1,null,{\"type\":[]}]}}",
                 "no Ready condition (no kubelet has reported)");
    not_ready_is("null", "no Ready condition (no kubelet has reported)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toleration),    cmocka_unit_test(test_untolerated),
        cmocka_unit_test(test_node_selector), cmocka_unit_test(test_affinity),
        cmocka_unit_test(test_keeps_off),     cmocka_unit_test(test_not_ready),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
