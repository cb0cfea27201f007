/*
 * core/src/ratelimit.h - keyed rate limiter (GCRA) with bounded memory and striped locks
 * SPDX-License-Identifier: MIT
 *
 * One lf_ratelimit enforces one rule, "limit units per period", for many keys (API key ids or client
 * addresses): the core keeps three of them (requests per minute per key, generations per hour per key,
 * failed authentications per minute per client address). The algorithm is GCRA (the "virtual
 * scheduling" form of a token bucket with burst = limit): each key stores a single theoretical
 * arrival time (TAT). A key whose TAT is in the past has a full allowance, exactly like a key never
 * seen, so idle keys are dropped without changing any answer; when a stripe is full of busy keys the
 * one closest to idle is evicted (bounded memory at the price of a slightly larger allowance for it).
 */
#ifndef LF_CORE_SRC_RATELIMIT_H
#define LF_CORE_SRC_RATELIMIT_H

#include <stdint.h>

/** Defaults of the runbook. */
#define LF_RATELIMIT_DEFAULT_RPM 60
#define LF_RATELIMIT_DEFAULT_GPH 100
#define LF_RATELIMIT_DEFAULT_AUTH_FAILURES_PER_MIN 10
#define LF_RATELIMIT_DEFAULT_MAX_KEYS 100000

struct lf_ratelimit;

/** The answer of lf_ratelimit_check(): everything the X-RateLimit-* headers and a 429 need. */
struct lf_ratelimit_result {
    int allowed;        /**< 1 when the n units were granted (and consumed) */
    uint32_t limit;     /**< X-RateLimit-Limit */
    uint32_t remaining; /**< X-RateLimit-Remaining (after this call) */
    /** X-RateLimit-Reset: when the full allowance is back (epoch s, ceil) */
    uint64_t reset_epoch_seconds;
    uint32_t retry_after_seconds; /**< Retry-After when refused (ceil, >= 1), 0 when allowed */
    uint64_t retry_after_ms;      /**< the same in ms */
};

/**
 * Create a limiter of `limit` units per `period_ms` per key (limit >= 1, period_ms >= 1) keeping at most
 * max_keys keys (0 = LF_RATELIMIT_DEFAULT_MAX_KEYS). Free with lf_ratelimit_free().
 */
struct lf_ratelimit *lf_ratelimit_new(uint32_t limit, uint64_t period_ms, uint32_t max_keys);
/** NULL-safe. */
void lf_ratelimit_free(struct lf_ratelimit *rl);

/** Change the rule live (existing keys keep their state). limit 0 or period 0 is ignored. */
void lf_ratelimit_set_limit(struct lf_ratelimit *rl, uint32_t limit, uint64_t period_ms);

/**
 * Try to consume n units for `key` at now_ms (wall clock, ms since the epoch). n = 0 only looks (always
 * allowed, nothing consumed), for headers on responses that do not consume. A request of n > limit is
 * refused. Fills *res and returns res->allowed. Thread-safe.
 */
int lf_ratelimit_check(struct lf_ratelimit *rl, const char *key, uint64_t now_ms, uint32_t n,
                       struct lf_ratelimit_result *res);

/**
 * Brute-force guard helper: 1 when `key` has no unit left (check with n = 0 before verifying a
 * credential; on a failed verification call lf_ratelimit_check(rl, key, now, 1, &r)). Fills *res.
 */
int lf_ratelimit_blocked(struct lf_ratelimit *rl, const char *key, uint64_t now_ms,
                         struct lf_ratelimit_result *res);

/** Number of keys currently held (for tests and metrics). */
uint32_t lf_ratelimit_size(struct lf_ratelimit *rl);

#endif
