/* decode.h - from a document tree (doc.h) to the object model (model.h).
 *
 * Owns: the accepted manifest shapes (docs/policies.md), strict decoding of policy specs
 * (unknown fields are errors, as kubectl's strict decoding), and messages of the form
 *   FILE:LINE: KIND NS/NAME: FIELD: problem
 * Pure: no I/O. Syscall names are checked by the engine, which knows the architectures.
 */
#ifndef KSCMP_DECODE_H
#define KSCMP_DECODE_H

#include "base/error.h"
#include "engine/model.h"
#include "engine/doc.h"

enum object_type { OBJ_NONE, OBJ_POLICY, OBJ_POD, OBJ_NAMESPACE };

struct object {
    enum object_type type;
    struct policy *policy;
    struct pod *pod;
    struct k8s_namespace *ns;
};

void object_clear(struct object *o);

/* Decodes one object.
 * - A policy whose identity (kind, namespace, name) is readable but whose content is not
 *   comes back as OBJ_POLICY with policy->error set (so the caller can mark it invalid).
 * - Anything else malformed: a negative errno and err.
 * - A kind kscmp does not read: OBJ_NONE and 0.
 * file names the source in messages (may be "" for objects from the API server). A Pod of a
 * file is also held to what the API server checks of it and kscmp reads (seccompProfile.type). */
int decode_object(const struct ynode *doc, const char *file, struct object *ret, struct kerr *err);

/* Calls cb for every object of the documents (a `kind: List` is opened up), OBJ_NONE
 * ones included (ret->type tells). cb takes ownership of the object's pointers and should
 * clear them. Stops at the first error, from decode or cb. */
int decode_documents(struct ynode *const *docs, size_t n, const char *file,
                     int (*cb)(struct object *o, void *userdata), void *userdata, struct kerr *err);

/* Decodes a Kubernetes LabelSelector at field of who ("SeccompRecording demo/rec"), as the
 * policies' selectors are (for the other kinds that carry one). Omitted: present false. */
int decode_label_selector(const struct ynode *n, const char *file, const char *who,
                          const char *field, struct selector *ret, struct kerr *err);

#endif
