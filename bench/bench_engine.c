/* bench_engine.c - how fast the policy engine indexes, compiles and syncs, and how much memory
 * it holds. No assertions on time: it prints a table to compare with the aims.
 *
 * Generates, in memory, YAML for N policies (1k and 10k) across 100 namespaces (20-60 syscalls
 * each, some groups, some argument conditions, some extends chains, selectors on app labels,
 * a few ClusterSeccompPolicies) plus 250 pods, and a namespace "hot" where 50 policies select
 * one pod. Each scenario runs in a child process so that peak RSS is its own. Times are the
 * thread's CPU time (user + system), not wall time.
 *
 * Usage: bench_engine [RUNS]     (RUNS of the 50-policy compile, default 200)
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/cleanup.h"
#include "engine/manifest.h"
#include "engine/decode.h"
#include "engine/engine.h"
#include "engine/doc.h"
#include "bench.h"

#define NAMESPACES 100
#define APPS_PER_NS 20
#define PODS 250
#define HOT_POLICIES 50
#define CLUSTER_POLICIES 10

/* Syscalls an ordinary service uses (all exist on x86_64). */
static const char *const common[] = {
    "accept",
    "accept4",
    "access",
    "arch_prctl",
    "bind",
    "brk",
    "capget",
    "chdir",
    "clock_getres",
    "clock_gettime",
    "clock_nanosleep",
    "close",
    "connect",
    "dup",
    "dup2",
    "dup3",
    "epoll_create1",
    "epoll_ctl",
    "epoll_pwait",
    "epoll_wait",
    "eventfd2",
    "execve",
    "exit",
    "exit_group",
    "faccessat",
    "fadvise64",
    "fchdir",
    "fchmod",
    "fchown",
    "fcntl",
    "fdatasync",
    "flock",
    "fstat",
    "fstatfs",
    "fsync",
    "ftruncate",
    "futex",
    "getcwd",
    "getdents64",
    "getegid",
    "geteuid",
    "getgid",
    "getpeername",
    "getpgrp",
    "getpid",
    "getppid",
    "getrandom",
    "getresgid",
    "getresuid",
    "getrlimit",
    "getrusage",
    "getsockname",
    "getsockopt",
    "gettid",
    "gettimeofday",
    "getuid",
    "inotify_add_watch",
    "inotify_init1",
    "ioctl",
    "kill",
    "listen",
    "lseek",
    "lstat",
    "madvise",
    "membarrier",
    "mincore",
    "mkdir",
    "mmap",
    "mprotect",
    "mremap",
    "munmap",
    "nanosleep",
    "newfstatat",
    "open",
    "openat",
    "pipe",
    "pipe2",
    "poll",
    "ppoll",
    "prctl",
    "pread64",
    "prlimit64",
    "pselect6",
    "pwrite64",
    "read",
    "readlink",
    "readlinkat",
    "readv",
    "recvfrom",
    "recvmmsg",
    "recvmsg",
    "rename",
    "renameat",
    "rmdir",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sched_getaffinity",
    "sched_yield",
    "select",
    "sendfile",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "set_robust_list",
    "set_tid_address",
    "setitimer",
    "setsockopt",
    "shutdown",
    "sigaltstack",
    "socket",
    "socketpair",
    "stat",
    "statfs",
    "statx",
    "symlink",
    "sysinfo",
    "tgkill",
    "timerfd_create",
    "timerfd_settime",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utimensat",
    "wait4",
    "waitid",
    "write",
    "writev",
};

static const char *const dangerous[] = {
    "ptrace",      "mount",         "umount2", "kexec_load",      "reboot", "swapon",  "swapoff",
    "init_module", "delete_module", "bpf",     "perf_event_open", "keyctl", "add_key", "unshare",
    "setns",       "pivot_root",    "acct",    "settimeofday",
};

static const char *const groups[] = {"@basic-io", "@network-io", "@io-event",
                                     "@timer",    "@signal",     "dns",
                                     "malloc",    "tmp-files",   "inet-client"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng = 0x6b73636d70ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 2685821657736338717ull) >> 33) % n;
}

/* CPU time of this thread (user and system), in ms: the figures stay comparable on a busy
 * machine, where wall time also counts the time others run. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The resident set size now, in KiB. */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static long maxrss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* ---- generating the objects -------------------------------------------------------------- */

/* Writes count distinct names of pool as a YAML flow list. */
static void pick_list(FILE *f, const char *const *pool, size_t npool, size_t count)
{
    bool used[256] = {false};
    fputc('[', f);
    for (size_t k = 0; k < count && k < npool; k++) {
        size_t i;
        do
            i = rnd((uint32_t)npool);
        while (used[i]);
        used[i] = true;
        fprintf(f, "%s%s%s%s", k ? ", " : "", pool[i][0] == '@' ? "\"" : "", pool[i],
                pool[i][0] == '@' ? "\"" : "");
    }
    fputc(']', f);
}

/* The spec body shared by every generated policy: seccomp, and maybe rules. */
static void policy_body(FILE *f)
{
    fprintf(f, "  seccomp:\n    syscalls: ");
    pick_list(f, common, N(common), 20 + rnd(41));
    fputc('\n', f);
    if (rnd(100) < 30) {
        fprintf(f, "    groups: ");
        pick_list(f, groups, N(groups), 1 + rnd(2));
        fputc('\n', f);
    }
    fprintf(f, "    action: Allow\n");
    bool block = rnd(100) < 25, args = rnd(100) < 15;
    if (!block && !args)
        return;
    fprintf(f, "  rules:\n");
    if (block) {
        fprintf(f, "  - syscalls: ");
        pick_list(f, dangerous, N(dangerous), 2 + rnd(3));
        fprintf(f, "\n    action: Block\n%s", rnd(2) ? "    errno: EACCES\n" : "");
    }
    if (args) {
        switch (rnd(3)) {
        case 0:
            fprintf(f, "  - syscalls: [personality]\n    action: Allow\n"
                       "    args: [{index: 0, value: 0, op: EQ}]\n");
            break;
        case 1:
            fprintf(f, "  - syscalls: [socket]\n    action: Allow\n"
                       "    args: [{index: 0, value: 2, op: EQ}]\n");
            break;
        default:
            fprintf(f, "  - syscalls: [clone]\n    action: Allow\n"
                       "    args: [{index: 0, value: 2114060288, valueTwo: 0, op: MASKED_EQ}]\n");
        }
    }
}

/* Documents, one object each (as they come from the API server, one watch event each). */
struct docs {
    char **v;
    size_t *len;
    size_t n, cap;
};

struct gen {
    struct docs objects; /* namespaces, cluster policies, namespaced policies */
    struct docs hot;     /* the 50 hot policies and their base, again, for re-puts */
    struct docs pods;
};

static void docs_add(struct docs *d, char *s, size_t len)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 1024;
        d->v = realloc(d->v, d->cap * sizeof(*d->v));
        d->len = realloc(d->len, d->cap * sizeof(*d->len));
        if (!d->v || !d->len)
            exit(1);
    }
    d->v[d->n] = s;
    d->len[d->n++] = len;
}

static void docs_free(struct docs *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i]);
    free(d->v);
    free(d->len);
    *d = (struct docs){0};
}

/* The document being written: f writes into it, doc_end() adds it to d. */
static char *cur_buf;
static size_t cur_len;

static FILE *doc_begin(void)
{
    FILE *f = open_memstream(&cur_buf, &cur_len);
    if (!f)
        exit(1);
    return f;
}

static void doc_end(FILE *f, struct docs *d)
{
    fclose(f);
    docs_add(d, cur_buf, cur_len);
}

/* nper policies in each of NAMESPACES namespaces, plus the hot namespace and the pods. */
static void generate(size_t npolicies, struct gen *g)
{
    rng = 0x6b73636d70ull + npolicies;
    FILE *f;
    static const char *const envs[] = {"prod", "dev", "staging"};
    for (int n = 0; n < NAMESPACES; n++) {
        f = doc_begin();
        fprintf(f,
                "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-%03d\n"
                "  labels: {env: %s, team: team-%d}\n",
                n, envs[n % 3], n % 7);
        doc_end(f, &g->objects);
    }
    f = doc_begin();
    fprintf(f, "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: hot\n"
               "  labels: {env: prod}\n");
    doc_end(f, &g->objects);
    for (int c = 0; c < CLUSTER_POLICIES; c++) {
        f = doc_begin();
        fprintf(f,
                "---\napiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata:\n"
                "  name: cbase-%d\nspec:\n",
                c);
        if (c < 3)
            fprintf(f,
                    "  selector: {}\n  namespaceSelector: {matchLabels: {env: %s}}\n"
                    "  seccomp:\n    syscalls: ",
                    envs[c]);
        else
            fprintf(f, "  seccomp:\n    syscalls: "); /* bases, used by extends */
        pick_list(f, c < 3 ? dangerous : common, c < 3 ? N(dangerous) : N(common), c < 3 ? 6 : 30);
        fprintf(f, "\n    action: %s\n", c < 3 ? "Kill" : "Allow");
        doc_end(f, &g->objects);
    }
    size_t nper = npolicies / NAMESPACES;
    for (int n = 0; n < NAMESPACES; n++) {
        int depth[1024] = {0};
        for (size_t j = 0; j < nper; j++) {
            char name[64];
            if (j < APPS_PER_NS)
                snprintf(name, sizeof(name), "app-%zu", j);
            else
                snprintf(name, sizeof(name), "pol-%05zu", j);
            f = doc_begin();
            fprintf(f,
                    "---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n"
                    "  name: %s\n  namespace: ns-%03d\n  uid: %08x-0000-4000-8000-%012zx\n"
                    "  resourceVersion: \"%u\"\n  generation: 1\nspec:\n",
                    name, n, rnd(1u << 31), j, rnd(1000000));
            uint32_t sel = rnd(100);
            if (j >= APPS_PER_NS && sel < 80)
                fprintf(f, "  selector: {matchLabels: {app: app-%u}}\n", rnd(APPS_PER_NS));
            else if (j >= APPS_PER_NS && sel < 90)
                fprintf(f,
                        "  selector:\n    matchLabels: {app: app-%u}\n"
                        "    matchExpressions: [{key: tier, operator: In, values: [fe, be]}]\n",
                        rnd(APPS_PER_NS));
            uint32_t ext = rnd(100);
            if (j > APPS_PER_NS && ext < 20) {
                /* a parent earlier in the namespace, keeping chains at most 3 long */
                size_t p = APPS_PER_NS + rnd((uint32_t)(j - APPS_PER_NS));
                if (depth[p % 1024] < 2) {
                    fprintf(f, "  extends: pol-%05zu\n", p);
                    depth[j % 1024] = depth[p % 1024] + 1;
                }
            } else if (ext < 25)
                fprintf(f, "  extends: runtime/default\n");
            else if (ext < 30)
                fprintf(f, "  extends: ClusterSeccompPolicy/cbase-%u\n",
                        3 + rnd(CLUSTER_POLICIES - 3));
            policy_body(f);
            doc_end(f, &g->objects);
        }
    }
    /* The hot namespace: a base and 50 policies that all select app=hot. */
    f = doc_begin();
    fprintf(f, "---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n"
               "  name: hot-base\n  namespace: hot\nspec:\n");
    policy_body(f);
    doc_end(f, &g->hot);
    for (int j = 0; j < HOT_POLICIES; j++) {
        f = doc_begin();
        fprintf(f,
                "---\napiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n"
                "  name: hot-%02d\n  namespace: hot\nspec:\n  selector: {matchLabels: {app: hot}}\n"
                "%s",
                j, j % 5 == 0 ? "  extends: hot-base\n" : "");
        policy_body(f);
        doc_end(f, &g->hot);
    }
    for (size_t i = 0; i < g->hot.n; i++) {
        char *copy = strdup(g->hot.v[i]);
        if (!copy)
            exit(1);
        docs_add(&g->objects, copy, g->hot.len[i]);
    }

    for (int i = 0; i < PODS; i++) {
        f = doc_begin();
        bool hot = i == 0;
        int n = (int)rnd(NAMESPACES);
        unsigned app = rnd(APPS_PER_NS);
        char ns[32], appname[32];
        snprintf(ns, sizeof(ns), hot ? "hot" : "ns-%03d", n);
        snprintf(appname, sizeof(appname), hot ? "hot" : "app-%u", app);
        fprintf(f,
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-%03d\n  namespace: %s\n"
                "  uid: 0000-%04d\n  labels: {app: %s, tier: %s}\nspec:\n  nodeName: node-1\n"
                "  securityContext:\n    seccompProfile:\n      type: Localhost\n"
                "      localhostProfile: kscmp/%s/%s.json\n"
                "  containers:\n  - name: main\n    image: registry.example/app:1\n",
                i, ns, i, appname, rnd(2) ? "fe" : "be", ns, appname);
        doc_end(f, &g->pods);
    }
}

/* ---- loading ----------------------------------------------------------------------------- */

struct timing {
    double parse, decode, put;
};

struct objects {
    struct object *v;
    size_t n, cap;
};

static int collect(struct object *o, void *userdata)
{
    struct objects *os = userdata;
    if (os->n == os->cap) {
        os->cap = os->cap ? os->cap * 2 : 16;
        os->v = realloc(os->v, os->cap * sizeof(*os->v));
        if (!os->v)
            return -ENOMEM;
    }
    os->v[os->n++] = *o;
    *o = (struct object){0};
    return 0;
}

static void die(const char *what, const struct kerr *err)
{
    fprintf(stderr, "bench: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

/* A document tree as JSON (what the API server sends), for the JSON path. */
static json_t *ynode_to_json(const struct ynode *n)
{
    if (n->kind == YN_MAP) {
        json_t *o = json_object();
        for (size_t i = 0; i < n->n; i++)
            json_object_set_new(o, n->keys[i], ynode_to_json(n->items[i]));
        return o;
    }
    if (n->kind == YN_SEQ) {
        json_t *a = json_array();
        for (size_t i = 0; i < n->n; i++)
            json_array_append_new(a, ynode_to_json(n->items[i]));
        return a;
    }
    switch (n->stype) {
    case YS_INT:
        return json_integer(strtoll(n->str, NULL, 10));
    case YS_FLOAT:
        return json_real(strtod(n->str, NULL));
    case YS_BOOL:
        return json_boolean(strcmp(n->str, "true") == 0);
    case YS_NULL:
        return json_null();
    default:
        return json_string(n->str);
    }
}

/* Turns every YAML document of d into compact JSON text, in place. */
static void docs_to_json(struct docs *d)
{
    for (size_t i = 0; i < d->n; i++) {
        struct ynode **docs = NULL;
        size_t n = 0;
        struct kerr err = {0};
        if (ydoc_parse_yaml(d->v[i], d->len[i], "bench.yaml", &docs, &n, &err) < 0 || n != 1)
            die("to json", &err);
        json_t *j = ynode_to_json(docs[0]);
        ydoc_free_all(docs, n);
        char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!text)
            die("json_dumps", NULL);
        free(d->v[i]);
        d->v[i] = text;
        d->len[i] = strlen(text);
    }
}

/* The clock for one step of a load, or none (t NULL: the load is timed whole by its caller). */
static double tick(const struct timing *t)
{
    return t ? now_ms() : 0;
}

/* Parses (jansson), converts, decodes and puts one JSON object into e. */
static void load_json(struct engine *e, const char *text, size_t len, struct timing *t)
{
    struct kerr err = {0};
    json_error_t jerr;
    double t0 = tick(t);
    json_t *j = json_loadb(text, len, 0, &jerr);
    struct ynode *doc = NULL;
    if (!j || ydoc_from_json(j, &doc, &err) < 0)
        die("json", &err);
    json_decref(j);
    double t1 = tick(t);
    struct object o;
    if (decode_object(doc, "", &o, &err) < 0)
        die("decode", &err);
    double t2 = tick(t);
    ynode_free(doc);
    double t3 = tick(t);
    if (engine_put_object(&o, e) < 0)
        die("put", NULL);
    object_clear(&o);
    double t4 = tick(t);
    if (t) {
        t->parse += t1 - t0;
        t->decode += t2 - t1;
        t->put += t4 - t3;
    }
}

/* Parses, decodes and puts one YAML text (one or more documents) into e the way the agent's
 * --local source does: documents streamed through manifest_load_buffer (parsed, decoded and
 * freed one at a time) into a batch, then put. Parsing and decoding are interleaved, so
 * their sum is counted as "parse" and "decode" stays 0 for this column. */
static void load_text(struct engine *e, const char *yaml, size_t len, struct timing *t)
{
    struct kerr err = {0};
    struct objects os = {0};
    double t0 = tick(t);
    if (manifest_load_buffer(yaml, len, "bench.yaml", collect, &os, &err) < 0)
        die("parse", &err);
    double t3 = tick(t);
    for (size_t i = 0; i < os.n; i++) {
        if (engine_put_object(&os.v[i], e) < 0)
            die("put", NULL);
        object_clear(&os.v[i]);
    }
    double t4 = tick(t);
    free(os.v);
    if (t) {
        t->parse += t3 - t0;
        t->put += t4 - t3;
    }
}

struct counter {
    size_t writes, keeps, removes, bytes, events;
};

static int count_file(const struct file_result *r, void *userdata)
{
    struct counter *c = userdata;
    if (r->action == FILE_WRITE) {
        c->writes++;
        c->bytes += r->len;
    } else if (r->action == FILE_KEEP)
        c->keeps++;
    else
        c->removes++;
    return 0;
}

static int count_event(const struct engine_event *ev, void *userdata)
{
    ((struct counter *)userdata)->events++;
    return 0;
}

struct stats {
    double median, p99, max;
};

static struct stats stats_of(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    size_t k = (size_t)(0.99 * (double)n);
    return (struct stats){v[n / 2], v[k < n ? k : n - 1], v[n - 1]};
}

/* ---- scenarios --------------------------------------------------------------------------- */

/* ---- scenarios --------------------------------------------------------------------------- */

enum mode { ONE_BY_ONE_YAML, ONE_BY_ONE_JSON, ONE_FILE_YAML };

/* What a scenario measured (written by the child into shared memory). */
struct result {
    bool done, full;
    size_t npolicies, nobjects;
    double parse, decode, put; /* each step's clocks, read around it for every object */
    double whole;              /* the same load with one clock around it all (load_whole()) */
    double rss_idx, peak_idx;  /* MiB */
    double sync_cold, sync_warm;
    size_t written, events;
    struct stats hot_one, hot_all, reput;
    double rss_sync, peak; /* MiB */
};

static void load_doc(struct engine *e, enum mode m, const struct docs *d, size_t i,
                     struct timing *t)
{
    if (m == ONE_BY_ONE_JSON)
        load_json(e, d->v[i], d->len[i], t);
    else
        load_text(e, d->v[i], d->len[i], t);
}

/* The documents of the scenario, as the mode loads them. */
static void prepare(size_t npolicies, enum mode m, struct gen *g)
{
    generate(npolicies, g);
    if (m == ONE_BY_ONE_JSON) {
        docs_to_json(&g->objects);
        docs_to_json(&g->hot);
        docs_to_json(&g->pods);
    } else if (m == ONE_FILE_YAML) {
        char *all = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&all, &len);
        if (!f)
            die("open_memstream", NULL);
        for (size_t i = 0; i < g->objects.n; i++)
            fwrite(g->objects.v[i], 1, g->objects.len[i], f);
        fclose(f);
        docs_free(&g->objects);
        docs_add(&g->objects, all, len);
    }
}

/* The load of scenario() alone, with one clock around it: the clocks that scenario() reads
 * around each step of each object (a system call each, ~1.3 us on this project's VM, where
 * CLOCK_THREAD_CPUTIME_ID has no vDSO path) are not in it. */
static void load_whole(size_t npolicies, enum mode m, struct result *res)
{
    struct gen g = {0};
    prepare(npolicies, m, &g);
    struct engine *e = NULL;
    if (engine_new(arch_parse("x86_64"), &e) < 0)
        die("engine_new", NULL);
    double t0 = now_ms();
    for (size_t i = 0; i < g.objects.n; i++)
        load_doc(e, m, &g.objects, i, NULL);
    res->whole = now_ms() - t0;
    engine_free(e);
    docs_free(&g.objects);
    docs_free(&g.hot);
    docs_free(&g.pods);
    res->done = true;
}

/* Loads the objects (one by one as the agent gets them from the API server, or as one file
 * as kscmp compile -f and agent --local read them), then the pods, syncs, and compiles the
 * 50-policy file again and again. */
static void scenario(size_t npolicies, enum mode m, int runs, struct result *res)
{
    struct gen g = {0};
    prepare(npolicies, m, &g);
    res->npolicies = npolicies;
    res->nobjects = g.objects.n;
    malloc_trim(0);
    long rss0 = rss_kib();

    struct engine *e = NULL;
    if (engine_new(arch_parse("x86_64"), &e) < 0)
        die("engine_new", NULL);
    struct timing t = {0};
    for (size_t i = 0; i < g.objects.n; i++)
        load_doc(e, m, &g.objects, i, &t);
    docs_free(&g.objects);
    malloc_trim(0);
    res->parse = t.parse;
    res->decode = t.decode;
    res->put = t.put;
    res->rss_idx = (rss_kib() - rss0) / 1024.0;
    res->peak_idx = maxrss_kib() / 1024.0;
    res->full = m != ONE_FILE_YAML;
    if (!res->full) {
        docs_free(&g.hot);
        docs_free(&g.pods);
        engine_free(e);
        res->done = true;
        return;
    }

    struct timing tp = {0};
    for (size_t i = 0; i < g.pods.n; i++)
        load_doc(e, m, &g.pods, i, &tp);
    docs_free(&g.pods);

    /* A full sync of 250 pods, cold (nothing compiled) and warm (policies compiled). */
    struct counter cold = {0}, warm = {0};
    struct sync_ops ops = {count_file, count_event, &cold};
    double t0 = now_ms();
    if (engine_sync(e, &ops) < 0)
        die("sync", NULL);
    res->sync_cold = now_ms() - t0;
    res->written = cold.writes;
    res->events = cold.events;
    engine_touch_all(e);
    ops.userdata = &warm;
    t0 = now_ms();
    engine_sync(e, &ops);
    res->sync_warm = now_ms() - t0;
    malloc_trim(0);
    res->rss_sync = (rss_kib() - rss0) / 1024.0;

    /* One pod's file that 50 policies match. g.hot: [0] the base, [1..50] the 50. */
    struct counter hot = {0};
    struct sync_ops hops = {count_file, count_event, &hot};
    double *one = calloc((size_t)runs, sizeof(double));
    double *all = calloc((size_t)runs, sizeof(double));
    double *put = calloc((size_t)runs, sizeof(double));
    if (!one || !all || !put)
        die("calloc", NULL);
    for (int i = 0; i < runs; i++) {
        size_t k = 1 + (size_t)i % HOT_POLICIES;
        struct timing tt = {0};
        load_doc(e, m, &g.hot, k, &tt); /* invalidates one of the 50 */
        put[i] = tt.parse + tt.decode + tt.put;
        double a = now_ms();
        if (engine_compute_file(e, "hot/hot.json", &hops) < 0)
            die("compute", NULL);
        one[i] = now_ms() - a;
    }
    for (int i = 0; i < runs; i++) {
        struct timing tt = {0}; /* every one of the 50 and their base recompiled */
        for (size_t k = 0; k < g.hot.n; k++)
            load_doc(e, m, &g.hot, k, &tt);
        double a = now_ms();
        engine_compute_file(e, "hot/hot.json", &hops);
        all[i] = now_ms() - a;
    }
    res->hot_one = stats_of(one, (size_t)runs);
    res->hot_all = stats_of(all, (size_t)runs);
    res->reput = stats_of(put, (size_t)runs);
    res->peak = maxrss_kib() / 1024.0;
    free(one);
    free(all);
    free(put);
    docs_free(&g.hot);
    engine_free(e);
    res->done = true;
}

/* scenario() (or with whole, load_whole()) in a child process, so that its peak RSS is its
 * own. */
static int in_child(size_t npolicies, enum mode m, int runs, bool whole, struct result *res)
{
    fflush(stdout);
    res->done = false;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (whole)
            load_whole(npolicies, m, res);
        else
            scenario(npolicies, m, runs, res);
        _exit(0);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || !res->done) {
        fprintf(stderr, "bench: scenario %zu failed\n", npolicies);
        return -1;
    }
    return 0;
}

#define NCOLS 6

static void row(const char *label, const struct result *r, double (*get)(const struct result *),
                const char *fmt, bool full_only, const char *aim)
{
    printf("%-40s", label);
    for (int i = 0; i < NCOLS; i++) {
        if (full_only && !r[i].full)
            printf(" %10s", "-");
        else
            printf(fmt, get(&r[i]));
    }
    printf("  %s\n", aim ? aim : "");
}

#define GETTER(name, expr)                                                                         \
    static double name(const struct result *r)                                                     \
    {                                                                                              \
        return (expr);                                                                             \
    }
GETTER(g_parse, r->parse)
GETTER(g_decode, r->decode)
GETTER(g_put, r->put)
GETTER(g_steps, r->parse + r->decode + r->put)
GETTER(g_total, r->whole)
GETTER(g_rss_idx, r->rss_idx)
GETTER(g_peak_idx, r->peak_idx)
GETTER(g_sync_cold, r->sync_cold)
GETTER(g_sync_warm, r->sync_warm)
GETTER(g_written, (double)r->written)
GETTER(g_reput, r->reput.median)
GETTER(g_one_med, r->hot_one.median)
GETTER(g_one_p99, r->hot_one.p99)
GETTER(g_all_med, r->hot_all.median)
GETTER(g_all_p99, r->hot_all.p99)
GETTER(g_rss_sync, r->rss_sync)
GETTER(g_peak, r->peak)

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 200;
    if (runs < 1)
        runs = 1;
    struct result *r =
        mmap(NULL, NCOLS * sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        return 1;
    memset(r, 0, NCOLS * sizeof(*r));
    static const struct {
        size_t n;
        enum mode m;
    } cols[NCOLS] = {
        {1000, ONE_BY_ONE_YAML},  {10000, ONE_BY_ONE_YAML}, {1000, ONE_BY_ONE_JSON},
        {10000, ONE_BY_ONE_JSON}, {1000, ONE_FILE_YAML},    {10000, ONE_FILE_YAML},
    };
    for (int i = 0; i < NCOLS; i++)
        if (in_child(cols[i].n, cols[i].m, runs, false, &r[i]) < 0 ||
            in_child(cols[i].n, cols[i].m, runs, true, &r[i]) < 0)
            return 1;

    printf(
        "kscmp engine benchmark: N policies across %d namespaces (+%d in namespace hot, %d "
        "ClusterSeccompPolicies), %d pods; %d runs of the 50-policy file; times are CPU time\n\n",
        NAMESPACES, HOT_POLICIES + 1, CLUSTER_POLICIES, PODS, runs);
    printf("%-40s %10s %10s %10s %10s %10s %10s\n", "", "1k yaml", "10k yaml", "1k json",
           "10k json", "1k 1file", "10k 1file");
    printf("%-40s %10s %10s %10s %10s %10s %10s\n", "(objects loaded)", "1 by 1", "1 by 1",
           "1 by 1", "1 by 1", "1 file", "1 file");
    row("parse (libyaml or jansson) ms", r, g_parse, " %10.1f", false, NULL);
    row("decode ms", r, g_decode, " %10.1f", false, NULL);
    row("index (engine_put_*) ms", r, g_put, " %10.1f", false, NULL);
    row("  (the three, clocks around each step) ms", r, g_steps, " %10.1f", false, NULL);
    row("parse+decode+index ms", r, g_total, " %10.1f", false, "aim 10k: < 300 ms");
    row("RSS growth, policies indexed MiB", r, g_rss_idx, " %10.1f", false, "aim 10k: < 64 MiB");
    row("peak RSS after indexing MiB", r, g_peak_idx, " %10.1f", false, NULL);
    row("sync of 250 pods, cold ms", r, g_sync_cold, " %10.1f", true, NULL);
    row("sync of 250 pods, policies compiled ms", r, g_sync_warm, " %10.1f", true, NULL);
    row("  files written", r, g_written, " %10.0f", true, NULL);
    row("re-put of one of the 50, median ms", r, g_reput, " %10.3f", true, NULL);
    row("50-policy file, 1 changed, median ms", r, g_one_med, " %10.3f", true, "aim: < 1 ms");
    row("50-policy file, 1 changed, p99 ms", r, g_one_p99, " %10.3f", true, NULL);
    row("50-policy file, all changed, median ms", r, g_all_med, " %10.3f", true, NULL);
    row("50-policy file, all changed, p99 ms", r, g_all_p99, " %10.3f", true, NULL);
    row("RSS growth after syncs MiB", r, g_rss_sync, " %10.1f", true, NULL);
    row("peak RSS overall MiB", r, g_peak, " %10.1f", true, NULL);
    munmap(r, NCOLS * sizeof(*r));
    return 0;
}
