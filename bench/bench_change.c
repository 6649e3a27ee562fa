/* bench_change.c - the engine's share of one policy change: what the agent computes between
 * reading a changed policy file and writing the profile it changes. No assertions: it prints
 * figures.
 *
 * The scenario of bench_agent.py (a): one namespace, one pod, one policy that the pod's
 * profile is made of, changed back and forth between two versions. Each change is the
 * agent's work for it without the disk: the YAML parsed and decoded (manifest_load_buffer),
 * the policy put, and engine_sync (compile, merge, start-up set, lower, render). Two
 * policies: a small allow-list and one that extends runtime/default (~10 KB of JSON). Times
 * are the thread's CPU time.
 *
 * Usage: bench_change [CHANGES]     (default 20000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "engine/arch.h"
#include "engine/engine.h"
#include "engine/manifest.h"
#include "bench.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what, const struct kerr *err)
{
    fprintf(stderr, "bench_change: %s%s%s\n", what, err && err->msg[0] ? ": " : "",
            err ? err->msg : "");
    exit(1);
}

static void load(struct engine *e, const char *yaml)
{
    struct kerr err = {0};
    if (manifest_load_buffer(yaml, strlen(yaml), "bench.yaml", engine_put_object, e, &err) < 0)
        die("load", &err);
}

struct seen {
    size_t writes, bytes;
};

static int on_file(const struct file_result *r, void *userdata)
{
    struct seen *s = userdata;
    if (r->action == FILE_WRITE) {
        s->writes++;
        s->bytes = r->len;
    }
    return 0;
}

static const char base_yaml[] = "apiVersion: v1\n"
                                "kind: Namespace\n"
                                "metadata: {name: demo}\n"
                                "---\n"
                                "apiVersion: v1\n"
                                "kind: Pod\n"
                                "metadata: {namespace: demo, name: web-1, labels: {app: web}}\n"
                                "spec:\n"
                                "  securityContext:\n"
                                "    seccompProfile: {type: Localhost, localhostProfile: "
                                "kscmp/demo/web.json}\n"
                                "  containers: [{name: c, image: x}]\n";

static const char policy_head[] = "apiVersion: kscmp.io/v1\n"
                                  "kind: SeccompPolicy\n"
                                  "metadata: {namespace: demo, name: web}\n"
                                  "spec:\n";

static void run(const char *label, const char *fmt, size_t changes)
{
    struct engine *e = NULL;
    if (engine_new(arch_native(), &e) < 0)
        die("engine_new", NULL);
    load(e, base_yaml);
    char *v[2];
    for (int k = 0; k < 2; k++) {
        const char *calls = k ? "getpid, mkdir, futex, sysinfo" : "getpid, mkdir, futex";
        char body[512];
        snprintf(body, sizeof(body), fmt, calls);
        if (asprintf(&v[k], "%s%s", policy_head, body) < 0)
            die("asprintf", NULL);
    }
    struct seen s = {0};
    struct sync_ops ops = {.file = on_file, .userdata = &s};
    load(e, v[1]);
    if (engine_sync(e, &ops) < 0 || s.writes != 1)
        die("first sync wrote no profile", NULL);
    double *t = calloc(changes, sizeof(*t)), *tl = calloc(changes, sizeof(*tl));
    if (!t || !tl)
        die("calloc", NULL);
    for (size_t i = 0; i < changes; i++) {
        double t0 = now_us();
        load(e, v[i % 2]);
        double t1 = now_us();
        if (engine_sync(e, &ops) < 0)
            die("sync", NULL);
        double t2 = now_us();
        tl[i] = t1 - t0;
        t[i] = t2 - t0;
    }
    if (s.writes != changes + 1)
        die("a change wrote no profile", NULL);
    qsort(t, changes, sizeof(*t), cmp_double);
    qsort(tl, changes, sizeof(*tl), cmp_double);
    printf("%-36s %7zu B  %8.1f  %8.1f  %8.1f\n", label, s.bytes, t[changes / 2],
           t[(size_t)(0.99 * (double)changes)], tl[changes / 2]);
    free(t);
    free(tl);
    free(v[0]);
    free(v[1]);
    engine_free(e);
}

int main(int argc, char **argv)
{
    size_t changes = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    if (!changes)
        changes = 1;
    printf("bench_change: %zu changes each; CPU time per change in microseconds\n", changes);
    printf("%-36s %9s  %8s  %8s  %8s\n", "policy (profile size)", "", "p50", "p99", "parse p50");
    run("allow-list, 4 syscalls",
        "  seccomp: {syscalls: [%s], action: Allow}\n"
        "  rules:\n  - {syscalls: [ptrace], action: Block}\n",
        changes);
    run("extends runtime/default",
        "  extends: runtime/default\n"
        "  rules:\n  - {syscalls: [%s], action: Block, errno: EACCES}\n",
        changes);
    return 0;
}
