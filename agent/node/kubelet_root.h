/* kubelet_root.h - is --kubelet-root the root of the kubelet that runs this agent?
 *
 * Owns: the check of the configured kubelet root against the agent's own mount table. A pod's
 * hostPath volume of type DirectoryOrCreate creates <kubelet root>/seccomp wherever the
 * configured root points, so a wrong root is silent: profiles land where no kubelet reads
 * them. The agent needs no more of the host to notice: the kubelet bind-mounts files of its
 * own pods folder into every container (/etc/hosts from <root>/pods/<uid>/etc-hosts, the
 * termination log from <root>/pods/<uid>/containers/<name>/<id>), and /proc/self/mountinfo
 * shows, for each mount, the device and the path within that filesystem. When the seccomp
 * folder and those files are on one filesystem, the seccomp folder must be <that root>/seccomp.
 * Pure: the caller reads /proc/self/mountinfo.
 */
#ifndef KSCMP_KUBELET_ROOT_H
#define KSCMP_KUBELET_ROOT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* The largest mount table read (bytes); longer lines than PATH_MAX are skipped. */
#define KUBELET_ROOT_MOUNTINFO_MAX (8u << 20)

/* Compares root (the --kubelet-root, absolute) with the kubelet root seen in mountinfo (the
 * text of /proc/self/mountinfo, len bytes). Returns 1 when they agree, 0 when it cannot be
 * told (not in a kubelet's pod, the seccomp folder not a mount, or on another filesystem),
 * with *ret_note (freed by the caller) saying which; -EINVAL when they differ, err naming
 * --kubelet-root, where the kubelet keeps its pods and where the seccomp folder comes from;
 * -ENOMEM. *ret_note is written only when the return value is 0 or 1. */
int kubelet_root_check(const char *mountinfo, size_t len, const char *root, char **ret_note,
                       struct kerr *err);

/* The mount of the table that holds a path: a pod's hostPath volume is a bind mount of a host
 * folder, which keeps the folder it was made on. Should someone delete or move that folder on
 * the host (and make a new one at its name), the mount still shows the old one: files written
 * through it reach no kubelet. mountinfo tells: the mount's root (the folder's path within its
 * filesystem) follows a move and ends in "//deleted" once the folder is removed. */
struct kubelet_mount {
    unsigned long id; /* the mount's ID (a new mount on the same point has another) */
    unsigned major, minor;
    char root[PATH_MAX];  /* the mounted folder within its filesystem */
    char point[PATH_MAX]; /* where it is mounted */
};

/* The mount that holds path (absolute, links resolved): of the mounts whose point is path or
 * a folder above it, the one with the longest point, the last listed on that point (the one
 * on top). Returns 1 with *ret filled, 0 when no line of mountinfo (len bytes) holds it,
 * -EINVAL for a relative path, -ENOMEM. */
int kubelet_mount_of(const char *mountinfo, size_t len, const char *path,
                     struct kubelet_mount *ret);

/* Whether the mounted folder was removed from its filesystem (its root ends in "//deleted"). */
bool kubelet_mount_deleted(const struct kubelet_mount *m);

/* Whether a and b are the same mount of the same folder (ID, device, root and point). */
bool kubelet_mount_same(const struct kubelet_mount *a, const struct kubelet_mount *b);

#endif
