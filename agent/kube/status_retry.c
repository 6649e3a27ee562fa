/* status_retry.c - a refused status not sent again; the others' backoff and log throttle. */
#include "kube/status_retry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/evloop.h"
#include "base/log.h"
#include "kube/client.h"

json_t *status_content(const json_t *status)
{
    json_t *c = json_deep_copy(status);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(c, "nodes"), i, e)
    {
        json_object_del(e, "lastUpdate");
    }
    json_array_foreach(json_object_get(c, "conditions"), i, e)
    {
        json_object_del(e, "lastTransitionTime");
    }
    return c;
}

uint64_t status_retry_until(const struct status_retry *s)
{
    return s && s->refused ? s->refused_at + STATUS_REFUSED_RETRY_MS : 0;
}

bool status_retry_held(const struct status_retry *s, const json_t *content, uint64_t now)
{
    return content && now < status_retry_until(s) && json_equal(content, s->refused);
}

bool status_retry_refused(struct status_retry *s, struct metrics *m, const char *kind,
                          const char *key, long code, const char *body, const json_t *content,
                          uint64_t now)
{
    char msg[320];
    kube_status_message(body, msg, sizeof(msg));
    metrics_add(m, M_STATUS_REFUSED, 1);
    bool say = !s->refused_msg || strcmp(s->refused_msg, msg) != 0;
    if (say)
        log_warning("status of %s %s: the API server refused it (HTTP %ld): %s; not sent again "
                    "until it changes (or in an hour)",
                    kind, key, code, msg);
    free(s->refused_msg);
    s->refused_msg = strdup(msg);
    json_decref(s->refused);
    s->refused = content ? json_deep_copy(content) : NULL;
    s->refused_at = now;
    s->failures = 0;
    s->not_logged = 0;
    return say;
}

uint64_t status_retry_failed(struct status_retry *s, const char *kind, const char *key,
                             const char *verb, long code, const char *error, const char *body,
                             uint64_t now, bool *logged)
{
    s->failures++;
    bool say = s->failures == 1 || now - s->logged_at >= STATUS_FAILURE_LOG_MS;
    if (say) {
        char msg[320], what[400];
        kube_status_message(body, msg, sizeof(msg));
        if (code)
            snprintf(what, sizeof(what), "HTTP %ld%s%s", code, msg[0] ? ": " : "", msg);
        else
            snprintf(what, sizeof(what), "no answer (%.300s)", error ? error : "?");
        if (s->failures == 1)
            log_warning("status of %s %s: %s failed: %s; retried with backoff (said again at most "
                        "every %d minutes while it fails)",
                        kind, key, verb, what, STATUS_FAILURE_LOG_MS / 60000);
        else
            log_warning("status of %s %s: %s failed: %s; %u failures in a row (%u not logged), "
                        "retried with backoff",
                        kind, key, verb, what, s->failures, s->not_logged);
        s->logged_at = now;
        s->not_logged = 0;
    } else {
        s->not_logged++;
    }
    if (logged)
        *logged = say;
    return backoff_jitter_ms(s->failures, STATUS_BACKOFF_BASE_MS, STATUS_BACKOFF_MAX_MS);
}

void status_retry_reset(struct status_retry *s)
{
    json_decref(s->refused);
    free(s->refused_msg);
    *s = (struct status_retry){0};
}

void status_retry_free(struct status_retry **s)
{
    if (!*s)
        return;
    status_retry_reset(*s);
    free(*s);
    *s = NULL;
}
