/* hmap.h - a string-keyed hash map (separate chaining) owning copies of its keys.
 *
 * Owns nothing but its buckets and key copies; values are the caller's. Iteration order is
 * unspecified: callers that need order sort.
 */
#ifndef KSCMP_HMAP_H
#define KSCMP_HMAP_H

#include <stdbool.h>
#include <stddef.h>

struct hmap_entry {
    struct hmap_entry *next;
    void *value;
    char key[];
};

struct hmap {
    struct hmap_entry **buckets;
    size_t nbuckets;
    size_t n;
};

void hmap_init(struct hmap *m);
/* Frees the map; calls free_value on every value when not NULL. */
void hmap_clear(struct hmap *m, void (*free_value)(void *));

void *hmap_get(const struct hmap *m, const char *key);
/* Sets key to value; the previous value (or NULL) is returned through *ret_old (may be NULL),
 * which is left alone on failure (-ENOMEM). */
int hmap_put(struct hmap *m, const char *key, void *value, void **ret_old);
/* The value under key, or a new zeroed one of size bytes (freed by whoever frees the map's
 * values) put under it; NULL without memory (the map unchanged). */
void *hmap_get_or_new(struct hmap *m, const char *key, size_t size);
/* The map's own copy of key (valid until key is removed or the map cleared), or NULL: a
 * value can name itself with it instead of a copy of its own. */
const char *hmap_key(const struct hmap *m, const char *key);
/* Removes key; returns its value or NULL. */
void *hmap_remove(struct hmap *m, const char *key);

/* Iteration: for (e = hmap_first(m, &it); e; e = hmap_next(m, &it)) */
struct hmap_iter {
    size_t bucket;
    struct hmap_entry *cur;
};
struct hmap_entry *hmap_first(const struct hmap *m, struct hmap_iter *it);
struct hmap_entry *hmap_next(const struct hmap *m, struct hmap_iter *it);

/* Copies of the keys for which keep(key, value, userdata) is true (every key when keep is
 * NULL), to go through while changing the map. *ret_keys (free it with strv_free()) and
 * *ret_n are written only on success; else -ENOMEM. */
int hmap_keys(const struct hmap *m, bool (*keep)(const char *key, void *value, void *userdata),
              void *userdata, char ***ret_keys, size_t *ret_n);

#endif
