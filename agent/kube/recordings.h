/* recordings.h - SeccompRecordings on this node (README: recording in a cluster).
 *
 * Owns: the reflector of SeccompRecordings (every namespace; none while the CRD is not
 * installed); which recording of a policy counts (the oldest; the others are in Conflict)
 * and which are invalid; the node's pods each one selects (engine_recording_scope); the
 * recorder (node/recorder.h), started before any recording profile is written and stopped
 * when nothing is left to record; putting each recording into the engine (whose files then
 * become recording profiles) only while its pods can be recorded; collecting what they did;
 * and each recording's status: this node's entry and the union, merge-patched on /status with
 * the resourceVersion it was merged from (a 409 means another node wrote first: read again,
 * merge again), only when it adds something, staggered like the policies' status. It says
 * what this node may have missed: an agent that restarted without its pinned recorder, pods
 * that were running before their recording began here, calls the recorder had no room for.
 */
#ifndef KSCMP_RECORDINGS_H
#define KSCMP_RECORDINGS_H

#include <stdbool.h>

#include "base/evloop.h"
#include "base/metrics.h"
#include "engine/engine.h"
#include "kube/client.h"
#include "kube/reflector.h"
#include "node/recorder.h"

struct recordings;

struct recordings_opts {
    struct recorder_opts recorder; /* where the cgroups and the bpffs are */
    unsigned collect_ms;           /* how often the recorder is read (default 5000) */
    /* The Kubernetes source's hooks: a recording changed (sync again); the first list is in. */
    void (*changed)(void *userdata);
    void (*listed)(void *userdata);
    void *userdata;
};

/* pods is the Kubernetes source's reflector of the node's Pods (its keys name the pods the
 * engine holds). Takes nothing over; k, e, l, m and pods must outlive it. */
int recordings_new(struct kube *k, struct engine *e, struct evloop *l, struct metrics *m,
                   struct reflector *pods, const char *node, const struct recordings_opts *o,
                   struct recordings **ret);
/* A pinned recorder keeps recording for the next agent. */
void recordings_free(struct recordings *rs);

void recordings_start(struct recordings *rs);
void recordings_relist(struct recordings *rs);
/* True once the recordings are listed (or 10 s went by without: the first sync does not wait
 * longer, so an agent without the right to read them still writes every profile). */
bool recordings_synced(const struct recordings *rs);

/* Before each sync of the engine: decides what to record, starts or stops the recorder, and
 * puts recordings into the engine or takes them out. */
void recordings_update(struct recordings *rs);

#endif
