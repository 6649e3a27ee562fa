/* oom_guard.c - jansson's and libseccomp's allocations: out of memory stops the process. */
#include "program/oom_guard.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* In the libseccomp deps/build.sh builds (deps/patches/libseccomp-proof-alloc.patch). */
extern void kscmp_seccomp_set_alloc(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                                    void (*free_fn)(void *)) __attribute__((weak));

/* Without allocating: the message goes straight to stderr. */
static _Noreturn void out_of_memory(size_t size)
{
    char msg[160];
    int n = snprintf(msg, sizeof(msg),
                     "kscmp: out of memory (%zu bytes for jansson or libseccomp): exiting, as "
                     "neither can be trusted after a failed allocation\n",
                     size);
    if (n > 0)
        (void)!write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
    _exit(1);
}

void *oom_guard_malloc(size_t size)
{
    void *p = malloc(size);
    if (!p && size)
        out_of_memory(size);
    return p;
}

void *oom_guard_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size);
    if (!p && size)
        out_of_memory(size);
    return p;
}

void oom_guard_install(void)
{
    json_set_alloc_funcs(oom_guard_malloc, free);
    if (kscmp_seccomp_set_alloc)
        kscmp_seccomp_set_alloc(oom_guard_malloc, oom_guard_realloc, free);
}
