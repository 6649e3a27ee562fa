/* fuzz_agent_pod.c - libFuzzer entry for what `kubectl kscmp status` reads of an agent pod
 * (kube/agent_pods.h): the bytes are a Pod in JSON as the API server returns it. Invariants:
 * the line is NUL-terminated within the buffer for every size, ends in "..." when cut, and
 * the DaemonSet uid found is a non-empty string; everything is freed (ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/agent_pods.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_agent_pod: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *pod = json_loadb((const char *)data, size, JSON_DECODE_ANY, &e);
    if (!pod)
        return 0;
    (void)agent_pod_ready(pod);
    const char *uid = agent_pod_daemonset_uid(pod);
    check(!uid || *uid, "an empty DaemonSet uid");
    char full[AGENT_WHY_QUOTE + 200];
    agent_pod_why(pod, full, sizeof(full));
    check(memchr(full, '\0', sizeof(full)) != NULL, "no NUL in the line");
    size_t n = strlen(full);
    for (size_t cut = 1; cut <= 24; cut += 7) {
        char small[24];
        memset(small, 0x7f, sizeof(small));
        agent_pod_why(pod, small, cut);
        check(memchr(small, '\0', cut) != NULL, "no NUL within a small buffer");
        if (n >= cut && cut > 4)
            check(strcmp(small + cut - 4, "...") == 0, "a cut line without ...");
        else if (n < cut)
            check(strcmp(small, full) == 0, "a line that fits differs from the full one");
    }
    json_decref(pod);
    return 0;
}
