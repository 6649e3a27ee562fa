/* transport.h - the seam between the Kubernetes modules and the HTTP client.
 *
 * Owns: what a module needs to talk to the API server: start a request (a stream of lines,
 * or a whole answer), be called back when it ends, cancel it; and the escaping of query
 * values. kube/client.c implements it on libcurl (kube_transport()); a unit test implements
 * it in memory, so that reflectors, status writes and Events run without an HTTP client.
 */
#ifndef KSCMP_TRANSPORT_H
#define KSCMP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

/* The largest answer kept (a list page; watch lines have their own limit, watch_stream.h): one
 * Pod's JSON can be ~6x its size in etcd (watch_stream.h), so a page of one must fit. */
#define KUBE_MAX_BODY (16u * 1024 * 1024)

struct kube_req;

struct kube_req_ops {
    /* Streams only: each line of a 2xx body. A negative result aborts the request. */
    int (*line)(const char *line, size_t len, void *userdata);
    /* Called once at the end (not after a cancel). status 0 when no HTTP answer came;
     * error is the client's text then. body is NULL for streams. status 413 (and error): the
     * answer was larger than the client keeps (KUBE_MAX_BODY) and nothing of it is kept. */
    void (*done)(long status, const char *body, size_t len, const char *error, void *userdata);
    void *userdata;
};

struct kube_transport {
    /* Starts a request. path begins with "/" (query included); content_type and body may be
     * NULL. *ret (may be NULL) lets the caller cancel it until done() is called. */
    int (*request)(void *impl, const char *method, const char *path, const char *content_type,
                   const char *body, bool stream, const struct kube_req_ops *ops,
                   struct kube_req **ret);
    /* Stops a request (r may be NULL); done() will not be called. */
    void (*cancel)(void *impl, struct kube_req *r);
    void *impl;
};

/* Percent-encodes s for a URL query value into a new string. */
char *kube_escape(const char *s);

#endif
