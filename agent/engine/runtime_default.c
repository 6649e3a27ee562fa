/* runtime_default.c - the container runtime's default profile ("runtime/default") as data.
 *
 * Which default this is: the profile that Docker Engine 29.x (moby/profiles, seccomp) and
 * containerd 2.x (contrib/seccomp) generate as of May 2026, i.e. after the AF_ALG change for
 * CVE-2026-31431 (moby#52494, containerd#13327), evaluated for
 *   - the default container capability set (CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD,
 *     NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL,
 *     AUDIT_WRITE): of the capability-gated entries only chroot (CAP_SYS_CHROOT) is in, and
 *     the entries the runtimes add when CAP_SYS_ADMIN is absent (clone without namespace
 *     flags, clone3 -> ENOSYS) are in;
 *   - a kernel >= 4.8 (ptrace, process_vm_readv/writev allowed, as Docker does; containerd
 *     allows only ptrace without CAP_SYS_PTRACE);
 *   - every architecture at once: arch-only entries (arch_prctl, modify_ldt, arm's
 *     cacheflush, ...) are listed plainly and the engine drops names a node does not have.
 * Deliberate differences from those runtimes:
 *   - calls added in Linux 6.8 - 6.13 (listmount, statmount, mseal, uretprobe, riscv_hwprobe,
 *     getxattrat, listxattrat, setxattrat, removexattrat) are left out: libseccomp < 2.6
 *     cannot name them and kscmp rejects names libseccomp does not know. They are denied by
 *     the default action. (lsm_* need CAP_SYS_ADMIN there, so they are out anyway.)
 *   - the s390/s390x form of the clone rule (flags in argument 1) is not represented: a rule
 *     here cannot be limited to some architectures. On s390x nodes clone's rule checks arg 0.
 * Everything else is denied with EPERM (the default action); io_uring_*, unshare, mount,
 * bpf, keyctl, add_key, kexec_load, reboot, ... are therefore denied.
 */
#include "engine/runtime_default.h"

#include <errno.h>

/* Unconditionally allowed, grouped by topic (each list in alphabetical order). */
static const char *const allow_always[] = {
    /* file descriptors and plain I/O */
    "_llseek", "close", "close_range", "copy_file_range", "dup", "dup2", "dup3", "fcntl", "fcntl64",
    "ioctl", "lseek", "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read",
    "readahead", "readv", "sendfile", "sendfile64", "splice", "tee", "vmsplice", "write", "writev",
    /* files, directories and their metadata */
    "access", "cachestat", "chdir", "chmod", "chown", "chown32", "creat", "faccessat", "faccessat2",
    "fadvise64", "fadvise64_64", "fallocate", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown",
    "fchown32", "fchownat", "fdatasync", "flock", "fstat", "fstat64", "fstatat64", "fstatfs",
    "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futimesat", "getcwd", "getdents",
    "getdents64", "lchown", "lchown32", "link", "linkat", "lstat", "lstat64", "mkdir", "mkdirat",
    "mknod", "mknodat", "name_to_handle_at", "newfstatat", "open", "openat", "openat2", "readlink",
    "readlinkat", "rename", "renameat", "renameat2", "rmdir", "stat", "stat64", "statfs",
    "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "truncate",
    "truncate64", "umask", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes",
    /* extended attributes */
    "fgetxattr", "flistxattr", "fremovexattr", "fsetxattr", "getxattr", "lgetxattr", "listxattr",
    "llistxattr", "lremovexattr", "lsetxattr", "removexattr", "setxattr",
    /* file change notification */
    "fanotify_mark", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
    /* asynchronous I/O (not io_uring) */
    "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup",
    "io_submit", "ioprio_get", "ioprio_set",
    /* waiting for events */
    "_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "poll", "ppoll",
    "ppoll_time64", "pselect6", "pselect6_time64", "select",
    /* sockets (socket itself is conditional, below) */
    "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen",
    "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg", "sendmsg",
    "sendto", "setsockopt", "shutdown", "socketcall", "socketpair",
    /* memory */
    "brk", "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore",
    "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mremap", "msync", "munlock",
    "munlockall", "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect", "remap_file_pages",
    /* processes and threads */
    "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork", "get_robust_list",
    "get_thread_area", "getcpu", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
    "getrlimit", "getrusage", "getsid", "gettid", "kill", "pidfd_open", "pidfd_send_signal",
    "prctl", "prlimit64", "process_mrelease", "restart_syscall", "rseq", "set_robust_list",
    "set_thread_area", "set_tid_address", "setpgid", "setpriority", "setrlimit", "setsid", "tgkill",
    "tkill", "ugetrlimit", "vfork", "wait4", "waitid", "waitpid",
    /* futexes */
    "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
    /* scheduling */
    "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
    /* user and group ids */
    "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
    "getgroups32", "getresgid", "getresgid32", "getresuid", "getresuid32", "getuid", "getuid32",
    "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
    "setgroups32", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32",
    "setreuid", "setreuid32", "setuid", "setuid32",
    /* signals */
    "pause", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
    "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
    "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
    /* time and timers */
    "adjtimex", "alarm", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
    "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "getitimer",
    "gettimeofday", "nanosleep", "setitimer", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "times",
    /* System V IPC and POSIX message queues */
    "ipc", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
    "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd",
    "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt",
    "shmget", "pipe", "pipe2",
    /* sandboxing the container may apply to itself */
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "seccomp",
    /* system information */
    "getrandom", "sysinfo", "uname", NULL};

/* Allowed on kernels >= 4.8, where seccomp runs after ptrace (so tracing cannot bypass it). */
static const char *const allow_ptrace[] = {"process_vm_readv", "process_vm_writev", "ptrace", NULL};

/* Architecture-specific calls; names absent from a node's architectures are dropped. */
static const char *const allow_arch[] = {
    /* x86 */
    "arch_prctl", "modify_ldt",
    /* arm / arm64 */
    "arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush", "set_tls",
    "sync_file_range2",
    /* ppc64le (sync_file_range2 above too) */
    "swapcontext",
    /* s390 / s390x */
    "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr",
    /* riscv64 */
    "riscv_flush_icache", NULL};

/* In the default capability set: CAP_SYS_CHROOT. */
static const char *const allow_chroot[] = {"chroot", NULL};

static const char *const name_socket[] = {"socket", NULL};
static const char *const name_personality[] = {"personality", NULL};
static const char *const name_clone[] = {"clone", NULL};
static const char *const name_clone3[] = {"clone3", NULL};

/* Address families around the two that are refused (linux/socket.h). */
#define RT_AF_ALG 38
#define RT_AF_VSOCK 40

/* personality(2) values: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the
 * 0xffffffff query that only reads the current persona. */
#define RT_PER_LINUX 0x0
#define RT_PER_LINUX32 0x8
#define RT_UNAME26 0x20000
#define RT_PER_QUERY 0xffffffffULL

/* CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
 * CLONE_NEWCGROUP: clone is allowed when none of these flags is set. */
#define RT_CLONE_NS_FLAGS 0x7e020000ULL

#define ALLOW(list)                                                                                \
    {                                                                                              \
        .names = (list), .action = ACT_ALLOW                                                       \
    }
#define ALLOW_IF(list, idx, cmp, v, v2)                                                            \
    {                                                                                              \
        .names = (list), .action = ACT_ALLOW, .nargs = 1,                                          \
        .args = {{.index = (idx), .op = (cmp), .value = (v), .value_two = (v2)}},                  \
    }

static const struct runtime_default_rule rules[] = {
    ALLOW(allow_always),
    ALLOW(allow_ptrace),
    ALLOW(allow_arch),
    ALLOW(allow_chroot),
    /* socket: every address family except AF_ALG (38) and AF_VSOCK (40). Three rules because
     * the conditions of one rule are ANDed and two NE tests on one argument cannot be
     * expressed in one libseccomp rule. */
    ALLOW_IF(name_socket, 0, OP_LT, RT_AF_ALG, 0),
    ALLOW_IF(name_socket, 0, OP_EQ, RT_AF_ALG + 1, 0),
    ALLOW_IF(name_socket, 0, OP_GT, RT_AF_VSOCK, 0),
    /* personality: only the personas ordinary programs switch between, and the query. */
    ALLOW_IF(name_personality, 0, OP_EQ, RT_PER_LINUX, 0),
    ALLOW_IF(name_personality, 0, OP_EQ, RT_PER_LINUX32, 0),
    ALLOW_IF(name_personality, 0, OP_EQ, RT_UNAME26, 0),
    ALLOW_IF(name_personality, 0, OP_EQ, RT_UNAME26 | RT_PER_LINUX32, 0),
    ALLOW_IF(name_personality, 0, OP_EQ, RT_PER_QUERY, 0),
    /* clone: threads and processes, but no new namespaces ((flags & mask) == 0). */
    ALLOW_IF(name_clone, 0, OP_MASKED_EQ, RT_CLONE_NS_FLAGS, 0),
    /* clone3 hides its flags behind a pointer: ENOSYS makes libc fall back to clone. */
    {.names = name_clone3, .action = ACT_ERRNO, .errno_ret = ENOSYS},
};

struct verdict runtime_default_default_action(void)
{
    return (struct verdict){.action = ACT_ERRNO, .errno_ret = EPERM};
}

const struct runtime_default_rule *runtime_default_rules(size_t *ret_n)
{
    if (ret_n)
        *ret_n = sizeof(rules) / sizeof(rules[0]);
    return rules;
}
