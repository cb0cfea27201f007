/*
 * core/src/handlers_v1.c - OpenAI-compatible API: POST /v1/chat/completions (plain and streaming), GET /v1/models
 * SPDX-License-Identifier: MIT
 *
 * Requests are validated and translated into a chat-mode pipeline job (pipeline.h), so routing, failover,
 * circuits, budgets, usage records and metrics are the same as for content generation. `model` selects:
 * "auto" (the router's choice), "provider/model" (pinned), a provider name (pinned, default model) or a
 * model id an enabled provider offers (pinned to the first such provider).
 *
 * Streaming (stream: true) answers text/event-stream in OpenAI's chat.completion.chunk format. HTTP
 * providers stream for real: the pipeline hands each upstream delta to on_delta and the first one starts
 * the response, so failover only happens before the first byte. Providers without HTTP (offline, chaos)
 * produce the whole text at once; it is then sent in chunks, chunk_delay_ms apart when the provider asks.
 * Output goes through an h2o generator with one h2o_send in flight: bytes produced in between are
 * buffered and flushed on proceed. The state lives in the request pool; its dispose abandons the job.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "handlers.h"
#include "log.h"
#include "mem.h"
#include "pipeline.h"
#include "registry.h"
#include "runtime.h"
#include "server.h"
#include "util.h"

#define MODULE "v1"
#define CHUNK_CHARS 24 /* local chunking of a generate() provider's text */
#define MAX_TOKENS_LIMIT 1000000

struct v1 {
    h2o_generator_t gen;
    struct lf_http *h;
    h2o_req_t *req;
    struct lf_worker *w;
    struct lf_registry *reg;
    struct lf_gen *job;
    int stream;
    int include_usage;
    char *model;           /* model to report until the answer names one */
    char id[64];           /* chatcmpl-... */
    long long created;
    /* streaming output */
    int started;           /* headers sent (h2o_start_response) */
    int inflight;          /* an h2o_send awaits its proceed */
    int final_queued;      /* end the response once pending is flushed */
    int final_sent;
    int gone;              /* the client went away / the request was disposed */
    int role_sent;
    char *pending, *sending;
    size_t plen, pcap, scap;
    size_t bytes;
    /* local chunking (providers without HTTP) */
    char *text;
    size_t tlen, tpos;
    uint32_t chunk_delay_ms;
    h2o_timeout_entry_t timer;
    char *finish_reason;
    json_int_t prompt_tokens, completion_tokens;
};

/* ---- output buffering ---- */

static void grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 512;
    while (c < need)
        c *= 2;
    *buf = lf_realloc(*buf, c);
    *cap = c;
}

static void flush(struct v1 *s)
{
    if (!s->started || s->inflight || s->final_sent || s->gone)
        return;
    if (s->plen == 0 && !s->final_queued)
        return;
    /* swap pending and sending: the bytes handed to h2o stay valid until proceed */
    char *t = s->sending;
    size_t tc = s->scap;
    s->sending = s->pending;
    s->scap = s->pcap;
    s->pending = t;
    s->pcap = tc;
    size_t n = s->plen;
    s->plen = 0;
    s->bytes += n;
    s->inflight = 1;
    h2o_iovec_t v = h2o_iovec_init(s->sending, n);
    if (s->final_queued) {
        s->final_sent = 1;
        h2o_send(s->req, &v, 1, H2O_SEND_STATE_FINAL);
    } else {
        h2o_send(s->req, &v, 1, H2O_SEND_STATE_IN_PROGRESS);
    }
}

static void queue(struct v1 *s, const char *data, size_t len)
{
    grow(&s->pending, &s->pcap, s->plen + len + 1);
    memcpy(s->pending + s->plen, data, len);
    s->plen += len;
}

static void queue_event(struct v1 *s, json_t *obj)
{
    char *js = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (js == NULL)
        return;
    queue(s, "data: ", 6);
    queue(s, js, strlen(js));
    queue(s, "\n\n", 2);
    free(js);
}

static void stop_timer(struct v1 *s)
{
    if (h2o_timeout_is_linked(&s->timer))
        h2o_timeout_unlink(&s->timer);
}

static void abandon(struct v1 *s)
{
    s->gone = 1;
    stop_timer(s);
    if (s->job != NULL) {
        lf_gen_abandon(s->job);
        s->job = NULL;
    }
}

static void on_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    (void)req;
    struct v1 *s = H2O_STRUCT_FROM_MEMBER(struct v1, gen, g);
    s->inflight = 0;
    flush(s);
}

static void on_stop(h2o_generator_t *g, h2o_req_t *req)
{
    (void)req;
    struct v1 *s = H2O_STRUCT_FROM_MEMBER(struct v1, gen, g);
    if (s->started && !s->final_queued && !s->gone) {
        /* the client went away mid-stream (the request is still valid here): account what was sent */
        s->final_queued = 1;
        uint64_t total_ns = lf_now_ns() - s->h->start_ns;
        uint64_t overhead_ns = total_ns > s->h->upstream_ns ? total_ns - s->h->upstream_ns : 0;
        lf_app_on_response(s->h, 200, total_ns, overhead_ns, s->bytes);
    }
    abandon(s);
}

static void on_dispose(void *p)
{
    struct v1 *s = p;
    abandon(s);
    lf_free(s->pending);
    lf_free(s->sending);
    lf_free(s->text);
    lf_free(s->model);
    lf_free(s->finish_reason);
    if (s->reg != NULL)
        lf_registry_release(s->reg);
}

/* ---- chunks ---- */

static json_t *chunk_obj(struct v1 *s, json_t *choices)
{
    return json_pack("{s:s,s:s,s:I,s:s,s:o}", "id", s->id, "object", "chat.completion.chunk", "created",
                     (json_int_t)s->created, "model", s->model ? s->model : "", "choices", choices);
}

static void queue_delta(struct v1 *s, const char *text, size_t len)
{
    json_t *delta = json_object();
    if (!s->role_sent) {
        json_object_set_new(delta, "role", json_string("assistant"));
        s->role_sent = 1;
    }
    json_object_set_new(delta, "content", json_stringn(text, len));
    queue_event(s, chunk_obj(s, json_pack("[{s:i,s:o,s:n}]", "index", 0, "delta", delta, "finish_reason")));
}

static void default_model(struct v1 *s, const char *provider)
{
    if (s->model != NULL)
        return;
    struct lf_provider *p = provider != NULL ? lf_registry_provider(s->reg, provider) : NULL;
    if (p != NULL && p->nmodels > 0 && p->models[0].id != NULL)
        s->model = lf_strdup(p->models[0].id);
    else
        s->model = lf_strdup(provider != NULL ? provider : "auto");
}

static void start_stream(struct v1 *s, const char *provider)
{
    struct lf_http *h = s->h;
    h2o_req_t *req = s->req;
    if (s->started || s->gone)
        return;
    default_model(s, provider);
    s->started = 1;
    h->responded = 1; /* from here on the answer is ours: lf_http_send_* become no-ops */
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/event-stream"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-cache"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 1, NULL,
                          h2o_strdup(&req->pool, h->request_id, SIZE_MAX).base, strlen(h->request_id));
    if (provider != NULL) {
        h2o_iovec_t v = h2o_strdup(&req->pool, provider, SIZE_MAX);
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-lf-provider"), 1, NULL, v.base, v.len);
        h->log_provider = v.base;
    }
    s->gen.proceed = on_proceed;
    s->gen.stop = on_stop;
    h2o_start_response(req, &s->gen);
}

/* End of a stream: final chunk, optional usage chunk, [DONE]. */
static void end_stream(struct v1 *s, int status)
{
    if (s->final_queued)
        return;
    if (status == 200) {
        queue_event(s, chunk_obj(s, json_pack("[{s:i,s:{},s:s}]", "index", 0, "delta", "finish_reason",
                                              s->finish_reason ? s->finish_reason : "stop")));
        if (s->include_usage) {
            json_t *c = chunk_obj(s, json_array());
            json_object_set_new(c, "usage", json_pack("{s:I,s:I,s:I}", "prompt_tokens", s->prompt_tokens,
                                                      "completion_tokens", s->completion_tokens, "total_tokens",
                                                      s->prompt_tokens + s->completion_tokens));
            queue_event(s, c);
        }
    }
    queue(s, "data: [DONE]\n\n", 14);
    s->final_queued = 1;
    uint64_t total_ns = lf_now_ns() - s->h->start_ns;
    uint64_t overhead_ns = total_ns > s->h->upstream_ns ? total_ns - s->h->upstream_ns : 0;
    lf_app_on_response(s->h, status == 200 ? 200 : status, total_ns, overhead_ns, s->bytes + s->plen);
    flush(s);
}

/* Send the next piece of a generate() provider's text; the rest follows on the timer. */
static void chunk_local(struct v1 *s)
{
    while (!s->gone && s->tpos < s->tlen) {
        size_t n = s->tlen - s->tpos < CHUNK_CHARS ? s->tlen - s->tpos : CHUNK_CHARS;
        /* do not split a UTF-8 sequence */
        while (s->tpos + n < s->tlen && ((unsigned char)s->text[s->tpos + n] & 0xC0) == 0x80)
            n++;
        queue_delta(s, s->text + s->tpos, n);
        s->tpos += n;
        if (s->chunk_delay_ms > 0 && s->tpos < s->tlen) {
            flush(s);
            h2o_timeout_link(s->w->ctx.loop, lf_worker_timeout(s->w, s->chunk_delay_ms), &s->timer);
            return;
        }
    }
    if (!s->gone)
        end_stream(s, 200);
}

static void on_chunk_timer(h2o_timeout_entry_t *e)
{
    chunk_local(H2O_STRUCT_FROM_MEMBER(struct v1, timer, e));
}

/* ---- pipeline callbacks ---- */

static void set_id(struct v1 *s, const char *uuid)
{
    if (s->id[0] == '\0')
        snprintf(s->id, sizeof(s->id), "chatcmpl-%s", uuid != NULL ? uuid : "");
}

static int on_delta(void *ud, const char *provider, const char *text, size_t len)
{
    struct v1 *s = ud;
    if (s->gone)
        return 1;
    if (!s->started) {
        if (s->job != NULL)
            set_id(s, lf_gen_id(s->job));
        start_stream(s, provider);
    }
    queue_delta(s, text, len);
    flush(s);
    return s->gone;
}

static void send_error_obj(struct lf_http *h, int status, json_t *errobj)
{
    json_t *e = json_deep_copy(errobj);
    json_object_set_new(e, "request_id", json_string(h->request_id));
    lf_http_send_json(h, status, json_pack("{s:o}", "error", e));
}

static void set_headers(struct lf_http *h, json_t *body)
{
    char buf[64];
    const char *prov = json_string_value(json_object_get(body, "provider"));
    if (prov != NULL)
        lf_http_add_header(h, "X-LF-Provider", prov);
    snprintf(buf, sizeof(buf), "%.8f", json_number_value(json_object_get(body, "cost_usd")));
    lf_http_add_header(h, "X-LF-Cost-USD", buf);
    snprintf(buf, sizeof(buf), "%zu", json_array_size(json_object_get(body, "attempts")));
    lf_http_add_header(h, "X-LF-Attempts", buf);
}

static void on_done(void *ud, int status, json_t *body, uint64_t upstream_ns, const char *provider, double cost)
{
    struct v1 *s = ud;
    struct lf_http *h = s->h;
    s->job = NULL;
    if (s->gone)
        return;
    h->upstream_ns += upstream_ns;
    if (provider != NULL)
        h->log_provider = h2o_strdup(&h->req->pool, provider, SIZE_MAX).base;
    h->log_cost = cost;
    h->log_cost_set = 1;
    set_id(s, json_string_value(json_object_get(body, "id")));

    if (status != 200) {
        if (!s->started) {
            send_error_obj(h, status, body);
            return;
        }
        json_t *e = json_deep_copy(body);
        json_object_set_new(e, "request_id", json_string(h->request_id));
        json_object_set_new(e, "type", json_string("upstream_error"));
        queue_event(s, json_pack("{s:o}", "error", e));
        end_stream(s, status);
        return;
    }

    const char *text = json_string_value(json_object_get(body, "text"));
    const char *model = json_string_value(json_object_get(body, "model"));
    const char *finish = json_string_value(json_object_get(body, "finish_reason"));
    json_t *usage = json_object_get(body, "usage");
    s->prompt_tokens = json_integer_value(json_object_get(usage, "prompt_tokens"));
    s->completion_tokens = json_integer_value(json_object_get(usage, "completion_tokens"));
    s->finish_reason = lf_strdup(finish != NULL && *finish ? finish : "stop");
    if (model != NULL && *model) {
        lf_free(s->model);
        s->model = lf_strdup(model);
    }

    if (!s->stream) {
        /* written directly: building and dumping a jansson tree for every answer was ~10 % of the CPU of a
           /v1 call (bench/RESULTS.md, "Current figures (second pass)") */
        struct lf_sbuf b = {NULL, 0, 0};
        char num[128];
        const char *tx = text ? text : "";
        const char *md = s->model ? s->model : "";
        lf_sbuf_add(&b, "{\"id\":", 6);
        lf_sbuf_json_str(&b, s->id, strlen(s->id));
        int n = snprintf(num, sizeof(num), ",\"object\":\"chat.completion\",\"created\":%lld,\"model\":",
                         (long long)s->created);
        lf_sbuf_add(&b, num, (size_t)n);
        lf_sbuf_json_str(&b, md, strlen(md));
        static const char choice[] = ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
        lf_sbuf_add(&b, choice, sizeof(choice) - 1);
        lf_sbuf_json_str(&b, tx, strlen(tx));
        static const char fin[] = ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":";
        lf_sbuf_add(&b, fin, sizeof(fin) - 1);
        lf_sbuf_json_str(&b, s->finish_reason, strlen(s->finish_reason));
        n = snprintf(num, sizeof(num),
                     "}],\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,\"total_tokens\":%lld%s},",
                     (long long)s->prompt_tokens, (long long)s->completion_tokens,
                     (long long)(s->prompt_tokens + s->completion_tokens),
                     json_is_true(json_object_get(usage, "estimated")) ? ",\"estimated\":true" : "");
        lf_sbuf_add(&b, num, (size_t)n);
        static const char tail[] = "\"system_fingerprint\":null}";
        lf_sbuf_add(&b, tail, sizeof(tail) - 1);
        set_headers(h, body);
        lf_http_send_raw(h, 200, "application/json; charset=utf-8", b.p, b.len);
        lf_free(b.p);
        return;
    }

    if (!s->started) {
        /* nothing streamed yet: a provider without HTTP (or an upstream that answered in one piece) */
        set_headers(h, body);
        start_stream(s, provider);
        if (s->gone)
            return;
        s->text = lf_strdup(text ? text : "");
        s->tlen = strlen(s->text);
        s->tpos = 0;
        json_int_t delay = json_integer_value(json_object_get(body, "chunk_delay_ms"));
        s->chunk_delay_ms = delay > 0 && delay < 60000 ? (uint32_t)delay : 0;
        if (s->tlen == 0)
            queue_delta(s, "", 0);
        chunk_local(s);
        return;
    }
    end_stream(s, 200);
}

/* ---- validation ---- */

static void add_err(json_t *errs, const char *field, const char *msg)
{
    json_array_append_new(errs, json_pack("{s:s,s:s}", "field", field, "message", msg));
}

/* messages -> normalised [{role, content}] (new reference) or NULL with errors added */
static json_t *normalise_messages(json_t *msgs, json_t *errs)
{
    char field[64];
    if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
        add_err(errs, "messages", msgs == NULL ? "required" : "must be a non-empty array");
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *m;
    int bad = 0, has_user = 0;
    json_array_foreach(msgs, i, m)
    {
        snprintf(field, sizeof(field), "messages[%zu]", i);
        if (!json_is_object(m)) {
            add_err(errs, field, "must be an object");
            bad = 1;
            continue;
        }
        const char *role = json_string_value(json_object_get(m, "role"));
        if (role == NULL) {
            snprintf(field, sizeof(field), "messages[%zu].role", i);
            add_err(errs, field, "required: system, developer, user or assistant");
            bad = 1;
            continue;
        }
        if (strcmp(role, "developer") == 0)
            role = "system";
        if (strcmp(role, "system") != 0 && strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0) {
            snprintf(field, sizeof(field), "messages[%zu].role", i);
            add_err(errs, field, "unsupported role (system, developer, user and assistant are supported)");
            bad = 1;
            continue;
        }
        json_t *c = json_object_get(m, "content");
        json_t *text = NULL;
        if (json_is_string(c)) {
            text = json_incref(c);
        } else if (json_is_array(c)) {
            /* content parts: text only */
            size_t j;
            json_t *part;
            char *acc = lf_strdup("");
            size_t alen = 0;
            int ok = 1;
            json_array_foreach(c, j, part)
            {
                const char *t = json_string_value(json_object_get(part, "text"));
                const char *type = json_string_value(json_object_get(part, "type"));
                if (t == NULL || type == NULL || strcmp(type, "text") != 0) {
                    ok = 0;
                    break;
                }
                size_t tl = strlen(t);
                acc = lf_realloc(acc, alen + tl + 1);
                memcpy(acc + alen, t, tl + 1);
                alen += tl;
            }
            if (ok)
                text = json_stringn(acc, alen);
            lf_free(acc);
            if (!ok) {
                snprintf(field, sizeof(field), "messages[%zu].content", i);
                add_err(errs, field, "only text content parts are supported");
                bad = 1;
                continue;
            }
        } else {
            snprintf(field, sizeof(field), "messages[%zu].content", i);
            add_err(errs, field, c == NULL || json_is_null(c) ? "required (tool calls are not supported)"
                                                               : "must be a string or an array of text parts");
            bad = 1;
            continue;
        }
        if (strcmp(role, "user") == 0)
            has_user = 1;
        json_array_append_new(out, json_pack("{s:s,s:o}", "role", role, "content", text));
    }
    if (!bad && !has_user)
        add_err(errs, "messages", "at least one user message is required");
    if (bad || !has_user) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static int number_in(json_t *v, double lo, double hi, double *out)
{
    if (!json_is_number(v))
        return 0;
    double d = json_number_value(v);
    if (isnan(d) || d < lo || d > hi)
        return 0;
    *out = d;
    return 1;
}

static int provider_usable(struct lf_provider *p)
{
    int en, prio;
    double wt;
    lf_runtime_provider_effective(p, &en, &prio, &wt);
    return en && p->plugin != NULL;
}

/* Resolve `model` into a pinned provider (or NULL = router) and the model id for the plugin (or NULL). */
static int resolve_model(struct lf_registry *reg, const char *model, const char **provider, char **model_id)
{
    *provider = NULL;
    *model_id = NULL;
    if (strcmp(model, "auto") == 0)
        return 1;
    const char *slash = strchr(model, '/');
    if (slash != NULL && slash > model && slash[1] != '\0') {
        char name[128];
        size_t n = (size_t)(slash - model);
        if (n < sizeof(name)) {
            memcpy(name, model, n);
            name[n] = '\0';
            struct lf_provider *p = lf_registry_provider(reg, name);
            if (p != NULL) {
                *provider = p->name;
                *model_id = lf_strdup(slash + 1);
                return 1;
            }
        }
    }
    struct lf_provider *p = lf_registry_provider(reg, model);
    if (p != NULL) {
        *provider = p->name;
        return 1;
    }
    for (int pass = 0; pass < 2; ++pass) {
        for (size_t i = 0; i < reg->nproviders; ++i) {
            p = &reg->providers[i];
            if (pass == 0 && !provider_usable(p))
                continue;
            for (size_t k = 0; k < p->nmodels; ++k) {
                if (p->models[k].id != NULL && strcmp(p->models[k].id, model) == 0) {
                    *provider = p->name;
                    *model_id = lf_strdup(model);
                    return 1;
                }
            }
        }
    }
    return 0;
}

void lf_h_v1_chat_completions(struct lf_http *h)
{
    json_t *body = lf_http_body_json(h);
    if (body == NULL)
        return;
    struct lf_registry *reg = lf_registry_acquire();
    json_t *errs = json_array();
    json_t *msgs = NULL;
    char *stop_json = NULL, *messages_json = NULL, *model_id = NULL;
    const char *provider = NULL;
    double temperature = -1, top_p = -1, d;
    uint32_t max_tokens = 0;
    int stream = 0, include_usage = 0;

    json_t *jm = json_object_get(body, "model");
    const char *model = json_string_value(jm);
    if (model == NULL || *model == '\0') {
        add_err(errs, "model", jm == NULL ? "required" : "must be a non-empty string");
        model = NULL;
    }
    msgs = normalise_messages(json_object_get(body, "messages"), errs);
    json_t *v;
    if ((v = json_object_get(body, "temperature")) != NULL && !json_is_null(v) && !number_in(v, 0, 2, &temperature))
        add_err(errs, "temperature", "must be a number between 0 and 2");
    if ((v = json_object_get(body, "top_p")) != NULL && !json_is_null(v) && !number_in(v, 0, 1, &top_p))
        add_err(errs, "top_p", "must be a number between 0 and 1");
    static const char *const tok_fields[] = {"max_tokens", "max_completion_tokens"};
    for (size_t i = 0; i < 2; ++i) {
        v = json_object_get(body, tok_fields[i]);
        if (v == NULL || json_is_null(v))
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > MAX_TOKENS_LIMIT)
            add_err(errs, tok_fields[i], "must be an integer between 1 and 1000000");
        else
            max_tokens = (uint32_t)json_integer_value(v);
    }
    if ((v = json_object_get(body, "n")) != NULL && !json_is_null(v) &&
        !(json_is_integer(v) && json_integer_value(v) == 1))
        add_err(errs, "n", "only n = 1 is supported");
    static const char *const pen_fields[] = {"presence_penalty", "frequency_penalty"};
    for (size_t i = 0; i < 2; ++i)
        if ((v = json_object_get(body, pen_fields[i])) != NULL && !json_is_null(v) && !number_in(v, -2, 2, &d))
            add_err(errs, pen_fields[i], "must be a number between -2 and 2");
    if ((v = json_object_get(body, "stream")) != NULL && !json_is_null(v)) {
        if (!json_is_boolean(v))
            add_err(errs, "stream", "must be a boolean");
        else
            stream = json_is_true(v);
    }
    if ((v = json_object_get(body, "stream_options")) != NULL && !json_is_null(v)) {
        json_t *iu = json_object_get(v, "include_usage");
        if (!json_is_object(v) || (iu != NULL && !json_is_boolean(iu)))
            add_err(errs, "stream_options", "must be an object with a boolean include_usage");
        else
            include_usage = json_is_true(iu);
    }
    if ((v = json_object_get(body, "stop")) != NULL && !json_is_null(v)) {
        json_t *arr = NULL;
        if (json_is_string(v)) {
            arr = json_pack("[O]", v);
        } else if (json_is_array(v) && json_array_size(v) <= 4) {
            size_t i;
            json_t *x;
            arr = json_array();
            json_array_foreach(v, i, x)
            {
                if (!json_is_string(x) || json_string_length(x) == 0) {
                    json_decref(arr);
                    arr = NULL;
                    break;
                }
                json_array_append(arr, x);
            }
        }
        if (arr == NULL) {
            add_err(errs, "stop", "must be a string or an array of up to 4 non-empty strings");
        } else {
            if (json_array_size(arr) > 0)
                stop_json = json_dumps(arr, JSON_COMPACT);
            json_decref(arr);
        }
    }
    if ((v = json_object_get(body, "tools")) != NULL && !json_is_null(v) && json_array_size(v) > 0)
        add_err(errs, "tools", "tool calls are not supported");
    if ((v = json_object_get(body, "functions")) != NULL && !json_is_null(v))
        add_err(errs, "functions", "function calls are not supported");
    if ((v = json_object_get(body, "response_format")) != NULL && !json_is_null(v)) {
        const char *t = json_string_value(json_object_get(v, "type"));
        if (t == NULL || strcmp(t, "text") != 0)
            add_err(errs, "response_format", "only {\"type\": \"text\"} is supported");
    }
    if (json_array_size(errs) == 0 && model != NULL && !resolve_model(reg, model, &provider, &model_id)) {
        json_t *known = json_array();
        for (size_t i = 0; i < reg->nproviders; ++i)
            json_array_append_new(known, json_string(reg->providers[i].name));
        lf_http_send_error(h, 400, "INVALID_REQUEST",
                           json_pack("{s:s,s:s,s:s,s:o}", "field", "model", "reason", "model_not_found", "provided",
                                     model, "providers", known),
                           "the model \"%s\" does not exist (use auto, provider/model or a model of GET /v1/models)",
                           model);
        goto Exit;
    }
    if (json_array_size(errs) > 0) {
        json_t *first = json_array_get(errs, 0);
        const char *f = json_string_value(json_object_get(first, "field"));
        char fields[256] = "";
        size_t i;
        json_t *e;
        json_array_foreach(errs, i, e)
        {
            if (i > 0)
                strncat(fields, ", ", sizeof(fields) - strlen(fields) - 1);
            strncat(fields, json_string_value(json_object_get(e, "field")), sizeof(fields) - strlen(fields) - 1);
        }
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s,s:O}", "field", f, "errors", errs),
                           "invalid request: %s", fields);
        goto Exit;
    }

    messages_json = json_dumps(msgs, JSON_COMPACT);
    struct v1 *s = h2o_mem_alloc_shared(&h->req->pool, sizeof(*s), on_dispose);
    memset(s, 0, sizeof(*s));
    s->h = h;
    s->req = h->req;
    s->w = h->worker;
    s->reg = reg;
    reg = NULL; /* the state owns the reference now */
    s->stream = stream;
    s->include_usage = include_usage;
    s->created = (long long)(lf_wall_ms() / 1000);
    s->model = model_id != NULL ? lf_strdup(model_id) : NULL;
    s->timer.cb = on_chunk_timer;
    h->data = s;

    struct lf_gen_params p;
    memset(&p, 0, sizeof(p));
    p.provider = provider;
    p.key_id = h->key_id[0] ? h->key_id : NULL;
    p.request_id = h->request_id;
    p.messages_json = messages_json;
    p.model = model_id;
    p.max_tokens = max_tokens;
    p.temperature = temperature;
    p.top_p = top_p;
    p.stop_json = stop_json;
    p.on_delta = stream ? on_delta : NULL;
    struct lf_gen *job = lf_gen_start(h->worker, s->reg, &p, on_done, s);
    /* NULL when the job already finished (and called on_done) inside lf_gen_start */
    s->job = job;
Exit:
    free(stop_json);
    free(messages_json);
    lf_free(model_id);
    json_decref(msgs);
    json_decref(errs);
    json_decref(body);
    if (reg != NULL)
        lf_registry_release(reg);
}

void lf_h_v1_models(struct lf_http *h)
{
    struct lf_registry *reg = lf_registry_acquire();
    json_int_t created = (json_int_t)(reg->created_ms / 1000);
    json_t *data = json_array();
    json_t *seen = json_object();
    json_array_append_new(data, json_pack("{s:s,s:s,s:I,s:s}", "id", "auto", "object", "model", "created", created,
                                          "owned_by", "lafactoria"));
    for (size_t i = 0; i < reg->nproviders; ++i) {
        struct lf_provider *p = &reg->providers[i];
        if (!provider_usable(p))
            continue;
        for (size_t k = 0; k < p->nmodels; ++k) {
            const char *id = p->models[k].id;
            if (id == NULL)
                continue;
            char *full = lf_asprintf("%s/%s", p->name, id);
            json_array_append_new(data, json_pack("{s:s,s:s,s:I,s:s}", "id", full, "object", "model", "created",
                                                  created, "owned_by", p->name));
            lf_free(full);
            if (json_object_get(seen, id) == NULL) {
                json_object_set_new(seen, id, json_true());
                json_array_append_new(data, json_pack("{s:s,s:s,s:I,s:s}", "id", id, "object", "model", "created",
                                                      created, "owned_by", p->name));
            }
        }
    }
    json_decref(seen);
    lf_registry_release(reg);
    lf_http_send_json(h, 200, json_pack("{s:s,s:o}", "object", "list", "data", data));
}
