/* client.c - libcurl multi on the event loop; tokens; line framing of streams. */
#include "kube/client.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <malloc.h>
#include <libgen.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/evloop.h"
#include "base/log.h"
#include "kube/watch_stream.h"

#define MAX_BODY KUBE_MAX_BODY
#define BIG_ANSWER (1u << 20)

/* A watch that receives nothing for stall_ms (default STREAM_STALL_MS; the environment's
 * KSCMP_WATCH_STALL_SECONDS, 1 to 3600, for tests) is given up on (req_setup()). The watches
 * are looked at every fifth of that (at most STALL_CHECK_MAX_MS), so one is given up on at
 * most that much later. */
#define STREAM_STALL_MS 150000u
#define STALL_CHECK_MAX_MS 30000u

struct kube_req {
    struct kube *k;
    CURL *h;
    struct curl_slist *headers;
    char *method, *path, *content_type, *body;
    bool stream;
    bool retried; /* after a 401, once */
    struct kube_req_ops ops;
    char *buf; /* non-stream body */
    size_t len, cap;
    struct linebuf lines;
    bool too_large;   /* the answer went over MAX_BODY: given up */
    uint64_t last_ms; /* a watch: when it was sent or its last bytes came (now_ms()) */
    char why[400];    /* why we gave up on the answer (curl then says only "write error") */
    char errbuf[CURL_ERROR_SIZE];
    struct kube_req *next;
};

struct kube {
    struct kube_config *cfg;
    struct evloop *l;
    struct metrics *m;
    CURLM *multi;
    struct evtimer *curl_timer;  /* the timeout libcurl asks for */
    struct evtimer *stall_timer; /* looks for watches that stopped moving (req_setup()) */
    uint64_t stall_ms, check_ms;
    char *token;
    int ifd; /* inotify on the token file's folder */
    struct kube_req *reqs;
};

static void token_reload(struct kube *k, const char *why)
{
    char *t = NULL;
    struct kerr err = {0};
    int r = kube_config_token(k->cfg, &t, &err);
    if (r == -ENOENT)
        return;
    if (r < 0) {
        log_error("reading the token: %s", err.msg);
        return;
    }
    if (k->token && strcmp(k->token, t) == 0) {
        free(t);
        return;
    }
    if (k->token) {
        explicit_bzero(k->token, strlen(k->token));
        log_info("service account token reloaded (%s)", why);
    }
    free(k->token);
    k->token = t;
}

static void on_token_dir(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    struct kube *k = userdata;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    token_reload(k, "its file changed");
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata);

static int line_cb(const char *line, size_t len, void *userdata)
{
    struct kube_req *r = userdata;
    return r->ops.line ? r->ops.line(line, len, r->ops.userdata) : 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct kube_req *r = userdata;
    size_t n = size * nmemb;
    long status = 0;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
    if (r->stream)
        r->last_ms = now_ms();
    if (r->stream && status >= 200 && status < 300) {
        size_t held = r->lines.cap;
        int q = linebuf_feed(&r->lines, data, n, line_cb, r);
        if (held > BIG_ANSWER && r->lines.cap < held)
            malloc_trim(0); /* a large watch event is done with: give the memory back */
        if (q < 0) {
            if (q == -E2BIG) {
                char id[320];
                kube_object_id(r->lines.head, r->lines.head_len, "\"object\":", id, sizeof(id));
                snprintf(r->why, sizeof(r->why), "a watch event%s%s%s is larger than %u bytes",
                         *id ? " (of " : "", id, *id ? ")" : "", WATCH_MAX_LINE);
            } else {
                /* The line's reader ended it (it said why): not libcurl's "write error". */
                snprintf(r->why, sizeof(r->why), "%s",
                         q == -EPIPE ? "the API server sent an ERROR event"
                                     : "a watch event was not taken in");
            }
            return 0; /* aborts the transfer */
        }
        return n;
    }
    if (r->len + n > MAX_BODY) {
        /* Named by its first object, which is the one in a page of one. */
        char id[320];
        kube_object_id(r->buf ? r->buf : data, r->buf ? r->len : n, "\"items\":[", id, sizeof(id));
        r->too_large = true;
        snprintf(r->why, sizeof(r->why), "the answer%s%s%s is larger than %u bytes",
                 *id ? " (its first object: " : "", id, *id ? ")" : "", MAX_BODY);
        return 0; /* aborts the transfer */
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 16384;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *nb = realloc(r->buf, cap);
        if (!nb)
            return 0;
        r->buf = nb;
        r->cap = cap;
    }
    memcpy(r->buf + r->len, data, n);
    r->len += n;
    r->buf[r->len] = '\0';
    return n;
}

/* libcurl asks OpenSSL to free a connection's read buffer (~17 KB) whenever it is empty
 * (SSL_MODE_RELEASE_BUFFERS), and OpenSSL takes a new one at the next record: on a watch, an
 * allocation and a free of that size for most events. The agent's few connections keep theirs
 * instead: 979 -> 38 buffer set-ups over bench_kube.py's run, the same VmRSS (docs/agent.md). */
static CURLcode keep_tls_buffers(CURL *h, void *ssl_ctx, void *arg)
{
    (void)h;
    (void)arg;
    SSL_CTX_clear_mode((SSL_CTX *)ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
    return CURLE_OK;
}

static int req_setup(struct kube_req *r)
{
    struct kube *k = r->k;
    if (r->h)
        curl_easy_cleanup(r->h);
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    r->h = curl_easy_init();
    if (!r->h)
        return -ENOMEM;
    _cleanup_free_ char *url = NULL;
    if (asprintf(&url, "%s%s", k->cfg->server, r->path) < 0)
        return -ENOMEM;
    CURL *h = r->h;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PRIVATE, r);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, keep_tls_buffers);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kscmp/0.1");
    /* HTTP/1.1: each watch on its own connection. Over HTTP/2 every request shares one
     * connection's flow-control window, and a stall there blinds every watch at once (seen in
     * the e2e tests with libcurl 7.88). */
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    /* Watches end by the server's timeoutSeconds (at most 6 minutes); a request that stops
     * moving is given up on sooner: 15 s without a byte for anything but a watch (libcurl's
     * low-speed limit), 150 s for a watch (bookmarks come about every minute). For a watch
     * the agent looks itself, every check_ms (on_stall_timer()): libcurl's limit wakes
     * the agent up once a second for each transfer, ~5 of ~13 wake-ups a second of an idle
     * agent, for transfers that last minutes. */
    curl_easy_setopt(h, CURLOPT_TIMEOUT, r->stream ? 600L : 60L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, r->stream ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, r->stream ? 0L : 15L);
    if (r->stream) {
        r->last_ms = now_ms();
        if (!evtimer_armed(r->k->stall_timer))
            evtimer_arm(r->k->stall_timer, r->k->check_ms);
    }
    if (k->cfg->ca_data) {
        struct curl_blob b = {k->cfg->ca_data, strlen(k->cfg->ca_data), CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
    } else if (k->cfg->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, k->cfg->ca_file);
    if (k->cfg->cert_data) {
        struct curl_blob b = {k->cfg->cert_data, strlen(k->cfg->cert_data), CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (k->cfg->cert_file)
        curl_easy_setopt(h, CURLOPT_SSLCERT, k->cfg->cert_file);
    if (k->cfg->key_data) {
        struct curl_blob b = {k->cfg->key_data, strlen(k->cfg->key_data), CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (k->cfg->key_file)
        curl_easy_setopt(h, CURLOPT_SSLKEY, k->cfg->key_file);
    r->headers = curl_slist_append(r->headers, "Accept: application/json");
    if (k->token) {
        _cleanup_free_ char *auth = NULL;
        if (asprintf(&auth, "Authorization: Bearer %s", k->token) < 0)
            return -ENOMEM;
        r->headers = curl_slist_append(r->headers, auth);
        explicit_bzero(auth, strlen(auth));
    }
    if (r->content_type) {
        _cleanup_free_ char *ct = NULL;
        if (asprintf(&ct, "Content-Type: %s", r->content_type) < 0)
            return -ENOMEM;
        r->headers = curl_slist_append(r->headers, ct);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->headers);
    if (strcmp(r->method, "GET") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    if (r->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
    }
    r->len = 0;
    linebuf_clear(&r->lines);
    r->errbuf[0] = '\0';
    r->too_large = false;
    r->why[0] = '\0';
    metrics_add(k->m, M_API_REQUESTS, 1);
    return curl_multi_add_handle(k->multi, h) == CURLM_OK ? 0 : -EIO;
}

static void req_free(struct kube_req *r)
{
    if (!r)
        return;
    if (r->h) {
        curl_multi_remove_handle(r->k->multi, r->h);
        curl_easy_cleanup(r->h);
    }
    curl_slist_free_all(r->headers);
    free(r->method);
    free(r->path);
    free(r->content_type);
    free(r->body);
    free(r->buf);
    linebuf_clear(&r->lines);
    free(r);
}

static void unlink_req(struct kube *k, struct kube_req *r)
{
    for (struct kube_req **p = &k->reqs; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            return;
        }
}

/* Tells the owner of r, already out of the multi handle, how it ended (error: NULL when the
 * transfer itself went through, whatever the status) and frees r. A watch's owner is given
 * no body on a 2xx: its lines went to it as they came. */
static void finish_req(struct kube *k, struct kube_req *r, long status, const char *error)
{
    if (error || status >= 400 || status == 0)
        metrics_add(k->m, M_API_ERRORS, 1);
    unlink_req(k, r);
    if (r->ops.done)
        r->ops.done(status,
                    r->stream && status >= 200 && status < 300 ? NULL : (r->buf ? r->buf : ""),
                    r->len, error, r->ops.userdata);
    bool big = r->cap + r->lines.cap > BIG_ANSWER;
    req_free(r);
    if (big)
        malloc_trim(0); /* a large answer is gone: give its memory back to the system */
}

/* Our words for what a failed transfer met, where the operating system gave no errno. */
static const char *curl_code_text(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return "the server's host name does not resolve";
    case CURLE_COULDNT_CONNECT:
        return "no connection to the server";
    case CURLE_OPERATION_TIMEDOUT:
        return "timed out";
    case CURLE_PEER_FAILED_VERIFICATION:
        return "the server's certificate is not signed by the kubeconfig's certificate authority";
    case CURLE_SSL_CONNECT_ERROR:
        return "the TLS handshake failed";
    case CURLE_SSL_CERTPROBLEM:
        return "the kubeconfig's client certificate cannot be used";
    case CURLE_SSL_CACERT_BADFILE:
        return "the kubeconfig's certificate authority cannot be read";
    case CURLE_GOT_NOTHING:
        return "the server closed the connection without an answer";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return "the connection broke";
    default:
        return NULL;
    }
}

/* What a failed transfer met, in r->errbuf: libcurl's message with a real reason. This
 * libcurl is built without its verbose strings, so its own reason for any code is "Error"
 * (appended to some of its messages): the operating system's errno stands in for it, else our
 * words for the code. */
static const char *curl_failure(struct kube_req *r, CURLcode code)
{
    if (strcmp(curl_easy_strerror(code), "Error") != 0)
        return r->errbuf[0] ? r->errbuf : curl_easy_strerror(code);
    /* The system's errno only where the transfer failed on the socket: libcurl keeps the
     * last one it saw, which may be older than a TLS or certificate failure. */
    long os_errno = 0;
    bool socket_code = code == CURLE_COULDNT_CONNECT || code == CURLE_SEND_ERROR ||
                       code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING;
    if (socket_code)
        curl_easy_getinfo(r->h, CURLINFO_OS_ERRNO, &os_errno);
    char reason[128];
    if (os_errno > 0)
        snprintf(reason, sizeof(reason), "%s", strerror((int)os_errno));
    else if (curl_code_text(code))
        snprintf(reason, sizeof(reason), "%s", curl_code_text(code));
    else
        snprintf(reason, sizeof(reason), "libcurl error %d", (int)code);
    size_t n = strlen(r->errbuf);
    if (n >= 7 && strcmp(r->errbuf + n - 7, ": Error") == 0)
        r->errbuf[n - 7] = '\0';
    else if (strcmp(r->errbuf, "Error") == 0)
        r->errbuf[0] = '\0';
    else if (n)
        return r->errbuf; /* libcurl's message says it itself */
    n = strlen(r->errbuf);
    snprintf(r->errbuf + n, sizeof(r->errbuf) - n, "%s%s", n ? ": " : "", reason);
    return r->errbuf;
}

static void check_done(struct kube *k)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(k->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct kube_req *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode code = msg->data.result;
        long status = 0;
        curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(k->multi, r->h);
        if (status == 401 && !r->retried) {
            r->retried = true;
            token_reload(k, "the API server answered 401");
            if (req_setup(r) == 0)
                continue;
        }
        const char *error = code == CURLE_OK ? NULL : r->why[0] ? r->why : curl_failure(r, code);
        if (r->too_large) {
            status = 413; /* nothing of the answer is kept (client.h) */
            r->len = 0;
            if (r->buf)
                r->buf[0] = '\0'; /* not even in a message */
        }
        finish_req(k, r, status, error);
    }
}

static void on_socket_event(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    struct kube *k = userdata;
    int flags = 0;
    if (events & EPOLLIN)
        flags |= CURL_CSELECT_IN;
    if (events & EPOLLOUT)
        flags |= CURL_CSELECT_OUT;
    if (events & (EPOLLERR | EPOLLHUP))
        flags |= CURL_CSELECT_ERR;
    int running;
    curl_multi_socket_action(k->multi, fd, flags, &running);
    check_done(k);
}

static int socket_cb(CURL *h, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct kube *k = userp;
    uint32_t ev = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    if (what == CURL_POLL_REMOVE) {
        if (socketp)
            evloop_del_fd(k->l, s);
        curl_multi_assign(k->multi, s, NULL);
        return 0;
    }
    if (!socketp) {
        if (evloop_add_fd(k->l, s, ev, on_socket_event, k) == 0)
            curl_multi_assign(k->multi, s, (void *)1);
    } else
        evloop_mod_fd(k->l, s, ev);
    return 0;
}

/* Gives up on the watch r, which has stopped moving: told to its owner as a transfer that
 * failed (with libcurl's words for it), as libcurl's low-speed limit would. */
static void give_up_stalled(struct kube *k, struct kube_req *r, uint64_t quiet_ms)
{
    long status = 0;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(k->multi, r->h);
    snprintf(r->why, sizeof(r->why),
             "Operation too slow: nothing received on the watch for %" PRIu64 " seconds",
             quiet_ms / 1000);
    finish_req(k, r, status, r->why);
}

static void on_stall_timer(struct evtimer *timer, void *userdata)
{
    struct kube *k = userdata;
    /* One at a time, from the head again: an owner told may send or cancel requests. Those
     * sent now are not stalled, so each pass ends the list's stalled watches one by one. */
    for (bool again = true; again;) {
        again = false;
        uint64_t now = now_ms();
        for (struct kube_req *r = k->reqs; r; r = r->next)
            if (r->stream && now - r->last_ms >= k->stall_ms) {
                give_up_stalled(k, r, now - r->last_ms);
                again = true;
                break;
            }
    }
    for (struct kube_req *r = k->reqs; r; r = r->next)
        if (r->stream) {
            evtimer_arm(k->stall_timer, k->check_ms);
            break;
        }
}

static void on_curl_timer(struct evtimer *timer, void *userdata)
{
    struct kube *k = userdata;
    int running;
    curl_multi_socket_action(k->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(k);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct kube *k = userp;
    if (timeout_ms < 0)
        evtimer_cancel(k->curl_timer);
    else
        evtimer_arm(k->curl_timer, (uint64_t)timeout_ms);
    return 0;
}

int kube_new(struct kube_config *cfg, struct evloop *l, struct metrics *m, struct kube **ret,
             struct kerr *err)
{
    static bool global_done;
    if (!global_done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_done = true;
    }
    struct kube *k = calloc(1, sizeof(*k));
    if (!k) {
        kube_config_free(cfg);
        return -ENOMEM;
    }
    *k = (struct kube){.cfg = cfg, .l = l, .m = m, .ifd = -1, .stall_ms = STREAM_STALL_MS};
    const char *stall = getenv("KSCMP_WATCH_STALL_SECONDS");
    if (stall) {
        char *end;
        unsigned long v = strtoul(stall, &end, 10);
        if (*stall && !*end && v >= 1 && v <= 3600)
            k->stall_ms = v * 1000;
        else
            log_warning("KSCMP_WATCH_STALL_SECONDS=\"%s\" is not 1 to 3600: %u s", stall,
                        STREAM_STALL_MS / 1000);
    }
    k->check_ms = k->stall_ms / 5 < STALL_CHECK_MAX_MS ? k->stall_ms / 5 : STALL_CHECK_MAX_MS;
    k->multi = curl_multi_init();
    if (!k->multi || evtimer_new(l, on_curl_timer, k, &k->curl_timer) < 0 ||
        evtimer_new(l, on_stall_timer, k, &k->stall_timer) < 0) {
        kube_free(k);
        return -ENOMEM;
    }
    curl_multi_setopt(k->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(k->multi, CURLMOPT_SOCKETDATA, k);
    curl_multi_setopt(k->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(k->multi, CURLMOPT_TIMERDATA, k);
    /* Five watches, their lists, status patches and Events: room for all at once. */
    curl_multi_setopt(k->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 24L);
    struct kerr e2 = {0};
    int r = kube_config_token(cfg, &k->token, &e2);
    if (r < 0 && r != -ENOENT) {
        kerr_set(err, r, "%s", e2.msg);
        kube_free(k);
        return r;
    }
    if (cfg->token_file) {
        /* The kubelet rotates the token by swapping a symlink in its folder: watch the folder. */
        _cleanup_free_ char *dir = strdup(cfg->token_file);
        k->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (dir && k->ifd >= 0 &&
            inotify_add_watch(k->ifd, dirname(dir),
                              IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE) >= 0)
            evloop_add_fd(l, k->ifd, EPOLLIN, on_token_dir, k);
    }
    *ret = k;
    return 0;
}

void kube_free(struct kube *k)
{
    if (!k)
        return;
    while (k->reqs) {
        struct kube_req *r = k->reqs;
        k->reqs = r->next;
        req_free(r);
    }
    if (k->multi)
        curl_multi_cleanup(k->multi);
    evtimer_free(k->curl_timer);
    evtimer_free(k->stall_timer);
    if (k->ifd >= 0) {
        evloop_del_fd(k->l, k->ifd);
        close(k->ifd);
    }
    if (k->token)
        explicit_bzero(k->token, strlen(k->token));
    free(k->token);
    kube_config_free(k->cfg);
    free(k);
}

int kube_request(struct kube *k, const char *method, const char *path, const char *content_type,
                 const char *body, bool stream, const struct kube_req_ops *ops,
                 struct kube_req **ret)
{
    struct kube_req *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->k = k;
    r->stream = stream;
    r->ops = *ops;
    r->method = strdup(method);
    r->path = strdup(path);
    r->content_type = content_type ? strdup(content_type) : NULL;
    r->body = body ? strdup(body) : NULL;
    if (!r->method || !r->path || (content_type && !r->content_type) || (body && !r->body)) {
        req_free(r);
        return -ENOMEM;
    }
    int q = req_setup(r);
    if (q < 0) {
        req_free(r);
        return q;
    }
    r->next = k->reqs;
    k->reqs = r;
    if (ret)
        *ret = r;
    return 0;
}

void kube_cancel(struct kube_req *r)
{
    if (!r)
        return;
    unlink_req(r->k, r);
    req_free(r);
}

static int transport_request(void *impl, const char *method, const char *path,
                             const char *content_type, const char *body, bool stream,
                             const struct kube_req_ops *ops, struct kube_req **ret)
{
    return kube_request(impl, method, path, content_type, body, stream, ops, ret);
}

static void transport_cancel(void *impl, struct kube_req *r)
{
    kube_cancel(r);
}

struct kube_transport kube_transport(struct kube *k)
{
    return (struct kube_transport){transport_request, transport_cancel, k};
}

const char *kube_server(const struct kube *k)
{
    return k->cfg->server;
}

const struct kube_config *kube_config_of(const struct kube *k)
{
    return k->cfg;
}

void kube_status_message(const char *body, char *buf, size_t len)
{
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;
    const char *m = json_string_value(json_object_get(j, "message"));
    snprintf(buf, len, "%.300s", m ? m : body ? body : "");
    json_decref(j);
}
