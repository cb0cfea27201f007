/*
 * core/src/config.h - configuration: JSON file, ${ENV} substitution, strict validation, env overrides
 * SPDX-License-Identifier: MIT
 *
 * Precedence: environment > config file > built-in defaults. The file is LA_FACTORIA_CONFIG, else
 * ./config/lafactoria.json, else the source tree's config/lafactoria.json, else built-in defaults only.
 * Unknown keys and wrong types are errors naming the JSON path ("$.server.port: expected an integer").
 */
#ifndef LF_CORE_CONFIG_H
#define LF_CORE_CONFIG_H

#include <jansson.h>
#include <stddef.h>

#define LF_ENABLED_AUTO 2

struct lf_provider_conf {
    char *name;
    char *plugin;
    int enabled;      /* 0, 1 or LF_ENABLED_AUTO (offline: only when no other provider is enabled) */
    int priority;     /* lower first for the priority strategy */
    double weight;    /* weighted strategy */
    json_t *config;   /* the plugin instance's config object (owned, may hold secrets) */
    double budget_daily_usd;   /* 0 = none */
    double budget_monthly_usd; /* 0 = none */
    int retries;               /* extra attempts on the same provider (default 0) */
    int retry_backoff_ms;
    /* "circuit": breaker settings (0 = the circuit module's default) */
    int circuit_failure_threshold;
    double circuit_error_ratio;
    int circuit_window_ms;
    int circuit_min_requests;
    int circuit_cooldown_ms;
    int circuit_max_cooldown_ms;
    int health_probe_interval_ms; /* active health probe period (0 = off; plugins with build_probe only) */
    int http_version;             /* enum lf_upstream_http: "auto" (default) or "1.1" */
    char *tls_ca_file;            /* PEM bundle verifying this upstream instead of the system store, or NULL */
};

struct lf_scorer_conf {
    char *name;
    char *plugin;
    int enabled;
    double weight;  /* 0 = the scorer's dimensions use the default weights */
    json_t *config;
};

struct lf_config {
    char *source_path;     /* file read, or NULL when only built-in defaults were used */
    char *environment;
    /* server */
    char *host;
    int port;
    int workers;           /* resolved: > 0 */
    size_t max_body_bytes;
    int http2;
    int shutdown_timeout_ms;
    int request_deadline_ms;
    int access_log;
    /* auth */
    char *api_key;
    char *admin_key;
    int api_key_generated;
    int admin_key_generated;
    int metrics_require_key;
    /* database */
    char *database_url;    /* NULL: embedded cluster decided by the launcher script */
    char *journal_dir;
    int fsync_interval_ms;
    /* rate limits */
    int requests_per_minute;
    int generations_per_hour;
    int auth_failures_per_minute;
    /* paths (absolute after load) */
    char *plugin_dir;
    char *content_types_dir;
    char *web_dir;
    char *migrations_dir;
    /* routing */
    char *strategy;
    json_t *per_content_type; /* {type: strategy} */
    int max_attempts;
    int attempt_timeout_ms;
    /* quality */
    char *quality_gate;
    int max_regenerations;
    double threshold_overall;
    double threshold_educational;
    double threshold_factual;
    json_t *quality_weights; /* {dimension: weight} or NULL */
    /* plugins */
    struct lf_provider_conf *providers;
    size_t nproviders;
    struct lf_scorer_conf *scorers;
    size_t nscorers;
    /* provider budgets per API key */
    double key_budget_daily_usd;
    double key_budget_monthly_usd;
};

/** Load, substitute, validate and apply environment overrides. path NULL = default resolution. */
int lf_config_load(const char *path, struct lf_config **out, char *err, size_t errlen);

/** Like lf_config_load, but from a JSON text (tests). */
int lf_config_load_string(const char *text, const char *origin, struct lf_config **out, char *err, size_t errlen);

/** Substitute ${VAR} and ${VAR:-default} in every string of `root` (in place). Exposed for tests. */
void lf_config_substitute(json_t *root);

/** The effective configuration as JSON with every secret masked ("****" + last 4 chars at most). */
json_t *lf_config_to_json_masked(const struct lf_config *cfg);

/** Mask a secret for display: NULL -> null, else "****abcd". Caller frees. */
char *lf_config_mask(const char *secret);

void lf_config_free(struct lf_config *cfg);

#endif
