/*
 * scorers/structure/structure.c - schema conformance plus per-content-type structural expectations
 * SPDX-License-Identifier: MIT
 *
 * Dimension: structural_quality. Rules and formula: see README.md next to this file.
 */
#include <lafactoria/plugin.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../common/json.h"

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
    char failed[1536]; /* JSON array body of failed checks */
    size_t flen;
    unsigned nfailed;
};

static void check(struct acc *a, const char *what, double v)
{
    a->sum += v;
    a->n++;
    if (v < 1.0 && a->nfailed < 12) {
        int l = snprintf(a->failed + a->flen, sizeof(a->failed) - a->flen, "%s{\"check\":\"%s\",\"score\":%.3f}",
                         a->nfailed ? "," : "", what, v);
        if (l > 0 && (size_t)l < sizeof(a->failed) - a->flen) {
            a->flen += (size_t)l;
            a->nfailed++;
        } else {
            a->failed[a->flen] = '\0';
        }
    }
}

static double count_score(size_t n, unsigned lo, unsigned hi)
{
    if (n < lo)
        return (double)n / (double)lo;
    if (hi > 0 && n > hi)
        return (double)hi / (double)n;
    return 1.0;
}

static int nonempty_str(const struct lf_json *j, size_t i)
{
    return lf_json_is(j, i, LF_J_STR) && lf_json_str_trimmed_len(j, i) > 0;
}

static int obj_has_fields(const struct lf_json *j, size_t o, const char *sub)
{
    char name[64];
    const char *p = sub;
    if (!lf_json_is(j, o, LF_J_OBJ))
        return 0;
    while (*p) {
        size_t l = strcspn(p, ",");
        if (l >= sizeof(name))
            return 0;
        memcpy(name, p, l);
        name[l] = '\0';
        if (!nonempty_str(j, lf_json_get(j, o, name)))
            return 0;
        p += l;
        if (*p == ',')
            p++;
    }
    return 1;
}

static void apply_rule(struct acc *a, const struct lf_json *j, const struct rule *r)
{
    char key[64], alt[64];
    const char *bar = strchr(r->key, '|');
    char what[128];

    if (bar != NULL) {
        snprintf(key, sizeof(key), "%.*s", (int)(bar - r->key), r->key);
        snprintf(alt, sizeof(alt), "%s", bar + 1);
        size_t av = lf_json_get(j, 0, alt);
        if (lf_json_get(j, 0, key) == 0 && av != 0) {
            /* the alternative is a prose string (podcast main_content) */
            size_t al = lf_json_is(j, av, LF_J_STR) ? lf_json_str_trimmed_len(j, av) : 0;
            snprintf(what, sizeof(what), "%s: string of >= 200 characters", alt);
            check(a, what, al >= 200 ? 1.0 : (al > 0 ? 0.5 : 0.0));
            return;
        }
    } else {
        snprintf(key, sizeof(key), "%s", r->key);
    }
    size_t v = lf_json_get(j, 0, key);
    switch (r->kind) {
    case R_STR: {
        double s = 0;
        if (lf_json_is(j, v, LF_J_STR)) {
            size_t l = lf_json_str_trimmed_len(j, v);
            s = l >= r->lo ? 1.0 : (l > 0 ? 0.5 : 0.0);
        }
        snprintf(what, sizeof(what), "%s: string of >= %u characters", key, r->lo);
        check(a, what, s);
        break;
    }
    case R_NUM:
        snprintf(what, sizeof(what), "%s: positive number", key);
        check(a, what, lf_json_is(j, v, LF_J_NUM) && lf_json_number(j, v) > 0 ? 1.0 : 0.0);
        break;
    case R_STRS:
    case R_ITEMS:
    case R_OBJS: {
        int is_arr = lf_json_is(j, v, LF_J_ARR);
        size_t n = lf_json_size(j, v), good = 0, q = 0, num = 0;
        snprintf(what, sizeof(what), "%s: %u-%u items", key, r->lo, r->hi);
        check(a, what, is_arr ? count_score(n, r->lo, r->hi) : 0.0);
        if (!is_arr || n == 0)
            break;
        size_t it = lf_json_first(j, v);
        for (size_t i = 0; i < n; i++, it = lf_json_next(j, it)) {
            if (r->kind == R_STRS)
                good += nonempty_str(j, it);
            else if (r->kind == R_ITEMS)
                good += nonempty_str(j, it) || lf_json_size(j, it) > 0;
            else
                good += obj_has_fields(j, it, r->sub);
            if (r->question != NULL && lf_json_is(j, it, LF_J_OBJ))
                q += lf_json_str_ends_with(j, lf_json_get(j, it, r->question), '?');
            if (r->number != NULL && lf_json_is(j, it, LF_J_OBJ)) {
                size_t nn = lf_json_get(j, it, r->number);
                num += lf_json_is(j, nn, LF_J_NUM) && lf_json_number(j, nn) == (double)(i + 1);
            }
        }
        snprintf(what, sizeof(what), "%s: items complete", key);
        check(a, what, (double)good / (double)n);
        if (r->question != NULL) {
            snprintf(what, sizeof(what), "%s: %s ends with ?", key, r->question);
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

/* Count string leaves (not keys), empty arrays and empty objects, and the empty ones. */
static void leaves(const struct lf_json *j, size_t *total, size_t *empty)
{
    for (size_t i = 0; i < j->n; i++) {
        const struct lf_jtok *t = &j->t[i];
        if (t->type == LF_J_STR && t->size == 0) {
            (*total)++;
            *empty += lf_json_str_trimmed_len(j, i) == 0;
        } else if (t->type == LF_J_ARR || t->type == LF_J_OBJ) {
            if (t->size == 0) {
                (*total)++;
                (*empty)++;
            }
        }
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
    struct lf_json j = {0}, ej = {0};
    struct acc a;
    const struct type_spec *spec = NULL;
    size_t nerr = 0, total = 0, empty = 0;
    double schema = -1, checks = -1, score;
    int err;

    if (in->content_json == NULL)
        return LF_EINVAL;
    err = lf_json_parse(s->host, in->content_json, in->content_json_len, &j);
    if (err != LF_OK)
        return err;
    memset(&a, 0, sizeof(a));
    if (in->schema_valid == 1) {
        schema = 1.0;
    } else if (in->schema_valid == 0) {
        if (in->schema_errors_json != NULL &&
            lf_json_parse(s->host, in->schema_errors_json, strlen(in->schema_errors_json), &ej) == LF_OK &&
            ej.t[0].type == LF_J_ARR)
            nerr = ej.t[0].size;
        lf_json_free(s->host, &ej);
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
    if (j.t[0].type != LF_J_OBJ) {
        check(&a, "content is an object", 0.0);
    } else if (spec != NULL) {
        for (const struct rule *r = spec->rules; r->key != NULL; r++)
            apply_rule(&a, &j, r);
    }
    leaves(&j, &total, &empty);
    if (spec != NULL || schema < 0)
        check(&a, "no empty strings, arrays or objects", total ? 1.0 - (double)empty / (double)total : 0.0);
    checks = a.n ? a.sum / (double)a.n : -1;
    lf_json_free(s->host, &j);

    if (spec == NULL)
        score = schema >= 0 ? schema : (checks >= 0 ? checks : 0.0);
    else
        score = schema >= 0 ? 0.5 * schema + 0.5 * checks : checks;

    out->dimensions[0].name = "structural_quality";
    out->dimensions[0].value = score < 0 ? 0 : (score > 1 ? 1 : score);
    out->n_dimensions = 1;

    char buf[2048], cs[32];
    if (checks >= 0)
        snprintf(cs, sizeof(cs), "%.4f", checks);
    else
        snprintf(cs, sizeof(cs), "null");
    int len = snprintf(buf, sizeof(buf),
                       "{\"structure\":{\"schema_valid\":%s,\"schema_errors\":%zu,\"type_rules\":%s,"
                       "\"checks_score\":%s,\"failed_checks\":[%s]}}",
                       in->schema_valid < 0 ? "null" : (in->schema_valid == 1 ? "true" : "false"),
                       in->schema_valid == 0 ? nerr : (size_t)0, spec != NULL ? "true" : "false", cs, a.failed);
    if (len > 0 && (size_t)len < sizeof(buf)) {
        out->details_json = s->host->alloc((size_t)len + 1);
        if (out->details_json != NULL)
            memcpy(out->details_json, buf, (size_t)len + 1);
    }
    return LF_OK;
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_SCORER, .name = "structure", .version = "1.0.0",
                     .description = "schema conformance plus per-type counts, lengths, numbering and question marks",
                     .init = st_init, .destroy = st_destroy, .score = st_score)
