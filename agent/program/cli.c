/* cli.c - offline commands of kscmp. */
#include "program/cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/cleanup.h"
#include "base/spell.h"
#include "base/strv.h"
#include "engine/decode.h"
#include "engine/groups.h"
#include "engine/doc.h"
#include "engine/manifest.h"
#include "engine/proof.h"
#include "base/file.h"
#include "base/names.h"
#include "base/hmap.h"

/* State of loading -f files into an engine. */
struct loader {
    struct engine *e;
    bool collect; /* validate: report every file and every object, going on after errors */
    bool pods_allowed;
    bool only_pods; /* --pod FILE: its Pods, nothing else (it may be the -f folder itself) */
    unsigned invalid;
    unsigned errors; /* files and documents that could not be read (collect) */
    unsigned dups;   /* objects defined a second time (collect) */
    unsigned pods;   /* Pods loaded */
    /* "dev:ino" -> the name a file was read under (one given twice, or by its folder too, is
     * read once); zeroed is empty */
    struct hmap seen;
    struct hmap twice; /* "KIND ns/name" of the policies defined twice (collect) */
    /* --pod: the localhost profiles the pods use that are not kscmp's, for the message when
     * no pod uses one of kscmp's (a few, each with a fix when one is near; the place of the
     * first) */
    char **other_refs;
    size_t nother_refs, nother_total;
    char *other_where;
};

/* The localhostProfile kscmp writes that ref (not below kscmp/) most likely meant: the same
 * path with kscmp/ before it (and the pod's namespace, .json), when the pod may use it. */
static char *near_kscmp_ref(const char *pod_ns, const char *ref)
{
    size_t len = strlen(ref);
    bool json = len > 5 && strcmp(ref + len - 5, ".json") == 0;
    _cleanup_free_ char *cand = NULL, *rel = NULL;
    if (asprintf(&cand, "kscmp/%s%s%s%s", strchr(ref, '/') ? "" : pod_ns,
                 strchr(ref, '/') ? "" : "/", ref, json ? "" : ".json") < 0)
        return NULL;
    struct kerr err = {0};
    if (engine_classify_ref(pod_ns, cand, &rel, &err) != 0)
        return NULL;
    return TAKE_PTR(cand);
}

/* Keeps the references of pod that are not kscmp's (a few of them) for other_refs_say(). */
static int keep_other_refs(struct loader *l, const struct pod *pod)
{
    enum { SHOWN = 3 };
    for (size_t i = 0; i < pod->nrefs; i++) {
        _cleanup_free_ char *rel = NULL;
        struct kerr err = {0};
        if (engine_classify_ref(pod->ns, pod->refs[i], &rel, &err) != 1)
            continue;
        int line = pod->refs_line ? pod->refs_line[i] : 0;
        if (l->nother_total++ >= SHOWN)
            continue;
        if (!l->other_where && asprintf(&l->other_where, "%s:%d: Pod %s/%s", pod->file,
                                        line ? line : pod->line, pod->ns, pod->name) < 0) {
            l->other_where = NULL;
            return -ENOMEM;
        }
        _cleanup_free_ char *near = near_kscmp_ref(pod->ns, pod->refs[i]);
        if (strv_addf(&l->other_refs, &l->nother_refs, "%s%s%s%s", pod->refs[i],
                      near ? " (did you mean " : "", near ? near : "", near ? "?)" : "") < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Says that the pods of pod_file use no profile of kscmp's, and which they use instead. */
static void other_refs_say(const struct loader *l, const char *pod_file)
{
    if (!l->nother_total) {
        fprintf(stderr, "kscmp: error: %s: the pods use no kscmp/ localhost profile\n", pod_file);
        return;
    }
    fprintf(stderr,
            "kscmp: error: %s: the pods use no kscmp/ localhost profile (kscmp writes "
            "kscmp/NAMESPACE/NAME.json); their localhostProfile: ",
            l->other_where);
    for (size_t i = 0; i < l->nother_refs; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", l->other_refs[i]);
    if (l->nother_total > l->nother_refs)
        fprintf(stderr, " and %zu more", l->nother_total - l->nother_refs);
    fputc('\n', stderr);
}

static void loader_clear_other_refs(struct loader *l)
{
    strv_free(l->other_refs, l->nother_refs);
    free(l->other_where);
}

/* "KIND ns/name" of p into buf. */
static const char *twice_key(const struct policy *p, char *buf, size_t len)
{
    char id[600];
    snprintf(buf, len, "%s %s", policy_kind_name(p->kind), policy_id(p, id, sizeof(id)));
    return buf;
}

static void loader_forget_files(struct loader *l)
{
    hmap_clear(&l->seen, free);
}

bool cli_entry_is_folder(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return false;
    fprintf(stderr, "kscmp: warning: %s is a folder: not read (sub-folders are not entered)\n",
            path);
    return true;
}

/* Whether path is a file read before (under this name or another): said, and true. Else it is
 * remembered. */
static bool file_read_before(struct loader *l, const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return false; /* load_file() says what is wrong with it */
    char key[64];
    snprintf(key, sizeof(key), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
    const char *before = hmap_get(&l->seen, key);
    if (before) {
        if (strcmp(path, before) == 0)
            fprintf(stderr, "kscmp: warning: %s: given more than once, read once\n", path);
        else
            fprintf(stderr, "kscmp: warning: %s: the same file as %s, read once\n", path, before);
        return true;
    }
    /* Without memory it is not remembered: read twice, its objects are then defined twice,
     * which is refused (never a weaker profile). */
    char *name = strdup(path);
    if (name && hmap_put(&l->seen, key, name, NULL) < 0)
        free(name);
    return false;
}

static int load_object(struct object *o, void *userdata)
{
    struct loader *l = userdata;
    char id[300];
    int r = 0;
    if (l->only_pods && o->type != OBJ_POD)
        return 0;
    switch (o->type) {
    case OBJ_POLICY: {
        struct policy *p = o->policy;
        const struct policy *first = engine_get_policy(l->e, p->kind, p->ns, p->name);
        if (first) {
            fprintf(stderr, "kscmp: error: %s:%d: %s %s: defined twice (first at %s:%d)\n", p->file,
                    p->line, policy_kind_name(p->kind), policy_id(p, id, sizeof(id)), first->file,
                    first->line);
            if (p->error) /* what is wrong with this copy too, not only that it is one */
                fprintf(stderr, "kscmp: error: %s\n", p->error);
            l->dups++;
            char key[700];
            if (l->collect)
                hmap_put(&l->twice, twice_key(p, key, sizeof(key)), (void *)1, NULL);
            return l->collect ? 0 : -EINVAL;
        }
        if (p->error) {
            fprintf(stderr, "kscmp: error: %s\n", p->error);
            l->invalid++;
            if (!l->collect)
                return -EINVAL;
        }
        r = engine_put_policy(l->e, TAKE_PTR(o->policy));
        break;
    }
    case OBJ_NAMESPACE: {
        /* Two definitions with other labels: which labels it has is not known, and the
         * ClusterSeccompPolicies that pick namespaces by label may or may not reach its pods
         * (never the later one silently). The same labels twice: said, read once. */
        const struct k8s_namespace *first = engine_get_namespace(l->e, o->ns->name);
        if (first && labels_equal(&first->labels, &o->ns->labels)) {
            fprintf(stderr,
                    "kscmp: warning: %s:%d: Namespace %s: defined twice (first at %s:%d), with "
                    "the same labels: read once\n",
                    o->ns->file, o->ns->line, o->ns->name, first->file ? first->file : "",
                    first->line);
            return 0;
        }
        if (first) {
            fprintf(stderr,
                    "kscmp: error: %s:%d: Namespace %s: defined twice (first at %s:%d), with other "
                    "labels: keep one\n",
                    o->ns->file, o->ns->line, o->ns->name, first->file ? first->file : "",
                    first->line);
            l->dups++;
            return l->collect ? 0 : -EINVAL;
        }
        r = engine_put_namespace(l->e, TAKE_PTR(o->ns));
        break;
    }
    case OBJ_POD:
        if (l->pods_allowed) {
            const struct pod *first = engine_get_pod(l->e, o->pod->ns, o->pod->name);
            if (first) {
                fprintf(stderr, "kscmp: error: %s:%d: Pod %s/%s: defined twice (first at %s:%d)\n",
                        o->pod->file, o->pod->line, o->pod->ns, o->pod->name, first->file,
                        first->line);
                l->dups++;
                return l->collect ? 0 : -EINVAL;
            }
            if (l->only_pods && (r = keep_other_refs(l, o->pod)) < 0)
                return r;
            r = engine_put_pod(l->e, TAKE_PTR(o->pod));
            l->pods += r >= 0;
        }
        break;
    default:
        break;
    }
    return r;
}

/* validate: a document that does not decode is told, and the next one read. */
static int load_doc_error(const struct kerr *err, void *userdata)
{
    struct loader *l = userdata;
    fprintf(stderr, "kscmp: error: %s\n", err->msg);
    l->errors++;
    return 0;
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads one file ("-": stdin). An empty one is worth a warning: it was probably meant to hold
 * something. */
static int load_file(struct loader *l, const char *path)
{
    if (file_read_before(l, path))
        return 0;
    struct kerr err = {0};
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, ndocs = 0;
    int r = read_file_all(path, MAX_MANIFEST, &buf, &len, &err);
    if (r == 0) {
        struct manifest_ops ops = {
            .object = load_object, .doc_error = l->collect ? load_doc_error : NULL, .userdata = l};
        r = manifest_load(buf, len, name, &ops, &ndocs, &err);
    }
    if (r < 0) {
        if (err.msg[0])
            fprintf(stderr, "kscmp: error: %s\n", err.msg);
        else if (r != -EINVAL)
            fprintf(stderr, "kscmp: error: %s: %s\n", name, strerror(-r));
        if (!l->collect || r == -ENOMEM)
            return r;
        l->errors++;
        return 0;
    }
    if (ndocs == 0)
        fprintf(stderr, "kscmp: warning: %s: empty, no objects in it\n", name);
    return 0;
}

/* Loads a file, or every *.yaml, *.yml and *.json file of a folder (sorted; sub-folders are
 * not entered). */
static int load_path(struct loader *l, const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return load_file(l, path); /* which says why a path cannot be read */
    char **names = NULL;
    size_t n = 0;
    int r = dir_list(path, manifest_file_name, true, &names, &n, NULL);
    if (r < 0) {
        fprintf(stderr, "kscmp: error: %s: %s\n", path, strerror(-r));
        if (!l->collect || r == -ENOMEM)
            return r;
        l->errors++;
        return 0;
    }
    size_t files = 0;
    for (size_t i = 0; r == 0 && i < n; i++) {
        if (cli_entry_is_folder(names[i]))
            continue;
        files++;
        r = load_file(l, names[i]);
    }
    strv_free(names, n);
    if (r == 0 && files == 0)
        fprintf(stderr, "kscmp: warning: %s: no *.yaml, *.yml or *.json file in it\n", path);
    return r;
}

static void log_stderr(const struct policy *p, const char *line, void *userdata)
{
    fprintf(stderr, "kscmp: %s\n", line);
}

/* The error of invalid policy p (prefix before it), and what was likely meant when its parent
 * is missing; unread: some file or document could not be read (validate goes on after one),
 * and the parent may be in it (two objects without '---' between them are refused whole, and a
 * YAML syntax error ends its file). */
static void print_invalid(struct engine *e, const struct policy *p, const char *prefix,
                          const char *error, bool unread)
{
    char hint[600];
    int h = engine_parent_hint(e, p, hint, sizeof(hint));
    fprintf(stderr, "kscmp: %s%s%s%s%s\n", prefix, error, h > 0 ? "; " : "", h > 0 ? hint : "",
            h < 0 || !unread ? ""
            : h > 0          ? " Or it is in a file or document that could not be read (above)"
                             : "; it may be in a file or document that could not be read (above)");
}

/* compile, explain: the engine's lines about a policy (its warnings, its conflict), held until
 * the policies whose rules make the profile asked for are known. Theirs are printed, in the
 * order they came; the others' are only counted, since the files may hold many policies that
 * have no part in that profile (every one is compiled, to tell the invalid ones), and a
 * warning of one of them reads as a problem of the profile. */
struct held_line {
    const struct policy *p;
    char *line;
};

struct held_log {
    struct held_line *v; /* while the makers are not known */
    size_t n;
    const struct policy **makers; /* the contributors and their ancestors */
    size_t nmakers;
    bool known;
    bool all;        /* known, but the makers could not be told: every line is printed */
    unsigned others; /* lines not shown */
    char what[300];  /* the profile asked for, for the line that counts them */
};

static bool held_log_maker(const struct held_log *h, const struct policy *p)
{
    for (size_t i = 0; i < h->nmakers; i++)
        if (h->makers[i] == p)
            return true;
    return false;
}

static void held_log_line(const struct policy *p, const char *line, void *userdata)
{
    struct held_log *h = userdata;
    /* The warning that a policy's metadata.namespace was not taken as written: likely the
     * reason it makes no part of the profile asked for. Its other lines are held as any. */
    if (p && (p->ns_defaulted || p->ns_ignored) && strncmp(line, "warning: ", 9) == 0) {
        _cleanup_free_ char *w = engine_policy_warning(p);
        if (w && strcmp(line + 9, w) == 0) {
            log_stderr(p, line, NULL);
            return;
        }
    }
    if (h->known) {
        if (h->all || held_log_maker(h, p))
            log_stderr(p, line, NULL);
        else
            h->others++;
        return;
    }
    struct held_line *v = realloc(h->v, (h->n + 1) * sizeof(*v));
    char *copy = v ? strdup(line) : NULL;
    if (v)
        h->v = v;
    if (!copy) {
        log_stderr(p, line, NULL); /* never hidden for want of memory */
        return;
    }
    h->v[h->n++] = (struct held_line){p, copy};
}

/* Adds p to the makers once. 0 or -ENOMEM. */
static int held_log_add(struct held_log *h, const struct policy *p)
{
    if (held_log_maker(h, p))
        return 0;
    const struct policy **v = realloc(h->makers, (h->nmakers + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    h->makers = v;
    h->makers[h->nmakers++] = p;
    return 0;
}

/* The lines held go where held_log_line() sends them now that the makers are known. */
static void held_log_flush(struct held_log *h)
{
    for (size_t i = 0; i < h->n; i++) {
        held_log_line(h->v[i].p, h->v[i].line, h);
        free(h->v[i].line);
    }
    free(h->v);
    h->v = NULL;
    h->n = 0;
}

/* The profile what (printed in the line that counts the others) is made of v[0..n) and the
 * policies they extend, whose rules reach it through them: their lines held are printed, the
 * others counted, and so are the lines that come after. When they cannot be told (an invalid
 * one that extends a policy: the engine names no parent for it; no memory left), every line
 * is printed, as before. */
static void held_log_know(struct engine *e, struct held_log *h, const struct policy *const *v,
                          size_t n, const char *what)
{
    int r = 0;
    for (size_t i = 0; r == 0 && i < n; i++)
        r = held_log_add(h, v[i]);
    /* The list grows as it is walked: each maker's parent is added after it. */
    for (size_t i = 0; r == 0 && i < h->nmakers; i++) {
        struct policy_result pr;
        struct policy_key parent;
        if (engine_policy_result(e, h->makers[i], &pr) < 0 ||
            (!pr.valid && policy_parent(h->makers[i], &parent)))
            r = -ENOENT;
        else if (pr.parent)
            r = held_log_add(h, pr.parent);
    }
    snprintf(h->what, sizeof(h->what), "%s", what);
    h->known = true;
    h->all = r < 0;
    held_log_flush(h);
}

/* Says how many lines were not shown, once. */
static void held_log_note(struct held_log *h)
{
    if (h->others)
        fprintf(stderr,
                "kscmp: note: %u warning%s of policies that do not contribute to %s not shown "
                "('kscmp validate -f' lists them)\n",
                h->others, h->others == 1 ? "" : "s", h->what);
    h->others = 0;
}

/* The lines still held (the makers never known: an error came first) are printed, as they are
 * not known not to be the profile's; then the count of those not shown. */
static void held_log_finish(struct held_log *h)
{
    if (!h->known)
        h->known = h->all = true;
    held_log_flush(h);
    held_log_note(h);
    free(h->makers);
    *h = (struct held_log){0};
}

struct common {
    char **files;
    size_t nfiles;
    int arch; /* -1: the machine's */
    const char *output;
    const char *pod_file, *profile, *policy; /* compile, explain */
    bool startup_none;                       /* --startup-syscalls none */
};

/* Which options a command takes, besides -f and --help. */
enum { OPT_ARCH = 1, OPT_OUTPUT = 2, OPT_COMPILE = 4, OPT_STARTUP = 8 };

static int add_file(struct common *c, const char *f)
{
    char **v = realloc(c->files, (c->nfiles + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    c->files = v;
    c->files[c->nfiles++] = (char *)f;
    return 0;
}

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "kscmp %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'kscmp %s --help' for usage.\n", cmd);
    return EXIT_USAGE;
}

static int parse_arch(const char *cmd, const char *s, int *ret)
{
    int a = arch_parse(s);
    if (a < 0)
        return usage_error(cmd, "unknown architecture \"%s\" (x86_64, aarch64, arm, ...)", s);
    *ret = a;
    return 0;
}

/* Parses the options every offline command shares. Returns -1 to go on (optind is at the first
 * operand), or the exit status to return (0 after --help, EXIT_USAGE, EXIT_INVALID). The
 * caller frees c->files. */
static int parse_options(const char *cmd, const char *help, unsigned allowed, int argc, char **argv,
                         struct common *c)
{
    static const struct option opts[] = {
        {"filename", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"arch", required_argument, NULL, 'a'},
        {"pod", required_argument, NULL, 'p'},
        {"profile", required_argument, NULL, 'P'},
        {"policy", required_argument, NULL, 'y'},
        {"startup-syscalls", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt, r;
    /* -pod, -filename: a long option with one dash, which getopt would read as -p -o -d, or as
     * -f with "ilename" (what follows says nothing of the dash). */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (a[0] != '-')
            continue;
        /* An option's value is not looked at (a file named -pod after -f is a file). */
        if (strcmp(a, "-f") == 0 || strcmp(a, "-o") == 0) {
            i++;
            continue;
        }
        if (a[1] == '-') {
            for (const struct option *o = opts; o->name; o++)
                if (o->has_arg == required_argument && strcmp(a + 2, o->name) == 0)
                    i++;
            continue;
        }
        if (strlen(a) <= 2)
            continue;
        size_t n = strcspn(a + 1, "=");
        for (const struct option *o = opts; o->name; o++)
            if (strlen(o->name) == n && strncmp(a + 1, o->name, n) == 0) {
                char what[200];
                snprintf(what, sizeof(what),
                         "unrecognized option '%.64s': a long option takes two dashes (-%.64s)", a,
                         a);
                return usage_error(cmd, "%s", what);
            }
    }
    optind = 1;
    opterr = 0; /* the messages below say it better */
    int li = -1;
    char name[64];
    while ((opt = getopt_long(argc, argv, ":f:o:h", opts, &li)) != -1) {
        /* How the user spelled the option: "--filename" or "-f". */
        const char *prev = argv[optind - 1];
        if (li >= 0)
            snprintf(name, sizeof(name), "--%s", opts[li].name);
        else if ((opt == ':' || opt == '?') && strncmp(prev, "--", 2) == 0)
            snprintf(name, sizeof(name), "%.*s", (int)strcspn(prev, "="), prev);
        else
            snprintf(name, sizeof(name), "-%c", opt == ':' || opt == '?' ? optopt : opt);
        li = -1;
        if (opt == ':')
            return usage_error(cmd, "option %s needs an argument", name);
        if (opt == '?')
            return usage_error(cmd, "unrecognized option '%s'", name); /* getopt's words */
        bool ok = opt == 'f' || opt == 'h' || (opt == 'a' && (allowed & OPT_ARCH)) ||
                  (opt == 'o' && (allowed & OPT_OUTPUT)) ||
                  ((opt == 'p' || opt == 'P' || opt == 'y') && (allowed & OPT_COMPILE)) ||
                  (opt == 'S' && (allowed & OPT_STARTUP));
        if (!ok)
            return usage_error(cmd, "option %s does not go with this command", name);
        switch (opt) {
        case 'f':
            if (add_file(c, optarg) < 0)
                return EXIT_INVALID;
            break;
        case 'o':
            c->output = optarg;
            break;
        case 'a':
            if ((r = parse_arch(cmd, optarg, &c->arch)) != 0)
                return r;
            break;
        case 'p':
            c->pod_file = optarg;
            break;
        case 'P':
            c->profile = optarg;
            break;
        case 'y':
            c->policy = optarg;
            break;
        case 'S':
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "none") != 0)
                return usage_error(cmd, "--startup-syscalls \"%s\": want auto or none", optarg);
            c->startup_none = strcmp(optarg, "none") == 0;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        }
    }
    return -1;
}

/* Builds an engine from the -f files; held: where its lines go (NULL: printed as they come).
 * Returns 0 or an exit status. */
static int make_engine(const char *cmd, const struct common *c, bool collect, bool pods,
                       struct held_log *held, struct engine **ret, struct loader *ret_loader)
{
    struct engine *e = NULL;
    int r = engine_new(c->arch, &e);
    if (r < 0) {
        fprintf(stderr, "kscmp: error: cannot start the engine: %s\n", strerror(-r));
        return EXIT_INVALID;
    }
    /* The files are the whole story: a policy in them has no earlier version (an agent that
     * has run a while sees the same). */
    engine_past_known(e);
    /* validate prints every policy's warnings with its line; compile and explain those of the
     * policies that make the profile asked for; the others as they come. */
    if (held)
        engine_set_logger(e, held_log_line, held);
    else if (!collect)
        engine_set_logger(e, log_stderr, NULL);
    engine_set_startup(e, !c->startup_none);
    struct loader l = {.e = e, .collect = collect, .pods_allowed = pods};
    for (size_t i = 0; i < c->nfiles; i++) {
        r = load_path(&l, c->files[i]);
        if (r < 0) {
            loader_forget_files(&l);
            hmap_clear(&l.twice, NULL);
            engine_free(e);
            /* The error above may be a policy that has nothing to do with what was asked (the
             * agent would still write the files it does not contribute to): say why that
             * stops this command. */
            if (!collect)
                fprintf(stderr,
                        "kscmp %s: stopped at that error (a document that cannot be read, an "
                        "invalid policy or an object defined twice may bear on what was asked: "
                        "'kscmp validate -f' lists every problem)\n",
                        cmd);
            return EXIT_INVALID;
        }
    }
    loader_forget_files(&l);
    if (ret_loader)
        *ret_loader = l;
    *ret = e;
    return 0;
}

/* "NS/NAME" (SeccompPolicy, else KubeArmorSeccompPolicy), "ClusterSeccompPolicy/NAME" or
 * "NAME" (a ClusterSeccompPolicy). */
/* The length of ref's namespaced kind ("SeccompPolicy/", "KubeArmorSeccompPolicy/"), or 0. */
static size_t namespaced_kind_len(const char *ref)
{
    static const char ka[] = "KubeArmorSeccompPolicy/", sp[] = "SeccompPolicy/";
    return strncmp(ref, ka, sizeof(ka) - 1) == 0   ? sizeof(ka) - 1
           : strncmp(ref, sp, sizeof(sp) - 1) == 0 ? sizeof(sp) - 1
                                                   : 0;
}

static const struct policy *find_policy(struct engine *e, const char *ref)
{
    const char *cluster = cluster_policy_ref(ref);
    if (cluster)
        return engine_get_policy(e, PK_CLUSTER, NULL, cluster);
    struct ns_name n;
    size_t kind = namespaced_kind_len(ref);
    if (kind) {
        bool kube = ref[0] == 'K';
        if (ns_name_split(ref + kind, &n) < 0 || !ns_name_ns(&n))
            return NULL;
        return engine_get_policy(e, kube ? PK_KUBEARMOR : PK_POLICY, n.ns, n.name);
    }
    if (ns_name_split(ref, &n) < 0)
        return NULL;
    if (!ns_name_ns(&n))
        return engine_get_policy(e, PK_CLUSTER, NULL, n.name);
    const struct policy *p = engine_get_policy(e, PK_POLICY, n.ns, n.name),
                        *k = engine_get_policy(e, PK_KUBEARMOR, n.ns, n.name);
    if (p && k)
        fprintf(stderr,
                "kscmp: warning: %s is both a SeccompPolicy and a KubeArmorSeccompPolicy: the "
                "SeccompPolicy is the one used here (KubeArmorSeccompPolicy/%s names the other)\n",
                ref, ref);
    return p ? p : k;
}

/* The id (NS/NAME, or NAME) of the policy of e nearest to ref, misspelt, into buf; NULL when
 * none is near (or no memory was left to look). namespaced: only namespaced policies. */
static const char *nearest_policy(const struct engine *e, const char *ref, bool namespaced,
                                  char *buf, size_t len)
{
    _cleanup_free_ const struct policy **all = NULL;
    size_t n = 0;
    if (engine_list_policies(e, &all, &n) < 0)
        return NULL;
    char **ids = NULL;
    size_t nids = 0;
    char id[300];
    for (size_t i = 0; i < n; i++)
        if ((!namespaced || all[i]->kind != PK_CLUSTER) &&
            strv_addf(&ids, &nids, "%s", policy_id(all[i], id, sizeof(id))) < 0) {
            strv_free(ids, nids);
            return NULL;
        }
    struct spell near;
    spell_init(&near, ref);
    for (size_t i = 0; i < nids; i++)
        spell_offer(&near, ids[i]);
    if (near.best)
        snprintf(buf, len, "%s", near.best);
    strv_free(ids, nids);
    return near.best ? buf : NULL;
}

/* Says that ref names no policy of the files; a bare NAME is looked up as a
 * ClusterSeccompPolicy only, which surprises whoever meant a SeccompPolicy of "default", and
 * a kind without a namespace (SeccompPolicy/NAME) names none. NS/NAME where NAME is a
 * ClusterSeccompPolicy is told how that one is named; else a policy near ref is named. */
static int no_policy_error(const struct engine *e, const char *ref)
{
    size_t kind = namespaced_kind_len(ref);
    const char *slash = strrchr(ref, '/');
    char near[300];
    if (!slash)
        fprintf(stderr,
                "kscmp: error: no policy %s in the given files (a NAME alone is a "
                "ClusterSeccompPolicy; a SeccompPolicy is NAMESPACE/NAME)",
                ref);
    else if (kind && !strchr(ref + kind, '/'))
        fprintf(stderr,
                "kscmp: error: no policy %s in the given files (a namespaced policy needs "
                "its namespace: %.*sNAMESPACE/NAME)",
                ref, (int)kind, ref);
    else if (!kind && engine_get_policy(e, PK_CLUSTER, NULL, slash + 1)) {
        fprintf(stderr,
                "kscmp: error: no policy %s in the given files (%s is a ClusterSeccompPolicy, "
                "named without a namespace: %s)\n",
                ref, slash + 1, slash + 1);
        return EXIT_INVALID;
    } else
        fprintf(stderr, "kscmp: error: no policy %s in the given files", ref);
    if (nearest_policy(e, ref + kind, kind, near, sizeof(near)))
        fprintf(stderr, "; did you mean %.*s%s?", (int)kind, ref, near);
    fputc('\n', stderr);
    return EXIT_INVALID;
}

static const char *const compile_help =
    "Usage: kscmp compile -f FILE... (--pod FILE [--profile kscmp/NS/NAME.json] | --policy "
    "[NS/]NAME) [--arch ARCH]\n"
    "                     [--startup-syscalls auto|none]\n"
    "       kscmp explain  (same options)\n"
    "       kscmp explain pod NAME [-n NAMESPACE] [-o text|json]   (a pod of the cluster:\n"
    "                      'kscmp explain pod --help')\n\n"
    "Prints the seccomp profile the agent would write for the pods of --pod (a file of one or\n"
    "more Pods; --profile picks the file when they reference several), or one policy after\n"
    "inheritance with --policy. explain prints where each syscall's action comes from.\n\n"
    "  -f, --filename FILE   policies and Namespaces (YAML or JSON; a folder: all its files)\n"
    "      --pod FILE        Pods\n"
    "      --profile REF     kscmp/NS/NAME.json\n"
    "      --policy REF      NS/NAME, or NAME for a ClusterSeccompPolicy\n"
    "      --arch ARCH       the node's architecture (default: this machine's)\n"
    "      --startup-syscalls auto|none\n"
    "                        auto (default): allow the syscalls the container runtime (runc,\n"
    "                        crun) makes after loading the profile, where no policy names\n"
    "                        them (fewer when every container of the pods sets\n"
    "                        allowPrivilegeEscalation: false; all of them with --policy), and\n"
    "                        warn when a policy blocks one; none: exactly what the policies say\n";

struct file_out {
    char *json;
    size_t len;
    char *explain;
    struct sysdb *db;
    const struct sysdb *names; /* for the inexact warning */
    char *inexact;             /* FILE_WRITE: the syscalls stricter than said, or NULL */
    enum file_action action;
    char *why;   /* when not FILE_WRITE */
    char **told; /* the invalid policies' messages already printed */
    size_t ntold;
    const struct pod **pods; /* those that reference the file */
    size_t npods;
    size_t cluster_only; /* pods the engine told ClusterPoliciesOnly */
    bool failed;
    const char *cmd;
};

static void file_out_clear(struct file_out *o)
{
    for (size_t i = 0; i < o->ntold; i++)
        free(o->told[i]);
    free(o->told);
    o->told = NULL;
    o->ntold = 0;
    free(o->pods);
    o->pods = NULL;
    o->npods = 0;
    free(o->inexact);
    o->inexact = NULL;
}

/* The names of syscalls sys[0..n) of db, sorted and joined by spaces ("clone personality"), into
 * *ret (NULL when none): a file result's inexact ones, for compile's warning. */
static int inexact_names(const uint32_t *sys, size_t n, const struct sysdb *db, char **ret)
{
    if (n == 0)
        return 0;
    _cleanup_free_ const char **names = calloc(n, sizeof(*names));
    if (!names)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        names[i] = sysdb_name(db, sys[i]);
    qsort(names, n, sizeof(*names), cmp_strp);
    size_t len = 0;
    FILE *f = open_memstream(ret, &len);
    if (!f)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? " " : "", names[i]);
    return fclose(f) == 0 ? 0 : -ENOMEM;
}

static int cli_on_file(const struct file_result *r, void *userdata)
{
    struct file_out *o = userdata;
    o->action = r->action;
    /* Kept to ask which policies contribute, once the engine is done with the file. */
    if (r->npods && !(o->pods = malloc(r->npods * sizeof(*o->pods))))
        return -ENOMEM;
    if (r->npods)
        memcpy(o->pods, r->pods, r->npods * sizeof(*o->pods));
    o->npods = r->npods;
    if (r->action != FILE_WRITE && r->why && !(o->why = strdup(r->why)))
        return -ENOMEM;
    if (r->action == FILE_WRITE) {
        o->json = strndup(r->json, r->len);
        o->len = r->len;
        if (!o->json)
            return -ENOMEM;
        int q = o->names ? inexact_names(r->inexact, r->ninexact, o->names, &o->inexact) : 0;
        if (q < 0)
            return q;
        if (o->db)
            return profile_explain(r->prof, o->db, &o->explain);
    }
    return 0;
}

/* The proof the agent runs before it writes a profile (libseccomp builds it, and its program
 * is never looser), as the agent on a node of --arch would run it (arch: an index into the
 * table, -1 for this machine's): 0, or EXIT_INVALID after saying why, as the agent's
 * ProfileRefused would. */
static int prove_or_say(const char *what, const char *json, size_t len, int arch)
{
    struct kerr err = {0};
    int r = proof_profile_node(json, len, arch >= 0 ? arch_get((size_t)arch)->token : 0, &err);
    if (r == 0)
        return 0;
    if (r == -EXDEV) {
        fprintf(stderr, "kscmp: error: %s: not proven: %s\n", what, err.msg);
        return EXIT_INVALID;
    }
    fprintf(stderr,
            "kscmp: error: ProfileRefused: %s: the agent would not write this profile: %s\n", what,
            err.msg);
    return EXIT_INVALID;
}

/* What the agent would tell a pod, said as compile's own error: an invalid policy once, by
 * its own message (what the agent does with the file does not matter here). */
static int cli_on_event(const struct engine_event *ev, void *userdata)
{
    struct file_out *o = userdata;
    if (ev->normal) {
        o->cluster_only += strcmp(ev->reason, "ClusterPoliciesOnly") == 0;
        return 0; /* note_unnamed() says it */
    }
    if (strcmp(ev->reason, "ProfileStricter") == 0)
        return 0; /* said once for the file, not per pod (compile_or_explain) */
    bool warning = strcmp(ev->reason, "ProfileConflict") == 0 ||
                   strcmp(ev->reason, "ProfileBlocksStartup") == 0;
    if (!warning)
        o->failed = true;
    if (strcmp(ev->reason, "PolicyInvalid") == 0 && ev->cause) {
        for (size_t i = 0; i < o->ntold; i++)
            if (strcmp(o->told[i], ev->cause) == 0)
                return 0;
        char **v = realloc(o->told, (o->ntold + 1) * sizeof(*v));
        if (!v)
            return -ENOMEM;
        o->told = v;
        if (!(o->told[o->ntold] = strdup(ev->cause)))
            return -ENOMEM;
        o->ntold++;
        fprintf(stderr, "kscmp: error: %s\n", ev->cause);
        return 0;
    }
    fprintf(stderr, "kscmp: %s: %s: Pod %s/%s: %s\n", warning ? "warning" : "error", ev->reason,
            ev->pod->ns, ev->pod->name, ev->cause ? ev->cause : ev->message);
    return 0;
}

/* After the profile asked for was made: an invalid policy of the files given that has no part
 * in it (the agent too would still write the file) is not an error of this profile, but it is
 * not passed over without a word either: a warning for each, at most WARN_OTHERS of them. The
 * other policies' warnings, which compiling them all brings, are counted in one line. */
#define WARN_OTHERS 5
static void warn_other_invalid(struct engine *e, struct held_log *held)
{
    const struct policy **all = NULL;
    size_t n = 0;
    if (engine_list_policies(e, &all, &n) < 0)
        return;
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        struct policy_result pr;
        if (engine_policy_result(e, all[i], &pr) < 0 || pr.valid)
            continue;
        if (bad++ < WARN_OTHERS)
            print_invalid(e, all[i], "warning: not in this profile, but invalid: ",
                          pr.error ? pr.error : "(the engine gave no reason)", false);
    }
    free(all);
    if (bad > WARN_OTHERS)
        fprintf(stderr,
                "kscmp: warning: %u more invalid policies in the files given ('kscmp validate "
                "-f' lists them)\n",
                bad - WARN_OTHERS);
    held_log_note(held);
}

/* The policies that contribute to file rel ("NS/NAME.json") for its pods, and their
 * ancestors, are the makers of its lines. */
static void held_log_know_file(struct engine *e, struct held_log *h, const struct file_out *fo,
                               const char *rel)
{
    const char *slash = strchr(rel, '/');
    size_t len = slash ? strlen(slash + 1) : 0;
    _cleanup_free_ char *name = len > 5 ? strndup(slash + 1, len - 5) : NULL;
    _cleanup_free_ const struct policy **v = NULL;
    size_t n = 0;
    if (!name)
        return; /* the lines are all printed at the end */
    for (size_t i = 0; i < fo->npods; i++) {
        struct contributor *cv = NULL;
        size_t ncv = 0;
        if (engine_contributors(e, fo->pods[i], name, &cv, &ncv) < 0)
            return;
        const struct policy **nv = realloc(v, (n + ncv + 1) * sizeof(*nv));
        if (!nv) {
            free(cv);
            return;
        }
        v = nv;
        for (size_t k = 0; k < ncv; k++)
            v[n++] = cv[k].policy;
        free(cv);
    }
    char what[300];
    snprintf(what, sizeof(what), "kscmp/%s", rel);
    held_log_know(e, h, v, n, what);
}

/* The file rel ("NS/NAME.json") of pods fo->pods was made by ClusterSeccompPolicies alone:
 * the engine told each pod ClusterPoliciesOnly (no policy of its namespace is named NS/NAME or
 * selects it). What a misspelt localhostProfile gives where a cluster-wide policy selects every
 * pod (the pod then runs under that baseline alone), so it is said, with the nearest name.
 * Policies of the namespace that select the pods (kscmp/demo/web.json of two merged policies)
 * make it as meant. */
static void note_unnamed(struct engine *e, const struct file_out *fo, const char *rel)
{
    struct ns_name n;
    size_t len;
    if (fo->cluster_only == 0 || fo->cluster_only < fo->npods || ns_name_split(rel, &n) < 0 ||
        !ns_name_ns(&n) || (len = strlen(n.name)) <= 5)
        return;
    char name[DNS_SUBDOMAIN_MAX + 1];
    snprintf(name, sizeof(name), "%.*s", (int)(len - 5), n.name);
    const struct policy **all = NULL;
    size_t count = 0;
    struct spell near;
    spell_init(&near, name);
    if (engine_list_policies(e, &all, &count) == 0)
        for (size_t i = 0; i < count; i++)
            if (all[i]->kind != PK_CLUSTER && strcmp(all[i]->ns, n.ns) == 0)
                spell_offer(&near, all[i]->name);
    char hint[DNS_SUBDOMAIN_MAX + NAMESPACE_MAX + 40] = "";
    if (near.best)
        snprintf(hint, sizeof(hint), " (did you mean kscmp/%s/%s.json?)", n.ns, near.best);
    fprintf(stderr,
            "kscmp: note: no SeccompPolicy %s/%s, and none of %s selects its pods: kscmp/%s "
            "holds only what ClusterSeccompPolicies give%s\n",
            n.ns, name, n.ns, rel, hint);
    free(all);
}

static int compile_or_explain(int argc, char **argv, bool explain, struct held_log *held)
{
    const char *cmd = explain ? "explain" : "compile";
    struct common c = {.arch = -1};
    int r = parse_options(cmd, compile_help, OPT_ARCH | OPT_COMPILE | OPT_STARTUP, argc, argv, &c);
    _cleanup_free_ char **files_owner = c.files;
    if (r >= 0)
        return r;
    const char *pod_file = c.pod_file, *profile = c.profile, *policy = c.policy;
    if (optind < argc)
        return usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (c.nfiles == 0)
        return usage_error(cmd, "%s", NO_FILE_GIVEN("policy"));
    if (!!pod_file == !!policy)
        return usage_error(cmd, "%s", "give either --pod FILE or --policy [NS/]NAME");
    if (profile && !pod_file)
        return usage_error(cmd, "%s", "--profile goes with --pod");

    _cleanup_(engine_freep) struct engine *e = NULL;
    if ((r = make_engine(cmd, &c, false, false, held, &e, NULL)) != 0)
        return r;

    if (policy) {
        const struct policy *p = find_policy(e, policy);
        if (!p)
            return no_policy_error(e, policy);
        struct policy_result pr;
        if ((r = engine_policy_result(e, p, &pr)) < 0) {
            fprintf(stderr, "kscmp: error: %s\n", strerror(-r));
            return EXIT_INVALID;
        }
        char what[300];
        snprintf(what, sizeof(what), "the profile of %s", policy);
        held_log_know(e, held, &p, 1, what);
        if (!pr.valid) {
            print_invalid(e, p, "error: ", pr.error, false);
            return EXIT_INVALID;
        }
        _cleanup_(cprof_freep) struct cprof *prof = NULL;
        _cleanup_free_ char *blocked = NULL, *out = NULL;
        size_t len = 0;
        if ((r = engine_policy_startup(e, pr.prof, &prof, &blocked)) < 0) {
            fprintf(stderr, "kscmp: error: %s\n", strerror(-r));
            return EXIT_INVALID;
        }
        if (blocked)
            fprintf(stderr, "kscmp: warning: ProfileBlocksStartup: %s: %s\n", policy, blocked);
        _cleanup_free_ char *json = NULL;
        struct kerr rerr = {0};
        if ((r = profile_render_bounded(prof, engine_sysdb(e), &json, &len, &rerr)) < 0) {
            fprintf(stderr,
                    "kscmp: error: ProfileRefused: %s: the agent would not write this profile: "
                    "%s\n",
                    policy, rerr.msg[0] ? rerr.msg : strerror(-r));
            return EXIT_INVALID;
        }
        if ((r = prove_or_say(policy, json, len, c.arch)) != 0)
            return r;
        warn_other_invalid(e, held);
        if (explain && profile_explain(prof, engine_sysdb(e), &out) < 0)
            return EXIT_INVALID;
        fputs(explain ? out : json, stdout);
        return 0;
    }

    /* --pod: load the pods, find the file. */
    _cleanup_(loader_clear_other_refs) struct loader l = {
        .e = e, .pods_allowed = true, .only_pods = true};
    r = load_path(&l, pod_file);
    loader_forget_files(&l);
    if (r < 0)
        return EXIT_INVALID;
    const char **files = NULL;
    size_t nfiles = 0;
    if (engine_list_files(e, &files, &nfiles) < 0)
        return EXIT_INVALID;
    _cleanup_free_ const char **files_free = files;
    _cleanup_free_ char *rel = NULL;
    struct kerr err = {0};
    if (profile) {
        /* The namespace the reference names is the pod's, for engine_classify_ref. */
        struct ns_name n;
        if (strncmp(profile, "kscmp/", 6) != 0 || ns_name_split(profile + 6, &n) < 0 ||
            !ns_name_ns(&n) || engine_classify_ref(n.ns, profile, &rel, &err) != 0)
            return usage_error(cmd, "--profile \"%s\" is not kscmp/NS/NAME.json", profile);
    } else if (nfiles == 1) {
        rel = strdup(files[0]);
    }
    if (!rel) {
        /* Say why: refused references, none, or several. */
        struct file_out fo = {.cmd = cmd};
        engine_sync(e, &(struct sync_ops){.event = cli_on_event, .userdata = &fo});
        file_out_clear(&fo);
        bool refused = fo.failed;
        if (nfiles == 0) {
            if (l.pods == 0)
                fprintf(stderr,
                        "kscmp: error: %s: no Pod in it (only kind: Pod is read; for a workload "
                        "such as a Deployment, give one of its pods: kubectl get pod NAME -o "
                        "yaml)\n",
                        pod_file);
            else if (!refused)
                other_refs_say(&l, pod_file);
            return EXIT_INVALID;
        }
        fprintf(stderr, "kscmp %s: the pods reference several profiles:", cmd);
        for (size_t i = 0; i < nfiles; i++)
            fprintf(stderr, " kscmp/%s", files[i]);
        fprintf(stderr, "\npick one with --profile\n");
        return EXIT_USAGE;
    }
    struct file_out fo = {
        .cmd = cmd, .db = explain ? engine_sysdb(e) : NULL, .names = engine_sysdb(e)};
    struct sync_ops ops = {.file = cli_on_file, .event = cli_on_event, .userdata = &fo};
    r = engine_compute_file(e, rel, &ops);
    if (r >= 0)
        held_log_know_file(e, held, &fo, rel);
    if (r >= 0 && fo.action == FILE_WRITE && !fo.failed)
        note_unnamed(e, &fo, rel);
    if (r >= 0 && fo.action == FILE_WRITE && !fo.failed && fo.inexact)
        fprintf(stderr,
                "kscmp: warning: kscmp/%s: %s: the policies' conditions for %s cannot be written "
                "as seccomp rules exactly (they overlap rules of another action on arguments "
                "seccomp cannot cut apart, or stand beside an unconditional rule of another "
                "action): calls they allow get the strictest action, more than the policies say "
                "(`kscmp explain` names the rules; docs/policies.md, \"Several policies\")\n",
                rel, fo.inexact, strchr(fo.inexact, ' ') ? "them" : "it");
    file_out_clear(&fo);
    if (r == -ENOENT) {
        fprintf(stderr, "kscmp: error: no pod in %s references kscmp/%s\n", pod_file, rel);
        return EXIT_INVALID;
    }
    _cleanup_free_ char *json = fo.json;
    _cleanup_free_ char *text = fo.explain;
    _cleanup_free_ char *why = fo.why;
    if (r < 0) {
        fprintf(stderr, "kscmp: error: %s\n", strerror(-r));
        return EXIT_INVALID;
    }
    if (fo.action != FILE_WRITE && !fo.failed)
        fprintf(stderr, "kscmp: error: kscmp/%s: no profile: %s\n", rel,
                why ? why : "the engine gave no reason");
    if (fo.action != FILE_WRITE || fo.failed)
        return EXIT_INVALID;
    char what[300];
    snprintf(what, sizeof(what), "kscmp/%s", rel);
    if ((r = prove_or_say(what, json, fo.len, c.arch)) != 0)
        return r;
    warn_other_invalid(e, held);
    if (explain)
        printf("# kscmp/%s\n", rel);
    fputs(explain ? text : json, stdout);
    return 0;
}

int cli_compile(int argc, char **argv, bool explain)
{
    struct held_log held = {0};
    int r = compile_or_explain(argc, argv, explain, &held);
    held_log_finish(&held);
    return r;
}

/* The descendants tree, walked without recursion: one frame per level, at most EXTENDS_MAX
 * levels below runtime/default (a valid policy's chain is at most that long). */
struct tree_frame {
    const struct policy **kids;
    size_t n, i;
    json_t *children; /* -o json: the array the kids go in */
};

#define TREE_DEPTH_MAX (EXTENDS_MAX + 2)

static const char *tree_name(const struct policy *p, char *buf, size_t len)
{
    return p ? policy_id(p, buf, len) : "runtime/default";
}

/* A key for p (NULL: runtime/default) in a set of the policies a tree lists: its kind and id
 * (a SeccompPolicy and a KubeArmorSeccompPolicy may share NS/NAME). */
static const char *tree_key(const struct policy *p, char *buf, size_t len)
{
    char id[300];
    snprintf(buf, len, "%d %s", p ? (int)p->kind : -1, tree_name(p, id, sizeof(id)));
    return buf;
}

/* Prints the tree below root (NULL: runtime/default) as text, or fills *ret_json; listed (may
 * be NULL) gets the key of every policy printed, root included (-ENOMEM when it cannot). */
static int walk_tree(struct engine *e, const struct policy *root, json_t **ret_json,
                     struct hmap *listed)
{
    char key[400];
    if (listed && hmap_put(listed, tree_key(root, key, sizeof(key)), (void *)1, NULL) < 0)
        return -ENOMEM;
    struct tree_frame st[TREE_DEPTH_MAX] = {{0}};
    size_t depth = 1;
    char id[300];
    json_t *top = NULL;
    if (ret_json) {
        top = json_pack("{s:s, s:[]}", "name", tree_name(root, id, sizeof(id)), "children");
        if (!top)
            return -ENOMEM;
        st[0].children = json_object_get(top, "children");
    } else
        printf("%s\n", tree_name(root, id, sizeof(id)));
    int r = engine_children(e, root, &st[0].kids, &st[0].n);
    while (r >= 0 && depth > 0) {
        struct tree_frame *f = &st[depth - 1];
        if (f->i == f->n) {
            free(f->kids);
            f->kids = NULL;
            depth--;
            continue;
        }
        const struct policy *c = f->kids[f->i++];
        json_t *node = NULL;
        if (ret_json) {
            node = json_pack("{s:s, s:[]}", "name", tree_name(c, id, sizeof(id)), "children");
            if (!node || json_array_append_new(f->children, node) < 0) {
                r = -ENOMEM;
                break;
            }
        } else {
            for (size_t l = 0; l + 1 < depth; l++)
                fputs(st[l].i == st[l].n ? "    " : "│   ", stdout);
            printf("%s%s\n", f->i == f->n ? "└── " : "├── ", tree_name(c, id, sizeof(id)));
        }
        if (listed && hmap_put(listed, tree_key(c, key, sizeof(key)), (void *)1, NULL) < 0) {
            r = -ENOMEM;
            break;
        }
        if (depth == TREE_DEPTH_MAX) {
            r = -ELOOP; /* cannot happen: valid chains are at most EXTENDS_MAX long */
            break;
        }
        struct tree_frame *next = &st[depth++];
        *next = (struct tree_frame){.children = node ? json_object_get(node, "children") : NULL};
        r = engine_children(e, c, &next->kids, &next->n);
    }
    for (size_t l = 0; l < TREE_DEPTH_MAX; l++)
        free(st[l].kids);
    if (r < 0) {
        json_decref(top);
        return r;
    }
    if (ret_json)
        *ret_json = top;
    return 0;
}

/* Detached children of p (NULL: runtime/default) and of the descendants the tree listed (keys
 * in listed): they extend one of them but loosen what it sets. One detached below p names the
 * parent it is detached from. */
static void print_detached(struct engine *e, const struct policy *p, const struct hmap *listed)
{
    const struct policy **all = NULL;
    size_t n = 0;
    if (engine_list_policies(e, &all, &n) < 0)
        return;
    char id[300], key[400];
    for (size_t i = 0; i < n; i++) {
        struct policy_result pr;
        if (!all[i]->extends || engine_policy_result(e, all[i], &pr) < 0 || !pr.valid ||
            pr.nconflicts == 0 || (!pr.parent && strcmp(all[i]->extends, "runtime/default") != 0) ||
            !hmap_get(listed, tree_key(pr.parent, key, sizeof(key))))
            continue;
        printf("detached: %s", policy_id(all[i], id, sizeof(id)));
        if (pr.parent != p)
            printf(" from %s", policy_id(pr.parent, id, sizeof(id)));
        printf(" (loosens");
        for (size_t k = 0; k < pr.nconflicts; k++)
            printf("%s %s", k ? "," : "", pr.conflicts[k]);
        printf(")\n");
    }
    free(all);
}

static const char *const tree_help =
    "Usage: kscmp tree -f FILE... [NS/]NAME [-o text|json] [--arch ARCH]\n\n"
    "Prints the descendants of a policy: the policies that extend it, recursively. A child\n"
    "that loosens what its parent sets is detached and not listed (text output names it).\n";

int cli_tree(int argc, char **argv)
{
    struct common c = {.arch = -1, .output = "text"};
    int r = parse_options("tree", tree_help, OPT_ARCH | OPT_OUTPUT, argc, argv, &c);
    _cleanup_free_ char **files_owner = c.files;
    if (r >= 0)
        return r;
    if (c.nfiles == 0)
        return usage_error("tree", "%s", NO_FILE_GIVEN("policy"));
    if (optind + 1 != argc)
        return usage_error("tree", "%s", "give one policy: [NS/]NAME");
    if (strcmp(c.output, "json") != 0 && strcmp(c.output, "text") != 0)
        return usage_error("tree", "unknown output format \"%s\" (text, json)", c.output);
    _cleanup_(engine_freep) struct engine *e = NULL;
    if ((r = make_engine("tree", &c, false, false, NULL, &e, NULL)) != 0)
        return r;
    bool rtdefault = strcmp(argv[optind], "runtime/default") == 0;
    const struct policy *p = rtdefault ? NULL : find_policy(e, argv[optind]);
    if (!p && !rtdefault)
        return no_policy_error(e, argv[optind]);
    struct policy_result pr = {0};
    if (p && (engine_policy_result(e, p, &pr) < 0 || !pr.valid)) {
        print_invalid(e, p, "error: ", pr.error ? pr.error : "invalid", false);
        return EXIT_INVALID;
    }
    if (strcmp(c.output, "json") == 0) {
        json_t *t = NULL;
        if (walk_tree(e, p, &t, NULL) < 0)
            return EXIT_INVALID;
        char *s = json_dumps(t, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(t);
        if (!s)
            return EXIT_INVALID;
        puts(s);
        free(s);
        return 0;
    }
    struct hmap listed;
    hmap_init(&listed);
    r = walk_tree(e, p, NULL, &listed);
    if (r >= 0)
        print_detached(e, p, &listed);
    hmap_clear(&listed, NULL);
    return r < 0 ? EXIT_INVALID : 0;
}

static const char *const list_help =
    "Usage: kscmp list -f FILE... [PREFIX]\n\n"
    "Prints the policies whose NS/NAME (NAME for a ClusterSeccompPolicy) starts with PREFIX,\n"
    "one a line, sorted. A NS/NAME that a SeccompPolicy and a KubeArmorSeccompPolicy share is\n"
    "printed once for each, its kind after it: 'demo/web (SeccompPolicy)'.\n";

int cli_list(int argc, char **argv)
{
    struct common c = {.arch = -1};
    int r = parse_options("list", list_help, 0, argc, argv, &c);
    _cleanup_free_ char **files_owner = c.files;
    if (r >= 0)
        return r;
    if (c.nfiles == 0)
        return usage_error("list", "%s", NO_FILE_GIVEN("policy"));
    if (argc - optind > 1)
        return usage_error("list", "%s", "give at most one PREFIX");
    const char *prefix = optind < argc ? argv[optind] : "";
    _cleanup_(engine_freep) struct engine *e = NULL;
    if ((r = make_engine("list", &c, false, false, NULL, &e, NULL)) != 0)
        return r;
    const struct policy **all = NULL;
    size_t n = 0;
    if (engine_list_policies(e, &all, &n) < 0)
        return EXIT_INVALID;
    char id[300], next[300] = "";
    bool shared = false; /* all[i]'s NS/NAME is the one before it's */
    if (n > 0)
        policy_id(all[0], next, sizeof(next));
    for (size_t i = 0; i < n; i++) {
        memcpy(id, next, sizeof(id));
        /* Sorted by NS/NAME, then kind: the kinds of one NS/NAME are side by side. */
        bool shared_next = i + 1 < n && strcmp(policy_id(all[i + 1], next, sizeof(next)), id) == 0;
        if (strncmp(id, prefix, strlen(prefix)) == 0) {
            if (shared || shared_next)
                printf("%s (%s)\n", id, policy_kind_name(all[i]->kind));
            else
                puts(id);
        }
        shared = shared_next;
    }
    free(all);
    return 0;
}

struct collect {
    char **v;
    size_t n;
};

static int collect_name(const char *name, void *userdata)
{
    struct collect *c = userdata;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i], name) == 0)
            return 0;
    char **nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    c->v = nv;
    c->v[c->n++] = (char *)name;
    return 0;
}

int cli_groups(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("Usage: kscmp groups [NAME]\n\nLists the named syscall groups a policy can use in "
             "`groups:`, with their syscalls;\nwith NAME, prints that group's syscalls, one per "
             "line.");
        return 0;
    }
    /* No group name starts with '-' (they start with '@'): an option this command lacks. */
    if (argc > 1 && argv[1][0] == '-')
        return usage_error("groups", "unrecognized option '%s'", argv[1]);
    if (argc > 2)
        return usage_error("groups", "%s", "give at most one group name");
    size_t n;
    const struct syscall_group *all = groups_all(&n);
    for (size_t i = 0; i < n; i++) {
        if (argc == 2 && strcmp(argv[1], all[i].name) != 0)
            continue;
        struct collect c = {0};
        if (groups_expand(&all[i], collect_name, &c) < 0) {
            free(c.v);
            return EXIT_INVALID;
        }
        qsort(c.v, c.n, sizeof(*c.v), cmp_strp);
        if (argc == 2) {
            for (size_t k = 0; k < c.n; k++)
                puts(c.v[k]);
            free(c.v);
            return 0;
        }
        printf("%s  (%zu) %s\n", all[i].name, c.n, all[i].description);
        /* Wrapped near 90 columns; a space only between names, never at the end of a line. */
        size_t col = 0;
        for (size_t k = 0; k < c.n; k++) {
            col += (size_t)printf("%s%s", col == 0 ? "    " : " ", c.v[k]);
            if (col > 90 || k + 1 == c.n) {
                putchar('\n');
                col = 0;
            }
        }
        free(c.v);
    }
    if (argc == 2) {
        const char *at = groups_at_name(argv[1]); /* the @ forgotten: the name that exists */
        if (at) {
            fprintf(stderr, "kscmp: error: no group \"%s\"; did you mean \"%s\"?\n", argv[1], at);
            return EXIT_INVALID;
        }
        fprintf(stderr, "kscmp: error: no group \"%s\" (kscmp groups lists them)\n", argv[1]);
        return EXIT_INVALID;
    }
    return 0;
}

static const char *const validate_help =
    "Usage: kscmp validate -f FILE... [--arch ARCH] [--startup-syscalls auto|none]\n\nChecks "
    "every policy of every file (a folder: its *.yaml, *.yml and *.json files):\ndecoding, "
    "syscall names, actions, inheritance. Prints one line per policy, goes on\nafter a file or "
    "document it cannot read, and exits 1 if anything is invalid or\nunreadable, or if there is "
    "no policy at all. Conflicts (detached children) are\nwarnings, and so is a policy that "
    "blocks a syscall the container runtime needs to\nstart a container (unless "
    "--startup-syscalls none), and a policy whose profile\nalone the agent's proof would "
    "refuse.\n";

int cli_validate(int argc, char **argv)
{
    struct common c = {.arch = -1};
    int r = parse_options("validate", validate_help, OPT_ARCH | OPT_STARTUP, argc, argv, &c);
    _cleanup_free_ char **files_owner = c.files;
    if (r >= 0)
        return r;
    if (optind < argc)
        return usage_error("validate", "unexpected argument \"%s\" (give each file with -f FILE)",
                           argv[optind]);
    if (c.nfiles == 0)
        return usage_error("validate", "%s", NO_FILE_GIVEN("policy"));
    _cleanup_(engine_freep) struct engine *e = NULL;
    struct loader l = {0};
    if ((r = make_engine("validate", &c, true, true, NULL, &e, &l)) != 0)
        return r;
    const struct policy **all = NULL;
    size_t n = 0;
    if (engine_list_policies(e, &all, &n) < 0)
        return EXIT_INVALID;
    unsigned bad = 0;
    char id[300];
    for (size_t i = 0; i < n; i++) {
        struct policy_result pr;
        if (engine_policy_result(e, all[i], &pr) < 0) {
            free(all);
            return EXIT_INVALID;
        }
        policy_id(all[i], id, sizeof(id));
        char key[700];
        if (hmap_get(&l.twice, twice_key(all[i], key, sizeof(key)))) {
            /* As the agent holds it: which definition was meant is not known. */
            printf("invalid   %s %s (defined twice)\n", policy_kind_name(all[i]->kind), id);
            continue;
        }
        /* So are its descendants: their parent's rules are not known either. */
        const struct policy *anc = pr.parent;
        for (unsigned depth = 0; anc && depth <= 64; depth++) {
            if (hmap_get(&l.twice, twice_key(anc, key, sizeof(key))))
                break;
            struct policy_result ar;
            anc = engine_policy_result(e, anc, &ar) == 0 ? ar.parent : NULL;
        }
        if (anc) {
            char pid[600];
            printf("invalid   %s %s (built on %s, which is defined twice)\n",
                   policy_kind_name(all[i]->kind), id, policy_id(anc, pid, sizeof(pid)));
            continue;
        }
        if (!pr.valid) {
            bad++;
            if (!all[i]->error) /* decode errors were printed while loading */
                print_invalid(e, all[i], "error: ", pr.error, l.errors > 0);
            printf("invalid   %s %s\n", policy_kind_name(all[i]->kind), id);
            continue;
        }
        for (size_t k = 0; k < pr.nwarnings; k++)
            fprintf(stderr, "kscmp: warning: %s\n", pr.warnings[k]);
        _cleanup_(cprof_freep) struct cprof *prof = NULL;
        _cleanup_free_ char *blocked = NULL;
        if (engine_policy_startup(e, pr.prof, &prof, &blocked) < 0) {
            free(all);
            return EXIT_INVALID;
        }
        if (blocked && all[i]->file && *all[i]->file)
            fprintf(stderr, "kscmp: warning: %s:%d: %s %s: %s\n", all[i]->file, all[i]->line,
                    policy_kind_name(all[i]->kind), id, blocked);
        else if (blocked)
            fprintf(stderr, "kscmp: warning: %s %s: %s\n", policy_kind_name(all[i]->kind), id,
                    blocked);
        /* Rendered as the agent renders a file of it alone (its bounds: an extends chain can
         * add up past them); with conditions, proven too, as they are where libseccomp
         * refuses a profile that compiles (a value above 32 bits on x32, ...): the others are
         * cheap to write, and costly to prove by the thousand. */
        {
            _cleanup_free_ char *json = NULL;
            size_t len = 0;
            struct kerr err = {0};
            int q = profile_render_bounded(prof, engine_sysdb(e), &json, &len, &err);
            if (q == -ENOMEM) {
                free(all);
                return EXIT_INVALID;
            }
            bool proven = false;
            if (q == 0 && prof->nconds) {
                proven = true;
                q = proof_profile_node(json, len, c.arch >= 0 ? arch_get((size_t)c.arch)->token : 0,
                                       &err);
            }
            char at[300] = "";
            if (all[i]->file && *all[i]->file)
                snprintf(at, sizeof(at), "%s:%d: ", all[i]->file, all[i]->line);
            /* Merged with a policy that leaves that architecture out, it may be written: said
             * when the proof names one other than the node's own. */
            int node = c.arch >= 0 ? c.arch : arch_native();
            char own[64];
            snprintf(own, sizeof(own), "on %s ", node >= 0 ? arch_get((size_t)node)->oci : "?");
            bool other = proven && strstr(err.msg, "on SCMP_ARCH_") && !strstr(err.msg, own);
            if (q < 0 && q != -EXDEV)
                fprintf(stderr,
                        "kscmp: warning: %s%s %s: ProfileRefused: a file of this policy alone "
                        "would not be written: %s%s\n",
                        at, policy_kind_name(all[i]->kind), id, err.msg[0] ? err.msg : strerror(-q),
                        other ? " (merged with a policy that narrows the architectures, it may be)"
                              : "");
        }
        if (pr.nconflicts) {
            printf("conflict  %s %s: detached from %s, loosens", policy_kind_name(all[i]->kind), id,
                   all[i]->extends);
            for (size_t k = 0; k < pr.nconflicts; k++)
                printf("%s %s", k ? "," : "", pr.conflicts[k]);
            putchar('\n');
        } else
            printf("valid     %s %s\n", policy_kind_name(all[i]->kind), id);
    }
    free(all);
    hmap_clear(&l.twice, NULL);
    if (n == 0 && l.errors == 0 && l.dups == 0)
        fprintf(stderr, "kscmp: error: no policy in the given files: nothing to validate\n");
    if (l.errors)
        fprintf(stderr, "kscmp: error: %u file%s or document%s could not be read (above)\n",
                l.errors, l.errors == 1 ? "" : "s", l.errors == 1 ? "" : "s");
    if (l.dups)
        fprintf(stderr, "kscmp: error: %u object%s defined a second time (above)\n", l.dups,
                l.dups == 1 ? "" : "s");
    return bad || l.errors || l.dups || n == 0 ? EXIT_INVALID : 0;
}
