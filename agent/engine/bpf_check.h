/* bpf_check.h - runs the program libseccomp built for a profile and compares it with the
 * profile, call by call.
 *
 * Owns: a small interpreter of the classic BPF subset seccomp runs (struct seccomp_data in,
 * the SECCOMP_RET_* value out), and the check that the program is never looser than the
 * profile it was built from. libseccomp 2.5.4 loses one of several overlapping rules of a
 * syscall in some cases (two KILL rules `a0 < 16` and `a0 < 2^32`: `personality(16)` runs), so
 * the proof does not take its program on trust.
 *
 * What the profile means for a call: the most restrictive of the rules that name the syscall
 * and whose conditions all hold (the renderer gives every two rules that can match one call
 * the same action, so this is also the action of any one of them), else the default action.
 * Rank, most restrictive first: KILL_PROCESS, KILL_THREAD, TRAP, ERRNO (any errno), TRACE,
 * LOG, ALLOW. The program may be stricter than that, never looser.
 *
 * Which calls are run: for every architecture of the filter and every syscall a rule names
 * there, arguments built from the conditions on that syscall. For each argument index a
 * condition compares, the values at both sides of every boundary, in each 32-bit half (the
 * program compares the halves one by one): for a value v the halves of v-1, v and v+1, for a
 * MASKED_EQ the masked value, it with every bit outside the mask set, and with the lowest and
 * the highest bit of the mask flipped, and 0 and all ones; every high half is combined with
 * every low half. When the combinations of all compared arguments number at most
 * BPF_CHECK_GRID_MAX, every one is run: for conditions without MASKED_EQ that is one call in
 * every region where the profile's answer and the program's comparisons are constant, so the
 * check is exhaustive. Past that, each argument's values are run against a few anchors (every
 * argument 0, and for each rule one call that satisfies it), at most BPF_CHECK_GRID_MAX calls
 * for the syscall. A syscall no rule names is run once per architecture (the default action).
 * Syscalls that an architecture reaches only through a multiplexer (socket on 32-bit x86, by
 * socketcall) are not run there: libseccomp drops their conditions on purpose.
 */
#ifndef KSCMP_BPF_CHECK_H
#define KSCMP_BPF_CHECK_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define BPF_CHECK_GRID_MAX 4096
#define BPF_CHECK_ARCH_MAX 16

/* One rule as a runtime adds it to libseccomp: a syscall name, an action (a libseccomp action
 * value, SCMP_ACT_*) and conditions that must all hold. */
struct bpf_rule {
    const char *name;
    uint32_t action;
    unsigned ncmp;
    struct scmp_arg_cmp cmp[6];
};

/* A profile as the check needs it; the names point into memory the caller keeps. */
struct bpf_model {
    uint32_t default_action;
    uint32_t arches[BPF_CHECK_ARCH_MAX]; /* SCMP_ARCH_* tokens (AUDIT_ARCH_* values) */
    size_t narches;
    struct bpf_rule *rules; /* owned (free()) */
    size_t nrules, cap;
};

/* The 64 bytes of struct seccomp_data, as values: the interpreter lays them out in the
 * architecture's byte order (AUDIT_ARCH_* says which). */
struct bpf_call {
    int32_t nr;
    uint32_t arch;
    uint64_t args[6];
};

/* Runs prog[0..n) on call as seccomp would: 0 and *ret the value returned, or -EINVAL when the
 * program is not one seccomp would run to a return (an unknown instruction, a load outside
 * struct seccomp_data, a jump out of the program, no return). */
int bpf_run(const struct sock_filter *prog, size_t n, const struct bpf_call *call, uint32_t *ret);

/* 0 when the program is never looser than the model on the calls above; else a negative errno
 * and err names the syscall, the architecture, the arguments and both answers. */
int bpf_check(const struct bpf_model *m, const struct sock_filter *prog, size_t n,
              struct kerr *err);

#endif
