/*
 * core/src/handlers_gen.c - POST /api/v1/generate/{type} and POST /api/v1/generate/batch
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "content_types.h"
#include "genreq.h"
#include "handlers.h"
#include "log.h"
#include "mem.h"
#include "pipeline.h"
#include "registry.h"
#include "runtime.h"
#include "server.h"
#include "store.h"
#include "util.h"

static int status_of_code(const char *code)
{
    static const struct {
        const char *code;
        int status;
    } map[] = {{"INVALID_REQUEST", 400},  {"NOT_FOUND", 404},       {"QUALITY_BELOW_THRESHOLD", 422},
               {"BUDGET_EXCEEDED", 402},  {"UPSTREAM_FAILED", 502}, {"NO_PROVIDER_AVAILABLE", 503},
               {"UPSTREAM_TIMEOUT", 504}, {"RATE_LIMITED", 429}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); ++i)
        if (strcmp(map[i].code, code) == 0)
            return map[i].status;
    return 500;
}

static int type_known(void *ud, const char *id)
{
    return lf_content_types_find(((struct lf_registry *)ud)->types, id) != NULL;
}

/* Send a pipeline error object {code, message, details} in the API error shape. */
static void send_gen_error(struct lf_http *h, int status, json_t *errobj)
{
    json_t *e = json_deep_copy(errobj);
    json_object_set_new(e, "request_id", json_string(h->request_id));
    lf_http_send_json(h, status, json_pack("{s:o}", "error", e));
}

static int validate(struct lf_http *h, struct lf_registry *reg, int batch, struct lf_genreq *rq)
{
    json_t *error = NULL;
    memset(rq, 0, sizeof(*rq));
    if (lf_genreq_parse(h->req->entity.base, h->req->entity.len, batch, type_known, reg, rq, &error) != LF_OK) {
        send_gen_error(h, 400, error);
        json_decref(error);
        return -1;
    }
    if (rq->provider != NULL && lf_registry_provider(reg, rq->provider) == NULL) {
        json_t *known = json_array();
        for (size_t i = 0; i < reg->nproviders; ++i)
            json_array_append_new(known, json_string(reg->providers[i].name));
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s,s:s,s:o}", "field", "provider", "provided",
                                                                rq->provider, "known", known),
                           "provider \"%s\" is not configured", rq->provider);
        return -1;
    }
    return 0;
}

static void fill_params(struct lf_gen_params *p, struct lf_http *h, const struct lf_genreq *rq, const char *type)
{
    memset(p, 0, sizeof(*p));
    p->content_type = type;
    p->topic = rq->topic;
    p->age_group = rq->age_group;
    p->additional_requirements = rq->additional_requirements;
    p->learning_objectives = rq->learning_objectives;
    p->provider = rq->provider;
    p->max_cost_usd = rq->max_cost_usd;
    p->reject_gate = rq->reject_gate;
    p->key_id = h->key_id[0] ? h->key_id : NULL;
    p->request_id = h->request_id;
    p->temperature = -1;
    p->top_p = -1;
}

/* ---- single ---- */

struct single {
    struct lf_http *h;
    struct lf_gen *job;
};

static void single_gone(struct lf_http *h)
{
    struct single *s = h->data;
    if (s != NULL && s->job != NULL)
        lf_gen_abandon(s->job);
}

static void single_done(void *ud, int status, json_t *body, uint64_t upstream_ns, const char *provider, double cost)
{
    struct single *s = ud;
    struct lf_http *h = s->h;
    s->job = NULL;
    h->upstream_ns += upstream_ns;
    h->log_provider = provider != NULL ? h2o_strdup(&h->req->pool, provider, SIZE_MAX).base : NULL;
    h->log_cost = cost;
    h->log_cost_set = 1;
    if (status != 200) {
        send_gen_error(h, status, body);
        return;
    }
    json_t *meta = json_object_get(body, "metadata");
    char buf[64];
    lf_http_add_header(h, "X-LF-Provider", json_string_value(json_object_get(meta, "ai_provider")));
    snprintf(buf, sizeof(buf), "%.8f", json_number_value(json_object_get(meta, "cost_usd")));
    lf_http_add_header(h, "X-LF-Cost-USD", buf);
    snprintf(buf, sizeof(buf), "%zu", json_array_size(json_object_get(meta, "attempts")));
    lf_http_add_header(h, "X-LF-Attempts", buf);
    lf_http_add_header(h, "Location", h2o_concat(&h->req->pool, h2o_iovec_init(H2O_STRLIT("/api/v1/content/")),
                                                 h2o_iovec_init(json_string_value(json_object_get(body, "id")),
                                                                36))
                                          .base);
    lf_http_send_json(h, 200, json_incref(body));
}

void lf_h_generate(struct lf_http *h)
{
    const char *type = lf_http_param(h, 0);
    struct lf_registry *reg = lf_registry_acquire();
    if (lf_content_types_find(reg->types, type) == NULL) {
        lf_http_send_error(h, 404, "NOT_FOUND", json_pack("{s:s}", "content_type", type), "unknown content type \"%s\"",
                           type);
        lf_registry_release(reg);
        return;
    }
    struct lf_genreq rq;
    if (validate(h, reg, 0, &rq) != 0) {
        lf_genreq_clear(&rq);
        lf_registry_release(reg);
        return;
    }
    struct single *s = h2o_mem_alloc_pool(&h->req->pool, sizeof(*s));
    s->h = h;
    s->job = NULL;
    h->data = s;
    h->on_gone = single_gone;
    struct lf_gen_params p;
    fill_params(&p, h, &rq, type);
    s->job = lf_gen_start(h->worker, reg, &p, single_done, s);
    lf_genreq_clear(&rq);
    lf_registry_release(reg);
}

/* ---- batch ---- */

struct batch {
    struct lf_http *h;
    struct lf_gen *jobs[LF_GENREQ_MAX_BATCH];
    char *types[LF_GENREQ_MAX_BATCH];
    size_t n, pending;
    json_t *results, *errors;
    char id[37];
    char *topic, *age_group;
    uint64_t start_ns, upstream_ns_max;
    double total_cost, quality_sum;
    size_t quality_n;
    int gone;
    char *key_id, *request_id;
};

struct batch_slot {
    struct batch *b;
    size_t i;
};

static void batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->n; ++i)
        lf_free(b->types[i]);
    json_decref(b->results);
    json_decref(b->errors);
    lf_free(b->topic);
    lf_free(b->age_group);
    lf_free(b->key_id);
    lf_free(b->request_id);
    lf_free(b);
}

static void batch_finish(struct batch *b)
{
    uint64_t dur_ms = (lf_now_ns() - b->start_ns) / 1000000u;
    size_t ok = json_object_size(b->results), failed = json_object_size(b->errors);
    json_t *avg = b->quality_n > 0 ? json_real(round(b->quality_sum / (double)b->quality_n * 1000) / 1000) : json_null();
    json_t *body = json_pack("{s:s,s:s,s:s,s:O,s:O,s:{s:I,s:I,s:I,s:o,s:f,s:I}}", "batch_id", b->id, "topic", b->topic,
                             "age_group", b->age_group, "results", b->results, "errors", b->errors, "summary",
                             "total_requested", (json_int_t)b->n, "successful", (json_int_t)ok, "failed",
                             (json_int_t)failed, "average_quality_score", avg, "total_cost_usd", b->total_cost,
                             "duration_ms", (json_int_t)dur_ms);
    /* the session row */
    char sid[37];
    lf_uuid_v4(sid);
    json_t *types = json_array();
    for (size_t i = 0; i < b->n; ++i)
        json_array_append_new(types, json_string(b->types[i]));
    char ts[40];
    lf_rfc3339(lf_wall_ms() - dur_ms, ts, sizeof(ts));
    json_t *sess = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:I,s:I,s:I,s:O,s:f}", "kind", "session", "id",
                             b->id, "request_id", b->request_id, "session_type", "batch", "topic", b->topic,
                             "age_group", b->age_group, "requested_content_types", types, "status",
                             failed == 0 ? "completed" : (ok == 0 ? "failed" : "partial"), "started_at", ts,
                             "total_duration_ms", (json_int_t)dur_ms, "successful_count", (json_int_t)ok,
                             "failed_count", (json_int_t)failed, "average_quality_score", avg, "total_cost_usd",
                             b->total_cost);
    lf_runtime_record_user(sess, b->key_id);
    if (strcmp(lf_runtime_db_state(), "not_configured") != 0)
        lf_store_submit(sess);
    else
        json_decref(sess);
    if (!b->gone) {
        b->h->upstream_ns += b->upstream_ns_max;
        b->h->log_cost = b->total_cost;
        b->h->log_cost_set = 1;
        b->h->data = NULL;
        lf_http_send_json(b->h, 200, body);
    } else {
        json_decref(body);
    }
    batch_free(b);
}

static void batch_done(void *ud, int status, json_t *body, uint64_t upstream_ns, const char *provider, double cost)
{
    (void)provider;
    struct batch_slot *slot = ud;
    struct batch *b = slot->b;
    size_t i = slot->i;
    lf_free(slot);
    b->jobs[i] = NULL;
    b->total_cost += cost;
    if (upstream_ns > b->upstream_ns_max)
        b->upstream_ns_max = upstream_ns;
    if (status == 200) {
        json_object_set(b->results, b->types[i], body);
        json_t *q = json_object_get(json_object_get(body, "quality_metrics"), "overall_quality_score");
        if (json_is_number(q)) {
            b->quality_sum += json_number_value(q);
            b->quality_n++;
        }
    } else {
        json_object_set(b->errors, b->types[i], body);
    }
    if (--b->pending == 0 && b->n > 0)
        batch_finish(b);
}

static void batch_gone(struct lf_http *h)
{
    struct batch *b = h->data;
    if (b == NULL)
        return;
    b->gone = 1;
    for (size_t i = 0; i < b->n; ++i)
        if (b->jobs[i] != NULL)
            lf_gen_abandon(b->jobs[i]);
}

void lf_h_generate_batch(struct lf_http *h)
{
    struct lf_registry *reg = lf_registry_acquire();
    struct lf_genreq rq;
    if (validate(h, reg, 1, &rq) != 0) {
        lf_genreq_clear(&rq);
        lf_registry_release(reg);
        return;
    }
    struct batch *b = lf_calloc(1, sizeof(*b));
    b->h = h;
    b->results = json_object();
    b->errors = json_object();
    b->topic = lf_strdup(rq.topic);
    b->age_group = lf_strdup(rq.age_group);
    b->key_id = lf_strdup(h->key_id);
    b->request_id = lf_strdup(h->request_id);
    b->start_ns = lf_now_ns();
    lf_uuid_v4(b->id);
    h->data = b;
    h->on_gone = batch_gone;
    size_t n = rq.n_content_types;
    for (size_t i = 0; i < n; ++i)
        b->types[i] = lf_strdup(rq.content_types[i]);
    /* start them all (they run concurrently on this loop); a job may finish synchronously */
    b->pending = n + 1;
    for (size_t i = 0; i < n; ++i) {
        struct batch_slot *slot = lf_malloc(sizeof(*slot));
        slot->b = b;
        slot->i = i;
        struct lf_gen_params p;
        fill_params(&p, h, &rq, rq.content_types[i]);
        p.batch_id = b->id;
        b->n = i + 1;
        b->jobs[i] = lf_gen_start(h->worker, reg, &p, batch_done, slot);
    }
    b->n = n;
    lf_genreq_clear(&rq);
    lf_registry_release(reg);
    if (--b->pending == 0)
        batch_finish(b);
}

int lf_gen_status_of_code(const char *code);
int lf_gen_status_of_code(const char *code)
{
    return status_of_code(code);
}
