/* json_prune.c - a JSON reader that builds only the kept parts. */
#include "kube/json_prune.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/cleanup.h"

struct parser {
    const char *start, *p, *end;
    struct kerr *err;
};

static int fail(struct parser *ps, const char *what)
{
    return kerr_set(ps->err, -EINVAL, "not JSON at byte %zu: %s", (size_t)(ps->p - ps->start),
                    what);
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Past one string (ps->p at its opening quote). *ret_escaped tells whether it holds escapes. */
static int skip_string(struct parser *ps, bool *ret_escaped)
{
    bool escaped = false;
    ps->p++;
    while (ps->p < ps->end) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            if (ret_escaped)
                *ret_escaped = escaped;
            return 0;
        }
        if (c < 0x20)
            return fail(ps, "a control character in a string");
        if (c == '\\') {
            escaped = true;
            if (ps->end - ps->p < 2)
                break;
            char e = ps->p[1];
            if (e == 'u') {
                if (ps->end - ps->p < 6)
                    break;
                for (int i = 2; i < 6; i++)
                    if (!is_hex(ps->p[i]))
                        return fail(ps, "a bad \\u escape");
                ps->p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return fail(ps, "a bad escape");
            ps->p += 2;
            continue;
        }
        ps->p++;
    }
    return fail(ps, "an unterminated string");
}

static int skip_scalar(struct parser *ps)
{
    static const char *const literals[] = {"true", "false", "null"};
    for (size_t i = 0; i < ELEMENTSOF(literals); i++) {
        size_t n = strlen(literals[i]);
        if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, literals[i], n) == 0) {
            ps->p += n;
            return 0;
        }
    }
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    bool digits = false;
    while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.' || *ps->p == 'e' ||
                               *ps->p == 'E' || *ps->p == '+' || *ps->p == '-')) {
        digits |= *ps->p >= '0' && *ps->p <= '9';
        ps->p++;
    }
    if (!digits) {
        ps->p = s;
        return fail(ps, "a value was expected");
    }
    return 0;
}

/* Past one value, whatever its nesting (an explicit stack of container kinds, bounded). */
static int skip_value(struct parser *ps, unsigned depth)
{
    uint8_t stack[JSON_PRUNE_MAX_DEPTH]; /* '{' or '[' */
    unsigned n = 0;
    bool want_value = true; /* else a ',' or the container's end */
    for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->end)
            return fail(ps, "the text ends inside a value");
        char c = *ps->p;
        if (want_value) {
            if (c == '{' || c == '[') {
                if (depth + n + 1 >= JSON_PRUNE_MAX_DEPTH)
                    return kerr_set(ps->err, -E2BIG, "JSON nested deeper than %d levels",
                                    JSON_PRUNE_MAX_DEPTH);
                stack[n++] = (uint8_t)c;
                ps->p++;
                skip_ws(ps);
                if (ps->p < ps->end && *ps->p == (c == '{' ? '}' : ']')) {
                    ps->p++;
                    n--;
                    want_value = false;
                } else if (c == '{') {
                    /* A key first: handled as the value after '{' or ','. */
                    if (ps->p >= ps->end || *ps->p != '"')
                        return fail(ps, "an object key was expected");
                    int r = skip_string(ps, NULL);
                    if (r < 0)
                        return r;
                    skip_ws(ps);
                    if (ps->p >= ps->end || *ps->p != ':')
                        return fail(ps, "':' was expected");
                    ps->p++;
                }
            } else {
                int r = c == '"' ? skip_string(ps, NULL) : skip_scalar(ps);
                if (r < 0)
                    return r;
                want_value = false;
            }
        } else {
            if (n == 0)
                return 0;
            if (c == ',') {
                ps->p++;
                want_value = true;
                if (stack[n - 1] == '{') {
                    skip_ws(ps);
                    if (ps->p >= ps->end || *ps->p != '"')
                        return fail(ps, "an object key was expected");
                    int r = skip_string(ps, NULL);
                    if (r < 0)
                        return r;
                    skip_ws(ps);
                    if (ps->p >= ps->end || *ps->p != ':')
                        return fail(ps, "':' was expected");
                    ps->p++;
                }
            } else if (c == (stack[n - 1] == '{' ? '}' : ']')) {
                ps->p++;
                n--;
            } else
                return fail(ps, "',' or the end of a container was expected");
        }
        if (n == 0 && !want_value)
            return 0;
    }
}

/* One whole value, decoded by jansson. */
static int keep_value(struct parser *ps, unsigned depth, json_t **ret)
{
    const char *s = ps->p;
    int r = skip_value(ps, depth);
    if (r < 0)
        return r;
    json_error_t je;
    json_t *v = json_loadb(s, (size_t)(ps->p - s), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return kerr_set(ps->err, -EINVAL, "not JSON at byte %zu: %s",
                        (size_t)(s - ps->start) + (size_t)(je.position > 0 ? je.position : 0),
                        je.text);
    *ret = v;
    return 0;
}

static const struct prune_rule *find_rule(const struct prune_rule *keep, const char *key,
                                          size_t len)
{
    for (const struct prune_rule *k = keep; k->key; k++)
        if (strlen(k->key) == len && memcmp(k->key, key, len) == 0)
            return k;
    return NULL;
}

/* One value pruned by keep. Recursion follows the rules (a static tree a few levels deep) and
 * arrays; depth bounds both. */
static int prune_value(struct parser *ps, const struct prune_rule *keep, unsigned depth,
                       json_t **ret)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "a value was expected");
    if (!keep || (*ps->p != '{' && *ps->p != '['))
        return keep_value(ps, depth, ret);
    if (depth + 1 >= JSON_PRUNE_MAX_DEPTH)
        return kerr_set(ps->err, -E2BIG, "JSON nested deeper than %d levels", JSON_PRUNE_MAX_DEPTH);
    bool object = *ps->p == '{';
    char close = object ? '}' : ']';
    _cleanup_(json_decrefp) json_t *out = object ? json_object() : json_array();
    if (!out)
        return -ENOMEM;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        *ret = TAKE_PTR(out);
        return 0;
    }
    for (;;) {
        skip_ws(ps);
        int r;
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, "an object key was expected");
            const char *ks = ps->p;
            bool escaped = false;
            if ((r = skip_string(ps, &escaped)) < 0)
                return r;
            _cleanup_(json_decrefp) json_t *decoded = NULL;
            const char *key = ks + 1;
            size_t klen = (size_t)(ps->p - ks) - 2;
            if (escaped) {
                json_error_t je;
                decoded = json_loadb(ks, (size_t)(ps->p - ks), JSON_DECODE_ANY, &je);
                if (!decoded)
                    return fail(ps, "a bad object key");
                key = json_string_value(decoded);
                klen = json_string_length(decoded);
            }
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return fail(ps, "':' was expected");
            ps->p++;
            const struct prune_rule *rule =
                memchr(key, '\0', klen) ? NULL : find_rule(keep, key, klen);
            if (rule) {
                if (json_object_getn(out, key, klen))
                    return fail(ps, "a duplicate object key");
                json_t *v = NULL;
                if ((r = prune_value(ps, rule->keep, depth + 1, &v)) < 0)
                    return r;
                if (json_object_setn_new(out, key, klen, v) < 0)
                    return -ENOMEM;
            } else if ((r = skip_value(ps, depth + 1)) < 0)
                return r;
        } else {
            json_t *v = NULL;
            if ((r = prune_value(ps, keep, depth + 1, &v)) < 0)
                return r;
            if (json_array_append_new(out, v) < 0)
                return -ENOMEM;
        }
        skip_ws(ps);
        if (ps->p >= ps->end)
            return fail(ps, "the text ends inside a container");
        if (*ps->p == close) {
            ps->p++;
            break;
        }
        if (*ps->p != ',')
            return fail(ps, "',' or the end of a container was expected");
        ps->p++;
    }
    *ret = TAKE_PTR(out);
    return 0;
}

int json_prune(const char *text, size_t len, const struct prune_rule *keep, json_t **ret,
               struct kerr *err)
{
    struct parser ps = {.start = text, .p = text, .end = text + len, .err = err};
    json_t *v = NULL;
    int r = prune_value(&ps, keep, 0, &v);
    if (r < 0)
        return r;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        json_decref(v);
        return fail(&ps, "text after the value");
    }
    *ret = v;
    return 0;
}
