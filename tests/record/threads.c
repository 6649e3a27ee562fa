/* threads.c - a known load for `kscmp record`: THREADS threads make CALLS syscalls between
 * them, from a known set, through syscall(2) so that libc adds nothing. Each thread also
 * makes one syscall of its own exactly once, at a point that depends on the thread, so one
 * lost notification among the million shows. Writes what it made to EXPECT as
 * "name count" lines.
 *
 *   threads THREADS CALLS EXPECT
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_THREADS 8

/* The set every thread cycles through. */
static const struct {
    const char *name;
    long nr;
} cycle[] = {
    {"getppid", SYS_getppid}, {"getuid", SYS_getuid},   {"getgid", SYS_getgid},
    {"geteuid", SYS_geteuid}, {"getegid", SYS_getegid}, {"getpgrp", SYS_getpgrp},
};
#define NCYCLE (sizeof(cycle) / sizeof(cycle[0]))

/* One call per thread, made once. */
static const char *const single_names[MAX_THREADS] = {
    "getsid", "getpgid", "times", "sysinfo", "getrusage", "uname", "getcwd", "sched_getscheduler",
};

struct job {
    int index;
    long calls; /* this thread's share, its single call included */
    long made[NCYCLE];
};

static void single(int i)
{
    static __thread char buf[4096];
    switch (i) {
    case 0: syscall(SYS_getsid, 0); break;
    case 1: syscall(SYS_getpgid, 0); break;
    case 2: syscall(SYS_times, buf); break;
    case 3: syscall(SYS_sysinfo, buf); break;
    case 4: syscall(SYS_getrusage, RUSAGE_SELF, buf); break;
    case 5: syscall(SYS_uname, buf); break;
    case 6: syscall(SYS_getcwd, buf, sizeof(buf)); break;
    case 7: syscall(SYS_sched_getscheduler, 0); break;
    }
}

static void *run(void *arg)
{
    struct job *j = arg;
    long at = (j->calls * (j->index + 1)) / (MAX_THREADS + 1); /* where the single call goes */
    for (long i = 0; i < j->calls; i++) {
        if (i == at) {
            single(j->index);
            continue;
        }
        size_t k = (size_t)(i + j->index) % NCYCLE;
        syscall(cycle[k].nr);
        j->made[k]++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return fprintf(stderr, "usage: threads THREADS CALLS EXPECT\n"), 2;
    int n = atoi(argv[1]);
    long calls = atol(argv[2]);
    if (n < 1 || n > MAX_THREADS || calls < n)
        return fprintf(stderr, "threads: 1 to %d threads, at least one call each\n", MAX_THREADS), 2;
    struct job jobs[MAX_THREADS] = {{0}};
    pthread_t t[MAX_THREADS];
    for (int i = 0; i < n; i++) {
        jobs[i].index = i;
        jobs[i].calls = calls / n + (i < calls % n);
        if (pthread_create(&t[i], NULL, run, &jobs[i]) != 0)
            return perror("pthread_create"), 1;
    }
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    FILE *f = fopen(argv[3], "w");
    if (!f)
        return perror(argv[3]), 1;
    for (size_t k = 0; k < NCYCLE; k++) {
        long sum = 0;
        for (int i = 0; i < n; i++)
            sum += jobs[i].made[k];
        fprintf(f, "%s %ld\n", cycle[k].name, sum);
    }
    for (int i = 0; i < n; i++)
        fprintf(f, "%s 1\n", single_names[i]);
    return fclose(f) == 0 ? 0 : 1;
}
