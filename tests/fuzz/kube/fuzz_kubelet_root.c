/* fuzz_kubelet_root.c - libFuzzer entry for the kubelet root check (node/kubelet_root.h): the
 * bytes are a pod's /proc/self/mountinfo, checked against two roots. Invariants: the verdict is
 * 1, 0 or -EINVAL (or -ENOMEM); a verdict of 0 or 1 comes with a note, -EINVAL with a message
 * that names --kubelet-root and leaves the note untouched; everything is freed (ASan). The same
 * bytes go to kubelet_mount_of(): a mount found holds the path (its point is the path or a
 * folder above it), its root and point are absolute, and it is the same as itself.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/kubelet_root.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_kubelet_root: invariant broken: %s\n", what);
        abort();
    }
}

static void check_once(const uint8_t *data, size_t size, const char *root)
{
    char *note = (char *)&note; /* a sentinel: must stay on failure */
    struct kerr err = {0};
    int r = kubelet_root_check((const char *)data, size, root, &note, &err);
    if (r == -ENOMEM)
        return;
    check(r == 0 || r == 1 || r == -EINVAL, "the verdict is 1, 0 or -EINVAL");
    if (r < 0) {
        check(note == (char *)&note, "a failure returns no note");
        check(err.code == r && strstr(err.msg, "--kubelet-root") != NULL,
              "an error names the flag");
        return;
    }
    check(note != (char *)&note && note != NULL && *note, "a verdict comes with a note");
    free(note);
}

static void check_mount(const uint8_t *data, size_t size, const char *path)
{
    static struct kubelet_mount m;
    memset(&m, 0x5a, sizeof(m));
    int r = kubelet_mount_of((const char *)data, size, path, &m);
    if (r == -ENOMEM)
        return;
    check(r == 0 || r == 1, "kubelet_mount_of() finds one or none");
    if (r == 0)
        return;
    size_t n = strnlen(m.point, sizeof(m.point));
    check(n < sizeof(m.point) && strnlen(m.root, sizeof(m.root)) < sizeof(m.root),
          "the mount's fields are strings");
    check(m.point[0] == '/' && m.root[0] == '/', "the mount's fields are absolute");
    check(n == 1 || (strncmp(m.point, path, n) == 0 && (path[n] == '\0' || path[n] == '/')),
          "the mount found holds the path");
    check(kubelet_mount_same(&m, &m), "a mount is the same as itself");
    (void)kubelet_mount_deleted(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    check_once(data, size, "/var/lib/kubelet");
    check_once(data, size, "/k/");
    check_mount(data, size, "/var/lib/kubelet/seccomp");
    check_mount(data, size, "/k");
    return 0;
}
