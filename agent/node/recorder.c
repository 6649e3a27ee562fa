/* recorder.c - which pods the eBPF recorder records for which recording, and what they did. */
#include "node/recorder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "node/pod_cgroups.h"

struct tracked {
    char pod_uid[40];
    char recording_uid[40];
};

/* A pod recorded until lately: its containers may still have calls to collect. */
struct former {
    struct tracked t;
    uint64_t until_ms;
};

#define FORMER_MAX 4096
#define FORMER_KEEP_MS (15 * 60 * 1000)

struct recorder {
    struct pod_cgroups *cgroups;
    char (*others)[40]; /* sorted: pods known not to be recorded */
    size_t nothers;
    char *pin_dir;
    struct bpf_recorder *bpf;
    enum bpf_recorder_start start;
    char pin_problem[512];
    struct tracked *pods; /* sorted by pod_uid */
    size_t npods;
    uint64_t anchors[8];
    size_t nanchors;
    struct former *former; /* pods recorded until lately */
    size_t nformer;
    uint64_t *reported_gone; /* gone containers the last collect reported, sorted */
    size_t nreported_gone;
    uint64_t *unowned_gone; /* gone containers nobody owned at the last collect, sorted */
    size_t nunowned_gone;
};

static int cmp_tracked(const void *a, const void *b)
{
    return strcmp(((const struct tracked *)a)->pod_uid, ((const struct tracked *)b)->pod_uid);
}

static const struct tracked *find_tracked(const struct recorder *r, const char *pod_uid)
{
    struct tracked key;
    snprintf(key.pod_uid, sizeof(key.pod_uid), "%s", pod_uid);
    return r->npods ? bsearch(&key, r->pods, r->npods, sizeof(*r->pods), cmp_tracked) : NULL;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A pod recorded now, or until lately. */
static const struct tracked *find_recorded(const struct recorder *r, const char *pod_uid)
{
    const struct tracked *t = find_tracked(r, pod_uid);
    for (size_t i = 0; !t && i < r->nformer; i++)
        if (strcmp(r->former[i].t.pod_uid, pod_uid) == 0)
            t = &r->former[i].t;
    return t;
}

/* The pods of the old set that the new one (v, sorted) drops are kept a while as former. */
static void keep_former(struct recorder *r, const struct tracked *v, size_t n)
{
    uint64_t now = mono_ms();
    size_t k = 0;
    for (size_t i = 0; i < r->nformer; i++)
        if (r->former[i].until_ms > now)
            r->former[k++] = r->former[i];
    r->nformer = k;
    for (size_t i = 0; i < r->npods; i++) {
        if (n && bsearch(&r->pods[i], v, n, sizeof(*v), cmp_tracked))
            continue;
        if (r->nformer >= FORMER_MAX)
            break;
        if (!r->former && !(r->former = calloc(FORMER_MAX, sizeof(*r->former))))
            return;
        r->former[r->nformer++] = (struct former){r->pods[i], now + FORMER_KEEP_MS};
    }
}

int recorder_new(const struct recorder_opts *o, struct recorder **ret, struct kerr *err)
{
    _cleanup_(recorder_freep) struct recorder *r = calloc(1, sizeof(*r));
    if (!r)
        return kerr_set(err, -ENOMEM, "out of memory");
    int e = pod_cgroups_open(o->cgroup_root ? o->cgroup_root : "/sys/fs/cgroup", o->kubepods,
                             &r->cgroups, err);
    if (e < 0)
        return e;
    if (o->pin_dir && !(r->pin_dir = strdup(o->pin_dir)))
        return kerr_set(err, -ENOMEM, "out of memory");
    *ret = TAKE_PTR(r);
    return 0;
}

void recorder_free(struct recorder *r)
{
    if (!r)
        return;
    bpf_recorder_close(r->bpf);
    pod_cgroups_free(r->cgroups);
    free(r->pin_dir);
    free(r->pods);
    free(r->others);
    free(r->reported_gone);
    free(r->unowned_gone);
    free(r->former);
    free(r);
}

/* Gives the program the pod-parent cgroups of a fresh scan, when they changed. */
static int refresh_anchors(struct recorder *r, struct kerr *err)
{
    int e = pod_cgroups_scan(r->cgroups, err);
    if (e < 0)
        return e;
    size_t n;
    const uint64_t *ids = pod_cgroups_anchors(r->cgroups, &n);
    if (n == r->nanchors && memcmp(ids, r->anchors, n * sizeof(*ids)) == 0)
        return 0;
    if ((e = bpf_recorder_set_anchors(r->bpf, ids, n)) < 0)
        return kerr_set(err, e, "cannot give the recorder the pod cgroups of %s: %s",
                        pod_cgroups_path(r->cgroups), strerror(-e));
    memcpy(r->anchors, ids, n * sizeof(*ids));
    r->nanchors = n;
    return 0;
}

/* Starts the program: pinned when a bpffs folder was given and works, else unpinned (and
 * says why in pin_problem). */
static int start(struct recorder *r, struct kerr *err)
{
    struct bpf_recorder_opts bo = {
        .pin_dir = r->pin_dir, .use_v2 = pod_cgroups_v2(r->cgroups), .native_arch = -1};
    r->pin_problem[0] = '\0';
    struct kerr pin_err = {0};
    int e = bpf_recorder_open(&bo, &r->bpf, &r->start, &pin_err);
    if (e < 0 && r->pin_dir &&
        (e == -ENOTSUP || e == -EACCES || e == -EPERM || e == -ENOENT || e == -EROFS)) {
        /* Pinning is what fails (a folder outside a bpffs, not writable): record unpinned. */
        snprintf(r->pin_problem, sizeof(r->pin_problem), "%s", pin_err.msg);
        bo.pin_dir = NULL;
        e = bpf_recorder_open(&bo, &r->bpf, &r->start, err);
    } else if (e < 0) {
        *err = pin_err;
    }
    if (e < 0)
        return e;
    r->nanchors = 0;
    return refresh_anchors(r, err);
}

static int cmp_uid(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static bool is_other(const struct recorder *r, const char *pod_uid)
{
    return r->nothers && bsearch(pod_uid, r->others, r->nothers, sizeof(*r->others), cmp_uid);
}

/* Notes a recorded pod's cgroups in the owners map at once (a container that comes and goes
 * before the next collect is still attributed by its pod's note), and records again the
 * containers of a pod that turned recorded (they may have been ignored). */
static int note_tracked(uint64_t cgroup, const char *pod_uid, const char *container, void *userdata)
{
    struct recorder *r = userdata;
    const struct tracked *t = find_tracked(r, pod_uid);
    if (t) {
        bpf_recorder_unignore(r->bpf, cgroup);
        bpf_recorder_set_owner(r->bpf, cgroup, t->recording_uid, pod_uid);
    }
    return 0;
}

int recorder_set_pods(struct recorder *r, const struct recorder_pod *pods, size_t n,
                      const char *const *others, size_t nothers, struct kerr *err)
{
    if (n > RECORD_MAX_PODS || nothers > RECORD_MAX_PODS)
        return kerr_set(err, -E2BIG, "more than %d pods on one node", RECORD_MAX_PODS);
    char(*o)[40] = nothers ? calloc(nothers, sizeof(*o)) : NULL;
    if (nothers && !o)
        return kerr_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < nothers; i++)
        snprintf(o[i], sizeof(o[i]), "%s", others[i]);
    if (nothers > 1)
        qsort(o, nothers, sizeof(*o), cmp_uid);
    free(r->others);
    r->others = o;
    r->nothers = nothers;
    struct tracked *v = n ? calloc(n, sizeof(*v)) : NULL;
    if (n && !v)
        return kerr_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        snprintf(v[i].pod_uid, sizeof(v[i].pod_uid), "%s", pods[i].pod_uid);
        snprintf(v[i].recording_uid, sizeof(v[i].recording_uid), "%s", pods[i].recording_uid);
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_tracked);
    if (n > 0 && !r->bpf) {
        int e = start(r, err);
        if (e < 0) {
            bpf_recorder_destroy(r->bpf);
            r->bpf = NULL;
            free(v);
            return e;
        }
    }
    keep_former(r, v, n);
    free(r->pods);
    r->pods = v;
    r->npods = n;
    if (r->bpf) {
        struct kerr scan_err = {0};
        if (refresh_anchors(r, &scan_err) == 0)
            pod_cgroups_foreach(r->cgroups, note_tracked, r);
    }
    return 0;
}

int recorder_adopt(struct recorder *r, struct kerr *err)
{
    if (r->bpf || !r->pin_dir)
        return 0;
    char path[4096];
    snprintf(path, sizeof(path), "%s/link", r->pin_dir);
    if (access(path, F_OK) < 0)
        return 0;
    int e = start(r, err);
    if (e < 0) {
        bpf_recorder_close(r->bpf); /* the pins stay, for a later try */
        r->bpf = NULL;
        return e;
    }
    return 1;
}

void recorder_stop(struct recorder *r)
{
    bpf_recorder_destroy(r->bpf);
    r->bpf = NULL;
    r->nanchors = 0;
    r->nreported_gone = 0;
    r->nunowned_gone = 0;
}

bool recorder_active(const struct recorder *r)
{
    return r->bpf != NULL;
}

enum bpf_recorder_start recorder_start_kind(const struct recorder *r)
{
    return r->start;
}

bool recorder_pinned(const struct recorder *r)
{
    return r->bpf && bpf_recorder_pinned(r->bpf);
}

uint64_t recorder_started_at(const struct recorder *r)
{
    return r->bpf ? bpf_recorder_loaded_at(r->bpf) : 0;
}

const char *recorder_pin_problem(const struct recorder *r)
{
    return r->pin_problem;
}

uint64_t recorder_lost(const struct recorder *r)
{
    return r->bpf ? bpf_recorder_lost(r->bpf) : 0;
}

struct collect {
    struct recorder *r;
    uint64_t *referenced; /* cgroups (containers and pods) of the entries kept */
    size_t nreferenced, capreferenced;
    bool persisted;
    uint64_t *gone; /* gone containers reported now */
    size_t ngone, capgone;
    uint64_t *unowned; /* gone containers nobody owns now */
    size_t nunowned, capunowned;
    int (*cb)(const struct recorder_seen *s, void *userdata);
    void *userdata;
    uint64_t *forget; /* containers to forget once the walk is over */
    size_t nforget, capforget;
    uint64_t *how; /* FORGET_*, one per forget */
    size_t nhow, caphow;
    int err;
};

enum { FORGET, FORGET_AND_IGNORE, FORGET_OLD };

static int u64_push(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        uint64_t *nv = realloc(*v, ncap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        *v = nv;
        *cap = ncap;
    }
    (*v)[(*n)++] = x;
    return 0;
}

/* forget[i] goes with how[i]: both are pushed, or neither. */
static int later_forget(struct collect *c, uint64_t cgroup, int how)
{
    int q = u64_push(&c->forget, &c->nforget, &c->capforget, cgroup);
    if (q == 0 && (q = u64_push(&c->how, &c->nhow, &c->caphow, (uint64_t)how)) < 0)
        c->nforget--;
    return q;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool u64_in(const uint64_t *v, size_t n, uint64_t x)
{
    return n && bsearch(&x, v, n, sizeof(*v), cmp_u64);
}

static int reference(struct collect *c, uint64_t a, uint64_t b)
{
    int q = u64_push(&c->referenced, &c->nreferenced, &c->capreferenced, a);
    return q < 0 ? q : u64_push(&c->referenced, &c->nreferenced, &c->capreferenced, b);
}

/* A container is ignored while its cgroup exists: one gone will not run again (a cgroup id is
 * not reused while the system runs). */
static bool ignored_wanted(uint64_t cgroup, void *userdata)
{
    struct collect *c = userdata;
    const char *uid, *name;
    return pod_cgroups_container(c->r->cgroups, cgroup, &uid, &name) == 0;
}

/* An owner note is kept while its cgroup exists or an entry still needs it. */
static bool owner_wanted(uint64_t cgroup, void *userdata)
{
    struct collect *c = userdata;
    const char *uid, *name;
    if (pod_cgroups_container(c->r->cgroups, cgroup, &uid, &name) == 0)
        return true;
    return c->nreferenced &&
           bsearch(&cgroup, c->referenced, c->nreferenced, sizeof(uint64_t), cmp_u64);
}

static int collect_entry(const struct bpf_recorder_entry *e, void *userdata)
{
    struct collect *c = userdata;
    struct recorder *r = c->r;
    const char *pod_uid = NULL, *container = NULL;
    char owner_rec[40], owner_pod[40];
    bool gone = pod_cgroups_container(r->cgroups, e->cgroup, &pod_uid, &container) < 0;
    const char *recording_uid = NULL;
    if (gone) {
        /* Its folder is gone: attribute it by what was noted when it was recorded, or by its
         * pod if that is still there (a container that came and went while no agent ran). */
        const struct tracked *t;
        if (bpf_recorder_owner(r->bpf, e->cgroup, owner_rec, owner_pod) == 0 ||
            bpf_recorder_owner(r->bpf, e->pod, owner_rec, owner_pod) == 0) {
            recording_uid = owner_rec;
            pod_uid = owner_pod;
        } else if ((pod_uid = pod_cgroups_pod_uid(r->cgroups, e->pod)) &&
                   (t = find_recorded(r, pod_uid))) {
            recording_uid = t->recording_uid;
        } else if (e->pod_name[0] &&
                   pod_cgroups_parse_pod_dir(e->pod_name, owner_pod, sizeof(owner_pod)) == 0 &&
                   (t = find_recorded(r, owner_pod))) {
            /* Its pod came and went between two reads: the program kept its folder's name. */
            recording_uid = t->recording_uid;
            pod_uid = owner_pod;
        }
    } else {
        const struct tracked *t = find_tracked(r, pod_uid);
        if (t) {
            recording_uid = t->recording_uid;
            /* Noted once per container (the map keeps it across agents). */
            if (bpf_recorder_owner(r->bpf, e->cgroup, owner_rec, owner_pod) < 0 ||
                strcmp(owner_rec, recording_uid) != 0) {
                bpf_recorder_set_owner(r->bpf, e->cgroup, recording_uid, pod_uid);
                bpf_recorder_set_owner(r->bpf, e->pod, recording_uid, pod_uid);
            }
        }
    }
    int ref = reference(c, e->cgroup, e->pod);
    if (ref < 0)
        return ref;
    if (gone && c->persisted && u64_in(r->reported_gone, r->nreported_gone, e->cgroup))
        return later_forget(c, e->cgroup, FORGET); /* reported, and now durable */
    if (recording_uid) {
        struct recorder_seen s = {.recording_uid = recording_uid,
                                  .pod_uid = pod_uid,
                                  .calls = e->calls,
                                  .gone = gone,
                                  .others_full = e->others_full};
        int ret = c->cb(&s, c->userdata);
        if (ret)
            return ret;
    }
    /* A gone container was reported (or belongs to nobody): forget it. A running one of a
     * pod that is not recorded: forget it and ignore it from now on. What a replaced program
     * gathered for a recorded one was reported: ours goes on. A pod the agent does not know
     * yet: keep it. */
    if (gone && !recording_uid) {
        /* Nobody to give it to, twice in a row: forgotten. Once only, it may be a container
         * made after this collect's scan of the cgroups, of a pod the agent is about to learn
         * of (its first calls, the runtime's and the loader's, would go). */
        if (u64_in(r->unowned_gone, r->nunowned_gone, e->cgroup))
            return later_forget(c, e->cgroup, FORGET);
        return u64_push(&c->unowned, &c->nunowned, &c->capunowned, e->cgroup);
    }
    if (gone)
        return u64_push(&c->gone, &c->ngone, &c->capgone, e->cgroup);
    if (recording_uid && e->from_old)
        return later_forget(c, e->cgroup, FORGET_OLD);
    if (!recording_uid && is_other(r, pod_uid))
        return later_forget(c, e->cgroup, FORGET_AND_IGNORE);
    return 0;
}

int recorder_collect(struct recorder *r, int (*cb)(const struct recorder_seen *s, void *userdata),
                     void *userdata, bool persisted, struct kerr *err)
{
    if (!r->bpf)
        return 0;
    int e = refresh_anchors(r, err);
    if (e < 0)
        return e;
    struct collect c = {.r = r, .cb = cb, .userdata = userdata, .persisted = persisted};
    e = bpf_recorder_foreach(r->bpf, collect_entry, &c);
    /* Forgotten only after the walk: deleting during get_next_key would restart it. And only
     * when the walk was complete, so that what cb did not take is offered again. */
    for (size_t i = 0; e == 0 && i < c.nforget; i++) {
        if (c.how[i] == FORGET_OLD)
            bpf_recorder_forget_old(r->bpf, c.forget[i]);
        else
            bpf_recorder_forget(r->bpf, c.forget[i], c.how[i] == FORGET_AND_IGNORE);
    }
    free(c.forget);
    free(c.how);
    if (e == 0) {
        if (c.nreferenced > 1)
            qsort(c.referenced, c.nreferenced, sizeof(uint64_t), cmp_u64);
        bpf_recorder_prune_owners(r->bpf, owner_wanted, &c);
        bpf_recorder_prune_ignored(r->bpf, ignored_wanted, &c);
    }
    free(c.referenced);
    if (e == 0) {
        if (c.ngone > 1) /* qsort() of no array (NULL) is undefined */
            qsort(c.gone, c.ngone, sizeof(uint64_t), cmp_u64);
        if (c.nunowned > 1)
            qsort(c.unowned, c.nunowned, sizeof(uint64_t), cmp_u64);
        free(r->reported_gone);
        r->reported_gone = c.gone;
        r->nreported_gone = c.ngone;
        free(r->unowned_gone);
        r->unowned_gone = c.unowned;
        r->nunowned_gone = c.nunowned;
    } else {
        free(c.gone);
        free(c.unowned);
    }
    if (e < 0)
        return kerr_set(err, e, "reading the recorder's maps: %s", strerror(-e));
    return e;
}
