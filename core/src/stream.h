/*
 * core/src/stream.h - accumulate a provider's streaming answer (SSE -> parse_stream_event -> deltas)
 * SPDX-License-Identifier: MIT
 *
 * Used by the pipeline for streaming chat attempts (OpenAI-compatible /v1 with stream: true). The body
 * pieces of a 2xx answer go through the SSE splitter and the provider plugin's parse_stream_event; text
 * deltas are handed to a callback as they arrive and collected, along with the finish reason, the usage
 * and any error the stream reports. When the transfer ends, lf_stream_acc_result() turns the collected
 * stream and the transport outcome into the attempt's struct lf_gen_result, exactly like parse_response
 * does for a buffered answer. One accumulator per job; reset before every attempt.
 */
#ifndef LF_CORE_STREAM_H
#define LF_CORE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include <lafactoria/plugin.h>

#include "sse.h"

struct lf_provider;
struct lf_upstream_result;

/** A text delta (borrowed for the call). Return 0 to continue, non-zero to stop the transfer. */
typedef int (*lf_stream_text_fn)(void *ud, const char *text, size_t len);

struct lf_stream_acc {
    struct lf_sse_parser sse;
    char *text;            /* all deltas so far */
    size_t text_len, text_cap;
    char *raw;             /* the body while no event was seen (an upstream that ignored stream=true) */
    size_t raw_len, raw_cap;
    char *finish_reason;
    char *model;
    struct lf_usage usage;
    int has_usage;
    size_t events;         /* events dispatched by the splitter */
    size_t deltas;         /* text deltas handed to the callback */
    int done;              /* the stream said it was complete */
    uint32_t failure;      /* an error the stream reported (enum lf_failure) */
    char *error_message;
    /* set for the duration of lf_stream_acc_feed */
    const struct lf_provider *_prov;
    lf_stream_text_fn _cb;
    void *_ud;
};

/** Prepare for an attempt (frees what a previous attempt left). */
void lf_stream_acc_reset(struct lf_stream_acc *a);
/** Release everything (the struct itself is the caller's). */
void lf_stream_acc_dispose(struct lf_stream_acc *a);
/**
 * Feed body bytes of a 2xx streaming answer of provider `p`. Calls cb for every non-empty text delta.
 * Returns 0 to continue, non-zero when the transfer should stop (the callback asked, the stream reported
 * an error or was malformed).
 */
int lf_stream_acc_feed(struct lf_stream_acc *a, const struct lf_provider *p, const char *data, size_t len,
                       lf_stream_text_fn cb, void *ud);
/**
 * The attempt's result once the transfer ended with a 2xx status: the stream's text, finish reason,
 * usage and failure. A transport failure before the stream completed is classified from `res`
 * (connect_error, timeout). An upstream that answered a plain JSON body instead of a stream is parsed
 * with the plugin's parse_response. `out` must be zeroed with struct_size set; its buffers are malloc'd.
 */
void lf_stream_acc_result(struct lf_stream_acc *a, const struct lf_provider *p, const struct lf_gen_request *req,
                          const struct lf_upstream_result *res, struct lf_gen_result *out);

#endif /* LF_CORE_STREAM_H */
