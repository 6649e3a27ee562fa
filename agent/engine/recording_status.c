/* recording_status.c - merging what each node saw into a SeccompRecording's status. */
#include "engine/recording_status.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/spell.h"
#include "engine/decode.h"
#include "engine/doc.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

/* Appends a warning line to *w. */
static void warn(char **w, const char *fmt, const char *arg)
{
    char *line = NULL;
    if (asprintf(&line, fmt, arg) < 0)
        return;
    char *joined = NULL;
    if (*w) {
        if (asprintf(&joined, "%s; %s", *w, line) < 0)
            joined = NULL;
        free(line);
        free(*w);
        *w = joined;
    } else {
        *w = line;
    }
}

/* The node entry the node would write now (lastUpdate not set). */
static json_t *node_entry(const struct recording_contribution *c)
{
    json_t *e = json_object();
    json_t *active = json_array();
    if (!e || !active) {
        json_decref(e);
        json_decref(active);
        return NULL;
    }
    json_object_set_new(e, "name", json_string(c->node));
    json_object_set_new(e, "pods", json_integer(c->pods));
    for (size_t i = 0; i < c->nactive && i < RECORDING_MAX_ACTIVE; i++)
        json_array_append_new(active, json_string(c->active[i]));
    json_object_set_new(e, "active", active);
    if (c->nactive > RECORDING_MAX_ACTIVE)
        json_object_set_new(e, "activeCount", json_integer((json_int_t)c->nactive));
    if (c->missed && *c->missed)
        json_object_set_new(e, "missed", json_string(c->missed));
    if (c->since && *c->since)
        json_object_set_new(e, "since", json_string(c->since));
    return e;
}

/* Whether two node entries say the same, lastUpdate aside. */
static bool entry_same(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return false;
    json_t *x = json_copy((json_t *)a), *y = json_copy((json_t *)b);
    if (!x || !y) {
        json_decref(x);
        json_decref(y);
        return false;
    }
    json_object_del(x, "lastUpdate");
    json_object_del(y, "lastUpdate");
    bool same = json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return same;
}

static int cmp_entry(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "name"));
    return strcmp(x, y);
}

/* A node entry of the server's that is well formed enough to keep. */
static bool entry_ok(const json_t *e)
{
    const char *name = json_string_value(json_object_get(e, "name"));
    json_t *pods = json_object_get(e, "pods"), *active = json_object_get(e, "active");
    json_t *count = json_object_get(e, "activeCount"), *missed = json_object_get(e, "missed");
    return json_is_object(e) && name && *name && strlen(name) <= 253 &&
           (!pods || (json_is_integer(pods) && json_integer_value(pods) >= 0)) &&
           (!active || json_is_array(active)) &&
           (!count || (json_is_integer(count) && json_integer_value(count) >= 0)) &&
           (!missed || json_is_string(missed));
}

/* The server's condition of type, or NULL. */
static const json_t *server_condition(const json_t *server, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(server, "conditions"), i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

/* The condition of type with status, reason and message; its lastTransitionTime stays the
 * server's when the server's condition of that type has the same status, else now. */
static json_t *condition(const json_t *server, const char *type, bool status, const char *reason,
                         const char *message, int64_t generation, const char *now)
{
    const char *st = status ? "True" : "False";
    const char *since = now;
    const json_t *c = server_condition(server, type);
    const char *s = json_string_value(json_object_get(c, "status"));
    const char *ltt = json_string_value(json_object_get(c, "lastTransitionTime"));
    if (s && ltt && strcmp(s, st) == 0)
        since = ltt;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "type", type, "status", st, "reason", reason,
                     "message", message, "lastTransitionTime", since, "observedGeneration",
                     (json_int_t)generation);
}

struct server_entry {
    json_t *e;
    const char *name;
    size_t at; /* its place in the server's list */
};

static int cmp_server_entry(const void *a, const void *b)
{
    const struct server_entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

static int cmp_server_at(const void *a, const void *b)
{
    const struct server_entry *x = a, *y = b;
    return (x->at > y->at) - (x->at < y->at);
}

/* Appends to out the well-formed entries of the server's list (NULL: none) that are not node
 * mine's (that one is *ret_mine): the first of each name, the first RECORDING_MAX_NODES of them
 * in the server's order. Sorted by name to find the repeats: a merge by one node of 5,000
 * entries is not 12.5 million comparisons. */
static int other_entries(const json_t *list, const char *mine, json_t *out, const json_t **ret_mine,
                         char **w)
{
    size_t total = json_array_size(list);
    struct server_entry *v = calloc(total + 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (!entry_ok(e)) {
            warn(w, "%s", "a malformed node entry was dropped");
            continue;
        }
        const char *name = json_string_value(json_object_get(e, "name"));
        if (mine && strcmp(name, mine) == 0)
            *ret_mine = e;
        else
            v[n++] = (struct server_entry){e, name, i};
    }
    qsort(v, n, sizeof(*v), cmp_server_entry);
    size_t kept = 0;
    for (i = 0; i < n; i++)
        if (kept == 0 || strcmp(v[kept - 1].name, v[i].name) != 0)
            v[kept++] = v[i];
    if (kept > RECORDING_MAX_NODES) {
        qsort(v, kept, sizeof(*v), cmp_server_at);
        kept = RECORDING_MAX_NODES;
    }
    int r = 0;
    for (i = 0; i < kept && r == 0; i++)
        r = json_array_append(out, v[i].e) < 0 ? -ENOMEM : 0;
    free(v);
    return r;
}

/* ---- the size bound ---------------------------------------------------------------------- */

#define NAME_COST 256     /* an active name at most: 253 characters, quotes and a comma */
#define LIST_KEY_COST 12  /* ,"active":[] */
#define COUNT_KEY_COST 26 /* ,"activeCount":NNNNNNNNNN */
#define NOTE_KEY_COST 12  /* ,"missed":"" */
#define NOTE_MAX_LEN 4096 /* the CRD's maxLength of nodes[].missed */
#define SHORT_LEN (sizeof(RECORDING_SHORTENED) - 1)
/* The conditions (two messages at their bound), the counters and the keys. */
#define FIXED_COST (2 * RECORDING_MAX_MESSAGE + 2048)

/* What a status could not hold (sticky: once lost, the recording cannot be complete). */
enum {
    LOST_UNKNOWN = 1,  /* some of status.unknownSyscalls */
    LOST_SYSCALLS = 2, /* some of status.syscalls */
    LOST_NODES = 4,    /* node entries, and the notes of what they missed */
};
static const char *const lost_fields[] = {"status.unknownSyscalls", "status.syscalls",
                                          "status.nodes"};

/* The flags a server's Complete condition of reason TooLarge names. */
static unsigned lost_of(const json_t *server)
{
    unsigned lost = 0;
    const json_t *c = server_condition(server, "Complete");
    const char *reason = json_string_value(json_object_get(c, "reason"));
    const char *msg = json_string_value(json_object_get(c, "message"));
    if (!reason || !msg || strcmp(reason, "TooLarge") != 0)
        return 0;
    for (size_t f = 0; f < sizeof(lost_fields) / sizeof(*lost_fields); f++)
        if (strstr(msg, lost_fields[f]))
            lost |= 1u << f;
    return lost;
}

/* The Complete condition's message for lost (a function of the flags alone: every node writes
 * the same). */
static char *lost_message(unsigned lost)
{
    char fields[128] = "";
    for (size_t f = 0; f < sizeof(lost_fields) / sizeof(*lost_fields); f++)
        if (lost & (1u << f)) {
            size_t l = strlen(fields);
            snprintf(fields + l, sizeof(fields) - l, "%s%s", l ? ", " : "", lost_fields[f]);
        }
    char *msg = NULL;
    if (asprintf(&msg,
                 "the status could not hold everything the nodes recorded (at most %d bytes, "
                 "and %d syscall names per architecture): %s left out: calls seen may be "
                 "missing, so this recording cannot be complete (record fewer pods or nodes: "
                 "narrow spec.selector, and record again)",
                 RECORDING_MAX_STATUS_BYTES, RECORDED_MAX_NAMES, fields) < 0)
        return NULL;
    return msg;
}

static size_t json_size(const json_t *j)
{
    return j ? json_dumpb(j, NULL, 0, JSON_COMPACT) : 0;
}

/* The pods an entry says are recorded now: activeCount when its list was shortened. */
static size_t entry_active(const json_t *e)
{
    size_t n = json_array_size(json_object_get(e, "active"));
    json_int_t c = json_integer_value(json_object_get(e, "activeCount"));
    return c > 0 && (size_t)c > n ? (size_t)c : n;
}

/* What the bound needs to know of one node entry. The costs are functions of what trimming
 * keeps (a name left out of a list costs its most, a shortened note too), so that a trimmed
 * status trims to itself: no node sees a change to write in what another node trimmed. */
struct fit_entry {
    size_t base;    /* the entry without active, activeCount and missed, and its reserve */
    size_t count;   /* entry_active() */
    size_t nlisted; /* names in its active list */
    size_t *names;  /* names[j]: the cost of its first j names (nlisted + 1 of them) */
    size_t note;    /* the length of missed (0: none) */
    bool shortened; /* missed ends in RECORDING_SHORTENED */
};

static size_t names_cost(const struct fit_entry *f, size_t k)
{
    size_t listed = k < f->nlisted ? k : f->nlisted;
    size_t more = (k < f->count ? k : f->count) - listed;
    return f->names[listed] + more * NAME_COST;
}

/* A note's bytes when notes are cut to m bytes and RECORDING_SHORTENED (SIZE_MAX: as they
 * are); one shortened before counts as cut from the longest note. */
static size_t note_cost(const struct fit_entry *f, size_t m)
{
    size_t len = f->shortened ? NOTE_MAX_LEN : f->note;
    return m == SIZE_MAX || len <= m + SHORT_LEN ? len : m + SHORT_LEN;
}

/* The status's size with active lists of at most k names and notes of at most m bytes
 * (SIZE_MAX: notes as they are, a shortened one at its most). */
static size_t fit_cost(const struct fit_entry *f, size_t n, size_t fixed, size_t k, size_t m)
{
    size_t total = fixed;
    for (size_t i = 0; i < n; i++) {
        total += f[i].base + names_cost(&f[i], k);
        total += note_cost(&f[i], m);
    }
    return total;
}

/* The largest x of [0, hi] at which the status fits (x: the names per list, or with notes, the
 * bytes per note and no names), or SIZE_MAX when none does. The cost grows with x. */
static size_t fit_largest(const struct fit_entry *f, size_t n, size_t fixed, bool notes, size_t hi)
{
    size_t lo = 0, best = SIZE_MAX;
    while (lo <= hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t cost = notes ? fit_cost(f, n, fixed, 0, mid) : fit_cost(f, n, fixed, mid, SIZE_MAX);
        if (cost > RECORDING_MAX_STATUS_BYTES) {
            if (mid == 0)
                break;
            hi = mid - 1;
        } else {
            best = mid;
            lo = mid + 1;
        }
    }
    return best;
}

/* The entry e with its list cut to k names and its note to m bytes; e itself when it stays. */
static json_t *entry_trimmed(json_t *e, const struct fit_entry *f, size_t k, size_t m)
{
    bool cut_list = f->nlisted > k, cut_note = m != SIZE_MAX && f->note > m + SHORT_LEN;
    if (!cut_list && !cut_note)
        return json_incref(e);
    json_t *t = json_copy(e);
    if (!t)
        return NULL;
    if (cut_list) {
        json_t *list = json_array();
        for (size_t j = 0; list && j < k; j++)
            json_array_append(list, json_array_get(json_object_get(e, "active"), j));
        json_object_set_new(t, "active", list);
        json_object_set_new(t, "activeCount", json_integer((json_int_t)f->count));
    }
    if (cut_note) {
        const char *note = json_string_value(json_object_get(e, "missed"));
        size_t keep = m;
        while (keep > 0 && ((unsigned char)note[keep] & 0xC0) == 0x80)
            keep--; /* not inside a UTF-8 sequence */
        char *s = NULL;
        if (asprintf(&s, "%.*s%s", (int)keep, note, RECORDING_SHORTENED) < 0) {
            json_decref(t);
            return NULL;
        }
        json_object_set_new(t, "missed", json_string(s));
        free(s);
    }
    return t;
}

/* Trims nodes (sorted by name), *sys and *unk to RECORDING_MAX_STATUS_BYTES: the active lists
 * to one number of names, then the missed notes to one length (a shortened note still says
 * that calls may be missing), then the node entries past those that fit in name order, and
 * before all that, when the syscalls alone do not fit, the unknown numbers and then the
 * architectures last in name order. The last two lose what the recording holds: *ret_lost
 * gets the LOST_ flags of what was left out. */
static int fit_status(json_t *nodes, json_t **sys, json_t **unk, unsigned *ret_lost)
{
    unsigned lost = 0;
    size_t fixed = json_size(*sys) + json_size(*unk) + FIXED_COST;
    if (fixed > RECORDING_MAX_STATUS_BYTES && *unk) {
        json_decref(*unk);
        *unk = NULL;
        fixed = json_size(*sys) + FIXED_COST;
        lost |= LOST_UNKNOWN;
    }
    while (fixed > RECORDING_MAX_STATUS_BYTES && json_object_size(*sys)) {
        const char *last = NULL, *key;
        json_t *v;
        json_object_foreach(*sys, key, v)
        {
            if (!last || strcmp(key, last) > 0)
                last = key;
        }
        json_object_del(*sys, last);
        fixed = json_size(*sys) + FIXED_COST;
        lost |= LOST_SYSCALLS;
    }

    size_t n = json_array_size(nodes), total_names = 0;
    for (size_t i = 0; i < n; i++)
        total_names += json_array_size(json_object_get(json_array_get(nodes, i), "active")) + 1;
    struct fit_entry *f = calloc(n + 1, sizeof(*f));
    size_t *costs = calloc(total_names + 1, sizeof(*costs));
    if (!f || !costs) {
        free(f);
        free(costs);
        return -ENOMEM;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(nodes, i), *list = json_object_get(e, "active");
        json_t *bare = json_copy(e);
        if (!bare) {
            free(f);
            free(costs);
            return -ENOMEM;
        }
        json_object_del(bare, "active");
        json_object_del(bare, "activeCount");
        json_object_del(bare, "missed");
        const char *note = json_string_value(json_object_get(e, "missed"));
        f[i].base = json_size(bare) + 1 + RECORDING_ENTRY_RESERVE + (list ? LIST_KEY_COST : 0) +
                    (note ? NOTE_KEY_COST : 0) + (entry_active(e) ? COUNT_KEY_COST : 0) +
                    strlen(json_string_value(json_object_get(e, "name")));
        json_decref(bare);
        f[i].count = entry_active(e);
        f[i].nlisted = json_array_size(list);
        f[i].names = costs + at;
        for (size_t j = 0; j < f[i].nlisted; j++)
            f[i].names[j + 1] = f[i].names[j] + json_string_length(json_array_get(list, j)) + 3;
        at += f[i].nlisted + 1;
        f[i].note = note ? strlen(note) : 0;
        f[i].shortened = note && f[i].note >= SHORT_LEN &&
                         strcmp(note + f[i].note - SHORT_LEN, RECORDING_SHORTENED) == 0;
    }
    size_t k = RECORDING_MAX_ACTIVE, m = SIZE_MAX, keep = n;
    if (fit_cost(f, n, fixed, k, SIZE_MAX) > RECORDING_MAX_STATUS_BYTES) {
        k = fit_largest(f, n, fixed, false, RECORDING_MAX_ACTIVE);
        if (k == SIZE_MAX) {
            k = 0;
            m = fit_largest(f, n, fixed, true, NOTE_MAX_LEN - SHORT_LEN);
            if (m == SIZE_MAX) {
                m = 0;
                size_t total = fixed;
                for (keep = 0; keep < n; keep++) {
                    total += f[keep].base + note_cost(&f[keep], 0);
                    if (total > RECORDING_MAX_STATUS_BYTES)
                        break;
                }
            }
        }
    }
    int r = 0;
    for (size_t i = 0; i < keep && r == 0; i++) {
        json_t *t = entry_trimmed(json_array_get(nodes, i), &f[i], k, m);
        r = t && json_array_set_new(nodes, i, t) == 0 ? 0 : -ENOMEM;
    }
    free(f);
    free(costs);
    if (r < 0)
        return r;
    /* The costs above are the most a name can take, but a note's bytes as they are: one that
     * JSON escapes takes more. What still does not fit goes, last first. */
    size_t total = fixed + json_size(nodes);
    for (size_t i = 0; i < keep; i++)
        total += strlen(json_string_value(json_object_get(json_array_get(nodes, i), "name"))) +
                 RECORDING_ENTRY_RESERVE;
    while (keep > 0 && total > RECORDING_MAX_STATUS_BYTES) {
        json_t *e = json_array_get(nodes, --keep);
        total -= json_size(e) + 1 + strlen(json_string_value(json_object_get(e, "name"))) +
                 RECORDING_ENTRY_RESERVE;
    }
    if (keep < n) {
        lost |= LOST_NODES;
        while (json_array_size(nodes) > keep)
            json_array_remove(nodes, json_array_size(nodes) - 1);
    }
    *ret_lost = lost;
    return 0;
}

int recording_status_merge(const json_t *server, const struct recording_contribution *c,
                           enum recording_state state, const char *state_message,
                           int64_t generation, const char *now, json_t **ret, bool *ret_changed,
                           char **ret_warning)
{
    char *w = NULL;
    if (server && !json_is_object(server)) {
        warn(&w, "%s", "status is not an object: written anew");
        server = NULL;
    }
    /* The syscalls: the server's, and ours. */
    struct kerr err = {0};
    _cleanup_(recorded_freep) struct recorded *all = NULL;
    if (recorded_from_json(server ? json_object_get(server, "syscalls") : NULL,
                           server ? json_object_get(server, "unknownSyscalls") : NULL, "status",
                           &all, &err) < 0) {
        warn(&w, "%s (dropped)", err.msg);
        int r = recorded_new(&all);
        if (r < 0) {
            free(w);
            return r;
        }
    }
    /* What an earlier merge could not hold stays said: it is not in the status any more. */
    unsigned lost = lost_of(server);
    if (c && c->seen) {
        int r = recorded_merge(all, c->seen);
        if (r == -E2BIG)
            lost |= LOST_SYSCALLS;
        else if (r < 0) {
            free(w);
            return r;
        }
    }
    json_t *sys = NULL, *unk = NULL;
    int r = recorded_to_json(all, &sys, &unk);
    if (r < 0) {
        free(w);
        return r;
    }
    _cleanup_json_ json_t *out = json_object();
    _cleanup_json_ json_t *nodes = json_array();
    if (!out || !nodes) {
        json_decref(sys);
        json_decref(unk);
        free(w);
        return -ENOMEM;
    }

    /* The nodes: every other node's entry as the server holds it, ours as it is now. */
    const json_t *old_mine = NULL;
    r = other_entries(server ? json_object_get(server, "nodes") : NULL, c ? c->node : NULL, nodes,
                      &old_mine, &w);
    if (r < 0) {
        json_decref(sys);
        json_decref(unk);
        free(w);
        return r;
    }
    if (c && c->has_entry) {
        json_t *mine = node_entry(c);
        if (!mine) {
            json_decref(sys);
            json_decref(unk);
            free(w);
            return -ENOMEM;
        }
        /* With its lastUpdate (as written) while the status is fitted to its bound; the old
         * one again after if the entry, trimmed, says what the server's says. */
        json_object_set_new(mine, "lastUpdate", json_string(now));
        json_array_append_new(nodes, mine);
    } else if (old_mine) {
        json_array_append(nodes, (json_t *)old_mine);
    }
    /* A stable order: the same merge gives the same bytes on every node. */
    size_t i, n = json_array_size(nodes);
    json_t **v = calloc(n + 1, sizeof(*v));
    if (!v) {
        json_decref(sys);
        json_decref(unk);
        free(w);
        return -ENOMEM;
    }
    for (i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(nodes, i));
    qsort(v, n, sizeof(*v), cmp_entry);
    json_array_clear(nodes);
    for (i = 0; i < n; i++)
        json_array_append_new(nodes, v[i]);
    unsigned cut = 0;
    r = fit_status(nodes, &sys, &unk, &cut);
    if (r < 0) {
        free(v);
        json_decref(sys);
        json_decref(unk);
        free(w);
        return r;
    }
    lost |= cut;
    n = json_array_size(nodes);
    for (i = 0; i < n; i++) {
        json_t *e = json_array_get(nodes, i);
        const char *name = json_string_value(json_object_get(e, "name"));
        if (c && c->has_entry && strcmp(name, c->node) == 0 && entry_same(e, old_mine))
            json_array_set(nodes, i, (json_t *)old_mine);
        v[i] = json_incref(json_array_get(nodes, i));
    }
    json_array_clear(nodes);
    int64_t pods = 0, nodes_seen = 0, active = 0;
    char *missed = NULL;
    size_t missed_len = 0, missed_left = 0; /* nodes whose note did not fit */
    for (i = 0; i < n; i++) {
        json_int_t p = json_integer_value(json_object_get(v[i], "pods"));
        pods += p;
        nodes_seen += p > 0;
        active += (int64_t)entry_active(v[i]);
        const char *m = json_string_value(json_object_get(v[i], "missed"));
        if (m && *m) {
            const char *name = json_string_value(json_object_get(v[i], "name"));
            char *line = NULL;
            /* The condition's message has a bound (the CRD's): the notes that do not fit are
             * counted, each is in its node's entry. */
            if (missed_len + strlen(name) + strlen(m) + 4 > RECORDING_MAX_MESSAGE - 128)
                missed_left++;
            else if (asprintf(&line, "%s%s%s: %s", missed ? missed : "", missed ? "; " : "", name,
                              m) >= 0) {
                free(missed);
                missed = line;
                missed_len = strlen(line);
            }
        }
        json_array_append_new(nodes, v[i]);
    }
    free(v);
    if (missed_left) {
        char *line = NULL;
        if (asprintf(&line, "%s%s%zu more node%s: see their entries in nodes[].missed",
                     missed ? missed : "", missed ? "; and " : "", missed_left,
                     missed_left == 1 ? "" : "s") >= 0) {
            free(missed);
            missed = line;
        }
    }

    /* The conditions, which every node computes alike from the merged entries. */
    char msg[512];
    json_t *recording;
    if (state == RECORDING_INVALID)
        recording =
            condition(server, "Recording", false, "Invalid", state_message, generation, now);
    else if (state == RECORDING_CONFLICT)
        recording =
            condition(server, "Recording", false, "Conflict", state_message, generation, now);
    else if (active > 0) {
        snprintf(msg, sizeof(msg), "%lld pod%s being recorded, on %lld node%s", (long long)active,
                 active == 1 ? "" : "s", (long long)nodes_seen, nodes_seen == 1 ? "" : "s");
        recording = condition(server, "Recording", true, "Recording", msg, generation, now);
    } else {
        snprintf(msg, sizeof(msg),
                 "no pod that the recording selects runs now (%lld recorded so far): pods are "
                 "recorded when they reference the policy's file and the selector matches them",
                 (long long)pods);
        recording = condition(server, "Recording", false, "NoPods", msg, generation, now);
    }
    /* Fail closed: what the status could not hold outweighs what a node says it missed. */
    char *lost_msg = lost ? lost_message(lost) : NULL;
    json_t *complete =
        lost_msg ? condition(server, "Complete", false, "TooLarge", lost_msg, generation, now)
        : missed ? condition(server, "Complete", false, "MayHaveMissed", missed, generation, now)
                 : condition(server, "Complete", true, "Complete",
                             "no node knows of calls it may have missed", generation, now);
    free(lost_msg);
    free(missed);
    json_t *conds = json_array();
    if (!recording || !complete || !conds) {
        json_decref(recording);
        json_decref(complete);
        json_decref(conds);
        json_decref(sys);
        json_decref(unk);
        free(w);
        return -ENOMEM;
    }
    json_array_append_new(conds, recording);
    json_array_append_new(conds, complete);

    json_object_set_new(out, "observedGeneration", json_integer(generation));
    json_object_set_new(out, "conditions", conds);
    if (sys)
        json_object_set_new(out, "syscalls", sys);
    if (unk)
        json_object_set_new(out, "unknownSyscalls", unk);
    json_object_set_new(out, "podsSeen", json_integer(pods));
    json_object_set_new(out, "nodesSeen", json_integer(nodes_seen));
    if (json_array_size(nodes))
        json_object_set(out, "nodes", nodes);
    *ret_changed = !server || !json_equal((json_t *)server, out);
    *ret = json_incref(out);
    *ret_warning = w;
    return 0;
}

int recording_status_syscalls(const json_t *status, struct recorded **ret, struct kerr *err)
{
    if (status && !json_is_object(status))
        return kerr_set(err, -EINVAL, "status: must be an object");
    return recorded_from_json(status ? json_object_get(status, "syscalls") : NULL,
                              status ? json_object_get(status, "unknownSyscalls") : NULL, "status",
                              ret, err);
}

void recording_spec_clear(struct recording_spec *s)
{
    free(s->ns);
    free(s->name);
    free(s->uid);
    free(s->created);
    free(s->policy);
    free(s->error);
    selector_free(&s->selector);
    *s = (struct recording_spec){0};
}

static int __attribute__((format(printf, 2, 3)))
spec_error(struct recording_spec *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&s->error, fmt, ap);
    va_end(ap);
    if (r < 0) {
        s->error = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* Reads spec into s: 0 with s->error set when it cannot be used, -ENOMEM. */
static int spec_parse(struct recording_spec *s, const json_t *spec, const char *who)
{
    const char *key;
    json_t *v;
    if (!json_is_object(spec))
        return spec_error(s, "%s: spec: required, an object", who);
    json_object_foreach((json_t *)spec, key, v)
    {
        if (strcmp(key, "policy") != 0 && strcmp(key, "selector") != 0) {
            static const char *const fields[] = {"policy", "selector", NULL};
            char hint[200];
            return spec_error(s, "%s: spec.%.64s: unknown field%s", who, key,
                              spell_key_hint(key, fields, hint, sizeof(hint)));
        }
    }
    const char *policy = json_string_value(json_object_get(spec, "policy"));
    if (!policy || !dns_subdomain_valid(policy))
        return spec_error(s,
                          "%s: spec.policy: must name a SeccompPolicy (a DNS-1123 subdomain: "
                          "lower-case letters, digits, '-' and '.'), not \"%.64s\"",
                          who, policy ? policy : "");
    if (!(s->policy = strdup(policy)))
        return -ENOMEM;
    json_t *sel = json_object_get(spec, "selector");
    if (sel && !json_is_null(sel)) {
        struct ynode *doc = NULL;
        struct kerr e2 = {0};
        int r = ydoc_from_json(sel, &doc, &e2);
        if (r == 0)
            r = decode_label_selector(doc, "", who, "spec.selector", &s->selector, &e2);
        ynode_free(doc);
        if (r == -EINVAL)
            return (s->error = strdup(e2.msg)) ? 0 : -ENOMEM;
        if (r < 0)
            return r;
    }
    s->selector.present = true; /* omitted or {}: every pod that uses the policy's file */
    return 0;
}

int recording_spec_decode(const json_t *obj, struct recording_spec *ret, struct kerr *err)
{
    json_t *meta = json_object_get(obj, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    if (!ns || !name || !dns_label_valid(ns) || !dns_subdomain_valid(name))
        return kerr_set(err, -EINVAL,
                        "SeccompRecording: metadata.namespace and metadata.name "
                        "must be a DNS-1123 label and subdomain");
    _cleanup_(recording_spec_clear) struct recording_spec s = {0};
    const char *uid = json_string_value(json_object_get(meta, "uid"));
    const char *created = json_string_value(json_object_get(meta, "creationTimestamp"));
    s.ns = strdup(ns);
    s.name = strdup(name);
    s.uid = strdup(uid ? uid : "");
    s.created = strdup(created ? created : "");
    s.generation = json_integer_value(json_object_get(meta, "generation"));
    if (!s.ns || !s.name || !s.uid || !s.created)
        return kerr_set(err, -ENOMEM, "out of memory");
    char who[320];
    snprintf(who, sizeof(who), "SeccompRecording %s/%s", ns, name);
    int r = spec_parse(&s, json_object_get(obj, "spec"), who);
    if (r < 0)
        return kerr_set(err, r, "out of memory");
    *ret = TAKE_STRUCT(s);
    return 0;
}
