/* notify_record.h - running a command with every syscall it makes reported to us.
 *
 * Owns: starting COMMAND in a child under a seccomp filter that turns each of its syscalls
 * into a user notification (the filter is inherited by its threads and children and kept
 * across execve), answering each with "continue" (SECCOMP_USER_NOTIF_FLAG_CONTINUE: the
 * kernel then runs the call as if the filter were not there) after counting it by
 * architecture and number; forwarding the signals sent to this process; reaping what the
 * command leaves behind (we are its child subreaper) until every process under the filter has
 * exited; and the command's wait status.
 *
 * No root needed: the child sets no_new_privs only when the kernel refuses the filter
 * without it (set-user-ID programs then run without their privileges, as under
 * no_new_privs). The child stays in our process group, so terminal signals reach it
 * directly; signals sent to us by another process are passed on. Linux 5.5 or later
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE); 6.6 or later answers faster (synchronous wake-up).
 */
#ifndef KSCMP_NOTIFY_RECORD_H
#define KSCMP_NOTIFY_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/cleanup.h"
#include "base/error.h"

/* Counts below this number are kept in a table per architecture; others in a list. */
#define NOTIFY_TABLE_NR 1024
/* At most this many distinct (architecture, number) pairs outside the tables are itemized. */
#define NOTIFY_MAX_OTHERS 1024

struct notify_counts;

void notify_counts_free(struct notify_counts *c);
DEFINE_CLEANUP_FUNC(struct notify_counts, notify_counts_free)

/* Calls cb once per (architecture, number) seen, with how many times: arch is an index of
 * the arch table, or -1 for an architecture kscmp does not know (audit_arch tells which).
 * Table order, numbers ascending. Returns 0 or the first non-zero value of cb. */
int notify_counts_foreach(const struct notify_counts *c,
                          int (*cb)(int arch, uint32_t audit_arch, uint32_t nr, uint64_t count,
                                    void *userdata),
                          void *userdata);

/* Syscalls seen in all. */
uint64_t notify_counts_total(const struct notify_counts *c);

/* Calls made with a number that did not fit the NOTIFY_MAX_OTHERS list (counted, not
 * itemized; the caller reports them). */
uint64_t notify_counts_unlisted(const struct notify_counts *c);

struct notify_result {
    int wait_status; /* COMMAND's, as waitpid() gives it */
    int exec_errno;  /* COMMAND could not be started (execvp's errno), else 0 */
};

/* Runs argv[0] (looked up in PATH) with argv under the recording filter, until it and every
 * process it left behind have exited. On success (the command ran, whatever its status, or
 * could not be executed: exec_errno) *ret_counts and *ret are written. Fails with a message
 * in err when the filter cannot be set up (an old kernel, a filter with a listener already
 * in place: -EBUSY). */
int notify_record_run(char *const argv[], struct notify_counts **ret_counts,
                      struct notify_result *ret, struct kerr *err);

#endif
