/* null_agent.c - the least an agent can do per policy change, for bench_agent.py (a).
 *
 * Usage: null_agent DIR POLICY OUTDIR OUTNAME P0 J0 [P1 J1 ...]
 *
 * Waits (inotify) for POLICY to be renamed into DIR, reads it, and when its bytes are those
 * of file Pi writes the bytes of file Ji to OUTDIR/OUTNAME as the agent's store does, minus
 * its checks: a temporary file, write, fsync, close, rename, fsync of OUTDIR. No parsing, no
 * compiling, no proof: what it measures is the wake-ups and the disk, so the agent's figure
 * less this one is what the agent's own work costs. Runs until killed.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define MAX_FILE (1 << 20)
#define MAX_PAIRS 8

static char *slurp(const char *path, size_t *ret_len)
{
    FILE *f = fopen(path, "rbe");
    if (!f)
        return NULL;
    char *buf = malloc(MAX_FILE);
    size_t n = buf ? fread(buf, 1, MAX_FILE, f) : 0;
    fclose(f);
    *ret_len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 7 || (argc - 5) % 2 != 0 || (argc - 5) / 2 > MAX_PAIRS) {
        fprintf(stderr, "usage: null_agent DIR POLICY OUTDIR OUTNAME P0 J0 [P1 J1 ...]\n");
        return 2;
    }
    const char *dir = argv[1], *policy = argv[2], *outdir = argv[3], *outname = argv[4];
    size_t npairs = (size_t)(argc - 5) / 2;
    char *pol[MAX_PAIRS], *json[MAX_PAIRS];
    size_t pol_len[MAX_PAIRS], json_len[MAX_PAIRS];
    for (size_t i = 0; i < npairs; i++) {
        pol[i] = slurp(argv[5 + 2 * i], &pol_len[i]);
        json[i] = slurp(argv[6 + 2 * i], &json_len[i]);
        if (!pol[i] || !json[i]) {
            perror(argv[5 + 2 * i]);
            return 1;
        }
    }
    int ifd = inotify_init1(IN_CLOEXEC);
    int dfd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ifd < 0 || dfd < 0 || inotify_add_watch(ifd, dir, IN_MOVED_TO) < 0) {
        perror(dir);
        return 1;
    }
    char path[PATH_MAX], tmp[NAME_MAX + 1];
    snprintf(path, sizeof(path), "%s/%s", dir, policy);
    snprintf(tmp, sizeof(tmp), ".%.200s.tmp", outname);
    char *buf = malloc(MAX_FILE);
    if (!buf)
        return 1;
    fprintf(stderr, "null_agent: watching %s\n", dir);
    for (;;) {
        char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        if (read(ifd, ev, sizeof(ev)) <= 0)
            return 1;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, MAX_FILE);
        close(fd);
        for (size_t i = 0; i < npairs; i++) {
            if (n < 0 || (size_t)n != pol_len[i] || memcmp(buf, pol[i], pol_len[i]) != 0)
                continue;
            unlinkat(dfd, tmp, 0);
            int t = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (t < 0 || write(t, json[i], json_len[i]) != (ssize_t)json_len[i] || fsync(t) < 0 ||
                close(t) < 0 || renameat(dfd, tmp, dfd, outname) < 0 || fsync(dfd) < 0) {
                perror(outdir);
                return 1;
            }
            break;
        }
    }
}
