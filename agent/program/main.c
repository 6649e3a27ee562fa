/* main.c - the kscmp binary: dispatches to the agent or an offline command. */
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "node/prover.h"
#include "program/cli.h"
#include "program/oom_guard.h"

#ifndef KSCMP_VERSION
#define KSCMP_VERSION "0.1.0"
#endif

static const char *const help =
    "kscmp - seccomp policies as Kubernetes resources, compiled into profiles on every node\n\n"
    "Usage: kscmp COMMAND [OPTIONS]\n\n"
    "Commands:\n"
    "  agent      run the node agent (in a cluster, or --local DIR)\n"
    "  compile    print the profile for pods (--pod) or for one policy (--policy)\n"
    "  explain    the same, with where each syscall's action comes from; explain pod NAME\n"
    "             reads a live cluster: the pod's files, policies, profile and staleness\n"
    "  status     policies that are not Ready and pods with kscmp warnings (exit 1 if any)\n"
    "  tree       print the descendants of a policy\n"
    "  list       list policies by NS/NAME prefix\n"
    "  groups     list the named syscall groups\n"
    "  validate   check policy files\n"
    "  import     turn OCI/Docker, Security Profiles Operator or advisor profiles into "
    "policies\n"
    "  record     run a command and write the allow-list of the syscalls it made;\n"
    "             record show NAME prints what a SeccompRecording in the cluster amounts to\n"
    "  startup-syscalls  the syscalls the container runtime needs to start a container, which\n"
    "             kscmp adds to allow-lists\n"
    "  version    print the version\n\n"
    "Run 'kscmp COMMAND --help' or 'kscmp help COMMAND' for a command's options. Exit\n"
    "status: 0 done, 1 invalid input, 2 wrong usage. Installed as kubectl-kscmp, it also runs\n"
    "as 'kubectl kscmp'.\n";

/* The commands 'kscmp help COMMAND' knows (the proof worker is the agent's own). */
static const char *const commands[] = {
    "agent",    "compile", "explain", "status",           "tree",    "list", "groups",
    "validate", "import",  "record",  "startup-syscalls", "version", NULL};

static int dispatch(int argc, char **argv);
static int output_written(int rc);

/* kscmp help COMMAND: the command's --help; help record show, help explain pod: theirs. */
static int help_command(int argc, char **argv)
{
    bool known = false;
    for (const char *const *c = commands; *c && !known; c++)
        known = strcmp(argv[2], *c) == 0;
    if (!known) {
        fprintf(stderr,
                "kscmp help: no command \"%s\"\nRun 'kscmp help' for the list of commands.\n",
                argv[2]);
        return EXIT_USAGE;
    }
    bool sub = argc > 3 && ((strcmp(argv[2], "record") == 0 && strcmp(argv[3], "show") == 0) ||
                            (strcmp(argv[2], "explain") == 0 && strcmp(argv[3], "pod") == 0));
    int max = sub ? 4 : 3;
    if (argc > max) {
        fprintf(stderr, "kscmp help: too many arguments (\"%s\")\n", argv[max]);
        return EXIT_USAGE;
    }
    char help_opt[] = "--help";
    char *args[5] = {argv[0], argv[2], argc > 3 ? argv[3] : help_opt, help_opt, NULL};
    return dispatch(argc > 3 ? 4 : 3, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help, stderr);
        return EXIT_USAGE;
    }
    /* jansson and libseccomp cannot be trusted after an allocation failed: this process
     * stops then (a proof worker sets its own hooks, which refuse the proof instead). */
    oom_guard_install();
    int rc =
        strcmp(argv[1], "help") == 0 && argc > 2 ? help_command(argc, argv) : dispatch(argc, argv);
    return output_written(rc);
}

/* rc, unless what a command printed did not all reach stdout (a full disk, a closed pipe):
 * a profile or a list cut short is no success. */
static int output_written(int rc)
{
    errno = 0;
    bool flushed = fflush(stdout) == 0;
    if (flushed && !ferror(stdout))
        return rc;
    if (!flushed && errno)
        fprintf(stderr, "kscmp: writing to standard output: %s\n", strerror(errno));
    else
        fputs("kscmp: writing to standard output failed\n", stderr);
    return rc ? rc : 1;
}

/* Runs the command argv[1]. */
static int dispatch(int argc, char **argv)
{
    const char *cmd = argv[1];
    /* getopt's messages start with the command's argv[0]: "kscmp record: unrecognized
     * option", not "record: ...". */
    static char prog[64];
    snprintf(prog, sizeof(prog), "kscmp %.50s", cmd);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(help, stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            puts("Usage: kscmp version\n\nPrints kscmp's version.");
            return 0;
        }
        if (argc > 2) {
            fprintf(stderr, "kscmp version: takes no argument (\"%s\")\n", argv[2]);
            return EXIT_USAGE;
        }
        printf("kscmp %s\n", KSCMP_VERSION);
        return 0;
    }
    if (strcmp(cmd, "compile") == 0)
        return cli_compile(argc - 1, argv + 1, false);
    if (strcmp(cmd, "explain") == 0) {
        /* explain pod NAME reads the cluster; explain -f ... the files. */
        for (int i = 2; i < argc; i++) {
            const char *a = argv[i];
            if (strcmp(a, "pod") == 0 || strcmp(a, "pods") == 0 || strcmp(a, "po") == 0 ||
                strncmp(a, "pod/", 4) == 0)
                return cli_cluster_explain(argc - 1, argv + 1);
            static const char *const with_value[] = {"-n",       "--namespace",  "-o",
                                                     "--output", "--kubeconfig", "--context"};
            bool valued = false;
            for (size_t k = 0; k < sizeof(with_value) / sizeof(*with_value); k++)
                valued |= strcmp(a, with_value[k]) == 0;
            if (a[0] == '-' && !valued)
                break;
            if (valued)
                i++; /* its value */
        }
        return cli_compile(argc - 1, argv + 1, true);
    }
    if (strcmp(cmd, "status") == 0) {
        argv[1] = prog;
        return cli_cluster_status(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "tree") == 0)
        return cli_tree(argc - 1, argv + 1);
    if (strcmp(cmd, "list") == 0)
        return cli_list(argc - 1, argv + 1);
    if (strcmp(cmd, "groups") == 0)
        return cli_groups(argc - 1, argv + 1);
    if (strcmp(cmd, "validate") == 0)
        return cli_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "import") == 0) {
        argv[1] = prog;
        return cli_import(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "startup-syscalls") == 0)
        return cli_startup(argc - 1, argv + 1);
    if (strcmp(cmd, "record") == 0) {
        /* record show NAME reads a SeccompRecording; record [--] COMMAND runs one. */
        if (argc > 2 && strcmp(argv[2], "show") == 0)
            return cli_record_show(argc - 2, argv + 2);
        argv[1] = prog;
        return cli_record(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "agent") == 0) {
        argv[1] = prog;
        return agent_main(argc - 1, argv + 1);
    }
    if (strcmp(cmd, PROVER_WORKER_COMMAND) == 0) /* the agent's own, not for users */
        return prover_worker_main(argc - 1, argv + 1);
    fprintf(stderr, "kscmp: unknown command \"%s\"\n\n%s", cmd, help);
    return EXIT_USAGE;
}
