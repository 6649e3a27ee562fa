/* startup.h - the container runtime's start-up syscalls (docs/policies.md).
 *
 * Owns: the syscalls runc and crun make in a container's first process (and in a process
 * that `exec` starts in it) after they have loaded the container's seccomp filter and before
 * the program runs, as data: the long set (the container may gain privileges, Kubernetes'
 * default: the filter goes in before the runtime drops capabilities and changes user) and
 * the short set (no_new_privs: the filter goes in just before execve), the union of both
 * runtimes, each entry with the runtime step that needs it and, where removing it alone was
 * not seen to stop a container, why it stays. Per architecture: which names the node's
 * runtime uses and how that was found. Also applying a set to a merged profile and finding
 * the start-up syscalls a profile blocks. Pure: constant data, no I/O, no state.
 */
#ifndef KSCMP_STARTUP_H
#define KSCMP_STARTUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/arch.h"
#include "engine/profile.h"

enum startup_mode {
    STARTUP_LONG,  /* some container using the profile may gain privileges */
    STARTUP_SHORT, /* every container using it sets allowPrivilegeEscalation: false */
};

struct startup_entry {
    const char *name;       /* as libseccomp spells it on 64-bit architectures */
    const char *name32;     /* on 32-bit ones (arm) when the runtimes use another call */
    const char *step_long;  /* what needs it in the long set; NULL: not in it */
    const char *step_short; /* what needs it in the short set; NULL: not in it */
    const char *stays;      /* NULL: a test shows that without it a container does not start
                             * under runc or crun; else why it stays all the same */
};

/* Why e stays in the set of mode though no test here shows a start failing without it, or NULL
 * when a test does. */
const char *startup_stays(const struct startup_entry *e, enum startup_mode m);

/* Every entry, in table order; *ret_n is set to their count. */
const struct startup_entry *startup_entries(size_t *ret_n);

/* "long" or "short". */
const char *startup_mode_name(enum startup_mode m);

/* The name the runtimes of a node of architecture arch (an arch.h index) use for e, or NULL
 * when e does not apply there. */
const char *startup_name(const struct startup_entry *e, int arch, struct sysdb *db);

/* The step text of e in mode m, or NULL when e is not in that set. */
const char *startup_step(const struct startup_entry *e, enum startup_mode m);

/* How the names for architecture arch were found (measured, or derived from the source). */
const char *startup_derivation(int arch);

/* The most entries the table holds (startup.c checks it). */
#define STARTUP_ENTRIES_MAX 64

/* The start-up set of mode m on a node of architecture arch, resolved once against a db: the
 * entries of that mode that apply there, in table order, each with the node's name for it and
 * that name's id (looked up once: ids are stable for a db's life). */
struct startup_set {
    enum startup_mode mode;
    size_t n;
    struct startup_member {
        const struct startup_entry *entry;
        const char *name;
        uint32_t id;
    } member[STARTUP_ENTRIES_MAX];
};

void startup_set_init(struct startup_set *s, enum startup_mode m, int arch, struct sysdb *db);

/* Whether syscall id sys is in set s (a ceiling has no say on those it does not name, 3.6). */
bool startup_set_has(const struct startup_set *s, uint32_t sys);

/* The start-up rule (docs/policies.md) on a merged profile p: when p's default is not Allow,
 * each syscall of set s that p does not name (no contributing policy named it) gets Allow, its
 * origin "container start-up: STEP". */
int startup_apply_set(struct cprof *p, const struct startup_set *s);

/* One start-up syscall a profile does not allow. */
struct startup_block {
    const struct startup_entry *entry;
    const char *name; /* the node's name for it */
    bool conditional; /* blocked only when some argument condition holds */
};

/* Whether a refusal of e with an errno lets the runtime take another way, the container
 * starting all the same (its step says so): only a kill or a trap stops it there. */
bool startup_errno_falls_back(const struct startup_entry *e);

/* The syscalls of set s that p blocks (an action other than Allow or Audit, always or under
 * some argument condition; for an entry the runtime falls back from, an action other than
 * those, Errno and Trace), in table order, into ret (the caller frees it; NULL when none). */
int startup_blocked_set(const struct cprof *p, const struct startup_set *s,
                        struct startup_block **ret, size_t *ret_n);

/* "execve (runc, crun: start the container's program), ..." for messages; the caller frees
 * *ret. */
int startup_blocked_text(const struct startup_block *v, size_t n, enum startup_mode m, char **ret);

#endif
