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

/* The longest watch event taken. An object is at most 1.5 MiB in etcd, but a Pod or a
 * Namespace is kept there as protobuf, and the API server writes its JSON with Go's
 * encoding/json: each '<', '>', '&', control character or invalid UTF-8 byte of a string as a
 * six-byte escape (\u003c). A tenant's Pod of 1.4 MiB in etcd comes as ~8.4 MiB of JSON. With
 * room for that and the event around it; also the largest list answer (transport.h). */
#define WATCH_MAX_LINE (16u * 1024 * 1024)

/* The start of a line refused for its size, kept to name its object (kube_object_id()). */
#define LINEBUF_HEAD 1024

struct linebuf {
    char *buf;
    size_t len, cap;
    size_t max;              /* 0: WATCH_MAX_LINE */
    char head[LINEBUF_HEAD]; /* after -E2BIG: the first head_len bytes of that line */
    size_t head_len;
};

/* Appends data and calls cb for every complete line (without its "\n"; empty lines are
 * skipped). Returns 0, the first negative cb result, or -E2BIG when a line grows over max
 * (the buffer is then emptied, its first bytes kept in head). */
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

/* The object an answer cut anywhere begins to tell of: in the first n bytes of text, the
 * metadata after the first mark ("\"object\":" in a watch event, "\"items\":[" in a list),
 * as "NAMESPACE/NAME", or "NAME" for an object of no namespace, into out (size bytes);
 * "" when the text does not say (nothing is read past n). For messages about answers too large
 * to be read: the API server writes metadata first, and name and namespace first in it. */
void kube_object_id(const char *text, size_t n, const char *mark, char *out, size_t size);

/* metadata.resourceVersion of an object, or NULL. */
const char *json_resource_version(const json_t *obj);

#endif
