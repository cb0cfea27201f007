/*
 * core/src/server.h - the HTTP server: workers, routing table, per-request context, responses
 * SPDX-License-Identifier: MIT
 *
 * N worker threads, each with its own h2o evloop and SO_REUSEPORT listener. One catch-all h2o handler
 * dispatches through our route table so that every answer (including 404/405/413) uses the JSON error
 * shape of API.md §1, in the order 404 -> 405 -> 413 -> 401 -> 403 -> 429 -> 415 -> 400.
 *
 * A handler receives a struct lf_http (allocated in the request's pool) and must answer exactly once,
 * synchronously or later from the same worker's loop, with lf_http_send_json() / lf_http_send_error() /
 * lf_http_send_raw(). The request stays valid until it has been answered (HTTP/2 is off by default;
 * see `gone` for an aborted request).
 */
#ifndef LF_CORE_SERVER_H
#define LF_CORE_SERVER_H

#include <h2o.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#if H2O_USE_LIBUV
#error "build with -DH2O_USE_LIBUV=0: Debian's libh2o-evloop is the evloop flavour"
#endif

struct lf_config;
struct lf_upstream;
struct lf_metrics_shard;

enum lf_role { LF_ROLE_NONE = 0, LF_ROLE_USER = 1, LF_ROLE_ADMIN = 2 };
enum lf_auth_need { LF_AUTH_PUBLIC = 0, LF_AUTH_USER = 1, LF_AUTH_ADMIN = 2, LF_AUTH_METRICS = 3 };

#define LF_ROUTE_JSON_BODY 0x1  /* requires a JSON body (415 when not JSON) */
#define LF_ROUTE_GENERATION 0x2 /* counts against generations per hour */
#define LF_ROUTE_NO_RATELIMIT 0x4

struct lf_http;
typedef void (*lf_handler_fn)(struct lf_http *h);

struct lf_route {
    const char *method;   /* "GET", "POST", "PATCH", "DELETE" */
    const char *pattern;  /* "/api/v1/content/{}" - {} matches one path segment */
    int auth;             /* enum lf_auth_need */
    unsigned flags;
    const char *group;    /* metrics route group */
    lf_handler_fn fn;
};

#define LF_WORKER_MAX_TIMEOUTS 1024

struct lf_worker {
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    unsigned id;
    pthread_t tid;
    int listen_fd;
    h2o_socket_t *listener;
    atomic_long inflight;
    struct lf_upstream *upstream;
    struct lf_metrics_shard *metrics;
    h2o_timeout_t *timeouts;   /* lazily created fixed-duration timeouts (h2o 2.2.5) */
    uint32_t *timeout_ms;
    size_t ntimeouts;
    uint64_t rng;
    int lingering;
    /* fairness (server.c, "Deferred starts"): generation starts beyond a time budget per loop iteration wait
       here, so that one iteration never runs thousands of them while cheap requests (/health) queue behind */
    h2o_linklist_t deferred;   /* struct lf_http.deferred_link, FIFO */
    uint64_t iter_heavy_t0_ns; /* when this iteration ran its first generation start, 0 = none yet */
};

/** Per-request context (lives in req->pool). */
struct lf_http {
    h2o_req_t *req;
    struct lf_worker *worker;
    const struct lf_route *route;
    char request_id[132];
    h2o_iovec_t params[4];
    int nparams;
    int role;
    char key_id[17];        /* first 16 hex chars of the key's sha256, "" when none */
    char user_id[37];       /* users.id of the caller (system user for the bootstrap keys), "" when none */
    char client_addr[64];
    uint64_t start_ns;
    uint64_t upstream_ns;   /* time spent waiting on upstreams, excluded from the overhead */
    int responded;
    int gone;               /* the request was disposed before we answered */
    int rl_set;
    long rl_limit, rl_remaining, rl_reset;
    void *data;             /* handler state */
    h2o_linklist_t deferred_link; /* in worker->deferred while its start waits for the next loop iteration */
    void (*on_gone)(struct lf_http *h); /* called when the request is disposed before an answer */
    /* access-log extras */
    const char *log_provider;
    double log_cost;
    int log_cost_set;
};

/* ---- responses ---- */

/** Send `body` (stolen) as JSON with `status`. Adds the standard headers. */
void lf_http_send_json(struct lf_http *h, int status, json_t *body);
/** Send the API error shape; details (stolen) may be NULL. */
void lf_http_send_error(struct lf_http *h, int status, const char *code, json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/** Send raw bytes (copied) with a content type. */
void lf_http_send_raw(struct lf_http *h, int status, const char *content_type, const char *body, size_t len);
/** Add a response header (name and value copied into the pool). */
void lf_http_add_header(struct lf_http *h, const char *name, const char *value);
/** Build the API error object {"error": {...}} (new reference). */
json_t *lf_http_error_json(const char *request_id, const char *code, const char *message, json_t *details);

/** Parse the request body as JSON (object required). On failure answers 400 and returns NULL. */
json_t *lf_http_body_json(struct lf_http *h);
/** Path parameter i as a fresh pool string. */
const char *lf_http_param(struct lf_http *h, int i);
/** Query parameter value (decoded, pool-allocated) or NULL. */
const char *lf_http_query(struct lf_http *h, const char *name);

/** A timeout entry list for `ms` on this worker's loop (created on first use). */
h2o_timeout_t *lf_worker_timeout(struct lf_worker *w, uint32_t ms);
/** Dispose the lazily created timeouts (before h2o_evloop_destroy). */
void lf_worker_dispose_timeouts(struct lf_worker *w);
/** A worker-like context with its own loop, timeouts and upstream client, for running the pipeline
 *  outside the server (CLI, benchmarks); drive it with h2o_evloop_run(w->ctx.loop, ...). */
struct lf_worker *lf_worker_private_new(void);
void lf_worker_private_free(struct lf_worker *w);
/** The worker running on this thread, or NULL. */
struct lf_worker *lf_worker_self(void);

/* ---- server lifecycle ---- */

/** Shared state of the running server. */
struct lf_server_state {
    uint64_t started_ms;       /* wall clock */
    uint64_t started_mono_ms;
    atomic_int stopping;
    atomic_int reload_requested;
    struct lf_worker *workers;
    unsigned nworkers;
    int port;                  /* actual bound port */
};
extern struct lf_server_state lf_server;

/** Run the server until SIGTERM/SIGINT; returns the process exit code. */
int lf_server_run(void);

/** Reload configuration, content types and plugins; result JSON (new reference) for the admin API. */
json_t *lf_server_reload(int *ok);

/* route table (routes.c) */
extern const struct lf_route lf_routes[];
extern const size_t lf_nroutes;

#endif
