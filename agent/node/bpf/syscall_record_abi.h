/* syscall_record_abi.h - what the syscall recorder's BPF program and the agent share.
 *
 * Owns: the layout of the pinned maps (the agent reads maps that an earlier agent's program
 * keeps filling, so a change here bumps SYSREC_ABI_VERSION and the agent then replaces the
 * program instead of reusing it) and the constants both sides use. Included by the BPF
 * program (kernel_types.h gives __u64 there) and by node/bpf_record.c (linux/types.h).
 */
#ifndef KSCMP_SYSCALL_RECORD_ABI_H
#define KSCMP_SYSCALL_RECORD_ABI_H

#define SYSREC_ABI_VERSION 3

/* Syscall numbers below this are bits; larger ones go to the short list of others. */
#define SYSREC_BITS 1024
#define SYSREC_WORDS (SYSREC_BITS / 64)
#define SYSREC_OTHERS 16
/* How far up from a task's cgroup the program looks for a pod's parent cgroup. */
#define SYSREC_MAX_DEPTH 16

/* Classes of calls: the node's own architecture, its 32-bit compat one, x32. */
enum { SYSREC_NATIVE, SYSREC_COMPAT, SYSREC_X32, SYSREC_CLASSES };

/* anchors map: cgroups whose children are pods (kubepods, kubepods/burstable, ...). */
#define SYSREC_ANCHOR_POD_PARENT 1

/* The syscalls of one container of a pod (or of the pod, for a task in the pod's own
 * cgroup), keyed by the id of that cgroup (the inode number of its folder). */
struct sysrec_pod {
    __u64 pod;                   /* the pod's cgroup id (the key itself, for a pod-level task) */
    __u64 bits[SYSREC_CLASSES][SYSREC_WORDS];
    __u64 others[SYSREC_OTHERS]; /* (class << 32 | number) + 1, 0 = a free slot */
    __u64 others_full;           /* a number did not fit in others */
    char pod_name[64];           /* the pod cgroup's folder name ("pod<UID>"), set on insert: a
                                  * container that came and went unseen is still attributed */
};

/* The meta map's one value: what the pinned program is. */
struct sysrec_meta {
    __u32 abi_version;
    __u32 use_v2; /* 1: the unified hierarchy; 0: the v1 memory controller's */
    __u64 loaded_at_ns;  /* CLOCK_BOOTTIME when the agent loaded it */
    __u64 anchors_gen;   /* bumped by the agent whenever it changes the anchors */
};

/* The owners map's values: written by the agent when it attributes a container. */
struct sysrec_owner {
    char recording_uid[40]; /* the SeccompRecording's metadata.uid */
    char pod_uid[40];
};

/* The stats map's one value. */
struct sysrec_stats {
    __u64 pods_full; /* calls of a pod that found the pods map full: not recorded */
};

#endif
