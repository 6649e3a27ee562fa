/* test_reconcile.c - engine results to disk: writes, the last good file kept, removals,
 * crash leftovers, Events, self-healing, proofs that came to no verdict tried again, refusals
 * forgotten, and an incremental run ending where a fresh one does.
 *
 * A real engine (objects given as YAML, as in the engine's tests) and a real store in a
 * mkdtemp() kubelet root; the event loop only where inotify is tested, with generous deadlines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../engine/engine_fixture.h"
#include "base/cleanup.h"
#include "base/evloop.h"
#include "base/metrics.h"
#include "node/digest.h"
#include "node/prover.h"
#include "node/reconcile.h"
#include "node/store.h"

struct fix {
    char dir[64];
    struct engine *e;
    struct store *s;
    struct metrics *m;
    struct evloop *l;
    struct reconciler *r;
    char events[4096]; /* "Reason:ns/pod " of each Event told */
    uint64_t serial_after_write;
    unsigned proof_deadline_ms; /* 0: the default */
};

static int on_event(const struct engine_event *ev, void *userdata)
{
    struct fix *f = userdata;
    size_t n = strlen(f->events);
    snprintf(f->events + n, sizeof(f->events) - n, "%s:%s/%s ", ev->reason, ev->pod->ns,
             ev->pod->name);
    return 0;
}

/* A fixture on dir (made when NULL is given), with an event loop when loop. */
static void fix_open(struct fix *f, bool loop)
{
    if (!f->dir[0]) {
        strcpy(f->dir, "/tmp/kscmp-test-reconcile-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
    }
    struct kerr err = {0};
    assert_int_equal(engine_new(arch_parse("x86_64"), &f->e), 0);
    assert_int_equal(metrics_new(&f->m), 0);
    assert_int_equal(store_open(f->dir, &f->s, &err), 0);
    if (loop)
        assert_int_equal(evloop_new(&f->l), 0);
    /* Proofs run in workers: this test binary run again (main() below). No memory limit:
     * ASan's shadow memory would not fit in one. */
    struct prover_opts proof = {
        .workers = 1, .memory_mib = PROVER_NO_LIMIT, .deadline_ms = f->proof_deadline_ms};
    assert_int_equal(reconciler_new(f->e, f->s, f->m, f->l, &proof, &f->r, &err), 0);
    reconciler_set_event_sink(f->r, on_event, f);
    assert_int_equal(reconciler_start(f->r, &err), 0);
}

static void fix_close(struct fix *f)
{
    reconciler_free(f->r);
    evloop_free(f->l);
    store_close(f->s);
    metrics_free(f->m);
    engine_free(f->e);
    f->r = NULL;
    f->l = NULL;
    f->s = NULL;
    f->m = NULL;
    f->e = NULL;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

static void fix_remove(struct fix *f)
{
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *path_of(const struct fix *f, const char *rel)
{
    static char buf[512];
    snprintf(buf, sizeof(buf), "%s/seccomp/kscmp/%s", f->dir, rel);
    return buf;
}

/* The bytes of rel on disk, or NULL when absent. */
static char *disk(const struct fix *f, const char *rel)
{
    char *data = NULL;
    size_t len = 0;
    struct kerr err = {0};
    int r = store_read(f->s, rel, &data, &len, &err);
    if (r == -ENOENT)
        return NULL;
    assert_int_equal(r, 0);
    return data;
}

/* What the engine computes for rel now: the bytes it would write. */
static int take_json(const struct file_result *res, void *userdata)
{
    char **out = userdata;
    if (res->action == FILE_WRITE)
        *out = strndup(res->json, res->len);
    return 0;
}

static char *computed(struct fix *f, const char *rel)
{
    char *json = NULL;
    struct sync_ops ops = {.file = take_json, .userdata = &json};
    assert_int_equal(engine_compute_file(f->e, rel, &ops), 0);
    assert_non_null(json);
    return json;
}

static ino_t inode_of(const struct fix *f, const char *rel)
{
    struct stat st;
    assert_int_equal(lstat(path_of(f, rel), &st), 0);
    return st.st_ino;
}

/* What someone may put in a profile: everything allowed. */
#define OPEN_PROFILE "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n"

#define WEB_POLICY POL("web", "  seccomp: {syscalls: [read, write], action: Allow}\n")
#define WEB_POD POD("demo", "web-1", "{app: web}", "kscmp/demo/web.json")

/* A sync writes what the engine computes; a sync with nothing new rewrites nothing. */
static void test_sync_writes_once(void **state)
{
    struct fix f = {0};
    fix_open(&f, false);
    load_text(f.e, WEB_POLICY);
    load_text(f.e, WEB_POD);
    assert_false(reconciler_ready(f.r));
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    reconciler_initial_done(f.r);
    assert_true(reconciler_ready(f.r));
    _cleanup_free_ char *want = computed(&f, "demo/web.json");
    _cleanup_free_ char *got = disk(&f, "demo/web.json");
    assert_non_null(got);
    assert_string_equal(got, want);
    ino_t ino = inode_of(&f, "demo/web.json");
    engine_touch_all(f.e);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    assert_int_equal(inode_of(&f, "demo/web.json"), ino); /* not replaced */
    assert_int_equal(reconciler_pending(f.r), 0);
    fix_close(&f);
    fix_remove(&f);
}

static unsigned digests_taken;

/* Counts digests; a stand-in (FNV-1a spread over the 32 bytes) that differs for the profiles
 * of the test below, which is all the prover needs (it compares the bytes of a match). */
static void counting_digest(const void *p, size_t n, struct digest *ret)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
    for (size_t i = 0; i < DIGEST_LEN; i++)
        ret->b[i] = (uint8_t)(h >> (8 * (i % 8))) ^ (uint8_t)i;
    digests_taken++;
}

/* A new profile is digested once on its way to its proof (the lookup of a verdict and the
 * job share the digest), and both are written, proven; the store takes one more of each file
 * it writes, for its history of versions (store_versions()). */
static void test_new_profile_digested_once(void **state)
{
    struct fix f = {0};
    fix_open(&f, false);
    load_text(f.e, WEB_POLICY);
    load_text(f.e, WEB_POD);
    load_text(f.e, POL("db", "  seccomp: {syscalls: [read, write, fsync], action: Allow}\n"));
    load_text(f.e, POD("demo", "db-1", "{app: db}", "kscmp/demo/db.json"));
    digests_taken = 0;
    digest_set_test_hook(counting_digest);
    int r = reconciler_sync(f.r, 0);
    digest_set_test_hook(NULL);
    assert_int_equal(r, 0);
    assert_int_equal(digests_taken, 2 + 2);
    reconciler_initial_done(f.r);
    assert_true(reconciler_ready(f.r));
    const char *rels[] = {"demo/web.json", "demo/db.json"};
    for (size_t i = 0; i < 2; i++) {
        _cleanup_free_ char *want = computed(&f, rels[i]);
        _cleanup_free_ char *got = disk(&f, rels[i]);
        assert_non_null(got);
        assert_string_equal(got, want);
    }
    fix_close(&f);
    fix_remove(&f);
}

/* A policy made invalid keeps the last good file (fail closed), and the pod is told. */
static void test_invalid_keeps_last_good(void **state)
{
    struct fix f = {0};
    fix_open(&f, false);
    load_text(f.e, WEB_POLICY);
    load_text(f.e, WEB_POD);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    _cleanup_free_ char *before = disk(&f, "demo/web.json");
    assert_non_null(before);
    load_text(f.e, POL("web", "  extends: missing\n"
                              "  seccomp: {syscalls: [read, write, mkdir], action: Allow}\n"));
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    _cleanup_free_ char *after = disk(&f, "demo/web.json");
    assert_string_equal(after, before);
    assert_non_null(strstr(f.events, "PolicyInvalid:demo/web-1"));
    fix_close(&f);
    fix_remove(&f);
}

/* A SeccompRecording "rec" of policy demo/web put into f's engine, selecting app=web. */
static void record_web(struct fix *f)
{
    struct selector sel = {.present = true};
    sel.match.v = calloc(1, sizeof(*sel.match.v));
    assert_non_null(sel.match.v);
    sel.match.v[0].key = strdup("app");
    sel.match.v[0].value = strdup("web");
    sel.match.n = 1;
    assert_int_equal(engine_put_recording(f->e, "demo", "web", "rec", &sel), 0);
}

/* A recording profile (allow all) never outlives its recording. Recorded before the policy
 * exists (README: the policy need not exist yet), then the policy applied, invalid from the
 * start (no good version to fall back on), and the recording deleted: the file is not "kept
 * as it was" (that is the recording profile) but removed. Nor is it kept for a pod the
 * recording does not select. */
static void test_recording_profile_not_kept(void **state)
{
    for (int intruder = 0; intruder < 2; intruder++) {
        struct fix f = {0};
        fix_open(&f, false);
        load_text(f.e, WEB_POD);
        record_web(&f);
        assert_int_equal(reconciler_sync(f.r, 0), 0);
        _cleanup_free_ char *rec = disk(&f, "demo/web.json");
        assert_non_null(rec);
        assert_non_null(strstr(rec, "SCMP_ACT_ALLOW"));
        load_text(f.e, POL("web", "  extends: missing\n"
                                  "  seccomp: {syscalls: [read, write], action: Allow}\n"));
        assert_int_equal(reconciler_sync(f.r, 0), 0);
        _cleanup_free_ char *held = disk(&f, "demo/web.json"); /* still recorded: kept */
        assert_non_null(held);
        assert_string_equal(held, rec);
        if (intruder) /* a pod the recording does not select comes */
            load_text(f.e, POD("demo", "intruder", "{app: other}", "kscmp/demo/web.json"));
        else /* the recording goes */
            assert_int_equal(engine_delete_recording(f.e, "demo", "web"), 0);
        assert_int_equal(reconciler_sync(f.r, 0), 0);
        _cleanup_free_ char *after = disk(&f, "demo/web.json");
        assert_null(after);
        assert_int_equal(reconciler_sync(f.r, 0), 0); /* and it stays absent */
        _cleanup_free_ char *again = disk(&f, "demo/web.json");
        assert_null(again);
        fix_close(&f);
        fix_remove(&f);
    }
}

/* The same across a restart (review-rec BUG 2's open half): a recording profile written, the
 * agent stopped, the recording deleted meanwhile, and the policy invalid from the start: the
 * next agent's first sync keeps the file as it is, and only the store's mark tells that it is
 * a recording profile. Removed; a profile that is not one is kept (no mark), and the mark goes
 * once the policies' profile replaces a recording profile. */
static void test_recording_profile_not_kept_across_a_restart(void **state)
{
    struct fix f = {0};
    fix_open(&f, false);
    load_text(f.e, WEB_POD);
    record_web(&f);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    assert_true(store_recording_mark(f.s, "demo/web.json"));
    fix_close(&f);

    /* The next start: no recording, the policy invalid (its parent missing): kept as it was
     * would be the recording profile. */
    fix_open(&f, false);
    load_text(f.e, WEB_POD);
    load_text(f.e, POL("web", "  extends: missing\n"
                              "  seccomp: {syscalls: [read, write], action: Allow}\n"));
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    _cleanup_free_ char *after = disk(&f, "demo/web.json");
    assert_null(after);
    assert_false(store_recording_mark(f.s, "demo/web.json"));
    fix_close(&f);

    /* A profile of the policies (no mark) kept as it is across a restart: stays. */
    fix_open(&f, false);
    load_text(f.e, WEB_POD);
    load_text(f.e, POL("web", "  seccomp: {syscalls: [read, write], action: Allow}\n"));
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    _cleanup_free_ char *good = disk(&f, "demo/web.json");
    assert_non_null(good);
    fix_close(&f);
    fix_open(&f, false);
    load_text(f.e, WEB_POD);
    load_text(f.e, POL("web", "  extends: missing\n"
                              "  seccomp: {syscalls: [read, write], action: Allow}\n"));
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    _cleanup_free_ char *kept = disk(&f, "demo/web.json");
    assert_non_null(kept);
    assert_string_equal(kept, good);

    /* Recorded, then the policies' profile again: the mark goes with the recording profile. */
    load_text(f.e, POL("web", "  seccomp: {syscalls: [read, write], action: Allow}\n"));
    record_web(&f);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    assert_true(store_recording_mark(f.s, "demo/web.json"));
    assert_int_equal(engine_delete_recording(f.e, "demo", "web"), 0);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    _cleanup_free_ char *back = disk(&f, "demo/web.json");
    assert_non_null(back);
    assert_string_equal(back, good);
    assert_false(store_recording_mark(f.s, "demo/web.json"));
    fix_close(&f);
    fix_remove(&f);
}

/* A kubelet root made for f (not opened) holding rel with bytes: what an earlier run left. */
static void fix_dir_with(struct fix *f, const char *rel, const char *bytes)
{
    strcpy(f->dir, "/tmp/kscmp-test-reconcile-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    struct store *s = NULL;
    struct kerr err = {0};
    assert_int_equal(store_open(f->dir, &s, &err), 0);
    assert_int_equal(store_write(s, rel, bytes, strlen(bytes), NULL, &err), 0);
    store_close(s);
}

/* Files no pod references go at garbage collection, not before; a reference the pod may not
 * use is refused with an Event and writes nothing. */
static void test_gc_and_refusals(void **state)
{
    struct fix f = {0};
    /* A file left by an earlier run, and a temporary a crash left. */
    fix_dir_with(&f, "demo/old.json", "{}\n");
    int fd = open(path_of(&f, "demo/.old.json.kscmp-tmp-abc123"), O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    close(fd);

    fix_open(&f, false);
    assert_int_equal(access(path_of(&f, "demo/.old.json.kscmp-tmp-abc123"), F_OK), -1);
    load_text(f.e, WEB_POLICY);
    load_text(f.e, WEB_POD);
    load_text(f.e, POD("demo", "sneaky", "{}", "kscmp/other/web.json"));
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    assert_non_null(strstr(f.events, "ProfileRefused:demo/sneaky"));
    _cleanup_free_ char *other = disk(&f, "other/web.json");
    assert_null(other);
    _cleanup_free_ char *old = disk(&f, "demo/old.json");
    assert_non_null(old); /* still there until the first complete sync's collection */
    assert_int_equal(reconciler_gc(f.r), 0);
    _cleanup_free_ char *gone = disk(&f, "demo/old.json");
    assert_null(gone);
    _cleanup_free_ char *web = disk(&f, "demo/web.json");
    assert_non_null(web);
    /* The pod goes: its file goes at the next sync. */
    assert_int_equal(engine_delete_pod(f.e, "demo", "web-1"), 0);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    _cleanup_free_ char *web2 = disk(&f, "demo/web.json");
    assert_null(web2);
    fix_close(&f);
    fix_remove(&f);
}

/* The log (stderr) of what runs between log_begin() and log_end(), through a file. */
struct logcap {
    char path[128];
    int saved;
    char text[16384];
};

static void log_begin(struct logcap *c, const struct fix *f)
{
    snprintf(c->path, sizeof(c->path), "%s.log", f->dir);
    fflush(stderr);
    c->saved = dup(2);
    int fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(c->saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
}

/* The log since log_begin(): also written to stderr again. */
static const char *log_end(struct logcap *c)
{
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
    FILE *fp = fopen(c->path, "r");
    assert_non_null(fp);
    c->text[fread(c->text, 1, sizeof(c->text) - 1, fp)] = '\0';
    fclose(fp);
    unlink(c->path);
    fputs(c->text, stderr);
    return c->text;
}

/* How many times needle is in text. */
static unsigned count_of(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* A profile whose mode and owner someone changed while the agent was not running: put back at
 * start, as the files on disk are first read, before any sync, with a warning each (the same
 * file and bytes). */
static void test_start_puts_back_mode_and_owner(void **state)
{
    struct fix f = {0};
    fix_dir_with(&f, "demo/web.json", "{}\n");
    char path[512];
    snprintf(path, sizeof(path), "%s", path_of(&f, "demo/web.json"));
    bool root = geteuid() == 0; /* chown to another user needs root */
    assert_int_equal(chmod(path, 0666), 0);
    if (root)
        assert_int_equal(chown(path, 65534, 65534), 0);
    ino_t ino = inode_of(&f, "demo/web.json");

    /* The log of the start. */
    struct logcap cap;
    log_begin(&cap, &f);
    fix_open(&f, false);
    const char *log = log_end(&cap);

    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_non_null(strstr(log, "demo/web.json had mode 0666: put back to 0644"));
    if (root) {
        assert_int_equal(st.st_uid, geteuid());
        assert_int_equal(st.st_gid, getegid());
        assert_non_null(strstr(log, "demo/web.json was owned by 65534:65534: put back to"));
    }
    assert_int_equal(st.st_ino, ino);
    _cleanup_free_ char *bytes = disk(&f, "demo/web.json");
    assert_string_equal(bytes, "{}\n");
    fix_close(&f);
    fix_remove(&f);
}

/* Only a file that was there is logged and counted as removed: the engine says to remove
 * files it never had (a policy invalid from the start, then deleted: "no policy contributes
 * to it"), and a removal of nothing said "removed" and counted one at every such turn. */
static void test_remove_only_what_is_there(void **state)
{
    struct fix f = {0};
    fix_open(&f, false);
    load_text(f.e, WEB_POLICY);
    load_text(f.e, WEB_POD);
    load_text(f.e, POD("demo", "other-1", "{app: other}", "kscmp/demo/other.json"));
    load_text(f.e, POL("other", "  extends: missing\n"
                                "  seccomp: {syscalls: [read], action: Allow}\n"));
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    assert_int_equal(reconciler_gc(f.r), 0);
    assert_null(disk(&f, "demo/other.json"));
    struct logcap cap;
    log_begin(&cap, &f);
    assert_int_equal(engine_delete_policy(f.e, PK_POLICY, "demo", "other"), 0);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    assert_int_equal(engine_delete_pod(f.e, "demo", "web-1"), 0);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    const char *log = log_end(&cap);
    assert_null(strstr(log, "other.json: no policy contributes to it"));
    assert_int_equal(count_of(log, "removed "), 1);
    assert_non_null(strstr(log, "demo/web.json: no pod on the node references it"));
    assert_int_equal(metrics_get(f.m, M_PROFILES_REMOVED), 1);
    fix_close(&f);
    fix_remove(&f);
}

/* A write that fails where no file was says so, not that "the previous one stays". */
static void test_failed_first_write_says_none(void **state)
{
    struct fix f = {0};
    fix_open(&f, false);
    /* A file where the namespace's folder goes: the folder cannot be made. */
    FILE *fp = fopen(path_of(&f, "demo"), "w");
    assert_non_null(fp);
    assert_int_equal(fclose(fp), 0);
    load_text(f.e, WEB_POLICY);
    load_text(f.e, WEB_POD);
    struct logcap cap;
    log_begin(&cap, &f);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    const char *log = log_end(&cap);
    assert_non_null(strstr(log, "demo: not a directory (there is no previous kscmp/demo/web.json: "
                                "it stays absent)"));
    assert_int_equal(count_of(log, "stays"), 1);
    assert_int_equal(reconciler_pending(f.r), 1);
    fix_close(&f);
    fix_remove(&f);
}

/* The steps of a run: each is YAML to put, or "-ns/pod" / "-P ns/name" to delete. */
static void apply_step(struct fix *f, const char *step)
{
    if (strncmp(step, "-P ", 3) == 0) {
        char ns[64], name[64];
        assert_int_equal(sscanf(step + 3, "%63[^/]/%63s", ns, name), 2);
        assert_int_equal(engine_delete_policy(f->e, PK_POLICY, ns, name), 0);
    } else if (step[0] == '-') {
        char ns[64], name[64];
        assert_int_equal(sscanf(step + 1, "%63[^/]/%63s", ns, name), 2);
        assert_int_equal(engine_delete_pod(f->e, ns, name), 0);
    } else
        load_text(f->e, step);
}

/* The files below a kubelet root, as "rel=bytes" lines sorted. */
static int list_one(const char *rel, enum store_kind kind, void *userdata)
{
    char *out = userdata;
    assert_int_equal(kind, STORE_FILE);
    size_t n = strlen(out);
    snprintf(out + n, 16384 - n, "%s\n", rel);
    return 0;
}

static void snapshot(struct fix *f, char *out)
{
    char rels[16384] = "";
    struct kerr err = {0};
    assert_int_equal(store_list(f->s, list_one, rels, &err), 0);
    out[0] = '\0';
    for (char *save = NULL, *rel = strtok_r(rels, "\n", &save); rel;
         rel = strtok_r(NULL, "\n", &save)) {
        _cleanup_free_ char *bytes = disk(f, rel);
        size_t n = strlen(out);
        snprintf(out + n, 65536 - n, "%s=%s\n", rel, bytes);
    }
}

/* The objects of the incremental runs below, and the final set a fresh run is fed. */
#define DB_POD_1 POD("demo", "db-1", "{app: db}", "kscmp/demo/db.json")
#define DB_POD_2 POD("demo", "db-2", "{app: db}", "kscmp/demo/db.json")
#define WEB_POD_2 POD("demo", "web-2", "{app: web}", "kscmp/demo/web.json")
#define DB_V1                                                                                      \
    POL("db", "  selector: {matchLabels: {app: db}}\n"                                             \
              "  seccomp: {syscalls: [read], action: Allow}\n")
#define DB_V2                                                                                      \
    POL("db", "  selector: {matchLabels: {app: db}}\n"                                             \
              "  seccomp: {syscalls: [read, close], action: Allow}\n")
#define BASE_CPOL                                                                                  \
    CPOL("base", "  namespaceSelector: {matchLabels: {team: a}}\n"                                 \
                 "  rules: [{syscalls: [ptrace], action: Kill}]\n")
#define WEB_EXTENDS                                                                                \
    POL("web", "  extends: ClusterSeccompPolicy/base\n"                                            \
               "  seccomp: {syscalls: [read, write, openat], action: Allow}\n")

/* f (opened without a loop) fed only the final objects of those runs, synced and collected. */
static void fresh_final(struct fix *f)
{
    static const char *const objs[] = {
        NS("demo", "{team: b}"), WEB_EXTENDS, WEB_POD_2, DB_V2, BASE_CPOL, DB_POD_2};
    for (size_t i = 0; i < ARRAY_SIZE(objs); i++)
        load_text(f->e, objs[i]);
    assert_int_equal(reconciler_sync(f->r, 0), 0);
    assert_int_equal(reconciler_gc(f->r), 0);
}

/* Synced after every step, the disk ends as a fresh reconciler fed only the final objects
 * leaves it. */
static void test_incremental_equals_fresh(void **state)
{
    static const char *const steps[] = {
        NS("demo", "{team: a}"),
        WEB_POLICY,
        WEB_POD,
        DB_POD_1,
        DB_V1,
        BASE_CPOL,
        WEB_EXTENDS,
        NS("demo", "{team: b}"),
        WEB_POD_2,
        "-demo/web-1",
        "-P demo/db",
        DB_V2,
        "-demo/db-1",
        DB_POD_2,
    };
    struct fix inc = {0};
    fix_open(&inc, false);
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        apply_step(&inc, steps[i]);
        assert_int_equal(reconciler_sync(inc.r, 0), 0);
    }
    assert_int_equal(reconciler_gc(inc.r), 0);

    struct fix fresh = {0};
    fix_open(&fresh, false);
    fresh_final(&fresh);

    static char a[65536], b[65536];
    snapshot(&inc, a);
    snapshot(&fresh, b);
    assert_non_null(strstr(a, "demo/web.json="));
    assert_non_null(strstr(a, "demo/db.json="));
    assert_string_equal(a, b);
    fix_close(&inc);
    fix_close(&fresh);
    fix_remove(&inc);
    fix_remove(&fresh);
}

/* Self-healing: a profile edited or deleted behind the agent's back is put back (inotify on
 * the store's folders, with the event loop). want NULL: any bytes. */
struct heal {
    struct fix *f;
    const char *want;
    mode_t mode; /* also wanted when not 0 */
    uint64_t deadline;
    bool healed;
    struct evtimer *t;
};

static void on_heal_poll(struct evtimer *t, void *userdata)
{
    struct heal *h = userdata;
    _cleanup_free_ char *now = disk(h->f, "demo/web.json");
    struct stat st;
    h->healed = now && (!h->want || strcmp(now, h->want) == 0) &&
                (!h->mode || (stat(path_of(h->f, "demo/web.json"), &st) == 0 &&
                              (st.st_mode & 07777) == h->mode));
    if (h->healed || now_ms() > h->deadline)
        evloop_quit(h->f->l, 0);
    else
        evtimer_arm(t, 10);
}

static void wait_healed_mode(struct fix *f, const char *want, mode_t mode)
{
    struct heal h = {f, want, mode, now_ms() + 20000, false, NULL};
    assert_int_equal(evtimer_new(f->l, on_heal_poll, &h, &h.t), 0);
    evtimer_arm(h.t, 10);
    assert_int_equal(evloop_run(f->l), 0);
    evtimer_free(h.t);
    assert_true(h.healed);
}

static void wait_healed(struct fix *f, const char *want)
{
    wait_healed_mode(f, want, 0);
}

static void test_self_heal(void **state)
{
    struct fix f = {0};
    fix_open(&f, true);
    load_text(f.e, WEB_POLICY);
    load_text(f.e, WEB_POD);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    wait_healed(&f, NULL); /* written once its proof comes back */
    _cleanup_free_ char *good = disk(&f, "demo/web.json");
    assert_non_null(good);

    FILE *fp = fopen(path_of(&f, "demo/web.json"), "w");
    assert_non_null(fp);
    fputs("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n", fp);
    fclose(fp);
    wait_healed(&f, good);

    assert_int_equal(unlink(path_of(&f, "demo/web.json")), 0);
    wait_healed(&f, good);

    /* Only the mode changed: put back, the same file (inode) kept. */
    struct stat before, after;
    assert_int_equal(stat(path_of(&f, "demo/web.json"), &before), 0);
    assert_int_equal(chmod(path_of(&f, "demo/web.json"), 0600), 0);
    wait_healed_mode(&f, good, 0644);
    assert_int_equal(stat(path_of(&f, "demo/web.json"), &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);

    /* A symbolic link renamed over it: replaced, its target left alone, and the log says it
     * was replaced by a link (it said "removed"). */
    char target[128], link[600];
    snprintf(target, sizeof(target), "%s.target", f.dir);
    fp = fopen(target, "w");
    assert_non_null(fp);
    fputs(OPEN_PROFILE, fp);
    assert_int_equal(fclose(fp), 0);
    snprintf(link, sizeof(link), "%s/seccomp/kscmp/demo/.link", f.dir);
    assert_int_equal(symlink(target, link), 0);
    struct logcap cap;
    log_begin(&cap, &f);
    assert_int_equal(rename(link, path_of(&f, "demo/web.json")), 0);
    wait_healed(&f, good);
    const char *log = log_end(&cap);
    assert_non_null(strstr(log, "kscmp/demo/web.json was replaced by a symbolic link behind the "
                                "agent's back: putting it back"));
    assert_int_equal(lstat(path_of(&f, "demo/web.json"), &after), 0);
    assert_true(S_ISREG(after.st_mode));
    _cleanup_free_ char *kept = NULL;
    size_t n = 0;
    fp = fopen(target, "r");
    assert_non_null(fp);
    assert_int_equal(getdelim(&kept, &n, '\0', fp), (ssize_t)strlen(OPEN_PROFILE));
    fclose(fp);
    assert_string_equal(kept, OPEN_PROFILE);
    unlink(target);
    fix_close(&f);
    fix_remove(&f);
}

static void on_always_ready(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    (*(unsigned *)userdata)++; /* never reads: the loop is never idle */
}

/* The check of a changed file waits while the loop has events to handle, but not for ever:
 * with an fd ready in every round, a file someone rewrote is put back all the same. */
static void test_self_heal_busy_loop(void **state)
{
    struct fix f = {0};
    fix_open(&f, true);
    load_text(f.e, WEB_POLICY);
    load_text(f.e, WEB_POD);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    wait_healed(&f, NULL);
    _cleanup_free_ char *good = disk(&f, "demo/web.json");
    assert_non_null(good);

    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    unsigned rounds = 0;
    assert_int_equal(evloop_add_fd(f.l, p[0], EPOLLIN, on_always_ready, &rounds), 0);
    FILE *fp = fopen(path_of(&f, "demo/web.json"), "w");
    assert_non_null(fp);
    fputs("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n", fp);
    fclose(fp);
    wait_healed(&f, good);
    assert_true(rounds > 1);
    assert_int_equal(evloop_del_fd(f.l, p[0]), 0);
    close(p[0]);
    close(p[1]);
    fix_close(&f);
    fix_remove(&f);
}

/* Runs the loop until nothing is pending (every proof told, every file written and its
 * folder flushed), or ms have passed when idle is false. */
struct settle {
    struct fix *f;
    bool idle;
    uint64_t deadline;
};

static void on_settle_poll(struct evtimer *t, void *userdata)
{
    struct settle *st = userdata;
    if ((st->idle && reconciler_pending(st->f->r) == 0) || now_ms() > st->deadline)
        evloop_quit(st->f->l, 0);
    else
        evtimer_arm(t, 1);
}

static void run_loop(struct fix *f, bool until_idle, uint64_t ms)
{
    struct settle st = {f, until_idle, now_ms() + ms};
    struct evtimer *t = NULL;
    assert_int_equal(evtimer_new(f->l, on_settle_poll, &st, &t), 0);
    evtimer_arm(t, 0);
    assert_int_equal(evloop_run(f->l), 0);
    evtimer_free(t);
    if (until_idle)
        assert_int_equal(reconciler_pending(f->r), 0);
}

/* Anything done to the file right after the agent's own write is seen and put back: a file
 * renamed over it under a name shaped like the agent's temporaries, or the file rewritten in
 * place. Each is done from the written hook, after the agent's rename and before the loop
 * reads the events it caused (the agent's own rename among them). */
struct tamper {
    struct fix *f;
    int kind; /* 0: nothing; 1: rename a look-alike temporary over it; 2: rewrite in place */
};

static void on_written_tamper(void *userdata)
{
    struct tamper *t = userdata;
    const char *path = path_of(t->f, "demo/web.json");
    if (t->kind == 1) {
        char tmp[600];
        snprintf(tmp, sizeof(tmp), "%s/seccomp/kscmp/demo/.web.json.kscmp-tmp-zZ0zZ0", t->f->dir);
        FILE *fp = fopen(tmp, "w");
        assert_non_null(fp);
        fputs(OPEN_PROFILE, fp);
        assert_int_equal(fclose(fp), 0);
        assert_int_equal(rename(tmp, path), 0);
    } else if (t->kind == 2) {
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(OPEN_PROFILE, fp);
        assert_int_equal(fclose(fp), 0);
    }
    t->kind = 0;
}

/* The steps of both tests below: web.json's first version written and settled, its new folder
 * watched from then on (every file in it checked once). */
static void web_first_version(struct fix *f)
{
    load_text(f->e, WEB_POD);
    load_text(f->e, WEB_POLICY);
    assert_int_equal(reconciler_sync(f->r, 0), 0);
    wait_healed(f, NULL);
    run_loop(f, true, 20000);
    run_loop(f, false, 100);
}

/* A new set of calls each time, so that each version is proven (and written) late. */
static const char *const web_calls[] = {"read, write, mkdir", "read, write, rmdir",
                                        "read, write, sysinfo"};

/* web's policy now allows calls: what demo/web.json must hold then. */
static char *web_with_calls(struct fix *f, const char *calls)
{
    char body[256];
    snprintf(body, sizeof(body), "  seccomp: {syscalls: [%s], action: Allow}\n", calls);
    char *doc = NULL;
    assert_true(asprintf(&doc, POL("web", "%s"), body) > 0);
    load_text(f->e, doc);
    free(doc);
    return computed(f, "demo/web.json");
}

static void test_tamper_right_after_write(void **state)
{
    struct fix f = {0};
    fix_open(&f, true);
    struct tamper t = {&f, 0};
    reconciler_set_written_hook(f.r, on_written_tamper, &t);
    web_first_version(&f);
    for (int kind = 0; kind < 3; kind++) {
        _cleanup_free_ char *want = web_with_calls(&f, web_calls[kind]);
        t.kind = kind;
        assert_int_equal(reconciler_sync(f.r, 0), 0);
        wait_healed(&f, want);
        run_loop(&f, true, 20000);
        run_loop(&f, false, 100); /* the events of the last writes read, their checks done */
        _cleanup_free_ char *now = disk(&f, "demo/web.json");
        assert_non_null(now);
        assert_string_equal(now, want);
        assert_int_equal(t.kind, 0); /* the hook ran */
    }
    fix_close(&f);
    fix_remove(&f);
}

/* The store's serial right after the agent's last write (the written hook runs before the
 * loop reads that write's events). */
static void on_written_serial(void *userdata)
{
    struct fix *f = userdata;
    f->serial_after_write = store_serial(f->s);
}

/* The agent's own renames are not read back when their events come, nor do they move the
 * store's serial again (the write did); a change made by anyone else is read back, put
 * back, and moves it. Only the first file, written before its new folder was watched, is
 * checked once (the folder's event). */
static void test_own_writes_not_read_back(void **state)
{
    struct fix f = {0};
    fix_open(&f, true);
    reconciler_set_written_hook(f.r, on_written_serial, &f);
    web_first_version(&f);
    unsigned long base = reconciler_checks(f.r);
    assert_true(base <= 1);
    for (int i = 0; i < 3; i++) {
        _cleanup_free_ char *want = web_with_calls(&f, web_calls[i]);
        f.serial_after_write = 0;
        assert_int_equal(reconciler_sync(f.r, 0), 0);
        wait_healed(&f, want);
        run_loop(&f, true, 20000);
        run_loop(&f, false, 100); /* the events of the write read */
        assert_int_equal(reconciler_checks(f.r), base);
        assert_true(f.serial_after_write != 0);
        assert_true(store_serial(f.s) == f.serial_after_write);
    }
    /* Someone else's change is read back and undone; the agent's write that undoes it is
     * not read back in turn. */
    _cleanup_free_ char *good = disk(&f, "demo/web.json");
    uint64_t before = store_serial(f.s);
    FILE *fp = fopen(path_of(&f, "demo/web.json"), "w");
    assert_non_null(fp);
    fputs(OPEN_PROFILE, fp);
    assert_int_equal(fclose(fp), 0);
    wait_healed(&f, good);
    assert_true(store_serial(f.s) != before);
    /* A mode changed by someone: its event moves the serial (the check that puts it back does
     * too). */
    run_loop(&f, false, 200);
    before = store_serial(f.s);
    assert_int_equal(chmod(path_of(&f, "demo/web.json"), 0600), 0);
    wait_healed_mode(&f, good, 0644);
    assert_true(store_serial(f.s) != before);
    run_loop(&f, false, 200);
    unsigned long after = reconciler_checks(f.r);
    assert_true(after > base);
    run_loop(&f, false, 200);
    assert_int_equal(reconciler_checks(f.r), after);
    fix_close(&f);
    fix_remove(&f);
}

/* The reconciler's one proof worker: the test's newest child process (a test that failed may
 * have left others). */
static int the_worker(void)
{
    char path[64], buf[1024] = "";
    snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    int pid = 0;
    for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n"))
        pid = atoi(tok);
    assert_true(pid > 0);
    return pid;
}

/* A proof whose worker was stopped (SIGSTOP, a frozen cgroup) past its wall-clock deadline
 * comes to no verdict: the file keeps its previous version meanwhile, holds readiness, and is
 * proven again with backoff (a new worker), then written; nothing is refused, no pod told.
 * (Once the deadline passed the stopped worker is killed: continuing it changes nothing.) */
static void test_stalled_proof_tried_again(void **state)
{
    struct fix f = {.proof_deadline_ms = 400};
    fix_open(&f, true);
    load_text(f.e, WEB_POLICY);
    load_text(f.e, WEB_POD);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    wait_healed(&f, NULL); /* the worker runs, and is idle */
    _cleanup_free_ char *before = disk(&f, "demo/web.json");
    int pid = the_worker();
    assert_int_equal(kill(pid, SIGSTOP), 0);
    _cleanup_free_ char *want = web_with_calls(&f, "read, write, mkdir");
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    reconciler_initial_done(f.r); /* the first complete sync: not ready while it waits */
    assert_false(reconciler_ready(f.r));
    run_loop(&f, false, 200);
    _cleanup_free_ char *stalled = disk(&f, "demo/web.json");
    assert_string_equal(stalled, before);
    assert_int_equal(reconciler_pending(f.r), 1);
    wait_healed(&f, want); /* killed at 400 ms, proven again by a new worker */
    run_loop(&f, true, 20000);
    assert_true(reconciler_ready(f.r));
    assert_int_equal(metrics_get(f.m, M_PROOF_RETRIES), 1);
    assert_int_equal(metrics_get(f.m, M_PROOF_WORKER_RESTARTS), 1);
    assert_int_equal(metrics_get(f.m, M_PROFILES_REJECTED), 0);
    assert_null(strstr(f.events, "ProfileRefused"));
    assert_int_not_equal(the_worker(), pid);
    fix_close(&f);
    fix_remove(&f);
}

/* A profile refused (its worker crashed) stays refused when computed again (not proven again),
 * until the refusals are forgotten (SIGHUP): then it is proven again, and written. */
static void test_forgotten_refusal_proven_again(void **state)
{
    struct fix f = {0};
    fix_open(&f, true);
    load_text(f.e, WEB_POLICY);
    load_text(f.e, WEB_POD);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    wait_healed(&f, NULL);
    _cleanup_free_ char *before = disk(&f, "demo/web.json");
    /* The worker crashes on the next proof, as glibc aborts on a heap libseccomp corrupted. */
    int pid = the_worker();
    assert_int_equal(kill(pid, SIGSTOP), 0);
    _cleanup_free_ char *want = web_with_calls(&f, "read, write, mkdir");
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    run_loop(&f, false, 50); /* sent to the worker */
    assert_int_equal(kill(pid, SIGABRT), 0);
    assert_int_equal(kill(pid, SIGCONT), 0);
    run_loop(&f, true, 20000);
    assert_non_null(strstr(f.events, "ProfileRefused:demo/web-1"));
    assert_int_equal(metrics_get(f.m, M_PROFILES_REJECTED), 1);
    /* Computed again: refused at once, as before. */
    engine_touch_all(f.e);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    run_loop(&f, true, 20000);
    assert_int_equal(metrics_get(f.m, M_PROFILES_REJECTED), 2);
    _cleanup_free_ char *kept = disk(&f, "demo/web.json");
    assert_string_equal(kept, before);
    uint64_t proofs = metrics_get(f.m, M_PROOFS);
    /* Forgotten: proven again, and written. */
    assert_int_equal(reconciler_forget_refusals(f.r), 1);
    engine_touch_all(f.e);
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    wait_healed(&f, want);
    run_loop(&f, true, 20000);
    assert_int_equal(metrics_get(f.m, M_PROOFS), proofs + 1);
    assert_int_equal(metrics_get(f.m, M_PROFILES_REJECTED), 2);
    fix_close(&f);
    fix_remove(&f);
}

/* Changes made in place, without a close: the file cut to 0 bytes (truncate), and a writer
 * that keeps it open after writing an open profile. Each is put back at once, the writer's
 * file still open (its bytes go to the file the agent's rename replaced). */
static void test_self_heal_in_place(void **state)
{
    struct fix f = {0};
    fix_open(&f, true);
    web_first_version(&f);
    _cleanup_free_ char *good = disk(&f, "demo/web.json");
    assert_non_null(good);

    assert_int_equal(truncate(path_of(&f, "demo/web.json"), 0), 0);
    wait_healed(&f, good);

    int fd = open(path_of(&f, "demo/web.json"), O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(write(fd, OPEN_PROFILE, strlen(OPEN_PROFILE)), (ssize_t)strlen(OPEN_PROFILE));
    wait_healed(&f, good);
    /* Its later writes land in the file replaced: seen (the same name), checked, nothing to do.
     */
    assert_int_equal(write(fd, "\n", 1), 1);
    assert_int_equal(close(fd), 0);
    run_loop(&f, false, 200);
    _cleanup_free_ char *now = disk(&f, "demo/web.json");
    assert_string_equal(now, good);
    fix_close(&f);
    fix_remove(&f);
}

/* SIGHUP (reconciler_check_all()) looks at every file: a change no watch reports, made through
 * a hard link in another folder, is put back (it stayed until an unrelated change). */
static void test_check_all(void **state)
{
    struct fix f = {0};
    fix_open(&f, true);
    web_first_version(&f);
    _cleanup_free_ char *good = disk(&f, "demo/web.json");
    assert_non_null(good);
    char hard[128];
    snprintf(hard, sizeof(hard), "%s.hard", f.dir);
    assert_int_equal(link(path_of(&f, "demo/web.json"), hard), 0);
    int fd = open(hard, O_WRONLY | O_TRUNC | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, OPEN_PROFILE, strlen(OPEN_PROFILE)), (ssize_t)strlen(OPEN_PROFILE));
    assert_int_equal(close(fd), 0);
    run_loop(&f, false, 200);
    _cleanup_free_ char *unseen = disk(&f, "demo/web.json");
    assert_string_equal(unseen, OPEN_PROFILE); /* else this test proves nothing */
    reconciler_check_all(f.r);
    wait_healed(&f, good);
    assert_int_equal(unlink(hard), 0);
    fix_close(&f);
    fix_remove(&f);
}

/* A file made outside f's store (f->dir + suffix) holding OPEN_PROFILE: what a planted link
 * points to. */
static void outside_file(const struct fix *f, const char *suffix, char *path, size_t size)
{
    snprintf(path, size, "%s%s", f->dir, suffix);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(OPEN_PROFILE, fp);
    assert_int_equal(fclose(fp), 0);
}

static void assert_outside_intact(const char *path)
{
    char buf[256] = "";
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    buf[fread(buf, 1, sizeof(buf) - 1, fp)] = '\0';
    fclose(fp);
    assert_string_equal(buf, OPEN_PROFILE);
}

/* A symbolic link, a FIFO or a socket at a profile's name is never the agent's: at start (no
 * loop, as --once) each is removed, the entry itself, never what a link points to, with the
 * warning and counter of a planted file (a link stayed, and a pod that later referenced it
 * with no policy got what it points to). A folder at a profile's name stays. */
static void test_strays_removed_at_start(void **state)
{
    struct fix f = {0};
    fix_dir_with(&f, "demo/web.json", "{}\n");
    char target[128];
    outside_file(&f, ".target", target, sizeof(target));
    assert_int_equal(symlink(target, path_of(&f, "demo/sym.json")), 0);
    assert_int_equal(mkfifo(path_of(&f, "demo/fifo.json"), 0644), 0);
    assert_int_equal(mkdir(path_of(&f, "demo/dir.json"), 0755), 0);
    struct logcap cap;
    log_begin(&cap, &f);
    fix_open(&f, false);
    const char *log = log_end(&cap);
    assert_non_null(strstr(log, "kscmp/demo/sym.json appeared behind the agent's back (a symbolic "
                                "link; what it points to is left alone), which the agent never "
                                "writes: removing it"));
    assert_non_null(strstr(log, "kscmp/demo/fifo.json appeared behind the agent's back (a FIFO, "
                                "socket or device), which the agent never writes: removing it"));
    assert_int_equal(metrics_get(f.m, M_PROFILES_RESTORED), 2);
    struct stat st;
    assert_int_equal(lstat(path_of(&f, "demo/sym.json"), &st), -1);
    assert_int_equal(lstat(path_of(&f, "demo/fifo.json"), &st), -1);
    assert_int_equal(lstat(path_of(&f, "demo/dir.json"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_outside_intact(target);
    _cleanup_free_ char *web = disk(&f, "demo/web.json");
    assert_string_equal(web, "{}\n"); /* a last good profile, as before */
    /* A pod referencing the name with no policy: nothing there, it cannot start (NoPolicy). */
    load_text(f.e, POD("demo", "sym-1", "{app: sym}", "kscmp/demo/sym.json"));
    assert_int_equal(reconciler_sync(f.r, 0), 0);
    assert_non_null(strstr(f.events, "NoPolicy:demo/sym-1"));
    assert_int_equal(lstat(path_of(&f, "demo/sym.json"), &st), -1);
    unlink(target);
    fix_close(&f);
    fix_remove(&f);
}

/* Runs the loop until nothing is at rel (a link is not followed), for at most 20 s. */
struct gone {
    struct fix *f;
    const char *rel;
    uint64_t deadline;
    bool gone;
};

static void on_gone_poll(struct evtimer *t, void *userdata)
{
    struct gone *g = userdata;
    struct stat st;
    g->gone = lstat(path_of(g->f, g->rel), &st) < 0 && errno == ENOENT;
    if (g->gone || now_ms() > g->deadline)
        evloop_quit(g->f->l, 0);
    else
        evtimer_arm(t, 10);
}

static void wait_gone(struct fix *f, const char *rel)
{
    struct gone g = {f, rel, now_ms() + 20000, false};
    struct evtimer *t = NULL;
    assert_int_equal(evtimer_new(f->l, on_gone_poll, &g, &t), 0);
    evtimer_arm(t, 10);
    assert_int_equal(evloop_run(f->l), 0);
    evtimer_free(t);
    assert_true(g.gone);
}

/* While the agent runs, a stray is removed on its event: a link (made there, or renamed in),
 * a FIFO, and a link inside a namespace folder moved in whole (no event of its own: the
 * folder's files are checked once it is watched). A folder at a profile's name stays. */
static void test_strays_removed_on_event(void **state)
{
    struct fix f = {0};
    fix_open(&f, true);
    web_first_version(&f);
    char target[128];
    outside_file(&f, ".target", target, sizeof(target));
    uint64_t restored = metrics_get(f.m, M_PROFILES_RESTORED);
    assert_int_equal(symlink(target, path_of(&f, "demo/sym.json")), 0);
    wait_gone(&f, "demo/sym.json");
    assert_int_equal(mkfifo(path_of(&f, "demo/fifo.json"), 0644), 0);
    wait_gone(&f, "demo/fifo.json");
    char moved[128], inside[300];
    snprintf(moved, sizeof(moved), "%s.ns", f.dir);
    assert_int_equal(mkdir(moved, 0755), 0);
    snprintf(inside, sizeof(inside), "%s/sym.json", moved);
    assert_int_equal(symlink(target, inside), 0);
    assert_int_equal(rename(moved, path_of(&f, "other")), 0);
    wait_gone(&f, "other/sym.json");
    assert_int_equal(mkdir(path_of(&f, "demo/dir.json"), 0755), 0);
    run_loop(&f, false, 200);
    struct stat st;
    assert_int_equal(lstat(path_of(&f, "demo/dir.json"), &st), 0);
    assert_int_equal(metrics_get(f.m, M_PROFILES_RESTORED), restored + 3);
    assert_outside_intact(target);
    unlink(target);
    fix_close(&f);
    fix_remove(&f);
}

/* The watch's queue overflows (its events lost): every file is checked, the ones nobody owes
 * too. A link planted and a profile rewritten once the queue was full (no event of either) are
 * found: the link goes, the profile is put back. */
static void test_overflow_checks_every_file(void **state)
{
    long max = 0;
    FILE *fp = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
    if (!fp || fscanf(fp, "%ld", &max) != 1 || max > 1000000) {
        if (fp)
            fclose(fp);
        print_message("skipped: no inotify queue size to fill\n");
        skip();
    }
    fclose(fp);
    struct fix f = {0};
    fix_open(&f, true);
    web_first_version(&f);
    _cleanup_free_ char *good = disk(&f, "demo/web.json");
    char target[128], a[300], b[300];
    outside_file(&f, ".target", target, sizeof(target));
    /* Events on two names that are no profile's, one after the other (two alike in a row are
     * queued as one), until the queue is full. */
    snprintf(a, sizeof(a), "%s/seccomp/kscmp/demo/a", f.dir);
    snprintf(b, sizeof(b), "%s/seccomp/kscmp/demo/b", f.dir);
    const char *names[] = {a, b};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        int fd = open(names[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
    }
    for (long i = 0; i < max + 16; i++)
        assert_int_equal(chmod(i % 2 ? a : b, i % 4 < 2 ? 0644 : 0640), 0);
    assert_int_equal(symlink(target, path_of(&f, "demo/sym.json")), 0);
    fp = fopen(path_of(&f, "demo/web.json"), "w");
    assert_non_null(fp);
    fputs(OPEN_PROFILE, fp);
    assert_int_equal(fclose(fp), 0);
    wait_gone(&f, "demo/sym.json");
    wait_healed(&f, good);
    assert_outside_intact(target);
    unlink(target);
    fix_close(&f);
    fix_remove(&f);
}

/* Writes bytes to path (made or cut to 0 first). */
static void put_bytes(const char *path, const char *bytes)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(bytes, fp);
    assert_int_equal(fclose(fp), 0);
}

/* The bytes at path, or NULL when absent. */
static char *bytes_at(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    char *buf = NULL;
    size_t n = 0;
    if (getdelim(&buf, &n, '\0', fp) < 0) {
        free(buf);
        buf = strdup("");
    }
    fclose(fp);
    return buf;
}

/* Copies f's store folder name (seccomp or seccomp/kscmp) to copy, holding demo/web.json with
 * bytes: what `cp -a` of it makes. */
static void copy_tree(const struct fix *f, const char *name, const char *copy, const char *bytes)
{
    char path[600];
    bool whole = strcmp(name, "seccomp") == 0;
    assert_int_equal(mkdir(copy, 0755), 0);
    snprintf(path, sizeof(path), "%s%s", copy, whole ? "/kscmp" : "");
    if (whole)
        assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s%s/demo", copy, whole ? "/kscmp" : "");
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s%s/demo/web.json", copy, whole ? "/kscmp" : "");
    put_bytes(path, bytes);
}

/* mv <root>/seccomp seccomp.bak; cp -a seccomp.bak seccomp (and the same of seccomp/kscmp):
 * the watches are made again on the folders the paths lead to, those on the old ones dropped.
 * A hand edit or deletion in the live folder is put back (it went unnoticed: the watches
 * followed the old folders), and an edit of the backup is not read back. Then the seccomp
 * folder removed (rm -rf): every file put back, and watched again. */
static void test_store_folders_swapped(void **state)
{
    static const char *const names[] = {"seccomp", "seccomp/kscmp"};
    struct fix f = {0};
    fix_open(&f, true);
    web_first_version(&f);
    _cleanup_free_ char *good = disk(&f, "demo/web.json");
    assert_non_null(good);
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        char live[300], bak[300], copy[300], path[600];
        snprintf(live, sizeof(live), "%s/%s", f.dir, names[i]);
        snprintf(bak, sizeof(bak), "%s.bak", live);
        snprintf(copy, sizeof(copy), "%s.new", live);
        copy_tree(&f, names[i], copy, good);
        assert_int_equal(rename(live, bak), 0);
        assert_int_equal(rename(copy, live), 0);
        run_loop(&f, false, 200);
        unsigned long checks = reconciler_checks(f.r);
        /* The backup's file: an edit there is none of the agent's business. */
        snprintf(path, sizeof(path), "%s%s/demo/web.json", bak, i == 0 ? "/kscmp" : "");
        put_bytes(path, OPEN_PROFILE);
        run_loop(&f, false, 200);
        assert_int_equal(reconciler_checks(f.r), checks);
        _cleanup_free_ char *kept = bytes_at(path);
        assert_string_equal(kept, OPEN_PROFILE);
        /* The live file: edited, then deleted, put back each time. */
        put_bytes(path_of(&f, "demo/web.json"), OPEN_PROFILE);
        wait_healed(&f, good);
        assert_int_equal(unlink(path_of(&f, "demo/web.json")), 0);
        wait_healed(&f, good);
    }
    char seccomp[300], path[600];
    snprintf(seccomp, sizeof(seccomp), "%s/seccomp", f.dir);
    snprintf(path, sizeof(path), "rm -rf '%s'", seccomp);
    assert_int_equal(system(path), 0);
    wait_healed(&f, good);
    run_loop(&f, false, 200);
    put_bytes(path_of(&f, "demo/web.json"), OPEN_PROFILE);
    wait_healed(&f, good);
    fix_close(&f);
    fix_remove(&f);
}

/* Many files, each rewritten a few times with the loop running: none of the agent's own writes
 * is read back (the events of its temporaries, IN_MODIFY included, are not checks), but for
 * the first version of each, written before their new folder was watched (the folder's event
 * checks them once). A write whose rename falls in a later second than its date sets the date
 * again, an IN_MODIFY under the file's name that is checked (rare: its close and rename, a
 * few microseconds, span the end of a second): one such check is let pass. */
static void test_many_own_writes_not_read_back(void **state)
{
    enum { N = 30 };
    static const char *const calls[] = {"read, write", "read, write, mkdir", "read, write, rmdir",
                                        "read, write, sysinfo", "read, write, uname"};
    struct fix f = {0};
    fix_open(&f, true);
    for (unsigned i = 0; i < N; i++) {
        char doc[1024], name[32];
        snprintf(name, sizeof(name), "many-%u", i);
        snprintf(doc, sizeof(doc), POD("demo", "%s", "{app: many}", "kscmp/demo/%s.json"), name,
                 name);
        load_text(f.e, doc);
    }
    unsigned long base = 0;
    for (size_t v = 0; v < ARRAY_SIZE(calls); v++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "  selector: {matchLabels: {app: many}}\n"
                 "  seccomp: {syscalls: [%s], action: Allow}\n",
                 calls[v]);
        _cleanup_free_ char *doc = NULL;
        assert_true(asprintf(&doc, POL("many", "%s"), body) > 0);
        load_text(f.e, doc);
        _cleanup_free_ char *want = computed(&f, "demo/many-0.json");
        assert_int_equal(reconciler_sync(f.r, 0), 0);
        run_loop(&f, true, 20000);
        run_loop(&f, false, 150); /* the events of the writes read, their checks done */
        for (unsigned i = 0; i < N; i++) {
            char rel[64];
            snprintf(rel, sizeof(rel), "demo/many-%u.json", i);
            _cleanup_free_ char *got = disk(&f, rel);
            assert_non_null(got);
            assert_string_equal(got, want);
        }
        if (v == 0) {
            base = reconciler_checks(f.r);
            assert_true(base <= N);
        }
    }
    unsigned long checks = reconciler_checks(f.r);
    print_message("%lu read-back(s) for %u own writes after the first %u\n", checks - base,
                  (unsigned)(N * (ARRAY_SIZE(calls) - 1)), N);
    assert_true(checks <= base + 1);
    fix_close(&f);
    fix_remove(&f);
}

/* The steps of test_incremental_equals_fresh and a few more, with the loop: verdicts come
 * from the workers while the next steps are synced (the loop runs 0 to ~4 ms between steps,
 * or until nothing is pending at "=settle"), so files are written late, in batches, or
 * superseded before their proof is in. Once settled, the disk is a fresh run's. */
static void test_incremental_with_loop_equals_fresh(void **state)
{
    static const char *const steps[] = {
        NS("demo", "{team: a}"),
        WEB_POLICY,
        WEB_POD,
        DB_POD_1,
        DB_V1,
        BASE_CPOL,
        WEB_EXTENDS,
        NS("demo", "{team: b}"),
        WEB_POD_2,
        WEB_POLICY,
        WEB_EXTENDS,
        "=settle",
        /* A version that needs its proof, taken back before the verdict: the file stays. */
        POL("web", "  extends: ClusterSeccompPolicy/base\n"
                   "  seccomp: {syscalls: [read, write, openat], action: Allow}\n"
                   "  rules: [{syscalls: [mkdirat], action: Block}]\n"),
        WEB_EXTENDS,
        "=settle",
        "-demo/web-1",
        "-P demo/db",
        DB_V2,
        "-demo/db-1",
        DB_POD_2,
    };
    static char fresh_snap[65536], inc_snap[65536];
    struct fix fresh = {0};
    fix_open(&fresh, false);
    fresh_final(&fresh);
    snapshot(&fresh, fresh_snap);
    assert_non_null(strstr(fresh_snap, "demo/web.json="));
    assert_non_null(strstr(fresh_snap, "demo/db.json="));

    /* Twice: the first round proves every version as it comes; the second finds them proven,
     * so its files are written within the syncs. */
    struct fix inc = {0};
    fix_open(&inc, true);
    unsigned seed = 12345;
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
            if (strcmp(steps[i], "=settle") == 0) {
                /* Settled, both files (each has its pods here) hold what the engine computes.
                 */
                run_loop(&inc, true, 20000);
                static const char *const rels[] = {"demo/web.json", "demo/db.json"};
                for (size_t k = 0; k < ARRAY_SIZE(rels); k++) {
                    _cleanup_free_ char *want = computed(&inc, rels[k]);
                    _cleanup_free_ char *got = disk(&inc, rels[k]);
                    assert_string_equal(got ? got : "(absent)", want);
                }
                continue;
            }
            apply_step(&inc, steps[i]);
            assert_int_equal(reconciler_sync(inc.r, 0), 0);
            seed = seed * 1103515245u + 12345u;
            unsigned ms = strstr(steps[i], "mkdirat") ? 0 : (seed >> 16) % 4;
            if (ms)
                run_loop(&inc, false, ms);
        }
        run_loop(&inc, true, 20000);
        assert_int_equal(reconciler_gc(inc.r), 0);
        snapshot(&inc, inc_snap);
        assert_string_equal(inc_snap, fresh_snap);
        /* Back to the start for the second round: what the first steps need is there again. */
        apply_step(&inc, "-demo/web-2");
        apply_step(&inc, "-demo/db-2");
        apply_step(&inc, "-P demo/db");
        assert_int_equal(reconciler_sync(inc.r, 0), 0);
        run_loop(&inc, true, 20000);
    }
    fix_close(&inc);
    fix_close(&fresh);
    fix_remove(&inc);
    fix_remove(&fresh);
}

/* Writes text to the file at path (a /proc file): true when it could. */
static bool write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    return close(fd) == 0 && ok;
}

/* A namespace folder that cannot be watched (the inotify watch limit reached) is said, its
 * files are checked every 10 s all the same, and the watch is tried again until it is there:
 * a profile someone loosened there stayed loose, with nothing said. The limit is the one of a
 * user namespace of this process's own (Linux 5.11), left raised again: this test runs last. */
static void test_unwatched_folder_checked(void **state)
{
    char uid_map[32], gid_map[32];
    snprintf(uid_map, sizeof(uid_map), "0 %u 1", (unsigned)getuid());
    snprintf(gid_map, sizeof(gid_map), "0 %u 1", (unsigned)getgid());
    if (unshare(CLONE_NEWUSER) < 0 || !write_text("/proc/self/setgroups", "deny") ||
        !write_text("/proc/self/uid_map", uid_map) || !write_text("/proc/self/gid_map", gid_map) ||
        !write_text("/proc/sys/user/max_inotify_watches", "2")) {
        print_message("skipped: no user namespace of its own with an inotify watch limit\n");
        skip();
    }
    struct fix f = {0};
    fix_open(&f, true);
    struct logcap cap;
    log_begin(&cap, &f);
    web_first_version(&f); /* seccomp and kscmp are watched, demo is not */
    _cleanup_free_ char *good = disk(&f, "demo/web.json");
    assert_non_null(good);
    FILE *fp = fopen(path_of(&f, "demo/web.json"), "w");
    assert_non_null(fp);
    fputs(OPEN_PROFILE, fp);
    assert_int_equal(fclose(fp), 0);
    wait_healed(&f, good);
    assert_true(write_text("/proc/sys/user/max_inotify_watches", "2147483647"));
    run_loop(&f, false, 12000); /* the next try adds the watch */
    const char *log = log_end(&cap);
    assert_int_equal(count_of(log, "/seccomp/kscmp/demo: cannot watch it: No space left on device "
                                   "(the inotify watch limit is reached"),
                     1);
    assert_non_null(strstr(log, "kscmp/demo/web.json was changed behind the agent's back"));
    assert_non_null(strstr(log, "/seccomp/kscmp is watched again"));
    /* Watched now: a change is put back at once. */
    fp = fopen(path_of(&f, "demo/web.json"), "w");
    assert_non_null(fp);
    fputs(OPEN_PROFILE, fp);
    assert_int_equal(fclose(fp), 0);
    uint64_t start = now_ms();
    wait_healed(&f, good);
    assert_true(now_ms() - start < 5000);
    fix_close(&f);
    fix_remove(&f);
}

/* In a mount namespace of its own (a child process): a temporary of a crash on a file system
 * that is read-only now. 0 when the reconciler starts all the same and leaves it; 77 when no
 * tmpfs can be mounted here. */
static int child_start_read_only(const char *dir)
{
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0755") < 0)
        return 77;
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s/seccomp/kscmp/demo/.web.json.kscmp-tmp-abcdef", dir);
    char folder[256];
    snprintf(folder, sizeof(folder), "%s/seccomp", dir);
    if (mkdir(folder, 0755) < 0 || strcat(folder, "/kscmp") == NULL || mkdir(folder, 0755) < 0 ||
        strcat(folder, "/demo") == NULL || mkdir(folder, 0755) < 0)
        return 2;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, "{", 1) != 1 || close(fd) < 0)
        return 2;
    if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
        return 77;
    struct engine *e = NULL;
    struct metrics *m = NULL;
    struct store *s = NULL;
    struct reconciler *r = NULL;
    struct kerr err = {0};
    struct prover_opts proof = {.workers = 1, .memory_mib = PROVER_NO_LIMIT};
    if (engine_new(arch_parse("x86_64"), &e) < 0 || metrics_new(&m) < 0 ||
        store_open(dir, &s, &err) < 0 || reconciler_new(e, s, m, NULL, &proof, &r, &err) < 0)
        return 3;
    int rc = reconciler_start(r, &err) < 0 ? 4 : access(tmp, F_OK) < 0 ? 5 : 0;
    if (rc)
        fprintf(stderr, "reconciler_start: %s\n", err.msg);
    reconciler_free(r);
    store_close(s);
    metrics_free(m);
    engine_free(e);
    return rc;
}

/* The trial: a crash, then ext4 remounted read-only, left a temporary the agent could not
 * remove, and the agent would not start (exit 1) where the same file system without it gives
 * an agent that keeps the files there and retries. */
static void test_start_with_temporary_on_read_only(void **state)
{
    char dir[] = "/tmp/kscmp-test-reconcile-ro-XXXXXX";
    assert_non_null(mkdtemp(dir));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_start_read_only(dir));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    rmdir(dir);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        print_message("skipped: cannot mount a tmpfs here\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], PROVER_WORKER_COMMAND) == 0)
        return prover_worker_main(argc - 1, argv + 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_writes_once),
        cmocka_unit_test(test_new_profile_digested_once),
        cmocka_unit_test(test_invalid_keeps_last_good),
        cmocka_unit_test(test_recording_profile_not_kept),
        cmocka_unit_test(test_recording_profile_not_kept_across_a_restart),
        cmocka_unit_test(test_gc_and_refusals),
        cmocka_unit_test(test_start_puts_back_mode_and_owner),
        cmocka_unit_test(test_remove_only_what_is_there),
        cmocka_unit_test(test_failed_first_write_says_none),
        cmocka_unit_test(test_incremental_equals_fresh),
        cmocka_unit_test(test_self_heal),
        cmocka_unit_test(test_self_heal_busy_loop),
        cmocka_unit_test(test_tamper_right_after_write),
        cmocka_unit_test(test_own_writes_not_read_back),
        cmocka_unit_test(test_stalled_proof_tried_again),
        cmocka_unit_test(test_forgotten_refusal_proven_again),
        cmocka_unit_test(test_self_heal_in_place),
        cmocka_unit_test(test_check_all),
        cmocka_unit_test(test_strays_removed_at_start),
        cmocka_unit_test(test_strays_removed_on_event),
        cmocka_unit_test(test_overflow_checks_every_file),
        cmocka_unit_test(test_store_folders_swapped),
        cmocka_unit_test(test_many_own_writes_not_read_back),
        cmocka_unit_test(test_incremental_with_loop_equals_fresh),
        cmocka_unit_test(test_start_with_temporary_on_read_only),
        cmocka_unit_test(test_unwatched_folder_checked), /* last: a user namespace of its own */
    };
    return cmocka_run_group_tests_name("reconcile", tests, NULL, NULL);
}
