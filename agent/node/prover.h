/* prover.h - libseccomp's proof of every profile, away from the agent's process.
 *
 * Owns: running proof_profile() (engine/proof.h) in worker processes: this very binary run
 * again as `kscmp __proof-worker`, fed over pipes, one profile at a time each, each proof
 * under a CPU-time limit (RLIMIT_CPU, set per proof), a memory limit (RLIMIT_DATA) and a
 * wall-clock deadline. A worker that crashes (libseccomp 2.5.4 corrupts its heap on programs
 * over 65,535 instructions), runs over a limit or stops answering is killed and replaced: the
 * agent itself never runs libseccomp's code on a profile. The profile it held is refused when
 * the cause is the profile's (libseccomp crashed, or the proof used more than its CPU time);
 * when it is not (the wall-clock deadline passed while the proof used less than its CPU time:
 * the worker was stopped or starved; a signal the agent did not send killed it, such as the
 * kernel's out-of-memory killer; it exited), the proof came to no verdict: -EAGAIN, and
 * nothing is remembered.
 *
 * Verdicts are remembered by SHA-256 of the bytes (node/digest.h): a profile proven before
 * is not proven again (its bytes are kept and compared, so that not even a digest collision
 * can skip a proof), and one refused before is refused at once with the same reason, so
 * that a tenant's later changes do not pay for it again, until prover_forget_refusals().
 * Both memories are bounded.
 *
 * Fairness: jobs wait in one queue per group (the reconciler's group is the namespace); a
 * free worker takes the next job round-robin across groups, preferring a group that has no
 * proof running, so one namespace's slow proofs cannot hold back the others' for more than
 * one proof's deadline. A new job for a key replaces the one waiting or running for it.
 *
 * With an event loop the pipes and deadlines are watched there; without one (--once)
 * prover_drain() waits for every job.
 */
#ifndef KSCMP_PROVER_H
#define KSCMP_PROVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/evloop.h"
#include "base/metrics.h"
#include "node/digest.h"

/* The hidden command that runs a worker: `kscmp __proof-worker CPU_SECONDS`. */
#define PROVER_WORKER_COMMAND "__proof-worker"

#define PROVER_NO_LIMIT 0xffffffffu
/* The most workers a prover runs (more asked for are not started). */
#define PROVER_MAX_WORKERS 64

struct prover_opts {
    const char *exe;      /* the binary to run (default: this one, as self_exe() finds it) */
    unsigned workers;     /* default: 2, or 1 on a single CPU; at most PROVER_MAX_WORKERS */
    unsigned cpu_seconds; /* CPU time one proof may use (default 10) */
    unsigned memory_mib;  /* RLIMIT_DATA of a worker (default 48; PROVER_NO_LIMIT) */
    unsigned deadline_ms; /* wall clock for one proof (default 3 x cpu_seconds) */
};

/* A verdict on the bytes of key: 0 proven, else the negative errno of the refusal and why (a
 * message that names the syscalls[] index and field when libseccomp said, or the limit that
 * was hit). -EAGAIN is no verdict: the proof failed for a reason that is not the bytes' (why
 * says which); nothing is remembered, and the caller submits them again later. bytes are valid
 * during the call. */
typedef void (*prover_done_cb)(const char *key, int verdict, const char *why, const char *bytes,
                               size_t len, void *userdata);

struct prover;

/* l may be NULL (then use prover_drain()). done is called on the loop's thread (or inside
 * prover_drain()), never from inside prover_submit(). */
int prover_new(struct evloop *l, struct metrics *m, const struct prover_opts *opts,
               prover_done_cb done, void *userdata, struct prover **ret, struct kerr *err);
/* Kills the workers (a proof in progress is not waited for) and frees. */
void prover_free(struct prover *p);

/* What is known of these bytes: 1 proven before, 0 unknown, or a negative errno when they
 * were refused before (*ret_why, valid until the next call into the prover, says why). */
int prover_lookup(struct prover *p, const char *bytes, size_t len, const char **ret_why);
/* The same, with the bytes' digest (node/digest.h) already taken: a caller that may submit the
 * bytes after looking them up takes it once and passes it to both. d must be their digest. */
int prover_lookup_digest(struct prover *p, const char *bytes, size_t len, const struct digest *d,
                         const char **ret_why);

/* Queues the bytes (copied) for proof under key (e.g. "NS/NAME.json") in group (e.g. "NS");
 * replaces a job of the same key. -EFBIG for bytes over 8 MiB (not proven: refuse them). */
int prover_submit(struct prover *p, const char *key, const char *group, const char *bytes,
                  size_t len);
int prover_submit_digest(struct prover *p, const char *key, const char *group, const char *bytes,
                         size_t len, const struct digest *d);
/* Forgets the job of key (its verdict, when it comes, is still remembered, not reported). */
void prover_cancel(struct prover *p, const char *key);

/* Forgets every refusal remembered (SIGHUP: an admin asks for new proofs), so that those bytes
 * are proven again when they are submitted; proven ones stay remembered. Returns how many were
 * forgotten, or -ENOMEM (none). */
int prover_forget_refusals(struct prover *p);

/* Takes the verdicts that came in, without waiting, applies the deadlines and hand-offs,
 * and gives the workers new jobs (for a caller busy outside the loop for a while, e.g.
 * writing files). The verdicts are told later, from the loop (or prover_drain()). */
void prover_poll(struct prover *p);

/* Jobs waiting or running. */
unsigned prover_pending(const struct prover *p);

/* Without an event loop: waits until every job has its verdict (reported through done). */
int prover_drain(struct prover *p);

/* The process id of worker i (0 when none runs): for tests that crash or stop one. */
int prover_worker_pid(const struct prover *p, unsigned i);

/* The worker process's main: reads jobs on fd 0, answers on fd 1, until end of input. */
int prover_worker_main(int argc, char **argv);

#endif
