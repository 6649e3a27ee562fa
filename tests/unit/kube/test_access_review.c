/* test_access_review.c - the rights a standby agent asks the API server for
 * (SelfSubjectAccessReviews): which ones each set of flags needs, the review's body, how an
 * answer is read, how a right is named; and the copy of the agent's configuration its check
 * runs on. Sending them is tests/fakeapi's (test_29*). */
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
#include "kube/access_review.h"
#include "kube/kubeconfig.h"

/* The rights of n, each as its text with its namespace and name ("patch nodes (core) -/node-a"),
 * one a line. */
static char *rights_text(const struct access_needs *n)
{
    struct access_right r[ACCESS_MAX_RIGHTS];
    size_t count = access_rights(n, r);
    assert_true(count <= ACCESS_MAX_RIGHTS);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (size_t i = 0; i < count; i++) {
        char one[160];
        access_right_text(&r[i], one, sizeof(one));
        fprintf(f, "%s %s/%s\n", one, r[i].ns ? r[i].ns : "-", r[i].name ? r[i].name : "-");
    }
    fclose(f);
    return out;
}

#define BASE_RIGHTS                                                                                \
    "watch seccomppolicies (kscmp.io) -/-\n"                                                       \
    "patch seccomppolicies/status (kscmp.io) -/-\n"                                                \
    "list clusterseccomppolicies (kscmp.io) -/-\n"                                                 \
    "watch clusterseccomppolicies (kscmp.io) -/-\n"                                                \
    "patch clusterseccomppolicies/status (kscmp.io) -/-\n"
#define KUBEARMOR_RIGHTS                                                                           \
    "list kubearmorseccomppolicies (security.kubearmor.com) -/-\n"                                 \
    "watch kubearmorseccomppolicies (security.kubearmor.com) -/-\n"                                \
    "patch kubearmorseccomppolicies/status (security.kubearmor.com) -/-\n"
#define CORE_RIGHTS                                                                                \
    "list namespaces (core) -/-\n"                                                                 \
    "watch namespaces (core) -/-\n"                                                                \
    "list pods (core) -/-\n"                                                                       \
    "watch pods (core) -/-\n"                                                                      \
    "create events (core) -/-\n"                                                                   \
    "patch events (core) -/-\n"                                                                    \
    "list events (core) -/-\n"

static void test_rights_by_flags(void **state)
{
    /* The least: no taint, no KubeArmor, no recorder. */
    struct access_needs n = {.node = "node-a"};
    _cleanup_free_ char *least = rights_text(&n);
    assert_string_equal(least, BASE_RIGHTS CORE_RIGHTS);
    /* KubeArmor's kind read: its rights. */
    n.kubearmor = true;
    _cleanup_free_ char *ka = rights_text(&n);
    assert_string_equal(ka, BASE_RIGHTS KUBEARMOR_RIGHTS CORE_RIGHTS);
    /* The taint: its own Node by name; its own pod only when the pod is known. */
    n.taint = true;
    _cleanup_free_ char *taint = rights_text(&n);
    assert_string_equal(taint,
                        BASE_RIGHTS KUBEARMOR_RIGHTS CORE_RIGHTS "get nodes (core) -/node-a\n"
                                                                 "patch nodes (core) -/node-a\n");
    n.pod_ns = "kscmp-system";
    n.pod_name = "";
    _cleanup_free_ char *no_pod = rights_text(&n);
    assert_string_equal(no_pod, taint);
    /* A name node_taint.c would not put in a path: its pod is not read, nor asked for (a
     * review found the two tests apart). */
    n.pod_name = "Kscmp_X";
    _cleanup_free_ char *bad_pod = rights_text(&n);
    assert_string_equal(bad_pod, taint);
    n.pod_name = "kscmp-x1";
    _cleanup_free_ char *pod = rights_text(&n);
    assert_string_equal(pod, BASE_RIGHTS KUBEARMOR_RIGHTS CORE_RIGHTS
                        "get nodes (core) -/node-a\n"
                        "patch nodes (core) -/node-a\n"
                        "get pods (core) kscmp-system/kscmp-x1\n");
    /* The recorder, without the taint (its pod then not read). */
    n.taint = false;
    n.kubearmor = false;
    n.recording = true;
    _cleanup_free_ char *rec = rights_text(&n);
    assert_string_equal(rec, BASE_RIGHTS CORE_RIGHTS "list seccomprecordings (kscmp.io) -/-\n"
                                                     "watch seccomprecordings (kscmp.io) -/-\n"
                                                     "get seccomprecordings (kscmp.io) -/-\n"
                                                     "patch seccomprecordings/status (kscmp.io) "
                                                     "-/-\n");
}

static void test_review_body(void **state)
{
    struct access_right r = {"patch", "kscmp.io", "seccomppolicies", "status", NULL, NULL};
    _cleanup_free_ char *b = access_review_body(&r);
    assert_string_equal(b, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
                           "\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{"
                           "\"verb\":\"patch\",\"group\":\"kscmp.io\",\"resource\":"
                           "\"seccomppolicies\",\"subresource\":\"status\"}}}");
    /* The core group is "" (asked, not left out); a namespace and a name when given. */
    struct access_right p = {"get", "", "pods", NULL, "kscmp-system", "kscmp-x1"};
    _cleanup_free_ char *c = access_review_body(&p);
    assert_string_equal(c, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
                           "\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":{"
                           "\"verb\":\"get\",\"group\":\"\",\"resource\":\"pods\",\"namespace\":"
                           "\"kscmp-system\",\"name\":\"kscmp-x1\"}}}");
}

static int allowed(const char *text, struct kerr *err)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    int r = access_review_allowed(j, err);
    json_decref(j);
    return r;
}

static void test_answer(void **state)
{
    struct kerr err = {0};
    assert_int_equal(
        allowed("{\"kind\":\"SelfSubjectAccessReview\",\"status\":{\"allowed\":true}}", &err), 1);
    assert_int_equal(allowed("{\"kind\":\"SelfSubjectAccessReview\",\"status\":{\"allowed\":"
                             "false,\"reason\":\"no RBAC policy matched\"}}",
                             &err),
                     0);
    /* Not a review's answer: not read as allowed, nor as denied. */
    assert_int_equal(allowed("{\"kind\":\"SelfSubjectAccessReview\",\"status\":{}}", &err),
                     -EPROTO);
    assert_int_equal(
        allowed("{\"kind\":\"SelfSubjectAccessReview\",\"status\":{\"allowed\":\"true\"}}", &err),
        -EPROTO);
    assert_int_equal(allowed("{\"kind\":\"Status\",\"status\":\"Failure\"}", &err), -EPROTO);
    assert_string_equal(err.msg, ACCESS_REVIEWS_PATH ": the answer is not a "
                                                     "SelfSubjectAccessReview with status.allowed "
                                                     "(kind Status)");
}

static void test_config_dup(void **state)
{
    struct kube_config c = {.server = "https://10.0.0.1:6443",
                            .ca_data = "CA",
                            .token = "secret",
                            .token_file = "/var/run/token",
                            .namespace = "kscmp-system"};
    _cleanup_(kube_config_freep) struct kube_config *d = kube_config_dup(&c);
    assert_non_null(d);
    assert_string_equal(d->server, c.server);
    assert_ptr_not_equal(d->server, c.server);
    assert_string_equal(d->ca_data, "CA");
    assert_string_equal(d->token, "secret");
    assert_string_equal(d->token_file, "/var/run/token");
    assert_string_equal(d->namespace, "kscmp-system");
    assert_null(d->ca_file);
    assert_null(d->cert_file);
    assert_null(d->cert_data);
    assert_null(d->key_file);
    assert_null(d->key_data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rights_by_flags),
        cmocka_unit_test(test_review_body),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_config_dup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
