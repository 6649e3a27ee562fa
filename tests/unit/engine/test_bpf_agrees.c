/* test_bpf_agrees.c - what the kernel enforces is what the merge means, or stricter, never
 * looser.
 *
 * The pipeline as the agent runs it: the policies of one pod -> the engine (the merge,
 * engine_compute_file for kscmp/demo/web.json, start-up syscalls off) -> profile_lower and the
 * rendered OCI JSON (the file the agent writes) -> proof_profile (engine/proof.h: the proof the
 * agent runs before it writes a file; libseccomp builds the filter as runc and crun do) -> for a
 * profile the proof accepts, proof_build and seccomp_export_bpf -> the classic BPF program, run
 * here by a small interpreter of seccomp's subset of cBPF on struct seccomp_data for x86_64
 * (AUDIT_ARCH_X86_64, the syscall's x86_64 number, six 64-bit arguments).
 *
 * The property, for every syscall and argument vector evaluated: the SECCOMP_RET_* action the
 * program returns ranks at least as restrictive as the merged meaning (the merged profile before
 * lowering, file_result.prof: the most restrictive conditional rule whose conditions hold, else
 * the unconditional rule, else the default). Rank, most restrictive first: KILL_PROCESS,
 * KILL_THREAD, TRAP, ERRNO (any errno), TRACE, LOG, ALLOW. A looser result is a violation.
 * A profile the proof refuses (proof_profile() < 0: libseccomp refuses it, or the program it
 * builds is looser than the profile, -EPROTO), or that takes longer than a proof may, is not
 * written by the agent (it fails closed: the pods get ProfileRefused): counted, and a failure
 * only when it is more than one case in 20 (one cause: socket and the other calls x86
 * multiplexes through socketcall, with conditional rules of different actions, which
 * libseccomp 2.5 refuses with EEXIST on SCMP_ARCH_X86 where it drops their argument
 * conditions). One kind of refusal is by design and counted on its own, not against that
 * limit: a condition value above 2^32-1 with a 32-bit architecture in the profile (the proof's
 * reason says "on a 32-bit architecture"). On SCMP_ARCH_X86 and SCMP_ARCH_X32 libseccomp
 * compares only the low 32 bits of an argument, so such a rule can let calls through that the
 * profile blocks, and docs/policies.md says the agent refuses such profiles. Every rendered
 * profile here lists x86_64, x86 and x32, and 7 of the generator's 16 values are above 32 bits,
 * so about one case in nine is refused for it. Reported as information:
 * how often the program is strictly stricter than the meaning (the lowering's price), and how
 * often both say ERRNO with different errnos.
 *
 * Inputs, seeded: one to four policies for the pod (the policy named after the file, namespace
 * policies with a selector, cluster policies, ceilings), allow-lists with conditional allows,
 * block-lists, mixed ones (Audit and SCMP_ACT_TRACE included), explicit and omitted defaults,
 * Block with errnos; conditional rules on arguments 0-5 with EQ, NE, LT, LE, GT, GE and
 * MASKED_EQ, 32- and 64-bit values, several rules on the same syscall (a case draws its rules
 * from two or three of personality, socket, ioctl, mkdir, ptrace, clone, read, and a rule often
 * reuses an earlier rule's condition with another operator, value or action: overlapping and
 * disjoint). The argument vectors are built around each condition's value (value-1, value,
 * value+1, with the high 32 bits set or clear, masked variants, 0, all ones, pairs for
 * multi-argument rules); getpid, which no rule names, is evaluated too (the default).
 *
 * The interpreter knows the whole of seccomp's cBPF (loads of seccomp_data words, the scratch
 * memory, ALU with K and X, JA and JEQ/JGT/JGE/JSET with K and X, RET, TAX/TXA) and fails the
 * test on anything else, on a misaligned or out-of-range load, on a backward or out-of-range
 * jump, and after more steps than the program has instructions. test_interpreter_self_check pins
 * it on hand-written profiles with known answers (an unconditional rule, 64-bit EQ and GT/LE
 * across the high word, MASKED_EQ on both words, a disjoint pair, the binary-tree layout of
 * more than 32 rules), so that the property cannot pass by an interpreter bug.
 *
 * A violation is shrunk (policies, rules, conditions, syscalls, defaults removed or made
 * plainer while it stays a violation) and printed as YAML with the syscall, the arguments, the
 * meaning, the program's result, and the rendered profile. KSCMP_BPF_CASES sets the number of
 * cases (default 2000), KSCMP_BPF_SEED the seed (default 1), KSCMP_BPF_PRINT how many shrunk
 * repros of a looser result to print (default 3), KSCMP_BPF_PRINT_INFO how many of each other
 * kind (refused, refused for a wide value on a 32-bit architecture, too long to prove, another
 * errno; default 0).
 *
 * The policies as data, their generator, their YAML, the merged meaning, the argument vectors
 * and the shrinking steps are shared with test_merge_monotone.c (policy_gen.h); the cases drawn,
 * the property, the proof, the interpreter and the printing are this file's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/proof.h"
#include "engine_fixture.h"
#include "policy_gen.h"

/* ---- seccomp's return values and data (linux/seccomp.h, linux/audit.h) -------------------- */

#define RET_KILL_PROCESS 0x80000000u
#define RET_KILL_THREAD 0x00000000u
#define RET_TRAP 0x00030000u
#define RET_ERRNO 0x00050000u
#define RET_USER_NOTIF 0x7fc00000u
#define RET_TRACE 0x7ff00000u
#define RET_LOG 0x7ffc0000u
#define RET_ALLOW 0x7fff0000u
#define RET_ACTION_FULL 0xffff0000u
#define RET_DATA 0x0000ffffu
#define AUDIT_X86_64 0xc000003eu
#define AUDIT_AARCH64 0xc00000b7u
#define SECCOMP_DATA_LEN 64u
#define MEMWORDS 16

/* struct seccomp_data: nr, arch, instruction_pointer, args[6]. */
struct sdata {
    int32_t nr;
    uint32_t arch;
    uint64_t ip;
    uint64_t args[6];
};
_Static_assert(sizeof(struct sdata) == SECCOMP_DATA_LEN, "struct seccomp_data is 64 bytes");

/* ---- the cBPF interpreter ----------------------------------------------------------------- */

/* Opcodes seen over the whole run (for the summary). */
static unsigned long op_seen[256];

static bool jump_ok(size_t pc, uint32_t off, size_t n)
{
    return (uint64_t)pc + off < n;
}

/* Runs prog[0..n) on d as the kernel's seccomp would: the 32-bit value it returns. */
static uint32_t bpf_run(const struct sock_filter *prog, size_t n, const struct sdata *d)
{
    uint8_t data[SECCOMP_DATA_LEN];
    memcpy(data, d, sizeof(data));
    uint32_t A = 0, X = 0, M[MEMWORDS] = {0};
    bool mset[MEMWORDS] = {0};
    size_t pc = 0;
    size_t steps = 0;
    while (pc < n) {
        if (++steps > n)
            fail_msg("BPF: more than %zu steps", n);
        const struct sock_filter *f = &prog[pc++];
        uint32_t k = f->k;
        op_seen[f->code & 0xff]++;
        switch (f->code) {
        case BPF_LD | BPF_W | BPF_ABS:
            if (k % 4 || k > SECCOMP_DATA_LEN - 4)
                fail_msg("BPF: load at %u (insn %zu)", k, pc - 1);
            memcpy(&A, data + k, 4);
            break;
        case BPF_LD | BPF_W | BPF_LEN:
            A = SECCOMP_DATA_LEN;
            break;
        case BPF_LDX | BPF_W | BPF_LEN:
            X = SECCOMP_DATA_LEN;
            break;
        case BPF_LD | BPF_IMM:
            A = k;
            break;
        case BPF_LDX | BPF_IMM:
            X = k;
            break;
        case BPF_LD | BPF_MEM:
        case BPF_LDX | BPF_MEM:
            if (k >= MEMWORDS || !mset[k])
                fail_msg("BPF: read of scratch word %u not written (insn %zu)", k, pc - 1);
            if (f->code == (BPF_LD | BPF_MEM))
                A = M[k];
            else
                X = M[k];
            break;
        case BPF_ST:
        case BPF_STX:
            if (k >= MEMWORDS)
                fail_msg("BPF: store to scratch word %u (insn %zu)", k, pc - 1);
            M[k] = f->code == BPF_ST ? A : X;
            mset[k] = true;
            break;
        case BPF_ALU | BPF_NEG:
            A = -A;
            break;
        case BPF_MISC | BPF_TAX:
            X = A;
            break;
        case BPF_MISC | BPF_TXA:
            A = X;
            break;
        case BPF_RET | BPF_K:
            return k;
        case BPF_RET | BPF_A:
            return A;
        case BPF_JMP | BPF_JA:
            if (!jump_ok(pc, k, n))
                fail_msg("BPF: JA out of the program (insn %zu)", pc - 1);
            pc += k;
            break;
        default:
            if (BPF_CLASS(f->code) == BPF_ALU) {
                uint32_t src = BPF_SRC(f->code) == BPF_X ? X : k;
                switch (BPF_OP(f->code)) {
                case BPF_ADD:
                    A += src;
                    break;
                case BPF_SUB:
                    A -= src;
                    break;
                case BPF_MUL:
                    A *= src;
                    break;
                case BPF_DIV:
                    if (!src)
                        fail_msg("BPF: division by zero (insn %zu)", pc - 1);
                    A /= src;
                    break;
                case BPF_MOD:
                    if (!src)
                        fail_msg("BPF: modulo by zero (insn %zu)", pc - 1);
                    A %= src;
                    break;
                case BPF_AND:
                    A &= src;
                    break;
                case BPF_OR:
                    A |= src;
                    break;
                case BPF_XOR:
                    A ^= src;
                    break;
                case BPF_LSH:
                    A = src < 32 ? A << src : 0;
                    break;
                case BPF_RSH:
                    A = src < 32 ? A >> src : 0;
                    break;
                default:
                    fail_msg("BPF: ALU opcode 0x%02x not implemented (insn %zu)", f->code, pc - 1);
                }
                break;
            }
            if (BPF_CLASS(f->code) == BPF_JMP) {
                uint32_t src = BPF_SRC(f->code) == BPF_X ? X : k;
                bool t;
                switch (BPF_OP(f->code)) {
                case BPF_JEQ:
                    t = A == src;
                    break;
                case BPF_JGT:
                    t = A > src;
                    break;
                case BPF_JGE:
                    t = A >= src;
                    break;
                case BPF_JSET:
                    t = (A & src) != 0;
                    break;
                default:
                    fail_msg("BPF: JMP opcode 0x%02x not implemented (insn %zu)", f->code, pc - 1);
                    return 0;
                }
                uint8_t off = t ? f->jt : f->jf;
                if (!jump_ok(pc, off, n))
                    fail_msg("BPF: jump out of the program (insn %zu)", pc - 1);
                pc += off;
                break;
            }
            fail_msg("BPF: opcode 0x%02x not implemented (insn %zu)", f->code, pc - 1);
        }
    }
    fail_msg("BPF: the program ends without RET");
    return 0;
}

/* The program of a built filter (seccomp_export_bpf into a memory file); caller frees. */
static struct sock_filter *export_bpf(scmp_filter_ctx ctx, size_t *ret_n)
{
    int fd = memfd_create("kscmp-bpf-test", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    size_t len = (size_t)st.st_size;
    assert_true(len > 0 && len % sizeof(struct sock_filter) == 0);
    struct sock_filter *prog = malloc(len);
    assert_non_null(prog);
    assert_int_equal(pread(fd, prog, len, 0), (ssize_t)len);
    close(fd);
    *ret_n = len / sizeof(struct sock_filter);
    assert_true(*ret_n <= BPF_MAXINSNS);
    return prog;
}

/* libseccomp 2.5.4 can spin for ever on some rule sets (seen in seccomp_rule_add_array): the
 * agent's prover stops such a worker once the proof has used its CPU time, and refuses the
 * profile. These tests stop it at a deadline: proofs run in a worker process (forked once, while
 * the heap is small: a fork per proof costs more than the proof under ASan), each held to this many
 * milliseconds (a small profile takes a few under ASan, the slowest of the default cases about
 * 120); a worker past it is killed and replaced. Each of the few that never end costs this much of
 * the test's time. */
#define PROOF_MS 300

/* Room for the proof's reason whole (its end tells the kinds of refusal apart). */
#define PROOF_WHY_MAX (KERR_MSG_MAX + 32)

struct proof_hdr {
    int r;
    bool proved; /* r < 0 after proof_profile() accepted the profile: no program */
    uint32_t n;  /* instructions that follow */
    char why[PROOF_WHY_MAX];
};

static pid_t worker_pid = -1;
static int worker_in = -1, worker_out = -1; /* our ends: requests, answers */

/* Moves len bytes whole, past EINTR and short counts: writes them from p to fd (out), or reads
 * them from fd into p. False at EOF or on an error. */
static bool io_full(int fd, void *p, size_t len, bool out)
{
    for (size_t done = 0; done < len;) {
        char *at = (char *)p + done;
        ssize_t k = out ? write(fd, at, len - done) : read(fd, at, len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        done += (size_t)k;
    }
    return true;
}

/* The program libseccomp builds for a profile (proof_build() and seccomp_export_bpf(), as the
 * proof does): 0, *ret_prog (caller frees) and *ret_n, or a negative errno and why. */
static int build_program(const char *json, size_t len, struct sock_filter **ret_prog,
                         uint32_t *ret_n, char *why, size_t whylen)
{
    struct kerr err = {0};
    scmp_filter_ctx ctx = NULL;
    int r = proof_build(json, len, &ctx, &err);
    if (r < 0) {
        snprintf(why, whylen, "proof_build: %s (%d)", err.msg, r);
        return r;
    }
    struct sock_filter *prog = NULL;
    int fd = memfd_create("kscmp-bpf-test", MFD_CLOEXEC);
    struct stat st;
    if (fd < 0 || (r = seccomp_export_bpf(ctx, fd)) < 0 || fstat(fd, &st) < 0 ||
        !(prog = malloc((size_t)st.st_size + 1)) ||
        pread(fd, prog, (size_t)st.st_size, 0) != st.st_size) {
        r = r < 0 ? r : -EIO;
        snprintf(why, whylen, "seccomp_export_bpf: %s", strerror(-r));
        free(prog);
        prog = NULL;
    } else {
        *ret_n = (uint32_t)((size_t)st.st_size / sizeof(struct sock_filter));
        *ret_prog = prog;
        r = 0;
    }
    if (fd >= 0)
        close(fd);
    seccomp_release(ctx);
    return r;
}

/* The worker: a length and a profile in, a proof_hdr and the program out, until EOF. The
 * verdict is proof_profile()'s, the whole proof the agent runs before it writes a file; the
 * program, for a profile it accepts, is built again here for the test's own interpreter. */
__attribute__((noreturn)) static void worker_main(int in, int out)
{
    for (;;) {
        uint32_t len;
        if (!io_full(in, &len, sizeof(len), false))
            _exit(0);
        char *json = malloc(len + 1);
        if (!json || !io_full(in, json, len, false))
            _exit(1);
        struct proof_hdr h = {0};
        struct kerr err = {0};
        struct sock_filter *prog = NULL;
        h.r = proof_profile(json, len, &err);
        if (h.r < 0) {
            snprintf(h.why, sizeof(h.why), "%s (%d)", err.msg, h.r);
        } else {
            h.proved = true;
            h.r = build_program(json, len, &prog, &h.n, h.why, sizeof(h.why));
        }
        if (!io_full(out, &h, sizeof(h), true) ||
            (h.r >= 0 && !io_full(out, prog, h.n * sizeof(struct sock_filter), true)))
            _exit(1);
        free(prog);
        free(json);
    }
}

static void worker_start(void)
{
    int req[2], ans[2];
    assert_int_equal(pipe2(req, O_CLOEXEC), 0);
    assert_int_equal(pipe2(ans, O_CLOEXEC), 0);
    signal(SIGPIPE, SIG_IGN);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(req[1]);
        close(ans[0]);
        worker_main(req[0], ans[1]);
    }
    close(req[0]);
    close(ans[1]);
    worker_pid = pid;
    worker_in = req[1];
    worker_out = ans[0];
}

static void worker_stop(void)
{
    if (worker_pid < 0)
        return;
    kill(worker_pid, SIGKILL);
    int status;
    (void)waitpid(worker_pid, &status, 0);
    close(worker_in);
    close(worker_out);
    worker_pid = -1;
    worker_in = worker_out = -1;
}

/* What proving a rendered profile gave: r 0 and the program, or r < 0 and why. */
struct proved {
    int r;
    char why[PROOF_WHY_MAX];
    struct sock_filter *prog;
    size_t n;
};

/* The proof the agent runs (proof_profile()) and, when it passes, the program, in the worker. */
static struct proved prove(const char *json, size_t len)
{
    struct proved out = {0};
    if (worker_pid < 0)
        worker_start();
    uint32_t l32 = (uint32_t)len;
    bool sent =
        io_full(worker_in, &l32, sizeof(l32), true) && io_full(worker_in, (void *)json, len, true);
    struct pollfd pfd = {.fd = worker_out, .events = POLLIN};
    int k = sent ? poll(&pfd, 1, PROOF_MS) : -1;
    while (k < 0 && sent && errno == EINTR)
        k = poll(&pfd, 1, PROOF_MS);
    struct proof_hdr h;
    if (k == 0) {
        worker_stop();
        out.r = -ETIME;
        snprintf(out.why, sizeof(out.why), "the proof did not finish in %d ms", PROOF_MS);
        return out;
    }
    if (k < 0 || !io_full(worker_out, &h, sizeof(h), false)) {
        worker_stop();
        out.r = -ECHILD;
        snprintf(out.why, sizeof(out.why), "the proof worker died (libseccomp crashed?)");
        return out;
    }
    if (h.r < 0 && h.proved)
        fail_msg("proof_profile accepts the profile, but its program cannot be had: %s\n%s", h.why,
                 json);
    out.r = h.r;
    if (h.r < 0) {
        snprintf(out.why, sizeof(out.why), "%s", h.why);
        return out;
    }
    assert_true(h.n > 0);
    out.n = h.n;
    out.prog = malloc(out.n * sizeof(struct sock_filter));
    assert_non_null(out.prog);
    assert_true(io_full(worker_out, out.prog, out.n * sizeof(struct sock_filter), false));
    if (out.n > BPF_MAXINSNS) {
        out.r = -E2BIG;
        snprintf(out.why, sizeof(out.why), "the program has %zu instructions, over 4096", out.n);
        free(out.prog);
        out.prog = NULL;
    }
    return out;
}

/* A SECCOMP_RET_* value as a verdict; fails on one the profiles cannot produce. */
static struct verdict ret_verdict(uint32_t ret)
{
    switch (ret & RET_ACTION_FULL) {
    case RET_KILL_PROCESS:
        return VERDICT(ACT_KILL_PROCESS);
    case RET_KILL_THREAD:
        return VERDICT(ACT_KILL_THREAD);
    case RET_TRAP:
        return VERDICT(ACT_TRAP);
    case RET_ERRNO:
        return (struct verdict){.action = ACT_ERRNO, .errno_ret = (uint16_t)(ret & RET_DATA)};
    case RET_TRACE:
        return (struct verdict){.action = ACT_TRACE, .errno_ret = (uint16_t)(ret & RET_DATA)};
    case RET_LOG:
        return VERDICT(ACT_LOG);
    case RET_ALLOW:
        return VERDICT(ACT_ALLOW);
    default:
        fail_msg("BPF: unexpected return value 0x%08x", ret);
        return VERDICT(ACT_ALLOW);
    }
}

/* The program's verdict for syscall number nr on x86_64 with args. */
static struct verdict bpf_verdict(const struct sock_filter *prog, size_t n, int nr,
                                  const uint64_t args[6])
{
    struct sdata d = {.nr = nr, .arch = AUDIT_X86_64, .ip = 0x401000};
    memcpy(d.args, args, sizeof(d.args));
    return ret_verdict(bpf_run(prog, n, &d));
}

/* ---- cases ---------------------------------------------------------------------------------- */

static const char *const SYSCALLS[] = {"personality", "socket", "ioctl", "mkdir",
                                       "ptrace",      "clone",  "read"};
#define NSYS ARRAY_SIZE(SYSCALLS)
/* Evaluated too, named by no rule: the default. */
#define UNNAMED "getpid"

#define MAX_POLS 4

struct tcase {
    uint8_t np;
    struct pol p[MAX_POLS];
};

static const uint64_t VALUES[] = {0,
                                  1,
                                  2,
                                  8,
                                  16,
                                  17,
                                  255,
                                  0x7fffffff,
                                  0x80000000,
                                  0xffffffff,
                                  0x100000000ull,
                                  0x100000001ull,
                                  0x1ffffffffull,
                                  0xffffffff00000000ull >> 1,
                                  0x7fffffff00000000ull,
                                  INT64_MAX};
static const uint64_t MASKS[] = {1,
                                 8,
                                 0xf0,
                                 0xff,
                                 0x7e020000,
                                 0x80000000,
                                 0xffffffff,
                                 0x100000003ull,
                                 0xff00000000ull,
                                 0x7fffffff00000000ull,
                                 INT64_MAX};
static const uint16_t ERRNOS[] = {1, 13, 38, 95};
static const struct cond_gen CONDS = {
    {VALUES, ARRAY_SIZE(VALUES)}, {MASKS, ARRAY_SIZE(MASKS)}, .arg0_tenths = 6};

/* The syscalls a case draws its rules from: two or three, so that rules meet. */
static uint8_t case_sys[3];
static unsigned case_nsys;

static uint8_t pick_sys(void)
{
    return case_sys[below(case_nsys)];
}

/* The rules generated so far in the case: a new one may reuse one's syscall and condition. */
static struct rule *prior[MAX_POLS * PG_MAX_RULES];
static unsigned nprior;

static void gen_rule(struct rule *r, uint8_t action, unsigned cond_percent)
{
    memset(r, 0, sizeof(*r));
    r->action = action;
    if (action == ACT_ERRNO && chance(30))
        r->err = ERRNOS[below(ARRAY_SIZE(ERRNOS))];
    /* Often: an earlier conditional rule's syscall and first condition, changed a little
     * (another value: disjoint EQs; another operator: overlapping ranges; the same). */
    const struct rule *src = NULL;
    if (nprior && chance(35)) {
        src = prior[below(nprior)];
        if (!src->nargs)
            src = NULL;
    }
    if (src) {
        r->nsys = 1;
        r->sys[0] = src->sys[0];
        r->nargs = 1;
        r->args[0] = src->args[0];
        struct cond *c = &r->args[0];
        unsigned how = below(4);
        if (how == 0 && c->op != OP_MASKED_EQ)
            c->value = c->value + (chance(50) ? 1 : c->value ? (uint64_t)-1 : 2);
        else if (how == 1 && c->op != OP_MASKED_EQ)
            c->op = (uint8_t)(OP_NE + below(OP_MASKED_EQ - OP_NE));
        else if (how == 2 && c->op == OP_MASKED_EQ)
            c->two = c->value & rnd();
        if (chance(20)) {
            uint8_t i2;
            do
                i2 = gen_index(&CONDS);
            while (i2 == c->index);
            r->nargs = 2;
            gen_cond(&CONDS, &r->args[1], i2);
        }
    } else {
        r->nsys = (uint8_t)(chance(80) || case_nsys < 2 ? 1 : 2);
        r->sys[0] = pick_sys();
        do
            r->sys[1] = pick_sys();
        while (r->nsys == 2 && r->sys[1] == r->sys[0]);
        if (chance(cond_percent)) {
            unsigned want = chance(70) ? 1 : chance(70) ? 2 : 3;
            for (unsigned a = 0; a < want; a++) {
                uint8_t i2;
                do
                    i2 = gen_index(&CONDS);
                while (has_index(r, i2));
                gen_cond(&CONDS, &r->args[r->nargs++], i2);
            }
        }
    }
    if (nprior < ARRAY_SIZE(prior))
        prior[nprior++] = r;
}

static const struct pol_gen GEN = {gen_rule,         .max_rules = 5,   .cond_deny = 55,
                                   .cond_allow = 40, .cond_mixed = 50, .nodflt = 45};

static void gen_case(struct tcase *c)
{
    memset(c, 0, sizeof(*c));
    nprior = 0;
    case_nsys = 2 + below(2);
    for (unsigned i = 0; i < case_nsys; i++) {
        bool dup;
        do {
            case_sys[i] = (uint8_t)below(NSYS);
            dup = false;
            for (unsigned j = 0; j < i; j++)
                dup |= case_sys[j] == case_sys[i];
        } while (dup);
    }
    c->np = (uint8_t)(1 + below(MAX_POLS));
    for (unsigned i = 0; i < c->np; i++) {
        struct pol *p = &c->p[i];
        unsigned k = below(20);
        p->kind = i == 0 && k < 8 ? P_NAMED : k < 13 ? P_NSSEL : k < 17 ? P_CLUSTER : P_CEILING;
        gen_pol(&GEN, p, 40, 35);
    }
}

/* ---- YAML ---------------------------------------------------------------------------------- */

#define POD_WEB POD("demo", "web-a", "{app: a}", "kscmp/demo/web.json")

/* The policies (and the pod, when asked) as one text of YAML documents. */
static void case_yaml(const struct tcase *c, bool with_pod, struct buf *b)
{
    b->n = 0;
    b->s[0] = '\0';
    for (unsigned i = 0; i < c->np; i++) {
        char name[8];
        snprintf(name, sizeof(name), "p%u", i);
        bput(b, "%s", b->n ? "---\n" : "");
        put_pol(b, SYSCALLS, &c->p[i], name);
    }
    if (with_pod)
        bput(b, "---\n%s", POD_WEB);
}

/* ---- computing ------------------------------------------------------------------------------ */

#define NEVAL (NSYS + 1)

struct file_out {
    struct merged_file f;
    uint32_t ids[NEVAL]; /* of SYSCALLS, then UNNAMED, in this engine's sysdb */
    int nrs[NEVAL];      /* their x86_64 numbers */
};

static const char *eval_name(unsigned k)
{
    return k < NSYS ? SYSCALLS[k] : UNNAMED;
}

static struct file_out compute_yaml(const char *yaml)
{
    struct file_out o = {0};
    struct engine *e = compute_file(yaml, false, &o.f);
    for (unsigned k = 0; k < NEVAL; k++) {
        assert_int_equal(sysdb_lookup(engine_sysdb(e), eval_name(k), &o.ids[k]), 0);
        const char *name = sysdb_name(engine_sysdb(e), o.ids[k]);
        o.nrs[k] = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
        assert_true(o.nrs[k] >= 0);
    }
    engine_free(e);
    return o;
}

/* The argument vectors for the rules of the case (policy_gen.h). */
static void case_vecs(const struct tcase *c, struct vecs *vs)
{
    static const struct vec_gen how = {
        .both_words = true, .mixes = 24, .max_vals = PG_MAX_VALS, .max_vecs = PG_MAX_VECS};
    const struct pol *pols[MAX_POLS];
    for (unsigned i = 0; i < c->np; i++)
        pols[i] = &c->p[i];
    build_vecs(&how, pols, c->np, vs);
}

/* ---- the property ---------------------------------------------------------------------------- */

enum vkind { V_LOOSER, V_REFUSED, V_WIDE32, V_HANG, V_ERRNO, V__MAX };
static const char *const VKIND_NAME[] = {
    "the BPF program is looser than the merged meaning",
    "the proof (proof_profile) refuses the rendered profile (the agent would not write it)",
    "(by design) the proof refuses a value above 32 bits on a 32-bit architecture (libseccomp "
    "compares the low 32 bits there; the agent would not write it)",
    "the proof does not finish (libseccomp spins: the agent's prover stops it at its CPU time "
    "and refuses the profile)",
    "(information) the BPF program and the meaning say ERRNO with different errnos"};

struct finding {
    bool found;
    unsigned sys; /* index for eval_name() */
    uint64_t args[6];
    struct verdict m, b;
    char why[PROOF_WHY_MAX]; /* V_REFUSED, V_WIDE32, V_HANG: why, as the proof says it */
};

struct stats {
    unsigned long calls, stricter, errno_diff, timeout, eexist, eproto, wide32, refused_other;
    unsigned long by_rank[ACT__MAX][ACT__MAX]; /* [meaning][bpf] */
    size_t max_insns;
};

static const struct tcase *current; /* printed by the teardown if the case failed the test */

/* What the proof's reason says when a value above 32 bits is compared on a 32-bit architecture
 * (engine/bpf_check.c): refused by design, see the top of this file. */
#define WIDE32_REASON "on a 32-bit architecture"

/* The rank of a verdict: 0 ALLOW ... 6 KILL_PROCESS, any errno alike. */
static int rank(struct verdict v)
{
    return v.action;
}

/* Computes the file, builds the filter, runs the program for every syscall and vector: true when
 * the case counts (the file is written); f[kind] the first finding of each kind. The JSON is
 * left in *json_out when asked (caller frees). */
static bool check_case(const struct tcase *c, struct finding f[V__MAX], struct stats *st,
                       char **json_out)
{
    static struct buf b;
    static struct vecs vs;
    memset(f, 0, V__MAX * sizeof(*f));
    const struct tcase *prev = current;
    current = c;
    case_yaml(c, true, &b);
    struct file_out o = compute_yaml(b.s);
    bool counts = o.f.action == FILE_WRITE;
    if (counts) {
        struct proved pr = prove(o.f.json, o.f.len);
        if (pr.r < 0) {
            bool wide32 = pr.r == -EPROTO && strstr(pr.why, WIDE32_REASON);
            enum vkind rk = pr.r == -ETIME ? V_HANG : wide32 ? V_WIDE32 : V_REFUSED;
            f[rk].found = true;
            snprintf(f[rk].why, sizeof(f[rk].why), "%s", pr.why);
            if (st) {
                if (pr.r == -ETIME)
                    st->timeout++;
                else if (pr.r == -EEXIST)
                    st->eexist++;
                else if (wide32)
                    st->wide32++;
                else if (pr.r == -EPROTO)
                    st->eproto++;
                else
                    st->refused_other++;
            }
        } else {
            size_t n = pr.n;
            struct sock_filter *prog = pr.prog;
            if (st && n > st->max_insns)
                st->max_insns = n;
            case_vecs(c, &vs);
            for (unsigned k = 0; k < NEVAL; k++)
                for (size_t i = 0; i < vs.n; i++) {
                    struct verdict m = meaning(&o.f.m, o.ids[k], vs.v[i]);
                    struct verdict bv = bpf_verdict(prog, n, o.nrs[k], vs.v[i]);
                    enum vkind kind = V__MAX;
                    if (st) {
                        st->calls++;
                        st->by_rank[rank(m)][rank(bv)]++;
                        st->stricter += rank(bv) > rank(m);
                    }
                    if (rank(bv) < rank(m))
                        kind = V_LOOSER;
                    else if (m.action == ACT_ERRNO && bv.action == ACT_ERRNO &&
                             m.errno_ret != bv.errno_ret) {
                        kind = V_ERRNO;
                        if (st)
                            st->errno_diff++;
                    }
                    if (kind == V__MAX || f[kind].found)
                        continue;
                    f[kind] = (struct finding){.found = true, .sys = k, .m = m, .b = bv};
                    memcpy(f[kind].args, vs.v[i], sizeof(f[kind].args));
                }
            free(prog);
        }
        if (json_out) {
            *json_out = o.f.json;
            o.f.json = NULL;
        }
    }
    merged_file_free(&o.f);
    current = prev;
    return counts;
}

/* After each test: the worker stopped, and the case being checked when the test failed (if it
 * did) printed. */
static int teardown(void **state)
{
    (void)state;
    worker_stop();
    if (current) {
        static struct buf b;
        case_yaml(current, true, &b);
        fprintf(stderr, "the case being checked when the test failed:\n%s", b.s);
        current = NULL;
    }
    return 0;
}

/* ---- shrinking ---------------------------------------------------------------------------- */

/* One simplification step of c, in place (policy_gen.h, shrink_case()). */
static int simplify(void *vc, unsigned step, unsigned *n)
{
    struct tcase *c = vc;
    int r = simplify_drop_pol(c->p, &c->np, step, n);
    for (unsigned i = 0; i < c->np && !r; i++) {
        struct pol *p = &c->p[i];
        r = simplify_drop(p, step, n);
        if (r)
            return r;
        if ((p->kind == P_NAMED || p->kind == P_CLUSTER) && (*n)++ == step) {
            p->kind = P_NSSEL;
            return 1;
        }
        if (p->dflt > (int)ACT_ALLOW && p->dflt != (int)ACT_ERRNO &&
            p->dflt != (int)ACT_KILL_PROCESS && (*n)++ == step) {
            p->dflt = p->dflt > (int)ACT_ERRNO ? ACT_KILL_PROCESS : ACT_ERRNO;
            return 1;
        }
        r = simplify_rules(p, step, n);
    }
    return r;
}

/* The policy named after the file keeps a spec that is not empty (it has no selector). */
static bool sane(const struct tcase *c)
{
    for (unsigned i = 0; i < c->np; i++)
        if (c->p[i].kind == P_NAMED && c->p[i].nrules == 0 && c->p[i].dflt < 0)
            return false;
    return true;
}

/* Whether case t still has a finding of kind. */
static bool keeps(const void *t, unsigned kind)
{
    static struct finding f[V__MAX];
    return sane(t) && check_case(t, f, NULL, NULL) && f[kind].found;
}

/* ---- the tests ----------------------------------------------------------------------------- */

/* Prints case c with its finding of kind (c is the shrunk case: checked again, for the finding
 * and the rendered profile). */
static void print_finding(const void *vc, unsigned kind)
{
    const struct tcase *c = vc;
    static struct buf b;
    char mb[48], bb[48];
    struct finding again[V__MAX];
    char *json = NULL;
    check_case(c, again, NULL, &json);
    const struct finding *v = &again[kind];
    case_yaml(c, true, &b);
    print_message("---- %s%s; shrunk:\n%s",
                  kind == V_ERRNO || kind == V_WIDE32 ? "" : "VIOLATION: ", VKIND_NAME[kind], b.s);
    if (!v->found) {
        print_message("# (not seen again when checked once more)\n");
    } else if (kind == V_REFUSED || kind == V_WIDE32 || kind == V_HANG) {
        print_message("# refused: %s\n", v->why);
    } else {
        verdict_text(v->m, mb, sizeof(mb));
        verdict_text(v->b, bb, sizeof(bb));
        print_message("# %s(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64
                      ", 0x%" PRIx64 ") on x86_64: merged meaning %s, BPF %s\n",
                      eval_name(v->sys), v->args[0], v->args[1], v->args[2], v->args[3], v->args[4],
                      v->args[5], mb, bb);
    }
    if (json) {
        print_message("# the rendered profile:\n");
        for (char *line = strtok(json, "\n"); line; line = strtok(NULL, "\n"))
            print_message("#   %s\n", line);
    }
    free(json);
}

/* The key of a printed case: its policies. */
static void key_yaml(const void *c, struct buf *b)
{
    case_yaml(c, false, b);
}

static const struct shrinker SHRINK = {sizeof(struct tcase), simplify, keeps, key_yaml,
                                       print_finding};

static void test_bpf_agrees_with_meaning(void **state)
{
    (void)state;
    uint64_t seed = env_uint("KSCMP_BPF_SEED", 1);
    unsigned cases = env_uint("KSCMP_BPF_CASES", 2000);
    unsigned print_max = env_uint("KSCMP_BPF_PRINT", 3);
    unsigned print_info = env_uint("KSCMP_BPF_PRINT_INFO", 0);
    static struct tcase c;
    static struct printed seen;
    seen.n = 0;
    seen.width = 2048;
    static struct stats st;
    memset(&st, 0, sizeof(st));
    unsigned counted = 0, bad = 0, count[V__MAX] = {0}, printed[V__MAX] = {0};
    for (unsigned i = 0; i < cases; i++) {
        rng_state = (seed * 1000003u + 7) * 0x9e3779b97f4a7c15ull + i;
        gen_case(&c);
        struct finding f[V__MAX];
        if (!check_case(&c, f, &st, NULL))
            continue;
        counted++;
        bad += f[V_LOOSER].found;
        for (unsigned k = 0; k < V__MAX; k++) {
            if (!f[k].found)
                continue;
            count[k]++;
            /* A hang costs PROOF_MS per shrinking step that keeps it: one. */
            unsigned limit = k == V_LOOSER ? print_max : print_info;
            if (printed[k] < (k == V_HANG && limit > 1 ? 1 : limit) &&
                shrink_print(&SHRINK, &c, k, &seen))
                printed[k]++;
        }
    }
    print_message(
        "%u cases (seed %" PRIu64 "), %u counted (file written), %lu calls evaluated; "
        "BPF looser than the meaning in %u cases; the proof refused %u (by design: wide value on a "
        "32-bit architecture %lu; at most 1 in 20: libseccomp EEXIST %lu, program looser than the "
        "profile EPROTO %lu, no end in %d ms %lu, other %lu); BPF strictly stricter in %lu calls "
        "(%.1f%%); ERRNO with another errno in %lu calls (%u cases); longest program %zu "
        "instructions\n",
        cases, seed, counted, st.calls, count[V_LOOSER],
        count[V_REFUSED] + count[V_WIDE32] + count[V_HANG], st.wide32, st.eexist, st.eproto,
        PROOF_MS, st.timeout, st.refused_other, st.stricter,
        st.calls ? 100.0 * (double)st.stricter / (double)st.calls : 0.0, st.errno_diff,
        count[V_ERRNO], st.max_insns);
    print_message("meaning -> BPF (calls; rows the meaning, ALLOW LOG TRACE ERRNO TRAP KILL_THREAD "
                  "KILL_PROCESS):\n");
    for (int m = 0; m < ACT__MAX; m++)
        print_message("  %-13s %7lu %7lu %7lu %7lu %7lu %7lu %7lu\n",
                      action_oci_name((enum action)m) + 9, st.by_rank[m][0], st.by_rank[m][1],
                      st.by_rank[m][2], st.by_rank[m][3], st.by_rank[m][4], st.by_rank[m][5],
                      st.by_rank[m][6]);
    print_message("BPF opcodes used:");
    for (int op = 0; op < 256; op++)
        if (op_seen[op])
            print_message(" 0x%02x", op);
    print_message("\n");
    worker_stop();
    /* Most cases must count: the file is written. */
    assert_true(counted * 10 >= cases * 8);
    if (bad)
        fail_msg("%u of %u cases: the kernel would enforce less than the merge means (repros "
                 "above)",
                 bad, counted);
    /* A wide value on a 32-bit architecture is refused by design and not counted here. */
    if ((count[V_REFUSED] + count[V_HANG]) * 20 > counted)
        fail_msg("%u of %u profiles refused by the proof (for another reason than a wide value on "
                 "a 32-bit architecture) or too long to prove: more than one in 20 "
                 "(KSCMP_BPF_PRINT_INFO=3 shows them)",
                 count[V_REFUSED] + count[V_HANG], counted);
}

/* ---- the interpreter's self-check ----------------------------------------------------------- */

/* Builds a profile written with single quotes and returns its program. */
static struct sock_filter *prog_sq(const char *sq, size_t *n)
{
    char json[16384];
    size_t len = strlen(sq);
    assert_true(len < sizeof(json));
    for (size_t i = 0; i <= len; i++)
        json[i] = sq[i] == '\'' ? '"' : sq[i];
    struct kerr err = {0};
    scmp_filter_ctx ctx = NULL;
    if (proof_build(json, len, &ctx, &err) < 0)
        fail_msg("proof_build: %s\n%s", err.msg, json);
    struct sock_filter *prog = export_bpf(ctx, n);
    seccomp_release(ctx);
    return prog;
}

static int nr_of(const char *name)
{
    int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
    assert_true(nr >= 0);
    return nr;
}

static void expect(const struct sock_filter *prog, size_t n, const char *sys, uint64_t a0,
                   uint64_t a1, const char *want)
{
    const uint64_t args[6] = {a0, a1};
    char got[48];
    verdict_text(bpf_verdict(prog, n, nr_of(sys), args), got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("%s(0x%" PRIx64 ", 0x%" PRIx64 "): BPF says %s, want %s", sys, a0, a1, got, want);
}

#define X86 "'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32']"

static void test_interpreter_self_check(void **state)
{
    (void)state;
    size_t n;
    struct sock_filter *p;

    /* The default, an unconditional rule, another arch. */
    p = prog_sq("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':13," X86 ",'syscalls':["
                "{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
                "{'names':['ptrace'],'action':'SCMP_ACT_KILL_PROCESS'},"
                "{'names':['mkdir'],'action':'SCMP_ACT_LOG'},"
                "{'names':['clone'],'action':'SCMP_ACT_TRAP'},"
                "{'names':['socket'],'action':'SCMP_ACT_TRACE','errnoRet':7},"
                "{'names':['ioctl'],'action':'SCMP_ACT_KILL_THREAD'}]}",
                &n);
    expect(p, n, "read", 0, 0, "ALLOW");
    expect(p, n, "write", UINT64_MAX, 5, "ALLOW");
    expect(p, n, "ptrace", 0, 0, "KILL_PROCESS");
    expect(p, n, "mkdir", 0, 0, "LOG");
    expect(p, n, "clone", 0, 0, "TRAP");
    expect(p, n, "socket", 0, 0, "TRACE");
    expect(p, n, "ioctl", 0, 0, "KILL_THREAD");
    expect(p, n, "getpid", 0, 0, "ERRNO(13)");
    expect(p, n, "personality", 0, 0, "ERRNO(13)");
    {
        /* An architecture the filter does not hold: libseccomp's bad-arch action, a kill. */
        struct sdata d = {.nr = nr_of("read"), .arch = AUDIT_AARCH64};
        uint32_t ret = bpf_run(p, n, &d) & RET_ACTION_FULL;
        assert_true(ret == RET_KILL_THREAD || ret == RET_KILL_PROCESS);
    }
    free(p);

    /* 64-bit values: EQ on both words, GT and LE across the high word. */
    p = prog_sq("{'defaultAction':'SCMP_ACT_ALLOW'," X86 ",'syscalls':["
                "{'names':['personality'],'action':'SCMP_ACT_ERRNO','errnoRet':38,'args':["
                "{'index':0,'value':4294967297,'op':'SCMP_CMP_EQ'}]},"
                "{'names':['socket'],'action':'SCMP_ACT_KILL_PROCESS','args':["
                "{'index':1,'value':4294967296,'op':'SCMP_CMP_GT'}]},"
                "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','args':["
                "{'index':0,'value':4294967295,'op':'SCMP_CMP_LE'}]}]}",
                &n);
    expect(p, n, "personality", 0x100000001ull, 0, "ERRNO(38)");
    expect(p, n, "personality", 0x1, 0, "ALLOW");
    expect(p, n, "personality", 0x100000000ull, 0, "ALLOW");
    expect(p, n, "personality", 0x200000001ull, 0, "ALLOW");
    expect(p, n, "personality", 0, 0x100000001ull, "ALLOW");
    expect(p, n, "socket", 0, 0x100000001ull, "KILL_PROCESS");
    expect(p, n, "socket", 0, 0x200000000ull, "KILL_PROCESS");
    expect(p, n, "socket", 0, 0x100000000ull, "ALLOW");
    expect(p, n, "socket", 0, 0xffffffffull, "ALLOW");
    expect(p, n, "socket", 0, UINT64_MAX, "KILL_PROCESS");
    expect(p, n, "mkdir", 0xffffffffull, 0, "ERRNO(1)");
    expect(p, n, "mkdir", 0, 0, "ERRNO(1)");
    expect(p, n, "mkdir", 0x100000000ull, 0, "ALLOW");
    expect(p, n, "mkdir", 0x1ffffffffull, 0, "ALLOW");
    free(p);

    /* MASKED_EQ on the low word, on both words; a disjoint pair of EQs with two actions;
     * a two-argument rule. */
    p = prog_sq("{'defaultAction':'SCMP_ACT_ALLOW'," X86 ",'syscalls':["
                "{'names':['ioctl'],'action':'SCMP_ACT_ERRNO','errnoRet':95,'args':["
                "{'index':1,'value':65280,'valueTwo':256,'op':'SCMP_CMP_MASKED_EQ'}]},"
                "{'names':['clone'],'action':'SCMP_ACT_TRAP','args':["
                "{'index':0,'value':4294967299,'valueTwo':4294967297,"
                "'op':'SCMP_CMP_MASKED_EQ'}]},"
                "{'names':['ptrace'],'action':'SCMP_ACT_KILL_PROCESS','args':["
                "{'index':0,'value':16,'op':'SCMP_CMP_EQ'}]},"
                "{'names':['ptrace'],'action':'SCMP_ACT_LOG','args':["
                "{'index':0,'value':17,'op':'SCMP_CMP_EQ'}]},"
                "{'names':['read'],'action':'SCMP_ACT_ERRNO','args':["
                "{'index':0,'value':3,'op':'SCMP_CMP_EQ'},"
                "{'index':1,'value':8,'op':'SCMP_CMP_LT'}]}]}",
                &n);
    expect(p, n, "ioctl", 0, 0x100, "ERRNO(95)");
    expect(p, n, "ioctl", 0, 0xffffffff000001ffull, "ERRNO(95)");
    expect(p, n, "ioctl", 0, 0x200, "ALLOW");
    expect(p, n, "ioctl", 0, 0x300, "ALLOW");
    expect(p, n, "ioctl", 0x100, 0, "ALLOW");
    expect(p, n, "clone", 0x100000001ull, 0, "TRAP");
    expect(p, n, "clone", 0xf00000005ull, 0, "TRAP");
    expect(p, n, "clone", 0x1, 0, "ALLOW");
    expect(p, n, "clone", 0x100000000ull, 0, "ALLOW");
    expect(p, n, "clone", 0x100000003ull, 0, "ALLOW");
    expect(p, n, "ptrace", 16, 0, "KILL_PROCESS");
    expect(p, n, "ptrace", 17, 0, "LOG");
    expect(p, n, "ptrace", 0x100000010ull, 0, "ALLOW");
    expect(p, n, "ptrace", 18, 0, "ALLOW");
    expect(p, n, "read", 3, 7, "ERRNO(1)");
    expect(p, n, "read", 3, 8, "ALLOW");
    expect(p, n, "read", 3, 0x100000000ull, "ALLOW");
    expect(p, n, "read", 4, 0, "ALLOW");
    free(p);

    /* More than 32 rules: the binary-tree layout (JGT/JGE on the syscall number). */
    {
        static const char *const many[] = {
            "read",      "write",     "open",    "close",     "stat",   "fstat",    "lstat",
            "poll",      "lseek",     "mmap",    "mprotect",  "munmap", "brk",      "pread64",
            "pwrite64",  "readv",     "writev",  "access",    "pipe",   "select",   "sched_yield",
            "mremap",    "msync",     "mincore", "madvise",   "dup",    "dup2",     "pause",
            "nanosleep", "getitimer", "alarm",   "setitimer", "getpid", "sendfile", "socket"};
        char sq[8192];
        size_t len = (size_t)snprintf(sq, sizeof(sq),
                                      "{'defaultAction':'SCMP_ACT_ERRNO'," X86 ",'syscalls':[");
        for (size_t i = 0; i < ARRAY_SIZE(many); i++)
            len += (size_t)snprintf(sq + len, sizeof(sq) - len, "%s{'names':['%s'],'action':'%s'}",
                                    i ? "," : "", many[i],
                                    i % 3 == 0   ? "SCMP_ACT_ALLOW"
                                    : i % 3 == 1 ? "SCMP_ACT_LOG"
                                                 : "SCMP_ACT_KILL_PROCESS");
        snprintf(sq + len, sizeof(sq) - len, "]}");
        p = prog_sq(sq, &n);
        bool tree = false;
        for (size_t i = 0; i < n; i++)
            tree |= p[i].code == (BPF_JMP | BPF_JGT | BPF_K) ||
                    (p[i].code == (BPF_JMP | BPF_JGE | BPF_K) && p[i].k != 0x40000000);
        assert_true(tree);
        for (size_t i = 0; i < ARRAY_SIZE(many); i++)
            expect(p, n, many[i], 0, 0, i % 3 == 0 ? "ALLOW" : i % 3 == 1 ? "LOG" : "KILL_PROCESS");
        expect(p, n, "ptrace", 0, 0, "ERRNO(1)");
        expect(p, n, "mkdir", 0, 0, "ERRNO(1)");
        free(p);
    }

    /* And the whole pipeline on a YAML with a known answer. The value fits in 32 bits: the
     * profile lists x32, where the proof refuses any condition on a value above 32 bits (x32
     * calls pass 64-bit registers, libseccomp compares their low halves). */
    {
        struct tcase c = {.np = 1};
        c.p[0] = (struct pol){.kind = P_NAMED, .dflt = ACT_ERRNO, .nrules = 2};
        c.p[0].rules[0] = (struct rule){.nsys = 1, .sys = {6}, .action = ACT_ALLOW}; /* read */
        c.p[0].rules[1] =
            (struct rule){.nsys = 1,
                          .sys = {0}, /* personality */
                          .action = ACT_KILL_PROCESS,
                          .nargs = 1,
                          .args = {{.index = 0, .op = OP_EQ, .value = 0xfffffff0ull}}};
        struct finding f[V__MAX];
        static struct stats st;
        memset(&st, 0, sizeof(st));
        assert_true(check_case(&c, f, &st, NULL));
        for (int k = 0; k < V__MAX; k++)
            if (f[k].found)
                fail_msg("%s %s", VKIND_NAME[k], f[k].why);
        assert_true(st.calls > 0);
        assert_true(st.by_rank[ACT_ALLOW][ACT_ALLOW] > 0);
        assert_true(st.by_rank[ACT_ERRNO][ACT_ERRNO] > 0);
        assert_true(st.by_rank[ACT_KILL_PROCESS][ACT_KILL_PROCESS] > 0);
        assert_int_equal(st.stricter, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_interpreter_self_check, teardown),
        cmocka_unit_test_teardown(test_bpf_agrees_with_meaning, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
