/*
 * core/src/pipeline.c - the generation state machine
 * SPDX-License-Identifier: MIT
 */
#include "pipeline.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content_types.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "plaintext.h"
#include "prompt.h"
#include "quality.h"
#include "registry.h"
#include "repair.h"
#include "router.h"
#include "runtime.h"
#include "schema.h"
#include "server.h"
#include "stream.h"
#include "upstream.h"
#include "util.h"

#define MODULE "pipeline"

struct lf_gen {
    struct lf_worker *w;
    struct lf_registry *reg;
    const struct lf_content_type *type;
    /* owned copies of the parameters */
    char *content_type, *topic, *age_group, *requirements, *provider, *key_id, *request_id, *batch_id;
    char *messages_json, *model, *stop_json, *objectives_json;
    json_t *objectives;
    double max_cost_usd;
    int reject_gate;
    uint32_t max_tokens;
    double temperature, top_p;
    int chat;

    char id[37];
    char *prompt;      /* rendered for each attempt's request and freed once it is built (see send_attempt) */
    size_t prompt_len; /* kept for usage estimates */
    uint64_t start_ns;
    uint64_t deadline_ms; /* monotonic */

    size_t ncands;
    struct lf_route_entry *routable; /* the routing decision's order (n_routable, lf_malloc) */
    uint32_t n_routable;
    struct lf_failover fo;
    json_t *attempts;

    /* the attempt in flight */
    struct lf_provider *cur;
    struct lf_circuit_permit permit;
    int permit_held;
    uint32_t sched_pos;
    int sched;
    int budget_skips, circuit_skips, sent;
    struct lf_provider **provs; /* the routing candidates (ncands, lf_malloc); route.*[].index points here */
    struct lf_budget_reservation res, kres;
    int has_res, has_kres;
    uint64_t attempt_start_ns;
    struct lf_upstream_call *call;
    struct lf_gen_request greq;
    struct lf_http_request hreq;
    h2o_timeout_entry_t delay_timer;
    h2o_timeout_entry_t deadline_timer;
    struct lf_gen_result pending;
    int pending_set;

    /* best result so far (quality gate) */
    json_t *best_content;
    json_t *best_quality;
    double best_score;
    int best_meets;
    char *best_provider, *best_model, *best_finish;
    char *best_text;
    int have_best;
    int regenerations;
    int regenerating;

    uint64_t upstream_ns;
    uint64_t tok_prompt, tok_completion;
    double cost;
    int tokens_estimated;
    uint32_t last_failure;
    uint32_t last_retry_after;
    int finished;
    int abandoned;
    int in_start;
    lf_gen_done_fn done;
    void *ud;

    /* streaming chat (stream.h) */
    int (*on_delta)(void *ud, const char *provider, const char *text, size_t len);
    struct lf_stream_acc *sacc;
    int stream_started;
    uint32_t chunk_delay_ms;
};

static void next_attempt(struct lf_gen *g, uint32_t last_failure, uint32_t retry_after_ms, int skipped);

json_t *lf_gen_error(const char *code, json_t *details, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return json_pack("{s:s,s:s,s:o}", "code", code, "message", msg, "details", details ? details : json_object());
}

/* The attempt outcome as the API reports it: "ok" or the failure class name. */
static const char *failure_name(uint32_t f)
{
    return f == LF_FAILURE_NONE ? "ok" : lf_circuit_failure_name(f);
}

static void free_result(struct lf_gen_result *r)
{
    free(r->text);
    free(r->model);
    free(r->finish_reason);
    free(r->error_message);
    memset(r, 0, sizeof(*r));
}

static void free_hreq(struct lf_http_request *r)
{
    free(r->url);
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static void gen_free(struct lf_gen *g)
{
    if (h2o_timeout_is_linked(&g->delay_timer))
        h2o_timeout_unlink(&g->delay_timer);
    if (h2o_timeout_is_linked(&g->deadline_timer))
        h2o_timeout_unlink(&g->deadline_timer);
    if (g->call != NULL)
        lf_upstream_cancel(g->call);
    if (g->has_res)
        lf_budget_release(&g->res);
    if (g->has_kres)
        lf_budget_release(&g->kres);
    if (g->permit_held && g->cur != NULL && g->cur->rt != NULL)
        lf_circuit_cancel(g->cur->rt->circuit, &g->permit);
    free_hreq(&g->hreq);
    free_result(&g->pending);
    if (g->sacc != NULL) {
        lf_stream_acc_dispose(g->sacc);
        lf_free(g->sacc);
    }
    json_decref(g->attempts);
    json_decref(g->best_content);
    json_decref(g->best_quality);
    json_decref(g->objectives);
    lf_free(g->best_provider);
    lf_free(g->best_model);
    lf_free(g->best_finish);
    lf_free(g->best_text);
    lf_free(g->prompt);
    lf_free(g->provs);
    lf_free(g->routable);
    lf_free(g->content_type);
    lf_free(g->topic);
    lf_free(g->age_group);
    lf_free(g->requirements);
    lf_free(g->provider);
    lf_free(g->key_id);
    lf_free(g->request_id);
    lf_free(g->batch_id);
    lf_free(g->messages_json);
    lf_free(g->model);
    lf_free(g->stop_json);
    lf_free(g->objectives_json);
    lf_registry_release(g->reg);
    lf_free(g);
}

static void finish(struct lf_gen *g, int status, json_t *body)
{
    if (g->finished) {
        json_decref(body);
        return;
    }
    g->finished = 1;
    if (status >= 400 && status != 404 && status != 400) {
        /* a generation that ran and failed (success is counted by lf_runtime_store_generation/_store_chat) */
        const char *code = json_string_value(json_object_get(body, "code"));
        char oc[40];
        snprintf(oc, sizeof(oc), "%s", code != NULL ? code : "failed");
        for (char *c = oc; *c; ++c)
            *c = (char)tolower((unsigned char)*c);
        lf_metrics_generation(lf_metrics_thread_shard(), g->chat ? "chat" : g->content_type,
                              g->cur != NULL ? g->cur->name : NULL, oc, 0, 0, 0,
                              (double)(lf_now_ns() - g->start_ns) / 1e6);
    }
    if (!g->abandoned && g->done != NULL)
        g->done(g->ud, status, body, g->upstream_ns, g->best_provider, g->cost);
    json_decref(body);
    if (!g->in_start)
        gen_free(g);
}

/* ---- success: build the response ---- */

static json_t *build_response(struct lf_gen *g)
{
    char ts[40];
    lf_rfc3339(lf_wall_ms(), ts, sizeof(ts));
    uint64_t dur_ms = (lf_now_ns() - g->start_ns) / 1000000u;
    json_t *meta = json_pack(
        "{s:I,s:{s:I,s:I,s:I},s:b,s:f,s:s,s:s?,s:s?,s:O,s:i,s:b}", "generation_duration_ms", (json_int_t)dur_ms,
        "tokens", "prompt", (json_int_t)g->tok_prompt, "completion", (json_int_t)g->tok_completion, "total",
        (json_int_t)(g->tok_prompt + g->tok_completion), "tokens_estimated", g->tokens_estimated, "cost_usd",
        g->cost, "ai_provider", g->best_provider, "ai_model", g->best_model,
        "prompt_template", g->type != NULL ? g->type->template_version : NULL, "attempts", g->attempts,
        "regenerations", g->regenerations, "cached", 0);
    json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:O,s:O,s:o,s:s}", "id", g->id, "content_type", g->content_type, "topic",
                          g->topic, "age_group", g->age_group, "generated_content", g->best_content,
                          "quality_metrics", g->best_quality ? g->best_quality : json_null(), "metadata", meta,
                          "created_at", ts);
    return r;
}

static void succeed(struct lf_gen *g)
{
    if (g->chat) {
        json_t *body = json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:{s:I,s:I,s:b},s:f,s:O}", "id", g->id, "text",
                                 g->best_text ? g->best_text : "", "provider", g->best_provider, "model", g->best_model,
                                 "finish_reason", g->best_finish, "usage", "prompt_tokens", (json_int_t)g->tok_prompt,
                                 "completion_tokens", (json_int_t)g->tok_completion, "estimated",
                                 g->tokens_estimated, "cost_usd", g->cost, "attempts", g->attempts);
        lf_runtime_store_chat(g->id, g->request_id, g->key_id, body);
        if (g->on_delta != NULL) {
            json_t *copy = json_copy(body);
            json_decref(body);
            body = copy;
            json_object_set_new(body, "streamed", json_boolean(g->stream_started));
            json_object_set_new(body, "chunk_delay_ms", json_integer(g->chunk_delay_ms));
        }
        finish(g, 200, body);
        return;
    }
    if (g->reject_gate && g->best_quality != NULL && !g->best_meets) {
        json_t *details = json_pack("{s:O,s:O}", "quality_metrics", g->best_quality, "attempts", g->attempts);
        json_object_set_new(details, "regenerations", json_integer(g->regenerations));
        finish(g, 422, lf_gen_error("QUALITY_BELOW_THRESHOLD", details,
                                    "no generation met the quality thresholds (best overall score %.2f)",
                                    g->best_score));
        return;
    }
    json_t *resp = build_response(g);
    lf_runtime_store_generation(resp, g->key_id, g->request_id, g->batch_id, g->requirements, g->objectives);
    finish(g, 200, resp);
}

/* ---- one attempt's outcome ---- */

static void record_attempt(struct lf_gen *g, uint32_t failure, const struct lf_gen_result *r, double cost,
                           const char *message)
{
    double latency_ms = (double)(lf_now_ns() - g->attempt_start_ns) / 1e6;
    json_t *a = json_pack("{s:s,s:s,s:f}", "provider", g->cur->name, "outcome", failure_name(failure), "latency_ms",
                          round(latency_ms * 1000) / 1000);
    if (r != NULL && r->model != NULL)
        json_object_set_new(a, "model", json_string(r->model));
    if (r != NULL && (r->usage.prompt_tokens || r->usage.completion_tokens)) {
        json_object_set_new(a, "tokens",
                            json_pack("{s:I,s:I,s:b}", "prompt", (json_int_t)r->usage.prompt_tokens, "completion",
                                      (json_int_t)r->usage.completion_tokens, "estimated", r->usage.estimated));
        json_object_set_new(a, "cost_usd", json_real(cost));
    }
    if (message != NULL && failure != LF_FAILURE_NONE)
        json_object_set_new(a, "error", json_string(message));
    if (g->regenerating)
        json_object_set_new(a, "regeneration", json_true());
    json_array_append_new(g->attempts, a);
    lf_runtime_record_attempt(g->cur, g->id, g->request_id, g->key_id, json_object_get(a, "outcome"), failure,
                              latency_ms, r, cost, g->content_type);
    /* circuit breaker and stats */
    if (g->cur->rt != NULL) {
        if (g->permit_held)
            lf_circuit_record(g->cur->rt->circuit, &g->permit, failure, r != NULL ? r->retry_after_ms : 0, message,
                              lf_wall_ms());
        g->permit_held = 0;
        lf_provider_rt_record(g->cur->rt, failure, latency_ms, r ? r->usage.prompt_tokens : 0,
                              r ? r->usage.completion_tokens : 0, cost);
    }
}

static double attempt_cost(struct lf_gen *g, struct lf_gen_result *r)
{
    if (r->cost_usd >= 0 && !isnan(r->cost_usd))
        return r->cost_usd;
    return lf_provider_price(g->cur, r->model != NULL ? r->model : g->model, r->usage.prompt_tokens,
                             r->usage.completion_tokens);
}

static void settle_budgets(struct lf_gen *g, double cost)
{
    uint64_t now = lf_wall_ms();
    if (g->has_res) {
        lf_budget_settle(&g->res, cost, now);
        g->has_res = 0;
    }
    if (g->has_kres) {
        lf_budget_settle(&g->kres, cost, now);
        g->has_kres = 0;
    }
}

static void estimate_usage(struct lf_gen *g, struct lf_gen_result *r)
{
    if (r->usage.prompt_tokens == 0 && r->usage.completion_tokens == 0) {
        size_t plen = !g->chat ? g->prompt_len : (g->messages_json ? strlen(g->messages_json) : 0);
        r->usage.prompt_tokens = plen / 4 + 1;
        r->usage.completion_tokens = r->text_len / 4 + 1;
        r->usage.estimated = 1;
    }
}

static void on_result(struct lf_gen *g, struct lf_gen_result *r)
{
    uint32_t failure = r->failure;
    const char *message = r->error_message;
    json_t *content = NULL, *schema_errors = NULL;
    char msgbuf[256];

    if (failure == LF_FAILURE_NONE && r->text == NULL) {
        failure = LF_FAILURE_INVALID_RESPONSE;
        message = "the provider returned no text";
    }
    if (failure == LF_FAILURE_NONE)
        estimate_usage(g, r);
    double cost = failure == LF_FAILURE_NONE || r->usage.prompt_tokens ? attempt_cost(g, r) : 0;
    if (failure == LF_FAILURE_NONE && !g->chat) {
        const char *method = NULL;
        content = lf_repair_parse(r->text, r->text_len, &method);
        if (content == NULL) {
            failure = LF_FAILURE_INVALID_RESPONSE;
            message = "the provider's output contains no JSON object";
        } else if (!lf_schema_validate(g->type->schema, content, &schema_errors)) {
            failure = LF_FAILURE_SCHEMA_INVALID;
            const char *first = json_string_value(json_array_get(schema_errors, 0));
            snprintf(msgbuf, sizeof(msgbuf), "output does not match the %s schema: %s", g->content_type,
                     first ? first : "invalid");
            message = msgbuf;
        }
    }
    record_attempt(g, failure, r, cost, message);
    g->cost += cost;
    json_decref(schema_errors); /* message was copied into msgbuf; the list is not needed any more */
    schema_errors = NULL;
    if (failure != LF_FAILURE_NONE && g->stream_started) {
        /* text already reached the client: no failover possible */
        json_decref(content);
        settle_budgets(g, cost);
        g->last_failure = failure;
        free_result(r);
        g->cur = NULL;
        finish(g, 502,
               lf_gen_error("UPSTREAM_FAILED", json_pack("{s:b,s:O}", "stream_started", 1, "attempts", g->attempts),
                            "the upstream stream failed after it started (%s)", failure_name(failure)));
        return;
    }
    if (failure != LF_FAILURE_NONE) {
        settle_budgets(g, cost);
        json_decref(content);
        json_decref(schema_errors);
        g->last_failure = failure;
        g->last_retry_after = r->retry_after_ms;
        free_result(r);
        next_attempt(g, failure, g->last_retry_after, 0);
        return;
    }
    settle_budgets(g, cost);
    g->tok_prompt += r->usage.prompt_tokens;
    g->tok_completion += r->usage.completion_tokens;
    g->tokens_estimated |= r->usage.estimated != 0;

    if (g->chat) {
        g->best_text = lf_strndup(r->text, r->text_len);
        g->best_provider = lf_strdup(g->cur->name);
        g->best_model = lf_strdup(r->model != NULL ? r->model : (g->model ? g->model : ""));
        g->best_finish = lf_strdup(r->finish_reason != NULL ? r->finish_reason : "stop");
        g->chunk_delay_ms = r->chunk_delay_ms;
        free_result(r);
        g->cur = NULL;
        succeed(g);
        return;
    }

    /* quality */
    double overall = -1;
    int meets = 1;
    json_t *quality = lf_runtime_quality(g->reg, g->content_type, g->age_group, content, g->objectives,
                                         g->type->schema, &overall, &meets);
    int better = !g->have_best || (quality != NULL && overall > g->best_score);
    if (better) {
        json_decref(g->best_content);
        json_decref(g->best_quality);
        lf_free(g->best_provider);
        lf_free(g->best_model);
        g->best_content = content;
        g->best_quality = quality;
        g->best_score = overall;
        g->best_meets = meets;
        g->best_provider = lf_strdup(g->cur->name);
        g->best_model = lf_strdup(r->model != NULL ? r->model : (g->model ? g->model : ""));
        g->have_best = 1;
    } else {
        json_decref(content);
        json_decref(quality);
    }
    free_result(r);
    struct lf_provider *prev = g->cur;
    g->cur = NULL;
    int max_regen = g->reg->config->max_regenerations;
    if (g->best_quality != NULL && !g->best_meets && g->regenerations < max_regen &&
        lf_now_ms() + 50 < g->deadline_ms) {
        /* regenerate, preferring a different provider: move the one that just answered to the end */
        g->regenerations++;
        g->regenerating = 1;
        uint32_t n = g->n_routable, k = 0;
        struct lf_route_entry tmp[LF_ROUTE_MAX];
        struct lf_route_entry last = {0};
        int found = 0;
        for (uint32_t i = 0; i < n; ++i) {
            if (!found && strcmp(g->provs[g->routable[i].index]->name, prev->name) == 0) {
                last = g->routable[i];
                found = 1;
            } else {
                tmp[k++] = g->routable[i];
            }
        }
        if (found)
            tmp[k++] = last;
        memcpy(g->routable, tmp, k * sizeof(tmp[0]));
        g->n_routable = k;
        struct lf_retry_policy pol;
        lf_retry_policy_defaults(&pol);
        pol.max_attempts = (uint32_t)g->reg->config->max_attempts;
        lf_failover_init(&g->fo, k, &pol, g->deadline_ms);
        next_attempt(g, LF_FAILURE_NONE, 0, 0);
        return;
    }
    succeed(g);
}

static void on_upstream_done(void *ctx, const struct lf_upstream_result *res)
{
    struct lf_gen *g = ctx;
    struct lf_gen_result r;
    g->call = NULL;
    g->upstream_ns += res->latency_us * 1000u;
    free_hreq(&g->hreq);
    memset(&r, 0, sizeof(r));
    r.struct_size = sizeof(r);
    r.cost_usd = -1;
    if (g->greq.stream && g->sacc != NULL && res->status >= 200 && res->status < 300) {
        lf_stream_acc_result(g->sacc, g->cur, &g->greq, res, &r);
    } else if (res->status == 0 || res->failure != 0) {
        r.failure = res->failure != 0 ? (uint32_t)res->failure : LF_FAILURE_CONNECT_ERROR;
        r.error_message = strdup(res->error != NULL ? res->error : "no answer from the provider");
    } else {
        struct lf_http_response hr = {.struct_size = sizeof(hr),
                                      .status = res->status,
                                      .headers = res->headers,
                                      .headers_len = res->headers_len,
                                      .body = res->body,
                                      .body_len = res->body_len,
                                      .latency_us = res->latency_us};
        if (g->cur->plugin->desc.parse_response(g->cur->state, &g->greq, &hr, &r) != LF_OK &&
            r.failure == LF_FAILURE_NONE) {
            r.failure = LF_FAILURE_INVALID_RESPONSE;
            free(r.error_message);
            r.error_message = strdup("the provider plugin could not parse the answer");
        }
    }
    on_result(g, &r);
}

static void on_delay_timer(h2o_timeout_entry_t *e)
{
    struct lf_gen *g = H2O_STRUCT_FROM_MEMBER(struct lf_gen, delay_timer, e);
    if (g->pending_set) {
        /* a generate() result with simulated latency is now due */
        struct lf_gen_result r = g->pending;
        memset(&g->pending, 0, sizeof(g->pending));
        g->pending_set = 0;
        g->upstream_ns += (lf_now_ns() - g->attempt_start_ns);
        on_result(g, &r);
        return;
    }
    /* a backoff delay elapsed: continue with the attempt that was scheduled */
    next_attempt(g, LF_FAILURE_NONE, 0, -1);
}

static void on_deadline(h2o_timeout_entry_t *e)
{
    struct lf_gen *g = H2O_STRUCT_FROM_MEMBER(struct lf_gen, deadline_timer, e);
    if (g->call != NULL) {
        lf_upstream_cancel(g->call);
        g->call = NULL;
    }
    if (g->cur != NULL) {
        struct lf_gen_result r;
        memset(&r, 0, sizeof(r));
        record_attempt(g, LF_FAILURE_TIMEOUT, &r, 0, "the request deadline passed");
        settle_budgets(g, 0);
        g->cur = NULL;
    }
    if (h2o_timeout_is_linked(&g->delay_timer))
        h2o_timeout_unlink(&g->delay_timer);
    free_result(&g->pending);
    g->pending_set = 0;
    if (g->have_best) {
        succeed(g);
        return;
    }
    finish(g, 504, lf_gen_error("UPSTREAM_TIMEOUT",
                                json_pack("{s:i,s:O}", "deadline_ms", g->reg->config->request_deadline_ms, "attempts",
                                          g->attempts),
                                "the request deadline of %d ms passed before any attempt succeeded",
                                g->reg->config->request_deadline_ms));
}

/* ---- sending an attempt ---- */

static void fill_greq(struct lf_gen *g, struct lf_provider *p)
{
    (void)p;
    struct lf_gen_request *q = &g->greq;
    memset(q, 0, sizeof(*q));
    q->struct_size = sizeof(*q);
    q->request_id = g->request_id;
    q->content_type = g->chat ? NULL : g->content_type;
    q->age_group = g->chat ? NULL : g->age_group;
    q->topic = g->topic;
    q->additional_requirements = g->requirements;
    q->learning_objectives_json = g->objectives_json;
    if (!g->chat) {
        q->system_prompt = g->type->system_prompt;
        q->system_prompt_len = g->type->system_prompt ? strlen(g->type->system_prompt) : 0;
        if (g->prompt == NULL) /* a retry, failover or regeneration: render it again */
            g->prompt = lf_prompt_render(g->type, g->topic, g->age_group, g->requirements, g->objectives);
        q->prompt = g->prompt;
        q->prompt_len = g->prompt_len;
        q->output_schema_json = g->type->schema_json;
        q->output_schema_json_len = strlen(g->type->schema_json);
        q->max_tokens = g->type->max_tokens;
    } else {
        q->messages_json = g->messages_json;
        q->messages_json_len = strlen(g->messages_json);
        q->max_tokens = g->max_tokens;
        q->stop_json = g->stop_json;
    }
    q->model = g->model;
    q->temperature = g->chat ? g->temperature : -1;
    q->top_p = g->chat ? g->top_p : -1;
    q->attempt = (uint32_t)json_array_size(g->attempts) + 1;
    q->stream = g->chat && g->on_delta != NULL && p->http && p->plugin->desc.parse_stream_event != NULL;
}

static int stream_text(void *ud, const char *text, size_t len)
{
    struct lf_gen *g = ud;
    if (g->abandoned)
        return 1;
    g->stream_started = 1;
    return g->on_delta(g->ud, g->cur->name, text, len);
}

static int on_upstream_data(void *ctx, int status, const char *data, size_t len)
{
    struct lf_gen *g = ctx;
    (void)status;
    if (g->abandoned || g->finished)
        return 1;
    return lf_stream_acc_feed(g->sacc, g->cur, data, len, stream_text, g);
}

static void send_attempt(struct lf_gen *g, uint32_t pos)
{
    const struct lf_route_entry *e = &g->routable[pos];
    struct lf_provider *p = g->provs[e->index];
    uint64_t now = lf_wall_ms();

    g->cur = p;
    if (p->rt != NULL) {
        if (!lf_circuit_acquire(p->rt->circuit, now, &g->permit)) {
            g->cur = NULL;
            g->circuit_skips++;
            next_attempt(g, LF_FAILURE_NONE, 0, 1);
            return;
        }
        g->permit_held = 1;
        double est = e->est_cost_usd > 0 ? e->est_cost_usd : 0;
        if (lf_budget_reserve(p->rt->budget, est, now, &g->res) != LF_OK) {
            lf_circuit_cancel(p->rt->circuit, &g->permit);
            g->permit_held = 0;
            g->cur = NULL;
            g->budget_skips++;
            next_attempt(g, LF_FAILURE_NONE, 0, 1);
            return;
        }
        g->has_res = 1;
        struct lf_budget *kb = lf_runtime_key_budget(g->key_id);
        if (kb != NULL) {
            if (lf_budget_reserve(kb, est, now, &g->kres) != LF_OK) {
                lf_budget_release(&g->res);
                g->has_res = 0;
                lf_circuit_cancel(p->rt->circuit, &g->permit);
                g->permit_held = 0;
                g->cur = NULL;
                g->budget_skips++;
                next_attempt(g, LF_FAILURE_NONE, 0, 1);
                return;
            }
            g->has_kres = 1;
        }
    }
    g->sent++;
    fill_greq(g, p);
    if (g->greq.stream) {
        if (g->sacc == NULL)
            g->sacc = lf_calloc(1, sizeof(*g->sacc));
        lf_stream_acc_reset(g->sacc);
    }
    g->attempt_start_ns = lf_now_ns();
    if (p->http) {
        memset(&g->hreq, 0, sizeof(g->hreq));
        g->hreq.struct_size = sizeof(g->hreq);
        if (p->plugin->desc.build_request(p->state, &g->greq, &g->hreq) != LF_OK || g->hreq.url == NULL) {
            struct lf_gen_result r;
            memset(&r, 0, sizeof(r));
            r.failure = LF_FAILURE_INVALID_RESPONSE;
            r.error_message = strdup("the provider plugin could not build the request");
            free_hreq(&g->hreq);
            on_result(g, &r);
            return;
        }
        uint64_t left = g->deadline_ms > lf_now_ms() ? g->deadline_ms - lf_now_ms() : 1;
        uint32_t timeout = g->hreq.timeout_ms ? g->hreq.timeout_ms : (uint32_t)g->reg->config->attempt_timeout_ms;
        if (timeout > left)
            timeout = (uint32_t)left;
        struct lf_upstream_opts uo = {(enum lf_upstream_http)p->conf->http_version, p->conf->tls_ca_file};
        g->call = lf_upstream_start(g->w->upstream, &g->hreq, timeout, &uo, on_upstream_done,
                                    g->greq.stream ? on_upstream_data : NULL, g);
        free_hreq(&g->hreq); /* copied by the upstream client: not held for the whole call */
        /* the request holds the prompt now: do not keep a second copy for every call in flight */
        lf_free(g->prompt);
        g->prompt = NULL;
        g->greq.prompt = NULL; /* prompt_len stays: plugins estimate usage from it (plugin.h) */
        if (g->call == NULL) {
            struct lf_gen_result r;
            memset(&r, 0, sizeof(r));
            r.failure = LF_FAILURE_CONNECT_ERROR;
            r.error_message = strdup("could not start the upstream request");
            on_result(g, &r);
        }
        return;
    }
    struct lf_gen_result r;
    memset(&r, 0, sizeof(r));
    r.struct_size = sizeof(r);
    r.cost_usd = -1;
    int rc = p->plugin->desc.generate(p->state, &g->greq, &r);
    if (rc != LF_OK && r.failure == LF_FAILURE_NONE) {
        r.failure = LF_FAILURE_INVALID_RESPONSE;
        if (r.error_message == NULL)
            r.error_message = strdup("the provider plugin failed to generate");
    }
    if (r.delay_ms > 0) {
        uint64_t left = g->deadline_ms > lf_now_ms() ? g->deadline_ms - lf_now_ms() : 0;
        if (r.delay_ms >= left + 1000) {
            /* the simulated answer would arrive after the deadline: the deadline timer ends the request */
        }
        g->pending = r;
        g->pending_set = 1;
        h2o_timeout_link(g->w->ctx.loop, lf_worker_timeout(g->w, r.delay_ms), &g->delay_timer);
        return;
    }
    g->upstream_ns += lf_now_ns() - g->attempt_start_ns;
    on_result(g, &r);
}

static void next_attempt(struct lf_gen *g, uint32_t last_failure, uint32_t retry_after_ms, int skipped)
{
    uint32_t pos = 0, delay = 0;
    if (skipped == -1) {
        /* resuming after a backoff delay */
        g->sched = 0;
        send_attempt(g, g->sched_pos);
        return;
    }
    /* retries are per provider: the provider of the attempt that just ended decides whether it is tried
     * again (a provider without "retry" is tried once even when another one has retries) */
    if (g->fo.started && !skipped && g->fo.pos < g->n_routable) {
        const struct lf_provider *cp = g->provs[g->routable[g->fo.pos].index];
        g->fo.policy.retries_per_provider = cp->conf != NULL && cp->conf->retries > 0 ? (uint32_t)cp->conf->retries : 0;
        if (cp->conf != NULL && cp->conf->retry_backoff_ms > 0)
            g->fo.policy.base_delay_ms = (uint32_t)cp->conf->retry_backoff_ms;
    }
    uint64_t rnd;
    lf_random_bytes(&rnd, sizeof(rnd));
    enum lf_failover_step step =
        lf_failover_next(&g->fo, last_failure, retry_after_ms, skipped, lf_now_ms(), rnd, &pos, &delay);
    switch (step) {
    case LF_FAILOVER_ATTEMPT:
        if (delay > 0) {
            g->sched_pos = pos;
            g->sched = 1;
            h2o_timeout_link(g->w->ctx.loop, lf_worker_timeout(g->w, delay), &g->delay_timer);
            return;
        }
        send_attempt(g, pos);
        return;
    case LF_FAILOVER_DEADLINE:
        if (g->have_best) {
            succeed(g);
            return;
        }
        on_deadline(&g->deadline_timer);
        return;
    case LF_FAILOVER_EXHAUSTED:
    case LF_FAILOVER_MAX_ATTEMPTS:
        break;
    }
    if (g->have_best) {
        succeed(g);
        return;
    }
    if (g->sent == 0) {
        if (g->budget_skips > 0 && g->circuit_skips == 0) {
            finish(g, 402, lf_gen_error("BUDGET_EXCEEDED", json_pack("{s:O}", "attempts", g->attempts),
                                        "every eligible provider is over its budget"));
            return;
        }
        finish(g, 503, lf_gen_error("NO_PROVIDER_AVAILABLE",
                                    json_pack("{s:[s]}", "reasons", "circuit_open"),
                                    "no provider is available right now"));
        return;
    }
    finish(g, 502, lf_gen_error("UPSTREAM_FAILED", json_pack("{s:O}", "attempts", g->attempts),
                                "every provider attempt failed (last: %s)", failure_name(g->last_failure)));
}

/* ---- start ---- */

static uint64_t xrng(void *ud)
{
    (void)ud;
    uint64_t r;
    lf_random_bytes(&r, sizeof(r));
    return r;
}

static const struct lf_model_info *model_of(const struct lf_provider *p, const char *model)
{
    for (size_t i = 0; model != NULL && i < p->nmodels; ++i)
        if (p->models[i].id != NULL && strcmp(p->models[i].id, model) == 0)
            return &p->models[i];
    return p->nmodels > 0 ? &p->models[0] : NULL;
}

struct lf_gen *lf_gen_start(struct lf_worker *w, struct lf_registry *reg, const struct lf_gen_params *pa,
                            lf_gen_done_fn done, void *ud)
{
    struct lf_gen *g = lf_calloc(1, sizeof(*g));
    atomic_fetch_add(&reg->refs, 1);
    g->reg = reg;
    g->w = w;
    g->done = done;
    g->ud = ud;
    g->start_ns = lf_now_ns();
    g->attempts = json_array();
    g->best_score = -1;
    g->chat = pa->content_type == NULL;
    g->in_start = 1;
    g->content_type = lf_strdup(pa->content_type);
    g->topic = lf_strdup(pa->topic);
    g->age_group = lf_strdup(pa->age_group ? pa->age_group : "general");
    g->requirements = lf_strdup(pa->additional_requirements);
    g->provider = lf_strdup(pa->provider);
    g->key_id = lf_strdup(pa->key_id);
    g->request_id = lf_strdup(pa->request_id ? pa->request_id : "");
    g->batch_id = lf_strdup(pa->batch_id);
    g->messages_json = lf_strdup(pa->messages_json);
    g->model = lf_strdup(pa->model);
    g->stop_json = lf_strdup(pa->stop_json);
    g->max_tokens = pa->max_tokens;
    g->temperature = pa->temperature;
    g->top_p = pa->top_p;
    g->on_delta = pa->content_type == NULL ? pa->on_delta : NULL;
    g->max_cost_usd = pa->max_cost_usd;
    g->reject_gate = pa->reject_gate;
    if (pa->learning_objectives != NULL && json_array_size(pa->learning_objectives) > 0) {
        g->objectives = json_incref(pa->learning_objectives);
        char *s = json_dumps(g->objectives, JSON_COMPACT);
        g->objectives_json = lf_strdup(s);
        free(s);
    }
    g->delay_timer.cb = on_delay_timer;
    g->deadline_timer.cb = on_deadline;
    lf_uuid_v4(g->id);
    g->deadline_ms = lf_now_ms() + (uint64_t)reg->config->request_deadline_ms;

    enum lf_route_strategy strategy = LF_ROUTE_COST;
    lf_router_strategy_parse(reg->config->strategy, &strategy);
    uint64_t prompt_tokens, completion_tokens;
    if (!g->chat) {
        g->type = lf_content_types_find(reg->types, g->content_type);
        if (g->type == NULL) {
            finish(g, 404, lf_gen_error("NOT_FOUND", json_pack("{s:s}", "content_type", pa->content_type),
                                        "unknown content type \"%s\"", pa->content_type));
            goto Out;
        }
        g->prompt = lf_prompt_render(g->type, g->topic, g->age_group, g->requirements, g->objectives);
        g->prompt_len = strlen(g->prompt);
        const char *per = json_string_value(json_object_get(reg->config->per_content_type, g->content_type));
        if (per != NULL)
            lf_router_strategy_parse(per, &strategy);
        prompt_tokens = (g->prompt_len + (g->type->system_prompt ? strlen(g->type->system_prompt) : 0)) / 4 + 1;
        completion_tokens = g->type->expected_output_tokens;
    } else {
        prompt_tokens = strlen(g->messages_json) / 4 + 1;
        completion_tokens = g->max_tokens ? g->max_tokens : 512;
    }

    /* candidates on the stack: only the provider pointers are kept for the attempts (memory per call in flight) */
    struct lf_route_candidate cands[LF_ROUTE_MAX];
    g->provs = lf_malloc(sizeof(*g->provs) * (reg->nproviders < LF_ROUTE_MAX ? reg->nproviders + 1 : LF_ROUTE_MAX));
    for (size_t i = 0; i < reg->nproviders && g->ncands < LF_ROUTE_MAX; ++i) {
        struct lf_provider *p = &reg->providers[i];
        struct lf_route_candidate *c = &cands[g->ncands];
        const struct lf_model_info *m = model_of(p, g->model);
        int en, prio;
        double wt;
        lf_runtime_provider_effective(p, &en, &prio, &wt); /* admin overrides (PATCH) apply live */
        c->name = p->name;
        c->enabled = en;
        c->priority = prio;
        c->weight = wt > 0 ? (uint32_t)(wt * 1000) : 0;
        c->price_in_per_mtok = m != NULL ? m->input_usd_per_mtok : -1;
        c->price_out_per_mtok = m != NULL ? m->output_usd_per_mtok : -1;
        c->rt = p->rt;
        g->provs[g->ncands++] = p;
    }
    struct lf_route_request rq = {
        .strategy = strategy,
        .prompt_tokens = prompt_tokens,
        .completion_tokens = completion_tokens,
        .pinned = g->provider,
        .max_cost_usd = g->max_cost_usd,
        .key_budget = lf_runtime_key_budget(g->key_id),
        .now_ms = lf_wall_ms(),
        .rng = xrng,
    };
    struct lf_route_result route; /* on the stack: only the routable order is kept (g->routable) */
    lf_router_route(cands, g->ncands, &rq, &route);
    g->n_routable = route.n_routable;
    g->routable = lf_malloc(sizeof(*g->routable) * (route.n_routable ? route.n_routable : 1));
    memcpy(g->routable, route.routable, sizeof(*g->routable) * route.n_routable);
    if (g->n_routable == 0) {
        json_t *excl = json_array();
        int max_cost = 0;
        for (uint32_t i = 0; i < route.n_excluded; ++i) {
            const struct lf_route_entry *e = &route.excluded[i];
            if (e->reason == LF_ROUTE_NOT_PINNED)
                continue;
            if (e->reason == LF_ROUTE_OVER_MAX_COST || e->reason == LF_ROUTE_PRICE_UNKNOWN)
                max_cost = 1;
            json_array_append_new(excl, json_pack("{s:s,s:s}", "provider", cands[e->index].name, "reason",
                                                  lf_router_exclusion_name(e->reason)));
        }
        if (route.all_budget || max_cost) {
            finish(g, 402, lf_gen_error("BUDGET_EXCEEDED", json_pack("{s:o}", "excluded", excl),
                                        max_cost ? "no provider can serve this request within max_cost_usd"
                                                 : "every eligible provider is over its budget"));
        } else {
            finish(g, 503, lf_gen_error("NO_PROVIDER_AVAILABLE", json_pack("{s:o}", "excluded", excl),
                                        g->provider ? "the pinned provider \"%s\" is not available"
                                                    : "no provider is available%s",
                                        g->provider ? g->provider : ""));
        }
        goto Out;
    }
    struct lf_retry_policy pol;
    lf_retry_policy_defaults(&pol);
    pol.max_attempts = (uint32_t)reg->config->max_attempts;
    for (uint32_t i = 0; i < g->n_routable; ++i) {
        const struct lf_provider *p = g->provs[g->routable[i].index];
        if (p->conf != NULL && (uint32_t)p->conf->retries > pol.retries_per_provider) {
            pol.retries_per_provider = (uint32_t)p->conf->retries;
            pol.base_delay_ms = (uint32_t)p->conf->retry_backoff_ms;
        }
    }
    lf_failover_init(&g->fo, g->n_routable, &pol, g->deadline_ms);
    h2o_timeout_link(w->ctx.loop, lf_worker_timeout(w, (uint32_t)reg->config->request_deadline_ms),
                     &g->deadline_timer);
    next_attempt(g, LF_FAILURE_NONE, 0, 0);
Out:
    g->in_start = 0;
    if (g->finished) {
        gen_free(g);
        return NULL;
    }
    return g;
}

const char *lf_gen_id(const struct lf_gen *g)
{
    return g->id;
}

void lf_gen_abandon(struct lf_gen *g)
{
    if (g != NULL)
        g->abandoned = 1;
}
