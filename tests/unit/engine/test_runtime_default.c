/* test_runtime_default.c - the runtime default profile: default action, names libseccomp knows,
 * size, known members and non-members, and the conditional rules (socket, personality,
 * clone, clone3) evaluated on sample arguments. */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/action.h"
#include "engine/runtime_default.h"
#include "sys_arg_eval.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ----------------------------------------------------------------------------- */

static bool rule_names(const struct runtime_default_rule *r, const char *name)
{
    for (const char *const *p = r->names; *p; p++)
        if (strcmp(*p, name) == 0)
            return true;
    return false;
}

/* Whether one argument condition holds for the value v of that argument. */
static bool arg_holds(const struct sys_arg *a, uint64_t v)
{
    bool ok = true;
    bool holds = sys_arg_holds(a, v, &ok);
    if (!ok)
        fail_msg("bad op %u", a->op);
    return holds;
}

/* The verdict the profile gives name called with args (6 values): the first matching rule's
 * action (rules for one name never disagree in this profile), else the default. Conditions
 * of one rule are ANDed, as in libseccomp. */
static struct verdict evaluate(const char *name, const uint64_t args[6])
{
    size_t n;
    const struct runtime_default_rule *rules = runtime_default_rules(&n);

    for (size_t i = 0; i < n; i++) {
        if (!rule_names(&rules[i], name))
            continue;
        bool all = true;
        for (uint8_t k = 0; k < rules[i].nargs; k++)
            all = all && arg_holds(&rules[i].args[k], args[rules[i].args[k].index]);
        if (all)
            return (struct verdict){.action = rules[i].action, .errno_ret = rules[i].errno_ret};
    }
    return runtime_default_default_action();
}

static struct verdict evaluate1(const char *name, uint64_t arg0)
{
    const uint64_t args[6] = {arg0};
    return evaluate(name, args);
}

/* How many rules name it; *ret_conditional counts those with argument conditions. */
static size_t count_rules(const char *name, size_t *ret_conditional)
{
    size_t n, count = 0, conditional = 0;
    const struct runtime_default_rule *rules = runtime_default_rules(&n);

    for (size_t i = 0; i < n; i++)
        if (rule_names(&rules[i], name)) {
            count++;
            if (rules[i].nargs > 0)
                conditional++;
        }
    if (ret_conditional)
        *ret_conditional = conditional;
    return count;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_default_action(void **state)
{
    struct verdict v = runtime_default_default_action();
    assert_int_equal(v.action, ACT_ERRNO);
    assert_int_equal(v.errno_ret, EPERM);
}

/* Each rule is well formed: names present, a valid action, errno only for ERRNO, at most 3
 * conditions on arguments 0..5 with valid operators. */
static void test_rules_well_formed(void **state)
{
    size_t n;
    const struct runtime_default_rule *rules = runtime_default_rules(&n);

    assert_non_null(rules);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(rules[i].names);
        assert_non_null(rules[i].names[0]);
        assert_true(rules[i].action < ACT__MAX);
        if (rules[i].action == ACT_ERRNO)
            assert_true(rules[i].errno_ret >= 1 && rules[i].errno_ret <= 4095);
        else
            assert_int_equal(rules[i].errno_ret, 0);
        assert_true(rules[i].nargs <= ARRAY_SIZE(rules[i].args));
        for (uint8_t k = 0; k < rules[i].nargs; k++) {
            assert_true(rules[i].args[k].index <= 5);
            assert_true(rules[i].args[k].op >= OP_NE && rules[i].args[k].op < OP__MAX);
        }
    }
}

/* Every name is known to libseccomp; a pseudo-number < -1 only means "not on x86_64". */
static void test_names_known(void **state)
{
    size_t n;
    const struct runtime_default_rule *rules = runtime_default_rules(&n);

    for (size_t i = 0; i < n; i++)
        for (const char *const *p = rules[i].names; *p; p++)
            if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, *p) == __NR_SCMP_ERROR)
                fail_msg("rule %zu: libseccomp does not know syscall %s", i, *p);
}

/* The unconditional rules name each syscall once, and a syscall with a conditional rule has
 * no unconditional one (which would make the condition pointless). */
static void test_no_overlap(void **state)
{
    size_t n;
    const struct runtime_default_rule *rules = runtime_default_rules(&n);

    for (size_t i = 0; i < n; i++)
        for (const char *const *p = rules[i].names; *p; p++) {
            size_t conditional, count = count_rules(*p, &conditional);
            if (rules[i].nargs == 0 && count != 1)
                fail_msg("%s has an unconditional rule and %zu others", *p, count - 1);
            if (rules[i].nargs > 0 && conditional != count)
                fail_msg("%s is conditional but also has an unconditional rule", *p);
        }
}

/* The runtimes' default names about 370 syscalls once every architecture's names are
 * counted: 352 unconditional ones upstream, plus ptrace & co, arch-specific, chroot and the
 * conditional entries (373 here). Fewer than 330 means the table lost a block. libseccomp
 * 2.5 knows 468 distinct names across x86_64, x86, x32, aarch64 and arm, of which the
 * profile denies about 100; more than 420 means half of those crept in. */
static void test_size_plausible(void **state)
{
    size_t n, total = 0, unique = 0;
    const struct runtime_default_rule *rules = runtime_default_rules(&n);
    const char **names;

    for (size_t i = 0; i < n; i++)
        for (const char *const *p = rules[i].names; *p; p++)
            total++;
    names = calloc(total, sizeof(*names));
    assert_non_null(names);
    total = 0;
    for (size_t i = 0; i < n; i++)
        for (const char *const *p = rules[i].names; *p; p++)
            names[total++] = *p;
    qsort(names, total, sizeof(*names), cmp_str);
    for (size_t i = 0; i < total; i++)
        if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
            unique++;
    free(names);

    print_message("runtime/default: %zu rules, %zu distinct syscall names\n", n, unique);
    assert_true(unique >= 330);
    assert_true(unique <= 420);
}

/* Unconditionally allowed (any arguments). */
static const char *const allowed[] = {
    "read",
    "write",
    "close",
    "futex",
    "openat",
    "open",
    "mkdir",
    "mkdirat",
    "execve",
    "exit_group",
    "mmap",
    "brk",
    "rt_sigreturn",
    "epoll_wait",
    "connect",
    "accept4",
    "bind",
    "socketpair",
    "socketcall",
    "getrandom",
    "chown",
    "setuid",
    "capset",
    "chroot",
    "name_to_handle_at",
    "ptrace",
    "process_vm_readv",
    "prctl",
    "seccomp",
    "arch_prctl",
    "modify_ldt",
    "set_tls",
    "cacheflush",
    "rseq",
    "clock_adjtime",
    "statx",
    "fchmodat2",
    "futex_waitv",
    "memfd_create",
    "io_submit",
    "sched_setaffinity",
    "kill",
    "setsid",
};

/* Not named at all: the default action (EPERM) applies. */
static const char *const denied[] = {
    "kexec_load",
    "kexec_file_load",
    "mount",
    "umount",
    "umount2",
    "reboot",
    "add_key",
    "keyctl",
    "request_key",
    "bpf",
    "unshare",
    "setns",
    "init_module",
    "finit_module",
    "delete_module",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "perf_event_open",
    "swapon",
    "swapoff",
    "pivot_root",
    "open_by_handle_at",
    "iopl",
    "ioperm",
    "settimeofday",
    "clock_settime",
    "stime",
    "acct",
    "syslog",
    "userfaultfd",
    "kcmp",
    "pidfd_getfd",
    "process_madvise",
    "quotactl",
    "quotactl_fd",
    "sethostname",
    "setdomainname",
    "vhangup",
    "lookup_dcookie",
    "fsopen",
    "fsmount",
    "fsconfig",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "fanotify_init",
    "mbind",
    "set_mempolicy",
    "get_mempolicy",
    "set_mempolicy_home_node",
    "migrate_pages",
    "move_pages",
    "uselib",
    "ustat",
    "sysfs",
    "_sysctl",
    "nfsservctl",
    "vm86",
    "vm86old",
    "create_module",
    "query_module",
};

static void test_allowed(void **state)
{
    const uint64_t any[6] = {0x12345678, 1, 2, 3, 4, 5};

    for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
        size_t conditional, count = count_rules(allowed[i], &conditional);
        if (count != 1 || conditional != 0)
            fail_msg("%s should have exactly one unconditional rule", allowed[i]);
        if (evaluate(allowed[i], any).action != ACT_ALLOW)
            fail_msg("%s should be allowed", allowed[i]);
    }
}

static void test_denied(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
        if (count_rules(denied[i], NULL) != 0)
            fail_msg("%s should not be named by runtime/default", denied[i]);
        struct verdict v = evaluate1(denied[i], 0);
        assert_int_equal(v.action, ACT_ERRNO);
        assert_int_equal(v.errno_ret, EPERM);
    }
}

/* socket: every address family except AF_ALG and AF_VSOCK. */
static void test_socket(void **state)
{
    size_t conditional;

    assert_int_equal(count_rules("socket", &conditional), 3);
    assert_int_equal(conditional, 3);
    for (uint64_t af = 0; af <= 64; af++) {
        bool expect = af != AF_ALG && af != AF_VSOCK;
        if ((evaluate1("socket", af).action == ACT_ALLOW) != expect)
            fail_msg("socket(%llu, ...) should be %s", (unsigned long long)af,
                     expect ? "allowed" : "denied");
    }
    assert_int_equal(evaluate1("socket", AF_INET).action, ACT_ALLOW);
    assert_int_equal(evaluate1("socket", AF_INET6).action, ACT_ALLOW);
    assert_int_equal(evaluate1("socket", AF_UNIX).action, ACT_ALLOW);
    assert_int_equal(evaluate1("socket", AF_NETLINK).action, ACT_ALLOW);
}

/* personality: exactly the five persona values, each one EQ rule on argument 0. */
static void test_personality(void **state)
{
    static const uint64_t expect[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
    static const struct {
        uint64_t persona;
        bool allowed;
    } samples[] = {
        {0x0, true},        /* PER_LINUX */
        {0x8, true},        /* PER_LINUX32 */
        {0x20000, true},    /* UNAME26 */
        {0x20008, true},    /* UNAME26 | PER_LINUX32 */
        {0xffffffff, true}, /* query only */
        {0x0040000, false}, /* ADDR_NO_RANDOMIZE */
        {0x0400000, false}, /* READ_IMPLIES_EXEC */
        {0x1, false},       /* PER_SVR4 */
        {0x100000000ULL, false},
    };
    size_t n, seen = 0;
    const struct runtime_default_rule *rules = runtime_default_rules(&n);

    for (size_t i = 0; i < n; i++) {
        if (!rule_names(&rules[i], "personality"))
            continue;
        assert_null(rules[i].names[1]);
        assert_int_equal(rules[i].action, ACT_ALLOW);
        assert_int_equal(rules[i].nargs, 1);
        assert_int_equal(rules[i].args[0].index, 0);
        assert_int_equal(rules[i].args[0].op, OP_EQ);
        bool known = false;
        for (size_t k = 0; k < ARRAY_SIZE(expect); k++)
            known = known || rules[i].args[0].value == expect[k];
        if (!known)
            fail_msg("unexpected personality value %#llx",
                     (unsigned long long)rules[i].args[0].value);
        seen++;
    }
    assert_int_equal(seen, ARRAY_SIZE(expect));
    for (size_t i = 0; i < ARRAY_SIZE(samples); i++)
        if ((evaluate1("personality", samples[i].persona).action == ACT_ALLOW) !=
            samples[i].allowed)
            fail_msg("personality(%#llx) should be %s", (unsigned long long)samples[i].persona,
                     samples[i].allowed ? "allowed" : "denied");
}

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* clone: one MASKED_EQ rule on argument 0 with the seven namespace flags as mask and 0 as
 * datum; threads and forks pass, new namespaces do not. clone3: ERRNO(ENOSYS). */
static void test_clone(void **state)
{
    const uint64_t ns_flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                              CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
    const uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                            CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                            CLONE_CHILD_CLEARTID;
    size_t n, seen = 0;
    const struct runtime_default_rule *rules = runtime_default_rules(&n);

    for (size_t i = 0; i < n; i++) {
        if (!rule_names(&rules[i], "clone"))
            continue;
        assert_null(rules[i].names[1]);
        assert_int_equal(rules[i].action, ACT_ALLOW);
        assert_int_equal(rules[i].nargs, 1);
        assert_int_equal(rules[i].args[0].index, 0);
        assert_int_equal(rules[i].args[0].op, OP_MASKED_EQ);
        assert_int_equal(rules[i].args[0].value, ns_flags);
        assert_int_equal(rules[i].args[0].value, 0x7e020000);
        assert_int_equal(rules[i].args[0].value_two, 0);
        seen++;
    }
    assert_int_equal(seen, 1);

    assert_int_equal(evaluate1("clone", thread).action, ACT_ALLOW);
    assert_int_equal(evaluate1("clone", SIGCHLD).action, ACT_ALLOW);
    assert_int_equal(evaluate1("clone", CLONE_VFORK | CLONE_VM | SIGCHLD).action, ACT_ALLOW);
    const uint64_t each_ns[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,   CLONE_NEWUSER,
                                CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};
    for (size_t i = 0; i < ARRAY_SIZE(each_ns); i++) {
        struct verdict v = evaluate1("clone", SIGCHLD | each_ns[i]);
        assert_int_equal(v.action, ACT_ERRNO);
        assert_int_equal(v.errno_ret, EPERM);
    }

    size_t conditional;
    assert_int_equal(count_rules("clone3", &conditional), 1);
    assert_int_equal(conditional, 0);
    struct verdict v3 = evaluate1("clone3", 0);
    assert_int_equal(v3.action, ACT_ERRNO);
    assert_int_equal(v3.errno_ret, ENOSYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_action), cmocka_unit_test(test_rules_well_formed),
        cmocka_unit_test(test_names_known),    cmocka_unit_test(test_no_overlap),
        cmocka_unit_test(test_size_plausible), cmocka_unit_test(test_allowed),
        cmocka_unit_test(test_denied),         cmocka_unit_test(test_socket),
        cmocka_unit_test(test_personality),    cmocka_unit_test(test_clone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
