/* recorder.h - the node's side of SeccompRecordings: which pods are recorded, what they did.
 *
 * Owns: starting the eBPF recorder (bpf_record.h) when the first pod is to be recorded and
 * stopping it when none is left; the pod-parent cgroups it needs (pod_cgroups.h, read again
 * as pods come); attributing each container the program saw to its pod (by the pod's UID in
 * its cgroup's name) and the pod to a recording, noted in the pinned owners map so that an
 * agent that restarts still attributes the containers of pods that went meanwhile; forgetting
 * (and ignoring from then on) the containers of pods no recording selects; handing each
 * recording the syscalls of its pods' containers, running or gone.
 */
#ifndef KSCMP_RECORDER_H
#define KSCMP_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "engine/recording.h"
#include "node/bpf_record.h"

struct recorder_opts {
    const char *cgroup_root; /* the node's cgroupfs (default /sys/fs/cgroup) */
    const char *kubepods;    /* NULL: kubepods or kubepods.slice */
    const char *pin_dir;     /* NULL: nothing pinned (a restart loses what was not collected) */
};

struct recorder;

int recorder_new(const struct recorder_opts *o, struct recorder **ret, struct kerr *err);
/* A pinned program keeps recording for the next agent. */
void recorder_free(struct recorder *r);
DEFINE_CLEANUP_FUNC(struct recorder, recorder_free)

/* A pod to record: its UID, and the UID of the SeccompRecording it is recorded for. */
struct recorder_pod {
    const char *pod_uid;
    const char *recording_uid;
};

/* Makes pods the set to record; others are the UIDs of the node's other pods (known, not
 * recorded: their containers are not recorded from now on; a pod in neither list is one the
 * agent does not know yet, and is kept until it does). A non-empty set starts the program
 * first (then every call of their containers from their start on is recorded); an empty one
 * leaves it running (recorder_stop stops it, once what it gathered is collected and durable).
 * Fails, with the reason in err, when the program cannot run: then nothing is recorded and
 * recording profiles must not be written. */
int recorder_set_pods(struct recorder *r, const struct recorder_pod *pods, size_t n,
                      const char *const *others, size_t nothers, struct kerr *err);

/* With nothing to record: takes over a program an earlier agent left pinned (it records every
 * pod of the node while it runs), so that what it holds is collected and it is then stopped
 * (recorder_stop). 1 when taken over, 0 when there was none (or it runs already), or a
 * negative errno (err says why; the pins stay). */
int recorder_adopt(struct recorder *r, struct kerr *err);

/* Detaches the program and removes its pins: what it held and was not collected is lost. */
void recorder_stop(struct recorder *r);

/* Whether the program runs. */
bool recorder_active(const struct recorder *r);

/* How the running program started (loaded now, taken over from a pinned one, replacing one
 * of another layout), whether it is pinned, and when it started (CLOCK_BOOTTIME, ns). */
enum bpf_recorder_start recorder_start_kind(const struct recorder *r);
bool recorder_pinned(const struct recorder *r);
uint64_t recorder_started_at(const struct recorder *r);

/* Why a bpffs pin could not be used ("" when it was, or none was asked for). */
const char *recorder_pin_problem(const struct recorder *r);

/* Calls not recorded because the program's map of containers was full. */
uint64_t recorder_lost(const struct recorder *r);

struct recorder_seen {
    const char *recording_uid;
    const char *pod_uid;
    const struct recorded *calls;
    bool gone;        /* the container's cgroup is gone: this is all it did */
    bool others_full; /* it made calls with numbers >= 1024 that did not all fit */
};

/* Reads the program's maps and calls cb once per container of a recorded pod with everything
 * it did so far (a container that is gone has done all it will). persisted: what the previous
 * collect reported is now durable (written to the recordings' status), so the gone containers
 * it reported are forgotten instead of reported again; without it nothing gone is forgotten
 * (a crash between a collect and a status write then loses nothing). Containers of the other
 * pods are forgotten and ignored. Returns 0 or the first non-zero result of cb. */
int recorder_collect(struct recorder *r, int (*cb)(const struct recorder_seen *s, void *userdata),
                     void *userdata, bool persisted, struct kerr *err);

#endif
