/* recording.c - the syscalls a recording saw, their union, status JSON and policy. */
#include "engine/recording.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/doc.h"
#include "engine/model.h"
#include "engine/profile.h"

/* One architecture's share: sorted distinct names, sorted distinct unknown numbers. */
struct recorded_arch {
    char **names;
    size_t nnames, capnames;
    uint32_t *unknown;
    size_t nunknown, capunknown;
};

struct recorded {
    struct recorded_arch *arch; /* arch_count() of them */
    bool truncated;             /* an add found its list full (-E2BIG): something is missing */
};

int recorded_new(struct recorded **ret)
{
    struct recorded *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->arch = calloc(arch_count(), sizeof(*r->arch));
    if (!r->arch) {
        free(r);
        return -ENOMEM;
    }
    *ret = r;
    return 0;
}

void recorded_free(struct recorded *r)
{
    if (!r)
        return;
    for (size_t a = 0; a < arch_count(); a++) {
        for (size_t i = 0; i < r->arch[a].nnames; i++)
            free(r->arch[a].names[i]);
        free(r->arch[a].names);
        free(r->arch[a].unknown);
    }
    free(r->arch);
    free(r);
}

int recorded_arch_of(uint32_t audit_arch, uint32_t nr)
{
    if (audit_arch == SCMP_ARCH_X86_64 && (nr & RECORDED_X32_BIT))
        audit_arch = SCMP_ARCH_X32;
    return arch_by_token(audit_arch);
}

static bool arch_ok(int arch)
{
    return arch >= 0 && (size_t)arch < arch_count();
}

/* Where name is, or would go, in the sorted names; *found tells which. */
static size_t name_slot(const struct recorded_arch *ra, const char *name, bool *found)
{
    size_t lo = 0, hi = ra->nnames;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ra->names[mid], name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static bool name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > RECORDED_MAX_NAME_LEN)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

int recorded_add_name(struct recorded *r, int arch, const char *name)
{
    if (!arch_ok(arch) || !name_valid(name))
        return -EINVAL;
    struct recorded_arch *ra = &r->arch[arch];
    bool found;
    size_t at = name_slot(ra, name, &found);
    if (found)
        return 0;
    if (ra->nnames >= RECORDED_MAX_NAMES) {
        r->truncated = true;
        return -E2BIG;
    }
    if (ra->nnames == ra->capnames) {
        size_t cap = ra->capnames ? ra->capnames * 2 : 64;
        char **v = realloc(ra->names, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        ra->names = v;
        ra->capnames = cap;
    }
    char *dup = strdup(name);
    if (!dup)
        return -ENOMEM;
    memmove(ra->names + at + 1, ra->names + at, (ra->nnames - at) * sizeof(*ra->names));
    ra->names[at] = dup;
    ra->nnames++;
    return 1;
}

static int add_unknown(struct recorded_arch *ra, uint32_t nr)
{
    size_t lo = 0, hi = ra->nunknown;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ra->unknown[mid] == nr)
            return 0;
        if (ra->unknown[mid] < nr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (ra->nunknown >= RECORDED_MAX_UNKNOWN)
        return -E2BIG;
    if (ra->nunknown == ra->capunknown) {
        size_t cap = ra->capunknown ? ra->capunknown * 2 : 8;
        uint32_t *v = realloc(ra->unknown, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        ra->unknown = v;
        ra->capunknown = cap;
    }
    memmove(ra->unknown + lo + 1, ra->unknown + lo, (ra->nunknown - lo) * sizeof(*ra->unknown));
    ra->unknown[lo] = nr;
    ra->nunknown++;
    return 1;
}

int recorded_add_number(struct recorded *r, int arch, uint32_t nr)
{
    if (!arch_ok(arch))
        return -EINVAL;
    const struct arch_info *ai = arch_get((size_t)arch);
    if (ai->token == SCMP_ARCH_X32)
        nr &= ~RECORDED_X32_BIT;
    /* libseccomp takes numbers as int; the ones above INT_MAX have no name anywhere. */
    char *name = nr <= INT32_MAX ? seccomp_syscall_resolve_num_arch(ai->token, (int)nr) : NULL;
    if (!name) {
        int ret = add_unknown(&r->arch[arch], nr);
        r->truncated |= ret == -E2BIG;
        return ret;
    }
    int ret = recorded_add_name(r, arch, name);
    free(name);
    return ret;
}

int recorded_merge(struct recorded *dst, const struct recorded *src)
{
    int added = 0;
    /* A list is full, or src missed some itself: what fits of the rest is still added. */
    bool full = src->truncated;
    for (size_t a = 0; a < arch_count(); a++) {
        const struct recorded_arch *s = &src->arch[a];
        for (size_t i = 0; i < s->nnames; i++) {
            int r = recorded_add_name(dst, (int)a, s->names[i]);
            if (r == -E2BIG) {
                full = true;
                continue;
            }
            if (r < 0)
                return r;
            added += r;
        }
        for (size_t i = 0; i < s->nunknown; i++) {
            int r = add_unknown(&dst->arch[a], s->unknown[i]);
            if (r == -E2BIG) {
                full = true;
                continue;
            }
            if (r < 0)
                return r;
            added += r;
        }
    }
    dst->truncated |= full; /* what src missed, dst misses too */
    return full ? -E2BIG : added;
}

archmask_t recorded_arches(const struct recorded *r)
{
    archmask_t m = 0;
    for (size_t a = 0; a < arch_count(); a++)
        if (r->arch[a].nnames || r->arch[a].nunknown)
            m |= 1u << a;
    return m;
}

const char *const *recorded_names(const struct recorded *r, int arch, size_t *ret_n)
{
    if (!arch_ok(arch)) {
        *ret_n = 0;
        return NULL;
    }
    *ret_n = r->arch[arch].nnames;
    return (const char *const *)r->arch[arch].names;
}

const uint32_t *recorded_unknown(const struct recorded *r, int arch, size_t *ret_n)
{
    if (!arch_ok(arch)) {
        *ret_n = 0;
        return NULL;
    }
    *ret_n = r->arch[arch].nunknown;
    return r->arch[arch].unknown;
}

bool recorded_has_name(const struct recorded *r, const char *name)
{
    for (size_t a = 0; a < arch_count(); a++) {
        bool found;
        name_slot(&r->arch[a], name, &found);
        if (found)
            return true;
    }
    return false;
}

bool recorded_equal(const struct recorded *a, const struct recorded *b)
{
    for (size_t i = 0; i < arch_count(); i++) {
        const struct recorded_arch *x = &a->arch[i], *y = &b->arch[i];
        if (x->nnames != y->nnames || x->nunknown != y->nunknown)
            return false;
        for (size_t j = 0; j < x->nnames; j++)
            if (strcmp(x->names[j], y->names[j]) != 0)
                return false;
        if (x->nunknown && memcmp(x->unknown, y->unknown, x->nunknown * sizeof(*x->unknown)))
            return false;
    }
    return true;
}

int recorded_to_json(const struct recorded *r, json_t **ret_syscalls, json_t **ret_unknown)
{
    _cleanup_(json_decrefp) json_t *sys = json_object();
    _cleanup_(json_decrefp) json_t *unk = json_object();
    if (!sys || !unk)
        return -ENOMEM;
    for (size_t a = 0; a < arch_count(); a++) {
        const struct recorded_arch *ra = &r->arch[a];
        if (ra->nnames) {
            json_t *v = json_array();
            if (!v || json_object_set_new(sys, arch_get(a)->name, v) < 0)
                return -ENOMEM;
            for (size_t i = 0; i < ra->nnames; i++)
                if (json_array_append_new(v, json_string(ra->names[i])) < 0)
                    return -ENOMEM;
        }
        if (ra->nunknown) {
            json_t *v = json_array();
            if (!v || json_object_set_new(unk, arch_get(a)->name, v) < 0)
                return -ENOMEM;
            for (size_t i = 0; i < ra->nunknown; i++)
                if (json_array_append_new(v, json_integer(ra->unknown[i])) < 0)
                    return -ENOMEM;
        }
    }
    *ret_syscalls = json_object_size(sys) ? TAKE_PTR(sys) : NULL;
    *ret_unknown = json_object_size(unk) ? TAKE_PTR(unk) : NULL;
    return 0;
}

/* Reads {"arch": [items...]} for one of the two status fields. */
static int from_json_field(struct recorded *r, const json_t *obj, const char *field, bool names,
                           struct kerr *err)
{
    if (!obj)
        return 0;
    if (!json_is_object(obj))
        return kerr_set(err, -EINVAL, "%s: must be an object of architectures", field);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        int arch = arch_parse(key);
        if (arch < 0)
            return kerr_set(err, -EINVAL, "%s: unknown architecture \"%.64s\"", field, key);
        if (!json_is_array(v))
            return kerr_set(err, -EINVAL, "%s.%s: must be a list", field, key);
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            int ret;
            if (names) {
                if (!json_is_string(item))
                    return kerr_set(err, -EINVAL, "%s.%s[%zu]: must be a syscall name", field, key,
                                    i);
                ret = recorded_add_name(r, arch, json_string_value(item));
                if (ret == -EINVAL)
                    return kerr_set(err, -EINVAL, "%s.%s[%zu]: \"%.64s\" is not a syscall name",
                                    field, key, i, json_string_value(item));
            } else {
                json_int_t nr = json_is_integer(item) ? json_integer_value(item) : -1;
                if (nr < 0 || nr > UINT32_MAX)
                    return kerr_set(err, -EINVAL, "%s.%s[%zu]: must be a number from 0 to %u",
                                    field, key, i, UINT32_MAX);
                ret = add_unknown(&r->arch[arch], (uint32_t)nr);
            }
            if (ret == -E2BIG)
                return kerr_set(err, -E2BIG, "%s.%s: more than %d entries", field, key,
                                names ? RECORDED_MAX_NAMES : RECORDED_MAX_UNKNOWN);
            if (ret < 0)
                return kerr_set(err, ret, "%s.%s: %s", field, key, strerror(-ret));
        }
    }
    return 0;
}

int recorded_from_json(const json_t *syscalls, const json_t *unknown, const char *field,
                       struct recorded **ret, struct kerr *err)
{
    _cleanup_(recorded_freep) struct recorded *r = NULL;
    int ret_code = recorded_new(&r);
    if (ret_code < 0)
        return kerr_set(err, ret_code, "%s: out of memory", field);
    char path[128];
    snprintf(path, sizeof(path), "%s.syscalls", field);
    if ((ret_code = from_json_field(r, syscalls, path, true, err)) < 0)
        return ret_code;
    snprintf(path, sizeof(path), "%s.unknownSyscalls", field);
    if ((ret_code = from_json_field(r, unknown, path, false, err)) < 0)
        return ret_code;
    *ret = TAKE_PTR(r);
    return 0;
}

/* Writes text as "# " comment lines, control characters escaped. */
static void put_comment(FILE *f, const char *text)
{
    fputs("# ", f);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n') {
            if (p[1])
                fputs("\n# ", f);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\x%02x", *p);
        } else {
            fputc(*p, f);
        }
    }
    fputc('\n', f);
}

/* Whether a name (lower-case letters, digits, '_') reads back as a string when written plain,
 * in YAML 1.2 and in the YAML 1.1 that kubectl speaks. Real syscall names all do. */
static bool plain_ok(const char *name)
{
    return ((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_') && ydoc_plain_safe(name);
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted union of the names of every architecture; the strings stay r's. */
static int union_names(const struct recorded *r, const char ***ret, size_t *ret_n)
{
    size_t total = 0;
    for (size_t a = 0; a < arch_count(); a++)
        total += r->arch[a].nnames;
    const char **v = calloc(total ? total : 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t n = 0;
    for (size_t a = 0; a < arch_count(); a++)
        for (size_t i = 0; i < r->arch[a].nnames; i++)
            v[n++] = r->arch[a].names[i];
    qsort(v, n, sizeof(*v), cmp_strp);
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (out == 0 || strcmp(v[out - 1], v[i]) != 0)
            v[out++] = v[i];
    *ret = v;
    *ret_n = out;
    return 0;
}

int recorded_render_policy(const struct recorded *r, const char *ns, const char *name,
                           const char *comment, char **ret, size_t *ret_len)
{
    if (!dns_subdomain_valid(name) || !dns_label_valid(ns))
        return -EINVAL;
    _cleanup_free_ const char **names = NULL;
    size_t nnames;
    int rc = union_names(r, &names, &nnames);
    if (rc < 0)
        return rc;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    if (comment && *comment)
        put_comment(f, comment);
    archmask_t seen = recorded_arches(r);
    if (!seen)
        fputs("# Nothing was recorded: this allow-list allows no syscall.\n", f);
    for (size_t a = 0; a < arch_count(); a++) {
        const struct recorded_arch *ra = &r->arch[a];
        if (!(seen & (1u << a)))
            continue;
        fprintf(f, "# %s: %zu syscall%s", arch_get(a)->name, ra->nnames,
                ra->nnames == 1 ? "" : "s");
        if (ra->nunknown) {
            fprintf(f, "; numbers libseccomp has no name for, not allowed below:");
            for (size_t i = 0; i < ra->nunknown; i++)
                fprintf(f, " %u", ra->unknown[i]);
        }
        fputc('\n', f);
    }
    fputs("# The container runtime's start-up syscalls are added when kscmp compiles the\n"
          "# profile (--startup-syscalls), so they are listed only if the workload made them.\n",
          f);
    /* A name such as "true" or "0755" (a command's) in quotes, or it would not be a string. */
    const char *nq = plain_ok(name) ? "" : "\"", *sq = plain_ok(ns) ? "" : "\"";
    fprintf(f,
            "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: %s%s%s\n"
            "  namespace: %s%s%s\nspec:\n  seccomp:\n",
            nq, name, nq, sq, ns, sq);
    if (seen) {
        fputs("    arch: [", f);
        bool first = true;
        for (size_t a = 0; a < arch_count(); a++)
            if (seen & (1u << a)) {
                fprintf(f, "%s%s", first ? "" : ", ", arch_get(a)->name);
                first = false;
            }
        fputs("]\n", f);
    }
    if (nnames == 0)
        fputs("    syscalls: []\n", f);
    else
        fputs("    syscalls:\n", f);
    for (size_t i = 0; i < nnames; i++)
        fprintf(f, plain_ok(names[i]) ? "    - %s\n" : "    - \"%s\"\n", names[i]);
    fputs("    action: Allow\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    *ret = buf;
    *ret_len = len;
    return 0;
}

static int copy_origins(const struct cprof *in, struct cprof *out)
{
    if (!in->norigins)
        return 0;
    out->origins = calloc(in->norigins, sizeof(*out->origins));
    if (!out->origins)
        return -ENOMEM;
    for (size_t i = 0; i < in->norigins; i++) {
        if (!(out->origins[i] = strdup(in->origins[i])))
            return -ENOMEM;
        out->norigins++;
    }
    return 0;
}

int recording_relax(const struct cprof *in, archmask_t node_arches, struct cprof **ret)
{
    _cleanup_(cprof_freep) struct cprof *out = calloc(1, sizeof(*out));
    if (!out)
        return -ENOMEM;
    out->dflt = VERDICT(ACT_ALLOW);
    out->dflt_origin = in->dflt_origin;
    out->arches = node_arches;
    out->arch_origin = in->arch_origin;
    int r = copy_origins(in, out);
    if (r < 0)
        return r;
    if (in->nents && !(out->ents = calloc(in->nents, sizeof(*out->ents))))
        return -ENOMEM;
    for (size_t i = 0; i < in->nents; i++)
        if (in->ents[i].v.action != ACT_ALLOW)
            out->ents[out->nents++] = in->ents[i];
    if (in->nconds && !(out->conds = calloc(in->nconds, sizeof(*out->conds))))
        return -ENOMEM;
    for (size_t i = 0; i < in->nconds; i++)
        if (in->conds[i].v.action != ACT_ALLOW)
            out->conds[out->nconds++] = in->conds[i];
    *ret = TAKE_PTR(out);
    return 0;
}

int recording_allow_all(archmask_t node_arches, const char *origin, struct cprof **ret)
{
    _cleanup_(cprof_freep) struct cprof *out = calloc(1, sizeof(*out));
    if (!out)
        return -ENOMEM;
    out->dflt = VERDICT(ACT_ALLOW);
    out->arches = node_arches;
    out->origins = calloc(1, sizeof(*out->origins));
    if (!out->origins || !(out->origins[0] = strdup(origin)))
        return -ENOMEM;
    out->norigins = 1;
    *ret = TAKE_PTR(out);
    return 0;
}
