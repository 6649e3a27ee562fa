/* test_watch_stream.c - the watch stream: bytes cut anywhere (one byte at a time, between "\r" and
 * "\n", several lines at once, random cuts from fixed seeds) give the same lines in the same order;
 * empty lines are skipped, overlong lines refused, a failing callback stops the feed; events are
 * decoded (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR 410) and malformed ones refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "kube/watch_stream.h"

/* ---- helpers ----------------------------------------------------------------------------- */

/* The lines a feed delivered, copied. */
struct lines {
    char **v;
    size_t n;
    int fail_at; /* 1-based call that returns fail_code; 0: never */
    int fail_code;
    int calls;
};

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (struct lines){0};
}

static int collect(const char *line, size_t len, void *userdata)
{
    struct lines *l = userdata;
    l->calls++;
    assert_true(len > 0);
    assert_null(memchr(line, '\n', len));
    if (l->fail_at && l->calls == l->fail_at)
        return l->fail_code;
    l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
    assert_non_null(l->v);
    l->v[l->n] = strndup(line, len);
    assert_non_null(l->v[l->n]);
    assert_int_equal(strlen(l->v[l->n]), len);
    l->n++;
    return 0;
}

/* A deterministic generator (xorshift64*), so that every failure can be replayed. */
static uint64_t rnd_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

static size_t rnd_range(uint64_t *s, size_t lo, size_t hi)
{
    return lo + (size_t)(rnd_next(s) % (hi - lo + 1));
}

/* The stream every chunking test cuts: real events, "\r\n" and "\n" endings, empty lines,
 * "\r"-only lines, and a last line without its newline (it must stay pending). */
static const char *const stream_lines[] = {
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":"
    "\"web-0\",\"namespace\":\"demo\",\"resourceVersion\":\"100\"}}}",
    "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-0\","
    "\"resourceVersion\":\"101\"}}}",
    "x",
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"150\","
    "\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}",
    "a line\twith\ttabs and \"quotes\" and \\ backslashes",
    "{\"type\":\"DELETED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-0\","
    "\"resourceVersion\":\"160\"}}}",
    "ab",
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
    "\"Failure\","
    "\"reason\":\"Expired\",\"code\":410}}",
};
static const char *const stream_endings[] = {"\n", "\r\n", "\n\n", "\r\n\r\n", "\n\r\n", "\r\r\n"};
#define STREAM_TAIL "{\"type\":\"ADDED\",\"obj"

/* Builds the stream: every line repeated rounds times with rotating endings. */
static char *stream_build(size_t rounds, size_t *ret_len, struct lines *expect)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t k = 0;
    for (size_t r = 0; r < rounds; r++)
        for (size_t i = 0; i < ELEMENTSOF(stream_lines); i++, k++) {
            const char *line = stream_lines[i];
            const char *end = stream_endings[k % ELEMENTSOF(stream_endings)];
            size_t ll = strlen(line), el = strlen(end);
            while (len + ll + el + sizeof(STREAM_TAIL) > cap) {
                cap *= 2;
                buf = realloc(buf, cap);
                assert_non_null(buf);
            }
            memcpy(buf + len, line, ll);
            memcpy(buf + len + ll, end, el);
            len += ll + el;
            assert_int_equal(collect(line, ll, expect), 0);
        }
    memcpy(buf + len, STREAM_TAIL, strlen(STREAM_TAIL));
    len += strlen(STREAM_TAIL);
    *ret_len = len;
    return buf;
}

static void lines_equal(const struct lines *got, const struct lines *want)
{
    assert_int_equal(got->n, want->n);
    for (size_t i = 0; i < want->n; i++)
        assert_string_equal(got->v[i], want->v[i]);
}

/* Feeds buf in chunks of the given sizes (cycled) and checks the lines and the pending tail. */
static void feed_chunks(const char *buf, size_t len, const size_t *sizes, size_t nsizes,
                        const struct lines *want)
{
    struct linebuf lb = {0};
    struct lines got = {0};
    for (size_t off = 0, k = 0; off < len; k++) {
        size_t c = sizes[k % nsizes];
        if (c > len - off)
            c = len - off;
        assert_int_equal(linebuf_feed(&lb, buf + off, c, collect, &got), 0);
        off += c;
    }
    lines_equal(&got, want);
    assert_int_equal(linebuf_pending(&lb), strlen(STREAM_TAIL));
    linebuf_clear(&lb);
    assert_int_equal(linebuf_pending(&lb), 0);
    lines_free(&got);
}

/* ---- framing ----------------------------------------------------------------------------- */

static void test_feed_whole(void **state)
{
    struct lines want = {0};
    size_t len;
    _cleanup_free_ char *buf = stream_build(3, &len, &want);
    size_t sizes[] = {len};
    feed_chunks(buf, len, sizes, 1, &want);
    lines_free(&want);
}

static void test_feed_one_byte_chunks(void **state)
{
    struct lines want = {0};
    size_t len;
    _cleanup_free_ char *buf = stream_build(3, &len, &want);
    size_t sizes[] = {1};
    feed_chunks(buf, len, sizes, 1, &want);
    lines_free(&want);
}

/* Every chunk ends right after a "\r" that a "\n" follows: the "\r" is held, then dropped. */
static void test_feed_split_crlf(void **state)
{
    struct lines want = {0};
    size_t len;
    _cleanup_free_ char *buf = stream_build(4, &len, &want);
    size_t *sizes = calloc(len, sizeof(*sizes));
    assert_non_null(sizes);
    size_t n = 0, last = 0, cuts = 0;
    for (size_t i = 0; i + 1 < len; i++)
        if (buf[i] == '\r' && buf[i + 1] == '\n') {
            sizes[n++] = i + 1 - last;
            last = i + 1;
            cuts++;
        }
    sizes[n++] = len - last;
    assert_true(cuts >= 10);
    feed_chunks(buf, len, sizes, n, &want);

    /* And each "\r\n" alone as a chunk of its own, split again into "\r" and "\n". */
    struct linebuf lb = {0};
    struct lines got = {0};
    for (size_t i = 0; i < len;) {
        size_t c = 1;
        if (buf[i] != '\r' || i + 1 >= len || buf[i + 1] != '\n') {
            const char *cr = memchr(buf + i + 1, '\r', len - i - 1);
            c = cr ? (size_t)(cr - (buf + i)) : len - i;
        }
        assert_int_equal(linebuf_feed(&lb, buf + i, c, collect, &got), 0);
        i += c;
    }
    lines_equal(&got, &want);
    assert_int_equal(linebuf_pending(&lb), strlen(STREAM_TAIL));
    linebuf_clear(&lb);
    lines_free(&got);
    free(sizes);
    lines_free(&want);
}

/* Random cuts, from fixed seeds: small chunks that split lines anywhere. */
static void test_feed_random_chunks(void **state)
{
    struct lines want = {0};
    size_t len;
    _cleanup_free_ char *buf = stream_build(5, &len, &want);
    size_t sizes[64];
    for (uint64_t seed = 1; seed <= 300; seed++) {
        uint64_t s = seed * 0x9e3779b97f4a7c15ull;
        size_t hi = rnd_range(&s, 1, 200);
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++)
            sizes[i] = rnd_range(&s, 1, hi);
        feed_chunks(buf, len, sizes, ELEMENTSOF(sizes), &want);
    }
    lines_free(&want);
}

/* Chunks far larger than a line: several complete lines (and a cut one) per feed. */
static void test_feed_several_lines_per_chunk(void **state)
{
    struct lines want = {0};
    size_t len;
    _cleanup_free_ char *buf = stream_build(20, &len, &want);
    size_t sizes[16];
    for (uint64_t seed = 1; seed <= 100; seed++) {
        uint64_t s = seed ^ 0xd1b54a32d192ed03ull;
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++)
            sizes[i] = rnd_range(&s, 300, 3000);
        feed_chunks(buf, len, sizes, ELEMENTSOF(sizes), &want);
    }
    lines_free(&want);
}

static void test_empty_lines_skipped(void **state)
{
    struct linebuf lb = {0};
    struct lines got = {0};
    const char *empty = "\n\n\r\n\r\r\n\n";
    assert_int_equal(linebuf_feed(&lb, empty, strlen(empty), collect, &got), 0);
    assert_int_equal(got.calls, 0);
    assert_int_equal(linebuf_pending(&lb), 0);
    assert_int_equal(linebuf_feed(&lb, NULL, 0, collect, &got), 0);
    const char *mixed = "\n a \n\r\nb\r\n\n";
    assert_int_equal(linebuf_feed(&lb, mixed, strlen(mixed), collect, &got), 0);
    assert_int_equal(got.n, 2);
    assert_string_equal(got.v[0], " a "); /* inner blanks stay */
    assert_string_equal(got.v[1], "b");
    linebuf_clear(&lb);
    lines_free(&got);
}

static void test_pending(void **state)
{
    struct linebuf lb = {0};
    struct lines got = {0};
    assert_int_equal(linebuf_pending(&lb), 0);
    assert_int_equal(linebuf_feed(&lb, "abc", 3, collect, &got), 0);
    assert_int_equal(linebuf_pending(&lb), 3);
    assert_int_equal(linebuf_feed(&lb, "de", 2, collect, &got), 0);
    assert_int_equal(linebuf_pending(&lb), 5);
    assert_int_equal(got.calls, 0);
    assert_int_equal(linebuf_feed(&lb, "f\nxy\r", 5, collect, &got), 0);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0], "abcdef");
    assert_int_equal(linebuf_pending(&lb), 3); /* "xy\r" */
    assert_int_equal(linebuf_feed(&lb, "\n", 1, collect, &got), 0);
    assert_int_equal(got.n, 2);
    assert_string_equal(got.v[1], "xy");
    assert_int_equal(linebuf_pending(&lb), 0);
    assert_int_equal(linebuf_feed(&lb, "half", 4, collect, &got), 0);
    linebuf_clear(&lb); /* a reconnect drops the unfinished line */
    assert_int_equal(linebuf_pending(&lb), 0);
    assert_int_equal(linebuf_feed(&lb, "new\n", 4, collect, &got), 0);
    assert_int_equal(got.n, 3);
    assert_string_equal(got.v[2], "new");
    linebuf_clear(&lb);
    lines_free(&got);
}

static void test_line_too_long(void **state)
{
    struct linebuf lb = {.max = 16};
    struct lines got = {0};
    /* Exactly the maximum is fine. */
    assert_int_equal(linebuf_feed(&lb, "0123456789abcdef\n", 17, collect, &got), 0);
    assert_int_equal(got.n, 1);
    /* One byte more, in one feed: refused, the buffer emptied, the next line works. */
    assert_int_equal(linebuf_feed(&lb, "0123456789abcdefX\n", 18, collect, &got), -E2BIG);
    assert_int_equal(linebuf_pending(&lb), 0);
    assert_int_equal(got.n, 1);
    assert_int_equal(linebuf_feed(&lb, "next\n", 5, collect, &got), 0);
    assert_int_equal(got.n, 2);
    assert_string_equal(got.v[1], "next");
    /* Growing over several feeds, without any newline: refused when it passes the maximum. */
    assert_int_equal(linebuf_feed(&lb, "0123456789", 10, collect, &got), 0);
    assert_int_equal(linebuf_pending(&lb), 10);
    assert_int_equal(linebuf_feed(&lb, "012345", 6, collect, &got), 0);
    assert_int_equal(linebuf_pending(&lb), 16);
    assert_int_equal(linebuf_feed(&lb, "6", 1, collect, &got), -E2BIG);
    assert_int_equal(linebuf_pending(&lb), 0);
    assert_int_equal(linebuf_feed(&lb, "after\nand more\n", 15, collect, &got), 0);
    assert_int_equal(got.n, 4);
    assert_string_equal(got.v[2], "after");
    assert_string_equal(got.v[3], "and more");
    /* Complete lines before the overlong one in the same feed are still delivered. */
    assert_int_equal(linebuf_feed(&lb, "ok\n01234567890123456789\n", 24, collect, &got), -E2BIG);
    assert_int_equal(got.n, 5);
    assert_string_equal(got.v[4], "ok");
    assert_int_equal(linebuf_pending(&lb), 0);
    linebuf_clear(&lb);
    lines_free(&got);
}

/* A line refused for its size leaves its start in head, from which kube_object_id() names
 * the object: in one feed, and grown over several. */
static void test_too_long_names_its_object(void **state)
{
    struct linebuf lb = {.max = 64};
    struct lines got = {0};
    char line[200];
    int n = snprintf(line, sizeof(line),
                     "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":"
                     "\"huge\",\"namespace\":\"demo\",\"labels\":{\"name\":\"x\"}},%s}\n",
                     "\"spec\":\"\\u003c\\u003c\\u003c\\u003c\\u003c\\u003c\\u003c\"");
    assert_true(n > 64 && n < (int)sizeof(line));
    char id[64];
    assert_int_equal(linebuf_feed(&lb, line, (size_t)n, collect, &got), -E2BIG);
    assert_int_equal(lb.head_len, (size_t)n - 1); /* the line without its newline */
    kube_object_id(lb.head, lb.head_len, "\"object\":", id, sizeof(id));
    assert_string_equal(id, "demo/huge");
    assert_int_equal(linebuf_feed(&lb, line, 40, collect, &got), 0);
    assert_int_equal(linebuf_feed(&lb, line + 40, (size_t)n - 40, collect, &got), -E2BIG);
    assert_int_equal(lb.head_len, 40);
    kube_object_id(lb.head, lb.head_len, "\"object\":", id, sizeof(id));
    assert_string_equal(id, ""); /* cut before the name */
    lb.max = 100;
    assert_int_equal(linebuf_feed(&lb, line, 100, collect, &got), 0);
    assert_int_equal(linebuf_feed(&lb, line + 100, (size_t)n - 100, collect, &got), -E2BIG);
    assert_int_equal(lb.head_len, 100);
    kube_object_id(lb.head, lb.head_len, "\"object\":", id, sizeof(id));
    assert_string_equal(id, "demo/huge");
    /* Cut after the name, before the namespace: not taken for an object of no namespace. */
    kube_object_id(lb.head, 66, "\"object\":", id, sizeof(id));
    assert_string_equal(id, "");
    assert_int_equal(got.n, 0);
    linebuf_clear(&lb);
    lines_free(&got);
}

/* kube_object_id(): the first object's own name and namespace, never a nested "name" (labels,
 * ownerReferences) nor one past the bytes given; a list's first item; an object without a
 * namespace; text that does not say. */
static void test_object_id(void **state)
{
    static const struct {
        const char *text, *mark, *want;
    } rows[] = {
        {"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\"}}}",
         "\"object\":", "ns/a"},
        {"{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[{\"metadata\":"
         "{\"name\":\"p-1\",\"generateName\":\"p-\",\"namespace\":\"team.b\"}}]}",
         "\"items\":[", "team.b/p-1"},
        {"{\"object\":{\"metadata\":{\"name\":\"cluster-wide\",\"uid\":\"1\"}}}",
         "\"object\":", "cluster-wide"},
        {"{\"object\":{\"metadata\":{\"name\":\"no-end-seen\",\"uid\":\"1\"", "\"object\":", ""},
        {"{\"object\":{\"metadata\":{\"labels\":{\"name\":\"evil\"},\"name\":\"real\"}}}",
         "\"object\":", ""},
        {"{\"object\":{\"metadata\":{\"name\":\"UPPER\"}}}", "\"object\":", ""},
        {"{\"object\":{\"metadata\":{\"name\":\"a\\u003cb\"}}}", "\"object\":", ""},
        {"{\"object\":{\"metadata\":{\"name\":\"cut", "\"object\":", ""},
        {"{\"metadata\":{\"name\":\"outer\"},\"object\":1}", "\"object\":", ""},
        {"", "\"object\":", ""},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char id[64];
        kube_object_id(rows[i].text, strlen(rows[i].text), rows[i].mark, id, sizeof(id));
        if (strcmp(id, rows[i].want) != 0)
            fail_msg("row %zu: \"%s\", want \"%s\"", i, id, rows[i].want);
    }
    /* Not past n: the name is cut at n ("ab" of "abc" is no whole value). */
    const char *t = "{\"object\":{\"metadata\":{\"name\":\"abc\"}}}";
    char id[64];
    kube_object_id(t, strlen(t) - 5, "\"object\":", id, sizeof(id));
    assert_string_equal(id, "");
    kube_object_id(t, strlen(t), "\"object\":", id, 3);
    assert_string_equal(id, "ab"); /* truncated to the buffer */
}

/* max 0 means WATCH_MAX_LINE (32 MiB): a 1 MiB line passes, one over the limit does not. */
static void test_default_max(void **state)
{
    size_t mib = 1024 * 1024;
    char *chunk = malloc(mib);
    assert_non_null(chunk);
    memset(chunk, 'a', mib);
    struct linebuf lb = {0};
    struct lines got = {0};
    assert_int_equal(linebuf_feed(&lb, chunk, mib, collect, &got), 0);
    assert_int_equal(linebuf_feed(&lb, "\n", 1, collect, &got), 0);
    assert_int_equal(got.n, 1);
    assert_int_equal(strlen(got.v[0]), mib);
    int r = 0;
    size_t fed = 0;
    while (r == 0 && fed <= WATCH_MAX_LINE) {
        r = linebuf_feed(&lb, chunk, mib, collect, &got);
        fed += mib;
    }
    assert_int_equal(r, -E2BIG);
    assert_int_equal(fed, WATCH_MAX_LINE + mib);
    assert_int_equal(linebuf_pending(&lb), 0);
    assert_int_equal(linebuf_feed(&lb, "ok\n", 3, collect, &got), 0);
    assert_int_equal(got.n, 2);
    linebuf_clear(&lb);
    lines_free(&got);
    free(chunk);
}

static void test_callback_error_stops(void **state)
{
    struct linebuf lb = {0};
    struct lines got = {.fail_at = 2, .fail_code = -ECANCELED};
    const char *s = "a\nb\nc\nd";
    assert_int_equal(linebuf_feed(&lb, s, strlen(s), collect, &got), -ECANCELED);
    assert_int_equal(got.calls, 2); /* "c" was not delivered */
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0], "a");
    /* The failed line is consumed; a new feed starts a fresh line. */
    assert_int_equal(linebuf_pending(&lb), 0);
    assert_int_equal(linebuf_feed(&lb, "e\n", 2, collect, &got), 0);
    assert_int_equal(got.n, 2);
    assert_string_equal(got.v[1], "e");
    /* A positive result is not an error. */
    got.fail_at = got.calls + 1;
    got.fail_code = 7;
    assert_int_equal(linebuf_feed(&lb, "f\ng\n", 4, collect, &got), 0);
    assert_int_equal(got.n, 3);
    assert_string_equal(got.v[2], "g");
    linebuf_clear(&lb);
    lines_free(&got);
}

/* ---- events ------------------------------------------------------------------------------ */

struct event_case {
    const char *line;
    int r;             /* 0 or the error */
    enum watch_type t; /* r == 0 */
    const char *rv;    /* r == 0: metadata.resourceVersion, NULL when none */
    const char *msg;   /* r < 0: a part of the message */
};

static const struct event_case event_cases[] = {
    {"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{"
     "\"name\":"
     "\"web-0\",\"namespace\":\"demo\",\"resourceVersion\":\"18234\"},\"spec\":{}}}",
     0, WATCH_ADDED, "18234", NULL},
    {"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"resourceVersion\":\"18240\"}}}", 0,
     WATCH_MODIFIED, "18240", NULL},
    {"{\"object\":{\"metadata\":{\"resourceVersion\":\"18251\"}},\"type\":\"DELETED\"}", 0,
     WATCH_DELETED, "18251", NULL},
    {"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{"
     "\"resourceVersion\":\"18300\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}",
     0, WATCH_BOOKMARK, "18300", NULL},
    {"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
     "\"status\":\"Failure\",\"message\":\"too old resource version: 18234 (19001)\",\"reason\":"
     "\"Expired\",\"code\":410}}",
     0, WATCH_ERROR, NULL, NULL},
    {" {\"type\":\"ADDED\",\"object\":{}} \t", 0, WATCH_ADDED, NULL, NULL},
    {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":5}}}", 0, WATCH_ADDED, NULL,
     NULL},
    {"{\"type\":\"ADDED\",\"object\":{},\"extra\":[1,2]}", 0, WATCH_ADDED, NULL, NULL},
    /* malformed */
    {"", -EINVAL, 0, NULL, "not JSON"},
    {"{", -EINVAL, 0, NULL, "not JSON"},
    {"not json", -EINVAL, 0, NULL, "not JSON"},
    {"{\"type\":\"ADDED\",\"object\":{}} trailing", -EINVAL, 0, NULL, "not JSON"},
    {"{\"type\":\"ADDED\",\"object\":{}}{}", -EINVAL, 0, NULL, "not JSON"},
    {"{\"type\":\"ADDED\",\"object\":{\"a\":\"\\u0000\"}}", -EINVAL, 0, NULL, "not JSON"},
    {"{\"type\":\"ADDED\",\"object\":{\"a\":\"\xff\"}}", -EINVAL, 0, NULL, "not JSON"},
    {"\"ADDED\"", -EINVAL, 0, NULL, "not a JSON object"},
    /* the envelope */
    {"[{\"type\":\"ADDED\",\"object\":{}}]", -EINVAL, 0, NULL, "not a JSON object"},
    {"{\"object\":{}}", -EINVAL, 0, NULL, "without a type"},
    {"{\"type\":null,\"object\":{}}", -EINVAL, 0, NULL, "without a type"},
    {"{\"type\":1,\"object\":{}}", -EINVAL, 0, NULL, "without a type"},
    {"{\"type\":\"SYNC\",\"object\":{}}", -EINVAL, 0, NULL, "unknown type \"SYNC\""},
    {"{\"type\":\"added\",\"object\":{}}", -EINVAL, 0, NULL, "unknown type \"added\""},
    {"{\"type\":\"\",\"object\":{}}", -EINVAL, 0, NULL, "unknown type \"\""},
    {"{\"type\":\"ADDED\"}", -EINVAL, 0, NULL, "ADDED without an object"},
    {"{\"type\":\"ADDED\",\"object\":null}", -EINVAL, 0, NULL, "ADDED without an object"},
    {"{\"type\":\"DELETED\",\"object\":[]}", -EINVAL, 0, NULL, "DELETED without an object"},
    {"{\"type\":\"ERROR\",\"object\":\"gone\"}", -EINVAL, 0, NULL, "ERROR without an object"},
    {"{\"type\":\"BOOKMARK\",\"object\":42}", -EINVAL, 0, NULL, "BOOKMARK without an object"},
    /* duplicate keys, at the top and inside the object */
    {"{\"type\":\"ADDED\",\"type\":\"DELETED\",\"object\":{}}", -EINVAL, 0, NULL, "duplicate"},
    {"{\"type\":\"ADDED\",\"object\":{},\"object\":{}}", -EINVAL, 0, NULL, "duplicate"},
    {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"name\":\"b\"}}}", -EINVAL, 0,
     NULL, "duplicate"},
};

static void test_event_decode(void **state)
{
    for (size_t i = 0; i < ELEMENTSOF(event_cases); i++) {
        const struct event_case *c = &event_cases[i];
        struct watch_event ev = {.type = (enum watch_type)99, .object = (json_t *)&ev};
        struct kerr err = {0};
        int r = watch_event_decode(c->line, strlen(c->line), NULL, &ev, &err);
        if (r != c->r)
            fail_msg("case %zu (%s): got %d (%s), want %d", i, c->line, r, err.msg, c->r);
        if (r < 0) {
            assert_int_equal(err.code, r);
            if (!strstr(err.msg, c->msg))
                fail_msg("case %zu (%s): message \"%s\" lacks \"%s\"", i, c->line, err.msg, c->msg);
            assert_int_equal(ev.type, 99); /* untouched on failure */
            assert_ptr_equal(ev.object, &ev);
            continue;
        }
        assert_int_equal(ev.type, c->t);
        assert_true(json_is_object(ev.object));
        assert_int_equal(ev.object->refcount, 1); /* the caller holds the only reference */
        if (c->rv)
            assert_string_equal(json_resource_version(ev.object), c->rv);
        else
            assert_null(json_resource_version(ev.object));
        json_decref(ev.object);
    }
}

/* len is honoured: bytes after it are not read, a line need not end in NUL. */
static void test_event_decode_len(void **state)
{
    const char *s = "{\"type\":\"ADDED\",\"object\":{}}GARBAGE";
    struct watch_event ev;
    struct kerr err = {0};
    assert_int_equal(watch_event_decode(s, strlen(s) - 7, NULL, &ev, &err), 0);
    assert_int_equal(ev.type, WATCH_ADDED);
    json_decref(ev.object);
    assert_int_equal(watch_event_decode(s, strlen(s) - 8, NULL, &ev, &err), -EINVAL);
    /* A NUL inside the line is not JSON. */
    const char nul[] = "{\"type\":\"ADDED\",\"object\":{}}\0";
    assert_int_equal(watch_event_decode(nul, sizeof(nul) - 1, NULL, &ev, &err), -EINVAL);
    /* Without an error struct. */
    assert_int_equal(watch_event_decode("{", 1, NULL, &ev, NULL), -EINVAL);
}

/* A whole stream: framing and decoding together, as the reflector runs them. */
struct decoded {
    int counts[WATCH_ERROR + 1];
    int errors;
    int last_code;
    char rv[32];
};

static int decode_line(const char *line, size_t len, void *userdata)
{
    struct decoded *d = userdata;
    struct watch_event ev;
    if (watch_event_decode(line, len, NULL, &ev, NULL) < 0) {
        d->errors++;
        return 0;
    }
    d->counts[ev.type]++;
    if (ev.type == WATCH_ERROR)
        d->last_code = watch_error_code(ev.object);
    else if (json_resource_version(ev.object))
        snprintf(d->rv, sizeof(d->rv), "%s", json_resource_version(ev.object));
    json_decref(ev.object);
    return 0;
}

static void test_stream_decoded(void **state)
{
    struct lines unused = {0};
    size_t len;
    _cleanup_free_ char *buf = stream_build(2, &len, &unused);
    lines_free(&unused);
    for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
        struct linebuf lb = {0};
        struct decoded d = {0};
        for (size_t off = 0; off < len; off += chunk)
            assert_int_equal(linebuf_feed(&lb, buf + off, off + chunk > len ? len - off : chunk,
                                          decode_line, &d),
                             0);
        assert_int_equal(d.counts[WATCH_ADDED], 2);
        assert_int_equal(d.counts[WATCH_MODIFIED], 2);
        assert_int_equal(d.counts[WATCH_DELETED], 2);
        assert_int_equal(d.counts[WATCH_BOOKMARK], 2);
        assert_int_equal(d.counts[WATCH_ERROR], 2);
        assert_int_equal(d.errors, 6); /* "x", the tabs line, "ab", twice */
        assert_int_equal(d.last_code, 410);
        assert_string_equal(d.rv, "160");
        linebuf_clear(&lb);
    }
}

/* ---- helpers on objects ------------------------------------------------------------------ */

struct code_case {
    const char *json;
    int code;
};

static const struct code_case code_cases[] = {
    {"{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}", 410},
    {"{\"code\":500}", 500},
    {"{\"code\":0}", 0},
    {"{}", 0},
    {"{\"code\":\"410\"}", 0},
    {"{\"code\":410.0}", 0},
    {"{\"code\":null}", 0},
    {"{\"code\":-410}", 0},
    {"{\"code\":4294967706}", 0}, /* 2^32 + 410: not 410 */
    {"{\"code\":9223372036854775807}", 0},
    {"{\"details\":{\"code\":410}}", 0},
    {"[410]", 0},
};

static void test_error_code(void **state)
{
    for (size_t i = 0; i < ELEMENTSOF(code_cases); i++) {
        json_t *j = json_loads(code_cases[i].json, 0, NULL);
        assert_non_null(j);
        if (watch_error_code(j) != code_cases[i].code)
            fail_msg("%s: got %d, want %d", code_cases[i].json, watch_error_code(j),
                     code_cases[i].code);
        json_decref(j);
    }
    assert_int_equal(watch_error_code(NULL), 0);
}

struct rv_case {
    const char *json;
    const char *rv;
};

static const struct rv_case rv_cases[] = {
    {"{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"12345\"}}", "12345"},
    {"{\"metadata\":{\"resourceVersion\":\"\"}}", ""},
    {"{\"metadata\":{}}", NULL},
    {"{}", NULL},
    {"{\"resourceVersion\":\"1\"}", NULL},
    {"{\"metadata\":{\"resourceVersion\":12345}}", NULL},
    {"{\"metadata\":{\"resourceVersion\":null}}", NULL},
    {"{\"metadata\":\"resourceVersion\"}", NULL},
    {"{\"metadata\":[{\"resourceVersion\":\"1\"}]}", NULL},
    {"[]", NULL},
};

static void test_resource_version(void **state)
{
    for (size_t i = 0; i < ELEMENTSOF(rv_cases); i++) {
        json_t *j = json_loads(rv_cases[i].json, 0, NULL);
        assert_non_null(j);
        const char *rv = json_resource_version(j);
        if (rv_cases[i].rv)
            assert_string_equal(rv, rv_cases[i].rv);
        else if (rv)
            fail_msg("%s: got \"%s\", want none", rv_cases[i].json, rv);
        json_decref(j);
    }
    assert_null(json_resource_version(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed_whole),
        cmocka_unit_test(test_too_long_names_its_object),
        cmocka_unit_test(test_object_id),
        cmocka_unit_test(test_feed_one_byte_chunks),
        cmocka_unit_test(test_feed_split_crlf),
        cmocka_unit_test(test_feed_random_chunks),
        cmocka_unit_test(test_feed_several_lines_per_chunk),
        cmocka_unit_test(test_empty_lines_skipped),
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_default_max),
        cmocka_unit_test(test_callback_error_stops),
        cmocka_unit_test(test_event_decode),
        cmocka_unit_test(test_event_decode_len),
        cmocka_unit_test(test_stream_decoded),
        cmocka_unit_test(test_error_code),
        cmocka_unit_test(test_resource_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
