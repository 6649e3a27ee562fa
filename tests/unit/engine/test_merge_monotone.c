/* test_merge_monotone.c - what adding a policy D to the set S of policies that apply to a pod
 * may and may not do to the profile the agent writes (docs/policies.md: the merge, ceilings,
 * start-up syscalls). A call is denied when its action is ERRNO (any errno), TRAP, KILL_THREAD
 * or KILL_PROCESS; LOG (Audit) and TRACE let it run, so they are no denies. The properties:
 *   P1 a deny-only policy never loses a deny. D has only Block (any errno), Trap,
 *      SCMP_ACT_KILL_THREAD and Kill rules, unconditional and conditional, its default Allow
 *      or omitted: a block-list, or a block-list ceiling (ceiling: true, selector: {}). Every
 *      call that S's merged meaning denies (S's merged profile before lowering) the rendered
 *      S+D profile denies too; which deny may change (D's Block can turn S's Kill into ERRNO).
 *   P2 deny wins. For the same D: every call that D's own meaning denies (D alone, its merged
 *      profile before lowering) the rendered S+D profile denies.
 *   P3 a ceiling caps. D is an allow-list ceiling (Allow rules, conditional ones too, deny
 *      rules, a deny default): every call that D's meaning denies the rendered S+D profile
 *      denies.
 * With the start-up syscalls on, a ceiling counts for a start-up syscall only where it names
 * it, and the start-up set allows what no policy names: there a deny of D (P2, P3) counts only
 * where a rule of D matches the call (an unconditional one, or a conditional one whose
 * conditions hold); where D has no rule for the call the start-up set may allow it. P1 needs
 * no such exception: S's meaning already holds the start-up set.
 *
 * Two things look like a looser profile by rank and are not violations:
 *   (a) D's rule for a syscall that S leaves to its merged default replaces that default with
 *       D's action: a policy that does not name a syscall has no say on it, and for a syscall
 *       that some policy names the merge takes the most restrictive of what the policies that
 *       name it give it; S's default is not among them. So D `socket: Audit` turns ERRNO into
 *       LOG (Audit is no deny: D is not deny-only, and no property is about it), D
 *       `socket: Block` turns S's default Kill into ERRNO (still a deny: P1 holds), and an
 *       allow-list ceiling's Allow opens a syscall S leaves to a deny default (a ceiling's Allow
 *       rules count as allows: the ceiling caps what S allows, it does not add to S's denies;
 *       P3 asks only that the ceiling's own denies hold).
 *   (b) the renderer's lowering: where a runtime cannot say S's merged profile exactly, S's
 *       rendered profile is stricter than S's meaning; S+D may be said exactly, and then the
 *       rendered S+D is looser than the rendered S without any meaning getting looser. So P1
 *       starts from S's meaning, not from S's rendering, and ends at the rendered S+D (the
 *       lowering may make it stricter, never looser).
 *
 * S mixes allow-lists (with conditional Allow rules), block-lists and mixed policies (Audit and
 * SCMP_ACT_TRACE included), explicit and omitted defaults, the policy named after the file,
 * selector and cluster policies and ceilings; a third of the cases have two pods that reference
 * the same file with different policies (the strict intersection), D applying to both or to
 * one.
 *
 * The files for S, S+D and D alone are computed by the engine as the agent computes them
 * (engine_compute_file, Pods referencing kscmp/demo/web.json), start-up syscalls off
 * (--startup-syscalls none), and one test with them on (the long set: the pods may gain
 * privileges). The rendered JSON is evaluated as libseccomp evaluates it on x86_64 (eval_call:
 * the rule whose conditions all hold, else the default) for a few syscalls and argument vectors
 * built around the conditions' values (value-1, value, value+1, masked variants, 0, all ones,
 * pairs for two-argument rules); the merged profiles before lowering as the merge means them
 * (meaning(): the most restrictive conditional rule that holds, else the unconditional rule,
 * else the default).
 *
 * Seeded and deterministic. A violation is shrunk (policies, rules, syscalls, conditions,
 * defaults, pods removed while it stays a violation) and printed as YAML with the syscall, the
 * arguments and the actions of S, S+D (rendered and merged before lowering) and D alone.
 * KSCMP_MONO_CASES sets the cases per test (default 600; the start-up test runs a fifth of it
 * per class of D), KSCMP_MONO_SEED the seed (default 1), KSCMP_MONO_PRINT how many shrunk
 * repros of each kind a test prints (default 3). *
 * The policies as data, their generator, their YAML, meaning() and the argument vectors, and
 * the shrinking steps are shared with test_bpf_agrees.c (policy_gen.h); the cases drawn, the
 * properties and the printing are this file's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>

#include "engine/startup.h"
#include "engine_fixture.h"
#include "policy_gen.h"

/* ---- cases ---------------------------------------------------------------------------------- */

static const char *const SYSCALLS[] = {"ptrace", "socket", "personality", "mkdir", "read", "clone"};
#define NSYS ARRAY_SIZE(SYSCALLS)

#define MAX_S 4

enum dclass { D_BLOCK, D_BLOCK_CEILING, D_ALLOW_CEILING };
static const char *const DCLASS_NAME[] = {"a block-list", "a block-list ceiling",
                                          "an allow-list ceiling"};

struct tcase {
    int npods; /* 1: web-a; 2: web-a {app: a} and web-b {app: b}, the same file */
    bool startup;
    enum dclass dclass;
    uint8_t ns;
    struct pol s[MAX_S];
    struct pol d;
};

static const uint64_t VALUES[] = {
    0, 1, 2, 8, 16, 17, 255, 0x7fffffff, 0xffffffff, 0x100000000ull, INT64_MAX};
static const uint64_t MASKS[] = {1, 8, 0xf0, 0xff, 0x7e020000, 0xffffffff, 0x100000003ull};
static const struct cond_gen CONDS = {
    {VALUES, ARRAY_SIZE(VALUES)}, {MASKS, ARRAY_SIZE(MASKS)}, .arg0_tenths = 7};

/* One or two syscalls, one or two conditions. */
static void gen_rule(struct rule *r, uint8_t action, unsigned cond_percent)
{
    memset(r, 0, sizeof(*r));
    r->nsys = (uint8_t)(chance(75) ? 1 : 2);
    r->sys[0] = (uint8_t)below(NSYS);
    r->sys[1] = (uint8_t)((r->sys[0] + 1 + below(NSYS - 1)) % NSYS);
    r->action = action;
    if (action == ACT_ERRNO && chance(30)) {
        static const uint16_t errs[] = {1, 13, 38, 95};
        r->err = errs[below(ARRAY_SIZE(errs))];
    }
    if (!chance(cond_percent))
        return;
    r->nargs = (uint8_t)(chance(80) ? 1 : 2);
    gen_cond(&CONDS, &r->args[0], gen_index(&CONDS));
    if (r->nargs == 2) {
        uint8_t i2;
        do
            i2 = gen_index(&CONDS);
        while (i2 == r->args[0].index);
        gen_cond(&CONDS, &r->args[1], i2);
    }
}

static const struct pol_gen GEN = {gen_rule,         .max_rules = 4,   .cond_deny = 50,
                                   .cond_allow = 35, .cond_mixed = 45, .nodflt = 55};

static void gen_case(struct tcase *c, enum dclass dclass, bool startup)
{
    memset(c, 0, sizeof(*c));
    c->dclass = dclass;
    c->startup = startup;
    c->npods = chance(33) ? 2 : 1;
    c->ns = (uint8_t)(1 + below(3));
    for (unsigned i = 0; i < c->ns; i++) {
        struct pol *p = &c->s[i];
        unsigned k = below(20);
        p->kind = i == 0 && k < 8 ? P_NAMED : k < 14 ? P_NSSEL : k < 18 ? P_CLUSTER : P_CEILING;
        p->target =
            c->npods == 2 && p->kind != P_NAMED && chance(60) ? (enum target)(1 + below(2)) : T_ALL;
        if (p->kind == P_CEILING)
            p->target = T_ALL;
        gen_pol(&GEN, p, 45, 35);
    }
    /* Every pod gets at least one policy: s0 applies to all of them. */
    c->s[0].target = T_ALL;
    struct pol *d = &c->d;
    switch (dclass) {
    case D_BLOCK:
        d->kind = chance(75) ? P_NSSEL : P_CLUSTER;
        d->target = c->npods == 2 && chance(50) ? (enum target)(1 + below(2)) : T_ALL;
        gen_blocklist(&GEN, d, true);
        break;
    case D_BLOCK_CEILING:
        d->kind = P_CEILING;
        gen_blocklist(&GEN, d, true);
        break;
    case D_ALLOW_CEILING:
        d->kind = P_CEILING;
        gen_allowlist(&GEN, d, true);
        break;
    }
}

/* ---- YAML ---------------------------------------------------------------------------------- */

#define POD_A POD("demo", "web-a", "{app: a}", "kscmp/demo/web.json")
#define POD_B POD("demo", "web-b", "{app: b}", "kscmp/demo/web.json")

/* The objects of S and D (as asked), pods last, as one text of YAML documents. */
static void case_yaml(const struct tcase *c, bool with_s, bool with_d, bool with_pods,
                      struct buf *b)
{
    b->n = 0;
    b->s[0] = '\0';
    for (unsigned i = 0; with_s && i < c->ns; i++) {
        char name[8];
        snprintf(name, sizeof(name), "s%u", i);
        bput(b, "%s", b->n ? "---\n" : "");
        put_pol(b, SYSCALLS, &c->s[i], name);
    }
    if (with_d) {
        bput(b, "%s", b->n ? "---\n" : "");
        put_pol(b, SYSCALLS, &c->d, "d");
    }
    if (with_pods)
        bput(b, "---\n%s%s%s", POD_A, c->npods == 2 ? "---\n" : "", c->npods == 2 ? POD_B : "");
}

/* ---- computing and evaluating ------------------------------------------------------------ */

struct file_out {
    struct merged_file f;
    uint32_t ids[NSYS];     /* of SYSCALLS in this engine's sysdb */
    bool startup_sys[NSYS]; /* SYSCALLS[k] is in the long start-up set (start-up on only) */
};

static struct file_out compute_yaml(const char *yaml, const struct tcase *c)
{
    struct file_out o = {0};
    struct engine *e = compute_file(yaml, c->startup, &o.f);
    for (size_t i = 0; i < NSYS; i++)
        assert_int_equal(sysdb_lookup(engine_sysdb(e), SYSCALLS[i], &o.ids[i]), 0);
    if (c->startup) {
        /* The pods may gain privileges (no allowPrivilegeEscalation: false): the long set. */
        static struct startup_set set;
        startup_set_init(&set, STARTUP_LONG, arch_parse("x86_64"), engine_sysdb(e));
        for (size_t i = 0; i < NSYS; i++)
            o.startup_sys[i] = startup_set_has(&set, o.ids[i]);
    }
    engine_free(e);
    return o;
}

/* The rank of an eval_call() result: 0 ALLOW ... 6 KILL_PROCESS (any ERRNO the same). */
static int act_rank(const char *s)
{
    static const char *const names[] = {"ALLOW", "LOG",         "TRACE",       "ERRNO",
                                        "TRAP",  "KILL_THREAD", "KILL_PROCESS"};
    for (int i = 0; i < (int)ARRAY_SIZE(names); i++)
        if (strncmp(s, names[i], strlen(names[i])) == 0 &&
            (s[strlen(names[i])] == '\0' || s[strlen(names[i])] == '('))
            return i;
    fail_msg("unknown action %s", s);
    return -1;
}

/* The argument vectors for the rules of S and D (policy_gen.h). */
static void case_vecs(const struct tcase *c, struct vecs *vs)
{
    static const struct vec_gen how = {
        .both_words = false, .mixes = 16, .max_vals = 48, .max_vecs = 400};
    const struct pol *pols[MAX_S + 1];
    unsigned np = 0;
    for (unsigned i = 0; i < c->ns; i++)
        pols[np++] = &c->s[i];
    pols[np++] = &c->d;
    build_vecs(&how, pols, np, vs);
}

/* ---- the properties ------------------------------------------------------------------------ */

/* The properties (the head comment), one kind of violation each:
 *   V_KEEP     P1: a call S's merged meaning denies, the rendered S+D lets run;
 *   V_DENY     P2: a call D's own meaning denies (D deny-only), the rendered S+D lets run;
 *   V_CEILING  P3: a call an allow-list ceiling's meaning denies, the rendered S+D lets run. */
enum vkind { V_KEEP, V_DENY, V_CEILING, V__MAX };
static const char *const VKIND_NAME[] = {
    "P1, a deny-only policy never loses a deny: a call S's merged meaning denies, S+D lets run",
    "P2, deny wins: a call D's own meaning denies, S+D lets run",
    "P3, a ceiling caps: a call the ceiling's meaning denies, S+D lets run"};

struct violation {
    bool found;
    unsigned sys;
    uint64_t args[6];
    struct act before, after;       /* rendered: S alone, S+D */
    struct verdict mbefore, mafter; /* merged, before lowering: S alone, S+D */
    struct verdict md;              /* merged, before lowering: D alone */
};

static const struct tcase *current; /* printed by the teardown if the case failed the test */

static void print_case(FILE *f, const struct tcase *c)
{
    static struct buf b;
    fprintf(f, "# D is %s; %s; start-up syscalls %s\n", DCLASS_NAME[c->dclass],
            c->npods == 2 ? "pods web-a {app: a} and web-b {app: b} share kscmp/demo/web.json"
                          : "pod web-a {app: a} references kscmp/demo/web.json",
            c->startup ? "on" : "none");
    case_yaml(c, true, false, false, &b);
    fprintf(f, "# --- S:\n%s", b.s);
    b.n = 0;
    put_pol(&b, SYSCALLS, &c->d, "d");
    fprintf(f, "# --- D:\n%s", b.s);
}

static bool denies(struct verdict v)
{
    return v.action >= ACT_ERRNO;
}

/* A rendered action: ERRNO, TRAP, KILL_THREAD or KILL_PROCESS. */
static bool denies_rendered(struct act a)
{
    return act_rank(a.s) >= ACT_ERRNO;
}

/* Whether a rule of D (as written) for SYSCALLS[k] matches the call: an unconditional one, or a
 * conditional one whose conditions all hold. */
static bool d_rule_matches(const struct pol *d, unsigned k, const uint64_t args[6])
{
    for (unsigned i = 0; i < d->nrules; i++) {
        const struct rule *r = &d->rules[i];
        if (r->sys[0] != k && (r->nsys < 2 || r->sys[1] != k))
            continue;
        bool all = true;
        for (unsigned a = 0; a < r->nargs && all; a++) {
            const struct sys_arg sa = {.index = r->args[a].index,
                                       .op = r->args[a].op,
                                       .value = r->args[a].value,
                                       .value_two = r->args[a].two};
            all = cond_holds(&sa, args);
        }
        if (all)
            return true;
    }
    return false;
}

/* Whether D's deny of the call must hold in S+D (P2, P3): everywhere with the start-up
 * syscalls off; with them on, for a start-up syscall only where a rule of D matches the call
 * (a ceiling counts for those only where it names them, and the start-up set allows what no
 * policy names). */
static bool d_deny_counts(const struct tcase *c, const struct file_out *sd, unsigned k,
                          const uint64_t args[6])
{
    return !c->startup || !sd->startup_sys[k] || d_rule_matches(&c->d, k, args);
}

/* Computes the files for S, S+D and D alone and checks every syscall at every vector: true when
 * the case counts (S's file is written); v[kind] the first violation of each kind. */
static bool check_case(const struct tcase *c, struct violation v[V__MAX])
{
    static struct buf b;
    static struct vecs vs;
    memset(v, 0, V__MAX * sizeof(*v));
    const struct tcase *prev = current;
    current = c;
    case_yaml(c, true, false, true, &b);
    struct file_out s = compute_yaml(b.s, c);
    case_yaml(c, true, true, true, &b);
    struct file_out sd = compute_yaml(b.s, c);
    case_yaml(c, false, true, true, &b);
    struct file_out d = compute_yaml(b.s, c);
    bool counts = s.f.action == FILE_WRITE;
    if (counts) {
        /* The policies are valid and small: adding D cannot keep S's file from being written;
         * D applies to a pod, so D alone gives one. */
        if (sd.f.action != FILE_WRITE || d.f.action != FILE_WRITE)
            fail_msg("S's file is written, S+D's (%d) or D's (%d) is not", sd.f.action, d.f.action);
        json_t *rs = parse_profile(s.f.json, s.f.len);
        json_t *rsd = parse_profile(sd.f.json, sd.f.len);
        case_vecs(c, &vs);
        for (unsigned k = 0; k < NSYS; k++)
            for (size_t i = 0; i < vs.n; i++) {
                struct act a2 = eval_call(rsd, SYSCALLS[k], vs.v[i]);
                if (denies_rendered(a2))
                    continue;
                struct verdict m = meaning(&s.f.m, s.ids[k], vs.v[i]);
                struct verdict md = meaning(&d.f.m, d.ids[k], vs.v[i]);
                bool lost[V__MAX] = {0};
                if (c->dclass == D_ALLOW_CEILING)
                    lost[V_CEILING] = denies(md) && d_deny_counts(c, &sd, k, vs.v[i]);
                else {
                    lost[V_KEEP] = denies(m);
                    lost[V_DENY] = denies(md) && d_deny_counts(c, &sd, k, vs.v[i]);
                }
                for (int kind = 0; kind < V__MAX; kind++) {
                    if (!lost[kind] || v[kind].found)
                        continue;
                    v[kind] = (struct violation){.found = true,
                                                 .sys = k,
                                                 .before = eval_call(rs, SYSCALLS[k], vs.v[i]),
                                                 .after = a2,
                                                 .mbefore = m,
                                                 .mafter = meaning(&sd.f.m, sd.ids[k], vs.v[i]),
                                                 .md = md};
                    memcpy(v[kind].args, vs.v[i], sizeof(v[kind].args));
                }
            }
        json_decref(rs);
        json_decref(rsd);
    }
    merged_file_free(&s.f);
    merged_file_free(&sd.f);
    merged_file_free(&d.f);
    current = prev;
    return counts;
}

/* ---- shrinking ---------------------------------------------------------------------------- */

/* One simplification step of c, in place (policy_gen.h, shrink_case()). */
static int simplify(void *vc, unsigned step, unsigned *n)
{
    struct tcase *c = vc;
    /* Drop a policy of S (one must stay). */
    int r = simplify_drop_pol(c->s, &c->ns, step, n);
    if (r)
        return r;
    if (c->npods == 2 && (*n)++ == step) {
        c->npods = 1;
        for (unsigned i = 0; i < c->ns; i++)
            if (c->s[i].target == T_B)
                c->s[i].target = T_ALL;
        if (c->d.target == T_B)
            c->d.target = T_ALL;
        return 1;
    }
    struct pol *pols[MAX_S + 1];
    unsigned np = 0;
    for (unsigned i = 0; i < c->ns; i++)
        pols[np++] = &c->s[i];
    pols[np++] = &c->d;
    for (unsigned i = 0; i < np; i++) {
        struct pol *p = pols[i];
        r = simplify_drop(p, step, n);
        if (r)
            return r;
        if (p->kind == P_NAMED && (*n)++ == step) {
            p->kind = P_NSSEL;
            return 1;
        }
        if (p->kind == P_CLUSTER && (*n)++ == step) {
            p->kind = P_NSSEL;
            return 1;
        }
        if (p->target != T_ALL && (*n)++ == step) {
            p->target = T_ALL;
            return 1;
        }
        r = simplify_rules(p, step, n);
        if (r)
            return r;
    }
    return 0;
}

/* The policy named after the file keeps a spec that is not empty (it has no selector); D
 * stays in its class (its rules Allow, in an allow-list ceiling only, or deny). */
static bool sane(const struct tcase *c)
{
    for (unsigned i = 0; i < c->ns; i++)
        if (c->s[i].kind == P_NAMED && c->s[i].nrules == 0 && c->s[i].dflt < 0)
            return false;
    for (unsigned k = 0; k < c->d.nrules; k++) {
        uint8_t a = c->d.rules[k].action;
        if (a == ACT_ALLOW ? c->dclass != D_ALLOW_CEILING : a < ACT_ERRNO)
            return false;
    }
    return true;
}

/* Whether case t still has a violation of kind. */
static bool keeps(const void *t, unsigned kind)
{
    static struct violation tv[V__MAX];
    return sane(t) && check_case(t, tv) && tv[kind].found;
}

/* ---- the tests ----------------------------------------------------------------------------- */

/* Prints case c with its violation of kind (c is the shrunk case: checked again). */
static void print_violation(const void *vc, unsigned kind)
{
    const struct tcase *c = vc;
    struct violation again[V__MAX];
    assert_true(check_case(c, again));
    const struct violation *v = &again[kind];
    assert_true(v->found);
    char mb[48], ma[48], md[48];
    verdict_text(v->mbefore, mb, sizeof(mb));
    verdict_text(v->mafter, ma, sizeof(ma));
    verdict_text(v->md, md, sizeof(md));
    print_message("---- VIOLATION: %s; shrunk:\n", VKIND_NAME[kind]);
    print_case(stdout, c);
    print_message("# %s(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
                  ", 0x%" PRIx64 "): rendered S alone %s, S+D %s; merged before lowering S alone "
                  "%s, S+D %s, D alone %s\n",
                  SYSCALLS[v->sys], v->args[0], v->args[1], v->args[2], v->args[3], v->args[4],
                  v->args[5], v->before.s, v->after.s, mb, ma, md);
}

/* The key of a printed case: S and D. */
static void key_yaml(const void *c, struct buf *b)
{
    case_yaml(c, true, true, false, b);
}

static const struct shrinker SHRINK = {sizeof(struct tcase), simplify, keeps, key_yaml,
                                       print_violation};

/* Shrunk repros printed per kind and test; the others are counted. */
#define PRINT_PER_KIND 3

static void run(enum dclass dclass, bool startup, unsigned cases, uint64_t seed_salt)
{
    uint64_t seed = env_uint("KSCMP_MONO_SEED", 1);
    static struct tcase c;
    static struct printed seen;
    seen.n = 0;
    seen.width = 1024;
    unsigned counted = 0, bad = 0, count[V__MAX] = {0}, printed[V__MAX] = {0};
    for (unsigned i = 0; i < cases; i++) {
        rng_state = (seed * 1000003u + seed_salt) * 0x9e3779b97f4a7c15ull + i;
        gen_case(&c, dclass, startup);
        struct violation v[V__MAX];
        if (!check_case(&c, v))
            continue;
        counted++;
        bool any = false;
        for (int k = 0; k < V__MAX; k++) {
            if (!v[k].found)
                continue;
            any = true;
            count[k]++;
            if (printed[k] < env_uint("KSCMP_MONO_PRINT", PRINT_PER_KIND) &&
                shrink_print(&SHRINK, &c, (unsigned)k, &seen))
                printed[k]++;
        }
        bad += any;
    }
    print_message("%s%s: %u cases, %u counted, %u with a violation (P1 a deny of S lost %u, P2 a "
                  "deny of D lost %u, P3 a deny of the ceiling lost %u)\n",
                  DCLASS_NAME[dclass], startup ? " (start-up syscalls on)" : "", cases, counted,
                  bad, count[V_KEEP], count[V_DENY], count[V_CEILING]);
    /* Most cases must count: S's file is written. */
    assert_true(counted * 10 >= cases * 9);
    if (bad)
        fail_msg("%u of %u cases: adding %s lost a deny (repros above)", bad, counted,
                 DCLASS_NAME[dclass]);
}

static unsigned ncases(void)
{
    return env_uint("KSCMP_MONO_CASES", 600);
}

static void test_blocklist_only_restricts(void **state)
{
    (void)state;
    run(D_BLOCK, false, ncases(), 1);
}

static void test_blocklist_ceiling_only_restricts(void **state)
{
    (void)state;
    run(D_BLOCK_CEILING, false, ncases(), 2);
}

static void test_allowlist_ceiling_only_restricts(void **state)
{
    (void)state;
    run(D_ALLOW_CEILING, false, ncases(), 3);
}

/* With the start-up syscalls on, as the agent runs by default (read is one of them). */
static void test_with_startup_syscalls(void **state)
{
    (void)state;
    unsigned n = ncases() / 5;
    run(D_BLOCK, true, n, 4);
    run(D_BLOCK_CEILING, true, n, 5);
    run(D_ALLOW_CEILING, true, n, 6);
}

/* No violation of any kind. */
static void assert_none(const struct tcase *c)
{
    struct violation v[V__MAX];
    assert_true(check_case(c, v));
    for (int k = 0; k < V__MAX; k++)
        if (v[k].found)
            fail_msg("%s: %s", VKIND_NAME[k], SYSCALLS[v[k].sys]);
}

/* The harness can fail, for each property: a D that allows what S's allow-list leaves out
 * loses S's deny (P1; such a D is not deny-only: a policy that names a syscall has a say on
 * it); a D whose deny default speaks for a syscall it does not name loses that deny beside an
 * S that allows the syscall, unless D is a ceiling (P2 as a block-list would say it, P3 as an
 * allow-list not marked ceiling). What (a) of the head comment describes is no violation: D's
 * Block of a syscall S leaves to its default Kill, an allow-list ceiling's Allow of a syscall S
 * leaves to its default Block. And the bug fixed in c2af512 (a conditional Kill of ptrace in a
 * block-list opened ptrace for every other call to a pod whose allow-list leaves it out) is
 * not there, as a block-list and as a ceiling. */
static void test_harness_catches_a_loosening(void **state)
{
    (void)state;
    struct tcase c = {.npods = 1, .ns = 1, .dclass = D_BLOCK};
    c.s[0] = (struct pol){.kind = P_NAMED, .dflt = -1, .nrules = 1};
    c.s[0].rules[0] = (struct rule){.nsys = 1, .sys = {4}, .action = ACT_ALLOW}; /* read */
    c.d = (struct pol){.kind = P_NSSEL, .dflt = -1, .nrules = 1};
    c.d.rules[0] = (struct rule){.nsys = 1, .sys = {0}, .action = ACT_ALLOW}; /* ptrace */
    struct violation v[V__MAX];
    assert_true(check_case(&c, v));
    assert_true(v[V_KEEP].found);
    assert_int_equal(v[V_KEEP].sys, 0);
    assert_string_equal(v[V_KEEP].before.s, "ERRNO(1)");
    assert_string_equal(v[V_KEEP].after.s, "ALLOW");

    /* P2, P3: S allows read and socket; D's default Block would deny socket, D names it not. */
    c.s[0].nrules = 2;
    c.s[0].rules[1] = (struct rule){.nsys = 1, .sys = {1}, .action = ACT_ALLOW}; /* socket */
    c.d = (struct pol){.kind = P_NSSEL, .dflt = ACT_ERRNO, .nrules = 1};
    c.d.rules[0] = (struct rule){.nsys = 1, .sys = {3}, .action = ACT_KILL_PROCESS}; /* mkdir */
    assert_true(check_case(&c, v));
    assert_true(v[V_DENY].found);
    assert_int_equal(v[V_DENY].sys, 1);
    assert_string_equal(v[V_DENY].after.s, "ALLOW");
    c.dclass = D_ALLOW_CEILING;
    c.d = (struct pol){.kind = P_NSSEL, .dflt = -1, .nrules = 1};
    c.d.rules[0] = (struct rule){.nsys = 1, .sys = {4}, .action = ACT_ALLOW}; /* read */
    assert_true(check_case(&c, v));
    assert_true(v[V_CEILING].found);
    assert_int_equal(v[V_CEILING].sys, 1);
    assert_string_equal(v[V_CEILING].after.s, "ALLOW");
    c.d.kind = P_CEILING;
    assert_none(&c);

    /* (a): socket goes from S's default to D's action, a deny (Kill to Block) or the
     * ceiling's Allow (Block to Allow). */
    c.s[0].nrules = 1;
    c.s[0].dflt = ACT_KILL_PROCESS;
    c.dclass = D_BLOCK;
    c.d = (struct pol){.kind = P_NSSEL, .dflt = -1, .nrules = 1};
    c.d.rules[0] = (struct rule){.nsys = 1, .sys = {1}, .action = ACT_ERRNO}; /* socket */
    assert_none(&c);
    c.s[0].dflt = -1;
    c.dclass = D_ALLOW_CEILING;
    c.d = (struct pol){.kind = P_CEILING, .dflt = -1, .nrules = 2};
    c.d.rules[0] = (struct rule){.nsys = 1, .sys = {4}, .action = ACT_ALLOW}; /* read */
    c.d.rules[1] = (struct rule){.nsys = 1, .sys = {1}, .action = ACT_ALLOW}; /* socket */
    assert_none(&c);

    /* c2af512. */
    c.dclass = D_BLOCK;
    c.d = (struct pol){.kind = P_NSSEL, .dflt = -1, .nrules = 1};
    c.d.rules[0] = (struct rule){.nsys = 1,
                                 .sys = {0},
                                 .action = ACT_KILL_PROCESS,
                                 .nargs = 1,
                                 .args = {{.index = 0, .op = OP_EQ, .value = 16}}};
    for (int ceiling = 0; ceiling < 2; ceiling++) {
        c.d.kind = ceiling ? P_CEILING : P_NSSEL;
        c.dclass = ceiling ? D_BLOCK_CEILING : D_BLOCK;
        assert_none(&c);
    }
}

static int teardown(void **state)
{
    (void)state;
    if (current) {
        fprintf(stderr, "the case being checked when the test failed:\n");
        print_case(stderr, current);
        current = NULL;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_harness_catches_a_loosening, teardown),
        cmocka_unit_test_teardown(test_blocklist_only_restricts, teardown),
        cmocka_unit_test_teardown(test_blocklist_ceiling_only_restricts, teardown),
        cmocka_unit_test_teardown(test_allowlist_ceiling_only_restricts, teardown),
        cmocka_unit_test_teardown(test_with_startup_syscalls, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
