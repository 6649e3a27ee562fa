/* client.h - requests to the Kubernetes API server, on the agent's event loop.
 *
 * Owns: the HTTP/TLS client (libcurl multi, driven by the evloop: no thread per request or
 * watch), authentication (client certificate, or a bearer token re-read when its file
 * changes, watched with inotify, and after a 401, when the request is retried once), and
 * streaming responses framed into lines (watch_stream.h).
 */
#ifndef KSCMP_KUBE_H
#define KSCMP_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/evloop.h"
#include "kube/kubeconfig.h"
#include "base/metrics.h"
#include "kube/transport.h"

struct kube;

/* Takes ownership of cfg. */
int kube_new(struct kube_config *cfg, struct evloop *l, struct metrics *m, struct kube **ret,
             struct kerr *err);
void kube_free(struct kube *k);

/* Starts a request. path begins with "/" (query included); content_type and body may be
 * NULL. *ret (may be NULL) lets the caller cancel it until done() is called. */
int kube_request(struct kube *k, const char *method, const char *path, const char *content_type,
                 const char *body, bool stream, const struct kube_req_ops *ops,
                 struct kube_req **ret);

/* The "message" of a Kubernetes Status body (NUL-terminated, or NULL), else the body's start:
 * at most 300 bytes of it into buf. */
void kube_status_message(const char *body, char *buf, size_t len);

/* Stops a request; done() will not be called. */
void kube_cancel(struct kube_req *r);

const char *kube_server(const struct kube *k);

/* The configuration k was made with (kube_config_dup() it to make another client). */
const struct kube_config *kube_config_of(const struct kube *k);

/* k as a transport (transport.h): what kube_source gives its reflectors, status writes and
 * Events. */
struct kube_transport kube_transport(struct kube *k);

#endif
