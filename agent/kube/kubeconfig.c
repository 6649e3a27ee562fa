/* kubeconfig.c - in-cluster configuration and kubeconfig files. */
#include "kube/kubeconfig.h"

#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "engine/doc.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

void kube_config_free(struct kube_config *c)
{
    if (!c)
        return;
    free(c->server);
    free(c->ca_file);
    free(c->ca_data);
    free(c->cert_file);
    free(c->cert_data);
    free(c->key_file);
    /* Secrets are wiped before they go back to the heap: the private key and the token. */
    if (c->key_data)
        explicit_bzero(c->key_data, strlen(c->key_data));
    free(c->key_data);
    if (c->token)
        explicit_bzero(c->token, strlen(c->token));
    free(c->token);
    free(c->token_file);
    free(c->namespace);
    free(c);
}

struct kube_config *kube_config_dup(const struct kube_config *c)
{
    _cleanup_(kube_config_freep) struct kube_config *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    const char *const from[] = {c->server,   c->ca_file,  c->ca_data, c->cert_file,  c->cert_data,
                                c->key_file, c->key_data, c->token,   c->token_file, c->namespace};
    char **const to[] = {&d->server,   &d->ca_file,  &d->ca_data, &d->cert_file,  &d->cert_data,
                         &d->key_file, &d->key_data, &d->token,   &d->token_file, &d->namespace};
    _Static_assert(sizeof(from) / sizeof(*from) == sizeof(to) / sizeof(*to), "every field");
    _Static_assert(sizeof(struct kube_config) == sizeof(from) / sizeof(*from) * sizeof(char *),
                   "a field of struct kube_config that the copy does not name");
    for (size_t i = 0; i < sizeof(from) / sizeof(*from); i++)
        if (from[i] && !(*to[i] = strdup(from[i])))
            return NULL;
    return TAKE_PTR(d);
}

static const char *str_of(const struct ynode *n)
{
    return n && n->kind == YN_SCALAR && n->stype == YS_STR ? n->str : NULL;
}

/* The entry of list (clusters, users, contexts) whose name is name: its inner mapping. */
static const struct ynode *named(const struct ynode *doc, const char *list, const char *inner,
                                 const char *name)
{
    const struct ynode *l = ynode_get(doc, list);
    if (!l || l->kind != YN_SEQ)
        return NULL;
    for (size_t i = 0; i < l->n; i++) {
        const char *n = str_of(ynode_get(l->items[i], "name"));
        if (n && strcmp(n, name) == 0)
            return ynode_get(l->items[i], inner);
    }
    return NULL;
}

static int b64_decode(const char *in, char **ret)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t len = strlen(in);
    char *out = malloc(len / 4 * 3 + 4);
    if (!out)
        return -ENOMEM;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = in[i];
        if (ch == '=' || ch == '\n' || ch == '\r' || ch == ' ')
            continue;
        const char *p = memchr(tbl, ch, 64);
        if (!p || ch == '\0') {
            free(out);
            return -EINVAL;
        }
        acc = (acc << 6) | (uint32_t)(p - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    *ret = out;
    return 0;
}

/* The string under key, NULL when absent or null; anything else (token: 12345, a list) is an
 * error rather than a credential silently dropped. */
static int string_field(const struct ynode *m, const char *key, const char *what, const char *name,
                        const char *obj, const char **ret, struct kerr *err)
{
    const struct ynode *v = ynode_get(m, key);
    if (!v || (v->kind == YN_SCALAR && v->stype == YS_NULL)) {
        *ret = NULL;
        return 0;
    }
    if (!str_of(v))
        return kerr_set(err, -EINVAL, "%s: %s \"%s\": %s must be a string", name, what, obj, key);
    *ret = v->str;
    return 0;
}

/* A path from the kubeconfig, relative to its folder. */
static int resolve(const char *base_dir, const char *p, char **ret)
{
    if (p[0] == '/' || !base_dir)
        *ret = strdup(p);
    else if (asprintf(ret, "%s/%s", base_dir, p) < 0)
        *ret = NULL;
    return *ret ? 0 : -ENOMEM;
}

static int take_data_or_file(const struct ynode *m, const char *data_key, const char *file_key,
                             const char *base_dir, const char *what, const char *name,
                             char **ret_data, char **ret_file, struct kerr *err)
{
    const struct ynode *d = ynode_get(m, data_key), *f = ynode_get(m, file_key);
    if (d) {
        if (!str_of(d))
            return kerr_set(err, -EINVAL, "%s: %s: %s must be a string", name, what, data_key);
        int r = b64_decode(d->str, ret_data);
        if (r == -EINVAL)
            return kerr_set(err, r, "%s: %s: %s is not base64", name, what, data_key);
        return r;
    }
    if (f) {
        if (!str_of(f))
            return kerr_set(err, -EINVAL, "%s: %s: %s must be a string", name, what, file_key);
        return resolve(base_dir, f->str, ret_file);
    }
    return 0;
}

/* The first document of the file is the kubeconfig; the others are read (a syntax error
 * anywhere is one) and freed at once. */
static int keep_first(struct ynode *doc, void *userdata)
{
    struct ynode **first = userdata;
    if (*first)
        ynode_free(doc);
    else
        *first = doc;
    return 0;
}

int kubeconfig_parse(const char *buf, size_t len, const char *name, const char *base_dir,
                     const char *context, struct kube_config **ret, struct kerr *err)
{
    _cleanup_(ynode_freep) struct ynode *doc = NULL;
    int r = ydoc_parse_yaml_each(buf, len, name, keep_first, NULL, &doc, err);
    if (r < 0)
        return r;
    _cleanup_(kube_config_freep) struct kube_config *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    const char *ctx_name = context ? context : str_of(ynode_get(doc, "current-context"));
    const struct ynode *ctx = NULL, *cluster = NULL, *user = NULL;
    if (!doc || doc->kind != YN_MAP)
        return kerr_set(err, -EINVAL,
                        "%s: not a kubeconfig (a mapping with clusters, users and "
                        "contexts)",
                        name);
    if (!ctx_name)
        return kerr_set(err, -EINVAL, "%s: current-context is not set", name);
    ctx = named(doc, "contexts", "context", ctx_name);
    if (!ctx)
        return kerr_set(err, -EINVAL, "%s: contexts: no context \"%s\"", name, ctx_name);
    const char *ctx_ns = str_of(ynode_get(ctx, "namespace"));
    if (ctx_ns && *ctx_ns && !(c->namespace = strdup(ctx_ns)))
        return -ENOMEM;
    const char *cl = str_of(ynode_get(ctx, "cluster")), *us = str_of(ynode_get(ctx, "user"));
    cluster = cl ? named(doc, "clusters", "cluster", cl) : NULL;
    if (!cluster)
        return kerr_set(err, -EINVAL, "%s: context \"%s\": no cluster \"%s\"", name, ctx_name,
                        cl ? cl : "");
    const char *server = str_of(ynode_get(cluster, "server"));
    if (!server || strncmp(server, "https://", 8) != 0 || server[8] == '\0' || server[8] == '/')
        return kerr_set(err, -EINVAL,
                        "%s: cluster \"%s\": server must be an https:// URL (kscmp always verifies "
                        "TLS)",
                        name, cl);
    /* Anything but false or null ("True", "yes", a quoted "true", a list) is refused. */
    const struct ynode *insecure = ynode_get(cluster, "insecure-skip-tls-verify");
    if (insecure && !(insecure->kind == YN_SCALAR &&
                      (insecure->stype == YS_NULL || strcasecmp(insecure->str, "false") == 0)))
        return kerr_set(err, -EINVAL,
                        "%s: cluster \"%s\": insecure-skip-tls-verify is refused: kscmp always "
                        "verifies the API server's certificate",
                        name, cl);
    c->server = strdup(server);
    if (!c->server)
        return -ENOMEM;
    size_t sl = strlen(c->server);
    while (sl > 8 && c->server[sl - 1] == '/')
        c->server[--sl] = '\0';
    r = take_data_or_file(cluster, "certificate-authority-data", "certificate-authority", base_dir,
                          "cluster", name, &c->ca_data, &c->ca_file, err);
    if (r < 0)
        return r;
    user = us ? named(doc, "users", "user", us) : NULL;
    if (us && !user)
        return kerr_set(err, -EINVAL, "%s: context \"%s\": no user \"%s\"", name, ctx_name, us);
    if (user) {
        if ((r = take_data_or_file(user, "client-certificate-data", "client-certificate", base_dir,
                                   "user", name, &c->cert_data, &c->cert_file, err)) < 0 ||
            (r = take_data_or_file(user, "client-key-data", "client-key", base_dir, "user", name,
                                   &c->key_data, &c->key_file, err)) < 0)
            return r;
        const char *tok = NULL, *tokf = NULL;
        if ((r = string_field(user, "token", "user", name, us, &tok, err)) < 0 ||
            (r = string_field(user, "tokenFile", "user", name, us, &tokf, err)) < 0)
            return r;
        if (tok && !(c->token = strdup(tok)))
            return -ENOMEM;
        if (tokf && (r = resolve(base_dir, tokf, &c->token_file)) < 0)
            return r;
        if (ynode_get(user, "exec") || ynode_get(user, "auth-provider")) {
            if (!tok && !tokf && !c->cert_data && !c->cert_file) {
                r = kerr_set(err, -ENOTSUP,
                             "%s: user \"%s\": exec and auth-provider plugins are not supported; "
                             "use a token, a token file or a client certificate",
                             name, us);
                return r;
            }
        }
        if (!!(c->cert_data || c->cert_file) != !!(c->key_data || c->key_file))
            return kerr_set(err, -EINVAL, "%s: user \"%s\": a client certificate needs its key",
                            name, us);
    }
    *ret = TAKE_PTR(c);
    return 0;
}

/* The service account's own configuration, inside a pod. */
static int in_cluster(struct kube_config **ret)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    struct kube_config *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    bool v6 = strchr(host, ':') != NULL;
    if (asprintf(&c->server, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
                 port && *port ? port : "443") < 0)
        c->server = NULL;
    c->ca_file = strdup(SA_DIR "/ca.crt");
    c->token_file = strdup(SA_DIR "/token");
    if (!c->server || !c->ca_file || !c->token_file) {
        kube_config_free(c);
        return -ENOMEM;
    }
    char *ns = NULL;
    size_t len;
    if (read_file_all(SA_DIR "/namespace", 4096, &ns, &len, NULL) == 0) {
        ns[strcspn(ns, "\r\n")] = '\0';
        c->namespace = ns;
    }
    *ret = c;
    return 0;
}

int kube_config_load(const char *path, struct kube_config **ret, struct kerr *err)
{
    return kube_config_load_context(path, NULL, ret, err);
}

/* r, with "kubeconfig: " before the message err holds for it (the file's name alone does not
 * say what it was read as). */
static int wrap_error(int r, struct kerr *err)
{
    if (err && err->code == r && err->msg[0])
        kerr_wrap(err, "kubeconfig");
    return r;
}

int kube_config_load_context(const char *path, const char *context, struct kube_config **ret,
                             struct kerr *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    if (!path && !context && host && *host && access(SA_DIR "/token", R_OK) == 0)
        return in_cluster(ret);
    const char *kc = getenv("KUBECONFIG");
    if (kc)
        kc += strspn(kc, ":"); /* empty entries are skipped */
    _cleanup_free_ char *chosen = NULL;
    if (path)
        chosen = strdup(path);
    else if (kc && *kc)
        chosen = strndup(kc, strcspn(kc, ":"));
    else if (getenv("HOME") && asprintf(&chosen, "%s/.kube/config", getenv("HOME")) < 0)
        chosen = NULL;
    if (!chosen)
        return kerr_set(err, -ENOENT,
                        "no kubeconfig: not in a cluster, and neither "
                        "--kubeconfig, $KUBECONFIG nor ~/.kube/config");
    _cleanup_free_ char *buf = NULL;
    size_t len;
    int r = read_file_all(chosen, 4u * 1024 * 1024, &buf, &len, err);
    if (r == -ENOENT && !path && !(kc && *kc))
        /* The last place looked in: say that the others were looked for too. */
        return kerr_set(err, r,
                        "no kubeconfig: not in a cluster (no service account token), neither "
                        "--kubeconfig nor $KUBECONFIG given, and no %s",
                        chosen);
    if (r < 0)
        return wrap_error(r, err);
    _cleanup_free_ char *dir_copy = strdup(chosen);
    if (!dir_copy)
        return -ENOMEM;
    r = kubeconfig_parse(buf, len, chosen, dirname(dir_copy), context, ret, err);
    return r < 0 ? wrap_error(r, err) : r;
}

int kube_config_token(const struct kube_config *c, char **ret, struct kerr *err)
{
    if (c->token_file) {
        char *t = NULL;
        size_t len;
        int r = read_file_all(c->token_file, 64 * 1024, &t, &len, err);
        if (r < 0)
            return r;
        while (len && (t[len - 1] == '\n' || t[len - 1] == '\r' || t[len - 1] == ' '))
            t[--len] = '\0';
        *ret = t;
        return 0;
    }
    if (c->token) {
        *ret = strdup(c->token);
        return *ret ? 0 : -ENOMEM;
    }
    return -ENOENT;
}
