/* prover.c - libseccomp proofs in worker processes, with limits, fairness and memory. */
#include "node/prover.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/hmap.h"
#include "base/log.h"
#include "base/strv.h"
#include "engine/proof.h"
#include "node/digest.h"
#include "node/proof_arena.h"

#define WIRE_MAGIC 0x6b737072u
#define JOB_MAX_BYTES (8u << 20) /* larger profiles are refused without a proof */
#define WHY_MAX 1024
#define RECYCLE_AFTER 4096 /* proofs: a worker is replaced now and then (libseccomp's leaks) */
#define SPAWN_TRIES_DRAIN 5
#define HELLO 1        /* a worker's first answer: it runs (verdicts are 0 or negative) */
#define WORKER_NICE 10 /* added to the agent's nice value */
/* A job queued behind a proof that has run this long goes to another worker: one slow or
 * stuck profile holds up no other namespace's (the costliest profile within the bounds of
 * docs/bounds.md proves in well under this). */
#define HANDOFF_MS 250

/* Remembered verdicts: proven ones keep their bytes (compared on a digest match). */
#define PROVEN_MAX 4096
#define PROVEN_BYTES_MAX (8u << 20)
#define REFUSED_MAX 1024
/* Proofs of the same bytes in a row that may come to no verdict before it counts as a refusal:
 * a worker that gets too little CPU to finish within the wall-clock deadline every time (a CPU
 * limit too small for the profile, a node that busy), or that the out-of-memory killer takes
 * every time, would else be tried again forever, holding readiness, a worker busy each time.
 * The stalls of at most STALLS_KEPT different bytes are counted (past it, counted again). */
#define STALLS_MAX 3
#define STALLS_KEPT 4096

struct req_hdr {
    uint32_t magic;
    uint32_t len;
};

struct resp_hdr {
    uint32_t magic;
    int32_t code;
    uint32_t msglen;
    uint32_t cpu_ms; /* the worker's CPU time when it answered (its next proof starts there) */
};

struct group;

/* A key whose file waits for a job's verdict. */
struct waiter {
    struct waiter *next;
    char key[];
};

/* One proof of some bytes; every key submitted with the same bytes meanwhile waits on it. */
struct job {
    struct group *g;
    char *bytes;
    size_t len;
    struct digest d;
    char hex[DIGEST_HEX_LEN + 1];
    bool indexed;  /* in the in-flight map under hex */
    bool running;  /* a worker has it */
    bool finished; /* its verdict is in, not yet reported (p->reports) */
    int code;      /* finished: the verdict and why */
    char *why;
    struct job *report_next;
    struct waiter *waiters; /* none: cancelled (a running one is remembered, not told) */
    struct job *next;       /* in its group's queue */
    struct job *all_prev, *all_next;
};

struct group {
    struct job *head, *tail;
    unsigned running;
    bool in_ring;
    struct group *ring_next;
    char name[];
};

struct worker {
    struct prover *p;
    pid_t pid;
    int to, from;
    bool ready; /* said hello: it runs */
    bool to_watched;
    struct job *job; /* the one it proves (or will, once sent whole) */
    struct req_hdr hdr;
    size_t sent;
    /* The next one, sent while it proves job: it starts that at once when done, instead of
     * waiting for the agent to read the verdict (the agent may be waiting for the disk). */
    struct job *queued;
    struct req_hdr qhdr;
    size_t qsent;
    uint64_t started; /* when job started (it had the worker) */
    uint64_t deadline;
    /* Verdicts to ignore, on jobs handed to another worker: skip of them come after job's,
     * skipping of them come next (the worker proves one now, held to deadline). */
    unsigned skip, skipping;
    enum { KILL_NONE, KILL_DEADLINE, KILL_GARBLED } killed; /* by us, and why */
    uint32_t cpu_ms; /* its CPU time at its last answer: when the proof it makes now began */
    unsigned done;
    struct resp_hdr rh;
    size_t got;
    char msg[WHY_MAX];
};

struct verdict {
    int code;
    char *why;
    char *bytes; /* proven: the bytes */
    size_t len;
    struct verdict *newer, *older; /* proven ones: least recently used last */
    char hex[DIGEST_HEX_LEN + 1];
};

struct prover {
    struct evloop *l;
    struct evtimer *timer; /* deadlines and respawns */
    struct metrics *m;
    struct prover_opts o;
    char *exe; /* o.exe points here */
    char cpu_arg[16];
    prover_done_cb done;
    void *userdata;
    struct worker *w;
    unsigned nw;
    struct hmap jobs;     /* key -> the job it waits on */
    struct hmap inflight; /* hex digest -> job waiting or running (for the same bytes again) */
    struct job *all;      /* every job */
    struct job *reports, *reports_tail; /* finished jobs whose waiters are not told yet */
    struct hmap groups;                 /* name -> group with jobs waiting or running */
    struct group *ring_head, *ring_tail;
    struct hmap verdicts; /* hex digest -> verdict */
    /* hex digest -> proofs of those bytes in a row that came to no verdict (plus nothing: the
     * count is the value); at STALLS_MAX the next is a refusal (stalls_count()). */
    struct hmap stalls;
    struct verdict *newest, *oldest;
    size_t proven_bytes;
    unsigned nproven, nrefused;
    unsigned spawn_failures;
    uint64_t respawn_at;
};

/* ---- the worker process ---- */

static int read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return got ? -EPIPE : 0;
        got += (size_t)r;
    }
    return 1;
}

static int write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t r = write(fd, (const char *)buf + put, n - put);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        put += (size_t)r;
    }
    return 0;
}

/* The CPU time (user and system) ru counts, in microseconds. */
static uint64_t rusage_cpu_us(const struct rusage *ru)
{
    return (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec);
}

/* The CPU time this process used so far, in microseconds. */
static uint64_t cpu_used_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return rusage_cpu_us(&ru);
}

/* The soft RLIMIT_CPU: used_us (what this process used so far, rounded up to a second) plus
 * one proof's budget, so that SIGXCPU means the proof itself used more than its seconds. *set
 * is the limit set last (0: none yet): it moves only when the whole seconds used do, so most
 * proofs pay no system call here (the caller's getrusage() serves the answer too). */
static void limit_cpu(unsigned seconds, uint64_t used_us, rlim_t *set)
{
    struct rlimit rl;
    rlim_t used = (rlim_t)(used_us / 1000000u) + 1;
    rlim_t want = used + seconds;
    if (want == *set || getrlimit(RLIMIT_CPU, &rl) < 0)
        return;
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max ? rl.rlim_max : want;
    if (setrlimit(RLIMIT_CPU, &rl) == 0)
        *set = want;
}

int prover_worker_main(int argc, char **argv)
{
    unsigned cpu = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 10;
    if (!cpu)
        cpu = 10;
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    /* Below the agent's own priority: its loop (the watch, the health endpoint, the writes
     * the proofs wait for) runs first, and proofs take the CPU time it leaves (a resync of
     * 250 runtime/default-based profiles: about 1.47x -> 1.23x the disk floor). A hint: at
     * the lowest priority already, the proofs run as they are. */
    int niced = nice(WORKER_NICE);
    (void)niced;
    /* jansson's and libseccomp's allocations for each proof from one region, all taken back
     * after it (node/proof_arena.h): glibc's malloc() and free() had 38% of a proof's
     * instructions. Without the region (no address space), the C library's, through the same
     * hooks: an allocation that gets no memory is counted either way (below). */
    (void)proof_arena_install();
    /* Each answer says how much CPU time the worker used so far: the agent tells from it how
     * much a proof it had to stop used (a stopped or starved worker's, or one over its time). */
    uint64_t used_us = cpu_used_us();
    struct resp_hdr hello = {WIRE_MAGIC, HELLO, 0, (uint32_t)(used_us / 1000u)};
    if (write_full(1, &hello, sizeof(hello)) < 0)
        return 1;
    rlim_t cpu_limit = 0;
    /* The numbers libseccomp gives syscall names, kept from one proof to the next (a proof
     * asks ~1,500 of them, the same ones): outside the region, which each proof resets.
     * Without memory for it, every proof asks libseccomp. */
    _cleanup_(nr_memo_freep) struct nr_memo *memo = nr_memo_new();
    for (;;) {
        struct req_hdr h;
        int r = read_full(0, &h, sizeof(h));
        if (r == 0)
            return 0;
        if (r < 0 || h.magic != WIRE_MAGIC || h.len > JOB_MAX_BYTES)
            return 1;
        _cleanup_free_ char *buf = malloc((size_t)h.len + 1);
        if (!buf || read_full(0, buf, h.len) != (h.len ? 1 : 0))
            return 1;
        buf[h.len] = '\0';
        /* The time used at the last answer: reading the request since is counted in the
         * proof's budget, as the agent counts it. */
        limit_cpu(cpu, used_us, &cpu_limit);
        struct kerr err = {0};
        struct proof_arena_stats before, after;
        struct proof_keep keep;
        proof_arena_stats(&before);
        int code = proof_profile_keep(buf, h.len, 0, memo, &keep, &err);
        proof_arena_stats(&after);
        /* What the proof built goes with the reset when all of it is in the region; else
         * (a block from the C library) it is freed first, block by block. */
        if (!proof_arena_took_all(&before, &after))
            proof_keep_free(&keep);
        proof_arena_reset(); /* nothing of the proof is held past it: err is a copy */
        /* libseccomp 2.5.4 does not always pass an allocation's failure on: its export can
         * then say success with part of the program (a review's fault injection). Whatever
         * the proof said, one that ran out of memory proves nothing: refused, and said so
         * whatever the proof's own message (libseccomp's "out of memory" names no limit). */
        if (after.failed != before.failed && code >= 0)
            code = kerr_set(&err, -ENOMEM,
                            "out of memory while proving it (--proof-memory): libseccomp's "
                            "answer cannot be trusted");
        else if (after.failed != before.failed) {
            char own[sizeof(err.msg)];
            snprintf(own, sizeof(own), "%s", err.msg[0] ? err.msg : strerror(-code));
            code = kerr_set(&err, code, "out of memory while proving it (--proof-memory): %s", own);
        }
        if (code < 0 && !err.msg[0])
            snprintf(err.msg, sizeof(err.msg), "%s", strerror(-code));
        used_us = cpu_used_us();
        struct resp_hdr rh = {WIRE_MAGIC, code < 0 ? code : 0,
                              code < 0 ? (uint32_t)strlen(err.msg) : 0,
                              (uint32_t)(used_us / 1000u)};
        if (write_full(1, &rh, sizeof(rh)) < 0 || write_full(1, err.msg, rh.msglen) < 0)
            return 1;
    }
}

/* ---- remembered verdicts ---- */

static void verdict_free(void *v)
{
    struct verdict *e = v;
    if (!e)
        return;
    free(e->why);
    free(e->bytes);
    free(e);
}

static void lru_unlink(struct prover *p, struct verdict *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else if (p->newest == e)
        p->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else if (p->oldest == e)
        p->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push(struct prover *p, struct verdict *e)
{
    e->older = p->newest;
    e->newer = NULL;
    if (p->newest)
        p->newest->newer = e;
    p->newest = e;
    if (!p->oldest)
        p->oldest = e;
}

static void forget(struct prover *p, struct verdict *e)
{
    hmap_remove(&p->verdicts, e->hex);
    if (e->code == 0) {
        lru_unlink(p, e);
        p->proven_bytes -= e->len;
        p->nproven--;
    } else
        p->nrefused--;
    verdict_free(e);
}

/* Remembers the verdict on job j (a proven one with a copy of its bytes). */
static void remember(struct prover *p, struct job *j, int code, const char *why)
{
    const char *hex = j->hex;
    struct verdict *old = hmap_get(&p->verdicts, hex);
    if (old)
        forget(p, old);
    if (code == 0 && j->len > PROVEN_BYTES_MAX / 16)
        return; /* too large to keep: proven again next time */
    if (code < 0 && p->nrefused >= REFUSED_MAX) {
        /* Refusals are few; past the bound, any one of them goes. */
        struct hmap_iter it;
        for (struct hmap_entry *h = hmap_first(&p->verdicts, &it); h;
             h = hmap_next(&p->verdicts, &it))
            if (((struct verdict *)h->value)->code < 0) {
                forget(p, h->value);
                break;
            }
    }
    struct verdict *e = calloc(1, sizeof(*e));
    if (!e)
        return;
    e->code = code;
    memcpy(e->hex, hex, sizeof(e->hex));
    if (code < 0 && !(e->why = strdup(why))) {
        free(e);
        return;
    }
    if (code == 0) {
        if (!(e->bytes = malloc(j->len ? j->len : 1))) {
            free(e);
            return;
        }
        memcpy(e->bytes, j->bytes, j->len);
        e->len = j->len;
    }
    if (hmap_put(&p->verdicts, hex, e, NULL) < 0) {
        verdict_free(e);
        return;
    }
    if (code < 0) {
        p->nrefused++;
        return;
    }
    lru_push(p, e);
    p->proven_bytes += e->len;
    p->nproven++;
    while (p->oldest && (p->nproven > PROVEN_MAX || p->proven_bytes > PROVEN_BYTES_MAX))
        forget(p, p->oldest);
}

int prover_lookup(struct prover *p, const char *bytes, size_t len, const char **ret_why)
{
    struct digest d;
    digest_bytes(bytes, len, &d);
    return prover_lookup_digest(p, bytes, len, &d, ret_why);
}

int prover_lookup_digest(struct prover *p, const char *bytes, size_t len, const struct digest *d,
                         const char **ret_why)
{
    char hex[DIGEST_HEX_LEN + 1];
    digest_hex(d, hex);
    struct verdict *e = hmap_get(&p->verdicts, hex);
    if (!e)
        return 0;
    if (e->code < 0) {
        *ret_why = e->why;
        return e->code;
    }
    if (e->len != len || memcmp(e->bytes, bytes, len) != 0)
        return 0; /* another profile with the same digest: prove it */
    lru_unlink(p, e);
    lru_push(p, e);
    return 1;
}

/* ---- jobs and groups ---- */

/* Frees j and takes it out of the in-flight map and the list of jobs. */
static void job_drop(struct prover *p, struct job *j)
{
    if (j->indexed)
        hmap_remove(&p->inflight, j->hex);
    if (j->all_prev)
        j->all_prev->all_next = j->all_next;
    else
        p->all = j->all_next;
    if (j->all_next)
        j->all_next->all_prev = j->all_prev;
    while (j->waiters) {
        struct waiter *x = j->waiters;
        j->waiters = x->next;
        free(x);
    }
    free(j->bytes);
    free(j->why);
    free(j);
}

/* Drops g when nothing of it waits or runs. */
static void group_release(struct prover *p, struct group *g)
{
    if (g->head || g->running || g->in_ring)
        return;
    hmap_remove(&p->groups, g->name);
    free(g);
}

static void ring_append(struct prover *p, struct group *g)
{
    g->ring_next = NULL;
    g->in_ring = true;
    if (p->ring_tail)
        p->ring_tail->ring_next = g;
    else
        p->ring_head = g;
    p->ring_tail = g;
}

static void ring_unlink(struct prover *p, struct group *g, struct group *prev)
{
    if (prev)
        prev->ring_next = g->ring_next;
    else
        p->ring_head = g->ring_next;
    if (p->ring_tail == g)
        p->ring_tail = prev;
    g->ring_next = NULL;
    g->in_ring = false;
}

/* Takes j out of its group's queue (it is waiting, not running). */
static void unqueue(struct prover *p, struct job *j)
{
    struct group *g = j->g;
    struct job *prev = NULL;
    for (struct job *x = g->head; x; prev = x, x = x->next)
        if (x == j) {
            if (prev)
                prev->next = j->next;
            else
                g->head = j->next;
            if (g->tail == j)
                g->tail = prev;
            break;
        }
    if (!g->head && g->in_ring) {
        struct group *gp = NULL;
        for (struct group *x = p->ring_head; x; gp = x, x = x->ring_next)
            if (x == g) {
                ring_unlink(p, g, gp);
                break;
            }
    }
    group_release(p, g);
}

/* The next job, round-robin over the groups, a group with no proof running first. */
static struct job *next_job(struct prover *p)
{
    struct group *pick = NULL, *pick_prev = NULL, *prev = NULL;
    for (struct group *g = p->ring_head; g; prev = g, g = g->ring_next)
        if (!g->running) {
            pick = g;
            pick_prev = prev;
            break;
        }
    if (!pick)
        pick = p->ring_head;
    if (!pick)
        return NULL;
    ring_unlink(p, pick, pick_prev);
    struct job *j = pick->head;
    pick->head = j->next;
    if (!pick->head)
        pick->tail = NULL;
    else
        ring_append(p, pick);
    j->next = NULL;
    return j;
}

/* key stops waiting: a job nobody waits for any more goes, unless a worker has it (its
 * verdict is still remembered). */
static void detach(struct prover *p, const char *key)
{
    struct job *j = hmap_remove(&p->jobs, key);
    if (!j)
        return;
    for (struct waiter **px = &j->waiters; *px; px = &(*px)->next)
        if (strcmp((*px)->key, key) == 0) {
            struct waiter *x = *px;
            *px = x->next;
            free(x);
            break;
        }
    if (j->waiters || j->running || j->finished)
        return; /* a finished one goes when its verdict is reported */
    unqueue(p, j);
    job_drop(p, j);
}

/* ---- workers ---- */

static void on_worker_out(struct evloop *l, int fd, uint32_t events, void *userdata);
static void on_worker_in(struct evloop *l, int fd, uint32_t events, void *userdata);
static void dispatch(struct prover *p);
static void arm_timer(struct prover *p);
static void respawn_later(struct prover *p);

static int worker_spawn(struct prover *p, struct worker *w)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(out, O_CLOEXEC) < 0) {
        int r = -errno;
        close(in[0]);
        close(in[1]);
        return r;
    }
    char *argv[] = {(char *)"kscmp", (char *)PROVER_WORKER_COMMAND, p->cpu_arg, NULL};
    rlim_t bytes =
        p->o.memory_mib == PROVER_NO_LIMIT ? RLIM_INFINITY : (rlim_t)p->o.memory_mib << 20;
    struct rlimit mem = {bytes, bytes};
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls until exec (the agent has other threads). */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
            _exit(127);
        close_range(3, ~0u, 0);
        setrlimit(RLIMIT_DATA, &mem);
        execv(p->o.exe, argv);
        _exit(127);
    }
    int r = pid < 0 ? -errno : 0;
    close(in[0]);
    close(out[1]);
    if (r < 0) {
        close(in[1]);
        close(out[0]);
        return r;
    }
    *w = (struct worker){.p = p, .pid = pid, .to = in[1], .from = out[0]};
    fcntl(w->to, F_SETFL, O_NONBLOCK);
    fcntl(w->from, F_SETFL, O_NONBLOCK);
    fcntl(w->to, F_SETPIPE_SZ, 1 << 20); /* most profiles then go in one write */
    if (p->l && (r = evloop_add_fd(p->l, w->from, EPOLLIN, on_worker_in, w)) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(w->to);
        close(w->from);
        *w = (struct worker){.p = p, .to = -1, .from = -1};
        return r;
    }
    return 0;
}

/* Kills and reaps w's process; returns its wait status, and the CPU time it used in all in
 * *ret_cpu_ms (may be NULL). */
static int worker_reap(struct worker *w, uint64_t *ret_cpu_ms)
{
    struct prover *p = w->p;
    int st = 0;
    struct rusage ru = {0};
    if (w->pid > 0) {
        kill(w->pid, SIGKILL);
        while (wait4(w->pid, &st, 0, &ru) < 0 && errno == EINTR)
            ;
    }
    if (ret_cpu_ms)
        *ret_cpu_ms = rusage_cpu_us(&ru) / 1000u;
    if (p->l) {
        if (w->from >= 0)
            evloop_del_fd(p->l, w->from);
        if (w->to_watched)
            evloop_del_fd(p->l, w->to);
    }
    if (w->to >= 0)
        close(w->to);
    if (w->from >= 0)
        close(w->from);
    *w = (struct worker){.p = p, .to = -1, .from = -1};
    return st;
}

static void spawn_missing(struct prover *p)
{
    if (p->respawn_at && now_ms() < p->respawn_at)
        return;
    p->respawn_at = 0;
    for (unsigned i = 0; i < p->nw; i++) {
        struct worker *w = &p->w[i];
        if (w->pid > 0)
            continue;
        int r = worker_spawn(p, w);
        if (r < 0) {
            log_error("cannot start a proof worker (%s): profiles wait for their proof; trying "
                      "again",
                      strerror(-r));
            respawn_later(p);
            return;
        }
    }
}

/* w's job starts now: held to the deadline from here. */
static void job_started(struct worker *w)
{
    w->killed = KILL_NONE;
    w->started = now_ms();
    w->deadline = w->started + w->p->o.deadline_ms;
}

/* Remembers the verdict on w's job and queues it for report(); w is idle after. The keys that
 * wait are told later, from the loop (never inside prover_submit(), which may find verdicts
 * while the caller is in the middle of a sync). */
static void finish(struct worker *w, int code, const char *why)
{
    struct prover *p = w->p;
    struct job *j = w->job;
    w->job = NULL;
    w->done++;
    j->running = false;
    struct group *g = j->g;
    g->running--;
    group_release(p, g);
    if (code != -EAGAIN) { /* no verdict: the bytes are proven again when they come next */
        remember(p, j, code, why);
        hmap_remove(&p->stalls, j->hex);
    }
    if (j->indexed) {
        hmap_remove(&p->inflight, j->hex);
        j->indexed = false;
    }
    j->finished = true;
    j->code = code;
    j->why = strdup(why); /* NULL (no memory): told as "out of memory" */
    j->report_next = NULL;
    if (p->reports_tail)
        p->reports_tail->report_next = j;
    else
        p->reports = j;
    p->reports_tail = j;
    if (w->skip) { /* it proves the handed-off ones next: held to a deadline */
        w->skipping += w->skip;
        w->skip = 0;
        w->deadline = now_ms() + p->o.deadline_ms;
    }
    if (w->queued) { /* the worker has started it: its deadline runs from now */
        w->job = TAKE_PTR(w->queued);
        w->hdr = w->qhdr;
        w->sent = w->qsent;
        w->qsent = 0;
        job_started(w);
    }
    /* The next proof starts before the verdicts are told (their callbacks write files). */
    dispatch(p);
}

/* Tells every key that waits for a finished job its verdict, and frees those jobs. Each
 * job and each of its keys leave the queue and the map first: a callback may submit or
 * cancel any key (and finish more jobs, told in this same call). */
static void report(struct prover *p)
{
    while (p->reports) {
        struct job *j = p->reports;
        p->reports = j->report_next;
        if (!p->reports)
            p->reports_tail = NULL;
        struct waiter *ws = TAKE_PTR(j->waiters);
        for (struct waiter *x = ws; x; x = x->next)
            hmap_remove(&p->jobs, x->key);
        while (ws) {
            struct waiter *x = ws;
            ws = x->next;
            p->done(x->key, j->code, j->why ? j->why : "out of memory", j->bytes, j->len,
                    p->userdata);
            free(x);
        }
        job_drop(p, j);
    }
}

/* Takes a verdict that came in meanwhile, without waiting: a worker that is done gets its
 * next job at once (prover_submit() and prover_poll() call this, so that the workers keep
 * proving while a long sync submits jobs or files are written; the verdicts are told from
 * the loop). */
static void handle_readable(struct worker *w);
/* Reads what the workers with a job (or one handed off, or not yet started) have said. An idle
 * worker says nothing unless it dies, which the loop's watch on its pipe sees. */
static void poll_workers(struct prover *p)
{
    /* One poll() for them all: most of the time none has a verdict yet, and a read of each
     * would be a system call apiece for nothing (this runs between each write's steps). */
    struct pollfd fds[PROVER_MAX_WORKERS];
    struct worker *who[PROVER_MAX_WORKERS];
    nfds_t n = 0;
    for (unsigned i = 0; i < p->nw && n < ELEMENTSOF(fds); i++)
        if (p->w[i].pid > 0 && (p->w[i].job || p->w[i].skipping || !p->w[i].ready)) {
            fds[n] = (struct pollfd){.fd = p->w[i].from, .events = POLLIN};
            who[n++] = &p->w[i];
        }
    if (n == 0 || poll(fds, n, 0) <= 0)
        return;
    for (nfds_t i = 0; i < n; i++)
        if (fds[i].revents)
            handle_readable(who[i]);
}

/* Signals a process gets from its own fault: a worker killed by one crashed on the profile
 * it proved (libseccomp corrupts its heap on some; glibc then aborts). */
static bool crash_signal(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGABRT ||
           sig == SIGSYS || sig == SIGTRAP;
}

/* Why a worker that held a job went (wait status st, cpu_ms of CPU time in its life): the
 * refusal of the job's bytes when the cause is theirs, what a proof of the same bytes would
 * meet again (libseccomp crashed; the proof used more than its CPU time; the worker answered
 * garbage), else -EAGAIN, no verdict (the wall-clock deadline passed while the proof used less
 * than its CPU time: the worker was stopped, frozen or starved; a signal the agent did not send
 * killed it, as someone's kill or the kernel's out-of-memory killer, whose choice depends on the
 * whole container; it exited). */
static int death_verdict(const struct prover *p, const struct worker *w, int st, uint64_t cpu_ms,
                         char *why, size_t n)
{
    /* By this proof (both counts wrap alike at 2^32 ms, 49 days). */
    unsigned long long used = (uint32_t)((uint32_t)cpu_ms - w->cpu_ms);
    int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    /* Killed by the agent's SIGKILL: else it went on its own before that came. */
    bool deadline = sig == SIGKILL && w->killed == KILL_DEADLINE;
    bool garbled = sig == SIGKILL && w->killed == KILL_GARBLED;
    if (sig == SIGXCPU || (deadline && used >= 1000ull * p->o.cpu_seconds)) {
        snprintf(why, n,
                 "the libseccomp proof used more than %u s of CPU time (stopped; the profile "
                 "is too large or too complex)",
                 p->o.cpu_seconds);
        return -ETIMEDOUT;
    }
    if (deadline) {
        snprintf(why, n,
                 "the libseccomp proof did not finish within %u ms of wall-clock time while "
                 "using %llu ms of CPU: the worker was stopped or starved",
                 p->o.deadline_ms, used);
        return -EAGAIN;
    }
    if (garbled) {
        snprintf(why, n,
                 "the proof worker answered what no proof answers while proving it (libseccomp "
                 "may have corrupted its memory)");
        return -EFAULT;
    }
    if (crash_signal(sig)) {
        char mem[64] = "";
        if (p->o.memory_mib != PROVER_NO_LIMIT)
            snprintf(mem, sizeof(mem), ", or it ran out of the %u MiB it may use", p->o.memory_mib);
        snprintf(why, n,
                 "libseccomp crashed proving it (signal %d, %s; libseccomp 2.5 fails on programs "
                 "over 65,535 instructions%s)",
                 sig, strsignal(sig), mem);
        return -EFAULT;
    }
    if (sig) {
        snprintf(why, n,
                 "the proof worker was killed while proving it (signal %d, %s), not by the agent: "
                 "by someone, or by the kernel's out-of-memory killer",
                 sig, strsignal(sig));
        return -EAGAIN;
    }
    snprintf(why, n, "the proof worker exited (status %d) while proving it",
             WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return -EAGAIN;
}

/* One more proof of j's bytes came to no verdict (why says why): -EAGAIN, or, the STALLS_MAX-th
 * in a row, a refusal (-ETIMEDOUT, why rewritten), remembered as any: what failed every time
 * is what the next proof would meet (forgotten at SIGHUP with the other refusals). */
static int stalls_count(struct prover *p, const struct job *j, char *why, size_t n)
{
    if (p->stalls.n >= STALLS_KEPT)
        hmap_clear(&p->stalls, NULL);
    uintptr_t c = (uintptr_t)hmap_get(&p->stalls, j->hex) + 1;
    if (c < STALLS_MAX) {
        /* Without memory it is not counted: tried again, as any stall. */
        (void)hmap_put(&p->stalls, j->hex, (void *)c, NULL);
        return -EAGAIN;
    }
    hmap_remove(&p->stalls, j->hex);
    char last[WHY_MAX];
    snprintf(last, sizeof(last), "%s", why);
    snprintf(why, n,
             "no proof of it came to a verdict %u times in a row (the last: %s): refused (a "
             "worker with too little CPU or memory for it; raise the agent's CPU limit or "
             "--proof-cpu-seconds, or --proof-memory; SIGHUP proves it again)",
             (unsigned)STALLS_MAX, last);
    return -ETIMEDOUT;
}

/* Puts j back at the head of its group's queue (its worker went before it had it whole). */
static void requeue(struct prover *p, struct job *j)
{
    struct group *g = j->g;
    g->running--;
    j->next = g->head;
    g->head = j;
    if (!g->tail)
        g->tail = j;
    if (!g->in_ring)
        ring_append(p, g);
}

static void respawn_later(struct prover *p)
{
    p->spawn_failures++;
    p->respawn_at = now_ms() + backoff_ms(p->spawn_failures, 100, 10000);
}

/* j goes back to its group's queue (its worker went before proving it), or goes when nobody
 * waits for it any more. */
static void give_back(struct prover *p, struct job *j)
{
    j->running = false;
    if (j->waiters)
        requeue(p, j);
    else {
        j->g->running--;
        group_release(p, j->g);
        job_drop(p, j);
    }
}

/* The worker went (crash, limit, deadline, end of its pipe): the job it proved is refused,
 * one it did not have whole yet, and the one queued behind it, wait again; the worker is
 * replaced. */
static void worker_died(struct worker *w)
{
    struct prover *p = w->p;
    struct worker was = *w;
    struct job *j = TAKE_PTR(w->job);
    uint64_t cpu_ms = 0;
    int st = worker_reap(w, &cpu_ms);
    if (was.queued)
        give_back(p, was.queued);
    metrics_add(p->m, M_PROOF_WORKER_RESTARTS, 1);
    if (!was.ready) {
        log_error("proof worker %d (%s) stopped at start (wait status %d): profiles wait for "
                  "their proof; starting another",
                  (int)was.pid, p->o.exe, st);
        respawn_later(p);
    }
    if (j && was.sent < sizeof(was.hdr) + j->len) {
        give_back(p, j);
    } else if (j) {
        char why[WHY_MAX];
        int code = death_verdict(p, &was, st, cpu_ms, why, sizeof(why));
        if (code == -EAGAIN)
            code = stalls_count(p, j, why, sizeof(why));
        if (code == -EAGAIN) {
            metrics_add(p->m, M_PROOF_RETRIES, 1);
            log_warning("proof worker %d: %s; will try again", (int)was.pid, why);
        } else
            log_error("proof worker %d: %s", (int)was.pid, why);
        w->job = j;
        finish(w, code, why);
    }
    spawn_missing(p);
}

static void stop_watching_out(struct worker *w)
{
    if (w->to_watched && w->p->l)
        evloop_del_fd(w->p->l, w->to);
    w->to_watched = false;
}

/* Writes what is left of j's request (hdr, *sent of it written): 1 when all is sent, 0 when
 * the pipe is full, -1 when the worker is gone (not handled). */
static int send_one(struct worker *w, struct job *j, struct req_hdr *hdr, size_t *sent)
{
    size_t total = sizeof(*hdr) + j->len;
    while (*sent < total) {
        struct iovec iov[2];
        int n = 0;
        if (*sent < sizeof(*hdr))
            iov[n++] = (struct iovec){(char *)hdr + *sent, sizeof(*hdr) - *sent};
        size_t off = *sent > sizeof(*hdr) ? *sent - sizeof(*hdr) : 0;
        if (off < j->len)
            iov[n++] = (struct iovec){j->bytes + off, j->len - off};
        ssize_t r = writev(w->to, iov, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            return 0;
        if (r < 0)
            return -1;
        *sent += (size_t)r;
    }
    return 1;
}

/* True while some of w's requests is not written whole. */
static bool sending(const struct worker *w)
{
    return (w->job && w->sent < sizeof(w->hdr) + w->job->len) ||
           (w->queued && w->qsent < sizeof(w->qhdr) + w->queued->len);
}

/* Writes what is left of w's requests, the job's and then the queued one's; 0 when all is
 * sent or the pipe is full, else the worker is gone (handled). */
static int send_more(struct worker *w)
{
    int r = w->job ? send_one(w, w->job, &w->hdr, &w->sent) : 1;
    if (r == 1 && w->queued)
        r = send_one(w, w->queued, &w->qhdr, &w->qsent);
    if (r < 0) {
        worker_died(w);
        return -EPIPE;
    }
    if (r == 0) {
        if (!w->to_watched && w->p->l &&
            evloop_add_fd(w->p->l, w->to, EPOLLOUT, on_worker_out, w) == 0)
            w->to_watched = true;
        return 0;
    }
    stop_watching_out(w);
    return 0;
}

static void on_worker_out(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    struct worker *w = userdata;
    if ((w->job || w->queued) && send_more(w) < 0) {
        dispatch(w->p);
        report(w->p);
        arm_timer(w->p);
    }
}

/* Reads what the worker said; 1 when a verdict is complete, 0 for more to come, -1 when the
 * worker is gone (handled). */
static int receive(struct worker *w)
{
    for (;;) {
        size_t want;
        char *dst;
        if (w->got < sizeof(w->rh)) {
            dst = (char *)&w->rh + w->got;
            want = sizeof(w->rh) - w->got;
        } else {
            size_t m = w->got - sizeof(w->rh);
            if (w->rh.magic != WIRE_MAGIC || w->rh.msglen >= WHY_MAX) {
                w->killed = KILL_GARBLED;
                worker_died(w);
                return -1;
            }
            if (m == w->rh.msglen) {
                w->msg[m] = '\0';
                w->got = 0;
                return 1;
            }
            dst = w->msg + m;
            want = w->rh.msglen - m;
        }
        ssize_t r = read(w->from, dst, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            return 0;
        if (r <= 0) {
            worker_died(w);
            return -1;
        }
        w->got += (size_t)r;
    }
}

static void handle_readable(struct worker *w)
{
    for (;;) {
        if (w->pid <= 0 || receive(w) <= 0)
            return;               /* more to come, or the worker went (handled) */
        w->cpu_ms = w->rh.cpu_ms; /* its next proof starts there */
        if (w->rh.code == HELLO && !w->ready) {
            w->ready = true;
            w->p->spawn_failures = 0;
            continue;
        }
        if (w->skipping) {
            w->skipping--; /* on a job handed to another worker */
            if (w->skipping)
                w->deadline = now_ms() + w->p->o.deadline_ms;
            continue;
        }
        if (!w->job || w->rh.code > 0) {
            w->killed = KILL_GARBLED;
            worker_died(w); /* an answer nobody asked for */
            return;
        }
        char why[WHY_MAX];
        snprintf(why, sizeof(why), "%s", w->msg);
        metrics_add(w->p->m, M_PROOFS, 1);
        /* -EAGAIN is the prover's own "no verdict": from libseccomp it is a refusal like any. */
        finish(w, w->rh.code == -EAGAIN ? -EIO : w->rh.code, why);
        /* Replaced now and then, when the verdict did not hand it a new job already. */
        if (w->done >= RECYCLE_AFTER && !w->job) {
            worker_reap(w, NULL);
            spawn_missing(w->p);
            return;
        }
        /* The verdict on the job queued behind is rarely in already: the loop's watch on the
         * pipe (or the next poll_workers()) takes it, without a read now that would find
         * nothing. */
        return;
    }
}

static void on_worker_in(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    struct worker *w = userdata;
    handle_readable(w);
    dispatch(w->p);
    report(w->p);
    arm_timer(w->p);
}

/* Gives j to w: as its job, or queued behind the one it proves. */
static void start_job(struct worker *w, struct job *j)
{
    j->running = true;
    j->g->running++;
    if (w->job) {
        w->queued = j;
        w->qhdr = (struct req_hdr){WIRE_MAGIC, (uint32_t)j->len};
        w->qsent = 0;
        send_more(w);
        return;
    }
    w->job = j;
    w->hdr = (struct req_hdr){WIRE_MAGIC, (uint32_t)j->len};
    w->sent = 0;
    w->got = 0;
    job_started(w);
    send_more(w);
}

/* True when w can take a job: it has none, or one sent whole and nothing queued, that has
 * not run long (and it is not due to be replaced after this one). One it proves for a job
 * handed to another worker counts as a job. */
static bool takes_job(const struct worker *w, uint64_t now)
{
    if (w->pid <= 0 || !w->ready)
        return false;
    if (w->skip || w->skipping)
        return false;
    if (!w->job)
        return true;
    return !w->queued && !sending(w) && now < w->started + HANDOFF_MS &&
           w->done + 1 < RECYCLE_AFTER;
}

/* Gives the waiting jobs to the workers: the idle ones first, then queued behind a proof. */
static void dispatch(struct prover *p)
{
    spawn_missing(p);
    uint64_t now = now_ms();
    for (int behind = 0; behind < 2; behind++)
        for (unsigned i = 0; i < p->nw; i++) {
            struct worker *w = &p->w[i];
            if (!takes_job(w, now) || (!behind && w->job))
                continue;
            struct job *j = next_job(p);
            if (!j)
                return;
            start_job(w, j);
        }
}

/* True when a worker other than w runs and has said hello: one that can take a job handed
 * back from w, now or when it is done with its own. */
static bool other_worker_runs(const struct prover *p, const struct worker *w)
{
    for (unsigned i = 0; i < p->nw; i++)
        if (&p->w[i] != w && p->w[i].pid > 0 && p->w[i].ready)
            return true;
    return false;
}

/* Kills the workers past their deadline, and hands the jobs queued behind a long proof to
 * the others (sent whole: the worker proves them when it can, and that verdict is ignored). */
static void check_deadlines(struct prover *p)
{
    uint64_t now = now_ms();
    for (unsigned i = 0; i < p->nw; i++) {
        struct worker *w = &p->w[i];
        /* An answer that came meanwhile is taken first (the loop may not have read it yet). */
        if ((w->job || w->skipping) && w->deadline <= now)
            handle_readable(w);
        if ((w->job || w->skipping) && w->deadline <= now) {
            w->killed = KILL_DEADLINE;
            worker_died(w);
            continue;
        }
        /* Without another worker running there is none to take it: given back, w would still
         * prove it (and that answer be ignored) and the job would lose its turn. */
        if (w->job && w->queued && w->started + HANDOFF_MS <= now &&
            w->qsent == sizeof(w->qhdr) + w->queued->len && other_worker_runs(p, w)) {
            w->skip++;
            give_back(p, TAKE_PTR(w->queued));
        }
    }
}

/* When the loop must wake next: the nearest deadline or respawn; 0 for none. */
static uint64_t next_wake(const struct prover *p)
{
    if (p->reports)
        return now_ms(); /* verdicts to tell: at once */
    uint64_t next = p->respawn_at && p->jobs.n ? p->respawn_at : 0;
    for (unsigned i = 0; i < p->nw; i++) {
        const struct worker *w = &p->w[i];
        if ((w->job || w->skipping) && (!next || w->deadline < next))
            next = w->deadline;
        /* A handoff is due only with another worker to take it (one that says hello later
         * sets the timer again). */
        if (w->queued && (!next || w->started + HANDOFF_MS < next) && other_worker_runs(p, w))
            next = w->started + HANDOFF_MS;
    }
    return next;
}

static void on_timer(struct evtimer *t, void *userdata)
{
    struct prover *p = userdata;
    check_deadlines(p);
    dispatch(p);
    report(p);
    arm_timer(p);
}

static void arm_timer(struct prover *p)
{
    if (!p->l)
        return;
    uint64_t next = next_wake(p), now = now_ms();
    if (next)
        evtimer_arm(p->timer, next > now ? next - now : 0);
    else
        evtimer_cancel(p->timer);
}

/* ---- the interface ---- */

/* This binary, to run again as a worker: /proc/self/exe (the very file, even when an upgrade
 * replaced it on disk), else, without /proc (a chroot), the name it was started by, looked up
 * in $PATH when it has no '/'. NULL when none can be found. */
static char *self_exe(void)
{
    if (access("/proc/self/exe", X_OK) == 0)
        return strdup("/proc/self/exe");
    const char *name = program_invocation_name;
    if (!name || !*name)
        return NULL;
    if (strchr(name, '/'))
        return realpath(name, NULL);
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
        const char *colon = strchrnul(p, ':');
        _cleanup_free_ char *cand = NULL;
        if (asprintf(&cand, "%.*s/%s", (int)(colon - p), p, name) >= 0 && access(cand, X_OK) == 0)
            return TAKE_PTR(cand);
        p = *colon ? colon + 1 : colon;
    }
    return NULL;
}

int prover_new(struct evloop *l, struct metrics *m, const struct prover_opts *opts,
               prover_done_cb done, void *userdata, struct prover **ret, struct kerr *err)
{
    struct prover *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->l = l;
    p->m = m;
    p->done = done;
    p->userdata = userdata;
    if (opts)
        p->o = *opts;
    p->exe = p->o.exe ? strdup(p->o.exe) : self_exe();
    if (!p->exe) {
        free(p);
        return kerr_set(err, -ENOENT,
                        "cannot find this program's own file to run the proof workers (no /proc, "
                        "and \"%s\" is not in $PATH)",
                        program_invocation_name);
    }
    p->o.exe = p->exe;
    if (!p->o.workers) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        p->o.workers = cpus > 1 ? 2 : 1;
    }
    if (!p->o.cpu_seconds)
        p->o.cpu_seconds = 10;
    if (!p->o.memory_mib)
        p->o.memory_mib = 48;
    if (!p->o.deadline_ms)
        p->o.deadline_ms = 3000 * p->o.cpu_seconds;
    snprintf(p->cpu_arg, sizeof(p->cpu_arg), "%u", p->o.cpu_seconds);
    hmap_init(&p->jobs);
    hmap_init(&p->inflight);
    hmap_init(&p->groups);
    hmap_init(&p->verdicts);
    hmap_init(&p->stalls);
    p->nw = p->o.workers < PROVER_MAX_WORKERS ? p->o.workers : PROVER_MAX_WORKERS;
    p->w = calloc(p->nw, sizeof(*p->w));
    for (unsigned i = 0; p->w && i < p->nw; i++)
        p->w[i] = (struct worker){.p = p, .to = -1, .from = -1};
    int q = p->w ? 0 : -ENOMEM;
    if (q == 0 && l)
        q = evtimer_new(l, on_timer, p, &p->timer);
    if (q < 0) {
        prover_free(p);
        return q;
    }
    for (unsigned i = 0; i < p->nw; i++) {
        int r = worker_spawn(p, &p->w[i]);
        if (r < 0) {
            kerr_set(err, r, "cannot start the proof worker %s: %s", p->exe, strerror(-r));
            prover_free(p);
            return r;
        }
    }
    *ret = p;
    return 0;
}

void prover_free(struct prover *p)
{
    if (!p)
        return;
    for (unsigned i = 0; p->w && i < p->nw; i++) {
        p->w[i].job = p->w[i].queued = NULL;
        worker_reap(&p->w[i], NULL);
    }
    evtimer_free(p->timer);
    free(p->w);
    while (p->all)
        job_drop(p, p->all);
    hmap_clear(&p->jobs, NULL);
    hmap_clear(&p->inflight, NULL);
    hmap_clear(&p->groups, free);
    hmap_clear(&p->verdicts, verdict_free);
    hmap_clear(&p->stalls, NULL);
    free(p->exe);
    free(p);
}

int prover_submit(struct prover *p, const char *key, const char *group, const char *bytes,
                  size_t len)
{
    struct digest d;
    if (len <= JOB_MAX_BYTES)
        digest_bytes(bytes, len, &d);
    return prover_submit_digest(p, key, group, bytes, len, &d);
}

int prover_submit_digest(struct prover *p, const char *key, const char *group, const char *bytes,
                         size_t len, const struct digest *dp)
{
    detach(p, key);
    if (len > JOB_MAX_BYTES)
        return -EFBIG;
    size_t kl = strlen(key);
    struct waiter *x = malloc(sizeof(*x) + kl + 1);
    if (!x)
        return -ENOMEM;
    memcpy(x->key, key, kl + 1);
    struct digest d = *dp;
    char hex[DIGEST_HEX_LEN + 1];
    digest_hex(&d, hex);
    /* The same bytes already wait or run: wait for that verdict. */
    struct job *j = hmap_get(&p->inflight, hex);
    if (j && j->len == len && memcmp(j->bytes, bytes, len) == 0) {
        if (hmap_put(&p->jobs, key, j, NULL) < 0) {
            free(x);
            return -ENOMEM;
        }
        x->next = j->waiters;
        j->waiters = x;
        return 0;
    }
    struct group *g = hmap_get(&p->groups, group);
    if (!g) {
        size_t gl = strlen(group);
        g = calloc(1, sizeof(*g) + gl + 1);
        if (!g || hmap_put(&p->groups, group, g, NULL) < 0) {
            free(g);
            free(x);
            return -ENOMEM;
        }
        memcpy(g->name, group, gl + 1);
    }
    j = calloc(1, sizeof(*j));
    if (!j || !(j->bytes = malloc(len + 1)) || hmap_put(&p->jobs, key, j, NULL) < 0) {
        if (j)
            free(j->bytes);
        free(j);
        free(x);
        group_release(p, g);
        return -ENOMEM;
    }
    memcpy(j->bytes, bytes, len);
    j->bytes[len] = '\0';
    j->len = len;
    j->d = d;
    memcpy(j->hex, hex, sizeof(hex));
    j->g = g;
    x->next = NULL;
    j->waiters = x;
    j->all_next = p->all;
    if (p->all)
        p->all->all_prev = j;
    p->all = j;
    if (!hmap_get(&p->inflight, hex))
        j->indexed = hmap_put(&p->inflight, hex, j, NULL) == 0;
    if (g->tail)
        g->tail->next = j;
    else
        g->head = j;
    g->tail = j;
    if (!g->in_ring)
        ring_append(p, g);
    poll_workers(p);
    dispatch(p);
    arm_timer(p);
    return 0;
}

void prover_cancel(struct prover *p, const char *key)
{
    detach(p, key);
}

static bool is_refusal(const char *hex, void *value, void *userdata)
{
    return ((const struct verdict *)value)->code < 0;
}

int prover_forget_refusals(struct prover *p)
{
    char **hexes = NULL;
    size_t n = 0;
    if (hmap_keys(&p->verdicts, is_refusal, NULL, &hexes, &n) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        forget(p, hmap_get(&p->verdicts, hexes[i]));
    strv_free(hexes, n);
    hmap_clear(&p->stalls, NULL);
    return (int)n;
}

void prover_poll(struct prover *p)
{
    poll_workers(p);
    check_deadlines(p);
    dispatch(p);
    arm_timer(p);
}

unsigned prover_pending(const struct prover *p)
{
    return (unsigned)p->jobs.n;
}

int prover_drain(struct prover *p)
{
    for (;;) {
        report(p);
        if (!p->jobs.n)
            break;
        dispatch(p);
        if (p->spawn_failures > SPAWN_TRIES_DRAIN) {
            /* No worker runs: refuse what waits (not remembered: not the profiles' fault). */
            while (p->jobs.n) {
                struct hmap_iter it;
                _cleanup_free_ char *key = strdup(hmap_first(&p->jobs, &it)->key);
                if (!key)
                    return -ENOMEM;
                detach(p, key);
                p->done(key, -ECHILD, "no proof worker could be started", "", 0, p->userdata);
            }
            return -ECHILD;
        }
        /* Each worker's answers, and its job's bytes while they are being sent. */
        struct pollfd fds[2 * PROVER_MAX_WORKERS];
        struct worker *who[2 * PROVER_MAX_WORKERS];
        nfds_t n = 0;
        for (unsigned i = 0; i < p->nw && n + 2 <= ELEMENTSOF(fds); i++) {
            struct worker *w = &p->w[i];
            if (w->pid <= 0)
                continue;
            fds[n] = (struct pollfd){.fd = w->from, .events = POLLIN};
            who[n++] = w;
            if (sending(w)) {
                fds[n] = (struct pollfd){.fd = w->to, .events = POLLOUT};
                who[n++] = w;
            }
        }
        uint64_t wake = next_wake(p), now = now_ms();
        int timeout = wake ? (int)(wake > now ? wake - now : 0) : -1;
        int r = poll(fds, n, timeout);
        if (r < 0 && errno != EINTR)
            return -errno;
        for (nfds_t i = 0; r > 0 && i < n; i++) {
            struct worker *w = who[i];
            if (!fds[i].revents || w->pid <= 0)
                continue;
            if (fds[i].events & POLLOUT) {
                if ((w->job || w->queued) && fds[i].fd == w->to)
                    send_more(w);
            } else if (fds[i].fd == w->from)
                handle_readable(w);
        }
        check_deadlines(p);
    }
    return 0;
}

int prover_worker_pid(const struct prover *p, unsigned i)
{
    return i < p->nw ? (int)p->w[i].pid : 0;
}
