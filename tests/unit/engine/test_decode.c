/* test_decode.c - strict decoding of manifests: every malformed policy, Pod and Namespace
 * refused with "FILE:LINE: KIND NS/NAME: FIELD: problem" (a policy whose identity is readable
 * comes back as an invalid policy instead), well-formed ones decoded field by field, Pods'
 * profile references as the kubelet resolves them (contract section 2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>
#include <string.h>

#include "base/cleanup.h"
#include "engine/decode.h"
#include "engine/doc.h"

#define FILE_NAME "t.yaml"
#define MAX_OBJECTS 16

/* ---- helpers ----------------------------------------------------------------------------- */

struct decoded {
    struct object objs[MAX_OBJECTS];
    size_t n;
    int r;
    struct kerr err;
};

static int collect(struct object *o, void *userdata)
{
    struct decoded *d = userdata;
    assert_true(d->n < MAX_OBJECTS);
    d->objs[d->n++] = *o;
    *o = (struct object){0}; /* ownership moved */
    return 0;
}

/* Parses text (which must be well-formed YAML) and decodes every object in it. */
static void decode_text(const char *text, struct decoded *d)
{
    memset(d, 0, sizeof(*d));
    struct ynode **docs = NULL;
    size_t n = 0;
    struct kerr err = {0};
    int r = ydoc_parse_yaml(text, strlen(text), FILE_NAME, &docs, &n, &err);
    if (r < 0)
        fail_msg("the test's YAML is malformed: %s\n%s", err.msg, text);
    d->r = decode_documents(docs, n, FILE_NAME, collect, d, &d->err);
    ydoc_free_all(docs, n);
}

static void decoded_free(struct decoded *d)
{
    for (size_t i = 0; i < d->n; i++)
        object_clear(&d->objs[i]);
    d->n = 0;
}

/* The one object text decodes to, which must be of type t. */
static struct object *decode_one(const char *text, struct decoded *d, enum object_type t)
{
    decode_text(text, d);
    if (d->r < 0)
        fail_msg("unexpected error %d: %s\n%s", d->r, d->err.msg, text);
    if (d->n != 1 || d->objs[0].type != t)
        fail_msg("%zu objects, the first of type %d, want one of type %d", d->n,
                 d->n ? (int)d->objs[0].type : -1, (int)t);
    return &d->objs[0];
}

#define POLICY_HEAD                                                                                \
    "apiVersion: kscmp.io/v1\n"                                                                    \
    "kind: SeccompPolicy\n"                                                                        \
    "metadata:\n"                                                                                  \
    "  name: web\n"                                                                                \
    "  namespace: demo\n"                                                                          \
    "spec:\n" /* line 6: spec bodies start on line 7 */

#define POD_HEAD                                                                                   \
    "apiVersion: v1\n"                                                                             \
    "kind: Pod\n"                                                                                  \
    "metadata:\n"                                                                                  \
    "  name: p\n"                                                                                  \
    "  namespace: demo\n"                                                                          \
    "spec:\n" /* line 6 */

/* ---- malformed input, table-driven ------------------------------------------------------- */

enum outcome {
    INVALID_POLICY, /* OBJ_POLICY with ->error: its identity was readable */
    REFUSED,        /* decode fails with -EINVAL */
};

struct bad_case {
    const char *name;
    const char *text;
    enum outcome outcome;
    int line;         /* the message starts with "t.yaml:LINE: " */
    const char *want; /* and contains this: "KIND NS/NAME: FIELD: problem" */
};

static const struct bad_case bad_cases[] = {
    /* ---- spec.ceiling (contract 3.6) ---- */
    {"ceiling on a SeccompPolicy", POLICY_HEAD "  ceiling: true\n", INVALID_POLICY, 7,
     "SeccompPolicy demo/web: spec.ceiling: only a ClusterSeccompPolicy can be a ceiling (a "
     "SeccompPolicy cannot)"},
    {"ceiling false on a SeccompPolicy", POLICY_HEAD "  ceiling: false\n", INVALID_POLICY, 7,
     "SeccompPolicy demo/web: spec.ceiling: only a ClusterSeccompPolicy can be a ceiling"},
    {"ceiling on a KubeArmorSeccompPolicy",
     "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorSeccompPolicy\nmetadata: {name: k, "
     "namespace: demo}\nspec:\n  ceiling: true\n",
     INVALID_POLICY, 5,
     "KubeArmorSeccompPolicy demo/k: spec.ceiling: only a ClusterSeccompPolicy can be a ceiling"},
    {"ceiling as a string",
     "apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: c}\nspec:\n"
     "  ceiling: \"true\"\n",
     INVALID_POLICY, 5,
     "ClusterSeccompPolicy c: spec.ceiling: must be true or false, not a string"},
    {"ceiling as a number",
     "apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: c}\nspec:\n"
     "  ceiling: 1\n",
     INVALID_POLICY, 5,
     "ClusterSeccompPolicy c: spec.ceiling: must be true or false, not a number"},
    /* ---- wrong types ---- */
    {"syscalls as a string",
     POLICY_HEAD "  seccomp:\n"
                 "    syscalls: read\n"
                 "    action: Allow\n",
     INVALID_POLICY, 8,
     "SeccompPolicy demo/web: spec.seccomp.syscalls: must be a list, not a string"},
    {"a syscall as a number", POLICY_HEAD "  seccomp: {syscalls: [read, 42], action: Allow}\n",
     INVALID_POLICY, 7,
     "SeccompPolicy demo/web: spec.seccomp.syscalls[1]: must be a string, not a number"},
    {"a syscall name with capitals",
     POLICY_HEAD "  seccomp:\n"
                 "    syscalls:\n"
                 "    - read\n"
                 "    - Write\n"
                 "    action: Allow\n",
     INVALID_POLICY, 10,
     "SeccompPolicy demo/web: spec.seccomp.syscalls[1]: \"Write\" is not a syscall name"},
    {"a group name with a slash", POLICY_HEAD "  seccomp: {groups: [\"@a/b\"], action: Allow}\n",
     INVALID_POLICY, 7, "spec.seccomp.groups[0]: unknown group \"@a/b\" (see kscmp groups)"},
    {"a group name without its @", POLICY_HEAD "  seccomp: {groups: [basic-io], action: Allow}\n",
     INVALID_POLICY, 7,
     "spec.seccomp.groups[0]: unknown group \"basic-io\"; did you mean \"@basic-io\"?"},
    {"a name near a group, with or without @",
     POLICY_HEAD "  seccomp: {groups: [basic-iox], action: Allow}\n", INVALID_POLICY, 7,
     "spec.seccomp.groups[0]: unknown group \"basic-iox\"; did you mean \"@basic-io\"?"},
    {"a group misspelt", POLICY_HEAD "  seccomp: {groups: [\"@basic-i0\"], action: Allow}\n",
     INVALID_POLICY, 7, "unknown group \"@basic-i0\"; did you mean \"@basic-io\"?"},
    {"an @ too many", POLICY_HEAD "  seccomp: {groups: [\"@inet-client\"], action: Allow}\n",
     INVALID_POLICY, 7, "unknown group \"@inet-client\"; did you mean \"inet-client\"?"},
    {"a syscall among the groups", POLICY_HEAD "  seccomp: {groups: [futex], action: Allow}\n",
     INVALID_POLICY, 7,
     "spec.seccomp.groups[0]: \"futex\" is a syscall, not a group: list it under syscalls"},
    /* Not spelt against the groups: @setuid would allow far more than getuid. */
    {"a syscall with an @ among the groups",
     POLICY_HEAD "  seccomp: {groups: [\"@futex\"], action: Allow}\n", INVALID_POLICY, 7,
     "spec.seccomp.groups[0]: \"@futex\": futex is a syscall, not a group: list it under "
     "syscalls, without the @"},
    {"a misspelt syscall among the groups, no group near it",
     POLICY_HEAD "  seccomp: {groups: [ptrce], action: Allow}\n", INVALID_POLICY, 7,
     "spec.seccomp.groups[0]: unknown group \"ptrce\" (see kscmp groups); did you mean the "
     "syscall \"ptrace\"? It goes under syscalls"},
    {"a misspelt syscall with an @ among the groups",
     POLICY_HEAD "  seccomp: {groups: [\"@ptrce\"], action: Allow}\n", INVALID_POLICY, 7,
     "unknown group \"@ptrce\" (see kscmp groups); did you mean the syscall \"ptrace\"? It goes "
     "under syscalls, without the @"},
    {"a syscall near a group among the groups",
     POLICY_HEAD "  seccomp: {groups: [getuid], action: Allow}\n", INVALID_POLICY, 7,
     "spec.seccomp.groups[0]: \"getuid\" is a syscall, not a group: list it under syscalls"},
    {"a name in capitals that is no syscall: nothing suggested",
     POLICY_HEAD "  seccomp: {syscalls: [CAP_SYS_ADMIN], action: Allow}\n", INVALID_POLICY, 7,
     "spec.seccomp.syscalls[0]: \"CAP_SYS_ADMIN\" is not a syscall name (1 to 64 lower-case "
     "letters, digits and underscores)"},
    {"an operator as near two: the alias decides",
     POLICY_HEAD "  rules: [{syscalls: [personality], action: Allow, args: [{index: 0, value: 0, "
                 "op: NEQ}]}]\n",
     INVALID_POLICY, 7, "did you mean \"NE\"?"},
    {"a name of no group, no syscall's either",
     POLICY_HEAD "  seccomp: {groups: [\"no such group\"], action: Allow}\n", INVALID_POLICY, 7,
     "spec.seccomp.groups[0]: unknown group \"no such group\" (see kscmp groups)"},
    {"a group among the syscalls",
     POLICY_HEAD "  seccomp: {syscalls: [read, \"@mount\"], action: Allow}\n", INVALID_POLICY, 7,
     "spec.seccomp.syscalls[1]: \"@mount\" is a group, not a syscall: list it under groups"},
    {"a syscall name in capitals", POLICY_HEAD "  seccomp: {syscalls: [PTRACE], action: Allow}\n",
     INVALID_POLICY, 7,
     "spec.seccomp.syscalls[0]: \"PTRACE\" is not a syscall name (1 to 64 lower-case letters, "
     "digits and underscores); did you mean \"ptrace\"?"},
    {"a syscall name as C's constant",
     POLICY_HEAD "  seccomp: {syscalls: [SYS_open], action: Allow}\n", INVALID_POLICY, 7,
     "did you mean \"open\"?"},
    {"a syscall name with a dash and a space",
     POLICY_HEAD "  seccomp: {syscalls: [\"epoll-wait \"], action: Allow}\n", INVALID_POLICY, 7,
     "\"epoll-wait \" is not a syscall name (1 to 64 lower-case letters, digits and "
     "underscores); did you mean \"epoll_wait\"?"},
    {"a syscall name nothing mends",
     POLICY_HEAD "  seccomp: {syscalls: [\"a.b\"], action: Allow}\n", INVALID_POLICY, 7,
     "\"a.b\" is not a syscall name (1 to 64 lower-case letters, digits and underscores)"},
    {"errno misspelt", POLICY_HEAD "  rules: [{syscalls: [read], action: Block, errno: EACCESS}]\n",
     INVALID_POLICY, 7,
     "spec.rules[0].errno: unknown errno \"EACCESS\" (a name such as EPERM, or 1 to 4094); did "
     "you mean \"EACCES\"?"},
    {"an architecture by Go's name",
     POLICY_HEAD "  seccomp: {arch: [amd64], syscalls: [read], action: Allow}\n", INVALID_POLICY, 7,
     "unknown architecture \"amd64\" (x86_64, x86, x32, aarch64, arm, ... or SCMP_ARCH_*); did "
     "you mean \"x86_64\"?"},
    {"an architecture in capitals",
     POLICY_HEAD "  seccomp: {arch: [X86_64], syscalls: [read], action: Allow}\n", INVALID_POLICY,
     7, "did you mean \"x86_64\"?"},
    {"an action by OCI's short name", POLICY_HEAD "  seccomp: {syscalls: [read], action: Log}\n",
     INVALID_POLICY, 7,
     "unknown action \"Log\" (Allow, Audit, Block, Trap, Kill or SCMP_ACT_*); did you mean "
     "\"Audit\"?"},
    {"an action misspelt", POLICY_HEAD "  seccomp: {syscalls: [read], action: Alow}\n",
     INVALID_POLICY, 7, "did you mean \"Allow\"?"},
    {"an errno in the action",
     POLICY_HEAD "  seccomp: {syscalls: [read], action: \"SCMP_ACT_ERRNO(EPERM)\"}\n",
     INVALID_POLICY, 7,
     "write Block or SCMP_ACT_ERRNO, and the errno apart, in errno: (EPERM when it is left out)"},
    {"an errno in the default action",
     POLICY_HEAD "  defaultAction: \"SCMP_ACT_ERRNO(EACCES)\"\n  seccomp: {syscalls: [read], "
                 "action: Allow}\n",
     INVALID_POLICY, 7, "write Block or SCMP_ACT_ERRNO (a default Block returns EPERM)"},
    {"an operator as C writes it",
     POLICY_HEAD "  rules: [{syscalls: [personality], action: Allow, args: [{index: 0, value: 0, "
                 "op: \"==\"}]}]\n",
     INVALID_POLICY, 7,
     "unknown operator \"==\" (EQ, NE, LT, LE, GT, GE or MASKED_EQ); did you "
     "mean \"EQ\"?"},
    {"a label value YAML reads as a boolean",
     POLICY_HEAD "  selector: {matchLabels: {enabled: yes}}\n", INVALID_POLICY, 7,
     "spec.selector.matchLabels.enabled: must be a string, not a boolean (quote it: YAML reads an "
     "unquoted yes, no, on, off, true or false as a boolean)"},
    {"a label value YAML reads as a number", POLICY_HEAD "  selector: {matchLabels: {v: 2}}\n",
     INVALID_POLICY, 7,
     "spec.selector.matchLabels.v: must be a string, not a number (quote it: unquoted, YAML "
     "reads it as a number)"},
    {"extends with the policy's own namespace",
     POLICY_HEAD "  extends: demo/base\n  seccomp: {syscalls: [read], action: Allow}\n",
     INVALID_POLICY, 7,
     "spec.extends: \"demo/base\" is not a policy name, "
     "ClusterSeccompPolicy/NAME or runtime/default: a parent in the policy's "
     "own namespace is named alone, write \"base\""},
    {"extends with another namespace",
     POLICY_HEAD "  extends: prod/base\n  seccomp: {syscalls: [read], action: Allow}\n",
     INVALID_POLICY, 7,
     "a SeccompPolicy extends a policy of its own namespace (by its name "
     "alone), a ClusterSeccompPolicy or runtime/default"},
    {"extends runtime/default misspelt",
     POLICY_HEAD "  extends: runtime/defualt\n  seccomp: {syscalls: [read], action: Allow}\n",
     INVALID_POLICY, 7, "did you mean \"runtime/default\"?"},
    {"extends a cluster policy, its kind in lower case",
     POLICY_HEAD "  extends: clusterseccomppolicy/base\n  seccomp: {syscalls: [read], action: "
                 "Allow}\n",
     INVALID_POLICY, 7, "did you mean \"ClusterSeccompPolicy/base\"?"},
    {"action as a list",
     POLICY_HEAD "  seccomp:\n"
                 "    syscalls: [read]\n"
                 "    action: [Allow]\n",
     INVALID_POLICY, 9,
     "SeccompPolicy demo/web: spec.seccomp.action: must be Allow, Audit, Block, Trap, Kill or "
     "SCMP_ACT_*, not a list"},
    {"action missing",
     POLICY_HEAD "  seccomp:\n"
                 "    syscalls: [read]\n",
     INVALID_POLICY, 8, "SeccompPolicy demo/web: spec.seccomp.action: required"},
    {"action unknown: Permit",
     POLICY_HEAD "  rules:\n"
                 "  - syscalls: [read]\n"
                 "    action: Permit\n",
     INVALID_POLICY, 9,
     "SeccompPolicy demo/web: spec.rules[0].action: unknown action \"Permit\" (Allow, Audit, "
     "Block, Trap, Kill or SCMP_ACT_*)"},
    {"action unknown: lower case", POLICY_HEAD "  seccomp: {syscalls: [read], action: allow}\n",
     INVALID_POLICY, 7, "spec.seccomp.action: unknown action \"allow\""},
    {"action as a number", POLICY_HEAD "  seccomp: {syscalls: [read], action: 1}\n", INVALID_POLICY,
     7, "spec.seccomp.action: unknown action \"1\""},
    {"defaultAction unknown", POLICY_HEAD "  defaultAction: Deny\n", INVALID_POLICY, 7,
     "SeccompPolicy demo/web: spec.defaultAction: unknown action \"Deny\""},
    {"severity 11", POLICY_HEAD "  severity: 11\n", INVALID_POLICY, 7,
     "SeccompPolicy demo/web: spec.severity: must be a whole number from 1 to 10, not 11"},
    {"severity 0", POLICY_HEAD "  severity: 0\n", INVALID_POLICY, 7,
     "spec.severity: must be a whole number from 1 to 10, not 0"},
    {"severity as a string", POLICY_HEAD "  severity: \"5\"\n", INVALID_POLICY, 7,
     "spec.severity: must be a whole number, not the string \"5\""},
    {"severity negative", POLICY_HEAD "  severity: -1\n", INVALID_POLICY, 7,
     "spec.severity: must be a whole number from 1 to 10, not -1"},
    {"severity as a float", POLICY_HEAD "  severity: 2.5\n", INVALID_POLICY, 7,
     "spec.severity: must be a whole number, not 2.5"},
    {"errno with Allow",
     POLICY_HEAD "  seccomp:\n"
                 "    syscalls: [mkdir]\n"
                 "    action: Allow\n"
                 "    errno: EPERM\n",
     INVALID_POLICY, 10,
     "SeccompPolicy demo/web: spec.seccomp.errno: only a Block action takes an errno"},
    {"errno unknown name",
     POLICY_HEAD "  seccomp: {syscalls: [mkdir], action: Block, errno: EFOO}\n", INVALID_POLICY, 7,
     "SeccompPolicy demo/web: spec.seccomp.errno: unknown errno \"EFOO\" (a name such as EPERM, "
     "or 1 to 4094)"},
    {"errno 0", POLICY_HEAD "  seccomp: {syscalls: [mkdir], action: Block, errno: 0}\n",
     INVALID_POLICY, 7, "spec.seccomp.errno: unknown errno \"0\""},
    {"errno 4095 (libseccomp refuses it)",
     POLICY_HEAD "  seccomp: {syscalls: [mkdir], action: Block, errno: 4095}\n", INVALID_POLICY, 7,
     "spec.seccomp.errno: unknown errno \"4095\""},
    {"errno as a list", POLICY_HEAD "  seccomp: {syscalls: [mkdir], action: Block, errno: [1]}\n",
     INVALID_POLICY, 7,
     "spec.seccomp.errno: must be a name such as EPERM, or 1 to 4094, not a list"},
    {"arch unknown",
     POLICY_HEAD "  seccomp:\n"
                 "    arch: [x86_64, sparc]\n"
                 "    syscalls: [read]\n"
                 "    action: Allow\n",
     INVALID_POLICY, 8,
     "SeccompPolicy demo/web: spec.seccomp.arch[1]: unknown architecture \"sparc\""},
    {"arch as a string", POLICY_HEAD "  seccomp: {arch: x86_64, action: Allow}\n", INVALID_POLICY,
     7, "spec.seccomp.arch: must be a list, not a string"},
    {"arch as a mapping in a list", POLICY_HEAD "  seccomp: {arch: [{a: 1}], action: Allow}\n",
     INVALID_POLICY, 7, "spec.seccomp.arch[0]: must be x86_64"},
    /* ---- args ---- */
    {"args index as a string",
     POLICY_HEAD "  rules:\n"
                 "  - syscalls: [personality]\n"
                 "    action: Allow\n"
                 "    args:\n"
                 "    - index: \"0\"\n"
                 "      value: 0\n"
                 "      op: EQ\n",
     INVALID_POLICY, 11,
     "SeccompPolicy demo/web: spec.rules[0].args[0].index: must be a whole number, not the "
     "string \"0\""},
    {"args index 6",
     POLICY_HEAD "  rules:\n"
                 "  - syscalls: [personality]\n"
                 "    action: Allow\n"
                 "    args:\n"
                 "    - {index: 0, value: 0, op: EQ}\n"
                 "    - index: 6\n"
                 "      value: 0\n"
                 "      op: EQ\n",
     INVALID_POLICY, 12,
     "SeccompPolicy demo/web: spec.rules[0].args[1].index: index 6 is over 5 (a syscall has 6 "
     "arguments, 0 to 5)"},
    {"args index huge",
     POLICY_HEAD "  rules: [{syscalls: [x], action: Allow, args: [{index: 0x100000000, value: 0, "
                 "op: EQ}]}]\n",
     INVALID_POLICY, 7, "spec.rules[0].args[0].index: index 4294967296 is over 5"},
    {"args index duplicated",
     POLICY_HEAD "  rules:\n"
                 "  - syscalls: [personality]\n"
                 "    action: Allow\n"
                 "    args: [{index: 0, value: 1, op: EQ}, {index: 0, value: 2, op: EQ}]\n",
     INVALID_POLICY, 10,
     "SeccompPolicy demo/web: spec.rules[0].args[1].index: index 0 is used twice in one rule"},
    {"args index missing",
     POLICY_HEAD "  rules: [{syscalls: [x], action: Allow, args: [{value: 0, op: EQ}]}]\n",
     INVALID_POLICY, 7, "spec.rules[0].args[0].index: required"},
    {"args value negative",
     POLICY_HEAD
     "  rules: [{syscalls: [x], action: Allow, args: [{index: 1, value: -1, op: EQ}]}]\n",
     INVALID_POLICY, 7,
     "spec.rules[0].args[0].value: must be a whole number from 0 to 9223372036854775807, not -1"},
    {"args value over 64 bits",
     POLICY_HEAD "  rules: [{syscalls: [x], action: Allow, args: [{index: 1, value: "
                 "18446744073709551616, op: EQ}]}]\n",
     INVALID_POLICY, 7,
     "spec.rules[0].args[0].value: must be a whole number from 0 to 9223372036854775807, not "
     "18446744073709551616"},
    {"args value missing",
     POLICY_HEAD "  rules: [{syscalls: [x], action: Allow, args: [{index: 1, op: EQ}]}]\n",
     INVALID_POLICY, 7, "spec.rules[0].args[0].value: required"},
    {"args valueTwo as a bool",
     POLICY_HEAD "  rules: [{syscalls: [x], action: Allow, args: [{index: 1, value: 1, valueTwo: "
                 "true, op: MASKED_EQ}]}]\n",
     INVALID_POLICY, 7, "spec.rules[0].args[0].valueTwo: must be a whole number, not a boolean"},
    {"args op unknown",
     POLICY_HEAD "  rules:\n"
                 "  - syscalls: [personality]\n"
                 "    action: Allow\n"
                 "    args:\n"
                 "    - index: 0\n"
                 "      value: 0\n"
                 "      op: EQUALS\n",
     INVALID_POLICY, 13,
     "SeccompPolicy demo/web: spec.rules[0].args[0].op: unknown operator \"EQUALS\" (EQ, NE, LT, "
     "LE, GT, GE or MASKED_EQ)"},
    {"args op missing",
     POLICY_HEAD "  rules: [{syscalls: [x], action: Allow, args: [{index: 1, value: 1}]}]\n",
     INVALID_POLICY, 7, "spec.rules[0].args[0].op: required (EQ, NE, LT, LE, GT, GE, MASKED_EQ)"},
    {"args op as a mapping",
     POLICY_HEAD
     "  rules: [{syscalls: [x], action: Allow, args: [{index: 1, value: 1, op: {}}]}]\n",
     INVALID_POLICY, 7,
     "spec.rules[0].args[0].op: must be EQ, NE, LT, LE, GT, GE or MASKED_EQ, "
     "not a mapping"},
    {"args over 6",
     POLICY_HEAD "  rules: [{syscalls: [x], action: Allow, args: [{index: 0, value: 0, op: EQ}, "
                 "{index: 1, value: 0, op: EQ}, {index: 2, value: 0, op: EQ}, {index: 3, value: "
                 "0, op: EQ}, {index: 4, value: 0, op: EQ}, {index: 5, value: 0, op: EQ}, {index: "
                 "5, value: 1, op: EQ}]}]\n",
     INVALID_POLICY, 7, "spec.rules[0].args: at most 6 conditions, one per argument"},
    {"args as a mapping",
     POLICY_HEAD "  rules: [{syscalls: [x], action: Allow, args: {index: 0}}]\n", INVALID_POLICY, 7,
     "spec.rules[0].args: must be a list, not a mapping"},
    {"an arg as a list", POLICY_HEAD "  rules: [{syscalls: [x], action: Allow, args: [[0]]}]\n",
     INVALID_POLICY, 7, "spec.rules[0].args[0]: must be a mapping, not a list"},
    /* ---- unknown fields ---- */
    {"unknown field in spec", POLICY_HEAD "  severity: 1\n  sevrity: 2\n", INVALID_POLICY, 8,
     "SeccompPolicy demo/web: spec.sevrity: unknown field; did you mean \"severity\"?"},
    {"unknown field in spec.seccomp",
     POLICY_HEAD "  seccomp:\n"
                 "    syscall: [read]\n"
                 "    action: Allow\n",
     INVALID_POLICY, 8,
     "SeccompPolicy demo/web: spec.seccomp.syscall: unknown field; did you mean \"syscalls\"?"},
    {"unknown field in spec.rules[1]",
     POLICY_HEAD "  rules:\n"
                 "  - {syscalls: [read], action: Allow}\n"
                 "  - sycalls: [write]\n"
                 "    action: Allow\n",
     INVALID_POLICY, 9,
     "SeccompPolicy demo/web: spec.rules[1].sycalls: unknown field; did you mean "
     "\"syscalls\"?"},
    {"unknown field in spec.rules[0].args[0]",
     POLICY_HEAD "  rules:\n"
                 "  - syscalls: [personality]\n"
                 "    action: Allow\n"
                 "    args:\n"
                 "    - index: 0\n"
                 "      value: 0\n"
                 "      op: EQ\n"
                 "      value2: 1\n",
     INVALID_POLICY, 14, "SeccompPolicy demo/web: spec.rules[0].args[0].value2: unknown field"},
    {"unknown field in spec.selector",
     POLICY_HEAD "  selector:\n"
                 "    matchLabel: {app: web}\n",
     INVALID_POLICY, 8,
     "SeccompPolicy demo/web: spec.selector.matchLabel: unknown field; did you mean "
     "\"matchLabels\"?"},
    {"unknown field in a matchExpression",
     POLICY_HEAD "  selector:\n"
                 "    matchExpressions:\n"
                 "    - {key: tier, operator: In, value: [fe]}\n",
     INVALID_POLICY, 9,
     "spec.selector.matchExpressions[0].value: unknown field; did you mean \"values\"?"},
    {"unknown top-level field",
     POLICY_HEAD "  seccomp: {syscalls: [read], action: Allow}\n"
                 "extra: 1\n",
     INVALID_POLICY, 8, "SeccompPolicy demo/web: extra: unknown field"},
    /* The key's line, not its block value's (which starts on the next). */
    {"unknown field with a block value",
     POLICY_HEAD "  seccomp:\n"
                 "    syscals:\n"
                 "    - read\n"
                 "    action: Allow\n",
     INVALID_POLICY, 8,
     "SeccompPolicy demo/web: spec.seccomp.syscals: unknown field; did you mean \"syscalls\"?"},
    /* A field of a mapping above, indented as one of this one: said so. */
    {"a field of spec under selector",
     POLICY_HEAD "  selector:\n"
                 "    matchLabels: {app: web}\n"
                 "    defaultAction: Block\n",
     INVALID_POLICY, 9,
     "spec.selector.defaultAction: unknown field; defaultAction is a field of spec: indented "
     "too far?"},
    {"a field of a rule under its condition",
     POLICY_HEAD "  rules:\n"
                 "  - syscalls: [personality]\n"
                 "    action: Allow\n"
                 "    args:\n"
                 "    - {index: 0, value: 0, op: EQ, errno: EPERM}\n",
     INVALID_POLICY, 11,
     "spec.rules[0].args[0].errno: unknown field; errno is a field of spec.rules[0]: indented "
     "too far?"},
    {"spec under metadata",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: web\n  namespace: demo\n"
     "  spec:\n    seccomp: {syscalls: [read], action: Allow}\n",
     INVALID_POLICY, 6,
     "metadata.spec: unknown field; spec is a field of the object itself: indented too far?"},
    {"unknown top-level field with a block value",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: web, namespace: demo}\n"
     "sepc:\n  seccomp: {syscalls: [read], action: Allow}\n",
     INVALID_POLICY, 4, "SeccompPolicy demo/web: sepc: unknown field; did you mean \"spec\"?"},
    /* ---- shape ---- */
    {"spec missing",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: {name: web, namespace: demo}\n",
     INVALID_POLICY, 1, "SeccompPolicy demo/web: spec: required"},
    {"spec empty", POLICY_HEAD, INVALID_POLICY, 6,
     "SeccompPolicy demo/web: spec: must be a mapping, not null"},
    {"spec as a list", POLICY_HEAD "- a\n", INVALID_POLICY, 7,
     "spec: must be a mapping, not a list"},
    {"rules as a mapping", POLICY_HEAD "  rules: {syscalls: [read], action: Allow}\n",
     INVALID_POLICY, 7, "spec.rules: must be a list, not a mapping"},
    {"a rule as a string", POLICY_HEAD "  rules: [read]\n", INVALID_POLICY, 7,
     "spec.rules[0]: must be a mapping, not a string"},
    {"seccomp as a list", POLICY_HEAD "  seccomp: [read]\n", INVALID_POLICY, 7,
     "spec.seccomp: must be a mapping, not a list"},
    {"selector as a list", POLICY_HEAD "  selector: [app]\n", INVALID_POLICY, 7,
     "spec.selector: must be a mapping, not a list"},
    {"matchLabels value as a number", POLICY_HEAD "  selector: {matchLabels: {tier: 1}}\n",
     INVALID_POLICY, 7, "spec.selector.matchLabels.tier: must be a string, not a number"},
    /* ---- selectors ---- */
    {"matchExpressions with a bad operator",
     POLICY_HEAD "  selector:\n"
                 "    matchExpressions:\n"
                 "    - key: tier\n"
                 "      operator: in\n"
                 "      values: [fe]\n",
     INVALID_POLICY, 10,
     "SeccompPolicy demo/web: spec.selector.matchExpressions[0].operator: unknown operator \"in\" "
     "(In, NotIn, Exists, DoesNotExist)"},
    {"matchExpressions without an operator",
     POLICY_HEAD "  selector: {matchExpressions: [{key: tier, values: [fe]}]}\n", INVALID_POLICY, 7,
     "spec.selector.matchExpressions[0].operator: required"},
    {"matchExpressions In without values",
     POLICY_HEAD "  selector:\n"
                 "    matchExpressions:\n"
                 "    - {key: tier, operator: In}\n",
     INVALID_POLICY, 9,
     "SeccompPolicy demo/web: spec.selector.matchExpressions[0].values: must not be empty for In "
     "and NotIn"},
    {"matchExpressions NotIn with empty values",
     POLICY_HEAD "  selector: {matchExpressions: [{key: tier, operator: NotIn, values: []}]}\n",
     INVALID_POLICY, 7,
     "spec.selector.matchExpressions[0].values: must not be empty for In and "
     "NotIn"},
    {"matchExpressions Exists with values",
     POLICY_HEAD "  selector:\n"
                 "    matchExpressions:\n"
                 "    - key: tier\n"
                 "      operator: Exists\n"
                 "      values: [fe]\n",
     INVALID_POLICY, 11,
     "SeccompPolicy demo/web: spec.selector.matchExpressions[0].values: must be empty for Exists "
     "and DoesNotExist"},
    {"matchExpressions without a key",
     POLICY_HEAD "  selector: {matchExpressions: [{operator: Exists}]}\n", INVALID_POLICY, 7,
     "spec.selector.matchExpressions[0].key: required"},
    {"matchExpressions values as a string",
     POLICY_HEAD "  selector: {matchExpressions: [{key: a, operator: In, values: fe}]}\n",
     INVALID_POLICY, 7, "spec.selector.matchExpressions[0].values: must be a list, not a string"},
    {"matchExpressions value as a number",
     POLICY_HEAD "  selector: {matchExpressions: [{key: a, operator: In, values: [1]}]}\n",
     INVALID_POLICY, 7, "spec.selector.matchExpressions[0].values[0]: must be a string"},
    {"namespaceSelector on a namespaced policy",
     POLICY_HEAD "  selector: {}\n"
                 "  namespaceSelector: {matchLabels: {env: prod}}\n",
     INVALID_POLICY, 8,
     "SeccompPolicy demo/web: spec.namespaceSelector: only a ClusterSeccompPolicy has one"},
    {"namespaceSelector on a KubeArmorSeccompPolicy",
     "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorSeccompPolicy\nmetadata: {name: ka}\n"
     "spec:\n  namespaceSelector: {}\n",
     INVALID_POLICY, 5,
     "KubeArmorSeccompPolicy default/ka: spec.namespaceSelector: only a ClusterSeccompPolicy has "
     "one"},
    {"namespaceSelector with a bad operator",
     "apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: base}\nspec:\n"
     "  namespaceSelector:\n    matchExpressions: [{key: env, operator: Has}]\n",
     INVALID_POLICY, 6,
     "ClusterSeccompPolicy base: spec.namespaceSelector.matchExpressions[0].operator: unknown "
     "operator \"Has\""},
    /* ---- extends ---- */
    {"extends another namespace", POLICY_HEAD "  extends: other/base\n", INVALID_POLICY, 7,
     "SeccompPolicy demo/web: spec.extends: \"other/base\" is not a policy name, "
     "ClusterSeccompPolicy/NAME or runtime/default"},
    {"extends a path", POLICY_HEAD "  extends: ../base\n", INVALID_POLICY, 7,
     "spec.extends: \"../base\" is not a policy name"},
    {"extends an unknown runtime profile", POLICY_HEAD "  extends: runtime/unconfined\n",
     INVALID_POLICY, 7, "spec.extends: \"runtime/unconfined\" is not a policy name"},
    {"a ClusterSeccompPolicy extends a bare name",
     "apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata: {name: c}\nspec:\n"
     "  extends: base\n",
     INVALID_POLICY, 5,
     "ClusterSeccompPolicy c: spec.extends: \"base\": a ClusterSeccompPolicy extends "
     "ClusterSeccompPolicy/NAME or runtime/default"},
    {"extends ClusterSeccompPolicy/ without a name",
     POLICY_HEAD "  extends: ClusterSeccompPolicy/\n", INVALID_POLICY, 7,
     "spec.extends: \"ClusterSeccompPolicy/\" is not a policy name"},
    {"extends ClusterSeccompPolicy/ with a bad name",
     POLICY_HEAD "  extends: ClusterSeccompPolicy/Base\n", INVALID_POLICY, 7,
     "spec.extends: \"ClusterSeccompPolicy/Base\" is not a policy name"},
    {"extends upper case", POLICY_HEAD "  extends: Base\n", INVALID_POLICY, 7,
     "spec.extends: \"Base\" is not a policy name"},
    {"extends as a list", POLICY_HEAD "  extends: [base]\n", INVALID_POLICY, 7,
     "spec.extends: must be a string, not a list"},
    {"extends empty", POLICY_HEAD "  extends: \"\"\n", INVALID_POLICY, 7,
     "spec.extends: \"\" is not a policy name"},
    /* ---- identity: no readable identity, so refused ---- */
    {"metadata missing", "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nspec: {}\n", REFUSED, 1,
     "SeccompPolicy: metadata: required"},
    {"metadata misspelt",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetdata: {name: web, namespace: demo}\n"
     "spec: {}\n",
     REFUSED, 3,
     "SeccompPolicy: metdata: unknown field (and metadata, which is required, is "
     "missing)"},
    {"metadata.name missing",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  namespace: demo\nspec: {}\n",
     REFUSED, 4, "SeccompPolicy: metadata.name: required"},
    {"metadata.name as a number",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: 42\nspec: {}\n", REFUSED, 4,
     "SeccompPolicy: metadata.name: must be a string, not a number"},
    {"metadata.name with a slash",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: demo/web\nspec: {}\n",
     REFUSED, 4, "SeccompPolicy: metadata.name: \"demo/web\" is not a DNS-1123 subdomain"},
    {"metadata.name ..",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: ..\nspec: {}\n", REFUSED, 4,
     "SeccompPolicy: metadata.name: \"..\" is not a DNS-1123 subdomain"},
    {"metadata.name with ..",
     "apiVersion: kscmp.io/v1\nkind: ClusterSeccompPolicy\nmetadata:\n  name: a..b\nspec: {}\n",
     REFUSED, 4, "ClusterSeccompPolicy: metadata.name: \"a..b\" is not a DNS-1123 subdomain"},
    {"metadata.name upper case",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: Web\nspec: {}\n", REFUSED, 4,
     "SeccompPolicy: metadata.name: \"Web\" is not a DNS-1123 subdomain"},
    {"metadata.name starts with a dash",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: -web\nspec: {}\n", REFUSED,
     4, "\"-web\" is not a DNS-1123 subdomain"},
    {"metadata.name empty",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: \"\"\nspec: {}\n", REFUSED,
     4, "\"\" is not a DNS-1123 subdomain"},
    {"metadata.name over 253 characters",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nspec: {}\n",
     REFUSED, 4, "SeccompPolicy: metadata.name: \"aaaa"},
    {"metadata as a list", "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata: [web]\n",
     REFUSED, 3, "SeccompPolicy: metadata: must be a mapping, not a list"},
    {"namespace upper case",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: web\n  namespace: Demo\n"
     "spec: {}\n",
     REFUSED, 5, "SeccompPolicy: metadata.namespace: \"Demo\" is not a DNS-1123 label"},
    {"namespace with a dot",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: web\n  namespace: a.b\n"
     "spec: {}\n",
     REFUSED, 5, "metadata.namespace: \"a.b\" is not a DNS-1123 label"},
    {"namespace ..",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: web\n  namespace: ..\n"
     "spec: {}\n",
     REFUSED, 5, "metadata.namespace: \"..\" is not a DNS-1123 label"},
    {"namespace over 63 characters",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: web\n  namespace: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nspec: {}\n",
     REFUSED, 5, "is not a DNS-1123 label"},
    {"namespace as a list",
     "apiVersion: kscmp.io/v1\nkind: SeccompPolicy\nmetadata:\n  name: web\n  namespace: [a]\n"
     "spec: {}\n",
     REFUSED, 5, "SeccompPolicy: metadata.namespace: must be a string, not a list"},
    /* ---- apiVersion and kind ---- */
    {"apiVersion mismatch", "apiVersion: kscmp.io/v2\nkind: SeccompPolicy\nmetadata: {name: web}\n",
     REFUSED, 1,
     "SeccompPolicy default/web: apiVersion: \"kscmp.io/v2\" is not an apiVersion kscmp reads for "
     "SeccompPolicy (it reads kscmp.io/v1)"},
    {"apiVersion of the other group",
     "apiVersion: kscmp.io/v1\nkind: KubeArmorSeccompPolicy\nmetadata: {name: web}\n", REFUSED, 1,
     "KubeArmorSeccompPolicy default/web: apiVersion: \"kscmp.io/v1\" is not an apiVersion kscmp "
     "reads for "
     "KubeArmorSeccompPolicy (it reads security.kubearmor.com/v1)"},
    {"a ClusterSeccompPolicy of a beta version",
     "apiVersion: kscmp.io/v1beta1\nkind: ClusterSeccompPolicy\nmetadata: {name: web}\n", REFUSED,
     1,
     "ClusterSeccompPolicy web: apiVersion: \"kscmp.io/v1beta1\" is not an apiVersion kscmp reads "
     "for ClusterSeccompPolicy (it reads kscmp.io/v1)"},
    {"a kind kscmp.io does not have (a typo)",
     "apiVersion: kscmp.io/v1\nkind: SecompPolicy\nmetadata: {name: web}\n", REFUSED, 2,
     "SecompPolicy default/web: kind: unknown kind \"SecompPolicy\" in apiVersion kscmp.io/v1 "
     "(kscmp.io/v1 "
     "has "
     "SeccompPolicy, "
     "ClusterSeccompPolicy and SeccompRecording)"},
    {"a kind kscmp.io does not have, in a namespace",
     "apiVersion: kscmp.io/v1\nkind: SecompPolicy\nmetadata: {name: web, namespace: demo}\n",
     REFUSED, 2, "SecompPolicy demo/web: kind: unknown kind \"SecompPolicy\""},
    {"a cluster-scoped kind kscmp.io does not have",
     "apiVersion: kscmp.io/v1\nkind: ClusterSecompPolicy\nmetadata: {name: web}\n", REFUSED, 2,
     "ClusterSecompPolicy web: kind: unknown kind \"ClusterSecompPolicy\""},
    {"a KubeArmor kind one letter off KubeArmorSeccompPolicy",
     "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorSeccompPolicyy\nmetadata: {name: "
     "web}\n",
     REFUSED, 2,
     "KubeArmorSeccompPolicyy default/web: kind: unknown kind \"KubeArmorSeccompPolicyy\" in "
     "apiVersion "
     "security.kubearmor.com/v1 "
     "(kscmp reads KubeArmorSeccompPolicy of security.kubearmor.com/v1; KubeArmor's other kinds "
     "are not seccomp policies and are left alone)"},
    {"a KubeArmor kind with a letter missing (no \"seccomp\" in it)",
     "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorSecompPolicy\nmetadata: {name: web}\n",
     REFUSED, 2, "kind: unknown kind \"KubeArmorSecompPolicy\""},
    {"a KubeArmor kind in the wrong case",
     "apiVersion: security.kubearmor.com/v1\nkind: kubearmorseccomppolicy\nmetadata: {name: web}\n",
     REFUSED, 2, "kind: unknown kind \"kubearmorseccomppolicy\""},
    {"a KubeArmor kind that names seccomp otherwise",
     "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorSeccompProfile\nmetadata: {name: "
     "web}\n",
     REFUSED, 2,
     "kind: unknown kind \"KubeArmorSeccompProfile\" in apiVersion security.kubearmor.com/v1"},
    {"a kind kscmp.io does not have, another version",
     "apiVersion: kscmp.io/v2\nkind: Policy\nmetadata: {name: web}\n", REFUSED, 2,
     "kind: unknown kind \"Policy\" in apiVersion kscmp.io/v2"},
    /* Both apiVersion and kind misspelled: one of them near one of ours is enough. */
    {"both misspelled: kscmp.oi/v1 and SecompPolicy",
     "apiVersion: kscmp.oi/v1\nkind: SecompPolicy\nmetadata: {name: web, namespace: demo}\n",
     REFUSED, 1,
     "SecompPolicy demo/web: apiVersion: \"kscmp.oi/v1\" with kind \"SecompPolicy\" is not an "
     "object kscmp reads, but looks like a misspelled SeccompPolicy of kscmp.io/v1 (a typo must "
     "not be silent)"},
    {"both misspelled: a ClusterSeccompPolicy",
     "apiVersion: kscmp.io.v1\nkind: ClusterSeccompPolicyy\nmetadata: {name: web}\n", REFUSED, 1,
     "ClusterSeccompPolicyy web: apiVersion: \"kscmp.io.v1\" with kind \"ClusterSeccompPolicyy\" "
     "is not an object kscmp reads, but looks like a misspelled ClusterSeccompPolicy of "
     "kscmp.io/v1"},
    {"both misspelled: a group 2 edits from kscmp.io, a kind that names seccomp",
     "apiVersion: kscmp.com/v1\nkind: SeccompPolicies\nmetadata: {name: web}\n", REFUSED, 1,
     "looks like a misspelled SeccompPolicy of kscmp.io/v1"},
    {"both misspelled: a KubeArmor group and kind",
     "apiVersion: security.kubearmor.io/v1\nkind: KubeArmorSecompPolicy\nmetadata: {name: web}\n",
     REFUSED, 1, "looks like a misspelled KubeArmorSeccompPolicy of security.kubearmor.com/v1"},
    {"both misspelled: a kind 2 edits from SeccompPolicy in a foreign group",
     "apiVersion: example.com/v1\nkind: SecompPolicyy\nmetadata: {name: web}\n", REFUSED, 1,
     "looks like a misspelled SeccompPolicy of kscmp.io/v1"},
    {"a kind near SeccompPolicy with a Kubernetes core version",
     "apiVersion: v1\nkind: SeccomPolicy\nmetadata: {name: web}\n", REFUSED, 1,
     "apiVersion: \"v1\" with kind \"SeccomPolicy\" is not an object kscmp reads"},
    {"a recording, both misspelled",
     "apiVersion: kscmp.oi/v1\nkind: SeccompRecordin\nmetadata: {name: r}\n", REFUSED, 1,
     "looks like a misspelled SeccompRecording of kscmp.io/v1"},
    {"a policy kind with a Kubernetes core version",
     "apiVersion: v1\nkind: SeccompPolicy\nmetadata: {name: web}\n", REFUSED, 1,
     "apiVersion: \"v1\" is not an apiVersion kscmp reads for SeccompPolicy"},
    {"apiVersion missing", "kind: SeccompPolicy\nmetadata: {name: web}\n", REFUSED, 1,
     "apiVersion: required"},
    {"kind missing", "apiVersion: kscmp.io/v1\nmetadata: {name: web}\n", REFUSED, 1,
     "kind: required"},
    {"kind as a number", "apiVersion: v1\nkind: 1\n", REFUSED, 2,
     "kind: must be a string, not a number"},
    {"apiVersion as a list", "apiVersion: [v1]\nkind: Pod\n", REFUSED, 1,
     "apiVersion: must be a string, not a list"},
    {"a document that is a list", "- a\n- b\n", REFUSED, 1,
     "a manifest must be a mapping, not a list"},
    {"a document that is a string", "--- hello\n", REFUSED, 1,
     "a manifest must be a mapping, not a string"},
    /* ---- List ---- */
    {"List with items as a mapping", "apiVersion: v1\nkind: List\nitems:\n  a: 1\n", REFUSED, 4,
     "List: items: must be a list, not a mapping"},
    {"List with an item that is a string", "apiVersion: v1\nkind: List\nitems:\n- hello\n", REFUSED,
     4, "a manifest must be a mapping, not a string"},
    {"List with an invalid policy",
     "apiVersion: v1\n"
     "kind: List\n"
     "items:\n"
     "- apiVersion: kscmp.io/v1\n"
     "  kind: SeccompPolicy\n"
     "  metadata: {name: web, namespace: demo}\n"
     "  spec:\n"
     "    seccomp: {syscalls: [read], action: Permit}\n",
     INVALID_POLICY, 8, "SeccompPolicy demo/web: spec.seccomp.action: unknown action \"Permit\""},
    {"a key and its value without a space after the colon (flow)",
     POLICY_HEAD "  seccomp: {syscalls: [read], action:Allow}\n", INVALID_POLICY, 7,
     "SeccompPolicy demo/web: spec.seccomp.action:Allow: unknown field; a colon needs a space "
     "after it (\"action: Allow\")"},
    {"a key and its value without a space after the colon (in a rule)",
     POLICY_HEAD "  rules:\n  - {syscalls: [read], action: Block, errno:EPERM}\n", INVALID_POLICY,
     8,
     "SeccompPolicy demo/web: spec.rules[0].errno:EPERM: unknown field; a colon needs a space "
     "after it (\"errno: EPERM\")"},
    /* ---- Pods and Namespaces ---- */
    {"Pod: Localhost without localhostProfile",
     POD_HEAD "  containers:\n"
              "  - name: main\n"
              "    securityContext:\n"
              "      seccompProfile:\n"
              "        type: Localhost\n",
     REFUSED, 11,
     "Pod demo/p: spec.containers[0].securityContext.seccompProfile.localhostProfile: required "
     "when type is Localhost"},
    {"Pod: pod-level Localhost without localhostProfile",
     POD_HEAD "  securityContext:\n"
              "    seccompProfile: {type: Localhost}\n"
              "  containers: [{name: main}]\n",
     REFUSED, 8,
     "Pod demo/p: spec.securityContext.seccompProfile.localhostProfile: required when type is "
     "Localhost"},
    {"Pod: localhostProfile as a number",
     POD_HEAD "  initContainers:\n"
              "  - name: init\n"
              "    securityContext:\n"
              "      seccompProfile: {type: Localhost, localhostProfile: 7}\n",
     REFUSED, 10,
     "Pod demo/p: spec.initContainers[0].securityContext.seccompProfile.localhostProfile: must be "
     "a string, not a number"},
    {"Pod: seccompProfile without a type",
     POD_HEAD "  ephemeralContainers:\n"
              "  - name: debug\n"
              "    securityContext:\n"
              "      seccompProfile: {localhostProfile: kscmp/demo/x.json}\n",
     REFUSED, 10,
     "Pod demo/p: spec.ephemeralContainers[0].securityContext.seccompProfile.type: "
     "required (Localhost, RuntimeDefault, Unconfined)"},
    {"Pod: type in the wrong case at the pod level",
     POD_HEAD "  securityContext:\n"
              "    seccompProfile: {type: localhost, localhostProfile: kscmp/demo/p.json}\n"
              "  containers: [{name: a}]\n",
     REFUSED, 8,
     "Pod demo/p: spec.securityContext.seccompProfile.type: unknown type \"localhost\" "
     "(Localhost, RuntimeDefault or Unconfined); did you mean \"Localhost\"?"},
    {"Pod: type misspelt in a container",
     POD_HEAD "  containers:\n"
              "  - name: a\n"
              "    securityContext:\n"
              "      seccompProfile:\n"
              "        type: RuntimDefault\n",
     REFUSED, 11,
     "Pod demo/p: spec.containers[0].securityContext.seccompProfile.type: unknown type "
     "\"RuntimDefault\" (Localhost, RuntimeDefault or Unconfined); did you mean "
     "\"RuntimeDefault\"?"},
    {"Pod: a type near none",
     POD_HEAD "  containers: [{name: a, securityContext: {seccompProfile: {type: Custom}}}]\n",
     REFUSED, 7,
     "Pod demo/p: spec.containers[0].securityContext.seccompProfile.type: unknown type "
     "\"Custom\" (Localhost, RuntimeDefault or Unconfined)"},
    {"Pod: localhostProfile misspelt next to type Localhost",
     POD_HEAD "  containers:\n"
              "  - name: main\n"
              "    securityContext:\n"
              "      seccompProfile:\n"
              "        type: Localhost\n"
              "        localHostProfile: kscmp/demo/p.json\n",
     REFUSED, 12,
     "Pod demo/p: spec.containers[0].securityContext.seccompProfile.localHostProfile: unknown "
     "field; did you mean \"localhostProfile\"? (required when type is Localhost)"},
    {"Pod: pod-level localhostProfile misspelt",
     POD_HEAD "  securityContext:\n"
              "    seccompProfile: {type: Localhost, localhostProfil: kscmp/demo/p.json}\n",
     REFUSED, 8,
     "Pod demo/p: spec.securityContext.seccompProfile.localhostProfil: unknown field; did you "
     "mean \"localhostProfile\"?"},
    {"Pod: seccompProfile as a string",
     POD_HEAD "  containers: [{name: a, securityContext: {seccompProfile: Localhost}}]\n", REFUSED,
     7, "Pod demo/p: spec.containers[0].securityContext.seccompProfile: must be a mapping"},
    {"Pod: allowPrivilegeEscalation as a string",
     POD_HEAD "  containers:\n"
              "  - name: main\n"
              "    securityContext: {allowPrivilegeEscalation: \"false\"}\n",
     REFUSED, 9,
     "Pod demo/p: spec.containers[0].securityContext.allowPrivilegeEscalation: want true or "
     "false, not a string"},
    {"Pod: allowPrivilegeEscalation: \"no\" (quoted: a string)",
     POD_HEAD "  initContainers:\n"
              "  - name: init\n"
              "    securityContext:\n"
              "      allowPrivilegeEscalation: \"no\"\n",
     REFUSED, 10,
     "Pod demo/p: spec.initContainers[0].securityContext.allowPrivilegeEscalation: want true or "
     "false, not a string"},
    {"Pod: allowPrivilegeEscalation as a number",
     POD_HEAD "  containers: [{name: a}]\n"
              "  ephemeralContainers:\n"
              "  - {name: dbg, securityContext: {allowPrivilegeEscalation: 0}}\n",
     REFUSED, 9,
     "Pod demo/p: spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation: want "
     "true or false, not a number"},
    {"Pod: allowPrivilegeEscalation as a list",
     POD_HEAD "  containers:\n"
              "  - {name: a, securityContext: {allowPrivilegeEscalation: [false]}}\n",
     REFUSED, 8,
     "Pod demo/p: spec.containers[0].securityContext.allowPrivilegeEscalation: want true or "
     "false, not a list"},
    {"Pod: allowPrivilegeEscalation as a mapping",
     POD_HEAD "  containers:\n"
              "  - name: a\n"
              "  - name: b\n"
              "    securityContext:\n"
              "      allowPrivilegeEscalation: {value: false}\n",
     REFUSED, 11,
     "Pod demo/p: spec.containers[1].securityContext.allowPrivilegeEscalation: want true or "
     "false, not a mapping"},
    {"Pod: containers as a mapping", POD_HEAD "  containers: {name: main}\n", REFUSED, 7,
     "Pod demo/p: spec.containers: must be a list, not a mapping"},
    {"Pod: spec missing", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: demo}\n",
     REFUSED, 1, "Pod demo/p: spec: required"},
    {"Pod: name with a slash",
     "apiVersion: v1\nkind: Pod\nmetadata: {name: a/b, namespace: demo}\nspec: {}\n", REFUSED, 3,
     "Pod: metadata.name: \"a/b\" is not a DNS-1123 subdomain"},
    {"Pod: label value as a list",
     "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app: [web]\nspec: {}\n",
     REFUSED, 6, "Pod default/p: metadata.labels.app: must be a string, not a list"},
    {"Namespace: name is a subdomain, not a label",
     "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a.b\n", REFUSED, 4,
     "Namespace a.b: metadata.name: \"a.b\" is not a DNS-1123 label"},
    {"Namespace: name missing", "apiVersion: v1\nkind: Namespace\nmetadata: {labels: {}}\n",
     REFUSED, 3, "Namespace: metadata.name: required"},
    {"Namespace: labels as a list",
     "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels: [env]\n", REFUSED, 5,
     "Namespace prod: metadata.labels: must be a mapping, not a list"},
};

/* Reports one case's failure and goes on, so that one run shows every broken case. */
#define CASE_FAIL(...)                                                                             \
    do {                                                                                           \
        print_error(__VA_ARGS__);                                                                  \
        failures++;                                                                                \
        goto next;                                                                                 \
    } while (0)

static void test_bad_input(void **state)
{
    size_t failures = 0;
    for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct decoded d;
        decode_text(c->text, &d);
        const char *msg = NULL;
        if (c->outcome == INVALID_POLICY) {
            if (d.r < 0)
                CASE_FAIL("%s: refused (%s), want an invalid policy\n", c->name, d.err.msg);
            if (d.n != 1 || d.objs[0].type != OBJ_POLICY || !d.objs[0].policy->error)
                CASE_FAIL("%s: %zu objects, want one invalid policy\n", c->name, d.n);
            const struct policy *p = d.objs[0].policy;
            if (!p->name || (p->kind != PK_CLUSTER && !p->ns))
                CASE_FAIL("%s: an invalid policy without its identity\n", c->name);
            msg = p->error;
        } else {
            if (d.r != -EINVAL || d.err.code != -EINVAL)
                CASE_FAIL("%s: %d (err.code %d), want -EINVAL; %zu objects\n", c->name, d.r,
                          d.err.code, d.n);
            msg = d.err.msg;
        }
        char where[64];
        snprintf(where, sizeof(where), FILE_NAME ":%d: ", c->line);
        if (strncmp(msg, where, strlen(where)) != 0 || !strstr(msg, c->want))
            CASE_FAIL("%s:\n  message \"%s\"\n  wants   \"%s...%s\"\n", c->name, msg, where,
                      c->want);
        if (strchr(msg, '\n'))
            CASE_FAIL("%s: the message spans lines\n", c->name);
    next:
        decoded_free(&d);
    }
    if (failures)
        fail_msg("%zu of %zu cases failed", failures, ELEMENTSOF(bad_cases));
}

/* Objects from the API server come as JSON with file "": the message has no location but
 * still names the object and the field. */
static void test_api_object_messages(void **state)
{
    static const struct {
        const char *json;
        enum outcome outcome;
        const char *want;
    } cases[] = {
        {"{\"apiVersion\":\"kscmp.io/"
         "v1\",\"kind\":\"SeccompPolicy\",\"metadata\":{\"name\":\"web\","
         "\"namespace\":\"demo\"},\"spec\":{\"rules\":[{\"syscalls\":[\"personality\"],\"action\":"
         "\"Allow\",\"args\":[{\"index\":\"0\",\"value\":0,\"op\":\"EQ\"}]}]}}",
         INVALID_POLICY,
         "SeccompPolicy demo/web: spec.rules[0].args[0].index: must be a whole number, not the "
         "string \"0\""},
        {"{\"apiVersion\":\"kscmp.io/v1\",\"kind\":\"ClusterSeccompPolicy\",\"metadata\":{\"name\":"
         "\"base\"},\"spec\":{\"severity\":1.5}}",
         INVALID_POLICY,
         "ClusterSeccompPolicy base: spec.severity: must be a whole number, not 1.5"},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"d\"}"
         ","
         "\"spec\":{\"containers\":[{\"name\":\"c\",\"securityContext\":{\"seccompProfile\":{"
         "\"type\":\"Localhost\"}}}]}}",
         REFUSED,
         "Pod d/p: spec.containers[0].securityContext.seccompProfile.localhostProfile: required"},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        json_error_t jerr;
        json_t *j = json_loads(cases[i].json, 0, &jerr);
        if (!j)
            fail_msg("case %zu: bad JSON in the test: %s", i, jerr.text);
        struct ynode *doc = NULL;
        struct kerr err = {0};
        assert_int_equal(ydoc_from_json(j, &doc, &err), 0);
        json_decref(j);
        struct object o;
        int r = decode_object(doc, "", &o, &err);
        const char *msg = NULL;
        if (cases[i].outcome == INVALID_POLICY) {
            assert_int_equal(r, 0);
            assert_int_equal(o.type, OBJ_POLICY);
            assert_non_null(o.policy->error);
            msg = o.policy->error;
        } else {
            assert_int_equal(r, -EINVAL);
            assert_int_equal(o.type, OBJ_NONE);
            msg = err.msg;
        }
        if (strncmp(msg, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: message \"%s\"\n  does not start with \"%s\"", i, msg,
                     cases[i].want);
        object_clear(&o);
        ynode_free(doc);
    }
}

/* ---- well-formed policies ---------------------------------------------------------------- */

static void test_full_policy(void **state)
{
    struct decoded d;
    struct object *o = decode_one("apiVersion: kscmp.io/v1\n"                             /* 1 */
                                  "kind: SeccompPolicy\n"                                 /* 2 */
                                  "metadata:\n"                                           /* 3 */
                                  "  name: web\n"                                         /* 4 */
                                  "  namespace: demo\n"                                   /* 5 */
                                  "  uid: 0b1c\n"                                         /* 6 */
                                  "  resourceVersion: \"812\"\n"                          /* 7 */
                                  "  generation: 4\n"                                     /* 8 */
                                  "spec:\n"                                               /* 9 */
                                  "  severity: 10\n"                                      /* 10 */
                                  "  selector:\n"                                         /* 11 */
                                  "    matchLabels: {app: web}\n"                         /* 12 */
                                  "    matchExpressions:\n"                               /* 13 */
                                  "    - {key: tier, operator: NotIn, values: [db, x]}\n" /* 14 */
                                  "    - {key: canary, operator: DoesNotExist}\n"         /* 15 */
                                  "  extends: ClusterSeccompPolicy/base\n"                /* 16 */
                                  "  defaultAction: SCMP_ACT_LOG\n"                       /* 17 */
                                  "  seccomp:\n"                                          /* 18 */
                                  "    arch: [x86_64, SCMP_ARCH_X86]\n"                   /* 19 */
                                  "    syscalls: [read, write]\n"                         /* 20 */
                                  "    groups: [\"@basic-io\", dns]\n"                    /* 21 */
                                  "    action: Block\n"                                   /* 22 */
                                  "    errno: EACCES\n"                                   /* 23 */
                                  "  rules:\n"                                            /* 24 */
                                  "  - syscalls:\n"                                       /* 25 */
                                  "    - personality\n"                                   /* 26 */
                                  "    action: Allow\n"                                   /* 27 */
                                  "    args:\n"                                           /* 28 */
                                  "    - {index: 0, value: 0xffffffff, op: MASKED_EQ,"
                                  " valueTwo: 0o17}\n"                                     /* 29 */
                                  "    - {index: 5, value: 9223372036854775807, op: NE}\n" /* 30 */
                                  "  - {syscalls: [kill], action: Kill}\n"                 /* 31 */
                                  "  - {syscalls: [mkdir], action: Block, errno: 38}\n"    /* 32 */
                                  "status: {message: ignored}\n",
                                  &d, OBJ_POLICY);
    const struct policy *p = o->policy;
    assert_null(p->error);
    assert_int_equal(p->kind, PK_POLICY);
    assert_string_equal(p->ns, "demo");
    assert_string_equal(p->name, "web");
    assert_string_equal(p->file, FILE_NAME);
    assert_int_equal(p->line, 1);
    assert_string_equal(p->uid, "0b1c");
    assert_string_equal(p->resource_version, "812");
    assert_int_equal(p->generation, 4);
    assert_int_equal(p->severity, 10);
    assert_true(p->selector.present);
    assert_int_equal(p->selector.match.n, 1);
    assert_string_equal(labels_get(&p->selector.match, "app"), "web");
    assert_int_equal(p->selector.nexprs, 2);
    assert_int_equal(p->selector.exprs[0].op, SEL_NOT_IN);
    assert_int_equal(p->selector.exprs[0].nvalues, 2);
    assert_string_equal(p->selector.exprs[0].values[1], "x");
    assert_int_equal(p->selector.exprs[1].op, SEL_DOES_NOT_EXIST);
    assert_false(p->ns_selector.present);
    assert_string_equal(p->extends, "ClusterSeccompPolicy/base");
    assert_int_equal(p->extends_line, 16);
    assert_true(p->has_default);
    assert_int_equal(p->default_verdict.action, ACT_LOG);

    assert_int_equal(p->nblocks, 4);
    const struct block *b = &p->blocks[0];
    assert_string_equal(b->path, "spec.seccomp");
    assert_int_equal(b->line, 19);
    assert_int_equal(b->arches, (1u << arch_parse("x86_64")) | (1u << arch_parse("x86")));
    assert_int_equal(b->nsyscalls, 2);
    assert_string_equal(b->syscalls[1].name, "write");
    assert_int_equal(b->syscalls[1].line, 20);
    assert_int_equal(b->ngroups, 2);
    assert_string_equal(b->groups[0].name, "@basic-io");
    assert_int_equal(b->verdict.action, ACT_ERRNO);
    assert_int_equal(b->verdict.errno_ret, EACCES);

    b = &p->blocks[1];
    assert_string_equal(b->path, "spec.rules[0]");
    assert_int_equal(b->line, 25);
    assert_int_equal(b->arches, 0);
    assert_int_equal(b->syscalls[0].line, 26);
    assert_int_equal(b->verdict.action, ACT_ALLOW);
    assert_int_equal(b->nargs, 2);
    assert_int_equal(b->args[0].index, 0);
    assert_int_equal(b->args[0].op, OP_MASKED_EQ);
    assert_int_equal(b->args[0].value, 0xffffffffu);
    assert_int_equal(b->args[0].value_two, 017);
    assert_int_equal(b->args[1].index, 5);
    assert_int_equal(b->args[1].op, OP_NE);
    assert_true(b->args[1].value == INT64_MAX);

    assert_string_equal(p->blocks[2].path, "spec.rules[1]");
    assert_int_equal(p->blocks[2].verdict.action, ACT_KILL_PROCESS);
    assert_string_equal(p->blocks[3].path, "spec.rules[2]");
    assert_int_equal(p->blocks[3].verdict.action, ACT_ERRNO);
    assert_int_equal(p->blocks[3].verdict.errno_ret, 38);

    /* One allocation (tens of thousands are kept): every string and array lies inside it. */
    assert_true(p->packed);
    const char *lo = (const char *)p, *hi = lo + malloc_usable_size((void *)p);
#define INSIDE(ptr, len) assert_true((const char *)(ptr) >= lo && (const char *)(ptr) + (len) <= hi)
    INSIDE(p->ns, 5);
    INSIDE(p->name, 4);
    INSIDE(p->file, strlen(FILE_NAME) + 1);
    INSIDE(p->uid, 5);
    INSIDE(p->resource_version, 4);
    INSIDE(p->extends, strlen(p->extends) + 1);
    INSIDE(p->selector.match.v, sizeof(struct label));
    INSIDE(p->selector.match.v[0].key, 4);
    INSIDE(p->selector.exprs, 2 * sizeof(struct sel_expr));
    INSIDE(p->selector.exprs[0].values, 2 * sizeof(char *));
    INSIDE(p->selector.exprs[0].values[1], 2);
    INSIDE(p->blocks, 4 * sizeof(struct block));
    INSIDE(p->blocks[0].syscalls, 2 * sizeof(struct name_ref));
    INSIDE(p->blocks[0].syscalls[1].name, 6);
    INSIDE(p->blocks[0].groups[0].name, 10);
    INSIDE(p->blocks[1].args, 2 * sizeof(struct sys_arg));
#undef INSIDE

    /* A deep copy of a packed policy's selector (the engine keeps the selectors of a
     * policy's last good version so): equal, and its own. */
    struct selector copy = {0};
    assert_int_equal(selector_copy(&p->selector, &copy), 0);
    assert_true(copy.present);
    assert_string_equal(labels_get(&copy.match, "app"), "web");
    assert_int_equal(copy.nexprs, 2);
    assert_string_equal(copy.exprs[0].key, "tier");
    assert_int_equal(copy.exprs[0].op, SEL_NOT_IN);
    assert_string_equal(copy.exprs[0].values[1], "x");
    assert_true(copy.exprs[0].values[1] != p->selector.exprs[0].values[1]);
    struct labels l = {.v = &(struct label){.key = "app", .value = "web"}, .n = 1};
    assert_int_equal(selector_matches(&copy, &l), selector_matches(&p->selector, &l));
    selector_free(&copy);
    decoded_free(&d);
}

/* The three kinds, their scopes and spellings; Block defaults to EPERM; nulls are omissions. */
static void test_policy_kinds(void **state)
{
    struct decoded d;
    decode_text("apiVersion: kscmp.io/v1\n"
                "kind: ClusterSeccompPolicy\n"
                "metadata: {name: base, namespace: ignored}\n"
                "spec:\n"
                "  selector: {}\n"
                "  namespaceSelector: {matchExpressions: [{key: env, operator: Exists}]}\n"
                "  seccomp: {syscalls: [ptrace], action: Block}\n"
                "---\n"
                "apiVersion: security.kubearmor.com/v1\n"
                "kind: KubeArmorSeccompPolicy\n"
                "metadata: {name: ka}\n"
                "spec:\n"
                "  severity: 1\n"
                "  message: kubearmor fields are accepted\n"
                "  tags: [a]\n"
                "  selector: {matchLabels: {app: x}}\n"
                "  seccomp: {syscalls: [accept4], action: Audit}\n"
                "---\n"
                "apiVersion: kscmp.io/v1\n"
                "kind: SeccompPolicy\n"
                "metadata: {name: empty, namespace: demo}\n"
                "spec: {selector: null, extends: runtime/default, seccomp: {action: Allow, "
                "syscalls: null, args: null}}\n"
                "---\n"
                "apiVersion: apps/v1\n"
                "kind: Deployment\n"
                "metadata: {name: ignored}\n",
                &d);
    assert_int_equal(d.r, 0);
    assert_int_equal(d.n, 4);

    const struct policy *c = d.objs[0].policy;
    assert_int_equal(d.objs[0].type, OBJ_POLICY);
    assert_int_equal(c->kind, PK_CLUSTER);
    assert_null(c->ns);
    assert_true(c->selector.present);
    assert_int_equal(c->selector.match.n, 0);
    assert_true(c->ns_selector.present);
    assert_int_equal(c->ns_selector.exprs[0].op, SEL_EXISTS);
    assert_int_equal(c->blocks[0].verdict.action, ACT_ERRNO);
    assert_int_equal(c->blocks[0].verdict.errno_ret, EPERM);

    const struct policy *k = d.objs[1].policy;
    assert_int_equal(k->kind, PK_KUBEARMOR);
    assert_string_equal(k->ns, "default");
    assert_int_equal(k->line, 9);
    assert_int_equal(k->blocks[0].verdict.action, ACT_LOG);

    const struct policy *e = d.objs[2].policy;
    assert_null(e->error);
    assert_false(e->selector.present);
    assert_string_equal(e->extends, "runtime/default");
    assert_int_equal(e->nblocks, 1);
    assert_int_equal(e->blocks[0].nsyscalls, 0);
    assert_int_equal(e->blocks[0].nargs, 0);

    assert_int_equal(d.objs[3].type, OBJ_NONE);
    decoded_free(&d);
}

/* Kinds kscmp does not load are skipped without a word, a SeccompRecording too (the agent
 * reads it elsewhere), and foreign kinds whose names are near ours. */
static void test_other_kinds_skipped(void **state)
{
    struct decoded d;
    decode_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n---\n"
        "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: "
        "k}\n---\n"
        "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorHostPolicy\nmetadata: {name: "
        "h}\n---\n"
        "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorClusterPolicy\nmetadata: "
        "{name: c}\n---\n"
        "apiVersion: kscmp.io/v1\nkind: SeccompRecording\nmetadata: {name: r, namespace: "
        "demo}\nspec: {policy: web}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
        /* Foreign kinds near ours are not taken for a double typo. */
        "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
        "metadata: {name: s}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\n---\n"
        "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: ClusterNetworkPolicy\n"
        "metadata: {name: n}\n---\n"
        "apiVersion: networking.istio.io/v1\nkind: SecurityPolicy\nmetadata: {name: n}\n---\n"
        /* A group near KubeArmor's, with a KubeArmor kind that is not a seccomp policy. */
        "apiVersion: security.kubearmor.io/v1\nkind: KubeArmorPolicy\nmetadata: {name: k}\n---\n"
        /* A group near kscmp.io whose kind is nothing like ours. */
        "apiVersion: kcp.io/v1\nkind: Workspace\nmetadata: {name: w}\n",
        &d);
    assert_int_equal(d.r, 0);
    assert_int_equal(d.n, 12);
    for (size_t i = 0; i < d.n; i++)
        assert_int_equal(d.objs[i].type, OBJ_NONE);
    decoded_free(&d);
}

/* A List is opened up (nested ones too); objects keep their own lines. */
static void test_list(void **state)
{
    struct decoded d;
    decode_text("apiVersion: v1\n"
                "kind: List\n"
                "items:\n"
                "- apiVersion: v1\n"
                "  kind: Namespace\n"
                "  metadata: {name: prod, labels: {env: prod}}\n"
                "- apiVersion: v1\n"
                "  kind: List\n"
                "  items:\n"
                "  - apiVersion: kscmp.io/v1\n" /* 10 */
                "    kind: SeccompPolicy\n"
                "    metadata: {name: web, namespace: prod}\n"
                "    spec: {seccomp: {syscalls: [read], action: Allow}}\n"
                "- apiVersion: v1\n"
                "  kind: ConfigMap\n"
                "  metadata: {name: x}\n"
                "---\n"
                "apiVersion: v1\n"
                "kind: List\n"
                "items: []\n"
                "---\n"
                "apiVersion: v1\n"
                "kind: List\n"
                "items: null\n",
                &d);
    assert_int_equal(d.r, 0);
    assert_int_equal(d.n, 4); /* the Namespace, the policy, the ConfigMap, the null-items List */
    assert_int_equal(d.objs[0].type, OBJ_NAMESPACE);
    assert_string_equal(d.objs[0].ns->name, "prod");
    assert_string_equal(labels_get(&d.objs[0].ns->labels, "env"), "prod");
    assert_int_equal(d.objs[1].type, OBJ_POLICY);
    assert_int_equal(d.objs[1].policy->line, 10);
    assert_string_equal(d.objs[1].policy->ns, "prod");
    assert_int_equal(d.objs[2].type, OBJ_NONE);
    assert_int_equal(d.objs[3].type, OBJ_NONE);
    decoded_free(&d);
}

/* ---- Pods: which references are in effect ------------------------------------------------ */

struct pod_case {
    const char *name;
    const char *spec; /* below POD_HEAD */
    const char *refs[4];
};

#define LH(ref) "{seccompProfile: {type: Localhost, localhostProfile: " ref "}}"

static const struct pod_case pod_cases[] = {
    {"pod level only",
     "  securityContext: " LH("kscmp/demo/pod.json") "\n"
                                                     "  containers: [{name: a}, {name: b}]\n",
     {"kscmp/demo/pod.json"}},
    {"every container overrides the pod",
     "  securityContext: " LH(
         "kscmp/demo/pod.json") "\n"
                                "  containers:\n"
                                "  - {name: a, securityContext: " LH(
                                    "kscmp/demo/a.json") "}\n"
                                                         "  - {name: b, securityContext: "
                                                         "{seccompProfile: {type: "
                                                         "RuntimeDefault}}}\n",
     {"kscmp/demo/a.json"}},
    {"one container without its own setting keeps the pod's",
     "  securityContext: " LH("kscmp/demo/pod.json") "\n"
                                                     "  containers:\n"
                                                     "  - {name: a, securityContext: " LH(
                                                         "kscmp/demo/a.json") "}\n"
                                                                              "  - {name: b}\n",
     {"kscmp/demo/a.json", "kscmp/demo/pod.json"}},
    {"a securityContext without seccompProfile keeps the pod's",
     "  securityContext: " LH(
         "kscmp/demo/pod.json") "\n"
                                "  containers:\n"
                                "  - {name: a, securityContext: {runAsUser: 1000}}\n",
     {"kscmp/demo/pod.json"}},
    {"seccompProfile: null keeps the pod's",
     "  securityContext: " LH(
         "kscmp/demo/pod.json") "\n"
                                "  containers:\n"
                                "  - {name: a, securityContext: {seccompProfile: null}}\n",
     {"kscmp/demo/pod.json"}},
    {"Unconfined in the only container drops the pod's",
     "  securityContext: " LH("kscmp/demo/pod.json") "\n"
                                                     "  containers:\n"
                                                     "  - {name: a, securityContext: "
                                                     "{seccompProfile: {type: Unconfined}}}\n",
     {NULL}},
    {"an init container without a setting keeps the pod's",
     "  securityContext: " LH("kscmp/demo/pod.json") "\n"
                                                     "  initContainers: [{name: init}]\n"
                                                     "  containers:\n"
                                                     "  - {name: a, securityContext: " LH(
                                                         "kscmp/demo/a.json") "}\n",
     {"kscmp/demo/a.json", "kscmp/demo/pod.json"}},
    {"init and ephemeral containers' own references count",
     "  initContainers:\n"
     "  - {name: init, securityContext: " LH(
         "kscmp/demo/init.json") "}\n"
                                 "  containers:\n"
                                 "  - {name: a}\n"
                                 "  ephemeralContainers:\n"
                                 "  - {name: dbg, securityContext: " LH(
                                     "kscmp/demo/dbg.json") "}\n",
     {"kscmp/demo/dbg.json", "kscmp/demo/init.json"}},
    {"an ephemeral container without a setting keeps the pod's",
     "  securityContext: " LH("kscmp/demo/pod.json") "\n"
                                                     "  containers: [{name: a, securityContext: "
                                                     "{seccompProfile: {type: RuntimeDefault}}}]\n"
                                                     "  ephemeralContainers: [{name: dbg}]\n",
     {"kscmp/demo/pod.json"}},
    {"the same reference twice is one",
     "  containers:\n"
     "  - {name: a, securityContext: " LH("kscmp/demo/a.json") "}\n"
                                                               "  - {name: b, securityContext: " LH(
                                                                   "kscmp/demo/a.json") "}\n",
     {"kscmp/demo/a.json"}},
    {"a pod without containers keeps its own",
     "  securityContext: " LH("kscmp/demo/pod.json") "\n",
     {"kscmp/demo/pod.json"}},
    {"RuntimeDefault at the pod level is no reference",
     "  securityContext: {seccompProfile: {type: RuntimeDefault}}\n"
     "  containers: [{name: a}]\n",
     {NULL}},
    {"references that are not ours are kept (the engine refuses them)",
     "  containers:\n"
     "  - {name: a, securityContext: " LH("profiles/x.json") "}\n"
                                                             "  - {name: b, securityContext: " LH(
                                                                 "kscmp/other/y.json") "}\n",
     {"kscmp/other/y.json", "profiles/x.json"}},
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_pod_refs(void **state)
{
    for (size_t i = 0; i < ELEMENTSOF(pod_cases); i++) {
        const struct pod_case *c = &pod_cases[i];
        char text[2048];
        snprintf(text, sizeof(text), POD_HEAD "%s", c->spec);
        struct decoded d;
        struct object *o = decode_one(text, &d, OBJ_POD);
        struct pod *p = o->pod;
        size_t want = 0;
        while (want < ELEMENTSOF(c->refs) && c->refs[want])
            want++;
        if (p->nrefs > 1)
            qsort(p->refs, p->nrefs, sizeof(*p->refs), cmp_str);
        bool same = p->nrefs == want;
        for (size_t j = 0; same && j < want; j++)
            same = strcmp(p->refs[j], c->refs[j]) == 0;
        if (!same) {
            char got[512] = "";
            for (size_t j = 0; j < p->nrefs; j++)
                snprintf(got + strlen(got), sizeof(got) - strlen(got), " %s", p->refs[j]);
            fail_msg("%s: refs [%s ], want %zu", c->name, got, want);
        }
        decoded_free(&d);
    }
}

/* ---- Pods: which references run with no_new_privs (allowPrivilegeEscalation: false) ----- */

struct nnp_case {
    const char *name;
    const char *spec; /* below POD_HEAD */
    const char *ref;  /* the reference checked */
    bool nnp;         /* every container using it sets allowPrivilegeEscalation: false */
};

#define APE(v) "allowPrivilegeEscalation: " v
#define OWN(ref, ape) "{seccompProfile: {type: Localhost, localhostProfile: " ref "}, " ape "}"

static const struct nnp_case nnp_cases[] = {
    {"unset: the container may gain privileges",
     "  containers:\n  - {name: a, securityContext: " LH("kscmp/demo/a.json") "}\n",
     "kscmp/demo/a.json", false},
    {"false on the container that uses it",
     "  containers:\n  - {name: a, securityContext: " OWN("kscmp/demo/a.json", APE("false")) "}\n",
     "kscmp/demo/a.json", true},
    {"true",
     "  containers:\n  - {name: a, securityContext: " OWN("kscmp/demo/a.json", APE("true")) "}\n",
     "kscmp/demo/a.json", false},
    {"null counts as unset",
     "  containers:\n  - {name: a, securityContext: " OWN("kscmp/demo/a.json", APE("null")) "}\n",
     "kscmp/demo/a.json", false},
    {"YAML's False is false",
     "  containers:\n  - {name: a, securityContext: " OWN("kscmp/demo/a.json", APE("False")) "}\n",
     "kscmp/demo/a.json", true},
    {"two containers share it, one may gain privileges",
     "  containers:\n"
     "  - {name: a, securityContext: " OWN("kscmp/demo/a.json",
                                           APE("false")) "}\n"
                                                         "  - {name: b, securityContext: " LH(
                                                             "kscmp/demo/a.json") "}\n",
     "kscmp/demo/a.json", false},
    {"a container that does not use it does not count",
     "  containers:\n"
     "  - {name: a, securityContext: " OWN("kscmp/demo/a.json", APE("false")) "}\n"
                                                                              "  - {name: b}\n",
     "kscmp/demo/a.json", true},
    {"pod level: every container without its own profile sets false",
     "  securityContext: " LH(
         "kscmp/demo/pod.json") "\n"
                                "  initContainers: [{name: i, securityContext: {" APE(
                                    "false") "}}]\n"
                                             "  containers: [{name: a, securityContext: {" APE(
                                                 "false") "}}]\n"
                                                          "  ephemeralContainers: [{name: d, "
                                                          "securityContext: {" APE("false") "}}]\n",
     "kscmp/demo/pod.json", true},
    {"pod level: an init container may gain privileges",
     "  securityContext: " LH(
         "kscmp/demo/pod.json") "\n"
                                "  initContainers: [{name: i}]\n"
                                "  containers: [{name: a, securityContext: {" APE("false") "}}]\n",
     "kscmp/demo/pod.json", false},
    {"pod level: an ephemeral container may gain privileges",
     "  securityContext: " LH(
         "kscmp/demo/pod.json") "\n"
                                "  containers: [{name: a, securityContext: {" APE(
                                    "false") "}}]\n"
                                             "  ephemeralContainers: [{name: d, securityContext: "
                                             "{" APE("true") "}}]\n",
     "kscmp/demo/pod.json", false},
    {"pod level: a container with its own profile does not count",
     "  securityContext: " LH(
         "kscmp/demo/pod.json") "\n"
                                "  containers:\n"
                                "  - {name: a, securityContext: {" APE(
                                    "false") "}}\n"
                                             "  - {name: b, securityContext: " LH(
                                                 "kscmp/demo/b.json") "}\n",
     "kscmp/demo/pod.json", true},
    {"pod level without containers: may gain privileges",
     "  securityContext: " LH("kscmp/demo/pod.json") "\n", "kscmp/demo/pod.json", false},
};

static void test_pod_no_new_privs(void **state)
{
    for (size_t i = 0; i < ELEMENTSOF(nnp_cases); i++) {
        const struct nnp_case *c = &nnp_cases[i];
        char text[2048];
        snprintf(text, sizeof(text), POD_HEAD "%s", c->spec);
        struct decoded d;
        struct object *o = decode_one(text, &d, OBJ_POD);
        const struct pod *p = o->pod;
        size_t k = 0;
        while (k < p->nrefs && strcmp(p->refs[k], c->ref) != 0)
            k++;
        if (k == p->nrefs)
            fail_msg("%s: no reference %s", c->name, c->ref);
        if (p->refs_nnp[k] != c->nnp)
            fail_msg("%s: no_new_privs %d, want %d", c->name, p->refs_nnp[k], c->nnp);
        decoded_free(&d);
    }
}

static void test_pod_fields(void **state)
{
    struct decoded d;
    struct object *o = decode_one("apiVersion: v1\n"
                                  "kind: Pod\n"
                                  "metadata:\n"
                                  "  name: p\n"
                                  "  uid: 1234\n"
                                  "  labels: {app: web, tier: fe}\n"
                                  "spec:\n"
                                  "  nodeName: node-1\n"
                                  "  containers: [{name: c}]\n",
                                  &d, OBJ_POD);
    const struct pod *p = o->pod;
    assert_string_equal(p->ns, "default");
    assert_string_equal(p->name, "p");
    assert_string_equal(p->uid, "1234");
    assert_string_equal(p->node_name, "node-1");
    assert_string_equal(p->file, FILE_NAME);
    assert_int_equal(p->line, 1);
    assert_int_equal(p->labels.n, 2);
    assert_string_equal(labels_get(&p->labels, "tier"), "fe");
    assert_int_equal(p->nrefs, 0);
    assert_int_equal(p->ncontainers, 0);
    decoded_free(&d);
}

/* status.*containerStatuses: every named container, with when its running state started. */
static void test_container_states(void **state)
{
    static const struct {
        const char *started;
        int64_t want;
    } times[] = {
        {"\"2026-11-23T10:00:00Z\"", 1795428000},
        {"2026-11-23T10:00:00Z", 1795428000}, /* plain: still a string */
        {"\"2026-11-23T10:00:00.123456Z\"", 1795428000},
        {"\"2026-11-23T12:00:00+02:00\"", 1795428000},
        {"\"2026-11-23T05:30:00-04:30\"", 1795428000},
        {"\"1970-01-01T00:00:01Z\"", 1},
        {"\"2026-11-23T10:00:00\"", 0},       /* no zone */
        {"\"2026-11-23T10:00:00+0200\"", 0},  /* not RFC 3339 */
        {"\"2026-11-23T10:00:00Zjunk\"", 0},  /* trailing junk */
        {"\"2026-11-23 10:00:00Z\"", 0},      /* no T */
        {"\"yesterday\"", 0},                 /* unreadable */
        {"\"\"", 0},                          /* empty */
        {"1795428000", 0},                    /* a number is not a time */
        {"\"1969-12-31T23:59:59Z\"", 0},      /* before the epoch */
        {"\"2026-11-23T10:00:00+25:00\"", 0}, /* no such offset */
    };
    for (size_t i = 0; i < ELEMENTSOF(times); i++) {
        char text[1024];
        snprintf(text, sizeof(text),
                 POD_HEAD "  containers: [{name: main}]\n"
                          "status:\n"
                          "  containerStatuses:\n"
                          "  - name: main\n"
                          "    state:\n"
                          "      running:\n"
                          "        startedAt: %s\n",
                 times[i].started);
        struct decoded d;
        struct object *o = decode_one(text, &d, OBJ_POD);
        assert_int_equal(o->pod->ncontainers, 1);
        assert_string_equal(o->pod->containers[0].name, "main");
        if (o->pod->containers[0].started_at != times[i].want)
            fail_msg("startedAt %s: %lld, want %lld", times[i].started,
                     (long long)o->pod->containers[0].started_at, (long long)times[i].want);
        decoded_free(&d);
    }

    /* Init, regular and ephemeral statuses; not running means 0; nameless ones are skipped. */
    struct decoded d;
    struct object *o = decode_one(
        POD_HEAD "  containers: [{name: a}]\n"
                 "status:\n"
                 "  initContainerStatuses:\n"
                 "  - {name: init, state: {terminated: {exitCode: 0}}}\n"
                 "  containerStatuses:\n"
                 "  - {name: a, state: {running: {startedAt: \"2026-01-01T00:00:00Z\"}}}\n"
                 "  - {name: b, state: {waiting: {reason: ContainerCreating}}}\n"
                 "  - {state: {running: {startedAt: \"2026-01-01T00:00:00Z\"}}}\n"
                 "  - just a string\n"
                 "  ephemeralContainerStatuses:\n"
                 "  - {name: dbg, state: {running: {startedAt: \"2026-01-02T00:00:00Z\"}}}\n",
        &d, OBJ_POD);
    const struct pod *p = o->pod;
    assert_int_equal(p->ncontainers, 4);
    assert_string_equal(p->containers[0].name, "init");
    assert_int_equal(p->containers[0].started_at, 0);
    assert_string_equal(p->containers[1].name, "a");
    assert_int_equal(p->containers[1].started_at, 1767225600);
    assert_string_equal(p->containers[2].name, "b");
    assert_int_equal(p->containers[2].started_at, 0);
    assert_string_equal(p->containers[3].name, "dbg");
    assert_int_equal(p->containers[3].started_at, 1767312000);
    decoded_free(&d);
}

/* Each running container knows which of the pod's references it runs under: its own, the
 * pod-level one when it sets none, or none (another type, or no status entry in the spec). */
/* A Pod from the API server has passed its check of seccompProfile.type (which refuses an
 * unknown one): it is read as before, a type other than Localhost giving no reference. */
static void test_api_pod_type_unchecked(void **state)
{
    json_error_t jerr;
    json_t *j = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
                           "\"p\",\"namespace\":\"d\"},\"spec\":{\"containers\":[{\"name\":"
                           "\"c\",\"securityContext\":{\"seccompProfile\":{\"type\":"
                           "\"localhost\"}}}]}}",
                           0, &jerr);
    assert_non_null(j);
    struct ynode *doc = NULL;
    struct kerr err = {0};
    assert_int_equal(ydoc_from_json(j, &doc, &err), 0);
    json_decref(j);
    struct object o;
    assert_int_equal(decode_object(doc, "", &o, &err), 0);
    assert_int_equal(o.type, OBJ_POD);
    assert_int_equal(o.pod->nrefs, 0);
    object_clear(&o);
    ynode_free(doc);
}

/* Each reference keeps the line of its localhostProfile, the first one where it is used twice
 * (for the CLI's messages about references that are not kscmp's). */
static void test_pod_ref_lines(void **state)
{
    struct decoded d;
    struct object *o =
        decode_one(POD_HEAD "  securityContext:\n"                    /* 7 */
                            "    seccompProfile:\n"                   /* 8 */
                            "      type: Localhost\n"                 /* 9 */
                            "      localhostProfile: p.json\n"        /* 10 */
                            "  containers:\n"                         /* 11 */
                            "  - name: a\n"                           /* 12 */
                            "  - name: b\n"                           /* 13 */
                            "    securityContext:\n"                  /* 14 */
                            "      seccompProfile:\n"                 /* 15 */
                            "        type: Localhost\n"               /* 16 */
                            "        localhostProfile: demo/b.json\n" /* 17 */
                            "  - {name: c, securityContext: " LH("demo/b.json") "}\n",
                   &d, OBJ_POD);
    const struct pod *p = o->pod;
    assert_int_equal(p->nrefs, 2);
    assert_non_null(p->refs_line);
    for (size_t i = 0; i < p->nrefs; i++)
        assert_int_equal(p->refs_line[i], strcmp(p->refs[i], "p.json") == 0 ? 10 : 17);
    decoded_free(&d);
}

static void test_container_refs(void **state)
{
    struct decoded d;
    struct object *o = decode_one(
        POD_HEAD
        "  securityContext: {seccompProfile: {type: Localhost, localhostProfile: "
        "kscmp/demo/p.json}}\n"
        "  initContainers:\n"
        "  - {name: init, securityContext: {seccompProfile: {type: Localhost, localhostProfile: "
        "kscmp/demo/i.json}}}\n"
        "  containers:\n"
        "  - {name: a}\n"
        "  - {name: b, securityContext: {seccompProfile: {type: RuntimeDefault}}}\n"
        "  - {name: c, securityContext: {seccompProfile: {type: Localhost, localhostProfile: "
        "kscmp/demo/i.json}}}\n"
        "  ephemeralContainers:\n"
        "  - {name: dbg, securityContext: {allowPrivilegeEscalation: false}}\n"
        "status:\n"
        "  initContainerStatuses:\n"
        "  - {name: init, state: {running: {startedAt: \"2026-01-01T00:00:00Z\"}}}\n"
        "  containerStatuses:\n"
        "  - {name: c, state: {running: {startedAt: \"2026-01-01T00:00:00Z\"}}}\n"
        "  - {name: b, state: {running: {startedAt: \"2026-01-01T00:00:00Z\"}}}\n"
        "  - {name: a, state: {running: {startedAt: \"2026-01-01T00:00:00Z\"}}}\n"
        "  - {name: ghost, state: {running: {startedAt: \"2026-01-01T00:00:00Z\"}}}\n"
        "  ephemeralContainerStatuses:\n"
        "  - {name: dbg, state: {running: {startedAt: \"2026-01-02T00:00:00Z\"}}}\n",
        &d, OBJ_POD);
    const struct pod *p = o->pod;
    assert_int_equal(p->nrefs, 2);
    assert_string_equal(p->refs[0], "kscmp/demo/i.json");
    assert_string_equal(p->refs[1], "kscmp/demo/p.json");
    static const struct {
        const char *name;
        int ref;
    } want[] = {{"init", 0}, {"c", 0}, {"b", -1}, {"a", 1}, {"ghost", -1}, {"dbg", 1}};
    assert_int_equal(p->ncontainers, ELEMENTSOF(want));
    for (size_t i = 0; i < ELEMENTSOF(want); i++) {
        assert_string_equal(p->containers[i].name, want[i].name);
        if (p->containers[i].ref != want[i].ref)
            fail_msg("container %s: reference %d, want %d", want[i].name, p->containers[i].ref,
                     want[i].ref);
    }
    decoded_free(&d);

    /* No pod-level reference: a container without its own runs under none of kscmp's. */
    o = decode_one(POD_HEAD
                   "  containers: [{name: a}]\n"
                   "status:\n"
                   "  containerStatuses:\n"
                   "  - {name: a, state: {running: {startedAt: \"2026-01-01T00:00:00Z\"}}}\n",
                   &d, OBJ_POD);
    assert_int_equal(o->pod->nrefs, 0);
    assert_int_equal(o->pod->containers[0].ref, -1);
    decoded_free(&d);
}

/* decode_documents stops at the first error of its callback, and hands it back. */
static int refuse_second(struct object *o, void *userdata)
{
    int *calls = userdata;
    object_clear(o);
    return ++*calls == 2 ? -ECANCELED : 0;
}

static void test_callback_error_stops(void **state)
{
    const char *text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n"
                       "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n---\n"
                       "apiVersion: v1\nkind: Namespace\nmetadata: {name: c}\n";
    struct ynode **docs = NULL;
    size_t n = 0;
    struct kerr err = {0};
    assert_int_equal(ydoc_parse_yaml(text, strlen(text), FILE_NAME, &docs, &n, &err), 0);
    int calls = 0;
    assert_int_equal(decode_documents(docs, n, FILE_NAME, refuse_second, &calls, &err), -ECANCELED);
    assert_int_equal(calls, 2);
    ydoc_free_all(docs, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_api_object_messages),
        cmocka_unit_test(test_full_policy),
        cmocka_unit_test(test_policy_kinds),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_other_kinds_skipped),
        cmocka_unit_test(test_pod_refs),
        cmocka_unit_test(test_pod_no_new_privs),
        cmocka_unit_test(test_pod_fields),
        cmocka_unit_test(test_container_states),
        cmocka_unit_test(test_container_refs),
        cmocka_unit_test(test_callback_error_stops),
        cmocka_unit_test(test_api_pod_type_unchecked),
        cmocka_unit_test(test_pod_ref_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
