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

#endif
