/* test_node_taint.c - the merge patch that adds or removes kscmp.io/agent-not-ready on a Node
 * (kube/node_taint.h): other taints kept, the resourceVersion carried, nothing sent when
 * nothing changes, malformed Nodes refused with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "kube/node_taint.h"

#define OTHER "{\"effect\":\"NoExecute\",\"key\":\"node.kubernetes.io/unreachable\"}"
#define OURS "{\"effect\":\"NoSchedule\",\"key\":\"kscmp.io/agent-not-ready\"}"

static int patch(const char *node, bool add, char **ret, struct kerr *err)
{
    return node_taint_patch(node, strlen(node), add, ret, err);
}

static void test_add_keeps_others(void **state)
{
    _cleanup_free_ char *p = NULL;
    struct kerr err = {0};
    assert_int_equal(
        patch("{\"kind\":\"Node\",\"metadata\":{\"name\":\"n\",\"resourceVersion\":\"42\"},"
              "\"spec\":{\"taints\":[" OTHER "]}}",
              true, &p, &err),
        1);
    assert_string_equal(p, "{\"metadata\":{\"resourceVersion\":\"42\"},\"spec\":{\"taints\":[" OTHER
                           "," OURS "]}}");
}

static void test_add_without_spec(void **state)
{
    _cleanup_free_ char *p = NULL;
    struct kerr err = {0};
    assert_int_equal(patch("{\"metadata\":{\"resourceVersion\":\"7\"}}", true, &p, &err), 1);
    assert_string_equal(p, "{\"metadata\":{\"resourceVersion\":\"7\"},\"spec\":{\"taints\":[" OURS
                           "]}}");
}

static void test_nothing_to_do(void **state)
{
    char *p = (char *)&p; /* untouched when nothing changes */
    struct kerr err = {0};
    assert_int_equal(patch("{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"taints\":[" OURS
                           "]}}",
                           true, &p, &err),
                     0);
    assert_int_equal(
        patch("{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{}}", false, &p, &err), 0);
    assert_int_equal(patch("{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"taints\":[" OTHER
                           "]}}",
                           false, &p, &err),
                     0);
    assert_ptr_equal(p, (char *)&p);
}

static void test_remove(void **state)
{
    _cleanup_free_ char *p = NULL, *q = NULL;
    struct kerr err = {0};
    assert_int_equal(patch("{\"metadata\":{\"resourceVersion\":\"9\"},\"spec\":{\"taints\":[" OURS
                           "," OTHER "]}}",
                           false, &p, &err),
                     1);
    assert_string_equal(p, "{\"metadata\":{\"resourceVersion\":\"9\"},\"spec\":{\"taints\":[" OTHER
                           "]}}");
    /* The last taint gone: null removes the field. */
    assert_int_equal(patch("{\"metadata\":{\"resourceVersion\":\"9\"},\"spec\":{\"taints\":[" OURS
                           "]}}",
                           false, &q, &err),
                     1);
    assert_string_equal(q, "{\"metadata\":{\"resourceVersion\":\"9\"},\"spec\":{\"taints\":null}}");
}

static void test_ours_with_other_effect(void **state)
{
    /* Someone set our key with NoExecute: adding replaces it with NoSchedule, removing drops it. */
    _cleanup_free_ char *p = NULL, *q = NULL;
    struct kerr err = {0};
    const char *n = "{\"metadata\":{\"resourceVersion\":\"3\"},\"spec\":{\"taints\":[{\"key\":"
                    "\"kscmp.io/agent-not-ready\",\"effect\":\"NoExecute\"}]}}";
    assert_int_equal(patch(n, true, &p, &err), 1);
    assert_non_null(strstr(p, "\"effect\":\"NoSchedule\""));
    assert_null(strstr(p, "NoExecute"));
    assert_int_equal(patch(n, false, &q, &err), 1);
    assert_non_null(strstr(q, "\"taints\":null"));
}

static void test_malformed(void **state)
{
    const char *bad[] = {
        "",
        "[]",
        "{",
        "null",
        "{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"1\"}}",
        "{\"metadata\":{}}",
        "{\"metadata\":{\"resourceVersion\":\"\"}}",
        "{\"metadata\":{\"resourceVersion\":5}}",
        "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":[]}",
        "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"taints\":{}}}",
        "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"taints\":[1]}}",
        "{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"taints\":[{\"effect\":\"X\"}]}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *p = (char *)&p;
        struct kerr err = {0};
        assert_int_equal(patch(bad[i], i % 2 == 0, &p, &err), -EINVAL);
        assert_ptr_equal(p, (char *)&p);
        assert_non_null(strstr(err.msg, "Node"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_keeps_others),       cmocka_unit_test(test_add_without_spec),
        cmocka_unit_test(test_nothing_to_do),          cmocka_unit_test(test_remove),
        cmocka_unit_test(test_ours_with_other_effect), cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
