/* error.h - how modules report failure.
 *
 * Functions return 0 on success or a negative errno. A module with more to say fills a
 * struct kerr whose message names the file, the object and the field, e.g.
 *   policies.yaml:7: SeccompPolicy demo/web: spec.seccomp.syscalls[1]: unknown syscall "mkdirr"
 * and its caller decides what to do with it: print it (the program layer: main, the command
 * line, the agent's wiring), or report it further up. kerr_set() returns its errno argument
 * so that a caller can write `return kerr_set(err, -EINVAL, "...")`.
 *
 * Who prints: base/ and engine/ never do (the engine hands its warnings to a logger its
 * caller sets; `make layers` refuses a base/ or engine/ file that includes base/log.h). The
 * program layer prints what the calls it makes return. The modules of node/ and kube/ that
 * run on the agent's event loop (reconciler, --local source, reflectors, status writes,
 * Events, the node taint) log, through base/log.h, the decisions they make and what happens
 * in their own callbacks: a retry, a watch that ended, a refused patch, a file rewritten.
 * Nobody called them there, so there is no caller to return an error to. What such a module
 * logs it does not also return as an error for its caller to print again.
 */
#ifndef KSCMP_ERROR_H
#define KSCMP_ERROR_H

#include <stddef.h>

#define KERR_MSG_MAX 1024

struct kerr {
    int code;               /* negative errno, 0 when unset */
    char msg[KERR_MSG_MAX]; /* human-readable, never ends with a newline */
};

/* Sets err (if not NULL) to code and the formatted message; returns code. */
int kerr_set(struct kerr *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to the message already in err; returns err->code. */
int kerr_wrap(struct kerr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears err. */
void kerr_clear(struct kerr *err);

#endif
