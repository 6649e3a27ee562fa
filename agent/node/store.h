/* store.h - the node's profile files below <kubelet root>/seccomp/kscmp/.
 *
 * Owns: every byte the agent puts on the node's disk. Writes are atomic and durable
 * (temporary file in the same folder, fsync, rename, fsync of the folder), mode 0644, and
 * never go through a symbolic link: every path is walked with openat(O_NOFOLLOW|O_DIRECTORY)
 * from the kubelet root down. A file whose bytes are unchanged is left alone.
 *
 * A file's modification time says when its version took effect, to the second: it is set on
 * the temporary as its bytes are written, before its flush (so it is as durable as the
 * bytes), again after the flush should that end in a later second, and again just after the
 * rename should that fall in a later second. A file's first version (nothing was
 * there) is dated the last nanosecond of the second before, as no container can have read an
 * older one: container start times have whole seconds, and a container that started in the
 * same second as a change is taken for one that may run under the older version
 * (kube/stale_pods.h), which a first version has not. The date survives agent restarts, as it
 * is the file's own.
 *
 * The store also remembers, in memory, the last STORE_VERSIONS_MAX versions of each file it
 * wrote, found or removed (store_versions()): when each took effect and a digest of its bytes,
 * so that a container that started under the bytes on disk now is not taken for one that runs
 * under an older profile because the file was written again (removed, then written with the
 * same bytes; changed, then changed back). About 300 bytes per file (232 of history, the rest
 * its name and map entry), kept also for the last STORE_GONE_MAX files removed; lost when the
 * agent restarts (what is on disk then is the first version known).
 *
 * A profile is named by rel = "NAMESPACE/NAME.json" (two components, each a DNS-1123
 * label/subdomain; anything else is refused with -EINVAL).
 */
#ifndef KSCMP_STORE_H
#define KSCMP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "base/error.h"
#include "node/digest.h"

struct store;

/* Opens (creating seccomp/ and seccomp/kscmp/ when missing, mode 0755) the store below
 * kubelet_root. Fails if any component of the path is a symbolic link. */
int store_open(const char *kubelet_root, struct store **ret, struct kerr *err);
/* Takes the lock of seccomp/kscmp (flock on the folder, released when the store is closed or
 * the process ends): one agent per kubelet root. Another holder is waited for up to wait_ms
 * (one stopping while the next starts), then -EBUSY (err says why). */
int store_lock(struct store *s, unsigned wait_ms, struct kerr *err);

/* The pid of the process that holds the lock of seccomp/kscmp (from /proc/locks), or 0 when
 * it cannot be told (none, or one in another pid namespace). For logs. */
long store_lock_holder(struct store *s);

void store_close(struct store *s);

/* From now on, the version of a file that a write replaces is held open across the rename
 * and closed on a thread of its own once the new one is durable (node/reaper.h), so that
 * freeing its blocks is not part of the write. store_close() stops the thread. Negative
 * errno when it cannot start: the store then closes them itself, as without. */
int store_start_reaper(struct store *s);

/* The absolute path of <kubelet root>/seccomp/kscmp (for logs and inotify). */
const char *store_path(const struct store *s);

/* The kubelet root as given, made absolute and clean ("/" for the file system's root). */
const char *store_root(const struct store *s);

/* Whether the kubelet root's path still leads to the folder the store opened: 0 when it does;
 * 1 when it leads elsewhere or nowhere (the root moved or removed, a file system mounted on
 * it since), with err saying which. Writes would then go where no kubelet looks. */
int store_root_moved(struct store *s, struct kerr *err);

/* Makes rel hold exactly data. *ret_changed (may be NULL) tells whether anything was written.
 * On failure the previous file is intact. */
int store_write(struct store *s, const char *rel, const void *data, size_t len, bool *ret_changed,
                struct kerr *err);

/* One file of store_write_many(): rel, data and len in; r (0 or a negative errno, err says
 * why) and changed out. */
struct store_item {
    const char *rel;
    const void *data;
    size_t len;
    int r;
    bool changed;
    struct kerr err;
};

/* Called after each file written or flushed, so that the caller can serve what came in meanwhile
 * (the agent hands its proof workers their next jobs); it must not call into the store. */
struct store_tick {
    void (*fn)(void *userdata);
    void *userdata;
};

/* store_write() of each item, with the same guarantees for each file, sharing the waits:
 * the files are written before any is flushed, and a folder is flushed once after the
 * renames in it. tick may be NULL. Returns how many failed. */
size_t store_write_many(struct store *s, struct store_item *items, size_t n,
                        const struct store_tick *tick);

/* Reads rel; -ENOENT when absent. *ret_data is NUL-terminated and the caller frees it. */
int store_read(struct store *s, const char *rel, char **ret_data, size_t *ret_len,
               struct kerr *err);

/* store_read(), and then what store_check() of the bytes read does, on the file opened for the
 * read (one walk, one open, one read): its mode is put back to 0644 and its owner to the
 * agent's if someone changed them, a warning each. An owner the agent cannot put back (not
 * root) is left. A mode that cannot be put back leaves the bytes read and 0 returned:
 * put_back_err (may be NULL) then says why, its code negative. */
int store_read_restore(struct store *s, const char *rel, char **ret_data, size_t *ret_len,
                       struct kerr *put_back_err, struct kerr *err);

/* *ret_equal: rel is a regular file holding exactly data; its mode is then put back to 0644
 * if someone changed it (what store_write() of the same bytes would do, without the walk
 * and the write). Absent, or anything else there: false. */
int store_check(struct store *s, const char *rel, const void *data, size_t len, bool *ret_equal,
                struct kerr *err);

/* The status of rel, a regular file (not a link), found by the same walk as every other
 * call: -ENOENT when absent, -ELOOP for a link, -EISDIR for a folder, -EINVAL for anything
 * else. */
int store_stat(struct store *s, const char *rel, struct stat *ret_st, struct kerr *err);

/* The versions of a file that store_versions() remembers, and the files removed whose history
 * it keeps. */
#define STORE_VERSIONS_MAX 4
#define STORE_GONE_MAX 256

enum store_version_kind {
    STORE_VERSION_BYTES,   /* the bytes of digest */
    STORE_VERSION_UNKNOWN, /* bytes the store did not write nor read (someone else's) */
    STORE_VERSION_ABSENT,  /* no file: the store removed it */
};

/* A version of a file: what was there from date on (a file's modification time, as store.h
 * says; the time of the removal for STORE_VERSION_ABSENT). */
struct store_version {
    struct timespec date;
    enum store_version_kind kind;
    /* Found on disk (read or checked), not written nor removed by the store: what was there
     * between the version before it and this one is not known (someone may have written other
     * bytes and these again). */
    bool found;
    struct digest digest; /* STORE_VERSION_BYTES */
};

/* The versions of rel the store remembers, oldest first (*ret_n of them, at most
 * STORE_VERSIONS_MAX; NULL and 0 when none), valid until the next call on the store: each
 * write that changed rel, each removal of it, and each time a call found there a version
 * dated otherwise than the last one remembered (the first time after a start, or someone
 * else's change). The last one describes what is on disk only when its date is the file's
 * modification time. */
const struct store_version *store_versions(const struct store *s, const char *rel, size_t *ret_n);

/* What is at a profile's name. The agent only ever writes regular files there: anything else
 * but a folder is a stray, that store_remove() takes away (a link itself, never what it points
 * to); a folder is refused by every call. */
enum store_kind {
    STORE_ABSENT,
    STORE_FILE,    /* a regular file */
    STORE_LINK,    /* a symbolic link */
    STORE_SPECIAL, /* a FIFO, a socket or a device */
    STORE_FOLDER,
};

static inline bool store_kind_stray(enum store_kind k)
{
    return k == STORE_LINK || k == STORE_SPECIAL;
}

/* What is at rel (*ret_kind), found by the same walk as every other call without following a
 * link: STORE_ABSENT also when its folders are missing. Negative errno when rel is not a
 * profile's name or its namespace folder cannot be opened (a link, not a folder: err says
 * which). */
int store_kind_of(struct store *s, const char *rel, enum store_kind *ret_kind, struct kerr *err);

/* A number that changes whenever a file below the store may have changed: at each write
 * that replaced a file, each write or check that put a file's mode back (a
 * store_read_restore() too), each removal of a file, each of these calls that failed (what
 * is there is then not known), and each change seen from outside (store_note_change(): the
 * agent's inotify watch). Writes of the bytes a file already holds, checks that find it
 * right and removals that find nothing (the reconciler removes files it does not want
 * whether or not they are there) leave it. While it stays the same, a store_stat() taken
 * meanwhile still holds. */
uint64_t store_serial(const struct store *s);
void store_note_change(struct store *s);

/* Removes what is at rel, a regular file or a stray (a link itself, never what it points to),
 * and its namespace folder once empty; *ret_removed (may be NULL) tells whether anything was
 * there. 0 when nothing was, even where nothing could be removed (a read-only file system);
 * -EISDIR for a folder, left as it is. */
int store_remove(struct store *s, const char *rel, bool *ret_removed, struct kerr *err);

/* Calls cb for every entry at a NAMESPACE/NAME.json name in a namespace folder, but folders:
 * the regular files (STORE_FILE), and the strays (STORE_LINK, STORE_SPECIAL) that someone
 * put there. Entries that are not ours (other names, folders, namespace folders that are
 * links) are skipped. Stops at the first non-zero cb result. */
int store_list(struct store *s, int (*cb)(const char *rel, enum store_kind kind, void *userdata),
               void *userdata, struct kerr *err);

/* store_list() of the folder of namespace ns only (ns NULL: every one). */
int store_list_in(struct store *s, const char *ns,
                  int (*cb)(const char *rel, enum store_kind kind, void *userdata), void *userdata,
                  struct kerr *err);

/* store_list(), each file told with whether its recording mark (store_recording_mark()) is
 * beside it: one walk of the folders, not a look per file. */
int store_list_marked(struct store *s,
                      int (*cb)(const char *rel, enum store_kind kind, bool marked, void *userdata),
                      void *userdata, struct kerr *err);

/* Calls cb for every namespace folder (a real folder with a namespace's name) below
 * seccomp/kscmp, whatever it holds. Stops at the first non-zero cb result. */
int store_list_namespaces(struct store *s, int (*cb)(const char *ns, void *userdata),
                          void *userdata, struct kerr *err);

/* Removes temporary files a crash may have left behind; *ret_removed (may be NULL) counts them. */
int store_clean_temporaries(struct store *s, unsigned *ret_removed, struct kerr *err);

/* True when rel is a well-formed "NAMESPACE/NAME.json". */
bool store_rel_valid(const char *rel);

/* A mark beside the file rel that its bytes are a recording profile (README: recording), which
 * allows almost everything: across a restart it tells the reconciler that a file it would keep
 * as it is must not be kept (nothing in the bytes tells). The mark is ".NAME.json.kscmp-rec"
 * in the file's folder, a name no pod can reference; it goes with the file (store_remove()).
 * on: made, and durable, before such bytes are written (the folder made if missing); off:
 * removed once other bytes are. 0 or a negative errno (err says why). */
int store_set_recording_mark(struct store *s, const char *rel, bool on, struct kerr *err);

/* Whether the file rel has that mark (false when it cannot be told). */
bool store_recording_mark(struct store *s, const char *rel);

#endif
