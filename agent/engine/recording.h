/* recording.h - what a recorder saw, and the SeccompPolicy it amounts to.
 *
 * Owns: struct recorded, the syscalls a recording saw per architecture (an index of the arch
 * table): the sorted distinct names, and apart from them the numbers libseccomp has no name
 * for (reported, never dropped). Adding by number (a recorder's view) or by name (a
 * recording's status), the union of two (containers, replicas and nodes), the JSON kept in
 * a SeccompRecording's status, and the SeccompPolicy allow-list it amounts to: names sorted,
 * the architectures seen, the container runtime's start-up set left to the engine. Pure: no
 * I/O, no globals; sizes are bounded (RECORDED_MAX_*).
 */
#ifndef KSCMP_RECORDING_H
#define KSCMP_RECORDING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "engine/arch.h"

/* Per architecture: at most this many names, and this many unknown numbers. */
#define RECORDED_MAX_NAMES 1024
#define RECORDED_MAX_UNKNOWN 256
/* The longest syscall name accepted from a status. */
#define RECORDED_MAX_NAME_LEN 64

/* x32 syscalls reach seccomp as x86_64 ones with this bit set in the number. */
#define RECORDED_X32_BIT 0x40000000u

struct recorded;

int recorded_new(struct recorded **ret);
void recorded_free(struct recorded *r);
DEFINE_CLEANUP_FUNC(struct recorded, recorded_free)

/* The arch table index of an architecture as seccomp reports it (seccomp_data.arch, an
 * AUDIT_ARCH_* value) for syscall number nr (x32 calls are x86_64 ones with
 * RECORDED_X32_BIT), or -EINVAL for an architecture kscmp does not know. */
int recorded_arch_of(uint32_t audit_arch, uint32_t nr);

/* Adds syscall number nr seen on architecture arch: kept as its name when libseccomp knows
 * one, else as an unknown number. Returns 1 when it is new, 0 when it was there, -EINVAL for
 * a bad arch, -E2BIG when the architecture's list is full. */
int recorded_add_number(struct recorded *r, int arch, uint32_t nr);

/* Adds a syscall name (lower-case letters, digits and '_', at most RECORDED_MAX_NAME_LEN)
 * seen on architecture arch. Returns 1 when new, 0 when there, -EINVAL, -E2BIG. */
int recorded_add_name(struct recorded *r, int arch, const char *name);

/* Adds everything src holds to dst. Returns how many entries were new (0: dst already held
 * all of src), -E2BIG when a list of dst is full or src itself missed some (an add to it found
 * its list full; dst then holds everything else of src), or another negative errno (dst then
 * holds part of src). */
int recorded_merge(struct recorded *dst, const struct recorded *src);

/* The architectures with at least one name or number. */
archmask_t recorded_arches(const struct recorded *r);

/* The sorted names of an architecture (*ret_n of them; NULL when none). */
const char *const *recorded_names(const struct recorded *r, int arch, size_t *ret_n);

/* The sorted unknown numbers of an architecture (*ret_n of them; NULL when none). */
const uint32_t *recorded_unknown(const struct recorded *r, int arch, size_t *ret_n);

/* Whether r holds name on some architecture. */
bool recorded_has_name(const struct recorded *r, const char *name);

bool recorded_equal(const struct recorded *a, const struct recorded *b);

/* The status form: {"syscalls": {"x86_64": [names...], ...}, "unknownSyscalls": {"x86_64":
 * [numbers...]}} as two objects; either is set to NULL when r has nothing for it. New
 * references. */
int recorded_to_json(const struct recorded *r, json_t **ret_syscalls, json_t **ret_unknown);

/* Reads the status form back (either may be NULL). A bad entry is an error naming field
 * (e.g. "status.syscalls.x86_64[3]"); *ret is written only on success. */
int recorded_from_json(const json_t *syscalls, const json_t *unknown, const char *field,
                       struct recorded **ret, struct kerr *err);

struct cprof;

/* What a recording profile keeps of a contributing policy's compiled profile (README, recording in
 * a cluster: nothing blocked that a policy does not block by name): its default becomes Allow, its
 * architectures the node's, its Allow rules go (the default says the same), and its other
 * rules stay, so what it names as blocked stays blocked (deny wins: a recording never learns
 * what its policies forbid). A ceiling's profile is not relaxed (a guardrail stays one): the
 * caller passes it unchanged. *ret is written only on success. */
int recording_relax(const struct cprof *in, archmask_t node_arches, struct cprof **ret);

/* The base of every recording profile: allow everything on the node's architectures; origin
 * names where it comes from ("SeccompRecording demo/web"). */
int recording_allow_all(archmask_t node_arches, const char *origin, struct cprof **ret);

/* The SeccompPolicy NS/NAME that allows what r holds, as YAML: the `# ` comment lines of
 * comment first (may be NULL; control characters are escaped), then a summary of what was
 * seen and of the unknown numbers, then the object. name must be a DNS-1123 subdomain and ns
 * a DNS-1123 label (-EINVAL otherwise). *ret (NUL-terminated) is written only on success. */
int recorded_render_policy(const struct recorded *r, const char *ns, const char *name,
                           const char *comment, char **ret, size_t *ret_len);

#endif
