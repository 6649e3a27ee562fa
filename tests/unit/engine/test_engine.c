/* test_engine.c - the policy engine through engine_sync(): which pods get which file (contract
 * section 2), merges kept up to date incrementally (3.2), inheritance trees (3.3), invalid
 * policies (3.4), and determinism.
 *
 * A struct sync_ops records every file result and Event of one sync; the tests look at what
 * was reported (and what was not: incrementality), and read written profiles structurally.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "engine_fixture.h"

/* ---- recording what a sync reports ------------------------------------------------------- */

struct rfile {
    char *rel;
    enum file_action action;
    char *json; /* FILE_WRITE */
    size_t len;
    char *why;
    size_t npods;
    uint32_t *inexact; /* FILE_WRITE: the file result's, copied */
    size_t ninexact;
};

struct revent {
    char *pod; /* "ns/name" */
    char *reason;
    char *message;
    bool normal;
};

struct rec {
    struct rfile *f;
    size_t nf;
    struct revent *ev;
    size_t nev;
    /* When set, the engine's: each written file's inexact syscalls are checked against what
     * profile_inexact() finds in its profile. */
    const struct sysdb *db;
};

static void rec_clear(struct rec *r)
{
    for (size_t i = 0; i < r->nf; i++) {
        free(r->f[i].rel);
        free(r->f[i].json);
        free(r->f[i].why);
        free(r->f[i].inexact);
    }
    for (size_t i = 0; i < r->nev; i++) {
        free(r->ev[i].pod);
        free(r->ev[i].reason);
        free(r->ev[i].message);
    }
    free(r->f);
    free(r->ev);
    *r = (struct rec){0};
}

static int rec_file_cb(const struct file_result *res, void *userdata)
{
    struct rec *r = userdata;
    struct rfile *v = realloc(r->f, (r->nf + 1) * sizeof(*v));
    assert_non_null(v);
    r->f = v;
    struct rfile *f = &r->f[r->nf++];
    *f = (struct rfile){.rel = strdup(res->rel), .action = res->action, .npods = res->npods};
    if (res->action == FILE_WRITE) {
        assert_non_null(res->json);
        assert_non_null(res->prof);
        f->json = strndup(res->json, res->len);
        f->len = res->len;
        json_decref(parse_profile(f->json, f->len)); /* the invariants of every profile */
        if (r->db) {
            _cleanup_free_ uint32_t *sys = NULL;
            size_t n = 0;
            assert_int_equal(profile_inexact(res->prof, r->db, &sys, &n), 0);
            assert_int_equal(res->ninexact, n);
            if (n)
                assert_memory_equal(res->inexact, sys, n * sizeof(*sys));
        }
        if (res->ninexact) {
            f->inexact = malloc(res->ninexact * sizeof(*f->inexact));
            assert_non_null(f->inexact);
            memcpy(f->inexact, res->inexact, res->ninexact * sizeof(*f->inexact));
            f->ninexact = res->ninexact;
        }
    } else {
        assert_non_null(res->why);
        f->why = strdup(res->why);
        assert_null(res->inexact);
        assert_int_equal(res->ninexact, 0);
    }
    for (size_t i = 0; i < res->npods; i++)
        assert_non_null(res->pods[i]);
    return 0;
}

static int rec_event_cb(const struct engine_event *ev, void *userdata)
{
    struct rec *r = userdata;
    struct revent *v = realloc(r->ev, (r->nev + 1) * sizeof(*v));
    assert_non_null(v);
    r->ev = v;
    struct revent *e = &r->ev[r->nev++];
    assert_non_null(ev->pod);
    assert_non_null(ev->message);
    /* engine_pod_event_now() answers only for the reasons listed. */
    assert_true(engine_gives_reason(ev->reason));
    if (asprintf(&e->pod, "%s/%s", ev->pod->ns, ev->pod->name) < 0)
        fail();
    e->reason = strdup(ev->reason);
    e->message = strdup(ev->message);
    e->normal = ev->normal;
    /* Only ClusterPoliciesOnly is a Normal Event. */
    assert_int_equal(ev->normal, strcmp(ev->reason, "ClusterPoliciesOnly") == 0);
    return 0;
}

/* Syncs e, recording into r (cleared first). */
static void sync_rec(struct engine *e, struct rec *r)
{
    rec_clear(r);
    r->db = engine_sysdb(e);
    struct sync_ops ops = {rec_file_cb, rec_event_cb, r};
    assert_int_equal(engine_sync(e, &ops), 0);
    /* A sync reports each file at most once, in sorted order. */
    for (size_t i = 1; i < r->nf; i++)
        if (strcmp(r->f[i - 1].rel, r->f[i].rel) >= 0)
            fail_msg("files reported out of order or twice: %s, %s", r->f[i - 1].rel, r->f[i].rel);
}

static const struct rfile *rec_file(const struct rec *r, const char *rel)
{
    for (size_t i = 0; i < r->nf; i++)
        if (strcmp(r->f[i].rel, rel) == 0)
            return &r->f[i];
    return NULL;
}

/* The result for rel, which must have been reported with action. */
static const struct rfile *want_file(const struct rec *r, const char *rel, enum file_action action)
{
    const struct rfile *f = rec_file(r, rel);
    if (!f)
        fail_msg("%s was not reported", rel);
    static const char *const names[] = {"FILE_WRITE", "FILE_KEEP", "FILE_REMOVE"};
    if (f->action != action)
        fail_msg("%s: %s (%s), want %s", rel, names[f->action], f->why ? f->why : "",
                 names[action]);
    return f;
}

/* Parses the profile written for rel (caller decrefs). */
static json_t *written(const struct rec *r, const char *rel)
{
    const struct rfile *f = want_file(r, rel, FILE_WRITE);
    return parse_profile(f->json, f->len);
}

/* How many events with reason the pod ("ns/name") got; reason NULL counts all. */
static size_t events_of(const struct rec *r, const char *pod, const char *reason)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nev; i++)
        if ((!pod || strcmp(r->ev[i].pod, pod) == 0) &&
            (!reason || strcmp(r->ev[i].reason, reason) == 0))
            n++;
    return n;
}

static const struct revent *event_of(const struct rec *r, const char *pod, const char *reason)
{
    for (size_t i = 0; i < r->nev; i++)
        if (strcmp(r->ev[i].pod, pod) == 0 && strcmp(r->ev[i].reason, reason) == 0)
            return &r->ev[i];
    fail_msg("no %s event for %s", reason, pod);
    return NULL;
}

/* The set of reported file names, space separated, for readable comparisons. */
static void rec_rels(const struct rec *r, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->nf && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", r->f[i].rel);
}

static void want_rels(const struct rec *r, const char *want)
{
    char got[2048];
    rec_rels(r, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("reported files \"%s\", want \"%s\"", got, want);
}

/* ---- 3.2 through the engine: the KubeArmor example, incrementally ------------------------ */

/* s1 = read, s2 = write, s3 = mkdir, s4 = getpid. */
#define KA_POLICY1                                                                                 \
    POL("policy1", "  selector: {matchLabels: {app: web}}\n"                                       \
                   "  seccomp: {syscalls: [read, write, getpid], action: Allow}\n"                 \
                   "  rules:\n"                                                                    \
                   "  - {syscalls: [mkdir], action: Block}\n")
#define KA_POLICY2                                                                                 \
    POL("policy2", "  selector: {matchLabels: {app: web}}\n"                                       \
                   "  seccomp: {syscalls: [read, mkdir], action: Allow}\n"                         \
                   "  rules:\n"                                                                    \
                   "  - {syscalls: [write], action: Block}\n")

static void test_kubearmor_example_incremental(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e =
        engine_for("x86_64", OBJS(KA_POLICY1, KA_POLICY2,
                                  POD("demo", "web-1", "{app: web}", "kscmp/demo/web.json")));
    sync_rec(e, &r);
    want_rels(&r, "demo/web.json");
    assert_int_equal(r.nev, 0);
    json_t *root = written(&r, "demo/web.json");
    struct expect merged[] = {{"read", "ALLOW"},
                              {"getpid", "ALLOW"},
                              {"write", "ERRNO(1)"},
                              {"mkdir", "ERRNO(1)"},
                              {NULL}};
    check_expect(root, "both", "ERRNO(1)", merged);
    json_decref(root);

    /* Nothing changed: nothing to report. */
    sync_rec(e, &r);
    assert_int_equal(r.nf, 0);
    assert_int_equal(r.nev, 0);

    /* Policy 2 deleted: recomputed from what is left. */
    assert_int_equal(engine_delete_policy(e, PK_POLICY, "demo", "policy2"), 0);
    assert_int_equal(engine_delete_policy(e, PK_POLICY, "demo", "policy2"), -ENOENT);
    sync_rec(e, &r);
    want_rels(&r, "demo/web.json");
    root = written(&r, "demo/web.json");
    struct expect after[] = {
        {"read", "ALLOW"}, {"write", "ALLOW"}, {"getpid", "ALLOW"}, {"mkdir", "ERRNO(1)"}, {NULL}};
    check_expect(root, "policy1 alone", "ERRNO(1)", after);
    json_decref(root);

    /* And back. */
    load(e, OBJS(KA_POLICY2));
    sync_rec(e, &r);
    root = written(&r, "demo/web.json");
    check_expect(root, "both again", "ERRNO(1)", merged);
    json_decref(root);

    rec_clear(&r);
    engine_free(e);
}

/* The same through the compatibility kind. */
static void test_kubearmor_kind(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e = engine_for(
        "x86_64", OBJS("apiVersion: security.kubearmor.com/v1\n"
                       "kind: KubeArmorSeccompPolicy\n"
                       "metadata: {name: ksp-wordpress-block-process, namespace: wordpress-mysql}\n"
                       "spec:\n"
                       "  severity: 3\n"
                       "  selector:\n"
                       "    matchLabels:\n"
                       "      app: wordpress\n"
                       "  seccomp:\n"
                       "    arch: [x86_64, x86, x32]\n"
                       "    syscalls: [accept4, epoll_wait, pselect6, futex, madvise]\n"
                       "    action: Allow\n",
                       POD("wordpress-mysql", "wordpress-0", "{app: wordpress}",
                           "kscmp/wordpress-mysql/wordpress.json")));
    sync_rec(e, &r);
    json_t *root = written(&r, "wordpress-mysql/wordpress.json");
    struct expect ex[] = {
        {"accept4", "ALLOW"}, {"futex", "ALLOW"}, {"madvise", "ALLOW"}, {"read", "-"}, {NULL}};
    check_expect(root, "kubearmor", "ERRNO(1)", ex);
    json_decref(root);
    rec_clear(&r);
    engine_free(e);
}

/* ---- section 2: which pods get which file ------------------------------------------------ */

#define MAX_FILES 4
#define MAX_EVENTS 4

struct file_want {
    const char *rel;
    enum file_action action;
    struct expect expect[6];
};

struct event_want {
    const char *pod;
    const char *reason;
};

struct contrib_case {
    const char *title;
    const char *const *yaml;
    struct file_want files[MAX_FILES]; /* every file reported, in order */
    struct event_want events[MAX_EVENTS];
};

static const struct contrib_case contrib_cases[] = {
    {"the policy named after the file, without a selector",
     OBJS(POL("web", "  seccomp: {syscalls: [read], action: Allow}\n"),
          POD("demo", "web-1", "{app: other}", "kscmp/demo/web.json"),
          POD("demo", "other-1", "{app: other}", "kscmp/demo/other.json")),
     {{"demo/other.json", FILE_REMOVE, {{NULL}}},
      {"demo/web.json", FILE_WRITE, {{"read", "ALLOW"}, {"write", "-"}, {NULL}}}},
     {{"demo/other-1", "NoPolicy"}}},
    {"the policy named after the file contributes whatever its selector says",
     OBJS(POL("web", "  selector: {matchLabels: {app: web}}\n"
                     "  seccomp: {syscalls: [read], action: Allow}\n"),
          POD("demo", "p", "{app: other}", "kscmp/demo/web.json")),
     {{"demo/web.json", FILE_WRITE, {{"read", "ALLOW"}, {NULL}}}},
     {{NULL}}},
    {"a selector that matches, and one that does not",
     OBJS(POL("sel", "  selector: {matchLabels: {app: a}}\n"
                     "  seccomp: {syscalls: [read], action: Allow}\n"),
          POD("demo", "pa", "{app: a}", "kscmp/demo/x.json"),
          POD("demo", "pb", "{app: b}", "kscmp/demo/y.json")),
     {{"demo/x.json", FILE_WRITE, {{"read", "ALLOW"}, {NULL}}},
      {"demo/y.json", FILE_REMOVE, {{NULL}}}},
     {{"demo/pb", "NoPolicy"}}},
    {"matchExpressions",
     OBJS(POL("in", "  selector:\n"
                    "    matchExpressions: [{key: tier, operator: In, values: [fe, be]}]\n"
                    "  seccomp: {syscalls: [mkdir], action: Block}\n"),
          POL("notin", "  selector:\n"
                       "    matchExpressions: [{key: tier, operator: NotIn, values: [fe]}]\n"
                       "  seccomp: {syscalls: [rmdir], action: Block}\n"),
          POL("exists", "  selector:\n"
                        "    matchExpressions: [{key: team, operator: Exists}]\n"
                        "  seccomp: {syscalls: [unlink], action: Block}\n"),
          POD("demo", "a", "{tier: fe, team: x}", "kscmp/demo/a.json"),
          POD("demo", "b", "{tier: be}", "kscmp/demo/b.json")),
     {{"demo/a.json",
       FILE_WRITE,
       {{"mkdir", "ERRNO(1)"}, {"rmdir", "-"}, {"unlink", "ERRNO(1)"}, {NULL}}},
      {"demo/b.json",
       FILE_WRITE,
       {{"mkdir", "ERRNO(1)"}, {"rmdir", "ERRNO(1)"}, {"unlink", "-"}, {NULL}}}},
     {{NULL}}},
    {"selector {} matches every pod of its namespace, and only there",
     OBJS(POL("all", "  selector: {}\n"
                     "  seccomp: {syscalls: [ptrace], action: Kill}\n"),
          POD("demo", "a", "{}", "kscmp/demo/a.json"),
          POD("demo", "b", "{app: b}", "kscmp/demo/b.json"),
          POD("other", "c", "{}", "kscmp/other/c.json")),
     {{"demo/a.json", FILE_WRITE, {{"ptrace", "KILL_PROCESS"}, {NULL}}},
      {"demo/b.json", FILE_WRITE, {{"ptrace", "KILL_PROCESS"}, {NULL}}},
      {"other/c.json", FILE_REMOVE, {{NULL}}}},
     {{"other/c", "NoPolicy"}}},
    {"named policy, selected policy and cluster policy merge",
     OBJS(POL("web", "  seccomp: {syscalls: [read, write, mkdir], action: Allow}\n"),
          POL("sel", "  selector: {matchLabels: {app: web}}\n"
                     "  seccomp: {syscalls: [write], action: Audit}\n"),
          CPOL("base", "  selector: {}\n"
                       "  seccomp: {syscalls: [mkdir], action: Block, errno: EACCES}\n"),
          POD("demo", "web-1", "{app: web}", "kscmp/demo/web.json")),
     {{"demo/web.json",
       FILE_WRITE,
       {{"read", "ALLOW"}, {"write", "LOG"}, {"mkdir", "ERRNO(13)"}, {NULL}}}},
     {{NULL}}},
    {"ClusterSeccompPolicy: namespaceSelector on the Namespace's labels",
     OBJS(CPOL("baseline", "  selector: {}\n"
                           "  namespaceSelector: {matchLabels: {env: prod}}\n"
                           "  seccomp: {syscalls: [ptrace, keyctl], action: Block}\n"),
          NSPOL("prod", "app", "  seccomp: {syscalls: [read, ptrace], action: Allow}\n"),
          NSPOL("dev", "app", "  seccomp: {syscalls: [read, ptrace], action: Allow}\n"),
          NS("prod", "{env: prod}"), NS("dev", "{}"), POD("prod", "p", "{}", "kscmp/prod/app.json"),
          POD("dev", "p", "{}", "kscmp/dev/app.json")),
     {{"dev/app.json", FILE_WRITE, {{"read", "ALLOW"}, {"ptrace", "ALLOW"}, {NULL}}},
      {"prod/app.json", FILE_WRITE, {{"read", "ALLOW"}, {"ptrace", "ERRNO(1)"}, {NULL}}}},
     {{NULL}}},
    {"ClusterSeccompPolicy: the automatic kubernetes.io/metadata.name label",
     OBJS(CPOL("devonly", "  selector: {}\n"
                          "  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}\n"
                          "  seccomp: {syscalls: [ptrace], action: Block}\n"),
          NSPOL("prod", "app", "  seccomp: {syscalls: [ptrace], action: Allow}\n"),
          NSPOL("dev", "app", "  seccomp: {syscalls: [ptrace], action: Allow}\n"),
          POD("prod", "p", "{}", "kscmp/prod/app.json"),
          POD("dev", "p", "{}", "kscmp/dev/app.json")),
     {{"dev/app.json", FILE_WRITE, {{"ptrace", "ERRNO(1)"}, {NULL}}},
      {"prod/app.json", FILE_WRITE, {{"ptrace", "ALLOW"}, {NULL}}}},
     {{NULL}}},
    {"ClusterSeccompPolicy: namespaceSelector matchExpressions NotIn",
     OBJS(CPOL("notprod", "  selector: {}\n"
                          "  namespaceSelector:\n"
                          "    matchExpressions: [{key: env, operator: NotIn, values: [prod]}]\n"
                          "  seccomp: {syscalls: [ptrace], action: Block}\n"),
          NSPOL("prod", "app", "  seccomp: {syscalls: [ptrace], action: Allow}\n"),
          NSPOL("dev", "app", "  seccomp: {syscalls: [ptrace], action: Allow}\n"),
          NS("prod", "{env: prod}"), NS("dev", "{}"), POD("prod", "p", "{}", "kscmp/prod/app.json"),
          POD("dev", "p", "{}", "kscmp/dev/app.json")),
     {{"dev/app.json", FILE_WRITE, {{"ptrace", "ERRNO(1)"}, {NULL}}},
      {"prod/app.json", FILE_WRITE, {{"ptrace", "ALLOW"}, {NULL}}}},
     {{NULL}}},
    {"ClusterSeccompPolicy: a namespaceSelector on labels, the pod's Namespace not known: held",
     OBJS(CPOL("baseline", "  selector: {}\n"
                           "  namespaceSelector: {matchLabels: {env: prod}}\n"
                           "  seccomp: {syscalls: [ptrace], action: Block}\n"),
          CPOL("other", "  selector: {matchLabels: {app: x}}\n"
                        "  namespaceSelector:\n"
                        "    matchExpressions: [{key: env, operator: NotIn, values: [prod]}]\n"
                        "  seccomp: {syscalls: [keyctl], action: Block}\n"),
          NSPOL("dev", "app", "  seccomp: {syscalls: [read, ptrace], action: Allow}\n"),
          NSPOL("dev", "web", "  seccomp: {syscalls: [read, ptrace], action: Allow}\n"),
          CPOL("byname", "  selector: {matchLabels: {app: web}}\n"
                         "  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}\n"
                         "  seccomp: {syscalls: [keyctl], action: Block}\n"),
          POD("dev", "p", "{}", "kscmp/dev/app.json"),
          POD("dev", "w", "{app: web}", "kscmp/dev/web.json")),
     {{"dev/app.json", FILE_KEEP, {{NULL}}}, {"dev/web.json", FILE_KEEP, {{NULL}}}},
     {{"dev/p", "NamespaceUnknown"}, {"dev/w", "NamespaceUnknown"}}},
    {"ClusterSeccompPolicy: the pod's Namespace not known, no policy reading its labels selects "
     "the pod",
     OBJS(CPOL("baseline", "  selector: {matchLabels: {app: x}}\n"
                           "  namespaceSelector: {matchLabels: {env: prod}}\n"
                           "  seccomp: {syscalls: [ptrace], action: Block}\n"),
          CPOL("byname", "  selector: {}\n"
                         "  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}\n"
                         "  seccomp: {syscalls: [keyctl], action: Block}\n"),
          NSPOL("dev", "app", "  seccomp: {syscalls: [read, ptrace, keyctl], action: Allow}\n"),
          POD("dev", "p", "{app: other}", "kscmp/dev/app.json")),
     {{"dev/app.json", FILE_WRITE, {{"ptrace", "ALLOW"}, {"keyctl", "ERRNO(1)"}, {NULL}}}},
     {{NULL}}},
    {"ClusterSeccompPolicy: omitted namespaceSelector is every namespace",
     OBJS(CPOL("everywhere", "  selector: {matchLabels: {app: x}}\n"
                             "  seccomp: {syscalls: [ptrace], action: Trap}\n"),
          NS("prod", "{env: prod}"), POD("prod", "p", "{app: x}", "kscmp/prod/app.json"),
          POD("dev", "p", "{app: x}", "kscmp/dev/app.json"),
          POD("dev", "q", "{app: other}", "kscmp/dev/q.json")),
     {{"dev/app.json", FILE_WRITE, {{"ptrace", "TRAP"}, {NULL}}},
      {"dev/q.json", FILE_REMOVE, {{NULL}}},
      {"prod/app.json", FILE_WRITE, {{"ptrace", "TRAP"}, {NULL}}}},
     {{"dev/q", "NoPolicy"}, {"dev/p", "ClusterPoliciesOnly"}, {"prod/p", "ClusterPoliciesOnly"}}},
    {"ClusterSeccompPolicy without a selector contributes to nothing",
     OBJS(CPOL("base", "  seccomp: {syscalls: [ptrace], action: Block}\n"),
          POD("demo", "p", "{app: x}", "kscmp/demo/base.json")),
     {{"demo/base.json", FILE_REMOVE, {{NULL}}}},
     {{"demo/p", "NoPolicy"}}},
    {"a SeccompPolicy of another namespace does not contribute",
     OBJS(NSPOL("other", "web",
                "  selector: {}\n"
                "  seccomp: {syscalls: [read], action: Allow}\n"),
          POD("demo", "p", "{app: x}", "kscmp/demo/web.json")),
     {{"demo/web.json", FILE_REMOVE, {{NULL}}}},
     {{"demo/p", "NoPolicy"}}},
    {"the container's setting wins over the pod's",
     OBJS(POL("strict", "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("loose", "  seccomp: {syscalls: [mkdir], action: Block}\n"),
          ("apiVersion: v1\n"
           "kind: Pod\n"
           "metadata: {name: p, namespace: demo}\n"
           "spec:\n"
           "  securityContext:\n"
           "    seccompProfile: {type: Localhost, localhostProfile: kscmp/demo/loose.json}\n"
           "  containers:\n"
           "  - name: main\n"
           "    image: busybox\n"
           "    securityContext:\n"
           "      seccompProfile: {type: Localhost, localhostProfile: "
           "kscmp/demo/strict.json}\n")),
     {{"demo/strict.json", FILE_WRITE, {{"read", "ALLOW"}, {NULL}}}},
     {{NULL}}},
    {"init and ephemeral containers count",
     OBJS(POL("init", "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("dbg", "  seccomp: {syscalls: [ptrace], action: Allow}\n"),
          POL("main", "  seccomp: {syscalls: [write], action: Allow}\n"),
          ("apiVersion: v1\n"
           "kind: Pod\n"
           "metadata: {name: p, namespace: demo}\n"
           "spec:\n"
           "  initContainers:\n"
           "  - name: init\n"
           "    securityContext:\n"
           "      seccompProfile: {type: Localhost, localhostProfile: kscmp/demo/init.json}\n"
           "  containers:\n"
           "  - name: main\n"
           "    securityContext:\n"
           "      seccompProfile: {type: Localhost, localhostProfile: kscmp/demo/main.json}\n"
           "  ephemeralContainers:\n"
           "  - name: dbg\n"
           "    securityContext:\n"
           "      seccompProfile: {type: Localhost, localhostProfile: kscmp/demo/dbg.json}\n")),
     {{"demo/dbg.json", FILE_WRITE, {{"ptrace", "ALLOW"}, {NULL}}},
      {"demo/init.json", FILE_WRITE, {{"read", "ALLOW"}, {NULL}}},
      {"demo/main.json", FILE_WRITE, {{"write", "ALLOW"}, {NULL}}}},
     {{NULL}}},
    {"a Localhost profile that is not below kscmp/ is not ours",
     OBJS(POD("demo", "p", "{}", "profiles/audit.json")),
     {{NULL}},
     {{NULL}}},
};

static void test_contributions_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(contrib_cases); i++) {
        const struct contrib_case *c = &contrib_cases[i];
        struct engine *e = engine_for("x86_64", c->yaml);
        struct rec r = {0};
        sync_rec(e, &r);
        size_t nfiles = 0;
        for (; nfiles < MAX_FILES && c->files[nfiles].rel; nfiles++) {
            const struct file_want *fw = &c->files[nfiles];
            const struct rfile *f = rec_file(&r, fw->rel);
            if (!f)
                fail_msg("%s: %s not reported", c->title, fw->rel);
            if (f->action != fw->action)
                fail_msg("%s: %s action %d (%s), want %d", c->title, fw->rel, f->action,
                         f->why ? f->why : "", fw->action);
            if (f->action == FILE_WRITE) {
                json_t *root = parse_profile(f->json, f->len);
                check_expect(root, c->title, NULL, fw->expect);
                json_decref(root);
            }
        }
        if (r.nf != nfiles) {
            char got[1024];
            rec_rels(&r, got, sizeof(got));
            fail_msg("%s: %zu files reported (%s), want %zu", c->title, r.nf, got, nfiles);
        }
        size_t nev = 0;
        for (; nev < MAX_EVENTS && c->events[nev].pod; nev++)
            if (events_of(&r, c->events[nev].pod, c->events[nev].reason) != 1)
                fail_msg("%s: %zu %s events for %s, want 1", c->title,
                         events_of(&r, c->events[nev].pod, c->events[nev].reason),
                         c->events[nev].reason, c->events[nev].pod);
        if (r.nev != nev)
            fail_msg("%s: %zu events (first: %s %s), want %zu", c->title, r.nev, r.ev[0].reason,
                     r.ev[0].message, nev);
        /* Computing one file on its own gives what sync gave, and changes nothing. */
        for (size_t k = 0; k < r.nf; k++) {
            if (r.f[k].action == FILE_REMOVE)
                continue;
            struct rec one = {.db = engine_sysdb(e)};
            struct sync_ops ops = {rec_file_cb, rec_event_cb, &one};
            assert_int_equal(engine_compute_file(e, r.f[k].rel, &ops), 0);
            assert_int_equal(one.nf, 1);
            assert_int_equal(one.f[0].action, r.f[k].action);
            if (r.f[k].json)
                assert_string_equal(one.f[0].json, r.f[k].json);
            rec_clear(&one);
        }
        sync_rec(e, &r);
        if (r.nf != 0)
            fail_msg("%s: a second sync reported %s", c->title, r.f[0].rel);
        rec_clear(&r);
        engine_free(e);
    }
}

/* NoPolicy: nothing is written, the file is reported as removed, the Event says why. */
static void test_no_policy(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e =
        engine_for("x86_64", OBJS(POD("demo", "p", "{app: x}", "kscmp/demo/none.json")));
    sync_rec(e, &r);
    const struct rfile *f = want_file(&r, "demo/none.json", FILE_REMOVE);
    assert_int_equal(f->npods, 1);
    const struct revent *ev = event_of(&r, "demo/p", "NoPolicy");
    assert_non_null(strstr(ev->message, "kscmp/demo/none.json"));
    assert_non_null(strstr(ev->message, "demo/none"));
    assert_int_equal(r.nev, 1);

    /* A policy appears: the file is written. */
    load(e, OBJS(POL("none", "  seccomp: {syscalls: [read], action: Allow}\n")));
    sync_rec(e, &r);
    want_file(&r, "demo/none.json", FILE_WRITE);
    assert_int_equal(r.nev, 0);
    rec_clear(&r);
    engine_free(e);
}

/* engine_pod_event_now(): an Event a sync gave is still owed while its cause lasts (a
 * reference refused, a file without a policy), and no longer once it ended (the policy
 * appears), with nothing computed for sync to report meanwhile; another message, another
 * pod or one not known is owed nothing. */
static void test_pod_event_now(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e =
        engine_for("x86_64", OBJS(POD("demo", "p", "{app: x}", "kscmp/demo/none.json"),
                                  POD("demo", "q", "{app: z}", "kscmp/other/web.json")));
    sync_rec(e, &r);
    char *nopolicy = strdup(event_of(&r, "demo/p", "NoPolicy")->message);
    char *refused = strdup(event_of(&r, "demo/q", "ProfileRefused")->message);
    assert_true(nopolicy && refused);
    assert_int_equal(engine_pod_event_now(e, "demo", "p", "NoPolicy", nopolicy), 1);
    assert_int_equal(engine_pod_event_now(e, "demo", "q", "ProfileRefused", refused), 1);
    assert_int_equal(engine_pod_event_now(e, "demo", "p", "NoPolicy", "another message"), 0);
    assert_int_equal(engine_pod_event_now(e, "demo", "q", "NoPolicy", nopolicy), 0);
    assert_int_equal(engine_pod_event_now(e, "demo", "nobody", "NoPolicy", nopolicy), 0);
    /* Not the engine's to say: a reason it never gives, a ProfileRefused it would not give
     * (a proof's, a write's), known pod or not. */
    assert_int_equal(engine_pod_event_now(e, "demo", "p", "ProfileRefused", nopolicy), -EOPNOTSUPP);
    assert_int_equal(engine_pod_event_now(e, "demo", "nobody", "ProfileRefused", refused),
                     -EOPNOTSUPP);
    assert_int_equal(engine_pod_event_now(e, "demo", "p", "ProfileStale", nopolicy), -EOPNOTSUPP);
    /* The cause ends: no longer owed; the next sync writes the file (it was not computed for
     * sync by the question). */
    load(e, OBJS(POL("none", "  seccomp: {syscalls: [read], action: Allow}\n")));
    assert_int_equal(engine_pod_event_now(e, "demo", "p", "NoPolicy", nopolicy), 0);
    assert_int_equal(engine_pod_event_now(e, "demo", "q", "ProfileRefused", refused), 1);
    sync_rec(e, &r);
    want_file(&r, "demo/none.json", FILE_WRITE);
    free(nopolicy);
    free(refused);
    rec_clear(&r);
    engine_free(e);
}

/* A file that ClusterSeccompPolicies alone make is written, and its pod told so by a Normal
 * Event (a misspelt localhostProfile, a deleted policy), until a SeccompPolicy of its own
 * contributes. */
static void test_cluster_policies_only(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e =
        engine_for("x86_64", OBJS(CPOL("guard", "  selector: {}\n  ceiling: true\n"
                                                "  rules: [{syscalls: [ptrace], action: Block}]\n"),
                                  POL("web", "  selector: {matchLabels: {app: web}}\n"
                                             "  seccomp: {syscalls: [read], action: Allow}\n"),
                                  POD("demo", "p", "{app: x}", "kscmp/demo/wbe.json")));
    sync_rec(e, &r);
    want_file(&r, "demo/wbe.json", FILE_WRITE);
    const struct revent *ev = event_of(&r, "demo/p", "ClusterPoliciesOnly");
    assert_true(ev->normal);
    assert_non_null(strstr(ev->message, "kscmp/demo/wbe.json holds only what "
                                        "ClusterSeccompPolicies give (guard)"));
    assert_non_null(strstr(ev->message, "no SeccompPolicy demo/wbe"));
    assert_int_equal(r.nev, 1);
    /* A policy of its own, by name: no more Event. */
    load(e, OBJS(POL("wbe", "  seccomp: {syscalls: [write], action: Allow}\n")));
    sync_rec(e, &r);
    want_file(&r, "demo/wbe.json", FILE_WRITE);
    assert_int_equal(r.nev, 0);
    rec_clear(&r);
    engine_free(e);
    /* One that selects the pod does as well. */
    e = engine_for("x86_64",
                   OBJS(CPOL("guard", "  selector: {}\n  rules: [{syscalls: [ptrace], action: "
                                      "Block}]\n"),
                        POL("web", "  selector: {matchLabels: {app: x}}\n"
                                   "  seccomp: {syscalls: [read], action: Allow}\n"),
                        POD("demo", "p", "{app: x}", "kscmp/demo/wbe.json")));
    sync_rec(e, &r);
    want_file(&r, "demo/wbe.json", FILE_WRITE);
    assert_int_equal(r.nev, 0);
    rec_clear(&r);
    engine_free(e);
}

/* References that are refused: an Event, no file. */
static void test_refused_references(void **state)
{
    (void)state;
    static const char *const refs[] = {
        "kscmp/other/web.json", /* another namespace's folder */
        "kscmp/demo/../web.json",
        "kscmp/../demo/web.json",
        "kscmp/demo/../../etc/passwd.json",
        "kscmp/demo/Web.json", /* uppercase */
        "kscmp/Demo/web.json",
        "kscmp/demo/web_1.json",
        "kscmp/demo/-web.json",
        "kscmp/demo/.json",
        "kscmp/demo/..json",
        "kscmp/demo/sub/web.json",
        "kscmp/demo/web",
        "kscmp/demo/web.yaml",
        "kscmp//web.json",
        "kscmp/web.json",
        /* Paths the kubelet reads as leading into kscmp/ (its join drops "" and "." and
         * resolves ".."), written otherwise: refused even for the pod's own namespace, as
         * the admission policy does. */
        "./kscmp/other/web.json",
        "./kscmp/demo/web.json",
        "/kscmp/demo/web.json",
        ".//./kscmp/demo/web.json",
        "kscmp",
        "./kscmp",
        "x/../kscmp/other/web.json",
        "../seccomp/kscmp/other/web.json",
        "a/../../kscmp/demo/web.json",
    };
    for (size_t i = 0; i < ARRAY_SIZE(refs); i++) {
        char pod[1024];
        snprintf(pod, sizeof(pod),
                 "apiVersion: v1\n"
                 "kind: Pod\n"
                 "metadata: {name: p, namespace: demo}\n"
                 "spec:\n"
                 "  securityContext:\n"
                 "    seccompProfile: {type: Localhost, localhostProfile: \"%s\"}\n"
                 "  containers:\n"
                 "  - {name: main, image: busybox}\n",
                 refs[i]);
        struct engine *e = engine_for("x86_64", OBJS(POL("web", "  selector: {}\n"
                                                                "  seccomp: {syscalls: [read], "
                                                                "action: Allow}\n"),
                                                     pod));
        struct rec r = {0};
        sync_rec(e, &r);
        if (r.nf != 0)
            fail_msg("%s: file %s reported", refs[i], r.f[0].rel);
        if (events_of(&r, "demo/p", "ProfileRefused") != 1 || r.nev != 1)
            fail_msg("%s: %zu events, want one ProfileRefused", refs[i], r.nev);
        assert_non_null(strstr(r.ev[0].message, refs[i]));
        const char **files = NULL;
        size_t n = 9;
        assert_int_equal(engine_list_files(e, &files, &n), 0);
        assert_int_equal(n, 0);
        free(files);
        char *rel = NULL;
        struct kerr err = {0};
        assert_int_equal(engine_classify_ref("demo", refs[i], &rel, &err), -EPERM);
        assert_null(rel);
        assert_non_null(strstr(err.msg, refs[i]));
        /* Said once, not at every sync; a full resync tells it again. */
        sync_rec(e, &r);
        assert_int_equal(r.nev, 0);
        engine_touch_all(e);
        sync_rec(e, &r);
        assert_int_equal(r.nf, 0);
        assert_int_equal(events_of(&r, "demo/p", "ProfileRefused"), 1);
        assert_int_equal(r.nev, 1);
        rec_clear(&r);
        engine_free(e);
    }

    /* Accepted ones, and ones that are not ours. */
    static const struct {
        const char *ref;
        int ret;
        const char *rel;
    } ok[] = {
        {"kscmp/demo/web.json", 0, "demo/web.json"},
        {"kscmp/demo/web.v2.json", 0, "demo/web.v2.json"},
        {"kscmp/demo/a-1.json", 0, "demo/a-1.json"},
        {"localhost/web.json", 1, NULL},
        {"profiles/kscmp/demo/web.json", 1, NULL},
        {"audit.json", 1, NULL},
        {"./profiles/web.json", 1, NULL},
        {"other/kscmp/x.json", 1, NULL},
        {"kscmpx/demo/web.json", 1, NULL},
        {"./kscmp.json", 1, NULL},
        {"../profiles/web.json", 1, NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        char *rel = NULL;
        struct kerr err = {0};
        assert_int_equal(engine_classify_ref("demo", ok[i].ref, &rel, &err), ok[i].ret);
        if (ok[i].rel)
            assert_string_equal(rel, ok[i].rel);
        else
            assert_null(rel);
        free(rel);
    }
}

/* An invalid contributing policy keeps the last good profile; fixing it writes again. */
static void test_invalid_policy_keeps_file(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e =
        engine_for("x86_64", OBJS(POL("web", "  seccomp: {syscalls: [read], action: Allow}\n"),
                                  POL("extra", "  selector: {}\n"
                                               "  seccomp: {syscalls: [mkdir], action: Block}\n"),
                                  POD("demo", "w1", "{}", "kscmp/demo/web.json"),
                                  POD("demo", "w2", "{}", "kscmp/demo/web.json")));
    sync_rec(e, &r);
    want_file(&r, "demo/web.json", FILE_WRITE);

    json_t *root = written(&r, "demo/web.json");
    struct expect ex0[] = {{"read", "ALLOW"}, {"mkdir", "ERRNO(1)"}, {"write", "-"}, {NULL}};
    check_expect(root, "first", "ERRNO(1)", ex0);
    json_decref(root);

    /* A typo in an edit: the file takes web as it was, as if the edit had been refused. */
    load(e, OBJS(POL("web", "  seccomp: {syscalls: [read, wirte], action: Allow}\n")));
    sync_rec(e, &r);
    root = written(&r, "demo/web.json");
    check_expect(root, "web's edit refused", "ERRNO(1)", ex0);
    json_decref(root);
    const struct rfile *f = want_file(&r, "demo/web.json", FILE_WRITE);
    assert_int_equal(f->npods, 2);
    assert_int_equal(events_of(&r, NULL, "PolicyInvalid"), 2);
    const struct revent *ev = event_of(&r, "demo/w1", "PolicyInvalid");
    assert_non_null(strstr(ev->message, "takes SeccompPolicy demo/web as if the bad edit that "
                                        "makes it invalid had been refused"));
    assert_non_null(strstr(ev->message, "\"wirte\""));
    assert_non_null(strstr(ev->message, "spec.seccomp.syscalls[1]"));
    event_of(&r, "demo/w2", "PolicyInvalid");

    /* Another policy's change while web is invalid reaches the file: its new block with the
     * rest (contract 2: as if web's bad edit had been refused). */
    load(e, OBJS(POL("extra", "  selector: {}\n"
                              "  seccomp: {syscalls: [rmdir], action: Block}\n")));
    sync_rec(e, &r);
    root = written(&r, "demo/web.json");
    struct expect ex1[] = {{"read", "ALLOW"}, {"rmdir", "ERRNO(1)"}, {"mkdir", "-"}, {NULL}};
    check_expect(root, "extra changed, web invalid", "ERRNO(1)", ex1);
    json_decref(root);
    assert_int_equal(events_of(&r, NULL, "PolicyInvalid"), 2);

    /* Fixed. */
    load(e, OBJS(POL("web", "  seccomp: {syscalls: [read, write], action: Allow}\n")));
    sync_rec(e, &r);
    root = written(&r, "demo/web.json");
    struct expect ex[] = {
        {"read", "ALLOW"}, {"write", "ALLOW"}, {"rmdir", "ERRNO(1)"}, {"mkdir", "-"}, {NULL}};
    check_expect(root, "fixed", "ERRNO(1)", ex);
    json_decref(root);
    assert_int_equal(events_of(&r, NULL, "PolicyInvalid"), 0);

    /* Invalid as decoded (an unknown action): the fixed version stays, and the message says
     * why. */
    load(e, OBJS(POL("web", "  seccomp: {syscalls: [read], action: Deny}\n")));
    const struct policy *p = engine_get_policy(e, PK_POLICY, "demo", "web");
    assert_non_null(p);
    assert_non_null(p->error);
    sync_rec(e, &r);
    root = written(&r, "demo/web.json");
    check_expect(root, "fixed, then an unknown action", "ERRNO(1)", ex);
    json_decref(root);
    ev = event_of(&r, "demo/w1", "PolicyInvalid");
    assert_non_null(strstr(ev->message, "spec.seccomp.action"));
    assert_non_null(strstr(ev->message, "Deny"));
    rec_clear(&r);
    engine_free(e);

    /* Invalid from the start: kept absent (FILE_KEEP of nothing). */
    e = engine_for("x86_64", OBJS(POL("new", "  extends: nosuch\n"
                                             "  seccomp: {syscalls: [read], action: Allow}\n"),
                                  POD("demo", "nw", "{}", "kscmp/demo/new.json")));
    sync_rec(e, &r);
    want_file(&r, "demo/new.json", FILE_KEEP);
    ev = event_of(&r, "demo/nw", "PolicyInvalid");
    assert_non_null(strstr(ev->message, "nosuch"));
    /* The parent appears: written. */
    load(e, OBJS(POL("nosuch", "  seccomp: {syscalls: [write], action: Allow}\n")));
    sync_rec(e, &r);
    root = written(&r, "demo/new.json");
    struct expect ex2[] = {{"read", "ALLOW"}, {"write", "ALLOW"}, {NULL}};
    check_expect(root, "parent appeared", "ERRNO(1)", ex2);
    json_decref(root);
    rec_clear(&r);
    engine_free(e);
}

/* A bad edit refused, what comes after stays: a child edited while its parent (or grandparent)
 * is broken takes its new version, on the ancestors' last good ones; a valid version replaced
 * before any sync is the one a bad edit after it falls back to. Each file blocks mkdir, which
 * the version before allowed. */
static void want_mkdir_blocked(const struct rec *r, const char *rel, const char *title)
{
    json_t *root = written(r, rel);
    if (strcmp(eff(root, "mkdir").s, "ALLOW") == 0)
        fail_msg("%s: %s allows mkdir: an earlier version of the policy that blocks it", title,
                 rel);
    assert_string_equal(eff(root, "read").s, "ALLOW");
    json_decref(root);
}

static void test_refused_edit_keeps_what_came_after(void **state)
{
    (void)state;
    struct rec r = {0};
    /* The child edited while its parent is broken. */
    struct engine *e = engine_for(
        "x86_64", OBJS(POL("base", "  seccomp: {syscalls: [read, write, mkdir], action: Allow}\n"),
                       POL("web", "  extends: base\n  selector: {matchLabels: {app: web}}\n"
                                  "  seccomp: {syscalls: [getpid], action: Allow}\n"),
                       POD("demo", "w1", "{app: web}", "kscmp/demo/web.json")));
    sync_rec(e, &r);
    load(e, OBJS(POL("base", "  seccomp: {syscalls: [read, wirte, mkdir], action: Allow}\n")));
    sync_rec(e, &r);
    load(e, OBJS(POL("web", "  extends: base\n  selector: {matchLabels: {app: web}}\n"
                            "  seccomp: {syscalls: [getpid], action: Allow}\n"
                            "  rules: [{syscalls: [mkdir], action: Block}]\n"),
                 POD("demo", "w2", "{app: web}", "kscmp/demo/fresh.json")));
    sync_rec(e, &r);
    want_mkdir_blocked(&r, "demo/web.json", "child edited, parent broken");
    want_mkdir_blocked(&r, "demo/fresh.json", "child edited, parent broken");
    rec_clear(&r);
    engine_free(e);

    /* One level up: the grandparent broken, the parent edited, the child unchanged. */
    e = engine_for("x86_64",
                   OBJS(POL("g", "  seccomp: {syscalls: [read, write, mkdir], action: Allow}\n"),
                        POL("a", "  extends: g\n  seccomp: {syscalls: [futex], action: Allow}\n"),
                        POL("web", "  extends: a\n  selector: {matchLabels: {app: web}}\n"
                                   "  seccomp: {syscalls: [getpid], action: Allow}\n"),
                        POD("demo", "w1", "{app: web}", "kscmp/demo/web.json")));
    sync_rec(e, &r);
    load(e, OBJS(POL("g", "  seccomp: {syscalls: [read, wirte, mkdir], action: Allow}\n")));
    sync_rec(e, &r);
    load(e, OBJS(POL("a", "  extends: g\n  seccomp: {syscalls: [futex], action: Allow}\n"
                          "  rules: [{syscalls: [mkdir], action: Block}]\n"),
                 POD("demo", "w2", "{app: web}", "kscmp/demo/fresh.json")));
    sync_rec(e, &r);
    want_mkdir_blocked(&r, "demo/fresh.json", "parent edited, grandparent broken");
    rec_clear(&r);
    engine_free(e);

    /* A valid edit, then a bad one, with no sync between (one read of a watch). */
    e = engine_for("x86_64",
                   OBJS(POL("web", "  selector: {matchLabels: {app: web}}\n"
                                   "  seccomp: {syscalls: [read, write, mkdir], action: Allow}\n"),
                        POD("demo", "w1", "{app: web}", "kscmp/demo/web.json")));
    sync_rec(e, &r);
    load(e, OBJS(POL("web", "  selector: {matchLabels: {app: web}}\n"
                            "  seccomp: {syscalls: [read, write], action: Allow}\n")));
    load(e, OBJS(POL("web", "  selector: {matchLabels: {app: web}}\n"
                            "  seccomp: {syscalls: [read, wirte], action: Allow}\n"),
                 POD("demo", "w2", "{app: web}", "kscmp/demo/fresh.json")));
    sync_rec(e, &r);
    want_mkdir_blocked(&r, "demo/web.json", "valid edit, then a bad one");
    want_mkdir_blocked(&r, "demo/fresh.json", "valid edit, then a bad one");
    rec_clear(&r);
    engine_free(e);
}

/* A shared file held for one pod's invalid policy: every pod that uses it is told why, the
 * others with the pod and the policy named. */
static void test_held_shared_file_tells_every_pod(void **state)
{
    (void)state;
    struct rec r = {0};
    /* pa comes after the start: new, it reaches only what it selects (engine_past_known). */
    struct engine *e = engine_for("x86_64", NULL);
    engine_past_known(e);
    load(e, OBJS(POL("pa", "  selector: {matchLabels: {app: a}}\n"
                           "  seccomp: {syscalls: [read, wirte], action: Allow}\n"),
                 POL("pb", "  selector: {matchLabels: {app: b}}\n"
                           "  seccomp: {syscalls: [read], action: Allow}\n"),
                 POD("demo", "pod-a", "{app: a}", "kscmp/demo/shared.json"),
                 POD("demo", "pod-b", "{app: b}", "kscmp/demo/shared.json")));
    sync_rec(e, &r);
    want_file(&r, "demo/shared.json", FILE_KEEP);
    assert_int_equal(events_of(&r, NULL, "PolicyInvalid"), 2);
    assert_non_null(strstr(event_of(&r, "demo/pod-a", "PolicyInvalid")->message, "\"wirte\""));
    const struct revent *ev = event_of(&r, "demo/pod-b", "PolicyInvalid");
    assert_non_null(strstr(ev->message, "pod demo/pod-a shares it"));
    assert_non_null(strstr(ev->message, "SeccompPolicy demo/pa"));
    assert_non_null(strstr(ev->message, "\"wirte\""));
    rec_clear(&r);
    engine_free(e);
}

/* A shared file that one pod's view keeps (the broken version may select it) and another's
 * would write (the last good version selects it): kept, and no pod is told it is written. */
static void test_shared_file_kept_tells_no_pod_it_is_written(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e =
        engine_for("x86_64", OBJS(POL("p", "  selector: {matchLabels: {app: a}}\n"
                                           "  seccomp: {syscalls: [read], action: Allow}\n"),
                                  POL("q", "  selector: {matchLabels: {app: b}}\n"
                                           "  seccomp: {syscalls: [read], action: Allow}\n"),
                                  POD("demo", "pod-a", "{app: a}", "kscmp/demo/shared.json"),
                                  POD("demo", "pod-b", "{app: b}", "kscmp/demo/shared.json")));
    sync_rec(e, &r);
    json_decref(written(&r, "demo/shared.json"));
    load(e, OBJS(POL("p", "  selector: {matchExpressions: [{key: app, operator: Near}]}\n"
                          "  seccomp: {syscalls: [read], action: Allow}\n")));
    sync_rec(e, &r);
    want_file(&r, "demo/shared.json", FILE_KEEP);
    for (size_t i = 0; i < r.nev; i++)
        if (strstr(r.ev[i].message, "had been refused"))
            fail_msg("%s told the kept file is written: %s", r.ev[i].pod, r.ev[i].message);
    assert_non_null(strstr(event_of(&r, "demo/pod-a", "PolicyInvalid")->message, "pod demo/pod-b "
                                                                                 "shares it"));
    rec_clear(&r);
    engine_free(e);
}

/* Pods sharing a file with differing merges: the strict intersection, and an Event each. */
static void test_shared_file_conflict(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e = engine_for(
        "x86_64", OBJS(POL("pa", "  selector: {matchLabels: {app: a}}\n"
                                 "  seccomp: {syscalls: [read, write, mkdir], action: Allow}\n"),
                       POL("pb", "  selector: {matchLabels: {app: b}}\n"
                                 "  seccomp: {syscalls: [read, write, rmdir], action: Allow}\n"),
                       POD("demo", "pod-a", "{app: a}", "kscmp/demo/shared.json"),
                       POD("demo", "pod-b", "{app: b}", "kscmp/demo/shared.json")));
    sync_rec(e, &r);
    json_t *root = written(&r, "demo/shared.json");
    struct expect ex[] = {{"read", "ALLOW"},
                          {"write", "ALLOW"},
                          {"mkdir", "ERRNO(1)"},
                          {"rmdir", "ERRNO(1)"},
                          {NULL}};
    check_expect(root, "intersection", "ERRNO(1)", ex);
    json_decref(root);
    assert_int_equal(events_of(&r, "demo/pod-a", "ProfileConflict"), 1);
    assert_int_equal(events_of(&r, "demo/pod-b", "ProfileConflict"), 1);
    assert_int_equal(r.nev, 2);
    assert_non_null(
        strstr(event_of(&r, "demo/pod-a", "ProfileConflict")->message, "kscmp/demo/shared.json"));

    /* A third pod agreeing with pod-a: still a conflict, for all three. */
    load(e, OBJS(POD("demo", "pod-c", "{app: a}", "kscmp/demo/shared.json")));
    sync_rec(e, &r);
    want_file(&r, "demo/shared.json", FILE_WRITE);
    assert_int_equal(events_of(&r, NULL, "ProfileConflict"), 3);
    /* It names two pods that differ, where to look. */
    assert_non_null(strstr(event_of(&r, "demo/pod-c", "ProfileConflict")->message,
                           "(demo/pod-a and demo/pod-b differ, of 3 pods; `kubectl kscmp explain "
                           "pod` shows each one's policies)"));

    /* pod-b relabelled: the merges agree, no conflict, the file holds pa. */
    load(e, OBJS(POD("demo", "pod-b", "{app: a}", "kscmp/demo/shared.json")));
    sync_rec(e, &r);
    root = written(&r, "demo/shared.json");
    struct expect ex2[] = {{"mkdir", "ALLOW"}, {"rmdir", "-"}, {NULL}};
    check_expect(root, "agree", "ERRNO(1)", ex2);
    json_decref(root);
    assert_int_equal(r.nev, 0);
    rec_clear(&r);
    engine_free(e);
}

/* A deleted pod's file is reported removed once, then forgotten. */
/* A profile stricter than its policies say (conditions on two arguments beside an
 * unconditional Allow: every personality call blocked) is written, and its pods told why:
 * ProfileStricter, naming the syscall; a policy set that lowers exactly tells nothing. */
static void test_stricter_profile_is_told(void **state)
{
    struct engine *e = engine_for(
        "x86_64",
        OBJS(POL("web", "  defaultAction: Block\n  selector: {}\n"
                        "  seccomp: {syscalls: [personality, read], action: Allow}\n"),
             POL("b", "  selector: {}\n  rules:\n"
                      "  - {syscalls: [personality], action: Block, args: [{index: 0, op: GT, "
                      "value: 5}]}\n"
                      "  - {syscalls: [personality], action: Block, args: [{index: 1, op: EQ, "
                      "value: 3}]}\n"),
             POD("demo", "p", "{app: x}", "kscmp/demo/web.json"),
             POD("demo", "q", "{app: other}", "kscmp/demo/web.json")));
    engine_set_startup(e, false);
    struct rec r = {0};
    sync_rec(e, &r);
    const struct rfile *f = want_file(&r, "demo/web.json", FILE_WRITE);
    assert_int_equal(events_of(&r, "demo/p", "ProfileStricter"), 1);
    assert_int_equal(events_of(&r, "demo/q", "ProfileStricter"), 1);
    const struct revent *ev = event_of(&r, "demo/p", "ProfileStricter");
    assert_non_null(strstr(ev->message, "kscmp/demo/web.json: personality: "));
    /* The file result carries the syscall too (compile's warning names it from there). */
    assert_int_equal(f->ninexact, 1);
    assert_string_equal(sysdb_name(engine_sysdb(e), f->inexact[0]), "personality");
    /* The conditions on one argument instead: exact, nothing told. */
    load(e, OBJS(POL("b", "  selector: {}\n  rules:\n"
                          "  - {syscalls: [personality], action: Block, args: [{index: 0, op: GT, "
                          "value: 5}]}\n"
                          "  - {syscalls: [personality], action: Block, args: [{index: 0, op: EQ, "
                          "value: 5}]}\n")));
    sync_rec(e, &r);
    json_t *root = written(&r, "demo/web.json");
    assert_non_null(root);
    assert_string_equal(eval1(root, "personality", 0).s, "ALLOW");
    assert_string_equal(eval1(root, "personality", 4).s, "ALLOW");
    assert_string_equal(eval1(root, "personality", 5).s, "ERRNO(1)");
    assert_string_equal(eval1(root, "personality", 8).s, "ERRNO(1)");
    json_decref(root);
    assert_int_equal(events_of(&r, "demo/p", "ProfileStricter"), 0);
    assert_int_equal(want_file(&r, "demo/web.json", FILE_WRITE)->ninexact, 0);
    rec_clear(&r);
    engine_free(e);
}

static void test_pod_deleted(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e =
        engine_for("x86_64", OBJS(POL("web", "  seccomp: {syscalls: [read], action: Allow}\n"),
                                  POL("api", "  seccomp: {syscalls: [write], action: Allow}\n"),
                                  POD("demo", "w1", "{}", "kscmp/demo/web.json"),
                                  POD("demo", "w2", "{}", "kscmp/demo/web.json"),
                                  POD("demo", "a1", "{}", "kscmp/demo/api.json")));
    sync_rec(e, &r);
    want_rels(&r, "demo/api.json demo/web.json");

    /* One of two pods sharing a file: recomputed, not removed. */
    assert_int_equal(engine_delete_pod(e, "demo", "w1"), 0);
    assert_int_equal(engine_delete_pod(e, "demo", "w1"), -ENOENT);
    sync_rec(e, &r);
    want_rels(&r, "demo/web.json");
    assert_int_equal(want_file(&r, "demo/web.json", FILE_WRITE)->npods, 1);

    /* The last one. */
    assert_int_equal(engine_delete_pod(e, "demo", "w2"), 0);
    sync_rec(e, &r);
    want_rels(&r, "demo/web.json");
    const struct rfile *f = want_file(&r, "demo/web.json", FILE_REMOVE);
    assert_int_equal(f->npods, 0);
    assert_int_equal(r.nev, 0);
    sync_rec(e, &r);
    assert_int_equal(r.nf, 0);
    engine_touch_all(e);
    sync_rec(e, &r);
    want_rels(&r, "demo/api.json");
    const char **files = NULL;
    size_t n = 0;
    assert_int_equal(engine_list_files(e, &files, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(files[0], "demo/api.json");
    free(files);
    struct sync_ops ops = {rec_file_cb, rec_event_cb, &r};
    assert_int_equal(engine_compute_file(e, "demo/web.json", &ops), -ENOENT);

    /* A pod that changes its reference: the old file goes, the new one comes. */
    load(e, OBJS(POD("demo", "a1", "{}", "kscmp/demo/web.json")));
    sync_rec(e, &r);
    want_rels(&r, "demo/api.json demo/web.json");
    want_file(&r, "demo/api.json", FILE_REMOVE);
    want_file(&r, "demo/web.json", FILE_WRITE);
    rec_clear(&r);
    engine_free(e);
}

/* ---- incrementality ---------------------------------------------------------------------- */

#define TWO_NAMESPACES                                                                             \
    OBJS(CPOL("prod-base", "  selector: {}\n"                                                      \
                           "  namespaceSelector: {matchLabels: {env: prod}}\n"                     \
                           "  seccomp: {syscalls: [ptrace], action: Kill}\n"),                     \
         NS("a", "{env: dev}"), NS("b", "{env: dev}"),                                             \
         NSPOL("a", "web", "  seccomp: {syscalls: [read], action: Allow}\n"),                      \
         NSPOL("a", "api", "  seccomp: {syscalls: [write], action: Allow}\n"),                     \
         NSPOL("b", "web", "  seccomp: {syscalls: [read], action: Allow}\n"),                      \
         POD("a", "w", "{app: w}", "kscmp/a/web.json"),                                            \
         POD("a", "x", "{app: x}", "kscmp/a/api.json"),                                            \
         POD("b", "w", "{app: w}", "kscmp/b/web.json"))

static void test_incremental_scope(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e = engine_for("x86_64", TWO_NAMESPACES);
    sync_rec(e, &r);
    want_rels(&r, "a/api.json a/web.json b/web.json");

    /* A policy of namespace a: only a's files. */
    load(e, OBJS(NSPOL("a", "web", "  seccomp: {syscalls: [read, getpid], action: Allow}\n")));
    sync_rec(e, &r);
    want_rels(&r, "a/api.json a/web.json");
    json_t *root = written(&r, "a/web.json");
    assert_string_equal(eff(root, "getpid").s, "ALLOW");
    json_decref(root);

    /* Deleting one of b's policies: only b's files. */
    assert_int_equal(engine_delete_policy(e, PK_POLICY, "b", "web"), 0);
    sync_rec(e, &r);
    want_rels(&r, "b/web.json");
    want_file(&r, "b/web.json", FILE_REMOVE);

    /* A Namespace's labels change: only its files; then the cluster policy applies there. */
    load(e, OBJS(NS("a", "{env: prod}")));
    sync_rec(e, &r);
    want_rels(&r, "a/api.json a/web.json");
    root = written(&r, "a/web.json");
    assert_string_equal(eff(root, "ptrace").s, "KILL_PROCESS");
    json_decref(root);
    /* The same labels again: nothing. */
    load(e, OBJS(NS("a", "{env: prod}")));
    sync_rec(e, &r);
    assert_int_equal(r.nf, 0);
    /* The Namespace deleted: its files again, held, as whether the cluster policy applies
     * is not known without its labels. */
    assert_int_equal(engine_delete_namespace(e, "a"), 0);
    assert_int_equal(engine_delete_namespace(e, "a"), -ENOENT);
    sync_rec(e, &r);
    want_rels(&r, "a/api.json a/web.json");
    want_file(&r, "a/web.json", FILE_KEEP);
    want_file(&r, "a/api.json", FILE_KEEP);
    /* Back with labels the cluster policy does not select: written without its rule. */
    load(e, OBJS(NS("a", "{env: dev}")));
    sync_rec(e, &r);
    want_rels(&r, "a/api.json a/web.json");
    root = written(&r, "a/web.json");
    assert_false(named(root, "ptrace"));
    json_decref(root);

    /* A cluster policy: every file. */
    load(e, OBJS(CPOL("prod-base", "  selector: {}\n"
                                   "  seccomp: {syscalls: [ptrace], action: Kill}\n")));
    sync_rec(e, &r);
    want_rels(&r, "a/api.json a/web.json b/web.json");

    /* A pod: only its files. */
    load(e, OBJS(POD("a", "x", "{app: other}", "kscmp/a/api.json")));
    sync_rec(e, &r);
    want_rels(&r, "a/api.json");
    /* The same pod again, and again with its container running (the kubelet's status
     * updates): nothing to compute, but the engine holds the pod as it is now. */
    load(e, OBJS(POD("a", "x", "{app: other}", "kscmp/a/api.json")));
    sync_rec(e, &r);
    assert_int_equal(r.nf, 0);
    load(e,
         OBJS(POD(
             "a", "x", "{app: other}",
             "kscmp/a/api.json") "status:\n  containerStatuses:\n  - name: main\n"
                                 "    state: {running: {startedAt: \"2026-01-02T03:04:05Z\"}}\n"));
    sync_rec(e, &r);
    assert_int_equal(r.nf, 0);
    const struct pod *held = engine_get_pod(e, "a", "x");
    assert_non_null(held);
    assert_int_equal(held->ncontainers, 1);
    assert_true(held->containers[0].started_at > 0);
    /* Its labels change: its files again (the policies that select it may differ). */
    load(e, OBJS(POD("a", "x", "{app: web}", "kscmp/a/api.json")));
    sync_rec(e, &r);
    want_rels(&r, "a/api.json");

    /* A full resync: everything. */
    engine_touch_all(e);
    sync_rec(e, &r);
    want_rels(&r, "a/api.json a/web.json b/web.json");
    sync_rec(e, &r);
    assert_int_equal(r.nf, 0);
    rec_clear(&r);
    engine_free(e);
}

/* A changed parent reaches its descendants' files, in the parent's namespace or, for a
 * cluster parent, everywhere. A changed selector reaches the pods it no longer matches. */
static void test_incremental_parents_and_selectors(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e =
        engine_for("x86_64", OBJS(CPOL("root", "  seccomp: {syscalls: [read], action: Allow}\n"),
                                  NSPOL("a", "base",
                                        "  extends: ClusterSeccompPolicy/root\n"
                                        "  seccomp: {syscalls: [write], action: Allow}\n"),
                                  NSPOL("a", "web",
                                        "  extends: base\n"
                                        "  seccomp: {syscalls: [getpid], action: Allow}\n"),
                                  NSPOL("b", "web",
                                        "  extends: ClusterSeccompPolicy/root\n"
                                        "  seccomp: {syscalls: [getpid], action: Allow}\n"),
                                  NSPOL("a", "sel",
                                        "  selector: {matchLabels: {app: one}}\n"
                                        "  seccomp: {syscalls: [mkdir], action: Block}\n"),
                                  POD("a", "w", "{app: one}", "kscmp/a/web.json"),
                                  POD("a", "v", "{app: two}", "kscmp/a/v.json"),
                                  POD("b", "w", "{}", "kscmp/b/web.json")));
    sync_rec(e, &r);
    want_rels(&r, "a/v.json a/web.json b/web.json");
    want_file(&r, "a/v.json", FILE_REMOVE);
    json_t *root = written(&r, "a/web.json");
    struct expect ex[] = {{"read", "ALLOW"},     {"write", "ALLOW"}, {"getpid", "ALLOW"},
                          {"mkdir", "ERRNO(1)"}, {"rmdir", "-"},     {NULL}};
    check_expect(root, "chain", "ERRNO(1)", ex);
    json_decref(root);

    /* The middle of the chain changes. */
    load(e, OBJS(NSPOL("a", "base",
                       "  extends: ClusterSeccompPolicy/root\n"
                       "  seccomp: {syscalls: [write, rmdir], action: Allow}\n")));
    sync_rec(e, &r);
    want_rels(&r, "a/v.json a/web.json");
    root = written(&r, "a/web.json");
    assert_string_equal(eff(root, "rmdir").s, "ALLOW");
    json_decref(root);

    /* The cluster root changes: both namespaces. */
    load(e, OBJS(CPOL("root", "  seccomp: {syscalls: [read, close], action: Allow}\n")));
    sync_rec(e, &r);
    want_rels(&r, "a/v.json a/web.json b/web.json");
    root = written(&r, "b/web.json");
    assert_string_equal(eff(root, "close").s, "ALLOW");
    json_decref(root);
    root = written(&r, "a/web.json");
    assert_string_equal(eff(root, "close").s, "ALLOW");
    json_decref(root);

    /* The selector moves from app=one to app=two. */
    load(e, OBJS(NSPOL("a", "sel",
                       "  selector: {matchLabels: {app: two}}\n"
                       "  seccomp: {syscalls: [mkdir], action: Block}\n")));
    sync_rec(e, &r);
    want_rels(&r, "a/v.json a/web.json");
    root = written(&r, "a/web.json");
    assert_false(named(root, "mkdir"));
    json_decref(root);
    root = written(&r, "a/v.json");
    assert_string_equal(eff(root, "mkdir").s, "ERRNO(1)");
    json_decref(root);
    rec_clear(&r);
    engine_free(e);
}

/* A child that changes what it extends follows its new parent, and no longer its old one. */
static void test_incremental_extends_changes(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e =
        engine_for("x86_64", OBJS(POL("base1", "  seccomp: {syscalls: [read], action: Allow}\n"),
                                  POL("base2", "  seccomp: {syscalls: [write], action: Allow}\n"),
                                  POL("child", "  extends: base1\n"
                                               "  selector: {}\n"
                                               "  seccomp: {syscalls: [getpid], action: Allow}\n"),
                                  POD("demo", "p", "{}", "kscmp/demo/p.json")));
    sync_rec(e, &r);
    json_t *root = written(&r, "demo/p.json");
    struct expect ex1[] = {{"read", "ALLOW"}, {"write", "-"}, {"getpid", "ALLOW"}, {NULL}};
    check_expect(root, "extends base1", "ERRNO(1)", ex1);
    json_decref(root);

    load(e, OBJS(POL("child", "  extends: base2\n"
                              "  selector: {}\n"
                              "  seccomp: {syscalls: [getpid], action: Allow}\n")));
    sync_rec(e, &r);
    root = written(&r, "demo/p.json");
    struct expect ex2[] = {{"read", "-"}, {"write", "ALLOW"}, {"getpid", "ALLOW"}, {NULL}};
    check_expect(root, "extends base2", "ERRNO(1)", ex2);
    json_decref(root);

    /* The new parent changes: followed. */
    load(e, OBJS(POL("base2", "  seccomp: {syscalls: [write, close], action: Allow}\n")));
    sync_rec(e, &r);
    root = written(&r, "demo/p.json");
    assert_string_equal(eff(root, "close").s, "ALLOW");
    json_decref(root);
    struct policy_result res;
    assert_int_equal(
        engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "child"), &res), 0);
    assert_ptr_equal(res.parent, engine_get_policy(e, PK_POLICY, "demo", "base2"));

    /* The old parent deleted: the child does not care. */
    assert_int_equal(engine_delete_policy(e, PK_POLICY, "demo", "base1"), 0);
    sync_rec(e, &r);
    root = written(&r, "demo/p.json");
    check_expect(root, "old parent gone", "ERRNO(1)", ex2);
    json_decref(root);

    /* Extending a KubeArmorSeccompPolicy that does not exist yet, then appears, then gets a
     * SeccompPolicy of the same name beside it (the child is invalid while both are there:
     * its file is held), which takes over once the KubeArmorSeccompPolicy goes. */
    load(e, OBJS(POL("child", "  extends: later\n"
                              "  selector: {}\n"
                              "  seccomp: {syscalls: [getpid], action: Allow}\n")));
    sync_rec(e, &r);
    root = written(&r, "demo/p.json"); /* the child as it was (extending base2) */
    assert_string_equal(eff(root, "close").s, "ALLOW");
    assert_false(named(root, "futex"));
    json_decref(root);
    load(e, OBJS(KSP("later", "  seccomp: {syscalls: [futex], action: Allow}\n")));
    sync_rec(e, &r);
    root = written(&r, "demo/p.json");
    assert_string_equal(eff(root, "futex").s, "ALLOW");
    json_decref(root);
    load(e, OBJS(POL("later", "  seccomp: {syscalls: [madvise], action: Allow}\n")));
    sync_rec(e, &r);
    want_file(&r, "demo/p.json", FILE_KEEP);
    assert_int_equal(engine_delete_policy(e, PK_KUBEARMOR, "demo", "later"), 0);
    sync_rec(e, &r);
    root = written(&r, "demo/p.json");
    assert_string_equal(eff(root, "madvise").s, "ALLOW");
    assert_false(named(root, "futex"));
    json_decref(root);
    assert_int_equal(
        engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "child"), &res), 0);
    assert_ptr_equal(res.parent, engine_get_policy(e, PK_POLICY, "demo", "later"));
    rec_clear(&r);
    engine_free(e);
}

/* ---- 3.3: the descendants tree ----------------------------------------------------------- */

static void children_of(struct engine *e, enum policy_kind kind, const char *ns, const char *name,
                        char *buf, size_t len)
{
    const struct policy *p = engine_get_policy(e, kind, ns, name);
    if (!p)
        fail_msg("no policy %s", name);
    const struct policy **v = NULL;
    size_t n = 0;
    assert_int_equal(engine_children(e, p, &v, &n), 0);
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char id[300];
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "",
                                policy_id(v[i], id, sizeof(id)));
    }
    free(v);
}

static void test_tree(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64", OBJS(POL("base", "  seccomp: {syscalls: [read, write], action: Allow}\n"
                                   "  rules:\n"
                                   "  - {syscalls: [mkdir], action: Block}\n"),
                       POL("zchild", "  extends: base\n"
                                     "  seccomp: {syscalls: [getpid], action: Allow}\n"),
                       POL("achild", "  extends: base\n"
                                     "  seccomp: {syscalls: [rmdir], action: Allow}\n"),
                       POL("rebel", "  extends: base\n"
                                    "  seccomp: {syscalls: [mkdir], action: Allow}\n"),
                       POL("loose", "  extends: base\n"
                                    "  defaultAction: Allow\n"),
                       POL("broken", "  extends: base\n"
                                     "  seccomp: {syscalls: [nosuchcall], action: Allow}\n"),
                       POL("grandchild", "  extends: zchild\n"
                                         "  seccomp: {syscalls: [close], action: Allow}\n"),
                       POL("rebelchild", "  extends: rebel\n"
                                         "  seccomp: {syscalls: [close], action: Allow}\n")));
    char buf[512];
    children_of(e, PK_POLICY, "demo", "base", buf, sizeof(buf));
    assert_string_equal(buf, "demo/achild demo/zchild");
    children_of(e, PK_POLICY, "demo", "zchild", buf, sizeof(buf));
    assert_string_equal(buf, "demo/grandchild");
    children_of(e, PK_POLICY, "demo", "grandchild", buf, sizeof(buf));
    assert_string_equal(buf, "");
    /* A detached child has its own descendants. */
    children_of(e, PK_POLICY, "demo", "rebel", buf, sizeof(buf));
    assert_string_equal(buf, "demo/rebelchild");

    struct policy_result res;
    assert_int_equal(
        engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "rebel"), &res), 0);
    assert_true(res.valid);
    assert_int_equal(res.nconflicts, 1);
    assert_string_equal(res.conflicts[0], "mkdir");
    assert_ptr_equal(res.parent, engine_get_policy(e, PK_POLICY, "demo", "base"));
    assert_int_equal(
        engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "loose"), &res), 0);
    assert_true(res.valid);
    assert_true(strv_has(res.conflicts, res.nconflicts, "defaultAction"));
    assert_int_equal(
        engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "grandchild"), &res), 0);
    assert_true(res.valid);
    assert_int_equal(res.nconflicts, 0);
    json_t *root = render(res.prof, e);
    struct expect ex[] = {{"read", "ALLOW"},  {"write", "ALLOW"},    {"getpid", "ALLOW"},
                          {"close", "ALLOW"}, {"mkdir", "ERRNO(1)"}, {NULL}};
    check_expect(root, "grandchild", "ERRNO(1)", ex);
    json_decref(root);

    /* The parent changes so that the rebel no longer loosens it: attached again. */
    load(e, OBJS(POL("base", "  seccomp: {syscalls: [read, write], action: Allow}\n")));
    children_of(e, PK_POLICY, "demo", "base", buf, sizeof(buf));
    assert_string_equal(buf, "demo/achild demo/rebel demo/zchild");
    engine_free(e);
}

static void test_tree_other_parents(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64", OBJS(CPOL("root", "  seccomp: {syscalls: [read], action: Allow}\n"),
                       CPOL("croot", "  extends: ClusterSeccompPolicy/root\n"
                                     "  seccomp: {syscalls: [write], action: Allow}\n"),
                       NSPOL("demo", "c1", "  extends: ClusterSeccompPolicy/root\n"),
                       NSPOL("other", "c2",
                             "  extends: ClusterSeccompPolicy/root\n"
                             "  seccomp: {syscalls: [getpid], action: Allow}\n"),
                       KSP("ksp-base", "  seccomp: {syscalls: [futex], action: Allow}\n"),
                       POL("kchild", "  extends: ksp-base\n"
                                     "  seccomp: {syscalls: [read], action: Allow}\n"),
                       POL("rt", "  extends: runtime/default\n"
                                 "  seccomp: {syscalls: [mkdir], action: Block}\n")));
    char buf[512];
    /* Cluster children first, then by namespace. */
    children_of(e, PK_CLUSTER, NULL, "root", buf, sizeof(buf));
    assert_string_equal(buf, "croot demo/c1 other/c2");
    children_of(e, PK_KUBEARMOR, "demo", "ksp-base", buf, sizeof(buf));
    assert_string_equal(buf, "demo/kchild");

    struct policy_result res;
    assert_int_equal(
        engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "kchild"), &res), 0);
    assert_true(res.valid);
    assert_ptr_equal(res.parent, engine_get_policy(e, PK_KUBEARMOR, "demo", "ksp-base"));
    json_t *root = render(res.prof, e);
    struct expect kex[] = {{"futex", "ALLOW"}, {"read", "ALLOW"}, {NULL}};
    check_expect(root, "kubearmor parent", "ERRNO(1)", kex);
    json_decref(root);

    /* runtime/default: no parent policy, and the child blocks mkdir. */
    assert_int_equal(engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "rt"), &res),
                     0);
    assert_true(res.valid);
    assert_null(res.parent);
    assert_int_equal(res.nconflicts, 0);
    root = render(res.prof, e);
    struct expect rex[] = {{"mkdir", "ERRNO(1)"}, {"read", "ALLOW"}, {"reboot", "-"}, {NULL}};
    check_expect(root, "runtime/default parent", "ERRNO(1)", rex);
    json_decref(root);

    /* The KubeArmor parent edited: the child follows. */
    load(e, OBJS(KSP("ksp-base", "  seccomp: {syscalls: [futex, madvise], action: Allow}\n")));
    assert_int_equal(
        engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "kchild"), &res), 0);
    root = render(res.prof, e);
    assert_string_equal(eff(root, "madvise").s, "ALLOW");
    json_decref(root);
    /* A SeccompPolicy of the same name as well: which parent was meant is not known (either
     * could be the looser), so the child is invalid until one goes. */
    load(e, OBJS(POL("ksp-base", "  defaultAction: Allow\n")));
    assert_int_equal(
        engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "kchild"), &res), 0);
    assert_false(res.valid);
    if (!strstr(res.error, "parent \"ksp-base\" is ambiguous: a SeccompPolicy and a "
                           "KubeArmorSeccompPolicy demo/ksp-base both exist"))
        fail_msg("%s", res.error);
    assert_int_equal(engine_delete_policy(e, PK_POLICY, "demo", "ksp-base"), 0);
    assert_int_equal(
        engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "kchild"), &res), 0);
    assert_true(res.valid);
    /* ... and deleted: the child misses its parent. */
    assert_int_equal(engine_delete_policy(e, PK_KUBEARMOR, "demo", "ksp-base"), 0);
    assert_int_equal(
        engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "kchild"), &res), 0);
    assert_false(res.valid);
    assert_non_null(strstr(res.error, "not found"));
    engine_free(e);
}

/* ---- 3.4: invalid policies --------------------------------------------------------------- */

struct invalid_case {
    const char *title;
    const char *const *yaml;
    const char *policy;   /* SeccompPolicy demo/... checked */
    const char *want[4];  /* substrings of the error */
    const char *valid[4]; /* policies of the same input that stay valid */
};

static const struct invalid_case invalid_cases[] = {
    {"a cycle a -> b -> a",
     OBJS(POL("a", "  extends: b\n"
                   "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("b", "  extends: a\n"
                   "  seccomp: {syscalls: [write], action: Allow}\n")),
     "a",
     {"SeccompPolicy demo/a", "spec.extends", "cycle", "demo/b"},
     {NULL}},
    {"the other end of the cycle",
     OBJS(POL("a", "  extends: b\n"
                   "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("b", "  extends: a\n"
                   "  seccomp: {syscalls: [write], action: Allow}\n")),
     "b",
     {"SeccompPolicy demo/b", "spec.extends", "cycle", "demo/a"},
     {NULL}},
    {"a policy extending itself",
     OBJS(POL("a", "  extends: a\n"
                   "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("ok", "  seccomp: {syscalls: [read], action: Allow}\n")),
     "a",
     {"test.yaml:", "SeccompPolicy demo/a", "spec.extends", "cycle"},
     {"ok", NULL}},
    {"below a cycle: invalid, naming the parent",
     OBJS(POL("a", "  extends: b\n"), POL("b", "  extends: a\n"), POL("c", "  extends: b\n")),
     "c",
     {"SeccompPolicy demo/c", "spec.extends", "parent demo/b is invalid", "cycle"},
     {NULL}},
    {"a missing parent",
     OBJS(POL("child", "  extends: nosuch\n"
                       "  seccomp: {syscalls: [read], action: Allow}\n")),
     "child",
     {"test.yaml:", "SeccompPolicy demo/child", "spec.extends", "\"nosuch\" not found"},
     {NULL}},
    {"a missing cluster parent",
     OBJS(POL("child", "  extends: ClusterSeccompPolicy/nosuch\n")),
     "child",
     {"spec.extends", "not found", "ClusterSeccompPolicy"},
     {NULL}},
    {"a parent of another namespace is not found",
     OBJS(NSPOL("other", "base", "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("child", "  extends: base\n")),
     "child",
     {"spec.extends", "not found"},
     {NULL}},
    {"an invalid parent makes the child invalid, naming the parent",
     OBJS(POL("base", "  seccomp: {syscalls: [reed], action: Allow}\n"),
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [write], action: Allow}\n")),
     "child",
     {"SeccompPolicy demo/child", "spec.extends", "parent demo/base is invalid", "\"reed\""},
     {NULL}},
    {"an invalid grandparent",
     OBJS(POL("base", "  seccomp: {syscalls: [read], action: Allow}\n"
                      "  rules:\n"
                      "  - {groups: [\"@nope\"], action: Block}\n"),
          POL("mid", "  extends: base\n"), POL("child", "  extends: mid\n"),
          POL("sibling", "  seccomp: {syscalls: [read], action: Allow}\n")),
     "child",
     {"parent demo/mid is invalid", "demo/base", "@nope"},
     {"sibling", NULL}},
    {"an unknown action",
     OBJS(POL("bad", "  seccomp: {syscalls: [read], action: Deny}\n")),
     "bad",
     {"test.yaml:", "SeccompPolicy demo/bad", "spec.seccomp.action", "Deny"},
     {NULL}},
    {"an unknown defaultAction",
     OBJS(POL("bad", "  defaultAction: Nope\n"
                     "  seccomp: {syscalls: [read], action: Allow}\n")),
     "bad",
     {"SeccompPolicy demo/bad", "spec.defaultAction", "Nope"},
     {NULL}},
    {"an unknown arch",
     OBJS(POL("bad", "  seccomp: {arch: [x86_64, mips99], syscalls: [read], action: Allow}\n")),
     "bad",
     {"SeccompPolicy demo/bad", "spec.seccomp.arch[1]", "mips99"},
     {NULL}},
    {"an unknown op",
     OBJS(POL("bad", "  rules:\n"
                     "  - syscalls: [personality]\n"
                     "    action: Allow\n"
                     "    args: [{index: 0, value: 0, op: EQUALS}]\n")),
     "bad",
     {"SeccompPolicy demo/bad", "spec.rules[0].args[0].op", "EQUALS"},
     {NULL}},
    {"an unknown errno",
     OBJS(POL("bad", "  seccomp: {syscalls: [mkdir], action: Block, errno: EFOO}\n")),
     "bad",
     {"SeccompPolicy demo/bad", "spec.seccomp.errno", "EFOO"},
     {NULL}},
    {"an args index over 5",
     OBJS(POL("bad", "  rules:\n"
                     "  - syscalls: [personality]\n"
                     "    action: Allow\n"
                     "    args: [{index: 6, value: 0, op: EQ}]\n")),
     "bad",
     {"test.yaml:", "SeccompPolicy demo/bad", "spec.rules[0].args[0].index", "over 5"},
     {NULL}},
};

static void test_invalid_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(invalid_cases); i++) {
        const struct invalid_case *c = &invalid_cases[i];
        struct engine *e = engine_for("x86_64", c->yaml);
        const struct policy *p = engine_get_policy(e, PK_POLICY, "demo", c->policy);
        if (!p)
            fail_msg("%s: no policy %s", c->title, c->policy);
        struct policy_result res;
        assert_int_equal(engine_policy_result(e, p, &res), 0);
        if (res.valid)
            fail_msg("%s: valid", c->title);
        assert_non_null(res.error);
        assert_null(res.prof);
        for (size_t k = 0; k < ARRAY_SIZE(c->want) && c->want[k]; k++)
            if (!strstr(res.error, c->want[k]))
                fail_msg("%s: error \"%s\" lacks \"%s\"", c->title, res.error, c->want[k]);
        for (size_t k = 0; k < ARRAY_SIZE(c->valid) && c->valid[k]; k++) {
            assert_int_equal(
                engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", c->valid[k]), &res),
                0);
            if (!res.valid)
                fail_msg("%s: %s invalid: %s", c->title, c->valid[k], res.error);
        }
        /* Invalid policies are nobody's children. */
        const struct policy **all = NULL;
        size_t n = 0;
        assert_int_equal(engine_list_policies(e, &all, &n), 0);
        for (size_t k = 0; k < n; k++) {
            const struct policy **v = NULL;
            size_t nv = 0;
            assert_int_equal(engine_children(e, all[k], &v, &nv), 0);
            for (size_t j = 0; j < nv; j++)
                assert_ptr_not_equal(v[j], p);
            free(v);
        }
        free(all);
        engine_free(e);
    }
}

/* Issue 9 item 7: the messages, word for word. extends errors point at the extends line (POL:
 * the body starts at line 5), a cycle is named once from the policy's own place on it, and a
 * descendant quotes the policy at fault once, however far below it is. */
struct message_case {
    const char *title;
    const char *const *yaml;
    enum policy_kind kind;
    const char *ns, *name;
    const char *error;   /* NULL: valid */
    const char *warning; /* the one warning a valid policy has, or NULL for none */
};

static const struct message_case message_cases[] = {
    {"a cycle, from one end",
     OBJS(POL("a", "  selector: {}\n  extends: b\n"), POL("b", "  extends: a\n")), PK_POLICY,
     "demo", "a",
     "test.yaml:6: SeccompPolicy demo/a: spec.extends: cycle: demo/a -> demo/b -> demo/a", NULL},
    {"a cycle, from the other end",
     OBJS(POL("a", "  selector: {}\n  extends: b\n"), POL("b", "  extends: a\n")), PK_POLICY,
     "demo", "b",
     "test.yaml:5: SeccompPolicy demo/b: spec.extends: cycle: demo/b -> demo/a -> demo/b", NULL},
    {"extending itself", OBJS(POL("a", "  extends: a\n")), PK_POLICY, "demo", "a",
     "test.yaml:5: SeccompPolicy demo/a: spec.extends: cycle: demo/a -> demo/a", NULL},
    {"below a cycle: the cycle quoted once",
     OBJS(POL("a", "  extends: b\n"), POL("b", "  extends: a\n"), POL("c", "  extends: b\n")),
     PK_POLICY, "demo", "c",
     "test.yaml:5: SeccompPolicy demo/c: spec.extends: parent demo/b is invalid: test.yaml:5: "
     "SeccompPolicy demo/b: spec.extends: cycle: demo/b -> demo/a -> demo/b",
     NULL},
    {"two below a cycle: still quoted once, not nested",
     OBJS(POL("a", "  extends: b\n"), POL("b", "  extends: a\n"), POL("c", "  extends: b\n"),
          POL("d", "  extends: c\n")),
     PK_POLICY, "demo", "d",
     "test.yaml:5: SeccompPolicy demo/d: spec.extends: parent demo/c is invalid: test.yaml:5: "
     "SeccompPolicy demo/b: spec.extends: cycle: demo/b -> demo/a -> demo/b",
     NULL},
    {"a missing parent, at the extends line",
     OBJS(POL("child", "  selector: {}\n  severity: 3\n  extends: nosuch\n")), PK_POLICY, "demo",
     "child",
     "test.yaml:7: SeccompPolicy demo/child: spec.extends: parent \"nosuch\" not found (no "
     "SeccompPolicy demo/nosuch)",
     NULL},
    {"a missing cluster parent", OBJS(POL("child", "  extends: ClusterSeccompPolicy/nosuch\n")),
     PK_POLICY, "demo", "child",
     "test.yaml:5: SeccompPolicy demo/child: spec.extends: parent "
     "\"ClusterSeccompPolicy/nosuch\" not found (no ClusterSeccompPolicy nosuch)",
     NULL},
    {"below a missing parent", OBJS(POL("a", "  extends: gone\n"), POL("b", "  extends: a\n")),
     PK_POLICY, "demo", "b",
     "test.yaml:5: SeccompPolicy demo/b: spec.extends: parent demo/a is invalid: test.yaml:5: "
     "SeccompPolicy demo/a: spec.extends: parent \"gone\" not found (no SeccompPolicy demo/gone)",
     NULL},
    {"an invalid grandparent, quoted once",
     OBJS(POL("base", "  seccomp: {syscalls: [reed], action: Allow}\n"),
          POL("mid", "  extends: base\n"), POL("child", "  extends: mid\n")),
     PK_POLICY, "demo", "child",
     "test.yaml:5: SeccompPolicy demo/child: spec.extends: parent demo/mid is invalid: "
     "test.yaml:5: SeccompPolicy demo/base: spec.seccomp.syscalls[0]: unknown syscall \"reed\"; "
     "did you mean \"read\"?",
     NULL},
    {"a ClusterSeccompPolicy with a namespaceSelector and no selector: a warning",
     OBJS(CPOL("c", "  namespaceSelector: {matchLabels: {env: prod}}\n"
                    "  seccomp: {syscalls: [read], action: Allow}\n")),
     PK_CLUSTER, NULL, "c", NULL,
     "test.yaml:1: ClusterSeccompPolicy c: spec.namespaceSelector is set but spec.selector is not: "
     "the policy selects no pod (selector: {} selects every pod of the namespaces it picks)"},
    {"a ClusterSeccompPolicy with a namespace: a warning (it is ignored)",
     OBJS("apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: c, namespace: "
          "demo}\nspec:\n  selector: {}\n  seccomp: {syscalls: [read], action: Allow}\n"),
     PK_CLUSTER, NULL, "c", NULL,
     "test.yaml:3: ClusterSeccompPolicy c: metadata.namespace is ignored: a ClusterSeccompPolicy "
     "is in no namespace and applies in every namespace its namespaceSelector picks (every one "
     "without it); to limit it to one, give it a namespaceSelector, or make it a SeccompPolicy"},
    {"a ClusterSeccompPolicy with a namespace and no selector: both warnings in one",
     OBJS("apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: c, namespace: "
          "demo}\nspec:\n  namespaceSelector: {matchLabels: {env: prod}}\n"
          "  seccomp: {syscalls: [read], action: Allow}\n"),
     PK_CLUSTER, NULL, "c", NULL,
     "test.yaml:3: ClusterSeccompPolicy c: metadata.namespace is ignored: a ClusterSeccompPolicy "
     "is in no namespace and applies in every namespace its namespaceSelector picks (every one "
     "without it); to limit it to one, give it a namespaceSelector, or make it a SeccompPolicy; "
     "spec.namespaceSelector is set but spec.selector is not: the policy selects no pod "
     "(selector: {} selects every pod of the namespaces it picks)"},
    {"a SeccompPolicy without a namespace: a warning (it is in default)",
     OBJS("apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p}\nspec:\n"
          "  seccomp: {syscalls: [read], action: Allow}\n"),
     PK_POLICY, "default", "p", NULL,
     "test.yaml:3: SeccompPolicy default/p: no metadata.namespace: it is in namespace \"default\" "
     "(kubectl apply would put it in the namespace of its context), where it selects pods and "
     "finds its parent"},
    {"the namespace warning names the line of metadata.namespace",
     OBJS("# a comment\napiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata:\n  name: c"
          "\n  labels: {a: b}\n  namespace: demo\nspec:\n  selector: {}\n"
          "  seccomp: {syscalls: [read], action: Allow}\n"),
     PK_CLUSTER, NULL, "c", NULL,
     "test.yaml:7: ClusterSeccompPolicy c: metadata.namespace is ignored: a ClusterSeccompPolicy "
     "is in no namespace and applies in every namespace its namespaceSelector picks (every one "
     "without it); to limit it to one, give it a namespaceSelector, or make it a SeccompPolicy"},
    {"a SeccompPolicy without a namespace whose parent is elsewhere: said in the error",
     OBJS(POL("base", "  seccomp: {syscalls: [read], action: Allow}\n"),
          "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p}\nspec:\n"
          "  extends: base\n"),
     PK_POLICY, "default", "p",
     "test.yaml:5: SeccompPolicy default/p: spec.extends: parent \"base\" not found (no "
     "SeccompPolicy default/base; the policy has no metadata.namespace: it is in \"default\", "
     "where its parent is looked for)",
     NULL},
    {"a rule of no syscalls and no groups: a warning",
     OBJS(POL("e", "  seccomp: {syscalls: [read], action: Allow}\n"
                   "  rules:\n  - {syscalls: [], action: Block}\n")),
     PK_POLICY, "demo", "e", NULL,
     "test.yaml:7: SeccompPolicy demo/e: spec.rules[0]: no syscalls and no groups: it names no "
     "call"},
    {"a ClusterSeccompPolicy with both: no warning",
     OBJS(CPOL("c", "  selector: {}\n  namespaceSelector: {matchLabels: {env: prod}}\n"
                    "  seccomp: {syscalls: [read], action: Allow}\n")),
     PK_CLUSTER, NULL, "c", NULL, NULL},
    {"a MASKED_EQ condition whose valueTwo has bits outside its mask: invalid",
     OBJS(POL("m", "  defaultAction: Allow\n  rules:\n  - {syscalls: [mount], action: Block}\n"
                   "  - syscalls: [personality]\n    action: Kill\n"
                   "    args: [{index: 0, value: 0xff, op: MASKED_EQ, valueTwo: 0x1ff}]\n")),
     PK_POLICY, "demo", "m",
     "test.yaml:8: SeccompPolicy demo/m: spec.rules[1].args[0]: MASKED_EQ: valueTwo 0x1ff has "
     "bits outside the mask (value 0xff): as written no call matches it, while libseccomp would "
     "compare the masked bits only (0xff); write a valueTwo within the mask",
     NULL},
    {"an Allow under the default Allow inherited from a block-list parent: a warning",
     OBJS(POL("base", "  rules: [{syscalls: [ptrace], action: Kill}]\n"),
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [getpid, ptrace, read], action: Allow}\n")),
     PK_POLICY, "demo", "child", NULL,
     "test.yaml:6: SeccompPolicy demo/child: spec.seccomp: Allow under the default Allow it "
     "inherits from base: allowing getpid (and 1 more) that the parent does not name changes "
     "nothing (for an allow-list, set defaultAction: Block or Kill)"},
    {"one such Allow: no \"and 0 more\"",
     OBJS(POL("base", "  rules: [{syscalls: [ptrace], action: Kill}]\n"),
          POL("child", "  extends: base\n  seccomp: {syscalls: [read], action: Allow}\n")),
     PK_POLICY, "demo", "child", NULL,
     "test.yaml:6: SeccompPolicy demo/child: spec.seccomp: Allow under the default Allow it "
     "inherits from base: allowing read that the parent does not name changes nothing (for an "
     "allow-list, set defaultAction: Block or Kill)"},
    {"an Allow that adds to an allow-list parent: no warning",
     OBJS(POL("base", "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [getpid], action: Allow}\n")),
     PK_POLICY, "demo", "child", NULL, NULL},
    {"an Allow under a default Allow the child sets itself: no warning",
     OBJS(POL("base", "  rules: [{syscalls: [ptrace], action: Kill}]\n"),
          POL("child", "  extends: base\n  defaultAction: Allow\n"
                       "  seccomp: {syscalls: [getpid], action: Allow}\n")),
     PK_POLICY, "demo", "child", NULL, NULL},
    {"arch on one block of several: a warning (it is the whole policy's)",
     OBJS(POL("a", "  seccomp: {syscalls: [read], action: Allow}\n"
                   "  rules:\n  - {arch: [x86], syscalls: [ptrace], action: Kill}\n")),
     PK_POLICY, "demo", "a", NULL,
     "test.yaml:7: SeccompPolicy demo/a: spec.rules[0].arch: the architectures of the whole "
     "policy, not of this block alone: spec.seccomp without arch gets x86 too, and x86_64, x32 "
     "are left out (the runtime kills a call through an architecture a profile leaves out); to "
     "keep them, list them in arch"},
    {"arch on every block: no warning",
     OBJS(POL("a", "  seccomp: {arch: [x86_64], syscalls: [read], action: Allow}\n"
                   "  rules:\n  - {arch: [x86_64], syscalls: [ptrace], action: Kill}\n")),
     PK_POLICY, "demo", "a", NULL, NULL},
    {"a MASKED_EQ condition within its mask: no warning",
     OBJS(POL("m", "  defaultAction: Allow\n  rules:\n  - syscalls: [personality]\n"
                   "    action: Kill\n"
                   "    args: [{index: 0, value: 0xff, op: MASKED_EQ, valueTwo: 0x10}]\n")),
     PK_POLICY, "demo", "m", NULL, NULL},
};

static void test_messages(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(message_cases); i++) {
        const struct message_case *c = &message_cases[i];
        struct engine *e = engine_for("x86_64", c->yaml);
        const struct policy *p = engine_get_policy(e, c->kind, c->ns, c->name);
        if (!p)
            fail_msg("%s: no policy %s", c->title, c->name);
        struct policy_result res;
        assert_int_equal(engine_policy_result(e, p, &res), 0);
        if (c->error && res.valid)
            fail_msg("%s: valid, want\n  %s", c->title, c->error);
        if (!c->error && !res.valid)
            fail_msg("%s: invalid: %s", c->title, res.error);
        if (c->error && strcmp(res.error, c->error) != 0)
            fail_msg("%s: error\n  %s\nwant\n  %s", c->title, res.error, c->error);
        if (!c->error && (res.nwarnings != (c->warning ? 1u : 0u) ||
                          (c->warning && strcmp(res.warnings[0], c->warning) != 0)))
            fail_msg("%s: %zu warnings (%s), want\n  %s", c->title, res.nwarnings,
                     res.nwarnings ? res.warnings[0] : "", c->warning ? c->warning : "none");
        engine_free(e);
    }
}

/* A chain of n SeccompPolicies p0 <- p1 <- ... (each extends the one before; p0 extends
 * runtime/default when rd), as one YAML text. */
static char *chain_yaml(size_t from, size_t n, bool rd)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    for (size_t i = from; i < from + n; i++) {
        fprintf(f,
                "---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p%zu, "
                "namespace: demo}\nspec:\n",
                i);
        if (i > 0)
            fprintf(f, "  extends: p%zu\n", i - 1);
        else if (rd)
            fprintf(f, "  extends: runtime/default\n");
        fprintf(f, "  seccomp: {syscalls: [%s], action: Block}\n", i % 2 ? "mkdir" : "rmdir");
    }
    assert_int_equal(fclose(f), 0);
    return buf;
}

static struct policy_result chain_result(struct engine *e, size_t i)
{
    char name[32];
    snprintf(name, sizeof(name), "p%zu", i);
    struct policy_result res;
    assert_int_equal(engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", name), &res),
                     0);
    return res;
}

/* Contract 3.4: at most EXTENDS_MAX policies in a chain, the policy included, runtime/default
 * not counted; deeper ones are invalid, and say so at their extends line; incrementally, a
 * change 40 policies up still reaches them. */
static void test_extends_depth(void **state)
{
    (void)state;
    assert_int_equal(EXTENDS_MAX, 32);
    char *yaml = chain_yaml(0, 40, true);
    struct engine *e = engine_for("x86_64", OBJS(yaml));
    free(yaml);
    for (size_t i = 0; i < 40; i++) {
        struct policy_result res = chain_result(e, i);
        if (res.valid != (i < EXTENDS_MAX))
            fail_msg("p%zu: %s, want %s", i, res.valid ? "valid" : res.error,
                     i < EXTENDS_MAX ? "valid" : "invalid");
    }
    struct policy_result res = chain_result(e, 32);
    /* p32's document starts at line 1 + 32 * 7 (a "---" and 6 lines each); extends is its 6th. */
    assert_string_equal(res.error, "test.yaml:230: SeccompPolicy demo/p32: spec.extends: the "
                                   "extends chain is longer than 32 policies (demo/p32 -> "
                                   "demo/p31 -> ...); at most 32 are allowed, this policy "
                                   "included");
    res = chain_result(e, 39); /* too deep on its own account, not "parent invalid" */
    assert_non_null(strstr(res.error, "SeccompPolicy demo/p39: spec.extends: the extends chain is "
                                      "longer than 32 policies"));
    /* The 32nd keeps everything its 31 ancestors block. */
    json_t *root = render(chain_result(e, 31).prof, e);
    assert_string_equal(eff(root, "mkdir").s, "ERRNO(1)");
    assert_string_equal(eff(root, "rmdir").s, "ERRNO(1)");
    json_decref(root);
    /* The tree below p0 is 32 deep and stops there. */
    const struct policy *cur = engine_get_policy(e, PK_POLICY, "demo", "p0");
    for (size_t depth = 1; cur; depth++) {
        const struct policy **kids = NULL;
        size_t n = 0;
        assert_int_equal(engine_children(e, cur, &kids, &n), 0);
        assert_int_equal(n, depth < EXTENDS_MAX ? 1 : 0);
        cur = n ? kids[0] : NULL;
        free(kids);
    }
    /* Deleting p0 shortens every chain by one: p32 becomes valid, 40 policies down the
     * invalidation still reaches p39 (now p1..p39: 39 long, still too deep). */
    assert_int_equal(engine_delete_policy(e, PK_POLICY, "demo", "p0"), 0);
    assert_false(chain_result(e, 1).valid); /* its parent is gone */
    assert_non_null(strstr(chain_result(e, 1).error, "parent \"p0\" not found"));
    assert_non_null(strstr(chain_result(e, 32).error, "parent demo/p31 is invalid"));
    assert_non_null(strstr(chain_result(e, 32).error, "SeccompPolicy demo/p1: spec.extends: parent "
                                                      "\"p0\" not found"));
    assert_non_null(strstr(chain_result(e, 33).error, "longer than 32 policies"));
    yaml = chain_yaml(0, 1, false);
    load(e, OBJS(yaml)); /* p0 back, without runtime/default: the same depths */
    free(yaml);
    assert_true(chain_result(e, 31).valid);
    assert_false(chain_result(e, 32).valid);
    engine_free(e);
}

/* Issue 9 item 2: 20,000 policies in one chain neither crash nor take long (the old compile
 * recursed once per policy), and the ones past the 32nd are invalid. */
static void test_extends_20000(void **state)
{
    (void)state;
    char *yaml = chain_yaml(0, 20000, false);
    struct engine *e = engine_for("x86_64", OBJS(yaml));
    free(yaml);
    struct policy_result res = chain_result(e, 19999);
    assert_false(res.valid);
    assert_non_null(strstr(res.error, "longer than 32 policies"));
    assert_true(chain_result(e, 31).valid);
    /* Every policy compiled, in an order that walks up from the deepest first. */
    for (size_t i = 19999; i-- > 0;)
        assert_int_equal(chain_result(e, i).valid, i < EXTENDS_MAX);
    /* A change at the top reaches the bottom. */
    assert_int_equal(engine_delete_policy(e, PK_POLICY, "demo", "p0"), 0);
    assert_non_null(strstr(chain_result(e, 19999).error, "longer than 32 policies"));
    assert_non_null(strstr(chain_result(e, 1).error, "not found"));
    engine_free(e);
}

/* Fixing an invalid policy fixes its descendants. */
static void test_invalid_then_fixed(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e =
        engine_for("x86_64", OBJS(POL("a", "  extends: b\n"
                                           "  seccomp: {syscalls: [read], action: Allow}\n"),
                                  POL("b", "  extends: a\n"
                                           "  seccomp: {syscalls: [write], action: Allow}\n"),
                                  POD("demo", "p", "{}", "kscmp/demo/a.json")));
    sync_rec(e, &r);
    want_file(&r, "demo/a.json", FILE_KEEP);
    assert_non_null(strstr(event_of(&r, "demo/p", "PolicyInvalid")->message, "cycle"));

    /* b no longer extends a: both valid. */
    load(e, OBJS(POL("b", "  seccomp: {syscalls: [write], action: Allow}\n")));
    sync_rec(e, &r);
    json_t *root = written(&r, "demo/a.json");
    struct expect ex[] = {{"read", "ALLOW"}, {"write", "ALLOW"}, {NULL}};
    check_expect(root, "cycle broken", "ERRNO(1)", ex);
    json_decref(root);

    /* b becomes invalid: a's file takes b as it was; b deleted: a is missing its parent, and
     * its file is kept. */
    load(e, OBJS(POL("b", "  seccomp: {syscalls: [wrte], action: Allow}\n")));
    sync_rec(e, &r);
    root = written(&r, "demo/a.json");
    check_expect(root, "b's edit refused", "ERRNO(1)", ex);
    json_decref(root);
    assert_non_null(strstr(event_of(&r, "demo/p", "PolicyInvalid")->message, "demo/b"));
    assert_int_equal(engine_delete_policy(e, PK_POLICY, "demo", "b"), 0);
    sync_rec(e, &r);
    want_file(&r, "demo/a.json", FILE_KEEP);
    assert_non_null(strstr(event_of(&r, "demo/p", "PolicyInvalid")->message, "not found"));
    rec_clear(&r);
    engine_free(e);
}

/* ---- determinism ------------------------------------------------------------------------- */

static const char *const *const determinism_input = OBJS(
    NS("prod", "{env: prod}"), NS("dev", "{env: dev}"),
    CPOL("baseline", "  selector: {}\n"
                     "  namespaceSelector: {matchLabels: {env: prod}}\n"
                     "  seccomp: {syscalls: [ptrace, keyctl, add_key], action: Kill}\n"
                     "  rules:\n"
                     "  - {groups: [\"@reboot\", \"@swap\"], action: Block}\n"),
    CPOL("croot", "  seccomp: {groups: [\"@basic-io\"], syscalls: [exit_group], action: Allow}\n"),
    NSPOL("prod", "base",
          "  extends: ClusterSeccompPolicy/croot\n"
          "  seccomp: {groups: [\"@network-io\"], action: Allow}\n"
          "  rules:\n"
          "  - {syscalls: [mkdir, rmdir], action: Block, errno: EACCES}\n"),
    NSPOL("prod", "web",
          "  extends: base\n"
          "  selector: {matchLabels: {app: web}}\n"
          "  seccomp: {syscalls: [futex, epoll_wait, openat, close], action: Allow}\n"
          "  rules:\n"
          "  - syscalls: [personality]\n"
          "    action: Allow\n"
          "    args: [{index: 0, value: 8, op: EQ}]\n"
          "  - syscalls: [personality]\n"
          "    action: Allow\n"
          "    args: [{index: 0, value: 0, op: EQ}]\n"
          "  - syscalls: [clone]\n"
          "    action: Allow\n"
          "    args: [{index: 0, value: 2114060288, valueTwo: 0, op: MASKED_EQ}]\n"),
    NSPOL("prod", "audit",
          "  selector: {matchExpressions: [{key: tier, operator: In, values: [fe]}]}\n"
          "  seccomp: {syscalls: [unlink, rename], action: Audit}\n"),
    NSPOL("prod", "rt",
          "  extends: runtime/default\n"
          "  selector: {matchLabels: {app: rt}}\n"
          "  seccomp: {syscalls: [mkdir], action: Block}\n"),
    NSPOL("dev", "web",
          "  selector: {}\n"
          "  seccomp: {syscalls: [read, write, getpid, mmap], action: Allow}\n"
          "  rules:\n"
          "  - {syscalls: [mount], action: Trap}\n"),
    KSP("ksp", "  seccomp: {syscalls: [accept4, futex], action: Allow}\n"),
    NSPOL("demo", "kchild",
          "  extends: ksp\n"
          "  selector: {}\n"
          "  seccomp: {syscalls: [madvise], action: Allow}\n"),
    POD("prod", "web-1", "{app: web, tier: fe}", "kscmp/prod/web.json"),
    POD("prod", "web-2", "{app: web}", "kscmp/prod/web.json"),
    POD("prod", "rt-1", "{app: rt}", "kscmp/prod/rt.json"),
    POD("prod", "mix", "{app: rt}", "kscmp/prod/web.json"),
    POD("dev", "d1", "{}", "kscmp/dev/web.json"), POD("dev", "d2", "{}", "kscmp/dev/other.json"),
    POD("demo", "k", "{}", "kscmp/demo/k.json"));

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: a fixed-seed shuffle, the same on every run */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Loads the documents in the order of perm into a fresh engine and syncs it. */
static void det_round(struct ynode **docs, const size_t *perm, size_t n, struct rec *r)
{
    struct engine *e = engine_for("x86_64", NULL);
    struct ynode **shuffled = calloc(n, sizeof(*shuffled));
    assert_non_null(shuffled);
    for (size_t i = 0; i < n; i++)
        shuffled[i] = docs[perm[i]];
    struct kerr err = {0};
    if (decode_documents(shuffled, n, "test.yaml", engine_put_object, e, &err) < 0)
        fail_msg("decode: %s", err.msg);
    free(shuffled);
    sync_rec(e, r);
    engine_free(e);
}

/* A detached child's conflicts read the same on every node, whatever order the node met the
 * syscall names in (its syscall ids follow that order): the status must not differ (contract
 * 7), or nodes would patch it back and forth. */
static void test_conflicts_order_independent(void **state)
{
    (void)state;
    static const char *const warm[] = {"[reboot, swapon, acct]", "[acct, swapon, reboot]"};
    char *seen[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        char first[256];
        snprintf(first, sizeof(first), "  seccomp: {syscalls: %s, action: Audit}\n", warm[k]);
        struct engine *e = engine_for("x86_64", NULL);
        char *yaml = NULL;
        assert_true(asprintf(&yaml, NSPOL("other", "warm", "%s"), first) > 0);
        load(e, OBJS(yaml));
        free(yaml);
        struct policy_result res;
        assert_int_equal(
            engine_policy_result(e, engine_get_policy(e, PK_POLICY, "other", "warm"), &res), 0);
        load(e,
             OBJS(POL("base", "  seccomp: {syscalls: [acct, swapon, reboot], action: Block}\n"),
                  POL("child", "  extends: base\n"
                               "  seccomp: {syscalls: [swapon, reboot, acct], action: Allow}\n")));
        assert_int_equal(
            engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "child"), &res), 0);
        assert_int_equal(res.nconflicts, 3);
        assert_true(asprintf(&seen[k], "%s %s %s", res.conflicts[0], res.conflicts[1],
                             res.conflicts[2]) > 0);
        engine_free(e);
    }
    assert_string_equal(seen[0], "acct reboot swapon");
    assert_string_equal(seen[1], seen[0]);
    free(seen[0]);
    free(seen[1]);
}

static void test_determinism(void **state)
{
    (void)state;
    /* One stream of all the documents, parsed once; each round decodes them in another order. */
    char *stream = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&stream, &len);
    assert_non_null(out);
    for (const char *const *o = determinism_input; *o; o++)
        fprintf(out, "---\n%s", *o);
    assert_int_equal(fclose(out), 0);
    struct ynode **docs = NULL;
    size_t n = 0;
    struct kerr err = {0};
    if (ydoc_parse_yaml(stream, len, "test.yaml", &docs, &n, &err) < 0)
        fail_msg("%s", err.msg);
    free(stream);
    size_t *perm = calloc(n, sizeof(*perm));
    assert_non_null(perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    struct rec first = {0}, r = {0};
    det_round(docs, perm, n, &first);
    assert_int_equal(first.nf, 5);
    want_file(&first, "prod/web.json", FILE_WRITE);
    want_file(&first, "dev/other.json", FILE_WRITE);
    assert_int_equal(events_of(&first, NULL, "ProfileConflict"), 3);
    uint64_t seed = 0x6b73636d70ull;
    for (int round = 0; round < 12; round++) {
        for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = (size_t)(rng_next(&seed) % (i + 1));
            size_t t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        det_round(docs, perm, n, &r);
        assert_int_equal(r.nf, first.nf);
        for (size_t k = 0; k < r.nf; k++) {
            assert_string_equal(r.f[k].rel, first.f[k].rel);
            assert_int_equal(r.f[k].action, first.f[k].action);
            if (r.f[k].action == FILE_WRITE) {
                assert_int_equal(r.f[k].len, first.f[k].len);
                if (memcmp(r.f[k].json, first.f[k].json, r.f[k].len) != 0)
                    fail_msg("round %d: %s differs:\n%s\nvs\n%s", round, r.f[k].rel, r.f[k].json,
                             first.f[k].json);
            }
        }
        assert_int_equal(r.nev, first.nev);
        for (size_t k = 0; k < r.nev; k++)
            assert_int_equal(events_of(&r, r.ev[k].pod, r.ev[k].reason),
                             events_of(&first, r.ev[k].pod, r.ev[k].reason));
    }
    /* The same profile from an engine that went through other work first (other syscall ids):
     * the bytes do not depend on the engine's history. */
    struct engine *e = engine_for(
        "x86_64",
        OBJS(POL("noise",
                 "  seccomp: {groups: [\"@default\", \"@system-service\"], action: Audit}\n"),
             POD("demo", "z", "{}", "kscmp/demo/noise.json")));
    sync_rec(e, &r);
    assert_int_equal(engine_delete_policy(e, PK_POLICY, "demo", "noise"), 0);
    assert_int_equal(engine_delete_pod(e, "demo", "z"), 0);
    if (decode_documents(docs, n, "test.yaml", engine_put_object, e, &err) < 0)
        fail_msg("decode: %s", err.msg);
    sync_rec(e, &r);
    for (size_t k = 0; k < first.nf; k++) {
        const struct rfile *f = rec_file(&r, first.f[k].rel);
        assert_non_null(f);
        if (f->action == FILE_WRITE)
            assert_string_equal(f->json, first.f[k].json);
    }
    engine_free(e);
    rec_clear(&r);
    rec_clear(&first);
    free(perm);
    ydoc_free_all(docs, n);
}

/* A profile compiled for a status alone is not kept (every node computes the status of every
 * policy, and writes the files of a few); a child, a file and engine_policy_result compile it
 * again, the same as a fresh engine's. */
static void test_status_drops_unused_profile(void **state)
{
    (void)state;
    static const char *const objs[] = {
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n",
        "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: base, namespace: demo}\n"
        "spec:\n  seccomp: {syscalls: [read, write, openat], action: Allow}\n"
        "  rules: [{syscalls: [mount], action: Block}]\n",
        "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: web, namespace: demo}\n"
        "spec:\n  extends: base\n  seccomp: {syscalls: [getpid], action: Allow}\n",
        NULL};
    static const char pod[] =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: demo}\nspec:\n"
        "  securityContext: {seccompProfile: {type: Localhost, localhostProfile: "
        "kscmp/demo/web.json}}\n"
        "  containers: [{name: c, image: i}]\n";
    struct engine *e = engine_for("x86_64", objs);
    struct engine *fresh = engine_for("x86_64", objs);
    load_text(fresh, pod);
    const struct policy *base = engine_get_policy(e, PK_POLICY, "demo", "base");
    const struct policy *web = engine_get_policy(e, PK_POLICY, "demo", "web");
    struct policy_result r;
    assert_int_equal(engine_policy_status(e, base, &r), 0);
    assert_true(r.valid);
    assert_null(r.prof); /* compiled for the status, not kept */
    assert_int_equal(engine_policy_status(e, web, &r), 0);
    assert_true(r.valid);
    assert_null(r.prof);
    assert_int_equal(r.parent, base);

    /* A file that needs them compiles them again: the same file as a fresh engine's. */
    load_text(e, pod);
    struct rec got = {0}, want = {0};
    sync_rec(e, &got);
    sync_rec(fresh, &want);
    const struct rfile *g = want_file(&got, "demo/web.json", FILE_WRITE);
    const struct rfile *w = want_file(&want, "demo/web.json", FILE_WRITE);
    assert_int_equal(g->len, w->len);
    assert_memory_equal(g->json, w->json, w->len);
    /* Kept now that a file used it: the status has it. */
    assert_int_equal(engine_policy_status(e, web, &r), 0);
    assert_non_null(r.prof);

    /* engine_policy_result always has the profile, the same as a fresh engine's. */
    assert_int_equal(engine_policy_result(e, base, &r), 0);
    assert_non_null(r.prof);
    struct policy_result rf;
    assert_int_equal(
        engine_policy_result(fresh, engine_get_policy(fresh, PK_POLICY, "demo", "base"), &rf), 0);
    char *ji = NULL, *jf = NULL;
    size_t li = 0, lf = 0;
    assert_int_equal(profile_render(r.prof, engine_sysdb(e), &ji, &li), 0);
    assert_int_equal(profile_render(rf.prof, engine_sysdb(fresh), &jf, &lf), 0);
    assert_string_equal(ji, jf);
    free(ji);
    free(jf);
    rec_clear(&got);
    rec_clear(&want);
    engine_free(e);
    engine_free(fresh);
}

/* Before the engine's past is known (the start), a policy that selects no pod is compiled for
 * each pod of its scope to know whether it is valid (an invalid one holds its whole scope):
 * its profile is not kept (ten thousand such policies held 3.5 MiB), and a file that takes it
 * later compiles it again, the same as a fresh engine's. */
static void test_validity_compile_not_kept(void **state)
{
    (void)state;
    static const char *const objs[] = {
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n",
        "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: web, namespace: demo}\n"
        "spec:\n  selector: {matchLabels: {app: web}}\n"
        "  seccomp: {syscalls: [read, write, openat], action: Allow}\n",
        "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: idle, namespace: demo}\n"
        "spec:\n  selector: {matchLabels: {app: none}}\n"
        "  rules: [{syscalls: [mount], action: Block}]\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: demo, labels: {app: web}}\n"
        "spec:\n  securityContext: {seccompProfile: {type: Localhost, localhostProfile: "
        "kscmp/demo/web.json}}\n  containers: [{name: c, image: i}]\n",
        NULL};
    static const char later[] =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: demo, labels: {app: none}}\n"
        "spec:\n  securityContext: {seccompProfile: {type: Localhost, localhostProfile: "
        "kscmp/demo/idle.json}}\n  containers: [{name: c, image: i}]\n";
    struct engine *e = engine_for("x86_64", objs);
    struct rec got = {0}, want = {0};
    sync_rec(e, &got);
    want_file(&got, "demo/web.json", FILE_WRITE);
    engine_past_known(e);
    const struct policy *idle = engine_get_policy(e, PK_POLICY, "demo", "idle");
    struct policy_result r;
    assert_int_equal(engine_policy_status(e, idle, &r), 0);
    assert_true(r.valid);
    assert_null(r.prof); /* compiled to know it is valid, not kept */
    load_text(e, later);
    rec_clear(&got);
    sync_rec(e, &got);
    struct engine *fresh = engine_for("x86_64", objs);
    load_text(fresh, later);
    sync_rec(fresh, &want);
    const struct rfile *g = want_file(&got, "demo/idle.json", FILE_WRITE);
    const struct rfile *w = want_file(&want, "demo/idle.json", FILE_WRITE);
    assert_int_equal(g->len, w->len);
    assert_memory_equal(g->json, w->json, w->len);
    rec_clear(&got);
    rec_clear(&want);
    engine_free(e);
    engine_free(fresh);
}

/* engine_policy_swap_tag: the caller's byte stays with a policy across its versions and goes
 * with it (the --local agent tells a condition change by it). */
static void test_policy_tag(void **state)
{
    (void)state;
    static const char v1[] = "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\n"
                             "metadata: {name: web, namespace: demo}\n"
                             "spec: {seccomp: {syscalls: [read], action: Allow}}\n";
    static const char v2[] = "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\n"
                             "metadata: {name: web, namespace: demo}\n"
                             "spec: {seccomp: {syscalls: [nosuchcall], action: Allow}}\n";
    struct engine *e = engine_for("x86_64", (const char *const[]){v1, NULL});
    uint8_t old = 9;
    const struct policy *p = engine_get_policy(e, PK_POLICY, "demo", "web");
    assert_int_equal(engine_policy_swap_tag(e, p, 1, &old), 0);
    assert_int_equal(old, 0); /* new */
    load_text(e, v2);
    p = engine_get_policy(e, PK_POLICY, "demo", "web");
    assert_int_equal(engine_policy_swap_tag(e, p, 2, &old), 0);
    assert_int_equal(old, 1); /* kept across versions */
    assert_int_equal(engine_delete_policy(e, PK_POLICY, "demo", "web"), 0);
    struct policy gone = {.kind = PK_POLICY, .ns = "demo", .name = "web"};
    assert_int_equal(engine_policy_swap_tag(e, &gone, 1, &old), -ENOENT);
    load_text(e, v1);
    p = engine_get_policy(e, PK_POLICY, "demo", "web");
    assert_int_equal(engine_policy_swap_tag(e, p, 1, &old), 0);
    assert_int_equal(old, 0); /* gone with the deleted policy */
    engine_free(e);
}

/* ---- a bad edit refused: the version in force before it, never an older one ------------
 * F1: a version invalid through its ancestor alone (its files take it, on the ancestor's last
 *     good version) is in force: a bad edit after it falls back to it (a decode error, a
 *     missing parent; one read with no sync between; one level up).
 * F2: a policy defined twice (the --local source puts the second definition held): the other
 *     definition, put in the same read, was never in force, at the start or after it.
 * (Reproducers of a review; each failed before the fix.) */

static const char *act_of(const struct rec *r, const char *rel, const char *sys)
{
    static char buf[4][64];
    static int k;
    k = (k + 1) % 4;
    const struct rfile *f = rec_file(r, rel);
    if (!f)
        return "not reported";
    if (f->action != FILE_WRITE)
        return f->action == FILE_KEEP ? "KEEP" : "REMOVE";
    json_t *root = parse_profile(f->json, f->len);
    snprintf(buf[k], sizeof(buf[k]), "%s", eff(root, sys).s);
    json_decref(root);
    return buf[k];
}

/* ---- F1: a version that was invalid only through its ancestor is dropped when replaced --- */

#define BASE_OK POL("base", "  seccomp: {syscalls: [read, write, mkdir], action: Allow}\n")
#define BASE_BAD POL("base", "  seccomp: {syscalls: [read, wirte, mkdir], action: Allow}\n")
#define WEB_V1                                                                                     \
    POL("web", "  extends: base\n  selector: {matchLabels: {app: web}}\n"                          \
               "  seccomp: {syscalls: [getpid], action: Allow}\n")
#define WEB_V2 /* tightened: blocks mkdir */                                                       \
    POL("web", "  extends: base\n  selector: {matchLabels: {app: web}}\n"                          \
               "  seccomp: {syscalls: [getpid], action: Allow}\n"                                  \
               "  rules: [{syscalls: [mkdir], action: Block}]\n")
#define WEB_V3 /* v2 with a bad edit of its own (an unknown action: a decode error) */             \
    POL("web", "  extends: base\n  selector: {matchLabels: {app: web}}\n"                          \
               "  seccomp: {syscalls: [getpid], action: Allw}\n"                                   \
               "  rules: [{syscalls: [mkdir], action: Block}]\n")

static void test_f1_child_edited_while_parent_broken_stays(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e = engine_for(
        "x86_64", OBJS(BASE_OK, WEB_V1, POD("demo", "w1", "{app: web}", "kscmp/demo/web.json")));
    sync_rec(e, &r);
    assert_string_equal(act_of(&r, "demo/web.json", "mkdir"), "ALLOW");
    load(e, OBJS(BASE_BAD));
    sync_rec(e, &r);
    load(e, OBJS(WEB_V2));
    sync_rec(e, &r);
    /* web v2 on base v1. */
    assert_string_equal(act_of(&r, "demo/web.json", "mkdir"), "ERRNO(1)");
    /* web's own bad edit: refused, web stays v2 (on base v1): mkdir blocked. */
    load(e, OBJS(WEB_V3, POD("demo", "w2", "{app: web}", "kscmp/demo/fresh.json")));
    sync_rec(e, &r);
    if (strcmp(act_of(&r, "demo/fresh.json", "mkdir"), "ALLOW") == 0 ||
        strcmp(act_of(&r, "demo/web.json", "mkdir"), "ALLOW") == 0)
        fail_msg("web's bad edit v3 falls back to v1 (mkdir ALLOW), not to v2 (mkdir blocked), "
                 "which was accepted and written");
    rec_clear(&r);
    engine_free(e);
}

/* The same with no sync between (one watch read): web v2 came while base was still good. */
static void test_f1b_child_edit_then_parent_break_then_child_break_one_read(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e = engine_for(
        "x86_64", OBJS(BASE_OK, WEB_V1, POD("demo", "w1", "{app: web}", "kscmp/demo/web.json")));
    sync_rec(e, &r);
    load(e, OBJS(WEB_V2, BASE_BAD, WEB_V3));
    sync_rec(e, &r);
    if (strcmp(act_of(&r, "demo/web.json", "mkdir"), "ALLOW") == 0)
        fail_msg("web v2 (valid when it came, base still good) is forgotten: web.json takes v1");
    rec_clear(&r);
    engine_free(e);
}

/* The same one level up: grandparent broken, parent edited (tightened), then the parent's own bad
 * edit; the child is unchanged. */
static void test_f1c_parent_edited_while_grandparent_broken_stays(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e = engine_for(
        "x86_64", OBJS(POL("g", "  seccomp: {syscalls: [read, write, mkdir], action: Allow}\n"),
                       POL("a", "  extends: g\n  seccomp: {syscalls: [futex], action: Allow}\n"),
                       POL("web", "  extends: a\n  selector: {matchLabels: {app: web}}\n"
                                  "  seccomp: {syscalls: [getpid], action: Allow}\n"),
                       POD("demo", "w1", "{app: web}", "kscmp/demo/web.json")));
    sync_rec(e, &r);
    load(e, OBJS(POL("g", "  seccomp: {syscalls: [read, wirte, mkdir], action: Allow}\n")));
    sync_rec(e, &r);
    load(e, OBJS(POL("a", "  extends: g\n  seccomp: {syscalls: [futex], action: Allow}\n"
                          "  rules: [{syscalls: [mkdir], action: Block}]\n")));
    sync_rec(e, &r);
    assert_string_equal(act_of(&r, "demo/web.json", "mkdir"), "ERRNO(1)");
    load(e, OBJS(POL("a", "  extends: g\n  seccomp: {syscalls: [futex], action: Allw}\n"
                          "  rules: [{syscalls: [mkdir], action: Block}]\n")));
    sync_rec(e, &r);
    if (strcmp(act_of(&r, "demo/web.json", "mkdir"), "ALLOW") == 0)
        fail_msg("a's bad edit falls back to a v1, not a v2 (accepted, written): mkdir ALLOW");
    rec_clear(&r);
    engine_free(e);
}

/* F1 with an error the API server lets through (a CRD schema cannot see it): web v3 extends a
 * parent that does not exist (a typo). */
#define WEB_V3_TYPO                                                                                \
    POL("web", "  extends: bse\n  selector: {matchLabels: {app: web}}\n"                           \
               "  seccomp: {syscalls: [getpid], action: Allow}\n"                                  \
               "  rules: [{syscalls: [mkdir], action: Block}]\n")

static void test_f1d_missing_parent_typo(void **state)
{
    (void)state;
    struct rec r = {0};
    struct engine *e = engine_for(
        "x86_64", OBJS(BASE_OK, WEB_V1, POD("demo", "w1", "{app: web}", "kscmp/demo/web.json")));
    engine_past_known(e);
    sync_rec(e, &r);
    load(e, OBJS(BASE_BAD));
    sync_rec(e, &r);
    load(e, OBJS(WEB_V2));
    sync_rec(e, &r);
    assert_string_equal(act_of(&r, "demo/web.json", "mkdir"), "ERRNO(1)");
    load(e, OBJS(WEB_V3_TYPO));
    sync_rec(e, &r);
    if (strcmp(act_of(&r, "demo/web.json", "mkdir"), "ALLOW") == 0)
        fail_msg("a typo in extends (accepted by the API server) rewrites web.json from web v1: "
                 "mkdir ALLOW again, though the file blocked it");
    rec_clear(&r);
    engine_free(e);
}

/* ---- F2: the put-time compile makes a transient version the fallback ----------------------
 * What the --local source does with a policy defined twice (hold_defined_twice): the first
 * definition is put as read, then the second, packed with the error "defined twice". Emulated
 * here; tests/unit/node/test_rev2_local.c (/tmp/rev2-repro-local.c) shows it through the
 * source itself. */
static int put_held(struct object *o, void *engine)
{
    if (o->type != OBJ_POLICY)
        return engine_put_object(o, engine);
    struct policy *p = o->policy, *held = NULL;
    char *own = p->error;
    p->error = (char *)"SeccompPolicy demo/web is defined in a.yaml and in b.yaml: it is held";
    assert_int_equal(policy_pack(p, &held), 0);
    p->error = own;
    return engine_put_policy_held(engine, held, true);
}

static void load_held(struct engine *e, const char *yaml)
{
    struct ynode **docs = NULL;
    size_t n = 0;
    struct kerr err = {0};
    assert_int_equal(ydoc_parse_yaml(yaml, strlen(yaml), "b.yaml", &docs, &n, &err), 0);
    assert_int_equal(decode_documents(docs, n, "b.yaml", put_held, e, &err), 0);
    ydoc_free_all(docs, n);
}

#define WEB_LOOSE                                                                                  \
    POL("web", "  defaultAction: Allow\n  rules: [{syscalls: [ptrace], action: Block}]\n")
#define WEB_STRICT POL("web", "  seccomp: {syscalls: [read], action: Allow}\n")

static void test_f2_defined_twice_takes_neither(void **state)
{
    (void)state;
    struct rec r = {0};
    /* The agent starts; a.yaml (loose) is read, then b.yaml (strict) defines web again. */
    struct engine *e = engine_for(
        "x86_64", OBJS(WEB_LOOSE, POD("demo", "w1", "{app: web}", "kscmp/demo/web.json")));
    load_held(e, WEB_STRICT);
    sync_rec(e, &r); /* the first sync */
    engine_past_known(e);
    if (strcmp(act_of(&r, "demo/web.json", "mkdir"), "ALLOW") == 0)
        fail_msg("web.json written from the definition read first (default Allow); which one "
                 "was meant is not known, neither was ever in force");
    rec_clear(&r);
    engine_free(e);

    /* After the start: web (strict) in force; its file is rewritten with a looser definition
     * above the old one: the first definition is put, then the second, held. */
    e = engine_for("x86_64",
                   OBJS(WEB_STRICT, POD("demo", "w1", "{app: web}", "kscmp/demo/web.json")));
    sync_rec(e, &r);
    engine_past_known(e);
    assert_string_equal(act_of(&r, "demo/web.json", "mkdir"), "ERRNO(1)");
    load(e, OBJS(WEB_LOOSE));
    load_held(e, WEB_STRICT);
    sync_rec(e, &r);
    if (strcmp(act_of(&r, "demo/web.json", "mkdir"), "ALLOW") == 0)
        fail_msg("web.json rewritten from the looser of two definitions, never in force");
    rec_clear(&r);
    engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kubearmor_example_incremental),
        cmocka_unit_test(test_kubearmor_kind),
        cmocka_unit_test(test_status_drops_unused_profile),
        cmocka_unit_test(test_validity_compile_not_kept),
        cmocka_unit_test(test_policy_tag),
        cmocka_unit_test(test_contributions_table),
        cmocka_unit_test(test_no_policy),
        cmocka_unit_test(test_pod_event_now),
        cmocka_unit_test(test_cluster_policies_only),
        cmocka_unit_test(test_refused_references),
        cmocka_unit_test(test_invalid_policy_keeps_file),
        cmocka_unit_test(test_held_shared_file_tells_every_pod),
        cmocka_unit_test(test_shared_file_kept_tells_no_pod_it_is_written),
        cmocka_unit_test(test_refused_edit_keeps_what_came_after),
        cmocka_unit_test(test_f1_child_edited_while_parent_broken_stays),
        cmocka_unit_test(test_f1b_child_edit_then_parent_break_then_child_break_one_read),
        cmocka_unit_test(test_f1c_parent_edited_while_grandparent_broken_stays),
        cmocka_unit_test(test_f1d_missing_parent_typo),
        cmocka_unit_test(test_f2_defined_twice_takes_neither),
        cmocka_unit_test(test_shared_file_conflict),
        cmocka_unit_test(test_stricter_profile_is_told),
        cmocka_unit_test(test_pod_deleted),
        cmocka_unit_test(test_incremental_scope),
        cmocka_unit_test(test_incremental_parents_and_selectors),
        cmocka_unit_test(test_incremental_extends_changes),
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_tree_other_parents),
        cmocka_unit_test(test_invalid_table),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_extends_depth),
        cmocka_unit_test(test_extends_20000),
        cmocka_unit_test(test_invalid_then_fixed),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_conflicts_order_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
