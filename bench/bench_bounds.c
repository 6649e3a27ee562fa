/* bench_bounds.c - what profile sizes cost: the figures behind kscmp's stated bounds
 * (argument conditions per syscall, per policy and per profile, rules and bytes per profile;
 * docs/bounds.md). No assertions: it prints a table.
 *
 * Two parts, each scenario in a child process (so that its peak RSS is its own), times in CPU
 * time of the child:
 *   - libseccomp alone: OCI profiles written here, larger than kscmp's bounds let through,
 *     built (proof_build: seccomp_init and every rule) and turned into a BPF program
 *     (seccomp_export_bpf) as the agent's proof does before a write: what the bounds avoid.
 *   - kscmp: generated policies and one pod through what the agent does for a file (decode,
 *     compile, merge, lower and render: engine_compute_file), then the same proof; the
 *     issue's 256-rule policy is refused at decode, a profile over the bounds at render.
 *
 * Usage: bench_bounds [--quick] [--arch ARCH]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "engine/engine.h"
#include "engine/manifest.h"
#include "engine/proof.h"

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct figures {
    double compile_ms, build_ms, export_ms;
    size_t yaml_bytes, json_bytes, entries, conditional, insns;
    long peak_kib;
    int compile_r, proof_r;
    char why[256];
};

struct capture {
    char *json;
    size_t len;
    bool written;
    char why[256];
};

static int on_file(const struct file_result *r, void *userdata)
{
    struct capture *c = userdata;
    if (r->action == FILE_WRITE) {
        c->json = strndup(r->json, r->len);
        c->len = r->len;
        c->written = c->json != NULL;
    } else if (r->why && !c->why[0])
        snprintf(c->why, sizeof(c->why), "%s", r->why);
    return 0;
}

static int on_event(const struct engine_event *ev, void *userdata)
{
    struct capture *c = userdata;
    if (!c->why[0])
        snprintf(c->why, sizeof(c->why), "%s: %s", ev->reason, ev->message);
    return 0;
}

/* The counts of a rendered profile: syscalls[] entries, and those with args. */
static void count_entries(const char *json, size_t *ret_entries, size_t *ret_cond)
{
    size_t n = 0, c = 0;
    for (const char *p = json; (p = strstr(p, "\"names\"")); p++)
        n++;
    for (const char *p = json; (p = strstr(p, "\"args\"")); p++)
        c++;
    *ret_entries = n;
    *ret_cond = c;
}

/* Runs one scenario in this (child) process: a policy manifest through the engine, or (raw)
 * a profile straight to libseccomp. */
static void measure(const char *input, bool raw, int arch, struct figures *f)
{
    _cleanup_(engine_freep) struct engine *e = NULL;
    struct kerr err = {0};
    const char *yaml = input;
    f->yaml_bytes = strlen(input);
    struct capture cap = {0};
    if (raw) {
        cap.json = strdup(input);
        cap.len = strlen(input);
        cap.written = true;
        f->compile_r = 0;
        goto proof;
    }
    if (engine_new(arch, &e) < 0)
        exit(1);
    double t0 = cpu_ms();
    f->compile_r =
        manifest_load_buffer(yaml, strlen(yaml), "bench.yaml", engine_put_object, e, &err);
    if (f->compile_r == 0) {
        struct sync_ops ops = {.file = on_file, .event = on_event, .userdata = &cap};
        f->compile_r = engine_compute_file(e, "bench/p.json", &ops);
    }
    f->compile_ms = cpu_ms() - t0;
    if (f->compile_r < 0 || !cap.written) {
        snprintf(f->why, sizeof(f->why), "%s", f->compile_r < 0 ? err.msg : cap.why);
        if (f->compile_r == 0)
            f->compile_r = -EINVAL;
        return;
    }
proof:
    f->json_bytes = cap.len;
    count_entries(cap.json, &f->entries, &f->conditional);
    scmp_filter_ctx ctx = NULL;
    t0 = cpu_ms();
    f->proof_r = proof_build(cap.json, cap.len, &ctx, &err);
    f->build_ms = cpu_ms() - t0;
    if (f->proof_r < 0) {
        snprintf(f->why, sizeof(f->why), "%s", err.msg);
        free(cap.json);
        return;
    }
    int fd = memfd_create("bench", 0);
    t0 = cpu_ms();
    f->proof_r = seccomp_export_bpf(ctx, fd);
    f->export_ms = cpu_ms() - t0;
    f->insns = (size_t)lseek(fd, 0, SEEK_END) / 8;
    close(fd);
    seccomp_release(ctx);
    free(cap.json);
}

/* Runs measure() in a child, with a CPU-time cap, and prints one row. */
static void scenario(const char *label, char *yaml, bool raw, int arch, int cpu_cap_s)
{
    struct figures *f =
        mmap(NULL, sizeof(*f), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (f == MAP_FAILED)
        exit(1);
    *f = (struct figures){.compile_r = 1};
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)cpu_cap_s, (rlim_t)cpu_cap_s + 1};
        setrlimit(RLIMIT_CPU, &rl);
        measure(yaml, raw, arch, f);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        f->peak_kib = ru.ru_maxrss;
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    printf("%-46s %8zu", label, f->yaml_bytes);
    if (WIFSIGNALED(status))
        printf("  stopped after the %d s CPU cap (signal %d)\n", cpu_cap_s, WTERMSIG(status));
    else if (f->compile_r < 0)
        printf("  refused in %.1f ms: %.140s\n", f->compile_ms, f->why);
    else
        printf(" %9.1f %10zu %6zu %6zu %9.1f %9.1f %6zu%s %5ld\n", f->compile_ms, f->json_bytes,
               f->entries, f->conditional, f->build_ms, f->export_ms, f->insns,
               f->insns > 4096 ? "!" : " ", f->peak_kib / 1024);
    if (f->proof_r < 0 && f->compile_r == 0)
        printf("%46s proof: %s\n", "", f->why);
    munmap(f, sizeof(*f));
    free(yaml);
}

#define POD                                                                                        \
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: bench, labels: {app: b}}\n"         \
    "spec:\n  containers: [{name: c, securityContext: {seccompProfile: {type: Localhost, "         \
    "localhostProfile: kscmp/bench/p.json}}}]\n"

/* Syscalls that exist on x86_64, x86 and x32 alike. */
static const char *const names[] = {
    "read",       "write",       "openat",     "close",      "fstat",       "lseek",
    "mmap",       "mprotect",    "munmap",     "brk",        "ioctl",       "readv",
    "writev",     "pipe2",       "dup",        "dup3",       "nanosleep",   "getpid",
    "socket",     "connect",     "accept4",    "sendto",     "recvfrom",    "sendmsg",
    "recvmsg",    "shutdown",    "bind",       "listen",     "getsockname", "getpeername",
    "socketpair", "setsockopt",  "getsockopt", "clone",      "execve",      "exit",
    "wait4",      "kill",        "uname",      "fcntl",      "flock",       "fsync",
    "fdatasync",  "truncate",    "ftruncate",  "getcwd",     "chdir",       "fchdir",
    "rename",     "mkdir",       "rmdir",      "creat",      "link",        "unlink",
    "symlink",    "readlink",    "chmod",      "fchmod",     "chown",       "fchown",
    "umask",      "getrlimit",   "getrusage",  "sysinfo",    "times",       "getuid",
    "getgid",     "setuid",      "setgid",     "geteuid",    "getegid",     "setpgid",
    "getppid",    "getpgrp",     "setsid",     "setreuid",   "setregid",    "getgroups",
    "setgroups",  "setresuid",   "getresuid",  "setresgid",  "getresgid",   "getpgid",
    "setfsuid",   "setfsgid",    "getsid",     "capget",     "capset",      "sigaltstack",
    "mknod",      "personality", "statfs",     "fstatfs",    "getpriority", "setpriority",
    "prctl",      "futex",       "epoll_ctl",  "epoll_pwait"};
#define NNAMES (sizeof(names) / sizeof(names[0]))

/* An OCI profile, as kscmp would render it, that kscmp's bounds would refuse: nsys syscalls
 * with per_sys conditional rules each, of nargs conditions; wide: 64-bit MASKED_EQ values
 * (the most BPF a condition costs), else small EQ values. Allow-list on three arches. */
static char *oci(size_t nsys, size_t per_sys, int nargs, bool wide)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\", "
               "\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"], \"syscalls\": [{\"names\": "
               "[\"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"}");
    for (size_t s = 0; s < nsys; s++)
        for (size_t k = 0; k < per_sys; k++) {
            fprintf(f, ", {\"names\": [\"%s\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [",
                    names[s % NNAMES]);
            for (int a = 0; a < nargs; a++) {
                size_t u = s * per_sys + k; /* every rule distinct: nothing to share */
                unsigned long long v = wide ? 0x7fff00000000ull + u * 7 + (unsigned)a : k;
                unsigned long long two = wide ? (0x100000000ull * (u + 1) + (unsigned)a) & v : 0;
                fprintf(f, "%s{\"index\": %d, \"value\": %llu, \"valueTwo\": %llu, \"op\": \"%s\"}",
                        a ? ", " : "", a, v, two, wide ? "SCMP_CMP_MASKED_EQ" : "SCMP_CMP_EQ");
            }
            fprintf(f, "]}");
        }
    fprintf(f, "]}\n");
    fclose(f);
    return buf;
}

/* The policy: nrules rules, each a group with one condition arg0 EQ i. */
static char *group_conditions(size_t nrules)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, POD "---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\n"
                   "metadata: {name: p, namespace: bench}\nspec:\n  rules:\n");
    for (size_t i = 0; i < nrules; i++)
        fprintf(f,
                "  - {groups: [\"@system-service\"], action: Trap, args: [{index: 0, value: %zu, "
                "op: EQ}]}\n",
                i);
    fclose(f);
    return buf;
}

/* npol policies selecting the pod, each with nrules allow rules of six 64-bit MASKED_EQ
 * conditions on distinct syscalls: the costliest conditions kscmp's bounds let through. */
static char *worst_case(size_t npol, size_t nrules)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs(POD, f);
    for (size_t p = 0; p < npol; p++) {
        fprintf(f,
                "---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: p%zu, "
                "namespace: bench}\nspec:\n  selector: {}\n"
                "  seccomp: {syscalls: [exit_group], action: Allow}\n  rules:\n",
                p);
        for (size_t i = 0; i < nrules; i++) {
            size_t k = p * nrules + i;
            fprintf(f, "  - {syscalls: [%s], action: Allow, args: [", names[k % NNAMES]);
            for (int a = 0; a < 6; a++) {
                /* valueTwo within the mask (else the policy is invalid) */
                unsigned long long v = 0x7fff00000000ull + k * 7 + (unsigned)a;
                fprintf(f, "%s{index: %d, value: %llu, valueTwo: %llu, op: MASKED_EQ}",
                        a ? ", " : "", a, v, (0x100000000ull * (k + 1) + (unsigned)a) & v);
            }
            fprintf(f, "]}\n");
        }
    }
    fclose(f);
    return buf;
}

/* A policy extending runtime/default (the container runtime's default, ~ Docker's). */
static char *runtime_default(void)
{
    return strdup(POD "---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\n"
                      "metadata: {name: p, namespace: bench}\nspec:\n  extends: runtime/default\n"
                      "  rules: [{syscalls: [mkdir], action: Block}]\n");
}

/* Every syscall of every group, unconditionally. */
static char *everything(void)
{
    return strdup(POD "---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\n"
                      "metadata: {name: p, namespace: bench}\nspec:\n"
                      "  seccomp: {groups: [\"@default\", \"@system-service\", \"@privileged\", "
                      "\"@obsolete\", \"@debug\", \"@mount\", \"@module\", \"@raw-io\", "
                      "\"@reboot\", \"@swap\", \"@clock\", \"@cpu-emulation\"], action: Allow}\n"
                      "  rules: [{syscalls: [ptrace], action: Kill}]\n");
}

int main(int argc, char **argv)
{
    bool quick = false;
    int arch = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc)
            arch = arch_parse(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--quick] [--arch ARCH]\n", argv[0]);
            return 2;
        }
    }
    int cap = quick ? 20 : 120;
    printf("%-46s %8s %9s %10s %6s %6s %9s %9s %7s %5s\n", "scenario", "input B", "kscmp ms",
           "profile B", "rules", "w/args", "build ms", "bpf ms", "insns", "MiB");
    printf("-- libseccomp alone, on profiles kscmp's bounds refuse (what the bounds avoid)\n");
    static const size_t shapes[][4] = {
        /* nsys, per_sys, nargs, wide */
        {64, 4, 1, 0}, {64, 16, 1, 0}, {64, 64, 1, 0}, {100, 16, 1, 0}, {100, 64, 1, 0},
        {16, 1, 6, 1}, {43, 1, 6, 1},  {64, 1, 6, 1},  {96, 1, 6, 1},   {100, 2, 6, 1},
    };
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        size_t conds = shapes[i][0] * shapes[i][1] * shapes[i][2];
        if (quick && conds > 1024)
            continue;
        char label[96];
        snprintf(label, sizeof(label), "%zu syscalls x %zu rules x %zu %s = %zu conditions",
                 shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3] ? "wide" : "small", conds);
        scenario(label, oci(shapes[i][0], shapes[i][1], (int)shapes[i][2], shapes[i][3]), true,
                 arch, cap);
    }
    printf("-- kscmp: policy to profile (decode, compile, merge, render) and the proof\n");
    scenario("runtime/default + 1 rule", runtime_default(), false, arch, cap);
    scenario("every group, unconditional", everything(), false, arch, cap);
    scenario("the issue's 256 x @system-service, arg0 EQ i", group_conditions(256), false, arch,
             cap);
    scenario("1 policy, 21 rules x 6 wide (126 conditions)", worst_case(1, 21), false, arch, cap);
    scenario("2 policies, 21 x 6 wide (252: the profile bound)", worst_case(2, 21), false, arch,
             cap);
    scenario("3 policies, 21 x 6 wide (378: over it)", worst_case(3, 21), false, arch, cap);
    return 0;
}
