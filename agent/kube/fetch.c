/* fetch.c - blocking GETs for the command line, on the agent's client and a private loop. */
#include "kube/fetch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/cleanup.h"
#include "base/evloop.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"

#define FETCH_DEADLINE_MS 60000 /* one request, connection included */
#define FETCH_PAGE 500
/* The most pages one list is followed for (5M objects at full pages). */
#define FETCH_MAX_PAGES 10000
/* Pages in a row that hold no item yet carry a continue token: a server that pages for good. */
#define FETCH_MAX_EMPTY_PAGES 100

struct kube_fetch {
    struct evloop *l;
    struct kube *k;
    char *ns;
    uint64_t deadline_ms; /* now_ms() past which nothing more is asked; 0: none */
    unsigned deadline_s;  /* the time given, for messages */
};

void kube_fetch_set_deadline(struct kube_fetch *f, unsigned seconds)
{
    f->deadline_ms = seconds ? now_ms() + (uint64_t)seconds * 1000u : 0;
    f->deadline_s = seconds;
}

int kube_fetch_new(const char *kubeconfig, const char *context, struct kube_fetch **ret,
                   struct kerr *err)
{
    /* As kubectl: a kubeconfig when there is one, the pod's service account otherwise. */
    _cleanup_free_ char *chosen = NULL;
    const char *path = kubeconfig;
    const char *env = getenv("KUBECONFIG");
    if (env)
        env += strspn(env, ":"); /* empty entries are skipped, as kube_config_load does */
    if (!path && env && *env && (chosen = strndup(env, strcspn(env, ":"))))
        path = chosen;
    else if (!path && getenv("HOME") && asprintf(&chosen, "%s/.kube/config", getenv("HOME")) >= 0) {
        struct stat st;
        if (stat(chosen, &st) == 0)
            path = chosen;
    }
    struct kube_config *cfg = NULL;
    int r = kube_config_load_context(path, context, &cfg, err);
    if (r < 0)
        return r;
    return kube_fetch_new_config(cfg, ret, err);
}

int kube_fetch_new_config(struct kube_config *cfg, struct kube_fetch **ret, struct kerr *err)
{
    struct kube_fetch *f = calloc(1, sizeof(*f));
    if (!f) {
        kube_config_free(cfg);
        return -ENOMEM;
    }
    if (cfg->namespace && !(f->ns = strdup(cfg->namespace))) {
        kube_config_free(cfg);
        free(f);
        return -ENOMEM;
    }
    int r = evloop_new(&f->l);
    if (r < 0) {
        kube_config_free(cfg);
        kube_fetch_free(f);
        return r;
    }
    if ((r = kube_new(cfg, f->l, NULL, &f->k, err)) < 0) {
        kube_fetch_free(f);
        return r;
    }
    *ret = f;
    return 0;
}

static void on_stop_fd(struct evloop *l, int fd, uint32_t events, void *userdata)
{
    evloop_quit(l, -EINTR);
}

int kube_fetch_stop_on(struct kube_fetch *f, int fd)
{
    return evloop_add_fd(f->l, fd, EPOLLIN, on_stop_fd, f);
}

void kube_fetch_free(struct kube_fetch *f)
{
    if (!f)
        return;
    kube_free(f->k);
    evloop_free(f->l);
    free(f->ns);
    free(f);
}

uint64_t kube_fetch_left_ms(const struct kube_fetch *f)
{
    if (!f->deadline_ms)
        return UINT64_MAX;
    uint64_t now = now_ms();
    return now < f->deadline_ms ? f->deadline_ms - now : 0;
}

const char *kube_fetch_namespace(const struct kube_fetch *f)
{
    return f->ns;
}

struct answer {
    struct kube_fetch *f;
    size_t *pending; /* answers still to come: the loop stops at 0 */
    struct kube_req *req;
    bool done;
    long status;
    char *body;
    size_t len;
    char *error;
    bool oom; /* the body or the error could not be copied */
};

static void on_done(long status, const char *body, size_t len, const char *error, void *userdata)
{
    struct answer *a = userdata;
    a->done = true;
    a->status = status;
    /* The body as it came, NUL bytes too (its length is len), and NUL-terminated. */
    a->body = body ? malloc(len + 1) : NULL;
    if (a->body) {
        memcpy(a->body, body, len);
        a->body[len] = '\0';
    }
    a->len = a->body ? len : 0;
    a->error = error ? strdup(error) : NULL;
    a->oom = (body && !a->body) || (error && !a->error);
    if (--*a->pending == 0)
        evloop_quit(a->f->l, 0);
}

static void on_deadline(struct evtimer *t, void *userdata)
{
    struct kube_fetch *f = userdata;
    evloop_quit(f->l, -ETIMEDOUT);
}

/* Sends the n requests (method to path; body i when bodies) at once and runs the loop until
 * every answer came, timeout_ms (or the command's deadline, if sooner) passed or the stop fd
 * became readable. 0 once all came (each answer's status still to be read); else a negative
 * errno with err, every request given up. The answers' body and error are the caller's to
 * free. */
static int run_requests(struct kube_fetch *f, const char *method, const char *path,
                        const char *const *bodies, size_t n, unsigned timeout_ms,
                        struct answer *ans, struct kerr *err)
{
    uint64_t left_ms = timeout_ms;
    bool command_deadline = false;
    if (f->deadline_ms) {
        uint64_t now = now_ms();
        if (now >= f->deadline_ms)
            return kerr_set(err, -ETIMEDOUT,
                            "%s: not asked: the command's time is up (%u s; --timeout)", path,
                            f->deadline_s);
        command_deadline = f->deadline_ms - now < left_ms;
        left_ms = command_deadline ? f->deadline_ms - now : left_ms;
    }
    _cleanup_(evtimer_freep) struct evtimer *deadline = NULL;
    int r = evtimer_new(f->l, on_deadline, f, &deadline);
    if (r < 0)
        return r;
    size_t pending = n, sent = 0;
    for (; sent < n; sent++) {
        ans[sent] = (struct answer){.f = f, .pending = &pending};
        struct kube_req_ops ops = {.done = on_done, .userdata = &ans[sent]};
        if ((r = kube_request(f->k, method, path, bodies ? "application/json" : NULL,
                              bodies ? bodies[sent] : NULL, false, &ops, &ans[sent].req)) < 0)
            break;
    }
    if (r == 0) {
        evtimer_arm(deadline, left_ms);
        r = evloop_run(f->l);
        if (r == 0 && pending == 0)
            return 0;
    }
    for (size_t i = 0; i < sent; i++)
        if (!ans[i].done)
            kube_cancel(ans[i].req);
    if (sent < n)
        return kerr_set(err, r, "%s %s: %s", method, path, strerror(-r));
    if (r == -EINTR)
        return kerr_set(err, -EINTR, "%s%s: given up: a signal came", kube_server(f->k), path);
    if (command_deadline)
        return kerr_set(err, -ETIMEDOUT,
                        "%s%s: no complete answer when the command's time was up (%u s; "
                        "--timeout)",
                        kube_server(f->k), path, f->deadline_s);
    return kerr_set(err, -ETIMEDOUT, "%s%s: no complete answer in %.3g s", kube_server(f->k), path,
                    timeout_ms / 1000.0);
}

/* The failures both readers of an answer tell alike: its copy failed for want of memory, or
 * no answer came (status 0). 0 when neither. */
static int answer_missing(struct kube_fetch *f, const char *path, const struct answer *a,
                          struct kerr *err)
{
    if (a->oom)
        return kerr_set(err, -ENOMEM, "%s%s: out of memory for the answer", kube_server(f->k),
                        path);
    if (a->status == 0)
        return kerr_set(err, -EIO, "%s%s: %s", kube_server(f->k), path,
                        a->error ? a->error : "no answer");
    return 0;
}

static void answers_clear(struct answer *ans, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ans[i].body);
        free(ans[i].error);
    }
}

int kube_fetch_raw(struct kube_fetch *f, const char *path, unsigned timeout_ms, long *status,
                   char **body, size_t *len, struct kerr *err)
{
    struct answer a = {0};
    int r = run_requests(f, "GET", path, NULL, 1, timeout_ms, &a, err);
    if (r < 0)
        return r;
    /* The head came, then the transfer failed (the connection cut, or the answer larger than
     * KUBE_MAX_BODY: the transport's 413): what was read is not taken, whatever its status. */
    if ((r = answer_missing(f, path, &a, err)) == 0 && a.error)
        r = a.status == 413
                ? kerr_set(err, -EFBIG, "%s%s: the answer is larger than %u bytes",
                           kube_server(f->k), path, KUBE_MAX_BODY)
                : kerr_set(err, -EIO,
                           "%s%s: the answer was cut short: %s (HTTP %ld, %zu bytes read)",
                           kube_server(f->k), path, a.error, a.status, a.len);
    if (r < 0) {
        answers_clear(&a, 1);
        return r;
    }
    if (!a.body && !(a.body = strdup("")))
        return -ENOMEM;
    *status = a.status;
    *body = a.body;
    *len = a.len;
    return 0;
}

/* One answer that came, as kube_fetch_json() tells it. */
static int read_answer(struct kube_fetch *f, const char *path, const struct answer *a, json_t **ret,
                       struct kerr *err)
{
    char msg[400];
    int r = answer_missing(f, path, a, err);
    if (r < 0)
        return r;
    if (a->status == 404) {
        kube_status_message(a->body, msg, sizeof(msg));
        return kerr_set(err, -ENOENT, "%s: %s", path, msg);
    }
    if (a->status == 401 || a->status == 403) {
        kube_status_message(a->body, msg, sizeof(msg));
        return kerr_set(err, -EACCES, "%s: %s (HTTP %ld)", path, msg, a->status);
    }
    if (a->status == 413)
        return kerr_set(err, -EFBIG, "%s: the answer is larger than %u bytes", path, KUBE_MAX_BODY);
    if (a->status < 200 || a->status >= 300) {
        kube_status_message(a->body, msg, sizeof(msg));
        return kerr_set(err, -EIO, "%s: HTTP %ld: %s", path, a->status, msg);
    }
    /* The head came, then the transfer failed (the connection cut): not the server's JSON
     * at fault, and what was read is not taken, even when it reads as JSON. */
    if (a->error)
        return kerr_set(err, -EIO, "%s%s: the answer was cut short: %s (HTTP %ld, %zu bytes read)",
                        kube_server(f->k), path, a->error, a->status, a->len);
    json_error_t jerr;
    json_t *j = json_loadb(a->body ? a->body : "", a->len, 0, &jerr);
    if (!j)
        return kerr_set(err, -EBADMSG, "%s: the answer is not JSON: %s", path, jerr.text);
    *ret = j;
    return 0;
}

int kube_fetch_json(struct kube_fetch *f, const char *path, json_t **ret, struct kerr *err)
{
    struct answer a = {0};
    int r = run_requests(f, "GET", path, NULL, 1, FETCH_DEADLINE_MS, &a, err);
    if (r == 0)
        r = read_answer(f, path, &a, ret, err);
    answers_clear(&a, 1);
    return r;
}

int kube_fetch_post_all(struct kube_fetch *f, const char *path, const char *const *bodies, size_t n,
                        json_t **rets, struct kerr *err)
{
    if (n == 0 || n > KUBE_FETCH_MAX_POSTS)
        return kerr_set(err, -EINVAL, "POST %s: %zu requests at once (1 to %d)", path, n,
                        KUBE_FETCH_MAX_POSTS);
    struct answer ans[KUBE_FETCH_MAX_POSTS] = {0};
    /* KUBE_FETCH_POST_WINDOW at a time: each in flight is a connection of its own (HTTP/1.1),
     * and a standby that fails its check asks again every few seconds, on every node of a
     * surge. The deadline (kube_fetch_set_deadline()) is the whole's. */
    int r = 0;
    size_t asked = 0, got = 0;
    while (r == 0 && asked < n) {
        size_t k = n - asked < KUBE_FETCH_POST_WINDOW ? n - asked : KUBE_FETCH_POST_WINDOW;
        r = run_requests(f, "POST", path, bodies + asked, k, FETCH_DEADLINE_MS, ans + asked, err);
        asked += k;
        while (r == 0 && got < asked && (r = read_answer(f, path, &ans[got], &rets[got], err)) == 0)
            got++;
    }
    if (r < 0) /* all or none */
        for (size_t i = 0; i < got; i++) {
            json_decref(rets[i]);
            rets[i] = NULL;
        }
    answers_clear(ans, asked);
    return r;
}

int kube_fetch_list(struct kube_fetch *f, const char *path, size_t max_items,
                    int (*cb)(json_t *item, void *userdata), void *userdata, struct kerr *err)
{
    _cleanup_free_ char *cont = NULL;
    size_t seen = 0, pages = 0, empty = 0;
    int limit = FETCH_PAGE;
    for (;;) {
        /* A server that answers with pages forever (empty, each with a token) is not followed
         * for good: a list may have pages of no item (a field selector), not this many. */
        if (++pages > FETCH_MAX_PAGES)
            return kerr_set(err, -E2BIG, "%s: more than %d pages", path, FETCH_MAX_PAGES);
        _cleanup_free_ char *page = NULL;
        _cleanup_free_ char *esc = cont ? kube_escape(cont) : NULL;
        if (cont && !esc)
            return -ENOMEM;
        if (asprintf(&page, "%s%slimit=%d%s%s", path, strchr(path, '?') ? "&" : "?", limit,
                     esc ? "&continue=" : "", esc ? esc : "") < 0)
            return -ENOMEM;
        json_t *j = NULL;
        int r = kube_fetch_json(f, page, &j, err);
        if (r == -EFBIG && limit > 1) {
            /* A page of large objects (policies up to the API server's ~1.5 MB each) larger
             * than an answer may be: smaller pages from where the list is, as the agents do. */
            limit /= 2;
            *err = (struct kerr){0};
            continue;
        }
        if (r < 0)
            return r;
        json_t *items = json_object_get(j, "items");
        if (!json_is_array(items)) {
            /* Not read as an empty list (a Status sent with 200 by a proxy, {}): a list that
             * could not be read must not look like one without objects. */
            const char *kind = json_string_value(json_object_get(j, "kind"));
            const char *msg = json_string_value(json_object_get(j, "message"));
            r = kerr_set(err, -EPROTO, "%s: the answer is not a list (kind %s%s%s, no items array)",
                         path, kind ? kind : "not given", msg ? ": " : "", msg ? msg : "");
            json_decref(j);
            return r;
        }
        size_t i;
        json_t *it;
        r = 0;
        json_array_foreach(items, i, it)
        {
            if (++seen > max_items) {
                r = kerr_set(err, -E2BIG, "%s: more than %zu items", path, max_items);
                break;
            }
            if ((r = cb(it, userdata)) < 0)
                break;
        }
        const char *next =
            json_string_value(json_object_get(json_object_get(j, "metadata"), "continue"));
        /* next lives in j: read before j goes. */
        bool same = next && cont && strcmp(next, cont) == 0;
        /* A field selector may leave pages empty, not this many in a row. */
        empty = json_array_size(items) ? 0 : empty + 1;
        bool more = next && *next;
        free(cont);
        cont = more ? strdup(next) : NULL;
        json_decref(j);
        if (r < 0)
            return r;
        if (same)
            return kerr_set(err, -EPROTO, "%s: the API server gave the same continue token twice",
                            path);
        if (next && *next && empty >= FETCH_MAX_EMPTY_PAGES)
            return kerr_set(err, -EPROTO,
                            "%s: %d pages in a row without an item, each with a "
                            "continue token",
                            path, FETCH_MAX_EMPTY_PAGES);
        if (more && !cont)
            return -ENOMEM;
        if (!cont)
            return 0;
    }
}
