/*
 * core/src/upstream.h - asynchronous HTTP client for provider calls (libcurl multi_socket on an h2o evloop)
 * SPDX-License-Identifier: MIT
 *
 * One struct lf_upstream per event loop (worker thread). It owns one CURLM whose connection cache keeps
 * upstream connections alive and reuses them per host (HTTP/2 over TLS where the upstream offers it).
 * curl's sockets live in a private epoll set; that epoll fd and a timerfd are registered with the h2o loop
 * as one socket (H2O_SOCKET_FLAG_DONT_READ), so h2o only wakes us and never touches curl's fds.
 *
 * Threading: every function must be called from the thread running the loop given to lf_upstream_new().
 * Nothing here blocks. See docs/internals/UPSTREAM.md.
 */
#ifndef LF_CORE_UPSTREAM_H
#define LF_CORE_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include <h2o.h>
#include <lafactoria/plugin.h>

/** Settings of one upstream client (zero fields take the defaults noted). */
struct lf_upstream_config {
    uint32_t default_timeout_ms; /**< per-call timeout when the call passes 0 (default 30000) */
    uint32_t connect_timeout_ms; /**< TCP+TLS connect timeout, capped by the call timeout (default 10000) */
    uint32_t max_connects;       /**< CURLMOPT_MAXCONNECTS: idle connections kept for reuse (default 1024) */
    size_t max_body_bytes;       /**< larger buffered answers fail as invalid_response (default 16 MiB) */
    int disable_http2;           /**< non-zero: HTTP/1.1 only (default: HTTP/2 over TLS when offered) */
};

/** HTTP version wanted for one call (a provider instance's "http_version"). */
enum lf_upstream_http {
    LF_UPSTREAM_HTTP_AUTO = 0, /**< HTTP/2 over TLS when the server offers it (ALPN): calls in flight to one host
                                    share a few connections as streams; HTTP/1.1 otherwise (and over cleartext:
                                    libcurl 7.88's h2c prior knowledge fails on every reused connection) */
    LF_UPSTREAM_HTTP_1_1       /**< HTTP/1.1 only: one connection per call in flight */
};

/** Per-call transport options (from the provider instance's config). */
struct lf_upstream_opts {
    enum lf_upstream_http http;
    const char *tls_ca_file; /**< PEM bundle to verify the upstream with instead of the system store, or NULL */
};

/** The outcome of one call, borrowed for the duration of the done callback. */
struct lf_upstream_result {
    int status;              /**< HTTP status, 0 when no answer arrived (see failure) */
    const char *headers;     /**< raw header block of the final answer ("Name: value\r\n"...), NUL-terminated */
    size_t headers_len;
    const char *body;        /**< buffered body, NUL-terminated (empty when streamed to on_data) */
    size_t body_len;
    uint64_t latency_us;     /**< from lf_upstream_start to completion */
    uint64_t ttfb_us;        /**< from lf_upstream_start to the response headers, 0 if none */
    int failure;             /**< enum lf_failure for transport errors (connect_error, timeout,
                                  invalid_response for an oversized answer), else 0 */
    int aborted;             /**< non-zero: on_data returned non-zero and the transfer was stopped */
    const char *error;       /**< client-safe description of a transport failure, or NULL */
};

struct lf_upstream;
struct lf_upstream_call;

/** Called exactly once per call that was not cancelled, from the loop thread, never from lf_upstream_start. */
typedef void (*lf_upstream_done_cb)(void *ctx, const struct lf_upstream_result *res);
/**
 * Streaming: called for each received body piece once a 2xx status and its headers arrived (non-2xx
 * bodies are always buffered into the result). `status` is the HTTP status. Return 0 to continue,
 * non-zero to stop the transfer (done then follows with aborted = 1). Do not call lf_upstream_cancel
 * on this call from inside on_data (return non-zero instead); starting or cancelling other calls is fine.
 */
typedef int (*lf_upstream_data_cb)(void *ctx, int status, const char *data, size_t len);

/** Once per process, before any thread starts: curl_global_init. Returns LF_OK or LF_EINTERNAL. */
int lf_upstream_global_init(void);
/** At process exit, after every lf_upstream_free. */
void lf_upstream_global_cleanup(void);

/** Create the client of one loop. cfg may be NULL (defaults). Returns NULL only on a system error. */
struct lf_upstream *lf_upstream_new(h2o_loop_t *loop, const struct lf_upstream_config *cfg);
/** Cancel every live call (their done callbacks are not called), close every connection. NULL-safe. */
void lf_upstream_free(struct lf_upstream *u);

/**
 * Start an HTTP call. req->method ("GET"/"POST"/...), req->url, req->headers ("Name: value" lines
 * separated by "\n") and req->body/body_len are copied: the caller may free req at once. timeout_ms is
 * the whole-call deadline (0 = req->timeout_ms, then the configured default). Never returns NULL; a call
 * that cannot even start (bad URL...) completes through done on a later loop iteration. opts may be
 * NULL (defaults); cfg->disable_http2 forces HTTP/1.1 whatever it says.
 */
struct lf_upstream_call *lf_upstream_start(struct lf_upstream *u, const struct lf_http_request *req,
                                           uint32_t timeout_ms, const struct lf_upstream_opts *opts,
                                           lf_upstream_done_cb done,
                                           lf_upstream_data_cb on_data, void *ctx);

/**
 * Stop a call: done is not called afterwards and the call handle becomes invalid. Must not be called
 * after done has been called, nor from inside that call's own on_data. NULL-safe.
 */
void lf_upstream_cancel(struct lf_upstream_call *call);

/** Number of calls in flight (for metrics and tests). */
size_t lf_upstream_active(const struct lf_upstream *u);

#endif /* LF_CORE_UPSTREAM_H */
