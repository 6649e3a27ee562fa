/* proof.c - strict decoding of an OCI LinuxSeccomp profile and a libseccomp build of it. */
#include "engine/proof.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/action.h"
#include "engine/arch.h"
#include "engine/bpf_check.h"
#include "base/cleanup.h"

/* enum cmp_op is numbered as libseccomp's enum scmp_compare, so one casts to the other. */
_Static_assert((int)OP_NE == (int)SCMP_CMP_NE && (int)OP_LT == (int)SCMP_CMP_LT &&
                   (int)OP_LE == (int)SCMP_CMP_LE && (int)OP_EQ == (int)SCMP_CMP_EQ &&
                   (int)OP_GE == (int)SCMP_CMP_GE && (int)OP_GT == (int)SCMP_CMP_GT &&
                   (int)OP_MASKED_EQ == (int)SCMP_CMP_MASKED_EQ,
               "enum cmp_op must follow enum scmp_compare");

#define ARG_INDEX_MAX 5
/* libseccomp refuses SCMP_ACT_ERRNO(x) for x >= 4095; a TRACE message is 16 bits. */
#define ERRNO_RET_MAX 4094
#define TRACE_RET_MAX 65535
/* Sizes of the paths in messages: "syscalls[N]", then ".args[N]". */
#define BLOCK_PATH_LEN 32
#define ARG_PATH_LEN (BLOCK_PATH_LEN + 32)

/* runc asks libseccomp for its binary-tree layout above this many (syscall, rule) pairs. */
#define OPTIMIZE_THRESHOLD 32

/* Generates the program into memory: in the libseccomp deps/build.sh builds
 * (deps/patches/libseccomp-faster-export.patch, item 15) and in upstream's since 2.6.0; absent
 * from Debian's 2.5.4 shared library (make LINK=shared, the unit tests), where the program goes
 * through a memory file instead. */
extern int seccomp_export_bpf_mem(const scmp_filter_ctx ctx, void *buf, size_t *len)
    __attribute__((weak));

static inline void filter_releasep(scmp_filter_ctx *ctx)
{
    if (*ctx)
        seccomp_release(*ctx);
}

/* Fails with a message naming path when obj holds a key that is not in allowed. */
static int check_keys(json_t *obj, const char *const *allowed, size_t n, const char *path,
                      struct kerr *err)
{
    const char *key;
    json_t *value;

    json_object_foreach(obj, key, value)
    {
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known)
            return kerr_set(err, -EINVAL, "%s%sunknown key \"%s\"", path, *path ? ": " : "", key);
    }
    return 0;
}

/* A JSON integer in [min, max], field of the object at path (its messages say path.field);
 * jansson holds integers as signed 64 bits. */
static int get_int(json_t *v, json_int_t min, json_int_t max, const char *path, const char *field,
                   json_int_t *ret, struct kerr *err)
{
    const char *sep = *path ? "." : "";
    if (!json_is_integer(v))
        return kerr_set(err, -EINVAL, "%s%s%s: must be an integer", path, sep, field);
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return kerr_set(err, -ERANGE,
                        "%s%s%s: %" JSON_INTEGER_FORMAT " is out of range [%" JSON_INTEGER_FORMAT
                        ", %" JSON_INTEGER_FORMAT "]",
                        path, sep, field, x, min, max);
    *ret = x;
    return 0;
}

static bool action_takes_errno(enum action a)
{
    return a == ACT_ERRNO || a == ACT_TRACE;
}

/* Decodes action_key (and errno_key, which only ERRNO and TRACE may carry) of obj into a
 * libseccomp action value. The errno is EPERM when errno_key is absent, as in runc. */
static int decode_action(json_t *obj, const char *action_key, const char *errno_key,
                         const char *path, uint32_t *ret, struct kerr *err)
{
    const char *sep = *path ? "." : "";
    json_t *v = json_object_get(obj, action_key);
    if (!v)
        return kerr_set(err, -EINVAL, "%s%s%s: missing", path, sep, action_key);
    if (!json_is_string(v))
        return kerr_set(err, -EINVAL, "%s%s%s: must be a string", path, sep, action_key);
    const char *s = json_string_value(v);
    enum action a;
    if (strncmp(s, "SCMP_ACT_", 9) != 0 || action_parse(s, &a) < 0) {
        if (strcmp(s, "SCMP_ACT_NOTIFY") == 0)
            return kerr_set(err, -EOPNOTSUPP, "%s%s%s: unsupported action \"%s\"", path, sep,
                            action_key, s);
        return kerr_set(err, -EINVAL, "%s%s%s: unknown action \"%s\"", path, sep, action_key, s);
    }

    json_int_t e = EPERM;
    json_t *ev = json_object_get(obj, errno_key);
    if (ev) {
        if (!action_takes_errno(a))
            return kerr_set(err, -EINVAL, "%s%s%s: not allowed with action \"%s\"", path, sep,
                            errno_key, s);
        int r = get_int(ev, 0, a == ACT_ERRNO ? ERRNO_RET_MAX : TRACE_RET_MAX, path, errno_key, &e,
                        err);
        if (r < 0)
            return r;
    }

    switch (a) {
    case ACT_ALLOW:
        *ret = SCMP_ACT_ALLOW;
        break;
    case ACT_LOG:
        *ret = SCMP_ACT_LOG;
        break;
    case ACT_TRACE:
        *ret = SCMP_ACT_TRACE((uint32_t)e);
        break;
    case ACT_ERRNO:
        *ret = SCMP_ACT_ERRNO((uint32_t)e);
        break;
    case ACT_TRAP:
        *ret = SCMP_ACT_TRAP;
        break;
    case ACT_KILL_THREAD:
        *ret = SCMP_ACT_KILL_THREAD;
        break;
    case ACT_KILL_PROCESS:
        *ret = SCMP_ACT_KILL_PROCESS;
        break;
    default:
        return kerr_set(err, -EINVAL, "%s%s%s: unknown action \"%s\"", path, sep, action_key, s);
    }
    return 0;
}

/* Adds every architecture of the profile (the native one is in the filter already). */
static int add_architectures(scmp_filter_ctx ctx, json_t *arches, struct bpf_model *model,
                             struct kerr *err)
{
    if (!json_is_array(arches))
        return kerr_set(err, -EINVAL, "architectures: must be an array of strings");

    size_t i;
    json_t *v;
    json_array_foreach(arches, i, v)
    {
        if (!json_is_string(v))
            return kerr_set(err, -EINVAL, "architectures[%zu]: must be a string", i);
        const char *s = json_string_value(v);
        char lower[32];
        size_t n = 0;
        uint32_t token = 0;
        if (strncmp(s, "SCMP_ARCH_", 10) == 0 && strlen(s + 10) < sizeof(lower)) {
            for (const char *p = s + 10; *p; p++)
                lower[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
            lower[n] = '\0';
            token = seccomp_arch_resolve_name(lower);
        }
        if (token == 0)
            return kerr_set(err, -EINVAL, "architectures[%zu]: unknown architecture \"%s\"", i, s);
        int r = seccomp_arch_add(ctx, token);
        if (r < 0 && r != -EEXIST)
            return kerr_set(err, r, "architectures[%zu]: libseccomp cannot add \"%s\": %s", i, s,
                            strerror(-r));
        if (model && r == 0) {
            if (model->narches == BPF_CHECK_ARCH_MAX)
                return kerr_set(err, -E2BIG, "architectures: more than %d", BPF_CHECK_ARCH_MAX);
            model->arches[model->narches++] = token;
        }
    }
    return 0;
}

/* The OCI flags runc knows; TSYNC needs nothing from libseccomp. */
static int apply_flags(scmp_filter_ctx ctx, json_t *flags, struct kerr *err)
{
    if (!json_is_array(flags))
        return kerr_set(err, -EINVAL, "flags: must be an array of strings");

    size_t i;
    json_t *v;
    json_array_foreach(flags, i, v)
    {
        if (!json_is_string(v))
            return kerr_set(err, -EINVAL, "flags[%zu]: must be a string", i);
        const char *s = json_string_value(v);
        int r = 0;
        if (strcmp(s, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
            continue;
        else if (strcmp(s, "SECCOMP_FILTER_FLAG_LOG") == 0)
            r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
        else if (strcmp(s, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
            r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
        else
            return kerr_set(err, -EINVAL, "flags[%zu]: unknown flag \"%s\"", i, s);
        if (r < 0)
            return kerr_set(err, r, "flags[%zu]: libseccomp cannot set \"%s\": %s", i, s,
                            strerror(-r));
    }
    return 0;
}

/* Decodes args of one rule into ret_cmp (n entries, caller frees) and tells whether an
 * argument is compared more than once (runtimes then add one rule per comparison). */
static int decode_args(json_t *args, const char *path, struct scmp_arg_cmp **ret_cmp, size_t *ret_n,
                       bool *ret_split, struct kerr *err)
{
    static const char *const keys[] = {"index", "value", "valueTwo", "op"};
    if (!json_is_array(args))
        return kerr_set(err, -EINVAL, "%s.args: must be an array", path);

    size_t n = json_array_size(args);
    _cleanup_free_ struct scmp_arg_cmp *cmp = calloc(n ? n : 1, sizeof(*cmp));
    if (!cmp)
        return kerr_set(err, -ENOMEM, "%s.args: out of memory", path);

    unsigned seen[ARG_INDEX_MAX + 1] = {0};
    bool split = false;
    size_t i;
    json_t *a;
    json_array_foreach(args, i, a)
    {
        char apath[ARG_PATH_LEN];
        snprintf(apath, sizeof(apath), "%s.args[%zu]", path, i);
        if (!json_is_object(a))
            return kerr_set(err, -EINVAL, "%s: must be an object", apath);
        int r = check_keys(a, keys, ELEMENTSOF(keys), apath, err);
        if (r < 0)
            return r;

        json_int_t arg_index = 0, value = 0, value_two = 0;
        json_t *v = json_object_get(a, "index");
        if (!v)
            return kerr_set(err, -EINVAL, "%s.index: missing", apath);
        r = get_int(v, 0, ARG_INDEX_MAX, apath, "index", &arg_index, err);
        if (r < 0)
            return r;

        v = json_object_get(a, "value");
        if (!v)
            return kerr_set(err, -EINVAL, "%s.value: missing", apath);
        r = get_int(v, 0, LLONG_MAX, apath, "value", &value, err);
        if (r < 0)
            return r;

        v = json_object_get(a, "valueTwo");
        if (v) {
            r = get_int(v, 0, LLONG_MAX, apath, "valueTwo", &value_two, err);
            if (r < 0)
                return r;
        }

        v = json_object_get(a, "op");
        if (!v)
            return kerr_set(err, -EINVAL, "%s.op: missing", apath);
        if (!json_is_string(v))
            return kerr_set(err, -EINVAL, "%s.op: must be a string", apath);
        const char *op_name = json_string_value(v);
        enum cmp_op op;
        if (strncmp(op_name, "SCMP_CMP_", 9) != 0 || op_parse(op_name, &op) < 0)
            return kerr_set(err, -EINVAL, "%s.op: unknown operator \"%s\"", apath, op_name);

        if (++seen[arg_index] > 1)
            split = true;
        cmp[i] = (struct scmp_arg_cmp){
            .arg = (unsigned)arg_index,
            .op = (enum scmp_compare)op,
            .datum_a = (scmp_datum_t)value,
            .datum_b = (scmp_datum_t)value_two,
        };
    }

    *ret_cmp = TAKE_PTR(cmp);
    *ret_n = n;
    *ret_split = split;
    return 0;
}

/* Adds one rule for syscall nr, or one rule per comparison when split (runc and crun do
 * this when an argument is compared twice, which libseccomp refuses within one rule). */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const struct scmp_arg_cmp *cmp,
                    size_t n, bool split, const char *path, const char *name, struct kerr *err)
{
    int r = 0;
    if (n == 0)
        r = seccomp_rule_add_array(ctx, action, nr, 0, NULL);
    else if (!split)
        r = seccomp_rule_add_array(ctx, action, nr, (unsigned)n, cmp);
    else
        for (size_t i = 0; i < n && r == 0; i++)
            r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[i]);
    if (r == -EEXIST)
        return kerr_set(err, r,
                        "%s: \"%s\": libseccomp refuses the rule: another rule on this syscall "
                        "has the same conditions and a different action",
                        path, name);
    if (r < 0)
        return kerr_set(err, r, "%s: \"%s\": libseccomp refuses the rule: %s", path, name,
                        strerror(-r));
    return 0;
}

/* Appends the rules a runtime adds for name to model: one, or one per comparison when split. */
static int model_add(struct bpf_model *model, const char *name, struct nr_memo_entry *memo,
                     uint32_t action, const struct scmp_arg_cmp *cmp, size_t n, bool split)
{
    size_t add = split ? n : 1;
    if (model->nrules + add > model->cap) {
        size_t cap = model->cap ? model->cap : 64;
        while (cap < model->nrules + add)
            cap *= 2;
        struct bpf_rule *rules = realloc(model->rules, cap * sizeof(*rules));
        if (!rules)
            return -ENOMEM;
        model->rules = rules;
        model->cap = cap;
    }
    for (size_t k = 0; k < add; k++) {
        struct bpf_rule *r = &model->rules[model->nrules++];
        *r = (struct bpf_rule){.name = name, .memo = memo, .action = action};
        if (split) {
            r->cmp[0] = cmp[k];
            r->ncmp = 1;
        } else if (n > 0) {
            memcpy(r->cmp, cmp, n * sizeof(*cmp));
            r->ncmp = (unsigned)n;
        }
    }
    return 0;
}

/* Decodes syscalls[index] and adds its rules. */
static int add_syscall_block(scmp_filter_ctx ctx, uint32_t default_action, json_t *block,
                             size_t index, struct bpf_model *model, struct kerr *err)
{
    static const char *const keys[] = {"names", "action", "errnoRet", "args"};
    char path[BLOCK_PATH_LEN];
    snprintf(path, sizeof(path), "syscalls[%zu]", index);

    if (!json_is_object(block))
        return kerr_set(err, -EINVAL, "%s: must be an object", path);
    int r = check_keys(block, keys, ELEMENTSOF(keys), path, err);
    if (r < 0)
        return r;

    json_t *names = json_object_get(block, "names");
    if (!names)
        return kerr_set(err, -EINVAL, "%s.names: missing", path);
    if (!json_is_array(names) || json_array_size(names) == 0)
        return kerr_set(err, -EINVAL, "%s.names: must be a non-empty array of strings", path);

    uint32_t action;
    r = decode_action(block, "action", "errnoRet", path, &action, err);
    if (r < 0)
        return r;

    _cleanup_free_ struct scmp_arg_cmp *cmp = NULL;
    size_t n = 0;
    bool split = false;
    json_t *args = json_object_get(block, "args");
    if (args) {
        r = decode_args(args, path, &cmp, &n, &split, err);
        if (r < 0)
            return r;
    }

    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if (!json_is_string(v))
            return kerr_set(err, -EINVAL, "%s.names[%zu]: must be a string", path, i);
        const char *name = json_string_value(v);
        struct nr_memo_entry *memo = model ? nr_memo_entry(model->memo, name) : NULL;
        int nr = nr_memo_entry_resolve(memo, SCMP_ARCH_NATIVE, name);
        if (nr == __NR_SCMP_ERROR)
            return kerr_set(err, -EINVAL, "%s.names[%zu]: unknown syscall \"%s\"", path, i, name);
        /* The check counts a rule with the default action too: the profile says it, the
         * runtime leaves it out, and the program must not be looser for that. */
        if (model) {
            r = model_add(model, name, memo, action, cmp, n, split);
            if (r < 0)
                return kerr_set(err, r, "%s: out of memory", path);
        }
        /* libseccomp refuses a rule with the default action; runtimes skip it. */
        if (action == default_action)
            continue;
        r = add_rule(ctx, action, nr, cmp, n, split, path, name, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* proof_build(), and when model is not NULL the rules as a runtime adds them, for
 * bpf_check(); their names point into *ret_root, which the caller then owns. */
static int build(const char *json, size_t len, uint32_t node_arch, scmp_filter_ctx *ret,
                 struct bpf_model *model, json_t **ret_root, struct kerr *err)
{
    static const char *const keys[] = {"defaultAction", "defaultErrnoRet", "architectures",
                                       "flags",         "listenerPath",    "listenerMetadata",
                                       "syscalls"};
    json_error_t jerr;
    _cleanup_(json_decrefp) json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return kerr_set(err, -EINVAL, "invalid JSON at line %d column %d: %s", jerr.line,
                        jerr.column, jerr.text);
    if (!json_is_object(root))
        return kerr_set(err, -EINVAL, "the profile must be a JSON object");
    int r = check_keys(root, keys, ELEMENTSOF(keys), "", err);
    if (r < 0)
        return r;

    uint32_t default_action;
    r = decode_action(root, "defaultAction", "defaultErrnoRet", "", &default_action, err);
    if (r < 0)
        return r;

    static const char *const string_keys[] = {"listenerPath", "listenerMetadata"};
    for (size_t i = 0; i < ELEMENTSOF(string_keys); i++) {
        json_t *v = json_object_get(root, string_keys[i]);
        if (v && !json_is_string(v))
            return kerr_set(err, -EINVAL, "%s: must be a string", string_keys[i]);
    }

    uint32_t native = seccomp_arch_native();
    char node[48];
    if (node_arch && (node_arch & __AUDIT_ARCH_LE) != (native & __AUDIT_ARCH_LE))
        /* libseccomp 2.5.4 builds such a filter, but writes the return it copies for a jump
         * over 255 instructions in this machine's byte order (converted twice), so the program
         * checked here would not be the node's. */
        return kerr_set(err, -EXDEV,
                        "a profile for %s, of the other byte order than this machine's, cannot "
                        "be proven here: libseccomp writes parts of its program in this "
                        "machine's byte order; the agent on such a node proves it there",
                        arch_token_text(node_arch, node, sizeof(node)));
    _cleanup_(filter_releasep) scmp_filter_ctx ctx = seccomp_init(default_action);
    if (!ctx)
        return kerr_set(err, -EINVAL, "defaultAction: libseccomp refuses it");
    if (node_arch && node_arch != native) {
        /* Another node's runtime: its filter starts with its own architecture. */
        r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
        if (r == 0)
            r = seccomp_arch_add(ctx, node_arch);
        if (r < 0)
            return kerr_set(err, r, "libseccomp cannot build a filter for %s: %s",
                            arch_token_text(node_arch, node, sizeof(node)), strerror(-r));
        native = node_arch;
    }
    if (model)
        model->arches[model->narches++] = native;
    /* As runc: no_new_privs is the runtime's business, not the filter's. */
    r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (r < 0)
        return kerr_set(err, r, "libseccomp cannot clear the no_new_privs attribute: %s",
                        strerror(-r));

    json_t *v = json_object_get(root, "architectures");
    if (v) {
        r = add_architectures(ctx, v, model, err);
        if (r < 0)
            return r;
    }
    v = json_object_get(root, "flags");
    if (v) {
        r = apply_flags(ctx, v, err);
        if (r < 0)
            return r;
    }

    json_t *syscalls = json_object_get(root, "syscalls");
    if (syscalls) {
        if (!json_is_array(syscalls))
            return kerr_set(err, -EINVAL, "syscalls: must be an array");
        size_t count = 0;
        for (size_t i = 0; i < json_array_size(syscalls); i++)
            count += json_array_size(json_object_get(json_array_get(syscalls, i), "names"));
        /* Not fatal when unavailable, as in runc. */
        if (count > OPTIMIZE_THRESHOLD)
            (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

        for (size_t i = 0; i < json_array_size(syscalls); i++) {
            r = add_syscall_block(ctx, default_action, json_array_get(syscalls, i), i, model, err);
            if (r < 0)
                return r;
        }
    }

    if (model)
        model->default_action = default_action;
    if (ret_root)
        *ret_root = TAKE_PTR(root);
    *ret = TAKE_PTR(ctx);
    return 0;
}

int proof_build(const char *json, size_t len, scmp_filter_ctx *ret, struct kerr *err)
{
    return build(json, len, 0, ret, NULL, NULL, err);
}

static int too_long(size_t insns, struct kerr *err)
{
    return kerr_set(err, -E2BIG,
                    "the BPF program has %zu instructions, more than the kernel's limit of %d",
                    insns, BPF_MAXINSNS);
}

/* export_and_check() with seccomp_export_bpf_mem(): one generation into a buffer the size of
 * the kernel's limit (-ERANGE: the program is longer, *len says how long). Upstream's 2.6.0
 * copied *len bytes, not the program's (fixed in 2.6.1): past 2.5, the size is asked first (a
 * 2.6 filter keeps its program, so the second call does not generate it again). */
static int export_mem_and_check(scmp_filter_ctx ctx, const struct bpf_model *model,
                                struct kerr *err)
{
    size_t len = BPF_MAXINSNS * sizeof(struct sock_filter);
    const struct scmp_version *v = seccomp_version();
    int r;
    if (!v || v->major != 2 || v->minor != 5) {
        size_t need = 0;
        r = seccomp_export_bpf_mem(ctx, NULL, &need);
        if (r < 0)
            return kerr_set(err, r, "libseccomp cannot generate the BPF program: %s", strerror(-r));
        if (need > len)
            return too_long(need / sizeof(struct sock_filter), err);
        len = need;
    }

    _cleanup_free_ struct sock_filter *prog = malloc(len ? len : 1);
    if (!prog)
        return kerr_set(err, -ENOMEM, "out of memory for the BPF program");
    size_t cap = len;
    r = seccomp_export_bpf_mem(ctx, prog, &len);
    if (r == -ERANGE && len > cap)
        return too_long(len / sizeof(struct sock_filter), err);
    if (r < 0)
        return kerr_set(err, r, "libseccomp cannot generate the BPF program: %s", strerror(-r));
    if (len > cap || len % sizeof(struct sock_filter))
        return kerr_set(err, -EIO, "libseccomp exported a BPF program of %zu bytes", len);
    size_t insns = len / sizeof(struct sock_filter);
    if (insns > BPF_MAXINSNS)
        return too_long(insns, err);
    return bpf_check(model, prog, insns, err);
}

/* Generates the BPF program (nothing is loaded), checks its length against the kernel's
 * limit, and runs it against the profile (engine/bpf_check.h). */
static int export_and_check(scmp_filter_ctx ctx, const struct bpf_model *model, struct kerr *err)
{
    if (seccomp_export_bpf_mem)
        return export_mem_and_check(ctx, model, err);

    _cleanup_close_ int fd = memfd_create("kscmp-proof", MFD_CLOEXEC);
    if (fd < 0)
        return kerr_set(err, -errno, "cannot make a memory file for the BPF program: %s",
                        strerror(errno));
    int r = seccomp_export_bpf(ctx, fd);
    if (r < 0)
        return kerr_set(err, r, "libseccomp cannot generate the BPF program: %s", strerror(-r));

    struct stat st;
    if (fstat(fd, &st) < 0)
        return kerr_set(err, -errno, "cannot measure the BPF program: %s", strerror(errno));
    size_t insns = (size_t)st.st_size / sizeof(struct sock_filter);
    if (insns > BPF_MAXINSNS)
        return too_long(insns, err);

    _cleanup_free_ struct sock_filter *prog = malloc(insns ? insns * sizeof(*prog) : 1);
    if (!prog)
        return kerr_set(err, -ENOMEM, "out of memory reading the BPF program back");
    size_t want = insns * sizeof(struct sock_filter), got = 0;
    while (got < want) {
        ssize_t k = pread(fd, (char *)prog + got, want - got, (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return kerr_set(err, k < 0 ? -errno : -EIO, "cannot read the BPF program back: %s",
                            k < 0 ? strerror(errno) : "short read");
        got += (size_t)k;
    }
    return bpf_check(model, prog, insns, err);
}

int proof_profile(const char *json, size_t len, struct kerr *err)
{
    return proof_profile_node(json, len, 0, err);
}

int proof_profile_keep(const char *json, size_t len, uint32_t node_arch, struct nr_memo *memo,
                       struct proof_keep *keep, struct kerr *err)
{
    struct bpf_model model = {.memo = memo};
    *keep = (struct proof_keep){0};
    int r = build(json, len, node_arch, &keep->ctx, &model, &keep->root, err);
    if (r == 0)
        r = export_and_check(keep->ctx, &model, err);
    free(model.rules);
    return r;
}

void proof_keep_free(struct proof_keep *keep)
{
    filter_releasep(&keep->ctx);
    json_decref(keep->root);
    *keep = (struct proof_keep){0};
}

int proof_profile_node(const char *json, size_t len, uint32_t node_arch, struct kerr *err)
{
    struct proof_keep keep;
    int r = proof_profile_keep(json, len, node_arch, NULL, &keep, err);
    proof_keep_free(&keep);
    return r;
}
