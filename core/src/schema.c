/*
 * core/src/schema.c - validator for the JSON Schema subset used by the content type definitions
 * SPDX-License-Identifier: MIT
 */
#include "schema.h"

#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

#define PATH_CAP 512
#define RX_CACHE_MAX 256

/* ---- helpers ---- */

/* jansson's iterators take non-const pointers although they do not modify the value. */
static json_t *unconst(const json_t *j)
{
    union {
        const json_t *c;
        json_t *m;
    } u;
    u.c = j;
    return u.m;
}

static size_t utf8_codepoints(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            n++;
        }
    }
    return n;
}

static const char *type_name(const json_t *d)
{
    switch (json_typeof(d)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

static int is_known_type(const char *t)
{
    static const char *const names[] = {"object", "array", "string", "number", "integer", "boolean", "null"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(t, names[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int type_matches(const char *t, const json_t *d)
{
    if (strcmp(t, "object") == 0) {
        return json_is_object(d);
    }
    if (strcmp(t, "array") == 0) {
        return json_is_array(d);
    }
    if (strcmp(t, "string") == 0) {
        return json_is_string(d);
    }
    if (strcmp(t, "number") == 0) {
        return json_is_number(d);
    }
    if (strcmp(t, "integer") == 0) {
        if (json_is_integer(d)) {
            return 1;
        }
        if (json_is_real(d)) {
            double v = json_real_value(d);
            return isfinite(v) && floor(v) == v;
        }
        return 0;
    }
    if (strcmp(t, "boolean") == 0) {
        return json_is_boolean(d);
    }
    if (strcmp(t, "null") == 0) {
        return json_is_null(d);
    }
    return 0;
}

/* ---- compiled pattern cache (entries live until the process exits) ---- */

struct rx_entry {
    char *pattern;
    regex_t re;
    struct rx_entry *next;
};

static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rx_entry *rx_head;
static size_t rx_count;

/*
 * Match `s` against `pattern`: 1 match, 0 no match, -1 the pattern does not compile. Uses the cache,
 * or a one-off compilation when the cache is full.
 */
static int pattern_match(const char *pattern, const char *s)
{
    const regex_t *re = NULL;
    regex_t local;
    int have_local = 0, rc;

    pthread_mutex_lock(&rx_lock);
    for (struct rx_entry *e = rx_head; e != NULL; e = e->next) {
        if (strcmp(e->pattern, pattern) == 0) {
            re = &e->re;
            break;
        }
    }
    if (re == NULL && rx_count < RX_CACHE_MAX) {
        struct rx_entry *e = lf_calloc(1, sizeof(*e));
        if (regcomp(&e->re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
            lf_free(e);
            pthread_mutex_unlock(&rx_lock);
            return -1;
        }
        e->pattern = lf_strdup(pattern);
        e->next = rx_head;
        rx_head = e;
        rx_count++;
        re = &e->re;
    }
    pthread_mutex_unlock(&rx_lock);
    if (re == NULL) {
        if (regcomp(&local, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
            return -1;
        }
        have_local = 1;
        re = &local;
    }
    rc = regexec(re, s, 0, NULL, 0) == 0 ? 1 : 0;
    if (have_local) {
        regfree(&local);
    }
    return rc;
}

/* ---- validation ---- */

struct vctx {
    json_t *errors; /* NULL: only the verdict is wanted */
    size_t n_errors;
};

struct path {
    char buf[PATH_CAP];
    size_t len;
};

static size_t path_push_key(struct path *p, const char *key)
{
    size_t old = p->len;
    int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, ".%s", key);
    if (n > 0) {
        p->len += (size_t)n < sizeof(p->buf) - p->len ? (size_t)n : sizeof(p->buf) - p->len - 1;
    }
    return old;
}

static size_t path_push_index(struct path *p, size_t i)
{
    size_t old = p->len;
    int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "[%zu]", i);
    if (n > 0) {
        p->len += (size_t)n < sizeof(p->buf) - p->len ? (size_t)n : sizeof(p->buf) - p->len - 1;
    }
    return old;
}

static void path_pop(struct path *p, size_t old)
{
    p->len = old;
    p->buf[old] = '\0';
}

__attribute__((format(printf, 3, 4))) static void add_error(struct vctx *c, const struct path *p, const char *fmt,
                                                            ...)
{
    char msg[256];
    va_list ap;
    if (c->errors == NULL || c->n_errors >= LF_SCHEMA_MAX_ERRORS) {
        c->n_errors++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char *line = lf_asprintf("%s: %s", p->buf, msg);
    json_array_append_new(c->errors, json_string(line));
    lf_free(line);
    c->n_errors++;
}

static int validate(struct vctx *c, const json_t *s, const json_t *d, struct path *p);

/* Does d validate against s? (no error collection) */
static int probe(const json_t *s, const json_t *d)
{
    struct vctx sub = {NULL, 0};
    struct path p = {"$", 1};
    return validate(&sub, s, d, &p);
}

static int check_type(struct vctx *c, const json_t *t, const json_t *d, struct path *p)
{
    if (json_is_string(t)) {
        if (type_matches(json_string_value(t), d)) {
            return 1;
        }
        add_error(c, p, "expected %s, got %s", json_string_value(t), type_name(d));
        return 0;
    }
    if (json_is_array(t)) {
        char want[128] = "";
        size_t i;
        const json_t *v;
        json_array_foreach(t, i, v)
        {
            if (json_is_string(v) && type_matches(json_string_value(v), d)) {
                return 1;
            }
            if (json_is_string(v)) {
                size_t l = strlen(want);
                snprintf(want + l, sizeof(want) - l, "%s%s", l ? " or " : "", json_string_value(v));
            }
        }
        add_error(c, p, "expected %s, got %s", want, type_name(d));
        return 0;
    }
    return 1;
}

static int validate_object(struct vctx *c, const json_t *s, const json_t *d, struct path *p)
{
    int ok = 1;
    const json_t *props = json_object_get(s, "properties");
    const json_t *req = json_object_get(s, "required");
    const json_t *addl = json_object_get(s, "additionalProperties");
    const char *key;
    json_t *val;

    if (json_is_array(req)) {
        size_t i;
        const json_t *r;
        json_array_foreach(req, i, r)
        {
            if (json_is_string(r) && json_object_get(d, json_string_value(r)) == NULL) {
                size_t old = path_push_key(p, json_string_value(r));
                add_error(c, p, "required property is missing");
                path_pop(p, old);
                ok = 0;
                if (c->errors == NULL) {
                    return 0;
                }
            }
        }
    }
    json_object_foreach(unconst(d), key, val)
    {
        const json_t *ps = json_is_object(props) ? json_object_get(props, key) : NULL;
        size_t old = path_push_key(p, key);
        if (ps != NULL) {
            if (!validate(c, ps, val, p)) {
                ok = 0;
            }
        } else if (json_is_false(addl)) {
            add_error(c, p, "property is not allowed");
            ok = 0;
        } else if (json_is_object(addl)) {
            if (!validate(c, addl, val, p)) {
                ok = 0;
            }
        }
        path_pop(p, old);
        if (!ok && c->errors == NULL) {
            return 0;
        }
    }
    return ok;
}

static int validate_array(struct vctx *c, const json_t *s, const json_t *d, struct path *p)
{
    int ok = 1;
    size_t n = json_array_size(d);
    const json_t *mn = json_object_get(s, "minItems");
    const json_t *mx = json_object_get(s, "maxItems");
    const json_t *items = json_object_get(s, "items");

    if (json_is_integer(mn) && (json_int_t)n < json_integer_value(mn)) {
        add_error(c, p, "has %zu items, fewer than minItems %lld", n, (long long)json_integer_value(mn));
        ok = 0;
    }
    if (json_is_integer(mx) && (json_int_t)n > json_integer_value(mx)) {
        add_error(c, p, "has %zu items, more than maxItems %lld", n, (long long)json_integer_value(mx));
        ok = 0;
    }
    if (!ok && c->errors == NULL) {
        return 0;
    }
    if (items != NULL && (json_is_object(items) || json_is_boolean(items))) {
        for (size_t i = 0; i < n; i++) {
            size_t old = path_push_index(p, i);
            if (!validate(c, items, json_array_get(d, i), p)) {
                ok = 0;
            }
            path_pop(p, old);
            if (!ok && c->errors == NULL) {
                return 0;
            }
        }
    }
    return ok;
}

static int validate_string(struct vctx *c, const json_t *s, const json_t *d, struct path *p)
{
    int ok = 1;
    size_t cps = utf8_codepoints(json_string_value(d), json_string_length(d));
    const json_t *mn = json_object_get(s, "minLength");
    const json_t *mx = json_object_get(s, "maxLength");
    const json_t *pat = json_object_get(s, "pattern");

    if (json_is_integer(mn) && (json_int_t)cps < json_integer_value(mn)) {
        add_error(c, p, "is %zu characters long, shorter than minLength %lld", cps,
                  (long long)json_integer_value(mn));
        ok = 0;
    }
    if (json_is_integer(mx) && (json_int_t)cps > json_integer_value(mx)) {
        add_error(c, p, "is %zu characters long, longer than maxLength %lld", cps,
                  (long long)json_integer_value(mx));
        ok = 0;
    }
    if (json_is_string(pat)) {
        int m = pattern_match(json_string_value(pat), json_string_value(d));
        if (m == 0) {
            add_error(c, p, "does not match pattern");
            ok = 0;
        } else if (m < 0) {
            add_error(c, p, "schema pattern does not compile");
            ok = 0;
        }
    }
    return ok;
}

static int validate_number(struct vctx *c, const json_t *s, const json_t *d, struct path *p)
{
    int ok = 1;
    double v = json_number_value(d);
    const json_t *mn = json_object_get(s, "minimum");
    const json_t *mx = json_object_get(s, "maximum");
    if (json_is_number(mn) && v < json_number_value(mn)) {
        add_error(c, p, "%g is less than minimum %g", v, json_number_value(mn));
        ok = 0;
    }
    if (json_is_number(mx) && v > json_number_value(mx)) {
        add_error(c, p, "%g is greater than maximum %g", v, json_number_value(mx));
        ok = 0;
    }
    return ok;
}

static int validate(struct vctx *c, const json_t *s, const json_t *d, struct path *p)
{
    int ok = 1;
    const json_t *t, *en, *any, *one;

    if (json_is_true(s)) {
        return 1;
    }
    if (json_is_false(s)) {
        add_error(c, p, "no value is allowed here");
        return 0;
    }
    if (!json_is_object(s)) {
        return 1;
    }
    t = json_object_get(s, "type");
    if (t != NULL && !check_type(c, t, d, p)) {
        return 0; /* further keywords would only repeat the same problem */
    }
    en = json_object_get(s, "enum");
    if (json_is_array(en)) {
        size_t i;
        const json_t *v;
        int found = 0;
        json_array_foreach(en, i, v)
        {
            if (json_equal(v, d)) {
                found = 1;
                break;
            }
        }
        if (!found) {
            add_error(c, p, "is not one of the enum values");
            ok = 0;
        }
    }
    if (json_is_object(d)) {
        ok = validate_object(c, s, d, p) && ok;
    } else if (json_is_array(d)) {
        ok = validate_array(c, s, d, p) && ok;
    } else if (json_is_string(d)) {
        ok = validate_string(c, s, d, p) && ok;
    } else if (json_is_number(d)) {
        ok = validate_number(c, s, d, p) && ok;
    }
    if (!ok && c->errors == NULL) {
        return 0;
    }
    any = json_object_get(s, "anyOf");
    if (json_is_array(any)) {
        size_t i;
        const json_t *b;
        int found = 0;
        json_array_foreach(any, i, b)
        {
            if (probe(b, d)) {
                found = 1;
                break;
            }
        }
        if (!found) {
            add_error(c, p, "does not match any of the anyOf schemas");
            ok = 0;
        }
    }
    one = json_object_get(s, "oneOf");
    if (json_is_array(one)) {
        size_t i, matched = 0;
        const json_t *b;
        json_array_foreach(one, i, b)
        {
            matched += (size_t)probe(b, d);
        }
        if (matched != 1) {
            add_error(c, p, "matches %zu of the oneOf schemas (exactly one required)", matched);
            ok = 0;
        }
    }
    return ok;
}

int lf_schema_validate(const json_t *schema, const json_t *doc, json_t **errors)
{
    struct vctx c = {NULL, 0};
    struct path p = {"$", 1};
    int ok;
    if (errors != NULL) {
        c.errors = json_array();
    }
    if (schema == NULL || doc == NULL) {
        if (c.errors != NULL) {
            json_array_append_new(c.errors, json_string("$: no document"));
            *errors = c.errors;
        }
        return 0;
    }
    ok = validate(&c, schema, doc, &p);
    if (errors != NULL) {
        *errors = c.errors;
    }
    return ok;
}

/* ---- schema check ---- */

static int is_nonneg_int(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 0;
}

__attribute__((format(printf, 4, 5))) static enum lf_err fail(char *err, size_t errlen, const struct path *p,
                                                              const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (err != NULL && errlen > 0) {
        snprintf(err, errlen, "%s: %s", p->buf, msg);
    }
    return LF_EINVAL;
}

static enum lf_err check(const json_t *s, struct path *p, char *err, size_t errlen, int depth);

static enum lf_err check_schema_list(const json_t *v, const char *kw, struct path *p, char *err, size_t errlen,
                                     int depth)
{
    size_t i;
    const json_t *b;
    if (!json_is_array(v) || json_array_size(v) == 0) {
        return fail(err, errlen, p, "\"%s\" must be a non-empty array of schemas", kw);
    }
    json_array_foreach(v, i, b)
    {
        size_t old = path_push_key(p, kw);
        size_t old2 = path_push_index(p, i);
        enum lf_err e = check(b, p, err, errlen, depth + 1);
        path_pop(p, old2);
        path_pop(p, old);
        if (e != LF_OK) {
            return e;
        }
    }
    return LF_OK;
}

static enum lf_err check(const json_t *s, struct path *p, char *err, size_t errlen, int depth)
{
    const char *key;
    json_t *v;
    enum lf_err e;

    if (depth > 64) {
        return fail(err, errlen, p, "schema nests too deeply");
    }
    if (json_is_boolean(s)) {
        return LF_OK;
    }
    if (!json_is_object(s)) {
        return fail(err, errlen, p, "a schema must be an object or a boolean");
    }
    json_object_foreach(unconst(s), key, v)
    {
        if (strcmp(key, "$schema") == 0 || strcmp(key, "$id") == 0 || strcmp(key, "$comment") == 0 ||
            strcmp(key, "title") == 0 || strcmp(key, "description") == 0 || strcmp(key, "default") == 0 ||
            strcmp(key, "examples") == 0) {
            continue;
        }
        if (strcmp(key, "type") == 0) {
            if (json_is_string(v)) {
                if (!is_known_type(json_string_value(v))) {
                    return fail(err, errlen, p, "unknown type \"%s\"", json_string_value(v));
                }
            } else if (json_is_array(v) && json_array_size(v) > 0) {
                size_t i;
                json_t *t;
                json_array_foreach(v, i, t)
                {
                    if (!json_is_string(t) || !is_known_type(json_string_value(t))) {
                        return fail(err, errlen, p, "\"type\" array holds an unknown type");
                    }
                }
            } else {
                return fail(err, errlen, p, "\"type\" must be a type name or a non-empty array of them");
            }
        } else if (strcmp(key, "properties") == 0) {
            const char *pk;
            json_t *ps;
            if (!json_is_object(v)) {
                return fail(err, errlen, p, "\"properties\" must be an object");
            }
            json_object_foreach(v, pk, ps)
            {
                size_t old = path_push_key(p, "properties");
                size_t old2 = path_push_key(p, pk);
                e = check(ps, p, err, errlen, depth + 1);
                path_pop(p, old2);
                path_pop(p, old);
                if (e != LF_OK) {
                    return e;
                }
            }
        } else if (strcmp(key, "required") == 0) {
            size_t i;
            json_t *r;
            if (!json_is_array(v)) {
                return fail(err, errlen, p, "\"required\" must be an array of strings");
            }
            json_array_foreach(v, i, r)
            {
                if (!json_is_string(r)) {
                    return fail(err, errlen, p, "\"required\" must be an array of strings");
                }
            }
        } else if (strcmp(key, "additionalProperties") == 0 || strcmp(key, "items") == 0) {
            if (json_is_array(v)) {
                return fail(err, errlen, p, "\"%s\" must be a single schema (arrays are not supported)", key);
            }
            size_t old = path_push_key(p, key);
            e = check(v, p, err, errlen, depth + 1);
            path_pop(p, old);
            if (e != LF_OK) {
                return e;
            }
        } else if (strcmp(key, "minItems") == 0 || strcmp(key, "maxItems") == 0 ||
                   strcmp(key, "minLength") == 0 || strcmp(key, "maxLength") == 0) {
            if (!is_nonneg_int(v)) {
                return fail(err, errlen, p, "\"%s\" must be a non-negative integer", key);
            }
        } else if (strcmp(key, "minimum") == 0 || strcmp(key, "maximum") == 0) {
            if (!json_is_number(v)) {
                return fail(err, errlen, p, "\"%s\" must be a number", key);
            }
        } else if (strcmp(key, "enum") == 0) {
            if (!json_is_array(v) || json_array_size(v) == 0) {
                return fail(err, errlen, p, "\"enum\" must be a non-empty array");
            }
        } else if (strcmp(key, "pattern") == 0) {
            if (!json_is_string(v)) {
                return fail(err, errlen, p, "\"pattern\" must be a string");
            }
            if (pattern_match(json_string_value(v), "") < 0) {
                return fail(err, errlen, p, "pattern \"%s\" is not a valid POSIX extended regular expression",
                            json_string_value(v));
            }
        } else if (strcmp(key, "anyOf") == 0 || strcmp(key, "oneOf") == 0) {
            e = check_schema_list(v, key, p, err, errlen, depth);
            if (e != LF_OK) {
                return e;
            }
        } else {
            return fail(err, errlen, p, "unsupported keyword \"%s\"", key);
        }
    }
    return LF_OK;
}

enum lf_err lf_schema_check(const json_t *schema, char *err, size_t errlen)
{
    struct path p = {"$", 1};
    if (schema == NULL) {
        return fail(err, errlen, &p, "no schema");
    }
    return check(schema, &p, err, errlen, 0);
}
