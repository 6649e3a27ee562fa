/* model.c - freeing and matching of the object model. */
#include "engine/model.h"

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
    free(p->ns);
    free(p->name);
    free(p->file);
    free(p->uid);
    free(p->resource_version);
    selector_free(&p->selector);
    selector_free(&p->ns_selector);
    free(p->extends);
    for (size_t i = 0; i < p->nblocks; i++) {
        free(p->blocks[i].path);
        free(p->blocks[i].syscalls); /* the names are in the same allocation */
        free(p->blocks[i].groups);
        free(p->blocks[i].args);
    }
    free(p->blocks);
    free(p->error);
    free(p);
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
    labels_free(&n->labels);
    free(n);
}
