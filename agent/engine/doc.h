/* doc.h - a small document tree read from YAML (libyaml) or JSON (jansson).
 *
 * Owns: turning outside bytes into a tree of mappings, sequences and typed scalars that
 * remembers the line of every node, so that decoders can say "policies.yaml:7: ...".
 * Defends against hostile input: aliases are refused (no "billion laughs"), nesting depth,
 * node count, scalar size and key count are capped, duplicate keys are refused.
 * Pure: parses memory, does no I/O.
 */
#ifndef KSCMP_YDOC_H
#define KSCMP_YDOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/cleanup.h"
#include "base/error.h"

#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_NODES 1000000 /* per input */
#define YDOC_MAX_SCALAR (256 * 1024)
#define YDOC_MAX_INPUT (256u * 1024 * 1024)

enum ynode_kind { YN_SCALAR, YN_SEQ, YN_MAP };

/* How a scalar reads (YAML 1.2 core schema for plain scalars; quoted ones are strings). */
enum yscalar { YS_STR, YS_INT, YS_FLOAT, YS_BOOL, YS_NULL };

struct yblock;

/* A tree's nodes share their root's memory: ynode_free() takes a root (what the functions
 * below return) and frees the whole tree; the others are never freed alone. */
struct ynode {
    enum ynode_kind kind;
    enum yscalar stype; /* YN_SCALAR only */
    int line;           /* 1-based; 0 when the tree came from JSON */
    int key_line;       /* a mapping's value: its key's line (else, or from JSON, 0) */
    char *str;          /* YN_SCALAR: the text ("true", "42", "web") */
    size_t n;           /* YN_SEQ/YN_MAP: number of items */
    char **keys;        /* YN_MAP: keys (NULL for YN_SEQ) */
    struct ynode **items;
    struct yblock *mem; /* a root's: the memory of its whole tree (NULL in the others) */
};

/* Whether s, written as a plain scalar, reads back as the string s, as kubectl and kscmp read
 * YAML: false for words and numbers such as "true", "yes", "off", "null", "0755" or "1e3",
 * and for anything that starts with a digit (kubectl may read "2024-01-01" as a date), which
 * a writer must put in double quotes. Only how such a scalar resolves is looked at, not YAML's
 * syntax: s must be a name (letters, digits, '-', '.', '_'), not text with indicators such as
 * "*a", "&a", "a: b" or "- x". */
bool ydoc_plain_safe(const char *s);

/* Parses every document of a YAML stream. Empty documents are skipped. On error *ret_docs is
 * untouched and err reads "FILE:LINE: ..." (file is only used for messages). */
int ydoc_parse_yaml(const char *buf, size_t len, const char *file, struct ynode ***ret_docs,
                    size_t *ret_n, struct kerr *err);

/* The same, one document at a time: cb takes ownership of each (and may free it at once), so
 * a large stream is never held whole. A negative cb result stops and is returned. A document
 * that parses but is refused whole (a duplicate key) stops too, unless bad_doc is given: it
 * is then told (err says why; a negative result stops and is returned) and the next
 * document read. A syntax error always stops: nothing after it can be trusted. */
int ydoc_parse_yaml_each(const char *buf, size_t len, const char *file,
                         int (*cb)(struct ynode *doc, void *userdata),
                         int (*bad_doc)(const struct kerr *err, void *userdata), void *userdata,
                         struct kerr *err);

/* Converts a jansson value into a tree (lines are 0). */
int ydoc_from_json(const json_t *j, struct ynode **ret, struct kerr *err);

/* Frees a tree: n is a root that the functions above returned (a no-op on any other node). */
void ynode_free(struct ynode *n);
DEFINE_CLEANUP_FUNC(struct ynode, ynode_free)
void ydoc_free_all(struct ynode **docs, size_t n);

/* The documents of a file, for _cleanup_(ydoc_listp) around ydoc_parse_yaml(). */
struct ydoc_list {
    struct ynode **v;
    size_t n;
};

static inline void ydoc_listp(struct ydoc_list *l)
{
    ydoc_free_all(l->v, l->n);
}

/* The value under key in a mapping, or NULL (also when n is not a mapping). */
const struct ynode *ynode_get(const struct ynode *n, const char *key);

/* Who a document is in messages, from its kind and metadata, as the decoded kinds are named
 * (object_who() in base/names.h): "KIND NAMESPACE/NAME", the namespace "default" when a
 * namespaced kind gives none; "KIND NAME" for a cluster-scoped kind (Namespace, Node,
 * ClusterSeccompPolicy, any kind named Cluster...); "KIND" without a name; "" without a kind.
 * What is not a string is left out; the kind and name are cut at 100 bytes, the namespace at
 * 63. */
void ydoc_who(const struct ynode *doc, char *buf, size_t len);

/* A readable name of the node's kind for messages: "a string", "a list", "a mapping", ... */
const char *ynode_kind_name(const struct ynode *n);

/* For "must be X" messages: "a mapping", "a list" or "a value". */
const char *ynode_kind_wanted(enum ynode_kind k);

/* A string scalar. */
static inline bool ynode_is_str(const struct ynode *n)
{
    return n && n->kind == YN_SCALAR && n->stype == YS_STR;
}

/* Absent, or a null scalar. */
static inline bool ynode_is_null(const struct ynode *n)
{
    return !n || (n->kind == YN_SCALAR && n->stype == YS_NULL);
}

#endif
