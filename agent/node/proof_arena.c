/* proof_arena.c - the allocator of a proof worker: one proof's allocations from one region. */
#include "node/proof_arena.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif

/* Under AddressSanitizer only what a live block holds is addressable: its header stays
 * poisoned (read through hdr_get()/hdr_set()), and a poisoned gap follows each block, so that
 * an overrun or an underrun is reported as on the C library's heap. */
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define REDZONE 16
#define NO_ASAN __attribute__((no_sanitize("address")))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define REDZONE 0
#define NO_ASAN
#endif

/* In the libseccomp deps/build.sh builds (deps/patches/libseccomp-proof-alloc.patch); absent
 * from Debian's shared library, which the unit tests and LINK=shared builds link. */
extern void kscmp_seccomp_set_alloc(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                                    void (*free_fn)(void *)) __attribute__((weak));

/* Before each block: its capacity (a multiple of ALIGN) and the size asked for. After it,
 * REDZONE bytes (none but under AddressSanitizer). */
struct blk {
    size_t cap;
    size_t len;
};

#define ALIGN 16 /* as glibc's malloc() on 64-bit */
_Static_assert(sizeof(struct blk) % ALIGN == 0, "blocks stay aligned");
_Static_assert(REDZONE % ALIGN == 0, "blocks stay aligned");

static NO_ASAN void hdr_get(const struct blk *b, size_t *cap, size_t *len)
{
    *cap = b->cap;
    *len = b->len;
}

static NO_ASAN void hdr_set(struct blk *b, size_t cap, size_t len)
{
    b->cap = cap;
    b->len = len;
}

/* Pages are made writable in steps as the cursor needs them: a worker's RLIMIT_DATA counts
 * writable private memory, not the reserved address space. */
#define COMMIT_STEP ((size_t)1 << 20)

static struct {
    bool hooked;      /* installed: jansson's and libseccomp's allocations come through here */
    char *base, *end; /* the region; NULL: none (not installed, or no address space for it) */
    char *cur;        /* the next block's header */
    char *committed;  /* [base, committed) is writable */
    char *limit;      /* committed never goes past it (a quarter of RLIMIT_DATA at most) */
    size_t spilled;
    size_t failed;
    size_t calls;   /* allocations asked for through the hooks (malloc and realloc) */
    size_t fail_at; /* tests: the value of calls whose allocation gets no memory; 0: none */
    bool libseccomp;
    bool routed; /* jansson's and libseccomp's allocations come to the hooks now */
} A;

/* Counts an allocation asked for; true when it is the one a test wants to fail. */
static bool injected_failure(void)
{
    if (++A.calls != A.fail_at)
        return false;
    A.failed++;
    return true;
}

static bool in_region(const void *p)
{
    return A.base && (const char *)p >= A.base && (const char *)p < A.end;
}

static struct blk *blk_of(void *p)
{
    return (struct blk *)p - 1;
}

/* A block's capacity: size rounded up to ALIGN, at least ALIGN (so that a block never ends
 * where the region does); 0 when size is beyond any region. */
static size_t cap_for(size_t size)
{
    if (size > SIZE_MAX / 2)
        return 0;
    size_t cap = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    return cap ? cap : ALIGN;
}

/* Makes [base, upto) writable; false when that would pass A.limit or the kernel refuses. */
static bool commit(const char *upto)
{
    if (upto <= A.committed)
        return true;
    if (upto > A.limit)
        return false;
    size_t want = (size_t)(upto - A.base);
    want = (want + COMMIT_STEP - 1) / COMMIT_STEP * COMMIT_STEP;
    char *to = A.base + want < A.limit ? A.base + want : A.limit;
    if (mprotect(A.committed, (size_t)(to - A.committed), PROT_READ | PROT_WRITE) < 0)
        return false;
    A.committed = to;
    return true;
}

/* Whether lead bytes, then a block of cap bytes and its REDZONE, fit in the region from at
 * (not past A.end); the pages they need are then made writable. */
static bool room_at(const char *at, size_t lead, size_t cap)
{
    size_t left = (size_t)(A.end - at);
    return lead + REDZONE <= left && cap <= left - lead - REDZONE &&
           commit(at + lead + cap + REDZONE);
}

/* NULL when size does not fit what is left of the region. */
static void *take(size_t size)
{
    size_t cap = cap_for(size);
    if (!cap || !room_at(A.cur, sizeof(struct blk), cap))
        return NULL;
    struct blk *b = (struct blk *)A.cur;
    hdr_set(b, cap, size);
    UNPOISON(b + 1, size);
    A.cur = (char *)(b + 1) + cap + REDZONE;
    return b + 1;
}

/* From the region when it fits, else from the C library; a failure is counted. */
static void *arena_malloc(size_t size)
{
    void *p = A.base ? take(size) : NULL;
    if (p)
        return p;
    if (A.base)
        A.spilled++;
    p = malloc(size);
    if (!p && size)
        A.failed++;
    return p;
}

void *proof_arena_malloc(size_t size)
{
    if (injected_failure())
        return NULL;
    /* What take() does for a block that fits the pages already writable, the usual case (a
     * proof makes ~10,000 allocations, most of a few dozen bytes), without its checks for
     * the others: 4% of a proof's instructions. */
    if (A.base && size - 1 < COMMIT_STEP) {
        size_t cap = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
        if ((size_t)(A.committed - A.cur) >= sizeof(struct blk) + cap + REDZONE) {
            struct blk *b = (struct blk *)A.cur;
            hdr_set(b, cap, size);
            UNPOISON(b + 1, size);
            A.cur = (char *)(b + 1) + cap + REDZONE;
            return b + 1;
        }
    }
    return arena_malloc(size);
}

void proof_arena_free(void *ptr)
{
    if (!ptr)
        return;
    if (!in_region(ptr)) {
        free(ptr);
        return;
    }
    struct blk *b = blk_of(ptr);
    size_t cap, len;
    hdr_get(b, &cap, &len);
    if ((char *)ptr + cap + REDZONE == A.cur)
        A.cur = (char *)b;
    POISON(ptr, cap);
}

/* Block b (at ptr, len bytes addressable) now holds size bytes in cap: the bytes it gained are
 * made addressable, those it gave up poisoned. */
static void resize_in_place(struct blk *b, void *ptr, size_t len, size_t cap, size_t size)
{
    if (size < len)
        POISON((char *)ptr + size, len - size);
    else
        UNPOISON(ptr, size);
    hdr_set(b, cap, size);
}

void *proof_arena_realloc(void *ptr, size_t size)
{
    if (!ptr)
        return proof_arena_malloc(size);
    if (injected_failure())
        return NULL; /* ptr stays as it was */
    if (!in_region(ptr)) {
        void *q = realloc(ptr, size);
        if (!q && size)
            A.failed++;
        return q;
    }
    struct blk *b = blk_of(ptr);
    size_t old_cap, old_len;
    hdr_get(b, &old_cap, &old_len);
    if ((char *)ptr + old_cap + REDZONE == A.cur) {
        /* The last block: grows or shrinks where it is, when the region has room. */
        size_t cap = cap_for(size);
        if (cap && room_at(ptr, 0, cap)) {
            resize_in_place(b, ptr, old_len, cap, size);
            A.cur = (char *)ptr + cap + REDZONE;
            return ptr;
        }
    } else if (size <= old_cap) {
        resize_in_place(b, ptr, old_len, old_cap, size);
        return ptr;
    }
    void *q = arena_malloc(size);
    if (!q)
        return NULL; /* ptr stays as it was, as realloc() leaves it */
    memcpy(q, ptr, old_len < size ? old_len : size);
    proof_arena_free(ptr);
    return q;
}

void proof_arena_reset(void)
{
    if (!A.base)
        return;
    POISON(A.base, (size_t)(A.cur - A.base));
    A.cur = A.base;
    char *keep = A.base + PROOF_ARENA_RETAIN;
    if (A.committed > keep) {
        /* Pages beyond what a usual proof needs go back to the kernel and out of the worker's
         * RLIMIT_DATA. When refused, they stay, which is only memory. */
        size_t n = (size_t)(A.committed - keep);
        if (mprotect(keep, n, PROT_NONE) == 0) {
            (void)madvise(keep, n, MADV_DONTNEED);
            A.committed = keep;
        }
    }
}

void proof_arena_stats(struct proof_arena_stats *s)
{
    s->used = A.base ? (size_t)(A.cur - A.base) : 0;
    s->committed = A.base ? (size_t)(A.committed - A.base) : 0;
    s->limit = A.base ? (size_t)(A.limit - A.base) : 0;
    s->spilled = A.spilled;
    s->failed = A.failed;
    s->calls = A.calls;
    s->libseccomp = A.libseccomp;
    s->routed = A.routed;
}

bool proof_arena_took_all(const struct proof_arena_stats *before,
                          const struct proof_arena_stats *after)
{
    return after->limit && after->libseccomp && after->routed && before->routed &&
           after->spilled == before->spilled;
}

size_t proof_arena_limit(rlim_t data_limit)
{
    if (data_limit == RLIM_INFINITY || data_limit / 4 >= PROOF_ARENA_RESERVE)
        return PROOF_ARENA_RESERVE;
    return (size_t)(data_limit / 4) / COMMIT_STEP * COMMIT_STEP;
}

int proof_arena_install(void)
{
    if (A.hooked)
        return 0;
    A.hooked = true;
    A.libseccomp = kscmp_seccomp_set_alloc != NULL;
    /* Address space only: no page is writable, nor counted, until commit(). */
    void *p = mmap(NULL, PROOF_ARENA_RESERVE, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    int r = p == MAP_FAILED ? -errno : 0;
    if (r == 0) {
        struct rlimit rl;
        size_t max =
            proof_arena_limit(getrlimit(RLIMIT_DATA, &rl) == 0 ? rl.rlim_cur : RLIM_INFINITY);
        A.base = A.cur = A.committed = p;
        A.end = A.base + PROOF_ARENA_RESERVE;
        A.limit = A.base + max;
        POISON(A.base, PROOF_ARENA_RESERVE);
    }
    /* Without a region too: the C library then serves every allocation, and those that get
     * no memory are still counted (libseccomp does not always report them). */
    proof_arena_route(true);
    return r;
}

void proof_arena_route(bool on)
{
    if (!A.hooked)
        return;
    A.routed = on;
    if (on)
        json_set_alloc_funcs(proof_arena_malloc, proof_arena_free);
    else
        json_set_alloc_funcs(malloc, free);
    if (A.libseccomp) {
        if (on)
            kscmp_seccomp_set_alloc(proof_arena_malloc, proof_arena_realloc, proof_arena_free);
        else
            kscmp_seccomp_set_alloc(NULL, NULL, NULL);
    }
}

void proof_arena_uninstall(void)
{
    if (!A.hooked)
        return;
    proof_arena_route(false);
    if (A.base) {
        UNPOISON(A.base, PROOF_ARENA_RESERVE);
        munmap(A.base, PROOF_ARENA_RESERVE);
    }
    memset(&A, 0, sizeof(A));
}

void proof_arena_fail_at(size_t n)
{
    A.fail_at = n ? A.calls + n : 0;
}
