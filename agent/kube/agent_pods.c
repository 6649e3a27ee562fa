/* agent_pods.c - see agent_pods.h. */
#include "kube/agent_pods.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *str_at(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : "";
}

bool agent_pod_ready(json_t *pod)
{
    size_t i;
    json_t *c;
    bool ready = false;
    json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), i,
                       c) if (strcmp(str_at(c, "type"), "Ready") == 0) ready =
        strcmp(str_at(c, "status"), "True") == 0;
    return ready;
}

const char *agent_pod_daemonset_uid(json_t *pod)
{
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(json_object_get(pod, "metadata"), "ownerReferences"), i, ref)
    {
        const char *uid = str_at(ref, "uid");
        if (strcmp(str_at(ref, "kind"), "DaemonSet") == 0 && *uid)
            return uid;
    }
    return NULL;
}

/* The text written so far into a buffer that may be too small: n counts what would have
 * been written, so that a cut is known. */
struct line {
    char *out;
    size_t size, n;
};

__attribute__((format(printf, 2, 3))) static void add(struct line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->n < l->size ? l->out + l->n : NULL, l->n < l->size ? l->size - l->n : 0,
                      fmt, ap);
    va_end(ap);
    if (k > 0)
        l->n += (size_t)k;
}

static void container_why(json_t *cs, struct line *l)
{
    json_t *state = json_object_get(cs, "state");
    json_t *waiting = json_object_get(state, "waiting");
    json_t *term = json_object_get(json_object_get(cs, "lastState"), "terminated");
    if (!json_is_object(term))
        term = json_object_get(state, "terminated");
    if (json_is_object(waiting))
        add(l, "%s", *str_at(waiting, "reason") ? str_at(waiting, "reason") : "waiting");
    json_int_t restarts = json_integer_value(json_object_get(cs, "restartCount"));
    if (restarts > 0)
        add(l, "%srestarted %lld time%s", l->n ? ", " : "", (long long)restarts,
            restarts == 1 ? "" : "s");
    if (json_is_object(term)) {
        const char *reason = str_at(term, "reason"), *msg = str_at(term, "message");
        add(l, "%slast exit status %lld", l->n ? "; " : "",
            (long long)json_integer_value(json_object_get(term, "exitCode")));
        if (*reason)
            add(l, " (%s)", reason);
        if (*msg) {
            size_t line = strcspn(msg, "\n");
            bool cut = line > AGENT_WHY_QUOTE || msg[line];
            add(l, ": %.*s%s", (int)(line > AGENT_WHY_QUOTE ? AGENT_WHY_QUOTE : line), msg,
                cut ? " ..." : "");
        }
    }
    if (!l->n && json_is_object(json_object_get(state, "running")))
        add(l, "running, not ready yet");
}

void agent_pod_why(json_t *pod, char *out, size_t size)
{
    if (!size)
        return;
    struct line l = {out, size, 0};
    out[0] = '\0';
    json_t *st = json_object_get(pod, "status");
    json_t *cs = NULL, *x;
    size_t i;
    json_array_foreach(json_object_get(st, "containerStatuses"), i,
                       x) if (json_is_object(x) && (!cs || strcmp(str_at(x, "name"), "agent") == 0))
        cs = x;
    if (cs)
        container_why(cs, &l);
    if (!l.n) {
        /* Not started yet: its phase, and the first condition that does not hold. */
        add(&l, "%s", *str_at(st, "phase") ? str_at(st, "phase") : "no status yet");
        json_t *c;
        json_array_foreach(json_object_get(st, "conditions"), i, c)
        {
            if (strcmp(str_at(c, "status"), "True") == 0)
                continue;
            add(&l, ": %s not %s", *str_at(c, "type") ? str_at(c, "type") : "a condition",
                *str_at(c, "status") ? str_at(c, "status") : "known");
            if (*str_at(c, "reason"))
                add(&l, " (%s)", str_at(c, "reason"));
            if (*str_at(c, "message")) {
                const char *msg = str_at(c, "message");
                size_t line = strcspn(msg, "\n");
                add(&l, ": %.*s", (int)(line > AGENT_WHY_QUOTE ? AGENT_WHY_QUOTE : line), msg);
            }
            break;
        }
    }
    if (l.n >= size) {
        size_t keep = size > 4 ? size - 4 : 0;
        if (size > 4)
            memcpy(out + keep, "...", 4);
        else
            out[size - 1] = '\0';
    }
}
