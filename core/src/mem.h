/*
 * core/src/mem.h - allocation wrappers of the core (abort on out-of-memory, like h2o)
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_CORE_MEM_H
#define LF_CORE_MEM_H

#include <stddef.h>

/** malloc that never returns NULL (aborts on OOM). Free with lf_free(). */
void *lf_malloc(size_t size);
/** calloc that never returns NULL. */
void *lf_calloc(size_t n, size_t size);
/** realloc that never returns NULL. */
void *lf_realloc(void *ptr, size_t size);
/** strdup that never returns NULL; NULL in gives NULL out. */
char *lf_strdup(const char *s);
/** strndup that never returns NULL. */
char *lf_strndup(const char *s, size_t n);
/** free; NULL-safe. */
void lf_free(void *ptr);
/** printf into a fresh buffer (caller frees with lf_free()). */
char *lf_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** A growable NUL-terminated string; start from {NULL, 0, 0}, the caller owns p (lf_free). */
struct lf_sbuf {
    char *p;
    size_t len, cap;
};
/** Append n bytes of s (capacity doubles from 1024; aborts on OOM); p stays NUL-terminated. */
void lf_sbuf_add(struct lf_sbuf *b, const char *s, size_t n);
/** Append s[0, n) as a quoted JSON string (escapes quote, backslash and control bytes; UTF-8 passes as is). */
void lf_sbuf_json_str(struct lf_sbuf *b, const char *s, size_t n);

#endif
