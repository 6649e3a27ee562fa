/* groups.c - the built-in named syscall sets (docs/policies.md: named syscall groups).
 *
 * Two kinds of sets live here:
 *  - "@..." sets modelled on systemd's SystemCallFilter= groups (same names, same intent; the
 *    members are chosen for kscmp and include syscalls newer than some systemd releases);
 *  - task-level sets ("dns", "malloc", ...) that list what a program doing that one task
 *    typically calls, for people who think in tasks rather than in syscalls.
 *
 * Names are listed for every architecture (the 32-bit variants such as fstat64 or
 * setuid32, socketcall, arm's set_tls, ...); the engine drops those that do not exist on the
 * node's architectures. An entry starting with '@' names another group; only "@" groups
 * are nested so that an entry is never ambiguous with a syscall name. Every name must be
 * known to libseccomp (tests/unit/test_groups.c checks it).
 */
#include "engine/groups.h"

#include <errno.h>
#include <string.h>

/* ---- systemd-style sets ------------------------------------------------------------------ */

static const char *const set_default[] = {"clock_getres",
                                          "clock_getres_time64",
                                          "clock_gettime",
                                          "clock_gettime64",
                                          "clock_nanosleep",
                                          "clock_nanosleep_time64",
                                          "execve",
                                          "exit",
                                          "exit_group",
                                          "futex",
                                          "futex_requeue",
                                          "futex_time64",
                                          "futex_wait",
                                          "futex_waitv",
                                          "futex_wake",
                                          "get_robust_list",
                                          "get_thread_area",
                                          "getegid",
                                          "getegid32",
                                          "geteuid",
                                          "geteuid32",
                                          "getgid",
                                          "getgid32",
                                          "getgroups",
                                          "getgroups32",
                                          "getpgid",
                                          "getpgrp",
                                          "getpid",
                                          "getppid",
                                          "getrandom",
                                          "getresgid",
                                          "getresgid32",
                                          "getresuid",
                                          "getresuid32",
                                          "getrlimit",
                                          "getsid",
                                          "gettid",
                                          "gettimeofday",
                                          "getuid",
                                          "getuid32",
                                          "membarrier",
                                          "nanosleep",
                                          "pause",
                                          "prlimit64",
                                          "restart_syscall",
                                          "rseq",
                                          "rt_sigreturn",
                                          "sched_getaffinity",
                                          "sched_yield",
                                          "set_robust_list",
                                          "set_thread_area",
                                          "set_tid_address",
                                          "set_tls",
                                          "sigreturn",
                                          "time",
                                          "ugetrlimit",
                                          NULL};

static const char *const set_aio[] = {
    "io_cancel", "io_destroy", "io_getevents",   "io_pgetevents",     "io_pgetevents_time64",
    "io_setup",  "io_submit",  "io_uring_enter", "io_uring_register", "io_uring_setup",
    NULL};

static const char *const set_basic_io[] = {
    "_llseek", "close",    "close_range", "dup",      "dup2", "dup3",  "lseek", "pread64", "preadv",
    "preadv2", "pwrite64", "pwritev",     "pwritev2", "read", "readv", "write", "writev",  NULL};

static const char *const set_chown[] = {"chown",    "chown32", "fchown",   "fchown32",
                                        "fchownat", "lchown",  "lchown32", NULL};

static const char *const set_clock[] = {
    "adjtimex",        "clock_adjtime", "clock_adjtime64", "clock_settime",
    "clock_settime64", "settimeofday",  "stime",           NULL};

static const char *const set_cpu_emulation[] = {"modify_ldt", "subpage_prot", "switch_endian",
                                                "vm86",       "vm86old",      NULL};

static const char *const set_debug[] = {"kcmp",
                                        "lookup_dcookie",
                                        "perf_event_open",
                                        "pidfd_getfd",
                                        "process_madvise",
                                        "process_vm_readv",
                                        "process_vm_writev",
                                        "ptrace",
                                        "rtas",
                                        "s390_runtime_instr",
                                        "sys_debug_setcontext",
                                        NULL};

static const char *const set_file_system[] = {"access",
                                              "chdir",
                                              "chmod",
                                              "close",
                                              "creat",
                                              "faccessat",
                                              "faccessat2",
                                              "fallocate",
                                              "fchdir",
                                              "fchmod",
                                              "fchmodat",
                                              "fchmodat2",
                                              "fcntl",
                                              "fcntl64",
                                              "fgetxattr",
                                              "flistxattr",
                                              "fremovexattr",
                                              "fsetxattr",
                                              "fstat",
                                              "fstat64",
                                              "fstatat64",
                                              "fstatfs",
                                              "fstatfs64",
                                              "ftruncate",
                                              "ftruncate64",
                                              "futimesat",
                                              "getcwd",
                                              "getdents",
                                              "getdents64",
                                              "getxattr",
                                              "inotify_add_watch",
                                              "inotify_init",
                                              "inotify_init1",
                                              "inotify_rm_watch",
                                              "lgetxattr",
                                              "link",
                                              "linkat",
                                              "listxattr",
                                              "llistxattr",
                                              "lremovexattr",
                                              "lsetxattr",
                                              "lstat",
                                              "lstat64",
                                              "mkdir",
                                              "mkdirat",
                                              "mknod",
                                              "mknodat",
                                              "mmap",
                                              "mmap2",
                                              "munmap",
                                              "newfstatat",
                                              "oldfstat",
                                              "oldlstat",
                                              "oldstat",
                                              "open",
                                              "openat",
                                              "openat2",
                                              "readlink",
                                              "readlinkat",
                                              "removexattr",
                                              "rename",
                                              "renameat",
                                              "renameat2",
                                              "rmdir",
                                              "setxattr",
                                              "stat",
                                              "stat64",
                                              "statfs",
                                              "statfs64",
                                              "statx",
                                              "symlink",
                                              "symlinkat",
                                              "truncate",
                                              "truncate64",
                                              "unlink",
                                              "unlinkat",
                                              "utime",
                                              "utimensat",
                                              "utimensat_time64",
                                              "utimes",
                                              NULL};

static const char *const set_io_event[] = {"_newselect",      "epoll_create",  "epoll_create1",
                                           "epoll_ctl",       "epoll_ctl_old", "epoll_pwait",
                                           "epoll_pwait2",    "epoll_wait",    "epoll_wait_old",
                                           "eventfd",         "eventfd2",      "poll",
                                           "ppoll",           "ppoll_time64",  "pselect6",
                                           "pselect6_time64", "select",        NULL};

static const char *const set_ipc[] = {"ipc",
                                      "memfd_create",
                                      "mq_getsetattr",
                                      "mq_notify",
                                      "mq_open",
                                      "mq_timedreceive",
                                      "mq_timedreceive_time64",
                                      "mq_timedsend",
                                      "mq_timedsend_time64",
                                      "mq_unlink",
                                      "msgctl",
                                      "msgget",
                                      "msgrcv",
                                      "msgsnd",
                                      "pipe",
                                      "pipe2",
                                      "semctl",
                                      "semget",
                                      "semop",
                                      "semtimedop",
                                      "semtimedop_time64",
                                      "shmat",
                                      "shmctl",
                                      "shmdt",
                                      "shmget",
                                      NULL};

static const char *const set_keyring[] = {"add_key", "keyctl", "request_key", NULL};

static const char *const set_memlock[] = {"mlock",   "mlock2",     "mlockall",
                                          "munlock", "munlockall", NULL};

static const char *const set_module[] = {"create_module", "delete_module", "finit_module",
                                         "init_module",   "query_module",  NULL};

static const char *const set_mount[] = {
    "chroot",     "fsconfig",  "fsmount",    "fsopen", "fspick",  "mount", "mount_setattr",
    "move_mount", "open_tree", "pivot_root", "umount", "umount2", NULL};

static const char *const set_network_io[] = {
    "accept",     "accept4", "bind",       "connect",    "getpeername", "getsockname",
    "getsockopt", "listen",  "recv",       "recvfrom",   "recvmmsg",    "recvmmsg_time64",
    "recvmsg",    "send",    "sendmmsg",   "sendmsg",    "sendto",      "setsockopt",
    "shutdown",   "socket",  "socketcall", "socketpair", NULL};

/* Only names libseccomp can resolve; systemd also lists a few it cannot (break, gtty, ...). */
static const char *const set_obsolete[] = {
    "_sysctl",  "afs_syscall", "bdflush", "create_module", "get_kernel_syms", "getpmsg",
    "idle",     "nfsservctl",  "putpmsg", "query_module",  "security",        "sgetmask",
    "ssetmask", "sysfs",       "tuxcall", "uselib",        "ustat",           "vserver",
    NULL};

static const char *const set_pkey[] = {"pkey_alloc", "pkey_free", "pkey_mprotect", NULL};

static const char *const set_privileged[] = {
    "@chown",    "@clock",        "@module",       "@mount",     "@raw-io",
    "@reboot",   "@swap",         "_sysctl",       "acct",       "bpf",
    "capset",    "fanotify_init", "fanotify_mark", "nfsservctl", "open_by_handle_at",
    "quotactl",  "quotactl_fd",   "setdomainname", "setfsuid",   "setfsuid32",
    "setgroups", "setgroups32",   "sethostname",   "setresuid",  "setresuid32",
    "setreuid",  "setreuid32",    "setuid",        "setuid32",   "vhangup",
    NULL};

static const char *const set_process[] = {"arch_prctl",
                                          "capget",
                                          "clone",
                                          "clone3",
                                          "execveat",
                                          "fork",
                                          "getrusage",
                                          "kill",
                                          "pidfd_open",
                                          "pidfd_send_signal",
                                          "prctl",
                                          "rt_sigqueueinfo",
                                          "rt_tgsigqueueinfo",
                                          "setns",
                                          "swapcontext",
                                          "tgkill",
                                          "times",
                                          "tkill",
                                          "unshare",
                                          "vfork",
                                          "wait4",
                                          "waitid",
                                          "waitpid",
                                          NULL};

static const char *const set_raw_io[] = {"ioperm",
                                         "iopl",
                                         "pciconfig_iobase",
                                         "pciconfig_read",
                                         "pciconfig_write",
                                         "s390_pci_mmio_read",
                                         "s390_pci_mmio_write",
                                         NULL};

static const char *const set_reboot[] = {"kexec_file_load", "kexec_load", "reboot", NULL};

static const char *const set_resources[] = {"ioprio_set",
                                            "mbind",
                                            "migrate_pages",
                                            "move_pages",
                                            "nice",
                                            "sched_setaffinity",
                                            "sched_setattr",
                                            "sched_setparam",
                                            "sched_setscheduler",
                                            "set_mempolicy",
                                            "set_mempolicy_home_node",
                                            "setpriority",
                                            "setrlimit",
                                            NULL};

static const char *const set_setuid[] = {"setgid",    "setgid32",    "setgroups", "setgroups32",
                                         "setregid",  "setregid32",  "setresgid", "setresgid32",
                                         "setresuid", "setresuid32", "setreuid",  "setreuid32",
                                         "setuid",    "setuid32",    NULL};

static const char *const set_signal[] = {
    "rt_sigaction",  "rt_sigpending",   "rt_sigprocmask",
    "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
    "sigaction",     "sigaltstack",     "signal",
    "signalfd",      "signalfd4",       "sigpending",
    "sigprocmask",   "sigsuspend",      NULL};

static const char *const set_swap[] = {"swapoff", "swapon", NULL};

static const char *const set_sync[] = {
    "fdatasync", "fsync", "msync", "sync", "sync_file_range", "sync_file_range2", "syncfs", NULL};

static const char *const set_timer[] = {"alarm",
                                        "getitimer",
                                        "setitimer",
                                        "timer_create",
                                        "timer_delete",
                                        "timer_getoverrun",
                                        "timer_gettime",
                                        "timer_gettime64",
                                        "timer_settime",
                                        "timer_settime64",
                                        "timerfd_create",
                                        "timerfd_gettime",
                                        "timerfd_gettime64",
                                        "timerfd_settime",
                                        "timerfd_settime64",
                                        "times",
                                        NULL};

/* What an ordinary long-running service needs; no privileged operations. */
static const char *const set_system_service[] = {"@aio",
                                                 "@basic-io",
                                                 "@chown",
                                                 "@default",
                                                 "@file-system",
                                                 "@io-event",
                                                 "@ipc",
                                                 "@keyring",
                                                 "@memlock",
                                                 "@network-io",
                                                 "@process",
                                                 "@resources",
                                                 "@setuid",
                                                 "@signal",
                                                 "@sync",
                                                 "@timer",
                                                 "brk",
                                                 "cachestat",
                                                 "copy_file_range",
                                                 "fadvise64",
                                                 "fadvise64_64",
                                                 "flock",
                                                 "get_mempolicy",
                                                 "getcpu",
                                                 "getpriority",
                                                 "ioctl",
                                                 "ioprio_get",
                                                 "madvise",
                                                 "map_shadow_stack",
                                                 "mincore",
                                                 "mprotect",
                                                 "mremap",
                                                 "name_to_handle_at",
                                                 "oldolduname",
                                                 "olduname",
                                                 "personality",
                                                 "readahead",
                                                 "readdir",
                                                 "remap_file_pages",
                                                 "sched_get_priority_max",
                                                 "sched_get_priority_min",
                                                 "sched_getattr",
                                                 "sched_getparam",
                                                 "sched_getscheduler",
                                                 "sched_rr_get_interval",
                                                 "sched_rr_get_interval_time64",
                                                 "sendfile",
                                                 "sendfile64",
                                                 "setfsgid",
                                                 "setfsgid32",
                                                 "setfsuid",
                                                 "setfsuid32",
                                                 "setpgid",
                                                 "setsid",
                                                 "splice",
                                                 "sysinfo",
                                                 "tee",
                                                 "umask",
                                                 "uname",
                                                 "userfaultfd",
                                                 "vmsplice",
                                                 NULL};

/* ---- task-level sets --------------------------------------------------------------------- */

/* A stub resolver (glibc, musl): read resolv.conf/hosts, query servers over UDP and TCP. */
static const char *const task_dns[] = {"bind",
                                       "clock_gettime",
                                       "clock_gettime64",
                                       "close",
                                       "connect",
                                       "fcntl",
                                       "fcntl64",
                                       "fstat",
                                       "fstat64",
                                       "getpid",
                                       "getrandom",
                                       "getsockname",
                                       "getsockopt",
                                       "gettimeofday",
                                       "ioctl",
                                       "newfstatat",
                                       "open",
                                       "openat",
                                       "poll",
                                       "ppoll",
                                       "ppoll_time64",
                                       "read",
                                       "recvfrom",
                                       "recvmmsg",
                                       "recvmmsg_time64",
                                       "recvmsg",
                                       "select",
                                       "_newselect",
                                       "pselect6",
                                       "pselect6_time64",
                                       "sendmmsg",
                                       "sendmsg",
                                       "sendto",
                                       "setsockopt",
                                       "socket",
                                       "socketcall",
                                       "stat",
                                       "stat64",
                                       "statx",
                                       "writev",
                                       NULL};

/* Open outgoing TCP/UDP connections and exchange data over them. */
static const char *const task_inet_client[] = {
    "@io-event",  "close",    "connect",    "getpeername", "getsockname",     "getsockopt",
    "read",       "recv",     "recvfrom",   "recvmmsg",    "recvmmsg_time64", "recvmsg",
    "send",       "sendfile", "sendfile64", "sendmmsg",    "sendmsg",         "sendto",
    "setsockopt", "shutdown", "socket",     "socketcall",  "write",           NULL};

/* Listen on TCP/UDP ports, accept connections and serve them. */
static const char *const task_inet_server[] = {
    "@io-event",   "accept",          "accept4", "bind",       "close",    "getpeername",
    "getsockname", "getsockopt",      "listen",  "read",       "recv",     "recvfrom",
    "recvmmsg",    "recvmmsg_time64", "recvmsg", "send",       "sendfile", "sendfile64",
    "sendmmsg",    "sendmsg",         "sendto",  "setsockopt", "shutdown", "socket",
    "socketcall",  "write",           NULL};

/* Send ICMP echo requests (raw or ICMP datagram sockets) and wait for the replies. */
static const char *const task_ping[] = {"alarm",          "bind",
                                        "capget",         "capset",
                                        "clock_gettime",  "clock_gettime64",
                                        "close",          "connect",
                                        "getsockname",    "getsockopt",
                                        "gettimeofday",   "poll",
                                        "ppoll",          "ppoll_time64",
                                        "prctl",          "recvfrom",
                                        "recvmsg",        "rt_sigaction",
                                        "rt_sigprocmask", "select",
                                        "_newselect",     "sendmsg",
                                        "sendto",         "setitimer",
                                        "setsockopt",     "socket",
                                        "socketcall",     NULL};

/* Create, write, read and remove temporary files and directories (mkstemp, O_TMPFILE). */
static const char *const task_tmp_files[] = {
    "close",     "creat",      "fallocate", "fchmod",    "fcntl",       "fcntl64",  "fdatasync",
    "fstat",     "fstat64",    "fsync",     "ftruncate", "ftruncate64", "getdents", "getdents64",
    "getrandom", "_llseek",    "linkat",    "lseek",     "lstat",       "lstat64",  "mkdir",
    "mkdirat",   "newfstatat", "open",      "openat",    "openat2",     "pread64",  "pwrite64",
    "read",      "rename",     "renameat",  "renameat2", "rmdir",       "stat",     "stat64",
    "statx",     "umask",      "unlink",    "unlinkat",  "write",       NULL};

/* What memory allocators (glibc malloc, jemalloc, tcmalloc, musl) call. */
static const char *const task_malloc[] = {
    "brk",   "futex",    "futex_time64", "getrandom", "madvise",           "mmap",
    "mmap2", "mprotect", "mremap",       "munmap",    "sched_getaffinity", NULL};

/* Query and change the process's user and group ids and supplementary groups. */
static const char *const task_user_ids[] = {"@setuid",     "getegid",   "getegid32",   "geteuid",
                                            "geteuid32",   "getgid",    "getgid32",    "getgroups",
                                            "getgroups32", "getresgid", "getresgid32", "getresuid",
                                            "getresuid32", "getuid",    "getuid32",    "setfsgid",
                                            "setfsgid32",  "setfsuid",  "setfsuid32",  NULL};

/* In the order `kscmp groups` prints them: systemd-style sets, then task-level ones. */
static const struct syscall_group groups[] = {
    {"@default", "Calls every program makes: exit, time, ids, futexes, thread setup", set_default},
    {"@aio", "Asynchronous I/O (io_* and io_uring_*)", set_aio},
    {"@basic-io", "Read, write, seek, duplicate and close file descriptors", set_basic_io},
    {"@chown", "Change the owner of files", set_chown},
    {"@clock", "Set the system clock", set_clock},
    {"@cpu-emulation", "Run code for other CPU modes (vm86, LDT changes)", set_cpu_emulation},
    {"@debug", "Trace, debug and profile other processes", set_debug},
    {"@file-system", "Open, create, inspect, rename and remove files and directories",
     set_file_system},
    {"@io-event", "Wait for events on descriptors (poll, select, epoll, eventfd)", set_io_event},
    {"@ipc", "Pipes, System V IPC, POSIX message queues and memfd", set_ipc},
    {"@keyring", "The kernel key store", set_keyring},
    {"@memlock", "Lock memory into RAM", set_memlock},
    {"@module", "Load and unload kernel modules", set_module},
    {"@mount", "Mount, unmount and change the root of file systems", set_mount},
    {"@network-io", "Create sockets and send and receive over them", set_network_io},
    {"@obsolete", "Obsolete, unused or never-implemented calls", set_obsolete},
    {"@pkey", "Memory protection keys", set_pkey},
    {"@privileged", "Calls that need a capability such as CAP_SYS_ADMIN", set_privileged},
    {"@process", "Create, run, signal, wait for and reconfigure processes", set_process},
    {"@raw-io", "Raw access to I/O ports and PCI devices", set_raw_io},
    {"@reboot", "Reboot the machine or load a new kernel", set_reboot},
    {"@resources", "Change scheduling, priorities, limits and memory placement", set_resources},
    {"@setuid", "Change user and group ids", set_setuid},
    {"@signal", "Handle, block and wait for signals", set_signal},
    {"@swap", "Turn swap devices on and off", set_swap},
    {"@sync", "Flush files and memory to storage", set_sync},
    {"@system-service", "What an ordinary unprivileged service needs", set_system_service},
    {"@timer", "Alarms, interval timers and timer descriptors", set_timer},
    {"dns", "Resolve host names with a stub resolver (UDP and TCP to port 53)", task_dns},
    {"inet-client", "Connect to network services and exchange data", task_inet_client},
    {"inet-server", "Listen for and serve network connections", task_inet_server},
    {"ping", "Send ICMP echo requests and read the replies", task_ping},
    {"tmp-files", "Create, use and remove temporary files and directories", task_tmp_files},
    {"malloc", "Allocate and release memory (heap and anonymous mappings)", task_malloc},
    {"user-ids", "Read and change user and group ids", task_user_ids},
};

#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

/* Nesting deeper than this means a cycle in the tables (the unit tests rule it out). */
#define GROUPS_MAX_DEPTH 8

const struct syscall_group *groups_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_GROUPS; i++)
        if (strcmp(groups[i].name, name) == 0)
            return &groups[i];
    return NULL;
}

const char *groups_at_name(const char *name)
{
    if (!name || name[0] == '@')
        return NULL;
    for (size_t i = 0; i < N_GROUPS; i++)
        if (groups[i].name[0] == '@' && strcmp(groups[i].name + 1, name) == 0)
            return groups[i].name;
    return NULL;
}

const struct syscall_group *groups_all(size_t *ret_n)
{
    if (ret_n)
        *ret_n = N_GROUPS;
    return groups;
}

/* Calls cb for each syscall of g, descending into nested groups; -ELOOP when nested too deep,
 * -ENOENT for a nested group that does not exist (neither happens with the built-in tables). */
static int expand_at(const struct syscall_group *g, int depth,
                     int (*cb)(const char *syscall, void *userdata), void *userdata)
{
    if (depth > GROUPS_MAX_DEPTH)
        return -ELOOP;
    for (const char *const *e = g->entries; *e; e++) {
        int r;
        if ((*e)[0] == '@') {
            const struct syscall_group *sub = groups_lookup(*e);
            if (!sub)
                return -ENOENT;
            r = expand_at(sub, depth + 1, cb, userdata);
        } else {
            r = cb(*e, userdata);
        }
        if (r != 0)
            return r;
    }
    return 0;
}

int groups_expand(const struct syscall_group *g, int (*cb)(const char *syscall, void *userdata),
                  void *userdata)
{
    if (!g || !cb)
        return -EINVAL;
    return expand_at(g, 0, cb, userdata);
}
