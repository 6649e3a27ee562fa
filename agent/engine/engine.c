/* engine.c - policy state, inheritance, contributions, files and their events. */
#include "engine/engine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/strv.h"
#include "base/hmap.h"
#include "base/spell.h"
#include "base/names.h"
#include "engine/decode.h"
#include "engine/startup.h"
#include "engine/recording.h"

/* One policy and what compiling it gave (cached until it or an ancestor changes). There are
 * ten thousand and more: the small fields share a word, and the notes, which most policies
 * have none of, are a pointer (104 bytes a policy; 152 before). */
struct pstate {
    struct policy *p;
    const char *key; /* the policies map's copy (10,000 policies: no copy of its own) */
    bool compiled;
    bool valid;
    uint8_t tag;        /* the caller's (engine_policy_swap_tag) */
    bool too_deep;      /* invalid because its chain is longer than EXTENDS_MAX */
    uint8_t depth;      /* when valid: policies in its extends chain, itself included */
    uint8_t good_depth; /* good's chain's length, as depth (both at most EXTENDS_MAX) */
    /* The last version of the policy that compiled (contract 2: a bad edit counts as
     * refused): p itself once it has compiled (p_good), else good, the version p replaced
     * when that one had compiled (NULL if none did). While p is invalid, that version still
     * reaches the files it reached, and gives them its rules (good_prof()). */
    bool p_good;
    /* It came before engine_past_known(): versions of it before the engine's start, unseen,
     * may have reached any pod of its scope. Until a version compiles, an invalid p reaches
     * them all (their files keep what they hold). */
    bool past_unseen;
    char *error; /* when invalid: why (the whole message) */
    char *cause; /* when invalid because an ancestor is: that ancestor's own message */
    /* When valid: the profile, or NULL when it was compiled for its status alone and not
     * kept (ensure_prof() compiles it again, the same). */
    struct cprof *prof;
    struct compile_notes *notes; /* its compile's warnings and conflicts; NULL: none */
    struct pstate *parent;
    uint64_t mark;            /* the last invalidation that reached it (cycles end there) */
    struct pstate *work_next; /* the invalidation's work stack */
    struct policy *good;
    struct cprof *good_prof; /* that version's profile, compiled at good_epoch (a cache) */
    uint64_t good_epoch;
};

_Static_assert(EXTENDS_MAX <= UINT8_MAX, "a chain's length fits in pstate's depth");

static const struct compile_notes no_notes;

static const struct compile_notes *notes_of(const struct pstate *s)
{
    return s->notes ? s->notes : &no_notes;
}

static void notes_free(struct pstate *s)
{
    compile_notes_clear(s->notes);
    free(s->notes);
    s->notes = NULL;
}

/* Keeps n as s's notes when it holds any (taken), else clears it. 0, or -ENOMEM (n cleared). */
static int notes_keep(struct pstate *s, struct compile_notes *n)
{
    notes_free(s);
    if (!n->nwarnings && !n->nconflicts)
        return 0;
    s->notes = malloc(sizeof(*s->notes));
    if (!s->notes) {
        compile_notes_clear(n);
        return -ENOMEM;
    }
    *s->notes = *n;
    *n = (struct compile_notes){0};
    return 0;
}

struct pvec {
    struct pstate **v;
    size_t n, cap;
};

struct podstate {
    struct pod *pod;
    char *key;
    char **rels;    /* files of ours it references */
    bool *rels_nnp; /* rels_nnp[i]: every container using rels[i] runs with no_new_privs */
    size_t nrels;
    char **refused; /* messages for refused references */
    size_t nrefused;
    bool events_due;
};

struct fstate {
    char *rel;
    char *ns;
    bool dirty;
};

/* A recording (README: recording in a cluster) of one file: the pods it selects run under a
 * recording profile. */
struct rstate {
    struct selector sel;
    char *origin; /* "SeccompRecording NS/NAME" */
};

static void rstate_free(void *v)
{
    struct rstate *r = v;
    if (!r)
        return;
    selector_free(&r->sel);
    free(r->origin);
    free(r);
}

struct engine {
    struct sysdb *db;
    int native_arch; /* arch.h index: the ABI the container runtime runs in */
    archmask_t node_arches;
    bool startup;                       /* add the start-up syscalls no policy names (default) */
    bool past_known;                    /* engine_past_known(): a policy put now is new */
    struct startup_set startup_sets[2]; /* by startup_mode, on native_arch: resolved when first
                                         * used (startup_set()) */
    bool startup_sets_ready[2];
    struct cprof *runtime_default; /* compiled when a policy first extends it */
    struct hmap policies;          /* key "K/ns/name" -> pstate */
    struct hmap children;          /* parent key as parent_key() spells it -> pvec of the policies
                                    * whose extends names it (found or not) */
    uint64_t epoch;                /* counts invalidations */
    struct hmap by_ns;             /* namespace -> pvec of its namespaced policies */
    struct pvec cluster;           /* cluster policies */
    struct hmap namespaces;        /* name -> k8s_namespace */
    struct hmap ns_unknown;        /* name -> why its labels are not known (the source said) */
    struct hmap pods;              /* "ns/name" -> podstate */
    struct hmap files;             /* rel -> fstate */
    struct hmap recordings;        /* rel -> rstate */
    void (*log)(const struct policy *p, const char *line, void *userdata);
    void *log_userdata;
};

static const char kind_letter[PK__MAX] = {'P', 'C', 'K'};

static void touch_namespace(struct engine *e, const char *ns);

/* The map key of a policy: "P/ns/name", "C//name" or "K/ns/name". */
static char *key_string(struct policy_key k)
{
    char *s = NULL;
    if (asprintf(&s, "%c/%s/%s", kind_letter[k.kind], k.ns ? k.ns : "", k.name) < 0)
        return NULL;
    return s;
}

/* The same into buf; NULL when it does not fit. */
static const char *key_format(struct policy_key k, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%c/%s/%s", kind_letter[k.kind], k.ns ? k.ns : "", k.name);
    return n >= 0 && (size_t)n < len ? buf : NULL;
}

/* How the children of p name it: a namespaced child names its parent as a SeccompPolicy,
 * and a KubeArmorSeccompPolicy answers to that name. */
static struct policy_key children_key_of(const struct policy *p)
{
    struct policy_key k = policy_key_of(p);
    if (k.kind == PK_KUBEARMOR)
        k.kind = PK_POLICY;
    return k;
}

static void pstate_reset(struct pstate *s)
{
    s->compiled = false;
    s->valid = false;
    free(s->error);
    s->error = NULL;
    free(s->cause);
    s->cause = NULL;
    s->depth = 0;
    s->too_deep = false;
    cprof_free(s->prof);
    s->prof = NULL;
    notes_free(s);
    s->parent = NULL;
    cprof_free(s->good_prof);
    s->good_prof = NULL;
}

static void good_clear(struct pstate *s)
{
    policy_free(s->good);
    s->good = NULL;
    cprof_free(s->good_prof);
    s->good_prof = NULL;
}

/* The version of invalid policy s whose rules its files take, as if the bad edits were
 * refused (good_prof()): its current one when that one compiled once (another policy's edit
 * made it invalid) or when it is invalid through an ancestor alone (its own edit is not known
 * to be at fault: whether it compiles on what the ancestor gives is found then), else its last
 * version that compiled, or NULL. Known once s is compiled. */
static const struct policy *fallback_version(const struct pstate *s)
{
    return s->p_good || s->cause ? s->p : s->good;
}

static int compile_state(struct engine *e, struct pstate *s);
static struct pstate *pstate_get(const struct engine *e, struct policy_key k);

static void pstate_free(void *v)
{
    struct pstate *s = v;
    if (!s)
        return;
    pstate_reset(s);
    good_clear(s);
    policy_free(s->p);
    free(s);
}

static void podstate_free(void *v)
{
    struct podstate *s = v;
    if (!s)
        return;
    pod_free(s->pod);
    free(s->key);
    strv_free(s->rels, s->nrels);
    free(s->rels_nnp);
    strv_free(s->refused, s->nrefused);
    free(s);
}

static void fstate_free(void *v)
{
    struct fstate *f = v;
    if (!f)
        return;
    free(f->rel);
    free(f->ns);
    free(f);
}

static void pvec_free(void *v)
{
    struct pvec *pv = v;
    if (pv)
        free(pv->v);
    free(pv);
}

static void ns_free(void *v)
{
    namespace_free(v);
}

static int pvec_add(struct pvec *pv, struct pstate *s)
{
    if (pv->n == pv->cap) {
        size_t nc = pv->cap ? pv->cap * 2 : 8;
        struct pstate **v = realloc(pv->v, nc * sizeof(*v));
        if (!v)
            return -ENOMEM;
        pv->v = v;
        pv->cap = nc;
    }
    pv->v[pv->n++] = s;
    return 0;
}

static void pvec_del(struct pvec *pv, struct pstate *s)
{
    for (size_t i = 0; i < pv->n; i++)
        if (pv->v[i] == s) {
            pv->v[i] = pv->v[--pv->n];
            return;
        }
}

int engine_new(int native_arch, struct engine **ret)
{
    struct engine *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    int a = native_arch >= 0 ? native_arch : arch_native();
    if (a < 0) {
        free(e);
        return -ENOTSUP;
    }
    e->native_arch = a;
    e->node_arches = arch_with_compat(a);
    e->startup = true;
    hmap_init(&e->policies);
    hmap_init(&e->children);
    hmap_init(&e->by_ns);
    hmap_init(&e->namespaces);
    hmap_init(&e->ns_unknown);
    hmap_init(&e->pods);
    hmap_init(&e->files);
    hmap_init(&e->recordings);
    int r = sysdb_new(&e->db);
    if (r < 0) {
        engine_free(e);
        return r;
    }
    *ret = e;
    return 0;
}

void engine_free(struct engine *e)
{
    if (!e)
        return;
    hmap_clear(&e->policies, pstate_free);
    hmap_clear(&e->children, pvec_free);
    hmap_clear(&e->by_ns, pvec_free);
    free(e->cluster.v);
    hmap_clear(&e->namespaces, ns_free);
    hmap_clear(&e->ns_unknown, free);
    hmap_clear(&e->pods, podstate_free);
    hmap_clear(&e->files, fstate_free);
    hmap_clear(&e->recordings, rstate_free);
    cprof_free(e->runtime_default);
    sysdb_free(e->db);
    free(e);
}

archmask_t engine_node_arches(const struct engine *e)
{
    return e->node_arches;
}

int engine_native_arch(const struct engine *e)
{
    return e->native_arch;
}

void engine_set_startup(struct engine *e, bool on)
{
    if (e->startup == on)
        return;
    e->startup = on;
    touch_namespace(e, NULL);
}

bool engine_startup(const struct engine *e)
{
    return e->startup;
}

struct sysdb *engine_sysdb(struct engine *e)
{
    return e->db;
}

void engine_set_logger(struct engine *e,
                       void (*log)(const struct policy *p, const char *line, void *userdata),
                       void *userdata)
{
    e->log = log;
    e->log_userdata = userdata;
}

static void touch_namespace(struct engine *e, const char *ns)
{
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&e->files, &it); h; h = hmap_next(&e->files, &it)) {
        struct fstate *f = h->value;
        if (!ns || strcmp(f->ns, ns) == 0)
            f->dirty = true;
    }
}

void engine_touch_all(struct engine *e)
{
    touch_namespace(e, NULL);
    /* Refused references are told again too (a full resync re-tells everything). */
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&e->pods, &it); h; h = hmap_next(&e->pods, &it))
        ((struct podstate *)h->value)->events_due = true;
}

/* The map key of the policy p extends (NULL for none and runtime/default). */
static char *parent_key(const struct policy *p)
{
    struct policy_key k;
    return policy_parent(p, &k) ? key_string(k) : NULL;
}

/* The state of the policy k, or NULL. */
static struct pstate *pstate_get(const struct engine *e, struct policy_key k)
{
    _cleanup_free_ char *key = key_string(k);
    return key ? hmap_get(&e->policies, key) : NULL;
}

/* The namespaced parent may be a SeccompPolicy or a KubeArmorSeccompPolicy of that name. */
static struct pstate *find_parent(struct engine *e, const struct policy *p)
{
    struct policy_key k;
    if (!policy_parent(p, &k))
        return NULL;
    struct pstate *s = pstate_get(e, k);
    if (!s && k.kind == PK_POLICY) {
        k.kind = PK_KUBEARMOR;
        s = pstate_get(e, k);
    }
    return s;
}

/* Whether the parent p names is both a SeccompPolicy and a KubeArmorSeccompPolicy: which of
 * the two was meant is not known, and either could be the looser. */
static bool parent_ambiguous(struct engine *e, const struct policy *p)
{
    struct policy_key k;
    if (!policy_parent(p, &k) || k.kind != PK_POLICY || !pstate_get(e, k))
        return false;
    k.kind = PK_KUBEARMOR;
    return pstate_get(e, k) != NULL;
}

/* Records (add) or forgets (!add) that s extends what s->p->extends names. */
static int children_index(struct engine *e, struct pstate *s, bool add)
{
    _cleanup_free_ char *pk = parent_key(s->p);
    if (!pk)
        return 0;
    if (!add) {
        struct pvec *pv = hmap_get(&e->children, pk);
        if (pv)
            pvec_del(pv, s);
        return 0;
    }
    struct pvec *pv = hmap_get_or_new(&e->children, pk, sizeof(*pv));
    return pv ? pvec_add(pv, s) : -ENOMEM;
}

/* Pushes on *stack the policies whose extends names p and that this invalidation has not
 * reached yet, dropping their compiled state. */
static void push_children(struct engine *e, const struct policy *p, uint64_t epoch,
                          struct pstate **stack)
{
    char buf[512];
    const char *key = key_format(children_key_of(p), buf, sizeof(buf));
    struct pvec *pv = key ? hmap_get(&e->children, key) : NULL;
    for (size_t i = 0; pv && i < pv->n; i++) {
        struct pstate *c = pv->v[i];
        if (c->mark == epoch)
            continue; /* reached already (a cycle, or two paths) */
        c->mark = epoch;
        pstate_reset(c);
        c->work_next = *stack;
        *stack = c;
    }
}

/* Drops the compiled state of s and of every policy whose chain of parents reaches it (also
 * through parents that do not exist yet), however deep: a loop over an intrusive stack, each
 * policy visited once. */
static void invalidate_from(struct engine *e, struct pstate *s)
{
    uint64_t epoch = ++e->epoch;
    struct pstate *stack = NULL;
    s->mark = epoch;
    pstate_reset(s);
    push_children(e, s->p, epoch, &stack);
    while (stack) {
        struct pstate *c = stack;
        stack = c->work_next;
        c->work_next = NULL;
        push_children(e, c->p, epoch, &stack);
    }
}

/* s changed (its current policy is what changed, or what it was before). */
static void policy_changed(struct engine *e, struct pstate *s)
{
    invalidate_from(e, s);
    touch_namespace(e, s->p->kind == PK_CLUSTER ? NULL : s->p->ns);
}

static void logf_(struct engine *e, const struct policy *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int good_prof(struct engine *e, struct pstate *s, const struct cprof **ret);

/* Whether the current version of s is what its files take (the version a bad edit after it
 * falls back to): it compiled, or it is invalid through an ancestor alone, not since before
 * the engine's past is known, and compiles on the ancestors' fallbacks (good_prof()). Compiles
 * s when it was not (two puts with no sync between). 0 or a negative errno. */
static int in_force(struct engine *e, struct pstate *s, bool *ret)
{
    *ret = false;
    int r = compile_state(e, s);
    if (r < 0)
        return r;
    if (s->p_good) {
        *ret = true;
        return 0;
    }
    if (s->valid || !s->cause || s->past_unseen)
        return 0;
    const struct cprof *gp = NULL;
    if ((r = good_prof(e, s, &gp)) < 0)
        return r;
    *ret = gp != NULL;
    return 0;
}

int engine_policy_in_force(struct engine *e, const struct policy *p, bool *ret)
{
    struct pstate *s = pstate_get(e, policy_key_of(p));
    if (!s)
        return -ENOENT;
    return in_force(e, s, ret);
}

int engine_put_policy(struct engine *e, struct policy *p)
{
    return engine_put_policy_held(e, p, false);
}

int engine_put_policy_held(struct engine *e, struct policy *p, bool held)
{
    _cleanup_(policy_freep) struct policy *own = p;
    _cleanup_free_ char *nsw = engine_policy_warning(p);
    if (nsw)
        logf_(e, p, "warning: %s", nsw);
    _cleanup_free_ char *key = key_string(policy_key_of(p));
    if (!key)
        return -ENOMEM;
    struct pstate *s = hmap_get(&e->policies, key);
    /* Whether the version being replaced is in force (compiled when it was not: two puts
     * with no sync between): a bad edit that follows falls back to it, not to an older one.
     * Not for a held definition (the source does not know which of two was meant): the one it
     * replaces was never in force unless it had compiled already. */
    bool keep_old = s && s->p_good;
    if (s && !held) {
        int q = in_force(e, s, &keep_old);
        if (q < 0)
            return q;
    }
    if (s) {
        policy_changed(e, s); /* what the old version touched */
        children_index(e, s, false);
        if (keep_old) {
            /* Kept in case the new one does not compile (dropped once a version does). */
            good_clear(s);
            s->good = s->p;
        } else
            policy_free(s->p);
        s->p_good = false;
        s->p = TAKE_PTR(own);
        int r = children_index(e, s, true);
        policy_changed(e, s);
        return r;
    }
    s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->p = TAKE_PTR(own);
    s->past_unseen = !e->past_known;
    int r = hmap_put(&e->policies, key, s, NULL);
    if (r < 0) {
        pstate_free(s);
        return r;
    }
    s->key = hmap_key(&e->policies, key);
    if (s->p->kind == PK_CLUSTER)
        r = pvec_add(&e->cluster, s);
    else {
        struct pvec *pv = hmap_get_or_new(&e->by_ns, s->p->ns, sizeof(*pv));
        r = pv ? pvec_add(pv, s) : -ENOMEM;
    }
    if (r == 0 && (r = children_index(e, s, true)) < 0) {
        if (s->p->kind == PK_CLUSTER)
            pvec_del(&e->cluster, s);
        else
            pvec_del(hmap_get(&e->by_ns, s->p->ns), s);
    }
    if (r < 0) {
        hmap_remove(&e->policies, key);
        pstate_free(s);
        return r;
    }
    policy_changed(e, s);
    return 0;
}

int engine_delete_policy(struct engine *e, enum policy_kind kind, const char *ns, const char *name)
{
    _cleanup_free_ char *key = key_string((struct policy_key){kind, ns, name});
    if (!key)
        return -ENOMEM;
    struct pstate *s = hmap_get(&e->policies, key);
    if (!s)
        return -ENOENT;
    policy_changed(e, s);
    children_index(e, s, false);
    hmap_remove(&e->policies, key);
    if (s->p->kind == PK_CLUSTER)
        pvec_del(&e->cluster, s);
    else {
        struct pvec *pv = hmap_get(&e->by_ns, s->p->ns);
        if (pv)
            pvec_del(pv, s);
    }
    pstate_free(s);
    return 0;
}

void engine_past_known(struct engine *e)
{
    e->past_known = true;
}

int engine_remember_policy(struct engine *e, struct policy *prev)
{
    _cleanup_(policy_freep) struct policy *own = prev;
    _cleanup_free_ char *key = key_string(policy_key_of(prev));
    if (!key)
        return -ENOMEM;
    struct pstate *s = hmap_get(&e->policies, key);
    if (!s)
        return -ENOENT;
    if (prev->selector_unknown || prev->error || s->p_good)
        return 0; /* not a version that compiled, or the current one compiled since */
    good_clear(s);
    s->good = TAKE_PTR(own);
    e->epoch++; /* the profiles of last good versions change (good_prof()) */
    touch_namespace(e, prev->kind == PK_CLUSTER ? NULL : prev->ns);
    return 0;
}

const struct policy *engine_get_policy(const struct engine *e, enum policy_kind kind,
                                       const char *ns, const char *name)
{
    struct pstate *s = pstate_get(e, (struct policy_key){kind, ns, name});
    return s ? s->p : NULL;
}

int engine_put_namespace(struct engine *e, struct k8s_namespace *n)
{
    void *old = NULL;
    int r = hmap_put(&e->namespaces, n->name, n, &old);
    if (r < 0) {
        namespace_free(n);
        return r;
    }
    bool same = old && labels_equal(&((struct k8s_namespace *)old)->labels, &n->labels);
    namespace_free(old);
    free(hmap_remove(&e->ns_unknown, n->name));
    if (!same)
        touch_namespace(e, n->name);
    return 0;
}

int engine_delete_namespace(struct engine *e, const char *name)
{
    char *why = hmap_remove(&e->ns_unknown, name);
    struct k8s_namespace *n = hmap_remove(&e->namespaces, name);
    if (why)
        touch_namespace(e, name); /* its pods' Events no longer say why */
    free(why);
    if (!n)
        return -ENOENT;
    touch_namespace(e, name);
    namespace_free(n);
    return 0;
}

int engine_namespace_unknown(struct engine *e, const char *name, const char *why)
{
    char *copy = strdup(why);
    void *old = NULL;
    if (!copy || hmap_put(&e->ns_unknown, name, copy, &old) < 0) {
        free(copy);
        copy = NULL;
    }
    struct k8s_namespace *n = hmap_remove(&e->namespaces, name);
    if (n || !old || !copy || strcmp(old, copy) != 0)
        touch_namespace(e, name); /* the held files' Events say the new why */
    free(old);
    namespace_free(n);
    return copy ? 0 : -ENOMEM;
}

const char *engine_namespace_why(const struct engine *e, const char *name)
{
    return hmap_get(&e->ns_unknown, name);
}

/* True when ref leads into kscmp/ as the kubelet reads it (it joins the path to its seccomp
 * folder, which drops empty and "." elements and resolves ".."): its first element other
 * than "" and "." is kscmp, or it has a ".." and a kscmp element (the API server refuses
 * "..", so only a pod from a file can have one). The admission policy's rule
 * (deploy/07-pod-policy.yaml). Iterative, bounded by the length of ref. */
static bool ref_leads_into_kscmp(const char *ref)
{
    bool first = true, dotdot = false, kscmp = false, first_kscmp = false;
    for (const char *p = ref; *p;) {
        size_t n = strcspn(p, "/");
        bool is_kscmp = n == 5 && memcmp(p, "kscmp", 5) == 0;
        if (n == 2 && memcmp(p, "..", 2) == 0)
            dotdot = true;
        kscmp |= is_kscmp;
        if (first && n > 0 && !(n == 1 && p[0] == '.')) {
            first = false;
            first_kscmp = is_kscmp;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    return first_kscmp || (dotdot && kscmp);
}

int engine_classify_ref(const char *pod_ns, const char *ref, char **ret_rel, struct kerr *err)
{
    if (strncmp(ref, "kscmp/", 6) != 0) {
        if (!ref_leads_into_kscmp(ref))
            return 1;
        return kerr_set(err, -EPERM,
                        "localhostProfile \"%s\" is refused: the kubelet reads it as a path into "
                        "kscmp/, and a pod of namespace \"%s\" may only name kscmp/%s/NAME.json, "
                        "written so",
                        ref, pod_ns, pod_ns);
    }
    struct ns_name n;
    const char *ns = NULL;
    char name[256] = "";
    if (ns_name_split(ref + 6, &n) == 0 && (ns = ns_name_ns(&n)) && !strchr(n.name, '/')) {
        size_t len = strlen(n.name);
        if (len > 5 && len - 5 < sizeof(name) && strcmp(n.name + len - 5, ".json") == 0) {
            memcpy(name, n.name, len - 5);
            name[len - 5] = '\0';
        }
    }
    if (!ns || !dns_label_valid(ns) || !dns_subdomain_valid(name))
        return kerr_set(err, -EPERM,
                        "localhostProfile \"%s\" is refused: it must be kscmp/%s/NAME.json with "
                        "NAME a DNS-1123 subdomain",
                        ref, pod_ns);
    if (strlen(name) > PROFILE_NAME_MAX)
        return kerr_set(
            err, -EPERM,
            "localhostProfile \"%s\" is refused: NAME is %zu characters long, and the "
            "file NAME.json must fit in a file name of 255 bytes: at most %d characters",
            ref, strlen(name), PROFILE_NAME_MAX);
    if (strcmp(ns, pod_ns) != 0)
        return kerr_set(err, -EPERM,
                        "localhostProfile \"%s\" is refused: it is in the folder of namespace "
                        "\"%s\", and a pod of namespace \"%s\" may only use kscmp/%s/",
                        ref, ns, pod_ns, pod_ns);
    char *rel = NULL;
    if (asprintf(&rel, "%s/%s.json", ns, name) < 0)
        return -ENOMEM;
    *ret_rel = rel;
    return 0;
}

static struct fstate *file_get(struct engine *e, const char *rel, const char *ns)
{
    struct fstate *f = hmap_get(&e->files, rel);
    if (f)
        return f;
    f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->rel = strdup(rel);
    f->ns = strdup(ns);
    if (!f->rel || !f->ns || hmap_put(&e->files, rel, f, NULL) < 0) {
        fstate_free(f);
        return NULL;
    }
    return f;
}

/* Marks the files of a pod as touched; those no pod references any more as gone. */
static void touch_pod_files(struct engine *e, const struct podstate *ps)
{
    for (size_t i = 0; i < ps->nrels; i++) {
        struct fstate *f = hmap_get(&e->files, ps->rels[i]);
        if (f)
            f->dirty = true;
    }
}

static int podstate_build(struct podstate *ps, struct kerr *err)
{
    const struct pod *p = ps->pod;
    for (size_t i = 0; i < p->nrefs; i++) {
        char *rel = NULL;
        struct kerr e2 = {0};
        int r = engine_classify_ref(p->ns, p->refs[i], &rel, &e2);
        if (r == 1)
            continue;
        char ***v = r == 0 ? &ps->rels : &ps->refused;
        size_t *n = r == 0 ? &ps->nrels : &ps->nrefused;
        char *item = r == 0 ? rel : strdup(e2.msg);
        if (r < 0 && r != -EPERM) {
            free(item);
            return r;
        }
        if (r == 0) {
            bool *b = item ? realloc(ps->rels_nnp, (ps->nrels + 1) * sizeof(*b)) : NULL;
            if (!b) {
                free(item);
                return -ENOMEM;
            }
            ps->rels_nnp = b;
            b[ps->nrels] = p->refs_nnp && p->refs_nnp[i];
        }
        r = strv_push(v, n, item);
        if (r < 0)
            return r;
    }
    return 0;
}

static bool str_same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether b differs from a only in what no file or Event depends on: its containers' states
 * (the kubelet's updates of a running pod's status). */
static bool pod_same_but_containers(const struct pod *a, const struct pod *b)
{
    if (!str_same(a->uid, b->uid) || !str_same(a->node_name, b->node_name) ||
        !str_same(a->file, b->file) || a->line != b->line || a->nrefs != b->nrefs ||
        !labels_equal(&a->labels, &b->labels))
        return false;
    for (size_t i = 0; i < a->nrefs; i++)
        if (strcmp(a->refs[i], b->refs[i]) != 0 ||
            (a->refs_nnp && a->refs_nnp[i]) != (b->refs_nnp && b->refs_nnp[i]))
            return false;
    return true;
}

int engine_put_pod(struct engine *e, struct pod *p)
{
    _cleanup_free_ char *key = NULL;
    if (asprintf(&key, "%s/%s", p->ns, p->name) < 0) {
        key = NULL;
        pod_free(p);
        return -ENOMEM;
    }
    /* The same pod again but for its containers' states (a status update: several in each
     * pod's life): it replaces the one held, and its files are not computed again. Its refused
     * references are told again, as for any put of a pod (cheap: no file is computed). */
    struct podstate *held = hmap_get(&e->pods, key);
    if (held && pod_same_but_containers(held->pod, p)) {
        pod_free(held->pod);
        held->pod = p;
        held->events_due = true;
        return 0;
    }
    struct podstate *ps = calloc(1, sizeof(*ps));
    if (!ps) {
        pod_free(p);
        return -ENOMEM;
    }
    ps->key = TAKE_PTR(key);
    ps->pod = p;
    ps->events_due = true;
    int r = podstate_build(ps, NULL);
    for (size_t i = 0; r == 0 && i < ps->nrels; i++)
        if (!file_get(e, ps->rels[i], p->ns))
            r = -ENOMEM;
    void *old = NULL;
    if (r == 0)
        r = hmap_put(&e->pods, ps->key, ps, &old);
    if (r < 0) {
        podstate_free(ps);
        return r;
    }
    if (old) {
        touch_pod_files(e, old);
        podstate_free(old);
    }
    touch_pod_files(e, ps);
    return 0;
}

int engine_delete_pod(struct engine *e, const char *ns, const char *name)
{
    _cleanup_free_ char *key = NULL;
    if (asprintf(&key, "%s/%s", ns, name) < 0)
        return -ENOMEM;
    struct podstate *ps = hmap_remove(&e->pods, key);
    if (!ps)
        return -ENOENT;
    touch_pod_files(e, ps);
    podstate_free(ps);
    return 0;
}

int engine_put_object(struct object *o, void *engine)
{
    struct engine *e = engine;
    switch (o->type) {
    case OBJ_POLICY:
        return engine_put_policy(e, TAKE_PTR(o->policy));
    case OBJ_NAMESPACE:
        return engine_put_namespace(e, TAKE_PTR(o->ns));
    case OBJ_POD:
        return engine_put_pod(e, TAKE_PTR(o->pod));
    default:
        return 0;
    }
}

const struct k8s_namespace *engine_get_namespace(const struct engine *e, const char *name)
{
    return hmap_get(&e->namespaces, name);
}

bool engine_namespace_known(const struct engine *e, const char *ns)
{
    if (hmap_get(&e->namespaces, ns) || hmap_get(&e->ns_unknown, ns))
        return true;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&e->pods, &it); h; h = hmap_next(&e->pods, &it))
        if (strcmp(((struct podstate *)h->value)->pod->ns, ns) == 0)
            return true;
    return false;
}

const struct pod *engine_get_pod(const struct engine *e, const char *ns, const char *name)
{
    _cleanup_free_ char *key = NULL;
    if (asprintf(&key, "%s/%s", ns, name) < 0)
        return NULL;
    struct podstate *ps = hmap_get(&e->pods, key);
    return ps ? ps->pod : NULL;
}

/* Hands the logger one line about policy p. */
static void logf_(struct engine *e, const struct policy *p, const char *fmt, ...)
{
    if (!e->log)
        return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    e->log(p, buf, e->log_userdata);
}

static int set_error(struct pstate *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_error(struct pstate *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&s->error, fmt, ap);
    va_end(ap);
    if (r < 0)
        s->error = NULL;
    s->valid = false;
    s->compiled = true;
    return 0;
}

/* "FILE:LINE: KIND ID" (line: the object's, or a field's) or "KIND ID" for API objects. */
static const char *where_at(const struct policy *p, int line, char *buf, size_t len)
{
    char id[300];
    if (p->file && *p->file)
        snprintf(buf, len, "%s:%d: %s %s", p->file, line > 0 ? line : p->line,
                 policy_kind_name(p->kind), policy_id(p, id, sizeof(id)));
    else
        snprintf(buf, len, "%s %s", policy_kind_name(p->kind), policy_id(p, id, sizeof(id)));
    return buf;
}

static const char *where(const struct policy *p, char *buf, size_t len)
{
    return where_at(p, p->line, buf, len);
}

static bool extends_nothing(const struct policy *p)
{
    return !p->extends || strcmp(p->extends, "runtime/default") == 0;
}

/* The message a descendant quotes when s is invalid: the reason of the ancestor at fault. */
static const char *cause_of(const struct pstate *s)
{
    return s->cause ? s->cause : s->error ? s->error : "invalid";
}

/* s is invalid because its parent par is: one level of message, quoting the policy at fault. */
static int set_parent_invalid(struct pstate *s, const struct pstate *par, const char *cause)
{
    char w[400], id[300];
    int r = set_error(s, "%s: spec.extends: parent %s is invalid: %s",
                      where_at(s->p, s->p->extends_line, w, sizeof(w)),
                      policy_id(par->p, id, sizeof(id)), cause);
    s->cause = strdup(cause);
    return r;
}

static int set_missing_parent(struct pstate *s)
{
    const struct policy *p = s->p;
    char w[400];
    struct policy_key k = {PK_POLICY, NULL, "?"};
    policy_parent(p, &k);
    return set_error(s, "%s: spec.extends: parent \"%s\" not found (no %s %s%s%s%s)",
                     where_at(p, p->extends_line, w, sizeof(w)), p->extends,
                     policy_kind_name(k.kind), k.ns ? k.ns : "", k.ns ? "/" : "", k.name,
                     p->ns_defaulted ? "; the policy has no metadata.namespace: it is in "
                                       "\"default\", where its parent is looked for"
                                     : "");
}

int engine_parent_hint(struct engine *e, const struct policy *p, char *buf, size_t size)
{
    struct policy_key k;
    if (!policy_parent(p, &k) || find_parent(e, p))
        return -1;
    /* A bare name that is a ClusterSeccompPolicy's: its kind was left out. */
    struct policy_key ck = {PK_CLUSTER, NULL, k.name};
    if (k.kind != PK_CLUSTER && pstate_get(e, ck)) {
        snprintf(buf, size, "there is a ClusterSeccompPolicy %s: write ClusterSeccompPolicy/%s",
                 k.name, k.name);
        return 1;
    }
    /* Else the name of the kind and namespace looked in that is nearest. */
    struct spell near;
    spell_init(&near, k.name);
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&e->policies, &it); h;
         h = hmap_next(&e->policies, &it)) {
        const struct policy *q = ((const struct pstate *)h->value)->p;
        bool kind = k.kind == PK_CLUSTER ? q->kind == PK_CLUSTER : q->kind != PK_CLUSTER;
        if (kind && (k.kind == PK_CLUSTER || (q->ns && strcmp(q->ns, k.ns) == 0)))
            spell_offer(&near, q->name);
    }
    if (!near.best)
        return 0;
    snprintf(buf, size, "did you mean \"%s%s\"?",
             k.kind == PK_CLUSTER && cluster_policy_ref(p->extends) ? "ClusterSeccompPolicy/" : "",
             near.best);
    return 1;
}

static int set_ambiguous_parent(struct pstate *s)
{
    const struct policy *p = s->p;
    char w[400];
    return set_error(s,
                     "%s: spec.extends: parent \"%s\" is ambiguous: a SeccompPolicy and a "
                     "KubeArmorSeccompPolicy %s/%s both exist; rename or delete one",
                     where_at(p, p->extends_line, w, sizeof(w)), p->extends, p->ns ? p->ns : "",
                     p->extends);
}

/* chain[0] extends chain[1] ... extends chain[n-1], which extends chain[0]. */
static int set_cycle(struct pstate *s, struct pstate *const *chain, size_t n)
{
    char w[400], id[300];
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    for (size_t i = 0; i <= n; i++)
        fprintf(f, "%s%s", i ? " -> " : "", policy_id(chain[i % n]->p, id, sizeof(id)));
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    int r = set_error(s, "%s: spec.extends: cycle: %s",
                      where_at(s->p, s->p->extends_line, w, sizeof(w)), buf);
    free(buf);
    return r;
}

/* s is too deep: its extends chain (s, chain[1] or par, ...) is longer than EXTENDS_MAX. */
static int set_too_deep(struct pstate *s, struct pstate *const *chain, size_t n,
                        const struct pstate *par)
{
    char w[400], a[300], b[300];
    int r = set_error(s,
                      "%s: spec.extends: the extends chain is longer than %d policies (%s -> %s -> "
                      "...); at most %d are allowed, this policy included",
                      where_at(s->p, s->p->extends_line, w, sizeof(w)), EXTENDS_MAX,
                      policy_id(chain[0]->p, a, sizeof(a)),
                      policy_id((n > 1 ? chain[1] : par)->p, b, sizeof(b)), EXTENDS_MAX);
    s->too_deep = true;
    return r;
}

/* 3.4: a ClusterSeccompPolicy with a namespaceSelector and no selector applies to no pod,
 * which is hardly what its namespaceSelector meant. The warning, or NULL. */
char *engine_policy_warning(const struct policy *p)
{
    const char *ns =
        p->ns_defaulted ? "no metadata.namespace: it is in namespace \"default\" (kubectl apply "
                          "would put it in the namespace of its context), where it selects "
                          "pods and finds its parent"
        : p->ns_ignored ? "metadata.namespace is ignored: a ClusterSeccompPolicy is in no "
                          "namespace and applies in every namespace its namespaceSelector picks "
                          "(every one without it); to limit it to one, give it a "
                          "namespaceSelector, or make it a SeccompPolicy"
                        : NULL;
    const char *sel = p->kind == PK_CLUSTER && p->ns_selector.present && !p->selector.present &&
                              !p->selector_unknown
                          ? "spec.namespaceSelector is set but spec.selector is not: the policy "
                            "selects no pod (selector: {} selects every pod of the namespaces it "
                            "picks)"
                          : NULL;
    if (!ns && !sel)
        return NULL;
    char w[400], *msg = NULL;
    int line = ns && p->ns_line_delta ? p->line + p->ns_line_delta : p->line;
    if (asprintf(&msg, "%s: %s%s%s", where_at(p, line, w, sizeof(w)), ns ? ns : "",
                 ns && sel ? "; " : "", sel ? sel : "") < 0)
        return NULL;
    return msg;
}

static int ensure_prof(struct engine *e, struct pstate *s);

/* The profile policy p is compiled on top of: its parent par's, else runtime/default's when
 * p extends it, else none. */
static const struct cprof *parent_prof_of(const struct engine *e, const struct policy *p,
                                          const struct pstate *par)
{
    return par ? par->prof : p->extends ? e->runtime_default : NULL;
}

/* Compiles one policy on top of its parent (parent NULL: none or runtime/default), whose
 * state is known. */
static int compile_on(struct engine *e, struct pstate *s, struct pstate *par)
{
    const struct policy *p = s->p;
    char w[400];
    if (par && !par->valid)
        return set_parent_invalid(s, par, cause_of(par));
    if (par) {
        int r = ensure_prof(e, par);
        if (r < 0)
            return r;
    }
    if (!par && p->extends && !e->runtime_default) {
        int r = profile_runtime_default(e->db, e->node_arches, &e->runtime_default);
        if (r < 0)
            return r;
    }
    struct kerr err = {0};
    struct compile_notes notes = {0};
    _cleanup_(cprof_freep) struct cprof *prof = NULL;
    int r =
        profile_compile(p, parent_prof_of(e, p, par), e->node_arches, e->db, &prof, &notes, &err);
    if (r == -ENOMEM) {
        compile_notes_clear(&notes);
        return r;
    }
    /* Told when the policy arrives (engine_put_policy), kept for its status. */
    char *told[] = {r < 0 ? NULL : engine_policy_warning(p)};
    for (size_t i = 0; i < ELEMENTSOF(told); i++) {
        if (!told[i])
            continue;
        char **v = realloc(notes.warnings, (notes.nwarnings + 1) * sizeof(*v));
        if (!v) {
            for (size_t k = i; k < ELEMENTSOF(told); k++)
                free(told[k]);
            compile_notes_clear(&notes);
            return -ENOMEM;
        }
        notes.warnings = v;
        v[notes.nwarnings++] = told[i];
    }
    int k = notes_keep(s, &notes);
    if (k < 0)
        return k;
    if (r < 0)
        return set_error(s, "%s", err.msg);
    cprof_free(s->prof);
    s->prof = TAKE_PTR(prof);
    s->valid = true;
    s->compiled = true;
    s->parent = par;
    s->depth = par ? par->depth + 1 : 1;
    s->p_good = true;
    s->past_unseen = false; /* its files are written from this version on */
    good_clear(s);
    const struct compile_notes *n = notes_of(s);
    for (size_t i = 0; i < n->nwarnings - (told[0] != NULL); i++)
        logf_(e, p, "warning: %s", n->warnings[i]);
    if (n->nconflicts) {
        char list[1024];
        size_t off = 0;
        list[0] = '\0';
        for (size_t i = 0; i < n->nconflicts && off < sizeof(list); i++)
            off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "",
                                    n->conflicts[i]);
        logf_(e, p,
              "conflict: %s loosens what its parent, %s, sets (%s): it is compiled with its own "
              "rules winning and detached from the parent's descendants",
              where(p, w, sizeof(w)), p->extends, list);
    }
    return 0;
}

/* Compiles s (and the ancestors it needs). No recursion: one walk up the extends chain,
 * at most EXTENDS_MAX policies long, then a loop down it. What decides s is a function of
 * that window alone (so the order in which policies are compiled never matters):
 * - walking up from s, the first policy with a decode error, a missing parent, or whose
 *   parent is already on the walk (a cycle) is at fault: s is invalid, quoting its reason
 *   (s's own reason when s is the one at fault, or is on the cycle);
 * - a walk that would take in more than EXTENDS_MAX policies: s is too deep;
 * - else the chain ends (no parent, runtime/default, or a policy compiled valid whose depth
 *   keeps the whole within EXTENDS_MAX) and is compiled from the top down. */
static int compile_state(struct engine *e, struct pstate *s)
{
    if (s->compiled)
        return 0;
    struct pstate *chain[EXTENDS_MAX];
    size_t n = 0;
    struct pstate *cur = s, *top = NULL; /* top: a valid compiled ancestor the walk ends at */
    for (;;) {
        chain[n++] = cur;
        const struct policy *p = cur->p;
        if (p->error) {
            if (cur == s)
                return set_error(s, "%s", p->error);
            return set_parent_invalid(s, chain[1], p->error);
        }
        if (extends_nothing(p))
            break;
        struct pstate *par = find_parent(e, p);
        if (!par) {
            if (cur == s)
                return set_missing_parent(s);
            if (!cur->compiled)
                set_missing_parent(cur);
            return set_parent_invalid(s, chain[1], cause_of(cur));
        }
        if (parent_ambiguous(e, p)) {
            if (cur == s)
                return set_ambiguous_parent(s);
            if (!cur->compiled)
                set_ambiguous_parent(cur);
            return set_parent_invalid(s, chain[1], cause_of(cur));
        }
        size_t j = 0;
        while (j < n && chain[j] != par)
            j++;
        if (j < n) { /* chain[j..n) is a cycle */
            if (j == 0)
                return set_cycle(s, chain, n);
            if (!par->compiled) {
                int r = set_cycle(par, chain + j, n - j);
                if (r < 0)
                    return r;
            }
            return set_parent_invalid(s, chain[1], cause_of(par));
        }
        /* Too deep: the walk would take in more than EXTENDS_MAX, or it reaches a policy known
         * to be too deep (whose window of EXTENDS_MAX policies, free of faults, then makes
         * all but the last of this one's). */
        if (n == EXTENDS_MAX || (par->compiled && par->valid && n + par->depth > EXTENDS_MAX) ||
            (par->compiled && par->too_deep))
            return set_too_deep(s, chain, n, par);
        if (par->compiled && par->valid) {
            top = par;
            break;
        }
        cur = par;
    }
    /* Down the chain: each policy on top of its parent. */
    for (size_t k = n; k-- > 0;) {
        if (chain[k]->compiled)
            continue;
        int r = compile_on(e, chain[k], k + 1 < n ? chain[k + 1] : top);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The profile of s, valid and compiled, whose profile was not kept: compiled again (and its
 * ancestors' that were not kept either: no recursion, the chain is at most EXTENDS_MAX long),
 * from the same policy, parent profile, architectures and syscall table, so the same. The
 * notes were kept the first time and are not told again. */
static int ensure_prof(struct engine *e, struct pstate *s)
{
    if (s->prof)
        return 0;
    if (!s->compiled || !s->valid)
        return -EINVAL; /* callers ask only for a valid policy's profile */
    struct pstate *chain[EXTENDS_MAX + 1];
    size_t n = 0;
    for (struct pstate *cur = s; cur && !cur->prof; cur = cur->parent) {
        if (n == ELEMENTSOF(chain) || !cur->compiled || !cur->valid)
            return -EINVAL; /* a valid policy's chain is at most EXTENDS_MAX long, all valid */
        chain[n++] = cur;
    }
    for (size_t k = n; k-- > 0;) {
        struct pstate *c = chain[k];
        if (!c->parent && c->p->extends && !e->runtime_default)
            return -EINVAL;
        struct compile_notes notes = {0};
        struct kerr err = {0};
        int r = profile_compile(c->p, parent_prof_of(e, c->p, c->parent), e->node_arches, e->db,
                                &c->prof, &notes, &err);
        compile_notes_clear(&notes);
        if (r < 0)
            return r == -ENOMEM ? r : -EINVAL; /* it compiled before: only memory can fail */
    }
    return 0;
}

/* What engine_policy_result() and engine_policy_status() answer about s. */
static struct policy_result result_of(const struct pstate *s)
{
    return (struct policy_result){
        .policy = s->p,
        .valid = s->valid,
        .error = s->error ? s->error : (s->valid ? NULL : "invalid"),
        .prof = s->prof,
        .warnings = notes_of(s)->warnings,
        .nwarnings = notes_of(s)->nwarnings,
        .conflicts = notes_of(s)->conflicts,
        .nconflicts = notes_of(s)->nconflicts,
        .parent = s->parent ? s->parent->p : NULL,
    };
}

int engine_policy_result(struct engine *e, const struct policy *p, struct policy_result *ret)
{
    struct pstate *s = pstate_get(e, policy_key_of(p));
    if (!s)
        return -ENOENT;
    int r = compile_state(e, s);
    if (r >= 0 && s->valid)
        r = ensure_prof(e, s);
    if (r < 0)
        return r;
    *ret = result_of(s);
    return 0;
}

int engine_policy_swap_tag(struct engine *e, const struct policy *p, uint8_t tag, uint8_t *ret_old)
{
    struct pstate *s = pstate_get(e, policy_key_of(p));
    if (!s)
        return -ENOENT;
    *ret_old = s->tag;
    s->tag = tag;
    return 0;
}

int engine_policy_status(struct engine *e, const struct policy *p, struct policy_result *ret)
{
    struct pstate *s = pstate_get(e, policy_key_of(p));
    if (!s)
        return -ENOENT;
    bool was_compiled = s->compiled;
    int r = compile_state(e, s);
    if (r < 0)
        return r;
    /* Compiled for this answer alone: no file asked for it (files are computed before the
     * statuses), so it is not kept. A child's compile or a file compiles it again. */
    if (!was_compiled && s->valid) {
        cprof_free(s->prof);
        s->prof = NULL;
    }
    *ret = result_of(s);
    return 0;
}

static int cmp_policy(const void *a, const void *b)
{
    const struct policy *x = *(const struct policy *const *)a,
                        *y = *(const struct policy *const *)b;
    /* Cluster policies (no namespace) first, then by namespace and name, then kind. */
    int c = strcmp(x->ns ? x->ns : "", y->ns ? y->ns : "");
    if (c == 0)
        c = strcmp(x->name, y->name);
    if (c == 0)
        c = (int)x->kind - (int)y->kind;
    return c;
}

int engine_list_policies(const struct engine *e, const struct policy ***ret, size_t *ret_n)
{
    const struct policy **v = calloc(e->policies.n + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t n = 0;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&e->policies, &it); h; h = hmap_next(&e->policies, &it))
        v[n++] = ((struct pstate *)h->value)->p;
    qsort(v, n, sizeof(*v), cmp_policy);
    *ret = v;
    *ret_n = n;
    return 0;
}

int engine_children(struct engine *e, const struct policy *p, const struct policy ***ret,
                    size_t *ret_n)
{
    /* The candidates: what the children index holds under p's key (children of a KubeArmor
     * policy name it as a SeccompPolicy), or every policy for runtime/default. */
    struct pvec *pv = NULL;
    if (p) {
        _cleanup_free_ char *key = key_string(children_key_of(p));
        if (!key)
            return -ENOMEM;
        pv = hmap_get(&e->children, key);
    }
    size_t cap = p ? (pv ? pv->n : 0) : e->policies.n;
    const struct policy **v = calloc(cap + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t n = 0;
    struct hmap_iter it;
    struct hmap_entry *h = p ? NULL : hmap_first(&e->policies, &it);
    for (size_t i = 0; p ? pv && i < pv->n : h != NULL; i++) {
        struct pstate *s = p ? pv->v[i] : h->value;
        if (!p)
            h = hmap_next(&e->policies, &it);
        if (!p && !(s->p->extends && strcmp(s->p->extends, "runtime/default") == 0))
            continue;
        int r = compile_state(e, s);
        if (r < 0) {
            free(v);
            return r;
        }
        bool attached = s->valid && notes_of(s)->nconflicts == 0;
        if (attached && (p ? s->parent && s->parent->p == p : !s->parent))
            v[n++] = s->p;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_policy);
    *ret = v;
    *ret_n = n;
    return 0;
}

/* The label every Namespace has, its name: known without the Namespace object. */
#define NS_NAME_LABEL "kubernetes.io/metadata.name"

static bool ns_selector_matches(const struct selector *s, const struct k8s_namespace *n,
                                const char *ns)
{
    if (!s->present)
        return true; /* omitted: every namespace */
    struct label extra = {(char *)NS_NAME_LABEL, (char *)ns};
    size_t cnt = (n ? n->labels.n : 0) + 1;
    _cleanup_free_ struct label *v = calloc(cnt, sizeof(*v));
    if (!v)
        return false;
    size_t k = 0;
    for (size_t i = 0; n && i < n->labels.n; i++)
        if (strcmp(n->labels.v[i].key, extra.key) != 0)
            v[k++] = n->labels.v[i];
    v[k++] = extra;
    struct labels l = {v, k};
    return selector_matches(s, &l);
}

/* Whether namespace selector s reads a label other than the namespace's name. */
static bool ns_selector_reads_labels(const struct selector *s)
{
    if (!s->present)
        return false;
    for (size_t i = 0; i < s->match.n; i++)
        if (strcmp(s->match.v[i].key, NS_NAME_LABEL) != 0)
            return true;
    for (size_t i = 0; i < s->nexprs; i++)
        if (strcmp(s->exprs[i].key, NS_NAME_LABEL) != 0)
            return true;
    return false;
}

/* Section 2: a ClusterSeccompPolicy contributes to a pod only if its namespaceSelector
 * matches the labels of the pod's Namespace. While that Namespace is not known (not among
 * the CLI's files, or not yet seen by the agent), whether such a policy contributes is not
 * known either, and the merge owed is not. *ret: of the policies that may select the pod and
 * whose namespaceSelector reads labels (an invalid one by its last version that compiled, as
 * reaches() has it), the first by name, whatever order they came in; or NULL. 0 or a
 * negative errno. */
static int ns_labels_missing(struct engine *e, const struct pod *pod, const struct policy **ret)
{
    *ret = NULL;
    if (hmap_get(&e->namespaces, pod->ns))
        return 0;
    for (size_t i = 0; i < e->cluster.n; i++) {
        struct pstate *s = e->cluster.v[i];
        bool may = ns_selector_reads_labels(&s->p->ns_selector) &&
                   (s->p->selector_unknown || selector_matches(&s->p->selector, &pod->labels));
        if (!may && s->good && ns_selector_reads_labels(&s->good->ns_selector) &&
            selector_matches(&s->good->selector, &pod->labels)) {
            int r = compile_state(e, s);
            if (r < 0)
                return r;
            may = !s->valid;
        }
        if (may && (!*ret || strcmp(s->p->name, (*ret)->name) < 0))
            *ret = s->p;
    }
    return 0;
}

/* The profile of invalid policy s as if every bad edit had been refused (contract 2): the
 * version fallback_version() gives, on top of what its parent gives so: the parent's profile
 * when it is valid, else that of the parent's own fallback version, and so up the chain. *ret
 * is NULL when there is none: no version of s (or of an ancestor on the way) to fall back on,
 * or those versions do not compile together now (a parent gone or ambiguous, a cycle, a chain
 * too long, a current version that does not compile on what its parent gives): the files then
 * keep what they hold. No recursion: one walk up, at most EXTENDS_MAX policies, then a loop
 * down. Each profile made is kept until the next change of any policy (e->epoch). 0 or a
 * negative errno. */
static int good_prof(struct engine *e, struct pstate *s, const struct cprof **ret)
{
    *ret = NULL;
    struct pstate *chain[EXTENDS_MAX];
    size_t n = 0;
    const struct cprof *base = NULL;
    unsigned depth = 0;
    for (struct pstate *cur = s;;) {
        int r = compile_state(e, cur);
        if (r < 0)
            return r;
        if (cur->valid) {
            if ((r = ensure_prof(e, cur)) < 0)
                return r;
            base = cur->prof;
            depth = cur->depth;
            break;
        }
        if (cur->good_prof && cur->good_epoch == e->epoch) {
            base = cur->good_prof;
            depth = cur->good_depth;
            break;
        }
        const struct policy *v = fallback_version(cur);
        if (!v || n == EXTENDS_MAX)
            return 0;
        for (size_t k = 0; k < n; k++)
            if (chain[k] == cur)
                return 0; /* a cycle of last good versions */
        chain[n++] = cur;
        if (extends_nothing(v)) {
            if (v->extends && !e->runtime_default &&
                (r = profile_runtime_default(e->db, e->node_arches, &e->runtime_default)) < 0)
                return r;
            base = v->extends ? e->runtime_default : NULL;
            break;
        }
        cur = find_parent(e, v);
        if (!cur || parent_ambiguous(e, v))
            return 0;
    }
    if (n + depth > EXTENDS_MAX)
        return 0;
    for (size_t k = n; k-- > 0;) {
        struct pstate *c = chain[k];
        struct cprof *prof = NULL;
        struct compile_notes notes = {0};
        struct kerr err = {0};
        int r =
            profile_compile(fallback_version(c), base, e->node_arches, e->db, &prof, &notes, &err);
        compile_notes_clear(&notes);
        if (r == -ENOMEM)
            return r;
        if (r < 0)
            return 0;
        cprof_free(c->good_prof);
        c->good_prof = prof;
        c->good_epoch = e->epoch;
        c->good_depth = ++depth;
        base = prof;
    }
    *ret = base;
    return 0;
}

static int cmp_pstate(const void *a, const void *b)
{
    const struct pstate *x = *(const struct pstate *const *)a,
                        *y = *(const struct pstate *const *)b;
    return strcmp(x->key, y->key);
}

static bool selects(const struct selector *sel, const struct selector *ns_sel, bool cluster,
                    const struct pod *pod, const struct k8s_namespace *n)
{
    return selector_matches(sel, &pod->labels) &&
           (!cluster || ns_selector_matches(ns_sel, n, pod->ns));
}

/* Whether version v of a policy reaches pod's file name: named after it, or selecting the pod
 * (its selectors read). */
static bool version_reaches(const struct engine *e, const struct policy *v, const struct pod *pod,
                            const char *name)
{
    bool cluster = v->kind == PK_CLUSTER;
    if (!cluster && strcmp(v->name, name) == 0)
        return true;
    return !v->selector_unknown &&
           selects(&v->selector, &v->ns_selector, cluster, pod, hmap_get(&e->namespaces, pod->ns));
}

/* Whether s has had no version compile since it came before engine_past_known(): what its
 * earlier versions selected is not known. */
static bool past_unknown(const struct pstate *s)
{
    return s->past_unseen && !s->good;
}

/* Whether the fallback version of invalid s reaches pod's file name. */
static bool good_reaches(const struct engine *e, const struct pstate *s, const struct pod *pod,
                         const char *name)
{
    const struct policy *v = fallback_version(s);
    return v && version_reaches(e, v, pod, name);
}

/* Why invalid s may contribute to pod's file name though its current version does not select
 * the pod (reaches()), said in its PolicyInvalid Event; NULL when the current version does. */
static const char *held_reason(const struct engine *e, const struct pstate *s,
                               const struct pod *pod, const char *name)
{
    if (version_reaches(e, s->p, pod, name))
        return NULL;
    if (s->p->selector_unknown)
        return "its selectors cannot be read, so it may select any pod of its scope";
    if (past_unknown(s))
        return ENGINE_HELD_SINCE_START;
    return "its last valid version selected this pod";
}

/* Whether policy s contributes to a file of pod (by_name: the file is named after it).
 * An invalid policy also reaches what its last compiled version selected; one whose selectors
 * could not be read, or that has not compiled since it came before engine_past_known() (what
 * it selected before the engine's start is not known), reaches every pod in its scope: the
 * files it may contribute to keep their last good profile. 1, 0, or a negative errno. */
static int reaches(struct engine *e, struct pstate *s, const struct pod *pod,
                   const struct k8s_namespace *n, bool by_name)
{
    bool cluster = s->p->kind == PK_CLUSTER;
    if (by_name || s->p->selector_unknown ||
        selects(&s->p->selector, &s->p->ns_selector, cluster, pod, n))
        return 1;
    if (!past_unknown(s) &&
        (!s->good || !selects(&s->good->selector, &s->good->ns_selector, cluster, pod, n)))
        return 0;
    bool was_compiled = s->compiled;
    int r = compile_state(e, s);
    if (r < 0)
        return r;
    /* Compiled to know whether it is valid alone (every policy of a pod's scope, at the start):
     * valid, it does not reach the pod, and its profile is not kept (ten thousand policies
     * that select no pod held 3.5 MiB of profiles); a file that takes it compiles it again. */
    if (!was_compiled && s->valid) {
        cprof_free(s->prof);
        s->prof = NULL;
    }
    return !s->valid;
}

/* The policies that contribute to file name for pod (docs/policies.md), sorted by key. */
static int contributors(struct engine *e, const struct pod *pod, const char *name, struct pvec *out)
{
    struct pvec *pv = hmap_get(&e->by_ns, pod->ns);
    const struct k8s_namespace *n = hmap_get(&e->namespaces, pod->ns);
    for (size_t i = 0; pv && i < pv->n; i++) {
        struct pstate *s = pv->v[i];
        int r = reaches(e, s, pod, n, strcmp(s->p->name, name) == 0);
        if (r < 0 || (r > 0 && pvec_add(out, s) < 0))
            return -ENOMEM;
    }
    for (size_t i = 0; i < e->cluster.n; i++) {
        struct pstate *s = e->cluster.v[i];
        int r = reaches(e, s, pod, n, false);
        if (r < 0 || (r > 0 && pvec_add(out, s) < 0))
            return -ENOMEM;
    }
    if (out->n > 1) /* out->v is NULL when nothing contributes: qsort wants an array */
        qsort(out->v, out->n, sizeof(*out->v), cmp_pstate);
    return 0;
}

int engine_contributors(struct engine *e, const struct pod *pod, const char *name,
                        struct contributor **ret, size_t *ret_n)
{
    struct pvec cv = {0};
    int r = contributors(e, pod, name, &cv);
    if (r < 0) {
        free(cv.v);
        return r;
    }
    struct contributor *v = calloc(cv.n ? cv.n : 1, sizeof(*v));
    if (!v) {
        free(cv.v);
        return -ENOMEM;
    }
    const struct k8s_namespace *n = hmap_get(&e->namespaces, pod->ns);
    for (size_t i = 0; i < cv.n; i++) {
        const struct policy *p = cv.v[i]->p;
        bool cluster = p->kind == PK_CLUSTER;
        v[i].policy = p;
        if (!cluster && strcmp(p->name, name) == 0)
            v[i].why = CONTRIB_NAME;
        else if (!p->selector_unknown && selects(&p->selector, &p->ns_selector, cluster, pod, n))
            v[i].why = cluster ? CONTRIB_CLUSTER : CONTRIB_SELECTOR;
        else
            v[i].why = CONTRIB_HELD;
    }
    free(cv.v);
    *ret = v;
    *ret_n = cv.n;
    return 0;
}

/* Every reason the engine gives an Event (the unit tests check each Event against it). */
static const char *const engine_reasons[] = {
    "NoPolicy",        "PolicyInvalid",       "ProfileConflict",  "ProfileBlocksStartup",
    "ProfileStricter", "ClusterPoliciesOnly", "NamespaceUnknown", "ProfileRefused",
};

bool engine_gives_reason(const char *reason)
{
    for (size_t i = 0; i < ELEMENTSOF(engine_reasons); i++)
        if (strcmp(reason, engine_reasons[i]) == 0)
            return true;
    return false;
}

/* Hands the pod's Event to ops: the message formatted, the cause (or NULL) as given; normal:
 * of type Normal (engine_event.normal). */
static int vemit(const struct sync_ops *ops, const struct pod *pod, const char *reason,
                 const char *cause, bool normal, const char *fmt, va_list ap)
{
    if (!ops->event)
        return 0;
    _cleanup_free_ char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        return -ENOMEM;
    struct engine_event ev = {
        .pod = pod, .reason = reason, .message = msg, .cause = cause, .normal = normal};
    return ops->event(&ev, ops->userdata);
}

static int emit_normal(const struct sync_ops *ops, const struct pod *pod, const char *reason,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int emit_normal(const struct sync_ops *ops, const struct pod *pod, const char *reason,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vemit(ops, pod, reason, NULL, true, fmt, ap);
    va_end(ap);
    return r;
}

static int emit(const struct sync_ops *ops, const struct pod *pod, const char *reason,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int emit(const struct sync_ops *ops, const struct pod *pod, const char *reason,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vemit(ops, pod, reason, NULL, false, fmt, ap);
    va_end(ap);
    return r;
}

/* The ProfileConflict of a pod whose contributing policies have no architecture in common:
 * names each policy with its architectures (the first few); profs[k] is what cv[k] gives. */
static int emit_no_common_arch(const struct sync_ops *ops, const struct pod *pod, const char *rel,
                               struct pstate *const *cv, const struct cprof *const *profs, size_t n)
{
    char *list = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&list, &len);
    if (!f)
        return -ENOMEM;
    char id[300], names[128];
    for (size_t k = 0; k < n && k < 8; k++)
        fprintf(f, "%s%s (%s)", k ? ", " : "", policy_id(cv[k]->p, id, sizeof(id)),
                arch_mask_names(profs[k]->arches, names, sizeof(names)));
    if (n > 8)
        fprintf(f, ", and %zu more", n - 8);
    if (fclose(f) != 0) {
        free(list);
        return -ENOMEM;
    }
    int r = emit(ops, pod, "ProfileConflict",
                 "the policies that contribute to kscmp/%s have no architecture in common: %s; "
                 "nothing is written",
                 rel, list);
    free(list);
    return r;
}

/* emit() with the cause (a policy's own message) handed on as such. */
static int emit_cause(const struct sync_ops *ops, const struct pod *pod, const char *reason,
                      const char *cause, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int emit_cause(const struct sync_ops *ops, const struct pod *pod, const char *reason,
                      const char *cause, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vemit(ops, pod, reason, cause, false, fmt, ap);
    va_end(ap);
    return r;
}

static int cmp_podstate(const void *a, const void *b)
{
    const struct podstate *x = *(const struct podstate *const *)a,
                          *y = *(const struct podstate *const *)b;
    return strcmp(x->key, y->key);
}

static bool pod_has_rel(const struct podstate *ps, const char *rel)
{
    for (size_t i = 0; i < ps->nrels; i++)
        if (strcmp(ps->rels[i], rel) == 0)
            return true;
    return false;
}

/* Start-up syscalls (docs/policies.md): the short start-up set when every container of every pod
 * that uses the file runs with no_new_privs (allowPrivilegeEscalation: false), else the long one.
 */
static enum startup_mode file_startup_mode(struct podstate *const *pods, size_t npods,
                                           const char *rel)
{
    for (size_t i = 0; i < npods; i++)
        for (size_t k = 0; k < pods[i]->nrels; k++)
            if (strcmp(pods[i]->rels[k], rel) == 0 && !pods[i]->rels_nnp[k])
                return STARTUP_LONG;
    return STARTUP_SHORT;
}

/* The start-up set of mode m on the engine's node, resolved the first time. */
static const struct startup_set *startup_set(struct engine *e, enum startup_mode m)
{
    if (!e->startup_sets_ready[m]) {
        startup_set_init(&e->startup_sets[m], m, e->native_arch, e->db);
        e->startup_sets_ready[m] = true;
    }
    return &e->startup_sets[m];
}

/* The ceiling_exempt callback of a merge: sys is in the start-up set of the file's mode. */
struct startup_exempt {
    struct engine *e;
    enum startup_mode mode;
};

static bool startup_exempt(uint32_t sys, void *userdata)
{
    const struct startup_exempt *x = userdata;
    return startup_set_has(startup_set(x->e, x->mode), sys);
}

/* The syscalls of a ProfileStricter Event: the first INEXACT_NAMED by name, the rest counted. */
#define INEXACT_NAMED 5
static int cmp_str(const void *a, const void *b);
static int inexact_text(struct engine *e, const uint32_t *sys, size_t n, char **ret)
{
    /* In name order: ids depend on the order names were first seen, and the message must
     * not (an incremental engine tells what a fresh one does). */
    _cleanup_free_ const char **names = calloc(n, sizeof(*names));
    if (!names)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        names[i] = sysdb_name(e->db, sys[i]);
    qsort(names, n, sizeof(*names), cmp_str);
    size_t len = 0;
    FILE *f = open_memstream(ret, &len);
    if (!f)
        return -ENOMEM;
    for (size_t i = 0; i < n && i < INEXACT_NAMED; i++)
        fprintf(f, "%s%s", i ? ", " : "", names[i]);
    if (n > INEXACT_NAMED)
        fprintf(f, " and %zu more", n - INEXACT_NAMED);
    return fclose(f) == 0 ? 0 : -ENOMEM;
}

/* The message of ProfileBlocksStartup (and of compile's and validate's warning) when p
 * blocks start-up syscalls of mode m; *ret stays NULL when it blocks none. */
static int startup_warning(struct engine *e, const struct cprof *p, enum startup_mode m, char **ret)
{
    _cleanup_free_ struct startup_block *v = NULL;
    size_t n = 0;
    int r = startup_blocked_set(p, startup_set(e, m), &v, &n);
    if (r < 0 || n == 0)
        return r;
    _cleanup_free_ char *list = NULL;
    if ((r = startup_blocked_text(v, n, m, &list)) < 0)
        return r;
    bool short_helps = m == STARTUP_LONG;
    for (size_t i = 0; i < n; i++)
        short_helps = short_helps && !v[i].entry->step_short;
    if (asprintf(ret,
                 "it blocks syscalls that the container runtime makes after loading the profile "
                 "(the %s start-up set), so containers using it cannot start: %s. A policy "
                 "blocks them and deny wins: allow them in the policy%s",
                 startup_mode_name(m), list,
                 short_helps ? ", or set allowPrivilegeEscalation: false in every container that "
                               "uses it (the runtime then loads the profile later and needs none "
                               "of these)"
                             : "") < 0)
        return -ENOMEM;
    return 0;
}

int engine_policy_startup(struct engine *e, const struct cprof *prof, struct cprof **ret,
                          char **ret_blocked)
{
    _cleanup_(cprof_freep) struct cprof *out = NULL;
    int r = profile_merge(&prof, 1, false, &out);
    if (r < 0)
        return r;
    _cleanup_free_ char *warning = NULL;
    if (e->startup) {
        if ((r = startup_apply_set(out, startup_set(e, STARTUP_LONG))) < 0 ||
            (r = startup_warning(e, out, STARTUP_LONG, &warning)) < 0)
            return r;
    }
    *ret = TAKE_PTR(out);
    *ret_blocked = TAKE_PTR(warning);
    return 0;
}

/* The inputs of a recording profile: each contributing policy's profile relaxed (a ceiling's
 * as it is), and the allow-all base. profs has room for one more; the relaxed copies go to
 * owned (freed by the caller). */
static int recording_inputs(struct engine *e, const struct rstate *rec, const struct cprof **profs,
                            size_t *n, struct cprof **owned, size_t *nowned)
{
    for (size_t k = 0; k < *n; k++) {
        if (profs[k]->ceiling)
            continue;
        int r = recording_relax(profs[k], e->node_arches, &owned[*nowned]);
        if (r < 0)
            return r;
        profs[k] = owned[(*nowned)++];
    }
    int r = recording_allow_all(e->node_arches, rec->origin, &owned[*nowned]);
    if (r < 0)
        return r;
    profs[(*n)++] = owned[(*nowned)++];
    return 0;
}

/* Computes file rel and reports it through ops. */
static int compute_file(struct engine *e, const char *rel, const struct sync_ops *ops)
{
    /* The pods that reference it, in a fixed order. */
    size_t npods = 0;
    _cleanup_free_ struct podstate **pods = calloc(e->pods.n + 1, sizeof(*pods));
    if (!pods)
        return -ENOMEM;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&e->pods, &it); h; h = hmap_next(&e->pods, &it))
        if (pod_has_rel(h->value, rel))
            pods[npods++] = h->value;
    qsort(pods, npods, sizeof(*pods), cmp_podstate);
    _cleanup_free_ const struct pod **podv = calloc(npods + 1, sizeof(*podv));
    if (!podv)
        return -ENOMEM;
    for (size_t i = 0; i < npods; i++)
        podv[i] = pods[i]->pod;
    struct file_result res = {.rel = rel, .pods = podv, .npods = npods};
    if (npods == 0) {
        res.action = FILE_REMOVE;
        res.why = "no pod on the node references it";
        return ops->file ? ops->file(&res, ops->userdata) : 0;
    }

    enum startup_mode mode = file_startup_mode(pods, npods, rel);
    struct ns_name n; /* rel is NS/NAME.json */
    int q = ns_name_split(rel, &n);
    if (q < 0)
        return q;
    _cleanup_free_ char *name = strndup(n.name, strlen(n.name) - 5);
    if (!name)
        return -ENOMEM;
    /* Under a recording when it selects every pod that uses the file (else the file stays the
     * policies': it must not weaken the profile of a pod the recording does not select). */
    const struct rstate *rec = hmap_get(&e->recordings, rel);
    for (size_t i = 0; rec && i < npods; i++)
        if (!selector_matches(&rec->sel, &pods[i]->pod->labels))
            rec = NULL;
    _cleanup_free_ struct cprof **merged = calloc(npods, sizeof(*merged));
    _cleanup_free_ char **json = calloc(npods, sizeof(*json));
    _cleanup_free_ size_t *jlen = calloc(npods, sizeof(*jlen));
    /* The syscalls the written profile gives one action for every call, stricter than their
     * conditions mean (profile_inexact()): of merged[0], then of the intersection. */
    _cleanup_free_ uint32_t *inexact = NULL;
    size_t ninexact = 0;
    _cleanup_free_ const struct pod **mpod = calloc(npods, sizeof(*mpod)); /* merged[i]'s pod */
    if (!merged || !json || !jlen || !mpod)
        return -ENOMEM;
    _cleanup_free_ const struct pod **nopolicy = calloc(npods, sizeof(*nopolicy));
    size_t nnopolicy = 0;
    if (!nopolicy)
        return -ENOMEM;
    /* The pods whose contributors are all ClusterSeccompPolicies, each with the first of them
     * (told once the file is known to be written). */
    struct cluster_only {
        const struct pod *pod;
        const struct policy *first;
        size_t n;
    };
    _cleanup_free_ struct cluster_only *conly = calloc(npods, sizeof(*conly));
    size_t nconly = 0;
    if (!conly)
        return -ENOMEM;
    bool keep = false, noarch = false, toolarge = false, nsmissing = false;
    /* The first invalid contributor met (pods by name, then rank), and the pod it was met for. */
    const struct pstate *bad_ps = NULL;
    const struct pod *bad_pod = NULL;
    _cleanup_free_ bool *told_invalid = calloc(npods, sizeof(*told_invalid));
    if (!told_invalid)
        return -ENOMEM;
    /* The invalid policies taken as if their bad edits were refused, and for which pod. */
    struct refused_use {
        const struct pod *pod;
        const struct pstate *s;
    };
    _cleanup_free_ struct refused_use *refused = NULL;
    size_t nrefused = 0, crefused = 0;
    size_t nmerged = 0;
    int r = 0;
    for (size_t i = 0; i < npods && r >= 0; i++) {
        const struct pod *pod = pods[i]->pod;
        const struct policy *needs_ns = NULL;
        r = ns_labels_missing(e, pod, &needs_ns);
        if (r < 0)
            break;
        if (needs_ns) {
            /* Not read, or read with labels the source says are not known (why). */
            const char *why = hmap_get(&e->ns_unknown, pod->ns);
            char id[300], unread[300];
            snprintf(unread, sizeof(unread),
                     "no Namespace %s has been read (a file of pods needs its Namespaces too)",
                     pod->ns);
            nsmissing = true;
            r = emit(ops, pod, "NamespaceUnknown",
                     "kscmp/%s keeps its last good profile (or stays absent): whether %s %s "
                     "contributes to it depends on the labels of Namespace %s, %s%s",
                     rel, policy_kind_name(needs_ns->kind), policy_id(needs_ns, id, sizeof(id)),
                     pod->ns, why ? "which are not known: " : "and ", why ? why : unread);
            continue;
        }
        struct pvec cv = {0};
        r = contributors(e, pod, name, &cv);
        if (r < 0) {
            free(cv.v);
            break;
        }
        if (cv.n == 0 && !rec) {
            /* Told once the other pods are known: the file may still be theirs. */
            nopolicy[nnopolicy++] = pod;
            free(cv.v);
            continue;
        }
        bool all_cluster = cv.n > 0 && !rec;
        for (size_t k = 0; all_cluster && k < cv.n; k++)
            all_cluster = cv.v[k]->p->kind == PK_CLUSTER;
        if (all_cluster)
            conly[nconly++] = (struct cluster_only){pod, cv.v[0]->p, cv.n};
        _cleanup_free_ const struct cprof **profs = calloc(cv.n + 1, sizeof(*profs));
        bool bad = !profs;
        for (size_t k = 0; profs && k < cv.n && r >= 0; k++) {
            r = compile_state(e, cv.v[k]);
            if (r < 0)
                break;
            const struct cprof *gp = NULL;
            if (!cv.v[k]->valid && good_reaches(e, cv.v[k], pod, name) &&
                (r = good_prof(e, cv.v[k], &gp)) < 0)
                break;
            if (gp) {
                /* As if its bad edit had been refused (contract 2): told once the file is
                 * known to be written (another pod's view may keep it). */
                profs[k] = gp;
                if (nrefused == crefused) {
                    size_t nc = crefused ? 2 * crefused : 4;
                    struct refused_use *v = realloc(refused, nc * sizeof(*v));
                    if (!v) {
                        r = -ENOMEM;
                        break;
                    }
                    refused = v;
                    crefused = nc;
                }
                refused[nrefused++] = (struct refused_use){pod, cv.v[k]};
            } else if (!cv.v[k]->valid) {
                bad = true;
                told_invalid[i] = true;
                if (!bad_ps) {
                    bad_ps = cv.v[k];
                    bad_pod = pod;
                }
                /* Reached for want of knowing what it selects: said, or the hold of an
                 * unrelated pod's file reads as a mystery. */
                const char *may = held_reason(e, cv.v[k], pod, name);
                r = emit_cause(ops, pod, "PolicyInvalid", cv.v[k]->error,
                               "kscmp/%s keeps its last good profile (or stays absent) because a "
                               "policy that %s to it is invalid%s%s%s: %s",
                               rel, may ? "may contribute" : "contributes", may ? " (" : "",
                               may ? may : "", may ? ")" : "",
                               cv.v[k]->error ? cv.v[k]->error : "?");
            } else if ((r = ensure_prof(e, cv.v[k])) >= 0)
                profs[k] = cv.v[k]->prof;
        }
        if (r >= 0 && !profs)
            r = -ENOMEM;
        if (r >= 0 && bad)
            keep = true;
        _cleanup_free_ struct cprof **relaxed = rec ? calloc(cv.n + 1, sizeof(*relaxed)) : NULL;
        size_t nrelaxed = 0;
        if (r >= 0 && rec && !relaxed)
            r = -ENOMEM;
        size_t nprofs = cv.n;
        if (r >= 0 && !bad && rec)
            r = recording_inputs(e, rec, profs, &nprofs, relaxed, &nrelaxed);
        if (r >= 0 && !bad) {
            /* A ceiling has no say on a start-up syscall it does not name (3.5-3.6). */
            struct startup_exempt ex = {e, mode};
            struct merge_opts mo = {.ceiling_exempt = e->startup ? startup_exempt : NULL,
                                    .userdata = &ex};
            r = profile_merge_opts(profs, nprofs, &mo, &merged[nmerged]);
            if (r >= 0 && merged[nmerged]->arches == 0) {
                /* 3.2: no architecture in common, nothing to write. */
                noarch = true;
                r = emit_no_common_arch(ops, pod, rel, cv.v, profs, cv.n);
                cprof_free(merged[nmerged]);
                merged[nmerged] = NULL;
            } else {
                /* The start-up syscalls no contributing policy names. */
                if (r >= 0 && e->startup)
                    r = startup_apply_set(merged[nmerged], startup_set(e, mode));
                struct kerr big = {0};
                if (r >= 0 && nmerged == 0)
                    r = profile_render_noted(merged[nmerged], e->db, &json[nmerged], &jlen[nmerged],
                                             &big, &inexact, &ninexact);
                else if (r >= 0)
                    r = profile_render_bounded(merged[nmerged], e->db, &json[nmerged],
                                               &jlen[nmerged], &big);
                if (r == -E2BIG) {
                    /* Over the bounds of docs/bounds.md: refused before libseccomp sees it. */
                    toolarge = true;
                    r = emit(ops, pod, "ProfileRefused",
                             "kscmp/%s keeps its last good profile (or stays absent): %s", rel,
                             big.msg);
                    cprof_free(merged[nmerged]);
                    merged[nmerged] = NULL;
                } else if (r >= 0)
                    mpod[nmerged++] = pod;
                else {
                    cprof_free(merged[nmerged]);
                    merged[nmerged] = NULL;
                }
            }
        }
        for (size_t k = 0; k < nrelaxed; k++)
            cprof_free(relaxed[k]);
        free(cv.v);
    }
    for (size_t i = 0; r >= 0 && i < nnopolicy; i++) {
        _cleanup_free_ char *cause = NULL;
        if (nmerged == 0 && !keep && !noarch && !nsmissing &&
            asprintf(&cause,
                     "no policy contributes to kscmp/%s: there is no SeccompPolicy %s/%s and no "
                     "policy selects the pod",
                     rel, nopolicy[i]->ns, name) < 0)
            return -ENOMEM;
        r = cause ? emit_cause(ops, nopolicy[i], "NoPolicy", cause,
                               "%s, so the file is not written and new containers using it "
                               "cannot start",
                               cause)
                  : emit(ops, nopolicy[i], "NoPolicy",
                         "no policy contributes to kscmp/%s for this pod (no SeccompPolicy %s/%s, "
                         "no policy selects it): the file holds what the policies of the other "
                         "pods that use it give",
                         rel, nopolicy[i]->ns, name);
    }
    /* The other pods of a held file are told why too: their own policies are valid. */
    for (size_t i = 0; r >= 0 && keep && bad_ps && i < npods; i++) {
        char id[300];
        if (!told_invalid[i])
            r = emit_cause(ops, pods[i]->pod, "PolicyInvalid", bad_ps->error,
                           "kscmp/%s keeps its last good profile (or stays absent): pod %s/%s "
                           "shares it, and %s %s, which contributes to it for that pod, is "
                           "invalid: %s",
                           rel, bad_pod->ns, bad_pod->name, policy_kind_name(bad_ps->p->kind),
                           policy_id(bad_ps->p, id, sizeof(id)),
                           bad_ps->error ? bad_ps->error : "?");
    }
    _cleanup_free_ char *final = NULL;
    _cleanup_(cprof_freep) struct cprof *inter = NULL;
    size_t final_len = 0;
    char bad_why[400];
    if (r >= 0) {
        if (keep) {
            char id[300];
            res.action = FILE_KEEP;
            res.why = "a contributing policy is invalid";
            if (bad_ps && snprintf(bad_why, sizeof(bad_why), "%s (%s %s)", res.why,
                                   policy_kind_name(bad_ps->p->kind),
                                   policy_id(bad_ps->p, id, sizeof(id))) > 0)
                res.why = bad_why;
        } else if (nsmissing) {
            res.action = FILE_KEEP;
            res.why = "the labels of its pods' Namespace are not known";
        } else if (toolarge) {
            res.action = FILE_KEEP;
            res.why = "its profile would be over kscmp's bounds";
        } else if (noarch) {
            res.action = FILE_REMOVE;
            res.why = "the policies that contribute to it have no architecture in common";
        } else if (nmerged == 0) {
            res.action = FILE_REMOVE;
            res.why = "no policy contributes to it";
        } else {
            bool same = true;
            for (size_t i = 1; i < nmerged; i++)
                same &= jlen[i] == jlen[0] && memcmp(json[i], json[0], jlen[0]) == 0;
            if (same) {
                final = TAKE_PTR(json[0]);
                final_len = jlen[0];
                res.prof = merged[0];
            } else {
                r = profile_merge((const struct cprof *const *)merged, nmerged, true, &inter);
                res.prof = inter;
                bool none = r >= 0 && inter->arches == 0;
                struct kerr big = {0};
                free(inexact);
                inexact = NULL;
                ninexact = 0;
                if (r >= 0 && !none)
                    r = profile_render_noted(inter, e->db, &final, &final_len, &big, &inexact,
                                             &ninexact);
                if (r == -E2BIG) {
                    r = 0;
                    for (size_t i = 0; r >= 0 && i < npods; i++)
                        r = emit(ops, pods[i]->pod, "ProfileRefused",
                                 "kscmp/%s keeps its last good profile (or stays absent): the "
                                 "strict intersection of the profiles of the pods sharing it: %s",
                                 rel, big.msg);
                    res.action = FILE_KEEP;
                    res.why = "its profile would be over kscmp's bounds";
                    res.prof = NULL;
                }
                /* Two of them that differ, named: where to look (their policies). */
                size_t other = 1;
                while (other + 1 < nmerged && jlen[other] == jlen[0] &&
                       memcmp(json[other], json[0], jlen[0]) == 0)
                    other++;
                for (size_t i = 0; r >= 0 && i < npods; i++)
                    r = emit(
                        ops, pods[i]->pod, "ProfileConflict",
                        "pods sharing kscmp/%s get %s from their policies (%s/%s and %s/%s "
                        "differ, of %zu pods; `kubectl kscmp explain pod` shows each one's "
                        "policies): %s",
                        rel,
                        none ? "profiles with no architecture in common" : "different profiles",
                        mpod[0]->ns, mpod[0]->name, mpod[other]->ns, mpod[other]->name, npods,
                        none ? "nothing is written" : "the file holds their strict intersection");
                if (none) {
                    res.action = FILE_REMOVE;
                    res.why = "the pods that share it get profiles with no architecture in common";
                    res.prof = NULL;
                }
            }
            if (!res.why) {
                res.action = FILE_WRITE;
                res.json = final;
                res.len = final_len;
                res.inexact = inexact;
                res.ninexact = ninexact;
            }
            _cleanup_free_ char *warning = NULL;
            if (r >= 0 && e->startup && res.action == FILE_WRITE)
                r = startup_warning(e, res.prof, mode, &warning);
            for (size_t i = 0; r >= 0 && warning && i < npods; i++)
                r = emit(ops, pods[i]->pod, "ProfileBlocksStartup", "kscmp/%s: %s", rel, warning);
            _cleanup_free_ char *names = NULL;
            if (r >= 0 && res.action == FILE_WRITE && ninexact)
                r = inexact_text(e, inexact, ninexact, &names);
            for (size_t i = 0; r >= 0 && names && i < npods; i++)
                r = emit(ops, pods[i]->pod, "ProfileStricter",
                         "kscmp/%s: %s: the policies' conditions cannot be written as seccomp "
                         "rules exactly (they overlap rules of another action on arguments "
                         "seccomp cannot cut apart, or stand beside an unconditional rule of "
                         "another action): calls they allow get the strictest action, more than "
                         "the policies say (`kubectl kscmp explain pod` names the rules)",
                         rel, names);
        }
    }
    for (size_t i = 0; r >= 0 && res.action == FILE_WRITE && i < nconly; i++) {
        char more[48] = "";
        if (conly[i].n > 1)
            snprintf(more, sizeof(more), " and %zu more", conly[i].n - 1);
        r = emit_normal(ops, conly[i].pod, "ClusterPoliciesOnly",
                        "kscmp/%s holds only what ClusterSeccompPolicies give (%s%s) for this "
                        "pod: there is no SeccompPolicy %s/%s and none of %s selects the pod (a "
                        "misspelt localhostProfile, or a deleted policy?)",
                        rel, conly[i].first->name, more, conly[i].pod->ns, name, conly[i].pod->ns);
    }
    for (size_t i = 0; r >= 0 && res.action == FILE_WRITE && i < nrefused; i++) {
        char id[300];
        const struct pstate *s = refused[i].s;
        r = emit_cause(ops, refused[i].pod, "PolicyInvalid", s->error,
                       "kscmp/%s takes %s %s as if the bad edit that makes it invalid had "
                       "been refused: %s",
                       rel, policy_kind_name(s->p->kind), policy_id(s->p, id, sizeof(id)),
                       s->error ? s->error : "?");
    }
    res.recording = rec != NULL; /* FILE_KEEP too: what is kept may be a recording profile */
    if (r >= 0 && ops->file)
        r = ops->file(&res, ops->userdata);
    for (size_t i = 0; i < nmerged; i++) {
        cprof_free(merged[i]);
        free(json[i]);
    }
    return r;
}

static char *recording_rel(const char *ns, const char *policy)
{
    if (!dns_label_valid(ns) || !dns_subdomain_valid(policy))
        return NULL;
    char *rel = NULL;
    if (asprintf(&rel, "%s/%s.json", ns, policy) < 0)
        return NULL;
    return rel;
}

static void touch_file(struct engine *e, const char *rel)
{
    struct fstate *f = hmap_get(&e->files, rel);
    if (f)
        f->dirty = true;
}

int engine_put_recording(struct engine *e, const char *ns, const char *policy,
                         const char *recording_name, struct selector *sel)
{
    _cleanup_free_ char *rel = recording_rel(ns, policy);
    struct rstate *rs = calloc(1, sizeof(*rs));
    if (!rel || !rs || asprintf(&rs->origin, "SeccompRecording %s/%s", ns, recording_name) < 0) {
        if (rs)
            rs->origin = NULL;
        selector_free(sel);
        rstate_free(rs);
        return rel ? -ENOMEM : -EINVAL;
    }
    rs->sel = *sel;
    *sel = (struct selector){0};
    void *old = NULL;
    int r = hmap_put(&e->recordings, rel, rs, &old);
    if (r < 0) {
        rstate_free(rs);
        return r;
    }
    rstate_free(old);
    touch_file(e, rel);
    return 0;
}

int engine_delete_recording(struct engine *e, const char *ns, const char *policy)
{
    _cleanup_free_ char *rel = recording_rel(ns, policy);
    if (!rel)
        return -EINVAL;
    struct rstate *rs = hmap_remove(&e->recordings, rel);
    if (!rs)
        return -ENOENT;
    rstate_free(rs);
    touch_file(e, rel);
    return 0;
}

int engine_recording_scope(const struct engine *e, const char *ns, const char *policy,
                           const struct selector *sel, const struct pod ***ret_selected,
                           size_t *ret_nselected, size_t *ret_nunselected)
{
    _cleanup_free_ char *rel = recording_rel(ns, policy);
    if (!rel)
        return -EINVAL;
    const struct pod **v = calloc(e->pods.n + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t n = 0, unselected = 0;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&e->pods, &it); h; h = hmap_next(&e->pods, &it)) {
        const struct podstate *ps = h->value;
        if (!pod_has_rel(ps, rel))
            continue;
        if (selector_matches(sel, &ps->pod->labels))
            v[n++] = ps->pod;
        else
            unselected++;
    }
    *ret_selected = v;
    *ret_nselected = n;
    *ret_nunselected = unselected;
    return 0;
}

int engine_compute_file(struct engine *e, const char *rel, const struct sync_ops *ops)
{
    if (!hmap_get(&e->files, rel))
        return -ENOENT;
    return compute_file(e, rel, ops);
}

struct event_match {
    const struct pod *pod;
    const char *reason, *message;
    bool found;
};

static int match_event(const struct engine_event *ev, void *userdata)
{
    struct event_match *m = userdata;
    m->found |= strcmp(ev->pod->ns, m->pod->ns) == 0 && strcmp(ev->pod->name, m->pod->name) == 0 &&
                strcmp(ev->reason, m->reason) == 0 && strcmp(ev->message, m->message) == 0;
    return 0;
}

/* Whether message names the file rel as "kscmp/REL". */
static bool names_file(const char *message, const char *rel)
{
    for (const char *at = strstr(message, rel); at; at = strstr(at + 1, rel))
        if (at - message >= 6 && strncmp(at - 6, "kscmp/", 6) == 0)
            return true;
    return false;
}

int engine_pod_event_now(struct engine *e, const char *ns, const char *name, const char *reason,
                         const char *message)
{
    if (!engine_gives_reason(reason))
        return -EOPNOTSUPP;
    /* A ProfileRefused the engine does not find may be the node's (a proof, a write). */
    int none = strcmp(reason, "ProfileRefused") == 0 ? -EOPNOTSUPP : 0;
    _cleanup_free_ char *key = NULL;
    if (asprintf(&key, "%s/%s", ns, name) < 0)
        return -ENOMEM;
    struct podstate *ps = hmap_get(&e->pods, key);
    if (!ps)
        return none;
    for (size_t i = 0; i < ps->nrefused; i++)
        if (strcmp(reason, "ProfileRefused") == 0 && strcmp(message, ps->refused[i]) == 0)
            return 1;
    struct event_match m = {.pod = ps->pod, .reason = reason, .message = message};
    struct sync_ops ops = {.event = match_event, .userdata = &m};
    /* Only the files the message names when it names some (compute_file() tells a pod of the
     * file it computes, and names that one: one compile, not one per file of the pod); every
     * file of the pod when it names none. */
    bool any = false;
    for (size_t i = 0; i < ps->nrels && !any; i++)
        any = names_file(message, ps->rels[i]);
    for (size_t i = 0; i < ps->nrels && !m.found; i++) {
        if ((any && !names_file(message, ps->rels[i])) || !hmap_get(&e->files, ps->rels[i]))
            continue;
        int r = compute_file(e, ps->rels[i], &ops);
        if (r < 0)
            return r;
    }
    return m.found ? 1 : none;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int engine_sync(struct engine *e, const struct sync_ops *ops)
{
    /* Events for references refused outright. */
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&e->pods, &it); h; h = hmap_next(&e->pods, &it)) {
        struct podstate *ps = h->value;
        if (!ps->events_due)
            continue;
        for (size_t i = 0; i < ps->nrefused; i++) {
            int r = emit(ops, ps->pod, "ProfileRefused", "%s", ps->refused[i]);
            if (r < 0)
                return r;
        }
        ps->events_due = false;
    }
    /* Dirty files, in a fixed order. */
    size_t n = 0;
    _cleanup_free_ const char **dirty = calloc(e->files.n + 1, sizeof(*dirty));
    if (!dirty)
        return -ENOMEM;
    for (struct hmap_entry *h = hmap_first(&e->files, &it); h; h = hmap_next(&e->files, &it))
        if (((struct fstate *)h->value)->dirty)
            dirty[n++] = ((struct fstate *)h->value)->rel;
    qsort(dirty, n, sizeof(*dirty), cmp_str);
    for (size_t i = 0; i < n; i++) {
        struct fstate *f = hmap_get(&e->files, dirty[i]);
        int r = compute_file(e, f->rel, ops);
        if (r < 0)
            return r; /* stays dirty: the next sync tries again */
        f->dirty = false;
        /* A file no pod references is reported once, then forgotten. */
        bool referenced = false;
        struct hmap_iter pit;
        for (struct hmap_entry *h = hmap_first(&e->pods, &pit); h && !referenced;
             h = hmap_next(&e->pods, &pit))
            referenced = pod_has_rel(h->value, f->rel);
        if (!referenced) {
            hmap_remove(&e->files, f->rel);
            fstate_free(f);
        }
    }
    return 0;
}

int engine_list_files(const struct engine *e, const char ***ret, size_t *ret_n)
{
    const char **v = calloc(e->files.n + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t n = 0;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&e->files, &it); h; h = hmap_next(&e->files, &it))
        v[n++] = ((struct fstate *)h->value)->rel;
    qsort(v, n, sizeof(*v), cmp_str);
    *ret = v;
    *ret_n = n;
    return 0;
}
