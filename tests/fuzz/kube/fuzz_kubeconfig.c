/* fuzz_kubeconfig.c - libFuzzer entry for kubeconfig files: the bytes go to kubeconfig_parse
 * (base_dir "/nonexistent", the current context, then the context named "fuzz").
 * Invariants checked: a failure says why and returns nothing; a success has an https:// server
 * without a trailing slash, at most one of data and file for the CA, the certificate and the
 * key, a certificate only with its key, absolute file paths; everything is freed (ASan).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kubeconfig.h"

#define FUZZ_MAX_INPUT (64 * 1024)

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_kubeconfig: invariant broken: %s\n", what);
        abort();
    }
}

static void check_path(const char *p)
{
    check(!p || p[0] == '/', "file paths are absolute");
}

static void parse_once(const uint8_t *data, size_t size, const char *context)
{
    struct kube_config *c = (struct kube_config *)&c; /* a sentinel: must stay on failure */
    struct kerr err = {0};
    int r = kubeconfig_parse((const char *)data, size, "fuzz.kubeconfig", "/nonexistent", context,
                             &c, &err);
    if (r < 0) {
        check(r == -ENOMEM || (err.code == r && *err.msg), "an error says why");
        check(c == (struct kube_config *)&c, "a failure returns nothing");
        return;
    }
    check(r == 0 && c != NULL, "success returns a config");
    check(c->server && strncmp(c->server, "https://", 8) == 0, "the server is https://");
    size_t sl = strlen(c->server);
    check(sl > 8 && c->server[sl - 1] != '/', "the server has a host and no trailing slash");
    check(!(c->ca_data && c->ca_file), "one CA");
    check(!(c->cert_data && c->cert_file), "one client certificate");
    check(!(c->key_data && c->key_file), "one client key");
    check(!!(c->cert_data || c->cert_file) == !!(c->key_data || c->key_file),
          "a certificate comes with its key");
    check_path(c->ca_file);
    check_path(c->cert_file);
    check_path(c->key_file);
    check_path(c->token_file);
    /* A context may name its namespace (kubectl kscmp's default scope): never an empty one. */
    check(c->namespace == NULL || *c->namespace, "a namespace, when set, is not empty");
    kube_config_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    parse_once(data, size, NULL);
    parse_once(data, size, "fuzz");
    return 0;
}
