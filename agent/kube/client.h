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

/* The largest answer kept (a list page; watch lines have their own limit, watch_stream.h). */
#define KUBE_MAX_BODY (8u * 1024 * 1024)

struct kube;
struct kube_req;

struct kube_req_ops {
    /* Streams only: each line of a 2xx body. A negative result aborts the request. */
    int (*line)(const char *line, size_t len, void *userdata);
    /* Called once at the end (not after kube_cancel). status 0 when no HTTP answer came;
     * error is curl's text then. body is NULL for streams. status 413 (and error): the answer
     * was larger than KUBE_MAX_BODY and nothing of it is kept. */
    void (*done)(long status, const char *body, size_t len, const char *error, void *userdata);
    void *userdata;
};

/* Takes ownership of cfg. */
int kube_new(struct kube_config *cfg, struct evloop *l, struct metrics *m, struct kube **ret,
             struct kerr *err);
void kube_free(struct kube *k);

/* Starts a request. path begins with "/" (query included); content_type and body may be
 * NULL. *ret (may be NULL) lets the caller cancel it until done() is called. */
int kube_request(struct kube *k, const char *method, const char *path, const char *content_type,
                 const char *body, bool stream, const struct kube_req_ops *ops,
                 struct kube_req **ret);

/* Stops a request; done() will not be called. */
void kube_cancel(struct kube_req *r);

const char *kube_server(const struct kube *k);

/* Percent-encodes s for a URL query value into a new string. */
char *kube_escape(const char *s);

#endif
