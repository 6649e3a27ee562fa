/* line.h - one line of text written piece by piece into a caller's buffer that may be too small.
 *
 * Owns: appending formatted pieces (what does not fit is counted, not written) and ending the
 * line with "..." when it was cut, so that a reader sees it was.
 */
#ifndef KSCMP_LINE_H
#define KSCMP_LINE_H

#include <stddef.h>

struct line {
    char *out;
    size_t size; /* of out, > 0 */
    size_t n;    /* what would have been written so far */
};

/* A line into out (size > 0), empty: out[0] is NUL. */
struct line line_init(char *out, size_t size);

/* Appends a formatted piece (always NUL-terminated within size). */
void line_add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Ends a line that was cut with "..." (within size). */
void line_end(struct line *l);

#endif
