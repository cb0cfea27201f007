/*
 * core/src/plaintext.c - the prose of structured content, for scorers
 * SPDX-License-Identifier: MIT
 */
#include "plaintext.h"

#include <string.h>

#include "mem.h"

static int skipped_key(const char *key)
{
    static const char *const keys[] = {"category", "difficulty", "difficulty_level", "type",
                                       "cue",      "speaker",    "section_number",   "id"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(key, keys[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Start a new paragraph when the buffer already has text. */
static void para(struct lf_sbuf *b)
{
    if (b->len > 0) {
        lf_sbuf_add(b, "\n\n", 2);
    }
}

static int all_strings(const json_t *a)
{
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v)) {
            return 0;
        }
    }
    return json_array_size(a) > 0;
}

static json_t *unconst(const json_t *j)
{
    union {
        const json_t *c;
        json_t *m;
    } u;
    u.c = j;
    return u.m;
}

static void walk(struct lf_sbuf *b, const json_t *v, int depth)
{
    if (depth > 64) {
        return;
    }
    if (json_is_string(v)) {
        if (json_string_length(v) > 0) {
            para(b);
            lf_sbuf_add(b, json_string_value(v), json_string_length(v));
        }
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        if (all_strings(v)) {
            int first = 1;
            para(b);
            json_array_foreach(v, i, e)
            {
                if (json_string_length(e) == 0) {
                    continue;
                }
                if (!first) {
                    lf_sbuf_add(b, "\n", 1);
                }
                lf_sbuf_add(b, json_string_value(e), json_string_length(e));
                first = 0;
            }
            return;
        }
        json_array_foreach(v, i, e)
        {
            walk(b, e, depth + 1);
        }
    } else if (json_is_object(v)) {
        const char *key;
        json_t *e;
        json_object_foreach(unconst(v), key, e)
        {
            if (!skipped_key(key)) {
                walk(b, e, depth + 1);
            }
        }
    }
}

char *lf_plaintext_extract(const json_t *content)
{
    struct lf_sbuf b = {NULL, 0, 0};
    walk(&b, content, 0);
    return b.p != NULL ? b.p : lf_strdup("");
}
