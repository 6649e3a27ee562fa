/* test_defined_twice.c - the --local source and a policy defined twice: neither definition is
 * ever taken as in force (which one was meant is not known, and the other could be weaker),
 * when the agent starts with both, or when a file gets a second definition pasted above the one
 * in force (its file keeps that one). Through the real source (node/local_source.c) and engine.
 * (Reproducers of a review of 3af5898..490f603; both failed before engine_put_policy_held().)
 * A Namespace defined twice with other labels is taken as unknown, so that a guardrail that
 * picks namespaces by label is never dropped by the definition read last (it was, silently). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/engine_fixture.h"
#include "base/evloop.h"
#include "base/metrics.h"
#include "node/local_source.h"

struct fix {
    char dir[64];
    struct engine *e;
    struct metrics *m;
    struct localsrc *s;
};

static void on_changed(uint64_t event_us, void *userdata)
{
    (void)event_us;
    (void)userdata;
}

static void put_file(const struct fix *f, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

struct out {
    const char *rel; /* the file looked at (NULL: demo/web.json) */
    enum file_action action;
    char json[65536];
    bool seen;
    char ns_event[1024]; /* the last NamespaceUnknown Event's message */
};

static int on_event(const struct engine_event *ev, void *userdata)
{
    struct out *o = userdata;
    if (strcmp(ev->reason, "NamespaceUnknown") == 0)
        snprintf(o->ns_event, sizeof(o->ns_event), "%s", ev->message);
    return 0;
}

static int on_file(const struct file_result *r, void *userdata)
{
    struct out *o = userdata;
    if (strcmp(r->rel, o->rel ? o->rel : "demo/web.json") != 0)
        return 0;
    o->seen = true;
    o->action = r->action;
    if (r->action == FILE_WRITE)
        snprintf(o->json, sizeof(o->json), "%.*s", (int)r->len, r->json);
    return 0;
}

/* An empty DIR and the engine the source puts into. */
static void fix_start(struct fix *f)
{
    strcpy(f->dir, "/tmp/kscmp-rev2-local-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(engine_new(arch_parse("x86_64"), &f->e), 0);
    engine_set_startup(f->e, false);
    assert_int_equal(metrics_new(&f->m), 0);
    put_file(f, "pod.yaml", POD("demo", "w1", "{app: web}", "kscmp/demo/web.json"));
}

/* The agent's start on DIR: every file read, then the first reconcile (local_first_sync():
 * a sync, then the engine's past known), its web.json verdict into o. */
static void fix_first_sync(struct fix *f, struct out *o)
{
    struct kerr err = {0};
    assert_int_equal(localsrc_new(f->dir, f->e, NULL, f->m, on_changed, f, &f->s, &err), 0);
    assert_int_equal(localsrc_load_all(f->s), 0);
    assert_true(localsrc_complete(f->s));
    struct sync_ops ops = {on_file, on_event, o};
    assert_int_equal(engine_sync(f->e, &ops), 0);
    engine_past_known(f->e);
}

static void fix_stop(struct fix *f)
{
    localsrc_free(f->s);
    engine_free(f->e);
    metrics_free(f->m);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#define STRICT POL("web", "  seccomp: {syscalls: [read], action: Allow}\n")
#define LOOSE POL("web", "  defaultAction: Allow\n  rules: [{syscalls: [ptrace], action: Block}]\n")

/* Whether web.json was written from LOOSE (its default Allow). */
static bool loose_written(const struct out *o)
{
    return o->seen && o->action == FILE_WRITE &&
           strstr(o->json, "SCMP_ACT_ALLOW\",\n  \"architectures") != NULL;
}

/* An admin keeps an older, looser copy beside the file (web-old.yaml sorts before web.yaml): the
 * agent starts with both. Which one was meant is not known (docs/agent.md): nothing may be
 * written from either. */
static void test_defined_twice_at_start_writes_neither(void **state)
{
    (void)state;
    struct out *o = calloc(1, sizeof(*o));
    struct fix f = {0};
    fix_start(&f);
    put_file(&f, "web-old.yaml", LOOSE);
    put_file(&f, "web.yaml", STRICT);
    fix_first_sync(&f, o);
    fix_stop(&f);
    bool seen = o->seen, loose = loose_written(o);
    free(o);
    assert_true(seen);
    if (loose)
        fail_msg("web.json written from the looser definition (default Allow), read first; "
                 "which one was meant is not known");
}

/* After the start: web.yaml (strict) is in force and written; then it is rewritten with a new
 * (looser) definition pasted above the old one, which was not deleted. */
static void test_defined_twice_in_one_file_after_start(void **state)
{
    (void)state;
    struct out *o = calloc(1, sizeof(*o));
    struct fix f = {0};
    fix_start(&f);
    put_file(&f, "web.yaml", STRICT);
    fix_first_sync(&f, o);
    assert_int_equal(o->action, FILE_WRITE);
    assert_false(loose_written(o));
    put_file(&f, "web.yaml", LOOSE "---\n" STRICT);
    assert_int_equal(localsrc_load_all(f.s), 0);
    o->seen = false;
    struct sync_ops ops = {on_file, on_event, o};
    assert_int_equal(engine_sync(f.e, &ops), 0);
    bool loose = loose_written(o);
    fix_stop(&f);
    free(o);
    if (loose)
        fail_msg("web.json written from the looser of two definitions in one file");
}

#define GUARD                                                                                      \
    CPOL("guard", "  selector: {}\n  namespaceSelector: {matchLabels: {env: prod}}\n"              \
                  "  rules: [{syscalls: [mkdir], action: Block, errno: EPERM}]\n")

/* Whether web.json was written without the guard's block of mkdir (LOOSE allows it). */
static bool unguarded_written(const struct out *o)
{
    return o->seen && o->action == FILE_WRITE && strstr(o->json, "\"mkdir\"") == NULL;
}

/* Whether the engine holds Namespace demo with label env=value. */
static bool demo_env(const struct fix *f, const char *value)
{
    const struct k8s_namespace *n = engine_get_namespace(f->e, "demo");
    const char *v = n ? labels_get(&n->labels, "env") : NULL;
    return v && strcmp(v, value) == 0;
}

static void sync_again(struct fix *f, struct out *o)
{
    assert_int_equal(localsrc_load_all(f->s), 0);
    o->seen = false;
    struct sync_ops ops = {on_file, on_event, o};
    assert_int_equal(engine_sync(f->e, &ops), 0);
}

/* The guard, Namespace demo (env=prod) in ns-a.yaml, a second text in ns-b.yaml when not NULL, the
 * pod's LOOSE policy; then the agent's start. */
static void guard_start(struct fix *f, struct out *o, const char *and_then)
{
    fix_start(f);
    put_file(f, "guard.yaml", GUARD);
    put_file(f, "ns-a.yaml", NS("demo", "{env: prod}"));
    if (and_then)
        put_file(f, "ns-b.yaml", and_then);
    put_file(f, "web.yaml", LOOSE);
    fix_first_sync(f, o);
}

/* Namespace demo in two files, env=prod (the guard picks it) and env=dev, read last: its
 * labels are not known, and web.json is not written without the guard. */
static void test_namespace_twice_at_start_keeps_guard(void **state)
{
    (void)state;
    struct out *o = calloc(1, sizeof(*o));
    struct fix f = {0};
    guard_start(&f, o, NS("demo", "{env: dev}"));
    bool unguarded = unguarded_written(o), known = engine_get_namespace(f.e, "demo") != NULL;
    unsigned twice = localsrc_defined_twice(f.s);
    char want[300];
    snprintf(want, sizeof(want),
             "the labels of Namespace demo, which are not known: it is defined in %s/ns-a.yaml "
             "and in %s/ns-b.yaml, with other labels (keep one)",
             f.dir, f.dir);
    bool told = strstr(o->ns_event, want) != NULL;
    fix_stop(&f);
    if (!told)
        fail_msg("the pod's NamespaceUnknown Event does not name both places: %s", o->ns_event);
    free(o);
    if (unguarded)
        fail_msg("web.json written without the guard: Namespace demo taken from the file read "
                 "last (env=dev)");
    assert_false(known);
    assert_int_equal(twice, 1); /* --once fails */
}

/* After the start with one definition (written with the guard): a second definition with
 * other labels holds the file; made alike, the labels are known again; other again, held
 * again; the second file gone, the first one's labels are back. Twice in one file too. */
static void test_namespace_twice_after_start(void **state)
{
    (void)state;
    struct out *o = calloc(1, sizeof(*o));
    struct fix f = {0};
    guard_start(&f, o, NULL);
    assert_true(o->seen && o->action == FILE_WRITE);
    assert_false(unguarded_written(o));
    assert_true(demo_env(&f, "prod"));

    put_file(&f, "ns-b.yaml", NS("demo", "{env: dev}"));
    sync_again(&f, o);
    assert_false(unguarded_written(o));
    assert_null(engine_get_namespace(f.e, "demo"));

    put_file(&f, "ns-b.yaml", NS("demo", "{tier: x, env: prod}"));
    sync_again(&f, o);
    assert_null(engine_get_namespace(f.e, "demo")); /* one more label: other labels */
    put_file(&f, "ns-b.yaml", "# the same labels, another order\n" NS("demo", "{env: prod}"));
    sync_again(&f, o);
    assert_true(demo_env(&f, "prod"));
    assert_false(unguarded_written(o));

    put_file(&f, "ns-b.yaml", NS("demo", "{env: dev}"));
    sync_again(&f, o);
    assert_null(engine_get_namespace(f.e, "demo"));
    assert_false(unguarded_written(o));
    char path[300];
    snprintf(path, sizeof(path), "%s/ns-b.yaml", f.dir);
    assert_int_equal(unlink(path), 0);
    sync_again(&f, o);
    assert_true(demo_env(&f, "prod"));
    assert_false(unguarded_written(o));

    put_file(&f, "ns-a.yaml", NS("demo", "{env: prod}") "---\n" NS("demo", "{env: dev}"));
    sync_again(&f, o);
    assert_null(engine_get_namespace(f.e, "demo"));
    assert_false(unguarded_written(o));
    put_file(&f, "ns-a.yaml", NS("demo", "{env: dev}"));
    sync_again(&f, o);
    assert_true(demo_env(&f, "dev")); /* one definition: the admin's word */
    fix_stop(&f);
    free(o);
}

/* DIR/ns-a.yaml gets another name, DIR/to (a hard link). */
static void link_ns_a(const struct fix *f, const char *to)
{
    char a[300], b[300];
    snprintf(a, sizeof(a), "%s/ns-a.yaml", f->dir);
    snprintf(b, sizeof(b), "%s/%s", f->dir, to);
    assert_int_equal(link(a, b), 0);
}

/* Whether the engine holds Namespace demo with a label tier. */
static bool demo_tier(const struct fix *f)
{
    const struct k8s_namespace *n = engine_get_namespace(f->e, "demo");
    return n && labels_get(&n->labels, "tier") != NULL;
}

/* The links' tests: guard_start() with an alarm that ends the test should the source loop
 * (the returned out is the test's); links_stop() undoes both (and ends the other tests). */
static struct out *links_start(struct fix *f)
{
    struct out *o = calloc(1, sizeof(*o));
    assert_non_null(o);
    guard_start(f, o, NULL);
    alarm(30);
    return o;
}

static void links_stop(struct fix *f, struct out *o)
{
    alarm(0);
    fix_stop(f);
    free(o);
}

/* fix_start() and an out that looks at demo/w.json (the file of pod demo/w2 below). */
static struct out *w_start(struct fix *f)
{
    struct out *o = calloc(1, sizeof(*o));
    assert_non_null(o);
    o->rel = "demo/w.json";
    fix_start(f);
    return o;
}

/* ns-a.yaml and ns-a2.yaml are two names of one file (a hard link), edited in place through
 * one name: the other is read again once, its labels are the same, and the Namespace is known
 * with the new labels (the two names once marked each other to be read again, for ever: the
 * alarm ends such a loop). */
static void test_namespace_hard_link_edited(void **state)
{
    (void)state;
    struct fix f = {0};
    struct out *o = links_start(&f);
    link_ns_a(&f, "ns-a2.yaml");
    sync_again(&f, o);
    assert_true(demo_env(&f, "prod"));
    put_file(&f, "ns-a.yaml", NS("demo", "{env: prod, tier: x}")); /* the same inode */
    sync_again(&f, o);
    bool tier = demo_tier(&f);
    links_stop(&f, o);
    assert_true(tier);
}

/* ns-a.yaml defines Namespace demo twice with other labels, and ns-a2.yaml is a second name of
 * it (a hard link): each name's recorded labels always differ from the other's definitions, so
 * the two must not mark each other to be read again for ever (they did: the alarm ends it). */
static void test_namespace_twice_in_hard_linked_file(void **state)
{
    (void)state;
    struct fix f = {0};
    struct out *o = links_start(&f);
    put_file(&f, "ns-a.yaml", NS("demo", "{env: prod}") "---\n" NS("demo", "{env: dev}"));
    link_ns_a(&f, "ns-a2.yaml");
    sync_again(&f, o);
    bool known = engine_get_namespace(f.e, "demo") != NULL, unguarded = unguarded_written(o);
    links_stop(&f, o);
    assert_false(known);
    assert_false(unguarded);
}

/* Three names of one file, edited in place through one: no definition "with other labels" is
 * counted (the two others are read again and say the same). */
static void test_namespace_three_names_edited(void **state)
{
    (void)state;
    struct fix f = {0};
    struct out *o = links_start(&f);
    link_ns_a(&f, "ns-a2.yaml");
    link_ns_a(&f, "ns-a3.yaml");
    sync_again(&f, o);
    unsigned twice = localsrc_defined_twice(f.s);
    put_file(&f, "ns-a.yaml", NS("demo", "{env: prod, tier: x}"));
    sync_again(&f, o);
    bool tier = demo_tier(&f);
    unsigned twice_after = localsrc_defined_twice(f.s);
    links_stop(&f, o);
    assert_true(tier);
    assert_int_equal(twice_after, twice);
}

/* Pod w2 is defined in pod-0.yaml (app: other: a loose policy) and in pod-1.yaml (app: web: a
 * strict one), read last, in force. Another file drops an object pod-0.yaml holds too (a
 * Namespace), so pod-0.yaml is read again, its bytes unchanged: its Pod must not become the one
 * in force (it did, silently: w.json went to the loose policy). */
static void test_pod_twice_kept_when_another_object_drops(void **state)
{
    (void)state;
    struct fix f = {0};
    struct out *o = w_start(&f);
    put_file(&f, "pols.yaml",
             POL("strict",
                 "  selector: {matchLabels: {app: web}}\n"
                 "  seccomp: {syscalls: [read], action: Allow}\n") "---\n" POL("loose",
                                                                               "  selector: "
                                                                               "{matchLabels: "
                                                                               "{app: other}}\n  "
                                                                               "defaultAction: "
                                                                               "Allow\n"));
    put_file(&f, "pod-0.yaml",
             POD("demo", "w2", "{app: other}", "kscmp/demo/w.json") "---\n" NS("extra", "{}"));
    put_file(&f, "pod-1.yaml", POD("demo", "w2", "{app: web}", "kscmp/demo/w.json"));
    put_file(&f, "x-extra.yaml", NS("extra", "{}"));
    fix_first_sync(&f, o);
    assert_true(o->seen && o->action == FILE_WRITE);
    assert_null(strstr(o->json, "\"defaultAction\": \"SCMP_ACT_ALLOW\""));
    char path[300];
    snprintf(path, sizeof(path), "%s/x-extra.yaml", f.dir);
    assert_int_equal(unlink(path), 0);
    sync_again(&f, o);
    bool loose = o->seen && o->action == FILE_WRITE &&
                 strstr(o->json, "\"defaultAction\": \"SCMP_ACT_ALLOW\"") != NULL;
    const struct pod *p = engine_get_pod(f.e, "demo", "w2");
    char app[64];
    snprintf(app, sizeof(app), "%s",
             p && labels_get(&p->labels, "app") ? labels_get(&p->labels, "app") : "none");
    /* An edit of something else in pod-0.yaml (a comment): its Pod is not read as new. Then
     * an edit of that Pod's own definition: it is the one read last, as documented. */
    put_file(&f, "pod-0.yaml",
             "# the loose one\n" POD("demo", "w2", "{app: other}",
                                     "kscmp/demo/w.json") "---\n" NS("extra", "{}"));
    sync_again(&f, o);
    p = engine_get_pod(f.e, "demo", "w2");
    const char *after_comment = p ? labels_get(&p->labels, "app") : NULL;
    assert_non_null(after_comment);
    assert_string_equal(after_comment, "web");
    put_file(
        &f, "pod-0.yaml",
        POD("demo", "w2", "{app: other, v: '2'}", "kscmp/demo/w.json") "---\n" NS("extra", "{}"));
    sync_again(&f, o);
    p = engine_get_pod(f.e, "demo", "w2");
    assert_non_null(p);
    assert_non_null(labels_get(&p->labels, "v"));
    put_file(&f, "pod-0.yaml",
             POD("demo", "w2", "{app: other}", "kscmp/demo/w.json") "---\n" NS("extra", "{}"));
    put_file(&f, "pod-1.yaml", POD("demo", "w2", "{app: web, v: '3'}", "kscmp/demo/w.json"));
    sync_again(&f, o);
    /* The file of the definition in force drops it: the other one, the only one left, is
     * in force (not the one no file holds any more). */
    put_file(&f, "pod-1.yaml", NS("other", "{}"));
    sync_again(&f, o);
    p = engine_get_pod(f.e, "demo", "w2");
    const char *left = p ? labels_get(&p->labels, "app") : NULL;
    bool other = left && strcmp(left, "other") == 0;
    fix_stop(&f);
    free(o);
    if (loose || strcmp(app, "web") != 0)
        fail_msg("pod demo/w2 swapped to its other definition (app: %s) when another file "
                 "dropped an object",
                 app);
    assert_true(other);
}

#define WPOD(labels) POD("demo", "w2", labels, "kscmp/demo/w.json")

static void app_of(const struct fix *f, char *buf, size_t len)
{
    const struct pod *p = engine_get_pod(f->e, "demo", "w2");
    const char *a = p ? labels_get(&p->labels, "app") : NULL;
    const char *v = p ? labels_get(&p->labels, "v") : NULL;
    snprintf(buf, len, "%s%s%s", a ? a : (p ? "?" : "GONE"), v ? "/v=" : "", v ? v : "");
}

static void rm_file(const struct fix *f, const char *name)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    assert_int_equal(unlink(path), 0);
}

/* w2 twice in pod-0.yaml (two different definitions), once in pod-1.yaml (read last, in
 * force). A comment edit in pod-0.yaml must keep pod-1's. */
static void test_pod_twice_in_one_file_comment(void **state)
{
    struct fix f = {0};
    struct out *o = w_start(&f);
    put_file(&f, "pod-0.yaml", WPOD("{app: other, v: '1'}") "---\n" WPOD("{app: other}"));
    put_file(&f, "pod-1.yaml", WPOD("{app: web}"));
    fix_first_sync(&f, o);
    char a0[64], a1[64];
    app_of(&f, a0, sizeof(a0));
    put_file(&f, "pod-0.yaml",
             "# a comment\n" WPOD("{app: other, v: '1'}") "---\n" WPOD("{app: other}"));
    sync_again(&f, o);
    app_of(&f, a1, sizeof(a1));
    links_stop(&f, o);
    fprintf(stderr, "T1: start %s, after comment in pod-0 %s\n", a0, a1);
    assert_string_equal(a0, "web");
    assert_string_equal(a1, "web");
}

/* the same definition in a.yaml and b.yaml (a copy), a loose one in 0.yaml; read order 0, a,
 * b: b's in force (== a's). rm b: a still holds the very definition in force; nothing should
 * change (a restart reads 0 then a: a's). */
static void t2_run(const char *n0, const char *na, const char *nb, char *out, size_t len)
{
    struct fix f = {0};
    struct out *o = w_start(&f);
    put_file(&f, n0, WPOD("{app: other}"));
    put_file(&f, na, WPOD("{app: web}"));
    put_file(&f, nb, WPOD("{app: web}"));
    fix_first_sync(&f, o);
    char a0[64], a1[64];
    app_of(&f, a0, sizeof(a0));
    rm_file(&f, nb);
    sync_again(&f, o);
    app_of(&f, a1, sizeof(a1));
    links_stop(&f, o);
    snprintf(out, len, "%s -> %s", a0, a1);
}

static void test_pod_copy_removed_keeps_its_definition(void **state)
{
    char res[200];
    int bad = 0;
    char names[3][32];
    for (int i = 0; i < 20; i++) {
        snprintf(names[0], 32, "%c0.yaml", 'a' + i);
        snprintf(names[1], 32, "%c1.yaml", 'a' + i);
        snprintf(names[2], 32, "%c2.yaml", 'a' + i);
        t2_run(names[0], names[1], names[2], res, sizeof(res));
        fprintf(stderr, "T2 %s %s %s: %s\n", names[0], names[1], names[2], res);
        bad += strcmp(res, "web -> web") != 0;
    }
    assert_int_equal(bad, 0);
}

/* three files, from = c; c drops it; a and b reread: in force must be one held (any). Then
 * a comment edit anywhere keeps it, then its file drops it, the other is used. */
static void test_pod_in_three_files(void **state)
{
    struct fix f = {0};
    struct out *o = w_start(&f);
    put_file(&f, "a.yaml", WPOD("{app: a}"));
    put_file(&f, "b.yaml", WPOD("{app: b}"));
    put_file(&f, "c.yaml", WPOD("{app: c}"));
    fix_first_sync(&f, o);
    char s0[64], s1[64], s2[64], s3[64];
    app_of(&f, s0, sizeof(s0));
    put_file(&f, "c.yaml", NS("x", "{}"));
    sync_again(&f, o);
    app_of(&f, s1, sizeof(s1));
    put_file(&f, "a.yaml", "# c\n" WPOD("{app: a}"));
    put_file(&f, "b.yaml", "# c\n" WPOD("{app: b}"));
    sync_again(&f, o);
    app_of(&f, s2, sizeof(s2));
    char drop[32];
    snprintf(drop, sizeof(drop), "%s.yaml", s2);
    put_file(&f, drop, NS("yy", "{}"));
    sync_again(&f, o);
    app_of(&f, s3, sizeof(s3));
    links_stop(&f, o);
    fprintf(stderr, "T3: %s, c drops: %s, comments: %s, %s drops: %s\n", s0, s1, s2, drop, s3);
    assert_string_equal(s0, "c");
    assert_string_equal(s2, s1);
    assert_true(strcmp(s3, "a") == 0 || strcmp(s3, "b") == 0);
    assert_string_not_equal(s3, s2);
}

/* a broken holder: a (web) and b (other, in force). b goes broken, then a comment in a, then
 * b fixed dropping the pod: a's in force. */
static void test_pod_beside_a_broken_file(void **state)
{
    struct fix f = {0};
    struct out *o = w_start(&f);
    put_file(&f, "a.yaml", WPOD("{app: web}"));
    put_file(&f, "b.yaml", WPOD("{app: other}"));
    fix_first_sync(&f, o);
    char s0[64], s1[64], s2[64], s3[64];
    app_of(&f, s0, sizeof(s0));
    put_file(&f, "b.yaml", "kind: [\n");
    localsrc_load_all(f.s);
    put_file(&f, "a.yaml", "# c\n" WPOD("{app: web}"));
    sync_again(&f, o);
    app_of(&f, s1, sizeof(s1));
    put_file(&f, "b.yaml", NS("x", "{}"));
    sync_again(&f, o);
    app_of(&f, s2, sizeof(s2));
    rm_file(&f, "a.yaml");
    sync_again(&f, o);
    app_of(&f, s3, sizeof(s3));
    links_stop(&f, o);
    fprintf(stderr, "T4: %s, b broken+comment a: %s, b drops: %s, rm a: %s\n", s0, s1, s2, s3);
    assert_string_equal(s1, "other");
    assert_string_equal(s2, "web");
    assert_string_equal(s3, "GONE");
}

/* pod once, label edits always put; comment keeps; its file twice-defined edits. */
static void test_pod_once_always_put(void **state)
{
    struct fix f = {0};
    struct out *o = w_start(&f);
    put_file(&f, "a.yaml", WPOD("{app: web}"));
    fix_first_sync(&f, o);
    char s[4][64];
    put_file(&f, "a.yaml", WPOD("{app: web, v: '1'}"));
    sync_again(&f, o);
    app_of(&f, s[0], 64);
    put_file(&f, "a.yaml", WPOD("{app: web, v: '1'}") "---\n" WPOD("{app: web, v: '2'}"));
    sync_again(&f, o);
    app_of(&f, s[1], 64);
    put_file(&f, "a.yaml", WPOD("{app: web, v: '3'}") "---\n" WPOD("{app: web, v: '2'}"));
    sync_again(&f, o);
    app_of(&f, s[2], 64);
    put_file(&f, "a.yaml", WPOD("{app: web, v: '2'}") "---\n" WPOD("{app: web, v: '3'}"));
    sync_again(&f, o);
    app_of(&f, s[3], 64);
    links_stop(&f, o);
    fprintf(stderr, "T5: %s %s %s %s\n", s[0], s[1], s[2], s[3]);
    assert_string_equal(s[0], "web/v=1");
    assert_string_equal(s[1], "web/v=2");
    assert_string_equal(s[2], "web/v=2");
    assert_string_equal(s[3], "web/v=3");
}

/* a (web), b (other), c (loose2, in force). b broken; c drops: a's (the only readable one)
 * must be put, not c's kept for no file. */
static void test_pod_successor_not_broken(void **state)
{
    struct fix f = {0};
    struct out *o = w_start(&f);
    put_file(&f, "a.yaml", WPOD("{app: web}"));
    put_file(&f, "b.yaml", WPOD("{app: other}"));
    put_file(&f, "c.yaml", WPOD("{app: c}"));
    fix_first_sync(&f, o);
    char s0[64], s1[64];
    put_file(&f, "b.yaml", "kind: [\n");
    localsrc_load_all(f.s);
    app_of(&f, s0, sizeof(s0));
    put_file(&f, "c.yaml", NS("x", "{}"));
    sync_again(&f, o);
    app_of(&f, s1, sizeof(s1));
    links_stop(&f, o);
    fprintf(stderr, "T6: %s, c drops (b broken): %s\n", s0, s1);
    assert_string_equal(s1, "web");
}

/* Objects move between files in one change read whole (a SIGHUP, a ConfigMap volume's update):
 * a policy, a Pod and a Namespace go from z.yaml and pod.yaml to a.yaml, read first, and back.
 * No object is ever in two files on disk: nothing may be said or counted as defined twice (it
 * was, then "recovered" in the same read), and the end is the one a fresh read gives. */
static void test_moved_between_files_in_one_read(void **state)
{
    (void)state;
    struct fix f = {0};
    struct out *o = calloc(1, sizeof(*o));
    assert_non_null(o);
    fix_start(&f);
    put_file(&f, "a.yaml", NS("nx", "{}"));
    put_file(&f, "z.yaml", STRICT "---\n" NS("ny", "{}") "---\n" NS("nq", "{k: v}"));
    fix_first_sync(&f, o);
    uint64_t errs = metrics_get(f.m, M_SOURCE_ERRORS);
    unsigned twice = localsrc_defined_twice(f.s);
    put_file(&f, "a.yaml",
             NS("nx", "{}") "---\n" STRICT "---\n" NS("nq", "{k: v}") "---\n" POD(
                 "demo", "w1", "{app: web}", "kscmp/demo/web.json"));
    put_file(&f, "z.yaml", NS("ny", "{}"));
    put_file(&f, "pod.yaml", NS("np", "{}"));
    sync_again(&f, o);
    uint64_t errs1 = metrics_get(f.m, M_SOURCE_ERRORS);
    unsigned twice1 = localsrc_defined_twice(f.s);
    bool in_force1 = engine_get_policy(f.e, PK_POLICY, "demo", "web") &&
                     engine_get_namespace(f.e, "nq") && engine_get_pod(f.e, "demo", "w1");
    put_file(&f, "a.yaml", NS("ny", "{}"));
    put_file(&f, "z.yaml",
             NS("nx", "{}") "---\n" STRICT "---\n" NS("nq", "{k: v}") "---\n" POD(
                 "demo", "w1", "{app: web}", "kscmp/demo/web.json"));
    sync_again(&f, o);
    uint64_t errs2 = metrics_get(f.m, M_SOURCE_ERRORS);
    unsigned twice2 = localsrc_defined_twice(f.s);
    bool in_force2 = engine_get_policy(f.e, PK_POLICY, "demo", "web") &&
                     engine_get_namespace(f.e, "nq") && engine_get_pod(f.e, "demo", "w1");
    fix_stop(&f);
    free(o);
    assert_true(in_force1);
    assert_true(in_force2);
    assert_int_equal(twice1, twice);
    assert_int_equal(twice2, twice);
    assert_int_equal(errs1, errs);
    assert_int_equal(errs2, errs);
}

/* Policy web (by name) allows all for pod w1 (app=web); guard, which selects app=web and blocks
 * ptrace, is in m-guard.yaml. */
#define OPEN_WEB POL("web", "  defaultAction: Allow\n")
#define GUARD_OK                                                                                   \
    POL("guard", "  selector: {matchLabels: {app: web}}\n"                                         \
                 "  rules: [{syscalls: [ptrace], action: Block}]\n")
/* A bad edit of guard: another selector, and its action misspelled (invalid). */
#define GUARD_BAD                                                                                  \
    POL("guard", "  selector: {matchLabels: {app: api}}\n"                                         \
                 "  rules: [{syscalls: [ptrace], action: Blok}]\n")

/* Starts with guard (text) in m-guard.yaml; then, in one change read whole, m-guard.yaml holds
 * a Namespace instead and `to` holds guard_after. Whether web.json was written, and with
 * ptrace blocked, at the start (*start_*) and after the move. */
static void guard_moves(const char *guard, const char *to, const char *guard_after,
                        bool *start_written, bool *written, bool *ptrace)
{
    struct fix f = {0};
    struct out *o = calloc(1, sizeof(*o));
    assert_non_null(o);
    fix_start(&f);
    put_file(&f, "base.yaml", OPEN_WEB);
    put_file(&f, "m-guard.yaml", guard);
    fix_first_sync(&f, o);
    *start_written = o->seen && o->action == FILE_WRITE && strstr(o->json, "\"ptrace\"");
    put_file(&f, "m-guard.yaml", NS("nx", "{}"));
    put_file(&f, to, guard_after);
    sync_again(&f, o);
    *written = o->seen && o->action == FILE_WRITE;
    *ptrace = strstr(o->json, "\"ptrace\"") != NULL;
    fix_stop(&f);
    free(o);
}

/* A policy moved to another file with a bad edit in one change: the edit counts as refused
 * (docs/policies.md), so web.json keeps ptrace blocked, whichever file is read first. Its move
 * deleted it from the engine, then put it anew, with no version that compiled: web.json lost
 * the guard (a review's reproducer). */
static void test_moved_with_bad_edit_keeps_last_good(void **state)
{
    (void)state;
    const char *to[] = {"a-guard.yaml", "z-guard.yaml"};
    for (size_t i = 0; i < 2; i++) {
        bool start, written, ptrace;
        guard_moves(GUARD_OK, to[i], GUARD_BAD, &start, &written, &ptrace);
        assert_true(start);
        if (written && !ptrace)
            fail_msg("guard moved to %s with a bad edit: web.json written without it", to[i]);
    }
}

/* A policy invalid since the start (which pods its earlier versions selected is not known: every
 * file of its namespace is held) moved unchanged to another file: still held, as a fresh start
 * on the final folder holds it. */
static void test_moved_invalid_since_start_still_holds(void **state)
{
    (void)state;
    const char *to[] = {"a-guard.yaml", "z-guard.yaml"};
    for (size_t i = 0; i < 2; i++) {
        bool start, written, ptrace;
        guard_moves(GUARD_BAD, to[i], GUARD_BAD, &start, &written, &ptrace);
        assert_false(start);
        if (written)
            fail_msg("a guard invalid since the start moved to %s: web.json written", to[i]);
    }
}

/* Pod w2 in a.yaml and b.yaml (app: web), and in c.yaml (app: other), read last, in force. One
 * change read whole: c.yaml drops it, a.yaml and b.yaml change something else and keep theirs.
 * The definition in force went: theirs is put (a fresh read's), never c.yaml's kept because
 * each of a.yaml and b.yaml saw the other hold it (a review's reproducer). */
static void test_pod_in_force_dropped_beside_two_copies(void **state)
{
    (void)state;
    struct fix f = {0};
    struct out *o = w_start(&f);
    put_file(&f, "a.yaml", WPOD("{app: web}"));
    put_file(&f, "b.yaml", WPOD("{app: web}"));
    fix_first_sync(&f, o);
    put_file(&f, "c.yaml", WPOD("{app: other}"));
    sync_again(&f, o);
    char s0[64], s1[64], s2[64];
    app_of(&f, s0, sizeof(s0));
    put_file(&f, "c.yaml", "# nothing\n");
    put_file(&f, "a.yaml", WPOD("{app: web}") "---\n" NS("n1", "{}"));
    put_file(&f, "b.yaml", WPOD("{app: web}") "---\n" NS("n2", "{}"));
    sync_again(&f, o);
    app_of(&f, s1, sizeof(s1));
    sync_again(&f, o); /* nothing changed on disk */
    app_of(&f, s2, sizeof(s2));
    links_stop(&f, o);
    assert_string_equal(s0, "other");
    assert_string_equal(s1, "web");
    assert_string_equal(s2, "web");
}

/* Many files, many keys: the source counts which keys the files hold in a table of
 * fingerprints (an entry freed when its count reaches 0 moves later entries back). After a
 * whole read drops a scattered two thirds of the files, every key still held must be found: a file
 * that copies the policies of the files left makes each of them defined twice (one source
 * error each), and every file can be removed with its keys found to count out. The copies are
 * few enough that the table does not grow (a growth counts every file again, which would hide
 * a lost entry). */
#define MANY_FILES 400
#define MANY_PER_FILE 8
#define MANY_DOC 256

static bool many_dropped(unsigned i)
{
    return ((i * 2654435761u) >> 13) % 3 != 0;
}

static void many_file(char *buf, size_t size, unsigned i)
{
    size_t len = 0;
    for (unsigned j = 0; j < MANY_PER_FILE; j++)
        len += (size_t)snprintf(buf + len, size - len,
                                "---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: "
                                "{name: p%u-%u, namespace: demo}\nspec:\n  selector: "
                                "{matchLabels: {app: none}}\n  seccomp: {syscalls: [read], "
                                "action: Allow}\n",
                                i, j);
}

static void test_defined_twice_among_many(void **state)
{
    struct fix f;
    fix_start(&f);
    char *copies = malloc(MANY_FILES * MANY_PER_FILE * MANY_DOC);
    assert_non_null(copies);
    size_t len = 0;
    char buf[MANY_PER_FILE * MANY_DOC], name[128];
    unsigned kept = 0;
    for (unsigned i = 0; i < MANY_FILES; i++) {
        many_file(buf, sizeof(buf), i);
        snprintf(name, sizeof(name), "f%03u.yaml", i);
        put_file(&f, name, buf);
        if (!many_dropped(i)) {
            len += (size_t)sprintf(copies + len, "%s", buf);
            kept++;
        }
    }
    assert_true(kept > MANY_FILES / 5 && kept < MANY_FILES / 2);
    struct out o = {0};
    fix_first_sync(&f, &o);
    uint64_t errors = metrics_get(f.m, M_SOURCE_ERRORS);
    for (unsigned i = 0; i < MANY_FILES; i++) {
        snprintf(name, sizeof(name), "%s/f%03u.yaml", f.dir, i);
        if (many_dropped(i))
            assert_int_equal(unlink(name), 0);
    }
    assert_int_equal(localsrc_load_all(f.s), 0);
    assert_int_equal(metrics_get(f.m, M_SOURCE_ERRORS), errors);
    put_file(&f, "zz-copies.yaml", copies);
    assert_int_equal(localsrc_load_all(f.s), 0);
    assert_int_equal(metrics_get(f.m, M_SOURCE_ERRORS) - errors, kept * MANY_PER_FILE);
    assert_int_equal(localsrc_defined_twice(f.s), kept * MANY_PER_FILE);
    /* A key lost from the table is found missing when it is counted out (the copies go):
     * the source then stops counting and walks every file (right, but slow). */
    snprintf(name, sizeof(name), "%s/zz-copies.yaml", f.dir);
    assert_int_equal(unlink(name), 0);
    assert_int_equal(localsrc_load_all(f.s), 0);
    for (unsigned i = 0; i < MANY_FILES; i++) {
        snprintf(name, sizeof(name), "%s/f%03u.yaml", f.dir, i);
        if (!many_dropped(i))
            assert_int_equal(unlink(name), 0);
    }
    assert_int_equal(localsrc_load_all(f.s), 0);
    assert_true(localsrc_holders_counted(f.s));
    free(copies);
    fix_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_namespace_twice_at_start_keeps_guard),
        cmocka_unit_test(test_namespace_twice_after_start),
        cmocka_unit_test(test_namespace_hard_link_edited),
        cmocka_unit_test(test_namespace_twice_in_hard_linked_file),
        cmocka_unit_test(test_namespace_three_names_edited),
        cmocka_unit_test(test_pod_twice_kept_when_another_object_drops),
        cmocka_unit_test(test_pod_twice_in_one_file_comment),
        cmocka_unit_test(test_pod_copy_removed_keeps_its_definition),
        cmocka_unit_test(test_pod_in_three_files),
        cmocka_unit_test(test_pod_beside_a_broken_file),
        cmocka_unit_test(test_pod_once_always_put),
        cmocka_unit_test(test_pod_successor_not_broken),
        cmocka_unit_test(test_moved_between_files_in_one_read),
        cmocka_unit_test(test_moved_with_bad_edit_keeps_last_good),
        cmocka_unit_test(test_moved_invalid_since_start_still_holds),
        cmocka_unit_test(test_pod_in_force_dropped_beside_two_copies),
        cmocka_unit_test(test_defined_twice_among_many),
        cmocka_unit_test(test_defined_twice_at_start_writes_neither),
        cmocka_unit_test(test_defined_twice_in_one_file_after_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
