/* test_file.c - reading whole files (base/file.h): what is not a plain file never blocks the
 * reader (a FIFO in a manifest folder or given with -f), a pipe with a writer is read to its
 * end, sizes over the bound are refused, out-parameters are written only on success. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/kscmp-test-file-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "read_file_all blocked on a FIFO\n";
    write(2, msg, sizeof(msg) - 1);
    _exit(1);
}

/* A FIFO nobody writes to reads as empty at once (it blocked in open() before). */
static void test_fifo_without_writer(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/p.yaml", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    signal(SIGALRM, on_alarm);
    alarm(10);
    char *buf = NULL;
    size_t len = 99;
    struct kerr err = {0};
    assert_int_equal(read_file_all(path, 1 << 20, &buf, &len, &err), 0);
    alarm(0);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
    free(buf);
}

/* A FIFO that a writer filled: everything it wrote, in pieces, to its end. A reader is held
 * open meanwhile so that the writer's open does not wait and the bytes stay in the FIFO. */
static void test_fifo_with_writer(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/w.yaml", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    int hold = open(path, O_RDONLY | O_NONBLOCK);
    assert_true(hold >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(path, O_WRONLY);
        for (int i = 0; i < 1000 && fd >= 0; i++)
            if (write(fd, "0123456789abcdef", 16) != 16)
                _exit(1);
        _exit(fd >= 0 ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    signal(SIGALRM, on_alarm);
    alarm(10);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    struct kerr err = {0};
    assert_int_equal(read_file_all(path, 1 << 20, &buf, &len, &err), 0);
    alarm(0);
    close(hold);
    assert_int_equal(len, 16000);
    assert_int_equal(memcmp(buf + 15984, "0123456789abcdef", 16), 0);
}

/* Too large, a folder, missing: an error naming the file; out-parameters untouched. */
static void test_refusals(void **state)
{
    char big[128], sub[128], missing[128];
    snprintf(big, sizeof(big), "%s/big.yaml", dir);
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    snprintf(missing, sizeof(missing), "%s/missing.yaml", dir);
    FILE *f = fopen(big, "w");
    assert_non_null(f);
    for (int i = 0; i < 200000; i++)
        fputc('a', f);
    fclose(f);
    assert_int_equal(mkdir(sub, 0700), 0);
    const struct {
        const char *path;
        int want;
    } cases[] = {{big, -EFBIG}, {sub, -EISDIR}, {missing, -ENOENT}};
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char *buf = (char *)"untouched";
        size_t len = 7;
        struct kerr err = {0};
        assert_int_equal(read_file_all(cases[i].path, 100000, &buf, &len, &err), cases[i].want);
        assert_string_equal(buf, "untouched");
        assert_int_equal(len, 7);
        assert_non_null(strstr(err.msg, cases[i].path));
    }
}

/* The hint that follows strerror() of a failed inotify call: the limit to raise. */
static void test_inotify_limit_hint(void **state)
{
    assert_non_null(strstr(inotify_limit_hint(ENOSPC), "fs.inotify.max_user_watches"));
    assert_non_null(strstr(inotify_limit_hint(EMFILE), "fs.inotify.max_user_instances"));
    assert_string_equal(inotify_limit_hint(ENOENT), "");
    assert_string_equal(inotify_limit_hint(0), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_without_writer),
        cmocka_unit_test(test_fifo_with_writer),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_inotify_limit_hint),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
