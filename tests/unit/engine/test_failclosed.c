/* test_failclosed.c - an invalid edit never makes a profile weaker (contract section 2).
 *
 * A broken edit counts as refused: where the policy's last version that compiled reached, the
 * files take that version's rules; where only the broken version may reach (its new selectors,
 * or, when its selectors cannot be read at all, every pod in its scope), and for a policy that
 * never compiled, the files keep their last good profile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine_fixture.h"

struct seen {
    char rel[128];
    enum file_action action;
    bool allows_write; /* written, and the profile names write */
};

struct outcome {
    struct seen files[16];
    size_t nfiles;
    unsigned invalid_events;
    unsigned unseen_told; /* of them, those that say its earlier versions are not known */
};

static int on_file(const struct file_result *r, void *userdata)
{
    struct outcome *o = userdata;
    assert_true(o->nfiles < 16);
    snprintf(o->files[o->nfiles].rel, sizeof(o->files[0].rel), "%s", r->rel);
    o->files[o->nfiles].allows_write =
        r->action == FILE_WRITE && memmem(r->json, r->len, "\"write\"", 7) != NULL;
    o->files[o->nfiles++].action = r->action;
    return 0;
}

static int on_event(const struct engine_event *ev, void *userdata)
{
    struct outcome *o = userdata;
    if (strcmp(ev->reason, "PolicyInvalid") == 0) {
        o->invalid_events++;
        o->unseen_told += strstr(ev->message, "may contribute to it is invalid (it was invalid "
                                              "when the agent started") != NULL;
    }
    return 0;
}

static struct outcome sync_now(struct engine *e)
{
    struct outcome o = {0};
    struct sync_ops ops = {on_file, on_event, &o};
    assert_int_equal(engine_sync(e, &ops), 0);
    return o;
}

static bool allows_write(const struct outcome *o, const char *rel)
{
    for (size_t i = 0; i < o->nfiles; i++)
        if (strcmp(o->files[i].rel, rel) == 0)
            return o->files[i].allows_write;
    return false;
}

static int action_of(const struct outcome *o, const char *rel)
{
    for (size_t i = 0; i < o->nfiles; i++)
        if (strcmp(o->files[i].rel, rel) == 0)
            return (int)o->files[i].action;
    return -1; /* not reported: untouched */
}

#define APOD(ns, name, app, file) /* a Pod labelled app=APP */                                     \
    "apiVersion: v1\nkind: Pod\nmetadata: {name: " name ", namespace: " ns ", labels: {app: " app  \
    "}}\nspec:\n  securityContext: {seccompProfile: {type: Localhost, localhostProfile: "          \
    "kscmp/" ns "/" file ".json}}\n  containers: [{name: c, image: x}]\n---\n"

#define WEB_OK                                                                                     \
    "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p, namespace: demo}\nspec:\n"  \
    "  selector: {matchLabels: {app: web}}\n  seccomp: {syscalls: [read, write], action: Allow}\n"

static struct engine *start(void)
{
    struct engine *e = NULL;
    assert_int_equal(engine_new(arch_parse("x86_64"), &e), 0);
    load_text(e, APOD("demo", "web-1", "web", "web") APOD("demo", "db-1", "db", "db")
                     APOD("prod", "api-1", "api", "api") WEB_OK
              "---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: db, namespace: "
              "demo}\nspec:\n  seccomp: {syscalls: [read], action: Allow}\n"
              "---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: api, namespace: "
              "prod}\nspec:\n  seccomp: {syscalls: [read], action: Allow}\n");
    struct outcome o = sync_now(e);
    assert_int_equal(action_of(&o, "demo/web.json"), FILE_WRITE);
    assert_int_equal(action_of(&o, "demo/db.json"), FILE_WRITE);
    assert_int_equal(action_of(&o, "prod/api.json"), FILE_WRITE);
    return e;
}

static void test_unreadable_selector_keeps_what_the_old_version_reached(void **state)
{
    struct engine *e = start();
    /* The selector itself is broken: which pods it selects is unknown. The web pod's file
     * takes the last version that compiled; the db pod's file, which the broken version may
     * reach, is kept. */
    load_text(e,
              "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p, namespace: demo}\n"
              "spec:\n  selector: {matchExpressions: [{key: app, operator: Near}]}\n"
              "  seccomp: {syscalls: [read], action: Allow}\n");
    struct outcome o = sync_now(e);
    assert_int_equal(action_of(&o, "demo/web.json"), FILE_WRITE);
    assert_true(allows_write(&o, "demo/web.json"));
    assert_int_equal(action_of(&o, "demo/db.json"), FILE_KEEP);
    assert_true(o.invalid_events >= 2);
    /* A namespace it cannot reach is not held back. */
    assert_int_equal(action_of(&o, "prod/api.json"), -1);
    engine_free(e);
}

static void test_broken_edit_that_moves_the_selector_keeps_the_old_files(void **state)
{
    struct engine *e = start();
    /* Selector now app=other (readable), and a typo: the web pod's file must not lose it. */
    load_text(e,
              "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p, namespace: demo}\n"
              "spec:\n  selector: {matchLabels: {app: other}}\n"
              "  seccomp: {syscalls: [read, wirte], action: Allow}\n");
    struct outcome o = sync_now(e);
    assert_int_equal(action_of(&o, "demo/web.json"), FILE_WRITE);
    assert_true(allows_write(&o, "demo/web.json"));
    /* Broken again, now selecting the db pod: its file is kept, the web pod's file still
     * takes the last version that compiled. */
    load_text(e,
              "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p, namespace: demo}\n"
              "spec:\n  selector: {matchLabels: {app: db}}\n"
              "  seccomp: {syscalls: [read, wirte], action: Allow}\n");
    o = sync_now(e);
    assert_int_equal(action_of(&o, "demo/db.json"), FILE_KEEP);
    assert_int_equal(action_of(&o, "demo/web.json"), FILE_WRITE);
    assert_true(allows_write(&o, "demo/web.json"));
    /* Fixed: the new selector stands, and the web pod's file has nothing left. */
    load_text(e,
              "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p, namespace: demo}\n"
              "spec:\n  selector: {matchLabels: {app: other}}\n"
              "  seccomp: {syscalls: [read, write], action: Allow}\n");
    o = sync_now(e);
    assert_int_equal(action_of(&o, "demo/db.json"), FILE_WRITE);
    assert_int_equal(action_of(&o, "demo/web.json"), FILE_REMOVE);
    engine_free(e);
}

static void test_new_policy_with_unreadable_selector_holds_its_namespace(void **state)
{
    struct engine *e = start();
    load_text(e,
              "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: q, namespace: demo}\n"
              "spec:\n  bogus: 1\n  selector: {matchLabels: {app: [web]}}\n");
    struct outcome o = sync_now(e);
    assert_int_equal(action_of(&o, "demo/web.json"), FILE_KEEP);
    assert_int_equal(action_of(&o, "demo/db.json"), FILE_KEEP);
    assert_int_equal(action_of(&o, "prod/api.json"), -1);
    engine_free(e);
}

static void test_broken_cluster_policy_holds_every_file(void **state)
{
    struct engine *e = start();
    load_text(e, "apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: c}\nspec:\n"
                 "  namespaceSelector: {matchExpressions: [{key: env, operator: In}]}\n"
                 "  rules: [{syscalls: [ptrace], action: Block}]\n");
    struct outcome o = sync_now(e);
    assert_int_equal(action_of(&o, "demo/web.json"), FILE_KEEP);
    assert_int_equal(action_of(&o, "demo/db.json"), FILE_KEEP);
    assert_int_equal(action_of(&o, "prod/api.json"), FILE_KEEP);
    engine_free(e);
}

/* An agent that starts (a fresh engine) with a guard already broken, its selectors changed too
 * while it was down: which pods its earlier versions reached is not known, so every file of
 * its scope is kept (before, the files it no longer selected were written without it, or
 * removed when it was their only policy). Once the engine's past is known, a policy that comes
 * broken is new, and reaches only what it selects. */
static void test_broken_at_start_holds_its_scope(void **state)
{
    struct engine *e = NULL;
    assert_int_equal(engine_new(arch_parse("x86_64"), &e), 0);
    load_text(e, APOD("demo", "web-1", "web", "web") APOD("demo", "db-1", "db", "db")
                     APOD("prod", "api-1", "api", "api") WEB_OK
              "---\napiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: guard}\n"
              "spec:\n  ceiling: true\n  selector: {matchLabels: {app: nothing}}\n"
              "  defaultAction: Allow\n  rules: [{syscalls: [ptrac], action: Kill}]\n");
    struct outcome o = sync_now(e);
    assert_int_equal(action_of(&o, "demo/web.json"), FILE_KEEP);
    assert_int_equal(action_of(&o, "demo/db.json"), FILE_KEEP); /* its only policy: kept */
    assert_int_equal(action_of(&o, "prod/api.json"), FILE_KEEP);
    assert_true(o.invalid_events >= 3);
    assert_int_equal(o.unseen_told, 3); /* why an unrelated pod's file is held */
    /* Fixed: written, and the guard's new selector decides. */
    load_text(e, "apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: guard}\n"
                 "spec:\n  ceiling: true\n  selector: {matchLabels: {app: nothing}}\n"
                 "  defaultAction: Allow\n  rules: [{syscalls: [ptrace], action: Kill}]\n");
    o = sync_now(e);
    assert_int_equal(action_of(&o, "demo/web.json"), FILE_WRITE);
    assert_int_equal(action_of(&o, "demo/db.json"), FILE_REMOVE);
    engine_free(e);

    /* After the first sync: a policy that comes broken holds only what it selects. */
    e = start();
    engine_past_known(e);
    load_text(e, "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: q, namespace: "
                 "demo}\nspec:\n  selector: {matchLabels: {app: db}}\n"
                 "  seccomp: {syscalls: [wirte], action: Allow}\n");
    o = sync_now(e);
    assert_int_equal(action_of(&o, "demo/db.json"), FILE_KEEP);
    assert_int_equal(action_of(&o, "demo/web.json"), FILE_WRITE); /* not held */
    engine_free(e);
}

static void test_valid_edit_moves_the_selector_at_once(void **state)
{
    struct engine *e = start();
    load_text(e,
              "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p, namespace: demo}\n"
              "spec:\n  selector: {matchLabels: {app: db}}\n"
              "  seccomp: {syscalls: [read, write], action: Allow}\n");
    struct outcome o = sync_now(e);
    assert_int_equal(action_of(&o, "demo/web.json"), FILE_REMOVE); /* nothing contributes */
    assert_int_equal(action_of(&o, "demo/db.json"), FILE_WRITE);
    engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unreadable_selector_keeps_what_the_old_version_reached),
        cmocka_unit_test(test_broken_edit_that_moves_the_selector_keeps_the_old_files),
        cmocka_unit_test(test_new_policy_with_unreadable_selector_holds_its_namespace),
        cmocka_unit_test(test_broken_cluster_policy_holds_every_file),
        cmocka_unit_test(test_valid_edit_moves_the_selector_at_once),
        cmocka_unit_test(test_broken_at_start_holds_its_scope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
