/* http.h - the agent's HTTP endpoint.
 *
 * Owns: serving /metrics (the Prometheus text of base/metrics.h), /healthz and /readyz
 * (ready once the first complete set of profiles is on disk) on a thread of its own.
 */
#ifndef KSCMP_HTTP_H
#define KSCMP_HTTP_H

#include "base/error.h"
#include "base/metrics.h"

struct http_server;

/* Serves m on addr ("[HOST]:PORT"; port 0 picks one). */
int http_serve(struct metrics *m, const char *addr, struct http_server **ret, struct kerr *err);
/* The port served on. */
unsigned http_port(const struct http_server *s);
/* Stops serving and frees. */
void http_free(struct http_server *s);

#endif
