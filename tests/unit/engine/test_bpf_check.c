/* test_bpf_check.c - the seccomp BPF interpreter and the check of libseccomp's program against
 * the profile (engine/bpf_check.h).
 *
 * The interpreter is pinned on hand-written programs with known answers (each load of struct
 * seccomp_data in both byte orders, the scratch memory, ALU, every jump, both returns) and on
 * programs seccomp would not run (it refuses them rather than guess). The check is pinned on
 * profiles through proof_profile(): many conditions (more combinations than the grid runs,
 * so the anchored calls) with and without a rule libseccomp loses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/cleanup.h"
#include "engine/bpf_check.h"
#include "engine/arch.h"
#include "engine/bpf_paths.h"
#include "engine/proof.h"

#define LE_ARCH 0xc000003eu /* AUDIT_ARCH_X86_64 */
#define BE_ARCH 0x80000016u /* AUDIT_ARCH_S390X */

static uint32_t run_ok(const struct sock_filter *prog, size_t n, const struct bpf_call *c)
{
    uint32_t ret = 0xdeadbeef;
    assert_int_equal(bpf_run(prog, n, c, &ret), 0);
    return ret;
}

/* Each word of struct seccomp_data, in the architecture's byte order. */
static void test_loads(void **state)
{
    (void)state;
    struct bpf_call le = {.nr = 7, .arch = LE_ARCH, .args = {0x1111111122222222ull}};
    struct bpf_call be = le;
    be.arch = BE_ARCH;
    le.args[5] = 0x5555555566666666ull;
    be.args[5] = le.args[5];
    static const struct {
        uint32_t k;
        uint32_t le, be;
    } rows[] = {
        {0, 7, 7},
        {4, LE_ARCH, BE_ARCH},
        {8, 0, 0},
        {12, 0, 0},
        {16, 0x22222222u, 0x11111111u},
        {20, 0x11111111u, 0x22222222u},
        {56, 0x66666666u, 0x55555555u},
        {60, 0x55555555u, 0x66666666u},
    };
    for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
        struct sock_filter prog[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, rows[i].k),
            BPF_STMT(BPF_RET | BPF_A, 0),
        };
        assert_int_equal(run_ok(prog, 2, &le), rows[i].le);
        assert_int_equal(run_ok(prog, 2, &be), rows[i].be);
    }
}

/* Jumps, scratch memory, ALU with K and X, TAX/TXA, LEN, RET K. */
static void test_program(void **state)
{
    (void)state;
    /* Returns ERRNO(a0_lo + 1) when nr == 3 and (a0_lo & 0xf0) != 0, ALLOW otherwise; the
     * errno goes through the scratch memory and X. */
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JA, 10, 0, 0),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0xf0, 0, 8),
        BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
        BPF_STMT(BPF_ST, 3),
        BPF_STMT(BPF_LDX | BPF_MEM, 3),
        BPF_STMT(BPF_LD | BPF_IMM, 0x00050000u),
        BPF_STMT(BPF_ALU | BPF_OR | BPF_X, 0),
        BPF_STMT(BPF_MISC | BPF_TAX, 0),
        BPF_STMT(BPF_MISC | BPF_TXA, 0),
        BPF_STMT(BPF_RET | BPF_A, 0),
        BPF_STMT(BPF_RET | BPF_K, 0x7fff0000u),
    };
    size_t n = ELEMENTSOF(prog);
    struct bpf_call c = {.nr = 3, .arch = LE_ARCH, .args = {0x20}};
    assert_int_equal(run_ok(prog, n, &c), 0x00050021u);
    c.args[0] = 0x0f;
    assert_int_equal(run_ok(prog, n, &c), 0x7fff0000u);
    c.nr = 4;
    c.args[0] = 0x20;
    assert_int_equal(run_ok(prog, n, &c), 0x7fff0000u);

    /* JGT, JGE with X, the length of struct seccomp_data. */
    struct sock_filter cmp[] = {
        BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 10, 0, 2),
        BPF_STMT(BPF_RET | BPF_K, 2),
        BPF_STMT(BPF_RET | BPF_K, 1),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct bpf_call d = {.arch = LE_ARCH, .args = {64}};
    assert_int_equal(run_ok(cmp, ELEMENTSOF(cmp), &d), 1);
    d.args[0] = 11;
    assert_int_equal(run_ok(cmp, ELEMENTSOF(cmp), &d), 2);
    d.args[0] = 10;
    assert_int_equal(run_ok(cmp, ELEMENTSOF(cmp), &d), 0);
}

/* Programs seccomp would not run to a return are refused, not guessed. */
static void test_malformed(void **state)
{
    (void)state;
    struct bpf_call c = {.nr = 1, .arch = LE_ARCH};
    uint32_t ret;
    struct sock_filter misaligned[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
                                       BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_filter beyond[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64),
                                   BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_filter byte_load[] = {BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
                                      BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_filter no_ret[] = {BPF_STMT(BPF_LD | BPF_IMM, 1)};
    struct sock_filter jump_out[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 5),
                                     BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_filter ja_out[] = {BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
                                   BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_filter div0[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
                                 BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_filter scratch[] = {BPF_STMT(BPF_ST, 16), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_filter unknown[] = {{0xff, 0, 0, 0}, BPF_STMT(BPF_RET | BPF_K, 0)};
    struct {
        const struct sock_filter *p;
        size_t n;
    } rows[] = {
        {misaligned, 2}, {beyond, 2}, {byte_load, 2}, {no_ret, 1},  {jump_out, 2},
        {ja_out, 2},     {div0, 2},   {scratch, 2},   {unknown, 2}, {misaligned, 0},
    };
    for (size_t i = 0; i < ELEMENTSOF(rows); i++)
        if (bpf_run(rows[i].p, rows[i].n, &c, &ret) != -EINVAL)
            fail_msg("row %zu: the program ran", i);
}

/* A profile whose rules of one syscall compare four arguments, with more combinations than the
 * grid runs: the anchored calls. extra is one more rule, or "". */
static int prove_wide(const char *extra, struct kerr *err)
{
    char json[8192];
    size_t off = (size_t)snprintf(json, sizeof(json),
                                  "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[");
    for (int idx = 1; idx <= 4; idx++)
        for (int v = 1; v <= 8; v++)
            off += (size_t)snprintf(json + off, sizeof(json) - off,
                                    "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\","
                                    "\"args\":[{\"index\":%d,\"value\":%d,\"op\":\"SCMP_CMP_EQ\"},"
                                    "{\"index\":0,\"value\":%d,\"op\":\"SCMP_CMP_EQ\"}]},",
                                    idx, v * 1000 + idx, 100 + idx);
    snprintf(json + off, sizeof(json) - off,
             "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,"
             "\"value\":7,\"op\":\"SCMP_CMP_EQ\"}]}%s]}",
             extra);
    return proof_profile(json, strlen(json), err);
}

static void test_anchored(void **state)
{
    (void)state;
    struct kerr err = {0};
    int r = prove_wide("", &err);
    if (r < 0)
        fail_msg("%s", err.msg);
    /* Two ranges of one action on argument 0: libseccomp 2.5.4 loses one of them. */
    r = prove_wide(",{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_KILL_PROCESS\",\"args\":"
                   "[{\"index\":0,\"value\":16,\"op\":\"SCMP_CMP_LT\"}]},"
                   "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_KILL_PROCESS\",\"args\":"
                   "[{\"index\":0,\"value\":4294967296,\"op\":\"SCMP_CMP_LT\"}]}",
                   &err);
    assert_int_equal(r, -EPROTO);
    assert_non_null(strstr(err.msg, "looser than the profile: \"personality\""));
}

/* A syscall no rule names gets the default action; a program that does not give it is
 * looser than the profile. */
static void test_default_checked(void **state)
{
    (void)state;
    struct bpf_rule rule = {.name = "read", .action = SCMP_ACT_ALLOW};
    struct bpf_model m = {
        .default_action = SCMP_ACT_ERRNO(1),
        .arches = {SCMP_ARCH_X86_64},
        .narches = 1,
        .rules = &rule,
        .nrules = 1,
    };
    struct sock_filter allow_all[] = {BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW)};
    struct sock_filter errno_all[] = {BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(1))};
    /* nr 0 is read on x86_64: allowed; nr 1 (write) no rule names. */
    struct sock_filter right[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(1)),
    };
    struct kerr err = {0};
    assert_int_equal(bpf_check(&m, right, ELEMENTSOF(right), &err), 0);
    assert_int_equal(bpf_check(&m, allow_all, 1, &err), -EPROTO);
    assert_non_null(strstr(err.msg, "syscall number 1, which no rule names, on SCMP_ARCH_X86_64"));
    /* Every number up to one past the highest named is run: here 5 is allowed. */
    struct sock_filter five[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5, 0, 1), BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(1)),
    };
    struct bpf_rule rules2[] = {{.name = "read", .action = SCMP_ACT_ALLOW},
                                {.name = "close", .action = SCMP_ACT_ALLOW}};
    struct bpf_model m2 = m;
    m2.rules = rules2;
    m2.nrules = 2; /* read 0 and close 3 */
    assert_int_equal(bpf_check(&m2, five, ELEMENTSOF(five), &err), 0);
    rules2[1].name = "fstat"; /* 5 */
    assert_int_equal(bpf_check(&m2, five, ELEMENTSOF(five), &err), 0);
    rules2[1].name = "lstat"; /* 6: now 5 is one no rule names */
    struct bpf_check_stats st;
    assert_int_equal(bpf_check_counted(&m2, five, ELEMENTSOF(five), &st, &err), -EPROTO);
    assert_non_null(strstr(err.msg, "syscall number 5, which no rule names, on SCMP_ARCH_X86_64"));
    /* 1-5 were walked at once; a path allows 5, so each was run alone, which named it. */
    assert_int_equal(st.ranges, 1);
    assert_int_equal(st.ranges_run, 1);
    /* A program that gives 1-5 and 7 the default: one walk of 1-5 (7 is run alone). */
    struct sock_filter six[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 1), BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(1)),
    };
    assert_int_equal(bpf_check_counted(&m2, six, ELEMENTSOF(six), &st, &err), 0);
    assert_int_equal(st.ranges, 1);
    assert_int_equal(st.range_paths, 1);
    assert_int_equal(st.ranges_run, 0);
    /* The walk sees every argument: a path of 1-5 that allows a call with a0 == 7 only is
     * looser than the default, so the numbers are run alone (arguments 0: the default). */
    struct sock_filter a0[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 2, 0), BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1), BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(1)),
    };
    assert_int_equal(bpf_check_counted(&m2, a0, ELEMENTSOF(a0), &st, &err), 0);
    assert_int_equal(st.ranges, 1);
    assert_int_equal(st.ranges_run, 1);
    /* Stricter than the profile for read: not looser, so not refused. */
    assert_int_equal(bpf_check(&m, errno_all, 1, &err), 0);
}

/* The program of one architecture: its check, then ALLOW for the numbers allow[0..n), else the
 * default, KILL_PROCESS. */
static size_t allow_numbers(struct sock_filter *prog, uint32_t arch, const uint32_t *allow,
                            size_t n)
{
    size_t k = 0;
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4);
    prog[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_KILL_PROCESS);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0);
    for (size_t i = 0; i < n; i++)
        prog[k++] =
            (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, allow[i], (uint8_t)(n - i), 0);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_KILL_PROCESS);
    prog[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW);
    return k;
}

/* Numbers are checked where the architecture has them: MIPS numbers its calls from 4000, 5000
 * or 6000 (the check ran 0-4096 there, none of them), and on 32-bit x86 a socket rule is
 * checked at socket's own number, 359, also when no rule names a number that high. */
static void test_numbers_checked(void **state)
{
    (void)state;
    struct sock_filter prog[16];
    struct kerr err = {0};
    struct bpf_rule mips_rules[] = {{.name = "read", .action = SCMP_ACT_ALLOW},
                                    {.name = "close", .action = SCMP_ACT_ALLOW}};
    struct bpf_model mips = {
        .default_action = SCMP_ACT_KILL_PROCESS,
        .arches = {SCMP_ARCH_MIPS64},
        .narches = 1,
        .rules = mips_rules,
        .nrules = 2,
    };
    assert_int_equal(seccomp_syscall_resolve_name_arch(SCMP_ARCH_MIPS64, "read"), 5000);
    assert_int_equal(seccomp_syscall_resolve_name_arch(SCMP_ARCH_MIPS64, "close"), 5003);
    const uint32_t right[] = {5000, 5003}, open_too[] = {5000, 5002, 5003};
    size_t n = allow_numbers(prog, SCMP_ARCH_MIPS64, right, 2);
    assert_int_equal(bpf_check(&mips, prog, n, &err), 0);
    n = allow_numbers(prog, SCMP_ARCH_MIPS64, open_too, 3);
    assert_int_equal(bpf_check(&mips, prog, n, &err), -EPROTO);
    assert_non_null(
        strstr(err.msg, "syscall number 5002, which no rule names, on SCMP_ARCH_MIPS64"));

    struct bpf_rule x86_rules[] = {
        {.name = "read", .action = SCMP_ACT_ALLOW},
        {.name = "socket", .action = SCMP_ACT_ALLOW, .ncmp = 1, .cmp = {SCMP_A0(SCMP_CMP_EQ, 1)}},
    };
    struct bpf_model x86 = {
        .default_action = SCMP_ACT_KILL_PROCESS,
        .arches = {SCMP_ARCH_X86},
        .narches = 1,
        .rules = x86_rules,
        .nrules = 2,
    };
    /* socketcall (102) allows every socket call, as libseccomp's program does: the check
     * leaves the multiplexer alone. socket's own number, 359, allowed for any domain. */
    const uint32_t loose[] = {3, 102, 359};
    n = allow_numbers(prog, SCMP_ARCH_X86, loose, 3);
    assert_int_equal(bpf_check(&x86, prog, n, &err), -EPROTO);
    assert_non_null(strstr(err.msg, "\"socket\" on SCMP_ARCH_X86 called with arguments (0,"));
    /* 359 allowed for domain 1 only: right. */
    struct sock_filter domain[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SCMP_ARCH_X86, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, 5, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 102, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 359, 0, 2),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW),
    };
    int r = bpf_check(&x86, domain, ELEMENTSOF(domain), &err);
    if (r < 0)
        fail_msg("%s", err.msg);

    /* MIPS n32 passes 64-bit registers that libseccomp compares by their low halves, as on
     * x32: socket(0xffffffff0000002d) is allowed by "a0 == 45" there, as the profile means on
     * that architecture (the check called that looser, and refused Docker's default profile
     * for mipsel), and a value above 32 bits is refused. */
    static const char n32[] =
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_MIPSEL64N32\"],"
        "\"syscalls\":[{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{"
        "\"index\":0,\"value\":45,\"op\":\"SCMP_CMP_EQ\"}]}]}";
    r = proof_profile(n32, strlen(n32), &err);
    if (r < 0)
        fail_msg("%s", err.msg);
    static const char n32_wide[] =
        "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_MIPSEL64N32\"],"
        "\"syscalls\":[{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{"
        "\"index\":0,\"value\":4294967341,\"op\":\"SCMP_CMP_EQ\"}]}]}";
    assert_int_equal(proof_profile(n32_wide, strlen(n32_wide), &err), -EPROTO);
    assert_non_null(strstr(err.msg,
                           "\"socket\" on SCMP_ARCH_MIPSEL64N32: a condition on argument 0 "
                           "compares a value above 32 bits (0x10000002d)"));
}

/* Rules of read (x86_64 number 0) such that no call avoids them all when there are more rules
 * than arguments: rule j allows read unless some argument is j ("a_i != j" for every i), and a
 * call can make at most one rule false per argument. The search for a call no rule holds for
 * then tries every assignment of rules to arguments, more than its SEARCH_MAX steps. */
static void pigeon_rules(struct bpf_rule *rules, size_t nrules)
{
    for (size_t j = 0; j < nrules; j++) {
        rules[j] = (struct bpf_rule){.name = "read", .action = SCMP_ACT_ALLOW, .ncmp = 6};
        for (unsigned i = 0; i < 6; i++)
            rules[j].cmp[i] = SCMP_CMP(i, SCMP_CMP_NE, j);
    }
}

/* The search for a call no rule holds for runs out of steps: the syscall is then checked by
 * sampled calls, and a right program is not refused for it. With one rule fewer such a call
 * exists, the search finds it, and a program that allows every read is refused. */
static void test_search_cut(void **state)
{
    (void)state;
    struct bpf_rule rules[7];
    struct bpf_model m = {
        .default_action = SCMP_ACT_KILL_PROCESS,
        .arches = {SCMP_ARCH_X86_64},
        .narches = 1,
        .rules = rules,
    };
    struct sock_filter allow_read[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SCMP_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_KILL_PROCESS),
    };
    struct bpf_check_stats st;
    struct kerr err = {0};

    pigeon_rules(rules, 7);
    m.nrules = 7;
    int r = bpf_check_counted(&m, allow_read, ELEMENTSOF(allow_read), &st, &err);
    if (r < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(st.syscalls, 1);
    assert_int_equal(st.paths, 1);
    assert_int_equal(st.searches_cut, 1);
    assert_int_equal(st.sampled, 1);

    pigeon_rules(rules, 6);
    m.nrules = 6;
    assert_int_equal(bpf_check_counted(&m, allow_read, ELEMENTSOF(allow_read), &st, &err), -EPROTO);
    assert_int_equal(st.searches_cut, 0);
    assert_int_equal(st.sampled, 0);
    assert_non_null(strstr(err.msg, "\"read\" on SCMP_ARCH_X86_64 called with arguments"));
    assert_non_null(strstr(err.msg, "where the profile says SCMP_ACT_KILL_PROCESS"));
}

struct leaves {
    size_t n;
    uint32_t ret[8];
    struct bpf_box box[8];
};

static int collect(const struct bpf_box *b, uint32_t ret, void *userdata)
{
    struct leaves *l = userdata;
    assert_true(l->n < 8);
    l->ret[l->n] = ret;
    l->box[l->n++] = *b;
    return 0;
}

/* The paths of a program for one syscall, and what each asks of the arguments. */
static void test_paths(void **state)
{
    (void)state;
    /* nr 5: KILL when a0's low half > 10, or when its high half & 0xf0 == 0x30; ERRNO
     * otherwise; JSET on a1's low half picks TRAP first. Other syscalls: ALLOW. */
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 24),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x4, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_TRAP),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 10, 4, 0),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 20),
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x30, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(1)),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_KILL_PROCESS),
    };
    size_t n = ELEMENTSOF(prog);
    struct bpf_walk w = {0};
    struct leaves l = {0};
    assert_int_equal(bpf_paths(&w, prog, n, LE_ARCH, 6, 16, collect, &l), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.ret[0], SCMP_ACT_ALLOW);

    l = (struct leaves){0};
    assert_int_equal(bpf_paths(&w, prog, n, LE_ARCH, 5, 16, collect, &l), 0);
    assert_int_equal(l.n, 4);
    size_t seen = 0;
    for (size_t i = 0; i < l.n; i++) {
        const struct bpf_box *b = &l.box[i];
        /* Word 4 is a0's low half, 5 its high half, 6 a1's low half. */
        switch (l.ret[i]) {
        case SCMP_ACT_TRAP:
            assert_false(bpf_box_allows(b, 6, 0x3));
            assert_true(bpf_box_allows(b, 6, 0x4));
            seen |= 1;
            break;
        case SCMP_ACT_KILL_PROCESS:
            if (b->lo[4] == 11) {
                seen |= 2;
            } else {
                assert_int_equal(b->hi[4], 10);
                assert_true(bpf_box_allows(b, 5, 0x1234));
                assert_false(bpf_box_allows(b, 5, 0x1204));
                seen |= 4;
            }
            assert_false(bpf_box_allows(b, 6, 0x4));
            break;
        case SCMP_ACT_ERRNO(1):
            assert_int_equal(b->hi[4], 10);
            assert_false(bpf_box_allows(b, 5, 0x30));
            seen |= 8;
            break;
        default:
            fail_msg("return 0x%x", l.ret[i]);
        }
    }
    assert_int_equal(seen, 15);

    /* More paths than allowed; a return computed from the call; a program without one. */
    l = (struct leaves){0};
    assert_int_equal(bpf_paths(&w, prog, n, LE_ARCH, 5, 3, collect, &l), -E2BIG);
    struct sock_filter ret_a[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
                                  BPF_STMT(BPF_RET | BPF_A, 0)};
    assert_int_equal(bpf_paths(&w, ret_a, 2, LE_ARCH, 5, 16, collect, &l), -EOPNOTSUPP);
    struct sock_filter no_ret[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
                                   BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0)};
    assert_int_equal(bpf_paths(&w, no_ret, 2, LE_ARCH, 5, 16, collect, &l), -EINVAL);
    bpf_walk_free(&w);
}

/* A syscall the profile allows whatever the arguments is not followed: nothing is looser. One
 * allowed only under a condition, or also denied under one, is. */
static void test_allowed_always(void **state)
{
    (void)state;
    struct bpf_rule rules[] = {
        {.name = "read", .action = SCMP_ACT_ALLOW},
        {.name = "read",
         .action = SCMP_ACT_ALLOW,
         .ncmp = 1,
         .cmp = {{.arg = 0, .op = SCMP_CMP_EQ, .datum_a = 3}}},
    };
    struct bpf_model m = {
        .default_action = SCMP_ACT_ERRNO(1),
        .arches = {SCMP_ARCH_X86_64},
        .narches = 1,
        .rules = rules,
        .nrules = 2,
    };
    /* read (0): KILL_PROCESS when a0 == 7, else ALLOW; the rest the default. */
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(1)),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW),
    };
    struct kerr err = {0};
    struct bpf_check_stats st;
    assert_int_equal(bpf_check_counted(&m, prog, ELEMENTSOF(prog), &st, &err), 0);
    assert_int_equal(st.allowed, 1);
    assert_int_equal(st.syscalls, 0);

    /* Allowed only when a0 == 3: the default (ERRNO) otherwise, which ALLOW is looser than. */
    m.rules = &rules[1];
    m.nrules = 1;
    assert_int_equal(bpf_check_counted(&m, prog, ELEMENTSOF(prog), &st, &err), -EPROTO);
    assert_int_equal(st.allowed, 0);
    assert_int_equal(st.syscalls, 1);
    assert_non_null(strstr(err.msg, "\"read\" on SCMP_ARCH_X86_64"));

    /* Allowed, and killed when a0 == 5: the program allows a0 == 5. */
    rules[1].action = SCMP_ACT_KILL_PROCESS;
    rules[1].cmp[0].datum_a = 5;
    m.rules = rules;
    m.nrules = 2;
    assert_int_equal(bpf_check_counted(&m, prog, ELEMENTSOF(prog), &st, &err), -EPROTO);
    assert_int_equal(st.allowed, 0);
    assert_non_null(strstr(err.msg, "where the profile says SCMP_ACT_KILL_PROCESS"));
}

/* The paths of an interval of syscall numbers at once. */
static void test_paths_range(void **state)
{
    (void)state;
    /* nr 5: four paths on the arguments (test_paths); other numbers ALLOW. */
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 24),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x4, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ERRNO(1)),
    };
    size_t n = ELEMENTSOF(prog);
    struct bpf_walk w = {0};
    struct leaves l = {0};
    assert_int_equal(bpf_paths_range(&w, prog, n, LE_ARCH, 0, 10, 16, collect, &l), 0);
    assert_int_equal(l.n, 3);
    size_t seen = 0;
    for (size_t i = 0; i < l.n; i++) {
        const struct bpf_box *b = &l.box[i];
        if (l.ret[i] == SCMP_ACT_ALLOW) {
            assert_int_equal(b->lo[0], 0);
            assert_int_equal(b->hi[0], 10);
            assert_true(bpf_box_allows(b, 0, 4));
            assert_false(bpf_box_allows(b, 0, 5));
            seen |= 1;
        } else {
            assert_int_equal(b->lo[0], 5);
            assert_int_equal(b->hi[0], 5);
            seen |= l.ret[i] == SCMP_ACT_TRAP ? 2 : 4;
        }
    }
    assert_int_equal(seen, 7);
    l = (struct leaves){0};
    assert_int_equal(bpf_paths_range(&w, prog, n, LE_ARCH, 6, 10, 16, collect, &l), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.ret[0], SCMP_ACT_ALLOW);
    assert_int_equal(l.box[0].nne[0], 0); /* 5 is outside [6, 10]: not kept as excluded */
    assert_int_equal(bpf_paths_range(&w, prog, n, LE_ARCH, 10, 6, 16, collect, &l), -EINVAL);

    /* A bound splits the interval: [90, 99] ALLOW, [100, 110] KILL. */
    struct sock_filter ge[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 100, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SCMP_ACT_ALLOW),
    };
    l = (struct leaves){0};
    assert_int_equal(bpf_paths_range(&w, ge, ELEMENTSOF(ge), LE_ARCH, 90, 110, 16, collect, &l), 0);
    assert_int_equal(l.n, 2);
    for (size_t i = 0; i < l.n; i++) {
        bool kill = l.ret[i] == SCMP_ACT_KILL_PROCESS;
        assert_int_equal(l.box[i].lo[0], kill ? 100 : 90);
        assert_int_equal(l.box[i].hi[0], kill ? 110 : 99);
    }
    bpf_walk_free(&w);
}

/* What the proof and the renderer ask of an architecture: a call libseccomp multiplexes there
 * (socket through socketcall on x86, not on x86_64; a call an architecture lacks is not), and
 * whether arguments are compared whole (x86_64, aarch64) or by their low halves (x86, arm; x32
 * and MIPS n32, whose 64-bit registers libseccomp compares by the low halves). */
static void test_arch_shapes(void **state)
{
    (void)state;
    assert_true(arch_nr_multiplexed(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "socket")));
    assert_true(arch_nr_multiplexed(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "shmctl")));
    assert_false(
        arch_nr_multiplexed(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, "socket")));
    assert_false(arch_nr_multiplexed(seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, "read")));
    assert_false(arch_nr_multiplexed(seccomp_syscall_resolve_name_arch(SCMP_ARCH_AARCH64, "open")));
    assert_true(arch_token_wide(SCMP_ARCH_X86_64));
    assert_true(arch_token_wide(SCMP_ARCH_AARCH64));
    assert_false(arch_token_wide(SCMP_ARCH_X86));
    assert_false(arch_token_wide(SCMP_ARCH_ARM));
    assert_false(arch_token_wide(SCMP_ARCH_X32));
    assert_false(arch_token_wide(SCMP_ARCH_MIPS64N32));
    assert_true(arch_token_low_halves(SCMP_ARCH_X32));
    assert_true(arch_token_low_halves(SCMP_ARCH_MIPSEL64N32));
    assert_false(arch_token_low_halves(SCMP_ARCH_X86));
    assert_false(arch_token_low_halves(SCMP_ARCH_X86_64));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads),           cmocka_unit_test(test_program),
        cmocka_unit_test(test_malformed),       cmocka_unit_test(test_anchored),
        cmocka_unit_test(test_default_checked), cmocka_unit_test(test_paths),
        cmocka_unit_test(test_search_cut),      cmocka_unit_test(test_numbers_checked),
        cmocka_unit_test(test_paths_range),     cmocka_unit_test(test_allowed_always),
        cmocka_unit_test(test_arch_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
