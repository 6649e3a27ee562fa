/* manifest.c - manifest bytes (YAML or JSON, several documents) to decoded objects. */
#include "engine/manifest.h"

#include <errno.h>
#include <string.h>

#include "base/cleanup.h"
#include "engine/doc.h"

struct manifest_doc {
    const char *name;
    const struct manifest_ops *ops;
    size_t ndocs;
    struct kerr *err;
};

/* Decodes n documents; with a doc_error callback, one that does not decode is told and the
 * next one decoded. */
static int decode_each(struct manifest_doc *m, struct ynode *const *docs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int r = decode_documents(&docs[i], 1, m->name, m->ops->object, m->ops->userdata, m->err);
        if (r == -EINVAL && m->ops->doc_error) {
            r = m->ops->doc_error(m->err, m->ops->userdata);
            kerr_clear(m->err);
        }
        if (r < 0)
            return r;
    }
    return 0;
}

static int manifest_doc(struct ynode *doc, void *userdata)
{
    struct manifest_doc *m = userdata;
    m->ndocs++;
    /* The items of a List are judged one by one too (validate names each bad one). */
    const struct ynode *kind = ynode_get(doc, "kind"), *items = ynode_get(doc, "items");
    bool list = m->ops->doc_error && ynode_is_str(kind) && strcmp(kind->str, "List") == 0 &&
                items && items->kind == YN_SEQ;
    int r = list ? decode_each(m, items->items, items->n) : decode_each(m, &doc, 1);
    ynode_free(doc);
    return r;
}

/* A document refused whole by the parser (a duplicate key): told as one that does not decode. */
static int manifest_bad_doc(const struct kerr *err, void *userdata)
{
    struct manifest_doc *m = userdata;
    m->ndocs++;
    return m->ops->doc_error(err, m->ops->userdata);
}

int manifest_load(const char *buf, size_t len, const char *name, const struct manifest_ops *ops,
                  size_t *ret_ndocs, struct kerr *err)
{
    if (memchr(buf, '\0', len))
        return kerr_set(err, -EINVAL, "%s: not a text file (NUL byte)", name);
    /* One document at a time: parsed, decoded, freed. */
    struct manifest_doc m = {name, ops, 0, err};
    int r = ydoc_parse_yaml_each(buf, len, name, manifest_doc,
                                 ops->doc_error ? manifest_bad_doc : NULL, &m, err);
    if (ret_ndocs)
        *ret_ndocs = m.ndocs;
    return r;
}

bool manifest_file_name(const char *name)
{
    static const char *const exts[] = {".yaml", ".yml", ".json"};
    size_t l = strlen(name);
    if (name[0] == '.')
        return false;
    for (size_t i = 0; i < ELEMENTSOF(exts); i++) {
        size_t el = strlen(exts[i]);
        if (l > el && strcmp(name + l - el, exts[i]) == 0)
            return true;
    }
    return false;
}

int manifest_load_buffer(const char *buf, size_t len, const char *name,
                         int (*cb)(struct object *o, void *userdata), void *userdata,
                         struct kerr *err)
{
    struct manifest_ops ops = {.object = cb, .userdata = userdata};
    return manifest_load(buf, len, name, &ops, NULL, err);
}
