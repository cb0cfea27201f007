/*
 * core/src/upstream.c - asynchronous HTTP client for provider calls (libcurl multi_socket on an h2o evloop)
 * SPDX-License-Identifier: MIT
 *
 * Pattern: curl's sockets are watched by a private epoll set; curl's timer is a timerfd in the same set;
 * the epoll fd is registered with the h2o loop as one DONT_READ socket. When it becomes readable we drain
 * epoll_wait(0) and feed curl_multi_socket_action, then read finished transfers with curl_multi_info_read
 * and call their done callbacks (outside of any curl callback, so they may start or cancel calls).
 *
 * Timer cost: timerfd_settime is a syscall (about 20 us in a paravirtualised guest) and curl asks for a new
 * deadline on every curl_multi_add_handle (0 ms: "run me now") and after most socket actions. So:
 * - a 0 ms request runs from an h2o 0 ms timeout at the end of the current loop iteration (no syscall);
 * - the timerfd is re-armed only when curl's deadline moves EARLIER than the armed one. A later deadline
 *   leaves the timerfd armed early; when it fires we run curl's timeouts (harmless when none is due) and
 *   re-arm for the deadline curl last asked for (curl does not repeat an unchanged deadline).
 */
#include "upstream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "curlmem.h"
#include "log.h"
#include "mem.h"

#define MODULE "upstream"

/* Finished easy handles kept per client for reuse (curl_easy_reset keeps their allocations). */
#define EASY_POOL_MAX 64
/* curl socket events handled per loop wake-up: each may complete a call whose done callback builds and sends
   an answer (~0.1 ms), so a large batch would hold the loop for ms while /health waits (bench/RESULTS.md) */
#define UPSTREAM_BATCH 16


struct lf_upstream_call {
    struct lf_upstream *u;
    struct lf_upstream_call *prev, *next; /* live list */
    struct lf_upstream_call *next_reap;   /* cancelled-while-in-curl or failed-at-start list */
    CURL *easy;
    struct curl_slist *hdrs;
    char *url;
    char *req_body; /* our copy of the request body, sent by curl without a copy of its own */
    lf_upstream_done_cb done;
    lf_upstream_data_cb on_data;
    void *ctx;
    struct lf_sbuf headers, body;
    uint64_t start_ns, ttfb_ns;
    long status;
    int cancelled, aborted, too_big, in_multi, start_failed;
    char errbuf[CURL_ERROR_SIZE];
};

struct lf_upstream {
    h2o_loop_t *loop;
    CURLM *multi;
    int epfd, tfd;
    uint64_t want_ns; /* curl's requested deadline (CLOCK_MONOTONIC ns), 0 = none */
    uint64_t tfd_ns;  /* deadline the timerfd is armed for, 0 = disarmed or already fired */
    h2o_timeout_t zero_timeout; /* 0 ms h2o timeout: runs curl's "timeout now" without a syscall */
    h2o_timeout_entry_t zero_entry;
    int in_zero;      /* inside on_zero: a new 0 ms request goes to the timerfd (no livelock) */
    h2o_socket_t *sock;
    struct lf_upstream_config cfg;
    struct lf_upstream_call *live;
    struct lf_upstream_call *reap;
    size_t n_active;
    int in_action; /* inside curl_multi_socket_action: curl callbacks may be running */
    CURL *pool[EASY_POOL_MAX]; /* reusable easy handles, not in the multi */
    size_t n_pool;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}


int lf_upstream_global_init(void)
{
    return lf_curlmem_global_init(CURL_GLOBAL_DEFAULT) == 0 ? LF_OK : LF_EINTERNAL;
}

void lf_upstream_global_cleanup(void)
{
    lf_curlmem_global_cleanup();
}

/* Arm the timerfd for an absolute CLOCK_MONOTONIC deadline (a past one fires at once). */
static void arm_tfd(struct lf_upstream *u, uint64_t at_ns)
{
    struct itimerspec its;

    memset(&its, 0, sizeof(its));
    if (at_ns == 0)
        at_ns = 1; /* 0 would disarm */
    its.it_value.tv_sec = (time_t)(at_ns / 1000000000u);
    its.it_value.tv_nsec = (long)(at_ns % 1000000000u);
    (void)timerfd_settime(u->tfd, TFD_TIMER_ABSTIME, &its, NULL);
    u->tfd_ns = at_ns;
}

/* Run curl's timeouts (and the reap list) soon, from the loop, never re-entrantly. */
static void schedule_soon(struct lf_upstream *u)
{
    if (u->in_zero) {
        arm_tfd(u, now_ns()); /* next loop iteration */
        return;
    }
    if (!h2o_timeout_is_linked(&u->zero_entry))
        h2o_timeout_link(u->loop, &u->zero_timeout, &u->zero_entry);
}

/* Make sure the timerfd covers the deadline curl last asked for. */
static void rearm_if_needed(struct lf_upstream *u)
{
    if (u->want_ns != 0 && (u->tfd_ns == 0 || u->want_ns < u->tfd_ns))
        arm_tfd(u, u->want_ns);
}

static void socket_action(struct lf_upstream *u, curl_socket_t s, int flags);

/* Run curl's due timeouts. curl's timer is one-shot: a deadline that was due is consumed (curl reports the
   next one, if any, from inside socket_action); a deadline not yet due (the timerfd was armed earlier for a
   deadline since replaced by a later one) stays wanted, since curl does not repeat an unchanged deadline. */
static void run_timeouts(struct lf_upstream *u)
{
    if (u->want_ns != 0 && u->want_ns <= now_ns())
        u->want_ns = 0;
    socket_action(u, CURL_SOCKET_TIMEOUT, 0);
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct lf_upstream *u = userp;
    struct epoll_event ev;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        (void)epoll_ctl(u->epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    memset(&ev, 0, sizeof(ev));
    ev.data.fd = s;
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
    /* socketp is non-NULL once this socket is in the epoll set (curl forgets it on REMOVE): one syscall
       per change instead of a failing MOD before every ADD */
    if (socketp != NULL && epoll_ctl(u->epfd, EPOLL_CTL_MOD, s, &ev) == 0)
        return 0;
    if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, s, &ev) != 0 && errno == EEXIST)
        (void)epoll_ctl(u->epfd, EPOLL_CTL_MOD, s, &ev);
    curl_multi_assign(u->multi, s, u);
    return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct lf_upstream *u = userp;

    (void)multi;
    if (timeout_ms < 0) { /* no deadline: a timerfd still armed only causes one harmless early wake-up */
        u->want_ns = 0;
        if (h2o_timeout_is_linked(&u->zero_entry))
            h2o_timeout_unlink(&u->zero_entry);
        return 0;
    }
    /* curl rounds the time left down to whole ms: add 1 ms so that its timer is due when ours fires */
    u->want_ns = now_ns() + (uint64_t)(timeout_ms + (timeout_ms > 0)) * 1000000u;
    if (timeout_ms == 0) {
        schedule_soon(u);
        return 0;
    }
    if (h2o_timeout_is_linked(&u->zero_entry))
        h2o_timeout_unlink(&u->zero_entry);
    rearm_if_needed(u);
    return 0;
}

static void list_unlink(struct lf_upstream_call *c)
{
    struct lf_upstream *u = c->u;

    if (c->prev != NULL)
        c->prev->next = c->next;
    else if (u->live == c)
        u->live = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* Detach from curl and release everything of a call (no callback). */
static void call_destroy(struct lf_upstream_call *c)
{
    struct lf_upstream *u = c->u;

    if (c->in_multi) {
        curl_multi_remove_handle(u->multi, c->easy);
        c->in_multi = 0;
    }
    if (c->easy != NULL) {
        /* Reuse only handles whose transfer ran over HTTP/1.x: libcurl 7.88 can still deliver HTTP/2 frames of a
           finished stream to its easy handle, and a reset handle already carrying the next call crashed the
           gateway (answers larger than the receive buffer, 100 calls at once: tests/integration/
           test_upstream_h2.py, test_large_answers_many_waves). */
        long ver = 0;
        curl_easy_getinfo(c->easy, CURLINFO_HTTP_VERSION, &ver);
        if (u->n_pool < EASY_POOL_MAX && (ver == CURL_HTTP_VERSION_1_1 || ver == CURL_HTTP_VERSION_1_0 || ver == 0)) {
            curl_easy_reset(c->easy);
            u->pool[u->n_pool++] = c->easy;
        } else {
            curl_easy_cleanup(c->easy);
        }
    }
    curl_slist_free_all(c->hdrs);
    list_unlink(c);
    u->n_active--;
    lf_free(c->url);
    lf_free(c->req_body);
    lf_free(c->headers.p);
    lf_free(c->body.p);
    lf_free(c);
}

static int classify_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return LF_FAILURE_TIMEOUT;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return LF_FAILURE_INVALID_RESPONSE;
    default:
        return LF_FAILURE_CONNECT_ERROR;
    }
}

static void call_complete(struct lf_upstream_call *c, CURLcode rc)
{
    struct lf_upstream_result res;
    uint64_t t = now_ns();

    memset(&res, 0, sizeof(res));
    res.status = (int)c->status;
    res.headers = c->headers.p ? c->headers.p : "";
    res.headers_len = c->headers.len;
    res.body = c->body.p ? c->body.p : "";
    res.body_len = c->body.len;
    res.latency_us = (t - c->start_ns) / 1000u;
    res.ttfb_us = c->ttfb_ns ? (c->ttfb_ns - c->start_ns) / 1000u : 0;
    res.aborted = c->aborted;
    if (c->start_failed) {
        res.failure = LF_FAILURE_INVALID_RESPONSE;
        res.error = "the upstream request could not be started";
        res.status = 0;
    } else if (c->too_big) {
        res.failure = LF_FAILURE_INVALID_RESPONSE;
        res.error = "the upstream answer is too large";
    } else if (rc != CURLE_OK && !c->aborted) {
        res.failure = classify_curl(rc);
        res.error = res.failure == LF_FAILURE_TIMEOUT ? "the upstream did not answer in time"
                    : res.failure == LF_FAILURE_CONNECT_ERROR ? "the connection to the upstream failed"
                                                              : "the upstream answer could not be read";
        /* a transport failure after a partial answer still reports no usable status */
        if (res.failure != LF_FAILURE_INVALID_RESPONSE)
            res.status = 0;
        lf_log_debug(MODULE, "transfer failed: %s (%s)", curl_easy_strerror(rc), c->errbuf);
    }
    if (c->in_multi) {
        curl_multi_remove_handle(c->u->multi, c->easy);
        c->in_multi = 0;
    }
    c->done(c->ctx, &res);
    call_destroy(c);
}

static void reap(struct lf_upstream *u)
{
    while (u->reap != NULL) {
        struct lf_upstream_call *c = u->reap;
        u->reap = c->next_reap;
        c->next_reap = NULL;
        if (c->cancelled)
            call_destroy(c);
        else
            call_complete(c, CURLE_OK); /* start_failed */
    }
}

static void check_multi_info(struct lf_upstream *u)
{
    CURLMsg *msg;
    int left;

    for (;;) {
        msg = curl_multi_info_read(u->multi, &left);
        if (msg == NULL)
            break;
        if (msg->msg == CURLMSG_DONE) {
            struct lf_upstream_call *c = NULL;
            CURLcode rc = msg->data.result;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            if (c == NULL || c->cancelled)
                continue; /* reaped below */
            call_complete(c, rc);
        }
    }
    reap(u);
}

static void socket_action(struct lf_upstream *u, curl_socket_t s, int flags)
{
    int running = 0;

    u->in_action = 1;
    curl_multi_socket_action(u->multi, s, flags, &running);
    u->in_action = 0;
}

static void on_zero(h2o_timeout_entry_t *entry)
{
    struct lf_upstream *u = H2O_STRUCT_FROM_MEMBER(struct lf_upstream, zero_entry, entry);

    u->in_zero = 1;
    run_timeouts(u);
    check_multi_info(u);
    u->in_zero = 0;
    rearm_if_needed(u);
}

static void on_ready(h2o_socket_t *sock, const char *err)
{
    struct lf_upstream *u = sock->data;
    struct epoll_event ev[UPSTREAM_BATCH];
    int n, i;

    (void)err;
    /* One batch per wake-up: h2o watches epfd level-triggered, so events left over wake us again on the
       next loop iteration, after h2o served its own sockets (keeps /health answering under load). */
    {
        n = epoll_wait(u->epfd, ev, UPSTREAM_BATCH, 0);
        for (i = 0; i < n; i++) {
            if (ev[i].data.fd == u->tfd) {
                uint64_t x;
                (void)!read(u->tfd, &x, sizeof(x));
                u->tfd_ns = 0;
                run_timeouts(u);
                rearm_if_needed(u);
                continue;
            }
            int f = ((ev[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) | ((ev[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                    ((ev[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
            socket_action(u, ev[i].data.fd, f);
        }
        check_multi_info(u);
    }
}

static size_t header_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    struct lf_upstream_call *c = userp;
    size_t n = size * nmemb;

    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) { /* a new status line: keep only the final block */
        c->headers.len = 0;
        if (c->headers.p != NULL)
            c->headers.p[0] = '\0';
    }
    if (c->headers.len + n > 256 * 1024)
        return 0;
    lf_sbuf_add(&c->headers, data, n);
    if (n == 2 && data[0] == '\r') { /* end of a header block */
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->status);
        if (c->status >= 200 && c->ttfb_ns == 0)
            c->ttfb_ns = now_ns();
    }
    return n;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
    struct lf_upstream_call *c = userp;
    size_t n = size * nmemb;

    if (c->cancelled)
        return 0;
    if (c->status == 0)
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &c->status);
    if (c->on_data != NULL && c->status >= 200 && c->status < 300) {
        if (c->on_data(c->ctx, (int)c->status, data, n) != 0) {
            c->aborted = 1;
            return 0;
        }
        return n;
    }
    if (c->body.len + n > c->u->cfg.max_body_bytes) {
        c->too_big = 1;
        return 0;
    }
    lf_sbuf_add(&c->body, data, n);
    return n;
}

struct lf_upstream *lf_upstream_new(h2o_loop_t *loop, const struct lf_upstream_config *cfg)
{
    struct lf_upstream *u = lf_calloc(1, sizeof(*u));
    struct epoll_event ev;

    u->loop = loop;
    u->epfd = u->tfd = -1;
    h2o_timeout_init(loop, &u->zero_timeout, 0);
    u->zero_entry.cb = on_zero;
    if (cfg != NULL)
        u->cfg = *cfg;
    if (u->cfg.default_timeout_ms == 0)
        u->cfg.default_timeout_ms = 30000;
    if (u->cfg.connect_timeout_ms == 0)
        u->cfg.connect_timeout_ms = 10000;
    if (u->cfg.max_connects == 0)
        u->cfg.max_connects = 1024;
    if (u->cfg.max_body_bytes == 0)
        u->cfg.max_body_bytes = (size_t)16 << 20;

    u->epfd = epoll_create1(EPOLL_CLOEXEC);
    u->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (u->epfd < 0 || u->tfd < 0)
        goto Error;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.fd = u->tfd;
    if (epoll_ctl(u->epfd, EPOLL_CTL_ADD, u->tfd, &ev) != 0)
        goto Error;
    u->multi = curl_multi_init();
    if (u->multi == NULL)
        goto Error;
    curl_multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u);
    curl_multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(u->multi, CURLMOPT_TIMERDATA, u);
    curl_multi_setopt(u->multi, CURLMOPT_MAXCONNECTS, (long)u->cfg.max_connects);
    curl_multi_setopt(u->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    /* HTTP/2: up to 1,000 calls share one connection (curl's own cap is 100; the server's SETTINGS still
       bound it). With curl's cap, 10,000 calls in flight opened 100+ TLS connections in a burst; with this
       one, tens (bench/RESULTS.md, "Scale"). PIPEWAIT (below) makes new calls wait for a connection being
       set up instead of each opening its own. */
    curl_multi_setopt(u->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, 1000L);
    u->sock = h2o_evloop_socket_create(loop, u->epfd, H2O_SOCKET_FLAG_DONT_READ);
    u->sock->data = u;
    h2o_socket_read_start(u->sock, on_ready);
    return u;

Error:
    lf_log_error(MODULE, "cannot create the upstream client: %s", strerror(errno));
    if (u->multi != NULL)
        curl_multi_cleanup(u->multi);
    if (u->epfd >= 0)
        close(u->epfd);
    if (u->tfd >= 0)
        close(u->tfd);
    h2o_timeout_dispose(loop, &u->zero_timeout);
    lf_free(u);
    return NULL;
}

void lf_upstream_free(struct lf_upstream *u)
{
    if (u == NULL)
        return;
    while (u->live != NULL)
        call_destroy(u->live); /* also unlinks from the reap list's owner: clear it below */
    u->reap = NULL;
    while (u->n_pool > 0)
        curl_easy_cleanup(u->pool[--u->n_pool]);
    curl_multi_cleanup(u->multi); /* closes the cached connections (sock_cb REMOVE may run) */
    h2o_socket_read_stop(u->sock);
    h2o_socket_close(u->sock); /* closes epfd */
    close(u->tfd);
    if (h2o_timeout_is_linked(&u->zero_entry))
        h2o_timeout_unlink(&u->zero_entry);
    h2o_timeout_dispose(u->loop, &u->zero_timeout);
    lf_free(u);
}

size_t lf_upstream_active(const struct lf_upstream *u)
{
    return u->n_active;
}

static struct curl_slist *build_headers(const char *hdrs)
{
    struct curl_slist *l = NULL, *t;
    const char *p = hdrs, *e;

    while (p != NULL && *p != '\0') {
        e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n > 0) {
            char *line = lf_strndup(p, n);
            t = curl_slist_append(l, line);
            lf_free(line);
            if (t == NULL)
                abort();
            l = t;
        }
        p = e ? e + 1 : NULL;
    }
    t = curl_slist_append(l, "Expect:");
    if (t == NULL)
        abort();
    return t;
}

struct lf_upstream_call *lf_upstream_start(struct lf_upstream *u, const struct lf_http_request *req,
                                           uint32_t timeout_ms, const struct lf_upstream_opts *opts,
                                           lf_upstream_done_cb done,
                                           lf_upstream_data_cb on_data, void *ctx)
{
    struct lf_upstream_call *c = lf_calloc(1, sizeof(*c));
    const char *method = req->method ? req->method : "GET";
    uint32_t connect_ms;
    CURL *e;

    c->u = u;
    c->done = done;
    c->on_data = on_data;
    c->ctx = ctx;
    c->start_ns = now_ns();
    c->next = u->live;
    if (u->live != NULL)
        u->live->prev = c;
    u->live = c;
    u->n_active++;

    if (timeout_ms == 0)
        timeout_ms = req->timeout_ms;
    if (timeout_ms == 0)
        timeout_ms = u->cfg.default_timeout_ms;
    connect_ms = u->cfg.connect_timeout_ms < timeout_ms ? u->cfg.connect_timeout_ms : timeout_ms;

    e = c->easy = u->n_pool > 0 ? u->pool[--u->n_pool] : curl_easy_init();
    if (e == NULL || req->url == NULL)
        goto Fail;
    c->url = lf_strdup(req->url);
    c->hdrs = build_headers(req->headers);
    curl_easy_setopt(e, CURLOPT_URL, c->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)c);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->hdrs);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
    /* HTTP/2 only over TLS (ALPN): libcurl 7.88's h2c prior knowledge breaks every reused connection ("Error
       in the HTTP2 framing layer", seen against nginx), so cleartext stays HTTP/1.1 */
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     u->cfg.disable_http2 || (opts != NULL && opts->http == LF_UPSTREAM_HTTP_1_1)
                         ? (long)CURL_HTTP_VERSION_1_1
                         : (long)CURL_HTTP_VERSION_2TLS);
    if (opts != NULL && opts->tls_ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, opts->tls_ca_file);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    /* Receive buffer per transfer (curl's default 16 KiB) and the TLS send copy buffer (default 64 KiB,
       allocated for every HTTPS request): provider answers arrive in a few KiB pieces, and these buffers
       are held for every request in flight (bench/RESULTS.md, "Tuning (issue 4)"). */
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 4096L);
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, (long)lf_curlmem_slot_size()); /* served from a pool: curlmem.c */
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
        /* one copy of the body, held until the call ends (COPYPOSTFIELDS would make curl hold a second one
           for every request in flight while the caller keeps its own) */
        size_t blen = req->body ? req->body_len : 0;
        c->req_body = lf_malloc(blen + 1);
        if (blen > 0)
            memcpy(c->req_body, req->body, blen);
        c->req_body[blen] = '\0';
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->req_body);
    }
    if (curl_multi_add_handle(u->multi, e) != CURLM_OK)
        goto Fail;
    c->in_multi = 1;
    return c;

Fail:
    /* complete on a later loop iteration, never re-entrantly */
    c->start_failed = 1;
    c->next_reap = u->reap;
    u->reap = c;
    schedule_soon(u);
    return c;
}

void lf_upstream_cancel(struct lf_upstream_call *c)
{
    struct lf_upstream *u;

    if (c == NULL || c->cancelled)
        return;
    u = c->u;
    if (c->start_failed) { /* already queued on the reap list: just mark it */
        c->cancelled = 1;
        return;
    }
    c->cancelled = 1;
    if (u->in_action) { /* inside a curl callback: defer the removal */
        c->next_reap = u->reap;
        u->reap = c;
        schedule_soon(u);
        return;
    }
    call_destroy(c);
}
