/* reaper.h - closes descriptors on a thread of its own.
 *
 * Owns: the last reference to a profile file's previous version. When the store renames a
 * new version over a file, the old inode lives on while a descriptor holds it; the close of
 * that last descriptor frees its blocks, and on a file system mounted with online discard
 * (ext4's "discard", common on cloud disks) the freeing waits for the device to discard them:
 * about 80 us per file on this project's VM, inside rename() when nothing holds the file.
 * The store keeps the old file open across the rename and hands the descriptor here once the
 * new version is durable, so that this wait is off the path from a change to its durable
 * file (docs/agent.md, "Writing a file").
 *
 * The thread does nothing but close() what it is handed, through a pipe; it starts with every
 * signal blocked. Without a reaper (NULL: the CLI, --once), or when its pipe is full, the
 * caller closes the descriptor itself: a descriptor is always closed, once.
 */
#ifndef KSCMP_REAPER_H
#define KSCMP_REAPER_H

struct reaper;

/* Starts the thread; negative errno when it cannot (the caller then closes for itself). */
int reaper_new(struct reaper **ret);

/* Closes every descriptor handed so far, then stops the thread. NULL is fine. */
void reaper_free(struct reaper *r);

/* Hands fd over to be closed (nothing for a negative fd); closes it here when r is NULL or
 * cannot take it. */
void reaper_close(struct reaper *r, int fd);

#endif
