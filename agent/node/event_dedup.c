/* event_dedup.c - the set of Events told, keyed by pod, reason and message. */
#include "node/event_dedup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/strv.h"

void event_dedup_init(struct event_dedup *d)
{
    hmap_init(&d->told);
}

void event_dedup_clear(struct event_dedup *d)
{
    hmap_clear(&d->told, NULL);
}

char *event_key(const struct pod *pod, const char *reason, const char *message)
{
    char *key = NULL;
    int r = pod->uid ? asprintf(&key, "%s\t%s\t%s", pod->uid, reason, message)
                     : asprintf(&key, "%s/%s\t%s\t%s", pod->ns, pod->name, reason, message);
    return r < 0 ? NULL : key;
}

int event_dedup_add(struct event_dedup *d, const char *key)
{
    if (hmap_get(&d->told, key))
        return 0;
    int r = hmap_put(&d->told, key, (void *)1, NULL);
    return r < 0 ? r : 1;
}

bool event_dedup_has(const struct event_dedup *d, const char *key)
{
    return hmap_get(&d->told, key) != NULL;
}

void event_dedup_remove(struct event_dedup *d, const char *key)
{
    hmap_remove(&d->told, key);
}

/* True for the keys of the pod of uid ("uid\t..."). */
static bool of_pod(const char *key, void *value, void *uid)
{
    size_t ul = strlen(uid);
    return strncmp(key, uid, ul) == 0 && key[ul] == '\t';
}

void event_dedup_forget_pod(struct event_dedup *d, const char *uid)
{
    char **gone = NULL;
    size_t n = 0;
    if (!uid || hmap_keys(&d->told, of_pod, (void *)uid, &gone, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        hmap_remove(&d->told, gone[i]);
    strv_free(gone, n);
}
