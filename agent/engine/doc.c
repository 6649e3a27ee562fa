/* ydoc.c - YAML/JSON to struct ynode, with limits. */
#include "engine/doc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/cleanup.h"
#include "base/hmap.h"
#include "base/names.h"

/* A tree's nodes, keys, strings and lists are cut from blocks that one ynode_free() of its
 * root gives back at once (the root holds them): a policy's tree is a hundred small pieces or
 * so, and a malloc() and a free() for each was about a third of its parse. The first block is
 * small (a stream of tiny documents kept whole must not cost a large block each), and a
 * block holds twice what the one before held, up to YBLOCK_MAX; a piece larger than that gets
 * a block of its own. */
struct yblock {
    struct yblock *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
};

#define YBLOCK_FIRST 256
#define YBLOCK_MAX (1u << 20)

static void blocks_free(struct yblock *b)
{
    while (b) {
        struct yblock *next = b->next;
        free(b);
        b = next;
    }
}

/* size bytes aligned for any of the tree's pieces (8 bytes), or for a string (align 1). */
static void *tree_alloc(struct yblock **blocks, size_t size, size_t align)
{
    struct yblock *b = *blocks;
    if (b) {
        size_t at = (b->used + align - 1) & ~(align - 1);
        if (at <= b->cap && size <= b->cap - at) {
            b->used = at + size;
            return b->data + at;
        }
    }
    size_t cap = b && b->cap < YBLOCK_MAX ? b->cap * 2 : b ? YBLOCK_MAX : YBLOCK_FIRST;
    if (cap < size)
        cap = size;
    if (cap > SIZE_MAX - sizeof(*b))
        return NULL;
    struct yblock *nb = malloc(sizeof(*nb) + cap);
    if (!nb)
        return NULL;
    nb->next = b;
    nb->used = size;
    nb->cap = cap;
    *blocks = nb;
    return nb->data;
}

#define TREE_ALIGN (sizeof(void *))

static char *tree_strndup(struct yblock **blocks, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *d = tree_alloc(blocks, len + 1, 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static struct ynode *ynode_new(struct yblock **blocks, enum ynode_kind kind, int line)
{
    struct ynode *n = tree_alloc(blocks, sizeof(*n), TREE_ALIGN);
    if (n)
        *n = (struct ynode){.kind = kind, .line = line};
    return n;
}

/* Room in the tree for the n children (and, for a mapping, keys) of a list or mapping; none
 * for n 0 (items and keys stay NULL). parent->n is set by the caller once they are filled. */
static int new_items(struct yblock **blocks, struct ynode *parent, size_t n)
{
    if (!n)
        return 0;
    if (n > SIZE_MAX / sizeof(*parent->items))
        return -ENOMEM;
    parent->items = tree_alloc(blocks, n * sizeof(*parent->items), TREE_ALIGN);
    if (!parent->items)
        return -ENOMEM;
    if (parent->kind == YN_MAP &&
        !(parent->keys = tree_alloc(blocks, n * sizeof(*parent->keys), TREE_ALIGN)))
        return -ENOMEM;
    return 0;
}

/* The n children (and, for a mapping, keys) of a list or mapping, copied from where the
 * builder gathered them into pieces of the tree's own size. */
static int set_items(struct yblock **blocks, struct ynode *parent, char *const *keys,
                     struct ynode *const *items, size_t n)
{
    int r = new_items(blocks, parent, n);
    if (r < 0 || !n)
        return r;
    memcpy(parent->items, items, n * sizeof(*items));
    if (parent->kind == YN_MAP)
        memcpy(parent->keys, keys, n * sizeof(*keys));
    parent->n = n;
    return 0;
}

void ynode_free(struct ynode *n)
{
    /* Only a root holds blocks: its children are given back with it. */
    if (n)
        blocks_free(n->mem);
}

void ydoc_free_all(struct ynode **docs, size_t n)
{
    for (size_t i = 0; docs && i < n; i++)
        ynode_free(docs[i]);
    free(docs);
}

/* The children of the lists and mappings being built, from the outermost one open to the
 * innermost: each takes its own when it ends. One per document node at most (bounded by
 * YDOC_MAX_NODES), kept from one document to the next. */
struct gathered {
    char **keys;
    struct ynode **items;
    size_t n, cap;
};

static int gather(struct gathered *g, char *key, struct ynode *child)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        char **keys = realloc(g->keys, cap * sizeof(*keys));
        if (!keys)
            return -ENOMEM;
        g->keys = keys;
        struct ynode **items = realloc(g->items, cap * sizeof(*items));
        if (!items)
            return -ENOMEM;
        g->items = items;
        g->cap = cap;
    }
    g->keys[g->n] = key;
    g->items[g->n++] = child;
    return 0;
}

/* The keys and children gathered since base (pointers valid until the next gather()). */
static char *const *gathered_keys(const struct gathered *g, size_t base)
{
    return g->keys ? g->keys + base : NULL;
}

static struct ynode *const *gathered_items(const struct gathered *g, size_t base)
{
    return g->items ? g->items + base : NULL;
}

struct builder {
    yaml_parser_t parser;
    const char *buf; /* the input, for the lines of reader errors */
    size_t len;
    const char *file;
    size_t nodes;
    struct kerr *err;
    struct yblock *blocks; /* the document being built */
    struct gathered open;
    /* The document's first duplicate key: told once the document is whole, naming the
     * object it is in and where its first occurrence is. */
    int dup_line;          /* 0: none */
    const char *dup_first; /* the first occurrence's own key string in the tree */
};

/* s is one or more characters of set (as strspn counts them). */
static bool all_of(const char *s, const char *set)
{
    return *s && s[strspn(s, set)] == '\0';
}

#define DIGITS "0123456789"

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_float(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    size_t whole = strspn(s, DIGITS), frac = 0;
    s += whole;
    if (*s == '.') {
        frac = strspn(s + 1, DIGITS);
        s += 1 + frac;
    }
    if (whole == 0 && frac == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        return all_of(s, DIGITS);
    }
    return *s == '\0';
}

/* A whole number as Go's strconv.ParseInt/ParseUint read it with base 0 (what kubectl's YAML
 * reader uses): an optional sign, then 0x/0X hex, 0o/0O or a leading 0 octal, 0b/0B binary, or
 * decimal. *ret_neg tells the sign; -ERANGE when the magnitude does not fit 64 bits. */
static int go_parse_int(const char *s, bool *ret_neg, uint64_t *ret)
{
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2;
    else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        base = 8, s += 2;
    else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
        base = 2, s += 2;
    else if (s[0] == '0' && s[1])
        base = 8, s += 1;
    if (!*s)
        return -EINVAL;
    uint64_t v = 0;
    bool range = false;
    for (; *s; s++) {
        unsigned d = *s >= '0' && *s <= '9'   ? (unsigned)(*s - '0')
                     : *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10)
                     : *s >= 'A' && *s <= 'F' ? (unsigned)(*s - 'A' + 10)
                                              : 99;
        if (d >= base)
            return -EINVAL;
        if (v > (UINT64_MAX - d) / base)
            range = true;
        else
            v = v * base + d;
    }
    if (range)
        return -ERANGE;
    *ret_neg = neg;
    *ret = v;
    return 0;
}

/* The type of a plain scalar as kubectl reads YAML (YAML 1.1, as go-yaml v2 resolves it), so
 * that kscmp and the API server see the same object in the same file: y, yes, on (and n, no,
 * off) are booleans, 010 is octal, 0b101 binary, 1_000 a thousand. Integers that fit 64 bits
 * (signed, or unsigned) become their decimal text in *str and booleans "true" or "false", so
 * that readers of the tree need not know these spellings; what matches nothing is a string. */
/* Whether a plain scalar cannot be a null, a boolean, a number or a special float, so that
 * resolve_plain() need not compare it: every such word is at most 5 bytes long and starts with
 * one of the letters below, and numbers start with a digit, a sign or a dot. Most scalars
 * (syscall names, keys) take this path. */
static bool surely_string(const char *s)
{
    if (!*s)
        return false;
    if (!strchr("~nNyYtTfFoO.+-0123456789", *s))
        return true;
    bool letter = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');
    return letter && strnlen(s, 6) > 5;
}

/* *ret_text: NULL when s reads as itself, else the text it stands for (malloc()ed). */
static int resolve_plain(const char *s, enum yscalar *ret, char **ret_text)
{
    /* The words that read as a null or a boolean: each is compared only with a scalar of its
     * length (most that get here are short syscall names such as "fstat" or "open"). */
    static const struct {
        char word[6];
        unsigned char len;
        enum yscalar type;
        bool truth;
    } words[] = {
        {"", 0, YS_NULL, false},      {"~", 1, YS_NULL, false},     {"null", 4, YS_NULL, false},
        {"Null", 4, YS_NULL, false},  {"NULL", 4, YS_NULL, false},  {"y", 1, YS_BOOL, true},
        {"Y", 1, YS_BOOL, true},      {"yes", 3, YS_BOOL, true},    {"Yes", 3, YS_BOOL, true},
        {"YES", 3, YS_BOOL, true},    {"true", 4, YS_BOOL, true},   {"True", 4, YS_BOOL, true},
        {"TRUE", 4, YS_BOOL, true},   {"on", 2, YS_BOOL, true},     {"On", 2, YS_BOOL, true},
        {"ON", 2, YS_BOOL, true},     {"n", 1, YS_BOOL, false},     {"N", 1, YS_BOOL, false},
        {"no", 2, YS_BOOL, false},    {"No", 2, YS_BOOL, false},    {"NO", 2, YS_BOOL, false},
        {"false", 5, YS_BOOL, false}, {"False", 5, YS_BOOL, false}, {"FALSE", 5, YS_BOOL, false},
        {"off", 3, YS_BOOL, false},   {"Off", 3, YS_BOOL, false},   {"OFF", 3, YS_BOOL, false},
    };
    static const char *const specials[] = {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"};
    *ret_text = NULL;
    if (surely_string(s)) {
        *ret = YS_STR;
        return 0;
    }
    size_t len = strnlen(s, sizeof(words[0].word));
    for (size_t i = 0; i < ELEMENTSOF(words); i++) {
        if (words[i].len != len || memcmp(s, words[i].word, len) != 0)
            continue;
        *ret = words[i].type;
        if (words[i].type == YS_BOOL && !(*ret_text = strdup(words[i].truth ? "true" : "false")))
            return -ENOMEM;
        return 0;
    }
    const char *u = *s == '-' || *s == '+' ? s + 1 : s;
    for (size_t i = 0; i < ELEMENTSOF(specials); i++)
        if (strcmp(u, specials[i]) == 0 && (u == s || i < 3)) { /* no sign on .nan */
            *ret = YS_FLOAT;
            return 0;
        }
    *ret = YS_STR;
    if (!((*u >= '0' && *u <= '9') || *u == '.'))
        return 0;
    /* Numbers: underscores are dropped first, as go-yaml does. */
    _cleanup_free_ char *plain = strdup(s);
    if (!plain)
        return -ENOMEM;
    size_t w = 0;
    for (size_t i = 0; plain[i]; i++)
        if (plain[i] != '_')
            plain[w++] = plain[i];
    plain[w] = '\0';
    bool neg;
    uint64_t v;
    if (go_parse_int(plain, &neg, &v) == 0 && (!neg || v <= (uint64_t)INT64_MAX + 1)) {
        char buf[32];
        if (neg && v)
            snprintf(buf, sizeof(buf), "-%" PRIu64, v);
        else
            snprintf(buf, sizeof(buf), "%" PRIu64, v);
        *ret_text = strdup(buf);
        if (!*ret_text)
            return -ENOMEM;
        *ret = YS_INT;
        return 0;
    }
    if (is_float(plain)) {
        *ret_text = TAKE_PTR(plain);
        *ret = YS_FLOAT;
    }
    return 0;
}

/* resolve_plain() on a string of the tree, which is replaced by the text it stands for. */
static int resolve_in_tree(struct yblock **blocks, char **str, enum yscalar *ret)
{
    _cleanup_free_ char *text = NULL;
    if (resolve_plain(*str, ret, &text) < 0)
        return -ENOMEM;
    if (text && !(*str = tree_strndup(blocks, text, strlen(text))))
        return -ENOMEM;
    return 0;
}

bool ydoc_plain_safe(const char *s)
{
    if (*s >= '0' && *s <= '9')
        return false;
    if (surely_string(s))
        return true;
    enum yscalar t;
    _cleanup_free_ char *text = NULL;
    if (resolve_plain(s, &t, &text) < 0)
        return false; /* quoted: a string whatever it reads as */
    return t == YS_STR;
}

/* Whether the text's first thing, past blanks and "#" or "//" comment lines, is "{" or "[":
 * JSON, which the YAML parser reads too (JSON is YAML); *ret_start is that byte's offset. */
static bool json_start(const char *buf, size_t len, size_t *ret_start)
{
    for (size_t i = 0; buf && i < len;) {
        char ch = buf[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            i++;
        } else if (ch == '#' || (ch == '/' && i + 1 < len && buf[i + 1] == '/')) {
            const char *nl = memchr(buf + i, '\n', len - i);
            i = nl ? (size_t)(nl - buf) + 1 : len;
        } else {
            *ret_start = i;
            return ch == '{' || ch == '[';
        }
    }
    return false;
}

/* Where JSON text breaks JSON's rules, in jansson's words, at a line and column of the whole
 * text. */
struct json_break {
    size_t line;
    int column;
    char text[JSON_ERROR_TEXT_LENGTH];
};

/* Line (1-based) and column (1-based, bytes) of offset off in buf. */
static void line_column(const char *buf, size_t off, size_t *ret_line, int *ret_column)
{
    size_t line = 1, line_start = 0;
    for (size_t i = 0; i < off; i++)
        if (buf[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    *ret_line = line;
    *ret_column = (int)(off - line_start) + 1;
}

/* The largest text that a syntax error has jansson read again (its tree is built whole). */
#define JSON_WORDS_MAX_INPUT (1u << 20)

/* Reads buf from start as JSON, as jansson would; fills *ret and returns true at the first
 * fault, or where a second value starts (the YAML parser reads one JSON value a document);
 * false when jansson reads it all (the YAML parser's words then). */
static bool json_break_find(const char *buf, size_t len, size_t start, struct json_break *ret)
{
    size_t off = start;
    json_error_t e;
    json_t *v = json_loadb(buf + off, len - off, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e);
    if (v) {
        json_decref(v);
        for (off += e.position > 0 ? (size_t)e.position : len - off; off < len; off++)
            if (!strchr(" \t\r\n", buf[off]))
                break;
        if (off >= len || (len - off >= 3 && memcmp(buf + off, "---", 3) == 0))
            return false; /* all read, or YAML documents follow: libyaml's words then */
        line_column(buf, off, &ret->line, &ret->column);
        snprintf(ret->text, sizeof(ret->text),
                 "a second JSON value starts here: a JSON file holds one (several objects go in "
                 "the items of a kind: List)");
        return true;
    }
    line_column(buf, off, &ret->line, &ret->column);
    if (e.line > 1) {
        ret->line += (size_t)e.line - 1;
        ret->column = e.column;
    } else if (e.column > 1) {
        ret->column += e.column - 1;
    }
    snprintf(ret->text, sizeof(ret->text), "%s", e.text);
    return true;
}

/* Where line n (from 0) of the text starts, or NULL past its last line. */
static const char *line_at(const struct builder *b, size_t n)
{
    const char *l = b->buf, *end = b->buf + b->len;
    for (size_t i = 0; l && i < n; i++) {
        l = memchr(l, '\n', (size_t)(end - l));
        l = l ? l + 1 : NULL;
    }
    return l;
}

/* libyaml's words for '@' or '`' at the start of a plain value ("found character that cannot
 * start any token") do not say that YAML reserves them: " (@ cannot start a plain value: quote
 * it: \"@basic-io\")" into buf when the problem of p is there, at its mark on the line that
 * starts at l. */
static bool reserved_start_hint(const struct builder *b, const char *l, const yaml_parser_t *p,
                                char *buf, size_t len)
{
    const char *end = b->buf + b->len;
    /* The mark's column counts characters: step over UTF-8 continuation bytes. */
    for (size_t col = 0; l < end && *l != '\n' && col < p->problem_mark.column; col++)
        for (l++; l < end && ((unsigned char)*l & 0xC0) == 0x80; l++)
            ;
    if (l >= end || (*l != '@' && *l != '`'))
        return false;
    size_t n = 0;
    while (l + n < end && n < 64 && !strchr(" \t\r\n,[]{}#", l[n]))
        n++;
    snprintf(buf, len, " (%c cannot start a plain value: quote it: \"%.*s\")", *l, (int)n, l);
    return true;
}

/* libyaml's "could not find expected ':'" names the line after a key without its colon, or
 * with one glued to the value ("action:Allow" is one plain word in a block mapping): the line
 * where the key starts (at, from 0) says which, into buf. */
static bool simple_key_hint(const struct builder *b, size_t at, char *buf, size_t len)
{
    const char *l = line_at(b, at), *end = b->buf + b->len;
    if (!l)
        return false;
    /* The line's key: past the indentation and the "- " of list items, up to a comment. */
    for (;;) {
        while (l < end && *l == ' ')
            l++;
        if (l + 1 < end && l[0] == '-' && l[1] == ' ')
            l += 2;
        else
            break;
    }
    const char *eol = memchr(l, '\n', (size_t)(end - l));
    size_t n = (size_t)((eol ? eol : end) - l);
    for (size_t i = 0; i + 1 < n; i++)
        if ((l[i] == ' ' || l[i] == '\t') && l[i + 1] == '#') {
            n = i;
            break;
        }
    while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
        n--;
    if (n == 0 || n > 80 || *l == '"' || *l == '\'')
        return false;
    /* A colon in the first word ("action:Allow"), not in a value after a space (an image
     * "nginx:1.25" of a key that lost its colon). */
    size_t word = 0;
    while (word < n && l[word] != ' ' && l[word] != '\t')
        word++;
    const char *colon = memchr(l, ':', word);
    if (colon && colon + 1 < l + word)
        snprintf(buf, len, " (line %zu, \"%.*s\": a colon needs a space after it)", at + 1, (int)n,
                 l);
    else if (!colon)
        snprintf(buf, len,
                 " (line %zu, \"%.*s\", has no colon: write \"KEY: VALUE\", or \"KEY:\" "
                 "above a block)",
                 at + 1, (int)n, l);
    else
        return false;
    return true;
}

/* libyaml's "mapping values are not allowed in this context": a value holding ": " (message:
 * note: this), which is quoted, or a key above that lost its colon, whose line ran into this
 * one as a plain value ("name web" above "namespace: demo"). Into buf. */
static bool mapping_value_hint(const struct builder *b, const yaml_parser_t *p, char *buf,
                               size_t len)
{
    const char *l = line_at(b, p->problem_mark.line), *end = b->buf + b->len;
    if (!l)
        return false;
    const char *eol = memchr(l, '\n', (size_t)(end - l));
    size_t n = (size_t)((eol ? eol : end) - l);
    const char *first = n > 1 ? memmem(l, n, ": ", 2) : NULL;
    if (first && memmem(first + 2, n - (size_t)(first + 2 - l), ": ", 2)) {
        snprintf(buf, len, " (line %zu: a value that holds \": \" is written quoted)",
                 p->problem_mark.line + 1);
        return true;
    }
    /* The line above that holds something (not blank, not a comment). */
    for (size_t at = p->problem_mark.line; at-- > 0;) {
        const char *a = line_at(b, at);
        size_t c = 0;
        while (a && a + c < end && a[c] == ' ')
            c++;
        if (!a || a + c >= end || a[c] == '\n' || a[c] == '\r' || a[c] == '#')
            continue;
        if (simple_key_hint(b, at, buf, len))
            return true;
        /* A key indented deeper than the one above, whose value is a scalar ("extends:
         * base"): read as more of that value. */
        size_t ind = 0;
        while (l + ind < end && l[ind] == ' ')
            ind++;
        const char *aeol = memchr(a, '\n', (size_t)(end - a));
        size_t an = (size_t)((aeol ? aeol : end) - a);
        while (an > c && (a[an - 1] == ' ' || a[an - 1] == '\r'))
            an--;
        const char *colon = memmem(a + c, an - c, ": ", 2);
        if (ind <= c || !colon || an - c > 80)
            return false;
        snprintf(buf, len,
                 " (line %zu is indented deeper than line %zu, \"%.*s\", whose value is no "
                 "mapping: the keys of one mapping line up)",
                 p->problem_mark.line + 1, at + 1, (int)(an - c), a + c);
        return true;
    }
    return false;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The indentation of the line that starts at k, or SIZE_MAX when it holds nothing (blank, a
 * comment). */
static size_t indent_at(const struct builder *b, const char *k)
{
    const char *end = b->buf + b->len;
    size_t c = 0;
    while (k + c < end && k[c] == ' ')
        c++;
    return k + c < end && k[c] != '\n' && k[c] != '\r' && k[c] != '#' ? c : SIZE_MAX;
}

/* The indentation of the nearest line above line n (0-based) that holds something: the key a
 * block that starts at line n is the value of; SIZE_MAX for none. */
static size_t parent_column(const struct builder *b, size_t n)
{
    const char *l = line_at(b, n);
    while (l && l > b->buf) {
        const char *k = l - 1; /* the '\n' that ends the line above */
        while (k > b->buf && k[-1] != '\n')
            k--;
        size_t c = indent_at(b, k);
        if (c != SIZE_MAX)
            return c;
        l = k;
    }
    return SIZE_MAX;
}

/* The indentation of the first line from line n (0-based) on that holds something (SIZE_MAX:
 * none). */
static size_t content_column(const struct builder *b, size_t n)
{
    const char *end = b->buf + b->len;
    for (const char *k = line_at(b, n); k && k < end;) {
        size_t c = indent_at(b, k);
        if (c != SIZE_MAX)
            return c;
        const char *eol = memchr(k, '\n', (size_t)(end - k));
        k = eol ? eol + 1 : NULL;
    }
    return SIZE_MAX;
}

/* Whether a line below line n (0-based) is indented ind, before any line indented less: a key
 * in line with the key of line n, after the deeper lines of its value. */
static bool sibling_below(const struct builder *b, size_t n, size_t ind)
{
    const char *end = b->buf + b->len;
    for (const char *k = line_at(b, n + 1); k && k < end;) {
        size_t c = 0;
        while (k + c < end && k[c] == ' ')
            c++;
        bool blank = k + c >= end || k[c] == '\n' || k[c] == '\r' || k[c] == '#';
        if (!blank && c <= ind)
            return c == ind &&
                   !(k + c + 2 < end && k[c] == '-' && k[c + 1] == '-' && k[c + 2] == '-');
        const char *eol = memchr(k, '\n', (size_t)(end - k));
        k = eol ? eol + 1 : NULL;
    }
    return false;
}

/* libyaml's "did not find expected '-' indicator while parsing a block collection" names no
 * indentation either: a line deeper than the list's "- " that is not in line with the keys of
 * the item above it (" (line 30 is indented 6 spaces: the keys of the list item on line 29 are
 * at 7, after its \"- \")") into buf. */
static bool block_collection_hint(const struct builder *b, const yaml_parser_t *p, char *buf,
                                  size_t len)
{
    const char *end = b->buf + b->len, *l = line_at(b, p->problem_mark.line);
    size_t ind = 0, dash = p->context_mark.column;
    while (l && l + ind < end && l[ind] == ' ')
        ind++;
    if (!l || ind <= dash)
        return false;
    /* The item above it: its "- " at the list's column, and the column of what follows (the
     * lines walked back one at a time, from the problem's line to the list's first). */
    size_t i = p->problem_mark.line;
    for (const char *k = l; k > b->buf && i-- > p->context_mark.line;) {
        for (k--; k > b->buf && k[-1] != '\n';)
            k--;
        size_t c = 0;
        while (k + c < end && k[c] == ' ')
            c++;
        if (c != dash || k + c + 1 >= end || k[c] != '-' || k[c + 1] != ' ')
            continue;
        size_t at = c + 1;
        while (k + at < end && k[at] == ' ')
            at++;
        if (at == ind || k + at >= end || k[at] == '\n' || k[at] == '#')
            return false;
        snprintf(buf, len,
                 " (line %zu is indented %zu space%s: the keys of the list item on line %zu are "
                 "at %zu, after its \"- \")",
                 p->problem_mark.line + 1, ind, ind == 1 ? "" : "s", i + 1, at);
        return true;
    }
    return false;
}

/* libyaml's "did not find expected key while parsing a block mapping" names no indentation:
 * into buf, how the problem's line is indented against the mapping's keys (a key indented one
 * space off), or that it is a list item among them (a list above that lost its "- "). */
static bool block_mapping_hint(const struct builder *b, const yaml_parser_t *p, char *buf,
                               size_t len)
{
    const char *l = line_at(b, p->problem_mark.line), *end = b->buf + b->len;
    if (!l)
        return false;
    size_t ind = 0;
    while (l + ind < end && l[ind] == ' ')
        ind++;
    size_t keys = p->context_mark.column;
    bool item =
        l + ind < end && l[ind] == '-' && (l + ind + 1 == end || strchr(" \r\n", l[ind + 1]));
    if (item && ind == keys)
        snprintf(buf, len,
                 " (line %zu is a list item among the keys of that mapping: is a key such as "
                 "\"rules:\" missing above it, or did the list above lose the \"- \" of its "
                 "first item?)",
                 p->problem_mark.line + 1);
    else if (ind != keys) {
        /* The columns of the keys above it, from the mapping's first line: the line lines up
         * with none of them (one level or another would have taken it). */
        size_t cols[8], ncols = 0;
        for (const char *k = line_at(b, p->context_mark.line); k && k < l;) {
            const char *eol = memchr(k, '\n', (size_t)(l - k));
            size_t c = 0;
            while (k + c < l && k[c] == ' ')
                c++;
            bool blank = k + c >= l || k[c] == '\n' || k[c] == '\r' || k[c] == '#';
            /* A key's column; for "- key:", the item's keys' too. */
            for (int pass = 0; !blank && pass < 2; pass++) {
                bool seen = false;
                for (size_t i = 0; i < ncols; i++)
                    seen |= cols[i] == c;
                if (c == ind)
                    return false; /* it does line up with one: something else is wrong */
                if (!seen && ncols < ELEMENTSOF(cols))
                    cols[ncols++] = c;
                if (pass || k + c + 1 >= l || k[c] != '-' || k[c + 1] != ' ')
                    break;
                /* The item's own column counts only when it holds a key ("- name: x"). */
                const char *e = eol ? eol : l;
                const char *colon = memchr(k + c, ':', (size_t)(e - (k + c)));
                if (!colon || (colon + 1 < e && colon[1] != ' ' && colon[1] != '\r'))
                    break;
                c += 2;
            }
            k = eol ? eol + 1 : NULL;
        }
        qsort(cols, ncols, sizeof(*cols), cmp_size);
        char list[64] = "";
        for (size_t i = 0, off = 0; i < ncols && off < sizeof(list); i++)
            off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%zu",
                                    i == 0           ? ""
                                    : i + 1 == ncols ? " and "
                                                     : ", ",
                                    cols[i]);
        /* Deeper than the mapping's first key, under a parent key: that first key may be the
         * one off (its siblings below all line up with this line). */
        char first[96] = "";
        size_t pc = parent_column(b, p->context_mark.line),
               cc = content_column(b, p->context_mark.line + 1);
        if (ind > keys && pc < keys && cc != SIZE_MAX && cc > ind && cc - ind == ind - pc &&
            sibling_below(b, p->problem_mark.line, ind))
            snprintf(first, sizeof(first),
                     "; or line %zu, the first key of that mapping, is %zu "
                     "space%s short",
                     p->context_mark.line + 1, ind - keys, ind - keys == 1 ? "" : "s");
        snprintf(buf, len,
                 " (line %zu is indented %zu space%s, in line with no key above it (%s at %s): "
                 "the keys of one mapping line up%s)",
                 p->problem_mark.line + 1, ind, ind == 1 ? "" : "s",
                 ncols == 1 ? "the key above is" : "the keys above are", list, first);
    } else
        return false;
    return true;
}

static int parse_error(struct builder *b)
{
    const yaml_parser_t *p = &b->parser;
    if (p->error == YAML_MEMORY_ERROR)
        return -ENOMEM;
    size_t line;
    if (p->error == YAML_READER_ERROR) {
        /* The reader decodes ahead of the scanner and sets no mark, only the byte offset. */
        line = 1;
        for (size_t i = 0; i < p->problem_offset && i < b->len; i++)
            line += b->buf[i] == '\n';
    } else {
        line = p->problem_mark.line + 1;
    }
    char ctx[320] = "";
    if (p->context) {
        if (p->context_mark.line != p->problem_mark.line && p->error != YAML_READER_ERROR)
            snprintf(ctx, sizeof(ctx), " %s that starts at line %zu", p->context,
                     p->context_mark.line + 1);
        else
            snprintf(ctx, sizeof(ctx), " %s", p->context);
    }
    /* libyaml's words for a tab in the indentation do not say "tab": add it. */
    const char *hint = "";
    const char *l = line_at(b, line - 1);
    const char *line_start = l;
    while (l && l < b->buf + b->len && *l == ' ')
        l++;
    char quote[320];
    if (l && l < b->buf + b->len && *l == '\t')
        hint = " (a tab: YAML indents with spaces)";
    else if (p->error == YAML_SCANNER_ERROR && p->problem &&
             strcmp(p->problem, "could not find expected ':'") == 0 && p->context &&
             strstr(p->context, "simple key") &&
             simple_key_hint(b, p->context_mark.line, quote, sizeof(quote)))
        hint = quote;
    else if (p->error == YAML_SCANNER_ERROR && p->problem &&
             strcmp(p->problem, "mapping values are not allowed in this context") == 0 &&
             mapping_value_hint(b, p, quote, sizeof(quote)))
        hint = quote;
    else if (p->error == YAML_PARSER_ERROR && p->problem &&
             strcmp(p->problem, "did not find expected key") == 0 && p->context &&
             strcmp(p->context, "while parsing a block mapping") == 0 &&
             block_mapping_hint(b, p, quote, sizeof(quote)))
        hint = quote;
    else if (p->error == YAML_PARSER_ERROR && p->problem &&
             strcmp(p->problem, "did not find expected '-' indicator") == 0 && p->context &&
             strcmp(p->context, "while parsing a block collection") == 0 &&
             block_collection_hint(b, p, quote, sizeof(quote)))
        hint = quote;
    else if (p->error == YAML_SCANNER_ERROR && p->problem &&
             strstr(p->problem, "cannot start any token") && line_start &&
             reserved_start_hint(b, line_start, p, quote, sizeof(quote)))
        hint = quote;
    size_t start;
    bool looks_json = json_start(b->buf, b->len, &start);
    struct json_break jb;
    /* jansson's words where it stops no later than libyaml did (a later document, or what
     * YAML takes and JSON does not, keeps libyaml's), and only for text small enough that
     * jansson's whole tree is no burden (it has no node bound of its own). */
    if (looks_json && b->len <= JSON_WORDS_MAX_INPUT &&
        json_break_find(b->buf, b->len, start, &jb) && jb.line <= line)
        return kerr_set(b->err, -EINVAL, "%s:%zu:%d: malformed JSON: %s", b->file, jb.line,
                        jb.column, jb.text);
    /* A .json file is named for what it should be even where jansson finds no fault. */
    size_t fl = b->file ? strlen(b->file) : 0;
    bool json = looks_json || (fl >= 5 && strcmp(b->file + fl - 5, ".json") == 0);
    const char *format = json ? "JSON" : "YAML";
    return kerr_set(b->err, -EINVAL, "%s:%zu: malformed %s: %s%s%s", b->file, line, format,
                    p->problem ? p->problem : "syntax error", ctx, hint);
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev))
        return parse_error(b);
    return 0;
}

/* Keys are looked up in a hash once a mapping has this many: a linear scan per key would make
 * a mapping of many keys quadratic (100k keys: minutes). */
#define KEYS_LINEAR_MAX 16

static void hmap_clearp(struct hmap *m)
{
    hmap_clear(m, NULL);
}

/* Reads the key event ev of a mapping (consumes ev): a scalar without NUL, not "<<". keys are
 * the nkeys keys the mapping has so far, indexed in seen once there are more than
 * KEYS_LINEAR_MAX. A duplicate returns 1 (its value is to be left out), the document's first
 * one noted in b. */
static int read_key(struct builder *b, yaml_event_t *ev, char *const *keys, size_t nkeys,
                    struct hmap *seen, char **ret)
{
    int line = (int)ev->start_mark.line + 1;
    if (ev->type != YAML_SCALAR_EVENT) {
        bool alias = ev->type == YAML_ALIAS_EVENT, list = ev->type == YAML_SEQUENCE_START_EVENT;
        yaml_event_delete(ev);
        if (alias)
            return kerr_set(b->err, -EINVAL, "%s:%d: YAML aliases (*name) are not accepted",
                            b->file, line);
        return kerr_set(b->err, -EINVAL, "%s:%d: a mapping key must be a string, not a %s", b->file,
                        line, list ? "list" : "mapping");
    }
    size_t len = ev->data.scalar.length;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag;
    char *key = len > YDOC_MAX_SCALAR
                    ? NULL
                    : tree_strndup(&b->blocks, (const char *)ev->data.scalar.value, len);
    yaml_event_delete(ev);
    if (len > YDOC_MAX_SCALAR)
        return kerr_set(b->err, -E2BIG, "%s:%d: mapping key longer than %d bytes", b->file, line,
                        YDOC_MAX_SCALAR);
    if (!key)
        return -ENOMEM;
    if (strlen(key) != len)
        return kerr_set(b->err, -EINVAL, "%s:%d: NUL byte in a mapping key", b->file, line);
    if (strcmp(key, "<<") == 0)
        return kerr_set(b->err, -EINVAL, "%s:%d: YAML merge keys (<<) are not accepted", b->file,
                        line);
    if (plain) {
        /* A plain key that reads as a boolean or a whole number is that value's text, as
         * kubectl turns it into a JSON key ("yes: 1" has the key "true"). */
        _cleanup_free_ char *as = NULL;
        enum yscalar t;
        if (resolve_plain(key, &t, &as) < 0)
            return -ENOMEM;
        if (t == YS_NULL)
            return kerr_set(b->err, -EINVAL, "%s:%d: a mapping key must not be null (\"%s\")",
                            b->file, line, key);
        if ((t == YS_BOOL || t == YS_INT) && !(key = tree_strndup(&b->blocks, as, strlen(as))))
            return -ENOMEM;
    }
    const char *first = NULL;
    if (nkeys < KEYS_LINEAR_MAX) {
        for (size_t i = 0; i < nkeys && !first; i++)
            first = strcmp(keys[i], key) == 0 ? keys[i] : NULL;
    } else {
        for (size_t i = seen->n; i < nkeys; i++) /* index the keys read before */
            if (hmap_put(seen, keys[i], (void *)keys[i], NULL) < 0)
                return -ENOMEM;
        first = hmap_get(seen, key);
    }
    if (first) {
        if (!b->dup_line) {
            b->dup_line = line;
            b->dup_first = first;
        }
        return 1;
    }
    *ret = key;
    return 0;
}

/* Builds the node that starts with ev (which it consumes). On error what it built stays in
 * b->blocks, which the caller frees. */
static int build_node(struct builder *b, yaml_event_t *ev, unsigned depth, struct ynode **ret)
{
    int line = (int)ev->start_mark.line + 1;
    if (++b->nodes > YDOC_MAX_NODES) {
        yaml_event_delete(ev);
        return kerr_set(b->err, -E2BIG,
                        "%s:%d: the file holds more than %d YAML nodes (values, lists and "
                        "mappings), the most kscmp reads from one file: split it",
                        b->file, line, YDOC_MAX_NODES);
    }
    if (depth > YDOC_MAX_DEPTH) {
        yaml_event_delete(ev);
        return kerr_set(b->err, -E2BIG, "%s:%d: nesting deeper than %d levels", b->file, line,
                        YDOC_MAX_DEPTH);
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        yaml_event_delete(ev);
        return kerr_set(b->err, -EINVAL, "%s:%d: YAML aliases (*name) are not accepted", b->file,
                        line);
    case YAML_SCALAR_EVENT: {
        size_t len = ev->data.scalar.length;
        if (len > YDOC_MAX_SCALAR) {
            yaml_event_delete(ev);
            return kerr_set(b->err, -E2BIG, "%s:%d: scalar longer than %d bytes", b->file, line,
                            YDOC_MAX_SCALAR);
        }
        struct ynode *n = ynode_new(&b->blocks, YN_SCALAR, line);
        if (n)
            n->str = tree_strndup(&b->blocks, (const char *)ev->data.scalar.value, len);
        bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        bool tagged_str = ev->data.scalar.tag &&
                          strcmp((const char *)ev->data.scalar.tag, "tag:yaml.org,2002:str") == 0;
        yaml_event_delete(ev);
        if (!n || !n->str)
            return -ENOMEM;
        if (strlen(n->str) != len)
            return kerr_set(b->err, -EINVAL, "%s:%d: NUL byte in a scalar", b->file, line);
        n->stype = YS_STR;
        if (plain && !tagged_str && resolve_in_tree(&b->blocks, &n->str, &n->stype) < 0)
            return -ENOMEM;
        *ret = n;
        return 0;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool is_map = ev->type == YAML_MAPPING_START_EVENT;
        yaml_event_delete(ev);
        struct ynode *n = ynode_new(&b->blocks, is_map ? YN_MAP : YN_SEQ, line);
        if (!n)
            return -ENOMEM;
        /* Its children are gathered after those of the lists and mappings around it. */
        const size_t base = b->open.n;
        _cleanup_(hmap_clearp) struct hmap seen = {0}; /* keys of a large mapping */
        int r;
        for (;;) {
            yaml_event_t cur;
            r = next_event(b, &cur);
            if (r < 0)
                break;
            if (cur.type == YAML_SEQUENCE_END_EVENT || cur.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&cur);
                r = set_items(&b->blocks, n, gathered_keys(&b->open, base),
                              gathered_items(&b->open, base), b->open.n - base);
                break;
            }
            char *key = NULL;
            int key_line = 0;
            bool dup = false;
            if (is_map) {
                key_line = (int)cur.start_mark.line + 1;
                r = read_key(b, &cur, gathered_keys(&b->open, base), b->open.n - base, &seen,
                             &key); /* consumes cur */
                dup = r == 1;
                if (r >= 0)
                    r = next_event(b, &cur);
                if (r < 0)
                    break;
            }
            struct ynode *child = NULL;
            r = build_node(b, &cur, depth + 1, &child);
            if (r < 0)
                break;
            if (dup) /* its value is read to the end, and left out */
                continue;
            child->key_line = key_line;
            r = gather(&b->open, key, child);
            if (r < 0)
                break;
        }
        b->open.n = base;
        if (r < 0)
            return r;
        *ret = n;
        return 0;
    }
    default:
        yaml_event_delete(ev);
        return kerr_set(b->err, -EINVAL, "%s:%d: unexpected YAML event", b->file, line);
    }
}

/* The innermost object (a mapping with a kind) that holds a node, and where its path starts
 * in the path being built. */
struct key_owner {
    const struct ynode *obj;
    size_t at;
};

/* Finds the mapping key whose text is key (the very string, not an equal one) under n, its
 * path in path (from where path ends now) and the object that holds it in *owner; returns its
 * line, or 0 when n does not hold it. Recursion as deep as the tree, which the builder bounds
 * (YDOC_MAX_DEPTH). */
static int key_path(const struct ynode *n, const char *key, char *path, size_t len,
                    struct key_owner *owner)
{
    if (n->kind == YN_SCALAR)
        return 0;
    size_t at = strlen(path);
    struct key_owner outer = *owner;
    if (n->kind == YN_MAP && ynode_is_str(ynode_get(n, "kind")))
        *owner = (struct key_owner){n, at};
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == YN_MAP)
            snprintf(path + at, len - at, "%s%s", at > owner->at ? "." : "", n->keys[i]);
        else
            snprintf(path + at, len - at, "[%zu]", i);
        if (n->kind == YN_MAP && n->keys[i] == key)
            return n->items[i]->key_line;
        int line = key_path(n->items[i], key, path, len, owner);
        if (line)
            return line;
        path[at] = '\0';
    }
    *owner = outer;
    return 0;
}

/* The document's first duplicate key, with the object it is in and its path there. */
static int duplicate_key_error(struct builder *b, const struct ynode *root)
{
    char path[512] = "", who[320] = "";
    struct key_owner owner = {0};
    /* The first occurrence is always in the tree (a value left out is a later duplicate's);
     * without it, the key's text alone. */
    int first_line = key_path(root, b->dup_first, path, sizeof(path), &owner);
    const char *rel = first_line ? path + owner.at : b->dup_first;
    if (owner.obj)
        ydoc_who(owner.obj, who, sizeof(who));
    /* apiVersion or kind twice at the top: two objects run together, the line between them
     * forgotten (and the document, refused whole, takes both with it). */
    bool two = owner.obj == root && (strcmp(rel, "apiVersion") == 0 || strcmp(rel, "kind") == 0);
    return kerr_set(b->err, -EINVAL, "%s:%d: %s%sduplicate key \"%.200s\" (first at line %d)%s",
                    b->file, b->dup_line, who, *who ? ": " : "", rel, first_line,
                    two ? ": two objects without a '---' line between them?" : "");
}

int ydoc_parse_yaml_each(const char *buf, size_t len, const char *file,
                         int (*cb)(struct ynode *doc, void *userdata),
                         int (*bad_doc)(const struct kerr *err, void *userdata), void *userdata,
                         struct kerr *err)
{
    if (len > YDOC_MAX_INPUT)
        return kerr_set(err, -E2BIG, "%s: larger than %u bytes", file, YDOC_MAX_INPUT);
    struct builder b = {.buf = buf, .len = len, .file = file, .err = err};
    if (!yaml_parser_initialize(&b.parser))
        return -ENOMEM;
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
    int r = 0;
    for (;;) {
        yaml_event_t ev;
        r = next_event(&b, &ev);
        if (r < 0)
            break;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t != YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev); /* stream start, document end */
            continue;
        }
        yaml_event_delete(&ev);
        r = next_event(&b, &ev);
        if (r < 0)
            break;
        struct ynode *root = NULL;
        r = build_node(&b, &ev, 0, &root);
        if (r < 0)
            break;
        root->mem = b.blocks; /* the tree's now: freed with it */
        b.blocks = NULL;
        if (root->kind == YN_SCALAR && root->stype == YS_NULL) {
            ynode_free(root); /* an empty document ("---" alone) */
            continue;
        }
        if (b.dup_line) {
            r = duplicate_key_error(&b, root);
            ynode_free(root);
            if (!bad_doc)
                break;
            r = bad_doc(err, userdata);
            kerr_clear(err);
            b.dup_line = 0;
            b.dup_first = NULL;
            if (r < 0)
                break;
            continue;
        }
        r = cb(root, userdata);
        if (r < 0)
            break;
    }
    yaml_parser_delete(&b.parser);
    blocks_free(b.blocks); /* a document left half built */
    free(b.open.keys);
    free(b.open.items);
    if (r == -ENOMEM && (!err || !err->msg[0]))
        kerr_set(err, r, "%s: out of memory", file);
    return r;
}

struct collect_docs {
    struct ynode **docs;
    size_t n;
};

static int collect_doc(struct ynode *doc, void *userdata)
{
    struct collect_docs *c = userdata;
    struct ynode **nd = realloc(c->docs, (c->n + 1) * sizeof(*nd));
    if (!nd) {
        ynode_free(doc);
        return -ENOMEM;
    }
    c->docs = nd;
    c->docs[c->n++] = doc;
    return 0;
}

int ydoc_parse_yaml(const char *buf, size_t len, const char *file, struct ynode ***ret_docs,
                    size_t *ret_n, struct kerr *err)
{
    struct collect_docs c = {0};
    int r = ydoc_parse_yaml_each(buf, len, file, collect_doc, NULL, &c, err);
    if (r < 0) {
        ydoc_free_all(c.docs, c.n);
        return r;
    }
    *ret_docs = c.docs;
    *ret_n = c.n;
    return 0;
}

static int from_json(struct yblock **blocks, const json_t *j, unsigned depth, size_t *count,
                     struct ynode **ret, struct kerr *err)
{
    if (depth > YDOC_MAX_DEPTH)
        return kerr_set(err, -E2BIG, "JSON nested deeper than %d levels", YDOC_MAX_DEPTH);
    if (++*count > YDOC_MAX_NODES)
        return kerr_set(err, -E2BIG,
                        "the JSON object holds more than %d nodes, the most kscmp reads in one",
                        YDOC_MAX_NODES);
    struct ynode *n = NULL;
    char buf[64];
    const char *text = buf;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
    case JSON_ARRAY: {
        bool is_map = json_is_object(j);
        size_t size = is_map ? json_object_size(j) : json_array_size(j);
        n = ynode_new(blocks, is_map ? YN_MAP : YN_SEQ, 0);
        if (!n || new_items(blocks, n, size) < 0)
            return -ENOMEM;
        if (!size)
            break;
        const char *k;
        json_t *v;
        size_t i = 0;
        if (is_map) {
            json_object_foreach((json_t *)j, k, v)
            {
                if (i == size)
                    break;
#if JANSSON_VERSION_HEX >= 0x020e00
                if (json_object_iter_key_len(json_object_key_to_iter(k)) != strlen(k))
                    return kerr_set(err, -EINVAL, "JSON: NUL byte in the key \"%.100s\"", k);
#endif
                int r = from_json(blocks, v, depth + 1, count, &n->items[i], err);
                if (r < 0)
                    return r;
                if (!(n->keys[i++] = tree_strndup(blocks, k, strlen(k))))
                    return -ENOMEM;
            }
        } else {
            json_array_foreach(j, i, v)
            {
                if (i == size)
                    break;
                int r = from_json(blocks, v, depth + 1, count, &n->items[i], err);
                if (r < 0)
                    return r;
            }
        }
        n->n = i;
        break;
    }
    default:
        n = ynode_new(blocks, YN_SCALAR, 0);
        if (!n)
            return -ENOMEM;
        if (json_is_string(j)) {
            n->stype = YS_STR;
            text = json_string_value(j);
            if (strlen(text) != json_string_length(j))
                return kerr_set(err, -EINVAL, "JSON: NUL byte in the string \"%.100s\"", text);
        } else if (json_is_integer(j)) {
            n->stype = YS_INT;
            snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        } else if (json_is_real(j)) {
            n->stype = YS_FLOAT;
            snprintf(buf, sizeof(buf), "%.17g", json_real_value(j));
        } else if (json_is_boolean(j)) {
            n->stype = YS_BOOL;
            text = json_is_true(j) ? "true" : "false";
        } else {
            n->stype = YS_NULL;
            text = "";
        }
        if (!(n->str = tree_strndup(blocks, text, strlen(text))))
            return -ENOMEM;
    }
    *ret = n;
    return 0;
}

int ydoc_from_json(const json_t *j, struct ynode **ret, struct kerr *err)
{
    size_t count = 0;
    struct yblock *blocks = NULL;
    struct ynode *root = NULL;
    int r = from_json(&blocks, j, 0, &count, &root, err);
    if (r < 0) {
        blocks_free(blocks);
        return r;
    }
    root->mem = blocks;
    *ret = root;
    return 0;
}

const struct ynode *ynode_get(const struct ynode *n, const char *key)
{
    if (!n || n->kind != YN_MAP)
        return NULL;
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->keys[i], key) == 0)
            return n->items[i];
    return NULL;
}

const char *ynode_kind_wanted(enum ynode_kind k)
{
    return k == YN_MAP ? "a mapping" : k == YN_SEQ ? "a list" : "a value";
}

void ydoc_who(const struct ynode *doc, char *buf, size_t len)
{
    const struct ynode *kind = ynode_get(doc, "kind"), *meta = ynode_get(doc, "metadata");
    const struct ynode *name = ynode_get(meta, "name"), *ns = ynode_get(meta, "namespace");
    if (!ynode_is_str(kind)) {
        snprintf(buf, len, "%s", "");
        return;
    }
    char kind_s[101], ns_s[64], name_s[101]; /* the input's text, not yet checked: cut */
    snprintf(kind_s, sizeof(kind_s), "%.100s", kind->str);
    snprintf(ns_s, sizeof(ns_s), "%.63s", ynode_is_str(ns) ? ns->str : "");
    snprintf(name_s, sizeof(name_s), "%.100s", ynode_is_str(name) ? name->str : "");
    object_who(buf, len, kind_s, ynode_is_str(ns) ? ns_s : NULL,
               ynode_is_str(name) ? name_s : NULL);
}

const char *ynode_kind_name(const struct ynode *n)
{
    if (!n)
        return "nothing";
    switch (n->kind) {
    case YN_MAP:
        return "a mapping";
    case YN_SEQ:
        return "a list";
    default:
        switch (n->stype) {
        case YS_INT:
            return "a number";
        case YS_FLOAT:
            return "a number";
        case YS_BOOL:
            return "a boolean";
        case YS_NULL:
            return "null";
        default:
            return "a string";
        }
    }
}
