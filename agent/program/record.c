/* record.c - `kscmp record`: run a command, write the SeccompPolicy allow-list of its syscalls. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/cleanup.h"
#include "engine/model.h"
#include "engine/recording.h"
#include "node/notify_record.h"
#include "program/cli.h"

/* kscmp's own failure, as env(1) and timeout(1) say it; 126/127: COMMAND cannot run. */
#define EXIT_RECORD_FAILED 125

static const char *const record_help =
    "Usage: kscmp record [-o FILE] [--name NAME] [-n NAMESPACE] [--counts] -- COMMAND [ARG...]\n\n"
    "Runs COMMAND and records every syscall it, its threads and its children make (through\n"
    "execve too), per architecture, then writes a SeccompPolicy that allows exactly those.\n"
    "No root needed. COMMAND keeps kscmp's standard input, output, error and process group;\n"
    "signals sent to kscmp by another process are passed on. kscmp waits until COMMAND and\n"
    "every process it started have exited.\n\n"
    "  -o, --output FILE      where the policy goes (default: standard output, after COMMAND\n"
    "                         has finished); written atomically\n"
    "      --name NAME        the policy's name (default: from COMMAND's file name)\n"
    "  -n, --namespace NS     the policy's namespace (default: default)\n"
    "      --counts           print how many times each syscall was made, on standard error\n\n"
    "Exit status: COMMAND's (128+N when a signal N killed it); 125 when kscmp itself fails,\n"
    "126 when COMMAND cannot be executed, 127 when it is not found, 2 on wrong usage.\n"
    "The container runtime's start-up syscalls are not added to the policy: kscmp adds them\n"
    "when it compiles the profile (--startup-syscalls).\n";

/* A policy name from COMMAND's file name: lower case, other characters as '-', at most 63. */
static void default_name(const char *cmd, char *out, size_t len)
{
    _cleanup_free_ char *copy = strdup(cmd);
    const char *base = copy ? basename(copy) : "recorded";
    size_t n = 0;
    for (const char *p = base; *p && n + 1 < len && n < 63; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            c = '-';
        if (c == '-' && (n == 0 || out[n - 1] == '-'))
            continue;
        out[n++] = c;
    }
    while (n > 0 && out[n - 1] == '-')
        n--;
    out[n] = '\0';
    if (n == 0)
        snprintf(out, len, "recorded");
}

/* argv as one line a shell would read back (single quotes where needed). */
static char *command_line(char *const argv[])
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; argv[i]; i++) {
        const char *a = argv[i];
        bool plain = *a != '\0';
        for (const char *p = a; *p; p++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%",
                        *p))
                plain = false;
        if (i)
            fputc(' ', f);
        if (plain) {
            fputs(a, f);
            continue;
        }
        fputc('\'', f);
        for (const char *p = a; *p; p++)
            if (*p == '\'')
                fputs("'\\''", f);
            else
                fputc(*p, f);
        fputc('\'', f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The output file: a temporary beside it, created before COMMAND runs (so a path that cannot
 * be written fails first), renamed over it at the end. */
struct output {
    const char *path; /* NULL: standard output */
    char *tmp;
    int fd;
};

static int output_open(struct output *o, const char *path)
{
    o->fd = -1;
    o->path = path && strcmp(path, "-") != 0 ? path : NULL;
    if (!o->path)
        return 0;
    if (asprintf(&o->tmp, "%s.kscmp-XXXXXX", o->path) < 0) {
        o->tmp = NULL;
        return -ENOMEM;
    }
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    if (o->fd < 0) {
        int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        return -e;
    }
    mode_t um = umask(0);
    umask(um);
    fchmod(o->fd, 0666 & ~um);
    return 0;
}

static void output_discard(struct output *o)
{
    if (o->fd >= 0)
        close(o->fd);
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    o->fd = -1;
    o->tmp = NULL;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int output_commit(struct output *o, const char *data, size_t len)
{
    if (!o->path) {
        int r = write_all(STDOUT_FILENO, data, len);
        return r;
    }
    int r = write_all(o->fd, data, len);
    if (r == 0 && fsync(o->fd) < 0)
        r = -errno;
    if (r == 0 && close(o->fd) < 0)
        r = -errno;
    o->fd = -1;
    if (r == 0 && rename(o->tmp, o->path) < 0)
        r = -errno;
    if (r < 0)
        output_discard(o);
    free(o->tmp);
    o->tmp = NULL;
    return r;
}

struct collect {
    struct recorded *rec;
    bool print_counts;
    unsigned unknown_arch;
    int err;
};

static int collect_one(int arch, uint32_t audit_arch, uint32_t nr, uint64_t count, void *userdata)
{
    struct collect *c = userdata;
    const char *archname = arch >= 0 ? arch_get((size_t)arch)->name : NULL;
    _cleanup_free_ char *name = NULL;
    if (arch >= 0) {
        uint32_t n = arch_get((size_t)arch)->token == SCMP_ARCH_X32 ? nr & ~RECORDED_X32_BIT : nr;
        if (n <= INT32_MAX)
            name = seccomp_syscall_resolve_num_arch(arch_get((size_t)arch)->token, (int)n);
        int r = recorded_add_number(c->rec, arch, nr);
        if (r == -E2BIG) {
            fprintf(stderr,
                    "kscmp record: %s: too many distinct syscalls; syscall %u is left out of "
                    "the policy\n",
                    archname, nr);
        } else if (r < 0) {
            c->err = r;
            return r;
        }
    } else {
        c->unknown_arch++;
        fprintf(stderr,
                "kscmp record: syscall %u on architecture 0x%x, which kscmp does not know: "
                "left out of the policy\n",
                nr, audit_arch);
    }
    if (c->print_counts) {
        char num[32];
        snprintf(num, sizeof(num), "#%u", nr);
        fprintf(stderr, "%-10s %-24s %12llu\n", archname ? archname : "?", name ? name : num,
                (unsigned long long)count);
    }
    return 0;
}

/* Says on stderr which numbers libseccomp has no name for: they cannot be in the policy. */
static void report_unknown(const struct recorded *rec)
{
    const struct scmp_version *v = seccomp_version();
    for (size_t a = 0; a < arch_count(); a++) {
        size_t n;
        const uint32_t *nums = recorded_unknown(rec, (int)a, &n);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr,
                    "kscmp record: %s: syscall number %u has no name in libseccomp %u.%u.%u: it "
                    "is not in the policy, so the profile refuses it\n",
                    arch_get(a)->name, nums[i], v->major, v->minor, v->micro);
    }
}

static int exit_status_of(const struct notify_result *res)
{
    if (WIFEXITED(res->wait_status))
        return WEXITSTATUS(res->wait_status);
    if (WIFSIGNALED(res->wait_status))
        return 128 + WTERMSIG(res->wait_status);
    return EXIT_RECORD_FAILED;
}

int cli_record(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"name", required_argument, NULL, 'N'},
        {"namespace", required_argument, NULL, 'n'},
        {"counts", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_path = NULL, *name = NULL, *ns = "default";
    bool counts = false;
    int opt;
    optind = 1;
    /* '+': the first operand is COMMAND; what follows is its own. */
    while ((opt = getopt_long(argc, argv, "+o:n:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'o':
            out_path = optarg;
            break;
        case 'N':
            name = optarg;
            break;
        case 'n':
            ns = optarg;
            break;
        case 'c':
            counts = true;
            break;
        case 'h':
            fputs(record_help, stdout);
            return 0;
        default:
            fprintf(stderr, "Run 'kscmp record --help' for usage.\n");
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "kscmp record: no COMMAND given\nRun 'kscmp record --help' for usage.\n");
        return EXIT_USAGE;
    }
    char **cmd = argv + optind;
    char defname[64];
    if (!name) {
        default_name(cmd[0], defname, sizeof(defname));
        name = defname;
    }
    if (!dns_subdomain_valid(name)) {
        fprintf(stderr,
                "kscmp record: --name \"%s\": not a valid policy name (a DNS-1123 subdomain: "
                "lower-case letters, digits, '-' and '.', at most 253)\n",
                name);
        return EXIT_USAGE;
    }
    if (!dns_label_valid(ns)) {
        fprintf(stderr,
                "kscmp record: --namespace \"%s\": not a valid namespace (a DNS-1123 label: "
                "lower-case letters, digits and '-', at most 63)\n",
                ns);
        return EXIT_USAGE;
    }
    struct output out;
    int r = output_open(&out, out_path);
    if (r < 0) {
        fprintf(stderr, "kscmp record: %s: cannot write: %s\n", out_path, strerror(-r));
        return EXIT_RECORD_FAILED;
    }
    fflush(NULL); /* nothing of ours may come out twice or out of order */

    struct kerr err = {0};
    _cleanup_(notify_counts_freep) struct notify_counts *seen = NULL;
    struct notify_result res = {0};
    r = notify_record_run(cmd, &seen, &res, &err);
    if (r < 0) {
        fprintf(stderr, "kscmp record: %s\n", err.msg);
        output_discard(&out);
        return EXIT_RECORD_FAILED;
    }
    if (res.exec_errno) {
        fprintf(stderr, "kscmp record: %s: %s\n", cmd[0], strerror(res.exec_errno));
        output_discard(&out);
        return res.exec_errno == ENOENT ? 127 : 126;
    }
    int status = exit_status_of(&res);

    _cleanup_(recorded_freep) struct recorded *rec = NULL;
    if ((r = recorded_new(&rec)) < 0) {
        fprintf(stderr, "kscmp record: out of memory\n");
        output_discard(&out);
        return EXIT_RECORD_FAILED;
    }
    struct collect c = {.rec = rec, .print_counts = counts};
    if (counts)
        fprintf(stderr, "%-10s %-24s %12s\n", "ARCH", "SYSCALL", "CALLS");
    if (notify_counts_foreach(seen, collect_one, &c) < 0 || c.err < 0) {
        fprintf(stderr, "kscmp record: out of memory\n");
        output_discard(&out);
        return EXIT_RECORD_FAILED;
    }
    if (counts)
        fprintf(stderr, "%-10s %-24s %12llu\n", "total", "",
                (unsigned long long)notify_counts_total(seen));
    if (notify_counts_unlisted(seen))
        fprintf(stderr,
                "kscmp record: %llu calls used more than %d distinct unusual syscall numbers; "
                "the ones beyond are left out of the policy\n",
                (unsigned long long)notify_counts_unlisted(seen), NOTIFY_MAX_OTHERS);
    report_unknown(rec);

    _cleanup_free_ char *line = command_line(cmd);
    _cleanup_free_ char *comment = NULL;
    char how[64];
    if (WIFSIGNALED(res.wait_status))
        snprintf(how, sizeof(how), "was killed by signal %d", WTERMSIG(res.wait_status));
    else
        snprintf(how, sizeof(how), "exited with status %d", status);
    if (asprintf(&comment, "Recorded by kscmp record from: %s\n(the command %s)",
                 line ? line : cmd[0], how) < 0)
        comment = NULL;
    _cleanup_free_ char *yaml = NULL;
    size_t len;
    r = recorded_render_policy(rec, ns, name, comment, &yaml, &len);
    if (r < 0) {
        fprintf(stderr, "kscmp record: cannot render the policy: %s\n", strerror(-r));
        output_discard(&out);
        return EXIT_RECORD_FAILED;
    }
    r = output_commit(&out, yaml, len);
    if (r < 0) {
        fprintf(stderr, "kscmp record: %s: cannot write: %s\n", out_path ? out_path : "stdout",
                strerror(-r));
        return EXIT_RECORD_FAILED;
    }
    if (out.path) {
        fprintf(stderr, "kscmp record: SeccompPolicy %s/%s written to %s (syscalls:", ns, name,
                out.path);
        for (size_t a = 0; a < arch_count(); a++) {
            size_t n;
            recorded_names(rec, (int)a, &n);
            if (recorded_arches(rec) & (1u << a))
                fprintf(stderr, " %s %zu", arch_get(a)->name, n);
        }
        fputs(")\n", stderr);
    }
    return status;
}
