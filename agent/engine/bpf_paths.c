/* bpf_paths.c - every path of a seccomp BPF program for one syscall, with what it asks. */
#include "engine/bpf_paths.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DATA_LEN 64u
#define SCRATCH_WORDS 16
#define WORD_NR 0
#define WORD_ARCH 1

/* What a register holds on a path: a known value, a word of the call, a word under a mask, or
 * something else. */
enum reg_kind { REG_CONST, REG_WORD, REG_MASKED, REG_OTHER };

struct reg {
    uint8_t kind;
    uint8_t word;
    uint32_t v; /* the value (REG_CONST) or the mask (REG_MASKED) */
};

struct bpf_frame {
    size_t pc;
    struct reg a, x, mem[SCRATCH_WORDS];
    struct bpf_box box;
};

bool bpf_box_allows(const struct bpf_box *b, unsigned w, uint32_t v)
{
    if (v < b->lo[w] || v > b->hi[w])
        return false;
    for (unsigned i = 0; i < b->nne[w]; i++)
        if (v == b->ne[w][i])
            return false;
    for (unsigned i = 0; i < b->nmask[w]; i++) {
        const struct bpf_wmask *m = &b->mask[w][i];
        if (((v & m->mask) == m->value) != m->equal)
            return false;
    }
    return true;
}

static void add_ne(struct bpf_box *b, unsigned w, uint32_t v)
{
    if (b->nne[w] < BPF_WORD_CONS)
        b->ne[w][b->nne[w]++] = v;
    else
        b->inexact = true; /* left out: the box holds more than the path */
}

static void add_mask(struct bpf_box *b, unsigned w, uint32_t mask, uint32_t value, bool equal)
{
    if (b->nmask[w] < BPF_WORD_CONS)
        b->mask[w][b->nmask[w]++] = (struct bpf_wmask){mask, value, equal};
    else
        b->inexact = true;
}

/* Narrows f's box by "word op k" being taken (or not); false when no value of the word is left
 * by the interval (the path cannot be taken). */
static bool narrow_word(struct bpf_box *b, unsigned w, uint16_t op, uint32_t k, bool taken)
{
    switch (op) {
    case BPF_JEQ:
        if (taken) {
            if (!bpf_box_allows(b, w, k))
                return false;
            b->lo[w] = b->hi[w] = k;
            return true;
        }
        if (b->lo[w] == k && b->hi[w] == k)
            return false;
        add_ne(b, w, k);
        return true;
    case BPF_JGT:
        if (taken) {
            if (k == UINT32_MAX || b->hi[w] <= k)
                return false;
            if (b->lo[w] <= k)
                b->lo[w] = k + 1;
            return true;
        }
        if (b->lo[w] > k)
            return false;
        if (b->hi[w] > k)
            b->hi[w] = k;
        return true;
    case BPF_JGE:
        if (taken) {
            if (b->hi[w] < k)
                return false;
            if (b->lo[w] < k)
                b->lo[w] = k;
            return true;
        }
        if (k == 0 || b->lo[w] >= k)
            return false;
        if (b->hi[w] >= k)
            b->hi[w] = k - 1;
        return true;
    case BPF_JSET:
        add_mask(b, w, k, 0, !taken);
        return true;
    default:
        return true;
    }
}

/* The same for "(word & mask) op k". */
static bool narrow_masked(struct bpf_box *b, unsigned w, uint32_t mask, uint16_t op, uint32_t k,
                          bool taken)
{
    switch (op) {
    case BPF_JEQ:
        if (taken && (k & ~mask))
            return false;
        add_mask(b, w, mask, k, taken);
        return true;
    case BPF_JSET:
        add_mask(b, w, mask & k, 0, !taken);
        return true;
    default:
        b->inexact = true; /* JGT, JGE on a masked word: not recorded */
        return true;
    }
}

int bpf_alu(uint16_t op, uint32_t *a, uint32_t src)
{
    switch (op) {
    case BPF_ADD:
        *a += src;
        return 0;
    case BPF_SUB:
        *a -= src;
        return 0;
    case BPF_MUL:
        *a *= src;
        return 0;
    case BPF_DIV:
        if (!src)
            return -EINVAL;
        *a /= src;
        return 0;
    case BPF_MOD:
        if (!src)
            return -EINVAL;
        *a %= src;
        return 0;
    case BPF_AND:
        *a &= src;
        return 0;
    case BPF_OR:
        *a |= src;
        return 0;
    case BPF_XOR:
        *a ^= src;
        return 0;
    case BPF_LSH:
        *a = src < 32 ? *a << src : 0;
        return 0;
    case BPF_RSH:
        *a = src < 32 ? *a >> src : 0;
        return 0;
    case BPF_NEG:
        *a = -*a;
        return 0;
    default:
        return -EINVAL;
    }
}

int bpf_jump(uint16_t op, uint32_t a, uint32_t src, bool *taken)
{
    switch (op) {
    case BPF_JEQ:
        *taken = a == src;
        return 0;
    case BPF_JGT:
        *taken = a > src;
        return 0;
    case BPF_JGE:
        *taken = a >= src;
        return 0;
    case BPF_JSET:
        *taken = (a & src) != 0;
        return 0;
    default:
        return -EINVAL;
    }
}

/* One ALU instruction on register a. -EINVAL for one seccomp refuses (an unknown operation,
 * division by a constant 0). */
static int step_alu(struct reg *a, const struct reg *x, const struct sock_filter *f)
{
    uint16_t op = BPF_OP(f->code);
    if (op > BPF_XOR)
        return -EINVAL;
    bool by_x = BPF_SRC(f->code) == BPF_X && op != BPF_NEG;
    struct reg src = by_x ? *x : (struct reg){.kind = REG_CONST, .v = f->k};
    if (!by_x && (op == BPF_DIV || op == BPF_MOD) && f->k == 0)
        return -EINVAL;
    if (a->kind == REG_CONST && (src.kind == REG_CONST || op == BPF_NEG)) {
        uint32_t v = a->v;
        if (bpf_alu(op, &v, src.v) < 0)
            return by_x ? (a->kind = REG_OTHER, 0) : -EINVAL;
        a->v = v;
        return 0;
    }
    if (op == BPF_AND && src.kind == REG_CONST && a->kind == REG_WORD) {
        *a = (struct reg){.kind = REG_MASKED, .word = a->word, .v = src.v};
        return 0;
    }
    if (op == BPF_AND && src.kind == REG_CONST && a->kind == REG_MASKED) {
        a->v &= src.v;
        return 0;
    }
    a->kind = REG_OTHER;
    return 0;
}

void bpf_walk_free(struct bpf_walk *w)
{
    free(w->stack);
    free(w->cur);
    *w = (struct bpf_walk){0};
}

static int push(struct bpf_walk *w, const struct bpf_frame *f)
{
    if (w->depth == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        struct bpf_frame *s = realloc(w->stack, cap * sizeof(*s));
        if (!s)
            return -ENOMEM;
        w->stack = s;
        w->cap = cap;
    }
    w->stack[w->depth++] = *f;
    return 0;
}

/* Whether "word op k" is taken for every value of the word's interval (1), for none (0), or
 * for some only (-1): what narrow_word() finds for the two ways, without the copy of the frame
 * (a value of the interval the box excludes otherwise cannot change the answer, but for an
 * equality with the interval's only value, left to narrow_word()). */
static int decided(const struct bpf_box *b, unsigned w, uint16_t op, uint32_t k)
{
    uint32_t lo = b->lo[w], hi = b->hi[w];
    switch (op) {
    case BPF_JEQ:
        if (lo == k && hi == k)
            return b->nne[w] || b->nmask[w] ? -1 : 1;
        return k < lo || k > hi ? 0 : -1;
    case BPF_JGT:
        if (lo > k)
            return 1;
        return hi <= k ? 0 : -1;
    case BPF_JGE:
        if (lo >= k)
            return 1;
        return hi < k ? 0 : -1;
    default:
        return -1;
    }
}

/* One conditional jump of f: follows one way and pushes the other when both can be taken. */
static int step_jump(struct bpf_walk *w, struct bpf_frame *f, const struct sock_filter *ins,
                     size_t n, bool *dead)
{
    uint16_t op = BPF_OP(ins->code);
    if (op != BPF_JEQ && op != BPF_JGT && op != BPF_JGE && op != BPF_JSET)
        return -EINVAL;
    if (ins->jt >= n - f->pc || ins->jf >= n - f->pc)
        return -EINVAL;
    struct reg src =
        BPF_SRC(ins->code) == BPF_X ? f->x : (struct reg){.kind = REG_CONST, .v = ins->k};
    if (f->a.kind == REG_CONST && src.kind == REG_CONST) {
        bool t = false;
        (void)bpf_jump(op, f->a.v, src.v, &t);
        f->pc += t ? ins->jt : ins->jf;
        return 0;
    }
    if (src.kind == REG_CONST && f->a.kind == REG_WORD) {
        /* Decided by the word's interval (the syscall number's in a range walk, mostly): one
         * way, without copying the frame (nor adding to the box an excluded value outside its
         * interval, as narrow_word() would). */
        int d = decided(&f->box, f->a.word, op, src.v);
        if (d >= 0) {
            f->pc += d ? ins->jt : ins->jf;
            return 0;
        }
    }
    struct bpf_frame other = *f;
    bool can_t = true, can_f = true;
    if (src.kind == REG_CONST && f->a.kind == REG_WORD) {
        can_t = narrow_word(&f->box, f->a.word, op, src.v, true);
        can_f = narrow_word(&other.box, f->a.word, op, src.v, false);
    } else if (src.kind == REG_CONST && f->a.kind == REG_MASKED) {
        can_t = narrow_masked(&f->box, f->a.word, f->a.v, op, src.v, true);
        can_f = narrow_masked(&other.box, f->a.word, f->a.v, op, src.v, false);
    } else {
        /* A comparison of something computed, or with X: not recorded. */
        f->box.inexact = other.box.inexact = true;
    }
    other.pc += ins->jf;
    f->pc += ins->jt;
    if (can_f && can_t) {
        int r = push(w, &other);
        if (r < 0)
            return r;
    } else if (can_f) {
        *f = other;
    } else if (!can_t) {
        *dead = true;
    }
    return 0;
}

static int step_load(struct bpf_frame *f, const struct sock_filter *ins, uint32_t arch)
{
    struct reg v;
    switch (BPF_MODE(ins->code)) {
    case BPF_ABS:
        if (BPF_CLASS(ins->code) != BPF_LD || BPF_SIZE(ins->code) != BPF_W || ins->k % 4 ||
            ins->k > DATA_LEN - 4)
            return -EINVAL;
        /* The syscall number is known, or (bpf_paths_range()) a word in an interval. */
        if (ins->k / 4 == WORD_NR && f->box.lo[WORD_NR] == f->box.hi[WORD_NR])
            v = (struct reg){.kind = REG_CONST, .v = f->box.lo[WORD_NR]};
        else if (ins->k / 4 == WORD_ARCH)
            v = (struct reg){.kind = REG_CONST, .v = arch};
        else
            v = (struct reg){.kind = REG_WORD, .word = (uint8_t)(ins->k / 4)};
        break;
    case BPF_LEN:
        if (BPF_SIZE(ins->code) != BPF_W)
            return -EINVAL;
        v = (struct reg){.kind = REG_CONST, .v = DATA_LEN};
        break;
    case BPF_IMM:
        v = (struct reg){.kind = REG_CONST, .v = ins->k};
        break;
    case BPF_MEM:
        if (ins->k >= SCRATCH_WORDS)
            return -EINVAL;
        v = f->mem[ins->k];
        break;
    default:
        return -EINVAL;
    }
    if (BPF_CLASS(ins->code) == BPF_LD)
        f->a = v;
    else
        f->x = v;
    return 0;
}

/* Runs f to its next return, pushing the other side of every branch; 1 and *ret at a return,
 * 0 when the path cannot be taken, else a negative errno. */
static int run_path(struct bpf_walk *w, struct bpf_frame *f, const struct sock_filter *prog,
                    size_t n, uint32_t arch, size_t *steps, uint32_t *ret)
{
    while (f->pc < n) {
        if ((*steps)-- == 0)
            return -E2BIG;
        const struct sock_filter *ins = &prog[f->pc++];
        if (ins->code > 0xff) /* no instruction has these bits */
            return -EINVAL;
        int r = 0;
        switch (BPF_CLASS(ins->code)) {
        case BPF_LD:
        case BPF_LDX:
            r = step_load(f, ins, arch);
            break;
        case BPF_ST:
        case BPF_STX:
            if (ins->k >= SCRATCH_WORDS)
                return -EINVAL;
            f->mem[ins->k] = BPF_CLASS(ins->code) == BPF_ST ? f->a : f->x;
            break;
        case BPF_ALU:
            if (BPF_SRC(ins->code) == BPF_X &&
                (BPF_OP(ins->code) == BPF_DIV || BPF_OP(ins->code) == BPF_MOD) &&
                (f->x.kind != REG_CONST || f->x.v == 0)) {
                /* Dividing by an X of 0 ends the program with 0 (KILL_THREAD): that path here,
                 * and when X may be something else, the path that goes on. */
                if (f->x.kind != REG_CONST) {
                    struct bpf_frame on = *f;
                    on.a.kind = REG_OTHER;
                    r = push(w, &on);
                    if (r < 0)
                        return r;
                }
                *ret = 0;
                return 1;
            }
            r = step_alu(&f->a, &f->x, ins);
            break;
        case BPF_JMP:
            if (BPF_OP(ins->code) == BPF_JA) {
                if (ins->k >= n - f->pc)
                    return -EINVAL;
                f->pc += ins->k;
                break;
            }
            bool dead = false;
            r = step_jump(w, f, ins, n, &dead);
            if (r == 0 && dead)
                return 0;
            break;
        case BPF_RET:
            if (BPF_RVAL(ins->code) == BPF_K) {
                *ret = ins->k;
                return 1;
            }
            if (BPF_RVAL(ins->code) != BPF_A)
                return -EINVAL;
            if (f->a.kind != REG_CONST)
                return -EOPNOTSUPP; /* returns what it computed from the call: not followed */
            *ret = f->a.v;
            return 1;
        case BPF_MISC:
            if (BPF_MISCOP(ins->code) == BPF_TAX)
                f->x = f->a;
            else if (BPF_MISCOP(ins->code) == BPF_TXA)
                f->a = f->x;
            else
                return -EINVAL;
            break;
        default:
            return -EINVAL;
        }
        if (r < 0)
            return r;
    }
    return -EINVAL;
}

int bpf_paths(struct bpf_walk *w, const struct sock_filter *prog, size_t n, uint32_t arch,
              int32_t nr, size_t max_leaves, int (*leaf)(const struct bpf_box *, uint32_t, void *),
              void *userdata)
{
    return bpf_paths_range(w, prog, n, arch, (uint32_t)nr, (uint32_t)nr, max_leaves, leaf,
                           userdata);
}

int bpf_paths_range(struct bpf_walk *w, const struct sock_filter *prog, size_t n, uint32_t arch,
                    uint32_t nr_lo, uint32_t nr_hi, size_t max_leaves,
                    int (*leaf)(const struct bpf_box *, uint32_t, void *), void *userdata)
{
    if (nr_lo > nr_hi)
        return -EINVAL;
    w->depth = 0;
    /* The frame the paths run in, zeroed once: a start sets what the paths read (the
     * excluded values and masks past the counts are not). */
    if (!w->cur && !(w->cur = calloc(1, sizeof(*w->cur))))
        return -ENOMEM;
    struct bpf_frame *f = w->cur;
    f->pc = 0;
    f->a = f->x = (struct reg){.kind = REG_CONST};
    for (unsigned i = 0; i < SCRATCH_WORDS; i++)
        f->mem[i] = (struct reg){.kind = REG_CONST};
    for (unsigned i = 0; i < BPF_WORDS; i++) {
        f->box.lo[i] = 0;
        f->box.hi[i] = UINT32_MAX;
        f->box.nne[i] = f->box.nmask[i] = 0;
    }
    f->box.inexact = false;
    f->box.lo[WORD_NR] = nr_lo;
    f->box.hi[WORD_NR] = nr_hi;
    f->box.lo[WORD_ARCH] = f->box.hi[WORD_ARCH] = arch;

    size_t steps = max_leaves * (n + 1), leaves = 0;
    /* The first path from the start, the others from the frames its branches pushed. */
    for (;;) {
        uint32_t ret;
        int r = run_path(w, f, prog, n, arch, &steps, &ret);
        if (r == 1)
            r = ++leaves > max_leaves ? -E2BIG : leaf(&f->box, ret, userdata);
        if (r < 0)
            return r;
        if (w->depth == 0)
            return 0;
        *f = w->stack[--w->depth];
    }
}
