/* startup_cli.c - kscmp startup-syscalls: the container runtime's start-up sets (docs/policies.md).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "engine/startup.h"
#include "program/cli.h"

static const char *const startup_help =
    "Usage: kscmp startup-syscalls [--arch ARCH] [-o text|json]\n\n"
    "Lists the syscalls that the container runtime (runc, crun) makes in a container after\n"
    "loading its seccomp profile and before the container's program runs. kscmp allows those\n"
    "that no policy names in a profile whose default is not Allow (--startup-syscalls auto):\n"
    "the long set when some container using the profile may gain privileges (Kubernetes'\n"
    "default), the short set when every one sets allowPrivilegeEscalation: false. Each line\n"
    "says which runtime step needs the call.\n\n"
    "  --arch ARCH     the node's architecture (default: this machine's)\n"
    "  -o, --output    text (default) or json\n";

static void set_json(json_t *root, const char *key, enum startup_mode m, int arch, struct sysdb *db)
{
    size_t n;
    const struct startup_entry *v = startup_entries(&n);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *name = startup_name(&v[i], arch, db), *step = startup_step(&v[i], m);
        if (!name || !step)
            continue;
        json_t *o = json_pack("{s:s, s:s}", "name", name, "step", step);
        if (startup_stays(&v[i], m))
            json_object_set_new(o, "stays", json_string(startup_stays(&v[i], m)));
        json_array_append_new(a, o);
    }
    json_object_set_new(root, key, a);
}

static void set_text(enum startup_mode m, int arch, struct sysdb *db)
{
    size_t n, count = 0;
    const struct startup_entry *v = startup_entries(&n);
    for (size_t i = 0; i < n; i++)
        count += startup_name(&v[i], arch, db) && startup_step(&v[i], m);
    printf("\n%s set (%zu): %s\n", startup_mode_name(m), count,
           m == STARTUP_LONG ? "some container using the profile may gain privileges"
                             : "every container using it sets allowPrivilegeEscalation: false");
    for (size_t i = 0; i < n; i++) {
        const char *name = startup_name(&v[i], arch, db), *step = startup_step(&v[i], m);
        if (name && step)
            printf("  %-16s %s%s\n", name, step, startup_stays(&v[i], m) ? " (*)" : "");
    }
}

int cli_startup(int argc, char **argv)
{
    static const struct option opts[] = {
        {"arch", required_argument, NULL, 'a'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int arch = arch_native(), opt;
    const char *output = "text";
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'a':
            arch = arch_parse(optarg);
            if (arch < 0) {
                fprintf(stderr,
                        "kscmp startup-syscalls: unknown architecture \"%s\" (x86_64, aarch64, "
                        "arm, ...)\nRun 'kscmp startup-syscalls --help' for usage.\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            fputs(startup_help, stdout);
            return 0;
        default:
            fprintf(stderr,
                    "kscmp startup-syscalls: %s option %s\nRun 'kscmp startup-syscalls --help' "
                    "for usage.\n",
                    opt == ':' ? "missing the argument of" : "unknown", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "kscmp startup-syscalls: unexpected argument \"%s\"\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (strcmp(output, "text") != 0 && strcmp(output, "json") != 0) {
        fprintf(stderr, "kscmp startup-syscalls: unknown output format \"%s\" (text, json)\n",
                output);
        return EXIT_USAGE;
    }
    if (arch < 0) {
        fprintf(stderr, "kscmp: error: this machine's architecture is unknown: give --arch\n");
        return EXIT_INVALID;
    }
    struct sysdb *db = NULL;
    if (sysdb_new(&db) < 0)
        return EXIT_INVALID;
    const char *aname = arch_get((size_t)arch)->name;
    if (strcmp(output, "json") == 0) {
        json_t *root =
            json_pack("{s:s, s:s}", "arch", aname, "derivation", startup_derivation(arch));
        set_json(root, "long", STARTUP_LONG, arch, db);
        set_json(root, "short", STARTUP_SHORT, arch, db);
        char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(root);
        sysdb_free(db);
        if (!s)
            return EXIT_INVALID;
        puts(s);
        free(s);
        return 0;
    }
    printf("%s: %s\n", aname, startup_derivation(arch));
    set_text(STARTUP_LONG, arch, db);
    set_text(STARTUP_SHORT, arch, db);
    printf("\n(*) no test shows a start failing without it alone; it stays because:\n");
    size_t n;
    const struct startup_entry *v = startup_entries(&n);
    for (size_t i = 0; i < n; i++)
        if (v[i].stays && startup_name(&v[i], arch, db))
            printf("  %-16s %s\n", startup_name(&v[i], arch, db), v[i].stays);
    for (size_t i = 0; i < n; i++)
        if (!v[i].stays && startup_stays(&v[i], STARTUP_SHORT) && startup_name(&v[i], arch, db))
            printf("  %-16s (short set) %s\n", startup_name(&v[i], arch, db),
                   startup_stays(&v[i], STARTUP_SHORT));
    sysdb_free(db);
    return 0;
}
