/* syscall_record.bpf.c - the eBPF side of the cluster recorder: every syscall of every task
 * whose cgroup lies under a pod's cgroup sets that syscall's bit in its container's entry
 * (the cgroup just below the pod's).
 *
 * Attached to the raw_syscalls:sys_enter tracepoint (tp_btf), which fires after seccomp let
 * the call in, so the pods must run under a profile that blocks nothing they are to be
 * recorded for. A bit is set once and never cleared: nothing is lost however fast calls come
 * (no ring buffer to overflow), and the maps are pinned, so calls keep being recorded while
 * the agent restarts. The agent tells the program which cgroups have pods as children
 * (anchors), which containers it need not record (ignored), and reads the pods map. Needs
 * BTF and BPF atomics (Linux 5.12; bpf_get_current_task_btf came in 5.11).
 */
#include "kernel_types.h"

#include <stdbool.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "syscall_record_abi.h"

char LICENSE[] SEC("license") = "GPL";

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u64);
    __type(value, __u8);
} anchors SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, __u64);
    __type(value, struct sysrec_pod);
} pods SEC(".maps");

/* Containers the agent does not record (their pod is not selected): not inserted again. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 8192);
    __type(key, __u64);
    __type(value, __u8);
} ignored SEC(".maps");

/* What a task's last walk found, valid while its css_set and the anchors are the same: most
 * syscalls then skip the walk. */
struct task_cache {
    __u64 cset;        /* the css_set the walk started from */
    __u64 anchors_gen; /* meta.anchors_gen then */
    __u64 container;   /* 0: outside every pod */
    __u64 pod;
};

struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct task_cache);
} task_cache SEC(".maps");

/* A zeroed entry to insert from (too large for the stack). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct sysrec_pod);
} zero SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct sysrec_meta);
} meta SEC(".maps");

/* The agent's own notes, pinned with the rest: which recording and pod a container belongs
 * to, so that a container whose pod went while no agent ran is still attributed. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, __u64);
    __type(value, struct sysrec_owner);
} owners SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct sysrec_stats);
} stats SEC(".maps");

/* The cgroup ids of the container and the pod the current task is in; false outside pods.
 * Reads through BTF pointers (tp_btf): plain loads the verifier guards, no helper calls, so the
 * walk costs a few nanoseconds a level on every syscall of the node. */
static __always_inline bool walk(struct css_set *cset, bool use_v2, __u64 *ret_container,
                                 __u64 *ret_pod, struct kernfs_node **ret_pod_kn)
{
    struct cgroup_subsys_state *css;
    if (use_v2) {
        struct cgroup *dfl = cset->dfl_cgrp;
        if (!dfl)
            return false;
        css = &dfl->self;
    } else {
        css = cset->subsys[bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id)];
    }
    __u64 child = 0, grandchild = 0;
    struct kernfs_node *child_kn = 0;
    for (int i = 0; i < SYSREC_MAX_DEPTH && css; i++) {
        struct cgroup *cg = css->cgroup;
        if (!cg || !cg->kn)
            return false;
        struct kernfs_node *kn = cg->kn;
        __u64 id = kn->id;
        if (child && bpf_map_lookup_elem(&anchors, &id)) {
            /* id has pods as children: child is the pod, unless it is itself a parent of
             * pods (a task of kubepods/burstable, outside every pod). */
            if (bpf_map_lookup_elem(&anchors, &child))
                return false;
            *ret_pod = child;
            *ret_container = grandchild ? grandchild : child;
            *ret_pod_kn = child_kn;
            return true;
        }
        grandchild = child;
        child = id;
        child_kn = kn;
        css = css->parent;
    }
    return false;
}

static __always_inline bool current_container(bool use_v2, __u64 *ret_container, __u64 *ret_pod,
                                              struct kernfs_node **ret_pod_kn)
{
    struct task_struct *task = bpf_get_current_task_btf();
    struct css_set *cset = task->cgroups;
    if (!cset)
        return false;
    __u32 k0 = 0;
    struct sysrec_meta *m = bpf_map_lookup_elem(&meta, &k0);
    __u64 gen = m ? m->anchors_gen : 0;
    struct task_cache *tc = bpf_task_storage_get(&task_cache, task, 0,
                                                 BPF_LOCAL_STORAGE_GET_F_CREATE);
    *ret_pod_kn = 0;
    if (tc && tc->cset == (__u64)cset && tc->anchors_gen == gen) {
        *ret_container = tc->container;
        *ret_pod = tc->pod;
        return tc->container != 0;
    }
    __u64 container = 0, pod = 0;
    bool in = walk(cset, use_v2, &container, &pod, ret_pod_kn);
    if (tc) {
        tc->cset = (__u64)cset;
        tc->anchors_gen = gen;
        tc->container = in ? container : 0;
        tc->pod = in ? pod : 0;
    }
    *ret_container = container;
    *ret_pod = pod;
    return in;
}

static __always_inline void note_other(struct sysrec_pod *p, __u64 key)
{
    for (int i = 0; i < SYSREC_OTHERS; i++) {
        __u64 have = p->others[i];
        if (have == key)
            return;
        if (have == 0) {
            have = __sync_val_compare_and_swap(&p->others[i], 0, key);
            if (have == 0 || have == key)
                return;
        }
    }
    __sync_fetch_and_or(&p->others_full, 1);
}

static __always_inline int on_sys_enter(__u64 *ctx, bool use_v2)
{
    long id = (long)ctx[1];
    if (id < 0)
        return 0;
    __u64 container, pod;
    struct kernfs_node *pod_kn = 0;
    if (!current_container(use_v2, &container, &pod, &pod_kn))
        return 0;
    struct sysrec_pod *p = bpf_map_lookup_elem(&pods, &container);
    if (!p) {
        if (bpf_map_lookup_elem(&ignored, &container))
            return 0;
        __u32 k0 = 0;
        struct sysrec_pod *z = bpf_map_lookup_elem(&zero, &k0);
        if (!z)
            return 0;
        /* Another CPU may insert it first (-EEXIST): then use theirs. */
        if (bpf_map_update_elem(&pods, &container, z, BPF_NOEXIST) != 0) {
            p = bpf_map_lookup_elem(&pods, &container);
            if (!p) {
                struct sysrec_stats *s = bpf_map_lookup_elem(&stats, &k0);
                if (s)
                    __sync_fetch_and_add(&s->pods_full, 1);
                return 0;
            }
        } else {
            p = bpf_map_lookup_elem(&pods, &container);
            if (!p)
                return 0;
        }
        if (!p->pod)
            p->pod = pod;
    }
    /* The pod's folder name, once (a task whose walk was cached comes back without it). */
    if (!p->pod_name[0] && pod_kn)
        bpf_probe_read_kernel_str(p->pod_name, sizeof(p->pod_name), pod_kn->name);
    __u64 nr = (__u64)id;
    int cls = SYSREC_NATIVE;
#if defined(__TARGET_ARCH_x86)
    struct task_struct *task = bpf_get_current_task_btf();
    if (task->thread_info.status & 0x0002) /* TS_COMPAT: an int $0x80 call */
        cls = SYSREC_COMPAT;
    else if (nr & 0x40000000) { /* __X32_SYSCALL_BIT */
        cls = SYSREC_X32;
        nr &= ~0x40000000ULL;
    }
#elif defined(__TARGET_ARCH_arm64)
    struct task_struct *task = bpf_get_current_task_btf();
    if (task->thread_info.flags & (1UL << 22)) /* TIF_32BIT */
        cls = SYSREC_COMPAT;
#endif
    if (nr >= SYSREC_BITS) {
        note_other(p, (((__u64)cls << 32) | (nr & 0xffffffffULL)) + 1);
        return 0;
    }
    __u64 bit = 1ULL << (nr & 63);
    __u64 *word = &p->bits[cls][nr >> 6];
    if (!(*word & bit))
        __sync_fetch_and_or(word, bit);
    return 0;
}

/* The agent loads one of the two: cgroup v1 (the memory controller's hierarchy) or v2. */
SEC("tp_btf/sys_enter")
int kscmp_sys_enter_v1(__u64 *ctx)
{
    return on_sys_enter(ctx, false);
}

SEC("tp_btf/sys_enter")
int kscmp_sys_enter_v2(__u64 *ctx)
{
    return on_sys_enter(ctx, true);
}
