/* recording_status.h - a SeccompRecording's status: what every node adds, merged.
 *
 * Owns: the one status many agents write (README: recording in a cluster): the union of the
 * syscalls they saw, per architecture; one entry per node, written by that node's agent alone (pods
 * recorded, the pods being recorded now, what its recording may lack); podsSeen and nodesSeen
 * summed from the entries; the conditions Recording (True: pods are being recorded; False with
 * reason NoPods, Conflict or Invalid) and Complete (False when a node says it may have missed
 * calls); observedGeneration. A merge only adds to what the server holds, so merges by many
 * nodes in any order give one union, and a node whose view adds nothing writes nothing.
 * Pure: JSON in, JSON out.
 */
#ifndef KSCMP_RECORDING_STATUS_H
#define KSCMP_RECORDING_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "engine/model.h"
#include "engine/recording.h"

/* At most this many node entries (the CRD says the same). */
#define RECORDING_MAX_NODES 5000
/* At most this many active pods listed per node. */
#define RECORDING_MAX_ACTIVE 1024
/* The longest condition message (the CRD's maxLength: the API server refuses a longer one). */
#define RECORDING_MAX_MESSAGE 32768
/* The most a status may take, serialized (compact JSON), with RECORDING_ENTRY_RESERVE bytes
 * and the node's name counted once more per node entry for the API server's managedFields.
 * etcd refuses an object over 1.5 MiB (its --max-request-bytes): the other 0.5 MiB are left
 * for the metadata, the spec and the rest of managedFields. Past it the status is trimmed
 * (recording_status_merge): active lists first, then missed notes, then node entries, and
 * last the syscalls, the last two saying so in the Complete condition (reason TooLarge). */
#define RECORDING_MAX_STATUS_BYTES (1024 * 1024)
#define RECORDING_ENTRY_RESERVE 128
/* What a shortened missed note ends with. */
#define RECORDING_SHORTENED " [shortened: the status is at its size bound]"

/* A SeccompRecording as the API server gives it. */
struct recording_spec {
    char *ns, *name, *uid;
    char *created; /* metadata.creationTimestamp (RFC 3339: compares as a string) */
    int64_t generation;
    char *policy;             /* spec.policy */
    struct selector selector; /* spec.selector; omitted: present and empty (every pod) */
    char *error;              /* set when the spec cannot be used: why, naming the field */
};

void recording_spec_clear(struct recording_spec *s);

/* Decodes obj. Its identity (namespace, name) must be readable (else -EINVAL and err); a spec
 * that is not (a policy name that is not a DNS-1123 subdomain, an unknown field, a malformed
 * selector) sets ret->error instead, so that its status can say why. */
int recording_spec_decode(const json_t *obj, struct recording_spec *ret, struct kerr *err);

/* What every node computes alike about the recording itself. */
enum recording_state {
    RECORDING_VALID,
    RECORDING_INVALID,  /* its spec cannot be read (message says why) */
    RECORDING_CONFLICT, /* another recording of the namespace records the same policy */
};

/* What one node adds. */
struct recording_contribution {
    const char *node;
    bool has_entry;              /* false: the node has no entry to write (no pod seen) */
    const struct recorded *seen; /* its pods' syscalls (NULL: none) */
    int64_t pods;                /* pods recorded on the node */
    const char *const *active;   /* names of the pods being recorded now, sorted */
    size_t nactive;
    const char *missed; /* what its recording may lack, or NULL */
    const char *since;  /* RFC 3339: when recording began on the node, or NULL */
};

/* The status after adding c (trimmed to RECORDING_MAX_STATUS_BYTES: every node trims alike, so
 * a trimmed status merged again with the same contributions is the same status) (and the verdict
 * every node computes) to server (the status the server holds, NULL when none): *ret is a new
 * reference, *ret_changed tells whether it differs from server (only then is it written; the node's
 * lastUpdate moves only then). now is the RFC 3339 time for lastUpdate and lastTransitionTime. A
 * malformed part of server is dropped and named in *ret_warning (a new string, or NULL). */
int recording_status_merge(const json_t *server, const struct recording_contribution *c,
                           enum recording_state state, const char *state_message,
                           int64_t generation, const char *now, json_t **ret, bool *ret_changed,
                           char **ret_warning);

/* The union of the syscalls in a status (for `record show`); *ret written only on success. */
int recording_status_syscalls(const json_t *status, struct recorded **ret, struct kerr *err);

#endif
