/*
 * providers/openai/provider_util.c - helpers shared by the HTTP provider plugins (compiled into each .so)
 * SPDX-License-Identifier: MIT
 */
#include "provider_util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

char *pu_strndup(const struct lf_host_api *h, const char *s, size_t n)
{
    char *p = h->alloc(n + 1);

    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *pu_strdup(const struct lf_host_api *h, const char *s)
{
    return s ? pu_strndup(h, s, strlen(s)) : NULL;
}

char *pu_printf(const struct lf_host_api *h, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    p = h->alloc((size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

char *pu_json_dump(const struct lf_host_api *h, const json_t *v, size_t *len)
{
    char *s = json_dumps(v, JSON_COMPACT);
    char *p;

    if (s == NULL)
        return NULL;
    p = pu_strdup(h, s);
    if (len != NULL)
        *len = p ? strlen(p) : 0;
    free(s); /* jansson's own allocation */
    return p;
}

static void trim_slash(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
}

const struct pu_model *pu_find(const struct pu_common *c, const char *model, size_t *index)
{
    const struct pu_model *best = NULL;
    size_t i, best_len = 0;

    if (model == NULL)
        return NULL;
    for (i = 0; i < c->n_models; i++) {
        size_t l;
        if (c->models[i].id == NULL)
            continue;
        l = strlen(c->models[i].id);
        if (strcmp(c->models[i].id, model) == 0) {
            if (index != NULL)
                *index = i;
            return &c->models[i];
        }
        /* dated snapshots ("gpt-4o-mini-2024-07-18") price like their family ("gpt-4o-mini") */
        if (strncmp(model, c->models[i].id, l) == 0 && model[l] == '-' && l > best_len) {
            best = &c->models[i];
            best_len = l;
            if (index != NULL)
                *index = i;
        }
    }
    return best;
}

int pu_common_init(struct pu_common *c, const struct lf_plugin_init_args *args, const char *default_base_url,
                   const char *default_model, const struct pu_price_default *defaults, size_t n_defaults)
{
    const struct lf_host_api *h = args->host;
    const char *s;
    const char *models_json;
    double num;
    json_t *arr = NULL;
    size_t i, n_over = 0;
    int err = LF_ECONFIG;

    memset(c, 0, sizeof(*c));
    c->host = h;
    c->name = pu_strdup(h, args->instance_name ? args->instance_name : "provider");
    s = h->config_string(args->config, "api_key");
    c->api_key = pu_strdup(h, s ? s : "");
    s = h->config_string(args->config, "base_url");
    c->base_url = pu_strdup(h, (s && *s) ? s : default_base_url);
    if (c->name == NULL || c->api_key == NULL || c->base_url == NULL) {
        err = LF_ENOMEM;
        goto Error;
    }
    trim_slash(c->base_url);
    if (strncmp(c->base_url, "http://", 7) != 0 && strncmp(c->base_url, "https://", 8) != 0) {
        h->log(LF_LOG_ERROR, c->name, "base_url must start with http:// or https://");
        goto Error;
    }
    c->timeout_ms = 0;
    if (h->config_number(args->config, "timeout_ms", &num)) {
        if (num < 0 || num > 600000) {
            h->log(LF_LOG_ERROR, c->name, "timeout_ms must be between 0 and 600000");
            goto Error;
        }
        c->timeout_ms = (uint32_t)num;
    }

    models_json = h->config_json(args->config, "models");
    if (models_json != NULL) {
        arr = json_loads(models_json, 0, NULL);
        if (!json_is_array(arr)) {
            h->log(LF_LOG_ERROR, c->name, "models must be an array of {id, input_usd_per_mtok, output_usd_per_mtok}");
            goto Error;
        }
        n_over = json_array_size(arr);
    }
    c->models = h->alloc((n_over + n_defaults + 1) * sizeof(*c->models));
    if (c->models == NULL) {
        err = LF_ENOMEM;
        goto Error;
    }
    memset(c->models, 0, (n_over + n_defaults + 1) * sizeof(*c->models));
    for (i = 0; i < n_over; i++) {
        json_t *m = json_array_get(arr, i);
        json_t *id = json_object_get(m, "id");
        json_t *pin = json_object_get(m, "input_usd_per_mtok");
        json_t *pout = json_object_get(m, "output_usd_per_mtok");
        if (!json_is_string(id) || !json_is_number(pin) || !json_is_number(pout) || json_number_value(pin) < 0 ||
            json_number_value(pout) < 0) {
            h->log(LF_LOG_ERROR, c->name, "models[%zu] needs id, input_usd_per_mtok and output_usd_per_mtok >= 0", i);
            goto Error;
        }
        c->models[c->n_models].id = pu_strdup(h, json_string_value(id));
        c->models[c->n_models].in_usd = json_number_value(pin);
        c->models[c->n_models].out_usd = json_number_value(pout);
        c->n_models++;
    }
    for (i = 0; i < n_defaults; i++) {
        size_t j, dup = 0;
        for (j = 0; j < c->n_models; j++)
            if (c->models[j].id && strcmp(c->models[j].id, defaults[i].id) == 0)
                dup = 1;
        if (dup)
            continue;
        c->models[c->n_models].id = pu_strdup(h, defaults[i].id);
        c->models[c->n_models].in_usd = defaults[i].in_usd;
        c->models[c->n_models].out_usd = defaults[i].out_usd;
        c->n_models++;
    }
    s = h->config_string(args->config, "model");
    c->model = pu_strdup(h, (s && *s) ? s : default_model);
    if (c->model == NULL) {
        err = LF_ENOMEM;
        goto Error;
    }
    /* the default model first in the list the core sees */
    {
        const struct pu_model *near = pu_find(c, c->model, &i);
        if (near != NULL && strcmp(near->id, c->model) == 0) {
            struct pu_model t = c->models[0];
            c->models[0] = c->models[i];
            c->models[i] = t;
        } else { /* a dated or unknown id: listed first, priced like its family (or the first entry) */
            double pin = near ? near->in_usd : (c->n_models ? c->models[0].in_usd : 0);
            double pout = near ? near->out_usd : (c->n_models ? c->models[0].out_usd : 0);
            if (near == NULL)
                h->log(LF_LOG_WARN, c->name, "model \"%s\" has no price entry: add it to \"models\"", c->model);
            memmove(c->models + 1, c->models, c->n_models * sizeof(*c->models));
            c->models[0].id = pu_strdup(h, c->model);
            c->models[0].in_usd = pin;
            c->models[0].out_usd = pout;
            c->n_models++;
        }
    }
    c->infos = h->alloc((c->n_models + 1) * sizeof(*c->infos));
    if (c->infos == NULL) {
        err = LF_ENOMEM;
        goto Error;
    }
    for (i = 0; i < c->n_models; i++) {
        if (c->models[i].id == NULL) {
            err = LF_ENOMEM;
            goto Error;
        }
        c->infos[i].id = c->models[i].id;
        c->infos[i].input_usd_per_mtok = c->models[i].in_usd;
        c->infos[i].output_usd_per_mtok = c->models[i].out_usd;
    }
    json_decref(arr);
    return LF_OK;

Error:
    json_decref(arr);
    pu_common_free(c);
    return err;
}

void pu_common_free(struct pu_common *c)
{
    const struct lf_host_api *h = c->host;
    size_t i;

    if (h == NULL)
        return;
    for (i = 0; c->models && i < c->n_models; i++)
        h->free(c->models[i].id);
    h->free(c->models);
    h->free(c->infos);
    h->free(c->name);
    if (c->api_key != NULL) {
        memset(c->api_key, 0, strlen(c->api_key));
        h->free(c->api_key);
    }
    h->free(c->base_url);
    h->free(c->model);
    memset(c, 0, sizeof(*c));
}

size_t pu_common_models(struct pu_common *c, const struct lf_model_info **out)
{
    *out = c->infos;
    return c->n_models;
}

int pu_header(const char *headers, size_t len, const char *name, char *out, size_t outsz)
{
    size_t nlen = strlen(name), i = 0;

    while (i < len) {
        size_t e = i;
        while (e < len && headers[e] != '\n')
            e++;
        if (e - i > nlen && headers[i + nlen] == ':' && strncasecmp(headers + i, name, nlen) == 0) {
            size_t vs = i + nlen + 1, ve = e;
            while (vs < ve && (headers[vs] == ' ' || headers[vs] == '\t'))
                vs++;
            while (ve > vs && isspace((unsigned char)headers[ve - 1]))
                ve--;
            if (ve - vs >= outsz)
                ve = vs + outsz - 1;
            memcpy(out, headers + vs, ve - vs);
            out[ve - vs] = '\0';
            return 1;
        }
        i = e + 1;
    }
    return 0;
}

/* "1s", "6m0s", "20ms", "1h2m3.5s" (OpenAI x-ratelimit-reset-*) -> ms, or -1. */
static double parse_go_duration(const char *s)
{
    double total = 0;
    int any = 0;

    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s)
            return -1;
        s = end;
        if (strncmp(s, "ms", 2) == 0) {
            total += v;
            s += 2;
        } else if (*s == 'h') {
            total += v * 3600000.0;
            s++;
        } else if (*s == 'm') {
            total += v * 60000.0;
            s++;
        } else if (*s == 's') {
            total += v * 1000.0;
            s++;
        } else {
            return -1;
        }
        any = 1;
    }
    return any ? total : -1;
}

static uint32_t clamp_ms(double ms)
{
    if (ms <= 0)
        return 0;
    if (ms > 3600000.0)
        return 3600000u;
    return (uint32_t)(ms + 0.5);
}

uint32_t pu_retry_after_ms(const struct lf_host_api *h, const char *headers, size_t len)
{
    char v[128];
    char *end;
    double d;
    struct tm tm;
    double best = -1;

    if (headers == NULL)
        return 0;
    if (pu_header(headers, len, "retry-after-ms", v, sizeof(v))) {
        d = strtod(v, &end);
        if (end != v && d >= 0)
            return clamp_ms(d);
    }
    if (pu_header(headers, len, "retry-after", v, sizeof(v))) {
        d = strtod(v, &end);
        if (end != v && *end == '\0' && d >= 0)
            return d == 0 ? 1 : clamp_ms(d * 1000.0);
        memset(&tm, 0, sizeof(tm));
        if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL) {
            double at = (double)timegm(&tm) * 1000.0;
            double now = (double)h->wall_ms();
            return at > now ? clamp_ms(at - now) : 1;
        }
    }
    if (pu_header(headers, len, "x-ratelimit-reset-requests", v, sizeof(v))) {
        d = parse_go_duration(v);
        if (d >= 0)
            best = d;
    }
    if (pu_header(headers, len, "x-ratelimit-reset-tokens", v, sizeof(v))) {
        d = parse_go_duration(v);
        if (d >= 0 && (best < 0 || d < best))
            best = d;
    }
    if (best < 0) {
        static const char *const names[] = {"anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset",
                                            "anthropic-ratelimit-input-tokens-reset",
                                            "anthropic-ratelimit-output-tokens-reset"};
        size_t i;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            if (!pu_header(headers, len, names[i], v, sizeof(v)))
                continue;
            memset(&tm, 0, sizeof(tm));
            if (strptime(v, "%Y-%m-%dT%H:%M:%S", &tm) != NULL) {
                double at = (double)timegm(&tm) * 1000.0 - (double)h->wall_ms();
                if (at < 1)
                    at = 1;
                if (best < 0 || at < best)
                    best = at;
            }
        }
    }
    return best < 0 ? 0 : (best < 1 ? 1 : clamp_ms(best));
}

uint32_t pu_failure_from_status(int status)
{
    if (status >= 200 && status < 300)
        return LF_FAILURE_NONE;
    if (status == 401 || status == 403)
        return LF_FAILURE_AUTH_ERROR;
    if (status == 429)
        return LF_FAILURE_RATE_LIMITED;
    if (status == 408 || status == 504)
        return LF_FAILURE_TIMEOUT;
    if (status >= 500)
        return LF_FAILURE_UPSTREAM_5XX;
    return LF_FAILURE_INVALID_RESPONSE;
}

uint64_t pu_estimate_tokens(size_t chars)
{
    uint64_t t = (chars + 3) / 4;
    return t ? t : 1;
}

char *pu_content_text(const struct lf_host_api *h, const json_t *content)
{
    size_t i, total = 0, off = 0;
    char *p;

    if (json_is_string(content))
        return pu_strndup(h, json_string_value(content), json_string_length(content));
    if (!json_is_array(content))
        return NULL;
    for (i = 0; i < json_array_size(content); i++) {
        json_t *t = json_object_get(json_array_get(content, i), "text");
        if (json_is_string(t))
            total += json_string_length(t) + 1;
    }
    p = h->alloc(total + 1);
    if (p == NULL)
        return NULL;
    for (i = 0; i < json_array_size(content); i++) {
        json_t *t = json_object_get(json_array_get(content, i), "text");
        if (!json_is_string(t))
            continue;
        if (off > 0)
            p[off++] = '\n';
        memcpy(p + off, json_string_value(t), json_string_length(t));
        off += json_string_length(t);
    }
    p[off] = '\0';
    return p;
}

json_t *pu_messages(const struct lf_host_api *h, const struct lf_gen_request *req)
{
    json_t *out = json_array();

    if (out == NULL)
        return NULL;
    if (req->messages_json != NULL) {
        json_t *in = json_loadb(req->messages_json, req->messages_json_len, 0, NULL);
        size_t i;
        if (!json_is_array(in)) {
            json_decref(in);
            json_decref(out);
            return NULL;
        }
        for (i = 0; i < json_array_size(in); i++) {
            json_t *m = json_array_get(in, i);
            json_t *role = json_object_get(m, "role");
            json_t *content = json_object_get(m, "content");
            json_t *text = NULL;
            if (!json_is_string(role))
                continue;
            if (json_is_string(content)) {
                text = json_incref(content);
            } else {
                char *joined = pu_content_text(h, content);
                text = json_string(joined ? joined : "");
                h->free(joined);
            }
            if (text == NULL)
                continue;
            json_array_append_new(out, json_pack("{s:O,s:o}", "role", role, "content", text));
        }
        json_decref(in);
        return out;
    }
    if (req->system_prompt != NULL && req->system_prompt_len > 0)
        json_array_append_new(out, json_pack("{s:s,s:s%}", "role", "system", "content", req->system_prompt,
                                             req->system_prompt_len));
    if (req->prompt != NULL)
        json_array_append_new(out, json_pack("{s:s,s:s%}", "role", "user", "content", req->prompt, req->prompt_len));
    if (json_array_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *pu_stop(const struct lf_gen_request *req)
{
    json_t *s;

    if (req->stop_json == NULL)
        return NULL;
    s = json_loads(req->stop_json, JSON_DECODE_ANY, NULL);
    if (json_is_string(s)) {
        json_t *a = json_array();
        json_array_append_new(a, s);
        return a;
    }
    if (!json_is_array(s) || json_array_size(s) == 0) {
        json_decref(s);
        return NULL;
    }
    return s;
}

void pu_fail(const struct lf_host_api *h, struct lf_gen_result *out, uint32_t failure, const char *msg)
{
    out->failure = failure;
    if (out->error_message == NULL && msg != NULL)
        out->error_message = pu_strdup(h, msg);
}

void pu_estimate_usage(const struct lf_gen_request *req, struct lf_gen_result *out)
{
    size_t in_chars = req->messages_json ? req->messages_json_len : req->system_prompt_len + req->prompt_len;

    out->usage.prompt_tokens = pu_estimate_tokens(in_chars);
    out->usage.completion_tokens = pu_estimate_tokens(out->text_len);
    out->usage.estimated = 1;
}

double pu_cost(const struct pu_common *c, const char *model, const struct lf_usage *u)
{
    const struct pu_model *m = pu_find(c, model, NULL);

    if (m == NULL && c->n_models > 0)
        m = &c->models[0];
    if (m == NULL)
        return 0;
    return ((double)u->prompt_tokens * m->in_usd + (double)u->completion_tokens * m->out_usd) / 1e6;
}

char *pu_headers(const struct lf_host_api *h, const char *extra)
{
    return pu_printf(h, "Content-Type: application/json\n%s", extra ? extra : "");
}

void *pu_state_new(const struct lf_plugin_init_args *args, size_t size, const char *default_base_url,
                   const char *default_model, const struct pu_price_default *defaults, size_t n_defaults, int *err)
{
    const struct lf_host_api *h = args->host;
    struct pu_common *c = h->alloc(size);

    if (c == NULL) {
        *err = LF_ENOMEM;
        return NULL;
    }
    memset(c, 0, size);
    *err = pu_common_init(c, args, default_base_url, default_model, defaults, n_defaults);
    if (*err != LF_OK) {
        h->free(c);
        return NULL;
    }
    return c;
}

size_t pu_state_models(void *state, const struct lf_model_info **out)
{
    return pu_common_models(state, out);
}

void pu_state_free(struct pu_common *c, void *extra)
{
    const struct lf_host_api *h = c->host;

    h->free(extra);
    pu_common_free(c);
    h->free(c);
}

const char *pu_req_model(const struct pu_common *c, const struct lf_gen_request *req)
{
    return (req->model && *req->model) ? req->model : c->model;
}

char *pu_auth_headers(const struct lf_host_api *h, char *extra)
{
    char *all;

    if (extra == NULL)
        return NULL;
    all = pu_headers(h, extra);
    memset(extra, 0, strlen(extra));
    h->free(extra);
    return all;
}

int pu_post(const struct pu_common *c, struct lf_http_request *out, char *url, char *headers, const json_t *body)
{
    out->method = "POST";
    out->url = url;
    out->headers = headers;
    out->body = pu_json_dump(c->host, body, &out->body_len);
    out->timeout_ms = c->timeout_ms;
    return (out->url && out->headers && out->body) ? LF_OK : LF_ENOMEM;
}

int pu_probe(struct lf_http_request *out, char *url, char *headers)
{
    out->method = "GET";
    out->url = url;
    out->headers = headers;
    out->timeout_ms = 5000;
    return (out->url && out->headers) ? LF_OK : LF_ENOMEM;
}

void pu_fail_http(const struct pu_common *c, struct lf_gen_result *out, int status, const char *kind, const char *msg)
{
    char buf[320];

    if (out->failure == LF_FAILURE_AUTH_ERROR)
        snprintf(buf, sizeof(buf), "%s: the upstream rejected the credentials (HTTP %d)", c->name, status);
    else if (msg != NULL)
        snprintf(buf, sizeof(buf), "%s: HTTP %d %s: %.200s", c->name, status, kind ? kind : "error", msg);
    else
        snprintf(buf, sizeof(buf), "%s: HTTP %d", c->name, status);
    pu_fail(c->host, out, out->failure, buf);
}

void pu_finish_result(const struct pu_common *c, const struct lf_gen_request *req, struct lf_gen_result *out,
                      const json_t *model, const char *fallback, int has_usage)
{
    out->model = pu_strdup(c->host, json_is_string(model) ? json_string_value(model) : fallback);
    if (!has_usage)
        pu_estimate_usage(req, out);
    out->cost_usd = pu_cost(c, out->model, &out->usage);
}

int pu_stream_bad_event(const struct lf_host_api *h, json_t *root, struct lf_stream_delta *out)
{
    json_decref(root);
    out->failure = LF_FAILURE_INVALID_RESPONSE;
    out->error_message = pu_strdup(h, "the upstream stream carried an unparseable event");
    out->done = 1;
    return LF_OK;
}

void pu_stream_error(const struct pu_common *c, struct lf_stream_delta *out, uint32_t failure, const char *kind,
                     const char *msg)
{
    out->failure = failure;
    out->error_message = pu_printf(c->host, "%s: stream error%s%s: %.200s", c->name, kind ? " " : "", kind ? kind : "",
                                   failure == LF_FAILURE_AUTH_ERROR ? "credentials rejected" : (msg ? msg : "unknown"));
    out->done = 1;
}
