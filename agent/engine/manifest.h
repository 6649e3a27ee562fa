/* manifest.h - the manifest loader: bytes of a YAML or JSON file to policy, Namespace and
 * Pod objects.
 *
 * Owns: splitting a file into documents (`kind: List` opened up), one document parsed,
 * decoded and freed at a time. No I/O: callers read the file (base/file.h).
 */
#ifndef KSCMP_MANIFEST_H
#define KSCMP_MANIFEST_H

#include <stddef.h>

#include "base/error.h"
#include "engine/decode.h"

/* The largest manifest file kscmp reads. */
#define MAX_MANIFEST (64u * 1024 * 1024)

/* Decodes every object of buf and hands each to cb, which takes ownership; name is used in
 * messages. */
int manifest_load_buffer(const char *buf, size_t len, const char *name,
                         int (*cb)(struct object *o, void *userdata), void *userdata,
                         struct kerr *err);

#endif
