/* out_file.c - the file a command writes its result to (see out_file.h). */
#include "program/out_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes all of data to fd. */
static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The path a chain of symbolic links ends at (which need not exist yet), at most 40 links
 * deep as the kernel allows; path itself when it is not a link. */
static int follow_links(const char *path, char **ret)
{
    char *cur = strdup(path);
    if (!cur)
        return -ENOMEM;
    for (int depth = 0; depth <= 40; depth++) {
        struct stat st;
        char buf[PATH_MAX];
        if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode)) {
            *ret = cur;
            return 0;
        }
        ssize_t n = readlink(cur, buf, sizeof(buf) - 1);
        if (n < 0) {
            int e = errno;
            free(cur);
            return -e;
        }
        buf[n] = 0;
        char *next = NULL, *slash = strrchr(cur, '/');
        if (buf[0] == '/' || !slash)
            next = strdup(buf);
        else if (asprintf(&next, "%.*s/%s", (int)(slash - cur), cur, buf) < 0)
            next = NULL;
        free(cur);
        if (!next)
            return -ENOMEM;
        cur = next;
    }
    free(cur);
    return -ELOOP;
}

/* Makes the temporary beside o->path (mode 0666 less the umask, as a new file gets). */
static int temporary_make(struct out_file *o)
{
    if (asprintf(&o->tmp, "%s.kscmp-XXXXXX", o->path) < 0) {
        o->tmp = NULL;
        return -ENOMEM;
    }
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    if (o->fd < 0) {
        int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        return -e;
    }
    mode_t um = umask(0);
    umask(um);
    (void)fchmod(o->fd, 0666 & ~um);
    return 0;
}

/* Prepares writing to path; see out_file.h. */
int out_file_open(struct out_file *o, const char *path)
{
    *o = (struct out_file){.fd = -1};
    if (!path || strcmp(path, "-") == 0)
        return 0;
    struct stat st;
    char *target = NULL;
    int r = follow_links(path, &target);
    if (r < 0)
        return r;
    if (stat(target, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            free(target);
            return -EISDIR;
        }
        if (!S_ISREG(st.st_mode)) {
            if (access(target, W_OK) < 0) {
                int e = errno;
                free(target);
                return -e;
            }
            o->path = target;
            o->direct = true;
            return 0;
        }
    }
    /* Whether a file can be made in the folder, without one anyone can see (the command
     * `record` runs lists its folder, say) or one left behind when kscmp is killed: an
     * unnamed file (O_TMPFILE), closed at once; the temporary is made at commit. Where the
     * file system has no unnamed files, the temporary is made now. */
    char *slash = strrchr(target, '/');
    char *dir =
        slash ? strndup(target, slash == target ? 1 : (size_t)(slash - target)) : strdup(".");
    if (!dir) {
        free(target);
        return -ENOMEM;
    }
    int probe = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    free(dir);
    o->path = target;
    /* The temporary's name must fit too ("FILE.kscmp-XXXXXX"). */
    const char *base = slash ? slash + 1 : target;
    if (strlen(base) + strlen(".kscmp-XXXXXX") > NAME_MAX) {
        if (probe >= 0)
            close(probe);
        free(target);
        o->path = NULL;
        return -ENAMETOOLONG;
    }
    if (probe >= 0) {
        close(probe);
        o->deferred = true;
        return 0;
    }
    /* No unnamed file here (the file system has none, or a sandbox refuses it): the
     * temporary is made now, and says why when it cannot be. */
    return temporary_make(o);
}

/* Removes the temporary; see out_file.h. */
void out_file_discard(struct out_file *o)
{
    if (o->fd >= 0)
        close(o->fd);
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    *o = (struct out_file){.fd = -1};
}

/* Writes data and puts it in place; see out_file.h. */
int out_file_commit(struct out_file *o, const char *data, size_t len)
{
    int r;
    if (!o->path)
        return write_all(STDOUT_FILENO, data, len);
    if (o->direct) {
        int fd = open(o->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        r = fd < 0 ? -errno : write_all(fd, data, len);
        if (fd >= 0 && close(fd) < 0 && r == 0)
            r = -errno;
        out_file_discard(o);
        return r;
    }
    if (o->deferred && (r = temporary_make(o)) < 0) {
        out_file_discard(o);
        return r;
    }
    r = write_all(o->fd, data, len);
    if (r == 0 && fsync(o->fd) < 0)
        r = -errno;
    if (close(o->fd) < 0 && r == 0)
        r = -errno;
    o->fd = -1;
    if (r == 0 && rename(o->tmp, o->path) < 0)
        r = -errno;
    if (r == 0) {
        free(o->tmp); /* in place: nothing to remove */
        o->tmp = NULL;
    }
    out_file_discard(o);
    return r;
}
