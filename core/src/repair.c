/*
 * core/src/repair.c - recover the JSON object from a model's output text
 * SPDX-License-Identifier: MIT
 */
#include "repair.h"

#include <string.h>

#include "mem.h"
#include "util.h"

#define MAX_INPUT (1024u * 1024u)
#define MAX_SPANS 64

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_ws(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_ws((*s)[*len - 1])) {
        (*len)--;
    }
}

/* Copy of s without the commas that directly precede '}' or ']' (outside strings); NULL if none. */
static char *strip_trailing_commas(const char *s, size_t len, size_t *out_len)
{
    char *out = NULL;
    size_t o = 0;
    int in_str = 0, esc = 0, changed = 0;
    out = lf_malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!lf_json_scan_in_string(c, &in_str, &esc) && c == ',') {
            size_t j = i + 1;
            while (j < len && is_ws(s[j])) {
                j++;
            }
            if (j < len && (s[j] == '}' || s[j] == ']')) {
                changed = 1;
                continue;
            }
        }
        out[o++] = c;
    }
    if (!changed) {
        lf_free(out);
        return NULL;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* Parse s as exactly one JSON object (then with trailing commas removed). */
static json_t *try_object(const char *s, size_t len)
{
    json_t *j;
    char *fixed;
    size_t flen = 0;
    trim(&s, &len);
    if (len < 2 || s[0] != '{') {
        return NULL;
    }
    j = json_loadb(s, len, JSON_REJECT_DUPLICATES, NULL);
    if (j != NULL && json_is_object(j)) {
        return j;
    }
    json_decref(j);
    fixed = strip_trailing_commas(s, len, &flen);
    if (fixed == NULL) {
        return NULL;
    }
    j = json_loadb(fixed, flen, JSON_REJECT_DUPLICATES, NULL);
    lf_free(fixed);
    if (j != NULL && json_is_object(j)) {
        return j;
    }
    json_decref(j);
    return NULL;
}

static const char *find(const char *s, size_t len, size_t from, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = from; i + n <= len; i++) {
        if (memcmp(s + i, needle, n) == 0) {
            return s + i;
        }
    }
    return NULL;
}

static json_t *try_fences(const char *s, size_t len)
{
    size_t pos = 0;
    for (;;) {
        const char *open = find(s, len, pos, "```");
        const char *body, *close;
        json_t *j;
        if (open == NULL) {
            return NULL;
        }
        body = open + 3;
        /* skip the info string (json, JSON, javascript...) up to the end of the line */
        while (body < s + len && *body != '\n' && *body != '{') {
            body++;
        }
        close = find(s, len, (size_t)(body - s), "```");
        if (close == NULL) {
            close = s + len; /* an unterminated fence: take the rest */
        }
        j = try_object(body, (size_t)(close - body));
        if (j != NULL) {
            return j;
        }
        if (close >= s + len) {
            return NULL;
        }
        pos = (size_t)(close - s) + 3;
    }
}

/* The end (index of the matching '}') of the object starting at s[start] == '{', or -1. */
static long balanced_end(const char *s, size_t len, size_t start)
{
    int in_str = 0, esc = 0;
    long depth = 0;
    for (size_t i = start; i < len; i++) {
        char c = s[i];
        if (lf_json_scan_in_string(c, &in_str, &esc)) {
            continue;
        }
        if (c == '{') {
            depth++;
        } else if (c == '}') {
            if (--depth == 0) {
                return (long)i;
            }
        }
    }
    return -1;
}

static json_t *try_extract(const char *s, size_t len)
{
    int spans = 0;
    for (size_t i = 0; i < len && spans < MAX_SPANS; i++) {
        long end;
        json_t *j;
        if (s[i] != '{') {
            continue;
        }
        spans++;
        end = balanced_end(s, len, i);
        if (end < 0) {
            continue;
        }
        j = try_object(s + i, (size_t)end - i + 1);
        if (j != NULL) {
            return j;
        }
        i = (size_t)end; /* the inner objects of a span that does not parse are not the answer */
    }
    return NULL;
}

json_t *lf_repair_parse(const char *text, size_t len, const char **method)
{
    json_t *j = NULL;
    const char *m = NULL;
    const char *s = text;

    if (method != NULL) {
        *method = NULL;
    }
    if (text == NULL || len == 0 || len > MAX_INPUT) {
        return NULL;
    }
    trim(&s, &len);
    if ((j = try_object(s, len)) != NULL) {
        m = "direct";
    } else if ((j = try_fences(s, len)) != NULL) {
        m = "fence";
    } else if ((j = try_extract(s, len)) != NULL) {
        m = "extracted";
    }
    if (method != NULL) {
        *method = m;
    }
    return j;
}
