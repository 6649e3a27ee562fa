/* fuzz_node_taint.c - libFuzzer entry for the Node taint patch (kube/node_taint.h): the bytes
 * are a Node as the API server would answer, patched to add and to remove the taint.
 * Invariants: the verdict is 1, 0, -EINVAL or -ENOMEM; a failure says why and returns nothing;
 * a patch is a JSON object carrying a resourceVersion, whose taints hold ours exactly once
 * after an add and never after a remove, and every other taint of the Node; everything is
 * freed (ASan).
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/node_taint.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_node_taint: invariant broken: %s\n", what);
        abort();
    }
}

static size_t count_ours(json_t *taints, size_t *others)
{
    size_t i, n = 0;
    json_t *t;
    *others = 0;
    json_array_foreach(taints, i, t)
    {
        const char *k = json_string_value(json_object_get(t, "key"));
        if (k && !strcmp(k, NODE_TAINT_KEY))
            n++;
        else
            (*others)++;
    }
    return n;
}

static void once(const uint8_t *data, size_t size, bool add)
{
    char *p = (char *)&p;
    struct kerr err = {0};
    int r = node_taint_patch((const char *)data, size, add, &p, &err);
    if (r == -ENOMEM)
        return;
    check(r == 0 || r == 1 || r == -EINVAL, "the verdict is 1, 0 or -EINVAL");
    if (r <= 0) {
        check(p == (char *)&p, "no patch unless one is needed");
        check(r == 0 || (err.code == r && *err.msg), "an error says why");
        return;
    }
    json_t *patch = json_loads(p, 0, NULL);
    check(json_is_object(patch), "the patch is a JSON object");
    const char *rv =
        json_string_value(json_object_get(json_object_get(patch, "metadata"), "resourceVersion"));
    check(rv && *rv, "the patch carries the resourceVersion");
    json_t *taints = json_object_get(json_object_get(patch, "spec"), "taints");
    check(json_is_array(taints) || json_is_null(taints), "spec.taints is a list or null");
    size_t others = 0, node_others = 0;
    size_t ours = count_ours(taints, &others);
    check(add ? ours == 1 : ours == 0, "ours once after an add, never after a remove");
    json_t *node = json_loadb((const char *)data, size, 0, NULL);
    count_ours(json_object_get(json_object_get(node, "spec"), "taints"), &node_others);
    check(others == node_others, "every other taint is kept");
    json_decref(node);
    json_decref(patch);
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    once(data, size, true);
    once(data, size, false);
    return 0;
}
