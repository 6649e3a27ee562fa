/* test_json_prune.c - the pruning JSON reader: what it keeps, what it skips, and malformed
 * input (in kept and in skipped parts), depth, and text after the value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "kube/json_prune.h"

static const struct prune_rule sc[] = {{"seccompProfile", NULL}, {NULL, NULL}};
static const struct prune_rule ctr[] = {{"name", NULL}, {"securityContext", sc}, {NULL, NULL}};
static const struct prune_rule meta[] = {{"name", NULL}, {"labels", NULL}, {NULL, NULL}};
static const struct prune_rule spec[] = {{"containers", ctr}, {NULL, NULL}};
static const struct prune_rule pod[] = {{"metadata", meta}, {"spec", spec}, {NULL, NULL}};
static const struct prune_rule list[] = {{"items", pod}, {"metadata", NULL}, {NULL, NULL}};

/* json_prune of text by keep, dumped compactly with sorted keys ("" on error, *ret_r set). */
static char *pruned(const char *text, const struct prune_rule *keep, int *ret_r)
{
    json_t *j = NULL;
    struct kerr err = {0};
    int r = json_prune(text, strlen(text), keep, &j, &err);
    *ret_r = r;
    if (r < 0) {
        assert_true(err.msg[0] != '\0');
        return strdup("");
    }
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(j);
    return s;
}

static void test_keeps_only_the_rule(void **state)
{
    const char *in =
        "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"7\",\"continue\":\"x\"},"
        "\"items\":[{\"metadata\":{\"name\":\"p\",\"annotations\":{\"big\":\""
        "xxxxxxxx"
        "\"},\"labels\":{\"a\":\"b\"}},\"spec\":{\"volumes\":[{\"x\":[1,2,[3,{\"y\":null}]]}],"
        "\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"securityContext\":{\"runAsUser\":0,"
        "\"seccompProfile\":{\"type\":\"Localhost\",\"localhostProfile\":\"kscmp/a/b.json\"}}},"
        "{\"name\":\"d\"}]},\"status\":{\"phase\":\"Running\"}}]}";
    int r;
    _cleanup_free_ char *out = pruned(in, list, &r);
    assert_int_equal(r, 0);
    assert_string_equal(
        out, "{\"items\":[{\"metadata\":{\"labels\":{\"a\":\"b\"},\"name\":\"p\"},\"spec\":"
             "{\"containers\":[{\"name\":\"c\",\"securityContext\":{\"seccompProfile\":{"
             "\"localhostProfile\":\"kscmp/a/b.json\",\"type\":\"Localhost\"}}},{\"name\":\"d\"}"
             "]}}],\"metadata\":{\"continue\":\"x\",\"resourceVersion\":\"7\"}}");
}

static void test_keep_all_and_scalars(void **state)
{
    int r;
    _cleanup_free_ char *a = pruned(" [1, \"x\", {\"a\": true}] ", NULL, &r);
    assert_int_equal(r, 0);
    assert_string_equal(a, "[1,\"x\",{\"a\":true}]");
    /* A kept key whose value is not an object: kept as it is. */
    _cleanup_free_ char *b =
        pruned("{\"metadata\": \"odd\", \"spec\": [1, {\"containers\": 5}]}", pod, &r);
    assert_int_equal(r, 0);
    assert_string_equal(b, "{\"metadata\":\"odd\",\"spec\":[1,{\"containers\":5}]}");
    /* A key written with escapes is still the key. */
    _cleanup_free_ char *c = pruned("{\"meta\\u0064ata\": {\"name\": \"n\\\"q\"}}", pod, &r);
    assert_int_equal(r, 0);
    assert_string_equal(c, "{\"metadata\":{\"name\":\"n\\\"q\"}}");
    _cleanup_free_ char *d = pruned("{}", pod, &r);
    assert_int_equal(r, 0);
    assert_string_equal(d, "{}");
}

static const struct {
    const char *in;
    int want;
} bad[] = {
    {"", -EINVAL},
    {"   ", -EINVAL},
    {"{", -EINVAL},
    {"{\"metadata\":", -EINVAL},
    {"{\"skipped\": [1, 2}", -EINVAL},
    {"{\"skipped\": {\"a\" 1}}", -EINVAL},
    {"{\"skipped\": {1: 2}}", -EINVAL},
    {"{\"skipped\": [1,]}", -EINVAL},
    {"{\"skipped\": \"unterminated}", -EINVAL},
    {"{\"skipped\": \"bad \\q escape\"}", -EINVAL},
    {"{\"skipped\": \"bad \\u12G4 escape\"}", -EINVAL},
    {"{\"skipped\": \"raw\ncontrol\"}", -EINVAL},
    {"{\"skipped\": tru}", -EINVAL},
    {"{\"skipped\": -}", -EINVAL},
    {"{\"metadata\": {\"name\": 01x}}", -EINVAL}, /* a kept value jansson refuses */
    {"{\"metadata\": {\"name\": \"\\ud800\"}}", -EINVAL},
    {"{\"a\": 1} x", -EINVAL},
    {"{\"a\": 1}}", -EINVAL},
    {"{\"a\": 1,}", -EINVAL},
    {"[1 2]", -EINVAL},
    {"{\"metadata\" {\"name\": 1}}", -EINVAL},
    {"{\"metadata\": {\"name\": \"a\", \"name\": \"b\"}}", -EINVAL}, /* kept twice */
    {"{\"metadata\": {\"labels\": {\"a\": 1, \"a\": 2}}}", -EINVAL}, /* in a kept value */
};

static void test_malformed(void **state)
{
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        int r;
        _cleanup_free_ char *out = pruned(bad[i].in, pod, &r);
        if (r != bad[i].want)
            fail_msg("case %zu \"%s\": %d, want %d (%s)", i, bad[i].in, r, bad[i].want, out);
    }
}

static void test_depth(void **state)
{
    /* Nested deeper than the limit, in a skipped part and in a kept array: refused. */
    size_t n = JSON_PRUNE_MAX_DEPTH + 8;
    char *deep = malloc(2 * n + 32);
    assert_non_null(deep);
    strcpy(deep, "{\"skipped\":");
    size_t at = strlen(deep);
    memset(deep + at, '[', n);
    memset(deep + at + n, ']', n);
    strcpy(deep + at + 2 * n, "}");
    json_t *j = NULL;
    struct kerr err = {0};
    assert_int_equal(json_prune(deep, strlen(deep), pod, &j, &err), -E2BIG);
    memcpy(deep, "{\"spec\"   :", 11);
    assert_int_equal(json_prune(deep, strlen(deep), pod, &j, &err), -E2BIG);
    assert_null(j);
    free(deep);
    /* Just within: fine. */
    char ok[64];
    strcpy(ok, "{\"skipped\":[[[[[[[[]]]]]]]]}");
    assert_int_equal(json_prune(ok, strlen(ok), pod, &j, &err), 0);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keeps_only_the_rule),
        cmocka_unit_test(test_keep_all_and_scalars),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
