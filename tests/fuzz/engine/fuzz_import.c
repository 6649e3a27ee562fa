/* fuzz_import.c - libFuzzer entry for `kscmp import` (engine/import.h): bytes -> import_add
 * (one or two files) -> import_render. The first byte picks the options (architecture,
 * --inline-bases, --name, -n, where to split the rest into two files). Invariants: every
 * error carries a message and leaves no output; every output is a manifest kscmp decodes
 * into valid SeccompPolicy objects that compile (what import writes, kscmp must read);
 * everything is freed (ASan leak detection).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/import.h"
#include "engine/manifest.h"

#define FUZZ_MAX_INPUT (64 * 1024)

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz_import: invariant broken: %s\n", what);
        abort();
    }
}

static struct sysdb *db;

static int put(struct object *o, void *userdata)
{
    struct engine *e = userdata;
    check(o->type == OBJ_POLICY, "import writes only policies");
    if (o->policy->error)
        fprintf(stderr, "fuzz_import: %s\n", o->policy->error);
    check(!o->policy->error, "import writes policies that decode");
    check(o->policy->kind == PK_POLICY, "import writes SeccompPolicy objects");
    if (engine_get_policy(e, o->policy->kind, o->policy->ns, o->policy->name)) {
        policy_free(o->policy);
        o->policy = NULL;
        check(0, "import writes each policy once");
    }
    int r = engine_put_policy(e, o->policy);
    o->policy = NULL;
    return r;
}

static void check_output(const char *yaml, int arch)
{
    struct engine *e = NULL;
    if (engine_new(arch, &e) < 0)
        return;
    struct kerr err = {0};
    int r = manifest_load_buffer(yaml, strlen(yaml), "out.yaml", put, e, &err);
    if (r < 0 && r != -ENOMEM) {
        fprintf(stderr, "fuzz_import: %s\n%s\n", err.msg, yaml);
        check(0, "import's output decodes");
    }
    const struct policy **all = NULL;
    size_t n = 0;
    if (r == 0 && engine_list_policies(e, &all, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            struct policy_result pr;
            if (engine_policy_result(e, all[i], &pr) < 0)
                continue;
            if (!pr.valid)
                fprintf(stderr, "fuzz_import: %s\n%s\n", pr.error, yaml);
            check(pr.valid, "import's policies compile");
        }
        free(all);
    }
    engine_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_MAX_INPUT)
        return 0;
    if (!db && sysdb_new(&db) < 0)
        return 0;
    uint8_t flags = data[0];
    data++;
    size--;
    static const char *const arches[] = {"x86_64", "aarch64", "arm", "riscv64"};
    struct import_opts o = {
        .arch = arch_parse(arches[flags & 3]),
        .kernel_major = 5,
        .kernel_minor = 10,
        .caps = (flags & 4) ? ~(capmask_t)0 : import_default_caps(),
        .inline_bases = flags & 8,
        .name = (flags & 16) ? "web" : NULL,
        .ns = (flags & 32) ? "moved" : NULL,
        .libseccomp_version = "fuzz",
        .db = db,
    };
    struct import_set *s = NULL;
    if (import_set_new(&o, &s) < 0)
        return 0;
    /* One file, or two: the split point is the first "\n%%\n". */
    size_t split = size;
    if (flags & 64)
        for (size_t i = 0; i + 4 <= size; i++)
            if (memcmp(data + i, "\n%%\n", 4) == 0) {
                split = i;
                break;
            }
    struct kerr err = {0};
    int r = import_add(s, (const char *)data, split, "a.json", &err);
    check(r == 0 || r == -ENOMEM || (*err.msg && err.code == r), "an import error says why");
    if (r == 0 && split < size) {
        kerr_clear(&err);
        r = import_add(s, (const char *)data + split + 4, size - split - 4, "b.yaml", &err);
        check(r == 0 || r == -ENOMEM || (*err.msg && err.code == r), "an import error says why");
    }
    if (r == 0) {
        char *yaml = NULL, **warnings = NULL;
        size_t nwarnings = 0;
        kerr_clear(&err);
        r = import_render(s, &yaml, &warnings, &nwarnings, &err);
        if (r < 0) {
            check(r == -ENOMEM || (*err.msg && err.code == r), "a render error says why");
            check(yaml == NULL, "a failed render writes nothing");
        } else {
            check(yaml != NULL, "a render writes something");
            check_output(yaml, o.arch);
        }
        free(yaml);
        for (size_t i = 0; i < nwarnings; i++)
            free(warnings[i]);
        free(warnings);
    }
    import_set_free(s);
    return 0;
}
