/* reflector.h - one kind of object read from the API server: listed, then watched.
 *
 * Owns: the list-then-watch loop of one resource: paged lists (continue tokens), the
 * resource version a watch resumes from, bookmarks, watch timeouts spread at random,
 * 410 Gone → list again, other failures → backoff with jitter (every failure to start a list
 * or a watch included: no kind is left unwatched), a 404 that never drops what is known (the
 * API server may be starting), an optional kind the server does not serve (its CRD not
 * installed, as its /readyz confirms: looked for again every minute), and the key of every object
 * it holds, so that what a new list no longer holds is reported gone. What an object means
 * is its owner's: the reflector hands each added, changed or removed object to the owner's
 * callbacks and keeps, per key, the record the owner gives back.
 */
#ifndef KSCMP_REFLECTOR_H
#define KSCMP_REFLECTOR_H

#include <jansson.h>
#include <stdbool.h>

#include "base/evloop.h"
#include "base/hmap.h"
#include "base/metrics.h"
#include "kube/transport.h"
#include "kube/json_prune.h"

struct reflector;

struct reflector_kind {
    const char *api_path;          /* "/api/v1", "/apis/kscmp.io/v1" */
    const char *resource;          /* "pods", "seccomppolicies": paths and logs */
    const char *api_version;       /* put into list items, which come without it */
    const char *kind;              /* likewise; "Pod", "SeccompPolicy" */
    bool optional;                 /* its CRD may not be installed: a 404 while the API server is
                                      ready means no objects (else 404 is waited out) */
    unsigned page;                 /* objects per list page at most (0: 500); halved when a page
                                      does not fit in the size a list answer may have, doubled
                                      after a small one; a list starts with the page that fitted
                                      the last one */
    const struct prune_rule *keep; /* what of an object is kept (json_prune.h; NULL: all) */
};

struct reflector_ops {
    /* An object was added or modified (a list item or a watch event). key is "ns/name" or
     * "name"; *record is the owner's record of it, NULL when new, and the owner may set or
     * replace it; the reflector holds a key only while its record is not NULL. Returns 1 when
     * anything changed, 0 when not (an object the owner ignores included), or a negative errno
     * when it could not take the object in (out of memory): the list or watch is then tried
     * again. */
    int (*apply)(struct reflector *r, const char *key, json_t *obj, void **record, void *userdata);
    /* The object of key is gone (deleted, missing from a new list, or its kind no longer
     * served); the owner frees record. */
    void (*remove)(struct reflector *r, const char *key, void *record, void *userdata);
    /* Frees a record when the reflector is freed. */
    void (*free_record)(void *record);
    /* Objects changed (an apply returned true, or one was removed). */
    void (*changed)(struct reflector *r, void *userdata);
    /* A complete list is in (or the kind turned out not to be served). */
    void (*listed)(struct reflector *r, void *userdata);
};

/* query ("&fieldSelector=...", may be NULL) is added to every list and watch. t, l, m and kind
 * stay the caller's and must outlive the reflector. */
int reflector_new(const struct kube_transport *t, struct evloop *l, struct metrics *m,
                  const struct reflector_kind *kind, const char *query,
                  const struct reflector_ops *ops, void *userdata, struct reflector **ret);
/* Frees every record with ops->free_record; cancels the request in flight. */
void reflector_free(struct reflector *r);

/* Starts a list (again, from the first page: SIGHUP); nothing once turned off. */
void reflector_list(struct reflector *r);

/* The kind is never asked for: synced, holding nothing (before the first list). */
void reflector_turn_off(struct reflector *r);

const struct reflector_kind *reflector_kind(const struct reflector *r);
/* True once a first complete list is in (or the kind is not served). */
bool reflector_synced(const struct reflector *r);
/* The owner's record of key, or NULL. */
void *reflector_record(const struct reflector *r, const char *key);
/* Every key held, with its record as value: iterate, do not change. */
const struct hmap *reflector_records(const struct reflector *r);

#endif
