/* bpf_export.c - the BPF program libseccomp makes of each OCI seccomp profile, as a digest.
 *
 *   bpf_export PROFILE.json...
 *
 * Each profile is decoded and built as the agent's proof builds it (proof_build), then
 * exported with seccomp_export_bpf(). One line per profile:
 *   PATH ok INSTRUCTIONS SHA256-OF-THE-PROGRAM
 *   PATH refused ERRNO MESSAGE        (proof_build or the export refused it)
 * Built twice (make build/tools/bpf_export build/tools/bpf_export-agent): on Debian's
 * libseccomp, and on the one the agent links (deps/build.sh's patched build), so that
 * tests/proof/ can compare the two program for program. With KSCMP_PROOF_ARENA=1 in the
 * environment, jansson's and libseccomp's allocations come from a proof worker's arena
 * (node/proof_arena.h), reset after each profile as the worker does. Exit 0, or 2 on a usage
 * error or a file that cannot be read.
 */
#include <errno.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "engine/proof.h"
#include "node/digest.h"
#include "node/proof_arena.h"

#define PROFILE_MAX (8u << 20)

static inline void filter_releasep(scmp_filter_ctx *ctx)
{
    if (*ctx)
        seccomp_release(*ctx);
}

/* The program of ctx, read back from a memory file, into *ret (*ret_len bytes). */
static int export_program(scmp_filter_ctx ctx, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = memfd_create("bpf-export", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = seccomp_export_bpf(ctx, fd);
    if (r < 0)
        return r;
    off_t len = lseek(fd, 0, SEEK_END);
    if (len < 0)
        return -errno;
    _cleanup_free_ char *buf = malloc((size_t)len + 1);
    if (!buf)
        return -ENOMEM;
    if (pread(fd, buf, (size_t)len, 0) != len)
        return -EIO;
    *ret = TAKE_PTR(buf);
    *ret_len = (size_t)len;
    return 0;
}

static int one(const char *path)
{
    _cleanup_free_ char *json = NULL;
    size_t len = 0;
    struct kerr err = {0};
    int r = read_file_all(path, PROFILE_MAX, &json, &len, &err);
    if (r < 0) {
        fprintf(stderr, "bpf_export: %s: %s\n", path, err.msg);
        return 2;
    }
    _cleanup_(filter_releasep) scmp_filter_ctx ctx = NULL;
    r = proof_build(json, len, &ctx, &err);
    if (r < 0) {
        printf("%s refused %d %s\n", path, -r, err.msg);
        return 0;
    }
    _cleanup_free_ char *prog = NULL;
    size_t plen = 0;
    r = export_program(ctx, &prog, &plen);
    if (r < 0) {
        printf("%s refused %d export: %s\n", path, -r, strerror(-r));
        return 0;
    }
    struct digest d;
    char hex[DIGEST_HEX_LEN + 1];
    digest_bytes(prog, plen, &d);
    digest_hex(&d, hex);
    printf("%s ok %zu %s\n", path, plen / sizeof(struct sock_filter), hex);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bpf_export PROFILE.json...\n");
        return 2;
    }
    const char *arena = getenv("KSCMP_PROOF_ARENA");
    bool reset = arena && strcmp(arena, "1") == 0;
    if (reset && proof_arena_install() < 0) {
        fprintf(stderr, "bpf_export: cannot reserve the proof arena\n");
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (one(argv[i]) != 0)
            rc = 2;
        if (reset)
            proof_arena_reset();
    }
    return rc;
}
