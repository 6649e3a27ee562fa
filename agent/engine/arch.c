/* arch.c - architecture table and the syscall name database. */
#include "engine/arch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <seccomp.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/hash.h"
#include "base/spell.h"
#include "base/strv.h"

static const struct arch_info arches[] = {
    {"x86_64", "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64, "x86 x32"},
    {"x86", "SCMP_ARCH_X86", SCMP_ARCH_X86, ""},
    {"x32", "SCMP_ARCH_X32", SCMP_ARCH_X32, ""},
    {"aarch64", "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64, "arm"},
    {"arm", "SCMP_ARCH_ARM", SCMP_ARCH_ARM, ""},
    {"riscv64", "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64, ""},
    {"ppc64le", "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE, ""},
    {"ppc64", "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64, "ppc"},
    {"ppc", "SCMP_ARCH_PPC", SCMP_ARCH_PPC, ""},
    {"s390x", "SCMP_ARCH_S390X", SCMP_ARCH_S390X, "s390"},
    {"s390", "SCMP_ARCH_S390", SCMP_ARCH_S390, ""},
    {"mips64", "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64, "mips mips64n32"},
    {"mips64n32", "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32, ""},
    {"mips", "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS, ""},
    {"mipsel64", "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64, "mipsel mipsel64n32"},
    {"mipsel64n32", "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32, ""},
    {"mipsel", "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL, ""},
};

static const struct {
    const char *alias;
    const char *name;
} aliases[] = {
    {"amd64", "x86_64"},  {"i386", "x86"},  {"i686", "x86"},
    {"arm64", "aarch64"}, {"armhf", "arm"}, {"armv7l", "arm"},
};

size_t arch_count(void)
{
    return ELEMENTSOF(arches);
}

const struct arch_info *arch_get(size_t i)
{
    return i < ELEMENTSOF(arches) ? &arches[i] : NULL;
}

int arch_parse(const char *s)
{
    for (size_t i = 0; i < ELEMENTSOF(aliases); i++)
        if (strcmp(s, aliases[i].alias) == 0)
            s = aliases[i].name;
    for (size_t i = 0; i < ELEMENTSOF(arches); i++)
        if (strcmp(s, arches[i].name) == 0 || strcmp(s, arches[i].oci) == 0)
            return (int)i;
    return -EINVAL;
}

int arch_by_token(uint32_t token)
{
    for (size_t i = 0; i < ELEMENTSOF(arches); i++)
        if (arches[i].token == token)
            return (int)i;
    return -EINVAL;
}

const char *arch_token_text(uint32_t token, char *buf, size_t len)
{
    int i = arch_by_token(token);
    if (i >= 0)
        snprintf(buf, len, "%s", arches[i].oci);
    else
        snprintf(buf, len, "architecture 0x%08" PRIx32, token);
    return buf;
}

bool arch_nr_multiplexed(int nr)
{
    return nr <= -101 && nr > -1000;
}

bool arch_token_wide(uint32_t token)
{
    return (token & __AUDIT_ARCH_64BIT) && token != SCMP_ARCH_MIPS64N32 &&
           token != SCMP_ARCH_MIPSEL64N32;
}

bool arch_token_low_halves(uint32_t token)
{
    return token == SCMP_ARCH_X32 || token == SCMP_ARCH_MIPS64N32 || token == SCMP_ARCH_MIPSEL64N32;
}

archmask_t arch_with_compat(int index)
{
    if (index < 0 || (size_t)index >= ELEMENTSOF(arches))
        return 0;
    archmask_t m = 1u << index;
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", arches[index].compat);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        int c = arch_parse(t);
        if (c >= 0)
            m |= 1u << c;
    }
    return m;
}

int arch_native(void)
{
    uint32_t tok = seccomp_arch_native();
    for (size_t i = 0; i < ELEMENTSOF(arches); i++)
        if (arches[i].token == tok)
            return (int)i;
    return -ENOTSUP;
}

const char *arch_mask_names(archmask_t m, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ELEMENTSOF(arches) && off < len; i++)
        if (m & (1u << i))
            off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", arches[i].name);
    return buf;
}

/* A syscall name the db holds (its id is its index in ents[]). */
struct sysent {
    char *name;
    archmask_t mask; /* the architectures where it exists */
    uint32_t rank;   /* its place in order */
    uint8_t len;     /* of name (at most 64) */
};

struct sysdb {
    struct sysent *ents; /* by id */
    uint32_t *order;     /* ids by name (strcmp), for rendering in name order without sorting */
    size_t n, cap;
    uint32_t *slots; /* open-addressing hash from name to id + 1, 0 = empty */
    size_t nslots;
    /* Every name of the tables sysdb_nearest() looks in, gathered at its first call. */
    char **known;
    size_t nknown;
    bool known_tried;
};

int sysdb_new(struct sysdb **ret)
{
    struct sysdb *db = calloc(1, sizeof(*db));
    if (!db)
        return -ENOMEM;
    db->nslots = 2048;
    db->slots = calloc(db->nslots, sizeof(*db->slots));
    if (!db->slots) {
        free(db);
        return -ENOMEM;
    }
    *ret = db;
    return 0;
}

void sysdb_free(struct sysdb *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->n; i++)
        free(db->ents[i].name);
    free(db->ents);
    free(db->order);
    free(db->slots);
    strv_free(db->known, db->nknown);
    free(db);
}

static int sysdb_grow_slots(struct sysdb *db)
{
    size_t ns = db->nslots * 2;
    uint32_t *slots = calloc(ns, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t id = 0; id < db->n; id++) {
        size_t i = fnv1a64_str(db->ents[id].name) & (ns - 1);
        while (slots[i])
            i = (i + 1) & (ns - 1);
        slots[i] = (uint32_t)id + 1;
    }
    free(db->slots);
    db->slots = slots;
    db->nslots = ns;
    return 0;
}

/* The architectures of arches[] on which libseccomp numbers name; *ret_known: it knows the
 * name on one at least (some name a call that exists only as a multiplexer's, such as
 * socketcall's: no number of its own there). */
static archmask_t name_arches(const char *name, bool *ret_known)
{
    archmask_t mask = 0;
    *ret_known = false;
    for (size_t a = 0; a < ELEMENTSOF(arches); a++) {
        int nr = seccomp_syscall_resolve_name_arch(arches[a].token, name);
        if (nr != __NR_SCMP_ERROR)
            *ret_known = true;
        if (nr >= 0)
            mask |= 1u << a;
    }
    return mask;
}

bool syscall_name_known(const char *name)
{
    bool known;
    (void)name_arches(name, &known);
    return known;
}

int sysdb_lookup(struct sysdb *db, const char *name, uint32_t *ret_id)
{
    size_t i = fnv1a64_str(name) & (db->nslots - 1);
    for (; db->slots[i]; i = (i + 1) & (db->nslots - 1))
        if (strcmp(db->ents[db->slots[i] - 1].name, name) == 0) {
            *ret_id = db->slots[i] - 1;
            return 0;
        }
    /* Not seen yet: ask libseccomp on every architecture. Its names are lower-case letters,
     * digits and underscores (what the renderer writes without escaping: sysdb_name_len). */
    size_t len = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (len == 0 || len > 64 || name[len] != '\0')
        return -ENOENT;
    bool known;
    archmask_t mask = name_arches(name, &known);
    if (!known)
        return -ENOENT;
    if (db->n == db->cap) {
        size_t cap = db->cap ? db->cap * 2 : 512;
        struct sysent *ents = realloc(db->ents, cap * sizeof(*ents));
        if (!ents)
            return -ENOMEM;
        db->ents = ents;
        uint32_t *order = realloc(db->order, cap * sizeof(*order));
        if (!order)
            return -ENOMEM;
        db->order = order;
        db->cap = cap;
    }
    if ((db->n + 1) * 2 > db->nslots) {
        int r = sysdb_grow_slots(db);
        if (r < 0)
            return r;
        i = fnv1a64_str(name) & (db->nslots - 1);
        while (db->slots[i])
            i = (i + 1) & (db->nslots - 1);
    }
    char *dup = strdup(name);
    if (!dup)
        return -ENOMEM;
    uint32_t id = (uint32_t)db->n++;
    db->ents[id] = (struct sysent){.name = dup, .mask = mask, .len = (uint8_t)len};
    db->slots[i] = id + 1;
    /* Its place by name; the ids after it move one down. Names are few (those libseccomp
     * knows), so the moves cost little and happen once per name. */
    size_t lo = 0, hi = id;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(db->ents[db->order[mid]].name, dup) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(db->order + lo + 1, db->order + lo, (id - lo) * sizeof(*db->order));
    db->order[lo] = id;
    for (size_t r = lo; r <= id; r++)
        db->ents[db->order[r]].rank = (uint32_t)r;
    *ret_id = id;
    return 0;
}

size_t sysdb_count(const struct sysdb *db)
{
    return db->n;
}

uint32_t sysdb_rank(const struct sysdb *db, uint32_t id)
{
    return id < db->n ? db->ents[id].rank : UINT32_MAX;
}

uint32_t sysdb_by_rank(const struct sysdb *db, uint32_t rank)
{
    return rank < db->n ? db->order[rank] : UINT32_MAX;
}

const char *sysdb_name(const struct sysdb *db, uint32_t id)
{
    return id < db->n ? db->ents[id].name : NULL;
}

const char *sysdb_name_len(const struct sysdb *db, uint32_t id, size_t *ret_len)
{
    *ret_len = id < db->n ? db->ents[id].len : 0;
    return id < db->n ? db->ents[id].name : NULL;
}

archmask_t sysdb_arches(const struct sysdb *db, uint32_t id)
{
    return id < db->n ? db->ents[id].mask : 0;
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the names of table t numbered from to from + count - 1 to db->known: 0 or -ENOMEM. */
static int gather_range(struct sysdb *db, uint32_t t, int from, int count)
{
    for (int nr = from; nr < from + count; nr++) {
        char *name = seccomp_syscall_resolve_num_arch(t, nr);
        if (name && strv_push(&db->known, &db->nknown, name) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Gathers the names of every table of arches[] into db->known, sorted, each once: the
 * numbers 0 to 1023 from each table's base (MIPS counts from 4000, 5000 or 6000, x32 from bit
 * 30), and ARM's own calls from 0xf0000 (cacheflush, set_tls). Once per db, at its first
 * unknown name (a few milliseconds). Without memory the list is what was gathered until then. */
static void gather_known(struct sysdb *db)
{
    db->known_tried = true;
    for (size_t a = 0; a < ELEMENTSOF(arches); a++) {
        uint32_t t = arches[a].token;
        int base = t == SCMP_ARCH_MIPS || t == SCMP_ARCH_MIPSEL             ? 4000
                   : t == SCMP_ARCH_MIPS64 || t == SCMP_ARCH_MIPSEL64       ? 5000
                   : t == SCMP_ARCH_MIPS64N32 || t == SCMP_ARCH_MIPSEL64N32 ? 6000
                   : t == SCMP_ARCH_X32                                     ? 0x40000000
                                                                            : 0;
        if (gather_range(db, t, base, 1024) < 0 ||
            (t == SCMP_ARCH_ARM && gather_range(db, t, 0xf0000, 16) < 0))
            break;
    }
    if (!db->nknown)
        return;
    qsort(db->known, db->nknown, sizeof(*db->known), cmp_strp);
    size_t k = 1;
    for (size_t i = 1; i < db->nknown; i++) {
        if (strcmp(db->known[i], db->known[k - 1]) == 0)
            free(db->known[i]);
        else
            db->known[k++] = db->known[i];
    }
    db->nknown = k;
}

const char *sysdb_nearest(struct sysdb *db, const char *name)
{
    if (!db->known_tried)
        gather_known(db);
    /* The kernel's own name of the call (sys_ptrace, as in its sources): the name without. */
    if (strncmp(name, "sys_", 4) == 0)
        for (size_t i = 0; i < db->nknown; i++)
            if (strcmp(db->known[i], name + 4) == 0)
                return db->known[i];
    return spell_nearest(name, (const char *const *)db->known, db->nknown);
}
