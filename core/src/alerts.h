/*
 * core/src/alerts.h - the runbook's alert rules evaluated over time windows, with state transitions logged
 * SPDX-License-Identifier: MIT
 *
 * The core feeds lf_alerts_evaluate() from a periodic tick (e.g. every 10 s, the same timer that samples
 * sysstat) with the current figures: health and database status, CPU and memory percent, and the cumulative
 * metric totals (lf_metrics_totals). The evaluator keeps time-stamped samples, computes windowed figures as
 * differences of cumulative totals (quality average, success rate, p95 latency over the window) or as streaks
 * ("above the threshold continuously for N seconds"), and tracks each rule's state. Every state change is
 * logged once (module "alerts": warn for warning, error for critical when firing; info when resolved).
 * GET /api/v1/alerts answers lf_alerts_json(). Thread-safe (one internal mutex; not on the request hot path).
 *
 * Rules (name: severity, condition, window):
 *   api_down                       critical  health failing continuously > 120 s                    (120 s)
 *   health_check_failing           critical  the latest health check failed (value 0 < threshold 1)   (0)
 *   database_unreachable           critical  the database is not reachable (value 0 < threshold 1)   (0)
 *   quality_score_critical         critical  average overall quality < 0.65 over the window          (900 s)
 *   quality_score_low              warning   average overall quality < 0.70 over the window          (3600 s)
 *   response_time_high             critical  p95 latency of API routes > 1000 ms over the window     (300 s)
 *   cpu_high                       warning   system CPU > 80 % continuously for the window           (600 s)
 *   memory_high                    warning   system memory in use > 80 % continuously for the window (600 s)
 *   generation_success_rate_low    warning   succeeded / finished generations < 0.90 over the window (900 s)
 * Windowed rules need a minimum number of events in the window (min_samples) before they can fire; with fewer,
 * value is null and the state is ok.
 */
#ifndef LF_CORE_ALERTS_H
#define LF_CORE_ALERTS_H

#include "metrics.h"

#include <jansson.h>

enum lf_alert_severity { LF_ALERT_WARNING = 1, LF_ALERT_CRITICAL = 2 };

/** Thresholds and windows; lf_alerts_config_default() fills the runbook values above. */
struct lf_alerts_config {
    double api_down_seconds;          /* 120 */
    double quality_critical;          /* 0.65 */
    double quality_critical_window;   /* 900 */
    double quality_warning;           /* 0.70 */
    double quality_warning_window;    /* 3600 */
    unsigned quality_min_samples;     /* 3 scored contents */
    double response_time_ms;          /* 1000 */
    double response_time_window;      /* 300 */
    unsigned response_min_requests;   /* 5 */
    double cpu_percent;               /* 80 */
    double cpu_window;                /* 600 */
    double memory_percent;            /* 80 */
    double memory_window;             /* 600 */
    double success_rate;              /* 0.90 */
    double success_rate_window;       /* 900 */
    unsigned success_min_generations; /* 5 */
    double min_sample_spacing;        /* 5 s: a sample closer than this to the previous one replaces it */
};

void lf_alerts_config_default(struct lf_alerts_config *cfg);

/** One tick's figures. */
struct lf_alerts_input {
    double now;            /* seconds since the epoch (tests inject any monotonic sequence) */
    int health_ok;         /* 1 healthy, 0 failing, -1 unknown */
    int db_ok;             /* 1 reachable, 0 unreachable, -1 unknown / not configured */
    double cpu_percent;    /* system CPU 0..100; NAN or < 0 = unknown (e.g. first sysstat sample) */
    double memory_percent; /* system memory in use 0..100; NAN or < 0 = unknown */
    struct lf_metrics_totals totals; /* cumulative since the metrics registry was created */
};

struct lf_sysstat;

/**
 * Convenience: fill *in for a tick at `now` from the metrics registry (cumulative totals) and the latest sysstat
 * sample (sys NULL or without a CPU interval: cpu unknown), plus the caller's health and database status.
 */
void lf_alerts_input_fill(struct lf_alerts_input *in, double now, struct lf_metrics *m, const struct lf_sysstat *sys,
                          int health_ok, int db_ok);

/** A rule's current status (for tests and the detailed health endpoint). */
struct lf_alert_status {
    const char *name;      /* static string */
    int severity;          /* enum lf_alert_severity */
    int firing;            /* 1 firing, 0 ok */
    int has_value;         /* 0: not enough data, value meaningless */
    double value;
    double threshold;
    double window_seconds;
    double since;          /* time of the last transition (or of creation) */
};

struct lf_alerts;

/** New evaluator (cfg NULL = defaults); every rule starts ok with since = now. Free with lf_alerts_free(). */
struct lf_alerts *lf_alerts_new(const struct lf_alerts_config *cfg, double now);
void lf_alerts_free(struct lf_alerts *a);

/** Record the tick's sample and re-evaluate every rule; transitions are logged. */
void lf_alerts_evaluate(struct lf_alerts *a, const struct lf_alerts_input *in);

/** Number of rules. */
size_t lf_alerts_count(const struct lf_alerts *a);
/** Status of rule i (0 <= i < count) or by name; returns 0, or -1 if there is no such rule. */
int lf_alerts_get(struct lf_alerts *a, size_t i, struct lf_alert_status *out);
int lf_alerts_find(struct lf_alerts *a, const char *name, struct lf_alert_status *out);
/** Number of rules firing with at least `min_severity`. */
size_t lf_alerts_firing(struct lf_alerts *a, int min_severity);

/**
 * {evaluated_at, firing, alerts:[{name, severity: "critical"|"warning", state: "firing"|"ok", value (number or
 * null), threshold, window_seconds, since (ISO 8601 UTC), description}]} (new reference).
 */
json_t *lf_alerts_json(struct lf_alerts *a);

#endif
