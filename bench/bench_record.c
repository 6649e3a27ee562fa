/* bench_record.c - what `kscmp record` costs a syscall-heavy program: each workload runs
 * alone and under `kscmp record`, and the table gives wall time, CPU time (the workload and
 * kscmp together) and the cost per syscall. No assertions: figures to read.
 *
 * Workloads (this program runs itself with --work KIND):
 *   getppid-1   one thread, 1,000,000 getppid() (the cheapest syscall: the worst case)
 *   getppid-8   8 threads, 1,000,000 getppid() between them
 *   files       walks /usr/include (or --tree DIR) twice: open, fstat, read, close each file
 *
 * Then the cluster recorder (root only): the same single-thread getppid loop with no eBPF
 * program, with the recorder attached while the loop runs outside every pod (what every other
 * process of a node pays while a recording runs there), and inside a recorded pod's cgroup.
 * It makes a throw-away kubepods tree in the cgroup v1 memory hierarchy (or v2).
 *
 * Usage: bench_record [--kscmp PATH] [--runs N] [--tree DIR]   (defaults: build/kscmp, 3)
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "node/recorder.h"
#include "bench.h"

#define CALLS 1000000L

static long per_thread;

static void *getppid_loop(void *arg)
{
    for (long i = 0; i < per_thread; i++)
        syscall(SYS_getppid);
    return NULL;
}

static int getppid_threads(int n)
{
    pthread_t t[8];
    per_thread = CALLS / n;
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, getppid_loop, NULL) != 0)
            return 1;
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return 0;
}

static long files_read;

static int read_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    if (type != FTW_F)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    char buf[4096];
    if (fstat(fd, &st) == 0)
        while (read(fd, buf, sizeof(buf)) > 0)
            ;
    close(fd);
    files_read++;
    return 0;
}

static int work(const char *kind, const char *tree)
{
    if (strcmp(kind, "getppid-1") == 0)
        return getppid_threads(1);
    if (strcmp(kind, "getppid-8") == 0)
        return getppid_threads(8);
    if (strcmp(kind, "files") == 0) {
        for (int i = 0; i < 2; i++)
            if (nftw(tree, read_one, 32, FTW_PHYS) != 0)
                return 1;
        return files_read ? 0 : 1;
    }
    return 2;
}

struct sample {
    double wall, cpu;
    int status;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs argv, its output and errors to /dev/null, its process first moved into a cgroup when
 * procs (that cgroup's cgroup.procs path) is not NULL; wall time, and the CPU time of it and
 * its descendants. */
static struct sample run(char *const argv[], const char *procs)
{
    struct sample s = {0};
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        if (procs) {
            FILE *f = fopen(procs, "w");
            if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f) != 0)
                _exit(126);
        }
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDERR_FILENO);
        dup2(null, STDOUT_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    struct rusage ru;
    if (pid < 0 || wait4(pid, &s.status, 0, &ru) < 0) {
        s.status = -1;
        return s;
    }
    s.wall = now() - t0;
    s.cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    return s;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* How many syscalls a workload makes: kscmp record --counts says it on stderr. */
static long count_calls(const char *kscmp, const char *self, const char *kind, const char *tree)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "'%s' record --counts -o /dev/null -- '%s' --work %s --tree '%s' 2>&1 >/dev/null | "
             "awk '$1 == \"total\" { print $2 }'",
             kscmp, self, kind, tree);
    FILE *p = popen(cmd, "r");
    long n = 0;
    if (!p || fscanf(p, "%ld", &n) != 1)
        n = 0;
    if (p)
        pclose(p);
    return n;
}

static double median_of(char *const argv[], const char *procs, int runs, int *bad)
{
    double w[50];
    for (int r = 0; r < runs; r++) {
        struct sample x = run(argv, procs);
        *bad |= x.status != 0;
        w[r] = x.cpu;
    }
    return median(w, runs);
}

/* The eBPF recorder's cost per syscall, attached or not, outside or inside a recorded pod. */
static void bench_ebpf(const char *self, int runs)
{
    printf("\nThe cluster recorder (eBPF on raw_syscalls:sys_enter), one thread, 1,000,000 "
           "getppid()\n");
    if (geteuid() != 0) {
        printf("skipped: needs root (CAP_BPF, CAP_PERFMON, cgroupfs writes)\n");
        return;
    }
    char kubepods[64], base[256], pod[512], ctr[640], procs[700];
    snprintf(kubepods, sizeof(kubepods), "kscmp-bench-%d", (int)getpid());
    const char *hier =
        access("/sys/fs/cgroup/memory", F_OK) == 0 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup";
    snprintf(base, sizeof(base), "%s/%s", hier, kubepods);
    snprintf(pod, sizeof(pod), "%s/burstable/pod00000000-0000-4000-8000-000000000001", base);
    snprintf(ctr, sizeof(ctr), "%s/c1", pod);
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", ctr);
    char burst[300];
    snprintf(burst, sizeof(burst), "%s/burstable", base);
    if (mkdir(base, 0755) < 0 || mkdir(burst, 0755) < 0 || mkdir(pod, 0755) < 0 ||
        mkdir(ctr, 0755) < 0) {
        printf("skipped: cannot make cgroups below %s: %s\n", hier, strerror(errno));
        return;
    }
    char *work[] = {(char *)self, "--work", "getppid-1", NULL};
    int bad = 0;
    double none = median_of(work, NULL, runs, &bad);
    struct recorder_opts o = {.cgroup_root = "/sys/fs/cgroup", .kubepods = kubepods};
    struct recorder *rec = NULL;
    struct kerr err = {0};
    struct recorder_pod rp = {"00000000-0000-4000-8000-000000000001", "bench"};
    if (recorder_new(&o, &rec, &err) < 0 || recorder_set_pods(rec, &rp, 1, NULL, 0, &err) < 0) {
        printf("skipped: %s\n", err.msg);
    } else {
        double outside = median_of(work, NULL, runs, &bad);
        double inside = median_of(work, procs, runs, &bad);
        printf("%-44s %9s %12s\n", "", "cpu s", "ns/syscall");
        printf("%-44s %9.3f %12s\n", "no program attached", none, "");
        printf("%-44s %9.3f %12.0f\n", "attached, the loop outside every pod", outside,
               (outside - none) * 1e9 / CALLS);
        printf("%-44s %9.3f %12.0f%s\n", "attached, the loop in a recorded pod", inside,
               (inside - none) * 1e9 / CALLS, bad ? "  (a run failed)" : "");
        printf("cpu s: the loop's user + system time (the program runs in it, at syscall entry);\n"
               "ns/syscall: what the program adds to each syscall (median of %d runs).\n",
               runs);
        recorder_stop(rec);
    }
    recorder_free(rec);
    rmdir(ctr);
    rmdir(pod);
    rmdir(burst);
    rmdir(base);
}

int main(int argc, char **argv)
{
    const char *kscmp = "build/kscmp", *tree = "/usr/include", *kind = NULL;
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kscmp") == 0 && i + 1 < argc)
            kscmp = argv[++i];
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--tree") == 0 && i + 1 < argc)
            tree = argv[++i];
        else if (strcmp(argv[i], "--work") == 0 && i + 1 < argc)
            kind = argv[++i];
        else
            return fprintf(stderr, "usage: bench_record [--kscmp PATH] [--runs N] [--tree DIR]\n"),
                   2;
    }
    if (kind)
        return work(kind, tree);
    if (runs < 1 || runs > 50)
        runs = 3;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
        return perror("/proc/self/exe"), 1;
    self[n] = '\0';
    if (access(kscmp, X_OK) != 0)
        return fprintf(stderr, "bench_record: %s: %s (make build/kscmp)\n", kscmp, strerror(errno)),
               1;

    printf("kscmp record: a workload alone and recorded (median of %d runs; CPU = the workload\n"
           "and kscmp together, user + system)\n\n",
           runs);
    printf("%-10s %10s | %9s %9s | %9s %9s | %7s %12s\n", "workload", "syscalls", "alone s",
           "cpu s", "recorded", "cpu s", "x wall", "us/syscall");
    const char *kinds[] = {"getppid-1", "getppid-8", "files"};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        long calls = count_calls(kscmp, self, kinds[k], tree);
        double aw[50], ac[50], rw[50], rc[50];
        char *alone[] = {self, "--work", (char *)kinds[k], "--tree", (char *)tree, NULL};
        char *rec[] = {(char *)kscmp, "record",         "-o",     "/dev/null",  "--", self,
                       "--work",      (char *)kinds[k], "--tree", (char *)tree, NULL};
        int bad = 0;
        for (int r = 0; r < runs; r++) {
            struct sample a = run(alone, NULL), b = run(rec, NULL);
            bad |= a.status != 0 || b.status != 0;
            aw[r] = a.wall, ac[r] = a.cpu, rw[r] = b.wall, rc[r] = b.cpu;
        }
        double mw = median(aw, runs), mc = median(ac, runs), rmw = median(rw, runs),
               rmc = median(rc, runs);
        printf("%-10s %10ld | %9.3f %9.3f | %9.3f %9.3f | %7.1f %12.2f%s\n", kinds[k], calls, mw,
               mc, rmw, rmc, rmw / mw, calls ? (rmw - mw) * 1e6 / (double)calls : 0.0,
               bad ? "  (a run failed)" : "");
        fflush(stdout);
    }
    printf("\nus/syscall: (recorded - alone) wall time / syscalls. Every syscall is a round trip\n"
           "to kscmp (seccomp user notification, answered with \"continue\").\n");
    bench_ebpf(self, runs);
    return 0;
}
