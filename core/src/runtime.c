/*
 * core/src/runtime.c - process-wide runtime glue used by the pipeline and the handlers
 * SPDX-License-Identifier: MIT
 */
#include "runtime.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "config.h"
#include "handlers.h"
#include "keycache.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "ops.h"
#include "plaintext.h"
#include "quality.h"
#include "ratelimit.h"
#include "registry.h"
#include "router.h"
#include "schema.h"
#include "server.h"
#include "store.h"
#include "util.h"

#define MODULE "runtime"

static struct lf_router_registry *rt_registry;
static struct lf_budget_table *key_budgets;
static struct lf_ratelimit *rl_requests, *rl_generations, *rl_authfail;
static struct lf_metrics *metrics;
static int db_configured;
static pthread_mutex_t cfg_mu = PTHREAD_MUTEX_INITIALIZER;
static double key_day_usd, key_month_usd;

static void on_transition(void *ud, const char *name, enum lf_circuit_state from, enum lf_circuit_state to,
                          const char *reason, uint64_t now_ms, uint64_t retry_at_ms)
{
    (void)ud;
    (void)now_ms;
    lf_log_fields(to == LF_CIRCUIT_OPEN ? LF_LOG_LVL_WARN : LF_LOG_LVL_INFO, "circuit",
                  json_pack("{s:s,s:s,s:s,s:s,s:I}", "provider", name, "from", lf_circuit_state_name(from), "to",
                            lf_circuit_state_name(to), "reason", reason ? reason : "", "retry_at_ms",
                            (json_int_t)retry_at_ms),
                  "circuit of provider \"%s\" %s -> %s", name, lf_circuit_state_name(from), lf_circuit_state_name(to));
}

void lf_runtime_init(const struct lf_config *cfg)
{
    rt_registry = lf_router_registry_new(NULL, on_transition, NULL);
    key_day_usd = cfg->key_budget_daily_usd;
    key_month_usd = cfg->key_budget_monthly_usd;
    key_budgets = lf_budget_table_new(key_day_usd > 0 ? key_day_usd : -1, key_month_usd > 0 ? key_month_usd : -1);
    rl_requests = lf_ratelimit_new((uint32_t)cfg->requests_per_minute, 60000, 0);
    rl_generations = lf_ratelimit_new((uint32_t)cfg->generations_per_hour, 3600000, 0);
    rl_authfail = lf_ratelimit_new((uint32_t)cfg->auth_failures_per_minute, 60000, 0);
    metrics = lf_metrics_new(cfg->workers + 1);
    db_configured = cfg->database_url != NULL;
}

static void ov_free_all(void);

void lf_runtime_shutdown(void)
{
    ov_free_all();
    lf_router_registry_free(rt_registry);
    lf_budget_table_free(key_budgets);
    lf_ratelimit_free(rl_requests);
    lf_ratelimit_free(rl_generations);
    lf_ratelimit_free(rl_authfail);
    lf_metrics_free(metrics);
    rt_registry = NULL;
    key_budgets = NULL;
    rl_requests = rl_generations = rl_authfail = NULL;
    metrics = NULL;
}

struct lf_metrics *lf_runtime_metrics(void)
{
    return metrics;
}

void lf_runtime_apply_config(const struct lf_config *cfg)
{
    pthread_mutex_lock(&cfg_mu);
    lf_ratelimit_set_limit(rl_requests, (uint32_t)cfg->requests_per_minute, 60000);
    lf_ratelimit_set_limit(rl_generations, (uint32_t)cfg->generations_per_hour, 3600000);
    lf_ratelimit_set_limit(rl_authfail, (uint32_t)cfg->auth_failures_per_minute, 60000);
    key_day_usd = cfg->key_budget_daily_usd;
    key_month_usd = cfg->key_budget_monthly_usd;
    pthread_mutex_unlock(&cfg_mu);
}

struct lf_provider_rt *lf_runtime_provider_rt(struct lf_provider *p)
{
    if (rt_registry == NULL)
        return NULL;
    /* budget limits are applied by lf_runtime_retain() once the generation is published, so that a
     * reload that fails later changes nothing */
    return lf_router_registry_acquire(rt_registry, p->name, NULL);
}

/* ---- admin overrides ---- */

struct override {
    char *name;
    struct lf_provider_override ov;
};

static pthread_mutex_t ov_mu = PTHREAD_MUTEX_INITIALIZER;
static struct override *ovs;
static size_t novs;
static atomic_size_t ov_live; /* number of overrides; 0 = fast path without the lock */

static void ov_free_all(void)
{
    pthread_mutex_lock(&ov_mu);
    for (size_t i = 0; i < novs; ++i)
        lf_free(ovs[i].name);
    lf_free(ovs);
    ovs = NULL;
    novs = 0;
    atomic_store(&ov_live, 0);
    pthread_mutex_unlock(&ov_mu);
}

static struct override *ov_find(const char *name)
{
    for (size_t i = 0; i < novs; ++i)
        if (strcmp(ovs[i].name, name) == 0)
            return &ovs[i];
    return NULL;
}

static void apply_budget_limits(struct lf_provider_rt *rt, const struct lf_provider_conf *conf,
                                const struct lf_provider_override *ov)
{
    double day = conf != NULL && conf->budget_daily_usd > 0 ? conf->budget_daily_usd : -1;
    double month = conf != NULL && conf->budget_monthly_usd > 0 ? conf->budget_monthly_usd : -1;
    if (ov != NULL && (ov->set & LF_OVERRIDE_BUDGET_DAY))
        day = ov->budget_daily_usd;
    if (ov != NULL && (ov->set & LF_OVERRIDE_BUDGET_MONTH))
        month = ov->budget_monthly_usd;
    lf_budget_set_limits(rt->budget, day, month);
}

int lf_runtime_override_get(const char *name, struct lf_provider_override *out)
{
    memset(out, 0, sizeof(*out));
    if (atomic_load_explicit(&ov_live, memory_order_acquire) == 0)
        return 0;
    pthread_mutex_lock(&ov_mu);
    struct override *o = ov_find(name);
    if (o != NULL)
        *out = o->ov;
    pthread_mutex_unlock(&ov_mu);
    return out->set != 0;
}

void lf_runtime_override_set(const char *name, const struct lf_provider_override *ov, int clear)
{
    pthread_mutex_lock(&ov_mu);
    struct override *o = ov_find(name);
    int was_disabled = o != NULL && (o->ov.set & LF_OVERRIDE_ENABLED) && !o->ov.enabled;
    if (o == NULL) {
        ovs = lf_realloc(ovs, (novs + 1) * sizeof(*ovs));
        o = &ovs[novs++];
        memset(o, 0, sizeof(*o));
        o->name = lf_strdup(name);
    }
    if (clear)
        memset(&o->ov, 0, sizeof(o->ov));
    unsigned s = ov->set;
    if (s & LF_OVERRIDE_ENABLED)
        o->ov.enabled = ov->enabled;
    if (s & LF_OVERRIDE_PRIORITY)
        o->ov.priority = ov->priority;
    if (s & LF_OVERRIDE_WEIGHT)
        o->ov.weight = ov->weight;
    if (s & LF_OVERRIDE_BUDGET_DAY)
        o->ov.budget_daily_usd = ov->budget_daily_usd;
    if (s & LF_OVERRIDE_BUDGET_MONTH)
        o->ov.budget_monthly_usd = ov->budget_monthly_usd;
    o->ov.set |= s;
    struct lf_provider_override now = o->ov;
    atomic_store_explicit(&ov_live, novs, memory_order_release);
    pthread_mutex_unlock(&ov_mu);

    int lifted = was_disabled && (!(now.set & LF_OVERRIDE_ENABLED) || now.enabled);
    struct lf_registry *reg = lf_registry_acquire();
    struct lf_provider *p = lf_registry_provider(reg, name);
    if (p != NULL && p->rt != NULL) {
        apply_budget_limits(p->rt, p->conf, &now);
        if (lifted)
            lf_circuit_reset(p->rt->circuit, lf_wall_ms());
    }
    lf_registry_release(reg);
}

void lf_runtime_provider_effective(const struct lf_provider *p, int *enabled, int *priority, double *weight)
{
    *enabled = p->enabled;
    *priority = p->priority;
    *weight = p->weight;
    if (atomic_load_explicit(&ov_live, memory_order_acquire) == 0)
        return;
    pthread_mutex_lock(&ov_mu);
    struct override *o = ov_find(p->name);
    if (o != NULL) {
        if ((o->ov.set & LF_OVERRIDE_ENABLED) && !o->ov.enabled)
            *enabled = 0;
        if (o->ov.set & LF_OVERRIDE_PRIORITY)
            *priority = o->ov.priority;
        if (o->ov.set & LF_OVERRIDE_WEIGHT)
            *weight = o->ov.weight;
    }
    pthread_mutex_unlock(&ov_mu);
}

void lf_runtime_retain(struct lf_registry *reg)
{
    if (rt_registry == NULL)
        return;
    const char **names = lf_calloc(reg->nproviders + 1, sizeof(*names));
    for (size_t i = 0; i < reg->nproviders; ++i)
        names[i] = reg->providers[i].name;
    lf_router_registry_retain_only(rt_registry, names, reg->nproviders);
    lf_free(names);
    /* budget limits of the new generation: configuration, then admin overrides */
    for (size_t i = 0; i < reg->nproviders; ++i) {
        struct lf_provider *p = &reg->providers[i];
        if (p->rt == NULL)
            continue;
        struct lf_provider_override ov;
        lf_runtime_override_get(p->name, &ov);
        apply_budget_limits(p->rt, p->conf, &ov);
        if (p->conf != NULL) {
            /* breaker settings of the new generation (zero fields = defaults); the state is kept */
            struct lf_circuit_config cc;
            memset(&cc, 0, sizeof(cc));
            cc.failure_threshold = (uint32_t)p->conf->circuit_failure_threshold;
            cc.error_ratio = p->conf->circuit_error_ratio;
            cc.window_ms = (uint32_t)p->conf->circuit_window_ms;
            cc.min_requests = (uint32_t)p->conf->circuit_min_requests;
            cc.cooldown_ms = (uint32_t)p->conf->circuit_cooldown_ms;
            cc.max_cooldown_ms = (uint32_t)p->conf->circuit_max_cooldown_ms;
            lf_circuit_configure(p->rt->circuit, &cc);
        }
    }
}

struct lf_budget *lf_runtime_key_budget(const char *key_id)
{
    if (key_id == NULL || key_budgets == NULL || (key_day_usd <= 0 && key_month_usd <= 0))
        return NULL;
    return lf_budget_table_get(key_budgets, key_id);
}

/* ---- rate limits ---- */

int lf_runtime_ratelimit(struct lf_http *h, uint32_t generations)
{
    struct lf_ratelimit_result r, g;
    uint64_t now = lf_wall_ms();
    const char *key = h->key_id[0] ? h->key_id : h->client_addr;
    lf_ratelimit_check(rl_requests, key, now, 1, &r);
    struct lf_ratelimit_result *shown = &r;
    const char *which = "requests_per_minute";
    uint64_t window = 60;
    if (r.allowed && generations > 0) {
        lf_ratelimit_check(rl_generations, key, now, generations, &g);
        /* show the tighter of the two allowances */
        if (!g.allowed || g.remaining < r.remaining) {
            shown = &g;
            which = "generations_per_hour";
            window = 3600;
        }
    }
    h->rl_set = 1;
    h->rl_limit = shown->limit;
    h->rl_remaining = shown->remaining;
    h->rl_reset = (long)shown->reset_epoch_seconds;
    if (!shown->allowed) {
        char ra[32];
        snprintf(ra, sizeof(ra), "%u", shown->retry_after_seconds);
        lf_http_add_header(h, "Retry-After", ra);
        lf_http_send_error(h, 429, "RATE_LIMITED",
                           json_pack("{s:i,s:I,s:i,s:s}", "limit", (int)shown->limit, "window_seconds",
                                     (json_int_t)window, "retry_after", (int)shown->retry_after_seconds, "limit_name",
                                     which),
                           "rate limit exceeded (%s); retry in %u s", which, shown->retry_after_seconds);
        return -1;
    }
    return 0;
}

int lf_runtime_auth_failure(const char *addr, uint64_t *retry_after_s)
{
    struct lf_ratelimit_result r;
    lf_ratelimit_check(rl_authfail, addr, lf_wall_ms(), 1, &r);
    *retry_after_s = r.retry_after_seconds;
    return !r.allowed;
}

int lf_runtime_auth_blocked(const char *addr, uint64_t *retry_after_s)
{
    struct lf_ratelimit_result r;
    int blocked = lf_ratelimit_blocked(rl_authfail, addr, lf_wall_ms(), &r);
    *retry_after_s = r.retry_after_seconds ? r.retry_after_seconds : 1;
    return blocked;
}

/* ---- provider state for the health views ---- */

int lf_provider_enabled(const struct lf_provider *p)
{
    int en, prio;
    double w;
    lf_runtime_provider_effective(p, &en, &prio, &w);
    return en;
}

int lf_provider_routable(const struct lf_provider *p)
{
    int en, prio;
    double w;
    lf_runtime_provider_effective(p, &en, &prio, &w);
    if (!en)
        return 0;
    if (p->rt == NULL)
        return 1;
    return lf_circuit_peek(p->rt->circuit, lf_wall_ms()) != LF_CIRCUIT_DENY;
}

const char *lf_provider_state_name(const struct lf_provider *p)
{
    int en, prio;
    double w;
    lf_runtime_provider_effective(p, &en, &prio, &w);
    if (!en)
        return "disabled";
    if (p->rt == NULL)
        return "closed";
    struct lf_circuit_info info;
    lf_circuit_get_info(p->rt->circuit, lf_wall_ms(), &info);
    return info.state_name;
}

const char *lf_runtime_db_state(void)
{
    if (!db_configured)
        return "not_configured";
    return lf_store_db_up() ? "up" : "down";
}

void lf_db_readiness(json_t *reasons)
{
    if (db_configured && !lf_store_db_up())
        json_array_append_new(reasons, json_string("database_unavailable"));
}

json_t *lf_db_health_json(void)
{
    struct lf_store_stats st;
    lf_store_stats(&st);
    return json_pack("{s:s,s:I,s:I}", "status", lf_runtime_db_state(), "pending_writes",
                     (json_int_t)st.pending_writes, "spooled_records", (json_int_t)st.spooled_records);
}

/* ---- quality ---- */

json_t *lf_runtime_quality(struct lf_registry *reg, const char *content_type, const char *age_group,
                           const json_t *content, const json_t *objectives, const json_t *schema, double *overall,
                           int *meets_all)
{
    struct lf_quality_scorer sc[32];
    size_t n = 0;
    for (size_t i = 0; i < reg->nscorers && n < 32; ++i) {
        struct lf_scorer *s = &reg->scorers[i];
        if (!s->enabled || s->plugin == NULL)
            continue;
        sc[n].name = s->name;
        sc[n].version = s->plugin->desc.version;
        sc[n].desc = &s->plugin->desc;
        sc[n].state = s->state;
        sc[n].weight_override = s->weight;
        ++n;
    }
    *overall = -1;
    *meets_all = 1;
    if (n == 0)
        return NULL;
    struct lf_quality_config qc;
    lf_quality_config_defaults(&qc);
    qc.weights = reg->config->quality_weights;
    qc.threshold_overall = reg->config->threshold_overall;
    qc.threshold_educational = reg->config->threshold_educational;
    qc.threshold_factual = reg->config->threshold_factual;
    json_t *errors = NULL;
    int valid = schema != NULL ? lf_schema_validate(schema, content, &errors) : -1;
    char *text = lf_plaintext_extract(content);
    json_t *q = lf_quality_assess(sc, n, &qc, content_type, age_group, content, objectives, schema, valid, errors,
                                  text, overall, meets_all);
    lf_free(text);
    json_decref(errors);
    struct lf_metrics_shard *shard = lf_metrics_thread_shard();
    if (shard != NULL && q != NULL && *overall >= 0)
        lf_metrics_quality(shard, content_type, *overall);
    if (q != NULL && json_is_number(json_object_get(q, "duration_us")))
        lf_ops_note_assessment(json_number_value(json_object_get(q, "duration_us")) / 1000.0);
    return q;
}

/* ---- records ---- */

/* users.id of the key that made the request (bootstrap keys: the system user; see keycache.h) */
static void set_user(json_t *rec, const char *key_id)
{
    char uid[37];
    lf_keycache_user_of(key_id, uid);
    json_object_set_new(rec, "user_id", json_string(uid));
}

void lf_runtime_record_user(json_t *rec, const char *key_id)
{
    set_user(rec, key_id);
}

void lf_runtime_record_attempt(struct lf_provider *p, const char *gen_id, const char *request_id, const char *key_id,
                               json_t *outcome, uint32_t failure, double latency_ms, const struct lf_gen_result *r,
                               double cost, const char *content_type)
{
    (void)failure;
    (void)content_type;
    struct lf_metrics_shard *shard = lf_metrics_thread_shard();
    const char *oc = json_string_value(outcome);
    if (shard != NULL) {
        lf_metrics_provider_attempt(shard, p->name, oc, latency_ms);
        if (r != NULL && (r->usage.prompt_tokens || r->usage.completion_tokens))
            lf_metrics_provider_usage(shard, p->name, r->usage.prompt_tokens, r->usage.completion_tokens, cost);
    }
    if (!db_configured)
        return;
    char id[37];
    lf_uuid_v4(id);
    json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s,s:f,s:I,s:I,s:b,s:f,s:s?}", "kind", "attempt", "id", id,
                            "request_id", request_id ? request_id : "", "content_id", gen_id, "model",
                            r != NULL ? r->model : NULL, "provider", p->name, "latency_ms", latency_ms,
                            "prompt_tokens", (json_int_t)(r ? r->usage.prompt_tokens : 0), "completion_tokens",
                            (json_int_t)(r ? r->usage.completion_tokens : 0), "tokens_estimated",
                            r ? r->usage.estimated : 0, "cost_usd", cost, "error",
                            r != NULL ? r->error_message : NULL);
    json_object_set(rec, "outcome", outcome);
    set_user(rec, key_id);
    lf_store_submit(rec);
}

void lf_runtime_store_generation(json_t *resp, const char *key_id, const char *request_id, const char *batch_id,
                                 const char *requirements, json_t *objectives)
{
    struct lf_metrics_shard *shard = lf_metrics_thread_shard();
    json_t *meta = json_object_get(resp, "metadata");
    if (shard != NULL)
        /* tokens and cost were added per attempt (lf_runtime_record_attempt): 0 here, or they count twice */
        lf_metrics_generation(shard, json_string_value(json_object_get(resp, "content_type")),
                              json_string_value(json_object_get(meta, "ai_provider")), "ok", 0, 0, 0,
                              (double)json_integer_value(json_object_get(meta, "generation_duration_ms")));
    if (!db_configured)
        return;
    json_t *rec = json_deep_copy(resp);
    json_object_set_new(rec, "kind", json_string("generation"));
    json_object_set_new(rec, "request_id", json_string(request_id ? request_id : ""));
    if (batch_id != NULL)
        json_object_set_new(rec, "batch_id", json_string(batch_id));
    if (requirements != NULL)
        json_object_set_new(rec, "additional_requirements", json_string(requirements));
    if (objectives != NULL)
        json_object_set(rec, "learning_objectives", objectives);
    set_user(rec, key_id);
    if (lf_store_submit(rec) != LF_OK)
        lf_log_error(MODULE, "generation %s could not be journaled", json_string_value(json_object_get(resp, "id")));
}

void lf_runtime_store_chat(const char *id, const char *request_id, const char *key_id, json_t *body)
{
    (void)id;
    (void)request_id;
    (void)key_id;
    struct lf_metrics_shard *shard = lf_metrics_thread_shard();
    if (shard != NULL) {
        lf_metrics_generation(shard, "chat", json_string_value(json_object_get(body, "provider")), "ok", 0, 0, 0, 0);
    }
}

void lf_runtime_store_api_usage(struct lf_http *h, int status, uint64_t total_ns, size_t bytes_out)
{
    if (!db_configured || h->key_id[0] == '\0')
        return;
    char id[37];
    lf_uuid_v4(id);
    h2o_req_t *req = h->req;
    const char *ua = NULL;
    size_t ualen = 0;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_USER_AGENT, -1);
    if (i >= 0) {
        ua = req->headers.entries[i].value.base;
        ualen = req->headers.entries[i].value.len;
        if (ualen > 500)
            ualen = 500;
    }
    json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s#,s:s#,s:i,s:f,s:I,s:I,s:s}", "kind", "api_usage", "id", id,
                            "request_id", h->request_id, "api_key_hash", h->key_id, "endpoint",
                            req->path_normalized.base, (int)req->path_normalized.len, "method", req->method.base,
                            (int)req->method.len, "status_code", status, "response_time_ms", (double)total_ns / 1e6,
                            "request_size_bytes", (json_int_t)(req->entity.base ? req->entity.len : 0),
                            "response_size_bytes", (json_int_t)bytes_out, "ip_address", h->client_addr);
    if (ua != NULL)
        json_object_set_new(rec, "user_agent", json_stringn(ua, ualen));
    if (h->user_id[0] != '\0')
        json_object_set_new(rec, "user_id", json_string(h->user_id));
    else
        set_user(rec, h->key_id);
    lf_store_submit(rec);
}
