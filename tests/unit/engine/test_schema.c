/* test_schema.c - the one policy schema (crd/generate.py, engine/schema.h) as the C side
 * holds it: every spelling the schema lists is one the C tables know and the C tables know
 * no other; every size bound of the schema is where the decoder refuses, with a message that
 * names the field and the limit; the bounds only the agent can count (argument conditions
 * after groups are expanded) and the bounds of a compiled profile (refused before libseccomp,
 * the file kept as it was, a ProfileRefused Event). The same bounds against a real API server:
 * tests/packaging/suite-schema.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "engine/decode.h"
#include "engine/doc.h"
#include "engine/engine.h"
#include "engine/groups.h"
#include "engine/profile.h"
#include "engine/schema.h"
#include "engine_fixture.h"

/* ---- spellings, both ways ---------------------------------------------------------------- */

static bool in_list(const char *s, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, v[i]) == 0)
            return true;
    return false;
}

static void test_spellings_match_the_c_tables(void **state)
{
    static const char *const actions[] = {SCHEMA_ACTIONS};
    static const char *const ops[] = {SCHEMA_OPS};
    static const char *const arches[] = {SCHEMA_ARCHES};
    static const char *const errnos[] = {SCHEMA_ERRNO_NAMES};
    static const char *const groups[] = {SCHEMA_GROUPS};
    for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
        enum action a;
        if (action_parse(actions[i], &a) < 0)
            fail_msg("action %s of the schema is unknown to action_parse", actions[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
        enum cmp_op o;
        if (op_parse(ops[i], &o) < 0)
            fail_msg("operator %s of the schema is unknown to op_parse", ops[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
        if (arch_parse(arches[i]) < 0)
            fail_msg("architecture %s of the schema is unknown to arch_parse", arches[i]);
    /* Every architecture kscmp compiles for, in both spellings, is in the schema. */
    for (size_t i = 0; i < arch_count(); i++) {
        if (!in_list(arch_get(i)->name, arches, ARRAY_SIZE(arches)) ||
            !in_list(arch_get(i)->oci, arches, ARRAY_SIZE(arches)))
            fail_msg("architecture %s is missing from the schema", arch_get(i)->name);
    }
    assert_int_equal(ARRAY_SIZE(arches), 2 * arch_count());
    for (size_t i = 0; i < ARRAY_SIZE(errnos); i++) {
        uint16_t e;
        if (errno_parse(errnos[i], &e) < 0)
            fail_msg("errno %s of the schema is unknown to errno_parse", errnos[i]);
    }
    /* The same groups on both sides. */
    size_t n = 0;
    const struct syscall_group *all = groups_all(&n);
    assert_int_equal(n, ARRAY_SIZE(groups));
    for (size_t i = 0; i < n; i++)
        if (!in_list(all[i].name, groups, ARRAY_SIZE(groups)))
            fail_msg("group %s is missing from the schema", all[i].name);
    for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
        if (!groups_lookup(groups[i]))
            fail_msg("group %s of the schema does not exist", groups[i]);
    assert_int_equal(EXTENDS_MAX, SCHEMA_MAX_EXTENDS_DEPTH);
}

/* ---- decoding at and over every bound ---------------------------------------------------- */

#define HEAD "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p, namespace: demo}\n"

/* Decodes text; *ret_error is the policy's error (NULL when valid). */
static void decode_policy_text(const char *text, char **ret_error)
{
    struct ynode **docs = NULL;
    size_t n = 0;
    struct kerr err = {0};
    if (ydoc_parse_yaml(text, strlen(text), "t.yaml", &docs, &n, &err) < 0)
        fail_msg("YAML: %s", err.msg);
    assert_int_equal(n, 1);
    struct object o;
    int r = decode_object(docs[0], "t.yaml", &o, &err);
    ydoc_free_all(docs, n);
    if (r < 0)
        fail_msg("refused outright: %s", err.msg);
    assert_int_equal(o.type, OBJ_POLICY);
    *ret_error = o.policy->error ? strdup(o.policy->error) : NULL;
    object_clear(&o);
}

/* A spec with a list of count items: prefix item{sep item} suffix. */
static char *spec_with(const char *prefix, const char *item, size_t count, const char *suffix)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, HEAD "spec:\n%s", prefix);
    for (size_t i = 0; i < count; i++) {
        if (i)
            fputs(", ", f);
        fprintf(f, item, i);
    }
    fprintf(f, "%s", suffix);
    fclose(f);
    return buf;
}

struct list_bound {
    const char *what;
    const char *prefix, *item, *suffix;
    size_t max;
    const char *want; /* in the message over the bound */
};

static void test_list_bounds(void **state)
{
    static const struct list_bound bounds[] = {
        {"syscalls", "  seccomp: {action: Allow, syscalls: [", "read", "]}\n", SCHEMA_MAX_SYSCALLS,
         "spec.seccomp.syscalls: 1025 syscalls, more than the 1024 a policy may have here"},
        {"groups", "  seccomp: {action: Allow, groups: [", "\"@basic-io\"", "]}\n",
         SCHEMA_MAX_GROUPS, "spec.seccomp.groups: 65 groups, more than the 64"},
        {"rules", "  rules: [", "{syscalls: [read], action: Allow}", "]\n", SCHEMA_MAX_RULES,
         "spec.rules: 257 rules, more than the 256"},
        {"args", "  rules: [{syscalls: [read], action: Allow, args: [",
         "{index: %zu, value: 0, op: EQ}", "]}]\n", SCHEMA_MAX_ARGS,
         "spec.rules[0].args: at most 6 conditions, one per argument"},
        {"matchLabels", "  selector: {matchLabels: {", "k%zu: v", "}}\n",
         SCHEMA_MAX_SELECTOR_LABELS,
         "spec.selector.matchLabels: 65 labels, more than the 64 a selector may have"},
        {"matchExpressions", "  selector: {matchExpressions: [", "{key: k%zu, operator: Exists}",
         "]}\n", SCHEMA_MAX_SELECTOR_EXPRESSIONS,
         "spec.selector.matchExpressions: 65 expressions, more than the 64"},
        {"values", "  selector: {matchExpressions: [{key: k, operator: In, values: [", "v%zu",
         "]}]}\n", SCHEMA_MAX_SELECTOR_VALUES,
         "spec.selector.matchExpressions[0].values: 257 values, more than the 256"},
        {"tags", "  tags: [", "t%zu", "]\n", SCHEMA_MAX_TAGS,
         "spec.tags: 65 tags, more than the 64"},
        {"arch", "  seccomp: {action: Allow, arch: [", "x86_64", "]}\n", 2 * 17,
         "spec.seccomp.arch: 35 architectures, more than the 34"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bounds); i++) {
        const struct list_bound *b = &bounds[i];
        for (size_t over = 0; over < 2; over++) {
            _cleanup_free_ char *text = spec_with(b->prefix, b->item, b->max + over, b->suffix);
            _cleanup_free_ char *error = NULL;
            decode_policy_text(text, &error);
            if (!over && error)
                fail_msg("%s: %zu refused: %s", b->what, b->max, error);
            if (over && (!error || !strstr(error, b->want)))
                fail_msg("%s: %zu: %s, want \"%s\"", b->what, b->max + 1,
                         error ? error : "accepted", b->want);
        }
    }
}

struct value_case {
    const char *body;
    const char *want; /* NULL: valid */
};

static void test_values(void **state)
{
    static const struct value_case cases[] = {
        /* lengths */
        {"  message: \"%01024d\"\n", NULL},
        {"  message: \"%01025d\"\n", "spec.message: 1025 characters, more than 1024"},
        {"  seccomp: {action: Allow, syscalls: [read], message: \"%01025d\"}\n",
         "spec.seccomp.message: 1025 characters"},
        {"  tags: [\"%0256d\"]\n", NULL},
        {"  tags: [\"%0257d\"]\n", "spec.tags[0]: 257 characters, more than 256"},
        {"  selector: {matchLabels: {a: \"v%062d\"}}\n", NULL},
        {"  selector: {matchLabels: {a: \"v%063d\"}}\n", "is not a label value (at most 63"},
        {"  selector: {matchLabels: {\"k%062d\": v}}\n", NULL},
        {"  selector: {matchLabels: {\"k%063d\": v}}\n", "is not a label key"},
        {"  selector: {matchExpressions: [{key: \"-a%d\", operator: Exists}]}\n",
         "spec.selector.matchExpressions[0].key: \"-a0\" is not a label key"},
        {"  selector: {matchExpressions: [{key: a, operator: In, values: [\"a b%d\"]}]}\n",
         "spec.selector.matchExpressions[0].values[0]: \"a b0\" is not a label value"},
        {"  selector: {matchLabels: {example.com/app%d: v, a.b_c-d: \"\"}}\n", NULL},
        /* spellings: only the schema's */
        {"  seccomp: {action: Allow, arch: [amd64]}%.0d\n",
         "spec.seccomp.arch[0]: unknown architecture \"amd64\""},
        {"  seccomp: {action: Allow, arch: [SCMP_ARCH_AARCH64, x32]}%.0d\n", NULL},
        {"  seccomp: {action: Allow, groups: [\"@nope\"]}%.0d\n",
         "spec.seccomp.groups[0]: unknown group \"@nope\""},
        /* errno as the schema has it */
        {"  seccomp: {action: Block, syscalls: [mkdir], errno: %d}\n", "errno \"0\""},
        {"  seccomp: {action: Block, syscalls: [mkdir], errno: 409%d}\n", NULL},
        {"  seccomp: {action: Block, syscalls: [mkdir], errno: 409%d}\n", NULL},
        {"  seccomp: {action: Block, syscalls: [mkdir], errno: \"01%d\"}\n",
         "unknown errno \"010\""},
        {"  seccomp: {action: Block, syscalls: [mkdir], errno: \"4094%.0d\"}\n", NULL},
        {"  seccomp: {action: Block, syscalls: [mkdir], errno: \"4095%.0d\"}\n",
         "unknown errno \"4095\""},
        {"  seccomp: {action: Block, syscalls: [mkdir], errno: 1.%d}\n", NULL},
        {"  seccomp: {action: Block, syscalls: [mkdir], errno: 0x1%d}\n", NULL},
        /* numbers as kubectl reads them */
        {"  severity: 1e%d\n", NULL},
        {"  severity: 5.%d\n", NULL},
        {"  severity: 1.5%d\n", "spec.severity: must be a whole number, not 1.50"},
        {"  severity: 01%d\n", NULL}, /* octal 010: 8 */
        /* null is omitted */
        {"  extends: null\n  defaultAction: ~\n  seccomp: null\n  rules: null%.0d\n", NULL},
        {"  seccomp: {action: Block, errno: null, args: null, arch: ~, syscalls: [read%.0d]}\n",
         NULL},
        {"  seccomp: {action: null, syscalls: [read%.0d]}\n", "spec.seccomp.action: required"},
        {"  selector: {matchLabels: {a: null, b: v%d}}\n", NULL},
        /* informational fields, as in KubeArmor policies */
        {"  severity: 3\n  tags: [MITRE]\n  message: m\n"
         "  seccomp: {action: Allow, syscalls: [read], severity: 1%d, tags: [a], message: b}\n",
         NULL},
        {"  message: {a: %d}\n", "spec.message: must be a string, not a mapping"},
        {"  tags: [[%d]]\n", "spec.tags[0]: must be a string, not a list"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char body[2048], text[2304];
        snprintf(body, sizeof(body), cases[i].body, 0);
        snprintf(text, sizeof(text), HEAD "spec:\n%s", body);
        _cleanup_free_ char *error = NULL;
        decode_policy_text(text, &error);
        if (!cases[i].want && error)
            fail_msg("case %zu refused: %s\n%s", i, error, text);
        if (cases[i].want && (!error || !strstr(error, cases[i].want)))
            fail_msg("case %zu: %s, want \"%s\"\n%s", i, error ? error : "accepted", cases[i].want,
                     text);
    }
}

static void test_metadata(void **state)
{
    static const struct value_case cases[] = {
        {"  labels: {app: web, example.com/tier: \"\"}\n  annotations: {a/b: \"x y\"}\n", NULL},
        {"  labels: {\"a b\": c}\n", "metadata.labels.a b: \"a b\" is not a label key"},
        {"  labels: {a: \"-x\"}\n", "metadata.labels.a: \"-x\" is not a label value"},
        {"  annotations: {\"a b\": c}\n", "metadata.annotations.a b: \"a b\" is not an annotation"},
        {"  unknownField: 1\n", "metadata.unknownField: unknown field"},
        {"  uid: 12\n", "metadata.uid: must be a string, not a number"},
        {"  uid: abc\n  resourceVersion: \"5\"\n  generation: 3\n  finalizers: [a/b]\n", NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char text[1024];
        snprintf(text, sizeof(text),
                 "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: p\n"
                 "  namespace: demo\n%sspec: {}\n",
                 cases[i].body);
        _cleanup_free_ char *error = NULL;
        decode_policy_text(text, &error);
        if (!cases[i].want && error)
            fail_msg("case %zu refused: %s", i, error);
        if (cases[i].want && (!error || !strstr(error, cases[i].want)))
            fail_msg("case %zu: %s, want \"%s\"", i, error ? error : "accepted", cases[i].want);
    }
    /* A policy's own labels have no bound on their number (the API server sets none; a
     * selector's matchLabels has the schema's 64: test_list_bounds). */
    {
        char *many = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&many, &len);
        fputs("apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: p\n"
              "  namespace: demo\n  labels:\n",
              f);
        for (unsigned k = 0; k <= SCHEMA_MAX_SELECTOR_LABELS; k++)
            fprintf(f, "    l%u: v%u\n", k, k);
        fputs("spec: {}\n", f);
        assert_int_equal(fclose(f), 0);
        _cleanup_free_ char *error = NULL;
        decode_policy_text(many, &error);
        free(many);
        if (error)
            fail_msg("%d labels refused: %s", SCHEMA_MAX_SELECTOR_LABELS + 1, error);
    }
    /* A name is bounded as a whole (253), as Kubernetes has it, not per dot-separated part. */
    char text[512], name[300];
    memset(name, 'a', 253);
    name[253] = '\0';
    snprintf(text, sizeof(text), HEAD "spec:\n  extends: %s\n", name);
    _cleanup_free_ char *error = NULL;
    decode_policy_text(text, &error);
    if (error)
        fail_msg("extends of 253 characters refused: %s", error);
}

/* ---- what only the agent can count ------------------------------------------------------- */

static void test_conditions_per_syscall(void **state)
{
    for (size_t over = 0; over < 2; over++) {
        size_t n = SCHEMA_MAX_CONDITIONS_PER_SYSCALL + over;
        _cleanup_free_ char *text =
            spec_with("  rules: [",
                      "{syscalls: [ioctl], action: Allow, args: [{index: 1, "
                      "value: %zu, op: EQ}]}",
                      n, "]\n");
        _cleanup_free_ char *error = NULL;
        decode_policy_text(text, &error);
        if (!over && error)
            fail_msg("%zu conditions on ioctl refused: %s", n, error);
        if (over && (!error || !strstr(error, "t.yaml:5: SeccompPolicy demo/p: "
                                              "spec.rules[64].syscalls[0]: gives ioctl its "
                                              "argument condition number 65 in this policy, "
                                              "more than the 64 a policy may give one syscall")))
            fail_msg("65 conditions on ioctl: %s", error ? error : "accepted");
    }
    /* Several args of one rule count each; a group counts each of its syscalls. */
    _cleanup_free_ char *text =
        spec_with("  rules: [",
                  "{groups: [\"@basic-io\"], action: Allow, args: [{index: 0, value: %zu, "
                  "op: EQ}, {index: 1, value: 1, op: EQ}]}",
                  33, "]\n");
    _cleanup_free_ char *error = NULL;
    decode_policy_text(text, &error);
    if (!error || !strstr(error, "(through @basic-io)"))
        fail_msg("33 rules x 2 args on @basic-io: %s", error ? error : "accepted");
}

static const char *const fifty = "[read, write, openat, close, fstat, lseek, mmap, mprotect, "
                                 "munmap, brk, rt_sigaction, rt_sigprocmask, ioctl, pread64, "
                                 "pwrite64, readv, writev, access, pipe, select, sched_yield, "
                                 "mremap, msync, mincore, madvise, dup, dup2, pause, nanosleep, "
                                 "getitimer, alarm, setitimer, getpid, sendfile, socket, "
                                 "connect, accept, sendto, recvfrom, sendmsg, recvmsg, shutdown, "
                                 "bind, listen, getsockname, getpeername, socketpair, setsockopt, "
                                 "getsockopt, futex]";

static void test_conditions_per_policy(void **state)
{
    /* 50 syscalls x 2 args, then 28 (or 29) syscalls x 1: 128 conditions (or 129). */
    for (size_t over = 0; over < 2; over++) {
        char text[2048];
        snprintf(text, sizeof(text),
                 HEAD "spec:\n  rules:\n  - syscalls: %s\n    action: Trap\n    args: [{index: "
                      "0, value: 1, op: EQ}, {index: 1, value: 1, op: EQ}]\n"
                      "  - syscalls: [read, write, openat, close, fstat, lseek, mmap, mprotect, "
                      "munmap, brk, rt_sigaction, rt_sigprocmask, ioctl, pread64, pwrite64, readv, "
                      "writev, access, pipe, select, sched_yield, mremap, msync, mincore, madvise, "
                      "dup, dup2, pause%s]\n"
                      "    action: Trap\n    args: [{index: 5, value: 1, op: EQ}]\n",
                 fifty, over ? ", nanosleep" : "");
        _cleanup_free_ char *error = NULL;
        decode_policy_text(text, &error);
        if (!over && error)
            fail_msg("128 conditions refused: %s", error);
        if (over && (!error || !strstr(error, "t.yaml:9: SeccompPolicy demo/p: "
                                              "spec.rules[1].syscalls[28]: brings the policy to "
                                              "129 argument conditions at nanosleep, more than "
                                              "the 128 a policy may have")))
            fail_msg("129 conditions: %s", error ? error : "accepted");
    }
    /* 256 rules of @system-service with a condition each, the policy that once kept the agent
     * busy for minutes, is refused at decode, at its first rule. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    _cleanup_free_ char *text =
        spec_with("  rules: [",
                  "{groups: [\"@system-service\"], action: Trap, args: [{index: 0, value: "
                  "%zu, op: EQ}]}",
                  256, "]\n");
    _cleanup_free_ char *error = NULL;
    decode_policy_text(text, &error);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!error ||
        !strstr(error, "t.yaml:5: SeccompPolicy demo/p: spec.rules[0].groups[0]: "
                       "brings the policy to 129 argument conditions") ||
        !strstr(error, "more than the 128 a policy may have"))
        fail_msg("the issue's policy: %s", error ? error : "accepted");
    print_message("the issue's policy (256 x @system-service, Trap, arg0 EQ i) refused in %.1f "
                  "ms (ASan)\n",
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
}

/* ---- the bounds of a compiled profile ---------------------------------------------------- */

/* Policy pK selecting every pod of demo with 50 syscalls x 2 argument conditions. */
static char *big_policy(int k)
{
    char *s = NULL;
    if (asprintf(&s,
                 "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p%d, namespace: "
                 "demo}\nspec:\n  selector: {}\n  rules:\n  - syscalls: %s\n    action: Trap\n"
                 "    args: [{index: 0, value: %d, op: EQ}, {index: 1, value: 1, op: EQ}]\n",
                 k, fifty, k) < 0)
        return NULL;
    return s;
}

struct outcome {
    enum file_action action;
    bool written;
    char refused[512];
};

static int on_file(const struct file_result *r, void *userdata)
{
    struct outcome *o = userdata;
    o->action = r->action;
    o->written = r->action == FILE_WRITE;
    return 0;
}

static int on_event(const struct engine_event *ev, void *userdata)
{
    struct outcome *o = userdata;
    if (strcmp(ev->reason, "ProfileRefused") == 0)
        snprintf(o->refused, sizeof(o->refused), "%s", ev->message);
    return 0;
}

static void test_profile_conditions_bound(void **state)
{
    _cleanup_(engine_freep) struct engine *e = engine_for("x86_64", NULL);
    load(e, OBJS(POD("demo", "web", "{app: web}", "kscmp/demo/p.json")));
    for (int k = 0; k < 3; k++) {
        _cleanup_free_ char *text = big_policy(k);
        assert_non_null(text);
        load_text(e, text);
        struct outcome o = {0};
        struct sync_ops ops = {.file = on_file, .event = on_event, .userdata = &o};
        assert_int_equal(engine_compute_file(e, "demo/p.json", &ops), 0);
        if (k < 2) { /* 100 and 200 conditions: written */
            if (!o.written || o.refused[0])
                fail_msg("%d policies: not written: %s", k + 1, o.refused);
        } else { /* 300: refused before libseccomp, the file kept as it was */
            assert_int_equal(o.action, FILE_KEEP);
            if (!strstr(o.refused, "kscmp/demo/p.json keeps its last good profile (or stays "
                                   "absent): the profile would hold 300 argument conditions, "
                                   "more than the 256 a profile may hold"))
                fail_msg("3 policies: %s", o.refused[0] ? o.refused : "no ProfileRefused");
        }
    }
}

/* The rules bound, on compiled profiles built by hand (no policy within the other bounds
 * reaches it today: it stands behind the conditions bound, as the bytes bound does). */
static void test_profile_rules_bound(void **state)
{
    for (size_t over = 0; over < 2; over++) {
        struct cprof p = {.dflt = VERDICT(ACT_ALLOW), .arches = 1};
        size_t n = SCHEMA_MAX_PROFILE_RULES + over;
        p.ents = calloc(n + 1, sizeof(*p.ents));
        assert_non_null(p.ents);
        for (size_t i = 0; i < n; i++)
            p.ents[i] = (struct centry){.sys = (uint32_t)i, .v = VERDICT(ACT_ERRNO)};
        /* One more entry that says what the default says: not a rule of the profile. */
        p.ents[n] = (struct centry){.sys = (uint32_t)n, .v = VERDICT(ACT_ALLOW)};
        p.nents = n + 1;
        struct kerr err = {0};
        int r = profile_check_bounds(&p, &err);
        free(p.ents);
        if (over) {
            assert_int_equal(r, -E2BIG);
            assert_non_null(strstr(err.msg, "the profile would hold 1025 rules, more than the "
                                            "1024 a profile may hold"));
        } else if (r < 0)
            fail_msg("1024 rules refused: %s", err.msg);
    }
    for (size_t over = 0; over < 2; over++) {
        struct cprof p = {.dflt = VERDICT(ACT_ALLOW), .arches = 1};
        size_t n = SCHEMA_MAX_PROFILE_CONDITIONS / 2 + over;
        p.conds = calloc(n, sizeof(*p.conds));
        assert_non_null(p.conds);
        for (size_t i = 0; i < n; i++)
            p.conds[i] = (struct ccond){.sys = (uint32_t)i, .v = VERDICT(ACT_TRAP), .nargs = 2};
        p.nconds = n;
        struct kerr err = {0};
        int r = profile_check_bounds(&p, &err);
        free(p.conds);
        if (over) {
            assert_int_equal(r, -E2BIG);
            assert_non_null(strstr(err.msg, "258 argument conditions, more than the 256"));
        } else if (r < 0)
            fail_msg("256 conditions refused: %s", err.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spellings_match_the_c_tables),
        cmocka_unit_test(test_list_bounds),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_conditions_per_syscall),
        cmocka_unit_test(test_conditions_per_policy),
        cmocka_unit_test(test_profile_conditions_bound),
        cmocka_unit_test(test_profile_rules_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
