/* test_proof.c - strict decoding and libseccomp build of OCI LinuxSeccomp profiles.
 *
 * The tables hold profiles written with single quotes for readability; dq() turns them
 * into JSON. Each row is its own cmocka test, named after the row.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "engine/arch.h"
#include "engine/proof.h"

struct valid_case {
    const char *name;
    const char *json; /* single-quoted */
};

struct invalid_case {
    const char *name;
    const char *json; /* single-quoted */
    int code;         /* the negative errno expected */
    const char *msg;  /* a part of the message expected */
};

/* Returns a copy of s with every ' replaced by ". */
static char *dq(const char *s)
{
    char *out = strdup(s);
    assert_non_null(out);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

/* One memory of syscall numbers for every case, as a proof worker keeps one for every profile
 * it proves (engine/nr_memo.h): most answers come from it. */
static struct nr_memo *shared_memo;

/* proof_profile() on a single-quoted profile; and the same proof with the shared memory of
 * syscall numbers, which must come to the same verdict and message. */
static int profile_sq(const char *sq, struct kerr *err)
{
    char *json = dq(sq);
    int r = proof_profile(json, strlen(json), err);
    struct kerr merr = {0};
    struct proof_keep keep;
    if (!shared_memo)
        shared_memo = nr_memo_new();
    assert_non_null(shared_memo);
    int mr = proof_profile_keep(json, strlen(json), 0, shared_memo, &keep, &merr);
    proof_keep_free(&keep);
    free(json);
    if (mr != r || (err && strcmp(merr.msg, err->msg) != 0))
        fail_msg("with the memory of syscall numbers: %d \"%s\", without: %d \"%s\"", mr, merr.msg,
                 r, err ? err->msg : "");
    return r;
}

static int build_sq(const char *sq, scmp_filter_ctx *ret, struct kerr *err)
{
    char *json = dq(sq);
    int r = proof_build(json, strlen(json), ret, err);
    free(json);
    return r;
}

/* As agent/engine/proof.c declares it: absent from Debian's 2.5.4 shared library, which this
 * test links unless it is built on the libseccomp of deps/build.sh. */
extern int seccomp_export_bpf_mem(const scmp_filter_ctx ctx, void *buf, size_t *len)
    __attribute__((weak));

#define ARCH3 "'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32']"

static const struct valid_case valid_cases[] = {
    {"allow-list",
     "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1," ARCH3 ",'syscalls':["
     "{'names':['exit','exit_group','read','rt_sigreturn','write'],'action':'SCMP_ACT_ALLOW'}]}"},
    {"block-list", "{'defaultAction':'SCMP_ACT_ALLOW'," ARCH3 ",'syscalls':["
                   "{'names':['mkdir','mkdirat'],'action':'SCMP_ACT_ERRNO','errnoRet':13},"
                   "{'names':['reboot'],'action':'SCMP_ACT_KILL_PROCESS'}]}"},
    {"args", "{'defaultAction':'SCMP_ACT_ERRNO','syscalls':["
             "{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':["
             "{'index':0,'value':0,'op':'SCMP_CMP_EQ'}]},"
             "{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':["
             "{'index':0,'value':4294967295,'valueTwo':0,'op':'SCMP_CMP_EQ'}]},"
             "{'names':['clone'],'action':'SCMP_ACT_ALLOW','args':["
             "{'index':0,'value':2114060288,'valueTwo':0,'op':'SCMP_CMP_MASKED_EQ'}]},"
             "{'names':['socket'],'action':'SCMP_ACT_ALLOW','args':["
             "{'index':0,'value':40,'op':'SCMP_CMP_NE'},{'index':1,'value':3,'op':'SCMP_CMP_LT'},"
             "{'index':2,'value':1,'op':'SCMP_CMP_LE'}]},"
             "{'names':['getpriority'],'action':'SCMP_ACT_ALLOW','args':["
             "{'index':5,'value':9223372036854775807,'op':'SCMP_CMP_GE'},"
             "{'index':4,'value':7,'op':'SCMP_CMP_GT'}]}]}"},
    {"aarch64 and arm",
     "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_AARCH64','SCMP_ARCH_ARM'],"
     "'syscalls':[{'names':['mkdirat','arm_fadvise64_64','socketcall'],'action':'SCMP_ACT_ERRNO'}]"
     "}"},
    {"every architecture spelling of one endianness",
     "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86',"
     "'SCMP_ARCH_X32','SCMP_ARCH_AARCH64','SCMP_ARCH_ARM','SCMP_ARCH_MIPSEL',"
     "'SCMP_ARCH_MIPSEL64','SCMP_ARCH_MIPSEL64N32','SCMP_ARCH_PPC64LE','SCMP_ARCH_RISCV64']}"},
    {"errnoRet on ERRNO and TRACE",
     "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,'syscalls':["
     "{'names':['read'],'action':'SCMP_ACT_ALLOW'},"
     "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':0},"
     "{'names':['rmdir'],'action':'SCMP_ACT_ERRNO','errnoRet':4094},"
     "{'names':['ptrace'],'action':'SCMP_ACT_TRACE','errnoRet':7},"
     "{'names':['uname'],'action':'SCMP_ACT_TRACE','errnoRet':65535}]}"},
    {"every action",
     "{'defaultAction':'SCMP_ACT_KILL','syscalls':["
     "{'names':['read'],'action':'SCMP_ACT_ALLOW'},{'names':['write'],'action':'SCMP_ACT_LOG'},"
     "{'names':['open'],'action':'SCMP_ACT_ERRNO'},{'names':['close'],'action':'SCMP_ACT_TRAP'},"
     "{'names':['stat'],'action':'SCMP_ACT_TRACE'},"
     "{'names':['fstat'],'action':'SCMP_ACT_KILL_PROCESS'},"
     "{'names':['lstat'],'action':'SCMP_ACT_KILL_THREAD'}]}"},
    {"a name missing from the native architecture is skipped",
     "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64'],'syscalls':["
     "{'names':['socketcall','arm_fadvise64_64','mkdir'],'action':'SCMP_ACT_ERRNO'}]}"},
    {"a rule with the default action is skipped",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ALLOW'},"
     "{'names':['mkdir'],'action':'SCMP_ACT_ALLOW','args':[{'index':1,'value':0,'op':'SCMP_CMP_EQ'}"
     "]}"
     "]}"},
    {"ERRNO rule with another errno than the default ERRNO",
     "{'defaultAction':'SCMP_ACT_ERRNO','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'errnoRet':13}]}"},
    {"an argument compared twice becomes one rule per comparison",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['personality'],"
     "'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,'op':'SCMP_CMP_EQ'},"
     "{'index':0,'value':2,'op':'SCMP_CMP_EQ'}]}]}"},
    {"flags and listener fields",
     "{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_TSYNC',"
     "'SECCOMP_FILTER_FLAG_LOG','SECCOMP_FILTER_FLAG_SPEC_ALLOW'],'listenerPath':'/run/x.sock',"
     "'listenerMetadata':'meta'}"},
    {"no syscalls", "{'defaultAction':'SCMP_ACT_ERRNO'}"},
    {"empty syscalls and arrays",
     "{'defaultAction':'SCMP_ACT_ALLOW','architectures':[],'flags':[],'syscalls':[]}"},
    {"empty args", "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],"
                   "'action':'SCMP_ACT_ERRNO','args':[]}]}"},
    {"same rule twice", "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                        "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO'},"
                        "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO'}]}"},
    /* libseccomp takes it, and silently drops the conditional rule: the unconditional one
     * decides, whichever comes first. */
    /* libseccomp lets the unconditional rule decide: here it is the stricter one. */
    {"unconditional and conditional rule on one syscall",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
     "{'names':['personality'],'action':'SCMP_ACT_KILL'},"
     "{'names':['personality'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':8,"
     "'op':'SCMP_CMP_EQ'}]}]}"},
    /* Overlapping rules libseccomp 2.5.4 builds right: disjoint conditions, a range among
     * them (Docker's socket rules), and two ranges of one action on different arguments. */
    {"disjoint range and equality rules",
     "{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86',"
     "'SCMP_ARCH_X32'],'syscalls':["
     "{'names':['socket'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':3,"
     "'op':'SCMP_CMP_LT'}]},"
     "{'names':['socket'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':16,"
     "'op':'SCMP_CMP_EQ'}]},"
     "{'names':['socket'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':17,"
     "'op':'SCMP_CMP_EQ'},{'index':2,'value':9,'op':'SCMP_CMP_EQ'}]}]}"},
    /* The socket calls on 32-bit x86: their own numbers (socket is 359) are checked with the
     * conditions, socketcall (which cannot see them) not at all. */
    {"socket calls on x86 with conditions",
     "{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_X86'],'syscalls':["
     "{'names':['socket'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':40,"
     "'op':'SCMP_CMP_NE'}]},"
     "{'names':['bind','connect','recvmmsg','shmget'],'action':'SCMP_ACT_ALLOW'}]}"},
    /* arm's own calls are numbered far above the others (cacheflush is 0xf0002). */
    {"aarch64 and arm, with arm's own calls",
     "{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_AARCH64','SCMP_ARCH_ARM'],"
     "'syscalls':[{'names':['cacheflush','set_tls','breakpoint','read','socketcall','shmget'],"
     "'action':'SCMP_ACT_ALLOW'},{'names':['socket'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,"
     "'value':40,'op':'SCMP_CMP_NE'}]}]}"},
    /* A value above 32 bits that never holds on the 32-bit architecture: stricter there. */
    {"wide value on a 32-bit architecture, stricter",
     "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86'],'syscalls':["
     "{'names':['personality'],'action':'SCMP_ACT_KILL','args':[{'index':0,"
     "'value':4294967300,'op':'SCMP_CMP_EQ'}]}]}"},
    {"JSON whitespace and key order", "\n {\n 'syscalls' : [ ] ,\t'defaultAction' : "
                                      "'SCMP_ACT_ALLOW' }\n"},
};

static const struct invalid_case invalid_cases[] = {
    /* The program libseccomp builds is looser than the profile (engine/bpf_check.h). */
    {"two overlapping ranges, one rule lost",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
     "{'names':['personality'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':0,'value':16,"
     "'op':'SCMP_CMP_LT'}]},"
     "{'names':['personality'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':0,"
     "'value':4294967296,'op':'SCMP_CMP_LT'}]}]}",
     -EPROTO,
     "libseccomp built a filter looser than the profile: \"personality\" on SCMP_ARCH_X86_64 "
     "called with arguments (0x10, 0, 0, 0, 0, 0) gets SCMP_ACT_ALLOW where the profile "
     "says SCMP_ACT_KILL_PROCESS (libseccomp 2.5 builds a looser program"},
    {"two-condition rule after a range on its argument, lost",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
     "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','args':[{'index':1,'value':16,"
     "'op':'SCMP_CMP_GT'}]},"
     "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','args':[{'index':1,'value':0,"
     "'op':'SCMP_CMP_GT'},{'index':3,'value':16,'op':'SCMP_CMP_EQ'}]}]}",
     -EPROTO, "\"mkdir\" on SCMP_ARCH_X86_64 called with arguments (0, 0x10, 0, 0x10, 0, 0)"},
    /* libseccomp 2.5.4 compares a5's high half with a1's (a path the sampled calls missed;
     * the paths of the program find it). */
    {"a range rule on a5 after inequalities on a1, lost",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
     "{'names':['read'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':1,"
     "'value':4294967297,'op':'SCMP_CMP_NE'}]},"
     "{'names':['read'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':1,"
     "'value':4294967298,'op':'SCMP_CMP_NE'},{'index':5,'value':16,'op':'SCMP_CMP_LE'}]},"
     "{'names':['read'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':0,'value':16,"
     "'op':'SCMP_CMP_EQ'}]}],'architectures':['SCMP_ARCH_X86_64']}",
     -EPROTO, "looser than the profile: \"read\" on SCMP_ARCH_X86_64"},
    {"a two-condition rule and a range on its first argument, lost",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
     "{'names':['ptrace'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':0,'value':8,"
     "'op':'SCMP_CMP_GT'}]},"
     "{'names':['ptrace'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':1,'value':8,"
     "'op':'SCMP_CMP_EQ'},{'index':0,'value':1,'op':'SCMP_CMP_GE'}]}]}",
     -EPROTO, "looser than the profile: \"ptrace\" on SCMP_ARCH_X86_64"},
    /* Found by the BPF-level property test (test_bpf_agrees, seed 3): calls sampled from the
     * conditions (every pair of arguments) pass it; the paths of the program do not. */
    {"three deny rules under a Kill default, one widened",
     "{'defaultAction':'SCMP_ACT_KILL_PROCESS','architectures':['SCMP_ARCH_X86_64',"
     "'SCMP_ARCH_X86','SCMP_ARCH_X32'],'syscalls':["
     "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':1,'args':[{'index':1,'value':255,"
     "'valueTwo':0,'op':'SCMP_CMP_EQ'}]},"
     "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':1,'args':[{'index':0,'value':1,"
     "'valueTwo':0,'op':'SCMP_CMP_GE'},{'index':5,'value':16,'valueTwo':0,'op':'SCMP_CMP_LE'}]},"
     "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO','errnoRet':1,'args':[{'index':3,"
     "'value':9223372034707292160,'valueTwo':0,'op':'SCMP_CMP_LT'},{'index':0,'value':16,"
     "'valueTwo':0,'op':'SCMP_CMP_GT'}]}]}",
     -EPROTO,
     "\"mkdir\" on SCMP_ARCH_X86_64 called with arguments (0x1, 0, 0, 0x7fffffff00000000, "
     "0, 0x100000000) gets SCMP_ACT_ERRNO(1) where the profile says SCMP_ACT_KILL_PROCESS"},
    /* From a review: the path that skips five equalities on a1 excludes more values than the
     * walk records, so a call picked from its box took another path; such a path is sampled. */
    {"a path past more excluded values than recorded",
     "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64'],'syscalls':["
     "{'names':['mkdir'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':1,'value':1,"
     "'op':'SCMP_CMP_EQ'}]},"
     "{'names':['mkdir'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':1,'value':13,"
     "'op':'SCMP_CMP_EQ'}]},"
     "{'names':['mkdir'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':1,'value':14,"
     "'op':'SCMP_CMP_EQ'}]},"
     "{'names':['mkdir'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':1,'value':15,"
     "'op':'SCMP_CMP_EQ'}]},"
     "{'names':['mkdir'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':1,'value':16,"
     "'op':'SCMP_CMP_EQ'}]},"
     "{'names':['mkdir'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':1,'value':16,"
     "'op':'SCMP_CMP_GT'}]},"
     "{'names':['mkdir'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':1,'value':0,"
     "'op':'SCMP_CMP_GT'},{'index':3,'value':16,'op':'SCMP_CMP_EQ'}]}]}",
     -EPROTO,
     "\"mkdir\" on SCMP_ARCH_X86_64 called with arguments (0, 0x2, 0, 0x10, 0, 0) gets "
     "SCMP_ACT_ALLOW"},
    /* From a review: a mask and a bound on one argument (0x130 meets both). */
    {"a mask and a bound",
     "{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_X86_64'],'syscalls':["
     "{'names':['personality'],'action':'SCMP_ACT_ERRNO','errnoRet':2,'args':[{'index':0,"
     "'value':511,'op':'SCMP_CMP_GT'}]},"
     "{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':256,"
     "'op':'SCMP_CMP_GE'}]},"
     "{'names':['personality'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':240,"
     "'valueTwo':48,'op':'SCMP_CMP_MASKED_EQ'}]}]}",
     -EPROTO,
     "\"personality\" on SCMP_ARCH_X86_64 called with arguments (0x130, 0, 0, 0, 0, 0) "
     "gets SCMP_ACT_ALLOW where the profile says SCMP_ACT_ERRNO(1)"},
    /* x32 passes 64-bit registers, libseccomp compares their low halves. */
    {"a value above 32 bits on x32",
     "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X32'],"
     "'syscalls':[{'names':['mmap'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':1,"
     "'value':8589934592,'op':'SCMP_CMP_GT'}]}]}",
     -EPROTO,
     "\"mmap\" on SCMP_ARCH_X32: a condition on argument 1 compares a value above 32 "
     "bits (0x200000000) (on a 32-bit architecture, x32 and MIPS n32 included"},
    {"unconditional rule looser than a conditional one",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
     "{'names':['personality'],'action':'SCMP_ACT_ERRNO'},"
     "{'names':['personality'],'action':'SCMP_ACT_KILL','args':[{'index':0,'value':8,"
     "'op':'SCMP_CMP_EQ'}]}]}",
     -EPROTO,
     "arguments (0x8, 0, 0, 0, 0, 0) gets SCMP_ACT_ERRNO(1) where the profile says "
     "SCMP_ACT_KILL_THREAD"},
    {"a rule with the default action, left out by the runtime",
     "{'defaultAction':'SCMP_ACT_ERRNO','syscalls':["
     "{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':10,"
     "'op':'SCMP_CMP_LT'}]},"
     "{'names':['personality'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':5,"
     "'op':'SCMP_CMP_LT'}]}]}",
     -EPROTO, "(a runtime leaves out a rule whose action is the default action"},
    {"wide value on a 32-bit architecture, looser",
     "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86'],'syscalls':["
     "{'names':['personality'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':0,"
     "'value':4294967296,'op':'SCMP_CMP_LT'}]}]}",
     -EPROTO,
     "\"personality\" on SCMP_ARCH_X86 called with arguments (0, 0, 0, 0, 0, 0) gets "
     "SCMP_ACT_ALLOW where the profile says SCMP_ACT_KILL_PROCESS (on a 32-bit"},
    {"malformed JSON", "{'defaultAction':", -EINVAL, "invalid JSON at line 1"},
    {"trailing garbage", "{'defaultAction':'SCMP_ACT_ALLOW'} x", -EINVAL, "invalid JSON"},
    {"duplicate key", "{'defaultAction':'SCMP_ACT_ALLOW','defaultAction':'SCMP_ACT_ERRNO'}",
     -EINVAL, "duplicate"},
    {"NUL in a string", "{'defaultAction':'SCMP_ACT_ALLOW\\u0000'}", -EINVAL, "invalid JSON"},
    {"value over 2^63-1 (jansson's integer)",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'index':0,'value':18446744073709551615,'op':'SCMP_CMP_EQ'}]}]}",
     -EINVAL, "invalid JSON"},
    {"not an object", "['SCMP_ACT_ALLOW']", -EINVAL, "must be a JSON object"},
    {"empty input", "", -EINVAL, "invalid JSON"},
    {"unknown top-level key", "{'defaultAction':'SCMP_ACT_ALLOW','archMap':[]}", -EINVAL,
     "unknown key \"archMap\""},
    {"missing defaultAction", "{'syscalls':[]}", -EINVAL, "defaultAction: missing"},
    {"defaultAction not a string", "{'defaultAction':1}", -EINVAL,
     "defaultAction: must be a string"},
    {"unknown defaultAction", "{'defaultAction':'SCMP_ACT_FOO'}", -EINVAL,
     "defaultAction: unknown action \"SCMP_ACT_FOO\""},
    {"policy spelling is not OCI", "{'defaultAction':'Block'}", -EINVAL,
     "defaultAction: unknown action \"Block\""},
    {"lower-case action", "{'defaultAction':'scmp_act_allow'}", -EINVAL, "unknown action"},
    {"notify", "{'defaultAction':'SCMP_ACT_NOTIFY'}", -EOPNOTSUPP,
     "defaultAction: unsupported action \"SCMP_ACT_NOTIFY\""},
    {"defaultErrnoRet with ALLOW", "{'defaultAction':'SCMP_ACT_ALLOW','defaultErrnoRet':1}",
     -EINVAL, "defaultErrnoRet: not allowed with action \"SCMP_ACT_ALLOW\""},
    {"defaultErrnoRet not an integer", "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':'1'}",
     -EINVAL, "defaultErrnoRet: must be an integer"},
    {"defaultErrnoRet too large", "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':4095}",
     -ERANGE, "defaultErrnoRet: 4095 is out of range [0, 4094]"},
    {"architectures not an array", "{'defaultAction':'SCMP_ACT_ALLOW','architectures':'x86_64'}",
     -EINVAL, "architectures: must be an array of strings"},
    {"architecture not a string", "{'defaultAction':'SCMP_ACT_ALLOW','architectures':[1]}", -EINVAL,
     "architectures[0]: must be a string"},
    {"unknown architecture",
     "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_FOO']}",
     -EINVAL, "architectures[1]: unknown architecture \"SCMP_ARCH_FOO\""},
    {"architecture without prefix", "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['x86_64']}",
     -EINVAL, "architectures[0]: unknown architecture \"x86_64\""},
    {"architecture of another endianness",
     "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_S390X']}", -EDOM,
     "architectures[0]: libseccomp cannot add \"SCMP_ARCH_S390X\""},
    {"flags not an array", "{'defaultAction':'SCMP_ACT_ALLOW','flags':'SECCOMP_FILTER_FLAG_LOG'}",
     -EINVAL, "flags: must be an array of strings"},
    {"unknown flag", "{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_FOO']}",
     -EINVAL, "flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\""},
    {"listenerPath not a string", "{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':1}", -EINVAL,
     "listenerPath: must be a string"},
    {"syscalls not an array", "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':{}}", -EINVAL,
     "syscalls: must be an array"},
    {"syscall block not an object", "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':['mkdir']}",
     -EINVAL, "syscalls[0]: must be an object"},
    {"Docker-only key in a block",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'comment':'x'}]}",
     -EINVAL, "syscalls[0]: unknown key \"comment\""},
    {"names missing", "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'action':'SCMP_ACT_ERRNO'}]}",
     -EINVAL, "syscalls[0].names: missing"},
    {"empty names",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'SCMP_ACT_ERRNO'}]}",
     -EINVAL, "syscalls[0].names: must be a non-empty array of strings"},
    {"names a string",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':'mkdir','action':'SCMP_ACT_ERRNO'}]}",
     -EINVAL, "syscalls[0].names: must be a non-empty array of strings"},
    {"name not a string",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir',83],"
     "'action':'SCMP_ACT_ERRNO'}]}",
     -EINVAL, "syscalls[0].names[1]: must be a string"},
    {"unknown syscall",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['rmdir'],'action':'SCMP_ACT_ERRNO'},"
     "{'names':['mkdir','mkdirr'],'action':'SCMP_ACT_ERRNO'}]}",
     -EINVAL, "syscalls[1].names[1]: unknown syscall \"mkdirr\""},
    {"unknown syscall in a rule with the default action",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdirr'],'action':'SCMP_ACT_ALLOW'}]"
     "}",
     -EINVAL, "syscalls[0].names[0]: unknown syscall \"mkdirr\""},
    {"action missing", "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir']}]}",
     -EINVAL, "syscalls[0].action: missing"},
    {"unknown action",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO'},"
     "{'names':['rmdir'],'action':'SCMP_ACT_BLOCK'}]}",
     -EINVAL, "syscalls[1].action: unknown action \"SCMP_ACT_BLOCK\""},
    {"errnoRet out of range",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'errnoRet':5000}]}",
     -ERANGE, "syscalls[0].errnoRet: 5000 is out of range [0, 4094]"},
    {"TRACE message out of range",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_TRACE',"
     "'errnoRet':65536}]}",
     -ERANGE, "syscalls[0].errnoRet: 65536 is out of range [0, 65535]"},
    {"errnoRet negative",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'errnoRet':-1}]}",
     -ERANGE, "syscalls[0].errnoRet: -1 is out of range"},
    {"errnoRet with KILL",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_KILL',"
     "'errnoRet':1}]}",
     -EINVAL, "syscalls[0].errnoRet: not allowed with action \"SCMP_ACT_KILL\""},
    {"args not an array",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':{}}]}",
     -EINVAL, "syscalls[0].args: must be an array"},
    {"arg not an object",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[0]}]}",
     -EINVAL, "syscalls[0].args[0]: must be an object"},
    {"unknown arg key",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'index':0,'value':1,'valuetwo':2,'op':'SCMP_CMP_EQ'}]}]}",
     -EINVAL, "syscalls[0].args[0]: unknown key \"valuetwo\""},
    {"args index 6",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'index':0,'value':1,'op':'SCMP_CMP_EQ'},{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]"
     "}",
     -ERANGE, "syscalls[0].args[1].index: 6 is out of range [0, 5]"},
    {"args index missing",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'value':1,'op':'SCMP_CMP_EQ'}]}]}",
     -EINVAL, "syscalls[0].args[0].index: missing"},
    {"args index a string",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'index':'0','value':1,'op':'SCMP_CMP_EQ'}]}]}",
     -EINVAL, "syscalls[0].args[0].index: must be an integer"},
    {"args value missing",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'index':0,'op':'SCMP_CMP_EQ'}]}]}",
     -EINVAL, "syscalls[0].args[0].value: missing"},
    {"args value negative",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'index':0,'value':-1,'op':'SCMP_CMP_EQ'}]}]}",
     -ERANGE, "syscalls[0].args[0].value: -1 is out of range"},
    {"args value a real",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'index':0,'value':1.5,'op':'SCMP_CMP_EQ'}]}]}",
     -EINVAL, "syscalls[0].args[0].value: must be an integer"},
    {"args valueTwo a string",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'index':0,'value':1,'valueTwo':'1','op':'SCMP_CMP_MASKED_EQ'}]}]}",
     -EINVAL, "syscalls[0].args[0].valueTwo: must be an integer"},
    {"unknown operator",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
     "{'names':['read'],'action':'SCMP_ACT_ALLOW'},{'names':['write'],'action':'SCMP_ACT_ALLOW'},"
     "{'names':['close'],'action':'SCMP_ACT_ALLOW'},"
     "{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'index':0,'value':1,'op':'SCMP_CMP_FOO'}]}]}",
     -EINVAL, "syscalls[3].args[0].op: unknown operator \"SCMP_CMP_FOO\""},
    {"operator without prefix",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'index':0,'value':1,'op':'EQ'}]}]}",
     -EINVAL, "syscalls[0].args[0].op: unknown operator \"EQ\""},
    {"operator missing",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO',"
     "'args':[{'index':0,'value':1}]}]}",
     -EINVAL, "syscalls[0].args[0].op: missing"},
    {"same conditions, another action",
     "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
     "{'names':['personality'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':8,"
     "'op':'SCMP_CMP_EQ'}]},"
     "{'names':['personality'],'action':'SCMP_ACT_KILL','args':[{'index':0,'value':8,"
     "'op':'SCMP_CMP_EQ'}]}]}",
     -EEXIST, "syscalls[1]: \"personality\": libseccomp refuses the rule"},
};

/* The tests free before they assert: a failed assertion leaves by longjmp, past cleanups. */
static void test_valid(void **state)
{
    const struct valid_case *c = *state;
    struct kerr err = {0};
    int r = profile_sq(c->json, &err);
    if (r != 0)
        fail_msg("%s: expected success, got %d: %s", c->name, r, err.msg);
}

static void test_invalid(void **state)
{
    const struct invalid_case *c = *state;
    struct kerr err = {0};
    int r = profile_sq(c->json, &err);
    if (r != c->code)
        fail_msg("%s: expected %d, got %d: %s", c->name, c->code, r, err.msg);
    assert_int_equal(err.code, c->code);
    if (!strstr(err.msg, c->msg))
        fail_msg("%s: message \"%s\" lacks \"%s\"", c->name, err.msg, c->msg);
    assert_null(strchr(err.msg, '\n'));
}

static void test_build_returns_filter(void **state)
{
    struct kerr err = {0};
    scmp_filter_ctx ctx = NULL;
    assert_int_equal(build_sq("{'defaultAction':'SCMP_ACT_ALLOW','architectures':["
                              "'SCMP_ARCH_AARCH64','SCMP_ARCH_ARM'],'syscalls':[{'names':"
                              "['mkdirat'],'action':'SCMP_ACT_ERRNO'}]}",
                              &ctx, &err),
                     0);
    assert_non_null(ctx);
    assert_int_equal(seccomp_arch_exist(ctx, SCMP_ARCH_AARCH64), 0);
    assert_int_equal(seccomp_arch_exist(ctx, SCMP_ARCH_ARM), 0);
    assert_int_equal(seccomp_arch_exist(ctx, SCMP_ARCH_NATIVE), 0);
    seccomp_release(ctx);
}

static void test_build_leaves_ret_on_error(void **state)
{
    scmp_filter_ctx ctx = (scmp_filter_ctx)&ctx;
    assert_int_equal(build_sq("{'defaultAction':'SCMP_ACT_NOPE'}", &ctx, NULL), -EINVAL);
    assert_ptr_equal(ctx, (scmp_filter_ctx)&ctx);
}

static void test_null_err(void **state)
{
    assert_int_equal(profile_sq("{'defaultAction':'SCMP_ACT_ALLOW','bogus':1}", NULL), -EINVAL);
}

/* The length is given, not found by a NUL: bytes after len are not read. */
static void test_length_bounds_input(void **state)
{
    const char *json = "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}garbage";
    assert_int_equal(proof_profile(json, strlen(json) - strlen("garbage"), NULL), 0);
}

/* A program longer than the kernel's 4096 instructions is refused before it is loaded. */
static void test_program_too_long(void **state)
{
    size_t cap = 256 * 1024, len = 0;
    char *json = malloc(cap);
    assert_non_null(json);
    len += (size_t)snprintf(json + len, cap - len,
                            "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[");
    for (int v = 0; v < 200; v++) {
        len += (size_t)snprintf(json + len, cap - len,
                                "%s{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ALLOW\","
                                "\"args\":[",
                                v ? "," : "");
        for (int k = 0; k < 6; k++)
            len += (size_t)snprintf(json + len, cap - len,
                                    "%s{\"index\":%d,\"value\":%d,\"op\":\"SCMP_CMP_EQ\"}",
                                    k ? "," : "", k, v * 10 + k);
        len += (size_t)snprintf(json + len, cap - len, "]}");
    }
    len += (size_t)snprintf(json + len, cap - len, "]}");
    assert_true(len < cap);

    struct kerr err = {0};
    int r = proof_profile(json, len, &err);
    free(json);
    assert_int_equal(r, -E2BIG);
    assert_non_null(strstr(err.msg, "more than the kernel's limit of 4096"));
}

/* The program seccomp_export_bpf() writes to a memory file, and its length. */
static unsigned char *export_fd(scmp_filter_ctx ctx, size_t *len)
{
    int fd = memfd_create("test-proof", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
    off_t end = lseek(fd, 0, SEEK_END);
    assert_true(end > 0);
    unsigned char *buf = malloc((size_t)end);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)end, 0), end);
    close(fd);
    *len = (size_t)end;
    return buf;
}

/* seccomp_export_bpf_mem() (deps/patches/libseccomp-faster-export.patch, item 15; upstream's
 * since 2.6.0) gives the program seccomp_export_bpf() writes, byte for byte: with a NULL buffer
 * it only says the length, a buffer too small gets nothing (-ERANGE, and the length), a larger
 * one the program and nothing past it. Skipped on a libseccomp without it. */
static void test_export_mem(void **state)
{
    if (!seccomp_export_bpf_mem)
        skip();
    static const char *const profiles[] = {
        "{'defaultAction':'SCMP_ACT_ALLOW'}",
        "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1," ARCH3 ",'syscalls':["
        "{'names':['exit','exit_group','read','rt_sigreturn','write','socket','accept4',"
        "'shmget'],'action':'SCMP_ACT_ALLOW'},"
        "{'names':['personality'],'action':'SCMP_ACT_ALLOW','args':["
        "{'index':0,'value':8,'op':'SCMP_CMP_EQ'}]},"
        "{'names':['clone'],'action':'SCMP_ACT_ALLOW','args':["
        "{'index':0,'value':2114060288,'valueTwo':0,'op':'SCMP_CMP_MASKED_EQ'}]}]}",
        "{'defaultAction':'SCMP_ACT_KILL_PROCESS','architectures':['SCMP_ARCH_AARCH64',"
        "'SCMP_ARCH_ARM'],'syscalls':[{'names':['mkdirat','read','write'],"
        "'action':'SCMP_ACT_ALLOW'},{'names':['reboot'],'action':'SCMP_ACT_ERRNO',"
        "'errnoRet':1}]}",
    };
    for (size_t i = 0; i < ELEMENTSOF(profiles); i++) {
        struct kerr err = {0};
        scmp_filter_ctx ctx = NULL;
        if (build_sq(profiles[i], &ctx, &err) != 0)
            fail_msg("profile %zu: %s", i, err.msg);
        size_t flen;
        _cleanup_free_ unsigned char *want = export_fd(ctx, &flen);
        assert_int_equal(flen % 8, 0);

        size_t len = 12345;
        assert_int_equal(seccomp_export_bpf_mem(ctx, NULL, &len), 0);
        assert_int_equal(len, flen);

        size_t cap = flen + 64;
        _cleanup_free_ unsigned char *got = malloc(cap);
        assert_non_null(got);
        memset(got, 0xa5, cap);
        len = flen;
        assert_int_equal(seccomp_export_bpf_mem(ctx, got, &len), 0);
        assert_int_equal(len, flen);
        assert_memory_equal(got, want, flen);

        memset(got, 0xa5, cap);
        len = cap;
        assert_int_equal(seccomp_export_bpf_mem(ctx, got, &len), 0);
        assert_int_equal(len, flen);
        assert_memory_equal(got, want, flen);
        for (size_t k = flen; k < cap; k++)
            assert_int_equal(got[k], 0xa5);

        memset(got, 0xa5, cap);
        len = flen - 1;
        assert_int_equal(seccomp_export_bpf_mem(ctx, got, &len), -ERANGE);
        assert_int_equal(len, flen);
        len = 0;
        assert_int_equal(seccomp_export_bpf_mem(ctx, got, &len), -ERANGE);
        assert_int_equal(len, flen);
        for (size_t k = 0; k < cap; k++)
            assert_int_equal(got[k], 0xa5);

        assert_int_equal(seccomp_export_bpf_mem(ctx, got, NULL), -EINVAL);
        assert_int_equal(seccomp_export_bpf_mem(NULL, NULL, &len), -EINVAL);
        seccomp_release(ctx);
    }
}

/* Runs syscall(getpriority, a0, a1) under the filter in a child: the errno it fails with,
 * 0 on success. */
static int errno_under_filter(scmp_filter_ctx ctx, long a0, long a1)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0)
            _exit(255);
        long r = syscall(SYS_getpriority, a0, a1);
        _exit(r >= 0 ? 0 : errno & 0xff);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_not_equal(WEXITSTATUS(status), 255);
    return WEXITSTATUS(status);
}

/* The decoded values reach the kernel as OCI means them: errnoRet, value as the mask and
 * valueTwo as the datum of MASKED_EQ, one rule per comparison of a repeated argument. */
static void test_enforced_semantics(void **state)
{
    struct kerr err = {0};
    scmp_filter_ctx ctx = NULL;
    int r = build_sq("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                     "{'names':['getpriority'],'action':'SCMP_ACT_ERRNO','errnoRet':33,'args':["
                     "{'index':0,'value':1,'op':'SCMP_CMP_EQ'},"
                     "{'index':1,'value':65280,'valueTwo':256,'op':'SCMP_CMP_MASKED_EQ'}]},"
                     "{'names':['getpriority'],'action':'SCMP_ACT_ERRNO','args':["
                     "{'index':0,'value':2,'op':'SCMP_CMP_EQ'},"
                     "{'index':0,'value':2,'op':'SCMP_CMP_GE'}]}]}",
                     &ctx, &err);
    if (r < 0)
        fail_msg("build: %s", err.msg);

    /* PRIO_PGRP (1) with who & 0xff00 == 0x100: the first rule. */
    assert_int_equal(errno_under_filter(ctx, 1, 0x1ff), 33);
    assert_int_equal(errno_under_filter(ctx, 1, 0x100), 33);
    /* who & 0xff00 != 0x100: allowed (the kernel then says ESRCH or succeeds). */
    assert_int_not_equal(errno_under_filter(ctx, 1, 0x200), 33);
    /* PRIO_PROCESS (0), self: allowed. */
    assert_int_equal(errno_under_filter(ctx, 0, 0), 0);
    /* which >= 2 (split into "== 2" or ">= 2"): EPERM, the default errno of a rule. */
    assert_int_equal(errno_under_filter(ctx, 2, 0), EPERM);
    assert_int_equal(errno_under_filter(ctx, 7, 0), EPERM);
    seccomp_release(ctx);
}

/* Proven as another node's runtime builds the filter (kscmp compile --arch): on another
 * little-endian node the filter starts with that node's architecture, not this machine's (the
 * lost rule is found on aarch64, and a profile of every aarch64 syscall, whose program has
 * long jumps, is proven); a node of the other byte order is not proven here (-EXDEV:
 * libseccomp 2.5.4 writes the returns it copies for long jumps in this machine's byte order there,
 * so a large profile's program would read as looser), nor built with this machine's architecture.
 */
static void test_other_node(void **state)
{
    (void)state;
    static const char lost[] =
        "{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_AARCH64'],'syscalls':["
        "{'names':['personality'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':0,"
        "'value':16,'op':'SCMP_CMP_LT'}]},"
        "{'names':['personality'],'action':'SCMP_ACT_KILL_PROCESS','args':[{'index':0,"
        "'value':4294967296,'op':'SCMP_CMP_LT'}]}]}";
    _cleanup_free_ char *json = dq(lost);
    struct kerr err = {0};
    assert_int_equal(proof_profile_node(json, strlen(json), SCMP_ARCH_AARCH64, &err), -EPROTO);
    assert_non_null(strstr(err.msg, "\"personality\" on SCMP_ARCH_AARCH64 called with arguments"));

    /* Every aarch64 syscall libseccomp knows below 1024 allowed, the rest ERRNO. */
    char big[16384];
    size_t off = (size_t)snprintf(big, sizeof(big),
                                  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":"
                                  "[\"SCMP_ARCH_AARCH64\"],\"syscalls\":[{\"names\":[");
    size_t named = 0;
    for (int nr = 0; nr < 1024; nr++) {
        _cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_AARCH64, nr);
        if (!name)
            continue;
        off += (size_t)snprintf(big + off, sizeof(big) - off, "%s\"%s\"", named ? "," : "", name);
        named++;
    }
    snprintf(big + off, sizeof(big) - off, "],\"action\":\"SCMP_ACT_ALLOW\"}]}");
    assert_true(named >= 280);
    int r = proof_profile_node(big, strlen(big), SCMP_ARCH_AARCH64, &err);
    if (r < 0)
        fail_msg("%s", err.msg);

    static const char s390x[] =
        "{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_S390X','SCMP_ARCH_S390'],"
        "'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'}]}";
    _cleanup_free_ char *be = dq(s390x);
    assert_int_equal(proof_profile_node(be, strlen(be), SCMP_ARCH_S390X, &err), -EXDEV);
    assert_non_null(strstr(err.msg, "a profile for SCMP_ARCH_S390X, of the other byte order"));
    assert_int_equal(proof_profile(be, strlen(be), &err), -EDOM);

    /* The names in messages: every architecture of the table by its token, others in hex. */
    char t[48];
    for (size_t i = 0; i < arch_count(); i++) {
        assert_int_equal(arch_by_token(arch_get(i)->token), (int)i);
        assert_string_equal(arch_token_text(arch_get(i)->token, t, sizeof(t)), arch_get(i)->oci);
    }
    assert_int_equal(arch_by_token(0x1234), -EINVAL);
    assert_string_equal(arch_token_text(0x1234, t, sizeof(t)), "architecture 0x00001234");
}

/* What libseccomp 2.5.4 (and so runc and crun) makes of overlapping rules on one syscall;
 * the merge engine must not emit them. Pinned here so that a libseccomp upgrade that
 * changes them shows up. getpriority(which, who): A0 is which, A1 is who. */
static void test_overlapping_rules(void **state)
{
    static const char *const uncond = "{'names':['getpriority'],'action':'SCMP_ACT_ERRNO'}";
    static const char *const cond33 = "{'names':['getpriority'],'action':'SCMP_ACT_ERRNO',"
                                      "'errnoRet':33,'args':[{'index':0,'value':1,"
                                      "'op':'SCMP_CMP_EQ'}]}";
    static const char *const cond34 = "{'names':['getpriority'],'action':'SCMP_ACT_ERRNO',"
                                      "'errnoRet':34,'args':[{'index':1,'value':0,"
                                      "'op':'SCMP_CMP_EQ'}]}";
    static const char *const uncond35 = "{'names':['getpriority'],'action':'SCMP_ACT_ERRNO',"
                                        "'errnoRet':35}";
    static const struct {
        const char *first, *second;
        long a0, a1;
        int expect;
    } rows[] = {
        /* An unconditional rule wins over a conditional one, in either order. */
        {uncond, cond33, 1, 0, EPERM},
        {cond33, uncond, 1, 0, EPERM},
        /* Two unconditional rules: the first one added wins. */
        {uncond35, uncond, 0, 0, 35},
        {uncond, uncond35, 0, 0, EPERM},
        /* Conditions on different arguments: the rule on the higher argument wins where
         * both match, in either order, whatever the actions. */
        {cond33, cond34, 1, 0, 34},
        {cond34, cond33, 1, 0, 34},
        {cond33, cond34, 1, 12345, 33},
        {cond33, cond34, 0, 0, 34},
    };
    for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
        char sq[1024];
        snprintf(sq, sizeof(sq), "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[%s,%s]}",
                 rows[i].first, rows[i].second);
        struct kerr err = {0};
        scmp_filter_ctx ctx = NULL;
        if (build_sq(sq, &ctx, &err) < 0)
            fail_msg("row %zu: %s", i, err.msg);
        int got = errno_under_filter(ctx, rows[i].a0, rows[i].a1);
        seccomp_release(ctx);
        if (got != rows[i].expect)
            fail_msg("row %zu: getpriority(%ld, %ld) failed with %d, expected %d", i, rows[i].a0,
                     rows[i].a1, got, rows[i].expect);
    }
}

int main(void)
{
    size_t nv = ELEMENTSOF(valid_cases), ni = ELEMENTSOF(invalid_cases);
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_build_returns_filter),
        cmocka_unit_test(test_build_leaves_ret_on_error),
        cmocka_unit_test(test_null_err),
        cmocka_unit_test(test_length_bounds_input),
        cmocka_unit_test(test_program_too_long),
        cmocka_unit_test(test_export_mem),
        cmocka_unit_test(test_enforced_semantics),
        cmocka_unit_test(test_overlapping_rules),
        cmocka_unit_test(test_other_node),
    };
    size_t n = nv + ni + ELEMENTSOF(fixed);
    _cleanup_free_ struct CMUnitTest *tests = calloc(n, sizeof(*tests));
    if (!tests)
        return 1;

    size_t k = 0;
    for (size_t i = 0; i < nv; i++)
        tests[k++] = (struct CMUnitTest){.name = valid_cases[i].name,
                                         .test_func = test_valid,
                                         .initial_state = (void *)&valid_cases[i]};
    for (size_t i = 0; i < ni; i++)
        tests[k++] = (struct CMUnitTest){.name = invalid_cases[i].name,
                                         .test_func = test_invalid,
                                         .initial_state = (void *)&invalid_cases[i]};
    for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
        tests[k++] = fixed[i];

    return _cmocka_run_group_tests("proof", tests, n, NULL, NULL);
}
