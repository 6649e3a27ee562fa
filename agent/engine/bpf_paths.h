/* bpf_paths.h - the paths a seccomp BPF program can take for one syscall on one architecture.
 *
 * Owns: walking every path of a program (jumps go forward only, so paths end) for a call
 * whose architecture and syscall number (or an interval of numbers) are known and whose
 * arguments are not, and telling,
 * for each return, what the path asked of each word of struct seccomp_data on the way: an
 * interval, values it is not, and masked comparisons (the box). libseccomp's programs load a
 * word, maybe AND it with a mask, and compare it with a constant; a path through anything else
 * (arithmetic on an argument, the scratch memory) leaves that comparison unrecorded, so a box
 * can hold calls that take another path: the caller runs the calls it picks from a box
 * (bpf_run) rather than trust it.
 */
#ifndef KSCMP_BPF_PATHS_H
#define KSCMP_BPF_PATHS_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPF_WORDS 16    /* 32-bit words of struct seccomp_data */
#define BPF_WORD_CONS 4 /* values a path is not, and masked comparisons, kept per word */

struct bpf_wmask {
    uint32_t mask, value;
    bool equal; /* (word & mask) == value, else != */
};

struct bpf_box {
    uint32_t lo[BPF_WORDS], hi[BPF_WORDS];
    uint8_t nne[BPF_WORDS], nmask[BPF_WORDS];
    uint32_t ne[BPF_WORDS][BPF_WORD_CONS];
    struct bpf_wmask mask[BPF_WORDS][BPF_WORD_CONS];
    bool inexact; /* a comparison on the way is not in the box: it holds calls of other paths */
};

/* Whether word w (an index into struct seccomp_data's words) may be v in box b. */
bool bpf_box_allows(const struct bpf_box *b, unsigned w, uint32_t v);

/* What one ALU operation (BPF_ADD ... BPF_NEG) makes of *a with src, and whether one jump
 * (BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET) of a against src is taken: 0, or -EINVAL for an
 * operation seccomp does not know or a division by 0. The interpreter (bpf_run) and the walk
 * share them. */
int bpf_alu(uint16_t op, uint32_t *a, uint32_t src);
int bpf_jump(uint16_t op, uint32_t a, uint32_t src, bool *taken);

/* Scratch memory for bpf_paths(), kept between calls; zero it first, bpf_walk_free() it after. */
struct bpf_walk {
    struct bpf_frame *cur; /* the path being followed */
    struct bpf_frame *stack;
    size_t depth, cap;
};

void bpf_walk_free(struct bpf_walk *w);

/* Calls leaf(box, ret, userdata) for every path of prog[0..n) that a call of syscall nr on
 * architecture arch (its AUDIT_ARCH_* value) can take, ret the value the path returns; stops at
 * leaf's first negative return and returns it. -E2BIG after more than max_leaves paths (or
 * steps past the program's length times max_leaves), -EINVAL for a program seccomp would not
 * run to a return on some path (as bpf_run()), -ENOMEM. */
int bpf_paths(struct bpf_walk *w, const struct sock_filter *prog, size_t n, uint32_t arch,
              int32_t nr, size_t max_leaves, int (*leaf)(const struct bpf_box *, uint32_t, void *),
              void *userdata);

/* The same for every syscall number in [nr_lo, nr_hi] at once: the number is then a word of
 * the box as the arguments are (a path's box says which numbers take it). -EINVAL also for
 * nr_lo > nr_hi. */
int bpf_paths_range(struct bpf_walk *w, const struct sock_filter *prog, size_t n, uint32_t arch,
                    uint32_t nr_lo, uint32_t nr_hi, size_t max_leaves,
                    int (*leaf)(const struct bpf_box *, uint32_t, void *), void *userdata);

#endif
