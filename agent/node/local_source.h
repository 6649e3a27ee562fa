/* local_source.h - the `kscmp agent --local DIR` source: manifests in a folder, watched.
 *
 * Owns: reading the *.yaml, *.yml and *.json files of DIR (policies, Namespaces, Pods; every
 * Pod counts as on this node) into the engine, and keeping the engine in step with the
 * folder through inotify (a file written, renamed in or out, deleted). A file that cannot be
 * read leaves what it held before in place (fail closed) and is reported; the other files
 * keep working. Each file's objects are tracked, so deleting a file deletes its objects.
 */
#ifndef KSCMP_LOCALSRC_H
#define KSCMP_LOCALSRC_H

#include <stdint.h>

#include "engine/engine.h"
#include "base/error.h"
#include "base/evloop.h"
#include "base/metrics.h"

struct localsrc;

/* changed() is called once after each batch of changes put into the engine; event_us is
 * when the batch was read (now_us() clock). */
int localsrc_new(const char *dir, struct engine *e, struct evloop *l, struct metrics *m,
                 void (*changed)(uint64_t event_us, void *userdata), void *userdata,
                 struct localsrc **ret, struct kerr *err);
void localsrc_free(struct localsrc *s);

/* Reads the whole folder again (start, SIGHUP, lost inotify events). */
int localsrc_load_all(struct localsrc *s);

#endif
