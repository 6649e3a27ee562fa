/* test_guardrails.c - ceilings (contract 3.6), architectures merged as an intersection
 * (3.1-3.3), and what explain says of both: where the architectures come from, which ceiling
 * imposed a block; names the store cannot write refused up front.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "engine_fixture.h"

/* ---- what a sync says about one file ------------------------------------------------------ */

struct seen {
    enum file_action action;
    char *json;
    char *explain;
    char *why;
    char events[4096]; /* "pod reason: message\n" lines */
};

static int seen_file(const struct file_result *r, void *userdata)
{
    struct seen *s = userdata;
    s->action = r->action;
    if (r->action == FILE_WRITE) {
        s->json = strndup(r->json, r->len);
        assert_non_null(r->prof);
    } else
        s->why = strdup(r->why);
    return 0;
}

static int seen_event(const struct engine_event *ev, void *userdata)
{
    struct seen *s = userdata;
    size_t off = strlen(s->events);
    snprintf(s->events + off, sizeof(s->events) - off, "%s/%s %s: %s\n", ev->pod->ns, ev->pod->name,
             ev->reason, ev->message);
    return 0;
}

struct explain_ctx {
    struct seen *s;
    struct engine *e;
};

static int seen_file_explain(const struct file_result *r, void *userdata)
{
    struct explain_ctx *c = userdata;
    if (r->action == FILE_WRITE)
        assert_int_equal(profile_explain(r->prof, engine_sysdb(c->e), &c->s->explain), 0);
    return seen_file(r, c->s);
}

static int seen_event_explain(const struct engine_event *ev, void *userdata)
{
    struct explain_ctx *c = userdata;
    return seen_event(ev, c->s);
}

/* Computes rel in e (with the explain text of a written profile). */
static struct seen compute(struct engine *e, const char *rel)
{
    struct seen s = {0};
    struct explain_ctx c = {&s, e};
    struct sync_ops ops = {seen_file_explain, seen_event_explain, &c};
    assert_int_equal(engine_compute_file(e, rel, &ops), 0);
    return s;
}

static void seen_free(struct seen *s)
{
    free(s->json);
    free(s->explain);
    free(s->why);
}

/* The explain line of sys ("bpf   SCMP_ACT_ERRNO(EPERM)   ceiling guard ...") must hold
 * want. */
static void explain_says(const char *text, const char *sys, const char *want)
{
    char key[64];
    snprintf(key, sizeof(key), "\n%s ", sys);
    const char *line = strstr(text, key);
    if (!line && strncmp(text, key + 1, strlen(key + 1)) == 0)
        line = text - 1;
    if (!line)
        fail_msg("explain has no line for %s:\n%s", sys, text);
    const char *end = strchr(line + 1, '\n');
    size_t len = end ? (size_t)(end - line - 1) : strlen(line + 1);
    char buf[512];
    snprintf(buf, sizeof(buf), "%.*s", (int)len, line + 1);
    if (!strstr(buf, want))
        fail_msg("explain line \"%s\" lacks \"%s\"", buf, want);
}

/* ---- 3.6 ceilings -------------------------------------------------------------------------- */

#define GUARD(extra)                                                                               \
    CPOL("guard",                                                                                  \
         "  selector: {}\n  ceiling: true\n" extra                                                 \
         "  seccomp: {syscalls: [read, write, exit_group, futex, mkdir], action: Allow}\n")
#define WEB POD("demo", "web-1", "{app: web}", "kscmp/demo/web.json")
#define WEB_POLICY                                                                                 \
    POL("web", "  selector: {matchLabels: {app: web}}\n"                                           \
               "  seccomp: {syscalls: [read, bpf, ptrace], action: Allow}\n")

/* Vector 31: a ceiling's allow-list is the most a pod gets; explain names the ceiling. */
static void test_ceiling_caps_allow_lists(void **state)
{
    (void)state;
    struct engine *e = engine_for("x86_64", OBJS(GUARD(""), WEB_POLICY, WEB));
    struct seen s = compute(e, "demo/web.json");
    assert_int_equal(s.action, FILE_WRITE);
    json_t *root = parse_profile(s.json, strlen(s.json));
    struct expect ex[] = {{"read", "ALLOW"},       {"bpf", "ERRNO(1)"}, {"ptrace", "ERRNO(1)"},
                          {"mkdir", "ALLOW"},      {"write", "ALLOW"},  {"futex", "ALLOW"},
                          {"exit_group", "ALLOW"}, {"reboot", "-"},     {NULL}};
    check_expect(root, "ceiling", "ERRNO(1)", ex);
    json_decref(root);
    explain_says(s.explain, "bpf", "ceiling guard (default of an allow-list)");
    explain_says(s.explain, "ptrace", "ceiling guard");
    seen_free(&s);

    /* Without the ceiling flag, the same cluster allow-list has no say on bpf (3.2). */
    load(e, OBJS(CPOL("guard", "  selector: {}\n"
                               "  seccomp: {syscalls: [read, write, exit_group, futex, mkdir], "
                               "action: Allow}\n")));
    s = compute(e, "demo/web.json");
    root = parse_profile(s.json, strlen(s.json));
    assert_string_equal(eff(root, "bpf").s, "ALLOW");
    assert_string_equal(eff(root, "ptrace").s, "ALLOW");
    json_decref(root);
    seen_free(&s);
    engine_free(e);
}

/* A Namespace the source takes as unknown (engine_namespace_unknown(): two definitions with
 * other labels) holds the file of a pod that a label-reading guardrail may reach, and its reason
 * is in the Event; engine_namespace_why() gives that reason until the Namespace is put or
 * deleted, and the last reason given wins (the local source asks it instead of keeping a set). */
static void test_namespace_unknown_why(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64",
        OBJS(NS("prod", "{env: prod}"), GUARD("  namespaceSelector: {matchLabels: {env: prod}}\n"),
             NSPOL("prod", "web", "  seccomp: {syscalls: [read, bpf], action: Allow}\n"),
             POD("prod", "p", "{app: web}", "kscmp/prod/web.json")));
    assert_null(engine_namespace_why(e, "prod"));
    assert_int_equal(engine_namespace_unknown(e, "prod", "first reason"), 0);
    assert_int_equal(engine_namespace_unknown(e, "prod", "second reason"), 0);
    assert_string_equal(engine_namespace_why(e, "prod"), "second reason");
    assert_null(engine_get_namespace(e, "prod"));
    struct seen s = compute(e, "prod/web.json");
    assert_int_equal(s.action, FILE_KEEP);
    assert_non_null(strstr(s.events, "NamespaceUnknown"));
    assert_non_null(strstr(s.events, "which are not known: second reason"));
    seen_free(&s);
    load_text(e, NS("prod", "{env: prod}"));
    assert_null(engine_namespace_why(e, "prod"));
    s = compute(e, "prod/web.json");
    assert_int_equal(s.action, FILE_WRITE);
    json_t *root = parse_profile(s.json, strlen(s.json));
    assert_string_equal(eff(root, "bpf").s, "ERRNO(1)"); /* the guard reaches it again */
    json_decref(root);
    seen_free(&s);
    assert_int_equal(engine_namespace_unknown(e, "prod", "third reason"), 0);
    assert_int_equal(engine_delete_namespace(e, "prod"), -ENOENT); /* not held: unknown */
    assert_null(engine_namespace_why(e, "prod"));
    engine_free(e);
}

/* A ceiling only caps the pods it selects; a block-list ceiling caps nothing it does not
 * block; what it names itself wins by deny-wins as usual. */
static void test_ceiling_scope(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64",
        OBJS(NS("prod", "{env: prod}"), NS("dev", "{env: dev}"),
             GUARD("  namespaceSelector: {matchLabels: {env: prod}}\n"),
             NSPOL("prod", "web", "  seccomp: {syscalls: [read, bpf], action: Allow}\n"),
             NSPOL("dev", "web", "  seccomp: {syscalls: [read, bpf], action: Allow}\n"),
             POD("prod", "p", "{app: web}", "kscmp/prod/web.json"),
             POD("dev", "d", "{app: web}", "kscmp/dev/web.json"),
             CPOL("noptrace", "  selector: {}\n  ceiling: true\n"
                              "  seccomp: {syscalls: [ptrace], action: Block, errno: EACCES}\n")));
    struct seen s = compute(e, "prod/web.json");
    json_t *root = parse_profile(s.json, strlen(s.json));
    assert_string_equal(eff(root, "bpf").s, "ERRNO(1)"); /* capped in prod */
    assert_string_equal(eff(root, "read").s, "ALLOW");
    /* Both ceilings block ptrace: ties on Block go to the lowest errno (3.2). */
    assert_string_equal(eff(root, "ptrace").s, "ERRNO(1)");
    json_decref(root);
    seen_free(&s);
    s = compute(e, "dev/web.json");
    root = parse_profile(s.json, strlen(s.json));
    assert_string_equal(eff(root, "bpf").s, "ALLOW"); /* the guard does not select dev */
    /* The block-list ceiling (default Allow) leaves everything else as the policies say. */
    assert_string_equal(eff(root, "read").s, "ALLOW");
    assert_string_equal(default_of(root).s, "ERRNO(1)");
    assert_string_equal(eff(root, "ptrace").s, "ERRNO(13)");
    json_decref(root);
    seen_free(&s);
    engine_free(e);
}

/* A block-list ceiling that blocks a syscall only under a condition does not open the rest
 * of it for a pod whose allow-list does not name it (its default Allow is no allow). */
static void test_ceiling_conditional_block(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64", OBJS(CPOL("noattach", "  selector: {}\n  ceiling: true\n"
                                        "  rules:\n"
                                        "  - {syscalls: [ptrace], action: Kill, args: [{index: 0, "
                                        "value: 16, op: EQ}]}\n"),
                       POL("web", "  selector: {matchLabels: {app: web}}\n"
                                  "  seccomp: {syscalls: [read, write], action: Allow}\n"),
                       WEB));
    struct seen s = compute(e, "demo/web.json");
    assert_int_equal(s.action, FILE_WRITE);
    json_t *root = parse_profile(s.json, strlen(s.json));
    assert_string_equal(eval1(root, "ptrace", 16).s, "KILL_PROCESS");
    assert_string_equal(eval1(root, "ptrace", 0).s, "ERRNO(1)");
    assert_string_equal(eval1(root, "read", 0).s, "ALLOW");
    json_decref(root);
    seen_free(&s);
    engine_free(e);
}

/* A ceiling is a ClusterSeccompPolicy of its own: a policy extending it is no ceiling. */
static void test_ceiling_not_inherited(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64", OBJS(CPOL("guard", "  ceiling: true\n"
                                     "  seccomp: {syscalls: [read, write], action: Allow}\n"),
                       POL("web", "  selector: {}\n  extends: ClusterSeccompPolicy/guard\n"
                                  "  seccomp: {syscalls: [futex], action: Allow}\n"),
                       POL("other", "  selector: {}\n"
                                    "  seccomp: {syscalls: [bpf], action: Allow}\n"),
                       WEB));
    /* guard selects nothing (no selector); web extends it but has no say on bpf. */
    struct seen s = compute(e, "demo/web.json");
    json_t *root = parse_profile(s.json, strlen(s.json));
    assert_string_equal(eff(root, "bpf").s, "ALLOW");
    assert_string_equal(eff(root, "futex").s, "ALLOW");
    json_decref(root);
    seen_free(&s);
    engine_free(e);
}

static bool exempt_mkdir(uint32_t sys, void *userdata)
{
    return sys == *(uint32_t *)userdata;
}

/* For the start-up syscalls (3.5) a ceiling counts only where it names them: the merge takes a
 * set of syscalls on which a ceiling has no say through its default. */
static void test_ceiling_exempt_set(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64",
        OBJS(CPOL("guard", "  ceiling: true\n  seccomp: {syscalls: [read], action: Allow}\n"),
             POL("web", "  seccomp: {syscalls: [read, mkdir, execve], action: Allow}\n")));
    struct policy_result g, w;
    assert_int_equal(engine_policy_result(e, engine_get_policy(e, PK_CLUSTER, NULL, "guard"), &g),
                     0);
    assert_int_equal(engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "web"), &w),
                     0);
    assert_true(g.prof->ceiling);
    assert_false(w.prof->ceiling);
    const struct cprof *in[] = {g.prof, w.prof};
    uint32_t mkdir_id;
    assert_int_equal(sysdb_lookup(engine_sysdb(e), "mkdir", &mkdir_id), 0);
    struct merge_opts o = {.ceiling_exempt = exempt_mkdir, .userdata = &mkdir_id};
    struct cprof *m = NULL;
    assert_int_equal(profile_merge_opts(in, 2, &o, &m), 0);
    json_t *root = render(m, e);
    assert_string_equal(eff(root, "mkdir").s, "ALLOW");     /* exempt: the ceiling is silent */
    assert_string_equal(eff(root, "execve").s, "ERRNO(1)"); /* not exempt: capped */
    assert_string_equal(eff(root, "read").s, "ALLOW");
    json_decref(root);
    cprof_free(m);
    engine_free(e);
}

/* ---- 3.1-3.3 architectures ----------------------------------------------------------------- */

/* Vector 26 and its explain; none in common: ProfileConflict and no file. */
static void test_arch_intersection(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64",
        OBJS(POL("a", "  selector: {matchLabels: {app: web}}\n"
                      "  seccomp: {arch: [x86_64], syscalls: [read, exit_group], action: Allow}\n"),
             POL("b", "  selector: {matchLabels: {app: web}}\n"
                      "  seccomp: {syscalls: [write], action: Allow}\n"),
             WEB));
    struct seen s = compute(e, "demo/web.json");
    assert_int_equal(s.action, FILE_WRITE);
    json_t *root = parse_profile(s.json, strlen(s.json));
    char arches[256];
    arches_of(root, arches, sizeof(arches));
    assert_string_equal(arches, "SCMP_ARCH_X86_64");
    json_decref(root);
    assert_non_null(strstr(s.explain,
                           "architectures: x86_64   common to: demo/a spec.seccomp.arch "
                           "(x86_64); demo/b (no arch: the node's) (x86_64, x86, x32)\n"));
    assert_string_equal(s.events, "");
    seen_free(&s);

    /* b now lists aarch64 only: nothing in common. */
    load(e, OBJS(POL("b", "  selector: {matchLabels: {app: web}}\n"
                          "  seccomp: {arch: [aarch64], syscalls: [write], action: Allow}\n")));
    s = compute(e, "demo/web.json");
    assert_int_equal(s.action, FILE_REMOVE);
    assert_string_equal(s.why, "the policies that contribute to it have no architecture in common");
    assert_string_equal(s.events,
                        "demo/web-1 ProfileConflict: the policies that contribute to "
                        "kscmp/demo/web.json have no architecture in common: demo/a (x86_64), "
                        "demo/b (aarch64); nothing is written\n");
    seen_free(&s);
    engine_free(e);
}

/* One policy's explain: its own arch field, or the node's; a parent's is inherited. */
static void test_arch_origins(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64",
        OBJS(POL("base", "  rules:\n  - {arch: [x86_64, x86], syscalls: [read], action: Allow}\n"),
             POL("child", "  extends: base\n"
                          "  seccomp: {syscalls: [write], action: Allow}\n"),
             POL("plain", "  seccomp: {syscalls: [mkdir], action: Block}\n")));
    static const struct {
        const char *name, *line;
    } cases[] = {
        {"base", "architectures: x86_64, x86   demo/base spec.rules[0].arch\n"},
        {"child", "architectures: x86_64, x86   demo/base spec.rules[0].arch\n"},
        {"plain", "architectures: x86_64, x86, x32   demo/plain (no arch: the node's)\n"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct policy_result r;
        assert_int_equal(
            engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", cases[i].name), &r), 0);
        char *text = NULL;
        assert_int_equal(profile_explain(r.prof, engine_sysdb(e), &text), 0);
        if (strncmp(text, cases[i].line, strlen(cases[i].line)) != 0)
            fail_msg("%s: explain starts\n%.200s\nwant\n%s", cases[i].name, text, cases[i].line);
        free(text);
    }
    /* The default's origin reads as English: "a block-list", "an allow-list". */
    struct policy_result r;
    assert_int_equal(engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "plain"), &r),
                     0);
    char *text = NULL;
    assert_int_equal(profile_explain(r.prof, engine_sysdb(e), &text), 0);
    assert_non_null(strstr(text, "demo/plain (default of a block-list)"));
    free(text);
    assert_int_equal(engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "base"), &r),
                     0);
    assert_int_equal(profile_explain(r.prof, engine_sysdb(e), &text), 0);
    assert_non_null(strstr(text, "demo/base (default of an allow-list)"));
    free(text);
    engine_free(e);
}

/* A shared file whose pods get disjoint architectures: nothing is written. */
static void test_arch_shared_file(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64", OBJS(POL("a", "  selector: {matchLabels: {app: a}}\n"
                                "  seccomp: {arch: [x86_64], syscalls: [read], action: Allow}\n"),
                       POL("b", "  selector: {matchLabels: {app: b}}\n"
                                "  seccomp: {arch: [x86], syscalls: [read], action: Allow}\n"),
                       POD("demo", "pa", "{app: a}", "kscmp/demo/shared.json"),
                       POD("demo", "pb", "{app: b}", "kscmp/demo/shared.json")));
    struct seen s = compute(e, "demo/shared.json");
    assert_int_equal(s.action, FILE_REMOVE);
    assert_non_null(strstr(s.events, "demo/pa ProfileConflict: pods sharing kscmp/demo/shared.json "
                                     "get profiles with no architecture in common"));
    assert_non_null(strstr(s.events, "demo/pb ProfileConflict"));
    seen_free(&s);
    engine_free(e);
}

/* ---- issue 15 item 6: names the store cannot write -------------------------------------- */

/* A DNS-1123 subdomain of exactly len characters: labels of 63 joined by dots. */
static void long_name(char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (i % 64 == 63) ? '.' : (char)('a' + i % 26);
    if (buf[len - 1] == '.')
        buf[len - 1] = 'z';
    buf[len] = '\0';
}

/* A pod may reference a profile NAME of up to 250 characters (NAME.json fills a 255-byte file
 * name); 251 to 253, still valid Kubernetes names, are refused up front with a clear reason, so
 * that the store is never asked for a file it cannot make. */
static void test_profile_name_length(void **state)
{
    (void)state;
    for (size_t len = 250; len <= 253; len++) {
        char name[300], yaml[2048];
        long_name(name, len);
        assert_true(dns_subdomain_valid(name));
        snprintf(yaml, sizeof(yaml),
                 "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: %s, namespace: "
                 "demo}\nspec:\n  seccomp: {syscalls: [read], action: Allow}\n---\n"
                 "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: demo}\nspec:\n"
                 "  securityContext:\n    seccompProfile: {type: Localhost, localhostProfile: "
                 "kscmp/demo/%s.json}\n  containers:\n  - {name: main, image: busybox}\n",
                 name, name);
        struct engine *e = engine_for("x86_64", OBJS(yaml));
        const char **files = NULL;
        size_t n = 0;
        assert_int_equal(engine_list_files(e, &files, &n), 0);
        free(files);
        struct seen s = {0};
        struct sync_ops ops = {seen_file, seen_event, &s};
        assert_int_equal(engine_sync(e, &ops), 0);
        if (len <= PROFILE_NAME_MAX) {
            assert_int_equal(n, 1);
            assert_int_equal(s.action, FILE_WRITE);
            assert_string_equal(s.events, "");
        } else {
            assert_int_equal(n, 0); /* no file to write, none to retry */
            assert_null(s.json);
            char want[1024];
            snprintf(want, sizeof(want),
                     "demo/p ProfileRefused: localhostProfile \"kscmp/demo/%s.json\" is refused: "
                     "NAME is %zu characters long, and the file NAME.json must fit in a file name "
                     "of 255 bytes: at most 250 characters\n",
                     name, len);
            assert_string_equal(s.events, want);
        }
        seen_free(&s);
        engine_free(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ceiling_caps_allow_lists),
        cmocka_unit_test(test_ceiling_scope),
        cmocka_unit_test(test_ceiling_conditional_block),
        cmocka_unit_test(test_ceiling_not_inherited),
        cmocka_unit_test(test_ceiling_exempt_set),
        cmocka_unit_test(test_arch_intersection),
        cmocka_unit_test(test_arch_origins),
        cmocka_unit_test(test_arch_shared_file),
        cmocka_unit_test(test_profile_name_length),
        cmocka_unit_test(test_namespace_unknown_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
