/* http.h - the agent's HTTP endpoint.
 *
 * Owns: serving /metrics (the Prometheus text of base/metrics.h), /healthz and /readyz
 * (ready once the first complete set of profiles is on disk, and 200 with a body that says
 * "standby" while the agent waits for another's lock on the kubelet root) with libmicrohttpd on a
 * thread of its own, and the protections libmicrohttpd lacks, so that no client can keep the probes
 * from answering: each connection must send its whole request head within 2 s of being
 * accepted and read its answer within 10 s, a peer holds at most 8 connections (one of its
 * own gives way to a new one), and when 64 are open the peer holding the most gives one up.
 * /healthz fails (503) when the agent's event loop has not turned for longer than the stall
 * limit (its heartbeat in base/metrics.h is older than that): a loop stuck in a computation
 * is restarted by the liveness probe rather than trusted.
 */
#ifndef KSCMP_HTTP_H
#define KSCMP_HTTP_H

#include <stdint.h>

#include "base/error.h"
#include "base/metrics.h"

struct http_server;

/* Serves m on addr ("[HOST]:PORT", HOST an IPv4 address, [IPv6] or empty for all; port 0
 * picks one). stall_ms: /healthz fails when the heartbeat is older (0: never). */
int http_serve(struct metrics *m, const char *addr, uint64_t stall_ms, struct http_server **ret,
               struct kerr *err);
/* Whether addr is an address http_serve() takes ("off" is the caller's); 0 or an error
 * naming --metrics-addr. */
int http_addr_check(const char *addr, struct kerr *err);
/* The port served on. */
unsigned http_port(const struct http_server *s);
/* Stops serving and frees. */
void http_free(struct http_server *s);

#endif
