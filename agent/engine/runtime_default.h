/* runtime_default.h - the container runtime's default profile ("runtime/default").
 *
 * Owns: the well-known default allow-list of container runtimes (containerd/Docker/CRI-O),
 * as data: default action ERRNO (EPERM), rules allowing the listed syscalls, some with
 * argument conditions. Entries hold every architecture's names; the engine drops those that
 * do not exist on the node's architectures without a warning. Capability-dependent entries
 * are included as the runtime includes them for the default capability set.
 * Pure constant data.
 */
#ifndef KSCMP_RTDEFAULT_H
#define KSCMP_RTDEFAULT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/action.h"

struct runtime_default_rule {
    const char *const *names; /* NULL-terminated */
    uint8_t action;           /* enum action */
    uint16_t errno_ret;       /* for ACT_ERRNO */
    uint8_t nargs;
    struct sys_arg args[3];
};

/* The default action of runtime/default. */
struct verdict runtime_default_default_action(void);

/* The rules, in table order; *ret_n is set to their count. */
const struct runtime_default_rule *runtime_default_rules(size_t *ret_n);

#endif
