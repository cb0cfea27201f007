/*
 * scorers/structure/structure.c - schema conformance plus per-content-type structural expectations
 * SPDX-License-Identifier: MIT
 *
 * Dimension: structural_quality. Rules and formula: see README.md next to this file.
 */
#include <lafactoria/plugin.h>

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct st_state {
    const struct lf_host_api *host;
};

enum rule_kind {
    R_STR = 1,  /* non-empty string of at least min_len characters */
    R_STRS,     /* array of non-empty strings, lo..hi items */
    R_ITEMS,    /* array of strings or objects (any non-empty item), lo..hi items */
    R_OBJS,     /* array of objects with non-empty string fields `sub` (comma separated), lo..hi items */
    R_NUM,      /* number > 0 */
};

struct rule {
    const char *key;
    enum rule_kind kind;
    unsigned lo, hi;       /* item counts (arrays) or minimum length (strings, in lo) */
    const char *sub;       /* R_OBJS: required string fields */
    const char *question;  /* R_OBJS: this field must end with "?" */
    const char *number;    /* R_OBJS: this field numbers the items from 1 */
};

struct type_spec {
    const char *type;
    struct rule rules[10];
};

/* Mirrors API.md §3 "Output shapes" (counts are the defaults the prompts ask for). */
static const struct type_spec specs[] = {
    {"master_content_outline",
     {{"title", R_STR, 3, 0, NULL, NULL, NULL},
      {"overview", R_STR, 40, 0, NULL, NULL, NULL},
      {"learning_objectives", R_STRS, 3, 10, NULL, NULL, NULL},
      {"sections", R_OBJS, 3, 15, "title,description", NULL, "section_number"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}}},
    {"podcast_script",
     {{"title", R_STR, 3, 0, NULL, NULL, NULL},
      {"introduction", R_STR, 40, 0, NULL, NULL, NULL},
      {"segments|main_content", R_OBJS, 2, 10, "speaker,text", NULL, NULL},
      {"conclusion", R_STR, 40, 0, NULL, NULL, NULL},
      {"estimated_duration_minutes", R_NUM, 0, 0, NULL, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}}},
    {"study_guide",
     {{"title", R_STR, 3, 0, NULL, NULL, NULL},
      {"learning_objectives", R_STRS, 3, 8, NULL, NULL, NULL},
      {"overview", R_STR, 40, 0, NULL, NULL, NULL},
      {"key_concepts", R_OBJS, 5, 20, "term,explanation", NULL, NULL},
      {"detailed_content", R_STR, 200, 0, NULL, NULL, NULL},
      {"practice_exercises", R_ITEMS, 3, 10, NULL, NULL, NULL},
      {"assessment_questions", R_OBJS, 5, 15, "question,answer", "question", NULL},
      {"summary", R_STR, 40, 0, NULL, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}}},
    {"one_pager_summary",
     {{"title", R_STR, 3, 0, NULL, NULL, NULL},
      {"executive_summary", R_STR, 40, 0, NULL, NULL, NULL},
      {"key_takeaways", R_STRS, 3, 7, NULL, NULL, NULL},
      {"main_content", R_STR, 200, 0, NULL, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}}},
    {"detailed_reading_material",
     {{"title", R_STR, 3, 0, NULL, NULL, NULL},
      {"introduction", R_STR, 40, 0, NULL, NULL, NULL},
      {"sections", R_OBJS, 3, 10, "title,content", NULL, NULL},
      {"conclusion", R_STR, 40, 0, NULL, NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}}},
    {"faq_collection",
     {{"title", R_STR, 3, 0, NULL, NULL, NULL},
      {"items", R_OBJS, 5, 15, "question,answer", "question", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}}},
    {"flashcards",
     {{"title", R_STR, 3, 0, NULL, NULL, NULL},
      {"items", R_OBJS, 10, 25, "term,definition", NULL, NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}}},
    {"reading_guide_questions",
     {{"title", R_STR, 3, 0, NULL, NULL, NULL},
      {"questions", R_OBJS, 5, 15, "question", "question", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}}},
};

struct acc {
    double sum;
    unsigned n;
    json_t *failed;
};

static void check(struct acc *a, const char *what, double v)
{
    a->sum += v;
    a->n++;
    if (v < 1.0 && json_array_size(a->failed) < 12)
        json_array_append_new(a->failed, json_pack("{s:s,s:f}", "check", what, "score", v));
}

static size_t trimmed_len(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    size_t b = 0;
    while (b < n && (s[b] == ' ' || s[b] == '\n' || s[b] == '\t' || s[b] == '\r'))
        b++;
    return n - b;
}

static int nonempty_str(const json_t *v)
{
    return json_is_string(v) && trimmed_len(json_string_value(v)) > 0;
}

static double count_score(size_t n, unsigned lo, unsigned hi)
{
    if (n < lo)
        return (double)n / (double)lo;
    if (hi > 0 && n > hi)
        return (double)hi / (double)n;
    return 1.0;
}

static int ends_with_q(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return n > 0 && s[n - 1] == '?';
}

static int obj_has_fields(const json_t *o, const char *sub)
{
    char name[64];
    const char *p = sub;
    if (!json_is_object(o))
        return 0;
    while (*p) {
        size_t l = strcspn(p, ",");
        if (l >= sizeof(name))
            return 0;
        memcpy(name, p, l);
        name[l] = '\0';
        if (!nonempty_str(json_object_get(o, name)))
            return 0;
        p += l;
        if (*p == ',')
            p++;
    }
    return 1;
}

static void apply_rule(struct acc *a, const json_t *content, const struct rule *r)
{
    char key[64], alt[64];
    const char *bar = strchr(r->key, '|');
    char what[128];

    if (bar != NULL) {
        snprintf(key, sizeof(key), "%.*s", (int)(bar - r->key), r->key);
        snprintf(alt, sizeof(alt), "%s", bar + 1);
        if (json_object_get(content, key) == NULL && json_object_get(content, alt) != NULL) {
            /* the alternative is a prose string (podcast main_content) */
            snprintf(what, sizeof(what), "%s: string of >= 200 characters", alt);
            const json_t *av = json_object_get(content, alt);
            size_t al = json_is_string(av) ? trimmed_len(json_string_value(av)) : 0;
            check(a, what, al >= 200 ? 1.0 : (al > 0 ? 0.5 : 0.0));
            return;
        }
    } else {
        snprintf(key, sizeof(key), "%s", r->key);
    }
    const json_t *v = json_object_get(content, key);
    switch (r->kind) {
    case R_STR: {
        double s = 0;
        if (json_is_string(v))
            s = trimmed_len(json_string_value(v)) >= r->lo ? 1.0 : (trimmed_len(json_string_value(v)) > 0 ? 0.5 : 0.0);
        snprintf(what, sizeof(what), "%s: string of >= %u characters", key, r->lo);
        check(a, what, s);
        break;
    }
    case R_NUM:
        snprintf(what, sizeof(what), "%s: positive number", key);
        check(a, what, json_is_number(v) && json_number_value(v) > 0 ? 1.0 : 0.0);
        break;
    case R_STRS:
    case R_ITEMS:
    case R_OBJS: {
        size_t n = json_array_size(v), good = 0, q = 0, num = 0;
        snprintf(what, sizeof(what), "%s: %u-%u items", key, r->lo, r->hi);
        check(a, what, json_is_array(v) ? count_score(n, r->lo, r->hi) : 0.0);
        if (!json_is_array(v) || n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            const json_t *it = json_array_get(v, i);
            if (r->kind == R_STRS)
                good += nonempty_str(it);
            else if (r->kind == R_ITEMS)
                good += nonempty_str(it) || (json_is_object(it) && json_object_size(it) > 0);
            else
                good += obj_has_fields(it, r->sub);
            if (r->question != NULL) {
                const json_t *qq = json_object_get(it, r->question);
                q += json_is_string(qq) && ends_with_q(json_string_value(qq));
            }
            if (r->number != NULL) {
                const json_t *nn = json_object_get(it, r->number);
                num += json_is_integer(nn) && json_integer_value(nn) == (json_int_t)(i + 1);
            }
        }
        snprintf(what, sizeof(what), "%s: items complete", key);
        check(a, what, (double)good / (double)n);
        if (r->question != NULL) {
            snprintf(what, sizeof(what), "%s: %s ends with \"?\"", key, r->question);
            check(a, what, (double)q / (double)n);
        }
        if (r->number != NULL) {
            snprintf(what, sizeof(what), "%s: %s numbered from 1", key, r->number);
            check(a, what, (double)num / (double)n);
        }
        break;
    }
    }
}

/* Count string leaves and the empty ones (no empty sections anywhere). */
static void leaves(const json_t *v, size_t *total, size_t *empty, int depth)
{
    if (depth > 32)
        return;
    if (json_is_string(v)) {
        (*total)++;
        *empty += trimmed_len(json_string_value(v)) == 0;
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        if (json_array_size(v) == 0) {
            (*total)++;
            (*empty)++;
        }
        json_array_foreach(v, i, x) leaves(x, total, empty, depth + 1);
    } else if (json_is_object(v)) {
        const char *k;
        const json_t *x;
        if (json_object_size(v) == 0) {
            (*total)++;
            (*empty)++;
        }
        json_object_foreach((json_t *)(uintptr_t)v, k, x) leaves(x, total, empty, depth + 1);
    }
}

static int st_init(const struct lf_plugin_init_args *args, void **state)
{
    struct st_state *s = args->host->alloc(sizeof(*s));
    if (s == NULL)
        return LF_ENOMEM;
    s->host = args->host;
    *state = s;
    return LF_OK;
}

static void st_destroy(void *state)
{
    struct st_state *s = state;
    if (s != NULL)
        s->host->free(s);
}

static int st_score(void *state, const struct lf_score_input *in, struct lf_score_output *out)
{
    struct st_state *s = state;
    json_t *content = NULL, *errs = NULL, *details = NULL;
    struct acc a = {0, 0, NULL};
    const struct type_spec *spec = NULL;
    size_t nerr = 0, total = 0, empty = 0;
    double schema = -1, checks = -1, score;
    char *dump = NULL;
    int err = LF_OK;

    if (in->content_json == NULL)
        return LF_EINVAL;
    content = json_loadb(in->content_json, in->content_json_len, 0, NULL);
    if (content == NULL) {
        err = LF_EPARSE;
        goto Exit;
    }
    a.failed = json_array();
    if (in->schema_valid == 1) {
        schema = 1.0;
    } else if (in->schema_valid == 0) {
        if (in->schema_errors_json != NULL)
            errs = json_loads(in->schema_errors_json, 0, NULL);
        nerr = json_is_array(errs) ? json_array_size(errs) : 1;
        if (nerr == 0)
            nerr = 1;
        schema = 1.0 - 0.25 * (double)nerr;
        if (schema < 0)
            schema = 0;
    }
    if (in->content_type != NULL)
        for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
            if (strcmp(specs[i].type, in->content_type) == 0)
                spec = &specs[i];
    if (!json_is_object(content)) {
        check(&a, "content is an object", 0.0);
    } else if (spec != NULL) {
        for (const struct rule *r = spec->rules; r->key != NULL; r++)
            apply_rule(&a, content, r);
    }
    leaves(content, &total, &empty, 0);
    if (spec != NULL || schema < 0)
        check(&a, "no empty strings, arrays or objects", total ? 1.0 - (double)empty / (double)total : 0.0);
    checks = a.n ? a.sum / (double)a.n : -1;

    if (spec == NULL)
        score = schema >= 0 ? schema : (checks >= 0 ? checks : 0.0);
    else
        score = schema >= 0 ? 0.5 * schema + 0.5 * checks : checks;

    out->dimensions[0].name = "structural_quality";
    out->dimensions[0].value = score < 0 ? 0 : (score > 1 ? 1 : score);
    out->n_dimensions = 1;

    details = json_pack("{s:{s:o,s:I,s:b,s:o,s:O}}", "structure", "schema_valid",
                        in->schema_valid < 0 ? json_null() : json_boolean(in->schema_valid == 1), "schema_errors",
                        (json_int_t)(in->schema_valid == 0 ? nerr : 0), "type_rules", spec != NULL, "checks_score",
                        checks >= 0 ? json_real(checks) : json_null(), "failed_checks", a.failed);
    dump = details ? json_dumps(details, JSON_COMPACT) : NULL;
    if (dump != NULL) {
        size_t l = strlen(dump);
        out->details_json = s->host->alloc(l + 1);
        if (out->details_json != NULL)
            memcpy(out->details_json, dump, l + 1);
    }

Exit:
    free(dump); /* jansson's default allocator is malloc */
    json_decref(details);
    json_decref(a.failed);
    json_decref(errs);
    json_decref(content);
    return err;
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_SCORER, .name = "structure", .version = "1.0.0",
                     .description = "schema conformance plus per-type counts, lengths, numbering and question marks",
                     .init = st_init, .destroy = st_destroy, .score = st_score)
