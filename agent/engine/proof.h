/* proof.h - proves that an OCI LinuxSeccomp profile is one a runtime accepts.
 *
 * Owns: decoding a profile's JSON strictly (only OCI LinuxSeccomp keys and values) and
 * building the filter with libseccomp as runc and crun do (seccomp_init with the default
 * action, every architecture, every rule with its conditions), then generating the BPF
 * program (seccomp_export_bpf_mem() into memory where the linked libseccomp has it, else
 * seccomp_export_bpf() to a memory file) without loading it, and running that program
 * against the profile (engine/bpf_check.h: never looser). The agent runs this on every
 * profile before it writes it; the tests run it on every conformance vector.
 */
#ifndef KSCMP_OCICHECK_H
#define KSCMP_OCICHECK_H

#include <seccomp.h>
#include <stddef.h>

#include "base/error.h"
#include "engine/nr_memo.h"

/* 0 when libseccomp accepts the profile and its program is never looser than it; else a
 * negative errno and err says why (naming the syscalls[] index and field, or the syscall,
 * architecture and arguments where the program is looser: -EPROTO). */
int proof_profile(const char *json, size_t len, struct kerr *err);

/* proof_profile() as a runtime builds the filter on a node of architecture node_arch (an
 * SCMP_ARCH_* token; 0: this machine's, as proof_profile()): libseccomp's filter starts with
 * the node's own architecture, not this machine's (`kscmp compile --arch aarch64` on x86_64).
 * -EXDEV for a node of the other byte order (s390x, ppc64, mips64 here): libseccomp 2.5.4
 * writes parts of such a program in this machine's byte order, so what would be checked is
 * not the node's program; the agent on such a node proves it there. */
int proof_profile_node(const char *json, size_t len, uint32_t node_arch, struct kerr *err);

/* What a proof built with libseccomp and jansson: the filter and the decoded JSON. */
struct proof_keep {
    scmp_filter_ctx ctx;
    struct json_t *root;
};

/* proof_profile_node(), handing what it built to *keep (zeroed first) instead of freeing
 * it: the caller frees it with proof_keep_free(), or, when every block of it came from an
 * allocator that takes them all back at once (a proof worker's region, node/proof_arena.h),
 * drops it, which spares the walk that frees libseccomp's rule database one block at a time
 * (2.3% of a proof's instructions under callgrind, 3-4% of a proof worker's time with
 * bench_agent.py's 250 profiles). memo (NULL: none) remembers the syscall numbers libseccomp
 * gives the profile's names, for the next proofs (engine/nr_memo.h). */
int proof_profile_keep(const char *json, size_t len, uint32_t node_arch, struct nr_memo *memo,
                       struct proof_keep *keep, struct kerr *err);
void proof_keep_free(struct proof_keep *keep);

/* Decodes the profile and builds its filter as proof_profile() does, without generating
 * the program; on success *ret owns the filter (seccomp_release() it). Errors as above. */
int proof_build(const char *json, size_t len, scmp_filter_ctx *ret, struct kerr *err);

#endif
