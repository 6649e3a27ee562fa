/* fuzz_policy_yaml.c - libFuzzer entry for the whole offline pipeline on YAML bytes:
 * ydoc_parse_yaml -> decode_documents -> engine (policies, Namespaces, Pods) -> engine_sync
 * -> every policy compiled (engine_policy_result) -> every valid one rendered (profile_render),
 * then a policy deleted and a second sync (the incremental path). An engine is made per input,
 * only when the input decodes to some object. Everything is freed: the fuzzer runs with ASan
 * leak detection. Invariants checked: errors name the file, invalid policies say why, written
 * and rendered profiles are JSON objects, a written file's length is its strlen.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arch.h"
#include "base/cleanup.h"
#include "engine/decode.h"
#include "engine/engine.h"
#include "engine/profile.h"
#include "engine/doc.h"

/* Inputs above this are not interesting and only slow the run down. */
#define FUZZ_MAX_INPUT (64 * 1024)

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_policy_yaml: invariant broken: %s\n", what);
        abort();
    }
}

static void check_json(const char *s, size_t len, const char *what)
{
    json_error_t jerr;
    json_t *j = json_loadb(s, len, 0, &jerr);
    check(j != NULL && json_is_object(j), what);
    /* The renderer's layout is jansson's: dumped again, the same bytes (and the newline). */
    char *again = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    check(again && len > 0 && strlen(again) == len - 1 && memcmp(again, s, len - 1) == 0 &&
              s[len - 1] == '\n',
          "a rendered profile is laid out as jansson lays it out");
    free(again);
    json_decref(j);
}

/* The decoded objects, held until an engine is worth creating (engine_new compiles the
 * runtime/default profile: about 1 ms under ASan, the bulk of a run). */
struct fuzz_ctx {
    struct object *objs;
    size_t n, cap;
};

static int collect(struct object *o, void *userdata)
{
    struct fuzz_ctx *c = userdata;
    if (o->type == OBJ_NONE)
        return 0;
    if (o->type == OBJ_POLICY) {
        check(o->policy->name != NULL, "a decoded policy has a name");
        check(!o->policy->error || *o->policy->error, "an invalid policy says why");
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct object *v = realloc(c->objs, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        c->objs = v;
        c->cap = cap;
    }
    c->objs[c->n++] = *o;
    *o = (struct object){0}; /* ownership moved */
    return 0;
}

/* Hands every collected object to e (which takes ownership, also on failure). */
static void put_all(struct engine *e, struct fuzz_ctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct object *o = &c->objs[i];
        switch (o->type) {
        case OBJ_POLICY:
            (void)engine_put_policy(e, TAKE_PTR(o->policy));
            break;
        case OBJ_NAMESPACE:
            (void)engine_put_namespace(e, TAKE_PTR(o->ns));
            break;
        case OBJ_POD:
            (void)engine_put_pod(e, TAKE_PTR(o->pod));
            break;
        default:
            break;
        }
    }
}

static void fuzz_ctx_clear(struct fuzz_ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        object_clear(&c->objs[i]);
    free(c->objs);
    *c = (struct fuzz_ctx){0};
}

static int on_file(const struct file_result *r, void *userdata)
{
    check(r->rel != NULL, "a file result names its file");
    if (r->action == FILE_WRITE) {
        check(r->json != NULL && strlen(r->json) == r->len, "a written file is a C string");
        check_json(r->json, r->len, "a written file is a JSON object");
    } else {
        check(r->why != NULL, "a kept or removed file says why");
    }
    return 0;
}

static int on_event(const struct engine_event *ev, void *userdata)
{
    check(ev->pod != NULL && ev->reason != NULL && ev->message != NULL, "an event is complete");
    return 0;
}

static const struct sync_ops fuzz_ops = {.file = on_file, .event = on_event};

/* Compiles every policy and renders the valid ones. */
static void compile_all(struct engine *e)
{
    _cleanup_free_ const struct policy **v = NULL;
    size_t n = 0;
    if (engine_list_policies(e, &v, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        struct policy_result res;
        if (engine_policy_result(e, v[i], &res) < 0)
            continue;
        if (!res.valid) {
            check(res.error != NULL && *res.error, "an invalid policy says why");
            continue;
        }
        check(res.prof != NULL, "a valid policy has a profile");
        _cleanup_free_ char *json = NULL;
        size_t len = 0;
        if (profile_render(res.prof, engine_sysdb(e), &json, &len) == 0)
            check_json(json, len, "a rendered policy is a JSON object");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    struct ynode **docs = NULL;
    size_t ndocs = 0;
    struct kerr err = {0};
    int r = ydoc_parse_yaml((const char *)data, size, "fuzz.yaml", &docs, &ndocs, &err);
    if (r < 0) {
        check(r == -ENOMEM || strncmp(err.msg, "fuzz.yaml:", 10) == 0,
              "a parse error names the file");
        return 0;
    }

    struct fuzz_ctx c = {0};
    kerr_clear(&err);
    r = decode_documents(docs, ndocs, "fuzz.yaml", collect, &c, &err);
    ydoc_free_all(docs, ndocs);
    if (r < 0 && r != -ENOMEM)
        check(strncmp(err.msg, "fuzz.yaml", 9) == 0, "a decode error names the file");
    if (c.n == 0) {
        fuzz_ctx_clear(&c);
        return 0;
    }

    static int x86_64 = -1;
    if (x86_64 < 0)
        x86_64 = arch_parse("x86_64");
    struct engine *e = NULL;
    if (engine_new(x86_64, &e) < 0) {
        fuzz_ctx_clear(&c);
        return 0;
    }
    put_all(e, &c);
    fuzz_ctx_clear(&c);

    if (engine_sync(e, &fuzz_ops) == 0) {
        compile_all(e);
        /* Incremental: drop the first policy, then sync what it touched. */
        _cleanup_free_ const struct policy **v = NULL;
        size_t n = 0;
        if (engine_list_policies(e, &v, &n) == 0 && n > 0) {
            const struct policy *p = v[0];
            _cleanup_free_ char *ns = p->ns ? strdup(p->ns) : NULL;
            _cleanup_free_ char *name = strdup(p->name);
            enum policy_kind kind = p->kind;
            if (name && (!p->ns || ns)) {
                r = engine_delete_policy(e, kind, ns, name);
                check(r == 0, "a listed policy can be deleted");
                (void)engine_sync(e, &fuzz_ops);
                compile_all(e);
            }
        }
    }
    engine_free(e);
    return 0;
}
