/* pod_cgroups.h - the cgroups the kubelet makes for pods, read from the node's cgroupfs.
 *
 * Owns: which hierarchy the recorder attributes calls by (cgroup v2's unified one when the
 * cgroupfs root is a cgroup2, else cgroup v1's memory controller: on a v1 or hybrid node the
 * kubelet and runc put every pod and container in it), the kubelet's pod-parent cgroups there
 * (kubepods and its QoS children burstable and besteffort, or the systemd driver's
 * kubepods.slice, kubepods-burstable.slice, ...), and which pod UID and container ID a cgroup
 * id belongs to. A cgroup's id is the inode number of its folder (what the kernel's
 * kernfs_node.id is). Reads folders only; bounded: RECORD_MAX_PODS pods, RECORD_MAX_CONTAINERS
 * containers a pod.
 */
#ifndef KSCMP_POD_CGROUPS_H
#define KSCMP_POD_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/error.h"

#define RECORD_MAX_PODS 4096
#define RECORD_MAX_CONTAINERS 64

struct pod_cgroups;

/* root: where the node's cgroupfs is (/sys/fs/cgroup, or a host mount of it in the agent's
 * container). kubepods: the kubelet's pod cgroup below the hierarchy ("kubepods",
 * "kubelet/kubepods", ...), NULL to find kubepods or kubepods.slice. */
int pod_cgroups_open(const char *root, const char *kubepods, struct pod_cgroups **ret,
                     struct kerr *err);
void pod_cgroups_free(struct pod_cgroups *pc);
DEFINE_CLEANUP_FUNC(struct pod_cgroups, pod_cgroups_free)

/* Whether ids are of the unified (v2) hierarchy. */
bool pod_cgroups_v2(const struct pod_cgroups *pc);

/* The folder pods are looked for in (for messages). */
const char *pod_cgroups_path(const struct pod_cgroups *pc);

/* Reads the folders again. Missing kubepods (no kubelet yet) is no error: no anchors. */
int pod_cgroups_scan(struct pod_cgroups *pc, struct kerr *err);

/* The cgroups whose children are pods, as of the last scan. */
const uint64_t *pod_cgroups_anchors(const struct pod_cgroups *pc, size_t *ret_n);

/* The UID of the pod whose cgroup is pod_cgroup (as of the last scan), or NULL. */
const char *pod_cgroups_pod_uid(const struct pod_cgroups *pc, uint64_t pod_cgroup);

/* The pod UID and the container folder's name (a container ID, with the runtime's prefix and
 * suffix removed) of a container cgroup, as of the last scan: 0, or -ENOENT. */
int pod_cgroups_container(const struct pod_cgroups *pc, uint64_t cgroup, const char **ret_pod_uid,
                          const char **ret_container);

/* Calls cb for every container cgroup of the last scan (a pod's own cgroup included, with
 * container ""). Returns 0 or the first non-zero result of cb. */
int pod_cgroups_foreach(const struct pod_cgroups *pc,
                        int (*cb)(uint64_t cgroup, const char *pod_uid, const char *container,
                                  void *userdata),
                        void *userdata);

/* "pod<uid>" -> uid (dashes), "kubepods-burstable-pod<uid_with_underscores>.slice" -> uid
 * (dashes): 0 and the UID in buf, or -EINVAL for a folder that is not a pod's. */
int pod_cgroups_parse_pod_dir(const char *name, char *buf, size_t len);

#endif
