/* fuzz_json_doc.c - libFuzzer entry for objects as the API server sends them:
 * JSON bytes -> json_loadb (size cap) -> ydoc_from_json -> decode_object, with file "" as the
 * agent passes it. Invariants checked: every error carries a message, a decoded policy or pod
 * has a valid identity, everything is freed (ASan leak detection).
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/decode.h"
#include "engine/model.h"
#include "engine/doc.h"

/* The agent caps one watch line well below this; larger inputs only slow the run down. */
#define FUZZ_MAX_INPUT (256 * 1024)

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_json_doc: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    json_error_t jerr;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return 0;
    struct ynode *doc = NULL;
    struct kerr err = {0};
    int r = ydoc_from_json(j, &doc, &err);
    json_decref(j);
    if (r < 0) {
        check(r == -ENOMEM || *err.msg, "a conversion error says why");
        return 0;
    }
    check(doc != NULL && doc->line == 0, "a JSON tree has no lines");

    struct object o;
    kerr_clear(&err);
    r = decode_object(doc, "", &o, &err);
    if (r < 0) {
        check(r == -ENOMEM || (*err.msg && err.code == r), "a decode error says why");
        check(o.type == OBJ_NONE && !o.policy && !o.pod && !o.ns,
              "a failed decode returns nothing");
    } else {
        switch (o.type) {
        case OBJ_POLICY:
            check(o.policy && dns_subdomain_valid(o.policy->name), "a policy has a valid name");
            check(o.policy->kind == PK_CLUSTER ? o.policy->ns == NULL
                                               : o.policy->ns && dns_label_valid(o.policy->ns),
                  "a policy's namespace matches its kind");
            check(!o.policy->error || *o.policy->error, "an invalid policy says why");
            break;
        case OBJ_POD:
            check(o.pod && dns_subdomain_valid(o.pod->name) && dns_label_valid(o.pod->ns),
                  "a pod has a valid identity");
            for (size_t i = 0; i < o.pod->nrefs; i++)
                check(o.pod->refs[i] != NULL, "a pod's refs are strings");
            break;
        case OBJ_NAMESPACE:
            check(o.ns && dns_label_valid(o.ns->name), "a namespace has a valid name");
            break;
        default:
            check(!o.policy && !o.pod && !o.ns, "OBJ_NONE carries nothing");
        }
    }
    object_clear(&o);
    ynode_free(doc);
    return 0;
}
