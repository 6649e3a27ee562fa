/* kernel_types.h - the few kernel types the syscall recorder reads, for CO-RE.
 *
 * Owns: declarations of only the fields syscall_record.bpf.c touches. They carry
 * preserve_access_index, so clang records each access by name and libbpf moves it to where
 * the running kernel has the field (its BTF, /sys/kernel/btf/vmlinux): the layout written
 * here does not matter, the names do. No kernel headers are needed to build.
 */
#ifndef KSCMP_KERNEL_TYPES_H
#define KSCMP_KERNEL_TYPES_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed int __s32;
typedef signed long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

enum bpf_map_type {
    BPF_MAP_TYPE_HASH = 1,
    BPF_MAP_TYPE_ARRAY = 2,
    BPF_MAP_TYPE_TASK_STORAGE = 29,
};

enum {
    BPF_ANY = 0,
    BPF_NOEXIST = 1,
};

enum {
    BPF_F_NO_PREALLOC = 1,
};

enum {
    BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct kernfs_node {
    __u64 id;
    const char *name;
};

struct cgroup;

struct cgroup_subsys_state {
    struct cgroup *cgroup;
    struct cgroup_subsys_state *parent;
};

struct cgroup {
    struct cgroup_subsys_state self;
    struct kernfs_node *kn;
};

struct css_set {
    struct cgroup_subsys_state *subsys[16];
    struct cgroup *dfl_cgrp;
};

struct thread_info {
    unsigned long flags;
    __u32 status;
};

struct task_struct {
    struct thread_info thread_info;
    struct css_set *cgroups;
};

#pragma clang attribute pop

enum cgroup_subsys_id {
    memory_cgrp_id,
};

#endif
