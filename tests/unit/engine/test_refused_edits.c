/* test_refused_edits.c - a bad edit counts as refused (contract 2, docs/policies.md: invalid
 * policies): what its files take is the version in force before it, never an older, looser
 * one, whatever came between.
 *
 * F1: a version invalid through its ancestor alone (its files take it, on the ancestor's last
 *     good version) is in force: a bad edit after it falls back to it, not to the version
 *     before (a decode error, a missing parent; one read with no sync between; one level up).
 * F2: a policy defined twice (the --local source puts the second definition held): the other
 *     definition, put in the same read, was never in force, at the start or after it.
 * (Reproducers of a review of 3af5898..490f603; each failed before the fix.)
 */
#pragma GCC diagnostic ignored "-Wunused-function"
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
};

struct revent {
    char *pod; /* "ns/name" */
    char *reason;
    char *message;
};

struct rec {
    struct rfile *f;
    size_t nf;
    struct revent *ev;
    size_t nev;
};

static void rec_clear(struct rec *r)
{
    for (size_t i = 0; i < r->nf; i++) {
        free(r->f[i].rel);
        free(r->f[i].json);
        free(r->f[i].why);
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
    } else {
        assert_non_null(res->why);
        f->why = strdup(res->why);
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
    if (asprintf(&e->pod, "%s/%s", ev->pod->ns, ev->pod->name) < 0)
        fail();
    e->reason = strdup(ev->reason);
    e->message = strdup(ev->message);
    return 0;
}

/* Syncs e, recording into r (cleared first). */
static void sync_rec(struct engine *e, struct rec *r)
{
    rec_clear(r);
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

static void test_f1_child_edit_during_broken_parent_forgotten(void **state)
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
static void test_f1c_parent_edit_during_broken_grandparent_forgotten(void **state)
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

static void test_f2_defined_twice_at_start_takes_the_first_read(void **state)
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
        cmocka_unit_test(test_f1_child_edit_during_broken_parent_forgotten),
        cmocka_unit_test(test_f1b_child_edit_then_parent_break_then_child_break_one_read),
        cmocka_unit_test(test_f1c_parent_edit_during_broken_grandparent_forgotten),
        cmocka_unit_test(test_f1d_missing_parent_typo),
        cmocka_unit_test(test_f2_defined_twice_at_start_takes_the_first_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
