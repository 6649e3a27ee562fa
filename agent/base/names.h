/* names.h - Kubernetes object names as the agent meets them.
 *
 * Owns: the DNS-1123 checks Kubernetes makes of names (a namespace is a label, an object's
 * name a subdomain), and the split of "NS/NAME" (a namespaced object, or a profile
 * "NS/NAME.json") into its two parts, without allocation, so that no module splits it by hand.
 * Which kinds have no namespace, and how messages name an object ("KIND NS/NAME").
 */
#ifndef KSCMP_NAMES_H
#define KSCMP_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* The longest namespace: a DNS-1123 label. */
#define NAMESPACE_MAX 63
/* The longest object name: a DNS-1123 subdomain. */
#define DNS_SUBDOMAIN_MAX 253

/* A DNS-1123 label: [a-z0-9-], alphanumeric at both ends, 1 to 63 characters. The _n forms
 * read n bytes of s. */
bool dns_label_valid(const char *s);
bool dns_label_valid_n(const char *s, size_t n);
/* A DNS-1123 subdomain: such labels joined by '.', 1 to 253 characters in all (as
 * Kubernetes checks it, no label of it is limited to 63). */
bool dns_subdomain_valid(const char *s);
bool dns_subdomain_valid_n(const char *s, size_t n);

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

/* Whether objects of kind have no namespace: any kind named Cluster... (ClusterSeccompPolicy,
 * ClusterRole) and the others kscmp may meet in a manifest (Namespace, Node, ...). */
bool kind_cluster_scoped(const char *kind);

/* Who an object is in messages: "KIND NAMESPACE/NAME", the namespace "default" when ns is NULL,
 * as kubectl takes it; "KIND NAME" for a cluster-scoped kind (ns not looked at); "KIND" when
 * name is NULL. The caller bounds what it passes; buf is cut at len as snprintf() cuts. */
void object_who(char *buf, size_t len, const char *kind, const char *ns, const char *name);

#endif
