/* test_lower.c - profile_lower: what is rendered is what libseccomp enforces.
 *
 * libseccomp lets an unconditional rule swallow the conditional rules of its syscall and does
 * not pick the most restrictive of several matching conditional rules, so a lowered profile
 * has, per syscall, one unconditional rule or only conditional ones that share an action or
 * are disjoint; when that cannot say the merged meaning, it says something stricter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "engine/arch.h"
#include "engine/profile.h"

#define ALLOW VERDICT(ACT_ALLOW)
#define LOG VERDICT(ACT_LOG)
#define ERRNO VERDICT(ACT_ERRNO)
#define KILL VERDICT(ACT_KILL_PROCESS)

struct fix {
    struct sysdb *db;
    struct cprof *p;
};

static uint32_t sys(struct fix *f, const char *name)
{
    uint32_t id;
    assert_int_equal(sysdb_lookup(f->db, name, &id), 0);
    return id;
}

static struct cprof *new_prof(struct verdict dflt)
{
    struct cprof *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    p->dflt = dflt;
    p->arches = 1; /* x86_64 */
    p->origins = calloc(1, sizeof(char *));
    p->origins[0] = strdup("test");
    p->norigins = 1;
    return p;
}

static void add_ent(struct cprof *p, uint32_t s, struct verdict v)
{
    p->ents = realloc(p->ents, (p->nents + 1) * sizeof(*p->ents));
    p->ents[p->nents++] = (struct centry){s, v, 0};
}

static void add_cond(struct cprof *p, uint32_t s, struct verdict v, uint8_t index, enum cmp_op op,
                     uint64_t value)
{
    p->conds = realloc(p->conds, (p->nconds + 1) * sizeof(*p->conds));
    struct ccond c = {.sys = s, .v = v, .nargs = 1};
    c.args[0] = (struct sys_arg){.index = index, .op = (uint8_t)op, .value = value};
    p->conds[p->nconds++] = c;
}

/* A MASKED_EQ comparison of argument index: its bits in mask equal value. */
static struct sys_arg masked(uint8_t index, uint64_t mask, uint64_t value)
{
    return (struct sys_arg){.index = index, .op = OP_MASKED_EQ, .value = mask, .value_two = value};
}

static void add_masked(struct cprof *p, uint32_t s, struct verdict v, uint8_t index, uint64_t mask,
                       uint64_t value)
{
    add_cond(p, s, v, index, OP_MASKED_EQ, mask);
    p->conds[p->nconds - 1].args[0] = masked(index, mask, value);
}

/* Adds a comparison of argument index to the last condition added (a rule on two arguments). */
static void add_arg(struct cprof *p, uint8_t index, enum cmp_op op, uint64_t value)
{
    struct ccond *c = &p->conds[p->nconds - 1];
    c->args[c->nargs++] = (struct sys_arg){.index = index, .op = (uint8_t)op, .value = value};
}

/* The db of the test running (setup()), for profile_lower(). */
static const struct sysdb *lower_db;

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    assert_int_equal(sysdb_new(&f->db), 0);
    lower_db = f->db;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    cprof_free(f->p);
    sysdb_free(f->db);
    free(f);
    return 0;
}

/* The lowered profile's rules for syscall s. */
static void rules_of(const struct cprof *p, uint32_t s, size_t *nents, size_t *nconds)
{
    *nents = *nconds = 0;
    for (size_t i = 0; i < p->nents; i++)
        *nents += p->ents[i].sys == s;
    for (size_t i = 0; i < p->nconds; i++)
        *nconds += p->conds[i].sys == s;
}

static struct cprof *lower(struct cprof *in)
{
    struct cprof *out = NULL;
    assert_int_equal(profile_lower(in, lower_db, &out), 0);
    /* The invariant: no syscall has both kinds of rule, unless its one rule is the default's. */
    for (size_t i = 0; i < out->nents; i++)
        for (size_t k = 0; k < out->nconds; k++)
            if (out->conds[k].sys == out->ents[i].sys)
                assert_true(verdict_eq(out->ents[i].v, out->dflt));
    return out;
}

/* A MASKED_EQ whose value has bits outside its mask never holds: the rule is left out
 * (libseccomp would compare the masked bits only, and match (arg & 0xff) == 0), and it does
 * not raise the others; one whose value fits its mask stays. */
static void test_masked_eq_that_never_holds_is_left_out(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "clone"), t = sys(f, "personality");
    add_masked(f->p, s, ALLOW, 0, 0xff, 0x100);
    add_masked(f->p, t, ALLOW, 0, 0xff, 0x08);
    add_masked(f->p, t, KILL, 1, 0x0f, 0x10);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(ne + nc, 0);
    rules_of(out, t, &ne, &nc);
    assert_int_equal(ne, 0);
    assert_int_equal(nc, 1);
    for (size_t i = 0; i < out->nconds; i++)
        assert_true(verdict_eq(out->conds[i].v, ALLOW) && out->conds[i].args[0].value_two == 8);
    cprof_free(out);
}

/* A conditional rule whose calls another rule of the same action matches too is left out
 * (libseccomp 2.5.4 loses one of two overlapping range rules: Kill when arg 0 < 16 and when
 * arg 0 < 2^32 let personality(16) run); rules that only overlap stay, and of two that match
 * the same calls one stays. */
static void test_subsumed_conditions_are_left_out(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ALLOW);
    uint32_t s = sys(f, "personality"), t = sys(f, "mkdir"), u = sys(f, "ptrace");
    struct {
        uint32_t sys;
        enum cmp_op op;
        uint64_t value;
    } rows[] = {
        {s, OP_LT, 16}, {s, OP_LT, UINT64_C(1) << 32},
        {s, OP_EQ, 5},  {s, OP_GT, 100},
        {t, OP_EQ, 3},  {t, OP_NE, 4},
        {t, OP_EQ, 4},  {u, OP_GE, 9},
        {u, OP_GE, 9},  {u, OP_LE, 8},
    };
    /* The profile's conditions are sorted by syscall. */
    uint32_t order[3] = {s, t, u};
    for (int a = 0; a < 3; a++)
        for (int b = a + 1; b < 3; b++)
            if (order[b] < order[a]) {
                uint32_t x = order[a];
                order[a] = order[b];
                order[b] = x;
            }
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
            if (rows[i].sys == order[k])
                add_cond(f->p, rows[i].sys, KILL, 0, rows[i].op, rows[i].value);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(nc, 2);
    rules_of(out, t, &ne, &nc);
    assert_int_equal(nc, 2);
    rules_of(out, u, &ne, &nc);
    assert_int_equal(nc, 2);
    for (size_t i = 0; i < out->nconds; i++) {
        const struct sys_arg *a = &out->conds[i].args[0];
        if (out->conds[i].sys == s)
            assert_true((a->op == OP_LT && a->value == UINT64_C(1) << 32) ||
                        (a->op == OP_GT && a->value == 100));
        else if (out->conds[i].sys == t)
            assert_true(a->op != OP_EQ || a->value == 4);
        assert_true(verdict_eq(out->conds[i].v, KILL));
    }
    cprof_free(out);
}

static void test_conditions_under_the_default_stay(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "personality");
    add_cond(f->p, s, ALLOW, 0, OP_EQ, 0);
    add_cond(f->p, s, ALLOW, 0, OP_EQ, 8);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(nc, 2);
    for (size_t i = 0; i < out->nconds; i++)
        assert_true(verdict_eq(out->conds[i].v, ALLOW));
    cprof_free(out);
}

static void test_overlapping_conditions_take_the_strictest(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ALLOW);
    uint32_t s = sys(f, "getpriority");
    /* A0 == 0 → LOG, A1 == 0 → KILL: a call with both zero must not get LOG. */
    add_cond(f->p, s, LOG, 0, OP_EQ, 0);
    add_cond(f->p, s, KILL, 1, OP_EQ, 0);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(nc, 2);
    for (size_t i = 0; i < out->nconds; i++)
        assert_true(verdict_eq(out->conds[i].v, KILL));
    cprof_free(out);
}

static void test_disjoint_conditions_keep_their_actions(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "personality");
    add_cond(f->p, s, ALLOW, 0, OP_EQ, 0);
    add_cond(f->p, s, LOG, 0, OP_EQ, 8);
    struct cprof *out = lower(f->p);
    assert_int_equal(out->nconds, 2);
    bool saw_allow = false, saw_log = false;
    for (size_t i = 0; i < out->nconds; i++) {
        saw_allow |= verdict_eq(out->conds[i].v, ALLOW) && out->conds[i].args[0].value == 0;
        saw_log |= verdict_eq(out->conds[i].v, LOG) && out->conds[i].args[0].value == 8;
    }
    assert_true(saw_allow && saw_log);
    cprof_free(out);
}

static void test_widening_conditions_under_another_action_are_dropped(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "personality");
    add_ent(f->p, s, LOG); /* E = LOG, not the default */
    add_cond(f->p, s, ALLOW, 0, OP_EQ, 0);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(ne, 1);
    assert_int_equal(nc, 0);
    assert_true(verdict_eq(out->ents[0].v, LOG));
    cprof_free(out);
}

static void test_one_tightening_condition_gets_its_complement(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "socket");
    add_ent(f->p, s, ALLOW);               /* allowed ... */
    add_cond(f->p, s, KILL, 0, OP_EQ, 40); /* ... but AF_VSOCK kills */
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(ne, 0);
    assert_int_equal(nc, 2);
    bool kill_eq = false, allow_ne = false;
    for (size_t i = 0; i < out->nconds; i++) {
        const struct ccond *c = &out->conds[i];
        kill_eq |= verdict_eq(c->v, KILL) && c->args[0].op == OP_EQ && c->args[0].value == 40;
        allow_ne |= verdict_eq(c->v, ALLOW) && c->args[0].op == OP_NE && c->args[0].value == 40;
    }
    assert_true(kill_eq && allow_ne);
    cprof_free(out);
}

static void test_inexpressible_tightening_blocks_the_syscall(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "clone");
    add_ent(f->p, s, ALLOW);
    /* No MASKED_NE to complement it, and its mask of 16 bits would take 16 rules of one bit
     * each, more than a complement may (one bit: test_tightening_condition_complement_in_pieces) */
    add_masked(f->p, s, KILL, 0, 0xffff, 0);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(ne, 1);
    assert_int_equal(nc, 0);
    assert_true(verdict_eq(out->ents[0].v, KILL)); /* stricter, never looser */
    cprof_free(out);
}

/* What the lowered profile gives syscall s with argument index 0 (or 1) at value v. */
static struct verdict lowered_at(const struct cprof *p, uint32_t s, uint8_t index, uint64_t v)
{
    for (size_t i = 0; i < p->nents; i++)
        if (p->ents[i].sys == s)
            return p->ents[i].v;
    for (size_t i = 0; i < p->nconds; i++) {
        const struct ccond *c = &p->conds[i];
        if (c->sys != s || c->args[0].index != index)
            continue;
        const struct sys_arg *a = &c->args[0];
        bool holds = a->op == OP_EQ   ? v == a->value
                     : a->op == OP_NE ? v != a->value
                     : a->op == OP_LT ? v < a->value
                     : a->op == OP_LE ? v <= a->value
                     : a->op == OP_GT ? v > a->value
                     : a->op == OP_GE ? v >= a->value
                                      : false;
        if (holds)
            return c->v;
    }
    return p->dflt;
}

/* Overlapping intervals on one argument with two actions: cut exactly, each piece given the
 * strictest that holds there (Kill when arg0 > 5 over Allow when arg0 < 10: 0-5 allowed, the
 * rest killed; it once killed every value), the pieces disjoint. */
static void test_overlapping_intervals_are_cut(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "personality");
    add_cond(f->p, s, ALLOW, 0, OP_LT, 10);
    add_cond(f->p, s, KILL, 0, OP_GT, 5);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(ne, 0);
    assert_int_equal(nc, 2);
    static const struct {
        uint64_t v;
        struct verdict want;
    } at[] = {{0, ALLOW}, {5, ALLOW}, {6, KILL}, {9, KILL}, {10, KILL}, {UINT64_MAX, KILL}};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
        assert_true(verdict_eq(lowered_at(out, s, 0, at[i].v), at[i].want));
    cprof_free(out);

    /* Three, one inside another: Log 0-99, Kill 10-20, Allow == 50; the default elsewhere. */
    cprof_free(f->p);
    f->p = new_prof(ERRNO);
    add_cond(f->p, s, LOG, 0, OP_LT, 100);
    add_cond(f->p, s, KILL, 0, OP_GE, 10);
    add_cond(f->p, s, ALLOW, 0, OP_EQ, 50);
    out = lower(f->p);
    /* Kill >= 10 covers 50 and 100 up: only 0-9 are Log's. */
    static const struct {
        uint64_t v;
        struct verdict want;
    } at2[] = {{0, LOG}, {9, LOG}, {10, KILL}, {50, KILL}, {99, KILL}, {100, KILL}};
    for (size_t i = 0; i < sizeof(at2) / sizeof(at2[0]); i++)
        assert_true(verdict_eq(lowered_at(out, s, 0, at2[i].v), at2[i].want));
    cprof_free(out);

    /* A piece that one comparison cannot say (Log 0-99 with Kill == 50 inside: 51-99 is
     * Log's): the stricter choice, as before, never looser. */
    cprof_free(f->p);
    f->p = new_prof(ERRNO);
    add_cond(f->p, s, LOG, 0, OP_LT, 100);
    add_cond(f->p, s, KILL, 0, OP_EQ, 50);
    out = lower(f->p);
    for (uint64_t v = 0; v < 120; v++)
        assert_true(verdict_cmp(lowered_at(out, s, 0, v), v < 100 && v != 50 ? LOG : ERRNO) >= 0 &&
                    (v != 50 || verdict_eq(lowered_at(out, s, 0, v), KILL)));
    cprof_free(out);

    /* Under an unconditional rule other than the default (which the conditions would need
     * more rules to say apart): never looser than it, nor than the Kill. */
    cprof_free(f->p);
    f->p = new_prof(ERRNO);
    add_ent(f->p, s, LOG);
    add_cond(f->p, s, ALLOW, 0, OP_LT, 10);
    add_cond(f->p, s, KILL, 0, OP_GT, 5);
    out = lower(f->p);
    for (uint64_t v = 0; v < 20; v++)
        assert_true(verdict_cmp(lowered_at(out, s, 0, v), v > 5 ? KILL : LOG) >= 0);
    cprof_free(out);

    /* Never more rules than raising them all: 64 points of one action inside a range of
     * another would be 129 pieces; the range's action for all of them instead. */
    cprof_free(f->p);
    f->p = new_prof(ALLOW);
    add_cond(f->p, s, ERRNO, 0, OP_LT, 1000);
    for (uint64_t k = 0; k < 64; k++)
        add_cond(f->p, s, KILL, 0, OP_EQ, 2 * k + 1);
    out = lower(f->p);
    rules_of(out, s, &ne, &nc);
    assert_true(ne + nc <= 65);
    for (uint64_t v = 0; v < 1100; v++)
        assert_true(verdict_cmp(lowered_at(out, s, 0, v), v < 128 && v % 2 ? KILL
                                                          : v < 1000       ? ERRNO
                                                                           : ALLOW) >= 0);
    cprof_free(out);
}

/* What the tenant trial found: Allow when arg0 == 0 beside Block when arg0 > 5, under a Block
 * default (an allow-list merged with a block-list), lost the Allow: the two were not seen as
 * disjoint, and raising both to the strictest gave the default. The Allow stays, alone. */
static void test_disjoint_intervals_keep_a_looser_piece(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "personality");
    add_cond(f->p, s, ALLOW, 0, OP_EQ, 0);
    add_cond(f->p, s, ERRNO, 0, OP_GT, 5);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(ne + nc, 1);
    assert_true(verdict_eq(out->conds[0].v, ALLOW) && out->conds[0].args[0].op == OP_EQ &&
                out->conds[0].args[0].value == 0);
    cprof_free(out);
}

/* Overlapping intervals under a default equal to the strictest: the pieces are cut (Allow
 * below 6 stays), not all raised to the default. */
static void test_overlap_raised_to_the_default_is_cut(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "personality");
    add_cond(f->p, s, ALLOW, 0, OP_LT, 10);
    add_cond(f->p, s, ERRNO, 0, OP_GT, 5);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(ne + nc, 1);
    assert_true(verdict_eq(out->conds[0].v, ALLOW));
    /* [0, 5]: written as LE 5 (or LT 6) */
    const struct sys_arg *a = &out->conds[0].args[0];
    assert_true((a->op == OP_LE && a->value == 5) || (a->op == OP_LT && a->value == 6));
    cprof_free(out);
}

/* Two MASKED_EQ that want another value of a bit both masks hold never match one call:
 * runtime/default's clone (no namespace flag) beside a guardrail's Kill of CLONE_NEWUSER keeps
 * both, each with its action (the guardrail had taken all of clone). So do EQ against a
 * MASKED_EQ it fails, and a rule on two arguments disjoint from another on one of them. */
static void test_masked_and_multi_argument_disjoint(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "clone"), t = sys(f, "socket");
    add_masked(f->p, s, ALLOW, 0, 0x7E020000, 0);
    add_masked(f->p, s, KILL, 0, 0x10000000, 0x10000000);
    /* socket: Allow family 1 and type 1; Kill family 2 */
    add_cond(f->p, t, ALLOW, 0, OP_EQ, 1);
    add_arg(f->p, 1, OP_EQ, 1);
    add_cond(f->p, t, KILL, 0, OP_EQ, 2);
    struct cprof *out = lower(f->p);
    assert_int_equal(out->nents, 0);
    assert_int_equal(out->nconds, 4);
    /* Each input rule is there with its own action (the output is sorted its own way). */
    for (size_t i = 0; i < 4; i++) {
        bool found = false;
        for (size_t k = 0; k < out->nconds; k++)
            found |= out->conds[k].sys == f->p->conds[i].sys &&
                     sys_args_cmp(out->conds[k].args, out->conds[k].nargs, f->p->conds[i].args,
                                  f->p->conds[i].nargs) == 0 &&
                     verdict_eq(out->conds[k].v, f->p->conds[i].v);
        assert_true(found);
    }
    cprof_free(out);
    /* A MASKED_EQ that overlaps (both bits free to be set) is raised: Kill for both. */
    f->p->conds[1].args[0] = masked(0, 0x80000000, 0x80000000);
    out = lower(f->p);
    for (size_t i = 0; i < out->nconds; i++)
        if (out->conds[i].sys == s)
            assert_true(verdict_eq(out->conds[i].v, KILL));
    cprof_free(out);
}

/* The live trial: a guardrail's Block of clone when CLONE_NEWUSER is set (MASKED_EQ), beside
 * an allow-list's unconditional Allow of clone, took all of clone: the complement of a MASKED_EQ
 * is no one comparison. It is a few: one MASKED_EQ per bit of the mask, wanting the other value.
 * So is that of a rule on two arguments (either one fails). */
static void test_tightening_condition_complement_in_pieces(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "clone"), t = sys(f, "socket"), u = sys(f, "personality");
    add_ent(f->p, s, ALLOW);
    add_masked(f->p, s, ERRNO, 0, 0x10000000, 0x10000000);
    add_ent(f->p, t, ALLOW);
    add_masked(f->p, t, KILL, 0, 0x3, 0x1);
    add_ent(f->p, u, ALLOW);
    add_cond(f->p, u, KILL, 0, OP_EQ, 1);
    add_arg(f->p, 1, OP_GE, 2);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    /* clone: Allow where the bit is clear, the default (Block) where it is set. */
    rules_of(out, s, &ne, &nc);
    assert_int_equal(ne, 0);
    assert_int_equal(nc, 1);
    /* socket: Kill where (a0 & 3) == 1, Allow where bit 0 is clear or bit 1 is set. */
    rules_of(out, t, &ne, &nc);
    assert_int_equal(ne, 0);
    assert_int_equal(nc, 3);
    /* personality: Kill where a0 == 1 and a1 >= 2, Allow where a0 != 1 or a1 < 2. */
    rules_of(out, u, &ne, &nc);
    assert_int_equal(ne, 0);
    assert_int_equal(nc, 3);
    /* What each call gets, by evaluating the lowered rules (deny wins among those that hold). */
    struct {
        uint32_t sys;
        uint64_t a0, a1;
        struct verdict want;
    } calls[] = {
        {s, 0, 0, ALLOW},          {s, 0x10000000, 0, ERRNO}, {s, 0x7E020000, 0, ERRNO},
        {s, 0x00020000, 0, ALLOW}, {t, 1, 0, KILL},           {t, 5, 0, KILL},
        {t, 0, 0, ALLOW},          {t, 3, 0, ALLOW},          {t, 2, 0, ALLOW},
        {u, 1, 2, KILL},           {u, 1, 1, ALLOW},          {u, 0, 9, ALLOW},
    };
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        struct verdict got = out->dflt;
        bool any = false;
        for (size_t k = 0; k < out->nconds; k++) {
            const struct ccond *c = &out->conds[k];
            if (c->sys != calls[i].sys)
                continue;
            bool holds = true;
            for (size_t a = 0; a < c->nargs; a++) {
                uint64_t v = c->args[a].index == 0 ? calls[i].a0 : calls[i].a1;
                holds &= op_holds((enum cmp_op)c->args[a].op, c->args[a].value,
                                  c->args[a].value_two, v) == 1;
            }
            if (holds && (!any || verdict_cmp(c->v, got) > 0)) {
                got = c->v;
                any = true;
            }
        }
        assert_true(verdict_eq(got, calls[i].want));
    }
    cprof_free(out);
}

/* What the lowered profile gives syscall s for arguments a0, a1 (the others 0): its one
 * unconditional rule, else the strictest of its conditional rules that hold, else the default. */
static struct verdict eval2(const struct cprof *p, uint32_t s, uint64_t a0, uint64_t a1)
{
    for (size_t i = 0; i < p->nents; i++)
        if (p->ents[i].sys == s)
            return p->ents[i].v;
    struct verdict got = p->dflt;
    bool any = false;
    for (size_t k = 0; k < p->nconds; k++) {
        const struct ccond *c = &p->conds[k];
        if (c->sys != s)
            continue;
        bool holds = true;
        for (size_t a = 0; a < c->nargs; a++) {
            uint64_t v = c->args[a].index == 0 ? a0 : c->args[a].index == 1 ? a1 : 0;
            holds &= op_holds((enum cmp_op)c->args[a].op, c->args[a].value, c->args[a].value_two,
                              v) == 1;
        }
        if (holds && (!any || verdict_cmp(c->v, got) > 0)) {
            got = c->v;
            any = true;
        }
    }
    return got;
}

/* What profile_inexact() names for p: the nwant syscalls of want, in any order. */
static void assert_inexact(const struct cprof *p, const struct sysdb *db, const uint32_t *want,
                           size_t nwant)
{
    uint32_t *which = NULL;
    size_t n = 0;
    assert_int_equal(profile_inexact(p, db, &which, &n), 0);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < nwant && !found; k++)
            found = which[i] == want[k];
        assert_true(found);
    }
    if (!n)
        assert_null(which);
    free(which);
}

/* Several conditions stricter than the unconditional rule, all on one argument (two guardrails
 * that block clone with CLONE_NEWUSER and with CLONE_NEWNET, beside an allow-list's clone):
 * written exactly, the calls none matches in one rule (both bits clear); it took all of clone.
 * Where they overlap (both bits set) the strictest of their actions, as documented, and said. */
static void test_several_tightening_conditions_on_one_argument(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "clone"), t = sys(f, "personality");
    add_ent(f->p, s, ALLOW);
    add_masked(f->p, s, KILL, 0, 0x10000000, 0x10000000);
    add_masked(f->p, s, LOG, 0, 0x40000000, 0x40000000);
    /* personality: Kill below 2 and from 1000: the rest, [2, 1000), is no one comparison. */
    add_ent(f->p, t, ALLOW);
    add_cond(f->p, t, KILL, 0, OP_LT, 2);
    add_cond(f->p, t, KILL, 0, OP_GE, 1000);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(ne, 0);
    assert_int_equal(nc, 3); /* Kill, Kill (raised from Log: they overlap), Allow */
    static const uint64_t flags[] = {0,          0x11,       0x10000000, 0x40000000,
                                     0x50000000, 0x7E020000, 0x00020000, 0xffffffffffffffff};
    for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
        bool user = flags[i] & 0x10000000, net = flags[i] & 0x40000000;
        struct verdict want = user || net ? KILL : ALLOW;
        assert_true(verdict_eq(eval2(out, s, flags[i], 0), want));
    }
    /* personality: its complement [2, 1000) is one comparison short: every call killed. */
    rules_of(out, t, &ne, &nc);
    assert_int_equal(ne, 1);
    assert_int_equal(nc, 0);
    assert_true(verdict_eq(eval2(out, t, 500, 0), KILL));
    /* Both said: clone's Log raised to Kill (a call with CLONE_NEWNET alone meant Log; it was
     * not said, and explain credited the Kill to the rule as written), personality. */
    assert_inexact(f->p, f->db, (uint32_t[]){s, t}, 2);
    size_t said = 0;
    for (size_t i = 0; i < out->nconds; i++)
        said += out->conds[i].sys == s && verdict_eq(out->conds[i].v, KILL) &&
                strstr(out->origins[out->conds[i].origin], "for every call its conditions") != NULL;
    assert_int_equal(said, 2);
    cprof_free(out);
}

/* Conditions on two arguments beside an unconditional rule: libseccomp builds wrong programs
 * for rules that mix them, so every call gets the strictest; profile_inexact() names the
 * syscall, and the origin says so for explain. */
static void test_tightening_on_two_arguments_is_said(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t t = sys(f, "personality"), r = sys(f, "read");
    add_ent(f->p, t, ALLOW);
    add_cond(f->p, t, ERRNO, 0, OP_GT, 5);
    add_cond(f->p, t, ERRNO, 1, OP_EQ, 3);
    add_ent(f->p, r, ALLOW);
    struct cprof *out = lower(f->p);
    assert_true(verdict_eq(eval2(out, t, 0, 0), ERRNO));
    bool said = false;
    for (size_t i = 0; i < out->nents; i++)
        if (out->ents[i].sys == t)
            said = strstr(out->origins[out->ents[i].origin], "for every call") != NULL;
    assert_true(said);
    assert_inexact(f->p, f->db, &t, 1);
    cprof_free(out);
    /* Exact profiles name none. */
    struct cprof *q = new_prof(ERRNO);
    add_ent(q, r, ALLOW);
    add_cond(q, t, ALLOW, 0, OP_EQ, 0);
    assert_inexact(q, f->db, NULL, 0);
    cprof_free(q);
}

/* Where libseccomp would build the product wrong, the old stricter rule stays: a value over 32
 * bits with x86 in the profile, a call x86 multiplexes (socket); conditions that match every
 * call with one action are one rule, and exact (not named by profile_inexact()). */
static void test_product_kept_from_what_libseccomp_builds_wrong(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    f->p->arches = (1u << arch_parse("x86_64")) | (1u << arch_parse("x86"));
    uint32_t s = sys(f, "personality"), t = sys(f, "socket"), u = sys(f, "clone");
    add_ent(f->p, s, ALLOW);
    add_masked(f->p, s, KILL, 0, 0x100000000, 0x100000000);
    add_masked(f->p, s, KILL, 0, 1, 1);
    add_ent(f->p, t, ALLOW);
    add_masked(f->p, t, KILL, 0, 2, 2);
    add_masked(f->p, t, KILL, 0, 1, 1);
    /* clone: arg0 < 10 or arg0 > 5: every call, one action. */
    add_ent(f->p, u, ALLOW);
    add_cond(f->p, u, KILL, 0, OP_LT, 10);
    add_cond(f->p, u, KILL, 0, OP_GT, 5);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    for (int k = 0; k < 3; k++) {
        uint32_t x = k == 0 ? s : k == 1 ? t : u;
        rules_of(out, x, &ne, &nc);
        assert_int_equal(ne, 1);
        assert_int_equal(nc, 0);
        assert_true(verdict_eq(eval2(out, x, 0, 0), KILL));
    }
    assert_inexact(f->p, f->db, (uint32_t[]){s, t}, 2); /* clone's one rule is exact */
    cprof_free(out);
    /* x86_64 alone: personality is written exactly (64-bit values are compared whole), and
     * so is socket (not multiplexed there). */
    f->p->arches = 1u << arch_parse("x86_64");
    out = lower(f->p);
    rules_of(out, s, &ne, &nc);
    assert_int_equal(ne, 0);
    assert_true(verdict_eq(eval2(out, s, 0, 0), ALLOW));
    assert_true(verdict_eq(eval2(out, s, 0x100000000, 0), KILL));
    rules_of(out, t, &ne, &nc);
    assert_int_equal(ne, 0);
    assert_true(verdict_eq(eval2(out, t, 4, 0), ALLOW));
    cprof_free(out);
}

/* What profile p (before lowering) means for syscall s with argument 0 or 1 at v (the other 0):
 * the strictest of its conditions that hold, else its unconditional rule, else the default. */
static struct verdict meant_at(const struct cprof *p, uint32_t s, uint64_t a0, uint64_t a1)
{
    struct verdict got = p->dflt;
    for (size_t i = 0; i < p->nents; i++)
        if (p->ents[i].sys == s)
            got = p->ents[i].v;
    bool any = false;
    for (size_t k = 0; k < p->nconds; k++) {
        const struct ccond *c = &p->conds[k];
        if (c->sys != s)
            continue;
        const struct sys_arg *a = &c->args[0];
        if (op_holds((enum cmp_op)a->op, a->value, a->value_two, a->index ? a1 : a0) == 1 &&
            (!any || verdict_cmp(c->v, got) > 0)) {
            got = c->v;
            any = true;
        }
    }
    return got;
}

/* Values around each of vals (v - 2 .. v + 2), with the high half clear and set: where
 * low_blocks() rules begin and end, and the values above 32 bits they hold too. */
static void assert_exact_around(const struct cprof *in, const struct cprof *out, uint32_t s,
                                uint8_t index, const uint64_t *vals, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (uint64_t d = 0; d < 5; d++)
            for (int high = 0; high < 3; high++) {
                uint64_t v = vals[i] + d - 2;
                v |= high == 1   ? UINT64_C(0x100000000)
                     : high == 2 ? UINT64_C(0x8000000000000000)
                                 : 0;
                uint64_t a0 = index ? 0 : v, a1 = index ? v : 0;
                if (!verdict_eq(eval2(out, s, a0, a1), meant_at(in, s, a0, a1)))
                    fail_msg("value %#llx: lowered %d, meant %d", (unsigned long long)v,
                             eval2(out, s, a0, a1).action, meant_at(in, s, a0, a1).action);
            }
}

/* Two guardrails that block single values of one argument beside an allow-list's Allow of the
 * syscall (ioctl TIOCSTI 0x5412 and TIOCLINUX 0x541c): the gap between them is no one
 * comparison; it is written as aligned blocks of the low 32 bits (0x5413, 0x5414-0x5417,
 * 0x5418-0x541b), exact because no condition holds above 2^32 - 1, where the blocks hold too
 * and the gap above them allows. It took all of ioctl. Not where a condition reaches above
 * 2^32 - 1: then the blocks would allow what it blocks, and the stricter rule stays. */
static void test_gap_between_guardrails_in_blocks(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "ioctl"), t = sys(f, "personality");
    add_ent(f->p, s, ALLOW);
    add_cond(f->p, s, KILL, 1, OP_EQ, 0x5412);
    add_cond(f->p, s, KILL, 1, OP_EQ, 0x541c);
    add_ent(f->p, t, ALLOW);
    add_cond(f->p, t, KILL, 0, OP_EQ, 3);
    add_cond(f->p, t, KILL, 0, OP_EQ, 0x100000005);
    /* mkdir: the gap [4, 9] is within 32 bits, but a condition holds above them. */
    uint32_t m = sys(f, "mkdir");
    add_ent(f->p, m, ALLOW);
    add_cond(f->p, m, KILL, 1, OP_EQ, 3);
    add_cond(f->p, m, KILL, 1, OP_EQ, 10);
    add_cond(f->p, m, KILL, 1, OP_GE, 0x100000000);
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(ne, 0);
    assert_int_equal(nc, 2 + 5); /* Kill, Kill; LE 0x5411, 3 blocks, GT 0x541c */
    assert_exact_around(f->p, out, s, 1, (uint64_t[]){0, 0x5412, 0x5413, 0x5417, 0x5418, 0x541c},
                        6);
    for (uint64_t v = 0x5400; v < 0x5430; v++) /* every value of the gap and around it */
        assert_true(verdict_eq(eval2(out, s, 0, v), meant_at(f->p, s, 0, v)));
    rules_of(out, t, &ne, &nc);
    assert_int_equal(ne, 1);
    assert_true(verdict_eq(eval2(out, t, 4, 0), KILL));
    rules_of(out, m, &ne, &nc);
    assert_int_equal(ne, 1);
    assert_inexact(f->p, f->db, (uint32_t[]){t, m}, 2);
    cprof_free(out);
    /* With x86 and x32 in the profile too: the blocks are of 32 bits, written the same. */
    f->p->arches =
        (1u << arch_parse("x86_64")) | (1u << arch_parse("x86")) | (1u << arch_parse("x32"));
    out = lower(f->p);
    rules_of(out, s, &ne, &nc);
    assert_int_equal(nc, 7);
    cprof_free(out);
}

/* Overlapping conditions of two actions with no unconditional rule, cut into pieces: a piece in
 * the middle is written as low_blocks() where the piece above 2^32 - 1 has its action (Allow
 * personality when arg 0 > 1, Kill it when 5 and when 9: [2, 4] and [6, 8] allowed); where that
 * piece has another action (Allow when arg 0 <= 10 and Kill when 3: above 10 the default), the
 * blocks would hold for values it does not allow, and the stricter choice stays, said. */
static void test_cut_piece_in_the_middle_in_blocks(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t t = sys(f, "personality");
    add_cond(f->p, t, ALLOW, 0, OP_GT, 1);
    add_cond(f->p, t, KILL, 0, OP_EQ, 5);
    add_cond(f->p, t, KILL, 0, OP_EQ, 9);
    struct cprof *out = lower(f->p);
    for (uint64_t v = 0; v < 16; v++)
        assert_true(verdict_eq(eval2(out, t, v, 0), meant_at(f->p, t, v, 0)));
    assert_exact_around(f->p, out, t, 0, (uint64_t[]){2, 5, 9}, 3);
    assert_inexact(f->p, f->db, NULL, 0);
    cprof_free(out);
    f->p->conds[0].args[0] = (struct sys_arg){.index = 0, .op = OP_LE, .value = 10};
    f->p->nconds = 2;
    f->p->conds[1].args[0].value = 3;
    out = lower(f->p);
    assert_true(verdict_eq(eval2(out, t, 0, 0), KILL)); /* stricter than meant (Allow) */
    assert_inexact(f->p, f->db, &t, 1);
    cprof_free(out);
}

/* Conditions raised to the strictest where they overlap: not said when each of another action
 * lies within one of the strictest (Log when arg 0 == 16 inside Kill when arg 0's low nibble is
 * 0: deny wins gives 16 the Kill anyway); said when one reaches past it (Log when == 17). */
static void test_raised_within_the_strictest_is_not_said(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t t = sys(f, "personality");
    add_masked(f->p, t, KILL, 0, 0xf, 0);
    add_cond(f->p, t, LOG, 0, OP_EQ, 16);
    struct cprof *out = lower(f->p);
    assert_true(verdict_eq(eval2(out, t, 16, 0), KILL));
    assert_true(verdict_eq(eval2(out, t, 17, 0), ERRNO));
    assert_inexact(f->p, f->db, NULL, 0);
    cprof_free(out);
    f->p->conds[1].args[0].value = 17; /* disjoint now: each keeps its action, nothing said */
    assert_inexact(f->p, f->db, NULL, 0);
    /* Beside an unconditional Allow (the product's path): Log when arg 0's low 3 bits are 0
     * lies within Kill when its low 2 bits are. */
    add_ent(f->p, t, ALLOW);
    f->p->conds[0].args[0] = masked(0, 0x3, 0);
    f->p->conds[1].args[0] = masked(0, 0x7, 0);
    out = lower(f->p);
    assert_true(verdict_eq(eval2(out, t, 8, 0), KILL));
    assert_true(verdict_eq(eval2(out, t, 4, 0), KILL));
    assert_true(verdict_eq(eval2(out, t, 1, 0), ALLOW));
    assert_inexact(f->p, f->db, NULL, 0);
    cprof_free(out);
    /* Log when arg 0 > 10 lies within no one Kill but within two together (arg 0 <= 28, >= 23):
     * every call is killed, as deny wins says: one rule, nothing said. */
    f->p->conds[0].args[0] = (struct sys_arg){.index = 0, .op = OP_LE, .value = 28};
    f->p->conds[1].args[0] = (struct sys_arg){.index = 0, .op = OP_GT, .value = 10};
    add_cond(f->p, t, KILL, 0, OP_GE, 23);
    out = lower(f->p);
    assert_true(verdict_eq(eval2(out, t, 5, 0), KILL));
    assert_true(verdict_eq(eval2(out, t, 100, 0), KILL));
    assert_inexact(f->p, f->db, NULL, 0);
    cprof_free(out);
    f->p->conds[2].args[0].value = 30; /* (28, 30) only Log's: said */
    assert_inexact(f->p, f->db, &t, 1);
    f->p->nconds = 2;
    f->p->conds[0].args[0] = masked(0, 0x3, 0);
    /* Log when bit 2 is clear reaches past the Kill (arg 0 = 1): raised, said. */
    f->p->conds[1].args[0] = masked(0, 0x4, 0);
    out = lower(f->p);
    assert_true(verdict_eq(eval2(out, t, 1, 0), KILL));
    assert_inexact(f->p, f->db, &t, 1);
    cprof_free(out);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The exact rules take more conditions than the stricter single ones: a profile they would take
 * over kscmp's bounds is rendered without them (stricter, as before), not refused. */
static void test_product_over_the_bounds_falls_back(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    /* 80 syscalls of x86_64, in id order. */
    uint32_t ids[80];
    size_t nsys = 0;
    for (int nr = 0; nr < 400 && nsys < 80; nr++) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
        if (name && sysdb_lookup(f->db, name, &ids[nsys]) == 0)
            nsys++;
        free(name);
    }
    assert_int_equal(nsys, 80);
    qsort(ids, nsys, sizeof(*ids), cmp_u32);
    for (size_t i = 0; i < nsys; i++) {
        uint32_t id = ids[i];
        add_ent(f->p, id, ALLOW);
        for (int b = 0; b < 3; b++)
            add_masked(f->p, id, KILL, 0, 1u << b, 1u << b);
    }
    /* 80 x (3 conditions + 1 for the rest) = 320 conditions, over the 256 a profile may hold;
     * 80 x 1 rule without them. */
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(profile_render(f->p, f->db, &json, &len), 0);
    assert_null(strstr(json, "SCMP_CMP_MASKED_EQ"));
    free(json);
    assert_inexact(f->p, f->db, ids, nsys);
    /* With fewer syscalls they fit, and are exact. */
    f->p->nconds = 3 * 10;
    f->p->nents = 10;
    assert_int_equal(profile_render(f->p, f->db, &json, &len), 0);
    assert_non_null(strstr(json, "SCMP_CMP_MASKED_EQ"));
    free(json);
    assert_inexact(f->p, f->db, NULL, 0);
}

/* Conditions of two actions that overlap on other arguments, under a default they are raised to
 * (runtime/default's Allow of personality(0) beside a Block when arg 1 == 3): every one of them
 * gets the default, personality(0) too, and that is said (profile_inexact(), explain's origin);
 * the rendered profile holds no personality rule. */
static void test_raised_to_the_default_is_said(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t t = sys(f, "personality");
    add_cond(f->p, t, ALLOW, 0, OP_EQ, 0);
    add_cond(f->p, t, ERRNO, 1, OP_EQ, 3);
    struct cprof *out = lower(f->p);
    assert_true(verdict_eq(eval2(out, t, 0, 0), ERRNO));
    bool said = false;
    for (size_t i = 0; i < out->nents; i++)
        if (out->ents[i].sys == t)
            said =
                strstr(out->origins[out->ents[i].origin], "for every call its conditions") != NULL;
    assert_true(said);
    cprof_free(out);
    assert_inexact(f->p, f->db, &t, 1);
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(profile_render(f->p, f->db, &json, &len), 0);
    assert_null(strstr(json, "personality"));
    free(json);
    /* Disjoint conditions (both on arg 0) keep their actions: nothing said. */
    f->p->conds[1].args[0].index = 0;
    assert_inexact(f->p, f->db, NULL, 0);
}

/* A comparison no value passes (LT 0) makes a rule that applies to no call: left out. */
static void test_empty_interval_is_left_out(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ALLOW);
    uint32_t s = sys(f, "ptrace");
    add_cond(f->p, s, KILL, 0, OP_LT, 0);
    add_cond(f->p, s, LOG, 0, OP_GT, 1);
    struct cprof *out = lower(f->p);
    assert_int_equal(out->nconds, 1);
    assert_true(verdict_eq(out->conds[0].v, LOG));
    cprof_free(out);
}

static void test_conditions_equal_to_the_default_vanish(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "personality");
    add_cond(f->p, s, ERRNO, 0, OP_EQ, 1); /* runc would skip it; libseccomp refuses it */
    struct cprof *out = lower(f->p);
    size_t ne, nc;
    rules_of(out, s, &ne, &nc);
    assert_int_equal(nc, 0);
    cprof_free(out);
}

static void test_render_never_mixes(void **state)
{
    struct fix *f = *state;
    f->p = new_prof(ERRNO);
    uint32_t s = sys(f, "socket"), t = sys(f, "personality");
    add_ent(f->p, s, ALLOW);
    add_cond(f->p, s, ERRNO, 0, OP_EQ, 40);
    add_cond(f->p, s, KILL, 1, OP_EQ, 3);
    add_ent(f->p, t, LOG);
    add_cond(f->p, t, ALLOW, 0, OP_EQ, 0);
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(profile_render(f->p, f->db, &json, &len), 0);
    json_t *j = json_loads(json, 0, NULL);
    assert_non_null(j);
    /* For each name: either exactly one rule without args, or only rules with args. */
    const char *names[] = {"socket", "personality"};
    for (size_t n = 0; n < 2; n++) {
        int plain = 0, cond = 0;
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(j, "syscalls"), i, r)
        {
            size_t k;
            json_t *nm;
            json_array_foreach(json_object_get(r, "names"), k, nm)
            {
                if (strcmp(json_string_value(nm), names[n]) != 0)
                    continue;
                if (json_array_size(json_object_get(r, "args")))
                    cond++;
                else
                    plain++;
            }
        }
        assert_true((plain == 1 && cond == 0) || (plain == 0 && cond > 0));
    }
    json_decref(j);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_conditions_under_the_default_stay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlapping_conditions_take_the_strictest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_disjoint_conditions_keep_their_actions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_widening_conditions_under_another_action_are_dropped,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_tightening_condition_gets_its_complement, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_inexpressible_tightening_blocks_the_syscall, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_conditions_equal_to_the_default_vanish, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_overlapping_intervals_are_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disjoint_intervals_keep_a_looser_piece, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_overlap_raised_to_the_default_is_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_masked_and_multi_argument_disjoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_interval_is_left_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tightening_condition_complement_in_pieces, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_render_never_mixes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_tightening_conditions_on_one_argument, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tightening_on_two_arguments_is_said, setup, teardown),
        cmocka_unit_test_setup_teardown(test_product_kept_from_what_libseccomp_builds_wrong, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_product_over_the_bounds_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raised_to_the_default_is_said, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap_between_guardrails_in_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raised_within_the_strictest_is_not_said, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cut_piece_in_the_middle_in_blocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_masked_eq_that_never_holds_is_left_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_subsumed_conditions_are_left_out, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
