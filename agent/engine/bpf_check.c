/* bpf_check.c - the program libseccomp built, run call by call against the profile. */
#include "engine/bpf_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "engine/action.h"
#include "engine/arch.h"
#include "engine/bpf_paths.h"

#define DATA_LEN 64u     /* sizeof(struct seccomp_data) */
#define SCRATCH_WORDS 16 /* BPF_MEMWORDS */
#define X32_NR_BASE 0x40000000
#define UNNAMED_MAX 4096 /* syscall numbers above the first run for the default */
/* The direct numbers of the calls libseccomp 2.5.4 multiplexes (on x86, ppc, ppc64, s390,
 * s390x and MIPS o32) are at most 402 above the architecture's first (x86 337-402, ppc
 * 326-402, s390x 357-402, MIPS o32 4168-4402); the scan that finds them covers every number up
 * to this far above the first. */
#define MUX_SCAN_TOP 511
#define WORD_MAX 0xffffffffu
#define NARGS 6
/* Values one condition adds to an argument's halves, and to its whole values. */
#define HALVES_PER_CMP 6
#define VALUES_PER_CMP 5

/* ---- the interpreter ------------------------------------------------------------------------ */

/* The 32-bit word of struct seccomp_data at byte offset k (a multiple of 4 below 64), in the
 * byte order of the call's architecture. */
static uint32_t data_word(const struct bpf_call *c, uint32_t k)
{
    if (k == 0)
        return (uint32_t)c->nr;
    if (k == 4)
        return c->arch;
    if (k < 16)
        return 0; /* instruction_pointer */
    uint64_t v = c->args[(k - 16) / 8];
    bool high = ((k - 16) % 8 == 4) == ((c->arch & __AUDIT_ARCH_LE) != 0);
    return high ? (uint32_t)(v >> 32) : (uint32_t)v;
}

int bpf_run(const struct sock_filter *prog, size_t n, const struct bpf_call *call, uint32_t *ret)
{
    uint32_t a = 0, x = 0, mem[SCRATCH_WORDS] = {0};
    size_t pc = 0;
    /* Jumps go forward only, so a program ends within n steps. */
    while (pc < n) {
        const struct sock_filter *f = &prog[pc++];
        uint32_t k = f->k;
        if (f->code > 0xff) /* no instruction has these bits */
            return -EINVAL;
        switch (BPF_CLASS(f->code)) {
        case BPF_LD:
        case BPF_LDX: {
            uint32_t v;
            if (f->code == (BPF_LD | BPF_W | BPF_ABS)) {
                if (k % 4 || k > DATA_LEN - 4)
                    return -EINVAL;
                v = data_word(call, k);
            } else if (BPF_MODE(f->code) == BPF_LEN && BPF_SIZE(f->code) == BPF_W) {
                v = DATA_LEN;
            } else if (BPF_MODE(f->code) == BPF_IMM) {
                v = k;
            } else if (BPF_MODE(f->code) == BPF_MEM && k < SCRATCH_WORDS) {
                v = mem[k];
            } else {
                return -EINVAL;
            }
            if (BPF_CLASS(f->code) == BPF_LD)
                a = v;
            else
                x = v;
            break;
        }
        case BPF_ST:
        case BPF_STX:
            if (k >= SCRATCH_WORDS)
                return -EINVAL;
            mem[k] = BPF_CLASS(f->code) == BPF_ST ? a : x;
            break;
        case BPF_ALU:
            if (BPF_SRC(f->code) == BPF_X && x == 0 &&
                (BPF_OP(f->code) == BPF_DIV || BPF_OP(f->code) == BPF_MOD)) {
                *ret = 0; /* the kernel ends the program so, with 0 (KILL_THREAD) */
                return 0;
            }
            if (bpf_alu(BPF_OP(f->code), &a, BPF_SRC(f->code) == BPF_X ? x : k) < 0)
                return -EINVAL;
            break;
        case BPF_JMP: {
            if (BPF_OP(f->code) == BPF_JA) {
                if (k >= n - pc)
                    return -EINVAL;
                pc += k;
                break;
            }
            bool taken;
            if (bpf_jump(BPF_OP(f->code), a, BPF_SRC(f->code) == BPF_X ? x : k, &taken) < 0)
                return -EINVAL;
            uint8_t off = taken ? f->jt : f->jf;
            if (off >= n - pc)
                return -EINVAL;
            pc += off;
            break;
        }
        case BPF_RET:
            if (BPF_RVAL(f->code) == BPF_K)
                *ret = k;
            else if (BPF_RVAL(f->code) == BPF_A)
                *ret = a;
            else
                return -EINVAL;
            return 0;
        case BPF_MISC:
            if (BPF_MISCOP(f->code) == BPF_TAX)
                x = a;
            else if (BPF_MISCOP(f->code) == BPF_TXA)
                a = x;
            else
                return -EINVAL;
            break;
        default:
            return -EINVAL;
        }
    }
    return -EINVAL;
}

/* ---- actions -------------------------------------------------------------------------------- */

/* How restrictive a SECCOMP_RET_* value (a libseccomp action value) is: 6 KILL_PROCESS ...
 * 0 ALLOW; -1 for a value no profile gives. */
static int rank(uint32_t v)
{
    if (v == SCMP_ACT_KILL_PROCESS)
        return 6;
    switch (v & 0xffff0000u) {
    case SCMP_ACT_KILL_THREAD:
        return v == SCMP_ACT_KILL_THREAD ? 5 : -1;
    case SCMP_ACT_TRAP:
        return 4;
    case 0x00050000u: /* SCMP_ACT_ERRNO(x) */
        return 3;
    case 0x7ff00000u: /* SCMP_ACT_TRACE(x) */
        return 2;
    case SCMP_ACT_LOG:
        return 1;
    case SCMP_ACT_ALLOW:
        return 0;
    default:
        return -1;
    }
}

static void action_text(uint32_t v, char *buf, size_t len)
{
    switch (rank(v)) {
    case 6:
        snprintf(buf, len, "SCMP_ACT_KILL_PROCESS");
        break;
    case 5:
        snprintf(buf, len, "SCMP_ACT_KILL_THREAD");
        break;
    case 4:
        snprintf(buf, len, "SCMP_ACT_TRAP");
        break;
    case 3:
        snprintf(buf, len, "SCMP_ACT_ERRNO(%u)", v & 0xffffu);
        break;
    case 2:
        snprintf(buf, len, "SCMP_ACT_TRACE(%u)", v & 0xffffu);
        break;
    case 1:
        snprintf(buf, len, "SCMP_ACT_LOG");
        break;
    case 0:
        snprintf(buf, len, "SCMP_ACT_ALLOW");
        break;
    default:
        snprintf(buf, len, "0x%08" PRIx32, v);
    }
}

/* The architecture the kernel reports a call of arch as: x32 calls come as x86_64 ones with
 * the x32 bit in the number. */
static uint32_t seen_arch(uint32_t arch)
{
    return arch == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : arch;
}

/* ---- what the profile means ----------------------------------------------------------------- */

/* libseccomp's operators are numbered as the engine's (engine/proof.c asserts it). */
static bool cmp_holds(const struct scmp_arg_cmp *c, uint64_t v)
{
    return op_holds((enum cmp_op)c->op, c->datum_a, c->datum_b, v) == 1;
}

static bool rule_holds(const struct bpf_rule *r, const uint64_t args[NARGS])
{
    for (unsigned i = 0; i < r->ncmp; i++)
        if (!cmp_holds(&r->cmp[i], args[r->cmp[i].arg]))
            return false;
    return true;
}

/* ---- the calls ------------------------------------------------------------------------------ */

/* A set of distinct values, kept small by the bounds of a profile (256 conditions). */
struct vals {
    uint64_t *v;
    size_t n;
};

static void vals_add(struct vals *s, uint64_t x)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == x)
            return;
    s->v[s->n++] = x;
}

struct leafctx;

/* The calls of one syscall on one architecture: the rules that name it. */
struct group {
    const struct bpf_model *m;
    const size_t *rules; /* indexes into m->rules */
    size_t nrules;
    uint32_t arch;      /* the token */
    bool wide;          /* 64-bit arguments (else the high halves are 0) */
    struct leafctx *lc; /* the paths' scratch memory, shared by the groups of a check */
};

/* The calls sampled for a group whose paths could not all be followed: per argument index,
 * the high halves, low halves and whole values its conditions make interesting. */
struct samples {
    struct group *g;
    struct vals hi[NARGS], lo[NARGS], whole[NARGS];
    bool used[NARGS];
};

static void add_value(struct samples *s, unsigned i, uint64_t x)
{
    if (!s->g->wide)
        x &= WORD_MAX;
    vals_add(&s->hi[i], x >> 32);
    vals_add(&s->lo[i], x & WORD_MAX);
    vals_add(&s->whole[i], x);
}

/* Both sides of every boundary of c, in each half, as values of argument i (c's own, or
 * another that the program might compare with c's value by mistake). */
static void add_cmp_values(struct samples *s, const struct scmp_arg_cmp *c, unsigned i)
{
    if (c->op == SCMP_CMP_MASKED_EQ) {
        uint64_t m = c->datum_a, x = c->datum_b & m;
        add_value(s, i, c->datum_b);
        add_value(s, i, x);
        add_value(s, i, x | ~m);
        if (m) {
            add_value(s, i, x ^ (m & -m));
            add_value(s, i, x ^ (UINT64_C(1) << (63 - __builtin_clzll(m))));
        }
        return;
    }
    uint64_t v = c->datum_a;
    add_value(s, i, v);
    if (v > 0)
        add_value(s, i, v - 1);
    if (v < UINT64_MAX)
        add_value(s, i, v + 1);
}

/* Why the program can be looser, as far as the rules of the syscall tell. */
static const char *hint(const struct group *g)
{
    size_t conditional = 0;
    bool same_action = false, wide_value = false;
    for (size_t i = 0; i < g->nrules; i++) {
        const struct bpf_rule *r = &g->m->rules[g->rules[i]];
        conditional += r->ncmp > 0;
        same_action |= r->action == g->m->default_action;
        for (unsigned k = 0; k < r->ncmp; k++)
            wide_value |= (r->cmp[k].datum_a | r->cmp[k].datum_b) >> 32 != 0;
    }
    if (!g->wide && wide_value)
        return " (on a 32-bit architecture libseccomp compares the low 32 bits of an argument "
               "only, and a value above 32 bits loses its rule)";
    if (same_action)
        return " (a runtime leaves out a rule whose action is the default action, and a looser "
               "rule then decides)";
    if (conditional > 1)
        return " (libseccomp 2.5 builds a looser program for some sets of conditional rules of "
               "one syscall, overlapping ones among them: docs/policies.md says which)";
    return "";
}

/* Runs one call: 0, or -EPROTO when the program is looser than the profile there or cannot
 * be run (err says so). */
static int run_call(struct group *g, const struct sock_filter *prog, size_t n, int nr,
                    const uint64_t args[NARGS], struct kerr *err)
{
    const struct bpf_model *m = g->m;
    uint32_t want = m->default_action;
    int want_rank = -1;
    const char *name = NULL;
    for (size_t i = 0; i < g->nrules; i++) {
        const struct bpf_rule *r = &m->rules[g->rules[i]];
        name = r->name;
        if (rule_holds(r, args) && rank(r->action) > want_rank) {
            want = r->action;
            want_rank = rank(r->action);
        }
    }
    if (want_rank < 0)
        want_rank = rank(want);

    struct bpf_call call = {
        .nr = nr,
        .arch = seen_arch(g->arch),
    };
    memcpy(call.args, args, sizeof(call.args));
    uint32_t got;
    int r = bpf_run(prog, n, &call, &got);
    if (r == 0 && rank(got) >= want_rank)
        return 0;

    char arch[48];
    arch_token_text(g->arch, arch, sizeof(arch));
    if (r < 0)
        return kerr_set(err, -EPROTO,
                        "the BPF program libseccomp generated cannot be run as seccomp runs it "
                        "(syscall %d on %s)",
                        nr, arch);
    char w[48], gt[48], unnamed[64];
    action_text(want, w, sizeof(w));
    action_text(got, gt, sizeof(gt));
    snprintf(unnamed, sizeof(unnamed), "syscall number %d, which no rule names,", nr);
    return kerr_set(err, -EPROTO,
                    "libseccomp built a filter looser than the profile: %s%s%s on %s called "
                    "with arguments (%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
                    ", %#" PRIx64 ", %#" PRIx64 ") gets %s where the profile says %s%s",
                    name ? "\"" : "", name ? name : unnamed, name ? "\"" : "", arch, args[0],
                    args[1], args[2], args[3], args[4], args[5], gt, w, hint(g));
}

/* Every combination of the halves of every compared argument. */
static int run_grid(struct samples *s, const struct sock_filter *prog, size_t n, int nr,
                    struct kerr *err)
{
    size_t pos[NARGS] = {0}, size[NARGS];
    for (unsigned i = 0; i < NARGS; i++)
        size[i] = s->used[i] ? s->hi[i].n * s->lo[i].n : 1;
    for (;;) {
        uint64_t args[NARGS] = {0};
        for (unsigned i = 0; i < NARGS; i++)
            if (s->used[i])
                args[i] = s->hi[i].v[pos[i] / s->lo[i].n] << 32 | s->lo[i].v[pos[i] % s->lo[i].n];
        int r = run_call(s->g, prog, n, nr, args, err);
        if (r < 0)
            return r;
        unsigned i = 0;
        while (i < NARGS && ++pos[i] == size[i])
            pos[i++] = 0;
        if (i == NARGS)
            return 0;
    }
}

/* Every combination of the halves of two compared arguments i < j, the others 0, when they
 * number at most *budget (which they then take from it); else nothing. */
static int run_pair(struct samples *s, const struct sock_filter *prog, size_t n, int nr, unsigned i,
                    unsigned j, size_t *budget, struct kerr *err)
{
    size_t si = s->hi[i].n * s->lo[i].n, sj = s->hi[j].n * s->lo[j].n;
    if (si * sj > *budget)
        return 0;
    *budget -= si * sj;
    for (size_t a = 0; a < si; a++)
        for (size_t b = 0; b < sj; b++) {
            uint64_t args[NARGS] = {0};
            args[i] = s->hi[i].v[a / s->lo[i].n] << 32 | s->lo[i].v[a % s->lo[i].n];
            args[j] = s->hi[j].v[b / s->lo[j].n] << 32 | s->lo[j].v[b % s->lo[j].n];
            int r = run_call(s->g, prog, n, nr, args, err);
            if (r < 0)
                return r;
        }
    return 0;
}

/* Each argument's values against anchors: every argument 0, and one call per rule that
 * satisfies it (when one of the values does); at most BPF_CHECK_GRID_MAX calls. */
static int run_anchored(struct samples *s, const struct sock_filter *prog, size_t n, int nr,
                        struct kerr *err)
{
    size_t budget = BPF_CHECK_GRID_MAX;
    for (size_t a = 0; a <= s->g->nrules; a++) {
        uint64_t anchor[NARGS] = {0};
        if (a > 0) {
            const struct bpf_rule *r = &s->g->m->rules[s->g->rules[a - 1]];
            bool found = true;
            for (unsigned i = 0; i < r->ncmp && found; i++) {
                unsigned idx = r->cmp[i].arg;
                found = false;
                for (size_t k = 0; k < s->whole[idx].n && !found; k++) {
                    anchor[idx] = s->whole[idx].v[k];
                    found = true;
                    for (unsigned j = 0; j < r->ncmp; j++)
                        if (r->cmp[j].arg == idx && !cmp_holds(&r->cmp[j], anchor[idx]))
                            found = false;
                }
            }
            if (!found)
                continue;
        }
        for (unsigned i = 0; i < NARGS; i++) {
            if (!s->used[i])
                continue;
            for (size_t k = 0; k < s->whole[i].n; k++) {
                if (budget-- == 0)
                    return 0;
                uint64_t args[NARGS];
                memcpy(args, anchor, sizeof(args));
                args[i] = s->whole[i].v[k];
                int r = run_call(s->g, prog, n, nr, args, err);
                if (r < 0)
                    return r;
            }
        }
    }
    return 0;
}

/* ---- the paths of the program -------------------------------------------------------------
 *
 * For every path the program can take for the syscall, and the value v it returns there: is
 * there a call on that path that the profile answers more strictly than v? Either a rule
 * stricter than v holds for a call of the path's box (each argument on its own: the rule's
 * conditions on it and the box's words), or, when the default is stricter than v, no rule holds
 * for a call of the box (one condition of every rule made false, searched with a budget). A call
 * found so is run (run_call): the box may hold calls of other paths, the run decides. */

#define PATHS_MAX 4096   /* paths of one syscall's program followed */
#define SEARCH_MAX 4096  /* steps of the search for a call no rule matches, per path */
#define CAND_MASKS_MAX 8 /* masks the candidates of a half make room for */
#define ARG_WORD0 4      /* the first word of args[] in struct seccomp_data */

/* A condition on one argument, maybe negated. */
struct acon {
    const struct scmp_arg_cmp *c;
    bool neg;
};

struct leafctx {
    struct bpf_check_stats *st;
    struct group *g;
    const struct sock_filter *prog;
    size_t n;
    int nr;
    bool gave_up; /* a path not followed exactly, or a search not finished: sample instead */
    struct kerr *err;
    /* scratch: the candidates of a half, the conditions per argument */
    uint32_t *hi, *lo;
    size_t cand_cap;
    struct acon *cons[NARGS];
    size_t ncons[NARGS];
    struct bpf_walk walk;
};

/* The scratch memory of the paths' check for a model: per argument as many conditions as the
 * model has, and candidates for them. */
static int leafctx_init(struct leafctx *lc, const struct bpf_model *m)
{
    size_t total = 1, masked = 0;
    for (size_t i = 0; i < m->nrules; i++) {
        total += m->rules[i].ncmp;
        for (unsigned k = 0; k < m->rules[i].ncmp; k++)
            masked += m->rules[i].cmp[k].op == SCMP_CMP_MASKED_EQ;
    }
    /* Past this many masks the candidates may not fit: the search then samples instead. */
    if (masked > CAND_MASKS_MAX)
        masked = CAND_MASKS_MAX;
    *lc = (struct leafctx){.cand_cap = (32 + 8 * total) * (1 + 2 * masked)};
    lc->hi = malloc(lc->cand_cap * sizeof(*lc->hi));
    lc->lo = malloc(lc->cand_cap * sizeof(*lc->lo));
    lc->cons[0] = malloc(NARGS * total * sizeof(struct acon));
    if (!lc->hi || !lc->lo || !lc->cons[0])
        return -ENOMEM;
    for (unsigned i = 1; i < NARGS; i++)
        lc->cons[i] = lc->cons[0] + i * total;
    return 0;
}

static void leafctx_done(struct leafctx *lc)
{
    free(lc->hi);
    free(lc->lo);
    free(lc->cons[0]);
    bpf_walk_free(&lc->walk);
}

static void cand_add(uint32_t *out, size_t *n, size_t cap, const struct bpf_box *b, unsigned w,
                     uint32_t v)
{
    if (!bpf_box_allows(b, w, v))
        return;
    if (*n == cap) {
        *n = cap + 1; /* full: told by a count past cap */
        return;
    }
    if (*n > cap)
        return;
    for (size_t i = 0; i < *n; i++)
        if (out[i] == v)
            return;
    out[(*n)++] = v;
}

/* The values of word w worth trying for a call in box b under conditions c[0..nc): both sides
 * of every bound and every value compared, in the half (high or not) that w holds. */
static size_t half_candidates(const struct bpf_box *b, unsigned w, bool high, const struct acon *c,
                              size_t nc, uint32_t *out, size_t cap)
{
    size_t n = 0;
    if (b->lo[w] == b->hi[w]) { /* the path pins the word */
        cand_add(out, &n, cap, b, w, b->lo[w]);
        return n;
    }
    uint32_t edge[] = {b->lo[w], b->hi[w], b->lo[w] + 1, b->hi[w] - 1, 0, UINT32_MAX};
    for (size_t i = 0; i < ELEMENTSOF(edge); i++)
        cand_add(out, &n, cap, b, w, edge[i]);
    for (unsigned i = 0; i < b->nne[w]; i++) {
        cand_add(out, &n, cap, b, w, b->ne[w][i] - 1);
        cand_add(out, &n, cap, b, w, b->ne[w][i] + 1);
    }
    for (unsigned i = 0; i < b->nmask[w]; i++) {
        const struct bpf_wmask *m = &b->mask[w][i];
        uint32_t low = m->mask & -m->mask;
        cand_add(out, &n, cap, b, w, m->value);
        cand_add(out, &n, cap, b, w, m->value | ~m->mask);
        cand_add(out, &n, cap, b, w, (b->lo[w] & ~m->mask) | m->value);
        cand_add(out, &n, cap, b, w, m->value ^ low);
        cand_add(out, &n, cap, b, w, (m->value ^ low) | ~m->mask);
    }
    for (size_t i = 0; i < nc; i++) {
        uint64_t a = c[i].c->datum_a, v2 = c[i].c->datum_b;
        uint32_t x = (uint32_t)(high ? a >> 32 : a);
        if (c[i].c->op == SCMP_CMP_MASKED_EQ) {
            uint32_t m = x, val = (uint32_t)(high ? v2 >> 32 : v2);
            cand_add(out, &n, cap, b, w, val);
            cand_add(out, &n, cap, b, w, val | ~m);
            cand_add(out, &n, cap, b, w, val ^ (m & -m));
            cand_add(out, &n, cap, b, w, (val ^ (m & -m)) | ~m);
            continue;
        }
        cand_add(out, &n, cap, b, w, x - 1);
        cand_add(out, &n, cap, b, w, x);
        cand_add(out, &n, cap, b, w, x + 1);
    }
    /* A mask with a bound: the values next to each candidate that meet the mask (the value
     * of 0x130 for "(x & 0xf0) == 0x30 and x >= 0x100"). */
    size_t plain = n;
    for (size_t i = 0; i < nc && plain <= cap; i++) {
        if (c[i].c->op != SCMP_CMP_MASKED_EQ)
            continue;
        uint32_t m = (uint32_t)(high ? c[i].c->datum_a >> 32 : c[i].c->datum_a);
        uint32_t v = (uint32_t)(high ? c[i].c->datum_b >> 32 : c[i].c->datum_b) & m;
        for (size_t k = 0; k < plain; k++) {
            cand_add(out, &n, cap, b, w, (out[k] & ~m) | v);
            cand_add(out, &n, cap, b, w, (((out[k] | m) + 1) & ~m) | v);
        }
    }
    return n;
}

/* A value of argument i in box b for which every condition of c[0..nc) holds (negated where
 * asked); false when none of the candidates is one. */
static bool solve_arg(struct leafctx *lc, const struct bpf_box *b, unsigned i, const struct acon *c,
                      size_t nc, uint64_t *ret)
{
    bool le = (lc->g->arch & __AUDIT_ARCH_LE) != 0;
    unsigned wlo = ARG_WORD0 + 2 * i + (le ? 0 : 1), whi = ARG_WORD0 + 2 * i + (le ? 1 : 0);
    if (nc == 0 && bpf_box_allows(b, wlo, 0) && bpf_box_allows(b, whi, 0)) {
        *ret = 0;
        return true;
    }
    size_t nh, nl = half_candidates(b, wlo, false, c, nc, lc->lo, lc->cand_cap);
    if (lc->g->wide) {
        nh = half_candidates(b, whi, true, c, nc, lc->hi, lc->cand_cap);
    } else {
        /* A 32-bit architecture's arguments have no high half. */
        nh = bpf_box_allows(b, whi, 0);
        lc->hi[0] = 0;
    }
    bool full = nh > lc->cand_cap || nl > lc->cand_cap;
    if (full) {
        /* More candidates than room: "none" would not be known. */
        nh = nh > lc->cand_cap ? lc->cand_cap : nh;
        nl = nl > lc->cand_cap ? lc->cand_cap : nl;
    }
    for (size_t h = 0; h < nh; h++)
        for (size_t l = 0; l < nl; l++) {
            uint64_t x = (uint64_t)lc->hi[h] << 32 | lc->lo[l];
            bool all = true;
            for (size_t k = 0; k < nc && all; k++)
                all = cmp_holds(c[k].c, x) != c[k].neg;
            if (all) {
                *ret = x;
                return true;
            }
        }
    /* The candidates are complete for intervals and excluded values, not for masks: with a
     * mask in play, "none" is not known, and the caller samples instead. */
    bool masked = full || b->nmask[wlo] || b->nmask[whi];
    for (size_t k = 0; k < nc && !masked; k++)
        masked = c[k].c->op == SCMP_CMP_MASKED_EQ;
    if (masked)
        lc->gave_up = true;
    return false;
}

/* A call of box b with the conditions of lc->cons on each argument; false when there is none
 * among the candidates. */
static bool solve_call(struct leafctx *lc, const struct bpf_box *b, uint64_t args[NARGS])
{
    for (unsigned i = 0; i < NARGS; i++)
        if (!solve_arg(lc, b, i, lc->cons[i], lc->ncons[i], &args[i]))
            return false;
    return true;
}

/* (a): a rule stricter than the path's value that holds for a call of its box. */
static int stricter_rule(struct leafctx *lc, const struct bpf_box *b, int leaf_rank)
{
    const struct bpf_model *m = lc->g->m;
    for (size_t j = 0; j < lc->g->nrules; j++) {
        const struct bpf_rule *r = &m->rules[lc->g->rules[j]];
        if (rank(r->action) <= leaf_rank)
            continue;
        memset(lc->ncons, 0, sizeof(lc->ncons));
        for (unsigned k = 0; k < r->ncmp; k++) {
            unsigned i = r->cmp[k].arg;
            lc->cons[i][lc->ncons[i]++] = (struct acon){&r->cmp[k], false};
        }
        uint64_t args[NARGS];
        if (!solve_call(lc, b, args))
            continue;
        int e = run_call(lc->g, lc->prog, lc->n, lc->nr, args, lc->err);
        if (e < 0)
            return e;
    }
    return 0;
}

/* (b): a call of the box no rule holds for, when the default is stricter than the path's value:
 * one condition of every rule made false, depth first, the choices undone in turn. */
static void unchoose(struct leafctx *lc, unsigned *choice, size_t j)
{
    const struct bpf_rule *r = &lc->g->m->rules[lc->g->rules[j]];
    lc->ncons[r->cmp[choice[j]].arg]--;
    choice[j]++;
}

static int no_rule(struct leafctx *lc, const struct bpf_box *b)
{
    const struct bpf_model *m = lc->g->m;
    size_t nr = lc->g->nrules;
    for (size_t j = 0; j < nr; j++)
        if (m->rules[lc->g->rules[j]].ncmp == 0)
            return 0; /* an unconditional rule holds for every call */
    _cleanup_free_ unsigned *choice = calloc(nr + 1, sizeof(*choice));
    if (!choice)
        return kerr_set(lc->err, -ENOMEM, "out of memory checking the BPF program");
    memset(lc->ncons, 0, sizeof(lc->ncons));
    size_t j = 0, budget = SEARCH_MAX;
    uint64_t args[NARGS];
    for (;;) {
        if (j == nr) {
            if (solve_call(lc, b, args))
                return run_call(lc->g, lc->prog, lc->n, lc->nr, args, lc->err);
            if (nr == 0)
                return 0;
            unchoose(lc, choice, --j);
            continue;
        }
        const struct bpf_rule *r = &m->rules[lc->g->rules[j]];
        if (choice[j] >= r->ncmp) {
            choice[j] = 0;
            if (j == 0)
                return 0; /* some rule holds for every call of the box */
            unchoose(lc, choice, --j);
            continue;
        }
        if (budget-- == 0) {
            lc->gave_up = true;
            lc->st->searches_cut++;
            return 0;
        }
        const struct scmp_arg_cmp *c = &r->cmp[choice[j]];
        lc->cons[c->arg][lc->ncons[c->arg]++] = (struct acon){c, true};
        if (solve_arg(lc, b, c->arg, lc->cons[c->arg], lc->ncons[c->arg], &args[c->arg])) {
            j++;
            continue;
        }
        lc->ncons[c->arg]--;
        choice[j]++;
    }
}

static int on_leaf(const struct bpf_box *b, uint32_t ret, void *userdata)
{
    struct leafctx *lc = userdata;
    lc->st->paths++;
    if (b->inexact) {
        /* A call picked from the box may take another path: sample the calls instead. */
        lc->gave_up = true;
        return 0;
    }
    int leaf_rank = rank(ret);
    int r = stricter_rule(lc, b, leaf_rank);
    if (r == 0 && rank(lc->g->m->default_action) > leaf_rank)
        r = no_rule(lc, b);
    return r;
}

/* The paths of the group's syscall: 0 (none looser), 1 when they could not all be followed
 * (the caller samples calls instead), or a negative errno. */
static int check_paths(struct group *g, const struct sock_filter *prog, size_t n, int nr,
                       struct kerr *err)
{
    struct leafctx *lc = g->lc;
    lc->g = g;
    lc->prog = prog;
    lc->n = n;
    lc->nr = nr;
    lc->err = err;
    lc->gave_up = false;
    int r = bpf_paths(&lc->walk, prog, n, seen_arch(g->arch), nr, PATHS_MAX, on_leaf, lc);
    if (r == -E2BIG || r == -EOPNOTSUPP)
        return 1;
    if (r == -EINVAL) {
        char a[48];
        arch_token_text(g->arch, a, sizeof(a));
        return kerr_set(err, -EPROTO,
                        "the BPF program libseccomp generated cannot be run as seccomp runs it "
                        "(syscall %d on %s)",
                        nr, a);
    }
    if (r < 0)
        return err->code ? r : kerr_set(err, r, "checking the BPF program: %s", strerror(-r));
    return lc->gave_up ? 1 : 0;
}

static void samples_free(struct samples *s)
{
    for (unsigned i = 0; i < NARGS; i++) {
        free(s->hi[i].v);
        free(s->lo[i].v);
        free(s->whole[i].v);
    }
}

static int sample_group(struct samples *s, const struct sock_filter *prog, size_t n, int nr,
                        struct kerr *err);

/* Whether the profile allows every call of the group's syscall: its rules all allow, and one
 * of them has no condition (so the default never applies). Nothing a program does with such a
 * call is looser than the profile, and its paths need not be followed. */
static bool allowed_always(const struct group *g)
{
    bool unconditional = false;
    for (size_t i = 0; i < g->nrules; i++) {
        const struct bpf_rule *r = &g->m->rules[g->rules[i]];
        if (r->action != SCMP_ACT_ALLOW)
            return false;
        unconditional |= r->ncmp == 0;
    }
    return unconditional;
}

static int check_group(struct group *g, const struct sock_filter *prog, size_t n, int nr,
                       struct kerr *err)
{
    g->lc->st->syscalls++;
    int p = check_paths(g, prog, n, nr, err);
    if (p <= 0)
        return p;
    /* Too many paths, or a search out of budget: calls sampled from the conditions. */
    g->lc->st->sampled++;
    struct samples s = {.g = g};
    p = sample_group(&s, prog, n, nr, err);
    samples_free(&s);
    return p;
}

static int sample_group(struct samples *s, const struct sock_filter *prog, size_t n, int nr,
                        struct kerr *err)
{
    struct group *g = s->g;
    size_t ncmp[NARGS] = {0}, total = 0;
    for (size_t i = 0; i < g->nrules; i++) {
        const struct bpf_rule *r = &g->m->rules[g->rules[i]];
        for (unsigned k = 0; k < r->ncmp; k++)
            ncmp[r->cmp[k].arg]++;
        total += r->ncmp;
    }
    if (total == 0) {
        const uint64_t zero[NARGS] = {0};
        return run_call(g, prog, n, nr, zero, err);
    }
    size_t masks = 0;
    for (size_t j = 0; j < g->nrules; j++) {
        const struct bpf_rule *r = &g->m->rules[g->rules[j]];
        for (unsigned k = 0; k < r->ncmp; k++)
            masks += r->cmp[k].op == SCMP_CMP_MASKED_EQ;
    }
    if (masks > CAND_MASKS_MAX)
        masks = CAND_MASKS_MAX;
    for (unsigned i = 0; i < NARGS; i++) {
        size_t cap = (total * HALVES_PER_CMP + 2) * (1 + 2 * masks);
        s->hi[i].v = malloc(cap * sizeof(uint64_t));
        s->lo[i].v = malloc(cap * sizeof(uint64_t));
        s->whole[i].v = malloc(cap * sizeof(uint64_t));
        if (!s->hi[i].v || !s->lo[i].v || !s->whole[i].v)
            return kerr_set(err, -ENOMEM, "out of memory checking the BPF program");
        add_value(s, i, 0);
        add_value(s, i, UINT64_MAX);
    }
    _Static_assert(VALUES_PER_CMP <= HALVES_PER_CMP, "value bound");
    /* Every compared argument gets the values of every condition of the syscall: libseccomp
     * 2.5.4 can compare one argument's high half with another's value (Kill when a1 != 2^32+1,
     * Kill when a1 != 2^32+2 and a5 == 16: read with a1 = 2^32+3 and a5 = 2^32+15 ran). */
    for (unsigned i = 0; i < NARGS; i++)
        s->used[i] = ncmp[i] > 0;
    for (unsigned i = 0; i < NARGS; i++)
        for (size_t j = 0; j < g->nrules && s->used[i]; j++) {
            const struct bpf_rule *r = &g->m->rules[g->rules[j]];
            for (unsigned k = 0; k < r->ncmp; k++)
                add_cmp_values(s, &r->cmp[k], i);
        }
    /* A mask with a bound: next to each value, the values that meet the mask. */
    for (unsigned i = 0; i < NARGS; i++) {
        size_t plain = s->whole[i].n, used_masks = 0;
        for (size_t j = 0; j < g->nrules && s->used[i]; j++) {
            const struct bpf_rule *r = &g->m->rules[g->rules[j]];
            for (unsigned k = 0; k < r->ncmp && used_masks < masks; k++) {
                if (r->cmp[k].op != SCMP_CMP_MASKED_EQ)
                    continue;
                uint64_t m = r->cmp[k].datum_a, v = r->cmp[k].datum_b & m;
                used_masks++;
                for (size_t w = 0; w < plain; w++) {
                    uint64_t x = s->whole[i].v[w];
                    add_value(s, i, (x & ~m) | v);
                    add_value(s, i, (((x | m) + 1) & ~m) | v);
                }
            }
        }
    }

    size_t grid = 1;
    for (unsigned i = 0; i < NARGS && grid <= BPF_CHECK_GRID_MAX; i++)
        if (s->used[i])
            grid *= s->hi[i].n * s->lo[i].n;
    if (grid <= BPF_CHECK_GRID_MAX)
        return run_grid(s, prog, n, nr, err);
    /* Too many for all: every pair of compared arguments in full (as far as another
     * BPF_CHECK_GRID_MAX calls go), then each argument against anchors. */
    size_t budget = BPF_CHECK_GRID_MAX;
    for (unsigned i = 0; i < NARGS; i++)
        for (unsigned j = i + 1; j < NARGS && s->used[i]; j++) {
            if (!s->used[j])
                continue;
            int r = run_pair(s, prog, n, nr, i, j, &budget, err);
            if (r < 0)
                return r;
        }
    return run_anchored(s, prog, n, nr, err);
}

struct named {
    int nr;
    size_t rule;
};

static int by_nr(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    if (x->nr != y->nr)
        return x->nr < y->nr ? -1 : 1;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Sorts named[0..count) by number, rules of one number in the order the profile gives them
 * (the order they came in): a counting sort over the numbers from base when they span at
 * most COUNT_SORT_SPAN (they do but for arm's own calls), else qsort(). */
#define COUNT_SORT_SPAN 2048
static void sort_named(struct named *named, size_t count, int base, struct named *tmp)
{
    unsigned pos[COUNT_SORT_SPAN + 1];
    for (size_t i = 0; i < count; i++)
        if (named[i].nr < base || named[i].nr - base >= COUNT_SORT_SPAN) {
            qsort(named, count, sizeof(*named), by_nr);
            return;
        }
    memset(pos, 0, sizeof(pos));
    for (size_t i = 0; i < count; i++)
        pos[named[i].nr - base + 1]++;
    for (size_t v = 1; v <= COUNT_SORT_SPAN; v++)
        pos[v] += pos[v - 1];
    for (size_t i = 0; i < count; i++)
        tmp[pos[named[i].nr - base]++] = named[i];
    memcpy(named, tmp, count * sizeof(*named));
}

/* On x32 and MIPS n32 libseccomp compares the low 32 bits of an argument only, while a call
 * passes 64-bit registers: a condition on a value above 32 bits does not hold as written. */
static int low_halves_wide_value(const struct group *g, struct kerr *err)
{
    char arch[48];
    for (size_t j = 0; j < g->nrules; j++) {
        const struct bpf_rule *r = &g->m->rules[g->rules[j]];
        for (unsigned k = 0; k < r->ncmp; k++) {
            uint64_t v = r->cmp[k].op == SCMP_CMP_MASKED_EQ ? r->cmp[k].datum_a | r->cmp[k].datum_b
                                                            : r->cmp[k].datum_a;
            if (v >> 32)
                return kerr_set(err, -EPROTO,
                                "\"%s\" on %s: a condition on argument %u compares a value "
                                "above 32 bits (%#" PRIx64 ") (on a 32-bit architecture, x32 and "
                                "MIPS n32 included, libseccomp compares the low 32 bits of an "
                                "argument only; an x32 or n32 call passes 64 bits, so the rule "
                                "would not hold as written)",
                                r->name, arch_token_text(g->arch, arch, sizeof(arch)),
                                r->cmp[k].arg, v);
        }
    }
    return 0;
}

struct unnamed_walk {
    int want_rank; /* the default action's */
    size_t paths;
};

static int unnamed_leaf(const struct bpf_box *box, uint32_t ret, void *userdata)
{
    (void)box;
    struct unnamed_walk *u = userdata;
    u->paths++;
    return rank(ret) >= u->want_rank ? 0 : -ERANGE;
}

/* Whether every path of the numbers [lo, hi] of arch returns the default action or a stricter
 * one, for any arguments: 0, else 1 (a looser path, or the walk stopped: run them alone). */
static int walk_unnamed(struct leafctx *lc, const struct bpf_model *m, uint32_t arch,
                        const struct sock_filter *prog, size_t n, int lo, int hi)
{
    struct unnamed_walk u = {.want_rank = rank(m->default_action)};
    int r = bpf_paths_range(&lc->walk, prog, n, seen_arch(arch), (uint32_t)lo, (uint32_t)hi,
                            PATHS_MAX, unnamed_leaf, &u);
    lc->st->ranges++;
    lc->st->range_paths += u.paths;
    if (r == 0)
        return 0;
    lc->st->ranges_run++;
    return 1;
}

/* A rule by its syscall's name, ordered by name and then by place in the profile. */
struct by_name {
    const char *name;
    size_t rule;
};

static int by_name_cmp(const void *a, const void *b)
{
    const struct by_name *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->rule > y->rule) - (x->rule < y->rule);
}

/* The first of v[0..n) whose name is not below name (n if none). */
static size_t by_name_first(const struct by_name *v, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first syscall number of an architecture: x32's calls are x86_64's with bit 30 set, and
 * MIPS numbers its ABIs' calls from 4000 (o32), 5000 (n64) and 6000 (n32). */
static int nr_base(uint32_t arch)
{
    switch (arch) {
    case SCMP_ARCH_X32:
        return X32_NR_BASE;
    case SCMP_ARCH_MIPS:
    case SCMP_ARCH_MIPSEL:
        return 4000;
    case SCMP_ARCH_MIPS64:
    case SCMP_ARCH_MIPSEL64:
        return 5000;
    case SCMP_ARCH_MIPS64N32:
    case SCMP_ARCH_MIPSEL64N32:
        return 6000;
    default:
        return 0;
    }
}

static int check_arch(const struct bpf_model *m, uint32_t arch, struct leafctx *lc,
                      struct named *named, size_t *idx, const struct sock_filter *prog, size_t n,
                      struct kerr *err)
{
    size_t count = 0, multiplexed = 0;
    int base = nr_base(arch), top = base;
    for (size_t i = 0; i < m->nrules; i++) {
        const struct bpf_rule *rule = &m->rules[i];
        int nr = rule->memo ? nr_memo_entry_resolve(rule->memo, arch, rule->name)
                            : nr_memo_resolve(m->memo, arch, rule->name);
        /* Negative: not on this architecture, or reached through a multiplexer. */
        if (nr >= 0) {
            named[count++] = (struct named){nr, i};
            top = nr > top ? nr : top;
        } else if (arch_nr_multiplexed(nr)) {
            idx[multiplexed++] = i; /* idx is free until the groups below */
        }
    }
    if (top - base >= UNNAMED_MAX)
        top = base + UNNAMED_MAX - 1;
    int mux[2] = {-1, -1};
    if (multiplexed) {
        /* libseccomp gives such a rule to the multiplexer (socketcall, ipc: without its
         * conditions, which it cannot see) and to the syscall's own number where the
         * architecture has one (socket is 359 on x86), with its conditions: those numbers are
         * checked as the rule's, the multiplexers not at all. */
        mux[0] = nr_memo_resolve(m->memo, arch, "socketcall");
        mux[1] = nr_memo_resolve(m->memo, arch, "ipc");
        /* Up to MUX_SCAN_TOP even when no rule names a number that high: a profile of read
         * and socket has its socket rule at 359. */
        int scan_top = top > base + MUX_SCAN_TOP ? top : base + MUX_SCAN_TOP;
        _cleanup_free_ bool *seen = calloc((size_t)(scan_top - base) + 1, sizeof(*seen));
        if (!seen)
            return kerr_set(err, -ENOMEM, "out of memory checking the BPF program");
        for (size_t i = 0; i < count; i++)
            if (named[i].nr >= base && named[i].nr <= scan_top) /* arm's own calls: above */
                seen[named[i].nr - base] = true;
        /* The multiplexed rules by name, so that each number's name is looked up, not
         * compared with each of them. */
        _cleanup_free_ struct by_name *mx = malloc(multiplexed * sizeof(*mx));
        if (!mx)
            return kerr_set(err, -ENOMEM, "out of memory checking the BPF program");
        for (size_t i = 0; i < multiplexed; i++)
            mx[i] = (struct by_name){m->rules[idx[i]].name, idx[i]};
        qsort(mx, multiplexed, sizeof(*mx), by_name_cmp);
        size_t direct = count;
        for (int nr = base; nr <= scan_top && direct < m->nrules; nr++) {
            if (seen[nr - base])
                continue;
            _cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(arch, nr);
            if (!name)
                continue;
            for (size_t i = by_name_first(mx, multiplexed, name);
                 i < multiplexed && strcmp(mx[i].name, name) == 0 && direct < m->nrules; i++) {
                named[direct++] = (struct named){nr, mx[i].rule};
                top = nr > top ? nr : top; /* the numbers below it are run too */
            }
        }
        count = direct;
    }
    sort_named(named, count, base, named + m->nrules);

    for (size_t i = 0; i < count;) {
        size_t j = i;
        while (j < count && named[j].nr == named[i].nr) {
            idx[j - i] = named[j].rule;
            j++;
        }
        struct group g = {
            .lc = lc,
            .m = m,
            .rules = idx,
            .nrules = j - i,
            .arch = arch,
            .wide = arch_token_wide(arch),
        };
        int r = arch_token_low_halves(arch) ? low_halves_wide_value(&g, err) : 0;
        if (r == 0 && allowed_always(&g))
            lc->st->allowed++;
        else if (r == 0)
            r = check_group(&g, prog, n, named[i].nr, err);
        if (r < 0)
            return r;
        i = j;
    }
    /* Every number no rule names, up to one past the highest named (and one far above): the
     * default action. A run of them is walked at once (its paths for any arguments); when a
     * path of the run is looser than the default, or the walk cannot tell, each number is run
     * alone, which finds it and says so. */
    struct group none = {.m = m, .arch = arch, .wide = arch_token_wide(arch)};
    uint64_t zero[NARGS] = {0};
    size_t k = 0;
    for (int nr = base; nr <= top + 1;) {
        while (k < count && named[k].nr < nr)
            k++;
        if ((k < count && named[k].nr == nr) || nr == mux[0] || nr == mux[1]) {
            nr++;
            continue;
        }
        int end = nr; /* the run: [nr, end] */
        while (end < top + 1 && !(k < count && named[k].nr == end + 1) && end + 1 != mux[0] &&
               end + 1 != mux[1])
            end++;
        if (end == nr || walk_unnamed(lc, m, arch, prog, n, nr, end) != 0)
            for (int one = nr; one <= end; one++) {
                int r = run_call(&none, prog, n, one, zero, err);
                if (r < 0)
                    return r;
            }
        nr = end + 1;
    }
    return run_call(&none, prog, n, base + UNNAMED_MAX + 1, zero, err);
}

int bpf_check(const struct bpf_model *m, const struct sock_filter *prog, size_t n, struct kerr *err)
{
    struct bpf_check_stats st;
    return bpf_check_counted(m, prog, n, &st, err);
}

int bpf_check_counted(const struct bpf_model *m, const struct sock_filter *prog, size_t n,
                      struct bpf_check_stats *st, struct kerr *err)
{
    *st = (struct bpf_check_stats){0};
    _cleanup_free_ struct named *named = malloc((m->nrules ? 2 * m->nrules : 1) * sizeof(*named));
    _cleanup_free_ size_t *idx = malloc((m->nrules ? m->nrules : 1) * sizeof(*idx));
    if (!named || !idx)
        return kerr_set(err, -ENOMEM, "out of memory checking the BPF program");
    struct leafctx lc;
    int init = leafctx_init(&lc, m);
    lc.st = st;
    if (init < 0) {
        leafctx_done(&lc);
        return kerr_set(err, -ENOMEM, "out of memory checking the BPF program");
    }
    int r = 0;
    for (size_t a = 0; a < m->narches && r == 0; a++)
        r = check_arch(m, m->arches[a], &lc, named, idx, prog, n, err);
    leafctx_done(&lc);
    return r;
}
