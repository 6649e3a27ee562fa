/* test_startup.c - the container runtime's start-up syscalls (contract 3.5) in the engine.
 *
 * The data (names libseccomp knows on the architectures they are for, the short set inside
 * the long one, the sizes pinned so that a change is deliberate), which set a file gets from
 * its pods' allowPrivilegeEscalation (every container using it, init and ephemeral ones
 * too), deny wins on a syscall a policy names, ProfileBlocksStartup, --startup-syscalls none,
 * `compile --policy`, and incremental results equal to a fresh engine's. Whether the sets
 * really start containers is tests/enforce/startup.py's job (it runs runc and crun).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "engine_fixture.h"
#include "engine/startup.h"

/* ---- recording one sync ------------------------------------------------------------------ */

struct srec {
    char *rel[8];
    char *json[8];
    size_t nf;
    char *ev[16]; /* "ns/pod REASON: message" */
    size_t nev;
};

static void srec_clear(struct srec *r)
{
    for (size_t i = 0; i < r->nf; i++) {
        free(r->rel[i]);
        free(r->json[i]);
    }
    for (size_t i = 0; i < r->nev; i++)
        free(r->ev[i]);
    *r = (struct srec){0};
}

static int srec_file(const struct file_result *res, void *userdata)
{
    struct srec *r = userdata;
    assert_true(r->nf < ARRAY_SIZE(r->rel));
    r->rel[r->nf] = strdup(res->rel);
    r->json[r->nf] = res->action == FILE_WRITE ? strndup(res->json, res->len) : NULL;
    r->nf++;
    return 0;
}

static int srec_event(const struct engine_event *ev, void *userdata)
{
    struct srec *r = userdata;
    assert_true(r->nev < ARRAY_SIZE(r->ev));
    assert_true(engine_gives_reason(ev->reason));
    if (asprintf(&r->ev[r->nev++], "%s/%s %s: %s", ev->pod->ns, ev->pod->name, ev->reason,
                 ev->message) < 0)
        fail();
    return 0;
}

static void ssync(struct engine *e, struct srec *r)
{
    srec_clear(r);
    struct sync_ops ops = {srec_file, srec_event, r};
    assert_int_equal(engine_sync(e, &ops), 0);
}

/* The profile written for rel in the last sync (caller decrefs); fails when there is none. */
static json_t *profile_of(const struct srec *r, const char *rel)
{
    for (size_t i = 0; i < r->nf; i++)
        if (strcmp(r->rel[i], rel) == 0) {
            if (!r->json[i])
                fail_msg("%s was not written", rel);
            return parse_profile(r->json[i], strlen(r->json[i]));
        }
    fail_msg("%s was not reported", rel);
    return NULL;
}

static const char *json_of(const struct srec *r, const char *rel)
{
    for (size_t i = 0; i < r->nf; i++)
        if (strcmp(r->rel[i], rel) == 0 && r->json[i])
            return r->json[i];
    fail_msg("%s was not written", rel);
    return NULL;
}

static size_t events_with(const struct srec *r, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nev; i++)
        if (strstr(r->ev[i], needle))
            n++;
    return n;
}

/* The x86_64 names of the set of mode m. */
static size_t set_names(enum startup_mode m, const char *arch, struct sysdb *db, const char **out,
                        size_t max)
{
    size_t n = 0, ne;
    const struct startup_entry *v = startup_entries(&ne);
    for (size_t i = 0; i < ne; i++) {
        const char *name = startup_name(&v[i], arch_parse(arch), db);
        if (startup_step(&v[i], m) && name) {
            assert_true(n < max);
            out[n++] = name;
        }
    }
    return n;
}

/* Every syscall of the set of mode m is allowed in root, and (other_absent) every syscall of
 * the other set that is in neither m's set nor the policies (read, write, exit_group) is not
 * named. */
static void want_set(json_t *root, struct sysdb *db, enum startup_mode m, bool other_absent)
{
    static const char *const policy_names[] = {"read", "write", "exit_group"};
    const char *names[64];
    size_t n = set_names(m, "x86_64", db, names, ARRAY_SIZE(names));
    for (size_t i = 0; i < n; i++)
        if (strcmp(eff(root, names[i]).s, "ALLOW") != 0)
            fail_msg("%s set: %s gets %s, want ALLOW", startup_mode_name(m), names[i],
                     eff(root, names[i]).s);
    if (!other_absent)
        return;
    const char *others[64];
    size_t no = set_names(m == STARTUP_LONG ? STARTUP_SHORT : STARTUP_LONG, "x86_64", db, others,
                          ARRAY_SIZE(others));
    for (size_t i = 0; i < no; i++) {
        bool mine = false;
        for (size_t k = 0; k < n; k++)
            mine = mine || strcmp(names[k], others[i]) == 0;
        for (size_t k = 0; k < ARRAY_SIZE(policy_names); k++)
            mine = mine || strcmp(policy_names[k], others[i]) == 0;
        if (!mine && named(root, others[i]))
            fail_msg("%s set: %s is named, want the default", startup_mode_name(m), others[i]);
    }
}

/* ---- the data ---------------------------------------------------------------------------- */

static void test_data(void **state)
{
    struct sysdb *db = NULL;
    assert_int_equal(sysdb_new(&db), 0);
    size_t n;
    const struct startup_entry *v = startup_entries(&n);
    int x86_64 = arch_parse("x86_64"), aarch64 = arch_parse("aarch64"), arm = arch_parse("arm");
    for (size_t i = 0; i < n; i++) {
        const struct startup_entry *e = &v[i];
        const char *id = e->name ? e->name : e->name32;
        assert_non_null(id);
        if (!e->step_long && !e->step_short)
            fail_msg("%s is in no set", id);
        if (e->step_short && !e->step_long)
            fail_msg("%s is in the short set only: the long one takes the same steps and more", id);
        uint32_t sys;
        if (e->name && sysdb_lookup(db, e->name, &sys) != 0)
            fail_msg("%s is unknown to libseccomp", e->name);
        if (e->name32 && sysdb_lookup(db, e->name32, &sys) != 0)
            fail_msg("%s is unknown to libseccomp", e->name32);
        /* 64-bit names exist on both 64-bit architectures; each entry has an arm name. */
        if (e->name && (!startup_name(e, x86_64, db) || !startup_name(e, aarch64, db)))
            fail_msg("%s: missing on x86_64 or aarch64", e->name);
        if (!startup_name(e, arm, db))
            fail_msg("%s: no name on arm", id);
        if (e->name32 && strcmp(startup_name(e, arm, db), e->name32) != 0)
            fail_msg("%s: arm uses %s, want %s", id, startup_name(e, arm, db), e->name32);
        /* 64-bit names sorted and distinct; 32-bit-only entries at the end. */
        if (i > 0 && e->name && v[i - 1].name && strcmp(v[i - 1].name, e->name) >= 0)
            fail_msg("entries out of order: %s, %s", v[i - 1].name, e->name);
        if (i > 0 && e->name && !v[i - 1].name)
            fail_msg("%s after a 32-bit-only entry", e->name);
        if (e->stays && strlen(e->stays) < 20)
            fail_msg("%s: say why it stays", id);
        /* The runtime falls back from an errno where the step says so, and only there. */
        bool says = e->step_long && strstr(e->step_long, "refused with an errno, it falls back");
        if (says != startup_errno_falls_back(e))
            fail_msg("%s: its step and startup_errno_falls_back() disagree", id);
    }
    /* The sizes, so that a change of the sets is a deliberate one. */
    const char *names[64];
    assert_int_equal(set_names(STARTUP_LONG, "x86_64", db, names, 64), 45);
    assert_int_equal(set_names(STARTUP_SHORT, "x86_64", db, names, 64), 19);
    assert_int_equal(set_names(STARTUP_LONG, "aarch64", db, names, 64), 45);
    assert_int_equal(set_names(STARTUP_LONG, "arm", db, names, 64), 46); /* + pselect6 */
    assert_int_equal(set_names(STARTUP_SHORT, "arm", db, names, 64), 19);
    /* x86_64 was measured; the others say how they were found. */
    assert_non_null(strstr(startup_derivation(x86_64), "measured"));
    assert_non_null(strstr(startup_derivation(aarch64), "not measured"));
    assert_non_null(strstr(startup_derivation(arm), "not measured"));
    assert_non_null(strstr(startup_derivation(arch_parse("s390x")), "not measured"));
    sysdb_free(db);
}

static void test_names_per_arch(void **state)
{
    struct sysdb *db = NULL;
    assert_int_equal(sysdb_new(&db), 0);
    size_t n;
    const struct startup_entry *v = startup_entries(&n);
    const struct startup_entry *fcntl_e = NULL, *setgid_e = NULL, *psel = NULL, *psel32 = NULL;
    for (size_t i = 0; i < n; i++) {
        if (v[i].name && strcmp(v[i].name, "fcntl") == 0)
            fcntl_e = &v[i];
        if (v[i].name && strcmp(v[i].name, "setgid") == 0)
            setgid_e = &v[i];
        if (v[i].name && strcmp(v[i].name, "pselect6") == 0)
            psel = &v[i];
        if (!v[i].name && strcmp(v[i].name32, "pselect6") == 0)
            psel32 = &v[i];
    }
    assert_non_null(fcntl_e);
    assert_non_null(setgid_e);
    assert_non_null(psel);
    assert_non_null(psel32);
    assert_string_equal(startup_name(fcntl_e, arch_parse("x86_64"), db), "fcntl");
    assert_string_equal(startup_name(fcntl_e, arch_parse("aarch64"), db), "fcntl");
    assert_string_equal(startup_name(fcntl_e, arch_parse("arm"), db), "fcntl64");
    assert_string_equal(startup_name(setgid_e, arch_parse("arm"), db), "setgid32");
    assert_string_equal(startup_name(psel, arch_parse("arm"), db), "pselect6_time64");
    assert_string_equal(startup_name(psel32, arch_parse("arm"), db), "pselect6");
    assert_null(startup_name(psel32, arch_parse("x86_64"), db));
    assert_null(startup_name(psel32, arch_parse("aarch64"), db));
    assert_null(startup_name(fcntl_e, -1, db));
    sysdb_free(db);
}

/* ---- which set a file gets --------------------------------------------------------------- */

#define WEB_ALLOW                                                                                  \
    POL("web", "  selector: {matchLabels: {app: web}}\n"                                           \
               "  seccomp: {syscalls: [read, write, exit_group], action: Allow}\n")

/* A pod of app=web using kscmp/demo/web.json in its containers (given as YAML flow items). */
#define WEB_POD(name, containers)                                                                  \
    "apiVersion: v1\nkind: Pod\nmetadata: {name: " name ", namespace: demo, labels: {app: web}}\n" \
    "spec:\n  securityContext:\n"                                                                  \
    "    seccompProfile: {type: Localhost, localhostProfile: kscmp/demo/web.json}\n" containers
#define NNP "{allowPrivilegeEscalation: false}"

static void test_long_set_by_default(void **state)
{
    struct srec r = {0};
    struct engine *e =
        engine_for_startup("x86_64", OBJS(WEB_ALLOW, WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(e, &r);
    json_t *root = profile_of(&r, "demo/web.json");
    check_expect(root, "long", "ERRNO(1)",
                 (const struct expect[]){{"read", "ALLOW"},
                                         {"exit_group", "ALLOW"},
                                         {"execve", "ALLOW"},
                                         {"capset", "ALLOW"},
                                         {"setresuid", "ALLOW"},
                                         {"mkdir", "-"},
                                         {"bpf", "-"},
                                         {NULL}});
    want_set(root, engine_sysdb(e), STARTUP_LONG, false);
    assert_int_equal(r.nev, 0);
    json_decref(root);
    srec_clear(&r);
    engine_free(e);
}

static void test_short_set_with_no_new_privs(void **state)
{
    struct srec r = {0};
    struct engine *e = engine_for_startup(
        "x86_64",
        OBJS(WEB_ALLOW, WEB_POD("p", "  initContainers: [{name: i, securityContext: " NNP "}]\n"
                                     "  containers: [{name: a, securityContext: " NNP "}]\n")));
    ssync(e, &r);
    json_t *root = profile_of(&r, "demo/web.json");
    want_set(root, engine_sysdb(e), STARTUP_SHORT, true);
    check_expect(
        root, "short", "ERRNO(1)",
        (const struct expect[]){{"execve", "ALLOW"}, {"capset", "-"}, {"setuid", "-"}, {NULL}});
    json_decref(root);
    srec_clear(&r);
    engine_free(e);
}

/* The long set as soon as one container using the file may gain privileges; a pod changing
 * that recomputes its file, and the result equals a fresh engine's. */
static void test_mode_follows_pods(void **state)
{
    static const char *const pods_short[] = {
        WEB_POD("p1", "  containers: [{name: a, securityContext: " NNP "}]\n"),
        WEB_POD("p2", "  containers: [{name: a, securityContext: " NNP "}]\n"
                      "  ephemeralContainers: [{name: dbg, securityContext: " NNP "}]\n"),
    };
    static const char *const p2_long =
        WEB_POD("p2", "  containers: [{name: a, securityContext: " NNP "}]\n"
                      "  ephemeralContainers: [{name: dbg}]\n");
    struct srec r = {0}, fresh = {0};
    struct engine *e = engine_for_startup("x86_64", OBJS(WEB_ALLOW, pods_short[0], pods_short[1]));
    ssync(e, &r);
    json_t *root = profile_of(&r, "demo/web.json");
    want_set(root, engine_sysdb(e), STARTUP_SHORT, true);
    json_decref(root);

    /* p2 gets an ephemeral container that may gain privileges: the long set. */
    load_text(e, p2_long);
    ssync(e, &r);
    root = profile_of(&r, "demo/web.json");
    want_set(root, engine_sysdb(e), STARTUP_LONG, false);
    json_decref(root);
    struct engine *f = engine_for_startup("x86_64", OBJS(WEB_ALLOW, pods_short[0], p2_long));
    ssync(f, &fresh);
    assert_string_equal(json_of(&r, "demo/web.json"), json_of(&fresh, "demo/web.json"));
    engine_free(f);

    /* p2 goes away: only p1 is left, the short set again, as a fresh engine says. */
    assert_int_equal(engine_delete_pod(e, "demo", "p2"), 0);
    ssync(e, &r);
    root = profile_of(&r, "demo/web.json");
    want_set(root, engine_sysdb(e), STARTUP_SHORT, true);
    json_decref(root);
    f = engine_for_startup("x86_64", OBJS(WEB_ALLOW, pods_short[0]));
    ssync(f, &fresh);
    assert_string_equal(json_of(&r, "demo/web.json"), json_of(&fresh, "demo/web.json"));
    engine_free(f);

    /* Back to no_new_privs everywhere: the short set, as fresh. */
    load_text(e, pods_short[1]);
    ssync(e, &r);
    f = engine_for_startup("x86_64", OBJS(WEB_ALLOW, pods_short[0], pods_short[1]));
    ssync(f, &fresh);
    assert_string_equal(json_of(&r, "demo/web.json"), json_of(&fresh, "demo/web.json"));
    root = profile_of(&r, "demo/web.json");
    want_set(root, engine_sysdb(e), STARTUP_SHORT, true);
    json_decref(root);
    engine_free(f);
    srec_clear(&r);
    srec_clear(&fresh);
    engine_free(e);
}

/* Only the containers that use the file count. */
static void test_other_files_do_not_count(void **state)
{
    struct srec r = {0};
    struct engine *e = engine_for_startup(
        "x86_64", OBJS(WEB_ALLOW, POL("side", "  seccomp: {syscalls: [read], action: Allow}\n"),
                       WEB_POD("p", "  containers:\n"
                                    "  - {name: a, securityContext: " NNP "}\n"
                                    "  - name: b\n"
                                    "    securityContext:\n"
                                    "      seccompProfile: {type: Localhost, localhostProfile: "
                                    "kscmp/demo/side.json}\n")));
    ssync(e, &r);
    json_t *root = profile_of(&r, "demo/web.json");
    want_set(root, engine_sysdb(e), STARTUP_SHORT, true);
    json_decref(root);
    root = profile_of(&r, "demo/side.json");
    want_set(root, engine_sysdb(e), STARTUP_LONG, false);
    json_decref(root);
    srec_clear(&r);
    engine_free(e);
}

/* ---- deny wins, and the Event ------------------------------------------------------------ */

static void test_policy_decides_and_warns(void **state)
{
    struct srec r = {0};
    struct engine *e = engine_for_startup(
        "x86_64",
        OBJS(POL("web", "  selector: {matchLabels: {app: web}}\n"
                        "  seccomp: {syscalls: [read, write, exit_group, capget, prctl, fchown],"
                        " action: Allow}\n"
                        "  rules:\n"
                        "  - {syscalls: [execve], action: Block, errno: EACCES}\n"
                        "  - {syscalls: [prctl], action: Kill, args: [{index: 0, value: 24, op: "
                        "EQ}]}\n"
                        "  - {syscalls: [setuid], action: Allow, args: [{index: 0, value: 0, op: "
                        "EQ}]}\n"
                        "  - {syscalls: [fchown], action: Block}\n"),
             WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(e, &r);
    json_t *root = profile_of(&r, "demo/web.json");
    /* execve: the policy's Block (errno EACCES = 13); capget: the policy's Allow; fchown: its
     * Allow and Block, deny wins; prctl and setuid: the policy names them with conditions, so
     * the start-up set adds nothing for them. */
    check_expect(root, "deny wins", "ERRNO(1)",
                 (const struct expect[]){{"execve", "ERRNO(13)"},
                                         {"capget", "ALLOW"},
                                         {"capset", "ALLOW"},
                                         {"fchown", "ERRNO(1)"},
                                         {NULL}});
    assert_string_equal(eval1(root, "prctl", 24).s, "KILL_PROCESS");
    assert_string_equal(eval1(root, "prctl", 8).s, "ALLOW");
    assert_string_equal(eval1(root, "setuid", 0).s, "ALLOW");
    assert_string_equal(eval1(root, "setuid", 1000).s, "ERRNO(1)");
    json_decref(root);
    assert_int_equal(r.nev, 1);
    assert_int_equal(events_with(&r, "demo/p ProfileBlocksStartup: kscmp/demo/web.json"), 1);
    assert_int_equal(events_with(&r, "execve (runc, crun: start the container's program)"), 1);
    assert_int_equal(events_with(&r, "prctl for some arguments (runc, crun:"), 1);
    assert_int_equal(events_with(&r, "setuid for some arguments (runc: sets"), 1);
    assert_int_equal(events_with(&r, "fchown (runc, crun (exec): hand stdin"), 1);
    assert_int_equal(events_with(&r, "capget"), 0);
    assert_int_equal(events_with(&r, "long start-up set"), 1);
    srec_clear(&r);
    engine_free(e);
}

static void test_explain_origin(void **state)
{
    struct engine *e =
        engine_for_startup("x86_64", OBJS(WEB_ALLOW, WEB_POD("p", "  containers: [{name: a}]\n")));
    struct cprof *prof = NULL;
    char *warning = NULL;
    struct policy_result pr;
    assert_int_equal(engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "web"), &pr),
                     0);
    assert_int_equal(engine_policy_startup(e, pr.prof, &prof, &warning), 0);
    assert_null(warning);
    char *text = NULL;
    assert_int_equal(profile_explain(prof, engine_sysdb(e), &text), 0);
    const char *line = strstr(text, "\nexecve ");
    assert_non_null(line);
    const char *end = strchr(line + 1, '\n');
    assert_non_null(strstr(line, "container start-up: runc, crun: start the container's program"));
    assert_true(strstr(line, "container start-up") < end);
    line = strstr(text, "\nread ");
    assert_non_null(line);
    assert_non_null(strstr(line, "demo/web spec.seccomp"));
    free(text);
    cprof_free(prof);
    engine_free(e);
}

static void test_blocklists(void **state)
{
    struct srec r = {0};
    /* A block-list (default Allow) gets nothing added; blocking mkdir is no start-up matter. */
    struct engine *e = engine_for_startup(
        "x86_64", OBJS(POL("web", "  selector: {matchLabels: {app: web}}\n"
                                  "  rules: [{syscalls: [mkdir], action: Block}]\n"),
                       WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(e, &r);
    json_t *root = profile_of(&r, "demo/web.json");
    check_expect(root, "block-list", "ALLOW",
                 (const struct expect[]){{"mkdir", "ERRNO(1)"}, {"execve", "-"}, {NULL}});
    assert_int_equal(r.nev, 0);
    json_decref(root);
    engine_free(e);

    /* Blocking capset stops the long set's runtimes, not the short set's. */
    static const char *const capset_pol = POL("web", "  selector: {matchLabels: {app: web}}\n"
                                                     "  rules: [{syscalls: [capset], action: "
                                                     "Block}]\n");
    e = engine_for_startup("x86_64", OBJS(capset_pol, WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(e, &r);
    assert_int_equal(events_with(&r, "ProfileBlocksStartup"), 1);
    assert_int_equal(events_with(&r, "capset (runc, crun: set the container's capabilities)"), 1);
    assert_int_equal(events_with(&r, "allowPrivilegeEscalation: false"), 1);
    load_text(e, WEB_POD("p", "  containers: [{name: a, securityContext: " NNP "}]\n"));
    ssync(e, &r);
    assert_int_equal(r.nf, 1);
    assert_int_equal(r.nev, 0);
    srec_clear(&r);
    engine_free(e);

    /* uname refused with an errno: runc takes another way to procfs, the container starts;
     * killed, it does not. */
    static const char *const uname_errno = POL("web", "  selector: {matchLabels: {app: web}}\n"
                                                      "  rules: [{syscalls: [uname, open_tree], "
                                                      "action: Block}]\n");
    e = engine_for_startup("x86_64",
                           OBJS(uname_errno, WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(e, &r);
    assert_int_equal(r.nev, 0);
    srec_clear(&r);
    engine_free(e);
    static const char *const uname_trace = POL("web", "  selector: {matchLabels: {app: web}}\n"
                                                      "  rules: [{syscalls: [uname], action: "
                                                      "SCMP_ACT_TRACE}]\n");
    e = engine_for_startup("x86_64",
                           OBJS(uname_trace, WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(e, &r);
    assert_int_equal(r.nev, 0);
    srec_clear(&r);
    engine_free(e);
    static const char *const uname_kill = POL("web", "  selector: {matchLabels: {app: web}}\n"
                                                     "  rules: [{syscalls: [uname], action: "
                                                     "Kill}]\n");
    e = engine_for_startup("x86_64", OBJS(uname_kill, WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(e, &r);
    assert_int_equal(events_with(&r, "ProfileBlocksStartup"), 1);
    assert_int_equal(events_with(&r, "uname (runc >= 1.2 (exec): reads the kernel's version"), 1);
    assert_int_equal(events_with(&r, "it falls back); this profile kills or traps it instead)"), 1);
    srec_clear(&r);
    engine_free(e);
}

/* Any default but Allow gets the set: Audit, Kill. */
static void test_other_defaults(void **state)
{
    static const char *const defaults[] = {"Audit", "Kill", "Trap", "Block"};
    for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
        char pol[512];
        snprintf(pol, sizeof(pol),
                 POL("web", "  selector: {matchLabels: {app: web}}\n"
                            "  defaultAction: %s\n"
                            "  seccomp: {syscalls: [read], action: Allow}\n"),
                 defaults[i]);
        struct srec r = {0};
        struct engine *e =
            engine_for_startup("x86_64", OBJS(pol, WEB_POD("p", "  containers: [{name: a}]\n")));
        ssync(e, &r);
        json_t *root = profile_of(&r, "demo/web.json");
        want_set(root, engine_sysdb(e), STARTUP_LONG, false);
        json_decref(root);
        srec_clear(&r);
        engine_free(e);
    }
}

/* 3.5-3.6: a ceiling has a say on a start-up syscall only where it names it. */
static void test_ceiling_counts_where_it_names(void **state)
{
    struct srec r = {0};
    struct engine *e = engine_for_startup(
        "x86_64",
        OBJS(CPOL("guard", "  selector: {}\n  ceiling: true\n"
                           "  seccomp: {syscalls: [read, write, exit_group], action: Allow}\n"
                           "  rules: [{syscalls: [fchown], action: Block, errno: EACCES}]\n"),
             POL("web", "  selector: {matchLabels: {app: web}}\n"
                        "  seccomp: {syscalls: [read, write, exit_group, setuid, mkdir], "
                        "action: Allow}\n"),
             WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(e, &r);
    json_t *root = profile_of(&r, "demo/web.json");
    /* capset: named by nobody, the start-up set allows it (the ceiling's default does not
     * count); setuid: the namespace policy allows it and the ceiling does not name it; mkdir:
     * no start-up syscall, so the ceiling's default caps it; fchown: the ceiling names it. */
    check_expect(root, "ceiling", "ERRNO(1)",
                 (const struct expect[]){{"capset", "ALLOW"},
                                         {"execve", "ALLOW"},
                                         {"setuid", "ALLOW"},
                                         {"mkdir", "ERRNO(1)"},
                                         {"fchown", "ERRNO(13)"},
                                         {NULL}});
    json_decref(root);
    assert_int_equal(events_with(&r, "ProfileBlocksStartup"), 1);
    assert_int_equal(events_with(&r, "fchown (runc, crun (exec)"), 1);
    assert_int_equal(events_with(&r, "setuid"), 0);
    srec_clear(&r);
    engine_free(e);
}

/* A start-up syscall that a block-list (or a ceiling) names only under a condition is named
 * by none outside it: the start-up set allows the other calls, the condition's block stays
 * (even one equal to the merged default). An allow-list that allows it under a condition
 * names it: the start-up set does not add it. */
static void test_conditional_startup_syscall(void **state)
{
    struct srec r = {0};
    struct engine *e = engine_for_startup(
        "x86_64",
        OBJS(POL("web", "  selector: {matchLabels: {app: web}}\n"
                        "  seccomp: {syscalls: [read, write, exit_group], action: Allow}\n"),
             POL("guard", "  selector: {}\n"
                          "  rules:\n"
                          "  - {syscalls: [ioctl], action: Block, args: [{index: 1, value: 21522, "
                          "op: EQ}]}\n"
                          "  - {syscalls: [prctl], action: Kill, args: [{index: 0, value: 22, "
                          "op: EQ}]}\n"),
             CPOL("cguard", "  selector: {}\n  ceiling: true\n"
                            "  seccomp: {syscalls: [read, write, exit_group], action: Allow}\n"
                            "  rules: [{syscalls: [setuid], action: Kill, args: [{index: 0, "
                            "value: 0, op: EQ}]}]\n"),
             WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(e, &r);
    json_t *root = profile_of(&r, "demo/web.json");
    assert_string_equal(eval1(root, "prctl", 24).s, "ALLOW"); /* PR_CAPBSET_DROP */
    assert_string_equal(eval1(root, "prctl", 22).s, "KILL_PROCESS");
    assert_string_equal(eval1(root, "setuid", 1000).s, "ALLOW");
    assert_string_equal(eval1(root, "setuid", 0).s, "KILL_PROCESS");
    assert_false(named(root, "ptrace"));
    json_decref(root);
    /* ioctl's condition is on argument 1: evaluated by hand on the rendered rules. */
    const char *json = json_of(&r, "demo/web.json");
    assert_non_null(strstr(json, "21522"));
    srec_clear(&r);
    engine_free(e);

    e = engine_for_startup(
        "x86_64",
        OBJS(POL("web", "  selector: {matchLabels: {app: web}}\n"
                        "  seccomp: {syscalls: [read, write, exit_group], action: Allow}\n"
                        "  rules: [{syscalls: [prctl], action: Allow, args: [{index: 0, "
                        "value: 15, op: EQ}]}]\n"),
             WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(e, &r);
    root = profile_of(&r, "demo/web.json");
    assert_string_equal(eval1(root, "prctl", 15).s, "ALLOW");
    assert_string_equal(eval1(root, "prctl", 24).s, "ERRNO(1)");
    json_decref(root);
    assert_int_equal(events_with(&r, "ProfileBlocksStartup"), 1);
    srec_clear(&r);
    engine_free(e);
}

/* ---- off, and one policy alone ----------------------------------------------------------- */

static void test_off(void **state)
{
    struct srec r = {0}, none = {0};
    static const char *const pol =
        POL("web", "  selector: {matchLabels: {app: web}}\n"
                   "  seccomp: {syscalls: [read, write, exit_group], action: Allow}\n"
                   "  rules: [{syscalls: [execve], action: Block}]\n");
    struct engine *e =
        engine_for_startup("x86_64", OBJS(pol, WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(e, &r);
    assert_int_equal(r.nev, 1);
    /* Turned off: every file is recomputed and holds exactly what the policy says, and no
     * Event is told. */
    engine_set_startup(e, false);
    ssync(e, &r);
    assert_int_equal(r.nf, 1);
    assert_int_equal(r.nev, 0);
    json_t *root = profile_of(&r, "demo/web.json");
    check_expect(
        root, "off", "ERRNO(1)",
        (const struct expect[]){
            {"read", "ALLOW"}, {"execve", "ERRNO(1)"}, {"capset", "-"}, {"close", "-"}, {NULL}});
    json_decref(root);
    struct engine *f = engine_for("x86_64", OBJS(pol, WEB_POD("p", "  containers: [{name: a}]\n")));
    ssync(f, &none);
    assert_string_equal(json_of(&r, "demo/web.json"), json_of(&none, "demo/web.json"));
    engine_free(f);
    /* And on again. */
    engine_set_startup(e, true);
    ssync(e, &r);
    assert_int_equal(r.nev, 1);
    srec_clear(&r);
    srec_clear(&none);
    engine_free(e);
}

static void test_policy_alone(void **state)
{
    struct engine *e = engine_for_startup(
        "aarch64", OBJS(POL("web", "  seccomp: {syscalls: [read], action: Allow}\n"
                                   "  rules: [{syscalls: [setresuid, setgid], action: Block}]\n")));
    struct policy_result pr;
    assert_int_equal(engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "web"), &pr),
                     0);
    struct cprof *prof = NULL;
    char *warning = NULL;
    assert_int_equal(engine_policy_startup(e, pr.prof, &prof, &warning), 0);
    json_t *root = render(prof, e);
    /* The long set (no pods), with aarch64's names. */
    check_expect(root, "policy alone", "ERRNO(1)",
                 (const struct expect[]){{"read", "ALLOW"},
                                         {"newfstatat", "ALLOW"},
                                         {"capset", "ALLOW"},
                                         {"setresuid", "ERRNO(1)"},
                                         {"setgid", "ERRNO(1)"},
                                         {NULL}});
    assert_non_null(warning);
    assert_non_null(strstr(warning, "setgid (runc: sets the container's group id)"));
    assert_non_null(strstr(warning, "setresuid (crun: sets the container's user ids)"));
    /* The compiled policy itself is left as it was. */
    uint32_t id;
    assert_int_equal(sysdb_lookup(engine_sysdb(e), "capset", &id), 0);
    assert_false(profile_names(pr.prof, id));
    json_decref(root);
    cprof_free(prof);
    free(warning);

    engine_set_startup(e, false);
    assert_int_equal(engine_policy_startup(e, pr.prof, &prof, &warning), 0);
    assert_null(warning);
    assert_false(profile_names(prof, id));
    cprof_free(prof);
    engine_free(e);
}

/* The set of mode m on arch, resolved for one call. */
static int apply(struct cprof *p, enum startup_mode m, int arch, struct sysdb *db)
{
    struct startup_set s;
    startup_set_init(&s, m, arch, db);
    return startup_apply_set(p, &s);
}

static int blocked(const struct cprof *p, enum startup_mode m, int arch, struct sysdb *db,
                   struct startup_block **ret, size_t *ret_n)
{
    struct startup_set s;
    startup_set_init(&s, m, arch, db);
    return startup_blocked_set(p, &s, ret, ret_n);
}

/* startup_apply_set() leaves an allow-all profile alone, and a named syscall as it is. */
static void test_apply_direct(void **state)
{
    struct engine *e = engine_for("x86_64", OBJS(POL("bl", "  rules: [{syscalls: [mkdir], action: "
                                                           "Block}]\n"),
                                                 POL("al", "  seccomp: {syscalls: [execve], "
                                                           "action: Audit}\n"
                                                           "  defaultAction: Block\n")));
    struct sysdb *db = engine_sysdb(e);
    int arch = arch_parse("x86_64");
    struct policy_result pr;
    assert_int_equal(engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "bl"), &pr),
                     0);
    struct cprof *copy = NULL;
    assert_int_equal(profile_merge(&pr.prof, 1, false, &copy), 0);
    size_t before = copy->nents;
    assert_int_equal(apply(copy, STARTUP_LONG, arch, db), 0);
    assert_int_equal(copy->nents, before);
    cprof_free(copy);

    assert_int_equal(engine_policy_result(e, engine_get_policy(e, PK_POLICY, "demo", "al"), &pr),
                     0);
    assert_int_equal(profile_merge(&pr.prof, 1, false, &copy), 0);
    assert_int_equal(apply(copy, STARTUP_SHORT, arch, db), 0);
    json_t *root = render(copy, e);
    check_expect(
        root, "named", "ERRNO(1)",
        (const struct expect[]){{"execve", "LOG"}, {"close", "ALLOW"}, {"capset", "-"}, {NULL}});
    json_decref(root);
    /* Entries stay sorted: applying twice changes nothing. */
    size_t n = copy->nents;
    assert_int_equal(apply(copy, STARTUP_SHORT, arch, db), 0);
    assert_int_equal(copy->nents, n);
    for (size_t i = 1; i < copy->nents; i++)
        assert_true(copy->ents[i - 1].sys < copy->ents[i].sys);
    /* Audit is not a block: execve LOG is not reported. */
    struct startup_block *b = NULL;
    size_t nb = 0;
    assert_int_equal(blocked(copy, STARTUP_SHORT, arch, db, &b, &nb), 0);
    assert_int_equal(nb, 0);
    free(b);
    cprof_free(copy);
    engine_free(e);
}

/* A set resolved once stays right as the db learns names (ids are stable): the same as one
 * resolved after, for both modes and a 32-bit node. */
static void test_set_resolved_once(void **state)
{
    (void)state;
    struct engine *e = engine_for("x86_64", OBJS(POL("bl", "  rules: [{syscalls: [mkdir], action: "
                                                           "Block}]\n")));
    struct sysdb *db = engine_sysdb(e);
    static const char *const arches[] = {"x86_64", "x86", "aarch64"};
    for (size_t a = 0; a < ARRAY_SIZE(arches); a++)
        for (int m = STARTUP_LONG; m <= STARTUP_SHORT; m++) {
            int arch = arch_parse(arches[a]);
            struct startup_set early, late;
            startup_set_init(&early, (enum startup_mode)m, arch, db);
            assert_true(early.n > 0);
            /* The db learns more names. */
            static const char *const more[] = {"ptrace", "kexec_load", "bpf", "mount"};
            for (size_t i = 0; i < ARRAY_SIZE(more); i++) {
                uint32_t id;
                assert_int_equal(sysdb_lookup(db, more[i], &id), 0);
            }
            startup_set_init(&late, (enum startup_mode)m, arch, db);
            assert_int_equal(early.n, late.n);
            for (size_t i = 0; i < early.n; i++) {
                assert_ptr_equal(early.member[i].entry, late.member[i].entry);
                assert_int_equal(early.member[i].id, late.member[i].id);
                assert_string_equal(early.member[i].name, late.member[i].name);
                assert_string_equal(early.member[i].name,
                                    startup_name(early.member[i].entry, arch, db));
            }
            for (uint32_t id = 0; id < sysdb_count(db); id++)
                assert_int_equal(startup_set_has(&early, id), startup_set_has(&late, id));
        }
    engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data),
        cmocka_unit_test(test_names_per_arch),
        cmocka_unit_test(test_long_set_by_default),
        cmocka_unit_test(test_short_set_with_no_new_privs),
        cmocka_unit_test(test_mode_follows_pods),
        cmocka_unit_test(test_other_files_do_not_count),
        cmocka_unit_test(test_policy_decides_and_warns),
        cmocka_unit_test(test_explain_origin),
        cmocka_unit_test(test_blocklists),
        cmocka_unit_test(test_other_defaults),
        cmocka_unit_test(test_ceiling_counts_where_it_names),
        cmocka_unit_test(test_conditional_startup_syscall),
        cmocka_unit_test(test_off),
        cmocka_unit_test(test_policy_alone),
        cmocka_unit_test(test_apply_direct),
        cmocka_unit_test(test_set_resolved_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
