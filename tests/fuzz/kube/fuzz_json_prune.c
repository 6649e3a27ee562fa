/* fuzz_json_prune.c - libFuzzer entry for the pruning JSON reader (kube/json_prune.h).
 *
 * Invariants: whenever jansson accepts the text, json_prune accepts it too (unless it nests
 * deeper than JSON_PRUNE_MAX_DEPTH: -E2BIG) and yields exactly jansson's tree pruned by the
 * same rule (a reference pruner over that tree); whatever it yields is a tree of the kept keys
 * only; a refusal says why; nothing leaks (ASan). Inputs jansson refuses may still be accepted
 * when the fault is in a part that is skipped: the kept parts are decoded by jansson itself.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/json_prune.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_json_prune: invariant broken: %s\n", what);
        abort();
    }
}

/* A pod-like rule: nested objects, arrays of objects, a whole kept value. */
static const struct prune_rule sc[] = {{"seccompProfile", NULL}, {"x", NULL}, {NULL, NULL}};
static const struct prune_rule ctr[] = {{"name", NULL}, {"securityContext", sc}, {NULL, NULL}};
static const struct prune_rule meta[] = {
    {"name", NULL}, {"namespace", NULL}, {"labels", NULL}, {NULL, NULL}};
static const struct prune_rule spec[] = {{"containers", ctr}, {"a", ctr}, {NULL, NULL}};
static const struct prune_rule top[] = {
    {"metadata", meta}, {"spec", spec}, {"items", top}, {"b", NULL}, {NULL, NULL}};

static json_t *reference(json_t *v, const struct prune_rule *keep)
{
    if (!keep || (!json_is_object(v) && !json_is_array(v)))
        return json_incref(v);
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) json_array_append_new(out, reference(e, keep));
        return out;
    }
    json_t *out = json_object();
    const char *k;
    size_t klen;
    json_t *e;
    json_object_keylen_foreach(v, k, klen, e)
    {
        for (const struct prune_rule *r = keep; r->key; r++)
            if (strlen(r->key) == klen && memcmp(r->key, k, klen) == 0)
                json_object_setn_new(out, k, klen, reference(e, r->keep));
    }
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    json_t *got = NULL;
    struct kerr err = {0};
    int r = json_prune(buf, size, top, &got, &err);
    check(r == 0 || r == -EINVAL || r == -E2BIG || r == -ENOMEM, "known result");
    check(r == 0 || err.msg[0] || r == -ENOMEM, "a refusal says why");
    json_error_t je;
    json_t *full = json_loadb(buf, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    /* jansson stops at a NUL byte; json_prune refuses it as text after the value. */
    if (full && r != -E2BIG && !memchr(buf, '\0', size)) {
        check(r == 0, "accepts what jansson accepts");
        json_t *want = reference(full, top);
        check(json_equal(got, want), "the tree jansson reads, pruned");
        json_decref(want);
    }
    json_decref(full);
    json_decref(got);
    free(buf);
    return 0;
}
