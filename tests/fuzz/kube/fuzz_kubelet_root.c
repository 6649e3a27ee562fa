/* fuzz_kubelet_root.c - libFuzzer entry for the kubelet root check (node/kubelet_root.h): the
 * bytes are a pod's /proc/self/mountinfo, checked against two roots. Invariants: the verdict is
 * 1, 0 or -EINVAL (or -ENOMEM); a verdict of 0 or 1 comes with a note, -EINVAL with a message
 * that names --kubelet-root and leaves the note untouched; everything is freed (ASan).
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    check_once(data, size, "/var/lib/kubelet");
    check_once(data, size, "/k/");
    return 0;
}
