/* fuzz_event_lookup.c - libFuzzer entry for the answer to a restarted agent's Event lookup
 * (pod_events_find_posted, kube/pod_events.h): the bytes are an EventList in JSON as the API
 * server returns it. Invariants: a name is found only with 0, and then it is a DNS-1123
 * subdomain (it goes into a request path) and the count is 1 to INT32_MAX - 1; otherwise the
 * out-parameters are left alone; everything is freed (ASan).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/names.h"
#include "kube/pod_events.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_event_lookup: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = NULL;
    int64_t count = -1;
    struct kerr err = {0};
    int r =
        pod_events_find_posted((const char *)data, size, "0b1c-uid",
                               "no policy for kscmp/demo/web.json", "node-a", &name, &count, &err);
    if (r == 0) {
        check(name && dns_subdomain_valid(name), "a name that is not a DNS-1123 subdomain");
        check(count >= 1 && count < INT32_MAX, "a count out of range");
    } else {
        check(r == -ENOENT || r == -EINVAL || r == -ENOMEM || r == -E2BIG, "an unknown error");
        check(!name && count == -1, "out-parameters written on failure");
    }
    free(name);
    return 0;
}
