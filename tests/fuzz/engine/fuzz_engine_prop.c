/* fuzz_engine_prop.c - libFuzzer entry for the engine's incremental property (engine_prop.h):
 * the input's bytes choose a sequence of puts, updates and deletes of policies (extends,
 * selectors, args, arch, actions, ceilings), Namespaces and Pods; after them the incremental
 * engine (synced after every step) must report what a fresh engine fed the same final objects
 * reports.
 * A difference aborts with what differs and the steps that led to it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../unit/engine/engine_prop.h"

/* Steps per input: enough for chains and cycles to form, few enough to keep runs fast. The
 * comparison with a fresh engine is made once, after the last step: a prefix of an input is an
 * input of its own, so the corpus checks after every step without paying for it each time. */
#define FUZZ_MAX_STEPS 16
#define FUZZ_MAX_BYTES 512

static void fuzz_fail(const char *msg, void *userdata)
{
    (void)userdata;
    fprintf(stderr, "fuzz_engine_prop: the incremental engine differs from a fresh one:\n%s\n",
            msg);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (size > FUZZ_MAX_BYTES)
        size = FUZZ_MAX_BYTES; /* the steps after FUZZ_MAX_STEPS would not run anyway */
    struct prop p;
    if (prop_init(&p, fuzz_fail, NULL) < 0)
        abort();
    struct prop_src src = {.data = data, .len = size};
    prop_run(&p, &src, FUZZ_MAX_STEPS, false);
    prop_free(&p);
    return 0;
}
