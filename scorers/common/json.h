/*
 * scorers/common/json.h - a small allocation-light JSON tokenizer for the scorer plugins (read-only, zero-copy)
 * SPDX-License-Identifier: MIT
 *
 * Why not jansson: building a jansson tree of a 5,000-word study guide costs ~0.3 ms, a third of the whole
 * quality budget; tokenizing it in place costs a few tens of microseconds. Tokens point into the input;
 * strings keep their escapes (use lf_json_unescape / the helpers below).
 */
#ifndef LF_SCORERS_COMMON_JSON_H
#define LF_SCORERS_COMMON_JSON_H

#include <lafactoria/plugin.h>
#include <stddef.h>
#include <stdint.h>

enum lf_jtype { LF_J_OBJ = 1, LF_J_ARR, LF_J_STR, LF_J_NUM, LF_J_TRUE, LF_J_FALSE, LF_J_NULL };

struct lf_jtok {
    uint32_t type;  /* enum lf_jtype */
    uint32_t start; /* strings: first byte after the quote; others: first byte */
    uint32_t end;   /* strings: the closing quote; others: one past the last byte */
    uint32_t size;  /* objects: number of keys; arrays: number of items; strings: 1 for an object key */
    uint32_t next;  /* index of the first token after this value (and its children) */
};

struct lf_json {
    const char *s;
    struct lf_jtok *t;
    size_t n; /* tokens used; token 0 is the root value */
};

/** Tokenize s[0..len). Tokens are allocated with host->realloc. Returns LF_OK, LF_EPARSE or LF_ENOMEM. */
int lf_json_parse(const struct lf_host_api *host, const char *s, size_t len, struct lf_json *j);
void lf_json_free(const struct lf_host_api *host, struct lf_json *j);

/*
 * Token indexes: 0 is the root value (always checked through j->t[0]); every other function below treats
 * index 0 as "absent", which is what lf_json_get / lf_json_first return when there is nothing.
 */

/** Value of `key` in the object at token `obj` (0 = the root), or 0 when absent / obj is not an object. */
size_t lf_json_get(const struct lf_json *j, size_t obj, const char *key);
/** First item of the array at `arr` (0 when empty or absent); next item: lf_json_next() (stop after size items). */
size_t lf_json_first(const struct lf_json *j, size_t arr);
static inline size_t lf_json_next(const struct lf_json *j, size_t i)
{
    return j->t[i].next;
}
static inline int lf_json_is(const struct lf_json *j, size_t i, enum lf_jtype type)
{
    return i > 0 && i < j->n && j->t[i].type == (uint32_t)type;
}
/** Number of items (array) or keys (object) of token i; 0 otherwise. */
size_t lf_json_size(const struct lf_json *j, size_t i);

/**
 * Unescape string token i into out (cap bytes, NUL-terminated, truncated), lower-casing ASCII when lower != 0.
 * \uXXXX escapes become UTF-8. Returns the length written.
 */
size_t lf_json_unescape(const struct lf_json *j, size_t i, char *out, size_t cap, int lower);
/** Characters of string token i without leading/trailing white space (escapes count as one). */
size_t lf_json_str_trimmed_len(const struct lf_json *j, size_t i);
/** Does string token i end with `c` (ignoring trailing white space)? */
int lf_json_str_ends_with(const struct lf_json *j, size_t i, char c);
/** Number token i as a double (0 when not a number). */
double lf_json_number(const struct lf_json *j, size_t i);
/** Does string token i equal the (escape-free) literal lit? */
int lf_json_str_eq(const struct lf_json *j, size_t i, const char *lit);

#endif
