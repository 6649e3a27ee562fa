/* strv.h - growable arrays of strings the array owns (char **v with its count n).
 *
 * Owns: adding to and freeing such arrays, so that no module writes its own loop.
 */
#ifndef KSCMP_STRV_H
#define KSCMP_STRV_H

#include <stddef.h>

/* Frees the n strings of v, then v. */
void strv_free(char **v, size_t n);

/* Appends s to *v, taking it over (freed on failure): 0, or -ENOMEM (also for s NULL). */
int strv_push(char ***v, size_t *n, char *s);

/* Appends a formatted string: 0, or -ENOMEM. */
int strv_addf(char ***v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
