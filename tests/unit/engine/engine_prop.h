/* engine_prop.h - the engine's incremental property: after any sequence of puts, updates and
 * deletes of policies, Namespaces and Pods, what an engine reports (every file's verdict and
 * bytes, the Events owed for it, the refused references, every policy's status and its
 * descendants) equals what a fresh engine fed the same final objects reports.
 *
 * Shared by the seeded cmocka test (test_engine_prop.c, in `make test`) and the libFuzzer
 * target (tests/fuzz/engine/fuzz_engine_prop.c): both drive prop_step() from a stream of
 * choices, a seeded PRNG or the fuzzer's bytes. A mismatch calls the caller's fail hook with
 * what differs and the steps that led there.
 *
 * The incremental engine is synced after every step; the model of what it said is kept the
 * way a node keeps it (the last verdict reported for each file, with the Events of that
 * computation; the refusals of a pod, told again when the pod changes). One thing an engine
 * knows that the objects do not say is the last version of an invalid policy that compiled
 * (it still reaches the files that version reached): the harness tracks that itself, from
 * the statuses it sees, and hands it to the fresh engine with engine_remember_policy().
 * Everything is static: include it in one file.
 */
#ifndef KSCMP_ENGINE_PROP_H
#define KSCMP_ENGINE_PROP_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/hmap.h"
#include "engine/decode.h"
#include "engine/doc.h"
#include "engine/engine.h"
#include "engine/profile.h"

/* ---- choices ----------------------------------------------------------------------------- */

struct prop_src {
    const uint8_t *data; /* fuzzer bytes; NULL: the PRNG */
    size_t len, pos;
    uint64_t state;
};

/* A choice in [0, n): from the fuzzer's bytes (0 once they run out) or the PRNG. */
static unsigned prop_pick(struct prop_src *s, unsigned n)
{
    if (n <= 1)
        return 0;
    if (s->data) {
        if (s->pos >= s->len)
            return 0;
        unsigned v = s->data[s->pos++];
        if (n > 256 && s->pos < s->len)
            v = v << 8 | s->data[s->pos++];
        return v % n;
    }
    s->state ^= s->state << 13; /* xorshift64 */
    s->state ^= s->state >> 7;
    s->state ^= s->state << 17;
    return (unsigned)(s->state % n);
}

static bool prop_done(const struct prop_src *s)
{
    return s->data && s->pos >= s->len;
}

/* Percent chance. */
static bool prop_chance(struct prop_src *s, unsigned pct)
{
    return prop_pick(s, 100) < pct;
}

/* ---- the objects ------------------------------------------------------------------------- */

enum prop_type { PROP_POLICY, PROP_NAMESPACE, PROP_POD };

struct prop_obj {
    enum prop_type type;
    enum policy_kind kind;
    char *ns, *name;
    char *yaml;
    struct ynode **docs; /* yaml parsed once: each fresh engine decodes it again */
    size_t ndocs;
};

static void prop_obj_free(void *v)
{
    struct prop_obj *o = v;
    if (!o)
        return;
    free(o->ns);
    free(o->name);
    free(o->yaml);
    ydoc_free_all(o->docs, o->ndocs);
    free(o);
}

/* What one sync of an engine said, as a node keeps it. */
struct prop_file {
    enum file_action action;
    char *json;   /* FILE_WRITE */
    char *events; /* the Events of the computation that gave the verdict: sorted lines */
};

static void prop_file_free(void *v)
{
    struct prop_file *f = v;
    if (!f)
        return;
    free(f->json);
    free(f->events);
    free(f);
}

struct prop_model {
    struct hmap files;    /* rel -> prop_file */
    struct hmap refusals; /* "ns/pod" -> sorted lines (strdup'd) */
    /* while syncing: the Events since the last file, for the next one */
    char **pending;
    size_t npending;
    int error;
};

struct prop {
    struct engine *e;
    int arch;
    struct hmap objs;      /* "pol/K/ns/name", "ns/name", "pod/ns/name" -> prop_obj */
    struct hmap lastvalid; /* policy key -> the YAML of its current version, once that compiled */
    struct hmap prevs;     /* policy key -> the YAML of its last version that compiled, while the
                            * current one has not */
    struct prop_model m;
    char log[8][160]; /* the last steps, for the failure message */
    unsigned steps;
    void (*on_fail)(const char *msg, void *userdata);
    void *userdata;
};

static void prop_failf(struct prop *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void prop_failf(struct prop *p, const char *fmt, ...)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fprintf(f, "\nafter %u steps, the last ones:", p->steps);
    for (unsigned i = p->steps > 8 ? p->steps - 8 : 0; i < p->steps; i++)
        fprintf(f, "\n  %u: %s", i + 1, p->log[i % 8]);
    fclose(f);
    p->on_fail(buf, p->userdata);
    free(buf);
}

static void prop_str_free(void *v)
{
    free(v);
}

static void prop_model_init(struct prop_model *m)
{
    hmap_init(&m->files);
    hmap_init(&m->refusals);
}

static void prop_model_clear(struct prop_model *m)
{
    hmap_clear(&m->files, prop_file_free);
    hmap_clear(&m->refusals, prop_str_free);
    for (size_t i = 0; i < m->npending; i++)
        free(m->pending[i]);
    free(m->pending);
    m->pending = NULL;
    m->npending = 0;
}

static int prop_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines v[0..n) sorted and joined, each ending in a newline; frees them. */
static char *prop_join(char **v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof(*v), prop_cmp_str);
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *s = malloc(len), *w = s;
    for (size_t i = 0; i < n; i++) {
        if (s) {
            size_t l = strlen(v[i]);
            memcpy(w, v[i], l);
            w += l;
            *w++ = '\n';
        }
        free(v[i]);
    }
    if (s)
        *w = '\0';
    return s;
}

static int prop_on_event(const struct engine_event *ev, void *userdata)
{
    struct prop_model *m = userdata;
    char *line = NULL;
    if (asprintf(&line, "%s/%s %s %s", ev->pod->ns, ev->pod->name, ev->reason, ev->message) < 0)
        return -ENOMEM;
    if (strcmp(ev->reason, "ProfileRefused") == 0) {
        /* Told for a pod as a whole: added to what the pod has been told since it changed. */
        char key[400];
        snprintf(key, sizeof(key), "%s/%s", ev->pod->ns, ev->pod->name);
        char *old = hmap_get(&m->refusals, key);
        char *both = NULL;
        int r = asprintf(&both, "%s%s\n", old ? old : "", line);
        free(line);
        if (r < 0)
            return -ENOMEM;
        void *prev = NULL;
        if (hmap_put(&m->refusals, key, both, &prev) < 0) {
            free(both);
            return -ENOMEM;
        }
        free(prev);
        return 0;
    }
    char **v = realloc(m->pending, (m->npending + 1) * sizeof(*v));
    if (!v) {
        free(line);
        return -ENOMEM;
    }
    m->pending = v;
    m->pending[m->npending++] = line;
    return 0;
}

static int prop_on_file(const struct file_result *r, void *userdata)
{
    struct prop_model *m = userdata;
    char *events = prop_join(m->pending, m->npending);
    m->npending = 0;
    if (!events)
        return -ENOMEM;
    if (r->action == FILE_REMOVE && r->npods == 0) {
        /* No pod references it: the engine forgets it. */
        prop_file_free(hmap_remove(&m->files, r->rel));
        free(events);
        return 0;
    }
    struct prop_file *f = calloc(1, sizeof(*f));
    if (!f) {
        free(events);
        return -ENOMEM;
    }
    f->action = r->action;
    f->events = events;
    if (r->action == FILE_WRITE && !(f->json = strndup(r->json, r->len))) {
        prop_file_free(f);
        return -ENOMEM;
    }
    void *old = NULL;
    if (hmap_put(&m->files, r->rel, f, &old) < 0) {
        prop_file_free(f);
        return -ENOMEM;
    }
    prop_file_free(old);
    return 0;
}

static int prop_sync(struct engine *e, struct prop_model *m)
{
    struct sync_ops ops = {prop_on_file, prop_on_event, m};
    int r = engine_sync(e, &ops);
    for (size_t i = 0; i < m->npending; i++)
        free(m->pending[i]);
    if (r == 0 && m->npending)
        r = -EPROTO; /* Events that no file result followed */
    m->npending = 0;
    return r;
}

/* ---- decoding ---------------------------------------------------------------------------- */

static int prop_take(struct object *o, void *userdata)
{
    struct object *out = userdata;
    if (o->type == OBJ_NONE)
        return 0;
    if (out->type != OBJ_NONE)
        return -EEXIST;
    *out = *o;
    *o = (struct object){0};
    return 0;
}

/* The one object of the parsed documents. */
static int prop_decode_docs(struct ynode *const *docs, size_t n, struct object *ret)
{
    struct kerr err = {0};
    struct object o = {0};
    int r = decode_documents(docs, n, "prop.yaml", prop_take, &o, &err);
    if (r == 0 && o.type == OBJ_NONE)
        r = -ENOENT;
    if (r < 0) {
        object_clear(&o);
        return r;
    }
    *ret = o;
    return 0;
}

/* The one object of yaml. */
static int prop_decode(const char *yaml, struct object *ret)
{
    struct ynode **docs = NULL;
    size_t n = 0;
    struct kerr err = {0};
    int r = ydoc_parse_yaml(yaml, strlen(yaml), "prop.yaml", &docs, &n, &err);
    if (r < 0)
        return r;
    r = prop_decode_docs(docs, n, ret);
    ydoc_free_all(docs, n);
    return r;
}

/* Puts the object of yaml (or of docs, when not NULL) into e. */
static int prop_put_docs(struct engine *e, const char *yaml, struct ynode *const *docs,
                         size_t ndocs)
{
    struct object o = {0};
    int r = docs ? prop_decode_docs(docs, ndocs, &o) : prop_decode(yaml, &o);
    if (r < 0)
        return r;
    switch (o.type) {
    case OBJ_POLICY:
        return engine_put_policy(e, TAKE_PTR(o.policy));
    case OBJ_NAMESPACE:
        return engine_put_namespace(e, TAKE_PTR(o.ns));
    case OBJ_POD:
        return engine_put_pod(e, TAKE_PTR(o.pod));
    default:
        object_clear(&o);
        return -EINVAL;
    }
}

static int prop_put(struct engine *e, const char *yaml)
{
    return prop_put_docs(e, yaml, NULL, 0);
}

/* ---- generating objects ------------------------------------------------------------------ */

#define PROP_CHAIN 36 /* p0..p35 in namespace a: chains longer than EXTENDS_MAX */
#define PROP_FEW 6

static const char *const prop_syscalls[] = {"read",   "write", "mkdir",  "rmdir",       "bpf",
                                            "ptrace", "chmod", "execve", "personality", "futex"};
static const char *const prop_actions[] = {"Allow", "Block", "Trap", "Audit", "Kill"};
static const char *const prop_arches[] = {"x86_64", "x86", "x32"};

static void prop_gen_selector(struct prop_src *s, FILE *f, const char *field, bool ns)
{
    switch (prop_pick(s, 6)) {
    case 0:
        return; /* omitted */
    case 1:
        fprintf(f, "  %s: {}\n", field);
        return;
    case 2:
        if (ns)
            fprintf(f, "  %s: {matchLabels: {env: %s}}\n", field, prop_pick(s, 2) ? "prod" : "dev");
        else
            fprintf(f, "  %s: {matchLabels: {app: %s}}\n", field, prop_pick(s, 2) ? "x" : "z");
        return;
    case 3:
        if (ns)
            fprintf(f,
                    "  %s: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, "
                    "values: [%s]}]}\n",
                    field, prop_pick(s, 2) ? "a" : "b");
        else
            fprintf(f, "  %s: {matchExpressions: [{key: tier, operator: %s}]}\n", field,
                    prop_pick(s, 2) ? "Exists" : "DoesNotExist");
        return;
    case 4:
        fprintf(f, "  %s: {matchExpressions: [{key: app, operator: NotIn, values: [x]}]}\n", field);
        return;
    default:
        fprintf(f, "  %s: {matchLabels: {app: x, tier: fe}}\n", field);
        return;
    }
}

static void prop_gen_block(struct prop_src *s, FILE *f, bool first)
{
    fputs(first ? "  seccomp:\n" : "  - ", f);
    const char *ind = first ? "    " : "    ";
    bool opened = false;
#define PROP_FIELD(...)                                                                            \
    do {                                                                                           \
        fputs(!first && !opened ? "" : ind, f);                                                    \
        opened = true;                                                                             \
        fprintf(f, __VA_ARGS__);                                                                   \
    } while (0)
    if (prop_chance(s, 20)) {
        unsigned mask = 1 + prop_pick(s, 7);
        char buf[64] = "";
        for (unsigned i = 0; i < 3; i++)
            if (mask & (1u << i))
                snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", *buf ? ", " : "",
                         prop_arches[i]);
        PROP_FIELD("arch: [%s]\n", buf);
    }
    unsigned nsys = 1 + prop_pick(s, 4);
    char list[256] = "";
    for (unsigned i = 0; i < nsys; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                 prop_syscalls[prop_pick(s, sizeof(prop_syscalls) / sizeof(*prop_syscalls))]);
    if (prop_chance(s, 3))
        snprintf(list + strlen(list), sizeof(list) - strlen(list), ", bogus"); /* a typo */
    PROP_FIELD("syscalls: [%s]\n", list);
    if (prop_chance(s, 10))
        PROP_FIELD("groups: [\"%s\"]\n", prop_chance(s, 20) ? "@nope" : "@timer");
    unsigned a = prop_pick(s, 5);
    PROP_FIELD("action: %s\n", prop_actions[a]);
    if (a == 1 && prop_chance(s, 30))
        PROP_FIELD("errno: %s\n", prop_pick(s, 2) ? "EACCES" : "ENOSYS");
    if (prop_chance(s, 20)) {
        static const char *const ops[] = {"EQ", "NE", "LT", "GE", "MASKED_EQ"};
        PROP_FIELD("args: [{index: %u, value: %u, op: %s%s}]\n", prop_pick(s, 2), prop_pick(s, 3),
                   ops[prop_pick(s, 5)], prop_chance(s, 20) ? ", valueTwo: 1" : "");
    }
#undef PROP_FIELD
}

/* A policy's YAML (kind, ns and name chosen by the caller). */
static char *prop_gen_policy(struct prop_src *s, enum policy_kind kind, const char *ns,
                             const char *name, int chain_parent)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    if (kind == PK_KUBEARMOR)
        fprintf(f, "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorSeccompPolicy\n");
    else
        fprintf(f, "apiVersion: kscmp.io/v1\nkind: %s\n", policy_kind_name(kind));
    if (ns)
        fprintf(f, "metadata: {name: %s, namespace: %s}\nspec:\n", name, ns);
    else
        fprintf(f, "metadata: {name: %s}\nspec:\n", name);
    if (prop_chance(s, 2))
        fputs("  selector: {matchLabels: 5}\n", f); /* unreadable selectors */
    else
        prop_gen_selector(s, f, "selector", false);
    if (kind == PK_CLUSTER) {
        prop_gen_selector(s, f, "namespaceSelector", true);
        if (prop_chance(s, 30))
            fputs("  ceiling: true\n", f);
    }
    if (chain_parent >= 0)
        fprintf(f, "  extends: p%d\n", chain_parent);
    else
        switch (prop_pick(s, 8)) {
        case 0:
        case 1:
        case 2:
            break;
        case 3:
            fputs("  extends: runtime/default\n", f);
            break;
        case 4:
            fprintf(f, "  extends: ClusterSeccompPolicy/c%u\n", prop_pick(s, PROP_FEW));
            break;
        case 5:
            if (kind == PK_CLUSTER)
                fprintf(f, "  extends: c%u\n", prop_pick(s, PROP_FEW));
            else
                fprintf(f, "  extends: p%u\n", prop_pick(s, PROP_FEW));
            break;
        default:
            if (kind == PK_CLUSTER)
                fprintf(f, "  extends: c%u\n", prop_pick(s, PROP_FEW));
            else
                fprintf(f, "  extends: p%u\n",
                        prop_pick(s, ns && !strcmp(ns, "a") ? PROP_CHAIN : PROP_FEW));
            break;
        }
    if (prop_chance(s, 15))
        fprintf(f, "  defaultAction: %s\n", prop_actions[prop_pick(s, 5)]);
    if (prop_chance(s, 85))
        prop_gen_block(s, f, true);
    unsigned nrules = prop_pick(s, 3);
    if (nrules)
        fputs("  rules:\n", f);
    for (unsigned i = 0; i < nrules; i++)
        prop_gen_block(s, f, false);
    if (prop_chance(s, 2))
        fputs("  bogusField: 1\n", f); /* a decode error, selectors readable */
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *prop_gen_pod(struct prop_src *s, const char *ns, const char *name)
{
    static const char *const files[] = {"p0", "p1", "p2", "p3", "shared", "c0"};
    char ref[400], ref2[400];
    const char *other = strcmp(ns, "a") == 0 ? "b" : "a";
    for (int k = 0; k < 2; k++) {
        char *r = k ? ref2 : ref;
        unsigned c = prop_pick(s, 12);
        if (c < 8)
            snprintf(r, 400, "kscmp/%s/%s.json", ns, files[prop_pick(s, 6)]);
        else if (c == 8)
            snprintf(r, 400, "kscmp/%s/p0.json", other); /* another namespace's: refused */
        else if (c == 9)
            snprintf(r, 400, "kscmp/%s/Bad_Name.json", ns); /* refused */
        else if (c == 10)
            snprintf(r, 400, "profiles/%s.json", files[prop_pick(s, 6)]); /* not ours */
        else
            snprintf(r, 400, "kscmp/%s/%0251d.json", ns, 7); /* too long a name: refused */
    }
    /* allowPrivilegeEscalation of each container: which start-up set the file gets (3.5). */
    static const char *const ape[] = {"", "allowPrivilegeEscalation: false",
                                      "allowPrivilegeEscalation: false",
                                      "allowPrivilegeEscalation: true"};
    const char *main_ape = ape[prop_pick(s, 4)], *side_ape = ape[prop_pick(s, 4)];
    const char *init_ape = ape[prop_pick(s, 4)];
    bool init = prop_chance(s, 15);
    char *buf = NULL;
    bool side = prop_chance(s, 30);
    int r = asprintf(
        &buf,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: %s, labels: "
        "{app: %s%s}}\nspec:\n  nodeName: node-1\n  securityContext:\n"
        "    seccompProfile: {type: Localhost, localhostProfile: \"%s\"}\n"
        "%s%s%s"
        "  containers:\n  - {name: main, image: busybox, securityContext: {%s}}\n%s%s%s%s%s",
        name, ns, prop_pick(s, 2) ? "x" : "z", prop_pick(s, 3) ? "" : ", tier: fe", ref,
        init ? "  initContainers:\n  - {name: init, image: busybox, securityContext: {" : "",
        init ? init_ape : "", init ? "}}\n" : "", main_ape,
        side ? "  - name: side\n    image: busybox\n    securityContext: "
               "{seccompProfile: {type: Localhost, localhostProfile: \""
             : "",
        side ? ref2 : "", side ? "\"}" : "", side && *side_ape ? ", " : "", side ? side_ape : "");
    if (r >= 0 && side) {
        char *full = NULL;
        r = asprintf(&full, "%s}\n", buf);
        free(buf);
        buf = r < 0 ? NULL : full;
    }
    return r < 0 ? NULL : buf;
}

/* ---- the harness ------------------------------------------------------------------------- */

static int prop_init(struct prop *p, void (*on_fail)(const char *, void *), void *userdata)
{
    *p = (struct prop){.on_fail = on_fail, .userdata = userdata, .arch = arch_parse("x86_64")};
    hmap_init(&p->objs);
    hmap_init(&p->lastvalid);
    hmap_init(&p->prevs);
    prop_model_init(&p->m);
    return engine_new(p->arch, &p->e);
}

static void prop_free(struct prop *p)
{
    engine_free(p->e);
    hmap_clear(&p->objs, prop_obj_free);
    hmap_clear(&p->lastvalid, prop_str_free);
    hmap_clear(&p->prevs, prop_str_free);
    prop_model_clear(&p->m);
}

static void prop_key(char *buf, size_t len, enum prop_type t, enum policy_kind kind, const char *ns,
                     const char *name)
{
    if (t == PROP_POLICY)
        snprintf(buf, len, "pol/%d/%s/%s", (int)kind, ns ? ns : "", name);
    else if (t == PROP_NAMESPACE)
        snprintf(buf, len, "ns/%s", name);
    else
        snprintf(buf, len, "pod/%s/%s", ns, name);
}

static void prop_set_str(struct hmap *m, const char *key, const char *val)
{
    char *v = val ? strdup(val) : NULL;
    void *old = NULL;
    if (v) {
        if (hmap_put(m, key, v, &old) < 0)
            free(v);
    } else
        old = hmap_remove(m, key);
    free(old);
}

/* The i-th object of type t (modulo how many there are), or NULL. */
static const struct prop_obj *prop_nth(const struct prop *p, enum prop_type t, unsigned i)
{
    size_t n = 0;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&p->objs, &it); h; h = hmap_next(&p->objs, &it))
        n += ((struct prop_obj *)h->value)->type == t;
    if (n == 0)
        return NULL;
    i %= n;
    for (struct hmap_entry *h = hmap_first(&p->objs, &it); h; h = hmap_next(&p->objs, &it))
        if (((struct prop_obj *)h->value)->type == t && i-- == 0)
            return h->value;
    return NULL;
}

/* One step: a random put, update or delete on the incremental engine, then its sync. */
static void prop_step(struct prop *p, struct prop_src *s, int *chain_next)
{
    char key[600], what[160];
    unsigned op = *chain_next >= 0 ? 0 : prop_pick(s, 100);
    struct prop_obj tmpl = {0};
    char name[32];
    const char *ns = NULL;
    int r = 0;
    if (op < 50) {
        /* A policy: put or update. */
        int chain_parent = -1;
        if (*chain_next >= 0) {
            tmpl.kind = PK_POLICY;
            ns = "a";
            snprintf(name, sizeof(name), "p%d", *chain_next);
            chain_parent = *chain_next > 0 ? *chain_next - 1 : -1;
            *chain_next = *chain_next + 1 < PROP_CHAIN ? *chain_next + 1 : -1;
        } else {
            unsigned k = prop_pick(s, 10);
            tmpl.kind = k < 6 ? PK_POLICY : k < 9 ? PK_CLUSTER : PK_KUBEARMOR;
            ns = tmpl.kind == PK_CLUSTER                        ? NULL
                 : tmpl.kind == PK_KUBEARMOR || prop_pick(s, 3) ? "a"
                                                                : "b";
            unsigned max = ns && !strcmp(ns, "a") && tmpl.kind == PK_POLICY && prop_chance(s, 10)
                               ? PROP_CHAIN
                               : PROP_FEW;
            snprintf(name, sizeof(name), "%s%u", tmpl.kind == PK_CLUSTER ? "c" : "p",
                     prop_pick(s, max));
        }
        tmpl.type = PROP_POLICY;
        tmpl.yaml = prop_gen_policy(s, tmpl.kind, ns, name, chain_parent);
        snprintf(what, sizeof(what), "put %s %s%s%s", policy_kind_name(tmpl.kind), ns ? ns : "",
                 ns ? "/" : "", name);
    } else if (op < 62) {
        /* Delete a policy: mostly one that exists. */
        tmpl.type = PROP_POLICY;
        const struct prop_obj *victim = prop_nth(p, PROP_POLICY, prop_pick(s, 256));
        if (victim && prop_chance(s, 90)) {
            tmpl.kind = victim->kind;
            ns = victim->ns ? (strcmp(victim->ns, "a") == 0 ? "a" : "b") : NULL;
            snprintf(name, sizeof(name), "%s", victim->name);
        } else {
            tmpl.kind = PK_POLICY;
            ns = "b";
            snprintf(name, sizeof(name), "p%u", prop_pick(s, PROP_FEW));
        }
        snprintf(what, sizeof(what), "delete %s %s%s%s", policy_kind_name(tmpl.kind), ns ? ns : "",
                 ns ? "/" : "", name);
    } else if (op < 70) {
        tmpl.type = PROP_NAMESPACE;
        snprintf(name, sizeof(name), "%s", prop_pick(s, 2) ? "a" : "b");
        if (prop_chance(s, 75) &&
            asprintf(&tmpl.yaml,
                     "apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: "
                     "{env: %s}}\n",
                     name, prop_pick(s, 2) ? "prod" : "dev") < 0)
            tmpl.yaml = NULL;
        snprintf(what, sizeof(what), "%s Namespace %s", tmpl.yaml ? "put" : "delete", name);
    } else if (op < 99) {
        tmpl.type = PROP_POD;
        ns = prop_pick(s, 3) ? "a" : "b";
        snprintf(name, sizeof(name), "pod%u", prop_pick(s, 4));
        if (prop_chance(s, 70))
            tmpl.yaml = prop_gen_pod(s, ns, name);
        snprintf(what, sizeof(what), "%s Pod %s/%s", tmpl.yaml ? "put" : "delete", ns, name);
    } else {
        *chain_next = 0; /* the next steps put p0..p35, each extending the one before */
        snprintf(what, sizeof(what), "start a chain of %d", PROP_CHAIN);
    }
    snprintf(p->log[p->steps % 8], sizeof(p->log[0]), "%s", what);
    p->steps++;
    if (strncmp(what, "start", 5) == 0)
        return;

    prop_key(key, sizeof(key), tmpl.type, tmpl.kind, ns, name);
    struct prop_obj *cur = hmap_get(&p->objs, key);
    bool put = tmpl.type == PROP_POLICY ? op < 50 : tmpl.yaml != NULL;
    if (put && !tmpl.yaml) {
        prop_failf(p, "out of memory generating %s", what);
        return;
    }
    if (tmpl.type == PROP_POLICY) {
        /* The engine remembers the version it replaces when that one is in force: it compiled,
         * or is invalid through an ancestor alone and compiles on the ancestors' fallbacks
         * (asked of the engine: that walk is the engine's, checked by the rest). */
        const struct policy *was = cur ? engine_get_policy(p->e, tmpl.kind, ns, name) : NULL;
        bool in_force = false;
        if (was && engine_policy_in_force(p->e, was, &in_force) < 0)
            prop_failf(p, "%s: engine_policy_in_force failed", what);
        if (cur && in_force)
            prop_set_str(&p->prevs, key, cur->yaml);
        if (!put)
            prop_set_str(&p->prevs, key, NULL);
        prop_set_str(&p->lastvalid, key, NULL);
    }
    if (tmpl.type == PROP_POD) /* its refusals are told again */
        prop_str_free(hmap_remove(&p->m.refusals, key + 4));
    if (put) {
        r = prop_put(p->e, tmpl.yaml);
        if (r < 0) {
            prop_failf(p, "%s: put failed (%s):\n%s", what, strerror(-r), tmpl.yaml);
            free(tmpl.yaml);
            return;
        }
        struct prop_obj *o = calloc(1, sizeof(*o));
        *o = tmpl;
        o->ns = ns ? strdup(ns) : NULL;
        o->name = strdup(name);
        struct kerr err = {0};
        if (ydoc_parse_yaml(o->yaml, strlen(o->yaml), "prop.yaml", &o->docs, &o->ndocs, &err) < 0)
            prop_failf(p, "%s: parse: %s", what, err.msg);
        void *old = NULL;
        hmap_put(&p->objs, key, o, &old);
        prop_obj_free(old);
    } else {
        free(tmpl.yaml);
        if (tmpl.type == PROP_POLICY)
            r = engine_delete_policy(p->e, tmpl.kind, ns, name);
        else if (tmpl.type == PROP_NAMESPACE)
            r = engine_delete_namespace(p->e, name);
        else
            r = engine_delete_pod(p->e, ns, name);
        if ((r == 0) != (cur != NULL)) {
            prop_failf(p, "%s: delete returned %d with the object %s", what, r,
                       cur ? "present" : "absent");
            return;
        }
        prop_obj_free(hmap_remove(&p->objs, key));
    }
    r = prop_sync(p->e, &p->m);
    if (r < 0)
        prop_failf(p, "%s: sync failed: %s", what, strerror(-r));
}

/* A fresh engine holding the current objects, in another order, with the remembered versions. */
static struct engine *prop_fresh(struct prop *p)
{
    struct engine *f = NULL;
    if (engine_new(p->arch, &f) < 0)
        return NULL;
    const char **keys = calloc(p->objs.n + 1, sizeof(*keys));
    size_t n = 0;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&p->objs, &it); keys && h; h = hmap_next(&p->objs, &it))
        keys[n++] = h->key;
    if (keys && n > 1)
        qsort(keys, n, sizeof(*keys), prop_cmp_str);
    for (size_t i = n; keys && i-- > 0;) { /* pods, then policies, then Namespaces */
        struct prop_obj *o = hmap_get(&p->objs, keys[i]);
        int r = prop_put_docs(f, o->yaml, o->docs, o->ndocs);
        if (r < 0)
            prop_failf(p, "fresh engine: put failed (%s):\n%s", strerror(-r), o->yaml);
    }
    free(keys);
    /* The last version of each policy that compiled: its current one (an engine that saw it
     * compile still takes its rules when an ancestor makes it invalid), or the one before. */
    struct hmap *lasts[] = {&p->lastvalid, &p->prevs};
    for (size_t l = 0; l < ELEMENTSOF(lasts); l++)
        for (struct hmap_entry *h = hmap_first(lasts[l], &it); h; h = hmap_next(lasts[l], &it)) {
            struct object o = {0};
            int r = prop_decode(h->value, &o);
            if (r == 0 && o.type == OBJ_POLICY)
                r = engine_remember_policy(f, TAKE_PTR(o.policy));
            object_clear(&o);
            if (r < 0)
                prop_failf(p, "fresh engine: remembering %s failed (%s)", h->key, strerror(-r));
        }
    return f;
}

/* Whether two compiled profiles say the same (their engines number syscalls differently, so
 * each rule of a is looked up in b by its name's id in b's engine). Origins compare as text. */
static bool prop_cprof_equal(const struct cprof *a, const struct sysdb *da, const struct cprof *b,
                             struct sysdb *db)
{
    if (!verdict_eq(a->dflt, b->dflt) || a->arches != b->arches || a->ceiling != b->ceiling ||
        a->nents != b->nents || a->nconds != b->nconds ||
        strcmp(a->origins[a->dflt_origin], b->origins[b->dflt_origin]) != 0 ||
        strcmp(a->origins[a->arch_origin], b->origins[b->arch_origin]) != 0)
        return false;
    for (size_t i = 0; i < a->nents; i++) {
        uint32_t id;
        if (sysdb_lookup(db, sysdb_name(da, a->ents[i].sys), &id) < 0)
            return false;
        size_t lo = 0, hi = b->nents; /* ents are sorted by id */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (b->ents[mid].sys < id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == b->nents || b->ents[lo].sys != id || !verdict_eq(a->ents[i].v, b->ents[lo].v) ||
            strcmp(a->origins[a->ents[i].origin], b->origins[b->ents[lo].origin]) != 0)
            return false;
    }
    for (size_t i = 0; i < a->nconds; i++) {
        const struct ccond *x = &a->conds[i];
        uint32_t id;
        if (sysdb_lookup(db, sysdb_name(da, x->sys), &id) < 0)
            return false;
        bool found = false;
        for (size_t k = 0; k < b->nconds && !found; k++) {
            const struct ccond *y = &b->conds[k];
            found = y->sys == id && verdict_eq(x->v, y->v) && x->nargs == y->nargs &&
                    strcmp(a->origins[x->origin], b->origins[y->origin]) == 0;
            for (unsigned j = 0; found && j < x->nargs; j++)
                found = x->args[j].index == y->args[j].index && x->args[j].op == y->args[j].op &&
                        x->args[j].value == y->args[j].value &&
                        x->args[j].value_two == y->args[j].value_two;
        }
        if (!found)
            return false;
    }
    return true;
}

static void prop_strv_text(char *const *v, size_t n, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "", v[i]);
}

/* Compares one policy's status and descendants in the two engines; records whether it is
 * valid (what the next step's put remembers). */
static void prop_check_policy(struct prop *p, struct engine *f, const struct prop_obj *o,
                              const char *key)
{
    const struct policy *pi = engine_get_policy(p->e, o->kind, o->ns, o->name);
    const struct policy *pf = engine_get_policy(f, o->kind, o->ns, o->name);
    if (!pi || !pf) {
        prop_failf(p, "%s: known to the incremental engine: %d, to the fresh one: %d", key, !!pi,
                   !!pf);
        return;
    }
    struct policy_result ri, rf;
    if (engine_policy_result(p->e, pi, &ri) < 0 || engine_policy_result(f, pf, &rf) < 0) {
        prop_failf(p, "%s: engine_policy_result failed", key);
        return;
    }
    if (ri.valid != rf.valid || (!ri.valid && strcmp(ri.error, rf.error) != 0)) {
        prop_failf(p, "%s: incremental %s (%s), fresh %s (%s)", key, ri.valid ? "valid" : "invalid",
                   ri.valid ? "" : ri.error, rf.valid ? "valid" : "invalid",
                   rf.valid ? "" : rf.error);
        return;
    }
    if (!ri.valid)
        return;
    char a[2048], b[2048];
    prop_strv_text(ri.conflicts, ri.nconflicts, a, sizeof(a));
    prop_strv_text(rf.conflicts, rf.nconflicts, b, sizeof(b));
    if (strcmp(a, b) != 0)
        prop_failf(p, "%s: conflicts incremental [%s], fresh [%s]", key, a, b);
    prop_strv_text(ri.warnings, ri.nwarnings, a, sizeof(a));
    prop_strv_text(rf.warnings, rf.nwarnings, b, sizeof(b));
    if (strcmp(a, b) != 0)
        prop_failf(p, "%s: warnings incremental [%s], fresh [%s]", key, a, b);
    char ia[300] = "-", fa[300] = "-";
    if (ri.parent)
        policy_id(ri.parent, ia, sizeof(ia));
    if (rf.parent)
        policy_id(rf.parent, fa, sizeof(fa));
    if (strcmp(ia, fa) != 0 || (ri.parent && rf.parent && ri.parent->kind != rf.parent->kind))
        prop_failf(p, "%s: parent incremental %s, fresh %s", key, ia, fa);
    if (!prop_cprof_equal(ri.prof, engine_sysdb(p->e), rf.prof, engine_sysdb(f))) {
        char *ji = NULL, *jf = NULL;
        size_t li = 0, lf = 0;
        profile_render(ri.prof, engine_sysdb(p->e), &ji, &li);
        profile_render(rf.prof, engine_sysdb(f), &jf, &lf);
        prop_failf(p, "%s: compiled profile differs\nincremental:\n%s\nfresh:\n%s", key,
                   ji ? ji : "?", jf ? jf : "?");
        free(ji);
        free(jf);
    }
}

static void prop_check_children(struct prop *p, struct engine *f, const struct policy *pi,
                                const struct policy *pf, const char *key)
{
    const struct policy **ki = NULL, **kf = NULL;
    size_t ni = 0, nf = 0;
    if (engine_children(p->e, pi, &ki, &ni) < 0 || engine_children(f, pf, &kf, &nf) < 0) {
        prop_failf(p, "%s: engine_children failed", key);
    } else {
        bool same = ni == nf;
        char id1[300], id2[300];
        for (size_t i = 0; same && i < ni; i++)
            same = ki[i]->kind == kf[i]->kind && strcmp(policy_id(ki[i], id1, sizeof(id1)),
                                                        policy_id(kf[i], id2, sizeof(id2))) == 0;
        if (!same)
            prop_failf(p,
                       "%s: %zu children in the incremental engine, %zu in the fresh one (or "
                       "others)",
                       key, ni, nf);
    }
    free(ki);
    free(kf);
}

/* Compares the incremental engine with a fresh one; the heart of the property. */
static void prop_check(struct prop *p)
{
    struct engine *f = prop_fresh(p);
    if (!f) {
        prop_failf(p, "cannot make a fresh engine");
        return;
    }
    /* Policies: status and descendants. */
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&p->objs, &it); h; h = hmap_next(&p->objs, &it)) {
        const struct prop_obj *o = h->value;
        if (o->type != PROP_POLICY)
            continue;
        prop_check_policy(p, f, o, h->key);
        prop_check_children(p, f, engine_get_policy(p->e, o->kind, o->ns, o->name),
                            engine_get_policy(f, o->kind, o->ns, o->name), h->key);
    }
    prop_check_children(p, f, NULL, NULL, "runtime/default");

    /* Files and Events. */
    struct prop_model fm = {0};
    prop_model_init(&fm);
    int r = prop_sync(f, &fm);
    if (r < 0)
        prop_failf(p, "fresh engine: sync failed: %s", strerror(-r));
    static const char *const names[] = {"FILE_WRITE", "FILE_KEEP", "FILE_REMOVE"};
    for (struct hmap_entry *h = hmap_first(&fm.files, &it); h; h = hmap_next(&fm.files, &it)) {
        const struct prop_file *want = h->value, *got = hmap_get(&p->m.files, h->key);
        if (!got) {
            prop_failf(p, "kscmp/%s: the fresh engine says %s, the incremental one never told",
                       h->key, names[want->action]);
            continue;
        }
        if (got->action != want->action)
            prop_failf(p, "kscmp/%s: incremental %s, fresh %s\nEvents incremental:\n%sfresh:\n%s",
                       h->key, names[got->action], names[want->action], got->events, want->events);
        else if (want->action == FILE_WRITE && strcmp(got->json, want->json) != 0)
            prop_failf(p, "kscmp/%s: bytes differ\nincremental:\n%s\nfresh:\n%s", h->key, got->json,
                       want->json);
        else if (strcmp(got->events, want->events) != 0)
            prop_failf(p, "kscmp/%s: Events differ\nincremental:\n%sfresh:\n%s", h->key,
                       got->events, want->events);
    }
    for (struct hmap_entry *h = hmap_first(&p->m.files, &it); h; h = hmap_next(&p->m.files, &it))
        if (!hmap_get(&fm.files, h->key))
            prop_failf(p, "kscmp/%s: the incremental engine last said %s, the fresh one nothing",
                       h->key, names[((struct prop_file *)h->value)->action]);
    for (struct hmap_entry *h = hmap_first(&fm.refusals, &it); h;
         h = hmap_next(&fm.refusals, &it)) {
        const char *got = hmap_get(&p->m.refusals, h->key);
        if (!got || strcmp(got, h->value) != 0)
            prop_failf(p, "Pod %s: refusals differ\nincremental:\n%s\nfresh:\n%s", h->key,
                       got ? got : "(none)\n", (char *)h->value);
    }
    for (struct hmap_entry *h = hmap_first(&p->m.refusals, &it); h;
         h = hmap_next(&p->m.refusals, &it))
        if (!hmap_get(&fm.refusals, h->key))
            prop_failf(p, "Pod %s: refused by the incremental engine only:\n%s", h->key,
                       (char *)h->value);
    prop_model_clear(&fm);
    engine_free(f);
}

/* What a node does after each change besides its files: the status of every policy (so every
 * policy is compiled, as an agent that reports status compiles them; engine_policy_status, as
 * the agent asks, so the profiles compiled for a status alone are dropped and compiled again
 * when a file or a child needs them). Records which are valid: the engine remembers a valid
 * version that a put replaces. */
static void prop_observe(struct prop *p)
{
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&p->objs, &it); h; h = hmap_next(&p->objs, &it)) {
        const struct prop_obj *o = h->value;
        if (o->type != PROP_POLICY)
            continue;
        const struct policy *pol = engine_get_policy(p->e, o->kind, o->ns, o->name);
        struct policy_result r;
        if (!pol || engine_policy_status(p->e, pol, &r) < 0) {
            prop_failf(p, "%s: no status", h->key);
            continue;
        }
        if (r.valid) { /* a version that compiles ends what was kept, and stays the last good one
                        * while an ancestor's change makes it invalid */
            prop_set_str(&p->lastvalid, h->key, o->yaml);
            prop_set_str(&p->prevs, h->key, NULL);
        }
    }
}

/* Runs steps until the source runs dry or max steps are done; checks after each step
 * (every_step) or once at the end. The fuzzer checks at the end: every prefix of an input is
 * an input too, so over a corpus that still checks after every step. */
static void prop_run(struct prop *p, struct prop_src *s, unsigned max, bool every_step)
{
    int chain_next = -1;
    for (unsigned i = 0; i < max && !prop_done(s); i++) {
        prop_step(p, s, &chain_next);
        prop_observe(p);
        if (every_step)
            prop_check(p);
    }
    if (!every_step)
        prop_check(p);
}

#endif
