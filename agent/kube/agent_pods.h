/* agent_pods.h - what `kubectl kscmp status` says of an agent pod that is not Ready.
 *
 * Owns: reading one Pod object as the API server returns it (outside input: any field may be
 * missing or of another type) for whether it is Ready, which DaemonSet owns it, and one line
 * of why it is not Ready, from its container's status; where its /readyz is (a pod that runs
 * but is not Ready) and what an answer from there says. Pure: no I/O.
 */
#ifndef KSCMP_AGENT_PODS_H
#define KSCMP_AGENT_PODS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Bytes of a termination message quoted (its first line, at most). */
#define AGENT_WHY_QUOTE 400

/* Whether the pod's Ready condition is True. */
bool agent_pod_ready(json_t *pod);

/* The uid of the DaemonSet that owns the pod (its ownerReferences), or NULL. */
const char *agent_pod_daemonset_uid(json_t *pod);

/* Writes to out (size > 0; always NUL-terminated, "..." at its end when cut) why the pod is
 * not Ready, in one line: from the container named "agent" (else the first), its waiting
 * reason, its restarts, its last exit status and reason and the first line of its
 * termination message (where the agent writes why it refused to start; at most
 * AGENT_WHY_QUOTE bytes of it); for a pod with no container status, its phase and the first
 * condition that is not True, with reason and message. */
void agent_pod_why(json_t *pod, char *out, size_t size);

/* The port of the pod's /readyz when its agent container (named "agent", else the first) runs
 * and the pod has an IP and a node, for the API server's pod proxy (which takes a number, not
 * a port's name): the container's port named "metrics" (the chart's and deploy/'s), else its
 * readiness probe's httpGet port (a number, or a port's name). 0: none (not running, no IP,
 * no such port). */
int agent_pod_readyz_port(json_t *pod);

/* What an answer of the pod proxy to GET .../proxy/readyz says, into out (size > 0; always
 * NUL-terminated, valid UTF-8: a byte that is not is written \xNN): true when the agent
 * answered (code any; out: the first line of its body, at most AGENT_WHY_QUOTE bytes, " ..."
 * when more), false when the API server did (a Status object: it could not reach the pod, or
 * the caller may not use pods/proxy; out: its message and the code). */
bool agent_readyz_answer(long code, const char *body, size_t len, char *out, size_t size);

#endif
