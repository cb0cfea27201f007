/*
 * providers/openai/provider_util.h - helpers shared by the HTTP provider plugins (compiled into each .so)
 * SPDX-License-Identifier: MIT
 *
 * Every symbol here is hidden (plugins are built with hidden visibility); each plugin links its own copy.
 */
#ifndef LF_PROVIDERS_PROVIDER_UTIL_H
#define LF_PROVIDERS_PROVIDER_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "fastjson.h"
#include <lafactoria/plugin.h>

/** A model and its price (USD per million tokens). */
struct pu_model {
    char *id;
    double in_usd;
    double out_usd;
};

/** Common instance settings of an HTTP provider. */
struct pu_common {
    const struct lf_host_api *host;
    char *name;        /* instance name */
    char *api_key;
    char *base_url;    /* without trailing "/" */
    char *model;       /* default model */
    uint32_t timeout_ms;
    struct pu_model *models;   /* price table, models[0] is the default model */
    struct lf_model_info *infos;
    size_t n_models;
};

/** Built-in default price row. */
struct pu_price_default {
    const char *id;
    double in_usd;
    double out_usd;
};

/**
 * Read api_key, base_url (default_base_url when absent or empty), model (default_model), timeout_ms and
 * the "models" override on top of the defaults. Returns LF_OK or LF_ECONFIG / LF_ENOMEM.
 */
int pu_common_init(struct pu_common *c, const struct lf_plugin_init_args *args, const char *default_base_url,
                   const char *default_model, const struct pu_price_default *defaults, size_t n_defaults);
void pu_common_free(struct pu_common *c);
/** Price row of a model: exact id, else the longest family prefix ("gpt-4o-mini" for "gpt-4o-mini-2024-07-18"). */
const struct pu_model *pu_find(const struct pu_common *c, const char *model, size_t *index);
size_t pu_common_models(struct pu_common *c, const struct lf_model_info **out);

/** host->alloc'd copy of n bytes (NUL-terminated), NULL on OOM. */
char *pu_strndup(const struct lf_host_api *h, const char *s, size_t n);
char *pu_strdup(const struct lf_host_api *h, const char *s);
/** host->alloc'd printf. */
char *pu_printf(const struct lf_host_api *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** host->alloc'd compact JSON of v (NULL on error). */
char *pu_json_dump(const struct lf_host_api *h, const json_t *v, size_t *len);

/**
 * Find header `name` (case-insensitive) in a raw header block; copies its trimmed value into out
 * (NUL-terminated, truncated to outsz - 1). Returns 1 when found.
 */
int pu_header(const char *headers, size_t len, const char *name, char *out, size_t outsz);
/** Retry hint in ms from retry-after-ms, Retry-After (seconds or HTTP-date), x-ratelimit-reset-* durations
 *  (OpenAI "1s", "6m0s", "20ms") or anthropic-ratelimit-*-reset (RFC 3339). 0 when none. */
uint32_t pu_retry_after_ms(const struct lf_host_api *h, const char *headers, size_t len);
/** Failure class of a non-2xx HTTP status. */
uint32_t pu_failure_from_status(int status);
/** Token estimate of a text (chars / 4, at least 1). */
uint64_t pu_estimate_tokens(size_t chars);

/**
 * Normalise the conversation of a request: returns a JSON array of {role, content} with content a
 * string (parts arrays are joined), roles as given. messages_json wins over system_prompt + prompt.
 * Returns a new reference or NULL when the input is unusable.
 */
json_t *pu_messages(const struct lf_host_api *h, const struct lf_gen_request *req);
/** Text of a message "content" (string, or array of {type:"text", text} parts joined). Borrowed or new. */
char *pu_content_text(const struct lf_host_api *h, const json_t *content);
/** Parse stop_json into a JSON array (new reference) or NULL. */
json_t *pu_stop(const struct lf_gen_request *req);

/** Fill the failure part of a result (message is copied). */
void pu_fail(const struct lf_host_api *h, struct lf_gen_result *out, uint32_t failure, const char *msg);
/** Set estimated usage when the upstream gave none. */
void pu_estimate_usage(const struct lf_gen_request *req, struct lf_gen_result *out);
/** Cost from the price table (exact model, then the longest known prefix, then the default model). */
double pu_cost(const struct pu_common *c, const char *model, const struct lf_usage *u);

/** Standard request headers: Content-Type + the given auth lines (host->alloc'd). */
char *pu_headers(const struct lf_host_api *h, const char *extra);

/*
 * Plugin instance state: each provider's state struct has `struct pu_common c;` as its FIRST member, so
 * the state and its common part share one address (checked with PU_STATE_CHECK).
 */
#define PU_STATE_CHECK(type) _Static_assert(offsetof(type, c) == 0, #type ": struct pu_common c must come first")

/** The config_map rows every HTTP provider has (api_key, base_url, model, models, timeout_ms). */
#define PU_CONFIG_COMMON(api_key_doc, base_url_doc, default_base_url, default_model)                           \
    {"api_key", LF_CONFIG_STRING, 1, NULL, api_key_doc, 1},                                                    \
        {"base_url", LF_CONFIG_STRING, 0, default_base_url, base_url_doc, 0},                                  \
        {"model", LF_CONFIG_STRING, 0, default_model, "default model", 0},                                     \
        {"models", LF_CONFIG_ARRAY, 0, NULL, "price table override: [{id, input_usd_per_mtok, output_usd_per_mtok}]", \
         0},                                                                                                   \
        {"timeout_ms", LF_CONFIG_INTEGER, 0, "0", "per-attempt timeout (0 = the core's default)", 0}

/** Number of rows of a price table array. */
#define PU_N(a) (sizeof(a) / sizeof((a)[0]))

/**
 * Allocate a zeroed instance state of `size` bytes (its first member a struct pu_common) and run
 * pu_common_init on it. Returns the state (free it with pu_state_free) or NULL with *err set.
 */
void *pu_state_new(const struct lf_plugin_init_args *args, size_t size, const char *default_base_url,
                   const char *default_model, const struct pu_price_default *defaults, size_t n_defaults, int *err);
/** The models callback of a state made by pu_state_new (its price table). */
size_t pu_state_models(void *state, const struct lf_model_info **out);
/** Free `extra` (one plugin-owned host->alloc'd string, may be NULL), the common part and the state itself. */
void pu_state_free(struct pu_common *c, void *extra);

/** Model of a request: req->model when set, else the instance default. Borrowed. */
const char *pu_req_model(const struct pu_common *c, const struct lf_gen_request *req);
/** Auth header lines -> full request headers (pu_headers). Takes `extra` (host->alloc'd, may be NULL),
 *  wipes and frees it. Returns host->alloc'd headers or NULL. */
char *pu_auth_headers(const struct lf_host_api *h, char *extra);
/** Fill a POST request: url and headers are taken over (host->alloc'd), body is dumped. LF_OK or LF_ENOMEM. */
int pu_post(const struct pu_common *c, struct lf_http_request *out, char *url, char *headers, const json_t *body);
/** Fill a GET probe request (5 s timeout): url and headers are taken over. LF_OK or LF_ENOMEM. */
int pu_probe(struct lf_http_request *out, char *url, char *headers);
/**
 * Failure message of an upstream error answer, by out->failure: credentials rejected (never echoes the
 * upstream text), else "HTTP <status> <kind>: <msg>" (kind "error" when NULL), else "HTTP <status>".
 */
void pu_fail_http(const struct pu_common *c, struct lf_gen_result *out, int status, const char *kind, const char *msg);
/** Model (the answer's model when a JSON string, else fallback), estimated usage when !has_usage, cost. */
void pu_finish_result(const struct pu_common *c, const struct lf_gen_request *req, struct lf_gen_result *out,
                      const json_t *model, const char *fallback, int has_usage);
/** A stream event that is not a JSON object: releases root, marks the delta failed and done. Returns LF_OK. */
int pu_stream_bad_event(const struct lf_host_api *h, json_t *root, struct lf_stream_delta *out);
/** An upstream stream error event: failure, message ("stream error[ <kind>]: <msg>"; credentials rejected for
 *  auth failures), done. */
void pu_stream_error(const struct pu_common *c, struct lf_stream_delta *out, uint32_t failure, const char *kind,
                     const char *msg);

#endif
