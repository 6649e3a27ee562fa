/* failalloc.c - LD_PRELOAD fault injection for the agent's tests: allocations that fail at the
 * exact call sites a test names, in the real binary, with no test code in it.
 *
 *   KSCMP_FAIL_FORMATS="%s?watch=1,%s?limit="   asprintf() calls whose format starts with one
 *                                               of these fail (ENOMEM, as when out of memory)
 *   KSCMP_FAIL_CURL_INIT=N                      N curl_easy_init() calls fail, after the
 *   KSCMP_FAIL_CURL_SKIP=M                      first M (libcurl's multi handle makes one)
 *   KSCMP_FAIL_TIMES=N                          each format fails its first N calls (default 3)
 *
 * Counts go to stderr when the process exits ("failalloc: ..."), so that a test can tell the
 * faults were hit. Build: make build/tools/failalloc.so
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FORMATS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *formats[MAX_FORMATS];
static unsigned left[MAX_FORMATS], failed[MAX_FORMATS];
static int nformats = -1;
static unsigned curl_left, curl_failed, curl_skip;

static void report(void)
{
    for (int i = 0; i < nformats; i++)
        fprintf(stderr, "failalloc: asprintf \"%s\" failed %u time(s)\n", formats[i], failed[i]);
    if (curl_failed)
        fprintf(stderr, "failalloc: curl_easy_init failed %u time(s)\n", curl_failed);
}

static void setup(void)
{
    if (nformats >= 0)
        return;
    nformats = 0;
    const char *times = getenv("KSCMP_FAIL_TIMES");
    unsigned n = times ? (unsigned)strtoul(times, NULL, 10) : 3;
    const char *f = getenv("KSCMP_FAIL_FORMATS");
    char *copy = f ? strdup(f) : NULL, *save = NULL;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && nformats < MAX_FORMATS;
         t = strtok_r(NULL, ",", &save)) {
        formats[nformats] = strdup(t);
        left[nformats++] = n;
    }
    free(copy);
    const char *c = getenv("KSCMP_FAIL_CURL_INIT");
    curl_left = c ? (unsigned)strtoul(c, NULL, 10) : 0;
    const char *k = getenv("KSCMP_FAIL_CURL_SKIP");
    curl_skip = k ? (unsigned)strtoul(k, NULL, 10) : 0;
    atexit(report);
}

int asprintf(char **strp, const char *fmt, ...)
{
    pthread_mutex_lock(&lock);
    setup();
    for (int i = 0; i < nformats; i++)
        if (left[i] && strncmp(fmt, formats[i], strlen(formats[i])) == 0) {
            left[i]--;
            failed[i]++;
            pthread_mutex_unlock(&lock);
            errno = ENOMEM;
            return -1;
        }
    pthread_mutex_unlock(&lock);
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(strp, fmt, ap);
    va_end(ap);
    return r;
}

void *curl_easy_init(void)
{
    static void *(*real)(void);
    pthread_mutex_lock(&lock);
    setup();
    if (curl_skip)
        curl_skip--;
    else if (curl_left) {
        curl_left--;
        curl_failed++;
        pthread_mutex_unlock(&lock);
        return NULL;
    }
    if (!real)
        real = (void *(*)(void))dlsym(RTLD_NEXT, "curl_easy_init");
    pthread_mutex_unlock(&lock);
    return real ? real() : NULL;
}
