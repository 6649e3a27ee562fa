/* watch_stream.c - watch stream framing and event decoding. */
#include "kube/watch_stream.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A line buffer larger than this is let go once its line is done. */
#define LINEBUF_KEEP (256u * 1024)

int linebuf_feed(struct linebuf *b, const char *data, size_t n,
                 int (*cb)(const char *line, size_t len, void *userdata), void *userdata)
{
    size_t max = b->max ? b->max : WATCH_MAX_LINE;
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        if (b->len + take > max) {
            const char *from = b->len ? b->buf : data;
            size_t have = b->len ? b->len : take;
            b->head_len = have < LINEBUF_HEAD ? have : LINEBUF_HEAD;
            memcpy(b->head, from, b->head_len);
            linebuf_clear(b);
            return -E2BIG;
        }
        if (b->len + take + 1 > b->cap) {
            size_t cap = b->cap ? b->cap : 4096;
            while (cap < b->len + take + 1)
                cap *= 2;
            char *nb = realloc(b->buf, cap);
            if (!nb)
                return -ENOMEM;
            b->buf = nb;
            b->cap = cap;
        }
        memcpy(b->buf + b->len, data, take);
        b->len += take;
        data += take;
        n -= take;
        if (!nl)
            break;
        data++; /* the newline */
        n--;
        size_t len = b->len;
        while (len && b->buf[len - 1] == '\r')
            len--;
        b->buf[len] = '\0';
        b->len = 0;
        if (len == 0)
            continue;
        int r = cb(b->buf, len, userdata);
        if (r < 0)
            return r;
        if (b->cap > LINEBUF_KEEP) {
            /* A large line is done: the next one starts small again. */
            free(b->buf);
            b->buf = NULL;
            b->cap = 0;
        }
    }
    return 0;
}

size_t linebuf_pending(const struct linebuf *b)
{
    return b->len;
}

void linebuf_clear(struct linebuf *b)
{
    free(b->buf);
    b->buf = NULL;
    b->len = b->cap = 0;
}

int watch_event_decode(const char *line, size_t len, const struct prune_rule *keep,
                       struct watch_event *ret, struct kerr *err)
{
    const struct prune_rule top[] = {{"type", NULL}, {"object", keep}, {NULL, NULL}};
    json_t *j = NULL;
    int q = json_prune(line, len, top, &j, err);
    if (q == -ENOMEM)
        return q;
    if (q < 0) {
        kerr_wrap(err, "watch event");
        return q;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return kerr_set(err, -EINVAL, "watch event is not a JSON object");
    }
    const char *type = json_string_value(json_object_get(j, "type"));
    json_t *obj = json_object_get(j, "object");
    int r = 0;
    enum watch_type t = WATCH_ADDED;
    if (!type)
        r = kerr_set(err, -EINVAL, "watch event without a type");
    else if (strcmp(type, "ADDED") == 0)
        t = WATCH_ADDED;
    else if (strcmp(type, "MODIFIED") == 0)
        t = WATCH_MODIFIED;
    else if (strcmp(type, "DELETED") == 0)
        t = WATCH_DELETED;
    else if (strcmp(type, "BOOKMARK") == 0)
        t = WATCH_BOOKMARK;
    else if (strcmp(type, "ERROR") == 0)
        t = WATCH_ERROR;
    else
        r = kerr_set(err, -EINVAL, "watch event of unknown type \"%.40s\"", type);
    if (r == 0 && !json_is_object(obj))
        r = kerr_set(err, -EINVAL, "watch event %s without an object", type);
    if (r < 0) {
        json_decref(j);
        return r;
    }
    ret->type = t;
    ret->object = json_incref(obj);
    json_decref(j);
    return 0;
}

int watch_error_code(const json_t *status)
{
    json_t *c = json_object_get(status, "code");
    if (!json_is_integer(c) || json_integer_value(c) < 0 || json_integer_value(c) > INT_MAX)
        return 0; /* not an HTTP code; a plain cast would turn 4294967706 into 410 */
    return (int)json_integer_value(c);
}

const char *json_resource_version(const json_t *obj)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
}

/* The JSON string value of key ("\"name\":\"") in [p, end), as the characters of a
 * Kubernetes name (DNS-1123: a-z, 0-9, '-', '.'), into out; false when absent or not such. */
static bool meta_string(const char *p, const char *end, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    for (; p + klen <= end; p++) {
        if (memcmp(p, key, klen) != 0)
            continue;
        const char *v = p + klen;
        size_t n = 0;
        while (v + n < end && n + 1 < size && n < 253 &&
               ((v[n] >= 'a' && v[n] <= 'z') || (v[n] >= '0' && v[n] <= '9') || v[n] == '-' ||
                v[n] == '.'))
            n++;
        if (n == 0 || v + n >= end || v[n] != '"')
            return false;
        memcpy(out, v, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

void kube_object_id(const char *text, size_t n, const char *mark, char *out, size_t size)
{
    static const char meta[] = "\"metadata\":{";
    if (size == 0)
        return;
    out[0] = '\0';
    const char *end = text + n;
    const char *p = memmem(text, n, mark, strlen(mark));
    p = p ? memmem(p, (size_t)(end - p), meta, sizeof(meta) - 1) : NULL;
    if (!p)
        return;
    p += sizeof(meta) - 1;
    /* Only metadata's own keys: up to its first nested object or array (labels,
     * ownerReferences, ...), whose "name" keys are not the object's. */
    const char *stop = p;
    while (stop < end && *stop != '{' && *stop != '[' && *stop != '}')
        stop++;
    char name[254], ns[64];
    if (!meta_string(p, stop, "\"name\":\"", name, sizeof(name)))
        return;
    if (meta_string(p, stop, "\"namespace\":\"", ns, sizeof(ns)))
        snprintf(out, size, "%s/%s", ns, name);
    else if (stop < end) /* metadata's own keys all seen: an object of no namespace */
        snprintf(out, size, "%s", name);
}
