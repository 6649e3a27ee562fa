/* nr_memo.h - libseccomp's syscall numbers by name, remembered.
 *
 * Owns: a bounded memory of seccomp_syscall_resolve_name_arch()'s answers, for a caller that
 * asks the same ones again and again: a proof worker resolves each rule's name on each of the
 * profile's architectures for every profile it proves (engine/proof.c, engine/bpf_check.c),
 * ~1,500 lookups of ~230 instructions each in libseccomp's tables for a runtime/default-based
 * profile, the same in every proof. libseccomp's tables never change in a process, so a
 * remembered answer is the answer. Pure: no globals (the caller owns it), no I/O.
 *
 * An entry per name holds its numbers on up to NR_MEMO_ARCHES architectures: a caller that
 * found a name's entry once asks it for each architecture without looking the name up again.
 *
 * Bounded: a fixed table of NR_MEMO_SLOTS (~96 KiB) allocated once, filled to NR_MEMO_MAX
 * names; it keeps only names libseccomp knows (its table has ~480), so that profiles refused
 * for unknown names do not fill it. For another name, one of NR_MEMO_NAME_MAX bytes or more,
 * and architectures past an entry's NR_MEMO_ARCHES, libseccomp is asked every time.
 */
#ifndef KSCMP_NR_MEMO_H
#define KSCMP_NR_MEMO_H

#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"

#define NR_MEMO_SLOTS 1024
#define NR_MEMO_MAX 768
#define NR_MEMO_NAME_MAX 40 /* libseccomp 2.5.4's longest: sched_rr_get_interval_time64, 28 */
#define NR_MEMO_ARCHES 6    /* a profile's 3 (x86_64, x86, x32) and the native token 0 */

struct nr_memo;
struct nr_memo_entry;

/* NULL without memory (then pass NULL below: no memory, the same answers). */
struct nr_memo *nr_memo_new(void);
void nr_memo_free(struct nr_memo *m);
DEFINE_CLEANUP_FUNC(struct nr_memo, nr_memo_free)

/* seccomp_syscall_resolve_name_arch(arch, name), remembered in m (NULL: asked each time). */
int nr_memo_resolve(struct nr_memo *m, uint32_t arch, const char *name);

/* m's entry for name, made if need be; NULL when m is NULL or full, the name too long, or
 * one libseccomp does not know on this machine's architecture. Valid until nr_memo_free(m). */
struct nr_memo_entry *nr_memo_entry(struct nr_memo *m, const char *name);

/* The same as nr_memo_resolve(m, arch, name) for the entry of name (e may be NULL: then
 * libseccomp is asked). */
int nr_memo_entry_resolve(struct nr_memo_entry *e, uint32_t arch, const char *name);

/* How many names m holds, and how many answers it gave from memory (for tests). */
size_t nr_memo_count(const struct nr_memo *m);
uint64_t nr_memo_hits(const struct nr_memo *m);

#endif
