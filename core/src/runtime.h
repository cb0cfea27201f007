/*
 * core/src/runtime.h - process-wide runtime glue: provider runtime state across reloads, key budgets,
 * rate limits, quality pipeline, storage records and metrics for the pipeline and handlers
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_CORE_RUNTIME_H
#define LF_CORE_RUNTIME_H

#include <jansson.h>
#include <lafactoria/plugin.h>
#include <stdint.h>

struct lf_config;
struct lf_registry;
struct lf_provider;
struct lf_budget;
struct lf_http;
struct lf_metrics;

/** Create the process-wide state (before the first registry is built). */
void lf_runtime_init(const struct lf_config *cfg);
void lf_runtime_shutdown(void);

/** Runtime state of provider `name` (new reference) configured from `p` (budgets). */
struct lf_provider_rt *lf_runtime_provider_rt(struct lf_provider *p);
/** After publishing a generation: forget runtime state of providers it no longer names. */
void lf_runtime_retain(struct lf_registry *reg);
/** Apply a generation's rate-limit and budget settings. */
void lf_runtime_apply_config(const struct lf_config *cfg);

/* ---- admin overrides (PATCH /api/v1/admin/providers/{name}) ----
 * Kept in process-wide state keyed by the instance name, so they survive reloads and take precedence over
 * the configuration until cleared. enabled = 1 only undoes an admin disable: it cannot enable an instance
 * the generation did not initialise (disabled in configuration, missing key, plugin not loaded). */
#define LF_OVERRIDE_ENABLED 1u
#define LF_OVERRIDE_PRIORITY 2u
#define LF_OVERRIDE_WEIGHT 4u
#define LF_OVERRIDE_BUDGET_DAY 8u
#define LF_OVERRIDE_BUDGET_MONTH 16u

struct lf_provider_override {
    unsigned set; /* LF_OVERRIDE_* bits that are overridden */
    int enabled;
    int priority;
    double weight;
    double budget_daily_usd;   /* < 0 = unlimited, 0 = refuse every paid attempt */
    double budget_monthly_usd; /* likewise */
};

/** Merge the fields of `ov` marked in ov->set into the override of `name`; clear = drop it first.
 *  Applies budget limits at once to the current runtime state (if any) and resets the breaker when
 *  an admin disable is lifted. */
void lf_runtime_override_set(const char *name, const struct lf_provider_override *ov, int clear);
/** The override of `name` (out->set == 0 when none); returns 1 when one exists. */
int lf_runtime_override_get(const char *name, struct lf_provider_override *out);
/** Effective enabled, priority and weight of p: the generation's values with overrides applied. */
void lf_runtime_provider_effective(const struct lf_provider *p, int *enabled, int *priority, double *weight);

/** Budget of an API key (NULL when key budgets are not configured or key_id is NULL). */
struct lf_budget *lf_runtime_key_budget(const char *key_id);

/**
 * Rate limits for a keyed request: fills h->rl_* and returns 0, or answers 429 and returns -1.
 * generations = number of generations the request counts for (0 for non-generation routes).
 */
int lf_runtime_ratelimit(struct lf_http *h, uint32_t generations);
/** Failed authentication from an address: returns 1 when the address is now blocked. */
int lf_runtime_auth_failure(const char *addr, uint64_t *retry_after_s);
/** 1 when the address is currently blocked for failed authentication. */
int lf_runtime_auth_blocked(const char *addr, uint64_t *retry_after_s);

/** Quality metrics of content (NULL when no scorer is enabled). */
json_t *lf_runtime_quality(struct lf_registry *reg, const char *content_type, const char *age_group,
                           const json_t *content, const json_t *objectives, const json_t *schema, double *overall,
                           int *meets_all);

/** Storage and metrics records. */
void lf_runtime_record_attempt(struct lf_provider *p, const char *gen_id, const char *request_id, const char *key_id,
                               json_t *outcome, uint32_t failure, double latency_ms, const struct lf_gen_result *r,
                               double cost, const char *content_type);
void lf_runtime_store_generation(json_t *resp, const char *key_id, const char *request_id, const char *batch_id,
                                 const char *requirements, json_t *objectives);
/** One api_usage row per keyed request. */
void lf_runtime_store_api_usage(struct lf_http *h, int status, uint64_t total_ns, size_t bytes_out);
void lf_runtime_store_chat(const char *id, const char *request_id, const char *key_id, json_t *body);
/** Set rec.user_id to the users.id of the key whose sha256 hex starts with key_id (system user for bootstrap keys). */
void lf_runtime_record_user(json_t *rec, const char *key_id);

/** Process-wide metrics. */
struct lf_metrics *lf_runtime_metrics(void);

/** Database state: "not_configured", "up", "down". */
const char *lf_runtime_db_state(void);

#endif
