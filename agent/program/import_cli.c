/* import_cli.c - `kscmp import`: existing seccomp profiles to SeccompPolicy YAML. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "base/cleanup.h"
#include "base/strv.h"
#include "base/file.h"
#include "engine/engine.h"
#include "engine/import.h"
#include "engine/profile.h"
#include "engine/manifest.h"
#include "engine/model.h"
#include "program/cli.h"
#include "program/out_file.h"

static const char *const import_help =
    "Usage: kscmp import -f FILE... [--name NAME] [-n NAMESPACE] [-o FILE]\n"
    "                    [--arch ARCH] [--kernel X.Y] [--cap-add CAP] [--cap-drop CAP]\n"
    "                    [--inline-bases]\n\n"
    "Turns existing seccomp profiles into SeccompPolicy objects (YAML, one document per\n"
    "policy) that compile to the same profile:\n"
    "  - OCI/Docker seccomp JSON, Docker's default profile included: archMap, includes and\n"
    "    excludes are resolved for one container (--arch, --kernel, --cap-add, --cap-drop);\n"
    "  - Security Profiles Operator SeccompProfile objects (v1, v1beta1, v1alpha1; Lists too),\n"
    "    one policy per object, names and namespaces kept; baseProfileName becomes extends\n"
    "    (with --name or --inline-bases: the base's rules inlined); the base's own file must\n"
    "    be given too;\n"
    "  - Inspektor Gadget seccomp advisor output (\"// CONTAINER\" then a JSON profile, for\n"
    "    each container): one policy per container, named after it.\n"
    "A field kscmp cannot say is an error, never dropped.\n\n"
    "  -f, --filename FILE   a profile file (\"-\": standard input; a folder: its *.json,\n"
    "                        *.yaml and *.yml files)\n"
    "      --name NAME       the policy's name for an OCI or advisor profile (default: the\n"
    "                        file's or container's name; NAME-CONTAINER for several\n"
    "                        containers); with SeccompProfile objects, import only NAME\n"
    "  -n, --namespace NS    the namespace of every policy (default: the object's own; none\n"
    "                        for OCI and advisor profiles)\n"
    "  -o, --output FILE     write the YAML to FILE, replaced atomically (default or \"-\":\n"
    "                        standard output; a device or FIFO is written in place)\n"
    "      --arch ARCH       the node architecture to resolve for (default: this machine's)\n"
    "      --kernel X.Y      the node kernel, for Docker's minKernel (default: this machine's)\n"
    "      --cap-add CAP     add a capability to the container's set (CAP_SYS_ADMIN, ALL)\n"
    "      --cap-drop CAP    remove one (the set starts as Docker's and containerd's default)\n"
    "      --inline-bases    inline SPO base profiles even when they are imported too\n";

static int import_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "kscmp import: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'kscmp import --help' for usage.\n");
    return EXIT_USAGE;
}

static int import_file(struct import_set *s, const char *path)
{
    struct kerr err = {0};
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = read_file_all(path, MAX_MANIFEST, &buf, &len, &err);
    if (r == 0)
        r = import_add(s, buf, len, strcmp(path, "-") == 0 ? "<stdin>" : path, &err);
    if (r < 0)
        fprintf(stderr, "kscmp: error: %s\n", err.msg[0] ? err.msg : strerror(-r));
    return r;
}

/* A file, or every profile file of a folder (sorted, not recursive). */
static int import_path(struct import_set *s, const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return import_file(s, path);
    char **names = NULL;
    size_t n = 0;
    int r = dir_list(path, manifest_file_name, true, &names, &n, NULL);
    if (r < 0) {
        fprintf(stderr, "kscmp: error: %s: %s\n", path, strerror(-r));
        return r;
    }
    size_t files = 0;
    for (size_t i = 0; r == 0 && i < n; i++) {
        if (cli_entry_is_folder(names[i])) /* as compile and validate say it */
            continue;
        files++;
        r = import_file(s, names[i]);
    }
    strv_free(names, n);
    if (r == 0 && files == 0) /* as compile and validate say it */
        fprintf(stderr, "kscmp: warning: %s: no *.yaml, *.yml or *.json file in it\n", path);
    return r;
}

/* "6.1.0-18-amd64" -> 6, 1. */
static int parse_kernel(const char *s, unsigned *maj, unsigned *min)
{
    unsigned a, b;
    int used = 0;
    if (sscanf(s, "%5u.%5u%n", &a, &b, &used) != 2 || used == 0)
        return -EINVAL;
    *maj = a;
    *min = b;
    return 0;
}

static int add_caps(const char *list, bool add, capmask_t *caps)
{
    _cleanup_free_ char *copy = strdup(list);
    if (!copy)
        return -ENOMEM;
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        capmask_t m;
        if (import_cap_parse(t, &m) < 0)
            return import_usage("unknown capability \"%s\"", t);
        *caps = add ? (*caps | m) : (*caps & ~m);
    }
    return 0;
}

static int put_imported(struct object *o, void *userdata)
{
    struct engine *e = userdata;
    int r = o->type == OBJ_POLICY ? engine_put_policy(e, TAKE_PTR(o->policy)) : 0;
    object_clear(o);
    return r;
}

/* The output as the agent and validate will read it: a profile kscmp cannot hold (more rules
 * or conditions than a policy may have, ...) is refused here, with the reason, rather than
 * written to fail when applied. The output holds every policy it extends. 0, or EXIT_INVALID
 * after saying why. */
static int check_output(const char *yaml, int arch)
{
    _cleanup_(engine_freep) struct engine *e = NULL;
    struct kerr err = {0};
    if (engine_new(arch, &e) < 0)
        return EXIT_INVALID;
    engine_past_known(e);
    int r = manifest_load_buffer(yaml, strlen(yaml), "the imported policy", put_imported, e, &err);
    if (r < 0) {
        fprintf(stderr, "kscmp: error: %s\n", err.msg[0] ? err.msg : strerror(-r));
        return EXIT_INVALID;
    }
    _cleanup_free_ const struct policy **all = NULL;
    size_t n = 0;
    if (engine_list_policies(e, &all, &n) < 0)
        return EXIT_INVALID;
    for (size_t i = 0; i < n; i++) {
        struct policy_result pr;
        if (engine_policy_result(e, all[i], &pr) < 0)
            return EXIT_INVALID;
        if (!pr.valid) {
            fprintf(stderr,
                    "kscmp: error: the profile cannot be imported as it is, the policy would be "
                    "invalid: %s\n",
                    pr.error ? pr.error : "?");
            return EXIT_INVALID;
        }
        /* And within a profile's bounds, as the agent renders it (a chain of bases adds up). */
        _cleanup_free_ char *json = NULL;
        size_t len = 0;
        r = profile_render_bounded(pr.prof, engine_sysdb(e), &json, &len, &err);
        if (r < 0) {
            fprintf(stderr,
                    "kscmp: error: the profile cannot be imported as it is, the agent would not "
                    "write it: %s\n",
                    err.msg[0] ? err.msg : strerror(-r));
            return EXIT_INVALID;
        }
    }
    return 0;
}

int cli_import(int argc, char **argv)
{
    static const struct option opts[] = {
        {"filename", required_argument, NULL, 'f'},
        {"name", required_argument, NULL, 'N'},
        {"namespace", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},
        {"arch", required_argument, NULL, 'a'},
        {"kernel", required_argument, NULL, 'k'},
        {"cap-add", required_argument, NULL, 'A'},
        {"cap-drop", required_argument, NULL, 'D'},
        {"inline-bases", no_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    _cleanup_free_ const char **files = NULL;
    size_t nfiles = 0;
    const char *output = NULL, *kernel = NULL;
    struct import_opts o = {.arch = arch_native(), .caps = import_default_caps()};
    int opt, r;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "f:n:o:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'f': {
            const char **v = realloc(files, (nfiles + 1) * sizeof(*v));
            if (!v)
                return EXIT_INVALID;
            files = v;
            files[nfiles++] = optarg;
            break;
        }
        case 'N':
            if (!dns_subdomain_valid(optarg))
                return import_usage("--name \"%s\" is not a DNS-1123 subdomain", optarg);
            o.name = optarg;
            break;
        case 'n':
            if (!dns_label_valid(optarg))
                return import_usage("-n \"%s\" is not a DNS-1123 label", optarg);
            o.ns = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'a':
            if ((o.arch = arch_parse(optarg)) < 0)
                return import_usage("unknown architecture \"%s\" (x86_64, aarch64, arm, ...)",
                                    optarg);
            break;
        case 'k':
            if (parse_kernel(optarg, &o.kernel_major, &o.kernel_minor) < 0)
                return import_usage("--kernel \"%s\": want MAJOR.MINOR, such as 6.1", optarg);
            kernel = optarg;
            break;
        case 'A':
        case 'D':
            if ((r = add_caps(optarg, opt == 'A', &o.caps)) != 0)
                return r < 0 ? EXIT_INVALID : r;
            break;
        case 'I':
            o.inline_bases = true;
            break;
        case 'h':
            fputs(import_help, stdout);
            return 0;
        default: /* getopt said which option and why */
            fprintf(stderr, "Run 'kscmp import --help' for usage.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return import_usage("unexpected argument \"%s\"", argv[optind]);
    if (nfiles == 0)
        return import_usage("%s", NO_FILE_GIVEN("profile"));
    if (o.arch < 0) {
        fprintf(stderr, "kscmp import: this machine's architecture is not one kscmp knows: "
                        "give --arch\n");
        return EXIT_USAGE;
    }
    if (!kernel) {
        struct utsname u;
        if (uname(&u) < 0 || parse_kernel(u.release, &o.kernel_major, &o.kernel_minor) < 0) {
            fprintf(stderr, "kscmp import: cannot read this machine's kernel version: give "
                            "--kernel\n");
            return EXIT_USAGE;
        }
    }
    const struct scmp_version *v = seccomp_version();
    char version[32] = "";
    if (v)
        snprintf(version, sizeof(version), "%u.%u.%u", v->major, v->minor, v->micro);
    o.libseccomp_version = version;
    struct sysdb *db = NULL;
    if (sysdb_new(&db) < 0)
        return EXIT_INVALID;
    o.db = db;
    struct import_set *s = NULL;
    if (import_set_new(&o, &s) < 0) {
        sysdb_free(db);
        return EXIT_INVALID;
    }
    int ret = 0;
    for (size_t i = 0; i < nfiles && ret == 0; i++)
        if (import_path(s, files[i]) < 0)
            ret = EXIT_INVALID;
    _cleanup_free_ char *yaml = NULL;
    char **warnings = NULL;
    size_t nwarnings = 0;
    if (ret == 0) {
        struct kerr err = {0};
        r = import_render(s, &yaml, &warnings, &nwarnings, &err);
        if (r < 0) {
            fprintf(stderr, "kscmp: error: %s\n", err.msg[0] ? err.msg : strerror(-r));
            ret = EXIT_INVALID;
        }
    }
    for (size_t i = 0; i < nwarnings; i++) {
        fprintf(stderr, "kscmp: warning: %s\n", warnings[i]);
        free(warnings[i]);
    }
    free(warnings);
    import_set_free(s);
    sysdb_free(db);
    if (ret == 0)
        ret = check_output(yaml, o.arch);
    if (ret != 0)
        return ret;
    if (output && strcmp(output, "-") != 0) {
        struct out_file out;
        if ((r = out_file_open(&out, output)) < 0 ||
            (r = out_file_commit(&out, yaml, strlen(yaml))) < 0) {
            fprintf(stderr, "kscmp: error: %s: cannot write: %s\n", output, strerror(-r));
            return EXIT_INVALID;
        }
        return 0;
    }
    fputs(yaml, stdout);
    return 0; /* main() checks that it reached stdout */
}
