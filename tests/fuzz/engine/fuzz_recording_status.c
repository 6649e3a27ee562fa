/* fuzz_recording_status.c - libFuzzer entry for a SeccompRecording as the API server sends it:
 * recording_spec_decode of the object, then recording_status_merge of a node's share into its
 * status. Invariants: a spec error says why; the merge never fails on what the server holds
 * (malformed parts are dropped with a warning); the merged status holds the node's entry and
 * its syscalls; merging the same share again changes nothing; everything is freed. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/recording_status.h"

#define FUZZ_MAX_INPUT (256 * 1024)

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_recording_status: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    json_t *obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!obj)
        return 0;
    struct recording_spec spec = {0};
    struct kerr err = {0};
    int r = recording_spec_decode(obj, &spec, &err);
    if (r < 0)
        check(*err.msg != '\0', "an identity error says why");
    else
        check(!spec.error || *spec.error, "a spec error says why");
    struct recorded *seen = NULL;
    check(recorded_new(&seen) == 0, "recorded_new");
    recorded_add_name(seen, arch_parse("x86_64"), "read");
    recorded_add_number(seen, arch_parse("x86"), 5000);
    const char *active[] = {"p1"};
    struct recording_contribution c = {.node = "fuzz-node",
                                       .has_entry = true,
                                       .seen = seen,
                                       .pods = 1,
                                       .active = active,
                                       .nactive = 1,
                                       .missed = "m",
                                       .since = "2026-01-01T00:00:00Z"};
    json_t *out = NULL, *again = NULL;
    bool changed = false;
    char *warning = NULL;
    r = recording_status_merge(json_object_get(obj, "status"), &c, RECORDING_VALID, NULL, 1,
                               "2026-01-01T00:00:01Z", &out, &changed, &warning);
    check(r == 0 || r == -ENOMEM, "a merge does not fail on what the server holds");
    if (r == 0) {
        struct recorded *all = NULL;
        check(recording_status_syscalls(out, &all, &err) == 0, "the merged status reads back");
        check(recorded_has_name(all, "read"), "the node's syscalls are in the union");
        recorded_free(all);
        free(warning);
        warning = NULL;
        check(recording_status_merge(out, &c, RECORDING_VALID, NULL, 1, "2026-01-01T00:00:09Z",
                                     &again, &changed, &warning) == 0,
              "merging again works");
        check(!changed && json_equal(out, again), "merging the same share again changes nothing");
    }
    free(warning);
    json_decref(out);
    json_decref(again);
    recorded_free(seen);
    recording_spec_clear(&spec);
    json_decref(obj);
    return 0;
}
