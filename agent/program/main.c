/* main.c - the kscmp binary: dispatches to the agent or an offline command. */
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/spell.h"
#include "node/prover.h"
#include "program/cli.h"
#include "program/oom_guard.h"

#ifndef KSCMP_VERSION
#define KSCMP_VERSION "0.1.0"
#endif

static const char help_head[] =
    "kscmp - seccomp policies as Kubernetes resources, compiled into profiles on every node\n\n"
    "Usage: kscmp COMMAND [OPTIONS]\n\n"
    "Commands:\n";
static const char help_tail[] =
    "\n"
    "Run 'kscmp COMMAND --help' or 'kscmp help COMMAND' for a command's options. Exit\n"
    "status: 0 done, 1 invalid input, 2 wrong usage. Installed as kubectl-kscmp, it also runs\n"
    "as 'kubectl kscmp'.\n";

static int run_version(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("Usage: kscmp version\n\nPrints kscmp's version.");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "kscmp version: takes no argument (\"%s\")\n", argv[1]);
        return EXIT_USAGE;
    }
    printf("kscmp %s\n", KSCMP_VERSION);
    return 0;
}

static int run_compile(int argc, char **argv)
{
    return cli_compile(argc, argv, false);
}

/* explain pod NAME reads the cluster; explain -f ... the files. A word before any other
 * option that is neither (explain web-1 -n demo) is told the form, not a getopt complaint
 * about the options that follow it. */
static int run_explain(int argc, char **argv)
{
    const char *word = NULL; /* the first argument that is not an option or its value */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "pod") == 0 || strcmp(a, "pods") == 0 || strcmp(a, "po") == 0 ||
            strncmp(a, "pod/", 4) == 0)
            return cli_cluster_explain(argc, argv);
        static const char *const with_value[] = {
            "-n",        "--namespace",       "-o", "--output", "--kubeconfig",
            "--context", "--startup-syscalls"};
        bool valued = false, joined = false;
        for (size_t k = 0; k < sizeof(with_value) / sizeof(*with_value); k++) {
            size_t n = strlen(with_value[k]);
            valued |= strcmp(a, with_value[k]) == 0;
            joined |= strncmp(a, with_value[k], n) == 0 && a[n] == '=' && a[1] == '-';
        }
        if (a[0] == '-' && !valued && !joined)
            break;
        if (valued)
            i++; /* its value */
        else if (a[0] != '-' && !word)
            word = a;
    }
    if (word) {
        fprintf(stderr,
                "kscmp explain: \"%s\" is not something explain takes: for a pod of the "
                "cluster write 'explain pod %s'; for files, 'explain -f FILE --pod FILE'\n"
                "Run 'kscmp explain --help' for usage.\n",
                word, word);
        return EXIT_USAGE;
    }
    return cli_compile(argc, argv, true);
}

/* record show NAME reads a SeccompRecording; record [--] COMMAND runs one. */
static int run_record(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "show") == 0)
        return cli_record_show(argc - 1, argv + 1);
    return cli_record(argc, argv);
}

/* kscmp help, --help, -h (below: it prints the table). */
static int run_overview(int argc, char **argv);

/* A command: run gets the arguments from the command's name on (argv[0]). */
struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    /* argv[0] is "kscmp NAME": getopt's messages start with it ("kscmp record: unrecognized
     * option", not "record: ..."). */
    bool prog_name;
    /* Its lines in 'kscmp help' (a second one indented to the first one's text); NULL: not
     * listed, and not known to 'kscmp help COMMAND' either. */
    const char *summary;
};

/* Every command: what dispatch() runs, and what 'kscmp help' lists (in this order) and
 * 'kscmp help COMMAND' knows. */
static const struct command commands[] = {
    {"agent", agent_main, true, "run the node agent (in a cluster, or --local DIR)"},
    {"compile", run_compile, false,
     "print the profile for pods (--pod) or for one policy (--policy)"},
    {"explain", run_explain, false,
     "the same, with where each syscall's action comes from; explain pod NAME\n"
     "             reads a live cluster: the pod's files, policies, profile and staleness"},
    {"status", cli_cluster_status, true,
     "policies that are not Ready and pods with kscmp warnings (exit 1 if any)"},
    {"tree", cli_tree, false, "print the descendants of a policy"},
    {"list", cli_list, false, "list policies by NS/NAME prefix"},
    {"groups", cli_groups, false, "list the named syscall groups"},
    {"validate", cli_validate, false, "check policy files"},
    {"import", cli_import, true,
     "turn OCI/Docker, Security Profiles Operator or advisor profiles into policies"},
    {"record", run_record, true,
     "run a command and write the allow-list of the syscalls it made;\n"
     "             record show NAME prints what a SeccompRecording in the cluster amounts to"},
    {"startup-syscalls", cli_startup, false,
     "the syscalls the container runtime needs to start a container, which\n"
     "             kscmp adds to allow-lists"},
    {"version", run_version, false, "print the version"},
    /* Not listed: */
    {"--version", run_version, false, NULL},
    {"help", run_overview, false, NULL},
    {"--help", run_overview, false, NULL},
    {"-h", run_overview, false, NULL},
    {PROVER_WORKER_COMMAND, prover_worker_main, false, NULL}, /* the agent's own */
};

static const struct command *command_find(const char *name)
{
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/* What 'kscmp help' prints: the listed commands with their lines. */
static void print_overview(FILE *f)
{
    fputs(help_head, f);
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        if (commands[i].summary)
            fprintf(f, "  %-9s  %s\n", commands[i].name, commands[i].summary);
    fputs(help_tail, f);
}

static int dispatch(int argc, char **argv);
static int output_written(int rc);
static void stdout_keep_errors(void);

/* kscmp help COMMAND: the command's --help; help record show, help explain pod: theirs. */
static int help_command(int argc, char **argv)
{
    const struct command *c = command_find(argv[2]);
    if (!c || !c->summary) {
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
        print_overview(stderr);
        return EXIT_USAGE;
    }
    /* jansson and libseccomp cannot be trusted after an allocation failed: this process
     * stops then (a proof worker sets its own hooks, which refuse the proof instead). */
    oom_guard_install();
    stdout_keep_errors();
    int rc =
        strcmp(argv[1], "help") == 0 && argc > 2 ? help_command(argc, argv) : dispatch(argc, argv);
    return output_written(rc);
}

/* The first error a write to standard output met, 0 for none: stdio keeps only that there was
 * one, and a flush in the middle of a long output (explain's) leaves no errno to tell why. */
static int stdout_errno;

/* Standard output's writes, through stdio's buffer: all of buf to fd 1, else what was written
 * (stdio then marks the stream in error) and the reason kept. */
static ssize_t stdout_write(void *cookie, const char *buf, size_t size)
{
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(STDOUT_FILENO, buf + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!stdout_errno)
                stdout_errno = n < 0 ? errno : EIO;
            return (ssize_t)done;
        }
        done += (size_t)n;
    }
    return (ssize_t)size;
}

/* Makes stdout a stream that keeps why a write failed (stdout_write), buffered as before: by
 * line on a terminal, else in blocks. Where that stream cannot be made, stdout stays as it
 * is, its failures still found, some without their reason. */
static void stdout_keep_errors(void)
{
    FILE *f = fopencookie(NULL, "w", (cookie_io_functions_t){.write = stdout_write});
    if (!f)
        return;
    if (isatty(STDOUT_FILENO))
        setvbuf(f, NULL, _IOLBF, 0);
    stdout = f;
}

/* rc, unless what a command printed did not all reach stdout (a full disk, a closed pipe):
 * a profile or a list cut short is no success, and the reason is told. */
static int output_written(int rc)
{
    errno = 0;
    bool flushed = fflush(stdout) == 0;
    if (flushed && !ferror(stdout))
        return rc;
    int e = stdout_errno ? stdout_errno : !flushed ? errno : 0;
    if (e)
        fprintf(stderr, "kscmp: error: writing to standard output: %s\n", strerror(e));
    else
        fputs("kscmp: error: writing to standard output failed\n", stderr);
    return rc ? rc : 1;
}

/* Runs the command argv[1]. */
static int dispatch(int argc, char **argv)
{
    const struct command *c = command_find(argv[1]);
    if (!c) {
        /* A command near a listed one is most likely it, misspelt: name it, rather than the
         * whole list. */
        struct spell near;
        spell_init(&near, argv[1]);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
            if (commands[i].summary)
                spell_offer(&near, commands[i].name);
        if (near.best) {
            fprintf(stderr,
                    "kscmp: unknown command \"%s\"; did you mean \"%s\"?\nRun 'kscmp help' for "
                    "the list of commands.\n",
                    argv[1], near.best);
            return EXIT_USAGE;
        }
        fprintf(stderr, "kscmp: unknown command \"%s\"\n\n", argv[1]);
        print_overview(stderr);
        return EXIT_USAGE;
    }
    if (c->prog_name) {
        static char prog[64];
        snprintf(prog, sizeof(prog), "kscmp %.50s", c->name);
        argv[1] = prog;
    }
    return c->run(argc - 1, argv + 1);
}

/* kscmp help, --help, -h. */
static int run_overview(int argc, char **argv)
{
    print_overview(stdout);
    return 0;
}
