/*
 * core/src/handlers_ops.c - operations endpoints: detailed health, metrics (JSON and Prometheus), alerts
 * SPDX-License-Identifier: MIT
 */
#include "handlers.h"

#include <math.h>
#include <string.h>

#include "alerts.h"
#include "app.h"
#include "circuit.h"
#include "config.h"
#include "mem.h"
#include "metrics.h"
#include "ops.h"
#include "registry.h"
#include "router.h"
#include "runtime.h"
#include "server.h"
#include "store.h"
#include "sysstat.h"
#include "util.h"

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static int db_configured(void)
{
    return strcmp(lf_runtime_db_state(), "not_configured") != 0;
}

/* ---- provider circuit states for the metrics renderers ---- */

struct prov_states {
    struct lf_metrics_provider_state *v;
    size_t n;
};

static int circuit_metric(enum lf_circuit_state s)
{
    switch (s) {
    case LF_CIRCUIT_OPEN:
        return LF_METRICS_CIRCUIT_OPEN;
    case LF_CIRCUIT_HALF_OPEN:
        return LF_METRICS_CIRCUIT_HALF_OPEN;
    default:
        return LF_METRICS_CIRCUIT_CLOSED;
    }
}

/* Borrowed names: valid while `reg` is held. */
static void provider_states(struct lf_registry *reg, struct prov_states *ps)
{
    ps->n = 0;
    ps->v = lf_calloc(reg->nproviders + 1, sizeof(*ps->v));
    uint64_t now = lf_wall_ms();
    for (size_t i = 0; i < reg->nproviders; ++i) {
        struct lf_provider *p = &reg->providers[i];
        int st = LF_METRICS_CIRCUIT_CLOSED;
        if (p->rt != NULL) {
            struct lf_circuit_info ci;
            lf_circuit_get_info(p->rt->circuit, now, &ci);
            st = circuit_metric(ci.state);
        }
        ps->v[ps->n].name = p->name;
        ps->v[ps->n].circuit = st;
        ps->n++;
    }
}

static void fill_extra(struct lf_metrics_extra *x, const struct prov_states *ps, struct lf_sysstat *st,
                       int *have_st)
{
    memset(x, 0, sizeof(*x));
    x->providers = ps->v;
    x->nproviders = ps->n;
    struct lf_store_stats ss;
    lf_store_stats(&ss);
    /* with no database configured nothing is ever queued: 0 is the true figure */
    x->db_pending_writes = (long long)ss.pending_writes;
    *have_st = 0;
    if (lf_ops_sysstat() != NULL) {
        lf_sysstat_latest(lf_ops_sysstat(), st);
        *have_st = 1;
        x->sys = st;
    }
}

/* ---- GET /api/v1/health/detailed ---- */

static json_t *system_json(const struct lf_sysstat *st)
{
    if (st == NULL)
        return json_pack("{s:n,s:n,s:n,s:n,s:n}", "cpu_percent", "memory_rss_bytes", "memory_percent", "load_average",
                         "disk_free_bytes");
    return json_pack("{s:o,s:I,s:o,s:[f,f,f],s:o,s:o,s:o,s:i,s:o,s:f}", "cpu_percent",
                     st->have_cpu ? num_or_null(st->cpu_percent) : json_null(), "memory_rss_bytes",
                     (json_int_t)st->rss_bytes, "memory_percent",
                     st->mem_total_bytes > 0 ? num_or_null(st->memory_percent) : json_null(), "load_average",
                     st->load1, st->load5, st->load15, "disk_free_bytes",
                     st->disk_total_bytes > 0 ? json_integer((json_int_t)st->disk_free_bytes) : json_null(),
                     "process_cpu_percent", st->have_cpu ? num_or_null(st->process_cpu_percent) : json_null(),
                     "process_memory_percent",
                     st->mem_total_bytes > 0 ? num_or_null(st->process_memory_percent) : json_null(), "threads",
                     st->threads, "sampled_at", json_real(st->timestamp), "sample_interval_seconds",
                     st->interval_s);
}

static json_t *database_json(void)
{
    struct lf_store_stats ss;
    lf_store_stats(&ss);
    /* latency_ms: the store exposes no probe query; a measured figure needs one, so it is null */
    json_t *o = json_pack("{s:s,s:n,s:I,s:I}", "status", lf_runtime_db_state(), "latency_ms", "pending_writes",
                          (json_int_t)ss.pending_writes, "spooled_records", (json_int_t)ss.spooled_records);
    if (db_configured()) {
        json_object_set_new(o, "written_total", json_integer((json_int_t)ss.written_total));
        json_object_set_new(o, "rejected_total", json_integer((json_int_t)ss.rejected_total));
        json_object_set_new(o, "batches_total", json_integer((json_int_t)ss.batches_total));
        json_object_set_new(o, "journal_bytes", json_integer((json_int_t)ss.journal_bytes));
        json_object_set_new(o, "last_batch_ms", json_real((double)ss.last_batch_us / 1000.0));
        json_object_set_new(o, "last_error", ss.last_error[0] ? json_string(ss.last_error) : json_null());
    }
    return o;
}

static json_t *provider_health_json(struct lf_provider *p, uint64_t now)
{
    json_t *o = json_pack("{s:s,s:s?,s:s?,s:s,s:b}", "name", p->name, "plugin",
                          p->plugin ? p->plugin->desc.name : (p->conf ? p->conf->plugin : NULL), "version",
                          p->plugin ? p->plugin->desc.version : NULL, "state", lf_provider_state_name(p), "enabled",
                          lf_provider_enabled(p));
    if (p->rt != NULL) {
        struct lf_provider_stats_snapshot s;
        lf_provider_rt_stats(p->rt, &s);
        struct lf_circuit_info ci;
        lf_circuit_get_info(p->rt->circuit, now, &ci);
        json_object_set_new(o, "circuit", json_string(ci.state_name));
        json_object_set_new(o, "latency_ewma_ms", s.latency_ewma_ms < 0 ? json_null() : json_real(s.latency_ewma_ms));
        json_object_set_new(o, "error_rate_1m", json_real(ci.error_rate_1m));
        json_object_set_new(o, "requests_1m", json_integer((json_int_t)ci.requests_1m));
        json_object_set_new(o, "consecutive_failures", json_integer((json_int_t)ci.consecutive_failures));
        json_object_set_new(o, "last_error", ci.last_error[0] ? json_string(ci.last_error) : json_null());
    } else {
        json_object_set_new(o, "latency_ewma_ms", json_null());
        json_object_set_new(o, "error_rate_1m", json_null());
        json_object_set_new(o, "last_error", json_null());
    }
    if (p->disabled_reason != NULL)
        json_object_set_new(o, "disabled_reason", json_string(p->disabled_reason));
    return o;
}

void lf_h_health_detailed(struct lf_http *h)
{
    char ts[40];
    uint64_t now = lf_wall_ms();
    lf_rfc3339(now, ts, sizeof(ts));
    struct lf_sysstat st;
    int have_st = 0;
    if (lf_ops_sysstat() != NULL) {
        lf_sysstat_latest(lf_ops_sysstat(), &st);
        have_st = 1;
    }
    struct lf_registry *reg = lf_registry_acquire();
    size_t penabled = 0, pavail = 0, senabled = 0;
    json_t *providers = json_array();
    for (size_t i = 0; i < reg->nproviders; ++i) {
        struct lf_provider *p = &reg->providers[i];
        penabled += lf_provider_enabled(p) != 0;
        pavail += lf_provider_routable(p) != 0;
        json_array_append_new(providers, provider_health_json(p, now));
    }
    json_t *scorers = json_array();
    for (size_t i = 0; i < reg->nscorers; ++i) {
        struct lf_scorer *s = &reg->scorers[i];
        senabled += s->enabled != 0;
        json_t *o = json_pack("{s:s,s:s?,s:s?,s:b,s:f}", "name", s->name, "plugin",
                              s->plugin ? s->plugin->desc.name : NULL, "version",
                              s->plugin ? s->plugin->desc.version : NULL, "enabled", s->enabled, "weight", s->weight);
        if (s->disabled_reason != NULL)
            json_object_set_new(o, "disabled_reason", json_string(s->disabled_reason));
        json_array_append_new(scorers, o);
    }
    const char *qstatus = senabled == 0 ? "disabled" : senabled < reg->nscorers ? "degraded" : "healthy";
    double la = lf_ops_last_assessment_ms();
    json_t *quality = json_pack("{s:s,s:o,s:I,s:I}", "status", qstatus, "last_assessment_ms",
                                la >= 0 ? json_real(la) : json_null(), "scorers_enabled", (json_int_t)senabled,
                                "scorers_configured", (json_int_t)reg->nscorers);
    json_t *db = database_json();
    const char *dbstatus = json_string_value(json_object_get(db, "status"));
    const char *status = "healthy";
    if (pavail == 0)
        status = "unhealthy";
    else if (pavail < penabled || strcmp(dbstatus, "down") == 0 || senabled < reg->nscorers)
        status = "degraded";
    struct lf_alerts *al = lf_ops_alerts();
    double uptime = have_st && st.process_start_time > 0 ? (double)now / 1000.0 - st.process_start_time : NAN;
    json_t *body = json_pack(
        "{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:{s:I,s:I}}", "status", status, "timestamp", ts, "version",
        LF_VERSION, "environment", lf_app_config()->environment, "uptime_seconds",
        isfinite(uptime) ? json_real(floor(uptime * 1000) / 1000) : json_null(), "system",
        system_json(have_st ? &st : NULL), "database", db, "providers", providers, "scorers", scorers,
        "quality_pipeline", quality, "config_generation", (json_int_t)reg->generation, "alerts_firing", "critical",
        (json_int_t)(al ? lf_alerts_firing(al, LF_ALERT_CRITICAL) : 0), "warning",
        (json_int_t)(al ? lf_alerts_firing(al, LF_ALERT_WARNING) - lf_alerts_firing(al, LF_ALERT_CRITICAL) : 0));
    lf_registry_release(reg);
    lf_http_send_json(h, 200, body);
}

/* ---- GET /metrics, /api/v1/metrics ---- */

void lf_h_metrics_prometheus(struct lf_http *h)
{
    struct lf_metrics *m = lf_runtime_metrics();
    struct lf_registry *reg = lf_registry_acquire();
    struct prov_states ps;
    provider_states(reg, &ps);
    struct lf_metrics_extra x;
    struct lf_sysstat st;
    int have_st;
    fill_extra(&x, &ps, &st, &have_st);
    size_t len = 0;
    char *text = lf_metrics_prometheus(m, &x, &len);
    lf_registry_release(reg);
    lf_free(ps.v);
    lf_http_add_header(h, "Cache-Control", "no-store");
    lf_http_send_raw(h, 200, LF_METRICS_PROMETHEUS_CONTENT_TYPE, text, len);
    lf_free(text);
}

void lf_h_metrics_json(struct lf_http *h)
{
    struct lf_metrics *m = lf_runtime_metrics();
    struct lf_registry *reg = lf_registry_acquire();
    struct prov_states ps;
    provider_states(reg, &ps);
    struct lf_metrics_extra x;
    struct lf_sysstat st;
    int have_st;
    fill_extra(&x, &ps, &st, &have_st);
    json_t *j = lf_metrics_json(m, &x);
    lf_registry_release(reg);
    lf_free(ps.v);
    json_object_set_new(j, "database", database_json());
    lf_http_send_json(h, 200, j);
}

/* ---- GET /api/v1/alerts ---- */

void lf_h_alerts(struct lf_http *h)
{
    struct lf_alerts *al = lf_ops_alerts();
    if (al == NULL) {
        lf_http_send_error(h, 500, "INTERNAL_ERROR", NULL, "the alert evaluator is not running");
        return;
    }
    json_t *j = lf_alerts_json(al);
    json_object_set_new(j, "tick_seconds", json_real(lf_ops_tick_ms() / 1000.0));
    lf_http_send_json(h, 200, j);
}
