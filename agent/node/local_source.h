/* local_source.h - the `kscmp agent --local DIR` source: manifests in a folder, watched.
 *
 * Owns: reading the *.yaml, *.yml and *.json files of DIR (policies, Namespaces, Pods; every
 * Pod counts as on this node) into the engine, and keeping the engine in step with the
 * folder through inotify (a file written, renamed in or out, deleted). A file that cannot be
 * read leaves what it held before in place (fail closed) and is reported; the other files
 * keep working. Each file's objects are tracked, so deleting a file deletes its objects.
 * A folder that cannot be read (missing, not readable, a listing that breaks off, removed or
 * moved away while watched) changes nothing at all: the objects stay, the agent is told
 * nothing, and the folder is looked for again with backoff. A file that goes is dropped only
 * once the folder is seen to stay (`rm -rf DIR` deletes the files first). A file that held
 * objects and turns empty (nothing but blanks: a redirection that failed, a full disk) keeps
 * them, and says so: deleting the file is how its objects go.
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

/* Reads the whole folder again (start, SIGHUP, lost inotify events). A negative errno when
 * the folder cannot be listed: nothing changed (with an event loop, it is retried). */
int localsrc_load_all(struct localsrc *s);

/* True once the folder was listed and every manifest in it has been read without error at
 * least once: until then what the source says is incomplete, and a profile computed from it
 * may be weaker than the one owed, or a file still referenced may look unreferenced. */
bool localsrc_complete(const struct localsrc *s);
/* Manifests never read without error (their objects are unknown). */
unsigned localsrc_unknown(const struct localsrc *s);
/* How many times an object was found defined a second time, in another file or in the same
 * one (each warned about: the definition read last is used), since the source was made. */
unsigned localsrc_defined_twice(const struct localsrc *s);
/* Whether the source still counts which files hold each object's key; false once a count could
 * not be kept (no memory, or 2^24 ids of one key: every lookup then walks every file's objects,
 * as correct, slower). */
bool localsrc_holders_counted(const struct localsrc *s);

#endif
