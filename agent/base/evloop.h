/* evloop.h - the agent's single event loop (epoll), with fd watches and one-shot timers.
 *
 * Owns: waiting. Sources (inotify, signalfd, libcurl sockets) register fds; the loop calls
 * back on the loop's thread, so nothing the agent holds needs a lock.
 */
#ifndef KSCMP_EVLOOP_H
#define KSCMP_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct evloop;

typedef void (*evloop_fd_cb)(struct evloop *l, int fd, uint32_t events, void *userdata);
typedef void (*evloop_timer_cb)(struct evloop *l, void *userdata);

int evloop_new(struct evloop **ret);
void evloop_free(struct evloop *l);

int evloop_add_fd(struct evloop *l, int fd, uint32_t events, evloop_fd_cb cb, void *userdata);
int evloop_mod_fd(struct evloop *l, int fd, uint32_t events);
int evloop_del_fd(struct evloop *l, int fd);

/* Arms (or re-arms) the timer with this id to fire once after ms milliseconds. Ids are the
 * caller's small integers (0..EVLOOP_MAX_TIMERS-1). */
#define EVLOOP_MAX_TIMERS 16
void evloop_timer(struct evloop *l, int id, uint64_t ms, evloop_timer_cb cb, void *userdata);
void evloop_timer_cancel(struct evloop *l, int id);

/* Runs until evloop_quit(); returns the code given to it. */
int evloop_run(struct evloop *l);
void evloop_quit(struct evloop *l, int code);

/* Exponential backoff: base_ms doubled for each attempt after the first, capped at max_ms
 * (attempt 0 and 1 give base_ms). Callers add their own jitter. */
uint64_t backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms);

/* Monotonic milliseconds and microseconds. */
uint64_t now_ms(void);
uint64_t now_us(void);

#endif
