/*
 * core/src/sse.c - incremental Server-Sent Events splitter (text/event-stream)
 * SPDX-License-Identifier: MIT
 */
#include "sse.h"

#include <string.h>

#include "mem.h"

#define DEFAULT_MAX_EVENT_BYTES ((size_t)4 << 20)

void lf_sse_init(struct lf_sse_parser *p)
{
    memset(p, 0, sizeof(*p));
    p->max_event_bytes = DEFAULT_MAX_EVENT_BYTES;
}

void lf_sse_dispose(struct lf_sse_parser *p)
{
    lf_free(p->_line);
    lf_free(p->_event);
    lf_free(p->_data);
    p->_line = p->_event = p->_data = NULL;
    p->_line_len = p->_line_cap = p->_event_len = p->_event_cap = p->_data_len = p->_data_cap = 0;
}

/* Append n bytes to a growable buffer, keeping it NUL-terminated. */
static void buf_append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = *cap ? *cap : 256;
        while (ncap < *len + n + 1)
            ncap *= 2;
        *buf = lf_realloc(*buf, ncap);
        *cap = ncap;
    }
    if (n > 0)
        memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static int dispatch(struct lf_sse_parser *p, lf_sse_event_cb cb, void *ctx)
{
    int rc = 0;

    if (p->_has_data)
        rc = cb(ctx, p->_event_len ? p->_event : NULL, p->_event_len, p->_data ? p->_data : "", p->_data_len);
    p->_event_len = 0;
    p->_data_len = 0;
    p->_has_data = 0;
    return rc;
}

/* Process one complete line (without its terminator). */
static int process_line(struct lf_sse_parser *p, const char *line, size_t len, lf_sse_event_cb cb, void *ctx)
{
    const char *colon, *value;
    size_t name_len, value_len;

    if (len == 0)
        return dispatch(p, cb, ctx);
    if (line[0] == ':')
        return 0;
    colon = memchr(line, ':', len);
    if (colon != NULL) {
        name_len = (size_t)(colon - line);
        value = colon + 1;
        value_len = len - name_len - 1;
        if (value_len > 0 && value[0] == ' ') {
            value++;
            value_len--;
        }
    } else {
        name_len = len;
        value = "";
        value_len = 0;
    }
    if (name_len == 4 && memcmp(line, "data", 4) == 0) {
        if (p->_data_len + value_len + 1 > p->max_event_bytes)
            return -1;
        if (p->_has_data)
            buf_append(&p->_data, &p->_data_len, &p->_data_cap, "\n", 1);
        buf_append(&p->_data, &p->_data_len, &p->_data_cap, value, value_len);
        p->_has_data = 1;
    } else if (name_len == 5 && memcmp(line, "event", 5) == 0) {
        p->_event_len = 0;
        buf_append(&p->_event, &p->_event_len, &p->_event_cap, value, value_len);
    }
    return 0;
}

int lf_sse_feed(struct lf_sse_parser *p, const char *bytes, size_t len, lf_sse_event_cb cb, void *ctx)
{
    size_t i = 0, start;
    int rc;

    if (p->max_event_bytes == 0)
        p->max_event_bytes = DEFAULT_MAX_EVENT_BYTES;
    while (i < len) {
        if (p->_skip_lf) {
            p->_skip_lf = 0;
            if (bytes[i] == '\n') {
                i++;
                continue;
            }
        }
        start = i;
        while (i < len && bytes[i] != '\n' && bytes[i] != '\r')
            i++;
        if (i == len) { /* incomplete line: keep it */
            if (p->_line_len + (len - start) > p->max_event_bytes)
                return -1;
            buf_append(&p->_line, &p->_line_len, &p->_line_cap, bytes + start, len - start);
            break;
        }
        if (bytes[i] == '\r')
            p->_skip_lf = 1;
        if (p->_line_len > 0) {
            buf_append(&p->_line, &p->_line_len, &p->_line_cap, bytes + start, i - start);
            rc = process_line(p, p->_line, p->_line_len, cb, ctx);
            p->_line_len = 0;
        } else {
            rc = process_line(p, bytes + start, i - start, cb, ctx);
        }
        i++;
        if (rc != 0)
            return rc;
    }
    return 0;
}

int lf_sse_finish(struct lf_sse_parser *p, lf_sse_event_cb cb, void *ctx)
{
    int rc = 0;

    if (p->_line_len > 0) {
        rc = process_line(p, p->_line, p->_line_len, cb, ctx);
        p->_line_len = 0;
        if (rc != 0)
            return rc;
    }
    p->_skip_lf = 0;
    return dispatch(p, cb, ctx);
}
