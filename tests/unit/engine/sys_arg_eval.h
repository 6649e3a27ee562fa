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
    int r = op_holds(a->op, a->value, a->value_two, v);
    if (r < 0)
        *ok = false;
    return r == 1;
}

#endif
