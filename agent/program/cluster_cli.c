/* cluster_cli.c - `kubectl kscmp explain pod NAME` and `kubectl kscmp status`: read-only looks
 * at a live cluster, with the agent's kubeconfig handling and TLS rules (kube/fetch.h).
 *
 * Both rebuild what the agents decide from the API objects (policies, the Namespace, the
 * pods of a node) with the engine the agents run, and read what the agents reported (policy
 * status, Warning Events of component kscmp). Nothing is written to the cluster.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/evloop.h"
#include "base/names.h"
#include "base/spell.h"
#include "engine/decode.h"
#include "engine/doc.h"
#include "engine/engine.h"
#include "kube/agent_pods.h"
#include "kube/client.h"
#include "kube/daemon_nodes.h"
#include "kube/fetch.h"
#include "kube/stale_pods.h"
#include "program/cli.h"

#define MAX_LIST 100000 /* objects of one kind that the commands read */
#define MAX_PODS_CHECKED 2000

/* Both commands read KubeArmorSeccompPolicies only when the agents do (kubearmor_setting()). */
#define KUBEARMOR_HELP                                                                             \
    "      --kubearmor-policies auto|on|off\n"                                                     \
    "                       whether the agents read KubeArmorSeccompPolicies (their\n"             \
    "                       --kubearmor-policies; the chart's crds.kubearmorCompat): auto\n"       \
    "                       (default) as kscmp's DaemonSets run them (left out when every one\n"   \
    "                       has --kubearmor-policies=off; read, as said, when they cannot be\n"    \
    "                       listed); on or off when they cannot be read\n"

/* Both commands ask an agent pod that runs but is not Ready for its /readyz. */
#define READYZ_HELP                                                                                \
    "      --agent-readyz on|off\n"                                                                \
    "                       on (default): ask each agent pod that runs but is not Ready for\n"     \
    "                       the first line of its /readyz, through the API server's pod proxy\n"   \
    "                       (get on pods/proxy; at most 20 pods, 3 s each, 10 s in all), and\n"    \
    "                       show it with why the pod is not Ready; off: not asked\n"

static const char *const explain_help =
    "Usage: kubectl kscmp explain pod NAME [-n NAMESPACE] [-o text|json] [--kubeconfig FILE]\n"
    "                                  [--context NAME] [--startup-syscalls auto|none]\n"
    "                                  [--kubearmor-policies auto|on|off] [--timeout DUR]\n"
    "                                  [--agent-readyz on|off]\n\n"
    "Reads the cluster (nothing is changed) and tells, for each container of the pod, which\n"
    "profile file it uses, the policies that contribute to that file and why (named after the\n"
    "file, selector, cluster policy), the profile they compile to on the pod's node, the\n"
    "file's state on the node as the policies' status and the agent's Events tell it, and\n"
    "whether a running container is stale (the agent's ProfileStale Event names it: it\n"
    "started before its profile last changed, or in that same second).\n\n"
    "  -n, --namespace NS   the pod's namespace (default: the kubeconfig context's, or default)\n"
    "  -o, --output FMT     text (default) or json\n"
    "      --kubeconfig F   default: $KUBECONFIG, ~/.kube/config, then the pod's service account\n"
    "      --context NAME   a context of the kubeconfig (default: its current-context)\n"
    "      --startup-syscalls auto|none\n"
    "                       the agent's --startup-syscalls (the chart's startupSyscalls):\n"
    "                       auto (default) or none; the profile and the Events it would post\n"
    "                       are those of an agent run so\n" KUBEARMOR_HELP READYZ_HELP
    "      --timeout DUR    give up (exit 1) when the cluster has not answered everything\n"
    "                       asked within DUR (default 2m; N, Ns, Nm, Nh)\n";

static const char *const status_help =
    "Usage: kubectl kscmp status [-A | -n NAMESPACE] [--wait[=DURATION]] [-o text|json]\n"
    "                            [--kubeconfig FILE] [--context NAME] [--timeout DURATION]\n"
    "                            [--kubearmor-policies auto|on|off] [--agent-readyz on|off]\n\n"
    "Lists the policies that are not Ready and why, and the pods with kscmp Warning Events\n"
    "(NoPolicy, PolicyInvalid, ProfileRefused, NamespaceUnknown, ProfileStricter while the\n"
    "policies still cause them, ProfileStale while its container has not restarted;\n"
    "ProfileConflict and ProfileBlocksStartup while the Event exists), and the agents not\n"
    "Ready (kscmp's DaemonSets, labelled app.kubernetes.io/part-of=kscmp,\n"
    "app.kubernetes.io/component=agent, with why each pod is not; a node's agent is its Ready\n"
    "pod, and a node with several agent pods is listed: one DaemonSet's, a rollout, or two\n"
    "DaemonSets', a problem: one stands by for good), the nodes without a kscmp\n"
    "agent pod (and why: a taint the DaemonSet does not tolerate, its nodeSelector or node\n"
    "affinity, the node NotReady) and the pods there that use a kscmp file (they cannot\n"
    "start); exits 1 if there are any problems (a node without an agent is one only when such\n"
    "a pod is bound to it), so it can gate CI.\n"
    "ClusterSeccompPolicies are always included; when they cannot be read (a namespace\n"
    "owner's Role), the report says so and covers the namespace alone. A namespace that does\n"
    "not exist is an error. Nothing is changed.\n\n"
    "Exit status: 0 no problem; 1 problems found, or the cluster could not be read; 2 wrong\n"
    "usage (kscmp's three statuses). To tell the two 1s apart: with problems the report is on\n"
    "standard output (-o json: \"problems\" above 0); when the cluster could not be read,\n"
    "standard output is empty and standard error says why.\n\n"
    "  -A, --all-namespaces every namespace\n"
    "  -n, --namespace NS   one namespace (default: the kubeconfig context's, or default)\n"
    "      --wait[=DUR]     first wait until no policy read is Pending (no agent has reported\n"
    "                       on its current version yet) and every agent pod is Ready (a surge\n"
    "                       rollout's new one too), at most DUR\n"
    "                       (default 60s; N, Ns, Nm, Nh); then report as usual (what is still\n"
    "                       Pending or not Ready counts)\n"
    "  -o, --output FMT     text (default) or json\n"
    "      --kubeconfig F   default: $KUBECONFIG, ~/.kube/config, then the pod's service account\n"
    "      --context NAME   a context of the kubeconfig (default: its "
    "current-context)\n" KUBEARMOR_HELP READYZ_HELP
    "      --timeout DUR    give up (exit 1) when the cluster has not answered everything\n"
    "                       asked within DUR, --wait's time added (default 2m; N, Ns, Nm, Nh)\n";

#define WAIT_DEFAULT_S 60
#define TIMEOUT_DEFAULT_S 120
#define WAIT_MAX_S (24 * 3600)

struct copts {
    const char *ns;
    const char *output;
    const char *kubeconfig;
    const char *context;
    bool all;
    bool startup_none; /* explain: --startup-syscalls none */
    const char *pod;
    long wait_s;    /* --wait: at most this long; 0: no waiting */
    long timeout_s; /* --timeout: the whole command, --wait's time added */
    int kubearmor;  /* --kubearmor-policies: 1 on, 0 off, -1 auto (as the agents' DaemonSets) */
    bool no_readyz; /* --agent-readyz off */
};

/* A --wait duration: N, Ns, Nm or Nh, above 0 and at most a day; -1 when it is not one. */
static long parse_wait(const char *s)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno || end == s || n <= 0 || *s == '+' || *s == '-')
        return -1;
    long unit = *end == 's' || *end == '\0' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 0;
    if (!unit || (*end && end[1]) || n > WAIT_MAX_S / unit)
        return -1;
    return n * unit;
}

static int cusage(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "kubectl kscmp %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'kubectl kscmp %s --help' for usage.\n", cmd);
    return EXIT_USAGE;
}

/* Parses the options; -1 to go on, else the exit status. */
static int parse_copts(const char *cmd, const char *help, bool explain, int argc, char **argv,
                       struct copts *o)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},
        {"kubeconfig", required_argument, NULL, 'k'},
        {"context", required_argument, NULL, 'c'},
        {"all-namespaces", no_argument, NULL, 'A'},
        {"startup-syscalls", required_argument, NULL, 'S'},
        {"wait", optional_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 'T'},
        {"kubearmor-policies", required_argument, NULL, 'K'},
        {"agent-readyz", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    o->kubearmor = -1;
    while ((opt = getopt_long(argc, argv, explain ? "n:o:h" : "n:o:Ah", opts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (!dns_label_valid(optarg))
                return cusage(cmd, "-n \"%s\" is not a namespace name", optarg);
            o->ns = optarg;
            break;
        case 'o':
            if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
                return cusage(cmd, "-o \"%s\": want text or json", optarg);
            o->output = optarg;
            break;
        case 'k':
            o->kubeconfig = optarg;
            break;
        case 'c':
            o->context = optarg;
            break;
        case 'A':
            if (explain)
                return cusage(cmd, "%s", "-A goes with status");
            o->all = true;
            break;
        case 'S':
            if (!explain)
                return cusage(cmd, "%s", "--startup-syscalls goes with explain pod");
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "none") != 0)
                return cusage(cmd, "--startup-syscalls \"%s\": want auto or none", optarg);
            o->startup_none = strcmp(optarg, "none") == 0;
            break;
        case 'w':
            if (explain)
                return cusage(cmd, "%s", "--wait goes with status");
            o->wait_s = optarg ? parse_wait(optarg) : WAIT_DEFAULT_S;
            if (o->wait_s < 0)
                return cusage(cmd, "--wait=%s: want a duration such as 30s, 2m or 1h (at most 24h)",
                              optarg);
            break;
        case 'T':
            o->timeout_s = parse_wait(optarg);
            if (o->timeout_s < 0)
                return cusage(cmd,
                              "--timeout %s: want a duration such as 30s, 2m or 1h (at most 24h)",
                              optarg);
            break;
        case 'K':
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0 &&
                strcmp(optarg, "auto") != 0)
                return cusage(cmd, "--kubearmor-policies \"%s\": want on, off or auto", optarg);
            o->kubearmor = strcmp(optarg, "auto") == 0 ? -1 : strcmp(optarg, "on") == 0;
            break;
        case 'R':
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0)
                return cusage(cmd, "--agent-readyz \"%s\": want on or off", optarg);
            o->no_readyz = strcmp(optarg, "off") == 0;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default: /* getopt said which option and why */
            fprintf(stderr, "Run 'kubectl kscmp %s --help' for usage.\n", cmd);
            return EXIT_USAGE;
        }
    }
    if (o->all && o->ns)
        return cusage(cmd, "%s", "-A and -n do not go together");
    if (explain) {
        /* explain pod NAME (or pod/NAME) */
        if (optind < argc && strncmp(argv[optind], "pod/", 4) == 0 && optind + 1 == argc)
            o->pod = argv[optind] + 4;
        else if (optind + 2 == argc &&
                 (strcmp(argv[optind], "pod") == 0 || strcmp(argv[optind], "pods") == 0 ||
                  strcmp(argv[optind], "po") == 0))
            o->pod = argv[optind + 1];
        else
            return cusage(cmd, "%s", "give one pod: explain pod NAME");
        if (!dns_subdomain_valid(o->pod))
            return cusage(cmd, "\"%s\" is not a pod name", o->pod);
    } else if (optind < argc) {
        return cusage(cmd, "unexpected argument \"%s\"", argv[optind]);
    }
    if (!o->output)
        o->output = "text";
    return -1;
}

/* ---- reading objects ---- */

/* The string under key, or "" (the API server's JSON is outside input: any field may be
 * missing or of another type). */
static const char *str_at(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : "";
}

/* The longest string from the cluster (an Event's message, a policy's) printed as text. */
#define TEXT_MAX 2000

/* s as it may go to a terminal, or NULL when it may as it is (or out of memory): a control
 * character (a C0 one, DEL, a C1 one in UTF-8) written \xNN or \n (an Event's message could
 * move the cursor, erase its line and print "OK" in its place), cut past TEXT_MAX bytes. */
static char *text_visible(const char *s)
{
    size_t len = strlen(s), bad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bad += (c < 0x20 && c != '\t') || c == 0x7f ||
               (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
                (unsigned char)s[i + 1] <= 0x9f);
    }
    if (!bad && len <= TEXT_MAX)
        return NULL;
    char *out = malloc(TEXT_MAX * 4 + 64), *w = out;
    if (!out)
        return NULL;
    size_t i = 0;
    for (; i < len && (size_t)(w - out) < TEXT_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            w += sprintf(w, "\\n");
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
            w += sprintf(w, "\\x%02x", c);
        } else if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
                   (unsigned char)s[i + 1] <= 0x9f) {
            w += sprintf(w, "\\x%02x", (unsigned char)s[++i]);
        } else {
            *w++ = (char)c;
        }
    }
    if (i < len)
        w += sprintf(w, "... (%zu bytes more)", len - i);
    *w = '\0';
    return out;
}

/* The one way text output goes out: fprintf() of fmt, each %s argument written as
 * text_visible() makes it (any of them may come from the cluster: a name, a message, the API
 * server's words), so that no line forgets to. -o json prints them exact, escaped by JSON.
 * Conversions: %%, %c, %s, and d i u x with no length, l, ll or z; flags, width and precision
 * in digits. Another one (a mistake here) is written as it is and ends the line's arguments. */
__attribute__((format(printf, 2, 3))) static void tprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p;) {
        size_t lit = strcspn(p, "%");
        fwrite(p, 1, lit, f);
        p += lit;
        if (!*p)
            break;
        size_t n = 1 + strspn(p + 1, "-+ #0");
        n += strspn(p + n, "0123456789");
        if (p[n] == '.')
            n += 1 + strspn(p + n + 1, "0123456789");
        size_t mod = n;
        n += strspn(p + n, "lz");
        char spec[32];
        if (n + 1 >= sizeof(spec) || !p[n] || n - mod > 2) {
            fputs(p, f);
            break;
        }
        memcpy(spec, p, n + 1);
        spec[n + 1] = '\0';
        const char *len = spec + mod;
        size_t nlen = n - mod;
        char conv = p[n];
        p += n + 1;
        bool sign = conv == 'd' || conv == 'i';
        if (conv == '%' && n == 1) {
            fputc('%', f);
        } else if (conv == 's' && !nlen) {
            const char *s = va_arg(ap, const char *);
            _cleanup_free_ char *shown = s ? text_visible(s) : NULL;
            fprintf(f, spec, shown ? shown : s ? s : "(null)");
        } else if (conv == 'c' && !nlen) {
            fprintf(f, spec, va_arg(ap, int));
        } else if (!sign && conv != 'u' && conv != 'x') {
            fputs(spec, f);
            fputs(p, f);
            break;
        } else if (!nlen) {
            sign ? fprintf(f, spec, va_arg(ap, int)) : fprintf(f, spec, va_arg(ap, unsigned));
        } else if (nlen == 1 && *len == 'l') {
            sign ? fprintf(f, spec, va_arg(ap, long)) : fprintf(f, spec, va_arg(ap, unsigned long));
        } else if (nlen == 2 && len[0] == 'l' && len[1] == 'l') {
            sign ? fprintf(f, spec, va_arg(ap, long long))
                 : fprintf(f, spec, va_arg(ap, unsigned long long));
        } else if (nlen == 1 && *len == 'z') {
            sign ? fprintf(f, spec, va_arg(ap, ssize_t)) : fprintf(f, spec, va_arg(ap, size_t));
        } else {
            fputs(spec, f);
            fputs(p, f);
            break;
        }
    }
    va_end(ap);
}

/* Decodes an API object (kind and apiVersion filled in for list items). */
static int decode_api(json_t *obj, const char *api, const char *kind, struct object *ret,
                      struct kerr *err)
{
    if (!json_object_get(obj, "kind")) {
        json_object_set_new(obj, "apiVersion", json_string(api));
        json_object_set_new(obj, "kind", json_string(kind));
    }
    struct ynode *doc = NULL;
    int r = ydoc_from_json(obj, &doc, err);
    if (r == 0)
        r = decode_object(doc, "", ret, err);
    ynode_free(doc);
    return r;
}

/* What the commands hold: the engine, and the policy objects as the API server sent them
 * (their status). */
struct world {
    struct kube_fetch *f;
    struct engine *e;
    json_t *policies; /* [{kind, namespace, name, object}] */
    bool kubearmor;   /* the KubeArmor compatibility CRD is served */
    /* The agents do not read KubeArmorSeccompPolicies (--kubearmor-policies=off): nor do the
     * commands. What was taken and why: kubearmor_policies {read, from, note}
     * (kubearmor_setting()). Both kept while --wait reads again. */
    bool kubearmor_off;
    json_t *kubearmor_policies;
    /* Set by status: a kind other than SeccompPolicy that the API server refuses to list
     * (HTTP 401/403) is left out and noted in unreadable ([{kind, message}]), not an error. */
    bool partial_ok;
    json_t *unreadable;
};

struct put_ctx {
    struct world *w;
    const char *api, *kind;
    struct kerr *err;
};

static int put_policy(json_t *item, void *userdata)
{
    struct put_ctx *c = userdata;
    struct object o = {0};
    struct kerr err = {0};
    int r = decode_api(item, c->api, c->kind, &o, &err);
    if (r < 0) {
        /* The agents skip what they cannot decode at all; so does the report, saying so. */
        const char *name =
            json_string_value(json_object_get(json_object_get(item, "metadata"), "name"));
        tprintf(stderr, "kscmp: warning: %s %s: cannot be read: %s\n", c->kind, name ? name : "?",
                err.msg);
        object_clear(&o);
        return r == -ENOMEM ? r : 0;
    }
    if (o.type != OBJ_POLICY) {
        object_clear(&o);
        return 0;
    }
    json_t *rec = json_pack("{s:s, s:s?, s:s, s:O}", "kind", c->kind, "namespace", o.policy->ns,
                            "name", o.policy->name, "object", item);
    if (!rec || json_array_append_new(c->w->policies, rec) < 0) {
        object_clear(&o);
        return -ENOMEM;
    }
    r = engine_put_policy(c->w->e, TAKE_PTR(o.policy));
    object_clear(&o);
    return r;
}

/* Lists the policies of ns (NULL: every namespace) and every ClusterSeccompPolicy. */
static int load_policies(struct world *w, const char *ns, struct kerr *err)
{
    static const struct {
        const char *api, *kind, *group_path, *resource;
        bool namespaced, optional;
    } kinds[] = {
        {"kscmp.io/v1", "SeccompPolicy", "/apis/kscmp.io/v1", "seccomppolicies", true, false},
        {"kscmp.io/v1", "ClusterSeccompPolicy", "/apis/kscmp.io/v1", "clusterseccomppolicies",
         false, false},
        {"security.kubearmor.com/v1", "KubeArmorSeccompPolicy", "/apis/security.kubearmor.com/v1",
         "kubearmorseccomppolicies", true, true},
    };
    for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
        if (kinds[i].optional && w->kubearmor_off)
            continue; /* as the agents: another product's objects */
        _cleanup_free_ char *path = NULL;
        int r =
            kinds[i].namespaced && ns
                ? asprintf(&path, "%s/namespaces/%s/%s", kinds[i].group_path, ns, kinds[i].resource)
                : asprintf(&path, "%s/%s", kinds[i].group_path, kinds[i].resource);
        if (r < 0)
            return -ENOMEM;
        struct put_ctx c = {w, kinds[i].api, kinds[i].kind, err};
        r = kube_fetch_list(w->f, path, MAX_LIST, put_policy, &c, err);
        if (r == -ENOENT && kinds[i].optional)
            continue;
        if (r == -EACCES && w->partial_ok && i > 0) {
            json_t *u = json_pack("{s:s, s:s}", "kind", kinds[i].kind, "message", err->msg);
            if (!u || json_array_append_new(w->unreadable, u) < 0)
                return -ENOMEM;
            *err = (struct kerr){0};
            continue;
        }
        if (r == -ENOENT)
            return kerr_set(err, r,
                            "the cluster does not serve %s (%s): are kscmp's CRDs installed?",
                            kinds[i].kind, path);
        if (r < 0)
            return r;
        if (kinds[i].optional)
            w->kubearmor = true;
    }
    return 0;
}

static int put_namespace(struct world *w, const char *ns, struct kerr *err)
{
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "/api/v1/namespaces/%s", ns) < 0)
        return -ENOMEM;
    json_t *j = NULL;
    int r = kube_fetch_json(w->f, path, &j, err);
    if (r < 0)
        return r;
    struct object o = {0};
    r = decode_api(j, "v1", "Namespace", &o, err);
    json_decref(j);
    if (r == 0 && o.type == OBJ_NAMESPACE)
        r = engine_put_namespace(w->e, TAKE_PTR(o.ns));
    object_clear(&o);
    return r;
}

/* What world_fill() made: the engine and the objects read (the connection stays). */
static void world_empty(struct world *w)
{
    engine_free(w->e);
    w->e = NULL;
    json_decref(w->policies);
    w->policies = NULL;
    json_decref(w->unreadable);
    w->unreadable = NULL;
    w->kubearmor = false;
}

static void world_free(struct world *w)
{
    world_empty(w);
    json_decref(w->kubearmor_policies);
    kube_fetch_free(w->f);
}

/* A new engine and nothing read yet. */
static int world_fill(struct world *w, int arch, struct kerr *err)
{
    int r = engine_new(arch, &w->e);
    if (r < 0)
        return kerr_set(err, r, "cannot start the engine: %s", strerror(-r));
    /* As an agent that has run since before the policies came: a broken policy holds what it
     * selects now (what its earlier versions selected is not known here; docs/policies.md). */
    engine_past_known(w->e);
    w->policies = json_array();
    w->unreadable = json_array();
    return w->policies && w->unreadable ? 0 : -ENOMEM;
}

static int world_open(struct world *w, const struct copts *o, int arch, struct kerr *err)
{
    *w = (struct world){0};
    int r = kube_fetch_new(o->kubeconfig, o->context, &w->f, err);
    if (r < 0)
        return r;
    kube_fetch_set_deadline(
        w->f, (unsigned)((o->timeout_s ? o->timeout_s : TIMEOUT_DEFAULT_S) + o->wait_s));
    return world_fill(w, arch, err);
}

/* The Ready condition of a policy object: "True", "False", or "Pending" (no status for its
 * generation yet); reason and message when there are. */
static const char *ready_of(json_t *obj, const char **reason, const char **message)
{
    json_t *status = json_object_get(obj, "status");
    json_t *conds = json_object_get(status, "conditions");
    json_int_t gen =
        json_integer_value(json_object_get(json_object_get(obj, "metadata"), "generation"));
    size_t i;
    json_t *c;
    *reason = *message = NULL;
    json_array_foreach(conds, i, c)
    {
        if (!json_is_string(json_object_get(c, "type")) ||
            strcmp(json_string_value(json_object_get(c, "type")), "Ready") != 0)
            continue;
        json_int_t seen = json_integer_value(json_object_get(c, "observedGeneration"));
        if (!seen)
            seen = json_integer_value(json_object_get(status, "observedGeneration"));
        *reason = json_string_value(json_object_get(c, "reason"));
        *message = json_string_value(json_object_get(c, "message"));
        if (gen && seen && seen < gen) {
            *reason = "Pending";
            *message = "no agent has reported on this generation yet";
            return "Pending";
        }
        const char *st = json_string_value(json_object_get(c, "status"));
        return st && strcmp(st, "True") == 0 ? "True" : "False";
    }
    *reason = "Pending";
    *message = "no agent has reported on it yet (is the agent running?)";
    return "Pending";
}

static json_t *find_policy_rec(struct world *w, const struct policy *p)
{
    size_t i;
    json_t *rec;
    json_array_foreach(w->policies, i, rec)
    {
        const char *kind = str_at(rec, "kind");
        const char *ns = json_string_value(json_object_get(rec, "namespace"));
        const char *name = str_at(rec, "name");
        if (strcmp(kind, policy_kind_name(p->kind)) == 0 && strcmp(name, p->name) == 0 &&
            strcmp(ns ? ns : "", p->ns ? p->ns : "") == 0)
            return rec;
    }
    return NULL;
}

/* RFC 3339 to unix seconds (0 when unreadable). */
static int64_t parse_ts(const char *s)
{
    if (!s)
        return 0;
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end)
        return 0;
    return (int64_t)timegm(&tm);
}

/* The kscmp Events of a pod (component kscmp), newest first. */
struct event_list {
    json_t *events;
    const char *uid;
};

static int keep_event(json_t *item, void *userdata)
{
    struct event_list *l = userdata;
    const char *comp = json_string_value(json_object_get(item, "reportingComponent"));
    const char *src =
        json_string_value(json_object_get(json_object_get(item, "source"), "component"));
    if (!((comp && strcmp(comp, "kscmp") == 0) || (src && strcmp(src, "kscmp") == 0)))
        return 0;
    const char *uid =
        json_string_value(json_object_get(json_object_get(item, "involvedObject"), "uid"));
    if (l->uid && uid && *uid && strcmp(uid, l->uid) != 0)
        return 0; /* an earlier pod of the same name */
    return json_array_append(l->events, item);
}

static const char *event_time(json_t *ev)
{
    const char *t = str_at(ev, "lastTimestamp");
    if (!t)
        t = json_string_value(json_object_get(ev, "eventTime"));
    if (!t)
        t = json_string_value(
            json_object_get(json_object_get(ev, "metadata"), "creationTimestamp"));
    return t ? t : "";
}

static int cmp_event_newest(const void *a, const void *b)
{
    return strcmp(event_time(*(json_t *const *)b), event_time(*(json_t *const *)a));
}

static int pod_events(struct world *w, const char *ns, const char *name, const char *uid,
                      json_t **ret, struct kerr *err)
{
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path,
                 "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.kind%%3DPod%%2C"
                 "involvedObject.name%%3D%s",
                 ns, name) < 0)
        return -ENOMEM;
    struct event_list l = {json_array(), uid};
    if (!l.events)
        return -ENOMEM;
    int r = kube_fetch_list(w->f, path, MAX_LIST, keep_event, &l, err);
    if (r < 0) {
        json_decref(l.events);
        return r;
    }
    size_t n = json_array_size(l.events);
    json_t **v = calloc(n ? n : 1, sizeof(*v));
    json_t *sorted = json_array();
    if (!v || !sorted) {
        free(v);
        json_decref(sorted);
        json_decref(l.events);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(l.events, i);
    qsort(v, n, sizeof(*v), cmp_event_newest);
    for (size_t i = 0; i < n; i++)
        json_array_append(sorted, v[i]);
    free(v);
    json_decref(l.events);
    *ret = sorted;
    return 0;
}

/* ---- explain pod ---- */

struct ctr {
    const char *name;
    const char *type; /* "init", "container", "ephemeral" */
    const char *profile_type;
    const char *ref; /* localhostProfile */
    char *rel;       /* ours: NS/NAME.json */
    const char *refused;
    int64_t started;
};

static const char *profile_of(json_t *sc, const char **ref)
{
    json_t *sp = json_object_get(sc, "seccompProfile");
    const char *type = json_string_value(json_object_get(sp, "type"));
    *ref = json_string_value(json_object_get(sp, "localhostProfile"));
    return type;
}

struct file_view {
    char *rel;
    enum file_action action;
    char *json;
    char *explain;
    char *why;
    /* The action of an agent started after the policies (engine_as_started_now()) */
    enum file_action action_restarted;
    bool held;         /* the agent said it keeps the file for a policy invalid since its start */
    bool cluster_only; /* the engine told the pod ClusterPoliciesOnly */
};

/* One engine_compute_file: the file's result, and the Events the pod would get now. */
struct file_pass {
    struct file_view *v;
    struct sysdb *db;
    json_t *events;
    const char *pod_ns, *pod_name;
};

static int explain_on_file(const struct file_result *r, void *userdata)
{
    struct file_pass *x = userdata;
    struct file_view *v = x->v;
    v->action = r->action;
    if (r->why && !(v->why = strdup(r->why)))
        return -ENOMEM;
    if (r->action != FILE_WRITE)
        return 0;
    if (!(v->json = strndup(r->json, r->len)))
        return -ENOMEM;
    return profile_explain(r->prof, x->db, &v->explain);
}

static int explain_on_event(const struct engine_event *ev, void *userdata)
{
    struct file_pass *x = userdata;
    if (strcmp(ev->pod->ns, x->pod_ns) != 0 || strcmp(ev->pod->name, x->pod_name) != 0)
        return 0;
    x->v->cluster_only |= ev->normal && strcmp(ev->reason, "ClusterPoliciesOnly") == 0;
    for (size_t i = 0; i < json_array_size(x->events); i++) {
        json_t *e = json_array_get(x->events, i);
        if (strcmp(str_at(e, "reason"), ev->reason) == 0 &&
            strcmp(str_at(e, "message"), ev->message) == 0)
            return 0;
    }
    return json_array_append_new(
        x->events, json_pack("{s:s, s:s}", "reason", ev->reason, "message", ev->message));
}

static const char *why_text(enum contrib_reason why)
{
    switch (why) {
    case CONTRIB_NAME:
        return "named after the file";
    case CONTRIB_SELECTOR:
        return "its selector matches the pod";
    case CONTRIB_CLUSTER:
        return "cluster policy: its selectors match the pod and its namespace";
    default:
        return "invalid; it selected the pod in its last good version";
    }
}

static const char *why_key(enum contrib_reason why)
{
    switch (why) {
    case CONTRIB_NAME:
        return "name";
    case CONTRIB_SELECTOR:
        return "selector";
    case CONTRIB_CLUSTER:
        return "cluster";
    default:
        return "held";
    }
}

/* Puts a pod (an API object) into e unless e has it or it is the one explained (skip_name). */
static int put_pod_json(struct engine *e, json_t *item, const char *skip_name)
{
    struct object o = {0};
    struct kerr err = {0};
    int r = decode_api(item, "v1", "Pod", &o, &err);
    if (r == 0 && o.type == OBJ_POD && !engine_get_pod(e, o.pod->ns, o.pod->name) &&
        !(skip_name && strcmp(o.pod->name, skip_name) == 0))
        r = engine_put_pod(e, TAKE_PTR(o.pod));
    object_clear(&o);
    return r == -ENOMEM ? r : 0;
}

/* The pods of the node: into the engine, and kept (items) for the restarted agent's view. */
struct node_pods {
    struct engine *e;
    json_t *items;
};

static int pods_on_node(json_t *item, void *userdata)
{
    struct node_pods *np = userdata;
    int r = put_pod_json(np->e, item, NULL);
    return r < 0 ? r : json_array_append(np->items, item);
}

/* An engine as the agent of the pod's node holds the world when it started after the
 * policies were last changed (engine_past_known() not called): a policy invalid then, of
 * which it never saw a version compile, may have selected any pod of its scope, so it holds
 * every file there (engine.h). The agent that has run since before sees what w->e shows. The
 * node's pods are items (API objects), the pod explained pod_json. */
static int engine_as_started_now(struct world *w, int arch, bool startup, const char *ns,
                                 json_t *items, json_t *pod_json, struct engine **ret,
                                 struct kerr *err)
{
    _cleanup_(engine_freep) struct engine *e = NULL;
    int r = engine_new(arch, &e);
    if (r < 0)
        return kerr_set(err, r, "cannot start the engine: %s", strerror(-r));
    engine_set_startup(e, startup);
    size_t i;
    json_t *rec;
    json_array_foreach(w->policies, i, rec)
    {
        struct object o = {0};
        struct kerr perr = {0};
        /* kind and apiVersion were filled in by put_policy() */
        r = decode_api(json_object_get(rec, "object"), "kscmp.io/v1", str_at(rec, "kind"), &o,
                       &perr);
        if (r == 0 && o.type == OBJ_POLICY)
            r = engine_put_policy(e, TAKE_PTR(o.policy));
        object_clear(&o);
        if (r < 0)
            return r;
    }
    struct world fw = {.f = w->f, .e = e};
    if ((r = put_namespace(&fw, ns, err)) < 0)
        return r;
    const char *name =
        json_string_value(json_object_get(json_object_get(pod_json, "metadata"), "name"));
    json_t *item;
    json_array_foreach(items, i, item)
    {
        if ((r = put_pod_json(e, item, name)) < 0)
            return r;
    }
    _cleanup_(json_decrefp) json_t *copy = json_deep_copy(pod_json);
    if (!copy || (r = put_pod_json(e, copy, NULL)) < 0)
        return -ENOMEM;
    *ret = TAKE_PTR(e);
    return 0;
}

static void print_ts(int64_t t, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The containers of the pod explained, and what they own. */
struct ctrs {
    struct ctr *v;
    size_t n;
};

static void ctrs_free(struct ctrs *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].rel);
    free(c->v);
}

/* Each kscmp file of the pod once, and what it owns. */
struct file_views {
    struct file_view *v;
    size_t n;
};

static void file_views_free(struct file_views *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].rel);
        free(f->v[i].json);
        free(f->v[i].explain);
        free(f->v[i].why);
    }
    free(f->v);
}

static int keep_pod_name(json_t *item, void *userdata)
{
    json_t *name = json_object_get(json_object_get(item, "metadata"), "name");
    return json_is_string(name) ? json_array_append(userdata, name) : 0;
}

/* The pod of namespace ns whose name is nearest to name, for "did you mean" (NULL: none, or
 * the pods cannot be listed); the names listed are kept in names, which the result points
 * into. */
static const char *nearest_pod(struct world *w, const char *ns, const char *name, json_t *names)
{
    _cleanup_free_ char *path = NULL;
    struct kerr err = {0};
    if (asprintf(&path, "/api/v1/namespaces/%s/pods", ns) < 0 ||
        kube_fetch_list(w->f, path, MAX_LIST, keep_pod_name, names, &err) < 0)
        return NULL;
    struct spell near;
    spell_init(&near, name);
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        spell_offer(&near, json_string_value(n));
    }
    return near.best;
}

/* The policies that hold file name of pod for an agent started now (restarted) but not for
 * one that has run since before (cv, ncv): invalid since before it started, never seen to
 * compile. Appends their ids to ids. */
static int held_since_start(struct engine *restarted, const struct pod *pod, const char *name,
                            const struct contributor *cv, size_t ncv, json_t *ids)
{
    struct contributor *rv = NULL;
    size_t nrv = 0;
    int r = engine_contributors(restarted, pod, name, &rv, &nrv);
    if (r < 0)
        return r;
    for (size_t i = 0; i < nrv && r == 0; i++) {
        const struct policy *p = rv[i].policy;
        bool known = false;
        for (size_t k = 0; k < ncv; k++)
            known |= cv[k].policy->kind == p->kind && strcmp(cv[k].policy->name, p->name) == 0 &&
                     strcmp(cv[k].policy->ns ? cv[k].policy->ns : "", p->ns ? p->ns : "") == 0;
        if (known || rv[i].why != CONTRIB_HELD)
            continue;
        char id[300];
        policy_id(p, id, sizeof(id));
        r = json_array_append_new(ids, json_sprintf("%s %s", policy_kind_name(p->kind), id));
    }
    free(rv);
    return r;
}

/* Whether the pod's Events (events) have the agent's PolicyInvalid saying it keeps kscmp/rel
 * for a policy that was invalid when it started (engine.c, held_reason()). */
static bool told_held_since_start(json_t *events, const char *rel)
{
    size_t n = strlen(rel), i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        const char *msg = str_at(ev, "message");
        if (strcmp(str_at(ev, "reason"), "PolicyInvalid") == 0 && strncmp(msg, "kscmp/", 6) == 0 &&
            strncmp(msg + 6, rel, n) == 0 && msg[6 + n] == ' ' &&
            strstr(msg, ENGINE_HELD_SINCE_START))
            return true;
    }
    return false;
}

/* The ids of a JSON array of strings, ", " between them (NULL: no memory). */
static char *join_ids(json_t *ids)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    if (!f)
        return NULL;
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        fprintf(f, "%s%s", i ? ", " : "", json_string_value(id));
    }
    if (fclose(f) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* The note for file rel ("NS/NAME.json") that ClusterSeccompPolicies alone make (the engine
 * told the pod ClusterPoliciesOnly): no policy of ns is named name or selects the pod. A
 * misspelt localhostProfile, or a deleted policy, under a cluster-wide policy that covers the
 * pod gives the pod that baseline alone (the agent posts no NoPolicy), so it is said, with the
 * nearest policy of ns, as the offline explain does. */
static char *cluster_only_note(struct world *w, const char *ns, const char *name, const char *rel)
{
    struct spell near;
    spell_init(&near, name);
    size_t i;
    json_t *rec;
    json_array_foreach(w->policies, i, rec)
    {
        const char *kind = str_at(rec, "kind");
        if (strcmp(str_at(rec, "namespace"), ns) == 0 &&
            (strcmp(kind, "SeccompPolicy") == 0 || strcmp(kind, "KubeArmorSeccompPolicy") == 0))
            spell_offer(&near, str_at(rec, "name"));
    }
    char *note = NULL;
    if (asprintf(&note,
                 "there is no SeccompPolicy %s/%s, and no policy of %s selects the pod: kscmp/%s "
                 "holds only what ClusterSeccompPolicies give%s%s%s%s%s",
                 ns, name, ns, rel, near.best ? " (did you mean kscmp/" : "", near.best ? ns : "",
                 near.best ? "/" : "", near.best ? near.best : "", near.best ? ".json?)" : "") < 0)
        return NULL;
    return note;
}

static int explain_agent(struct world *w, const char *node_name, json_t *node, bool readyz, FILE *t,
                         json_t *out);
static int kubearmor_setting(struct world *w, int flag, struct kerr *err);
static const char *kubearmor_note(const struct world *w);

int cli_cluster_explain(int argc, char **argv)
{
    struct copts o = {0};
    int r = parse_copts("explain", explain_help, true, argc, argv, &o);
    if (r >= 0)
        return r;
    struct kerr err = {0};
    _cleanup_(world_free) struct world w = {0};
    int arch = arch_native();
    if ((r = world_open(&w, &o, arch, &err)) < 0) {
        tprintf(stderr, "kscmp: error: %s\n", err.msg[0] ? err.msg : strerror(-r));
        return EXIT_INVALID;
    }
    engine_set_startup(w.e, !o.startup_none); /* as the agent was started */
    const char *ns = o.ns                        ? o.ns
                     : kube_fetch_namespace(w.f) ? kube_fetch_namespace(w.f)
                                                 : "default";
    _cleanup_(json_decrefp) json_t *pod_json = NULL;
    _cleanup_(json_decrefp) json_t *events = NULL;
    _cleanup_(json_decrefp) json_t *out = NULL;
    _cleanup_(json_decrefp) json_t *node = NULL;
    _cleanup_(json_decrefp) json_t *now = NULL;
    _cleanup_(json_decrefp) json_t *now_restarted = json_array();
    _cleanup_(json_decrefp) json_t *node_pods = json_array();
    _cleanup_(ctrs_free) struct ctrs cs = {0};
    _cleanup_(file_views_free) struct file_views fv = {0};
    _cleanup_(object_clear) struct object pod_obj = {0};
    _cleanup_free_ char *text = NULL;
    size_t text_len = 0;
    _cleanup_fclose_ FILE *t = NULL;

    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "/api/v1/namespaces/%s/pods/%s", ns, o.pod) < 0)
        return EXIT_INVALID;
    if ((r = kube_fetch_json(w.f, path, &pod_json, &err)) < 0) {
        if (r == -ENOENT) {
            _cleanup_(json_decrefp) json_t *names = json_array();
            const char *near = names ? nearest_pod(&w, ns, o.pod, names) : NULL;
            tprintf(stderr, "kscmp: error: no pod %s in namespace %s%s%s%s\n", o.pod, ns,
                    near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
        } else
            tprintf(stderr, "kscmp: error: %s\n", err.msg);
        return EXIT_INVALID;
    }
    json_t *spec = json_object_get(pod_json, "spec");
    const char *node_name = json_string_value(json_object_get(spec, "nodeName"));
    if (node_name && !dns_subdomain_valid(node_name))
        node_name = NULL; /* it goes into request paths */
    const char *uid =
        json_string_value(json_object_get(json_object_get(pod_json, "metadata"), "uid"));
    /* The node's architecture decides which syscalls exist. */
    const char *arch_note = "this machine's: the pod's node could not be read";
    if (node_name) {
        _cleanup_free_ char *npath = NULL;
        struct kerr nerr = {0};
        if (asprintf(&npath, "/api/v1/nodes/%s", node_name) < 0)
            return EXIT_INVALID;
        if (kube_fetch_json(w.f, npath, &node, &nerr) == 0) {
            const char *a = json_string_value(json_object_get(
                json_object_get(json_object_get(node, "status"), "nodeInfo"), "architecture"));
            int na = a ? arch_parse(a) : -EINVAL;
            if (na >= 0 && na != arch) {
                engine_free(w.e);
                w.e = NULL;
                if ((r = engine_new(na, &w.e)) < 0)
                    return EXIT_INVALID;
                engine_past_known(w.e);
                engine_set_startup(w.e, !o.startup_none);
                arch = na;
            }
            arch_note = na >= 0 ? "the node's"
                        : a     ? "this machine's: the node's architecture is not one kscmp knows"
                                : "this machine's: the node reports no architecture (no kubelet "
                                  "has reported its status)";
        }
    } else {
        arch_note = "this machine's: the pod is not on a node yet";
    }
    if ((r = kubearmor_setting(&w, o.kubearmor, &err)) < 0 ||
        (r = load_policies(&w, ns, &err)) < 0 || (r = put_namespace(&w, ns, &err)) < 0) {
        tprintf(stderr, "kscmp: error: %s\n", err.msg[0] ? err.msg : strerror(-r));
        return EXIT_INVALID;
    }
    /* The other pods of the node that share a file change what it holds (section 2). */
    if (node_name) {
        _cleanup_free_ char *ppath = NULL;
        _cleanup_free_ char *esc = kube_escape(node_name);
        if (!esc || asprintf(&ppath, "/api/v1/namespaces/%s/pods?fieldSelector=spec.nodeName%%3D%s",
                             ns, esc) < 0)
            return EXIT_INVALID;
        struct kerr perr = {0};
        struct node_pods np = {w.e, node_pods};
        if (kube_fetch_list(w.f, ppath, MAX_LIST, pods_on_node, &np, &perr) < 0)
            tprintf(stderr,
                    "kscmp: warning: the other pods of node %s cannot be listed (%s): "
                    "a file they share is shown for this pod alone\n",
                    node_name, perr.msg);
    }
    json_t *copy = json_deep_copy(pod_json);
    r = copy ? decode_api(copy, "v1", "Pod", &pod_obj, &err) : -ENOMEM;
    json_decref(copy);
    if (r < 0 || pod_obj.type != OBJ_POD) {
        tprintf(stderr, "kscmp: error: pod %s/%s: %s\n", ns, o.pod, err.msg);
        return EXIT_INVALID;
    }
    const struct pod *pod = pod_obj.pod;
    if (engine_get_pod(w.e, ns, o.pod))
        engine_delete_pod(w.e, ns, o.pod);
    struct pod *pod_copy = NULL;
    {
        json_t *c2 = json_deep_copy(pod_json);
        struct object o2 = {0};
        struct kerr e2 = {0};
        if (c2 && decode_api(c2, "v1", "Pod", &o2, &e2) == 0 && o2.type == OBJ_POD)
            pod_copy = TAKE_PTR(o2.pod);
        object_clear(&o2);
        json_decref(c2);
    }
    if (!pod_copy || engine_put_pod(w.e, pod_copy) < 0)
        return EXIT_INVALID;
    if ((r = pod_events(&w, ns, o.pod, uid, &events, &err)) < 0) {
        tprintf(stderr, "kscmp: warning: the pod's Events cannot be read: %s\n", err.msg);
        events = json_array();
    }
    /* What the agent holds depends on whether it saw the policies invalid now ever compile:
     * the view of one that started after them too. */
    _cleanup_(engine_freep) struct engine *restarted = NULL;
    if (!now_restarted || !node_pods)
        return EXIT_INVALID;
    kerr_clear(&err); /* an earlier warning's words are not this one's */
    if ((r = engine_as_started_now(&w, arch, !o.startup_none, ns, node_pods, pod_json, &restarted,
                                   &err)) < 0)
        tprintf(stderr, "kscmp: warning: what an agent started now would hold is not shown: %s\n",
                err.msg[0] ? err.msg : strerror(-r));

    /* Containers and their profiles: the container's setting wins over the pod's. */
    json_t *pod_sc = json_object_get(spec, "securityContext");
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    static const char *const types[] = {"init", "container", "ephemeral"};
    static const char *const status_lists[] = {"initContainerStatuses", "containerStatuses",
                                               "ephemeralContainerStatuses"};
    size_t total = 0;
    for (size_t l = 0; l < 3; l++)
        total += json_array_size(json_object_get(spec, lists[l]));
    cs.v = calloc(total ? total : 1, sizeof(*cs.v));
    if (!cs.v)
        return EXIT_INVALID;
    for (size_t l = 0; l < 3; l++) {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(spec, lists[l]), i, c)
        {
            struct ctr *x = &cs.v[cs.n++];
            x->name = json_string_value(json_object_get(c, "name"));
            if (!x->name)
                x->name = "?";
            x->type = types[l];
            x->profile_type = profile_of(json_object_get(c, "securityContext"), &x->ref);
            if (!x->profile_type)
                x->profile_type = profile_of(pod_sc, &x->ref);
            if (x->profile_type && strcmp(x->profile_type, "Localhost") == 0 && x->ref) {
                struct kerr cerr = {0};
                int q = engine_classify_ref(ns, x->ref, &x->rel, &cerr);
                if (q < 0)
                    x->refused = "refused";
            }
            size_t k;
            json_t *st;
            json_array_foreach(
                json_object_get(json_object_get(pod_json, "status"), status_lists[l]), k, st)
            {
                const char *sn = json_string_value(json_object_get(st, "name"));
                if (sn && strcmp(sn, x->name) == 0)
                    x->started = parse_ts(json_string_value(json_object_get(
                        json_object_get(json_object_get(st, "state"), "running"), "startedAt")));
            }
        }
    }

    /* Each kscmp file once, computed as the pod's node would. */
    fv.v = calloc(cs.n ? cs.n : 1, sizeof(*fv.v));
    if (!fv.v)
        return EXIT_INVALID;
    now = json_array();
    if (!now)
        return EXIT_INVALID;
    for (size_t i = 0; i < cs.n; i++) {
        if (!cs.v[i].rel)
            continue;
        bool seen = false;
        for (size_t k = 0; k < fv.n; k++)
            seen |= strcmp(fv.v[k].rel, cs.v[i].rel) == 0;
        if (seen)
            continue;
        struct file_view *v = &fv.v[fv.n++];
        if (!(v->rel = strdup(cs.v[i].rel)))
            return EXIT_INVALID;
        struct file_pass fp = {v, engine_sysdb(w.e), now, ns, o.pod};
        struct sync_ops ops = {.file = explain_on_file, .event = explain_on_event, .userdata = &fp};
        if ((r = engine_compute_file(w.e, v->rel, &ops)) < 0 && r != -ENOENT)
            return EXIT_INVALID;
        v->action_restarted = v->action;
        if (restarted) {
            struct file_view rv = {0};
            struct file_pass rp = {&rv, engine_sysdb(restarted), now_restarted, ns, o.pod};
            struct sync_ops rops = {
                .file = explain_on_file, .event = explain_on_event, .userdata = &rp};
            r = engine_compute_file(restarted, v->rel, &rops);
            v->action_restarted = rv.action;
            free(rv.json);
            free(rv.explain);
            free(rv.why);
            if (r < 0 && r != -ENOENT)
                return EXIT_INVALID;
        }
    }

    /* Output. */
    out = json_object();
    json_t *jctrs = json_array(), *jfiles = json_array();
    json_object_set_new(out, "pod",
                        json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s}", "namespace", ns, "name",
                                  o.pod, "uid", uid, "node", node_name, "architecture",
                                  arch_get((size_t)arch)->name, "architectureFrom", arch_note));
    json_object_set_new(out, "containers", jctrs);
    json_object_set_new(out, "files", jfiles);
    t = open_memstream(&text, &text_len);
    if (!t)
        return EXIT_INVALID;
    tprintf(t, "Pod %s/%s on node %s (%s, %s)\n", ns, o.pod, node_name ? node_name : "(none yet)",
            arch_get((size_t)arch)->name, arch_note);
    /* The node's agent, when it has none or its pod is known not to be Ready: then the
     * node's files are not written or not kept up to date, whatever follows says. Quiet when
     * the agents cannot be read. */
    if (node_name && (r = explain_agent(&w, node_name, node, !o.no_readyz, t, out)) < 0)
        return EXIT_INVALID;
    if (kubearmor_note(&w))
        tprintf(t, "  KubeArmorSeccompPolicies: %s\n", kubearmor_note(&w));
    json_object_set_new(out, "kubearmorPolicies", json_incref(w.kubearmor_policies));
    tprintf(t, "\nContainers:\n");
    for (size_t i = 0; i < cs.n; i++) {
        struct ctr *x = &cs.v[i];
        bool stale = false;
        json_t *stale_ev = NULL;
        size_t k;
        json_t *ev;
        json_array_foreach(events, k, ev)
        {
            json_t *facts = !stale && x->rel ? stale_event_facts(ev) : NULL;
            if (facts && stale_facts_hold(facts, x->rel, x->name, x->started)) {
                stale = true;
                stale_ev = ev;
            }
            json_decref(facts);
        }
        char started[40] = "";
        if (x->started)
            print_ts(x->started, started, sizeof(started));
        const char *what = x->rel ? NULL : x->profile_type ? x->profile_type : "none set";
        json_array_append_new(
            jctrs, json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:b, s:s?, s:b}", "name", x->name,
                             "type", x->type, "seccompProfile", x->profile_type, "localhostProfile",
                             x->ref, "startedAt", x->started ? started : NULL, "kscmp",
                             x->rel != NULL, "refused", x->refused, "stale", stale));
        tprintf(t, "  %-24s %-10s ", x->name, x->type);
        if (x->rel)
            tprintf(t, "kscmp/%s", x->rel);
        else if (x->refused || (x->ref && strncmp(x->ref, "kscmp/", 6) == 0))
            tprintf(t, "%s (refused: another namespace's folder or not a valid name)", x->ref);
        else if (x->ref)
            tprintf(t, "%s: %s (not a kscmp profile)", what, x->ref);
        else
            tprintf(t, "%s (not a kscmp profile)", what);
        if (x->started)
            tprintf(t, ", running since %s", started);
        if (stale)
            tprintf(t, ", STALE: %s", str_at(stale_ev, "message"));
        else if (x->rel && x->started)
            tprintf(t, ", not stale");
        fputc('\n', t);
    }
    for (size_t i = 0; i < fv.n; i++) {
        struct file_view *v = &fv.v[i];
        struct ns_name rel; /* NS/NAME.json */
        _cleanup_free_ char *name = ns_name_split(v->rel, &rel) == 0
                                        ? strndup(rel.name, strlen(rel.name) - strlen(".json"))
                                        : NULL;
        struct contributor *cv = NULL;
        size_t ncv = 0;
        if (!name || engine_contributors(w.e, pod, name, &cv, &ncv) < 0)
            return EXIT_INVALID;
        json_t *jf = json_object(), *jc = json_array();
        json_object_set_new(jf, "file", json_sprintf("kscmp/%s", v->rel));
        json_object_set_new(jf, "contributors", jc);
        tprintf(t, "\nkscmp/%s\n  Contributing policies:\n", v->rel);
        if (ncv == 0)
            tprintf(t, "    none: there is no SeccompPolicy %s/%s and no policy selects the pod\n",
                    ns, name);
        bool pending = false;
        for (size_t k = 0; k < ncv; k++) {
            const struct policy *p = cv[k].policy;
            json_t *rec = find_policy_rec(&w, p);
            const char *reason = NULL, *message = NULL;
            const char *ready =
                rec ? ready_of(json_object_get(rec, "object"), &reason, &message) : "Pending";
            char id[300];
            policy_id(p, id, sizeof(id));
            json_array_append_new(jc, json_pack("{s:s, s:s?, s:s, s:s, s:b, s:s, s:s?, s:s?}",
                                                "kind", policy_kind_name(p->kind), "namespace",
                                                p->ns, "name", p->name, "why", why_key(cv[k].why),
                                                "ceiling", p->ceiling, "ready", ready, "reason",
                                                reason, "message", message));
            bool ok = strcmp(ready, "True") == 0;
            pending |= strcmp(ready, "Pending") == 0;
            tprintf(t, "    %-22s %-24s %s%s\n      Ready %s%s%s%s%s%s\n",
                    policy_kind_name(p->kind), id, why_text(cv[k].why),
                    p->ceiling ? "; a ceiling: it has a say on every syscall" : "", ready,
                    reason ? " (" : "", reason ? reason : "", message && !ok ? ": " : "",
                    message && !ok ? message : "", reason ? ")" : "");
        }
        _cleanup_(json_decrefp) json_t *held_by = json_array();
        if (!held_by || (restarted && v->action != FILE_KEEP && v->action_restarted == FILE_KEEP &&
                         held_since_start(restarted, pod, name, cv, ncv, held_by) < 0)) {
            free(cv);
            return EXIT_INVALID;
        }
        free(cv);
        if (v->cluster_only) {
            _cleanup_free_ char *note = cluster_only_note(&w, ns, name, v->rel);
            if (!note)
                return EXIT_INVALID;
            tprintf(t, "  Note: %s\n", note);
            json_object_set_new(jf, "note", json_string(note));
        }
        /* What the node's file holds, as the policies' status and the Events tell it. */
        const char *state;
        switch (v->action) {
        case FILE_WRITE:
            state = pending ? "the merge of the policies above once the agent has seen them "
                              "(a contributor's status is Pending)"
                            : "the merge of the policies above (every contributor is Ready)";
            break;
        case FILE_KEEP:
            state = "kept as it was (the last profile written, or absent if there never was one)";
            break;
        default:
            state = "absent";
        }
        /* A policy invalid since before the agent started holds what it may have selected:
         * said by the agent's Event, it is what the node does; else it depends on when the
         * agent started, which the API does not tell. */
        _cleanup_free_ char *held_ids = json_array_size(held_by) ? join_ids(held_by) : NULL;
        if (json_array_size(held_by) && !held_ids)
            return EXIT_INVALID;
        v->held = held_ids && told_held_since_start(events, v->rel);
        if (v->held) {
            state = "kept as it was (the last profile written, or absent if there never was one)";
            json_object_set_new(jf, "heldBy", json_incref(held_by));
        } else if (held_ids) {
            json_object_set_new(jf, "keptIfAgentStartedWhileInvalid", json_incref(held_by));
        }
        json_object_set_new(jf, "state",
                            json_string(v->held                   ? "kept"
                                        : v->action == FILE_WRITE ? "written"
                                        : v->action == FILE_KEEP  ? "kept"
                                                                  : "absent"));
        if (v->why && !v->held)
            json_object_set_new(jf, "why", json_string(v->why));
        if (v->held)
            tprintf(t,
                    "  On the node: %s: %s invalid since before the agent started: which pods it "
                    "selected before is not known to the agent, so it takes it to select any pod "
                    "of its scope (its PolicyInvalid Event on this pod says so)\n",
                    state, held_ids);
        else
            tprintf(t, "  On the node: %s%s%s\n", state, v->why ? ": " : "", v->why ? v->why : "");
        if (held_ids && !v->held)
            tprintf(t,
                    "  Unless the agent started while %s was invalid: then it keeps the file as "
                    "it was (which pods that policy selected before is not known to it) and says "
                    "so in a PolicyInvalid Event on this pod\n",
                    held_ids);
        if (v->json) {
            json_t *pj = json_loads(v->json, 0, NULL);
            json_object_set_new(jf, "profile", pj ? pj : json_null());
        }
        json_array_append_new(jfiles, jf);
    }
    /* What the agent said (Events) and what it would say now: where it holds a file for a
     * policy invalid since its start, as an agent started now would. */
    for (size_t i = 0; i < fv.n; i++) {
        if (!fv.v[i].held)
            continue;
        size_t k;
        json_t *ev;
        json_array_foreach(now_restarted, k, ev)
        {
            bool dup = false;
            for (size_t m = 0; m < json_array_size(now); m++)
                dup |=
                    strcmp(str_at(json_array_get(now, m), "message"), str_at(ev, "message")) == 0;
            if (!dup && strcmp(str_at(ev, "reason"), "PolicyInvalid") == 0 &&
                json_array_append(now, ev) < 0)
                return EXIT_INVALID;
        }
        break;
    }
    /* What the agent said (Events) and what it would say now. */
    json_object_set_new(out, "events", json_incref(events));
    json_object_set_new(out, "expectedEvents", json_incref(now));
    if (json_array_size(events)) {
        tprintf(t, "\nEvents from kscmp (newest first):\n");
        size_t k;
        json_t *ev;
        json_array_foreach(events, k, ev)
        {
            tprintf(t, "  %s  %-20s %s\n", event_time(ev), str_at(ev, "reason"),
                    str_at(ev, "message"));
        }
    } else {
        tprintf(t, "\nEvents from kscmp: none\n");
    }
    if (json_array_size(now)) {
        tprintf(t, "\n%s\n",
                json_object_get(out, "agentMissing")
                    ? "What an agent on the node would say about it now (none runs there):"
                    : "What the agent on the node says about it now:");
        size_t k;
        json_t *ev;
        json_array_foreach(now, k, ev)
        {
            tprintf(t, "  %-20s %s\n", str_at(ev, "reason"), str_at(ev, "message"));
        }
    }
    for (size_t i = 0; i < fv.n; i++) {
        struct file_view *v = &fv.v[i];
        if (!v->explain)
            continue;
        tprintf(t, "\nProfile kscmp/%s (each syscall's action and where it comes from)%s:\n",
                v->rel, v->held ? ", once the policy that holds it is fixed" : "");
        fputs(v->explain, t);
    }
    if (fclose(TAKE_PTR(t)) != 0)
        return EXIT_INVALID;
    if (strcmp(o.output, "json") == 0) {
        char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!s)
            return EXIT_INVALID;
        puts(s);
        free(s);
    } else {
        fputs(text, stdout);
    }
    return 0;
}

/* ---- status ---- */

struct status_ctx {
    struct world *w;
    json_t *by_pod; /* "ns/name/uid" -> {namespace, name, uid, events: []} */
};

static int collect_warning(json_t *item, void *userdata)
{
    struct status_ctx *c = userdata;
    struct event_list l = {json_array(), NULL};
    if (!l.events)
        return -ENOMEM;
    int r = keep_event(item, &l);
    bool ours = json_array_size(l.events) > 0;
    json_decref(l.events);
    if (r < 0 || !ours)
        return r < 0 ? r : 0;
    json_t *io = json_object_get(item, "involvedObject");
    const char *kind = json_string_value(json_object_get(io, "kind"));
    const char *ns = json_string_value(json_object_get(io, "namespace"));
    const char *name = json_string_value(json_object_get(io, "name"));
    const char *uid = json_string_value(json_object_get(io, "uid"));
    if (!kind || strcmp(kind, "Pod") != 0 || !dns_label_valid(ns) || !dns_subdomain_valid(name))
        return 0; /* names go into request paths: only valid ones */
    _cleanup_free_ char *key = NULL;
    if (asprintf(&key, "%s/%s/%s", ns, name, uid ? uid : "") < 0)
        return -ENOMEM;
    json_t *p = json_object_get(c->by_pod, key);
    if (!p) {
        if (json_object_size(c->by_pod) >= MAX_PODS_CHECKED)
            return 0;
        p = json_pack("{s:s, s:s, s:s, s:[]}", "namespace", ns, "name", name, "uid", uid ? uid : "",
                      "events");
        if (!p || json_object_set_new(c->by_pod, key, p) < 0)
            return -ENOMEM;
    }
    json_t *ev = json_pack(
        "{s:s?, s:s?, s:I, s:s}", "reason", json_string_value(json_object_get(item, "reason")),
        "message", json_string_value(json_object_get(item, "message")), "count",
        json_integer_value(json_object_get(item, "count")), "lastTimestamp", event_time(item));
    json_t *facts = stale_event_facts(item); /* which file, when, which containers */
    if (ev && facts && json_object_set_new(ev, "stale", facts) < 0) {
        json_decref(ev);
        return -ENOMEM;
    }
    if (!ev && facts)
        json_decref(facts);
    return json_array_append_new(json_object_get(p, "events"), ev);
}

struct owed {
    json_t *list; /* [{namespace, name, reason}] */
};

static int status_on_event(const struct engine_event *ev, void *userdata)
{
    struct owed *o = userdata;
    if (ev->normal)
        return 0; /* status lists Warning Events only */
    return json_array_append_new(o->list, json_pack("{s:s, s:s, s:s}", "namespace", ev->pod->ns,
                                                    "name", ev->pod->name, "reason", ev->reason));
}

static bool owed_now(json_t *owed, const char *ns, const char *name, const char *reason)
{
    size_t i;
    json_t *x;
    json_array_foreach(owed, i, x)
    {
        if (strcmp(str_at(x, "namespace"), ns) == 0 && strcmp(str_at(x, "name"), name) == 0 &&
            strcmp(str_at(x, "reason"), reason) == 0)
            return true;
    }
    return false;
}

/* The policies read that no agent has reported on in their current version. */
static size_t pending_count(struct world *w)
{
    size_t i, n = 0;
    json_t *rec;
    json_array_foreach(w->policies, i, rec)
    {
        const char *reason, *message;
        n += strcmp(ready_of(json_object_get(rec, "object"), &reason, &message), "Pending") == 0;
    }
    return n;
}

/* The agents: kscmp's DaemonSets are those labelled as the chart's and deploy/'s are. */
#define AGENT_SELECTOR_TEXT "app.kubernetes.io/part-of=kscmp,app.kubernetes.io/component=agent"
#define AGENT_SELECTOR                                                                             \
    "labelSelector=app.kubernetes.io%2Fpart-of%3Dkscmp%2Capp.kubernetes.io%2Fcomponent%3Dagent"
#define MAX_AGENT_SETS 64         /* DaemonSets reported */
#define MAX_AGENT_PODS 100000     /* agent pods read, one per node */
#define MAX_AGENT_PODS_LISTED 256 /* of those not Ready, listed (all are counted) */

#define KUBEARMOR_OPT "kubearmor-policies"

/* The value a container's command and args give the agent's --kubearmor-policies: the last
 * one, as the agent's getopt_long() reads it (=VALUE or the next argument; an unambiguous
 * abbreviation, from --kubea on), options after a "--" not counted; NULL when none does. */
static const char *kubearmor_arg(json_t *ctr)
{
    json_t *command = json_object_get(ctr, "command"), *args = json_object_get(ctr, "args");
    size_t ncommand = json_array_size(command), n = ncommand + json_array_size(args);
    const char *val = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *a = json_string_value(i < ncommand ? json_array_get(command, i)
                                                       : json_array_get(args, i - ncommand));
        if (!a || strncmp(a, "--", 2) != 0)
            continue;
        if (!a[2])
            break;
        size_t len = strcspn(a + 2, "=");
        if (len < strlen("kubea") || len > strlen(KUBEARMOR_OPT) ||
            strncmp(a + 2, KUBEARMOR_OPT, len) != 0)
            continue;
        if (a[2 + len] == '=')
            val = a + 3 + len;
        else if (++i < n)
            val = json_string_value(i < ncommand ? json_array_get(command, i)
                                                 : json_array_get(args, i - ncommand));
    }
    return val;
}

/* kscmp's DaemonSets ("NS/NAME") whose agents read KubeArmorSeccompPolicies, and not. */
struct kubearmor_sets {
    json_t *on, *off;
};

static int collect_kubearmor_set(json_t *item, void *userdata)
{
    struct kubearmor_sets *c = userdata;
    if (json_array_size(c->on) + json_array_size(c->off) >= MAX_AGENT_SETS)
        return 0;
    json_t *spec =
        json_object_get(json_object_get(json_object_get(item, "spec"), "template"), "spec");
    bool off = false;
    size_t i;
    json_t *ctr;
    json_array_foreach(json_object_get(spec, "containers"), i, ctr)
    {
        const char *v = kubearmor_arg(ctr);
        off |= v && strcmp(v, "off") == 0;
    }
    json_t *md = json_object_get(item, "metadata");
    return json_array_append_new(
        off ? c->off : c->on, json_sprintf("%s/%s", str_at(md, "namespace"), str_at(md, "name")));
}

/* Whether the commands read KubeArmorSeccompPolicies: as --kubearmor-policies says (flag 1
 * on, 0 off), else (-1) as the agents do: not when every kscmp DaemonSet runs them with
 * --kubearmor-policies=off; else (one of them reads them, or there is no DaemonSet or they
 * cannot be listed) as the agent's default, read. Sets w->kubearmor_off and
 * w->kubearmor_policies {read, from: "flag", "daemonSets" or "default", note}. */
static int kubearmor_setting(struct world *w, int flag, struct kerr *err)
{
    _cleanup_(json_decrefp) json_t *on = json_array();
    _cleanup_(json_decrefp) json_t *off = json_array();
    _cleanup_free_ char *note = NULL, *on_ids = NULL, *off_ids = NULL;
    const char *from = flag >= 0 ? "flag" : "daemonSets";
    bool read = flag != 0;
    int r = 0;
    if (!on || !off)
        return -ENOMEM;
    if (flag == 0) {
        r = asprintf(&note, "not read, as the agents do not read them (--kubearmor-policies=off)");
    } else if (flag < 0) {
        struct kubearmor_sets c = {on, off};
        r = kube_fetch_list(w->f, "/apis/apps/v1/daemonsets?" AGENT_SELECTOR, MAX_LIST,
                            collect_kubearmor_set, &c, err);
        if (r == -EACCES || r == -EPERM) {
            from = "default";
            r = asprintf(&note,
                         "read, as the agents do by default: kscmp's DaemonSets cannot be listed "
                         "(%s) to tell whether they run with --kubearmor-policies=off (if they "
                         "do, run this with --kubearmor-policies=off)",
                         err->msg);
            *err = (struct kerr){0};
        } else if (r < 0) {
            return r;
        } else if (!json_array_size(on) && !json_array_size(off)) {
            from = "default";
            r = asprintf(&note,
                         "read, as the agents do by default (no DaemonSet labelled %s tells "
                         "otherwise; if the agents run with --kubearmor-policies=off, run this "
                         "with --kubearmor-policies=off)",
                         AGENT_SELECTOR_TEXT);
        } else if (!(off_ids = join_ids(off)) || !(on_ids = join_ids(on))) {
            return -ENOMEM;
        } else if (!json_array_size(on)) {
            read = false;
            r = asprintf(&note,
                         "not read, as the agents do not read them (DaemonSet %s: "
                         "--kubearmor-policies=off)",
                         off_ids);
        } else if (json_array_size(off)) {
            r = asprintf(&note,
                         "read, as the agents of DaemonSet %s do (those of %s run with "
                         "--kubearmor-policies=off: on their nodes these objects count for "
                         "nothing)",
                         on_ids, off_ids);
        }
    }
    if (r < 0)
        return -ENOMEM;
    w->kubearmor_off = !read;
    json_decref(w->kubearmor_policies);
    w->kubearmor_policies = json_pack("{s:b, s:s, s:s?}", "read", read, "from", from, "note", note);
    return w->kubearmor_policies ? 0 : -ENOMEM;
}

/* What the text output says of KubeArmorSeccompPolicies, or NULL: that they are left out;
 * or, while the kind is served, what was taken for the agents when it is not sure. */
static const char *kubearmor_note(const struct world *w)
{
    const char *note = json_string_value(json_object_get(w->kubearmor_policies, "note"));
    return w->kubearmor_off || w->kubearmor ? note : NULL;
}

/* What read_agents() reads besides the report's "agents", for the nodes that have none. */
struct agent_scan {
    const char *node; /* read the agent pods of this node alone (explain pod); NULL: all */
    json_t *specs;    /* the pod template spec of each DaemonSet of "daemonSets", in order */
    json_t *nodes;    /* node name -> its agent pods of them (collect_agent_pod()) */
    char *unread;     /* why some agent pods could not be listed (NULL: every one was) */
    json_t *probe;    /* "ns/name" -> the /readyz port of an agent pod that runs, not Ready */
};

static void agent_scan_free(struct agent_scan *s)
{
    json_decref(s->specs);
    json_decref(s->nodes);
    json_decref(s->probe);
    free(s->unread);
    *s = (struct agent_scan){0};
}

static int agent_scan_init(struct agent_scan *s, const char *node)
{
    *s = (struct agent_scan){
        .node = node, .specs = json_array(), .nodes = json_object(), .probe = json_object()};
    return s->specs && s->nodes && s->probe ? 0 : -ENOMEM;
}

struct agent_sets {
    json_t *sets;  /* the DaemonSets read: {namespace, name, uid, desired, ready} */
    json_t *specs; /* and their pod template specs (NULL: not kept) */
};

static int collect_agent_set(json_t *item, void *userdata)
{
    struct agent_sets *c = userdata;
    json_t *md = json_object_get(item, "metadata"), *st = json_object_get(item, "status");
    const char *ns = str_at(md, "namespace"), *name = str_at(md, "name");
    if (!dns_label_valid(ns) || json_array_size(c->sets) >= MAX_AGENT_SETS)
        return 0; /* its namespace goes into a request path: a valid one only */
    json_int_t desired = json_integer_value(json_object_get(st, "desiredNumberScheduled"));
    json_int_t ready = json_integer_value(json_object_get(st, "numberReady"));
    if (c->specs) {
        json_t *spec =
            json_object_get(json_object_get(json_object_get(item, "spec"), "template"), "spec");
        if (json_array_append_new(c->specs, spec ? json_incref(spec) : json_null()) < 0)
            return -ENOMEM;
    }
    return json_array_append_new(c->sets, json_pack("{s:s, s:s, s:s, s:I, s:I}", "namespace", ns,
                                                    "name", name, "uid", str_at(md, "uid"),
                                                    "desired", desired, "ready", ready));
}

#define MAX_NODE_PODS_KEPT 4   /* agent pods of one node kept for the report (all are counted) */
#define MAX_AGENT_WHYS 1024    /* agent pods not Ready whose why is kept */
#define MAX_SEVERAL_LISTED 256 /* nodes with several agent pods, listed (all are counted) */
_Static_assert(MAX_AGENT_SETS <= 64, "a node's DaemonSets are bits of a uint64_t");

struct agent_pods {
    json_t *sets;          /* the DaemonSets read */
    json_t *not_ready;     /* the agent pods not Ready that are on no node yet (then each node's) */
    json_t *nodes;         /* node name -> {n, present, ready, pods} (agent_scan) */
    size_t not_ready_pods; /* every agent pod not Ready */
    size_t not_ready_off;  /* of them, those on no node yet */
    size_t whys;           /* the whys of not Ready pods kept */
    json_t *probe;         /* agent_scan's */
};

/* Whether agent pod a (of collect_agent_pod()) is a node's agent before b: Ready first, then
 * the one started last. */
static bool agent_pod_first(json_t *a, json_t *b)
{
    bool ra = json_is_true(json_object_get(a, "ready")),
         rb = json_is_true(json_object_get(b, "ready"));
    if (ra != rb)
        return ra;
    return json_integer_value(json_object_get(a, "started")) >
           json_integer_value(json_object_get(b, "started"));
}

/* The entry of the node's agent pods: the newest Ready one, else the newest. */
static json_t *node_agent(json_t *pods)
{
    json_t *best = NULL, *p;
    size_t i;
    json_array_foreach(pods, i, p)
    {
        if (!best || agent_pod_first(p, best))
            best = p;
    }
    return best;
}

/* A pod's entry as the report gives it: {namespace, name, node, daemonSet, why} for one not
 * Ready (notReady), {namespace, name, daemonSet, ready, why?} in a node's list. */
static json_t *agent_pod_public(json_t *p, bool not_ready_entry)
{
    if (not_ready_entry)
        return json_pack("{s:O, s:O, s:O, s:O, s:O}", "namespace", json_object_get(p, "namespace"),
                         "name", json_object_get(p, "name"), "node", json_object_get(p, "node"),
                         "daemonSet", json_object_get(p, "daemonSet"), "why",
                         json_object_get(p, "why"));
    return json_pack("{s:O, s:O, s:O, s:O, s:O*}", "namespace", json_object_get(p, "namespace"),
                     "name", json_object_get(p, "name"), "daemonSet",
                     json_object_get(p, "daemonSet"), "ready", json_object_get(p, "ready"), "why",
                     json_object_get(p, "why"));
}

/* Sets key of obj (an integer) to value. */
static int set_int(json_t *obj, const char *key, json_int_t value)
{
    return json_object_set_new(obj, key, json_integer(value));
}

static int collect_agent_pod(json_t *item, void *userdata)
{
    struct agent_pods *c = userdata;
    const char *owner = agent_pod_daemonset_uid(item);
    json_t *set = NULL, *x;
    size_t i, si = 0;
    json_array_foreach(c->sets, i, x)
    {
        if (owner && strcmp(str_at(x, "uid"), owner) == 0) {
            set = x;
            si = i;
        }
    }
    if (!set)
        return 0; /* not one of the DaemonSets' pods */
    json_t *md = json_object_get(item, "metadata"), *st = json_object_get(item, "status");
    const char *node = str_at(json_object_get(item, "spec"), "nodeName");
    bool ready = agent_pod_ready(item);
    char why[AGENT_WHY_QUOTE + 200] = "";
    if (!ready) {
        c->not_ready_pods++;
        if (c->whys++ < MAX_AGENT_WHYS) {
            agent_pod_why(item, why, sizeof(why));
            int port = agent_pod_readyz_port(item);
            const char *pns = str_at(md, "namespace"), *pname = str_at(md, "name");
            char key[600];
            /* They go into a request path: valid names only. */
            if (port && dns_label_valid(pns) && dns_subdomain_valid(pname) &&
                (size_t)snprintf(key, sizeof(key), "%s/%s", pns, pname) < sizeof(key) &&
                json_object_set_new(c->probe, key, json_integer(port)) < 0)
                return -ENOMEM;
        } else
            snprintf(why, sizeof(why), "not Ready (not read: more than %d agent pods are not)",
                     MAX_AGENT_WHYS);
    }
    int64_t started = parse_ts(str_at(st, "startTime"));
    if (!started)
        started = parse_ts(str_at(md, "creationTimestamp"));
    _cleanup_(json_decrefp) json_t *p = json_pack(
        "{s:s, s:s, s:s, s:s, s:b, s:I, s:s?}", "namespace", str_at(md, "namespace"), "name",
        str_at(md, "name"), "node", *node ? node : "(none)", "daemonSet", str_at(set, "name"),
        "ready", ready, "started", (json_int_t)started, "why", ready ? NULL : why);
    if (!p)
        return -ENOMEM;
    if (!*node) { /* not scheduled yet: the agent of no node, counted alone */
        if (ready)
            return 0;
        c->not_ready_off++;
        return json_array_size(c->not_ready) < MAX_AGENT_PODS_LISTED
                   ? json_array_append_new(c->not_ready, agent_pod_public(p, true))
                   : 0;
    }
    json_t *rec = json_object_get(c->nodes, node);
    if (!rec &&
        (json_object_set_new(c->nodes, node,
                             json_pack("{s:I, s:I, s:I, s:[]}", "n", (json_int_t)0, "present",
                                       (json_int_t)0, "ready", (json_int_t)0, "pods")) < 0 ||
         !(rec = json_object_get(c->nodes, node))))
        return -ENOMEM;
    uint64_t bit = UINT64_C(1) << si;
    uint64_t present = (uint64_t)json_integer_value(json_object_get(rec, "present")) | bit;
    uint64_t ready_sets = (uint64_t)json_integer_value(json_object_get(rec, "ready"));
    if (set_int(rec, "n", json_integer_value(json_object_get(rec, "n")) + 1) < 0 ||
        set_int(rec, "present", (json_int_t)present) < 0 ||
        set_int(rec, "ready", (json_int_t)(ready_sets | (ready ? bit : 0))) < 0)
        return -ENOMEM;
    /* The first few are kept, and the node's agent among them. */
    json_t *pods = json_object_get(rec, "pods");
    if (json_array_size(pods) < MAX_NODE_PODS_KEPT)
        return json_array_append(pods, p);
    size_t worst = 0;
    json_array_foreach(pods, i, x)
    {
        if (agent_pod_first(json_array_get(pods, worst), x))
            worst = i;
    }
    return agent_pod_first(p, json_array_get(pods, worst)) ? json_array_set(pods, worst, p) : 0;
}

/* What the report says of node name with several agent pods (rec, of collect_agent_pod()):
 * {node, pods, daemonSets, problem, message, agents}; problem: of several DaemonSets. */
static json_t *several_entry(json_t *sets, const char *name, json_t *rec)
{
    uint64_t present = (uint64_t)json_integer_value(json_object_get(rec, "present"));
    json_int_t n = json_integer_value(json_object_get(rec, "n"));
    _cleanup_(json_decrefp) json_t *ids = json_array();
    _cleanup_(json_decrefp) json_t *agents = json_array();
    if (!ids || !agents)
        return NULL;
    size_t i;
    json_t *x;
    json_array_foreach(sets, i, x)
    {
        if ((present >> i) & 1 &&
            json_array_append_new(
                ids, json_sprintf("%s/%s", str_at(x, "namespace"), str_at(x, "name"))) < 0)
            return NULL;
    }
    json_array_foreach(json_object_get(rec, "pods"), i, x)
    {
        if (json_array_append_new(agents, agent_pod_public(x, false)) < 0)
            return NULL;
    }
    size_t k = json_array_size(ids);
    _cleanup_free_ char *list = join_ids(ids), *msg = NULL;
    char count[32];
    snprintf(count, sizeof(count), "%zu", k);
    int r;
    if (!list)
        return NULL;
    if (k > 1)
        r = asprintf(&msg,
                     "node %s has agents of %s DaemonSets (%s): only one writes, the other%s "
                     "stand%s by for good (%s releases?)",
                     name, k == 2 ? "two" : count, list, k == 2 ? "" : "s", k == 2 ? "s" : "",
                     k == 2 ? "two" : "several");
    else if (json_integer_value(json_object_get(rec, "ready")))
        r = asprintf(&msg,
                     "a rollout is in progress on this node: %lld agent pods (one writes, the "
                     "others stand by or start)",
                     (long long)n);
    else
        r = asprintf(&msg,
                     "a rollout is in progress on this node: %lld agent pods, none of them "
                     "Ready (the node's files are not kept up to date meanwhile)",
                     (long long)n);
    if (r < 0)
        return NULL;
    return json_pack("{s:s, s:I, s:O, s:b, s:s, s:O}", "node", name, "pods", n, "daemonSets", ids,
                     "problem", k > 1, "message", msg, "agents", agents);
}

/* Judges each node by its agent pods (c): the node's agent is its newest Ready pod, else its
 * newest (notReady gets it); a node with several pods goes to nodesWithSeveral. Returns how
 * many agents are missing: the nodes whose agent is not Ready and the pods on no node, or
 * what the DaemonSets' counts say if more (their nodes without a Ready pod, less those
 * where a pod of another of them is Ready). */
static long judge_nodes(json_t *agents, struct agent_pods *c)
{
    json_t *several = json_array();
    if (!several || json_object_set_new(agents, "nodesWithSeveral", several) < 0)
        return -ENOMEM;
    long excused[MAX_AGENT_SETS] = {0};
    size_t nodes_not_ready = 0, nseveral = 0, nsets_problem = 0;
    const char *name;
    json_t *rec;
    json_object_foreach(c->nodes, name, rec)
    {
        uint64_t present = (uint64_t)json_integer_value(json_object_get(rec, "present"));
        uint64_t ready = (uint64_t)json_integer_value(json_object_get(rec, "ready"));
        if (!ready) {
            nodes_not_ready++;
            if (json_array_size(c->not_ready) < MAX_AGENT_PODS_LISTED &&
                json_array_append_new(
                    c->not_ready,
                    agent_pod_public(node_agent(json_object_get(rec, "pods")), true)) < 0)
                return -ENOMEM;
        }
        for (size_t i = 0; ready && i < MAX_AGENT_SETS; i++)
            excused[i] += (present & ~ready) >> i & 1;
        if (json_integer_value(json_object_get(rec, "n")) < 2)
            continue;
        nseveral++;
        nsets_problem += (present & (present - 1)) != 0;
        if (json_array_size(several) < MAX_SEVERAL_LISTED &&
            json_array_append_new(several, several_entry(c->sets, name, rec)) < 0)
            return -ENOMEM;
    }
    long missing = 0;
    size_t i;
    json_t *set;
    json_array_foreach(c->sets, i, set)
    {
        json_int_t gap = json_integer_value(json_object_get(set, "desired")) -
                         json_integer_value(json_object_get(set, "ready")) - excused[i];
        if (gap > 0)
            missing += gap < INT_MAX ? (long)gap : INT_MAX; /* int32 counts, from outside */
    }
    if (set_int(agents, "nodesWithSeveralCount", (json_int_t)nseveral) < 0 ||
        set_int(agents, "nodesWithSeveralDaemonSets", (json_int_t)nsets_problem) < 0 ||
        set_int(agents, "podsNotReady", (json_int_t)c->not_ready_pods) < 0)
        return -ENOMEM;
    long judged = (long)(nodes_not_ready + c->not_ready_off);
    return judged > missing ? judged : missing;
}

/* Reads kscmp's agent DaemonSets into agents {daemonSets, notReady, nodesWithSeveral,
 * nodesWithSeveralCount, nodesWithSeveralDaemonSets, podsNotReady} and returns how many
 * agents are missing (judge_nodes()); -EACCES when DaemonSets cannot be listed (agents then
 * holds "unreadable", the server's words). Their pods are read everywhere (of scan->node
 * alone if set), and scan says which nodes have one. */
static int read_agents(struct world *w, json_t *agents, struct agent_scan *scan, struct kerr *err)
{
    json_t *sets = json_array(), *not_ready = json_array();
    if (!sets || !not_ready || json_object_set_new(agents, "daemonSets", sets) < 0 ||
        json_object_set_new(agents, "notReady", not_ready) < 0)
        return -ENOMEM;
    struct agent_sets as = {sets, scan->specs};
    int r = kube_fetch_list(w->f, "/apis/apps/v1/daemonsets?" AGENT_SELECTOR, MAX_LIST,
                            collect_agent_set, &as, err);
    if (r == -EACCES || r == -EPERM) {
        json_object_set_new(agents, "unreadable", json_string(err->msg));
        *err = (struct kerr){0};
        return -EACCES;
    }
    if (r < 0)
        return r;
    _cleanup_free_ char *node_sel = NULL;
    if (scan->node) {
        _cleanup_free_ char *esc = kube_escape(scan->node);
        if (!esc || asprintf(&node_sel, "&fieldSelector=spec.nodeName%%3D%s", esc) < 0)
            return -ENOMEM;
    }
    size_t i;
    json_t *set;
    struct agent_pods c = {
        .sets = sets, .not_ready = not_ready, .nodes = scan->nodes, .probe = scan->probe};
    _cleanup_(json_decrefp) json_t *listed = json_object(); /* namespaces whose pods were */
    if (!listed)
        return -ENOMEM;
    json_array_foreach(sets, i, set)
    {
        /* Once per namespace: the pods of every DaemonSet of it come in one list. */
        const char *ns = str_at(set, "namespace");
        if (json_object_get(listed, ns))
            continue;
        if (json_object_set_new(listed, ns, json_true()) < 0)
            return -ENOMEM;
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "/api/v1/namespaces/%s/pods?%s%s", ns, AGENT_SELECTOR,
                     node_sel ? node_sel : "") < 0)
            return -ENOMEM;
        r = kube_fetch_list(w->f, path, MAX_AGENT_PODS, collect_agent_pod, &c, err);
        if (r == -ENOMEM)
            return r;
        if (r < 0) {
            if (!scan->unread && !(scan->unread = strdup(err->msg)))
                return -ENOMEM;
            *err = (struct kerr){0}; /* the DaemonSet's counts still tell */
        }
    }
    long missing = judge_nodes(agents, &c);
    if (missing < 0)
        return (int)missing;
    return missing > INT_MAX ? INT_MAX : (int)missing;
}

/* Agent pods that run but are not Ready are asked for their /readyz (ask_readyz()). */
#define MAX_READYZ_ASKED 20    /* pods asked, at most (then "N more not asked") */
#define READYZ_TIMEOUT_MS 3000 /* one request */
#define READYZ_TOTAL_MS 10000  /* all of them */
#define READYZ_MIN_MS 200      /* less time than this left: not asked */

/* What the entries of pod key (ns/name) get: its /readyz {code, answer} or {error}, and its
 * why with it. */
static json_t *readyz_result(struct world *w, const char *key, int port, unsigned timeout_ms,
                             json_t *entry, bool *stop, bool *told)
{
    const char *slash = strchr(key, '/');
    _cleanup_free_ char *path = NULL;
    if (!slash || asprintf(&path, "/api/v1/namespaces/%.*s/pods/%s:%d/proxy/readyz",
                           (int)(slash - key), key, slash + 1, port) < 0)
        return NULL;
    long code = 0;
    size_t len = 0;
    _cleanup_free_ char *body = NULL;
    struct kerr err = {0};
    char line[AGENT_WHY_QUOTE + 100];
    bool agents = false;
    int r = kube_fetch_raw(w->f, path, timeout_ms, &code, &body, &len, &err);
    if (r < 0)
        snprintf(line, sizeof(line), "%s%s", err.msg,
                 r == -ETIMEDOUT && timeout_ms == READYZ_TIMEOUT_MS
                     ? " (a NetworkPolicy that keeps the API server from the agent's port?)"
                     : "");
    else
        agents = agent_readyz_answer(code, body, len, line, sizeof(line));
    /* No right to pods/proxy, or no answer in time (a NetworkPolicy that drops what the API
     * server sends there): the other pods' would fail the same. */
    *stop |= r == -ETIMEDOUT || r == -EINTR || (!agents && (code == 401 || code == 403));
    const char *why = str_at(entry, "why");
    _cleanup_free_ char *new_why = NULL;
    if (agents)
        r = strcmp(why, "running, not ready yet") == 0
                ? asprintf(&new_why, "running, its /readyz answers %ld: %s", code, line)
                : asprintf(&new_why, "%s; its /readyz answers %ld: %s", why, code, line);
    else if (!*told)
        r = asprintf(&new_why, "%s (its /readyz could not be read: %s)", why, line);
    else
        r = asprintf(&new_why, "%s", why);
    if (r < 0)
        return NULL;
    *told |= !agents;
    return agents ? json_pack("{s:{s:I, s:s}, s:s}", "readyz", "code", (json_int_t)code, "answer",
                              line, "why", new_why)
                  : json_pack("{s:{s:s}, s:s}", "readyz", "error", line, "why", new_why);
}

/* Asks each agent pod of the report's entries (agents' notReady, and nodesWithSeveral's pods)
 * that runs but is not Ready (scan->probe) for its /readyz through the API server's pod
 * proxy, once each: MAX_READYZ_ASKED of them at most, all within READYZ_TOTAL_MS and half of
 * what is left of the command's --timeout (the report's own requests keep the rest); sets each
 * entry's readyz and adds what it answered to its why. A failure is said once, in the first
 * pod's why, and as agents' readyzUnread; after a 401 or 403, a request that timed out or a
 * signal, nothing more is asked. Counts the pods left out in agents' readyzNotAsked. Never fails
 * the command (but for memory). */
static int ask_readyz(struct world *w, json_t *agents, struct agent_scan *scan)
{
    _cleanup_(json_decrefp) json_t *entries = json_array(), *done = json_object();
    if (!entries || !done)
        return -ENOMEM;
    size_t i, k;
    json_t *x, *y;
    json_array_foreach(json_object_get(agents, "notReady"), i, x)
    {
        if (json_array_append(entries, x) < 0)
            return -ENOMEM;
    }
    json_array_foreach(json_object_get(agents, "nodesWithSeveral"), i, x)
    {
        json_array_foreach(json_object_get(x, "agents"), k, y)
        {
            if (!json_is_true(json_object_get(y, "ready")) && json_array_append(entries, y) < 0)
                return -ENOMEM;
        }
    }
    uint64_t until = now_ms() + READYZ_TOTAL_MS;
    size_t asked = 0, not_asked = 0;
    bool stop = false, told = false;
    json_t *unread = NULL;
    json_array_foreach(entries, i, x)
    {
        char key[600];
        snprintf(key, sizeof(key), "%s/%s", str_at(x, "namespace"), str_at(x, "name"));
        json_t *port = json_object_get(scan->probe, key);
        if (!port)
            continue; /* not running (its why says what it does), or not read */
        json_t *res = json_object_get(done, key);
        if (!res) {
            uint64_t now = now_ms(), left = now < until ? until - now : 0;
            uint64_t command_left = kube_fetch_left_ms(w->f) / 2;
            left = command_left < left ? command_left : left;
            if (stop || asked >= MAX_READYZ_ASKED || left < READYZ_MIN_MS) {
                not_asked++;
                res = json_null();
            } else {
                asked++;
                unsigned timeout = left < READYZ_TIMEOUT_MS ? (unsigned)left : READYZ_TIMEOUT_MS;
                res =
                    readyz_result(w, key, (int)json_integer_value(port), timeout, x, &stop, &told);
                if (!res)
                    return -ENOMEM;
                json_t *err = json_object_get(json_object_get(res, "readyz"), "error");
                if (err && !unread)
                    unread = err;
            }
            if (json_object_set_new(done, key, res) < 0)
                return -ENOMEM;
        }
        if (json_is_object(res) && json_object_update(x, res) < 0)
            return -ENOMEM;
    }
    return json_object_set_new(agents, "readyzUnread", unread ? json_incref(unread) : json_null()) <
                       0 ||
                   set_int(agents, "readyzNotAsked", (json_int_t)not_asked) < 0
               ? -ENOMEM
               : 0;
}

/* Appends to out (size > 0; NUL-terminated, "..." at its end when cut). */
__attribute__((format(printf, 3, 4))) static void append(char *out, size_t size, const char *fmt,
                                                         ...)
{
    size_t n = strnlen(out, size);
    if (n + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out + n, size - n, fmt, ap);
    va_end(ap);
    if (k > 0 && (size_t)k >= size - n && size > 4)
        memcpy(out + size - 4, "...", 4);
}

/* Why node (a Node object; NULL: it could not be read) has no agent pod of the DaemonSets
 * read (sets, their pod specs specs), into out: what keeps each of them off it when every one
 * is kept off, else "no agent pod there"; and whether the node is not Ready. */
static void agentless_why(json_t *sets, json_t *specs, json_t *node, char *out, size_t size)
{
    out[0] = '\0';
    size_t i, kept_off = 0;
    json_t *set;
    char one[1024];
    json_array_foreach(sets, i, set)
    {
        char id[300];
        snprintf(id, sizeof(id), "%s/%s", str_at(set, "namespace"), str_at(set, "name"));
        if (node && daemon_keeps_off(json_array_get(specs, i), node, id, one, sizeof(one))) {
            append(out, size, "%s%s", kept_off ? "; " : "", one);
            kept_off++;
        }
    }
    if (!kept_off || kept_off < json_array_size(sets)) {
        out[0] = '\0';
        append(out, size, "no agent pod there");
    }
    const char *nr = node ? node_not_ready(node) : NULL;
    if (nr)
        append(out, size, "; %s", nr);
}

/* Writes what the report says of a node with several agent pods (entry, of several_entry())
 * to t, each line after indent. */
static void print_several(FILE *t, json_t *entry, const char *indent)
{
    if (json_is_true(json_object_get(entry, "problem")))
        tprintf(t, "%s%s\n", indent, str_at(entry, "message"));
    else
        tprintf(t, "%snode %s: %s\n", indent, str_at(entry, "node"), str_at(entry, "message"));
    size_t i;
    json_t *p;
    json_t *agents = json_object_get(entry, "agents");
    json_array_foreach(agents, i, p)
    {
        bool ready = json_is_true(json_object_get(p, "ready"));
        tprintf(t, "%s  %s/%s (DaemonSet %s): %s%s\n", indent, str_at(p, "namespace"),
                str_at(p, "name"), str_at(p, "daemonSet"),
                ready ? "Ready" : "not Ready: ", ready ? "" : str_at(p, "why"));
    }
    json_int_t n = json_integer_value(json_object_get(entry, "pods"));
    if (n > (json_int_t)json_array_size(agents))
        tprintf(t, "%s  ... and %lld more\n", indent,
                (long long)(n - (json_int_t)json_array_size(agents)));
}

/* What explain pod says first of the agent of node node_name (its Node object node, NULL
 * when it could not be read): none there (out's agentMissing), or its pod not Ready
 * (agentNotReady: the newest of its pods when none is Ready), and its pods when there are
 * several (agentsOnNode: a rollout, or agents of several DaemonSets). Nothing when the
 * agents cannot be read. */
static int explain_agent(struct world *w, const char *node_name, json_t *node, bool readyz, FILE *t,
                         json_t *out)
{
    _cleanup_(json_decrefp) json_t *agents = json_object();
    _cleanup_(agent_scan_free) struct agent_scan scan = {0};
    struct kerr aerr = {0};
    if (!agents || agent_scan_init(&scan, node_name) < 0)
        return -ENOMEM;
    int r = read_agents(w, agents, &scan, &aerr);
    if (r == -ENOMEM)
        return r;
    if (r >= 0 && readyz && ask_readyz(w, agents, &scan) < 0)
        return -ENOMEM;
    json_t *sets = json_object_get(agents, "daemonSets");
    if (r >= 0 && json_array_size(sets) && !scan.unread &&
        !json_object_get(scan.nodes, node_name)) {
        char why[2048];
        agentless_why(sets, scan.specs, node, why, sizeof(why));
        tprintf(t,
                "  No kscmp agent runs on this node (%s): no kscmp file is written there, so a "
                "container that uses one cannot start; below is what an agent would write.\n",
                why);
        return json_object_set_new(out, "agentMissing",
                                   json_pack("{s:s, s:s}", "node", node_name, "why", why));
    }
    size_t k;
    json_t *a;
    json_array_foreach(json_object_get(agents, "notReady"), k, a)
    {
        if (strcmp(str_at(a, "node"), node_name) != 0)
            continue;
        tprintf(t,
                "  The kscmp agent of this node is not Ready (%s/%s: %s): the node's "
                "files are not kept up to date meanwhile; below is what it would write.\n",
                str_at(a, "namespace"), str_at(a, "name"), str_at(a, "why"));
        if (json_object_set_new(out, "agentNotReady", json_incref(a)) < 0)
            return -ENOMEM;
        break;
    }
    json_array_foreach(json_object_get(agents, "nodesWithSeveral"), k, a)
    {
        if (strcmp(str_at(a, "node"), node_name) != 0)
            continue;
        print_several(t, a, "  ");
        return json_object_set_new(out, "agentsOnNode", json_incref(a));
    }
    return 0;
}

/* The nodes without an agent (compare_nodes()). */
#define MAX_NODES 20000               /* Nodes read (Kubernetes supports 5,000 a cluster) */
#define MAX_AGENTLESS_LISTED 256      /* nodes without an agent, listed (all are counted) */
#define MAX_AGENTLESS_LOOKED_AT 50    /* of those, the nodes whose pods are read */
#define MAX_NODE_PODS 10000           /* pods of one node read */
#define MAX_AGENTLESS_PODS_LISTED 256 /* pods on them that use a kscmp file, listed */

struct node_cmp {
    json_t *sets, *specs; /* the DaemonSets read, and their pod specs */
    json_t *agent_nodes;  /* node name -> true: a node with an agent pod */
    json_t *agentless;    /* [{node, why, ready}] */
    size_t nodes, nagentless;
};

static int collect_node(json_t *item, void *userdata)
{
    struct node_cmp *c = userdata;
    const char *name = str_at(json_object_get(item, "metadata"), "name");
    if (!dns_subdomain_valid(name))
        return 0; /* it goes into a request path */
    c->nodes++;
    if (json_object_get(c->agent_nodes, name))
        return 0;
    if (c->nagentless++ >= MAX_AGENTLESS_LISTED)
        return 0;
    char why[2048];
    agentless_why(c->sets, c->specs, item, why, sizeof(why));
    return json_array_append_new(c->agentless, json_pack("{s:s, s:s, s:b}", "node", name, "why",
                                                         why, "ready", !node_not_ready(item)));
}

/* The pods of one node without an agent that use a kscmp file (in the status's scope). */
struct node_pods_cmp {
    json_t *node; /* its entry of nodesWithoutAgent */
    json_t *pods; /* podsWithoutAgent: [{namespace, name, node, file, why}] */
    size_t npods; /* all of them, listed or not */
    size_t here;  /* those of this node */
};

static int collect_agentless_pod(json_t *item, void *userdata)
{
    struct node_pods_cmp *c = userdata;
    const char *phase = str_at(json_object_get(item, "status"), "phase");
    if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)
        return 0; /* done: it needs no file any more */
    struct object o = {0};
    struct kerr err = {0};
    int r = decode_api(item, "v1", "Pod", &o, &err);
    if (r < 0 || o.type != OBJ_POD) {
        object_clear(&o);
        return r == -ENOMEM ? r : 0; /* what cannot be read cannot be said */
    }
    _cleanup_free_ char *rel = NULL;
    for (size_t i = 0; i < o.pod->nrefs && !rel; i++) {
        char *x = NULL;
        if (engine_classify_ref(o.pod->ns, o.pod->refs[i], &x, NULL) == 0)
            rel = x;
        else
            free(x);
    }
    r = 0;
    if (rel) {
        c->npods++;
        c->here++;
        if (json_array_size(c->pods) < MAX_AGENTLESS_PODS_LISTED) {
            const char *node = str_at(c->node, "node");
            bool running = strcmp(phase, "Running") == 0;
            _cleanup_free_ char *file = NULL, *why = NULL;
            json_t *p = NULL;
            if (asprintf(&file, "kscmp/%s", rel) < 0 ||
                asprintf(&why, "%s: no kscmp agent on node %s (%s)",
                         running ? "running, but its file there is not kept up to date"
                                 : "cannot start",
                         node, str_at(c->node, "why")) < 0 ||
                !(p = json_pack("{s:s, s:s, s:s, s:s, s:s}", "namespace", o.pod->ns, "name",
                                o.pod->name, "node", node, "file", file, "why", why)) ||
                json_array_append_new(c->pods, p) < 0)
                r = -ENOMEM;
        }
    }
    object_clear(&o);
    return r;
}

/* Compares the nodes with the agent pods read (scan): agents gets nodesWithoutAgent
 * [{node, why, ready, kscmpPods}] (how many there are: nodesWithoutAgentCount, of nodes) and
 * podsWithoutAgent, the pods of scope ns (NULL: all) on the first MAX_AGENTLESS_LOOKED_AT of
 * them that use a kscmp file (all of them: podsWithoutAgentCount; the nodes not looked at:
 * nodesNotLookedAt). Returns how many such pods there are. When the Nodes or some agent pods
 * cannot be listed, agents says so (nodesUnreadable) and nothing is compared. */
static int compare_nodes(struct world *w, json_t *agents, struct agent_scan *scan, const char *ns,
                         struct kerr *err)
{
    json_t *sets = json_object_get(agents, "daemonSets");
    if (json_object_get(agents, "unreadable") || !json_array_size(sets))
        return 0; /* no kscmp DaemonSet read: agents run some other way, or are not known */
    if (scan->unread)
        return json_object_set_new(
                   agents, "nodesUnreadable",
                   json_sprintf("the agent pods cannot be listed: %s", scan->unread)) < 0
                   ? -ENOMEM
                   : 0;
    struct node_cmp c = {sets, scan->specs, scan->nodes, json_array(), 0, 0};
    if (!c.agentless || json_object_set_new(agents, "nodesWithoutAgent", c.agentless) < 0)
        return -ENOMEM;
    int r = kube_fetch_list(w->f, "/api/v1/nodes", MAX_NODES, collect_node, &c, err);
    if (r == -EACCES || r == -EPERM || r == -E2BIG) {
        json_object_del(agents, "nodesWithoutAgent");
        json_object_set_new(agents, "nodesUnreadable", json_string(err->msg));
        *err = (struct kerr){0};
        return 0;
    }
    if (r < 0)
        return r;
    json_t *pods = json_array();
    if (!pods || json_object_set_new(agents, "podsWithoutAgent", pods) < 0)
        return -ENOMEM;
    json_object_set_new(agents, "nodes", json_integer((json_int_t)c.nodes));
    json_object_set_new(agents, "nodesWithoutAgentCount", json_integer((json_int_t)c.nagentless));
    size_t looked = 0, i;
    json_t *node;
    struct node_pods_cmp pc = {NULL, pods, 0, 0};
    json_array_foreach(c.agentless, i, node)
    {
        if (looked >= MAX_AGENTLESS_LOOKED_AT)
            break;
        _cleanup_free_ char *esc = kube_escape(str_at(node, "node"));
        _cleanup_free_ char *path = NULL;
        if (!esc ||
            (ns ? asprintf(&path, "/api/v1/namespaces/%s/pods?fieldSelector=spec.nodeName%%3D%s",
                           ns, esc)
                : asprintf(&path, "/api/v1/pods?fieldSelector=spec.nodeName%%3D%s", esc)) < 0)
            return -ENOMEM;
        pc.node = node;
        pc.here = 0;
        r = kube_fetch_list(w->f, path, MAX_NODE_PODS, collect_agentless_pod, &pc, err);
        if (r == -ENOMEM)
            return r;
        if (r < 0) {
            json_object_set_new(agents, "podsUnreadable", json_string(err->msg));
            *err = (struct kerr){0};
            break;
        }
        looked++;
        json_object_set_new(node, "kscmpPods", json_integer((json_int_t)pc.here));
    }
    json_object_set_new(agents, "nodesNotLookedAt",
                        json_integer((json_int_t)(c.nagentless - looked)));
    json_object_set_new(agents, "podsWithoutAgentCount", json_integer((json_int_t)pc.npods));
    return pc.npods > INT_MAX ? INT_MAX : (int)pc.npods;
}

/* The text report's lines on the nodes without an agent and their pods (compare_nodes()). */
static void print_agentless(json_t *agents, const char *scope)
{
    if (json_object_get(agents, "nodesUnreadable")) {
        tprintf(stdout, "Nodes: not compared with the agents (%s)\n",
                str_at(agents, "nodesUnreadable"));
        return;
    }
    json_t *nodes = json_object_get(agents, "nodesWithoutAgent");
    json_int_t count = json_integer_value(json_object_get(agents, "nodesWithoutAgentCount"));
    if (!json_is_array(nodes))
        return;
    if (!count) {
        tprintf(stdout, "Nodes: %lld, each with a kscmp agent pod\n",
                (long long)json_integer_value(json_object_get(agents, "nodes")));
        return;
    }
    tprintf(stdout,
            "\nNodes without a kscmp agent (%lld of %lld; pods there cannot use kscmp files):\n",
            (long long)count, (long long)json_integer_value(json_object_get(agents, "nodes")));
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        json_t *kp = json_object_get(n, "kscmpPods");
        json_int_t here = json_integer_value(kp);
        tprintf(stdout, "  %s: %s", str_at(n, "node"), str_at(n, "why"));
        if (!json_is_integer(kp))
            tprintf(stdout, "\n");
        else if (here)
            tprintf(stdout, "; %lld pod%s of %s there use%s a kscmp file (below)\n",
                    (long long)here, here == 1 ? "" : "s", scope, here == 1 ? "s" : "");
        else
            tprintf(stdout,
                    "; no pod of %s there uses a kscmp file (not a problem: kscmp may be kept off "
                    "a node on purpose)\n",
                    scope);
    }
    if (count > (json_int_t)json_array_size(nodes))
        tprintf(stdout, "  ... and %lld more\n",
                (long long)(count - (json_int_t)json_array_size(nodes)));
    json_int_t not_looked = json_integer_value(json_object_get(agents, "nodesNotLookedAt"));
    if (json_object_get(agents, "podsUnreadable"))
        tprintf(stdout, "  The pods of %lld of them could not be listed: %s\n",
                (long long)not_looked, str_at(agents, "podsUnreadable"));
    else if (not_looked)
        tprintf(stdout, "  The pods of %lld of them were not looked at (at most %d nodes' are)\n",
                (long long)not_looked, MAX_AGENTLESS_LOOKED_AT);
    json_t *pods = json_object_get(agents, "podsWithoutAgent");
    if (!json_array_size(pods))
        return;
    tprintf(stdout, "\nPods on a node without a kscmp agent:\n");
    json_array_foreach(pods, i, n)
    {
        tprintf(stdout, "  %s/%s (%s): %s\n", str_at(n, "namespace"), str_at(n, "name"),
                str_at(n, "file"), str_at(n, "why"));
    }
    json_int_t all = json_integer_value(json_object_get(agents, "podsWithoutAgentCount"));
    if (all > (json_int_t)json_array_size(pods))
        tprintf(stdout, "  ... and %lld more\n",
                (long long)(all - (json_int_t)json_array_size(pods)));
}

/* The text report's lines on the agents (read_agents(), compare_nodes()); scope: the
 * namespace's name, or "any namespace". */
static void print_agents(json_t *agents, const char *scope)
{
    json_t *sets = json_object_get(agents, "daemonSets");
    if (json_object_get(agents, "unreadable")) {
        tprintf(stdout, "Agents: not read (DaemonSets cannot be listed: %s)\n",
                str_at(agents, "unreadable"));
        return;
    }
    if (!json_array_size(sets)) {
        tprintf(stdout, "Agents: no DaemonSet labelled %s (the chart's and deploy/'s are)\n",
                AGENT_SELECTOR_TEXT);
        return;
    }
    size_t i;
    json_t *set;
    json_array_foreach(sets, i, set)
    {
        tprintf(stdout, "Agents: DaemonSet %s/%s, %lld of %lld Ready\n", str_at(set, "namespace"),
                str_at(set, "name"), (long long)json_integer_value(json_object_get(set, "ready")),
                (long long)json_integer_value(json_object_get(set, "desired")));
    }
    json_t *not_ready = json_object_get(agents, "notReady");
    if (json_array_size(not_ready)) {
        tprintf(stdout, "\nAgents not Ready (their nodes' files are not kept up to date):\n");
        json_array_foreach(not_ready, i, set)
        {
            tprintf(stdout, "  %s/%s on node %s: %s\n", str_at(set, "namespace"),
                    str_at(set, "name"), str_at(set, "node"), str_at(set, "why"));
        }
    }
    json_t *several = json_object_get(agents, "nodesWithSeveral");
    if (json_array_size(several)) {
        tprintf(stdout, "\nNodes with several kscmp agent pods:\n");
        json_array_foreach(several, i, set)
        {
            print_several(stdout, set, "  ");
        }
        json_int_t all = json_integer_value(json_object_get(agents, "nodesWithSeveralCount"));
        if (all > (json_int_t)json_array_size(several))
            tprintf(stdout, "  ... and %lld more nodes\n",
                    (long long)(all - (json_int_t)json_array_size(several)));
    }
    json_int_t not_asked = json_integer_value(json_object_get(agents, "readyzNotAsked"));
    if (not_asked > 0)
        tprintf(stdout, "  (%lld more agent pod%s not Ready: %s /readyz not asked)\n",
                (long long)not_asked, not_asked == 1 ? "" : "s", not_asked == 1 ? "its" : "their");
    print_agentless(agents, scope);
}

/* Whether Namespace ns exists: 1, 0, or a negative errno (-EACCES: not ours to read). */
static int namespace_exists(struct world *w, const char *ns, struct kerr *err)
{
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "/api/v1/namespaces/%s", ns) < 0)
        return -ENOMEM;
    json_t *j = NULL;
    int r = kube_fetch_json(w->f, path, &j, err);
    json_decref(j);
    return r == -ENOENT ? 0 : r < 0 ? r : 1;
}

/* The words of the agent's PolicyInvalid Event (engine.c, held_reason()) when the policy has
 * been invalid since before the agent started: the agent then holds every file of the
 * policy's scope until a version of it compiles, whatever it selects. */
#define HELD_SINCE_START "(" ENGINE_HELD_SINCE_START "): "

/* Whether a PolicyInvalid Event (ev, from collect_warning) of a pod still holds because its
 * policy has been invalid since before the agent started: the Event says so, and that policy
 * is still there, not re-created since the Event, and has no version in force (the CLI's
 * engine knows the past of every policy, as an agent that has run since before they came,
 * so it does not owe this Event itself). */
static bool event_holds_since_start(struct world *w, json_t *ev)
{
    const char *msg = str_at(ev, "message");
    const char *at = strstr(msg, HELD_SINCE_START);
    if (!at)
        return false;
    at += strlen(HELD_SINCE_START);
    /* "KIND NS/NAME: why" or "ClusterSeccompPolicy NAME: why" */
    const char *sp = strchr(at, ' ');
    const char *colon = sp ? strchr(sp + 1, ':') : NULL;
    if (!colon)
        return false;
    _cleanup_free_ char *kind = strndup(at, (size_t)(sp - at));
    _cleanup_free_ char *id = strndup(sp + 1, (size_t)(colon - sp - 1));
    if (!kind || !id)
        return true; /* out of memory: the Event counts as it is */
    char *slash = strchr(id, '/');
    const char *ns = slash ? id : NULL;
    const char *name = slash ? slash + 1 : id;
    if (slash)
        *slash = '\0';
    enum policy_kind k = PK__MAX;
    for (int i = 0; i < PK__MAX; i++)
        if (strcmp(kind, policy_kind_name((enum policy_kind)i)) == 0)
            k = (enum policy_kind)i;
    if (k == PK__MAX || (k == PK_CLUSTER) != (ns == NULL))
        return false;
    const struct policy *p = engine_get_policy(w->e, k, ns, name);
    if (!p)
        return false; /* deleted since: the agent lets go */
    json_t *rec = find_policy_rec(w, p);
    const char *created = json_string_value(json_object_get(
        json_object_get(json_object_get(rec, "object"), "metadata"), "creationTimestamp"));
    int64_t told = parse_ts(str_at(ev, "lastTimestamp"));
    if (told && parse_ts(created) > told)
        return false; /* re-created after the Event: a new policy to the agent too */
    bool in_force = false;
    if (engine_policy_in_force(w->e, p, &in_force) < 0)
        return true;
    return !in_force;
}

int cli_cluster_status(int argc, char **argv)
{
    struct copts o = {0};
    int r = parse_copts("status", status_help, false, argc, argv, &o);
    if (r >= 0)
        return r;
    struct kerr err = {0};
    _cleanup_(world_free) struct world w = {0};
    _cleanup_(json_decrefp) json_t *agents = NULL; /* read_agents() */
    _cleanup_(agent_scan_free) struct agent_scan scan = {0};
    int missing = 0;
    const char *ns = NULL;
    /* Counted in milliseconds: whole seconds ended a --wait=2s after 1.1 s when it started late
     * in a second. */
    uint64_t deadline_ms = now_ms() + (uint64_t)o.wait_s * 1000;
    for (bool first = true;; first = false) {
        /* --wait reads the policies again each second over the same connection. */
        if ((r = first ? world_open(&w, &o, arch_native(), &err)
                       : world_fill(&w, arch_native(), &err)) < 0) {
            tprintf(stderr, "kscmp: error: %s\n", err.msg[0] ? err.msg : strerror(-r));
            return EXIT_INVALID;
        }
        w.partial_ok = true;
        ns = o.all                       ? NULL
             : o.ns                      ? o.ns
             : kube_fetch_namespace(w.f) ? kube_fetch_namespace(w.f)
                                         : "default";
        /* Listing a namespace that does not exist gives nothing, which would read as OK. A
         * namespace owner may not read Namespaces (HTTP 403): then it is not known. */
        if (first && ns && (r = namespace_exists(&w, ns, &err)) <= 0 && r != -EACCES) {
            if (r == 0)
                tprintf(stderr, "kscmp: error: namespace %s does not exist\n", ns);
            else
                tprintf(stderr, "kscmp: error: %s\n", err.msg[0] ? err.msg : strerror(-r));
            return EXIT_INVALID;
        }
        err = (struct kerr){0};
        if ((first && (r = kubearmor_setting(&w, o.kubearmor, &err)) < 0) ||
            (r = load_policies(&w, ns, &err)) < 0) {
            tprintf(stderr, "kscmp: error: %s\n", err.msg[0] ? err.msg : strerror(-r));
            return EXIT_INVALID;
        }
        json_decref(agents);
        if (!(agents = json_object()))
            return EXIT_INVALID;
        /* The agent pods of every node, judged as the report does; --wait waits for each of
         * them, a surge rollout's new pod too. The nodes are compared once, after any
         * waiting. */
        agent_scan_free(&scan);
        if ((r = agent_scan_init(&scan, NULL)) < 0)
            return EXIT_INVALID;
        if ((missing = read_agents(&w, agents, &scan, &err)) < 0 && missing != -EACCES) {
            tprintf(stderr, "kscmp: error: %s\n", err.msg[0] ? err.msg : strerror(-missing));
            return EXIT_INVALID;
        }
        if (!o.wait_s)
            break;
        size_t pending = pending_count(&w);
        json_int_t pods_not_ready = json_integer_value(json_object_get(agents, "podsNotReady"));
        if (!pending && missing <= 0 && pods_not_ready <= 0)
            break;
        uint64_t now = now_ms();
        if (now >= deadline_ms) {
            if (pending)
                tprintf(stderr, "kscmp: warning: --wait: %zu polic%s still Pending after %lds\n",
                        pending, pending == 1 ? "y" : "ies", o.wait_s);
            if (missing > 0)
                tprintf(stderr, "kscmp: warning: --wait: %d agent%s still not Ready after %lds\n",
                        missing, missing == 1 ? "" : "s", o.wait_s);
            else if (pods_not_ready > 0)
                tprintf(stderr,
                        "kscmp: warning: --wait: %lld agent pod%s still not Ready after %lds, "
                        "beside a Ready one on %s node (a rollout in progress, or a second "
                        "DaemonSet's agent: see Nodes with several kscmp agent pods)\n",
                        (long long)pods_not_ready, pods_not_ready == 1 ? "" : "s", o.wait_s,
                        pods_not_ready == 1 ? "its" : "their");
            break;
        }
        world_empty(&w);
        uint64_t nap_ms = deadline_ms - now < 1000 ? deadline_ms - now : 1000;
        nanosleep(
            &(struct timespec){.tv_sec = nap_ms / 1000, .tv_nsec = (long)(nap_ms % 1000) * 1000000},
            NULL);
    }
    /* Once, after any waiting: why the agent pods that run are not Ready. */
    if (!o.no_readyz && missing != -EACCES && ask_readyz(&w, agents, &scan) < 0)
        return EXIT_INVALID;
    int agentless_pods = compare_nodes(&w, agents, &scan, ns, &err);
    if (agentless_pods < 0) {
        tprintf(stderr, "kscmp: error: %s\n", err.msg[0] ? err.msg : strerror(-agentless_pods));
        return EXIT_INVALID;
    }
    /* Some kind could not be listed: what its policies owe the pods is not known. */
    bool cluster_unread = false, any_unread = json_array_size(w.unreadable) > 0;
    size_t i;
    json_t *rec;
    json_array_foreach(w.unreadable, i, rec)
    {
        cluster_unread |= strcmp(str_at(rec, "kind"), "ClusterSeccompPolicy") == 0;
        tprintf(stderr, "kscmp: warning: %s cannot be listed: %s\n", str_at(rec, "kind"),
                str_at(rec, "message"));
    }
    _cleanup_(json_decrefp) json_t *out = json_object();
    json_t *not_ready = json_array(), *detached = json_array();
    json_object_set_new(out, "scope", ns ? json_string(ns) : json_string("all namespaces"));
    json_object_set_new(out, "policies", json_integer((json_int_t)json_array_size(w.policies)));
    json_object_set_new(out, "notReady", not_ready);
    json_object_set_new(out, "detached", detached);
    json_object_set_new(out, "unreadable", json_incref(w.unreadable));
    json_object_set_new(out, "kubearmorPolicies", json_incref(w.kubearmor_policies));
    json_array_foreach(w.policies, i, rec)
    {
        const char *reason = NULL, *message = NULL;
        const char *ready = ready_of(json_object_get(rec, "object"), &reason, &message);
        json_t *entry = json_pack(
            "{s:O, s:O?, s:O, s:s, s:s?, s:s?}", "kind", json_object_get(rec, "kind"), "namespace",
            json_object_get(rec, "namespace"), "name", json_object_get(rec, "name"), "ready", ready,
            "reason", reason, "message", message);
        if (strcmp(ready, "True") != 0)
            json_array_append_new(not_ready, entry);
        else if (reason && strcmp(reason, "Conflict") == 0)
            json_array_append_new(detached, entry);
        else
            json_decref(entry);
    }

    /* Warning Events of component kscmp, grouped by pod. */
    _cleanup_free_ char *epath = NULL;
    if ((ns ? asprintf(&epath, "/api/v1/namespaces/%s/events?fieldSelector=type%%3DWarning", ns)
            : asprintf(&epath, "/api/v1/events?fieldSelector=type%%3DWarning")) < 0)
        return EXIT_INVALID;
    _cleanup_(json_decrefp) json_t *by_pod = json_object();
    struct status_ctx sc = {&w, by_pod};
    if (!sc.by_pod)
        return EXIT_INVALID;
    r = kube_fetch_list(w.f, epath, MAX_LIST, collect_warning, &sc, &err);
    if (r < 0) {
        tprintf(stderr, "kscmp: error: %s\n", err.msg);
        return EXIT_INVALID;
    }
    /* Which pods still exist, and what the policies owe them now. */
    _cleanup_(json_decrefp) json_t *pods = json_array();
    _cleanup_(json_decrefp) json_t *namespaces_done = json_object();
    const char *key;
    json_t *p;
    json_object_foreach(sc.by_pod, key, p)
    {
        const char *pns = str_at(p, "namespace");
        const char *pname = str_at(p, "name");
        const char *puid = json_string_value(json_object_get(p, "uid"));
        _cleanup_free_ char *ppath = NULL;
        if (asprintf(&ppath, "/api/v1/namespaces/%s/pods/%s", pns, pname) < 0)
            break;
        json_t *pj = NULL;
        struct kerr perr = {0};
        if (kube_fetch_json(w.f, ppath, &pj, &perr) < 0)
            continue; /* gone (or not ours to read): its Events speak of the past */
        const char *uid =
            json_string_value(json_object_get(json_object_get(pj, "metadata"), "uid"));
        if (puid && *puid && uid && strcmp(uid, puid) != 0) {
            json_decref(pj);
            continue; /* a new pod of the same name */
        }
        json_t *copy = json_deep_copy(pj);
        struct object po = {0};
        struct kerr derr = {0};
        if (copy && decode_api(copy, "v1", "Pod", &po, &derr) == 0 && po.type == OBJ_POD &&
            !engine_get_pod(w.e, pns, pname))
            engine_put_pod(w.e, TAKE_PTR(po.pod));
        object_clear(&po);
        json_decref(copy);
        json_decref(pj);
        if (!json_object_get(namespaces_done, pns)) {
            struct kerr nerr = {0};
            bool read = put_namespace(&w, pns, &nerr) >= 0;
            if (!read)
                tprintf(stderr,
                        "kscmp: warning: Namespace %s cannot be read: %s (its pods' Events are "
                        "counted as they are)\n",
                        pns, nerr.msg);
            json_object_set_new(namespaces_done, pns, json_boolean(read));
        }
        json_array_append(pods, p);
    }
    /* When -n limits the policies read, cluster policies still count: they are all read. */
    _cleanup_(json_decrefp) json_t *owed = json_array();
    struct owed ow = {owed};
    if (!owed ||
        engine_sync(w.e, &(struct sync_ops){.event = status_on_event, .userdata = &ow}) < 0)
        return EXIT_INVALID;
    unsigned pods_with_problems = 0;
    json_t *jpods = json_array();
    json_object_set_new(out, "pods", jpods);
    size_t k;
    json_array_foreach(pods, k, p)
    {
        const char *pns = str_at(p, "namespace");
        const char *pname = str_at(p, "name");
        bool any = false;
        size_t e;
        json_t *ev;
        json_array_foreach(json_object_get(p, "events"), e, ev)
        {
            const char *reason = str_at(ev, "reason");
            bool current = true;
            if (!reason) {
                current = false;
            } else if (strcmp(reason, "ProfileStale") == 0) {
                /* Holds while a container it names, on its file, has not restarted since. */
                current = false;
                const struct pod *ep = engine_get_pod(w.e, pns, pname);
                json_t *facts = json_object_get(ev, "stale");
                for (size_t c = 0; ep && c < ep->ncontainers && !current; c++) {
                    const struct container_state *cs = &ep->containers[c];
                    _cleanup_free_ char *rel = NULL;
                    if (cs->ref >= 0 && (size_t)cs->ref < ep->nrefs &&
                        engine_classify_ref(pns, ep->refs[cs->ref], &rel, NULL) == 0)
                        current = stale_facts_hold(facts, rel, cs->name, cs->started_at);
                }
            } else if (strcmp(reason, "NoPolicy") == 0 || strcmp(reason, "PolicyInvalid") == 0 ||
                       strcmp(reason, "ProfileRefused") == 0 ||
                       strcmp(reason, "NamespaceUnknown") == 0 ||
                       strcmp(reason, "ProfileStricter") == 0) {
                /* Without the Namespace's labels or the policies of a kind that could not be
                 * listed (the cluster's, or KubeArmor's), what is owed is not known: the Event
                 * counts. */
                current = !json_is_true(json_object_get(namespaces_done, pns)) || any_unread ||
                          owed_now(owed, pns, pname, reason) ||
                          (strcmp(reason, "PolicyInvalid") == 0 && event_holds_since_start(&w, ev));
            }
            json_object_set_new(ev, "current", json_boolean(current));
            any |= current;
        }
        json_object_set_new(p, "current", json_boolean(any));
        pods_with_problems += any;
        json_array_append(jpods, p);
    }
    size_t agents_missing = missing > 0 ? (size_t)missing : 0;
    json_int_t two_sets = json_integer_value(json_object_get(agents, "nodesWithSeveralDaemonSets"));
    size_t problems = json_array_size(not_ready) + pods_with_problems + agents_missing +
                      (size_t)agentless_pods + (size_t)(two_sets > 0 ? two_sets : 0);
    json_object_set_new(out, "agents", json_incref(agents));
    json_object_set_new(out, "problems", json_integer((json_int_t)problems));

    if (strcmp(o.output, "json") == 0) {
        char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!s)
            return EXIT_INVALID;
        puts(s);
        free(s);
    } else {
        tprintf(stdout, "Scope: %s (and every ClusterSeccompPolicy%s); %zu policies read\n",
                ns ? ns : "all namespaces", cluster_unread ? ", but they could not be read" : "",
                json_array_size(w.policies));
        if (kubearmor_note(&w))
            tprintf(stdout, "KubeArmorSeccompPolicies: %s\n", kubearmor_note(&w));
        _cleanup_free_ char *scope = NULL;
        if (asprintf(&scope, "%s%s", ns ? "namespace " : "any namespace", ns ? ns : "") < 0)
            return EXIT_INVALID;
        print_agents(agents, scope);
        json_array_foreach(w.unreadable, i, rec)
        {
            if (strcmp(str_at(rec, "kind"), "ClusterSeccompPolicy") == 0)
                tprintf(stdout,
                        "\nClusterSeccompPolicies could not be read: %s\n"
                        "  They are left out: one that is not Ready is not listed, and a pod's\n"
                        "  NoPolicy or PolicyInvalid Event counts as it is (what the policies owe\n"
                        "  it now is not known). To read them, grant get and list on\n"
                        "  clusterseccomppolicies (kscmp.io): docs/access.md has a ClusterRole\n"
                        "  for namespace owners.\n",
                        str_at(rec, "message"));
            else
                tprintf(stdout,
                        "\nKubeArmorSeccompPolicies could not be read: %s\n"
                        "  They are left out: one that is not Ready is not listed, and what they\n"
                        "  give a pod is not known. To read them, grant get and list on\n"
                        "  kubearmorseccomppolicies (security.kubearmor.com): docs/access.md has\n"
                        "  a Role for namespace owners.\n",
                        str_at(rec, "message"));
        }
        if (json_array_size(not_ready)) {
            tprintf(stdout, "\nPolicies not Ready:\n");
            json_array_foreach(not_ready, i, rec)
            {
                const char *pns = json_string_value(json_object_get(rec, "namespace"));
                tprintf(stdout, "  %-22s %s%s%s  %s: %s\n", str_at(rec, "kind"), pns ? pns : "",
                        pns ? "/" : "", str_at(rec, "name"), str_at(rec, "reason"),
                        str_at(rec, "message"));
            }
        }
        if (json_array_size(detached)) {
            tprintf(stdout, "\nDetached from their parent (Ready; they loosen what it sets):\n");
            json_array_foreach(detached, i, rec)
            {
                const char *pns = json_string_value(json_object_get(rec, "namespace"));
                tprintf(stdout, "  %-22s %s%s%s  %s\n", str_at(rec, "kind"), pns ? pns : "",
                        pns ? "/" : "", str_at(rec, "name"), str_at(rec, "message"));
            }
        }
        if (json_array_size(jpods)) {
            tprintf(stdout, "\nPods with kscmp Warning Events:\n");
            json_array_foreach(jpods, k, p)
            {
                tprintf(stdout, "  %s/%s%s\n", str_at(p, "namespace"), str_at(p, "name"),
                        json_is_true(json_object_get(p, "current")) ? "" : " (all resolved)");
                size_t e;
                json_t *ev;
                json_array_foreach(json_object_get(p, "events"), e, ev)
                {
                    tprintf(stdout, "    %-20s %s%s\n      %s\n", str_at(ev, "reason"),
                            str_at(ev, "lastTimestamp"),
                            json_is_true(json_object_get(ev, "current")) ? ""
                            : strcmp(str_at(ev, "reason"), "ProfileStale") == 0
                                ? " (resolved since: the containers restarted)"
                                : " (resolved since: the policies no longer cause it)",
                            str_at(ev, "message"));
                }
            }
        }
        if (problems == 0 && json_array_size(w.unreadable))
            tprintf(stdout,
                    "\nOK as far as could be read: every policy read is Ready and no pod has a "
                    "kscmp\nwarning that still holds.\n");
        else if (problems == 0)
            tprintf(
                stdout,
                "\nOK: every policy is Ready and no pod has a kscmp warning that still holds.\n");
        else {
            tprintf(stdout, "\n%zu problem%s: %zu polic%s not Ready, %u pod%s with kscmp warnings",
                    problems, problems == 1 ? "" : "s", json_array_size(not_ready),
                    json_array_size(not_ready) == 1 ? "y" : "ies", pods_with_problems,
                    pods_with_problems == 1 ? "" : "s");
            if (agents_missing)
                tprintf(stdout, ", %zu agent%s not Ready", agents_missing,
                        agents_missing == 1 ? "" : "s");
            if (agentless_pods)
                tprintf(stdout, ", %d pod%s on a node without a kscmp agent", agentless_pods,
                        agentless_pods == 1 ? "" : "s");
            if (two_sets > 0)
                tprintf(stdout, ", %lld node%s with agents of several DaemonSets",
                        (long long)two_sets, two_sets == 1 ? "" : "s");
            tprintf(stdout, ".\n");
        }
    }
    return problems ? EXIT_INVALID : 0;
}
