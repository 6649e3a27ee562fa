/* watch_stream.h - framing and decoding of the Kubernetes watch stream.
 *
 * Owns: splitting bytes that arrive in arbitrary chunks into lines (buffered, a maximum line
 * size, never strtok over a chunk) and decoding one line into a watch event (ADDED,
 * MODIFIED, DELETED, BOOKMARK, ERROR with its object). Pure: no I/O.
 */
#ifndef KSCMP_WATCH_H
#define KSCMP_WATCH_H

#include <jansson.h>
#include <stddef.h>

#include "base/error.h"
#include "kube/json_prune.h"

/* The longest watch event taken: an object is at most 1.5 MiB in etcd and a request at most
 * 3 MiB at the API server; its JSON in an event, with room to spare. */
#define WATCH_MAX_LINE (4u * 1024 * 1024)

struct linebuf {
    char *buf;
    size_t len, cap;
    size_t max; /* 0: WATCH_MAX_LINE */
};

/* Appends data and calls cb for every complete line (without its "\n"; empty lines are
 * skipped). Returns 0, the first negative cb result, or -E2BIG when a line grows over max
 * (the buffer is then emptied). */
int linebuf_feed(struct linebuf *b, const char *data, size_t n,
                 int (*cb)(const char *line, size_t len, void *userdata), void *userdata);

/* Bytes of an unfinished line still held. */
size_t linebuf_pending(const struct linebuf *b);
void linebuf_clear(struct linebuf *b);

enum watch_type { WATCH_ADDED, WATCH_MODIFIED, WATCH_DELETED, WATCH_BOOKMARK, WATCH_ERROR };

struct watch_event {
    enum watch_type type;
    json_t *object; /* owned: json_decref it */
};

/* Decodes {"type": ..., "object": {...}}; keep (may be NULL: everything) is what of the object
 * is built (json_prune.h): the rest is skipped. */
int watch_event_decode(const char *line, size_t len, const struct prune_rule *keep,
                       struct watch_event *ret, struct kerr *err);

/* For an ERROR event (a metav1.Status): its code, 0 when absent. */
int watch_error_code(const json_t *status);

/* metadata.resourceVersion of an object, or NULL. */
const char *json_resource_version(const json_t *obj);

#endif
