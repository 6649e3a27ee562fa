/* model.h - the objects kscmp reads: policies, Pods and Namespaces.
 *
 * Owns: the in-memory shape of the three policy kinds (docs/policies.md), of the parts of
 * a Pod and a Namespace that matter here, label selectors and their matching, and the
 * freeing of all of these. Decoding lives in decode.h; meaning lives in the engine.
 */
#ifndef KSCMP_MODEL_H
#define KSCMP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/action.h"
#include "engine/arch.h"
#include "base/cleanup.h"
#include "base/names.h" /* dns_label_valid(), dns_subdomain_valid() */

enum policy_kind { PK_POLICY, PK_CLUSTER, PK_KUBEARMOR, PK__MAX };

/* "SeccompPolicy", "ClusterSeccompPolicy", "KubeArmorSeccompPolicy" */
const char *policy_kind_name(enum policy_kind k);

struct label {
    char *key;
    char *value;
};

struct labels {
    struct label *v;
    size_t n;
};

/* The value of key, or NULL. */
const char *labels_get(const struct labels *l, const char *key);
void labels_free(struct labels *l);
bool labels_equal(const struct labels *a, const struct labels *b);

enum sel_op { SEL_IN, SEL_NOT_IN, SEL_EXISTS, SEL_DOES_NOT_EXIST };

struct sel_expr {
    char *key;
    enum sel_op op;
    char **values;
    size_t nvalues;
};

/* A Kubernetes LabelSelector. present=false: the field was omitted. An empty one ({})
 * matches everything. */
struct selector {
    bool present;
    struct labels match;
    struct sel_expr *exprs;
    size_t nexprs;
};

bool selector_matches(const struct selector *s, const struct labels *l);
void selector_free(struct selector *s);

/* A name written in a policy (a syscall or a group), with where it was written. A block's
 * list of them is one allocation: the names live after the array. */
struct name_ref {
    const char *name;
    int line;
};

/* One block of rules: spec.seccomp or one of spec.rules[]. */
struct block {
    char path[20]; /* "spec.seccomp", "spec.rules[2]" (at most 256 rules: fits) */
    int line;
    archmask_t arches; /* 0 when `arch` is not set */
    struct name_ref *syscalls;
    size_t nsyscalls;
    struct name_ref *groups;
    size_t ngroups;
    struct verdict verdict;
    uint8_t nargs;
    struct sys_arg *args; /* nargs of them, NULL when none */
};

struct policy {
    /* In an order that leaves no padding (tens of thousands are kept). */
    enum policy_kind kind;
    int line;
    int severity; /* 0 when unset */
    int extends_line;
    bool ceiling : 1; /* ClusterSeccompPolicy only: a guardrail (docs/policies.md) */
    bool has_default : 1;
    bool selector_unknown : 1; /* with error: the selectors could not be read either */
    /* Everything here lives in the struct's own allocation (policy_pack): free nothing
     * apart, take nothing out (copy it). */
    bool packed : 1;
    /* Read from a file: a SeccompPolicy without metadata.namespace (put in "default"), a
     * ClusterSeccompPolicy with one (ignored). Worth a warning: the file says otherwise. */
    bool ns_defaulted : 1;
    bool ns_ignored : 1;
    struct verdict default_verdict;
    /* The line of metadata.namespace (of metadata when it has none) less line, for the warning
     * above; 0 when not known or more than 65535 lines on (the warning names line then). */
    uint16_t ns_line_delta;
    char *ns; /* NULL for ClusterSeccompPolicy */
    char *name;
    char *file; /* where it came from, for messages ("policies.yaml", "api") */
    char *uid;
    char *resource_version;
    int64_t generation;
    struct selector selector;
    struct selector ns_selector; /* ClusterSeccompPolicy only */
    char *extends;
    struct block *blocks;
    size_t nblocks;
    char *error; /* set when the object could not be decoded: it is invalid */
};

void policy_free(struct policy *p);

/* A copy of p in one allocation (the struct, its strings, blocks, name lists, arguments and
 * selectors) into *ret: 0 or -ENOMEM. Tens of thousands of policies are kept; one allocation
 * each instead of a dozen saves the allocator's overhead on each. */
int policy_pack(const struct policy *p, struct policy **ret);

/* A deep copy of in into *ret: 0 or -ENOMEM. */
int selector_copy(const struct selector *in, struct selector *ret);
DEFINE_CLEANUP_FUNC(struct policy, policy_free)

/* "demo/web" or "web" (cluster) into buf; returns buf. */
const char *policy_id(const struct policy *p, char *buf, size_t len);

/* Who a policy is: its kind, namespace (NULL for a ClusterSeccompPolicy) and name. */
struct policy_key {
    enum policy_kind kind;
    const char *ns;
    const char *name;
};

static inline struct policy_key policy_key_of(const struct policy *p)
{
    return (struct policy_key){p->kind, p->ns, p->name};
}

/* The NAME of "ClusterSeccompPolicy/NAME" (spec.extends, a --policy reference), else NULL. */
const char *cluster_policy_ref(const char *ref);

/* The policy p's spec.extends names, into *ret (its strings point into p); false when p
 * extends nothing or runtime/default. A namespaced parent is named as a SeccompPolicy: a
 * KubeArmorSeccompPolicy of that namespace and name answers to it too. */
bool policy_parent(const struct policy *p, struct policy_key *ret);

struct container_state {
    char *name;
    int64_t started_at; /* unix seconds the running container started, 0 when not running */
    int ref;            /* index in the pod's refs of the profile it runs under, -1: none */
};

struct pod {
    char *ns;
    char *name;
    char *uid;
    char *node_name;
    char *file;
    int line;
    struct labels labels;
    char **refs;    /* distinct Localhost profile references in effect for some container */
    bool *refs_nnp; /* refs_nnp[i]: every container using refs[i] sets allowPrivilegeEscalation:
                     * false, so the runtime starts it with no_new_privs (docs/policies.md) */
    int *refs_line; /* refs_line[i]: the line of a localhostProfile naming refs[i] in file (0:
                     * not known; NULL for a pod made by hand) */
    size_t nrefs;
    struct container_state *containers;
    size_t ncontainers;
};

void pod_free(struct pod *p);
DEFINE_CLEANUP_FUNC(struct pod, pod_free)

struct k8s_namespace {
    char *name;
    char *file; /* where it was read ("" from the API server; NULL when made by hand) */
    int line;
    struct labels labels;
};

void namespace_free(struct k8s_namespace *n);
DEFINE_CLEANUP_FUNC(struct k8s_namespace, namespace_free)

#endif
