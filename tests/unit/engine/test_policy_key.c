/* test_policy_key.c - a policy's identity and the parent its spec.extends names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "engine/model.h"

static void test_cluster_policy_ref(void **state)
{
    assert_string_equal(cluster_policy_ref("ClusterSeccompPolicy/base"), "base");
    assert_string_equal(cluster_policy_ref("ClusterSeccompPolicy/"), "");
    assert_null(cluster_policy_ref("ClusterSeccompPolicy"));
    assert_null(cluster_policy_ref("clusterseccomppolicy/base"));
    assert_null(cluster_policy_ref("base"));
    assert_null(cluster_policy_ref("demo/base"));
}

static void test_policy_parent(void **state)
{
    static const struct {
        enum policy_kind kind;
        const char *ns, *extends;
        bool has;
        enum policy_kind pkind;
        const char *pns, *pname;
    } cases[] = {
        {PK_POLICY, "demo", NULL, false, 0, NULL, NULL},
        {PK_POLICY, "demo", "runtime/default", false, 0, NULL, NULL},
        {PK_POLICY, "demo", "base", true, PK_POLICY, "demo", "base"},
        {PK_KUBEARMOR, "demo", "base", true, PK_POLICY, "demo", "base"},
        {PK_POLICY, "demo", "ClusterSeccompPolicy/base", true, PK_CLUSTER, NULL, "base"},
        {PK_CLUSTER, NULL, "base", true, PK_CLUSTER, NULL, "base"},
        {PK_CLUSTER, NULL, "ClusterSeccompPolicy/base", true, PK_CLUSTER, NULL, "base"},
        {PK_CLUSTER, NULL, "runtime/default", false, 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct policy p = {.kind = cases[i].kind,
                           .ns = (char *)cases[i].ns,
                           .name = (char *)"child",
                           .extends = (char *)cases[i].extends};
        struct policy_key k = {PK__MAX, "untouched", "untouched"};
        assert_int_equal(policy_parent(&p, &k), cases[i].has);
        if (!cases[i].has) {
            assert_int_equal(k.kind, PK__MAX);
            continue;
        }
        assert_int_equal(k.kind, cases[i].pkind);
        if (cases[i].pns)
            assert_string_equal(k.ns, cases[i].pns);
        else
            assert_null(k.ns);
        assert_string_equal(k.name, cases[i].pname);
        struct policy_key self = policy_key_of(&p);
        assert_int_equal(self.kind, cases[i].kind);
        assert_ptr_equal(self.name, p.name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_policy_ref),
        cmocka_unit_test(test_policy_parent),
    };
    return cmocka_run_group_tests_name("policy_key", tests, NULL, NULL);
}
