/* evloop.c - epoll loop with one-shot timers that their owners hold. */
#include "base/evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct watch {
    int fd;
    evloop_fd_cb cb;
    void *userdata;
    struct watch *next;
};

struct evtimer {
    struct evloop *l; /* NULL once the loop is freed */
    struct evtimer *prev, *next;
    uint64_t deadline;
    bool armed;
    bool idle; /* armed with evtimer_arm_idle(): also fires in a round with no fd ready */
    bool due;  /* fires in the current round */
    evtimer_cb cb;
    void *userdata;
};

struct evloop {
    int epfd;
    struct watch *watches;
    struct watch *dead;     /* removed during a round, freed after it */
    struct evtimer *timers; /* every timer of the loop, armed or not */
    bool quit;
    int code;
};

uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms)
{
    uint64_t delay = base_ms;
    for (unsigned i = 1; i < attempt && delay < max_ms; i++)
        delay *= 2;
    return delay > max_ms ? max_ms : delay;
}

uint64_t backoff_jitter_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms)
{
    uint64_t delay = backoff_ms(attempt, base_ms, max_ms);
    return delay / 2 + (uint64_t)rand() % (delay / 2 + 1);
}

void rfc3339_utc(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

uint64_t now_ms(void)
{
    return now_us() / 1000u;
}

int evloop_new(struct evloop **ret)
{
    struct evloop *l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        int r = -errno;
        free(l);
        return r;
    }
    *ret = l;
    return 0;
}

void evloop_free(struct evloop *l)
{
    if (!l)
        return;
    for (struct watch **list = &l->watches; list; list = list == &l->watches ? &l->dead : NULL)
        while (*list) {
            struct watch *w = *list;
            *list = w->next;
            free(w);
        }
    /* Timers stay their owners' to free; they no longer belong to a loop. */
    while (l->timers) {
        struct evtimer *t = l->timers;
        l->timers = t->next;
        *t = (struct evtimer){.cb = t->cb, .userdata = t->userdata};
    }
    close(l->epfd);
    free(l);
}

int evloop_add_fd(struct evloop *l, int fd, uint32_t events, evloop_fd_cb cb, void *userdata)
{
    struct watch *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    *w = (struct watch){fd, cb, userdata, l->watches};
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int r = -errno;
        free(w);
        return r;
    }
    l->watches = w;
    return 0;
}

static struct watch *find_watch(struct evloop *l, int fd, struct watch ***ret_prev)
{
    for (struct watch **pw = &l->watches; *pw; pw = &(*pw)->next)
        if ((*pw)->fd == fd) {
            if (ret_prev)
                *ret_prev = pw;
            return *pw;
        }
    return NULL;
}

int evloop_mod_fd(struct evloop *l, int fd, uint32_t events)
{
    struct watch *w = find_watch(l, fd, NULL);
    if (!w)
        return -ENOENT;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int evloop_del_fd(struct evloop *l, int fd)
{
    struct watch **prev = NULL;
    struct watch *w = find_watch(l, fd, &prev);
    if (!w)
        return -ENOENT;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    *prev = w->next;
    /* Freed after the round: an event for it may still be pending in this one. */
    w->cb = NULL;
    w->fd = -1;
    w->next = l->dead;
    l->dead = w;
    return 0;
}

int evtimer_new(struct evloop *l, evtimer_cb cb, void *userdata, struct evtimer **ret)
{
    struct evtimer *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    *t = (struct evtimer){.l = l, .next = l->timers, .cb = cb, .userdata = userdata};
    if (l->timers)
        l->timers->prev = t;
    l->timers = t;
    *ret = t;
    return 0;
}

void evtimer_free(struct evtimer *t)
{
    if (!t)
        return;
    if (t->l) {
        if (t->prev)
            t->prev->next = t->next;
        else
            t->l->timers = t->next;
        if (t->next)
            t->next->prev = t->prev;
    }
    free(t);
}

void evtimer_arm(struct evtimer *t, uint64_t ms)
{
    t->armed = t->l != NULL;
    t->idle = false;
    t->due = false;
    t->deadline = now_ms() + ms;
}

void evtimer_arm_idle(struct evtimer *t, uint64_t max_ms)
{
    evtimer_arm(t, max_ms);
    t->idle = t->armed;
}

void evtimer_cancel(struct evtimer *t)
{
    t->armed = false;
    t->due = false;
}

bool evtimer_armed(const struct evtimer *t)
{
    return t->armed;
}

/* Runs the callbacks of the timers due now, earliest deadline first; in a round in which no
 * fd was ready (idle), those armed with evtimer_arm_idle() too. A callback may arm, cancel or
 * free any timer: one armed during the round waits for the next round. */
static void fire_timers(struct evloop *l, bool idle)
{
    uint64_t now = now_ms();
    for (struct evtimer *t = l->timers; t; t = t->next)
        t->due = t->armed && (t->deadline <= now || (idle && t->idle));
    while (!l->quit) {
        struct evtimer *first = NULL;
        for (struct evtimer *t = l->timers; t; t = t->next)
            if (t->due && (!first || t->deadline < first->deadline))
                first = t;
        if (!first)
            return;
        first->due = false;
        first->armed = false;
        first->cb(first, first->userdata);
    }
}

void evloop_quit(struct evloop *l, int code)
{
    l->quit = true;
    l->code = code;
}

int evloop_run(struct evloop *l)
{
    while (!l->quit) {
        uint64_t now = now_ms();
        int timeout = -1;
        for (struct evtimer *tm = l->timers; tm; tm = tm->next) {
            if (!tm->armed)
                continue;
            uint64_t d = tm->deadline;
            /* An idle timer: a look whether an fd is ready, without waiting. */
            int t = d <= now || tm->idle ? 0 : (int)(d - now > 3600000 ? 3600000 : d - now);
            if (timeout < 0 || t < timeout)
                timeout = t;
        }
        struct epoll_event evs[32];
        int n = epoll_wait(l->epfd, evs, 32, timeout);
        if (n < 0 && errno != EINTR)
            return -errno;
        for (int i = 0; i < n && !l->quit; i++) {
            struct watch *w = evs[i].data.ptr;
            if (w->cb) /* NULL once removed by an earlier callback of this round */
                w->cb(l, w->fd, evs[i].events, w->userdata);
        }
        while (l->dead) {
            struct watch *w = l->dead;
            l->dead = w->next;
            free(w);
        }
        fire_timers(l, n == 0);
    }
    l->quit = false; /* the loop may be run again (the command line runs it per request) */
    return l->code;
}
