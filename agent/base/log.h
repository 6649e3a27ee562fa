/* log.h - the agent's log: one line per decision, to stderr, plain text or JSON.
 *
 * Owns: the log format (--log-format text|json), process-wide. Used by the program layer
 * and by the event-loop modules of node/ and kube/ for what happens in their callbacks;
 * never by base/ or engine/ (error.h says who prints what).
 */
#ifndef KSCMP_LOG_H
#define KSCMP_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERROR };

/* "text" or "json": 0, or -EINVAL. */
int log_set_format(const char *format);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Debug lines are dropped: no option turns them on yet. */
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
