/* bpf_record.h - the cluster recorder's kernel side, and the agent's handle on it.
 *
 * Owns: loading the eBPF program of node/bpf/syscall_record.bpf.c (CO-RE: it runs on the BTF of
 * the running kernel, Linux 5.12 or later), attaching it to raw_syscalls:sys_enter, pinning
 * its link and maps in a bpffs folder so that it keeps recording while the agent restarts
 * and the next agent takes over what it gathered (or replacing a pinned program of another
 * layout, keeping what it gathered); telling it which cgroups have pods as children and which
 * containers not to record; reading and forgetting containers' syscalls; detaching it.
 *
 * Privileges: CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN before Linux 5.8); write access to
 * the bpffs folder for pinning.
 */
#ifndef KSCMP_BPF_RECORD_H
#define KSCMP_BPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "engine/recording.h"

struct bpf_recorder;

struct bpf_recorder_opts {
    const char *pin_dir; /* a folder in a bpffs (created if missing); NULL: no pinning */
    bool use_v2;         /* cgroup ids of the unified hierarchy, else of v1's memory controller */
    int native_arch;     /* an arch table index, -1: the machine's */
};

enum bpf_recorder_start {
    BPFREC_LOADED,   /* nothing was pinned: a new program records from now on */
    BPFREC_REUSED,   /* a pinned program of this layout kept recording: taken over */
    BPFREC_REPLACED, /* a pinned program of another layout or mode: what it gathered is kept
                      * (bpf_recorder_foreach reports it), a new one records from now on */
};

/* Loads and attaches the program, or takes over the one pinned in o->pin_dir. */
int bpf_recorder_open(const struct bpf_recorder_opts *o, struct bpf_recorder **ret,
                      enum bpf_recorder_start *ret_start, struct kerr *err);

/* Closes the handle; a pinned program keeps recording (for the next agent). */
void bpf_recorder_close(struct bpf_recorder *r);
DEFINE_CLEANUP_FUNC(struct bpf_recorder, bpf_recorder_close)

/* Detaches the program, removes the pins and closes the handle (nothing to record). */
void bpf_recorder_destroy(struct bpf_recorder *r);

/* Whether the program and its maps are pinned (survive the agent). */
bool bpf_recorder_pinned(const struct bpf_recorder *r);

/* CLOCK_BOOTTIME (ns) when the program now attached was loaded (by this agent or another). */
uint64_t bpf_recorder_loaded_at(const struct bpf_recorder *r);

/* Makes ids (cgroup ids whose children are pods) the anchors, replacing the previous ones. */
int bpf_recorder_set_anchors(struct bpf_recorder *r, const uint64_t *ids, size_t n);

/* One container's (or a pod-level cgroup's) share. */
struct bpf_recorder_entry {
    uint64_t cgroup;        /* the container's cgroup id */
    uint64_t pod;           /* its pod's cgroup id */
    struct recorded *calls; /* its syscalls, by architecture */
    bool others_full;       /* some calls with numbers >= 1024 were not kept */
    bool from_old;          /* gathered by a replaced program */
    const char *pod_name;   /* the pod cgroup's folder name as the program saw it, or "" */
};

/* Calls cb for every container the program has seen (and what a replaced program had).
 * Returns 0 or the first non-zero result of cb. */
int bpf_recorder_foreach(struct bpf_recorder *r,
                         int (*cb)(const struct bpf_recorder_entry *e, void *userdata),
                         void *userdata);

/* Notes (in the pinned owners map) which recording and pod a container belongs to. */
int bpf_recorder_set_owner(struct bpf_recorder *r, uint64_t cgroup, const char *recording_uid,
                           const char *pod_uid);

/* Which recording and pod a container was noted for: 0, or -ENOENT. The buffers hold 40
 * bytes. */
int bpf_recorder_owner(struct bpf_recorder *r, uint64_t cgroup, char *ret_recording_uid,
                       char *ret_pod_uid);

/* Forgets a container's entry and owner; ignore: and does not record it again. */
int bpf_recorder_forget(struct bpf_recorder *r, uint64_t cgroup, bool ignore);

/* Deletes the owner notes of the cgroups keep() says are no longer wanted. */
void bpf_recorder_prune_owners(struct bpf_recorder *r,
                               bool (*keep)(uint64_t cgroup, void *userdata), void *userdata);

/* Stops ignoring the cgroups keep() says are no longer wanted (the ignored map is bounded:
 * full, containers of pods not recorded would take room in the pods map again). */
void bpf_recorder_prune_ignored(struct bpf_recorder *r,
                                bool (*keep)(uint64_t cgroup, void *userdata), void *userdata);

/* Forgets what a replaced program gathered for a container (ours keeps its own entry). */
void bpf_recorder_forget_old(struct bpf_recorder *r, uint64_t cgroup);

/* Stops ignoring a container (its pod became selected). */
int bpf_recorder_unignore(struct bpf_recorder *r, uint64_t cgroup);

/* Calls not recorded because the map of containers was full (since the program loaded). */
uint64_t bpf_recorder_lost(const struct bpf_recorder *r);

#endif
