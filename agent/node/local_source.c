/* local_source.c - manifests in a folder as the engine's source, watched with inotify. */
#include "node/local_source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/strv.h"
#include "base/file.h"
#include "engine/manifest.h"
#include "base/hash.h"
#include "base/hmap.h"
#include "base/log.h"
#include "node/digest.h"

/* Event loop timers of this module (the reconciler has 1 and 2; the API source is not used
 * together with this one). */

/* A file that goes (deleted, renamed away) is dropped only after this long, and only if
 * the folder is still there: `rm -rf DIR` deletes its files one by one before the folder,
 * and a removed source must change nothing. */
#define REMOVAL_SETTLE_MS 200
#define SWAP_MAX_MS 2000 /* the longest a volume's whole read is put off (settle_arm()) */

struct ident {
    enum object_type type;
    enum policy_kind kind;
    const char *ns;  /* NULL, or in name's allocation, after it */
    const char *key; /* type, kind, namespace and name in one string; in name's allocation */
    char *name;
    /* A policy's selectors' digest (selectors_digest()), in name's allocation; NULL when
     * they could not be read, or not a policy. */
    const struct digest *sel;
};

struct lfile {
    struct digest digest; /* of the bytes last read (when known) */
    struct ident *ids;
    size_t nids;
    bool reread;        /* holds an object another file dropped: read it again */
    bool force;         /* read it whole at its next read, even if its bytes are unchanged */
    bool known;         /* read once without error: ids are what it holds in the engine */
    bool broken;        /* the last read failed: what it held before stays */
    bool told;          /* broken by the bytes of bad_digest, and that was logged */
    int read_errno;     /* broken: why its last read failed (0: its bytes did not decode) */
    unsigned failed_in; /* the whole read (localsrc.whole_reads) of that failure, 0: none */
    struct digest bad_digest;
    bool invalid; /* the last read held a policy with an error */
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
    struct evtimer *settle_timer; /* drops the files seen to go, once the folder stays, and
                                   * reads a volume whole after a change (swap_seen) */
    struct evtimer *retry_timer;  /* looks for a lost folder again */
    dev_t dev;                    /* the folder watched */
    ino_t ino;
    struct hmap files;   /* file name -> lfile */
    struct hmap removed; /* names inotify saw go, dropped once the folder is seen to stay */
    struct hmap folders; /* sub-folders named like a manifest: not read, told once */
    /* Pods a file dropped while another file still defines them, the dropped definition being
     * the one in force (ident key -> 1): the next read of a holder puts its definition, even
     * with its bytes unchanged (load_file()). */
    struct hmap pod_dropped;
    struct hmap pod_from; /* Pod ident key -> the file whose definition is in force (a copy) */
    char *moved_from;     /* the file of the last IN_MOVED_FROM, and its cookie */
    uint32_t moved_cookie;
    bool listed;          /* the folder was listed without error at least once */
    bool swap_seen;       /* ..data was replaced: every file is read at the settle timer */
    uint64_t swap_since;  /* when swap_seen was set (now_us()) */
    unsigned pass;        /* in load_folder(): 0, then one more each time ..data moved meanwhile */
    unsigned whole_reads; /* load_folder() calls, numbering them (never 0 once one began) */
    bool data_swapped;    /* in load_folder(), reading every file: ..data moved since the
                           * last whole read */
    char *data_target;    /* ..data's target at the last whole read, NULL: none, or no volume */
    struct hmap
        pins; /* in a volume's whole read: key -> its file in one data folder (pin_data()) */
    const char *pin_target; /* in load_folder_once(): the folder pin_data() opened them in */
    bool lost;              /* the folder cannot be read now: nothing changes, retrying */
    unsigned lost_attempts;
    unsigned defined_twice; /* warnings that an object is defined in two files */
    /* The files' ids counted by key, without a copy of the keys (ten thousand policies held
     * 0.7 MiB in a map of them): an open-addressed table of 64-bit entries, each a key's
     * fingerprint (40 bits of its fnv1a64 hash, HELD_FP()) and how many ids have it (24 bits).
     * No entry: no file holds an object of that key, and no walk of every file is needed; keys
     * that share a fingerprint (one lookup in 2^40 per key held) only cost a walk. A filter
     * of 32-bit counts by slot before it shared a slot among a quarter of the keys at start,
     * and each such key walked every file's ids (a fifth of the start with 10k policies).
     * Sized to 4/3 of the ids counted (nheld) at least (filled to 3/4 at most: 128 KiB for
     * 10k policies), and counted again from every file when it grows. */
    uint64_t *held;
    size_t nheld_slots, nheld;
    /* A count could not be kept (no memory, past 2^24 - 1): every look walks the files. */
    bool holders_lost;
    /* inotify's events, read ahead of the one being handled (at qcur), so that a file is not
     * used when an event after the one that asked for its read says it was written since: the
     * bytes read may be a writer's first half (a save whose close was queued, then another
     * writer's truncation). lastev: file name -> the place of its last such event, plus one. */
    char *q;
    size_t qlen, qpos, qcap, qcur;
    bool qfull;       /* events were left unread (bounded queue, or no memory): read all again */
    size_t qoverflow; /* the place of the last IN_Q_OVERFLOW in the queue, plus one (0: none) */
    struct hmap lastev;
    /* Files another process holds open for writing (held_for_writing()): name -> when that
     * was first seen (ms, plus one). Read once closed, or after BUSY_MAX_MS as they are. */
    struct hmap busy;
    struct evtimer *busy_timer;
    bool busy_read; /* load_file() reads without asking (on_busy() has just asked) */
};

/* How long a file held open for writing is waited for, and how often it is looked at. */
#define BUSY_MAX_MS 10000
#define BUSY_POLL_MS 200
#define BUSY_TELL_MS 1000

static void ids_free(struct ident *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i].name);
    free(ids);
}

/* Writes s to f, its length first (no two lists of strings write the same bytes). */
static void sel_str(FILE *f, const char *s)
{
    fprintf(f, "%zu:%s", strlen(s), s);
}

static void sel_write(FILE *f, const struct selector *sel)
{
    fprintf(f, "p%d m%zu ", (int)sel->present, sel->match.n);
    for (size_t i = 0; i < sel->match.n; i++) {
        sel_str(f, sel->match.v[i].key);
        sel_str(f, sel->match.v[i].value);
    }
    fprintf(f, " e%zu ", sel->nexprs);
    for (size_t i = 0; i < sel->nexprs; i++) {
        const struct sel_expr *x = &sel->exprs[i];
        sel_str(f, x->key);
        fprintf(f, "o%d v%zu ", (int)x->op, x->nvalues);
        for (size_t j = 0; j < x->nvalues; j++)
            sel_str(f, x->values[j]);
    }
}

/* A digest of what p selects (its selector and namespaceSelector, as written: the same
 * selection written in another order digests otherwise, which only costs precision), so that
 * two definitions of one policy can be told to select alike without keeping either.
 * 0, or -ENOMEM. */
static void selectors_write(FILE *f, const void *what)
{
    const struct policy *p = what;
    sel_write(f, &p->selector);
    fputc('|', f);
    sel_write(f, &p->ns_selector);
}

/* The digest of what write() writes of what. 0, or -ENOMEM. */
static int written_digest(void (*write)(FILE *f, const void *what), const void *what,
                          struct digest *ret)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    write(f, what);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        free(buf);
        return -ENOMEM;
    }
    digest_bytes(buf, len, ret);
    free(buf);
    return 0;
}

static int selectors_digest(const struct policy *p, struct digest *ret)
{
    return written_digest(selectors_write, p, ret);
}

static int cmp_label(const void *a, const void *b)
{
    return strcmp((*(const struct label *const *)a)->key, (*(const struct label *const *)b)->key);
}

/* Labels sorted by key: n of them in v. */
struct sorted_labels {
    const struct label **v;
    size_t n;
};

static void labels_write(FILE *f, const void *what)
{
    const struct sorted_labels *l = what;
    fprintf(f, "n%zu ", l->n);
    for (size_t i = 0; i < l->n; i++) {
        sel_str(f, l->v[i]->key);
        sel_str(f, l->v[i]->value);
    }
}

/* l's labels sorted by key (free() the array), or NULL without memory. */
static const struct label **labels_sorted(const struct labels *l)
{
    const struct label **v = calloc(l->n ? l->n : 1, sizeof(*v));
    if (!v)
        return NULL;
    for (size_t i = 0; i < l->n; i++)
        v[i] = &l->v[i];
    qsort(v, l->n, sizeof(*v), cmp_label);
    return v;
}

/* A digest of a Namespace's labels, whatever order they are written in, so that two
 * definitions of it can be told to say the same without keeping either. 0, or -ENOMEM. */
static int labels_digest(const struct labels *l, struct digest *ret)
{
    _cleanup_free_ const struct label **v = labels_sorted(l);
    if (!v)
        return -ENOMEM;
    return written_digest(labels_write, &(struct sorted_labels){v, l->n}, ret);
}

/* A Pod and its labels sorted by key. */
struct sorted_pod {
    const struct pod *p;
    struct sorted_labels l;
};

static void pod_write(FILE *f, const void *what)
{
    const struct sorted_pod *sp = what;
    const struct pod *p = sp->p;
    sel_str(f, p->uid ? p->uid : "");
    sel_str(f, p->node_name ? p->node_name : "");
    labels_write(f, &sp->l);
    fprintf(f, " r%zu ", p->nrefs);
    for (size_t i = 0; i < p->nrefs; i++) {
        sel_str(f, p->refs[i]);
        fprintf(f, "%d ", p->refs_nnp ? (int)p->refs_nnp[i] : -1);
    }
    fprintf(f, " c%zu ", p->ncontainers);
    for (size_t i = 0; i < p->ncontainers; i++) {
        sel_str(f, p->containers[i].name ? p->containers[i].name : "");
        fprintf(f, "%lld %d ", (long long)p->containers[i].started_at, p->containers[i].ref);
    }
}

/* A digest of what a Pod's definition says (its labels in any order), so that a file read
 * again can tell a Pod whose own definition did not change (pod_kept()). 0, or -ENOMEM. */
static int pod_digest(const struct pod *p, struct digest *ret)
{
    _cleanup_free_ const struct label **v = labels_sorted(&p->labels);
    if (!v)
        return -ENOMEM;
    return written_digest(pod_write, &(struct sorted_pod){p, {v, p->labels.n}}, ret);
}

/* id's name, namespace (may be NULL) and key in one allocation (one per object of every file:
 * ten thousand policies); id->type and id->kind are set before. id->name NULL without memory.
 * The key gives the namespace's length, so that no two idents share one whatever their names
 * hold (a broken policy keeps the name it was given). */
static void ident_set(struct ident *id, const char *ns, const char *name, const struct digest *sel)
{
    size_t ln = strlen(name) + 1, ls = ns ? strlen(ns) + 1 : 0;
    char head[64];
    int lh = snprintf(head, sizeof(head), "%d %d %zu ", (int)id->type, (int)id->kind,
                      ns ? ls - 1 : (size_t)-1);
    size_t lk = (size_t)lh + (ns ? ls : 1) + ln; /* head, "NS " or " ", name and its NUL */
    id->name = malloc(ln + ls + lk + (sel ? sizeof(*sel) : 0));
    if (!id->name)
        return;
    id->sel = sel ? memcpy(id->name + ln + ls + lk, sel, sizeof(*sel)) : NULL;
    memcpy(id->name, name, ln);
    id->ns = ns ? memcpy(id->name + ln, ns, ls) : NULL;
    char *k = id->name + ln + ls;
    id->key = k;
    memcpy(k, head, (size_t)lh);
    k += lh;
    if (ns) {
        memcpy(k, ns, ls - 1);
        k += ls - 1;
    }
    *k++ = ' ';
    memcpy(k, name, ln);
}

#define HELD_COUNT_BITS 24
#define HELD_COUNT_MAX ((UINT64_C(1) << HELD_COUNT_BITS) - 1)
#define HELD_FP(e) ((e) >> HELD_COUNT_BITS)

/* The fingerprint of key (never 0, which marks a free slot), and where its search begins. */
static uint64_t held_fp(const char *key)
{
    uint64_t fp = fnv1a64_str(key) >> HELD_COUNT_BITS;
    return fp ? fp : 1;
}

/* The slot of fingerprint fp in the table, or the free slot where it would go. */
static size_t held_find(const struct localsrc *s, uint64_t fp)
{
    size_t mask = s->nheld_slots - 1, i = fp & mask;
    while (s->held[i] && HELD_FP(s->held[i]) != fp)
        i = (i + 1) & mask;
    return i;
}

/* Adds by (+1 or -1) to key's count: false when that cannot be (a count out of nothing, or
 * past HELD_COUNT_MAX). A count that reaches 0 frees its slot, and the entries after it that
 * would be found from before it move back into it (no tombstones). */
static bool held_add(struct localsrc *s, const char *key, int by)
{
    uint64_t fp = held_fp(key);
    size_t mask = s->nheld_slots - 1, i = held_find(s, fp);
    uint64_t e = s->held[i], n = e & HELD_COUNT_MAX;
    if (by > 0) {
        if (n == HELD_COUNT_MAX)
            return false;
        s->held[i] = (fp << HELD_COUNT_BITS) | (n + 1);
        return true;
    }
    if (!e)
        return false;
    if (n > 1) {
        s->held[i] = e - 1;
        return true;
    }
    s->held[i] = 0;
    for (size_t j = (i + 1) & mask; s->held[j]; j = (j + 1) & mask) {
        size_t home = HELD_FP(s->held[j]) & mask;
        /* Found from home, j's entry passes the free slot i on its way: it moves there. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            s->held[i] = s->held[j];
            s->held[j] = 0;
            i = j;
        }
    }
    return true;
}

/* The ident of object o (a policy, a Pod or a Namespace), with the digest sel; id->name is
 * NULL without memory. */
static void ident_of(struct ident *id, const struct object *o, const struct digest *sel)
{
    *id = (struct ident){.type = o->type};
    if (o->type == OBJ_POLICY) {
        id->kind = o->policy->kind;
        ident_set(id, o->policy->ns, o->policy->name, sel);
    } else if (o->type == OBJ_POD)
        ident_set(id, o->pod->ns, o->pod->name, sel);
    else
        ident_set(id, NULL, o->ns->name, sel);
}

/* Counts every file's ids into a table of at least 4/3 of want slots; without memory, the
 * counts are lost (every look walks the files). */
static void holders_recount(struct localsrc *s, size_t want)
{
    size_t slots = 1024;
    while (3 * slots < 4 * want && slots < ((size_t)1 << 40))
        slots *= 2;
    uint64_t *held = calloc(slots, sizeof(*held));
    free(s->held);
    s->held = held;
    s->nheld_slots = held ? slots : 0;
    s->nheld = 0;
    s->holders_lost = !held;
    struct hmap_iter it;
    for (struct hmap_entry *h = held ? hmap_first(&s->files, &it) : NULL; h;
         h = hmap_next(&s->files, &it)) {
        const struct lfile *f = h->value;
        for (size_t i = 0; i < f->nids && !s->holders_lost; i++)
            s->holders_lost = !held_add(s, f->ids[i].key, 1);
        s->nheld += f->nids;
    }
}

/* Counts the n ids in (by +1) or out (by -1) of the table. Ids counted in are those of a file
 * of s->files already (a growth counts every file again, them too). */
static void holders_count(struct localsrc *s, const struct ident *ids, size_t n, int by)
{
    if (s->holders_lost)
        return;
    if (by > 0 && 4 * (s->nheld + n) > 3 * s->nheld_slots) {
        holders_recount(s, s->nheld + n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!held_add(s, ids[i].key, by)) {
            /* Never: counted out what was not counted in, or 2^24 ids of one key. */
            s->holders_lost = true;
            return;
        }
    s->nheld = by < 0 ? s->nheld - n : s->nheld + n;
}

/* False when no file's ids (but those counted out) hold id; true when some may. */
static bool maybe_held(const struct localsrc *s, const struct ident *id)
{
    return s->holders_lost || (s->nheld_slots && s->held[held_find(s, held_fp(id->key))]);
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
    evtimer_free(s->settle_timer);
    evtimer_free(s->busy_timer);
    hmap_clear(&s->busy, NULL);
    hmap_clear(&s->pins, NULL); /* empty but within load_folder_once() */
    evtimer_free(s->retry_timer);
    hmap_clear(&s->files, lfile_free);
    hmap_clear(&s->removed, NULL);
    hmap_clear(&s->folders, NULL);
    hmap_clear(&s->pod_dropped, NULL);
    hmap_clear(&s->pod_from, free);
    free(s->held);
    hmap_clear(&s->lastev, NULL);
    free(s->q);
    free(s->moved_from);
    free(s->data_target);
    free(s->dir);
    free(s);
}

static bool same_ident(const struct ident *a, const struct ident *b)
{
    return a->type == b->type && a->kind == b->kind && strcmp(a->name, b->name) == 0 &&
           strcmp(a->ns ? a->ns : "", b->ns ? b->ns : "") == 0;
}

/* Whether f's ids hold id. */
static bool file_holds(const struct lfile *f, const struct ident *id)
{
    for (size_t i = 0; i < f->nids; i++)
        if (same_ident(&f->ids[i], id))
            return true;
    return false;
}

/* Whether a and b are definitions known to select alike. */
static bool select_alike(const struct ident *a, const struct ident *b)
{
    return a->sel && b->sel && digest_equal(a->sel, b->sel);
}

/* Whether each of the n ids that names the object id does selects as id does. */
static bool ids_select_alike(const struct ident *ids, size_t n, const struct ident *id)
{
    for (size_t i = 0; i < n; i++)
        if (same_ident(&ids[i], id) && !select_alike(&ids[i], id))
            return false;
    return true;
}

/* The definition of the Pod of key in force came from the file name (unknown without memory:
 * drop_ident() then takes it as dropped, which puts the next definition read). */
static void pod_from_set(struct localsrc *s, const char *key, const char *name)
{
    char *copy = strdup(name);
    void *old = NULL;
    if (!copy || hmap_put(&s->pod_from, key, copy, &old) < 0) {
        free(copy);
        free(hmap_remove(&s->pod_from, key));
        return;
    }
    free(old);
}

/* f's last definition of id (the one its read leaves in force), or NULL. */
static const struct ident *file_last_def(const struct lfile *f, const struct ident *id)
{
    for (size_t i = f->nids; i-- > 0;)
        if (same_ident(&f->ids[i], id))
            return &f->ids[i];
    return NULL;
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
        engine_delete_namespace(s->e, id->name); /* and why it was unknown */
        break;
    default:
        break;
    }
}

/* Objects of one file, decoded before any of them reaches the engine. */
struct batch {
    struct object *v;
    size_t n, cap;
};

static int collect(struct object *o, void *userdata)
{
    struct batch *b = userdata;
    if (o->type == OBJ_NONE)
        return 0;
    if (b->n == b->cap) {
        /* Doubled: one object more each time could copy the whole array for every object of
         * a file (ten thousand policies in one file). */
        size_t cap = b->cap ? b->cap * 2 : 16;
        struct object *v = reallocarray(b->v, cap, sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->v = v;
        b->cap = cap;
    }
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

/* Deletes id, which the file except no longer holds, from the engine. When another file
 * still holds it (the same object in two files), that file is marked to be read again
 * (reread_marked), so that its definition is back in force, as after a restart, and the
 * object is not deleted meanwhile. The ids of except (or of the file gone) are counted out of
 * s->holders before. */
static void drop_ident(struct localsrc *s, const char *except, const struct ident *id)
{
    const char *elsewhere = NULL, *same = NULL, *last = NULL;
    struct hmap_iter it;
    for (struct hmap_entry *h = maybe_held(s, id) ? hmap_first(&s->files, &it) : NULL; h;
         h = hmap_next(&s->files, &it)) {
        struct lfile *f = h->value;
        if (except && strcmp(h->key, except) == 0)
            continue;
        bool holds = file_holds(f, id);
        f->reread |= holds;
        if (holds && !elsewhere)
            elsewhere = h->key;
        if (holds && id->type == OBJ_POD && f->known && !f->broken) {
            if (!last || strcmp(h->key, last) > 0)
                last = h->key;
            const struct ident *fd = file_last_def(f, id);
            if (fd && select_alike(fd, id) && (!same || strcmp(h->key, same) > 0))
                same = h->key;
        }
    }
    /* Held by another file too: that one is read again and its definition put; meanwhile, and
     * if it cannot be read (a broken file keeps what it held), the object stays as it is,
     * never gone from the engine with its rules. A Namespace whose labels were not known (two
     * definitions) stays so until that file reads, and its pods' Events say which file. */
    if (!elsewhere) {
        delete_ident(s, id);
        if (id->type == OBJ_POD) {
            hmap_remove(&s->pod_dropped, id->key);
            free(hmap_remove(&s->pod_from, id->key));
        }
    } else if (id->type == OBJ_POD) {
        /* The definition in force went (or where it came from is not known): another file's
         * is put at its next read. Another definition went: the one in force stays. */
        const char *from = hmap_get(&s->pod_from, id->key);
        const char *next = same ? same : last;
        if (from && except && strcmp(from, except) == 0 && next)
            pod_from_set(s, id->key, next); /* its read puts it; the others keep it */
        else if (!from || (except && strcmp(from, except) == 0))
            (void)hmap_put(&s->pod_dropped, id->key, (void *)1, NULL); /* no memory: kept */
    } else if (id->type == OBJ_NAMESPACE && engine_namespace_why(s->e, id->name)) {
        char why[PATH_MAX + 128];
        snprintf(why, sizeof(why),
                 "its definition in %s/%s has not been read since a definition with other labels "
                 "went (fix that file if it cannot be read)",
                 s->dir, elsewhere);
        (void)engine_namespace_unknown(s->e, id->name, why);
    }
}

/* Another known file than name that holds id (the same object defined twice), or NULL. The
 * ids name held are counted out of s->holders before. */
static const char *other_holder(struct localsrc *s, const char *name, const struct ident *id)
{
    if (!maybe_held(s, id))
        return NULL;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&s->files, &it); h; h = hmap_next(&s->files, &it)) {
        struct lfile *f = h->value;
        if (strcmp(h->key, name) == 0 || !f->known)
            continue;
        if (file_holds(f, id))
            return h->key;
    }
    return NULL;
}

/* Says so when the file name brings a Pod that another file defines too (kscmp validate
 * refuses that; the agent uses the definition read last, which may not be the one meant),
 * and counts it, a policy too (hold_defined_twice() tells of those). */
static void warn_defined_twice(struct localsrc *s, const char *name, bool held_here,
                               const struct object *o, const struct ident *id)
{
    bool in_engine = o->type == OBJ_POLICY
                         ? engine_get_policy(s->e, id->kind, id->ns, id->name) != NULL
                     : o->type == OBJ_POD ? engine_get_pod(s->e, id->ns, id->name) != NULL
                                          : false;
    if (!in_engine || held_here) /* held here: told when it was read first */
        return;
    const char *other = other_holder(s, name, id);
    if (other) {
        s->defined_twice++;
        if (o->type == OBJ_POD)
            log_warning("%s/%s: Pod %s/%s is defined in %s/%s too: the definition read last "
                        "(this one) is used; keep one",
                        s->dir, name, id->ns, id->name, s->dir, other);
    }
}

/* Whether the Pod id, read again in the file name (f, whose ids are still those of its last
 * read; before: their keys -> index + 1), keeps the definition in force from another file: it
 * was defined here before, its own definition here did not change (the file was renamed, read
 * again for another file's drop, or another object in it changed), the one in force came from
 * another file that still holds it. Else it is put, and is "the definition read last". */
static bool pod_kept(struct localsrc *s, const char *name, const struct lfile *f,
                     const struct hmap *before, const struct ident *id)
{
    uintptr_t b = (uintptr_t)hmap_get(before, id->key);
    if (!b || hmap_get(&s->pod_dropped, id->key))
        return false;
    const struct ident *was = &f->ids[b - 1];
    if (!id->sel || !was->sel || !digest_equal(id->sel, was->sel))
        return false;
    const char *from = hmap_get(&s->pod_from, id->key);
    if (!from || strcmp(from, name) == 0)
        return false;
    const struct lfile *ff = hmap_get(&s->files, from); /* still holds it: stays in force */
    return ff && ff->known && file_holds(ff, id);
}

/* Marks the known files other than name that hold id invalid: a policy they define is held
 * as defined twice, and each says when it is valid again (read again once one definition
 * goes). Returns the first of them (what other_holder() returns), or NULL when there is none;
 * *alike is cleared unless each of their definitions of id (a file may hold two) selects as
 * id does. The ids name held are counted out of s->holders before. */
static const char *mark_holders_invalid(struct localsrc *s, const char *name,
                                        const struct ident *id, bool *alike)
{
    if (!maybe_held(s, id))
        return NULL;
    const char *first = NULL;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&s->files, &it); h; h = hmap_next(&s->files, &it)) {
        struct lfile *f = h->value;
        if (strcmp(h->key, name) == 0 || !f->known || !file_holds(f, id))
            continue;
        f->invalid = true;
        *alike = *alike && ids_select_alike(f->ids, f->nids, id);
        if (!first)
            first = h->key;
    }
    return first;
}

/* When DIR/a and DIR/b are two names of one file (a hard or symbolic link), a hint that says
 * so, as kscmp validate reads such a file once; else "". */
static const char *link_hint(const struct localsrc *s, const char *a, const char *b)
{
    struct stat sa, sb, la, lb;
    char pa[PATH_MAX], pb[PATH_MAX];
    snprintf(pa, sizeof(pa), "%s/%s", s->dir, a);
    snprintf(pb, sizeof(pb), "%s/%s", s->dir, b);
    if (stat(pa, &sa) < 0 || stat(pb, &sb) < 0 || sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino)
        return "";
    bool hard =
        lstat(pa, &la) == 0 && lstat(pb, &lb) == 0 && !S_ISLNK(la.st_mode) && !S_ISLNK(lb.st_mode);
    return hard ? " (two names of one file, a hard link: keep one name in the folder)"
                : " (two names of one file, through a symbolic link: keep one name in the "
                  "folder)";
}

/* A policy defined twice (in this file, or in name and another file) is invalid, whichever
 * definition came last: which one the admin meant is not known, and using the one read last
 * could write a weaker profile (README: fail closed). The files it contributes to keep their
 * last good profile until one definition goes; the other file is then read again and its
 * definition used. Returns true when it is held. */
static bool hold_defined_twice(struct localsrc *s, const char *name, struct policy **pp,
                               const struct ident *id, const struct ident *here, size_t nhere,
                               bool twice_here)
{
    /* Twice here, the other files were marked when its first definition here was read
     * (marking them again changes nothing); what they select is looked at either way. */
    bool alike = !(*pp)->selector_unknown && id->sel;
    const char *other = mark_holders_invalid(s, name, id, &alike);
    if (twice_here)
        other = NULL;
    else if (!other)
        return false;
    const char *kind = policy_kind_name(id->kind), *ns = id->ns ? id->ns : "",
               *slash = id->ns ? "/" : "";
    const char *linked = other ? link_hint(s, other, name) : "";
    char *why = NULL;
    int r = twice_here ? asprintf(&why,
                                  "%s %s%s%s is defined twice in %s/%s: it is held as invalid "
                                  "until one definition is removed",
                                  kind, ns, slash, id->name, s->dir, name)
                       : asprintf(&why,
                                  "%s %s%s%s is defined in %s/%s and in %s/%s%s: it is held as "
                                  "invalid until one definition is removed",
                                  kind, ns, slash, id->name, s->dir, other, s->dir, name, linked);
    if (r < 0)
        why = NULL;
    metrics_add(s->m, M_SOURCE_ERRORS, 1);
    log_error("%s", why ? why : "a policy is defined twice: it is held as invalid");
    /* The decoded policy is one allocation (policy_pack()): packed again with the error. The
     * other definitions may select pods this one does not, and may never have compiled (all
     * read before the first sync), so that nothing remembers what they selected: unless each
     * selects as this one does (a copy of a file kept beside it, most often), its selectors
     * are taken as unknown, and it holds the files of every pod in its scope (a namespace's,
     * or the node's for a ClusterSeccompPolicy). When they select alike, it holds the files
     * of the pods they select, and those of the pods its last version in force selected (the
     * engine remembers it; put held, the other definition never counts as in force), no
     * more. */
    struct policy *p = *pp, *held = NULL;
    bool unknown = p->selector_unknown;
    alike = alike && ids_select_alike(here, nhere, id);
    /* A definition that is invalid itself keeps its own error too. */
    char *own = p->error, *both = NULL;
    if (own && why && asprintf(&both, "%s (this definition is invalid too: %s)", why, own) < 0)
        both = NULL;
    p->error = both ? both : why ? why : own ? own : (char *)"defined twice";
    p->selector_unknown = !alike;
    r = policy_pack(p, &held);
    p->error = own;
    p->selector_unknown = unknown;
    free(both);
    free(why);
    if (r < 0)
        return true; /* without memory: the definition as read (the warning is in the log) */
    policy_free(p);
    *pp = held;
    return true;
}

/* A Namespace defined more than once (twice in the file name, or in name and another file)
 * with other labels: which labels it has is not known, and a ClusterSeccompPolicy that picks
 * namespaces by label may or may not reach its pods. It is taken as unknown (not in the
 * engine) until its definitions agree or all but one go, so that such a policy holds the
 * files of its pods (docs/policies.md), never the labels of the definition read last, which
 * could drop a guardrail from them. Said once per read of name (first: this is the first
 * definition in it); the same labels twice are said too, and used. Returns true when it is
 * held unknown. */
static bool namespace_unknown(struct localsrc *s, const char *name, const struct digest *bytes,
                              const struct ident *id, const struct ident *here, size_t nhere,
                              bool first)
{
    bool alike = id->sel != NULL && ids_select_alike(here, nhere, id);
    const char *linked = "";
    unsigned defs = 0;
    for (size_t i = 0; i < nhere; i++)
        defs += same_ident(&here[i], id);
    const char *other = NULL;
    unsigned nothers = 0;
    struct hmap_iter it;
    for (struct hmap_entry *h = maybe_held(s, id) ? hmap_first(&s->files, &it) : NULL; h;
         h = hmap_next(&s->files, &it)) {
        struct lfile *f = h->value;
        if (strcmp(h->key, name) == 0 || !f->known || !file_holds(f, id))
            continue;
        const char *hint = link_hint(s, h->key, name);
        /* The same file under another name, read before its bytes changed: its event may not
         * come (an edit through this name), so it is read again, as it now holds what this
         * one holds. Its bytes, not its labels, say whether it is behind: read again, they
         * are these (unless the file changed meanwhile), and it marks this one no more, even
         * when the file defines the Namespace twice with other labels itself. */
        if (hint[0] != '\0' && !digest_equal(&f->digest, bytes)) {
            /* Not another definition: these bytes, once it is read again (below, in
             * reread_marked()); its recorded labels are those of an older version. */
            f->reread = true;
            continue;
        }
        if (!other) {
            other = h->key;
            linked = hint;
        }
        nothers++;
        alike = alike && ids_select_alike(f->ids, f->nids, id);
    }
    /* Held unknown by the last read (the engine keeps the reason until it is put). */
    bool was = engine_namespace_why(s->e, id->name) != NULL;
    if (!other && defs < 2) {
        if (was) {
            log_info("%s/%s: Namespace %s is defined once again: its labels are known again",
                     s->dir, name, id->name);
        }
        return false;
    }
    char where[PATH_MAX + 96], more[48] = "";
    if (nothers > 1)
        snprintf(more, sizeof(more), " (and in %u more file%s)", nothers - 1,
                 nothers > 2 ? "s" : "");
    if (other && defs >= 2)
        snprintf(where, sizeof(where), "twice in %s/%s, and in %s/%s%s%s", s->dir, name, s->dir,
                 other, linked, more);
    else if (other)
        snprintf(where, sizeof(where), "in %s/%s and in %s/%s%s%s", s->dir, other, s->dir, name,
                 linked, more);
    else
        snprintf(where, sizeof(where), "twice in %s/%s", s->dir, name);
    if (alike) {
        if (first)
            log_warning("Namespace %s is defined %s, with the same labels: keep one", id->name,
                        where);
        if (was) {
            log_info("%s/%s: the definitions of Namespace %s agree again: its labels are known "
                     "again",
                     s->dir, name, id->name);
        }
        return false;
    }
    if (first) {
        s->defined_twice++;
        metrics_add(s->m, M_SOURCE_ERRORS, 1);
        log_error("Namespace %s is defined %s, with other labels: its labels are taken as unknown "
                  "until one definition is removed or they agree (a ClusterSeccompPolicy that "
                  "picks namespaces by label holds the files of its pods meanwhile)",
                  id->name, where);
    }
    char why[PATH_MAX + 128];
    snprintf(why, sizeof(why), "it is defined %s, with other labels (keep one)", where);
    if (engine_namespace_unknown(s->e, id->name, why) < 0)
        log_error("Namespace %s: no memory to say why its labels are not known", id->name);
    return true;
}

/* Up to four of the objects ids[i] with gone[i] (all when gone is NULL), by kind and name,
 * into buf: "ClusterSeccompPolicy guard, Pod demo/web-1 and 3 more". */
static void name_gone(const struct ident *ids, size_t n, const bool *gone, char *buf, size_t len)
{
    size_t off = 0, told = 0, more = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (gone && !gone[i])
            continue;
        if (told == 4) {
            more++;
            continue;
        }
        const struct ident *id = &ids[i];
        const char *kind = id->type == OBJ_POLICY ? policy_kind_name(id->kind)
                           : id->type == OBJ_POD  ? "Pod"
                                                  : "Namespace";
        int w = snprintf(buf + off, off < len ? len - off : 0, "%s%s %s%s%s", told ? ", " : "",
                         kind, id->ns ? id->ns : "", id->ns ? "/" : "", id->name);
        off += w > 0 ? (size_t)w : 0;
        told++;
    }
    if (more && off < len)
        snprintf(buf + off, len - off, " and %zu more", more);
}

/* An object a file no longer holds, found by a whole read before any file's objects are put,
 * taken out of the engine only after every file is read (finish_drops()). */
struct dropped {
    char *file; /* the file that held it */
    struct ident id;
};

struct drops {
    struct dropped *v;
    size_t n, cap;
};

/* Keeps id (taken: its memory is the list's now), which file no longer holds, for
 * finish_drops(); without memory, it is dropped now (as a read of one file does). */
static void drop_later(struct localsrc *s, struct drops *d, const char *file, struct ident id)
{
    char *copy = NULL;
    if (d->n == d->cap) {
        size_t nc = d->cap ? 2 * d->cap : 16;
        struct dropped *v = realloc(d->v, nc * sizeof(*v));
        if (v) {
            d->v = v;
            d->cap = nc;
        }
    }
    if (d->n < d->cap && (copy = strdup(file))) {
        d->v[d->n++] = (struct dropped){copy, id};
        return;
    }
    drop_ident(s, file, &id);
    free(id.name);
}

/* Names the ngone ids of f that its read at path (nobjects objects) no longer holds (gone[i]). */
static void tell_gone(const char *path, const struct lfile *f, const bool *gone, size_t ngone,
                      size_t nobjects)
{
    char what[512];
    name_gone(f->ids, f->nids, gone, what, sizeof(what));
    if (nobjects == 0) /* all of them: a file commented out, say, is not an empty one */
        log_warning("%s holds no object any more: its %zu object(s) are gone: %s", path, ngone,
                    what);
    else
        log_info("%s: %zu object(s) no longer in it are gone: %s", path, ngone, what);
}

/* File name is gone from DIR (or, a volume's key, from its data): its objects go, now, or
 * through d in a whole read (finish_drops()). */
static void remove_file(struct localsrc *s, const char *name, struct drops *d)
{
    struct lfile *f = hmap_remove(&s->files, name);
    if (!f)
        return;
    holders_count(s, f->ids, f->nids, -1);
    for (size_t i = 0; !d && i < f->nids; i++)
        drop_ident(s, name, &f->ids[i]);
    char gone[512];
    name_gone(f->ids, f->nids, NULL, gone, sizeof(gone));
    log_info("%s/%s removed: its %zu object(s) are gone%s%s", s->dir, name, f->nids,
             f->nids ? ": " : "", gone);
    for (size_t i = 0; d && i < f->nids; i++)
        drop_later(s, d, name, f->ids[i]); /* taken */
    if (d)
        f->nids = 0;
    lfile_free(f);
}

/* The entry of name, made (unknown, holding nothing) when missing; NULL without memory. */
static struct lfile *lfile_get(struct localsrc *s, const char *name)
{
    return hmap_get_or_new(&s->files, name, sizeof(struct lfile));
}

/* A read of name failed: what it held stays (or, never read, it counts as unknown and holds
 * back the first reconcile and the removal of files). It could not be read (bytes NULL; why:
 * read_errno, or 0 without memory) or not decoded (bytes: a digest of them). */
static void file_failed(struct localsrc *s, const char *name, const struct digest *bytes,
                        int read_errno)
{
    metrics_add(s->m, M_SOURCE_ERRORS, 1);
    struct lfile *f = lfile_get(s, name);
    if (f) {
        f->broken = true;
        f->read_errno = read_errno;
        f->failed_in = s->whole_reads;
        f->told = bytes != NULL;
        if (bytes)
            f->bad_digest = *bytes;
    }
}

static void on_settle(struct evtimer *timer, void *userdata);

/* Whether name in DIR is a folder (or a link to one). */
static bool is_folder(const struct localsrc *s, const char *name)
{
    _cleanup_free_ char *path = NULL;
    struct stat st;
    return asprintf(&path, "%s/%s", s->dir, name) >= 0 && stat(path, &st) == 0 &&
           S_ISDIR(st.st_mode);
}

/* name is a folder named like a manifest: not read, as no sub-folder is (kscmp validate says
 * the same), and never counted as a file that could not be read (which would hold back every
 * profile of the node). Said once while it stays. */
static void folder_tell(struct localsrc *s, const char *name)
{
    if (hmap_get(&s->folders, name))
        return;
    log_warning("%s/%s is a folder: not read (sub-folders are not entered)", s->dir, name);
    hmap_put(&s->folders, name, (void *)1, NULL);
}

/* Arms the settle timer REMOVAL_SETTLE_MS from now; no later than SWAP_MAX_MS after a volume's
 * change was first seen, so that changes that keep coming (a folder with ..data that is also
 * written to) cannot put its whole read off for ever. */
static void settle_arm(struct localsrc *s)
{
    uint64_t ms = REMOVAL_SETTLE_MS;
    uint64_t waited = s->swap_seen ? (now_us() - s->swap_since) / 1000 : 0;
    if (waited + ms > SWAP_MAX_MS)
        ms = waited >= SWAP_MAX_MS ? 0 : SWAP_MAX_MS - waited;
    evtimer_arm(s->settle_timer, ms);
}

/* name went (deleted, renamed away, a folder now): what it held is dropped once the folder is
 * seen to stay (on_settle(): the folder may be going as a whole). Nothing when it was never
 * read, or without an event loop. */
static void mark_removed(struct localsrc *s, const char *name)
{
    if (s->l && hmap_get(&s->files, name)) {
        hmap_put(&s->removed, name, (void *)1, NULL);
        settle_arm(s);
    }
}

/* folder_tell(); a file of that name read before is gone: dropped as a removed file is. */
static void folder_seen(struct localsrc *s, const char *name)
{
    folder_tell(s, name);
    mark_removed(s, name);
}

/* True when the bytes are nothing but blanks. */
static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
            return false;
    return true;
}

/* The events that say a file was written, replaced or removed. */
#define WRITE_EVENTS                                                                               \
    (IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE)
#define QUEUE_READ 16384 /* room for one read() of events */
/* The most bytes of inotify events the queue (s->q) holds, those handled and those waiting,
 * within one call of on_inotify(). An event is 16 bytes plus its name, NUL included, rounded
 * up to 16: 4 MiB holds ~15,400 events with the longest names (NAME_MAX), more with shorter
 * ones (~131,000 under 16 bytes), near the kernel's own default queue even at the worst
 * (fs.inotify.max_queued_events: 16,384 events). Bounded so that writers that never stop
 * cannot grow the agent's memory without end. Past it (and when memory runs out) qfull is
 * set: the events left wait in the kernel for the loop's next turn, a file read for an event
 * meanwhile is not used (later_event() cannot know what came after), and once the queue is
 * handled the whole folder is read again, as after an inotify overflow. */
#define QUEUE_MAX (4u << 20)

/* Reads what inotify has (without waiting) to the end of the queue, noting the place of each
 * file's last event that writes, replaces or removes it. */
static void queue_fill(struct localsrc *s)
{
    while (s->ifd >= 0 && !s->qfull) {
        if (s->qcap - s->qlen < QUEUE_READ) {
            size_t nc = s->qcap ? 2 * s->qcap : 4 * QUEUE_READ;
            char *nq = nc <= QUEUE_MAX ? realloc(s->q, nc) : NULL;
            if (!nq) {
                s->qfull = true;
                return;
            }
            s->q = nq;
            s->qcap = nc;
        }
        ssize_t n = read(s->ifd, s->q + s->qlen, s->qcap - s->qlen);
        if (n <= 0)
            return;
        for (size_t p = s->qlen; p + sizeof(struct inotify_event) <= s->qlen + (size_t)n;) {
            const struct inotify_event *ev = (const void *)(s->q + p);
            if (ev->len && (ev->mask & WRITE_EVENTS) &&
                hmap_put(&s->lastev, ev->name, (void *)(uintptr_t)(p + 1), NULL) < 0)
                s->qfull = true;
            if (ev->mask & IN_Q_OVERFLOW)
                s->qoverflow = p + 1;
            p += sizeof(*ev) + ev->len;
        }
        s->qlen += (size_t)n;
    }
}

/* Whether an event after the one being handled says name was written, replaced or removed
 * since: its bytes as read may be half of a write, and that later event reads it again. True
 * when unsure (events left unread: all is read again then). */
static bool later_event(struct localsrc *s, const char *name)
{
    queue_fill(s);
    uintptr_t at = (uintptr_t)hmap_get(&s->lastev, name);
    /* Events after an overflow were lost: any of them may have been this file's. */
    return s->qfull || (s->qoverflow && s->qoverflow - 1 > s->qcur) || (at && at - 1 > s->qcur);
}

/* Whether another process holds path open for writing (or mapped to write): the kernel then
 * refuses a read lease (EAGAIN). 1 when it does; 0 when not, or when it cannot be told (not a
 * regular file, a file system without leases, another user's file without CAP_LEASE). The
 * lease, when granted, is given back at once: a writer's open() waits for that, microseconds
 * (the break's SIGIO is ignored: localsrc_new()). */
static int held_for_writing(const char *path)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
        (void)fcntl(fd, F_SETLEASE, F_UNLCK);
        return 0;
    }
    return errno == EAGAIN ? 1 : 0;
}

/* name is held open for writing: not read now (what it held stays; never read, it holds back
 * the first reconcile as a file not read yet does); read once it is closed (its event), or
 * by on_busy() within BUSY_MAX_MS. */
static void busy_wait(struct localsrc *s, const char *name)
{
    (void)lfile_get(s, name);
    if (!hmap_get(&s->busy, name))
        hmap_put(&s->busy, name, (void *)(uintptr_t)(now_ms() + 1), NULL);
    if (!evtimer_armed(s->busy_timer))
        evtimer_arm(s->busy_timer, BUSY_POLL_MS);
}

/* Whether DIR is a ConfigMap, Secret or projected volume: ..data is a link (to the folder of
 * the files in force), and the files are links through it. */
static bool is_volume(const struct localsrc *s)
{
    _cleanup_free_ char *path = NULL;
    struct stat st;
    return asprintf(&path, "%s/..data", s->dir) >= 0 && lstat(path, &st) == 0 &&
           S_ISLNK(st.st_mode);
}

/* ..data's target now (a copy), when it is a link to a folder; else NULL. */
static char *data_target_now(const struct localsrc *s)
{
    _cleanup_free_ char *path = NULL;
    struct stat st;
    char buf[PATH_MAX];
    if (asprintf(&path, "%s/..data", s->dir) < 0 || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return NULL;
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return strdup(buf);
}

/* Whether path is a symbolic link into ..data/: to ..data/NAME exactly when name is given (the
 * kubelet's link to a volume's key), to anything below it otherwise. */
static bool link_into_data(const char *path, const char *name)
{
    char target[NAME_MAX + 16];
    ssize_t tl = readlink(path, target, sizeof(target) - 1);
    if (tl < 7 || memcmp(target, "..data/", 7) != 0)
        return false;
    if (!name)
        return true;
    if ((size_t)tl >= sizeof(target) - 1)
        return false;
    target[tl] = '\0';
    return strcmp(target + 7, name) == 0;
}

/* A volume's whole read takes every key from one data folder: the one ..data pointed to when
 * the read began. The kubelet writes an update into a new folder and then moves ..data, never
 * the files of a folder in place, so files opened there all hold one version of the volume,
 * even when ..data moves and the old folder is removed while they are read. Read through the
 * links instead, the first keys of one update were put beside the last keys of the next.
 * Values of s->pins: PIN_FD(fd), or PIN_MISSING (the link's key is not in that folder). */
#define PIN_MISSING ((void *)1)
#define PIN_FD(fd) ((void *)(uintptr_t)((fd) + 2))
#define PIN_FD_OF(v) ((int)((uintptr_t)(v)-2))
#define PIN_MAX 256   /* keys held open at once; a volume with more is read through its links */
#define MOVED_READS 3 /* reads of a volume whose ..data moves during each (load_folder()) */

static bool is_missing(const char *name, void *value, void *data)
{
    return value == PIN_MISSING;
}

static void unpin(struct localsrc *s)
{
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&s->pins, &it); h; h = hmap_next(&s->pins, &it))
        if (h->value != PIN_MISSING)
            close(PIN_FD_OF(h->value));
    hmap_clear(&s->pins, NULL);
}

/* Opens the names of a volume (the links to ..data/NAME) in ..data's folder, and returns that
 * folder's name (a copy), or NULL when DIR is not a volume. A key missing there while ..data
 * moved again (its old folder being removed) is opened again in the new one, MOVED_READS times
 * at the most. Without memory or above PIN_MAX, names are read through their links. */
static char *pin_data(struct localsrc *s, char *const *names, size_t n)
{
    for (unsigned attempt = 1;; attempt++) {
        char *target = data_target_now(s);
        _cleanup_free_ char *folder = NULL;
        if (!target || n > PIN_MAX || asprintf(&folder, "%s/%s", s->dir, target) < 0)
            return target;
        _cleanup_close_ int dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        bool missing = dfd < 0;
        for (size_t i = 0; i < n && dfd >= 0; i++) {
            _cleanup_free_ char *path = NULL;
            if (asprintf(&path, "%s/%s", s->dir, names[i]) < 0 || !link_into_data(path, names[i]))
                continue;
            int fd = openat(dfd, names[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
            struct stat st;
            if (fd < 0) {
                if (errno == ENOENT) {
                    missing = true;
                    (void)hmap_put(&s->pins, names[i], PIN_MISSING, NULL);
                }
                continue;
            }
            /* Only a regular file (a key's folder, a special file: read as before). */
            if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
                hmap_put(&s->pins, names[i], PIN_FD(fd), NULL) < 0)
                close(fd);
        }
        if (!missing)
            return target;
        _cleanup_free_ char *now = data_target_now(s);
        if (now && strcmp(now, target) == 0 && dfd >= 0)
            return target; /* keys the update removed, in a folder still in force */
        if (attempt >= MOVED_READS) {
            /* Still moving: what is missing is read through its link (load_folder() reads
             * again when ..data moved). */
            char **miss = NULL;
            size_t nmiss = 0;
            if (hmap_keys(&s->pins, is_missing, NULL, &miss, &nmiss) == 0) {
                for (size_t i = 0; i < nmiss; i++)
                    hmap_remove(&s->pins, miss[i]);
                strv_free(miss, nmiss);
            } else
                unpin(s);
            return target;
        }
        unpin(s);
        free(target);
    }
}

/* Reads DIR/name (path) whole: from the file pin_data() opened, when it did. */
static int read_name(struct localsrc *s, const char *name, const char *path, char **buf,
                     size_t *len, struct kerr *err)
{
    void *pin = hmap_get(&s->pins, name);
    const struct lfile *f = pin == PIN_MISSING ? hmap_get(&s->files, name) : NULL;
    if (pin == PIN_MISSING && s->pin_target && !(f && f->known)) {
        /* A new key not in the folder pinned, and ..data has moved since: an older kubelet
         * makes the link of a new key before its swap. The read that follows (load_folder()
         * reads again) tells whether it is in the volume: -EAGAIN, said nowhere. On the last
         * pass, read through its link. A known key the folder lacks is one that version
         * removed: it goes in this pass (else it still held what moved to another key). */
        _cleanup_free_ char *now = data_target_now(s);
        if (now && strcmp(now, s->pin_target) != 0) {
            if (s->pass + 1 < MOVED_READS)
                return -EAGAIN;
            pin = NULL;
        }
    }
    if (!pin)
        return read_file_all(path, MAX_MANIFEST, buf, len, err);
    if (pin == PIN_MISSING)
        return kerr_set(err, -ENOENT, "%s: %s", path, strerror(ENOENT));
    int fd = PIN_FD_OF(pin);
    if (lseek(fd, 0, SEEK_SET) < 0)
        return kerr_set(err, -errno, "%s: %s", path, strerror(errno));
    return read_fd_all(fd, path, MAX_MANIFEST, buf, len, err);
}

/* Whether DIR/name (path) is a volume's link to a key not in its data: a link whose target is
 * exactly ..data/NAME, ..data being a link to a folder that has no NAME. After a swap of
 * ..data (s->data_swapped), that is a key the update removed (the kubelet removes its link
 * after the swap, or left it behind). */
static bool volume_key_missing(const struct localsrc *s, const char *name, const char *path)
{
    struct stat st;
    if (hmap_get(&s->pins, name) == PIN_MISSING)
        return true;
    if (!link_into_data(path, name))
        return false;
    _cleanup_free_ char *data = NULL, *key = NULL;
    return is_volume(s) && asprintf(&data, "%s/..data", s->dir) >= 0 && stat(data, &st) == 0 &&
           S_ISDIR(st.st_mode) && asprintf(&key, "%s/%s", data, name) >= 0 && lstat(key, &st) < 0 &&
           errno == ENOENT;
}

/* Read whole after ..data moved to a new folder, which lacks the key name (path): the update
 * removed it (its link goes after the swap, or was left behind). What it held goes now, so that
 * this read is the volume's new content, not its new keys beside an old one. Never when ..data
 * did not move (a volume being torn down, its folder emptied: every key would seem missing) nor
 * at start: then a file that cannot be read. Returns true when the engine changed. */
static bool volume_key_removed(struct localsrc *s, const char *name, const char *path,
                               struct drops *d)
{
    log_warning("%s: not in the volume's new data (..data moved to a folder without it: a key "
                "the update removed): taken as absent",
                path);
    if (!hmap_get(&s->files, name))
        return false;
    remove_file(s, name, d);
    return true;
}

/* What drops_first() read of a file and decoded, for load_file(): the digest of its bytes and
 * its objects (the bytes themselves are not kept). */
struct preread {
    struct digest digest;
    struct batch b;
};

static void preread_free(void *v)
{
    struct preread *p = v;
    if (!p)
        return;
    batch_clear(&p->b);
    free(p);
}

/* Reads one file into the engine, or, with pre, uses what drops_first() decoded of it (the
 * same snapshot for its drops and its additions, decoded once). for_event: read for an event of
 * the queue (on_inotify()), not used when a later event says it was written since
 * (later_event()). Returns true when the engine changed. */
static bool load_file(struct localsrc *s, const char *name, bool for_event, struct preread *pre)
{
    _cleanup_free_ char *path = NULL;
    if (asprintf(&path, "%s/%s", s->dir, name) < 0)
        return false;
    /* Written again since its event was queued: the later event reads it (asked again after
     * the read below, which may take a while); nothing to ask the kernel or read now. */
    if (for_event && later_event(s, name))
        return false;
    /* A writer at work: its half may read as a valid manifest that lacks the rest (a rule,
     * a policy: a weaker profile until the next read). Its close reads it. */
    if (!pre && s->l && s->busy_timer && !s->busy_read && held_for_writing(path) > 0) {
        busy_wait(s, name);
        return false;
    }
    hmap_remove(&s->busy, name);
    struct kerr err = {0};
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = pre ? 0 : read_name(s, name, path, &buf, &len, &err);
    if (r == -EAGAIN)
        return false; /* a key of the next update: load_folder() reads again */
    if (r < 0 && r != -ENOENT && (r == -EISDIR || is_folder(s, name))) {
        folder_seen(s, name);
        return false;
    }
    hmap_remove(&s->folders, name);
    if (r == -ENOENT && s->l && s->data_swapped && volume_key_missing(s, name, path))
        return volume_key_removed(s, name, path, NULL);
    struct stat lst;
    bool in_volume = false;
    if (r == -ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        /* A link whose target went (no event in DIR says so) or is not there yet: a file that
         * cannot be read, never one that went (its objects stay; removing the link is how
         * they go). A link into ..data: a volume's key in the middle of an update. */
        in_volume = link_into_data(path, NULL);
        r = kerr_set(&err, -ENOENT,
                     !in_volume ? "%s: a symbolic link to a file that does not exist"
                     : s->l     ? "%s: a link into ..data whose file is not there (a key of a "
                                  "volume in the middle of an update: read again with the "
                                  "update; or a link left behind: remove it)"
                                : "%s: a link into ..data whose file is not there (a key of a "
                                  "volume in the middle of an update: run again; or a link left "
                                  "behind: remove it)",
                     path);
        in_volume = in_volume && s->l; /* a warning while an update may still come */
    } else if (r == -ENOENT && s->l) {
        /* Gone: dropped once the folder is seen to stay (it may be going as a whole). */
        mark_removed(s, name);
        return false;
    }
    struct lfile *old = hmap_get(&s->files, name);
    bool held = old && old->known;
    if (r < 0) {
        /* The same failure in a second pass of one whole read (..data moved during the first):
         * said and counted once. */
        if (s->pass > 0 && old && old->broken && old->read_errno == -r &&
            old->failed_in == s->whole_reads)
            return false;
        log_msg(in_volume ? LOG_WARNING : LOG_ERROR, "%s: %s", err.msg[0] ? err.msg : strerror(-r),
                held ? "keeping what it held before" : "nothing of it is used yet");
        file_failed(s, name, NULL, -r);
        return false;
    }
    /* Read for an event, and written again since (after the read began, or its event was
     * queued before this one's turn): not used; the later event reads it again. */
    if (for_event && later_event(s, name))
        return false;
    struct digest d;
    if (pre)
        d = pre->digest;
    else
        digest_bytes(buf, len, &d);
    if (held && !old->broken && !old->force && digest_equal(&old->digest, &d))
        return false;
    /* The same bad bytes again (an editor's chmod after its write, a second close): said
     * already. */
    if (old && old->broken && old->told && digest_equal(&old->bad_digest, &d))
        return false;
    if (!pre && held && old->nids && blank(buf, len)) {
        /* Emptied, most likely by an error (a redirection that failed, a full disk): what it
         * held stays; deleting the file is how its objects go. */
        log_warning("%s is empty: what it held stays (delete the file to remove its %zu "
                    "object(s))",
                    path, old->nids);
        metrics_add(s->m, M_SOURCE_ERRORS, 1);
        return false;
    }
    struct batch b = {0};
    if (pre) {
        b = pre->b;
        pre->b = (struct batch){0};
    } else
        r = manifest_load_buffer(buf, len, path, collect, &b, &err);
    if (r < 0) {
        batch_clear(&b);
        log_error("%s: %s", err.msg[0] ? err.msg : strerror(-r),
                  held ? "the file keeps what it held before" : "nothing of it is used yet");
        file_failed(s, name, &d, 0);
        return false;
    }
    struct ident *ids = calloc(b.n + 1, sizeof(*ids));
    if (!ids) {
        batch_clear(&b);
        file_failed(s, name, NULL, 0);
        return false;
    }
    size_t nids = 0, ninvalid = 0;
    for (size_t i = 0; i < b.n; i++) {
        struct object *o = &b.v[i];
        struct ident *id = &ids[nids++];
        /* A policy's selectors; a Pod's definition (without memory, unknown: taken as
         * changed); a Namespace's labels (without memory, unknown: other labels). */
        struct digest dg;
        bool known = o->type == OBJ_POLICY
                         ? !o->policy->selector_unknown && selectors_digest(o->policy, &dg) == 0
                     : o->type == OBJ_POD ? pod_digest(o->pod, &dg) == 0
                                          : labels_digest(&o->ns->labels, &dg) == 0;
        ident_of(id, o, known ? &dg : NULL);
        if (o->type == OBJ_POLICY && o->policy->error) {
            metrics_add(s->m, M_SOURCE_ERRORS, 1);
            log_error("%s", o->policy->error);
            ninvalid++;
        }
        if (!id->name) {
            ids_free(ids, nids);
            batch_clear(&b);
            file_failed(s, name, NULL, 0);
            return false;
        }
    }
    struct lfile *f = lfile_get(s, name);
    /* The keys read now (-> index of the first definition, plus one) and held before, so that
     * each object is looked up once (ten thousand policies in one file). */
    struct hmap now, before, last; /* last: the keys read now -> index of the last one, + 1 */
    hmap_init(&now);
    hmap_init(&before);
    hmap_init(&last);
    bool sets = f != NULL;
    for (size_t i = 0; sets && i < nids; i++) {
        if (!hmap_get(&now, ids[i].key))
            sets = hmap_put(&now, ids[i].key, (void *)(uintptr_t)(i + 1), NULL) == 0;
        if (sets)
            sets = hmap_put(&last, ids[i].key, (void *)(uintptr_t)(i + 1), NULL) == 0;
    }
    for (size_t i = 0; sets && f->known && i < f->nids; i++)
        sets = hmap_put(&before, f->ids[i].key, (void *)(uintptr_t)(i + 1), NULL) == 0;
    if (!sets) {
        hmap_clear(&now, NULL);
        hmap_clear(&before, NULL);
        hmap_clear(&last, NULL);
        ids_free(ids, nids);
        batch_clear(&b);
        file_failed(s, name, NULL, 0);
        return false;
    }
    /* From here to the end, the counts in s->holders are those of the other files. */
    holders_count(s, f->ids, f->nids, -1);
    /* Objects the file no longer holds go, named in the log; the others are put (replaced). */
    size_t ngone = 0;
    _cleanup_free_ bool *gone = f->known && f->nids ? calloc(f->nids, sizeof(*gone)) : NULL;
    if (f->known)
        for (size_t i = 0; i < f->nids; i++)
            if (!hmap_get(&now, f->ids[i].key)) {
                drop_ident(s, name, &f->ids[i]);
                ngone++;
                if (gone)
                    gone[i] = true;
            }
    if (ngone && gone)
        tell_gone(path, f, gone, ngone, b.n);
    for (size_t i = 0; i < b.n; i++) {
        struct object *o = &b.v[i];
        warn_defined_twice(s, name, hmap_get(&before, ids[i].key) != NULL, o, &ids[i]);
        /* Twice in this file: a Pod's later definition is used, as between files; a policy is
         * held (validate refuses both). */
        bool twice_here =
            o->type != OBJ_NAMESPACE && (uintptr_t)hmap_get(&now, ids[i].key) != (uintptr_t)(i + 1);
        if (twice_here) {
            s->defined_twice++;
            if (o->type == OBJ_POD)
                log_warning("%s/%s: Pod %s/%s is defined twice in this file: the later "
                            "definition is used; keep one",
                            s->dir, name, ids[i].ns, ids[i].name);
        }
        /* Held whether this definition is valid or not: an invalid one still must not let
         * the pods only another definition selects go without it (counted once). */
        bool put_held = false;
        if (o->type == OBJ_POLICY) {
            bool was_invalid = o->policy->error != NULL;
            put_held = hold_defined_twice(s, name, &o->policy, &ids[i], ids, nids, twice_here);
            if (put_held && !was_invalid)
                ninvalid++;
        }
        if (o->type == OBJ_POLICY) /* a held one does not make the other definition in force */
            r = engine_put_policy_held(s->e, TAKE_PTR(o->policy), put_held);
        else if (o->type == OBJ_POD &&
                 pod_kept(s, name, f, &before, &ids[(uintptr_t)hmap_get(&last, ids[i].key) - 1]))
            r = 0; /* the definition in force stays (batch_clear() frees this one) */
        else if (o->type == OBJ_POD) {
            hmap_remove(&s->pod_dropped, ids[i].key);
            r = engine_put_pod(s->e, TAKE_PTR(o->pod));
            pod_from_set(s, ids[i].key, name);
        } else if (namespace_unknown(s, name, &d, &ids[i], ids, nids,
                                     (uintptr_t)hmap_get(&now, ids[i].key) == (uintptr_t)(i + 1)))
            r = 0;
        else
            r = engine_put_namespace(s->e, TAKE_PTR(o->ns));
        if (r < 0)
            log_error("%s: %s", path, strerror(-r));
    }
    batch_clear(&b);
    hmap_clear(&now, NULL);
    hmap_clear(&before, NULL);
    hmap_clear(&last, NULL);
    ids_free(f->ids, f->nids);
    f->ids = ids;
    f->nids = nids;
    holders_count(s, f->ids, f->nids, +1);
    f->digest = d;
    f->known = true;
    f->force = false;
    log_info("read %s: %zu object(s)", path, nids);
    if (f->broken)
        log_info("%s: recovered: it reads without error again", path);
    else if (f->invalid && !ninvalid)
        log_info("%s: recovered: every policy in it is valid again", path);
    f->broken = false;
    f->invalid = ninvalid > 0;
    return true;
}

/* The bytes of the files whose objects are kept between drops_first() and load_file() in one
 * whole read, at the most: past it, load_file() reads a file again. */
#define PREREAD_MAX (8u << 20)

/* For a whole read (load_folder()), before any file's objects are put: the objects a file read
 * before no longer holds are taken out of its ids (and of the holders' counts), and kept in d
 * for finish_drops(), so that an object moved from one file to another in one change (a
 * volume's update, edits made while the agent did not watch) is never seen in both, whichever
 * is read first (a false "defined in two files", an error, and a count in
 * kscmp_source_errors_total), and so that, put again by the file that holds it now, it is
 * replaced in the engine, never deleted and made anew (which would lose its last version that
 * compiled, what an invalid edit falls back on). What is decoded is kept in *ret for
 * load_file() while *budget allows (the bytes count against it). Nothing is said of a file
 * that cannot be read or decoded, nor of one held open for writing (its half may lack what the
 * rest holds): load_file() reads it again and tells or waits. Returns true when name was
 * handled whole (a volume's key that the update removed). */
static bool drops_first(struct localsrc *s, const char *name, struct drops *d, struct preread **ret,
                        size_t *budget)
{
    *ret = NULL;
    struct lfile *f = hmap_get(&s->files, name);
    _cleanup_free_ char *path = NULL;
    if (!f || !f->known || !f->nids || asprintf(&path, "%s/%s", s->dir, name) < 0)
        return false;
    if (s->l && s->busy_timer && !s->busy_read && held_for_writing(path) > 0)
        return false;
    struct kerr err = {0};
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int r = read_name(s, name, path, &buf, &len, &err);
    if (r == -ENOENT && s->l && s->data_swapped && volume_key_missing(s, name, path)) {
        volume_key_removed(s, name, path, d);
        return true;
    }
    struct preread *pre = r == 0 ? calloc(1, sizeof(*pre)) : NULL;
    if (!pre || blank(buf, len)) {
        free(pre);
        return false;
    }
    digest_bytes(buf, len, &pre->digest);
    if ((!f->broken && !f->force && digest_equal(&f->digest, &pre->digest)) ||
        manifest_load_buffer(buf, len, path, collect, &pre->b, &err) < 0) {
        preread_free(pre);
        return false;
    }
    struct hmap now;
    hmap_init(&now);
    bool keys = true;
    for (size_t i = 0; keys && i < pre->b.n; i++) {
        const struct object *o = &pre->b.v[i];
        struct ident id;
        ident_of(&id, o, NULL);
        keys = id.name && hmap_put(&now, id.key, (void *)1, NULL) == 0;
        free(id.name);
    }
    /* Without memory for the keys: none taken out here; load_file() drops them as before. */
    _cleanup_free_ bool *gone = keys ? calloc(f->nids, sizeof(*gone)) : NULL;
    size_t ngone = 0;
    for (size_t i = 0; gone && i < f->nids; i++)
        if (!hmap_get(&now, f->ids[i].key)) {
            gone[i] = true;
            ngone++;
        }
    hmap_clear(&now, NULL);
    if (ngone) {
        tell_gone(path, f, gone, ngone, pre->b.n);
        size_t kept = 0;
        for (size_t i = 0; i < f->nids; i++) {
            if (!gone[i]) {
                f->ids[kept++] = f->ids[i];
                continue;
            }
            holders_count(s, &f->ids[i], 1, -1);
            drop_later(s, d, name, f->ids[i]);
        }
        f->nids = kept;
        f->force = true; /* its ids are no longer those of its digest's bytes: read it whole */
    }
    if (len > *budget) {
        preread_free(pre);
        return false;
    }
    *budget -= len;
    *ret = pre;
    return false;
}

/* The end of a whole read: each object a file no longer holds (drops_first(),
 * remove_file()) goes from the engine, unless files read in this read (put: the names in
 * fresh) hold it now and no other file does: then it moved, and is in force as put. Another
 * file that holds it too is read again (drop_ident()). */
static void finish_drops(struct localsrc *s, struct drops *d, const struct hmap *fresh)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct ident *id = &d->v[i].id;
        bool put = false, other = false;
        struct hmap_iter it;
        for (struct hmap_entry *h = maybe_held(s, id) ? hmap_first(&s->files, &it) : NULL;
             h && !other; h = hmap_next(&s->files, &it)) {
            const struct lfile *f = h->value;
            if (!file_holds(f, id))
                continue;
            if (f->known && !f->broken && hmap_get(fresh, h->key))
                put = true;
            else
                other = true;
        }
        if (!put || other)
            drop_ident(s, d->v[i].file, id);
        free(d->v[i].file);
        free(d->v[i].id.name);
    }
    free(d->v);
    *d = (struct drops){0};
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
                /* Read whole, even if unchanged, and still known: what it held before is
                 * in the engine, and what it no longer holds must go (unknown, a policy
                 * it held no more stayed in force for good). */
                f->force = true;
                name = strdup(h->key);
            }
        }
        if (name) {
            log_info("%s/%s: reading it again (it holds objects another file dropped, or it is "
                     "another name of a file read since)",
                     s->dir, name);
            changed |= load_file(s, name, false, NULL);
            again = true;
        }
    }
    return changed;
}

/* For load_folder(): seen maps the names listed to FILE_SEEN, or to FOLDER_SEEN. */
#define FILE_SEEN ((void *)1)
#define FOLDER_SEEN ((void *)2)
#define KEY_REMOVED ((void *)3) /* in load_folder(): a volume's key drops_first() took as gone */

static bool not_seen(const char *name, void *value, void *seen)
{
    return hmap_get(seen, name) != FILE_SEEN;
}

static bool not_listed(const char *name, void *value, void *seen)
{
    return !hmap_get(seen, name);
}

/* The manifest names in DIR, as one listing that succeeded whole; nothing on error. */
static int list_folder(struct localsrc *s, char ***ret, size_t *ret_n, struct stat *ret_st)
{
    return dir_list(s->dir, manifest_file_name, false, ret, ret_n, ret_st);
}

static void source_lost(struct localsrc *s, const char *why);
static int watch_folder(struct localsrc *s);

/* Lists DIR and reads the files that changed; when the folder cannot be listed whole,
 * nothing changes. *moved: a volume's ..data moved to another folder during the read. */
static int load_folder_once(struct localsrc *s, bool *moved)
{
    char **names = NULL;
    size_t n = 0;
    struct stat st;
    int r = list_folder(s, &names, &n, &st);
    if (r < 0)
        return r;
    s->listed = true;
    struct hmap seen;
    hmap_init(&seen);
    /* A volume: its keys from one folder of ..data (pin_data()), and whether ..data moved to
     * another folder since the last whole read. */
    char *target = pin_data(s, names, n);
    s->pin_target = target;
    s->data_swapped = target && s->data_target && strcmp(target, s->data_target) != 0;
    /* Every file's drops before any file's additions (drops_first()): the files gone, then
     * what each file no longer holds; then each file is read; then what went is deleted
     * (finish_drops()). */
    struct hmap whole, fresh;
    hmap_init(&whole);
    hmap_init(&fresh);
    struct drops drops = {0};
    bool listed = true;
    for (size_t i = 0; i < n && listed; i++)
        listed = hmap_put(&whole, names[i], FILE_SEEN, NULL) == 0;
    char **gone = NULL;
    size_t ngone = 0;
    if (listed && hmap_keys(&s->files, not_listed, &whole, &gone, &ngone) == 0) {
        for (size_t i = 0; i < ngone; i++)
            remove_file(s, gone[i], &drops);
        strv_free(gone, ngone);
    }
    size_t budget = PREREAD_MAX;
    for (size_t i = 0; i < n; i++) {
        struct preread *pre = NULL;
        if (drops_first(s, names[i], &drops, &pre, &budget))
            (void)hmap_put(&whole, names[i], KEY_REMOVED, NULL);
        else if (pre && hmap_put(&whole, names[i], pre, NULL) < 0)
            preread_free(pre); /* without memory: load_file() reads it again */
    }
    for (size_t i = 0; i < n; i++) {
        struct preread *pre = hmap_get(&whole, names[i]);
        if (pre != KEY_REMOVED && load_file(s, names[i], false, pre != FILE_SEEN ? pre : NULL))
            (void)hmap_put(&fresh, names[i], FILE_SEEN, NULL); /* no memory: read again */
        if (pre != KEY_REMOVED && pre != FILE_SEEN)
            preread_free(pre);
        hmap_put(&seen, names[i], hmap_get(&s->folders, names[i]) ? FOLDER_SEEN : FILE_SEEN, NULL);
        hmap_remove(&s->removed, names[i]);
    }
    hmap_clear(&whole, NULL);
    finish_drops(s, &drops, &fresh);
    hmap_clear(&fresh, NULL);
    s->data_swapped = false;
    free(s->data_target);
    s->data_target = target;
    strv_free(names, n);
    /* Folders gone: told again if they come back. */
    gone = NULL;
    ngone = 0;
    if (hmap_keys(&s->folders, not_listed, &seen, &gone, &ngone) == 0) {
        for (size_t i = 0; i < ngone; i++)
            hmap_remove(&s->folders, gone[i]);
        strv_free(gone, ngone);
    }
    /* Files that went away while nobody watched (a folder now, some of them). */
    gone = NULL;
    ngone = 0;
    r = hmap_keys(&s->files, not_seen, &seen, &gone, &ngone);
    hmap_clear(&seen, NULL);
    for (size_t i = 0; r == 0 && i < ngone; i++)
        remove_file(s, gone[i], NULL);
    if (r == 0)
        strv_free(gone, ngone);
    reread_marked(s);
    unpin(s);
    s->pin_target = NULL;
    _cleanup_free_ char *after = data_target_now(s); /* NULL: not a volume (or no memory) */
    *moved = after && (!s->data_target || strcmp(after, s->data_target) != 0);
    return 0;
}

/* load_folder_once(); a volume whose ..data moved while it was read (updated during the read)
 * is read again, so that what is put is one update's content, not the first files of one beside
 * the last files of the next: MOVED_READS times at the most (then the next update's events,
 * queued meanwhile, read it again). */
static int load_folder(struct localsrc *s)
{
    for (unsigned i = 0;; i++) {
        bool moved = false;
        if (i == 0 && ++s->whole_reads == 0)
            s->whole_reads = 1;
        s->pass = i;
        int r = load_folder_once(s, &moved);
        s->pass = 0;
        if (r < 0 || !moved)
            return r;
        if (i + 1 == MOVED_READS) {
            log_warning("%s: ..data moved during each of %u reads of the folder (a volume "
                        "updated again and again): what was read last is used until the next "
                        "update's read",
                        s->dir, MOVED_READS);
            return r;
        }
        log_info("%s: ..data moved while the folder was read (a volume updated meanwhile): "
                 "every file read again",
                 s->dir);
    }
}

int localsrc_load_all(struct localsrc *s)
{
    /* Read whole (at start, on SIGHUP, after an overflow): a file still broken is said again. */
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&s->files, &it); h; h = hmap_next(&s->files, &it))
        ((struct lfile *)h->value)->told = false;
    int r = s->l && s->wd < 0 ? watch_folder(s) : 0;
    if (r == 0)
        r = load_folder(s);
    if (r < 0) {
        if (s->l)
            source_lost(s, strerror(-r));
        else {
            metrics_add(s->m, M_SOURCE_ERRORS, 1);
            log_error("--local %s: cannot read the folder: %s: nothing is changed (every "
                      "profile stays as it is)",
                      s->dir, strerror(-r));
        }
        return r;
    }
    if (s->lost) {
        log_info("--local %s: the folder can be read again: read it whole", s->dir);
        s->lost = false;
        s->lost_attempts = 0;
        evtimer_cancel(s->retry_timer);
    }
    return 0;
}

bool localsrc_complete(const struct localsrc *s)
{
    if (!s->listed || s->lost)
        return false;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&s->files, &it); h; h = hmap_next(&s->files, &it))
        if (!((struct lfile *)h->value)->known)
            return false;
    return true;
}

bool localsrc_holders_counted(const struct localsrc *s)
{
    return !s->holders_lost;
}

unsigned localsrc_defined_twice(const struct localsrc *s)
{
    return s->defined_twice;
}

unsigned localsrc_unknown(const struct localsrc *s)
{
    unsigned n = 0;
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&s->files, &it); h; h = hmap_next(&s->files, &it))
        n += !((struct lfile *)h->value)->known;
    return n;
}

static void on_retry(struct evtimer *timer, void *userdata);

/* Watches DIR (again): 0, or a negative errno (the folder is not there, not readable).
 * IN_CREATE is for folders (mkdir), links (ln, ln -s) and a volume's ..data: a file is read
 * when it is closed or moved in (in a volume, with every other file: read_now()). */
static int watch_folder(struct localsrc *s)
{
    if (s->wd >= 0)
        inotify_rm_watch(s->ifd, s->wd);
    s->wd =
        inotify_add_watch(s->ifd, s->dir,
                          IN_ONLYDIR | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                              IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB | IN_MODIFY);
    if (s->wd < 0)
        return -errno;
    struct stat st;
    if (stat(s->dir, &st) < 0)
        return -errno;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    return 0;
}

/* The folder went (removed, moved away, unreadable): nothing changes, not even what the files
 * it held put in force; it is looked for again with backoff (logged once per loss). */
static void source_lost(struct localsrc *s, const char *why)
{
    if (!s->lost) {
        metrics_add(s->m, M_SOURCE_ERRORS, 1);
        log_error("--local %s: %s: nothing is changed (every profile stays as it is) until the "
                  "folder can be read again",
                  s->dir, why);
    }
    s->lost = true;
    s->swap_seen = false; /* read whole when found again */
    hmap_clear(&s->removed, NULL);
    evtimer_cancel(s->settle_timer);
    if (s->wd >= 0)
        inotify_rm_watch(s->ifd, s->wd);
    s->wd = -1;
    s->lost_attempts++;
    evtimer_arm(s->retry_timer, backoff_ms(s->lost_attempts, 200, 10000));
}

static void on_retry(struct evtimer *timer, void *userdata)
{
    struct localsrc *s = userdata;
    if (localsrc_load_all(s) == 0 && s->changed)
        s->changed(now_us(), s->userdata);
}

/* Drops the files inotify saw go, once the folder is seen to be still there; then, after a
 * change to a volume (swap_seen), reads every file. */
static void on_settle(struct evtimer *timer, void *userdata)
{
    struct localsrc *s = userdata;
    struct stat st;
    if (stat(s->dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_dev != s->dev ||
        st.st_ino != s->ino) {
        source_lost(s, "the folder is gone");
        return;
    }
    char **names = NULL;
    size_t n = 0;
    /* A volume changed: its whole read below drops the files gone with what the others no
     * longer hold, before it puts what they hold now (an object moved between keys). */
    if (!s->swap_seen && hmap_keys(&s->removed, NULL, NULL, &names, &n) < 0) {
        evtimer_arm(s->settle_timer, REMOVAL_SETTLE_MS);
        return;
    }
    hmap_clear(&s->removed, NULL);
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        /* Back meanwhile (an editor's rename, say): it was read when it came. A folder of
         * that name now is not back. */
        _cleanup_free_ char *path = NULL;
        struct stat fst;
        bool gone = false;
        if (hmap_get(&s->files, names[i]) && asprintf(&path, "%s/%s", s->dir, names[i]) >= 0) {
            if (lstat(path, &fst) < 0)
                gone = errno == ENOENT;
            else if ((gone = is_folder(s, names[i])))
                folder_tell(s, names[i]);
        }
        if (gone) {
            remove_file(s, names[i], NULL);
            changed = true;
        }
    }
    strv_free(names, n);
    changed |= reread_marked(s);
    if (s->swap_seen) {
        s->swap_seen = false;
        log_info("%s: a ConfigMap, Secret or projected volume changed (..data replaced, or a "
                 "link made): every file read again",
                 s->dir);
        changed |= localsrc_load_all(s) == 0;
    }
    if (changed && s->changed)
        s->changed(now_us(), s->userdata);
}

/* from was renamed to to in DIR (the IN_MOVED_FROM and IN_MOVED_TO of one rename), and no
 * file was named to before: what from held moves with its name, so that its objects are not
 * held as defined twice (in from and to) until from's removal settles, nor removed and put
 * again. to is then read as any file that changed. False (nothing done) when from was not
 * read or to was: then from goes once its removal settles, and to is read. */
static bool rename_file(struct localsrc *s, const char *from, const char *to)
{
    struct lfile *f = hmap_get(&s->files, from);
    if (!f || hmap_get(&s->files, to) || hmap_put(&s->files, to, f, NULL) < 0)
        return false;
    hmap_remove(&s->files, from);
    hmap_remove(&s->removed, from);
    /* Read whole, even if unchanged: what names from (an object defined in it and in
     * another file: the error, the Events of the pods held for it) names to from now on. */
    f->force = true;
    /* The Pods whose definition in force came from it come from to now. */
    struct hmap_iter it;
    for (struct hmap_entry *h = hmap_first(&s->pod_from, &it); h; h = hmap_next(&s->pod_from, &it))
        if (h->value && strcmp(h->value, from) == 0) {
            free(h->value);
            h->value = strdup(to); /* NULL: taken as not known, which puts the next one read */
        }
    log_info("%s/%s renamed to %s/%s", s->dir, from, s->dir, to);
    return true;
}

/* Whether DIR/name is a symbolic link or a second name of a file (a hard link). */
static bool made_without_write(const struct localsrc *s, const char *name)
{
    _cleanup_free_ char *path = NULL;
    struct stat st;
    if (asprintf(&path, "%s/%s", s->dir, name) < 0 || lstat(path, &st) < 0)
        return false;
    return S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && st.st_nlink > 1);
}

/* is_volume(), asked once per on_inotify() call (*volume: -1 not asked yet). */
static bool volume_cached(const struct localsrc *s, int *volume)
{
    if (*volume < 0)
        *volume = is_volume(s);
    return *volume;
}

/* Whether a file is read for its own event now: not while a volume's update is pending, nor
 * ever in a volume (*volume: -1 not asked yet), whose files change together with a swap of
 * ..data (kubelets make the links of new keys after the swap, older ones before it): then
 * *swapped is set, and every file is read together at the settle, so that no profile is
 * computed from a mix of an update's old and new keys. */
static bool read_now(const struct localsrc *s, int *volume, bool *swapped)
{
    if (!*swapped && !s->swap_seen && !volume_cached(s, volume))
        return true;
    *swapped = true;
    return false;
}

static void on_busy(struct evtimer *timer, void *userdata)
{
    struct localsrc *s = userdata;
    char **names = NULL;
    size_t n = 0;
    if (hmap_keys(&s->busy, NULL, NULL, &names, &n) < 0) {
        evtimer_arm(timer, BUSY_POLL_MS);
        return;
    }
    uint64_t now = now_ms();
    bool changed = false, waiting = false;
    for (size_t i = 0; i < n; i++) {
        uint64_t since = (uint64_t)(uintptr_t)hmap_get(&s->busy, names[i]) - 1;
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", s->dir, names[i]) < 0) {
            waiting = true;
            continue;
        }
        bool held = held_for_writing(path) > 0;
        if (held && now - since < BUSY_MAX_MS) {
            if (now - since >= BUSY_TELL_MS && now - since < BUSY_TELL_MS + BUSY_POLL_MS)
                log_info("%s is held open for writing by another process: read once it is "
                         "closed, or in %d s as it is",
                         path, (int)((BUSY_MAX_MS - (now - since)) / 1000));
            waiting = true;
            continue;
        }
        hmap_remove(&s->busy, names[i]);
        if (held)
            log_warning("%s is still held open for writing by another process after %d s: "
                        "read as it is (write files aside and rename them into the folder)",
                        path, BUSY_MAX_MS / 1000);
        s->busy_read = true; /* just asked: not again */
        changed |= load_file(s, names[i], false, NULL);
        s->busy_read = false;
    }
    strv_free(names, n);
    if (waiting || s->busy.n)
        evtimer_arm(timer, BUSY_POLL_MS);
    changed |= reread_marked(s);
    if (changed && s->changed)
        s->changed(now_us(), s->userdata);
}

static void on_inotify(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    struct localsrc *s = userdata;
    uint64_t t = now_us();
    bool changed = false, rescan = false, filled = false, swapped = false;
    int volume = -1; /* is_volume(), asked once per call when needed */
    const char *lost = NULL;
    for (;;) {
        if (s->qpos >= s->qlen) {
            /* Handled: the queue starts again. Once per call: events that came meanwhile wait
             * for the loop's next turn (the fd stays readable), so that a writer that never
             * stops cannot keep the agent here (writes, timers and signals wait on it). */
            rescan |= s->qfull;
            s->qpos = s->qlen = 0;
            s->qfull = false;
            s->qoverflow = 0;
            hmap_clear(&s->lastev, NULL);
            if (filled)
                break;
            filled = true;
            queue_fill(s);
            if (s->qlen == 0)
                break;
        }
        /* A copy: a read below may grow (move) the queue. */
        union {
            struct inotify_event h; /* for its alignment; its name follows it in bytes */
            char bytes[sizeof(struct inotify_event) + NAME_MAX + 1];
        } copy;
        const struct inotify_event *raw = (const void *)(s->q + s->qpos);
        size_t size = sizeof(*raw) + raw->len;
        memcpy(&copy, raw, size < sizeof(copy) ? size : sizeof(copy));
        copy.bytes[sizeof(copy.bytes) - 1] = '\0';
        s->qcur = s->qpos;
        s->qpos += size;
        struct inotify_event *ev = &copy.h;
        if (ev->mask & IN_Q_OVERFLOW) {
            rescan = true;
            continue;
        }
        if (ev->wd != s->wd || s->wd < 0)
            continue; /* a watch dropped before */
        if (ev->mask & (IN_DELETE_SELF | IN_IGNORED))
            lost = "the folder was removed";
        else if (ev->mask & IN_MOVE_SELF)
            lost = "the folder was moved away";
        if (!lost && ev->len && strcmp(ev->name, "..data") == 0 &&
            (ev->mask & (IN_MOVED_TO | IN_CREATE))) {
            /* A ConfigMap, Secret or projected volume: its files are links through ..data,
             * which the kubelet points at a new folder of the new files (a rename over it).
             * No event comes for the files themselves: every file is read again. */
            swapped = true;
            continue;
        }
        if (lost || !ev->len || !manifest_file_name(ev->name))
            continue;
        if (ev->mask & IN_ISDIR) {
            if (ev->mask & (IN_CREATE | IN_MOVED_TO))
                folder_seen(s, ev->name);
            else if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
                hmap_remove(&s->folders, ev->name);
            continue;
        }
        if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
            mark_removed(s, ev->name);
            if (ev->mask & IN_MOVED_FROM) {
                free(s->moved_from);
                s->moved_from = strdup(ev->name);
                s->moved_cookie = ev->cookie;
            }
        } else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
            if ((ev->mask & IN_MOVED_TO) && s->moved_from && ev->cookie == s->moved_cookie) {
                rename_file(s, s->moved_from, ev->name);
                free(TAKE_PTR(s->moved_from));
            }
            hmap_remove(&s->removed, ev->name);
            if (read_now(s, &volume, &swapped))
                changed |= load_file(s, ev->name, true, NULL);
        } else if (ev->mask & IN_MODIFY) {
            /* Written and not closed yet (then its close reads it), or changed without an open
             * to close (truncate(1) by name): read once no writer holds it. */
            if (read_now(s, &volume, &swapped))
                changed |= load_file(s, ev->name, true, NULL);
        } else if ((ev->mask & IN_CREATE) && made_without_write(s, ev->name)) {
            /* A name made without a write to close: a symbolic link (ln -s) or a hard link
             * (ln). A file made to be written is read when it is closed. */
            hmap_remove(&s->removed, ev->name);
            /* A volume's new key: read alone, its Pod would get a profile of the old keys'
             * policies until the whole read. */
            if (read_now(s, &volume, &swapped))
                changed |= load_file(s, ev->name, true, NULL);
        } else if (ev->mask & IN_ATTRIB) {
            /* A file that could not be read may be readable now (chmod, chown). */
            struct lfile *f = hmap_get(&s->files, ev->name);
            /* Not in a volume: the kubelet changes the links' owner (fsGroup) on its syncs,
             * which would read the folder again, and say its errors, each time; a volume's
             * key is read again with its next update. */
            if (f && f->broken && !swapped && !s->swap_seen && !volume_cached(s, &volume))
                changed |= load_file(s, ev->name, true, NULL);
        }
    }
    if (lost) {
        /* What was read before the folder went stays: it was read from the folder itself. */
        source_lost(s, lost);
    } else {
        changed |= reread_marked(s);
        if (rescan) {
            log_warning("%s: lost track of changes (inotify overflow): reading it all again",
                        s->dir);
            changed |= localsrc_load_all(s) == 0;
        } else if (swapped && s->settle_timer) {
            /* Every file read together, 200 ms after the last change to the volume: the
             * kubelet makes the links of new keys and removes those of keys gone right after
             * its swap (a link of a key gone dangles meanwhile, and would read as a file that
             * cannot be read). Meanwhile no file is read for its own event (read_now()). */
            if (!s->swap_seen)
                s->swap_since = t;
            s->swap_seen = true;
            settle_arm(s);
        }
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
    hmap_init(&s->removed);
    hmap_init(&s->folders);
    hmap_init(&s->pod_dropped);
    hmap_init(&s->pod_from);
    hmap_init(&s->lastev);
    hmap_init(&s->busy);
    hmap_init(&s->pins);
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
            int r = kerr_set(err, -errno, "inotify_init1: %s%s", strerror(errno),
                             inotify_limit_hint(errno));
            localsrc_free(s);
            return r;
        }
        int r = watch_folder(s);
        if (r < 0) {
            kerr_set(err, r, "--local %s: %s%s", dir, strerror(-r), inotify_limit_hint(-r));
            localsrc_free(s);
            return r;
        }
        /* A lease held_for_writing() takes is broken by a writer's open() with SIGIO, whose
         * default is to end the process: the lease is given back at once anyway. */
        signal(SIGIO, SIG_IGN);
        r = evloop_add_fd(l, s->ifd, EPOLLIN, on_inotify, s);
        if (r == 0)
            r = evtimer_new(l, on_settle, s, &s->settle_timer);
        if (r == 0)
            r = evtimer_new(l, on_busy, s, &s->busy_timer);
        if (r == 0)
            r = evtimer_new(l, on_retry, s, &s->retry_timer);
        if (r < 0) {
            localsrc_free(s);
            return kerr_set(err, r, "watching %s: %s", dir, strerror(-r));
        }
    }
    *ret = s;
    return 0;
}
