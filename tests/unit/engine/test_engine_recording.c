/* test_engine_recording.c - files under a recording (contract 9): a recording profile blocks
 * nothing a policy does not block by name, keeps ceilings whole, is written only when the
 * recording selects every pod that uses the file, and goes when the recording goes (the
 * engine then equals a fresh one). */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine_fixture.h"

struct captured {
    char *json[8];
    size_t len[8];
    char *rel[8];
    enum file_action action[8];
    bool recording[8];
    size_t n;
    char reasons[512];
};

static int cap_file(const struct file_result *r, void *userdata)
{
    struct captured *c = userdata;
    assert_true(c->n < 8);
    c->rel[c->n] = strdup(r->rel);
    c->action[c->n] = r->action;
    c->recording[c->n] = r->recording;
    c->json[c->n] = r->action == FILE_WRITE ? strndup(r->json, r->len) : NULL;
    c->len[c->n] = r->len;
    c->n++;
    return 0;
}

static int cap_event(const struct engine_event *ev, void *userdata)
{
    struct captured *c = userdata;
    size_t l = strlen(c->reasons);
    snprintf(c->reasons + l, sizeof(c->reasons) - l, "%s%s", l ? " " : "", ev->reason);
    return 0;
}

static void cap_clear(struct captured *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->json[i]);
        free(c->rel[i]);
    }
    *c = (struct captured){0};
}

static void sync_cap(struct engine *e, struct captured *c)
{
    cap_clear(c);
    struct sync_ops ops = {cap_file, cap_event, c};
    assert_int_equal(engine_sync(e, &ops), 0);
}

/* The result for rel in c (which must be there). */
static size_t cap_index(const struct captured *c, const char *rel)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->rel[i], rel) == 0)
            return i;
    fail_msg("%s was not reported", rel);
    return 0;
}

static struct selector sel_app(const char *app)
{
    struct selector s = {.present = true};
    s.match.v = calloc(1, sizeof(*s.match.v));
    assert_non_null(s.match.v);
    s.match.v[0].key = strdup("app");
    s.match.v[0].value = strdup(app);
    s.match.n = 1;
    return s;
}

static struct selector sel_all(void)
{
    return (struct selector){.present = true};
}

#define WEB_POD POD("demo", "web-1", "{app: web}", "kscmp/demo/web.json")
#define WEB_ALLOWLIST                                                                              \
    POL("web", "  seccomp: {syscalls: [read, write, exit_group], action: Allow}\n"                 \
               "  rules: [{syscalls: [mkdir], action: Block, errno: EACCES},"                      \
               " {syscalls: [ptrace], action: Kill}]\n")

/* No policy yet: the recording profile allows everything, on every architecture of the node. */
static void test_no_policy_allows_all(void **state)
{
    struct engine *e = engine_for("x86_64", OBJS(WEB_POD));
    struct captured c = {0};
    sync_cap(e, &c);
    assert_int_equal(c.action[cap_index(&c, "demo/web.json")], FILE_REMOVE);
    assert_non_null(strstr(c.reasons, "NoPolicy"));

    struct selector s = sel_app("web");
    assert_int_equal(engine_put_recording(e, "demo", "web", "rec", &s), 0);
    sync_cap(e, &c);
    size_t i = cap_index(&c, "demo/web.json");
    assert_int_equal(c.action[i], FILE_WRITE);
    assert_true(c.recording[i]);
    assert_null(strstr(c.reasons, "NoPolicy"));
    json_t *p = parse_profile(c.json[i], c.len[i]);
    assert_string_equal(default_of(p).s, "ALLOW");
    char arches[128];
    arches_of(p, arches, sizeof(arches));
    assert_string_equal(arches, "SCMP_ARCH_X86_64 SCMP_ARCH_X86 SCMP_ARCH_X32");
    assert_int_equal(json_array_size(json_object_get(p, "syscalls")), 0);
    json_decref(p);
    cap_clear(&c);
    engine_free(e);
}

/* An allow-list: its default and its allows go, its blocks stay (with their errno). */
static void test_blocks_stay(void **state)
{
    struct engine *e = engine_for("x86_64", OBJS(WEB_POD, WEB_ALLOWLIST));
    struct selector s = sel_app("web");
    assert_int_equal(engine_put_recording(e, "demo", "web", "rec", &s), 0);
    struct captured c = {0};
    sync_cap(e, &c);
    size_t i = cap_index(&c, "demo/web.json");
    assert_int_equal(c.action[i], FILE_WRITE);
    assert_true(c.recording[i]);
    json_t *p = parse_profile(c.json[i], c.len[i]);
    static const struct expect ex[] = {{"read", "-"},
                                       {"socket", "ALLOW"},
                                       {"mkdir", "ERRNO(13)"},
                                       {"ptrace", "KILL_PROCESS"},
                                       {NULL, NULL}};
    check_expect(p, "recording over an allow-list", "ALLOW", ex);
    json_decref(p);
    cap_clear(&c);
    engine_free(e);
}

/* A ceiling stays a ceiling: what it does not allow stays blocked. */
static void test_ceiling_stays(void **state)
{
    struct engine *e = engine_for(
        "x86_64",
        OBJS(WEB_POD, WEB_ALLOWLIST,
             CPOL("guard", "  ceiling: true\n  selector: {}\n"
                           "  seccomp: {syscalls: [read, write, exit_group, socket], action: "
                           "Allow}\n")));
    struct selector s = sel_app("web");
    assert_int_equal(engine_put_recording(e, "demo", "web", "rec", &s), 0);
    struct captured c = {0};
    sync_cap(e, &c);
    size_t i = cap_index(&c, "demo/web.json");
    assert_true(c.recording[i]);
    json_t *p = parse_profile(c.json[i], c.len[i]);
    assert_string_equal(eff(p, "socket").s, "ALLOW");
    assert_string_equal(eff(p, "read").s, "ALLOW");
    assert_string_equal(eff(p, "bpf").s, "ERRNO(1)"); /* the ceiling's default */
    assert_string_equal(eff(p, "mkdir").s, "ERRNO(1)");
    json_decref(p);
    cap_clear(&c);
    engine_free(e);
}

/* A pod the recording does not select uses the file too: the file stays the policies'. */
static void test_shared_file_not_weakened(void **state)
{
    struct engine *e =
        engine_for("x86_64", OBJS(WEB_POD, WEB_ALLOWLIST,
                                  POD("demo", "other", "{app: other}", "kscmp/demo/web.json")));
    struct captured c = {0};
    sync_cap(e, &c);
    size_t i = cap_index(&c, "demo/web.json");
    _cleanup_free_ char *before = strdup(c.json[i]);
    struct selector s = sel_app("web");
    assert_int_equal(engine_put_recording(e, "demo", "web", "rec", &s), 0);
    const struct pod **sel = NULL;
    size_t nsel = 0, nunsel = 0;
    assert_int_equal(
        engine_recording_scope(e, "demo", "web", &(struct selector){0}, &sel, &nsel, &nunsel), 0);
    assert_int_equal(nsel, 0); /* an absent selector matches nothing */
    assert_int_equal(nunsel, 2);
    free(sel);
    struct selector web = sel_app("web");
    assert_int_equal(engine_recording_scope(e, "demo", "web", &web, &sel, &nsel, &nunsel), 0);
    assert_int_equal(nsel, 1);
    assert_string_equal(sel[0]->name, "web-1");
    assert_int_equal(nunsel, 1);
    free(sel);
    selector_free(&web);
    sync_cap(e, &c);
    i = cap_index(&c, "demo/web.json");
    assert_int_equal(c.action[i], FILE_WRITE);
    assert_false(c.recording[i]);
    assert_string_equal(c.json[i], before);
    /* Selecting both: now it is a recording profile. */
    s = sel_all();
    assert_int_equal(engine_put_recording(e, "demo", "web", "rec", &s), 0);
    sync_cap(e, &c);
    assert_true(c.recording[cap_index(&c, "demo/web.json")]);
    cap_clear(&c);
    engine_free(e);
}

/* Deleting the recording gives the file back to its policies: the same bytes as an engine
 * that never saw the recording. */
static void test_delete_equals_fresh(void **state)
{
    struct engine *e = engine_for("x86_64", OBJS(WEB_POD, WEB_ALLOWLIST));
    struct selector s = sel_app("web");
    assert_int_equal(engine_put_recording(e, "demo", "web", "rec", &s), 0);
    struct captured c = {0};
    sync_cap(e, &c);
    assert_true(c.recording[cap_index(&c, "demo/web.json")]);
    assert_int_equal(engine_delete_recording(e, "demo", "web"), 0);
    assert_int_equal(engine_delete_recording(e, "demo", "web"), -ENOENT);
    sync_cap(e, &c);
    size_t i = cap_index(&c, "demo/web.json");
    assert_false(c.recording[i]);

    struct engine *fresh = engine_for("x86_64", OBJS(WEB_POD, WEB_ALLOWLIST));
    struct captured f = {0};
    sync_cap(fresh, &f);
    size_t j = cap_index(&f, "demo/web.json");
    assert_string_equal(c.json[i], f.json[j]);
    cap_clear(&c);
    cap_clear(&f);
    engine_free(fresh);
    engine_free(e);
}

static void test_bad_names(void **state)
{
    struct engine *e = engine_for("x86_64", NULL);
    struct selector s = sel_all();
    assert_int_equal(engine_put_recording(e, "demo", "Bad_Name", "rec", &s), -EINVAL);
    s = sel_all();
    assert_int_equal(engine_put_recording(e, "a/b", "web", "rec", &s), -EINVAL);
    assert_int_equal(engine_delete_recording(e, "demo", "../x"), -EINVAL);
    engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_policy_allows_all),
        cmocka_unit_test(test_blocks_stay),
        cmocka_unit_test(test_ceiling_stays),
        cmocka_unit_test(test_shared_file_not_weakened),
        cmocka_unit_test(test_delete_equals_fresh),
        cmocka_unit_test(test_bad_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
