/* test_names.c - DNS-1123 names as Kubernetes checks them, "NS/NAME" split in two, and
 * objects named in messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/names.h"

static void test_split_table(void **state)
{
    static const char ns63[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    static const char ns64[] =
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/web";
    char ns63_web[80];
    snprintf(ns63_web, sizeof(ns63_web), "%s/web", ns63);
    const struct {
        const char *in;
        int r;
        const char *ns, *name;
    } cases[] = {
        {"demo/web", 0, "demo", "web"},
        {"web", 0, "", "web"},
        {"demo/web.json", 0, "demo", "web.json"},
        {"demo/a/b", 0, "demo", "a/b"}, /* the first '/' splits; callers check the rest */
        {ns63_web, 0, ns63, "web"},
        {ns64, -EINVAL, NULL, NULL},
        {"", -EINVAL, NULL, NULL},
        {"/web", -EINVAL, NULL, NULL},
        {"demo/", -EINVAL, NULL, NULL},
        {"/", -EINVAL, NULL, NULL},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        struct ns_name n = {.ns = "untouched", .name = "untouched"};
        assert_int_equal(ns_name_split(cases[i].in, &n), cases[i].r);
        if (cases[i].r < 0) {
            assert_string_equal(n.ns, "untouched");
            assert_string_equal(n.name, "untouched");
            continue;
        }
        assert_string_equal(n.ns, cases[i].ns);
        assert_string_equal(n.name, cases[i].name);
        if (*cases[i].ns)
            assert_string_equal(ns_name_ns(&n), cases[i].ns);
        else
            assert_null(ns_name_ns(&n));
    }
}

static void test_dns_table(void **state)
{
    char l63[64], l64[65], long_part[80], sub253[254], sub254[255];
    memset(l63, 'a', 63), l63[63] = '\0';
    memset(l64, 'a', 64), l64[64] = '\0';
    /* Kubernetes limits a subdomain to 253 in all, not each of its labels to 63. */
    snprintf(long_part, sizeof(long_part), "x.%s.y", l64);
    memset(sub253, 'a', 253), sub253[253] = '\0';
    memset(sub254, 'a', 254), sub254[254] = '\0';
    const struct {
        const char *s;
        bool label, subdomain;
    } cases[] = {
        {"web", true, true},
        {"a", true, true},
        {"0", true, true},
        {"web-1", true, true},
        {"web.example", false, true},
        {l63, true, true},
        {l64, false, true},
        {long_part, false, true},
        {sub253, false, true},
        {sub254, false, false},
        {"", false, false},
        {"-web", false, false},
        {"web-", false, false},
        {"Web", false, false},
        {"web_1", false, false},
        {"web..x", false, false},
        {".web", false, false},
        {"web.", false, false},
        {"web.-x", false, false},
        {"we b", false, false},
        {"web/x", false, false},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        assert_int_equal(dns_label_valid(cases[i].s), cases[i].label);
        assert_int_equal(dns_subdomain_valid(cases[i].s), cases[i].subdomain);
        assert_int_equal(dns_label_valid_n(cases[i].s, strlen(cases[i].s)), cases[i].label);
        assert_int_equal(dns_subdomain_valid_n(cases[i].s, strlen(cases[i].s)), cases[i].subdomain);
    }
    /* The _n forms read n bytes, not to the NUL. */
    assert_true(dns_label_valid_n("web.json", 3));
    assert_true(dns_subdomain_valid_n("web.x.json", 5));
    assert_false(dns_label_valid(NULL));
    assert_false(dns_subdomain_valid(NULL));
}

/* Objects named in messages: the namespace only for a namespaced kind, "default" when none. */
static void test_object_who_table(void **state)
{
    const struct {
        const char *kind, *ns, *name, *want;
    } cases[] = {
        {"Pod", "demo", "web", "Pod demo/web"},
        {"Pod", NULL, "web", "Pod default/web"},
        {"Pod", "demo", NULL, "Pod"},
        {"SeccompPolicy", "", "p", "SeccompPolicy /p"}, /* only NULL is "no namespace" */
        {"Namespace", "demo", "web", "Namespace web"},
        {"ClusterSeccompPolicy", NULL, "base", "ClusterSeccompPolicy base"},
        {"ClusterRole", "x", "r", "ClusterRole r"},
        {"Node", NULL, "n1", "Node n1"},
        {"KubeArmorSeccompPolicy", "a", "b", "KubeArmorSeccompPolicy a/b"},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char buf[64];
        object_who(buf, sizeof(buf), cases[i].kind, cases[i].ns, cases[i].name);
        assert_string_equal(buf, cases[i].want);
    }
    char small[8];
    object_who(small, sizeof(small), "Pod", "demo", "web");
    assert_string_equal(small, "Pod dem");
    assert_false(kind_cluster_scoped("Pod"));
    assert_false(kind_cluster_scoped("Namespaces"));
    assert_true(kind_cluster_scoped("Namespace"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_table),
        cmocka_unit_test(test_dns_table),
        cmocka_unit_test(test_object_who_table),
    };
    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
