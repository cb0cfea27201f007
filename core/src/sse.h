/*
 * core/src/sse.h - incremental Server-Sent Events splitter (text/event-stream)
 * SPDX-License-Identifier: MIT
 *
 * Feed arbitrary byte pieces; for every complete event (terminated by a blank line) the callback gets
 * the event name (NULL when the event had no "event:" field) and the data lines joined with "\n".
 * Lines may end in "\n", "\r\n" or "\r", also split across pieces. Comments (":...") and "id:" /
 * "retry:" fields are ignored. An event whose data is empty is not dispatched (as in the HTML spec).
 */
#ifndef LF_CORE_SSE_H
#define LF_CORE_SSE_H

#include <stddef.h>

/** Return 0 to continue, non-zero to stop feeding (lf_sse_feed then returns that value). */
typedef int (*lf_sse_event_cb)(void *ctx, const char *event, size_t event_len, const char *data, size_t data_len);

struct lf_sse_parser {
    char *_line;     /* the current incomplete line */
    size_t _line_len, _line_cap;
    char *_event;    /* event field of the event being built */
    size_t _event_len, _event_cap;
    char *_data;     /* joined data of the event being built */
    size_t _data_len, _data_cap;
    int _has_data;   /* at least one data line seen */
    int _skip_lf;    /* previous piece ended with "\r" */
    size_t max_event_bytes; /**< a larger line or event makes lf_sse_feed return -1 (default 4 MiB) */
};

/** Initialise (no allocation until bytes arrive). */
void lf_sse_init(struct lf_sse_parser *p);
/** Release buffers. The parser may be re-initialised afterwards. */
void lf_sse_dispose(struct lf_sse_parser *p);
/**
 * Parse `len` bytes. Returns 0, the non-zero value a callback returned (parsing stops there), or -1
 * when an event exceeds max_event_bytes.
 */
int lf_sse_feed(struct lf_sse_parser *p, const char *bytes, size_t len, lf_sse_event_cb cb, void *ctx);
/** End of stream: dispatch a last event that lacked its terminating blank line. Same return values. */
int lf_sse_finish(struct lf_sse_parser *p, lf_sse_event_cb cb, void *ctx);

#endif /* LF_CORE_SSE_H */
