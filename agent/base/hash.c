/* hash.c - FNV-1a, 64 bits. */
#include "base/hash.h"

#define FNV64_OFFSET 14695981039346656037ull
#define FNV64_PRIME 1099511628211ull

uint64_t fnv1a64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = FNV64_OFFSET;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * FNV64_PRIME;
    return h;
}

uint64_t fnv1a64_str(const char *s)
{
    uint64_t h = FNV64_OFFSET;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * FNV64_PRIME;
    return h;
}
