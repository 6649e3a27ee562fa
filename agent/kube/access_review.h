/* access_review.h - the rights the agent needs with its flags, and whether the API server
 * grants them (SelfSubjectAccessReviews, which every authenticated user may create).
 *
 * Owns: the list of what the agent asks of the API server (verb, group, resource,
 * subresource; the ClusterRole of deploy/02-rbac.yaml and the chart's templates/rbac.yaml
 * grant the same, docs/access.md says why), the reviews' bodies and the reading of their
 * answers. A standby agent asks them before it reports Ready (program/agent.c, preflight()),
 * so that a rollout does not replace a working agent with one the server refuses something.
 */
#ifndef KSCMP_ACCESS_REVIEW_H
#define KSCMP_ACCESS_REVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "kube/fetch.h"

/* What the agent's flags make it ask for. */
struct access_needs {
    bool kubearmor;       /* --kubearmor-policies on: KubeArmorSeccompPolicies read */
    bool taint;           /* --node-taint on: its Node read and patched */
    bool recording;       /* --recording: SeccompRecordings read, their status patched */
    const char *node;     /* the node's name */
    const char *pod_ns;   /* $POD_NAMESPACE, $POD_NAME (NULL when unset): with the taint, */
    const char *pod_name; /* the agent reads its own pod when it stops (node_taint.h) */
};

/* One right. group "" is the core group; subresource, ns and name may be NULL (ns NULL: in
 * every namespace, as the ClusterRole grants it and the agent lists). */
struct access_right {
    const char *verb, *group, *resource, *subresource, *ns, *name;
};

#define ACCESS_MAX_RIGHTS 48
#define ACCESS_REVIEWS_PATH "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"

/* The rights n needs into out (ACCESS_MAX_RIGHTS room); returns how many. Not among them:
 * `list seccomppolicies`, which the standby's list proves. */
size_t access_rights(const struct access_needs *n, struct access_right *out);

/* The SelfSubjectAccessReview that asks for r, as JSON text (the caller frees), or NULL when
 * out of memory. */
char *access_review_body(const struct access_right *r);

/* An answer's status.allowed: 1 when true, 0 when false; -EPROTO (err says) when the answer
 * is not a SelfSubjectAccessReview with a status. */
int access_review_allowed(const json_t *answer, struct kerr *err);

/* r as "VERB RESOURCE[/SUBRESOURCE] (GROUP)", the core group as "core": "patch nodes (core)",
 * "patch seccomppolicies/status (kscmp.io)". */
void access_right_text(const struct access_right *r, char *buf, size_t size);

/* Asks for every right n needs at once on f (its deadline and stop fd apply): 0 when all are
 * granted; -EPERM when some are not, err naming each ("VERB RESOURCE (GROUP), ..."); the
 * failure as kube_fetch_post_all() tells it otherwise (-ENOENT: the server does not serve
 * the reviews, 404; -EACCES: it refuses them, 401/403); -EPROTO for an answer that is not a
 * review's. */
int access_check(struct kube_fetch *f, const struct access_needs *n, struct kerr *err);

#endif
