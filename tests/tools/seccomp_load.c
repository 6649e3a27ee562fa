/* seccomp_load.c - proves that the kernel accepts the filters of OCI seccomp profiles.
 *
 *   seccomp_load PROFILE.json...      ("-" reads a profile from standard input)
 *
 * Each profile is decoded and built as the agent checks it (proof_build), then a forked
 * child sets no_new_privs and loads the filter with seccomp_load(); the child then exits
 * at once, so the filter governs nothing but its own exit_group. One line per profile;
 * exit 0 when the kernel accepted every profile, 1 when one was not, 2 on usage errors.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "engine/proof.h"

/* What the child tells the parent through a shared page: written with plain stores, since
 * the child may not be allowed any syscall once the filter is loaded. */
struct child_report {
    volatile int stage;  /* 0 nothing, 1 no_new_privs set, 2 seccomp_load returned */
    volatile int result; /* seccomp_load()'s return value */
};

/* The largest profile read, as tests/tools/bpf_export.c (kscmp's profiles are far smaller). */
#define PROFILE_MAX (8u << 20)

static inline void filter_releasep(scmp_filter_ctx *ctx)
{
    if (*ctx)
        seccomp_release(*ctx);
}

/* Loads ctx in a forked child; fills *ret_report and *ret_status (from waitpid). */
static int load_in_child(scmp_filter_ctx ctx, struct child_report *ret_report, int *ret_status)
{
    struct child_report *shared =
        mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        return -errno;
    *shared = (struct child_report){0};

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int r = -errno;
        munmap(shared, sizeof(*shared));
        return r;
    }
    if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            _exit(1);
        shared->stage = 1;
        shared->result = seccomp_load(ctx);
        shared->stage = 2;
        /* Raw exit_group: nothing else runs under the filter. */
        syscall(SYS_exit_group, 0);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            int r = -errno;
            munmap(shared, sizeof(*shared));
            return r;
        }
    *ret_report = *shared;
    *ret_status = status;
    munmap(shared, sizeof(*shared));
    return 0;
}

/* Checks one profile and prints one line about it; 0 when the kernel accepted it. */
static int check_one(const char *path)
{
    _cleanup_free_ char *json = NULL;
    size_t len = 0;
    int r = read_file_all(path, PROFILE_MAX, &json, &len, NULL);
    if (r < 0) {
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(-r));
        return r;
    }

    struct kerr err = {0};
    _cleanup_(filter_releasep) scmp_filter_ctx ctx = NULL;
    r = proof_build(json, len, &ctx, &err);
    if (r < 0) {
        fprintf(stderr, "%s: invalid profile: %s\n", path, err.msg);
        return r;
    }

    /* The kernel's own errno rather than libseccomp's -ECANCELED. */
    (void)seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);

    struct child_report report;
    int status = 0;
    r = load_in_child(ctx, &report, &status);
    if (r < 0) {
        fprintf(stderr, "%s: cannot run the child: %s\n", path, strerror(-r));
        return r;
    }
    if (report.stage < 1) {
        fprintf(stderr, "%s: the child cannot set no_new_privs\n", path);
        return -EPERM;
    }
    if (report.stage < 2) {
        fprintf(stderr, "%s: the child died in seccomp_load() (status 0x%x)\n", path, status);
        return -EIO;
    }
    if (report.result < 0) {
        fprintf(stderr, "%s: the kernel refused the filter: %s\n", path, strerror(-report.result));
        return report.result;
    }
    if (WIFSIGNALED(status)) {
        /* Loaded; the filter merely does not allow exit_group. */
        printf("%s: loaded (the filter does not allow exit_group: the child died of signal %d)\n",
               path, WTERMSIG(status));
        return 0;
    }
    printf("%s: loaded\n", path);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PROFILE.json...\n", argv[0]);
        return 2;
    }
    int failed = 0;
    for (int i = 1; i < argc; i++)
        if (check_one(argv[i]) < 0)
            failed++;
    return failed ? 1 : 0;
}
