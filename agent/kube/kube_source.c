/* kube_source.c - the Kubernetes side wired together: reflectors into the engine, syncs,
 * then status, Events and staleness. */
#include "kube/kube_source.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/names.h"
#include "engine/decode.h"
#include "engine/doc.h"
#include "kube/object_record.h"
#include "kube/pod_events.h"
#include "kube/policy_status.h"
#include "kube/recordings.h"
#include "kube/reflector.h"
#include "kube/stale_pods.h"

enum { R_NAMESPACES, R_PODS, R_POLICIES, R_CLUSTER_POLICIES, R_KUBEARMOR, R__COUNT };

/* What the agent uses of each kind (kube/json_prune.h): the rest of an object is skipped, not
 * built. The keys of a metav1.Status are kept too, for the object of a watch ERROR event. */
#define K(key)                                                                                     \
    {                                                                                              \
        key, NULL                                                                                  \
    }
#define STATUS_KEYS K("code"), K("message"), K("reason")
static const struct prune_rule keep_meta[] = {K("name"),
                                              K("namespace"),
                                              K("uid"),
                                              K("labels"),
                                              K("generation"),
                                              K("resourceVersion"),
                                              K("deletionTimestamp"),
                                              {NULL, NULL}};
static const struct prune_rule keep_security[] = {
    K("seccompProfile"), K("allowPrivilegeEscalation"), {NULL, NULL}};
static const struct prune_rule keep_container[] = {
    K("name"), {"securityContext", keep_security}, {NULL, NULL}};
static const struct prune_rule keep_pod_spec[] = {{"securityContext", keep_security},
                                                  {"initContainers", keep_container},
                                                  {"containers", keep_container},
                                                  {"ephemeralContainers", keep_container},
                                                  K("nodeName"),
                                                  {NULL, NULL}};
static const struct prune_rule keep_running[] = {K("startedAt"), {NULL, NULL}};
static const struct prune_rule keep_state[] = {{"running", keep_running}, {NULL, NULL}};
static const struct prune_rule keep_container_status[] = {
    K("name"), {"state", keep_state}, {NULL, NULL}};
static const struct prune_rule keep_pod_status[] = {
    {"initContainerStatuses", keep_container_status},
    {"containerStatuses", keep_container_status},
    {"ephemeralContainerStatuses", keep_container_status},
    {NULL, NULL}};
static const struct prune_rule keep_pod[] = {K("apiVersion"),
                                             K("kind"),
                                             {"metadata", keep_meta},
                                             {"spec", keep_pod_spec},
                                             {"status", keep_pod_status},
                                             STATUS_KEYS,
                                             {NULL, NULL}};
static const struct prune_rule keep_namespace[] = {
    K("apiVersion"), K("kind"), {"metadata", keep_meta}, STATUS_KEYS, {NULL, NULL}};
/* A policy whole, but for the metadata it does not need (managedFields, annotations such as
 * kubectl's last-applied-configuration, which double its size). */
static const struct prune_rule keep_policy[] = {
    K("apiVersion"), K("kind"),   {"metadata", keep_meta}, K("spec"), K("status"),
    STATUS_KEYS,     {NULL, NULL}};
#undef K
#undef STATUS_KEYS

/* Pods come in small pages: one may be up to 1.5 MiB. */
#define POD_PAGE 10

static const struct reflector_kind kinds[R__COUNT] = {
    /* kscmp's own kinds are needed: a 404 for them is waited out, nothing synced meanwhile. */
    [R_NAMESPACES] = {"/api/v1", "namespaces", "v1", "Namespace", false, 0, keep_namespace},
    [R_PODS] = {"/api/v1", "pods", "v1", "Pod", false, POD_PAGE, keep_pod},
    [R_POLICIES] = {"/apis/kscmp.io/v1", "seccomppolicies", "kscmp.io/v1", "SeccompPolicy", false,
                    0, keep_policy},
    [R_CLUSTER_POLICIES] = {"/apis/kscmp.io/v1", "clusterseccomppolicies", "kscmp.io/v1",
                            "ClusterSeccompPolicy", false, 0, keep_policy},
    [R_KUBEARMOR] = {"/apis/security.kubearmor.com/v1", "kubearmorseccomppolicies",
                     "security.kubearmor.com/v1", "KubeArmorSeccompPolicy", true, 0, keep_policy},
};

/* The reflector of each policy kind. */
static const int policy_reflector[PK__MAX] = {
    [PK_POLICY] = R_POLICIES,
    [PK_CLUSTER] = R_CLUSTER_POLICIES,
    [PK_KUBEARMOR] = R_KUBEARMOR,
};

struct kubesrc {
    struct kube *k;
    struct kube_transport t; /* requests on k */
    struct engine *e;
    struct evloop *l;
    struct metrics *m;
    struct reconciler *rec;
    struct store *s;
    struct reflector *r[R__COUNT];
    struct policy_status *status;
    struct pod_events *events;
    struct stale_pods *stale;
    struct recordings *recordings; /* NULL unless recording is enabled */
    struct evtimer *sync_timer;    /* a sync after changes */
    bool initial_done;
    uint64_t pending_event_us; /* earliest change not yet synced */
};

void kubesrc_free(struct kubesrc *src)
{
    if (!src)
        return;
    recordings_free(src->recordings);
    for (int i = 0; i < R__COUNT; i++)
        reflector_free(src->r[i]);
    policy_status_free(src->status);
    pod_events_free(src->events);
    stale_pods_free(src->stale);
    evtimer_free(src->sync_timer);
    free(src);
}

static int reflector_index(const struct kubesrc *src, const struct reflector *r)
{
    for (int i = 0; i < R__COUNT; i++)
        if (src->r[i] == r)
            return i;
    return -1;
}

static enum policy_kind policy_kind_of(int idx)
{
    return idx == R_CLUSTER_POLICIES ? PK_CLUSTER : idx == R_KUBEARMOR ? PK_KUBEARMOR : PK_POLICY;
}

/* Whether a policy's status holds a condition of type Ready (the one the agents write). */
static bool has_ready_condition(json_t *status)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(status, "conditions"), i, c)
    {
        const char *type = json_string_value(json_object_get(c, "type"));
        if (type && strcmp(type, "Ready") == 0)
            return true;
    }
    return false;
}

/* Puts one object from a list or a watch into the engine: 1 when it changed, 0 when not (or
 * when it is ignored: it cannot be decoded), -ENOMEM when it could not be taken in. */
static int on_apply(struct reflector *r, const char *key, json_t *obj, void **record,
                    void *userdata)
{
    struct kubesrc *src = userdata;
    int idx = reflector_index(src, r);
    struct object_record *rec = *record;
    json_t *meta = json_object_get(obj, "metadata");
    int64_t gen = json_integer_value(json_object_get(meta, "generation"));
    const char *uid = json_string_value(json_object_get(meta, "uid"));
    bool is_policy = idx >= R_POLICIES;
    if (is_policy && rec && gen && rec->generation == gen && uid && rec->uid &&
        strcmp(uid, rec->uid) == 0) {
        /* Only its status or metadata moved (our own patch, usually): nothing to compile. */
        json_t *st = json_object_get(obj, "status");
        json_t *copy = st ? json_deep_copy(st) : NULL;
        if (st && !copy)
            return -ENOMEM;
        json_decref(rec->status);
        rec->status = copy;
        object_record_set_rv(rec, json_string_value(json_object_get(meta, "resourceVersion")));
        /* Someone removed the status (or its Ready condition): written again, as after a
         * change (the agents' herd logic lets one of them write it). Another status an agent
         * wrote is left alone: agents of two versions could otherwise overwrite each other's
         * for good. */
        if (!has_ready_condition(copy)) {
            struct ns_name n;
            if (ns_name_split(key, &n) == 0)
                policy_status_mark(src->status, policy_kind_of(idx), ns_name_ns(&n));
            if (src->initial_done)
                evtimer_arm(src->sync_timer, 0);
        }
        return 0;
    }
    struct ynode *doc = NULL;
    struct kerr err = {0};
    struct object o = {0};
    int q = ydoc_from_json(obj, &doc, &err);
    if (q == 0)
        q = decode_object(doc, "", &o, &err);
    ynode_free(doc);
    if (q == -ENOMEM) {
        object_clear(&o);
        return q;
    }
    if (q < 0) {
        log_warning("%s %s: ignored: %s", kinds[idx].kind, key, err.msg);
        object_clear(&o);
        return 0;
    }
    if (!rec) {
        rec = calloc(1, sizeof(*rec));
        if (!rec) {
            object_clear(&o);
            return -ENOMEM;
        }
        *record = rec;
    }
    rec->generation = gen;
    free(rec->uid);
    rec->uid = uid ? strdup(uid) : NULL;
    json_decref(rec->status);
    rec->status = is_policy ? json_deep_copy(json_object_get(obj, "status")) : NULL;
    object_record_set_rv(
        rec, is_policy ? json_string_value(json_object_get(meta, "resourceVersion")) : NULL);
    rec->condition = COND_UNKNOWN;
    switch (o.type) {
    case OBJ_POLICY:
        if (o.policy->error)
            log_warning("%s", o.policy->error);
        policy_status_mark(src->status, o.policy->kind, o.policy->ns);
        q = engine_put_policy(src->e, TAKE_PTR(o.policy));
        break;
    case OBJ_POD:
        q = engine_put_pod(src->e, TAKE_PTR(o.pod));
        break;
    case OBJ_NAMESPACE:
        q = engine_put_namespace(src->e, TAKE_PTR(o.ns));
        break;
    default:
        break;
    }
    object_clear(&o);
    if (q == -ENOMEM) {
        /* Not in the engine: the object is applied again (the list or the watch is tried
         * again), and must then be decoded and put, not taken for a status-only change of what
         * this record says was put. */
        rec->generation = 0;
        return q;
    }
    if (q < 0)
        log_error("%s %s: %s", kinds[idx].kind, key, strerror(-q));
    return 1;
}

/* Takes an object that is gone out of the engine. */
static void on_remove(struct reflector *r, const char *key, void *record, void *userdata)
{
    struct kubesrc *src = userdata;
    struct object_record *rec = record;
    int idx = reflector_index(src, r);
    struct ns_name n;
    if (ns_name_split(key, &n) == 0) {
        switch (idx) {
        case R_NAMESPACES:
            engine_delete_namespace(src->e, n.name);
            break;
        case R_PODS:
            engine_delete_pod(src->e, ns_name_ns(&n), n.name);
            pod_events_forget(src->events, rec->uid);
            break;
        default:
            engine_delete_policy(src->e, policy_kind_of(idx), ns_name_ns(&n), n.name);
            policy_status_mark(src->status, policy_kind_of(idx), ns_name_ns(&n));
            break;
        }
    }
    object_record_free(rec);
}

static void on_sync_timer(struct evtimer *timer, void *userdata)
{
    struct kubesrc *src = userdata;
    if (!src->initial_done)
        return;
    uint64_t t = src->pending_event_us;
    src->pending_event_us = 0;
    if (src->recordings)
        recordings_update(src->recordings);
    reconciler_sync(src->rec, t);
    policy_status_update(src->status);
    stale_pods_check(src->stale, src->e, src->s, src->r[R_PODS], src->events, src->m);
}

/* Files written after their proof came in: their pods may run stale profiles now. */
static void on_files_written(void *userdata)
{
    struct kubesrc *src = userdata;
    if (src->initial_done)
        evtimer_arm(src->sync_timer, 0);
}

static void on_changed(struct reflector *r, void *userdata)
{
    struct kubesrc *src = userdata;
    uint64_t event_us = now_us();
    if (!src->pending_event_us || event_us < src->pending_event_us)
        src->pending_event_us = event_us;
    if (src->initial_done)
        evtimer_arm(src->sync_timer, 0);
}

/* Once every kind is listed: the first complete sync. */
static void on_listed(struct reflector *r, void *userdata)
{
    struct kubesrc *src = userdata;
    if (src->initial_done)
        return;
    for (int i = 0; i < R__COUNT; i++)
        if (!reflector_synced(src->r[i]))
            return;
    if (src->recordings && !recordings_synced(src->recordings))
        return;
    src->initial_done = true;
    uint64_t t = now_us();
    log_info("every kind is listed: first complete sync");
    engine_touch_all(src->e);
    if (src->recordings)
        recordings_update(src->recordings);
    reconciler_sync(src->rec, src->pending_event_us ? src->pending_event_us : t);
    src->pending_event_us = 0;
    reconciler_gc(src->rec);
    reconciler_initial_done(src->rec);
    policy_status_mark_all(src->status);
    policy_status_update(src->status);
    stale_pods_check(src->stale, src->e, src->s, src->r[R_PODS], src->events, src->m);
    log_info("first sync done in %.1f ms", (double)(now_us() - t) / 1000.0);
    malloc_trim(0); /* the list pages and their trees are freed: give the pages back */
}

/* Whether an Event that waited for its pod's budget is still owed: the engine answers for its
 * own reasons; another (a ProfileStale, the node's ProfileRefused) is -EOPNOTSUPP and goes. */
static int event_owed(const char *ns, const char *name, const char *reason, const char *message,
                      void *userdata)
{
    struct kubesrc *src = userdata;
    return engine_pod_event_now(src->e, ns, name, reason, message);
}

int kubesrc_new(struct kube *k, struct engine *e, struct evloop *l, struct metrics *m,
                struct reconciler *rec, struct store *s, const char *node, struct kubesrc **ret)
{
    struct kubesrc *src = calloc(1, sizeof(*src));
    if (!src)
        return -ENOMEM;
    *src = (struct kubesrc){
        .k = k, .t = kube_transport(k), .e = e, .l = l, .m = m, .rec = rec, .s = s};
    _cleanup_free_ char *sel = NULL, *esc = NULL, *pods_query = NULL;
    if (asprintf(&sel, "spec.nodeName=%s", node) < 0)
        sel = NULL;
    if (sel && (esc = kube_escape(sel)) && asprintf(&pods_query, "&fieldSelector=%s", esc) < 0)
        pods_query = NULL;
    int q = pods_query ? 0 : -ENOMEM;
    static const struct reflector_ops ops = {
        .apply = on_apply,
        .remove = on_remove,
        .free_record = object_record_free,
        .changed = on_changed,
        .listed = on_listed,
    };
    for (int i = 0; i < R__COUNT && q == 0; i++)
        q = reflector_new(&src->t, l, m, &kinds[i], i == R_PODS ? pods_query : NULL, &ops, src,
                          &src->r[i]);
    if (q == 0) {
        struct reflector *policies[PK__MAX];
        for (int kind = 0; kind < PK__MAX; kind++)
            policies[kind] = src->r[policy_reflector[kind]];
        q = policy_status_new(&src->t, e, l, m, policies, &src->status);
    }
    if (q == 0)
        q = pod_events_new(&src->t, l, m, node, &src->events);
    if (q == 0)
        pod_events_set_owed(src->events, event_owed, src);
    if (q == 0)
        q = stale_pods_new(&src->stale);
    if (q == 0)
        q = evtimer_new(l, on_sync_timer, src, &src->sync_timer);
    if (q < 0) {
        kubesrc_free(src);
        return q;
    }
    reconciler_set_written_hook(rec, on_files_written, src);
    *ret = src;
    return 0;
}

static void on_recordings_changed(void *userdata)
{
    on_changed(NULL, userdata);
}

static void on_recordings_listed(void *userdata)
{
    on_listed(NULL, userdata);
}

int kubesrc_enable_recordings(struct kubesrc *src, const char *node,
                              const struct recordings_opts *o)
{
    struct recordings_opts ro = *o;
    ro.changed = on_recordings_changed;
    ro.listed = on_recordings_listed;
    ro.userdata = src;
    return recordings_new(src->k, src->e, src->l, src->m, src->r[R_PODS], node, &ro,
                          &src->recordings);
}

void kubesrc_skip_kubearmor(struct kubesrc *src)
{
    reflector_turn_off(src->r[R_KUBEARMOR]);
    log_info("kubearmorseccomppolicies: not read (--kubearmor-policies=off)");
}

int kubesrc_start(struct kubesrc *src)
{
    srand((unsigned)now_us());
    for (int i = 0; i < R__COUNT; i++)
        reflector_list(src->r[i]);
    if (src->recordings)
        recordings_start(src->recordings);
    return 0;
}

void kubesrc_relist(struct kubesrc *src)
{
    for (int i = 0; i < R__COUNT; i++)
        reflector_list(src->r[i]);
    if (src->recordings)
        recordings_relist(src->recordings);
    /* Every file computed again, changed or not (a profile refused before is proven again when
     * the agent forgot the refusals), once the first sync ran: it computes them all. */
    engine_touch_all(src->e);
    if (src->initial_done)
        evtimer_arm(src->sync_timer, 0);
}

int kubesrc_event(const struct engine_event *ev, void *userdata)
{
    struct kubesrc *src = userdata;
    return ev->normal ? pod_events_post_normal(src->events, ev->pod, ev->reason, ev->message)
                      : pod_events_post(src->events, ev->pod, ev->reason, ev->message);
}
