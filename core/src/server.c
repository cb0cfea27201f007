/*
 * core/src/server.c - h2o workers, dispatch, auth, error shape, responses, graceful shutdown
 * SPDX-License-Identifier: MIT
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"
#include "config.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "upstream.h"
#include "util.h"

#define MODULE "server"

struct lf_server_state lf_server;
static h2o_globalconf_t globalconf;
static __thread struct lf_worker *self_worker;

struct lf_worker *lf_worker_self(void)
{
    return self_worker;
}

h2o_timeout_t *lf_worker_timeout(struct lf_worker *w, uint32_t ms)
{
    size_t best = 0;
    for (size_t i = 0; i < w->ntimeouts; ++i) {
        if (w->timeout_ms[i] == ms)
            return &w->timeouts[i];
        uint32_t d = w->timeout_ms[i] > ms ? w->timeout_ms[i] - ms : ms - w->timeout_ms[i];
        uint32_t bd = w->timeout_ms[best] > ms ? w->timeout_ms[best] - ms : ms - w->timeout_ms[best];
        if (d < bd)
            best = i;
    }
    /* timeouts are linked into the loop by address: the array is allocated once and never moves */
    if (w->ntimeouts == LF_WORKER_MAX_TIMEOUTS)
        return &w->timeouts[best];
    size_t i = w->ntimeouts++;
    w->timeout_ms[i] = ms;
    h2o_timeout_init(w->ctx.loop, &w->timeouts[i], ms);
    return &w->timeouts[i];
}

void lf_worker_dispose_timeouts(struct lf_worker *w)
{
    for (size_t i = 0; i < w->ntimeouts; ++i)
        if (h2o_linklist_is_empty(&w->timeouts[i]._entries))
            h2o_timeout_dispose(w->ctx.loop, &w->timeouts[i]);
    w->ntimeouts = 0;
}

struct lf_worker *lf_worker_private_new(void)
{
    struct lf_worker *w = lf_calloc(1, sizeof(*w));
    w->ctx.loop = h2o_evloop_create();
    h2o_linklist_init_anchor(&w->deferred);
    w->timeouts = lf_calloc(LF_WORKER_MAX_TIMEOUTS, sizeof(*w->timeouts));
    w->timeout_ms = lf_calloc(LF_WORKER_MAX_TIMEOUTS, sizeof(*w->timeout_ms));
    w->upstream = lf_upstream_new(w->ctx.loop, NULL);
    return w;
}

void lf_worker_private_free(struct lf_worker *w)
{
    if (w == NULL)
        return;
    lf_upstream_free(w->upstream);
    lf_worker_dispose_timeouts(w);
    h2o_evloop_destroy(w->ctx.loop);
    lf_free(w->timeouts);
    lf_free(w->timeout_ms);
    lf_free(w);
}

/* ---- responses ---- */

static void add_header(struct lf_http *h, const char *name, const char *value)
{
    h2o_req_t *req = h->req;
    size_t nl = strlen(name), vl = strlen(value);
    char *n = h2o_mem_alloc_pool(&req->pool, nl + 1);
    char *v = h2o_mem_alloc_pool(&req->pool, vl + 1);
    memcpy(n, name, nl + 1);
    memcpy(v, value, vl + 1);
    h2o_add_header_by_str(&req->pool, &req->res.headers, n, nl, 1, NULL, v, vl);
}

void lf_http_add_header(struct lf_http *h, const char *name, const char *value)
{
    if (h->responded || h->gone)
        return;
    add_header(h, name, value);
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    }
    return "OK";
}

static void finish(struct lf_http *h, int status, const char *ctype, const char *body, size_t len)
{
    h2o_req_t *req = h->req;
    char buf[64];
    h->responded = 1;
    req->res.status = status;
    req->res.reason = reason(status);
    if (ctype != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype, strlen(ctype));
    add_header(h, "X-Request-Id", h->request_id);
    if (h->rl_set) {
        snprintf(buf, sizeof(buf), "%ld", h->rl_limit);
        add_header(h, "X-RateLimit-Limit", buf);
        snprintf(buf, sizeof(buf), "%ld", h->rl_remaining);
        add_header(h, "X-RateLimit-Remaining", buf);
        snprintf(buf, sizeof(buf), "%ld", h->rl_reset);
        add_header(h, "X-RateLimit-Reset", buf);
    }
    uint64_t total_ns = lf_now_ns() - h->start_ns;
    uint64_t overhead_ns = total_ns > h->upstream_ns ? total_ns - h->upstream_ns : 0;
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(overhead_ns / 1000));
    add_header(h, "X-LF-Overhead-Us", buf);
    req->res.content_length = len;
    lf_app_on_response(h, status, total_ns, overhead_ns, len);
    h2o_send_inline(req, body, len);
}

void lf_http_send_raw(struct lf_http *h, int status, const char *content_type, const char *body, size_t len)
{
    if (h->responded || h->gone)
        return;
    finish(h, status, content_type, body, len);
}

void lf_http_send_json(struct lf_http *h, int status, json_t *body)
{
    if (h->responded || h->gone) {
        json_decref(body);
        return;
    }
    char *s = body != NULL ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) : NULL;
    json_decref(body);
    if (s == NULL) {
        static const char fallback[] = "{\"error\":{\"code\":\"INTERNAL_ERROR\",\"message\":\"internal error\"}}";
        finish(h, 500, "application/json; charset=utf-8", fallback, sizeof(fallback) - 1);
        return;
    }
    finish(h, status, "application/json; charset=utf-8", s, strlen(s));
    free(s);
}

json_t *lf_http_error_json(const char *request_id, const char *code, const char *message, json_t *details)
{
    json_t *err = json_pack("{s:s,s:s}", "code", code, "message", message);
    json_object_set_new(err, "details", details != NULL ? details : json_object());
    json_object_set_new(err, "request_id", json_string(request_id ? request_id : ""));
    return json_pack("{s:o}", "error", err);
}

void lf_http_send_error(struct lf_http *h, int status, const char *code, json_t *details, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (status == 500)
        lf_log_fields(LF_LOG_LVL_ERROR, MODULE, json_pack("{s:s}", "request_id", h->request_id), "internal error: %s",
                      msg);
    lf_http_send_json(h, status, lf_http_error_json(h->request_id, code, status == 500 ? "internal error" : msg, details));
}

static int json_depth(const json_t *v, int depth)
{
    if (depth > 32)
        return depth;
    int max = depth;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)(uintptr_t)v, k, c)
        {
            int d = json_depth(c, depth + 1);
            if (d > max)
                max = d;
            if (max > 32)
                break;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c)
        {
            int d = json_depth(c, depth + 1);
            if (d > max)
                max = d;
            if (max > 32)
                break;
        }
    }
    return max;
}

json_t *lf_http_body_json(struct lf_http *h)
{
    h2o_req_t *req = h->req;
    if (req->entity.base == NULL || req->entity.len == 0) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s}", "field", "body"), "request body is required");
        return NULL;
    }
    json_error_t je;
    json_t *v = json_loadb(req->entity.base, req->entity.len, JSON_REJECT_DUPLICATES, &je);
    if (v == NULL) {
        lf_http_send_error(h, 400, "INVALID_REQUEST",
                           json_pack("{s:s,s:i,s:i}", "field", "body", "line", je.line, "column", je.column),
                           "malformed JSON: %s", je.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s}", "field", "body"),
                           "request body must be a JSON object");
        return NULL;
    }
    if (json_depth(v, 1) > 32) {
        json_decref(v);
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s,s:i}", "field", "body", "max_depth", 32),
                           "JSON nesting deeper than 32 levels");
        return NULL;
    }
    return v;
}

const char *lf_http_param(struct lf_http *h, int i)
{
    if (i < 0 || i >= h->nparams)
        return "";
    char *s = h2o_mem_alloc_pool(&h->req->pool, h->params[i].len + 1);
    memcpy(s, h->params[i].base, h->params[i].len);
    s[h->params[i].len] = '\0';
    return s;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

const char *lf_http_query(struct lf_http *h, const char *name)
{
    h2o_req_t *req = h->req;
    if (req->query_at == SIZE_MAX)
        return NULL;
    const char *q = req->path.base + req->query_at + 1, *end = req->path.base + req->path.len;
    size_t nl = strlen(name);
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        if (amp == NULL)
            amp = end;
        const char *eq = memchr(q, '=', (size_t)(amp - q));
        const char *kend = eq != NULL ? eq : amp;
        if ((size_t)(kend - q) == nl && memcmp(q, name, nl) == 0) {
            const char *v = eq != NULL ? eq + 1 : amp;
            char *out = h2o_mem_alloc_pool(&req->pool, (size_t)(amp - v) + 1);
            size_t o = 0;
            for (const char *p = v; p < amp; ++p) {
                if (*p == '+') {
                    out[o++] = ' ';
                } else if (*p == '%' && p + 2 < amp && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
                    out[o++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
                    p += 2;
                } else {
                    out[o++] = *p;
                }
            }
            out[o] = '\0';
            return out;
        }
        q = amp + 1;
    }
    return NULL;
}

/* ---- dispatch ---- */

static int valid_request_id(const char *s, size_t len)
{
    if (len == 0 || len > 128)
        return 0;
    for (size_t i = 0; i < len; ++i) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

static void gen_request_id(struct lf_worker *w, char *out)
{
    /* xorshift64* per worker, seeded from getrandom: unique enough for correlation, not a secret */
    uint64_t x = w->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    w->rng = x;
    uint64_t a = x * 0x2545F4914F6CDD1DULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    w->rng = x;
    uint64_t b = x * 0x2545F4914F6CDD1DULL;
    snprintf(out, 40, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

/* Match `path` against `pattern`; captures {} segments. */
static int match(const char *pattern, const char *path, size_t plen, h2o_iovec_t *params, int *nparams)
{
    const char *p = pattern, *s = path, *end = path + plen;
    int n = 0;
    while (*p != '\0') {
        if (p[0] == '{' && p[1] == '}') {
            const char *seg = s;
            while (s < end && *s != '/')
                ++s;
            if (s == seg || n >= 4)
                return 0;
            params[n++] = h2o_iovec_init(seg, (size_t)(s - seg));
            p += 2;
            continue;
        }
        if (s >= end || *p != *s)
            return 0;
        ++p;
        ++s;
    }
    if (s != end)
        return 0;
    *nparams = n;
    return 1;
}

static void on_pool_dispose(void *p)
{
    struct lf_http *h = p;
    if (h2o_linklist_is_linked(&h->deferred_link)) /* the client left before its start ran: never start it */
        h2o_linklist_unlink(&h->deferred_link);
    if (!h->responded) {
        h->gone = 1;
        if (h->on_gone != NULL)
            h->on_gone(h);
    }
    atomic_fetch_sub(&h->worker->inflight, 1);
}

static int header_value(h2o_req_t *req, const h2o_token_t *tok, h2o_iovec_t *out)
{
    ssize_t i = h2o_find_header(&req->headers, tok, -1);
    if (i < 0)
        return 0;
    *out = req->headers.entries[i].value;
    return 1;
}

static int is_json_content_type(h2o_iovec_t v)
{
    static const char json[] = "application/json";
    size_t n = sizeof(json) - 1;
    if (v.len < n || strncasecmp(v.base, json, n) != 0)
        return 0;
    return v.len == n || v.base[n] == ';' || v.base[n] == ' ';
}

static int defer_start(struct lf_worker *w, struct lf_http *h);

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    struct lf_worker *w = self_worker;
    struct lf_http *h = h2o_mem_alloc_shared(&req->pool, sizeof(*h), on_pool_dispose);
    memset(h, 0, sizeof(*h));
    h->req = req;
    h->worker = w;
    h->start_ns = lf_now_ns();
    atomic_fetch_add(&w->inflight, 1);

    h2o_iovec_t rid = {NULL, 0};
    ssize_t ri = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
    if (ri >= 0)
        rid = req->headers.entries[ri].value;
    if (ri >= 0 && valid_request_id(rid.base, rid.len)) {
        memcpy(h->request_id, rid.base, rid.len);
        h->request_id[rid.len] = '\0';
    } else {
        gen_request_id(w, h->request_id);
    }
    {
        struct sockaddr_storage ss;
        socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
        h->client_addr[0] = '\0';
        if (sl > 0 && ss.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, h->client_addr, sizeof(h->client_addr));
        else if (sl > 0 && ss.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, h->client_addr, sizeof(h->client_addr));
    }

    /* 404 -> 405 */
    const char *path = req->path_normalized.base;
    size_t plen = req->path_normalized.len;
    const struct lf_route *found = NULL;
    int path_known = 0;
    char allow[128] = "";
    for (size_t i = 0; i < lf_nroutes; ++i) {
        const struct lf_route *r = &lf_routes[i];
        h2o_iovec_t params[4];
        int np = 0;
        if (!match(r->pattern, path, plen, params, &np))
            continue;
        path_known = 1;
        int same = strlen(r->method) == req->method.len && memcmp(r->method, req->method.base, req->method.len) == 0;
        int head = strcmp(r->method, "GET") == 0 && h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
        if ((same || head) && found == NULL) {
            found = r;
            memcpy(h->params, params, sizeof(params));
            h->nparams = np;
        }
        if (strstr(allow, r->method) == NULL) {
            if (allow[0] != '\0')
                strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
            strncat(allow, r->method, sizeof(allow) - strlen(allow) - 1);
        }
    }
    if (!path_known) {
        h->route = NULL;
        lf_http_send_error(h, 404, "NOT_FOUND", json_pack("{s:s%}", "path", path, plen), "no such endpoint");
        return 0;
    }
    if (found == NULL) {
        add_header(h, "Allow", allow);
        lf_http_send_error(h, 405, "METHOD_NOT_ALLOWED",
                           json_pack("{s:s#,s:s}", "method", req->method.base, (int)req->method.len, "allowed", allow),
                           "method %.*s is not allowed on this path", (int)req->method.len, req->method.base);
        return 0;
    }
    h->route = found;
    /* 413 */
    const struct lf_config *cfg = lf_app_config();
    if (req->entity.base != NULL && req->entity.len > cfg->max_body_bytes) {
        lf_http_send_error(h, 413, "PAYLOAD_TOO_LARGE",
                           json_pack("{s:I,s:I}", "limit_bytes", (json_int_t)cfg->max_body_bytes, "received_bytes",
                                     (json_int_t)req->entity.len),
                           "request body exceeds %zu bytes", cfg->max_body_bytes);
        return 0;
    }
    /* 401 -> 403 -> 429 */
    if (lf_app_authorize(h) != 0)
        return 0;
    /* 415 */
    if (found->flags & LF_ROUTE_JSON_BODY) {
        h2o_iovec_t ct;
        if (!header_value(req, H2O_TOKEN_CONTENT_TYPE, &ct) || !is_json_content_type(ct)) {
            lf_http_send_error(h, 415, "UNSUPPORTED_MEDIA_TYPE",
                               json_pack("{s:s}", "expected", "application/json"),
                               "request body must be sent as application/json");
            return 0;
        }
    }
    if ((found->flags & LF_ROUTE_GENERATION) && defer_start(w, h))
        return 0;
    found->fn(h);
    return 0;
}

/* ---- Deferred starts ----
 * A burst of thousands of generation requests becomes readable in one epoll batch (h2o takes up to 256 events
 * per iteration and runs them all). Each start costs ~0.1 ms (routing, prompt, provider request, curl), so an
 * iteration could run for tens of ms and every cheap request in the same or the next batch (/health, metrics)
 * would wait for it. Generation starts therefore get LF_START_BUDGET_NS of each iteration; later ones wait in
 * FIFO order and run after the iteration (again within the budget), with the loop polling without sleeping
 * until the queue is empty. Nothing is dropped and the order is kept; a client that leaves while queued is
 * unlinked (on_pool_dispose). A single request on an idle worker runs at once, as before. */
#define LF_START_BUDGET_NS 1000000u

static int defer_start(struct lf_worker *w, struct lf_http *h)
{
    uint64_t now = lf_now_ns();
    if (h2o_linklist_is_empty(&w->deferred)) {
        if (w->iter_heavy_t0_ns == 0)
            w->iter_heavy_t0_ns = now;
        if (now - w->iter_heavy_t0_ns < LF_START_BUDGET_NS)
            return 0;
    }
    h2o_linklist_insert(&w->deferred, &h->deferred_link);
    lf_metrics_deferred_start(w->metrics);
    return 1;
}

static void run_deferred(struct lf_worker *w)
{
    uint64_t t0 = lf_now_ns();
    while (!h2o_linklist_is_empty(&w->deferred)) {
        struct lf_http *h = H2O_STRUCT_FROM_MEMBER(struct lf_http, deferred_link, w->deferred.next);
        h2o_linklist_unlink(&h->deferred_link);
        h->route->fn(h);
        if (lf_now_ns() - t0 >= LF_START_BUDGET_NS)
            break;
    }
}

/* ---- workers ---- */

static int open_listener(const char *host, int port, char *err, size_t errlen)
{
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    int fd = -1, on = 1, v6 = 0;
    memset(&a4, 0, sizeof(a4));
    memset(&a6, 0, sizeof(a6));
    if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)port);
        v6 = 1;
    } else {
        snprintf(err, errlen, "$.server.host: \"%s\" is not an IP address", host);
        return -1;
    }
    fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        goto Error;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0)
        goto Error;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    if ((v6 ? bind(fd, (struct sockaddr *)&a6, sizeof(a6)) : bind(fd, (struct sockaddr *)&a4, sizeof(a4))) != 0)
        goto Error;
    if (listen(fd, SOMAXCONN) != 0)
        goto Error;
    return fd;
Error:
    snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    struct lf_worker *w = listener->data;
    for (int i = 0; i < 64; ++i) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            break;
        h2o_accept(&w->accept, sock);
    }
}

static void close_listener(struct lf_worker *w)
{
    if (w->listener != NULL) {
        h2o_socket_read_stop(w->listener);
        h2o_socket_close(w->listener);
        w->listener = NULL;
        w->listen_fd = -1;
    }
}

static void *worker_main(void *arg)
{
    struct lf_worker *w = arg;
    self_worker = w;
    /* h2o gives every connection an input buffer of this capacity (8 KiB by default, thread-local) and keeps it
       while a request waits for its upstream. Requests to this API are small (h2o's own read asks for 4 KiB at
       a time, larger bodies grow the buffer): 4 KiB saves ~4 KB per connection held open. */
    h2o_socket_buffer_prototype._initial_buf.capacity = 4096;
    lf_app_worker_bind(w);
    const struct lf_config *cfg = lf_app_config();
    uint64_t stop_deadline = 0;
    int shutdown_requested = 0;

    while (1) {
        w->iter_heavy_t0_ns = 0;
        h2o_evloop_run(w->ctx.loop, h2o_linklist_is_empty(&w->deferred) ? 50 : 0);
        run_deferred(w);
        if (atomic_load(&lf_server.stopping)) {
            if (!shutdown_requested) {
                shutdown_requested = 1;
                close_listener(w);
                h2o_context_request_shutdown(&w->ctx);
                stop_deadline = lf_now_ms() + (uint64_t)cfg->shutdown_timeout_ms;
            }
            if (atomic_load(&w->inflight) == 0 || lf_now_ms() >= stop_deadline)
                break;
        }
    }
    /* let answered connections close (bounded): disposing a context with live connections is not allowed */
    uint64_t linger_until = lf_now_ms() + 1000;
    while ((!h2o_linklist_is_empty(&w->ctx.http1._conns) || !h2o_linklist_is_empty(&w->ctx.http2._conns)) &&
           lf_now_ms() < linger_until)
        h2o_evloop_run(w->ctx.loop, 20);
    w->lingering = !h2o_linklist_is_empty(&w->ctx.http1._conns) || !h2o_linklist_is_empty(&w->ctx.http2._conns);
    /* h2o's own timers (e.g. the one-second tick) may still hold entries: let them run out, bounded */
    h2o_timeout_t *own[] = {&w->ctx.zero_timeout,      &w->ctx.one_sec_timeout,    &w->ctx.hundred_ms_timeout,
                            &w->ctx.handshake_timeout, &w->ctx.http1.req_timeout,  &w->ctx.http2.idle_timeout,
                            &w->ctx.http2.graceful_shutdown_timeout, &w->ctx.proxy.io_timeout};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); ++i) {
        while (!h2o_linklist_is_empty(&own[i]->_entries) && lf_now_ms() < linger_until + 1500)
            h2o_evloop_run(w->ctx.loop, 20);
        if (!h2o_linklist_is_empty(&own[i]->_entries)) {
            lf_log_debug(MODULE, "worker %u: h2o timeout %zu still has entries at exit", w->id, i);
            w->lingering = 1;
        }
    }
    if (atomic_load(&w->inflight) != 0)
        lf_log_warn(MODULE, "worker %u: shutdown timeout with %ld requests still in flight", w->id,
                    atomic_load(&w->inflight));
    lf_app_worker_stop(w);
    return NULL;
}

static int setup_worker(struct lf_worker *w, unsigned id, const struct lf_config *cfg, int port, char *err,
                        size_t errlen)
{
    memset(w, 0, sizeof(*w));
    w->id = id;
    lf_random_bytes(&w->rng, sizeof(w->rng));
    w->rng |= 1;
    w->listen_fd = open_listener(cfg->host, port, err, errlen);
    if (w->listen_fd < 0)
        return -1;
    h2o_context_init(&w->ctx, h2o_evloop_create(), &globalconf);
    h2o_linklist_init_anchor(&w->deferred);
    w->accept.ctx = &w->ctx;
    w->accept.hosts = globalconf.hosts;
    w->timeouts = lf_calloc(LF_WORKER_MAX_TIMEOUTS, sizeof(*w->timeouts));
    w->timeout_ms = lf_calloc(LF_WORKER_MAX_TIMEOUTS, sizeof(*w->timeout_ms));
    w->listener = h2o_evloop_socket_create(w->ctx.loop, w->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    w->listener->data = w;
    h2o_socket_read_start(w->listener, on_accept);
    return 0;
}

static void dispose_worker(struct lf_worker *w)
{
    close_listener(w);
    if (w->lingering)
        return; /* idle keep-alive clients still connected: the process exits without tearing the loop down */
    h2o_context_dispose(&w->ctx);
    lf_worker_dispose_timeouts(w);
    h2o_evloop_destroy(w->ctx.loop);
    lf_free(w->timeouts);
    lf_free(w->timeout_ms);
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

int lf_server_run(void)
{
    const struct lf_config *cfg = lf_app_config();
    char err[256];
    sigset_t set;

    /* signals are handled by the main thread only (sigwait) */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    h2o_config_init(&globalconf);
    globalconf.server_name = h2o_iovec_init(H2O_STRLIT("lafactoria"));
    /* h2o's own cap stays far above ours so that our handler answers 413 in JSON */
    globalconf.max_request_entity_size = cfg->max_body_bytes * 4 + (1u << 20);
    h2o_hostconf_t *hc = h2o_config_register_host(&globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pc = h2o_config_register_path(hc, "/", 0);
    h2o_create_handler(pc, sizeof(h2o_handler_t))->on_req = on_req;

    lf_server.nworkers = (unsigned)cfg->workers;
    lf_server.workers = lf_calloc(lf_server.nworkers, sizeof(*lf_server.workers));
    int port = cfg->port;
    for (unsigned i = 0; i < lf_server.nworkers; ++i) {
        if (setup_worker(&lf_server.workers[i], i, cfg, port, err, sizeof(err)) != 0) {
            lf_log_error(MODULE, "%s", err);
            fprintf(stderr, "lafactoria: %s\n", err);
            for (unsigned k = 0; k < i; ++k)
                dispose_worker(&lf_server.workers[k]);
            lf_free(lf_server.workers);
            return 1;
        }
        if (i == 0 && port == 0)
            port = bound_port(lf_server.workers[0].listen_fd); /* ephemeral: the others share it */
        if (lf_app_worker_init(&lf_server.workers[i], err, sizeof(err)) != 0) {
            lf_log_error(MODULE, "%s", err);
            return 1;
        }
    }
    lf_server.port = port;
    lf_server.started_ms = lf_wall_ms();
    lf_server.started_mono_ms = lf_now_ms();
    for (unsigned i = 0; i < lf_server.nworkers; ++i)
        pthread_create(&lf_server.workers[i].tid, NULL, worker_main, &lf_server.workers[i]);
    lf_log_fields(LF_LOG_LVL_INFO, MODULE,
                  json_pack("{s:i,s:i,s:s}", "port", port, "workers", (int)lf_server.nworkers, "environment",
                            cfg->environment),
                  "listening on %s:%d", cfg->host, port);
    /* a machine-readable line for scripts and tests */
    fprintf(stderr, "LISTENING %d\n", port);
    fflush(stderr);

    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            int ok;
            json_t *r = lf_server_reload(&ok);
            json_decref(r);
            continue;
        }
        if (sig == SIGTERM || sig == SIGINT) {
            lf_log_info(MODULE, "received %s: stopping (finishing in-flight requests)", sig == SIGTERM ? "SIGTERM"
                                                                                                      : "SIGINT");
            break;
        }
    }
    atomic_store(&lf_server.stopping, 1);
    for (unsigned i = 0; i < lf_server.nworkers; ++i)
        pthread_join(lf_server.workers[i].tid, NULL);
    int lingering = 0;
    for (unsigned i = 0; i < lf_server.nworkers; ++i) {
        lingering |= lf_server.workers[i].lingering;
        dispose_worker(&lf_server.workers[i]);
    }
    if (!lingering) {
        lf_free(lf_server.workers);
        lf_server.workers = NULL;
        h2o_config_dispose(&globalconf);
    }
    lf_log_info(MODULE, "stopped");
    return 0;
}
