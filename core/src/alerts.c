/*
 * core/src/alerts.c - the runbook's alert rules evaluated over time windows, with state transitions logged
 * SPDX-License-Identifier: MIT
 */
#include "alerts.h"

#include "log.h"
#include "mem.h"
#include "sysstat.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MODULE "alerts"

enum rule_id {
    R_API_DOWN = 0,
    R_HEALTH,
    R_DATABASE,
    R_QUALITY_CRIT,
    R_QUALITY_WARN,
    R_RESPONSE_TIME,
    R_CPU,
    R_MEMORY,
    R_SUCCESS_RATE,
    R__COUNT
};

enum cmp { ABOVE, BELOW };

struct rule_def {
    const char *name;
    int severity;
    enum cmp cmp;
    const char *description;
};

static const struct rule_def rule_defs[R__COUNT] = {
    [R_API_DOWN] = {"api_down", LF_ALERT_CRITICAL, ABOVE, "health checks failing continuously (seconds)"},
    [R_HEALTH] = {"health_check_failing", LF_ALERT_CRITICAL, BELOW, "latest health check (1 ok, 0 failing)"},
    [R_DATABASE] = {"database_unreachable", LF_ALERT_CRITICAL, BELOW, "database reachable (1 yes, 0 no)"},
    [R_QUALITY_CRIT] = {"quality_score_critical", LF_ALERT_CRITICAL, BELOW,
                        "average overall quality score over the window"},
    [R_QUALITY_WARN] = {"quality_score_low", LF_ALERT_WARNING, BELOW, "average overall quality score over the window"},
    [R_RESPONSE_TIME] = {"response_time_high", LF_ALERT_CRITICAL, ABOVE,
                         "p95 response time (ms) of API routes not waiting on a provider, over the window"},
    [R_CPU] = {"cpu_high", LF_ALERT_WARNING, ABOVE,
               "system CPU percent; fires when above the threshold continuously for the window"},
    [R_MEMORY] = {"memory_high", LF_ALERT_WARNING, ABOVE,
                  "system memory in use (percent); fires when above the threshold continuously for the window"},
    [R_SUCCESS_RATE] = {"generation_success_rate_low", LF_ALERT_WARNING, BELOW,
                        "succeeded / finished generations over the window"},
};

struct rule_state {
    int firing;
    int has_value;
    double value;
    double threshold;
    double window;
    double since;
};

struct sample {
    double t;
    struct lf_metrics_totals totals;
};

struct lf_alerts {
    pthread_mutex_t mu;
    struct lf_alerts_config cfg;
    struct rule_state rules[R__COUNT];
    struct sample *samples;
    size_t nsamples, cap;
    double max_window;
    double last_eval;
    /* streaks: start time of the current uninterrupted run over the threshold, or -1 */
    double health_fail_since, cpu_above_since, mem_above_since;
};

void lf_alerts_config_default(struct lf_alerts_config *c)
{
    memset(c, 0, sizeof(*c));
    c->api_down_seconds = 120;
    c->quality_critical = 0.65;
    c->quality_critical_window = 900;
    c->quality_warning = 0.70;
    c->quality_warning_window = 3600;
    c->quality_min_samples = 3;
    c->response_time_ms = 1000;
    c->response_time_window = 300;
    c->response_min_requests = 5;
    c->cpu_percent = 80;
    c->cpu_window = 600;
    c->memory_percent = 80;
    c->memory_window = 600;
    c->success_rate = 0.90;
    c->success_rate_window = 900;
    c->success_min_generations = 5;
    c->min_sample_spacing = 5;
}

struct lf_alerts *lf_alerts_new(const struct lf_alerts_config *cfg, double now)
{
    struct lf_alerts *a = lf_calloc(1, sizeof(*a));
    const struct lf_alerts_config *c = &a->cfg;
    pthread_mutex_init(&a->mu, NULL);
    if (cfg != NULL)
        a->cfg = *cfg;
    else
        lf_alerts_config_default(&a->cfg);
    double thr[R__COUNT] = {c->api_down_seconds, 1, 1, c->quality_critical, c->quality_warning, c->response_time_ms,
                            c->cpu_percent, c->memory_percent, c->success_rate};
    double win[R__COUNT] = {c->api_down_seconds, 0, 0, c->quality_critical_window, c->quality_warning_window,
                            c->response_time_window, c->cpu_window, c->memory_window, c->success_rate_window};
    for (int i = 0; i < R__COUNT; i++) {
        a->rules[i].threshold = thr[i];
        a->rules[i].window = win[i];
        a->rules[i].since = now;
        if (win[i] > a->max_window)
            a->max_window = win[i];
    }
    a->health_fail_since = a->cpu_above_since = a->mem_above_since = -1;
    a->last_eval = now;
    return a;
}

void lf_alerts_free(struct lf_alerts *a)
{
    if (a == NULL)
        return;
    pthread_mutex_destroy(&a->mu);
    lf_free(a->samples);
    lf_free(a);
}

static void add_sample(struct lf_alerts *a, double t, const struct lf_metrics_totals *tot)
{
    /* ticks closer than min_sample_spacing to the one before the last replace the last (bounded memory) */
    if (a->nsamples >= 2 && t >= a->samples[a->nsamples - 1].t &&
        t - a->samples[a->nsamples - 2].t < a->cfg.min_sample_spacing) {
        a->samples[a->nsamples - 1].t = t;
        a->samples[a->nsamples - 1].totals = *tot;
        return;
    }
    /* drop samples no window can use: keep the newest one at or before now - max_window */
    size_t drop = 0;
    while (drop + 1 < a->nsamples && a->samples[drop + 1].t <= t - a->max_window)
        drop++;
    if (drop > 0) {
        memmove(a->samples, a->samples + drop, (a->nsamples - drop) * sizeof(*a->samples));
        a->nsamples -= drop;
    }
    if (a->nsamples == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->samples = lf_realloc(a->samples, a->cap * sizeof(*a->samples));
    }
    a->samples[a->nsamples].t = t;
    a->samples[a->nsamples].totals = *tot;
    a->nsamples++;
}

/* Totals at the start of the window ending at `now`: the newest sample at or before now - window, else zeros
 * (counters are cumulative since start, so zeros mean "everything so far"). */
static void window_base(const struct lf_alerts *a, double now, double window, struct lf_metrics_totals *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = a->nsamples; i-- > 0;) {
        if (a->samples[i].t <= now - window) {
            *out = a->samples[i].totals;
            return;
        }
    }
}

static uint64_t delta(uint64_t cur, uint64_t base)
{
    return cur >= base ? cur - base : cur; /* a reset registry counts from zero */
}

static void set_rule(struct lf_alerts *a, enum rule_id id, int has_value, double value, int firing_cond, double now)
{
    struct rule_state *r = &a->rules[id];
    const struct rule_def *d = &rule_defs[id];
    int firing = has_value && firing_cond;
    r->has_value = has_value;
    r->value = has_value ? value : 0;
    if (firing == r->firing)
        return;
    r->firing = firing;
    r->since = now;
    json_t *fields = json_pack("{s:s, s:s, s:s, s:o, s:f, s:f}", "alert", d->name, "severity",
                               d->severity == LF_ALERT_CRITICAL ? "critical" : "warning", "state",
                               firing ? "firing" : "ok", "value", has_value ? json_real(value) : json_null(),
                               "threshold", r->threshold, "window_seconds", r->window);
    if (firing)
        lf_log_fields(d->severity == LF_ALERT_CRITICAL ? LF_LOG_LVL_ERROR : LF_LOG_LVL_WARN, MODULE, fields,
                      "alert \"%s\" firing", d->name);
    else
        lf_log_fields(LF_LOG_LVL_INFO, MODULE, fields, "alert \"%s\" resolved", d->name);
}

static int known(double v)
{
    return isfinite(v) && v >= 0;
}

/* Streak bookkeeping: start when over, keep while over, clear when not over; unknown figures leave it as is. */
static void streak(double *since, int is_known, int over, double now)
{
    if (!is_known)
        return;
    if (over) {
        if (*since < 0)
            *since = now;
    } else {
        *since = -1;
    }
}

static void evaluate_locked(struct lf_alerts *a, const struct lf_alerts_input *in)
{
    const struct lf_alerts_config *c = &a->cfg;
    const struct lf_metrics_totals *cur = &in->totals;
    struct lf_metrics_totals base;
    double now = in->now;

    add_sample(a, now, cur);
    a->last_eval = now;

    /* health and API down */
    streak(&a->health_fail_since, in->health_ok >= 0, in->health_ok == 0, now);
    set_rule(a, R_HEALTH, in->health_ok >= 0, in->health_ok > 0 ? 1 : 0, in->health_ok == 0, now);
    double down = a->health_fail_since >= 0 ? now - a->health_fail_since : 0;
    set_rule(a, R_API_DOWN, in->health_ok >= 0, down, down > c->api_down_seconds, now);

    set_rule(a, R_DATABASE, in->db_ok >= 0, in->db_ok > 0 ? 1 : 0, in->db_ok == 0, now);

    /* quality averages */
    window_base(a, now, c->quality_critical_window, &base);
    {
        uint64_t n = delta(cur->quality_count, base.quality_count);
        double avg = n > 0 ? (cur->quality_sum - (cur->quality_count >= base.quality_count ? base.quality_sum : 0)) /
                                 (double)n
                           : 0;
        int enough = n >= c->quality_min_samples && n > 0;
        set_rule(a, R_QUALITY_CRIT, enough, avg, avg < c->quality_critical, now);
    }
    window_base(a, now, c->quality_warning_window, &base);
    {
        uint64_t n = delta(cur->quality_count, base.quality_count);
        double avg = n > 0 ? (cur->quality_sum - (cur->quality_count >= base.quality_count ? base.quality_sum : 0)) /
                                 (double)n
                           : 0;
        int enough = n >= c->quality_min_samples && n > 0;
        set_rule(a, R_QUALITY_WARN, enough, avg, avg < c->quality_warning, now);
    }

    /* p95 response time of API routes over the window */
    window_base(a, now, c->response_time_window, &base);
    {
        uint64_t counts[LF_METRICS_HTTP_NBUCKETS + 1], n = 0;
        for (int i = 0; i <= LF_METRICS_HTTP_NBUCKETS; i++) {
            counts[i] = delta(cur->api_latency_buckets[i], base.api_latency_buckets[i]);
            n += counts[i];
        }
        double p95 = lf_metrics_hist_quantile(lf_metrics_http_bounds, LF_METRICS_HTTP_NBUCKETS, counts, 0.95,
                                              cur->api_latency_max_s) *
                     1000.0;
        int enough = n >= c->response_min_requests && n > 0 && isfinite(p95);
        set_rule(a, R_RESPONSE_TIME, enough, p95, p95 > c->response_time_ms, now);
    }

    /* CPU and memory: continuously above for the window */
    /* an unknown figure (a missed sample) changes nothing: neither the streak nor the state */
    streak(&a->cpu_above_since, known(in->cpu_percent), in->cpu_percent > c->cpu_percent, now);
    if (known(in->cpu_percent))
        set_rule(a, R_CPU, 1, in->cpu_percent, a->cpu_above_since >= 0 && now - a->cpu_above_since >= c->cpu_window,
                 now);
    streak(&a->mem_above_since, known(in->memory_percent), in->memory_percent > c->memory_percent, now);
    if (known(in->memory_percent))
        set_rule(a, R_MEMORY, 1, in->memory_percent,
                 a->mem_above_since >= 0 && now - a->mem_above_since >= c->memory_window, now);

    /* generation success rate over the window */
    window_base(a, now, c->success_rate_window, &base);
    {
        uint64_t n = delta(cur->generations, base.generations);
        uint64_t ok = delta(cur->generations_ok, base.generations_ok);
        if (ok > n)
            ok = n;
        double rate = n > 0 ? (double)ok / (double)n : 0;
        int enough = n >= c->success_min_generations && n > 0;
        set_rule(a, R_SUCCESS_RATE, enough, rate, rate < c->success_rate, now);
    }
}

void lf_alerts_input_fill(struct lf_alerts_input *in, double now, struct lf_metrics *m, const struct lf_sysstat *sys,
                          int health_ok, int db_ok)
{
    memset(in, 0, sizeof(*in));
    in->now = now;
    in->health_ok = health_ok;
    in->db_ok = db_ok;
    in->cpu_percent = sys != NULL && sys->have_cpu ? sys->cpu_percent : NAN;
    in->memory_percent = sys != NULL && sys->mem_total_bytes > 0 ? sys->memory_percent : NAN;
    if (m != NULL)
        lf_metrics_totals(m, &in->totals);
}

void lf_alerts_evaluate(struct lf_alerts *a, const struct lf_alerts_input *in)
{
    pthread_mutex_lock(&a->mu);
    evaluate_locked(a, in);
    pthread_mutex_unlock(&a->mu);
}

size_t lf_alerts_count(const struct lf_alerts *a)
{
    (void)a;
    return R__COUNT;
}

static void fill_status(const struct lf_alerts *a, size_t i, struct lf_alert_status *out)
{
    const struct rule_state *r = &a->rules[i];
    out->name = rule_defs[i].name;
    out->severity = rule_defs[i].severity;
    out->firing = r->firing;
    out->has_value = r->has_value;
    out->value = r->value;
    out->threshold = r->threshold;
    out->window_seconds = r->window;
    out->since = r->since;
}

int lf_alerts_get(struct lf_alerts *a, size_t i, struct lf_alert_status *out)
{
    if (i >= R__COUNT)
        return -1;
    pthread_mutex_lock(&a->mu);
    fill_status(a, i, out);
    pthread_mutex_unlock(&a->mu);
    return 0;
}

int lf_alerts_find(struct lf_alerts *a, const char *name, struct lf_alert_status *out)
{
    for (size_t i = 0; i < R__COUNT; i++)
        if (name != NULL && strcmp(rule_defs[i].name, name) == 0)
            return lf_alerts_get(a, i, out);
    return -1;
}

size_t lf_alerts_firing(struct lf_alerts *a, int min_severity)
{
    size_t n = 0;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < R__COUNT; i++)
        if (a->rules[i].firing && rule_defs[i].severity >= min_severity)
            n++;
    pthread_mutex_unlock(&a->mu);
    return n;
}

static json_t *iso(double t)
{
    char buf[96];
    struct tm tm;
    time_t s = (time_t)t;
    gmtime_r(&s, &tm);
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    return json_string(buf);
}

static double round4(double v)
{
    return round(v * 10000.0) / 10000.0;
}

json_t *lf_alerts_json(struct lf_alerts *a)
{
    json_t *arr = json_array();
    size_t firing = 0;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < R__COUNT; i++) {
        const struct rule_state *r = &a->rules[i];
        firing += r->firing ? 1 : 0;
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:o, s:f, s:f, s:o, s:s}", "name", rule_defs[i].name, "severity",
                           rule_defs[i].severity == LF_ALERT_CRITICAL ? "critical" : "warning", "state",
                           r->firing ? "firing" : "ok", "value", r->has_value ? json_real(round4(r->value)) : json_null(),
                           "threshold", r->threshold, "window_seconds", r->window, "since", iso(r->since),
                           "description", rule_defs[i].description));
    }
    json_t *root = json_pack("{s:o, s:I, s:o}", "evaluated_at", iso(a->last_eval), "firing", (json_int_t)firing,
                             "alerts", arr);
    pthread_mutex_unlock(&a->mu);
    return root;
}
