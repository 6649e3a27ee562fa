/* test_profile.c - compiled profiles (contract section 3 on one policy and on merges, and the
 * rendering of section 4), checked structurally.
 *
 * Inputs are YAML strings decoded into an engine (engine_new for x86_64 or aarch64); compiled
 * profiles come from engine_policy_result(), merges from profile_merge(). Every profile is
 * rendered with profile_render() and parsed back with jansson; the tests then compute the
 * effective action of each syscall (its unconditional rule, else the default) and look at the
 * conditional rules, instead of comparing whole JSON strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <malloc.h>

#include "engine_fixture.h"
#define MAX_EXPECT 12

/* The compiled result of SeccompPolicy demo/name (the policy must exist). */
static struct policy_result result_of(struct engine *e, const char *name)
{
    const struct policy *p = engine_get_policy(e, PK_POLICY, "demo", name);
    if (!p)
        fail_msg("no SeccompPolicy demo/%s", name);
    struct policy_result res;
    assert_int_equal(engine_policy_result(e, p, &res), 0);
    return res;
}

/* ---- 3.1: one policy --------------------------------------------------------------------- */

struct compile_case {
    const char *title;
    const char *const *yaml; /* SeccompPolicies of namespace demo */
    const char *policy;      /* the one checked */
    const char *dflt;
    const char *arches; /* NULL: x86_64's native set */
    struct expect expect[MAX_EXPECT];
};

#define X86_64_SET "SCMP_ARCH_X86_64 SCMP_ARCH_X86 SCMP_ARCH_X32"

static const struct compile_case compile_cases[] = {
    {"an Allow block makes an allow-list (default ERRNO)",
     OBJS(POL("p", "  seccomp: {syscalls: [read, write], action: Allow}\n")),
     "p",
     "ERRNO(1)",
     NULL,
     {{"read", "ALLOW"}, {"write", "ALLOW"}, {"mkdir", "-"}, {NULL}}},
    {"only Block blocks make a block-list (default ALLOW)",
     OBJS(POL("p", "  seccomp: {syscalls: [mkdir, rmdir], action: Block}\n")),
     "p",
     "ALLOW",
     NULL,
     {{"mkdir", "ERRNO(1)"}, {"rmdir", "ERRNO(1)"}, {"read", "-"}, {NULL}}},
    {"only Audit blocks: default ALLOW",
     OBJS(POL("p", "  seccomp: {syscalls: [mkdir], action: Audit}\n")),
     "p",
     "ALLOW",
     NULL,
     {{"mkdir", "LOG"}, {NULL}}},
    {"Block and Audit blocks: default ALLOW",
     OBJS(POL("p", "  seccomp: {syscalls: [mkdir], action: Block}\n"
                   "  rules:\n"
                   "  - {syscalls: [rmdir], action: Audit}\n")),
     "p",
     "ALLOW",
     NULL,
     {{"mkdir", "ERRNO(1)"}, {"rmdir", "LOG"}, {NULL}}},
    {"an Allow block among Block blocks: default ERRNO",
     OBJS(POL("p", "  seccomp: {syscalls: [mkdir], action: Block}\n"
                   "  rules:\n"
                   "  - {syscalls: [read], action: Allow}\n")),
     "p",
     "ERRNO(1)",
     NULL,
     {{"read", "ALLOW"}, {"mkdir", "ERRNO(1)"}, {NULL}}},
    {"an Allow policy with no syscalls denies everything",
     OBJS(POL("p", "  seccomp: {syscalls: [], action: Allow}\n")),
     "p",
     "ERRNO(1)",
     NULL,
     {{"read", "-"}, {"write", "-"}, {NULL}}},
    {"explicit defaultAction Kill on an allow-list",
     OBJS(POL("p", "  defaultAction: Kill\n"
                   "  seccomp: {syscalls: [read], action: Allow}\n")),
     "p",
     "KILL_PROCESS",
     NULL,
     {{"read", "ALLOW"}, {NULL}}},
    {"explicit defaultAction Allow on an allow-list",
     OBJS(POL("p", "  defaultAction: Allow\n"
                   "  seccomp: {syscalls: [read], action: Allow}\n"
                   "  rules:\n"
                   "  - {syscalls: [mkdir], action: Trap}\n")),
     "p",
     "ALLOW",
     NULL,
     {{"read", "ALLOW"}, {"mkdir", "TRAP"}, {NULL}}},
    {"explicit defaultAction in SCMP_ACT_ spelling",
     OBJS(POL("p", "  defaultAction: SCMP_ACT_LOG\n"
                   "  seccomp: {syscalls: [mkdir], action: Block}\n")),
     "p",
     "LOG",
     NULL,
     {{"mkdir", "ERRNO(1)"}, {NULL}}},
    {"default inherited from the parent (a block-list child of a Trap default)",
     OBJS(POL("base", "  defaultAction: Trap\n"
                      "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [mkdir], action: Block}\n")),
     "child",
     "TRAP",
     NULL,
     {{"read", "ALLOW"}, {"mkdir", "ERRNO(1)"}, {NULL}}},
    {"default inherited from an allow-list parent by a block-list child",
     OBJS(POL("base", "  seccomp: {syscalls: [read, mkdir], action: Allow}\n"),
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [mkdir], action: Block}\n")),
     "child",
     "ERRNO(1)",
     NULL,
     {{"read", "ALLOW"}, {"mkdir", "ERRNO(1)"}, {NULL}}},
    {"the child's own defaultAction beats the parent's",
     OBJS(POL("base", "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("child", "  extends: base\n"
                       "  defaultAction: Kill\n")),
     "child",
     "KILL_PROCESS",
     NULL,
     {{"read", "ALLOW"}, {NULL}}},
    {"errno given by name and by number",
     OBJS(POL("p", "  seccomp: {syscalls: [mkdir], action: Block, errno: EACCES}\n"
                   "  rules:\n"
                   "  - {syscalls: [rmdir], action: Block, errno: 38}\n")),
     "p",
     "ALLOW",
     NULL,
     {{"mkdir", "ERRNO(13)"}, {"rmdir", "ERRNO(38)"}, {NULL}}},
    {"same syscall in several blocks: the most restrictive wins",
     OBJS(POL("p", "  seccomp: {syscalls: [read, write, mkdir, getpid, kill], action: Allow}\n"
                   "  rules:\n"
                   "  - {syscalls: [mkdir], action: Block}\n"
                   "  - {syscalls: [write], action: Audit}\n"
                   "  - {syscalls: [getpid], action: Trap}\n"
                   "  - {syscalls: [getpid, kill], action: Kill}\n"
                   "  - {syscalls: [kill], action: SCMP_ACT_KILL_THREAD}\n"
                   "  - {syscalls: [read], action: Allow}\n")),
     "p",
     "ERRNO(1)",
     NULL,
     {{"read", "ALLOW"},
      {"write", "LOG"},
      {"mkdir", "ERRNO(1)"},
      {"getpid", "KILL_PROCESS"},
      {"kill", "KILL_PROCESS"},
      {NULL}}},
    {"ties on Block: the lowest errno (EACCES then EPERM)",
     OBJS(POL("p", "  seccomp: {syscalls: [mkdir], action: Block, errno: EACCES}\n"
                   "  rules:\n"
                   "  - {syscalls: [mkdir], action: Block, errno: EPERM}\n")),
     "p",
     "ALLOW",
     NULL,
     {{"mkdir", "ERRNO(1)"}, {NULL}}},
    {"ties on Block: the lowest errno (38 then 13)",
     OBJS(POL("p", "  seccomp: {syscalls: [mkdir], action: Block, errno: 38}\n"
                   "  rules:\n"
                   "  - {syscalls: [mkdir], action: Block, errno: 13}\n"
                   "  - {syscalls: [mkdir], action: Block, errno: ENOSYS}\n")),
     "p",
     "ALLOW",
     NULL,
     {{"mkdir", "ERRNO(13)"}, {NULL}}},
    {"groups expand",
     OBJS(POL("p", "  seccomp: {groups: [\"@swap\"], action: Block}\n"
                   "  rules:\n"
                   "  - {groups: [\"@clock\"], syscalls: [read], action: Audit}\n")),
     "p",
     "ALLOW",
     NULL,
     {{"swapon", "ERRNO(1)"},
      {"swapoff", "ERRNO(1)"},
      {"clock_settime", "LOG"},
      {"settimeofday", "LOG"},
      {"adjtimex", "LOG"},
      {"read", "LOG"},
      {"mkdir", "-"},
      {NULL}}},
    {"nested groups expand (@privileged holds @clock and @reboot)",
     OBJS(POL("p", "  seccomp: {groups: [\"@privileged\"], action: Kill}\n")),
     "p",
     "ALLOW",
     NULL,
     {{"clock_settime", "KILL_PROCESS"},
      {"reboot", "KILL_PROCESS"},
      {"kexec_load", "KILL_PROCESS"},
      {"setuid", "KILL_PROCESS"},
      {"read", "-"},
      {NULL}}},
    {"a syscall in a group and in a block: the most restrictive",
     OBJS(POL("p", "  seccomp: {groups: [\"@swap\"], action: Allow}\n"
                   "  rules:\n"
                   "  - {syscalls: [swapon], action: Block, errno: EBUSY}\n")),
     "p",
     "ERRNO(1)",
     NULL,
     {{"swapoff", "ALLOW"}, {"swapon", "ERRNO(16)"}, {NULL}}},
    {"arch set: only those architectures",
     OBJS(POL("p", "  seccomp: {arch: [x86_64], syscalls: [read], action: Allow}\n")),
     "p",
     "ERRNO(1)",
     "SCMP_ARCH_X86_64",
     {{"read", "ALLOW"}, {NULL}}},
    {"arch in the SCMP_ARCH_ spelling",
     OBJS(POL("p", "  seccomp: {arch: [SCMP_ARCH_X86_64, SCMP_ARCH_X86], syscalls: [read], action: "
                   "Allow}\n")),
     "p",
     "ERRNO(1)",
     "SCMP_ARCH_X86_64 SCMP_ARCH_X86",
     {{"read", "ALLOW"}, {NULL}}},
    {"arch inherited from the parent",
     OBJS(POL("base", "  seccomp: {arch: [x86], syscalls: [read], action: Allow}\n"),
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [write], action: Allow}\n")),
     "child",
     "ERRNO(1)",
     "SCMP_ARCH_X86",
     {{"read", "ALLOW"}, {"write", "ALLOW"}, {NULL}}},
    {"no arch: the node's native set",
     OBJS(POL("p", "  seccomp: {syscalls: [read], action: Allow}\n")),
     "p",
     "ERRNO(1)",
     X86_64_SET,
     {{NULL}}},
};

static void test_compile_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(compile_cases); i++) {
        const struct compile_case *c = &compile_cases[i];
        struct engine *e = engine_for("x86_64", c->yaml);
        struct policy_result res = result_of(e, c->policy);
        if (!res.valid)
            fail_msg("%s: invalid: %s", c->title, res.error);
        assert_int_equal(res.nconflicts, 0);
        json_t *root = render(res.prof, e);
        check_expect(root, c->title, c->dflt, c->expect);
        char arches[256];
        arches_of(root, arches, sizeof(arches));
        const char *want = c->arches ? c->arches : X86_64_SET;
        if (strcmp(arches, want) != 0)
            fail_msg("%s: architectures \"%s\", want \"%s\"", c->title, arches, want);
        json_decref(root);
        engine_free(e);
    }
}

struct log_capture {
    char lines[8][512];
    const struct policy *about[8]; /* the policy each line is about */
    size_t n;
};

static void capture_log(const struct policy *p, const char *line, void *userdata)
{
    struct log_capture *c = userdata;
    if (c->n < ARRAY_SIZE(c->lines)) {
        c->about[c->n] = p;
        snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s", line);
    }
}

/* Allows read, write and openat, and ioctl under a condition. */
static const char rw_ioctl_yaml[] = "apiVersion: kscmp.io/v1\n"
                                    "kind: SeccompPolicy\n"
                                    "metadata: {name: p, namespace: demo}\n"
                                    "spec:\n"
                                    "  seccomp: {syscalls: [read, write, openat], action: Allow}\n"
                                    "  rules:\n"
                                    "  - syscalls: [ioctl]\n"
                                    "    action: Allow\n"
                                    "    args: [{index: 1, value: 21505, op: EQ}]\n";

/* A compiled policy's profile is one allocation (10,000 are kept); adding to it (the start-up
 * syscalls of `compile --policy`) copies it out first and keeps what it held. Under ASan, a
 * write into the packed block's arrays or a free of one of them fails. */
static void test_compiled_profile_packed(void **state)
{
    (void)state;
    struct engine *e = engine_for("x86_64", (const char *const[]){rw_ioctl_yaml, NULL});
    struct policy_result res = result_of(e, "p");
    assert_true(res.valid);
    const struct cprof *prof = res.prof;
    assert_true(prof->packed);
    size_t size = malloc_usable_size((void *)prof);
    const char *lo = (const char *)prof, *hi = lo + size;
    assert_true((const char *)prof->ents >= lo && (const char *)(prof->ents + prof->nents) <= hi);
    assert_true((const char *)prof->conds >= lo &&
                (const char *)(prof->conds + prof->nconds) <= hi);
    assert_true(prof->norigins >= 2);
    for (size_t i = 0; i < prof->norigins; i++)
        assert_true(prof->origins[i] >= lo && prof->origins[i] + strlen(prof->origins[i]) < hi);
    assert_int_equal(prof->nconds, 1);
    assert_int_equal(prof->conds[0].args[0].value, 21505);

    struct cprof *copy = NULL;
    char *blocked = NULL;
    engine_set_startup(e, true);
    assert_int_equal(engine_policy_startup(e, prof, &copy, &blocked), 0);
    free(blocked);
    assert_true(copy->nents > prof->nents);

    /* In place: the packed profile itself grows (its arrays copied out first). */
    size_t n = prof->nents;
    uint32_t sys;
    assert_int_equal(sysdb_lookup(engine_sysdb(e), "mkdir", &sys), 0);
    assert_int_equal(
        profile_add_if_unnamed((struct cprof *)prof, sys, VERDICT(ACT_ALLOW), "test: mkdir"), 1);
    assert_false(prof->packed);
    assert_int_equal(prof->nents, n + 1);
    assert_true(profile_names(prof, sys));
    assert_string_equal(prof->origins[prof->norigins - 1], "test: mkdir");
    assert_int_equal(prof->conds[0].args[0].value, 21505);
    cprof_free(copy);
    engine_free(e);
}

/* profile_add_unnamed(): the syscalls a profile does not name are added (ids given in any
 * order, one given twice once, one named already left as it is), sorted among the others,
 * each with its origin text; what the profile held stays. Equal to adding them one by one. */
static void test_add_unnamed_batch(void **state)
{
    (void)state;
    struct engine *e = engine_for("x86_64", (const char *const[]){rw_ioctl_yaml, NULL});
    struct sysdb *db = engine_sysdb(e);
    const char *names[] = {"mkdir", "chdir", "write", "capset", "mkdir", "umask"};
    struct cadd adds[ARRAY_SIZE(names)];
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        assert_int_equal(sysdb_lookup(db, names[i], &adds[i].sys), 0);
        adds[i].origin = i < 2 ? "step one" : "step two";
    }
    struct policy_result res = result_of(e, "p");
    struct cprof *batch = NULL, *one = NULL;
    assert_int_equal(profile_merge(&res.prof, 1, false, &batch), 0);
    assert_int_equal(profile_merge(&res.prof, 1, false, &one), 0);
    size_t before = batch->nents;
    /* mkdir, chdir, capset and umask: write is named, the second mkdir is the first's. */
    assert_int_equal(profile_add_unnamed(batch, adds, ARRAY_SIZE(adds), VERDICT(ACT_ALLOW)), 4);
    assert_int_equal(batch->nents, before + 4);
    for (size_t i = 1; i < batch->nents; i++)
        assert_true(batch->ents[i - 1].sys < batch->ents[i].sys);
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        const struct centry *en = profile_entry(batch, adds[i].sys);
        assert_non_null(en);
        assert_int_equal(en->v.action, ACT_ALLOW);
        size_t first = 0; /* a syscall given twice has the origin given first */
        while (strcmp(names[first], names[i]) != 0)
            first++;
        if (strcmp(names[i], "write") != 0)
            assert_string_equal(batch->origins[en->origin], adds[first].origin);
    }
    /* Nothing more to add: 0, the profile as it was. */
    assert_int_equal(profile_add_unnamed(batch, adds, ARRAY_SIZE(adds), VERDICT(ACT_ALLOW)), 0);
    assert_int_equal(batch->nents, before + 4);
    /* One by one gives the same entries. */
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        assert_true(profile_add_if_unnamed(one, adds[i].sys, VERDICT(ACT_ALLOW), adds[i].origin) >=
                    0);
    assert_int_equal(one->nents, batch->nents);
    for (size_t i = 0; i < one->nents; i++) {
        assert_int_equal(one->ents[i].sys, batch->ents[i].sys);
        assert_string_equal(one->origins[one->ents[i].origin],
                            batch->origins[batch->ents[i].origin]);
    }
    cprof_free(batch);
    cprof_free(one);
    engine_free(e);
}

/* A syscall that exists, but not on the node's architectures, is dropped with a warning. */
static void test_syscall_not_on_node_arch(void **state)
{
    (void)state;
    static const char yaml[] = "apiVersion: kscmp.io/v1\n"
                               "kind: SeccompPolicy\n"
                               "metadata: {name: p, namespace: demo}\n"
                               "spec:\n"
                               "  seccomp:\n"
                               "    syscalls:\n"
                               "    - read\n"
                               "    - arch_prctl\n"
                               "    action: Allow\n";
    struct log_capture logs = {0};
    struct engine *e = engine_for("aarch64", NULL);
    engine_set_logger(e, capture_log, &logs);
    load_text(e, yaml);
    struct policy_result res = result_of(e, "p");
    assert_true(res.valid);
    assert_int_equal(res.nwarnings, 1);
    const char *w = res.warnings[0];
    assert_non_null(strstr(w, "test.yaml:8:"));
    assert_non_null(strstr(w, "SeccompPolicy demo/p"));
    assert_non_null(strstr(w, "spec.seccomp.syscalls[1]"));
    assert_non_null(strstr(w, "\"arch_prctl\""));
    assert_non_null(strstr(w, "dropped"));
    assert_int_equal(logs.n, 1);
    assert_non_null(strstr(logs.lines[0], "arch_prctl"));
    assert_ptr_equal(logs.about[0], res.policy); /* the CLI keeps a policy's lines by it */
    json_t *root = render(res.prof, e);
    struct expect ex[] = {{"read", "ALLOW"}, {"arch_prctl", "-"}, {NULL}};
    check_expect(root, "aarch64", "ERRNO(1)", ex);
    char arches[128];
    arches_of(root, arches, sizeof(arches));
    assert_string_equal(arches, "SCMP_ARCH_AARCH64 SCMP_ARCH_ARM");
    json_decref(root);
    engine_free(e);

    /* The same policy on x86_64 keeps it, without a warning. */
    e = engine_for("x86_64", OBJS(yaml));
    res = result_of(e, "p");
    assert_true(res.valid);
    assert_int_equal(res.nwarnings, 0);
    root = render(res.prof, e);
    struct expect ex2[] = {{"read", "ALLOW"}, {"arch_prctl", "ALLOW"}, {NULL}};
    check_expect(root, "x86_64", "ERRNO(1)", ex2);
    json_decref(root);
    engine_free(e);
}

/* Unknown syscalls and groups: the policy is invalid, the message names file:line, the object
 * and the field. */
struct bad_name_case {
    const char *yaml;
    const char *want; /* the whole message */
};

static const struct bad_name_case bad_name_cases[] = {
    {"apiVersion: kscmp.io/v1\n"
     "kind: SeccompPolicy\n"
     "metadata: {name: bad, namespace: demo}\n"
     "spec:\n"
     "  seccomp:\n"
     "    syscalls:\n"
     "    - read\n"
     "    - mkdirr\n"
     "    action: Allow\n",
     "test.yaml:8: SeccompPolicy demo/bad: spec.seccomp.syscalls[1]: unknown syscall \"mkdirr\"; "
     "did you mean \"mkdir\"?"},
    {"apiVersion: kscmp.io/v1\n"
     "kind: SeccompPolicy\n"
     "metadata: {name: bad, namespace: demo}\n"
     "spec:\n"
     "  seccomp: {syscalls: [read], action: Allow}\n"
     "  rules:\n"
     "  - syscalls: [write]\n"
     "    action: Allow\n"
     "  - syscalls: [getpid, rmdirr]\n"
     "    action: Block\n",
     "test.yaml:9: SeccompPolicy demo/bad: spec.rules[1].syscalls[1]: unknown syscall \"rmdirr\"; "
     "did you mean \"rmdir\"?"},
    {"apiVersion: kscmp.io/v1\n"
     "kind: SeccompPolicy\n"
     "metadata: {name: bad, namespace: demo}\n"
     "spec:\n"
     "  rules:\n"
     "  - groups:\n"
     "    - \"@basic-io\"\n"
     "    - \"@nosuchgroup\"\n"
     "    action: Allow\n",
     "test.yaml:8: SeccompPolicy demo/bad: spec.rules[0].groups[1]: unknown group "
     "\"@nosuchgroup\" (see kscmp groups)"},
    {"apiVersion: kscmp.io/v1\n"
     "kind: ClusterSeccompPolicy\n"
     "metadata: {name: bad}\n"
     "spec:\n"
     "  seccomp: {syscalls: [opnat], action: Block}\n",
     "test.yaml:5: ClusterSeccompPolicy bad: spec.seccomp.syscalls[0]: unknown syscall "
     "\"opnat\"; did you mean \"openat\"?"},
    /* The kernel's name of the call: the name without its prefix. */
    {"apiVersion: kscmp.io/v1\n"
     "kind: ClusterSeccompPolicy\n"
     "metadata: {name: bad}\n"
     "spec:\n"
     "  seccomp: {syscalls: [sys_ptrace], action: Block}\n",
     "test.yaml:5: ClusterSeccompPolicy bad: spec.seccomp.syscalls[0]: unknown syscall "
     "\"sys_ptrace\"; did you mean \"ptrace\"?"},
    /* Nothing near: no suggestion. */
    {"apiVersion: kscmp.io/v1\n"
     "kind: ClusterSeccompPolicy\n"
     "metadata: {name: bad}\n"
     "spec:\n"
     "  seccomp: {syscalls: [xyzzy], action: Block}\n",
     "test.yaml:5: ClusterSeccompPolicy bad: spec.seccomp.syscalls[0]: unknown syscall "
     "\"xyzzy\""},
};

static void test_unknown_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad_name_cases); i++) {
        struct engine *e = engine_for("x86_64", OBJS(bad_name_cases[i].yaml));
        const struct policy **v = NULL;
        size_t n = 0;
        assert_int_equal(engine_list_policies(e, &v, &n), 0);
        assert_int_equal(n, 1);
        struct policy_result res;
        assert_int_equal(engine_policy_result(e, v[0], &res), 0);
        free(v);
        assert_false(res.valid);
        assert_non_null(res.error);
        if (strcmp(res.error, bad_name_cases[i].want) != 0)
            fail_msg("case %zu: error\n  %s\nwant\n  %s", i, res.error, bad_name_cases[i].want);
        engine_free(e);
    }
}

/* ---- 3.2: merges ------------------------------------------------------------------------- */

/* Merges the compiled SeccompPolicies demo/names[] (NULL-terminated). */
static json_t *merged(struct engine *e, const char *const *names, bool intersect)
{
    const struct cprof *profs[8];
    size_t n = 0;
    for (; names[n]; n++) {
        struct policy_result res = result_of(e, names[n]);
        if (!res.valid)
            fail_msg("%s invalid: %s", names[n], res.error);
        profs[n] = res.prof;
    }
    struct cprof *m = NULL;
    assert_int_equal(profile_merge(profs, n, intersect, &m), 0);
    json_t *root = render(m, e);
    cprof_free(m);
    return root;
}

struct merge_case {
    const char *title;
    const char *const *yaml;
    const char *names[4];
    bool intersect;
    const char *dflt;
    const char *arches; /* NULL: not checked */
    struct expect expect[MAX_EXPECT];
};

static const struct merge_case merge_cases[] = {
    {"the KubeArmor example: allow s1 s4, block s2 s3",
     OBJS(POL("p1", "  seccomp: {syscalls: [read, write, getpid], action: Allow}\n"
                    "  rules:\n"
                    "  - {syscalls: [mkdir], action: Block}\n"),
          POL("p2", "  seccomp: {syscalls: [read, mkdir], action: Allow}\n"
                    "  rules:\n"
                    "  - {syscalls: [write], action: Block}\n")),
     {"p1", "p2"},
     false,
     "ERRNO(1)",
     NULL,
     {{"read", "ALLOW"},
      {"getpid", "ALLOW"},
      {"write", "ERRNO(1)"},
      {"mkdir", "ERRNO(1)"},
      {NULL}}},
    {"two allow-lists: the union",
     OBJS(POL("p1", "  seccomp: {syscalls: [read, write], action: Allow}\n"),
          POL("p2", "  seccomp: {syscalls: [read, openat], action: Allow}\n")),
     {"p1", "p2"},
     false,
     "ERRNO(1)",
     NULL,
     {{"read", "ALLOW"}, {"write", "ALLOW"}, {"openat", "ALLOW"}, {"mkdir", "-"}, {NULL}}},
    {"two allow-lists: the union less what either blocks",
     OBJS(POL("p1", "  seccomp: {syscalls: [read, mkdir], action: Allow}\n"),
          POL("p2", "  seccomp: {syscalls: [read], action: Allow}\n"
                    "  rules:\n"
                    "  - {syscalls: [mkdir], action: Block, errno: EACCES}\n")),
     {"p1", "p2"},
     false,
     "ERRNO(1)",
     NULL,
     {{"read", "ALLOW"}, {"mkdir", "ERRNO(13)"}, {NULL}}},
    {"allow-list and block-list: default the most restrictive, each names its own",
     OBJS(POL("p1", "  seccomp: {syscalls: [read, write], action: Allow}\n"),
          POL("p2", "  seccomp: {syscalls: [mkdir, write], action: Block}\n")),
     {"p1", "p2"},
     false,
     "ERRNO(1)",
     NULL,
     {{"read", "ALLOW"}, {"write", "ERRNO(1)"}, {"mkdir", "ERRNO(1)"}, {"getpid", "-"}, {NULL}}},
    {"two block-lists: default ALLOW, both blocks",
     OBJS(POL("p1", "  seccomp: {syscalls: [mkdir], action: Block}\n"),
          POL("p2", "  seccomp: {syscalls: [rmdir], action: Audit}\n")),
     {"p1", "p2"},
     false,
     "ALLOW",
     NULL,
     {{"mkdir", "ERRNO(1)"}, {"rmdir", "LOG"}, {NULL}}},
    {"merged default: the most restrictive explicit default",
     OBJS(POL("p1", "  defaultAction: Trap\n"
                    "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("p2", "  defaultAction: Kill\n"
                    "  seccomp: {syscalls: [write], action: Allow}\n"),
          POL("p3", "  defaultAction: Audit\n"
                    "  seccomp: {syscalls: [mkdir], action: Block}\n")),
     {"p1", "p2", "p3"},
     false,
     "KILL_PROCESS",
     NULL,
     {{"read", "ALLOW"}, {"write", "ALLOW"}, {"mkdir", "ERRNO(1)"}, {NULL}}},
    {"ties on Block across policies: the lowest errno",
     OBJS(POL("p1", "  seccomp: {syscalls: [mkdir, rmdir], action: Block, errno: EACCES}\n"),
          POL("p2", "  seccomp: {syscalls: [mkdir], action: Block, errno: ENOSYS}\n"
                    "  rules:\n"
                    "  - {syscalls: [rmdir], action: Block, errno: EPERM}\n")),
     {"p1", "p2"},
     false,
     "ALLOW",
     NULL,
     {{"mkdir", "ERRNO(13)"}, {"rmdir", "ERRNO(1)"}, {NULL}}},
    {"architectures: those every policy has (3.2, deny wins)",
     OBJS(POL("p1", "  seccomp: {arch: [x86_64, x86], syscalls: [read], action: Allow}\n"),
          POL("p2", "  seccomp: {arch: [x86], syscalls: [write], action: Allow}\n")),
     {"p1", "p2"},
     false,
     "ERRNO(1)",
     "SCMP_ARCH_X86",
     {{"read", "ALLOW"}, {"write", "ALLOW"}, {NULL}}},
    {"architectures: a policy without arch has the node's, and narrows nothing",
     OBJS(POL("p1", "  seccomp: {arch: [x86_64], syscalls: [read], action: Allow}\n"),
          POL("p2", "  seccomp: {syscalls: [write], action: Allow}\n")),
     {"p1", "p2"},
     false,
     "ERRNO(1)",
     "SCMP_ARCH_X86_64",
     {{"read", "ALLOW"}, {"write", "ALLOW"}, {NULL}}},
    {"architectures: the shared-file intersection narrows them too",
     OBJS(POL("p1", "  seccomp: {arch: [x86_64, x32], syscalls: [read], action: Allow}\n"),
          POL("p2", "  seccomp: {arch: [x86, x32], syscalls: [read], action: Allow}\n")),
     {"p1", "p2"},
     true,
     "ERRNO(1)",
     "SCMP_ARCH_X32",
     {{"read", "ALLOW"}, {NULL}}},
    {"intersection (shared file): what both allow",
     OBJS(POL("p1", "  seccomp: {syscalls: [read, write, mkdir], action: Allow}\n"),
          POL("p2", "  seccomp: {syscalls: [read, write, rmdir], action: Allow}\n")),
     {"p1", "p2"},
     true,
     "ERRNO(1)",
     NULL,
     {{"read", "ALLOW"}, {"write", "ALLOW"}, {"mkdir", "ERRNO(1)"}, {"rmdir", "ERRNO(1)"}, {NULL}}},
    {"intersection of a block-list and an allow-list",
     OBJS(POL("p1", "  seccomp: {syscalls: [mkdir], action: Block}\n"),
          POL("p2", "  seccomp: {syscalls: [read, mkdir], action: Allow}\n")),
     {"p1", "p2"},
     true,
     "ERRNO(1)",
     NULL,
     {{"read", "ALLOW"}, {"mkdir", "ERRNO(1)"}, {"getpid", "-"}, {NULL}}},
    {"a merge of one is the policy itself",
     OBJS(POL("p1", "  seccomp: {syscalls: [read], action: Allow}\n"
                    "  rules:\n"
                    "  - {syscalls: [mkdir], action: Kill}\n")),
     {"p1"},
     false,
     "ERRNO(1)",
     X86_64_SET,
     {{"read", "ALLOW"}, {"mkdir", "KILL_PROCESS"}, {NULL}}},
};

static void test_merge_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(merge_cases); i++) {
        const struct merge_case *c = &merge_cases[i];
        struct engine *e = engine_for("x86_64", c->yaml);
        json_t *root = merged(e, c->names, c->intersect);
        check_expect(root, c->title, c->dflt, c->expect);
        if (c->arches) {
            char arches[256];
            arches_of(root, arches, sizeof(arches));
            if (strcmp(arches, c->arches) != 0)
                fail_msg("%s: architectures \"%s\", want \"%s\"", c->title, arches, c->arches);
        }
        json_decref(root);
        /* The order of the inputs does not matter. */
        size_t n = 0;
        while (c->names[n])
            n++;
        const char *rev[5] = {0};
        for (size_t k = 0; k < n; k++)
            rev[k] = c->names[n - 1 - k];
        root = merged(e, rev, c->intersect);
        check_expect(root, c->title, c->dflt, c->expect);
        json_decref(root);
        engine_free(e);
    }
}

/* Every pair of actions: the merge gives the more restrictive, in both orders. */
static void test_merge_action_ranking(void **state)
{
    (void)state;
    /* Most restrictive first (contract 3.2), as a policy spells them, and as rendered. */
    static const struct {
        const char *spelling;
        const char *rendered;
    } rank[] = {
        {"Kill", "KILL_PROCESS"},
        {"SCMP_ACT_KILL_THREAD", "KILL_THREAD"},
        {"Trap", "TRAP"},
        {"Block", "ERRNO(1)"},
        {"SCMP_ACT_TRACE", "TRACE"},
        {"Audit", "LOG"},
        {"Allow", "ALLOW"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(rank); i++)
        for (size_t j = i + 1; j < ARRAY_SIZE(rank); j++) {
            char p1[256], p2[256];
            snprintf(p1, sizeof(p1),
                     POL("p1", "  defaultAction: Allow\n"
                               "  seccomp: {syscalls: [getpid], action: %s}\n"),
                     rank[i].spelling);
            snprintf(p2, sizeof(p2),
                     POL("p2", "  defaultAction: Allow\n"
                               "  seccomp: {syscalls: [getpid], action: %s}\n"),
                     rank[j].spelling);
            struct engine *e = engine_for("x86_64", OBJS(p1, p2));
            static const char *const fwd[] = {"p1", "p2", NULL}, *const back[] = {"p2", "p1", NULL};
            for (int order = 0; order < 2; order++) {
                json_t *root = merged(e, order ? back : fwd, false);
                struct act a = eff(root, "getpid");
                if (strcmp(a.s, rank[i].rendered) != 0)
                    fail_msg("%s vs %s: merged %s, want %s", rank[i].spelling, rank[j].spelling,
                             a.s, rank[i].rendered);
                json_decref(root);
            }
            engine_free(e);
        }
}

/* A conditional rule never widens an unconditional one. */
static void test_conditional_never_widens(void **state)
{
    (void)state;
    /* Across policies: one blocks personality outright, one allows personality(0). */
    struct engine *e = engine_for(
        "x86_64", OBJS(POL("blocker", "  seccomp: {syscalls: [personality], action: Block}\n"),
                       POL("allower", "  seccomp: {syscalls: [read], action: Allow}\n"
                                      "  rules:\n"
                                      "  - syscalls: [personality]\n"
                                      "    action: Allow\n"
                                      "    args: [{index: 0, value: 0, op: EQ}]\n")));
    static const char *const both[] = {"blocker", "allower", NULL};
    for (int intersect = 0; intersect < 2; intersect++) {
        json_t *root = merged(e, both, intersect);
        assert_string_equal(eff(root, "personality").s, "ERRNO(1)");
        assert_string_equal(eval1(root, "personality", 0).s, "ERRNO(1)");
        struct act acts[4];
        size_t n = conds_of(root, "personality", acts, 4);
        for (size_t i = 0; i < n; i++)
            if (strcmp(acts[i].s, "ALLOW") == 0)
                fail_msg("an ALLOW rule for personality survives (intersect=%d)", intersect);
        json_decref(root);
    }
    engine_free(e);

    /* Within one policy. */
    e = engine_for("x86_64",
                   OBJS(POL("p", "  seccomp: {syscalls: [personality, read], action: Allow}\n"
                                 "  rules:\n"
                                 "  - {syscalls: [personality], action: Block}\n"
                                 "  - syscalls: [personality]\n"
                                 "    action: Allow\n"
                                 "    args: [{index: 0, value: 8, op: EQ}]\n")));
    struct policy_result res = result_of(e, "p");
    assert_true(res.valid);
    json_t *root = render(res.prof, e);
    assert_string_equal(eff(root, "personality").s, "ERRNO(1)");
    assert_int_equal(conds_of(root, "personality", NULL, 0), 0);
    json_decref(root);
    engine_free(e);
}

/* A policy that only blocks a syscall under a condition (a block-list: default Allow) never
 * opens the rest of that syscall where the other policies' default denies it: outside the
 * condition no policy names it, so the merged default applies (3.2). */
static void test_conditional_deny_never_opens(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64",
        OBJS(POL("app", "  seccomp: {syscalls: [read, write], action: Allow}\n"),
             POL("noattach", "  rules:\n"
                             "  - {syscalls: [ptrace], action: Kill, args: [{index: 0, value: 16, "
                             "op: EQ}]}\n"),
             POL("tracer", "  seccomp: {syscalls: [read, ptrace], action: Allow}\n")));
    static const char *const two[] = {"app", "noattach", NULL}, *const two_rev[] = {"noattach",
                                                                                    "app", NULL};
    for (int intersect = 0; intersect < 2; intersect++)
        for (int order = 0; order < 2; order++) {
            json_t *root = merged(e, order ? two_rev : two, intersect);
            assert_string_equal(default_of(root).s, "ERRNO(1)");
            assert_string_equal(eval1(root, "ptrace", 16).s, "KILL_PROCESS");
            assert_string_equal(eval1(root, "ptrace", 0).s, "ERRNO(1)");
            assert_string_equal(eval1(root, "ptrace", 17).s, "ERRNO(1)");
            assert_string_equal(eval1(root, "read", 0).s, "ALLOW");
            json_decref(root);
        }
    /* A policy that allows ptrace outright: allowed but for the blocked call. */
    static const char *const three[] = {"app", "noattach", "tracer", NULL};
    json_t *root = merged(e, three, false);
    assert_string_equal(eval1(root, "ptrace", 16).s, "KILL_PROCESS");
    assert_string_equal(eval1(root, "ptrace", 0).s, "ALLOW");
    json_decref(root);
    /* Alone, or with another block-list, the block-list's default Allow stands. */
    static const char *const one[] = {"noattach", NULL};
    root = merged(e, one, false);
    assert_string_equal(eval1(root, "ptrace", 16).s, "KILL_PROCESS");
    assert_string_equal(eval1(root, "ptrace", 0).s, "ALLOW");
    json_decref(root);
    engine_free(e);
}

/* Deny wins where conditional rules overlap: a block of mkdir(x >= 16) and another policy's
 * allow of mkdir(16) (or two blocks of one policy) leave mkdir(16) denied. Each merged
 * conditional rule takes the others' unconditional rules, not their overlapping conditional
 * ones, so the stricter one must reach the lowering, which raises the looser one. */
static void test_overlapping_conditions_deny_wins(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64",
        OBJS(POL("blocker", "  rules:\n"
                            "  - {syscalls: [mkdir], action: Block, args: [{index: 0, value: 16, "
                            "op: GE}]}\n"),
             POL("allower", "  rules:\n"
                            "  - {syscalls: [mkdir], action: Allow, args: [{index: 0, value: 16, "
                            "op: EQ}]}\n"),
             POL("one", "  defaultAction: SCMP_ACT_KILL_THREAD\n"
                        "  rules:\n"
                        "  - {syscalls: [mkdir], action: Allow, args: [{index: 0, value: 16, "
                        "op: EQ}]}\n"
                        "  - {syscalls: [mkdir], action: SCMP_ACT_KILL_THREAD, args: [{index: 0, "
                        "value: 255, op: NE}]}\n")));
    static const char *const two[] = {"blocker", "allower", NULL}, *const two_rev[] = {
                                                                       "allower", "blocker", NULL};
    for (int order = 0; order < 2; order++) {
        json_t *root = merged(e, order ? two_rev : two, false);
        assert_string_equal(eval1(root, "mkdir", 16).s, "ERRNO(1)");
        assert_string_equal(eval1(root, "mkdir", 17).s, "ERRNO(1)");
        json_decref(root);
    }
    static const char *const one[] = {"one", NULL};
    json_t *root = merged(e, one, false);
    assert_string_equal(eval1(root, "mkdir", 16).s, "KILL_THREAD");
    assert_string_equal(eval1(root, "mkdir", 255).s, "KILL_THREAD");
    json_decref(root);
    engine_free(e);
}

/* A rules block allowing personality(8). */
#define COND8                                                                                      \
    "  rules:\n"                                                                                   \
    "  - syscalls: [personality]\n"                                                                \
    "    action: Allow\n"                                                                          \
    "    args: [{index: 0, value: 8, op: EQ}]\n"

/* The same conditional rule in two policies survives the merge, once. */
static void test_identical_conditional_rules_survive(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64", OBJS(POL("p1", "  seccomp: {syscalls: [read], action: Allow}\n" COND8),
                       POL("p2", "  seccomp: {syscalls: [write], action: Allow}\n" COND8)));
    static const char *const names[] = {"p1", "p2", NULL};
    for (int intersect = 0; intersect < 2; intersect++) {
        json_t *root = merged(e, names, intersect);
        assert_string_equal(eff(root, "personality").s, "ERRNO(1)");
        struct act acts[4];
        assert_int_equal(conds_of(root, "personality", acts, 4), 1);
        assert_string_equal(acts[0].s, "ALLOW");
        size_t i;
        json_t *rule;
        json_array_foreach(json_object_get(root, "syscalls"), i, rule)
        {
            json_t *args = json_object_get(rule, "args");
            if (!args)
                continue;
            assert_int_equal(json_array_size(args), 1);
            json_t *a = json_array_get(args, 0);
            assert_int_equal(json_integer_value(json_object_get(a, "index")), 0);
            assert_int_equal(json_integer_value(json_object_get(a, "value")), 8);
            assert_string_equal(json_string_value(json_object_get(a, "op")), "SCMP_CMP_EQ");
        }
        json_decref(root);
    }
    engine_free(e);
}

/* Different conditions on one syscall: each is checked against the other policy, which says
 * ERRNO to anything but its own condition: deny wins, nothing is allowed. */
static void test_differing_conditional_rules(void **state)
{
    (void)state;
    struct engine *e =
        engine_for("x86_64", OBJS(POL("p1", "  seccomp: {syscalls: [read], action: Allow}\n"
                                            "  rules:\n"
                                            "  - syscalls: [personality]\n"
                                            "    action: Allow\n"
                                            "    args: [{index: 0, value: 0, op: EQ}]\n"),
                                  POL("p2", "  seccomp: {syscalls: [read], action: Allow}\n"
                                            "  rules:\n"
                                            "  - syscalls: [personality]\n"
                                            "    action: Allow\n"
                                            "    args: [{index: 0, value: 8, op: EQ}]\n")));
    static const char *const names[] = {"p1", "p2", NULL};
    json_t *root = merged(e, names, false);
    assert_string_equal(eff(root, "personality").s, "ERRNO(1)");
    struct act acts[4];
    size_t n = conds_of(root, "personality", acts, 4);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(acts[i].s, "ALLOW");
    json_decref(root);
    engine_free(e);
}

/* A stricter conditional rule next to an unconditional one: written so that libseccomp
 * enforces both (it lets an unconditional rule swallow the conditional ones of a syscall). */
/* The fixture's masked_next(), which the invariant check's disjointness of a MASKED_EQ and a
 * range rests on, against a search of the values of 8 bits: in the low byte (the bits above it
 * free: past 255, 256 with want's bits) and in the top one (none past it). */
static void test_fixture_masked_next(void **state)
{
    (void)state;
    for (int shift = 0; shift <= 56; shift += 56)
        for (unsigned mask = 0; mask < 256; mask += 3)
            for (unsigned want = 0; want < 256; want++) {
                if (want & ~mask)
                    continue;
                for (unsigned lo = 0; lo < 256; lo += 5) {
                    uint64_t m = (uint64_t)mask << shift, w = (uint64_t)want << shift,
                             l = (uint64_t)lo << shift, got = 0, brute = 0;
                    bool found = false;
                    for (unsigned v = lo; v < 256 && !found; v++)
                        if ((v & mask) == want) {
                            found = true;
                            brute = (uint64_t)v << shift;
                        }
                    if (!found && !shift) { /* above 8 bits: bit 8 set, the rest want's */
                        found = true;
                        brute = 0x100 | want;
                    }
                    bool r = masked_next(m, w, l, &got);
                    assert_int_equal(r, found);
                    if (found)
                        assert_int_equal(got, brute);
                }
            }
    uint64_t got;
    assert_true(masked_next(0xfffffff8, 8, 0x100000000, &got));
    assert_int_equal(got, 0x100000008);
    assert_false(masked_next(UINT64_MAX, 5, 6, &got));
    assert_false(masked_next(1, 2, 0, &got)); /* want outside the mask: no value */
}

static void test_render_enforceable(void **state)
{
    (void)state;
    struct engine *e =
        engine_for("x86_64", OBJS(POL("p", "  seccomp: {syscalls: [read, personality], action: "
                                           "Allow}\n"
                                           "  rules:\n"
                                           "  - syscalls: [personality]\n"
                                           "    action: Kill\n"
                                           "    args: [{index: 0, value: 8, op: EQ}]\n"),
                                  POL("q", "  seccomp: {syscalls: [read, personality], action: "
                                           "Allow}\n")));
    struct policy_result res = result_of(e, "p");
    assert_true(res.valid);
    json_t *root = render(res.prof, e); /* checks: no unconditional rule next to conditions */
    assert_string_equal(eval1(root, "personality", 8).s, "KILL_PROCESS");
    assert_string_equal(eval1(root, "personality", 0).s, "ALLOW");
    assert_string_equal(eval1(root, "personality", 0xffffffff).s, "ALLOW");
    assert_string_equal(eval1(root, "read", 0).s, "ALLOW");
    json_decref(root);
    /* The same through a merge with a policy that allows personality outright. */
    static const char *const both[] = {"p", "q", NULL};
    for (int intersect = 0; intersect < 2; intersect++) {
        root = merged(e, both, intersect);
        assert_string_equal(eval1(root, "personality", 8).s, "KILL_PROCESS");
        assert_string_equal(eval1(root, "personality", 0).s, "ALLOW");
        json_decref(root);
    }
    engine_free(e);
}

/* ---- 3.3: inheritance (compiled content and conflicts) ----------------------------------- */

struct inherit_case {
    const char *title;
    const char *const *yaml;
    const char *policy;
    const char *dflt;
    struct expect expect[MAX_EXPECT];
    const char *conflicts[4]; /* exactly these, NULL-terminated */
    int nconds_personality;   /* -1: not checked */
    struct {
        uint64_t arg0;
        const char *act;
    } personality[3]; /* what personality(arg0) gets, as written; act NULL ends */
};

#define BASE_ALLOW_RW_BLOCK_MKDIR                                                                  \
    POL("base", "  seccomp: {syscalls: [read, write], action: Allow}\n"                            \
                "  rules:\n"                                                                       \
                "  - {syscalls: [mkdir], action: Block}\n")

static const struct inherit_case inherit_cases[] = {
    {"extends adds to the parent's allow-list",
     OBJS(BASE_ALLOW_RW_BLOCK_MKDIR,
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [getpid], action: Allow}\n")),
     "child",
     "ERRNO(1)",
     {{"read", "ALLOW"}, {"write", "ALLOW"}, {"getpid", "ALLOW"}, {"mkdir", "ERRNO(1)"}, {NULL}},
     {NULL},
     -1,
     {{0, NULL}}},
    {"child allowing a syscall the parent does not name is not a conflict",
     OBJS(POL("base", "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [rmdir], action: Allow}\n")),
     "child",
     "ERRNO(1)",
     {{"read", "ALLOW"}, {"rmdir", "ALLOW"}, {NULL}},
     {NULL},
     -1,
     {{0, NULL}}},
    {"child rules replace the parent's (Audit becomes Block)",
     OBJS(POL("base", "  seccomp: {syscalls: [mkdir, rmdir], action: Audit}\n"),
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [mkdir], action: Block}\n")),
     "child",
     "ALLOW",
     {{"mkdir", "ERRNO(1)"}, {"rmdir", "LOG"}, {NULL}},
     {NULL},
     -1,
     {{0, NULL}}},
    {"child rules replace the parent's (a lower errno is stricter)",
     OBJS(POL("base", "  seccomp: {syscalls: [mkdir], action: Block, errno: EACCES}\n"),
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [mkdir], action: Block}\n")),
     "child",
     "ALLOW",
     {{"mkdir", "ERRNO(1)"}, {NULL}},
     {NULL},
     -1,
     {{0, NULL}}},
    {"conflict: the child allows what the parent blocks",
     OBJS(BASE_ALLOW_RW_BLOCK_MKDIR,
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [mkdir], action: Allow}\n")),
     "child",
     "ERRNO(1)",
     {{"read", "ALLOW"}, {"mkdir", "ALLOW"}, {NULL}},
     {"mkdir", NULL},
     -1,
     {{0, NULL}}},
    {"conflict: the child audits what the parent kills",
     OBJS(POL("base", "  seccomp: {syscalls: [ptrace], action: Kill}\n"),
          POL("child", "  extends: base\n"
                       "  seccomp: {syscalls: [ptrace, getpid], action: Audit}\n")),
     "child",
     "ALLOW",
     {{"ptrace", "LOG"}, {"getpid", "LOG"}, {NULL}},
     {"ptrace", NULL},
     -1,
     {{0, NULL}}},
    {"conflict: a looser defaultAction",
     OBJS(POL("base", "  defaultAction: Kill\n"
                      "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("child", "  extends: base\n"
                       "  defaultAction: Block\n")),
     "child",
     "ERRNO(1)",
     {{"read", "ALLOW"}, {NULL}},
     {"defaultAction", NULL},
     -1,
     {{0, NULL}}},
    {"a stricter defaultAction is no conflict",
     OBJS(POL("base", "  seccomp: {syscalls: [read], action: Allow}\n"),
          POL("child", "  extends: base\n"
                       "  defaultAction: Kill\n")),
     "child",
     "KILL_PROCESS",
     {{"read", "ALLOW"}, {NULL}},
     {NULL},
     -1,
     {{0, NULL}}},
    {"conflict with an inherited rule (chain of 3)",
     OBJS(BASE_ALLOW_RW_BLOCK_MKDIR,
          POL("mid", "  extends: base\n"
                     "  seccomp: {syscalls: [getpid], action: Allow}\n"),
          POL("child", "  extends: mid\n"
                       "  seccomp: {syscalls: [mkdir], action: Allow}\n")),
     "child",
     "ERRNO(1)",
     {{"read", "ALLOW"}, {"getpid", "ALLOW"}, {"mkdir", "ALLOW"}, {NULL}},
     {"mkdir", NULL},
     -1,
     {{0, NULL}}},
    {"chain of 3 without conflict: everything inherited",
     OBJS(BASE_ALLOW_RW_BLOCK_MKDIR,
          POL("mid", "  extends: base\n"
                     "  seccomp: {syscalls: [getpid], action: Allow}\n"),
          POL("child", "  extends: mid\n"
                       "  seccomp: {syscalls: [rmdir], action: Kill}\n")),
     "child",
     "ERRNO(1)",
     {{"read", "ALLOW"},
      {"write", "ALLOW"},
      {"getpid", "ALLOW"},
      {"mkdir", "ERRNO(1)"},
      {"rmdir", "KILL_PROCESS"},
      {NULL}},
     {NULL},
     -1,
     {{0, NULL}}},
    {"runtime/default parent: the child blocks mkdir",
     OBJS(POL("child", "  extends: runtime/default\n"
                       "  seccomp: {syscalls: [mkdir], action: Block}\n")),
     "child",
     "ERRNO(1)",
     {{"mkdir", "ERRNO(1)"}, {"read", "ALLOW"}, {"rmdir", "ALLOW"}, {"reboot", "-"}, {NULL}},
     {NULL},
     -1,
     {{0, NULL}}},
    {"runtime/default parent: its conditional personality rules are inherited",
     OBJS(POL("child", "  extends: runtime/default\n"
                       "  seccomp: {syscalls: [mkdir], action: Block}\n")),
     "child",
     "ERRNO(1)",
     {{"personality", "ERRNO(1)"}, {NULL}},
     {NULL},
     5,
     {{0, NULL}}},
    {"runtime/default parent: the child's rule replaces the conditional ones",
     OBJS(POL("child", "  extends: runtime/default\n"
                       "  seccomp: {syscalls: [personality], action: Kill}\n")),
     "child",
     "ERRNO(1)",
     {{"personality", "KILL_PROCESS"}, {NULL}},
     {NULL},
     0,
     {{0, NULL}}},
    {"runtime/default parent: allowing what it does not name is no conflict",
     OBJS(POL("child", "  extends: runtime/default\n"
                       "  seccomp: {syscalls: [reboot], action: Allow}\n")),
     "child",
     "ERRNO(1)",
     {{"reboot", "ALLOW"}, {NULL}},
     {NULL},
     -1,
     {{0, NULL}}},
    {"runtime/default parent: allowing personality outright loosens it",
     OBJS(POL("child", "  extends: runtime/default\n"
                       "  seccomp: {syscalls: [personality], action: Allow}\n")),
     "child",
     "ERRNO(1)",
     {{"personality", "ALLOW"}, {NULL}},
     {"personality", NULL},
     0,
     {{0, NULL}}},
    {"ClusterSeccompPolicy/NAME parent",
     OBJS("apiVersion: kscmp.io/v1\n"
          "kind: ClusterSeccompPolicy\n"
          "metadata: {name: base}\n"
          "spec:\n"
          "  seccomp: {syscalls: [read, write], action: Allow}\n",
          POL("child", "  extends: ClusterSeccompPolicy/base\n"
                       "  seccomp: {syscalls: [getpid], action: Allow}\n")),
     "child",
     "ERRNO(1)",
     {{"read", "ALLOW"}, {"write", "ALLOW"}, {"getpid", "ALLOW"}, {NULL}},
     {NULL},
     -1,
     {{0, NULL}}},
    {"KubeArmorSeccompPolicy parent by plain name",
     OBJS("apiVersion: security.kubearmor.com/v1\n"
          "kind: KubeArmorSeccompPolicy\n"
          "metadata: {name: ksp-base, namespace: demo}\n"
          "spec:\n"
          "  seccomp: {syscalls: [read, futex], action: Allow}\n",
          POL("child", "  extends: ksp-base\n"
                       "  seccomp: {syscalls: [getpid], action: Allow}\n")),
     "child",
     "ERRNO(1)",
     {{"read", "ALLOW"}, {"futex", "ALLOW"}, {"getpid", "ALLOW"}, {NULL}},
     {NULL},
     -1,
     {{0, NULL}}},
    {"conflict: the child blocks outright what the parent kills under a condition",
     OBJS(POL("base", "  rules:\n"
                      "  - syscalls: [personality]\n"
                      "    action: Kill\n"
                      "    args: [{index: 0, value: 9, op: EQ}]\n"),
          POL("child", "  extends: base\n"
                       "  rules: [{syscalls: [personality], action: Block}]\n")),
     "child",
     "ALLOW",
     {{NULL}},
     {"personality", NULL},
     0,
     {{9, "ERRNO(1)"}, {0, "ERRNO(1)"}}},
    {"conflict: the child's condition misses the parent's (what the parent killed is allowed)",
     OBJS(POL("base", "  rules:\n"
                      "  - syscalls: [personality]\n"
                      "    action: Kill\n"
                      "    args: [{index: 0, value: 16, op: GE}]\n"),
          POL("child", "  extends: base\n"
                       "  rules:\n"
                       "  - syscalls: [personality]\n"
                       "    action: Block\n"
                       "    args: [{index: 0, value: 32, op: EQ}]\n")),
     "child",
     "ALLOW",
     {{NULL}},
     {"personality", NULL},
     1,
     {{16, "ALLOW"}, {32, "ERRNO(1)"}}},
    {"conflict: an Audit under another condition than the parent's Block",
     OBJS(POL("base", "  rules:\n"
                      "  - syscalls: [personality]\n"
                      "    action: Block\n"
                      "    errno: EACCES\n"
                      "    args: [{index: 0, value: 0, op: EQ}]\n"),
          POL("child", "  extends: base\n"
                       "  rules:\n"
                       "  - syscalls: [personality]\n"
                       "    action: Audit\n"
                       "    args: [{index: 0, value: 511, op: EQ}]\n")),
     "child",
     "ALLOW",
     {{NULL}},
     {"personality", NULL},
     1,
     {{0, "ALLOW"}, {511, "LOG"}}},
    {"a wider condition as strict as the parent's: no conflict",
     OBJS(POL("base", "  rules:\n"
                      "  - syscalls: [personality]\n"
                      "    action: Kill\n"
                      "    args: [{index: 0, value: 9, op: EQ}]\n"),
          POL("child", "  extends: base\n"
                       "  rules:\n"
                       "  - syscalls: [personality]\n"
                       "    action: Kill\n"
                       "    args: [{index: 0, value: 15, op: LE}]\n")),
     "child",
     "ALLOW",
     {{NULL}},
     {NULL},
     1,
     {{9, "KILL_PROCESS"}, {3, "KILL_PROCESS"}, {16, "ALLOW"}}},
    {"an allow apart from the parent's condition, under a stricter default: no conflict",
     OBJS(POL("base", "  rules:\n"
                      "  - syscalls: [personality]\n"
                      "    action: Kill\n"
                      "    args: [{index: 0, value: 9, op: EQ}]\n"),
          POL("child", "  extends: base\n"
                       "  defaultAction: Kill\n"
                       "  rules:\n"
                       "  - syscalls: [personality]\n"
                       "    action: Allow\n"
                       "    args: [{index: 0, value: 1, op: EQ}]\n")),
     "child",
     "KILL_PROCESS",
     {{NULL}},
     {NULL},
     1,
     {{9, "KILL_PROCESS"}, {1, "ALLOW"}, {2, "KILL_PROCESS"}}},
    {"the same allow meeting the parent's condition: a conflict",
     OBJS(POL("base", "  rules:\n"
                      "  - syscalls: [personality]\n"
                      "    action: Kill\n"
                      "    args: [{index: 0, value: 9, op: EQ}]\n"),
          POL("child", "  extends: base\n"
                       "  defaultAction: Kill\n"
                       "  rules:\n"
                       "  - syscalls: [personality]\n"
                       "    action: Allow\n"
                       "    args: [{index: 0, value: 9, op: LE}]\n")),
     "child",
     "KILL_PROCESS",
     {{NULL}},
     {"personality", NULL},
     1,
     {{9, "ALLOW"}, {10, "KILL_PROCESS"}}},
    {"a stricter conditional rule over the parent's block: no conflict, the block stays",
     OBJS(POL("base", "  seccomp: {syscalls: [personality, mkdir], action: Block}\n"),
          POL("child", "  extends: base\n"
                       "  rules:\n"
                       "  - syscalls: [personality]\n"
                       "    action: Kill\n"
                       "    args: [{index: 0, value: 8, op: EQ}]\n")),
     "child",
     "ALLOW",
     {{"mkdir", "ERRNO(1)"}, {NULL}},
     {NULL},
     -1,
     {{8, "KILL_PROCESS"}, {0, "ERRNO(1)"}, {0xffff, "ERRNO(1)"}}},
    {"a conditional Allow over the parent's block: a conflict, and never wider than that",
     OBJS(POL("base", "  seccomp: {syscalls: [personality, mkdir], action: Block}\n"),
          POL("child", "  extends: base\n"
                       "  rules:\n"
                       "  - syscalls: [personality]\n"
                       "    action: Allow\n"
                       "    args: [{index: 0, value: 0, op: EQ}]\n")),
     "child",
     "ALLOW",
     {{"mkdir", "ERRNO(1)"}, {NULL}},
     {"personality", NULL},
     -1,
     {{8, "ERRNO(1)"}, {0xffff, "ERRNO(1)"}}},
    {"a conditional rule keeps the parent's allow for the other arguments",
     OBJS(POL("base", "  seccomp: {syscalls: [read, personality], action: Allow}\n"),
          POL("child", "  extends: base\n"
                       "  rules:\n"
                       "  - syscalls: [personality]\n"
                       "    action: Kill\n"
                       "    args: [{index: 0, value: 8, op: EQ}]\n")),
     "child",
     "ERRNO(1)",
     {{"read", "ALLOW"}, {NULL}},
     {NULL},
     -1,
     {{8, "KILL_PROCESS"}, {0, "ALLOW"}, {0xffff, "ALLOW"}}},
    {"runtime/default parent: a conditional rule replaces its conditional ones",
     OBJS(POL("child", "  extends: runtime/default\n"
                       "  rules:\n"
                       "  - syscalls: [personality]\n"
                       "    action: Allow\n"
                       "    args: [{index: 0, value: 8, op: EQ}]\n")),
     "child",
     "ERRNO(1)",
     {{NULL}},
     {NULL},
     1,
     {{8, "ALLOW"}, {0, "ERRNO(1)"}, {0xffff, "ERRNO(1)"}}},
    {"a child narrowing the architectures is not a conflict",
     OBJS(POL("base", "  seccomp: {arch: [x86_64, x86], syscalls: [read], action: Allow}\n"),
          POL("child", "  extends: base\n"
                       "  seccomp: {arch: [x86_64], syscalls: [write], action: Allow}\n")),
     "child",
     "ERRNO(1)",
     {{"read", "ALLOW"}, {"write", "ALLOW"}, {NULL}},
     {NULL},
     -1,
     {{0, NULL}}},
    {"a child listing an architecture its parent leaves out conflicts (3.3)",
     OBJS(POL("base", "  seccomp: {arch: [x86_64], syscalls: [read], action: Allow}\n"),
          POL("child",
              "  extends: base\n"
              "  seccomp: {arch: [x86_64, x86, x32], syscalls: [write], action: Allow}\n")),
     "child",
     "ERRNO(1)",
     {{"read", "ALLOW"}, {"write", "ALLOW"}, {NULL}},
     {"arch:x86", "arch:x32", NULL},
     -1,
     {{0, NULL}}},
};

static void test_inherit_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(inherit_cases); i++) {
        const struct inherit_case *c = &inherit_cases[i];
        struct engine *e = engine_for("x86_64", c->yaml);
        struct policy_result res = result_of(e, c->policy);
        if (!res.valid)
            fail_msg("%s: invalid: %s", c->title, res.error);
        size_t nwant = 0;
        while (c->conflicts[nwant])
            nwant++;
        if (res.nconflicts != nwant)
            fail_msg("%s: %zu conflicts (%s...), want %zu", c->title, res.nconflicts,
                     res.nconflicts ? res.conflicts[0] : "", nwant);
        for (size_t k = 0; k < nwant; k++)
            if (!strv_has(res.conflicts, res.nconflicts, c->conflicts[k]))
                fail_msg("%s: %s is not among the conflicts", c->title, c->conflicts[k]);
        json_t *root = render(res.prof, e);
        check_expect(root, c->title, c->dflt, c->expect);
        if (c->nconds_personality >= 0 &&
            conds_of(root, "personality", NULL, 0) != (size_t)c->nconds_personality)
            fail_msg("%s: %zu conditional personality rules, want %d", c->title,
                     conds_of(root, "personality", NULL, 0), c->nconds_personality);
        for (size_t k = 0; k < ARRAY_SIZE(c->personality) && c->personality[k].act; k++) {
            struct act a = eval1(root, "personality", c->personality[k].arg0);
            if (strcmp(a.s, c->personality[k].act) != 0)
                fail_msg("%s: personality(%llu) gets %s, want %s", c->title,
                         (unsigned long long)c->personality[k].arg0, a.s, c->personality[k].act);
        }
        json_decref(root);
        engine_free(e);
    }
}

/* ---- section 4: rendering ---------------------------------------------------------------- */

/* Argument values are unsigned 64-bit (OCI: uint64): ones above 2^63 must not come out
 * negative, which no runtime would accept. */
static void test_render_large_arg_values(void **state)
{
    (void)state;
    /* The largest value Kubernetes can store (a signed 64-bit integer) renders as itself. */
    struct engine *e =
        engine_for("x86_64", OBJS(POL("p", "  seccomp: {syscalls: [read], action: Allow}\n"
                                           "  rules:\n"
                                           "  - syscalls: [ioctl]\n"
                                           "    action: Allow\n"
                                           "    args:\n"
                                           "    - {index: 1, value: 9223372036854775807, op: EQ}\n"
                                           "  - syscalls: [mmap]\n"
                                           "    action: Allow\n"
                                           "    args:\n"
                                           "    - {index: 2, value: 9223372036854775807, "
                                           "valueTwo: 9223372036854775807, op: MASKED_EQ}\n")));
    struct policy_result res = result_of(e, "p");
    assert_true(res.valid);
    char *s = NULL;
    size_t len = 0;
    assert_int_equal(profile_render(res.prof, engine_sysdb(e), &s, &len), 0);
    assert_null(strstr(s, "\"value\": -"));
    assert_null(strstr(s, "\"valueTwo\": -"));
    assert_non_null(strstr(s, "\"value\": 9223372036854775807"));
    assert_non_null(strstr(s, "\"valueTwo\": 9223372036854775807"));
    free(s);
    /* A profile that holds a larger one (only a bug could make it: decoding refuses them) is
     * not rendered at all, rather than rendered with another number. */
    assert_true(res.prof->nconds > 0);
    struct cprof *big = calloc(1, sizeof(*big));
    assert_non_null(big);
    big->dflt = res.prof->dflt;
    big->arches = res.prof->arches;
    big->conds = calloc(1, sizeof(*big->conds));
    assert_non_null(big->conds);
    big->conds[0] = res.prof->conds[0];
    big->conds[0].args[0].value = 1ull << 63;
    big->nconds = 1;
    s = NULL;
    assert_int_equal(profile_render(big, engine_sysdb(e), &s, &len), -ERANGE);
    assert_null(s);
    cprof_free(big);
    engine_free(e);
    /* Over it, the policy is refused with the reason, as the CRD refuses it. */
    e = engine_for("x86_64",
                   OBJS(POL("q", "  rules:\n"
                                 "  - syscalls: [ioctl]\n"
                                 "    action: Block\n"
                                 "    args:\n"
                                 "    - {index: 1, value: 9223372036854775808, op: EQ}\n")));
    res = result_of(e, "q");
    assert_false(res.valid);
    assert_non_null(strstr(res.error,
                           "spec.rules[0].args[0].value: must be a whole number from 0 to "
                           "9223372036854775807, not 9223372036854775808"));
    engine_free(e);
}

/* The rendered blocks: unconditional ones in a fixed verdict order, ERRNO ones with their
 * errno, conditional ones after them, each with every field. */
static void test_render_shape(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64",
        OBJS(POL("p", "  seccomp: {syscalls: [write, read, close, exit_group], action: Allow}\n"
                      "  rules:\n"
                      "  - {syscalls: [rmdir, mkdir], action: Block, errno: EACCES}\n"
                      "  - {syscalls: [unlink], action: Block}\n"
                      "  - {syscalls: [ptrace, kexec_load], action: Kill}\n"
                      "  - {syscalls: [getpid], action: Audit}\n"
                      "  - syscalls: [personality]\n"
                      "    action: Allow\n"
                      "    args: [{index: 0, value: 8, op: EQ}]\n"
                      "  - syscalls: [personality]\n"
                      "    action: Allow\n"
                      "    args: [{index: 0, value: 0, op: EQ}]\n")));
    struct policy_result res = result_of(e, "p");
    assert_true(res.valid);
    json_t *root = render(res.prof, e);
    assert_null(json_object_get(root, "defaultErrnoRet")); /* EPERM is the runtime's default */
    json_t *rules = json_object_get(root, "syscalls");
    /* ALLOW, LOG, ERRNO(1)? no: unlink ERRNO(1) equals the default and is left out;
     * ERRNO(13), KILL_PROCESS, then 2 conditional. */
    assert_int_equal(json_array_size(rules), 6);
    static const char *const order[] = {"ALLOW",        "LOG",   "ERRNO(13)",
                                        "KILL_PROCESS", "ALLOW", "ALLOW"};
    for (size_t i = 0; i < ARRAY_SIZE(order); i++)
        assert_string_equal(rule_act(json_array_get(rules, i)).s, order[i]);
    json_t *allow = json_object_get(json_array_get(rules, 0), "names");
    assert_int_equal(json_array_size(allow), 4);
    assert_string_equal(json_string_value(json_array_get(allow, 0)), "close");
    assert_string_equal(json_string_value(json_array_get(allow, 3)), "write");
    /* Conditional rules ordered by condition: value 0 before value 8. */
    json_t *a4 = json_array_get(json_object_get(json_array_get(rules, 4), "args"), 0);
    json_t *a5 = json_array_get(json_object_get(json_array_get(rules, 5), "args"), 0);
    assert_int_equal(json_integer_value(json_object_get(a4, "value")), 0);
    assert_int_equal(json_integer_value(json_object_get(a5, "value")), 8);
    assert_int_equal(json_integer_value(json_object_get(a4, "valueTwo")), 0);
    assert_string_equal(eff(root, "unlink").s, "ERRNO(1)");
    json_decref(root);
    engine_free(e);

    /* A default other than EPERM is spelled out. */
    e = engine_for("x86_64", NULL);
    struct cprof *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    p->dflt = (struct verdict){.action = ACT_ERRNO, .errno_ret = 38};
    p->arches = engine_node_arches(e);
    root = render(p, e);
    assert_int_equal(json_integer_value(json_object_get(root, "defaultErrnoRet")), 38);
    assert_string_equal(default_of(root).s, "ERRNO(38)");
    json_decref(root);
    cprof_free(p);
    engine_free(e);
}

/* The db keeps its names in strcmp() order as they come (the renderer walks that order):
 * after every new name, rank and by_rank are inverse and the names ascend. */
static void test_sysdb_rank(void **state)
{
    (void)state;
    struct sysdb *db = NULL;
    assert_int_equal(sysdb_new(&db), 0);
    static const char *const names[] = {"write",          "close",   "read",       "accept4",
                                        "zzz_not_a_call", "mkdir",   "write",      "accept",
                                        "socketpair",     "_llseek", "exit_group", "read"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        uint32_t id;
        int r = sysdb_lookup(db, names[i], &id);
        if (strcmp(names[i], "zzz_not_a_call") == 0) {
            assert_int_equal(r, -ENOENT);
            continue;
        }
        assert_int_equal(r, 0);
        size_t n = sysdb_count(db);
        for (uint32_t k = 0; k < n; k++) {
            assert_int_equal(sysdb_rank(db, sysdb_by_rank(db, k)), k);
            if (k + 1 < n)
                assert_true(strcmp(sysdb_name(db, sysdb_by_rank(db, k)),
                                   sysdb_name(db, sysdb_by_rank(db, k + 1))) < 0);
        }
        assert_int_equal(sysdb_rank(db, (uint32_t)n), UINT32_MAX);
        assert_int_equal(sysdb_by_rank(db, (uint32_t)n), UINT32_MAX);
    }
    assert_int_equal(sysdb_count(db), 9);
    assert_string_equal(sysdb_name(db, sysdb_by_rank(db, 0)), "_llseek");
    assert_string_equal(sysdb_name(db, sysdb_by_rank(db, 8)), "write");
    /* Only names the renderer writes as they are (sysdb_name_len()): anything else is not a
     * syscall name, not even a known name with something around it. */
    static const char *const odd[] = {"READ",
                                      "read\"",
                                      "re ad",
                                      "read\n",
                                      "",
                                      "wr\\ite",
                                      "\xc3\xa9"
                                      "crire"};
    for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
        uint32_t id;
        assert_int_equal(sysdb_lookup(db, odd[i], &id), -ENOENT);
    }
    assert_int_equal(sysdb_count(db), 9);
    for (uint32_t k = 0; k < 9; k++) {
        size_t n = 0;
        const char *s = sysdb_name_len(db, k, &n);
        assert_int_equal(n, strlen(s));
    }
    size_t none = 1;
    assert_null(sysdb_name_len(db, 9, &none));
    assert_int_equal(none, 0);
    sysdb_free(db);
}

/* A child's conditional Allow of a syscall its parent blocks without conditions changes nothing
 * (a conditional rule never widens an unconditional one): a conflict all the same (it means to
 * loosen), and a warning that says the parent's rule stays and how to replace it. */
static void test_child_conditional_under_parent_rule_warns(void **state)
{
    (void)state;
    struct engine *e = engine_for(
        "x86_64", OBJS(POL("base", "  seccomp: {syscalls: [read, exit_group], action: Allow}\n"
                                   "  rules: [{syscalls: [write], action: Block}]\n"),
                       POL("child", "  extends: base\n"
                                    "  rules:\n"
                                    "  - syscalls: [write]\n"
                                    "    action: Allow\n"
                                    "    args: [{index: 0, value: 1, op: EQ}]\n"),
                       POL("plain", "  extends: base\n"
                                    "  rules: [{syscalls: [write], action: Allow}]\n")));
    struct policy_result res = result_of(e, "child");
    assert_true(res.valid);
    assert_int_equal(res.nconflicts, 1);
    assert_string_equal(res.conflicts[0], "write");
    assert_int_equal(res.nwarnings, 1);
    assert_non_null(strstr(res.warnings[0], "SeccompPolicy demo/child"));
    assert_non_null(strstr(res.warnings[0], "conditional rule of write is looser than the action "
                                            "base gives it without conditions"));
    json_t *root = render(res.prof, e);
    struct expect ex[] = {{"read", "ALLOW"}, {"write", "ERRNO(1)"}, {NULL}};
    check_expect(root, "child", "ERRNO(1)", ex);
    json_decref(root);
    /* Without conditions the child's rule replaces the parent's: no warning. */
    res = result_of(e, "plain");
    assert_int_equal(res.nconflicts, 1);
    assert_int_equal(res.nwarnings, 0);
    engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compile_table),
        cmocka_unit_test(test_child_conditional_under_parent_rule_warns),
        cmocka_unit_test(test_compiled_profile_packed),
        cmocka_unit_test(test_syscall_not_on_node_arch),
        cmocka_unit_test(test_unknown_names),
        cmocka_unit_test(test_merge_table),
        cmocka_unit_test(test_merge_action_ranking),
        cmocka_unit_test(test_conditional_never_widens),
        cmocka_unit_test(test_conditional_deny_never_opens),
        cmocka_unit_test(test_overlapping_conditions_deny_wins),
        cmocka_unit_test(test_identical_conditional_rules_survive),
        cmocka_unit_test(test_differing_conditional_rules),
        cmocka_unit_test(test_inherit_table),
        cmocka_unit_test(test_render_large_arg_values),
        cmocka_unit_test(test_render_shape),
        cmocka_unit_test(test_add_unnamed_batch),
        cmocka_unit_test(test_sysdb_rank),
        cmocka_unit_test(test_render_enforceable),
        cmocka_unit_test(test_fixture_masked_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
