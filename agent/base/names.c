/* names.c - DNS-1123 names, "NS/NAME" split in two, and objects named in messages. */
#include "base/names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* [a-z0-9-]+, alphanumeric at both ends, of any length. */
static bool label_chars_valid(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (c != '-' || i == 0 || i == n - 1))
            return false;
    }
    return true;
}

bool dns_label_valid_n(const char *s, size_t n)
{
    return n <= NAMESPACE_MAX && label_chars_valid(s, n);
}

bool dns_label_valid(const char *s)
{
    return s && dns_label_valid_n(s, strlen(s));
}

bool dns_subdomain_valid_n(const char *s, size_t n)
{
    if (n == 0 || n > DNS_SUBDOMAIN_MAX)
        return false;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || s[i] == '.') {
            if (!label_chars_valid(s + start, i - start))
                return false;
            start = i + 1;
        }
    return true;
}

bool dns_subdomain_valid(const char *s)
{
    return s && dns_subdomain_valid_n(s, strlen(s));
}

int ns_name_split(const char *s, struct ns_name *ret)
{
    const char *slash = strchr(s, '/');
    if (!slash) {
        if (!*s)
            return -EINVAL;
        ret->ns[0] = '\0';
        ret->name = s;
        return 0;
    }
    size_t n = (size_t)(slash - s);
    if (n == 0 || n > NAMESPACE_MAX || !slash[1])
        return -EINVAL;
    memcpy(ret->ns, s, n);
    ret->ns[n] = '\0';
    ret->name = slash + 1;
    return 0;
}

bool kind_cluster_scoped(const char *kind)
{
    static const char *const kinds[] = {"Namespace",
                                        "Node",
                                        "PersistentVolume",
                                        "StorageClass",
                                        "CustomResourceDefinition",
                                        "PriorityClass",
                                        "RuntimeClass",
                                        "IngressClass",
                                        "CSIDriver",
                                        "APIService",
                                        "ValidatingWebhookConfiguration",
                                        "MutatingWebhookConfiguration",
                                        NULL};
    if (strncmp(kind, "Cluster", 7) == 0)
        return true;
    for (const char *const *k = kinds; *k; k++)
        if (strcmp(kind, *k) == 0)
            return true;
    return false;
}

void object_who(char *buf, size_t len, const char *kind, const char *ns, const char *name)
{
    if (!name)
        snprintf(buf, len, "%s", kind);
    else if (kind_cluster_scoped(kind))
        snprintf(buf, len, "%s %s", kind, name);
    else
        snprintf(buf, len, "%s %s/%s", kind, ns ? ns : "default", name);
}
