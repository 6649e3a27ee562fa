/* object_record.h - what the Kubernetes source remembers of each object it read.
 *
 * Owns: the record a reflector holds per object for the Kubernetes source: the generation
 * and uid (a policy whose generation and uid are unchanged moved only its status or
 * metadata: nothing to compile), and for policies the status the server holds, the
 * resourceVersion it was read at (a status patch is conditional on it), the condition last
 * computed for it and what its failed status patches leave (policy_status.h).
 */
#ifndef KSCMP_OBJECT_RECORD_H
#define KSCMP_OBJECT_RECORD_H

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/status_retry.h"

enum policy_condition {
    COND_UNKNOWN = -1, /* not computed since the policy last changed */
    COND_VALID,
    COND_INVALID,
    COND_CONFLICT,
    COND__COUNT
};

struct object_record {
    int64_t generation;
    char *uid;
    json_t *status;                  /* policies: the status the server holds, as far as known */
    char *rv;                        /* policies: the resourceVersion that status was read at */
    enum policy_condition condition; /* policies */
    struct status_retry *retry;      /* policies: after a failed status patch, else NULL */
};

/* Sets rec->rv to a copy of rv (NULL: none; out of memory: none, so the next status patch is
 * sent without the precondition rather than with a stale one). */
static inline void object_record_set_rv(struct object_record *rec, const char *rv)
{
    free(rec->rv);
    rec->rv = rv ? strdup(rv) : NULL;
}

/* Frees a record (a void * for reflector_ops.free_record). */
static inline void object_record_free(void *v)
{
    struct object_record *rec = v;
    if (!rec)
        return;
    free(rec->uid);
    free(rec->rv);
    json_decref(rec->status);
    status_retry_free(&rec->retry);
    free(rec);
}

#endif
