/* test_manifest_name.c - which entries of a folder are manifests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/cleanup.h"
#include "engine/manifest.h"

static void test_manifest_file_name(void **state)
{
    static const struct {
        const char *name;
        bool want;
    } cases[] = {
        {"policies.yaml", true}, {"p.yml", true},    {"p.json", true}, {"a.b.yaml", true},
        {".hidden.yaml", false}, {".yaml", false},   {"yaml", false},  {"p.yaml~", false},
        {"p.yaml.swp", false},   {"p.YAML", false},  {"p.txt", false}, {"", false},
        {".json", false},        {"x.jsonl", false},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        assert_int_equal(manifest_file_name(cases[i].name), cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_file_name),
    };
    return cmocka_run_group_tests_name("manifest_name", tests, NULL, NULL);
}
