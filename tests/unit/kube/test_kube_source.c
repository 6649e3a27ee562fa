/* test_kube_source.c - the Kubernetes source's handling of objects, on a fake transport.
 *
 * kube_transport() is wrapped to give the source an in-memory transport (as test_reflector's),
 * and engine_put_policy() to make it fail on cue (see the Makefile rule); the reconciler is
 * not needed before the first complete sync, which these tests do not reach.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/evloop.h"
#include "base/metrics.h"
#include "engine/engine.h"
#include "kube/kube_source.h"
#include "kube/transport.h"

#define MAX_REQS 64

struct kube_req {
    char *path;
    bool stream;
    struct kube_req_ops ops;
    bool live;
};

static struct kube_req reqs[MAX_REQS];
static size_t nreqs;

static int fake_request(void *impl, const char *method, const char *path, const char *ctype,
                        const char *body, bool stream, const struct kube_req_ops *ops,
                        struct kube_req **ret)
{
    assert_true(nreqs < MAX_REQS);
    struct kube_req *q = &reqs[nreqs++];
    *q = (struct kube_req){strdup(path), stream, *ops, true};
    if (ret)
        *ret = q;
    return 0;
}

static void fake_cancel(void *impl, struct kube_req *q)
{
    if (q)
        q->live = false;
}

struct kube_transport __wrap_kube_transport(struct kube *k);
struct kube_transport __wrap_kube_transport(struct kube *k)
{
    return (struct kube_transport){fake_request, fake_cancel, NULL};
}

void __wrap_reconciler_set_written_hook(struct reconciler *rec, void (*hook)(void *), void *u);
void __wrap_reconciler_set_written_hook(struct reconciler *rec, void (*hook)(void *), void *u) {}

int __real_engine_put_policy(struct engine *e, struct policy *p);
int __wrap_engine_put_policy(struct engine *e, struct policy *p);
void policy_free(struct policy *p);
static unsigned policy_puts, fail_puts;

int __wrap_engine_put_policy(struct engine *e, struct policy *p)
{
    policy_puts++;
    if (fail_puts) {
        fail_puts--;
        policy_free(p);
        return -ENOMEM;
    }
    return __real_engine_put_policy(e, p);
}

static struct kube_req *live_list(const char *resource)
{
    for (size_t i = 0; i < nreqs; i++)
        if (reqs[i].live && !reqs[i].stream && strstr(reqs[i].path, resource))
            return &reqs[i];
    return NULL;
}

static void answer(struct kube_req *q, const char *body)
{
    q->live = false;
    q->ops.done(200, body, strlen(body), NULL, q->ops.userdata);
}

static void on_tick(struct evtimer *t, void *userdata)
{
    evloop_quit(userdata, 0);
}

/* A policy the engine could not take in (out of memory) is put again when the list is tried
 * again: the record kept for it does not make its second coming look like a status change. */
static void test_policy_put_again_after_enomem(void **state)
{
    struct evloop *l = NULL;
    struct metrics *m = NULL;
    struct engine *e = NULL;
    struct kubesrc *src = NULL;
    assert_int_equal(evloop_new(&l), 0);
    assert_int_equal(metrics_new(&m), 0);
    assert_int_equal(engine_new(1, &e), 0);
    assert_int_equal(kubesrc_new(NULL, e, l, m, NULL, NULL, "node-a", &src), 0);
    assert_int_equal(kubesrc_start(src), 0);
    static const char list[] =
        "{\"metadata\":{\"resourceVersion\":\"5\"},\"items\":[{\"metadata\":{\"name\":\"web\","
        "\"namespace\":\"demo\",\"uid\":\"u1\",\"generation\":1,\"resourceVersion\":\"5\"},"
        "\"spec\":{\"rules\":[{\"syscalls\":[\"mkdir\"],\"action\":\"Block\"}]}}]}";
    fail_puts = 1;
    answer(live_list("/seccomppolicies?"), list);
    assert_int_equal(policy_puts, 1);
    assert_null(live_list("/seccomppolicies?")); /* tried again after a backoff */
    struct evtimer *t = NULL;
    assert_int_equal(evtimer_new(l, on_tick, l, &t), 0);
    for (int i = 0; i < 2000 && !live_list("/seccomppolicies?"); i++) {
        evtimer_arm(t, 10);
        assert_int_equal(evloop_run(l), 0);
    }
    evtimer_free(t);
    assert_non_null(live_list("/seccomppolicies?"));
    answer(live_list("/seccomppolicies?"), list);
    assert_int_equal(policy_puts, 2);
    kubesrc_free(src);
    engine_free(e);
    metrics_free(m);
    evloop_free(l);
    for (size_t i = 0; i < nreqs; i++)
        free(reqs[i].path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_put_again_after_enomem),
    };
    return cmocka_run_group_tests_name("kube_source", tests, NULL, NULL);
}
