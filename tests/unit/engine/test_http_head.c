/* test_http_head.c - request heads of the agent's HTTP endpoint: whole, unfinished and
 * malformed ones (table-driven), and the same verdict whatever the bytes after the head. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/http_head.h"

static const struct {
    const char *in;
    int want;
    const char *method, *path;
} cases[] = {
    {"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 1, "GET", "/healthz"},
    {"GET /healthz HTTP/1.1\r\n\r\n", 1, "GET", "/healthz"},
    {"HEAD /readyz HTTP/1.0\n\n", 1, "HEAD", "/readyz"},
    {"GET /metrics?name=x HTTP/1.1\r\n\r\n", 1, "GET", "/metrics"},
    {"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 1, "POST", "/"},
    {"", 0, NULL, NULL},
    {"GET /healthz HTTP/1.1\r\n", 0, NULL, NULL},
    {"GET /healthz HTTP/1.1\r\nX-Slow: 1\r\nX-Slow: 1\r\n", 0, NULL, NULL},
    {"GET /healthz HTTP/1.1\r\n\r", 0, NULL, NULL},
    {"get /healthz HTTP/1.1\r\n\r\n", -EINVAL, NULL, NULL},
    {"GET healthz HTTP/1.1\r\n\r\n", -EINVAL, NULL, NULL},
    {"GET /healthz HTTP/2.0\r\n\r\n", -EINVAL, NULL, NULL},
    {"GET /healthz\r\n\r\n", -EINVAL, NULL, NULL},
    {"GET /healthz HTTP/1.1 extra\r\n\r\n", -EINVAL, NULL, NULL},
    {" /healthz HTTP/1.1\r\n\r\n", -EINVAL, NULL, NULL},
    {"GET  /healthz HTTP/1.1\r\n\r\n", -EINVAL, NULL, NULL},
    {"GET /he\x01lthz HTTP/1.1\r\n\r\n", -EINVAL, NULL, NULL},
    {"GET /h\xffz HTTP/1.1\r\n\r\n", -EINVAL, NULL, NULL},
    {"\r\n\r\n", -EINVAL, NULL, NULL},
    {"\n\n", -EINVAL, NULL, NULL},
    {"GETTTTTTTTTTTTTTTTTTTTTTT / HTTP/1.1\r\n\r\n", -E2BIG, NULL, NULL},
};

static void test_cases(void **state)
{
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        struct http_request rq = {.method = "unset"};
        int r = http_head_parse(cases[i].in, strlen(cases[i].in), &rq);
        if (r != cases[i].want)
            fail_msg("case %zu \"%s\": %d, want %d", i, cases[i].in, r, cases[i].want);
        if (r == 1) {
            assert_string_equal(rq.method, cases[i].method);
            assert_string_equal(rq.path, cases[i].path);
        } else
            assert_string_equal(rq.method, "unset"); /* written only on success */
    }
}

static void test_long_path(void **state)
{
    char buf[HTTP_PATH_MAX + 64];
    memset(buf, 'a', sizeof(buf));
    memcpy(buf, "GET /", 5);
    size_t n = 5 + HTTP_PATH_MAX;
    memcpy(buf + n, " HTTP/1.1\n\n", 11);
    struct http_request rq;
    assert_int_equal(http_head_parse(buf, n + 11, &rq), -E2BIG);
    /* One shorter fits. */
    memcpy(buf + n - 2, " HTTP/1.1\n\n", 11);
    assert_int_equal(http_head_parse(buf, n + 9, &rq), 1);
    assert_int_equal(strlen(rq.path), HTTP_PATH_MAX - 1);
}

/* Every prefix of a whole head says 0 until the empty line is in, then the same as whole. */
static void test_prefixes(void **state)
{
    const char *in = "GET /readyz HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\ntrailing";
    size_t end = strstr(in, "\r\n\r\n") - in + 4;
    for (size_t n = 0; n <= strlen(in); n++) {
        struct http_request rq;
        int r = http_head_parse(in, n, &rq);
        assert_int_equal(r, n < end ? 0 : 1);
        if (r == 1)
            assert_string_equal(rq.path, "/readyz");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_long_path),
        cmocka_unit_test(test_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
