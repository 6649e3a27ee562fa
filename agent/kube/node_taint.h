/* node_taint.h - keeps new pods off a node until its agent's profiles are on disk.
 *
 * Owns: the taint kscmp.io/agent-not-ready:NoSchedule on the agent's own Node. A node that
 * carries it (the kubelet registered it with --register-with-taints, or an agent put it back
 * when its node went down) gets no new pod that does not tolerate it. The agent removes it
 * once its first complete set of profiles is on disk (node_taint_release). On SIGTERM the
 * agent puts it back (node_taint_hold) unless its own pod is being deleted: a deleted pod is
 * a rollout or an uninstall, and the files on the node stay right; a pod that is not being
 * deleted is stopped by its node going down, and the node's files may be stale when it comes
 * back (a policy may change meanwhile), so pods must wait for the agent again. Pods bound
 * before a power cut, and containers that the kubelet restarts, are not held: the agent
 * reports them (ProfileStale). Changes are merge patches that carry the Node's
 * resourceVersion (409: read again and retry).
 */
#ifndef KSCMP_NODE_TAINT_H
#define KSCMP_NODE_TAINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/evloop.h"
#include "kube/client.h"

#define NODE_TAINT_KEY "kscmp.io/agent-not-ready"
#define NODE_TAINT_EFFECT "NoSchedule"
/* The largest Node object read (bytes). */
#define NODE_TAINT_NODE_MAX (4u << 20)

/* From a Node object (JSON text of len bytes): the merge patch that adds (add) or removes the
 * taint, carrying the object's resourceVersion, in *ret_patch (freed by the caller). Returns
 * 1 with a patch, 0 when nothing is to change (*ret_patch untouched), -EINVAL when the text is
 * not a Node (err says why), -ENOMEM. Taints of other keys are kept as they are. */
int node_taint_patch(const char *node_json, size_t len, bool add, char **ret_patch,
                     struct kerr *err);

struct node_taint;

/* pod_ns and pod_name name the agent's own pod (may be NULL: then node_taint_hold never
 * taints, since it cannot tell a rollout from a node going down). k and l stay the caller's. */
int node_taint_new(struct kube *k, struct evloop *l, const char *node, const char *pod_ns,
                   const char *pod_name, struct node_taint **ret);
void node_taint_free(struct node_taint *t);

/* Removes the taint from the node if it is there; retried with backoff until it is done. */
void node_taint_release(struct node_taint *t);

/* Adds the taint unless the agent's pod is being deleted (or unknown); then calls
 * done(userdata) once, at the latest after timeout_ms. */
void node_taint_hold(struct node_taint *t, uint64_t timeout_ms, void (*done)(void *userdata),
                     void *userdata);

/* True once the taint is known to be off the node (after a release). */
bool node_taint_released(const struct node_taint *t);

#endif
