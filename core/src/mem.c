/*
 * core/src/mem.c - allocation wrappers of the core
 * SPDX-License-Identifier: MIT
 */
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void oom(size_t size)
{
    char msg[96];
    int n = snprintf(msg, sizeof(msg), "{\"level\":\"fatal\",\"msg\":\"out of memory allocating %zu bytes\"}\n", size);
    if (n > 0)
        (void)!write(2, msg, (size_t)n);
    abort();
}

void *lf_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

void *lf_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *lf_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

char *lf_strdup(const char *s)
{
    if (s == NULL)
        return NULL;
    return lf_strndup(s, strlen(s));
}

char *lf_strndup(const char *s, size_t n)
{
    char *p = lf_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void lf_free(void *ptr)
{
    free(ptr);
}

char *lf_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom(0);
    char *p = lf_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void lf_sbuf_add(struct lf_sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (b->len + n + 1 > cap) {
            cap *= 2;
        }
        b->p = lf_realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void lf_sbuf_json_str(struct lf_sbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* bytes of s[i - run, i) that need no escaping, copied in one go */
    lf_sbuf_add(b, "\"", 1);
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        lf_sbuf_add(b, s + i - run, run);
        run = 0;
        char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        switch (c) {
        case '"': lf_sbuf_add(b, "\\\"", 2); break;
        case '\\': lf_sbuf_add(b, "\\\\", 2); break;
        case '\n': lf_sbuf_add(b, "\\n", 2); break;
        case '\r': lf_sbuf_add(b, "\\r", 2); break;
        case '\t': lf_sbuf_add(b, "\\t", 2); break;
        default: lf_sbuf_add(b, e, sizeof(e)); break;
        }
    }
    lf_sbuf_add(b, s + n - run, run);
    lf_sbuf_add(b, "\"", 1);
}
