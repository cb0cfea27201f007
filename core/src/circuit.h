/*
 * core/src/circuit.h - per-provider circuit breaker (closed / open / half-open)
 * SPDX-License-Identifier: MIT
 *
 * A breaker opens after K consecutive counted failures, or when the error ratio over a rolling window
 * (with a minimum number of requests) reaches a threshold, or at once on an authentication error or a
 * 429 carrying Retry-After. It stays open for a cooldown (extended to Retry-After, doubled on every
 * failed probe up to max_cooldown_ms). After the cooldown the first caller of lf_circuit_acquire()
 * atomically claims the single half-open probe; the probe's success closes the breaker, its failure
 * re-opens it. Time is always passed in (now_ms, wall clock ms since the epoch) so tests control it.
 * Every function is thread-safe (one mutex per breaker; lf_circuit_peek() reads atomics only).
 */
#ifndef LF_CORE_SRC_CIRCUIT_H
#define LF_CORE_SRC_CIRCUIT_H

#include <stdint.h>

#include <lafactoria/plugin.h>

enum lf_circuit_state {
    LF_CIRCUIT_CLOSED = 0,
    LF_CIRCUIT_OPEN = 1,
    LF_CIRCUIT_HALF_OPEN = 2,
};

/** What lf_circuit_peek() says about sending a request now (nothing is claimed). */
enum lf_circuit_verdict {
    LF_CIRCUIT_ALLOW = 0, /**< closed: send */
    LF_CIRCUIT_PROBE = 1, /**< open past retry_at (or a stale probe): one probe may be claimed */
    LF_CIRCUIT_DENY = 2,  /**< open and cooling down, or half-open with its probe in flight */
};

/** Tuning; zero fields take the defaults listed (lf_circuit_config_defaults()). */
struct lf_circuit_config {
    uint32_t failure_threshold; /**< K consecutive counted failures open it (default 5) */
    double error_ratio;    /**< failures/total over the window opening it (default 0.5; >1 = off) */
    uint32_t window_ms;    /**< rolling window of the ratio rule (default 60000) */
    uint32_t min_requests; /**< the ratio rule needs at least this many requests (default 10) */
    uint32_t cooldown_ms;  /**< open time before the half-open probe (default 30000) */
    /** cap for Retry-After and probe-failure doubling, not auth (default 600000) */
    uint32_t max_cooldown_ms;
    uint32_t auth_cooldown_ms; /**< open time after an auth error (default 300000) */
    /** a probe that never reports frees its slot after this (default 60000) */
    uint32_t probe_timeout_ms;
    int32_t auth_opens;   /**< 1: an auth error opens at once; -1: counts like others (default 1) */
    /** 1: a 429 with Retry-After opens until then; -1: off (default 1) */
    int32_t retry_after_opens;
};

/** The ticket lf_circuit_acquire() hands out; pass it back to record() or cancel(). */
struct lf_circuit_permit {
    uint64_t probe_id; /**< 0 for an ordinary request, else the id of the half-open probe */
};

/** A snapshot for display (GET /api/v1/providers, /api/v1/health/detailed, metrics). */
struct lf_circuit_info {
    enum lf_circuit_state state;
    const char *state_name; /**< "closed", "open", "half_open" (static) */
    uint32_t consecutive_failures;
    uint64_t requests_1m; /**< attempts recorded over the last minute */
    uint64_t failures_1m;
    double error_rate_1m;  /**< failures_1m / requests_1m, 0 when there were none */
    uint64_t opened_at_ms; /**< when it last opened (0 = never) */
    uint64_t retry_at_ms;  /**< when open: earliest probe time; else 0 */
    uint32_t last_failure; /**< enum lf_failure of the last failure (0 = none yet) */
    uint64_t last_failure_at_ms;
    char last_error[160]; /**< "<class>: <message>" of the last failure, "" when none */
};

/** Called after every state change, outside the breaker's lock. reason is a static string. */
typedef void (*lf_circuit_transition_fn)(void *ud, const char *name, enum lf_circuit_state from,
                                         enum lf_circuit_state to, const char *reason,
                                         uint64_t now_ms, uint64_t retry_at_ms);

struct lf_circuit;

/** Fill *cfg with the defaults. */
void lf_circuit_config_defaults(struct lf_circuit_config *cfg);

/**
 * Create a closed breaker named `name` (copied). cfg may be NULL (defaults); zero fields get defaults.
 * cb may be NULL. Free with lf_circuit_free().
 */
struct lf_circuit *lf_circuit_new(const char *name, const struct lf_circuit_config *cfg,
                                  lf_circuit_transition_fn cb, void *cb_ud);
/** NULL-safe. No other thread may use the breaker any more. */
void lf_circuit_free(struct lf_circuit *c);

/** Replace the configuration live (state and history are kept). */
void lf_circuit_configure(struct lf_circuit *c, const struct lf_circuit_config *cfg);
/** Replace the transition callback (e.g. after a reload). */
void lf_circuit_set_callback(struct lf_circuit *c, lf_circuit_transition_fn cb, void *cb_ud);

/** Lock-free look: may a request go now? Claims nothing (used by the router to order and exclude). */
enum lf_circuit_verdict lf_circuit_peek(const struct lf_circuit *c, uint64_t now_ms);

/**
 * Ask to send one attempt now. Returns 1 and fills *permit when it may go: always when closed; when the
 * cooldown has elapsed exactly one caller wins the half-open probe (compare-and-set under the lock) and
 * the others get 0. Every permit must be given back with lf_circuit_record() or lf_circuit_cancel().
 */
int lf_circuit_acquire(struct lf_circuit *c, uint64_t now_ms, struct lf_circuit_permit *permit);

/**
 * Report the outcome of an attempt. failure is enum lf_failure (LF_FAILURE_NONE = success);
 * retry_after_ms is the upstream's Retry-After (0 = none); message is a client-safe text or NULL.
 * Every failure class except NONE counts. Results of ordinary requests that complete while the breaker
 * is open or half-open only feed the statistics (and may extend retry_at on Retry-After); only the
 * probe's own result closes or re-opens a half-open breaker.
 */
void lf_circuit_record(struct lf_circuit *c, const struct lf_circuit_permit *permit,
                       uint32_t failure, uint32_t retry_after_ms, const char *message,
                       uint64_t now_ms);

/** Give a permit back without an outcome (the attempt was never sent); frees the probe slot. */
void lf_circuit_cancel(struct lf_circuit *c, const struct lf_circuit_permit *permit);

/** Close the breaker and forget the history (admin action, provider re-enabled, new key on reload). */
void lf_circuit_reset(struct lf_circuit *c, uint64_t now_ms);

/** Take a consistent snapshot. */
void lf_circuit_get_info(struct lf_circuit *c, uint64_t now_ms, struct lf_circuit_info *out);

/** "closed" / "open" / "half_open". */
const char *lf_circuit_state_name(enum lf_circuit_state s);
/** "connect_error", "timeout", "rate_limited", "upstream_5xx", "auth_error", "invalid_response",
 *  "schema_invalid", "none"; "unknown" otherwise. */
const char *lf_circuit_failure_name(uint32_t failure);

#endif
