/*
 * core/src/stream.c - accumulate a provider's streaming answer (SSE -> parse_stream_event -> deltas)
 * SPDX-License-Identifier: MIT
 */
#include "stream.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "upstream.h"

#define RAW_MAX (16u * 1024u * 1024u)

static void append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1)
            c *= 2;
        char *p = realloc(*buf, c);
        if (p == NULL)
            abort();
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p == NULL)
        abort();
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void lf_stream_acc_dispose(struct lf_stream_acc *a)
{
    lf_sse_dispose(&a->sse);
    free(a->text);
    free(a->raw);
    free(a->finish_reason);
    free(a->model);
    free(a->error_message);
    memset(a, 0, sizeof(*a));
}

void lf_stream_acc_reset(struct lf_stream_acc *a)
{
    lf_stream_acc_dispose(a);
    lf_sse_init(&a->sse);
}

static int on_event(void *ctx, const char *event, size_t event_len, const char *data, size_t data_len)
{
    struct lf_stream_acc *a = ctx;
    const struct lf_plugin_descriptor *d = &a->_prov->plugin->desc;
    struct lf_stream_delta delta;
    int stop = 0;

    a->events++;
    if (a->done)
        return 0; /* trailing events after the end (e.g. keep-alives) */
    memset(&delta, 0, sizeof(delta));
    delta.struct_size = sizeof(delta);
    if (d->parse_stream_event(a->_prov->state, event, event_len, data, data_len, &delta) != LF_OK &&
        delta.failure == LF_FAILURE_NONE) {
        delta.failure = LF_FAILURE_INVALID_RESPONSE;
        if (delta.error_message == NULL)
            delta.error_message = dupn("the provider plugin could not parse a stream event", 50);
    }
    if (delta.has_usage) {
        if (delta.usage.prompt_tokens)
            a->usage.prompt_tokens = delta.usage.prompt_tokens;
        if (delta.usage.completion_tokens)
            a->usage.completion_tokens = delta.usage.completion_tokens;
        a->has_usage = 1;
    }
    if (delta.finish_reason != NULL) {
        free(a->finish_reason);
        a->finish_reason = delta.finish_reason;
        delta.finish_reason = NULL;
    }
    if (delta.failure != LF_FAILURE_NONE) {
        a->failure = delta.failure;
        free(a->error_message);
        a->error_message = delta.error_message;
        delta.error_message = NULL;
        a->done = 1;
        stop = 1;
    } else if (delta.text != NULL && delta.text_len > 0) {
        append(&a->text, &a->text_len, &a->text_cap, delta.text, delta.text_len);
        a->deltas++;
        if (a->_cb != NULL && a->_cb(a->_ud, delta.text, delta.text_len) != 0)
            stop = 1;
    }
    if (delta.done)
        a->done = 1;
    free(delta.text);
    free(delta.finish_reason);
    free(delta.error_message);
    return stop;
}

int lf_stream_acc_feed(struct lf_stream_acc *a, const struct lf_provider *p, const char *data, size_t len,
                       lf_stream_text_fn cb, void *ud)
{
    a->_prov = p;
    a->_cb = cb;
    a->_ud = ud;
    if (a->events == 0 && a->raw_len + len <= RAW_MAX)
        append(&a->raw, &a->raw_len, &a->raw_cap, data, len);
    int rc = lf_sse_feed(&a->sse, data, len, on_event, a);
    if (rc < 0) {
        a->failure = LF_FAILURE_INVALID_RESPONSE;
        free(a->error_message);
        a->error_message = dupn("the upstream stream carried an oversized event", 46);
        a->done = 1;
        return 1;
    }
    if (a->events > 0 && a->raw != NULL) {
        free(a->raw);
        a->raw = NULL;
        a->raw_len = a->raw_cap = 0;
    }
    return rc;
}

void lf_stream_acc_result(struct lf_stream_acc *a, const struct lf_provider *p, const struct lf_gen_request *req,
                          const struct lf_upstream_result *res, struct lf_gen_result *out)
{
    const struct lf_plugin_descriptor *d = &p->plugin->desc;
    int transport_failed = res->failure != 0 || res->aborted;

    if (!transport_failed && !a->done) {
        /* a last event without its blank line */
        a->_prov = p;
        a->_cb = NULL;
        lf_sse_finish(&a->sse, on_event, a);
    }
    size_t k = 0;
    while (k < a->raw_len && isspace((unsigned char)a->raw[k]))
        k++;
    if (a->events == 0 && k < a->raw_len && (a->raw[k] == '{' || a->raw[k] == '[') && !transport_failed) {
        /* the upstream answered a buffered JSON body: parse it like a non-streaming answer */
        struct lf_http_response hr = {.struct_size = sizeof(hr),
                                      .status = res->status,
                                      .headers = res->headers,
                                      .headers_len = res->headers_len,
                                      .body = a->raw,
                                      .body_len = a->raw_len,
                                      .latency_us = res->latency_us};
        if (d->parse_response(p->state, req, &hr, out) != LF_OK && out->failure == LF_FAILURE_NONE) {
            out->failure = LF_FAILURE_INVALID_RESPONSE;
            free(out->error_message);
            out->error_message = dupn("the provider plugin could not parse the answer", 46);
        }
        return;
    }
    if (a->failure != LF_FAILURE_NONE) {
        out->failure = a->failure;
        out->error_message = a->error_message;
        a->error_message = NULL;
    } else if (!a->done && transport_failed) {
        out->failure = res->failure != 0 ? (uint32_t)res->failure : LF_FAILURE_CONNECT_ERROR;
        out->error_message = dupn(res->error != NULL ? res->error : "the upstream stream ended early",
                                  strlen(res->error != NULL ? res->error : "the upstream stream ended early"));
    } else if (!a->done && a->finish_reason == NULL && a->text_len == 0) {
        out->failure = LF_FAILURE_INVALID_RESPONSE;
        out->error_message = dupn("the upstream stream ended without any content", 45);
    }
    if (a->has_usage) {
        out->usage = a->usage;
        out->usage.estimated = 0;
    }
    if (out->failure != LF_FAILURE_NONE)
        return;
    out->text = dupn(a->text != NULL ? a->text : "", a->text_len);
    out->text_len = a->text_len;
    out->finish_reason = a->finish_reason;
    a->finish_reason = NULL;
    if (a->model != NULL) {
        out->model = a->model;
        a->model = NULL;
    }
}
