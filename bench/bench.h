/* bench.h - what the C benchmarks share. */
#ifndef KSCMP_BENCH_H
#define KSCMP_BENCH_H

/* qsort() order of doubles, ascending (for medians and percentiles). */
static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
