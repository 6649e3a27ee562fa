/* store.c - the node's profile files below <kubelet root>/seccomp/kscmp/.
 *
 * Symbolic links: the configured kubelet root is resolved like the kubelet resolves it, so
 * links in any of its components (/var -> /data/var, or /var/lib/kubelet itself a link) are
 * followed: the admin chose that path. Everything the store owns below it (seccomp/, kscmp/,
 * the namespace folders) is opened with O_NOFOLLOW, and a link there is refused with -ELOOP;
 * a link in place of a folder of its own (kscmp/, a namespace folder) is removed (the link
 * itself, never what it points to; made again as a folder when one is wanted): the kubelet
 * would read profiles through it that the agent never wrote.
 * A link (or any other non-folder) planted at a profile's own name is never opened: the new
 * file is renamed over it, which replaces the link itself and leaves its target untouched;
 * store_list() reports it as a stray, and store_remove() removes the link itself. A folder at
 * a profile's name is refused with -EISDIR.
 *
 * Only the kubelet root stays open; seccomp/kscmp/<ns> is opened again on every call (in one
 * openat2() that refuses links, else walked one folder at a time), so a store keeps working
 * when someone deletes and recreates those folders, and a link swapped in after store_open()
 * is still refused. Calls on one store must be serialized by the caller.
 */
#include "node/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/cleanup.h"
#include "base/hash.h"
#include "base/hmap.h"
#include "base/names.h"
#include "base/strv.h"
#include "node/reaper.h"

/* Profiles are a few KiB; anything past this is not ours. */
#define STORE_MAX_FILE_SIZE (4u * 1024 * 1024)

#define JSON_SUFFIX ".json"
#define JSON_SUFFIX_LEN 5
#define TMP_MARK ".kscmp-tmp-"
/* The end of the name of a file's recording mark (store_set_recording_mark()). */
#define MARK_SUFFIX ".kscmp-rec"
#define TMP_MARK_LEN 11
#define TMP_RANDOM_LEN 6

static const char tmp_alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

struct store {
    int root_fd;           /* the kubelet root, O_RDONLY|O_DIRECTORY */
    char *root_path;       /* the kubelet root, absolute, no trailing slash ("" for "/") */
    char *path;            /* root_path + "/seccomp/kscmp" */
    uint64_t tmp_seed;     /* the state of random_suffix() */
    struct reaper *reaper; /* closes the versions replaced (reaper.h); NULL: we do */
    bool no_openat2;       /* openat2() failed with ENOSYS, EPERM or E2BIG: walk instead */
    uint64_t serial;       /* store_serial() */
    struct hmap versions;  /* rel -> struct version_log (store_versions()) */
    size_t gone;           /* the logs there whose last version is STORE_VERSION_ABSENT */
    int lock_fd;           /* seccomp/kscmp, flock()ed by store_lock(); -1 */
};

/* What the store remembers of one file (store_versions()). */
struct version_log {
    size_t n;
    struct store_version v[STORE_VERSIONS_MAX];
};

static bool log_gone(const struct version_log *l)
{
    return l->n > 0 && l->v[l->n - 1].kind == STORE_VERSION_ABSENT;
}

/* Drops the history of the file removed longest ago. */
static void versions_forget_oldest_gone(struct store *s)
{
    struct hmap_iter it;
    const char *oldest = NULL;
    struct timespec when = {0};
    for (struct hmap_entry *h = hmap_first(&s->versions, &it); h;
         h = hmap_next(&s->versions, &it)) {
        const struct version_log *l = h->value;
        if (!log_gone(l))
            continue;
        struct timespec t = l->v[l->n - 1].date;
        if (!oldest || t.tv_sec < when.tv_sec ||
            (t.tv_sec == when.tv_sec && t.tv_nsec < when.tv_nsec)) {
            oldest = h->key;
            when = t;
        }
    }
    if (oldest) {
        free(hmap_remove(&s->versions, oldest));
        s->gone--;
    }
}

/* Adds v as rel's newest version (the oldest dropped past STORE_VERSIONS_MAX). Without
 * memory nothing is remembered: the newest version then does not match the file's date, and
 * store_versions()'s reader goes by the date alone. */
static void versions_push(struct store *s, const char *rel, struct store_version v)
{
    struct version_log *l = hmap_get_or_new(&s->versions, rel, sizeof(*l));
    if (!l)
        return;
    s->gone -= log_gone(l);
    if (l->n == STORE_VERSIONS_MAX) {
        memmove(l->v, l->v + 1, (STORE_VERSIONS_MAX - 1) * sizeof(l->v[0]));
        l->n--;
    }
    l->v[l->n++] = v;
    if (log_gone(l) && ++s->gone > STORE_GONE_MAX)
        versions_forget_oldest_gone(s);
}

/* A version of rel found on disk, dated mtime, holding data (NULL: not read): remembered when
 * it is not the newest one already (the digest is taken then only). */
static void versions_seen(struct store *s, const char *rel, struct timespec mtime, const void *data,
                          size_t len)
{
    struct version_log *l = hmap_get(&s->versions, rel);
    const struct store_version *last = l && l->n ? &l->v[l->n - 1] : NULL;
    if (last && last->kind != STORE_VERSION_ABSENT && last->date.tv_sec == mtime.tv_sec &&
        last->date.tv_nsec == mtime.tv_nsec && (last->kind == STORE_VERSION_BYTES || !data))
        return;
    struct store_version v = {.date = mtime, .kind = STORE_VERSION_UNKNOWN, .found = true};
    if (data) {
        v.kind = STORE_VERSION_BYTES;
        digest_bytes(data, len, &v.digest);
    }
    if (last && last->date.tv_sec == mtime.tv_sec && last->date.tv_nsec == mtime.tv_nsec &&
        last->kind == STORE_VERSION_UNKNOWN) { /* now read: the same version */
        l->v[l->n - 1] = v;
        return;
    }
    versions_push(s, rel, v);
}

const struct store_version *store_versions(const struct store *s, const char *rel, size_t *ret_n)
{
    const struct version_log *l = hmap_get(&s->versions, rel);
    *ret_n = l ? l->n : 0;
    return l && l->n ? l->v : NULL;
}

static void closedirp(DIR **d)
{
    if (*d) {
        int saved = errno;
        closedir(*d);
        errno = saved;
    }
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* True when ns is a namespace folder name: a DNS-1123 label. */
static bool namespace_valid(const char *ns, size_t n)
{
    return dns_label_valid_n(ns, n);
}

/* True when file is "NAME.json" with NAME a DNS-1123 subdomain. The name must fit in one
 * directory entry, which caps NAME at 250 bytes rather than 253. */
static bool file_valid(const char *file)
{
    if (strchr(file, '/'))
        return false;
    size_t n = strlen(file);
    if (n <= JSON_SUFFIX_LEN || n > NAME_MAX)
        return false;
    if (strcmp(file + n - JSON_SUFFIX_LEN, JSON_SUFFIX) != 0)
        return false;
    return dns_subdomain_valid_n(file, n - JSON_SUFFIX_LEN);
}

/* Splits rel, "NAMESPACE/NAME.json", into its folder and its file name: 0, or -EINVAL when
 * it is not one (*ret untouched then). */
static int rel_parse(const char *rel, struct ns_name *ret)
{
    struct ns_name n;
    if (!rel || ns_name_split(rel, &n) < 0 || !ns_name_ns(&n) ||
        !namespace_valid(n.ns, strlen(n.ns)) || !file_valid(n.name))
        return -EINVAL;
    *ret = n;
    return 0;
}

bool store_rel_valid(const char *rel)
{
    struct ns_name n;
    return rel_parse(rel, &n) == 0;
}

/* True when name looks like a temporary this module creates: ".<file>.kscmp-tmp-XXXXXX". */
static bool temporary_name(const char *name)
{
    size_t n = strlen(name);
    if (name[0] != '.' || n < 1 + 1 + TMP_MARK_LEN + TMP_RANDOM_LEN)
        return false;
    const char *mark = name + n - TMP_RANDOM_LEN - TMP_MARK_LEN;
    if (memcmp(mark, TMP_MARK, TMP_MARK_LEN) != 0)
        return false;
    for (const char *p = mark + TMP_MARK_LEN; *p; p++)
        if (!memchr(tmp_alphabet, *p, sizeof(tmp_alphabet) - 1))
            return false;
    return true;
}

/* Says why name below parent could not be opened as a folder; returns the negative errno. */
static int dir_open_error(int dirfd, const char *parent_path, const char *name, int error,
                          struct kerr *err)
{
    struct stat st;
    if ((error == ELOOP || error == ENOTDIR) &&
        fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode))
            return kerr_set(err, -ELOOP, "%s/%s: is a symbolic link; refusing to follow it",
                            parent_path, name);
        if (!S_ISDIR(st.st_mode))
            return kerr_set(err, -ENOTDIR, "%s/%s: not a directory", parent_path, name);
    }
    return kerr_set(err, -error, "%s/%s: open: %s", parent_path, name, strerror(error));
}

/* Removes the symbolic link name below dirfd (the link itself; unlinkat() never follows one),
 * when that is what is there: 1 removed, 0 not a link, or a negative errno and why. */
static int drop_link(int dirfd, const char *parent_path, const char *name, struct kerr *err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
        return 0;
    if (unlinkat(dirfd, name, 0) < 0)
        return kerr_set(err, -errno, "%s/%s: is a symbolic link, and removing it failed: %s",
                        parent_path, name, strerror(errno));
    if (fsync(dirfd) < 0)
        return kerr_set(err, -errno, "%s: fsync: %s", parent_path, strerror(errno));
    log_warning("%s/%s was a symbolic link in place of kscmp's folder (the kubelet would read "
                "profiles through it): removed, not what it pointed to",
                parent_path, name);
    return 1;
}

/* Opens the folder name below dirfd without following a link, creating it (mode 0755,
 * regardless of umask, and made durable in dirfd) when create is set and it is missing. ours:
 * a folder of kscmp's own, where a link in its place is removed (then missing). */
static int dir_open_child(int dirfd, const char *parent_path, const char *name, bool ours,
                          bool create, int *ret_fd, struct kerr *err)
{
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    bool created = false;

    _cleanup_close_ int fd = openat(dirfd, name, flags);
    if (fd < 0 && ours && (errno == ELOOP || errno == ENOTDIR)) {
        int saved = errno;
        int q = drop_link(dirfd, parent_path, name, err);
        if (q < 0)
            return q;
        errno = q ? ENOENT : saved; /* the link gone, the folder is missing */
    }
    if (fd < 0 && errno == ENOENT && create) {
        if (mkdirat(dirfd, name, 0755) == 0)
            created = true;
        else if (errno != EEXIST)
            return kerr_set(err, -errno, "%s/%s: mkdir: %s", parent_path, name, strerror(errno));
        fd = openat(dirfd, name, flags);
    }
    if (fd < 0)
        return dir_open_error(dirfd, parent_path, name, errno, err);

    if (created) {
        if (fchmod(fd, 0755) < 0)
            return kerr_set(err, -errno, "%s/%s: chmod: %s", parent_path, name, strerror(errno));
        if (fsync(dirfd) < 0)
            return kerr_set(err, -errno, "%s: fsync: %s", *parent_path ? parent_path : "/",
                            strerror(errno));
    }
    *ret_fd = TAKE_FD(fd);
    return 0;
}

/* Opens <kubelet root>/seccomp/kscmp, creating the two folders when create is set. */
static int kscmp_open(struct store *s, bool create, int *ret_fd, struct kerr *err)
{
    _cleanup_close_ int seccomp_fd = -1;
    _cleanup_close_ int kscmp_fd = -1;
    int r = dir_open_child(s->root_fd, s->root_path, "seccomp", false, create, &seccomp_fd, err);
    if (r < 0)
        return r;
    char seccomp_path[PATH_MAX];
    snprintf(seccomp_path, sizeof(seccomp_path), "%s/seccomp", s->root_path);
    r = dir_open_child(seccomp_fd, seccomp_path, "kscmp", true, create, &kscmp_fd, err);
    if (r < 0)
        return r;
    *ret_fd = TAKE_FD(kscmp_fd);
    return 0;
}

/* Opens the namespace folder ns below kscmp_fd (see dir_open_child). */
static int namespace_open(struct store *s, int kscmp_fd, const char *ns, bool create, int *ret_fd,
                          struct kerr *err)
{
    return dir_open_child(kscmp_fd, s->path, ns, true, create, ret_fd, err);
}

/* seccomp/kscmp/<ns> below the root in one openat2() that refuses a symbolic link in any
 * component (RESOLVE_NO_SYMLINKS, as O_NOFOLLOW at each step of the walk does) and any
 * escape from the root: one system call where the walk takes five. -1 when it cannot (a
 * folder missing, a link, a kernel before 5.6 or a seccomp filter without openat2): the
 * walk then creates what is missing and says what is wrong. */
static int namespace_open_direct(struct store *s, const char *ns)
{
    if (s->no_openat2)
        return -1;
    char rel[sizeof("seccomp/kscmp/") + NAMESPACE_MAX];
    if ((size_t)snprintf(rel, sizeof(rel), "seccomp/kscmp/%s", ns) >= sizeof(rel))
        return -1;
    struct open_how how = {
        .flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH,
    };
    int fd = (int)syscall(SYS_openat2, s->root_fd, rel, &how, sizeof(how));
    if (fd < 0 && (errno == ENOSYS || errno == EPERM || errno == E2BIG))
        s->no_openat2 = true; /* not here: the walk from now on */
    return fd;
}

/* seccomp/kscmp/<ns>, created with what is missing when create: in one openat2() when it
 * can, else walked. */
static int ns_folder_open(struct store *s, const char *ns, bool create, int *ret_fd,
                          struct kerr *err)
{
    int fd = namespace_open_direct(s, ns);
    if (fd >= 0) {
        *ret_fd = fd;
        return 0;
    }
    _cleanup_close_ int kscmp_fd = -1;
    int r = kscmp_open(s, create, &kscmp_fd, err);
    if (r < 0)
        return r;
    return namespace_open(s, kscmp_fd, ns, create, ret_fd, err);
}

/* Opens the absolute path abs as a folder, walking it one component at a time from "/" and
 * following links (see the top of this file). Writes the cleaned path (no "//", no "."
 * components, no trailing "/"; "" for "/") to *ret_clean. */
static int root_open(const char *abs, int *ret_fd, char **ret_clean, struct kerr *err)
{
    _cleanup_free_ char *clean = malloc(strlen(abs) + 1);
    if (!clean)
        return kerr_set(err, -ENOMEM, "%s: out of memory", abs);
    size_t clean_len = 0;
    clean[0] = '\0';

    _cleanup_close_ int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return kerr_set(err, -errno, "/: open: %s", strerror(errno));

    const char *p = abs;
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
            p += n;
            continue;
        }
        if (n > NAME_MAX)
            return kerr_set(err, -ENAMETOOLONG, "%s: path component too long", abs);
        char comp[NAME_MAX + 1];
        memcpy(comp, p, n);
        comp[n] = '\0';
        clean[clean_len++] = '/';
        memcpy(clean + clean_len, comp, n + 1);
        clean_len += n;
        p += n;

        int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (next < 0)
            return kerr_set(err, -errno, "%s: open: %s", clean, strerror(errno));
        close(fd);
        fd = next;
    }

    /* O_PATH cannot be fsync()ed; the root is fsync()ed after seccomp/ is created in it. */
    int rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rfd < 0)
        return kerr_set(err, -errno, "%s: open: %s", *clean ? clean : "/", strerror(errno));
    *ret_fd = rfd;
    *ret_clean = TAKE_PTR(clean);
    return 0;
}

int store_open(const char *kubelet_root, struct store **ret, struct kerr *err)
{
    if (!kubelet_root || !*kubelet_root)
        return kerr_set(err, -EINVAL, "kubelet root: empty path");

    _cleanup_free_ char *abs = NULL;
    if (kubelet_root[0] == '/') {
        abs = strdup(kubelet_root);
    } else {
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        if (!cwd)
            return kerr_set(err, -errno, "%s: current directory: %s", kubelet_root,
                            strerror(errno));
        if (asprintf(&abs, "%s/%s", cwd, kubelet_root) < 0)
            abs = NULL;
    }
    if (!abs)
        return kerr_set(err, -ENOMEM, "%s: out of memory", kubelet_root);

    _cleanup_free_ struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return kerr_set(err, -ENOMEM, "%s: out of memory", kubelet_root);
    s->root_fd = -1;
    s->lock_fd = -1;
    hmap_init(&s->versions);

    _cleanup_close_ int root_fd = -1;
    _cleanup_free_ char *root_path = NULL;
    int r = root_open(abs, &root_fd, &root_path, err);
    if (r < 0)
        return r;

    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s/seccomp/kscmp", root_path) < 0)
        return kerr_set(err, -ENOMEM, "%s: out of memory", kubelet_root);

    s->root_fd = root_fd;
    s->root_path = root_path;
    s->path = path;
    if (getrandom(&s->tmp_seed, sizeof(s->tmp_seed), GRND_NONBLOCK) != sizeof(s->tmp_seed)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s->tmp_seed = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^ (uint64_t)ts.tv_nsec;
    }

    _cleanup_close_ int kscmp_fd = -1;
    r = kscmp_open(s, true, &kscmp_fd, err);
    if (r < 0)
        return r;

    TAKE_FD(root_fd);
    TAKE_PTR(root_path);
    TAKE_PTR(path);
    *ret = TAKE_PTR(s);
    return 0;
}

int store_lock(struct store *s, unsigned wait_ms, struct kerr *err)
{
    if (s->lock_fd >= 0)
        return 0;
    _cleanup_close_ int fd = -1;
    int r = kscmp_open(s, true, &fd, err);
    if (r < 0)
        return r;
    bool told = false;
    for (unsigned waited = 0;; waited += 100) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return kerr_set(err, -errno, "%s: flock: %s", s->path, strerror(errno));
        if (waited >= wait_ms)
            return kerr_set(err, -EBUSY,
                            "%s: another kscmp agent writes there (it holds the folder's lock): "
                            "one agent per kubelet root, or they undo each other's files",
                            s->path);
        if (!told)
            log_warning("%s: another kscmp agent holds the folder's lock (one stopping?): "
                        "waiting up to %u s for it",
                        s->path, wait_ms / 1000);
        told = true;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    s->lock_fd = TAKE_FD(fd);
    return 0;
}

/* The holder of the folder's lock, from /proc/locks (its flock() line with the folder's device
 * and inode): its pid as this process's pid namespace sees it, or 0 when it cannot be told (a
 * holder in another pid namespace is not listed there; no /proc). */
long store_lock_holder(struct store *s)
{
    _cleanup_close_ int fd = -1;
    struct kerr err = {0};
    struct stat st;
    if (kscmp_open(s, false, &fd, &err) < 0 || fstat(fd, &st) < 0)
        return 0;
    FILE *f = fopen("/proc/locks", "re");
    if (!f)
        return 0;
    char line[256];
    long holder = 0;
    while (!holder && fgets(line, sizeof(line), f)) {
        long pid;
        unsigned maj, min;
        unsigned long ino;
        /* "1: FLOCK  ADVISORY  WRITE 3453 fd:01:1312366 0 EOF"; a waiter's line has "->"
         * before FLOCK and does not match. */
        if (sscanf(line, "%*d: FLOCK %*s WRITE %ld %x:%x:%lu", &pid, &maj, &min, &ino) == 4 &&
            maj == major(st.st_dev) && min == minor(st.st_dev) && ino == st.st_ino && pid > 0)
            holder = pid;
    }
    fclose(f);
    return holder;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    reaper_free(s->reaper);
    if (s->root_fd >= 0)
        close(s->root_fd);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* the lock goes with it */
    free(s->root_path);
    free(s->path);
    hmap_clear(&s->versions, free);
    free(s);
}

int store_start_reaper(struct store *s)
{
    return s->reaper ? 0 : reaper_new(&s->reaper);
}

const char *store_path(const struct store *s)
{
    return s->path;
}

const char *store_root(const struct store *s)
{
    return s->root_path[0] ? s->root_path : "/";
}

int store_root_moved(struct store *s, struct kerr *err)
{
    struct stat held, now;
    if (fstat(s->root_fd, &held) < 0)
        return kerr_set(err, -errno, "%s: fstat: %s", store_root(s), strerror(errno));
    if (stat(store_root(s), &now) < 0) {
        kerr_set(err, -errno, "%s: %s", store_root(s), strerror(errno));
        return 1;
    }
    if (now.st_dev == held.st_dev && now.st_ino == held.st_ino)
        return 0;
    kerr_set(err, -ESTALE,
             "%s is no longer the folder the agent opened at start (device %u:%u inode %llu, "
             "now %u:%u inode %llu): it was moved, removed or mounted over",
             store_root(s), major(held.st_dev), minor(held.st_dev), (unsigned long long)held.st_ino,
             major(now.st_dev), minor(now.st_dev), (unsigned long long)now.st_ino);
    return 1;
}

/* Writes all of data to fd, across short writes and EINTR. */
static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads up to len bytes (fewer only at end of file), across short reads and EINTR. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

/* Sets *ret_equal to whether the open regular file fd, whose fstat() gave size bytes, holds
 * exactly data. A read shorter than asked that ends at size is taken as the end of the file
 * without one more read to see 0 (a regular file's read stops short only at its end): a
 * file that grows afterwards is a change the folder's watch reports, and is checked again. */
static int fd_equals(int fd, uint64_t size, const void *data, size_t len, bool *ret_equal)
{
    char buf[16384];
    size_t off = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        if ((size_t)n > len - off || memcmp(buf, (const char *)data + off, (size_t)n) != 0) {
            *ret_equal = false;
            return 0;
        }
        off += (size_t)n;
        if ((size_t)n < sizeof(buf) && off == size)
            break;
    }
    *ret_equal = off == len;
    return 0;
}

/* rel, open at fd (a regular file, whose fstat() gave st), holds the bytes the agent wants
 * there: its mode is put back to 0644 and its owner to the agent's if someone changed them, a
 * warning each. *ret_kept is false when the owner cannot be put back (the agent cannot chown:
 * not root), so that a write replaces the file by one of its own. */
static int put_back(struct store *s, int fd, const struct stat *st, const char *rel, bool *ret_kept,
                    struct kerr *err)
{
    *ret_kept = true;
    if ((st->st_mode & 07777) != 0644) {
        s->serial++; /* a mode put back is a change (store_serial()) */
        if (fchmod(fd, 0644) < 0)
            return kerr_set(err, -errno, "%s/%s: chmod: %s", s->path, rel, strerror(errno));
        log_warning("%s/%s had mode %04o: put back to 0644", s->path, rel,
                    (unsigned)(st->st_mode & 07777));
    }
    /* Another owner could rewrite it while the agent is not looking (or not running): the
     * agent's own, else (it cannot chown) replaced by a file of its own. */
    if (st->st_uid != geteuid() || st->st_gid != getegid()) {
        s->serial++;
        if (fchown(fd, geteuid(), getegid()) < 0)
            *ret_kept = false;
        else
            log_warning("%s/%s was owned by %u:%u: put back to %u:%u", s->path, rel,
                        (unsigned)st->st_uid, (unsigned)st->st_gid, (unsigned)geteuid(),
                        (unsigned)getegid());
    }
    return 0;
}

/* Looks at what is at file in nsfd: *ret_equal is true when it is a regular file holding
 * exactly data (its mode is then set back to 0644 if someone changed it), *ret_exists when
 * anything is there. A folder there is refused; links and other non-regular entries count as
 * different and get replaced. With ret_old_fd (may be NULL), a regular file that differs is
 * left open there (O_RDONLY), for the caller that replaces it (reaper.h). */
static int existing_check(struct store *s, int nsfd, const char *rel, const char *file,
                          const void *data, size_t len, bool *ret_equal, bool *ret_exists,
                          int *ret_old_fd, struct kerr *err)
{
    struct stat st;
    *ret_exists = false;
    *ret_equal = false;
    if (fstatat(nsfd, file, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return kerr_set(err, -errno, "%s/%s: stat: %s", s->path, rel, strerror(errno));
    }
    *ret_exists = true;
    if (S_ISDIR(st.st_mode))
        return kerr_set(err, -EISDIR, "%s/%s: is a directory; refusing to replace it", s->path,
                        rel);
    /* Only a regular file is opened (opening a device or a FIFO may do something). */
    if (!S_ISREG(st.st_mode))
        return 0;
    if ((uint64_t)st.st_size != len && !ret_old_fd) {
        versions_seen(s, rel, st.st_mtim, NULL, 0);
        return 0;
    }

    _cleanup_close_ int fd = openat(nsfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0; /* replaced since the stat; whatever is there now gets renamed over */
    struct stat fst;
    if (fstat(fd, &fst) < 0)
        return kerr_set(err, -errno, "%s/%s: stat: %s", s->path, rel, strerror(errno));
    if (!S_ISREG(fst.st_mode))
        return 0;
    bool equal = false;
    if ((uint64_t)fst.st_size == len) {
        int r = fd_equals(fd, (uint64_t)fst.st_size, data, len, &equal);
        if (r < 0)
            return kerr_set(err, r, "%s/%s: read: %s", s->path, rel, strerror(-r));
    }
    versions_seen(s, rel, fst.st_mtim, equal ? data : NULL, len);
    if (equal) {
        int r = put_back(s, fd, &fst, rel, &equal, err);
        if (r < 0)
            return r;
    }
    *ret_equal = equal;
    if (!equal && ret_old_fd)
        *ret_old_fd = TAKE_FD(fd);
    return 0;
}

/* Fills suffix with TMP_RANDOM_LEN characters from tmp_alphabet and a NUL: the next output of
 * a splitmix64 sequence seeded by store_open() from getrandom(). The names only need to be
 * unlikely to be taken (O_EXCL decides; a taken one is drawn again), so one system call at
 * the start does rather than one per write. */
static void random_suffix(struct store *s, char suffix[static TMP_RANDOM_LEN + 1])
{
    uint64_t x = (s->tmp_seed += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    for (size_t i = 0; i < TMP_RANDOM_LEN; i++, x >>= 8)
        suffix[i] = tmp_alphabet[(x & 0xff) % (sizeof(tmp_alphabet) - 1)];
    suffix[TMP_RANDOM_LEN] = '\0';
}

/* Creates a new temporary for file in nsfd (O_EXCL, never through a link, mode 0644) and
 * writes its name to tmp_name. */
static int temporary_create(struct store *s, int nsfd, const char *rel, const char *file,
                            char tmp_name[static NAME_MAX + 1], int *ret_fd, struct kerr *err)
{
    /* ".<file>.kscmp-tmp-XXXXXX", the file part cut so that the whole fits in NAME_MAX. */
    const int file_max = NAME_MAX - 1 - TMP_MARK_LEN - TMP_RANDOM_LEN;
    for (int attempt = 0; attempt < 100; attempt++) {
        char suffix[TMP_RANDOM_LEN + 1];
        random_suffix(s, suffix);
        snprintf(tmp_name, NAME_MAX + 1, ".%.*s" TMP_MARK "%s", file_max, file, suffix);
        int fd = openat(nsfd, tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd >= 0) {
            *ret_fd = fd;
            return 0;
        }
        if (errno != EEXIST)
            return kerr_set(err, -errno, "%s/%s: create temporary %s: %s", s->path, rel, tmp_name,
                            strerror(errno));
    }
    return kerr_set(err, -EEXIST, "%s/%s: create temporary: no free name", s->path, rel);
}

/* The date of a version that takes effect at now (store.h): now, or for a first version the
 * last nanosecond of the second before. */
static struct timespec version_date(struct timespec now, bool first)
{
    return first ? (struct timespec){now.tv_sec - 1, 999999999} : now;
}

/* Dates the open file fd as a version (first: nothing was there) that takes effect at now
 * (store.h). Only its modification time is set: an IN_MODIFY for a watch of its folder. */
static void version_set_date(int fd, struct timespec now, bool first)
{
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, version_date(now, first)};
    (void)futimens(fd, times); /* should it fail, the date is the write's */
}

/* Fills the new temporary fd with data, mode 0644 whatever the umask, and dates it (*ret_dated:
 * when) as the version it will be (first: nothing is at its name); with others (together),
 * also starts writing it to the disk without waiting (sync_file_range: so that the files of
 * one store_write_many() reach the disk together; write_commit()'s fsync() waits). Alone, the
 * fsync() starts it.
 *
 * What a watch of the folder sees stays few events per file (the reconciler reads every one,
 * and the kernel queues 16384 at most): a chmod only when the umask took bits away (an
 * IN_ATTRIB), and the date set right after the bytes, so that its IN_MODIFY and theirs, the
 * same event back to back, are queued as one. */
static int temporary_fill(struct store *s, int fd, const char *rel, const char *tmp_name,
                          const void *data, size_t len, bool together, bool first,
                          struct timespec *ret_dated, struct kerr *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return kerr_set(err, -errno, "%s/%s: stat temporary %s: %s", s->path, rel, tmp_name,
                        strerror(errno));
    if ((st.st_mode & 07777) != 0644 && fchmod(fd, 0644) < 0)
        return kerr_set(err, -errno, "%s/%s: chmod temporary %s: %s", s->path, rel, tmp_name,
                        strerror(errno));
    int r = write_all(fd, data, len);
    if (r < 0)
        return kerr_set(err, r, "%s/%s: write temporary %s: %s", s->path, rel, tmp_name,
                        strerror(-r));
    clock_gettime(CLOCK_REALTIME, ret_dated);
    version_set_date(fd, *ret_dated, first);
    if (together)
        (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: fsync() decides */
    return 0;
}

/* Files written together: each one's temporary is filled before any is flushed, and each
 * folder is flushed once after its renames. Bounded, so that the open descriptors are. */
#define WRITE_CHUNK 32

struct write_slot {
    struct ns_name n;
    int nsfd;
    bool nsfd_borrowed; /* another slot's, of the same namespace: that one closes it */
    int tmp_fd;
    int old_fd; /* the version replaced, held until the new one is durable (reaper.h) */
    bool exists;
    bool renamed;
    struct timespec dated; /* the time the temporary's date was taken from */
    char tmp_name[NAME_MAX + 1];
};

/* The folder of an earlier slot of the chunk with the same namespace (one open per folder and
 * chunk, not one per file), else -1. */
static int chunk_folder(const struct write_slot *slot, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (slot[j].nsfd >= 0 && !slot[j].nsfd_borrowed && strcmp(slot[j].n.ns, slot[i].n.ns) == 0)
            return slot[j].nsfd;
    return -1;
}

/* Steps slot[i] goes through; an item whose r is set (error or unchanged) leaves them. */
static void write_open(struct store *s, struct store_item *it, struct write_slot *slot, size_t i,
                       bool together)
{
    struct write_slot *w = &slot[i];
    if (rel_parse(it->rel, &w->n) < 0) {
        it->r = kerr_set(&it->err, -EINVAL, "%s: not a NAMESPACE/NAME.json profile name",
                         it->rel ? it->rel : "(null)");
        return;
    }
    if (it->len > STORE_MAX_FILE_SIZE) {
        it->r = kerr_set(&it->err, -EFBIG, "%s/%s: %zu bytes is over the %u byte limit", s->path,
                         it->rel, it->len, STORE_MAX_FILE_SIZE);
        return;
    }
    int r = 0;
    w->nsfd = chunk_folder(slot, i);
    if (w->nsfd >= 0)
        w->nsfd_borrowed = true;
    else
        r = ns_folder_open(s, w->n.ns, true, &w->nsfd, &it->err);
    bool equal = false;
    if (r == 0)
        r = existing_check(s, w->nsfd, it->rel, w->n.name, it->data, it->len, &equal, &w->exists,
                           &w->old_fd, &it->err);
    if (r == 0 && equal) {
        it->r = 0;
        it->changed = false;
        return;
    }
    if (r == 0)
        r = temporary_create(s, w->nsfd, it->rel, w->n.name, w->tmp_name, &w->tmp_fd, &it->err);
    if (r == 0) {
        r = temporary_fill(s, w->tmp_fd, it->rel, w->tmp_name, it->data, it->len, together,
                           !w->exists, &w->dated, &it->err);
        if (r < 0) {
            close(w->tmp_fd);
            w->tmp_fd = -1;
            unlinkat(w->nsfd, w->tmp_name, 0);
        }
    }
    if (r < 0)
        it->r = r;
}

static void write_commit(struct store *s, struct store_item *it, struct write_slot *w)
{
    /* The temporary was dated as its bytes were written (temporary_fill()), before its flush,
     * so that the flush makes the date durable too and nothing touches the file after the
     * rename. Only the second of a date counts: should the flush (most of a write's time) end
     * in a later second, the temporary is dated again, a date this write does not flush;
     * should the rename itself fall in a later second, the file is (an IN_MODIFY under its own
     * name, which the reconciler reads as someone's change: one check more, for the rare
     * write whose close and rename, a few microseconds, span the end of a second). Should
     * either fail, the date is the write's: the version is in place all the same. */
    struct timespec now;
    int r = 0;
    if (fsync(w->tmp_fd) < 0)
        r = kerr_set(&it->err, -errno, "%s/%s: fsync temporary %s: %s", s->path, it->rel,
                     w->tmp_name, strerror(errno));
    else {
        clock_gettime(CLOCK_REALTIME, &now);
        if (now.tv_sec != w->dated.tv_sec) {
            w->dated = now;
            version_set_date(w->tmp_fd, now, !w->exists);
        }
    }
    int fd = TAKE_FD(w->tmp_fd);
    if (close(fd) < 0 && r == 0)
        r = kerr_set(&it->err, -errno, "%s/%s: close temporary %s: %s", s->path, it->rel,
                     w->tmp_name, strerror(errno));
    if (r == 0 && renameat(w->nsfd, w->tmp_name, w->nsfd, w->n.name) < 0)
        r = kerr_set(&it->err, -errno, "%s/%s: rename: %s", s->path, it->rel, strerror(errno));
    if (r < 0) {
        unlinkat(w->nsfd, w->tmp_name, 0);
        it->r = r;
        return;
    }
    w->renamed = true;
    struct store_version v = {.date = version_date(w->dated, !w->exists),
                              .kind = STORE_VERSION_BYTES};
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != w->dated.tv_sec) {
        struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, version_date(now, !w->exists)};
        if (utimensat(w->nsfd, w->n.name, times, AT_SYMLINK_NOFOLLOW) == 0)
            v.date = times[1];
    }
    digest_bytes(it->data, it->len, &v.digest);
    versions_push(s, it->rel, v);
}

static void write_chunk(struct store *s, struct store_item *items, size_t n,
                        const struct store_tick *tick)
{
    struct write_slot slot[WRITE_CHUNK];
    for (size_t i = 0; i < n; i++) {
        slot[i] = (struct write_slot){.nsfd = -1, .tmp_fd = -1, .old_fd = -1};
        items[i].r = 1; /* in progress */
        items[i].changed = false;
        write_open(s, &items[i], slot, i, n > 1);
        if (tick && items[i].r > 0) /* a temporary was written */
            tick->fn(tick->userdata);
    }
    for (size_t i = 0; i < n; i++)
        if (items[i].r > 0) {
            write_commit(s, &items[i], &slot[i]);
            if (tick)
                tick->fn(tick->userdata);
        }
    /* Makes the renames survive a crash, each folder once. Should this fail, the new files
     * are already in place (the one failure after which the old ones are gone); each of
     * them gets the error. */
    for (size_t i = 0; i < n; i++) {
        if (!slot[i].renamed || items[i].r <= 0)
            continue;
        int r = fsync(slot[i].nsfd) < 0 ? -errno : 0;
        if (tick)
            tick->fn(tick->userdata);
        for (size_t j = i; j < n; j++) {
            if (!slot[j].renamed || items[j].r <= 0 || strcmp(slot[j].n.ns, slot[i].n.ns) != 0)
                continue;
            items[j].changed = true;
            items[j].r = r < 0 ? kerr_set(&items[j].err, r, "%s/%s: fsync: %s", s->path,
                                          slot[j].n.ns, strerror(-r))
                               : 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (slot[i].nsfd >= 0 && !slot[i].nsfd_borrowed)
            close(slot[i].nsfd);
        /* The version replaced: its blocks are freed off this path (reaper.h). */
        reaper_close(s->reaper, slot[i].old_fd);
    }
}

uint64_t store_serial(const struct store *s)
{
    return s->serial;
}

void store_note_change(struct store *s)
{
    s->serial++;
}

/* Files a chunk may hold under the open-file limit now: up to three descriptors each (folder,
 * temporary, the version replaced), with room for the ~64 the agent holds besides. Under a low
 * `ulimit -n` a full chunk failed with EMFILE, a line logged per file, at every retry. */
static size_t write_chunk_size(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
        rl.rlim_cur >= 64 + 3 * WRITE_CHUNK)
        return WRITE_CHUNK;
    return rl.rlim_cur > 64 + 3 ? (size_t)(rl.rlim_cur - 64) / 3 : 1;
}

size_t store_write_many(struct store *s, struct store_item *items, size_t n,
                        const struct store_tick *tick)
{
    size_t failed = 0;
    bool moved = false;
    size_t chunk = write_chunk_size();
    for (size_t i = 0; i < n; i += chunk)
        write_chunk(s, items + i, n - i < chunk ? n - i : chunk, tick);
    for (size_t i = 0; i < n; i++) {
        failed += items[i].r < 0;
        moved |= items[i].r < 0 || items[i].changed;
    }
    /* Only when a file was replaced, or may have been (an error): files found already right
     * (a start over a full set) leave what was learnt of them valid. A store_stat() taken
     * during the writes (the tick) is dated before this. */
    if (moved)
        s->serial++;
    return failed;
}

int store_write(struct store *s, const char *rel, const void *data, size_t len, bool *ret_changed,
                struct kerr *err)
{
    struct store_item it = {.rel = rel, .data = data, .len = len};
    store_write_many(s, &it, 1, NULL);
    if (it.r < 0) {
        *err = it.err;
        return it.r;
    }
    if (ret_changed)
        *ret_changed = it.changed;
    return 0;
}

/* Opens the namespace folder of rel (split into *n) for reading; -ENOENT (with err set) when
 * absent. */
static int rel_folder_open(struct store *s, const char *rel, struct ns_name *n, int *ret_fd,
                           struct kerr *err)
{
    if (rel_parse(rel, n) < 0)
        return kerr_set(err, -EINVAL, "%s: not a NAMESPACE/NAME.json profile name",
                        rel ? rel : "(null)");
    return ns_folder_open(s, n->ns, false, ret_fd, err);
}

/* Opens the namespace folder of rel (*ret_fd; rel split into *n) and checks that rel is a
 * regular file there (its status in *ret_st). */
static int rel_stat(struct store *s, const char *rel, struct ns_name *n, int *ret_fd,
                    struct stat *ret_st, struct kerr *err)
{
    _cleanup_close_ int nsfd = -1;
    int r = rel_folder_open(s, rel, n, &nsfd, err);
    if (r < 0)
        return r;
    struct stat st;
    if (fstatat(nsfd, n->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return kerr_set(err, -errno, "%s/%s: stat: %s", s->path, rel, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return kerr_set(err, -ELOOP, "%s/%s: is a symbolic link; refusing to follow it", s->path,
                        rel);
    if (S_ISDIR(st.st_mode))
        return kerr_set(err, -EISDIR, "%s/%s: is a directory", s->path, rel);
    if (!S_ISREG(st.st_mode))
        return kerr_set(err, -EINVAL, "%s/%s: not a regular file", s->path, rel);
    *ret_fd = TAKE_FD(nsfd);
    *ret_st = st;
    return 0;
}

int store_check(struct store *s, const char *rel, const void *data, size_t len, bool *ret_equal,
                struct kerr *err)
{
    struct ns_name n;
    _cleanup_close_ int nsfd = -1;
    *ret_equal = false;
    int r = rel_folder_open(s, rel, &n, &nsfd, err);
    if (r == -ENOENT)
        return 0; /* no folder: nothing there */
    if (r < 0) {
        s->serial++; /* what is there is not known */
        return r;
    }
    bool exists = false;
    r = existing_check(s, nsfd, rel, n.name, data, len, ret_equal, &exists, NULL, err);
    if (r < 0)
        s->serial++;
    return r;
}

int store_stat(struct store *s, const char *rel, struct stat *ret_st, struct kerr *err)
{
    struct ns_name n;
    _cleanup_close_ int nsfd = -1;
    return rel_stat(s, rel, &n, &nsfd, ret_st, err);
}

/* What an entry of mode is (store.h). */
static enum store_kind kind_of_mode(mode_t mode)
{
    if (S_ISREG(mode))
        return STORE_FILE;
    if (S_ISDIR(mode))
        return STORE_FOLDER;
    return S_ISLNK(mode) ? STORE_LINK : STORE_SPECIAL;
}

/* The name of file's recording mark in its folder: ".FILE.kscmp-rec", or, where that would not
 * fit in a directory entry, the file's first 200 bytes and a hash of the whole name. */
static void mark_name(const char *file, char *out, size_t size)
{
    if (strlen(file) + 1 + strlen(MARK_SUFFIX) <= NAME_MAX)
        snprintf(out, size, ".%s%s", file, MARK_SUFFIX);
    else
        snprintf(out, size, ".%.200s-%016llx%s", file, (unsigned long long)fnv1a64_str(file),
                 MARK_SUFFIX);
}

/* Removes file's recording mark from the folder nsfd, if there: best effort. */
static void drop_mark(int nsfd, const char *file)
{
    char mark[NAME_MAX + 1];
    mark_name(file, mark, sizeof(mark));
    (void)unlinkat(nsfd, mark, 0);
}

int store_set_recording_mark(struct store *s, const char *rel, bool on, struct kerr *err)
{
    struct ns_name n;
    if (rel_parse(rel, &n) < 0)
        return kerr_set(err, -EINVAL, "%s: not a NAMESPACE/NAME.json profile name",
                        rel ? rel : "(null)");
    _cleanup_close_ int nsfd = -1;
    int r = ns_folder_open(s, n.ns, on, &nsfd, err);
    if (r == -ENOENT && !on)
        return 0;
    if (r < 0)
        return r;
    char name[NAME_MAX + 1];
    mark_name(n.name, name, sizeof(name));
    if (on) {
        int fd = openat(nsfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
            return kerr_set(err, -errno, "%s/%s/%s: create: %s", s->path, n.ns, name,
                            strerror(errno));
        close(fd);
    } else if (unlinkat(nsfd, name, 0) < 0) {
        if (errno == ENOENT)
            return 0;
        return kerr_set(err, -errno, "%s/%s/%s: unlink: %s", s->path, n.ns, name, strerror(errno));
    }
    if (fsync(nsfd) < 0)
        return kerr_set(err, -errno, "%s/%s: fsync: %s", s->path, n.ns, strerror(errno));
    return 0;
}

bool store_recording_mark(struct store *s, const char *rel)
{
    struct ns_name n;
    struct kerr err = {0};
    _cleanup_close_ int nsfd = -1;
    if (rel_parse(rel, &n) < 0 || ns_folder_open(s, n.ns, false, &nsfd, &err) < 0)
        return false;
    char name[NAME_MAX + 1];
    mark_name(n.name, name, sizeof(name));
    struct stat st;
    return fstatat(nsfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int store_kind_of(struct store *s, const char *rel, enum store_kind *ret_kind, struct kerr *err)
{
    struct ns_name n;
    _cleanup_close_ int nsfd = -1;
    int r = rel_folder_open(s, rel, &n, &nsfd, err);
    if (r == -ENOENT) {
        *ret_kind = STORE_ABSENT; /* no folder: nothing there */
        return 0;
    }
    if (r < 0)
        return r;
    struct stat st;
    if (fstatat(nsfd, n.name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT)
            return kerr_set(err, -errno, "%s/%s: stat: %s", s->path, rel, strerror(errno));
        *ret_kind = STORE_ABSENT;
        return 0;
    }
    *ret_kind = kind_of_mode(st.st_mode);
    return 0;
}

/* store_read(), and with restore store_read_restore(). */
static int read_rel(struct store *s, const char *rel, bool restore, char **ret_data,
                    size_t *ret_len, struct kerr *put_back_err, struct kerr *err)
{
    struct ns_name split;
    _cleanup_close_ int nsfd = -1;
    struct stat st;
    int r = rel_stat(s, rel, &split, &nsfd, &st, err);
    if (r < 0)
        return r;
    const char *file = split.name;

    _cleanup_close_ int fd = openat(nsfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return kerr_set(err, -errno, "%s/%s: open: %s", s->path, rel, strerror(errno));
    if (fstat(fd, &st) < 0)
        return kerr_set(err, -errno, "%s/%s: stat: %s", s->path, rel, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return kerr_set(err, -EINVAL, "%s/%s: not a regular file", s->path, rel);
    if ((uint64_t)st.st_size > STORE_MAX_FILE_SIZE)
        return kerr_set(err, -EFBIG, "%s/%s: %jd bytes is over the %u byte limit", s->path, rel,
                        (intmax_t)st.st_size, STORE_MAX_FILE_SIZE);

    /* One byte past the limit tells a file that grew since the fstat(). */
    size_t cap = (size_t)st.st_size + 1;
    _cleanup_free_ char *buf = malloc(cap + 1);
    if (!buf)
        return kerr_set(err, -ENOMEM, "%s/%s: out of memory", s->path, rel);
    size_t len = 0;
    for (;;) {
        ssize_t n = read_full(fd, buf + len, cap - len);
        if (n < 0)
            return kerr_set(err, (int)n, "%s/%s: read: %s", s->path, rel, strerror((int)-n));
        len += (size_t)n;
        if (len < cap)
            break;
        if (cap > STORE_MAX_FILE_SIZE)
            return kerr_set(err, -EFBIG, "%s/%s: over the %u byte limit", s->path, rel,
                            STORE_MAX_FILE_SIZE);
        size_t new_cap = cap * 2 > STORE_MAX_FILE_SIZE + 1 ? STORE_MAX_FILE_SIZE + 1 : cap * 2;
        char *grown = realloc(buf, new_cap + 1);
        if (!grown)
            return kerr_set(err, -ENOMEM, "%s/%s: out of memory", s->path, rel);
        buf = grown;
        cap = new_cap;
    }
    buf[len] = '\0';
    /* Remembered as a version (the agent reads its files so at its start: a container that
     * started under these bytes is not stale when the same bytes come back later). */
    versions_seen(s, rel, st.st_mtim, buf, len);
    bool kept; /* false: an owner left as it was, which a check takes for other bytes */
    if (restore)
        put_back(s, fd, &st, rel, &kept, put_back_err);
    *ret_data = TAKE_PTR(buf);
    if (ret_len)
        *ret_len = len;
    return 0;
}

int store_read(struct store *s, const char *rel, char **ret_data, size_t *ret_len, struct kerr *err)
{
    return read_rel(s, rel, false, ret_data, ret_len, NULL, err);
}

int store_read_restore(struct store *s, const char *rel, char **ret_data, size_t *ret_len,
                       struct kerr *put_back_err, struct kerr *err)
{
    return read_rel(s, rel, true, ret_data, ret_len, put_back_err, err);
}

/* The removal of rel: *ret_removed when something went (a removal that found nothing changes
 * nothing that a store_stat() said). */
static int remove_rel(struct store *s, const char *rel, bool *ret_removed, struct kerr *err)
{
    struct ns_name n;
    if (rel_parse(rel, &n) < 0)
        return kerr_set(err, -EINVAL, "%s: not a NAMESPACE/NAME.json profile name",
                        rel ? rel : "(null)");
    const char *ns = n.ns, *file = n.name;

    _cleanup_close_ int kscmp_fd = -1;
    _cleanup_close_ int nsfd = -1;
    int r = kscmp_open(s, false, &kscmp_fd, err);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    r = namespace_open(s, kscmp_fd, ns, false, &nsfd, err);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;

    struct stat st;
    int q = fstatat(nsfd, file, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
    if (q == -ENOENT) {
        /* Nothing to remove, so nothing to say: should someone have removed the file, its
         * mark goes, and its folder once empty if it can (on a read-only file system an
         * unlink of nothing fails too). */
        drop_mark(nsfd, file);
        if (unlinkat(kscmp_fd, ns, AT_REMOVEDIR) == 0)
            (void)fsync(kscmp_fd);
        return 0;
    }
    if (q == 0 && S_ISDIR(st.st_mode))
        return kerr_set(err, -EISDIR, "%s/%s: is a directory; refusing to remove it", s->path, rel);
    /* unlinkat() removes a link itself, never what it points to. */
    if (unlinkat(nsfd, file, 0) < 0) {
        if (errno != ENOENT)
            return kerr_set(err, -errno, "%s/%s: unlink: %s", s->path, rel, strerror(errno));
    } else {
        *ret_removed = true;
        drop_mark(nsfd, file); /* its recording mark goes with it, after it */
        if (fsync(nsfd) < 0)
            return kerr_set(err, -errno, "%s/%s: fsync: %s", s->path, ns, strerror(errno));
    }

    /* The namespace folder goes once empty; still holding other files is the usual case. */
    if (unlinkat(kscmp_fd, ns, AT_REMOVEDIR) < 0) {
        if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
            return kerr_set(err, -errno, "%s/%s: rmdir: %s", s->path, ns, strerror(errno));
    } else if (fsync(kscmp_fd) < 0) {
        return kerr_set(err, -errno, "%s: fsync: %s", s->path, strerror(errno));
    }
    return 0;
}

int store_remove(struct store *s, const char *rel, bool *ret_removed, struct kerr *err)
{
    bool removed = false;
    int r = remove_rel(s, rel, &removed, err);
    if (removed || r < 0) /* on an error, what is there is not known */
        s->serial++;
    if (removed) {
        struct store_version v = {.kind = STORE_VERSION_ABSENT};
        clock_gettime(CLOCK_REALTIME, &v.date);
        versions_push(s, rel, v);
    }
    if (ret_removed)
        *ret_removed = removed;
    return r;
}

/* Opens the folder of entry name below the open folder d for listing; *ret_dir stays NULL
 * (and 0 is returned) when it is not a real folder or no longer there. */
static int subdir_open(struct store *s, DIR *d, const char *name, DIR **ret_dir, struct kerr *err)
{
    *ret_dir = NULL;
    int fd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
            return 0;
        return kerr_set(err, -errno, "%s/%s: open: %s", s->path, name, strerror(errno));
    }
    DIR *sub = fdopendir(fd);
    if (!sub) {
        int e = errno;
        close(fd);
        return kerr_set(err, -e, "%s/%s: opendir: %s", s->path, name, strerror(e));
    }
    *ret_dir = sub;
    return 0;
}

/* Opens seccomp/kscmp for listing; *ret_dir stays NULL (and 0 is returned) when absent. */
static int kscmp_dir_open(struct store *s, DIR **ret_dir, struct kerr *err)
{
    *ret_dir = NULL;
    _cleanup_close_ int fd = -1;
    int r = kscmp_open(s, false, &fd, err);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return r;
    DIR *d = fdopendir(fd);
    if (!d)
        return kerr_set(err, -errno, "%s: opendir: %s", s->path, strerror(errno));
    TAKE_FD(fd);
    *ret_dir = d;
    return 0;
}

/* Names found below the store (profiles, or namespace folders), collected before any is handed
 * on: the order is stable, and a callback may remove files. */
struct rel_item {
    char *rel;
    enum store_kind kind;
    bool marked; /* a file with its recording mark beside it */
};

struct rel_list {
    struct rel_item *items;
    size_t n, cap;
};

static void rel_list_free(struct rel_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i].rel);
    free(l->items);
}

/* Appends ns, or ns/file when file is not NULL. */
static int rel_list_add(struct rel_list *l, const char *ns, const char *file, enum store_kind kind)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct rel_item *items = realloc(l->items, cap * sizeof(*items));
        if (!items)
            return -ENOMEM;
        l->items = items;
        l->cap = cap;
    }
    char *rel = file ? NULL : strdup(ns);
    if (file && asprintf(&rel, "%s/%s", ns, file) < 0)
        rel = NULL;
    if (!rel)
        return -ENOMEM;
    l->items[l->n++] = (struct rel_item){rel, kind, false};
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Marks the items l->items[from..] (files of one folder, relative "NS/FILE") whose recording
 * mark is among the n names of marks (sorted here). */
/* A strv that frees itself (_cleanup_). */
struct mark_list {
    char **v;
    size_t n;
};

static void mark_list_free(struct mark_list *l)
{
    strv_free(l->v, l->n);
}

static void rel_list_set_marks(struct rel_list *l, size_t from, char **marks, size_t n)
{
    if (n == 0)
        return;
    qsort(marks, n, sizeof(*marks), cmp_name);
    for (size_t i = from; i < l->n; i++) {
        char mark[NAME_MAX + 1];
        const char *file = strchr(l->items[i].rel, '/') + 1;
        mark_name(file, mark, sizeof(mark));
        const char *key = mark;
        l->items[i].marked = bsearch(&key, marks, n, sizeof(*marks), cmp_name) != NULL;
    }
}

/* Whether name is a recording mark's (".NAME.kscmp-rec"). */
static bool is_mark(const char *name)
{
    size_t len = strlen(name), suffix = strlen(MARK_SUFFIX);
    return name[0] == '.' && len > suffix + 1 && strcmp(name + len - suffix, MARK_SUFFIX) == 0;
}

static int rel_item_cmp(const void *a, const void *b)
{
    return strcmp(((const struct rel_item *)a)->rel, ((const struct rel_item *)b)->rel);
}

/* Appends the namespace folders below kscmp to l, and with files the entries at a profile's
 * name in them that are not folders (with_marks: each file's recording mark told);
 * only_ns (may be NULL): of that namespace only. */
static int rel_list_collect(struct store *s, struct rel_list *l, bool files, bool with_marks,
                            const char *only_ns, struct kerr *err)
{
    _cleanup_closedir_ DIR *d = NULL;
    int r = kscmp_dir_open(s, &d, err);
    if (r < 0 || !d)
        return r;

    struct dirent *de;
    while ((errno = 0, de = readdir(d))) {
        const char *ns = de->d_name;
        if (!namespace_valid(ns, strlen(ns)) || (only_ns && strcmp(ns, only_ns) != 0))
            continue;
        _cleanup_closedir_ DIR *sub = NULL;
        r = subdir_open(s, d, ns, &sub, err);
        if (r < 0)
            return r;
        if (!sub)
            continue;
        if (!files) {
            if (rel_list_add(l, ns, NULL, STORE_FOLDER) < 0)
                return kerr_set(err, -ENOMEM, "%s: out of memory", s->path);
            continue;
        }
        size_t from = l->n;
        _cleanup_(mark_list_free) struct mark_list marks = {0}; /* with_marks: those here */
        struct dirent *fe;
        while ((errno = 0, fe = readdir(sub))) {
            if (with_marks && is_mark(fe->d_name)) {
                if (strv_addf(&marks.v, &marks.n, "%s", fe->d_name) < 0)
                    return kerr_set(err, -ENOMEM, "%s: out of memory", s->path);
                continue;
            }
            if (!file_valid(fe->d_name))
                continue;
            struct stat st;
            if (fstatat(dirfd(sub), fe->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                S_ISDIR(st.st_mode))
                continue;
            if (rel_list_add(l, ns, fe->d_name, kind_of_mode(st.st_mode)) < 0)
                return kerr_set(err, -ENOMEM, "%s: out of memory", s->path);
        }
        if (errno != 0)
            return kerr_set(err, -errno, "%s/%s: readdir: %s", s->path, ns, strerror(errno));
        rel_list_set_marks(l, from, marks.v, marks.n);
    }
    if (errno != 0)
        return kerr_set(err, -errno, "%s: readdir: %s", s->path, strerror(errno));
    return 0;
}

/* What rel_list_collect() finds, sorted. */
static int rel_list_sorted(struct store *s, struct rel_list *l, bool files, bool with_marks,
                           const char *only_ns, struct kerr *err)
{
    int r = rel_list_collect(s, l, files, with_marks, only_ns, err);
    if (r < 0)
        return r;
    if (l->n > 1)
        qsort(l->items, l->n, sizeof(*l->items), rel_item_cmp);
    return 0;
}

int store_list_in(struct store *s, const char *ns,
                  int (*cb)(const char *rel, enum store_kind kind, void *userdata), void *userdata,
                  struct kerr *err)
{
    _cleanup_(rel_list_free) struct rel_list l = {0};
    int r = rel_list_sorted(s, &l, true, false, ns, err);
    for (size_t i = 0; r == 0 && i < l.n; i++)
        r = cb(l.items[i].rel, l.items[i].kind, userdata);
    return r;
}

int store_list_marked(struct store *s,
                      int (*cb)(const char *rel, enum store_kind kind, bool marked, void *userdata),
                      void *userdata, struct kerr *err)
{
    _cleanup_(rel_list_free) struct rel_list l = {0};
    int r = rel_list_sorted(s, &l, true, true, NULL, err);
    for (size_t i = 0; r == 0 && i < l.n; i++)
        r = cb(l.items[i].rel, l.items[i].kind, l.items[i].marked, userdata);
    return r;
}

int store_list(struct store *s, int (*cb)(const char *rel, enum store_kind kind, void *userdata),
               void *userdata, struct kerr *err)
{
    return store_list_in(s, NULL, cb, userdata, err);
}

int store_list_namespaces(struct store *s, int (*cb)(const char *ns, void *userdata),
                          void *userdata, struct kerr *err)
{
    _cleanup_(rel_list_free) struct rel_list l = {0};
    int r = rel_list_sorted(s, &l, false, false, NULL, err);
    for (size_t i = 0; r == 0 && i < l.n; i++)
        r = cb(l.items[i].rel, userdata);
    return r;
}

int store_clean_temporaries(struct store *s, unsigned *ret_removed, struct kerr *err)
{
    _cleanup_closedir_ DIR *d = NULL;
    int r = kscmp_dir_open(s, &d, err);
    if (r < 0)
        return r;

    unsigned removed = 0;
    struct dirent *de;
    while (d && (errno = 0, de = readdir(d))) {
        const char *ns = de->d_name;
        if (!namespace_valid(ns, strlen(ns)))
            continue;
        _cleanup_closedir_ DIR *sub = NULL;
        r = subdir_open(s, d, ns, &sub, err);
        if (r < 0)
            return r;
        if (!sub)
            continue;
        unsigned here = 0;
        struct dirent *fe;
        while ((errno = 0, fe = readdir(sub))) {
            if (!temporary_name(fe->d_name))
                continue;
            struct stat st;
            if (fstatat(dirfd(sub), fe->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                !S_ISREG(st.st_mode))
                continue;
            if (unlinkat(dirfd(sub), fe->d_name, 0) < 0) {
                if (errno == ENOENT)
                    continue;
                return kerr_set(err, -errno, "%s/%s/%s: unlink: %s", s->path, ns, fe->d_name,
                                strerror(errno));
            }
            here++;
        }
        if (errno != 0)
            return kerr_set(err, -errno, "%s/%s: readdir: %s", s->path, ns, strerror(errno));
        if (here > 0 && fsync(dirfd(sub)) < 0)
            return kerr_set(err, -errno, "%s/%s: fsync: %s", s->path, ns, strerror(errno));
        removed += here;
    }
    if (d && errno != 0)
        return kerr_set(err, -errno, "%s: readdir: %s", s->path, strerror(errno));

    if (ret_removed)
        *ret_removed = removed;
    return 0;
}
