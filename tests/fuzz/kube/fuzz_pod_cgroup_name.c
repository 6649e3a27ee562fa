/* fuzz_pod_cgroup_name.c - libFuzzer entry for reading a pod's cgroup folder name
 * (pod_cgroups_parse_pod_dir, node/pod_cgroups.h), as the recorder does for every folder below
 * the kubepods cgroup: the bytes are the name. Invariants: a UID comes out only with 0, and it
 * is 1 to 36 characters of lower-case hex digits and dashes that fit the buffer; a name with
 * a NUL stops there; no read or write out of bounds (ASan).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/pod_cgroups.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_pod_cgroup_name: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* The first byte picks the buffer's size (small ones too), the rest is the name. */
    size_t len = 1 + data[0] % 48;
    char *name = malloc(size);
    char *buf = malloc(len);
    if (!name || !buf) {
        free(name);
        free(buf);
        return 0;
    }
    memcpy(name, data + 1, size - 1);
    name[size - 1] = '\0';
    int r = pod_cgroups_parse_pod_dir(name, buf, len);
    if (r == 0) {
        size_t n = strnlen(buf, len);
        check(n < len, "a UID that does not fit its buffer");
        check(n >= 1 && n <= 36, "a UID of a wrong length");
        for (size_t i = 0; i < n; i++)
            check((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f') ||
                      buf[i] == '-',
                  "a UID with a character other than hex digits and dashes");
    } else {
        check(r == -EINVAL, "an error other than -EINVAL");
    }
    free(name);
    free(buf);
    return 0;
}
