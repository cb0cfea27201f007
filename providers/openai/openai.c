/*
 * providers/openai/openai.c - OpenAI Chat Completions provider (and every OpenAI-compatible server)
 * SPDX-License-Identifier: MIT
 *
 * Pure transformer: builds POST {base_url}/chat/completions requests and parses the answers, the SSE
 * chunks of streaming answers and the error bodies {"error": {"message", "type", "code"}}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <lafactoria/plugin.h>

#include "provider_util.h"

#define PLUGIN "openai"
#define DEFAULT_BASE_URL "https://api.openai.com/v1"
#define DEFAULT_MODEL "gpt-4o-mini"

struct openai {
    struct pu_common c;
    int structured_output; /* send response_format json_schema when a schema is given */
    char *organization;
};
PU_STATE_CHECK(struct openai);

/* Public list prices (USD per million tokens, standard tier), see README.md for date and source. */
static const struct pu_price_default PRICES[] = {
    {"gpt-4o-mini", 0.15, 0.60},  {"gpt-4o", 2.50, 10.00},     {"gpt-4.1", 2.00, 8.00},
    {"gpt-4.1-mini", 0.40, 1.60}, {"gpt-4.1-nano", 0.10, 0.40}, {"o3-mini", 1.10, 4.40},
    {"o4-mini", 1.10, 4.40},      {"gpt-4-turbo", 10.00, 30.00}, {"gpt-3.5-turbo", 0.50, 1.50},
    {"gpt-5", 1.25, 10.00},       {"gpt-5-mini", 0.25, 2.00},    {"gpt-5-nano", 0.05, 0.40},
};

static const struct lf_config_field CONFIG_MAP[] = {
    PU_CONFIG_COMMON("API key sent as Authorization: Bearer", "base URL including /v1 (any OpenAI-compatible server)",
                     DEFAULT_BASE_URL, DEFAULT_MODEL),
    {"structured_output", LF_CONFIG_BOOLEAN, 0, "true for api.openai.com, else false",
     "send response_format json_schema with the content type's schema", 0},
    {"organization", LF_CONFIG_STRING, 0, NULL, "OpenAI-Organization header", 0},
    {NULL, 0, 0, NULL, NULL, 0},
};

static void oa_destroy(void *state)
{
    struct openai *s = state;

    if (s != NULL)
        pu_state_free(&s->c, s->organization);
}

static int oa_init(const struct lf_plugin_init_args *args, void **state)
{
    const struct lf_host_api *h = args->host;
    const char *org;
    int b, err;
    struct openai *s = pu_state_new(args, sizeof(*s), DEFAULT_BASE_URL, DEFAULT_MODEL, PRICES, PU_N(PRICES), &err);

    if (s == NULL)
        return err;
    s->structured_output = strstr(s->c.base_url, "://api.openai.com") != NULL;
    if (h->config_bool(args->config, "structured_output", &b))
        s->structured_output = b;
    org = h->config_string(args->config, "organization");
    if (org != NULL && *org) {
        s->organization = pu_strdup(h, org);
        if (s->organization == NULL) {
            oa_destroy(s);
            return LF_ENOMEM;
        }
    }
    *state = s;
    return LF_OK;
}

static char *auth_headers(struct openai *s)
{
    if (s->organization != NULL)
        return pu_auth_headers(s->c.host, pu_printf(s->c.host, "Authorization: Bearer %s\nOpenAI-Organization: %s\n",
                                                    s->c.api_key, s->organization));
    return pu_auth_headers(s->c.host, pu_printf(s->c.host, "Authorization: Bearer %s\n", s->c.api_key));
}

/* Reasoning models take max_completion_tokens and reject max_tokens. */
static int uses_max_completion_tokens(const char *model)
{
    return (model[0] == 'o' && model[1] >= '1' && model[1] <= '9') || strncmp(model, "gpt-5", 5) == 0;
}

static int oa_build_request(void *state, const struct lf_gen_request *req, struct lf_http_request *out)
{
    struct openai *s = state;
    const struct lf_host_api *h = s->c.host;
    const char *model = pu_req_model(&s->c, req);
    json_t *body = NULL, *msgs = NULL, *stop;
    int err = LF_EINVAL;

    if (req->messages_json != NULL) {
        msgs = json_loadb(req->messages_json, req->messages_json_len, 0, NULL); /* passed through as given */
        if (!json_is_array(msgs)) {
            json_decref(msgs);
            msgs = NULL;
        }
    } else {
        msgs = pu_messages(h, req);
    }
    if (msgs == NULL)
        goto Exit;
    body = json_pack("{s:s,s:o}", "model", model, "messages", msgs);
    if (body == NULL)
        goto Exit;
    if (req->max_tokens > 0)
        json_object_set_new(body, uses_max_completion_tokens(model) ? "max_completion_tokens" : "max_tokens",
                            json_integer(req->max_tokens));
    if (req->temperature >= 0)
        json_object_set_new(body, "temperature", json_real(req->temperature));
    if (req->top_p >= 0)
        json_object_set_new(body, "top_p", json_real(req->top_p));
    stop = pu_stop(req);
    if (stop != NULL)
        json_object_set_new(body, "stop", stop);
    if (req->stream) {
        json_object_set_new(body, "stream", json_true());
        json_object_set_new(body, "stream_options", json_pack("{s:b}", "include_usage", 1));
    }
    if (s->structured_output && req->output_schema_json != NULL) {
        json_t *schema = json_loadb(req->output_schema_json, req->output_schema_json_len, 0, NULL);
        if (json_is_object(schema)) {
            char name[64];
            size_t i, n = 0;
            const char *ct = req->content_type ? req->content_type : "output";
            for (i = 0; ct[i] && n < sizeof(name) - 1; i++) /* name: [a-zA-Z0-9_-]{1,64} */
                name[n++] = (char)((ct[i] >= 'a' && ct[i] <= 'z') || (ct[i] >= 'A' && ct[i] <= 'Z') ||
                                           (ct[i] >= '0' && ct[i] <= '9') || ct[i] == '-'
                                       ? ct[i]
                                       : '_');
            name[n] = '\0';
            json_object_del(schema, "$schema");
            json_object_del(schema, "$id");
            json_object_set_new(body, "response_format",
                                json_pack("{s:s,s:{s:s,s:o,s:b}}", "type", "json_schema", "json_schema", "name", name,
                                          "schema", schema, "strict", 0));
        } else {
            json_decref(schema);
        }
    }
    err = pu_post(&s->c, out, pu_printf(h, "%s/chat/completions", s->c.base_url), auth_headers(s), body);

Exit:
    json_decref(body);
    return err;
}

static const char *map_finish(const char *f)
{
    if (f == NULL)
        return NULL;
    if (strcmp(f, "function_call") == 0)
        return "tool_calls";
    return f; /* stop, length, content_filter, tool_calls */
}

/* Client-safe message from an OpenAI error body; never echoes the upstream text for auth errors (it can
 * quote part of the key). */
static void fill_error(struct openai *s, const json_t *root, int status, struct lf_gen_result *out)
{
    const json_t *err = json_object_get(root, "error");
    const char *msg = json_string_value(json_object_get(err, "message"));
    const char *type = json_string_value(json_object_get(err, "type"));
    const char *code = json_string_value(json_object_get(err, "code"));

    if (code && strcmp(code, "invalid_api_key") == 0)
        out->failure = LF_FAILURE_AUTH_ERROR;
    pu_fail_http(&s->c, out, status, type ? type : code, msg);
}

static void read_usage(const json_t *usage, struct lf_usage *u, int *has)
{
    const json_t *pt = json_object_get(usage, "prompt_tokens");
    const json_t *ct = json_object_get(usage, "completion_tokens");

    *has = 0;
    if (json_is_integer(pt) && json_is_integer(ct)) {
        u->prompt_tokens = (uint64_t)json_integer_value(pt);
        u->completion_tokens = (uint64_t)json_integer_value(ct);
        u->estimated = 0;
        *has = 1;
    }
}

static int oa_parse_response(void *state, const struct lf_gen_request *req, const struct lf_http_response *resp,
                             struct lf_gen_result *out)
{
    struct openai *s = state;
    const struct lf_host_api *h = s->c.host;
    json_t *root = pu_json_loadb(resp->body ? resp->body : "", resp->body_len);
    const json_t *choice, *msg, *content, *refusal;
    const char *finish;
    int has_usage = 0;

    out->cost_usd = -1;
    out->failure = pu_failure_from_status(resp->status);
    if (out->failure != LF_FAILURE_NONE) {
        if (out->failure == LF_FAILURE_RATE_LIMITED)
            out->retry_after_ms = pu_retry_after_ms(h, resp->headers, resp->headers_len);
        fill_error(s, root, resp->status, out);
        goto Exit;
    }
    if (!json_is_object(root)) {
        pu_fail(h, out, LF_FAILURE_INVALID_RESPONSE, "the upstream answer is not JSON");
        goto Exit;
    }
    if (json_object_get(root, "error") != NULL) { /* some compatible servers answer 200 with an error body */
        out->failure = LF_FAILURE_INVALID_RESPONSE;
        fill_error(s, root, resp->status, out);
        goto Exit;
    }
    choice = json_array_get(json_object_get(root, "choices"), 0);
    msg = json_object_get(choice, "message");
    if (!json_is_object(msg)) {
        pu_fail(h, out, LF_FAILURE_INVALID_RESPONSE, "the upstream answer has no choices[0].message");
        goto Exit;
    }
    content = json_object_get(msg, "content");
    refusal = json_object_get(msg, "refusal");
    finish = map_finish(json_string_value(json_object_get(choice, "finish_reason")));
    if (json_is_string(refusal) && json_string_length(refusal) > 0 && !json_is_string(content)) {
        out->text = pu_strndup(h, json_string_value(refusal), json_string_length(refusal));
        finish = "content_filter";
    } else if (json_is_string(content)) {
        out->text = pu_strndup(h, json_string_value(content), json_string_length(content));
    } else if (json_array_size(json_object_get(msg, "tool_calls")) > 0) {
        out->text = pu_strdup(h, "");
        finish = "tool_calls";
    } else {
        pu_fail(h, out, LF_FAILURE_INVALID_RESPONSE, "the upstream answer has no message content");
        goto Exit;
    }
    if (out->text == NULL)
        return LF_ENOMEM;
    out->text_len = strlen(out->text);
    out->finish_reason = pu_strdup(h, finish ? finish : "stop");
    read_usage(json_object_get(root, "usage"), &out->usage, &has_usage);
    pu_finish_result(&s->c, req, out, json_object_get(root, "model"), pu_req_model(&s->c, req), has_usage);

Exit:
    json_decref(root);
    return LF_OK;
}

static uint32_t failure_from_error_type(const char *type, const char *code)
{
    if (type == NULL)
        type = "";
    if (code == NULL)
        code = "";
    if (strstr(type, "rate_limit") || strstr(code, "rate_limit") || strcmp(type, "insufficient_quota") == 0)
        return LF_FAILURE_RATE_LIMITED;
    if (strstr(type, "auth") || strcmp(code, "invalid_api_key") == 0)
        return LF_FAILURE_AUTH_ERROR;
    if (strcmp(type, "invalid_request_error") == 0)
        return LF_FAILURE_INVALID_RESPONSE;
    return LF_FAILURE_UPSTREAM_5XX;
}

static int oa_parse_stream_event(void *state, const char *event, size_t event_len, const char *data, size_t data_len,
                                 struct lf_stream_delta *out)
{
    struct openai *s = state;
    const struct lf_host_api *h = s->c.host;
    json_t *root;
    const json_t *choice, *delta, *content, *refusal, *fin, *err;
    int has = 0;

    (void)event;
    (void)event_len;
    if (data_len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        out->done = 1;
        return LF_OK;
    }
    root = pu_json_loadb(data, data_len);
    if (!json_is_object(root))
        return pu_stream_bad_event(h, root, out);
    err = json_object_get(root, "error");
    if (json_is_object(err)) {
        pu_stream_error(&s->c, out,
                        failure_from_error_type(json_string_value(json_object_get(err, "type")),
                                                json_string_value(json_object_get(err, "code"))),
                        NULL, json_string_value(json_object_get(err, "message")));
        json_decref(root);
        return LF_OK;
    }
    choice = json_array_get(json_object_get(root, "choices"), 0);
    delta = json_object_get(choice, "delta");
    content = json_object_get(delta, "content");
    refusal = json_object_get(delta, "refusal");
    if (json_is_string(content) && json_string_length(content) > 0) {
        out->text = pu_strndup(h, json_string_value(content), json_string_length(content));
        out->text_len = json_string_length(content);
    } else if (json_is_string(refusal) && json_string_length(refusal) > 0) {
        out->text = pu_strndup(h, json_string_value(refusal), json_string_length(refusal));
        out->text_len = json_string_length(refusal);
        out->finish_reason = pu_strdup(h, "content_filter");
    }
    fin = json_object_get(choice, "finish_reason");
    if (json_is_string(fin) && out->finish_reason == NULL)
        out->finish_reason = pu_strdup(h, map_finish(json_string_value(fin)));
    read_usage(json_object_get(root, "usage"), &out->usage, &has);
    out->has_usage = has;
    json_decref(root);
    return LF_OK;
}

static int oa_build_probe(void *state, struct lf_http_request *out)
{
    struct openai *s = state;

    return pu_probe(out, pu_printf(s->c.host, "%s/models", s->c.base_url), auth_headers(s));
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_PROVIDER, .name = PLUGIN, .version = "1.0.0",
                     .description = "OpenAI Chat Completions and OpenAI-compatible servers", .config_map = CONFIG_MAP,
                     .init = oa_init, .destroy = oa_destroy, .build_request = oa_build_request,
                     .parse_response = oa_parse_response, .parse_stream_event = oa_parse_stream_event,
                     .build_probe = oa_build_probe, .models = pu_state_models)
