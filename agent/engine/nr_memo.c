/* nr_memo.c - libseccomp's syscall numbers by name, remembered (nr_memo.h). */
#include "engine/nr_memo.h"

#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

/* A name (NUL-padded; name[0] 0: a free slot, since no syscall name is empty) and its numbers
 * on the architectures asked so far. */
struct nr_memo_entry {
    char name[NR_MEMO_NAME_MAX];
    uint8_t narch;
    uint32_t arch[NR_MEMO_ARCHES];
    int32_t nr[NR_MEMO_ARCHES];
    uint32_t hits; /* answers given from memory */
};

struct nr_memo {
    struct nr_memo_entry *slots; /* NR_MEMO_SLOTS, open addressing, linear probing */
    size_t count;
};

struct nr_memo *nr_memo_new(void)
{
    struct nr_memo *m = calloc(1, sizeof(*m));
    if (m && !(m->slots = calloc(NR_MEMO_SLOTS, sizeof(*m->slots)))) {
        free(m);
        m = NULL;
    }
    return m;
}

void nr_memo_free(struct nr_memo *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m);
}

/* Where a name's probe starts: its length, its first 8 bytes and its last 8, mixed (hashed a
 * byte at a time, the name took half the instructions libseccomp's lookup does). Names that
 * share all three share a probe, which the comparison tells apart. */
static size_t slot_of(const char *name, size_t len)
{
    uint64_t head = 0, tail = 0;
    memcpy(&head, name, len < 8 ? len : 8);
    if (len > 8)
        memcpy(&tail, name + len - 8, 8);
    uint64_t h = (head ^ (uint64_t)len << 56) * 0x9e3779b97f4a7c15ull;
    h = (h ^ tail) * 0xff51afd7ed558ccdull;
    return (size_t)(h >> 40) & (NR_MEMO_SLOTS - 1);
}

struct nr_memo_entry *nr_memo_entry(struct nr_memo *m, const char *name)
{
    if (!m || !name || !name[0])
        return NULL;
    size_t len = strnlen(name, NR_MEMO_NAME_MAX);
    if (len >= NR_MEMO_NAME_MAX)
        return NULL;
    size_t i = slot_of(name, len);
    /* Never full (NR_MEMO_MAX < NR_MEMO_SLOTS): a free slot ends every probe. */
    for (; m->slots[i].name[0]; i = (i + 1) & (NR_MEMO_SLOTS - 1)) {
        struct nr_memo_entry *e = &m->slots[i];
        if (memcmp(e->name, name, len) == 0 && e->name[len] == '\0')
            return e;
    }
    if (m->count >= NR_MEMO_MAX)
        return NULL;
    /* A name libseccomp does not know at all is not kept (its native lookup is the one that
     * says so: a native "unknown" is __NR_SCMP_ERROR, a call the architecture lacks a
     * negative pseudo number). Its answer is kept for the native token. */
    int native = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name);
    if (native == __NR_SCMP_ERROR)
        return NULL;
    struct nr_memo_entry *e = &m->slots[i];
    memcpy(e->name, name, len); /* the rest stays 0 (calloc) */
    e->arch[0] = SCMP_ARCH_NATIVE;
    e->nr[0] = native;
    e->narch = 1;
    m->count++;
    return e;
}

int nr_memo_entry_resolve(struct nr_memo_entry *e, uint32_t arch, const char *name)
{
    if (!e)
        return seccomp_syscall_resolve_name_arch(arch, name);
    for (unsigned a = 0; a < e->narch; a++)
        if (e->arch[a] == arch) {
            e->hits++;
            return e->nr[a];
        }
    int nr = seccomp_syscall_resolve_name_arch(arch, e->name);
    if (e->narch < NR_MEMO_ARCHES) {
        e->arch[e->narch] = arch;
        e->nr[e->narch++] = nr;
    }
    return nr;
}

int nr_memo_resolve(struct nr_memo *m, uint32_t arch, const char *name)
{
    return nr_memo_entry_resolve(nr_memo_entry(m, name), arch, name);
}

size_t nr_memo_count(const struct nr_memo *m)
{
    return m ? m->count : 0;
}

uint64_t nr_memo_hits(const struct nr_memo *m)
{
    uint64_t hits = 0;
    for (size_t i = 0; m && i < NR_MEMO_SLOTS; i++)
        hits += m->slots[i].hits;
    return hits;
}
