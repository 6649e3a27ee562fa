/* test_store.c - the node file store: atomic writes, no links followed, listing, cleanup.
 *
 * Every test runs in its own mkdtemp() folder holding "kubelet" (the kubelet root) and
 * "outside" (where planted links point; nothing may ever be written there).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "node/store.h"

struct fixture {
    char dir[64];      /* the mkdtemp() folder */
    char root[128];    /* dir/kubelet */
    char outside[128]; /* dir/outside */
    bool mounted;      /* a tmpfs sits on root */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    strcpy(f->dir, "/tmp/kscmp-test-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->root, sizeof(f->root), "%s/kubelet", f->dir);
    snprintf(f->outside, sizeof(f->outside), "%s/outside", f->dir);
    assert_int_equal(mkdir(f->root, 0755), 0);
    assert_int_equal(mkdir(f->outside, 0755), 0);
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->mounted)
        umount2(f->root, MNT_DETACH);
    /* FTW_PHYS: links are removed, never followed. */
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* f->root + "/" + rel, in a static buffer (one at a time). */
static const char *at(const struct fixture *f, const char *rel)
{
    static char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s/%s", f->root, rel);
    return buf;
}

static void write_file(const char *path, const char *content)
{
    FILE *fp = fopen(path, "we");
    assert_non_null(fp);
    fputs(content, fp);
    assert_int_equal(fclose(fp), 0);
}

/* The content of path (NUL-terminated, caller frees). */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "re");
    assert_non_null(fp);
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* Number of entries (besides . and ..) in the folder path. */
static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        fail_msg("opendir %s: %s", path, strerror(errno));
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static struct store *open_ok(const struct fixture *f)
{
    struct kerr err = {0};
    struct store *s = NULL;
    int r = store_open(f->root, &s, &err);
    if (r < 0)
        fail_msg("store_open: %s", err.msg);
    return s;
}

static void write_ok(struct store *s, const char *rel, const char *content, bool expect_changed)
{
    struct kerr err = {0};
    bool changed = !expect_changed;
    int r = store_write(s, rel, content, strlen(content), &changed, &err);
    if (r < 0)
        fail_msg("store_write %s: %s", rel, err.msg);
    assert_int_equal(changed, expect_changed);
}

static void test_open_creates_folders(void **state)
{
    struct fixture *f = *state;
    mode_t old = umask(077);
    struct store *s = open_ok(f);
    umask(old);

    char want[PATH_MAX];
    snprintf(want, sizeof(want), "%s/seccomp/kscmp", f->root);
    assert_string_equal(store_path(s), want);

    struct stat st;
    assert_int_equal(lstat(at(f, "seccomp"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(lstat(at(f, "seccomp/kscmp"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0755);
    store_close(s);

    /* Opening again finds them in place. */
    s = open_ok(f);
    store_close(s);
}

static void test_open_keeps_existing_mode(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(mkdir(at(f, "seccomp"), 0700), 0);
    assert_int_equal(chmod(at(f, "seccomp"), 0700), 0);
    struct store *s = open_ok(f);
    struct stat st;
    assert_int_equal(lstat(at(f, "seccomp"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    store_close(s);
}

static void test_open_missing_root(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/nope/kubelet", f->dir);
    struct kerr err = {0};
    struct store *s = NULL;
    assert_int_equal(store_open(path, &s, &err), -ENOENT);
    assert_null(s);
    char want[PATH_MAX];
    snprintf(want, sizeof(want), "%s/nope: open: No such file or directory", f->dir);
    assert_string_equal(err.msg, want);
    assert_int_equal(store_open("", &s, &err), -EINVAL);
}

static void test_open_relative_root(void **state)
{
    struct fixture *f = *state;
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(f->dir), 0);
    struct kerr err = {0};
    struct store *s = NULL;
    int r = store_open("./kubelet//", &s, &err);
    assert_int_equal(chdir(cwd), 0);
    if (r < 0)
        fail_msg("store_open: %s", err.msg);

    /* The path is absolute and clean, the store works after the cwd moved. */
    char want[PATH_MAX + 32];
    char real[PATH_MAX];
    assert_non_null(realpath(f->dir, real));
    snprintf(want, sizeof(want), "%s/kubelet/seccomp/kscmp", real);
    assert_string_equal(store_path(s), want);
    write_ok(s, "demo/web.json", "{}", true);
    struct stat st;
    assert_int_equal(lstat(at(f, "seccomp/kscmp/demo/web.json"), &st), 0);
    store_close(s);
}

/* Links in the configured kubelet root are followed: the admin chose that path. */
static void test_open_root_link_followed(void **state)
{
    struct fixture *f = *state;
    char link[PATH_MAX];
    snprintf(link, sizeof(link), "%s/kubelet-link", f->dir);
    assert_int_equal(symlink(f->root, link), 0);
    struct kerr err = {0};
    struct store *s = NULL;
    int r = store_open(link, &s, &err);
    if (r < 0)
        fail_msg("store_open: %s", err.msg);
    write_ok(s, "demo/web.json", "{}", true);
    struct stat st;
    assert_int_equal(lstat(at(f, "seccomp/kscmp/demo/web.json"), &st), 0);
    assert_true(S_ISREG(st.st_mode));
    store_close(s);
}

static void test_first_write(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    mode_t old = umask(077);
    write_ok(s, "demo/web.json", "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}\n", true);
    umask(old);

    struct stat st;
    assert_int_equal(lstat(at(f, "seccomp/kscmp/demo"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(lstat(at(f, "seccomp/kscmp/demo/web.json"), &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0644);
    _cleanup_free_ char *got = slurp(at(f, "seccomp/kscmp/demo/web.json"));
    assert_string_equal(got, "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}\n");
    /* Nothing else in the folder: no temporary left over. */
    assert_int_equal(count_entries(at(f, "seccomp/kscmp/demo")), 1);
    store_close(s);
}

/* rel's newest remembered version is what is on disk: its date the file's modification time,
 * its digest that of content. */
static void assert_newest(struct store *s, const struct fixture *f, const char *rel,
                          const char *content, size_t want_n)
{
    size_t n = 0;
    const struct store_version *v = store_versions(s, rel, &n);
    assert_int_equal(n, want_n);
    assert_non_null(v);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/seccomp/kscmp/%s", f->root, rel);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(v[n - 1].kind, STORE_VERSION_BYTES);
    assert_int_equal(v[n - 1].date.tv_sec, st.st_mtim.tv_sec);
    assert_int_equal(v[n - 1].date.tv_nsec, st.st_mtim.tv_nsec);
    struct digest d;
    digest_bytes(content, strlen(content), &d);
    assert_true(digest_equal(&v[n - 1].digest, &d));
}

/* The versions the store remembers (store_versions(), trial ROUGH 11): each write that
 * changed a file, each removal, each version found dated otherwise (after a start, or
 * someone else's); the same bytes written again add none; at most STORE_VERSIONS_MAX, and
 * the history of at most STORE_GONE_MAX files removed. */
static void test_versions(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    struct kerr err = {0};
    const char *a = "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}\n",
               *b = "{\"defaultAction\":\"SCMP_ACT_LOG\"}\n";
    size_t n = 1;
    assert_null(store_versions(s, "demo/web.json", &n));
    assert_int_equal(n, 0);
    write_ok(s, "demo/web.json", a, true);
    assert_newest(s, f, "demo/web.json", a, 1);
    write_ok(s, "demo/web.json", a, false);
    assert_newest(s, f, "demo/web.json", a, 1);
    /* Removed (NoPolicy), then written again with the same bytes: the digest says so. */
    bool removed = false;
    assert_int_equal(store_remove(s, "demo/web.json", &removed, &err), 0);
    assert_true(removed);
    const struct store_version *v = store_versions(s, "demo/web.json", &n);
    assert_int_equal(n, 2);
    assert_int_equal(v[1].kind, STORE_VERSION_ABSENT);
    assert_int_equal(store_remove(s, "demo/web.json", &removed, &err), 0); /* nothing there */
    assert_false(removed);
    store_versions(s, "demo/web.json", &n);
    assert_int_equal(n, 2);
    write_ok(s, "demo/web.json", a, true);
    assert_newest(s, f, "demo/web.json", a, 3);
    v = store_versions(s, "demo/web.json", &n);
    assert_true(digest_equal(&v[0].digest, &v[2].digest));
    /* Past STORE_VERSIONS_MAX the oldest go. */
    write_ok(s, "demo/web.json", b, true);
    write_ok(s, "demo/web.json", a, true);
    assert_newest(s, f, "demo/web.json", a, STORE_VERSIONS_MAX);
    v = store_versions(s, "demo/web.json", &n);
    assert_int_equal(v[0].kind, STORE_VERSION_ABSENT);

    /* Someone else's bytes: a version not known (found by a check, or before a write). */
    const char *path = at(f, "seccomp/kscmp/demo/web.json");
    struct timespec later[2] = {{.tv_nsec = UTIME_OMIT}, {v[n - 1].date.tv_sec + 5, 0}};
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("{}", fp);
    fclose(fp);
    assert_int_equal(utimensat(AT_FDCWD, path, later, 0), 0);
    bool equal = true;
    assert_int_equal(store_check(s, "demo/web.json", a, strlen(a), &equal, &err), 0);
    assert_false(equal);
    v = store_versions(s, "demo/web.json", &n);
    assert_int_equal(v[n - 1].kind, STORE_VERSION_UNKNOWN);
    assert_int_equal(v[n - 1].date.tv_sec, later[1].tv_sec);
    write_ok(s, "demo/web.json", a, true);
    assert_newest(s, f, "demo/web.json", a, STORE_VERSIONS_MAX);
    v = store_versions(s, "demo/web.json", &n);
    assert_int_equal(v[n - 2].kind, STORE_VERSION_UNKNOWN);
    store_close(s);

    /* A new store (the agent started again) knows a file once it has found it. */
    s = open_ok(f);
    assert_null(store_versions(s, "demo/web.json", &n));
    assert_int_equal(store_check(s, "demo/web.json", a, strlen(a), &equal, &err), 0);
    assert_true(equal);
    assert_newest(s, f, "demo/web.json", a, 1);
    write_ok(s, "demo/web.json", a, false);
    assert_newest(s, f, "demo/web.json", a, 1);
    store_close(s);
    /* So does one that reads its files at its start (the reconciler's load). */
    s = open_ok(f);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(store_read(s, "demo/web.json", &data, &len, &err), 0);
    free(data);
    assert_newest(s, f, "demo/web.json", a, 1);

    /* The history of files removed is bounded: the one removed longest ago goes first. */
    char rel[64];
    for (int i = 0; i <= STORE_GONE_MAX; i++) {
        snprintf(rel, sizeof(rel), "gone/f%d.json", i);
        write_ok(s, rel, a, true);
        assert_int_equal(store_remove(s, rel, &removed, &err), 0);
        assert_true(removed);
    }
    assert_null(store_versions(s, "gone/f0.json", &n));
    assert_non_null(store_versions(s, "gone/f1.json", &n));
    snprintf(rel, sizeof(rel), "gone/f%d.json", STORE_GONE_MAX);
    assert_non_null(store_versions(s, rel, &n));
    assert_newest(s, f, "demo/web.json", a, 1); /* a file there is not one removed */
    store_close(s);
}

/* store_serial() moves with every call that may change a file (a write, a check that may put
 * a mode back, a removal, a change seen from outside) and stays put for those that only look:
 * what a store_stat() said holds while it does (the stale-pods check keeps the dates). */
static void test_serial(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    struct kerr err = {0};
    const char *json = "{\"defaultAction\":\"SCMP_ACT_ERRNO\"}\n";
    uint64_t v = store_serial(s);
    write_ok(s, "demo/web.json", json, true);
    assert_true(store_serial(s) != v);
    v = store_serial(s);
    struct stat st;
    assert_int_equal(store_stat(s, "demo/web.json", &st, &err), 0);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(store_read(s, "demo/web.json", &data, &len, &err), 0);
    free(data);
    assert_true(store_serial(s) == v);
    /* The same bytes: nothing written, nothing counted; nor a check that finds them. */
    write_ok(s, "demo/web.json", json, false);
    assert_true(store_serial(s) == v);
    bool equal = false;
    assert_int_equal(store_check(s, "demo/web.json", json, strlen(json), &equal, &err), 0);
    assert_true(equal);
    assert_true(store_serial(s) == v);
    assert_int_equal(store_check(s, "demo/web.json", "other", 5, &equal, &err), 0);
    assert_false(equal);
    assert_true(store_serial(s) == v);
    assert_int_equal(store_check(s, "none/web.json", json, strlen(json), &equal, &err), 0);
    assert_true(store_serial(s) == v);
    /* A mode put back is a change, by a check or by a write of the same bytes. */
    const char *path = at(f, "seccomp/kscmp/demo/web.json");
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(store_check(s, "demo/web.json", json, strlen(json), &equal, &err), 0);
    assert_true(equal);
    assert_true(store_serial(s) != v);
    v = store_serial(s);
    assert_int_equal(chmod(path, 0640), 0);
    write_ok(s, "demo/web.json", json, false);
    assert_true(store_serial(s) != v);
    v = store_serial(s);
    /* A check that fails: counted. */
    assert_true(store_check(s, "demo/../x.json", json, strlen(json), &equal, &err) < 0);
    assert_true(store_serial(s) != v);
    v = store_serial(s);
    store_note_change(s);
    assert_true(store_serial(s) != v);
    v = store_serial(s);
    assert_int_equal(store_remove(s, "demo/web.json", NULL, &err), 0);
    assert_true(store_serial(s) != v);
    /* Removing what is not there changes nothing: not counted (a folder, or a file, missing). */
    v = store_serial(s);
    assert_int_equal(store_remove(s, "demo/web.json", NULL, &err), 0);
    assert_int_equal(store_remove(s, "other/web.json", NULL, &err), 0);
    assert_true(store_serial(s) == v);
    write_ok(s, "demo/a.json", json, true);
    v = store_serial(s);
    assert_int_equal(store_remove(s, "demo/b.json", NULL, &err), 0);
    assert_true(store_serial(s) == v);
    /* An error: counted, as what is there is not known. */
    assert_true(store_remove(s, "demo/../x.json", NULL, &err) < 0);
    assert_true(store_serial(s) != v);
    store_close(s);
}

static void test_same_bytes_not_rewritten(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_ok(s, "demo/web.json", "same", true);

    /* An old, exact mtime: any rewrite would change it. */
    const char *path = at(f, "seccomp/kscmp/demo/web.json");
    struct timespec old[2] = {{.tv_sec = 1000000000, .tv_nsec = 123},
                              {.tv_sec = 1000000000, .tv_nsec = 456}};
    assert_int_equal(utimensat(AT_FDCWD, path, old, AT_SYMLINK_NOFOLLOW), 0);
    struct stat before, after;
    assert_int_equal(lstat(path, &before), 0);

    write_ok(s, "demo/web.json", "same", false);
    assert_int_equal(lstat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(after.st_mtim.tv_sec, 1000000000);
    assert_int_equal(after.st_mtim.tv_nsec, 456);

    /* ret_changed may be NULL. */
    struct kerr err = {0};
    assert_int_equal(store_write(s, "demo/web.json", "same", 4, NULL, &err), 0);
    store_close(s);
}

/* A version is dated when it took effect; a first version the last nanosecond of the second
 * before (no container can have read an older one); a removed and recreated file is a first
 * version again. */
static void test_version_dates(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    const char *path = at(f, "seccomp/kscmp/demo/web.json");
    struct timespec t0, t1;
    struct stat st;

    assert_int_equal(clock_gettime(CLOCK_REALTIME, &t0), 0);
    write_ok(s, "demo/web.json", "v1", true);
    assert_int_equal(clock_gettime(CLOCK_REALTIME, &t1), 0);
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mtim.tv_nsec, 999999999);
    if (st.st_mtim.tv_sec + 1 < t0.tv_sec || st.st_mtim.tv_sec + 1 > t1.tv_sec)
        fail_msg("first version dated %lld.999999999, written between %lld and %lld",
                 (long long)st.st_mtim.tv_sec, (long long)t0.tv_sec, (long long)t1.tv_sec);

    /* A second version: dated at or after the write began, and not in the future. */
    assert_int_equal(clock_gettime(CLOCK_REALTIME, &t0), 0);
    write_ok(s, "demo/web.json", "v2", true);
    assert_int_equal(clock_gettime(CLOCK_REALTIME, &t1), 0);
    assert_int_equal(lstat(path, &st), 0);
    long long ns = (long long)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    long long ns0 = (long long)t0.tv_sec * 1000000000 + t0.tv_nsec;
    long long ns1 = (long long)t1.tv_sec * 1000000000 + t1.tv_nsec;
    if (ns < ns0 || ns > ns1)
        fail_msg("second version dated %lld ns, written between %lld and %lld", ns, ns0, ns1);

    /* The same bytes again: the date stays. */
    write_ok(s, "demo/web.json", "v2", false);
    struct stat again;
    assert_int_equal(lstat(path, &again), 0);
    assert_int_equal(again.st_mtim.tv_sec, st.st_mtim.tv_sec);
    assert_int_equal(again.st_mtim.tv_nsec, st.st_mtim.tv_nsec);

    /* Removed, then written again: a first version. */
    struct kerr err = {0};
    assert_int_equal(store_remove(s, "demo/web.json", NULL, &err), 0);
    write_ok(s, "demo/web.json", "v3", true);
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mtim.tv_nsec, 999999999);
    store_close(s);
}

static void test_same_bytes_mode_restored(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_ok(s, "demo/web.json", "same", true);
    const char *path = at(f, "seccomp/kscmp/demo/web.json");
    assert_int_equal(chmod(path, 0600), 0);
    struct stat before, after;
    assert_int_equal(lstat(path, &before), 0);
    write_ok(s, "demo/web.json", "same", false);
    assert_int_equal(lstat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(after.st_mode & 07777, 0644);
    store_close(s);
}

/* The same bytes under another owner (who could rewrite them): the owner put back, or, where
 * the agent cannot chown (not root), the file replaced by one of its own. */
static void test_same_bytes_owner_restored(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_ok(s, "demo/web.json", "same", true);
    const char *path = at(f, "seccomp/kscmp/demo/web.json");
    if (geteuid() != 0) {
        store_close(s);
        skip(); /* chown to another user needs root */
    }
    assert_int_equal(chown(path, 65534, 65534), 0);
    write_ok(s, "demo/web.json", "same", false);
    struct stat after;
    assert_int_equal(lstat(path, &after), 0);
    assert_int_equal(after.st_uid, geteuid());
    assert_int_equal(after.st_gid, getegid());
    store_close(s);
}

static void test_different_bytes_replaced(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_ok(s, "demo/web.json", "old", true);
    const char *path = at(f, "seccomp/kscmp/demo/web.json");
    struct stat before, after;
    assert_int_equal(lstat(path, &before), 0);

    /* Same length, other bytes; then another length. */
    write_ok(s, "demo/web.json", "new", true);
    assert_int_equal(lstat(path, &after), 0);
    assert_int_not_equal(before.st_ino, after.st_ino);
    _cleanup_free_ char *got = slurp(path);
    assert_string_equal(got, "new");

    write_ok(s, "demo/web.json", "newer and longer", true);
    _cleanup_free_ char *got2 = slurp(path);
    assert_string_equal(got2, "newer and longer");
    assert_int_equal(lstat(path, &after), 0);
    assert_int_equal(after.st_mode & 07777, 0644);
    assert_int_equal(count_entries(at(f, "seccomp/kscmp/demo")), 1);
    store_close(s);
}

/* The longest NAME: the temporary's name is cut to fit in one directory entry. */
static void test_longest_name(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    char rel[300];
    snprintf(rel, sizeof(rel), "demo/%0250d.json", 0);
    write_ok(s, rel, "v1", true);
    write_ok(s, rel, "v2", true);
    struct kerr err = {0};
    char *data = NULL;
    assert_int_equal(store_read(s, rel, &data, NULL, &err), 0);
    assert_string_equal(data, "v2");
    free(data);
    assert_int_equal(count_entries(at(f, "seccomp/kscmp/demo")), 1);
    store_close(s);
}

static void test_rel_valid_table(void **state)
{
    char long_ns[65], long_name[300], max_name[300], ok_ns[64];
    memset(long_ns, 'a', 64);
    long_ns[64] = '\0';
    memset(ok_ns, 'a', 63);
    ok_ns[63] = '\0';
    /* NAME of 250 is the longest whose NAME.json fits in one directory entry. */
    snprintf(max_name, sizeof(max_name), "ns/%0250d.json", 0);
    snprintf(long_name, sizeof(long_name), "ns/%0251d.json", 0);
    char huge[400];
    snprintf(huge, sizeof(huge), "ns/%0300d.json", 0);
    char ns_ok_rel[100], ns_long_rel[100];
    snprintf(ns_ok_rel, sizeof(ns_ok_rel), "%s/x.json", ok_ns);
    snprintf(ns_long_rel, sizeof(ns_long_rel), "%s/x.json", long_ns);

    static const char *const good[] = {
        "demo/web.json",     "a/b.json",       "kube-system/x.json", "0/9.json",
        "ns/my-app.v2.json", "ns/x.json.json", "ns/a.b.c.json",
    };
    for (size_t i = 0; i < ELEMENTSOF(good); i++)
        if (!store_rel_valid(good[i]))
            fail_msg("should be valid: %s", good[i]);
    assert_true(store_rel_valid(max_name));
    assert_true(store_rel_valid(ns_ok_rel));

    static const char *const bad[] = {
        "",
        "x.json",
        "/x.json",
        "ns/",
        "ns/x",
        "ns/.json",
        "ns/x.yaml",
        "ns/x.JSON",
        "ns/X.json",
        "A/x.json",
        "../x.json",
        "ns/../x.json",
        "ns/..json",
        "./x.json",
        "ns/./x.json",
        "a/b/c.json",
        "ns//x.json",
        "/ns/x.json",
        "ns/x.json/",
        "ns/-x.json",
        "ns/x-.json",
        "-ns/x.json",
        "ns-/x.json",
        "ns/x..y.json",
        "ns/.x.json",
        "ns/x_y.json",
        "n_s/x.json",
        "ns/x y.json",
        "ns/x.json.kscmp-tmp-abcdef",
        "ns/.x.json.kscmp-tmp-abcdef",
        "ns/\xc3\xa9.json",
    };
    for (size_t i = 0; i < ELEMENTSOF(bad); i++)
        if (store_rel_valid(bad[i]))
            fail_msg("should be invalid: %s", bad[i]);
    assert_false(store_rel_valid(NULL));
    assert_false(store_rel_valid(long_name));
    assert_false(store_rel_valid(huge));
    assert_false(store_rel_valid(ns_long_rel));
}

static void test_write_invalid_rel(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    static const char *const bad[] = {
        "../x.json", "../../outside/x.json", "a/b/c.json", "A/x.json", "ns/x.yaml", ""};
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        struct kerr err = {0};
        bool changed = false;
        assert_int_equal(store_write(s, bad[i], "x", 1, &changed, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "not a NAMESPACE/NAME.json profile name"));
        char *data = NULL;
        assert_int_equal(store_read(s, bad[i], &data, NULL, &err), -EINVAL);
        assert_int_equal(store_remove(s, bad[i], NULL, &err), -EINVAL);
    }
    assert_int_equal(count_entries(at(f, "seccomp/kscmp")), 0);
    assert_int_equal(count_entries(f->outside), 0);
    store_close(s);
}

static void test_link_as_seccomp_refused(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(symlink(f->outside, at(f, "seccomp")), 0);
    struct kerr err = {0};
    struct store *s = NULL;
    assert_int_equal(store_open(f->root, &s, &err), -ELOOP);
    assert_null(s);
    char want[PATH_MAX];
    snprintf(want, sizeof(want), "%s/seccomp: is a symbolic link; refusing to follow it", f->root);
    assert_string_equal(err.msg, want);
    assert_int_equal(count_entries(f->outside), 0);
}

/* A link in place of kscmp/ (the kubelet would read profiles through it): the link itself is
 * removed and the folder made; what it pointed to is untouched, and a dangling link's target
 * is not created. */
static void test_link_as_kscmp_removed(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(mkdir(at(f, "seccomp"), 0755), 0);
    assert_int_equal(symlink(f->outside, at(f, "seccomp/kscmp")), 0);
    struct store *s = open_ok(f);
    struct stat st;
    assert_int_equal(lstat(at(f, "seccomp/kscmp"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(count_entries(f->outside), 0);
    write_ok(s, "demo/web.json", "v1", true);
    assert_int_equal(count_entries(f->outside), 0);
    store_close(s);

    char target[PATH_MAX];
    snprintf(target, sizeof(target), "%s/made", f->outside);
    assert_int_equal(unlink(at(f, "seccomp/kscmp/demo/web.json")), 0);
    assert_int_equal(rmdir(at(f, "seccomp/kscmp/demo")), 0);
    assert_int_equal(rmdir(at(f, "seccomp/kscmp")), 0);
    assert_int_equal(symlink(target, at(f, "seccomp/kscmp")), 0);
    s = open_ok(f);
    assert_int_equal(lstat(at(f, "seccomp/kscmp"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(count_entries(f->outside), 0);
    store_close(s);
}

/* seccomp/ swapped for a link after store_open(): later calls walk again and refuse it. */
static void test_link_swapped_in_after_open(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_ok(s, "demo/web.json", "v1", true);

    char moved[PATH_MAX];
    snprintf(moved, sizeof(moved), "%s/moved", f->dir);
    assert_int_equal(rename(at(f, "seccomp"), moved), 0);
    assert_int_equal(symlink(f->outside, at(f, "seccomp")), 0);

    struct kerr err = {0};
    assert_int_equal(store_write(s, "demo/web.json", "v2", 2, NULL, &err), -ELOOP);
    assert_non_null(strstr(err.msg, "seccomp: is a symbolic link"));
    char *data = NULL;
    assert_int_equal(store_read(s, "demo/web.json", &data, NULL, &err), -ELOOP);
    assert_int_equal(store_remove(s, "demo/web.json", NULL, &err), -ELOOP);
    assert_int_equal(count_entries(f->outside), 0);
    store_close(s);
}

/* The folders deleted under a running store come back on the next write. */
static void test_folders_recreated(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_ok(s, "demo/web.json", "v1", true);
    assert_int_equal(unlink(at(f, "seccomp/kscmp/demo/web.json")), 0);
    assert_int_equal(rmdir(at(f, "seccomp/kscmp/demo")), 0);
    assert_int_equal(rmdir(at(f, "seccomp/kscmp")), 0);
    assert_int_equal(rmdir(at(f, "seccomp")), 0);

    struct kerr err = {0};
    char *data = NULL;
    assert_int_equal(store_read(s, "demo/web.json", &data, NULL, &err), -ENOENT);
    assert_int_equal(store_remove(s, "demo/web.json", NULL, &err), 0);
    unsigned removed = 99;
    assert_int_equal(store_clean_temporaries(s, &removed, &err), 0);
    assert_int_equal(removed, 0);

    write_ok(s, "demo/web.json", "v1", true);
    _cleanup_free_ char *got = slurp(at(f, "seccomp/kscmp/demo/web.json"));
    assert_string_equal(got, "v1");
    store_close(s);
}

/* A link in place of a namespace folder: removed (the link itself) on the next write, read
 * or removal, and the folder made again for a write; what it pointed to keeps its one file. */
static void test_link_as_namespace_removed(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_file(at(f, "../outside/web.json"), "outside");
    struct stat st;

    assert_int_equal(symlink(f->outside, at(f, "seccomp/kscmp/demo")), 0);
    char *data = NULL;
    struct kerr err = {0};
    assert_int_equal(store_read(s, "demo/web.json", &data, NULL, &err), -ENOENT);
    assert_null(data);
    assert_int_equal(lstat(at(f, "seccomp/kscmp/demo"), &st), -1);

    assert_int_equal(symlink(f->outside, at(f, "seccomp/kscmp/demo")), 0);
    assert_int_equal(store_remove(s, "demo/web.json", NULL, &err), 0);
    assert_int_equal(lstat(at(f, "seccomp/kscmp/demo"), &st), -1);

    assert_int_equal(symlink(f->outside, at(f, "seccomp/kscmp/demo")), 0);
    bool changed = false;
    assert_int_equal(store_write(s, "demo/web.json", "mine", 4, &changed, &err), 0);
    assert_true(changed);
    assert_int_equal(lstat(at(f, "seccomp/kscmp/demo"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    _cleanup_free_ char *mine = slurp(at(f, "seccomp/kscmp/demo/web.json"));
    assert_string_equal(mine, "mine");

    /* Outside untouched: the one file, same bytes, no temporaries. */
    assert_int_equal(count_entries(f->outside), 1);
    _cleanup_free_ char *got = slurp(at(f, "../outside/web.json"));
    assert_string_equal(got, "outside");
    store_close(s);
}

/* A link at the profile's own name is replaced by the file; its target is never written. */
static void test_link_as_file_replaced(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/demo"), 0755), 0);
    char victim[PATH_MAX];
    snprintf(victim, sizeof(victim), "%s/victim.json", f->outside);
    write_file(victim, "victim");
    struct stat vbefore, vafter;
    assert_int_equal(lstat(victim, &vbefore), 0);
    assert_int_equal(symlink(victim, at(f, "seccomp/kscmp/demo/web.json")), 0);

    /* Reading refuses to follow it. */
    struct kerr err = {0};
    char *data = NULL;
    assert_int_equal(store_read(s, "demo/web.json", &data, NULL, &err), -ELOOP);
    assert_non_null(strstr(err.msg, "demo/web.json: is a symbolic link"));

    /* The same bytes as the target still count as different: the link is never read. */
    write_ok(s, "demo/web.json", "victim", true);
    struct stat st;
    assert_int_equal(lstat(at(f, "seccomp/kscmp/demo/web.json"), &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0644);

    write_ok(s, "demo/web.json", "mine", true);
    _cleanup_free_ char *got = slurp(at(f, "seccomp/kscmp/demo/web.json"));
    assert_string_equal(got, "mine");
    _cleanup_free_ char *vgot = slurp(victim);
    assert_string_equal(vgot, "victim");
    assert_int_equal(lstat(victim, &vafter), 0);
    assert_int_equal(vbefore.st_ino, vafter.st_ino);
    assert_int_equal(vbefore.st_mtim.tv_sec, vafter.st_mtim.tv_sec);
    assert_int_equal(vbefore.st_mtim.tv_nsec, vafter.st_mtim.tv_nsec);
    assert_int_equal(count_entries(f->outside), 1);

    /* A dangling link: its target is not created. */
    char ghost[PATH_MAX];
    snprintf(ghost, sizeof(ghost), "%s/ghost.json", f->outside);
    assert_int_equal(symlink(ghost, at(f, "seccomp/kscmp/demo/db.json")), 0);
    write_ok(s, "demo/db.json", "db", true);
    assert_int_equal(access(ghost, F_OK), -1);
    assert_int_equal(count_entries(f->outside), 1);
    store_close(s);
}

/* store_check: the same bytes (a changed mode put back, the inode kept), other bytes,
 * nothing there, no folder, a link, a folder. */
static void test_check(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    struct kerr err = {0};
    bool equal = true;
    assert_int_equal(store_check(s, "demo/web.json", "same", 4, &equal, &err), 0);
    assert_false(equal); /* no folder yet */
    write_ok(s, "demo/web.json", "same", true);
    const char *path = at(f, "seccomp/kscmp/demo/web.json");
    assert_int_equal(chmod(path, 0600), 0);
    struct stat before, after;
    assert_int_equal(lstat(path, &before), 0);
    assert_int_equal(store_check(s, "demo/web.json", "same", 4, &equal, &err), 0);
    assert_true(equal);
    assert_int_equal(lstat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(after.st_mode & 07777, 0644);
    assert_int_equal(store_check(s, "demo/web.json", "sane", 4, &equal, &err), 0);
    assert_false(equal);
    assert_int_equal(store_check(s, "demo/web.json", "same!", 5, &equal, &err), 0);
    assert_false(equal);
    assert_int_equal(store_check(s, "demo/other.json", "same", 4, &equal, &err), 0);
    assert_false(equal);
    assert_int_equal(symlink(path, at(f, "seccomp/kscmp/demo/link.json")), 0);
    assert_int_equal(store_check(s, "demo/link.json", "same", 4, &equal, &err), 0);
    assert_false(equal); /* never followed: replaced by the next write */
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/demo/dir.json"), 0755), 0);
    assert_int_equal(store_check(s, "demo/dir.json", "same", 4, &equal, &err), -EISDIR);
    assert_false(equal);
    store_close(s);
}

/* store_read_restore: the bytes, and a mode and an owner someone changed put back on the file
 * read (the inode kept; counted by the serial); right already, nothing counted. Absent, a
 * link: as store_read(). */
static void test_read_restore(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    struct kerr err = {0}, put_back_err = {0};
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(store_read_restore(s, "demo/web.json", &data, &len, &put_back_err, &err),
                     -ENOENT);
    write_ok(s, "demo/web.json", "same", true);
    uint64_t v = store_serial(s);
    assert_int_equal(store_read_restore(s, "demo/web.json", &data, &len, &put_back_err, &err), 0);
    assert_int_equal(len, 4);
    assert_string_equal(data, "same");
    free(data);
    assert_true(store_serial(s) == v);
    const char *path = at(f, "seccomp/kscmp/demo/web.json");
    bool root = geteuid() == 0; /* chown to another user needs root */
    assert_int_equal(chmod(path, 0666), 0);
    if (root)
        assert_int_equal(chown(path, 65534, 65534), 0);
    struct stat before, after;
    assert_int_equal(lstat(path, &before), 0);
    data = NULL;
    assert_int_equal(store_read_restore(s, "demo/web.json", &data, &len, &put_back_err, &err), 0);
    assert_int_equal(put_back_err.code, 0);
    assert_int_equal(len, 4);
    assert_string_equal(data, "same");
    free(data);
    assert_int_equal(lstat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(after.st_mode & 07777, 0644);
    if (root) {
        assert_int_equal(after.st_uid, geteuid());
        assert_int_equal(after.st_gid, getegid());
    }
    assert_true(store_serial(s) != v);
    assert_int_equal(symlink(path, at(f, "seccomp/kscmp/demo/link.json")), 0);
    data = NULL;
    assert_int_equal(store_read_restore(s, "demo/link.json", &data, &len, &put_back_err, &err),
                     -ELOOP);
    assert_null(data);
    store_close(s);
}

static void test_folder_as_file_refused(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/demo"), 0755), 0);
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/demo/web.json"), 0755), 0);
    write_file(at(f, "seccomp/kscmp/demo/web.json/keep"), "keep");

    struct kerr err = {0};
    bool changed = false;
    assert_int_equal(store_write(s, "demo/web.json", "x", 1, &changed, &err), -EISDIR);
    assert_non_null(strstr(err.msg, "demo/web.json: is a directory"));
    char *data = NULL;
    assert_int_equal(store_read(s, "demo/web.json", &data, NULL, &err), -EISDIR);
    assert_int_equal(store_remove(s, "demo/web.json", NULL, &err), -EISDIR);
    /* Folder and its content intact, no temporary left. */
    assert_int_equal(count_entries(at(f, "seccomp/kscmp/demo")), 1);
    assert_int_equal(count_entries(at(f, "seccomp/kscmp/demo/web.json")), 1);
    store_close(s);
}

static void test_read(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    struct kerr err = {0};
    char *data = NULL;
    size_t len = 0;

    /* Missing namespace folder, then missing file. */
    assert_int_equal(store_read(s, "demo/web.json", &data, &len, &err), -ENOENT);
    assert_null(data);
    write_ok(s, "demo/other.json", "x", true);
    assert_int_equal(store_read(s, "demo/web.json", &data, &len, &err), -ENOENT);
    assert_null(data);
    assert_non_null(strstr(err.msg, "demo/web.json"));

    static const char content[] = "{\"a\":1}\n";
    write_ok(s, "demo/web.json", content, true);
    assert_int_equal(store_read(s, "demo/web.json", &data, &len, &err), 0);
    assert_int_equal(len, strlen(content));
    assert_string_equal(data, content);
    free(data);

    /* An empty file reads as "". */
    write_file(at(f, "seccomp/kscmp/demo/empty.json"), "");
    data = NULL;
    assert_int_equal(store_read(s, "demo/empty.json", &data, &len, &err), 0);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    free(data);

    /* A FIFO is not a profile, and reading it must not block. */
    assert_int_equal(mkfifo(at(f, "seccomp/kscmp/demo/fifo.json"), 0644), 0);
    data = NULL;
    assert_int_equal(store_read(s, "demo/fifo.json", &data, &len, &err), -EINVAL);
    assert_null(data);
    store_close(s);
}

/* store_stat walks like every other call: a link as the file or as its namespace folder is
 * refused, never followed. */
static void test_stat(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    struct kerr err = {0};
    struct stat st = {0};

    assert_int_equal(store_stat(s, "demo/web.json", &st, &err), -ENOENT);
    write_ok(s, "demo/web.json", "{}", true);
    struct timespec times[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    assert_int_equal(utimensat(AT_FDCWD, at(f, "seccomp/kscmp/demo/web.json"), times, 0), 0);
    assert_int_equal(store_stat(s, "demo/web.json", &st, &err), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 2);
    assert_int_equal(st.st_mtim.tv_sec, 1000000000);

    /* A link as the file: refused, st left alone. */
    char target[PATH_MAX];
    snprintf(target, sizeof(target), "%s/web.json", f->outside);
    write_file(target, "{}");
    assert_int_equal(symlink(target, at(f, "seccomp/kscmp/demo/link.json")), 0);
    struct stat before = st;
    assert_int_equal(store_stat(s, "demo/link.json", &st, &err), -ELOOP);
    assert_memory_equal(&st, &before, sizeof(st));
    assert_non_null(strstr(err.msg, "demo/link.json"));

    /* A link as the namespace folder. */
    assert_int_equal(symlink(f->outside, at(f, "seccomp/kscmp/other")), 0);
    assert_true(store_stat(s, "other/web.json", &st, &err) < 0);
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/demo/dir.json"), 0755), 0);
    assert_int_equal(store_stat(s, "demo/dir.json", &st, &err), -EISDIR);
    assert_int_equal(store_stat(s, "../web.json", &st, &err), -EINVAL);
    store_close(s);
}

static void test_size_limit(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    const size_t big = 4u * 1024 * 1024 + 1;
    _cleanup_free_ char *buf = malloc(big);
    assert_non_null(buf);
    memset(buf, 'x', big);

    struct kerr err = {0};
    assert_int_equal(store_write(s, "demo/big.json", buf, big, NULL, &err), -EFBIG);
    assert_int_equal(store_write(s, "demo/max.json", buf, big - 1, NULL, &err), 0);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(store_read(s, "demo/max.json", &data, &len, &err), 0);
    assert_int_equal(len, big - 1);
    free(data);

    /* A file planted over the limit is refused on read. */
    int fd = open(at(f, "seccomp/kscmp/demo/big.json"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, big), (ssize_t)big);
    close(fd);
    data = NULL;
    assert_int_equal(store_read(s, "demo/big.json", &data, &len, &err), -EFBIG);
    assert_null(data);
    store_close(s);
}

struct seen {
    char rels[16][300];
    enum store_kind kinds[16];
    int n;
    int stop_after;
};

static int collect(const char *rel, enum store_kind kind, void *userdata)
{
    struct seen *seen = userdata;
    assert_true(seen->n < 16);
    snprintf(seen->rels[seen->n], sizeof(seen->rels[0]), "%s", rel);
    seen->kinds[seen->n] = kind;
    seen->n++;
    return seen->n == seen->stop_after ? 7 : 0;
}

static int collect_ns(const char *ns, void *userdata)
{
    return collect(ns, STORE_FOLDER, userdata);
}

static void test_list(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    struct kerr err = {0};

    struct seen empty = {0};
    assert_int_equal(store_list(s, collect, &empty, &err), 0);
    assert_int_equal(empty.n, 0);

    write_ok(s, "b/z.json", "1", true);
    write_ok(s, "a/y.json", "2", true);
    write_ok(s, "a/x.json", "3", true);

    /* Things that are not ours. */
    write_file(at(f, "seccomp/kscmp/a/.x.json.kscmp-tmp-abcdef"), "tmp");
    write_file(at(f, "seccomp/kscmp/a/README"), "hi");
    write_file(at(f, "seccomp/kscmp/a/Upper.json"), "{}");
    write_file(at(f, "seccomp/kscmp/a/x.yaml"), "{}");
    assert_int_equal(symlink("x.json", at(f, "seccomp/kscmp/a/link.json")), 0);
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/a/dir.json"), 0755), 0);
    assert_int_equal(mkfifo(at(f, "seccomp/kscmp/a/fifo.json"), 0644), 0);
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/Bad_NS"), 0755), 0);
    write_file(at(f, "seccomp/kscmp/Bad_NS/x.json"), "{}");
    write_file(at(f, "seccomp/kscmp/top.json"), "{}");
    write_file(at(f, "seccomp/kscmp/c"), "a file where a namespace would be");
    write_file(at(f, "../outside/q.json"), "{}");
    assert_int_equal(symlink(f->outside, at(f, "seccomp/kscmp/nslink")), 0);
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/emptyns"), 0755), 0);

    /* Strays at a profile's name: a link, a FIFO, a socket (a folder there is skipped). */
    assert_int_equal(symlink("../../../../outside/q.json", at(f, "seccomp/kscmp/b/out.json")), 0);
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(sock >= 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", at(f, "seccomp/kscmp/b/sock.json"));
    assert_int_equal(bind(sock, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(sock);

    struct seen seen = {0};
    assert_int_equal(store_list(s, collect, &seen, &err), 0);
    static const char *const rels[] = {"a/fifo.json", "a/link.json", "a/x.json", "a/y.json",
                                       "b/out.json",  "b/sock.json", "b/z.json"};
    static const enum store_kind kinds[] = {STORE_SPECIAL, STORE_LINK,    STORE_FILE, STORE_FILE,
                                            STORE_LINK,    STORE_SPECIAL, STORE_FILE};
    assert_int_equal(seen.n, 7);
    for (int i = 0; i < 7; i++) {
        assert_string_equal(seen.rels[i], rels[i]);
        assert_int_equal(seen.kinds[i], kinds[i]);
    }

    /* A non-zero result stops the walk and is returned. */
    struct seen stop = {.stop_after = 2};
    assert_int_equal(store_list(s, collect, &stop, &err), 7);
    assert_int_equal(stop.n, 2);
    /* One namespace's. */
    struct seen in_b = {0};
    assert_int_equal(store_list_in(s, "b", collect, &in_b, &err), 0);
    assert_int_equal(in_b.n, 3);
    assert_string_equal(in_b.rels[0], "b/out.json");
    assert_string_equal(in_b.rels[2], "b/z.json");
    struct seen in_none = {0};
    assert_int_equal(store_list_in(s, "nslink", collect, &in_none, &err), 0);
    assert_int_equal(store_list_in(s, "gone", collect, &in_none, &err), 0);
    assert_int_equal(in_none.n, 0);

    /* The namespace folders, whatever they hold (not a link, not a file, not another name). */
    struct seen ns = {0};
    assert_int_equal(store_list_namespaces(s, collect_ns, &ns, &err), 0);
    assert_int_equal(ns.n, 3);
    assert_string_equal(ns.rels[0], "a");
    assert_string_equal(ns.rels[1], "b");
    assert_string_equal(ns.rels[2], "emptyns");
    struct seen ns_stop = {.stop_after = 1};
    assert_int_equal(store_list_namespaces(s, collect_ns, &ns_stop, &err), 7);
    assert_int_equal(ns_stop.n, 1);
    store_close(s);
}

/* store_kind_of() tells what is at a name, never following a link, nor opening a FIFO. */
static void test_kind_of(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    struct kerr err = {0};
    enum store_kind k = STORE_FOLDER;
    assert_int_equal(store_kind_of(s, "demo/web.json", &k, &err), 0);
    assert_int_equal(k, STORE_ABSENT); /* no folder */
    write_ok(s, "demo/web.json", "{}", true);
    assert_int_equal(store_kind_of(s, "demo/web.json", &k, &err), 0);
    assert_int_equal(k, STORE_FILE);
    assert_int_equal(store_kind_of(s, "demo/none.json", &k, &err), 0);
    assert_int_equal(k, STORE_ABSENT);
    char target[PATH_MAX];
    snprintf(target, sizeof(target), "%s/web.json", f->outside);
    write_file(target, "outside");
    assert_int_equal(symlink(target, at(f, "seccomp/kscmp/demo/l.json")), 0);
    assert_int_equal(store_kind_of(s, "demo/l.json", &k, &err), 0);
    assert_int_equal(k, STORE_LINK);
    assert_true(store_kind_stray(k));
    assert_int_equal(mkfifo(at(f, "seccomp/kscmp/demo/p.json"), 0644), 0);
    assert_int_equal(store_kind_of(s, "demo/p.json", &k, &err), 0);
    assert_int_equal(k, STORE_SPECIAL);
    assert_true(store_kind_stray(k));
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/demo/d.json"), 0755), 0);
    assert_int_equal(store_kind_of(s, "demo/d.json", &k, &err), 0);
    assert_int_equal(k, STORE_FOLDER);
    assert_false(store_kind_stray(k));
    /* A namespace folder that is a link: the link removed, the file absent; a name that is not
     * a profile's: an error. */
    assert_int_equal(symlink(f->outside, at(f, "seccomp/kscmp/other")), 0);
    assert_int_equal(store_kind_of(s, "other/web.json", &k, &err), 0);
    assert_int_equal(k, STORE_ABSENT);
    struct stat st;
    assert_int_equal(lstat(at(f, "seccomp/kscmp/other"), &st), -1);
    assert_int_equal(store_kind_of(s, "demo/../web.json", &k, &err), -EINVAL);
    store_close(s);
}

static int remove_each(const char *rel, enum store_kind kind, void *userdata)
{
    struct store *s = userdata;
    struct kerr err = {0};
    return store_remove(s, rel, NULL, &err);
}

/* The callback may remove what it is given (the reconciler's orphan sweep). */
static void test_list_remove_in_callback(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_ok(s, "a/x.json", "1", true);
    write_ok(s, "a/y.json", "1", true);
    write_ok(s, "b/z.json", "1", true);
    struct kerr err = {0};
    assert_int_equal(store_list(s, remove_each, s, &err), 0);
    assert_int_equal(count_entries(at(f, "seccomp/kscmp")), 0);
    store_close(s);
}

static void test_clean_temporaries(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_ok(s, "a/x.json", "x", true);
    write_ok(s, "b/y.json", "y", true);
    write_file(at(f, "seccomp/kscmp/a/.x.json.kscmp-tmp-abc123"), "partial");
    write_file(at(f, "seccomp/kscmp/a/.y.json.kscmp-tmp-ZZZZZZ"), "partial");
    write_file(at(f, "seccomp/kscmp/b/.y.json.kscmp-tmp-000000"), "partial");
    /* Look-alikes that stay: wrong suffix length, no leading dot, a folder, a link, and a
     * temporary-looking file in a folder that is not a namespace. */
    write_file(at(f, "seccomp/kscmp/a/.x.json.kscmp-tmp-abc12"), "keep");
    write_file(at(f, "seccomp/kscmp/a/x.json.kscmp-tmp-abc123"), "keep");
    write_file(at(f, "seccomp/kscmp/a/.hidden"), "keep");
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/a/.d.json.kscmp-tmp-dddddd"), 0755), 0);
    assert_int_equal(symlink("x.json", at(f, "seccomp/kscmp/a/.l.json.kscmp-tmp-llllll")), 0);
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/Not_NS"), 0755), 0);
    write_file(at(f, "seccomp/kscmp/Not_NS/.x.json.kscmp-tmp-abc123"), "keep");
    write_file(at(f, "../outside/.x.json.kscmp-tmp-abc123"), "keep");
    assert_int_equal(symlink(f->outside, at(f, "seccomp/kscmp/linked")), 0);

    struct kerr err = {0};
    unsigned removed = 0;
    assert_int_equal(store_clean_temporaries(s, &removed, &err), 0);
    assert_int_equal(removed, 3);
    assert_int_equal(access(at(f, "seccomp/kscmp/a/.x.json.kscmp-tmp-abc123"), F_OK), -1);
    assert_int_equal(access(at(f, "seccomp/kscmp/b/.y.json.kscmp-tmp-000000"), F_OK), -1);
    /* a: x.json, the two keepers, .hidden, the folder, the link. */
    assert_int_equal(count_entries(at(f, "seccomp/kscmp/a")), 6);
    assert_int_equal(count_entries(at(f, "seccomp/kscmp/b")), 1);
    assert_int_equal(count_entries(at(f, "seccomp/kscmp/Not_NS")), 1);
    assert_int_equal(count_entries(f->outside), 1);

    assert_int_equal(store_clean_temporaries(s, &removed, &err), 0);
    assert_int_equal(removed, 0);
    assert_int_equal(store_clean_temporaries(s, NULL, &err), 0);
    store_close(s);
}

/* Under a low open-file limit (ulimit -n 40, in a child): store_write_many() takes fewer files
 * at a time, and every file is written; a chunk of 32 files held up to 96 descriptors, and
 * each file past the limit failed with EMFILE. 0, or which step failed. */
static int child_write_many_low_limit(struct fixture *f)
{
    struct rlimit rl = {.rlim_cur = 40, .rlim_max = 40};
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 10;
    struct kerr err = {0};
    struct store *s = NULL;
    if (store_open(f->root, &s, &err) < 0)
        return 11;
    enum { N = 64 };
    struct store_item items[N];
    char rels[N][32];
    for (unsigned i = 0; i < N; i++) {
        snprintf(rels[i], sizeof(rels[i]), "ns-%u/f-%u.json", i % 4, i);
        items[i] = (struct store_item){.rel = rels[i], .data = "{}", .len = 2};
    }
    size_t failed = store_write_many(s, items, N, NULL);
    /* ... and again, each file replacing a version (one more descriptor each). */
    for (unsigned i = 0; i < N; i++)
        items[i] = (struct store_item){.rel = rels[i], .data = "{ }", .len = 3};
    failed += store_write_many(s, items, N, NULL);
    store_close(s);
    return failed ? 12 : 0;
}

static void test_write_many_low_fd_limit(void **state)
{
    struct fixture *f = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_write_many_low_limit(f));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    for (unsigned k = 0; k < 4; k++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/seccomp/kscmp/ns-%u", f->root, k);
        assert_int_equal(count_entries(path), 16);
    }
}

static int count_one(const char *rel, enum store_kind kind, void *userdata)
{
    (*(unsigned *)userdata)++;
    return 0;
}

struct marked_seen {
    char *rel[8];
    bool marked[8];
    size_t n;
};

static int collect_marked(const char *rel, enum store_kind kind, bool marked, void *userdata)
{
    struct marked_seen *m = userdata;
    assert_int_equal(kind, STORE_FILE);
    assert_true(m->n < 8);
    m->rel[m->n] = strdup(rel);
    m->marked[m->n++] = marked;
    return 0;
}

/* The recording mark: made (its folder too) and seen, ignored by store_list() (no profile's
 * name), gone with its file, and then the folder goes; removed alone; a name too long for
 * ".NAME.kscmp-rec" gets a shortened one. */
/* store_lock(): one holder per kubelet root; another waits, then -EBUSY naming the folder;
 * the lock goes with its store. store_lock_holder() names the holder's pid (the standby
 * agent's log says it): none before, this process while a holds it (two open folders of one
 * process conflict as two processes do). */
static void test_lock(void **state)
{
    struct fixture *f = *state;
    struct store *a = open_ok(f), *b = open_ok(f);
    struct kerr err = {0};
    assert_int_equal(store_lock_holder(b), 0);
    assert_int_equal(store_lock(a, 0, &err), 0);
    assert_int_equal(store_lock(a, 0, &err), 0); /* again: held already */
    assert_int_equal(store_lock(b, 300, &err), -EBUSY);
    assert_non_null(strstr(err.msg, "seccomp/kscmp: another kscmp agent writes there"));
    if (access("/proc/locks", R_OK) == 0)
        assert_int_equal(store_lock_holder(b), (long)getpid());
    store_close(a);
    assert_int_equal(store_lock_holder(b), 0);
    kerr_clear(&err);
    assert_int_equal(store_lock(b, 0, &err), 0);
    store_close(b);
}

static void test_recording_mark(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    struct kerr err = {0};
    assert_false(store_recording_mark(s, "demo/web.json"));
    assert_int_equal(store_set_recording_mark(s, "demo/web.json", false, &err), 0); /* none */
    assert_int_equal(store_set_recording_mark(s, "demo/web.json", true, &err), 0);
    assert_true(store_recording_mark(s, "demo/web.json"));
    struct stat st;
    assert_int_equal(stat(at(f, "seccomp/kscmp/demo/.web.json.kscmp-rec"), &st), 0);
    write_ok(s, "demo/web.json", "{}", true);
    unsigned n = 0;
    assert_int_equal(store_list(s, count_one, &n, &err), 0);
    assert_int_equal(n, 1);
    bool removed = false;
    assert_int_equal(store_remove(s, "demo/web.json", &removed, &err), 0);
    assert_true(removed);
    assert_false(store_recording_mark(s, "demo/web.json"));
    assert_int_equal(stat(at(f, "seccomp/kscmp/demo"), &st), -1); /* the folder went too */

    write_ok(s, "demo/web.json", "{}", true);
    assert_int_equal(store_set_recording_mark(s, "demo/web.json", true, &err), 0);
    assert_int_equal(store_set_recording_mark(s, "demo/web.json", true, &err), 0); /* again */
    assert_int_equal(store_set_recording_mark(s, "demo/web.json", false, &err), 0);
    assert_false(store_recording_mark(s, "demo/web.json"));
    _cleanup_free_ char *got = slurp(at(f, "seccomp/kscmp/demo/web.json"));
    assert_string_equal(got, "{}");

    char rel[300];
    memset(rel, 0, sizeof(rel));
    strcpy(rel, "demo/");
    memset(rel + 5, 'a', 250);
    strcpy(rel + 255, ".json");
    assert_int_equal(store_set_recording_mark(s, rel, true, &err), 0);
    assert_true(store_recording_mark(s, rel));
    assert_false(store_recording_mark(s, "demo/web.json"));
    /* store_list_marked() tells the same from one walk: the long name marked (its file
     * written), web.json not; a mark whose file is gone lists nothing. */
    write_ok(s, rel, "{}", true);
    write_ok(s, "demo/zz.json", "{}", true);
    assert_int_equal(store_set_recording_mark(s, "demo/zz.json", true, &err), 0);
    assert_int_equal(store_set_recording_mark(s, "demo/gone.json", true, &err), 0);
    struct marked_seen seen = {0};
    assert_int_equal(store_list_marked(s, collect_marked, &seen, &err), 0);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.rel[0], rel);
    assert_true(seen.marked[0]);
    assert_string_equal(seen.rel[1], "demo/web.json");
    assert_false(seen.marked[1]);
    assert_string_equal(seen.rel[2], "demo/zz.json");
    assert_true(seen.marked[2]);
    for (size_t i = 0; i < seen.n; i++)
        free(seen.rel[i]);
    assert_int_equal(store_set_recording_mark(s, rel, false, &err), 0);
    assert_false(store_recording_mark(s, rel));
    assert_int_equal(store_set_recording_mark(s, "../web.json", true, &err), -EINVAL);
    store_close(s);
}

/* Open descriptors of this process (those of /proc/self/fd, less the one reading it). */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;
}

/* store_write_many(): each item as store_write() would have it (written, unchanged,
 * refused), files in several folders and more than one chunk of them (a folder opened once
 * per chunk serves its other files: none is left open; a link in place of a folder is
 * replaced by the folder, which then serves both of its files), no temporary left, and the
 * tick called between the waits. */
static unsigned ticks;

static void count_tick(void *userdata)
{
    (*(unsigned *)userdata)++;
}

static void test_write_many(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_ok(s, "a/same.json", "same", true);
    assert_int_equal(symlink(f->outside, at(f, "seccomp/kscmp/linked")), 0);

    enum { N = 75 }; /* more than one chunk */
    struct store_item items[N + 4];
    char rels[N][32], data[N][32];
    for (unsigned i = 0; i < N; i++) {
        snprintf(rels[i], sizeof(rels[i]), "ns-%u/f-%u.json", i % 3, i);
        snprintf(data[i], sizeof(data[i]), "content %u", i);
        items[i] = (struct store_item){.rel = rels[i], .data = data[i], .len = strlen(data[i])};
    }
    items[N] = (struct store_item){.rel = "a/same.json", .data = "same", .len = 4};
    items[N + 1] = (struct store_item){.rel = "linked/x.json", .data = "mine", .len = 4};
    items[N + 2] = (struct store_item){.rel = "../x.json", .data = "mine", .len = 4};
    items[N + 3] = (struct store_item){.rel = "linked/y.json", .data = "mine", .len = 4};
    ticks = 0;
    struct store_tick tick = {.fn = count_tick, .userdata = &ticks};
    int fds = count_fds();
    assert_int_equal(store_write_many(s, items, N + 4, &tick), 1);
    assert_int_equal(count_fds(), fds);

    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(items[i].r, 0);
        assert_true(items[i].changed);
    }
    for (unsigned i = 0; i < N; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/seccomp/kscmp/%s", f->root, rels[i]);
        _cleanup_free_ char *got = slurp(path);
        assert_string_equal(got, data[i]);
    }
    assert_int_equal(items[N].r, 0);
    assert_false(items[N].changed);
    /* The link in place of the folder "linked" removed, the folder made, both files in it. */
    assert_int_equal(items[N + 1].r, 0);
    assert_true(items[N + 1].changed);
    assert_int_equal(items[N + 2].r, -EINVAL);
    assert_int_equal(items[N + 3].r, 0);
    assert_int_equal(count_entries(at(f, "seccomp/kscmp/linked")), 2);
    /* Three folders of 25 files, nothing else in them (no temporary), nothing outside. */
    for (unsigned k = 0; k < 3; k++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/seccomp/kscmp/ns-%u", f->root, k);
        assert_int_equal(count_entries(path), N / 3);
    }
    assert_int_equal(count_entries(f->outside), 0);
    /* A tick after each file's flush and each folder's (at least once per chunk). */
    assert_true(ticks >= N);

    /* The same again: nothing changes, nothing is flushed. */
    for (unsigned i = 0; i < N; i++)
        items[i].changed = true;
    ticks = 0;
    assert_int_equal(store_write_many(s, items, N, &tick), 0);
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(items[i].r, 0);
        assert_false(items[i].changed);
    }
    assert_int_equal(ticks, 0);
    store_close(s);
}

/* The version a write replaces is held open across the rename and then closed, once: inline
 * without a reaper (nothing is left open when store_write() returns), on the reaper's thread
 * with one (nothing is left open once store_close() has stopped it). Each kind of
 * replacement: another size, the same size with other bytes, the same bytes (not opened to
 * be held), a file that is not regular (never opened). */
static void replace_each_way(struct fixture *f, struct store *s, int base, bool inline_close)
{
    write_ok(s, "demo/a.json", "version one", true);
    write_ok(s, "demo/a.json", "version two, longer", true);
    if (inline_close)
        assert_int_equal(count_fds(), base);
    write_ok(s, "demo/a.json", "VERSION TWO, LONGER", true);
    write_ok(s, "demo/a.json", "VERSION TWO, LONGER", false);
    assert_int_equal(mkfifo(at(f, "seccomp/kscmp/demo/b.json"), 0644), 0);
    write_ok(s, "demo/b.json", "over a fifo", true);
    if (inline_close)
        assert_int_equal(count_fds(), base);
    _cleanup_free_ char *a = slurp(at(f, "seccomp/kscmp/demo/a.json"));
    assert_string_equal(a, "VERSION TWO, LONGER");
    _cleanup_free_ char *b = slurp(at(f, "seccomp/kscmp/demo/b.json"));
    assert_string_equal(b, "over a fifo");
}

static void test_replaced_version_closed(void **state)
{
    struct fixture *f = *state;
    int before = count_fds();
    struct store *s = open_ok(f);
    replace_each_way(f, s, count_fds(), true);
    store_close(s);
    assert_int_equal(count_fds(), before);

    assert_int_equal(unlink(at(f, "seccomp/kscmp/demo/a.json")), 0);
    assert_int_equal(unlink(at(f, "seccomp/kscmp/demo/b.json")), 0);
    s = open_ok(f);
    assert_int_equal(store_start_reaper(s), 0);
    assert_int_equal(store_start_reaper(s), 0); /* once is enough */
    replace_each_way(f, s, 0, false);
    /* Many replacements, each handing one descriptor over. */
    for (int i = 0; i < 300; i++) {
        char v[32];
        snprintf(v, sizeof(v), "version %d%s", i, i % 2 ? "" : " (even)");
        write_ok(s, "demo/a.json", v, true);
    }
    store_close(s);
    assert_int_equal(count_fds(), before);
}

/* The events a watch of a namespace folder for every change (what the reconciler watches)
 * gets for the files store_write_many() and store_write() write. */
struct events {
    unsigned total;
    unsigned moved_to; /* onto a profile's name */
    unsigned other;    /* anything else under a profile's name */
};

static void events_read(int fd, struct events *ret)
{
    *ret = (struct events){0};
    char buf[1 << 16] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;)
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof(*ev) + ev->len;
            ret->total++;
            if (ev->len && ev->name[0] != '.')
                *(ev->mask & IN_MOVED_TO ? &ret->moved_to : &ret->other) += 1;
        }
}

/* A file written queues at most 5 events on its folder's watch (it queued 5 when the watch
 * had no IN_MODIFY, 7 with it: the chmod of the temporary and its date, each an event of its
 * own): the temporary's IN_CREATE, IN_MODIFY (its bytes and date, queued as one), IN_CLOSE_WRITE
 * and IN_MOVED_FROM, and the IN_MOVED_TO of the rename, the one event under the profile's own
 * name (but for a write whose rename falls in a later second than its date: an IN_MODIFY more;
 * and a temporary whose flush ends in a later second is dated again, an IN_MODIFY more on it:
 * allowed only when the writes spanned the end of a second, as they did on a loaded machine). */
static void test_write_events(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_ok(s, "demo/first.json", "1", true);
    mode_t mask = umask(022);
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    assert_true(fd >= 0);
    assert_true(inotify_add_watch(fd, at(f, "seccomp/kscmp/demo"),
                                  IN_CREATE | IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE |
                                      IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE) >= 0);
    enum { N = 40 }; /* more than one chunk */
    struct store_item items[N];
    char rels[N][32];
    for (unsigned round = 0; round < 2; round++) { /* new files, then new versions of them */
        for (unsigned i = 0; i < N; i++) {
            snprintf(rels[i], sizeof(rels[i]), "demo/f-%u.json", i);
            items[i] = (struct store_item){.rel = rels[i], .data = round ? "v2" : "v1", .len = 2};
        }
        struct timespec t0, t1;
        clock_gettime(CLOCK_REALTIME, &t0);
        assert_int_equal(store_write_many(s, items, N, NULL), 0);
        clock_gettime(CLOCK_REALTIME, &t1);
        unsigned redated = t0.tv_sec != t1.tv_sec ? N : 0;
        struct events ev;
        events_read(fd, &ev);
        assert_int_equal(ev.moved_to, N);
        assert_true(ev.other <= 1);
        if (ev.total > 5 * N + ev.other + redated)
            fail_msg("%u events for %u files (%u may be dated again)", ev.total, N, redated);
    }
    write_ok(s, "demo/first.json", "2", true);
    struct events one;
    events_read(fd, &one);
    assert_int_equal(one.moved_to, 1);
    assert_true(one.total <= 5 + one.other);
    /* Whatever the umask, the mode is 0644 (a chmod then: one event more). */
    umask(077);
    write_ok(s, "demo/first.json", "3", true);
    struct stat st;
    assert_int_equal(lstat(at(f, "seccomp/kscmp/demo/first.json"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    umask(mask);
    close(fd);
    store_close(s);
}

static void test_remove(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    struct kerr err = {0};
    write_ok(s, "demo/a.json", "a", true);
    write_ok(s, "demo/b.json", "b", true);

    bool removed = false;
    assert_int_equal(store_remove(s, "demo/a.json", &removed, &err), 0);
    assert_true(removed);
    assert_int_equal(access(at(f, "seccomp/kscmp/demo/a.json"), F_OK), -1);
    assert_int_equal(access(at(f, "seccomp/kscmp/demo"), F_OK), 0);

    assert_int_equal(store_remove(s, "demo/b.json", &removed, &err), 0);
    assert_true(removed);
    assert_int_equal(access(at(f, "seccomp/kscmp/demo"), F_OK), -1);
    assert_int_equal(access(at(f, "seccomp/kscmp"), F_OK), 0);

    /* Already absent, namespace folder absent: fine, and nothing removed. */
    assert_int_equal(store_remove(s, "demo/b.json", &removed, &err), 0);
    assert_false(removed);
    assert_int_equal(store_remove(s, "other/b.json", &removed, &err), 0);
    assert_false(removed);
    /* Absent from a namespace folder someone emptied: the folder goes. */
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/demo"), 0755), 0);
    assert_int_equal(store_remove(s, "demo/b.json", &removed, &err), 0);
    assert_false(removed);
    assert_int_equal(access(at(f, "seccomp/kscmp/demo"), F_OK), -1);

    /* A link at the name is removed itself; its target stays. A FIFO goes too. */
    char victim[PATH_MAX];
    snprintf(victim, sizeof(victim), "%s/victim.json", f->outside);
    write_file(victim, "victim");
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/demo"), 0755), 0);
    assert_int_equal(symlink(victim, at(f, "seccomp/kscmp/demo/web.json")), 0);
    assert_int_equal(mkfifo(at(f, "seccomp/kscmp/demo/fifo.json"), 0644), 0);
    assert_int_equal(store_remove(s, "demo/web.json", &removed, &err), 0);
    assert_true(removed);
    assert_int_equal(store_remove(s, "demo/fifo.json", &removed, &err), 0);
    assert_true(removed);
    assert_int_equal(access(at(f, "seccomp/kscmp/demo"), F_OK), -1);
    _cleanup_free_ char *vgot = slurp(victim);
    assert_string_equal(vgot, "victim");
    store_close(s);
}

/* A 64 KiB tmpfs at f->root, mounted in a private mount namespace, so that nothing leaks on a
 * crash; skips the test when mounting is not allowed here. */
static void mount_small_tmpfs(struct fixture *f)
{
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tmpfs", f->root, "tmpfs", 0, "size=64k,mode=0755") < 0) {
        print_message("skipped: cannot mount a tmpfs here (%s)\n", strerror(errno));
        skip();
    }
    f->mounted = true;
}

/* On a read-only file system, removing a file that is not there is no error (an unlink of it
 * fails there all the same: the agent said "unlink: Read-only file system" of files that never
 * existed); one that is there cannot be removed, and says so. */
static void test_remove_read_only(void **state)
{
    struct fixture *f = *state;
    mount_small_tmpfs(f);
    struct store *s = open_ok(f);
    write_ok(s, "demo/web.json", "{}", true);
    assert_int_equal(mkdir(at(f, "seccomp/kscmp/empty"), 0755), 0);
    assert_int_equal(mount(NULL, f->root, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);

    struct kerr err = {0};
    bool removed = true;
    uint64_t v = store_serial(s);
    assert_int_equal(store_remove(s, "demo/other.json", &removed, &err), 0);
    assert_false(removed);
    assert_int_equal(store_remove(s, "empty/other.json", &removed, &err), 0);
    assert_int_equal(store_remove(s, "gone/other.json", &removed, &err), 0);
    assert_int_equal(store_serial(s), v);
    assert_int_equal(store_remove(s, "demo/web.json", &removed, &err), -EROFS);
    assert_false(removed);
    assert_non_null(strstr(err.msg, "demo/web.json: unlink: Read-only file system"));
    store_close(s);
    assert_int_equal(umount2(f->root, 0), 0);
    f->mounted = false;
}

/* A write that fails for lack of space leaves the old file byte for byte, and no temporary.
 * Needs a small tmpfs: mounted in a private mount namespace, so nothing leaks on a crash. */
static void test_enospc_keeps_old_file(void **state)
{
    struct fixture *f = *state;
    mount_small_tmpfs(f);

    struct store *s = open_ok(f);
    char old[2048];
    for (size_t i = 0; i < sizeof(old) - 1; i++)
        old[i] = (char)('a' + i % 26);
    old[sizeof(old) - 1] = '\0';
    write_ok(s, "demo/web.json", old, true);
    struct stat before, after;
    assert_int_equal(lstat(at(f, "seccomp/kscmp/demo/web.json"), &before), 0);

    const size_t big = 256 * 1024;
    _cleanup_free_ char *buf = malloc(big);
    assert_non_null(buf);
    memset(buf, 'z', big);
    struct kerr err = {0};
    bool changed = false;
    assert_int_equal(store_write(s, "demo/web.json", buf, big, &changed, &err), -ENOSPC);
    assert_false(changed);
    assert_non_null(strstr(err.msg, "demo/web.json: write temporary"));
    assert_non_null(strstr(err.msg, ": No space left on device"));

    _cleanup_free_ char *got = slurp(at(f, "seccomp/kscmp/demo/web.json"));
    assert_string_equal(got, old);
    assert_int_equal(lstat(at(f, "seccomp/kscmp/demo/web.json"), &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(count_entries(at(f, "seccomp/kscmp/demo")), 1);

    /* A new file that does not fit leaves nothing behind either. */
    assert_int_equal(store_write(s, "demo/new.json", buf, big, NULL, &err), -ENOSPC);
    assert_int_equal(count_entries(at(f, "seccomp/kscmp/demo")), 1);

    /* And the store still works once there is room. */
    write_ok(s, "demo/web.json", "small", true);
    store_close(s);

    assert_int_equal(umount2(f->root, 0), 0);
    f->mounted = false;
}

/* In a child whose seccomp filter fails openat2() with error: the store walks its folders
 * instead, writes, refuses a link as the walk does, and reads. Exits 0 when all holds. */
static int child_without_openat2(const struct fixture *f, int error)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (uint32_t)error),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
        return 10;
    struct open_how how = {.flags = O_RDONLY};
    if (syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how)) >= 0 || errno != error)
        return 11; /* the filter does not do what this test needs */
    struct kerr err = {0};
    struct store *s = NULL;
    if (store_open(f->root, &s, &err) < 0)
        return 12;
    int rc = 0;
    if (store_write(s, "demo/web.json", "v2", 2, NULL, &err) < 0 ||
        store_write(s, "fresh/web.json", "v1", 2, NULL, &err) < 0)
        rc = 13;
    char *data = NULL;
    size_t len = 0;
    if (!rc && (store_read(s, "demo/web.json", &data, &len, &err) < 0 || len != 2 ||
                memcmp(data, "v2", 2) != 0))
        rc = 14;
    free(data);
    struct stat st;
    if (!rc && (symlink(f->outside, at(f, "seccomp/kscmp/linked")) < 0 ||
                store_write(s, "linked/web.json", "v1", 2, NULL, &err) < 0 ||
                lstat(at(f, "seccomp/kscmp/linked"), &st) < 0 || !S_ISDIR(st.st_mode) ||
                count_entries(f->outside) != 0))
        rc = 15;
    store_close(s);
    return rc;
}

static void test_without_openat2(void **state)
{
    struct fixture *f = *state;
    struct store *s = open_ok(f);
    write_ok(s, "demo/web.json", "v1", true);
    store_close(s);
    static const int errors[] = {ENOSYS, EPERM};
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(child_without_openat2(f, errors[i]));
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        _cleanup_free_ char *got = slurp(at(f, "seccomp/kscmp/fresh/web.json"));
        assert_string_equal(got, "v1");
        assert_int_equal(count_entries(f->outside), 0);
        assert_int_equal(unlink(at(f, "seccomp/kscmp/linked/web.json")), 0);
        assert_int_equal(rmdir(at(f, "seccomp/kscmp/linked")), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_folders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_keeps_existing_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_missing_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_relative_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_root_link_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_bytes_not_rewritten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_bytes_mode_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_bytes_owner_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_different_bytes_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_longest_name, setup, teardown),
        cmocka_unit_test(test_rel_valid_table),
        cmocka_unit_test_setup_teardown(test_write_invalid_rel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_as_seccomp_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_as_kscmp_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_swapped_in_after_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folders_recreated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_as_namespace_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_as_file_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_as_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_restore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kind_of, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_remove_in_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_temporaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_many_low_fd_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recording_mark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaced_version_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enospc_keeps_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_openat2, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
