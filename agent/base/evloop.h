/* evloop.h - the agent's single event loop (epoll), with fd watches and one-shot timers.
 *
 * Owns: waiting. Sources (inotify, signalfd, libcurl sockets) register fds; the loop calls
 * back on the loop's thread, so nothing the agent holds needs a lock. A timer is an object
 * its owner creates, arms, re-arms, cancels and frees (as sd-event's sources): the loop
 * keeps no table of ids, and holds as many timers as there are owners.
 */
#ifndef KSCMP_EVLOOP_H
#define KSCMP_EVLOOP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <time.h>

#include "base/cleanup.h"

struct evloop;

typedef void (*evloop_fd_cb)(struct evloop *l, int fd, uint32_t events, void *userdata);
struct evtimer;
typedef void (*evtimer_cb)(struct evtimer *t, void *userdata);

int evloop_new(struct evloop **ret);
void evloop_free(struct evloop *l);

/* Fd watches are level-triggered: cb is called again while the fd stays readable. */
int evloop_add_fd(struct evloop *l, int fd, uint32_t events, evloop_fd_cb cb, void *userdata);
int evloop_mod_fd(struct evloop *l, int fd, uint32_t events);
int evloop_del_fd(struct evloop *l, int fd);

/* True when an inotify read of n bytes into a buffer of size bytes left the queue empty: each
 * read takes every whole event that fits, so one this much short of the buffer had room for
 * one more. A callback may then return without reading again for EAGAIN; the loop calls it
 * when more come. */
static inline bool inotify_read_drained(size_t n, size_t size)
{
    return n < size - sizeof(struct inotify_event) - NAME_MAX - 1;
}

/* Creates a timer on l, not armed, that calls cb(t, userdata) each time it fires. The caller
 * owns it and frees it with evtimer_free(), before or after the loop. */
int evtimer_new(struct evloop *l, evtimer_cb cb, void *userdata, struct evtimer **ret);
void evtimer_free(struct evtimer *t);

/* Arms (or re-arms) t to fire once, ms milliseconds from now. Timers that are due together
 * fire earliest deadline first; a timer is no longer armed when its callback runs. */
void evtimer_arm(struct evtimer *t, uint64_t ms);
/* Arms (or re-arms) t to fire in the first round of the loop in which no fd is ready, and at
 * the latest max_ms from now: for work that can wait while events come (a check after a
 * write, while changes to apply keep arriving), but not longer than max_ms. */
void evtimer_arm_idle(struct evtimer *t, uint64_t max_ms);
/* Disarms t (nothing happens when it is not armed). */
void evtimer_cancel(struct evtimer *t);
bool evtimer_armed(const struct evtimer *t);

DEFINE_CLEANUP_FUNC(struct evtimer, evtimer_free)

/* Runs until evloop_quit(); returns the code given to it. It can then be run again. */
int evloop_run(struct evloop *l);
void evloop_quit(struct evloop *l, int code);

/* Exponential backoff: base_ms doubled for each attempt after the first, capped at max_ms
 * (attempt 0 and 1 give base_ms). */
uint64_t backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms);
/* The retry delay: backoff_ms() with jitter, at random between half of it and all of it, so
 * that the nodes that failed together do not come back together. */
uint64_t backoff_jitter_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms);

/* Monotonic milliseconds and microseconds. */
uint64_t now_ms(void);
uint64_t now_us(void);

/* t in UTC as RFC 3339 to the second ("2025-01-31T12:00:00Z"), as the API server writes it. */
void rfc3339_utc(time_t t, char *buf, size_t len);

#endif
