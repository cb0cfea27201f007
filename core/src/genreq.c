/*
 * core/src/genreq.c - parse and validate the body of POST /api/v1/generate/{type} and /generate/batch
 * SPDX-License-Identifier: MIT
 */
#include "genreq.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "util.h"

static const char *const age_groups[] = {"elementary", "middle_school", "high_school",
                                         "college",    "adult_learning", "general"};
static const char *const cognitive_levels[] = {"remembering", "understanding", "applying",
                                               "analyzing",   "evaluating",    "creating"};

#define N_AGE (sizeof(age_groups) / sizeof(age_groups[0]))
#define N_COG (sizeof(cognitive_levels) / sizeof(cognitive_levels[0]))

int lf_genreq_valid_age_group(const char *age_group)
{
    for (size_t i = 0; age_group != NULL && i < N_AGE; i++) {
        if (strcmp(age_group, age_groups[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- errors ---- */

/* Build the error object; `details` is stolen and gets "field" set first. */
__attribute__((format(printf, 4, 5))) static enum lf_err fail(json_t **error, const char *field, json_t *details,
                                                              const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    json_t *d = json_object();
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_object_set_new(d, "field", json_string(field));
    if (details != NULL) {
        json_object_update(d, details);
        json_decref(details);
    }
    if (error != NULL) {
        *error = json_pack("{s:s, s:s, s:o}", "code", "INVALID_REQUEST", "message", msg, "details", d);
    } else {
        json_decref(d);
    }
    return LF_EINVAL;
}

static json_t *allowed_list(const char *const *vals, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_string(vals[i]));
    }
    return a;
}

static void join(char *buf, size_t len, const char *const *vals, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, "%s%s", i ? ", " : "", vals[i]);
    }
}

/* ---- text checks ---- */

enum text_problem { TEXT_OK = 0, TEXT_CONTROL, TEXT_UTF8 };

/* Count code points and look for invalid UTF-8 and control characters (other than \n and \t). */
static enum text_problem check_text(const char *s, size_t len, size_t *cps)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = 0;
    while (i < len) {
        unsigned c = p[i];
        unsigned cp;
        size_t k;
        if (c < 0x80) {
            cp = c;
            k = 1;
        } else if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F;
            k = 2;
        } else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F;
            k = 3;
        } else if ((c & 0xF8) == 0xF0) {
            cp = c & 0x07;
            k = 4;
        } else {
            return TEXT_UTF8;
        }
        if (i + k > len) {
            return TEXT_UTF8;
        }
        for (size_t j = 1; j < k; j++) {
            if ((p[i + j] & 0xC0) != 0x80) {
                return TEXT_UTF8;
            }
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return TEXT_UTF8;
        }
        if ((cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7F && cp <= 0x9F)) {
            return TEXT_CONTROL;
        }
        n++;
        i += k;
    }
    *cps = n;
    return TEXT_OK;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Validate an optional/required string field. On success *out is a fresh copy (trimmed when asked) and
 * *cps its length in code points.
 */
static enum lf_err get_text(const json_t *v, const char *field, int do_trim, char **out, size_t *cps,
                            json_t **error)
{
    const char *s;
    size_t len;
    enum text_problem tp;
    if (!json_is_string(v)) {
        return fail(error, field, json_pack("{s:s}", "expected_type", "string"), "%s must be a string", field);
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (do_trim) {
        while (len > 0 && is_ws(*s)) {
            s++;
            len--;
        }
        while (len > 0 && is_ws(s[len - 1])) {
            len--;
        }
    }
    if (memchr(s, '\0', len) != NULL) {
        return fail(error, field, NULL, "%s must not contain control characters", field);
    }
    tp = check_text(s, len, cps);
    if (tp == TEXT_UTF8) {
        return fail(error, field, NULL, "%s must be valid utf-8", field);
    }
    if (tp == TEXT_CONTROL) {
        return fail(error, field, NULL, "%s must not contain control characters other than newline and tab",
                    field);
    }
    *out = lf_strndup(s, len);
    return LF_OK;
}

static enum lf_err length_between(const char *field, size_t cps, size_t lo, size_t hi, json_t **error)
{
    if (cps < lo || cps > hi) {
        return fail(error, field,
                    json_pack("{s:I, s:I, s:I}", "provided_length", (json_int_t)cps, "min_length", (json_int_t)lo,
                              "max_length", (json_int_t)hi),
                    "%s must be between %zu and %zu characters", field, lo, hi);
    }
    return LF_OK;
}

/* ---- fields ---- */

static enum lf_err parse_objective(const json_t *o, size_t idx, json_t *out_arr, json_t **error)
{
    static const struct {
        const char *name;
        size_t max;
    } texts[] = {{"subject_area", 100}, {"specific_skill", 200}, {"measurable_outcome", 300}};
    char field[96], list[160];
    char *s = NULL;
    size_t cps;
    json_t *norm = NULL;
    const json_t *v;
    enum lf_err rc;

    snprintf(field, sizeof(field), "learning_objectives[%zu]", idx);
    if (!json_is_object(o)) {
        return fail(error, field, json_pack("{s:s}", "expected_type", "object"), "%s must be an object", field);
    }
    norm = json_object();
    snprintf(field, sizeof(field), "learning_objectives[%zu].cognitive_level", idx);
    v = json_object_get(o, "cognitive_level");
    if (v == NULL || json_is_null(v)) {
        rc = fail(error, field, NULL, "%s is required", field);
        goto Exit;
    }
    if ((rc = get_text(v, field, 0, &s, &cps, error)) != LF_OK) {
        goto Exit;
    }
    {
        size_t i;
        for (i = 0; i < N_COG && strcmp(s, cognitive_levels[i]) != 0; i++) {
        }
        if (i == N_COG) {
            join(list, sizeof(list), cognitive_levels, N_COG);
            rc = fail(error, field, json_pack("{s:o}", "allowed_values", allowed_list(cognitive_levels, N_COG)),
                      "%s must be one of %s", field, list);
            goto Exit;
        }
    }
    json_object_set_new(norm, "cognitive_level", json_string(s));
    lf_free(s);
    s = NULL;
    for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        snprintf(field, sizeof(field), "learning_objectives[%zu].%s", idx, texts[t].name);
        v = json_object_get(o, texts[t].name);
        if (v == NULL || json_is_null(v)) {
            rc = fail(error, field, NULL, "%s is required", field);
            goto Exit;
        }
        if ((rc = get_text(v, field, 0, &s, &cps, error)) != LF_OK) {
            goto Exit;
        }
        if ((rc = length_between(field, cps, 1, texts[t].max, error)) != LF_OK) {
            goto Exit;
        }
        json_object_set_new(norm, texts[t].name, json_string(s));
        lf_free(s);
        s = NULL;
    }
    snprintf(field, sizeof(field), "learning_objectives[%zu].difficulty_level", idx);
    v = json_object_get(o, "difficulty_level");
    if (v == NULL || json_is_null(v)) {
        json_object_set_new(norm, "difficulty_level", json_integer(5));
    } else {
        double d = json_is_number(v) ? json_number_value(v) : NAN;
        if (!json_is_number(v) || !isfinite(d) || floor(d) != d) {
            rc = fail(error, field, json_pack("{s:s}", "expected_type", "integer"), "%s must be an integer",
                      field);
            goto Exit;
        }
        if (d < 1 || d > 10) {
            rc = fail(error, field, json_pack("{s:i, s:i}", "minimum", 1, "maximum", 10),
                      "%s must be between 1 and 10", field);
            goto Exit;
        }
        json_object_set_new(norm, "difficulty_level", json_integer((json_int_t)d));
    }
    json_array_append(out_arr, norm);
    rc = LF_OK;
Exit:
    lf_free(s);
    json_decref(norm);
    return rc;
}

void lf_genreq_clear(struct lf_genreq *r)
{
    if (r == NULL) {
        return;
    }
    lf_free(r->topic);
    lf_free(r->age_group);
    lf_free(r->additional_requirements);
    json_decref(r->learning_objectives);
    lf_free(r->provider);
    for (size_t i = 0; i < r->n_content_types; i++) {
        lf_free(r->content_types[i]);
    }
    lf_free(r->content_types);
    memset(r, 0, sizeof(*r));
    r->max_cost_usd = -1;
}

static int present(const json_t *v)
{
    return v != NULL && !json_is_null(v);
}

static enum lf_err parse_content_types(const json_t *v, lf_genreq_known_fn known, void *ud, struct lf_genreq *r,
                                       json_t **error)
{
    size_t n, i;
    const json_t *e;
    if (!present(v)) {
        return fail(error, "content_types", NULL, "content_types is required");
    }
    if (!json_is_array(v)) {
        return fail(error, "content_types", json_pack("{s:s}", "expected_type", "array"),
                    "content_types must be an array of content type ids");
    }
    n = json_array_size(v);
    if (n < 1 || n > LF_GENREQ_MAX_BATCH) {
        return fail(error, "content_types",
                    json_pack("{s:I, s:i, s:i}", "provided_count", (json_int_t)n, "min_items", 1, "max_items",
                              LF_GENREQ_MAX_BATCH),
                    "content_types must contain between 1 and %d items", LF_GENREQ_MAX_BATCH);
    }
    r->content_types = lf_calloc(n, sizeof(char *));
    json_array_foreach(v, i, e)
    {
        char field[48];
        snprintf(field, sizeof(field), "content_types[%zu]", i);
        if (!json_is_string(e)) {
            return fail(error, field, json_pack("{s:s}", "expected_type", "string"), "%s must be a string", field);
        }
        const char *id = json_string_value(e);
        for (size_t k = 0; k < r->n_content_types; k++) {
            if (strcmp(r->content_types[k], id) == 0) {
                return fail(error, "content_types", json_pack("{s:s}", "duplicate", id),
                            "content_types must not contain duplicates (\"%.64s\" appears twice)", id);
            }
        }
        if (known != NULL && !known(ud, id)) {
            return fail(error, "content_types", json_pack("{s:s}", "unknown_content_type", id),
                        "content_types contains an unknown content type \"%.64s\"", id);
        }
        r->content_types[r->n_content_types++] = lf_strdup(id);
    }
    return LF_OK;
}

enum lf_err lf_genreq_from_json(const json_t *root, int batch, lf_genreq_known_fn known, void *ud,
                                struct lf_genreq *out, json_t **error)
{
    struct lf_genreq r;
    const json_t *v;
    size_t cps;
    enum lf_err rc;
    char list[160];

    memset(&r, 0, sizeof(r));
    r.max_cost_usd = -1;
    memset(out, 0, sizeof(*out));
    out->max_cost_usd = -1;
    if (error != NULL) {
        *error = NULL;
    }
    if (!json_is_object(root)) {
        rc = fail(error, "body", NULL, "request body must be a json object");
        goto Exit;
    }
    /* topic */
    v = json_object_get(root, "topic");
    if (!present(v)) {
        rc = fail(error, "topic", NULL, "topic is required");
        goto Exit;
    }
    if ((rc = get_text(v, "topic", 1, &r.topic, &cps, error)) != LF_OK) {
        goto Exit;
    }
    if ((rc = length_between("topic", cps, 3, 500, error)) != LF_OK) {
        goto Exit;
    }
    /* age_group */
    v = json_object_get(root, "age_group");
    if (!present(v)) {
        r.age_group = lf_strdup("general");
    } else {
        if (!json_is_string(v) || !lf_genreq_valid_age_group(json_string_value(v))) {
            join(list, sizeof(list), age_groups, N_AGE);
            rc = fail(error, "age_group", json_pack("{s:o}", "allowed_values", allowed_list(age_groups, N_AGE)),
                      "age_group must be one of %s", list);
            goto Exit;
        }
        r.age_group = lf_strdup(json_string_value(v));
    }
    /* additional_requirements */
    v = json_object_get(root, "additional_requirements");
    if (present(v)) {
        if ((rc = get_text(v, "additional_requirements", 1, &r.additional_requirements, &cps, error)) != LF_OK) {
            goto Exit;
        }
        if (cps > 1000) {
            rc = fail(error, "additional_requirements",
                      json_pack("{s:I, s:i}", "provided_length", (json_int_t)cps, "max_length", 1000),
                      "additional_requirements must be at most 1000 characters");
            goto Exit;
        }
        if (cps == 0) {
            lf_free(r.additional_requirements);
            r.additional_requirements = NULL;
        }
    }
    /* learning_objectives */
    v = json_object_get(root, "learning_objectives");
    if (present(v)) {
        size_t i;
        const json_t *o;
        if (!json_is_array(v)) {
            rc = fail(error, "learning_objectives", json_pack("{s:s}", "expected_type", "array"),
                      "learning_objectives must be an array");
            goto Exit;
        }
        if (json_array_size(v) > 10) {
            rc = fail(error, "learning_objectives",
                      json_pack("{s:I, s:i}", "provided_count", (json_int_t)json_array_size(v), "max_items", 10),
                      "learning_objectives must have at most 10 items");
            goto Exit;
        }
        r.learning_objectives = json_array();
        json_array_foreach(v, i, o)
        {
            if ((rc = parse_objective(o, i, r.learning_objectives, error)) != LF_OK) {
                goto Exit;
            }
        }
        if (json_array_size(r.learning_objectives) == 0) {
            json_decref(r.learning_objectives);
            r.learning_objectives = NULL;
        }
    }
    /* provider */
    v = json_object_get(root, "provider");
    if (present(v)) {
        if ((rc = get_text(v, "provider", 0, &r.provider, &cps, error)) != LF_OK) {
            goto Exit;
        }
        if ((rc = length_between("provider", cps, 1, 64, error)) != LF_OK) {
            goto Exit;
        }
    }
    /* max_cost_usd */
    v = json_object_get(root, "max_cost_usd");
    if (present(v)) {
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            rc = fail(error, "max_cost_usd", json_pack("{s:s}", "expected_type", "number"),
                      "max_cost_usd must be a number");
            goto Exit;
        }
        if (json_number_value(v) < 0) {
            rc = fail(error, "max_cost_usd", json_pack("{s:i}", "minimum", 0),
                      "max_cost_usd must be greater than or equal to 0");
            goto Exit;
        }
        r.max_cost_usd = json_number_value(v);
    }
    /* quality_gate */
    v = json_object_get(root, "quality_gate");
    if (present(v)) {
        if (json_is_string(v) && strcmp(json_string_value(v), "reject") == 0) {
            r.reject_gate = 1;
        } else if (!json_is_string(v) || strcmp(json_string_value(v), "best_effort") != 0) {
            rc = fail(error, "quality_gate", json_pack("{s:[s,s]}", "allowed_values", "best_effort", "reject"),
                      "quality_gate must be one of best_effort, reject");
            goto Exit;
        }
    }
    if (batch) {
        if ((rc = parse_content_types(json_object_get(root, "content_types"), known, ud, &r, error)) != LF_OK) {
            goto Exit;
        }
    }
    *out = r;
    memset(&r, 0, sizeof(r));
    rc = LF_OK;
Exit:
    lf_genreq_clear(&r);
    return rc;
}

int lf_genreq_json_depth(const char *body, size_t len)
{
    int depth = 0, max = 0, in_str = 0, esc = 0;
    for (size_t i = 0; i < len; i++) {
        char c = body[i];
        if (lf_json_scan_in_string(c, &in_str, &esc)) {
            continue;
        }
        if (c == '{' || c == '[') {
            if (++depth > max) {
                max = depth;
            }
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return max;
}

enum lf_err lf_genreq_parse(const char *body, size_t len, int batch, lf_genreq_known_fn known, void *ud,
                            struct lf_genreq *out, json_t **error)
{
    json_t *root = NULL;
    json_error_t jerr;
    size_t cps;
    enum lf_err rc;

    memset(out, 0, sizeof(*out));
    out->max_cost_usd = -1;
    if (error != NULL) {
        *error = NULL;
    }
    if (body == NULL || len == 0) {
        return fail(error, "body", NULL, "request body must be a json object");
    }
    if (check_text(body, len, &cps) == TEXT_UTF8) {
        return fail(error, "body", NULL, "request body must be valid utf-8");
    }
    if (lf_genreq_json_depth(body, len) > LF_GENREQ_MAX_DEPTH) {
        return fail(error, "body", json_pack("{s:i}", "max_depth", LF_GENREQ_MAX_DEPTH),
                    "request body nests deeper than %d levels", LF_GENREQ_MAX_DEPTH);
    }
    root = json_loadb(body, len, 0, &jerr);
    if (root == NULL) {
        return fail(error, "body", json_pack("{s:i, s:i}", "line", jerr.line, "column", jerr.column),
                    "request body is not valid json");
    }
    rc = lf_genreq_from_json(root, batch, known, ud, out, error);
    json_decref(root);
    return rc;
}
