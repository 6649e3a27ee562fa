/* sys_arg_eval.h - whether one compiled argument condition holds, for tests that evaluate a
 * profile as the kernel's filter would. */
#ifndef KSCMP_TEST_SYS_ARG_EVAL_H
#define KSCMP_TEST_SYS_ARG_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/action.h"

/* Whether condition a holds for the value v of its argument; *ok is cleared for an operator
 * this does not know (the caller fails the test). */
static inline bool sys_arg_holds(const struct sys_arg *a, uint64_t v, bool *ok)
{
    switch (a->op) {
    case OP_NE:
        return v != a->value;
    case OP_LT:
        return v < a->value;
    case OP_LE:
        return v <= a->value;
    case OP_EQ:
        return v == a->value;
    case OP_GE:
        return v >= a->value;
    case OP_GT:
        return v > a->value;
    case OP_MASKED_EQ:
        return (v & a->value) == a->value_two;
    default:
        *ok = false;
        return false;
    }
}

#endif
