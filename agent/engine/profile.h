/* profile.h - compiled profiles: one policy after inheritance, merges, and OCI rendering.
 *
 * Owns: the semantics of docs/policies.md on compiled data (3.1 one policy, 3.2 merge with
 * deny wins, 3.3 inheritance and conflicts), the runtime/default profile as a struct cprof,
 * and the deterministic OCI LinuxSeccomp JSON of section 4. Pure: no I/O, no globals; names
 * come from the caller's struct sysdb.
 */
#ifndef KSCMP_PROFILE_H
#define KSCMP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/action.h"
#include "engine/arch.h"
#include "base/error.h"
#include "engine/model.h"

/* An unconditional rule: syscall sys gets v. origin indexes cprof.origins. */
struct centry {
    uint32_t sys;
    struct verdict v;
    uint16_t origin;
};

/* A conditional rule: sys gets v when every argument condition holds. */
struct ccond {
    uint32_t sys;
    struct verdict v;
    uint16_t origin;
    uint8_t nargs;
    struct sys_arg args[6];
};

struct cprof {
    struct verdict dflt;
    uint16_t dflt_origin;
    archmask_t arches; /* 0 after a merge: the inputs have no architecture in common */
    uint16_t arch_origin;
    bool ceiling;        /* a guardrail's profile: it has a say on every syscall in a merge (3.6) */
    struct centry *ents; /* sorted by sys, one per sys */
    size_t nents;
    struct ccond *conds; /* sorted by sys, then conditions */
    size_t nconds;
    char **origins; /* "demo/base spec.rules[0]", "runtime/default", ... */
    size_t norigins;
    /* The arrays and origin texts live in the struct's own allocation (a compiled policy's
     * profile, one of 10,000 kept: one block instead of one per array and text). The
     * functions here that add to a profile copy them out first. */
    bool packed;
};

void cprof_free(struct cprof *p);
DEFINE_CLEANUP_FUNC(struct cprof, cprof_free)

/* What compiling one policy yields besides the profile. */
struct compile_notes {
    char **warnings; /* e.g. a syscall dropped because it does not exist on the arches */
    size_t nwarnings;
    char **conflicts; /* syscall names the policy loosens against its parent, "defaultAction" */
    size_t nconflicts;
};

void compile_notes_clear(struct compile_notes *n);

/* Compiles one policy on top of parent (NULL when it extends nothing). node_arches is the
 * node's architecture with its compat ones. Errors (unknown syscall or group) name the file,
 * line, object and field. */
int profile_compile(const struct policy *p, const struct cprof *parent, archmask_t node_arches,
                    struct sysdb *db, struct cprof **ret, struct compile_notes *notes,
                    struct kerr *err);

/* The container runtime's default profile for node_arches. */
int profile_runtime_default(struct sysdb *db, archmask_t node_arches, struct cprof **ret);

/* Merges profiles. intersect=false: the merge of docs/policies.md (a profile that does not name a
 * syscall has no say on it, unless it is a ceiling, 3.6). intersect=true: the strict intersection
 * of section 2 (every profile has a say on every syscall, through its default when it names none).
 * Either way the architectures are those every input has: *ret has arches 0 when they have none in
 * common (the caller reports the conflict; nothing may be written). */
int profile_merge(const struct cprof *const *in, size_t n, bool intersect, struct cprof **ret);

struct merge_opts {
    bool intersect;
    /* Syscalls on which a ceiling has a say only where it names them (the start-up set,
     * docs/policies.md: start-up syscalls, ceilings); NULL: none. */
    bool (*ceiling_exempt)(uint32_t sys, void *userdata);
    void *userdata;
};

/* profile_merge with options. */
int profile_merge_opts(const struct cprof *const *in, size_t n, const struct merge_opts *o,
                       struct cprof **ret);

/* Whether p has a rule for sys (unconditional or conditional). */
bool profile_names(const struct cprof *p, uint32_t sys);

/* The unconditional rule of sys, or NULL; its conditional rules (*ret_n of them, adjacent),
 * or NULL and 0. Binary searches: ents and conds are sorted by sys. */
const struct centry *profile_entry(const struct cprof *p, uint32_t sys);
const struct ccond *profile_conds(const struct cprof *p, uint32_t sys, size_t *ret_n);

/* Gives sys the unconditional verdict v, with origin text origin, when p has no unconditional
 * rule for it (its conditional rules, if any, stay: v is for the calls they do not match):
 * 1 when added, 0 when p has one already (p is left as it is). For a merged profile, where a
 * syscall named only in conditions whose policies' defaults said less than the merged
 * default has none (profile_merge_opts). */
int profile_add_if_unnamed(struct cprof *p, uint32_t sys, struct verdict v, const char *origin);

/* A syscall for profile_add_unnamed(), with the text of its origin. */
struct cadd {
    uint32_t sys;
    const char *origin;
};

/* profile_add_if_unnamed() for each of adds[0..n) at once (one allocation, one merge, an
 * origin text kept once while it repeats, and not searched for among p's: p may then hold a
 * text twice): how many were added, or -ENOMEM. A sys given twice is added once, with its
 * first origin. */
int profile_add_unnamed(struct cprof *p, const struct cadd *adds, size_t n, struct verdict v);

/* What a runtime can enforce: for each syscall either one unconditional rule or only
 * conditional rules that share one action or are disjoint (libseccomp does not pick the most
 * restrictive of several matching rules). Where the meaning cannot be kept exactly, the
 * result is stricter, never looser. profile_render and profile_explain lower first, as this
 * does. db names the syscalls, to keep away from shapes libseccomp builds wrong on the
 * profile's architectures (NULL: the conditions that tighten an unconditional rule are never
 * written as several rules). */
int profile_lower(const struct cprof *in, const struct sysdb *db, struct cprof **ret);

/* The syscalls (ids, in id order; *ret_sys freed by the caller, NULL when none) that
 * profile_lower() gives one action for every call, stricter than their conditions mean: an
 * unconditional rule beside stricter conditions whose complement cannot be written (explain
 * names them in the origin too). -ENOMEM. The agent takes them from profile_render_noted(), in
 * the one lowering it renders from; this answer of its own lets the tests check that one. */
int profile_inexact(const struct cprof *in, const struct sysdb *db, uint32_t **ret_sys,
                    size_t *ret_n);

/* The deterministic OCI LinuxSeccomp JSON (names sorted, blocks in a fixed order, ends with
 * a newline). The caller frees *ret_json. -ERANGE for an argument value over 2^63-1, which
 * JSON integers here cannot hold (the decoder refuses such values). */
int profile_render(const struct cprof *p, const struct sysdb *db, char **ret_json, size_t *ret_len);

/* The same, saying why in err when it refuses a profile. Both refuse with -E2BIG, rendering
 * nothing, a profile that holds more rules, argument conditions or bytes than
 * SCHEMA_MAX_PROFILE_* (engine/schema.h): the bounds that keep the libseccomp proof of a
 * profile short (docs/bounds.md). */
int profile_render_bounded(const struct cprof *p, const struct sysdb *db, char **ret_json,
                           size_t *ret_len, struct kerr *err);

/* profile_render_bounded(), and the syscalls profile_inexact() would name (*ret_inexact freed by
 * the caller; NULL and 0 when none), from the same lowering. */
int profile_render_noted(const struct cprof *in, const struct sysdb *db, char **ret_json,
                         size_t *ret_len, struct kerr *err, uint32_t **ret_inexact,
                         size_t *ret_ninexact);

/* The rules and argument conditions bounds alone, on a profile as render hands it to the
 * runtime (lowered): 0, or -E2BIG and why. */
int profile_check_bounds(const struct cprof *p, struct kerr *err);

/* Plain text, one line per syscall with its action and where the action came from. */
int profile_explain(const struct cprof *p, const struct sysdb *db, char **ret_text);

#endif
