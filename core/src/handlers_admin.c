/*
 * core/src/handlers_admin.c - providers, scorers, reload and plugin views
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "budget.h"
#include "handlers.h"
#include "mem.h"
#include "registry.h"
#include "router.h"
#include "runtime.h"
#include "server.h"
#include "util.h"

static json_t *budget_json(struct lf_provider *p)
{
    if (p->rt == NULL)
        return json_null();
    struct lf_budget_status st[LF_BUDGET_N_PERIODS];
    lf_budget_query(p->rt->budget, lf_wall_ms(), st);
    json_t *arr = json_array();
    static const char *const names[] = {"day", "month"};
    for (int i = 0; i < LF_BUDGET_N_PERIODS && i < 2; ++i)
        json_array_append_new(arr, json_pack("{s:s,s:o,s:f,s:f}", "period", names[i], "limit_usd",
                                             st[i].limit_usd < 0 ? json_null() : json_real(st[i].limit_usd),
                                             "spent_usd", st[i].spent_usd, "reserved_usd", st[i].reserved_usd));
    return arr;
}

json_t *lf_provider_json(struct lf_provider *p, int detailed);
json_t *lf_provider_json(struct lf_provider *p, int detailed)
{
    json_t *models = json_array();
    for (size_t i = 0; i < p->nmodels; ++i)
        json_array_append_new(models, json_pack("{s:s,s:f,s:f}", "id", p->models[i].id ? p->models[i].id : "",
                                                "input_usd_per_mtok", p->models[i].input_usd_per_mtok,
                                                "output_usd_per_mtok", p->models[i].output_usd_per_mtok));
    struct lf_provider_stats_snapshot s;
    memset(&s, 0, sizeof(s));
    s.latency_ewma_ms = -1;
    if (p->rt != NULL)
        lf_provider_rt_stats(p->rt, &s);
    int eff_enabled, eff_priority;
    double eff_weight;
    lf_runtime_provider_effective(p, &eff_enabled, &eff_priority, &eff_weight);
    json_t *o = json_pack("{s:s,s:s?,s:s?,s:o,s:b,s:s,s:i,s:f,s:o,s:{s:I,s:I,s:I,s:f,s:o}}", "name", p->name,
                          "plugin", p->plugin ? p->plugin->desc.name : (p->conf ? p->conf->plugin : NULL),
                          "plugin_version", p->plugin ? p->plugin->desc.version : NULL, "models", models, "enabled",
                          eff_enabled, "state", lf_provider_state_name(p), "priority", eff_priority, "weight",
                          eff_weight, "budget", budget_json(p), "stats", "requests", (json_int_t)s.requests,
                          "failures", (json_int_t)s.failures, "tokens",
                          (json_int_t)(s.prompt_tokens + s.completion_tokens), "cost_usd", s.cost_usd,
                          "latency_ewma_ms", s.latency_ewma_ms < 0 ? json_null() : json_real(s.latency_ewma_ms));
    if (p->disabled_reason != NULL)
        json_object_set_new(o, "disabled_reason", json_string(p->disabled_reason));
    if (detailed && p->rt != NULL) {
        struct lf_circuit_info ci;
        lf_circuit_get_info(p->rt->circuit, lf_wall_ms(), &ci);
        json_object_set_new(o, "circuit",
                            json_pack("{s:s,s:i,s:f,s:I,s:s}", "state", ci.state_name, "consecutive_failures",
                                      (int)ci.consecutive_failures, "error_rate_1m", ci.error_rate_1m, "retry_at_ms",
                                      (json_int_t)ci.retry_at_ms, "last_error", ci.last_error));
    }
    return o;
}

void lf_h_providers(struct lf_http *h)
{
    struct lf_registry *reg = lf_registry_acquire();
    json_t *arr = json_array();
    for (size_t i = 0; i < reg->nproviders; ++i)
        json_array_append_new(arr, lf_provider_json(&reg->providers[i], 1));
    json_t *body = json_pack("{s:o,s:s,s:I}", "providers", arr, "strategy", reg->config->strategy,
                             "config_generation", (json_int_t)reg->generation);
    lf_registry_release(reg);
    lf_http_send_json(h, 200, body);
}

void lf_h_scorers(struct lf_http *h)
{
    struct lf_registry *reg = lf_registry_acquire();
    json_t *arr = json_array();
    for (size_t i = 0; i < reg->nscorers; ++i) {
        struct lf_scorer *s = &reg->scorers[i];
        json_t *o = json_pack("{s:s,s:s?,s:s?,s:b,s:f}", "name", s->name, "plugin",
                              s->plugin ? s->plugin->desc.name : NULL, "version",
                              s->plugin ? s->plugin->desc.version : NULL, "enabled", s->enabled, "weight", s->weight);
        if (s->disabled_reason)
            json_object_set_new(o, "disabled_reason", json_string(s->disabled_reason));
        json_array_append_new(arr, o);
    }
    json_t *th = json_pack("{s:f,s:f,s:f}", "overall", reg->config->threshold_overall, "educational",
                           reg->config->threshold_educational, "factual", reg->config->threshold_factual);
    json_t *body = json_pack("{s:o,s:o,s:O,s:s}", "scorers", arr, "thresholds", th, "weights",
                             reg->config->quality_weights ? reg->config->quality_weights : json_null(), "gate",
                             reg->config->quality_gate);
    lf_registry_release(reg);
    lf_http_send_json(h, 200, body);
}

void lf_h_admin_reload(struct lf_http *h)
{
    int ok = 0;
    json_t *r = lf_server_reload(&ok);
    if (ok) {
        lf_http_send_json(h, 200, r);
        return;
    }
    const char *why = json_string_value(json_array_get(json_object_get(r, "errors"), 0));
    lf_http_send_error(h, 400, "INVALID_REQUEST", r, "reload failed, nothing changed: %s", why ? why : "unknown error");
}

void lf_h_admin_plugins(struct lf_http *h)
{
    struct lf_registry *reg = lf_registry_acquire();
    uint64_t gen = reg->generation;
    json_t *refused = json_incref(reg->refusals);
    lf_registry_release(reg);
    lf_http_send_json(h, 200, json_pack("{s:I,s:I,s:o,s:o}", "config_generation", (json_int_t)gen,
                                        "live_generations", (json_int_t)lf_registry_live_generations(), "generations",
                                        lf_registry_plugins_json(), "refused", refused));
}
