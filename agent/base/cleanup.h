/* cleanup.h - scope-bound cleanup for locals (the systemd/crun idiom).
 *
 *   _cleanup_free_ char *s = strdup("x");     freed when s leaves scope
 *   _cleanup_close_ int fd = open(...);       closed when fd leaves scope
 *   return TAKE_PTR(s);                       hand ownership on, s becomes NULL
 */
#ifndef KSCMP_CLEANUP_H
#define KSCMP_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
    free(*(void **)p);
}

static inline void closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

static inline void fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}

/* Defines name##p(type **) calling func(*p), for _cleanup_(name##p). */
#define DEFINE_CLEANUP_FUNC(type, func)                                                            \
    static inline void func##p(type **p)                                                           \
    {                                                                                              \
        if (*p)                                                                                    \
            func(*p);                                                                              \
    }

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Returns the pointer and sets the variable to NULL: ownership moves to the caller. */
#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _tp = (p);                                                                   \
        (p) = NULL;                                                                                \
        _tp;                                                                                       \
    })

/* Returns the struct and zeroes the variable: ownership of what it holds moves. */
#define TAKE_STRUCT(s)                                                                             \
    ({                                                                                             \
        __typeof__(s) _ts = (s);                                                                   \
        (s) = (__typeof__(s)){0};                                                                  \
        _ts;                                                                                       \
    })

/* Returns the fd and sets the variable to -1. */
#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _tf = (fd);                                                                            \
        (fd) = -1;                                                                                 \
        _tf;                                                                                       \
    })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* n rounded up to a multiple of 8: where the next part of a block made of several begins. */
static inline size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

#endif
