/*
 * providers/chaos/chaos.c - fault-injecting provider without network, for tests and demos
 * SPDX-License-Identifier: MIT
 *
 * Implements generate(): the core delivers the result after delay_ms (and streams it with chunk_delay_ms
 * between chunks). Per call it decides, deterministically from (seed, call number), whether to succeed or
 * to inject one fault: rate_limited, upstream_5xx, auth_error, malformed_json, schema_invalid,
 * connect_error, timeout or slow_stream. Successful answers are generated from the content type's JSON
 * Schema (or success_text, or a fixed chat reply). See README.md.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <lafactoria/plugin.h>

#define PLUGIN "chaos"

enum fault {
    F_NONE = 0,
    F_RATE_LIMITED,
    F_UPSTREAM_5XX,
    F_AUTH_ERROR,
    F_MALFORMED_JSON,
    F_SCHEMA_INVALID,
    F_CONNECT_ERROR,
    F_TIMEOUT,
    F_SLOW_STREAM,
    F_COUNT
};

static const char *const FAULT_NAMES[F_COUNT] = {"ok",           "rate_limited",   "upstream_5xx",
                                                 "auth_error",   "malformed_json", "schema_invalid",
                                                 "connect_error", "timeout",       "slow_stream"};

struct chaos {
    const struct lf_host_api *host;
    char *name;
    char *model;
    double in_usd, out_usd;
    struct lf_model_info info;
    uint32_t latency_ms, jitter_ms, retry_after_ms, chunk_delay_ms, timeout_delay_ms;
    double error_ratio;
    enum fault mode;            /* F_NONE: decided per call by error_ratio */
    enum fault faults[F_COUNT]; /* the mix error_ratio picks from */
    size_t n_faults;
    long fail_first_n;          /* -1 = unset */
    long fail_after_n;          /* -1 = unset */
    uint64_t seed;
    int report_usage;
    char *success_text;
    atomic_uint_fast64_t calls;
};

static const struct lf_config_field CONFIG_MAP[] = {
    {"latency_ms", LF_CONFIG_INTEGER, 0, "50", "simulated latency of every answer", 0},
    {"jitter_ms", LF_CONFIG_INTEGER, 0, "0", "uniform extra latency in [0, jitter_ms]", 0},
    {"error_ratio", LF_CONFIG_NUMBER, 0, "0", "probability in [0,1] that a call fails with a fault of `faults`", 0},
    {"faults", LF_CONFIG_ARRAY, 0, "[\"upstream_5xx\"]", "fault mix picked uniformly when error_ratio fires", 0},
    {"mode", LF_CONFIG_STRING, 0, "ok", "ok, or one fault name applied to every (gated) call", 0},
    {"fail_first_n", LF_CONFIG_INTEGER, 0, NULL, "the first N calls fail (with mode, or the first of faults)", 0},
    {"fail_after_n", LF_CONFIG_INTEGER, 0, NULL, "every call after the first N fails", 0},
    {"retry_after_ms", LF_CONFIG_INTEGER, 0, "1000", "retry hint of rate_limited", 0},
    {"chunk_delay_ms", LF_CONFIG_INTEGER, 0, "200", "delay between streamed chunks in slow_stream", 0},
    {"timeout_delay_ms", LF_CONFIG_INTEGER, 0, "120000", "delay of the timeout fault (beyond any deadline)", 0},
    {"seed", LF_CONFIG_INTEGER, 0, "1", "seed of the deterministic fault and jitter sequence", 0},
    {"report_usage", LF_CONFIG_BOOLEAN, 0, "true", "false: usage is marked estimated (upstream without usage)", 0},
    {"success_text", LF_CONFIG_STRING, 0, NULL, "fixed answer text instead of a schema-generated object", 0},
    {"model", LF_CONFIG_STRING, 0, "chaos-1", "model id reported", 0},
    {"models", LF_CONFIG_ARRAY, 0, NULL, "[{id, input_usd_per_mtok, output_usd_per_mtok}]: the first prices chaos", 0},
    {NULL, 0, 0, NULL, NULL, 0},
};

static char *dupstr(const struct lf_host_api *h, const char *s, size_t n)
{
    char *p = h->alloc(n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static int fault_by_name(const char *s)
{
    int i;
    for (i = 0; i < F_COUNT; i++)
        if (strcmp(s, FAULT_NAMES[i]) == 0)
            return i;
    return -1;
}

static void ch_destroy(void *state)
{
    struct chaos *s = state;
    const struct lf_host_api *h;

    if (s == NULL)
        return;
    h = s->host;
    h->free(s->name);
    h->free(s->model);
    h->free(s->success_text);
    h->free(s);
}

static int get_u32(const struct lf_host_api *h, const void *cfg, const char *key, uint32_t def, uint32_t *out)
{
    double v;
    if (!h->config_number(cfg, key, &v)) {
        *out = def;
        return LF_OK;
    }
    if (v < 0 || v > 3600000 || v != floor(v)) {
        h->log(LF_LOG_ERROR, PLUGIN, "%s must be an integer between 0 and 3600000", key);
        return LF_ECONFIG;
    }
    *out = (uint32_t)v;
    return LF_OK;
}

static int ch_init(const struct lf_plugin_init_args *args, void **state)
{
    const struct lf_host_api *h = args->host;
    const void *cfg = args->config;
    struct chaos *s = h->alloc(sizeof(*s));
    const char *str, *js;
    double v;
    int b, err = LF_ECONFIG;
    json_t *arr = NULL;

    if (s == NULL)
        return LF_ENOMEM;
    memset(s, 0, sizeof(*s));
    s->host = h;
    atomic_init(&s->calls, 0);
    s->name = dupstr(h, args->instance_name ? args->instance_name : PLUGIN,
                     strlen(args->instance_name ? args->instance_name : PLUGIN));
    str = h->config_string(cfg, "model");
    str = (str && *str) ? str : "chaos-1";
    s->model = dupstr(h, str, strlen(str));
    if (s->name == NULL || s->model == NULL) {
        err = LF_ENOMEM;
        goto Error;
    }
    if (get_u32(h, cfg, "latency_ms", 50, &s->latency_ms) || get_u32(h, cfg, "jitter_ms", 0, &s->jitter_ms) ||
        get_u32(h, cfg, "retry_after_ms", 1000, &s->retry_after_ms) ||
        get_u32(h, cfg, "chunk_delay_ms", 200, &s->chunk_delay_ms) ||
        get_u32(h, cfg, "timeout_delay_ms", 120000, &s->timeout_delay_ms))
        goto Error;
    s->error_ratio = 0;
    if (h->config_number(cfg, "error_ratio", &v)) {
        if (!(v >= 0 && v <= 1)) {
            h->log(LF_LOG_ERROR, PLUGIN, "error_ratio must be in [0, 1]");
            goto Error;
        }
        s->error_ratio = v;
    }
    s->mode = F_NONE;
    str = h->config_string(cfg, "mode");
    if (str != NULL) {
        int f = fault_by_name(str);
        if (f < 0) {
            h->log(LF_LOG_ERROR, PLUGIN, "unknown mode \"%.40s\"", str);
            goto Error;
        }
        s->mode = (enum fault)f;
    }
    js = h->config_json(cfg, "faults");
    if (js != NULL) {
        size_t i;
        arr = json_loads(js, 0, NULL);
        for (i = 0; i < json_array_size(arr) && s->n_faults < F_COUNT; i++) {
            const char *n = json_string_value(json_array_get(arr, i));
            int f = n ? fault_by_name(n) : -1;
            if (f <= 0) {
                h->log(LF_LOG_ERROR, PLUGIN, "faults[%zu] is not a fault name", i);
                goto Error;
            }
            s->faults[s->n_faults++] = (enum fault)f;
        }
    }
    if (s->n_faults == 0)
        s->faults[s->n_faults++] = s->mode != F_NONE ? s->mode : F_UPSTREAM_5XX;
    s->fail_first_n = -1;
    s->fail_after_n = -1;
    if (h->config_number(cfg, "fail_first_n", &v))
        s->fail_first_n = v < 0 ? 0 : (long)v;
    if (h->config_number(cfg, "fail_after_n", &v))
        s->fail_after_n = v < 0 ? 0 : (long)v;
    s->seed = 1;
    if (h->config_number(cfg, "seed", &v))
        s->seed = (uint64_t)(int64_t)v;
    s->report_usage = 1;
    if (h->config_bool(cfg, "report_usage", &b))
        s->report_usage = b;
    str = h->config_string(cfg, "success_text");
    if (str != NULL) {
        s->success_text = dupstr(h, str, strlen(str));
        if (s->success_text == NULL) {
            err = LF_ENOMEM;
            goto Error;
        }
    }
    /* simulated price: gpt-4o-mini's list price unless "models" says otherwise */
    s->in_usd = 0.15;
    s->out_usd = 0.60;
    json_decref(arr);
    arr = NULL;
    js = h->config_json(cfg, "models");
    if (js != NULL) {
        json_t *m;
        arr = json_loads(js, 0, NULL);
        m = json_array_get(arr, 0);
        if (m != NULL) {
            json_t *pin = json_object_get(m, "input_usd_per_mtok"), *pout = json_object_get(m, "output_usd_per_mtok");
            if (!json_is_number(pin) || !json_is_number(pout)) {
                h->log(LF_LOG_ERROR, PLUGIN, "models[0] needs input_usd_per_mtok and output_usd_per_mtok");
                goto Error;
            }
            s->in_usd = json_number_value(pin);
            s->out_usd = json_number_value(pout);
        }
    }
    json_decref(arr);
    s->info.id = s->model;
    s->info.input_usd_per_mtok = s->in_usd;
    s->info.output_usd_per_mtok = s->out_usd;
    *state = s;
    return LF_OK;

Error:
    json_decref(arr);
    ch_destroy(s);
    return err;
}

/* splitmix64: a deterministic, stateless mix of (seed, n). */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static double unit(uint64_t seed, uint64_t n, uint64_t stream)
{
    return (double)(mix(seed ^ mix(n * 4 + stream)) >> 11) / 9007199254740992.0;
}

/* ---- schema-driven generation of a valid object ---- */

static json_t *gen(const json_t *root, const json_t *schema, const char *name, const char *topic, size_t index,
                   int depth);

static const json_t *resolve(const json_t *root, const json_t *schema)
{
    const char *ref = json_string_value(json_object_get(schema, "$ref"));
    char key[128];
    const char *slash;
    const json_t *defs;

    if (ref == NULL)
        return schema;
    if (strncmp(ref, "#/$defs/", 8) == 0) {
        defs = json_object_get(root, "$defs");
        slash = ref + 8;
    } else if (strncmp(ref, "#/definitions/", 14) == 0) {
        defs = json_object_get(root, "definitions");
        slash = ref + 14;
    } else {
        return schema;
    }
    snprintf(key, sizeof(key), "%s", slash);
    return json_object_get(defs, key) ? json_object_get(defs, key) : schema;
}

static const char *schema_type(const json_t *schema)
{
    const json_t *t = json_object_get(schema, "type");
    size_t i;

    if (json_is_string(t))
        return json_string_value(t);
    for (i = 0; i < json_array_size(t); i++) {
        const char *s = json_string_value(json_array_get(t, i));
        if (s && strcmp(s, "null") != 0)
            return s;
    }
    if (json_object_get(schema, "properties"))
        return "object";
    if (json_object_get(schema, "items"))
        return "array";
    return "string";
}

static json_t *gen_string(const json_t *schema, const char *name, const char *topic, size_t index)
{
    const json_t *en = json_object_get(schema, "enum");
    const char *pattern = json_string_value(json_object_get(schema, "pattern"));
    json_int_t minlen = json_integer_value(json_object_get(schema, "minLength"));
    json_int_t maxlen = json_integer_value(json_object_get(schema, "maxLength"));
    int question = (pattern && strstr(pattern, "\\?")) || (name && strstr(name, "question"));
    char buf[1024];
    int n;

    if (json_array_size(en) > 0)
        return json_deep_copy(json_array_get(en, 0));
    if (question)
        n = snprintf(buf, sizeof(buf), "What is point %zu about %s", index + 1, topic);
    else
        n = snprintf(buf, sizeof(buf), "A clear %s about %s, part %zu. It explains the idea in plain words.",
                     name ? name : "text", topic, index + 1);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(buf) - 2)
        n = (int)sizeof(buf) - 3;
    while (n < minlen && (size_t)n < sizeof(buf) - 3)
        buf[n++] = '.';
    if (maxlen > 1 && n > maxlen - (question ? 1 : 0))
        n = (int)maxlen - (question ? 1 : 0);
    if (question)
        buf[n++] = '?';
    buf[n] = '\0';
    return json_stringn(buf, (size_t)n);
}

static json_t *gen(const json_t *root, const json_t *schema, const char *name, const char *topic, size_t index,
                   int depth)
{
    const char *type;
    const json_t *v;

    if (depth > 16 || !json_is_object(schema))
        return json_string("x");
    schema = resolve(root, schema);
    if ((v = json_object_get(schema, "const")) != NULL)
        return json_deep_copy(v);
    if ((v = json_object_get(schema, "oneOf")) != NULL && json_array_size(v) > 0)
        return gen(root, json_array_get(v, 0), name, topic, index, depth + 1);
    if ((v = json_object_get(schema, "enum")) != NULL && json_array_size(v) > 0)
        return json_deep_copy(json_array_get(v, 0));
    type = schema_type(schema);
    if (strcmp(type, "object") == 0) {
        json_t *obj = json_object();
        const char *key;
        json_t *sub;
        json_object_foreach ((json_t *)(uintptr_t)json_object_get(schema, "properties"), key, sub)
            json_object_set_new(obj, key, gen(root, sub, key, topic, index, depth + 1));
        return obj;
    }
    if (strcmp(type, "array") == 0) {
        json_t *arr = json_array();
        json_int_t lo = json_integer_value(json_object_get(schema, "minItems"));
        json_t *maxi = json_object_get(schema, "maxItems");
        json_int_t i, n = lo > 0 ? lo : 1;
        if (json_is_integer(maxi) && n > json_integer_value(maxi))
            n = json_integer_value(maxi);
        for (i = 0; i < n; i++)
            json_array_append_new(arr, gen(root, json_object_get(schema, "items"), name, topic, (size_t)i, depth + 1));
        return arr;
    }
    if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) {
        const json_t *mn = json_object_get(schema, "minimum"), *mx = json_object_get(schema, "maximum");
        double x = (name && strstr(name, "_number")) ? (double)(index + 1) : 5;
        if (json_is_number(mn) && x < json_number_value(mn))
            x = json_number_value(mn);
        if (json_is_number(mx) && x > json_number_value(mx))
            x = json_number_value(mx);
        return strcmp(type, "integer") == 0 ? json_integer((json_int_t)ceil(x)) : json_real(x);
    }
    if (strcmp(type, "boolean") == 0)
        return json_true();
    return gen_string(schema, name, topic, index);
}

/* The answer text of a successful call (host->alloc'd). */
static char *success_text(struct chaos *s, const struct lf_gen_request *req, int invalid)
{
    const struct lf_host_api *h = s->host;
    json_t *schema = NULL, *obj = NULL;
    char *js, *out;

    if (s->success_text != NULL && !invalid)
        return dupstr(h, s->success_text, strlen(s->success_text));
    if (req->output_schema_json != NULL)
        schema = json_loadb(req->output_schema_json, req->output_schema_json_len, 0, NULL);
    if (invalid) /* valid JSON, but not the shape of any content type */
        obj = json_pack("{s:s,s:i}", "unexpected", "this object does not match the schema", "items", 42);
    else if (json_is_object(schema))
        obj = gen(schema, schema, NULL, req->topic ? req->topic : "the topic", 0, 0);
    json_decref(schema);
    if (obj == NULL) {
        static const char reply[] = "This is a simulated answer from the chaos provider.";
        return dupstr(h, reply, sizeof(reply) - 1);
    }
    js = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (js == NULL)
        return NULL;
    out = dupstr(h, js, strlen(js));
    free(js); /* jansson's allocation */
    return out;
}

static enum fault decide(struct chaos *s, uint64_t n)
{
    int gated = 0;

    if (s->fail_first_n >= 0 && (long)n < s->fail_first_n)
        gated = 1;
    if (s->fail_after_n >= 0 && (long)n >= s->fail_after_n)
        gated = 1;
    if (gated)
        return s->mode != F_NONE ? s->mode : s->faults[0];
    if (s->fail_first_n < 0 && s->fail_after_n < 0 && s->mode != F_NONE)
        return s->mode;
    if (s->error_ratio > 0 && unit(s->seed, n, 0) < s->error_ratio)
        return s->faults[(size_t)(unit(s->seed, n, 1) * (double)s->n_faults) % s->n_faults];
    return F_NONE;
}

static int ch_generate(void *state, const struct lf_gen_request *req, struct lf_gen_result *out)
{
    struct chaos *s = state;
    const struct lf_host_api *h = s->host;
    uint64_t n = atomic_fetch_add(&s->calls, 1);
    enum fault f = decide(s, n);
    size_t in_chars = req->messages_json ? req->messages_json_len : req->system_prompt_len + req->prompt_len;
    char msg[160];

    out->delay_ms = s->latency_ms + (s->jitter_ms ? (uint32_t)(unit(s->seed, n, 2) * (s->jitter_ms + 1)) : 0);
    out->cost_usd = -1;
    switch (f) {
    case F_RATE_LIMITED:
        out->failure = LF_FAILURE_RATE_LIMITED;
        out->retry_after_ms = s->retry_after_ms;
        break;
    case F_UPSTREAM_5XX:
        out->failure = LF_FAILURE_UPSTREAM_5XX;
        break;
    case F_AUTH_ERROR:
        out->failure = LF_FAILURE_AUTH_ERROR;
        break;
    case F_CONNECT_ERROR:
        out->failure = LF_FAILURE_CONNECT_ERROR;
        break;
    case F_TIMEOUT:
        /* never answers within any sane deadline: the core's deadline must fire */
        out->delay_ms = s->timeout_delay_ms;
        out->failure = LF_FAILURE_TIMEOUT;
        break;
    case F_MALFORMED_JSON:
        out->text = dupstr(h, "{\"title\": \"unterminated", 23);
        break;
    case F_SCHEMA_INVALID:
        out->text = success_text(s, req, 1);
        break;
    case F_SLOW_STREAM:
        out->chunk_delay_ms = s->chunk_delay_ms;
        out->text = success_text(s, req, 0);
        break;
    case F_NONE:
    case F_COUNT:
        out->text = success_text(s, req, 0);
        break;
    }
    if (out->failure != LF_FAILURE_NONE) {
        snprintf(msg, sizeof(msg), "%s: injected fault %s (call %llu)", s->name, FAULT_NAMES[f],
                 (unsigned long long)n + 1);
        out->error_message = dupstr(h, msg, strlen(msg));
        if (h->metric_add != NULL)
            h->metric_add(PLUGIN, "faults_injected", 1);
        return LF_OK;
    }
    if (out->text == NULL)
        return LF_ENOMEM;
    out->text_len = strlen(out->text);
    out->model = dupstr(h, s->model, strlen(s->model));
    out->finish_reason = dupstr(h, "stop", 4);
    out->usage.prompt_tokens = (in_chars + 3) / 4 ? (in_chars + 3) / 4 : 1;
    out->usage.completion_tokens = (out->text_len + 3) / 4 ? (out->text_len + 3) / 4 : 1;
    out->usage.estimated = !s->report_usage;
    out->cost_usd = ((double)out->usage.prompt_tokens * s->in_usd + (double)out->usage.completion_tokens * s->out_usd) /
                    1e6;
    if (f == F_MALFORMED_JSON || f == F_SCHEMA_INVALID || f == F_SLOW_STREAM) {
        if (h->metric_add != NULL)
            h->metric_add(PLUGIN, "faults_injected", 1);
    }
    return LF_OK;
}

static size_t ch_models(void *state, const struct lf_model_info **models)
{
    *models = &((struct chaos *)state)->info;
    return 1;
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_PROVIDER, .name = PLUGIN, .version = "1.0.0",
                     .description = "fault-injecting provider without network (tests and demos)",
                     .config_map = CONFIG_MAP, .init = ch_init, .destroy = ch_destroy, .generate = ch_generate,
                     .models = ch_models)
