/* file.c - reading a whole file into memory, bounded. */
#include "base/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/strv.h"

static void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int dir_list(const char *dir, bool (*want)(const char *name), bool with_dir, char ***ret_names,
             size_t *ret_n, struct stat *ret_st)
{
    _cleanup_(closedirp) DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct stat st;
    if (fstat(dirfd(d), &st) < 0)
        return -errno;
    char **names = NULL;
    size_t n = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno == 0)
                break;
            int r = -errno; /* the listing broke off: none of it is used */
            strv_free(names, n);
            return r;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            (want && !want(de->d_name)))
            continue;
        char *name = NULL;
        int r = with_dir ? asprintf(&name, "%s/%s", dir, de->d_name)
                         : ((name = strdup(de->d_name)) ? 0 : -1);
        if (r < 0 || strv_push(&names, &n, name) < 0) {
            strv_free(names, n);
            return -ENOMEM;
        }
    }
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_strp);
    *ret_names = names;
    *ret_n = n;
    if (ret_st)
        *ret_st = st;
    return 0;
}

int read_fd_all(int fd, const char *path, size_t max, char **ret, size_t *ret_len, struct kerr *err)
{
    /* An fd opened with O_NONBLOCK (read_file_all()) is made blocking unless a regular file. */
    struct stat st;
    if (fstat(fd, &st) < 0)
        return kerr_set(err, -errno, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode) && strcmp(path, "-") != 0) {
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0 && (fl & O_NONBLOCK))
            fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    }
    if (S_ISDIR(st.st_mode))
        return kerr_set(err, -EISDIR, "%s: is a directory", path);
    size_t cap = 65536, len = 0;
    _cleanup_free_ char *buf = malloc(cap + 1);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (len == cap) {
            if (cap >= max)
                return kerr_set(err, -EFBIG,
                                "%s: larger than %zu bytes (%zu MiB), the most kscmp "
                                "reads from one file",
                                path, max, max >> 20);
            cap = cap * 2 > max ? max : cap * 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb)
                return -ENOMEM;
            buf = nb;
        }
        size_t want = cap - len;
        ssize_t n = read(fd, buf + len, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return kerr_set(err, -errno, "%s: %s", path, strerror(errno));
        if (n == 0)
            break;
        len += (size_t)n;
        /* A regular file's read stops short only at its end: one that ends at the size
         * fstat() gave is the whole file, without one more read to see 0. (A file written
         * to afterwards is a change of its own, which the agent's watch reports.) */
        if (S_ISREG(st.st_mode) && (size_t)n < want && (uint64_t)len == (uint64_t)st.st_size)
            break;
    }
    buf[len] = '\0';
    *ret = TAKE_PTR(buf);
    *ret_len = len;
    return 0;
}

int read_file_all(const char *path, size_t max, char **ret, size_t *ret_len, struct kerr *err)
{
    /* O_NONBLOCK: a FIFO (or a device) put where a file is expected must not block the open
     * until some writer comes; cleared right after, so that a pipe with a writer (-f
     * <(command), /dev/stdin) is read to its end, and one without reads as empty. A regular
     * file's reads ignore it, so it stays (two system calls less per file the agent reads). */
    _cleanup_close_ int fd =
        strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return kerr_set(err, -errno, "%s: %s", path, strerror(errno));
    return read_fd_all(fd, path, max, ret, ret_len, err);
}

const char *inotify_limit_hint(int error)
{
    switch (error) {
    case ENOSPC:
        return " (the inotify watch limit is reached: raise fs.inotify.max_user_watches)";
    case EMFILE:
        return " (the inotify instance limit, fs.inotify.max_user_instances, or the open-file "
               "limit is reached)";
    default:
        return "";
    }
}
