/* test_evloop.c - the event loop: timers their owners hold (any number, fired earliest
 * deadline first, re-armed, cancelled, freed from a callback or after the loop), idle timers
 * (at once on an idle loop, at their deadline on a busy one), fd watches, and the backoff
 * formula with its jitter.
 *
 * No test depends on how fast the machine is: deadlines are only checked from below, and
 * orders are chosen so that a delay between two arms cannot swap them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/evloop.h"

#define MAX_FIRED 256

/* What the callbacks of a test saw. */
struct record {
    struct evloop *l;
    int fired[MAX_FIRED]; /* timer numbers in firing order */
    size_t nfired;
    size_t quit_after; /* evloop_quit() once this many fired */
};

struct tdata {
    struct record *rec;
    int id;
    struct evtimer *t;
    uint64_t armed_ms, delay_ms; /* when armed, and for how long */
    unsigned rearm;              /* re-arms itself this many more times */
    struct evtimer *cancel;      /* cancels this one when it fires */
    struct evtimer **free_other; /* frees *free_other (and clears it) when it fires */
    bool free_self;
};

static void on_timer(struct evtimer *t, void *userdata)
{
    struct tdata *d = userdata;
    struct record *rec = d->rec;
    assert_ptr_equal(t, d->t);
    assert_false(evtimer_armed(t));
    /* Never early. */
    assert_true(now_ms() >= d->armed_ms + d->delay_ms);
    assert_true(rec->nfired < MAX_FIRED);
    rec->fired[rec->nfired++] = d->id;
    if (d->cancel)
        evtimer_cancel(d->cancel);
    if (d->free_other) {
        evtimer_free(*d->free_other);
        *d->free_other = NULL;
    }
    if (d->rearm) {
        d->rearm--;
        d->armed_ms = now_ms();
        evtimer_arm(t, d->delay_ms);
    }
    if (d->free_self) {
        evtimer_free(t);
        d->t = NULL;
    }
    if (rec->nfired == rec->quit_after)
        evloop_quit(rec->l, 7);
}

static void arm(struct tdata *d, uint64_t ms)
{
    d->armed_ms = now_ms();
    d->delay_ms = ms;
    evtimer_arm(d->t, ms);
    assert_true(evtimer_armed(d->t));
}

/* 64 timers (the old loop had 16 slots and dropped the rest silently): each fires once. */
static void test_many_timers(void **state)
{
    enum { N = 64 };
    struct evloop *l = NULL;
    assert_int_equal(evloop_new(&l), 0);
    struct record rec = {.l = l, .quit_after = N};
    struct tdata d[N];
    memset(d, 0, sizeof(d));
    for (int i = 0; i < N; i++) {
        d[i] = (struct tdata){.rec = &rec, .id = i};
        assert_int_equal(evtimer_new(l, on_timer, &d[i], &d[i].t), 0);
        assert_false(evtimer_armed(d[i].t));
    }
    for (int i = 0; i < N; i++)
        arm(&d[i], (uint64_t)(i % 3));
    assert_int_equal(evloop_run(l), 7);
    assert_int_equal(rec.nfired, N);
    bool seen[N] = {false};
    for (size_t i = 0; i < rec.nfired; i++) {
        assert_false(seen[rec.fired[i]]);
        seen[rec.fired[i]] = true;
    }
    for (int i = 0; i < N; i++) {
        assert_false(evtimer_armed(d[i].t));
        evtimer_free(d[i].t);
    }
    evloop_free(l);
}

/* Earliest deadline first, whatever the order of creation (the newest timer is first in the
 * loop's list). Armed in deadline order, so a stall between two arms can only make the later
 * one later; all three are due by the time the loop runs, so one round fires them all. */
static void test_deadline_order(void **state)
{
    struct evloop *l = NULL;
    assert_int_equal(evloop_new(&l), 0);
    struct record rec = {.l = l, .quit_after = 3};
    struct tdata d[3];
    for (int i = 0; i < 3; i++) {
        d[i] = (struct tdata){.rec = &rec, .id = i};
        assert_int_equal(evtimer_new(l, on_timer, &d[i], &d[i].t), 0);
    }
    arm(&d[0], 0);
    arm(&d[1], 20);
    arm(&d[2], 40);
    usleep(60 * 1000);
    assert_int_equal(evloop_run(l), 7);
    assert_int_equal(rec.nfired, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rec.fired[i], i);
        evtimer_free(d[i].t);
    }
    evloop_free(l);
}

/* Re-armed from its own callback: fires again; re-arming before it fires moves the deadline. */
static void test_rearm(void **state)
{
    struct evloop *l = NULL;
    assert_int_equal(evloop_new(&l), 0);
    struct record rec = {.l = l, .quit_after = 4};
    struct tdata d = {.rec = &rec, .id = 1, .rearm = 3};
    assert_int_equal(evtimer_new(l, on_timer, &d, &d.t), 0);
    arm(&d, 3600 * 1000);
    arm(&d, 5); /* the hour-long deadline is gone */
    assert_int_equal(evloop_run(l), 7);
    assert_int_equal(rec.nfired, 4);
    assert_int_equal(d.rearm, 0);
    evtimer_free(d.t);
    evloop_free(l);
}

/* A cancelled timer does not fire, even when it was due in the same round as the callback
 * that cancels it. */
static void test_cancel(void **state)
{
    struct evloop *l = NULL;
    assert_int_equal(evloop_new(&l), 0);
    struct record rec = {.l = l, .quit_after = 2};
    struct tdata first = {.rec = &rec, .id = 1}, victim = {.rec = &rec, .id = 2},
                 last = {.rec = &rec, .id = 3}, never = {.rec = &rec, .id = 4};
    assert_int_equal(evtimer_new(l, on_timer, &first, &first.t), 0);
    assert_int_equal(evtimer_new(l, on_timer, &victim, &victim.t), 0);
    assert_int_equal(evtimer_new(l, on_timer, &last, &last.t), 0);
    assert_int_equal(evtimer_new(l, on_timer, &never, &never.t), 0);
    first.cancel = victim.t;
    arm(&first, 0);
    arm(&victim, 1);
    arm(&last, 60);
    arm(&never, 0);
    evtimer_cancel(never.t);
    assert_false(evtimer_armed(never.t));
    evtimer_cancel(never.t); /* twice: nothing happens */
    usleep(10 * 1000);       /* first and victim are due in the loop's first round */
    assert_int_equal(evloop_run(l), 7);
    assert_int_equal(rec.nfired, 2);
    assert_int_equal(rec.fired[0], 1);
    assert_int_equal(rec.fired[1], 3);
    evtimer_free(first.t);
    evtimer_free(victim.t);
    evtimer_free(last.t);
    evtimer_free(never.t);
    evloop_free(l);
}

/* A callback frees another due timer (it does not fire) and itself (ASan checks that the loop
 * touches neither afterwards). */
static void test_free_in_callback(void **state)
{
    struct evloop *l = NULL;
    assert_int_equal(evloop_new(&l), 0);
    struct record rec = {.l = l, .quit_after = 2};
    struct tdata killer = {.rec = &rec, .id = 1, .free_self = true},
                 victim = {.rec = &rec, .id = 2}, last = {.rec = &rec, .id = 3};
    assert_int_equal(evtimer_new(l, on_timer, &victim, &victim.t), 0);
    assert_int_equal(evtimer_new(l, on_timer, &killer, &killer.t), 0);
    assert_int_equal(evtimer_new(l, on_timer, &last, &last.t), 0);
    killer.free_other = &victim.t;
    arm(&killer, 0);
    arm(&victim, 1);
    arm(&last, 60);
    usleep(10 * 1000); /* killer and victim are due in the loop's first round */
    assert_int_equal(evloop_run(l), 7);
    assert_int_equal(rec.nfired, 2);
    assert_int_equal(rec.fired[0], 1);
    assert_int_equal(rec.fired[1], 3);
    assert_null(killer.t);
    assert_null(victim.t);
    evtimer_free(last.t);
    evloop_free(l);
}

/* Timers may outlive their loop: arming them then does nothing, freeing them is safe. */
static void test_timer_outlives_loop(void **state)
{
    struct evloop *l = NULL;
    assert_int_equal(evloop_new(&l), 0);
    struct record rec = {.l = l};
    struct tdata d = {.rec = &rec, .id = 1};
    _cleanup_(evtimer_freep) struct evtimer *t = NULL;
    assert_int_equal(evtimer_new(l, on_timer, &d, &t), 0);
    evtimer_arm(t, 0);
    evloop_free(l);
    assert_false(evtimer_armed(t));
    evtimer_arm(t, 0);
    assert_false(evtimer_armed(t));
    evtimer_free(NULL);
}

struct fdrec {
    struct evloop *l;
    int calls;
    char got[8];
};

static void on_readable(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    struct fdrec *f = userdata;
    f->calls++;
    assert_true(events & EPOLLIN);
    assert_int_equal(read(fd, f->got, sizeof(f->got)), 2);
    assert_int_equal(evloop_del_fd(l, fd), 0);
    assert_int_equal(evloop_del_fd(l, fd), -ENOENT);
    evloop_quit(l, 3);
}

/* An fd watch calls back when readable and may remove itself from its callback. */
static void test_fd_watch(void **state)
{
    struct evloop *l = NULL;
    assert_int_equal(evloop_new(&l), 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct fdrec f = {.l = l};
    assert_int_equal(evloop_add_fd(l, p[0], EPOLLIN, on_readable, &f), 0);
    assert_int_equal(evloop_mod_fd(l, p[0], EPOLLIN), 0);
    assert_int_equal(evloop_mod_fd(l, p[1], EPOLLIN), -ENOENT);
    assert_int_equal(write(p[1], "hi", 2), 2);
    assert_int_equal(evloop_run(l), 3);
    assert_int_equal(f.calls, 1);
    assert_memory_equal(f.got, "hi", 2);
    close(p[0]);
    close(p[1]);
    evloop_free(l);
}

/* An idle timer on a loop with nothing to do fires in the first round, long before its
 * deadline: before a plain timer due in 2 s (a stall of that long alone could swap them). */
static void test_idle_timer_idle_loop(void **state)
{
    struct evloop *l = NULL;
    assert_int_equal(evloop_new(&l), 0);
    struct record rec = {.l = l, .quit_after = 2};
    struct tdata idle = {.rec = &rec, .id = 1}, plain = {.rec = &rec, .id = 2};
    assert_int_equal(evtimer_new(l, on_timer, &idle, &idle.t), 0);
    assert_int_equal(evtimer_new(l, on_timer, &plain, &plain.t), 0);
    arm(&plain, 2000);
    idle.armed_ms = now_ms(); /* may fire at once: delay_ms stays 0 */
    evtimer_arm_idle(idle.t, 60000);
    assert_true(evtimer_armed(idle.t));
    assert_int_equal(evloop_run(l), 7);
    assert_int_equal(rec.nfired, 2);
    assert_int_equal(rec.fired[0], 1);
    assert_int_equal(rec.fired[1], 2);
    /* Armed again as a plain timer, it waits for its deadline on the idle loop (on_timer
     * checks it is never early). */
    rec = (struct record){.l = l, .quit_after = 1};
    evtimer_arm_idle(idle.t, 60000);
    arm(&idle, 150);
    assert_int_equal(evloop_run(l), 7);
    assert_int_equal(rec.nfired, 1);
    evtimer_free(idle.t);
    evtimer_free(plain.t);
    evloop_free(l);
}

struct busy {
    struct evloop *l;
    int calls;
    uint64_t armed_ms, fired_ms;
};

static void on_always_readable(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    ((struct busy *)userdata)->calls++; /* never reads: the fd stays ready, every round */
}

static void on_idle_busy(struct evtimer *t, void *userdata)
{
    struct busy *b = userdata;
    b->fired_ms = now_ms();
    evloop_quit(b->l, 5);
}

/* While an fd is ready in every round, an idle timer waits for its deadline, and fires then
 * all the same. */
static void test_idle_timer_busy_loop(void **state)
{
    struct evloop *l = NULL;
    assert_int_equal(evloop_new(&l), 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    struct busy b = {.l = l};
    assert_int_equal(evloop_add_fd(l, p[0], EPOLLIN, on_always_readable, &b), 0);
    struct evtimer *t = NULL;
    assert_int_equal(evtimer_new(l, on_idle_busy, &b, &t), 0);
    b.armed_ms = now_ms();
    evtimer_arm_idle(t, 200);
    assert_int_equal(evloop_run(l), 5);
    assert_true(b.fired_ms >= b.armed_ms + 200);
    assert_true(b.calls > 1);
    evtimer_free(t);
    close(p[0]);
    close(p[1]);
    evloop_free(l);
}

/* backoff_ms: base for attempts 0 and 1, doubling after, capped. */
static void test_backoff(void **state)
{
    static const struct {
        unsigned attempt;
        uint64_t base, max, want;
    } cases[] = {
        {0, 200, 30000, 200},      {1, 200, 30000, 200},    {2, 200, 30000, 400},
        {3, 200, 30000, 800},      {8, 200, 30000, 25600},  {9, 200, 30000, 30000},
        {1000, 200, 30000, 30000}, {5, 1000, 30000, 16000}, {6, 1000, 30000, 30000},
        {2, 500, 300, 300},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        assert_int_equal(backoff_ms(cases[i].attempt, cases[i].base, cases[i].max), cases[i].want);
}

/* backoff_jitter_ms: between half the backoff and all of it, and not always the same. */
static void test_backoff_jitter(void **state)
{
    for (unsigned attempt = 0; attempt < 12; attempt++) {
        uint64_t full = backoff_ms(attempt, 200, 30000), lo = UINT64_MAX, hi = 0;
        for (int i = 0; i < 1000; i++) {
            uint64_t d = backoff_jitter_ms(attempt, 200, 30000);
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        assert_true(lo >= full / 2);
        assert_true(hi <= full);
        assert_true(lo < hi);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_timers),
        cmocka_unit_test(test_deadline_order),
        cmocka_unit_test(test_rearm),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_free_in_callback),
        cmocka_unit_test(test_timer_outlives_loop),
        cmocka_unit_test(test_fd_watch),
        cmocka_unit_test(test_idle_timer_idle_loop),
        cmocka_unit_test(test_idle_timer_busy_loop),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_backoff_jitter),
    };
    return cmocka_run_group_tests_name("evloop", tests, NULL, NULL);
}
