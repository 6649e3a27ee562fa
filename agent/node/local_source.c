/* local_source.c - manifests in a folder as the engine's source, watched with inotify. */
#include "node/local_source.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/file.h"
#include "engine/manifest.h"
#include "base/hmap.h"
#include "base/log.h"

struct ident {
    enum object_type type;
    enum policy_kind kind;
    char *ns;
    char *name;
};

struct lfile {
    uint64_t hash;
    struct ident *ids;
    size_t nids;
    bool reread; /* holds an object another file dropped: read it again */
};

struct localsrc {
    char *dir;
    struct engine *e;
    struct evloop *l;
    struct metrics *m;
    void (*changed)(uint64_t event_us, void *userdata);
    void *userdata;
    int ifd;
    int wd;
    struct hmap files; /* file name -> lfile */
};

static void ids_free(struct ident *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ids[i].ns);
        free(ids[i].name);
    }
    free(ids);
}

static void lfile_free(void *v)
{
    struct lfile *f = v;
    if (f)
        ids_free(f->ids, f->nids);
    free(f);
}

void localsrc_free(struct localsrc *s)
{
    if (!s)
        return;
    if (s->ifd >= 0) {
        if (s->l)
            evloop_del_fd(s->l, s->ifd);
        close(s->ifd);
    }
    hmap_clear(&s->files, lfile_free);
    free(s->dir);
    free(s);
}

static bool manifest_name(const char *n)
{
    size_t l = strlen(n);
    return n[0] != '.' && ((l > 5 && strcmp(n + l - 5, ".yaml") == 0) ||
                           (l > 4 && strcmp(n + l - 4, ".yml") == 0) ||
                           (l > 5 && strcmp(n + l - 5, ".json") == 0));
}

static bool same_ident(const struct ident *a, const struct ident *b)
{
    return a->type == b->type && a->kind == b->kind && strcmp(a->name, b->name) == 0 &&
           strcmp(a->ns ? a->ns : "", b->ns ? b->ns : "") == 0;
}

static void delete_ident(struct localsrc *s, const struct ident *id)
{
    switch (id->type) {
    case OBJ_POLICY:
        engine_delete_policy(s->e, id->kind, id->ns, id->name);
        break;
    case OBJ_POD:
        engine_delete_pod(s->e, id->ns, id->name);
        break;
    case OBJ_NAMESPACE:
        engine_delete_namespace(s->e, id->name);
        break;
    default:
        break;
    }
}

/* Objects of one file, decoded before any of them reaches the engine. */
struct batch {
    struct object *v;
    size_t n;
};

static int collect(struct object *o, void *userdata)
{
    struct batch *b = userdata;
    if (o->type == OBJ_NONE)
        return 0;
    struct object *v = realloc(b->v, (b->n + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    b->v = v;
    b->v[b->n++] = *o;
    *o = (struct object){0};
    return 0;
}

static void batch_clear(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        object_clear(&b->v[i]);
    free(b->v);
    *b = (struct batch){0};
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

/* Deletes id, which the file except no longer holds, from the engine. When another file
 * still holds it (the same object in two files), that file is marked to be read again
 * (reread_marked), so that its definition is back in force, as after a restart. */
static void drop_ident(struct localsrc *s, const char *except, const struct ident *id)
{
    delete_ident(s, id);
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&s->files, &it); h; h = hmap_next(&s->files, &it)) {
        struct lfile *f = h->value;
        if (except && strcmp(h->key, except) == 0)
            continue;
        for (size_t i = 0; i < f->nids && !f->reread; i++)
            f->reread = same_ident(&f->ids[i], id);
    }
}

static void remove_file(struct localsrc *s, const char *name)
{
    struct lfile *f = hmap_remove(&s->files, name);
    if (!f)
        return;
    for (size_t i = 0; i < f->nids; i++)
        drop_ident(s, NULL, &f->ids[i]);
    log_info("%s/%s removed: its %zu object(s) are gone", s->dir, name, f->nids);
    lfile_free(f);
}

/* Reads one file into the engine. Returns true when the engine changed. */
static bool load_file(struct localsrc *s, const char *name)
{
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s/%s", s->dir, name) < 0)
        return false;
    struct kerr err = {0};
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = read_file_all(path, MAX_MANIFEST, &buf, &len, &err);
    if (r == -ENOENT) {
        remove_file(s, name);
        return true;
    }
    struct lfile *old = hmap_get(&s->files, name);
    if (r < 0) {
        metrics_add(s->m, M_SOURCE_ERRORS, 1);
        log_error("%s%s", err.msg, old ? ": keeping what it held before" : "");
        return false;
    }
    uint64_t h = hash_bytes(buf, len);
    if (old && old->hash == h)
        return false;
    struct batch b = {0};
    r = manifest_load_buffer(buf, len, path, collect, &b, &err);
    if (r < 0) {
        batch_clear(&b);
        metrics_add(s->m, M_SOURCE_ERRORS, 1);
        log_error("%s: %s", err.msg[0] ? err.msg : strerror(-r),
                  old ? "the file keeps what it held before" : "nothing of it is used");
        return false;
    }
    struct ident *ids = calloc(b.n + 1, sizeof(*ids));
    if (!ids) {
        batch_clear(&b);
        return false;
    }
    size_t nids = 0;
    for (size_t i = 0; i < b.n; i++) {
        struct object *o = &b.v[i];
        struct ident *id = &ids[nids++];
        id->type = o->type;
        if (o->type == OBJ_POLICY) {
            id->kind = o->policy->kind;
            id->ns = o->policy->ns ? strdup(o->policy->ns) : NULL;
            id->name = strdup(o->policy->name);
            if (o->policy->error) {
                metrics_add(s->m, M_SOURCE_ERRORS, 1);
                log_error("%s", o->policy->error);
            }
        } else if (o->type == OBJ_POD) {
            id->ns = strdup(o->pod->ns);
            id->name = strdup(o->pod->name);
        } else {
            id->name = strdup(o->ns->name);
        }
        if (!id->name) {
            ids_free(ids, nids);
            batch_clear(&b);
            return false;
        }
    }
    /* Objects the file no longer holds go; the others are put (replaced). */
    if (old)
        for (size_t i = 0; i < old->nids; i++) {
            bool kept = false;
            for (size_t k = 0; k < nids && !kept; k++)
                kept = same_ident(&old->ids[i], &ids[k]);
            if (!kept)
                drop_ident(s, name, &old->ids[i]);
        }
    for (size_t i = 0; i < b.n; i++) {
        struct object *o = &b.v[i];
        if (o->type == OBJ_POLICY)
            r = engine_put_policy(s->e, TAKE_PTR(o->policy));
        else if (o->type == OBJ_POD)
            r = engine_put_pod(s->e, TAKE_PTR(o->pod));
        else
            r = engine_put_namespace(s->e, TAKE_PTR(o->ns));
        if (r < 0)
            log_error("%s: %s", path, strerror(-r));
    }
    batch_clear(&b);
    struct lfile *f = old ? old : calloc(1, sizeof(*f));
    if (!f || (!old && hmap_put(&s->files, name, f, NULL) < 0)) {
        free(f);
        ids_free(ids, nids);
        return true;
    }
    ids_free(f->ids, f->nids);
    f->ids = ids;
    f->nids = nids;
    f->hash = h;
    log_info("read %s: %zu object(s)", path, nids);
    return true;
}

/* Reads again the files drop_ident() marked. Returns true when the engine changed. */
static bool reread_marked(struct localsrc *s)
{
    bool changed = false;
    for (bool again = true; again;) {
        again = false;
        _cleanup_free_ char *name = NULL;
        struct hmap_iter it;
        for (struct hmap_entry *h = hmap_first(&s->files, &it); h && !name;
             h = hmap_next(&s->files, &it)) {
            struct lfile *f = h->value;
            if (f->reread) {
                f->reread = false;
                f->hash = 0; /* read it whole, even if unchanged */
                name = strdup(h->key);
            }
        }
        if (name) {
            log_info("%s/%s holds objects another file dropped: reading it again", s->dir, name);
            changed |= load_file(s, name);
            again = true;
        }
    }
    return changed;
}

int localsrc_load_all(struct localsrc *s)
{
    DIR *d = opendir(s->dir);
    if (!d) {
        int r = -errno;
        log_error("%s: %s", s->dir, strerror(errno));
        return r;
    }
    struct hmap seen;
    hmap_init(&seen);
    for (struct dirent *de; (de = readdir(d));)
        if (manifest_name(de->d_name)) {
            load_file(s, de->d_name);
            hmap_put(&seen, de->d_name, (void *)1, NULL);
        }
    closedir(d);
    /* Files that went away while nobody watched. */
    size_t n = 0;
    _cleanup_free_ char **gone = calloc(s->files.n + 1, sizeof(*gone));
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&s->files, &it); gone && h;
         h = hmap_next(&s->files, &it))
        if (!hmap_get(&seen, h->key) && !(h->key[0] == '\0'))
            gone[n++] = strdup(h->key);
    hmap_clear(&seen, NULL);
    for (size_t i = 0; gone && i < n; i++) {
        if (gone[i])
            remove_file(s, gone[i]);
        free(gone[i]);
    }
    reread_marked(s);
    return 0;
}

static void on_inotify(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    struct localsrc *s = userdata;
    uint64_t t = now_us();
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool changed = false, rescan = false;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)p;
            p += sizeof(*ev) + ev->len;
            if (ev->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                rescan = true;
                continue;
            }
            if (!ev->len || !manifest_name(ev->name) || (ev->mask & IN_ISDIR))
                continue;
            if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
                if (hmap_get(&s->files, ev->name)) {
                    remove_file(s, ev->name);
                    changed = true;
                }
            } else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
                changed |= load_file(s, ev->name);
        }
    }
    changed |= reread_marked(s);
    if (rescan) {
        log_warning("%s: lost track of changes (inotify overflow or folder moved): reading it "
                    "all again",
                    s->dir);
        localsrc_load_all(s);
        changed = true;
    }
    if (changed && s->changed)
        s->changed(t, s->userdata);
}

int localsrc_new(const char *dir, struct engine *e, struct evloop *l, struct metrics *m,
                 void (*changed)(uint64_t event_us, void *userdata), void *userdata,
                 struct localsrc **ret, struct kerr *err)
{
    struct localsrc *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    *s = (struct localsrc){
        .e = e, .l = l, .m = m, .changed = changed, .userdata = userdata, .ifd = -1, .wd = -1};
    hmap_init(&s->files);
    s->dir = strdup(dir);
    size_t dl = s->dir ? strlen(s->dir) : 0;
    while (dl > 1 && s->dir[dl - 1] == '/')
        s->dir[--dl] = '\0';
    if (!s->dir) {
        localsrc_free(s);
        return -ENOMEM;
    }
    if (l) {
        s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (s->ifd < 0) {
            int r = kerr_set(err, -errno, "inotify_init1: %s", strerror(errno));
            localsrc_free(s);
            return r;
        }
        s->wd = inotify_add_watch(s->ifd, s->dir,
                                  IN_ONLYDIR | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                                      IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF);
        if (s->wd < 0) {
            int r = kerr_set(err, -errno, "--local %s: %s", dir, strerror(errno));
            localsrc_free(s);
            return r;
        }
        int r = evloop_add_fd(l, s->ifd, EPOLLIN, on_inotify, s);
        if (r < 0) {
            localsrc_free(s);
            return kerr_set(err, r, "watching %s: %s", dir, strerror(-r));
        }
    }
    *ret = s;
    return 0;
}
