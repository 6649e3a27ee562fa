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
 * there (but those the profile allows always, whatever the arguments: nothing is looser than
 * that; a fault of the program on their paths is left to the kernel, which checks every
 * instruction when the filter is loaded and refuses it), the program's paths for that syscall
 * (engine/bpf_paths.h: what each path asks of each 32-bit word of the arguments, and what it
 * returns). For each path: a call on it for which a rule stricter than the path's return holds (per
 * argument, a value that meets the rule's conditions and the path's words, tried among both sides
 * of every bound and compared value, and the values next to each of them that meet each mask), and
 * when the default is stricter than the return, a call on it for which no rule holds (one condition
 * of every rule made false, searched depth first, at most SEARCH_MAX steps). Each call found is run
 * by the interpreter, which decides. For conditions other than MASKED_EQ the candidates hold a call
 * in every region of a word where the comparisons give one answer, so on a path the walk records
 * exactly no looser call is missed. Calls sampled from the conditions are run instead for the
 * syscall when a path is not recorded exactly (more than BPF_WORD_CONS excluded values or masks
 * on a word, a comparison of a computed value), when there are more than PATHS_MAX paths, when
 * a search runs out of steps, and when a search that meets a mask finds no call (masks are not
 * settled exactly): for each argument a condition compares, the values at both sides of every
 * compared value (of every argument: a program may compare the wrong one) in each 32-bit half
 * and those next to them that meet each mask, all combinations when they are at most
 * BPF_CHECK_GRID_MAX, else every pair of arguments and each argument against anchors. Every
 * syscall number no rule names, from the architecture's first (0; x32 0x40000000; MIPS 4000,
 * 5000 or 6000) up to one past the highest named, gets the default action or a stricter one
 * on every architecture, and one far above: each run of such numbers is walked at once (its
 * paths for any arguments, the number an interval), and when one of its paths returns
 * something looser, or the walk cannot follow them, each number of the run is run alone
 * (arguments 0), which finds the looser one. On architectures that multiplex calls (socket and the
 * IPC calls on x86, ppc, s390 and MIPS o32, through socketcall and ipc), the calls are run at their
 * own numbers (found among the first 512 at least; 337-402 on x86), where libseccomp keeps their
 * conditions, and the multiplexers not at all: libseccomp drops the conditions there on
 * purpose, since the filter cannot see the arguments. On x32 and MIPS n32, whose calls pass
 * 64-bit registers that libseccomp compares by their low halves, the arguments are 32-bit
 * values, and a condition on a value above 32 bits is refused outright.
 */
#ifndef KSCMP_BPF_CHECK_H
#define KSCMP_BPF_CHECK_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "engine/nr_memo.h"

#define BPF_CHECK_GRID_MAX 4096
#define BPF_CHECK_ARCH_MAX 16

/* One rule as a runtime adds it to libseccomp: a syscall name, an action (a libseccomp action
 * value, SCMP_ACT_*) and conditions that must all hold. A profile entry that compares one
 * argument twice becomes one rule per comparison, as runc and crun add it. */
struct bpf_rule {
    const char *name;
    struct nr_memo_entry *memo; /* its name's numbers (engine/nr_memo.h), or NULL */
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
    struct nr_memo *memo; /* the caller's: names resolved (engine/nr_memo.h); NULL: asked each
                           * time */
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

/* What a check did, counted over its architectures. */
struct bpf_check_stats {
    size_t syscalls;     /* syscall numbers a rule names, whose paths were followed */
    size_t allowed;      /* syscall numbers the profile allows always: nothing to follow */
    size_t paths;        /* paths of those syscalls' programs */
    size_t sampled;      /* syscalls checked by sampled calls instead (see above) */
    size_t searches_cut; /* searches for a call no rule holds for that ran out of steps */
    size_t ranges;       /* runs of numbers no rule names, walked at once */
    size_t range_paths;  /* paths of those walks */
    size_t ranges_run;   /* of those runs, the ones whose numbers were then run one by one */
};

/* bpf_check(), and *st (zeroed first) says what it did. */
int bpf_check_counted(const struct bpf_model *m, const struct sock_filter *prog, size_t n,
                      struct bpf_check_stats *st, struct kerr *err);

#endif
