/* policy_gen.h - random policies for the engine's property tests (test_merge_monotone.c,
 * test_bpf_agrees.c), and what they need around them.
 *
 * Owns: a seeded random stream (rng_state); policies as data (struct pol: kind, selector
 * target, default, rules with up to PG_MAX_ARGS argument conditions) drawn as allow-lists,
 * block-lists and mixed policies; their YAML; the file kscmp/demo/web.json computed from that
 * YAML by the engine as the agent computes it, with the merged profile before lowering
 * (file_result.prof) copied; what that merged profile means for a call (meaning(): the most
 * restrictive conditional rule whose conditions all hold, else the unconditional rule, else the
 * default); the argument vectors worth evaluating (built around every condition's value); the
 * steps that shrink a policy and its rules, and the loop that shrinks a case and prints it once.
 *
 * A test says how it draws in a struct cond_gen (the values of conditions), a struct pol_gen
 * (how many rules, how often with conditions, its own rule generator) and a struct vec_gen (how
 * many argument vectors), and keeps its own syscalls, cases, properties, shrinking order and
 * printing (a struct shrinker). Everything is static inline so that each test uses what it
 * needs. Include it after <cmocka.h> (the helpers fail the running test).
 */
#ifndef KSCMP_TEST_POLICY_GEN_H
#define KSCMP_TEST_POLICY_GEN_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/action.h"
#include "engine/engine.h"
#include "engine/profile.h"
#include "engine_fixture.h"
#include "sys_arg_eval.h"

/* ---- random numbers ------------------------------------------------------------------------ */

static uint64_t rng_state;

/* splitmix64 */
static inline uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static inline bool chance(unsigned percent)
{
    return below(100) < percent;
}

/* An unsigned from the environment variable name, else dflt. */
static inline unsigned env_uint(const char *name, unsigned dflt)
{
    const char *s = getenv(name);
    return s && *s ? (unsigned)strtoul(s, NULL, 10) : dflt;
}

/* ---- policies ------------------------------------------------------------------------------- */

/* Indexed by enum action. */
static const char *const ACT_YAML[] = {
    "Allow", "Audit", "SCMP_ACT_TRACE", "Block", "Trap", "SCMP_ACT_KILL_THREAD", "Kill"};
static const char *const OP_YAML[] = {[OP_NE] = "NE",
                                      [OP_LT] = "LT",
                                      [OP_LE] = "LE",
                                      [OP_EQ] = "EQ",
                                      [OP_GE] = "GE",
                                      [OP_GT] = "GT",
                                      [OP_MASKED_EQ] = "MASKED_EQ"};

#define PG_MAX_RULES 5
#define PG_MAX_ARGS 3

struct cond {
    uint8_t index, op;
    uint64_t value, two;
};

struct rule {
    uint8_t nsys;
    uint8_t sys[2]; /* indexes into the test's syscalls */
    uint8_t action;
    uint16_t err; /* Block only; 0: omitted (EPERM) */
    uint8_t nargs;
    struct cond args[PG_MAX_ARGS];
};

/* The policy named after the file (web), a namespace policy with a selector, a cluster policy
 * with a selector, a ceiling (a cluster policy with ceiling: true). */
enum pol_kind { P_NAMED, P_NSSEL, P_CLUSTER, P_CEILING };
/* Which pods a selector picks: all, web-a {app: a}, web-b {app: b}. */
enum target { T_ALL, T_A, T_B };

struct pol {
    enum pol_kind kind;
    enum target target;
    int dflt; /* an enum action, or -1: omitted */
    uint8_t nrules;
    struct rule rules[PG_MAX_RULES];
};

/* A table of values: {array, ARRAY_SIZE(array)}. */
struct pg_table {
    const uint64_t *v;
    size_t n;
};

/* How a test draws a rule's conditions (gen_cond(), gen_index()). */
struct cond_gen {
    struct pg_table values; /* a value, 85% of the time (else 0 to 63) */
    struct pg_table masks;  /* a MASKED_EQ's mask */
    unsigned arg0_tenths;   /* on argument 0 this many times in ten, on 1 twice, else on 2-5 */
};

/* A condition on argument index: an operator, a value near a boundary worth testing. */
static inline void gen_cond(const struct cond_gen *g, struct cond *c, uint8_t index)
{
    c->index = index;
    c->op = (uint8_t)(OP_NE + below(OP__MAX - OP_NE));
    if (c->op == OP_MASKED_EQ) {
        c->value = g->masks.v[below((unsigned)g->masks.n)];
        /* Within the mask: a valueTwo with bits outside it makes the policy invalid. */
        c->two = (chance(85) ? rnd() : below(512)) & c->value;
    } else {
        c->value = chance(85) ? g->values.v[below((unsigned)g->values.n)] : below(64);
        c->two = 0;
    }
}

static inline uint8_t gen_index(const struct cond_gen *g)
{
    unsigned r = below(10);
    return (uint8_t)(r < g->arg0_tenths ? 0 : r < g->arg0_tenths + 2 ? 1 : 2 + below(4));
}

static inline bool has_index(const struct rule *r, uint8_t index)
{
    for (unsigned a = 0; a < r->nargs; a++)
        if (r->args[a].index == index)
            return true;
    return false;
}

/* An action other than Allow: Audit and up. */
static inline uint8_t restrict_action(void)
{
    return (uint8_t)(ACT_LOG + below(ACT__MAX - ACT_LOG));
}

/* A deny: Block and up. */
static inline uint8_t deny_action(void)
{
    return (uint8_t)(ACT_ERRNO + below(ACT__MAX - ACT_ERRNO));
}

/* How a test draws a policy (gen_pol() and the three shapes). */
struct pol_gen {
    /* Draws one rule with action, with conditions cond_percent of the time. */
    void (*gen_rule)(struct rule *r, uint8_t action, unsigned cond_percent);
    unsigned max_rules;  /* an allow-list or a mixed policy has 1 to max_rules rules, a
                          * block-list 1 to max_rules - 1 (max_rules at most PG_MAX_RULES) */
    unsigned cond_deny;  /* percent of rules with conditions: a block-list's rules, an
                          * allow-list's rules other than Allow */
    unsigned cond_allow; /* an allow-list's Allow rules */
    unsigned cond_mixed; /* a mixed policy's rules */
    unsigned nodflt;     /* percent of allow-lists without a default */
};

/* deny_only: deny rules only and a default Allow or omitted; else the rules may Audit and
 * trace, and the default may be Audit. */
static inline void gen_blocklist(const struct pol_gen *g, struct pol *p, bool deny_only)
{
    p->nrules = (uint8_t)(1 + below(g->max_rules - 1));
    for (unsigned i = 0; i < p->nrules; i++)
        g->gen_rule(&p->rules[i], deny_only ? deny_action() : restrict_action(), g->cond_deny);
    unsigned r = below(10);
    p->dflt = r < 6 ? -1 : r < 9 || deny_only ? ACT_ALLOW : ACT_LOG;
}

/* deny_only: the rules other than Allow and the default (if given) deny; else they may Audit
 * and trace, and the default may be Allow. */
static inline void gen_allowlist(const struct pol_gen *g, struct pol *p, bool deny_only)
{
    p->nrules = (uint8_t)(1 + below(g->max_rules));
    for (unsigned i = 0; i < p->nrules; i++) {
        bool allow = i == 0 || chance(60);
        g->gen_rule(&p->rules[i],
                    allow       ? ACT_ALLOW
                    : deny_only ? deny_action()
                                : restrict_action(),
                    allow ? g->cond_allow : g->cond_deny);
    }
    if (chance(g->nodflt))
        p->dflt = -1;
    else if (!deny_only && chance(10))
        p->dflt = ACT_ALLOW;
    else
        p->dflt = deny_only ? deny_action() : restrict_action();
}

/* Any action for every rule and the default. */
static inline void gen_mixed(const struct pol_gen *g, struct pol *p)
{
    p->nrules = (uint8_t)(1 + below(g->max_rules));
    for (unsigned i = 0; i < p->nrules; i++)
        g->gen_rule(&p->rules[i], (uint8_t)below(ACT__MAX), g->cond_mixed);
    p->dflt = chance(40) ? -1 : (int)below(ACT__MAX);
}

/* The rules and default of p (not its kind): an allow-list allow_pct% of the time, a
 * block-list (its rules may Audit and trace) block_pct%, else a mixed policy. */
static inline void gen_pol(const struct pol_gen *g, struct pol *p, unsigned allow_pct,
                           unsigned block_pct)
{
    unsigned shape = below(100);
    if (shape < allow_pct)
        gen_allowlist(g, p, false);
    else if (shape < allow_pct + block_pct)
        gen_blocklist(g, p, false);
    else
        gen_mixed(g, p);
}

/* ---- YAML ---------------------------------------------------------------------------------- */

struct buf {
    char s[16384];
    size_t n;
};

__attribute__((format(printf, 2, 3))) static inline void bput(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < sizeof(b->s) - b->n);
    b->n += (size_t)k;
}

static inline void put_num(struct buf *b, uint64_t v)
{
    if (v < 1000)
        bput(b, "%" PRIu64, v);
    else
        bput(b, "0x%" PRIx64, v);
}

/* Policy p as a YAML document (name: the namespace or cluster policy's; the named one is web);
 * its rules' syscalls index syscalls. */
static inline void put_pol(struct buf *b, const char *const *syscalls, const struct pol *p,
                           const char *name)
{
    const char *label = p->target == T_A   ? "{matchLabels: {app: a}}"
                        : p->target == T_B ? "{matchLabels: {app: b}}"
                                           : "{}";
    if (p->kind == P_NAMED)
        bput(b, "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: web, namespace: "
                "demo}\nspec:\n");
    else if (p->kind == P_NSSEL)
        bput(b,
             "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: %s, namespace: "
             "demo}\nspec:\n  selector: %s\n",
             name, label);
    else
        bput(b,
             "apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: %s}\nspec:\n"
             "%s  selector: %s\n",
             name, p->kind == P_CEILING ? "  ceiling: true\n" : "", label);
    if (p->dflt >= 0)
        bput(b, "  defaultAction: %s\n", ACT_YAML[p->dflt]);
    if (p->nrules)
        bput(b, "  rules:\n");
    for (unsigned i = 0; i < p->nrules; i++) {
        const struct rule *r = &p->rules[i];
        bput(b, "  - {syscalls: [%s", syscalls[r->sys[0]]);
        if (r->nsys == 2)
            bput(b, ", %s", syscalls[r->sys[1]]);
        bput(b, "], action: %s", ACT_YAML[r->action]);
        if (r->err)
            bput(b, ", errno: %u", r->err);
        if (r->nargs) {
            bput(b, ", args: [");
            for (unsigned k = 0; k < r->nargs; k++) {
                const struct cond *a = &r->args[k];
                bput(b, "%s{index: %u, op: %s, value: ", k ? ", " : "", a->index, OP_YAML[a->op]);
                put_num(b, a->value);
                if (a->op == OP_MASKED_EQ) {
                    bput(b, ", valueTwo: ");
                    put_num(b, a->two);
                }
                bput(b, "}");
            }
            bput(b, "]");
        }
        bput(b, "}\n");
    }
}

/* ---- the file and what it means ----------------------------------------------------------- */

/* The merged profile before lowering (file_result.prof), copied. */
struct snap {
    struct verdict dflt;
    struct centry *ents;
    size_t nents;
    struct ccond *conds;
    size_t nconds;
};

/* What the engine gave for the file: the verdict, and when written the rendered JSON and the
 * merged profile before lowering. */
struct merged_file {
    enum file_action action;
    char *json;
    size_t len;
    struct snap m;
};

static inline int got_file(const struct file_result *r, void *userdata)
{
    struct merged_file *o = userdata;
    o->action = r->action;
    if (r->action != FILE_WRITE)
        return 0;
    o->json = strndup(r->json, r->len);
    o->len = r->len;
    const struct cprof *p = r->prof;
    o->m.dflt = p->dflt;
    o->m.nents = p->nents;
    o->m.nconds = p->nconds;
    o->m.ents = calloc(p->nents + 1, sizeof(*p->ents));
    o->m.conds = calloc(p->nconds + 1, sizeof(*p->conds));
    assert_true(o->json && o->m.ents && o->m.conds);
    if (p->nents)
        memcpy(o->m.ents, p->ents, p->nents * sizeof(*p->ents));
    if (p->nconds)
        memcpy(o->m.conds, p->conds, p->nconds * sizeof(*p->conds));
    return 0;
}

static inline int got_event(const struct engine_event *ev, void *userdata)
{
    (void)ev;
    (void)userdata;
    return 0;
}

static inline void merged_file_free(struct merged_file *o)
{
    free(o->json);
    free(o->m.ents);
    free(o->m.conds);
    memset(o, 0, sizeof(*o));
}

/* Computes kscmp/demo/web.json from yaml (policies and pods) on x86_64, the start-up syscalls
 * on (the long set) or off, into *out; returns the engine for the caller's look-ups (caller
 * engine_free()s it). */
static inline struct engine *compute_file(const char *yaml, bool startup, struct merged_file *out)
{
    const char *const objs[] = {yaml, NULL};
    struct engine *e = startup ? engine_for_startup("x86_64", objs) : engine_for("x86_64", objs);
    memset(out, 0, sizeof(*out));
    struct sync_ops ops = {got_file, got_event, out};
    assert_int_equal(engine_compute_file(e, "demo/web.json", &ops), 0);
    return e;
}

static inline bool cond_holds(const struct sys_arg *a, const uint64_t args[6])
{
    bool ok = true;
    bool holds = sys_arg_holds(a, args[a->index], &ok);
    if (!ok)
        fail_msg("op %u", a->op);
    return holds;
}

/* What the merged profile means (before lowering): the most restrictive conditional rule that
 * holds, else the unconditional rule, else the default. */
static inline struct verdict meaning(const struct snap *m, uint32_t sys, const uint64_t args[6])
{
    bool any = false;
    struct verdict best = {0};
    for (size_t i = 0; i < m->nconds; i++) {
        const struct ccond *c = &m->conds[i];
        if (c->sys != sys)
            continue;
        bool all = true;
        for (unsigned k = 0; k < c->nargs; k++)
            all = all && cond_holds(&c->args[k], args);
        if (all && (!any || verdict_cmp(c->v, best) > 0)) {
            best = c->v;
            any = true;
        }
    }
    if (any)
        return best;
    for (size_t i = 0; i < m->nents; i++)
        if (m->ents[i].sys == sys)
            return m->ents[i].v;
    return m->dflt;
}

static inline void verdict_text(struct verdict v, char *buf, size_t len)
{
    verdict_str(action_oci_name((enum action)v.action), v.errno_ret, buf, len);
}

/* ---- argument vectors ---------------------------------------------------------------------- */

#define PG_MAX_VALS 64
#define PG_MAX_VECS 600

/* How many argument vectors a test evaluates (build_vecs()). */
struct vec_gen {
    bool both_words; /* around a value, also it with its high word cleared, set and flipped */
    unsigned mixes;  /* random mixes of every index's values */
    size_t max_vals; /* values kept per argument index (at most PG_MAX_VALS) */
    size_t max_vecs; /* vectors kept (at most PG_MAX_VECS) */
};

struct vecs {
    uint64_t v[PG_MAX_VECS][6];
    size_t n, max;
};

/* Values of one argument index, each once. */
struct vals {
    uint64_t v[PG_MAX_VALS];
    size_t n, max;
};

static inline void vec_add(struct vecs *vs, const uint64_t a[6])
{
    for (size_t i = 0; i < vs->n; i++)
        if (memcmp(vs->v[i], a, sizeof(vs->v[i])) == 0)
            return;
    if (vs->n < vs->max)
        memcpy(vs->v[vs->n++], a, sizeof(vs->v[0]));
}

static inline void val_add(struct vals *vl, uint64_t x)
{
    for (size_t i = 0; i < vl->n; i++)
        if (vl->v[i] == x)
            return;
    if (vl->n < vl->max)
        vl->v[vl->n++] = x;
}

#define PG_HI 0xffffffff00000000ull
#define PG_LO 0x00000000ffffffffull

/* The values near one condition: both sides of every boundary (g->both_words: in both words). */
static inline void cond_values(const struct vec_gen *g, const struct cond *a, struct vals *vl)
{
    if (a->op == OP_MASKED_EQ) {
        uint64_t low = a->value & -a->value; /* one bit of the mask */
        uint64_t top = a->value ? 1ull << (63 - __builtin_clzll(a->value)) : 0;
        val_add(vl, a->two);
        val_add(vl, a->two | ~a->value); /* bits outside the mask do not matter */
        val_add(vl, a->two ^ low);       /* one bit of the mask differs */
        if (g->both_words) {
            val_add(vl, a->two ^ top);
            val_add(vl, a->two ^ (1ull << 32));
        }
        val_add(vl, a->value);
        val_add(vl, a->value & ~a->two);
        return;
    }
    uint64_t v = a->value;
    uint64_t around[] = {v - 1, v, v + 1};
    for (size_t i = 0; i < ARRAY_SIZE(around); i++) {
        if (i == 0 && v == 0)
            continue;
        uint64_t x = around[i];
        val_add(vl, x);
        if (g->both_words) {
            val_add(vl, x & PG_LO); /* the high word clear */
            val_add(vl, x | PG_HI); /* the high word set */
            val_add(vl, x ^ (1ull << 32));
        }
    }
}

/* Multi-argument rules: every pair of values of two of their indexes, the others at the
 * condition's value. */
static inline void pair_vecs(const struct vec_gen *g, const struct rule *r, struct vecs *vs)
{
    for (unsigned p = 0; p < r->nargs; p++)
        for (unsigned q = p + 1; q < r->nargs; q++) {
            struct vals vi = {.max = g->max_vals}, vj = {.max = g->max_vals};
            cond_values(g, &r->args[p], &vi);
            cond_values(g, &r->args[q], &vj);
            for (size_t x = 0; x < vi.n; x++)
                for (size_t y = 0; y < vj.n; y++) {
                    uint64_t a[6] = {0};
                    for (unsigned o = 0; o < r->nargs; o++)
                        a[r->args[o].index] =
                            r->args[o].op == OP_MASKED_EQ ? r->args[o].two : r->args[o].value;
                    a[r->args[p].index] = vi.v[x];
                    a[r->args[q].index] = vj.v[y];
                    vec_add(vs, a);
                }
        }
}

/* The argument vectors for the rules of pols[0..np): all zero, all ones, every index's values
 * (around every condition on it, 0, all ones) with the others zero and all ones, pairs for
 * multi-argument rules, g->mixes random mixes (a fixed stream: the same case, the same
 * vectors). */
static inline void build_vecs(const struct vec_gen *g, const struct pol *const *pols, unsigned np,
                              struct vecs *vs)
{
    static struct vals iv[6];
    for (int i = 0; i < 6; i++)
        iv[i] = (struct vals){.max = g->max_vals};
    vs->n = 0;
    vs->max = g->max_vecs;
    for (unsigned i = 0; i < np; i++)
        for (unsigned k = 0; k < pols[i]->nrules; k++) {
            const struct rule *r = &pols[i]->rules[k];
            for (unsigned a = 0; a < r->nargs; a++)
                cond_values(g, &r->args[a], &iv[r->args[a].index]);
        }
    for (int i = 0; i < 6; i++) {
        val_add(&iv[i], 0);
        val_add(&iv[i], UINT64_MAX);
    }
    uint64_t zero[6] = {0}, ones[6];
    memset(ones, 0xff, sizeof(ones));
    vec_add(vs, zero);
    vec_add(vs, ones);
    for (int i = 0; i < 6; i++)
        for (size_t k = 0; k < iv[i].n; k++) {
            uint64_t a[6] = {0};
            a[i] = iv[i].v[k];
            vec_add(vs, a);
            memcpy(a, ones, sizeof(a));
            a[i] = iv[i].v[k];
            vec_add(vs, a);
        }
    for (unsigned i = 0; i < np; i++)
        for (unsigned k = 0; k < pols[i]->nrules; k++)
            pair_vecs(g, &pols[i]->rules[k], vs);
    uint64_t saved = rng_state;
    rng_state = 0x5eed;
    for (unsigned r = 0; r < g->mixes; r++) {
        uint64_t a[6];
        for (int i = 0; i < 6; i++)
            a[i] = iv[i].v[below((unsigned)iv[i].n)];
        vec_add(vs, a);
    }
    rng_state = saved;
}

/* ---- shrinking ------------------------------------------------------------------------------ */

/* The steps below count in *n and act when *n reaches step (a test's simplify() numbers its
 * own steps around them): 1 done, -1 a step that does not apply, 0 none of these was step. */

/* Drop one policy of pols[0..*np) (one must stay). */
static inline int simplify_drop_pol(struct pol *pols, uint8_t *np, unsigned step, unsigned *n)
{
    for (unsigned i = 0; i < *np; i++)
        if (*np > 1 && (*n)++ == step) {
            memmove(&pols[i], &pols[i + 1], (*np - i - 1) * sizeof(pols[0]));
            (*np)--;
            return 1;
        }
    return 0;
}

/* Drop one rule of p, or its default. */
static inline int simplify_drop(struct pol *p, unsigned step, unsigned *n)
{
    for (unsigned k = 0; k < p->nrules; k++)
        if ((*n)++ == step) {
            memmove(&p->rules[k], &p->rules[k + 1], (p->nrules - k - 1) * sizeof(p->rules[0]));
            p->nrules--;
            return 1;
        }
    if (p->dflt >= 0 && (*n)++ == step) {
        p->dflt = -1;
        return 1;
    }
    return 0;
}

/* Make one rule of p plainer: one syscall, no errno, a condition fewer, on argument 0, EQ, a
 * value of 16, Kill or Block for a deny. */
static inline int simplify_rules(struct pol *p, unsigned step, unsigned *n)
{
    for (unsigned k = 0; k < p->nrules; k++) {
        struct rule *r = &p->rules[k];
        if (r->nsys == 2 && (*n)++ == step) {
            r->nsys = 1;
            return 1;
        }
        if (r->nsys == 2 && (*n)++ == step) {
            r->sys[0] = r->sys[1];
            r->nsys = 1;
            return 1;
        }
        if (r->err && (*n)++ == step) {
            r->err = 0;
            return 1;
        }
        for (unsigned a = 0; a < r->nargs; a++)
            if ((*n)++ == step) {
                memmove(&r->args[a], &r->args[a + 1], (r->nargs - a - 1) * sizeof(r->args[0]));
                r->nargs--;
                return 1;
            }
        for (unsigned a = 0; a < r->nargs; a++) {
            if (r->args[a].index != 0 && (*n)++ == step) {
                if (has_index(r, 0))
                    return -1;
                r->args[a].index = 0;
                return 1;
            }
            if (r->args[a].op != OP_EQ && (*n)++ == step) {
                r->args[a].op = OP_EQ;
                r->args[a].two = 0;
                return 1;
            }
            if (r->args[a].op != OP_MASKED_EQ && r->args[a].value > 16 && (*n)++ == step) {
                r->args[a].value = 16;
                return 1;
            }
        }
        if (r->action != ACT_ALLOW && r->action != ACT_ERRNO && r->action != ACT_KILL_PROCESS &&
            (*n)++ == step) {
            r->action = r->action > ACT_ERRNO ? ACT_KILL_PROCESS : ACT_ERRNO;
            return 1;
        }
    }
    return 0;
}

/* ---- printing ------------------------------------------------------------------------------- */

#define PG_MAX_PRINTED 64

/* What a test printed (the YAML of shrunk cases, their first width - 1 characters, width at
 * most PG_KEY_WIDTH), so that it prints each once; n = 0 forgets them. */
#define PG_KEY_WIDTH 2048
struct printed {
    char keys[PG_MAX_PRINTED][PG_KEY_WIDTH];
    size_t n, width;
};

/* Whether yaml was printed before; if not, it counts as printed from now on. */
static inline bool printed_before(struct printed *p, const char *yaml)
{
    for (size_t j = 0; j < p->n; j++)
        if (strncmp(p->keys[j], yaml, p->width - 1) == 0)
            return true;
    if (p->n < PG_MAX_PRINTED)
        snprintf(p->keys[p->n++], p->width, "%s", yaml);
    return false;
}

/* How a test shrinks and prints its cases (a case is size bytes, copied as such). */
struct shrinker {
    size_t size;
    /* One simplification step of case t, in place: the step numbered step, n counting the steps
     * as it passes them; 1 done, -1 a step that does not apply, 0 there is no such step. */
    int (*simplify)(void *t, unsigned step, unsigned *n);
    /* Whether case t still has a finding of kind. */
    bool (*keeps)(const void *t, unsigned kind);
    /* Case c as the YAML that tells printed cases apart. */
    void (*yaml)(const void *c, struct buf *b);
    /* Prints case c with its finding of kind. */
    void (*print)(const void *c, unsigned kind);
};

/* Simplifies case c while it keeps its finding of kind: from step 0 on, t becomes a copy of c
 * and takes one step until a result keeps it; that result becomes c and the steps start
 * again. No step left: c is as small as it gets. t is scratch of the same size. */
static inline void shrink_case(const struct shrinker *s, void *c, void *t, unsigned kind)
{
    bool progress = true;
    while (progress) {
        progress = false;
        for (unsigned step = 0;; step++) {
            unsigned n = 0;
            memcpy(t, c, s->size);
            int r = s->simplify(t, step, &n);
            if (r == 0)
                break;
            if (r < 0 || !s->keeps(t, kind))
                continue;
            memcpy(c, t, s->size);
            progress = true;
            break;
        }
    }
}

/* Shrinks a copy of case c for its finding of kind and prints it, unless a shrunk case with the
 * same YAML was printed before: whether it printed. */
static inline bool shrink_print(const struct shrinker *s, const void *c, unsigned kind,
                                struct printed *seen)
{
    static struct buf b;
    void *c2 = malloc(s->size), *t = malloc(s->size);
    assert_true(c2 && t);
    memcpy(c2, c, s->size);
    shrink_case(s, c2, t, kind);
    s->yaml(c2, &b);
    bool print = !printed_before(seen, b.s);
    if (print)
        s->print(c2, kind);
    free(c2);
    free(t);
    return print;
}

#endif
