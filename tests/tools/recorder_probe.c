/* recorder_probe.c - drives the node's recorder (node/recorder.h) from a script, to test it on
 * the real kernel with real cgroups and real processes.
 *
 *   recorder_probe [--cgroup-root DIR] [--kubepods PATH] [--pin DIR]
 *
 * Reads commands from standard input, one a line, and answers each on standard output,
 * ending every answer with a line "." (so a script can wait for it):
 *   track POD_UID RECORDING_UID   record this pod (repeatable; applied by "apply")
 *   other POD_UID                 a known pod that is not recorded (applied by "apply")
 *   apply                         recorder_set_pods with what was given since the last apply;
 *                                 answers "started loaded|reused|replaced pinned|unpinned"
 *                                 or "idle", or "error MESSAGE"
 *   collect [persisted]           one line per container: "seen REC POD gone|running
 *                                 ARCH:NAME,NAME ... ARCH#:NUMBER,..." (names sorted; #: the
 *                                 numbers without a name), then "lost N"; persisted:
 *                                 what the previous collect reported is durable
 *   close                         exits, leaving a pinned program running
 *   destroy                       recorder_stop, then exits
 *   meta-abi N                    writes N as the ABI version of the pinned program (--pin),
 *                                 as an older agent's program of another layout would have
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "engine/arch.h"
#include "node/bpf/syscall_record_abi.h"
#include "node/recorder.h"

#define MAX 256

static char *track_pod[MAX], *track_rec[MAX], *others[MAX];
static size_t ntrack, nothers;

static int print_seen(const struct recorder_seen *s, void *userdata)
{
    printf("seen %s %s %s", s->recording_uid, s->pod_uid, s->gone ? "gone" : "running");
    for (size_t a = 0; a < arch_count(); a++) {
        size_t n;
        const char *const *names = recorded_names(s->calls, (int)a, &n);
        if (!n)
            continue;
        printf(" %s:", arch_get(a)->name);
        for (size_t i = 0; i < n; i++)
            printf("%s%s", i ? "," : "", names[i]);
    }
    for (size_t a = 0; a < arch_count(); a++) {
        size_t n;
        const uint32_t *nums = recorded_unknown(s->calls, (int)a, &n);
        if (!n)
            continue;
        printf(" %s#:", arch_get(a)->name);
        for (size_t i = 0; i < n; i++)
            printf("%s%u", i ? "," : "", nums[i]);
    }
    printf("\n");
    return 0;
}

static const char *start_name(enum bpf_recorder_start s)
{
    return s == BPFREC_REUSED ? "reused" : s == BPFREC_REPLACED ? "replaced" : "loaded";
}

int main(int argc, char **argv)
{
    struct recorder_opts o = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cgroup-root") == 0 && i + 1 < argc)
            o.cgroup_root = argv[++i];
        else if (strcmp(argv[i], "--kubepods") == 0 && i + 1 < argc)
            o.kubepods = argv[++i];
        else if (strcmp(argv[i], "--pin") == 0 && i + 1 < argc)
            o.pin_dir = argv[++i];
        else
            return fprintf(stderr, "usage: recorder_probe [--cgroup-root DIR] [--kubepods PATH] "
                                   "[--pin DIR]\n"),
                   2;
    }
    struct kerr err = {0};
    struct recorder *r = NULL;
    if (recorder_new(&o, &r, &err) < 0) {
        printf("error %s\n.\n", err.msg);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    char line[512];
    while (fgets(line, sizeof(line), stdin)) {
        char a[128] = "", b[128] = "", c[128] = "";
        if (sscanf(line, "%127s %127s %127s", a, b, c) < 1)
            continue;
        if (strcmp(a, "track") == 0 && ntrack < MAX) {
            track_pod[ntrack] = strdup(b);
            track_rec[ntrack++] = strdup(c);
        } else if (strcmp(a, "other") == 0 && nothers < MAX) {
            others[nothers++] = strdup(b);
        } else if (strcmp(a, "apply") == 0) {
            struct recorder_pod pods[MAX];
            for (size_t i = 0; i < ntrack; i++)
                pods[i] = (struct recorder_pod){track_pod[i], track_rec[i]};
            kerr_clear(&err);
            if (recorder_set_pods(r, pods, ntrack, (const char *const *)others, nothers, &err) < 0)
                printf("error %s\n", err.msg);
            else if (recorder_active(r))
                printf("started %s %s%s%s\n", start_name(recorder_start_kind(r)),
                       recorder_pinned(r) ? "pinned" : "unpinned",
                       *recorder_pin_problem(r) ? " " : "", recorder_pin_problem(r));
            else
                printf("idle\n");
            for (size_t i = 0; i < ntrack; i++) {
                free(track_pod[i]);
                free(track_rec[i]);
            }
            for (size_t i = 0; i < nothers; i++)
                free(others[i]);
            ntrack = nothers = 0;
        } else if (strcmp(a, "collect") == 0) {
            kerr_clear(&err);
            if (recorder_collect(r, print_seen, NULL, strcmp(b, "persisted") == 0, &err) < 0)
                printf("error %s\n", err.msg);
            printf("lost %llu\n", (unsigned long long)recorder_lost(r));
        } else if (strcmp(a, "meta-abi") == 0) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/meta", o.pin_dir ? o.pin_dir : "");
            int fd = bpf_obj_get(path);
            struct sysrec_meta m;
            uint32_t k0 = 0;
            if (fd < 0 || bpf_map_lookup_elem(fd, &k0, &m) < 0) {
                printf("error %s: %s\n", path, strerror(errno));
            } else {
                m.abi_version = (uint32_t)atoi(b);
                bpf_map_update_elem(fd, &k0, &m, BPF_ANY);
            }
            if (fd >= 0)
                close(fd);
        } else if (strcmp(a, "ignored") == 0) {
            /* How many cgroups the pinned program ignores. */
            char path[4096];
            snprintf(path, sizeof(path), "%s/ignored", o.pin_dir ? o.pin_dir : "");
            int fd = bpf_obj_get(path);
            if (fd < 0) {
                printf("error %s: %s\n", path, strerror(errno));
            } else {
                uint64_t key, prev = 0;
                unsigned n = 0;
                while (n < 1000000 && bpf_map_get_next_key(fd, n ? &prev : NULL, &key) == 0) {
                    prev = key;
                    n++;
                }
                printf("ignored %u\n", n);
                close(fd);
            }
        } else if (strcmp(a, "close") == 0) {
            break;
        } else if (strcmp(a, "destroy") == 0) {
            recorder_stop(r);
            break;
        } else {
            printf("error unknown command %s\n", a);
        }
        printf(".\n");
    }
    recorder_free(r);
    printf("bye\n.\n");
    return 0;
}
