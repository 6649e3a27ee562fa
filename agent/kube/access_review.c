/* access_review.c - the agent's rights, asked with SelfSubjectAccessReviews. */
#include "kube/access_review.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/names.h"

enum when { ALWAYS, KUBEARMOR, TAINT, TAINT_OWN_POD, RECORDING };

/* What the agent does with each resource (at most 3 verbs a row). */
static const struct {
    enum when when;
    const char *verbs[3], *group, *resource, *subresource;
} table[] = {
    /* The policies: watched (their list is the standby's own check), status merge-patched. */
    {ALWAYS, {"watch"}, "kscmp.io", "seccomppolicies", NULL},
    {ALWAYS, {"patch"}, "kscmp.io", "seccomppolicies", "status"},
    {ALWAYS, {"list", "watch"}, "kscmp.io", "clusterseccomppolicies", NULL},
    {ALWAYS, {"patch"}, "kscmp.io", "clusterseccomppolicies", "status"},
    {KUBEARMOR, {"list", "watch"}, "security.kubearmor.com", "kubearmorseccomppolicies", NULL},
    {KUBEARMOR, {"patch"}, "security.kubearmor.com", "kubearmorseccomppolicies", "status"},
    /* namespaceSelector; the node's pods (a field selector, which RBAC does not see). */
    {ALWAYS, {"list", "watch"}, "", "namespaces", NULL},
    {ALWAYS, {"list", "watch"}, "", "pods", NULL},
    /* Events on pods: posted, counted up, and after a restart found again. */
    {ALWAYS, {"create", "patch", "list"}, "", "events", NULL},
    /* The taint on its own Node; at SIGTERM its own pod read (is the node going down?). */
    {TAINT, {"get", "patch"}, "", "nodes", NULL},
    {TAINT_OWN_POD, {"get"}, "", "pods", NULL},
    /* The recorder: recordings watched, read again after a conflict, status merge-patched. */
    {RECORDING, {"list", "watch", "get"}, "kscmp.io", "seccomprecordings", NULL},
    {RECORDING, {"patch"}, "kscmp.io", "seccomprecordings", "status"},
};

_Static_assert(sizeof(table) / sizeof(*table) * 3 <= ACCESS_MAX_RIGHTS, "ACCESS_MAX_RIGHTS");
_Static_assert(ACCESS_MAX_RIGHTS <= KUBE_FETCH_MAX_POSTS, "all sent at once");

size_t access_rights(const struct access_needs *n, struct access_right *out)
{
    /* Its own pod is read only when its names are ones node_taint.c puts in a path. */
    bool own_pod = n->taint && n->pod_ns && dns_subdomain_valid(n->pod_ns) && n->pod_name &&
                   dns_subdomain_valid(n->pod_name);
    size_t count = 0;
    for (size_t i = 0; i < sizeof(table) / sizeof(*table); i++) {
        enum when w = table[i].when;
        if ((w == KUBEARMOR && !n->kubearmor) || (w == TAINT && !n->taint) ||
            (w == TAINT_OWN_POD && !own_pod) || (w == RECORDING && !n->recording))
            continue;
        /* Asked as the agent will ask: its Node, its pod by name (a grant limited to them
         * by resourceNames is enough). */
        const char *ns = w == TAINT_OWN_POD ? n->pod_ns : NULL;
        const char *name = w == TAINT ? n->node : w == TAINT_OWN_POD ? n->pod_name : NULL;
        for (size_t v = 0; v < 3 && table[i].verbs[v]; v++)
            out[count++] = (struct access_right){table[i].verbs[v],
                                                 table[i].group,
                                                 table[i].resource,
                                                 table[i].subresource,
                                                 ns,
                                                 name};
    }
    return count;
}

char *access_review_body(const struct access_right *r)
{
    json_t *review =
        json_pack("{s:s, s:s, s:{s:{s:s, s:s, s:s}}}", "apiVersion", "authorization.k8s.io/v1",
                  "kind", "SelfSubjectAccessReview", "spec", "resourceAttributes", "verb", r->verb,
                  "group", r->group, "resource", r->resource);
    json_t *attrs = json_object_get(json_object_get(review, "spec"), "resourceAttributes");
    const char *const keys[] = {"subresource", "namespace", "name"};
    const char *const values[] = {r->subresource, r->ns, r->name};
    bool ok = attrs != NULL;
    for (size_t i = 0; i < 3 && ok; i++)
        ok = !values[i] || json_object_set_new(attrs, keys[i], json_string(values[i])) == 0;
    char *text = ok ? json_dumps(review, JSON_COMPACT) : NULL;
    json_decref(review);
    return text;
}

int access_review_allowed(const json_t *answer, struct kerr *err)
{
    const char *kind = json_string_value(json_object_get(answer, "kind"));
    json_t *allowed = json_object_get(json_object_get(answer, "status"), "allowed");
    if (!kind || strcmp(kind, "SelfSubjectAccessReview") != 0 || !json_is_boolean(allowed))
        return kerr_set(err, -EPROTO,
                        "%s: the answer is not a SelfSubjectAccessReview with status.allowed "
                        "(kind %s)",
                        ACCESS_REVIEWS_PATH, kind ? kind : "not given");
    return json_is_true(allowed) ? 1 : 0;
}

void access_right_text(const struct access_right *r, char *buf, size_t size)
{
    snprintf(buf, size, "%s %s%s%s (%s)", r->verb, r->resource, r->subresource ? "/" : "",
             r->subresource ? r->subresource : "", *r->group ? r->group : "core");
}

int access_check(struct kube_fetch *f, const struct access_needs *n, struct kerr *err)
{
    struct access_right rights[ACCESS_MAX_RIGHTS];
    size_t count = access_rights(n, rights);
    char *bodies[ACCESS_MAX_RIGHTS] = {0};
    json_t *answers[ACCESS_MAX_RIGHTS] = {0};
    int r = 0;
    for (size_t i = 0; i < count && r == 0; i++)
        if (!(bodies[i] = access_review_body(&rights[i])))
            r = -ENOMEM;
    if (r == 0)
        r = kube_fetch_post_all(f, ACCESS_REVIEWS_PATH, (const char *const *)bodies, count, answers,
                                err);
    /* Every right refused is named, as far as the message has room (then how many more). */
    char missing[KERR_MSG_MAX - 100] = "";
    size_t used = 0, denied = 0, untold = 0;
    for (size_t i = 0; i < count && r == 0; i++) {
        int allowed = access_review_allowed(answers[i], err);
        if (allowed < 0) {
            r = allowed;
        } else if (!allowed) {
            char one[160];
            access_right_text(&rights[i], one, sizeof(one));
            int w =
                snprintf(missing + used, sizeof(missing) - used, "%s%s", denied ? ", " : "", one);
            if (w > 0 && (size_t)w < sizeof(missing) - used - 20)
                used += (size_t)w;
            else {
                missing[used] = '\0';
                untold++;
            }
            denied++;
        }
    }
    for (size_t i = 0; i < count; i++) {
        free(bodies[i]);
        json_decref(answers[i]);
    }
    if (r == 0 && denied) {
        if (untold)
            snprintf(missing + used, sizeof(missing) - used, " and %zu more", untold);
        r = kerr_set(err, -EPERM, "%s", missing);
    }
    return r;
}
