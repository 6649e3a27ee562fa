/* jansson_diff.c - the jansson build/kscmp links (deps/build.sh's, with
 * deps/patches/jansson-*.patch) against Debian's, input for input.
 *
 *   jansson_diff SEED COUNT [FILE...]
 *
 * Both libraries are in this one program: Debian's shared libjansson as usual, and the patched
 * static archive with every symbol it defines renamed kpj_* (objcopy --redefine-syms, see the
 * Makefile), so that the two do not clash. Each input is decoded by both with json_loadb()
 * under every flag combination the agent uses (and a few more), and with json_loads() where
 * the input has no NUL byte; they must agree on accepting it, on the value (json_dumps() with
 * JSON_SORT_KEYS | JSON_ENCODE_ANY, each library dumping its own) and on the whole error:
 * text, source, line, column, position and code, on success too (json_loadb() leaves the
 * position there).
 *
 * The inputs: fixed cases (empty, whitespace, NUL bytes, huge numbers, escapes, invalid and
 * cut UTF-8), nesting to jansson's depth limit and past it, COUNT random documents from SEED,
 * and mutations of those and of each FILE (bytes changed, inserted, deleted, repeated, cut).
 * Every input is its own allocation of exactly its size, so that a read past its end shows
 * under valgrind.
 *
 * Out of memory (deps/patches/jansson-lex-save-oom.patch): for the first OOM_DOCS random
 * documents and a few fixed inputs (under every flag set), the patched copy's n-th allocation
 * fails, then every allocation from the n-th on, for every n that its decoding makes; each
 * result must be NULL or the value decoded without a failure
 * (Debian's jansson 2.14 can give another number, abort, or write past a buffer; under
 * valgrind such a write shows). Prints each difference (at most 20), one line per group of inputs,
 * and `N passed, N failed` last; exit 0 when all agree, 1 otherwise, 2 on a usage error.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* The patched copy, renamed. json_decref() is an inline of jansson.h that calls json_delete(),
 * so the copy's values are freed with kpj_json_delete() directly: a decoded root has one
 * reference. */
json_t *kpj_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error);
json_t *kpj_json_loads(const char *input, size_t flags, json_error_t *error);
char *kpj_json_dumps(const json_t *json, size_t flags);
void kpj_json_delete(json_t *json);
void kpj_json_set_alloc_funcs(json_malloc_t malloc_fn, json_free_t free_fn);

/* The largest input made here; the generator and the mutations stay below it. */
#define INPUT_MAX (64u << 10)
#define DIFFS_SHOWN 20

/* json_loadb() flag sets: the agent's four (grep json_load agent/), then others that change
 * what the lexer or the parser does. */
static const size_t flag_sets[] = {
    0,
    JSON_REJECT_DUPLICATES,
    JSON_DECODE_ANY,
    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
    JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK,
    JSON_DECODE_ANY | JSON_ALLOW_NUL,
    JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
    JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
};
#define N_FLAG_SETS (sizeof flag_sets / sizeof flag_sets[0])

static unsigned long passed, failed;

/* The patched copy's allocator: counts allocations, and fails the fail_at-th (0: none), or
 * with fail_on every one from the fail_at-th on (memory that does not come back). */
static unsigned long alloc_calls, fail_at;
static bool fail_on;

static void *counting_malloc(size_t n)
{
    ++alloc_calls;
    if (fail_at && (alloc_calls == fail_at || (fail_on && alloc_calls > fail_at)))
        return NULL;
    return malloc(n);
}

#define OOM_DOCS 40

/* xorshift64*: the same SEED makes the same inputs. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static size_t rnd_below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

/* A growing input, capped at INPUT_MAX: bytes past the cap are dropped (the input is then cut,
 * which is one more case). */
struct buf {
    char data[INPUT_MAX];
    size_t len;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (n > INPUT_MAX - b->len)
        n = INPUT_MAX - b->len;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putc_(struct buf *b, char c)
{
    put(b, &c, 1);
}

static void show_bytes(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n && i < 160; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    if (n > 160)
        printf("... (%zu bytes)", n);
}

static bool same_error(const json_error_t *a, const json_error_t *b)
{
    return a->line == b->line && a->column == b->column && a->position == b->position &&
           strcmp(a->source, b->source) == 0 && strcmp(a->text, b->text) == 0 &&
           json_error_code(a) == json_error_code(b);
}

static void report(const char *what, const char *in, size_t len, size_t flags,
                   const json_error_t *de, const char *dv, const json_error_t *pe, const char *pv)
{
    if (failed > DIFFS_SHOWN)
        return;
    printf("DIFFERENT (%s, flags 0x%zx) on '", what, flags);
    show_bytes(in, len);
    printf("'\n  debian:  %s | %d:%d@%d %s\n  patched: %s | %d:%d@%d %s\n", dv ? dv : "(null)",
           de->line, de->column, de->position, de->text, pv ? pv : "(null)", pe->line, pe->column,
           pe->position, pe->text);
}

/* Both libraries on one input and one flag set; counts the outcome. */
static void compare(const char *what, const char *in, size_t len, size_t flags, bool as_string)
{
    json_error_t de, pe;
    json_t *dj, *pj;
    char *dv = NULL, *pv = NULL;
    bool same;

    memset(&de, 0x5a, sizeof de);
    memset(&pe, 0x5a, sizeof pe);
    dj = as_string ? json_loads(in, flags, &de) : json_loadb(in, len, flags, &de);
    pj = as_string ? kpj_json_loads(in, flags, &pe) : kpj_json_loadb(in, len, flags, &pe);
    if (dj)
        dv = json_dumps(dj, JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (pj)
        pv = kpj_json_dumps(pj, JSON_SORT_KEYS | JSON_ENCODE_ANY);
    same = !dj == !pj && !dv == !pv && (!dv || strcmp(dv, pv) == 0) && same_error(&de, &pe);
    if (same)
        passed++;
    else {
        failed++;
        report(as_string ? "json_loads" : what, in, len, flags, &de, dv, &pe, pv);
    }
    free(dv);
    free(pv);
    json_decref(dj);
    if (pj)
        kpj_json_delete(pj);
}

/* One input under every flag set, from its own allocation of exactly len bytes (and once more
 * NUL-terminated for json_loads() when it holds no NUL byte). */
static void check(const char *what, const char *in, size_t len)
{
    char *copy = malloc(len ? len : 1);
    size_t i;

    if (!copy) {
        failed++;
        return;
    }
    memcpy(copy, in, len);
    for (i = 0; i < N_FLAG_SETS; i++)
        compare(what, copy, len, flag_sets[i], false);
    free(copy);
    if (!memchr(in, '\0', len)) {
        copy = malloc(len + 1);
        if (!copy) {
            failed++;
            return;
        }
        memcpy(copy, in, len);
        copy[len] = '\0';
        compare(what, copy, len, 0, true);
        compare(what, copy, len, JSON_DECODE_ANY, true);
        free(copy);
    }
}

static void check_str(const char *what, const char *s)
{
    check(what, s, strlen(s));
}

/* Bytes that make the lexer decide something, for strings and mutations. */
static const char *const specials[] = {
    "\"",
    "\\",
    "\n",
    "\r",
    "\t",
    " ",
    "\x1f",
    "\x7f",
    "\xc3\xa9",
    "\xe2\x82\xac",
    "\xf0\x9f\x98\x80",
    "\x80",
    "\xbf",
    "\xc0\x80",
    "\xc1\xbf",
    "\xc3",
    "\xe2\x82",
    "\xf0\x9f\x98",
    "\xed\xa0\x80",
    "\xf4\x90\x80\x80",
    "\xf5\x80\x80\x80",
    "\xff",
    "\xfe",
    "\\u0000",
    "\\ud83d\\ude00",
    "\\ud83d",
    "\\ude00",
    "\\u00e9",
    "\\uZZZZ",
    "\\x",
    "\\/",
    "\\b",
    "\\f",
    "\\n",
    "\\r",
    "\\t",
    "\\\"",
    "\\\\",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "0",
    "-",
    "1e400",
    "true",
    "nul",
};
#define N_SPECIALS (sizeof specials / sizeof specials[0])

static void gen_whitespace(struct buf *b)
{
    static const char ws[] = " \t\r\n";
    size_t n = rnd_below(4) == 0 ? rnd_below(12) : 0;
    while (n--)
        putc_(b, ws[rnd_below(4)]);
}

static void gen_string(struct buf *b)
{
    size_t n = rnd_below(5) == 0 ? rnd_below(200) : rnd_below(16);
    putc_(b, '"');
    while (n--) {
        size_t k = rnd_below(10);
        if (k < 6)
            putc_(b, (char)('a' + rnd_below(26)));
        else if (k < 8) {
            char c = (char)(0x20 + rnd_below(0x5f));
            putc_(b, c == '"' || c == '\\' ? 'q' : c);
        } else if (k == 8)
            puts_(b, specials[rnd_below(N_SPECIALS)]);
        else
            puts_(b, specials[rnd_below(8) + 8]);
    }
    if (rnd_below(100))
        putc_(b, '"');
}

static void gen_scalar(struct buf *b)
{
    static const char *const numbers[] = {
        "0",
        "-0",
        "1",
        "-1",
        "12345",
        "0.5",
        "-0.0e0",
        "1e10",
        "1E-5",
        "2.5e+3",
        "1e400",
        "-1e400",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "123456789012345678901234567890",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "1e+",
        "0x10",
        "1.5e308",
        "4.9e-324",
        "1e-400",
    };
    static const char *const words[] = {"true", "false", "null", "tru", "nulll", "True", "x"};
    size_t k = rnd_below(10);
    char num[32];

    if (k < 5)
        gen_string(b);
    else if (k < 7)
        puts_(b, numbers[rnd_below(sizeof numbers / sizeof numbers[0])]);
    else if (k < 8) {
        snprintf(num, sizeof num, "%" PRId64, (int64_t)rnd());
        puts_(b, num);
    } else
        puts_(b, words[rnd_below(sizeof words / sizeof words[0])]);
}

/* A random document, without recursion: an explicit stack of open containers, at most 40 deep
 * (nesting to the limit has inputs of its own). */
static void gen_document(struct buf *b)
{
    char stack[40];
    size_t depth = 0, items = 0, budget = 1 + rnd_below(rnd_below(4) ? 30 : 400);
    bool need_value = true;

    gen_whitespace(b);
    if (rnd_below(8) == 0) {
        gen_scalar(b);
        gen_whitespace(b);
        return;
    }
    stack[depth++] = rnd_below(2) ? '{' : '[';
    putc_(b, stack[0]);
    while (depth > 0 && b->len < INPUT_MAX - 64) {
        gen_whitespace(b);
        if (budget == 0 || (!need_value && rnd_below(3) == 0)) {
            putc_(b, stack[--depth] == '{' ? '}' : ']');
            need_value = false;
            items = 1;
            continue;
        }
        budget--;
        if (items > 0)
            putc_(b, ',');
        gen_whitespace(b);
        if (stack[depth - 1] == '{') {
            if (rnd_below(4) == 0) {
                static const char *const keys[] = {"\"a\"", "\"b\"", "\"names\"", "\"\""};
                puts_(b, keys[rnd_below(4)]);
            } else
                gen_string(b);
            gen_whitespace(b);
            putc_(b, ':');
            gen_whitespace(b);
        }
        if (depth < sizeof stack && rnd_below(4) == 0) {
            stack[depth] = rnd_below(2) ? '{' : '[';
            putc_(b, stack[depth++]);
            items = 0;
            need_value = false;
        } else {
            gen_scalar(b);
            items++;
            need_value = false;
        }
    }
    gen_whitespace(b);
}

/* 1 to 4 random edits of in, into out. */
static void mutate(struct buf *out, const char *in, size_t len)
{
    size_t edits = 1 + rnd_below(4), at, n;

    out->len = 0;
    put(out, in, len);
    while (edits--) {
        at = rnd_below(out->len + 1);
        switch (rnd_below(6)) {
        case 0: /* change a byte to any value */
            if (at < out->len)
                out->data[at] = (char)rnd();
            break;
        case 1: { /* insert a special */
            const char *s = specials[rnd_below(N_SPECIALS)];
            n = strlen(s);
            if (out->len + n <= INPUT_MAX) {
                memmove(out->data + at + n, out->data + at, out->len - at);
                memcpy(out->data + at, s, n);
                out->len += n;
            }
            break;
        }
        case 2: /* delete a range */
            n = rnd_below(out->len - at + 1);
            n = n > 16 ? 16 : n;
            memmove(out->data + at, out->data + at + n, out->len - at - n);
            out->len -= n;
            break;
        case 3: /* insert a NUL byte */
            if (out->len < INPUT_MAX) {
                memmove(out->data + at + 1, out->data + at, out->len - at);
                out->data[at] = '\0';
                out->len++;
            }
            break;
        case 4: /* cut */
            out->len = at;
            break;
        default: /* repeat a range */
            n = rnd_below(out->len - at + 1);
            n = n > 32 ? 32 : n;
            if (out->len + n <= INPUT_MAX) {
                memmove(out->data + at + n, out->data + at, out->len - at);
                out->len += n;
            }
            break;
        }
    }
}

/* The patched copy decoding in..len with flags, its n-th allocation failing for each n its
 * decoding makes, then every allocation from the n-th on: NULL, or the value decoded without a
 * failure. A crash or an assert stops the program, which the suite reports. */
static void oom_check(const char *what, const char *input, size_t len, size_t flags)
{
    json_error_t e;
    json_t *j;
    char *whole, *v;
    unsigned long total, n;
    char *in = malloc(len ? len : 1); /* its own allocation, of its size (valgrind) */

    if (!in) {
        failed++;
        return;
    }
    memcpy(in, input, len);
    kpj_json_set_alloc_funcs(counting_malloc, free);
    alloc_calls = fail_at = 0;
    j = kpj_json_loadb(in, len, flags, &e);
    total = alloc_calls;
    whole = j ? kpj_json_dumps(j, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    if (j)
        kpj_json_delete(j);
    for (n = 1; n <= 2 * total; n++) {
        alloc_calls = 0;
        fail_on = n > total;
        fail_at = fail_on ? n - total : n;
        j = kpj_json_loadb(in, len, flags, &e);
        fail_at = 0;
        v = j ? kpj_json_dumps(j, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
        if (!j || (whole && v && strcmp(v, whole) == 0))
            passed++;
        else {
            failed++;
            if (failed <= DIFFS_SHOWN) {
                printf("OUT OF MEMORY (%s, flags 0x%zx, allocation %lu%s of %lu failed) on '", what,
                       flags, fail_at, fail_on ? " and on" : "", total);
                show_bytes(in, len);
                printf("'\n  whole: %s\n  got:   %s\n", whole ? whole : "(null)", v ? v : "(null)");
            }
        }
        free(v);
        if (j)
            kpj_json_delete(j);
    }
    free(whole);
    free(in);
    kpj_json_set_alloc_funcs(malloc, free);
}

static void oom_fixed_cases(void)
{
    static const char *const cases[] = {
        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"names\": [\"read\", \"write\"]}",
        "[\"a string longer than the sixteen bytes a buffer starts with\"]",
        "[\"escapes \\n\\t\\u00e9\\ud83d\\ude00 and UTF-8 \xc3\xa9\xe2\x82\xac in a long string\"]",
        "[123456789012345678, -98765432109876543210, 1.25e-300, 0.000000000000000000001]",
        "[true, false, null, truex]",
        "{\"a\": {\"b\": [1, {\"c\": \"dddddddddddddddddddddddddddddd\"}]}}",
        /* numbers whose exponent lands where the saved text must grow (16, 32 bytes) */
        "12345678901234e5",
        "[1234567890123e+5]",
        "-0.00000000000e5",
        "[1234567890123456789012345678e-7, 123456789012345678901234567890.5E+12]",
        "[truuuuuuuuuuuuuuuuuuuuue, nullllllllllllllllllllll]",
        "{\"k\": 1} trailing",
    };
    size_t i, f;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (f = 0; f < N_FLAG_SETS; f++)
            oom_check("oom fixed", cases[i], strlen(cases[i]), flag_sets[f]);
}

static void fixed_cases(void)
{
    static const char *const cases[] = {
        "",
        " ",
        "\n\n\n",
        " \t\r\n",
        "{}",
        "[]",
        " { } ",
        "{\"a\":1}",
        "{\"a\":1,\"a\":2}",
        "[1,2,3]",
        "[1 2]",
        "{\"a\" 1}",
        "{\"a\":}",
        "[,]",
        "[1,]",
        "{\"a\":1,}",
        "\"abc\"",
        "\"abc",
        "\"ab\ncd\"",
        "\"ab\tcd\"",
        "\"\\u0000\"",
        "{\"\\u0000\":1}",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "\"\\ud83d\\ude00\"",
        "\"\\u12\"",
        "\"\\uabcg\"",
        "\"\\q\"",
        "\"\xc3\xa9t\xc3\xa9\"",
        "\"\xc3\"",
        "\"\xc3",
        "\xc3",
        "\"\xe2\x82\"",
        "\"\x80\"",
        "\"\xc0\x80\"",
        "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"",
        "\"\xff\"",
        "[\"\xf0\x9f\x98\x80\"]",
        "\xef\xbb\xbf{}",
        "[\xc3\xa9]",
        "[1e400]",
        "[-1e400]",
        "[1e-400]",
        "[9223372036854775807]",
        "[9223372036854775808]",
        "[-9223372036854775808]",
        "[-9223372036854775809]",
        "[123456789012345678901234567890]",
        "[01]",
        "[-]",
        "[1.]",
        "[.5]",
        "[1e]",
        "[-0]",
        "[true,false,null]",
        "[tru]",
        "[truex]",
        "[nul]",
        "{\"a\":[{\"b\":[]}]}",
        "{} {}",
        "[] x",
        "{\"a\":1}\n",
        "{\"a\":1}  \n  ",
        "[\"a\"\n,\n\"b\"\n]",
        "[\n\n\"a\n\"]",
        "  \n  [  \n  x",
        "[\"abc\" \"def\"]",
        "[\"\x7f\"]",
        "[\"\x1f\"]",
        "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_str("fixed", cases[i]);
    /* NUL bytes where strlen() cannot put them. */
    check("fixed", "[\"a\0b\"]", 7);
    check("fixed", "[1\0]", 4);
    check("fixed", "{\"a\0\":1}", 9);
    check("fixed", "[1] \0", 5);
    check("fixed", "\0", 1);
    check("fixed", "  \0  ", 5);
    check("fixed", "[\"\xc3\0\"]", 6);
    check("fixed", "[\"\xe2\x82\0\"]", 7);
    printf("fixed cases: %lu passed, %lu failed so far\n", passed, failed);
}

/* Nesting around jansson's limit (JSON_PARSER_MAX_DEPTH, 2048): arrays, objects, both mixed,
 * with whitespace, closed, unclosed and with something after. */
static void nesting_cases(void)
{
    static const size_t depths[] = {1, 2, 100, 2046, 2047, 2048, 2049, 2050, 4096};
    static struct buf b;
    size_t i, d, shape;

    for (i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        for (shape = 0; shape < 5; shape++) {
            b.len = 0;
            for (d = 0; d < depths[i]; d++) {
                if (shape == 1 || (shape == 2 && d % 2))
                    puts_(&b, "{\"k\":");
                else
                    puts_(&b, shape == 3 ? " [\n" : "[");
            }
            puts_(&b, "\"v\"");
            if (shape != 4)
                for (d = depths[i]; d-- > 0;)
                    puts_(&b, (shape == 1 || (shape == 2 && d % 2)) ? "}" : "]");
            check("nesting", b.data, b.len);
            putc_(&b, 'x');
            check("nesting", b.data, b.len);
        }
    }
    printf("nesting: %lu passed, %lu failed so far\n", passed, failed);
}

static bool read_file(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    b->len = fread(b->data, 1, INPUT_MAX, f);
    fclose(f);
    return true;
}

int main(int argc, char **argv)
{
    static struct buf doc, mut;
    unsigned long count, i, j;
    char *end;
    int a;

    if (argc < 3) {
        fprintf(stderr, "usage: jansson_diff SEED COUNT [FILE...]\n");
        return 2;
    }
    rng_state = strtoull(argv[1], &end, 0) | 1;
    count = strtoul(argv[2], &end, 0);
    if (*end) {
        fprintf(stderr, "jansson_diff: COUNT is a number\n");
        return 2;
    }

    fixed_cases();
    nesting_cases();
    for (i = 0; i < count; i++) {
        doc.len = 0;
        gen_document(&doc);
        check("random", doc.data, doc.len);
        for (j = 0; j < 4; j++) {
            mutate(&mut, doc.data, doc.len);
            check("mutated", mut.data, mut.len);
        }
    }
    printf("random documents: %lu and 4 mutations each: %lu passed, %lu failed so far\n", count,
           passed, failed);
    /* The same documents again from the start, the first OOM_DOCS of them, out of memory. */
    rng_state = strtoull(argv[1], &end, 0) | 1;
    oom_fixed_cases();
    for (i = 0; i < count && i < OOM_DOCS; i++) {
        doc.len = 0;
        gen_document(&doc);
        oom_check("oom random", doc.data, doc.len, flag_sets[i % N_FLAG_SETS]);
        for (j = 0; j < 4; j++)
            mutate(&mut, doc.data, doc.len); /* as above, so that document i is the same */
    }
    printf("out of memory: every allocation in turn, and all from each on, 12 fixed inputs and %lu "
           "documents: %lu passed, %lu failed so far\n",
           count < OOM_DOCS ? count : OOM_DOCS, passed, failed);
    for (a = 3; a < argc; a++) {
        if (!read_file(argv[a], &doc)) {
            fprintf(stderr, "jansson_diff: cannot read %s\n", argv[a]);
            return 2;
        }
        check("file", doc.data, doc.len);
        for (j = 0; j < 50; j++) {
            mutate(&mut, doc.data, doc.len);
            check("file mutated", mut.data, mut.len);
        }
    }
    if (argc > 3)
        printf("files: %d and 50 mutations each: %lu passed, %lu failed so far\n", argc - 3, passed,
               failed);
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed ? 1 : 0;
}
