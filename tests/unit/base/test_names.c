/* test_names.c - "NS/NAME" split into its parts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_table),
    };
    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
