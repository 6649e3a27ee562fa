/* test_local_source.c - the --local source: a folder of manifests into the engine, kept in
 * step through inotify; broken files and a missing folder change nothing.
 *
 * Each test has its own mkdtemp() folder; the event loop runs with generous deadlines, polling
 * for the condition it waits for.
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
#include <sys/stat.h>
#include <unistd.h>

#include "../engine/engine_fixture.h"
#include "base/evloop.h"
#include "base/metrics.h"
#include "node/local_source.h"

struct fix {
    char dir[64];
    struct engine *e;
    struct metrics *m;
    struct evloop *l;
    struct localsrc *s;
    unsigned changes;
};

static void on_changed(uint64_t event_us, void *userdata)
{
    struct fix *f = userdata;
    assert_true(event_us > 0);
    f->changes++;
}

static void put_file(const struct fix *f, const char *name, const char *text)
{
    /* Written aside and renamed in, as editors and kubectl-style tools do. */
    char tmp[256], path[256];
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", f->dir, name);
    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    FILE *fp = fopen(tmp, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(rename(tmp, path), 0);
}

static void rm_file(const struct fix *f, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    assert_int_equal(unlink(path), 0);
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    strcpy(f->dir, "/tmp/kscmp-test-localsrc-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(engine_new(arch_parse("x86_64"), &f->e), 0);
    assert_int_equal(metrics_new(&f->m), 0);
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

static int teardown(void **state)
{
    struct fix *f = *state;
    localsrc_free(f->s);
    evloop_free(f->l);
    engine_free(f->e);
    metrics_free(f->m);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void open_source(struct fix *f, bool loop)
{
    struct kerr err = {0};
    if (loop)
        assert_int_equal(evloop_new(&f->l), 0);
    assert_int_equal(localsrc_new(f->dir, f->e, f->l, f->m, on_changed, f, &f->s, &err), 0);
}

static bool has_policy(const struct fix *f, const char *name)
{
    return engine_get_policy(f->e, PK_POLICY, "demo", name) != NULL;
}

/* Runs the event loop until pred(f) holds; fails after 20 s. */
struct waiter {
    struct fix *f;
    bool (*pred)(struct fix *f);
    uint64_t deadline;
    bool held;
};

static void on_poll(struct evtimer *t, void *userdata)
{
    struct waiter *w = userdata;
    w->held = w->pred(w->f);
    if (w->held || now_ms() > w->deadline)
        evloop_quit(w->f->l, 0);
    else
        evtimer_arm(t, 10);
}

static void wait_for(struct fix *f, bool (*pred)(struct fix *f))
{
    struct waiter w = {f, pred, now_ms() + 20000, false};
    struct evtimer *t = NULL;
    assert_int_equal(evtimer_new(f->l, on_poll, &w, &t), 0);
    evtimer_arm(t, 10);
    assert_int_equal(evloop_run(f->l), 0);
    evtimer_free(t);
    assert_true(w.held);
}

#define A_POLICY(name) POL(name, "  seccomp: {syscalls: [read], action: Allow}\n")

/* Every *.yaml, *.yml and *.json file is read; hidden and other files are not. */
static void test_reads_manifests(void **state)
{
    struct fix *f = *state;
    put_file(f, "a.yaml", A_POLICY("a"));
    put_file(f, "b.yml", A_POLICY("b"));
    put_file(f, "c.json",
             "{\"apiVersion\": \"kscmp.io/v1\", \"kind\": \"SeccompPolicy\", \"metadata\": "
             "{\"name\": \"c\", \"namespace\": \"demo\"}, \"spec\": {\"seccomp\": "
             "{\"syscalls\": [\"read\"], \"action\": \"Allow\"}}}");
    put_file(f, "d.txt", A_POLICY("d"));
    put_file(f, "e.yaml~", A_POLICY("e"));
    open_source(f, false);
    assert_int_equal(localsrc_load_all(f->s), 0);
    assert_true(localsrc_complete(f->s));
    assert_true(has_policy(f, "a") && has_policy(f, "b") && has_policy(f, "c"));
    assert_false(has_policy(f, "d") || has_policy(f, "e"));
}

/* A file that cannot be read holds nothing until it can; the source is incomplete meanwhile.
 * Once read, a broken version keeps what the file held before (fail closed). */
static void test_broken_file(void **state)
{
    struct fix *f = *state;
    put_file(f, "a.yaml", A_POLICY("a"));
    put_file(f, "b.yaml", "kind: [unclosed\n");
    open_source(f, false);
    assert_int_equal(localsrc_load_all(f->s), 0);
    assert_true(has_policy(f, "a"));
    assert_false(localsrc_complete(f->s));
    assert_int_equal(localsrc_unknown(f->s), 1);
    put_file(f, "b.yaml", A_POLICY("b"));
    assert_int_equal(localsrc_load_all(f->s), 0);
    assert_true(localsrc_complete(f->s));
    assert_true(has_policy(f, "b"));
    put_file(f, "b.yaml", "kind: [broken again\n");
    assert_int_equal(localsrc_load_all(f->s), 0);
    assert_true(has_policy(f, "b")); /* kept */
}

/* A folder that is not there: the source cannot start (with an event loop), and without one
 * a load changes nothing. */
static void test_missing_folder(void **state)
{
    struct fix *f = *state;
    char missing[128];
    snprintf(missing, sizeof(missing), "%s/nope", f->dir);
    struct kerr err = {0};
    struct evloop *l = NULL;
    struct localsrc *s = NULL;
    assert_int_equal(evloop_new(&l), 0);
    assert_true(localsrc_new(missing, f->e, l, f->m, on_changed, f, &s, &err) < 0);
    assert_null(s);
    assert_non_null(strstr(err.msg, missing));
    evloop_free(l);

    put_file(f, "a.yaml", A_POLICY("a"));
    open_source(f, false);
    assert_int_equal(localsrc_load_all(f->s), 0);
    assert_true(has_policy(f, "a"));
    char moved[128];
    snprintf(moved, sizeof(moved), "%s.moved", f->dir);
    assert_int_equal(rename(f->dir, moved), 0);
    assert_true(localsrc_load_all(f->s) < 0);
    assert_true(has_policy(f, "a")); /* nothing changed */
    assert_int_equal(rename(moved, f->dir), 0);
}

static bool b_there(struct fix *f)
{
    return has_policy(f, "b");
}

static bool a_gone(struct fix *f)
{
    return !has_policy(f, "a");
}

static bool a_changed(struct fix *f)
{
    const struct policy *p = engine_get_policy(f->e, PK_POLICY, "demo", "a");
    return p && p->nblocks > 0 && p->blocks[0].nsyscalls == 2;
}

/* With the event loop: a file renamed in is read, a file changed is read again, a file
 * deleted takes its objects with it (once the folder is seen to stay); each batch is told. */
static void test_follows_the_folder(void **state)
{
    struct fix *f = *state;
    put_file(f, "a.yaml", A_POLICY("a"));
    open_source(f, true);
    assert_int_equal(localsrc_load_all(f->s), 0);
    unsigned changes = f->changes;
    put_file(f, "b.yaml", A_POLICY("b"));
    wait_for(f, b_there);
    assert_true(f->changes > changes);
    put_file(f, "a.yaml", POL("a", "  seccomp: {syscalls: [read, write], action: Allow}\n"));
    wait_for(f, a_changed);
    rm_file(f, "a.yaml");
    wait_for(f, a_gone);
    assert_true(has_policy(f, "b"));
}

/* Runs localsrc_load_all with stderr (the log) captured into log (NUL-terminated). */
static void load_all_logged(struct fix *f, char *log, size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), "%s.log", f->dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    int r = localsrc_load_all(f->s);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(r, 0);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(log, 1, len - 1, fp);
    log[n] = '\0';
    fclose(fp);
    unlink(path);
}

/* stderr (the log) captured into a file from log_start() to log_end(). */
static int log_start(const struct fix *f)
{
    char path[128];
    snprintf(path, sizeof(path), "%s.log", f->dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    return saved;
}

static void log_end(const struct fix *f, int saved, char *log, size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), "%s.log", f->dir);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(log, 1, len - 1, fp);
    log[n] = '\0';
    fclose(fp);
    unlink(path);
}

/* How many times needle is in hay. */
static unsigned count_of(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void mkdir_in(const struct fix *f, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void rmdir_in(const struct fix *f, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    assert_int_equal(rmdir(path), 0);
}

static bool c_gone(struct fix *f)
{
    return !has_policy(f, "c");
}

static const struct policy *policy_of(const struct fix *f, const char *name)
{
    return engine_get_policy(f->e, PK_POLICY, "demo", name);
}

/* The same policy in two files (kscmp validate refuses it): it is invalid, whichever file was
 * read last or edited since (which one was meant is not known: the one read last could be the
 * weaker), and the log says which files; once one goes, the other's definition is used. One
 * file alone says nothing of the kind. Twice in one file: the same. */
static void test_defined_twice_is_held(void **state)
{
    struct fix *f = *state;
    put_file(f, "a.yaml", A_POLICY("web"));
    put_file(f, "b.yaml", POL("web", "  defaultAction: Allow\n"));
    put_file(f, "c.yaml", A_POLICY("other"));
    open_source(f, false);
    char log[8192];
    load_all_logged(f, log, sizeof(log));
    assert_true(has_policy(f, "web") && has_policy(f, "other"));
    char want[512];
    snprintf(want, sizeof(want),
             "SeccompPolicy demo/web is defined in %s/a.yaml and in %s/b.yaml: it is held as "
             "invalid until one definition is removed",
             f->dir, f->dir);
    if (!strstr(log, want))
        fail_msg("no error \"%s\" in the log:\n%s", want, log);
    assert_non_null(policy_of(f, "web")->error);
    /* Neither selects by labels: it holds the files of what they select (its name's), no more.
     * Once b.yaml's selects otherwise, it holds every file of its namespace, as it does while
     * any definition's selectors differ (which one was meant is not known). */
    assert_false(policy_of(f, "web")->selector_unknown);
    put_file(f, "b.yaml",
             POL("web", "  selector: {matchLabels: {app: web}}\n"
                        "  defaultAction: Allow\n"));
    load_all_logged(f, log, sizeof(log));
    assert_non_null(policy_of(f, "web")->error);
    assert_true(policy_of(f, "web")->selector_unknown);
    put_file(f, "a.yaml",
             POL("web", "  selector: {matchLabels: {app: web}}\n"
                        "  seccomp: {syscalls: [read], action: Allow}\n"));
    load_all_logged(f, log, sizeof(log));
    assert_false(policy_of(f, "web")->selector_unknown);
    put_file(f, "b.yaml",
             POL("web", "  selector: {matchLabels: {app: api}}\n"
                        "  defaultAction: Allow\n"));
    load_all_logged(f, log, sizeof(log));
    assert_true(policy_of(f, "web")->selector_unknown);
    put_file(f, "b.yaml", POL("web", "  defaultAction: Allow\n"));
    put_file(f, "a.yaml", A_POLICY("web"));
    load_all_logged(f, log, sizeof(log));
    assert_non_null(policy_of(f, "web")->error);
    assert_null(policy_of(f, "other")->error);
    assert_null(strstr(log, "demo/other is defined"));
    assert_null(strstr(log, "read last"));

    /* The first file edited (read again, last): still held. */
    put_file(f, "a.yaml", A_POLICY("web") "# edited\n");
    load_all_logged(f, log, sizeof(log));
    assert_non_null(policy_of(f, "web")->error);

    /* One of them gone: the other's definition, valid, and the log says so (once). */
    rm_file(f, "b.yaml");
    load_all_logged(f, log, sizeof(log));
    assert_non_null(policy_of(f, "web"));
    assert_null(policy_of(f, "web")->error);
    assert_false(policy_of(f, "web")->has_default); /* a.yaml's, not b.yaml's */
    snprintf(want, sizeof(want), "%s/a.yaml: recovered: every policy in it is valid again", f->dir);
    if (count_of(log, want) != 1)
        fail_msg("not once \"%s\" in the log:\n%s", want, log);
    put_file(f, "a.yaml", A_POLICY("web") "# edited again\n");
    load_all_logged(f, log, sizeof(log));
    assert_null(strstr(log, "recovered"));

    /* Twice in one file. */
    put_file(f, "d.yaml", A_POLICY("dup") "---\n" POL("dup", "  defaultAction: Allow\n"));
    load_all_logged(f, log, sizeof(log));
    snprintf(want, sizeof(want), "SeccompPolicy demo/dup is defined twice in %s/d.yaml", f->dir);
    if (!strstr(log, want))
        fail_msg("no error \"%s\" in the log:\n%s", want, log);
    assert_non_null(policy_of(f, "dup")->error);
    assert_false(policy_of(f, "dup")->selector_unknown);
    put_file(f, "d.yaml",
             A_POLICY("dup") "---\n" POL("dup", "  selector: {matchLabels: {app: web}}\n"
                                                "  defaultAction: Allow\n"));
    load_all_logged(f, log, sizeof(log));
    assert_non_null(policy_of(f, "dup")->error);
    assert_true(policy_of(f, "dup")->selector_unknown);
    /* One definition left: valid, and said. */
    put_file(f, "d.yaml", A_POLICY("dup"));
    load_all_logged(f, log, sizeof(log));
    assert_null(policy_of(f, "dup")->error);
    snprintf(want, sizeof(want), "%s/d.yaml: recovered: every policy in it is valid again", f->dir);
    if (count_of(log, want) != 1)
        fail_msg("not once \"%s\" in the log:\n%s", want, log);

    /* The other copy's file broken when one goes: the object stays (a broken file keeps what
     * it held), never gone with its rules. */
    put_file(f, "e.yaml", A_POLICY("guard"));
    put_file(f, "g.yaml", A_POLICY("guard"));
    load_all_logged(f, log, sizeof(log));
    put_file(f, "g.yaml", "spec: [\n");
    load_all_logged(f, log, sizeof(log));
    rm_file(f, "e.yaml");
    load_all_logged(f, log, sizeof(log));
    assert_non_null(policy_of(f, "guard"));
    /* And the broken file gone too: now it goes. */
    rm_file(f, "g.yaml");
    load_all_logged(f, log, sizeof(log));
    assert_null(policy_of(f, "guard"));

    /* The file read first (h.yaml, valid then) is marked invalid by the read of the second:
     * once that one goes, it is read again and says it is valid again. */
    put_file(f, "h.yaml", A_POLICY("pair"));
    put_file(f, "i.yaml", A_POLICY("pair"));
    load_all_logged(f, log, sizeof(log));
    assert_non_null(policy_of(f, "pair")->error);
    rm_file(f, "i.yaml");
    load_all_logged(f, log, sizeof(log));
    assert_null(policy_of(f, "pair")->error);
    snprintf(want, sizeof(want), "%s/h.yaml: recovered: every policy in it is valid again", f->dir);
    if (count_of(log, want) != 1)
        fail_msg("not once \"%s\" in the log:\n%s", want, log);

    /* One definition invalid itself (its action misspelled) and selecting other pods: held
     * all the same, its selectors taken as unknown, read in either order (an invalid copy
     * read last let the pods only the valid one selects go without it). */
    for (int order = 0; order < 2; order++) {
        const char *valid = POL("guard", "  selector: {matchLabels: {app: web}}\n"
                                         "  rules:\n  - {syscalls: [ptrace], action: Block}\n"),
                   *bad = POL("guard", "  selector: {matchLabels: {app: api}}\n"
                                       "  rules:\n  - {syscalls: [ptrace], action: Blok}\n");
        put_file(f, "k1.yaml", order ? bad : valid);
        put_file(f, "k2.yaml", order ? valid : bad);
        load_all_logged(f, log, sizeof(log));
        assert_non_null(policy_of(f, "guard")->error);
        assert_true(policy_of(f, "guard")->selector_unknown);
        snprintf(want, sizeof(want),
                 "SeccompPolicy demo/guard is defined in %s/k1.yaml and in "
                 "%s/k2.yaml",
                 f->dir, f->dir);
        if (!strstr(log, want))
            fail_msg("no error \"%s\" in the log:\n%s", want, log);
        rm_file(f, "k1.yaml");
        rm_file(f, "k2.yaml");
        load_all_logged(f, log, sizeof(log));
    }

    /* A hard link: two names of one file, said so (kscmp validate reads it once). */
    char pa[256], pb[256];
    snprintf(pa, sizeof(pa), "%s/h.yaml", f->dir);
    snprintf(pb, sizeof(pb), "%s/j.yaml", f->dir);
    assert_int_equal(link(pa, pb), 0);
    load_all_logged(f, log, sizeof(log));
    assert_non_null(policy_of(f, "pair")->error);
    assert_false(policy_of(f, "pair")->selector_unknown);
    if (!strstr(log, "(two names of one file, a hard link: keep one name in the folder)"))
        fail_msg("no word of the hard link in the log:\n%s", log);
}

/* A folder named like a manifest (DIR/extra.yaml/) is not read, as kscmp validate does not
 * read it: a warning naming it, said once while it stays, and never a file that could not be
 * read (which holds back every profile of the node). So at start and while running. A file
 * replaced by such a folder is gone. */
static void test_folder_named_like_a_manifest(void **state)
{
    struct fix *f = *state;
    put_file(f, "a.yaml", A_POLICY("a"));
    mkdir_in(f, "extra.yaml");
    open_source(f, true);
    char log[8192], want[256];
    load_all_logged(f, log, sizeof(log));
    assert_true(localsrc_complete(f->s));
    assert_int_equal(localsrc_unknown(f->s), 0);
    assert_true(has_policy(f, "a"));
    snprintf(want, sizeof(want),
             "%s/extra.yaml is a folder: not read (sub-folders are not entered)", f->dir);
    if (count_of(log, want) != 1)
        fail_msg("not once \"%s\" in the log:\n%s", want, log);
    assert_null(strstr(log, "error"));
    /* Read whole again (SIGHUP): not said again. */
    load_all_logged(f, log, sizeof(log));
    assert_null(strstr(log, "extra.yaml"));

    /* While running: a folder made, and a file replaced by a folder. */
    put_file(f, "c.yaml", A_POLICY("c"));
    load_all_logged(f, log, sizeof(log));
    int saved = log_start(f);
    mkdir_in(f, "new.yml");
    rm_file(f, "c.yaml");
    mkdir_in(f, "c.yaml");
    wait_for(f, c_gone);
    log_end(f, saved, log, sizeof(log));
    snprintf(want, sizeof(want), "%s/new.yml is a folder: not read", f->dir);
    if (count_of(log, want) != 1)
        fail_msg("not once \"%s\" in the log:\n%s", want, log);
    snprintf(want, sizeof(want), "%s/c.yaml is a folder: not read", f->dir);
    if (count_of(log, want) != 1)
        fail_msg("not once \"%s\" in the log:\n%s", want, log);
    assert_null(strstr(log, "error"));
    assert_true(localsrc_complete(f->s));
    assert_true(has_policy(f, "a"));

    /* Gone and made again: said again; a file of that name is read. */
    rmdir_in(f, "extra.yaml");
    load_all_logged(f, log, sizeof(log));
    mkdir_in(f, "extra.yaml");
    load_all_logged(f, log, sizeof(log));
    assert_int_equal(count_of(log, "extra.yaml is a folder"), 1);
    rmdir_in(f, "c.yaml");
    put_file(f, "c.yaml", A_POLICY("c"));
    load_all_logged(f, log, sizeof(log));
    assert_true(has_policy(f, "c"));
}

/* Runs the event loop for ms milliseconds; true when pred(f) held at some turn. */
static bool (*watched)(struct fix *f);
static bool watched_held;
static uint64_t watch_until;

static bool watch_pred(struct fix *f)
{
    watched_held |= watched(f);
    return now_ms() >= watch_until;
}

static bool held_at_some_point(struct fix *f, unsigned ms, bool (*pred)(struct fix *f))
{
    watched = pred;
    watched_held = false;
    watch_until = now_ms() + ms;
    wait_for(f, watch_pred);
    return watched_held;
}

static bool web_not_valid(struct fix *f)
{
    const struct policy *p = policy_of(f, "web");
    return !p || p->error;
}

static bool web_gone(struct fix *f)
{
    return !has_policy(f, "web");
}

/* A file renamed in DIR (mv a.yaml b.yaml): its policies stay valid all along, never held as
 * defined in both names while the old one's removal settles, and the log says only that it was
 * renamed (no error). Renamed out of DIR: gone, as a removed file. */
static void test_rename_is_quiet(void **state)
{
    struct fix *f = *state;
    put_file(f, "a.yaml", A_POLICY("web"));
    open_source(f, true);
    char log[8192], want[256], from[256], to[256];
    load_all_logged(f, log, sizeof(log));
    assert_null(policy_of(f, "web")->error);
    snprintf(from, sizeof(from), "%s/a.yaml", f->dir);
    snprintf(to, sizeof(to), "%s/b.yaml", f->dir);
    int saved = log_start(f);
    assert_int_equal(rename(from, to), 0);
    bool held = held_at_some_point(f, 600, web_not_valid);
    log_end(f, saved, log, sizeof(log));
    if (held)
        fail_msg("demo/web was held or gone after a rename:\n%s", log);
    snprintf(want, sizeof(want), "%s/a.yaml renamed to %s/b.yaml", f->dir, f->dir);
    if (count_of(log, want) != 1)
        fail_msg("not once \"%s\" in the log:\n%s", want, log);
    assert_null(strstr(log, "error"));
    assert_null(strstr(log, "removed"));
    assert_true(localsrc_complete(f->s));
    assert_int_equal(localsrc_defined_twice(f->s), 0);
    /* The folder read whole agrees: b.yaml holds it, a.yaml is no more. */
    load_all_logged(f, log, sizeof(log));
    assert_null(strstr(log, "a.yaml"));
    assert_null(policy_of(f, "web")->error);
    /* Renamed out of DIR: gone. */
    char out[256];
    snprintf(out, sizeof(out), "%s.out.yaml", f->dir);
    assert_int_equal(rename(to, out), 0);
    wait_for(f, web_gone);
    unlink(out);
}

static bool has_other(struct fix *f)
{
    return has_policy(f, "other");
}

static bool has_third(struct fix *f)
{
    return has_policy(f, "third");
}

static bool other_gone(struct fix *f)
{
    return !has_policy(f, "other");
}

static bool has_late(struct fix *f)
{
    return has_policy(f, "late");
}

/* A source error was counted since errors_before (an emptied file is one), or demo/other
 * went (then the test fails). */
static uint64_t errors_before;
static bool other_gone_or_told(struct fix *f)
{
    return !has_policy(f, "other") || metrics_get(f->m, M_SOURCE_ERRORS) > errors_before;
}

/* A save whose close was queued, then another writer's truncation and first half before the
 * agent's turn: the half is never used (a new user's loop of generator runs dropped a policy's
 * rules for 300 ms); once that writer closes, the whole file is read. */
static void test_half_written_file_is_not_used(void **state)
{
    struct fix *f = *state;
    const char *first = A_POLICY("web"), *second = "---\n" A_POLICY("other");
    char full[1024];
    snprintf(full, sizeof(full), "%s%s", first, second);
    put_file(f, "a.yaml", full);
    open_source(f, true);
    char log[8192], path[256];
    load_all_logged(f, log, sizeof(log));
    assert_true(has_policy(f, "other"));
    snprintf(path, sizeof(path), "%s/a.yaml", f->dir);
    /* A whole save in place (its close queues the read)... */
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "%s# saved again\n", full);
    assert_int_equal(fclose(fp), 0);
    /* ...then another writer, before the agent looks: truncated, half written, still open. */
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, first, strlen(first)), (ssize_t)strlen(first));
    if (held_at_some_point(f, 300, other_gone))
        fail_msg("the half-written file was used: demo/other went");
    assert_int_equal(write(fd, second, strlen(second)), (ssize_t)strlen(second));
    assert_int_equal(close(fd), 0);
    wait_for(f, has_other);
    assert_true(has_policy(f, "web"));
}

static bool sighup_then(struct fix *f)
{
    return localsrc_load_all(f->s) == 0;
}

/* A writer holding the file open, its first half written: a read that no event of the file
 * asks for (SIGHUP, here localsrc_load_all()) does not use it, nor does the writer's
 * IN_MODIFY; its close does. A file changed by name without an open (truncate(2)) is read
 * on its IN_MODIFY (emptied: what it held stays, said). A writer that keeps it open past
 * BUSY_MAX_MS: read as it is then. */
static void test_file_held_for_writing_waits(void **state)
{
    struct fix *f = *state;
    const char *first = A_POLICY("web"), *second = "---\n" A_POLICY("other");
    char full[1024], path[256], log[8192];
    snprintf(full, sizeof(full), "%s%s", first, second);
    put_file(f, "a.yaml", full);
    open_source(f, true);
    load_all_logged(f, log, sizeof(log));
    assert_true(has_policy(f, "other"));
    snprintf(path, sizeof(path), "%s/a.yaml", f->dir);
    int fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, first, strlen(first)), (ssize_t)strlen(first));
    assert_true(sighup_then(f));
    assert_true(has_policy(f, "other"));
    if (held_at_some_point(f, 600, other_gone))
        fail_msg("the half-written file was used: demo/other went");
    assert_int_equal(write(fd, second, strlen(second)), (ssize_t)strlen(second));
    assert_int_equal(close(fd), 0);
    wait_for(f, has_other);

    /* truncate(2): no open, no close; its IN_MODIFY reads it. */
    errors_before = metrics_get(f->m, M_SOURCE_ERRORS);
    assert_int_equal(truncate(path, 0), 0);
    wait_for(f, other_gone_or_told);
    assert_true(has_policy(f, "other"));

    /* Held open for good: read as it is after BUSY_MAX_MS (10 s). */
    put_file(f, "b.yaml", A_POLICY("late"));
    char pb[256];
    snprintf(pb, sizeof(pb), "%s/b.yaml", f->dir);
    fd = open(pb, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "# more\n", 7), 7);
    assert_true(sighup_then(f));
    wait_for(f, has_late);
    assert_int_equal(close(fd), 0);
}

static bool has_linked(struct fix *f)
{
    return has_policy(f, "linked");
}

static bool has_hard(struct fix *f)
{
    return has_policy(f, "hard");
}

/* A symbolic link or a hard link made in DIR (no write, no close: only IN_CREATE) is read
 * (a new user's links went unseen until SIGHUP, the profile weaker than the folder said). */
static void test_links_made_in_dir_are_read(void **state)
{
    struct fix *f = *state;
    put_file(f, "a.yaml", A_POLICY("web"));
    open_source(f, true);
    char log[8192], outside[256], target[256];
    load_all_logged(f, log, sizeof(log));
    snprintf(outside, sizeof(outside), "%s.linked.yaml", f->dir);
    FILE *fp = fopen(outside, "w");
    assert_non_null(fp);
    fputs(A_POLICY("linked"), fp);
    assert_int_equal(fclose(fp), 0);
    snprintf(target, sizeof(target), "%s/l.yaml", f->dir);
    assert_int_equal(symlink(outside, target), 0);
    wait_for(f, has_linked);
    snprintf(outside, sizeof(outside), "%s.hard.yaml", f->dir);
    fp = fopen(outside, "w");
    assert_non_null(fp);
    fputs(A_POLICY("hard"), fp);
    assert_int_equal(fclose(fp), 0);
    snprintf(target, sizeof(target), "%s/h.yaml", f->dir);
    assert_int_equal(link(outside, target), 0);
    wait_for(f, has_hard);
    unlink(outside);
    snprintf(outside, sizeof(outside), "%s.linked.yaml", f->dir);
    unlink(outside);
}

/* A file read again because another dropped an object it holds (reread_marked) stays known:
 * what it no longer holds goes. b.yaml, deleted (its removal settling), is marked when a.yaml
 * drops "ghost", which b.yaml held too; it is then written again without it: "ghost" must go
 * (a new user's storm of renames and deletes left it in force until a restart). */
static void test_reread_file_drops_what_it_no_longer_holds(void **state)
{
    struct fix *f = *state;
    put_file(f, "a.yaml", A_POLICY("ghost"));
    put_file(f, "b.yaml", A_POLICY("ghost"));
    open_source(f, true);
    char log[8192];
    load_all_logged(f, log, sizeof(log));
    assert_true(has_policy(f, "ghost"));
    rm_file(f, "b.yaml");
    put_file(f, "a.yaml", A_POLICY("other"));
    wait_for(f, has_other);
    put_file(f, "b.yaml", A_POLICY("third"));
    wait_for(f, has_third);
    /* Past the removal settle: nothing more is to come. */
    uint64_t until = now_ms() + 3 * 200;
    while (now_ms() < until && has_policy(f, "ghost"))
        wait_for(f, has_third);
    assert_false(has_policy(f, "ghost"));
    assert_true(localsrc_complete(f->s));
}

/* By property: after every step of a random run of writes and removals of files that define
 * the same few policies (some twice, in one file or in two), the engine holds what a fresh
 * source reading the folder as it now stands holds: the same policies, the same ones held as
 * invalid, and the valid ones with the same definition. Checks the shortcuts that spare a
 * walk of every file per object (the counts of which files hold what). */
static uint64_t prop_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void test_incremental_equals_fresh(void **state)
{
    struct fix *f = *state;
    open_source(f, false);
    static char log[65536];
    const char *env = getenv("KSCMP_PROP_STEPS");
    int steps = env ? atoi(env) : 300;
    bool exists[5] = {false};
    for (uint64_t seed = 1; seed <= 3; seed++) {
        uint64_t x = 0x9e3779b97f4a7c15ull * seed;
        for (int step = 0; step < steps; step++) {
            unsigned fi = (unsigned)(prop_rand(&x) % 5);
            char fname[16];
            snprintf(fname, sizeof(fname), "f%u.yaml", fi);
            if (exists[fi] && prop_rand(&x) % 3 == 0) {
                rm_file(f, fname);
                exists[fi] = false;
            } else {
                char text[4096] = "";
                unsigned n = (unsigned)(prop_rand(&x) % 4);
                for (unsigned k = 0; k < n; k++) {
                    char name[8];
                    snprintf(name, sizeof(name), "p%u", (unsigned)(prop_rand(&x) % 4));
                    char doc[512];
                    unsigned v = (unsigned)(prop_rand(&x) % 4);
                    if (v == 0)
                        snprintf(doc, sizeof(doc), "---\n" POL("%s", "  defaultAction: Allow\n"),
                                 name);
                    else if (v == 1)
                        snprintf(doc, sizeof(doc), "---\n" A_POLICY("%s"), name);
                    else if (v == 2)
                        snprintf(doc, sizeof(doc),
                                 "---\n" POL("%s", "  selector: {matchLabels: {app: web}}\n"
                                                   "  defaultAction: Allow\n"),
                                 name);
                    else /* invalid: its action misspelled, its selectors readable */
                        snprintf(doc, sizeof(doc),
                                 "---\n" POL("%s", "  selector: {matchLabels: {app: api}}\n"
                                                   "  defaultAction: Alow\n"),
                                 name);
                    strcat(text, doc);
                }
                if (!n)
                    strcpy(text, "# nothing yet\n");
                put_file(f, fname, text);
                exists[fi] = true;
            }
            load_all_logged(f, log, sizeof(log));

            struct fix g = *f;
            g.s = NULL;
            assert_int_equal(engine_new(arch_parse("x86_64"), &g.e), 0);
            open_source(&g, false);
            load_all_logged(&g, log, sizeof(log));
            for (unsigned k = 0; k < 4; k++) {
                char name[8];
                snprintf(name, sizeof(name), "p%u", k);
                const struct policy *a = policy_of(f, name), *b = policy_of(&g, name);
                if (!a != !b)
                    fail_msg("seed %llu step %d: %s %s incrementally, %s fresh",
                             (unsigned long long)seed, step, name, a ? "present" : "absent",
                             b ? "present" : "absent");
                if (!a)
                    continue;
                if (!a->error != !b->error)
                    fail_msg("seed %llu step %d: %s is %s incrementally, %s fresh",
                             (unsigned long long)seed, step, name, a->error ? "held" : "valid",
                             b->error ? "held" : "valid");
                /* Held: what it reaches (every pod of its namespace, or what its
                 * definitions select) does not depend on the order they were read in. */
                if (a->error && a->selector_unknown != b->selector_unknown)
                    fail_msg("seed %llu step %d: held %s has its selectors %s incrementally, %s "
                             "fresh",
                             (unsigned long long)seed, step, name,
                             a->selector_unknown ? "unknown" : "known",
                             b->selector_unknown ? "unknown" : "known");
                if (!a->error && a->has_default != b->has_default)
                    fail_msg("seed %llu step %d: %s has another definition incrementally",
                             (unsigned long long)seed, step, name);
            }
            localsrc_free(g.s);
            engine_free(g.e);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_manifests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defined_twice_is_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incremental_equals_fresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_links_made_in_dir_are_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_written_file_is_not_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_held_for_writing_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reread_file_drops_what_it_no_longer_holds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_broken_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follows_the_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_named_like_a_manifest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_is_quiet, setup, teardown),
    };
    return cmocka_run_group_tests_name("local_source", tests, NULL, NULL);
}
