/* test_oom_guard.c - with the guard installed, an allocation of jansson that gets no memory
 * stops the process with a message (status 1) instead of handing jansson a NULL it mishandles
 * (program/oom_guard.h); successes pass through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "program/oom_guard.h"

/* Under AddressSanitizer an allocation too large for any memory returns NULL, as it does
 * without it, instead of stopping the test. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

#define HUGE ((size_t)1 << 62)

enum what { VIA_JANSSON, VIA_MALLOC, VIA_REALLOC };

/* Runs `what` in a child with the guard installed; returns its wait status and what it wrote to
 * stderr. */
static int run_child(enum what what, char *out, size_t cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        oom_guard_install();
        json_t *ok = json_pack("{s:[i,s]}", "k", 1, "v"); /* allocations that succeed */
        if (!ok)
            _exit(10);
        json_decref(ok);
        if (what == VIA_JANSSON)
            (void)json_stringn_nocheck("x", HUGE - 2); /* jansson asks for HUGE - 1 bytes */
        else if (what == VIA_MALLOC)
            (void)oom_guard_malloc(HUGE);
        else {
            void *p = oom_guard_realloc(NULL, 16);
            if (!p)
                _exit(11);
            (void)oom_guard_realloc(p, HUGE);
        }
        _exit(0); /* not reached when the guard works */
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t n;
    while (len + 1 < cap && (n = read(fds[0], out + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void check(enum what what)
{
    char out[1024];
    int status = run_child(what, out, sizeof(out));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
        fail_msg("status %#x, stderr: %s", status, out);
    if (!strstr(out, "kscmp: out of memory (") || !strstr(out, "bytes for jansson or libseccomp"))
        fail_msg("stderr: %s", out);
}

static void test_jansson_failure_stops(void **state)
{
    check(VIA_JANSSON);
}

static void test_malloc_failure_stops(void **state)
{
    check(VIA_MALLOC);
}

static void test_realloc_failure_stops(void **state)
{
    check(VIA_REALLOC);
}

static void test_zero_sizes_pass(void **state)
{
    /* malloc(0) and realloc(p, 0) may give NULL without any failure. */
    void *p = oom_guard_malloc(0);
    free(p);
    p = oom_guard_malloc(8);
    assert_non_null(p);
    p = oom_guard_realloc(p, 0);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jansson_failure_stops),
        cmocka_unit_test(test_malloc_failure_stops),
        cmocka_unit_test(test_realloc_failure_stops),
        cmocka_unit_test(test_zero_sizes_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
