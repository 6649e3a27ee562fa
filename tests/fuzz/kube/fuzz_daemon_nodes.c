/* fuzz_daemon_nodes.c - libFuzzer entry for whether a DaemonSet puts its pod on a node
 * (kube/daemon_nodes.h): the bytes are JSON, [POD_SPEC, NODE] (any other value is both).
 * Invariants: daemon_keeps_off() says so exactly when it writes a reason, and whenever a
 * taint is not tolerated, the nodeSelector or the required affinity does not select the node;
 * the line is NUL-terminated within the buffer for every size and ends in "..." when cut; a
 * toleration of every taint (operator Exists, no key) leaves no taint untolerated, and each
 * taint found is one of the node's that no toleration of the pod spec tolerates; everything
 * is freed (ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/daemon_nodes.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_daemon_nodes: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *in = json_loadb((const char *)data, size, JSON_DECODE_ANY, &e);
    if (!in)
        return 0;
    json_t *spec = json_is_array(in) ? json_array_get(in, 0) : in;
    json_t *node = json_is_array(in) ? json_array_get(in, 1) : in;

    size_t more = 0;
    json_t *taint = daemon_untolerated_taint(spec, node, &more);
    check(taint || more == 0, "other taints counted without a first");
    if (taint) {
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(spec, "tolerations"), i, t)
            check(!toleration_tolerates(t, taint), "a tolerated taint reported");
        json_t *all = json_pack("{s:[{s:s}]}", "tolerations", "operator", "Exists");
        check(all != NULL, "no memory");
        check(daemon_untolerated_taint(all, node, NULL) == NULL,
              "a taint untolerated by a toleration of everything");
        check(toleration_tolerates(json_array_get(json_object_get(all, "tolerations"), 0), taint),
              "operator Exists with no key does not tolerate a taint");
        json_decref(all);
    }
    json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
    const char *key = NULL;
    bool selected = node_selector_matches(json_object_get(spec, "nodeSelector"), labels, &key);
    check(selected || key != NULL, "a nodeSelector mismatch without its key");
    bool affine = node_affinity_matches(json_object_get(spec, "affinity"), node);
    (void)node_not_ready(node);

    char full[1024];
    bool off = daemon_keeps_off(spec, node, "ns/ds", full, sizeof(full));
    check(memchr(full, '\0', sizeof(full)) != NULL, "no NUL in the line");
    check(off == (full[0] != '\0'), "kept off without a reason, or a reason without it");
    check(off == (taint || !selected || !affine), "kept off for another reason than the three");
    size_t n = strlen(full);
    for (size_t cut = 1; cut <= 40; cut += 13) {
        char small[40];
        memset(small, 0x7f, sizeof(small));
        check(daemon_keeps_off(spec, node, "ns/ds", small, cut) == off,
              "the answer depends on the buffer");
        check(memchr(small, '\0', cut) != NULL, "no NUL within a small buffer");
        if (n >= cut && cut > 4)
            check(strcmp(small + cut - 4, "...") == 0, "a cut line without ...");
        else if (n < cut)
            check(strcmp(small, full) == 0, "a line that fits differs from the full one");
    }
    json_decref(in);
    return 0;
}
