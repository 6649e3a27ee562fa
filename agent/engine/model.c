/* model.c - freeing and matching of the object model. */
#include "engine/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLUSTER_REF_PREFIX "ClusterSeccompPolicy/"

const char *cluster_policy_ref(const char *ref)
{
    size_t n = strlen(CLUSTER_REF_PREFIX);
    return strncmp(ref, CLUSTER_REF_PREFIX, n) == 0 ? ref + n : NULL;
}

bool policy_parent(const struct policy *p, struct policy_key *ret)
{
    if (!p->extends || strcmp(p->extends, "runtime/default") == 0)
        return false;
    const char *cluster = cluster_policy_ref(p->extends);
    if (cluster)
        *ret = (struct policy_key){PK_CLUSTER, NULL, cluster};
    else if (p->kind == PK_CLUSTER)
        *ret = (struct policy_key){PK_CLUSTER, NULL, p->extends};
    else
        *ret = (struct policy_key){PK_POLICY, p->ns, p->extends};
    return true;
}

const char *policy_kind_name(enum policy_kind k)
{
    switch (k) {
    case PK_POLICY:
        return "SeccompPolicy";
    case PK_CLUSTER:
        return "ClusterSeccompPolicy";
    case PK_KUBEARMOR:
        return "KubeArmorSeccompPolicy";
    default:
        return "?";
    }
}

const char *labels_get(const struct labels *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, key) == 0)
            return l->v[i].value;
    return NULL;
}

void labels_free(struct labels *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

bool labels_equal(const struct labels *a, const struct labels *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const char *v = labels_get(b, a->v[i].key);
        if (!v || strcmp(v, a->v[i].value) != 0)
            return false;
    }
    return true;
}

bool selector_matches(const struct selector *s, const struct labels *l)
{
    if (!s->present)
        return false;
    for (size_t i = 0; i < s->match.n; i++) {
        const char *v = labels_get(l, s->match.v[i].key);
        if (!v || strcmp(v, s->match.v[i].value) != 0)
            return false;
    }
    for (size_t i = 0; i < s->nexprs; i++) {
        const struct sel_expr *e = &s->exprs[i];
        const char *v = labels_get(l, e->key);
        bool in = false;
        for (size_t j = 0; v && j < e->nvalues; j++)
            if (strcmp(v, e->values[j]) == 0)
                in = true;
        switch (e->op) {
        case SEL_IN:
            if (!in)
                return false;
            break;
        case SEL_NOT_IN:
            if (in)
                return false;
            break;
        case SEL_EXISTS:
            if (!v)
                return false;
            break;
        case SEL_DOES_NOT_EXIST:
            if (v)
                return false;
            break;
        }
    }
    return true;
}

void selector_free(struct selector *s)
{
    labels_free(&s->match);
    for (size_t i = 0; i < s->nexprs; i++) {
        free(s->exprs[i].key);
        for (size_t j = 0; j < s->exprs[i].nvalues; j++)
            free(s->exprs[i].values[j]);
        free(s->exprs[i].values);
    }
    free(s->exprs);
    memset(s, 0, sizeof(*s));
}

void policy_free(struct policy *p)
{
    if (!p)
        return;
    if (p->packed) {
        free(p);
        return;
    }
    free(p->ns);
    free(p->name);
    free(p->file);
    free(p->uid);
    free(p->resource_version);
    selector_free(&p->selector);
    selector_free(&p->ns_selector);
    free(p->extends);
    for (size_t i = 0; i < p->nblocks; i++) {
        free(p->blocks[i].syscalls); /* the names are in the same allocation */
        free(p->blocks[i].groups);
        free(p->blocks[i].args);
    }
    free(p->blocks);
    free(p->error);
    free(p);
}

int selector_copy(const struct selector *in, struct selector *ret)
{
    _cleanup_(selector_free) struct selector s = {.present = in->present};
    if (in->match.n && !(s.match.v = calloc(in->match.n, sizeof(*s.match.v))))
        return -ENOMEM;
    for (size_t i = 0; i < in->match.n; i++) {
        struct label *l = &s.match.v[s.match.n++];
        if (!(l->key = strdup(in->match.v[i].key)) || !(l->value = strdup(in->match.v[i].value)))
            return -ENOMEM;
    }
    if (in->nexprs && !(s.exprs = calloc(in->nexprs, sizeof(*s.exprs))))
        return -ENOMEM;
    for (size_t i = 0; i < in->nexprs; i++) {
        const struct sel_expr *x = &in->exprs[i];
        struct sel_expr *y = &s.exprs[s.nexprs++];
        y->op = x->op;
        if (!(y->key = strdup(x->key)))
            return -ENOMEM;
        if (x->nvalues && !(y->values = calloc(x->nvalues, sizeof(*y->values))))
            return -ENOMEM;
        for (size_t j = 0; j < x->nvalues; j++)
            if (!(y->values[y->nvalues++] = strdup(x->values[j])))
                return -ENOMEM;
    }
    *ret = s;
    s = (struct selector){0};
    return 0;
}

/* policy_pack's two passes over a policy: the first (base NULL) only counts the bytes of
 * the aligned parts (objs) and of the strings (text); the second copies into base, the
 * aligned parts first, the strings after them. */
struct packer {
    char *base;
    size_t obj, text_at, text;
};

static void *pack_obj(struct packer *k, const void *src, size_t n)
{
    if (!n)
        return NULL;
    void *d = k->base ? memcpy(k->base + k->obj, src, n) : NULL;
    k->obj += align8(n);
    return d;
}

static char *pack_str(struct packer *k, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = k->base ? memcpy(k->base + k->text_at + k->text, s, n) : NULL;
    k->text += n;
    return d;
}

static void pack_labels(struct packer *k, const struct labels *in, struct labels *out)
{
    struct label *v = pack_obj(k, in->v, in->n * sizeof(*in->v));
    for (size_t i = 0; i < in->n; i++) {
        char *key = pack_str(k, in->v[i].key), *value = pack_str(k, in->v[i].value);
        if (v) {
            v[i].key = key;
            v[i].value = value;
        }
    }
    out->v = v;
}

static void pack_selector(struct packer *k, const struct selector *in, struct selector *out)
{
    pack_labels(k, &in->match, &out->match);
    struct sel_expr *x = pack_obj(k, in->exprs, in->nexprs * sizeof(*in->exprs));
    for (size_t i = 0; i < in->nexprs; i++) {
        const struct sel_expr *e = &in->exprs[i];
        char *key = pack_str(k, e->key);
        char **values = pack_obj(k, e->values, e->nvalues * sizeof(*e->values));
        for (size_t j = 0; j < e->nvalues; j++) {
            char *v = pack_str(k, e->values[j]);
            if (values)
                values[j] = v;
        }
        if (x) {
            x[i].key = key;
            x[i].values = values;
        }
    }
    out->exprs = x;
}

static struct name_ref *pack_names(struct packer *k, const struct name_ref *in, size_t n)
{
    struct name_ref *v = pack_obj(k, in, n * sizeof(*in));
    for (size_t i = 0; i < n; i++) {
        char *s = pack_str(k, in[i].name);
        if (v)
            v[i].name = s;
    }
    return v;
}

/* The pass: q is the copy at the start of base (the second pass) or a scratch struct. */
static void pack_policy(struct packer *k, const struct policy *p, struct policy *q)
{
    pack_obj(k, p, sizeof(*p));
    q->ns = pack_str(k, p->ns);
    q->name = pack_str(k, p->name);
    q->file = pack_str(k, p->file);
    q->uid = pack_str(k, p->uid);
    q->resource_version = pack_str(k, p->resource_version);
    pack_selector(k, &p->selector, &q->selector);
    pack_selector(k, &p->ns_selector, &q->ns_selector);
    q->extends = pack_str(k, p->extends);
    q->error = pack_str(k, p->error);
    q->blocks = pack_obj(k, p->blocks, p->nblocks * sizeof(*p->blocks));
    for (size_t i = 0; i < p->nblocks; i++) {
        const struct block *b = &p->blocks[i];
        struct block scratch, *c = q->blocks ? &q->blocks[i] : &scratch;
        c->syscalls = pack_names(k, b->syscalls, b->nsyscalls);
        c->groups = pack_names(k, b->groups, b->ngroups);
        c->args = pack_obj(k, b->args, b->nargs * sizeof(*b->args));
    }
}

int policy_pack(const struct policy *p, struct policy **ret)
{
    struct policy scratch;
    struct packer k = {0};
    pack_policy(&k, p, &scratch);
    char *base = malloc(k.obj + k.text);
    if (!base)
        return -ENOMEM;
    k = (struct packer){.base = base, .text_at = k.obj};
    pack_policy(&k, p, (struct policy *)base);
    ((struct policy *)base)->packed = true;
    *ret = (struct policy *)base;
    return 0;
}

const char *policy_id(const struct policy *p, char *buf, size_t len)
{
    if (p->ns)
        snprintf(buf, len, "%s/%s", p->ns, p->name ? p->name : "?");
    else
        snprintf(buf, len, "%s", p->name ? p->name : "?");
    return buf;
}

void pod_free(struct pod *p)
{
    if (!p)
        return;
    free(p->ns);
    free(p->name);
    free(p->uid);
    free(p->node_name);
    free(p->file);
    labels_free(&p->labels);
    for (size_t i = 0; i < p->nrefs; i++)
        free(p->refs[i]);
    free(p->refs);
    free(p->refs_nnp);
    free(p->refs_line);
    for (size_t i = 0; i < p->ncontainers; i++)
        free(p->containers[i].name);
    free(p->containers);
    free(p);
}

void namespace_free(struct k8s_namespace *n)
{
    if (!n)
        return;
    free(n->name);
    free(n->file);
    labels_free(&n->labels);
    free(n);
}
