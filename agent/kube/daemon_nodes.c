/* daemon_nodes.c - see daemon_nodes.h. */
#include "kube/daemon_nodes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/line.h"

/* The string under key, or "" when it is missing or not a string. */
static const char *str_at(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : "";
}

bool toleration_tolerates(json_t *toleration, json_t *taint)
{
    if (!json_is_object(toleration) || !json_is_object(taint))
        return false;
    const char *effect = str_at(toleration, "effect");
    if (*effect && strcmp(effect, str_at(taint, "effect")) != 0)
        return false;
    const char *key = str_at(toleration, "key"), *op = str_at(toleration, "operator");
    if (strcmp(op, "Exists") == 0)
        return !*key || strcmp(key, str_at(taint, "key")) == 0;
    if (*op && strcmp(op, "Equal") != 0)
        return false;
    return *key && strcmp(key, str_at(taint, "key")) == 0 &&
           strcmp(str_at(toleration, "value"), str_at(taint, "value")) == 0;
}

/* The tolerations the DaemonSet controller adds to every pod of a DaemonSet, so that a node
 * in trouble, or cordoned, keeps its node agents (network-unavailable for host-network pods
 * only). */
static const struct {
    const char *key, *effect;
    bool host_network_only;
} daemon_tolerations[] = {
    {"node.kubernetes.io/not-ready", "NoExecute", false},
    {"node.kubernetes.io/unreachable", "NoExecute", false},
    {"node.kubernetes.io/disk-pressure", "NoSchedule", false},
    {"node.kubernetes.io/memory-pressure", "NoSchedule", false},
    {"node.kubernetes.io/pid-pressure", "NoSchedule", false},
    {"node.kubernetes.io/unschedulable", "NoSchedule", false},
    {"node.kubernetes.io/network-unavailable", "NoSchedule", true},
};

static bool daemon_tolerates(json_t *pod_spec, json_t *taint)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(pod_spec, "tolerations"), i, t)
    {
        if (toleration_tolerates(t, taint))
            return true;
    }
    bool host_network = json_is_true(json_object_get(pod_spec, "hostNetwork"));
    for (i = 0; i < sizeof(daemon_tolerations) / sizeof(daemon_tolerations[0]); i++)
        if (strcmp(daemon_tolerations[i].key, str_at(taint, "key")) == 0 &&
            strcmp(daemon_tolerations[i].effect, str_at(taint, "effect")) == 0 &&
            (!daemon_tolerations[i].host_network_only || host_network))
            return true;
    return false;
}

json_t *daemon_untolerated_taint(json_t *pod_spec, json_t *node, size_t *ret_more)
{
    json_t *first = NULL, *t;
    size_t more = 0, i;
    json_array_foreach(json_object_get(json_object_get(node, "spec"), "taints"), i, t)
    {
        const char *effect = str_at(t, "effect");
        if (strcmp(effect, "NoSchedule") != 0 && strcmp(effect, "NoExecute") != 0)
            continue; /* PreferNoSchedule (or nothing known) keeps no pod off */
        if (daemon_tolerates(pod_spec, t))
            continue;
        if (first)
            more++;
        else
            first = t;
    }
    if (ret_more)
        *ret_more = more;
    return first;
}

bool node_selector_matches(json_t *node_selector, json_t *labels, const char **ret_key)
{
    const char *key;
    json_t *want;
    json_object_foreach(node_selector, key, want)
    {
        if (!json_is_string(want))
            continue;
        const char *have = json_string_value(json_object_get(labels, key));
        if (!have || strcmp(have, json_string_value(want)) != 0) {
            if (ret_key)
                *ret_key = key;
            return false;
        }
    }
    return true;
}

/* Whether value is one of the strings of values (an array; of another type: none). */
static bool value_in(const char *value, json_t *values)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
            return true;
    }
    return false;
}

/* A whole decimal integer of s, or false. */
static bool parse_int(const char *s, long long *ret)
{
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *ret = n;
    return true;
}

/* One requirement of a node selector term; value: the node's label (or field), NULL when it
 * has none. */
static bool requirement_holds(json_t *req, const char *value)
{
    const char *op = str_at(req, "operator");
    json_t *values = json_object_get(req, "values");
    if (strcmp(op, "In") == 0)
        return value && value_in(value, values);
    if (strcmp(op, "NotIn") == 0)
        return !value || !value_in(value, values);
    if (strcmp(op, "Exists") == 0)
        return value != NULL;
    if (strcmp(op, "DoesNotExist") == 0)
        return value == NULL;
    if (strcmp(op, "Gt") == 0 || strcmp(op, "Lt") == 0) {
        long long have, bound;
        if (json_array_size(values) != 1 || !parse_int(value, &have) ||
            !parse_int(json_string_value(json_array_get(values, 0)), &bound))
            return false;
        return op[0] == 'G' ? have > bound : have < bound;
    }
    return false; /* an operator Kubernetes does not have */
}

static bool term_selects(json_t *term, json_t *node)
{
    json_t *md = json_object_get(node, "metadata");
    json_t *labels = json_object_get(md, "labels");
    json_t *exprs = json_object_get(term, "matchExpressions");
    json_t *fields = json_object_get(term, "matchFields");
    if (!json_array_size(exprs) && !json_array_size(fields))
        return false; /* an empty term selects nothing */
    size_t i;
    json_t *req;
    json_array_foreach(exprs, i, req)
    {
        const char *key = str_at(req, "key");
        if (!requirement_holds(req, json_string_value(json_object_get(labels, key))))
            return false;
    }
    json_array_foreach(fields, i, req)
    {
        if (strcmp(str_at(req, "key"), "metadata.name") != 0 ||
            !requirement_holds(req, json_string_value(json_object_get(md, "name"))))
            return false;
    }
    return true;
}

bool node_affinity_matches(json_t *affinity, json_t *node)
{
    json_t *terms =
        json_object_get(json_object_get(json_object_get(affinity, "nodeAffinity"),
                                        "requiredDuringSchedulingIgnoredDuringExecution"),
                        "nodeSelectorTerms");
    if (!json_is_array(terms))
        return true;
    size_t i;
    json_t *term;
    json_array_foreach(terms, i, term)
    {
        if (term_selects(term, node))
            return true;
    }
    return false;
}

bool daemon_keeps_off(json_t *pod_spec, json_t *node, const char *daemonset, char *why, size_t size)
{
    if (!size)
        return false;
    struct line l = line_init(why, size);
    why[0] = '\0';
    size_t more = 0;
    json_t *taint = daemon_untolerated_taint(pod_spec, node, &more);
    if (taint) {
        const char *value = str_at(taint, "value");
        line_add(&l, "taint %s%s%s:%s not tolerated by DaemonSet %s", str_at(taint, "key"),
                 *value ? "=" : "", value, str_at(taint, "effect"), daemonset);
        if (more)
            line_add(&l, " (nor %zu other taint%s)", more, more == 1 ? "" : "s");
    }
    json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
    json_t *sel = json_object_get(pod_spec, "nodeSelector");
    const char *key = NULL;
    if (!node_selector_matches(sel, labels, &key)) {
        const char *have = json_string_value(json_object_get(labels, key));
        line_add(&l, "%snot selected by the nodeSelector of DaemonSet %s (%s=%s; the node ",
                 l.n ? "; " : "", daemonset, key, json_string_value(json_object_get(sel, key)));
        if (have)
            line_add(&l, "has %s=%s)", key, have);
        else
            line_add(&l, "has no label %s)", key);
    }
    if (!node_affinity_matches(json_object_get(pod_spec, "affinity"), node))
        line_add(&l, "%snot selected by the required node affinity of DaemonSet %s",
                 l.n ? "; " : "", daemonset);
    line_end(&l);
    return l.n > 0;
}

const char *node_not_ready(json_t *node)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(node, "status"), "conditions"), i, c)
    {
        if (strcmp(str_at(c, "type"), "Ready") != 0)
            continue;
        const char *st = str_at(c, "status");
        if (strcmp(st, "True") == 0)
            return NULL;
        return strcmp(st, "False") == 0 ? "node NotReady"
                                        : "node NotReady (its kubelet stopped reporting)";
    }
    return "no Ready condition (no kubelet has reported)";
}
