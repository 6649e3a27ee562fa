/* reconcile.h - makes the node's disk hold what the engine says, and keeps it so.
 *
 * Owns: applying engine results to the store (write, keep the last good file, remove),
 * proving every profile with libseccomp before it is written (fail closed: a refused profile
 * is never written, and its pods get a ProfileRefused Event), through node/prover.h: the
 * proof runs in worker processes, so new bytes are written when their verdict comes (at once
 * for bytes proven before), and the loop goes on meanwhile; retries with backoff when the disk
 * fails (the old file stays) or a proof comes to no verdict (its worker stalled or was killed:
 * proven again, nothing written meanwhile), garbage collection of files no pod references, and
 * self-healing: an inotify watch on the store's folders (seccomp, kscmp, each namespace folder,
 * by their paths: made again when one is moved or removed) puts back a file someone edited or
 * deleted (its own writes find the bytes equal and do nothing), and removes a file nobody owes
 * and anything but a regular file at a profile's name (a link itself, never what it points to).
 * The files on disk are the record of the last good profiles across restarts.
 */
#ifndef KSCMP_RECONCILE_H
#define KSCMP_RECONCILE_H

#include <stdint.h>

#include "engine/engine.h"
#include "base/error.h"
#include "base/evloop.h"
#include "base/metrics.h"
#include "node/prover.h"
#include "node/store.h"

struct reconciler;

/* l NULL (--once): every sync waits for its proofs. proof: the workers' limits (NULL for
 * the defaults). */
int reconciler_new(struct engine *e, struct store *s, struct metrics *m, struct evloop *l,
                   const struct prover_opts *proof, struct reconciler **ret, struct kerr *err);
void reconciler_free(struct reconciler *r);

/* Where the Events the engine owes to pods go (the agent logs them or posts them). */
void reconciler_set_event_sink(struct reconciler *r,
                               int (*event)(const struct engine_event *ev, void *userdata),
                               void *userdata);

/* Called after a file is written once its proof came in, after the sync that computed it
 * (the Kubernetes source checks stale pods then). */
void reconciler_set_written_hook(struct reconciler *r, void (*written)(void *userdata),
                                 void *userdata);

/* Removes temporaries a crash left, reads the files on disk as the last good profiles, and
 * starts watching the store's folders. */
int reconciler_start(struct reconciler *r, struct kerr *err);

/* engine_sync, then makes the disk match. event_us (now_us() clock) is when the change that
 * caused it arrived, for the latency metric; 0 when unknown. */
int reconciler_sync(struct reconciler *r, uint64_t event_us);

/* Removes profile files that no pod references (call after the first complete sync). */
int reconciler_gc(struct reconciler *r);

/* Marks the first complete sync as done: /readyz turns ready (and stays so) once no write
 * of it is waiting for a retry. */
void reconciler_initial_done(struct reconciler *r);
bool reconciler_ready(const struct reconciler *r);

/* The store's folder no longer reaches the kubelet (moved or removed on the host): not ready
 * from now on, whatever is written. */
void reconciler_lost(struct reconciler *r);

/* Number of files whose bytes wait for their proof (or to be proven again: their last proof came
 * to no verdict), or whose write or removal waits for a retry. */
unsigned reconciler_pending(const struct reconciler *r);

/* Forgets the refusals the prover remembers (SIGHUP): the next sync that computes a refused
 * profile proves it again (engine_touch_all() computes them all). How many, or -ENOMEM. */
int reconciler_forget_refusals(struct reconciler *r);

/* Looks at every file on disk again once the loop is idle (SIGHUP): a file owed that differs is
 * put back, and anything else at a profile's name that nobody owes is removed. For changes no
 * watch reports: a write through a hard link in another folder, or through a shared mapping.
 * Nothing without an event loop (--once looks at every file anyway). */
void reconciler_check_all(struct reconciler *r);

/* Number of files read back from the disk after inotify saw a change to them (our own renames
 * are not read back). */
unsigned long reconciler_checks(const struct reconciler *r);

#endif
