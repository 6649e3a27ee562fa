/* hash.h - the one non-cryptographic hash of the agent.
 *
 * Owns: FNV-1a over 64 bits, for hash tables (hmap, the syscall table) and fingerprints
 * that only speed things up. Not for anything an adversary could aim at where a collision
 * would change an outcome: use a cryptographic hash there.
 */
#ifndef KSCMP_HASH_H
#define KSCMP_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a of len bytes at data. */
uint64_t fnv1a64(const void *data, size_t len);
/* FNV-1a of the string s (without its NUL). */
uint64_t fnv1a64_str(const char *s);

#endif
