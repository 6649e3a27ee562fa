/* engine.h - the policy engine: objects in, profiles (and what to tell about them) out.
 *
 * Owns: the set of policies, Namespaces and Pods the node knows; resolving `extends`
 * (same namespace, ClusterSeccompPolicy/NAME, runtime/default), cycles and missing parents;
 * which policies contribute to which file (docs/policies.md: which pods get which file); the
 * per-file result (write, keep the last good one, remove) with the Events it owes to pods; policy
 * status.
 *
 * Incremental: a change marks only the files it can touch (its namespace, or every file for
 * a ClusterSeccompPolicy) and drops only the compiled policies it can change (the policy and
 * its descendants); engine_sync() recomputes what is marked. Pure: no I/O, no globals,
 * not thread-safe (one engine per thread).
 */
#ifndef KSCMP_ENGINE_H
#define KSCMP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/arch.h"
#include "base/error.h"
#include "engine/model.h"
#include "engine/profile.h"

/* The most policies one extends chain may hold, the policy itself included (runtime/default
 * does not count); a policy deeper than that is invalid (docs/policies.md: invalid policies). */
#define EXTENDS_MAX 32

/* The longest NAME of a profile kscmp/NS/NAME.json: the file name must fit in one directory
 * entry (255 bytes), so 250, though a DNS-1123 subdomain may have 253 characters. */
#define PROFILE_NAME_MAX 250

struct engine;

/* native_arch: an index of arch.h's table, or -1 for the machine's own. */
int engine_new(int native_arch, struct engine **ret);
void engine_free(struct engine *e);
DEFINE_CLEANUP_FUNC(struct engine, engine_free)

archmask_t engine_node_arches(const struct engine *e);

/* The node's own architecture (an arch.h index): the container runtime runs in its ABI. */
int engine_native_arch(const struct engine *e);

/* The start-up syscalls (docs/policies.md), on (the default) or off (--startup-syscalls none: a
 * profile holds exactly what the policies say, and no ProfileBlocksStartup is told). A change
 * recomputes every file. */
void engine_set_startup(struct engine *e, bool on);
bool engine_startup(const struct engine *e);
struct sysdb *engine_sysdb(struct engine *e);

/* Receives one line per noteworthy compile outcome (a dropped syscall, a conflict), with the
 * policy it is about (the CLI tells those of the policies that make the profile asked for
 * apart from the others'). */
void engine_set_logger(struct engine *e,
                       void (*log)(const struct policy *p, const char *line, void *userdata),
                       void *userdata);

/* Adding an object of an identity already known replaces it. These take ownership of the
 * object, also when they fail. */
int engine_put_policy(struct engine *e, struct policy *p);
/* The same for a definition the source holds (a policy defined twice: which one was meant is
 * not known): the version it replaces counts as in force only if it had compiled already. */
int engine_put_policy_held(struct engine *e, struct policy *p, bool held);
/* Whether the current version of p is in force: what its files take, and what a bad edit
 * after it falls back to (docs/policies.md: invalid policies). 0 or a negative errno. */
int engine_policy_in_force(struct engine *e, const struct policy *p, bool *ret);
int engine_delete_policy(struct engine *e, enum policy_kind kind, const char *ns, const char *name);
int engine_put_namespace(struct engine *e, struct k8s_namespace *n);
int engine_delete_namespace(struct engine *e, const char *name);
/* Takes Namespace name as one whose labels are not known (why: the source's reason, e.g. two
 * definitions with other labels), as if it had not been read, and why names it in the Events
 * of its pods held for it; until it is put or deleted. 0, or -ENOMEM (then taken as unknown
 * all the same, without why). */
int engine_namespace_unknown(struct engine *e, const char *name, const char *why);
/* The reason given to engine_namespace_unknown() for Namespace name while it stands, or NULL
 * (known, never read, or no memory was left to keep the reason). */
const char *engine_namespace_why(const struct engine *e, const char *name);
int engine_put_pod(struct engine *e, struct pod *p);
int engine_delete_pod(struct engine *e, const char *ns, const char *name);

/* Puts a decoded object (engine/decode.h) into the engine through the call above for its
 * type, taking its pointers; 0, nothing put, for a type the engine does not hold. Shaped as
 * the object callback of decode_documents() and manifest_load(), engine being the struct
 * engine. */
struct object;
int engine_put_object(struct object *o, void *engine);

/* Tells the engine that prev is the last version of its policy that compiled (an agent that
 * kept it across a restart; the property test seeding a fresh engine): while the current
 * version is invalid, it still reaches the files prev's selectors reached, as it would had the
 * engine seen prev compile. Takes ownership of prev; -ENOENT when the policy is unknown. */
int engine_remember_policy(struct engine *e, struct policy *prev);

/* Tells the engine that what it holds is the whole world as it was when its owner started (the
 * first complete sync is done): a policy put from now on that the engine does not know is new,
 * with no earlier version. Until then (and for good in the CLI), every policy may have had
 * versions before the engine's start, unseen: while such a policy is invalid and no version of
 * it has compiled, it holds every file of its scope (its namespace; the node, for a
 * ClusterSeccompPolicy), since which pods its earlier versions selected is not known. */
void engine_past_known(struct engine *e);

/* A byte the caller keeps with a policy, 0 until it sets one: kept across new versions of the
 * policy, gone when the policy is deleted (the --local agent's last told condition of each
 * policy, without a map of its own of every policy). Sets tag and gives the one before through
 * *ret_old; -ENOENT when the engine has no such policy. */
int engine_policy_swap_tag(struct engine *e, const struct policy *p, uint8_t tag, uint8_t *ret_old);

const struct policy *engine_get_policy(const struct engine *e, enum policy_kind kind,
                                       const char *ns, const char *name);
const struct pod *engine_get_pod(const struct engine *e, const char *ns, const char *name);
/* Namespace name as the engine holds it, or NULL. */
const struct k8s_namespace *engine_get_namespace(const struct engine *e, const char *name);
/* Whether the engine holds Namespace ns, or a pod in it (a walk of the pods when there is no
 * such Namespace). */
bool engine_namespace_known(const struct engine *e, const char *ns);

/* One policy after inheritance. Pointers stay valid until the next change to the engine. */
struct policy_result {
    const struct policy *policy;
    bool valid;
    const char *error;        /* when !valid: why, naming file, object and field */
    const struct cprof *prof; /* when valid */
    char *const *warnings;
    size_t nwarnings;
    char *const *conflicts; /* syscalls it loosens against its parent: it is detached */
    size_t nconflicts;
    const struct policy *parent; /* NULL for none or runtime/default */
};

/* -ENOENT when there is no such policy. */
int engine_policy_result(struct engine *e, const struct policy *p, struct policy_result *ret);

/* The same for a policy's status (valid, error, warnings, conflicts): ret->prof is NULL unless
 * the engine holds the profile already. A profile compiled for this answer alone is not kept:
 * every node computes the status of every policy but writes the files of a few, and the
 * others' profiles would stay in memory unused (ten thousand policies: a few MiB). The engine
 * compiles it again, the same, when a file or a child needs it. */
int engine_policy_status(struct engine *e, const struct policy *p, struct policy_result *ret);

/* For the command line, beside the error of p when the parent it extends is not there: what
 * was likely meant (a ClusterSeccompPolicy of that name; the nearest name of the policies its
 * parent is looked for among), into buf: 1, or 0 when there is nothing to say; -1 when p
 * extends nothing or its parent is there. Not part of the error itself, which names p's own
 * fields only (the same whatever else is known). */
int engine_parent_hint(struct engine *e, const struct policy *p, char *buf, size_t size);

/* The warning a policy calls for whatever it is compiled against, the same on every node (a
 * ClusterSeccompPolicy with a namespaceSelector and no selector selects no pod; a policy of a
 * file whose metadata.namespace was put in "default" or ignored), or NULL; the caller frees it.
 * For its status: warnings that depend on the node's architectures stay in the agents' logs, as
 * nodes of other architectures would write another status. */
char *engine_policy_warning(const struct policy *p);

/* One policy's profile as `compile --policy` prints it: a copy of prof with the long
 * start-up set applied when start-up syscalls are on (docs/policies.md: no pods, so the long
 * set); *ret_blocked: a warning naming the start-up syscalls it blocks and the runtime steps
 * that need them, or NULL (caller frees both). */
int engine_policy_startup(struct engine *e, const struct cprof *prof, struct cprof **ret,
                          char **ret_blocked);

/* All policies sorted by NS/NAME (cluster policies, which have no NS, first), then kind; the
 * caller frees the array (not the policies). */
int engine_list_policies(const struct engine *e, const struct policy ***ret, size_t *ret_n);

/* The valid, attached children of p (its descendants tree, one level), sorted; p NULL:
 * those of runtime/default. */
int engine_children(struct engine *e, const struct policy *p, const struct policy ***ret,
                    size_t *ret_n);

/* Why a policy contributes to a pod's file (docs/policies.md: which pods get which file). */
enum contrib_reason {
    CONTRIB_NAME,     /* a namespace policy named after the file */
    CONTRIB_SELECTOR, /* a namespace policy whose selector matches the pod */
    CONTRIB_CLUSTER,  /* a ClusterSeccompPolicy whose selectors match the pod and its namespace */
    CONTRIB_HELD,     /* invalid, and it reached the pod in its last good version (or its
                       * selectors cannot be read): the file keeps its last good profile */
};

struct contributor {
    const struct policy *policy;
    enum contrib_reason why;
};

/* The policies that contribute to the file NAME.json of pod (pod as given, not necessarily
 * one the engine holds), sorted; the caller frees the array. For `kubectl kscmp explain`. */
int engine_contributors(struct engine *e, const struct pod *pod, const char *name,
                        struct contributor **ret, size_t *ret_n);

enum file_action { FILE_WRITE, FILE_KEEP, FILE_REMOVE };

struct file_result {
    const char *rel; /* "NS/NAME.json" below <kubelet root>/seccomp/kscmp */
    enum file_action action;
    const char *json; /* FILE_WRITE: the profile */
    size_t len;
    const struct cprof *prof;      /* FILE_WRITE: the same, compiled (origins for explain) */
    const char *why;               /* FILE_KEEP, FILE_REMOVE: why */
    const struct pod *const *pods; /* the pods that reference the file */
    size_t npods;
    bool recording; /* FILE_WRITE: a recording profile; FILE_KEEP: every pod is under a recording
                     * (what is kept may be one) */
    /* FILE_WRITE: the syscalls (ids of engine_sysdb(), in id order; NULL and 0 when none) the
     * profile gives one action for every call, stricter than their conditions mean: those
     * ProfileStricter names (profile_inexact(), from the lowering that rendered json). */
    const uint32_t *inexact;
    size_t ninexact;
};

/* The words of a PolicyInvalid Event whose policy has been invalid since before the agent
 * started (its earlier versions' selectors not known: the agent holds every file of its scope);
 * the command line reads them back from the Events (kubectl kscmp status, explain pod). */
#define ENGINE_HELD_SINCE_START                                                                    \
    "it was invalid when the agent started, and which pods its earlier versions selected is "      \
    "not known"

struct engine_event {
    const struct pod *pod;
    const char *reason; /* ProfileRefused, NoPolicy, PolicyInvalid, ProfileConflict,
                         * ProfileBlocksStartup, ProfileStricter, ClusterPoliciesOnly */
    const char *message;
    const char *cause; /* the reason alone, without what the agent does about it: PolicyInvalid:
                        * the invalid policy's own message; NoPolicy: why none contributes;
                        * else NULL */
    /* An Event of type Normal, not Warning: ClusterPoliciesOnly (the pod's file is written,
     * made by ClusterSeccompPolicies alone: no SeccompPolicy named after it, none selecting the
     * pod; a misspelt localhostProfile or a deleted policy reads so, and so does a pod meant
     * to run under the cluster's policies only). */
    bool normal;
};

struct sync_ops {
    int (*file)(const struct file_result *r, void *userdata);
    int (*event)(const struct engine_event *ev, void *userdata);
    void *userdata;
};

/* Recomputes every file a change touched since the last sync and reports each (files no
 * pod references any more come as FILE_REMOVE, once) and the Events owed to pods. */
int engine_sync(struct engine *e, const struct sync_ops *ops);

/* Marks every file as touched and every pod's refused references as due (a full resync). */
void engine_touch_all(struct engine *e);

/* Computes one file (rel "NS/NAME.json") without changing what sync will report; only the
 * Events of that file's pods. -ENOENT when no pod references it. */
int engine_compute_file(struct engine *e, const char *rel, const struct sync_ops *ops);

/* Whether a sync would give pod ns/name the Event reason/message now: its references refused
 * and its files computed afresh (without changing what sync will report). 1 yes, 0 no (also
 * when the pod is not known), -ENOMEM. -EOPNOTSUPP: not the engine's to say, a reason it never
 * gives, or a ProfileRefused it would not give (the node agent's own: a proof's refusal, a
 * failed write). */
int engine_pod_event_now(struct engine *e, const char *ns, const char *name, const char *reason,
                         const char *message);

/* Whether reason is one the engine gives Events (engine_pod_event_now() answers for these). */
bool engine_gives_reason(const char *reason);

/* The files the pods reference now, sorted; the caller frees the array, not the strings. */
int engine_list_files(const struct engine *e, const char ***ret, size_t *ret_n);

/* Recordings (README: recording in a cluster). While one is put for kscmp/NS/POLICY.json, the file
 * is a recording profile when sel matches every pod that uses it: each contributing policy's
 * explicit blocks stay, a ceiling stays whole, everything else is allowed on every architecture of
 * the node, so the pods' calls can be seen (recording_relax). Otherwise (a pod it does not
 * select uses the file too) the file is the policies' as ever. sel is taken over (and left
 * empty); recording_name names it in explain. -EINVAL for a name that is not a DNS-1123
 * label (NS) or subdomain (POLICY). The caller puts a recording only once the node can record
 * (a recording profile blocks nothing: writing it unseen would only weaken the pods). */
int engine_put_recording(struct engine *e, const char *ns, const char *policy,
                         const char *recording_name, struct selector *sel);
int engine_delete_recording(struct engine *e, const char *ns, const char *policy);

/* The node's pods that use kscmp/NS/POLICY.json: those sel matches (*ret_selected, an array
 * the caller frees) and how many it does not. */
int engine_recording_scope(const struct engine *e, const char *ns, const char *policy,
                           const struct selector *sel, const struct pod ***ret_selected,
                           size_t *ret_nselected, size_t *ret_nunselected);

/* Splits a localhostProfile value: 0 and *ret_rel ("NS/NAME.json", caller frees) for one of
 * ours that the pod may use; 1 for a reference that is not below kscmp/ (not ours);
 * -EPERM with a message for a refused one (another namespace, not a DNS-1123 name, a NAME
 * longer than PROFILE_NAME_MAX: no file could hold it). */
int engine_classify_ref(const char *pod_ns, const char *ref, char **ret_rel, struct kerr *err);

#endif
