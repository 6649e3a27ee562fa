/* fuzz_proof.c - the OCI profile checker on arbitrary bytes: decoding is strict, every
 * refusal has a message, and nothing crashes or leaks while libseccomp builds the filter. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024) /* profiles are small; keep each run fast */
        return 0;
    struct kerr err = {0};
    int r = proof_profile((const char *)data, size, &err);
    if (r < 0 && err.msg[0] == '\0')
        abort(); /* a refusal must say why */
    return 0;
}
