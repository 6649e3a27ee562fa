/* startup.c - the container runtime's start-up syscalls as data (docs/policies.md).
 *
 * How the x86_64 sets were found (tests/enforce/startup.py keeps them true):
 *   - runc 1.1.5 (Debian 12's 1.1.5+ds1-1+deb12u1, which carries the upstream security fixes
 *     up to 1.1.12: the working-directory check and the closing of descriptors before execve),
 *     crun 1.8.1, and runc 1.2.9, 1.3.6 and 1.4.3 built from source (nodes today run 1.2 to
 *     1.4; since 1.2.8 and 1.3.3 runc opens /proc through a private procfs handle, and from
 *     1.2 on glibc makes its set*id calls in every thread: more calls after the filter), on
 *     Linux 6.18, driven as containerd's shim drives them (`create`, then
 *     `start`; `exec --detach` for kubectl exec and exec probes), with the OCI config
 *     containerd writes for a pod's container, as root and as a non-root user with
 *     supplementary groups, with and without no_new_privs;
 *   - `strace -f` of each run under a filter that allows everything: every call the thread
 *     that loaded the filter made until its execve of the program;
 *   - then each set, with exactly the calls of a program that only calls exit, under an Errno
 *     and under a Kill default: the container starts; and without any one entry, some
 *     runtime, mode, user, default or exec fails to start it (the test prints which), unless
 *     the entry says why it stays.
 * Other architectures: no runtime runs here for them. The runtimes take the same steps
 * there; the names come from their source (Go's syscall package and glibc call the same *at,
 * 64-bit and rt_* calls on every 64-bit architecture; on 32-bit ones they use the *64, *32
 * and time64 calls, mapped here through name32). startup_derivation() says which is which.
 *
 * An x86 or x32 process in the container does not matter: the runtime itself runs in the
 * node's native ABI (x86_64) until execve, so only native names are needed; the rules apply
 * to every architecture of the profile, as OCI rules do.
 */
#include "engine/startup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

#define GO_RUNTIME_STAYS                                                                           \
    "not seen in these runs: runc init is a Go program whose runtime makes it on the thread "      \
    "that loaded the filter when "

/* A private procfs handle, in runc since 1.2.8 and 1.3.3 (openat2 beneath it, statx to check
 * each file's mount, and for exec a procfs of its own). */
#define PROCFS_MOUNT                                                                               \
    "runc >= 1.2 (exec): mounts a private procfs to open /proc files safely (refused with an "     \
    "errno, it falls back to /proc)"

/* Sorted by name. A step names the runtimes that need the call and what for: "runc" for every
 * version measured, "runc >= 1.2" for the newer releases only (Debian's 1.1.5 does not make
 * it); "(exec)" means only in a process started by `exec` in a running container. */
static const struct startup_entry entries[] = {
    {"capget", NULL, "runc: reads the capabilities it holds before it drops the others", NULL,
     NULL},
    {"capset", NULL, "runc, crun: set the container's capabilities", NULL, NULL},
    {"chdir", NULL, "runc: changes to the container's working directory", NULL, NULL},
    {"close", NULL,
     "runc: closes its pipes and the descriptors it opened; crun: closes its sync socket and the "
     "exec fifo",
     "runc: closes its init and log pipes and the descriptors it must not leak before execve; "
     "crun: closes the filter's descriptor",
     NULL},
    {"close_range", NULL,
     "runc >= 1.2: marks inherited descriptors close-on-exec in one call; crun >= 1.15: closes "
     "them before execve",
     "crun >= 1.15: closes inherited descriptors before execve (refused with an errno, it falls "
     "back to /proc/self/fd)",
     NULL},
    {"epoll_ctl", NULL, "runc: Go adds each file it opens to its poller (a refusal is ignored)",
     "runc: Go adds /proc/self/fd to its poller (a refusal is ignored)", NULL},
    {"execve", NULL, "runc, crun: start the container's program",
     "runc, crun: start the container's program", NULL},
    {"faccessat", NULL,
     "runc >= 1.2 (exec): checks that /proc/thread-self exists (refused with an errno, it falls "
     "back)",
     NULL, NULL},
    {"faccessat2", NULL,
     "runc: checks that the program may be executed; runc >= 1.2 (exec): looks into its private "
     "procfs",
     NULL, NULL},
    {"fchown", "fchown32", "runc, crun (exec): hand stdin, stdout and stderr to a non-root user",
     NULL, NULL},
    {"fcntl", "fcntl64",
     "runc: marks inherited descriptors close-on-exec; runc >= 1.2: reads the flags of the files "
     "it opens",
     "runc >= 1.2: reads the flags of the files it opens", NULL},
    {"fsconfig", NULL, PROCFS_MOUNT, NULL, NULL},
    {"fsmount", NULL, PROCFS_MOUNT, NULL, NULL},
    {"fsopen", NULL, PROCFS_MOUNT, NULL, NULL},
    {"fstat", "fstat64",
     "runc: looks at stdin, stdout and stderr before it hands them to the user, at the files it "
     "reads and (>= 1.2) at its procfs handle",
     "runc >= 1.2: looks at its procfs handle before it uses it", NULL},
    {"fstatfs", "fstatfs64",
     "runc: checks that /proc/self/fd (>= 1.2: its procfs handle) is procfs",
     "runc: checks that /proc/self/fd (>= 1.2: its procfs handle) is procfs before it closes "
     "descriptors",
     NULL},
    {"futex", NULL, "runc: its Go runtime's waits and wake-ups, and glibc's",
     "runc: its Go runtime's waits and wake-ups", NULL},
    {"getcwd", NULL, "runc: checks that the working directory is inside the container", NULL, NULL},
    {"getdents64", NULL, "runc: lists /proc/self/fd to mark or close inherited descriptors",
     "runc: lists /proc/self/fd to close inherited descriptors before execve", NULL},
    {"getpid", NULL,
     "runc: its own process id, for the container's state; runc >= 1.2: glibc names its other "
     "threads with it (tgkill)",
     "runc: its own process id, for the container's state", NULL},
    {"getppid", NULL, "runc: checks that its parent is still the runtime", NULL, NULL},
    {"ioctl", NULL, "crun (exec): asks whether stdin, stdout and stderr are terminals", NULL, NULL},
    {"mmap", "mmap2", "runc: its Go runtime maps memory as its heap grows",
     "runc: its Go runtime maps memory as its heap grows",
     "seen in one run only (runc 1.2.9's init, as a non-root user): the Go runtime maps memory "
     "when its heap grows, which no test can bring about at will; refused, runc dies there"},
    {"newfstatat", "fstatat64", "runc: stats /dev/null and finds the program", NULL, NULL},
    {"open_tree", NULL,
     "runc >= 1.2 (exec): opens the root's mount tree when it looks for procfs (refused with an "
     "errno, it falls back)",
     NULL, NULL},
    {"openat", NULL,
     "runc: opens /proc/self/fd, /etc/passwd, /etc/group, /proc/self/setgroups, "
     "/proc/self/status and the exec fifo; crun (exec): opens /proc/self/setgroups",
     "runc: opens the exec fifo and /proc/self/fd", NULL},
    {"openat2", NULL, "runc >= 1.2: opens /proc files beneath its procfs handle",
     "runc >= 1.2: opens /proc files beneath its procfs handle", NULL},
    {"prctl", NULL,
     "runc, crun: shrink the capability bounding set, keep capabilities across the change of "
     "user, clear the ambient set",
     NULL, NULL},
    {"prlimit64", NULL,
     "runc >= 1.2: its Go runtime puts back the soft limit of open files it raised at start (when "
     "the runtime runs with a soft limit below the hard one, as under containerd 2.x)",
     "runc >= 1.2: its Go runtime puts back the soft limit of open files it raised at start", NULL},
    {"pselect6", "pselect6_time64", "crun: waits on the exec fifo until the container is started",
     NULL, NULL},
    {"read", NULL,
     "runc: reads /etc/passwd, /etc/group, /proc/self/setgroups and /proc/self/status; crun: "
     "reads the exec fifo and (exec) /proc/self/setgroups",
     NULL, NULL},
    {"rt_sigaction", NULL, "crun: resets signal handlers to their defaults", NULL, NULL},
    {"rt_sigprocmask", NULL, "crun: unblocks signals", NULL, NULL},
    {"rt_sigreturn", NULL, "runc: its Go runtime returns from a signal (preemption by SIGURG)",
     "runc: its Go runtime returns from a signal (preemption by SIGURG)",
     "seen under strace, whose slowness lets the Go scheduler preempt runc with SIGURG, and now "
     "and then without: no test can bring the signal about at will; refused, runc dies then"},
    {"sched_yield", NULL, "runc: its Go runtime yields while a runtime lock is held elsewhere",
     "runc: its Go runtime yields while a runtime lock is held elsewhere",
     GO_RUNTIME_STAYS "one of its locks is contended; refused under a Kill default, runc dies"},
    {"setgid", "setgid32", "runc: sets the container's group id", NULL, NULL},
    {"setgroups", "setgroups32", "runc, crun (exec): set the supplementary groups", NULL, NULL},
    {"setresgid", "setresgid32", "crun: sets the container's group ids", NULL, NULL},
    {"setresuid", "setresuid32", "crun: sets the container's user ids", NULL, NULL},
    {"setuid", "setuid32", "runc: sets the container's user id", NULL, NULL},
    {"statx", NULL,
     "runc >= 1.2: checks the mount of each /proc file it opens; crun (exec): looks at "
     "/proc/self/setgroups before it reads it",
     "runc >= 1.2: checks the mount of each /proc file it opens", NULL},
    {"tgkill", NULL,
     "runc >= 1.2: glibc has its other threads change groups and ids too (setgroups, setgid, "
     "setuid)",
     NULL, NULL},
    {"umask", NULL, "crun (exec): sets the umask", "crun (exec): sets the umask", NULL},
    {"uname", NULL,
     "runc >= 1.2 (exec): reads the kernel's version to choose how to open procfs (refused with "
     "an errno, it falls back)",
     NULL, NULL},
    {"write", NULL,
     "runc: writes to the exec fifo; crun: reports to the runtime on its sync socket",
     "runc: writes to the exec fifo; crun (exec): tells the runtime it is about to execve", NULL},
    /* glibc on 32-bit architectures tries pselect6_time64 and falls back to this one only when
     * the kernel lacks it (ENOSYS); an older kernel needs it. */
    {NULL, "pselect6", "crun: waits on the exec fifo (kernels without pselect6_time64)", NULL,
     NULL},
};

/* The entries whose step ends "(refused with an errno, it falls back...)": runc >= 1.2 looks
 * for a safe way to open procfs and takes the plain /proc when these fail. */
static const char *const errno_fallbacks[] = {"faccessat", "fsconfig",  "fsmount",
                                              "fsopen",    "open_tree", "uname"};

bool startup_errno_falls_back(const struct startup_entry *e)
{
    for (size_t i = 0; e->name && i < ELEMENTSOF(errno_fallbacks); i++)
        if (strcmp(e->name, errno_fallbacks[i]) == 0)
            return true;
    return false;
}

/* Entries that stay in the short set though no runtime these tests run needs them there. */
static const struct {
    const char *name, *why;
} short_stays[] = {
    {"close_range",
     "crun 1.15 and later make it after loading the filter (seen under strace with crun 1.27.1); "
     "the crun these tests run is Debian's 1.8.1, which does not: refused under a Kill default, "
     "a newer crun dies"},
};

const char *startup_stays(const struct startup_entry *e, enum startup_mode m)
{
    for (size_t i = 0; m == STARTUP_SHORT && e->name && i < ELEMENTSOF(short_stays); i++)
        if (strcmp(e->name, short_stays[i].name) == 0)
            return short_stays[i].why;
    return e->stays;
}

const struct startup_entry *startup_entries(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(entries);
    return entries;
}

const char *startup_mode_name(enum startup_mode m)
{
    return m == STARTUP_SHORT ? "short" : "long";
}

/* Architectures whose native calls are the 32-bit ones (*64, *32, time64). */
static bool arch_is_32bit(int arch)
{
    static const char *const names[] = {"x86",  "arm",    "ppc",       "s390",
                                        "mips", "mipsel", "mips64n32", "mipsel64n32"};
    const struct arch_info *a = arch_get((size_t)arch);
    for (size_t i = 0; a && i < ELEMENTSOF(names); i++)
        if (strcmp(a->name, names[i]) == 0)
            return true;
    return false;
}

/* Whether name is a syscall of arch; its id in *ret_id when so. */
static bool exists_on(struct sysdb *db, const char *name, int arch, uint32_t *ret_id)
{
    return name && sysdb_lookup(db, name, ret_id) == 0 &&
           (sysdb_arches(db, *ret_id) & (1u << arch));
}

/* startup_name() with arch_is_32bit(arch) known (is32), for the loops over every entry; the
 * name's id in *ret_id (looked up once). */
static const char *name_on(const struct startup_entry *e, int arch, bool is32, struct sysdb *db,
                           uint32_t *ret_id)
{
    if (arch < 0 || (size_t)arch >= arch_count())
        return NULL;
    if (is32) {
        if (exists_on(db, e->name32, arch, ret_id))
            return e->name32;
        return e->name32 || !exists_on(db, e->name, arch, ret_id) ? NULL : e->name;
    }
    return exists_on(db, e->name, arch, ret_id) ? e->name : NULL;
}

const char *startup_name(const struct startup_entry *e, int arch, struct sysdb *db)
{
    uint32_t id;
    return name_on(e, arch, arch >= 0 && arch_is_32bit(arch), db, &id);
}

const char *startup_step(const struct startup_entry *e, enum startup_mode m)
{
    return m == STARTUP_SHORT ? e->step_short : e->step_long;
}

const char *startup_derivation(int arch)
{
    const struct arch_info *a = arch >= 0 ? arch_get((size_t)arch) : NULL;
    if (!a)
        return "unknown architecture";
    if (strcmp(a->name, "x86_64") == 0)
        return "measured on Linux 6.18 with Debian 12's runc 1.1.5 and crun 1.8.1 and with runc "
               "1.2.9, 1.3.6 and 1.4.3 built from source: strace of init and exec, as root and "
               "as a non-root user, with and without no_new_privs, and start-up tests under "
               "Errno and Kill defaults";
    if (strcmp(a->name, "aarch64") == 0 || strcmp(a->name, "riscv64") == 0)
        return "derived from runc's and crun's source, not measured: the same steps, and Go and "
               "glibc make the same calls there as on x86_64";
    if (strcmp(a->name, "arm") == 0)
        return "derived from runc's and crun's source, not measured: the same steps, with the "
               "32-bit calls Go and glibc use there (fcntl64, fstat64, fstatfs64, fstatat64, "
               "mmap2, setgroups32, setgid32, setuid32, setresgid32, setresuid32, fchown32, "
               "pselect6_time64 and pselect6)";
    if (arch_is_32bit(arch))
        return "not measured nor checked against the source for this architecture: the 32-bit "
               "names of the x86_64 set, where they exist";
    return "not measured nor checked against the source for this architecture: the x86_64 "
           "names, where they exist";
}

_Static_assert(ELEMENTSOF(entries) <= STARTUP_ENTRIES_MAX, "STARTUP_ENTRIES_MAX is too small");

void startup_set_init(struct startup_set *s, enum startup_mode m, int arch, struct sysdb *db)
{
    s->mode = m;
    s->n = 0;
    bool is32 = arch >= 0 && arch_is_32bit(arch);
    for (size_t i = 0; i < ELEMENTSOF(entries); i++) {
        uint32_t id; /* of a name the db holds: never an id it does not */
        const char *name =
            startup_step(&entries[i], m) ? name_on(&entries[i], arch, is32, db, &id) : NULL;
        if (name)
            s->member[s->n++] = (struct startup_member){&entries[i], name, id};
    }
}

bool startup_set_has(const struct startup_set *s, uint32_t sys)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->member[i].id == sys)
            return true;
    return false;
}

int startup_apply_set(struct cprof *p, const struct startup_set *s)
{
    if (p->dflt.action == ACT_ALLOW)
        return 0;
    /* The syscalls p has no unconditional rule for (it names them in no policy, or only in
     * conditions whose policies' defaults said nothing: profile_merge_opts), added
     * together, their conditional rules kept; their origin texts in one block. */
    static const char prefix[] = "container start-up: ";
    struct cadd adds[STARTUP_ENTRIES_MAX];
    size_t n = 0, text = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct startup_member *m = &s->member[i];
        if (profile_entry(p, m->id))
            continue;
        const char *step = startup_step(m->entry, s->mode);
        adds[n++] = (struct cadd){m->id, step};
        text += sizeof(prefix) + strlen(step);
    }
    if (!n)
        return 0;
    _cleanup_free_ char *block = malloc(text);
    if (!block)
        return -ENOMEM;
    char *at = block;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(adds[i].origin) + 1;
        memcpy(at, prefix, sizeof(prefix) - 1);
        memcpy(at + sizeof(prefix) - 1, adds[i].origin, len);
        adds[i].origin = at;
        at += sizeof(prefix) - 1 + len;
    }
    int r = profile_add_unnamed(p, adds, n, VERDICT(ACT_ALLOW));
    return r < 0 ? r : 0;
}

static bool blocks(struct verdict v)
{
    return v.action != ACT_ALLOW && v.action != ACT_LOG;
}

/* Whether v keeps the runtime from starting the container (fb: an errno does not, nor Trace,
 * which fails the call with ENOSYS where no tracer is attached, as in a container). */
static bool stops(struct verdict v, bool fb)
{
    return blocks(v) && !(fb && (v.action == ACT_ERRNO || v.action == ACT_TRACE));
}

int startup_blocked_set(const struct cprof *p, const struct startup_set *s,
                        struct startup_block **ret, size_t *ret_n)
{
    struct startup_block v[STARTUP_ENTRIES_MAX];
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct startup_member *m = &s->member[i];
        const struct centry *e = profile_entry(p, m->id);
        struct verdict uncond = e ? e->v : p->dflt;
        bool fb = startup_errno_falls_back(m->entry);
        /* The conditional rules' else is the unconditional rule, or the default. */
        bool some_block = stops(uncond, fb), some_allow = !stops(uncond, fb);
        size_t nc = 0;
        const struct ccond *c = profile_conds(p, m->id, &nc);
        for (size_t k = 0; k < nc; k++) {
            some_block = some_block || stops(c[k].v, fb);
            some_allow = some_allow || !stops(c[k].v, fb);
        }
        if (some_block)
            v[n++] = (struct startup_block){m->entry, m->name, some_allow};
    }
    *ret = NULL;
    *ret_n = n;
    if (n) {
        if (!(*ret = malloc(n * sizeof(*v))))
            return -ENOMEM;
        memcpy(*ret, v, n * sizeof(*v));
    }
    return 0;
}

int startup_blocked_text(const struct startup_block *v, size_t n, enum startup_mode m, char **ret)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s%s (%s%s)", i ? ", " : "", v[i].name,
                v[i].conditional ? " for some arguments" : "", startup_step(v[i].entry, m),
                startup_errno_falls_back(v[i].entry) ? "; this profile kills or traps it instead"
                                                     : "");
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    *ret = buf;
    return 0;
}
