/*
 * core/src/router.h - routing decision, provider runtime state (stats, breaker, budget), failover policy
 * SPDX-License-Identifier: MIT
 *
 * Three layers, all pure data structures (no I/O, time injected):
 *   1. struct lf_provider_rt: the runtime state of one provider instance that must survive config
 *      reloads (circuit breaker, provider budget, counters, latency EWMA). Reference counted and kept
 *      in a struct lf_router_registry keyed by the instance name.
 *   2. lf_router_route(): given the candidates of one request, returns the routable ones in order and,
 *      for each excluded one, why. No allocation, no locks except the budget checks (one short mutex
 *      per candidate with a budget).
 *   3. Failover helpers: struct lf_failover walks the ordered list, bounding attempts, allowing
 *      configured retries on the same provider with exponential backoff + jitter, never coming back to
 *      a provider once it moved on (no ping-pong), and respecting the overall deadline.
 *
 * Ownership across reloads: the registry owns one reference to each lf_provider_rt. A configuration
 * generation that names a provider takes its own reference with lf_router_registry_acquire() and drops
 * it with lf_provider_rt_release() when the generation is finalised. After a reload is published the
 * core calls lf_router_registry_retain_only() with the names of the new generation: the registry drops
 * its references to the others, which are freed when the last old generation lets go.
 */
#ifndef LF_CORE_SRC_ROUTER_H
#define LF_CORE_SRC_ROUTER_H

#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>
#include <lafactoria/plugin.h>

#include "budget.h"
#include "circuit.h"

/** Most candidates one routing decision handles (extra ones are ignored and reported). */
#define LF_ROUTE_MAX 32

/* ---- provider runtime state ---- */

/** Counters of one provider (atomics; read with lf_provider_rt_stats()). */
struct lf_provider_stats {
    _Atomic uint64_t requests; /**< attempts recorded */
    _Atomic uint64_t failures;
    _Atomic uint64_t prompt_tokens;
    _Atomic uint64_t completion_tokens;
    _Atomic uint64_t cost_nusd; /**< nano-USD */
    /** double, ms, of successful attempts (bits; 0 = none yet) */
    _Atomic uint64_t latency_ewma_bits;
    _Atomic uint64_t latency_samples;
};

/** A plain snapshot of the counters. */
struct lf_provider_stats_snapshot {
    uint64_t requests, failures, prompt_tokens, completion_tokens;
    double cost_usd;
    double latency_ewma_ms; /**< < 0 when unknown (no successful attempt yet) */
    uint64_t latency_samples;
};

/** Runtime state of one provider instance; see the ownership note at the top. Fields are read-only. */
struct lf_provider_rt {
    char *name;                 /**< instance name (owned) */
    struct lf_circuit *circuit; /**< owned */
    struct lf_budget *budget;   /**< owned; unlimited until limits are set */
    struct lf_provider_stats stats;
    _Atomic uint32_t _refcnt;
};

/** Weight of a new latency sample in the EWMA. */
#define LF_ROUTER_EWMA_ALPHA 0.2

/** Take one more reference. */
void lf_provider_rt_addref(struct lf_provider_rt *rt);
/** Drop a reference; the last one frees the breaker, the budget and the object. NULL-safe. */
void lf_provider_rt_release(struct lf_provider_rt *rt);

/**
 * Record an attempt in the counters: failure is enum lf_failure; latency_ms feeds the EWMA only for
 * successes; tokens and cost_usd (< 0 or NaN = unknown, not added) are added for any outcome.
 * This does NOT touch the breaker or the budget (use lf_circuit_record / lf_budget_settle).
 */
void lf_provider_rt_record(struct lf_provider_rt *rt, uint32_t failure, double latency_ms,
                           uint64_t prompt_tokens, uint64_t completion_tokens, double cost_usd);
/** Latency EWMA in ms, < 0 when unknown. Lock-free. */
double lf_provider_rt_latency_ms(const struct lf_provider_rt *rt);
/** Snapshot of the counters. */
void lf_provider_rt_stats(const struct lf_provider_rt *rt, struct lf_provider_stats_snapshot *out);

/**
 * A new JSON object (caller owns the reference) with the provider's runtime state, for
 * GET /api/v1/providers and /api/v1/health/detailed:
 *   {"state": "closed"|"open"|"half_open", "consecutive_failures", "error_rate_1m", "requests_1m",
 *    "opened_at": ISO-8601 UTC or null, "retry_at": ISO-8601 or null (set only when open),
 *    "last_error": string or null, "latency_ewma_ms": number or null,
 *    "budget": {period, limit_usd, spent_usd, reserved_usd, resets_at} of the most used limited period, or null,
 *    "budgets": [day, month] (same shape; limit_usd null = unlimited),
 *    "stats": {requests, failures, tokens, tokens_prompt, tokens_completion, cost_usd, latency_ewma_ms}}
 */
json_t *lf_provider_rt_json(struct lf_provider_rt *rt, uint64_t now_ms);

/* ---- registry (survives reloads) ---- */

struct lf_router_registry;

/**
 * Create an empty registry. Breakers created by it get ccfg (NULL = defaults) and the transition
 * callback cb (may be NULL; e.g. logs and metrics). Free with lf_router_registry_free().
 */
struct lf_router_registry *lf_router_registry_new(const struct lf_circuit_config *ccfg,
                                                  lf_circuit_transition_fn cb, void *cb_ud);
/** Drops the registry's references (objects still referenced by generations live on). NULL-safe. */
void lf_router_registry_free(struct lf_router_registry *reg);
/**
 * The runtime state of `name`, created if absent; returns a NEW reference (release it with
 * lf_provider_rt_release()). When ccfg is not NULL the breaker's configuration is replaced (reload).
 */
struct lf_provider_rt *lf_router_registry_acquire(struct lf_router_registry *reg, const char *name,
                                                  const struct lf_circuit_config *ccfg);
/** A new reference to `name`'s state, or NULL if the registry does not hold it. */
struct lf_provider_rt *lf_router_registry_find(struct lf_router_registry *reg, const char *name);
/** Drop the registry's reference to every provider whose name is not in names[0..n). */
void lf_router_registry_retain_only(struct lf_router_registry *reg, const char *const *names,
                                    size_t n);
/** Number of providers held. */
size_t lf_router_registry_count(struct lf_router_registry *reg);

/* ---- routing decision ---- */

enum lf_route_strategy {
    LF_ROUTE_COST = 0,     /**< cheapest estimated cost first */
    LF_ROUTE_PRIORITY = 1, /**< lowest priority number first */
    LF_ROUTE_LATENCY = 2,  /**< lowest latency EWMA first */
    LF_ROUTE_WEIGHTED = 3, /**< weighted-random order (Efraimidis-Spirakis) */
};

/** Why a candidate was excluded. */
enum lf_route_exclusion {
    LF_ROUTE_OK = 0,
    LF_ROUTE_DISABLED = 1, /**< enabled == 0 */
    /** breaker open and cooling down, or half-open with its probe in flight */
    LF_ROUTE_CIRCUIT_OPEN = 2,
    LF_ROUTE_OVER_BUDGET = 3,   /**< the provider's budget cannot take the estimated cost */
    LF_ROUTE_KEY_BUDGET = 4,    /**< the API key's budget cannot take the estimated cost */
    LF_ROUTE_OVER_MAX_COST = 5, /**< estimated cost > the request's max_cost_usd */
    /** max_cost_usd given but the provider has no price for the model */
    LF_ROUTE_PRICE_UNKNOWN = 6,
    LF_ROUTE_NOT_PINNED = 7, /**< the request pinned another provider */
    LF_ROUTE_TOO_MANY = 8,   /**< beyond LF_ROUTE_MAX candidates */
};

/** One provider as the pipeline sees it for this request (all borrowed for the call). */
struct lf_route_candidate {
    const char *name; /**< instance name */
    int enabled;
    int32_t priority;         /**< lower = preferred (1 = primary) */
    uint32_t weight;          /**< weighted strategy; 0 = only after all positive weights */
    double price_in_per_mtok; /**< USD per million prompt tokens of the model used; < 0 = unknown */
    double price_out_per_mtok; /**< USD per million completion tokens; < 0 = unknown */
    struct lf_provider_rt *rt; /**< breaker, budget, latency; may be NULL (then always routable) */
};

/** Returns 64 random bits (weighted strategy). */
typedef uint64_t (*lf_route_rng_fn)(void *ud);

struct lf_route_request {
    enum lf_route_strategy strategy;
    uint64_t prompt_tokens;     /**< estimated from the rendered prompt */
    uint64_t completion_tokens; /**< expected completion size of the content type (or max_tokens) */
    const char *pinned;         /**< only this provider, or NULL */
    double max_cost_usd;        /**< <= 0 = no cap */
    struct lf_budget *key_budget; /**< the API key's budget, or NULL */
    uint64_t now_ms;              /**< wall clock (breakers, budget periods) */
    lf_route_rng_fn rng;          /**< NULL = a per-thread xorshift seeded from getrandom */
    void *rng_ud;
};

struct lf_route_entry {
    uint32_t index;      /**< index into the candidates array */
    uint32_t reason;     /**< enum lf_route_exclusion (LF_ROUTE_OK in routable[]) */
    double est_cost_usd; /**< estimated cost (< 0 when the price is unknown) */
    int probe; /**< routable only: the breaker would let this attempt through as its probe */
};

struct lf_route_result {
    struct lf_route_entry routable[LF_ROUTE_MAX];
    uint32_t n_routable;
    struct lf_route_entry excluded[LF_ROUTE_MAX];
    uint32_t n_excluded;
    int pinned_unknown; /**< a pinned name matched no candidate */
    int all_budget; /**< nothing routable and every exclusion but "disabled"/"not pinned" was a budget */
};

/** Estimated cost in USD (prompt * in + completion * out per million), < 0 if a price is unknown. */
double lf_router_estimate_cost(double price_in_per_mtok, double price_out_per_mtok,
                               uint64_t prompt_tokens, uint64_t completion_tokens);

/**
 * Decide the order for one request. Pure apart from reading breakers and budgets (nothing is claimed
 * or reserved: the pipeline acquires the breaker permit and reserves the budget per attempt, and skips
 * to the next entry if either refuses). Ties are broken by priority, then name, then index, so the
 * order is deterministic for every strategy but `weighted` (deterministic for a given RNG).
 * Returns the number of routable candidates.
 */
uint32_t lf_router_route(const struct lf_route_candidate *cands, size_t n,
                         const struct lf_route_request *req, struct lf_route_result *out);

/** "ok", "disabled", "circuit_open", "over_budget", "key_budget", "over_max_cost", "price_unknown",
 *  "not_pinned", "too_many". */
const char *lf_router_exclusion_name(uint32_t reason);
/** Parse "cost" / "priority" / "latency" / "weighted"; returns LF_OK or LF_EINVAL. */
int lf_router_strategy_parse(const char *s, enum lf_route_strategy *out);
const char *lf_router_strategy_name(enum lf_route_strategy s);

/* ---- one attempt: breaker permit + budget reservations + accounting, together ---- */

/** The resources one attempt holds between begin and end/abort. Caller-owned (stack). */
struct lf_route_attempt {
    struct lf_provider_rt *rt; /**< borrowed (the generation holds the reference) */
    struct lf_budget *key_budget;
    struct lf_circuit_permit permit;
    struct lf_budget_reservation provider_res;
    struct lf_budget_reservation key_res;
    double est_cost_usd; /**< what was reserved (>= 0) */
    int active;          /**< 1 between a successful begin and end/abort */
};

/** Result of lf_router_attempt_begin(). */
enum lf_attempt_verdict {
    LF_ATTEMPT_GO = 0,      /**< send it; then call lf_router_attempt_end() or _abort() */
    LF_ATTEMPT_CIRCUIT = 1, /**< the breaker refused (lost the probe race, or opened meanwhile) */
    LF_ATTEMPT_BUDGET = 2,  /**< the provider's budget refused the reservation */
    LF_ATTEMPT_KEY_BUDGET = 3, /**< the API key's budget refused the reservation */
};

/**
 * Claim what an attempt on `rt` needs: a breaker permit, then est_cost_usd (< 0 = unknown: 0) reserved
 * on the provider budget and on key_budget (may be NULL). All or nothing: on any refusal everything
 * already taken is given back and *a is inactive. rt may be NULL (no breaker, no budget).
 * On anything but LF_ATTEMPT_GO pass skipped = 1 to lf_failover_next().
 */
enum lf_attempt_verdict lf_router_attempt_begin(struct lf_route_attempt *a,
                                                struct lf_provider_rt *rt,
                                                struct lf_budget *key_budget, double est_cost_usd,
                                                uint64_t now_ms);

/**
 * Account for a sent attempt: lf_circuit_record(failure, retry_after_ms, message), the provider
 * counters (latency for successes; tokens and cost always) and the budgets: a success settles both
 * reservations with cost_usd (< 0 = unknown: the reserved estimate is charged, never $0, and counted
 * in the provider's cost); a failure
 * settles with cost_usd when it is > 0 (the upstream billed it, e.g. schema_invalid) and releases
 * otherwise. *a becomes inactive. No-op on an inactive attempt.
 */
void lf_router_attempt_end(struct lf_route_attempt *a, uint32_t failure, uint32_t retry_after_ms,
                           const char *message, double latency_ms, uint64_t prompt_tokens,
                           uint64_t completion_tokens, double cost_usd, uint64_t now_ms);

/** Give everything back for an attempt that was never sent (deadline, client gone). No-op if inactive. */
void lf_router_attempt_abort(struct lf_route_attempt *a);

/* ---- failover ---- */

/** Retry and failover policy. */
struct lf_retry_policy {
    uint32_t max_attempts; /**< total attempts per request across providers (default 3) */
    /** extra attempts on the same provider (default 0 = each once) */
    uint32_t retries_per_provider;
    uint32_t base_delay_ms; /**< backoff of the first retry (default 100) */
    uint32_t max_delay_ms;  /**< backoff cap (default 2000) */
    double jitter;          /**< 0..1: fraction of the delay randomised (default 0.5) */
};

/** Fill *p with the defaults. */
void lf_retry_policy_defaults(struct lf_retry_policy *p);

/**
 * Delay before retry number `retry` (1 = first retry) on the same provider: d = min(max, base * 2^(retry-1)),
 * then the jitter fraction of d is replaced by a uniform draw from `rnd`: d * (1 - jitter) + u * d * jitter,
 * u in [0,1). A Retry-After hint larger than that wins (still capped by max_delay_ms).
 */
uint32_t lf_router_backoff_ms(const struct lf_retry_policy *p, uint32_t retry,
                              uint32_t retry_after_ms, uint64_t rnd);

/** 1 when another attempt on the same provider may help for this failure class. */
int lf_router_failure_retryable(uint32_t failure);

/** Walks a route result for one request. Caller-owned (stack). */
struct lf_failover {
    uint32_t n_routable; /**< entries of the decision being walked */
    struct lf_retry_policy policy;
    uint32_t pos;         /**< index in route->routable of the current provider */
    uint32_t tries_here;  /**< attempts made on the current provider */
    uint32_t attempts;    /**< attempts made in total */
    uint64_t deadline_ms; /**< overall deadline (0 = none), same clock as now_ms below */
    int started;
};

/** Outcome of lf_failover_next(). */
enum lf_failover_step {
    LF_FAILOVER_ATTEMPT = 0, /**< try route->routable[*pos] after *delay_ms */
    /** no provider left: 502 UPSTREAM_FAILED (or 503 if none was tried) */
    LF_FAILOVER_EXHAUSTED = 1,
    LF_FAILOVER_MAX_ATTEMPTS = 2, /**< max_attempts reached: 502 UPSTREAM_FAILED */
    LF_FAILOVER_DEADLINE = 3,     /**< the next attempt could not start before the deadline: 504 */
};

/** Start a walk over the n_routable entries of a routing decision (its routable[]). policy NULL = defaults. */
void lf_failover_init(struct lf_failover *fo, uint32_t n_routable, const struct lf_retry_policy *policy,
                      uint64_t deadline_ms);

/**
 * The next step. For the first call pass last_failure = LF_FAILURE_NONE. After a failed attempt pass
 * its class and Retry-After; after an attempt that was skipped without being sent (breaker permit or
 * budget refused) pass skipped = 1 (it does not count as an attempt and moves to the next provider).
 * On LF_FAILOVER_ATTEMPT *pos is the index into route->routable and *delay_ms the wait before sending.
 */
enum lf_failover_step lf_failover_next(struct lf_failover *fo, uint32_t last_failure,
                                       uint32_t retry_after_ms, int skipped, uint64_t now_ms,
                                       uint64_t rnd, uint32_t *pos, uint32_t *delay_ms);

#endif
