/* fetch.h - one-shot, read-only requests to the API server for the command line.
 *
 * Owns: running the agent's client (client.h: same kubeconfig handling, TLS always verified,
 * token re-read after a 401) on a private event loop until one GET is answered, with an
 * overall deadline; and paginated lists (limit/continue) handed over item by item. Nothing
 * here writes to the cluster: its only POSTs are reviews, which store nothing.
 */
#ifndef KSCMP_FETCH_H
#define KSCMP_FETCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "kube/kubeconfig.h"

struct kube_fetch;

/* kubeconfig: a file, or NULL for $KUBECONFIG (its first file: several are not merged),
 * ~/.kube/config, then in-cluster; context: one of the kubeconfig's, or NULL for its
 * current-context. */
int kube_fetch_new(const char *kubeconfig, const char *context, struct kube_fetch **ret,
                   struct kerr *err);
/* The same from a configuration already loaded (taken over, freed on failure too): the
 * agent's, as kube_config_load() resolves it (in-cluster first), for its standby's check. */
int kube_fetch_new_config(struct kube_config *cfg, struct kube_fetch **ret, struct kerr *err);
void kube_fetch_free(struct kube_fetch *f);

/* A request that waits gives up when fd becomes readable (the agent's signalfd, not read
 * here): kube_fetch_json() then returns -EINTR, so that a signal is not kept waiting for the
 * server. */
int kube_fetch_stop_on(struct kube_fetch *f, int fd);

/* No request is made past seconds from now, and one in flight then is given up (0: none; each
 * request still has its own 60 s): a server that answers slowly, or pages for good, cannot
 * keep a command running for hours. */
void kube_fetch_set_deadline(struct kube_fetch *f, unsigned seconds);

/* The namespace of the kubeconfig's context (or the pod's own in a cluster), or NULL. */
const char *kube_fetch_namespace(const struct kube_fetch *f);

/* Milliseconds left before the command's deadline (kube_fetch_set_deadline()); UINT64_MAX
 * without one. */
uint64_t kube_fetch_left_ms(const struct kube_fetch *f);

/* GETs path and decodes the JSON answer. 0 with *ret set; -ENOENT on 404 (err says what was
 * missing); other failures (403, 5xx, no answer, not JSON) a negative errno with err naming
 * the path and the server's message. */
int kube_fetch_json(struct kube_fetch *f, const char *path, json_t **ret, struct kerr *err);

/* GETs path, waiting at most timeout_ms (and not past the deadline), and gives whatever the
 * server answered: 0 with *status and *body (*len bytes as they came, NUL bytes too, then a
 * NUL; the caller frees it), whatever the status; a negative errno when there was no complete
 * answer (no connection, timeout, the transfer cut short; -EFBIG: larger than
 * KUBE_MAX_BODY), err saying why. */
int kube_fetch_raw(struct kube_fetch *f, const char *path, unsigned timeout_ms, long *status,
                   char **body, size_t *len, struct kerr *err);

/* The most requests kube_fetch_post_all() takes, and sends at once. */
#define KUBE_FETCH_MAX_POSTS 48
#define KUBE_FETCH_POST_WINDOW 6

/* POSTs each of bodies[0..n) (JSON; n from 1 to KUBE_FETCH_MAX_POSTS) to path,
 * KUBE_FETCH_POST_WINDOW at a time, and waits for every answer (the deadline and the stop fd as
 * kube_fetch_json()): 0 with rets[i] the decoded answer to bodies[i]; else the first failure in the
 * order of bodies, as kube_fetch_json() tells it, and no rets[] set. Such a POST creates nothing
 * that stays: it is for reviews (SelfSubjectAccessReviews), whose answer is all there is. */
int kube_fetch_post_all(struct kube_fetch *f, const char *path, const char *const *bodies, size_t n,
                        json_t **rets, struct kerr *err);

/* Lists path (a collection, query allowed) page by page and calls cb for every item; a
 * negative cb result stops. -ENOENT on 404 (an API the cluster does not serve). At most
 * max_items items (-E2BIG past it). */
int kube_fetch_list(struct kube_fetch *f, const char *path, size_t max_items,
                    int (*cb)(json_t *item, void *userdata), void *userdata, struct kerr *err);

#endif
