/*
 * providers/anthropic/anthropic.c - Anthropic Messages API provider
 * SPDX-License-Identifier: MIT
 *
 * Pure transformer: POST {base_url}/v1/messages with x-api-key and anthropic-version; the system prompt
 * is the top-level "system" field, max_tokens is required, usage is usage.input_tokens/output_tokens,
 * errors are {"type":"error","error":{"type","message"}} (overloaded_error is HTTP 529).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <lafactoria/plugin.h>

#include "../openai/provider_util.h"

#define PLUGIN "anthropic"
#define DEFAULT_BASE_URL "https://api.anthropic.com"
#define DEFAULT_MODEL "claude-3-5-haiku-latest"
#define DEFAULT_VERSION "2023-06-01"
#define DEFAULT_MAX_TOKENS 4096

struct anthropic {
    struct pu_common c;
    char *version;
    uint32_t max_tokens;
};
PU_STATE_CHECK(struct anthropic);

/* Public list prices (USD per million tokens), see README.md for date and source. Family ids price
 * dated snapshots too ("claude-3-5-haiku" covers "claude-3-5-haiku-20241022"). */
static const struct pu_price_default PRICES[] = {
    {"claude-3-5-haiku", 0.80, 4.00}, {"claude-3-haiku", 0.25, 1.25},   {"claude-haiku-4-5", 1.00, 5.00},
    {"claude-3-5-sonnet", 3.00, 15.00}, {"claude-3-7-sonnet", 3.00, 15.00}, {"claude-sonnet-4", 3.00, 15.00},
    {"claude-sonnet-4-5", 3.00, 15.00}, {"claude-3-opus", 15.00, 75.00},  {"claude-opus-4", 15.00, 75.00},
    {"claude-opus-4-5", 5.00, 25.00},
};

static const struct lf_config_field CONFIG_MAP[] = {
    PU_CONFIG_COMMON("API key sent as x-api-key", "base URL without /v1", DEFAULT_BASE_URL, DEFAULT_MODEL),
    {"anthropic_version", LF_CONFIG_STRING, 0, DEFAULT_VERSION, "anthropic-version header", 0},
    {"max_tokens", LF_CONFIG_INTEGER, 0, "4096", "max_tokens when the request sets none (the API requires one)", 0},
    {NULL, 0, 0, NULL, NULL, 0},
};

static void an_destroy(void *state)
{
    struct anthropic *s = state;

    if (s != NULL)
        pu_state_free(&s->c, s->version);
}

static int an_init(const struct lf_plugin_init_args *args, void **state)
{
    const struct lf_host_api *h = args->host;
    const char *v;
    double num;
    int err;
    struct anthropic *s = pu_state_new(args, sizeof(*s), DEFAULT_BASE_URL, DEFAULT_MODEL, PRICES, PU_N(PRICES), &err);

    if (s == NULL)
        return err;
    v = h->config_string(args->config, "anthropic_version");
    s->version = pu_strdup(h, (v && *v) ? v : DEFAULT_VERSION);
    s->max_tokens = DEFAULT_MAX_TOKENS;
    if (h->config_number(args->config, "max_tokens", &num)) {
        if (num < 1 || num > 1000000) {
            h->log(LF_LOG_ERROR, s->c.name, "max_tokens must be between 1 and 1000000");
            an_destroy(s);
            return LF_ECONFIG;
        }
        s->max_tokens = (uint32_t)num;
    }
    if (s->version == NULL || strchr(s->version, '\n') != NULL) {
        an_destroy(s);
        return s->version == NULL ? LF_ENOMEM : LF_ECONFIG;
    }
    *state = s;
    return LF_OK;
}

static char *auth_headers(struct anthropic *s)
{
    return pu_auth_headers(s->c.host,
                           pu_printf(s->c.host, "x-api-key: %s\nanthropic-version: %s\n", s->c.api_key, s->version));
}

/* Append text to a JSON string value (jansson strings are immutable: build a new one). */
static json_t *concat(const struct lf_host_api *h, json_t *a, const char *sep, const char *b, size_t blen)
{
    size_t al = json_string_length(a), sl = strlen(sep);
    char *buf = h->alloc(al + sl + blen + 1);
    json_t *r;

    if (buf == NULL)
        return NULL;
    memcpy(buf, json_string_value(a), al);
    memcpy(buf + al, sep, sl);
    memcpy(buf + al + sl, b, blen);
    r = json_stringn(buf, al + sl + blen);
    h->free(buf);
    return r;
}

/*
 * OpenAI-shaped messages -> Anthropic: system messages go to the top-level system text; other roles
 * become user/assistant with consecutive same-role turns merged (the API wants alternation and a user
 * turn first).
 */
static int convert_messages(const struct lf_host_api *h, const struct lf_gen_request *req, json_t **msgs_out,
                            json_t **system_out)
{
    json_t *in = pu_messages(h, req), *msgs = json_array(), *system = NULL;
    size_t i;

    if (in == NULL || msgs == NULL) {
        json_decref(in);
        json_decref(msgs);
        return LF_EINVAL;
    }
    for (i = 0; i < json_array_size(in); i++) {
        json_t *m = json_array_get(in, i);
        const char *role = json_string_value(json_object_get(m, "role"));
        json_t *content = json_object_get(m, "content");
        const char *arole;
        json_t *last;

        if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
            if (system == NULL) {
                system = json_incref(content);
            } else {
                json_t *n = concat(h, system, "\n\n", json_string_value(content), json_string_length(content));
                json_decref(system);
                system = n;
            }
            continue;
        }
        arole = strcmp(role, "assistant") == 0 ? "assistant" : "user";
        last = json_array_get(msgs, json_array_size(msgs) - 1);
        if (json_array_size(msgs) == 0 && strcmp(arole, "assistant") == 0)
            json_array_append_new(msgs, json_pack("{s:s,s:s}", "role", "user", "content", "(continue)"));
        last = json_array_size(msgs) ? json_array_get(msgs, json_array_size(msgs) - 1) : NULL;
        if (last != NULL && strcmp(json_string_value(json_object_get(last, "role")), arole) == 0) {
            json_t *prev = json_object_get(last, "content");
            json_object_set_new(last, "content",
                                concat(h, prev, "\n\n", json_string_value(content), json_string_length(content)));
        } else {
            json_array_append_new(msgs, json_pack("{s:s,s:O}", "role", arole, "content", content));
        }
    }
    json_decref(in);
    if (json_array_size(msgs) == 0) {
        json_decref(msgs);
        json_decref(system);
        return LF_EINVAL;
    }
    *msgs_out = msgs;
    *system_out = system;
    return LF_OK;
}

static int an_build_request(void *state, const struct lf_gen_request *req, struct lf_http_request *out)
{
    struct anthropic *s = state;
    const struct lf_host_api *h = s->c.host;
    const char *model = pu_req_model(&s->c, req);
    json_t *body = NULL, *msgs = NULL, *system = NULL, *stop;
    int err;

    err = convert_messages(h, req, &msgs, &system);
    if (err != LF_OK)
        return err;
    body = json_pack("{s:s,s:o,s:i}", "model", model, "messages", msgs, "max_tokens",
                     (json_int_t)(req->max_tokens > 0 ? req->max_tokens : s->max_tokens));
    if (body == NULL) {
        json_decref(system);
        return LF_ENOMEM;
    }
    if (system != NULL)
        json_object_set_new(body, "system", system);
    if (req->temperature >= 0) /* OpenAI allows 0..2, Anthropic 0..1 */
        json_object_set_new(body, "temperature", json_real(req->temperature > 1.0 ? 1.0 : req->temperature));
    if (req->top_p >= 0)
        json_object_set_new(body, "top_p", json_real(req->top_p));
    stop = pu_stop(req);
    if (stop != NULL)
        json_object_set_new(body, "stop_sequences", stop);
    if (req->stream)
        json_object_set_new(body, "stream", json_true());
    err = pu_post(&s->c, out, pu_printf(h, "%s/v1/messages", s->c.base_url), auth_headers(s), body);
    json_decref(body);
    return err;
}

static const char *map_stop(const char *r)
{
    if (r == NULL)
        return NULL;
    if (strcmp(r, "max_tokens") == 0 || strcmp(r, "model_context_window_exceeded") == 0)
        return "length";
    if (strcmp(r, "tool_use") == 0)
        return "tool_calls";
    if (strcmp(r, "refusal") == 0)
        return "content_filter";
    return "stop"; /* end_turn, stop_sequence, pause_turn */
}

static uint32_t failure_from_type(const char *type, uint32_t fallback)
{
    if (type == NULL)
        return fallback;
    if (strcmp(type, "overloaded_error") == 0 || strcmp(type, "api_error") == 0)
        return LF_FAILURE_UPSTREAM_5XX;
    if (strcmp(type, "rate_limit_error") == 0)
        return LF_FAILURE_RATE_LIMITED;
    if (strcmp(type, "authentication_error") == 0 || strcmp(type, "permission_error") == 0)
        return LF_FAILURE_AUTH_ERROR;
    if (strcmp(type, "timeout_error") == 0)
        return LF_FAILURE_TIMEOUT;
    return fallback;
}

static void fill_error(struct anthropic *s, const json_t *root, int status, struct lf_gen_result *out)
{
    const json_t *err = json_object_get(root, "error");
    const char *type = json_string_value(json_object_get(err, "type"));
    const char *msg = json_string_value(json_object_get(err, "message"));

    out->failure = failure_from_type(type, out->failure);
    pu_fail_http(&s->c, out, status, type, msg);
}

static int an_parse_response(void *state, const struct lf_gen_request *req, const struct lf_http_response *resp,
                             struct lf_gen_result *out)
{
    struct anthropic *s = state;
    const struct lf_host_api *h = s->c.host;
    json_t *root = pu_json_loadb(resp->body ? resp->body : "", resp->body_len);
    const json_t *content, *usage, *in, *outt;
    const char *stop;
    size_t i, total = 0;
    int tool = 0;

    out->cost_usd = -1;
    out->failure = pu_failure_from_status(resp->status);
    if (resp->status == 529)
        out->failure = LF_FAILURE_UPSTREAM_5XX;
    if (out->failure != LF_FAILURE_NONE) {
        fill_error(s, root, resp->status, out);
        if (out->failure == LF_FAILURE_RATE_LIMITED)
            out->retry_after_ms = pu_retry_after_ms(h, resp->headers, resp->headers_len);
        goto Exit;
    }
    if (!json_is_object(root)) {
        pu_fail(h, out, LF_FAILURE_INVALID_RESPONSE, "the upstream answer is not JSON");
        goto Exit;
    }
    if (json_is_object(json_object_get(root, "error"))) {
        out->failure = LF_FAILURE_INVALID_RESPONSE;
        fill_error(s, root, resp->status, out);
        goto Exit;
    }
    content = json_object_get(root, "content");
    if (!json_is_array(content)) {
        pu_fail(h, out, LF_FAILURE_INVALID_RESPONSE, "the upstream answer has no content blocks");
        goto Exit;
    }
    for (i = 0; i < json_array_size(content); i++) {
        const json_t *b = json_array_get(content, i);
        const char *type = json_string_value(json_object_get(b, "type"));
        if (type && strcmp(type, "text") == 0)
            total += json_string_length(json_object_get(b, "text"));
        else if (type && strcmp(type, "tool_use") == 0)
            tool = 1;
    }
    out->text = h->alloc(total + 1);
    if (out->text == NULL) {
        json_decref(root);
        return LF_ENOMEM;
    }
    for (i = 0; i < json_array_size(content); i++) {
        const json_t *b = json_array_get(content, i);
        const char *type = json_string_value(json_object_get(b, "type"));
        const json_t *t = json_object_get(b, "text");
        if (type && strcmp(type, "text") == 0 && json_is_string(t)) {
            memcpy(out->text + out->text_len, json_string_value(t), json_string_length(t));
            out->text_len += json_string_length(t);
        }
    }
    out->text[out->text_len] = '\0';
    stop = map_stop(json_string_value(json_object_get(root, "stop_reason")));
    if (stop == NULL)
        stop = tool ? "tool_calls" : "stop";
    out->finish_reason = pu_strdup(h, stop);
    usage = json_object_get(root, "usage");
    in = json_object_get(usage, "input_tokens");
    outt = json_object_get(usage, "output_tokens");
    if (json_is_integer(in) && json_is_integer(outt)) {
        /* cached prompt tokens are reported apart; they are prompt tokens too */
        uint64_t cached = (uint64_t)json_integer_value(json_object_get(usage, "cache_read_input_tokens")) +
                          (uint64_t)json_integer_value(json_object_get(usage, "cache_creation_input_tokens"));
        out->usage.prompt_tokens = (uint64_t)json_integer_value(in) + cached;
        out->usage.completion_tokens = (uint64_t)json_integer_value(outt);
    }
    pu_finish_result(&s->c, req, out, json_object_get(root, "model"), pu_req_model(&s->c, req),
                     json_is_integer(in) && json_is_integer(outt));

Exit:
    json_decref(root);
    return LF_OK;
}

static int an_parse_stream_event(void *state, const char *event, size_t event_len, const char *data, size_t data_len,
                                 struct lf_stream_delta *out)
{
    struct anthropic *s = state;
    const struct lf_host_api *h = s->c.host;
    json_t *root = pu_json_loadb(data, data_len);
    const char *type;
    const json_t *usage;

    (void)event_len;
    if (!json_is_object(root))
        return pu_stream_bad_event(h, root, out);
    type = json_string_value(json_object_get(root, "type"));
    if (type == NULL)
        type = event ? event : "";
    if (strcmp(type, "content_block_delta") == 0) {
        const json_t *d = json_object_get(root, "delta");
        const json_t *t = json_object_get(d, "text");
        if (json_is_string(t) && json_string_length(t) > 0) {
            out->text = pu_strndup(h, json_string_value(t), json_string_length(t));
            out->text_len = json_string_length(t);
        }
    } else if (strcmp(type, "message_start") == 0) {
        usage = json_object_get(json_object_get(root, "message"), "usage");
        if (json_is_integer(json_object_get(usage, "input_tokens"))) {
            out->usage.prompt_tokens = (uint64_t)json_integer_value(json_object_get(usage, "input_tokens")) +
                                       (uint64_t)json_integer_value(json_object_get(usage, "cache_read_input_tokens")) +
                                       (uint64_t)json_integer_value(json_object_get(usage, "cache_creation_input_tokens"));
            out->usage.completion_tokens = (uint64_t)json_integer_value(json_object_get(usage, "output_tokens"));
            out->has_usage = 1;
        }
    } else if (strcmp(type, "message_delta") == 0) {
        const char *stop = map_stop(json_string_value(json_object_get(json_object_get(root, "delta"), "stop_reason")));
        if (stop != NULL)
            out->finish_reason = pu_strdup(h, stop);
        usage = json_object_get(root, "usage");
        if (json_is_integer(json_object_get(usage, "output_tokens"))) {
            /* cumulative; input_tokens is present only in newer API versions (0 = unknown here) */
            out->usage.prompt_tokens = (uint64_t)json_integer_value(json_object_get(usage, "input_tokens"));
            out->usage.completion_tokens = (uint64_t)json_integer_value(json_object_get(usage, "output_tokens"));
            out->has_usage = 1;
        }
    } else if (strcmp(type, "message_stop") == 0) {
        out->done = 1;
    } else if (strcmp(type, "error") == 0) {
        const json_t *err = json_object_get(root, "error");
        const char *etype = json_string_value(json_object_get(err, "type"));
        const char *msg = json_string_value(json_object_get(err, "message"));
        pu_stream_error(&s->c, out, failure_from_type(etype, LF_FAILURE_UPSTREAM_5XX), etype ? etype : "error", msg);
    } /* ping, content_block_start, content_block_stop: nothing */
    json_decref(root);
    return LF_OK;
}

static int an_build_probe(void *state, struct lf_http_request *out)
{
    struct anthropic *s = state;

    return pu_probe(out, pu_printf(s->c.host, "%s/v1/models?limit=1", s->c.base_url), auth_headers(s));
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_PROVIDER, .name = PLUGIN, .version = "1.0.0",
                     .description = "Anthropic Messages API", .config_map = CONFIG_MAP, .init = an_init,
                     .destroy = an_destroy, .build_request = an_build_request, .parse_response = an_parse_response,
                     .parse_stream_event = an_parse_stream_event, .build_probe = an_build_probe,
                     .models = pu_state_models)
