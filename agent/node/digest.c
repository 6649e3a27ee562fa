/* digest.c - SHA-256 through libcrypto. */
#include "node/digest.h"

#include <openssl/sha.h>
#include <string.h>

static void (*test_hook)(const void *p, size_t n, struct digest *ret);

void digest_bytes(const void *p, size_t n, struct digest *ret)
{
    if (test_hook) {
        test_hook(p, n, ret);
        return;
    }
    SHA256(p, n, ret->b);
}

bool digest_equal(const struct digest *a, const struct digest *b)
{
    return memcmp(a->b, b->b, DIGEST_LEN) == 0;
}

void digest_hex(const struct digest *d, char *ret)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < DIGEST_LEN; i++) {
        ret[2 * i] = hex[d->b[i] >> 4];
        ret[2 * i + 1] = hex[d->b[i] & 15];
    }
    ret[DIGEST_HEX_LEN] = '\0';
}

void digest_set_test_hook(void (*hook)(const void *p, size_t n, struct digest *ret))
{
    test_hook = hook;
}
