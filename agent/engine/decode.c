/* decode.c - strict decoding of policies, and of the parts of Pods and Namespaces we use. */
#include "engine/decode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/cleanup.h"

struct dctx {
    const char *file;
    char who[320]; /* "SeccompPolicy demo/web" */
    struct kerr *err;
};

/* Fills err with "FILE:LINE: WHO: FIELD: message" and returns -EINVAL. */
static int __attribute__((format(printf, 4, 5)))
fail(struct dctx *c, const struct ynode *n, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char where[300] = "";
    if (c->file && *c->file) {
        if (n && n->line > 0)
            snprintf(where, sizeof(where), "%s:%d: ", c->file, n->line);
        else
            snprintf(where, sizeof(where), "%s: ", c->file);
    }
    return kerr_set(c->err, -EINVAL, "%s%s%s%s%s%s", where, c->who, *c->who ? ": " : "",
                    field ? field : "", field ? ": " : "", msg);
}

static bool is_str(const struct ynode *n)
{
    return n && n->kind == YN_SCALAR && n->stype == YS_STR;
}

static int want_kind(struct dctx *c, const struct ynode *n, const char *field, enum ynode_kind k)
{
    if (n->kind == k)
        return 0;
    return fail(c, n, field, "must be %s, not %s",
                k == YN_MAP   ? "a mapping"
                : k == YN_SEQ ? "a list"
                              : "a value",
                ynode_kind_name(n));
}

static int get_string(struct dctx *c, const struct ynode *n, const char *field, char **ret)
{
    if (!is_str(n))
        return fail(c, n, field, "must be a string, not %s", ynode_kind_name(n));
    char *s = strdup(n->str);
    if (!s)
        return -ENOMEM;
    *ret = s;
    return 0;
}

/* Integers as YAML 1.2 reads them: decimal, 0x hex, 0o octal. */
static int parse_u64(const char *s, uint64_t *ret)
{
    int base = 10;
    if (strncmp(s, "0x", 2) == 0) {
        base = 16;
        s += 2;
    } else if (strncmp(s, "0o", 2) == 0) {
        base = 8;
        s += 2;
    } else if (*s == '+')
        s++;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || *end)
        return -EINVAL;
    *ret = v;
    return 0;
}

static int get_u64(struct dctx *c, const struct ynode *n, const char *field, uint64_t *ret)
{
    if (n->kind == YN_SCALAR && n->stype == YS_INT && parse_u64(n->str, ret) == 0)
        return 0;
    if (n->kind == YN_SCALAR && (n->stype == YS_INT || n->stype == YS_FLOAT))
        return fail(c, n, field, "must be a whole number from 0 to 18446744073709551615, not %.64s",
                    n->str);
    if (is_str(n))
        return fail(c, n, field, "must be a whole number, not the string \"%.64s\"", n->str);
    return fail(c, n, field, "must be a whole number, not %s", ynode_kind_name(n));
}

/* A value outside a fixed set: "unknown WHAT "x" (CHOICES)", or "must be CHOICES, not a list"
 * when it is not even a scalar. */
static int fail_choice(struct dctx *c, const struct ynode *n, const char *field, const char *what,
                       const char *choices)
{
    if (n->kind != YN_SCALAR || n->stype == YS_NULL)
        return fail(c, n, field, "must be %s, not %s", choices, ynode_kind_name(n));
    return fail(c, n, field, "unknown %s \"%.64s\" (%s)", what, n->str, choices);
}

static int check_keys(struct dctx *c, const struct ynode *map, const char *field,
                      const char *const *allowed)
{
    for (size_t i = 0; i < map->n; i++) {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(map->keys[i], *a) == 0)
                ok = true;
        if (!ok) {
            char path[256];
            snprintf(path, sizeof(path), "%s%s%s", field ? field : "", field ? "." : "",
                     map->keys[i]);
            return fail(c, map->items[i], path, "unknown field");
        }
    }
    return 0;
}

static int decode_labels(struct dctx *c, const struct ynode *n, const char *field,
                         struct labels *ret)
{
    if (!n || (n->kind == YN_SCALAR && n->stype == YS_NULL))
        return 0;
    int r = want_kind(c, n, field, YN_MAP);
    if (r < 0)
        return r;
    struct labels l = {.v = calloc(n->n ? n->n : 1, sizeof(struct label))};
    if (!l.v)
        return -ENOMEM;
    for (size_t i = 0; i < n->n; i++) {
        char path[300];
        snprintf(path, sizeof(path), "%s.%s", field, n->keys[i]);
        char *v = NULL;
        r = get_string(c, n->items[i], path, &v);
        if (r < 0) {
            labels_free(&l);
            return r;
        }
        l.v[l.n].key = strdup(n->keys[i]);
        l.v[l.n++].value = v;
        if (!l.v[l.n - 1].key) {
            labels_free(&l);
            return -ENOMEM;
        }
    }
    *ret = l;
    return 0;
}

static int decode_selector(struct dctx *c, const struct ynode *n, const char *field,
                           struct selector *ret)
{
    if (!n || (n->kind == YN_SCALAR && n->stype == YS_NULL))
        return 0; /* omitted: present stays false */
    int r = want_kind(c, n, field, YN_MAP);
    if (r < 0)
        return r;
    static const char *const keys[] = {"matchLabels", "matchExpressions", NULL};
    r = check_keys(c, n, field, keys);
    if (r < 0)
        return r;
    struct selector s = {.present = true};
    char path[300];
    snprintf(path, sizeof(path), "%s.matchLabels", field);
    r = decode_labels(c, ynode_get(n, "matchLabels"), path, &s.match);
    if (r < 0)
        return r;
    const struct ynode *ex = ynode_get(n, "matchExpressions");
    if (ex && !(ex->kind == YN_SCALAR && ex->stype == YS_NULL)) {
        snprintf(path, sizeof(path), "%s.matchExpressions", field);
        r = want_kind(c, ex, path, YN_SEQ);
        if (r < 0)
            goto fail;
        s.exprs = calloc(ex->n ? ex->n : 1, sizeof(*s.exprs));
        if (!s.exprs) {
            r = -ENOMEM;
            goto fail;
        }
        for (size_t i = 0; i < ex->n; i++) {
            const struct ynode *e = ex->items[i];
            snprintf(path, sizeof(path), "%s.matchExpressions[%zu]", field, i);
            static const char *const ekeys[] = {"key", "operator", "values", NULL};
            if ((r = want_kind(c, e, path, YN_MAP)) < 0 || (r = check_keys(c, e, path, ekeys)) < 0)
                goto fail;
            struct sel_expr *x = &s.exprs[s.nexprs++];
            const struct ynode *k = ynode_get(e, "key"), *op = ynode_get(e, "operator"),
                               *vals = ynode_get(e, "values");
            char sub[340];
            snprintf(sub, sizeof(sub), "%s.key", path);
            if (!k) {
                r = fail(c, e, sub, "required");
                goto fail;
            }
            if ((r = get_string(c, k, sub, &x->key)) < 0)
                goto fail;
            snprintf(sub, sizeof(sub), "%s.operator", path);
            if (!op || !is_str(op)) {
                r = fail(c, op ? op : e, sub, "required: In, NotIn, Exists or DoesNotExist");
                goto fail;
            }
            if (strcmp(op->str, "In") == 0)
                x->op = SEL_IN;
            else if (strcmp(op->str, "NotIn") == 0)
                x->op = SEL_NOT_IN;
            else if (strcmp(op->str, "Exists") == 0)
                x->op = SEL_EXISTS;
            else if (strcmp(op->str, "DoesNotExist") == 0)
                x->op = SEL_DOES_NOT_EXIST;
            else {
                r = fail(c, op, sub,
                         "unknown operator \"%.100s\" (In, NotIn, Exists, DoesNotExist)", op->str);
                goto fail;
            }
            size_t nv = 0;
            if (vals && !(vals->kind == YN_SCALAR && vals->stype == YS_NULL)) {
                snprintf(sub, sizeof(sub), "%s.values", path);
                if ((r = want_kind(c, vals, sub, YN_SEQ)) < 0)
                    goto fail;
                nv = vals->n;
                x->values = calloc(nv ? nv : 1, sizeof(char *));
                if (!x->values) {
                    r = -ENOMEM;
                    goto fail;
                }
                for (size_t j = 0; j < nv; j++) {
                    snprintf(sub, sizeof(sub), "%s.values[%zu]", path, j);
                    if ((r = get_string(c, vals->items[j], sub, &x->values[x->nvalues])) < 0)
                        goto fail;
                    x->nvalues++;
                }
            }
            bool needs_values = x->op == SEL_IN || x->op == SEL_NOT_IN;
            if (needs_values != (nv > 0)) {
                snprintf(sub, sizeof(sub), "%s.values", path);
                r = fail(c, vals ? vals : e, sub,
                         needs_values ? "must not be empty for In and NotIn"
                                      : "must be empty for Exists and DoesNotExist");
                goto fail;
            }
        }
    }
    *ret = s;
    return 0;
fail:
    selector_free(&s);
    return r;
}

/* A list of names, in one allocation: the name_ref array followed by the strings it points
 * into (tens of thousands of policies hold hundreds of thousands of names). */
static int decode_names(struct dctx *c, const struct ynode *n, const char *field, bool groups,
                        struct name_ref **ret, size_t *ret_n)
{
    if (!n || (n->kind == YN_SCALAR && n->stype == YS_NULL))
        return 0;
    int r = want_kind(c, n, field, YN_SEQ);
    if (r < 0)
        return r;
    size_t bytes = 0;
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *it = n->items[i];
        char path[300];
        if (!is_str(it)) {
            snprintf(path, sizeof(path), "%s[%zu]", field, i);
            return fail(c, it, path, "must be a string, not %s", ynode_kind_name(it));
        }
        const char *s = it->str;
        bool ok = *s && strlen(s) <= 64;
        for (const char *p = groups && *s == '@' ? s + 1 : s; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
                 (groups && *p == '-');
        if (!ok) {
            snprintf(path, sizeof(path), "%s[%zu]", field, i);
            return fail(c, it, path, "\"%.100s\" is not a %s name", s,
                        groups ? "group" : "syscall");
        }
        bytes += strlen(s) + 1;
    }
    size_t head = (n->n ? n->n : 1) * sizeof(struct name_ref);
    struct name_ref *v = malloc(head + bytes);
    if (!v)
        return -ENOMEM;
    char *strings = (char *)v + head;
    for (size_t i = 0; i < n->n; i++) {
        size_t len = strlen(n->items[i]->str) + 1;
        memcpy(strings, n->items[i]->str, len);
        v[i].name = strings;
        v[i].line = n->items[i]->line;
        strings += len;
    }
    *ret = v;
    *ret_n = n->n;
    return 0;
}

static int decode_action(struct dctx *c, const struct ynode *n, const char *field,
                         struct verdict *ret)
{
    enum action a;
    if (!is_str(n) || action_parse(n->str, &a) < 0)
        return fail_choice(c, n, field, "action", "Allow, Audit, Block, Trap, Kill or SCMP_ACT_*");
    *ret = VERDICT(a);
    return 0;
}

static int decode_args(struct dctx *c, const struct ynode *n, const char *field, struct block *b)
{
    int r = want_kind(c, n, field, YN_SEQ);
    if (r < 0)
        return r;
    if (n->n > 6)
        return fail(c, n, field, "at most 6 conditions, one per argument");
    if (n->n && !(b->args = calloc(n->n, sizeof(*b->args))))
        return -ENOMEM;
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *a = n->items[i];
        char path[300], sub[340];
        snprintf(path, sizeof(path), "%s[%zu]", field, i);
        static const char *const keys[] = {"index", "value", "valueTwo", "op", NULL};
        if ((r = want_kind(c, a, path, YN_MAP)) < 0 || (r = check_keys(c, a, path, keys)) < 0)
            return r;
        struct sys_arg *x = &b->args[b->nargs];
        const struct ynode *idx = ynode_get(a, "index"), *val = ynode_get(a, "value"),
                           *two = ynode_get(a, "valueTwo"), *op = ynode_get(a, "op");
        snprintf(sub, sizeof(sub), "%s.index", path);
        if (!idx)
            return fail(c, a, sub, "required");
        uint64_t v;
        if ((r = get_u64(c, idx, sub, &v)) < 0)
            return r;
        if (v > 5)
            return fail(c, idx, sub,
                        "index %" PRIu64 " is over 5 (a syscall has 6 arguments, 0 to 5)", v);
        x->index = (uint8_t)v;
        for (size_t j = 0; j < b->nargs; j++)
            if (b->args[j].index == x->index)
                return fail(c, idx, sub, "index %u is used twice in one rule", x->index);
        snprintf(sub, sizeof(sub), "%s.value", path);
        if (!val)
            return fail(c, a, sub, "required");
        if ((r = get_u64(c, val, sub, &x->value)) < 0)
            return r;
        if (x->value > INT64_MAX) /* as the CRD: Kubernetes integers are signed 64-bit */
            return fail(c, val, sub, "must be at most 9223372036854775807, not %" PRIu64, x->value);
        x->value_two = 0;
        if (two) {
            snprintf(sub, sizeof(sub), "%s.valueTwo", path);
            if ((r = get_u64(c, two, sub, &x->value_two)) < 0)
                return r;
            if (x->value_two > INT64_MAX)
                return fail(c, two, sub, "must be at most 9223372036854775807, not %" PRIu64,
                            x->value_two);
        }
        snprintf(sub, sizeof(sub), "%s.op", path);
        enum cmp_op o;
        if (!op)
            return fail(c, a, sub, "required (EQ, NE, LT, LE, GT, GE, MASKED_EQ)");
        if (!is_str(op) || op_parse(op->str, &o) < 0)
            return fail_choice(c, op, sub, "operator", "EQ, NE, LT, LE, GT, GE or MASKED_EQ");
        x->op = (uint8_t)o;
        b->nargs++;
    }
    return 0;
}

static int decode_block(struct dctx *c, const struct ynode *n, const char *field, struct block *b)
{
    int r = want_kind(c, n, field, YN_MAP);
    if (r < 0)
        return r;
    static const char *const keys[] = {"arch",  "syscalls", "groups", "action",
                                       "errno", "args",     NULL};
    if ((r = check_keys(c, n, field, keys)) < 0)
        return r;
    b->line = n->line;
    b->path = strdup(field);
    if (!b->path)
        return -ENOMEM;
    char path[300];
    const struct ynode *arch = ynode_get(n, "arch");
    if (arch) {
        snprintf(path, sizeof(path), "%s.arch", field);
        if ((r = want_kind(c, arch, path, YN_SEQ)) < 0)
            return r;
        for (size_t i = 0; i < arch->n; i++) {
            char sub[320];
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            const struct ynode *a = arch->items[i];
            int idx = is_str(a) ? arch_parse(a->str) : -EINVAL;
            if (idx < 0)
                return fail_choice(c, a, sub, "architecture",
                                   "x86_64, x86, x32, aarch64, arm, ... or SCMP_ARCH_*");
            b->arches |= 1u << idx;
        }
    }
    snprintf(path, sizeof(path), "%s.syscalls", field);
    if ((r = decode_names(c, ynode_get(n, "syscalls"), path, false, &b->syscalls, &b->nsyscalls)) <
        0)
        return r;
    snprintf(path, sizeof(path), "%s.groups", field);
    if ((r = decode_names(c, ynode_get(n, "groups"), path, true, &b->groups, &b->ngroups)) < 0)
        return r;
    const struct ynode *act = ynode_get(n, "action");
    snprintf(path, sizeof(path), "%s.action", field);
    if (!act)
        return fail(c, n, path, "required (Allow, Audit, Block, Trap or Kill)");
    if ((r = decode_action(c, act, path, &b->verdict)) < 0)
        return r;
    b->has_action = true;
    const struct ynode *en = ynode_get(n, "errno");
    if (en) {
        snprintf(path, sizeof(path), "%s.errno", field);
        if (b->verdict.action != ACT_ERRNO)
            return fail(c, en, path, "only a Block action takes an errno");
        if (en->kind != YN_SCALAR || (en->stype != YS_STR && en->stype != YS_INT) ||
            errno_parse(en->str, &b->verdict.errno_ret) < 0)
            return fail_choice(c, en, path, "errno", "a name such as EPERM, or 1 to 4094");
    }
    const struct ynode *args = ynode_get(n, "args");
    if (args && !(args->kind == YN_SCALAR && args->stype == YS_NULL)) {
        snprintf(path, sizeof(path), "%s.args", field);
        if ((r = decode_args(c, args, path, b)) < 0)
            return r;
    }
    return 0;
}

/* The selectors come first and apart: when the rest of a policy is broken, knowing which pods
 * it selects still tells which files must keep their last good profile. */
static int decode_policy_selectors(struct dctx *c, const struct ynode *spec, struct policy *p)
{
    int r = decode_selector(c, ynode_get(spec, "selector"), "spec.selector", &p->selector);
    if (r < 0)
        return r;
    const struct ynode *n = ynode_get(spec, "namespaceSelector");
    if (n && p->kind != PK_CLUSTER)
        return fail(c, n, "spec.namespaceSelector", "only a ClusterSeccompPolicy has one");
    return decode_selector(c, n, "spec.namespaceSelector", &p->ns_selector);
}

static int decode_policy_spec(struct dctx *c, const struct ynode *spec, struct policy *p)
{
    int r = want_kind(c, spec, "spec", YN_MAP);
    if (r < 0)
        return r;
    static const char *const keys[] = {
        "severity", "selector", "namespaceSelector", "ceiling", "extends", "defaultAction",
        "seccomp",  "rules",    "message",           "tags",    NULL};
    if ((r = check_keys(c, spec, "spec", keys)) < 0)
        return r;
    const struct ynode *n;
    if ((n = ynode_get(spec, "severity"))) {
        uint64_t v;
        if (n->kind == YN_SCALAR && n->stype == YS_INT && parse_u64(n->str, &v) < 0)
            return fail(c, n, "spec.severity", "must be from 1 to 10, not %.64s", n->str);
        if ((r = get_u64(c, n, "spec.severity", &v)) < 0)
            return r;
        if (v < 1 || v > 10)
            return fail(c, n, "spec.severity", "must be from 1 to 10, not %" PRIu64, v);
        p->severity = (int)v;
    }
    /* selector and namespaceSelector: decode_policy_selectors, before everything else. */
    if ((n = ynode_get(spec, "ceiling")) && !(n->kind == YN_SCALAR && n->stype == YS_NULL)) {
        if (p->kind != PK_CLUSTER)
            return fail(c, n, "spec.ceiling",
                        "only a ClusterSeccompPolicy can be a ceiling (a %s cannot)",
                        policy_kind_name(p->kind));
        if (n->kind != YN_SCALAR || n->stype != YS_BOOL)
            return fail(c, n, "spec.ceiling", "must be true or false, not %s",
                        n->kind == YN_SCALAR && n->stype == YS_STR ? "a string"
                                                                   : ynode_kind_name(n));
        p->ceiling = strcasecmp(n->str, "true") == 0;
    }
    if ((n = ynode_get(spec, "extends"))) {
        if ((r = get_string(c, n, "spec.extends", &p->extends)) < 0)
            return r;
        p->extends_line = n->line;
        const char *e = p->extends;
        bool ok = strcmp(e, "runtime/default") == 0 ||
                  (cluster_policy_ref(e) && dns_subdomain_valid(cluster_policy_ref(e))) ||
                  dns_subdomain_valid(e);
        if (!ok)
            return fail(
                c, n, "spec.extends",
                "\"%.100s\" is not a policy name, ClusterSeccompPolicy/NAME or runtime/default", e);
    }
    if ((n = ynode_get(spec, "defaultAction"))) {
        if ((r = decode_action(c, n, "spec.defaultAction", &p->default_verdict)) < 0)
            return r;
        p->has_default = true;
    }
    const struct ynode *sc = ynode_get(spec, "seccomp"), *rules = ynode_get(spec, "rules");
    size_t nrules = 0;
    if (rules) {
        if ((r = want_kind(c, rules, "spec.rules", YN_SEQ)) < 0)
            return r;
        nrules = rules->n;
    }
    p->blocks = calloc(1 + nrules, sizeof(*p->blocks));
    if (!p->blocks)
        return -ENOMEM;
    if (sc) {
        if ((r = decode_block(c, sc, "spec.seccomp", &p->blocks[p->nblocks++])) < 0)
            return r;
    }
    for (size_t i = 0; i < nrules; i++) {
        char path[64];
        snprintf(path, sizeof(path), "spec.rules[%zu]", i);
        if ((r = decode_block(c, rules->items[i], path, &p->blocks[p->nblocks++])) < 0)
            return r;
    }
    return 0;
}

/* metadata.name/namespace; namespaced objects without one get "default", as kubectl does. */
static int decode_meta(struct dctx *c, const struct ynode *doc, bool namespaced, char **ret_ns,
                       char **ret_name, const struct ynode **ret_meta)
{
    const struct ynode *meta = ynode_get(doc, "metadata");
    if (!meta)
        return fail(c, doc, "metadata", "required");
    int r = want_kind(c, meta, "metadata", YN_MAP);
    if (r < 0)
        return r;
    const struct ynode *name = ynode_get(meta, "name");
    if (!name)
        return fail(c, meta, "metadata.name", "required");
    if ((r = get_string(c, name, "metadata.name", ret_name)) < 0)
        return r;
    if (!dns_subdomain_valid(*ret_name))
        return fail(c, name, "metadata.name", "\"%.100s\" is not a DNS-1123 subdomain", *ret_name);
    const struct ynode *ns = ynode_get(meta, "namespace");
    if (namespaced) {
        if (ns) {
            if ((r = get_string(c, ns, "metadata.namespace", ret_ns)) < 0)
                return r;
            if (!dns_label_valid(*ret_ns))
                return fail(c, ns, "metadata.namespace", "\"%.100s\" is not a DNS-1123 label",
                            *ret_ns);
        } else if (!(*ret_ns = strdup("default")))
            return -ENOMEM;
    }
    *ret_meta = meta;
    return 0;
}

static int opt_string(struct dctx *c, const struct ynode *map, const char *key, const char *field,
                      char **ret)
{
    const struct ynode *n = ynode_get(map, key);
    if (!n || (n->kind == YN_SCALAR && n->stype == YS_NULL))
        return 0;
    if (n->kind == YN_SCALAR && n->stype == YS_INT) { /* generation, resourceVersion */
        *ret = strdup(n->str);
        return *ret ? 0 : -ENOMEM;
    }
    return get_string(c, n, field, ret);
}

static int decode_policy(struct dctx *c, const struct ynode *doc, enum policy_kind kind,
                         struct object *ret)
{
    _cleanup_(policy_freep) struct policy *p = NULL;
    p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->kind = kind;
    p->file = strdup(c->file ? c->file : "");
    p->line = doc->line;
    if (!p->file)
        return -ENOMEM;
    const struct ynode *meta = NULL;
    snprintf(c->who, sizeof(c->who), "%s", policy_kind_name(kind)); /* until the name is known */
    int r = decode_meta(c, doc, kind != PK_CLUSTER, &p->ns, &p->name, &meta);
    if (r < 0)
        return r;
    char id[300];
    snprintf(c->who, sizeof(c->who), "%s %s", policy_kind_name(kind), policy_id(p, id, sizeof(id)));
    if ((r = opt_string(c, meta, "uid", "metadata.uid", &p->uid)) < 0 ||
        (r = opt_string(c, meta, "resourceVersion", "metadata.resourceVersion",
                        &p->resource_version)) < 0)
        return r;
    const struct ynode *gen = ynode_get(meta, "generation");
    uint64_t g;
    if (gen && gen->kind == YN_SCALAR && gen->stype == YS_INT && parse_u64(gen->str, &g) == 0)
        p->generation = (int64_t)g;
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    const struct ynode *spec = ynode_get(doc, "spec");
    bool selectors_known = false;
    r = 0;
    if (spec && spec->kind == YN_MAP) {
        r = decode_policy_selectors(c, spec, p);
        selectors_known = r == 0;
    }
    if (r == 0)
        r = check_keys(c, doc, NULL, top);
    if (r == 0 && !spec)
        r = fail(c, doc, "spec", "required");
    if (r == 0)
        r = decode_policy_spec(c, spec, p);
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        /* The identity is known: hand back an invalid policy so its files stay as they were.
         * Without readable selectors, it is taken to reach every pod it could (engine.c). */
        p->error = strdup(c->err ? c->err->msg : "invalid");
        if (!p->error)
            return -ENOMEM;
        kerr_clear(c->err); /* told through the policy, not as a failure of the document */
        p->selector_unknown = !selectors_known;
    }
    ret->type = OBJ_POLICY;
    ret->policy = TAKE_PTR(p);
    return 0;
}

static int container_profile(struct dctx *c, const struct ynode *sc, const char *field,
                             bool *ret_set, char **ret_ref)
{
    const struct ynode *sp = ynode_get(sc, "seccompProfile");
    *ret_set = false;
    if (!sp || (sp->kind == YN_SCALAR && sp->stype == YS_NULL))
        return 0;
    int r = want_kind(c, sp, field, YN_MAP);
    if (r < 0)
        return r;
    const struct ynode *type = ynode_get(sp, "type");
    if (!is_str(type)) {
        char path[300];
        snprintf(path, sizeof(path), "%s.type", field);
        return fail(c, type ? type : sp, path, "required (Localhost, RuntimeDefault, Unconfined)");
    }
    *ret_set = true;
    if (strcmp(type->str, "Localhost") == 0) {
        char path[300];
        snprintf(path, sizeof(path), "%s.localhostProfile", field);
        const struct ynode *lp = ynode_get(sp, "localhostProfile");
        if (!lp)
            return fail(c, sp, path, "required when type is Localhost");
        return get_string(c, lp, path, ret_ref);
    }
    return 0;
}

/* Adds ref (once) to the pod's references; nnp: the container that uses it sets
 * allowPrivilegeEscalation: false (a reference keeps that only while all its containers do). */
static int add_ref(struct pod *p, const char *ref, bool nnp)
{
    for (size_t i = 0; i < p->nrefs; i++)
        if (strcmp(p->refs[i], ref) == 0) {
            p->refs_nnp[i] = p->refs_nnp[i] && nnp;
            return 0;
        }
    char **v = realloc(p->refs, (p->nrefs + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    p->refs = v;
    bool *b = realloc(p->refs_nnp, (p->nrefs + 1) * sizeof(*b));
    if (!b)
        return -ENOMEM;
    p->refs_nnp = b;
    b[p->nrefs] = nnp;
    if (!(p->refs[p->nrefs] = strdup(ref)))
        return -ENOMEM;
    p->nrefs++;
    return 0;
}

/* A container's securityContext.allowPrivilegeEscalation: *ret_false is set when it is false
 * (the kubelet then sets no_new_privs); unset or null count as true, as in the kubelet. */
static int no_new_privs(struct dctx *c, const struct ynode *sc, const char *field, bool *ret_false)
{
    const struct ynode *v = ynode_get(sc, "allowPrivilegeEscalation");
    *ret_false = false;
    if (!v || (v->kind == YN_SCALAR && v->stype == YS_NULL))
        return 0;
    if (v->kind != YN_SCALAR || v->stype != YS_BOOL)
        return fail(c, v, field, "want true or false, not %s", ynode_kind_name(v));
    *ret_false = strcasecmp(v->str, "false") == 0;
    return 0;
}

/* RFC 3339 ("2026-11-23T10:00:00Z", "2026-11-23T12:00:00.5+02:00") to unix seconds; 0 when
 * unreadable. */
static int64_t parse_time(const char *s)
{
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        return 0;
    if (*end == '.') /* fractions of a second */
        for (end++; *end >= '0' && *end <= '9'; end++)
            ;
    int64_t offset = 0;
    if (*end == 'Z' || *end == 'z') {
        end++;
    } else if ((*end == '+' || *end == '-') && strlen(end) == 6 && end[3] == ':') {
        unsigned hh, mm;
        char sign = *end;
        if (sscanf(end + 1, "%2u:%2u", &hh, &mm) != 2 || hh > 23 || mm > 59)
            return 0;
        offset = (int64_t)(hh * 3600 + mm * 60) * (sign == '+' ? 1 : -1);
        end += 6;
    } else {
        return 0;
    }
    if (*end)
        return 0;
    int64_t t = (int64_t)timegm(&tm) - offset;
    return t > 0 ? t : 0;
}

static int decode_container_states(struct dctx *c, const struct ynode *status, struct pod *p)
{
    static const char *const lists[] = {"initContainerStatuses", "containerStatuses",
                                        "ephemeralContainerStatuses"};
    for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
        const struct ynode *cs = ynode_get(status, lists[l]);
        if (!cs || cs->kind != YN_SEQ)
            continue;
        for (size_t i = 0; i < cs->n; i++) {
            const struct ynode *name = ynode_get(cs->items[i], "name");
            const struct ynode *started =
                ynode_get(ynode_get(ynode_get(cs->items[i], "state"), "running"), "startedAt");
            if (!is_str(name))
                continue;
            struct container_state *v = realloc(p->containers, (p->ncontainers + 1) * sizeof(*v));
            if (!v)
                return -ENOMEM;
            p->containers = v;
            v[p->ncontainers].name = strdup(name->str);
            v[p->ncontainers].started_at = is_str(started) ? parse_time(started->str) : 0;
            if (!v[p->ncontainers++].name)
                return -ENOMEM;
        }
    }
    return 0;
}

static int decode_pod(struct dctx *c, const struct ynode *doc, struct object *ret)
{
    _cleanup_(pod_freep) struct pod *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->file = strdup(c->file ? c->file : "");
    p->line = doc->line;
    if (!p->file)
        return -ENOMEM;
    const struct ynode *meta = NULL;
    snprintf(c->who, sizeof(c->who), "Pod");
    int r = decode_meta(c, doc, true, &p->ns, &p->name, &meta);
    if (r < 0)
        return r;
    snprintf(c->who, sizeof(c->who), "Pod %s/%s", p->ns, p->name);
    if ((r = opt_string(c, meta, "uid", "metadata.uid", &p->uid)) < 0 ||
        (r = decode_labels(c, ynode_get(meta, "labels"), "metadata.labels", &p->labels)) < 0)
        return r;
    const struct ynode *spec = ynode_get(doc, "spec");
    if (!spec)
        return fail(c, doc, "spec", "required");
    if ((r = want_kind(c, spec, "spec", YN_MAP)) < 0)
        return r;
    if ((r = opt_string(c, spec, "nodeName", "spec.nodeName", &p->node_name)) < 0)
        return r;
    bool pod_set = false;
    _cleanup_free_ char *pod_ref = NULL;
    const struct ynode *psc = ynode_get(spec, "securityContext");
    if (psc && psc->kind == YN_MAP &&
        (r = container_profile(c, psc, "spec.securityContext.seccompProfile", &pod_set, &pod_ref)) <
            0)
        return r;
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    bool pod_level_used = false, pod_level_nnp = true;
    size_t total = 0;
    for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
        const struct ynode *cl = ynode_get(spec, lists[l]);
        if (!cl)
            continue;
        char path[300];
        snprintf(path, sizeof(path), "spec.%s", lists[l]);
        if ((r = want_kind(c, cl, path, YN_SEQ)) < 0)
            return r;
        for (size_t i = 0; i < cl->n; i++) {
            total++;
            const struct ynode *csc = ynode_get(cl->items[i], "securityContext");
            bool set = false;
            _cleanup_free_ char *ref = NULL;
            snprintf(path, sizeof(path), "spec.%s[%zu].securityContext.seccompProfile", lists[l],
                     i);
            if (csc && csc->kind == YN_MAP && (r = container_profile(c, csc, path, &set, &ref)) < 0)
                return r;
            bool nnp = false;
            snprintf(path, sizeof(path), "spec.%s[%zu].securityContext.allowPrivilegeEscalation",
                     lists[l], i);
            if (csc && csc->kind == YN_MAP && (r = no_new_privs(c, csc, path, &nnp)) < 0)
                return r;
            if (!set) {
                pod_level_used = true;
                pod_level_nnp = pod_level_nnp && nnp;
            } else if (ref && (r = add_ref(p, ref, nnp)) < 0)
                return r;
        }
    }
    if (pod_ref && (pod_level_used || total == 0) &&
        (r = add_ref(p, pod_ref, pod_level_used && pod_level_nnp)) < 0)
        return r;
    const struct ynode *status = ynode_get(doc, "status");
    if (status && status->kind == YN_MAP && (r = decode_container_states(c, status, p)) < 0)
        return r;
    ret->type = OBJ_POD;
    ret->pod = TAKE_PTR(p);
    return 0;
}

static int decode_namespace(struct dctx *c, const struct ynode *doc, struct object *ret)
{
    _cleanup_(namespace_freep) struct k8s_namespace *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    const struct ynode *meta = NULL;
    snprintf(c->who, sizeof(c->who), "Namespace");
    int r = decode_meta(c, doc, false, NULL, &n->name, &meta);
    if (r < 0)
        return r;
    snprintf(c->who, sizeof(c->who), "Namespace %s", n->name);
    if (!dns_label_valid(n->name))
        return fail(c, ynode_get(meta, "name"), "metadata.name",
                    "\"%.100s\" is not a DNS-1123 label", n->name);
    if ((r = decode_labels(c, ynode_get(meta, "labels"), "metadata.labels", &n->labels)) < 0)
        return r;
    ret->type = OBJ_NAMESPACE;
    ret->ns = TAKE_PTR(n);
    return 0;
}

void object_clear(struct object *o)
{
    policy_free(o->policy);
    pod_free(o->pod);
    namespace_free(o->ns);
    *o = (struct object){0};
}

int decode_object(const struct ynode *doc, const char *file, struct object *ret, struct kerr *err)
{
    struct dctx c = {.file = file, .err = err};
    *ret = (struct object){0};
    if (doc->kind != YN_MAP)
        return fail(&c, doc, NULL, "a manifest must be a mapping, not %s", ynode_kind_name(doc));
    const struct ynode *av = ynode_get(doc, "apiVersion"), *kind = ynode_get(doc, "kind");
    if (!kind)
        return fail(&c, doc, "kind", "required");
    if (!is_str(kind))
        return fail(&c, kind, "kind", "must be a string, not %s", ynode_kind_name(kind));
    if (!av)
        return fail(&c, doc, "apiVersion", "required");
    if (!is_str(av))
        return fail(&c, av, "apiVersion", "must be a string, not %s", ynode_kind_name(av));
    const char *k = kind->str, *v = av->str;
    if (strcmp(v, "kscmp.io/v1") == 0 && strcmp(k, "SeccompPolicy") == 0)
        return decode_policy(&c, doc, PK_POLICY, ret);
    if (strcmp(v, "kscmp.io/v1") == 0 && strcmp(k, "ClusterSeccompPolicy") == 0)
        return decode_policy(&c, doc, PK_CLUSTER, ret);
    if (strcmp(v, "security.kubearmor.com/v1") == 0 && strcmp(k, "KubeArmorSeccompPolicy") == 0)
        return decode_policy(&c, doc, PK_KUBEARMOR, ret);
    if (strcmp(v, "v1") == 0 && strcmp(k, "Pod") == 0)
        return decode_pod(&c, doc, ret);
    if (strcmp(v, "v1") == 0 && strcmp(k, "Namespace") == 0)
        return decode_namespace(&c, doc, ret);
    /* Ours, in a version kscmp does not read: say which it reads. */
    static const struct {
        const char *kind, *version;
    } ours[] = {
        {"SeccompPolicy", "kscmp.io/v1"},
        {"ClusterSeccompPolicy", "kscmp.io/v1"},
        {"SeccompRecording", "kscmp.io/v1"},
        {"KubeArmorSeccompPolicy", "security.kubearmor.com/v1"},
    };
    for (size_t i = 0; i < ELEMENTSOF(ours); i++)
        if (strcmp(k, ours[i].kind) == 0) {
            if (strcmp(v, ours[i].version) == 0)
                return 0; /* a kind kscmp knows but does not load here (a recording) */
            snprintf(c.who, sizeof(c.who), "%s", k);
            return fail(&c, av, "apiVersion",
                        "\"%.100s\" is not an apiVersion kscmp reads for %s (it reads %s)", v, k,
                        ours[i].version);
        }
    /* A kind of kscmp's group that is none of kscmp's: a typo must not be silent. */
    if (strncmp(v, "kscmp.io/", 9) == 0)
        return fail(&c, kind, "kind",
                    "unknown kind \"%.100s\" in apiVersion %.100s (kscmp.io/v1 has "
                    "SeccompPolicy, ClusterSeccompPolicy and SeccompRecording)",
                    k, v);
    return 0; /* OBJ_NONE */
}

int decode_documents(struct ynode *const *docs, size_t n, const char *file,
                     int (*cb)(struct object *o, void *userdata), void *userdata, struct kerr *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct ynode *kind = ynode_get(docs[i], "kind");
        const struct ynode *items = ynode_get(docs[i], "items");
        if (is_str(kind) && strcmp(kind->str, "List") == 0 && items &&
            !(items->kind == YN_SCALAR && items->stype == YS_NULL)) {
            struct dctx c = {.file = file, .who = "List", .err = err};
            if (items->kind != YN_SEQ)
                return want_kind(&c, items, "items", YN_SEQ);
            int r = decode_documents(items->items, items->n, file, cb, userdata, err);
            if (r < 0)
                return r;
            continue;
        }
        struct object o;
        int r = decode_object(docs[i], file, &o, err);
        if (r < 0)
            return r;
        r = cb(&o, userdata);
        object_clear(&o);
        if (r < 0)
            return r;
    }
    return 0;
}

int decode_label_selector(const struct ynode *n, const char *file, const char *who,
                          const char *field, struct selector *ret, struct kerr *err)
{
    struct dctx c = {.file = file, .err = err};
    snprintf(c.who, sizeof(c.who), "%s", who);
    struct selector s = {0};
    int r = decode_selector(&c, n, field, &s);
    if (r < 0) {
        selector_free(&s);
        return r;
    }
    *ret = s;
    return 0;
}
