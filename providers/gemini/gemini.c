/*
 * providers/gemini/gemini.c - Google Gemini API provider (generateContent / streamGenerateContent)
 * SPDX-License-Identifier: MIT
 *
 * Pure transformer: POST {base_url}/v1beta/models/{model}:generateContent (or
 * :streamGenerateContent?alt=sse) with x-goog-api-key; contents/parts, systemInstruction,
 * generationConfig; usage from usageMetadata; errors {"error": {"code", "message", "status", "details"}}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <lafactoria/plugin.h>

#include "../openai/provider_util.h"

#define PLUGIN "gemini"
#define DEFAULT_BASE_URL "https://generativelanguage.googleapis.com"
#define DEFAULT_MODEL "gemini-2.0-flash"
#define DEFAULT_API_VERSION "v1beta"

struct gemini {
    struct pu_common c;
    char *api_version;
    int json_mode; /* responseMimeType application/json when the request has an output schema */
};
PU_STATE_CHECK(struct gemini);

/* Public list prices (USD per million tokens, paid tier, prompts <= 128k/200k), see README.md. */
static const struct pu_price_default PRICES[] = {
    {"gemini-2.0-flash", 0.10, 0.40},    {"gemini-2.0-flash-lite", 0.075, 0.30}, {"gemini-1.5-flash", 0.075, 0.30},
    {"gemini-1.5-flash-8b", 0.0375, 0.15}, {"gemini-1.5-pro", 1.25, 5.00},        {"gemini-2.5-flash", 0.30, 2.50},
    {"gemini-2.5-flash-lite", 0.10, 0.40}, {"gemini-2.5-pro", 1.25, 10.00},
};

static const struct lf_config_field CONFIG_MAP[] = {
    PU_CONFIG_COMMON("API key sent as x-goog-api-key", "base URL without the API version", DEFAULT_BASE_URL,
                     DEFAULT_MODEL),
    {"api_version", LF_CONFIG_STRING, 0, DEFAULT_API_VERSION, "path segment of the API version", 0},
    {"json_mode", LF_CONFIG_BOOLEAN, 0, "true", "responseMimeType application/json for structured content", 0},
    {NULL, 0, 0, NULL, NULL, 0},
};

static void ge_destroy(void *state)
{
    struct gemini *s = state;

    if (s != NULL)
        pu_state_free(&s->c, s->api_version);
}

static int ge_init(const struct lf_plugin_init_args *args, void **state)
{
    const struct lf_host_api *h = args->host;
    const char *v;
    int b, err;
    struct gemini *s = pu_state_new(args, sizeof(*s), DEFAULT_BASE_URL, DEFAULT_MODEL, PRICES, PU_N(PRICES), &err);

    if (s == NULL)
        return err;
    v = h->config_string(args->config, "api_version");
    s->api_version = pu_strdup(h, (v && *v) ? v : DEFAULT_API_VERSION);
    s->json_mode = 1;
    if (h->config_bool(args->config, "json_mode", &b))
        s->json_mode = b;
    if (s->api_version == NULL) {
        ge_destroy(s);
        return LF_ENOMEM;
    }
    *state = s;
    return LF_OK;
}

static char *auth_headers(struct gemini *s)
{
    return pu_auth_headers(s->c.host, pu_printf(s->c.host, "x-goog-api-key: %s\n", s->c.api_key));
}

/* Model ids may come as "models/gemini-..." from the list endpoint. */
static const char *bare_model(const char *m)
{
    return strncmp(m, "models/", 7) == 0 ? m + 7 : m;
}

static int ge_build_request(void *state, const struct lf_gen_request *req, struct lf_http_request *out)
{
    struct gemini *s = state;
    const struct lf_host_api *h = s->c.host;
    const char *model = bare_model(pu_req_model(&s->c, req));
    json_t *in = pu_messages(h, req), *contents = NULL, *sys_parts = NULL, *body = NULL, *gen, *stop;
    size_t i;
    int err = LF_EINVAL;

    if (in == NULL)
        return LF_EINVAL;
    contents = json_array();
    sys_parts = json_array();
    for (i = 0; i < json_array_size(in); i++) {
        json_t *m = json_array_get(in, i);
        const char *role = json_string_value(json_object_get(m, "role"));
        json_t *text = json_object_get(m, "content");
        json_t *last;
        const char *grole;
        if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
            json_array_append_new(sys_parts, json_pack("{s:O}", "text", text));
            continue;
        }
        grole = strcmp(role, "assistant") == 0 ? "model" : "user";
        last = json_array_size(contents) ? json_array_get(contents, json_array_size(contents) - 1) : NULL;
        if (last != NULL && strcmp(json_string_value(json_object_get(last, "role")), grole) == 0)
            json_array_append_new(json_object_get(last, "parts"), json_pack("{s:O}", "text", text));
        else
            json_array_append_new(contents, json_pack("{s:s,s:[{s:O}]}", "role", grole, "parts", "text", text));
    }
    if (json_array_size(contents) == 0)
        goto Exit;
    body = json_pack("{s:O}", "contents", contents);
    if (body == NULL) {
        err = LF_ENOMEM;
        goto Exit;
    }
    if (json_array_size(sys_parts) > 0)
        json_object_set_new(body, "systemInstruction", json_pack("{s:O}", "parts", sys_parts));
    gen = json_object();
    if (req->max_tokens > 0)
        json_object_set_new(gen, "maxOutputTokens", json_integer(req->max_tokens));
    if (req->temperature >= 0)
        json_object_set_new(gen, "temperature", json_real(req->temperature));
    if (req->top_p >= 0)
        json_object_set_new(gen, "topP", json_real(req->top_p));
    stop = pu_stop(req);
    if (stop != NULL)
        json_object_set_new(gen, "stopSequences", stop);
    if (s->json_mode && req->output_schema_json != NULL)
        json_object_set_new(gen, "responseMimeType", json_string("application/json"));
    if (json_object_size(gen) > 0)
        json_object_set_new(body, "generationConfig", gen);
    else
        json_decref(gen);
    err = pu_post(&s->c, out,
                  req->stream ? pu_printf(h, "%s/%s/models/%s:streamGenerateContent?alt=sse", s->c.base_url,
                                          s->api_version, model)
                              : pu_printf(h, "%s/%s/models/%s:generateContent", s->c.base_url, s->api_version, model),
                  auth_headers(s), body);

Exit:
    json_decref(in);
    json_decref(contents);
    json_decref(sys_parts);
    json_decref(body);
    return err;
}

static const char *map_finish(const char *r)
{
    if (r == NULL)
        return NULL;
    if (strcmp(r, "STOP") == 0 || strcmp(r, "FINISH_REASON_UNSPECIFIED") == 0 || strcmp(r, "OTHER") == 0)
        return "stop";
    if (strcmp(r, "MAX_TOKENS") == 0)
        return "length";
    if (strcmp(r, "MALFORMED_FUNCTION_CALL") == 0)
        return "tool_calls";
    return "content_filter"; /* SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, IMAGE_SAFETY, LANGUAGE */
}

/* google.rpc.RetryInfo {"retryDelay": "30s"} in error.details, in ms (0 = none). */
static uint32_t retry_info_ms(const json_t *err)
{
    const json_t *details = json_object_get(err, "details");
    size_t i;

    for (i = 0; i < json_array_size(details); i++) {
        const json_t *d = json_array_get(details, i);
        const char *delay = json_string_value(json_object_get(d, "retryDelay"));
        if (delay != NULL) {
            double v = strtod(delay, NULL);
            if (v > 0)
                return (uint32_t)(v * 1000.0 > 3600000.0 ? 3600000.0 : v * 1000.0);
        }
    }
    return 0;
}

static uint32_t failure_from_status_text(const char *st, const char *msg, uint32_t fallback)
{
    if (st == NULL)
        return fallback;
    if (strcmp(st, "UNAUTHENTICATED") == 0 || strcmp(st, "PERMISSION_DENIED") == 0)
        return LF_FAILURE_AUTH_ERROR;
    /* a wrong key is 400 INVALID_ARGUMENT with reason API_KEY_INVALID */
    if (strcmp(st, "INVALID_ARGUMENT") == 0 && msg != NULL && strstr(msg, "API key") != NULL)
        return LF_FAILURE_AUTH_ERROR;
    if (strcmp(st, "RESOURCE_EXHAUSTED") == 0)
        return LF_FAILURE_RATE_LIMITED;
    if (strcmp(st, "UNAVAILABLE") == 0 || strcmp(st, "INTERNAL") == 0)
        return LF_FAILURE_UPSTREAM_5XX;
    if (strcmp(st, "DEADLINE_EXCEEDED") == 0)
        return LF_FAILURE_TIMEOUT;
    return fallback;
}

static void fill_error(struct gemini *s, const json_t *root, int status, const struct lf_http_response *resp,
                       struct lf_gen_result *out)
{
    const json_t *err = json_object_get(root, "error");
    const char *st = json_string_value(json_object_get(err, "status"));
    const char *msg = json_string_value(json_object_get(err, "message"));

    out->failure = failure_from_status_text(st, msg, out->failure);
    if (out->failure == LF_FAILURE_RATE_LIMITED) {
        out->retry_after_ms = retry_info_ms(err);
        if (out->retry_after_ms == 0)
            out->retry_after_ms = pu_retry_after_ms(s->c.host, resp->headers, resp->headers_len);
    }
    pu_fail_http(&s->c, out, status, st, msg);
}

/* Concatenated text of candidates[0].content.parts (thought parts skipped); sets *tool on functionCall. */
static char *parts_text(const struct lf_host_api *h, const json_t *cand, size_t *len, int *tool)
{
    const json_t *parts = json_object_get(json_object_get(cand, "content"), "parts");
    size_t i, total = 0;
    char *p;

    *len = 0;
    for (i = 0; i < json_array_size(parts); i++) {
        const json_t *part = json_array_get(parts, i);
        if (json_object_get(part, "functionCall") != NULL)
            *tool = 1;
        if (json_is_true(json_object_get(part, "thought")))
            continue;
        total += json_string_length(json_object_get(part, "text"));
    }
    p = h->alloc(total + 1);
    if (p == NULL)
        return NULL;
    for (i = 0; i < json_array_size(parts); i++) {
        const json_t *part = json_array_get(parts, i);
        const json_t *t = json_object_get(part, "text");
        if (json_is_true(json_object_get(part, "thought")) || !json_is_string(t))
            continue;
        memcpy(p + *len, json_string_value(t), json_string_length(t));
        *len += json_string_length(t);
    }
    p[*len] = '\0';
    return p;
}

/* final: a complete answer (promptTokenCount alone means no output tokens, e.g. a blocked answer); streaming
 * chunks before the last carry promptTokenCount only and are not usage yet. */
static int read_usage(const json_t *root, struct lf_usage *u, int final)
{
    const json_t *um = json_object_get(root, "usageMetadata");
    const json_t *pt = json_object_get(um, "promptTokenCount");
    const json_t *ct = json_object_get(um, "candidatesTokenCount");
    const json_t *th = json_object_get(um, "thoughtsTokenCount");

    if (!json_is_integer(pt))
        return 0;
    u->prompt_tokens = (uint64_t)json_integer_value(pt);
    /* thinking tokens are billed as output */
    u->completion_tokens = (uint64_t)json_integer_value(ct) + (uint64_t)json_integer_value(th);
    u->estimated = 0;
    return final || json_is_integer(ct) || json_is_integer(th);
}

static int ge_parse_response(void *state, const struct lf_gen_request *req, const struct lf_http_response *resp,
                             struct lf_gen_result *out)
{
    struct gemini *s = state;
    const struct lf_host_api *h = s->c.host;
    json_t *root = pu_json_loadb(resp->body ? resp->body : "", resp->body_len);
    const json_t *cand;
    const char *finish;
    int tool = 0;

    out->cost_usd = -1;
    out->failure = pu_failure_from_status(resp->status);
    if (out->failure != LF_FAILURE_NONE) {
        fill_error(s, root, resp->status, resp, out);
        goto Exit;
    }
    if (!json_is_object(root)) {
        pu_fail(h, out, LF_FAILURE_INVALID_RESPONSE, "the upstream answer is not JSON");
        goto Exit;
    }
    cand = json_array_get(json_object_get(root, "candidates"), 0);
    if (cand == NULL) {
        const char *block = json_string_value(json_object_get(json_object_get(root, "promptFeedback"), "blockReason"));
        if (block == NULL) {
            pu_fail(h, out, LF_FAILURE_INVALID_RESPONSE, "the upstream answer has no candidates");
            goto Exit;
        }
        /* the prompt itself was blocked: an empty answer that ended on the content filter */
        out->text = pu_strdup(h, "");
        finish = "content_filter";
    } else {
        out->text = parts_text(h, cand, &out->text_len, &tool);
        finish = map_finish(json_string_value(json_object_get(cand, "finishReason")));
        if (tool && (finish == NULL || strcmp(finish, "stop") == 0))
            finish = "tool_calls";
    }
    if (out->text == NULL) {
        json_decref(root);
        return LF_ENOMEM;
    }
    out->finish_reason = pu_strdup(h, finish ? finish : "stop");
    pu_finish_result(&s->c, req, out, json_object_get(root, "modelVersion"), bare_model(pu_req_model(&s->c, req)),
                     read_usage(root, &out->usage, 1));

Exit:
    json_decref(root);
    return LF_OK;
}

static int ge_parse_stream_event(void *state, const char *event, size_t event_len, const char *data, size_t data_len,
                                 struct lf_stream_delta *out)
{
    struct gemini *s = state;
    const struct lf_host_api *h = s->c.host;
    json_t *root = pu_json_loadb(data, data_len);
    const json_t *cand, *err;
    const char *finish;
    int tool = 0;

    (void)event;
    (void)event_len;
    if (!json_is_object(root))
        return pu_stream_bad_event(h, root, out);
    err = json_object_get(root, "error");
    if (json_is_object(err)) {
        const char *msg = json_string_value(json_object_get(err, "message"));
        pu_stream_error(&s->c, out,
                        failure_from_status_text(json_string_value(json_object_get(err, "status")), msg,
                                                 LF_FAILURE_UPSTREAM_5XX),
                        NULL, msg);
        json_decref(root);
        return LF_OK;
    }
    cand = json_array_get(json_object_get(root, "candidates"), 0);
    if (cand != NULL) {
        size_t len = 0;
        char *t = parts_text(h, cand, &len, &tool);
        if (t != NULL && len > 0) {
            out->text = t;
            out->text_len = len;
        } else {
            h->free(t);
        }
        finish = map_finish(json_string_value(json_object_get(cand, "finishReason")));
        if (tool && finish != NULL && strcmp(finish, "stop") == 0)
            finish = "tool_calls";
        if (finish != NULL) {
            out->finish_reason = pu_strdup(h, finish);
            out->done = 1; /* Gemini sends no terminator: the chunk with finishReason is the last */
        }
    } else if (json_string_value(json_object_get(json_object_get(root, "promptFeedback"), "blockReason")) != NULL) {
        out->finish_reason = pu_strdup(h, "content_filter");
        out->done = 1;
    }
    out->has_usage = read_usage(root, &out->usage, 0);
    json_decref(root);
    return LF_OK;
}

static int ge_build_probe(void *state, struct lf_http_request *out)
{
    struct gemini *s = state;

    return pu_probe(out, pu_printf(s->c.host, "%s/%s/models?pageSize=1", s->c.base_url, s->api_version),
                    auth_headers(s));
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_PROVIDER, .name = PLUGIN, .version = "1.0.0",
                     .description = "Google Gemini API (generateContent)", .config_map = CONFIG_MAP, .init = ge_init,
                     .destroy = ge_destroy, .build_request = ge_build_request, .parse_response = ge_parse_response,
                     .parse_stream_event = ge_parse_stream_event, .build_probe = ge_build_probe,
                     .models = pu_state_models)
