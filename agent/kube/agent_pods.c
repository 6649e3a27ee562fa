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

/* The pod's agent container's spec: named "agent", else the first. */
static json_t *agent_container(json_t *pod)
{
    json_t *ctrs = json_object_get(json_object_get(pod, "spec"), "containers"), *c, *first = NULL;
    size_t i;
    json_array_foreach(ctrs, i, c)
    {
        if (!json_is_object(c))
            continue;
        if (strcmp(str_at(c, "name"), "agent") == 0)
            return c;
        if (!first)
            first = c;
    }
    return first;
}

/* The number of port p (an integer, or the name of one of ports), 0 if none. */
static int port_number(json_t *p, json_t *ports)
{
    json_int_t n = 0;
    if (json_is_integer(p)) {
        n = json_integer_value(p);
    } else if (json_is_string(p)) {
        size_t i;
        json_t *x;
        json_array_foreach(ports, i, x) if (strcmp(str_at(x, "name"), json_string_value(p)) == 0)
            n = json_integer_value(json_object_get(x, "containerPort"));
    }
    return n > 0 && n < 65536 ? (int)n : 0;
}

int agent_pod_readyz_port(json_t *pod)
{
    json_t *st = json_object_get(pod, "status");
    if (!*str_at(st, "podIP") || !*str_at(json_object_get(pod, "spec"), "nodeName"))
        return 0;
    json_t *ctr = agent_container(pod), *cs = NULL, *x;
    size_t i;
    json_array_foreach(json_object_get(st, "containerStatuses"), i, x)
    {
        if (json_is_object(x) && strcmp(str_at(x, "name"), str_at(ctr, "name")) == 0)
            cs = x;
    }
    if (!ctr || !json_is_object(json_object_get(json_object_get(cs, "state"), "running")))
        return 0;
    json_t *ports = json_object_get(ctr, "ports");
    json_array_foreach(ports, i, x)
    {
        if (strcmp(str_at(x, "name"), "metrics") == 0)
            return port_number(json_object_get(x, "containerPort"), NULL);
    }
    return port_number(
        json_object_get(json_object_get(json_object_get(ctr, "readinessProbe"), "httpGet"), "port"),
        ports);
}

/* The length of the valid UTF-8 character at s (n bytes left), 0 if none starts there. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return s[0] ? 1 : 0; /* a NUL is written \\x00 */
    size_t len = s[0] >= 0xc2 && s[0] <= 0xdf   ? 2
                 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
                 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4
                                                : 0;
    if (!len || len > n)
        return 0;
    unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

/* Room kept at the end of the line for what follows the quote (" ...", " (HTTP 503)"). */
#define LINE_TAIL 24

/* Appends the first n bytes of b to l, at most max of them and not cutting a character, a byte
 * that is not valid UTF-8 as \\xNN; what would leave less than LINE_TAIL bytes of l's room is
 * not taken. Returns how many were taken. */
static size_t add_utf8(struct line *l, const unsigned char *b, size_t n, size_t max)
{
    size_t i = 0, room = l->size > LINE_TAIL ? l->size - LINE_TAIL : 0;
    while (i < n && i < max) {
        size_t k = utf8_char(b + i, n - i);
        if ((k && i + k > max) || l->n + (k ? k : 4) > room)
            break;
        if (k)
            line_add(l, "%.*s", (int)k, (const char *)b + i);
        else
            line_add(l, "\\x%02x", b[i]);
        i += k ? k : 1;
    }
    return i;
}

bool agent_readyz_answer(long code, const char *body, size_t len, char *out, size_t size)
{
    if (!size)
        return false;
    struct line l = line_init(out, size);
    if (!body)
        len = 0;
    /* The API server's own answer (it could not reach the pod, or refused the caller) is a
     * Status object of v1 whose status is Failure; the agent's is plain text. (A pod could
     * send such an object too: the shape is all that tells them apart.) */
    json_t *j = len && body[0] == '{' ? json_loadb(body, len, 0, NULL) : NULL;
    if (j && strcmp(str_at(j, "kind"), "Status") == 0 &&
        strcmp(str_at(j, "apiVersion"), "v1") == 0 && strcmp(str_at(j, "status"), "Failure") == 0) {
        const char *msg = str_at(j, "message");
        size_t n = strlen(msg);
        bool cut = add_utf8(&l, (const unsigned char *)msg, n, AGENT_WHY_QUOTE) < n;
        line_add(&l, "%s%s(HTTP %ld)", cut ? " ..." : "", *msg ? " " : "", code);
        json_decref(j);
        line_end(&l);
        return false;
    }
    json_decref(j);
    const unsigned char *b = (const unsigned char *)body;
    size_t end = 0;
    while (end < len && b[end] != '\n')
        end++;
    size_t rest = end;
    while (rest < len && (b[rest] == '\n' || b[rest] == '\r'))
        rest++;
    if (end && b[end - 1] == '\r')
        end--;
    size_t taken = add_utf8(&l, b, end, AGENT_WHY_QUOTE);
    if (!end)
        line_add(&l, "(an empty answer)");
    if (taken < end || rest < len)
        line_add(&l, " ...");
    line_end(&l);
    return true;
}
