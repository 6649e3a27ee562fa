/* action.c - action ranking and spellings, errno names. */
#include "engine/action.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

static const char *const oci_names[ACT__MAX] = {
    [ACT_ALLOW] = "SCMP_ACT_ALLOW",
    [ACT_LOG] = "SCMP_ACT_LOG",
    [ACT_TRACE] = "SCMP_ACT_TRACE",
    [ACT_ERRNO] = "SCMP_ACT_ERRNO",
    [ACT_TRAP] = "SCMP_ACT_TRAP",
    [ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
    [ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
};

static const struct {
    const char *name;
    enum action action;
} spellings[] = {
    {"Allow", ACT_ALLOW},
    {"Audit", ACT_LOG},
    {"Block", ACT_ERRNO},
    {"Trap", ACT_TRAP},
    {"Kill", ACT_KILL_PROCESS},
    {"SCMP_ACT_ALLOW", ACT_ALLOW},
    {"SCMP_ACT_LOG", ACT_LOG},
    {"SCMP_ACT_TRACE", ACT_TRACE},
    {"SCMP_ACT_ERRNO", ACT_ERRNO},
    {"SCMP_ACT_TRAP", ACT_TRAP},
    {"SCMP_ACT_KILL", ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_THREAD", ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", ACT_KILL_PROCESS},
};

int verdict_cmp(struct verdict a, struct verdict b)
{
    if (a.action != b.action)
        return a.action > b.action ? 1 : -1;
    if (a.action == ACT_ERRNO && a.errno_ret != b.errno_ret)
        return a.errno_ret < b.errno_ret ? 1 : -1;
    return 0;
}

struct verdict verdict_max(struct verdict a, struct verdict b)
{
    return verdict_cmp(a, b) >= 0 ? a : b;
}

int action_parse(const char *s, enum action *ret)
{
    for (size_t i = 0; i < ELEMENTSOF(spellings); i++)
        if (strcmp(s, spellings[i].name) == 0) {
            *ret = spellings[i].action;
            return 0;
        }
    return -EINVAL;
}

const char *action_oci_name(enum action a)
{
    return a < ACT__MAX ? oci_names[a] : NULL;
}

static const char *const op_names[OP__MAX] = {
    [OP_NE] = "NE",
    [OP_LT] = "LT",
    [OP_LE] = "LE",
    [OP_EQ] = "EQ",
    [OP_GE] = "GE",
    [OP_GT] = "GT",
    [OP_MASKED_EQ] = "MASKED_EQ",
};

int sys_args_cmp(const struct sys_arg *a, unsigned na, const struct sys_arg *b, unsigned nb)
{
    if (na != nb)
        return na < nb ? -1 : 1;
    for (unsigned i = 0; i < na; i++) {
        if (a[i].index != b[i].index)
            return a[i].index < b[i].index ? -1 : 1;
        if (a[i].op != b[i].op)
            return a[i].op < b[i].op ? -1 : 1;
        if (a[i].value != b[i].value)
            return a[i].value < b[i].value ? -1 : 1;
        if (a[i].value_two != b[i].value_two)
            return a[i].value_two < b[i].value_two ? -1 : 1;
    }
    return 0;
}

int op_parse(const char *s, enum cmp_op *ret)
{
    if (strncmp(s, "SCMP_CMP_", 9) == 0)
        s += 9;
    for (int i = OP_NE; i < OP__MAX; i++)
        if (strcmp(s, op_names[i]) == 0) {
            *ret = (enum cmp_op)i;
            return 0;
        }
    return -EINVAL;
}

const char *op_oci_name(enum cmp_op op)
{
    static const char *const oci[OP__MAX] = {
        [OP_NE] = "SCMP_CMP_NE",
        [OP_LT] = "SCMP_CMP_LT",
        [OP_LE] = "SCMP_CMP_LE",
        [OP_EQ] = "SCMP_CMP_EQ",
        [OP_GE] = "SCMP_CMP_GE",
        [OP_GT] = "SCMP_CMP_GT",
        [OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
    };
    return op > 0 && op < OP__MAX ? oci[op] : NULL;
}

static const struct {
    const char *name;
    uint16_t num;
} errnos[] = {
    {"EPERM", EPERM},
    {"ENOENT", ENOENT},
    {"ESRCH", ESRCH},
    {"EINTR", EINTR},
    {"EIO", EIO},
    {"ENXIO", ENXIO},
    {"E2BIG", E2BIG},
    {"ENOEXEC", ENOEXEC},
    {"EBADF", EBADF},
    {"ECHILD", ECHILD},
    {"EAGAIN", EAGAIN},
    {"ENOMEM", ENOMEM},
    {"EACCES", EACCES},
    {"EFAULT", EFAULT},
    {"EBUSY", EBUSY},
    {"EEXIST", EEXIST},
    {"EXDEV", EXDEV},
    {"ENODEV", ENODEV},
    {"ENOTDIR", ENOTDIR},
    {"EISDIR", EISDIR},
    {"EINVAL", EINVAL},
    {"ENFILE", ENFILE},
    {"EMFILE", EMFILE},
    {"ENOTTY", ENOTTY},
    {"EFBIG", EFBIG},
    {"ENOSPC", ENOSPC},
    {"ESPIPE", ESPIPE},
    {"EROFS", EROFS},
    {"EMLINK", EMLINK},
    {"EPIPE", EPIPE},
    {"EDOM", EDOM},
    {"ERANGE", ERANGE},
    {"ENOSYS", ENOSYS},
    {"ENOTSUP", ENOTSUP},
    {"EOPNOTSUPP", EOPNOTSUPP},
    {"EAFNOSUPPORT", EAFNOSUPPORT},
    {"EPROTONOSUPPORT", EPROTONOSUPPORT},
    {"ECONNREFUSED", ECONNREFUSED},
    {"ENETUNREACH", ENETUNREACH},
    {"ETIMEDOUT", ETIMEDOUT},
};

int errno_parse(const char *s, uint16_t *ret)
{
    if (!s || !*s)
        return -EINVAL;
    if (s[0] >= '0' && s[0] <= '9') {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v < 1 || v > 4094) /* libseccomp refuses 4095 and over */
            return -EINVAL;
        *ret = (uint16_t)v;
        return 0;
    }
    for (size_t i = 0; i < ELEMENTSOF(errnos); i++)
        if (strcmp(s, errnos[i].name) == 0) {
            *ret = errnos[i].num;
            return 0;
        }
    return -EINVAL;
}

const char *errno_name(uint16_t e)
{
    for (size_t i = 0; i < ELEMENTSOF(errnos); i++)
        if (errnos[i].num == e)
            return errnos[i].name;
    return NULL;
}
