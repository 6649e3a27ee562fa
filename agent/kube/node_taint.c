/* node_taint.c - the agent-not-ready taint on the agent's own Node. */
#include "kube/node_taint.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/names.h"

int node_taint_patch(const char *node_json, size_t len, bool add, char **ret_patch,
                     struct kerr *err)
{
    json_error_t jerr;
    if (len > NODE_TAINT_NODE_MAX)
        return kerr_set(err, -EINVAL, "Node: %zu bytes, more than %u", len, NODE_TAINT_NODE_MAX);
    _cleanup_(json_decrefp) json_t *node = json_loadb(node_json, len, 0, &jerr);
    if (!json_is_object(node))
        return kerr_set(err, -EINVAL, "Node: not a JSON object%s%s", node ? "" : ": ",
                        node ? "" : jerr.text);
    const char *kind = json_string_value(json_object_get(node, "kind"));
    if (kind && strcmp(kind, "Node") != 0)
        return kerr_set(err, -EINVAL, "Node: kind is \"%s\"", kind);
    const char *rv =
        json_string_value(json_object_get(json_object_get(node, "metadata"), "resourceVersion"));
    if (!rv || !*rv)
        return kerr_set(err, -EINVAL, "Node: metadata.resourceVersion missing");
    json_t *spec = json_object_get(node, "spec");
    if (spec && !json_is_object(spec))
        return kerr_set(err, -EINVAL, "Node: spec is not an object");
    json_t *taints = json_object_get(spec, "taints");
    if (taints && !json_is_array(taints) && !json_is_null(taints))
        return kerr_set(err, -EINVAL, "Node: spec.taints is not a list");

    _cleanup_(json_decrefp) json_t *keep = json_array();
    if (!keep)
        return -ENOMEM;
    bool present = false;
    size_t i;
    json_t *tn;
    json_array_foreach(taints, i, tn)
    {
        const char *key = json_string_value(json_object_get(tn, "key"));
        if (!json_is_object(tn) || !key)
            return kerr_set(err, -EINVAL, "Node: spec.taints[%zu].key missing", i);
        if (strcmp(key, NODE_TAINT_KEY) == 0) {
            /* Ours, whatever its effect; a copy with another effect is replaced. */
            const char *eff = json_string_value(json_object_get(tn, "effect"));
            if (eff && strcmp(eff, NODE_TAINT_EFFECT) == 0)
                present = true;
            continue;
        }
        if (json_array_append(keep, tn) < 0)
            return -ENOMEM;
    }
    if (present == add && json_array_size(keep) + present == json_array_size(taints))
        return 0;
    if (add) {
        json_t *ours = json_pack("{s:s, s:s}", "key", NODE_TAINT_KEY, "effect", NODE_TAINT_EFFECT);
        if (!ours || json_array_append_new(keep, ours) < 0)
            return -ENOMEM;
    }
    _cleanup_(json_decrefp) json_t *patch =
        json_pack("{s:{s:s}, s:{s:O}}", "metadata", "resourceVersion", rv, "spec", "taints",
                  json_array_size(keep) ? keep : json_null());
    if (!patch)
        return -ENOMEM;
    char *text = json_dumps(patch, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return -ENOMEM;
    *ret_patch = text;
    return 1;
}

enum mode { M_IDLE, M_RELEASE, M_HOLD };

struct node_taint {
    struct kube *k;
    char *node, *pod_ns, *pod_name;
    struct kube_req *req;
    struct evtimer *retry, *deadline;
    enum mode mode;
    unsigned attempts;
    bool released, holding_done;
    void (*done)(void *userdata);
    void *done_userdata;
};

/* A name the agent puts in a request path: a DNS-1123 subdomain, as a Node's, a pod's and a
 * namespace's are (access_review.c asks for its own pod under the same test). */
static bool dns_name(const char *s)
{
    return s && dns_subdomain_valid(s);
}

static void get_node(struct node_taint *t);

/* The hold is over (tainted, not needed, failed or out of time): tell the caller once. */
static void hold_finish(struct node_taint *t)
{
    if (t->holding_done)
        return;
    t->holding_done = true;
    evtimer_cancel(t->deadline);
    if (t->req) {
        kube_cancel(t->req);
        t->req = NULL;
    }
    if (t->done)
        t->done(t->done_userdata);
}

static void failed(struct node_taint *t, const char *what)
{
    if (t->mode == M_HOLD) {
        log_warning("node %s: taint %s not added: %s", t->node, NODE_TAINT_KEY, what);
        hold_finish(t);
        return;
    }
    t->attempts++;
    uint64_t ms = backoff_jitter_ms(t->attempts, 500, 30000);
    log_warning("node %s: taint %s not removed yet: %s (again in %llu ms)", t->node, NODE_TAINT_KEY,
                what, (unsigned long long)ms);
    evtimer_arm(t->retry, ms);
}

/* " (the API server's message)" of a Kubernetes Status body into buf, or "" when it has none:
 * a refusal's reason (an admission policy's, RBAC's) is what the admin needs to read. */
static void status_text(const char *body, size_t len, char *buf, size_t size)
{
    buf[0] = '\0';
    json_t *j = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    const char *m = json_string_value(json_object_get(j, "message"));
    if (m && *m)
        snprintf(buf, size, ": %.300s", m);
    json_decref(j);
}

static void on_patch(long status, const char *body, size_t len, const char *error, void *userdata)
{
    struct node_taint *t = userdata;
    char what[512], msg[320];
    t->req = NULL;
    if (status == 200) {
        if (t->mode == M_HOLD) {
            log_info("node %s: tainted %s:%s until this node's agent has its profiles on disk "
                     "again",
                     t->node, NODE_TAINT_KEY, NODE_TAINT_EFFECT);
            hold_finish(t);
        } else {
            log_info("node %s: taint %s removed: the profiles are on disk", t->node,
                     NODE_TAINT_KEY);
            t->released = true;
            t->mode = M_IDLE;
        }
        return;
    }
    if (status == 409 && t->attempts < 20) { /* the Node changed meanwhile: read it again */
        t->attempts++;
        get_node(t);
        return;
    }
    if (status) {
        status_text(body, len, msg, sizeof(msg));
        snprintf(what, sizeof(what), "PATCH node: HTTP %ld%s", status, msg);
    } else
        snprintf(what, sizeof(what), "PATCH node: %s", error ? error : "no answer");
    failed(t, what);
}

static void on_node(long status, const char *body, size_t len, const char *error, void *userdata)
{
    struct node_taint *t = userdata;
    char what[512], msg[320];
    t->req = NULL;
    if (status == 404) { /* no Node object (an agent outside a cluster's nodes): no taint */
        log_info("node %s: no such Node: no taint to %s", t->node,
                 t->mode == M_HOLD ? "add" : "remove");
        if (t->mode == M_HOLD) {
            hold_finish(t);
        } else {
            t->released = true;
            t->mode = M_IDLE;
        }
        return;
    }
    if (status != 200) {
        if (status) {
            status_text(body, len, msg, sizeof(msg));
            snprintf(what, sizeof(what), "GET node: HTTP %ld%s", status, msg);
        } else
            snprintf(what, sizeof(what), "GET node: %s", error ? error : "no answer");
        failed(t, what);
        return;
    }
    _cleanup_free_ char *patch = NULL;
    struct kerr err = {0};
    int r = node_taint_patch(body, len, t->mode == M_HOLD, &patch, &err);
    if (r < 0) {
        failed(t, r == -ENOMEM ? "out of memory" : err.msg);
        return;
    }
    if (r == 0) {
        if (t->mode == M_HOLD) {
            hold_finish(t);
        } else {
            t->released = true;
            t->mode = M_IDLE;
        }
        return;
    }
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "/api/v1/nodes/%s", t->node) < 0) {
        failed(t, "out of memory");
        return;
    }
    struct kube_req_ops ops = {.done = on_patch, .userdata = t};
    if (kube_request(t->k, "PATCH", path, "application/merge-patch+json", patch, false, &ops,
                     &t->req) < 0)
        failed(t, "cannot send the PATCH");
}

static void get_node(struct node_taint *t)
{
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "/api/v1/nodes/%s", t->node) < 0) {
        failed(t, "out of memory");
        return;
    }
    struct kube_req_ops ops = {.done = on_node, .userdata = t};
    if (kube_request(t->k, "GET", path, NULL, NULL, false, &ops, &t->req) < 0)
        failed(t, "cannot send the GET");
}

static void on_retry(struct evtimer *timer, void *userdata)
{
    struct node_taint *t = userdata;
    if (t->mode == M_RELEASE && !t->req)
        get_node(t);
}

static void on_deadline(struct evtimer *timer, void *userdata)
{
    struct node_taint *t = userdata;
    log_warning("node %s: taint %s not added: no answer in time", t->node, NODE_TAINT_KEY);
    hold_finish(t);
}

static void on_own_pod(long status, const char *body, size_t len, const char *error, void *userdata)
{
    struct node_taint *t = userdata;
    t->req = NULL;
    if (status == 404) {
        log_info("node %s: not tainted: this agent's pod is deleted (a rollout or an uninstall)",
                 t->node);
        hold_finish(t);
        return;
    }
    if (status != 200) {
        if (status)
            log_warning("node %s: not tainted: this agent's pod %s/%s cannot be read (HTTP %ld)",
                        t->node, t->pod_ns, t->pod_name, status);
        else
            log_warning("node %s: not tainted: this agent's pod %s/%s cannot be read (%s)", t->node,
                        t->pod_ns, t->pod_name, error ? error : "no answer");
        hold_finish(t);
        return;
    }
    json_error_t jerr;
    _cleanup_(json_decrefp) json_t *pod = json_loadb(body, len, 0, &jerr);
    json_t *meta = json_object_get(pod, "metadata");
    if (!json_is_object(meta)) {
        log_warning("node %s: not tainted: this agent's pod is not a JSON object", t->node);
        hold_finish(t);
        return;
    }
    if (json_object_get(meta, "deletionTimestamp")) {
        log_info("node %s: not tainted: this agent's pod is being deleted (a rollout or an "
                 "uninstall)",
                 t->node);
        hold_finish(t);
        return;
    }
    get_node(t);
}

int node_taint_new(struct kube *k, struct evloop *l, const char *node, const char *pod_ns,
                   const char *pod_name, struct node_taint **ret)
{
    if (!dns_name(node))
        return -EINVAL;
    struct node_taint *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->k = k;
    if (pod_ns && pod_name && dns_name(pod_ns) && dns_name(pod_name)) {
        t->pod_ns = strdup(pod_ns);
        t->pod_name = strdup(pod_name);
    }
    t->node = strdup(node);
    if (!t->node || (pod_ns && pod_name && (!t->pod_ns || !t->pod_name)) ||
        evtimer_new(l, on_retry, t, &t->retry) < 0 ||
        evtimer_new(l, on_deadline, t, &t->deadline) < 0) {
        node_taint_free(t);
        return -ENOMEM;
    }
    *ret = t;
    return 0;
}

void node_taint_free(struct node_taint *t)
{
    if (!t)
        return;
    if (t->req)
        kube_cancel(t->req);
    evtimer_free(t->retry);
    evtimer_free(t->deadline);
    free(t->node);
    free(t->pod_ns);
    free(t->pod_name);
    free(t);
}

void node_taint_release(struct node_taint *t)
{
    if (t->mode != M_IDLE || t->released)
        return;
    t->mode = M_RELEASE;
    t->attempts = 0;
    get_node(t);
}

void node_taint_hold(struct node_taint *t, uint64_t timeout_ms, void (*done)(void *userdata),
                     void *userdata)
{
    evtimer_cancel(t->retry);
    if (t->req) {
        kube_cancel(t->req);
        t->req = NULL;
    }
    t->mode = M_HOLD;
    t->attempts = 0;
    t->done = done;
    t->done_userdata = userdata;
    t->holding_done = false;
    if (!t->pod_name) {
        log_info("node %s: not tainted: this agent's pod is unknown ($POD_NAME and "
                 "$POD_NAMESPACE unset), so a node going down cannot be told from a rollout",
                 t->node);
        hold_finish(t);
        return;
    }
    evtimer_arm(t->deadline, timeout_ms);
    _cleanup_free_ char *path = NULL;
    struct kube_req_ops ops = {.done = on_own_pod, .userdata = t};
    if (asprintf(&path, "/api/v1/namespaces/%s/pods/%s", t->pod_ns, t->pod_name) < 0 ||
        kube_request(t->k, "GET", path, NULL, NULL, false, &ops, &t->req) < 0) {
        log_warning("node %s: taint %s not added: cannot send the request", t->node,
                    NODE_TAINT_KEY);
        hold_finish(t);
    }
}

bool node_taint_released(const struct node_taint *t)
{
    return t->released;
}
