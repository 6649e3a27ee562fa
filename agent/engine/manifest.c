/* manifest.c - manifest bytes (YAML or JSON, several documents) to decoded objects. */
#include "engine/manifest.h"

#include <errno.h>
#include <string.h>

#include "engine/doc.h"

struct manifest_doc {
    const char *name;
    int (*cb)(struct object *o, void *userdata);
    void *userdata;
    struct kerr *err;
};

static int manifest_doc(struct ynode *doc, void *userdata)
{
    struct manifest_doc *m = userdata;
    int r = decode_documents(&doc, 1, m->name, m->cb, m->userdata, m->err);
    ynode_free(doc);
    return r;
}

int manifest_load_buffer(const char *buf, size_t len, const char *name,
                         int (*cb)(struct object *o, void *userdata), void *userdata,
                         struct kerr *err)
{
    if (memchr(buf, '\0', len))
        return kerr_set(err, -EINVAL, "%s: not a text file (NUL byte)", name);
    /* One document at a time: parsed, decoded, freed. */
    struct manifest_doc m = {name, cb, userdata, err};
    return ydoc_parse_yaml_each(buf, len, name, manifest_doc, &m, err);
}
