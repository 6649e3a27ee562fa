/* test_groups.c - the built-in syscall groups: names libseccomp knows, nesting without
 * cycles, lookup, expected members and non-members. */
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/groups.h"

/* The groups contract section 5 promises. */
static const char *const contract_groups[] = {
    "@basic-io",       "@file-system", "@network-io", "@process",    "@signal",     "@io-event",
    "@timer",          "@ipc",         "@memlock",    "@mount",      "@module",     "@raw-io",
    "@reboot",         "@swap",        "@clock",      "@debug",      "@privileged", "@obsolete",
    "@system-service", "@default",     "dns",         "inet-client", "inet-server", "ping",
    "tmp-files",       "malloc",       "user-ids",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ----------------------------------------------------------------------------- */

struct find_ctx {
    const char *want;
    bool found;
};

static int find_cb(const char *syscall, void *userdata)
{
    struct find_ctx *c = userdata;
    if (strcmp(syscall, c->want) == 0)
        c->found = true;
    return 0;
}

/* Whether group (expanded) contains syscall. */
static bool group_has(const char *group, const char *syscall)
{
    const struct syscall_group *g = groups_lookup(group);
    struct find_ctx c = {.want = syscall};
    assert_non_null(g);
    assert_int_equal(groups_expand(g, find_cb, &c), 0);
    return c.found;
}

#define MAX_EXPANDED 1024

struct collect_ctx {
    const char *names[MAX_EXPANDED];
    size_t n;
};

static int collect_cb(const char *syscall, void *userdata)
{
    struct collect_ctx *c = userdata;
    if (c->n >= MAX_EXPANDED)
        return -E2BIG;
    c->names[c->n++] = syscall;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- tests ------------------------------------------------------------------------------- */

/* Every group has a name, a one-line description and at least one entry; names are unique. */
static void test_table_shape(void **state)
{
    size_t n;
    const struct syscall_group *all = groups_all(&n);

    assert_non_null(all);
    assert_true(n >= ARRAY_SIZE(contract_groups));
    for (size_t i = 0; i < n; i++) {
        assert_non_null(all[i].name);
        assert_true(all[i].name[0] != '\0');
        assert_non_null(all[i].description);
        assert_true(all[i].description[0] != '\0');
        assert_null(strchr(all[i].description, '\n'));
        assert_non_null(all[i].entries);
        assert_non_null(all[i].entries[0]);
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(all[i].name, all[j].name) == 0)
                fail_msg("group %s is defined twice", all[i].name);
    }
}

/* Every syscall entry is a name libseccomp knows (a pseudo-number < -1 only means "not on
 * x86_64"); every "@" entry names an existing group. */
/* The name a group has with its @, for a name written without it; nothing for any other. */
static void test_at_name(void **state)
{
    (void)state;
    assert_string_equal(groups_at_name("basic-io"), "@basic-io");
    assert_null(groups_at_name("@basic-io"));
    assert_null(groups_at_name("basic-iox"));
    assert_null(groups_at_name(""));
    assert_null(groups_at_name(NULL));
    size_t n;
    const struct syscall_group *all = groups_all(&n);
    for (size_t i = 0; i < n; i++)
        if (all[i].name[0] == '@')
            assert_ptr_equal(groups_at_name(all[i].name + 1), all[i].name);
}

static void test_entries_known(void **state)
{
    size_t n;
    const struct syscall_group *all = groups_all(&n);

    for (size_t i = 0; i < n; i++)
        for (const char *const *e = all[i].entries; *e; e++) {
            if ((*e)[0] == '@') {
                if (!groups_lookup(*e))
                    fail_msg("%s: nested group %s does not exist", all[i].name, *e);
                continue;
            }
            if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, *e) == __NR_SCMP_ERROR)
                fail_msg("%s: libseccomp does not know syscall %s", all[i].name, *e);
        }
}

enum { WHITE, GREY, BLACK };

/* Depth-first search over "@" entries; a GREY group met again closes a cycle. */
static void visit(const struct syscall_group *all, size_t n, size_t at, int *color)
{
    color[at] = GREY;
    for (const char *const *e = all[at].entries; *e; e++) {
        if ((*e)[0] != '@')
            continue;
        const struct syscall_group *sub = groups_lookup(*e);
        assert_non_null(sub);
        size_t k = (size_t)(sub - all);
        assert_true(k < n);
        if (color[k] == GREY)
            fail_msg("cycle: %s includes %s, which leads back to it", all[at].name, *e);
        if (color[k] == WHITE)
            visit(all, n, k, color);
    }
    color[at] = BLACK;
}

static void test_no_cycles(void **state)
{
    size_t n;
    const struct syscall_group *all = groups_all(&n);
    int color[128] = {0};

    assert_true(n <= ARRAY_SIZE(color));
    for (size_t i = 0; i < n; i++)
        if (color[i] == WHITE)
            visit(all, n, i, color);
}

/* Every group of the contract exists; every group is found under its own name. */
static void test_lookup_finds_all(void **state)
{
    size_t n;
    const struct syscall_group *all = groups_all(&n);

    for (size_t i = 0; i < ARRAY_SIZE(contract_groups); i++)
        if (!groups_lookup(contract_groups[i]))
            fail_msg("group %s of the contract is missing", contract_groups[i]);
    for (size_t i = 0; i < n; i++)
        assert_ptr_equal(groups_lookup(all[i].name), &all[i]);
}

static void test_lookup_refuses_unknown(void **state)
{
    static const char *const unknown[] = {
        "",     "@",   "@nope", "basic-io", "@BASIC-IO", "@basic-io ",
        " dns", "DNS", "read",  "@read",    "@basic",    "@basic-io-extra",
    };

    assert_null(groups_lookup(NULL));
    for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
        if (groups_lookup(unknown[i]))
            fail_msg("lookup of \"%s\" should fail", unknown[i]);
}

static const struct {
    const char *group;
    const char *syscall;
    bool member;
} membership[] = {
    {"@basic-io", "read", true},
    {"@basic-io", "write", true},
    {"@basic-io", "close", true},
    {"@basic-io", "pread64", true},
    {"@basic-io", "openat", false},
    {"@basic-io", "mount", false},
    {"@file-system", "openat", true},
    {"@file-system", "mkdir", true},
    {"@file-system", "unlinkat", true},
    {"@file-system", "mount", false},
    {"@network-io", "socket", true},
    {"@network-io", "connect", true},
    {"@network-io", "accept4", true},
    {"@process", "clone", true},
    {"@process", "clone3", true},
    {"@process", "kill", true},
    {"@process", "unshare", true},
    {"@signal", "rt_sigaction", true},
    {"@signal", "kill", false},
    {"@io-event", "epoll_wait", true},
    {"@io-event", "poll", true},
    {"@timer", "timerfd_create", true},
    {"@timer", "setitimer", true},
    {"@ipc", "shmget", true},
    {"@ipc", "pipe2", true},
    {"@memlock", "mlock", true},
    {"@memlock", "mmap", false},
    {"@mount", "mount", true},
    {"@mount", "umount2", true},
    {"@mount", "pivot_root", true},
    {"@mount", "open_tree", true},
    {"@module", "init_module", true},
    {"@module", "finit_module", true},
    {"@module", "delete_module", true},
    {"@raw-io", "iopl", true},
    {"@raw-io", "ioperm", true},
    {"@reboot", "reboot", true},
    {"@reboot", "kexec_load", true},
    {"@reboot", "kexec_file_load", true},
    {"@swap", "swapon", true},
    {"@swap", "swapoff", true},
    {"@clock", "settimeofday", true},
    {"@clock", "clock_settime", true},
    {"@clock", "clock_gettime", false},
    {"@debug", "ptrace", true},
    {"@debug", "perf_event_open", true},
    {"@privileged", "mount", true},       /* through @mount */
    {"@privileged", "reboot", true},      /* through @reboot */
    {"@privileged", "init_module", true}, /* through @module */
    {"@privileged", "chown", true},       /* through @chown */
    {"@privileged", "bpf", true},
    {"@privileged", "read", false},
    {"@obsolete", "uselib", true},
    {"@obsolete", "_sysctl", true},
    {"@obsolete", "read", false},
    {"@default", "exit_group", true},
    {"@default", "futex", true},
    {"@default", "rt_sigreturn", true},
    {"@default", "read", false},
    {"@system-service", "read", true},       /* through @basic-io */
    {"@system-service", "openat", true},     /* through @file-system */
    {"@system-service", "exit_group", true}, /* through @default */
    {"@system-service", "brk", true},
    {"@system-service", "mount", false},
    {"@system-service", "reboot", false},
    {"@system-service", "init_module", false},
    {"@system-service", "ptrace", false},
    {"dns", "socket", true},
    {"dns", "connect", true},
    {"dns", "sendto", true},
    {"dns", "recvfrom", true},
    {"dns", "sendmmsg", true},
    {"dns", "recvmsg", true},
    {"dns", "poll", true},
    {"dns", "openat", true},
    {"dns", "listen", false},
    {"dns", "accept", false},
    {"inet-client", "connect", true},
    {"inet-client", "socket", true},
    {"inet-client", "epoll_wait", true}, /* through @io-event */
    {"inet-client", "listen", false},
    {"inet-client", "accept", false},
    {"inet-server", "bind", true},
    {"inet-server", "listen", true},
    {"inet-server", "accept4", true},
    {"inet-server", "poll", true}, /* through @io-event */
    {"inet-server", "connect", false},
    {"ping", "socket", true},
    {"ping", "sendto", true},
    {"ping", "recvmsg", true},
    {"ping", "setsockopt", true},
    {"ping", "listen", false},
    {"tmp-files", "openat", true},
    {"tmp-files", "mkdirat", true},
    {"tmp-files", "unlinkat", true},
    {"tmp-files", "write", true},
    {"tmp-files", "execve", false},
    {"malloc", "brk", true},
    {"malloc", "mmap", true},
    {"malloc", "munmap", true},
    {"malloc", "mremap", true},
    {"malloc", "madvise", true},
    {"malloc", "execve", false},
    {"malloc", "open", false},
    {"user-ids", "getuid", true},
    {"user-ids", "setuid", true},    /* through @setuid */
    {"user-ids", "setresgid", true}, /* through @setuid */
    {"user-ids", "setgroups", true}, /* through @setuid */
    {"user-ids", "capset", false},
};

static void test_membership(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(membership); i++) {
        bool has = group_has(membership[i].group, membership[i].syscall);
        if (has != membership[i].member)
            fail_msg("%s %s contain %s", membership[i].group,
                     membership[i].member ? "should" : "should not", membership[i].syscall);
    }
}

/* Duplicates after expansion are harmless; they are only reported. Prints the sizes. */
static void test_report_sizes_and_duplicates(void **state)
{
    size_t n;
    const struct syscall_group *all = groups_all(&n);

    for (size_t i = 0; i < n; i++) {
        struct collect_ctx c = {.n = 0};
        size_t unique = 0;

        assert_int_equal(groups_expand(&all[i], collect_cb, &c), 0);
        assert_true(c.n > 0);
        qsort(c.names, c.n, sizeof(c.names[0]), cmp_str);
        for (size_t j = 0; j < c.n; j++) {
            if (j > 0 && strcmp(c.names[j], c.names[j - 1]) == 0) {
                print_message("note: %s lists %s more than once\n", all[i].name, c.names[j]);
                continue;
            }
            unique++;
        }
        print_message("%-16s %3zu syscalls\n", all[i].name, unique);
    }
}

static int stop_after_three(const char *syscall, void *userdata)
{
    int *calls = userdata;
    return ++*calls == 3 ? 42 : 0;
}

static int count_cb(const char *syscall, void *userdata)
{
    (*(size_t *)userdata)++;
    return 0;
}

/* groups_expand hands back the callback's first non-zero value at once. */
static void test_expand_stops(void **state)
{
    int calls = 0;
    size_t count = 0;

    assert_int_equal(groups_expand(groups_lookup("@system-service"), stop_after_three, &calls), 42);
    assert_int_equal(calls, 3);

    /* Nested entries are expanded: more names come out than the group lists itself. */
    const struct syscall_group *g = groups_lookup("@system-service");
    size_t direct = 0;
    for (const char *const *e = g->entries; *e; e++)
        direct++;
    assert_int_equal(groups_expand(g, count_cb, &count), 0);
    assert_true(count > direct);

    assert_int_equal(groups_expand(NULL, count_cb, &count), -EINVAL);
    assert_int_equal(groups_expand(g, NULL, NULL), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_shape),      cmocka_unit_test(test_at_name),
        cmocka_unit_test(test_entries_known),    cmocka_unit_test(test_no_cycles),
        cmocka_unit_test(test_lookup_finds_all), cmocka_unit_test(test_lookup_refuses_unknown),
        cmocka_unit_test(test_membership),       cmocka_unit_test(test_report_sizes_and_duplicates),
        cmocka_unit_test(test_expand_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
