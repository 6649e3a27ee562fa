/* kubeconfig.h - how to reach the API server: in-cluster, or a kubeconfig file.
 *
 * Owns: reading the service account's environment and files, and kubeconfig files (current
 * context → cluster and user: server, CA file or data, client certificate and key as files or
 * data, bearer token or token file). TLS is always verified: insecure-skip-tls-verify is
 * refused. Decoding is pure (kubeconfig_parse) so it can be unit-tested and fuzzed; loading
 * reads the files.
 */
#ifndef KSCMP_KUBECONFIG_H
#define KSCMP_KUBECONFIG_H

#include <stddef.h>

#include "base/cleanup.h"
#include "base/error.h"

struct kube_config {
    char *server;  /* https://host:port, no trailing slash */
    char *ca_file; /* one of ca_file, ca_data (PEM) */
    char *ca_data;
    char *cert_file; /* client certificate: file or PEM data */
    char *cert_data;
    char *key_file;
    char *key_data;
    char *token;      /* a bearer token given inline */
    char *token_file; /* or read from this file (re-read when it changes or after a 401) */
    char *namespace;  /* the context's namespace, or in-cluster the pod's own; may be NULL */
};

void kube_config_free(struct kube_config *c);
DEFINE_CLEANUP_FUNC(struct kube_config, kube_config_free)

/* A copy of c (every string duplicated), or NULL when out of memory. */
struct kube_config *kube_config_dup(const struct kube_config *c);

/* Decodes a kubeconfig document (YAML or JSON). base_dir resolves relative file paths.
 * context: NULL for current-context. */
int kubeconfig_parse(const char *buf, size_t len, const char *name, const char *base_dir,
                     const char *context, struct kube_config **ret, struct kerr *err);

/* In-cluster when KUBERNETES_SERVICE_HOST is set and the service account files exist;
 * else path, else $KUBECONFIG (first entry), else ~/.kube/config. */
int kube_config_load(const char *path, struct kube_config **ret, struct kerr *err);

/* The same with a context other than current-context (NULL: current-context); a context
 * always means a kubeconfig file, never the in-cluster configuration. */
int kube_config_load_context(const char *path, const char *context, struct kube_config **ret,
                             struct kerr *err);

/* Reads the token (from token_file when set) into *ret (caller frees); -ENOENT when the
 * config has none. */
int kube_config_token(const struct kube_config *c, char **ret, struct kerr *err);

#endif
