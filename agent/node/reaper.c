/* reaper.c - closes descriptors on a thread of its own (reaper.h). */
#include "node/reaper.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/cleanup.h"

struct reaper {
    pthread_t thread;
    int in;  /* the thread reads descriptor numbers from here */
    int out; /* reaper_close() writes them here, without waiting */
};

static void *reaper_main(void *userdata)
{
    struct reaper *r = userdata;
    for (;;) {
        int fds[64];
        ssize_t n = read(r->in, fds, sizeof(fds));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL; /* every writer is gone: all handed descriptors are closed */
        /* A pipe write of one int is atomic, so n is a whole number of them. */
        for (size_t i = 0; i < (size_t)n / sizeof(int); i++)
            close(fds[i]);
    }
}

int reaper_new(struct reaper **ret)
{
    _cleanup_free_ struct reaper *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    _cleanup_close_ int in = p[0], out = p[1];
    if (fcntl(out, F_SETFL, O_NONBLOCK) < 0)
        return -errno;
    r->in = in;
    r->out = out;
    /* The thread takes no signal: the agent reads its own through a signalfd. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&r->thread, NULL, reaper_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0)
        return -e;
    (void)TAKE_FD(in);
    (void)TAKE_FD(out);
    *ret = TAKE_PTR(r);
    return 0;
}

void reaper_free(struct reaper *r)
{
    if (!r)
        return;
    close(r->out); /* the thread closes what is left in the pipe, then reads its end */
    pthread_join(r->thread, NULL);
    close(r->in);
    free(r);
}

void reaper_close(struct reaper *r, int fd)
{
    if (fd < 0)
        return;
    if (r) {
        ssize_t n;
        do
            n = write(r->out, &fd, sizeof(fd));
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof(fd))
            return;
    }
    close(fd); /* no thread, or its pipe is full: the wait is ours */
}
