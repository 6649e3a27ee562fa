/* action.h - seccomp actions, their ranking, and errno names.
 *
 * Owns: the enum of runtime actions ordered by restrictiveness (docs/policies.md, the merge), the
 * spellings a policy may use (Allow, Audit, Block, Trap, Kill and SCMP_ACT_*), the OCI
 * spelling that profiles carry, and errno name <-> number. Pure: no I/O, no state.
 */
#ifndef KSCMP_ACTION_H
#define KSCMP_ACTION_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* Least restrictive first: a larger value is more restrictive. */
enum action {
    ACT_ALLOW = 0,
    ACT_LOG,
    ACT_TRACE,
    ACT_ERRNO,
    ACT_TRAP,
    ACT_KILL_THREAD,
    ACT_KILL_PROCESS,
    ACT__MAX
};

/* An action with its errno (only meaningful for ACT_ERRNO; EPERM by default). */
struct verdict {
    uint8_t action;
    uint16_t errno_ret;
};

#define VERDICT(a) ((struct verdict){.action = (a), .errno_ret = (a) == ACT_ERRNO ? 1 : 0})

/* > 0 when a is more restrictive than b, < 0 when less, 0 when equal. Ties on ERRNO: the
 * lower errno is the more restrictive (docs/policies.md, actions). */
int verdict_cmp(struct verdict a, struct verdict b);

/* The more restrictive of a and b. */
struct verdict verdict_max(struct verdict a, struct verdict b);

static inline bool verdict_eq(struct verdict a, struct verdict b)
{
    return verdict_cmp(a, b) == 0;
}

/* Argument comparison operators, numbered as libseccomp's enum scmp_compare. */
enum cmp_op { OP_NE = 1, OP_LT, OP_LE, OP_EQ, OP_GE, OP_GT, OP_MASKED_EQ, OP__MAX };

/* A condition on one syscall argument (a policy's args: [{index, value, valueTwo, op}]). */
struct sys_arg {
    uint8_t index; /* 0..5 */
    uint8_t op;    /* enum cmp_op */
    uint64_t value;
    uint64_t value_two;
};

/* Orders two lists of conditions (the shorter first, then by index, op, value, value_two of
 * the first that differs): 0 when they are the same list. */
int sys_args_cmp(const struct sys_arg *a, unsigned na, const struct sys_arg *b, unsigned nb);

/* Parses EQ, NE, ..., MASKED_EQ or the SCMP_CMP_* spelling: 0 or -EINVAL. */
int op_parse(const char *s, enum cmp_op *ret);

/* The OCI spelling: "SCMP_CMP_EQ", ... */
const char *op_oci_name(enum cmp_op op);

/* Whether "v op value" holds ((v & value) == value_two for MASKED_EQ): 1 or 0, or -EINVAL for
 * an operator that is not one of enum cmp_op's. The one evaluation of a condition: the
 * renderer's subsumption, the proof's check of libseccomp's program and the tests use it. */
static inline int op_holds(enum cmp_op op, uint64_t value, uint64_t value_two, uint64_t v)
{
    switch (op) {
    case OP_NE:
        return v != value;
    case OP_LT:
        return v < value;
    case OP_LE:
        return v <= value;
    case OP_EQ:
        return v == value;
    case OP_GE:
        return v >= value;
    case OP_GT:
        return v > value;
    case OP_MASKED_EQ:
        return (v & value) == value_two;
    default:
        return -EINVAL;
    }
}

/* Parses a policy spelling (Allow, Audit, Block, Trap, Kill, or SCMP_ACT_*): 0 or -EINVAL. */
int action_parse(const char *s, enum action *ret);

/* The OCI spelling: "SCMP_ACT_ALLOW", ... */
const char *action_oci_name(enum action a);

/* Parses an errno given as a name ("EPERM") or a decimal number (1..4094, what libseccomp accepts):
 * 0 or -EINVAL. */
int errno_parse(const char *s, uint16_t *ret);

/* The name of an errno number, or NULL when unknown. */
const char *errno_name(uint16_t e);

#endif
