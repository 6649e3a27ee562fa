/* test_kubelet_root.c - the --kubelet-root check against a pod's own mount table
 * (node/kubelet_root.h): agreeing roots, a wrong root on the same filesystem, the cases that
 * cannot be told, and malformed tables (never a crash, never a verdict from garbage).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "node/kubelet_root.h"

/* Lines as a kubelet v1.37 pod on containerd showed them (uid shortened). */
#define ROOTFS "101 90 0:50 / / ro,relatime - overlay overlay rw,lowerdir=/x\n"
#define HOSTS(root)                                                                                \
    "117 101 254:0 " root "/pods/7fbf8a72/etc-hosts /etc/hosts rw,relatime - ext4 /dev/vda rw\n"
#define TLOG(root)                                                                                 \
    "118 103 254:0 " root "/pods/7fbf8a72/containers/agent/488ef059 /dev/termination-log rw - "    \
    "ext4 /dev/vda rw\n"
#define SECCOMP(dev, src, point)                                                                   \
    "122 101 " dev " " src " " point " rw,relatime - ext4 /dev/vda rw\n"

static int check(const char *info, const char *root, char **note, struct kerr *err)
{
    return kubelet_root_check(info, strlen(info), root, note, err);
}

static void test_agrees(void **state)
{
    const char *info = ROOTFS HOSTS("/tmp/kn1/kubelet") TLOG("/tmp/kn1/kubelet")
        SECCOMP("254:0", "/tmp/kn1/kubelet/seccomp", "/tmp/kn1/kubelet/seccomp");
    _cleanup_free_ char *note = NULL;
    struct kerr err = {0};
    assert_int_equal(check(info, "/tmp/kn1/kubelet", &note, &err), 1);
    assert_non_null(strstr(note, "checked"));
    free(note);
    note = NULL;
    /* A trailing slash names the same folder. */
    assert_int_equal(check(info, "/tmp/kn1/kubelet//", &note, &err), 1);
}

static void test_wrong_root_same_filesystem(void **state)
{
    /* The chart said /var/lib/kubelet; this kubelet runs from /tmp/kn1/kubelet. The hostPath
     * DirectoryOrCreate made /var/lib/kubelet/seccomp, mounted where the agent looks. */
    const char *info = ROOTFS HOSTS("/tmp/kn1/kubelet")
        SECCOMP("254:0", "/var/lib/kubelet/seccomp", "/var/lib/kubelet/seccomp");
    char *note = (char *)&note; /* must stay untouched on failure */
    struct kerr err = {0};
    assert_int_equal(check(info, "/var/lib/kubelet", &note, &err), -EINVAL);
    assert_ptr_equal(note, (char *)&note);
    assert_int_equal(err.code, -EINVAL);
    assert_non_null(strstr(err.msg, "--kubelet-root /var/lib/kubelet is not this node's"));
    assert_non_null(strstr(err.msg, "/tmp/kn1/kubelet/pods"));
    assert_non_null(strstr(err.msg, "kubeletRoot"));
}

static void test_termination_log_alone(void **state)
{
    _cleanup_free_ char *note = NULL;
    struct kerr err = {0};
    const char *ok = ROOTFS TLOG("/data/k") SECCOMP("254:0", "/data/k/seccomp", "/data/k/seccomp");
    const char *bad = ROOTFS TLOG("/data/k")
        SECCOMP("254:0", "/var/lib/kubelet/seccomp", "/var/lib/kubelet/seccomp");
    assert_int_equal(check(ok, "/data/k", &note, &err), 1);
    assert_int_equal(check(bad, "/var/lib/kubelet", &note, &err), -EINVAL);
}

static void test_root_is_filesystem_root(void **state)
{
    /* The kubelet root is a filesystem of its own: paths within it start at "/". */
    const char *info =
        ROOTFS "117 101 8:17 /pods/u1/etc-hosts /etc/hosts rw - ext4 /dev/sdb1 rw\n" SECCOMP(
            "8:17", "/seccomp", "/var/lib/kubelet/seccomp");
    _cleanup_free_ char *note = NULL;
    struct kerr err = {0};
    assert_int_equal(check(info, "/var/lib/kubelet", &note, &err), 1);
}

static void test_cannot_tell(void **state)
{
    struct kerr err = {0};
    const char *cases[] = {
        /* not in a pod: a machine's own table */
        "22 1 254:0 / / rw - ext4 /dev/vda rw\n",
        /* in a pod, the seccomp folder not mounted */
        ROOTFS HOSTS("/var/lib/kubelet"),
        /* in a pod, the seccomp folder from another filesystem */
        ROOTFS HOSTS("/var/lib/kubelet") SECCOMP("8:1", "/seccomp", "/var/lib/kubelet/seccomp"),
        /* /etc/hosts not from a kubelet's pods folder */
        ROOTFS "117 101 254:0 /etc/hosts /etc/hosts rw - ext4 /dev/vda rw\n" SECCOMP(
            "254:0", "/x/seccomp", "/var/lib/kubelet/seccomp"),
        "",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        _cleanup_free_ char *note = NULL;
        assert_int_equal(check(cases[i], "/var/lib/kubelet", &note, &err), 0);
        assert_non_null(note);
        assert_non_null(strstr(note, "not checked"));
    }
}

static void test_escapes_and_stacking(void **state)
{
    /* Spaces are \040 in mountinfo; the last mount on a point is the visible one. */
    const char *info = ROOTFS HOSTS("/srv/my\\040kubelet")
        SECCOMP("254:0", "/other/seccomp", "/srv/my\\040kubelet/seccomp")
            SECCOMP("254:0", "/srv/my\\040kubelet/seccomp", "/srv/my\\040kubelet/seccomp");
    _cleanup_free_ char *note = NULL;
    struct kerr err = {0};
    assert_int_equal(check(info, "/srv/my kubelet", &note, &err), 1);
}

static void test_relative_root(void **state)
{
    char *note = NULL;
    struct kerr err = {0};
    assert_int_equal(check(ROOTFS, "var/lib/kubelet", &note, &err), -EINVAL);
    assert_null(note);
    assert_non_null(strstr(err.msg, "not an absolute path"));
}

static void test_malformed(void **state)
{
    /* Garbage around a valid pair: ignored lines, the same verdict. */
    static char long_line[3 * 4096 + 64];
    memset(long_line, 'a', sizeof(long_line) - 1);
    memcpy(long_line, "1 2 254:0 /", 11);
    long_line[sizeof(long_line) - 2] = '\n';
    const char *junk[] = {
        "x\n",
        "1 2\n",
        "1 2 254 /a /etc/hosts\n",
        "1 2 :0 /a /etc/hosts\n",
        "1 2 254:x /a /etc/hosts\n",
        "1 2 99999999999:0 /tmp/kn1/kubelet/pods/u/etc-hosts /etc/hosts\n",
        "1 2 254:0 relative /etc/hosts\n",
        "1 2 254:0 /pods/u/etc-hosts\n",
        "1 2 254:0 /etc-hosts /etc/hosts\n",
        "1 2 254:0 /u/etc-hosts /etc/hosts\n",
        "1 2 254:0 /a\\ /b\n",
        "1 2 254:0 /a\\7 /b\n",
        "\n\n   \n",
        long_line,
    };
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        char buf[16384];
        snprintf(buf, sizeof(buf), "%s%s%s", HOSTS("/k"), junk[i],
                 SECCOMP("254:0", "/k/seccomp", "/k/seccomp"));
        _cleanup_free_ char *note = NULL;
        struct kerr err = {0};
        assert_int_equal(kubelet_root_check(buf, strlen(buf), "/k", &note, &err), 1);
        /* Alone, a junk line is no evidence of anything. */
        free(note);
        note = NULL;
        assert_int_equal(kubelet_root_check(junk[i], strlen(junk[i]), "/k", &note, &err), 0);
    }
    /* No NUL needed: the length bounds the read. */
    const char *info = HOSTS("/k") SECCOMP("254:0", "/k/seccomp", "/k/seccomp");
    _cleanup_free_ char *copy = malloc(strlen(info));
    memcpy(copy, info, strlen(info));
    _cleanup_free_ char *note = NULL;
    struct kerr err = {0};
    assert_int_equal(kubelet_root_check(copy, strlen(info), "/k", &note, &err), 1);
}

static int mount_of(const char *info, const char *path, struct kubelet_mount *m)
{
    return kubelet_mount_of(info, strlen(info), path, m);
}

static void test_mount_of(void **state)
{
    /* The agent's container: the seccomp folder is a bind mount of the host's. */
    const char *info = ROOTFS HOSTS("/var/lib/kubelet")
        SECCOMP("254:0", "/var/lib/kubelet/seccomp",
                "/var/lib/kubelet/seccomp") "130 101 0:60 / /var/lib/kubelet/seccomp/kscmp/x rw - "
                                            "tmpfs tmpfs rw\n"
                                            "131 101 0:61 / /var/lib/kubelet/seccomp2 rw - tmpfs "
                                            "tmpfs rw\n";
    _cleanup_free_ struct kubelet_mount *m = malloc(sizeof(*m));
    _cleanup_free_ struct kubelet_mount *m2 = malloc(sizeof(*m2));
    assert_int_equal(mount_of(info, "/var/lib/kubelet/seccomp", m), 1);
    assert_int_equal(m->id, 122);
    assert_int_equal(m->major, 254);
    assert_string_equal(m->root, "/var/lib/kubelet/seccomp");
    assert_string_equal(m->point, "/var/lib/kubelet/seccomp");
    assert_false(kubelet_mount_deleted(m));
    assert_true(kubelet_mount_same(m, m));
    /* A folder below it: the same mount; a sibling whose name starts alike is not held by
     * seccomp2's mount; a mount below the path does not hold it. */
    assert_int_equal(mount_of(info, "/var/lib/kubelet/seccomp/kscmp", m2), 1);
    assert_true(kubelet_mount_same(m, m2));
    /* Outside it: the root file system's mount. */
    assert_int_equal(mount_of(info, "/var/lib/kubelet", m2), 1);
    assert_int_equal(m2->id, 101);
    assert_string_equal(m2->point, "/");
    assert_false(kubelet_mount_same(m, m2));
    /* A name that only starts like the mount point is not below it. */
    assert_int_equal(mount_of(info, "/var/lib/kubelet/seccompx/a", m2), 1);
    assert_int_equal(m2->id, 101);
    assert_int_equal(mount_of(info, "relative/seccomp", m2), -EINVAL);
    /* No line holds the path (no "/" mount listed). */
    assert_int_equal(mount_of(SECCOMP("254:0", "/a", "/b"), "/c", m2), 0);
}

static void test_mount_moved_or_removed(void **state)
{
    /* The host's folder moved away (a new one made at its name), then removed: the mount
     * shows it, as kernel 6.18 did. */
    _cleanup_free_ struct kubelet_mount *was = malloc(sizeof(*was));
    _cleanup_free_ struct kubelet_mount *now = malloc(sizeof(*now));
    const char *point = "/var/lib/kubelet/seccomp";
    assert_int_equal(
        mount_of(ROOTFS SECCOMP("254:0", "/var/lib/kubelet/seccomp", "/var/lib/kubelet/seccomp"),
                 point, was),
        1);
    assert_int_equal(
        mount_of(ROOTFS SECCOMP("254:0", "/var/lib/old", "/var/lib/kubelet/seccomp"), point, now),
        1);
    assert_false(kubelet_mount_same(was, now));
    assert_false(kubelet_mount_deleted(now));
    assert_int_equal(
        mount_of(ROOTFS SECCOMP("254:0", "/var/lib/old//deleted", "/var/lib/kubelet/seccomp"),
                 point, now),
        1);
    assert_true(kubelet_mount_deleted(now));
    /* A folder named "deleted" is not a removed one. */
    assert_int_equal(
        mount_of(ROOTFS SECCOMP("254:0", "/var/lib/deleted", "/var/lib/kubelet/seccomp"), point,
                 now),
        1);
    assert_false(kubelet_mount_deleted(now));
    /* Something mounted on top of it: the last line on the point, another ID. */
    assert_int_equal(
        mount_of(
            ROOTFS SECCOMP("254:0", "/var/lib/kubelet/seccomp",
                           "/var/lib/kubelet/seccomp") "140 122 0:70 / /var/lib/kubelet/seccomp rw "
                                                       "- tmpfs t rw\n",
            point, now),
        1);
    assert_int_equal(now->id, 140);
    assert_false(kubelet_mount_same(was, now));
    /* Escapes decoded: a folder with a space in its name. */
    assert_int_equal(
        mount_of(ROOTFS SECCOMP("254:0", "/my\\040dir//deleted", "/var/lib/kubelet/seccomp"), point,
                 now),
        1);
    assert_string_equal(now->root, "/my dir//deleted");
    assert_true(kubelet_mount_deleted(now));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agrees),
        cmocka_unit_test(test_wrong_root_same_filesystem),
        cmocka_unit_test(test_termination_log_alone),
        cmocka_unit_test(test_root_is_filesystem_root),
        cmocka_unit_test(test_cannot_tell),
        cmocka_unit_test(test_escapes_and_stacking),
        cmocka_unit_test(test_relative_root),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_mount_of),
        cmocka_unit_test(test_mount_moved_or_removed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
