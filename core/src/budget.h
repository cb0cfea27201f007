/*
 * core/src/budget.h - USD budgets per day and per month (UTC) with reserve / settle / release
 * SPDX-License-Identifier: MIT
 *
 * A budget has a daily and a monthly limit. Before an attempt the caller reserves the estimated cost;
 * the reservation succeeds only if, for both periods, spent + reserved + amount <= limit (checked and
 * applied under the budget's mutex, so concurrent requests can never overshoot at reserve time). After
 * the attempt the caller settles (reserved -= amount, spent += actual) or releases (reserved -= amount).
 * Amounts are kept as integer nano-USD, so sums are exact. At a UTC day / month boundary `spent` of that
 * period restarts at 0; reservations still in flight carry over into the new period (they are settled
 * there). Every function is thread-safe.
 */
#ifndef LF_CORE_SRC_BUDGET_H
#define LF_CORE_SRC_BUDGET_H

#include <stdint.h>

#include <lafactoria/plugin.h>

/** A limit below 0 means "no limit" for that period. A limit of 0 refuses every reservation. */
#define LF_BUDGET_UNLIMITED (-1.0)

enum lf_budget_period {
    LF_BUDGET_DAY = 0,
    LF_BUDGET_MONTH = 1,
};
#define LF_BUDGET_N_PERIODS 2

struct lf_budget;

/** A reservation; caller-owned (a request keeps it on its stack or in its state). */
struct lf_budget_reservation {
    struct lf_budget *budget; /**< NULL when empty (released / settled / never reserved) */
    int64_t amount_nusd;      /**< reserved amount in nano-USD */
};

/** Snapshot of one period. */
struct lf_budget_status {
    const char *period; /**< "day" or "month" (static) */
    double limit_usd;   /**< < 0 = unlimited */
    double spent_usd;
    double reserved_usd;
    uint64_t period_start_ms; /**< UTC midnight / first of the month, ms since the epoch */
    uint64_t reset_ms;        /**< start of the next period */
};

/** Create a budget (name copied, used in logs). Limits < 0 = unlimited. Free with lf_budget_free(). */
struct lf_budget *lf_budget_new(const char *name, double day_limit_usd, double month_limit_usd);
/** NULL-safe; outstanding reservations must have been settled or released. */
void lf_budget_free(struct lf_budget *b);

/** Change the limits live (e.g. PATCH /admin/providers/{name}); spent and reserved are kept. */
void lf_budget_set_limits(struct lf_budget *b, double day_limit_usd, double month_limit_usd);

/**
 * Seed the spending of the current periods (e.g. summed from PostgreSQL at start). now_ms decides which
 * periods these are.
 */
void lf_budget_restore(struct lf_budget *b, double day_spent_usd, double month_spent_usd,
                       uint64_t now_ms);

/**
 * Reserve amount_usd (>= 0) in both periods, atomically with respect to every other call on this
 * budget. Returns LF_OK and fills *res; LF_BUDGET_REFUSED when a period would exceed its limit
 * (spent + reserved + amount > limit; *res is left empty); LF_EINVAL for a negative or NaN amount.
 */
int lf_budget_reserve(struct lf_budget *b, double amount_usd, uint64_t now_ms,
                      struct lf_budget_reservation *res);

/** Returned by lf_budget_reserve() when the limit would be exceeded (not an lf_err value). */
#define LF_BUDGET_REFUSED 100

/**
 * Settle a reservation with the real cost (>= 0; a negative or NaN actual is charged as the reserved
 * amount, never as 0). The reservation becomes empty. Settling an empty reservation does nothing.
 * Returns the actual minus reserved difference in USD (positive = the estimate was too low).
 */
double lf_budget_settle(struct lf_budget_reservation *res, double actual_usd, uint64_t now_ms);

/** Drop a reservation without spending (failed attempt). Empty reservations are ignored. */
void lf_budget_release(struct lf_budget_reservation *res);

/** Charge a cost that had no reservation (e.g. a usage record from elsewhere). */
void lf_budget_charge(struct lf_budget *b, double actual_usd, uint64_t now_ms);

/** Non-mutating check: would reserving amount_usd succeed now? (1 yes, 0 no). */
int lf_budget_can_afford(struct lf_budget *b, double amount_usd, uint64_t now_ms);

/** Snapshot: out[LF_BUDGET_DAY] and out[LF_BUDGET_MONTH]. */
void lf_budget_query(struct lf_budget *b, uint64_t now_ms,
                     struct lf_budget_status out[LF_BUDGET_N_PERIODS]);

/** Start of the UTC day / month containing now_ms, and of the next one (ms since the epoch). */
void lf_budget_period_bounds(enum lf_budget_period p, uint64_t now_ms, uint64_t *start_ms,
                             uint64_t *next_ms);

/* ---- per-API-key budgets ---- */

struct lf_budget_table;

/** A table of budgets keyed by string (API key id); default limits apply to keys seen the first time. */
struct lf_budget_table *lf_budget_table_new(double default_day_usd, double default_month_usd);
/** NULL-safe; frees every budget of the table. */
void lf_budget_table_free(struct lf_budget_table *t);
/**
 * The budget of `key`, created with the default limits if absent. The pointer stays valid until
 * lf_budget_table_free() (entries are never removed; the table grows with the number of keys).
 */
struct lf_budget *lf_budget_table_get(struct lf_budget_table *t, const char *key);
/** Set the limits of one key (creating it). */
void lf_budget_table_set_limits(struct lf_budget_table *t, const char *key, double day_usd,
                                double month_usd);

#endif
