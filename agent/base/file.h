/* file.h - reading a whole file into memory.
 *
 * Owns: the one bounded whole-file read that the command line, the local source and the
 * kubeconfig loader share.
 */
#ifndef KSCMP_FILE_H
#define KSCMP_FILE_H

#include <stddef.h>

#include "base/error.h"

/* Reads a whole file ("-": standard input) of at most max bytes into a NUL-terminated
 * buffer; *ret and *ret_len are written only on success. */
int read_file_all(const char *path, size_t max, char **ret, size_t *ret_len, struct kerr *err);

#endif
