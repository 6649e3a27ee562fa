/* fuzz_stale_event.c - libFuzzer entry for reading a ProfileStale Event (kube/stale_pods.h),
 * as kubectl kscmp explain pod and status do with what the API server returns: the bytes are
 * an Event in JSON. Invariants: facts, when there are any, name a file (a string) and a
 * change (a string), and their containers are null or an array of non-empty strings; a
 * container that is not running, or that the Event does not name, is not stale; one that is
 * stale when started late is stale when started early; everything is freed (ASan).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/stale_pods.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_stale_event: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *ev = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!ev)
        return 0;
    json_t *f = stale_event_facts(ev);
    json_decref(ev);
    if (!f)
        return 0;
    const char *file = json_string_value(json_object_get(f, "file"));
    const char *changed = json_string_value(json_object_get(f, "changed"));
    json_t *names = json_object_get(f, "containers");
    check(file != NULL, "facts without a file");
    check(changed != NULL, "facts without a change");
    check(json_is_null(names) || json_is_array(names), "containers neither null nor a list");
    const char *rel = strncmp(file, "kscmp/", 6) == 0 ? file + 6 : file;
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        const char *n = json_string_value(v);
        check(n && *n, "a container name that is empty or not a string");
        /* Held for a late start, it holds for an earlier one: a restart ends it, never starts it.
         */
        check(!stale_facts_hold(f, rel, n, INT64_MAX / 2) || stale_facts_hold(f, rel, n, 1),
              "stale when started late but not when started early");
    }
    check(!stale_facts_hold(f, rel, "x", 0), "a container that is not running is stale");
    check(json_is_null(names) || json_array_size(names) > 0 || !stale_facts_hold(f, rel, "x", 1),
          "a container the Event does not name is stale");
    json_decref(f);
    return 0;
}
