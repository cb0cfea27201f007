/*
 * tests/unit/providers/test_providers.c - openai, anthropic, gemini and chaos plugins against documented wire formats
 * SPDX-License-Identifier: MIT
 *
 * Loads the real .so files from LF_BUILD_DIR/lib/lafactoria/providers with dlopen and calls them through a
 * small fake host API whose configuration comes from a JSON object.
 */
#include <dlfcn.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <lafactoria/plugin.h>

/* ---- fake host ---- */

static long live_allocs;
static json_t *dumps_keep; /* config_json strings live until the test ends */

static void h_log(int level, const char *plugin, const char *fmt, ...)
{
    (void)level;
    (void)plugin;
    (void)fmt;
}
static void *h_alloc(size_t n)
{
    live_allocs++;
    return malloc(n);
}
static void *h_realloc(void *p, size_t n)
{
    if (p == NULL)
        live_allocs++;
    return realloc(p, n);
}
static void h_free(void *p)
{
    if (p != NULL)
        live_allocs--;
    free(p);
}
static uint64_t h_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static uint64_t h_wall_ms(void)
{
    return (uint64_t)time(NULL) * 1000u;
}
static const json_t *cfg_get(const void *cfg, const char *key)
{
    return json_object_get((const json_t *)cfg, key);
}
static const char *h_config_string(const void *cfg, const char *key)
{
    return json_string_value(cfg_get(cfg, key));
}
static int h_config_number(const void *cfg, const char *key, double *out)
{
    const json_t *v = cfg_get(cfg, key);
    if (!json_is_number(v))
        return 0;
    *out = json_number_value(v);
    return 1;
}
static int h_config_bool(const void *cfg, const char *key, int *out)
{
    const json_t *v = cfg_get(cfg, key);
    if (!json_is_boolean(v))
        return 0;
    *out = json_is_true(v);
    return 1;
}
static const char *h_config_json(const void *cfg, const char *key)
{
    const json_t *v = cfg_get(cfg, key);
    char *s;
    if (v == NULL)
        return NULL;
    s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_array_append_new(dumps_keep, json_string(s));
    free(s);
    return json_string_value(json_array_get(dumps_keep, json_array_size(dumps_keep) - 1));
}
static void h_metric_add(const char *plugin, const char *name, double v)
{
    (void)plugin;
    (void)name;
    (void)v;
}

static const struct lf_host_api HOST = {
    .struct_size = sizeof(struct lf_host_api), .abi_major = LF_PLUGIN_ABI_MAJOR, .abi_minor = LF_PLUGIN_ABI_MINOR,
    .log = h_log, .alloc = h_alloc, .realloc = h_realloc, .free = h_free, .now_ns = h_now_ns, .wall_ms = h_wall_ms,
    .config_string = h_config_string, .config_number = h_config_number, .config_bool = h_config_bool,
    .config_json = h_config_json, .metric_add = h_metric_add,
};

struct inst {
    void *dl;
    const struct lf_plugin_descriptor *d;
    void *state;
    json_t *cfg;
};

static void inst_open(struct inst *in, const char *name, const char *cfg_json)
{
    char path[512];
    lf_plugin_entry_fn entry;
    struct lf_plugin_init_args args;

    snprintf(path, sizeof(path), "%s/lib/lafactoria/providers/%s.so", LF_BUILD_DIR, name);
    in->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (in->dl == NULL)
        fail_msg("dlopen %s: %s", path, dlerror());
    *(void **)&entry = dlsym(in->dl, "lf_plugin_entry");
    assert_non_null(entry);
    in->d = entry();
    assert_int_equal(in->d->abi_major, LF_PLUGIN_ABI_MAJOR);
    assert_int_equal(in->d->kind, LF_PLUGIN_KIND_PROVIDER);
    assert_string_equal(in->d->name, name);
    in->cfg = json_loads(cfg_json, 0, NULL);
    assert_non_null(in->cfg);
    memset(&args, 0, sizeof(args));
    args.struct_size = sizeof(args);
    args.host = &HOST;
    args.instance_name = name;
    args.config = in->cfg;
    args.config_json = cfg_json;
    args.config_json_len = strlen(cfg_json);
    assert_int_equal(in->d->init(&args, &in->state), LF_OK);
}

static void inst_close(struct inst *in)
{
    in->d->destroy(in->state);
    json_decref(in->cfg);
    dlclose(in->dl);
}

static void req_init(struct lf_gen_request *r, const char *system, const char *prompt)
{
    memset(r, 0, sizeof(*r));
    r->struct_size = sizeof(*r);
    r->system_prompt = system;
    r->system_prompt_len = system ? strlen(system) : 0;
    r->prompt = prompt;
    r->prompt_len = prompt ? strlen(prompt) : 0;
    r->temperature = -1;
    r->top_p = -1;
}

static void http_free(struct lf_http_request *h)
{
    h_free(h->url);
    h_free(h->headers);
    h_free(h->body);
    memset(h, 0, sizeof(*h));
}

static void result_free(struct lf_gen_result *r)
{
    h_free(r->text);
    h_free(r->model);
    h_free(r->finish_reason);
    h_free(r->error_message);
    memset(r, 0, sizeof(*r));
}

static void delta_free(struct lf_stream_delta *d)
{
    h_free(d->text);
    h_free(d->finish_reason);
    h_free(d->error_message);
    memset(d, 0, sizeof(*d));
}

/* Parse `body` answered with `status` (and raw headers) into *out. */
static void parse(struct inst *in, const struct lf_gen_request *req, int status, const char *headers, const char *body,
                  struct lf_gen_result *out)
{
    struct lf_http_response resp;

    memset(&resp, 0, sizeof(resp));
    resp.struct_size = sizeof(resp);
    resp.status = status;
    resp.headers = headers ? headers : "";
    resp.headers_len = strlen(resp.headers);
    resp.body = body;
    resp.body_len = strlen(body);
    memset(out, 0, sizeof(*out));
    out->struct_size = sizeof(*out);
    assert_int_equal(in->d->parse_response(in->state, req, &resp, out), LF_OK);
}

static void stream_ev(struct inst *in, const char *event, const char *data, struct lf_stream_delta *out)
{
    memset(out, 0, sizeof(*out));
    out->struct_size = sizeof(*out);
    assert_int_equal(in->d->parse_stream_event(in->state, event, event ? strlen(event) : 0, data, strlen(data), out),
                     LF_OK);
}

static json_t *body_json(const struct lf_http_request *h)
{
    json_t *j = json_loadb(h->body, h->body_len, 0, NULL);
    assert_non_null(j);
    return j;
}

static int setup(void **st)
{
    (void)st;
    live_allocs = 0;
    dumps_keep = json_array();
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    json_decref(dumps_keep);
    assert_int_equal(live_allocs, 0); /* every host->alloc was freed */
    return 0;
}

#define SECRET "sk-test-SECRET-123"

/* ---- openai ---- */

static void test_openai_request(void **st)
{
    struct inst in;
    struct lf_gen_request r;
    struct lf_http_request h;
    json_t *b;
    static const char schema[] = "{\"$schema\":\"x\",\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\"}}}";

    (void)st;
    inst_open(&in, "openai", "{\"api_key\":\"" SECRET "\"}");
    req_init(&r, "You are a teacher.", "Content type: study_guide");
    r.content_type = "study_guide";
    r.output_schema_json = schema;
    r.output_schema_json_len = strlen(schema);
    r.max_tokens = 300;
    r.temperature = 0.5;
    r.stop_json = "[\"END\"]";
    memset(&h, 0, sizeof(h));
    assert_int_equal(in.d->build_request(in.state, &r, &h), LF_OK);
    assert_string_equal(h.method, "POST");
    assert_string_equal(h.url, "https://api.openai.com/v1/chat/completions");
    assert_non_null(strstr(h.headers, "Authorization: Bearer " SECRET "\n"));
    assert_non_null(strstr(h.headers, "Content-Type: application/json"));
    b = body_json(&h);
    assert_string_equal(json_string_value(json_object_get(b, "model")), "gpt-4o-mini");
    assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 300);
    assert_true(fabs(json_real_value(json_object_get(b, "temperature")) - 0.5) < 1e-9);
    assert_null(json_object_get(b, "top_p"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(b, "stop"), 0)), "END");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(b, "messages"), 0), "role")),
                        "system");
    assert_string_equal(json_string_value(json_object_get(json_object_get(b, "response_format"), "type")),
                        "json_schema");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(b, "response_format"), "json_schema"), "name")),
        "study_guide");
    assert_null(json_object_get(json_object_get(json_object_get(json_object_get(b, "response_format"), "json_schema"),
                                                "schema"),
                                "$schema"));
    assert_null(json_object_get(b, "stream"));
    json_decref(b);
    http_free(&h);

    /* streaming asks for the usage chunk; messages_json passes through */
    req_init(&r, NULL, NULL);
    r.messages_json = "[{\"role\":\"user\",\"content\":\"hi\"}]";
    r.messages_json_len = strlen(r.messages_json);
    r.stream = 1;
    r.model = "o3-mini";
    r.max_tokens = 10;
    assert_int_equal(in.d->build_request(in.state, &r, &h), LF_OK);
    b = body_json(&h);
    assert_true(json_is_true(json_object_get(b, "stream")));
    assert_true(json_is_true(json_object_get(json_object_get(b, "stream_options"), "include_usage")));
    assert_int_equal(json_integer_value(json_object_get(b, "max_completion_tokens")), 10);
    assert_string_equal(json_string_value(json_object_get(b, "model")), "o3-mini");
    json_decref(b);
    http_free(&h);

    /* a probe lists models */
    assert_int_equal(in.d->build_probe(in.state, &h), LF_OK);
    assert_string_equal(h.method, "GET");
    assert_string_equal(h.url, "https://api.openai.com/v1/models");
    http_free(&h);
    inst_close(&in);

    /* another base URL: no structured output unless enabled */
    inst_open(&in, "openai", "{\"api_key\":\"k\",\"base_url\":\"http://127.0.0.1:11434/v1/\"}");
    req_init(&r, NULL, "x");
    r.output_schema_json = schema;
    r.output_schema_json_len = strlen(schema);
    assert_int_equal(in.d->build_request(in.state, &r, &h), LF_OK);
    assert_string_equal(h.url, "http://127.0.0.1:11434/v1/chat/completions");
    b = body_json(&h);
    assert_null(json_object_get(b, "response_format"));
    json_decref(b);
    http_free(&h);
    inst_close(&in);
}

static void test_openai_response(void **st)
{
    struct inst in;
    struct lf_gen_request r;
    struct lf_gen_result out;

    (void)st;
    inst_open(&in, "openai", "{\"api_key\":\"" SECRET "\"}");
    req_init(&r, "sys", "hello there");
    parse(&in, &r, 200, NULL,
          "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o-mini-2024-07-18\","
          "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi!\",\"refusal\":null},"
          "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":2000,\"total_tokens\":3000}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_string_equal(out.text, "Hi!");
    assert_int_equal(out.text_len, 3);
    assert_string_equal(out.finish_reason, "stop");
    assert_string_equal(out.model, "gpt-4o-mini-2024-07-18");
    assert_int_equal(out.usage.prompt_tokens, 1000);
    assert_int_equal(out.usage.completion_tokens, 2000);
    assert_int_equal(out.usage.estimated, 0);
    assert_true(fabs(out.cost_usd - (1000 * 0.15 + 2000 * 0.60) / 1e6) < 1e-12); /* dated id priced as family */
    result_free(&out);

    /* no usage: estimated, never zero */
    parse(&in, &r, 200, NULL,
          "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"abcdefgh\"},\"finish_reason\":\"length\"}]}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_int_equal(out.usage.estimated, 1);
    assert_int_equal(out.usage.completion_tokens, 2);
    assert_true(out.usage.prompt_tokens > 0);
    assert_string_equal(out.finish_reason, "length");
    assert_true(out.cost_usd > 0);
    result_free(&out);

    /* refusal */
    parse(&in, &r, 200, NULL,
          "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,\"refusal\":\"I can't help.\"},"
          "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_string_equal(out.finish_reason, "content_filter");
    assert_string_equal(out.text, "I can't help.");
    result_free(&out);

    /* tool calls */
    parse(&in, &r, 200, NULL,
          "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c\",\"type\":"
          "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_string_equal(out.finish_reason, "tool_calls");
    result_free(&out);

    /* errors */
    parse(&in, &r, 401, NULL,
          "{\"error\":{\"message\":\"Incorrect API key provided: " SECRET ".\",\"type\":\"invalid_request_error\","
          "\"param\":null,\"code\":\"invalid_api_key\"}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_AUTH_ERROR);
    assert_non_null(out.error_message);
    assert_null(strstr(out.error_message, "SECRET"));
    assert_null(out.text);
    result_free(&out);

    parse(&in, &r, 429, "HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\n\r\n",
          "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}", &out);
    assert_int_equal(out.failure, LF_FAILURE_RATE_LIMITED);
    assert_int_equal(out.retry_after_ms, 7000);
    result_free(&out);

    parse(&in, &r, 429, "x-ratelimit-reset-requests: 1m2.5s\r\nx-ratelimit-reset-tokens: 20ms\r\n", "{}", &out);
    assert_int_equal(out.failure, LF_FAILURE_RATE_LIMITED);
    assert_int_equal(out.retry_after_ms, 20);
    result_free(&out);

    parse(&in, &r, 429, "Retry-After: Wed, 21 Oct 2099 07:28:00 GMT\r\n", "{}", &out);
    assert_int_equal(out.failure, LF_FAILURE_RATE_LIMITED);
    assert_int_equal(out.retry_after_ms, 3600000); /* clamped to an hour */
    result_free(&out);

    parse(&in, &r, 500, NULL, "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}", &out);
    assert_int_equal(out.failure, LF_FAILURE_UPSTREAM_5XX);
    assert_non_null(strstr(out.error_message, "server_error"));
    result_free(&out);

    parse(&in, &r, 503, NULL, "<html>bad gateway</html>", &out);
    assert_int_equal(out.failure, LF_FAILURE_UPSTREAM_5XX);
    result_free(&out);

    parse(&in, &r, 400, NULL, "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\"}}", &out);
    assert_int_equal(out.failure, LF_FAILURE_INVALID_RESPONSE);
    result_free(&out);

    parse(&in, &r, 200, NULL, "{\"id\": \"x\", \"choices\": [ {\"message\": ", &out);
    assert_int_equal(out.failure, LF_FAILURE_INVALID_RESPONSE);
    assert_null(out.text);
    result_free(&out);

    parse(&in, &r, 200, NULL, "{\"object\":\"chat.completion\",\"choices\":[]}", &out);
    assert_int_equal(out.failure, LF_FAILURE_INVALID_RESPONSE);
    result_free(&out);
    inst_close(&in);
}

static void test_openai_stream(void **st)
{
    struct inst in;
    struct lf_stream_delta d;

    (void)st;
    inst_open(&in, "openai", "{\"api_key\":\"k\"}");
    stream_ev(&in, NULL,
              "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
              "\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}",
              &d);
    assert_null(d.text);
    assert_false(d.done);
    delta_free(&d);
    stream_ev(&in, NULL, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}", &d);
    assert_string_equal(d.text, "Hel");
    assert_int_equal(d.text_len, 3);
    delta_free(&d);
    stream_ev(&in, NULL, "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}", &d);
    assert_string_equal(d.finish_reason, "length");
    delta_free(&d);
    stream_ev(&in, NULL, "{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}",
              &d);
    assert_true(d.has_usage);
    assert_int_equal(d.usage.prompt_tokens, 9);
    assert_int_equal(d.usage.completion_tokens, 12);
    delta_free(&d);
    stream_ev(&in, NULL, "[DONE]", &d);
    assert_true(d.done);
    delta_free(&d);
    stream_ev(&in, NULL, "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}", &d);
    assert_int_equal(d.failure, LF_FAILURE_UPSTREAM_5XX);
    assert_true(d.done);
    delta_free(&d);
    stream_ev(&in, NULL, "{not json", &d);
    assert_int_equal(d.failure, LF_FAILURE_INVALID_RESPONSE);
    delta_free(&d);
    inst_close(&in);
}

static void test_openai_models(void **st)
{
    struct inst in;
    const struct lf_model_info *m;
    size_t n, i;
    struct lf_gen_request r;
    struct lf_gen_result out;

    (void)st;
    inst_open(&in, "openai", "{\"api_key\":\"k\"}");
    n = in.d->models(in.state, &m);
    assert_true(n >= 5);
    assert_string_equal(m[0].id, "gpt-4o-mini");
    assert_true(fabs(m[0].input_usd_per_mtok - 0.15) < 1e-12);
    assert_true(fabs(m[0].output_usd_per_mtok - 0.60) < 1e-12);
    inst_close(&in);

    inst_open(&in, "openai",
              "{\"api_key\":\"k\",\"model\":\"llama3\",\"models\":[{\"id\":\"llama3\",\"input_usd_per_mtok\":0.5,"
              "\"output_usd_per_mtok\":1.5},{\"id\":\"gpt-4o-mini\",\"input_usd_per_mtok\":1,\"output_usd_per_mtok\":2}]}");
    n = in.d->models(in.state, &m);
    assert_string_equal(m[0].id, "llama3");
    assert_true(fabs(m[0].output_usd_per_mtok - 1.5) < 1e-12);
    for (i = 0; i < n; i++)
        if (strcmp(m[i].id, "gpt-4o-mini") == 0)
            assert_true(fabs(m[i].input_usd_per_mtok - 1.0) < 1e-12); /* the override wins */
    req_init(&r, NULL, "hi");
    parse(&in, &r, 200, NULL,
          "{\"model\":\"llama3\",\"choices\":[{\"message\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
          "\"usage\":{\"prompt_tokens\":1000000,\"completion_tokens\":1000000}}",
          &out);
    assert_true(fabs(out.cost_usd - 2.0) < 1e-9);
    result_free(&out);
    inst_close(&in);
}

/* ---- anthropic ---- */

static void test_anthropic_request(void **st)
{
    struct inst in;
    struct lf_gen_request r;
    struct lf_http_request h;
    json_t *b, *msgs;

    (void)st;
    inst_open(&in, "anthropic", "{\"api_key\":\"" SECRET "\",\"base_url\":\"http://127.0.0.1:9/\"}");
    req_init(&r, NULL, NULL);
    r.messages_json = "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"developer\",\"content\":\"Use JSON.\"},"
                      "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]},"
                      "{\"role\":\"user\",\"content\":\"c\"},{\"role\":\"assistant\",\"content\":\"d\"},"
                      "{\"role\":\"user\",\"content\":\"e\"}]";
    r.messages_json_len = strlen(r.messages_json);
    r.temperature = 1.7;
    r.stop_json = "[\"\\n\\n\"]";
    r.stream = 1;
    memset(&h, 0, sizeof(h));
    assert_int_equal(in.d->build_request(in.state, &r, &h), LF_OK);
    assert_string_equal(h.url, "http://127.0.0.1:9/v1/messages");
    assert_non_null(strstr(h.headers, "x-api-key: " SECRET "\n"));
    assert_non_null(strstr(h.headers, "anthropic-version: 2023-06-01\n"));
    b = body_json(&h);
    assert_string_equal(json_string_value(json_object_get(b, "model")), "claude-3-5-haiku-latest");
    assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 4096);
    assert_string_equal(json_string_value(json_object_get(b, "system")), "Be brief.\n\nUse JSON.");
    assert_true(fabs(json_real_value(json_object_get(b, "temperature")) - 1.0) < 1e-9);
    assert_string_equal(json_string_value(json_array_get(json_object_get(b, "stop_sequences"), 0)), "\n\n");
    assert_true(json_is_true(json_object_get(b, "stream")));
    msgs = json_object_get(b, "messages");
    assert_int_equal(json_array_size(msgs), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0), "role")), "user");
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 0), "content")), "a\nb\n\nc");
    assert_string_equal(json_string_value(json_object_get(json_array_get(msgs, 1), "role")), "assistant");
    json_decref(b);
    http_free(&h);

    req_init(&r, "You write.", "Topic: x");
    r.max_tokens = 123;
    assert_int_equal(in.d->build_request(in.state, &r, &h), LF_OK);
    b = body_json(&h);
    assert_int_equal(json_integer_value(json_object_get(b, "max_tokens")), 123);
    assert_string_equal(json_string_value(json_object_get(b, "system")), "You write.");
    assert_int_equal(json_array_size(json_object_get(b, "messages")), 1);
    assert_null(json_object_get(b, "stream"));
    json_decref(b);
    http_free(&h);
    inst_close(&in);
}

static void test_anthropic_response(void **st)
{
    struct inst in;
    struct lf_gen_request r;
    struct lf_gen_result out;

    (void)st;
    inst_open(&in, "anthropic", "{\"api_key\":\"" SECRET "\"}");
    req_init(&r, "s", "p");
    parse(&in, &r, 200, NULL,
          "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-haiku-20241022\","
          "\"content\":[{\"type\":\"text\",\"text\":\"Hello \"},{\"type\":\"text\",\"text\":\"world\"}],"
          "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":1000000,\"output_tokens\":1000000}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_string_equal(out.text, "Hello world");
    assert_string_equal(out.finish_reason, "stop");
    assert_string_equal(out.model, "claude-3-5-haiku-20241022");
    assert_int_equal(out.usage.prompt_tokens, 1000000);
    assert_int_equal(out.usage.estimated, 0);
    assert_true(fabs(out.cost_usd - 4.80) < 1e-9);
    result_free(&out);

    parse(&in, &r, 200, NULL,
          "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"abcd\"}],\"stop_reason\":\"max_tokens\"}", &out);
    assert_string_equal(out.finish_reason, "length");
    assert_int_equal(out.usage.estimated, 1);
    assert_int_equal(out.usage.completion_tokens, 1);
    assert_true(out.cost_usd > 0);
    result_free(&out);

    parse(&in, &r, 200, NULL, "{\"type\":\"message\",\"content\":[],\"stop_reason\":\"refusal\",\"usage\":"
                              "{\"input_tokens\":3,\"output_tokens\":0}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_string_equal(out.finish_reason, "content_filter");
    assert_string_equal(out.text, "");
    result_free(&out);

    parse(&in, &r, 529, NULL, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_UPSTREAM_5XX);
    assert_non_null(strstr(out.error_message, "overloaded_error"));
    result_free(&out);

    parse(&in, &r, 429, "retry-after: 3\r\n",
          "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}", &out);
    assert_int_equal(out.failure, LF_FAILURE_RATE_LIMITED);
    assert_int_equal(out.retry_after_ms, 3000);
    result_free(&out);

    parse(&in, &r, 401, NULL,
          "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key " SECRET "\"}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_AUTH_ERROR);
    assert_null(strstr(out.error_message, "SECRET"));
    result_free(&out);

    parse(&in, &r, 500, NULL, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"internal\"}}", &out);
    assert_int_equal(out.failure, LF_FAILURE_UPSTREAM_5XX);
    result_free(&out);

    parse(&in, &r, 400, NULL,
          "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"max_tokens: required\"}}", &out);
    assert_int_equal(out.failure, LF_FAILURE_INVALID_RESPONSE);
    result_free(&out);

    parse(&in, &r, 200, NULL, "not json", &out);
    assert_int_equal(out.failure, LF_FAILURE_INVALID_RESPONSE);
    result_free(&out);
    inst_close(&in);
}

static void test_anthropic_stream(void **st)
{
    struct inst in;
    struct lf_stream_delta d;

    (void)st;
    inst_open(&in, "anthropic", "{\"api_key\":\"k\"}");
    stream_ev(&in, "message_start",
              "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\","
              "\"content\":[],\"model\":\"claude-3-5-haiku-20241022\",\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}",
              &d);
    assert_true(d.has_usage);
    assert_int_equal(d.usage.prompt_tokens, 25);
    delta_free(&d);
    stream_ev(&in, "ping", "{\"type\": \"ping\"}", &d);
    assert_null(d.text);
    assert_false(d.done);
    delta_free(&d);
    stream_ev(&in, "content_block_delta",
              "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}", &d);
    assert_string_equal(d.text, "Hello");
    delta_free(&d);
    stream_ev(&in, "message_delta",
              "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
              "\"usage\":{\"output_tokens\":15}}",
              &d);
    assert_string_equal(d.finish_reason, "stop");
    assert_true(d.has_usage);
    assert_int_equal(d.usage.completion_tokens, 15);
    delta_free(&d);
    stream_ev(&in, "message_stop", "{\"type\":\"message_stop\"}", &d);
    assert_true(d.done);
    delta_free(&d);
    stream_ev(&in, "error", "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}", &d);
    assert_int_equal(d.failure, LF_FAILURE_UPSTREAM_5XX);
    assert_true(d.done);
    delta_free(&d);
    inst_close(&in);
}

/* ---- gemini ---- */

static void test_gemini_request(void **st)
{
    struct inst in;
    struct lf_gen_request r;
    struct lf_http_request h;
    json_t *b, *gc;

    (void)st;
    inst_open(&in, "gemini", "{\"api_key\":\"" SECRET "\"}");
    req_init(&r, "Be a teacher.", "Explain rain.");
    r.output_schema_json = "{\"type\":\"object\"}";
    r.output_schema_json_len = strlen(r.output_schema_json);
    r.max_tokens = 500;
    r.temperature = 0.2;
    r.top_p = 0.9;
    r.stop_json = "[\"STOP\"]";
    memset(&h, 0, sizeof(h));
    assert_int_equal(in.d->build_request(in.state, &r, &h), LF_OK);
    assert_string_equal(h.url,
                        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent");
    assert_non_null(strstr(h.headers, "x-goog-api-key: " SECRET "\n"));
    assert_null(strstr(h.url, SECRET));
    b = body_json(&h);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(b,
                                                                                                         "systemInstruction"),
                                                                                         "parts"),
                                                                         0),
                                                          "text")),
                        "Be a teacher.");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(b, "contents"), 0), "role")),
                        "user");
    gc = json_object_get(b, "generationConfig");
    assert_int_equal(json_integer_value(json_object_get(gc, "maxOutputTokens")), 500);
    assert_true(fabs(json_real_value(json_object_get(gc, "topP")) - 0.9) < 1e-9);
    assert_string_equal(json_string_value(json_array_get(json_object_get(gc, "stopSequences"), 0)), "STOP");
    assert_string_equal(json_string_value(json_object_get(gc, "responseMimeType")), "application/json");
    json_decref(b);
    http_free(&h);

    req_init(&r, NULL, NULL);
    r.messages_json = "[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
                      "{\"role\":\"user\",\"content\":\"c\"}]";
    r.messages_json_len = strlen(r.messages_json);
    r.stream = 1;
    r.model = "models/gemini-1.5-flash";
    assert_int_equal(in.d->build_request(in.state, &r, &h), LF_OK);
    assert_string_equal(
        h.url, "https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-flash:streamGenerateContent?alt=sse");
    b = body_json(&h);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(b, "contents"), 1), "role")),
                        "model");
    assert_null(json_object_get(b, "generationConfig"));
    json_decref(b);
    http_free(&h);
    inst_close(&in);
}

static void test_gemini_response(void **st)
{
    struct inst in;
    struct lf_gen_request r;
    struct lf_gen_result out;

    (void)st;
    inst_open(&in, "gemini", "{\"api_key\":\"" SECRET "\"}");
    req_init(&r, NULL, "p");
    parse(&in, &r, 200, NULL,
          "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Rain \"},{\"text\":\"falls.\"}],\"role\":\"model\"},"
          "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":1000000,"
          "\"candidatesTokenCount\":1000000,\"totalTokenCount\":2000000},\"modelVersion\":\"gemini-2.0-flash-001\"}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_string_equal(out.text, "Rain falls.");
    assert_string_equal(out.finish_reason, "stop");
    assert_string_equal(out.model, "gemini-2.0-flash-001");
    assert_int_equal(out.usage.completion_tokens, 1000000);
    assert_true(fabs(out.cost_usd - 0.50) < 1e-9);
    result_free(&out);

    parse(&in, &r, 200, NULL,
          "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"abcdefgh\"}]},\"finishReason\":\"MAX_TOKENS\"}]}", &out);
    assert_string_equal(out.finish_reason, "length");
    assert_int_equal(out.usage.estimated, 1);
    assert_int_equal(out.usage.completion_tokens, 2);
    result_free(&out);

    parse(&in, &r, 200, NULL,
          "{\"candidates\":[{\"finishReason\":\"SAFETY\",\"index\":0,\"safetyRatings\":[{\"category\":"
          "\"HARM_CATEGORY_DANGEROUS_CONTENT\",\"probability\":\"HIGH\"}]}],\"usageMetadata\":{\"promptTokenCount\":7}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_string_equal(out.finish_reason, "content_filter");
    assert_int_equal(out.usage.prompt_tokens, 7);
    result_free(&out);

    parse(&in, &r, 200, NULL, "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":{\"promptTokenCount\":7}}",
          &out);
    assert_string_equal(out.finish_reason, "content_filter");
    result_free(&out);

    parse(&in, &r, 400, NULL,
          "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please pass a valid API key.\",\"status\":"
          "\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":"
          "\"API_KEY_INVALID\"}]}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_AUTH_ERROR);
    result_free(&out);

    parse(&in, &r, 429, NULL,
          "{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted\",\"status\":\"RESOURCE_EXHAUSTED\","
          "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"30s\"}]}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_RATE_LIMITED);
    assert_int_equal(out.retry_after_ms, 30000);
    result_free(&out);

    parse(&in, &r, 503, NULL, "{\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_UPSTREAM_5XX);
    result_free(&out);

    parse(&in, &r, 404, NULL, "{\"error\":{\"code\":404,\"message\":\"models/x is not found\",\"status\":\"NOT_FOUND\"}}",
          &out);
    assert_int_equal(out.failure, LF_FAILURE_INVALID_RESPONSE);
    result_free(&out);

    parse(&in, &r, 200, NULL, "{\"candidates\": []}", &out);
    assert_int_equal(out.failure, LF_FAILURE_INVALID_RESPONSE);
    result_free(&out);
    inst_close(&in);
}

static void test_gemini_stream(void **st)
{
    struct inst in;
    struct lf_stream_delta d;

    (void)st;
    inst_open(&in, "gemini", "{\"api_key\":\"k\"}");
    stream_ev(&in, NULL,
              "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"},\"index\":0}],"
              "\"usageMetadata\":{\"promptTokenCount\":4},\"modelVersion\":\"gemini-2.0-flash\"}",
              &d);
    assert_string_equal(d.text, "Hel");
    assert_false(d.done);
    assert_false(d.has_usage);
    delta_free(&d);
    stream_ev(&in, NULL,
              "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"lo\"}],\"role\":\"model\"},\"finishReason\":\"STOP\","
              "\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":4,\"candidatesTokenCount\":2,\"totalTokenCount\":6}}",
              &d);
    assert_string_equal(d.text, "lo");
    assert_string_equal(d.finish_reason, "stop");
    assert_true(d.done);
    assert_true(d.has_usage);
    assert_int_equal(d.usage.prompt_tokens, 4);
    assert_int_equal(d.usage.completion_tokens, 2);
    delta_free(&d);
    stream_ev(&in, NULL, "{\"error\":{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}", &d);
    assert_int_equal(d.failure, LF_FAILURE_RATE_LIMITED);
    delta_free(&d);
    inst_close(&in);
}

/* ---- chaos ---- */

static struct lf_gen_result chaos_call(struct inst *in, const struct lf_gen_request *r)
{
    struct lf_gen_result out;
    memset(&out, 0, sizeof(out));
    out.struct_size = sizeof(out);
    assert_int_equal(in->d->generate(in->state, r, &out), LF_OK);
    return out;
}

static void test_chaos_success_from_schema(void **st)
{
    struct inst in;
    struct lf_gen_request r;
    struct lf_gen_result out;
    json_t *schema, *obj, *items;
    char path[512];
    size_t i;

    (void)st;
    snprintf(path, sizeof(path), "%s/config/content_types/faq_collection/schema.json", LF_SOURCE_DIR_T);
    schema = json_load_file(path, 0, NULL);
    assert_non_null(schema);
    inst_open(&in, "chaos", "{\"latency_ms\":5,\"jitter_ms\":10}");
    assert_null(in.d->build_request);
    req_init(&r, "s", "Content type: faq_collection");
    r.topic = "Volcanoes";
    r.output_schema_json = json_dumps(schema, 0);
    r.output_schema_json_len = strlen(r.output_schema_json);
    out = chaos_call(&in, &r);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_true(out.delay_ms >= 5 && out.delay_ms <= 15);
    obj = json_loadb(out.text, out.text_len, 0, NULL);
    assert_non_null(obj);
    assert_true(json_is_string(json_object_get(obj, "title")));
    items = json_object_get(obj, "items");
    assert_int_equal(json_array_size(items), 5);
    for (i = 0; i < json_array_size(items); i++) {
        const char *q = json_string_value(json_object_get(json_array_get(items, i), "question"));
        assert_non_null(q);
        assert_int_equal(q[strlen(q) - 1], '?');
        assert_non_null(strstr(q, "Volcanoes"));
    }
    assert_true(out.usage.prompt_tokens > 0 && out.usage.completion_tokens > 0);
    assert_int_equal(out.usage.estimated, 0);
    assert_true(out.cost_usd > 0);
    assert_string_equal(out.finish_reason, "stop");
    json_decref(obj);
    result_free(&out);
    free((void *)(uintptr_t)r.output_schema_json);
    json_decref(schema);
    inst_close(&in);
}

static void test_chaos_faults(void **st)
{
    struct inst in, in2;
    struct lf_gen_request r;
    struct lf_gen_result out, out2;
    json_t *obj;
    int i, failures = 0, same = 1;

    (void)st;
    req_init(&r, "s", "p");
    r.output_schema_json = "{\"type\":\"object\",\"required\":[\"title\"],\"properties\":{\"title\":{\"type\":\"string\"}}}";
    r.output_schema_json_len = strlen(r.output_schema_json);

    inst_open(&in, "chaos", "{\"fail_first_n\":2,\"mode\":\"rate_limited\",\"retry_after_ms\":1500,\"report_usage\":false}");
    for (i = 0; i < 2; i++) {
        out = chaos_call(&in, &r);
        assert_int_equal(out.failure, LF_FAILURE_RATE_LIMITED);
        assert_int_equal(out.retry_after_ms, 1500);
        assert_null(out.text);
        assert_non_null(out.error_message);
        result_free(&out);
    }
    out = chaos_call(&in, &r);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_int_equal(out.usage.estimated, 1);
    result_free(&out);
    inst_close(&in);

    inst_open(&in, "chaos", "{\"fail_after_n\":1,\"faults\":[\"connect_error\"]}");
    out = chaos_call(&in, &r);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    result_free(&out);
    out = chaos_call(&in, &r);
    assert_int_equal(out.failure, LF_FAILURE_CONNECT_ERROR);
    result_free(&out);
    inst_close(&in);

    inst_open(&in, "chaos", "{\"mode\":\"malformed_json\"}");
    out = chaos_call(&in, &r);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_null(json_loadb(out.text, out.text_len, 0, NULL));
    result_free(&out);
    inst_close(&in);

    inst_open(&in, "chaos", "{\"mode\":\"schema_invalid\"}");
    out = chaos_call(&in, &r);
    obj = json_loadb(out.text, out.text_len, 0, NULL);
    assert_true(json_is_object(obj));
    assert_null(json_object_get(obj, "title"));
    json_decref(obj);
    result_free(&out);
    inst_close(&in);

    inst_open(&in, "chaos", "{\"mode\":\"timeout\",\"timeout_delay_ms\":90000}");
    out = chaos_call(&in, &r);
    assert_int_equal(out.failure, LF_FAILURE_TIMEOUT);
    assert_int_equal(out.delay_ms, 90000);
    result_free(&out);
    inst_close(&in);

    inst_open(&in, "chaos", "{\"mode\":\"slow_stream\",\"chunk_delay_ms\":123,\"success_text\":\"hello\"}");
    out = chaos_call(&in, &r);
    assert_int_equal(out.failure, LF_FAILURE_NONE);
    assert_int_equal(out.chunk_delay_ms, 123);
    assert_string_equal(out.text, "hello");
    result_free(&out);
    inst_close(&in);

    inst_open(&in, "chaos", "{\"error_ratio\":0.5,\"seed\":42,\"faults\":[\"upstream_5xx\",\"rate_limited\"]}");
    inst_open(&in2, "chaos", "{\"error_ratio\":0.5,\"seed\":42,\"faults\":[\"upstream_5xx\",\"rate_limited\"]}");
    for (i = 0; i < 1000; i++) {
        out = chaos_call(&in, &r);
        out2 = chaos_call(&in2, &r);
        if (out.failure != LF_FAILURE_NONE)
            failures++;
        if (out.failure != out2.failure)
            same = 0;
        result_free(&out);
        result_free(&out2);
    }
    assert_true(same);
    assert_true(failures > 400 && failures < 600);
    inst_close(&in);
    inst_close(&in2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_openai_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openai_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anthropic_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anthropic_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anthropic_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gemini_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gemini_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gemini_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chaos_success_from_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chaos_faults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
