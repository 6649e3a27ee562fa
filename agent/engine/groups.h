/* groups.h - named syscall sets (docs/policies.md: named syscall groups).
 *
 * Owns: the built-in tables (systemd-style "@basic-io", ... and task-level "dns", ...).
 * Pure constant data: no I/O, no state. An entry of a group may name another group
 * ("@signal"); groups_expand() resolves those.
 */
#ifndef KSCMP_GROUPS_H
#define KSCMP_GROUPS_H

#include <stddef.h>

struct syscall_group {
    const char *name;           /* "@basic-io", "dns", ... */
    const char *description;    /* one line */
    const char *const *entries; /* NULL-terminated: syscall names or "@group" names */
};

/* The group called name, or NULL. */
const struct syscall_group *groups_lookup(const char *name);

/* The name of the group that name is without its leading "@" ("basic-io": "@basic-io"), for
 * an error to suggest; NULL when name starts with "@" or there is no such group. */
const char *groups_at_name(const char *name);

/* All groups, in the order `kscmp groups` prints them; *ret_n is set to their count. */
const struct syscall_group *groups_all(size_t *ret_n);

/* Calls cb once per syscall name of the group, nested groups expanded (a name may come
 * more than once). Returns 0, or the first non-zero value cb returned. */
int groups_expand(const struct syscall_group *g, int (*cb)(const char *syscall, void *userdata),
                  void *userdata);

#endif
