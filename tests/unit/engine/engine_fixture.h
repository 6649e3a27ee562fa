/* engine_fixture.h - helpers shared by the engine's unit tests (test_profile, test_engine).
 *
 * Objects written as YAML (POL, NSPOL, CPOL, KSP, NS, POD, in OBJS lists) and loaded into an
 * engine through ydoc and decode, as the CLI loads them; and reading rendered profiles
 * structurally: the
 * invariants of every profile (OCI keys only, names sorted, a syscall in at most one
 * unconditional rule), the effective action of a syscall, its conditional rules.
 * Everything is static inline so that each test uses what it needs. Include it after
 * <cmocka.h>: the helpers fail the running test.
 */
#ifndef KSCMP_ENGINE_FIXTURE_H
#define KSCMP_ENGINE_FIXTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/decode.h"
#include "engine/engine.h"
#include "engine/profile.h"
#include "engine/doc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- loading ----------------------------------------------------------------------------- */

/* Objects as YAML documents, to put in an OBJS(...) list. Policy specs are given as `body`:
 * YAML lines indented by two spaces (one string literal per line). */
#define NSPOL(ns, name, body)                                                                      \
    "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: " name ", namespace: " ns      \
    "}\nspec:\n" body
#define POL(name, body) NSPOL("demo", name, body)
#define CPOL(name, body)                                                                           \
    "apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: " name "}\nspec:"       \
    "\n" body
#define KSP(name, body)                                                                            \
    "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorSeccompPolicy\nmetadata: {name: " name  \
    ", namespace: demo}\nspec:\n" body
#define NS(name, labels)                                                                           \
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: " name ", labels: " labels "}\n"
/* A Pod whose pod-level seccompProfile is Localhost ref. */
#define POD(ns, name, labels, ref)                                                                 \
    "apiVersion: v1\nkind: Pod\nmetadata: {name: " name ", namespace: " ns ", labels: " labels     \
    "}\nspec:\n  nodeName: node-1\n  securityContext:\n"                                           \
    "    seccompProfile: {type: Localhost, localhostProfile: \"" ref "\"}\n"                       \
    "  containers:\n  - {name: main, image: busybox}\n"
/* A NULL-terminated list of YAML texts (each one or more documents). */
#define OBJS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Decodes yaml ("test.yaml") into e; fails the test on a YAML or decode error. */
static inline void load_text(struct engine *e, const char *yaml)
{
    struct ynode **docs = NULL;
    size_t n = 0;
    struct kerr err = {0};
    int r = ydoc_parse_yaml(yaml, strlen(yaml), "test.yaml", &docs, &n, &err);
    if (r < 0)
        fail_msg("YAML: %s", err.msg);
    r = decode_documents(docs, n, "test.yaml", engine_put_object, e, &err);
    ydoc_free_all(docs, n);
    if (r < 0)
        fail_msg("decode: %s (%d)", err.msg, r);
}

/* Loads every text of the NULL-terminated list objs, in order. */
static inline void load(struct engine *e, const char *const *objs)
{
    for (; objs && *objs; objs++)
        load_text(e, *objs);
}

/* An engine for arch ("x86_64", "aarch64") holding objs (may be NULL), with the runtime's
 * start-up syscalls (contract 3.5) off: these tests pin exact sets, as the vectors do with
 * --startup-syscalls none. test_startup.c uses engine_for_startup(). */
static inline struct engine *engine_for(const char *arch, const char *const *objs)
{
    struct engine *e = NULL;
    int a = arch_parse(arch);
    assert_true(a >= 0);
    assert_int_equal(engine_new(a, &e), 0);
    engine_set_startup(e, false);
    load(e, objs);
    return e;
}

/* The same with the start-up syscalls on, as the agent runs by default. */
static inline struct engine *engine_for_startup(const char *arch, const char *const *objs)
{
    struct engine *e = NULL;
    int a = arch_parse(arch);
    assert_true(a >= 0);
    assert_int_equal(engine_new(a, &e), 0);
    assert_true(engine_startup(e));
    load(e, objs);
    return e;
}

/* ---- reading rendered profiles ----------------------------------------------------------- */

static inline bool is_known_key(const char *k, const char *const *allowed)
{
    for (; *allowed; allowed++)
        if (strcmp(k, *allowed) == 0)
            return true;
    return false;
}

/* The values a rendered one-argument comparison holds for, as [*lo, *hi] (EQ, LT, LE, GT, GE
 * with a non-empty range); false for the others. */
static inline bool rule_interval(json_t *arg, uint64_t *lo, uint64_t *hi)
{
    const char *op = json_string_value(json_object_get(arg, "op"));
    uint64_t v = (uint64_t)json_integer_value(json_object_get(arg, "value"));
    *lo = 0;
    *hi = UINT64_MAX;
    if (!op)
        return false;
    if (strcmp(op, "SCMP_CMP_EQ") == 0)
        *lo = *hi = v;
    else if (strcmp(op, "SCMP_CMP_LT") == 0 && v > 0)
        *hi = v - 1;
    else if (strcmp(op, "SCMP_CMP_LE") == 0)
        *hi = v;
    else if (strcmp(op, "SCMP_CMP_GT") == 0 && v < UINT64_MAX)
        *lo = v + 1;
    else if (strcmp(op, "SCMP_CMP_GE") == 0)
        *lo = v;
    else
        return false;
    return true;
}

/* The smallest value at or above lo whose bits under mask are want's (want within mask), into
 * *ret; false when there is none. The values (v & mask) == want are want with any bits outside
 * mask, ordered as those bits are: follow lo from the top while the bits mask fixes agree with
 * lo's; the first that does not either lies above lo's (the rest of the free bits 0) or below
 * it, and then the lowest free bit passed where lo has 0 is set instead. */
static inline bool masked_next(uint64_t mask, uint64_t want, uint64_t lo, uint64_t *ret)
{
    if (want & ~mask)
        return false;
    int up = -1; /* the lowest free bit passed where lo has 0 */
    for (int i = 63; i >= 0; i--) {
        uint64_t b = UINT64_C(1) << i, above = ~((b << 1) - 1);
        if (!(mask & b)) {
            if (!(lo & b))
                up = i;
            continue;
        }
        if ((want & b) == (lo & b))
            continue;
        if (want & b) {
            *ret = (lo & above) | b | (want & (b - 1));
            return true;
        }
        if (up < 0)
            return false;
        uint64_t ub = UINT64_C(1) << up;
        *ret = (lo & ~((ub << 1) - 1)) | ub | (want & (ub - 1));
        return true;
    }
    *ret = lo;
    return true;
}

/* Whether no value of one argument satisfies both rendered comparisons x and y (false when
 * unsure): intervals that do not meet, two MASKED_EQ wanting another value of a bit both
 * masks hold, a MASKED_EQ none of whose values lies in the other's interval, EQ v against a
 * MASKED_EQ v does not match or against NE v. */
static inline bool rule_args_disjoint(json_t *x, json_t *y)
{
    if (!json_equal(json_object_get(x, "index"), json_object_get(y, "index")))
        return false;
    uint64_t xl, xh, yl, yh;
    if (rule_interval(x, &xl, &xh) && rule_interval(y, &yl, &yh))
        return xh < yl || yh < xl || xl > xh || yl > yh;
    const char *ox = json_string_value(json_object_get(x, "op"));
    const char *oy = json_string_value(json_object_get(y, "op"));
    if (!ox || !oy)
        return false;
    uint64_t vx = (uint64_t)json_integer_value(json_object_get(x, "value"));
    uint64_t wx = (uint64_t)json_integer_value(json_object_get(x, "valueTwo"));
    uint64_t vy = (uint64_t)json_integer_value(json_object_get(y, "value"));
    uint64_t wy = (uint64_t)json_integer_value(json_object_get(y, "valueTwo"));
    bool mx = strcmp(ox, "SCMP_CMP_MASKED_EQ") == 0, my = strcmp(oy, "SCMP_CMP_MASKED_EQ") == 0;
    if (mx && my)
        return ((wx ^ wy) & vx & vy) != 0;
    uint64_t next;
    if (mx && rule_interval(y, &yl, &yh))
        return yl > yh || !masked_next(vx, wx, yl, &next) || next > yh;
    if (my && rule_interval(x, &xl, &xh))
        return xl > xh || !masked_next(vy, wy, xl, &next) || next > xh;
    if (strcmp(oy, "SCMP_CMP_EQ") == 0 && my == false && mx)
        return (vy & vx) != wx;
    if (strcmp(ox, "SCMP_CMP_EQ") == 0 && my)
        return (vx & vy) != wy;
    if ((strcmp(ox, "SCMP_CMP_EQ") == 0 && strcmp(oy, "SCMP_CMP_NE") == 0) ||
        (strcmp(ox, "SCMP_CMP_NE") == 0 && strcmp(oy, "SCMP_CMP_EQ") == 0))
        return vx == vy;
    return false;
}

/* Whether no call matches both rendered conditional rules a and b. */
static inline bool rules_disjoint(json_t *a, json_t *b)
{
    json_t *aa = json_object_get(a, "args"), *bb = json_object_get(b, "args");
    for (size_t i = 0; i < json_array_size(aa); i++)
        for (size_t k = 0; k < json_array_size(bb); k++)
            if (rule_args_disjoint(json_array_get(aa, i), json_array_get(bb, k)))
                return true;
    return false;
}

/* A rule's action with its errno, "SCMP_ACT_ERRNO/13", into a static buffer of two. */
static inline const char *rule_act_str(json_t *rule)
{
    static char buf[2][64];
    static int k;
    k ^= 1;
    json_t *en = json_object_get(rule, "errnoRet");
    snprintf(buf[k], sizeof(buf[k]), "%s/%lld", json_string_value(json_object_get(rule, "action")),
             en ? (long long)json_integer_value(en) : 0LL);
    return buf[k];
}

/* What every rendered profile must satisfy: only OCI LinuxSeccomp keys (no Docker-only
 * archMap, includes, excludes), names sorted within a rule, a syscall in at most one
 * unconditional rule, conditional rules naming one syscall each. */
static inline void check_invariants(json_t *root)
{
    static const char *const top[] = {"defaultAction", "defaultErrnoRet", "architectures",
                                      "syscalls", NULL};
    static const char *const rule_keys[] = {"names", "action", "errnoRet", "args", NULL};
    static const char *const arg_keys[] = {"index", "value", "valueTwo", "op", NULL};
    const char *k;
    json_t *v;
    assert_true(json_is_object(root));
    json_object_foreach(root, k, v)
    {
        if (!is_known_key(k, top))
            fail_msg("unexpected top-level key \"%s\"", k);
    }
    assert_true(json_is_string(json_object_get(root, "defaultAction")));
    assert_true(json_is_array(json_object_get(root, "architectures")));
    json_t *rules = json_object_get(root, "syscalls");
    assert_true(json_is_array(rules));
    size_t i;
    json_t *rule;
    json_t *uncond = json_object();
    json_array_foreach(rules, i, rule)
    {
        json_object_foreach(rule, k, v)
        {
            if (!is_known_key(k, rule_keys))
                fail_msg("unexpected key \"%s\" in syscalls[%zu]", k, i);
        }
        json_t *names = json_object_get(rule, "names");
        assert_true(json_is_array(names) && json_array_size(names) > 0);
        const char *action = json_string_value(json_object_get(rule, "action"));
        assert_non_null(action);
        if (strcmp(action, "SCMP_ACT_ERRNO") == 0)
            assert_true(json_is_integer(json_object_get(rule, "errnoRet")));
        json_t *args = json_object_get(rule, "args");
        for (size_t j = 1; j < json_array_size(names); j++)
            if (strcmp(json_string_value(json_array_get(names, j - 1)),
                       json_string_value(json_array_get(names, j))) >= 0)
                fail_msg("names of syscalls[%zu] not sorted: %s before %s", i,
                         json_string_value(json_array_get(names, j - 1)),
                         json_string_value(json_array_get(names, j)));
        if (args) {
            assert_int_equal(json_array_size(names), 1);
            size_t a;
            json_t *arg;
            json_array_foreach(args, a, arg)
            {
                json_object_foreach(arg, k, v)
                {
                    if (!is_known_key(k, arg_keys))
                        fail_msg("unexpected key \"%s\" in syscalls[%zu].args", k, i);
                }
            }
            continue;
        }
        size_t j;
        json_t *nm;
        json_array_foreach(names, j, nm)
        {
            if (json_object_get(uncond, json_string_value(nm)))
                fail_msg("%s is in two unconditional rules", json_string_value(nm));
            json_object_set_new(uncond, json_string_value(nm), json_true());
        }
    }
    /* What libseccomp enforces as written (profile_lower): a syscall has one unconditional
     * rule or only conditional ones, and these share one action, or those of different actions
     * match no call in common, or are one condition and its complement. */
    json_t *conds = json_object(); /* name -> array of its conditional rules */
    json_array_foreach(rules, i, rule)
    {
        if (!json_object_get(rule, "args"))
            continue;
        const char *nm = json_string_value(json_array_get(json_object_get(rule, "names"), 0));
        if (json_object_get(uncond, nm))
            fail_msg("%s has an unconditional rule and conditional ones", nm);
        if (!json_object_get(conds, nm))
            json_object_set_new(conds, nm, json_array());
        json_array_append(json_object_get(conds, nm), rule);
    }
    json_t *v2;
    json_object_foreach(conds, k, v2)
    {
        size_t n = json_array_size(v2);
        /* Disjoint: every two rules of different actions match no call in common. */
        bool one_action = true, disjoint = true;
        for (size_t a = 0; a < n; a++) {
            json_t *ra = json_array_get(v2, a);
            one_action &= strcmp(rule_act_str(ra), rule_act_str(json_array_get(v2, 0))) == 0;
            for (size_t b = 0; disjoint && b < a; b++) {
                json_t *rb = json_array_get(v2, b);
                char act_a[64];
                snprintf(act_a, sizeof(act_a), "%s", rule_act_str(ra));
                disjoint = strcmp(act_a, rule_act_str(rb)) == 0 || rules_disjoint(ra, rb);
            }
        }
        bool complement = false;
        if (n == 2) {
            json_t *aa = json_object_get(json_array_get(v2, 0), "args"),
                   *bb = json_object_get(json_array_get(v2, 1), "args");
            json_t *a0 = json_array_get(aa, 0), *b0 = json_array_get(bb, 0);
            static const char *const pairs[][2] = {{"SCMP_CMP_EQ", "SCMP_CMP_NE"},
                                                   {"SCMP_CMP_LT", "SCMP_CMP_GE"},
                                                   {"SCMP_CMP_LE", "SCMP_CMP_GT"}};
            const char *oa = json_string_value(json_object_get(a0, "op")),
                       *ob = json_string_value(json_object_get(b0, "op"));
            for (size_t q = 0; q < ARRAY_SIZE(pairs); q++)
                complement |= (strcmp(oa, pairs[q][0]) == 0 && strcmp(ob, pairs[q][1]) == 0) ||
                              (strcmp(oa, pairs[q][1]) == 0 && strcmp(ob, pairs[q][0]) == 0);
            complement &= json_array_size(aa) == 1 && json_array_size(bb) == 1 &&
                          json_equal(json_object_get(a0, "index"), json_object_get(b0, "index")) &&
                          json_equal(json_object_get(a0, "value"), json_object_get(b0, "value"));
        }
        if (!one_action && !disjoint && !complement) {
            char *dump = json_dumps(v2, JSON_COMPACT);
            fail_msg("the conditional rules of %s overlap with different actions: %s", k,
                     dump ? dump : "?");
            free(dump);
        }
    }
    json_decref(conds);
    json_decref(uncond);
}

/* Parses a rendered profile (it ends with a newline) and checks the invariants; the caller
 * decrefs. */
static inline json_t *parse_profile(const char *s, size_t len)
{
    assert_int_equal(len, strlen(s));
    assert_true(len > 0 && s[len - 1] == '\n');
    json_error_t jerr;
    json_t *root = json_loadb(s, len, 0, &jerr);
    if (!root)
        fail_msg("rendered profile does not parse: %s\n%s", jerr.text, s);
    /* The renderer writes jansson's own layout: dumping what was parsed gives the same bytes
     * (keys in the order written, two spaces a level, a newline at the end). */
    char *again = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    assert_non_null(again);
    if (strlen(again) != len - 1 || memcmp(again, s, len - 1) != 0)
        fail_msg(
            "the rendered profile is not laid out as jansson lays it out:\n%s\n-- jansson:\n%s", s,
            again);
    free(again);
    check_invariants(root);
    return root;
}

/* Renders p, checks the invariants, and returns the parsed JSON (caller decrefs). Rendering
 * twice gives the same bytes. */
static inline json_t *render(const struct cprof *p, struct engine *e)
{
    char *s = NULL, *s2 = NULL;
    size_t len = 0, len2 = 0;
    assert_int_equal(profile_render(p, engine_sysdb(e), &s, &len), 0);
    assert_int_equal(profile_render(p, engine_sysdb(e), &s2, &len2), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(s, s2, len);
    json_t *root = parse_profile(s, len);
    free(s);
    free(s2);
    return root;
}

/* "ALLOW", "LOG", "ERRNO(13)", "KILL_PROCESS", ... */
static inline void verdict_str(const char *oci, json_int_t errno_ret, char *buf, size_t len)
{
    const char *a = strncmp(oci, "SCMP_ACT_", 9) == 0 ? oci + 9 : oci;
    if (strcmp(a, "ERRNO") == 0)
        snprintf(buf, len, "ERRNO(%lld)", (long long)errno_ret);
    else
        snprintf(buf, len, "%s", a);
}

struct act {
    char s[48];
};

static inline struct act default_of(json_t *root)
{
    struct act r;
    json_t *en = json_object_get(root, "defaultErrnoRet");
    verdict_str(json_string_value(json_object_get(root, "defaultAction")),
                en ? json_integer_value(en) : 1, r.s, sizeof(r.s));
    return r;
}

static inline bool rule_names(json_t *rule, const char *sys)
{
    size_t i;
    json_t *nm;
    json_array_foreach(json_object_get(rule, "names"), i, nm)
    {
        if (strcmp(json_string_value(nm), sys) == 0)
            return true;
    }
    return false;
}

static inline struct act rule_act(json_t *rule)
{
    struct act r;
    json_t *en = json_object_get(rule, "errnoRet");
    verdict_str(json_string_value(json_object_get(rule, "action")), en ? json_integer_value(en) : 1,
                r.s, sizeof(r.s));
    return r;
}

/* The action sys gets when no condition holds: its unconditional rule, else the default. */
static inline struct act eff(json_t *root, const char *sys)
{
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(root, "syscalls"), i, rule)
    {
        if (!json_object_get(rule, "args") && rule_names(rule, sys))
            return rule_act(rule);
    }
    return default_of(root);
}

/* Whether any rule (conditional or not) names sys. */
static inline bool named(json_t *root, const char *sys)
{
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(root, "syscalls"), i, rule)
    {
        if (rule_names(rule, sys))
            return true;
    }
    return false;
}

/* The conditional rules of sys: their count, and the actions into acts (if not NULL). */
static inline size_t conds_of(json_t *root, const char *sys, struct act *acts, size_t max)
{
    size_t n = 0, i;
    json_t *rule;
    json_array_foreach(json_object_get(root, "syscalls"), i, rule)
    {
        if (json_object_get(rule, "args") && rule_names(rule, sys)) {
            if (acts && n < max)
                acts[n] = rule_act(rule);
            n++;
        }
    }
    return n;
}

/* Whether one rendered argument condition holds for the value v. */
static inline bool arg_holds(json_t *a, uint64_t v)
{
    uint64_t x = (uint64_t)json_integer_value(json_object_get(a, "value"));
    uint64_t two = (uint64_t)json_integer_value(json_object_get(a, "valueTwo"));
    const char *op = json_string_value(json_object_get(a, "op"));
    if (strcmp(op, "SCMP_CMP_EQ") == 0)
        return v == x;
    if (strcmp(op, "SCMP_CMP_NE") == 0)
        return v != x;
    if (strcmp(op, "SCMP_CMP_LT") == 0)
        return v < x;
    if (strcmp(op, "SCMP_CMP_LE") == 0)
        return v <= x;
    if (strcmp(op, "SCMP_CMP_GT") == 0)
        return v > x;
    if (strcmp(op, "SCMP_CMP_GE") == 0)
        return v >= x;
    if (strcmp(op, "SCMP_CMP_MASKED_EQ") == 0)
        return (v & x) == two;
    fail_msg("unknown op %s", op);
    return false;
}

/* The action the profile gives sys called with args (6 values): the rule that matches (the
 * invariants make every matching rule agree), else the default. */
static inline struct act eval_call(json_t *root, const char *sys, const uint64_t args[6])
{
    size_t i;
    json_t *rule;
    struct act found = {{0}};
    json_array_foreach(json_object_get(root, "syscalls"), i, rule)
    {
        if (!rule_names(rule, sys))
            continue;
        size_t k;
        json_t *a;
        bool all = true;
        json_array_foreach(json_object_get(rule, "args"), k, a)
        {
            all = all && arg_holds(a, args[json_integer_value(json_object_get(a, "index"))]);
        }
        if (!all)
            continue;
        struct act r = rule_act(rule);
        if (found.s[0] && strcmp(found.s, r.s) != 0)
            fail_msg("%s: two matching rules disagree (%s, %s)", sys, found.s, r.s);
        found = r;
    }
    return found.s[0] ? found : default_of(root);
}

/* eval_call with the first argument arg0, the others 0. */
static inline struct act eval1(json_t *root, const char *sys, uint64_t arg0)
{
    const uint64_t args[6] = {arg0};
    return eval_call(root, sys, args);
}

/* The architectures, space separated: "SCMP_ARCH_X86_64 SCMP_ARCH_X86". */
static inline void arches_of(json_t *root, char *buf, size_t len)
{
    size_t i, off = 0;
    json_t *a;
    buf[0] = '\0';
    json_array_foreach(json_object_get(root, "architectures"), i, a)
    {
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", json_string_value(a));
    }
}

/* Expectations: {syscall, action} pairs ("-" for "named by no rule"), ending with {NULL}. */
struct expect {
    const char *sys;
    const char *act;
};

static inline void check_expect(json_t *root, const char *title, const char *dflt,
                                const struct expect *ex)
{
    if (dflt && strcmp(default_of(root).s, dflt) != 0)
        fail_msg("%s: default %s, want %s", title, default_of(root).s, dflt);
    for (; ex && ex->sys; ex++) {
        if (strcmp(ex->act, "-") == 0) {
            if (named(root, ex->sys))
                fail_msg("%s: %s is named by a rule, want none", title, ex->sys);
            continue;
        }
        struct act a = eff(root, ex->sys);
        if (strcmp(a.s, ex->act) != 0)
            fail_msg("%s: %s gets %s, want %s", title, ex->sys, a.s, ex->act);
    }
}

static inline bool strv_has(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

#endif
