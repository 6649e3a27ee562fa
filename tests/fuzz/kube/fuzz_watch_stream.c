/* fuzz_watch_stream.c - libFuzzer entry for the watch stream as the API server sends it:
 * bytes cut into chunks -> linebuf_feed (a small maximum line) -> watch_event_decode per line.
 *
 * Input layout: byte 0 picks how many chunk sizes follow (1..8), those bytes are the sizes
 * (cycled: below 0x80 a size of 1..128, above it up to 8 KiB), the rest is the stream.
 * Invariants checked: every line is non-empty, holds no '\n', does not end in '\r' and fits the
 * maximum; pending bytes never pass the maximum; when neither run saw -E2BIG the chunked run
 * yields exactly the lines of a single feed of the whole stream; a decoded event has a known type
 * and an object, a failed one says why; everything is freed (ASan leak detection). The name
 * kube_object_id() reads from a line, from the start a refused line leaves in head and from the
 * whole stream cut anywhere is "NAME" or "NS/NAME" of name characters, within its buffer.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/watch_stream.h"

#define FUZZ_MAX_LINE 4096
#define FUZZ_MAX_INPUT (256 * 1024)

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_watch_stream: invariant broken: %s\n", what);
        abort();
    }
}

/* What a run saw: how many lines and an order-sensitive hash of them. */
struct seen {
    size_t lines;
    uint64_t hash;
    bool decode;
};

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ull;
    return h;
}

/* kube_object_id() on the first n bytes of text, with both marks and a small and a large
 * buffer: what it writes is a Kubernetes name, or a namespace, '/' and a name, or "". */
static void check_object_id(const char *text, size_t n)
{
    static const char *const marks[] = {"\"object\":", "\"items\":["};
    static const size_t sizes[] = {1, 8, 320};
    for (size_t m = 0; m < 2; m++)
        for (size_t k = 0; k < 3; k++) {
            char out[320];
            memset(out, 'X', sizeof(out));
            kube_object_id(text, n, marks[m], out, sizes[k]);
            size_t len = strnlen(out, sizes[k]);
            check(len < sizes[k], "the id is terminated within its buffer");
            size_t slashes = 0;
            for (size_t i = 0; i < len; i++) {
                char c = out[i];
                slashes += c == '/';
                check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                          c == '/',
                      "the id holds name characters");
            }
            check(slashes <= 1, "at most a namespace and a name");
        }
}

static int on_line(const char *line, size_t len, void *userdata)
{
    struct seen *s = userdata;
    check(len > 0, "empty lines are skipped");
    check(len <= FUZZ_MAX_LINE, "a line fits the maximum");
    check(memchr(line, '\n', len) == NULL, "a line holds no newline");
    check(line[len - 1] != '\r', "a line's trailing \\r is dropped");
    s->lines++;
    s->hash = fnv1a(fnv1a(s->hash, &len, sizeof(len)), line, len);
    if (!s->decode)
        return 0;
    check_object_id(line, len);

    struct watch_event ev;
    struct kerr err = {0};
    int r = watch_event_decode(line, len, NULL, &ev, &err);
    if (r < 0) {
        check(r == -ENOMEM || (err.code == r && *err.msg), "a decode error says why");
        return 0;
    }
    check(ev.type >= WATCH_ADDED && ev.type <= WATCH_ERROR, "a known event type");
    check(json_is_object(ev.object), "an event carries an object");
    int code = watch_error_code(ev.object);
    json_t *cj = json_object_get(ev.object, "code");
    check(code == 0 || (code > 0 && json_is_integer(cj) && json_integer_value(cj) == code),
          "an error code is the status's own code, never a truncation");
    const char *rv = json_resource_version(ev.object);
    if (rv)
        check(strlen(rv) < len, "a resource version comes from the line");
    json_decref(ev.object);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > FUZZ_MAX_INPUT)
        return 0;
    size_t nsizes = (size_t)(data[0] % 8) + 1;
    if (nsizes >= size)
        return 0;
    size_t sizes[8];
    for (size_t i = 0; i < nsizes; i++) {
        uint8_t b = data[1 + i];
        sizes[i] = b < 0x80 ? (size_t)b + 1 : (size_t)(b & 0x7f) * 64 + 1;
    }
    const char *stream = (const char *)data + 1 + nsizes;
    size_t n = size - 1 - nsizes;

    /* The chunked run, decoding every line. */
    struct linebuf lb = {.max = FUZZ_MAX_LINE};
    struct seen chunked = {.hash = 0xcbf29ce484222325ull, .decode = true};
    bool chunked_big = false;
    for (size_t off = 0, k = 0; off < n; k++) {
        size_t c = sizes[k % nsizes];
        if (c > n - off)
            c = n - off;
        int r = linebuf_feed(&lb, stream + off, c, on_line, &chunked);
        check(r == 0 || r == -E2BIG, "only -E2BIG from a callback that never fails");
        if (r == -E2BIG) {
            chunked_big = true;
            check(linebuf_pending(&lb) == 0, "-E2BIG empties the buffer");
            check(lb.head_len > 0 && lb.head_len <= LINEBUF_HEAD, "-E2BIG keeps the line's start");
            check_object_id(lb.head, lb.head_len);
        }
        check(linebuf_pending(&lb) <= FUZZ_MAX_LINE, "pending bytes stay under the maximum");
        off += c;
    }
    check_object_id(stream, n);
    size_t chunked_pending = linebuf_pending(&lb);
    linebuf_clear(&lb);
    check(linebuf_pending(&lb) == 0, "clear empties the buffer");

    /* The same stream in one feed; without overlong lines both runs agree. */
    struct linebuf whole = {.max = FUZZ_MAX_LINE};
    struct seen once = {.hash = 0xcbf29ce484222325ull, .decode = false};
    int r = linebuf_feed(&whole, stream, n, on_line, &once);
    check(r == 0 || r == -E2BIG, "only -E2BIG from a callback that never fails");
    if (r == 0 && !chunked_big) {
        check(once.lines == chunked.lines && once.hash == chunked.hash,
              "chunking does not change the lines");
        check(linebuf_pending(&whole) == chunked_pending, "chunking does not change what pends");
    }
    linebuf_clear(&whole);
    return 0;
}
