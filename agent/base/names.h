/* names.h - Kubernetes object names as the agent meets them.
 *
 * Owns: the split of "NS/NAME" (a namespaced object, or a profile "NS/NAME.json") into its
 * two parts, without allocation, so that no module splits it by hand.
 */
#ifndef KSCMP_NAMES_H
#define KSCMP_NAMES_H

#include <stddef.h>

/* The longest namespace: a DNS-1123 label. */
#define NAMESPACE_MAX 63

/* "NS/NAME" split in two; a string without '/' is a cluster-scoped NAME. */
struct ns_name {
    char ns[NAMESPACE_MAX + 1]; /* "" for a cluster-scoped name */
    const char *name;           /* points into the string split */
};

/* Splits s at its first '/' into *ret. -EINVAL (and *ret untouched) when the part before the
 * '/' is empty or longer than NAMESPACE_MAX, or the part after it is empty. */
int ns_name_split(const char *s, struct ns_name *ret);

/* The namespace, or NULL for a cluster-scoped name. */
static inline const char *ns_name_ns(const struct ns_name *n)
{
    return n->ns[0] ? n->ns : NULL;
}

#endif
