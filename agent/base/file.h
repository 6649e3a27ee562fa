/* file.h - reading a whole file into memory, and a folder's listing.
 *
 * Owns: the one bounded whole-file read that the command line, the local source and the
 * kubeconfig loader share, and the one folder listing (sorted, whole or not at all) of the
 * command line, the local source and kscmp import.
 */
#ifndef KSCMP_FILE_H
#define KSCMP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "base/error.h"

/* Reads a whole file ("-": standard input) of at most max bytes into a NUL-terminated
 * buffer; *ret and *ret_len are written only on success. */
int read_file_all(const char *path, size_t max, char **ret, size_t *ret_len, struct kerr *err);

/* The same from fd, open for reading, from its offset (path: for messages); fd stays open. */
int read_fd_all(int fd, const char *path, size_t max, char **ret, size_t *ret_len,
                struct kerr *err);

/* The names of the entries of folder dir for which want(name) is true (every entry but "."
 * and ".." when want is NULL), sorted, from one listing that went through whole: prefixed
 * with "dir/" when with_dir. *ret_names (free with strv_free()), *ret_n and *ret_st (the
 * folder's status; may be NULL) are written only on success; else a negative errno. */
int dir_list(const char *dir, bool (*want)(const char *name), bool with_dir, char ***ret_names,
             size_t *ret_n, struct stat *ret_st);

/* What a failed inotify_init1() or inotify_add_watch() errno means on a node, to follow its
 * strerror() in a message: " (the inotify watch limit ...)" for ENOSPC, " (...instance
 * limit...)" for EMFILE, else "". */
const char *inotify_limit_hint(int error);

#endif
