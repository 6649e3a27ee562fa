/* test_kubeconfig.c - how the agent finds the API server: kubeconfig documents decoded
 * (contexts, CA and client certificates as data or files, tokens, and the errors that name the
 * field), files found through --kubeconfig, $KUBECONFIG and ~/.kube/config, and token files
 * re-read when they change.
 *
 * In-cluster mode needs /var/run/secrets/kubernetes.io/serviceaccount/token; the tests never
 * create it and only check that without it a kubeconfig is used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "kube/kubeconfig.h"

#define NAME "test.kubeconfig"
#define BASE "/etc/kscmp-test"
#define SA_TOKEN "/var/run/secrets/kubernetes.io/serviceaccount/token"

/* PEM blocks and their base64. */
#define CA_PEM "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
#define CERT_PEM "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n"
#define CERT_B64                                                                                   \
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNMSUVOVAotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg=="
#define KEY_PEM "-----BEGIN EC PRIVATE KEY-----\nKEY\n-----END EC PRIVATE KEY-----\n"
#define KEY_B64                                                                                    \
    "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCktFWQotLS0tLUVORCBFQyBQUklWQVRFIEtFWS0tLS0tCg=="

/* A kubeconfig with one cluster "c", one user "u" and the current context "a" joining them;
 * CLUSTER and USER are the inside of their flow mappings. */
#define KC(CLUSTER, USER)                                                                          \
    "apiVersion: v1\nkind: Config\ncurrent-context: a\n"                                           \
    "clusters: [{name: c, cluster: {" CLUSTER "}}]\n"                                              \
    "contexts: [{name: a, context: {cluster: c, user: u}}]\n"                                      \
    "users: [{name: u, user: {" USER "}}]\n"
#define SERVER "server: 'https://k8s.example:6443'"
#define URL "https://k8s.example:6443"

/* Two clusters, two users, two contexts; current-context is a. */
#define TWO_CONTEXTS                                                                               \
    "current-context: a\n"                                                                         \
    "clusters:\n"                                                                                  \
    "- name: c\n"                                                                                  \
    "  cluster: {server: 'https://one.example'}\n"                                                 \
    "- name: c2\n"                                                                                 \
    "  cluster:\n"                                                                                 \
    "    server: https://two.example:443/\n"                                                       \
    "    certificate-authority: two/ca.crt\n"                                                      \
    "contexts:\n"                                                                                  \
    "- name: a\n"                                                                                  \
    "  context: {cluster: c, user: u}\n"                                                           \
    "- name: b\n"                                                                                  \
    "  context: {cluster: c2, user: u2, namespace: kube-system}\n"                                 \
    "users:\n"                                                                                     \
    "- name: u\n"                                                                                  \
    "  user: {token: one-token}\n"                                                                 \
    "- name: u2\n"                                                                                 \
    "  user: {token: two-token}\n"

/* ---- kubeconfig_parse: a table ----------------------------------------------------------- */

struct parse_case {
    const char *name;
    const char *doc;
    const char *context; /* NULL: current-context */
    int r;
    const char *msg;         /* r < 0: a part of the message */
    struct kube_config want; /* r == 0: every field; NULL ones must be NULL */
};

static const struct parse_case parse_cases[] = {
    /* ---- accepted ---- */
    {"data, current context",
     KC(SERVER ", certificate-authority-data: " CA_B64,
        "client-certificate-data: " CERT_B64 ", client-key-data: " KEY_B64),
     NULL,
     0,
     NULL,
     {.server = URL, .ca_data = CA_PEM, .cert_data = CERT_PEM, .key_data = KEY_PEM}},
    {"files relative to the kubeconfig's folder",
     KC(SERVER ", certificate-authority: ca.crt",
        "client-certificate: certs/client.crt, client-key: ../keys/client.key"),
     NULL,
     0,
     NULL,
     {.server = URL,
      .ca_file = BASE "/ca.crt",
      .cert_file = BASE "/certs/client.crt",
      .key_file = BASE "/../keys/client.key"}},
    {"absolute files kept",
     KC(SERVER ", certificate-authority: /etc/ssl/ca.pem",
        "client-certificate: /pki/c.crt, client-key-data: " KEY_B64),
     NULL,
     0,
     NULL,
     {.server = URL, .ca_file = "/etc/ssl/ca.pem", .cert_file = "/pki/c.crt", .key_data = KEY_PEM}},
    {"data wins over file",
     KC(SERVER ", certificate-authority: ca.crt, "
               "certificate-authority-data: " CA_B64,
        "token: t"),
     NULL,
     0,
     NULL,
     {.server = URL, .ca_data = CA_PEM, .token = "t"}},
    {"token",
     KC(SERVER, "token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"),
     NULL,
     0,
     NULL,
     {.server = URL, .token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}},
    {"tokenFile relative",
     KC(SERVER, "tokenFile: tokens/agent"),
     NULL,
     0,
     NULL,
     {.server = URL, .token_file = BASE "/tokens/agent"}},
    {"tokenFile absolute",
     KC(SERVER, "tokenFile: /run/token"),
     NULL,
     0,
     NULL,
     {.server = URL, .token_file = "/run/token"}},
    {"token and tokenFile",
     KC(SERVER, "token: inline, tokenFile: t"),
     NULL,
     0,
     NULL,
     {.server = URL, .token = "inline", .token_file = BASE "/t"}},
    {"null token is no token",
     KC(SERVER, "token: null, tokenFile: ~"),
     NULL,
     0,
     NULL,
     {.server = URL}},
    {"quoted numeric token",
     KC(SERVER, "token: '12345'"),
     NULL,
     0,
     NULL,
     {.server = URL, .token = "12345"}},
    {"no credentials", KC(SERVER, ""), NULL, 0, NULL, {.server = URL}},
    {"context without a user",
     "current-context: a\nclusters: [{name: c, cluster: {" SERVER "}}]\n"
     "contexts: [{name: a, context: {cluster: c}}]\n",
     NULL,
     0,
     NULL,
     {.server = URL}},
    {"current context of two",
     TWO_CONTEXTS,
     NULL,
     0,
     NULL,
     {.server = "https://one.example", .token = "one-token"}},
    {"explicit context",
     TWO_CONTEXTS,
     "b",
     0,
     NULL,
     {.server = "https://two.example:443",
      .ca_file = BASE "/two/ca.crt",
      .token = "two-token",
      .namespace = "kube-system"}},
    {"explicit context, no current-context",
     "clusters: [{name: c, cluster: {" SERVER "}}]\n"
     "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
     "users: [{name: u, user: {token: t}}]\n",
     "x",
     0,
     NULL,
     {.server = URL, .token = "t"}},
    {"trailing slashes trimmed",
     KC("server: 'https://k8s.example:6443///'", ""),
     NULL,
     0,
     NULL,
     {.server = URL}},
    {"path kept, its slash trimmed",
     KC("server: 'https://k8s.example/k8s/clusters/c-1/'", ""),
     NULL,
     0,
     NULL,
     {.server = "https://k8s.example/k8s/clusters/c-1"}},
    {"insecure-skip-tls-verify: false",
     KC(SERVER ", insecure-skip-tls-verify: false", ""),
     NULL,
     0,
     NULL,
     {.server = URL}},
    {"insecure-skip-tls-verify: null",
     KC(SERVER ", insecure-skip-tls-verify: null", ""),
     NULL,
     0,
     NULL,
     {.server = URL}},
    {"exec with a token",
     KC(SERVER, "token: t, exec: {command: aws, args: [eks, get-token]}"),
     NULL,
     0,
     NULL,
     {.server = URL, .token = "t"}},
    {"exec with a client certificate",
     KC(SERVER, "client-certificate: c.crt, client-key: c.key, exec: {command: x}"),
     NULL,
     0,
     NULL,
     {.server = URL, .cert_file = BASE "/c.crt", .key_file = BASE "/c.key"}},
    {"auth-provider with a token file",
     KC(SERVER, "tokenFile: t, auth-provider: {name: oidc}"),
     NULL,
     0,
     NULL,
     {.server = URL, .token_file = BASE "/t"}},
    {"base64 without padding, with line breaks",
     "current-context: a\nclusters: [{name: c, cluster: {" SERVER "}}]\n"
     "contexts: [{name: a, context: {cluster: c, user: u}}]\n"
     "users: [{name: u, user: {client-certificate-data: YWI, client-key-data: \"aGVs\\nbG8=\"}}]\n",
     NULL,
     0,
     NULL,
     {.server = URL, .cert_data = "ab", .key_data = "hello"}},
    {"unknown fields ignored",
     "apiVersion: v1\nkind: Config\npreferences: {colors: true}\n"
     "extensions: [{name: e, extension: {x: 1}}]\ncurrent-context: a\n"
     "clusters: [{name: c, cluster: {" SERVER ", proxy-url: 'http://p:3128', extensions: []}}]\n"
     "contexts: [{name: a, context: {cluster: c, user: u, namespace: ns}}]\n"
     "users: [{name: u, user: {token: t, username: admin}}]\n",
     NULL,
     0,
     NULL,
     {.server = URL, .token = "t", .namespace = "ns"}},
    {"JSON",
     "{\"kind\":\"Config\",\"current-context\":\"a\",\"clusters\":[{\"name\":\"c\","
     "\"cluster\":{\"server\":\"https://k8s.example:6443\",\"certificate-authority-data\":"
     "\"" CA_B64 "\",\"insecure-skip-tls-verify\":false}}],\"contexts\":[{\"name\":\"a\","
     "\"context\":{\"cluster\":\"c\",\"user\":\"u\"}}],\"users\":[{\"name\":\"u\","
     "\"user\":{\"token\":\"t\"}}]}",
     NULL,
     0,
     NULL,
     {.server = URL, .ca_data = CA_PEM, .token = "t"}},
    {"first document used",
     KC(SERVER, "token: t") "---\ncurrent-context: other\n",
     NULL,
     0,
     NULL,
     {.server = URL, .token = "t"}},

    /* ---- refused ---- */
    {"empty", "", NULL, -EINVAL, NAME ": not a kubeconfig", {0}},
    {"a list", "- clusters\n- users\n", NULL, -EINVAL, NAME ": not a kubeconfig", {0}},
    {"a scalar", "kubeconfig\n", NULL, -EINVAL, NAME ": not a kubeconfig", {0}},
    {"no current-context",
     "clusters: []\ncontexts: []\nusers: []\n",
     NULL,
     -EINVAL,
     NAME ": current-context is not set",
     {0}},
    {"null current-context",
     "current-context:\nclusters: []\n",
     NULL,
     -EINVAL,
     "current-context is not set",
     {0}},
    {"current-context not a string",
     "current-context: [a]\n",
     NULL,
     -EINVAL,
     "current-context is not set",
     {0}},
    {"current context missing",
     "current-context: a\nclusters: []\ncontexts: []\n",
     NULL,
     -EINVAL,
     NAME ": contexts: no context \"a\"",
     {0}},
    {"explicit context missing", TWO_CONTEXTS, "zzz", -EINVAL, "contexts: no context \"zzz\"", {0}},
    {"contexts not a list",
     "current-context: a\ncontexts: {a: {cluster: c}}\n",
     NULL,
     -EINVAL,
     "no context \"a\"",
     {0}},
    {"context without a cluster",
     "current-context: a\nclusters: [{name: c, cluster: {" SERVER "}}]\n"
     "contexts: [{name: a, context: {user: u}}]\n",
     NULL,
     -EINVAL,
     NAME ": context \"a\": no cluster \"\"",
     {0}},
    {"cluster missing",
     "current-context: a\nclusters: [{name: other, cluster: {" SERVER "}}]\n"
     "contexts: [{name: a, context: {cluster: c, user: u}}]\n",
     NULL,
     -EINVAL,
     NAME ": context \"a\": no cluster \"c\"",
     {0}},
    {"user missing",
     "current-context: a\nclusters: [{name: c, cluster: {" SERVER "}}]\n"
     "contexts: [{name: a, context: {cluster: c, user: u}}]\n"
     "users: [{name: someone-else, user: {token: t}}]\n",
     NULL,
     -EINVAL,
     NAME ": context \"a\": no user \"u\"",
     {0}},
    {"http:// server",
     KC("server: 'http://k8s.example:8080'", "token: t"),
     NULL,
     -EINVAL,
     NAME ": cluster \"c\": server must be an https:// URL",
     {0}},
    {"no server",
     KC("certificate-authority: ca.crt", "token: t"),
     NULL,
     -EINVAL,
     "cluster \"c\": server must be an https:// URL",
     {0}},
    {"server without a host",
     KC("server: 'https://'", ""),
     NULL,
     -EINVAL,
     "server must be an https:// URL",
     {0}},
    {"server of slashes",
     KC("server: 'https:///'", ""),
     NULL,
     -EINVAL,
     "server must be an https:// URL",
     {0}},
    {"server not a string",
     KC("server: ['https://k8s.example']", ""),
     NULL,
     -EINVAL,
     "server must be an https:// URL",
     {0}},
    {"upper-case scheme",
     KC("server: 'HTTPS://k8s.example'", ""),
     NULL,
     -EINVAL,
     "server must be an https:// URL",
     {0}},
    {"insecure-skip-tls-verify: true",
     KC(SERVER ", insecure-skip-tls-verify: true", "token: t"),
     NULL,
     -EINVAL,
     NAME ": cluster \"c\": insecure-skip-tls-verify is refused",
     {0}},
    {"insecure-skip-tls-verify: True",
     KC(SERVER ", insecure-skip-tls-verify: True", ""),
     NULL,
     -EINVAL,
     "insecure-skip-tls-verify is refused",
     {0}},
    {"insecure-skip-tls-verify: TRUE",
     KC(SERVER ", insecure-skip-tls-verify: TRUE", ""),
     NULL,
     -EINVAL,
     "insecure-skip-tls-verify is refused",
     {0}},
    {"insecure-skip-tls-verify: 'true'",
     KC(SERVER ", insecure-skip-tls-verify: 'true'", ""),
     NULL,
     -EINVAL,
     "insecure-skip-tls-verify is refused",
     {0}},
    {"insecure-skip-tls-verify: yes",
     KC(SERVER ", insecure-skip-tls-verify: yes", ""),
     NULL,
     -EINVAL,
     "insecure-skip-tls-verify is refused",
     {0}},
    {"insecure-skip-tls-verify: 1",
     KC(SERVER ", insecure-skip-tls-verify: 1", ""),
     NULL,
     -EINVAL,
     "insecure-skip-tls-verify is refused",
     {0}},
    {"insecure-skip-tls-verify: a list",
     KC(SERVER ", insecure-skip-tls-verify: [true]", ""),
     NULL,
     -EINVAL,
     "insecure-skip-tls-verify is refused",
     {0}},
    {"JSON insecure",
     "{\"current-context\":\"a\",\"clusters\":[{\"name\":\"c\",\"cluster\":{"
     "\"server\":\"https://k8s.example\",\"insecure-skip-tls-verify\":true}}],"
     "\"contexts\":[{\"name\":\"a\",\"context\":{\"cluster\":\"c\"}}]}",
     NULL,
     -EINVAL,
     "insecure-skip-tls-verify is refused",
     {0}},
    {"certificate without key",
     KC(SERVER, "client-certificate: c.crt"),
     NULL,
     -EINVAL,
     NAME ": user \"u\": a client certificate needs its key",
     {0}},
    {"certificate data without key",
     KC(SERVER, "client-certificate-data: " CERT_B64),
     NULL,
     -EINVAL,
     "user \"u\": a client certificate needs its key",
     {0}},
    {"key without certificate",
     KC(SERVER, "token: t, client-key-data: " KEY_B64),
     NULL,
     -EINVAL,
     "user \"u\": a client certificate needs its key",
     {0}},
    {"exec plugin alone",
     KC(SERVER, "exec: {apiVersion: client.authentication.k8s.io/v1, "
                "command: gke-gcloud-auth-plugin}"),
     NULL,
     -ENOTSUP,
     NAME ": user \"u\": exec and auth-provider plugins are not supported",
     {0}},
    {"auth-provider alone",
     KC(SERVER, "auth-provider: {name: gcp}"),
     NULL,
     -ENOTSUP,
     "user \"u\": exec and auth-provider plugins are not supported",
     {0}},
    {"exec with a null token",
     KC(SERVER, "token: null, exec: {command: x}"),
     NULL,
     -ENOTSUP,
     "plugins are not supported",
     {0}},
    {"CA data not base64",
     KC(SERVER ", certificate-authority-data: 'not base64!'", ""),
     NULL,
     -EINVAL,
     NAME ": cluster: certificate-authority-data is not base64",
     {0}},
    {"client key data not base64",
     KC(SERVER, "client-certificate-data: " CERT_B64 ", client-key-data: 'a-b_c'"),
     NULL,
     -EINVAL,
     NAME ": user: client-key-data is not base64",
     {0}},
    {"certificate data not a string",
     KC(SERVER, "client-certificate-data: {pem: x}"),
     NULL,
     -EINVAL,
     "user: client-certificate-data must be a string",
     {0}},
    {"CA file not a string",
     KC(SERVER ", certificate-authority: [a, b]", ""),
     NULL,
     -EINVAL,
     "cluster: certificate-authority must be a string",
     {0}},
    {"token not a string",
     KC(SERVER, "token: 12345"),
     NULL,
     -EINVAL,
     NAME ": user \"u\": token must be a string",
     {0}},
    {"tokenFile not a string",
     KC(SERVER, "tokenFile: [a]"),
     NULL,
     -EINVAL,
     "user \"u\": tokenFile must be a string",
     {0}},
    {"YAML alias",
     "current-context: a\nclusters: [{name: c, cluster: &c {" SERVER "}}]\n"
     "contexts: [{name: a, context: {cluster: c, user: u}}]\n"
     "users: [{name: u, user: *c}]\n",
     NULL,
     -EINVAL,
     NAME ":4: YAML aliases (*name) are not accepted",
     {0}},
    {"YAML merge key",
     "base: &b {token: t}\ncurrent-context: a\nusers: [{name: u, user: {<<: *b}}]\n",
     NULL,
     -EINVAL,
     NAME ":",
     {0}},
    {"malformed YAML", "current-context: a\nclusters: [\n", NULL, -EINVAL, NAME ":", {0}},
    {"duplicate key",
     "current-context: a\ncurrent-context: b\n",
     NULL,
     -EINVAL,
     NAME ":2: duplicate key \"current-context\"",
     {0}},
};

static void expect_field(const char *case_name, const char *field, const char *got,
                         const char *want)
{
    if (!want && got)
        fail_msg("%s: %s is \"%s\", want none", case_name, field, got);
    if (want && (!got || strcmp(got, want) != 0))
        fail_msg("%s: %s is \"%s\", want \"%s\"", case_name, field, got ? got : "(none)", want);
}

static void test_parse_table(void **state)
{
    for (size_t i = 0; i < ELEMENTSOF(parse_cases); i++) {
        const struct parse_case *t = &parse_cases[i];
        struct kube_config *c = (struct kube_config *)&c; /* must stay on failure */
        struct kerr err = {0};
        int r = kubeconfig_parse(t->doc, strlen(t->doc), NAME, BASE, t->context, &c, &err);
        if (r != t->r)
            fail_msg("%s: got %d (%s), want %d", t->name, r, err.msg, t->r);
        if (r < 0) {
            assert_int_equal(err.code, r);
            if (!strstr(err.msg, t->msg))
                fail_msg("%s: message \"%s\" lacks \"%s\"", t->name, err.msg, t->msg);
            if (strncmp(err.msg, NAME, strlen(NAME)) != 0)
                fail_msg("%s: message \"%s\" does not name the file", t->name, err.msg);
            assert_ptr_equal(c, (struct kube_config *)&c);
            continue;
        }
        expect_field(t->name, "server", c->server, t->want.server);
        expect_field(t->name, "ca_file", c->ca_file, t->want.ca_file);
        expect_field(t->name, "ca_data", c->ca_data, t->want.ca_data);
        expect_field(t->name, "cert_file", c->cert_file, t->want.cert_file);
        expect_field(t->name, "cert_data", c->cert_data, t->want.cert_data);
        expect_field(t->name, "key_file", c->key_file, t->want.key_file);
        expect_field(t->name, "key_data", c->key_data, t->want.key_data);
        expect_field(t->name, "token", c->token, t->want.token);
        expect_field(t->name, "token_file", c->token_file, t->want.token_file);
        expect_field(t->name, "namespace", c->namespace, t->want.namespace);
        kube_config_free(c);
    }
}

/* len is honoured, and a NULL base_dir keeps relative paths as they are. */
static void test_parse_len_and_base(void **state)
{
    const char *doc = KC(SERVER, "tokenFile: t") "garbage: [";
    struct kube_config *c = NULL;
    struct kerr err = {0};
    assert_int_equal(
        kubeconfig_parse(doc, strlen(doc) - strlen("garbage: ["), NAME, NULL, NULL, &c, &err), 0);
    assert_string_equal(c->token_file, "t");
    kube_config_free(c);
    assert_int_equal(kubeconfig_parse(doc, strlen(doc), NAME, BASE, NULL, &c, &err), -EINVAL);
    kube_config_free(NULL);
    /* Without an error struct. */
    assert_int_equal(kubeconfig_parse("- a\n", 4, NAME, BASE, NULL, &c, NULL), -EINVAL);
}

/* ---- kube_config_load and kube_config_token: files and the environment ------------------- */

struct fixture {
    char dir[64];
    char *saved[4]; /* the variables below, restored by teardown */
};

static const char *const env_vars[] = {"KUBECONFIG", "HOME", "KUBERNETES_SERVICE_HOST",
                                       "KUBERNETES_SERVICE_PORT"};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    strcpy(f->dir, "/tmp/kscmp-test-kubeconfig-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    for (size_t i = 0; i < ELEMENTSOF(env_vars); i++) {
        const char *v = getenv(env_vars[i]);
        f->saved[i] = v ? strdup(v) : NULL;
        unsetenv(env_vars[i]);
    }
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t i = 0; i < ELEMENTSOF(env_vars); i++) {
        if (f->saved[i])
            setenv(env_vars[i], f->saved[i], 1);
        else
            unsetenv(env_vars[i]);
        free(f->saved[i]);
    }
    free(f);
    return 0;
}

/* f->dir + "/" + rel, in one of a few static buffers. */
static const char *at(const struct fixture *f, const char *rel)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, PATH_MAX, "%s/%s", f->dir, rel);
    return b;
}

static void write_file(const char *path, const char *content)
{
    /* Parent folders first. */
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (mkdir(tmp, 0755) < 0)
            assert_int_equal(errno, EEXIST);
        *p = '/';
    }
    FILE *fp = fopen(path, "we");
    assert_non_null(fp);
    fputs(content, fp);
    assert_int_equal(fclose(fp), 0);
}

/* Writes the three kubeconfigs: a/config, b/config and home/.kube/config. */
static void write_configs(const struct fixture *f)
{
    write_file(at(f, "a/config"),
               KC("server: 'https://a.example', certificate-authority: ca.crt", "token: ta"));
    write_file(at(f, "b/config"), KC("server: 'https://b.example'", "token: tb"));
    write_file(at(f, "home/.kube/config"),
               KC("server: 'https://home.example/'", "tokenFile: secrets/token"));
}

/* Loads with path and the environment as set, and checks which file was used. */
static void expect_load(const struct fixture *f, const char *path, const char *server)
{
    struct kube_config *c = NULL;
    struct kerr err = {0};
    int r = kube_config_load(path, &c, &err);
    if (r < 0)
        fail_msg("kube_config_load: %d: %s", r, err.msg);
    assert_string_equal(c->server, server);
    assert_null(c->namespace);
    kube_config_free(c);
}

static void test_load_kubeconfig_env(void **state)
{
    struct fixture *f = *state;
    write_configs(f);
    setenv("HOME", at(f, "home"), 1);
    setenv("KUBECONFIG", at(f, "a/config"), 1);
    struct kube_config *c = NULL;
    struct kerr err = {0};
    assert_int_equal(kube_config_load(NULL, &c, &err), 0);
    assert_string_equal(c->server, "https://a.example");
    assert_string_equal(c->ca_file, at(f, "a/ca.crt")); /* relative to the kubeconfig */
    assert_string_equal(c->token, "ta");
    kube_config_free(c);
}

static void test_load_kubeconfig_list(void **state)
{
    struct fixture *f = *state;
    write_configs(f);
    setenv("HOME", at(f, "home"), 1);
    char list[3 * PATH_MAX];
    snprintf(list, sizeof(list), "%s:%s", at(f, "a/config"), at(f, "b/config"));
    setenv("KUBECONFIG", list, 1);
    expect_load(f, NULL, "https://a.example");
    snprintf(list, sizeof(list), "%s:%s", at(f, "b/config"), at(f, "a/config"));
    setenv("KUBECONFIG", list, 1);
    expect_load(f, NULL, "https://b.example");
    /* Empty entries are skipped, as kubectl does. */
    snprintf(list, sizeof(list), "::%s:%s", at(f, "b/config"), at(f, "a/config"));
    setenv("KUBECONFIG", list, 1);
    expect_load(f, NULL, "https://b.example");
    /* Only separators: as if unset. */
    setenv("KUBECONFIG", ":", 1);
    expect_load(f, NULL, "https://home.example");
}

static void test_load_home(void **state)
{
    struct fixture *f = *state;
    write_configs(f);
    write_file(at(f, "home/.kube/secrets/token"), "home-token\n");
    setenv("HOME", at(f, "home"), 1);
    struct kube_config *c = NULL;
    struct kerr err = {0};
    assert_int_equal(kube_config_load(NULL, &c, &err), 0);
    assert_string_equal(c->server, "https://home.example");
    assert_string_equal(c->token_file, at(f, "home/.kube/secrets/token"));
    char *tok = NULL;
    assert_int_equal(kube_config_token(c, &tok, &err), 0);
    assert_string_equal(tok, "home-token");
    free(tok);
    kube_config_free(c);
    /* An empty $KUBECONFIG is as if unset. */
    setenv("KUBECONFIG", "", 1);
    expect_load(f, NULL, "https://home.example");
}

static void test_load_path_wins(void **state)
{
    struct fixture *f = *state;
    write_configs(f);
    setenv("HOME", at(f, "home"), 1);
    setenv("KUBECONFIG", at(f, "a/config"), 1);
    expect_load(f, at(f, "b/config"), "https://b.example");
}

/* kube_config_load_context: another context of the file, with its namespace; an unknown one
 * is an error naming it. */
static void test_load_context(void **state)
{
    struct fixture *f = *state;
    write_file(at(f, "two"), TWO_CONTEXTS);
    struct kube_config *c = NULL;
    struct kerr err = {0};
    assert_int_equal(kube_config_load_context(at(f, "two"), NULL, &c, &err), 0);
    assert_string_equal(c->server, "https://one.example");
    assert_null(c->namespace);
    kube_config_free(c);
    assert_int_equal(kube_config_load_context(at(f, "two"), "b", &c, &err), 0);
    assert_string_equal(c->server, "https://two.example:443");
    assert_string_equal(c->namespace, "kube-system");
    kube_config_free(c);
    c = (struct kube_config *)&c;
    assert_int_equal(kube_config_load_context(at(f, "two"), "nope", &c, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "no context \"nope\""));
    assert_ptr_equal(c, (struct kube_config *)&c);
}

/* With KUBERNETES_SERVICE_HOST set but no service account token, a kubeconfig is used. */
static void test_load_not_in_cluster(void **state)
{
    struct fixture *f = *state;
    if (access(SA_TOKEN, F_OK) == 0)
        skip(); /* running in a pod: in-cluster mode would win */
    write_configs(f);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    setenv("HOME", at(f, "home"), 1);
    expect_load(f, NULL, "https://home.example");
    setenv("KUBECONFIG", at(f, "a/config"), 1);
    expect_load(f, NULL, "https://a.example");
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    expect_load(f, NULL, "https://a.example");
}

static void test_load_errors(void **state)
{
    struct fixture *f = *state;
    struct kube_config *c = (struct kube_config *)&c;
    struct kerr err = {0};
    /* No $KUBECONFIG, no $HOME. */
    assert_int_equal(kube_config_load(NULL, &c, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "no kubeconfig"));
    /* A missing file, named in the message. */
    setenv("KUBECONFIG", at(f, "none/config"), 1);
    assert_int_equal(kube_config_load(NULL, &c, &err), -ENOENT);
    assert_non_null(strstr(err.msg, at(f, "none/config")));
    assert_true(strncmp(err.msg, "kubeconfig: ", 12) == 0);
    setenv("HOME", at(f, "nohome"), 1);
    unsetenv("KUBECONFIG");
    assert_int_equal(kube_config_load(NULL, &c, &err), -ENOENT);
    assert_non_null(strstr(err.msg, at(f, "nohome/.kube/config")));
    /* ~/.kube/config is the last place looked in: the message says the others were too. */
    assert_non_null(strstr(err.msg, "no kubeconfig: not in a cluster"));
    assert_non_null(strstr(err.msg, "$KUBECONFIG"));
    /* A folder. */
    assert_int_equal(kube_config_load(f->dir, &c, &err), -EISDIR);
    /* A bad kubeconfig: the message says it is the kubeconfig, and names the file. */
    write_file(at(f, "bad/config"), KC("server: 'http://k8s.example'", ""));
    assert_int_equal(kube_config_load(at(f, "bad/config"), &c, &err), -EINVAL);
    char want[PATH_MAX + 16];
    snprintf(want, sizeof(want), "kubeconfig: %s: ", at(f, "bad/config"));
    assert_true(strncmp(err.msg, want, strlen(want)) == 0);
    assert_non_null(strstr(err.msg, "https://"));
    assert_ptr_equal(c, (struct kube_config *)&c);
}

/* Replaces path's content the way the kubelet rotates a projected token: a new file renamed
 * over the old one. */
static void replace_file(const char *path, const char *content)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    write_file(tmp, content);
    assert_int_equal(rename(tmp, path), 0);
}

static void expect_token(const struct kube_config *c, const char *want)
{
    char *tok = NULL;
    struct kerr err = {0};
    int r = kube_config_token(c, &tok, &err);
    if (r < 0)
        fail_msg("kube_config_token: %d: %s", r, err.msg);
    assert_string_equal(tok, want);
    free(tok);
}

static void test_token_file(void **state)
{
    struct fixture *f = *state;
    struct kube_config c = {.token_file = (char *)at(f, "sa/token")};
    write_file(c.token_file, "first-token\n");
    expect_token(&c, "first-token");
    /* Re-read on every call: a rotated token is seen at once. */
    write_file(c.token_file, "second-token\r\n\n");
    expect_token(&c, "second-token");
    replace_file(c.token_file, "third-token");
    expect_token(&c, "third-token");
    replace_file(c.token_file, "a b  \n");
    expect_token(&c, "a b"); /* only the trailing blanks go */
    /* The file wins over an inline token. */
    c.token = "inline";
    expect_token(&c, "a b");
    /* A missing file: -ENOENT, the path in the message. */
    unlink(c.token_file);
    char *tok = (char *)&tok;
    struct kerr err = {0};
    assert_int_equal(kube_config_token(&c, &tok, &err), -ENOENT);
    assert_non_null(strstr(err.msg, c.token_file));
    assert_ptr_equal(tok, (char *)&tok);
}

static void test_token_inline_and_none(void **state)
{
    struct kube_config c = {.token = "inline-token"};
    char *tok = NULL;
    struct kerr err = {0};
    assert_int_equal(kube_config_token(&c, &tok, &err), 0);
    assert_string_equal(tok, "inline-token");
    assert_ptr_not_equal(tok, c.token); /* a copy the caller frees */
    free(tok);
    struct kube_config none = {0};
    tok = NULL;
    assert_int_equal(kube_config_token(&none, &tok, &err), -ENOENT);
    assert_null(tok);
}

/* A kubeconfig's tokenFile, resolved against the kubeconfig's folder, follows rotations. */
static void test_token_via_kubeconfig(void **state)
{
    struct fixture *f = *state;
    write_file(at(f, "k/config"), KC(SERVER, "tokenFile: token"));
    write_file(at(f, "k/token"), "v1\n");
    struct kube_config *c = NULL;
    struct kerr err = {0};
    assert_int_equal(kube_config_load(at(f, "k/config"), &c, &err), 0);
    expect_token(c, "v1");
    replace_file(at(f, "k/token"), "v2\n");
    expect_token(c, "v2");
    kube_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_len_and_base),
        cmocka_unit_test_setup_teardown(test_load_kubeconfig_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_kubeconfig_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_home, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_path_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_not_in_cluster, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_inline_and_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_via_kubeconfig, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
