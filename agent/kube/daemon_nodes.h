/* daemon_nodes.h - whether a DaemonSet puts its pod on a node, and why not, for
 * `kubectl kscmp status` and `explain pod` on the nodes that have no kscmp agent.
 *
 * Owns: reading a Node and a DaemonSet's pod template spec as the API server returns them
 * (outside input: any field may be missing or of another type, and then reads as absent) for
 * the three things of them that keep a DaemonSet's pod off a node: a taint of effect
 * NoSchedule or NoExecute that the pod does not tolerate (the tolerations the DaemonSet
 * controller gives every pod of a DaemonSet included; PreferNoSchedule keeps nothing off), a
 * nodeSelector the node's labels do not match, and a required node affinity that does not
 * select the node. Also whether the node is Ready. A cordoned node (spec.unschedulable) takes
 * DaemonSet pods. Pure: no I/O.
 */
#ifndef KSCMP_DAEMON_NODES_H
#define KSCMP_DAEMON_NODES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Whether one toleration tolerates one taint: its effect is empty (every effect) or the
 * taint's; with operator Exists, its key is empty (every key) or the taint's; with operator
 * Equal (or none), its key is non-empty and the taint's, and its value the taint's (an absent
 * value is ""). Any other operator, or a toleration or taint that is not an object, tolerates
 * nothing. */
bool toleration_tolerates(json_t *toleration, json_t *taint);

/* The first taint of node (spec.taints) of effect NoSchedule or NoExecute that neither one of
 * tolerations nor a toleration the DaemonSet controller adds to its pods tolerates (pod_spec:
 * the pod template's spec, for hostNetwork), or NULL; *ret_more (if not NULL) counts the
 * other such taints. The result points into node. */
json_t *daemon_untolerated_taint(json_t *pod_spec, json_t *node, size_t *ret_more);

/* Whether labels (a Node's metadata.labels) has every entry of node_selector with its value.
 * An absent node_selector, or one of another type, selects every node; an entry whose value
 * is not a string is left out. Writes the key of the first entry that does not match to
 * *ret_key (if not NULL; it points into node_selector). */
bool node_selector_matches(json_t *node_selector, json_t *labels, const char **ret_key);

/* Whether the required node affinity of a pod spec's affinity
 * (nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) selects node: absent (or
 * nodeSelectorTerms not an array) selects every node; else one of nodeSelectorTerms must,
 * a term selecting when it has at least one requirement (matchExpressions on labels with
 * In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields on metadata.name with In, NotIn) and
 * every one holds. */
bool node_affinity_matches(json_t *affinity, json_t *node);

/* Whether the DaemonSet daemonset ("NS/NAME") whose pod template spec is pod_spec keeps its
 * pod off node; if so, writes to why (size > 0; NUL-terminated, "..." at its end when cut) each
 * reason, "; " between them: "taint K=V:NoSchedule not tolerated by DaemonSet NS/NAME",
 * "not selected by the nodeSelector of DaemonSet NS/NAME (K=V; the node has ...)", "not
 * selected by the required node affinity of DaemonSet NS/NAME". why is "" when it does not. */
bool daemon_keeps_off(json_t *pod_spec, json_t *node, const char *daemonset, char *why,
                      size_t size);

/* NULL when node's Ready condition is True; else a few words for the line of a node that has
 * no agent: "node NotReady", "node NotReady (its kubelet stopped reporting)", or "no Ready
 * condition (no kubelet has reported)". */
const char *node_not_ready(json_t *node);

#endif
