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
#include "engine/recording_status.h"
#include "kube/fetch.h"
#include "node/notify_record.h"
#include "program/cli.h"
#include "program/out_file.h"

/* kscmp's own failure, as env(1) and timeout(1) say it; 126/127: COMMAND cannot run. */
#define EXIT_RECORD_FAILED 125

static const char *const record_help =
    "Usage: kscmp record [-o FILE] [--name NAME] [-n NAMESPACE] [--counts] -- COMMAND [ARG...]\n"
    "       kscmp record show NAME [-n NAMESPACE] [-o yaml|json]   (a SeccompRecording of the\n"
    "                                cluster: 'kscmp record show --help')\n\n"
    "Runs COMMAND and records every syscall it, its threads and its children make (through\n"
    "execve too), per architecture, then writes a SeccompPolicy that allows exactly those.\n"
    "No root needed. COMMAND keeps kscmp's standard input, output, error and process group;\n"
    "a signal sent to kscmp alone by another process is passed on (one sent to the whole\n"
    "process group reaches COMMAND directly, and may also be passed on). kscmp waits until\n"
    "COMMAND and every process it started have exited.\n\n"
    "  -o, --output FILE      where the policy goes (default: standard output, after COMMAND\n"
    "                         has finished); written atomically (a device or FIFO, such\n"
    "                         as /dev/null, in place)\n"
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

struct collect {
    struct recorded *rec;
    bool print_counts;
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
    struct out_file out;
    int r = out_file_open(&out, out_path);
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
        out_file_discard(&out);
        return EXIT_RECORD_FAILED;
    }
    if (res.exec_errno) {
        fprintf(stderr, "kscmp record: %s: %s\n", cmd[0], strerror(res.exec_errno));
        out_file_discard(&out);
        return res.exec_errno == ENOENT ? 127 : 126;
    }
    int status = exit_status_of(&res);

    _cleanup_(recorded_freep) struct recorded *rec = NULL;
    if ((r = recorded_new(&rec)) < 0) {
        fprintf(stderr, "kscmp record: out of memory\n");
        out_file_discard(&out);
        return EXIT_RECORD_FAILED;
    }
    struct collect c = {.rec = rec, .print_counts = counts};
    if (counts)
        fprintf(stderr, "%-10s %-24s %12s\n", "ARCH", "SYSCALL", "CALLS");
    if (notify_counts_foreach(seen, collect_one, &c) < 0 || c.err < 0) {
        fprintf(stderr, "kscmp record: out of memory\n");
        out_file_discard(&out);
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
        out_file_discard(&out);
        return EXIT_RECORD_FAILED;
    }
    bool to_file = out.path != NULL;
    r = out_file_commit(&out, yaml, len);
    if (r < 0) {
        fprintf(stderr, "kscmp record: %s: cannot write: %s\n", out_path ? out_path : "stdout",
                strerror(-r));
        return EXIT_RECORD_FAILED;
    }
    if (to_file) {
        fprintf(stderr, "kscmp record: SeccompPolicy %s/%s written to %s (syscalls:", ns, name,
                out_path);
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

static const char *const show_help =
    "Usage: kubectl kscmp record show NAME [-n NAMESPACE] [-o yaml|json] [--kubeconfig FILE]\n"
    "                                [--context NAME]\n\n"
    "Prints the SeccompPolicy that the SeccompRecording NAME amounts to: an allow-list of every\n"
    "syscall its pods made, on every node, named as its spec.policy, for review and kubectl\n"
    "apply. What the recording may lack (a node's notes, a recording that is not running) is\n"
    "said in the policy's comments and on standard error. Exit status: 0, 1 when the\n"
    "recording cannot be read or records nothing (Conflict, Invalid), 2 on wrong usage.\n\n"
    "  -n, --namespace NS   the recording's namespace (default: the kubeconfig context's)\n"
    "  -o, --output FMT     yaml (default) or json\n"
    "      --kubeconfig F   default $KUBECONFIG, ~/.kube/config, then in-cluster\n"
    "      --context NAME   a context of the kubeconfig (default: its current-context)\n";

/* A condition of the status, or NULL. */
static json_t *status_condition(json_t *status, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(status, "conditions"), i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

/* The YAML policy as JSON (for -o json): decoded back, it is the same object. */
static int policy_json(const char *ns, const char *name, const struct recorded *rec, char **ret)
{
    json_t *names = json_array();
    json_t *arches = json_array();
    archmask_t seen = recorded_arches(rec);
    for (size_t a = 0; a < arch_count(); a++) {
        if (seen & (1u << a))
            json_array_append_new(arches, json_string(arch_get(a)->name));
    }
    /* The union of names, sorted: the YAML renderer's order. */
    _cleanup_free_ char *yaml = NULL;
    size_t len;
    int r = recorded_render_policy(rec, ns, name, NULL, &yaml, &len);
    if (r < 0) {
        json_decref(names);
        json_decref(arches);
        return r;
    }
    for (char *line = strstr(yaml, "\n    - "); line; line = strstr(line + 1, "\n    - ")) {
        char *start = line + 7, *end = strchr(start, '\n');
        _cleanup_free_ char *n = strndup(start, end ? (size_t)(end - start) : strlen(start));
        if (n && n[0] == '"' && strlen(n) >= 2) {
            n[strlen(n) - 1] = '\0';
            memmove(n, n + 1, strlen(n));
        }
        if (n)
            json_array_append_new(names, json_string(n));
    }
    json_t *seccomp = json_pack("{s:o, s:s}", "syscalls", names, "action", "Allow");
    if (json_array_size(arches))
        json_object_set_new(seccomp, "arch", arches);
    else
        json_decref(arches);
    json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:o}}", "apiVersion", "kscmp.io/v1",
                            "kind", "SeccompPolicy", "metadata", "name", name, "namespace", ns,
                            "spec", "seccomp", seccomp);
    *ret = obj ? json_dumps(obj, JSON_INDENT(2)) : NULL;
    json_decref(obj);
    return *ret ? 0 : -ENOMEM;
}

int cli_record_show(int argc, char **argv)
{
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},
        {"kubeconfig", required_argument, NULL, 'k'},
        {"context", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *ns = NULL, *output = "yaml", *kubeconfig = NULL, *context = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "n:o:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (!dns_label_valid(optarg)) {
                fprintf(stderr, "kubectl kscmp record show: -n \"%s\" is not a namespace name\n",
                        optarg);
                return EXIT_USAGE;
            }
            ns = optarg;
            break;
        case 'o':
            if (strcmp(optarg, "yaml") != 0 && strcmp(optarg, "json") != 0) {
                fprintf(stderr, "kubectl kscmp record show: -o \"%s\": want yaml or json\n",
                        optarg);
                return EXIT_USAGE;
            }
            output = optarg;
            break;
        case 'k':
            kubeconfig = optarg;
            break;
        case 'c':
            context = optarg;
            break;
        case 'h':
            fputs(show_help, stdout);
            return 0;
        default:
            fputs("Run 'kubectl kscmp record show --help' for usage.\n", stderr);
            return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || !dns_subdomain_valid(argv[optind])) {
        fprintf(stderr, "kubectl kscmp record show: give one SeccompRecording name\n"
                        "Run 'kubectl kscmp record show --help' for usage.\n");
        return EXIT_USAGE;
    }
    const char *name = argv[optind];
    struct kerr err = {0};
    struct kube_fetch *f = NULL;
    if (kube_fetch_new(kubeconfig, context, &f, &err) < 0) {
        fprintf(stderr, "kubectl kscmp record show: %s\n", err.msg);
        return EXIT_INVALID;
    }
    if (!ns)
        ns = kube_fetch_namespace(f);
    if (!ns)
        ns = "default";
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "/apis/kscmp.io/v1/namespaces/%s/seccomprecordings/%s", ns, name) < 0) {
        kube_fetch_free(f);
        return EXIT_INVALID;
    }
    json_t *obj = NULL;
    int r = kube_fetch_json(f, path, &obj, &err);
    kube_fetch_free(f);
    if (r == -ENOENT) {
        fprintf(stderr, "kubectl kscmp record show: SeccompRecording %s/%s not found\n", ns, name);
        return EXIT_INVALID;
    }
    if (r < 0) {
        fprintf(stderr, "kubectl kscmp record show: %s\n", err.msg);
        return EXIT_INVALID;
    }
    struct recording_spec spec = {0};
    if (recording_spec_decode(obj, &spec, &err) < 0 || spec.error) {
        fprintf(stderr, "kubectl kscmp record show: %s\n", spec.error ? spec.error : err.msg);
        recording_spec_clear(&spec);
        json_decref(obj);
        return EXIT_INVALID;
    }
    json_t *status = json_object_get(obj, "status");
    _cleanup_(recorded_freep) struct recorded *rec = NULL;
    if (recording_status_syscalls(status, &rec, &err) < 0) {
        fprintf(stderr, "kubectl kscmp record show: SeccompRecording %s/%s: %s\n", ns, name,
                err.msg);
        recording_spec_clear(&spec);
        json_decref(obj);
        return EXIT_INVALID;
    }
    int rc = 0;
    json_t *recording = status_condition(status, "Recording");
    json_t *complete = status_condition(status, "Complete");
    const char *reason = json_string_value(json_object_get(recording, "reason"));
    const char *rmsg = json_string_value(json_object_get(recording, "message"));
    if (reason && (strcmp(reason, "Conflict") == 0 || strcmp(reason, "Invalid") == 0)) {
        fprintf(stderr,
                "kubectl kscmp record show: SeccompRecording %s/%s records nothing (%s): %s\n", ns,
                name, reason, rmsg ? rmsg : "");
        rc = EXIT_INVALID;
    }
    if (!recording)
        fprintf(stderr,
                "kubectl kscmp record show: SeccompRecording %s/%s has no status yet: no "
                "agent with recording enabled has seen it\n",
                ns, name);
    const char *cstatus = json_string_value(json_object_get(complete, "status"));
    const char *cmsg = json_string_value(json_object_get(complete, "message"));
    if (cstatus && strcmp(cstatus, "False") == 0)
        fprintf(stderr, "kubectl kscmp record show: warning: the recording may be incomplete: %s\n",
                cmsg ? cmsg : "");
    _cleanup_free_ char *comment = NULL;
    if (asprintf(&comment,
                 "Recorded by SeccompRecording %s/%s: %lld pod(s) on %lld node(s).\n"
                 "Recording: %s%s%s\nComplete: %s",
                 ns, name, (long long)json_integer_value(json_object_get(status, "podsSeen")),
                 (long long)json_integer_value(json_object_get(status, "nodesSeen")),
                 reason ? reason : "no status yet", rmsg ? ": " : "", rmsg ? rmsg : "",
                 cmsg ? cmsg : "unknown") < 0)
        comment = NULL;
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (strcmp(output, "json") == 0) {
        r = policy_json(ns, spec.policy, rec, &text);
        len = text ? strlen(text) : 0;
    } else {
        r = recorded_render_policy(rec, ns, spec.policy, comment, &text, &len);
    }
    recording_spec_clear(&spec);
    json_decref(obj);
    if (r < 0) {
        fprintf(stderr, "kubectl kscmp record show: %s\n", strerror(-r));
        return EXIT_INVALID;
    }
    fwrite(text, 1, len, stdout);
    if (strcmp(output, "json") == 0)
        fputc('\n', stdout);
    return rc;
}
