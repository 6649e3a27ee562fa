/* test_local_prop.c - the --local source by property: after any run of changes to the files of
 * DIR, several between two reads (rewrites, removals, a file renamed over another, a file
 * copied, the first object of a file moved to another, an object added, a comment edited, a
 * file broken or blanked), a whole read (localsrc_load_all(), as at SIGHUP) leaves the engine
 * holding what a fresh source and engine reading the folder as it now stands hold. Through the
 * real source (node/local_source.c) and engine, with no event loop, as test_defined_twice.c
 * drives them; test_local_source.c's test_incremental_equals_fresh does the same for policies
 * alone, one file at a time.
 *
 * A few names, each with a few definitions (policies p0, p1 and the ClusterSeccompPolicy guard,
 * Namespaces demo and n1, Pods w0 and w1), in four files: objects are often defined in two
 * files or twice in one, and move between them. After each step, the incremental engine
 * against the fresh one:
 *  - a policy is present in both or in neither, held as invalid in both or in neither (held:
 *    its selectors known in both or in neither), valid: from the same definition (file, line);
 *  - a Namespace is present in both or in neither, its labels unknown in both or in neither,
 *    and its labels are the same;
 *  - a Pod is present in both or in neither. Which of two definitions is in force differs by
 *    design (docs/agent.md, "Local mode": the definition read last, counting one as read when
 *    it is new or its own text changes; renaming its file or editing something else in it keeps
 *    the one in force): the Pod's definition in force must be one that the file it names holds
 *    now, which is the fresh one's whenever every definition agrees;
 *  - the files a sync writes have the same bytes, when neither engine holds a policy as invalid
 *    or a Namespace's labels as unknown, the fresh one keeps no file at its last good profile,
 *    and every Pod has the same definition in both: nothing the incremental engine remembers
 *    may then make a file differ.
 * A broken or blank file keeps what it held at its last good read (docs/agent.md): the fresh
 * source reads a second folder, the reference, where each file holds that (the model below
 * knows what it is). What such a file holds cannot be read again, though: where the other
 * definitions of a name go, the incremental source may keep the name as it was (a policy held,
 * its selectors unknown, a Namespace's labels unknown, the Pod's definition in force), which
 * the checks allow, for that name only, while such a file holds a definition of it. The fresh
 * read is also checked against the model (an object present when a file defines it, a policy
 * held when defined twice, a Namespace known when its definitions agree, a Pod's definition
 * the last one in name order): a source that read nothing would otherwise agree with itself.
 *
 * KSCMP_PROP_SEEDS sets the number of seeds (default 12), KSCMP_PROP_STEPS the steps per seed
 * (default 200), KSCMP_PROP_SEED one seed to run. A failure prints the seed, the step, the
 * changes of the last steps and every file, with what a broken or blank one still holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/engine_fixture.h"
#include "base/metrics.h"
#include "node/local_source.h"

#define NFILES 4
#define MAXDOCS 6  /* objects in one file */
#define LOGSTEPS 8 /* steps whose changes a failure shows */
#define NWRITTEN 4 /* profile files the Pods may reference */
#define TEXT_MAX 4096

/* ---- the objects ------------------------------------------------------------------------- */

enum obj_type { T_POLICY, T_CLUSTER, T_NAMESPACE, T_POD };

/* One definition a file may hold. variant tells a name's definitions apart: for a Pod its label
 * app, for a Namespace its label env. */
struct def {
    enum obj_type type;
    const char *name;
    const char *variant;
    const char *yaml;
};

#define STRICT "  seccomp: {syscalls: [read], action: Allow}\n"
#define LOOSE "  defaultAction: Allow\n  rules: [{syscalls: [ptrace], action: Block}]\n"
#define PICKY "  selector: {matchLabels: {app: x}}\n  rules: [{syscalls: [mkdir], action: Block}]\n"
#define GUARD(env)                                                                                 \
    "  selector: {}\n  namespaceSelector: {matchLabels: {env: " env "}}\n"                         \
    "  rules: [{syscalls: [chmod], action: Block, errno: EPERM}]\n"

/* A Pod's file is named after a policy (p0, p1), which reaches it by name; PICKY reaches the
 * Pods labelled app=x by selector, the guard those of a Namespace labelled as it says. */
static const struct def defs[] = {
    {T_POLICY, "p0", "strict", POL("p0", STRICT)},
    {T_POLICY, "p0", "loose", POL("p0", LOOSE)},
    {T_POLICY, "p0", "picky", POL("p0", PICKY)},
    {T_POLICY, "p1", "strict", POL("p1", STRICT)},
    {T_POLICY, "p1", "loose", POL("p1", LOOSE)},
    {T_POLICY, "p1", "picky", POL("p1", PICKY)},
    {T_CLUSTER, "guard", "prod", CPOL("guard", GUARD("prod"))},
    {T_CLUSTER, "guard", "dev", CPOL("guard", GUARD("dev"))},
    {T_NAMESPACE, "demo", "prod", NS("demo", "{env: prod}")},
    {T_NAMESPACE, "demo", "dev", NS("demo", "{env: dev}")},
    {T_NAMESPACE, "n1", "prod", NS("n1", "{env: prod}")},
    {T_NAMESPACE, "n1", "dev", NS("n1", "{env: dev}")},
    {T_POD, "w0", "x", POD("demo", "w0", "{app: x}", "kscmp/demo/p0.json")},
    {T_POD, "w0", "z", POD("demo", "w0", "{app: z}", "kscmp/demo/p0.json")},
    {T_POD, "w1", "x", POD("demo", "w1", "{app: x}", "kscmp/demo/p1.json")},
    {T_POD, "w1", "z", POD("demo", "w1", "{app: z}", "kscmp/demo/p0.json")},
};

/* The index of the definition of name (type t) with that variant, or -1. */
static int def_find(enum obj_type t, const char *name, const char *variant)
{
    for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
        if (defs[i].type == t && strcmp(defs[i].name, name) == 0 && variant &&
            strcmp(defs[i].variant, variant) == 0)
            return (int)i;
    return -1;
}

/* Whether defs[i] is the first definition of its name: each name is compared once. */
static bool def_first_of_name(size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (defs[k].type == defs[i].type && strcmp(defs[k].name, defs[i].name) == 0)
            return false;
    return true;
}

/* ---- the model of DIR -------------------------------------------------------------------- */

enum fstate { F_ABSENT, F_GOOD, F_BROKEN, F_BLANK };

struct docs {
    unsigned char d[MAXDOCS]; /* indexes into defs, in the file's order */
    unsigned n;
};

struct mfile {
    enum fstate state;   /* what DIR/fK.yaml is now */
    struct docs text;    /* F_GOOD: its objects; F_BROKEN: those above the broken document */
    bool newline;        /* F_BLANK: "\n" rather than no byte at all */
    unsigned edits;      /* a comment above the objects: other bytes, the same objects */
    struct docs held;    /* what the source holds from it: its objects at its last good read */
    unsigned held_edits; /* and the comment above them then (the objects' lines) */
};

static void file_text(const struct mfile *f, const struct docs *d, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    if (f->state == F_BLANK) {
        snprintf(buf, len, "%s", f->newline ? "\n" : "");
        return;
    }
    if (f->edits)
        off += (size_t)snprintf(buf, len, "# edit %u\n", f->edits);
    for (unsigned i = 0; i < d->n; i++)
        off += (size_t)snprintf(buf + off, len - off, "---\n%s", defs[d->d[i]].yaml);
    if (f->state == F_BROKEN)
        snprintf(buf + off, len - off, "---\nkind: [unclosed\n"); /* a YAML error */
    else if (d->n == 0)
        snprintf(buf + off, len - off, "# nothing here\n"); /* text, no object: what it held goes */
    assert_true(strlen(buf) + 1 < len);
}

/* What a whole read makes the source hold: a file read without error holds what it says, a
 * file gone nothing; a broken or blank file what it held before (nothing, if never read). */
static void model_read(struct mfile *files)
{
    for (unsigned k = 0; k < NFILES; k++) {
        if (files[k].state == F_GOOD) {
            files[k].held = files[k].text;
            files[k].held_edits = files[k].edits;
        } else if (files[k].state == F_ABSENT)
            files[k].held.n = 0;
    }
}

static bool docs_hold(const struct docs *d, unsigned def)
{
    for (unsigned i = 0; i < d->n; i++)
        if (d->d[i] == def)
            return true;
    return false;
}

/* The definitions of name (type t) the files hold, counted (twice in one file counts twice):
 * which ones (*which, a bit per index of defs) and the one read last in the files' name order,
 * as a restart reads them (*last, -1 when none). */
static unsigned model_defs(const struct mfile *files, enum obj_type t, const char *name,
                           uint32_t *which, int *last)
{
    unsigned n = 0;
    *which = 0;
    *last = -1;
    for (unsigned k = 0; k < NFILES; k++)
        for (unsigned i = 0; i < files[k].held.n; i++) {
            unsigned d = files[k].held.d[i];
            if (defs[d].type != t || strcmp(defs[d].name, name) != 0)
                continue;
            n++;
            *which |= 1u << d;
            *last = (int)d;
        }
    return n;
}

/* ---- a source and its engine ------------------------------------------------------------- */

struct written {
    char rel[32];
    char *json; /* the bytes last written; NULL: none */
};

struct side {
    struct engine *e;
    struct metrics *m;
    struct localsrc *s;
    struct written files[NWRITTEN]; /* what the syncs said, as a node keeps the files */
    unsigned nkept;                 /* FILE_KEEP verdicts in the last sync */
};

static void on_changed(uint64_t event_us, void *userdata)
{
    (void)event_us;
    (void)userdata;
}

static int on_event(const struct engine_event *ev, void *userdata)
{
    (void)ev;
    (void)userdata;
    return 0;
}

static struct written *written_slot(struct side *sd, const char *rel)
{
    struct written *free_slot = NULL;
    for (unsigned i = 0; i < NWRITTEN; i++) {
        if (strcmp(sd->files[i].rel, rel) == 0)
            return &sd->files[i];
        if (!free_slot && !sd->files[i].rel[0])
            free_slot = &sd->files[i];
    }
    assert_non_null(free_slot);
    snprintf(free_slot->rel, sizeof(free_slot->rel), "%s", rel);
    return free_slot;
}

static int on_file(const struct file_result *res, void *userdata)
{
    struct side *sd = userdata;
    struct written *w = written_slot(sd, res->rel);
    if (res->action == FILE_KEEP) {
        sd->nkept++;
        return 0;
    }
    free(w->json);
    w->json = res->action == FILE_WRITE ? strndup(res->json, res->len) : NULL;
    if (res->action == FILE_WRITE)
        assert_non_null(w->json);
    return 0;
}

static void side_sync(struct side *sd)
{
    sd->nkept = 0;
    struct sync_ops ops = {on_file, on_event, sd};
    assert_int_equal(engine_sync(sd->e, &ops), 0);
}

/* A whole read, the log (each read warns of what is defined twice or broken) sent away. */
static void side_read(struct side *sd)
{
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    assert_true(saved >= 0 && null >= 0);
    dup2(null, 2);
    close(null);
    int r = localsrc_load_all(sd->s);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(r, 0);
}

/* A source on dir, read whole and synced once (the agent's start, local_first_sync()). */
static void side_open(struct side *sd, const char *dir)
{
    struct kerr err = {0};
    assert_int_equal(engine_new(arch_parse("x86_64"), &sd->e), 0);
    engine_set_startup(sd->e, false);
    assert_int_equal(metrics_new(&sd->m), 0);
    assert_int_equal(localsrc_new(dir, sd->e, NULL, sd->m, on_changed, sd, &sd->s, &err), 0);
    side_read(sd);
    side_sync(sd);
    engine_past_known(sd->e);
}

static void side_close(struct side *sd)
{
    localsrc_free(sd->s);
    engine_free(sd->e);
    metrics_free(sd->m);
    for (unsigned i = 0; i < NWRITTEN; i++)
        free(sd->files[i].json);
    memset(sd, 0, sizeof(*sd));
}

/* ---- one seed's run ---------------------------------------------------------------------- */

struct run {
    uint64_t seed, rng;
    unsigned step;
    char dir[64], ref[64]; /* DIR; the reference folder the fresh source reads */
    struct mfile files[NFILES];
    char log[LOGSTEPS][512]; /* each step's changes */
    char why[1024];          /* the mismatch found */
    struct side inc;         /* read again after each step */
};

static unsigned pick(struct run *r, unsigned n)
{
    r->rng ^= r->rng << 13; /* xorshift64 */
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    return (unsigned)(r->rng % n);
}

static void note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct run *r, const char *fmt, ...)
{
    char *line = r->log[r->step % LOGSTEPS];
    size_t off = strlen(line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + off, sizeof(r->log[0]) - off, fmt, ap);
    va_end(ap);
}

static bool mismatch(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool mismatch(struct run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof(r->why), fmt, ap);
    va_end(ap);
    return false;
}

/* Written aside and renamed in, as editors and kubectl-style tools do. */
static void put_file(const char *dir, unsigned k, const char *text)
{
    char tmp[128], path[128];
    snprintf(tmp, sizeof(tmp), "%s/.f%u.yaml.tmp", dir, k);
    snprintf(path, sizeof(path), "%s/f%u.yaml", dir, k);
    FILE *fp = fopen(tmp, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(rename(tmp, path), 0);
}

static void file_path(const char *dir, unsigned k, char *buf, size_t len)
{
    snprintf(buf, len, "%s/f%u.yaml", dir, k);
}

/* DIR/fK.yaml as the model now says. */
static void write_now(struct run *r, unsigned k)
{
    char text[TEXT_MAX];
    file_text(&r->files[k], &r->files[k].text, text, sizeof(text));
    put_file(r->dir, k, text);
}

/* A definition, a Pod's one time in two at least: which definition of a Pod is in force
 * depends most on the history of the reads. */
static unsigned char random_def(struct run *r)
{
    if (pick(r, 2))
        return (unsigned char)pick(r, ARRAY_SIZE(defs));
    unsigned npods = 0;
    for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
        npods += defs[i].type == T_POD;
    unsigned n = pick(r, npods);
    size_t i = 0;
    while (defs[i].type != T_POD || n-- > 0)
        i++;
    return (unsigned char)i;
}

static void random_docs(struct run *r, struct docs *d, unsigned n)
{
    d->n = 0;
    for (unsigned i = 0; i < n; i++)
        d->d[d->n++] = random_def(r);
}

static void note_docs(struct run *r, const struct docs *d)
{
    note(r, " [");
    for (unsigned i = 0; i < d->n; i++)
        note(r, "%s%s/%s", i ? " " : "", defs[d->d[i]].name, defs[d->d[i]].variant);
    note(r, "]");
}

enum op { OP_RM, OP_MV, OP_CP, OP_MOVE, OP_ADD, OP_EDIT, OP_BREAK, OP_BLANK, OP_WRITE };

/* How often each change is picked, in that order. */
static const unsigned op_weight[] = {2, 2, 2, 2, 2, 4, 1, 1, 4};

static enum op pick_op(struct run *r)
{
    unsigned total = 0, k = 0;
    for (size_t i = 0; i < ARRAY_SIZE(op_weight); i++)
        total += op_weight[i];
    unsigned v = pick(r, total);
    while (v >= op_weight[k])
        v -= op_weight[k++];
    return (enum op)k;
}

/* One change to DIR: what is picked, when it cannot be done (a file to move that is not
 * there), is a rewrite. Only a file that reads without error is renamed: where a broken one is
 * moved onto another's name, which of the two last reads it keeps is not said. */
static void change(struct run *r)
{
    unsigned i = pick(r, NFILES), j = pick(r, NFILES);
    enum op op = pick_op(r);
    struct mfile *fi = &r->files[i], *fj = &r->files[j];
    char a[128], b[128];
    file_path(r->dir, i, a, sizeof(a));
    file_path(r->dir, j, b, sizeof(b));
    if (op == OP_RM && fi->state != F_ABSENT) {
        assert_int_equal(unlink(a), 0);
        fi->state = F_ABSENT;
        note(r, " rm f%u;", i);
    } else if (op == OP_MV && fi->state == F_GOOD && i != j) {
        assert_int_equal(rename(a, b), 0);
        fj->state = F_GOOD;
        fj->text = fi->text;
        fj->edits = fi->edits;
        fi->state = F_ABSENT;
        note(r, " mv f%u f%u;", i, j);
    } else if (op == OP_CP && fi->state != F_ABSENT && i != j) {
        fj->state = fi->state;
        fj->text = fi->text;
        fj->newline = fi->newline;
        fj->edits = fi->edits;
        write_now(r, j);
        note(r, " cp f%u f%u;", i, j);
    } else if (op == OP_MOVE && fi->state == F_GOOD && fi->text.n > 0 && i != j &&
               (fj->state == F_ABSENT || (fj->state == F_GOOD && fj->text.n < MAXDOCS))) {
        if (fj->state == F_ABSENT)
            fj->text.n = fj->edits = 0;
        fj->state = F_GOOD;
        fj->text.d[fj->text.n++] = fi->text.d[0];
        memmove(fi->text.d, fi->text.d + 1, --fi->text.n);
        write_now(r, i);
        write_now(r, j);
        note(r, " move %s/%s f%u f%u;", defs[fj->text.d[fj->text.n - 1]].name,
             defs[fj->text.d[fj->text.n - 1]].variant, i, j);
    } else if (op == OP_ADD && fi->state == F_GOOD && fi->text.n < MAXDOCS) {
        fi->text.d[fi->text.n++] = random_def(r);
        write_now(r, i);
        note(r, " add %s/%s f%u;", defs[fi->text.d[fi->text.n - 1]].name,
             defs[fi->text.d[fi->text.n - 1]].variant, i);
    } else if (op == OP_EDIT && fi->state == F_GOOD) {
        fi->edits++;
        write_now(r, i);
        note(r, " edit f%u;", i);
    } else if (op == OP_BREAK) {
        fi->state = F_BROKEN;
        random_docs(r, &fi->text, pick(r, 3));
        write_now(r, i);
        note(r, " break f%u", i);
        note_docs(r, &fi->text);
        note(r, ";");
    } else if (op == OP_BLANK) {
        fi->state = F_BLANK;
        fi->text.n = 0;
        fi->newline = pick(r, 2);
        write_now(r, i);
        note(r, " blank f%u;", i);
    } else {
        fi->state = F_GOOD;
        fi->edits = 0;
        random_docs(r, &fi->text, pick(r, 4));
        write_now(r, i);
        note(r, " write f%u", i);
        note_docs(r, &fi->text);
        note(r, ";");
    }
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

/* The reference folder: each file that DIR has, holding what the source holds from it. */
static void write_reference(struct run *r)
{
    for (unsigned k = 0; k < NFILES; k++) {
        char path[128], text[TEXT_MAX];
        file_path(r->ref, k, path, sizeof(path));
        if (r->files[k].state == F_ABSENT) {
            assert_true(unlink(path) == 0 || errno == ENOENT);
            continue;
        }
        struct mfile good = {.state = F_GOOD, .edits = r->files[k].held_edits};
        file_text(&good, &r->files[k].held, text, sizeof(text));
        put_file(r->ref, k, text);
    }
}

static const char *base_name(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "(none)";
}

static const char *yes(bool b)
{
    return b ? "present" : "absent";
}

/* Whether a file that cannot be read now (broken, blank) holds a definition of name (type t):
 * the source keeps what such a file held, but cannot read that definition again. */
static bool unreadable_holds(const struct mfile *files, enum obj_type t, const char *name)
{
    for (unsigned k = 0; k < NFILES; k++)
        for (unsigned i = 0; files[k].state >= F_BROKEN && i < files[k].held.n; i++)
            if (defs[files[k].held.d[i]].type == t &&
                strcmp(defs[files[k].held.d[i]].name, name) == 0)
                return true;
    return false;
}

/* *exact is cleared when the files may differ: a policy held as invalid. */
static bool check_policy(struct run *r, const struct side *fr, size_t d, bool *exact)
{
    enum policy_kind kind = defs[d].type == T_CLUSTER ? PK_CLUSTER : PK_POLICY;
    const char *ns = kind == PK_CLUSTER ? NULL : "demo", *name = defs[d].name;
    const struct policy *a = engine_get_policy(r->inc.e, kind, ns, name),
                        *b = engine_get_policy(fr->e, kind, ns, name);
    uint32_t which;
    int last;
    unsigned n = model_defs(r->files, defs[d].type, name, &which, &last);
    if (!b != !n)
        return mismatch(r, "the fresh read: policy %s %s, the files define it %u times", name,
                        yes(b), n);
    if (b && !b->error != (n == 1))
        return mismatch(r, "the fresh read: policy %s %s, the files define it %u times", name,
                        b->error ? "held as invalid" : "valid", n);
    if (!a != !b)
        return mismatch(r, "policy %s %s, fresh %s", name, yes(a), yes(b));
    if (!a)
        return true;
    *exact = *exact && !a->error && !b->error;
    /* Defined twice, a definition in a file that cannot be read now: once the others go, what
     * is left cannot be read again; the policy stays held, and its selectors unknown, until
     * that file is read (fail closed: it holds more than the fresh one, never less). */
    if (a->error && (!b->error || (a->selector_unknown && !b->selector_unknown)) &&
        unreadable_holds(r->files, defs[d].type, name))
        return true;
    if (!a->error != !b->error)
        return mismatch(r, "policy %s %s, fresh %s", name, a->error ? "held as invalid" : "valid",
                        b->error ? "held as invalid" : "valid");
    /* Held: what it reaches (every pod of its scope, or what its definitions select) does not
     * depend on the order they were read in. */
    if (a->error && a->selector_unknown != b->selector_unknown)
        return mismatch(r, "held policy %s: its selectors %s, fresh %s", name,
                        a->selector_unknown ? "unknown" : "known",
                        b->selector_unknown ? "unknown" : "known");
    if (!a->error && (strcmp(base_name(a->file), base_name(b->file)) != 0 || a->line != b->line))
        return mismatch(r, "policy %s from %s:%d, fresh from %s:%d", name, base_name(a->file),
                        a->line, base_name(b->file), b->line);
    return true;
}

static const char *ns_env(const struct k8s_namespace *n)
{
    const char *v = n ? labels_get(&n->labels, "env") : NULL;
    return v ? v : "-";
}

/* *exact is cleared when the files may differ: labels not known. */
static bool check_namespace(struct run *r, const struct side *fr, size_t d, bool *exact)
{
    const char *name = defs[d].name;
    const struct k8s_namespace *a = engine_get_namespace(r->inc.e, name),
                               *b = engine_get_namespace(fr->e, name);
    const char *wa = engine_namespace_why(r->inc.e, name), *wb = engine_namespace_why(fr->e, name);
    uint32_t which;
    int last;
    model_defs(r->files, T_NAMESPACE, name, &which, &last);
    bool agree = which && (which & (which - 1)) == 0;
    if (!b != !agree || !wb != !(which && !agree) ||
        (b && strcmp(ns_env(b), defs[last].variant) != 0))
        return mismatch(r,
                        "the fresh read: Namespace %s %s (env %s, labels %s), the files define "
                        "it %s",
                        name, yes(b), ns_env(b), wb ? "unknown" : "known",
                        !which  ? "nowhere"
                        : agree ? "alike"
                                : "with other labels");
    *exact = *exact && !wa && !wb;
    /* As a policy: the definition left, in a file that cannot be read now, is not known. */
    if (!a && wa && b && unreadable_holds(r->files, T_NAMESPACE, name))
        return true;
    if (!a != !b || !wa != !wb || strcmp(ns_env(a), ns_env(b)) != 0)
        return mismatch(r, "Namespace %s %s (env %s, labels %s), fresh %s (env %s, labels %s)",
                        name, yes(a), ns_env(a), wa ? "unknown" : "known", yes(b), ns_env(b),
                        wb ? "unknown" : "known");
    return true;
}

static const char *pod_app(const struct pod *p)
{
    const char *v = p ? labels_get(&p->labels, "app") : NULL;
    return v ? v : "-";
}

/* *exact is cleared when the files may differ: another definition of the Pod in force. */
static bool check_pod(struct run *r, const struct side *fr, size_t d, bool *exact)
{
    const char *name = defs[d].name;
    const struct pod *a = engine_get_pod(r->inc.e, "demo", name),
                     *b = engine_get_pod(fr->e, "demo", name);
    uint32_t which;
    int last;
    model_defs(r->files, T_POD, name, &which, &last);
    if (!b != !which || (b && strcmp(pod_app(b), defs[last].variant) != 0))
        return mismatch(r, "the fresh read: Pod %s %s (app %s), read last in the files: %s", name,
                        yes(b), pod_app(b), last < 0 ? "none" : defs[last].variant);
    if (!a != !b)
        return mismatch(r, "Pod %s %s, fresh %s", name, yes(a), yes(b));
    if (!a)
        return true;
    /* The definition in force: one that the file it came from holds now (so the fresh one's
     * when all agree), whichever was read last. */
    int da = def_find(T_POD, name, pod_app(a));
    unsigned k = NFILES;
    bool held_now = sscanf(base_name(a->file), "f%u.yaml", &k) == 1 && k < NFILES && da >= 0 &&
                    docs_hold(&r->files[k].held, (unsigned)da);
    /* As a policy: when the file of the one in force drops it and the one left is in a file
     * that cannot be read now, the one in force stays until that file is read. */
    if (!held_now && unreadable_holds(r->files, T_POD, name)) {
        *exact = false;
        return true;
    }
    if (!held_now) {
        char holders[64] = "";
        for (unsigned f = 0; f < NFILES && da >= 0; f++)
            if (docs_hold(&r->files[f].held, (unsigned)da))
                snprintf(holders + strlen(holders), sizeof(holders) - strlen(holders), " f%u.yaml",
                         f);
        return mismatch(r,
                        "Pod %s: its definition in force (app %s, from %s) is not one that "
                        "file holds now (held by:%s; fresh: app %s)",
                        name, pod_app(a), base_name(a->file), holders[0] ? holders : " none",
                        pod_app(b));
    }
    *exact = *exact && strcmp(pod_app(a), pod_app(b)) == 0 && a->nrefs == 1 && b->nrefs == 1 &&
             strcmp(a->refs[0], b->refs[0]) == 0;
    return true;
}

static bool check_files(struct run *r, struct side *fr)
{
    for (unsigned i = 0; i < NWRITTEN; i++) {
        const struct written *w = &fr->files[i];
        if (w->rel[0])
            written_slot(&r->inc, w->rel); /* the union of both */
    }
    for (unsigned i = 0; i < NWRITTEN; i++) {
        const struct written *w = &r->inc.files[i];
        if (!w->rel[0])
            continue;
        const struct written *f = written_slot(fr, w->rel);
        if (!w->json != !f->json || (w->json && strcmp(w->json, f->json) != 0))
            return mismatch(r, "kscmp/%s: written %s, fresh %s", w->rel,
                            w->json ? w->json : "(none)\n", f->json ? f->json : "(none)\n");
    }
    return true;
}

/* The incremental engine against a fresh source's on the reference folder. */
static bool compare(struct run *r, struct side *fr)
{
    bool exact = fr->nkept == 0; /* the files too */
    for (size_t d = 0; d < ARRAY_SIZE(defs); d++) {
        if (!def_first_of_name(d))
            continue;
        bool ok = true;
        switch (defs[d].type) {
        case T_POLICY:
        case T_CLUSTER:
            ok = check_policy(r, fr, d, &exact);
            break;
        case T_NAMESPACE:
            ok = check_namespace(r, fr, d, &exact);
            break;
        case T_POD:
            ok = check_pod(r, fr, d, &exact);
            break;
        }
        if (!ok)
            return false;
    }
    return !exact || check_files(r, fr);
}

static void print_failure(const struct run *r)
{
    fprintf(stderr,
            "seed %llu, step %u: %s\nthe changes (KSCMP_PROP_SEED=%llu KSCMP_PROP_STEPS=%u "
            "replays them):\n",
            (unsigned long long)r->seed, r->step, r->why, (unsigned long long)r->seed, r->step + 1);
    for (unsigned s = r->step >= LOGSTEPS ? r->step - LOGSTEPS + 1 : 0; s <= r->step; s++)
        fprintf(stderr, "  step %u:%s\n", s, r->log[s % LOGSTEPS]);
    static const char *const states[] = {"absent", "read without error", "broken", "blank"};
    for (unsigned k = 0; k < NFILES; k++) {
        char text[TEXT_MAX];
        const struct mfile *f = &r->files[k];
        file_text(f, &f->text, text, sizeof(text));
        fprintf(stderr, "== f%u.yaml: %s\n%s", k, states[f->state],
                f->state == F_ABSENT ? "" : text);
        if (f->state == F_BROKEN || f->state == F_BLANK) {
            struct mfile good = {.state = F_GOOD, .edits = f->held_edits};
            file_text(&good, &f->held, text, sizeof(text));
            fprintf(stderr, "-- what it holds from its last good read:\n%s", text);
        }
    }
}

/* Runs one seed for steps steps; false (r->why says what differs) at the first mismatch, which
 * is printed with what led to it. */
static bool run_seed(struct run *r, uint64_t seed, unsigned steps)
{
    bool ok = true;
    r->seed = seed;
    r->rng = seed * 0x9e3779b97f4a7c15ull + 1;
    strcpy(r->dir, "/tmp/kscmp-local-prop-XXXXXX");
    strcpy(r->ref, "/tmp/kscmp-local-prop-ref-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    assert_non_null(mkdtemp(r->ref));
    side_open(&r->inc, r->dir);
    for (r->step = 0; r->step < steps && ok; r->step++) {
        r->log[r->step % LOGSTEPS][0] = '\0';
        for (unsigned n = 1 + pick(r, 4); n > 0; n--)
            change(r);
        model_read(r->files);
        write_reference(r);
        side_read(&r->inc);
        side_sync(&r->inc);
        struct side fresh = {0};
        side_open(&fresh, r->ref);
        ok = compare(r, &fresh);
        side_close(&fresh);
    }
    if (!ok) {
        r->step--;
        print_failure(r);
    }
    side_close(&r->inc);
    nftw(r->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    nftw(r->ref, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return ok;
}

static unsigned env_uint(const char *name, unsigned dflt)
{
    const char *v = getenv(name);
    return v && *v ? (unsigned)strtoul(v, NULL, 10) : dflt;
}

static void test_whole_read_equals_fresh(void **state)
{
    (void)state;
    unsigned steps = env_uint("KSCMP_PROP_STEPS", 200);
    uint64_t first = 1, last = env_uint("KSCMP_PROP_SEEDS", 12);
    const char *one = getenv("KSCMP_PROP_SEED");
    if (one && *one)
        first = last = strtoull(one, NULL, 10);
    for (uint64_t seed = first; seed <= last; seed++) {
        struct run *r = calloc(1, sizeof(*r));
        assert_non_null(r);
        bool ok = run_seed(r, seed, steps);
        char why[sizeof(r->why) + 64];
        snprintf(why, sizeof(why), "seed %llu, step %u: %s", (unsigned long long)seed, r->step,
                 r->why);
        free(r);
        if (!ok)
            fail_msg("%s", why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_read_equals_fresh),
    };
    return cmocka_run_group_tests_name("local_prop", tests, NULL, NULL);
}
