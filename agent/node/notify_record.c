/* notify_record.c - a command under a seccomp user-notification filter, every call counted. */
#include "node/notify_record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/arch.h"
#include "engine/recording.h"

/* Linux 6.6: answer on the waker's CPU, which makes each round trip about twice as fast. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

struct other {
    uint32_t audit_arch;
    uint32_t nr;
    int arch;
    uint64_t count;
};

struct notify_counts {
    uint64_t *table[32]; /* per arch table index, NOTIFY_TABLE_NR counters, NULL until used */
    struct other *others;
    size_t nothers, capothers;
    uint64_t unlisted;
    uint64_t total;
};

void notify_counts_free(struct notify_counts *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < ELEMENTSOF(c->table); i++)
        free(c->table[i]);
    free(c->others);
    free(c);
}

static int counts_add(struct notify_counts *c, uint32_t audit_arch, uint32_t nr)
{
    int arch = recorded_arch_of(audit_arch, nr);
    c->total++;
    if (arch >= 0 && (size_t)arch < ELEMENTSOF(c->table)) {
        uint32_t n = arch_get((size_t)arch)->token == SCMP_ARCH_X32 ? nr & ~RECORDED_X32_BIT : nr;
        if (n < NOTIFY_TABLE_NR) {
            if (!c->table[arch] && !(c->table[arch] = calloc(NOTIFY_TABLE_NR, sizeof(uint64_t))))
                return -ENOMEM;
            c->table[arch][n]++;
            return 0;
        }
    } else {
        arch = -1;
    }
    for (size_t i = 0; i < c->nothers; i++)
        if (c->others[i].audit_arch == audit_arch && c->others[i].nr == nr) {
            c->others[i].count++;
            return 0;
        }
    if (c->nothers >= NOTIFY_MAX_OTHERS) {
        c->unlisted++;
        return 0;
    }
    if (c->nothers == c->capothers) {
        size_t cap = c->capothers ? c->capothers * 2 : 16;
        struct other *v = realloc(c->others, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        c->others = v;
        c->capothers = cap;
    }
    c->others[c->nothers++] = (struct other){audit_arch, nr, arch, 1};
    return 0;
}

static int cmp_other(const void *a, const void *b)
{
    const struct other *x = a, *y = b;
    if (x->arch != y->arch)
        return x->arch < y->arch ? -1 : 1;
    if (x->audit_arch != y->audit_arch)
        return x->audit_arch < y->audit_arch ? -1 : 1;
    return x->nr < y->nr ? -1 : x->nr > y->nr;
}

int notify_counts_foreach(const struct notify_counts *c,
                          int (*cb)(int arch, uint32_t audit_arch, uint32_t nr, uint64_t count,
                                    void *userdata),
                          void *userdata)
{
    /* Known architectures in table order, each table then its large numbers; then the rest. */
    struct other *sorted = NULL;
    if (c->nothers) {
        sorted = malloc(c->nothers * sizeof(*sorted));
        if (!sorted)
            return -ENOMEM;
        memcpy(sorted, c->others, c->nothers * sizeof(*sorted));
        qsort(sorted, c->nothers, sizeof(*sorted), cmp_other);
    }
    int r = 0;
    size_t o = 0;
    while (o < c->nothers && sorted[o].arch < 0)
        o++; /* unknown architectures go last */
    size_t unknown_end = o;
    for (size_t a = 0; a < arch_count() && a < ELEMENTSOF(c->table) && r == 0; a++) {
        const struct arch_info *ai = arch_get(a);
        for (uint32_t n = 0; c->table[a] && n < NOTIFY_TABLE_NR && r == 0; n++)
            if (c->table[a][n])
                r = cb((int)a, ai->token, n, c->table[a][n], userdata);
        for (; o < c->nothers && sorted[o].arch == (int)a && r == 0; o++)
            r = cb((int)a, sorted[o].audit_arch, sorted[o].nr, sorted[o].count, userdata);
    }
    for (size_t i = 0; i < unknown_end && r == 0; i++)
        r = cb(-1, sorted[i].audit_arch, sorted[i].nr, sorted[i].count, userdata);
    free(sorted);
    return r;
}

uint64_t notify_counts_total(const struct notify_counts *c)
{
    return c->total;
}

uint64_t notify_counts_unlisted(const struct notify_counts *c)
{
    return c->unlisted;
}

/* What the child tells the parent through a shared page: it cannot write to a pipe, since
 * every syscall it makes after loading the filter waits for an answer from us. */
enum { CHILD_STARTING, CHILD_FILTER_READY, CHILD_FILTER_FAILED, CHILD_EXEC_FAILED };

struct handoff {
    _Atomic int state;
    int listener; /* the fd, in the table the child shares with us until execve */
    int err;
};

struct child_args {
    struct handoff *h;
    const char *file; /* what to execute: argv[0] found on $PATH here, or argv[0] */
    char *const *argv;
    sigset_t mask; /* the signal mask to restore */
    pid_t parent;
};

static long seccomp_call(unsigned op, unsigned flags, void *arg)
{
    return syscall(SYS_seccomp, op, flags, arg);
}

/* The child: runs with our file table (CLONE_FILES) so the listener it creates is ours too;
 * execve gives it a private copy (the listener is close-on-exec). After the filter is in,
 * its only syscalls are execve (and exit on failure), which we answer. */
static int child_main(void *arg)
{
    struct child_args *a = arg;
    struct handoff *h = a->h;
    sigprocmask(SIG_SETMASK, &a->mask, NULL);
    /* If kscmp dies, nobody answers: every call would fail with ENOSYS. Die with it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != a->parent)
        _exit(125);
    struct sock_filter insn[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)};
    struct sock_fprog prog = {.len = 1, .filter = insn};
    long fd = seccomp_call(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (fd < 0 && errno == EACCES && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
        fd = seccomp_call(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (fd < 0) {
        h->err = errno;
        atomic_store(&h->state, CHILD_FILTER_FAILED);
        _exit(125);
    }
    h->listener = (int)fd;
    atomic_store(&h->state, CHILD_FILTER_READY);
    execvp(a->file, a->argv);
    /* Where execvp would have gone on along $PATH (the file found cannot be run: a missing
     * #! interpreter or loader), it does so now, from the start. */
    if (a->file != a->argv[0] && (errno == ENOENT || errno == EACCES || errno == ENOTDIR ||
                                  errno == ESTALE || errno == ENODEV || errno == ETIMEDOUT))
        execvp(a->argv[0], a->argv);
    h->err = errno;
    atomic_store(&h->state, CHILD_EXEC_FAILED);
    _exit(errno == ENOENT ? 127 : 126);
}

/* The program execvp() would run for name, found on $PATH by us, so that the command's
 * first recorded execve is the one that runs it, not one per $PATH entry tried before it
 * (those would be kscmp's own). NULL when name holds a '/', or nothing executable is found:
 * execvp() then searches and fails as it does (127 or 126). */
static char *path_lookup(const char *name)
{
    if (!*name || strchr(name, '/'))
        return NULL;
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin"; /* the C library's default */
    size_t nlen = strlen(name);
    for (const char *p = path;; p++) {
        size_t dlen = strcspn(p, ":");
        char file[PATH_MAX];
        /* An empty entry is the working folder. */
        if (dlen + 2 + nlen < sizeof(file)) {
            if (dlen == 0)
                snprintf(file, sizeof(file), "./%s", name);
            else
                snprintf(file, sizeof(file), "%.*s/%s", (int)dlen, p, name);
            struct stat st;
            if (stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
                faccessat(AT_FDCWD, file, X_OK, AT_EACCESS) == 0)
                return strdup(file);
        }
        p += dlen;
        if (!*p)
            return NULL;
    }
}

/* Signals passed on to the command when another process sends them to us. */
static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM};

struct run {
    pid_t pid;
    bool reaped;
    int wait_status;
    int listener;
    struct seccomp_notif *req;
    struct seccomp_notif_resp *resp;
    size_t req_size, resp_size;
    struct notify_counts *counts; /* the receiver's until it is joined */
    pthread_t receiver;
    _Atomic bool stop;
    int receiver_error; /* 0, or a negative errno with receiver_err filled */
    struct kerr receiver_err;
};

/* Receives one notification, counts it, lets the call go on. A notification whose task died
 * in between is gone (ENOENT): nothing to count. */
static int answer_one(struct run *r, struct kerr *err)
{
    memset(r->req, 0, r->req_size);
    if (ioctl(r->listener, SECCOMP_IOCTL_NOTIF_RECV, r->req) < 0) {
        if (errno == ENOENT || errno == EINTR)
            return 0;
        return kerr_set(err, -errno, "receiving a seccomp notification: %s", strerror(errno));
    }
    int ret = counts_add(r->counts, r->req->data.arch, (uint32_t)r->req->data.nr);
    if (ret < 0)
        return kerr_set(err, ret, "counting a syscall: %s", strerror(-ret));
    memset(r->resp, 0, r->resp_size);
    r->resp->id = r->req->id;
    r->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    if (ioctl(r->listener, SECCOMP_IOCTL_NOTIF_SEND, r->resp) < 0 && errno != ENOENT) {
        if (errno == EINVAL)
            return kerr_set(err, -EINVAL,
                            "the kernel cannot let a notified syscall continue "
                            "(SECCOMP_USER_NOTIF_FLAG_CONTINUE needs Linux 5.5 or later)");
        return kerr_set(err, -errno, "answering a seccomp notification: %s", strerror(errno));
    }
    return 0;
}

/* The receiver thread: a blocking receive and an answer per syscall, nothing else, so that a
 * call waits as little as it can. Stopped by r->stop and a signal that interrupts the
 * receive. On a failure it closes the listener: the calls still waiting then fail with
 * ENOSYS instead of hanging, and the command ends. */
static void *receiver_main(void *arg)
{
    struct run *r = arg;
    sigset_t wake;
    sigemptyset(&wake);
    sigaddset(&wake, SIGRTMIN);
    pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
    while (!atomic_load(&r->stop)) {
        int ret = answer_one(r, &r->receiver_err);
        if (ret < 0) {
            r->receiver_error = ret;
            close(r->listener);
            r->listener = -1;
            kill(r->pid, SIGKILL);
            break;
        }
    }
    return NULL;
}

static void on_wake(int sig) {}

/* Stops the receiver: nothing uses the filter any more, so it waits in a receive that only a
 * signal ends. A signal that comes just before it blocks is lost: send again until it is
 * gone. */
static void stop_receiver(struct run *r)
{
    atomic_store(&r->stop, true);
    for (;;) {
        pthread_kill(r->receiver, SIGRTMIN);
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += 10 * 1000 * 1000;
        if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000;
        }
        if (pthread_timedjoin_np(r->receiver, NULL, &deadline) == 0)
            return;
    }
}

/* Reaps every child that has exited; returns true when none is left. */
static bool reap(struct run *r)
{
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, WNOHANG | __WALL);
        if (p == r->pid) {
            r->reaped = true;
            r->wait_status = st;
        } else if (p == 0) {
            return false;
        } else if (p < 0) {
            return errno == ECHILD;
        }
    }
}

/* The parent of process pid (from /proc/PID/stat, whose second field, the command name in
 * parentheses, may itself hold ')'), or -1 when it cannot be read (gone already). */
static pid_t parent_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    int ppid;
    if (!close_paren || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

/* Whether pid is one of our descendants: the command, or a process it started (which, as we
 * are a subreaper, stays below us when its parent exits). Bounded: a chain deeper than 4096
 * processes counts as not ours. */
static bool is_descendant(pid_t pid)
{
    pid_t self = getpid();
    for (int depth = 0; depth < 4096 && pid > 1; depth++) {
        pid = parent_of(pid);
        if (pid == self)
            return true;
    }
    return false;
}

/* Passes a signal on: to the command while it runs, then to what it left behind (our
 * children now). Not passed on: a signal from the terminal (SI_KERNEL), which reached the
 * whole foreground process group already, and one the command or its own processes sent
 * (they signalled the group, or us: passing it back would let the command signal itself).
 * Any other sender's signal is passed on, also from a process of our own group: a script's
 * `kill $!` signals us alone; when a process of the group signals the whole group, the
 * command may get it twice (once from it, once from us). */
static void forward(const struct run *r, const struct signalfd_siginfo *si)
{
    if (si->ssi_code == SI_KERNEL)
        return;
    if (si->ssi_pid > 0 && is_descendant((pid_t)si->ssi_pid))
        return;
    int sig = (int)si->ssi_signo;
    if (!r->reaped) {
        kill(r->pid, sig);
        return;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    int pid;
    while (fscanf(f, "%d", &pid) == 1)
        kill(pid, sig);
    fclose(f);
}

/* Waits for the child to load its filter; the listener fd is then in our table. */
static int await_filter(struct run *r, struct handoff *h, struct kerr *err)
{
    long delay_ns = 20 * 1000;
    for (;;) {
        int s = atomic_load(&h->state);
        if (s == CHILD_FILTER_READY) {
            r->listener = h->listener;
            return 0;
        }
        if (s == CHILD_FILTER_FAILED) {
            waitpid(r->pid, NULL, __WALL);
            r->reaped = true;
            int e = h->err;
            if (e == EBUSY)
                return kerr_set(err, -EBUSY,
                                "cannot record: this process is already under a seccomp "
                                "listener (is it being recorded already?)");
            if (e == EINVAL)
                return kerr_set(err, -EINVAL,
                                "cannot record: the kernel lacks seccomp user notification "
                                "(Linux 5.5 or later is needed)");
            return kerr_set(err, -e, "cannot load the recording filter: %s", strerror(e));
        }
        int st;
        pid_t p = waitpid(r->pid, &st, WNOHANG | __WALL);
        if (p == r->pid && atomic_load(&h->state) == CHILD_STARTING) {
            r->reaped = true;
            return kerr_set(err, -ECHILD,
                            "cannot record: the child exited (status 0x%x) before it loaded the "
                            "recording filter",
                            st);
        }
        if (p == r->pid) { /* it loaded the filter and died at once; the loop sees the state */
            r->reaped = true;
            r->wait_status = st;
        }
        struct timespec ts = {0, delay_ns};
        nanosleep(&ts, NULL);
        if (delay_ns < 1000 * 1000)
            delay_ns *= 2;
    }
}

/* The main thread's loop: reaps, forwards signals, until nothing is left. Every call of a
 * process was answered (and counted) before it went on, so once all have exited the counts
 * are complete. */
static int supervise(struct run *r, int sigfd, struct kerr *err)
{
    bool none_left = false;
    while (!(r->reaped && none_left)) {
        struct pollfd p = {.fd = sigfd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return kerr_set(err, -errno, "poll: %s", strerror(errno));
        }
        struct signalfd_siginfo si;
        while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
            if (si.ssi_signo != SIGCHLD)
                forward(r, &si);
        none_left = reap(r);
    }
    return 0;
}

enum { SHARED_LEN = 4096, STACK_LEN = 1 << 20 };

/* What notify_record_run changes in the process, given back on every return: the shared
 * mappings, the listener, the subreaper flag, signals pending for the command, the mask. */
struct run_scope {
    struct handoff *h; /* MAP_FAILED: none */
    char *stack;       /* MAP_FAILED: none */
    int *listener;
    int was_subreaper;
    int sigfd;
    sigset_t orig;
};

static void run_scope_end(struct run_scope *s)
{
    if (*s->listener >= 0)
        close(*s->listener);
    if (s->h != MAP_FAILED)
        munmap(s->h, SHARED_LEN);
    if (s->stack != MAP_FAILED)
        munmap(s->stack, STACK_LEN);
    prctl(PR_SET_CHILD_SUBREAPER, s->was_subreaper);
    /* Signals that came after the end were meant for the command: drop them. */
    struct signalfd_siginfo si;
    while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        ;
    sigprocmask(SIG_SETMASK, &s->orig, NULL);
}

int notify_record_run(char *const argv[], struct notify_counts **ret_counts,
                      struct notify_result *ret, struct kerr *err)
{
    _cleanup_(notify_counts_freep) struct notify_counts *counts = calloc(1, sizeof(*counts));
    if (!counts)
        return kerr_set(err, -ENOMEM, "out of memory");
    struct seccomp_notif_sizes sizes;
    if (seccomp_call(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
        return kerr_set(err, -errno,
                        "cannot record: the kernel lacks seccomp user notification (%s; Linux "
                        "5.5 or later is needed)",
                        strerror(errno));
    struct run r = {.counts = counts, .listener = -1};
    r.req_size = sizes.seccomp_notif > sizeof(*r.req) ? sizes.seccomp_notif : sizeof(*r.req);
    r.resp_size =
        sizes.seccomp_notif_resp > sizeof(*r.resp) ? sizes.seccomp_notif_resp : sizeof(*r.resp);
    _cleanup_free_ struct seccomp_notif *req = r.req = calloc(1, r.req_size);
    _cleanup_free_ struct seccomp_notif_resp *resp = r.resp = calloc(1, r.resp_size);
    if (!req || !resp)
        return kerr_set(err, -ENOMEM, "out of memory");

    sigset_t mask, orig;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
        sigaddset(&mask, forwarded[i]);
    sigprocmask(SIG_BLOCK, &mask, &orig);
    _cleanup_close_ int sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd < 0) {
        int e = errno;
        sigprocmask(SIG_SETMASK, &orig, NULL);
        return kerr_set(err, -e, "signalfd: %s", strerror(e));
    }
    _cleanup_(run_scope_end) struct run_scope scope = {
        .h = mmap(NULL, SHARED_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
        .stack = mmap(NULL, STACK_LEN, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0),
        .listener = &r.listener,
        .sigfd = sigfd,
        .orig = orig,
    };
    prctl(PR_GET_CHILD_SUBREAPER, &scope.was_subreaper);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct handoff *h = scope.h;
    if (h == MAP_FAILED || scope.stack == MAP_FAILED)
        return kerr_set(err, -ENOMEM, "out of memory");
    _cleanup_free_ char *found = path_lookup(argv[0]);
    struct child_args a = {
        .h = h, .file = found ? found : argv[0], .argv = argv, .mask = orig, .parent = getpid()};
    r.pid = clone(child_main, scope.stack + STACK_LEN, CLONE_FILES | SIGCHLD, &a);
    if (r.pid < 0)
        return kerr_set(err, -errno, "cannot start %s: %s", argv[0], strerror(errno));
    int ret_code = await_filter(&r, h, err);
    if (ret_code < 0)
        return ret_code;
    /* Optional (Linux 6.6); without it every round trip costs a little more. */
    ioctl(r.listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
    struct sigaction wake = {.sa_handler = on_wake}, old_wake;
    sigemptyset(&wake.sa_mask);
    sigaction(SIGRTMIN, &wake, &old_wake); /* no SA_RESTART: it interrupts the receive */
    int e = pthread_create(&r.receiver, NULL, receiver_main, &r);
    if (e != 0) {
        kill(r.pid, SIGKILL); /* nobody would answer its calls */
        waitpid(r.pid, NULL, __WALL);
        sigaction(SIGRTMIN, &old_wake, NULL);
        return kerr_set(err, -e, "cannot start a thread: %s", strerror(e));
    }
    ret_code = supervise(&r, sigfd, err);
    if (ret_code < 0) {
        /* Nobody will wait for it any more: stop it rather than leave it behind. */
        if (!r.reaped)
            kill(r.pid, SIGKILL);
    }
    stop_receiver(&r);
    sigaction(SIGRTMIN, &old_wake, NULL);
    if (ret_code == 0 && r.receiver_error < 0) {
        *err = r.receiver_err;
        ret_code = r.receiver_error;
    }
    if (ret_code < 0)
        return ret_code;
    ret->wait_status = r.wait_status;
    ret->exec_errno = atomic_load(&h->state) == CHILD_EXEC_FAILED ? h->err : 0;
    *ret_counts = TAKE_PTR(counts);
    return 0;
}
