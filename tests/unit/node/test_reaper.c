/* test_reaper.c - descriptors handed to the reaper are closed, each once, and its thread
 * takes no signal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/reaper.h"

static bool is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

/* Without a reaper the caller's thread closes at once; a negative descriptor is ignored. */
static void test_without_reaper(void **state)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    reaper_close(NULL, p[0]);
    assert_false(is_open(p[0]));
    reaper_close(NULL, -1);
    assert_true(is_open(p[1]));
    reaper_close(NULL, p[1]);
    assert_false(is_open(p[1]));
    reaper_free(NULL);
}

/* Everything handed over is closed by the time reaper_free() returns, and nothing else. */
static void test_all_closed(void **state)
{
    struct reaper *r = NULL;
    assert_int_equal(reaper_new(&r), 0);
    enum { N = 400 }; /* more than one read() of the thread takes */
    int fds[N];
    int keep = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(keep >= 0);
    for (int i = 0; i < N; i++) {
        fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(fds[i] >= 0);
    }
    for (int i = 0; i < N; i++)
        reaper_close(r, fds[i]);
    reaper_close(r, -1);
    reaper_free(r);
    for (int i = 0; i < N; i++)
        assert_false(is_open(fds[i]));
    assert_true(is_open(keep));
    close(keep);
}

/* The thread starts with every signal blocked: a signal sent to the process goes to a thread
 * that takes it, here the test's own (which blocks SIGUSR1 and waits for it). */
static void test_thread_takes_no_signal(void **state)
{
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    /* Unblocked in the creating thread while the reaper starts: it must not inherit that. */
    pthread_sigmask(SIG_UNBLOCK, &usr1, &old);
    struct sigaction sa = {.sa_handler = SIG_DFL}, prev;
    sigaction(SIGUSR1, &sa, &prev);
    struct reaper *r = NULL;
    assert_int_equal(reaper_new(&r), 0);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    kill(getpid(), SIGUSR1); /* the default action ends the process unless blocked everywhere */
    int sig = 0;
    struct timespec ts = {5, 0};
    sig = sigtimedwait(&usr1, NULL, &ts);
    assert_int_equal(sig, SIGUSR1);
    reaper_free(r);
    sigaction(SIGUSR1, &prev, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_reaper),
        cmocka_unit_test(test_all_closed),
        cmocka_unit_test(test_thread_takes_no_signal),
    };
    return cmocka_run_group_tests_name("reaper", tests, NULL, NULL);
}
