/* http.c - /metrics, /healthz and /readyz over HTTP/1.1: libmicrohttpd, driven by a thread
 * of the endpoint's own.
 *
 * libmicrohttpd parses the requests and writes the answers. What it does not do is keep a
 * client from holding up the probes: its connection timeout is an idle timeout that a header
 * line every second resets, and at its connection limits it refuses the newest connection
 * (which may be the kubelet's probe) or stops accepting. So the endpoint accepts connections
 * itself and hands each one to libmicrohttpd (MHD_add_connection), and around it:
 * - every connection must deliver its whole request head within HEAD_TIMEOUT_MS of being
 *   accepted, and have its answer read within WRITE_TIMEOUT_MS of that; the endpoint keeps
 *   these deadlines itself and shuts down (shutdown(2)) a connection that misses one, which
 *   libmicrohttpd then closes;
 * - a peer address that already holds PER_PEER_MAX connections gives up one of its own for a
 *   new one, and when MAX_CONNS are open the peer holding the most gives one up: one that
 *   sent part of a request head before one that sent nothing yet, the oldest first. The room
 *   is made (the connection closed by libmicrohttpd) before the new one is handed over, so
 *   libmicrohttpd's own limits (the same numbers) never refuse it;
 * - a new connection is processed as soon as it is handed over: a probe, which sends its
 *   request at once, is answered before any other connection can take its place;
 * - each answer closes its connection (no keep-alive holding a slot).
 * Everything, libmicrohttpd included, runs on the endpoint's thread (libmicrohttpd in external
 * epoll mode), so the probes do not depend on the agent's event loop, and the connection
 * table needs no lock.
 */
#include "program/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"

#define MAX_CONNS 64
#define PER_PEER_MAX 8
/* How long accepting pauses when the process is out of descriptors (ms). */
#define ACCEPT_PAUSE_MS 100
#define HEAD_TIMEOUT_MS 2000
#define WRITE_TIMEOUT_MS 10000
/* libmicrohttpd's memory for one connection (request head, answer headers): a larger head is
 * answered 431 by libmicrohttpd. */
#define CONN_MEMORY (16 * 1024)
/* Tries to have libmicrohttpd close the connections shut down to make room. */
#define ROOM_TRIES 8

struct conn {
    int fd; /* -1: free */
    struct sockaddr_storage peer;
    socklen_t peerlen;
    uint64_t accepted_ms;
    uint64_t deadline_ms;
    bool line_seen; /* libmicrohttpd read the request line */
    bool head_done; /* ... and the whole head: the request was answered */
    bool doomed;    /* shut down; libmicrohttpd has yet to close it */
};

struct http_server {
    struct metrics *m;
    uint64_t stall_ms;
    struct MHD_Daemon *d;
    int lfd;
    int epfd;
    int stopfd[2];
    pthread_t thread;
    bool started;
    unsigned port;
    struct conn *adding; /* the slot of the connection being handed to libmicrohttpd */
    struct conn conns[MAX_CONNS];
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool same_peer(const struct conn *c, const struct sockaddr *peer)
{
    const struct sockaddr *a = (const struct sockaddr *)&c->peer;
    if (a->sa_family != peer->sa_family)
        return false;
    if (a->sa_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)peer)->sin_addr.s_addr;
    if (a->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)peer)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return true;
}

/* Ends a connection that must give way or missed its deadline: shut down, so that
 * libmicrohttpd reads the end and closes it (then on_notify() frees its slot). */
static void conn_doom(struct conn *c)
{
    if (c->fd < 0 || c->doomed)
        return;
    shutdown(c->fd, SHUT_RDWR);
    c->doomed = true;
}

/* Which of two connections gives way first: one that sent part of a request head (a slow
 * client, not a probe whose line is yet to be read), then the one held longest. */
static bool evict_before(const struct conn *a, const struct conn *b)
{
    if (a->line_seen != b->line_seen)
        return a->line_seen;
    return a->accepted_ms < b->accepted_ms;
}

/* The connection of peer (NULL: of any peer) that gives way first, doomed ones left out. */
static struct conn *victim_of(struct http_server *s, const struct sockaddr *peer)
{
    struct conn *v = NULL;
    for (size_t i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &s->conns[i];
        if (c->fd >= 0 && !c->doomed && (!peer || same_peer(c, peer)) && (!v || evict_before(c, v)))
            v = c;
    }
    return v;
}

/* A free slot for a new connection from peer, within the limits: when the peer holds
 * PER_PEER_MAX already, one of its own gives way; when every slot is taken, one of the peer
 * that holds the most (so that a flood makes room out of its own connections, not out of the
 * kubelet's or the scraper's). The connections that give way are closed by libmicrohttpd
 * before this returns, so its limits let the new one in. NULL when that did not happen. */
static struct conn *take_slot(struct http_server *s, const struct sockaddr *peer)
{
    for (unsigned tries = 0; tries <= ROOM_TRIES; tries++) {
        struct conn *free_slot = NULL;
        unsigned mine = 0, mine_doomed = 0, doomed = 0;
        unsigned counts[MAX_CONNS] = {0}; /* per peer, at its first live connection */
        for (size_t i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &s->conns[i];
            if (c->fd < 0) {
                if (!free_slot)
                    free_slot = c;
                continue;
            }
            doomed += c->doomed;
            if (same_peer(c, peer)) {
                mine++;
                mine_doomed += c->doomed;
            }
            if (c->doomed)
                continue;
            for (size_t j = 0; j <= i; j++)
                if (s->conns[j].fd >= 0 && !s->conns[j].doomed &&
                    same_peer(&s->conns[j], (const struct sockaddr *)&c->peer)) {
                    counts[j]++;
                    break;
                }
        }
        if (free_slot && mine < PER_PEER_MAX)
            return free_slot;
        if (tries == ROOM_TRIES)
            break;
        if (mine >= PER_PEER_MAX) {
            if (mine_doomed == 0)
                conn_doom(victim_of(s, peer));
        } else if (doomed == 0) {
            /* Of the peers that hold the most, the connection that gives way first: on a tie
             * (a flood from many addresses, one each) not the newest, which may be a probe
             * accepted before its request came. */
            unsigned most = 0;
            for (size_t j = 0; j < MAX_CONNS; j++)
                most = counts[j] > most ? counts[j] : most;
            struct conn *v = NULL;
            for (size_t j = 0; most && j < MAX_CONNS; j++) {
                struct conn *c = counts[j] == most
                                     ? victim_of(s, (const struct sockaddr *)&s->conns[j].peer)
                                     : NULL;
                if (c && (!v || evict_before(c, v)))
                    v = c;
            }
            if (v)
                conn_doom(v);
        }
        MHD_run(s->d); /* reads the ends of the doomed: closed, and their slots free */
    }
    return NULL;
}

/* libmicrohttpd took a connection (the one being added) or closed one. */
static void on_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = s->adding;
        s->adding = NULL;
        return;
    }
    struct conn *c = *socket_context;
    if (c) {
        c->fd = -1;
        c->line_seen = c->head_done = c->doomed = false;
        *socket_context = NULL;
    }
}

static struct conn *conn_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* libmicrohttpd read a request line: the connection sent part of a head. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *mc)
{
    struct conn *c = conn_of(mc);
    if (c)
        c->line_seen = true;
    return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *mc, unsigned status, const char *type,
                             char *body, bool owned)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (!r) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    if (MHD_add_response_header(r, "Content-Type", type) != MHD_YES ||
        MHD_add_response_header(r, "Cache-Control", "no-store") != MHD_YES ||
        MHD_add_response_header(r, "Connection", "close") != MHD_YES ||
        (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
         MHD_add_response_header(r, "Allow", "GET, HEAD") != MHD_YES)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    enum MHD_Result ret = MHD_queue_response(mc, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A whole request head is in: answer it (GET or HEAD; libmicrohttpd leaves out the body of
 * an answer to HEAD). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct http_server *s = cls;
    struct conn *c = conn_of(mc);
    if (c && !c->head_done) {
        c->head_done = true;
        c->deadline_ms = mono_ms() + WRITE_TIMEOUT_MS;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(mc, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", (char *)"method not allowed\n",
                     false);
    if (strcmp(url, "/healthz") == 0) {
        uint64_t age = metrics_heartbeat_age_ms(s->m);
        if (s->stall_ms && age > s->stall_ms) {
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "unhealthy: the agent's event loop has not turned for %.1f s (limit %.0f s)\n",
                     (double)age / 1000.0, (double)s->stall_ms / 1000.0);
            return reply(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", msg, false);
        }
        return reply(mc, MHD_HTTP_OK, "text/plain", (char *)"ok\n", false);
    }
    if (strcmp(url, "/readyz") == 0) {
        if (metrics_ready(s->m))
            return reply(mc, MHD_HTTP_OK, "text/plain", (char *)"ready\n", false);
        /* Ready to the kubelet, so that a DaemonSet's surge rollout goes on and deletes the
         * old pod (whose agent holds the lock); the body and kscmp_standby say what it is.
         * Not while the standby's check of the API server fails: that rollout then waits,
         * the old agent still working. */
        char why[METRICS_STANDBY_PROBLEM_MAX];
        bool standby = metrics_standby(s->m, why, sizeof(why));
        if (standby && why[0]) {
            char msg[METRICS_STANDBY_PROBLEM_MAX + 32];
            snprintf(msg, sizeof(msg), "standby: not ready: %s\n", why);
            return reply(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", msg, false);
        }
        if (standby)
            return reply(mc, MHD_HTTP_OK, "text/plain",
                         (char *)"standby: another kscmp agent holds the kubelet root's lock; "
                                 "this one writes nothing and takes over when it stops\n",
                         false);
        return reply(mc, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                     (char *)"not ready: the first complete set of profiles is not on disk yet\n",
                     false);
    }
    if (strcmp(url, "/metrics") == 0) {
        char *body = metrics_render(s->m);
        if (!body)
            return reply(mc, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
                         (char *)"out of memory\n", false);
        return reply(mc, MHD_HTTP_OK, "text/plain; version=0.0.4", body, true);
    }
    return reply(mc, MHD_HTTP_NOT_FOUND, "text/plain", (char *)"not found\n", false);
}

/* Accepts what waits (at most MAX_CONNS at a time, so that the deadlines are kept under a
 * flood too), each connection handed to libmicrohttpd and processed at once. */
/* Accepts what waits; false when accept4() ran out of descriptors or memory (the listening
 * socket, level-triggered, would wake the loop at once again: the caller pauses it). */
static bool accept_all(struct http_server *s)
{
    for (size_t k = 0; k < MAX_CONNS; k++) {
        struct sockaddr_storage peer = {0};
        socklen_t plen = sizeof(peer);
        int fd = accept4(s->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return !(errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM);
        struct conn *c = take_slot(s, (struct sockaddr *)&peer);
        if (!c) {
            close(fd);
            continue;
        }
        uint64_t now = mono_ms();
        *c = (struct conn){.fd = fd,
                           .peer = peer,
                           .peerlen = plen,
                           .accepted_ms = now,
                           .deadline_ms = now + HEAD_TIMEOUT_MS};
        s->adding = c;
        if (MHD_add_connection(s->d, fd, (struct sockaddr *)&peer, plen) != MHD_YES) {
            /* libmicrohttpd closed the socket */
            if (s->adding == c)
                c->fd = -1;
        }
        s->adding = NULL;
        MHD_run(s->d); /* a probe's request is there already: answered now */
    }
    return true;
}

/* Shuts down the connections past their deadline; the time until the next one (-1: none). */
static int enforce_deadlines(struct http_server *s)
{
    uint64_t now = mono_ms();
    int timeout = -1;
    for (size_t i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &s->conns[i];
        if (c->fd < 0 || c->doomed)
            continue;
        if (c->deadline_ms <= now) {
            conn_doom(c); /* too slow: the request head, or reading the answer */
            timeout = 0;  /* libmicrohttpd reads the end now */
            continue;
        }
        int t = (int)(c->deadline_ms - now);
        if (timeout < 0 || t < timeout)
            timeout = t;
    }
    return timeout;
}

static void *serve(void *userdata)
{
    struct http_server *s = userdata;
    uint64_t resume_ms = 0; /* accepting paused until then (out of descriptors); 0: not */
    for (;;) {
        MHD_run(s->d);
        int timeout = enforce_deadlines(s);
        MHD_UNSIGNED_LONG_LONG mhd_ms;
        if (MHD_get_timeout(s->d, &mhd_ms) == MHD_YES &&
            (timeout < 0 || mhd_ms < (MHD_UNSIGNED_LONG_LONG)timeout))
            timeout = mhd_ms > 60000 ? 60000 : (int)mhd_ms;
        if (resume_ms) {
            uint64_t now = mono_ms();
            if (now >= resume_ms) {
                struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &s->lfd};
                if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &lev) == 0)
                    resume_ms = 0;
                else
                    resume_ms = now + ACCEPT_PAUSE_MS;
            }
            if (resume_ms && (timeout < 0 || resume_ms - now < (uint64_t)timeout))
                timeout = (int)(resume_ms > now ? resume_ms - now : 0);
        }
        struct epoll_event evs[4];
        int n = epoll_wait(s->epfd, evs, 4, timeout);
        if (n < 0 && errno != EINTR)
            return NULL;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == &s->stopfd)
                return NULL;
            if (evs[i].data.ptr == &s->lfd && !resume_ms && !accept_all(s) &&
                epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL) == 0)
                resume_ms = mono_ms() + ACCEPT_PAUSE_MS; /* not a busy loop meanwhile */
        }
    }
}

/* addr is "[HOST]:PORT"; HOST an IPv4 or IPv6 address (in brackets), "localhost", or
 * empty for every address (IPv6 and IPv4: an IPv6-only pod is probed on its IPv6 address). */
static int parse_addr(const char *addr, struct sockaddr_in6 *ret, socklen_t *ret_len,
                      struct kerr *err)
{
    const char *colon = strrchr(addr, ':');
    if (!colon)
        return kerr_set(err, -EINVAL, "--metrics-addr \"%s\": want [HOST]:PORT", addr);
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || port > 65535 || colon[1] == '\0')
        return kerr_set(err, -EINVAL, "--metrics-addr \"%s\": bad port", addr);
    char host[64];
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof(host))
        return kerr_set(err, -EINVAL, "--metrics-addr \"%s\": bad host", addr);
    memcpy(host, addr, hl);
    host[hl] = '\0';
    memset(ret, 0, sizeof(*ret));
    struct sockaddr_in *sin = (struct sockaddr_in *)ret;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        ret->sin6_family = AF_INET6;
        ret->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &ret->sin6_addr) != 1)
            return kerr_set(err, -EINVAL, "--metrics-addr \"%s\": bad IPv6 address", addr);
        *ret_len = sizeof(*ret);
        return 0;
    }
    if (hl == 0) { /* every address, IPv6 and IPv4 (http_serve() makes it dual-stack) */
        ret->sin6_family = AF_INET6;
        ret->sin6_port = htons((uint16_t)port);
        ret->sin6_addr = in6addr_any;
        *ret_len = sizeof(*ret);
        return 0;
    }
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    *ret_len = sizeof(*sin);
    if (strcmp(host, "localhost") == 0)
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
        return kerr_set(err, -EINVAL,
                        "--metrics-addr \"%s\": host must be an IPv4 address or [IPv6]", addr);
    return 0;
}

/* A listening socket on sa (dual: IPv4 too, on an IPv6 socket), or -1 with errno set. */
static int listen_on(const struct sockaddr_in6 *sa, socklen_t salen, bool dual)
{
    int fd = socket(sa->sin6_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1, zero = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        (dual && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0) ||
        bind(fd, (const struct sockaddr *)sa, salen) < 0 || listen(fd, 128) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int http_addr_check(const char *addr, struct kerr *err)
{
    struct sockaddr_in6 sa;
    socklen_t len;
    return parse_addr(addr, &sa, &len, err);
}

int http_serve(struct metrics *m, const char *addr, uint64_t stall_ms, struct http_server **ret,
               struct kerr *err)
{
    struct sockaddr_in6 sa;
    socklen_t salen;
    int r = parse_addr(addr, &sa, &salen, err);
    if (r < 0)
        return r;
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->m = m;
    s->stall_ms = stall_ms;
    s->lfd = s->epfd = s->stopfd[0] = s->stopfd[1] = -1;
    for (size_t i = 0; i < MAX_CONNS; i++)
        s->conns[i].fd = -1;
    /* Every address: IPv6 and IPv4 on one socket; IPv4 alone where IPv6 is off. */
    bool any = addr[0] == ':';
    s->lfd = listen_on(&sa, salen, any);
    if (s->lfd < 0 && any && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
        struct sockaddr_in v4 = {
            .sin_family = AF_INET, .sin_port = sa.sin6_port, .sin_addr.s_addr = htonl(INADDR_ANY)};
        s->lfd = listen_on((struct sockaddr_in6 *)&v4, sizeof(v4), false);
    }
    if (s->lfd < 0) {
        r = kerr_set(err, -errno, "--metrics-addr %s: cannot listen: %s", addr, strerror(errno));
        http_free(s);
        return r;
    }
    struct sockaddr_in6 bound;
    socklen_t blen = sizeof(bound);
    if (getsockname(s->lfd, (struct sockaddr *)&bound, &blen) == 0)
        s->port = ntohs(bound.sin6_port); /* sin_port sits at the same offset */
    /* External epoll mode: MHD_run() on the endpoint's thread does libmicrohttpd's work; its
     * limits are the endpoint's own, which take_slot() keeps before handing a connection. */
    s->d = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, on_request, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_notify, s, MHD_OPTION_URI_LOG_CALLBACK, on_request_line, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)PER_PEER_MAX, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(WRITE_TIMEOUT_MS / 1000),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        s->d ? MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!info) {
        r = kerr_set(err, -ENOMEM, "--metrics-addr %s: cannot start libmicrohttpd", addr);
        http_free(s);
        return r;
    }
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0 || pipe2(s->stopfd, O_CLOEXEC | O_NONBLOCK) < 0) {
        r = kerr_set(err, -errno, "--metrics-addr %s: %s", addr, strerror(errno));
        http_free(s);
        return r;
    }
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &s->lfd};
    struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &s->stopfd};
    struct epoll_event mev = {.events = EPOLLIN, .data.ptr = &s->d};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &lev) < 0 ||
        epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->stopfd[0], &sev) < 0 ||
        epoll_ctl(s->epfd, EPOLL_CTL_ADD, info->epoll_fd, &mev) < 0) {
        r = kerr_set(err, -errno, "--metrics-addr %s: %s", addr, strerror(errno));
        http_free(s);
        return r;
    }
    r = -pthread_create(&s->thread, NULL, serve, s);
    if (r < 0) {
        kerr_set(err, r, "--metrics-addr %s: cannot start its thread: %s", addr, strerror(-r));
        http_free(s);
        return r;
    }
    s->started = true;
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
    if (s->started) {
        (void)!write(s->stopfd[1], "x", 1);
        pthread_join(s->thread, NULL);
    }
    if (s->d)
        MHD_stop_daemon(s->d); /* closes every connection */
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->stopfd[0] >= 0)
        close(s->stopfd[0]);
    if (s->stopfd[1] >= 0)
        close(s->stopfd[1]);
    free(s);
}
