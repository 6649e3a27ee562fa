/* stale_pods.h - pods running under an older version of their profile.
 *
 * Owns: telling which containers started before the profile they use last changed on disk
 * (the runtime applies a profile when a container starts, so such a container keeps the old
 * one until it restarts): a ProfileStale Event on the pod for each file that changed under
 * it, naming every such container, and the kscmp_pods_stale_profiles gauge. A change is one
 * of the bytes: a container that started under the bytes on disk now is not stale, however
 * often the file was written since (store_versions(), staleness_by_content()).
 *
 * A container's start time (status startedAt) has whole seconds, and a file's date is when
 * its version took effect (node/store.h). A container that started in the same second as a
 * change may have read either version: it counts as stale (fail safe), and the Event says
 * that it may be. A file's first version is dated in the second before it was written, so
 * that containers that started with it are not counted.
 *
 * One Event per pod and cause (the file's version): its message is kept while the cause lasts,
 * so that a container that restarts meanwhile does not bring a second Event with a shorter
 * list. The Event carries, for programs (kubectl kscmp), the annotations
 *   kscmp.io/profile             kscmp/NS/NAME.json
 *   kscmp.io/profile-changed     when that version took effect (RFC 3339, whole seconds: a
 *                                container started at or before it is stale)
 *   kscmp.io/stale-containers    the stale containers' names, sorted, comma-separated (left
 *                                out above STALE_NAMES_MAX: then every container using the
 *                                file that started at or before the change is)
 */
#ifndef KSCMP_STALE_PODS_H
#define KSCMP_STALE_PODS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "base/metrics.h"
#include "engine/engine.h"
#include "kube/pod_events.h"
#include "kube/reflector.h"
#include "node/store.h"

#define STALE_NOTE_PROFILE "kscmp.io/profile"
#define STALE_NOTE_CHANGED "kscmp.io/profile-changed"
#define STALE_NOTE_CONTAINERS "kscmp.io/stale-containers"
/* The most container names an Event's annotation lists. */
#define STALE_NAMES_MAX 500

enum staleness {
    STALE_NOT,         /* started after the version took effect (or is not running) */
    STALE_SAME_SECOND, /* started in the second it took effect: may have read either */
    STALE_BEFORE,      /* started in an earlier second: runs under an older version */
};

/* How a container that started at started (unix seconds, whole; 0: not running) stands to
 * the version of its profile that took effect at changed. */
enum staleness staleness_of(int64_t started, struct timespec changed);

/* The same by content: whether the versions of the file that the container may have read as
 * it started (those in effect during its second: v, n, what the store remembers, oldest
 * first; store_versions()) hold the bytes on disk now, the last of v (dated changed). Every
 * one of them does: STALE_NOT, whatever the dates (a file removed and written again with the
 * same bytes, changed and changed back); none: STALE_BEFORE; some: STALE_SAME_SECOND. A
 * version without a file is none the container started under (the kubelet refuses to start
 * it). Where the history does not reach (a start before its first version, or no history
 * that ends at changed): staleness_of(). */
enum staleness staleness_by_content(int64_t started, struct timespec changed,
                                    const struct store_version *v, size_t n);

/* The ProfileStale Event of pod for its reference ref (index in pod->refs), the file rel whose
 * version took effect at changed, v and n its versions (staleness_by_content(); NULL and 0:
 * by date alone): *ret_message, and *ret_names (the stale containers' names, sorted,
 * comma-separated; "" above STALE_NAMES_MAX). Both NULL when no container is stale. The
 * message names the containers that started before the change, then those of the same
 * second, each sorted by name. */
int stale_pods_describe(const struct pod *pod, int ref, const char *rel, struct timespec changed,
                        const struct store_version *v, size_t n, char **ret_message,
                        char **ret_names);

/* What a ProfileStale Event (a core/v1 Event as the API server returns it) says, as
 * {"file": "kscmp/NS/NAME.json", "changed": RFC 3339 or "", "containers": [names] or null}:
 * from its annotations. For an Event of an agent before them, the file and time its message
 * names ("... kscmp/REL last changed (WHEN) ..."; the Event's own time when the message has
 * none) and null containers. NULL when ev is not a ProfileStale Event, names no file, or out
 * of memory. The caller owns the result. */
json_t *stale_event_facts(json_t *ev);

/* Whether those facts still hold for container name, which uses file rel (NS/NAME.json) and
 * started at started (unix seconds, 0: not running): the facts name that file and that
 * container (null containers: any), and the container started at or before the change (an
 * unreadable change: any time), so it has not restarted since. False for NULL facts. */
bool stale_facts_hold(json_t *facts, const char *rel, const char *name, int64_t started);

struct stale_pods;

int stale_pods_new(struct stale_pods **ret);
void stale_pods_free(struct stale_pods *sp);

/* Checks every pod the pods reflector holds against the store's files. */
void stale_pods_check(struct stale_pods *sp, struct engine *e, struct store *s,
                      const struct reflector *pods, struct pod_events *events, struct metrics *m);

#endif
