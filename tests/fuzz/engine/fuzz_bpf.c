/* fuzz_bpf.c - the seccomp BPF interpreter and the paths' walk on arbitrary programs: nothing
 * crashes, hangs or reads outside the program, and the two agree: when every path of a program
 * can be followed, the path a call takes (run by the interpreter) is one of them, with the
 * same return; and so when the number is an interval around the call's (bpf_paths_range()).
 *
 * Input: one byte picking the architecture, four bytes of syscall number, six 8-byte
 * arguments, then the program (8 bytes per instruction: code, jt, jf, k, little-endian). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/bpf_check.h"
#include "engine/bpf_paths.h"

#define HEAD (1 + 4 + 6 * 8)
#define MAX_INSNS 512

struct found {
    uint32_t want;
    uint32_t nr; /* a path of the range walk must hold the call's number */
    bool seen;
};

static int on_leaf(const struct bpf_box *b, uint32_t ret, void *userdata)
{
    struct found *f = userdata;
    f->seen |= ret == f->want && bpf_box_allows(b, 0, f->nr);
    return 0;
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t arches[] = {0xc000003eu, 0x40000003u, 0x80000016u, 0xc00000b7u};
    if (size < HEAD)
        return 0;
    struct bpf_call call = {.arch = arches[data[0] % 4]};
    call.nr = (int32_t)(data[1] | data[2] << 8 | data[3] << 16 | (uint32_t)data[4] << 24);
    for (int i = 0; i < 6; i++)
        call.args[i] = le64(data + 5 + 8 * i);
    size_t n = (size - HEAD) / 8;
    if (n > MAX_INSNS)
        n = MAX_INSNS;
    struct sock_filter *prog = malloc((n ? n : 1) * sizeof(*prog));
    if (!prog)
        abort();
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = data + HEAD + 8 * i;
        prog[i] =
            (struct sock_filter){(uint16_t)(p[0] | p[1] << 8), p[2], p[3],
                                 (uint32_t)(p[4] | p[5] << 8 | p[6] << 16 | (uint32_t)p[7] << 24)};
    }
    uint32_t ret = 0;
    int r = bpf_run(prog, n, &call, &ret);

    struct bpf_walk w = {0};
    struct found f = {.want = ret, .nr = (uint32_t)call.nr};
    int p = bpf_paths(&w, prog, n, call.arch, call.nr, 64, on_leaf, &f);
    if (p == 0 && (r != 0 || !f.seen))
        abort(); /* every path was followed, but not the one the call took */

    /* The same with the number in an interval around it (the last argument's low bytes say
     * how far each way): one of the paths holds the call's number and returns what it did. */
    uint32_t below = (uint32_t)(call.args[5] & 0xff), above = (uint32_t)(call.args[5] >> 8 & 0xff);
    uint32_t lo = f.nr >= below ? f.nr - below : 0;
    uint32_t hi = f.nr <= UINT32_MAX - above ? f.nr + above : UINT32_MAX;
    f.seen = false;
    p = bpf_paths_range(&w, prog, n, call.arch, lo, hi, 64, on_leaf, &f);
    if (p == 0 && (r != 0 || !f.seen))
        abort();
    bpf_walk_free(&w);
    free(prog);
    return 0;
}
