/* digest.h - SHA-256 of the bytes the node layer must recognise again.
 *
 * Owns: the one content digest of the node layer: which manifests changed (--local) and
 * which profiles libseccomp already judged (node/prover.h). A cryptographic digest, so that
 * no crafted profile can pass for one proven before; where a match lets a check be skipped,
 * the caller compares the bytes too. A test hook replaces the function to force collisions.
 */
#ifndef KSCMP_DIGEST_H
#define KSCMP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIGEST_LEN 32
#define DIGEST_HEX_LEN (2 * DIGEST_LEN)

struct digest {
    uint8_t b[DIGEST_LEN];
};

/* SHA-256 of n bytes at p (or what the test hook says). */
void digest_bytes(const void *p, size_t n, struct digest *ret);
bool digest_equal(const struct digest *a, const struct digest *b);
/* Lower-case hex, NUL-terminated (DIGEST_HEX_LEN + 1 bytes). */
void digest_hex(const struct digest *d, char *ret);

/* Tests only: replaces the digest function (NULL puts SHA-256 back). */
void digest_set_test_hook(void (*hook)(const void *p, size_t n, struct digest *ret));

#endif
