/* http.c - /metrics, /healthz and /readyz over HTTP (libmicrohttpd, its own thread). */
#include "program/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct http_server {
    struct MHD_Daemon *daemon;
    unsigned port;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, bool owned)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct metrics *m = cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", (char *)"method not allowed\n",
                     false);
    if (strcmp(url, "/metrics") == 0) {
        char *body = metrics_render(m);
        if (!body)
            return MHD_NO;
        return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4", body, true);
    }
    if (strcmp(url, "/healthz") == 0)
        return reply(c, MHD_HTTP_OK, "text/plain", (char *)"ok\n", false);
    if (strcmp(url, "/readyz") == 0) {
        bool ready = metrics_ready(m);
        return ready ? reply(c, MHD_HTTP_OK, "text/plain", (char *)"ready\n", false)
                     : reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                             (char *)"not ready: the first complete set of profiles is not on "
                                     "disk yet\n",
                             false);
    }
    return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", (char *)"not found\n", false);
}

int http_serve(struct metrics *m, const char *addr, struct http_server **ret, struct kerr *err)
{
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return kerr_set(err, -EINVAL, "--metrics-addr \"%s\": want [HOST]:PORT", addr);
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || port > 65535 || colon[1] == '\0')
        return kerr_set(err, -EINVAL, "--metrics-addr \"%s\": bad port", addr);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    char host[64];
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof(host))
        return kerr_set(err, -EINVAL, "--metrics-addr \"%s\": bad host", addr);
    memcpy(host, addr, hl);
    host[hl] = '\0';
    if (hl == 0)
        sin.sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0)
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
        return kerr_set(err, -EINVAL, "--metrics-addr \"%s\": host must be an IPv4 address", addr);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL, handle, m,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_CONNECTION_LIMIT, 32u,
        MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!d)
        return kerr_set(err, -EADDRINUSE, "--metrics-addr %s: cannot listen (in use?)", addr);
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s) {
        MHD_stop_daemon(d);
        return -ENOMEM;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    s->daemon = d;
    s->port = info ? info->port : (unsigned)port;
    *ret = s;
    return 0;
}

unsigned http_port(const struct http_server *s)
{
    return s ? s->port : 0;
}

void http_free(struct http_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
