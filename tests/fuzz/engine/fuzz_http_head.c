/* fuzz_http_head.c - libFuzzer entry for the request heads the agent's HTTP endpoint reads.
 *
 * The input is what a client sends. Invariants: a verdict of 1 comes with a method of upper-case
 * letters and a path that starts with '/' and holds no space, '?' or control byte; the verdict on
 * the whole input equals the verdict on the prefix at which the head first becomes whole (bytes
 * after the head change nothing), and every shorter prefix says 0 (more to come) or the same
 * error; never a read past len (ASan).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/http_head.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_http_head: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    /* A copy of exactly size bytes: ASan sees any read past it. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct http_request rq;
    int whole = http_head_parse(buf, size, &rq);
    check(whole == 1 || whole == 0 || whole == -EINVAL || whole == -E2BIG, "known verdict");
    if (whole == 1) {
        check(rq.method[0] != '\0', "a method");
        for (const char *p = rq.method; *p; p++)
            check(*p >= 'A' && *p <= 'Z', "method is upper-case letters");
        check(rq.path[0] == '/', "path starts with /");
        for (const char *p = rq.path; *p; p++)
            check((unsigned char)*p > ' ' && (unsigned char)*p < 0x7f && *p != '?',
                  "path has no space, query or control byte");
    }
    /* The first prefix with a verdict other than 0 decides; longer prefixes agree. */
    int first = 0;
    size_t step = size > 512 ? size / 64 : 1; /* long inputs: a sample of prefixes, and size */
    for (size_t n = 0; n <= size; n = n < size && n + step > size ? size : n + step) {
        struct http_request r2;
        int v = http_head_parse(buf, n, &r2);
        if (first == 0 && v != 0) {
            first = v;
            if (v == 1 && whole == 1)
                check(strcmp(r2.method, rq.method) == 0 && strcmp(r2.path, rq.path) == 0,
                      "the same request once whole");
        }
        if (first != 0)
            check(v == first, "bytes after a whole head change nothing");
        if (n == size)
            break;
    }
    check(first == whole || (whole == 0 && first == 0), "prefix verdict equals the whole's");
    free(buf);
    return 0;
}
