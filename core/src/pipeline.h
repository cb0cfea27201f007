/*
 * core/src/pipeline.h - the generation pipeline: an asynchronous state machine on a worker's loop
 * SPDX-License-Identifier: MIT
 *
 * route -> attempt 1..n through the provider plugin (async HTTP or direct generate) -> repair ->
 * schema validation -> quality pipeline -> gate (regenerate / reject) -> response JSON -> store.
 * Nothing blocks: HTTP attempts run on the worker's curl multi, simulated delays and backoff on the
 * worker's timers. The job holds a reference to the registry generation it started on until it ends.
 */
#ifndef LF_CORE_PIPELINE_H
#define LF_CORE_PIPELINE_H

#include <jansson.h>
#include <stdint.h>

struct lf_worker;
struct lf_registry;
struct lf_gen;

/** The validated request of one generation (owned by the caller for the job's life). */
struct lf_gen_params {
    const char *content_type;
    const char *topic;
    const char *age_group;
    const char *additional_requirements; /* or NULL */
    json_t *learning_objectives;         /* array or NULL (borrowed) */
    const char *provider;                /* pinned, or NULL */
    double max_cost_usd;                 /* <= 0 = none */
    int reject_gate;                     /* quality_gate == "reject" */
    const char *key_id;                  /* API key id for budgets and storage, or NULL */
    const char *request_id;
    const char *batch_id;                /* or NULL */
    /* chat mode (OpenAI-compatible /v1): content_type is NULL and these are used instead */
    const char *messages_json;           /* OpenAI messages array */
    const char *model;                   /* requested model or NULL */
    uint32_t max_tokens;
    double temperature;                  /* < 0 unset */
    double top_p;                        /* < 0 unset */
    const char *stop_json;               /* or NULL */
    /*
     * streaming chat: non-NULL makes HTTP providers stream (stream.h) and calls on_delta(ud, provider,
     * text, len) for every text delta as it arrives. Once a delta was delivered there is no failover: a
     * later failure ends the job with 502 UPSTREAM_FAILED (details.stream_started = true). Return
     * non-zero to stop the transfer. Providers without HTTP deliver no deltas: the done body (chat) then
     * carries "streamed": false and "chunk_delay_ms" for the caller to stream the text itself.
     */
    int (*on_delta)(void *ud, const char *provider, const char *text, size_t len);
};

/**
 * Called once when the job ends, on the worker's thread. status is the HTTP status; body is the
 * response body (200: the generation response; else the error object {"code","message","details"})
 * and is borrowed for the call. After the callback returns the job is freed.
 */
typedef void (*lf_gen_done_fn)(void *ud, int status, json_t *body, uint64_t upstream_wait_ns,
                               const char *provider, double cost_usd);

/** Start a job; `reg` is borrowed (the job takes its own reference). Returns the job (for cancel). */
struct lf_gen *lf_gen_start(struct lf_worker *w, struct lf_registry *reg, const struct lf_gen_params *params,
                            lf_gen_done_fn done, void *ud);

/** The client went away: finish quietly (no callback); in-flight upstream calls are cancelled. */
void lf_gen_abandon(struct lf_gen *g);

/** The job's id (UUID, the chat/generation record id); valid until the done callback returns. */
const char *lf_gen_id(const struct lf_gen *g);

/** Error object {"code","message","details"} (new reference). */
json_t *lf_gen_error(const char *code, json_t *details, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
