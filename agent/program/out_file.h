/* out_file.h - the file a command writes its result to (`-o FILE` of import and record).
 *
 * Owns: how an output path is written. A regular file (or a new one) is replaced atomically
 * through a temporary file beside it and a rename, so a reader never sees half of it. A
 * symbolic link is followed: the file it points to is replaced and the link stays. A
 * device, FIFO or socket (/dev/null, /dev/stdout, a pipe) is written in place, never
 * replaced by a regular file. A folder is refused. "-" is standard output.
 */
#ifndef KSCMP_OUT_FILE_H
#define KSCMP_OUT_FILE_H

#include <stdbool.h>
#include <stddef.h>

struct out_file {
    char *path;    /* what is written: the link's target; NULL for standard output */
    char *tmp;     /* the temporary beside path, while open */
    int fd;        /* the temporary's descriptor, or -1 */
    bool direct;   /* path is a device, FIFO or socket: written in place at commit */
    bool deferred; /* the folder can take the temporary (an unnamed file was made there): it
                    * is made at commit, so that nobody sees it before */
};

/* Prepares writing to path ("-" or NULL: standard output): checks that the temporary can be
 * made beside it (with an unnamed file, so that nothing shows in the folder until commit;
 * where the file system has none, the temporary is made now), or that a device is writable,
 * so that a path that cannot be written fails now. */
int out_file_open(struct out_file *o, const char *path);

/* Writes data and puts it in place (the rename); the temporary is gone either way. */
int out_file_commit(struct out_file *o, const char *data, size_t len);

/* Gives up: removes the temporary. Safe to call twice. */
void out_file_discard(struct out_file *o);

#endif
