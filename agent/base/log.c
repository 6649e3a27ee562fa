/* log.c - plain or JSON log lines on stderr. */
#include "base/log.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static bool json_format;

int log_set_format(const char *format)
{
    if (strcmp(format, "text") == 0)
        json_format = false;
    else if (strcmp(format, "json") == 0)
        json_format = true;
    else
        return -EINVAL;
    return 0;
}

static const char *const level_names[] = {"debug", "info", "warning", "error"};

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < LOG_INFO)
        return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* One line per decision: a response body or a message may carry newlines. */
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r' || msg[len - 1] == ' '))
        msg[--len] = '\0';
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[64];
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
    if (json_format) {
        json_t *j =
            json_pack("{s:s, s:s, s:s}", "time", ts, "level", level_names[level], "msg", msg);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (s)
            fprintf(stderr, "%s\n", s);
        free(s);
        json_decref(j);
    } else
        fprintf(stderr, "%s %-7s %s\n", ts, level_names[level], msg);
    fflush(stderr);
}
