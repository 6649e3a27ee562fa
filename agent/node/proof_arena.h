/* proof_arena.h - the allocator of a proof worker: one proof's allocations from one region.
 *
 * Owns: a region of address space reserved once (writable, and counted, only as needed), a cursor
 * in it, and, once installed, the allocation hooks of jansson and of the libseccomp build/kscmp
 * links (deps/patches/libseccomp-proof-alloc.patch). A proof of a runtime/default-based profile
 * makes ~12,000 allocations and frees every one by its end; glibc's malloc() and free() had
 * 38% of its instructions (bench/README, "Proofs"). Here an allocation moves the cursor,
 * free() gives back only the block last handed out (any other waits for the reset), realloc()
 * of that last block grows it in place, and proof_arena_reset(), after each proof, takes every
 * block back at once.
 *
 * The region is address space only until the cursor reaches it: pages become writable 1 MiB
 * at a time, up to a quarter of the worker's RLIMIT_DATA (--proof-memory; PROOF_ARENA_RESERVE
 * at most, none under 4 MiB), which counts them with the rest of its memory. A request that
 * does not fit goes to the C library, and its free() back there. Blocks freed during a proof
 * stay counted until its reset, so the C library may get up to that quarter less than
 * --proof-memory: a proof that needs nearly all of it may be refused where it was not before
 * (a runtime/default-based proof uses ~2 MiB of the region). After a reset the pages above
 * PROOF_ARENA_RETAIN are given back (and out of the count), so one large proof does not keep
 * a worker large.
 *
 * Process-wide state, for the worker process only (one thread, nothing else allocating through
 * jansson or libseccomp): memory from the region must not outlive the proof it was taken for.
 * Built with AddressSanitizer, only the bytes of live blocks are addressable (headers and a
 * gap after each block are poisoned), so overruns are reported, and so is a use after free()
 * or after the reset, until that space is handed out again (the last block's at the next
 * allocation, the rest after the reset).
 */
#ifndef KSCMP_PROOF_ARENA_H
#define KSCMP_PROOF_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#define PROOF_ARENA_RESERVE ((size_t)64 << 20)
#define PROOF_ARENA_RETAIN ((size_t)4 << 20)

struct proof_arena_stats {
    size_t used;      /* bytes of the region in use now (headers included) */
    size_t committed; /* bytes of the region writable now */
    size_t limit;     /* what committed may reach */
    size_t spilled;   /* allocations the C library served since install (too large to fit) */
    size_t failed;    /* allocations through the hooks that got no memory, since install */
    size_t calls;     /* allocations asked for through the hooks (malloc, realloc), since install */
    bool libseccomp;  /* libseccomp's allocations come here too (the patched build) */
    bool routed;      /* jansson's (and libseccomp's) allocations come to the hooks now */
};

/* Reserves the region (its limit from RLIMIT_DATA now) and routes jansson's (and, when the linked
 * libseccomp has the hook, libseccomp's) allocations here. Negative errno when the region cannot be
 * reserved: the hooks are installed all the same and the C library serves every allocation, so
 * that those which get no memory are still counted. Installing twice is a no-op. */
int proof_arena_install(void);

/* Back to the C library's allocator and the region unmapped; for tests. Blocks from the region
 * must all be gone (after a reset). */
void proof_arena_uninstall(void);

/* Once installed: whether jansson and libseccomp allocate from it (true, as after
 * install) or from the C library (false), e.g. to compare the two. Switch only between proofs,
 * after a reset: a block is freed by the allocator that made it only while routed so. */
void proof_arena_route(bool on);

/* How much of the region may be writable under an RLIMIT_DATA of data_limit: a quarter of it
 * in whole MiB, PROOF_ARENA_RESERVE at most (so that the C library keeps three quarters). */
size_t proof_arena_limit(rlim_t data_limit);

/* Takes back every block of the region; the caller holds none of them any more. */
void proof_arena_reset(void);

void proof_arena_stats(struct proof_arena_stats *s);

/* Whether every block jansson and libseccomp took between the two snapshots came from the
 * region (none from the C library): the next reset then takes all of them back, and what
 * they built need not be freed piece by piece first. */
bool proof_arena_took_all(const struct proof_arena_stats *before,
                          const struct proof_arena_stats *after);

/* Tests: the n-th allocation asked for through the hooks from now on (malloc or realloc) gets no
 * memory, and is counted as failed; 0: none. Lets a test fail each allocation of a proof in turn
 * (tests/unit/node/test_prover_oom.c). */
void proof_arena_fail_at(size_t n);

/* The hooks themselves (exposed for tests). Without a region, the C library's (still counted). */
void *proof_arena_malloc(size_t size);
void *proof_arena_realloc(void *ptr, size_t size);
void proof_arena_free(void *ptr);

#endif
