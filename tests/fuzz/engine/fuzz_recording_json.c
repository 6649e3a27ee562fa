/* fuzz_recording_json.c - libFuzzer entry for a SeccompRecording's status as the API server
 * sends it: {"syscalls": {...}, "unknownSyscalls": {...}} -> recorded_from_json. Invariants:
 * an error says why; what is accepted writes back to the same JSON and reads back equal; the
 * policy it renders decodes as one valid SeccompPolicy; everything is freed. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/decode.h"
#include "engine/manifest.h"
#include "engine/recording.h"

#define FUZZ_MAX_INPUT (256 * 1024)

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_recording_json: invariant broken: %s\n", what);
        abort();
    }
}

static int count_policy(struct object *o, void *userdata)
{
    int *n = userdata;
    if (o->type == OBJ_POLICY && o->policy && !o->policy->error)
        (*n)++;
    object_clear(o);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return 0;
    struct recorded *r = NULL;
    struct kerr err = {0};
    int rc = recorded_from_json(json_object_get(j, "syscalls"),
                                json_object_get(j, "unknownSyscalls"), "status", &r, &err);
    json_decref(j);
    if (rc < 0) {
        check(rc == -ENOMEM || (*err.msg && err.code == rc), "an error says why");
        check(r == NULL, "nothing returned on error");
        return 0;
    }
    json_t *sys = NULL, *unk = NULL;
    check(recorded_to_json(r, &sys, &unk) == 0, "writes back");
    struct recorded *back = NULL;
    check(recorded_from_json(sys, unk, "status", &back, &err) == 0, "reads back");
    check(recorded_equal(r, back), "round trip is equal");
    char *yaml = NULL;
    size_t len;
    check(recorded_render_policy(r, "ns", "name", "fuzz", &yaml, &len) == 0, "renders");
    int n = 0;
    check(manifest_load_buffer(yaml, len, "rendered", count_policy, &n, &err) == 0 && n == 1,
          "the rendered policy decodes, valid");
    free(yaml);
    recorded_free(back);
    recorded_free(r);
    json_decref(sys);
    json_decref(unk);
    return 0;
}
