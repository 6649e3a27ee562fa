/* profile.c - compile, merge and render seccomp profiles (docs/policies.md, docs/agent.md). */
#include "engine/profile.h"

#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/spell.h"
#include "base/strv.h"
#include "engine/groups.h"
#include "engine/schema.h"
#include "engine/runtime_default.h"

void cprof_free(struct cprof *p)
{
    if (!p)
        return;
    if (p->packed) {
        free(p);
        return;
    }
    free(p->ents);
    free(p->conds);
    for (size_t i = 0; i < p->norigins; i++)
        free(p->origins[i]);
    free(p->origins);
    free(p);
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void compile_notes_clear(struct compile_notes *n)
{
    if (!n)
        return;
    strv_free(n->warnings, n->nwarnings);
    strv_free(n->conflicts, n->nconflicts);
    *n = (struct compile_notes){0};
}

/* Copies a packed profile's arrays and origin texts into allocations of their own, so that
 * they can grow; the struct stays where it is (its block, now partly unused, is freed with
 * it). 0 or -ENOMEM (p unchanged). */
static int unpack(struct cprof *p)
{
    if (!p->packed)
        return 0;
    _cleanup_free_ struct centry *ents = p->nents ? malloc(p->nents * sizeof(*ents)) : NULL;
    _cleanup_free_ struct ccond *conds = p->nconds ? malloc(p->nconds * sizeof(*conds)) : NULL;
    char **origins = p->norigins ? calloc(p->norigins, sizeof(*origins)) : NULL;
    if ((p->nents && !ents) || (p->nconds && !conds) || (p->norigins && !origins)) {
        free(origins);
        return -ENOMEM;
    }
    for (size_t i = 0; i < p->norigins; i++)
        if (!(origins[i] = strdup(p->origins[i]))) {
            strv_free(origins, i);
            return -ENOMEM;
        }
    if (p->nents)
        memcpy(ents, p->ents, p->nents * sizeof(*ents));
    if (p->nconds)
        memcpy(conds, p->conds, p->nconds * sizeof(*conds));
    p->ents = TAKE_PTR(ents);
    p->conds = TAKE_PTR(conds);
    p->origins = origins;
    p->packed = false;
    return 0;
}

/* *pp in one allocation (struct, conditions, entries, origins and their texts), the old one
 * freed; left as it is when there is no memory for the copy (it stays right, only larger). */
static void pack(struct cprof **pp)
{
    struct cprof *p = *pp;
    if (p->packed)
        return;
    size_t at_conds = align8(sizeof(*p));
    size_t at_ents = at_conds + p->nconds * sizeof(*p->conds);
    size_t at_origins = align8(at_ents + p->nents * sizeof(*p->ents));
    size_t at_text = at_origins + p->norigins * sizeof(*p->origins);
    size_t size = at_text;
    for (size_t i = 0; i < p->norigins; i++)
        size += strlen(p->origins[i]) + 1;
    char *block = malloc(size);
    if (!block)
        return;
    struct cprof *q = (struct cprof *)block;
    *q = *p;
    q->packed = true;
    q->conds = p->nconds ? memcpy(block + at_conds, p->conds, p->nconds * sizeof(*p->conds)) : NULL;
    q->ents = p->nents ? memcpy(block + at_ents, p->ents, p->nents * sizeof(*p->ents)) : NULL;
    q->origins = p->norigins ? (char **)(block + at_origins) : NULL;
    char *t = block + at_text;
    for (size_t i = 0; i < p->norigins; i++) {
        size_t len = strlen(p->origins[i]) + 1;
        q->origins[i] = memcpy(t, p->origins[i], len);
        t += len;
    }
    cprof_free(p);
    *pp = q;
}

/* Appends origin text s (whether p has it or not): its index, or -ENOMEM. */
static int origin_append(struct cprof *p, const char *s)
{
    if (p->norigins >= UINT16_MAX)
        return 0; /* absurdly many: attribute to the first */
    if (unpack(p) < 0)
        return -ENOMEM;
    char **v = realloc(p->origins, (p->norigins + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    p->origins = v;
    if (!(v[p->norigins] = strdup(s)))
        return -ENOMEM;
    return (int)p->norigins++;
}

/* The index of origin text s in p->origins, adding it when new; -ENOMEM on failure. */
static int origin_add(struct cprof *p, const char *s)
{
    for (size_t i = 0; i < p->norigins; i++)
        if (strcmp(p->origins[i], s) == 0)
            return (int)i;
    return origin_append(p, s);
}

static int push_ent(struct cprof *p, size_t *cap, struct centry e)
{
    if (unpack(p) < 0)
        return -ENOMEM;
    if (p->nents == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct centry *v = realloc(p->ents, nc * sizeof(*v));
        if (!v)
            return -ENOMEM;
        p->ents = v;
        *cap = nc;
    }
    p->ents[p->nents++] = e;
    return 0;
}

static int push_cond(struct cprof *p, size_t *cap, const struct ccond *c)
{
    if (unpack(p) < 0)
        return -ENOMEM;
    if (p->nconds == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct ccond *v = realloc(p->conds, nc * sizeof(*v));
        if (!v)
            return -ENOMEM;
        p->conds = v;
        *cap = nc;
    }
    p->conds[p->nconds++] = *c;
    return 0;
}

static int cmp_ent(const void *a, const void *b)
{
    const struct centry *x = a, *y = b;
    return x->sys < y->sys ? -1 : x->sys > y->sys;
}

static int cmp_args(const struct ccond *x, const struct ccond *y)
{
    return sys_args_cmp(x->args, x->nargs, y->args, y->nargs);
}

static int cmp_cond(const void *a, const void *b)
{
    const struct ccond *x = a, *y = b;
    if (x->sys != y->sys)
        return x->sys < y->sys ? -1 : 1;
    return cmp_args(x, y);
}

static const struct centry *find_ent(const struct cprof *p, uint32_t sys)
{
    struct centry key = {.sys = sys};
    if (p->nents == 0) /* ents may be NULL: bsearch wants a real array */
        return NULL;
    return bsearch(&key, p->ents, p->nents, sizeof(*p->ents), cmp_ent);
}

/* The first conditional rule of sys (conds are sorted by sys), or NULL. */
static const struct ccond *first_cond(const struct cprof *p, uint32_t sys)
{
    size_t lo = 0, hi = p->nconds;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->conds[mid].sys < sys)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->nconds && p->conds[lo].sys == sys ? &p->conds[lo] : NULL;
}

static bool names_sys(const struct cprof *p, uint32_t sys)
{
    return find_ent(p, sys) || first_cond(p, sys);
}

bool profile_names(const struct cprof *p, uint32_t sys)
{
    return names_sys(p, sys);
}

const struct centry *profile_entry(const struct cprof *p, uint32_t sys)
{
    return find_ent(p, sys);
}

const struct ccond *profile_conds(const struct cprof *p, uint32_t sys, size_t *ret_n)
{
    const struct ccond *c = first_cond(p, sys);
    size_t n = 0;
    while (c && c + n < p->conds + p->nconds && c[n].sys == sys)
        n++;
    *ret_n = n;
    return c;
}

int profile_add_if_unnamed(struct cprof *p, uint32_t sys, struct verdict v, const char *origin)
{
    return profile_add_unnamed(p, &(struct cadd){sys, origin}, 1, v);
}

static void sort_ents(struct centry *e, size_t n);

int profile_add_unnamed(struct cprof *p, const struct cadd *adds, size_t n, struct verdict v)
{
    size_t fresh = 0;
    for (size_t i = 0; i < n; i++)
        fresh += !find_ent(p, adds[i].sys);
    if (!fresh)
        return 0;
    if (unpack(p) < 0)
        return -ENOMEM;
    struct centry *nv = realloc(p->ents, (p->nents + fresh) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    p->ents = nv;
    /* The new entries go after the sorted ones (which names_sys() still searches alone),
     * then the two runs are merged. */
    size_t old = p->nents, k = old;
    const char *last = NULL;
    int o = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = find_ent(p, adds[i].sys) != NULL;
        for (size_t j = old; j < k && !seen; j++)
            seen = p->ents[j].sys == adds[i].sys;
        if (seen)
            continue;
        if (!last || strcmp(last, adds[i].origin) != 0) {
            /* Not searched for among p's: a text there twice is the same origin. */
            if ((o = origin_append(p, adds[i].origin)) < 0)
                return o; /* p as it was, but for the origins added */
            last = adds[i].origin;
        }
        p->ents[k++] = (struct centry){adds[i].sys, v, (uint16_t)o};
    }
    if (k - old > 1)
        qsort(p->ents + old, k - old, sizeof(*p->ents), cmp_ent);
    p->nents = k;
    sort_ents(p->ents, p->nents);
    return (int)(k - old);
}

/* What p gives a syscall when no condition of it holds: e, its unconditional rule (NULL:
 * none), else p's default. */
static struct verdict entry_or_default(const struct cprof *p, const struct centry *e,
                                       uint16_t *ret_origin)
{
    if (ret_origin)
        *ret_origin = e ? e->origin : p->dflt_origin;
    return e ? e->v : p->dflt;
}

static struct verdict else_verdict(const struct cprof *p, uint32_t sys, uint16_t *ret_origin)
{
    return entry_or_default(p, find_ent(p, sys), ret_origin);
}

/* Sorts ents by sys, stably. Most arrays normalize() gets are already sorted (built in id
 * order) or two sorted runs (a parent's rules, then the child's), which glibc's qsort()
 * would sort again at full cost: those are checked, or merged, in one pass. */
static void sort_ents(struct centry *e, size_t n)
{
    size_t i = 1;
    while (i < n && e[i - 1].sys <= e[i].sys)
        i++;
    if (i >= n)
        return;
    size_t j = i + 1;
    while (j < n && e[j - 1].sys <= e[j].sys)
        j++;
    struct centry *tmp = j == n ? malloc(n * sizeof(*tmp)) : NULL;
    if (!tmp) { /* more than two runs, or no memory for the merge */
        qsort(e, n, sizeof(*e), cmp_ent);
        return;
    }
    size_t l = 0, r = i, k = 0;
    while (l < i && r < n)
        tmp[k++] = e[l].sys <= e[r].sys ? e[l++] : e[r++];
    while (l < i)
        tmp[k++] = e[l++];
    while (r < n)
        tmp[k++] = e[r++];
    memcpy(e, tmp, n * sizeof(*e));
    free(tmp);
}

/* Sorts conds by sys and conditions; already sorted ones are only checked. */
static void sort_conds(struct ccond *c, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (cmp_cond(&c[i - 1], &c[i]) > 0) {
            qsort(c, n, sizeof(*c), cmp_cond);
            return;
        }
}

/* Sorts ents (combining duplicates, the most restrictive wins) and conds. never_widen drops
 * conditional rules that are not more restrictive than the syscall's unconditional rule (one
 * policy's rules, 3.2); a merge's entries are the "else" of their conditions and keep them. */
static void normalize(struct cprof *p, bool never_widen)
{
    /* ents and conds may be NULL when empty: qsort wants a real array */
    if (p->nents > 1)
        sort_ents(p->ents, p->nents);
    size_t w = 0;
    for (size_t i = 0; i < p->nents; i++) {
        if (w > 0 && p->ents[w - 1].sys == p->ents[i].sys) {
            if (verdict_cmp(p->ents[i].v, p->ents[w - 1].v) > 0)
                p->ents[w - 1] = p->ents[i];
            continue;
        }
        p->ents[w++] = p->ents[i];
    }
    p->nents = w;
    if (p->nconds > 1)
        sort_conds(p->conds, p->nconds);
    w = 0;
    for (size_t i = 0; i < p->nconds; i++) {
        struct ccond *c = &p->conds[i];
        /* A conditional rule never widens an unconditional one. */
        const struct centry *e = never_widen ? find_ent(p, c->sys) : NULL;
        if (e && verdict_cmp(c->v, e->v) <= 0)
            continue;
        if (w > 0 && cmp_cond(&p->conds[w - 1], c) == 0) {
            if (verdict_cmp(c->v, p->conds[w - 1].v) > 0)
                p->conds[w - 1] = *c;
            continue;
        }
        p->conds[w++] = *c;
    }
    p->nconds = w;
}

/* "FILE:LINE: " for objects read from files, "" for objects from the API server. */
static const char *loc(const struct policy *p, int line, char *buf, size_t len)
{
    if (p->file && *p->file)
        snprintf(buf, len, "%s:%d: ", p->file, line);
    else
        buf[0] = '\0';
    return buf;
}

struct compile_ctx {
    const struct policy *p;
    struct sysdb *db;
    archmask_t arches;
    struct cprof *own; /* the policy's own rules */
    size_t ecap, ccap;
    struct compile_notes *notes;
    struct kerr *err;
    char id[300];
    char oid[320];  /* how origins name the policy: its id, "ceiling ID" for a guardrail */
    size_t dropped; /* syscalls dropped for not existing on the architectures */
};

/* Syscalls that do not exist on the policy's architectures named one warning each; the others
 * counted in one more (a policy of 262,144 such names logged as many lines at each edit). */
#define DROPPED_NAMED 5

static int add_own(struct compile_ctx *c, uint32_t sys, const struct block *b, int origin)
{
    if (b->nargs == 0)
        return push_ent(c->own, &c->ecap, (struct centry){sys, b->verdict, (uint16_t)origin});
    struct ccond cond = {
        .sys = sys, .v = b->verdict, .origin = (uint16_t)origin, .nargs = b->nargs};
    memcpy(cond.args, b->args, b->nargs * sizeof(cond.args[0]));
    return push_cond(c->own, &c->ccap, &cond);
}

struct group_add {
    struct compile_ctx *c;
    const struct block *b;
    int origin;
};

static int group_add_one(const char *name, void *userdata)
{
    struct group_add *g = userdata;
    uint32_t sys;
    if (sysdb_lookup(g->c->db, name, &sys) < 0)
        return 0; /* the group tables are checked against libseccomp by the tests */
    if (!(sysdb_arches(g->c->db, sys) & g->c->arches))
        return 0; /* groups name syscalls of every architecture: drop quietly */
    return add_own(g->c, sys, g->b, g->origin);
}

static int compile_block(struct compile_ctx *c, const struct block *b)
{
    const struct policy *p = c->p;
    char where[300];
    char origin_text[400];
    snprintf(origin_text, sizeof(origin_text), "%s %s", c->oid, b->path);
    int origin = origin_add(c->own, origin_text);
    if (origin < 0)
        return origin;
    /* A rule of nothing is most likely a list left empty by mistake. Not spec.seccomp: an
     * Allow policy of no syscalls is how one that allows nothing is written (a recording that
     * saw no named call writes it so), its default then Block (docs/policies.md). */
    if (b->nsyscalls == 0 && b->ngroups == 0 && strncmp(b->path, "spec.rules[", 11) == 0) {
        int r = strv_addf(&c->notes->warnings, &c->notes->nwarnings,
                          "%s%s %s: %s: no syscalls and no groups: it names no call",
                          loc(p, b->line, where, sizeof(where)), policy_kind_name(p->kind), c->id,
                          b->path);
        if (r < 0)
            return r;
    }
    /* Two readings of such a condition disagree: as written, no call matches it (its rule
     * would be left out: a Kill gone without a word); libseccomp, which the runtime uses,
     * compares the masked bits only, and matches calls. Which one was meant is not known. */
    for (size_t k = 0; k < b->nargs; k++) {
        const struct sys_arg *a = &b->args[k];
        if (a->op == OP_MASKED_EQ && (a->value_two & ~a->value))
            return kerr_set(c->err, -EINVAL,
                            "%s%s %s: %s.args[%zu]: MASKED_EQ: valueTwo 0x%llx has bits outside "
                            "the mask (value 0x%llx): as written no call matches it, while "
                            "libseccomp would compare the masked bits only (0x%llx); write a "
                            "valueTwo within the mask",
                            loc(p, b->line, where, sizeof(where)), policy_kind_name(p->kind), c->id,
                            b->path, k, (unsigned long long)a->value_two,
                            (unsigned long long)a->value,
                            (unsigned long long)(a->value_two & a->value));
    }
    for (size_t i = 0; i < b->nsyscalls; i++) {
        const struct name_ref *n = &b->syscalls[i];
        uint32_t sys;
        int r = sysdb_lookup(c->db, n->name, &sys);
        if (r == -ENOENT) {
            const char *near = sysdb_nearest(c->db, n->name);
            return kerr_set(
                c->err, -EINVAL, "%s%s %s: %s.syscalls[%zu]: unknown syscall \"%s\"%s%s%s",
                loc(p, n->line, where, sizeof(where)), policy_kind_name(p->kind), c->id, b->path, i,
                n->name, near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
        }
        if (r < 0)
            return r;
        if (!(sysdb_arches(c->db, sys) & c->arches)) {
            char names[128];
            if (c->dropped++ >= DROPPED_NAMED)
                continue;
            r = strv_addf(&c->notes->warnings, &c->notes->nwarnings,
                          "%s%s %s: %s.syscalls[%zu]: syscall \"%s\" does not exist on %s: "
                          "dropped",
                          loc(p, n->line, where, sizeof(where)), policy_kind_name(p->kind), c->id,
                          b->path, i, n->name, arch_mask_names(c->arches, names, sizeof(names)));
            if (r < 0)
                return r;
            continue;
        }
        if ((r = add_own(c, sys, b, origin)) < 0)
            return r;
    }
    for (size_t i = 0; i < b->ngroups; i++) {
        const struct name_ref *n = &b->groups[i];
        const struct syscall_group *g = groups_lookup(n->name);
        if (!g)
            return kerr_set(c->err, -EINVAL,
                            "%s%s %s: %s.groups[%zu]: unknown group \"%s\" (see kscmp groups)",
                            loc(p, n->line, where, sizeof(where)), policy_kind_name(p->kind), c->id,
                            b->path, i, n->name);
        struct group_add ga = {c, b, origin};
        int r = groups_expand(g, group_add_one, &ga);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Copies entry e of src into dst with its origin text. */
static int import_origin(struct cprof *dst, const struct cprof *src, uint16_t origin)
{
    return origin_add(dst, origin < src->norigins ? src->origins[origin] : "?");
}

/* import_origin() remembering, in memo (src->norigins entries, zeroed before the first
 * call; NULL: none), where each origin of src went: a profile's hundreds of rules share a few
 * origins, each searched for once. */
static int import_origin_memo(struct cprof *dst, const struct cprof *src, uint16_t origin,
                              int32_t *memo)
{
    if (!memo || origin >= src->norigins)
        return import_origin(dst, src, origin);
    if (memo[origin] > 0)
        return memo[origin] - 1;
    int r = import_origin(dst, src, origin);
    if (r >= 0)
        memo[origin] = r + 1;
    return r;
}

/* A memo for import_origin_memo() of src, or NULL (then it searches each time). */
static int32_t *origin_memo(const struct cprof *src)
{
    return src->norigins ? calloc(src->norigins, sizeof(int32_t)) : NULL;
}

static bool arg_holds(const struct sys_arg *a, uint64_t v);
static bool arg_interval(const struct sys_arg *a, uint64_t *lo, uint64_t *hi);
static bool cond_within(const struct ccond *a, const struct ccond *b);

/* Whether some call may match both conditional rules (true when unsure): false only when, on
 * one argument both compare, no value holds for both. */
static bool conds_may_meet(const struct ccond *a, const struct ccond *b)
{
    for (size_t i = 0; i < a->nargs; i++)
        for (size_t k = 0; k < b->nargs; k++) {
            const struct sys_arg *x = &a->args[i], *y = &b->args[k];
            if (x->index != y->index)
                continue;
            if ((x->op == OP_EQ && !arg_holds(y, x->value)) ||
                (y->op == OP_EQ && !arg_holds(x, y->value)))
                return false;
            uint64_t xl, xh, yl, yh;
            if (arg_interval(x, &xl, &xh) && arg_interval(y, &yl, &yh) &&
                (xl > xh || yl > yh || xh < yl || yh < xl))
                return false;
        }
    return true;
}

/* Whether the child's rules of sys (own's, which replace the parent's), with else_v where none
 * of its conditions holds and uncond set when else_v is an unconditional rule (a conditional
 * rule never widens one: one looser than it is left out), give the calls that conditional
 * rule x of the parent matches something less restrictive than x does. True when unsure (a
 * conflict is told, never hidden). */
static bool loosens_cond(const struct cprof *own, uint32_t sys, struct verdict else_v, bool uncond,
                         const struct ccond *x)
{
    const struct ccond *end = own->nconds ? own->conds + own->nconds : NULL; /* conds may be NULL */
    /* Every call x matches, a rule of the child as strict matches too: where conditions
     * overlap, the stricter is what the profile gives (profile_lower()). */
    for (const struct ccond *cc = first_cond(own, sys); cc && cc < end && cc->sys == sys; cc++)
        if (verdict_cmp(cc->v, x->v) >= 0 && cond_within(x, cc))
            return false;
    if (verdict_cmp(else_v, x->v) < 0)
        return true;
    for (const struct ccond *cc = first_cond(own, sys); cc && cc < end && cc->sys == sys; cc++)
        if (verdict_cmp(cc->v, x->v) < 0 && !(uncond && verdict_cmp(cc->v, else_v) < 0) &&
            conds_may_meet(cc, x))
            return true;
    return false;
}

int profile_compile(const struct policy *p, const struct cprof *parent, archmask_t node_arches,
                    struct sysdb *db, struct cprof **ret, struct compile_notes *notes,
                    struct kerr *err)
{
    _cleanup_(cprof_freep) struct cprof *own = calloc(1, sizeof(*own));
    _cleanup_(cprof_freep) struct cprof *out = calloc(1, sizeof(*out));
    if (!own || !out)
        return -ENOMEM;
    struct compile_ctx c = {.p = p, .db = db, .own = own, .notes = notes, .err = err};
    policy_id(p, c.id, sizeof(c.id));
    snprintf(c.oid, sizeof(c.oid), "%s%s", p->ceiling ? "ceiling " : "", c.id);
    out->ceiling = p->ceiling;

    archmask_t own_arches = 0;
    const char *arch_path = NULL;
    bool any_allow = false;
    for (size_t i = 0; i < p->nblocks; i++) {
        if (p->blocks[i].arches && !arch_path)
            arch_path = p->blocks[i].path;
        own_arches |= p->blocks[i].arches;
        any_allow |= p->blocks[i].verdict.action == ACT_ALLOW;
    }
    c.arches = own_arches ? own_arches : parent ? parent->arches : node_arches;
    out->arches = c.arches;
    /* arch on one block is the whole profile's (3.1): a block without arch does not keep the
     * architectures it would have had, and leaving one out blocks it. Said, since a rule "for
     * x86 only" reads as scoped to its block. */
    archmask_t fallback = parent ? parent->arches : node_arches, lost = fallback & ~own_arches;
    for (size_t i = 0; own_arches && lost && i < p->nblocks; i++) {
        if (p->blocks[i].arches)
            continue;
        const struct block *ab = NULL;
        for (size_t k = 0; k < p->nblocks && !ab; k++)
            if (p->blocks[k].arches)
                ab = &p->blocks[k];
        char where[300], names[128], kept[128];
        if (strv_addf(&notes->warnings, &notes->nwarnings,
                      "%s%s %s: %s.arch: the architectures of the whole policy, not of this block "
                      "alone: %s without arch gets %s too, and %s %s left out (the runtime kills a "
                      "call through an architecture a profile leaves out); to keep them, list "
                      "them in arch",
                      loc(p, ab->line, where, sizeof(where)), policy_kind_name(p->kind), c.id,
                      ab->path, p->blocks[i].path, arch_mask_names(own_arches, kept, sizeof(kept)),
                      arch_mask_names(lost, names, sizeof(names)),
                      (lost & (lost - 1)) ? "are" : "is") < 0)
            return -ENOMEM;
        break;
    }

    /* 3.1: the architectures, and where they come from. */
    char text[400];
    int o;
    if (own_arches) {
        snprintf(text, sizeof(text), "%s %s.arch", c.oid, arch_path);
        o = origin_add(out, text);
    } else if (parent) {
        o = import_origin(out, parent, parent->arch_origin);
    } else {
        snprintf(text, sizeof(text), "%s (no arch: the node's)", c.oid);
        o = origin_add(out, text);
    }
    if (o < 0)
        return o;
    out->arch_origin = (uint16_t)o;

    /* 3.1: the default action. */
    if (p->has_default) {
        out->dflt = p->default_verdict;
        snprintf(text, sizeof(text), "%s spec.defaultAction", c.oid);
        o = origin_add(out, text);
    } else if (parent) {
        out->dflt = parent->dflt;
        o = import_origin(out, parent, parent->dflt_origin);
    } else {
        out->dflt = VERDICT(any_allow ? ACT_ERRNO : ACT_ALLOW);
        snprintf(text, sizeof(text), "%s (default of a%s)", c.oid,
                 any_allow ? "n allow-list" : " block-list");
        o = origin_add(out, text);
    }
    if (o < 0)
        return o;
    out->dflt_origin = (uint16_t)o;

    for (size_t i = 0; i < p->nblocks; i++) {
        int r = compile_block(&c, &p->blocks[i]);
        if (r < 0)
            return r;
    }
    if (c.dropped > DROPPED_NAMED) {
        char where[300], names[128];
        if (strv_addf(&notes->warnings, &notes->nwarnings,
                      "%s%s %s: %zu more syscalls that do not exist on %s: dropped (the first %d "
                      "are named above)",
                      loc(p, p->line, where, sizeof(where)), policy_kind_name(p->kind), c.id,
                      c.dropped - DROPPED_NAMED, arch_mask_names(c.arches, names, sizeof(names)),
                      DROPPED_NAMED) < 0)
            return -ENOMEM;
    }
    normalize(own, true);

    size_t ecap = 0, ccap = 0;
    _cleanup_free_ int32_t *pmemo = parent ? origin_memo(parent) : NULL;
    _cleanup_free_ int32_t *omemo = origin_memo(own);
    if (parent) {
        /* 3.3: start from the parent; the child's rules replace the parent's for the
         * syscalls they name. A child that names a syscall only with conditions replaces the
         * parent's conditions; the parent's unconditional rule stays what applies when none
         * of the child's conditions holds (else the default would: wider than either wrote). */
        for (size_t i = 0; i < parent->nents; i++) {
            const struct centry *e = &parent->ents[i];
            if (find_ent(own, e->sys))
                continue;
            int r = import_origin_memo(out, parent, e->origin, pmemo);
            if (r < 0 || push_ent(out, &ecap, (struct centry){e->sys, e->v, (uint16_t)r}) < 0)
                return -ENOMEM;
        }
        for (size_t i = 0; i < parent->nconds; i++) {
            struct ccond cc = parent->conds[i];
            if (names_sys(own, cc.sys))
                continue;
            int r = import_origin_memo(out, parent, cc.origin, pmemo);
            if (r < 0)
                return -ENOMEM;
            cc.origin = (uint16_t)r;
            if (push_cond(out, &ccap, &cc) < 0)
                return -ENOMEM;
        }
        /* Conflicts: the child loosens what the parent names explicitly. */
        uint32_t last = UINT32_MAX;
        size_t shadowed = 0; /* syscalls whose looser conditional rules change nothing */
        const char *first_shadowed = NULL;
        for (size_t k = 0; k < own->nents + own->nconds; k++) {
            uint32_t sys = k < own->nents ? own->ents[k].sys : own->conds[k - own->nents].sys;
            if (sys == last || !names_sys(parent, sys))
                continue;
            last = sys;
            struct verdict pe = else_verdict(parent, sys, NULL);
            const struct centry *oe = find_ent(own, sys);
            bool kept_else = !oe;
            if (!oe)
                oe = find_ent(parent, sys); /* kept as the else of the child's conditions */
            kept_else &= oe != NULL;
            bool loosen = verdict_cmp(oe ? oe->v : out->dflt, pe) < 0, shadows = false;
            for (const struct ccond *cc = first_cond(own, sys);
                 cc && cc < own->conds + own->nconds && cc->sys == sys; cc++) {
                /* Looser than the parent's unconditional rule it keeps: a conditional rule
                 * never widens an unconditional one, so it changes nothing. */
                shadows |= kept_else && verdict_cmp(cc->v, oe->v) < 0;
                /* Against what the parent gives under the same condition. */
                struct verdict pv = pe;
                for (const struct ccond *x = first_cond(parent, sys);
                     x && x < parent->conds + parent->nconds && x->sys == sys; x++)
                    if (cmp_args(x, cc) == 0)
                        pv = x->v;
                loosen |= verdict_cmp(cc->v, pv) < 0;
            }
            /* The parent's conditional rules of sys go: where one held, what the child gives
             * must be as strict (the parent kills kill(pid, 9), the child blocks kill). */
            for (const struct ccond *x = first_cond(parent, sys);
                 !loosen && x && x < parent->conds + parent->nconds && x->sys == sys; x++)
                loosen = loosens_cond(own, sys, oe ? oe->v : out->dflt, oe != NULL, x);
            if (shadows && (!shadowed++ || strcmp(sysdb_name(db, sys), first_shadowed) < 0))
                first_shadowed = sysdb_name(db, sys); /* by name: every node says the same */
            bool seen = false;
            for (size_t j = 0; j < notes->nconflicts; j++)
                seen |= strcmp(notes->conflicts[j], sysdb_name(db, sys)) == 0;
            if (loosen && !seen &&
                strv_addf(&notes->conflicts, &notes->nconflicts, "%s", sysdb_name(db, sys)) < 0)
                return -ENOMEM;
        }
        char at[300];
        if (shadowed &&
            strv_addf(&notes->warnings, &notes->nwarnings,
                      "%s%s %s: a conditional rule of %s%s is looser than the action %s gives "
                      "it without conditions, which stays: a conditional rule never widens an "
                      "unconditional one, so it changes nothing (to replace the parent's rule, "
                      "give the syscall an action without conditions too)",
                      loc(p, p->line, at, sizeof(at)), policy_kind_name(p->kind), c.id,
                      first_shadowed, shadowed > 1 ? " (and of more syscalls)" : "",
                      p->extends ? p->extends : "its parent") < 0)
            return -ENOMEM;
        if (p->has_default && verdict_cmp(p->default_verdict, parent->dflt) < 0 &&
            strv_addf(&notes->conflicts, &notes->nconflicts, "defaultAction") < 0)
            return -ENOMEM;
        /* An allow-list under a block-list parent: its default is the parent's Allow (3.1),
         * so allowing a syscall the parent does not name changes nothing. Almost surely not
         * what was meant (a policy of its own would be an allow-list). */
        if (any_allow && !p->has_default && out->dflt.action == ACT_ALLOW) {
            size_t idle = 0;
            const char *first = NULL;
            /* The first by name: ids depend on the order a node met the names, and every node
             * must say the same. */
            for (size_t i = 0; i < own->nents; i++)
                if (own->ents[i].v.action == ACT_ALLOW && !names_sys(parent, own->ents[i].sys)) {
                    const char *n = sysdb_name(db, own->ents[i].sys);
                    if (!idle++ || strcmp(n, first) < 0)
                        first = n;
                }
            const char *path = "spec";
            int line = p->line;
            for (size_t i = 0; i < p->nblocks; i++)
                if (p->blocks[i].verdict.action == ACT_ALLOW) {
                    path = p->blocks[i].path;
                    line = p->blocks[i].line;
                    break;
                }
            char where[300], more[48] = "";
            if (idle > 1)
                snprintf(more, sizeof(more), " (and %zu more)", idle - 1);
            if (idle &&
                strv_addf(&notes->warnings, &notes->nwarnings,
                          "%s%s %s: %s: Allow under the default Allow it inherits from "
                          "%s: allowing %s%s that the parent does not name changes nothing "
                          "(for an allow-list, set defaultAction: Block or Kill)",
                          loc(p, line, where, sizeof(where)), policy_kind_name(p->kind), c.id, path,
                          p->extends ? p->extends : "its parent", first, more) < 0)
                return -ENOMEM;
        }
        /* Listing an architecture the parent leaves out loosens it too (3.1: leaving one out
         * blocks it). */
        for (size_t i = 0; i < arch_count(); i++)
            if ((own_arches & ~parent->arches) & (1u << i) &&
                strv_addf(&notes->conflicts, &notes->nconflicts, "arch:%s", arch_get(i)->name) < 0)
                return -ENOMEM;
    }
    for (size_t i = 0; i < own->nents; i++) {
        struct centry e = own->ents[i];
        int r = import_origin_memo(out, own, e.origin, omemo);
        if (r < 0)
            return r;
        e.origin = (uint16_t)r;
        if (push_ent(out, &ecap, e) < 0)
            return -ENOMEM;
    }
    for (size_t i = 0; i < own->nconds; i++) {
        struct ccond cc = own->conds[i];
        int r = import_origin_memo(out, own, cc.origin, omemo);
        if (r < 0)
            return r;
        cc.origin = (uint16_t)r;
        if (push_cond(out, &ccap, &cc) < 0)
            return -ENOMEM;
    }
    normalize(out, true);
    /* By name: syscall ids depend on the order a node met the names, and every node must give
     * the same status (docs/agent.md). */
    if (notes->nconflicts > 1)
        qsort(notes->conflicts, notes->nconflicts, sizeof(*notes->conflicts), cmp_strp);
    /* Kept as long as the policy (one per policy, 10,000 policies): one block. */
    pack(&out);
    *ret = TAKE_PTR(out);
    return 0;
}

int profile_runtime_default(struct sysdb *db, archmask_t node_arches, struct cprof **ret)
{
    _cleanup_(cprof_freep) struct cprof *out = calloc(1, sizeof(*out));
    if (!out)
        return -ENOMEM;
    int o = origin_add(out, "runtime/default");
    if (o < 0)
        return o;
    out->arch_origin = (uint16_t)o;
    out->dflt = runtime_default_default_action();
    out->arches = node_arches;
    size_t n, ecap = 0, ccap = 0;
    const struct runtime_default_rule *rules = runtime_default_rules(&n);
    for (size_t i = 0; i < n; i++) {
        const struct runtime_default_rule *rr = &rules[i];
        struct verdict v = {.action = rr->action,
                            .errno_ret =
                                rr->action == ACT_ERRNO ? (rr->errno_ret ? rr->errno_ret : 1) : 0};
        for (const char *const *nm = rr->names; *nm; nm++) {
            uint32_t sys;
            if (sysdb_lookup(db, *nm, &sys) < 0 || !(sysdb_arches(db, sys) & node_arches))
                continue;
            int r;
            if (rr->nargs == 0)
                r = push_ent(out, &ecap, (struct centry){sys, v, (uint16_t)o});
            else {
                struct ccond cc = {.sys = sys, .v = v, .origin = (uint16_t)o, .nargs = rr->nargs};
                memcpy(cc.args, rr->args, rr->nargs * sizeof(cc.args[0]));
                r = push_cond(out, &ccap, &cc);
            }
            if (r < 0)
                return r;
        }
    }
    normalize(out, true);
    *ret = TAKE_PTR(out);
    return 0;
}

/* True when profile p has a say on sys in this merge; names: whether p has a rule for it. */
static bool say_of(const struct cprof *p, uint32_t sys, bool names, const struct merge_opts *o)
{
    if (o->intersect || names)
        return true;
    return p->ceiling && !(o->ceiling_exempt && o->ceiling_exempt(sys, o->userdata));
}

/* Whether p's default speaks for sys outside p's conditions on it (ent: p's unconditional rule
 * for sys, or NULL): not a ceiling's for a start-up syscall it gives no unconditional rule,
 * since a ceiling counts for those only where it names them (3.5-3.6). */
static bool default_speaks(const struct cprof *p, uint32_t sys, const struct centry *ent,
                           const struct merge_opts *o)
{
    return ent || !p->ceiling || !o->ceiling_exempt || !o->ceiling_exempt(sys, o->userdata);
}

/* say_of() looking up whether p names sys. */
static bool has_say(const struct cprof *p, uint32_t sys, const struct merge_opts *o)
{
    return say_of(p, sys, names_sys(p, sys), o);
}

/* The merged architectures (those every input has) and the text of where they come from. */
static int merge_arches(const struct cprof *const *in, size_t n, struct cprof *out)
{
    archmask_t common = ~(archmask_t)0;
    bool same = true;
    for (size_t i = 0; i < n; i++) {
        common &= in[i]->arches;
        same &= in[i]->arches == in[0]->arches;
    }
    out->arches = common;
    if (same) {
        int o = import_origin(out, in[0], in[0]->arch_origin);
        if (o < 0)
            return o;
        out->arch_origin = (uint16_t)o;
        return 0;
    }
    /* "common to: A (x86_64); B (x86_64, x86, x32)", each origin once, the first few. */
    char *buf = NULL;
    size_t len = 0, shown = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    fputs("common to:", f);
    for (size_t i = 0; i < n; i++) {
        const char *t =
            in[i]->arch_origin < in[i]->norigins ? in[i]->origins[in[i]->arch_origin] : "?";
        bool dup = false;
        for (size_t k = 0; k < i && !dup; k++)
            dup = in[k]->arches == in[i]->arches && in[k]->arch_origin < in[k]->norigins &&
                  strcmp(in[k]->origins[in[k]->arch_origin], t) == 0;
        if (dup)
            continue;
        if (shown++ == 4) {
            fputs(" ...", f);
            break;
        }
        char names[128];
        fprintf(f, "%s %s (%s)", shown > 1 ? ";" : "", t,
                arch_mask_names(in[i]->arches, names, sizeof(names)));
    }
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    int o = origin_add(out, buf);
    free(buf);
    if (o < 0)
        return o;
    out->arch_origin = (uint16_t)o;
    return 0;
}

/* After a merge: drops the conditional rules that say what the syscall's unconditional rule
 * says, where they change nothing. Not where another conditional rule of the syscall is looser
 * than that rule: each merged conditional rule took the others' unconditional rules but not
 * their overlapping conditional ones, so a stricter one that overlaps a looser one must stay
 * for profile_lower() to see the overlap (deny wins there). Nor where the syscall has no
 * unconditional rule (profile_merge_opts): the start-up set may give it one later, which must
 * not swallow them. */
static void drop_redundant_conds(struct cprof *p)
{
    size_t w = 0;
    for (size_t i = 0; i < p->nconds;) {
        uint32_t sys = p->conds[i].sys;
        size_t end = i;
        while (end < p->nconds && p->conds[end].sys == sys)
            end++;
        const struct centry *e = find_ent(p, sys);
        bool looser = false;
        for (size_t k = i; e && k < end; k++)
            looser |= verdict_cmp(p->conds[k].v, e->v) < 0;
        for (size_t k = i; k < end; k++)
            if (!e || looser || !verdict_eq(p->conds[k].v, e->v))
                p->conds[w++] = p->conds[k];
        i = end;
    }
    p->nconds = w;
}

int profile_merge(const struct cprof *const *in, size_t n, bool intersect, struct cprof **ret)
{
    struct merge_opts o = {.intersect = intersect};
    return profile_merge_opts(in, n, &o, ret);
}

int profile_merge_opts(const struct cprof *const *in, size_t n, const struct merge_opts *opts,
                       struct cprof **ret)
{
    _cleanup_(cprof_freep) struct cprof *out = calloc(1, sizeof(*out));
    if (!out)
        return -ENOMEM;
    if (n == 0) {
        *ret = TAKE_PTR(out);
        return -EINVAL;
    }
    uint32_t maxid = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i]->nents && in[i]->ents[in[i]->nents - 1].sys + 1 > maxid)
            maxid = in[i]->ents[in[i]->nents - 1].sys + 1;
        if (in[i]->nconds && in[i]->conds[in[i]->nconds - 1].sys + 1 > maxid)
            maxid = in[i]->conds[in[i]->nconds - 1].sys + 1;
    }
    struct slot {
        bool named;
        bool open;    /* no unconditional rule: outside its conditions s is named by none */
        bool by_rule; /* v's origin is a rule that names s, not a default */
        struct verdict v;
        uint16_t from; /* input index */
        uint16_t origin;
    };
    _cleanup_free_ struct slot *slots = calloc(maxid ? maxid : 1, sizeof(*slots));
    if (!slots)
        return -ENOMEM;

    /* The merged default: the most restrictive; the architectures: those all have. */
    size_t dfrom = 0;
    for (size_t i = 0; i < n; i++)
        if (verdict_cmp(in[i]->dflt, in[dfrom]->dflt) > 0)
            dfrom = i;
    out->dflt = in[dfrom]->dflt;
    int o = import_origin(out, in[dfrom], in[dfrom]->dflt_origin);
    if (o < 0)
        return o;
    out->dflt_origin = (uint16_t)o;
    if ((o = merge_arches(in, n, out)) < 0)
        return o;

    /* Which syscalls are named at all. */
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < in[i]->nents; k++)
            slots[in[i]->ents[k].sys].named = true;
        for (size_t k = 0; k < in[i]->nconds; k++)
            slots[in[i]->conds[k].sys].named = true;
    }
    /* E(s): the most restrictive of what each profile with a say gives s unconditionally.
     * Each input's rules are sorted by id, so one cursor per input walks them along s
     * (say_of() and entry_or_default(), without a search each). */
    _cleanup_free_ size_t *cur = calloc(2 * n, sizeof(*cur));
    if (!cur)
        return -ENOMEM;
    for (uint32_t s = 0; s < maxid; s++) {
        if (!slots[s].named)
            continue;
        bool first = true, any_entry = false;
        for (size_t i = 0; i < n; i++) {
            const struct cprof *p = in[i];
            size_t *e = &cur[2 * i], *c = &cur[2 * i + 1];
            while (*e < p->nents && p->ents[*e].sys < s)
                (*e)++;
            while (*c < p->nconds && p->conds[*c].sys < s)
                (*c)++;
            const struct centry *ent = *e < p->nents && p->ents[*e].sys == s ? &p->ents[*e] : NULL;
            bool names = ent || (*c < p->nconds && p->conds[*c].sys == s);
            if (!say_of(p, s, names, opts) || !default_speaks(p, s, ent, opts))
                continue;
            uint16_t origin;
            struct verdict v = entry_or_default(p, ent, &origin);
            int cmp = first ? 1 : verdict_cmp(v, slots[s].v);
            /* On a tie, a rule that names s is where its action comes from, rather than a
             * default that agrees (a ceiling's Allow beside an allow-list's Allow). */
            if (cmp > 0 || (cmp == 0 && ent && !slots[s].by_rule)) {
                slots[s].v = v;
                slots[s].from = (uint16_t)i;
                slots[s].origin = origin;
                slots[s].by_rule = ent != NULL;
            }
            first = false;
            any_entry |= ent != NULL;
        }
        /* No policy gives s an unconditional rule: those with a say spoke through their
         * defaults (s named only in conditions, or a ceiling's default). When those are
         * looser than the merged default (a block-list that blocks s under a condition, its
         * default Allow, beside an allow-list that leaves s out), s is named by none outside
         * the conditions: it gets no unconditional rule, so the merged default applies there
         * (or the start-up set, which fills what no policy names: startup_apply_set()). A
         * deny-only policy must not open s for every other call. */
        if (!any_entry && (first || verdict_cmp(out->dflt, slots[s].v) > 0)) {
            slots[s].v = out->dflt;
            slots[s].open = true;
        }
    }
    /* One import_origin_memo() memo per input, in one block (NULL: a search each time). */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += in[i]->norigins;
    _cleanup_free_ int32_t *memo_block = total ? calloc(total, sizeof(int32_t)) : NULL;
    _cleanup_free_ int32_t **memo = memo_block ? calloc(n, sizeof(*memo)) : NULL;
    for (size_t i = 0, at = 0; memo && i < n; at += in[i]->norigins, i++)
        memo[i] = memo_block + at;
    size_t ecap = 0, ccap = 0;
    for (uint32_t s = 0; s < maxid; s++) {
        if (!slots[s].named || slots[s].open)
            continue;
        size_t from = slots[s].from;
        int r = import_origin_memo(out, in[from], slots[s].origin, memo ? memo[from] : NULL);
        if (r < 0 || push_ent(out, &ecap, (struct centry){s, slots[s].v, (uint16_t)r}) < 0)
            return -ENOMEM;
    }
    /* Conditional rules: each keeps the most restrictive action the others give under the
     * same condition (their identical conditional rule, else their unconditional action). */
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < in[i]->nconds; k++) {
            struct ccond cc = in[i]->conds[k];
            size_t from = i;
            uint16_t origin = cc.origin;
            for (size_t j = 0; j < n; j++) {
                if (j == i || !has_say(in[j], cc.sys, opts))
                    continue;
                const struct ccond *same = NULL;
                for (const struct ccond *x = first_cond(in[j], cc.sys);
                     x && x < in[j]->conds + in[j]->nconds && x->sys == cc.sys; x++)
                    if (cmp_args(x, &cc) == 0)
                        same = x;
                if (!same && !default_speaks(in[j], cc.sys, find_ent(in[j], cc.sys), opts))
                    continue;
                uint16_t jo;
                struct verdict v = same ? same->v : else_verdict(in[j], cc.sys, &jo);
                if (same)
                    jo = same->origin;
                if (verdict_cmp(v, cc.v) > 0) {
                    cc.v = v;
                    from = j;
                    origin = jo;
                }
            }
            int r = import_origin_memo(out, in[from], origin, memo ? memo[from] : NULL);
            if (r < 0)
                return r;
            cc.origin = (uint16_t)r;
            if (push_cond(out, &ccap, &cc) < 0)
                return -ENOMEM;
        }
    }
    normalize(out, false);
    drop_redundant_conds(out);
    *ret = TAKE_PTR(out);
    return 0;
}

/* ---- lowering: what a runtime can enforce ----
 *
 * libseccomp (as runc and crun drive it) does not evaluate a syscall's rules as "the most
 * restrictive that matches": an unconditional rule silently swallows the conditional rules of
 * the same syscall, and when two conditional rules with different actions both match, the
 * winner depends on the layout of the filter. So each syscall is rendered either as one
 * unconditional rule, or as conditional rules only, which then share one action or are
 * disjoint. Where the merged meaning cannot be written so, the stricter choice is made: the
 * profile may deny a little more than owed, never less. */

/* Whether no value satisfies both comparisons a and b of one argument (false when unsure):
 * two intervals (EQ, LT, LE, GT, GE) that do not meet; two MASKED_EQ that want another value
 * of a bit both masks hold; EQ x against a MASKED_EQ x does not match, or against NE x. */
static bool args_disjoint(const struct sys_arg *a, const struct sys_arg *b)
{
    if (a->index != b->index)
        return false;
    uint64_t al, ah, bl, bh;
    if (arg_interval(a, &al, &ah) && arg_interval(b, &bl, &bh))
        return al > ah || bl > bh || ah < bl || bh < al;
    if (a->op == OP_MASKED_EQ && b->op == OP_MASKED_EQ)
        return ((a->value_two ^ b->value_two) & a->value & b->value) != 0;
    if (b->op == OP_EQ) {
        const struct sys_arg *t = a;
        a = b;
        b = t;
    }
    if (a->op == OP_EQ && (b->op == OP_MASKED_EQ || b->op == OP_NE))
        return !arg_holds(b, a->value);
    return false;
}

/* Whether no call matches both conditional rules x and y: one argument they both compare
 * where their comparisons cannot both hold. */
static bool conds_pair_disjoint(const struct ccond *x, const struct ccond *y)
{
    for (size_t i = 0; i < x->nargs; i++)
        for (size_t k = 0; k < y->nargs; k++)
            if (args_disjoint(&x->args[i], &y->args[k]))
                return true;
    return false;
}

/* Whether the conditions of one syscall with different actions never match one call: then
 * the order libseccomp lays them out in cannot matter, and each keeps its own action. */
static bool conds_disjoint(const struct ccond *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            if (!verdict_eq(c[i].v, c[k].v) && !conds_pair_disjoint(&c[i], &c[k]))
                return false;
    return true;
}

/* The complement of a one-argument condition, when seccomp can say it in one comparison. */
static bool complement(const struct ccond *c, struct sys_arg *ret)
{
    if (c->nargs != 1)
        return false;
    *ret = c->args[0];
    switch (c->args[0].op) {
    case OP_EQ:
        ret->op = OP_NE;
        return true;
    case OP_NE:
        ret->op = OP_EQ;
        return true;
    case OP_LT:
        ret->op = OP_GE;
        return true;
    case OP_GE:
        ret->op = OP_LT;
        return true;
    case OP_LE:
        ret->op = OP_GT;
        return true;
    case OP_GT:
        ret->op = OP_LE;
        return true;
    default:
        return false; /* no MASKED_NE */
    }
}

/* The calls conditional rule c does not match, as rules of one comparison each whose union they
 * are: a call fails c when it fails one of its comparisons, and a comparison fails where its
 * complement() holds, or, for a MASKED_EQ (mask m, value v), where one bit b of m differs from
 * v's: MASKED_EQ (b, ~v & b). Comparisons no value fails (GE 0) give none. At most max pieces
 * into out (*n of them); false when more would be needed. */
#define COMPLEMENT_PIECES 8 /* rules a condition's complement may take (Docker's clone mask: 7) */
static bool complement_pieces(const struct ccond *c, struct sys_arg *out, size_t max, size_t *n)
{
    *n = 0;
    for (size_t k = 0; k < c->nargs; k++) {
        const struct sys_arg *a = &c->args[k];
        struct sys_arg comp;
        uint64_t lo, hi;
        if (a->op == OP_MASKED_EQ) {
            for (unsigned bit = 0; bit < 64; bit++) {
                uint64_t b = UINT64_C(1) << bit;
                if (!(a->value & b))
                    continue;
                if (*n == max)
                    return false;
                out[(*n)++] = (struct sys_arg){.index = a->index,
                                               .op = OP_MASKED_EQ,
                                               .value = b,
                                               .value_two = ~a->value_two & b};
            }
        } else if (complement(&(struct ccond){.nargs = 1, .args = {*a}}, &comp)) {
            if (arg_interval(&comp, &lo, &hi) && lo > hi)
                continue; /* a comparison every value passes */
            if (*n == max)
                return false;
            out[(*n)++] = comp;
        } else {
            return false;
        }
    }
    return true;
}

/* Whether conditional rule c can never hold: a comparison no value passes, or a MASKED_EQ whose
 * value (valueTwo) has bits outside its mask. libseccomp compares the masked bits only ((arg &
 * mask) == (value & mask)), so rendered as it is, such a rule would match calls it never
 * should. */
static bool cond_never_holds(const struct ccond *c)
{
    for (size_t k = 0; k < c->nargs; k++) {
        uint64_t lo, hi;
        if (c->args[k].op == OP_MASKED_EQ && (c->args[k].value_two & ~c->args[k].value))
            return true;
        /* LT 0, GT 2^64-1: no value (left out too: disjoint from every rule, they would keep
         * their action beside the others' and mean nothing). */
        if (arg_interval(&c->args[k], &lo, &hi) && lo > hi)
            return true;
    }
    return false;
}

/* One interval of an argument's values, [lo, hi]. */
struct span {
    uint64_t lo, hi;
};

/* Inserts [lo, hi] into the n spans of s, kept in order of their starts (s has room for n + 1;
 * the callers bound n to 64, so insertion is the simplest sort). */
static void span_insert(struct span *s, size_t n, uint64_t lo, uint64_t hi)
{
    while (n && s[n - 1].lo > lo) {
        s[n] = s[n - 1];
        n--;
    }
    s[n] = (struct span){lo, hi};
}

/* The calls one comparison holds for, as an interval [*lo, *hi] (empty when *lo > *hi);
 * false for NE and MASKED_EQ, which are no interval. */
static bool arg_interval(const struct sys_arg *a, uint64_t *lo, uint64_t *hi)
{
    *lo = 0;
    *hi = UINT64_MAX;
    switch (a->op) {
    case OP_EQ:
        *lo = *hi = a->value;
        return true;
    case OP_LT:
        if (a->value == 0)
            *lo = 1, *hi = 0;
        else
            *hi = a->value - 1;
        return true;
    case OP_LE:
        *hi = a->value;
        return true;
    case OP_GT:
        if (a->value == UINT64_MAX)
            *lo = 1, *hi = 0;
        else
            *lo = a->value + 1;
        return true;
    case OP_GE:
        *lo = a->value;
        return true;
    default:
        return false;
    }
}

static bool arg_holds(const struct sys_arg *a, uint64_t v)
{
    return op_holds(a->op, a->value, a->value_two, v) == 1;
}

/* Whether every value comparison x holds for, y holds for too (false when unsure). */
static bool arg_within(const struct sys_arg *x, const struct sys_arg *y)
{
    if (x->op == y->op && x->value == y->value && x->value_two == y->value_two)
        return true;
    if (x->op == OP_EQ)
        return arg_holds(y, x->value);
    /* Two MASKED_EQ: x fixes every bit y does, to y's values. */
    if (x->op == OP_MASKED_EQ && y->op == OP_MASKED_EQ)
        return !(y->value & ~x->value) && (x->value_two & y->value) == y->value_two;
    uint64_t xl, xh, yl, yh;
    if (!arg_interval(x, &xl, &xh))
        return false;
    if (xl > xh)
        return true; /* x holds for no value */
    if (arg_interval(y, &yl, &yh))
        return yl <= xl && xh <= yh;
    return y->op == OP_NE && (y->value < xl || y->value > xh);
}

/* Whether every call conditional rule a matches, b matches too (false when unsure). */
static bool cond_within(const struct ccond *a, const struct ccond *b)
{
    for (size_t k = 0; k < b->nargs; k++) {
        bool found = false;
        for (size_t i = 0; i < a->nargs && !found; i++)
            found = a->args[i].index == b->args[k].index && arg_within(&a->args[i], &b->args[k]);
        if (!found)
            return false;
    }
    return true;
}

/* Whether rule k of c[0..n), with the action v[k], adds nothing: another rule with the same
 * action matches every call it matches (of two that match the same calls, the first stays).
 * Leaving such rules out is more than tidy: libseccomp 2.5.4 loses one of two overlapping
 * range rules of a syscall (Kill when arg 0 < 16, Kill when arg 0 < 2^32: personality(16)
 * ran), and the proof refuses such a profile (engine/bpf_check.h). */
static bool cond_subsumed(const struct ccond *c, const struct verdict *v, size_t n, size_t k)
{
    for (size_t j = 0; j < n; j++)
        if (j != k && verdict_eq(v[j], v[k]) && cond_within(&c[k], &c[j]) &&
            (j < k || !cond_within(&c[j], &c[k])))
            return true;
    return false;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One comparison that holds exactly for [lo, hi] (not all values), with a value a profile can
 * hold (at most 2^63 - 1, as Kubernetes integers), or false. */
static bool interval_arg(uint8_t index, uint64_t lo, uint64_t hi, struct sys_arg *ret)
{
    *ret = (struct sys_arg){.index = index};
    if (lo == hi && lo <= INT64_MAX) {
        ret->op = OP_EQ;
        ret->value = lo;
    } else if (lo == 0 && hi <= INT64_MAX) {
        ret->op = OP_LE;
        ret->value = hi;
    } else if (lo == 0 && hi < UINT64_MAX && hi + 1 <= INT64_MAX) {
        ret->op = OP_LT;
        ret->value = hi + 1;
    } else if (hi == UINT64_MAX && lo > 0 && lo - 1 <= INT64_MAX) {
        ret->op = OP_GT; /* rather than GE lo: [2^32, max] is GT 0xffffffff, within 32 bits */
        ret->value = lo - 1;
    } else if (hi == UINT64_MAX && lo <= INT64_MAX) {
        ret->op = OP_GE;
        ret->value = lo;
    } else
        return false;
    return true;
}

/* [lo, hi], within 32 bits, as comparisons of the argument's low half: aligned blocks, each of
 * 2^k values from a multiple of 2^k, one MASKED_EQ of the low half's bits above k (one value:
 * EQ). At most max into out (*n); false when more would be needed. A block holds too for every
 * value above 2^32 - 1 whose low half lies in it: exact only where those values get the block's
 * action anyway. (A mask of all 64 bits would not hold them, but it is over 2^63 - 1, which a
 * profile cannot hold.) Used where [lo, hi] is no one comparison: blocks of ioctl requests
 * 0x5412 and 0x541c beside an Allow of ioctl leave [0x5413, 0x541b] allowed: 0x5413,
 * 0x5414-0x5417, 0x5418-0x541b. */
static bool low_blocks(uint8_t index, uint64_t lo, uint64_t hi, struct sys_arg *out, size_t max,
                       size_t *n)
{
    *n = 0;
    if (lo > hi || hi > UINT32_MAX)
        return false;
    for (;;) {
        unsigned k = lo ? (unsigned)__builtin_ctzll(lo) : 32;
        if (k > 32)
            k = 32;
        while (k && lo + ((UINT64_C(1) << k) - 1) > hi)
            k--;
        if (*n == max)
            return false;
        out[*n] = k ? (struct sys_arg){.index = index,
                                       .op = OP_MASKED_EQ,
                                       .value = UINT32_MAX & ~((UINT64_C(1) << k) - 1),
                                       .value_two = lo}
                    : (struct sys_arg){.index = index, .op = OP_EQ, .value = lo};
        (*n)++;
        uint64_t last = lo + ((UINT64_C(1) << k) - 1);
        if (last >= hi)
            return true;
        lo = last + 1;
    }
}

/* A conjunction of comparisons, at most one per argument: the calls a rule matches. */
struct cube {
    uint8_t n;
    struct sys_arg a[6];
};

/* Rules one syscall's complement_product() may write for the calls none of its conditions
 * matches. */
#define PRODUCT_RULES 16

/* The values comparisons x and y of one argument both hold for, as one comparison into *ret: 1;
 * 0 when there is none; -1 when one comparison cannot say them (or it is not known). */
static int arg_and(const struct sys_arg *x, const struct sys_arg *y, struct sys_arg *ret)
{
    if (arg_within(x, y)) {
        *ret = *x;
        return 1;
    }
    if (arg_within(y, x)) {
        *ret = *y;
        return 1;
    }
    if (args_disjoint(x, y))
        return 0;
    uint64_t xl, xh, yl, yh;
    bool xi = arg_interval(x, &xl, &xh), yi = arg_interval(y, &yl, &yh);
    if (xi && yi) {
        uint64_t lo = xl > yl ? xl : yl, hi = xh < yh ? xh : yh;
        if (lo > hi)
            return 0;
        return interval_arg(x->index, lo, hi, ret) ? 1 : -1;
    }
    if (x->op == OP_MASKED_EQ && y->op == OP_MASKED_EQ) {
        /* They agree on the bits both masks hold (not disjoint): both masks, both values. */
        *ret = (struct sys_arg){.index = x->index,
                                .op = OP_MASKED_EQ,
                                .value = x->value | y->value,
                                .value_two = (x->value_two & x->value) | (y->value_two & y->value)};
        return 1;
    }
    /* NE at an end of an interval: the interval one shorter. */
    if (y->op == OP_NE && xi) {
        const struct sys_arg *t = x;
        x = y;
        y = t;
        yl = xl;
        yh = xh;
        yi = true;
    }
    if (x->op == OP_NE && yi) {
        if (x->value == yl && yl < yh)
            return interval_arg(x->index, yl + 1, yh, ret) ? 1 : -1;
        if (x->value == yh && yl < yh)
            return interval_arg(x->index, yl, yh - 1, ret) ? 1 : -1;
    }
    return -1;
}

/* q and comparison p: 1 (q narrowed), 0 when no call holds both, -1 when not writable. */
static int cube_add(struct cube *q, const struct sys_arg *p)
{
    for (size_t k = 0; k < q->n; k++)
        if (q->a[k].index == p->index) {
            struct sys_arg t;
            int r = arg_and(&q->a[k], p, &t);
            if (r == 1)
                q->a[k] = t;
            return r;
        }
    if (q->n == ELEMENTSOF(q->a))
        return -1;
    q->a[q->n++] = *p;
    return 1;
}

/* The calls conditional rule c does not match, as disjoint cubes: for each comparison k, the
 * calls that hold the comparisons before it and fail k; a MASKED_EQ fails bit by bit (the bits
 * before as it wants them, this one not). At most max cubes into out (*n); false when more
 * would be needed or one cannot be written. */
static bool complement_cubes(const struct ccond *c, struct cube *out, size_t max, size_t *n)
{
    *n = 0;
    struct cube prefix = {0};
    for (size_t k = 0; k < c->nargs; k++) {
        const struct sys_arg *a = &c->args[k];
        struct sys_arg fail[64];
        size_t nfail = 0;
        if (a->op == OP_MASKED_EQ) {
            uint64_t seen = 0;
            for (unsigned bit = 0; bit < 64; bit++) {
                uint64_t b = UINT64_C(1) << bit;
                if (!(a->value & b))
                    continue;
                fail[nfail++] =
                    (struct sys_arg){.index = a->index,
                                     .op = OP_MASKED_EQ,
                                     .value = seen | b,
                                     .value_two = (a->value_two & seen) | (~a->value_two & b)};
                seen |= b;
            }
        } else {
            uint64_t lo, hi;
            if (!complement(&(struct ccond){.nargs = 1, .args = {*a}}, &fail[0]))
                return false;
            nfail = !(arg_interval(&fail[0], &lo, &hi) && lo > hi); /* GE 0 fails for none */
        }
        for (size_t i = 0; i < nfail; i++) {
            struct cube q = prefix;
            int r = cube_add(&q, &fail[i]);
            if (r < 0)
                return false;
            if (r == 0)
                continue;
            if (*n == max)
                return false;
            out[(*n)++] = q;
        }
        int r = cube_add(&prefix, a);
        if (r < 0)
            return false;
        if (r == 0)
            break; /* no call holds the comparisons so far: none fails a later one */
    }
    return true;
}

/* Where complement_product() may write rules: nowhere (the syscall is one that a 32-bit x86,
 * ppc, s390 or MIPS o32 profile reaches through socketcall or ipc, where libseccomp 2.5.4 drops
 * argument conditions and refuses rules of two actions: EEXIST), with values of 32 bits only
 * (a 32-bit architecture, x32 or MIPS n32 in the profile: libseccomp compares the low halves,
 * and the proof refuses a wider value there), or anywhere. */
enum product_shape { PRODUCT_NONE, PRODUCT_NARROW, PRODUCT_ANY };

static enum product_shape product_safe(const struct sysdb *db, uint32_t sys, archmask_t arches)
{
    const char *name = sysdb_name(db, sys);
    enum product_shape shape = PRODUCT_ANY;
    for (size_t i = 0; i < arch_count(); i++) {
        if (!(arches & (UINT32_C(1) << i)))
            continue;
        uint32_t token = arch_get(i)->token;
        if (arch_nr_multiplexed(seccomp_syscall_resolve_name_arch(token, name)))
            return PRODUCT_NONE;
        if (!arch_token_wide(token))
            shape = PRODUCT_NARROW;
    }
    return shape;
}

/* Whether comparison a says only values of 32 bits (its value and mask). */
static bool arg_narrow(const struct sys_arg *a)
{
    return a->value <= UINT32_MAX && a->value_two <= UINT32_MAX;
}

/* The calls none of nc conditions matches, when each is one interval of one argument (EQ, LT,
 * LE, GT, GE): the gaps between the intervals, each one comparison where one says it, else its
 * low_blocks() where no condition holds above 2^32 - 1 (then the gap at the top holds every
 * value there, and the blocks' values above it get the gap's action too). At most max one-
 * comparison cubes into out (*n). 1 when written; 0 when a condition is no interval; -1 when
 * the gaps cannot be written so. */
static int interval_gaps(const struct ccond *c, size_t nc, struct cube *out, size_t max, size_t *n)
{
    struct span s[64];
    bool low = true;
    if (nc > ELEMENTSOF(s))
        return 0; /* bounded work: the product's */
    for (size_t k = 0; k < nc; k++) {
        uint64_t lo, hi;
        if (c[k].nargs != 1 || !arg_interval(&c[k].args[0], &lo, &hi))
            return 0;
        low &= hi <= UINT32_MAX;
        span_insert(s, k, lo, hi);
    }
    *n = 0;
    uint8_t index = c[0].args[0].index;
    uint64_t at = 0;  /* the lowest value no interval before holds */
    bool top = false; /* an interval holds up to 2^64 - 1 */
    for (size_t i = 0; i <= nc && !top; i++) {
        uint64_t glo = at, ghi;
        if (i < nc) {
            top = s[i].hi == UINT64_MAX;
            if (s[i].hi + 1 > at)
                at = s[i].hi + 1;
            if (s[i].lo <= glo)
                continue;
            ghi = s[i].lo - 1;
        } else {
            ghi = UINT64_MAX;
        }
        struct sys_arg a[PRODUCT_RULES];
        size_t na = 1;
        if (!interval_arg(index, glo, ghi, &a[0]) &&
            !(low && low_blocks(index, glo, ghi, a, max - *n, &na)))
            return -1;
        if (na > max - *n)
            return -1;
        for (size_t b = 0; b < na; b++)
            out[(*n)++] = (struct cube){.n = 1, .a = {a[b]}};
    }
    /* Several gaps with a value above 2^32 - 1 (LE 0xfffffffd, EQ 0xffffffff, GT 0x100000000):
     * libseccomp 2.5.4 builds such rules looser than written, even of one action, and the
     * proof refuses the profile. */
    size_t wide = 0;
    for (size_t i = 0; i < *n; i++)
        wide += !arg_narrow(&out[i].a[0]);
    return wide && *n > 1 ? -1 : 1;
}

/* A syscall with an unconditional action E (not the default) and nc conditions of stricter
 * actions (their own, or, where raise says they overlap, the strictest of them, cmax, from
 * cmax_origin; vk and ok take the actions and origins, nc each), written exactly: each
 * condition with its action, and the calls none matches with E, in at most PRODUCT_RULES rules
 * (the product of the conditions' complement_cubes(), each disjoint from every condition).
 * 1 when written, 2 when the conditions match every call with one action (nothing written: one
 * unconditional rule of it says them), 0 when it cannot be (out unchanged), -ENOMEM. Allow clone
 * beside two guardrails' Blocks of clone (one CLONE_NEWUSER, one CLONE_NEWNET) took all of clone.
 */
static int complement_product(struct cprof *out, size_t *ccap, const struct ccond *c, size_t nc,
                              bool raise, struct verdict cmax, uint16_t cmax_origin,
                              struct verdict *vk, uint16_t *ok, struct verdict E, uint16_t eo,
                              struct verdict dflt, enum product_shape shape)
{
    bool one_action = true;
    for (size_t k = 0; k < nc; k++) {
        /* One argument; every condition stricter than E (a looser one would widen it). */
        if (c[k].nargs != 1 || c[k].args[0].index != c[0].args[0].index)
            return 0;
        vk[k] = raise ? cmax : c[k].v;
        ok[k] = raise ? cmax_origin : c[k].origin;
        if (verdict_cmp(vk[k], E) <= 0)
            return 0;
        one_action &= verdict_eq(vk[k], vk[0]);
    }
    struct cube acc[PRODUCT_RULES], next[PRODUCT_RULES], pieces[COMPLEMENT_PIECES];
    size_t nacc = 1;
    acc[0] = (struct cube){0};
    /* Intervals: their gaps (the product below cannot write a gap between two of them). */
    int gaps = interval_gaps(c, nc, acc, PRODUCT_RULES, &nacc);
    if (gaps < 0) { /* not so: the product, as before the gaps */
        gaps = 0;
        nacc = 1;
        acc[0] = (struct cube){0};
    }
    for (size_t i = 0; i < nc && nacc && !gaps; i++) {
        size_t np, nn = 0;
        if (!complement_cubes(&c[i], pieces, COMPLEMENT_PIECES, &np))
            return 0;
        for (size_t a = 0; a < nacc; a++)
            for (size_t p = 0; p < np; p++) {
                struct cube q = acc[a];
                int r = 1;
                for (size_t k = 0; k < pieces[p].n && r == 1; k++)
                    r = cube_add(&q, &pieces[p].a[k]);
                if (r < 0)
                    return 0;
                if (r == 0)
                    continue;
                if (nn == PRODUCT_RULES)
                    return 0;
                next[nn++] = q;
            }
        memcpy(acc, next, nn * sizeof(*acc));
        nacc = nn;
    }
    /* The conditions match every call: with one action, one unconditional rule says them
     * exactly (2: the caller writes it). */
    if (nacc == 0)
        return one_action ? 2 : 0;
    /* Rules libseccomp builds right on every architecture of the profile: not a multiplexed
     * call, values of 32 bits where the profile has a 32-bit architecture, and no two
     * overlapping ranges (libseccomp 2.5.4 loses one of them; MASKED_EQ ones are no range). */
    if (shape == PRODUCT_NONE)
        return 0;
    for (size_t k = 0; k < nc; k++) {
        if (shape == PRODUCT_NARROW && !arg_narrow(&c[k].args[0]))
            return 0;
        for (size_t j = k + 1; j < nc; j++)
            if (!conds_pair_disjoint(&c[k], &c[j]) &&
                (c[k].args[0].op != OP_MASKED_EQ || c[j].args[0].op != OP_MASKED_EQ))
                return 0;
    }
    for (size_t a = 0; a < nacc && shape == PRODUCT_NARROW; a++)
        for (size_t k = 0; k < acc[a].n; k++)
            if (!arg_narrow(&acc[a].a[k]))
                return 0;
    for (size_t k = 0; k < nc; k++) {
        if (verdict_eq(vk[k], dflt) || cond_subsumed(c, vk, nc, k))
            continue;
        struct ccond cc = c[k];
        cc.v = vk[k];
        cc.origin = ok[k];
        if (push_cond(out, ccap, &cc) < 0)
            return -ENOMEM;
    }
    for (size_t a = 0; a < nacc; a++) {
        struct ccond o = {.sys = c[0].sys, .v = E, .origin = eo, .nargs = acc[a].n};
        memcpy(o.args, acc[a].a, acc[a].n * sizeof(*o.args));
        if (push_cond(out, ccap, &o) < 0)
            return -ENOMEM;
    }
    return 1;
}

/* The nc conditions of one syscall, when all compare one argument and each holds for one
 * interval of it (EQ, LT, LE, GT, GE), rewritten exactly: the argument's values cut where a
 * condition starts or ends, each piece given what the profile means there (the strictest
 * condition that holds, deny wins, never looser than an unconditional rule e other than the
 * default; e's action, or the default, where none holds), and the neighbouring pieces of one
 * action joined. Pushed to out when each piece whose action is not the default is one comparison
 * and they are at most max_rules (what the caller's other choice would take); *done false (out
 * unchanged) when not. A piece in the middle that is no one comparison is written as its
 * low_blocks() where the piece above 2^32 - 1 has its action and shape is not PRODUCT_NONE;
 * narrow_only: every comparison within 32 bits, or not done. Overlapping conditions with two
 * actions are otherwise
 * all given the strictest (Kill when arg0 > 5 over Allow when arg0 < 10 killed personality(0)
 * too, which no policy asked). */
static int split_intervals(struct cprof *out, size_t *ccap, size_t *ecap, const struct ccond *c,
                           size_t nc, const struct centry *e, struct verdict dflt,
                           uint16_t dflt_origin, size_t max_rules, enum product_shape shape,
                           bool narrow_only, bool *done)
{
    *done = false;
    if (nc > 64)
        return 0; /* bounded work; the stricter choice then */
    uint64_t lo[64], hi[64], cut[129];
    size_t ncut = 0;
    cut[ncut++] = 0;
    for (size_t k = 0; k < nc; k++) {
        if (c[k].nargs != 1 || c[k].args[0].index != c[0].args[0].index ||
            !arg_interval(&c[k].args[0], &lo[k], &hi[k]) || lo[k] > hi[k])
            return 0;
        cut[ncut++] = lo[k];
        if (hi[k] != UINT64_MAX)
            cut[ncut++] = hi[k] + 1;
    }
    qsort(cut, ncut, sizeof(*cut), cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < ncut; i++)
        if (!u || cut[i] != cut[u - 1])
            cut[u++] = cut[i];
    ncut = u;
    /* The pieces [cut[i], cut[i + 1] - 1], the last to the top, joined when one action. */
    struct piece {
        uint64_t lo, hi;
        struct verdict v;
        uint16_t origin;
    } pc[129];
    size_t np = 0;
    /* An unconditional rule other than the default is a floor (a conditional rule never widens
     * one); one that says the default (where the merge left the syscall to it) is not: the
     * conditions say what they say where they hold, as profile_lower() renders them. */
    bool floor = e && !verdict_eq(e->v, dflt);
    for (size_t i = 0; i < ncut; i++) {
        uint64_t plo = cut[i], phi = i + 1 < ncut ? cut[i + 1] - 1 : UINT64_MAX;
        bool any = false;
        struct verdict v = e ? e->v : dflt;
        uint16_t o = e ? e->origin : dflt_origin;
        for (size_t k = 0; k < nc; k++) {
            if (lo[k] > plo || phi > hi[k])
                continue; /* a piece lies wholly inside or outside each interval */
            if ((!any && !floor) || verdict_cmp(c[k].v, v) > 0) {
                v = c[k].v;
                o = c[k].origin;
            }
            any = true;
        }
        if (np && verdict_eq(pc[np - 1].v, v))
            pc[np - 1].hi = phi;
        else
            pc[np++] = (struct piece){plo, phi, v, o};
    }
    /* A value above 32 bits where the conditions had none would make a profile that the proof
     * refuses on a 32-bit architecture (x32): then the stricter choice, as before. */
    bool wide = false;
    for (size_t k = 0; k < nc; k++)
        wide |= c[k].args[0].value > UINT32_MAX;
    /* Each piece not the default's in one comparison, or, in the low 32 bits, in low_blocks()
     * where the piece above 2^32 - 1 has the same action (it holds every value a block holds
     * there too). */
    const struct piece *top = &pc[np - 1];
    bool blocks = top->lo <= (UINT64_C(1) << 32) && shape != PRODUCT_NONE;
    struct sys_arg a[129];
    size_t of[129], rules = 0;
    if (max_rules > ELEMENTSOF(a))
        max_rules = ELEMENTSOF(a);
    for (size_t i = 0; i < np; i++) {
        if (verdict_eq(pc[i].v, dflt))
            continue;
        size_t n = 1;
        if (rules == max_rules)
            return 0;
        if (interval_arg(c[0].args[0].index, pc[i].lo, pc[i].hi, &a[rules])) {
            if (!wide && a[rules].value > UINT32_MAX)
                return 0;
        } else if (!blocks || !verdict_eq(top->v, pc[i].v) ||
                   !low_blocks(c[0].args[0].index, pc[i].lo, pc[i].hi, &a[rules], max_rules - rules,
                               &n)) {
            return 0;
        }
        for (size_t k = 0; k < n; k++)
            if (narrow_only && !arg_narrow(&a[rules + k]))
                return 0;
        for (size_t k = 0; k < n; k++)
            of[rules++] = i;
    }
    *done = true;
    if (np == 1) /* one action for every value */
        return verdict_eq(pc[0].v, dflt)
                   ? 0
                   : push_ent(out, ecap, (struct centry){c[0].sys, pc[0].v, pc[0].origin});
    for (size_t r = 0; r < rules; r++) {
        const struct piece *q = &pc[of[r]];
        struct ccond cc = {.sys = c[0].sys, .v = q->v, .origin = q->origin, .nargs = 1};
        cc.args[0] = a[r];
        if (push_cond(out, ccap, &cc) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* The syscalls lower() gives one action for every call though their conditions mean less. */
struct inexact {
    uint32_t *sys;
    size_t n, cap;
};

/* How lower() goes: db names the syscalls (for the shapes libseccomp builds wrong, which
 * complement_product() keeps away from; NULL: no product); product false: none at all (a
 * profile over kscmp's bounds with them is lowered again without); used is set when one was
 * written. */
struct lower_opts {
    const struct sysdb *db;
    bool product;
    bool used;
    struct inexact *inexact;
};

static int lower(const struct cprof *in_all, struct cprof **ret, struct lower_opts *lo);

/* lower() as render() does it: with complement_product() unless that takes the profile over
 * kscmp's bounds. */
static int lower_bounded(const struct cprof *in, const struct sysdb *db, struct cprof **ret,
                         struct inexact *inexact)
{
    struct lower_opts lo = {.db = db, .product = true, .inexact = inexact};
    int r = lower(in, ret, &lo);
    if (r < 0 || !lo.used || profile_check_bounds(*ret, NULL) != -E2BIG)
        return r;
    /* The exact rules took it over the bounds: stricter, as before them, rather than refused. */
    cprof_free(*ret);
    *ret = NULL;
    if (inexact) {
        free(inexact->sys);
        *inexact = (struct inexact){0};
    }
    lo = (struct lower_opts){.db = db, .inexact = inexact};
    return lower(in, ret, &lo);
}

int profile_lower(const struct cprof *in, const struct sysdb *db, struct cprof **ret)
{
    return lower_bounded(in, db, ret, NULL);
}

int profile_inexact(const struct cprof *in, const struct sysdb *db, uint32_t **ret_sys,
                    size_t *ret_n)
{
    struct inexact x = {0};
    _cleanup_(cprof_freep) struct cprof *out = NULL;
    int r = lower_bounded(in, db, &out, &x);
    if (r < 0) {
        free(x.sys);
        return r;
    }
    *ret_sys = x.sys;
    *ret_n = x.n;
    return 0;
}

/* Whether condition k, one interval of one argument, lies within the union of the intervals of
 * that argument the conditions of action cmax hold for (Errno when arg 0 > 10 inside Kill when
 * arg 0 <= 28 and Kill when >= 23). At most 64 of them looked at (bounded work; false past). */
static bool interval_covered(const struct ccond *c, size_t nc, size_t k, struct verdict cmax)
{
    uint64_t lo, hi;
    struct span s[64];
    size_t n = 0;
    if (c[k].nargs != 1 || !arg_interval(&c[k].args[0], &lo, &hi))
        return false;
    for (size_t j = 0; j < nc; j++) {
        uint64_t a, b;
        if (!verdict_eq(c[j].v, cmax) || c[j].nargs != 1 ||
            c[j].args[0].index != c[k].args[0].index || !arg_interval(&c[j].args[0], &a, &b) ||
            a > b)
            continue;
        if (n == ELEMENTSOF(s))
            return false;
        span_insert(s, n++, a, b);
    }
    uint64_t at = lo; /* the lowest value of [lo, hi] not yet covered */
    for (size_t i = 0; i < n && s[i].lo <= at; i++) {
        if (s[i].hi >= hi)
            return true;
        if (s[i].hi + 1 > at)
            at = s[i].hi + 1;
    }
    return false;
}

/* When the conditions of one syscall are all given their strictest action, cmax: the first of
 * another action that holds for a call no condition of cmax holds for (stricter than it means
 * there), or nc when none does (each lies within one of cmax, where deny wins gives cmax
 * anyway: nothing to say). */
static size_t raised_stricter(const struct ccond *c, size_t nc, struct verdict cmax)
{
    for (size_t k = 0; k < nc; k++) {
        bool within = verdict_eq(c[k].v, cmax);
        for (size_t j = 0; j < nc && !within; j++)
            within = verdict_eq(c[j].v, cmax) && cond_within(&c[k], &c[j]);
        if (!within && !interval_covered(c, nc, k, cmax))
            return k;
    }
    return nc;
}

/* A syscall lowered stricter than its rules mean: named for profile_inexact(), and the origin
 * text of what it gets (rule origin, said beside other) says so for explain; its index into
 * out's origins, or -ENOMEM. raised: the conditions overlap others of another action (the
 * calls any of them matches get the strictest); else they cannot be said beside an
 * unconditional rule (every call of the syscall gets it). */
static int inexact_mark(struct cprof *out, const struct cprof *in, struct inexact *inexact,
                        uint32_t sys, uint16_t origin, uint16_t other, bool raised)
{
    char *text = NULL;
    const char *o = origin < in->norigins ? in->origins[origin] : "?";
    const char *b = other < in->norigins ? in->origins[other] : "?";
    int r = raised
                ? asprintf(&text,
                           "%s, for every call its conditions or those of %s match (they overlap "
                           "on arguments seccomp rules cannot cut apart: stricter than the "
                           "policies say)",
                           o, b)
                : asprintf(&text,
                           "%s, for every call (its conditions cannot be written as seccomp "
                           "rules beside %s: stricter than the policies say)",
                           o, b);
    if (r < 0)
        return -ENOMEM;
    r = origin_add(out, text);
    free(text);
    if (r < 0 || !inexact)
        return r;
    if (inexact->n == inexact->cap) {
        size_t cap = inexact->cap ? inexact->cap * 2 : 8;
        uint32_t *nv = realloc(inexact->sys, cap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        inexact->sys = nv;
        inexact->cap = cap;
    }
    inexact->sys[inexact->n++] = sys;
    return r;
}

static int lower(const struct cprof *in_all, struct cprof **ret, struct lower_opts *lo)
{
    struct inexact *inexact = lo->inexact;
    /* Conditional rules that never hold apply to no call: left out, so that they neither
     * reach libseccomp nor raise the others. */
    const struct cprof *in = in_all;
    struct cprof holding;
    _cleanup_free_ struct ccond *kept = NULL;
    size_t never = 0;
    for (size_t i = 0; i < in_all->nconds; i++)
        never += cond_never_holds(&in_all->conds[i]);
    if (never) {
        if (!(kept = malloc((in_all->nconds - never + 1) * sizeof(*kept))))
            return -ENOMEM;
        holding = *in_all;
        holding.conds = kept;
        holding.nconds = 0;
        for (size_t i = 0; i < in_all->nconds; i++)
            if (!cond_never_holds(&in_all->conds[i]))
                kept[holding.nconds++] = in_all->conds[i];
        in = &holding;
    }
    _cleanup_(cprof_freep) struct cprof *out = calloc(1, sizeof(*out));
    if (!out)
        return -ENOMEM;
    out->dflt = in->dflt;
    out->arches = in->arches;
    out->arch_origin = in->arch_origin;
    out->ceiling = in->ceiling;
    out->dflt_origin = in->dflt_origin;
    out->origins = calloc(in->norigins + 1, sizeof(char *));
    if (!out->origins)
        return -ENOMEM;
    for (size_t i = 0; i < in->norigins; i++)
        if (!(out->origins[out->norigins++] = strdup(in->origins[i])))
            return -ENOMEM;
    /* The actions the conditions of one syscall take, for cond_subsumed(): one buffer for
     * the largest syscall's. */
    _cleanup_free_ struct verdict *v = malloc((in->nconds ? in->nconds : 1) * sizeof(*v));
    _cleanup_free_ uint16_t *vo = malloc((in->nconds ? in->nconds : 1) * sizeof(*vo));
    if (!v || !vo)
        return -ENOMEM;
    size_t ecap = 0, ccap = 0;
    /* Every syscall named, in id order: walk ents and conds together. */
    size_t ie = 0, ic = 0;
    while (ie < in->nents || ic < in->nconds) {
        uint32_t sys = ie < in->nents && (ic >= in->nconds || in->ents[ie].sys <= in->conds[ic].sys)
                           ? in->ents[ie].sys
                           : in->conds[ic].sys;
        const struct centry *e = ie < in->nents && in->ents[ie].sys == sys ? &in->ents[ie++] : NULL;
        const struct ccond *c = ic < in->nconds && in->conds[ic].sys == sys ? &in->conds[ic] : NULL;
        size_t nc = 0;
        while (ic < in->nconds && in->conds[ic].sys == sys) {
            ic++;
            nc++;
        }
        struct verdict E = e ? e->v : in->dflt;
        uint16_t eo = e ? e->origin : in->dflt_origin;
        if (nc == 0) {
            if (push_ent(out, &ecap, (struct centry){sys, E, eo}) < 0)
                return -ENOMEM;
            continue;
        }
        /* The conditions among themselves: one action, or disjoint; else all take the
         * strictest of them. */
        struct verdict cmax = c[0].v;
        uint16_t cmax_origin = c[0].origin;
        bool one_action = true;
        for (size_t k = 1; k < nc; k++) {
            one_action &= verdict_eq(c[k].v, c[0].v);
            if (verdict_cmp(c[k].v, cmax) > 0) {
                cmax = c[k].v;
                cmax_origin = c[k].origin;
            }
        }
        bool raise = !one_action && !conds_disjoint(c, nc);
        bool widen_only = verdict_cmp(cmax, E) <= 0;
        if (verdict_eq(E, in->dflt)) {
            /* No unconditional rule needed: the default catches what no condition matches. */
            for (size_t k = 0; k < nc; k++)
                v[k] = raise ? cmax : c[k].v;
            if (raise) {
                /* Cut exactly when that takes no more rules than raising them all would (the
                 * profile's bounds are checked after lowering: a policy within its own must
                 * not become a profile over them). */
                size_t raised = 0;
                for (size_t k = 0; k < nc; k++)
                    raised += !verdict_eq(cmax, in->dflt) && !cond_subsumed(c, v, nc, k);
                /* Or as many as the conditions themselves: raising them to the default takes
                 * none, and would lose every looser piece (Allow when arg0 == 0 beside Block
                 * when arg0 > 5, under a Block default, left personality(0) refused). */
                bool done;
                enum product_shape shape =
                    lo->db ? product_safe(lo->db, sys, in->arches) : PRODUCT_NONE;
                if (split_intervals(out, &ccap, &ecap, c, nc, e, in->dflt, in->dflt_origin,
                                    raised > nc ? raised : nc, shape, false, &done) < 0)
                    return -ENOMEM;
                /* Or in more, as complement_product() may, of values within 32 bits only
                 * (libseccomp 2.5.4 builds several ranges of two actions around 2^32 looser
                 * than written): lowered again without them where that takes the profile over
                 * the bounds. */
                if (!done && lo->product && shape != PRODUCT_NONE) {
                    if (split_intervals(out, &ccap, &ecap, c, nc, e, in->dflt, in->dflt_origin,
                                        PRODUCT_RULES, shape, true, &done) < 0)
                        return -ENOMEM;
                    lo->used |= done;
                }
                if (done)
                    continue;
            }
            /* Raised: the looser conditions lose their action, said (ProfileStricter, explain);
             * all raised to the default leave no rule: one of the default says it for explain
             * (no rule is rendered for it). */
            int ro = cmax_origin;
            size_t rk = raise ? raised_stricter(c, nc, cmax) : nc;
            if (rk < nc &&
                (ro = inexact_mark(out, in, inexact, sys, cmax_origin, c[rk].origin, true)) < 0)
                return -ENOMEM;
            if (raise && verdict_eq(cmax, in->dflt)) {
                if (push_ent(out, &ecap, (struct centry){sys, in->dflt, (uint16_t)ro}) < 0)
                    return -ENOMEM;
                continue;
            }
            for (size_t k = 0; k < nc; k++) {
                struct ccond cc = c[k];
                if (raise) {
                    cc.v = cmax;
                    cc.origin = (uint16_t)ro;
                }
                if (verdict_eq(cc.v, in->dflt) || cond_subsumed(c, v, nc, k))
                    continue;
                if (push_cond(out, &ccap, &cc) < 0)
                    return -ENOMEM;
            }
            continue;
        }
        struct sys_arg comp, pieces[COMPLEMENT_PIECES];
        size_t npieces, first = out->nconds; /* this syscall's conditional rules from here */
        int q;
        if (widen_only) {
            /* The conditions only loosen E: without them the syscall gets E, stricter. */
            if (push_ent(out, &ecap, (struct centry){sys, E, eo}) < 0)
                return -ENOMEM;
        } else if (nc == 1 && complement(&c[0], &comp)) {
            /* Exactly: the condition with its action, its complement with E. */
            struct ccond other = {.sys = sys, .v = E, .origin = eo, .nargs = 1};
            other.args[0] = comp;
            if (push_cond(out, &ccap, &c[0]) < 0 || push_cond(out, &ccap, &other) < 0)
                return -ENOMEM;
        } else if (nc == 1 && complement_pieces(&c[0], pieces, COMPLEMENT_PIECES, &npieces)) {
            /* Exactly too: the condition with its action, the calls it does not match with E,
             * in a few rules of one comparison each (a guardrail's Block of clone with
             * CLONE_NEWUSER, MASKED_EQ, beside an allow-list's clone took all of clone). */
            if (!verdict_eq(c[0].v, in->dflt) && push_cond(out, &ccap, &c[0]) < 0)
                return -ENOMEM;
            for (size_t k = 0; k < npieces; k++) {
                struct ccond other = {.sys = sys, .v = E, .origin = eo, .nargs = 1};
                other.args[0] = pieces[k];
                if (push_cond(out, &ccap, &other) < 0)
                    return -ENOMEM;
            }
        } else if (nc > 1 && lo->product && lo->db &&
                   (q = complement_product(out, &ccap, c, nc, raise, cmax, cmax_origin, v, vo, E,
                                           eo, in->dflt, product_safe(lo->db, sys, in->arches))) !=
                       0) {
            /* Exactly too, in more rules: the calls no condition matches get E; or in one
             * (2): the conditions match every call, with one action. Conditions that overlap
             * others of another action got the strictest (raise): said, as below. */
            if (q < 0)
                return -ENOMEM;
            int ro = cmax_origin;
            size_t rk = raise ? raised_stricter(c, nc, cmax) : nc;
            if (rk < nc &&
                (ro = inexact_mark(out, in, inexact, sys, cmax_origin, c[rk].origin, true)) < 0)
                return -ENOMEM;
            for (size_t k = first; k < out->nconds; k++)
                if (out->conds[k].origin == cmax_origin && verdict_eq(out->conds[k].v, cmax))
                    out->conds[k].origin = (uint16_t)ro;
            if (q == 2 && push_ent(out, &ecap, (struct centry){sys, cmax, (uint16_t)ro}) < 0)
                return -ENOMEM;
            lo->used |= q == 1;
        } else {
            /* Not expressible: the strictest action for every call of the syscall (cmax: not
             * widen_only), its origin saying so for explain. */
            int o = inexact_mark(out, in, inexact, sys, cmax_origin, eo, false);
            if (o < 0 || push_ent(out, &ecap, (struct centry){sys, cmax, (uint16_t)o}) < 0)
                return -ENOMEM;
        }
    }
    normalize(out, false);
    *ret = TAKE_PTR(out);
    return 0;
}

/* For explain: names in strcmp() order. */
struct named {
    const char *name;
    size_t idx;
};

static int cmp_named(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* Rendering: rules sorted by name within a block; blocks ordered by verdict.
 *
 * The JSON is written straight into one buffer, laid out as jansson's
 * json_dumps(JSON_INDENT(2) | JSON_PRESERVE_ORDER) lays it out (the unit tests parse every
 * rendered profile and compare it with jansson's own dump of it). A jansson tree cost a
 * string object per syscall name, made and freed on every render, and the names were sorted
 * by strcmp(): together half of the time a changed runtime/default-based profile spent
 * before its write. Every string written here comes from the program's tables (syscall,
 * architecture, action and operator names), so none needs escaping; one that would is
 * refused as a bug. */
struct jout {
    char *s;
    size_t len, cap; /* len counts every byte, also those past the bound, which are not kept */
    int err;
};

#define JOUT_MAX ((size_t)SCHEMA_MAX_PROFILE_BYTES + 1) /* with the newline and the NUL */

static void jout_done(struct jout *o)
{
    free(o->s);
}

/* Where the next n bytes go (o->len grows by n), or NULL: out of memory, or past the bound,
 * where bytes are only counted. */
static char *jout_room(struct jout *o, size_t n)
{
    if (o->err)
        return NULL;
    if (o->len + n + 2 > o->cap) {
        if (o->len + n + 2 > JOUT_MAX) {
            o->len += n; /* too large: counted for the message, not kept */
            return NULL;
        }
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 2)
            cap *= 2;
        if (cap > JOUT_MAX)
            cap = JOUT_MAX;
        char *g = realloc(o->s, cap);
        if (!g) {
            o->err = -ENOMEM;
            return NULL;
        }
        o->s = g;
        o->cap = cap;
    }
    char *at = o->s + o->len;
    o->len += n;
    return at;
}

static void jout_put(struct jout *o, const char *s, size_t n)
{
    char *at = jout_room(o, n);
    if (at)
        memcpy(at, s, n);
}

/* The length of s when it can stand between quotes as it is (printable ASCII, no quote or
 * backslash), else 0: no table holds an empty name or one that needs escaping. */
static size_t plain_len(const char *s)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if (s[n] < 0x20 || s[n] > 0x7e || s[n] == '"' || s[n] == '\\')
            return 0;
    return n;
}

static void jout_str(struct jout *o, const char *s)
{
    size_t n = plain_len(s);
    if (n == 0) {
        o->err = o->err ? o->err : -EINVAL;
        return;
    }
    char *at = jout_room(o, n + 2);
    if (!at)
        return;
    at[0] = '"';
    memcpy(at + 1, s, n);
    at[n + 1] = '"';
}

static void jout_int(struct jout *o, long long v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%lld", v);
    jout_put(o, buf, (size_t)n);
}

/* The start of a member or element at depth d (at most 5): a comma after the one before, a
 * new line, two spaces a level. */
static void jout_item(struct jout *o, int d, bool *first)
{
    static const char nl_spaces[] = "\n          ";
    if (!*first)
        jout_put(o, ",", 1);
    *first = false;
    jout_put(o, nl_spaces, 1 + 2 * (size_t)d);
}

/* jout_item() and the n bytes of s, which need no escaping, as a string: an element of an
 * array. */
static void jout_item_plain(struct jout *o, int d, bool *first, const char *s, size_t n)
{
    size_t lead = (*first ? 0 : 1) + 1 + 2 * (size_t)d;
    char *at = jout_room(o, lead + n + 2);
    if (!at)
        return;
    if (!*first)
        *at++ = ',';
    *first = false;
    *at++ = '\n';
    memset(at, ' ', 2 * (size_t)d);
    at += 2 * (size_t)d;
    *at++ = '"';
    memcpy(at, s, n);
    at[n] = '"';
}

/* jout_item() and jout_str() in one step: a string element of an array. */
static void jout_item_str(struct jout *o, int d, bool *first, const char *s)
{
    size_t n = plain_len(s);
    if (n == 0) {
        o->err = o->err ? o->err : -EINVAL;
        return;
    }
    jout_item_plain(o, d, first, s, n);
}

/* A syscall name as an element of an array (sysdb_name_len(): nothing to escape). */
static void jout_item_sys(struct jout *o, int d, bool *first, const struct sysdb *db, uint32_t id)
{
    size_t n;
    const char *s = sysdb_name_len(db, id, &n);
    if (!s || n == 0) {
        o->err = o->err ? o->err : -EINVAL;
        return;
    }
    jout_item_plain(o, d, first, s, n);
}

static void jout_key(struct jout *o, int d, bool *first, const char *key)
{
    jout_item(o, d, first);
    jout_str(o, key);
    jout_put(o, ": ", 2);
}

/* Closes an object or array opened at depth d ("{}" and "[]" when empty). */
static void jout_close(struct jout *o, int d, bool first, char c)
{
    if (!first) {
        bool none = true;
        jout_item(o, d, &none);
    }
    jout_put(o, &c, 1);
}

static int cmp_verdict_order(struct verdict a, struct verdict b)
{
    if (a.action != b.action)
        return a.action < b.action ? -1 : 1;
    return a.errno_ret < b.errno_ret ? -1 : a.errno_ret > b.errno_ret;
}

/* A rule at depth d: its one name or the names at[] marks with verdict v, its action, and
 * the conditions of c. */
static void jout_rule(struct jout *o, const struct cprof *p, const struct sysdb *db,
                      const uint32_t *at, size_t nnames, struct verdict v, const struct ccond *c)
{
    bool first = true;
    jout_put(o, "{", 1);
    jout_key(o, 3, &first, "names");
    jout_put(o, "[", 1);
    bool nfirst = true;
    if (c) {
        jout_item_sys(o, 4, &nfirst, db, c->sys);
    } else
        for (size_t rk = 0; rk < nnames; rk++)
            if (at[rk] && cmp_verdict_order(p->ents[at[rk] - 1].v, v) == 0)
                jout_item_sys(o, 4, &nfirst, db, p->ents[at[rk] - 1].sys);
    jout_close(o, 3, nfirst, ']');
    jout_key(o, 3, &first, "action");
    jout_str(o, action_oci_name(v.action));
    if (v.action == ACT_ERRNO) {
        jout_key(o, 3, &first, "errnoRet");
        jout_int(o, v.errno_ret);
    }
    if (c) {
        jout_key(o, 3, &first, "args");
        jout_put(o, "[", 1);
        bool afirst = true;
        for (unsigned i = 0; i < c->nargs; i++) {
            jout_item(o, 4, &afirst);
            jout_put(o, "{", 1);
            bool m = true;
            jout_key(o, 5, &m, "index");
            jout_int(o, c->args[i].index);
            jout_key(o, 5, &m, "value");
            jout_int(o, (long long)c->args[i].value);
            jout_key(o, 5, &m, "valueTwo");
            jout_int(o, (long long)c->args[i].value_two);
            jout_key(o, 5, &m, "op");
            jout_str(o, op_oci_name(c->args[i].op));
            jout_close(o, 4, m, '}');
        }
        jout_close(o, 3, afirst, ']');
    }
    jout_close(o, 2, first, '}');
}

/* True when every argument value fits a JSON integer (jansson's are signed 64-bit). The
 * decoder refuses larger ones, as the CRD does: one here is a bug, and rendering fails
 * rather than write a different number. */
static bool args_fit(const struct cprof *p)
{
    for (size_t i = 0; i < p->nconds; i++)
        for (unsigned a = 0; a < p->conds[i].nargs; a++)
            if (p->conds[i].args[a].value > INT64_MAX || p->conds[i].args[a].value_two > INT64_MAX)
                return false;
    return true;
}

int profile_check_bounds(const struct cprof *p, struct kerr *err)
{
    size_t rules = p->nconds, conditions = 0;
    for (size_t i = 0; i < p->nents; i++)
        rules += !verdict_eq(p->ents[i].v, p->dflt);
    for (size_t i = 0; i < p->nconds; i++)
        conditions += p->conds[i].nargs;
    if (rules > SCHEMA_MAX_PROFILE_RULES)
        return kerr_set(err, -E2BIG,
                        "the profile would hold %zu rules, more than the %d a profile may hold",
                        rules, SCHEMA_MAX_PROFILE_RULES);
    if (conditions > SCHEMA_MAX_PROFILE_CONDITIONS)
        return kerr_set(err, -E2BIG,
                        "the profile would hold %zu argument conditions, more than the %d a "
                        "profile may hold",
                        conditions, SCHEMA_MAX_PROFILE_CONDITIONS);
    return 0;
}

int profile_render(const struct cprof *in, const struct sysdb *db, char **ret_json, size_t *ret_len)
{
    return profile_render_bounded(in, db, ret_json, ret_len, NULL);
}

static int render(const struct cprof *in, const struct sysdb *db, char **ret_json, size_t *ret_len,
                  struct kerr *err, struct inexact *inexact);

int profile_render_bounded(const struct cprof *in, const struct sysdb *db, char **ret_json,
                           size_t *ret_len, struct kerr *err)
{
    return render(in, db, ret_json, ret_len, err, NULL);
}

int profile_render_noted(const struct cprof *in, const struct sysdb *db, char **ret_json,
                         size_t *ret_len, struct kerr *err, uint32_t **ret_inexact,
                         size_t *ret_ninexact)
{
    struct inexact x = {0};
    int r = render(in, db, ret_json, ret_len, err, &x);
    if (r < 0) {
        free(x.sys);
        return r;
    }
    *ret_inexact = x.sys;
    *ret_ninexact = x.n;
    return 0;
}

static int render(const struct cprof *in, const struct sysdb *db, char **ret_json, size_t *ret_len,
                  struct kerr *err, struct inexact *inexact)
{
    /* What the runtime can enforce: libseccomp lets an unconditional rule swallow the
     * conditional ones of the same syscall (profile.h: render lowers first). */
    _cleanup_(cprof_freep) struct cprof *p = NULL;
    int r = lower_bounded(in, db, &p, inexact);
    if (r < 0)
        return r;
    if ((r = profile_check_bounds(p, err)) < 0)
        return r;
    if (!args_fit(p))
        return -ERANGE;
    /* Names are listed in strcmp() order by walking the db's ranks (sysdb_rank()) rather than
     * by sorting strings: at[rank] = the index of the entry + 1. */
    size_t nnames = sysdb_count(db);
    _cleanup_free_ uint32_t *at = calloc(nnames + 1, sizeof(*at));
    _cleanup_free_ struct verdict *seen = calloc(p->nents + 1, sizeof(*seen));
    if (!at || !seen)
        return -ENOMEM;
    size_t nseen = 0;
    for (size_t i = 0; i < p->nents; i++) {
        struct verdict v = p->ents[i].v;
        if (verdict_eq(v, p->dflt))
            continue;
        uint32_t rk = sysdb_rank(db, p->ents[i].sys);
        if (rk >= nnames)
            return -EINVAL; /* an id the db does not hold: a bug */
        at[rk] = (uint32_t)i + 1;
        bool dup = false;
        for (size_t k = 0; k < nseen; k++)
            dup |= cmp_verdict_order(seen[k], v) == 0;
        if (!dup)
            seen[nseen++] = v;
    }
    for (size_t a = 1; a < nseen; a++) /* insertion sort: a handful of verdicts */
        for (size_t b = a; b > 0 && cmp_verdict_order(seen[b - 1], seen[b]) > 0; b--) {
            struct verdict t = seen[b];
            seen[b] = seen[b - 1];
            seen[b - 1] = t;
        }

    _cleanup_(jout_done) struct jout o = {0};
    /* Room for the text at once (a name takes ~24 bytes, a rule with conditions ~200): no
     * buffer grown and copied two or three times per profile. Given back below. */
    size_t guess = 512 + 28 * p->nents + 256 * p->nconds;
    if (guess > 4096 && (o.s = malloc(guess < JOUT_MAX ? guess : JOUT_MAX)))
        o.cap = guess < JOUT_MAX ? guess : JOUT_MAX;
    bool top = true;
    jout_put(&o, "{", 1);
    jout_key(&o, 1, &top, "defaultAction");
    jout_str(&o, action_oci_name(p->dflt.action));
    if (p->dflt.action == ACT_ERRNO && p->dflt.errno_ret != 1) {
        jout_key(&o, 1, &top, "defaultErrnoRet");
        jout_int(&o, p->dflt.errno_ret);
    }
    jout_key(&o, 1, &top, "architectures");
    jout_put(&o, "[", 1);
    bool afirst = true;
    for (size_t i = 0; i < arch_count(); i++)
        if (p->arches & (1u << i))
            jout_item_str(&o, 2, &afirst, arch_get(i)->oci);
    jout_close(&o, 1, afirst, ']');
    jout_key(&o, 1, &top, "syscalls");
    jout_put(&o, "[", 1);
    bool rfirst = true;
    /* Unconditional rules that differ from the default, one block per verdict. */
    for (size_t k = 0; k < nseen; k++) {
        jout_item(&o, 2, &rfirst);
        jout_rule(&o, p, db, at, nnames, seen[k], NULL);
    }
    /* Conditional rules, by syscall name then condition: those of one syscall stand together
     * in conds (sorted by id, then condition); at[] marks the first. */
    memset(at, 0, (nnames + 1) * sizeof(*at));
    for (size_t i = p->nconds; i-- > 0;) {
        uint32_t rk = sysdb_rank(db, p->conds[i].sys);
        if (rk >= nnames)
            return -EINVAL;
        at[rk] = (uint32_t)i + 1;
    }
    for (size_t rk = 0; rk < nnames; rk++) {
        if (!at[rk])
            continue;
        uint32_t sys = p->conds[at[rk] - 1].sys;
        for (size_t i = at[rk] - 1; i < p->nconds && p->conds[i].sys == sys; i++) {
            jout_item(&o, 2, &rfirst);
            jout_rule(&o, p, db, NULL, 0, p->conds[i].v, &p->conds[i]);
        }
    }
    jout_close(&o, 1, rfirst, ']');
    jout_close(&o, 0, top, '}');
    if (o.err)
        return o.err;
    if (o.len + 1 > SCHEMA_MAX_PROFILE_BYTES)
        return kerr_set(err, -E2BIG,
                        "the profile would be %zu bytes, more than the %d a profile may be",
                        o.len + 1, SCHEMA_MAX_PROFILE_BYTES);
    o.s[o.len] = '\n';
    o.s[o.len + 1] = '\0';
    if (o.cap - (o.len + 2) > 1024) { /* the guess was well over: the rest given back */
        char *fit = realloc(o.s, o.len + 2);
        if (fit)
            o.s = fit;
    }
    *ret_len = o.len + 1;
    *ret_json = TAKE_PTR(o.s);
    return 0;
}

static void verdict_text(struct verdict v, char *buf, size_t len)
{
    if (v.action == ACT_ERRNO) {
        const char *en = errno_name(v.errno_ret);
        if (en)
            snprintf(buf, len, "%s(%s)", action_oci_name(v.action), en);
        else
            snprintf(buf, len, "%s(%u)", action_oci_name(v.action), v.errno_ret);
    } else
        snprintf(buf, len, "%s", action_oci_name(v.action));
}

int profile_explain(const struct cprof *in, const struct sysdb *db, char **ret_text)
{
    _cleanup_(cprof_freep) struct cprof *p = NULL;
    int r = lower_bounded(in, db, &p, NULL);
    if (r < 0)
        return r;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    char vt[64], an[256];
    verdict_text(p->dflt, vt, sizeof(vt));
    fprintf(f, "architectures: %s   %s\n", arch_mask_names(p->arches, an, sizeof(an)),
            p->origins[p->arch_origin]);
    fprintf(f, "%-24s %-28s %s\n", "(default)", vt, p->origins[p->dflt_origin]);
    _cleanup_free_ struct named *sorted = calloc(p->nents + p->nconds + 1, sizeof(*sorted));
    if (!sorted) {
        fclose(f);
        free(buf);
        return -ENOMEM;
    }
    for (size_t i = 0; i < p->nents; i++)
        sorted[i] = (struct named){sysdb_name(db, p->ents[i].sys), i};
    qsort(sorted, p->nents, sizeof(*sorted), cmp_named);
    for (size_t i = 0; i < p->nents; i++) {
        const struct centry *e = &p->ents[sorted[i].idx];
        verdict_text(e->v, vt, sizeof(vt));
        fprintf(f, "%-24s %-28s %s\n", sorted[i].name, vt, p->origins[e->origin]);
    }
    for (size_t i = 0; i < p->nconds; i++) {
        const struct ccond *c = &p->conds[i];
        verdict_text(c->v, vt, sizeof(vt));
        fprintf(f, "%-24s %-28s %s   when", sysdb_name(db, c->sys), vt, p->origins[c->origin]);
        for (unsigned k = 0; k < c->nargs; k++) {
            const struct sys_arg *a = &c->args[k];
            if (a->op == OP_MASKED_EQ) /* the mask and the value: several differ by it alone */
                fprintf(f, "%s arg%u MASKED_EQ %#llx %#llx", k ? " and" : "", a->index,
                        (unsigned long long)a->value, (unsigned long long)a->value_two);
            else
                fprintf(f, "%s arg%u %s %llu", k ? " and" : "", a->index, op_oci_name(a->op) + 9,
                        (unsigned long long)a->value);
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    *ret_text = buf;
    return 0;
}
