/* test_prover.c - libseccomp proofs in worker processes: verdicts, memory of verdicts (also
 * under a forced digest collision) and its reset, one proof for many keys with the same bytes,
 * fairness across groups, a worker that crashes or runs over its CPU time (a verdict), one
 * stopped past its deadline or killed by someone (no verdict), cancellation.
 *
 * The workers are this test binary run again as `__proof-worker` (main() below), exactly as
 * the agent runs itself. Without an event loop: prover_drain() waits for the verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/metrics.h"
#include "node/digest.h"
#include "node/prover.h"

#define GOOD                                                                                       \
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_" \
    "ACT_ALLOW\"}]}"
#define GOOD2                                                                                      \
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"write\"],\"action\":"       \
    "\"SCMP_ACT_ALLOW\"}]}"
/* Valid JSON that libseccomp refuses: no such syscall. */
#define BAD                                                                                        \
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"nosuchcall\"],\"action\":"  \
    "\"SCMP_ACT_ALLOW\"}]}"

struct seen {
    char key[64];
    int verdict;
    char why[1024];
};

struct rec {
    struct seen v[160];
    size_t n;
};

static void on_done(const char *key, int verdict, const char *why, const char *bytes, size_t len,
                    void *userdata)
{
    struct rec *r = userdata;
    assert_true(r->n < ELEMENTSOF(r->v));
    snprintf(r->v[r->n].key, sizeof(r->v[r->n].key), "%s", key);
    r->v[r->n].verdict = verdict;
    snprintf(r->v[r->n].why, sizeof(r->v[r->n].why), "%s", why ? why : "");
    r->n++;
}

static const struct seen *find(const struct rec *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].key, key) == 0)
            return &r->v[i];
    return NULL;
}

static size_t order_of(const struct rec *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].key, key) == 0)
            return i;
    fail_msg("no verdict for %s", key);
    return 0;
}

struct fixture {
    struct metrics *m;
    struct prover *p;
    struct rec rec;
};

static struct fixture *start_with(unsigned workers, unsigned cpu_seconds, unsigned deadline_ms)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(metrics_new(&f->m), 0);
    /* No memory limit: ASan's shadow memory would not fit in one. */
    struct prover_opts o = {.workers = workers,
                            .cpu_seconds = cpu_seconds,
                            .memory_mib = PROVER_NO_LIMIT,
                            .deadline_ms = deadline_ms};
    struct kerr err = {0};
    assert_int_equal(prover_new(NULL, f->m, &o, on_done, &f->rec, &f->p, &err), 0);
    return f;
}

static struct fixture *start(unsigned workers, unsigned cpu_seconds)
{
    return start_with(workers, cpu_seconds, 0);
}

static void stop(struct fixture *f)
{
    prover_free(f->p);
    metrics_free(f->m);
    free(f);
}

/* A profile whose proof takes a while: n conditions on one syscall (libseccomp's rule
 * database is quadratic in them). */
static char *slow_profile(unsigned n, unsigned salt)
{
    size_t cap = 200 + (size_t)n * 120;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t len = (size_t)snprintf(s, cap,
                                  "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
                                  "[\"SCMP_ARCH_X86_64\"],\"syscalls\":[");
    for (unsigned i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len,
                                "%s{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
                                "\"errnoRet\":%u,\"args\":[{\"index\":0,\"value\":%u,\"op\":"
                                "\"SCMP_CMP_EQ\"}]}",
                                i ? "," : "", 1 + (i + salt) % 4000, i);
    snprintf(s + len, cap - len, "]}");
    return s;
}

/* A verdict that comes in while jobs are submitted (each prover_submit() and prover_poll()
 * takes what came in, to give the worker its next job) is told later, from drain (the
 * loop, in the agent): never inside prover_submit() or prover_poll(). */
static void test_verdict_told_outside_submit(void **state)
{
    struct fixture *f = start(1, 10);
    char key[32];
    for (unsigned i = 0; i < 30; i++) {
        _cleanup_free_ char *prof = slow_profile(1, i); /* distinct bytes */
        snprintf(key, sizeof(key), "a/k%u.json", i);
        assert_int_equal(prover_submit(f->p, key, "a", prof, strlen(prof)), 0);
        assert_int_equal(f->rec.n, 0);
        for (unsigned k = 0; k < 5; k++) {
            prover_poll(f->p);
            assert_int_equal(f->rec.n, 0);
            nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL); /* let it prove */
        }
    }
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(f->rec.n, 30);
    for (unsigned i = 0; i < 30; i++) {
        snprintf(key, sizeof(key), "a/k%u.json", i);
        assert_non_null(find(&f->rec, key));
        assert_int_equal(find(&f->rec, key)->verdict, 0);
    }
    stop(f);
}

/* A key submitted again while the verdict on its old bytes is in but not told yet hears
 * only of the new bytes (the old verdict is still remembered). */
static void test_resubmit_while_verdict_waits(void **state)
{
    struct fixture *f = start(1, 10);
    assert_int_equal(prover_submit(f->p, "a/x.json", "a", BAD, strlen(BAD)), 0);
    const char *why = NULL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* Until the verdict is in (remembered), without telling it. */
    while (prover_lookup(f->p, BAD, strlen(BAD), &why) == 0) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 60)
            fail_msg("no verdict on BAD within 60 s");
        prover_poll(f->p);
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    assert_int_equal(f->rec.n, 0);
    assert_int_equal(prover_submit(f->p, "a/x.json", "a", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(f->rec.n, 1);
    assert_string_equal(f->rec.v[0].key, "a/x.json");
    assert_int_equal(f->rec.v[0].verdict, 0);
    assert_true(prover_lookup(f->p, BAD, strlen(BAD), &why) < 0);
    stop(f);
}

static void test_verdicts(void **state)
{
    struct fixture *f = start(2, 10);
    assert_int_equal(prover_submit(f->p, "a/good.json", "a", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_submit(f->p, "a/bad.json", "a", BAD, strlen(BAD)), 0);
    assert_int_equal(prover_pending(f->p), 2);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(prover_pending(f->p), 0);
    assert_int_equal(f->rec.n, 2);
    assert_int_equal(find(&f->rec, "a/good.json")->verdict, 0);
    const struct seen *bad = find(&f->rec, "a/bad.json");
    assert_true(bad->verdict < 0);
    assert_non_null(strstr(bad->why, "nosuchcall"));
    assert_int_equal(metrics_get(f->m, M_PROOFS), 2);
    /* Remembered: the same bytes are known without a proof. */
    const char *why = NULL;
    assert_int_equal(prover_lookup(f->p, GOOD, strlen(GOOD), &why), 1);
    assert_int_equal(prover_lookup(f->p, BAD, strlen(BAD), &why), bad->verdict);
    assert_string_equal(why, bad->why);
    assert_int_equal(prover_lookup(f->p, GOOD2, strlen(GOOD2), &why), 0);
    stop(f);
}

/* Refusals are forgotten on demand (SIGHUP), proven verdicts are not: the refused bytes are
 * proven again, and refused again. */
static void test_forget_refusals(void **state)
{
    struct fixture *f = start(1, 10);
    assert_int_equal(prover_submit(f->p, "a/good.json", "a", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_submit(f->p, "a/bad.json", "a", BAD, strlen(BAD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    const char *why = NULL;
    assert_true(prover_lookup(f->p, BAD, strlen(BAD), &why) < 0);
    assert_int_equal(prover_forget_refusals(f->p), 1);
    assert_int_equal(prover_lookup(f->p, BAD, strlen(BAD), &why), 0);
    assert_int_equal(prover_lookup(f->p, GOOD, strlen(GOOD), &why), 1);
    assert_int_equal(prover_forget_refusals(f->p), 0);
    assert_int_equal(prover_submit(f->p, "a/bad.json", "a", BAD, strlen(BAD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(metrics_get(f->m, M_PROOFS), 3);
    assert_int_equal(f->rec.n, 3);
    assert_string_equal(f->rec.v[2].key, "a/bad.json");
    assert_true(f->rec.v[2].verdict < 0);
    assert_true(prover_lookup(f->p, BAD, strlen(BAD), &why) < 0);
    stop(f);
}

/* The most workers there may be, each with jobs: every verdict comes, and is a proof (drain()
 * once watched the pipes of only 62 of them). */
static void test_most_workers(void **state)
{
    struct fixture *f = start_with(PROVER_MAX_WORKERS, 10, 60000);
    char keys[2 * PROVER_MAX_WORKERS][32], bytes[2 * PROVER_MAX_WORKERS][256];
    for (unsigned i = 0; i < 2 * PROVER_MAX_WORKERS; i++) {
        snprintf(keys[i], sizeof(keys[i]), "a/p%u.json", i);
        /* Other bytes each (spaces), so that each is a proof of its own. */
        snprintf(bytes[i], sizeof(bytes[i]), "%*s%s", (int)i, "", GOOD);
        assert_int_equal(prover_submit(f->p, keys[i], "a", bytes[i], strlen(bytes[i])), 0);
    }
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(f->rec.n, 2 * PROVER_MAX_WORKERS);
    for (unsigned i = 0; i < 2 * PROVER_MAX_WORKERS; i++) {
        const struct seen *v = find(&f->rec, keys[i]);
        assert_non_null(v);
        if (v->verdict != 0)
            fail_msg("%s: refused (%s)", keys[i], v->why);
    }
    stop(f);
}

/* Every digest the same: a profile that libseccomp refuses must not pass for the proven one
 * whose digest it shares. */
static void constant_digest(const void *p, size_t n, struct digest *ret)
{
    memset(ret->b, 0x5a, sizeof(ret->b));
}

static void test_forced_collision(void **state)
{
    digest_set_test_hook(constant_digest);
    struct fixture *f = start(1, 10);
    assert_int_equal(prover_submit(f->p, "a/good.json", "a", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(find(&f->rec, "a/good.json")->verdict, 0);
    const char *why = NULL;
    /* Same digest, other bytes: not known, so proven, and refused. */
    assert_int_equal(prover_lookup(f->p, BAD, strlen(BAD), &why), 0);
    assert_int_equal(prover_submit(f->p, "a/bad.json", "a", BAD, strlen(BAD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    assert_true(find(&f->rec, "a/bad.json")->verdict < 0);
    assert_int_equal(metrics_get(f->m, M_PROOFS), 2);
    stop(f);
    digest_set_test_hook(NULL);
}

static void test_same_bytes_one_proof(void **state)
{
    struct fixture *f = start(2, 10);
    const char *keys[] = {"a/x.json", "b/y.json", "c/z.json"};
    for (size_t i = 0; i < ELEMENTSOF(keys); i++)
        assert_int_equal(prover_submit(f->p, keys[i], keys[i], GOOD2, strlen(GOOD2)), 0);
    assert_int_equal(prover_pending(f->p), 3);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(f->rec.n, 3);
    for (size_t i = 0; i < ELEMENTSOF(keys); i++)
        assert_int_equal(find(&f->rec, keys[i])->verdict, 0);
    assert_int_equal(metrics_get(f->m, M_PROOFS), 1);
    stop(f);
}

static void test_cancel_and_replace(void **state)
{
    struct fixture *f = start(1, 10);
    assert_int_equal(prover_submit(f->p, "a/x.json", "a", BAD, strlen(BAD)), 0);
    assert_int_equal(prover_submit(f->p, "a/x.json", "a", GOOD, strlen(GOOD)), 0); /* replaces */
    assert_int_equal(prover_submit(f->p, "a/gone.json", "a", GOOD2, strlen(GOOD2)), 0);
    prover_cancel(f->p, "a/gone.json");
    assert_int_equal(prover_pending(f->p), 1);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(f->rec.n, 1);
    assert_string_equal(f->rec.v[0].key, "a/x.json");
    assert_int_equal(f->rec.v[0].verdict, 0);
    stop(f);
}

/* One worker; namespace a queues two slow proofs before b queues a quick one: b's verdict
 * comes before a's second (round-robin), not after (first come, first served). */
static void test_fair_across_groups(void **state)
{
    struct fixture *f = start(1, 60);
    _cleanup_free_ char *s1 = slow_profile(1500, 1);
    _cleanup_free_ char *s2 = slow_profile(1500, 2);
    assert_int_equal(prover_submit(f->p, "a/one.json", "a", s1, strlen(s1)), 0);
    assert_int_equal(prover_submit(f->p, "a/two.json", "a", s2, strlen(s2)), 0);
    assert_int_equal(prover_submit(f->p, "b/quick.json", "b", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(f->rec.n, 3);
    assert_true(order_of(&f->rec, "b/quick.json") < order_of(&f->rec, "a/two.json"));
    stop(f);
}

/* A worker that crashes while it holds a profile: the profile is refused (and remembered),
 * the worker replaced, the next profile proven. */
static void test_crash_refuses_and_recovers(void **state)
{
    struct fixture *f = start(1, 60);
    assert_int_equal(prover_submit(f->p, "a/warm.json", "a", GOOD2, strlen(GOOD2)), 0);
    assert_int_equal(prover_drain(f->p), 0); /* the worker runs and is idle */
    _cleanup_free_ char *slow = slow_profile(4000, 3);
    assert_int_equal(prover_submit(f->p, "a/crash.json", "a", slow, strlen(slow)), 0);
    int pid = prover_worker_pid(f->p, 0);
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGABRT), 0); /* as glibc on a corrupt heap */
    assert_int_equal(prover_drain(f->p), 0);
    const struct seen *c = find(&f->rec, "a/crash.json");
    assert_non_null(c);
    assert_int_equal(c->verdict, -EFAULT);
    assert_non_null(strstr(c->why, "crashed"));
    assert_int_equal(metrics_get(f->m, M_PROOF_WORKER_RESTARTS), 1);
    const char *why = NULL;
    assert_int_equal(prover_lookup(f->p, slow, strlen(slow), &why), -EFAULT);
    assert_int_equal(prover_submit(f->p, "a/after.json", "a", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(find(&f->rec, "a/after.json")->verdict, 0);
    assert_int_not_equal(prover_worker_pid(f->p, 0), pid);
    stop(f);
}

/* A job queued behind the one a worker proves (sent to it already) is not refused when the
 * worker dies on the first: it is proven again by the next worker. The worker is stopped so
 * that it reads neither before it is killed. The job it held comes to no verdict: a SIGKILL
 * the prover did not send (someone's, the kernel's out-of-memory killer's) is not the
 * profile's doing, and is not remembered. */
static void test_queued_job_survives_crash(void **state)
{
    struct fixture *f = start(1, 60);
    assert_int_equal(prover_submit(f->p, "a/warm.json", "a", GOOD2, strlen(GOOD2)), 0);
    assert_int_equal(prover_drain(f->p), 0); /* the worker runs and is idle */
    int pid = prover_worker_pid(f->p, 0);
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    _cleanup_free_ char *mid = slow_profile(100, 7); /* fits in the pipe with GOOD */
    assert_true(strlen(mid) + strlen(GOOD) < 60000);
    assert_int_equal(prover_submit(f->p, "a/first.json", "a", mid, strlen(mid)), 0);
    assert_int_equal(prover_submit(f->p, "b/behind.json", "b", GOOD, strlen(GOOD)), 0);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(prover_drain(f->p), 0);
    const struct seen *first = find(&f->rec, "a/first.json");
    assert_non_null(first);
    assert_int_equal(first->verdict, -EAGAIN); /* the job it held */
    if (!strstr(first->why, "killed while proving it (signal 9") ||
        !strstr(first->why, "not by the agent"))
        fail_msg("%s", first->why);
    const char *why = NULL;
    assert_int_equal(prover_lookup(f->p, mid, strlen(mid), &why), 0);
    const struct seen *behind = find(&f->rec, "b/behind.json");
    assert_non_null(behind);
    assert_int_equal(behind->verdict, 0);
    assert_int_equal(metrics_get(f->m, M_PROOF_WORKER_RESTARTS), 1);
    assert_int_equal(metrics_get(f->m, M_PROOF_RETRIES), 1);
    assert_int_not_equal(prover_worker_pid(f->p, 0), pid);
    stop(f);
}

/* A job queued behind a proof that does not end (its worker stopped) goes to another worker
 * after a short while, long before that proof's deadline; the stopped worker, let go, proves
 * its own job, and the answer it then gives on the handed-off one is ignored. */
static void test_queued_job_handed_off(void **state)
{
    struct fixture *f = start_with(2, 60, 20000);
    assert_int_equal(prover_submit(f->p, "a/warm.json", "a", GOOD2, strlen(GOOD2)), 0);
    assert_int_equal(prover_submit(f->p, "b/warm.json", "b", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    int w0 = prover_worker_pid(f->p, 0), w1 = prover_worker_pid(f->p, 1);
    assert_true(w0 > 0 && w1 > 0);
    assert_int_equal(kill(w0, SIGSTOP), 0);
    assert_int_equal(kill(w1, SIGSTOP), 0);
    _cleanup_free_ char *p1 = slow_profile(3, 1), *p2 = slow_profile(3, 2),
                        *p3 = slow_profile(3, 3);
    assert_int_equal(prover_submit(f->p, "a/one.json", "a", p1, strlen(p1)), 0);   /* w0 */
    assert_int_equal(prover_submit(f->p, "b/two.json", "b", p2, strlen(p2)), 0);   /* w1 */
    assert_int_equal(prover_submit(f->p, "c/three.json", "c", p3, strlen(p3)), 0); /* behind */
    assert_int_equal(kill(w1, SIGCONT), 0);
    uint64_t proofs0 = metrics_get(f->m, M_PROOFS);
    time_t t0 = time(NULL);
    while (metrics_get(f->m, M_PROOFS) < proofs0 + 2 && time(NULL) - t0 < 10) {
        prover_poll(f->p);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* two and three proven by w1 while w0 still holds one (its deadline is 20 s away). */
    assert_int_equal(metrics_get(f->m, M_PROOFS), proofs0 + 2);
    assert_true(time(NULL) - t0 < 10);
    assert_int_equal(prover_worker_pid(f->p, 0), w0);
    assert_int_equal(kill(w0, SIGCONT), 0);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(find(&f->rec, "a/one.json")->verdict, 0);
    assert_int_equal(find(&f->rec, "b/two.json")->verdict, 0);
    assert_int_equal(find(&f->rec, "c/three.json")->verdict, 0);
    assert_int_equal(metrics_get(f->m, M_PROOFS), proofs0 + 3);
    assert_int_equal(metrics_get(f->m, M_PROOF_WORKER_RESTARTS), 0);
    /* w0 goes on once its ignored answer is read: with w1 stopped, the next job is w0's
     * (were that answer still awaited, w0 would take none and the job would wait on w1). */
    for (int i = 0; i < 40; i++) {
        prover_poll(f->p);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(kill(w1, SIGSTOP), 0);
    assert_int_equal(prover_submit(f->p, "a/four.json", "a", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(find(&f->rec, "a/four.json")->verdict, 0);
    assert_int_equal(metrics_get(f->m, M_PROOF_WORKER_RESTARTS), 0);
    assert_int_equal(prover_worker_pid(f->p, 0), w0);
    assert_int_equal(kill(w1, SIGCONT), 0);
    stop(f);
}

/* Workers run below the agent's CPU priority (nice + 10, at most 19). */
static void test_workers_below_agent(void **state)
{
    struct fixture *f = start(1, 10);
    assert_int_equal(prover_submit(f->p, "a/x.json", "a", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    int pid = prover_worker_pid(f->p, 0);
    assert_true(pid > 0);
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    /* Fields after the command's closing parenthesis: state is the 3rd, nice the 19th. */
    char *p = strrchr(buf, ')');
    assert_non_null(p);
    long nice_field = 0;
    int field = 2;
    for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " "))
        if (++field == 19) {
            nice_field = strtol(tok, NULL, 10);
            break;
        }
    assert_int_equal(field, 19);
    errno = 0;
    int mine = getpriority(PRIO_PROCESS, 0);
    assert_int_equal(errno, 0);
    assert_int_equal(nice_field, mine + 10 > 19 ? 19 : mine + 10);
    stop(f);
}

/* A proof over its CPU time is stopped (SIGXCPU) and the profile refused, and remembered: the
 * same bytes are refused at once (the wall-clock deadline is far: the CPU limit is what stops
 * it, however loaded the machine); also when the worker proved others before it (the limit set
 * for them still holds). */
static void test_cpu_limit(void **state)
{
    struct fixture *f = start_with(1, 1, 600000);
    assert_int_equal(prover_submit(f->p, "a/good.json", "a", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_submit(f->p, "a/good2.json", "a", GOOD2, strlen(GOOD2)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(find(&f->rec, "a/good2.json")->verdict, 0);
    _cleanup_free_ char *slow = slow_profile(20000, 4); /* tens of seconds of CPU */
    time_t t0 = time(NULL);
    assert_int_equal(prover_submit(f->p, "a/slow.json", "a", slow, strlen(slow)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    const struct seen *s = find(&f->rec, "a/slow.json");
    assert_non_null(s);
    assert_int_equal(s->verdict, -ETIMEDOUT);
    if (!strstr(s->why, "CPU time"))
        fail_msg("%s", s->why);
    assert_true(time(NULL) - t0 < 60);
    const char *why = NULL;
    assert_int_equal(prover_lookup(f->p, slow, strlen(slow), &why), -ETIMEDOUT);
    assert_string_equal(why, s->why);
    assert_int_equal(metrics_get(f->m, M_PROOF_RETRIES), 0);
    stop(f);
}

/* A proof past its wall-clock deadline while it used less than its CPU time (here it runs, but
 * may use 600 s: a starved worker) is stopped and comes to no verdict, not remembered. */
static void test_deadline(void **state)
{
    struct fixture *f = start_with(1, 600, 300);
    _cleanup_free_ char *slow = slow_profile(20000, 6);
    assert_int_equal(prover_submit(f->p, "a/slow.json", "a", slow, strlen(slow)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    const struct seen *s = find(&f->rec, "a/slow.json");
    assert_non_null(s);
    assert_int_equal(s->verdict, -EAGAIN);
    if (!strstr(s->why, "did not finish within 300 ms of wall-clock time while using ") ||
        !strstr(s->why, " ms of CPU: the worker was stopped or starved"))
        fail_msg("%s", s->why);
    const char *why = NULL;
    assert_int_equal(prover_lookup(f->p, slow, strlen(slow), &why), 0);
    assert_int_equal(metrics_get(f->m, M_PROOF_RETRIES), 1);
    stop(f);
}

/* The same bytes coming to no verdict STALLS_MAX (3) times in a row (a worker starved every
 * time: here a proof that needs more than the deadline's wall-clock time, under a CPU budget it
 * never reaches): the third is a refusal, remembered, naming why; SIGHUP's forgetting proves
 * them again. Not forever retried, holding readiness and a worker. */
static void test_stalls_become_a_refusal(void **state)
{
    struct fixture *f = start_with(1, 600, 300);
    _cleanup_free_ char *slow = slow_profile(20000, 6);
    const char *why = NULL;
    for (int i = 1; i <= 3; i++) {
        char key[32]; /* a key per attempt: the bytes are what counts */
        snprintf(key, sizeof(key), "a/slow%d.json", i);
        assert_int_equal(prover_submit(f->p, key, "a", slow, strlen(slow)), 0);
        assert_int_equal(prover_drain(f->p), 0);
        const struct seen *s = find(&f->rec, key);
        assert_non_null(s);
        if (i < 3) {
            assert_int_equal(s->verdict, -EAGAIN);
            assert_int_equal(prover_lookup(f->p, slow, strlen(slow), &why), 0);
            continue;
        }
        assert_int_equal(s->verdict, -ETIMEDOUT);
        if (!strstr(s->why, "no proof of it came to a verdict 3 times in a row (the last: the "
                            "libseccomp proof did not finish within 300 ms") ||
            !strstr(s->why, "SIGHUP proves it again"))
            fail_msg("%s", s->why);
    }
    assert_int_equal(prover_lookup(f->p, slow, strlen(slow), &why), -ETIMEDOUT);
    assert_int_equal(metrics_get(f->m, M_PROOF_RETRIES), 2);
    assert_int_equal(prover_forget_refusals(f->p), 1);
    assert_int_equal(prover_lookup(f->p, slow, strlen(slow), &why), 0);
    stop(f);
}

/* A worker stopped (SIGSTOP; a frozen cgroup) while it holds a proof: at the wall-clock
 * deadline it is killed and replaced, the proof comes to no verdict, says so (no CPU time was
 * used: not the profile's fault), and is not remembered; the same bytes submitted again are
 * proven. */
static void test_stopped_worker_no_verdict(void **state)
{
    struct fixture *f = start_with(1, 10, 300);
    assert_int_equal(prover_submit(f->p, "a/warm.json", "a", GOOD2, strlen(GOOD2)), 0);
    assert_int_equal(prover_drain(f->p), 0); /* the worker runs and is idle */
    int pid = prover_worker_pid(f->p, 0);
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    assert_int_equal(prover_submit(f->p, "a/web.json", "a", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    const struct seen *s = find(&f->rec, "a/web.json");
    assert_non_null(s);
    assert_int_equal(s->verdict, -EAGAIN);
    if (!strstr(s->why, "did not finish within 300 ms of wall-clock time while using ") ||
        !strstr(s->why, "the worker was stopped or starved"))
        fail_msg("%s", s->why);
    unsigned long cpu = strtoul(strstr(s->why, "while using ") + strlen("while using "), NULL, 10);
    assert_true(cpu < 100);
    const char *why = NULL;
    assert_int_equal(prover_lookup(f->p, GOOD, strlen(GOOD), &why), 0);
    assert_int_equal(metrics_get(f->m, M_PROOF_RETRIES), 1);
    assert_int_equal(metrics_get(f->m, M_PROOF_WORKER_RESTARTS), 1);
    assert_int_equal(metrics_get(f->m, M_PROOFS), 1);
    /* Tried again: a new worker proves it. */
    assert_int_not_equal(prover_worker_pid(f->p, 0), pid);
    assert_int_equal(prover_submit(f->p, "a/web.json", "a", GOOD, strlen(GOOD)), 0);
    assert_int_equal(prover_drain(f->p), 0);
    assert_int_equal(f->rec.n, 3);
    assert_string_equal(f->rec.v[2].key, "a/web.json");
    assert_int_equal(f->rec.v[2].verdict, 0);
    assert_int_equal(prover_lookup(f->p, GOOD, strlen(GOOD), &why), 1);
    assert_int_equal(metrics_get(f->m, M_PROOFS), 2);
    stop(f);
}

/* Freeing with a proof in progress does not wait for it. */
static void test_free_does_not_wait(void **state)
{
    struct fixture *f = start(1, 60);
    _cleanup_free_ char *slow = slow_profile(20000, 5);
    assert_int_equal(prover_submit(f->p, "a/slow.json", "a", slow, strlen(slow)), 0);
    int pid = prover_worker_pid(f->p, 0);
    time_t t0 = time(NULL);
    stop(f);
    assert_true(time(NULL) - t0 < 5);
    assert_int_equal(kill(pid, 0), -1); /* reaped */
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], PROVER_WORKER_COMMAND) == 0)
        return prover_worker_main(argc - 1, argv + 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_verdict_told_outside_submit),
        cmocka_unit_test(test_resubmit_while_verdict_waits),
        cmocka_unit_test(test_forced_collision),
        cmocka_unit_test(test_same_bytes_one_proof),
        cmocka_unit_test(test_cancel_and_replace),
        cmocka_unit_test(test_fair_across_groups),
        cmocka_unit_test(test_crash_refuses_and_recovers),
        cmocka_unit_test(test_queued_job_survives_crash),
        cmocka_unit_test(test_workers_below_agent),
        cmocka_unit_test(test_most_workers),
        cmocka_unit_test(test_queued_job_handed_off),
        cmocka_unit_test(test_cpu_limit),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_stalls_become_a_refusal),
        cmocka_unit_test(test_stopped_worker_no_verdict),
        cmocka_unit_test(test_forget_refusals),
        cmocka_unit_test(test_free_does_not_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
