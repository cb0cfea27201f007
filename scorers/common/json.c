/*
 * scorers/common/json.c - the scorers' in-place JSON tokenizer (see json.h)
 * SPDX-License-Identifier: MIT
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct parser {
    const struct lf_host_api *host;
    const char *s;
    size_t len, pos;
    struct lf_jtok *t;
    size_t n, cap;
};

static int push(struct parser *p, uint32_t type, size_t *idx)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        struct lf_jtok *nt = p->host->realloc(p->t, cap * sizeof(*nt));
        if (nt == NULL)
            return LF_ENOMEM;
        p->t = nt;
        p->cap = cap;
    }
    *idx = p->n++;
    memset(&p->t[*idx], 0, sizeof(p->t[*idx]));
    p->t[*idx].type = type;
    p->t[*idx].start = (uint32_t)p->pos;
    return LF_OK;
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r')
            break;
        p->pos++;
    }
}

static int parse_string(struct parser *p, size_t *idx)
{
    int err;
    p->pos++; /* opening quote */
    if ((err = push(p, LF_J_STR, idx)) != LF_OK)
        return err;
    const char *s = p->s;
    size_t i = p->pos;
    for (;;) {
        const char *q = memchr(s + i, '"', p->len - i);
        if (q == NULL)
            return LF_EPARSE;
        size_t k = (size_t)(q - s), bs = 0;
        while (k > i + bs && s[k - 1 - bs] == '\\')
            bs++;
        if (bs % 2 == 0) {
            p->t[*idx].end = (uint32_t)k;
            p->pos = k + 1;
            return LF_OK;
        }
        i = k + 1;
    }
}

static int parse_value(struct parser *p, int depth, size_t *out)
{
    size_t idx = 0;
    int err;
    if (depth > MAX_DEPTH)
        return LF_EPARSE;
    skip_ws(p);
    if (p->pos >= p->len)
        return LF_EPARSE;
    char c = p->s[p->pos];
    if (c == '"') {
        if ((err = parse_string(p, &idx)) != LF_OK)
            return err;
    } else if (c == '{' || c == '[') {
        int obj = c == '{';
        if ((err = push(p, obj ? LF_J_OBJ : LF_J_ARR, &idx)) != LF_OK)
            return err;
        p->pos++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == (obj ? '}' : ']')) {
            p->pos++;
        } else {
            for (;;) {
                size_t child;
                skip_ws(p);
                if (obj) {
                    if (p->pos >= p->len || p->s[p->pos] != '"')
                        return LF_EPARSE;
                    if ((err = parse_string(p, &child)) != LF_OK)
                        return err;
                    p->t[child].next = (uint32_t)p->n;
                    p->t[child].size = 1; /* marks an object key */
                    skip_ws(p);
                    if (p->pos >= p->len || p->s[p->pos] != ':')
                        return LF_EPARSE;
                    p->pos++;
                }
                if ((err = parse_value(p, depth + 1, &child)) != LF_OK)
                    return err;
                p->t[idx].size++;
                skip_ws(p);
                if (p->pos >= p->len)
                    return LF_EPARSE;
                if (p->s[p->pos] == ',') {
                    p->pos++;
                    continue;
                }
                if (p->s[p->pos] == (obj ? '}' : ']')) {
                    p->pos++;
                    break;
                }
                return LF_EPARSE;
            }
        }
        p->t[idx].end = (uint32_t)p->pos;
    } else {
        uint32_t type;
        size_t l;
        if (p->len - p->pos >= 4 && strncmp(p->s + p->pos, "true", 4) == 0) {
            type = LF_J_TRUE;
            l = 4;
        } else if (p->len - p->pos >= 5 && strncmp(p->s + p->pos, "false", 5) == 0) {
            type = LF_J_FALSE;
            l = 5;
        } else if (p->len - p->pos >= 4 && strncmp(p->s + p->pos, "null", 4) == 0) {
            type = LF_J_NULL;
            l = 4;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            type = LF_J_NUM;
            l = 0;
            while (p->pos + l < p->len && p->s[p->pos + l] != '\0' &&
                   strchr("+-0123456789.eE", p->s[p->pos + l]) != NULL)
                l++;
        } else {
            return LF_EPARSE;
        }
        if ((err = push(p, type, &idx)) != LF_OK)
            return err;
        p->pos += l;
        p->t[idx].end = (uint32_t)p->pos;
    }
    p->t[idx].next = (uint32_t)p->n;
    *out = idx;
    return LF_OK;
}

int lf_json_parse(const struct lf_host_api *host, const char *s, size_t len, struct lf_json *j)
{
    struct parser p = {host, s, len, 0, NULL, 0, 0};
    size_t root;
    memset(j, 0, sizeof(*j));
    if (len >= UINT32_MAX)
        return LF_EINVAL;
    int err = parse_value(&p, 0, &root);
    if (err == LF_OK) {
        skip_ws(&p);
        if (p.pos != len)
            err = LF_EPARSE;
    }
    if (err != LF_OK) {
        host->free(p.t);
        return err;
    }
    j->s = s;
    j->t = p.t;
    j->n = p.n;
    return LF_OK;
}

void lf_json_free(const struct lf_host_api *host, struct lf_json *j)
{
    host->free(j->t);
    memset(j, 0, sizeof(*j));
}

int lf_json_str_eq(const struct lf_json *j, size_t i, const char *lit)
{
    const struct lf_jtok *t = &j->t[i];
    size_t l = strlen(lit);
    return t->type == LF_J_STR && t->end - t->start == l && memcmp(j->s + t->start, lit, l) == 0;
}

size_t lf_json_get(const struct lf_json *j, size_t obj, const char *key)
{
    if (j->n == 0 || obj >= j->n || j->t[obj].type != LF_J_OBJ)
        return 0;
    size_t k = obj + 1;
    for (uint32_t c = 0; c < j->t[obj].size; c++) {
        if (lf_json_str_eq(j, k, key))
            return k + 1;
        k = j->t[k + 1].next;
    }
    return 0;
}

size_t lf_json_first(const struct lf_json *j, size_t arr)
{
    if (arr == 0 || arr >= j->n || j->t[arr].type != LF_J_ARR || j->t[arr].size == 0)
        return 0;
    return arr + 1;
}

size_t lf_json_size(const struct lf_json *j, size_t i)
{
    if (i == 0 || i >= j->n || (j->t[i].type != LF_J_ARR && j->t[i].type != LF_J_OBJ))
        return 0;
    return j->t[i].size;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t lf_json_unescape(const struct lf_json *j, size_t i, char *out, size_t cap, int lower)
{
    size_t o = 0;
    if (cap == 0)
        return 0;
    if (i >= j->n || j->t[i].type != LF_J_STR) {
        out[0] = '\0';
        return 0;
    }
    const char *s = j->s + j->t[i].start, *e = j->s + j->t[i].end;
    while (s < e && o + 4 < cap) {
        char c = *s++;
        if (c == '\\' && s < e) {
            char x = *s++;
            switch (x) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = ' '; break;
            case 'f': c = ' '; break;
            case 'u': {
                unsigned v = 0;
                int ok = e - s >= 4;
                for (int k = 0; ok && k < 4; k++) {
                    int h = hexval(s[k]);
                    ok = h >= 0;
                    v = v * 16 + (unsigned)(h < 0 ? 0 : h);
                }
                if (!ok) {
                    c = '?';
                    break;
                }
                s += 4;
                if (v < 0x80) {
                    c = (char)v;
                } else if (v < 0x800) {
                    out[o++] = (char)(0xC0 | (v >> 6));
                    c = (char)(0x80 | (v & 0x3F));
                } else {
                    /* surrogate halves are written as-is (3 bytes each); only letters' shapes matter here */
                    out[o++] = (char)(0xE0 | (v >> 12));
                    out[o++] = (char)(0x80 | ((v >> 6) & 0x3F));
                    c = (char)(0x80 | (v & 0x3F));
                }
                break;
            }
            default: c = x; break; /* \" \\ \/ */
            }
        }
        if (lower && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[o++] = c;
    }
    out[o] = '\0';
    return o;
}

static int ws_at(const char *s, const char *e, size_t *w)
{
    if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') {
        *w = 1;
        return 1;
    }
    if (*s == '\\' && s + 1 < e && (s[1] == 'n' || s[1] == 't' || s[1] == 'r')) {
        *w = 2;
        return 1;
    }
    return 0;
}

size_t lf_json_str_trimmed_len(const struct lf_json *j, size_t i)
{
    if (i >= j->n || j->t[i].type != LF_J_STR)
        return 0;
    const char *s = j->s + j->t[i].start, *e = j->s + j->t[i].end;
    size_t count = 0, pending = 0, w;
    int started = 0;
    while (s < e) {
        if (ws_at(s, e, &w)) {
            s += w;
            if (started)
                pending++;
            continue;
        }
        size_t adv = 1;
        if (*s == '\\' && s + 1 < e)
            adv = s[1] == 'u' ? 6 : 2;
        s += adv;
        count += 1 + pending;
        pending = 0;
        started = 1;
    }
    return count;
}

int lf_json_str_ends_with(const struct lf_json *j, size_t i, char c)
{
    if (i >= j->n || j->t[i].type != LF_J_STR)
        return 0;
    const char *b = j->s + j->t[i].start, *e = j->s + j->t[i].end;
    while (e > b) {
        if (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n') {
            e--;
        } else if (e - b >= 2 && e[-2] == '\\' && (e[-1] == 'n' || e[-1] == 't' || e[-1] == 'r') &&
                   !(e - b >= 3 && e[-3] == '\\')) {
            e -= 2;
        } else {
            break;
        }
    }
    return e > b && e[-1] == c && !(e - b >= 2 && e[-2] == '\\' && c != '\\');
}

double lf_json_number(const struct lf_json *j, size_t i)
{
    if (i >= j->n || j->t[i].type != LF_J_NUM)
        return 0;
    char tmp[64];
    size_t l = j->t[i].end - j->t[i].start;
    if (l >= sizeof(tmp))
        l = sizeof(tmp) - 1;
    memcpy(tmp, j->s + j->t[i].start, l);
    tmp[l] = '\0';
    return strtod(tmp, NULL);
}
