/* line.c - a line of text into a fixed buffer, cut with "..." when it does not fit. */
#include "base/line.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct line line_init(char *out, size_t size)
{
    out[0] = '\0';
    return (struct line){out, size, 0};
}

void line_add(struct line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->n < l->size ? l->out + l->n : NULL, l->n < l->size ? l->size - l->n : 0,
                      fmt, ap);
    va_end(ap);
    if (k > 0)
        l->n += (size_t)k;
}

void line_end(struct line *l)
{
    if (l->n < l->size)
        return;
    if (l->size > 4)
        memcpy(l->out + l->size - 4, "...", 4);
    else
        l->out[l->size - 1] = '\0';
}
