/* http.c - /metrics, /healthz and /readyz over HTTP/1.1, on a thread of their own.
 *
 * A small server of our own rather than a library: what matters here is that no client can
 * keep the probes from answering. Every connection must deliver its request head within
 * HEAD_TIMEOUT_MS of being accepted (a header line every few seconds does not extend it),
 * and its response within WRITE_TIMEOUT_MS; each answer closes the connection. A peer address
 * that already holds PER_PEER_MAX connections gives up one of its own for a new one; when
 * every slot is taken, the peer that holds the most gives one up; a connection that sent part
 * of a head gives way before one that sent nothing yet, and the oldest first. A probe, which
 * sends its request at once, is answered as soon as it is accepted, whatever other clients
 * do.
 */
#include "program/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include "base/http_head.h"

#define MAX_CONNS 64
#define PER_PEER_MAX 8
#define HEAD_MAX 4096
#define HEAD_TIMEOUT_MS 2000
#define WRITE_TIMEOUT_MS 10000

struct conn {
    int fd; /* -1: free */
    struct sockaddr_in6 peer;
    uint64_t accepted_ms;
    uint64_t deadline_ms;
    char in[HEAD_MAX];
    size_t inlen;
    char *out; /* the whole response, once the head is in */
    size_t outlen, outoff;
};

struct http_server {
    struct metrics *m;
    uint64_t stall_ms;
    int lfd;
    int epfd;
    int stopfd[2];
    pthread_t thread;
    bool started;
    unsigned port;
    struct conn conns[MAX_CONNS];
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void conn_close(struct http_server *s, struct conn *c)
{
    if (c->fd < 0)
        return;
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->out);
    c->fd = -1;
    c->out = NULL;
    c->inlen = c->outlen = c->outoff = 0;
}

static bool same_peer(const struct sockaddr_in6 *a, const struct sockaddr_in6 *b)
{
    if (a->sin6_family != b->sin6_family)
        return false;
    if (a->sin6_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
}

/* Which of two connections gives way first: one that sent part of a request head (a slow
 * client, not a probe that has yet to send its line), then the one held longest. */
static bool evict_before(const struct conn *a, const struct conn *b)
{
    if ((a->inlen > 0) != (b->inlen > 0))
        return a->inlen > 0;
    return a->accepted_ms < b->accepted_ms;
}

/* A slot for a new connection from peer: a free one; else, when the peer holds PER_PEER_MAX
 * already, one of its own; else one of the peer that holds the most (so that one client's
 * flood makes room out of its own connections, not out of the kubelet's or the scraper's).
 * Within a peer, evict_before() picks. */
static struct conn *take_slot(struct http_server *s, const struct sockaddr_in6 *peer)
{
    struct conn *free_slot = NULL, *mine = NULL;
    unsigned nmine = 0, counts[MAX_CONNS] = {0};
    for (size_t i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &s->conns[i];
        if (c->fd < 0) {
            if (!free_slot)
                free_slot = c;
            continue;
        }
        /* counts[i]: how many connections c's peer holds (counted at its first one). */
        for (size_t j = 0; j <= i; j++)
            if (s->conns[j].fd >= 0 && same_peer(&s->conns[j].peer, &c->peer)) {
                counts[j]++;
                break;
            }
        if (same_peer(&c->peer, peer)) {
            nmine++;
            if (!mine || evict_before(c, mine))
                mine = c;
        }
    }
    struct conn *victim = NULL;
    if (nmine >= PER_PEER_MAX)
        victim = mine;
    else if (free_slot)
        return free_slot;
    else {
        /* The peer that holds the most, then its connection that gives way first. */
        size_t top = 0;
        for (size_t j = 1; j < MAX_CONNS; j++)
            if (counts[j] > counts[top])
                top = j;
        for (size_t i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &s->conns[i];
            if (c->fd >= 0 && same_peer(&c->peer, &s->conns[top].peer) &&
                (!victim || evict_before(c, victim)))
                victim = c;
        }
    }
    conn_close(s, victim);
    return victim;
}

/* The whole response: status line, headers, and (unless HEAD) the body. */
static char *respond(unsigned status, const char *reason, const char *type, const char *body,
                     bool head, size_t *ret_len)
{
    size_t blen = strlen(body);
    char *out = NULL;
    int n = asprintf(&out,
                     "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\nConnection: close\r\n\r\n%s",
                     status, reason, type, blen, head ? "" : body);
    if (n < 0)
        return NULL;
    *ret_len = (size_t)n;
    return out;
}

/* Answers the request head in c->in (whole: http_head_parse() said 1). */
static char *answer(struct http_server *s, const struct http_request *rq, size_t *ret_len)
{
    bool head = strcmp(rq->method, "HEAD") == 0;
    if (!head && strcmp(rq->method, "GET") != 0)
        return respond(405, "Method Not Allowed", "text/plain", "method not allowed\n", false,
                       ret_len);
    if (strcmp(rq->path, "/healthz") == 0) {
        uint64_t age = metrics_heartbeat_age_ms(s->m);
        if (s->stall_ms && age > s->stall_ms) {
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "unhealthy: the agent's event loop has not turned for %.1f s (limit %.0f s)\n",
                     (double)age / 1000.0, (double)s->stall_ms / 1000.0);
            return respond(503, "Service Unavailable", "text/plain", msg, head, ret_len);
        }
        return respond(200, "OK", "text/plain", "ok\n", head, ret_len);
    }
    if (strcmp(rq->path, "/readyz") == 0) {
        if (metrics_ready(s->m))
            return respond(200, "OK", "text/plain", "ready\n", head, ret_len);
        return respond(503, "Service Unavailable", "text/plain",
                       "not ready: the first complete set of profiles is not on disk yet\n", head,
                       ret_len);
    }
    if (strcmp(rq->path, "/metrics") == 0) {
        _cleanup_free_ char *body = metrics_render(s->m);
        if (!body)
            return respond(500, "Internal Server Error", "text/plain", "out of memory\n", head,
                           ret_len);
        return respond(200, "OK", "text/plain; version=0.0.4", body, head, ret_len);
    }
    return respond(404, "Not Found", "text/plain", "not found\n", head, ret_len);
}

static void conn_write(struct http_server *s, struct conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            conn_close(s, c);
            return;
        }
        c->outoff += (size_t)n;
    }
    shutdown(c->fd, SHUT_WR);
    conn_close(s, c);
}

static void conn_read(struct http_server *s, struct conn *c)
{
    for (;;) {
        if (c->inlen == sizeof(c->in)) {
            c->out = respond(431, "Request Header Fields Too Large", "text/plain",
                             "request head too large\n", false, &c->outlen);
            break;
        }
        ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            conn_close(s, c);
            return;
        }
        c->inlen += (size_t)n;
        struct http_request rq;
        int q = http_head_parse(c->in, c->inlen, &rq);
        if (q == 1) {
            c->out = answer(s, &rq, &c->outlen);
            break;
        }
        if (q == -E2BIG) {
            c->out = respond(414, "URI Too Long", "text/plain", "request target too long\n", false,
                             &c->outlen);
            break;
        }
        if (q < 0) {
            c->out = respond(400, "Bad Request", "text/plain", "bad request\n", false, &c->outlen);
            break;
        }
    }
    if (!c->out) {
        conn_close(s, c);
        return;
    }
    c->deadline_ms = mono_ms() + WRITE_TIMEOUT_MS;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    conn_write(s, c);
}

static void accept_all(struct http_server *s)
{
    for (;;) {
        struct sockaddr_in6 peer = {0};
        socklen_t plen = sizeof(peer);
        int fd = accept4(s->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or out of descriptors: the backlog waits */
        struct conn *c = take_slot(s, &peer);
        uint64_t now = mono_ms();
        c->fd = fd;
        c->peer = peer;
        c->accepted_ms = now;
        c->deadline_ms = now + HEAD_TIMEOUT_MS;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
            conn_close(s, c);
        else
            conn_read(s, c); /* a probe's request is there already: answered before any
                                other connection can take its slot */
    }
}

static void *serve(void *userdata)
{
    struct http_server *s = userdata;
    for (;;) {
        uint64_t now = mono_ms();
        int timeout = -1;
        for (size_t i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &s->conns[i];
            if (c->fd < 0)
                continue;
            if (c->deadline_ms <= now) {
                conn_close(s, c); /* too slow: the request head, or reading the answer */
                continue;
            }
            int t = (int)(c->deadline_ms - now);
            if (timeout < 0 || t < timeout)
                timeout = t;
        }
        struct epoll_event evs[16];
        int n = epoll_wait(s->epfd, evs, 16, timeout);
        if (n < 0 && errno != EINTR)
            return NULL;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &s->stopfd)
                return NULL;
            if (p == &s->lfd) {
                accept_all(s);
                continue;
            }
            struct conn *c = p;
            if (c->fd < 0)
                continue;
            if (c->out)
                conn_write(s, c);
            else
                conn_read(s, c);
        }
    }
}

/* addr is "[HOST]:PORT"; HOST an IPv4 or IPv6 address (in brackets), "localhost", or
 * empty for every address. */
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
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    *ret_len = sizeof(*sin);
    if (hl == 0)
        sin->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0)
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
        return kerr_set(err, -EINVAL,
                        "--metrics-addr \"%s\": host must be an IPv4 address or [IPv6]", addr);
    return 0;
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
    s->lfd = socket(sa.sin6_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(s->lfd, (struct sockaddr *)&sa, salen) < 0 || listen(s->lfd, 128) < 0) {
        r = kerr_set(err, -errno, "--metrics-addr %s: cannot listen: %s", addr, strerror(errno));
        http_free(s);
        return r;
    }
    struct sockaddr_in6 bound;
    socklen_t blen = sizeof(bound);
    if (getsockname(s->lfd, (struct sockaddr *)&bound, &blen) == 0)
        s->port = ntohs(bound.sin6_port); /* sin_port sits at the same offset */
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0 || pipe2(s->stopfd, O_CLOEXEC | O_NONBLOCK) < 0) {
        r = kerr_set(err, -errno, "--metrics-addr %s: %s", addr, strerror(errno));
        http_free(s);
        return r;
    }
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &s->lfd};
    struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &s->stopfd};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &lev) < 0 ||
        epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->stopfd[0], &sev) < 0) {
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
    for (size_t i = 0; i < MAX_CONNS; i++)
        conn_close(s, &s->conns[i]);
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
