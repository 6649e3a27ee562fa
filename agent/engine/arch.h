/* arch.h - architectures and syscall names, as libseccomp knows them.
 *
 * Owns: the table of architectures (kscmp spelling, OCI spelling, libseccomp token, compat
 * set), the node's native architecture, and struct sysdb, which gives every syscall name a
 * small dense id and remembers on which architectures it exists. Pure: asks libseccomp,
 * does no I/O; a sysdb is owned by its caller (no globals).
 */
#ifndef KSCMP_ARCH_H
#define KSCMP_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

typedef uint32_t archmask_t; /* bit i = arch_table index i */

struct arch_info {
    const char *name;   /* "x86_64" */
    const char *oci;    /* "SCMP_ARCH_X86_64" */
    uint32_t token;     /* SCMP_ARCH_X86_64 */
    const char *compat; /* kscmp names of its compat arches, space separated, or "" */
};

size_t arch_count(void);
const struct arch_info *arch_get(size_t i);

/* Parses "x86_64", "amd64", "SCMP_ARCH_X86_64", ...: index into the table, or -EINVAL. */
int arch_parse(const char *s);

/* The index of the architecture of a libseccomp token (its AUDIT_ARCH_ value), or -EINVAL. */
int arch_by_token(uint32_t token);

/* For messages: the OCI name of a token's architecture ("SCMP_ARCH_S390X"), or "architecture
 * 0x12345678" for one the table lacks; returns buf. */
const char *arch_token_text(uint32_t token, char *buf, size_t len);

/* Whether a number libseccomp gives a syscall on an architecture (seccomp_syscall_resolve_name_
 * arch()) is one of a call it multiplexes there, through socketcall or ipc: -101 (socket) to
 * -224 (shmctl), on x86, ppc, ppc64, s390, s390x and MIPS o32. A call an architecture lacks gets
 * -10001 and below. */
bool arch_nr_multiplexed(int nr);

/* Whether libseccomp compares whole 64-bit arguments on an architecture (a libseccomp token).
 * Not on the 32-bit ones, and not on x32 or MIPS n32 either: their calls pass 64-bit registers,
 * but libseccomp numbers them as 32-bit architectures (x32's token has no 64-bit bit; n32's
 * has) and compares the low halves only. */
bool arch_token_wide(uint32_t token);

/* x32 and MIPS n32: 64-bit registers compared by their low halves. */
bool arch_token_low_halves(uint32_t token);

/* The mask of an architecture and its compat ones (x86_64 -> x86_64|x86|x32). */
archmask_t arch_with_compat(int index);

/* The index of the machine's own architecture, or -ENOTSUP. */
int arch_native(void);

/* "x86_64, x86, x32" for messages; returns buf. */
const char *arch_mask_names(archmask_t m, char *buf, size_t len);

struct sysdb;

int sysdb_new(struct sysdb **ret);
void sysdb_free(struct sysdb *db);

/* The id of a syscall name libseccomp knows on some architecture: 0, or -ENOENT for a name
 * unknown everywhere (a typo). Ids are dense, starting at 0, stable for the db's life. */
int sysdb_lookup(struct sysdb *db, const char *name, uint32_t *ret_id);

const char *sysdb_name(const struct sysdb *db, uint32_t id);

/* sysdb_name() and its length. Every name the db holds is made of lower-case letters,
 * digits and underscores (a name of anything else is unknown: -ENOENT). */
const char *sysdb_name_len(const struct sysdb *db, uint32_t id, size_t *ret_len);

/* How many names the db holds; ranks run from 0 to that count - 1. */
size_t sysdb_count(const struct sysdb *db);

/* The place of the id's name among all the db's names in strcmp() order (UINT32_MAX for an
 * id the db does not hold), and the id at a place. A new name shifts the ranks after it. */
uint32_t sysdb_rank(const struct sysdb *db, uint32_t id);
uint32_t sysdb_by_rank(const struct sysdb *db, uint32_t rank);

/* Whether libseccomp knows name as a syscall on some architecture (sysdb_lookup() without a
 * db: for messages). */
bool syscall_name_known(const char *name);

/* The syscall name libseccomp knows that is nearest to name, a misspelling, for "did you
 * mean" (base/spell.h), or NULL when none is near enough. The names it looks in are gathered
 * at the first call (a few hundred; the db keeps them). */
const char *sysdb_nearest(struct sysdb *db, const char *name);

/* The architectures (of the table) on which the syscall exists. */
archmask_t sysdb_arches(const struct sysdb *db, uint32_t id);

#endif
