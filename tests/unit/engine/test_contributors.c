/* test_contributors.c - engine_contributors(), what `kubectl kscmp explain pod` lists: the
 * policies that contribute to a pod's file and why (contract section 2): the namespace
 * policy named after the file, namespace policies whose selector matches the pod (KubeArmor's
 * kind too), cluster policies whose selectors match the pod and its namespace, and an invalid
 * policy that reached the pod in its last good version (the file keeps its last profile).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine_fixture.h"

/* "why:KIND:name" of each contributor of pod demo/NAME's file FILE, space separated. */
static void contributors_text(struct engine *e, const char *pod, const char *file, char *buf,
                              size_t len)
{
    const struct pod *p = engine_get_pod(e, "demo", pod);
    assert_non_null(p);
    struct contributor *v = NULL;
    size_t n = 0;
    assert_int_equal(engine_contributors(e, p, file, &v, &n), 0);
    static const char *const why[] = {"name", "selector", "cluster", "held"};
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s:%s:%s", i ? " " : "", why[v[i].why],
                                policy_kind_name(v[i].policy->kind), v[i].policy->name);
    free(v);
}

static void test_reasons(void **state)
{
    struct engine *e = engine_for(
        "x86_64",
        OBJS(NS("demo", "{env: prod}"), NS("other", "{}"),
             POL("web", "  seccomp: {syscalls: [read], action: Allow}\n"),
             POL("net", "  selector: {matchLabels: {app: web}}\n"
                        "  seccomp: {syscalls: [socket], action: Allow}\n"),
             POL("unrelated", "  selector: {matchLabels: {app: db}}\n"
                              "  seccomp: {syscalls: [socket], action: Allow}\n"),
             KSP("ka", "  selector: {matchLabels: {app: web}}\n"
                       "  seccomp: {syscalls: [write], action: Allow}\n"),
             CPOL("prod", "  selector: {}\n  namespaceSelector: {matchLabels: {env: prod}}\n"
                          "  seccomp: {syscalls: [ptrace], action: Block}\n"),
             CPOL("dev", "  selector: {}\n  namespaceSelector: {matchLabels: {env: dev}}\n"
                         "  seccomp: {syscalls: [bpf], action: Block}\n"),
             NSPOL("other", "web", "  seccomp: {syscalls: [mkdir], action: Allow}\n"),
             POD("demo", "web-1", "{app: web}", "kscmp/demo/web.json"),
             POD("demo", "db-1", "{app: db}", "kscmp/demo/web.json")));
    char buf[512];
    contributors_text(e, "web-1", "web", buf, sizeof(buf));
    assert_string_equal(buf, "cluster:ClusterSeccompPolicy:prod selector:KubeArmorSeccompPolicy:ka "
                             "selector:SeccompPolicy:net name:SeccompPolicy:web");
    contributors_text(e, "db-1", "web", buf, sizeof(buf));
    assert_string_equal(buf, "cluster:ClusterSeccompPolicy:prod "
                             "selector:SeccompPolicy:unrelated name:SeccompPolicy:web");
    /* Another file name: the policy named web no longer contributes by name. */
    contributors_text(e, "db-1", "other", buf, sizeof(buf));
    assert_string_equal(buf, "cluster:ClusterSeccompPolicy:prod selector:SeccompPolicy:unrelated");
    engine_free(e);
}

/* A policy that stops selecting the pod while invalid still holds its file. */
static void test_held(void **state)
{
    struct engine *e =
        engine_for("x86_64", OBJS(NS("demo", "{}"),
                                  POL("sel", "  selector: {matchLabels: {app: web}}\n"
                                             "  seccomp: {syscalls: [read], action: Allow}\n"),
                                  POD("demo", "web-1", "{app: web}", "kscmp/demo/f.json")));
    assert_int_equal(engine_sync(e, &(struct sync_ops){0}), 0);
    char buf[512];
    contributors_text(e, "web-1", "f", buf, sizeof(buf));
    assert_string_equal(buf, "selector:SeccompPolicy:sel");
    /* Edited: a typo, and a selector that no longer matches. */
    load_text(e, POL("sel", "  selector: {matchLabels: {app: db}}\n"
                            "  seccomp: {syscalls: [reed], action: Allow}\n"));
    contributors_text(e, "web-1", "f", buf, sizeof(buf));
    assert_string_equal(buf, "held:SeccompPolicy:sel");
    /* Fixed: valid again, and it selects other pods only. */
    load_text(e, POL("sel", "  selector: {matchLabels: {app: db}}\n"
                            "  seccomp: {syscalls: [read], action: Allow}\n"));
    contributors_text(e, "web-1", "f", buf, sizeof(buf));
    assert_string_equal(buf, "");
    engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
