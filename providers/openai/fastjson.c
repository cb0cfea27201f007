/*
 * providers/openai/fastjson.c - a faster json_loadb for provider answers (see fastjson.h)
 * SPDX-License-Identifier: MIT
 *
 * A recursive-descent parser over the buffer. Every function returns NULL to "bail out": the caller then
 * lets jansson parse the whole input, so inputs this parser does not fully understand (or that are invalid)
 * get exactly jansson's treatment.
 */
#include "fastjson.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FJ_MAX_DEPTH 512

struct fj {
    const unsigned char *p, *end;
    char *scratch; /* decoded strings, at most as long as the input */
    int depth;
};

static json_t *fj_value(struct fj *s);

static void fj_ws(struct fj *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* Length of the valid UTF-8 sequence at p (first byte >= 0x80), 0 when invalid (overlong, surrogate, > U+10FFFF,
   truncated): the same rules as jansson's utf8 check. */
static size_t fj_utf8(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0], cp;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; ++i) {
        if ((p[i] & 0xC0u) != 0x80u)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((n == 3 && (cp < 0x800u || (cp >= 0xD800u && cp <= 0xDFFFu))) || (n == 4 && (cp < 0x10000u || cp > 0x10FFFFu)))
        return 0;
    return n;
}

static int fj_hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        v = (v << 4) | d;
    }
    *out = v;
    return 1;
}

static size_t fj_put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The string at s->p (just after the opening quote) decoded into s->scratch (NUL-terminated); its length, or
   -1 to bail out. Plain bytes are copied in runs. */
static long fj_string(struct fj *s)
{
    char *o = s->scratch;
    const unsigned char *p = s->p, *end = s->end;
    for (;;) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        if (p >= end || *p < 0x20)
            return -1; /* unterminated, or a raw control byte (jansson rejects both) */
        if (*p == '"') {
            *o = '\0';
            s->p = p + 1;
            return (long)(o - s->scratch);
        }
        if (*p >= 0x80) {
            size_t n = fj_utf8(p, end);
            if (n == 0)
                return -1;
            memcpy(o, p, n);
            o += n;
            p += n;
            continue;
        }
        /* backslash */
        if (end - p < 2)
            return -1;
        switch (p[1]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (end - p < 6 || !fj_hex4(p + 2, &cp) || cp == 0)
                return -1; /* \u0000 is refused by jansson's default flags */
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return -1; /* lone low surrogate */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || !fj_hex4(p + 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            o += fj_put_utf8(o, cp);
            p += 6;
            continue;
        }
        default:
            return -1;
        }
        p += 2;
    }
}

static json_t *fj_number(struct fj *s)
{
    const unsigned char *p = s->p;
    int neg = 0;
    if (p < s->end && *p == '-') {
        neg = 1;
        p++;
    }
    const unsigned char *d = p;
    while (p < s->end && *p >= '0' && *p <= '9')
        p++;
    size_t nd = (size_t)(p - d);
    if (nd == 0 || nd > 18 || (nd > 1 && d[0] == '0'))
        return NULL;
    if (p < s->end && (*p == '.' || *p == 'e' || *p == 'E'))
        return NULL; /* reals: jansson's own strtod decides */
    json_int_t v = 0;
    for (const unsigned char *q = d; q < p; ++q)
        v = v * 10 + (*q - '0');
    s->p = p;
    return json_integer(neg ? -v : v);
}

static int fj_lit(struct fj *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return 0;
    s->p += n;
    return 1;
}

static json_t *fj_object(struct fj *s)
{
    json_t *o = json_object();
    s->p++; /* { */
    fj_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return o;
    }
    for (;;) {
        if (s->p >= s->end || *s->p != '"')
            goto Bail;
        s->p++;
        long klen = fj_string(s);
        if (klen < 0)
            goto Bail;
        char kbuf[64]; /* scratch is reused for the value: keep the key (short ones on the stack) */
        char *key = (size_t)klen < sizeof(kbuf) ? memcpy(kbuf, s->scratch, (size_t)klen + 1)
                                                : strndup(s->scratch, (size_t)klen);
        if (key == NULL)
            goto Bail;
        fj_ws(s);
        if (s->p >= s->end || *s->p != ':') {
            if (key != kbuf)
                free(key);
            goto Bail;
        }
        s->p++;
        fj_ws(s);
        json_t *v = fj_value(s);
        if (v == NULL) {
            if (key != kbuf)
                free(key);
            goto Bail;
        }
        json_object_set_new_nocheck(o, key, v); /* a repeated key replaces the earlier value, as in jansson */
        if (key != kbuf)
            free(key);
        fj_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            fj_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return o;
        }
        goto Bail;
    }
Bail:
    json_decref(o);
    return NULL;
}

static json_t *fj_array(struct fj *s)
{
    json_t *a = json_array();
    s->p++; /* [ */
    fj_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return a;
    }
    for (;;) {
        json_t *v = fj_value(s);
        if (v == NULL)
            goto Bail;
        json_array_append_new(a, v);
        fj_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            fj_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return a;
        }
        goto Bail;
    }
Bail:
    json_decref(a);
    return NULL;
}

static json_t *fj_value(struct fj *s)
{
    json_t *v = NULL;
    if (s->p >= s->end)
        return NULL;
    switch (*s->p) {
    case '{':
    case '[':
        if (++s->depth > FJ_MAX_DEPTH)
            return NULL;
        v = *s->p == '{' ? fj_object(s) : fj_array(s);
        s->depth--;
        return v;
    case '"': {
        s->p++;
        long n = fj_string(s);
        return n < 0 ? NULL : json_stringn_nocheck(s->scratch, (size_t)n);
    }
    case 't':
        return fj_lit(s, "true", 4) ? json_true() : NULL;
    case 'f':
        return fj_lit(s, "false", 5) ? json_false() : NULL;
    case 'n':
        return fj_lit(s, "null", 4) ? json_null() : NULL;
    default:
        return fj_number(s);
    }
}

json_t *pu_json_parse_fast(const char *buf, size_t len)
{
    struct fj s;
    json_t *v = NULL;
    if (buf == NULL)
        return NULL;
    s.p = (const unsigned char *)buf;
    s.end = s.p + len;
    s.depth = 0;
    s.scratch = malloc(len + 1);
    if (s.scratch != NULL) {
        fj_ws(&s);
        if (s.p < s.end && (*s.p == '{' || *s.p == '[')) /* jansson's default: an object or an array */
            v = fj_value(&s);
        fj_ws(&s);
        if (v != NULL && s.p != s.end) { /* trailing bytes */
            json_decref(v);
            v = NULL;
        }
        free(s.scratch);
    }
    return v;
}

json_t *pu_json_loadb(const char *buf, size_t len)
{
    json_t *v = pu_json_parse_fast(buf, len);
    return v != NULL ? v : json_loadb(buf, len, 0, NULL);
}
