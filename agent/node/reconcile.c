/* reconcile.c - engine results to disk; retries; GC; self-healing. */
#include "node/reconcile.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "base/hash.h"
#include "base/hmap.h"
#include "base/names.h"
#include "base/strv.h"
#include "base/log.h"
#include "node/prover.h"

/* The longest a look at files the folder watch reported waits for the agent to be idle (no
 * event to handle): a file someone changed is put back at once on an idle agent, and within
 * this while changes keep coming. */
#define VERIFY_MAX_WAIT_MS 100
/* While a folder cannot be watched (the inotify watch limit reached): how often the watches are
 * tried again, with a check of every file, since no event tells of a change there. */
#define REWATCH_MS 10000
/* Group commit (batch_add()): while at least GATHER_PENDING more proofs are on their way (a
 * start, a new node), a batch waits up to GATHER_MS from its first file, or until it holds
 * GATHER_FILES, so that the files of one folder share its fsync. */
#define GATHER_MS 25
#define GATHER_FILES 64
#define GATHER_PENDING 8

/* What one file must hold. */
struct want {
    bool present; /* false: the file must be absent */
    char *json;   /* present: the bytes */
    size_t len;
    bool proving;        /* bytes wait for their proof (node/prover.h): written on a yes */
    bool pending;        /* the last write or removal failed: retry */
    bool pending_remove; /* what to retry is a removal */
    char *pending_json;  /* the bytes still to write (NULL for a removal) */
    size_t pending_len;
    unsigned attempts;
    uint64_t retry_at_ms;
    uint64_t event_us;
    /* Proving, and the last proof came to no verdict (its worker stalled or was killed: not the
     * bytes' fault): these bytes are proven again at proof_at_ms (0: no such wait), after
     * proof_attempts such proofs in a row. */
    char *proof_json;
    size_t proof_len;
    uint64_t proof_at_ms;
    unsigned proof_attempts;
    bool batched;     /* proven bytes wait in r->batch for the next flush() */
    bool batch_late;  /* they came from a verdict after their sync (r->written is told) */
    char *batch_json; /* those bytes */
    size_t batch_len;
    uint64_t batch_event_us;
    /* Renames of ours onto the file whose IN_MOVED_TO is not read yet (counted in
     * own_epoch, when its folder was watched): the loop does not read those files back. */
    unsigned own_moves;
    unsigned own_epoch;
    /* present: its bytes are a recording profile (file_result.recording), which blocks almost
     * nothing: never kept for pods no recording covers. recording_wanted: what the engine
     * asked last is one (the bytes proven and written next). */
    bool recording, recording_wanted;
    bool marked; /* the store's recording mark is (or may be) there (store_set_recording_mark) */
};

/* The folders watched, all by their paths: <root>/seccomp (itself, and its entry kscmp), the
 * kscmp folder, and each namespace folder in it. */
enum wdir_kind { WDIR_SECCOMP, WDIR_KSCMP, WDIR_NS };

struct wdir {
    int wd;
    enum wdir_kind kind;
    char *ns;   /* WDIR_NS: the namespace */
    bool found; /* watch_tree(): its folder is at its path */
};

struct reconciler {
    struct engine *e;
    struct store *s;
    struct metrics *m;
    struct evloop *l;
    struct evtimer *retry_timer;  /* the earliest retry of a failed write (with l) */
    struct evtimer *verify_timer; /* checks the disk after inotify saw a change (with l) */
    struct evtimer *flush_timer;  /* writes the batch (with l) */
    char **batch;                 /* rels whose proven bytes are written together (flush) */
    size_t nbatch, batch_alloc;
    struct hmap wants; /* rel -> want */
    int (*event)(const struct engine_event *ev, void *userdata);
    void *event_userdata;
    int ifd;
    struct wdir *wdirs;
    size_t nwdirs;
    struct hmap verify; /* rels to check against the disk */
    bool verify_all;
    bool rewatch; /* the tree may have changed: watch_tree() once the events read are handled */
    /* A folder could not be watched (said once): every file is checked and the watches tried
     * again every REWATCH_MS until each one is there. */
    struct evtimer *rewatch_timer;
    bool unwatched;
    unsigned watch_failures; /* watches that could not be added, ever */
    /* Moves counted in wants (own_moves) before the last time the events could have been
     * lost (an overflow, a watch gone) belong to an older epoch and count for nothing. */
    unsigned own_epoch;
    unsigned long checks; /* files read back (reconciler_checks()) */
    bool started;
    bool initial_done; /* the first complete sync ran */
    bool ready;        /* latched: the first complete set of profiles is on disk */
    bool lost;         /* reconciler_lost(): never ready again */
    uint64_t event_us; /* of the sync in progress */
    struct prover *prover;
    void (*written)(void *userdata); /* after a file written on a late verdict */
    char last_error[KERR_MSG_MAX];   /* of the last permanent write error */
    void *written_userdata;
};

static void want_free(void *v)
{
    struct want *w = v;
    if (!w)
        return;
    free(w->json);
    free(w->pending_json);
    free(w->proof_json);
    free(w->batch_json);
    free(w);
}

static void on_retry(struct evtimer *timer, void *userdata);
static void on_verify(struct evtimer *timer, void *userdata);
static void on_flush(struct evtimer *timer, void *userdata);
static void on_rewatch(struct evtimer *timer, void *userdata);
static void on_proven(const char *rel, int verdict, const char *why, const char *bytes, size_t len,
                      void *userdata);

int reconciler_new(struct engine *e, struct store *s, struct metrics *m, struct evloop *l,
                   const struct prover_opts *proof, struct reconciler **ret, struct kerr *err)
{
    struct reconciler *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    *r = (struct reconciler){.e = e, .s = s, .m = m, .l = l, .ifd = -1};
    hmap_init(&r->wants);
    hmap_init(&r->verify);
    if (l) {
        int q = evtimer_new(l, on_retry, r, &r->retry_timer);
        if (q == 0)
            q = evtimer_new(l, on_verify, r, &r->verify_timer);
        if (q == 0)
            q = evtimer_new(l, on_flush, r, &r->flush_timer);
        if (q == 0)
            q = evtimer_new(l, on_rewatch, r, &r->rewatch_timer);
        if (q < 0) {
            reconciler_free(r);
            return q;
        }
    }
    int q = prover_new(l, m, proof, on_proven, r, &r->prover, err);
    if (q < 0) {
        reconciler_free(r);
        return q;
    }
    *ret = r;
    return 0;
}

void reconciler_free(struct reconciler *r)
{
    if (!r)
        return;
    prover_free(r->prover);
    hmap_clear(&r->wants, want_free);
    hmap_clear(&r->verify, NULL);
    evtimer_free(r->retry_timer);
    evtimer_free(r->verify_timer);
    evtimer_free(r->flush_timer);
    evtimer_free(r->rewatch_timer);
    strv_free(r->batch, r->nbatch);
    if (r->ifd >= 0) {
        if (r->l)
            evloop_del_fd(r->l, r->ifd);
        close(r->ifd);
    }
    for (size_t i = 0; i < r->nwdirs; i++)
        free(r->wdirs[i].ns);
    free(r->wdirs);
    free(r);
}

void reconciler_set_event_sink(struct reconciler *r,
                               int (*event)(const struct engine_event *ev, void *userdata),
                               void *userdata)
{
    r->event = event;
    r->event_userdata = userdata;
}

static struct want *want_get(struct reconciler *r, const char *rel)
{
    return hmap_get_or_new(&r->wants, rel, sizeof(struct want));
}

static void update_gauge(struct reconciler *r)
{
    size_t n = 0, failing = 0;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&r->wants, &it); h; h = hmap_next(&r->wants, &it)) {
        const struct want *w = h->value;
        n += w->present;
        failing += w->pending;
    }
    metrics_set(r->m, G_PROFILES, (double)n);
    metrics_set(r->m, G_PROFILES_FAILING, (double)failing);
    if (r->initial_done && !r->ready && !r->lost && reconciler_pending(r) == 0) {
        r->ready = true;
        /* --once (no loop) says it at its end, when the run passes as a whole. */
        if (r->l)
            log_info("ready: the first complete set of profiles is on disk");
    }
    metrics_set(r->m, G_READY, r->ready);
}

static void schedule_retry(struct reconciler *r);
unsigned reconciler_pending(const struct reconciler *r);
/* Makes the watches what the paths lead to now (see its definition). */
static void watch_tree(struct reconciler *r);
static bool tree_watched(const struct reconciler *r);

/* Backoff: 100 ms doubling to 30 s, with jitter. Without an event loop (--once) nothing is
 * tried again: the file stays pending, and the caller says so. */
static void fail_later(struct reconciler *r, struct want *w, const char *rel)
{
    w->pending = true;
    w->attempts++;
    uint64_t delay = backoff_jitter_ms(w->attempts, 100, 30000);
    w->retry_at_ms = now_ms() + delay;
    if (r->l)
        log_warning("kscmp/%s: will try again in %llu ms (attempt %u)", rel,
                    (unsigned long long)delay, w->attempts);
    schedule_retry(r);
}

/* Store errors that trying again cannot cure: the profile's name or its size. */
static bool permanent(int err)
{
    return err == -EINVAL || err == -EFBIG || err == -ENAMETOOLONG;
}

/* The watch on the folder of namespace ns, or NULL. */
static const struct wdir *wdir_of(const struct reconciler *r, const char *ns)
{
    for (size_t i = 0; i < r->nwdirs; i++)
        if (r->wdirs[i].kind == WDIR_NS && strcmp(r->wdirs[i].ns, ns) == 0)
            return &r->wdirs[i];
    return NULL;
}

/* We renamed new bytes onto rel, whose folder is watched: the IN_MOVED_TO that the rename
 * queued is ours, and on_inotify() does not read the file back for it. Events are queued in
 * the order of the changes, so any change made by someone else after ours comes after it
 * and is checked; one made before ours was replaced by ours. */
static void own_move(struct reconciler *r, struct want *w, const char *rel)
{
    struct ns_name n;
    if (r->ifd < 0 || ns_name_split(rel, &n) < 0 || !ns_name_ns(&n) || !wdir_of(r, n.ns))
        return;
    if (w->own_epoch != r->own_epoch) {
        w->own_epoch = r->own_epoch;
        w->own_moves = 0;
    }
    w->own_moves++;
}

/* Whether an IN_MOVED_TO onto w's file is the one of our renames that is due next. */
static bool take_own_move(struct reconciler *r, struct want *w)
{
    if (!w || w->own_epoch != r->own_epoch || w->own_moves == 0)
        return false;
    w->own_moves--;
    return true;
}

/* Events may have been lost (the queue overflowed, a watch went): no move counted before
 * is taken as ours any more. */
static void forget_own_moves(struct reconciler *r)
{
    r->own_epoch++;
}

/* Removes what is at rel (of kind k, a regular file or a stray) that nobody owes, or that the
 * agent never writes (a stray: the kubelet would follow a link, and load what it points to):
 * a warning, and counted with the files put back. The entry itself goes, never what a link
 * points to. */
static void remove_unowed(struct reconciler *r, const char *rel, enum store_kind k)
{
    if (k == STORE_FILE)
        log_warning("kscmp/%s appeared behind the agent's back and no valid profile is owed for "
                    "it: removing it",
                    rel);
    else
        log_warning("kscmp/%s appeared behind the agent's back (%s), which the agent never "
                    "writes: removing it",
                    rel,
                    k == STORE_LINK ? "a symbolic link; what it points to is left alone"
                                    : "a FIFO, socket or device");
    struct kerr err = {0};
    bool removed = false;
    if (store_remove(r->s, rel, &removed, &err) < 0)
        log_error("%s", err.msg);
    else if (removed)
        metrics_add(r->m, M_PROFILES_RESTORED, 1);
}

/* After a write of rel failed: a stray at its name is removed (until a retry replaces it, the
 * kubelet would follow a link), and buf says what stays in its place, for the write's log
 * line: "the previous kscmp/rel stays", or that there is none (a first write, a folder that
 * cannot be made). */
static void after_failed_write(struct reconciler *r, const char *rel, char *buf, size_t size)
{
    enum store_kind k = STORE_ABSENT;
    int q = store_kind_of(r->s, rel, &k, NULL);
    if (q == 0 && store_kind_stray(k)) {
        remove_unowed(r, rel, k);
        q = store_kind_of(r->s, rel, &k, NULL);
    }
    if (q == -ENOTDIR || (q == 0 && k == STORE_ABSENT))
        snprintf(buf, size, "there is no previous kscmp/%s: it stays absent", rel);
    else if (q < 0)
        snprintf(buf, size, "whatever is at kscmp/%s stays", rel);
    else
        snprintf(buf, size, "the %s kscmp/%s stays",
                 k == STORE_FILE     ? "previous"
                 : k == STORE_FOLDER ? "folder at"
                 : k == STORE_LINK   ? "symbolic link at"
                                     : "FIFO, socket or device at",
                 rel);
}

/* What store_write() said of a write of json to rel (q, changed, err): w records it. */
static int write_done(struct reconciler *r, struct want *w, const char *rel, const char *json,
                      size_t len, uint64_t event_us, const char *why, int q, bool changed,
                      const struct kerr *err, char **take)
{
    char left[PATH_MAX + 64];
    if (q < 0)
        after_failed_write(r, rel, left, sizeof(left));
    if (q < 0 && permanent(q)) {
        metrics_add(r->m, M_WRITE_ERRORS, 1);
        metrics_add(r->m, M_PROFILES_REJECTED, 1);
        log_error("%s: kscmp/%s cannot be written, and is not retried (%s)", err->msg, rel, left);
        w->pending = false;
        w->attempts = 0;
        free(w->pending_json);
        w->pending_json = NULL;
        snprintf(r->last_error, sizeof(r->last_error), "%s", err->msg);
        return q;
    }
    if (q < 0) {
        metrics_add(r->m, M_WRITE_ERRORS, 1);
        log_error("%s (%s)", err->msg, left);
        /* Remember the bytes still owed (callers never pass w->pending_json itself). */
        free(w->pending_json);
        /* a profile is text: no NUL inside */
        w->pending_json = take && *take == json ? TAKE_PTR(*take) : strndup(json, len);
        w->pending_len = len;
        w->event_us = event_us;
        w->pending_remove = false;
        fail_later(r, w, rel);
        return q;
    }
    /* take: json itself, the caller's to give (no copy then) */
    char *copy = take && *take == json ? TAKE_PTR(*take) : strndup(json, len);
    if (!copy)
        return -ENOMEM;
    free(w->json);
    w->json = copy;
    w->len = len;
    w->present = true;
    if (!why) /* the engine's latest bytes (a restore puts back the bytes written before) */
        w->recording = w->recording_wanted;
    if (!w->recording && w->marked) {
        /* Not a recording profile any more: its mark goes (a mark left is only stricter: a
         * file kept at a start is then removed rather than kept). */
        struct kerr merr = {0};
        if (store_set_recording_mark(r->s, rel, false, &merr) == 0)
            w->marked = false;
        else
            log_warning("%s", merr.msg);
    }
    w->pending = false;
    w->attempts = 0;
    free(w->pending_json);
    w->pending_json = NULL;
    if (changed) {
        own_move(r, w, rel); /* before a watch is added: its rename's event is not in it */
        /* Its folders made by this write (someone removed them), where no watch is yet: watched
         * from now on, their files checked (events before the watch were not seen). */
        if (r->ifd >= 0 && !tree_watched(r))
            watch_tree(r);
        metrics_add(r->m, why ? M_PROFILES_RESTORED : M_PROFILES_WRITTEN, 1);
        if (event_us)
            metrics_observe_latency(r->m, (double)(now_us() - event_us) / 1e6);
        log_info("%s %s/%s (%zu bytes)", why ? why : "wrote", store_path(r->s), rel, len);
    } else
        metrics_add(r->m, M_PROFILES_UNCHANGED, 1);
    return changed;
}

/* Writes bytes to rel; on success w records them. A permanent error is not retried (it holds
 * no readiness back): the caller tells the pods (tell_refused). */
/* Before bytes that are a recording profile (what the engine wants, or for a restore what was
 * written) go to rel: the store's mark that says so across a restart, made durable first. 0,
 * or why not (the bytes are then not written: retried as a failed write). */
static int mark_before_write(struct reconciler *r, struct want *w, const char *rel, const char *why,
                             struct kerr *err)
{
    if (!(why ? w->recording : w->recording_wanted) || w->marked)
        return 0;
    int q = store_set_recording_mark(r->s, rel, true, err);
    w->marked = q == 0;
    return q;
}

static int do_write(struct reconciler *r, struct want *w, const char *rel, const char *json,
                    size_t len, uint64_t event_us, const char *why)
{
    struct kerr err = {0};
    bool changed = false;
    int q = mark_before_write(r, w, rel, why, &err);
    if (q == 0)
        q = store_write(r->s, rel, json, len, &changed, &err);
    return write_done(r, w, rel, json, len, event_us, why, q, changed, &err, NULL);
}

/* Removes rel, and forgets what was wanted of it; only a file that was there is logged and
 * counted as removed (the engine says to remove files that may never have been written). */
static int do_remove(struct reconciler *r, const char *rel, const char *why)
{
    struct kerr err = {0};
    bool removed = false;
    int q = store_remove(r->s, rel, &removed, &err);
    struct want *w = hmap_get(&r->wants, rel);
    if (q < 0 && permanent(q)) {
        /* Not a name the store takes: no such file can be there. */
        metrics_add(r->m, M_WRITE_ERRORS, 1);
        log_error("%s: not retried", err.msg);
        want_free(hmap_remove(&r->wants, rel));
        return q;
    }
    if (q < 0) {
        metrics_add(r->m, M_WRITE_ERRORS, 1);
        log_error("%s", err.msg);
        if (w) {
            w->present = false;
            w->pending_remove = true;
            free(w->pending_json);
            w->pending_json = NULL;
            fail_later(r, w, rel);
        }
        return q;
    }
    if (removed) {
        log_info("removed %s/%s: %s", store_path(r->s), rel, why);
        metrics_add(r->m, M_PROFILES_REMOVED, 1);
    }
    if (w)
        want_free(hmap_remove(&r->wants, rel));
    return 0;
}

/* The pods of a profile that is not written get a Warning Event, ProfileRefused, that says
 * why (msg). */
static void tell_refused(struct reconciler *r, const struct pod *const *pods, size_t npods,
                         const char *msg)
{
    for (size_t i = 0; r->event && i < npods; i++) {
        struct engine_event ev = {.pod = pods[i], .reason = "ProfileRefused", .message = msg};
        r->event(&ev, r->event_userdata);
    }
}

static char *proof_message(const char *rel, const char *why)
{
    char *msg = NULL;
    if (asprintf(&msg,
                 "the compiled profile kscmp/%s is refused by the libseccomp proof, so it is not "
                 "written (the previous file, if any, stays): %s",
                 rel, why) < 0)
        return NULL;
    return msg;
}

static char *store_message(const char *rel, const char *why)
{
    char *msg = NULL;
    if (asprintf(&msg,
                 "the profile kscmp/%s cannot be written on the node, so it is not (the previous "
                 "file, if any, stays): %s",
                 rel, why) < 0)
        return NULL;
    return msg;
}

static int tell_refused_file(const struct file_result *res, void *userdata)
{
    void **args = userdata;
    tell_refused(args[0], res->pods, res->npods, args[1]);
    return 0;
}

/* The same, outside a sync: the file's pods as the engine sees them now. */
static void tell_refused_now(struct reconciler *r, const char *rel, const char *msg)
{
    void *args[2] = {r, (void *)msg};
    struct sync_ops ops = {.file = tell_refused_file, .userdata = args};
    engine_compute_file(r->e, rel, &ops);
}

static void refused(struct reconciler *r, const char *rel, const char *why, bool before)
{
    metrics_add(r->m, M_PROFILES_REJECTED, 1);
    log_error("kscmp/%s: the compiled profile is refused%s, the previous file stays: %s", rel,
              before ? " (as the same bytes were before: not proven again)" : "", why);
}

/* Drops the bytes kept to be proven again (prove_later()): a new proof is on its way, or none
 * is wanted. */
static void drop_proof_retry(struct want *w)
{
    free(w->proof_json);
    w->proof_json = NULL;
    w->proof_at_ms = 0;
}

/* Stops waiting for a proof of rel (the engine wants something else now). */
static void stop_proving(struct reconciler *r, struct want *w, const char *rel)
{
    if (w && w->proving) {
        prover_cancel(r->prover, rel);
        w->proving = false;
        drop_proof_retry(w);
        w->proof_attempts = 0;
    }
}

/* The proof of rel's bytes came to no verdict, for a reason that is not theirs (node/prover.h:
 * -EAGAIN, why says which): they are proven again with backoff, as a failed write is written
 * again (fail_later()). Meanwhile the file keeps its previous version and waits, as a write
 * does (it holds readiness). Without an event loop (--once) nothing is tried again. */
static void prove_later(struct reconciler *r, struct want *w, const char *rel, const char *why,
                        const char *bytes, size_t len)
{
    drop_proof_retry(w);
    /* Without memory for the bytes, the file is computed again instead (prove_again()). */
    if ((w->proof_json = malloc(len + 1))) {
        memcpy(w->proof_json, bytes, len);
        w->proof_json[len] = '\0';
        w->proof_len = len;
    }
    w->proof_attempts++;
    uint64_t delay = backoff_jitter_ms(w->proof_attempts, 100, 30000);
    w->proof_at_ms = now_ms() + delay;
    if (!r->l) {
        log_error("kscmp/%s: not proven, the previous file stays: %s", rel, why);
        return;
    }
    log_warning("kscmp/%s: not proven yet, the previous file stays: %s; will try again in %llu ms "
                "(attempt %u)",
                rel, why, (unsigned long long)delay, w->proof_attempts);
    schedule_retry(r);
}

/* ---- the batch: proven bytes written together ----
 *
 * Verdicts come in bunches (two workers, a sync that compiles many files): their files are
 * written by one store_write_many(), which waits for the disk once per bunch and once per
 * folder instead of twice per file. A write waits in the batch until the loop turns (a
 * timer due at once), or the end of the sync that queued it. */

/* Drops rel's bytes waiting in the batch: the engine wants something else now. */
static void unbatch(struct want *w)
{
    if (!w || !w->batched)
        return;
    w->batched = false;
    free(w->batch_json);
    w->batch_json = NULL;
}

/* Appends a copy of rel to r->batch (doubling it as it grows: a batch may hold a node's
 * every file). */
static int batch_push(struct reconciler *r, const char *rel)
{
    if (r->nbatch == r->batch_alloc) {
        size_t alloc = r->batch_alloc ? 2 * r->batch_alloc : 64;
        char **b = realloc(r->batch, alloc * sizeof(*b));
        if (!b)
            return -ENOMEM;
        r->batch = b;
        r->batch_alloc = alloc;
    }
    if (!(r->batch[r->nbatch] = strdup(rel)))
        return -ENOMEM;
    r->nbatch++;
    return 0;
}

/* Queues the proven json for rel (late: from a verdict after its sync). Without memory for
 * that it is written at once. */
static int batch_add(struct reconciler *r, struct want *w, const char *rel, const char *json,
                     size_t len, uint64_t event_us, bool late)
{
    char *copy = malloc(len + 1);
    if (copy && !w->batched && batch_push(r, rel) < 0) {
        free(copy);
        copy = NULL;
    }
    if (!copy) {
        unbatch(w);
        int q = do_write(r, w, rel, json, len, event_us, NULL);
        if (q > 0 && late && r->written)
            r->written(r->written_userdata);
        return q;
    }
    memcpy(copy, json, len);
    copy[len] = '\0';
    free(w->batch_json);
    w->batch_json = copy;
    w->batch_len = len;
    w->batch_event_us = event_us;
    w->batch_late = late;
    w->batched = true;
    if (!r->l)
        return 0;
    /* A lone change, or a full batch, is written when the loop turns. */
    if (r->nbatch >= GATHER_FILES || prover_pending(r->prover) < GATHER_PENDING)
        evtimer_arm(r->flush_timer, 0);
    else if (!evtimer_armed(r->flush_timer))
        evtimer_arm(r->flush_timer, GATHER_MS);
    return 0;
}

static void poll_prover(void *prover)
{
    prover_poll(prover);
}

static int cmp_rel(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Writes what waits in the batch, and tells the pods of a file that cannot be; r->written
 * when a file of a late verdict was written. Without memory for the whole batch, one file
 * at a time. */
static void flush(struct reconciler *r)
{
    size_t n = r->nbatch;
    char **rels = TAKE_PTR(r->batch);
    r->nbatch = r->batch_alloc = 0;
    if (!n)
        return;
    /* Each folder's files together: a chunk of store_write_many() fsyncs each of its folders
     * once. */
    qsort(rels, n, sizeof(*rels), cmp_rel);
    struct store_item one, *all = calloc(n, sizeof(*all));
    struct store_item *items = all ? all : &one;
    size_t cap = all ? n : 1;
    /* The workers get their next jobs between the waits for the disk. */
    struct store_tick tick = {.fn = poll_prover, .userdata = r->prover};
    bool wrote_late = false;
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; i < n && k < cap; i++) {
            struct want *w = hmap_get(&r->wants, rels[i]);
            if (!w || !w->batched) /* superseded */
                continue;
            struct kerr merr = {0};
            int mq = mark_before_write(r, w, rels[i], NULL, &merr);
            if (mq < 0) { /* not written: a failed write (retried) */
                _cleanup_free_ char *json = TAKE_PTR(w->batch_json);
                w->batched = false;
                write_done(r, w, rels[i], json, w->batch_len, w->batch_event_us, NULL, mq, false,
                           &merr, &json);
                continue;
            }
            items[k++] =
                (struct store_item){.rel = rels[i], .data = w->batch_json, .len = w->batch_len};
        }
        if (k)
            store_write_many(r->s, items, k, &tick);
        for (size_t j = 0; j < k; j++) {
            const char *rel = items[j].rel;
            struct want *w = hmap_get(&r->wants, rel);
            if (!w || !w->batched)
                continue;
            _cleanup_free_ char *json = TAKE_PTR(w->batch_json);
            w->batched = false;
            int q = write_done(r, w, rel, json, w->batch_len, w->batch_event_us, NULL, items[j].r,
                               items[j].changed, &items[j].err, &json);
            wrote_late |= q > 0 && w->batch_late;
            _cleanup_free_ char *msg =
                q < 0 && permanent(q) ? store_message(rel, r->last_error) : NULL;
            if (msg)
                tell_refused_now(r, rel, msg);
        }
    }
    free(all);
    strv_free(rels, n);
    if (wrote_late && r->written)
        r->written(r->written_userdata);
    update_gauge(r);
}

static void on_flush(struct evtimer *timer, void *userdata)
{
    flush(userdata);
}

/* A file that holds a recording profile while what the engine wants now is not one (its
 * recording ended or no longer covers every pod of the file), and the new bytes cannot be
 * written (kept: an invalid policy, unknown Namespace labels, over the bounds; or refused by
 * the proof): removed, not kept as it is (fail closed: new containers do not start rather
 * than start under a profile that blocks almost nothing). True when removed. */
static bool drop_recording_profile(struct reconciler *r, struct want *w, const char *rel,
                                   const char *why)
{
    if (!w || !w->present || !w->recording || w->recording_wanted)
        return false;
    log_warning("kscmp/%s: removed, not kept as it was (%s): it holds a recording profile, and "
                "no recording covers its pods now",
                rel, why);
    stop_proving(r, w, rel);
    do_remove(r, rel, "a recording profile, not kept once its recording no longer covers it");
    return true;
}

static int on_file(const struct file_result *res, void *userdata)
{
    struct reconciler *r = userdata;
    struct want *w = hmap_get(&r->wants, res->rel);
    unbatch(w); /* what the engine says now replaces what waits */
    if (w && res->action != FILE_REMOVE)
        w->recording_wanted = res->recording;
    switch (res->action) {
    case FILE_WRITE: {
        if (w && w->present && !w->pending && w->len == res->len &&
            memcmp(w->json, res->json, res->len) == 0) {
            stop_proving(r, w, res->rel);
            metrics_add(r->m, M_PROFILES_UNCHANGED, 1);
            break;
        }
        const char *why = NULL;
        struct digest d; /* taken once for the lookup and the proof */
        digest_bytes(res->json, res->len, &d);
        int v = prover_lookup_digest(r->prover, res->json, res->len, &d, &why);
        if (v < 0) {
            /* Fail closed: a profile refused is never written; remembered, it costs nothing. */
            stop_proving(r, w, res->rel);
            refused(r, res->rel, why, true);
            _cleanup_free_ char *msg = proof_message(res->rel, why);
            if (msg)
                tell_refused(r, res->pods, res->npods, msg);
            drop_recording_profile(r, w, res->rel, "its new profile is refused");
            break;
        }
        if (!w) {
            if (!(w = want_get(r, res->rel)))
                return -ENOMEM;
            w->recording_wanted = res->recording;
        }
        if (v == 1) {
            /* Proven before: written with the batch, at the end of this sync. */
            stop_proving(r, w, res->rel);
            int q = batch_add(r, w, res->rel, res->json, res->len, r->event_us, false);
            if (q == -ENOMEM)
                return q;
            if (q < 0 && permanent(q)) {
                _cleanup_free_ char *msg = store_message(res->rel, r->last_error);
                if (msg)
                    tell_refused(r, res->pods, res->npods, msg);
            }
            break;
        }
        /* Proven in a worker; written when the verdict comes (on_proven). */
        struct ns_name n = {0}; /* its folder: the group its proofs wait in */
        (void)ns_name_split(res->rel, &n);
        drop_proof_retry(w); /* proven now, not later */
        int q = prover_submit_digest(r->prover, res->rel, n.ns, res->json, res->len, &d);
        if (q == -EFBIG) {
            stop_proving(r, w, res->rel);
            char big[128];
            snprintf(big, sizeof(big), "%zu bytes is more than a profile may have", res->len);
            refused(r, res->rel, big, false);
            _cleanup_free_ char *msg = proof_message(res->rel, big);
            if (msg)
                tell_refused(r, res->pods, res->npods, msg);
            drop_recording_profile(r, w, res->rel, "its new profile is refused");
            break;
        }
        w->event_us = r->event_us;
        if (q < 0) {
            /* No memory to queue it (and the proof of rel's earlier bytes no longer reports
             * here): proven later, as a proof that came to no verdict is, so that rel neither
             * waits for a verdict that will not come nor takes the earlier bytes' one. */
            stop_proving(r, w, res->rel);
            w->proving = true;
            prove_later(r, w, res->rel, strerror(-q), res->json, res->len);
            break;
        }
        w->proving = true;
        break;
    }
    case FILE_KEEP: {
        if (drop_recording_profile(r, w, res->rel, res->why))
            break;
        stop_proving(r, w, res->rel);
        if (!w) { /* never had one: it stays absent */
            if (!(w = want_get(r, res->rel)))
                return -ENOMEM;
            w->present = false;
        }
        log_warning("kscmp/%s: kept as it was: %s", res->rel, res->why);
        break;
    }
    case FILE_REMOVE:
        stop_proving(r, w, res->rel);
        do_remove(r, res->rel, res->why);
        break;
    }
    return 0;
}

/* A verdict on rel's bytes, told by the prover or found remembered (before): proven bytes are
 * written, refused ones are not. */
static void take_verdict(struct reconciler *r, struct want *w, const char *rel, int verdict,
                         const char *why, const char *bytes, size_t len, bool before)
{
    w->proving = false;
    w->proof_attempts = 0;
    if (verdict < 0) {
        refused(r, rel, why, before);
        _cleanup_free_ char *msg = proof_message(rel, why);
        if (msg)
            tell_refused_now(r, rel, msg);
        if (drop_recording_profile(r, w, rel, "its new profile is refused")) {
            update_gauge(r); /* w is gone */
            return;
        }
    } else {
        /* Written with the other verdicts of this bunch (flush). */
        int q = batch_add(r, w, rel, bytes, len, w->event_us, true);
        _cleanup_free_ char *msg = q < 0 && permanent(q) ? store_message(rel, r->last_error) : NULL;
        if (msg)
            tell_refused_now(r, rel, msg);
        if (w->batched)
            return; /* its flush updates the gauges: not once per verdict (each a walk) */
    }
    update_gauge(r);
}

/* A verdict from the prover: proven bytes are written, refused ones are not, and those that
 * came to none are proven again later. */
static void on_proven(const char *rel, int verdict, const char *why, const char *bytes, size_t len,
                      void *userdata)
{
    struct reconciler *r = userdata;
    struct want *w = hmap_get(&r->wants, rel);
    if (!w || !w->proving)
        return; /* the engine wants something else now */
    if (verdict == -EAGAIN)
        prove_later(r, w, rel, why, bytes, len); /* still proving: nothing written meanwhile */
    else
        take_verdict(r, w, rel, verdict, why, bytes, len, false);
}

/* Proves rel's bytes again, whose last proof came to no verdict (prove_later()), unless their
 * verdict is known by now (the same bytes of another file were proven meanwhile). */
static void prove_again(struct reconciler *r, struct want *w, const char *rel)
{
    _cleanup_free_ char *json = TAKE_PTR(w->proof_json);
    size_t len = w->proof_len;
    w->proof_at_ms = 0;
    if (!json) {
        /* The bytes were lost to a failed allocation: recompute */
        stop_proving(r, w, rel);
        engine_touch_all(r->e);
        reconciler_sync(r, 0);
        return;
    }
    struct digest d;
    digest_bytes(json, len, &d);
    const char *why = NULL;
    int v = prover_lookup_digest(r->prover, json, len, &d, &why);
    if (v != 0) {
        take_verdict(r, w, rel, v < 0 ? v : 0, why, json, len, v < 0);
        return;
    }
    struct ns_name n = {0};
    (void)ns_name_split(rel, &n);
    int q = prover_submit_digest(r->prover, rel, n.ns, json, len, &d);
    if (q < 0)
        prove_later(r, w, rel, strerror(-q), json, len);
}

void reconciler_set_written_hook(struct reconciler *r, void (*written)(void *userdata),
                                 void *userdata)
{
    r->written = written;
    r->written_userdata = userdata;
}

static int on_event(const struct engine_event *ev, void *userdata)
{
    struct reconciler *r = userdata;
    return r->event ? r->event(ev, r->event_userdata) : 0;
}

int reconciler_sync(struct reconciler *r, uint64_t event_us)
{
    r->event_us = event_us;
    struct sync_ops ops = {.file = on_file, .event = on_event, .userdata = r};
    int q = engine_sync(r->e, &ops);
    if (!r->l)
        prover_drain(r->prover); /* --once: every verdict now */
    flush(r);
    metrics_add(r->m, M_RECONCILES, 1);
    if (q < 0) {
        metrics_add(r->m, M_RECONCILE_ERRORS, 1);
        log_error("reconcile failed: %s", strerror(-q));
    }
    update_gauge(r);
    return q;
}

void reconciler_initial_done(struct reconciler *r)
{
    r->initial_done = true;
    engine_past_known(r->e); /* a policy that comes from now on is new */
    update_gauge(r);
}

void reconciler_lost(struct reconciler *r)
{
    r->lost = true;
    r->ready = false;
    metrics_set(r->m, G_READY, 0);
}

bool reconciler_ready(const struct reconciler *r)
{
    return r->ready;
}

unsigned reconciler_pending(const struct reconciler *r)
{
    unsigned n = 0;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&r->wants, &it); h; h = hmap_next(&r->wants, &it)) {
        const struct want *w = h->value;
        n += w->pending || w->proving || w->batched;
    }
    return n;
}

/* True for a write or removal, or a proof, waiting for a retry that is due at *now_ms. */
static bool retry_due(const char *rel, void *value, void *now_ms)
{
    const struct want *w = value;
    uint64_t now = *(uint64_t *)now_ms;
    return (w->pending && w->retry_at_ms <= now) ||
           (w->proving && w->proof_at_ms && w->proof_at_ms <= now);
}

int reconciler_forget_refusals(struct reconciler *r)
{
    return prover_forget_refusals(r->prover);
}

static void on_retry(struct evtimer *timer, void *userdata)
{
    struct reconciler *r = userdata;
    uint64_t now = now_ms();
    /* Collect first: do_remove changes the map. */
    char **due = NULL;
    size_t n = 0;
    if (hmap_keys(&r->wants, retry_due, &now, &due, &n) < 0)
        return;
    bool wrote = false;
    for (size_t i = 0; i < n; i++) {
        const char *rel = due[i];
        struct want *w = hmap_get(&r->wants, rel);
        if (w && w->proving && w->proof_at_ms && w->proof_at_ms <= now) {
            prove_again(r, w, rel);
            w = hmap_get(&r->wants, rel); /* a recompute may have changed the map */
        }
        if (!w || !w->pending || w->retry_at_ms > now)
            continue;
        if (w->pending_remove)
            do_remove(r, rel, "retried");
        else if (w->pending_json) {
            _cleanup_free_ char *json = TAKE_PTR(w->pending_json);
            wrote |= do_write(r, w, rel, json, w->pending_len, w->event_us, NULL) >= 0;
        } else {
            w->pending = false; /* the bytes were lost to a failed allocation: recompute */
            engine_touch_all(r->e);
            reconciler_sync(r, 0);
        }
    }
    strv_free(due, n);
    /* A write that failed because a folder was missing or a link may have made the folders
     * again, where no watch is: watch them, or later tampering there goes unnoticed. */
    if (wrote)
        watch_tree(r);
    update_gauge(r);
    schedule_retry(r);
}

static void schedule_retry(struct reconciler *r)
{
    uint64_t next = 0;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&r->wants, &it); h; h = hmap_next(&r->wants, &it)) {
        struct want *w = h->value;
        if (w->pending && (!next || w->retry_at_ms < next))
            next = w->retry_at_ms;
        if (w->proving && w->proof_at_ms && (!next || w->proof_at_ms < next))
            next = w->proof_at_ms;
    }
    if (!next || !r->l)
        return;
    uint64_t now = now_ms();
    evtimer_arm(r->retry_timer, next > now ? next - now : 0);
}

static int load_one(const char *rel, enum store_kind kind, bool marked, void *userdata)
{
    struct reconciler *r = userdata;
    if (kind != STORE_FILE) {
        remove_unowed(r, rel, kind); /* never a last good profile: the agent writes none */
        return 0;
    }
    struct kerr err = {0}, put_back_err = {0};
    char *data = NULL;
    size_t len = 0;
    /* Its mode and owner put back as it is read, if someone changed them while the agent was
     * not running (the bytes are compared with what the engine owes later). */
    int q = store_read_restore(r->s, rel, &data, &len, &put_back_err, &err);
    if (q < 0) {
        log_warning("%s", err.msg);
        return 0;
    }
    if (put_back_err.code < 0)
        log_warning("%s", put_back_err.msg);
    struct want *w = want_get(r, rel);
    if (!w) {
        free(data);
        return -ENOMEM;
    }
    free(w->json);
    w->json = data;
    w->len = len;
    w->present = true;
    /* A recording profile written before (its mark): not kept as it is should no recording
     * cover it now (drop_recording_profile()). */
    w->recording = w->marked = marked;
    return 0;
}

/* Drops the watch at index i of r->wdirs (its watch already gone, or removed). */
static void drop_wdir(struct reconciler *r, size_t i)
{
    free(r->wdirs[i].ns);
    r->wdirs[i] = r->wdirs[--r->nwdirs];
}

/* A folder at path is there but could not be watched (error: an errno): changes made there
 * would go unseen, so this is said (once, until every folder is watched again) and every file
 * is checked every REWATCH_MS, when the watches are tried again. */
static void watch_failed(struct reconciler *r, const char *path, int error)
{
    r->watch_failures++;
    if (!r->unwatched)
        log_warning("%s: cannot watch it: %s%s: a change someone makes to the profiles there is "
                    "not seen at once; every file is checked, and the watch tried again, every "
                    "%d s until it is there",
                    path, strerror(error), inotify_limit_hint(error), REWATCH_MS / 1000);
    r->unwatched = true;
    if (r->rewatch_timer && !evtimer_armed(r->rewatch_timer))
        evtimer_arm(r->rewatch_timer, REWATCH_MS);
}

/* Watches the folder of kind (WDIR_NS: of namespace ns) at its path now; true when no watch
 * was on that folder yet (one made, moved in, or put in the place of another). */
static bool add_wdir(struct reconciler *r, enum wdir_kind kind, const char *ns)
{
    _cleanup_free_ char *path = NULL;
    const char *kscmp = store_path(r->s);
    int q = kind == WDIR_SECCOMP
                ? asprintf(&path, "%.*s", (int)(strrchr(kscmp, '/') - kscmp), kscmp)
            : kind == WDIR_KSCMP ? asprintf(&path, "%s", kscmp)
                                 : asprintf(&path, "%s/%s", kscmp, ns);
    if (q < 0)
        return false;
    uint32_t mask = IN_DONT_FOLLOW | IN_ONLYDIR | IN_DELETE_SELF | IN_MOVE_SELF;
    /* A namespace folder: every change to its files, IN_MODIFY for those made in place by a
     * writer that has not closed yet (or never does: a truncate() closes nothing). The events
     * of the agent's own temporaries (IN_MODIFY among them) are told apart by their names in
     * on_watch_event(), without a look at the disk. The others: their entries made, moved or
     * removed (of seccomp, only kscmp is the agent's). */
    mask |= kind == WDIR_NS ? IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                  IN_ATTRIB | IN_CREATE
                            : IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM;
    int wd = inotify_add_watch(r->ifd, path, mask);
    if (wd < 0) {
        /* A folder not there (yet) is no failure: its making is an event of its parent's. */
        if (errno != ENOENT && errno != ENOTDIR)
            watch_failed(r, path, errno);
        return false;
    }
    _cleanup_free_ char *name = kind == WDIR_NS ? strdup(ns) : NULL;
    if (kind == WDIR_NS && !name) {
        inotify_rm_watch(r->ifd, wd);
        return false;
    }
    for (size_t i = 0; i < r->nwdirs; i++)
        if (r->wdirs[i].wd == wd) { /* watched already (renamed: the same folder at a new name) */
            free(r->wdirs[i].ns);
            r->wdirs[i] = (struct wdir){wd, kind, TAKE_PTR(name), true};
            return false;
        }
    struct wdir *v = realloc(r->wdirs, (r->nwdirs + 1) * sizeof(*v));
    if (!v) {
        inotify_rm_watch(r->ifd, wd);
        return false;
    }
    r->wdirs = v;
    r->wdirs[r->nwdirs++] = (struct wdir){wd, kind, TAKE_PTR(name), true};
    return true;
}

static void verify_ns(struct reconciler *r, const char *ns);

static int watch_ns(const char *ns, void *userdata)
{
    struct reconciler *r = userdata;
    /* A folder not watched yet: the changes made in it before were not seen. Not at start,
     * where every file was just read. */
    if (add_wdir(r, WDIR_NS, ns) && r->started)
        verify_ns(r, ns);
    return 0;
}

/* Whether seccomp and kscmp are watched (else a write may make them where no watch is). */
static bool tree_watched(const struct reconciler *r)
{
    bool seccomp = false, kscmp = false;
    for (size_t i = 0; i < r->nwdirs; i++) {
        seccomp |= r->wdirs[i].kind == WDIR_SECCOMP;
        kscmp |= r->wdirs[i].kind == WDIR_KSCMP;
    }
    return seccomp && kscmp;
}

/* Makes the watches what the paths lead to now: seccomp, kscmp and each namespace folder in it
 * (whatever it holds) are watched, a folder made, moved in or put in the place of another gets a
 * watch of its own, and the watches of folders no longer at their paths (moved away with their
 * files, as to a backup, or removed) are removed, so that changes there are not taken for the
 * store's. Files in a namespace folder watched anew are checked (verify_ns()). */
static void watch_tree(struct reconciler *r)
{
    if (r->ifd < 0)
        return;
    unsigned failures = r->watch_failures;
    for (size_t i = 0; i < r->nwdirs; i++)
        r->wdirs[i].found = false;
    add_wdir(r, WDIR_SECCOMP, NULL);
    add_wdir(r, WDIR_KSCMP, NULL);
    /* Should the folders not be listed, the namespace folders' watches stay as they are. */
    bool listed = store_list_namespaces(r->s, watch_ns, r, NULL) == 0;
    for (size_t i = r->nwdirs; i-- > 0;)
        if (!r->wdirs[i].found && (listed || r->wdirs[i].kind != WDIR_NS)) {
            inotify_rm_watch(r->ifd, r->wdirs[i].wd); /* its IN_IGNORED finds no watch */
            drop_wdir(r, i);
        }
    if (r->unwatched && listed && r->watch_failures == failures) {
        r->unwatched = false;
        evtimer_cancel(r->rewatch_timer);
        log_info("every folder below %s is watched again", store_path(r->s));
    }
    if (r->l && (r->verify_all || r->verify.n) && !evtimer_armed(r->verify_timer))
        evtimer_arm_idle(r->verify_timer, VERIFY_MAX_WAIT_MS);
}

static void verify_one(struct reconciler *r, const char *rel)
{
    if (!store_rel_valid(rel))
        return;
    struct want *w = hmap_get(&r->wants, rel);
    struct kerr err = {0};
    enum store_kind k = STORE_ABSENT;
    if (w && (w->pending || w->batched)) {
        /* A retry or a write is on its way: only a stray goes meanwhile. */
        if (store_kind_of(r->s, rel, &k, NULL) == 0 && store_kind_stray(k))
            remove_unowed(r, rel, k);
        return;
    }
    r->checks++;
    if (w && w->present) {
        /* Nothing changed but maybe the mode (put back by the check), or a change of ours
         * whose event was not counted (its folder was not watched yet). */
        bool equal = false;
        int q = store_check(r->s, rel, w->json, w->len, &equal, &err);
        if (q == 0 && equal)
            return;
        k = STORE_FILE; /* when it cannot be told: changed */
        store_kind_of(r->s, rel, &k, NULL);
        log_warning("kscmp/%s was %s behind the agent's back: putting it back", rel,
                    k == STORE_ABSENT   ? "removed"
                    : k == STORE_LINK   ? "replaced by a symbolic link"
                    : k == STORE_FOLDER ? "replaced by a folder"
                    : k == STORE_FILE   ? "changed"
                                        : "replaced by a FIFO, socket or device");
        /* Renamed over whatever is there (a link itself, never what it points to). */
        _cleanup_free_ char *json = strndup(w->json, w->len);
        if (json)
            do_write(r, w, rel, json, w->len, now_us(), "restored");
        return;
    }
    /* Nothing is owed (no pod references it, its policy never was valid, its proof is on its
     * way): whatever is there goes, but a folder (refused by every write). */
    if (store_kind_of(r->s, rel, &k, NULL) == 0 && (k == STORE_FILE || store_kind_stray(k)))
        remove_unowed(r, rel, k);
}

/* Queues rel, listed on disk, for a check (verify_one() removes it if nobody owes it). */
static int queue_listed(const char *rel, enum store_kind kind, void *userdata)
{
    struct reconciler *r = userdata;
    return hmap_put(&r->verify, rel, NULL, NULL) < 0 ? -ENOMEM : 0;
}

static void on_verify(struct evtimer *timer, void *userdata)
{
    struct reconciler *r = userdata;
    bool all = r->verify_all;
    if (all) {
        /* Every file owed, and every entry at a profile's name on disk: one nobody owes (that
         * no event told of) goes too. */
        r->verify_all = false;
        struct hmap_iter it;
        for (struct hmap_entry *h = hmap_first(&r->wants, &it); h; h = hmap_next(&r->wants, &it))
            hmap_put(&r->verify, h->key, NULL, NULL);
        struct kerr err = {0};
        if (store_list(r->s, queue_listed, r, &err) < 0 && err.msg[0])
            log_warning("checking the files on disk: %s", err.msg);
    }
    char **rels = NULL;
    size_t n = 0;
    if (hmap_keys(&r->verify, NULL, NULL, &rels, &n) < 0)
        return;
    hmap_clear(&r->verify, NULL);
    for (size_t i = 0; i < n; i++)
        verify_one(r, rels[i]);
    strv_free(rels, n);
    if (all)
        watch_tree(r);
    update_gauge(r);
}

static void on_rewatch(struct evtimer *timer, void *userdata)
{
    struct reconciler *r = userdata;
    /* Should a watch still fail, watch_failed() arms the timer again. */
    reconciler_check_all(r);
}

void reconciler_check_all(struct reconciler *r)
{
    if (!r->started || !r->l)
        return;
    r->verify_all = true;
    watch_tree(r);
    if (!evtimer_armed(r->verify_timer))
        evtimer_arm_idle(r->verify_timer, VERIFY_MAX_WAIT_MS);
}

/* Queues for a check every file we want in the folder of namespace ns, and whatever else is
 * at a profile's name there (files made before its watch was added, or a folder moved in with
 * its files: no event told of them). */
static void verify_ns(struct reconciler *r, const char *ns)
{
    size_t n = strlen(ns);
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&r->wants, &it); h; h = hmap_next(&r->wants, &it))
        if (strncmp(h->key, ns, n) == 0 && h->key[n] == '/')
            hmap_put(&r->verify, h->key, NULL, NULL);
    store_list_in(r->s, ns, queue_listed, r, NULL);
}

/* The tree may have changed (the queue overflowed, a watch was lost, a folder moved or was
 * removed): the watches are made again from the paths once the events read are handled, and
 * every file is checked. A move of ours counted before may have lost its event. */
static void tree_changed(struct reconciler *r)
{
    r->rewatch = true;
    r->verify_all = true;
    forget_own_moves(r);
}

/* Acts on one event of the watch; true when it may tell of a change someone else made below
 * the store (anything but the agent's own renames and the names of its temporaries). */
static bool on_watch_event(struct reconciler *r, const struct inotify_event *ev)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        tree_changed(r);
        return true;
    }
    size_t di = r->nwdirs;
    for (size_t i = 0; i < r->nwdirs; i++)
        if (r->wdirs[i].wd == ev->wd)
            di = i;
    if (di == r->nwdirs)
        return true; /* of a watch removed: a folder no longer at its path */
    const struct wdir *d = &r->wdirs[di];
    if (ev->mask & IN_IGNORED) {
        /* The watch is gone with its folder (or its file system): forget it. */
        drop_wdir(r, di);
        tree_changed(r);
        return true;
    }
    if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        tree_changed(r); /* a folder went (moved: its watch would follow it) */
        return true;
    }
    if (d->kind == WDIR_SECCOMP) {
        /* Of seccomp's entries, only kscmp is the store's: made, moved in or away, removed. */
        if (!ev->len || strcmp(ev->name, "kscmp") != 0)
            return false;
        tree_changed(r);
        return true;
    }
    if (d->kind == WDIR_KSCMP) {
        if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && ev->len &&
            dns_label_valid(ev->name)) {
            /* A namespace's folder came (most often: made by our first write into it): watched
             * from now on, and its files checked. */
            add_wdir(r, WDIR_NS, ev->name);
            verify_ns(r, ev->name);
        } else if (ev->mask & IN_ISDIR)
            tree_changed(r); /* a folder went */
        return true;
    }
    if (!ev->len)
        return true;
    char rel[PATH_MAX];
    snprintf(rel, sizeof(rel), "%s/%s", d->ns, ev->name);
    if (!store_rel_valid(rel))
        return false; /* not a profile's name: one of our temporaries */
    /* Our own rename: the bytes are the ones we wrote. */
    if ((ev->mask & IN_MOVED_TO) && !(ev->mask & IN_ISDIR) &&
        take_own_move(r, hmap_get(&r->wants, rel)))
        return false;
    hmap_put(&r->verify, rel, NULL, NULL); /* a folder at the name too: refused */
    return true;
}

static void on_inotify(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    struct reconciler *r = userdata;
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (bool drained = false; !drained;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        drained = inotify_read_drained((size_t)n, sizeof(buf));
        /* What was learnt of the files (store_stat()) may be old after any event but the
         * agent's own. */
        bool foreign = false;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof(*ev) + ev->len;
            foreign |= on_watch_event(r, ev);
        }
        if (foreign)
            store_note_change(r->s);
    }
    /* At once, so that the changes made from now on in the folders at the paths are seen. */
    if (r->rewatch) {
        r->rewatch = false;
        watch_tree(r);
    }
    /* The check waits while events come (changes to apply first: each read-back would delay
     * the next), at most VERIFY_MAX_WAIT_MS from the first event it has to look at. */
    if ((r->verify_all || r->verify.n) && !evtimer_armed(r->verify_timer))
        evtimer_arm_idle(r->verify_timer, VERIFY_MAX_WAIT_MS);
}

int reconciler_start(struct reconciler *r, struct kerr *err)
{
    unsigned removed = 0;
    struct kerr cerr = {0};
    int q = store_clean_temporaries(r->s, &removed, &cerr);
    if (q == -EROFS || q == -EACCES || q == -EPERM) {
        /* A temporary of a crash that cannot be removed (the file system went read-only after
         * it, as ext4 does on an error): it is no profile's name, and no file can be written
         * either; the agent starts, keeps what is there and retries its writes. */
        log_warning("%s: left there (the next start removes it)", cerr.msg);
        q = 0;
    }
    if (q < 0)
        return kerr_set(err, q, "%s", cerr.msg);
    if (removed)
        log_info("removed %u temporary file(s) left by an interrupted write", removed);
    q = store_list_marked(r->s, load_one, r, err);
    if (q < 0)
        return q;
    log_info("%zu profile(s) on disk below %s", r->wants.n, store_path(r->s));
    if (r->l) {
        r->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (r->ifd < 0)
            return kerr_set(err, -errno, "inotify_init1: %s%s", strerror(errno),
                            inotify_limit_hint(errno));
        q = evloop_add_fd(r->l, r->ifd, EPOLLIN, on_inotify, r);
        if (q < 0)
            return kerr_set(err, q, "watching %s: %s", store_path(r->s), strerror(-q));
        watch_tree(r);
    }
    r->started = true;
    update_gauge(r);
    return 0;
}

static int gc_one(const char *rel, enum store_kind kind, void *userdata)
{
    struct reconciler *r = userdata;
    if (kind != STORE_FILE) {
        remove_unowed(r, rel, kind); /* referenced or not: the kubelet would follow a link */
        return 0;
    }
    const char **files = NULL;
    size_t n = 0;
    if (engine_list_files(r->e, &files, &n) < 0)
        return -ENOMEM;
    bool referenced = false;
    for (size_t i = 0; i < n && !referenced; i++)
        referenced = strcmp(files[i], rel) == 0;
    free(files);
    if (!referenced) {
        if (!hmap_get(&r->wants, rel) && !want_get(r, rel))
            return -ENOMEM;
        do_remove(r, rel, "no pod on the node references it");
    }
    return 0;
}

int reconciler_gc(struct reconciler *r)
{
    struct kerr err = {0};
    int q = store_list(r->s, gc_one, r, &err);
    if (q < 0)
        log_error("garbage collection: %s", err.msg[0] ? err.msg : strerror(-q));
    watch_tree(r);
    update_gauge(r);
    return q;
}

unsigned long reconciler_checks(const struct reconciler *r)
{
    return r->checks;
}
