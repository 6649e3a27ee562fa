/* test_recording_status.c - many nodes, one status: merges in any order give one union, a node
 * that adds nothing changes nothing (no write), each node owns its entry, the conditions
 * follow the entries, malformed server status is dropped with a warning, not a crash. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/recording_status.h"

#define NOW "2026-01-02T03:04:05Z"
#define LATER "2026-01-02T03:09:00Z"

static struct recorded *rec_of(const char *arch, const char *const *names)
{
    struct recorded *r = NULL;
    assert_int_equal(recorded_new(&r), 0);
    for (; names && *names; names++)
        assert_true(recorded_add_name(r, arch_parse(arch), *names) >= 0);
    return r;
}

static json_t *merge(const json_t *server, const struct recording_contribution *c, const char *now,
                     bool *changed)
{
    json_t *out = NULL;
    char *warning = NULL;
    assert_int_equal(
        recording_status_merge(server, c, RECORDING_VALID, NULL, 3, now, &out, changed, &warning),
        0);
    assert_null(warning);
    return out;
}

/* merge(), a warning allowed (freed). */
static json_t *merge_warned(const json_t *server, const struct recording_contribution *c)
{
    json_t *out = NULL;
    char *warning = NULL;
    bool changed;
    assert_int_equal(
        recording_status_merge(server, c, RECORDING_VALID, NULL, 3, NOW, &out, &changed, &warning),
        0);
    free(warning);
    return out;
}

static const char *cond(const json_t *st, const char *type, const char *field)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(st, "conditions"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0)
            return json_string_value(json_object_get(c, field));
    }
    return NULL;
}

static void test_first_contribution(void **state)
{
    struct recorded *seen = rec_of("x86_64", (const char *[]){"read", "write", NULL});
    const char *active[] = {"web-1"};
    struct recording_contribution c = {
        .node = "n1", .has_entry = true, .seen = seen, .pods = 1, .active = active, .nactive = 1};
    bool changed;
    json_t *st = merge(NULL, &c, NOW, &changed);
    assert_true(changed);
    assert_int_equal(json_integer_value(json_object_get(st, "podsSeen")), 1);
    assert_int_equal(json_integer_value(json_object_get(st, "nodesSeen")), 1);
    assert_int_equal(json_integer_value(json_object_get(st, "observedGeneration")), 3);
    assert_string_equal(cond(st, "Recording", "status"), "True");
    assert_string_equal(cond(st, "Recording", "reason"), "Recording");
    assert_string_equal(cond(st, "Complete", "status"), "True");
    json_t *x = json_object_get(json_object_get(st, "syscalls"), "x86_64");
    assert_int_equal(json_array_size(x), 2);
    json_t *node = json_array_get(json_object_get(st, "nodes"), 0);
    assert_string_equal(json_string_value(json_object_get(node, "lastUpdate")), NOW);

    /* The same again, later: nothing new, nothing to write, nothing moves. */
    json_t *again = merge(st, &c, LATER, &changed);
    assert_false(changed);
    assert_true(json_equal(st, again));
    json_decref(again);
    json_decref(st);
    recorded_free(seen);
}

/* Property: nodes merging their contributions one after another, in any order, each from the
 * status the previous one wrote (the resourceVersion rule), end with the union of all and
 * every node's entry; merging any contribution again changes nothing. */
static void test_union_any_order(void **state)
{
    enum { NODES = 6 };
    static const char *const pool[] = {"read",  "write", "openat", "close", "mmap",   "futex",
                                       "brk",   "ioctl", "socket", "bind",  "accept", "clone3",
                                       "mkdir", "rmdir", "getpid", "uname"};
    unsigned seed = 7;
    for (int round = 0; round < 200; round++) {
        struct recorded *seen[NODES];
        char names[NODES][16];
        struct recording_contribution c[NODES];
        const char *active[NODES][1];
        struct recorded *want = NULL;
        assert_int_equal(recorded_new(&want), 0);
        for (int i = 0; i < NODES; i++) {
            assert_int_equal(recorded_new(&seen[i]), 0);
            int n = (int)(rand_r(&seed) % 6);
            for (int k = 0; k < n; k++) {
                const char *arch = rand_r(&seed) % 4 ? "x86_64" : "x86";
                const char *s = pool[rand_r(&seed) % (sizeof(pool) / sizeof(pool[0]))];
                assert_true(recorded_add_name(seen[i], arch_parse(arch), s) >= 0);
                assert_true(recorded_add_name(want, arch_parse(arch), s) >= 0);
            }
            snprintf(names[i], sizeof(names[i]), "node-%d", i);
            active[i][0] = "p";
            c[i] = (struct recording_contribution){.node = names[i],
                                                   .has_entry = true,
                                                   .seen = seen[i],
                                                   .pods = i + 1,
                                                   .active = active[i],
                                                   .nactive = i % 2};
        }
        int order[NODES];
        for (int i = 0; i < NODES; i++)
            order[i] = i;
        for (int i = NODES - 1; i > 0; i--) {
            int j = (int)(rand_r(&seed) % (unsigned)(i + 1));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        json_t *st = NULL;
        for (int i = 0; i < NODES; i++) {
            bool changed;
            json_t *next = merge(st, &c[order[i]], NOW, &changed);
            json_decref(st);
            st = next;
        }
        struct recorded *got = NULL;
        struct kerr err = {0};
        assert_int_equal(recording_status_syscalls(st, &got, &err), 0);
        assert_true(recorded_equal(got, want));
        assert_int_equal(json_array_size(json_object_get(st, "nodes")), NODES);
        assert_int_equal(json_integer_value(json_object_get(st, "podsSeen")),
                         NODES * (NODES + 1) / 2);
        for (int i = 0; i < NODES; i++) {
            bool changed;
            json_t *again = merge(st, &c[i], LATER, &changed);
            assert_false(changed);
            json_decref(again);
        }
        json_decref(st);
        recorded_free(got);
        recorded_free(want);
        for (int i = 0; i < NODES; i++)
            recorded_free(seen[i]);
    }
}

/* A node whose pods stopped: its entry says so; when no node has active pods, NoPods. A node
 * that says it may have missed calls turns Complete False, naming it. */
static void test_conditions_follow_entries(void **state)
{
    const char *active[] = {"web-1"};
    struct recording_contribution a = {
        .node = "n1", .has_entry = true, .pods = 1, .active = active, .nactive = 1};
    bool changed;
    json_t *st = merge(NULL, &a, NOW, &changed);
    assert_string_equal(cond(st, "Recording", "status"), "True");
    a.nactive = 0;
    a.missed = "the agent restarted without pinned maps";
    json_t *st2 = merge(st, &a, LATER, &changed);
    assert_true(changed);
    assert_string_equal(cond(st2, "Recording", "reason"), "NoPods");
    assert_string_equal(cond(st2, "Recording", "lastTransitionTime"), LATER);
    assert_string_equal(cond(st2, "Complete", "status"), "False");
    assert_non_null(strstr(cond(st2, "Complete", "message"), "n1: the agent restarted"));
    /* Another node with nothing to say keeps the entries as they are. */
    struct recording_contribution b = {.node = "n2"};
    json_t *st3 = merge(st2, &b, LATER, &changed);
    assert_false(changed);
    json_decref(st3);
    /* Invalid and Conflict come from the verdict every node computes alike. */
    json_t *out = NULL;
    char *w = NULL;
    assert_int_equal(recording_status_merge(st2, &b, RECORDING_CONFLICT,
                                            "SeccompRecording demo/first records policy web "
                                            "already",
                                            3, LATER, &out, &changed, &w),
                     0);
    assert_true(changed);
    assert_string_equal(cond(out, "Recording", "reason"), "Conflict");
    assert_string_equal(cond(out, "Recording", "status"), "False");
    assert_non_null(strstr(cond(out, "Recording", "message"), "demo/first"));
    json_decref(out);
    /* A spec that cannot be read (an invalid policy name): Invalid, the reason in the message,
     * and the entries as they were. */
    out = NULL;
    assert_int_equal(recording_status_merge(st2, &b, RECORDING_INVALID,
                                            "spec.policy: \"Bad_Name\" is not a DNS-1123 "
                                            "subdomain",
                                            3, LATER, &out, &changed, &w),
                     0);
    assert_true(changed);
    assert_string_equal(cond(out, "Recording", "reason"), "Invalid");
    assert_string_equal(cond(out, "Recording", "status"), "False");
    assert_non_null(strstr(cond(out, "Recording", "message"), "spec.policy"));
    assert_non_null(json_object_get(out, "nodes"));
    json_decref(out);
    json_decref(st2);
    json_decref(st);
}

/* Many nodes that each say what they may have missed (4096 characters each, the CRD's bound
 * of an entry's note): the Complete message stays within the CRD's 32768 (a longer one makes
 * the API server refuse every node's status write, 422), and says how many did not fit. */
static void test_complete_message_bounded(void **state)
{
    json_t *server = json_pack("{s:[]}", "nodes");
    char note[4001];
    memset(note, 'm', sizeof(note) - 1);
    note[sizeof(note) - 1] = '\0';
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof(name), "node-%02d", i);
        json_array_append_new(
            json_object_get(server, "nodes"),
            json_pack("{s:s, s:i, s:[], s:s}", "name", name, "pods", 1, "active", "missed", note));
    }
    const char *active[] = {"web-1"};
    struct recording_contribution c = {
        .node = "n1", .has_entry = true, .pods = 1, .active = active, .nactive = 1};
    bool changed;
    json_t *st = merge(server, &c, NOW, &changed);
    const char *msg = cond(st, "Complete", "message");
    assert_non_null(msg);
    assert_true(strlen(msg) <= RECORDING_MAX_MESSAGE);
    assert_non_null(strstr(msg, "node-00: mmm"));
    assert_non_null(strstr(msg, "more nodes: see their entries"));
    assert_string_equal(cond(st, "Complete", "status"), "False");
    json_decref(st);
    json_decref(server);
}

/* A spec the agent cannot use (the CRD's schema refuses these, an older CRD or none may not):
 * decoded all the same, with an error naming the recording and the field, for the Invalid
 * condition; an unreadable identity is refused. */
static void test_spec_decode_bad(void **state)
{
    static const struct {
        const char *spec;
        const char *want;
    } cases[] = {
        {"{\"policy\": \"Bad_Name\"}", "spec.policy: must name a SeccompPolicy"},
        {"{\"policy\": \"\"}", "spec.policy"},
        {"{\"policy\": 7}", "spec.policy"},
        {"{}", "spec.policy"},
        {"{\"policy\": \"web\", \"podSelector\": {}}",
         "spec.podSelector: unknown field; did you mean \"selector\"?"},
        {"{\"policy\": \"web\", \"polcy\": \"x\"}",
         "spec.polcy: unknown field; did you mean \"policy\"?"},
        {"{\"policy\": \"web\", \"selector\": {\"matchLabels\": {\"app\": 5}}}", "spec.selector"},
        {"[]", "spec: required"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "{\"metadata\": {\"namespace\": \"demo\", \"name\": \"rec\", \"uid\": "
                 "\"u1\"}, \"spec\": %s}",
                 cases[i].spec);
        json_t *obj = json_loads(text, 0, NULL);
        assert_non_null(obj);
        struct recording_spec spec = {0};
        struct kerr err = {0};
        assert_int_equal(recording_spec_decode(obj, &spec, &err), 0);
        assert_non_null(spec.error);
        assert_non_null(strstr(spec.error, "SeccompRecording demo/rec"));
        if (!strstr(spec.error, cases[i].want))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, spec.error, cases[i].want);
        recording_spec_clear(&spec);
        json_decref(obj);
    }
    /* A good one has no error; without a readable identity, -EINVAL. */
    json_t *good = json_loads("{\"metadata\": {\"namespace\": \"demo\", \"name\": \"rec\"}, "
                              "\"spec\": {\"policy\": \"web\"}}",
                              0, NULL);
    struct recording_spec spec = {0};
    struct kerr err = {0};
    assert_int_equal(recording_spec_decode(good, &spec, &err), 0);
    assert_null(spec.error);
    assert_string_equal(spec.policy, "web");
    recording_spec_clear(&spec);
    json_decref(good);
    json_t *noname = json_loads("{\"metadata\": {\"namespace\": \"demo\"}, \"spec\": {}}", 0, NULL);
    assert_int_equal(recording_spec_decode(noname, &spec, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "metadata.name"));
    json_decref(noname);
}

static void test_malformed_server(void **state)
{
    static const char *const bad[] = {
        "[]",
        "{\"syscalls\": {\"x86_64\": \"read\"}}",
        "{\"syscalls\": {\"sparc\": [\"read\"]}, \"nodes\": 3}",
        "{\"nodes\": [{\"pods\": 1}, {\"name\": 5}, {\"name\": \"n1\", \"pods\": -2}, 7]}",
        "{\"conditions\": [{\"type\": 1}], \"unknownSyscalls\": {\"x86\": [-1]}}",
    };
    const char *active[] = {"web-1"};
    struct recording_contribution c = {
        .node = "n1", .has_entry = true, .pods = 1, .active = active, .nactive = 1};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *server = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        assert_non_null(server);
        json_t *out = NULL;
        bool changed;
        char *w = NULL;
        assert_int_equal(
            recording_status_merge(server, &c, RECORDING_VALID, NULL, 1, NOW, &out, &changed, &w),
            0);
        assert_true(changed);
        assert_int_equal(json_array_size(json_object_get(out, "nodes")), 1);
        free(w);
        json_decref(out);
        json_decref(server);
    }
}

/* The server's entries: the first of each name kept (a repeat dropped), ours replaced, and at
 * most RECORDING_MAX_NODES, the first in the server's order; the result sorted by name. */
static void test_server_entries_repeats_and_cap(void **state)
{
    (void)state;
    json_t *list = json_array();
    /* n5001..n0 (reversed), each twice (the second says pods 9), ours (n1) among them. */
    for (int pass = 0; pass < 2; pass++)
        for (int k = RECORDING_MAX_NODES + 1; k >= 0; k--) {
            char name[16];
            snprintf(name, sizeof(name), "n%d", k);
            json_array_append_new(
                list, json_pack("{s:s, s:i, s:[]}", "name", name, "pods", pass ? 9 : 1, "active"));
        }
    json_t *server = json_pack("{s:o}", "nodes", list);
    const char *active[] = {"web-1"};
    struct recording_contribution c = {
        .node = "n1", .has_entry = true, .pods = 2, .active = active, .nactive = 1};
    bool changed;
    json_t *out = merge(server, &c, NOW, &changed);
    json_t *nodes = json_object_get(out, "nodes");
    /* 5,001 others (n0..n5001 less n1): the first 5,000 in the server's order are n5001..n2,
     * n0 is left out; and ours. */
    assert_int_equal(json_array_size(nodes), RECORDING_MAX_NODES + 1);
    const char *prev = "";
    bool saw_n0 = false, saw_mine = false;
    size_t i;
    json_t *e;
    json_array_foreach(nodes, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        assert_true(strcmp(prev, name) < 0); /* sorted, no repeat */
        prev = name;
        saw_n0 |= strcmp(name, "n0") == 0;
        if (strcmp(name, "n1") == 0) {
            saw_mine = true;
            assert_int_equal(json_integer_value(json_object_get(e, "pods")), 2);
        } else {
            assert_int_equal(json_integer_value(json_object_get(e, "pods")), 1); /* the first */
        }
    }
    assert_true(!saw_n0 && saw_mine);
    json_decref(out);
    json_decref(server);
}

/* What the API server and etcd are asked to hold for st: its bytes, and per node entry its
 * name and a reserve once more (managedFields). */
static size_t stored_size(const json_t *st)
{
    size_t n = json_dumpb(st, NULL, 0, JSON_COMPACT), i;
    json_t *e;
    json_array_foreach(json_object_get(st, "nodes"), i, e)
    {
        n += strlen(json_string_value(json_object_get(e, "name"))) + RECORDING_ENTRY_RESERVE;
    }
    return n;
}

/* nnodes entries named node-NNNNN (padded to name_len), each with nactive pods of 60
 * characters and a note of note_len bytes (0: none). */
static json_t *big_server(size_t nnodes, size_t nactive, size_t note_len, size_t name_len)
{
    json_t *server = json_pack("{s:[]}", "nodes");
    char *note = calloc(note_len + 1, 1);
    memset(note, 'm', note_len);
    for (size_t i = 0; i < nnodes; i++) {
        char name[254];
        snprintf(name, sizeof(name), "node-%05zu%s", i, "");
        size_t l = strlen(name);
        while (l < name_len && l < sizeof(name) - 1)
            name[l++] = 'x';
        name[l] = '\0';
        json_t *active = json_array();
        for (size_t j = 0; j < nactive; j++) {
            char pod[64];
            snprintf(pod, sizeof(pod), "pod-%05zu-%03zu-%049d", i, j, 0);
            json_array_append_new(active, json_string(pod));
        }
        json_t *e = json_pack("{s:s, s:i, s:o, s:s}", "name", name, "pods", (int)nactive, "active",
                              active, "lastUpdate", NOW);
        if (note_len)
            json_object_set_new(e, "missed", json_string(note));
        json_array_append_new(json_object_get(server, "nodes"), e);
    }
    free(note);
    return server;
}

/* Merging st again with what node idx of the full status (before trimming) says, changes
 * nothing: no node trims what another trimmed into a status of its own (no writes back and
 * forth). */
static void assert_stable(const json_t *st, const json_t *full, size_t idx)
{
    json_t *e = json_array_get(json_object_get(full, "nodes"), idx);
    assert_non_null(e);
    size_t nactive = json_array_size(json_object_get(e, "active"));
    const char **active = calloc(nactive + 1, sizeof(*active));
    for (size_t j = 0; j < nactive; j++)
        active[j] = json_string_value(json_array_get(json_object_get(e, "active"), j));
    struct recording_contribution c = {
        .node = json_string_value(json_object_get(e, "name")),
        .has_entry = true,
        .pods = json_integer_value(json_object_get(e, "pods")),
        .active = active,
        .nactive = nactive,
        .missed = json_string_value(json_object_get(e, "missed")),
    };
    bool changed = true;
    json_t *again = merge(st, &c, LATER, &changed);
    assert_false(changed);
    json_decref(again);
    free(active);
}

/* Many nodes' active lists past the bound: the lists are cut to one length first (how many
 * there are stays, in activeCount and in the Recording condition), the notes and every entry
 * stay, and the status is under the bound. */
static void test_bound_trims_active_first(void **state)
{
    json_t *server = big_server(2000, 100, 100, 0);
    assert_true(stored_size(server) > RECORDING_MAX_STATUS_BYTES);
    const char *active[] = {"web-1"};
    struct recording_contribution c = {.node = "node-00007",
                                       .has_entry = true,
                                       .pods = 1,
                                       .active = active,
                                       .nactive = 1,
                                       .missed = "a note"};
    bool changed;
    json_t *st = merge(server, &c, NOW, &changed);
    assert_true(changed);
    assert_true(stored_size(st) <= RECORDING_MAX_STATUS_BYTES);
    json_t *nodes = json_object_get(st, "nodes");
    assert_int_equal(json_array_size(nodes), 2000);
    json_t *e0 = json_array_get(nodes, 0);
    size_t listed = json_array_size(json_object_get(e0, "active"));
    assert_true(listed < 100);
    assert_int_equal(json_integer_value(json_object_get(e0, "activeCount")), 100);
    assert_int_equal(strlen(json_string_value(json_object_get(e0, "missed"))), 100);
    for (size_t i = 1; i < 2000; i++)
        if (i != 7)
            assert_int_equal(json_array_size(json_object_get(json_array_get(nodes, i), "active")),
                             listed);
    assert_non_null(strstr(cond(st, "Recording", "message"), "199901 pods being recorded"));
    assert_string_equal(cond(st, "Complete", "reason"), "MayHaveMissed");
    assert_stable(st, server, 8);
    assert_stable(st, server, 1999);
    json_decref(st);
    json_decref(server);
}

/* Notes too many for the bound once no pod is listed: each is cut to one length and says so;
 * it still says that calls may be missing (Complete stays False), every entry stays. */
static void test_bound_trims_notes_next(void **state)
{
    json_t *server = big_server(1500, 3, 4000, 0);
    assert_true(stored_size(server) > RECORDING_MAX_STATUS_BYTES);
    struct recording_contribution c = {.node = "node-00003", .has_entry = true, .pods = 1};
    bool changed;
    json_t *st = merge(server, &c, NOW, &changed);
    assert_true(stored_size(st) <= RECORDING_MAX_STATUS_BYTES);
    json_t *nodes = json_object_get(st, "nodes");
    assert_int_equal(json_array_size(nodes), 1500);
    json_t *e0 = json_array_get(nodes, 0);
    assert_int_equal(json_array_size(json_object_get(e0, "active")), 0);
    assert_int_equal(json_integer_value(json_object_get(e0, "activeCount")), 3);
    const char *note = json_string_value(json_object_get(e0, "missed"));
    assert_true(strlen(note) < 4000);
    assert_non_null(strstr(note, RECORDING_SHORTENED));
    assert_string_equal(cond(st, "Complete", "status"), "False");
    assert_string_equal(cond(st, "Complete", "reason"), "MayHaveMissed");
    assert_stable(st, server, 1);
    json_decref(st);
    json_decref(server);
}

/* Entries that cannot fit even bare: the last ones by name are left out, and Complete says
 * so (reason TooLarge, naming status.nodes), for good: a merge that fits again does not
 * make it complete. */
static void test_bound_drops_entries_not_complete(void **state)
{
    json_t *server = big_server(5000, 0, 0, 200);
    struct recording_contribution c = {.node = "node-00002x", .has_entry = true, .pods = 1};
    bool changed;
    json_t *st = merge(server, &c, NOW, &changed);
    assert_true(stored_size(st) <= RECORDING_MAX_STATUS_BYTES);
    size_t kept = json_array_size(json_object_get(st, "nodes"));
    assert_true(kept > 100 && kept < 5000);
    assert_string_equal(cond(st, "Complete", "status"), "False");
    assert_string_equal(cond(st, "Complete", "reason"), "TooLarge");
    assert_non_null(strstr(cond(st, "Complete", "message"), "status.nodes"));
    assert_stable(st, server, 1);
    /* The entries gone (say, the nodes deleted), the status small again: still not complete. */
    json_object_set_new(st, "nodes", json_array());
    json_t *small = merge(st, &c, LATER, &changed);
    assert_string_equal(cond(small, "Complete", "reason"), "TooLarge");
    json_decref(small);
    json_decref(st);
    json_decref(server);
}

/* More distinct names on an architecture than a status holds: never Complete. */
static void test_syscalls_full_not_complete(void **state)
{
    json_t *names = json_array();
    for (int i = 0; i < 1024; i++) {
        char name[16];
        snprintf(name, sizeof(name), "call_%04d", i);
        json_array_append_new(names, json_string(name));
    }
    json_t *server = json_pack("{s:{s:o}}", "syscalls", "x86_64", names);
    struct recorded *seen = rec_of("x86_64", (const char *[]){"zzz_new", NULL});
    struct recording_contribution c = {.node = "n1", .has_entry = true, .seen = seen, .pods = 1};
    json_t *st = merge_warned(server, &c);
    assert_string_equal(cond(st, "Complete", "status"), "False");
    assert_string_equal(cond(st, "Complete", "reason"), "TooLarge");
    assert_non_null(strstr(cond(st, "Complete", "message"), "status.syscalls"));
    json_decref(st);
    json_decref(server);
    recorded_free(seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_contribution),
        cmocka_unit_test(test_union_any_order),
        cmocka_unit_test(test_conditions_follow_entries),
        cmocka_unit_test(test_spec_decode_bad),
        cmocka_unit_test(test_malformed_server),
        cmocka_unit_test(test_complete_message_bounded),
        cmocka_unit_test(test_server_entries_repeats_and_cap),
        cmocka_unit_test(test_bound_trims_active_first),
        cmocka_unit_test(test_bound_trims_notes_next),
        cmocka_unit_test(test_bound_drops_entries_not_complete),
        cmocka_unit_test(test_syscalls_full_not_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
