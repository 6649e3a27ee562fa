/* import.h - existing seccomp profiles turned into kscmp policies (`kscmp import`).
 *
 * Owns: reading the three outside formats kscmp imports, and writing the SeccompPolicy YAML
 * that means the same:
 *   - OCI/Docker seccomp JSON: defaultAction, defaultErrnoRet, architectures or Docker's
 *     archMap, syscalls with name/names, action, errnoRet, args, and Docker's
 *     includes/excludes (caps, arches, minKernel) resolved for one container (struct
 *     import_opts says which architecture, kernel and capabilities);
 *   - Security Profiles Operator SeccompProfile objects (v1alpha1, v1beta1), Lists of them;
 *     baseProfileName becomes `extends` when the base is imported too, else (one object
 *     asked for, or inline_bases) the base's rules are inlined; the base must be among the
 *     inputs either way (SPO unions a profile with its bases: the profile's own default and
 *     architectures, the rules of both);
 *   - Inspektor Gadget's seccomp advisor output: "// CONTAINER" lines, each followed by one
 *     JSON profile.
 * A field kscmp cannot say (a notify listener, flags, an errno on the default other than
 * EPERM, ...) is an error naming the file, the object and the field; nothing is dropped
 * silently. Names that libseccomp does not know are dropped only where dropping is stricter
 * (the default then applies and is more restrictive), and the output says so.
 * Pure: parses memory and writes memory; the caller reads files and asks the system for its
 * kernel. Bounds: IMPORT_MAX_PROFILES profiles per set, IMPORT_MAX_RULES syscall entries per
 * profile, IMPORT_MAX_DEPTH bases per chain, and doc.h's bounds on every document.
 */
#ifndef KSCMP_IMPORT_H
#define KSCMP_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "engine/action.h"
#include "engine/arch.h"

#define IMPORT_MAX_PROFILES 10000
#define IMPORT_MAX_RULES 100000 /* (syscall, action, condition) entries in one profile */
#define IMPORT_MAX_DEPTH 32     /* baseProfileName chain, the profile itself included */

/* Linux capabilities by number (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40). */
typedef uint64_t capmask_t;

/* The bounding set of a default Docker or containerd container. */
capmask_t import_default_caps(void);

/* Parses "CAP_SYS_ADMIN", "sys_admin" or "ALL": 0 and *ret set, or -EINVAL. */
int import_cap_parse(const char *s, capmask_t *ret);

/* "CAP_CHOWN CAP_KILL ..." into buf; returns buf. */
const char *import_caps_text(capmask_t m, char *buf, size_t len);

struct import_opts {
    int arch;                            /* the node's architecture (arch.h index) */
    unsigned kernel_major, kernel_minor; /* for Docker's minKernel */
    capmask_t caps;                      /* for Docker's includes/excludes caps */
    const char *ns;                      /* -n: the namespace of every policy, or NULL */
    const char *name;                    /* --name: the name (OCI, advisor) or the object (SPO) */
    bool inline_bases;                   /* inline SPO base profiles even when imported too */
    const char *libseccomp_version;      /* for messages, may be NULL */
    struct sysdb *db;                    /* syscall names */
};

struct import_set;

int import_set_new(const struct import_opts *o, struct import_set **ret);
void import_set_free(struct import_set *s);

/* Reads every profile of buf (file names it in messages) into the set. On error nothing of
 * this buffer is kept and err names the file, the object and the field. */
int import_add(struct import_set *s, const char *buf, size_t len, const char *file,
               struct kerr *err);

/* Resolves bases and writes the policies as YAML (a stream of documents, in input order).
 * Warnings (names dropped, rules restated) are added to *warnings, one line each; the caller
 * frees the lines and the array. */
int import_render(struct import_set *s, char **ret_yaml, char ***warnings, size_t *nwarnings,
                  struct kerr *err);

#endif
