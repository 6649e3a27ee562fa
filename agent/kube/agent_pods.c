/* agent_pods.c - see agent_pods.h. */
#include "kube/agent_pods.h"

#include <stdio.h>
#include <string.h>

#include "base/line.h"

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

static void container_why(json_t *cs, struct line *l)
{
    json_t *state = json_object_get(cs, "state");
    json_t *waiting = json_object_get(state, "waiting");
    json_t *term = json_object_get(json_object_get(cs, "lastState"), "terminated");
    if (!json_is_object(term))
        term = json_object_get(state, "terminated");
    if (json_is_object(waiting))
        line_add(l, "%s", *str_at(waiting, "reason") ? str_at(waiting, "reason") : "waiting");
    json_int_t restarts = json_integer_value(json_object_get(cs, "restartCount"));
    if (restarts > 0)
        line_add(l, "%srestarted %lld time%s", l->n ? ", " : "", (long long)restarts,
                 restarts == 1 ? "" : "s");
    if (json_is_object(term)) {
        const char *reason = str_at(term, "reason"), *msg = str_at(term, "message");
        line_add(l, "%slast exit status %lld", l->n ? "; " : "",
                 (long long)json_integer_value(json_object_get(term, "exitCode")));
        if (*reason)
            line_add(l, " (%s)", reason);
        if (*msg) {
            size_t line = strcspn(msg, "\n");
            bool cut = line > AGENT_WHY_QUOTE || msg[line];
            line_add(l, ": %.*s%s", (int)(line > AGENT_WHY_QUOTE ? AGENT_WHY_QUOTE : line), msg,
                     cut ? " ..." : "");
        }
    }
    if (!l->n && json_is_object(json_object_get(state, "running")))
        line_add(l, "running, not ready yet");
}

void agent_pod_why(json_t *pod, char *out, size_t size)
{
    if (!size)
        return;
    struct line l = line_init(out, size);
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
        line_add(&l, "%s", *str_at(st, "phase") ? str_at(st, "phase") : "no status yet");
        json_t *c;
        json_array_foreach(json_object_get(st, "conditions"), i, c)
        {
            if (strcmp(str_at(c, "status"), "True") == 0)
                continue;
            line_add(&l, ": %s not %s", *str_at(c, "type") ? str_at(c, "type") : "a condition",
                     *str_at(c, "status") ? str_at(c, "status") : "known");
            if (*str_at(c, "reason"))
                line_add(&l, " (%s)", str_at(c, "reason"));
            if (*str_at(c, "message")) {
                const char *msg = str_at(c, "message");
                size_t line = strcspn(msg, "\n");
                line_add(&l, ": %.*s", (int)(line > AGENT_WHY_QUOTE ? AGENT_WHY_QUOTE : line), msg);
            }
            break;
        }
    }
    line_end(&l);
}
