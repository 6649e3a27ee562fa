/* manifest.h - the manifest loader: bytes of a YAML or JSON file to policy, Namespace and
 * Pod objects.
 *
 * Owns: splitting a file into documents (`kind: List` opened up), one document parsed,
 * decoded and freed at a time. No I/O: callers read the file (base/file.h).
 */
#ifndef KSCMP_MANIFEST_H
#define KSCMP_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "engine/decode.h"

/* The largest manifest file kscmp reads. */
#define MAX_MANIFEST (64u * 1024 * 1024)

/* True when a folder's entry called name is a manifest: *.yaml, *.yml or *.json, and not
 * hidden (editors' and tools' dot files). */
bool manifest_file_name(const char *name);

/* Decodes every object of buf and hands each to cb, which takes ownership; name is used in
 * messages. Stops at the first error. */
int manifest_load_buffer(const char *buf, size_t len, const char *name,
                         int (*cb)(struct object *o, void *userdata), void *userdata,
                         struct kerr *err);

struct manifest_ops {
    int (*object)(struct object *o, void *userdata); /* takes ownership, as cb above */
    /* A document that does not decode: NULL stops the file with its error; otherwise it is
     * told (a negative result stops) and the next document is read. A YAML syntax error
     * always ends the file: the parser cannot find its footing after one. */
    int (*doc_error)(const struct kerr *err, void *userdata);
    void *userdata;
};

/* manifest_load_buffer with the choice of going on after a document's error; *ret_ndocs (may
 * be NULL) counts the documents seen (0: the file holds none, it is empty or only comments). */
int manifest_load(const char *buf, size_t len, const char *name, const struct manifest_ops *ops,
                  size_t *ret_ndocs, struct kerr *err);

#endif
