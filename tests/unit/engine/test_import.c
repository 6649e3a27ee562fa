/* test_import.c - `kscmp import`'s reader and writer (engine/import.h): malformed OCI, SPO and
 * advisor inputs refused with "FILE:LINE: OBJECT: FIELD: problem" and nothing kept, Docker's
 * includes/excludes resolved per architecture, kernel and capability, SPO bases as extends or
 * inlined, bounds (base chains, containers), and the output: deterministic, blocks by action
 * with sorted names, and a manifest that kscmp itself decodes and compiles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "engine/engine.h"
#include "engine/import.h"
#include "engine/manifest.h"

struct result {
    int r;
    struct kerr err;
    char *yaml;
    char **warnings;
    size_t nwarnings;
};

static void result_clear(struct result *res)
{
    free(res->yaml);
    for (size_t i = 0; i < res->nwarnings; i++)
        free(res->warnings[i]);
    free(res->warnings);
    memset(res, 0, sizeof(*res));
}

static struct import_opts opts_default(struct sysdb *db)
{
    return (struct import_opts){.arch = arch_parse("x86_64"),
                                .kernel_major = 6,
                                .kernel_minor = 1,
                                .caps = import_default_caps(),
                                .libseccomp_version = "test",
                                .db = db};
}

/* Imports the texts (file names f0.json, f1.yaml, ...) with o. */
static void import_texts(const struct import_opts *o0, const char *const *texts, size_t n,
                         struct result *res)
{
    memset(res, 0, sizeof(*res));
    struct sysdb *db = NULL;
    assert_int_equal(sysdb_new(&db), 0);
    struct import_opts o = *o0;
    o.db = db;
    struct import_set *s = NULL;
    assert_int_equal(import_set_new(&o, &s), 0);
    for (size_t i = 0; i < n && res->r == 0; i++) {
        char name[32];
        snprintf(name, sizeof(name), "f%zu.%s", i, texts[i][0] == '{' ? "json" : "yaml");
        res->r = import_add(s, texts[i], strlen(texts[i]), name, &res->err);
    }
    if (res->r == 0)
        res->r = import_render(s, &res->yaml, &res->warnings, &res->nwarnings, &res->err);
    import_set_free(s);
    sysdb_free(db);
}

static void import_one(const char *text, struct result *res)
{
    struct import_opts o = opts_default(NULL);
    import_texts(&o, &text, 1, res);
}

/* The input must be refused with every fragment in the message. */
static void expect_refused(const char *text, const char *const *want)
{
    struct result res;
    import_one(text, &res);
    if (res.r >= 0)
        fail_msg("accepted:\n%s\n->\n%s", text, res.yaml);
    assert_int_equal(res.r, res.err.code);
    for (const char *const *w = want; *w; w++)
        if (!strstr(res.err.msg, *w))
            fail_msg("message \"%s\" lacks \"%s\" (input %s)", res.err.msg, *w, text);
    assert_null(res.yaml);
    result_clear(&res);
}

static void expect_has(const struct result *res, const char *frag)
{
    if (res->r < 0)
        fail_msg("refused: %s", res->err.msg);
    if (!strstr(res->yaml, frag))
        fail_msg("output lacks \"%s\":\n%s", frag, res->yaml);
}

static void expect_lacks(const struct result *res, const char *frag)
{
    if (res->r < 0)
        fail_msg("refused: %s", res->err.msg);
    if (strstr(res->yaml, frag))
        fail_msg("output has \"%s\":\n%s", frag, res->yaml);
}

/* Not in the policy (its comments, which say what was left out, aside). */
static void expect_lacks_rule(const struct result *res, const char *frag)
{
    if (res->r < 0)
        fail_msg("refused: %s", res->err.msg);
    const char *body = strstr(res->yaml, "\napiVersion:");
    if (body && strstr(body, frag))
        fail_msg("the policy has \"%s\":\n%s", frag, res->yaml);
}

/* ---- malformed input ----------------------------------------------------------------------- */

#define OCI(rules) "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [" rules "]}"
#define SPO_HEAD                                                                                   \
    "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"              \
    "metadata: {name: p, namespace: ns}\n"

static void test_malformed_oci(void **state)
{
    static const struct {
        const char *text;
        const char *want[4];
    } cases[] = {
        {"", {"f0.", "no seccomp profile in this file", NULL}},
        {"# only a comment\n---\n", {"f0.", "no seccomp profile in this file", NULL}},
        {"[1, 2]", {"f0.yaml:1:", "a document must be a mapping", NULL}},
        {"{\"defaultAction\": 3}", {"f0.json:1:", "defaultAction", "not a number", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"defaultErrnoRet\": 38}",
         {"f0.json:2:", "defaultErrnoRet", "38", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}",
         {"defaultErrnoRet", "only SCMP_ACT_ERRNO", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
         {"defaultErrnoRet", "whole number", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", {"defaultAction", "SCMP_ACT_NOTIFY", NULL}},
        {"{\"defaultAction\": \"Allow\"}", {"defaultAction", "unknown action", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerMetadata\": \"x\"}",
         {"listenerMetadata", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_TSYNC\"]}",
         {"flags", "SECCOMP_FILTER_FLAG_TSYNC", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": \"x\"}", {"flags", "a list", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_NATIVE_\"]}",
         {"architectures[0]", "SCMP_ARCH_NATIVE_", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [7]}",
         {"architectures[0]", "a string", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"architecture\": "
         "\"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_VAX\"]}]}",
         {"archMap[0].subArchitectures[0]", "SCMP_ARCH_VAX", NULL}},
        /* Another architecture's entry is not used, but its names are checked all the same:
         * a misspelt one would otherwise drop that architecture silently. */
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"architecture\": "
         "\"SCMP_ARCH_AARCH64X\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]}]}",
         {"archMap[0].architecture", "SCMP_ARCH_AARCH64X", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"architecture\": "
         "\"SCMP_ARCH_X86_64\"}, {\"architecture\": \"SCMP_ARCH_AARCH64\", "
         "\"subArchitectures\": [\"SCMP_ARCH_ARMM\"]}]}",
         {"archMap[1].subArchitectures[0]", "SCMP_ARCH_ARMM", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"architecture\": "
         "\"x86_64\"}]}",
         {"archMap[0].architecture", "not a seccomp architecture name", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"subArchitectures\": []}]}",
         {"archMap[0].architecture", "required", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"architecture\": "
         "\"SCMP_ARCH_X86_64\", \"extra\": 1}]}",
         {"archMap[0].extra", "unknown field", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}", {"syscalls", "a list", NULL}},
        {OCI("3"), {"syscalls[0]", "a mapping", NULL}},
        {OCI("{\"names\": [\"read\"]}"), {"syscalls[0].action", "required", NULL}},
        {OCI("{\"action\": \"SCMP_ACT_ALLOW\"}"), {"syscalls[0].names: required", NULL}},
        {OCI("{\"names\": \"read\", \"action\": \"SCMP_ACT_ALLOW\"}"),
         {"syscalls[0].names: must be a list such as [\"read\"]", "name is the key", NULL}},
        /* name and names mixed up: the entry, the key written and the one meant. */
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}, "
             "{\"name\": [\"write\"], \"action\": \"SCMP_ACT_ALLOW\"}"),
         {"syscalls[1].name: must be one syscall name, not a list: did you mean names?", NULL}},
        {OCI("{\"name\": \"read\", \"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}"),
         {"syscalls[0]: both name and names are given: keep names, drop name", NULL}},
        {OCI("{\"names\": [\"read\", 4], \"action\": \"SCMP_ACT_ALLOW\"}"),
         {"syscalls[0].names[1]", "a string", NULL}},
        {OCI("{\"names\": [\"\"], \"action\": \"SCMP_ACT_ALLOW\"}"),
         {"syscalls[0].names[0]", "not a syscall name", NULL}},
        {OCI("{\"name\": \"re ad\", \"action\": \"SCMP_ACT_ALLOW\"}"),
         {"syscalls[0].name", "not a syscall name", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7}"),
         {"syscalls[0].errnoRet", "SCMP_ACT_TRACE", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 4095}"),
         {"syscalls[0].errnoRet", "4095", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": \"EPERM\"}"),
         {"syscalls[0].errnoRet", "whole number", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": {}}"),
         {"syscalls[0].args", "a list", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [1,2,3,4,5,6,7]}"),
         {"syscalls[0].args", "at most 6", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
             "[{\"index\": 0, \"value\": 1}]}"),
         {"syscalls[0].args[0].op", "required", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
             "[{\"index\": 0, \"value\": 1, \"op\": \"EQ\"}]}"),
         {"syscalls[0].args[0].op", "unknown operator", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
             "[{\"index\": 0, \"value\": -1, \"op\": \"SCMP_CMP_EQ\"}]}"),
         {"syscalls[0].args[0].value", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
             "[{\"index\": 0, \"value\": 1.5, \"op\": \"SCMP_CMP_EQ\"}]}"),
         {"syscalls[0].args[0].value", "whole number", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
             "[{\"index\": 0, \"valueTwo\": 9223372036854775808, \"op\": \"SCMP_CMP_EQ\"}]}"),
         {"syscalls[0].args[0].valueTwo", "9223372036854775808", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
             "[{\"index\": 0, \"value\": 99999999999999999999, \"op\": \"SCMP_CMP_EQ\"}]}"),
         {"syscalls[0].args[0].value", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
             "[{\"index\": 1, \"op\": \"SCMP_CMP_EQ\", \"mask\": 1}]}"),
         {"syscalls[0].args[0].mask", "unknown field", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": []}"),
         {"syscalls[0].includes", "a mapping", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": "
             "{\"caps\": [1]}}"),
         {"syscalls[0].includes.caps[0]", "a string", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": "
             "{\"minKernel\": \"0.0\"}}"),
         {"syscalls[0].excludes.minKernel", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": "
             "{\"minKernel\": \"4.8.1\"}}"),
         {"syscalls[0].excludes.minKernel", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"excludes\": "
             "{\"os\": \"linux\"}}"),
         {"syscalls[0].excludes.os", "unknown field", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": "
             "[{\"index\": 1, \"op\": \"SCMP_CMP_EQ\", \"vaule\": 1}]}"),
         {"syscalls[0].args[0].vaule", "unknown field; did you mean \"value\"?", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{names: [read], "
         "action:SCMP_ACT_ALLOW}]}",
         {"syscalls[0].action:SCMP_ACT_ALLOW",
          "unknown field; a colon needs a space after it (\"action: SCMP_ACT_ALLOW\")", NULL}},
        {OCI("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"comment\": 5}"),
         {"syscalls[0].comment", "a string", NULL}},
        /* A name libseccomp does not know may go only where the default is stricter. */
        {"{\"defaultAction\": \"SCMP_ACT_LOG\", \"syscalls\": [{\"names\": [\"nope_call\"], "
         "\"action\": \"SCMP_ACT_KILL\"}]}",
         {"nope_call", "not known to libseccomp", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultAction\": \"SCMP_ACT_ALLOW\"}",
         {"defaultAction", NULL}},
        {"apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", {"f0.yaml:2:", "Pod", NULL}},
        {"kind: SeccompProfile\n", {"apiVersion", "required", NULL}},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\"\n", {"f0.json", NULL}},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        expect_refused(cases[i].text, cases[i].want);
}

static void test_malformed_spo(void **state)
{
    static const struct {
        const char *text;
        const char *want[4];
    } cases[] = {
        {SPO_HEAD, {"f0.yaml:1:", "SeccompProfile ns/p", "spec: required", NULL}},
        {SPO_HEAD "spec: []\n", {"SeccompProfile ns/p", "spec", "a mapping", NULL}},
        {SPO_HEAD "spec: {}\n", {"spec.defaultAction", "required", NULL}},
        {SPO_HEAD "spec: {defaultAction: SCMP_ACT_ERRNO, disabled: \"yes\"}\n",
         {"spec.disabled", "true or false", NULL}},
        {SPO_HEAD "spec: {defaultAction: SCMP_ACT_ERRNO, disabled: true}\n",
         {"spec.disabled", "disabled", NULL}},
        {SPO_HEAD "spec: {defaultAction: SCMP_ACT_ERRNO, baseProfileName: 5}\n",
         {"spec.baseProfileName", "a string", NULL}},
        {SPO_HEAD "spec: {defaultAction: SCMP_ACT_ERRNO, baseProfileName: Bad_Name}\n",
         {"spec.baseProfileName", "not a profile name", NULL}},
        {SPO_HEAD "spec: {defaultAction: SCMP_ACT_ERRNO, baseProfileName: \"oci://r/x:1\"}\n",
         {"spec.baseProfileName", "oci://r/x:1", NULL}},
        {SPO_HEAD "spec: {defaultAction: SCMP_ACT_ERRNO, baseProfileName: gone}\n",
         {"f0.yaml:4:", "spec.baseProfileName", "\"gone\"", NULL}},
        {SPO_HEAD "spec: {defaultAction: SCMP_ACT_ERRNO, baseProfileName: p}\n", {"cycle", NULL}},
        /* An unknown name where leaving it out would be looser: its line and field. */
        {SPO_HEAD "spec:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n"
                  "  - names: [read]\n    action: SCMP_ACT_ERRNO\n"
                  "  - names: [mount, mountt]\n    action: SCMP_ACT_ERRNO\n",
         {"f0.yaml:9:", "spec.syscalls[1].names[1]: syscall \"mountt\"", "not known", NULL}},
        {SPO_HEAD "spec: {defaultAction: SCMP_ACT_ERRNO, archMap: []}\n",
         {"spec.archMap", "unknown field", NULL}},
        {SPO_HEAD "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n"
                  "  - {names: [read], action: SCMP_ACT_ALLOW, comment: x}\n",
         {"f0.yaml:7:", "spec.syscalls[0].comment", "unknown field", NULL}},
        {SPO_HEAD
         "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n"
         "  - {names: [read], action: SCMP_ACT_ALLOW}\n  - {name: write, action: SCMP_ACT_ALLOW}\n",
         {"f0.yaml:8:", "spec.syscalls[1].name: unknown field: did you mean names", NULL}},
        {SPO_HEAD "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n"
                  "  - {names: write, action: SCMP_ACT_ALLOW}\n",
         {"spec.syscalls[0].names: must be a list such as [\"write\"], not a string", NULL}},
        {SPO_HEAD "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n"
                  "  - {names: [read], action: SCMP_ACT_ALLOW, args: [{index: 9, op: "
                  "SCMP_CMP_EQ}]}\n",
         {"spec.syscalls[0].args[0].index", "over 5", NULL}},
        {SPO_HEAD "spec: {defaultAction: SCMP_ACT_ERRNO}\nextra: 1\n",
         {"extra", "unknown field", NULL}},
        {"apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
         "metadata: {namespace: ns}\nspec: {defaultAction: SCMP_ACT_ERRNO}\n",
         {"metadata.name", "required", NULL}},
        {"apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
         "metadata: {name: p, namespace: Bad_NS}\nspec: {defaultAction: SCMP_ACT_ERRNO}\n",
         {"metadata.namespace", "Bad_NS", NULL}},
        {"apiVersion: security-profiles-operator.x-k8s.io/v2\nkind: SeccompProfile\n"
         "metadata: {name: p}\nspec: {defaultAction: SCMP_ACT_ERRNO}\n",
         {"apiVersion", "v2\"", NULL}},
        {"apiVersion: security-profiles-operator.x-k8s.io/v1alpha1\nkind: ProfileRecording\n"
         "metadata: {name: r}\n",
         {"ProfileRecording", NULL}},
        {"apiVersion: v1\nkind: List\nitems: {}\n", {"items", "a list", NULL}},
        {"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items: []\n",
         {"List inside a List", NULL}},
        {SPO_HEAD "spec: {defaultAction: SCMP_ACT_ERRNO}\n---\n" SPO_HEAD
                  "spec: {defaultAction: SCMP_ACT_ALLOW}\n",
         {"f0.yaml:1:", "f0.yaml:6:", "SeccompPolicy ns/p", NULL}},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        expect_refused(cases[i].text, cases[i].want);
}

static void test_malformed_advisor(void **state)
{
    static const struct {
        const char *text;
        const char *want[4];
    } cases[] = {
        {"// web\n", {"f0.yaml:1:", "no profile follows", NULL}},
        {"//\n{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n", {"without a container name", NULL}},
        /* Advisor output starts with its first "//" line; here it is YAML (and malformed). */
        {"x: 1\n// web\n{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n", {"f0.yaml:", NULL}},
        {"description: |\n  // not a header\ndefaultAction: SCMP_ACT_LOG\n",
         {"f0.yaml:1:", "description", "unknown field", NULL}},
        {"// web\n{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n---\n{}\n", {"second document", NULL}},
        {"// web\napiVersion: v1\nkind: List\n", {"must follow", NULL}},
        /* Lines are counted from the top of the file. */
        {"// a\n{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n// b\n{\n\"defaultAction\": 1}\n",
         {"f0.yaml:5:", "container \"b\"", "defaultAction", NULL}},
        {"// Web Server!!\n{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n// web-server\n"
         "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n",
         {"would both become SeccompPolicy web-server", NULL}},
        {"// ___\n{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n", {"--name", NULL}},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        expect_refused(cases[i].text, cases[i].want);
}

/* A failed file leaves nothing behind: the next one imports alone. */
static void test_failed_file_keeps_nothing(void **state)
{
    struct sysdb *db = NULL;
    assert_int_equal(sysdb_new(&db), 0);
    struct import_opts o = opts_default(db);
    struct import_set *s = NULL;
    assert_int_equal(import_set_new(&o, &s), 0);
    struct kerr err = {0};
    const char *bad = "// a\n{\"defaultAction\": \"SCMP_ACT_ALLOW\"}\n// b\n{\"x\": 1}\n";
    assert_int_equal(import_add(s, bad, strlen(bad), "bad.txt", &err), -EINVAL);
    const char *good = "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}";
    assert_int_equal(import_add(s, good, strlen(good), "good.json", &err), 0);
    char *yaml = NULL, **w = NULL;
    size_t nw = 0;
    assert_int_equal(import_render(s, &yaml, &w, &nw, &err), 0);
    assert_non_null(strstr(yaml, "name: good\n"));
    assert_null(strstr(yaml, "name: a\n"));
    free(yaml);
    free(w);
    import_set_free(s);
    sysdb_free(db);
}

/* ---- meaning ------------------------------------------------------------------------------- */

static const char *const docker_like =
    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": ["
    "{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\", "
    "\"SCMP_ARCH_X32\"]},"
    "{\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]}],"
    "\"syscalls\": ["
    "{\"names\": [\"write\", \"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
    "{\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": "
    "\"4.8\"}},"
    "{\"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": "
    "[\"amd64\", \"x32\"]}},"
    "{\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": "
    "[\"CAP_SYS_ADMIN\"]}},"
    "{\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38, "
    "\"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
    "{\"names\": [\"chroot\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": "
    "[\"CAP_SYS_CHROOT\"]}}]}";

static void test_docker_resolution(void **state)
{
    struct result res;
    import_one(docker_like, &res);
    expect_has(&res, "arch: [x86_64, x86, x32]");
    expect_has(&res, "syscalls: [arch_prctl, chroot, ptrace, read, write]");
    expect_has(&res, "errno: ENOSYS\n      arch: [x86_64, x86, x32]\n      syscalls: [clone3]");
    expect_lacks_rule(&res, "mount");
    expect_has(&res, "# syscalls[3] (mount) left out: its includes/excludes do not match this "
                     "container");
    expect_has(&res, "kernel 6.1");
    result_clear(&res);

    struct import_opts o = opts_default(NULL);
    o.arch = arch_parse("aarch64");
    o.kernel_major = 4;
    o.kernel_minor = 4;
    capmask_t admin;
    assert_int_equal(import_cap_parse("sys_admin", &admin), 0);
    o.caps |= admin;
    import_texts(&o, &docker_like, 1, &res);
    expect_has(&res, "arch: [aarch64, arm]");
    expect_has(&res, "syscalls: [chroot, mount, read, write]");
    expect_lacks_rule(&res, "ptrace");
    expect_lacks_rule(&res, "clone3");
    result_clear(&res);

    /* Without CAP_SYS_CHROOT, and on an architecture the archMap does not list. */
    o = opts_default(NULL);
    capmask_t chroot;
    assert_int_equal(import_cap_parse("CAP_SYS_CHROOT", &chroot), 0);
    o.caps &= ~chroot;
    o.arch = arch_parse("riscv64");
    import_texts(&o, &docker_like, 1, &res);
    expect_has(&res, "arch: [riscv64]");
    expect_has(&res, "lists no architectures for this one");
    expect_lacks_rule(&res, "chroot");
    result_clear(&res);
}

static void test_caps(void **state)
{
    capmask_t m;
    assert_int_equal(import_cap_parse("ALL", &m), 0);
    assert_int_equal(m, ((capmask_t)1 << 41) - 1);
    assert_int_equal(import_cap_parse("cap_bpf", &m), 0);
    assert_int_equal(m, (capmask_t)1 << 39);
    assert_int_equal(import_cap_parse("NOPE", &m), -EINVAL);
    assert_int_equal(import_cap_parse("CAP_CHOWN_AND_A_VERY_LONG_TAIL_THAT_IS_NOT_A_CAP", &m),
                     -EINVAL);
    char buf[1024];
    import_caps_text(import_default_caps(), buf, sizeof(buf));
    assert_string_equal(buf, "CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL "
                             "CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_NET_BIND_SERVICE CAP_NET_RAW "
                             "CAP_SYS_CHROOT CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP");
}

static void test_output_shape(void **state)
{
    const char *text =
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
        "{\"names\": [\"umount2\", \"mount\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},"
        "{\"names\": [\"mount\"], \"action\": \"SCMP_ACT_LOG\"},"
        "{\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_KILL\"},"
        "{\"names\": [\"kexec_load\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
        "{\"names\": [\"acct\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 1},"
        "{\"names\": [\"bpf\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1},"
        "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": ["
        "{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_NE\"}]},"
        "{\"names\": [\"mprotect\"], \"action\": \"SCMP_ACT_TRAP\", \"args\": ["
        "{\"index\": 2, \"value\": 4, \"valueTwo\": 4, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
        "{\"names\": [\"s390_runtime_instr\", \"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", "
        "\"errnoRet\": 2000}]}";
    struct result res;
    import_one(text, &res);
    /* The input lists no architectures: the native one, said. */
    expect_has(&res, "lists no architectures");
    expect_has(&res, "arch: [x86_64]\n");
    expect_has(&res, "left out, not on x86_64: s390_runtime_instr");
    expect_has(&res, "  defaultAction: Allow\n");
    /* One block per verdict, least restrictive first; mount keeps its most restrictive. */
    const char *order[] = {
        "    action: SCMP_ACT_TRACE\n    syscalls: [acct]",
        "action: Block\n      arch: [x86_64]\n      syscalls: [bpf]",
        "action: Block\n      errno: EACCES\n      arch: [x86_64]\n      syscalls: [mount, "
        "umount2]",
        "action: Block\n      errno: 2000\n      arch: [x86_64]\n      syscalls: [getpid]",
        "action: SCMP_ACT_KILL_THREAD\n      arch: [x86_64]\n      syscalls: [ptrace]",
        "action: Kill\n      arch: [x86_64]\n      syscalls: [kexec_load]",
        "syscalls: [mprotect]\n      args:\n        - {index: 2, value: 4, "
        "valueTwo: 4, op: MASKED_EQ}",
        "syscalls: [personality]\n      args:\n        - {index: 0, value: "
        "8, op: NE}"};
    const char *at = res.yaml;
    for (size_t i = 0; i < ELEMENTSOF(order); i++) {
        const char *p = strstr(at, order[i]);
        if (!p)
            fail_msg("\"%s\" missing or out of order in:\n%s", order[i], res.yaml);
        at = p;
    }
    expect_lacks(&res, "Audit");

    /* Deterministic, and not dependent on the input's order. */
    struct result again;
    import_one(text, &again);
    assert_string_equal(res.yaml, again.yaml);
    result_clear(&again);
    result_clear(&res);
}

/* One syscall in two unconditional entries with errnos: the more restrictive (the lower, as
 * verdict_cmp ranks them; libseccomp keeps the first of the input, EPERM here), never the
 * higher whatever the input's order. */
/* review-imp BUG 2: a list of architectures without the node's own (x86_64 here). runc and crun
 * filter the node's architecture whatever the list says, so a rule of a syscall only it has
 * (kexec_file_load is not on x86) is enforced there: kept, and x86_64 in the policy's arch. */
static void test_architectures_without_the_node_s_own(void **state)
{
    struct result res;
    import_one("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\"], "
               "\"syscalls\": [{\"names\": [\"kexec_file_load\", \"mkdir\"], "
               "\"action\": \"SCMP_ACT_ERRNO\"}]}",
               &res);
    expect_has(&res, "    arch: [x86_64, x86]\n");
    expect_has(&res, "    syscalls: [kexec_file_load, mkdir]\n");
    expect_lacks(&res, "left out");
    result_clear(&res);
}

/* An entry Docker leaves out for this container (includes/excludes) that is stricter than the
 * default is said on stderr, not only in a comment: the same file read by containerd or runc
 * applies it. One looser than the default is only commented. */
static void test_left_out_stricter_entry_is_said(void **state)
{
    struct result res;
    import_one("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
               "{\"names\": [\"bpf\"], \"action\": \"SCMP_ACT_ERRNO\", "
               "\"includes\": {\"minKernel\": \"99.0\"}},"
               "{\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\", "
               "\"includes\": {\"minKernel\": \"99.0\"}},"
               "{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
               &res);
    expect_has(&res, "syscalls[0] (bpf) left out");
    expect_has(&res, "syscalls[1] (ptrace) left out");
    assert_int_equal(res.nwarnings, 1);
    assert_non_null(strstr(res.warnings[0], "syscalls[0] (bpf, SCMP_ACT_ERRNO) left out"));
    assert_non_null(strstr(res.warnings[0], "(containerd, runc) applies it"));
    result_clear(&res);
}

static void test_duplicate_errnos_keep_the_lower(void **state)
{
    static const char *const texts[] = {
        "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"syscalls\": ["
        "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\"},"
        "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}]}",
        "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"syscalls\": ["
        "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38},"
        "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
    };
    for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
        struct result res;
        import_one(texts[i], &res);
        expect_has(&res, "    action: Block\n    syscalls: [personality]\n");
        expect_lacks(&res, "ENOSYS");
        result_clear(&res);
    }
}

/* Everything import writes is a manifest kscmp decodes, validates and compiles. */
struct loaded {
    struct engine *e;
    size_t n;
};

static int put(struct object *o, void *userdata)
{
    struct loaded *l = userdata;
    assert_int_equal(o->type, OBJ_POLICY);
    if (o->policy->error)
        fail_msg("invalid: %s", o->policy->error);
    assert_int_equal(engine_put_policy(l->e, o->policy), 0);
    o->policy = NULL;
    l->n++;
    return 0;
}

static void expect_valid_manifest(const char *yaml, size_t want)
{
    struct loaded l = {0};
    assert_int_equal(engine_new(arch_parse("x86_64"), &l.e), 0);
    struct kerr err = {0};
    if (manifest_load_buffer(yaml, strlen(yaml), "out.yaml", put, &l, &err) < 0)
        fail_msg("%s\n%s", err.msg, yaml);
    assert_int_equal(l.n, want);
    const struct policy **all = NULL;
    size_t n = 0;
    assert_int_equal(engine_list_policies(l.e, &all, &n), 0);
    for (size_t i = 0; i < n; i++) {
        struct policy_result pr;
        assert_int_equal(engine_policy_result(l.e, all[i], &pr), 0);
        if (!pr.valid)
            fail_msg("%s\n%s", pr.error, yaml);
    }
    free(all);
    engine_free(l.e);
}

/* Names YAML would read as something else than a string (a number, a date, a boolean) are
 * written in quotes; others are not; the output decodes to those names. */
/* A MASKED_EQ valueTwo with bits outside the mask: libseccomp, which enforces the profile
 * read, compares the masked bits only, so the import keeps that reading (written within the
 * mask, with a comment and a warning), never a rule that would match no call (a Kill gone). */
static void test_masked_eq_outside_the_mask(void **state)
{
    struct result res;
    import_one("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
               "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_KILL_PROCESS\", "
               "\"args\": [{\"index\": 0, \"value\": 255, \"valueTwo\": 511, "
               "\"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}",
               &res);
    expect_has(&res, "- {index: 0, value: 255, valueTwo: 255, op: MASKED_EQ}");
    expect_has(&res, "# syscalls[0].args[0]: valueTwo 0x1ff has bits outside the mask 0xff: "
                     "written as 0xff");
    bool warned = false;
    for (size_t i = 0; i < res.nwarnings; i++)
        warned |= strstr(res.warnings[i], "valueTwo 0x1ff has bits outside the mask") != NULL;
    assert_true(warned);
    result_clear(&res);
}

static void test_names_quoted_when_needed(void **state)
{
    static const char *const text =
        "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
        "metadata: {name: \"0\", namespace: \"007\"}\n"
        "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n"
        "  - {names: [read, write], action: SCMP_ACT_ALLOW}\n"
        "---\n"
        "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
        "metadata: {name: \"yes\", namespace: \"007\"}\n"
        "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  baseProfileName: \"0\"\n  syscalls:\n"
        "  - {names: [mkdir], action: SCMP_ACT_ALLOW}\n"
        "---\n"
        "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
        "metadata: {name: \"1e3\", namespace: off-duty}\n"
        "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n"
        "  - {names: [read], action: SCMP_ACT_ALLOW}\n"
        "---\n"
        "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
        "metadata: {name: \"2024-01-01\", namespace: \"off\"}\n"
        "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n"
        "  - {names: [read], action: SCMP_ACT_ALLOW}\n";
    struct result res;
    import_one(text, &res);
    if (res.r < 0)
        fail_msg("%s", res.err.msg);
    expect_has(&res, "  name: \"0\"\n  namespace: \"007\"\n");
    expect_has(&res, "  name: \"yes\"\n  namespace: \"007\"\n");
    expect_has(&res, "  extends: \"0\"\n");
    expect_has(&res, "  name: \"1e3\"\n  namespace: off-duty\n");
    expect_has(&res, "  name: \"2024-01-01\"\n  namespace: \"off\"\n");
    expect_valid_manifest(res.yaml, 4);
    result_clear(&res);
}

static const char *const spo_family =
    "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
    "metadata: {name: base, namespace: ns}\n"
    "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n"
    "  - {names: [read, write, mkdir], action: SCMP_ACT_ALLOW}\n"
    "---\n"
    "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
    "metadata: {name: mid, namespace: ns}\n"
    "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  baseProfileName: base\n  syscalls:\n"
    "  - {names: [mkdir], action: SCMP_ACT_ERRNO, errnoRet: 13}\n"
    "---\n"
    "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
    "metadata: {name: leaf, namespace: ns}\n"
    "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  baseProfileName: mid\n  syscalls:\n"
    "  - {names: [openat], action: SCMP_ACT_ALLOW}\n";

static void test_spo_bases(void **state)
{
    struct result res;
    import_one(spo_family, &res);
    expect_has(&res, "name: mid\n  namespace: ns\nspec:\n  extends: base\n");
    expect_has(&res, "name: leaf\n  namespace: ns\nspec:\n  extends: mid\n");
    /* mid names mkdir as its base does: both rules, the stricter wins. */
    expect_has(&res, "keep the rules of both");
    expect_valid_manifest(res.yaml, 3);
    result_clear(&res);

    /* --name leaf: both bases inlined, nothing else written. */
    struct import_opts o = opts_default(NULL);
    o.name = "leaf";
    import_texts(&o, &spo_family, 1, &res);
    expect_lacks(&res, "extends");
    expect_lacks(&res, "name: base");
    expect_has(&res, "base profile mid");
    expect_has(&res, "base profile base");
    expect_has(&res, "syscalls: [openat, read, write]");
    expect_has(&res, "errno: EACCES\n      arch: [x86_64]\n      syscalls: [mkdir]");
    expect_valid_manifest(res.yaml, 1);
    result_clear(&res);

    /* -n moves every policy; bases are still found in their own namespace. */
    o = opts_default(NULL);
    o.ns = "moved";
    import_texts(&o, &spo_family, 1, &res);
    expect_has(&res, "name: leaf\n  namespace: moved\nspec:\n  extends: mid\n");
    result_clear(&res);

    /* Bases across files. */
    char *base_only = strndup(spo_family, (size_t)(strstr(spo_family, "---\n") - spo_family));
    assert_non_null(base_only);
    const char *split[] = {strstr(spo_family, "---\n") + 4, base_only};
    o = opts_default(NULL);
    o.inline_bases = true;
    import_texts(&o, split, 2, &res);
    expect_lacks(&res, "extends");
    expect_has(&res, "(--inline-bases)");
    expect_valid_manifest(res.yaml, 3);
    result_clear(&res);
    free(base_only);
}

/* A chain of bases longer than IMPORT_MAX_DEPTH is refused, one just short of it is not. */
static void test_spo_chain_bound(void **state)
{
    for (int len = IMPORT_MAX_DEPTH; len <= IMPORT_MAX_DEPTH + 1; len++) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        assert_non_null(f);
        for (int i = 0; i < len; i++) {
            fprintf(f,
                    "---\napiVersion: security-profiles-operator.x-k8s.io/v1beta1\n"
                    "kind: SeccompProfile\nmetadata: {name: p%d}\nspec:\n"
                    "  defaultAction: SCMP_ACT_ERRNO\n",
                    i);
            if (i > 0)
                fprintf(f, "  baseProfileName: p%d\n", i - 1);
        }
        fclose(f);
        struct import_opts o = opts_default(NULL);
        o.inline_bases = true;
        struct result res;
        const char *t = text;
        import_texts(&o, &t, 1, &res);
        if (len == IMPORT_MAX_DEPTH)
            assert_int_equal(res.r, 0);
        else {
            assert_int_equal(res.r, -ELOOP);
            assert_non_null(strstr(res.err.msg, "too many bases"));
        }
        result_clear(&res);
        free(text);
    }
}

/* Unknown names left out: the first five warned about one by one, the rest counted; the
 * output's comment lists them all. */
static void test_unknown_names_counted(void **state)
{
    const char *text = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": "
                       "[\"read\", \"nope_a\", \"nope_b\", \"nope_c\", \"nope_d\", \"nope_e\", "
                       "\"nope_f\", \"nope_g\"], \"action\": \"SCMP_ACT_ALLOW\"}]}";
    struct result res;
    import_one(text, &res);
    size_t one_by_one = 0, counted = 0;
    for (size_t i = 0; i < res.nwarnings; i++) {
        one_by_one += strstr(res.warnings[i], ": syscalls[0].names[") != NULL;
        counted += strstr(res.warnings[i], "2 more syscall name(s)") != NULL;
    }
    assert_int_equal(one_by_one, 5);
    assert_int_equal(counted, 1);
    expect_has(&res, "nope_a nope_b nope_c nope_d nope_e nope_f nope_g");
    result_clear(&res);
}

static void test_advisor(void **state)
{
    const char *text =
        "\n// web\n{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
        "  \"architectures\": [\"SCMP_ARCH_X86_64\"],\n  \"syscalls\": [{\"names\": "
        "[\"read\", \"syscall_1f4\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"}]\n}\n"
        "  // sidecar  \n{\"defaultAction\": \"SCMP_ACT_ERRNO\"}\n";
    struct result res;
    import_one(text, &res);
    expect_has(&res, "from f0.yaml:3 (Inspektor Gadget");
    expect_has(&res, "name: web\n");
    expect_has(&res, "name: sidecar\n");
    expect_has(&res, "syscalls: [read, write]");
    expect_has(&res, "not known to libseccomp test");
    /* The unknown name, then each profile's start-up syscalls its default refuses. */
    assert_int_equal(res.nwarnings, 3);
    assert_non_null(strstr(res.warnings[0], "syscall_1f4"));
    /* Named with its line and field. */
    assert_non_null(strstr(res.warnings[0], "f0.yaml:6: "));
    assert_non_null(strstr(res.warnings[0], ": syscalls[0].names[1]: syscall \"syscall_1f4\""));
    assert_non_null(strstr(res.warnings[1], "the agent allows"));
    expect_has(&res, "container start-up syscalls this profile leaves to its default");
    expect_valid_manifest(res.yaml, 2);
    result_clear(&res);

    struct import_opts o = opts_default(NULL);
    o.name = "shop";
    import_texts(&o, &text, 1, &res);
    expect_has(&res, "name: shop-web\n");
    expect_has(&res, "name: shop-sidecar\n");
    result_clear(&res);
}

/* More containers than IMPORT_MAX_PROFILES are refused before they are all held. */
static void test_advisor_bound(void **state)
{
    size_t n = IMPORT_MAX_PROFILES + 1;
    char *text = malloc(n * 64 + 1);
    assert_non_null(text);
    size_t off = 0;
    for (size_t i = 0; i < n; i++)
        off += (size_t)sprintf(text + off, "// c%zu\n{\"defaultAction\":\"SCMP_ACT_LOG\"}\n", i);
    struct result res;
    const char *t = text;
    struct import_opts o = opts_default(NULL);
    import_texts(&o, &t, 1, &res);
    assert_int_equal(res.r, -E2BIG);
    assert_non_null(strstr(res.err.msg, "more than"));
    result_clear(&res);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_oci),
        cmocka_unit_test(test_malformed_spo),
        cmocka_unit_test(test_malformed_advisor),
        cmocka_unit_test(test_failed_file_keeps_nothing),
        cmocka_unit_test(test_docker_resolution),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_output_shape),
        cmocka_unit_test(test_duplicate_errnos_keep_the_lower),
        cmocka_unit_test(test_left_out_stricter_entry_is_said),
        cmocka_unit_test(test_architectures_without_the_node_s_own),
        cmocka_unit_test(test_names_quoted_when_needed),
        cmocka_unit_test(test_masked_eq_outside_the_mask),
        cmocka_unit_test(test_spo_bases),
        cmocka_unit_test(test_spo_chain_bound),
        cmocka_unit_test(test_advisor),
        cmocka_unit_test(test_unknown_names_counted),
        cmocka_unit_test(test_advisor_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
