/* strv.c - arrays of owned strings. */
#include "base/strv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int strv_push(char ***v, size_t *n, char *s)
{
    char **nv = s ? realloc(*v, (*n + 1) * sizeof(*nv)) : NULL;
    if (!nv) {
        free(s);
        return -ENOMEM;
    }
    nv[(*n)++] = s;
    *v = nv;
    return 0;
}

int strv_addf(char ***v, size_t *n, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    return r < 0 ? -ENOMEM : strv_push(v, n, s);
}
