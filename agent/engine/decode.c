/* decode.c - strict decoding of policies, and of the parts of Pods and Namespaces we use. */
#include "engine/decode.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/cleanup.h"
#include "base/hmap.h"
#include "base/names.h"
#include "base/spell.h"
#include "engine/groups.h"
#include "engine/schema.h"

struct dctx {
    const char *file;
    char who[320]; /* "SeccompPolicy demo/web" */
    struct kerr *err;
    bool policy;  /* decoding a policy: its paths are those keys_at() knows */
    size_t names; /* in the syscalls and groups of the blocks decoded so far */
};

/* fail() with the message's arguments in ap. */
static int __attribute__((format(printf, 4, 0)))
vfail(struct dctx *c, const struct ynode *n, const char *field, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
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

/* Fills err with "FILE:LINE: WHO: FIELD: message" and returns -EINVAL. */
static int __attribute__((format(printf, 4, 5)))
fail(struct dctx *c, const struct ynode *n, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfail(c, n, field, fmt, ap);
    va_end(ap);
    return r;
}

/* fail() for item i of the list at field: the field is "FIELD[i]" (built only here, so the
 * items of a valid list cost no snprintf()). */
static int __attribute__((format(printf, 5, 6)))
fail_item(struct dctx *c, const struct ynode *n, const char *field, size_t i, const char *fmt, ...)
{
    char path[300];
    snprintf(path, sizeof(path), "%s[%zu]", field, i);
    va_list ap;
    va_start(ap, fmt);
    int r = vfail(c, n, path, fmt, ap);
    va_end(ap);
    return r;
}

static int want_kind(struct dctx *c, const struct ynode *n, const char *field, enum ynode_kind k)
{
    if (n->kind == k)
        return 0;
    return fail(c, n, field, "must be %s, not %s", ynode_kind_wanted(k), ynode_kind_name(n));
}

/* "must be a string, not ...", and for a plain word that YAML reads as a boolean or a number
 * (yes, on, 2, 1.10), how to keep it a string. */
static int fail_not_string(struct dctx *c, const struct ynode *n, const char *field)
{
    if (n->kind == YN_SCALAR && n->stype == YS_BOOL)
        return fail(c, n, field,
                    "must be a string, not a boolean (quote it: YAML reads an "
                    "unquoted yes, no, on, off, true or false as a boolean)");
    if (n->kind == YN_SCALAR && (n->stype == YS_INT || n->stype == YS_FLOAT))
        return fail(c, n, field,
                    "must be a string, not a number (quote it: unquoted, YAML reads "
                    "it as a number)");
    return fail(c, n, field, "must be a string, not %s", ynode_kind_name(n));
}

static int get_string(struct dctx *c, const struct ynode *n, const char *field, char **ret)
{
    if (!ynode_is_str(n))
        return fail_not_string(c, n, field);
    char *s = strdup(n->str);
    if (!s)
        return -ENOMEM;
    *ret = s;
    return 0;
}

/* The value under key, or NULL when it is absent or null: the API server drops a null field
 * before it validates an object (the schema has no nullable field), so null means omitted. */
static const struct ynode *opt(const struct ynode *map, const char *key)
{
    const struct ynode *n = ynode_get(map, key);
    return n && n->kind == YN_SCALAR && n->stype == YS_NULL ? NULL : n;
}

/* "a.b" (or "b" when a is empty) into buf, cut to fit: the field paths of messages, built
 * without snprintf on the paths every valid policy takes (tens of them per policy). */
static const char *path_join(char *buf, size_t len, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), at = 0;
    if (la) {
        la = la < len - 1 ? la : len - 1;
        memcpy(buf, a, la);
        at = la;
        if (at < len - 1)
            buf[at++] = '.';
    }
    lb = lb < len - 1 - at ? lb : len - 1 - at;
    memcpy(buf + at, b, lb);
    buf[at + lb] = '\0';
    return buf;
}

/* A decimal whole number (the document tree writes YAML and JSON integers so). */
static int parse_u64(const char *s, uint64_t *ret)
{
    if (*s == '+')
        s++;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -EINVAL;
    *ret = v;
    return 0;
}

/* A number the API server takes for an integer: a whole number, or a floating-point one with
 * no fraction that fits 64 bits (kubectl writes YAML's 5.0 or 1e3 into JSON as 5 and 1000).
 * Sets *ret_neg for a negative one (its magnitude in *ret). */
static int number_value(const struct ynode *n, bool *ret_neg, uint64_t *ret)
{
    if (n->kind != YN_SCALAR)
        return -EINVAL;
    if (n->stype == YS_INT) {
        bool neg = n->str[0] == '-';
        if (parse_u64(n->str + neg, ret) < 0)
            return -ERANGE;
        *ret_neg = neg && *ret != 0;
        return 0;
    }
    if (n->stype == YS_FLOAT) {
        char *end;
        double d = strtod(n->str, &end);
        if (*end || d != d)
            return -EINVAL;
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
            return d == d + 1.0 ? -ERANGE : -EINVAL; /* beyond 2^53 every double is whole */
        if (d != (double)(int64_t)d)
            return -EINVAL;
        *ret_neg = d < 0;
        *ret = (uint64_t)(d < 0 ? -d : d);
        return 0;
    }
    return -EINVAL;
}

/* An integer field from min to max (inclusive). */
static int get_int(struct dctx *c, const struct ynode *n, const char *field, uint64_t min,
                   uint64_t max, uint64_t *ret)
{
    bool neg = false;
    uint64_t v = 0;
    int r = number_value(n, &neg, &v);
    if (r == 0 && !neg && v >= min && v <= max) {
        *ret = v;
        return 0;
    }
    if (r == 0 || r == -ERANGE)
        return fail(c, n, field,
                    "must be a whole number from %" PRIu64 " to %" PRIu64 ", not %.64s", min, max,
                    n->str);
    if (n->kind == YN_SCALAR && n->stype == YS_FLOAT)
        return fail(c, n, field, "must be a whole number, not %.64s", n->str);
    if (ynode_is_str(n))
        return fail(c, n, field, "must be a whole number, not the string \"%.64s\"", n->str);
    return fail(c, n, field, "must be a whole number, not %s", ynode_kind_name(n));
}

/* s is one of the n strings of set. */
static bool one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

#define ONE_OF(s, ...)                                                                             \
    one_of((s), (const char *const[]){__VA_ARGS__},                                                \
           sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static bool label_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* A label value (or a label key's name part): at most max characters, empty (when allowed) or
 * alphanumeric at both ends with '-', '_' and '.' between, as Kubernetes has it. */
static bool label_value_valid(const char *s, size_t len, size_t max, bool empty_ok)
{
    if (len == 0)
        return empty_ok;
    if (len > max || !label_name_char(s[0]) || !label_name_char(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!label_name_char(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

/* A label key: an optional DNS-1123 subdomain prefix and '/', then a name. */
static bool label_key_valid(const char *s)
{
    const char *slash = strchr(s, '/');
    if (!slash)
        return label_value_valid(s, strlen(s), SCHEMA_MAX_LABEL_NAME_LEN, false);
    char prefix[SCHEMA_MAX_LABEL_PREFIX_LEN + 1];
    size_t plen = (size_t)(slash - s);
    if (plen == 0 || plen > SCHEMA_MAX_LABEL_PREFIX_LEN)
        return false;
    memcpy(prefix, s, plen);
    prefix[plen] = '\0';
    return dns_subdomain_valid(prefix) &&
           label_value_valid(slash + 1, strlen(slash + 1), SCHEMA_MAX_LABEL_NAME_LEN, false);
}

/* A list of at most max entries (its kind checked first). */
static int want_list(struct dctx *c, const struct ynode *n, const char *field, size_t max,
                     const char *what)
{
    int r = want_kind(c, n, field, YN_SEQ);
    if (r < 0)
        return r;
    if (n->n > max)
        return fail(c, n, field, "%zu %s, more than the %zu a policy may have here", n->n, what,
                    max);
    return 0;
}

/* A value outside a fixed set: "unknown WHAT "x" (CHOICES)", with "; did you mean "NEAR"?"
 * when NEAR is not NULL, or "must be CHOICES, not a list" when it is not even a scalar. */
static int fail_choice(struct dctx *c, const struct ynode *n, const char *field, const char *what,
                       const char *choices, const char *near)
{
    if (n->kind != YN_SCALAR || n->stype == YS_NULL)
        return fail(c, n, field, "must be %s, not %s", choices, ynode_kind_name(n));
    if (near)
        return fail(c, n, field, "unknown %s \"%.64s\" (%s); did you mean \"%s\"?", what, n->str,
                    choices, near);
    return fail(c, n, field, "unknown %s \"%.64s\" (%s)", what, n->str, choices);
}

/* Another tool's name for one of ours (Go's amd64 for x86_64, OCI's Log for Audit). */
struct alias {
    const char *from, *to;
};

/* The one of names (n of them) nearest to n's text, or the one an alias gives it (case not
 * minded), for "did you mean"; NULL when none is near or n is not a scalar. */
static const char *choice_near(const struct ynode *n, const char *const *names, size_t count,
                               const struct alias *aliases)
{
    if (n->kind != YN_SCALAR || !n->str)
        return NULL;
    for (const struct alias *a = aliases; a && a->from; a++)
        if (strcasecmp(n->str, a->from) == 0)
            return a->to;
    return spell_nearest(n->str, names, count);
}

/* fail() for the key of item i of map: the line is the key's (a block value starts on the
 * next one). */
static int __attribute__((format(printf, 5, 6)))
fail_key(struct dctx *c, const struct ynode *map, size_t i, const char *field, const char *fmt, ...)
{
    const struct ynode *v = map->items[i];
    struct ynode at = {.line = v->key_line ? v->key_line : v->line};
    va_list ap;
    va_start(ap, fmt);
    int r = vfail(c, &at, field, fmt, ap);
    va_end(ap);
    return r;
}

/* The fields at the top of every object read (a policy's, a pod's, a namespace's). */
static const char *const top_fields[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
/* The fields of a policy's spec, of a block (spec.seccomp, each of spec.rules), of a
 * condition, of a label selector and of one of its expressions. */
static const char *const spec_keys[] = {
    "severity", "selector", "namespaceSelector", "ceiling", "extends", "defaultAction",
    "seccomp",  "rules",    "message",           "tags",    NULL};
static const char *const block_keys[] = {"arch", "syscalls", "groups", "action",  "errno",
                                         "args", "severity", "tags",   "message", NULL};
static const char *const arg_keys[] = {"index", "value", "valueTwo", "op", NULL};
static const char *const selector_keys[] = {"matchLabels", "matchExpressions", NULL};
static const char *const expr_keys[] = {"key", "operator", "values", NULL};

/* The fields of the mapping at path in a policy (path without its list indexes: spec.rules,
 * not spec.rules[2]), or NULL when it is none of those above. */
static const char *const *keys_at(const char *path)
{
    static const struct {
        const char *path;
        const char *const *keys;
    } at[] = {
        {"", top_fields},
        {"spec", spec_keys},
        {"spec.seccomp", block_keys},
        {"spec.rules", block_keys},
        {"spec.seccomp.args", arg_keys},
        {"spec.rules.args", arg_keys},
        {"spec.selector", selector_keys},
        {"spec.namespaceSelector", selector_keys},
        {"spec.selector.matchExpressions", expr_keys},
        {"spec.namespaceSelector.matchExpressions", expr_keys},
    };
    for (size_t i = 0; i < ELEMENTSOF(at); i++)
        if (strcmp(at[i].path, path) == 0)
            return at[i].keys;
    return NULL;
}

/* The nearest mapping above the one at field (a policy's path: "spec.rules[0].args[1]") of
 * which key is a field, into buf ("spec.rules[0]"; "" for the object itself), or NULL: a key
 * indented too far. */
static const char *field_above(const char *field, const char *key, char *buf, size_t size)
{
    for (size_t cut = strlen(field); cut > 0;) {
        while (cut > 0 && field[cut - 1] != '.')
            cut--;
        size_t above = cut ? cut - 1 : 0; /* field[0..above): the mapping above */
        /* Its path without list indexes, for keys_at(). */
        char bare[256];
        size_t n = 0;
        for (size_t i = 0; i < above && n + 1 < sizeof(bare); i++) {
            if (field[i] == '[') {
                while (i < above && field[i] != ']')
                    i++;
                continue;
            }
            bare[n++] = field[i];
        }
        bare[n] = '\0';
        const char *const *keys = keys_at(bare);
        for (size_t i = 0; keys && keys[i]; i++)
            if (strcmp(keys[i], key) == 0) {
                snprintf(buf, size, "%.*s", (int)above, field);
                return buf;
            }
        cut = above;
    }
    return NULL;
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
            char hint[200];
            if (*spell_key_hint(map->keys[i], allowed, hint, sizeof(hint)))
                return fail_key(c, map, i, path, "unknown field%s", hint);
            char above[256];
            if (c->policy && field_above(field ? field : "", map->keys[i], above, sizeof(above)))
                return fail_key(c, map, i, path,
                                "unknown field; %s is a field of %s: indented too far?",
                                map->keys[i], above[0] ? above : "the object itself");
            return fail_key(c, map, i, path, "unknown field");
        }
    }
    return 0;
}

/* A mapping of label keys to values. strict: held to the label syntax the API server enforces
 * (a selector's matchLabels, a policy's own labels; a Pod's or a Namespace's labels come from
 * the API server or a kubectl-like file and are read as they are). selector: a matchLabels,
 * also held to the bound of the CRD schema on its size (a policy's own labels have none, as
 * in the API server). */
static int decode_labels(struct dctx *c, const struct ynode *n, const char *field, bool strict,
                         bool selector, struct labels *ret)
{
    if (ynode_is_null(n))
        return 0;
    int r = want_kind(c, n, field, YN_MAP);
    if (r < 0)
        return r;
    if (selector && n->n > SCHEMA_MAX_SELECTOR_LABELS)
        return fail(c, n, field, "%zu labels, more than the %d a selector may have", n->n,
                    SCHEMA_MAX_SELECTOR_LABELS);
    struct labels l = {.v = calloc(n->n ? n->n : 1, sizeof(struct label))};
    if (!l.v)
        return -ENOMEM;
    for (size_t i = 0; i < n->n; i++) {
        char path[300];
        path_join(path, sizeof(path), field, n->keys[i]);
        if (ynode_is_null(n->items[i]))
            continue; /* the API server drops a null value from a mapping */
        char *v = NULL;
        r = get_string(c, n->items[i], path, &v);
        if (r == 0 && strict && !label_key_valid(n->keys[i]))
            r = fail(c, n->items[i], path,
                     "\"%.100s\" is not a label key (an optional DNS subdomain prefix of at most "
                     "%d characters and '/', then a name of at most %d: letters, digits, '-', "
                     "'_', '.', alphanumeric at both ends)",
                     n->keys[i], SCHEMA_MAX_LABEL_PREFIX_LEN, SCHEMA_MAX_LABEL_NAME_LEN);
        if (r == 0 && strict && !label_value_valid(v, strlen(v), SCHEMA_MAX_LABEL_VALUE_LEN, true))
            r = fail(c, n->items[i], path,
                     "\"%.100s\" is not a label value (at most %d characters: letters, digits, "
                     "'-', '_', '.', alphanumeric at both ends)",
                     v, SCHEMA_MAX_LABEL_VALUE_LEN);
        if (r < 0) {
            free(v);
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
    if (ynode_is_null(n))
        return 0; /* omitted: present stays false */
    int r = want_kind(c, n, field, YN_MAP);
    if (r < 0)
        return r;
    r = check_keys(c, n, field, selector_keys);
    if (r < 0)
        return r;
    _cleanup_(selector_free) struct selector s = {.present = true};
    char path[300];
    path_join(path, sizeof(path), field, "matchLabels");
    r = decode_labels(c, ynode_get(n, "matchLabels"), path, true, true, &s.match);
    if (r < 0)
        return r;
    const struct ynode *ex = opt(n, "matchExpressions");
    if (ex) {
        snprintf(path, sizeof(path), "%s.matchExpressions", field);
        r = want_list(c, ex, path, SCHEMA_MAX_SELECTOR_EXPRESSIONS, "expressions");
        if (r < 0)
            return r;
        s.exprs = calloc(ex->n ? ex->n : 1, sizeof(*s.exprs));
        if (!s.exprs)
            return -ENOMEM;
        for (size_t i = 0; i < ex->n; i++) {
            const struct ynode *e = ex->items[i];
            snprintf(path, sizeof(path), "%s.matchExpressions[%zu]", field, i);
            if ((r = want_kind(c, e, path, YN_MAP)) < 0 ||
                (r = check_keys(c, e, path, expr_keys)) < 0)
                return r;
            struct sel_expr *x = &s.exprs[s.nexprs++];
            const struct ynode *k = opt(e, "key"), *op = opt(e, "operator"),
                               *vals = opt(e, "values");
            char sub[340];
            snprintf(sub, sizeof(sub), "%s.key", path);
            if (!k)
                return fail(c, e, sub, "required");
            if ((r = get_string(c, k, sub, &x->key)) < 0)
                return r;
            if (!label_key_valid(x->key))
                return fail(
                    c, k, sub,
                    "\"%.100s\" is not a label key (an optional DNS subdomain prefix of at "
                    "most %d characters and '/', then a name of at most %d: letters, digits, "
                    "'-', '_', '.', alphanumeric at both ends)",
                    x->key, SCHEMA_MAX_LABEL_PREFIX_LEN, SCHEMA_MAX_LABEL_NAME_LEN);
            snprintf(sub, sizeof(sub), "%s.operator", path);
            if (!op || !ynode_is_str(op))
                return fail(c, op ? op : e, sub, "required: In, NotIn, Exists or DoesNotExist");
            if (strcmp(op->str, "In") == 0)
                x->op = SEL_IN;
            else if (strcmp(op->str, "NotIn") == 0)
                x->op = SEL_NOT_IN;
            else if (strcmp(op->str, "Exists") == 0)
                x->op = SEL_EXISTS;
            else if (strcmp(op->str, "DoesNotExist") == 0)
                x->op = SEL_DOES_NOT_EXIST;
            else
                return fail(c, op, sub,
                            "unknown operator \"%.100s\" (In, NotIn, Exists, DoesNotExist)",
                            op->str);
            size_t nv = 0;
            if (vals) {
                snprintf(sub, sizeof(sub), "%s.values", path);
                if ((r = want_list(c, vals, sub, SCHEMA_MAX_SELECTOR_VALUES, "values")) < 0)
                    return r;
                nv = vals->n;
                x->values = calloc(nv ? nv : 1, sizeof(char *));
                if (!x->values)
                    return -ENOMEM;
                for (size_t j = 0; j < nv; j++) {
                    snprintf(sub, sizeof(sub), "%s.values[%zu]", path, j);
                    if ((r = get_string(c, vals->items[j], sub, &x->values[x->nvalues])) < 0)
                        return r;
                    const char *v = x->values[x->nvalues++];
                    if (!label_value_valid(v, strlen(v), SCHEMA_MAX_LABEL_VALUE_LEN, true))
                        return fail(c, vals->items[j], sub,
                                    "\"%.100s\" is not a label value (at most %d characters: "
                                    "letters, digits, '-', '_', '.', alphanumeric at both ends)",
                                    v, SCHEMA_MAX_LABEL_VALUE_LEN);
                }
            }
            bool needs_values = x->op == SEL_IN || x->op == SEL_NOT_IN;
            if (needs_values != (nv > 0)) {
                snprintf(sub, sizeof(sub), "%s.values", path);
                return fail(c, vals ? vals : e, sub,
                            needs_values ? "must not be empty for In and NotIn"
                                         : "must be empty for Exists and DoesNotExist");
            }
        }
    }
    *ret = TAKE_STRUCT(s);
    return 0;
}

/* The syscall that name most likely misspells among those the groups hold (a few hundred,
 * looked at without libseccomp: cheap on a path any file may take, once per such name), or
 * NULL. */
static const char *group_member_nearest(const char *name)
{
    struct spell near;
    spell_init(&near, name);
    size_t n;
    const struct syscall_group *g = groups_all(&n);
    for (size_t i = 0; i < n; i++)
        for (const char *const *e = g[i].entries; *e; e++)
            if ((*e)[0] != '@')
                spell_offer(&near, *e);
    return near.best;
}

/* 1 to SCHEMA_MAX_NAME_LEN lower-case letters, digits and underscores. */
static bool syscall_name_valid(const char *s)
{
    size_t len = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
    return len > 0 && len <= SCHEMA_MAX_NAME_LEN && s[len] == '\0';
}

/* The syscall name s was likely meant as, in fix: without the spaces around it, in lower case,
 * '-' as '_', without the prefix of C's and Go's constants (SYS_open, __NR_open). False when
 * that is still no syscall libseccomp knows (CAP_SYS_ADMIN is no cap_sys_admin). */
static bool syscall_name_fix(const char *s, char fix[static SCHEMA_MAX_NAME_LEN + 1])
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len >= 4 && strncasecmp(s, "sys_", 4) == 0)
        s += 4, len -= 4;
    else if (len >= 5 && strncasecmp(s, "__nr_", 5) == 0)
        s += 5, len -= 5;
    if (len == 0 || len > SCHEMA_MAX_NAME_LEN)
        return false;
    for (size_t i = 0; i < len; i++)
        fix[i] = s[i] == '-' ? '_' : (char)tolower((unsigned char)s[i]);
    fix[len] = '\0';
    return syscall_name_valid(fix) && syscall_name_known(fix);
}

/* A list of names, in one allocation: the name_ref array followed by the strings it points
 * into (tens of thousands of policies hold hundreds of thousands of names). */
static int decode_names(struct dctx *c, const struct ynode *n, const char *field, bool groups,
                        struct name_ref **ret, size_t *ret_n)
{
    static const char *const known_groups[] = {SCHEMA_GROUPS};
    if (ynode_is_null(n))
        return 0;
    int r = want_list(c, n, field, groups ? SCHEMA_MAX_GROUPS : SCHEMA_MAX_SYSCALLS,
                      groups ? "groups" : "syscalls");
    if (r < 0)
        return r;
    /* What an agent keeps of a policy grows with its names: bounded for the whole policy. */
    if (c->names + n->n > SCHEMA_MAX_POLICY_NAMES) {
        size_t at = SCHEMA_MAX_POLICY_NAMES - c->names;
        return fail_item(c, n->items[at], field, at,
                         "more than %d names in the policy (the syscalls and groups of all its "
                         "blocks together; an architecture has about 500 syscalls)",
                         SCHEMA_MAX_POLICY_NAMES);
    }
    c->names += n->n;
    size_t bytes = 0;
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *it = n->items[i];
        if (!ynode_is_str(it))
            return fail_item(c, it, field, i, "must be a string, not %s", ynode_kind_name(it));
        const char *s = it->str;
        bool ok = syscall_name_valid(s);
        if (groups && !one_of(s, known_groups, ELEMENTSOF(known_groups))) {
            /* A syscall is not spelt against the groups: a group near its name (getuid:
             * @setuid) would allow far more than it. */
            if (ok && syscall_name_known(s))
                return fail_item(c, it, field, i,
                                 "\"%.100s\" is a syscall, not a group: list it under syscalls", s);
            if (s[0] == '@' && syscall_name_valid(s + 1) && syscall_name_known(s + 1))
                return fail_item(c, it, field, i,
                                 "\"%.100s\": %.100s is a syscall, not a group: list it under "
                                 "syscalls, without the @",
                                 s, s + 1);
            const char *near = groups_at_name(s);
            if (!near)
                near = spell_nearest(s, known_groups, ELEMENTSOF(known_groups));
            if (near)
                return fail_item(c, it, field, i, "unknown group \"%.100s\"; did you mean \"%s\"?",
                                 s, near);
            /* No group near it: a misspelt syscall listed here? */
            bool at = s[0] == '@';
            const char *sys = syscall_name_valid(s + at) ? group_member_nearest(s + at) : NULL;
            if (sys)
                return fail_item(c, it, field, i,
                                 "unknown group \"%.100s\" (see kscmp groups); did you mean the "
                                 "syscall \"%s\"? It goes under syscalls%s",
                                 s, sys, at ? ", without the @" : "");
            return fail_item(c, it, field, i, "unknown group \"%.100s\" (see kscmp groups)", s);
        }
        if (!groups && !ok) {
            if (one_of(s, known_groups, ELEMENTSOF(known_groups)))
                return fail_item(c, it, field, i,
                                 "\"%.100s\" is a group, not a syscall: list it under groups", s);
            char fix[SCHEMA_MAX_NAME_LEN + 1];
            if (syscall_name_fix(s, fix))
                return fail_item(c, it, field, i,
                                 "\"%.100s\" is not a syscall name (1 to %d lower-case letters, "
                                 "digits and underscores); did you mean \"%s\"?",
                                 s, SCHEMA_MAX_NAME_LEN, fix);
            return fail_item(c, it, field, i,
                             "\"%.100s\" is not a syscall name (1 to %d lower-case letters, "
                             "digits and underscores)",
                             s, SCHEMA_MAX_NAME_LEN);
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
    static const char *const spellings[] = {SCHEMA_ACTIONS};
    static const struct alias aliases[] = {
        {"Log", "Audit"},    {"SCMP_ACT_LOG()", "Audit"}, {"Deny", "Block"}, {"Errno", "Block"},
        {"Reject", "Block"}, {"Trace", "SCMP_ACT_TRACE"}, {NULL, NULL}};
    static const char choices[] = "Allow, Audit, Block, Trap, Kill or SCMP_ACT_*";
    enum action a;
    if (!ynode_is_str(n) || !one_of(n->str, spellings, ELEMENTSOF(spellings)) ||
        action_parse(n->str, &a) < 0) {
        /* SCMP_ACT_ERRNO(EPERM), as libseccomp's documentation writes it. */
        if (ynode_is_str(n) && strncmp(n->str, "SCMP_ACT_ERRNO(", 15) == 0) {
            size_t fl = strlen(field);
            bool dflt = fl >= 13 && strcmp(field + fl - 13, "defaultAction") == 0;
            return fail(c, n, field,
                        "unknown action \"%.64s\" (%s): write Block or SCMP_ACT_ERRNO%s", n->str,
                        choices,
                        dflt ? " (a default Block returns EPERM)"
                             : ", and the errno apart, in errno: (EPERM when it is left out)");
        }
        return fail_choice(c, n, field, "action", choices,
                           choice_near(n, spellings, ELEMENTSOF(spellings), aliases));
    }
    *ret = VERDICT(a);
    return 0;
}

static int decode_args(struct dctx *c, const struct ynode *n, const char *field, struct block *b)
{
    static const char *const ops[] = {SCHEMA_OPS};
    /* Other spellings: C's and Go's, and the words. */
    static const struct alias op_aliases[] = {{"==", "EQ"},
                                              {"!=", "NE"},
                                              {"<", "LT"},
                                              {"<=", "LE"},
                                              {">", "GT"},
                                              {">=", "GE"},
                                              {"EQUALS", "EQ"},
                                              {"EQUAL", "EQ"},
                                              {"MASKEDEQ", "MASKED_EQ"},
                                              {"MASKED", "MASKED_EQ"},
                                              {"NEQ", "NE"},
                                              {"<>", "NE"},
                                              {"GTE", "GE"},
                                              {"LTE", "LE"},
                                              {"=>", "GE"},
                                              {"=<", "LE"},
                                              {"=", "EQ"},
                                              {NULL, NULL}};
    int r = want_kind(c, n, field, YN_SEQ);
    if (r < 0)
        return r;
    if (n->n > SCHEMA_MAX_ARGS)
        return fail(c, n, field, "at most %d conditions, one per argument", SCHEMA_MAX_ARGS);
    if (n->n && !(b->args = calloc(n->n, sizeof(*b->args))))
        return -ENOMEM;
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *a = n->items[i];
        char path[300], sub[340];
        snprintf(path, sizeof(path), "%s[%zu]", field, i);
        if ((r = want_kind(c, a, path, YN_MAP)) < 0 || (r = check_keys(c, a, path, arg_keys)) < 0)
            return r;
        struct sys_arg *x = &b->args[b->nargs];
        const struct ynode *idx = opt(a, "index"), *val = opt(a, "value"),
                           *two = opt(a, "valueTwo"), *op = opt(a, "op");
        snprintf(sub, sizeof(sub), "%s.index", path);
        if (!idx)
            return fail(c, a, sub, "required");
        uint64_t v;
        if ((r = get_int(c, idx, sub, 0, UINT64_MAX, &v)) < 0)
            return r;
        if (v > SCHEMA_MAX_ARG_INDEX)
            return fail(c, idx, sub,
                        "index %" PRIu64 " is over %d (a syscall has 6 arguments, 0 to 5)", v,
                        SCHEMA_MAX_ARG_INDEX);
        x->index = (uint8_t)v;
        for (size_t j = 0; j < b->nargs; j++)
            if (b->args[j].index == x->index)
                return fail(c, idx, sub, "index %u is used twice in one rule", x->index);
        snprintf(sub, sizeof(sub), "%s.value", path);
        if (!val)
            return fail(c, a, sub, "required");
        /* As the CRD says: Kubernetes integers are signed 64-bit. */
        if ((r = get_int(c, val, sub, 0, INT64_MAX, &x->value)) < 0)
            return r;
        x->value_two = 0;
        if (two) {
            snprintf(sub, sizeof(sub), "%s.valueTwo", path);
            if ((r = get_int(c, two, sub, 0, INT64_MAX, &x->value_two)) < 0)
                return r;
        }
        snprintf(sub, sizeof(sub), "%s.op", path);
        enum cmp_op o;
        if (!op)
            return fail(c, a, sub, "required (EQ, NE, LT, LE, GT, GE, MASKED_EQ)");
        if (!ynode_is_str(op) || !one_of(op->str, ops, ELEMENTSOF(ops)) ||
            op_parse(op->str, &o) < 0)
            return fail_choice(c, op, sub, "operator", "EQ, NE, LT, LE, GT, GE or MASKED_EQ",
                               choice_near(op, ops, ELEMENTSOF(ops), op_aliases));
        x->op = (uint8_t)o;
        b->nargs++;
    }
    return 0;
}

/* severity, tags and message: informational, as in KubeArmor policies; checked, not kept. */
static int check_informational(struct dctx *c, const struct ynode *map, const char *field)
{
    char path[300];
    const struct ynode *n;
    uint64_t v;
    int r;
    if ((n = opt(map, "severity")) &&
        (r = get_int(c, n, path_join(path, sizeof(path), field, "severity"), SCHEMA_MIN_SEVERITY,
                     SCHEMA_MAX_SEVERITY, &v)) < 0)
        return r;
    if ((n = opt(map, "message"))) {
        path_join(path, sizeof(path), field, "message");
        if (!ynode_is_str(n))
            return fail(c, n, path, "must be a string, not %s", ynode_kind_name(n));
        if (strlen(n->str) > SCHEMA_MAX_MESSAGE_LEN)
            return fail(c, n, path, "%zu characters, more than %d", strlen(n->str),
                        SCHEMA_MAX_MESSAGE_LEN);
    }
    if ((n = opt(map, "tags"))) {
        path_join(path, sizeof(path), field, "tags");
        if ((r = want_list(c, n, path, SCHEMA_MAX_TAGS, "tags")) < 0)
            return r;
        for (size_t i = 0; i < n->n; i++) {
            char sub[320];
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            if (!ynode_is_str(n->items[i]))
                return fail(c, n->items[i], sub, "must be a string, not %s",
                            ynode_kind_name(n->items[i]));
            if (strlen(n->items[i]->str) > SCHEMA_MAX_TAG_LEN)
                return fail(c, n->items[i], sub, "%zu characters, more than %d",
                            strlen(n->items[i]->str), SCHEMA_MAX_TAG_LEN);
        }
    }
    return 0;
}

/* errno: a number from 1 to SCHEMA_MAX_ERRNO (an integer, or a string of decimal digits
 * without a leading 0, as the schema has it) or one of the schema's names. */
static int decode_errno(struct dctx *c, const struct ynode *n, const char *field, uint16_t *ret)
{
    static const char *const names[] = {SCHEMA_ERRNO_NAMES};
    static const char *const choices = "a name such as EPERM, or 1 to 4094";
    bool neg = false;
    uint64_t v = 0;
    if (n->kind == YN_SCALAR && (n->stype == YS_INT || n->stype == YS_FLOAT)) {
        if (number_value(n, &neg, &v) < 0 || neg || v < 1 || v > SCHEMA_MAX_ERRNO)
            return fail_choice(c, n, field, "errno", choices, NULL);
        *ret = (uint16_t)v;
        return 0;
    }
    if (!ynode_is_str(n))
        return fail_choice(c, n, field, "errno", choices, NULL);
    const char *s = n->str;
    bool digits = *s >= '1' && *s <= '9' && strlen(s) <= 4 && strspn(s, "0123456789") == strlen(s);
    if (digits ? strtoul(s, NULL, 10) > SCHEMA_MAX_ERRNO : !one_of(s, names, ELEMENTSOF(names)))
        return fail_choice(c, n, field, "errno", choices,
                           digits ? NULL : choice_near(n, names, ELEMENTSOF(names), NULL));
    if (errno_parse(s, ret) < 0)
        return fail_choice(c, n, field, "errno", choices, NULL);
    return 0;
}

static int decode_block(struct dctx *c, const struct ynode *n, const char *field, struct block *b)
{
    static const char *const arches[] = {SCHEMA_ARCHES};
    /* The names Go, Debian and the kernel's uname give them. */
    static const struct alias arch_aliases[] = {
        {"amd64", "x86_64"},      {"arm64", "aarch64"}, {"i386", "x86"},
        {"i686", "x86"},          {"386", "x86"},       {"armhf", "arm"},
        {"armel", "arm"},         {"armv7l", "arm"},    {"ppc64el", "ppc64le"},
        {"mips64le", "mipsel64"}, {"mipsle", "mipsel"}, {"x86_32", "x86"},
        {"ia32", "x86"},          {NULL, NULL}};
    int r = want_kind(c, n, field, YN_MAP);
    if (r < 0)
        return r;
    if ((r = check_keys(c, n, field, block_keys)) < 0)
        return r;
    b->line = n->line;
    if ((size_t)snprintf(b->path, sizeof(b->path), "%s", field) >= sizeof(b->path))
        return -EINVAL; /* decode_policy_spec's paths fit */
    char path[300];
    const struct ynode *arch = opt(n, "arch");
    if (arch) {
        snprintf(path, sizeof(path), "%s.arch", field);
        if ((r = want_list(c, arch, path, ELEMENTSOF(arches), "architectures")) < 0)
            return r;
        for (size_t i = 0; i < arch->n; i++) {
            char sub[320];
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            const struct ynode *a = arch->items[i];
            int idx = ynode_is_str(a) && one_of(a->str, arches, ELEMENTSOF(arches))
                          ? arch_parse(a->str)
                          : -EINVAL;
            if (idx < 0)
                return fail_choice(c, a, sub, "architecture",
                                   "x86_64, x86, x32, aarch64, arm, ... or SCMP_ARCH_*",
                                   choice_near(a, arches, ELEMENTSOF(arches), arch_aliases));
            b->arches |= 1u << idx;
        }
    }
    path_join(path, sizeof(path), field, "syscalls");
    if ((r = decode_names(c, opt(n, "syscalls"), path, false, &b->syscalls, &b->nsyscalls)) < 0)
        return r;
    path_join(path, sizeof(path), field, "groups");
    if ((r = decode_names(c, opt(n, "groups"), path, true, &b->groups, &b->ngroups)) < 0)
        return r;
    const struct ynode *act = opt(n, "action");
    path_join(path, sizeof(path), field, "action");
    if (!act)
        return fail(c, n, path, "required (Allow, Audit, Block, Trap or Kill)");
    if ((r = decode_action(c, act, path, &b->verdict)) < 0)
        return r;
    const struct ynode *en = opt(n, "errno");
    if (en) {
        static const char *const errno_actions[] = {SCHEMA_ERRNO_ACTIONS};
        snprintf(path, sizeof(path), "%s.errno", field);
        if (!one_of(act->str, errno_actions, ELEMENTSOF(errno_actions)))
            return fail(c, en, path, "only a Block action takes an errno");
        if ((r = decode_errno(c, en, path, &b->verdict.errno_ret)) < 0)
            return r;
    }
    const struct ynode *args = opt(n, "args");
    if (args) {
        snprintf(path, sizeof(path), "%s.args", field);
        if ((r = decode_args(c, args, path, b)) < 0)
            return r;
    }
    return check_informational(c, n, field);
}

static void hmap_clearp(struct hmap *m)
{
    hmap_clear(m, NULL);
}

struct cond_count {
    struct dctx *c;
    const struct block *b;
    struct hmap *per_syscall; /* name -> conditions so far, as a uintptr_t */
    struct hmap *in_block;    /* names this block already counted */
    size_t total;
    const char *via; /* the group being expanded, for messages */
    char field[320]; /* the name being counted: spec.rules[2].groups[0] */
    struct ynode at; /* its line, for messages */
};

/* Counts one syscall of a block with args (a name counts once per block). */
static int count_one(const char *name, void *userdata)
{
    struct cond_count *cc = userdata;
    if (hmap_get(cc->in_block, name))
        return 0;
    int r = hmap_put(cc->in_block, name, (void *)name, NULL);
    if (r < 0)
        return r;
    uintptr_t n = (uintptr_t)hmap_get(cc->per_syscall, name) + cc->b->nargs;
    if ((r = hmap_put(cc->per_syscall, name, (void *)n, NULL)) < 0)
        return r;
    cc->total += cc->b->nargs;
    char via[96] = "";
    if (cc->via)
        snprintf(via, sizeof(via), " (through %s)", cc->via);
    if (n > SCHEMA_MAX_CONDITIONS_PER_SYSCALL)
        return fail(cc->c, &cc->at, cc->field,
                    "gives %s%s its argument condition number %ju in this policy, more than the "
                    "%d a policy may give one syscall (counted after groups are expanded; "
                    "see docs/bounds.md)",
                    name, via, (uintmax_t)n, SCHEMA_MAX_CONDITIONS_PER_SYSCALL);
    if (cc->total > SCHEMA_MAX_CONDITIONS)
        return fail(cc->c, &cc->at, cc->field,
                    "brings the policy to %zu argument conditions at %s%s, more than the %d a "
                    "policy may have (a rule's args count once for every syscall it names, "
                    "after groups are expanded; see docs/bounds.md)",
                    cc->total, name, via, SCHEMA_MAX_CONDITIONS);
    return 0;
}

/* The argument conditions of a policy, groups expanded: at most SCHEMA_MAX_CONDITIONS, and
 * SCHEMA_MAX_CONDITIONS_PER_SYSCALL for one syscall. Stops at the first name over either, so
 * the work is bounded by the limits, not by the input. */
static int check_conditions(struct dctx *c, const struct policy *p)
{
    _cleanup_(hmap_clearp) struct hmap per_syscall = {0};
    struct cond_count cc = {.c = c, .per_syscall = &per_syscall};
    for (size_t i = 0; i < p->nblocks; i++) {
        const struct block *b = &p->blocks[i];
        if (!b->nargs)
            continue;
        _cleanup_(hmap_clearp) struct hmap in_block = {0};
        cc.b = b;
        cc.in_block = &in_block;
        cc.via = NULL;
        for (size_t k = 0; k < b->nsyscalls; k++) {
            snprintf(cc.field, sizeof(cc.field), "%s.syscalls[%zu]", b->path, k);
            cc.at.line = b->syscalls[k].line;
            int r = count_one(b->syscalls[k].name, &cc);
            if (r < 0)
                return r;
        }
        for (size_t k = 0; k < b->ngroups; k++) {
            const struct syscall_group *g = groups_lookup(b->groups[k].name);
            if (!g)
                continue; /* refused by decode_names already */
            snprintf(cc.field, sizeof(cc.field), "%s.groups[%zu]", b->path, k);
            cc.at.line = b->groups[k].line;
            cc.via = g->name;
            int r = groups_expand(g, count_one, &cc);
            if (r < 0)
                return r;
        }
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
    const struct ynode *n = opt(spec, "namespaceSelector");
    if (n && p->kind != PK_CLUSTER)
        return fail(c, n, "spec.namespaceSelector", "only a ClusterSeccompPolicy has one");
    return decode_selector(c, n, "spec.namespaceSelector", &p->ns_selector);
}

/* spec.extends is no reference at all: says so, with the reference e was likely meant as. */
static int fail_extends(struct dctx *c, const struct ynode *n, const struct policy *p,
                        const char *e)
{
    static const char what[] = "is not a policy name, ClusterSeccompPolicy/NAME or runtime/default";
    static const char cluster[] = "ClusterSeccompPolicy/";
    const char *slash = strchr(e, '/');
    size_t pre = slash ? (size_t)(slash - e) : 0;
    struct spell near;
    spell_init(&near, e);
    spell_offer(&near, "runtime/default");
    if (near.best)
        return fail(c, n, "spec.extends", "\"%.100s\" %s; did you mean \"%s\"?", e, what,
                    near.best);
    /* The kind in another case, misspelt, or plural (kubectl's resource name):
     * ClusterSeccompPolicy/NAME. */
    if (slash && dns_subdomain_valid(slash + 1)) {
        if (spell_distance(e, pre, "ClusterSeccompPolicy", 20) <= 3 ||
            (pre == 22 && strncasecmp(e, "clusterseccomppolicies", pre) == 0))
            return fail(c, n, "spec.extends", "\"%.100s\" %s; did you mean \"%s%.100s\"?", e, what,
                        cluster, slash + 1);
        /* NAMESPACE/NAME: a parent is looked for in the policy's own namespace, by its name. */
        if (p->kind != PK_CLUSTER && p->ns && pre == strlen(p->ns) && strncmp(e, p->ns, pre) == 0)
            return fail(c, n, "spec.extends",
                        "\"%.100s\" %s: a parent in the policy's own namespace is named alone, "
                        "write \"%.100s\"",
                        e, what, slash + 1);
        if (p->kind != PK_CLUSTER)
            return fail(c, n, "spec.extends",
                        "\"%.100s\" %s: a %s extends a policy of its own namespace (by its "
                        "name alone), a ClusterSeccompPolicy or runtime/default",
                        e, what, policy_kind_name(p->kind));
    }
    return fail(c, n, "spec.extends", "\"%.100s\" %s", e, what);
}

static int decode_policy_spec(struct dctx *c, const struct ynode *spec, struct policy *p)
{
    int r = want_kind(c, spec, "spec", YN_MAP);
    if (r < 0)
        return r;
    if ((r = check_keys(c, spec, "spec", spec_keys)) < 0)
        return r;
    const struct ynode *n;
    if ((r = check_informational(c, spec, "spec")) < 0)
        return r;
    if ((n = opt(spec, "severity"))) {
        uint64_t v;
        if (get_int(c, n, "spec.severity", SCHEMA_MIN_SEVERITY, SCHEMA_MAX_SEVERITY, &v) == 0)
            p->severity = (int)v;
    }
    /* selector and namespaceSelector: decode_policy_selectors, before everything else. */
    if ((n = opt(spec, "ceiling"))) {
        if (p->kind != PK_CLUSTER)
            return fail(c, n, "spec.ceiling",
                        "only a ClusterSeccompPolicy can be a ceiling (a %s cannot)",
                        policy_kind_name(p->kind));
        if (n->kind != YN_SCALAR || n->stype != YS_BOOL)
            return fail(c, n, "spec.ceiling", "must be true or false, not %s",
                        n->kind == YN_SCALAR && n->stype == YS_STR ? "a string"
                                                                   : ynode_kind_name(n));
        p->ceiling = strcmp(n->str, "true") == 0; /* the document tree spells booleans so */
    }
    if ((n = opt(spec, "extends"))) {
        if ((r = get_string(c, n, "spec.extends", &p->extends)) < 0)
            return r;
        p->extends_line = n->line;
        const char *e = p->extends;
        bool ok = strcmp(e, "runtime/default") == 0 ||
                  (cluster_policy_ref(e) && dns_subdomain_valid(cluster_policy_ref(e))) ||
                  dns_subdomain_valid(e);
        if (!ok)
            return fail_extends(c, n, p, e);
        /* A cluster policy has no namespace to find a bare name in (the CRD's pattern). */
        if (p->kind == PK_CLUSTER && strcmp(e, "runtime/default") != 0 && !cluster_policy_ref(e))
            return fail(c, n, "spec.extends",
                        "\"%.100s\": a ClusterSeccompPolicy extends ClusterSeccompPolicy/NAME or "
                        "runtime/default (it has no namespace to find a bare name in): write "
                        "ClusterSeccompPolicy/%.100s",
                        e, e);
    }
    if ((n = opt(spec, "defaultAction"))) {
        if ((r = decode_action(c, n, "spec.defaultAction", &p->default_verdict)) < 0)
            return r;
        p->has_default = true;
    }
    const struct ynode *sc = opt(spec, "seccomp"), *rules = opt(spec, "rules");
    size_t nrules = 0;
    if (rules) {
        if ((r = want_list(c, rules, "spec.rules", SCHEMA_MAX_RULES, "rules")) < 0)
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
    return check_conditions(c, p);
}

/* metadata.name/namespace of an object of kind, which names it in messages until the name is
 * known (the caller then names it); a namespaced kind without one gets "default", as kubectl
 * does, and ret_ns is only written for a namespaced kind (may be NULL for another). */
static int decode_meta(struct dctx *c, const struct ynode *doc, const char *kind, char **ret_ns,
                       char **ret_name, const struct ynode **ret_meta)
{
    object_who(c->who, sizeof(c->who), kind, NULL, NULL);
    const struct ynode *meta = ynode_get(doc, "metadata");
    if (!meta) {
        /* A key no object has at the top (a misspelt "metadata", say) is the likelier cause:
         * named first, with where it is. */
        for (size_t i = 0; doc->kind == YN_MAP && i < doc->n; i++) {
            bool known = false;
            for (const char *const *t = top_fields; *t && !known; t++)
                known = strcmp(doc->keys[i], *t) == 0;
            if (!known)
                return fail_key(c, doc, i, doc->keys[i],
                                "unknown field (and metadata, which is required, is missing)");
        }
        return fail(c, doc, "metadata", "required");
    }
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
    if (!kind_cluster_scoped(kind)) {
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

/* A policy's metadata as the API server checks it: known fields only, labels and annotation
 * keys in label syntax, strings where strings belong. */
static int check_policy_meta(struct dctx *c, const struct ynode *meta)
{
    static const char *const keys[] = {"name",
                                       "generateName",
                                       "namespace",
                                       "selfLink",
                                       "uid",
                                       "resourceVersion",
                                       "generation",
                                       "creationTimestamp",
                                       "deletionTimestamp",
                                       "deletionGracePeriodSeconds",
                                       "labels",
                                       "annotations",
                                       "ownerReferences",
                                       "finalizers",
                                       "managedFields",
                                       NULL};
    int r = check_keys(c, meta, "metadata", keys);
    if (r < 0)
        return r;
    static const char *const strings[] = {"generateName", "selfLink", "uid", "resourceVersion"};
    for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
        const struct ynode *n = opt(meta, strings[i]);
        char path[64];
        if (n && !ynode_is_str(n))
            return fail(c, n, path_join(path, sizeof(path), "metadata", strings[i]),
                        "must be a string, not %s", ynode_kind_name(n));
    }
    _cleanup_(labels_free) struct labels l = {0};
    if ((r = decode_labels(c, opt(meta, "labels"), "metadata.labels", true, false, &l)) < 0)
        return r;
    const struct ynode *a = opt(meta, "annotations");
    if (a) {
        if ((r = want_kind(c, a, "metadata.annotations", YN_MAP)) < 0)
            return r;
        for (size_t i = 0; i < a->n; i++) {
            char path[300];
            snprintf(path, sizeof(path), "metadata.annotations.%s", a->keys[i]);
            if (!label_key_valid(a->keys[i]))
                return fail(c, a->items[i], path, "\"%.100s\" is not an annotation key",
                            a->keys[i]);
            if (!ynode_is_str(a->items[i]))
                return fail(c, a->items[i], path, "must be a string, not %s",
                            ynode_kind_name(a->items[i]));
        }
    }
    return 0;
}

static int decode_policy(struct dctx *c, const struct ynode *doc, enum policy_kind kind,
                         struct object *ret)
{
    _cleanup_(policy_freep) struct policy *p = NULL;
    p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->kind = kind;
    p->line = doc->line;
    c->policy = true;
    const struct ynode *meta = NULL;
    int r = decode_meta(c, doc, policy_kind_name(kind), &p->ns, &p->name, &meta);
    if (r < 0)
        return r;
    const struct ynode *ns = opt(meta, "namespace");
    p->ns_defaulted = kind != PK_CLUSTER && !ns;
    p->ns_ignored = kind == PK_CLUSTER && ns;
    const struct ynode *at = ns ? ns : meta;
    if (at && at->line > p->line && at->line - p->line <= UINT16_MAX)
        p->ns_line_delta = (uint16_t)(at->line - p->line);
    /* Named as the engine names a policy: its kind and policy_id(), cut at 300 bytes (a NS/NAME
     * of 300 or more would read longer through object_who(), cut at who's size only). */
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
    const struct ynode *spec = ynode_get(doc, "spec"); /* null: "must be a mapping" */
    bool selectors_known = false;
    r = 0;
    if (spec && spec->kind == YN_MAP) {
        r = decode_policy_selectors(c, spec, p);
        selectors_known = r == 0;
    }
    if (r == 0)
        r = check_keys(c, doc, NULL, top_fields);
    if (r == 0)
        r = check_policy_meta(c, meta);
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
    /* Kept in one allocation, the file name with it (p->file is NULL until here). */
    p->file = (char *)(c->file ? c->file : "");
    struct policy *packed = NULL;
    r = policy_pack(p, &packed);
    p->file = NULL;
    if (r < 0)
        return r;
    ret->type = OBJ_POLICY;
    ret->policy = packed;
    return 0;
}

/* The seccompProfile types of Kubernetes, spelt as the API server wants them. */
static const char *const profile_types[] = {"Localhost", "RuntimeDefault", "Unconfined", NULL};

/* A type outside profile_types, read from a file: the API server refuses it ("Unsupported
 * value"), so a pod file that has one would never run; without this, the container (or the pod)
 * would be read as using no localhost profile, and the CLI would blame that instead. An object
 * of the API server (no file) has passed that check, and is read as before. */
static int check_profile_type(struct dctx *c, const struct ynode *type, const char *field)
{
    if (!c->file || !*c->file || one_of(type->str, profile_types, ELEMENTSOF(profile_types) - 1))
        return 0;
    char path[300];
    snprintf(path, sizeof(path), "%s.type", field);
    const char *near = spell_nearest(type->str, profile_types, SIZE_MAX);
    return fail(c, type, path,
                "unknown type \"%.64s\" (Localhost, RuntimeDefault or Unconfined)%s%s%s", type->str,
                near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
}

/* Type Localhost without localhostProfile: a key of sp near that name is most likely it,
 * misspelt, and is named at its own line rather than the missing one at the mapping's. */
static int fail_no_localhost_profile(struct dctx *c, const struct ynode *sp, const char *field)
{
    char path[300];
    for (size_t i = 0; i < sp->n; i++) {
        struct spell near;
        spell_init(&near, sp->keys[i]);
        spell_offer(&near, "localhostProfile");
        if (!near.best)
            continue;
        snprintf(path, sizeof(path), "%s.%s", field, sp->keys[i]);
        return fail_key(c, sp, i, path,
                        "unknown field; did you mean \"localhostProfile\"? (required when type "
                        "is Localhost)");
    }
    snprintf(path, sizeof(path), "%s.localhostProfile", field);
    return fail(c, sp, path, "required when type is Localhost");
}

/* The seccompProfile of the securityContext sc: *ret_set when it has one, and *ret_ref with
 * the line *ret_line of its localhostProfile when its type is Localhost. */
static int container_profile(struct dctx *c, const struct ynode *sc, const char *field,
                             bool *ret_set, char **ret_ref, int *ret_line)
{
    const struct ynode *sp = ynode_get(sc, "seccompProfile");
    *ret_set = false;
    if (!sp || (sp->kind == YN_SCALAR && sp->stype == YS_NULL))
        return 0;
    int r = want_kind(c, sp, field, YN_MAP);
    if (r < 0)
        return r;
    const struct ynode *type = ynode_get(sp, "type");
    if (!ynode_is_str(type)) {
        char path[300];
        snprintf(path, sizeof(path), "%s.type", field);
        return fail(c, type ? type : sp, path, "required (Localhost, RuntimeDefault, Unconfined)");
    }
    if ((r = check_profile_type(c, type, field)) < 0)
        return r;
    *ret_set = true;
    if (strcmp(type->str, "Localhost") == 0) {
        const struct ynode *lp = ynode_get(sp, "localhostProfile");
        if (!lp)
            return fail_no_localhost_profile(c, sp, field);
        char path[300];
        snprintf(path, sizeof(path), "%s.localhostProfile", field);
        *ret_line = lp->key_line ? lp->key_line : lp->line;
        return get_string(c, lp, path, ret_ref);
    }
    return 0;
}

/* Adds ref (once) to the pod's references and puts its index in *ret_index; nnp: the container
 * that uses it sets allowPrivilegeEscalation: false (a reference keeps that only while all its
 * containers do); line: where it is written (the first place kept). */
static int add_ref(struct pod *p, const char *ref, bool nnp, int line, int *ret_index)
{
    for (size_t i = 0; i < p->nrefs; i++)
        if (strcmp(p->refs[i], ref) == 0) {
            p->refs_nnp[i] = p->refs_nnp[i] && nnp;
            *ret_index = (int)i;
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
    int *lines = realloc(p->refs_line, (p->nrefs + 1) * sizeof(*lines));
    if (!lines)
        return -ENOMEM;
    p->refs_line = lines;
    lines[p->nrefs] = line;
    if (!(p->refs[p->nrefs] = strdup(ref)))
        return -ENOMEM;
    *ret_index = (int)p->nrefs++;
    return 0;
}

/* A container of the spec and the index in pod->refs of the profile it runs under (REF_NONE,
 * or REF_POD_LEVEL until the pod-level reference has its index). */
struct spec_container {
    const char *name;
    int ref;
};
#define REF_NONE (-1)
#define REF_POD_LEVEL (-2)

/* The reference index of the spec container named name, REF_NONE when there is none. */
static int spec_container_ref(const struct spec_container *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].name && strcmp(v[i].name, name) == 0)
            return v[i].ref;
    return REF_NONE;
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

/* Whether kind, compared without case, is within 3 edits of want, or names "seccomp" in it: a
 * misspelling of a kind kscmp reads, for a document of a group kscmp reads (or nearly). */
static bool kind_is_near(const char *kind, const char *want)
{
    return strcasestr(kind, "seccomp") ||
           spell_distance(kind, strlen(kind), want, strlen(want)) <= 3;
}

/* The kinds kscmp knows, each with the one apiVersion it reads them in. */
static const struct our_kind {
    const char *kind, *version;
} ours[] = {
    {"SeccompPolicy", "kscmp.io/v1"},
    {"ClusterSeccompPolicy", "kscmp.io/v1"},
    {"SeccompRecording", "kscmp.io/v1"},
    {"KubeArmorSeccompPolicy", "security.kubearmor.com/v1"},
};

/* Which of ours a document whose apiVersion and kind are both not kscmp's looks like, both
 * misspelled (kscmp.oi/v1 with SecompPolicy); NULL for a foreign object. It looks like one
 * when its kind is within 2 edits of one of ours, whatever its group (Security Profiles
 * Operator's SeccompProfile is 4 from SeccompPolicy, NetworkPolicy 5), or when its group is
 * within 2 edits of kscmp.io, or 3 of security.kubearmor.com, and its kind near (kind_is_near)
 * one of that group's. */
static const struct our_kind *looks_like_ours(const char *kind, const char *api_version)
{
    static const struct {
        const char *group;
        unsigned near;
    } groups[] = {{"kscmp.io", 2}, {"security.kubearmor.com", 3}};
    const char *slash = strchr(api_version, '/');
    size_t glen = slash ? (size_t)(slash - api_version) : strlen(api_version);
    size_t klen = strlen(kind);
    for (size_t i = 0; i < ELEMENTSOF(ours); i++)
        if (spell_distance(kind, klen, ours[i].kind, strlen(ours[i].kind)) <= 2)
            return &ours[i];
    for (size_t g = 0; g < ELEMENTSOF(groups); g++) {
        size_t n = strlen(groups[g].group);
        if (spell_distance(api_version, glen, groups[g].group, n) > groups[g].near)
            continue;
        const struct our_kind *best = NULL;
        unsigned best_d = SPELL_MAX + 1;
        for (size_t i = 0; i < ELEMENTSOF(ours); i++) {
            unsigned d = spell_distance(kind, klen, ours[i].kind, strlen(ours[i].kind));
            if (strncmp(ours[i].version, groups[g].group, n) == 0 && ours[i].version[n] == '/' &&
                d < best_d) {
                best = &ours[i];
                best_d = d;
            }
        }
        if (best && kind_is_near(kind, best->kind))
            return best;
    }
    return NULL;
}

/* The running containers of status, each with the reference its spec container (of specs)
 * runs under. */
static int decode_container_states(struct dctx *c, const struct ynode *status, struct pod *p,
                                   const struct spec_container *specs, size_t nspecs)
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
            if (!ynode_is_str(name))
                continue;
            struct container_state *v = realloc(p->containers, (p->ncontainers + 1) * sizeof(*v));
            if (!v)
                return -ENOMEM;
            p->containers = v;
            v[p->ncontainers].name = strdup(name->str);
            v[p->ncontainers].started_at = ynode_is_str(started) ? parse_time(started->str) : 0;
            v[p->ncontainers].ref = spec_container_ref(specs, nspecs, name->str);
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
    int r = decode_meta(c, doc, "Pod", &p->ns, &p->name, &meta);
    if (r < 0)
        return r;
    object_who(c->who, sizeof(c->who), "Pod", p->ns, p->name);
    if ((r = opt_string(c, meta, "uid", "metadata.uid", &p->uid)) < 0 ||
        (r = decode_labels(c, ynode_get(meta, "labels"), "metadata.labels", false, false,
                           &p->labels)) < 0)
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
    int pod_line = 0;
    const struct ynode *psc = ynode_get(spec, "securityContext");
    if (psc && psc->kind == YN_MAP &&
        (r = container_profile(c, psc, "spec.securityContext.seccompProfile", &pod_set, &pod_ref,
                               &pod_line)) < 0)
        return r;
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    bool pod_level_used = false, pod_level_nnp = true;
    size_t total = 0;
    _cleanup_free_ struct spec_container *specs = NULL;
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
            int line = 0;
            snprintf(path, sizeof(path), "spec.%s[%zu].securityContext.seccompProfile", lists[l],
                     i);
            if (csc && csc->kind == YN_MAP &&
                (r = container_profile(c, csc, path, &set, &ref, &line)) < 0)
                return r;
            bool nnp = false;
            snprintf(path, sizeof(path), "spec.%s[%zu].securityContext.allowPrivilegeEscalation",
                     lists[l], i);
            if (csc && csc->kind == YN_MAP && (r = no_new_privs(c, csc, path, &nnp)) < 0)
                return r;
            const struct ynode *cname = ynode_get(cl->items[i], "name");
            struct spec_container *sv = realloc(specs, total * sizeof(*sv));
            if (!sv)
                return -ENOMEM;
            specs = sv;
            specs[total - 1] =
                (struct spec_container){ynode_is_str(cname) ? cname->str : NULL, REF_NONE};
            if (!set) {
                pod_level_used = true;
                pod_level_nnp = pod_level_nnp && nnp;
                specs[total - 1].ref = REF_POD_LEVEL;
            } else if (ref && (r = add_ref(p, ref, nnp, line, &specs[total - 1].ref)) < 0)
                return r;
        }
    }
    int pod_index = REF_NONE;
    if (pod_ref && (pod_level_used || total == 0) &&
        (r = add_ref(p, pod_ref, pod_level_used && pod_level_nnp, pod_line, &pod_index)) < 0)
        return r;
    for (size_t i = 0; i < total; i++)
        if (specs[i].ref == REF_POD_LEVEL)
            specs[i].ref = pod_index;
    const struct ynode *status = ynode_get(doc, "status");
    if (status && status->kind == YN_MAP &&
        (r = decode_container_states(c, status, p, specs, total)) < 0)
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
    n->file = strdup(c->file ? c->file : "");
    n->line = doc->line;
    if (!n->file)
        return -ENOMEM;
    const struct ynode *meta = NULL;
    int r = decode_meta(c, doc, "Namespace", NULL, &n->name, &meta);
    if (r < 0)
        return r;
    object_who(c->who, sizeof(c->who), "Namespace", NULL, n->name);
    if (!dns_label_valid(n->name))
        return fail(c, ynode_get(meta, "name"), "metadata.name",
                    "\"%.100s\" is not a DNS-1123 label", n->name);
    if ((r = decode_labels(c, ynode_get(meta, "labels"), "metadata.labels", false, false,
                           &n->labels)) < 0)
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
    if (!ynode_is_str(kind))
        return fail(&c, kind, "kind", "must be a string, not %s", ynode_kind_name(kind));
    if (!av)
        return fail(&c, doc, "apiVersion", "required");
    if (!ynode_is_str(av))
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
    for (size_t i = 0; i < ELEMENTSOF(ours); i++)
        if (strcmp(k, ours[i].kind) == 0) {
            if (strcmp(v, ours[i].version) == 0)
                return 0; /* a kind kscmp knows but does not load here (a recording) */
            ydoc_who(doc, c.who, sizeof(c.who));
            return fail(&c, av, "apiVersion",
                        "\"%.100s\" is not an apiVersion kscmp reads for %s (it reads %s)", v, k,
                        ours[i].version);
        }
    /* KubeArmor's group has kinds that are not seccomp policies (KubeArmorPolicy, ...), left
     * alone; one that is nearly KubeArmorSeccompPolicy is a typo, and must not be silent. */
    static const char kubearmor[] = "security.kubearmor.com/";
    if (strncmp(v, kubearmor, sizeof(kubearmor) - 1) == 0 &&
        kind_is_near(k, "KubeArmorSeccompPolicy")) {
        ydoc_who(doc, c.who, sizeof(c.who));
        return fail(&c, kind, "kind",
                    "unknown kind \"%.100s\" in apiVersion %.100s (kscmp reads "
                    "KubeArmorSeccompPolicy of security.kubearmor.com/v1; KubeArmor's other kinds "
                    "are not seccomp policies and are left alone)",
                    k, v);
    }
    /* A kind of kscmp's group that is none of kscmp's: a typo must not be silent. */
    if (strncmp(v, "kscmp.io/", 9) == 0) {
        ydoc_who(doc, c.who, sizeof(c.who));
        return fail(&c, kind, "kind",
                    "unknown kind \"%.100s\" in apiVersion %.100s (kscmp.io/v1 has "
                    "SeccompPolicy, ClusterSeccompPolicy and SeccompRecording)",
                    k, v);
    }
    /* Both misspelled: nothing above catches it, and it must not be silent either. */
    const struct our_kind *like = looks_like_ours(k, v);
    if (like) {
        ydoc_who(doc, c.who, sizeof(c.who));
        return fail(&c, av, "apiVersion",
                    "\"%.100s\" with kind \"%.100s\" is not an object kscmp reads, but looks like "
                    "a misspelled %s of %s (a typo must not be silent)",
                    v, k, like->kind, like->version);
    }
    return 0; /* OBJ_NONE */
}

int decode_documents(struct ynode *const *docs, size_t n, const char *file,
                     int (*cb)(struct object *o, void *userdata), void *userdata, struct kerr *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct ynode *kind = ynode_get(docs[i], "kind");
        const struct ynode *items = ynode_get(docs[i], "items");
        if (ynode_is_str(kind) && strcmp(kind->str, "List") == 0 && items &&
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
