/* test_ydoc.c - the document tree: YAML streams and JSON values in, typed nodes with their
 * lines out; hostile and malformed input refused with "FILE:LINE: why", fast, without leaks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/cleanup.h"
#include "engine/doc.h"

/* The bytes the program has allocated and not freed: ASan's count under ASan (its allocator
 * replaces glibc's), else glibc's. */
#if defined(__SANITIZE_ADDRESS__)
size_t __sanitizer_get_current_allocated_bytes(void); /* the ASan runtime's */
static size_t heap_in_use(void)
{
    return __sanitizer_get_current_allocated_bytes();
}
#else
#include <malloc.h>
static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}
#endif

#define FILE_NAME "t.yaml"

/* ---- helpers ----------------------------------------------------------------------------- */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A malloc'd copy of s repeated n times, between head and tail; its length in *ret_len. */
static char *repeat(const char *head, const char *s, size_t n, const char *tail, size_t *ret_len)
{
    size_t hl = strlen(head), sl = strlen(s), tl = strlen(tail);
    size_t len = hl + sl * n + tl;
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    memcpy(buf, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(buf + hl + i * sl, s, sl);
    memcpy(buf + hl + sl * n, tail, tl);
    buf[len] = '\0';
    *ret_len = len;
    return buf;
}

struct parsed {
    struct ynode **docs;
    size_t n;
};

static void parsed_free(struct parsed *p)
{
    ydoc_free_all(p->docs, p->n);
    p->docs = NULL;
    p->n = 0;
}

/* Parses text that must be well-formed. */
static struct parsed parse_ok(const char *text)
{
    struct parsed p = {0};
    struct kerr err = {0};
    int r = ydoc_parse_yaml(text, strlen(text), FILE_NAME, &p.docs, &p.n, &err);
    if (r < 0)
        fail_msg("unexpected error %d: %s\n--- input:\n%s", r, err.msg, text);
    return p;
}

/* The node at a path of keys (for mappings) or "#N" (sequence index N). */
static const struct ynode *at(const struct ynode *n, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && n; tok = strtok_r(NULL, ".", &save)) {
        if (tok[0] == '#') {
            size_t i = strtoul(tok + 1, NULL, 10);
            n = n->kind == YN_SEQ && i < n->n ? n->items[i] : NULL;
        } else {
            n = ynode_get(n, tok);
        }
    }
    if (!n)
        fail_msg("no node at %s", path);
    return n;
}

/* ---- well-formed YAML -------------------------------------------------------------------- */

static void test_multi_document(void **state)
{
    struct parsed p = parse_ok("# a comment\n"
                               "apiVersion: v1\n"   /* 2 */
                               "kind: Namespace\n"  /* 3 */
                               "metadata:\n"        /* 4 */
                               "  name: demo\n"     /* 5 */
                               "---\n"              /* 6 */
                               "list:\n"            /* 7 */
                               "- a\n"              /* 8 */
                               "- {b: 1, c: [x]}\n" /* 9 */
                               "--- [1, 2]\n"       /* 10 */
                               "...\n");
    assert_int_equal(p.n, 3);
    const struct ynode *d0 = p.docs[0], *d1 = p.docs[1], *d2 = p.docs[2];
    assert_int_equal(d0->kind, YN_MAP);
    assert_int_equal(d0->n, 3);
    assert_string_equal(d0->keys[0], "apiVersion");
    assert_string_equal(d0->keys[2], "metadata");
    assert_int_equal(d0->line, 2);
    assert_string_equal(at(d0, "metadata.name")->str, "demo");
    assert_int_equal(at(d0, "metadata.name")->line, 5);
    assert_int_equal(at(d0, "metadata")->line, 5); /* a block mapping starts at its first key */

    assert_int_equal(d1->line, 7);
    const struct ynode *list = at(d1, "list");
    assert_int_equal(list->kind, YN_SEQ);
    assert_null(list->keys);
    assert_int_equal(list->n, 2);
    assert_int_equal(at(d1, "list.#0")->line, 8);
    assert_int_equal(at(d1, "list.#1")->kind, YN_MAP);
    assert_int_equal(at(d1, "list.#1.c.#0")->line, 9);
    assert_string_equal(at(d1, "list.#1.c.#0")->str, "x");

    assert_int_equal(d2->kind, YN_SEQ);
    assert_int_equal(d2->line, 10);
    assert_string_equal(d2->items[1]->str, "2");
    parsed_free(&p);
}

/* Documents that hold nothing ("---" alone, comments, a bare null) are skipped. */
static void test_empty_documents_skipped(void **state)
{
    static const struct {
        const char *text;
        size_t ndocs;
    } cases[] = {
        {"", 0},
        {"\n\n", 0},
        {"# only a comment\n", 0},
        {"---\n", 0},
        {"---\n---\n---\n", 0},
        {"---\n...\n---\n...\n", 0},
        {"~\n---\nnull\n", 0},
        {"---\n---\na: 1\n---\n# nothing\n---\nb: 2\n---\n", 2},
        {"%YAML 1.1\n---\na: 1\n", 1},
        {"\xef\xbb\xbf"
         "a: 1\n",
         1}, /* a byte order mark */
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        struct parsed p = parse_ok(cases[i].text);
        if (p.n != cases[i].ndocs)
            fail_msg("case %zu: %zu documents, want %zu", i, p.n, cases[i].ndocs);
        parsed_free(&p);
    }
    /* The lines of later documents count the skipped ones. */
    struct parsed p = parse_ok("---\n---\n\n---\nk: v\n");
    assert_int_equal(p.n, 1);
    assert_int_equal(at(p.docs[0], "k")->line, 5);
    parsed_free(&p);
}

/* Lines with CRLF endings, folded and literal scalars, and flow collections over lines. */
static void test_line_numbers(void **state)
{
    struct parsed p = parse_ok("a: 1\r\n"     /* 1 */
                               "b: |\r\n"     /* 2 */
                               "  one\r\n"    /* 3 */
                               "  two\r\n"    /* 4 */
                               "c: [\r\n"     /* 5 */
                               "  x,\r\n"     /* 6 */
                               "  y]\r\n"     /* 7 */
                               "d:\r\n"       /* 8 */
                               "  - e: 1\r\n" /* 9 */
                               "    f: \"q\"\r\n" /* 10 */);
    assert_int_equal(p.n, 1);
    const struct ynode *d = p.docs[0];
    assert_int_equal(at(d, "a")->line, 1);
    assert_int_equal(at(d, "b")->line, 2);
    assert_string_equal(at(d, "b")->str, "one\ntwo\n");
    assert_int_equal(at(d, "c")->line, 5);
    assert_int_equal(at(d, "c.#0")->line, 6);
    assert_int_equal(at(d, "c.#1")->line, 7);
    assert_int_equal(at(d, "d.#0.e")->line, 9);
    assert_int_equal(at(d, "d.#0.f")->line, 10);
    assert_string_equal(at(d, "d.#0.f")->str, "q");
    parsed_free(&p);
}

/* Plain scalars are typed as kubectl reads them (YAML 1.1, as go-yaml v2 resolves it), so
 * that kscmp and the API server see the same object in one file; whole numbers come out as
 * their decimal text and booleans as "true" or "false". Quoted and !!str ones are strings. */
static void test_scalar_types(void **state)
{
    static const struct {
        const char *value;
        enum yscalar type;
        const char *str;
    } cases[] = {
        {"42", YS_INT, "42"},
        {"-7", YS_INT, "-7"},
        {"+3", YS_INT, "3"},
        {"0", YS_INT, "0"},
        {"-0", YS_INT, "0"},
        {"0x1F", YS_INT, "31"},
        {"0X1f", YS_INT, "31"},
        {"0xdeadBEEF", YS_INT, "3735928559"},
        {"0o17", YS_INT, "15"},
        {"010", YS_INT, "8"}, /* a leading 0 is octal in YAML 1.1 */
        {"0b101", YS_INT, "5"},
        {"1_000", YS_INT, "1000"},
        {"0x_10", YS_INT, "16"},
        {"18446744073709551615", YS_INT, "18446744073709551615"},
        {"-9223372036854775808", YS_INT, "-9223372036854775808"},
        {"18446744073709551616", YS_FLOAT, "18446744073709551616"},
        {"-9223372036854775809", YS_FLOAT, "-9223372036854775809"},
        {"089", YS_FLOAT, "089"}, /* not octal, but a float's digits */
        {"1.5", YS_FLOAT, "1.5"},
        {"1_0.5", YS_FLOAT, "10.5"},
        {"-.5", YS_FLOAT, "-.5"},
        {"1e3", YS_FLOAT, "1e3"},
        {"2.", YS_FLOAT, "2."},
        {".inf", YS_FLOAT, ".inf"},
        {"-.Inf", YS_FLOAT, "-.Inf"},
        {".NaN", YS_FLOAT, ".NaN"},
        {"true", YS_BOOL, "true"},
        {"False", YS_BOOL, "false"},
        {"TRUE", YS_BOOL, "true"},
        {"yes", YS_BOOL, "true"},
        {"On", YS_BOOL, "true"},
        {"y", YS_BOOL, "true"},
        {"NO", YS_BOOL, "false"},
        {"off", YS_BOOL, "false"},
        {"n", YS_BOOL, "false"},
        {"null", YS_NULL, "null"},
        {"~", YS_NULL, "~"},
        {"", YS_NULL, ""},
        {"NULL", YS_NULL, "NULL"},
        {"Null", YS_NULL, "Null"},
        {"Yes", YS_BOOL, "true"},
        {"YES", YS_BOOL, "true"},
        {"ON", YS_BOOL, "true"},
        {"Y", YS_BOOL, "true"},
        {"N", YS_BOOL, "false"},
        {"No", YS_BOOL, "false"},
        {"Off", YS_BOOL, "false"},
        {"OFF", YS_BOOL, "false"},
        {"FALSE", YS_BOOL, "false"},
        /* Neither: strings. */
        {"nul", YS_STR, "nul"},
        {"nulls", YS_STR, "nulls"},
        {"offs", YS_STR, "offs"},
        {"of", YS_STR, "of"},
        {"fstat", YS_STR, "fstat"},
        {"falsey", YS_STR, "falsey"},
        {"oN", YS_STR, "oN"},
        {"0x", YS_STR, "0x"},
        {"0xZZ", YS_STR, "0xZZ"},
        {"0x-1", YS_STR, "0x-1"},
        {"0o9", YS_STR, "0o9"},
        {"0x10000000000000000", YS_STR, "0x10000000000000000"},
        {"12abc", YS_STR, "12abc"},
        {"-x", YS_STR, "-x"},
        {".", YS_STR, "."},
        {"1e", YS_STR, "1e"},
        {"-inf", YS_STR, "-inf"},
        {"nan", YS_STR, "nan"},
        {"+.nan", YS_STR, "+.nan"},
        {"Infinity", YS_STR, "Infinity"},
        {"yEs", YS_STR, "yEs"},
        {"tRUE", YS_STR, "tRUE"},
        {"2024-01-01", YS_STR, "2024-01-01"}, /* kubectl keeps timestamps as strings */
        {"web", YS_STR, "web"},
        /* Quoted or tagged: always strings. */
        {"\"42\"", YS_STR, "42"},
        {"'true'", YS_STR, "true"},
        {"\"\"", YS_STR, ""},
        {"'null'", YS_STR, "null"},
        {"!!str 42", YS_STR, "42"},
        {"!!str true", YS_STR, "true"},
        {"!!str", YS_STR, ""},
        {"\"0x10\"", YS_STR, "0x10"},
        {"\"a\\tb\"", YS_STR, "a\tb"},
        {"'it''s'", YS_STR, "it's"},
        {"caf\xc3\xa9", YS_STR, "caf\xc3\xa9"},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char text[128];
        snprintf(text, sizeof(text), "v: %s\n", cases[i].value);
        struct parsed p = parse_ok(text);
        assert_int_equal(p.n, 1);
        const struct ynode *v = at(p.docs[0], "v");
        if (v->kind != YN_SCALAR || v->stype != cases[i].type || strcmp(v->str, cases[i].str))
            fail_msg("%s: type %d \"%s\", want %d \"%s\"", cases[i].value, v->stype, v->str,
                     cases[i].type, cases[i].str);
        parsed_free(&p);
    }
}

/* What a writer may put plain and read back as the same string: what the reader above takes
 * for a string, and nothing that starts with a digit. */
static void test_plain_safe(void **state)
{
    static const char *const safe[] = {"web", "_llseek", "on-call", "truex",      "nully",
                                       "-x",  "yes-no",  "a1",      "caf\xc3\xa9"};
    static const char *const unsafe[] = {"",     "~",          "null", "true",  "True", "yes",
                                         "Y",    "n",          "off",  "ON",    ".inf", "-.inf",
                                         ".nan", "1",          "-1",   "+1",    "0755", "1e3",
                                         "0x1f", "2024-01-01", "0abc", "1_000", ".5"};
    for (size_t i = 0; i < ELEMENTSOF(safe); i++)
        if (!ydoc_plain_safe(safe[i]))
            fail_msg("\"%s\" should be safe plain", safe[i]);
    for (size_t i = 0; i < ELEMENTSOF(unsafe); i++)
        if (ydoc_plain_safe(unsafe[i]))
            fail_msg("\"%s\" should need quotes", unsafe[i]);
    /* What is safe reads back as itself, as a string. */
    for (size_t i = 0; i < ELEMENTSOF(safe); i++) {
        char text[128];
        snprintf(text, sizeof(text), "v: %s\n", safe[i]);
        struct parsed p = parse_ok(text);
        const struct ynode *v = at(p.docs[0], "v");
        assert_int_equal(v->stype, YS_STR);
        assert_string_equal(v->str, safe[i]);
        parsed_free(&p);
    }
}

/* Anchors alone are harmless and accepted; keys need not be plain. */
static void test_accepted_oddities(void **state)
{
    struct parsed p = parse_ok("a: &x 1\n\"quoted key\": 2\n'1': 3\n2: 4\n? c\n: 5\n");
    assert_int_equal(p.n, 1);
    assert_string_equal(at(p.docs[0], "a")->str, "1");
    assert_string_equal(at(p.docs[0], "quoted key")->str, "2");
    assert_string_equal(at(p.docs[0], "1")->str, "3");
    assert_string_equal(at(p.docs[0], "2")->str, "4");
    assert_string_equal(at(p.docs[0], "c")->str, "5");
    parsed_free(&p);
}

/* 64 levels below the root are accepted, 65 are not (see the table below). */
static void test_depth_limit_exact(void **state)
{
    size_t len;
    _cleanup_free_ char *open = repeat("", "[", YDOC_MAX_DEPTH + 1, "", &len);
    _cleanup_free_ char *close = repeat("", "]", YDOC_MAX_DEPTH + 1, "\n", &len);
    char *text = NULL;
    assert_true(asprintf(&text, "%s%s", open, close) > 0);
    struct parsed p = parse_ok(text);
    free(text);
    assert_int_equal(p.n, 1);
    parsed_free(&p);
}

/* A mapping of many keys parses in linear time (duplicates are found with a hash). */
static void test_many_keys_fast(void **state)
{
    enum { NKEYS = 100000 };
    char *buf = malloc((size_t)NKEYS * 16 + 16);
    assert_non_null(buf);
    size_t len = 0;
    for (size_t i = 0; i < NKEYS; i++)
        len += (size_t)sprintf(buf + len, "k%zu: %zu\n", i, i);
    double t0 = now();
    struct parsed p = {0};
    struct kerr err = {0};
    assert_int_equal(ydoc_parse_yaml(buf, len, FILE_NAME, &p.docs, &p.n, &err), 0);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.docs[0]->n, NKEYS);
    assert_string_equal(ynode_get(p.docs[0], "k99999")->str, "99999");
    parsed_free(&p);

    /* The same with a duplicate at the end: found, with its line. */
    len += (size_t)sprintf(buf + len, "k17: again\n");
    assert_int_equal(ydoc_parse_yaml(buf, len, FILE_NAME, &p.docs, &p.n, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "t.yaml:100001: duplicate key \"k17\""));
    free(buf);
    double secs = now() - t0;
    if (secs > 5)
        fail_msg("100000 keys took %.1f s", secs);
}

/* ---- malformed YAML ---------------------------------------------------------------------- */

struct bad_case {
    const char *name;
    const char *text; /* NULL: gen builds it */
    size_t len;       /* 0: strlen(text) */
    char *(*gen)(size_t *ret_len);
    int code; /* 0: any negative */
    int line;
    const char *want; /* in the message, after "t.yaml:LINE: " */
};

static char *gen_deep_flow(size_t *ret_len)
{
    size_t len;
    _cleanup_free_ char *open = repeat("", "[", YDOC_MAX_DEPTH + 2, "", &len);
    _cleanup_free_ char *close = repeat("", "]", YDOC_MAX_DEPTH + 2, "\n", &len);
    char *text = NULL;
    assert_true(asprintf(&text, "%s%s", open, close) > 0);
    *ret_len = strlen(text);
    return text;
}

/* A block mapping nested one level per line: the error names the line where it gets too
 * deep. */
static char *gen_deep_block(size_t *ret_len)
{
    char *buf = malloc(64 * 1024);
    assert_non_null(buf);
    size_t len = (size_t)sprintf(buf, "top: 1\n");
    for (int i = 0; i < YDOC_MAX_DEPTH + 5; i++)
        len += (size_t)sprintf(buf + len, "%*sk%d:\n", i, "", i);
    len += (size_t)sprintf(buf + len, "%*send\n", YDOC_MAX_DEPTH + 5, "");
    *ret_len = len;
    return buf;
}

/* Nodes over the cap, in documents that are all empty: memory stays flat, only the count
 * grows (the cap is per input, not per document). libyaml puts an empty node on the line after
 * its "---". */
static char *gen_too_many_nodes(size_t *ret_len)
{
    return repeat("", "---\n", (size_t)YDOC_MAX_NODES + 1, "", ret_len);
}

static char *gen_long_scalar(size_t *ret_len)
{
    return repeat("a: 1\nb: ", "x", YDOC_MAX_SCALAR + 1, "\n", ret_len);
}

/* An explicit key ("? "): libyaml itself refuses implicit keys over 1024 characters. */
static char *gen_long_key(size_t *ret_len)
{
    return repeat("a: 1\n? ", "k", YDOC_MAX_SCALAR + 1, "\n: 1\n", ret_len);
}

/* The classic: each level refers nine times to the one below. */
static char *gen_billion_laughs(size_t *ret_len)
{
    char *buf = malloc(4096);
    assert_non_null(buf);
    size_t len = (size_t)sprintf(buf, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\","
                                      "\"lol\",\"lol\",\"lol\"]\n");
    for (char c = 'b'; c <= 'i'; c++)
        len += (size_t)sprintf(buf + len, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c,
                               c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
    *ret_len = len;
    return buf;
}

static const struct bad_case bad_yaml[] = {
    {"a null key (kubectl refuses it too)", "a: 1\n~: 2\n", 0, NULL, -EINVAL, 2,
     "a mapping key must not be null"},
    {"an empty plain key", "a: 1\nnull: 2\n", 0, NULL, -EINVAL, 2,
     "a mapping key must not be null"},
    {"syntax: mapping in a plain scalar", "a: 1\nb: c: d\n", 0, NULL, -EINVAL, 2,
     "malformed YAML: mapping values are not allowed"},
    {"syntax: bad indentation", "a:\n  b: 1\n c: 2\n", 0, NULL, -EINVAL, 3, "malformed YAML"},
    {"syntax: two roots", "a: 1\n- b\n", 0, NULL, -EINVAL, 2, "malformed YAML"},
    {"syntax: unknown directive version", "%YAML 2.0\n---\na: 1\n", 0, NULL, -EINVAL, 1,
     "malformed YAML: found incompatible YAML document"},
    {"tab as indentation", "a:\n\tb: 1\n", 0, NULL, -EINVAL, 2,
     "cannot start any token while scanning for the next token (a tab: YAML indents with spaces)"},
    {"tab inside block indentation", "a:\n  b: 1\n\tc: 2\n", 0, NULL, -EINVAL, 3,
     "(a tab: YAML indents with spaces)"},
    {"tab after spaces", "a:\n  b:\n   \t c: 2\n", 0, NULL, -EINVAL, 3, "(a tab: YAML"},
    {"@ at the start of a plain value in a flow list", "a: 1\ngroups: [@basic-io, @signal]\n", 0,
     NULL, -EINVAL, 2,
     "cannot start any token while scanning for the next token (@ cannot start a plain value: "
     "quote it: \"@basic-io\")"},
    {"@ at the start of a block value, after UTF-8",
     "a: \"\xc3\xa9\xc3\xa9\"\nb:\n  - \xc3\xa9\n  - @x y\n", 0, NULL, -EINVAL, 4,
     "(@ cannot start a plain value: quote it: \"@x\")"},
    {"a backquote at the start of a plain value", "a: `date`\n", 0, NULL, -EINVAL, 1,
     "(` cannot start a plain value: quote it: \"`date`\")"},
    {"unclosed double quote", "a: 1\nb: \"abc\nc: 2\n", 0, NULL, -EINVAL, 4,
     "end of stream while scanning a quoted scalar that starts at line 2"},
    {"unclosed single quote", "a: 1\nb: 'abc\n", 0, NULL, -EINVAL, 3,
     "while scanning a quoted scalar that starts at line 2"},
    {"unclosed bracket", "a: 1\nb: [1, 2\n", 0, NULL, -EINVAL, 3,
     "did not find expected ',' or ']' while parsing a flow sequence that starts at line 2"},
    {"unclosed brace", "a: 1\nb: {x: 1\n", 0, NULL, -EINVAL, 3,
     "did not find expected ',' or '}' while parsing a flow mapping that starts at line 2"},
    {"stray closing bracket", "a: 1\nb: ]\n", 0, NULL, -EINVAL, 2, "malformed YAML"},
    {"bad escape", "a: 1\nb: \"\\q\"\n", 0, NULL, -EINVAL, 2, "unknown escape"},
    {"alias", "a: &x 1\nb: *x\n", 0, NULL, -EINVAL, 2, "YAML aliases (*name) are not accepted"},
    {"alias as a key", "a: &x 1\n*x : 2\n", 0, NULL, -EINVAL, 2, "YAML aliases"},
    {"alias in a list", "a: &x [1]\nb:\n- 1\n- *x\n", 0, NULL, -EINVAL, 4, "YAML aliases"},
    {"undefined alias", "a: 1\nb: *nope\n", 0, NULL, -EINVAL, 2, "YAML aliases"},
    {"merge key", "a: &x {p: 1}\nb:\n  <<: {q: 2}\n", 0, NULL, -EINVAL, 3,
     "YAML merge keys (<<) are not accepted"},
    {"merge key in flow", "a: 1\nb: {<<: {q: 2}}\n", 0, NULL, -EINVAL, 2, "YAML merge keys"},
    {"duplicate key", "a: 1\nb: 2\na: 3\n", 0, NULL, -EINVAL, 3, "duplicate key \"a\""},
    {"duplicate key, quoted", "a: 1\n\"a\": 3\n", 0, NULL, -EINVAL, 2, "duplicate key \"a\""},
    {"a key without its colon",
     "spec:\n  extends: base\n  defaultAction Block\n  seccomp:\n    a: 1\n", 0, NULL, -EINVAL, 4,
     "could not find expected ':' while scanning a simple key that starts at line 3 (line 3, "
     "\"defaultAction Block\", has no colon: write \"KEY: VALUE\", or \"KEY:\" above a block)"},
    {"a colon glued to the value",
     "spec:\n  seccomp:\n    syscalls: [read]\n    action:Allow\n"
     "  extends: base\n",
     0, NULL, -EINVAL, 5,
     "could not find expected ':' while scanning a simple key that starts at line 4 (line 4, "
     "\"action:Allow\": a colon needs a space after it)"},
    {"a key indented off its mapping's", "spec:\n selector: {}\n  extends: base\n", 0, NULL,
     -EINVAL, 3,
     "did not find expected key while parsing a block mapping that starts at line 2 (line 3 is "
     "indented 2 spaces, in line with no key above it (the key above is at 1): the keys of one "
     "mapping line up)"},
    /* Between two levels: the columns above are named, not only the outer mapping's. */
    {"a key between two levels",
     "a: 1\nspec:\n  extends: base\n  seccomp:\n    b: 2\n defaultAction: Block\n", 0, NULL,
     -EINVAL, 6,
     "(line 6 is indented 1 space, in line with no key above it (the keys above are at 0, 2 and "
     "4): the keys of one mapping line up)"},
    /* The mapping's first key one space short: the line libyaml names lines up with the keys
     * after it, and with a step of its parent's. */
    {"a mapping's first key one space short",
     "spec:\n selector:\n    matchLabels: {}\n  extends: base\n  seccomp: {}\n", 0, NULL, -EINVAL,
     4,
     "(line 4 is indented 2 spaces, in line with no key above it (the keys above are at 1 and 4): "
     "the keys of one mapping line up; or line 2, the first key of that mapping, is 1 space "
     "short)"},
    {"keys one space short of their siblings: the first key is not blamed",
     "spec:\n  seccomp:\n    syscalls: [read]\n   action: Allow\n   errno: EPERM\n", 0, NULL,
     -EINVAL, 4,
     "(line 4 is indented 3 spaces, in line with no key above it (the keys above are at 2 and 4): "
     "the keys of one mapping line up)"},
    {"a key of a list item off the item's keys",
     "rules:\n  - index: 0\n    value: 0\n  - index: 1\n   value: 1\n", 0, NULL, -EINVAL, 5,
     "did not find expected '-' indicator while parsing a block collection that starts at line 2 "
     "(line 5 is indented 3 spaces: the keys of the list item on line 4 are at 4, after its \"- "
     "\")"},
    {"a list item among a mapping's keys",
     "spec:\n  rules:\n    syscalls: [a]\n    action: Kill\n  - syscalls: [b]\n", 0, NULL, -EINVAL,
     5,
     "(line 5 is a list item among the keys of that mapping: is a key such as \"rules:\" missing "
     "above it, or did the list above lose the \"- \" of its first item?)"},
    /* A colon in the value, not in the key's word: the key lost its colon. */
    {"a key without its colon, a colon in its value",
     "c:\n  - name: web\n    image nginx:1.25\n    ports: []\n", 0, NULL, -EINVAL, 4,
     "(line 3, \"image nginx:1.25\", has no colon: write \"KEY: VALUE\", or \"KEY:\" above a "
     "block)"},
    {"a key without its colon, a comment after it",
     "spec:\n  extends: base\n  defaultAction Block # see:docs\n  seccomp:\n    a: 1\n", 0, NULL,
     -EINVAL, 4, "(line 3, \"defaultAction Block\", has no colon"},
    /* A list item off its list's column, not among the mapping's keys: the indentation. */
    {"a list item off its list", "spec:\n  rules:\n    - a\n   - b\n", 0, NULL, -EINVAL, 4,
     "(line 4 is indented 3 spaces, in line with no key above it (the keys above are at 2 and "
     "4): the keys of one mapping line up)"},
    {"a key without its colon, run into the next line",
     "metadata:\n  name web\n  namespace: demo\n", 0, NULL, -EINVAL, 3,
     "mapping values are not allowed in this context (line 2, \"name web\", has no colon: write "
     "\"KEY: VALUE\", or \"KEY:\" above a block)"},
    {"a value holding a colon and a space", "a:\n  message: note: this\n", 0, NULL, -EINVAL, 2,
     "mapping values are not allowed in this context (line 2: a value that holds \": \" is "
     "written quoted)"},
    {"a key deeper than the one above", "spec:\n  extends: base\n   defaultAction: Block\n", 0,
     NULL, -EINVAL, 3,
     "mapping values are not allowed in this context (line 3 is indented deeper than line 2, "
     "\"extends: base\", whose value is no mapping: the keys of one mapping line up)"},
    {"two objects run together", "apiVersion: v1\nkind: A\napiVersion: v1\nkind: B\n", 0, NULL,
     -EINVAL, 3,
     "duplicate key \"apiVersion\" (first at line 1): two objects without a '---' line between "
     "them?"},
    {"apiVersion twice deeper: no such hint", "m:\n  apiVersion: 1\n  apiVersion: 2\n", 0, NULL,
     -EINVAL, 3, "duplicate key \"m.apiVersion\" (first at line 2)"},
    {"duplicate key, nested flow", "m:\n  x: {k: 1, k: 2}\n", 0, NULL, -EINVAL, 2,
     "duplicate key \"m.x.k\" (first at line 2)"},
    /* The object it is in named, and the key's path in it. */
    {"duplicate key in a policy",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: web, namespace: demo}\n"
     "spec:\n  defaultAction: Block\n  rules:\n  - {syscalls: [read], action: Block}\n"
     "  - {syscalls: [read], action: Block, action: Allow}\n",
     0, NULL, -EINVAL, 8,
     "SeccompPolicy demo/web: duplicate key \"spec.rules[1].action\" (first at line 8)"},
    {"duplicate key in a List's item",
     "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n"
     "  spec: {}\n  spec: {}\n",
     0, NULL, -EINVAL, 8, "Pod default/p: duplicate key \"spec\" (first at line 7)"},
    {"duplicate key in a later document", "a: 1\n---\nb: 1\nb: 2\n", 0, NULL, -EINVAL, 4,
     "duplicate key \"b\""},
    {"nesting deeper than 64, flow", NULL, 0, gen_deep_flow, -E2BIG, 1,
     "nesting deeper than 64 levels"},
    {"nesting deeper than 64, block", NULL, 0, gen_deep_block, -E2BIG, YDOC_MAX_DEPTH + 3,
     "nesting deeper than 64 levels"},
    {"more nodes than the cap", NULL, 0, gen_too_many_nodes, -E2BIG, YDOC_MAX_NODES + 2,
     "the file holds more than 1000000 YAML nodes (values, lists and mappings), the most kscmp "
     "reads from one file: split it"},
    {"scalar over 256 KiB", NULL, 0, gen_long_scalar, -E2BIG, 2, "scalar longer than 262144 bytes"},
    {"key over 256 KiB", NULL, 0, gen_long_key, -E2BIG, 2, "mapping key longer than 262144 bytes"},
    {"NUL byte, raw", "a: 1\nb: x\0y\n", 12, NULL, -EINVAL, 2,
     "control characters are not allowed"},
    {"NUL byte, raw, after a long first line",
     "a: 1111111111111111111111111111111111111111111111111111111111111\n\nb: 2\n\0", 72, NULL,
     -EINVAL, 4, "control characters are not allowed"},
    {"NUL byte, escaped in a value", "a: 1\nb: \"x\\0y\"\n", 0, NULL, -EINVAL, 2,
     "NUL byte in a scalar"},
    {"NUL byte, escaped in a key", "a: 1\n\"kind\\0x\": Pod\n", 0, NULL, -EINVAL, 2,
     "NUL byte in a mapping key"},
    {"control character", "a: 1\nb: x\x01y\n", 0, NULL, -EINVAL, 2,
     "control characters are not allowed"},
    {"non-scalar key: flow list", "a: 1\nb: {[x]: 1}\n", 0, NULL, -EINVAL, 2,
     "a mapping key must be a string, not a list"},
    {"non-scalar key: complex list", "a: 1\n? [x, y]\n: 1\n", 0, NULL, -EINVAL, 2,
     "a mapping key must be a string, not a list"},
    {"non-scalar key: mapping", "a: 1\n? {x: 1}\n: 1\n", 0, NULL, -EINVAL, 2,
     "a mapping key must be a string, not a mapping"},
    {"invalid UTF-8: bad leading byte", "a: 1\nb: 2\nc: \xff\xfe\n", 0, NULL, -EINVAL, 3,
     "invalid leading UTF-8 octet"},
    {"invalid UTF-8: truncated sequence", "a: 1\nb: 2\nc: caf\xc3\n", 0, NULL, -EINVAL, 3,
     "invalid trailing UTF-8 octet"},
    {"invalid UTF-8: overlong", "a: 1\nb: \xc0\xaf\n", 0, NULL, -EINVAL, 2,
     "invalid length of a UTF-8 sequence"},
    {"invalid UTF-8: surrogate", "a: 1\nb: \xed\xa0\x80\n", 0, NULL, -EINVAL, 2,
     "invalid Unicode character"},
    {"billion laughs", NULL, 0, gen_billion_laughs, -EINVAL, 2, "YAML aliases"},
};

static void test_bad_yaml(void **state)
{
    for (size_t i = 0; i < ELEMENTSOF(bad_yaml); i++) {
        const struct bad_case *c = &bad_yaml[i];
        size_t len = c->len;
        _cleanup_free_ char *owned = NULL;
        const char *text = c->text;
        if (c->gen)
            text = owned = c->gen(&len);
        else if (!len)
            len = strlen(text);

        struct ynode **docs = (struct ynode **)0x1; /* must stay untouched */
        size_t n = 12345;
        struct kerr err = {0};
        double t0 = now();
        int r = ydoc_parse_yaml(text, len, FILE_NAME, &docs, &n, &err);
        double secs = now() - t0;

        char where[64];
        snprintf(where, sizeof(where), FILE_NAME ":%d: ", c->line);
        if (r >= 0)
            fail_msg("%s: accepted", c->name);
        if ((c->code && r != c->code) || err.code != r)
            fail_msg("%s: error %d (err.code %d), want %d", c->name, r, err.code, c->code);
        if (strncmp(err.msg, where, strlen(where)) != 0 || !strstr(err.msg, c->want))
            fail_msg("%s:\n  message \"%s\"\n  wants   \"%s...%s\"", c->name, err.msg, where,
                     c->want);
        if (docs != (struct ynode **)0x1 || n != 12345)
            fail_msg("%s: the out-parameters were written on error", c->name);
        if (strchr(err.msg, '\n'))
            fail_msg("%s: the message spans lines: %s", c->name, err.msg);
        if (secs > 20)
            fail_msg("%s: took %.1f s", c->name, secs);
        if (strcmp(c->name, "billion laughs") == 0 && secs > 0.5)
            fail_msg("billion laughs took %.2f s", secs);
    }
}

/* ---- JSON -------------------------------------------------------------------------------- */

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        fail_msg("bad JSON in the test: %s", jerr.text);
    return j;
}

static void test_json(void **state)
{
    json_t *j = load("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\","
                     " \"generation\": 7}, \"list\": [1, -2.5, true, false, null, \"42\", \"\"],"
                     " \"empty\": {}, \"none\": [], \"big\": 9223372036854775807}");
    struct ynode *root = NULL;
    struct kerr err = {0};
    assert_int_equal(ydoc_from_json(j, &root, &err), 0);
    json_decref(j);
    assert_int_equal(root->kind, YN_MAP);
    assert_int_equal(root->line, 0);
    assert_int_equal(root->n, 7);
    assert_string_equal(at(root, "kind")->str, "Pod");
    assert_int_equal(at(root, "kind")->stype, YS_STR);
    assert_string_equal(at(root, "metadata.name")->str, "p");
    assert_int_equal(at(root, "metadata.generation")->stype, YS_INT);
    assert_string_equal(at(root, "metadata.generation")->str, "7");
    static const struct {
        enum yscalar type;
        const char *str;
    } items[] = {{YS_INT, "1"}, {YS_FLOAT, "-2.5"}, {YS_BOOL, "true"}, {YS_BOOL, "false"},
                 {YS_NULL, ""}, {YS_STR, "42"},     {YS_STR, ""}};
    const struct ynode *list = at(root, "list");
    assert_int_equal(list->kind, YN_SEQ);
    assert_int_equal(list->n, ELEMENTSOF(items));
    for (size_t i = 0; i < ELEMENTSOF(items); i++) {
        assert_int_equal(list->items[i]->kind, YN_SCALAR);
        assert_int_equal(list->items[i]->stype, items[i].type);
        assert_string_equal(list->items[i]->str, items[i].str);
        assert_int_equal(list->items[i]->line, 0);
    }
    assert_int_equal(at(root, "empty")->kind, YN_MAP);
    assert_int_equal(at(root, "empty")->n, 0);
    assert_int_equal(at(root, "none")->kind, YN_SEQ);
    assert_int_equal(at(root, "none")->n, 0);
    assert_string_equal(at(root, "big")->str, "9223372036854775807");
    ynode_free(root);

    /* A bare scalar is a tree of one node. */
    j = json_string("x");
    assert_int_equal(ydoc_from_json(j, &root, &err), 0);
    json_decref(j);
    assert_int_equal(root->kind, YN_SCALAR);
    assert_string_equal(root->str, "x");
    ynode_free(root);
}

/* n arrays, each the only item of the one around it. */
static json_t *json_nested(size_t n)
{
    json_t *j = json_array();
    for (size_t i = 1; i < n; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, j);
        j = outer;
    }
    return j;
}

static void test_json_bad(void **state)
{
    struct {
        const char *name;
        json_t *j;
        int code;
        const char *want;
    } cases[] = {
        {"nesting deeper than 64 (arrays)", json_nested(YDOC_MAX_DEPTH + 2), -E2BIG,
         "JSON nested deeper than 64 levels"},
        {"nesting deeper than 64 (objects in text)", NULL, -E2BIG, "JSON nested deeper than 64"},
        {"NUL in a string", json_stringn("web\0evil", 8), -EINVAL, "NUL byte in the string"},
        {"NUL in a key", json_object(), -EINVAL, "NUL byte in the key"},
    };
    /* {"a":{"a":...}} 70 deep, through the parser as the agent would get it. */
    size_t len;
    _cleanup_free_ char *open = repeat("", "{\"a\":", 70, "", &len);
    _cleanup_free_ char *close = repeat("", "}", 70, "", &len);
    char *text = NULL;
    assert_true(asprintf(&text, "%s1%s", open, close) > 0);
    cases[1].j = load(text);
    free(text);
    json_object_setn_new(cases[3].j, "kind\0x", 6, json_string("Pod"));

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        struct ynode *root = (struct ynode *)0x1;
        struct kerr err = {0};
        int r = ydoc_from_json(cases[i].j, &root, &err);
        json_decref(cases[i].j);
        if (r != cases[i].code)
            fail_msg("%s: %d, want %d (%s)", cases[i].name, r, cases[i].code, err.msg);
        if (!strstr(err.msg, cases[i].want))
            fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].name, err.msg, cases[i].want);
        if (root != (struct ynode *)0x1)
            fail_msg("%s: the out-parameter was written on error", cases[i].name);
    }
    /* 64 levels below the root are fine. */
    json_t *j = json_nested(YDOC_MAX_DEPTH + 1);
    struct ynode *root = NULL;
    struct kerr err = {0};
    assert_int_equal(ydoc_from_json(j, &root, &err), 0);
    json_decref(j);
    ynode_free(root);
}

/* ---- small API --------------------------------------------------------------------------- */

static void test_get_and_kind_names(void **state)
{
    struct parsed p = parse_ok("m: {a: 1}\ns: [x]\nstr: web\nnum: 3\nf: 1.5\nb: true\nnil: ~\n");
    const struct ynode *d = p.docs[0];
    assert_null(ynode_get(d, "missing"));
    assert_null(ynode_get(at(d, "s"), "x"));     /* not a mapping */
    assert_null(ynode_get(at(d, "str"), "web")); /* not a mapping */
    assert_null(ynode_get(NULL, "a"));
    assert_string_equal(ynode_kind_name(at(d, "m")), "a mapping");
    assert_string_equal(ynode_kind_name(at(d, "s")), "a list");
    assert_string_equal(ynode_kind_name(at(d, "str")), "a string");
    assert_string_equal(ynode_kind_name(at(d, "num")), "a number");
    assert_string_equal(ynode_kind_name(at(d, "f")), "a number");
    assert_string_equal(ynode_kind_name(at(d, "b")), "a boolean");
    assert_string_equal(ynode_kind_name(at(d, "nil")), "null");
    assert_string_equal(ynode_kind_name(NULL), "nothing");
    parsed_free(&p);
    ynode_free(NULL);
    ydoc_free_all(NULL, 0);
}

/* A tree's memory is cut from blocks that start small: a stream of tiny documents kept whole
 * (ydoc_parse_yaml(), a kubeconfig of many documents) costs a few hundred bytes a document, not
 * a large block each. */
static void test_tiny_documents_small(void **state)
{
    (void)state;
    const size_t n = 20000;
    char *text = malloc(n * 6 + 1);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        memcpy(text + 6 * i, "---\na\n", 6);
    text[6 * n] = '\0';
    size_t before = heap_in_use();
    struct ynode **docs = NULL;
    size_t got = 0;
    struct kerr err = {0};
    assert_int_equal(ydoc_parse_yaml(text, 6 * n, FILE_NAME, &docs, &got, &err), 0);
    assert_int_equal(got, n);
    size_t used = heap_in_use() - before;
    assert_true(used < 400 * n);
    assert_string_equal(docs[n - 1]->str, "a");
    ydoc_free_all(docs, got);
    free(text);
}

/* Plain keys that read as booleans or numbers become the text kubectl gives them in JSON, so
 * that "yes: 1" and "true: 1" are the same key (and a duplicate); quoted keys stay as written. */
static void test_key_spellings(void **state)
{
    struct parsed p = parse_ok("yes: a\n010: b\n0x1F: c\n\"no\": d\n1.5: e\nOff: f\n");
    const struct ynode *d = p.docs[0];
    static const char *const want[] = {"true", "8", "31", "no", "1.5", "false"};
    assert_int_equal(d->n, ELEMENTSOF(want));
    for (size_t i = 0; i < ELEMENTSOF(want); i++)
        assert_string_equal(d->keys[i], want[i]);
    parsed_free(&p);
    struct ynode **docs = NULL;
    size_t n = 0;
    struct kerr err = {0};
    const char *dup = "yes: 1\ntrue: 2\n";
    assert_int_equal(ydoc_parse_yaml(dup, strlen(dup), FILE_NAME, &docs, &n, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "duplicate key \"true\""));
}

/* A .json file's syntax error is called a JSON one, with its file and line; so is that of
 * text whose first thing (past "#" and "//" comment lines) is "{" or "[", whatever the file's
 * name (an advisor's .txt output); YAML text's stays a YAML one. */
static void test_json_file_named_json(void **state)
{
    (void)state;
    struct ynode **docs = NULL;
    size_t n = 0;
    struct kerr err = {0};
    const char *cut = "{\"apiVersion\": \"kscmp.io/v1\",\n \"kind\": ";
    assert_int_equal(ydoc_parse_yaml(cut, strlen(cut), "trunc.json", &docs, &n, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "malformed JSON: "));
    assert_memory_equal(err.msg, "trunc.json:", strlen("trunc.json:"));
    kerr_clear(&err);
    assert_int_equal(ydoc_parse_yaml(cut, strlen(cut), "trunc.yaml", &docs, &n, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "malformed JSON: "));
    assert_memory_equal(err.msg, "trunc.yaml:", strlen("trunc.yaml:"));
    kerr_clear(&err);
    const char *advisor = "// web\n# note\n  [{\"defaultAction\": ";
    assert_int_equal(ydoc_parse_yaml(advisor, strlen(advisor), "out.txt", &docs, &n, &err),
                     -EINVAL);
    assert_non_null(strstr(err.msg, "malformed JSON: "));
    kerr_clear(&err);
    /* In jansson's words, at its line and column, not libyaml's. */
    const char *comma = "{\"a\": 1,\n \"b\": [1,\n  2,,]}";
    assert_int_equal(ydoc_parse_yaml(comma, strlen(comma), "c.json", &docs, &n, &err), -EINVAL);
    assert_string_equal(err.msg, "c.json:3:5: malformed JSON: unexpected token near ','");
    kerr_clear(&err);
    const char *first = "// web\n  [{\"a\": 1} {";
    assert_int_equal(ydoc_parse_yaml(first, strlen(first), "out.txt", &docs, &n, &err), -EINVAL);
    assert_string_equal(err.msg, "out.txt:2:13: malformed JSON: ']' expected near '{'");
    kerr_clear(&err);
    const char *two = "{\"a\": 1}\n\n {\"b\": 2}\n";
    assert_int_equal(ydoc_parse_yaml(two, strlen(two), "s.json", &docs, &n, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "s.json:3:2: malformed JSON: a second JSON value starts here"));
    kerr_clear(&err);
    const char *yaml = "# {not json}\napiVersion: [v1\n";
    assert_int_equal(ydoc_parse_yaml(yaml, strlen(yaml), "p.json.bak", &docs, &n, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "malformed YAML: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multi_document),
        cmocka_unit_test(test_empty_documents_skipped),
        cmocka_unit_test(test_line_numbers),
        cmocka_unit_test(test_scalar_types),
        cmocka_unit_test(test_key_spellings),
        cmocka_unit_test(test_accepted_oddities),
        cmocka_unit_test(test_depth_limit_exact),
        cmocka_unit_test(test_many_keys_fast),
        cmocka_unit_test(test_bad_yaml),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_bad),
        cmocka_unit_test(test_json_file_named_json),
        cmocka_unit_test(test_get_and_kind_names),
        cmocka_unit_test(test_plain_safe),
        cmocka_unit_test(test_tiny_documents_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
