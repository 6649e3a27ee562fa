/* agent.c - `kscmp agent`: wires a source, the engine, the reconciler and the metrics
 * endpoint around one event loop, and handles signals. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "program/cli.h"
#include "engine/engine.h"
#include "base/evloop.h"
#include "kube/access_review.h"
#include "kube/client.h"
#include "kube/fetch.h"
#include "kube/kube_source.h"
#include "node/event_dedup.h"
#include "kube/recordings.h"
#include "node/local_source.h"
#include "base/log.h"
#include "base/metrics.h"
#include "program/http.h"
#include "node/reconcile.h"
#include "node/store.h"
#include "node/kubelet_root.h"
#include "kube/node_taint.h"
#include "base/file.h"
#include "base/hmap.h"

struct agent {
    const char *local_dir; /* --local DIR */
    struct engine *e;
    struct store *store;
    struct metrics *m;
    struct http_server *http;
    struct evloop *l;
    struct reconciler *rec;
    struct localsrc *local;
    struct kube *kube;
    struct kubesrc *ksrc;
    struct node_taint *taint;   /* kscmp.io/agent-not-ready on this node (node_taint.h) */
    struct evtimer *ready_poll; /* until the first complete set is on disk: then untaint */
    bool stopping;
    struct event_dedup events_seen;
    int sigfd;
    struct evtimer *heartbeat; /* every second: the loop turns (for /healthz) */
    bool first_done;           /* --local: the first complete reconcile ran */
    bool once;                 /* --once: no retry comes after the first reconcile */
    unsigned warnings;         /* pod Events told (--once: exit 1 when any) */
    unsigned invalid_policies; /* --local: after the last sync (--once: exit 1 when any) */
    bool waiting_told;
    int exit_code; /* what the agent exits with once stopped (1: its folder was lost) */
    /* Where the profiles go (place_check()): the seccomp folder's path with links resolved,
     * and the mount that held it at start (NULL when none was found). */
    char *seccomp_real;
    struct kubelet_mount *mount;
    int seccomp_fd; /* the seccomp folder when it is a mount itself (O_PATH), else -1 */
    bool mount_unread_told;
    struct evtimer *place_timer;
    /* A standby's check of the API server (preflight()): its client until it passed, whether
     * it did, when it is asked again and when a failure was last logged (0: never); the rights
     * it asks for (the flags' and the node's). */
    struct kube_fetch *preflight;
    bool preflight_ok;
    struct access_needs needs;
    uint64_t stall_ms; /* --stall-timeout: a preflight takes at most half of it */
    uint64_t preflight_next_us, preflight_told_us;
};

/* How long `--once` waits for another agent that holds the store's lock (one stopping) before
 * it gives up; an agent that keeps running stands by instead (standby()). */
#define STORE_LOCK_WAIT_MS 20000
/* A standby agent: how often it tries the lock again (the takeover's delay at most), and how
 * often it says again that it stands by (two agents on one root by mistake must not go
 * unnoticed). */
#define STANDBY_POLL_MS 100
#define STANDBY_REMIND_MS (5 * 60 * 1000)
/* A standby's check of the API server (preflight()): what it asks, how often while it fails,
 * the time one try may take (signals wait no longer), and how often a failure is logged. */
#define PREFLIGHT_PATH "/apis/kscmp.io/v1/seccomppolicies?limit=1"
#define PREFLIGHT_EVERY_MS 5000
#define PREFLIGHT_DEADLINE_S 10
#define PREFLIGHT_LOG_EVERY_US (60ull * 1000000)

/* The reminder's interval: STANDBY_REMIND_MS, or $KSCMP_STANDBY_REMIND_SECONDS (1 to 3600,
 * for tests). */
static uint64_t standby_remind_ms(void)
{
    const char *v = getenv("KSCMP_STANDBY_REMIND_SECONDS");
    if (!v)
        return STANDBY_REMIND_MS;
    char *end;
    unsigned long s = strtoul(v, &end, 10);
    if (*v && !*end && s >= 1 && s <= 3600)
        return (uint64_t)s * 1000;
    log_warning("KSCMP_STANDBY_REMIND_SECONDS=\"%s\" is not 1 to 3600: %u s", v,
                STANDBY_REMIND_MS / 1000);
    return STANDBY_REMIND_MS;
}

/* How often the agent checks that its folder is still the one the kubelet reads (ms). */
#define PLACE_CHECK_MS 2000

static const char *const agent_help =
    "Usage: kscmp agent [--local DIR] [--kubelet-root DIR] [--metrics-addr ADDR]\n"
    "                   [--node-name NAME] [--kubeconfig FILE] [--log-format text|json]\n"
    "                   [--arch ARCH] [--once] [--startup-syscalls auto|none]\n"
    "                   [--node-taint on|off] [--kubearmor-policies on|off]\n"
    "                   [--proof-workers N] [--proof-cpu-seconds N]\n"
    "                   [--proof-memory MIB] [--stall-timeout S]\n"
    "                   [--recording [--cgroup-root DIR] [--kubepods-cgroup P]\n"
    "                    [--bpf-pin-dir DIR] [--record-interval S]]\n\n"
    "Runs the node agent: keeps <kubelet root>/seccomp/kscmp/NS/NAME.json equal to the merge\n"
    "of the policies that apply to the pods that reference it.\n\n"
    "  --local DIR          read policies, Namespaces and Pods from the YAML files in DIR\n"
    "                       (watched with inotify; every Pod counts as on this node)\n"
    "  --kubelet-root DIR   default $KSCMP_KUBELET_ROOT, else /var/lib/kubelet; it must\n"
    "                       exist (seccomp/kscmp/ below it is made when needed)\n"
    "  --metrics-addr ADDR  /metrics, /healthz, /readyz (default :9750; \"off\" disables)\n"
    "  --node-name NAME     the node whose pods to handle (default $NODE_NAME)\n"
    "  --kubeconfig FILE    used when given (not with --local); else, in a pod,\n"
    "                       its service account; else $KUBECONFIG, else ~/.kube/config\n"
    "  --log-format FMT     text (default) or json\n"
    "  --arch ARCH          the node's architecture (default: this machine's)\n"
    "  --once               with --local: reconcile once and exit (0 when every file is as\n"
    "                       it should be; 1 when a pod got a Warning Event, a policy is\n"
    "                       invalid, an object is defined twice (a Namespace: with other\n"
    "                       labels), or a file could not be written)\n"
    "  --startup-syscalls auto|none\n"
    "                       auto (default): allow the syscalls the container runtime (runc,\n"
    "                       crun) makes after loading a profile, where no policy names them,\n"
    "                       and tell pods whose profile blocks one (ProfileBlocksStartup);\n"
    "                       none: a profile holds exactly what the policies say\n"
    "  --node-taint on|off  remove the taint kscmp.io/agent-not-ready from this node once the\n"
    "                       profiles are on disk, and put it back on SIGTERM unless this\n"
    "                       agent's pod ($POD_NAMESPACE/$POD_NAME) is being deleted (default "
    "on)\n"
    "  --kubearmor-policies on|off\n"
    "                       read KubeArmorSeccompPolicy objects as policies, where their CRD\n"
    "                       is installed (default on); off where another product owns that\n"
    "                       kind: never read, no status written to them\n"
    "  --proof-workers N    processes that prove profiles with libseccomp (default 2, 1 on one\n"
    "                       CPU)\n"
    "  --proof-cpu-seconds N  CPU time one proof may use (default 10; its wall-clock deadline\n"
    "                       is three times that); a profile over it is refused\n"
    "  --proof-memory MIB   memory a proof worker may use (default 48)\n"
    "  --stall-timeout S    /healthz fails when the event loop has not turned for S seconds\n"
    "                       (default 30; 0: never)\n"
    "  --recording          act on SeccompRecordings: record the pods they select with an\n"
    "                       eBPF program (needs CAP_BPF and CAP_PERFMON, Linux 5.12 with BTF)\n"
    "  --cgroup-root DIR    the node's cgroupfs (default /sys/fs/cgroup)\n"
    "  --kubepods-cgroup P  the kubelet's pod cgroup below it (default: kubepods or\n"
    "                       kubepods.slice)\n"
    "  --bpf-pin-dir DIR    where the recorder is pinned so it outlives the agent, in a bpffs\n"
    "                       (default /sys/fs/bpf/kscmp; \"off\": not pinned)\n"
    "  --record-interval S  seconds between reads of what was recorded (default 5)\n\n"
    "Signals: SIGTERM/SIGINT finish the write in progress and exit 0; SIGHUP reads everything\n"
    "again, proves the profiles refused before again, and checks every profile file on disk\n"
    "(an agent standing by only logs it).\n\n"
    "One agent per kubelet root: one that finds another holding it stands by (writing\n"
    "nothing; /readyz 200 \"standby\", kscmp_standby 1) and takes over once that one exits;\n"
    "against an API server, /readyz answers 503 \"standby: not ready: ...\" until a list of\n"
    "SeccompPolicies with this agent's configuration passes and the server grants every\n"
    "right these flags need (SelfSubjectAccessReviews; asked every 5 s).\n"
    "--once waits up to 20 s for it, then exits 1.\n";

/* Pod Events, deduplicated (one per pod, reason and cause); in --local mode they are logged. */
static int on_event(const struct engine_event *ev, void *userdata)
{
    struct agent *a = userdata;
    _cleanup_free_ char *key = event_key(ev->pod, ev->reason, ev->message);
    if (!key)
        return -ENOMEM;
    int r = event_dedup_add(&a->events_seen, key);
    if (r <= 0)
        return r;
    metrics_add(a->m, M_EVENTS_SENT, 1);
    if (ev->normal) {
        log_info("event Normal %s on pod %s/%s: %s", ev->reason, ev->pod->ns, ev->pod->name,
                 ev->message);
        return 0;
    }
    a->warnings++;
    log_warning("event Warning %s on pod %s/%s: %s", ev->reason, ev->pod->ns, ev->pod->name,
                ev->message);
    return 0;
}

/* --local: kscmp_policies{condition} after a sync, and one log line when a policy's condition
 * changes (it recovered, or broke); in a cluster the policy status does this. */
static void local_conditions(struct agent *a)
{
    static const char *const names[] = {"Valid", "Invalid", "Conflict"};
    const struct policy **ps = NULL;
    size_t n = 0;
    if (engine_list_policies(a->e, &ps, &n) < 0)
        return;
    unsigned counts[3] = {0, 0, 0};
    struct hmap namespaces; /* those of new policies, looked at in this call */
    hmap_init(&namespaces);
    for (size_t i = 0; i < n; i++) {
        const struct policy *p = ps[i];
        struct policy_result pr;
        if (engine_policy_status(a->e, p, &pr) < 0)
            continue;
        int cond = !pr.valid ? 1 : pr.nconflicts ? 2 : 0;
        counts[cond]++;
        /* The condition last told is kept with the policy in the engine (1 + it; 0: new). */
        uint8_t before = 0;
        if (engine_policy_swap_tag(a->e, p, (uint8_t)(cond + 1), &before) < 0)
            continue;
        /* With why it broke: the Event that says so is told once per pod and reason, so a
         * second break of the same kind would otherwise leave no reason in the log. */
        if (before && before - 1 != cond)
            log_info("%s %s%s%s: %s -> %s%s%s%s", policy_kind_name(p->kind), p->ns ? p->ns : "",
                     p->ns ? "/" : "", p->name, names[before - 1], names[cond],
                     cond == 0 ? " (recovered)" : "", cond == 1 && pr.error ? ": " : "",
                     cond == 1 && pr.error ? pr.error : "");
        else if (!before && cond == 1) /* invalid as it comes: said once, even if no pod uses it */
            log_warning("%s %s%s%s: Invalid: %s", policy_kind_name(p->kind), p->ns ? p->ns : "",
                        p->ns ? "/" : "", p->name, pr.error ? pr.error : "?");
        /* New, in a namespace DIR has no sign of: a typo in metadata.namespace moves a policy
         * away from its pods, silently (a cluster's API server refuses such an object). Once
         * a namespace in each call (1: known, 2: not). */
        uintptr_t seen = p->ns && !before ? (uintptr_t)hmap_get(&namespaces, p->ns) : 1;
        if (!seen) {
            seen = engine_namespace_known(a->e, p->ns) ? 1 : 2;
            (void)hmap_put(&namespaces, p->ns, (void *)seen, NULL);
            if (seen == 2)
                log_warning("%s %s/%s: %s has no Namespace %s and no pod in it: the policy "
                            "applies to no pod here, nor does any other new one of %s (a typo "
                            "in metadata.namespace?)",
                            policy_kind_name(p->kind), p->ns, p->name, a->local_dir, p->ns, p->ns);
        }
    }
    hmap_clear(&namespaces, NULL);
    free(ps);
    metrics_set(a->m, G_POLICIES_VALID, counts[0]);
    metrics_set(a->m, G_POLICIES_INVALID, counts[1]);
    a->invalid_policies = counts[1];
    metrics_set(a->m, G_POLICIES_CONFLICT, counts[2]);
}

/* --local: the first reconcile (writes, then removal of the files no pod references), once
 * every manifest could be read: before that a profile could miss a policy that applies, and
 * a file could look unreferenced because the pod that uses it is in a file not read yet. */
static void local_first_sync(struct agent *a, uint64_t event_us)
{
    if (!localsrc_complete(a->local)) {
        if (!a->waiting_told)
            log_warning("not ready: %u manifest(s) could not be read: nothing is written or "
                        "removed until every one can be",
                        localsrc_unknown(a->local));
        a->waiting_told = true;
        return;
    }
    reconciler_sync(a->rec, event_us);
    reconciler_gc(a->rec);
    local_conditions(a);
    log_info("first reconcile done in %.1f ms", (double)(now_us() - event_us) / 1000.0);
    reconciler_initial_done(a->rec);
    a->first_done = true;
    /* The usual start: the proofs run after the reconcile (an info, not a warning; what keeps
     * a file from being written is said where it happens). */
    if (!reconciler_ready(a->rec) && !a->once)
        log_info("not ready yet: %u file(s) wait for their proof or a retry",
                 reconciler_pending(a->rec));
}

static void on_change(uint64_t event_us, void *userdata)
{
    struct agent *a = userdata;
    if (!a->first_done)
        local_first_sync(a, event_us);
    else {
        reconciler_sync(a->rec, event_us);
        local_conditions(a);
    }
}

/* SIGTERM: the node's taint is where it should be (or could not be put): stop. */
static void on_taint_held(void *userdata)
{
    struct agent *a = userdata;
    evloop_quit(a->l, a->exit_code);
}

/* Until the first complete set of profiles is on disk; then the node may get new pods. */
static void on_ready_poll(struct evtimer *t, void *userdata)
{
    struct agent *a = userdata;
    if (reconciler_ready(a->rec))
        node_taint_release(a->taint);
    else
        evtimer_arm(t, 200);
}

static void on_signal(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    struct agent *a = userdata;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            log_info("SIGHUP: reading everything again");
            event_dedup_clear(&a->events_seen);
            /* A refused profile is proven again when it is computed next (below). */
            int forgot = reconciler_forget_refusals(a->rec);
            if (forgot > 0)
                log_info("SIGHUP: %d refused profile(s) forgotten: each is proven again", forgot);
            reconciler_check_all(a->rec); /* every file on disk, once the loop is idle */
            if (a->local && localsrc_load_all(a->local) == 0) {
                if (!a->first_done)
                    local_first_sync(a, now_us());
                else {
                    engine_touch_all(a->e);
                    reconciler_sync(a->rec, now_us());
                    local_conditions(a);
                    if (localsrc_complete(a->local))
                        reconciler_gc(a->rec);
                }
            }
            if (a->ksrc)
                kubesrc_relist(a->ksrc);
        } else if (a->stopping) {
            log_info("%s: stopping now", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
            evloop_quit(l, a->exit_code);
        } else {
            log_info("%s: stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
            a->stopping = true;
            if (a->taint && si.ssi_signo == SIGTERM)
                node_taint_hold(a->taint, 5000, on_taint_held, a);
            else
                evloop_quit(l, 0);
        }
    }
}

/* The loop turns: tell the health endpoint, and come back in a second. */
static void on_heartbeat(struct evtimer *t, void *userdata)
{
    struct agent *a = userdata;
    metrics_heartbeat(a->m);
    evtimer_arm(t, 1000);
}

/* The last line: what was left undone, if anything (a full disk, a read-only folder: the
 * next start tries again). */
static void log_stopped(struct agent *a)
{
    unsigned pending = reconciler_pending(a->rec);
    if (pending)
        log_warning("stopped with %u file(s) not written or removed as owed (retried until "
                    "now; the next start tries again)",
                    pending);
    else
        log_info("stopped");
}

static void agent_free(struct agent *a)
{
    http_free(a->http); /* its thread reads the metrics */
    evtimer_free(a->ready_poll);
    evtimer_free(a->place_timer);
    free(a->mount);
    free(a->seccomp_real);
    if (a->seccomp_fd >= 0)
        close(a->seccomp_fd);
    node_taint_free(a->taint);
    evtimer_free(a->heartbeat);
    kubesrc_free(a->ksrc);
    kube_free(a->kube);
    kube_fetch_free(a->preflight);
    localsrc_free(a->local);
    reconciler_free(a->rec);
    if (a->sigfd >= 0)
        close(a->sigfd);
    evloop_free(a->l);
    store_close(a->store);
    engine_free(a->e);
    metrics_free(a->m);
    event_dedup_clear(&a->events_seen);
}

static void log_engine(const struct policy *p, const char *line, void *userdata)
{
    /* The engine's lines start "warning: " or "conflict: "; the level says the first. */
    log_warning("%s", strncmp(line, "warning: ", 9) == 0 ? line + 9 : line);
}

/* Writes msg to the container's termination message, which `kubectl describe pod` shows:
 * the file $KSCMP_TERMINATION_MESSAGE_PATH names (for a pod whose terminationMessagePath is
 * not the default), else /dev/termination-log. Only a file that is there is written (outside
 * a pod there is none). */
static void termination_message(const char *msg)
{
    const char *path = getenv("KSCMP_TERMINATION_MESSAGE_PATH");
    if (!path || !*path)
        path = "/dev/termination-log";
    _cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 && write(fd, msg, strlen(msg)) < 0)
        log_warning("%s: %s", path, strerror(errno));
}

/* A command line the agent refuses: "kscmp agent: <why>" on stderr and in the termination
 * message (a pod's container then shows why it exited 2, not only the log). Returns
 * EXIT_USAGE. */
__attribute__((format(printf, 1, 2))) static int usage_refused(const char *fmt, ...)
{
    char why[512], msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof(msg), "kscmp agent: %s", why);
    fprintf(stderr, "%s\n", msg);
    termination_message(msg);
    return EXIT_USAGE;
}

/* The option getopt refused, as the user spelled it: prev is the argument before optind. A long
 * option ("--proof-workers", "--proof-workers=x" without its "=x") when prev is one and getopt
 * was on it (optopt 0: an unknown or ambiguous one; else the val of one that prev abbreviates);
 * else the short option optopt ("-x", also inside a cluster such as -xh, where optind has not
 * moved past the cluster yet and prev is the argument before it). */
static const char *opt_spelled(const struct option *opts, const char *prev, int optopt_)
{
    static char name[80];
    if (strncmp(prev, "--", 2) == 0) {
        size_t len = strcspn(prev, "=");
        bool on_it = optopt_ == 0;
        for (const struct option *o = opts; !on_it && o->name; o++)
            on_it = o->val == optopt_ && strncmp(o->name, prev + 2, len - 2) == 0;
        if (on_it) {
            snprintf(name, sizeof(name), "%.*s", (int)len, prev);
            return name;
        }
    }
    snprintf(name, sizeof(name), "-%c", optopt_);
    return name;
}

/* How many of opts a long option spelled name ("--proof") abbreviates (getopt_long takes an
 * abbreviation that only one option starts with). */
static size_t long_prefix_count(const struct option *opts, const char *name)
{
    size_t n = 0, len = strlen(name);
    if (len <= 2 || strncmp(name, "--", 2) != 0)
        return 0;
    for (const struct option *o = opts; o->name; o++)
        n += strncmp(o->name, name + 2, len - 2) == 0;
    return n;
}

/* The agent cannot start (after its command line was read): why in the log and in the
 * termination message. */
__attribute__((format(printf, 1, 2))) static void start_refused(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_error("%s", msg);
    termination_message(msg);
}

/* In a pod: refuses a --kubelet-root that is not the root of the kubelet running the pod
 * (node/kubelet_root.h), saying so in the log and in the container's termination message,
 * which `kubectl describe pod` shows. Returns 0 when it agrees or cannot be told. */
static int check_kubelet_root(const char *root)
{
    _cleanup_free_ char *info = NULL, *note = NULL;
    size_t len = 0;
    struct kerr err = {0};
    int r = read_file_all("/proc/self/mountinfo", KUBELET_ROOT_MOUNTINFO_MAX, &info, &len, &err);
    if (r < 0) {
        log_warning("kubelet root %s not checked: %s", root, err.msg);
        return 0;
    }
    r = kubelet_root_check(info, len, root, &note, &err);
    if (r >= 0) {
        log_info("kubelet root %s %s", root, note);
        return 0;
    }
    if (r == -ENOMEM) {
        log_error("cannot start: %s", strerror(-r));
        return r;
    }
    log_error("%s", err.msg);
    termination_message(err.msg);
    return r;
}

/* The mount that holds the seccomp folder now: 1 with *ret, 0 when none is listed, or a
 * negative errno when the table cannot be read (err says why; -ENOMEM). */
static int seccomp_mount_now(const char *real, struct kubelet_mount *ret, struct kerr *err)
{
    _cleanup_free_ char *info = NULL;
    size_t len = 0;
    int r = read_file_all("/proc/self/mountinfo", KUBELET_ROOT_MOUNTINFO_MAX, &info, &len, err);
    if (r < 0)
        return r;
    return kubelet_mount_of(info, len, real, ret);
}

/* The mount on top changed: whether the seccomp folder's path still leads to the folder the
 * agent writes to. For a mount of the folder itself, the folder held open since the start is
 * compared with the one the path leads to; below a mount of a folder above it (the kubelet
 * root's file system), the store's check of the root, which passed, says so. */
static bool same_folder(const struct agent *a)
{
    if (strcmp(a->mount->point, a->seccomp_real) != 0)
        return true;
    struct stat held, now;
    return a->seccomp_fd >= 0 && fstat(a->seccomp_fd, &held) == 0 &&
           stat(a->seccomp_real, &now) == 0 && held.st_dev == now.st_dev &&
           held.st_ino == now.st_ino;
}

/* Whether the profiles still go where the kubelet reads them. A pod's hostPath volume is a
 * bind mount of the host's <root>/seccomp made when the container started: should that
 * folder be removed or moved on the host (rm -rf, then a new one made at its name), the
 * mount keeps the old one, and every file written through it reaches no kubelet while the
 * agent would say ready. Outside a pod, the kubelet root itself may be moved, or a file
 * system mounted on it, after the agent opened it. Returns 0 when all is well or it cannot
 * be told, 1 with err saying what changed. */
static int place_check(struct agent *a, struct kerr *err)
{
    int r = store_root_moved(a->store, err);
    if (r != 0)
        return r > 0 ? 1 : 0;
    if (!a->mount || !a->seccomp_real)
        return 0;
    _cleanup_free_ struct kubelet_mount *now = malloc(sizeof(*now));
    if (!now)
        return 0;
    struct kerr e2 = {0};
    r = seccomp_mount_now(a->seccomp_real, now, &e2);
    if (r < 0) {
        /* Cannot be told (no file descriptor left, a table over the bound): said once. */
        if (!a->mount_unread_told)
            log_warning("%s: %s: its mount is not checked until the table can be read",
                        a->seccomp_real, e2.msg[0] ? e2.msg : strerror(-r));
        a->mount_unread_told = true;
        return 0;
    }
    a->mount_unread_told = false;
    const struct kubelet_mount *was = a->mount;
    if (r == 0 || now->id != was->id || strcmp(now->point, was->point) != 0) {
        /* Another mount on top (the same tree bound over itself, as a kubelet's start may do
         * with its root; a remount above), or none: lost only when the path now leads to
         * another folder. */
        if (r == 1 && same_folder(a)) {
            log_info("%s: now below mount %lu at %s (was %lu at %s), the same folder",
                     a->seccomp_real, now->id, now->point, was->id, was->point);
            *a->mount = *now;
            return 0;
        }
        kerr_set(err, -ESTALE,
                 "the mount that held %s at start (mount %lu at %s, folder %s of device %u:%u) "
                 "is gone: something was mounted on it or it was unmounted",
                 a->seccomp_real, was->id, was->point, was->root, was->major, was->minor);
        return 1;
    }
    if (kubelet_mount_deleted(now)) {
        kerr_set(err, -ESTALE,
                 "the folder mounted at %s (%s of device %u:%u) was removed on the host",
                 now->point, was->root, was->major, was->minor);
        return 1;
    }
    if (!kubelet_mount_same(now, was)) {
        kerr_set(err, -ESTALE,
                 "the folder mounted at %s was moved on the host: it was %s, it is now %s (device "
                 "%u:%u)",
                 now->point, was->root, now->root, now->major, now->minor);
        return 1;
    }
    return 0;
}

/* The agent's folder no longer reaches the kubelet: not ready from now on, and stop with
 * status 1, so that the kubelet (or the service manager) starts the agent again on the folder
 * the kubelet reads now (a container started again gets its volume mounted anew). */
static void place_lost(struct agent *a, const char *why)
{
    _cleanup_free_ char *msg = NULL;
    if (asprintf(&msg,
                 "%s; profiles written below %s would reach no kubelet: stopping (exit status 1) "
                 "so that the agent starts again on the folder the kubelet reads",
                 why, store_path(a->store)) < 0)
        msg = NULL;
    log_error("%s", msg ? msg : why);
    termination_message(msg ? msg : why);
    reconciler_lost(a->rec);
    a->exit_code = EXIT_INVALID;
    if (a->stopping)
        return;
    a->stopping = true;
    if (a->taint)
        node_taint_hold(a->taint, 5000, on_taint_held, a);
    else
        evloop_quit(a->l, EXIT_INVALID);
}

static void on_place_check(struct evtimer *t, void *userdata)
{
    struct agent *a = userdata;
    struct kerr err = {0};
    if (place_check(a, &err) > 0)
        place_lost(a, err.msg);
    else
        evtimer_arm(t, PLACE_CHECK_MS);
}

/* At start: where root's seccomp folder is mounted from, for place_check(). A folder already
 * removed on the host is refused (-ESTALE, err says so). */
static int place_start(struct agent *a, const char *root, struct kerr *err)
{
    _cleanup_free_ char *real = realpath(root, NULL);
    if (!real)
        return 0; /* cannot be told: the store's check still runs */
    if (asprintf(&a->seccomp_real, "%s/seccomp", strcmp(real, "/") ? real : "") < 0) {
        a->seccomp_real = NULL;
        return -ENOMEM;
    }
    _cleanup_free_ struct kubelet_mount *m = malloc(sizeof(*m));
    if (!m)
        return -ENOMEM;
    struct kerr e2 = {0};
    int r = seccomp_mount_now(a->seccomp_real, m, &e2);
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        log_warning("%s: %s: its mount is not checked (only the kubelet root is)", a->seccomp_real,
                    e2.msg[0] ? e2.msg : strerror(-r));
        return 0;
    }
    if (r == 0) {
        log_info("%s: no mount listed in /proc/self/mountinfo holds it (%s): only the kubelet "
                 "root is checked while running",
                 a->seccomp_real, e2.msg[0] ? e2.msg : "none");
        return 0;
    }
    if (kubelet_mount_deleted(m))
        return kerr_set(err, -ESTALE,
                        "the folder mounted at %s (%s of device %u:%u) was removed on the host: "
                        "profiles written there would reach no kubelet. Start the agent again "
                        "once the folder is there (a pod's container started again gets it "
                        "mounted anew)",
                        m->point, m->root, m->major, m->minor);
    if (strcmp(m->point, a->seccomp_real) == 0)
        a->seccomp_fd = open(a->seccomp_real, O_PATH | O_DIRECTORY | O_CLOEXEC);
    a->mount = TAKE_PTR(m);
    return 0;
}

/* " (pid N)" when the holder of the store's lock can be told, else "". */
static void holder_text(struct agent *a, char *buf, size_t size)
{
    long pid = store_lock_holder(a->store);
    if (pid > 0)
        snprintf(buf, size, " (pid %ld)", pid);
    else
        buf[0] = '\0';
}

/* What only the API server can tell a standby before it takes over, asked as the agent will
 * ask it: that the server answers, takes the agent's credentials, lets it list SeccompPolicies
 * in all namespaces (RBAC) and serves them (the CRDs installed); then, once that list passed,
 * that it grants every other right this agent's flags need (access_review.h: one
 * SelfSubjectAccessReview each, sent at once). A server that does not serve the reviews
 * (404: authorization.k8s.io turned off, which no cluster this runs on should do) does not
 * block: it is told once, and the list alone is the check, as before the reviews; an admin
 * would not expect a rollout to wait for good on a check the cluster cannot answer. Any other
 * failure of the reviews (403, 5xx, no answer) blocks as the list's does. On a client of its
 * own (kube_fetch: the agent's loop must not turn while it stands by) made from a copy of the
 * agent's configuration (loaded once), the whole check within PREFLIGHT_DEADLINE_S and given
 * up at a signal. Until it passes, /readyz answers 503 "standby: not ready: ..." so that a
 * surge rollout waits, the old agent still working, and the log says why at the first
 * failure, then at most every minute. 0 once passed; -EINTR when a signal came (the caller
 * reads it); else a negative errno, asked again PREFLIGHT_EVERY_MS later. */
static int preflight(struct agent *a)
{
    struct kerr err = {0};
    int r = 0;
    if (!a->preflight) {
        struct kube_config *cfg = kube_config_dup(kube_config_of(a->kube));
        r = cfg ? kube_fetch_new_config(cfg, &a->preflight, &err) : -ENOMEM;
        if (r == 0 && (r = kube_fetch_stop_on(a->preflight, a->sigfd)) < 0)
            kerr_set(&err, r, "signalfd: %s", strerror(-r));
    }
    /* The heartbeat does not beat while it waits: half of --stall-timeout at most, so that
     * /healthz does not fail meanwhile. The list and the reviews share it. */
    unsigned deadline_s = PREFLIGHT_DEADLINE_S;
    if (a->stall_ms && a->stall_ms / 2000 < deadline_s)
        deadline_s = a->stall_ms >= 2000 ? (unsigned)(a->stall_ms / 2000) : 1;
    json_t *j = NULL;
    if (r == 0) {
        kube_fetch_set_deadline(a->preflight, deadline_s);
        r = kube_fetch_json(a->preflight, PREFLIGHT_PATH, &j, &err);
    }
    if (r == -ETIMEDOUT) /* fetch.c's words name the command line's --timeout */
        kerr_set(&err, r, "%s: no complete answer in %u s", PREFLIGHT_PATH, deadline_s);
    if (r == 0 && !json_is_array(json_object_get(j, "items")))
        r = kerr_set(&err, -EPROTO, "%s: the answer is not a list", PREFLIGHT_PATH);
    json_decref(j);
    const char *what = "listing SeccompPolicies as this agent will failed";
    if (r == 0) {
        r = access_check(a->preflight, &a->needs, &err);
        /* -EPERM: rights refused; a 401 or 403 on the reviews themselves (-EACCES) is a
         * failure to ask, as a 5xx is. */
        what = r == -EPERM ? "the API server denies this agent rights it needs (RBAC)"
                           : "asking the API server for this agent's rights failed";
        if (r == -ETIMEDOUT)
            kerr_set(&err, r, "%s: no complete answer in %u s (with the list before them)",
                     ACCESS_REVIEWS_PATH, deadline_s);
        if (r == -ENOENT) {
            log_warning("%s: the API server does not serve SelfSubjectAccessReviews (%s): this "
                        "agent's rights other than listing SeccompPolicies are not checked "
                        "before it takes over",
                        store_path(a->store), err.msg);
            r = 0;
        }
    }
    if (r == -EINTR)
        return r;
    uint64_t now = now_us();
    if (r == 0) {
        a->preflight_ok = true;
        metrics_set_standby_problem(a->m, NULL);
        kube_fetch_free(a->preflight);
        a->preflight = NULL;
        return 0;
    }
    char why[METRICS_STANDBY_PROBLEM_MAX];
    snprintf(why, sizeof(why), "%s: %s", what, err.msg[0] ? err.msg : strerror(-r));
    metrics_set_standby_problem(a->m, why);
    if (!a->preflight_told_us || now - a->preflight_told_us >= PREFLIGHT_LOG_EVERY_US) {
        log_warning("%s: another kscmp agent holds the folder's lock: standing by, not ready to "
                    "take over: %s. /readyz answers 503 \"standby: not ready\" meanwhile (a "
                    "rollout does not remove the working agent for this one); asked again every "
                    "%d s",
                    store_path(a->store), why, PREFLIGHT_EVERY_MS / 1000);
        a->preflight_told_us = now;
    }
    a->preflight_next_us = now + PREFLIGHT_EVERY_MS * 1000ull;
    return r;
}

/* The standby's line: an info, as a surge rollout does this every time (the reminders are
 * warnings). */
static void log_standing_by(struct agent *a, const char *holder)
{
    log_info("%s: another kscmp agent holds the folder's lock%s: standing by until it stops, "
             "then taking over. Meanwhile nothing is written, /readyz answers 200 \"standby\" "
             "(so that a rollout with maxSurge deletes the old pod) and kscmp_standby is 1. "
             "If this lasts, two agents run on this kubelet root (two releases or DaemonSets, "
             "an agent left running by hand)",
             store_path(a->store), holder);
}

/* Another agent holds the store's lock: wait for it without a deadline, writing nothing. A
 * DaemonSet's surge rollout starts the new pod while the old one runs and deletes the old one
 * only once the new one is Ready: so the endpoint answers /readyz 200 meanwhile (its body says
 * "standby", kscmp_standby is 1), once the API server accepts the agent (preflight(), asked
 * again every PREFLIGHT_EVERY_MS until it does), the lock is tried every STANDBY_POLL_MS, and
 * the log says again every STANDBY_REMIND_MS that it stands by (two agents on one root by
 * mistake stand by forever, and must be seen). The heartbeat goes on (/healthz). A lock freed
 * while the check still fails is taken all the same: the old agent is gone, and the start
 * tells what the server refuses. Returns 0 once the lock is taken, 1 when SIGTERM or SIGINT
 * came first (nothing was written: exit 0), or a negative errno (err says why). */
static int standby(struct agent *a, struct kerr *err)
{
    char holder[40];
    holder_text(a, holder, sizeof(holder));
    bool check = !a->local_dir; /* against an API server */
    if (!check || a->preflight_ok)
        log_standing_by(a, holder);
    uint64_t every_us = standby_remind_ms() * 1000;
    uint64_t start = now_us(), remind = start + every_us;
    for (;;) {
        metrics_heartbeat(a->m);
        struct pollfd pfd = {.fd = a->sigfd, .events = POLLIN};
        if (poll(&pfd, 1, STANDBY_POLL_MS) < 0 && errno != EINTR)
            return kerr_set(err, -errno, "poll: %s", strerror(errno));
        struct signalfd_siginfo si;
        while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
            const char *name = si.ssi_signo == SIGTERM  ? "SIGTERM"
                               : si.ssi_signo == SIGINT ? "SIGINT"
                                                        : NULL;
            if (name) {
                log_info("%s: stopping (standing by: nothing was written)", name);
                return 1;
            }
            log_info("SIGHUP: standing by: nothing to read again before the lock is taken");
        }
        int r = store_lock(a->store, 0, err);
        if (r == 0)
            break;
        if (r != -EBUSY)
            return r;
        kerr_clear(err);
        uint64_t now = now_us();
        if (check && !a->preflight_ok && now >= a->preflight_next_us) {
            if (preflight(a) == 0) {
                log_info("%s: the API server accepts this agent now (its list of "
                         "SeccompPolicies, its rights)",
                         store_path(a->store));
                holder_text(a, holder, sizeof(holder));
                log_standing_by(a, holder);
            }
            now = now_us();
        }
        if (now >= remind && check && a->preflight_ok) {
            /* Asked again at each reminder: a standby that stands by long (a paused rollout,
             * two DaemonSets) is not Ready on a right it lost since (a review found a passed
             * check was never asked again). A failure makes /readyz 503 and is asked again
             * every PREFLIGHT_EVERY_MS, as at the start. */
            a->preflight_ok = false;
            a->preflight_told_us = 0;
            if (preflight(a) == -EINTR)
                a->preflight_next_us = 0;
            now = now_us();
        }
        if (now >= remind) {
            holder_text(a, holder, sizeof(holder));
            unsigned long long secs = (now - start) / 1000000;
            log_warning("%s: still standing by after %llu %s: another kscmp agent holds the "
                        "folder's lock%s. Two agents on one kubelet root (two releases or "
                        "DaemonSets, an agent left running by hand)? Only one of them writes",
                        store_path(a->store), secs < 120 ? secs : secs / 60,
                        secs < 120 ? "s" : "min", holder);
            remind = now + every_us;
        }
    }
    metrics_set(a->m, G_STANDBY, 0);
    double secs = (double)(now_us() - start) / 1e6;
    if (check && !a->preflight_ok) {
        char why[METRICS_STANDBY_PROBLEM_MAX];
        metrics_standby(a->m, why, sizeof(why));
        log_warning("%s: the lock is free after %.1f s standing by: taking over, although the "
                    "API server did not accept this agent (%s): the old agent is gone, and the "
                    "start says what is refused",
                    store_path(a->store), secs, why);
    } else {
        log_info("%s: the lock is free after %.1f s standing by: taking over", store_path(a->store),
                 secs);
    }
    metrics_set_standby_problem(a->m, NULL);
    kube_fetch_free(a->preflight);
    a->preflight = NULL;
    return 0;
}

/* Once everything that can be checked without the kubelet root's lock was (the flags, the
 * kubeconfig and the client, the recorder's set-up, the node's name): serves the endpoint and,
 * when another agent holds the lock (held), stands by until it is free. A standby agent is
 * Ready, so that a surge rollout deletes the old pod: that must not happen for one that would
 * then fail to start (a bad --kubeconfig in an upgrade would leave the node without an agent),
 * and its first /readyz already says standby (none answered 503 first). Then the place check
 * and the thread that closes replaced files start. -1 to go on, else the exit status (the agent
 * freed). */
static int go_live(struct agent *a, bool held, const char *metrics_addr, uint64_t stall_ms,
                   const char *root)
{
    struct kerr err = {0};
    a->stall_ms = stall_ms;
    if (held) {
        /* Set before /readyz is served (its first answer says standby), and kept while
         * standby() waits. */
        metrics_set(a->m, G_STANDBY, 1);
        /* Asked before /readyz is served: its first answer already says how that went. */
        if (!a->local_dir) {
            metrics_set_standby_problem(a->m, "the API server not asked yet");
            preflight(a);
        }
    }
    /* Served once the flags before it are known to be good: an agent that stops at one
     * never said that it serves. */
    if (strcmp(metrics_addr, "off") != 0 && *metrics_addr) {
        if (http_serve(a->m, metrics_addr, stall_ms, &a->http, &err) < 0) {
            start_refused("%s", err.msg);
            agent_free(a);
            return EXIT_INVALID;
        }
        log_info("serving /metrics, /healthz and /readyz on port %u", http_port(a->http));
    }
    if (held) {
        int r = standby(a, &err);
        if (r != 0) {
            if (r < 0)
                start_refused("--kubelet-root %s: %s", root, err.msg);
            agent_free(a);
            return r < 0 ? EXIT_INVALID : 0;
        }
    }
    if (a->place_timer)
        evtimer_arm(a->place_timer, PLACE_CHECK_MS);
    int r = a->once ? 0 : store_start_reaper(a->store);
    if (r < 0) /* slower, not weaker: replaced files are then closed inline */
        log_warning("cannot start the thread that closes replaced files: %s", strerror(-r));
    return -1;
}

int agent_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"local", required_argument, NULL, 'l'},
        {"kubelet-root", required_argument, NULL, 'k'},
        {"metrics-addr", required_argument, NULL, 'm'},
        {"node-name", required_argument, NULL, 'n'},
        {"kubeconfig", required_argument, NULL, 'c'},
        {"log-format", required_argument, NULL, 'f'},
        {"arch", required_argument, NULL, 'a'},
        {"once", no_argument, NULL, 'o'},
        {"startup-syscalls", required_argument, NULL, 'S'},
        {"node-taint", required_argument, NULL, 't'},
        {"kubearmor-policies", required_argument, NULL, 'A'},
        {"proof-workers", required_argument, NULL, 'W'},
        {"proof-cpu-seconds", required_argument, NULL, 'C'},
        {"proof-memory", required_argument, NULL, 'M'},
        {"stall-timeout", required_argument, NULL, 'T'},
        {"recording", no_argument, NULL, 'R'},
        {"cgroup-root", required_argument, NULL, 'G'},
        {"kubepods-cgroup", required_argument, NULL, 'K'},
        {"bpf-pin-dir", required_argument, NULL, 'B'},
        {"record-interval", required_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *local = NULL, *metrics_addr = ":9750", *node = getenv("NODE_NAME");
    const char *kubeconfig = NULL;
    const char *root = getenv("KSCMP_KUBELET_ROOT");
    if (!root || !*root)
        root = "/var/lib/kubelet";
    int arch = -1, opt;
    bool once = false, startup = true, taint = true, recording = false, kubearmor = true;
    struct prover_opts proof = {0};
    uint64_t stall_ms = 30000;
    struct recordings_opts ro = {
        .recorder = {.cgroup_root = "/sys/fs/cgroup", .pin_dir = "/sys/fs/bpf/kscmp"}};
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (opt) {
        case 'l':
            local = optarg;
            break;
        case 'k':
            root = optarg;
            break;
        case 'm': {
            struct kerr aerr = {0};
            if (!*optarg)
                return usage_refused("--metrics-addr: empty; \"off\" turns the endpoint off");
            if (strcmp(optarg, "off") != 0 && http_addr_check(optarg, &aerr) < 0) {
                return usage_refused("%s", aerr.msg);
            }
            metrics_addr = optarg;
            break;
        }
        case 'n':
            node = optarg;
            break;
        case 'c':
            kubeconfig = optarg;
            break;
        case 'f':
            if (log_set_format(optarg) < 0) {
                return usage_refused("--log-format is text or json, not \"%s\"", optarg);
            }
            break;
        case 'a':
            arch = arch_parse(optarg);
            if (arch < 0) {
                return usage_refused("unknown architecture \"%s\"", optarg);
            }
            break;
        case 'o':
            once = true;
            break;
        case 'S':
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "none") != 0) {
                return usage_refused("--startup-syscalls is auto or none, not \"%s\"", optarg);
            }
            startup = strcmp(optarg, "auto") == 0;
            break;
        case 't':
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
                return usage_refused("--node-taint is on or off, not \"%s\"", optarg);
            }
            taint = strcmp(optarg, "on") == 0;
            break;
        case 'A':
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
                return usage_refused("--kubearmor-policies is on or off, not \"%s\"", optarg);
            }
            kubearmor = strcmp(optarg, "on") == 0;
            break;
        case 'W':
        case 'C':
        case 'M': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            unsigned long max = opt == 'W' ? PROVER_MAX_WORKERS : opt == 'C' ? 3600 : 65536;
            if (*end || !*optarg || v < 1 || v > max)
                return usage_refused("--%s: want a number from 1 to %lu, not \"%s\"",
                                     opt == 'W'   ? "proof-workers"
                                     : opt == 'C' ? "proof-cpu-seconds"
                                                  : "proof-memory",
                                     max, optarg);
            if (opt == 'W')
                proof.workers = (unsigned)v;
            else if (opt == 'C')
                proof.cpu_seconds = (unsigned)v;
            else
                proof.memory_mib = (unsigned)v;
            break;
        }
        case 'T': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || !*optarg || v > 86400)
                return usage_refused("--stall-timeout: want seconds from 0 to 86400, not \"%s\"",
                                     optarg);
            stall_ms = (uint64_t)v * 1000;
            break;
        }
        case 'R':
            recording = true;
            break;
        case 'G':
            ro.recorder.cgroup_root = optarg;
            break;
        case 'K':
            ro.recorder.kubepods = optarg;
            break;
        case 'B':
            ro.recorder.pin_dir = strcmp(optarg, "off") == 0 ? NULL : optarg;
            break;
        case 'I': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 3600)
                return usage_refused("--record-interval is 1 to 3600 seconds, not \"%s\"", optarg);
            ro.collect_ms = (unsigned)v * 1000;
            break;
        }
        case 'h':
            fputs(agent_help, stdout);
            return 0;
        case ':': /* getopt's words; opterr is 0 so that they reach the termination message */
            return usage_refused("option '%s' requires an argument\nRun 'kscmp agent --help' for "
                                 "usage.",
                                 opt_spelled(opts, argv[optind - 1], optopt));
        default: {
            const char *name = opt_spelled(opts, argv[optind - 1], optopt);
            return usage_refused("%s option '%s'\nRun 'kscmp agent --help' for usage.",
                                 long_prefix_count(opts, name) > 1 ? "ambiguous" : "unrecognized",
                                 name);
        }
        }
    }
    if (optind < argc)
        return usage_refused("unexpected argument \"%s\"", argv[optind]);
    /* Against an API server the agent keeps watching; a single pass is --local's. */
    if (once && !local)
        return usage_refused("--once works with --local only");
    if (!local && (!node || !*node))
        return usage_refused("the node's name is needed: --node-name NAME or $NODE_NAME (from "
                             "the downward API), or use --local DIR");
    if (local && recording)
        return usage_refused("--recording needs the API server (SeccompRecordings), not --local");
    if (local && !kubearmor)
        return usage_refused("--kubearmor-policies is about the API server's objects, not --local "
                             "(leave the KubeArmorSeccompPolicy documents out of DIR)");
    /* --local reads no object from an API server and sends it nothing (no Event, no status),
     * --once included: a kubeconfig given would be ignored. */
    if (local && kubeconfig)
        return usage_refused("--local and --kubeconfig do not go together (--local reads its "
                             "objects from DIR and sends nothing to an API server)");

    /* Each change makes and frees about 64 KiB (the policy's YAML, the profile's text), and
     * glibc gives the top of the heap back at once: brk() down, then up again at the next
     * change, whose new pages fault in again. Kept up to 512 KiB (and grown 128 KiB ahead):
     * 15-40 us less per change in bench_agent.py (a), and no RSS change in its (b) (README,
     * Benchmarks). */
    mallopt(M_TRIM_THRESHOLD, 512 * 1024);
    mallopt(M_TOP_PAD, 128 * 1024);

    /* Blocked before any thread starts (the HTTP endpoint's), so only signalfd sees them. With
     * --once no loop reads them: SIGTERM and SIGINT keep their default action and end the run
     * at once (a file is renamed into place whole or not at all), rather than going unheard. */
    sigset_t mask;
    sigemptyset(&mask);
    if (!once) {
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
    }
    sigaddset(&mask, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    sigdelset(&mask, SIGPIPE);

    struct agent a = {.sigfd = -1, .once = once, .seccomp_fd = -1};
    event_dedup_init(&a.events_seen);
    struct kerr err = {0};
    int r = metrics_new(&a.m);
    if (r == 0)
        r = engine_new(arch, &a.e);
    if (r == 0)
        r = evloop_new(&a.l);
    if (r == 0)
        r = evtimer_new(a.l, on_heartbeat, &a, &a.heartbeat);
    if (r < 0) {
        start_refused("cannot start: %s", strerror(-r));
        agent_free(&a);
        return EXIT_INVALID;
    }
    engine_set_logger(a.e, log_engine, &a);
    engine_set_startup(a.e, startup);
    if (!local && check_kubelet_root(root) < 0) {
        agent_free(&a);
        return EXIT_INVALID;
    }
    /* Before the store is opened: its folders cannot be made in a removed one. */
    r = place_start(&a, root, &err);
    if (r == 0 && store_open(root, &a.store, &err) < 0) {
        start_refused("--kubelet-root: %s", err.msg);
        agent_free(&a);
        return EXIT_INVALID;
    }
    /* Before anything is written or cleaned there (the start removes temporary files: another
     * agent's in-flight ones). --once waits a while for another holder (one stopping), then
     * fails: a gate must end. An agent that keeps running stands by instead, below. */
    bool held = false; /* by another agent: stand by */
    if (r == 0) {
        int lr = store_lock(a.store, once ? STORE_LOCK_WAIT_MS : 0, &err);
        held = lr == -EBUSY && !once;
        if (lr < 0 && !held) {
            start_refused("--kubelet-root: %s", err.msg);
            agent_free(&a);
            return EXIT_INVALID;
        }
        kerr_clear(&err);
    }
    if (r < 0) {
        start_refused("--kubelet-root %s: %s", root, err.msg[0] ? err.msg : strerror(-r));
        agent_free(&a);
        return EXIT_INVALID;
    }
    a.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (a.sigfd < 0 || evloop_add_fd(a.l, a.sigfd, EPOLLIN, on_signal, &a) < 0) {
        start_refused("signalfd: %s", strerror(errno));
        agent_free(&a);
        return EXIT_INVALID;
    }
    r = once ? 0 : evtimer_new(a.l, on_place_check, &a, &a.place_timer);
    if (r < 0) {
        start_refused("cannot start: %s", strerror(-r));
        agent_free(&a);
        return EXIT_INVALID;
    }
    r = reconciler_new(a.e, a.store, a.m, once ? NULL : a.l, &proof, &a.rec, &err);
    a.local_dir = local;
    if (r == 0 && local)
        r = localsrc_new(local, a.e, once ? NULL : a.l, a.m, on_change, &a, &a.local, &err);
    if (r < 0) {
        start_refused("%s", err.msg[0] ? err.msg : strerror(-r));
        agent_free(&a);
        return EXIT_INVALID;
    }
    if (!local) {
        a.needs = (struct access_needs){.kubearmor = kubearmor,
                                        .taint = taint,
                                        .recording = recording,
                                        .node = node,
                                        .pod_ns = getenv("POD_NAMESPACE"),
                                        .pod_name = getenv("POD_NAME")};
        struct kube_config *cfg = NULL;
        r = kube_config_load(kubeconfig, &cfg, &err);
        if (r == 0)
            r = kube_new(cfg, a.l, a.m, &a.kube, &err);
        if (r == 0)
            r = kubesrc_new(a.kube, a.e, a.l, a.m, a.rec, a.store, node, &a.ksrc);
        if (r == 0 && !kubearmor)
            kubesrc_skip_kubearmor(a.ksrc);
        if (r == 0 && recording)
            r = kubesrc_enable_recordings(a.ksrc, node, &ro);
        if (r < 0) {
            start_refused("%s", err.msg[0] ? err.msg : strerror(-r));
            agent_free(&a);
            return EXIT_INVALID;
        }
        if (r == 0 && taint) {
            r = node_taint_new(a.kube, a.l, node, getenv("POD_NAMESPACE"), getenv("POD_NAME"),
                               &a.taint);
            if (r == -EINVAL)
                kerr_set(&err, r, "--node-name %s: not a node name", node);
            if (r == 0)
                r = evtimer_new(a.l, on_ready_poll, &a, &a.ready_poll);
            if (r == 0)
                evtimer_arm(a.ready_poll, 200);
        }
        if (r < 0) {
            start_refused("%s", err.msg[0] ? err.msg : strerror(-r));
            agent_free(&a);
            return EXIT_INVALID;
        }
        if ((r = go_live(&a, held, metrics_addr, stall_ms, root)) != -1)
            return r;
        reconciler_set_event_sink(a.rec, kubesrc_event, a.ksrc);
        log_info("kscmp agent: node %s, API server %s, profiles below %s", node,
                 kube_server(a.kube), store_path(a.store));
        if (reconciler_start(a.rec, &err) < 0) {
            start_refused("%s", err.msg);
            agent_free(&a);
            return EXIT_INVALID;
        }
        kubesrc_start(a.ksrc);
        evtimer_arm(a.heartbeat, 0);
        r = evloop_run(a.l);
        log_stopped(&a);
        agent_free(&a);
        return r < 0 ? EXIT_INVALID : r;
    }
    if ((r = go_live(&a, held, metrics_addr, stall_ms, root)) != -1)
        return r;
    reconciler_set_event_sink(a.rec, on_event, &a);
    log_info("kscmp agent: local source %s, profiles below %s", local, store_path(a.store));
    if (reconciler_start(a.rec, &err) < 0) {
        start_refused("%s", err.msg);
        agent_free(&a);
        return EXIT_INVALID;
    }
    uint64_t t0 = now_us();
    r = localsrc_load_all(a.local);
    if (once) {
        /* Nothing is written or removed from a source read in part. */
        if (r == 0 && !localsrc_complete(a.local))
            log_error("--local %s: %u manifest(s) could not be read: nothing is written or "
                      "removed",
                      local, localsrc_unknown(a.local));
        if (r == 0 && localsrc_complete(a.local))
            local_first_sync(&a, t0);
        /* A pod with a Warning Event (its profile not written as asked: no policy, a policy
         * invalid, a reference or a profile refused, no architecture in common, a file shared
         * with different policies; or written but blocking the runtime's start-up), an
         * invalid policy, a file that could not be written or removed (a folder on the way is
         * a symbolic link, a full disk: the error above names it) or an object defined in two
         * files (which one is meant is not known; validate refuses it) fails the run: the job
         * is a gate. It ends with one line that says which, as "ready: ..." says all is well. */
        unsigned twice = localsrc_defined_twice(a.local);
        unsigned unwritten = a.first_done ? reconciler_pending(a.rec) : 0;
        r = a.first_done && !unwritten && !a.warnings && !a.invalid_policies && !twice
                ? 0
                : EXIT_INVALID;
        if (r == 0)
            log_info("ready: the first complete set of profiles is on disk");
        if (a.first_done && r != 0)
            log_error("--once: %u pod Event(s), %u invalid polic%s, %u file(s) not written or "
                      "removed, %u second definition(s) of an object: exit 1",
                      a.warnings, a.invalid_policies, a.invalid_policies == 1 ? "y" : "ies",
                      unwritten, twice);
        agent_free(&a);
        return r;
    }
    if (r == 0)
        local_first_sync(&a, t0); /* else the source retries and calls on_change */
    evtimer_arm(a.heartbeat, 0);
    r = evloop_run(a.l);
    log_stopped(&a);
    agent_free(&a);
    return r < 0 ? EXIT_INVALID : r;
}
