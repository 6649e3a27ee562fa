/* hmap.c - string-keyed hash map. */
#include "base/hmap.h"

#include "base/hash.h"
#include "base/strv.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
    uint64_t h = fnv1a64_str(s);
    return h ^ (h >> 29); /* the low bits pick the bucket: fold the high ones in */
}

void hmap_init(struct hmap *m)
{
    memset(m, 0, sizeof(*m));
}

void hmap_clear(struct hmap *m, void (*free_value)(void *))
{
    for (size_t b = 0; b < m->nbuckets; b++)
        for (struct hmap_entry *e = m->buckets[b], *next; e; e = next) {
            next = e->next;
            if (free_value)
                free_value(e->value);
            free(e);
        }
    free(m->buckets);
    hmap_init(m);
}

static struct hmap_entry **find(const struct hmap *m, const char *key)
{
    if (!m->nbuckets)
        return NULL;
    struct hmap_entry **pe = &m->buckets[hash(key) & (m->nbuckets - 1)];
    for (; *pe; pe = &(*pe)->next)
        if (strcmp((*pe)->key, key) == 0)
            return pe;
    return pe;
}

void *hmap_get(const struct hmap *m, const char *key)
{
    struct hmap_entry **pe = find(m, key);
    return pe && *pe ? (*pe)->value : NULL;
}

const char *hmap_key(const struct hmap *m, const char *key)
{
    struct hmap_entry **pe = find(m, key);
    return pe && *pe ? (*pe)->key : NULL;
}

static int grow(struct hmap *m)
{
    size_t nb = m->nbuckets ? m->nbuckets * 2 : 64;
    struct hmap_entry **b = calloc(nb, sizeof(*b));
    if (!b)
        return -ENOMEM;
    for (size_t i = 0; i < m->nbuckets; i++)
        for (struct hmap_entry *e = m->buckets[i], *next; e; e = next) {
            next = e->next;
            size_t k = hash(e->key) & (nb - 1);
            e->next = b[k];
            b[k] = e;
        }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
    return 0;
}

int hmap_put(struct hmap *m, const char *key, void *value, void **ret_old)
{
    struct hmap_entry **pe = find(m, key);
    if (pe && *pe) {
        if (ret_old)
            *ret_old = (*pe)->value;
        (*pe)->value = value;
        return 0;
    }
    if (m->n + 1 > m->nbuckets) {
        int r = grow(m);
        if (r < 0)
            return r;
        pe = find(m, key);
    }
    size_t kl = strlen(key);
    struct hmap_entry *e = malloc(sizeof(*e) + kl + 1);
    if (!e)
        return -ENOMEM;
    memcpy(e->key, key, kl + 1);
    e->value = value;
    e->next = NULL;
    *pe = e;
    m->n++;
    if (ret_old)
        *ret_old = NULL;
    return 0;
}

void *hmap_get_or_new(struct hmap *m, const char *key, size_t size)
{
    void *v = hmap_get(m, key);
    if (v)
        return v;
    v = calloc(1, size);
    if (!v || hmap_put(m, key, v, NULL) < 0) {
        free(v);
        return NULL;
    }
    return v;
}

void *hmap_remove(struct hmap *m, const char *key)
{
    struct hmap_entry **pe = find(m, key);
    if (!pe || !*pe)
        return NULL;
    struct hmap_entry *e = *pe;
    void *v = e->value;
    *pe = e->next;
    free(e);
    m->n--;
    return v;
}

struct hmap_entry *hmap_first(const struct hmap *m, struct hmap_iter *it)
{
    it->bucket = 0;
    it->cur = NULL;
    return hmap_next(m, it);
}

struct hmap_entry *hmap_next(const struct hmap *m, struct hmap_iter *it)
{
    if (it->cur && it->cur->next) {
        it->cur = it->cur->next;
        return it->cur;
    }
    size_t start = it->cur ? it->bucket + 1 : it->bucket;
    for (size_t b = start; b < m->nbuckets; b++)
        if (m->buckets[b]) {
            it->bucket = b;
            it->cur = m->buckets[b];
            return it->cur;
        }
    it->cur = NULL;
    it->bucket = m->nbuckets;
    return NULL;
}

int hmap_keys(const struct hmap *m, bool (*keep)(const char *key, void *value, void *userdata),
              void *userdata, char ***ret_keys, size_t *ret_n)
{
    char **keys = calloc(m->n + 1, sizeof(*keys));
    if (!keys)
        return -ENOMEM;
    size_t n = 0;
    struct hmap_iter it;
    for (struct hmap_entry *e = hmap_first(m, &it); e; e = hmap_next(m, &it)) {
        if (keep && !keep(e->key, e->value, userdata))
            continue;
        if (!(keys[n] = strdup(e->key))) {
            strv_free(keys, n);
            return -ENOMEM;
        }
        n++;
    }
    *ret_keys = keys;
    *ret_n = n;
    return 0;
}
