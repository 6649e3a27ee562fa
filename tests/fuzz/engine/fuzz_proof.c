/* fuzz_proof.c - the OCI profile checker on arbitrary bytes: decoding is strict, every
 * refusal has a message, and nothing crashes or leaks while libseccomp builds the filter.
 * Each input is proven twice: with the C library's allocator, then with jansson's and
 * libseccomp's allocations in a proof worker's arena (node/proof_arena.h, reset after the
 * proof as the worker does) and the worker's memory of syscall numbers (engine/nr_memo.h, kept
 * from one input to the next as from one proof to the next), which must give the same verdict
 * and message. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/proof.h"
#include "node/proof_arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool arena;
    static struct nr_memo *memo;
    if (!arena) {
        if (proof_arena_install() < 0 || !(memo = nr_memo_new()))
            abort();
        arena = true;
    }
    if (size > 64 * 1024) /* profiles are small; keep each run fast */
        return 0;
    proof_arena_route(false);
    struct kerr err = {0};
    int r = proof_profile((const char *)data, size, &err);
    if (r < 0 && err.msg[0] == '\0')
        abort(); /* a refusal must say why */

    proof_arena_route(true);
    struct kerr err2 = {0};
    struct proof_keep keep;
    int r2 = proof_profile_keep((const char *)data, size, 0, memo, &keep, &err2);
    proof_keep_free(&keep);
    proof_arena_reset();
    if (r2 != r || strcmp(err.msg, err2.msg) != 0) {
        fprintf(stderr, "with the arena and the memory of numbers: %d \"%s\"; without: %d \"%s\"\n",
                r2, err2.msg, r, err.msg);
        abort();
    }
    return 0;
}
