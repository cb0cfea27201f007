/*
 * scorers/pedagogy/pedagogy.c - measurable objectives, Bloom's levels per age, type elements, objective coverage
 * SPDX-License-Identifier: MIT
 *
 * Dimension: educational_effectiveness. Formulas: see README.md next to this file.
 */
#include <lafactoria/plugin.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../common/json.h"
#include "../common/text.h"

struct pe_state {
    const struct lf_host_api *host;
};

static const char *const level_names[6] = {"remembering", "understanding", "applying", "analyzing", "evaluating",
                                           "creating"};

/* Bloom's (revised) action verbs, base forms, by level. */
static const char *const bloom_verbs[] = {
    /* 0 remember */ "define", "list", "name", "recall", "identify", "label", "state", "recognize", "memorize", "match",
    /* 1 understand */ "explain", "describe", "summarize", "summarise", "classify", "interpret", "illustrate",
    "paraphrase", "discuss", "outline",
    /* 2 apply */ "apply", "use", "solve", "demonstrate", "calculate", "compute", "implement", "carry out", "perform",
    "measure",
    /* 3 analyze */ "analyze", "analyse", "compare", "contrast", "examine", "differentiate", "distinguish",
    "categorize", "investigate", "infer",
    /* 4 evaluate */ "evaluate", "assess", "judge", "critique", "justify", "argue", "defend", "recommend",
    "prioritize", "debate",
    /* 5 create */ "create", "design", "develop", "construct", "produce", "compose", "formulate", "plan", "invent",
    "propose", NULL};
#define VERBS_PER_LEVEL 10

static const char *const example_cues[] = {"for example", "for instance", "e.g", "such as", "example", "examples",
                                           NULL};

/* Expected Bloom levels per age group: [lo, hi] (0 = remember .. 5 = create). */
struct age_levels {
    const char *age;
    int lo, hi;
};
static const struct age_levels ages[] = {{"elementary", 0, 2}, {"middle_school", 0, 3}, {"high_school", 1, 4},
                                         {"college", 2, 5},    {"adult_learning", 2, 5}, {"general", 1, 3}};

static const char *const stopwords[] = {"with", "that", "this", "from", "their", "they", "will", "able", "into",
                                        "about", "using", "able", "should", "students", "learners", "student",
                                        "learner", "which", "these", "those", "have", "been", "each", "more", NULL};

static int pe_init(const struct lf_plugin_init_args *args, void **state)
{
    struct pe_state *s = args->host->alloc(sizeof(*s));
    if (s == NULL)
        return LF_ENOMEM;
    s->host = args->host;
    *state = s;
    return LF_OK;
}

static void pe_destroy(void *state)
{
    struct pe_state *s = state;
    if (s != NULL)
        s->host->free(s);
}

/* A growable lower-case text buffer built from selected JSON strings. */
struct buf {
    const struct lf_host_api *host;
    char *p;
    size_t n, cap;
    int oom;
};

/* Append string token i (unescaped, lower-cased) and a newline. */
static void buf_add(struct buf *b, const struct lf_json *j, size_t i)
{
    size_t raw = j->t[i].end - j->t[i].start;
    if (b->oom)
        return;
    if (b->n + raw + 8 > b->cap) {
        size_t cap = (b->n + raw + 8) * 2;
        char *np = b->host->realloc(b->p, cap);
        if (np == NULL) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    b->n += lf_json_unescape(j, i, b->p + b->n, b->cap - b->n - 1, 1);
    b->p[b->n++] = '\n';
    b->p[b->n] = '\0';
}

/* Add every string found at v (a string, an array of strings, the named field of objects). */
static void buf_add_json(struct buf *b, const struct lf_json *j, size_t v, const char *field)
{
    if (lf_json_is(j, v, LF_J_STR)) {
        buf_add(b, j, v);
    } else if (lf_json_is(j, v, LF_J_ARR)) {
        size_t n = lf_json_size(j, v), x = lf_json_first(j, v);
        for (size_t i = 0; i < n; i++, x = lf_json_next(j, x)) {
            if (lf_json_is(j, x, LF_J_STR))
                buf_add(b, j, x);
            else if (field != NULL && lf_json_is(j, x, LF_J_OBJ) && lf_json_is(j, lf_json_get(j, x, field), LF_J_STR))
                buf_add(b, j, lf_json_get(j, x, field));
        }
    }
}

/* Bitmask of Bloom levels whose verbs occur in lower[0..n). */
static unsigned bloom_levels(const char *lower, size_t n, size_t *nverbs)
{
    size_t counts[LF_TEXT_MAX_PHRASES];
    unsigned mask = 0;
    *nverbs = lf_text_match(lower, n, bloom_verbs, counts, NULL);
    for (size_t k = 0; bloom_verbs[k]; k++)
        if (counts[k])
            mask |= 1u << (k / VERBS_PER_LEVEL);
    return mask;
}

static const struct age_levels *levels_for(const char *age)
{
    size_t na = sizeof(ages) / sizeof(ages[0]);
    if (age != NULL)
        for (size_t i = 0; i < na; i++)
            if (strcmp(ages[i].age, age) == 0)
                return &ages[i];
    return &ages[na - 1];
}

static double frac_nonempty_field(const struct lf_json *j, size_t arr, const char *field)
{
    size_t n = lf_json_size(j, arr), good = 0, x = lf_json_first(j, arr);
    if (!lf_json_is(j, arr, LF_J_ARR) || n == 0)
        return 0.0;
    for (size_t i = 0; i < n; i++, x = lf_json_next(j, x)) {
        size_t f = field ? lf_json_get(j, x, field) : x;
        good += lf_json_is(j, f, LF_J_STR) && lf_json_str_trimmed_len(j, f) > 0;
    }
    return (double)good / (double)n;
}

static int is_stopword(const char *w)
{
    for (size_t i = 0; stopwords[i]; i++)
        if (strcmp(stopwords[i], w) == 0)
            return 1;
    return 0;
}

/* Add the keywords (>= 4 letters, not stop words, cut to 7 letters) of s to kw; returns how many were added. */
static size_t keywords(const char *s, char (*kw)[8], size_t *nkw, size_t max)
{
    size_t added = 0;
    const char *p = s;
    while (*p && *nkw < max) {
        while (*p && !lf_text_is_word_char((unsigned char)*p))
            p++;
        const char *b = p;
        while (*p && lf_text_is_word_char((unsigned char)*p))
            p++;
        size_t l = (size_t)(p - b);
        if (l < 4)
            continue;
        char w[64];
        if (l >= sizeof(w))
            l = sizeof(w) - 1;
        lf_text_lower(b, l, w);
        if (is_stopword(w))
            continue;
        w[l > 7 ? 7 : l] = '\0';
        memcpy(kw[*nkw], w, 8);
        (*nkw)++;
        added++;
    }
    return added;
}

#define MAX_OBJ 16

static int pe_score(void *state, const struct lf_score_input *in, struct lf_score_output *out)
{
    struct pe_state *s = state;
    struct lf_json j = {0}, oj = {0};
    struct buf act = {s->host, NULL, 0, 0, 0};
    char *lower = NULL;
    const char *ct = in->content_type ? in->content_type : "";
    const size_t n = in->plain_text ? in->plain_text_len : 0;
    double measurable = -1, bloom = 0, elements = 0, coverage = -1;
    size_t nverbs = 0, n_lo = 0, n_measurable = 0, ncues = 0;
    unsigned mask = 0;
    int err = LF_OK;
    char detail[640];

    if (in->content_json == NULL)
        return LF_EINVAL;
    err = lf_json_parse(s->host, in->content_json, in->content_json_len, &j);
    if (err != LF_OK)
        return err;
    if (j.t[0].type != LF_J_OBJ) {
        err = LF_EPARSE;
        goto Exit;
    }
    lower = s->host->alloc(n + 1);
    if (lower == NULL) {
        err = LF_ENOMEM;
        goto Exit;
    }
    lf_text_lower(in->plain_text ? in->plain_text : "", n, lower);
    ncues = lf_text_match(lower, n, example_cues, NULL, NULL);
    double examples = lf_text_clamp01((double)ncues / 3.0);

    /* A: measurable objectives */
    size_t lo = lf_json_get(&j, 0, "learning_objectives");
    int wants_lo = strcmp(ct, "study_guide") == 0 || strcmp(ct, "master_content_outline") == 0;
    if (lf_json_is(&j, lo, LF_J_ARR) || wants_lo) {
        size_t cnt = lf_json_size(&j, lo), x = lf_json_first(&j, lo);
        for (size_t i = 0; i < cnt; i++, x = lf_json_next(&j, x)) {
            if (!lf_json_is(&j, x, LF_J_STR))
                continue;
            char tmp[512];
            size_t l = lf_json_unescape(&j, x, tmp, sizeof(tmp), 1);
            n_lo++;
            n_measurable += lf_text_match(tmp, l, bloom_verbs, NULL, NULL) > 0;
        }
        measurable = n_lo ? (double)n_measurable / (double)n_lo : 0.0;
    }

    /* B: Bloom's levels of the actionable text (objectives, exercises, questions), else the whole prose */
    buf_add_json(&act, &j, lo, NULL);
    buf_add_json(&act, &j, lf_json_get(&j, 0, "practice_exercises"), "question");
    buf_add_json(&act, &j, lf_json_get(&j, 0, "assessment_questions"), "question");
    buf_add_json(&act, &j, lf_json_get(&j, 0, "questions"), "question");
    if (strcmp(ct, "faq_collection") != 0)
        buf_add_json(&act, &j, lf_json_get(&j, 0, "items"), "question");
    if (act.oom) {
        err = LF_ENOMEM;
        goto Exit;
    }
    if (act.n > 0)
        mask = bloom_levels(act.p, act.n, &nverbs);
    if (nverbs == 0)
        mask = bloom_levels(lower, n, &nverbs);
    const struct age_levels *al = levels_for(in->age_group);
    int hits = 0, above = 0, want = al->hi - al->lo + 1;
    for (int l = 0; l < 6; l++) {
        if (!(mask & (1u << l)))
            continue;
        if (l >= al->lo && l <= al->hi)
            hits++;
        else if (l > al->hi + 1)
            above++;
    }
    bloom = lf_text_clamp01((double)hits / (double)(want < 3 ? want : 3) - 0.1 * above);

    /* C: elements the content type calls for */
    if (strcmp(ct, "study_guide") == 0) {
        size_t aq = lf_json_get(&j, 0, "assessment_questions");
        elements = (examples + (lf_json_size(&j, lf_json_get(&j, 0, "practice_exercises")) > 0 ? 1.0 : 0.0) +
                    frac_nonempty_field(&j, aq, "answer")) / 3.0;
    } else if (strcmp(ct, "master_content_outline") == 0) {
        size_t sec = lf_json_get(&j, 0, "sections"), cnt = lf_json_size(&j, sec), x = lf_json_first(&j, sec), with = 0;
        for (size_t i = 0; i < cnt; i++, x = lf_json_next(&j, x))
            with += lf_json_size(&j, lf_json_get(&j, x, "key_points")) > 0;
        elements = cnt ? (double)with / (double)cnt : 0.0;
    } else if (strcmp(ct, "faq_collection") == 0) {
        elements = 0.7 * frac_nonempty_field(&j, lf_json_get(&j, 0, "items"), "answer") + 0.3 * examples;
    } else if (strcmp(ct, "flashcards") == 0) {
        elements = frac_nonempty_field(&j, lf_json_get(&j, 0, "items"), "definition");
    } else if (strcmp(ct, "reading_guide_questions") == 0) {
        size_t qs = lf_json_get(&j, 0, "questions"), cnt = lf_json_size(&j, qs), x = lf_json_first(&j, qs);
        unsigned types = 0;
        for (size_t i = 0; i < cnt; i++, x = lf_json_next(&j, x)) {
            size_t t = lf_json_get(&j, x, "type");
            types |= lf_json_str_eq(&j, t, "comprehension") ? 1u
                     : lf_json_str_eq(&j, t, "analysis")    ? 2u
                     : lf_json_str_eq(&j, t, "discussion")  ? 4u
                                                            : 0u;
        }
        int nt = (int)(types & 1) + (int)((types >> 1) & 1) + (int)((types >> 2) & 1);
        elements = 0.6 * (nt >= 2 ? 1.0 : nt == 1 ? 0.5 : 0.3) + 0.4 * frac_nonempty_field(&j, qs, "hint");
    } else if (strcmp(ct, "one_pager_summary") == 0) {
        elements = 0.5 * (lf_json_size(&j, lf_json_get(&j, 0, "key_takeaways")) >= 3 ? 1.0 : 0.0) + 0.5 * examples;
    } else {
        elements = examples; /* podcast_script, detailed_reading_material and unknown types */
    }

    /* D: coverage of the requested learning objectives */
    if (in->learning_objectives_json != NULL &&
        lf_json_parse(s->host, in->learning_objectives_json, strlen(in->learning_objectives_json), &oj) == LF_OK &&
        oj.t[0].type == LF_J_ARR && oj.t[0].size > 0) {
        char kw[LF_TEXT_MAX_PHRASES][8];
        const char *ptrs[LF_TEXT_MAX_PHRASES + 1];
        size_t counts[LF_TEXT_MAX_PHRASES];
        size_t start[MAX_OBJ + 1], nkw = 0, nobj = 0;
        int level[MAX_OBJ];
        size_t o = 1;
        char tmp[512];
        for (size_t i = 0; i < oj.t[0].size && nobj < MAX_OBJ; i++, o = lf_json_next(&oj, o)) {
            start[nobj] = nkw;
            level[nobj] = -1;
            if (lf_json_is(&oj, o, LF_J_STR)) {
                lf_json_unescape(&oj, o, tmp, sizeof(tmp), 0);
                keywords(tmp, kw, &nkw, LF_TEXT_MAX_PHRASES);
            } else if (lf_json_is(&oj, o, LF_J_OBJ)) {
                const char *f[] = {"subject_area", "specific_skill", "measurable_outcome"};
                for (size_t k = 0; k < 3; k++) {
                    size_t v = lf_json_get(&oj, o, f[k]);
                    if (lf_json_is(&oj, v, LF_J_STR)) {
                        lf_json_unescape(&oj, v, tmp, sizeof(tmp), 0);
                        keywords(tmp, kw, &nkw, LF_TEXT_MAX_PHRASES);
                    }
                }
                size_t cl = lf_json_get(&oj, o, "cognitive_level");
                for (int l = 0; l < 6; l++)
                    if (lf_json_str_eq(&oj, cl, level_names[l]))
                        level[nobj] = l;
            }
            nobj++;
        }
        start[nobj] = nkw;
        for (size_t k = 0; k < nkw; k++)
            ptrs[k] = kw[k];
        ptrs[nkw] = NULL;
        lf_text_match_ex(lower, n, ptrs, counts, NULL, 1);
        double sum = 0;
        for (size_t q = 0; q < nobj; q++) {
            size_t found = 0, total = start[q + 1] - start[q];
            for (size_t k = start[q]; k < start[q + 1]; k++)
                found += counts[k] > 0;
            if (level[q] >= 0) {
                total++;
                found += (mask & (1u << level[q])) != 0;
            }
            sum += total ? (double)found / (double)total : 0.0;
        }
        coverage = nobj ? sum / (double)nobj : -1;
    }

    double wsum = 0.2 + 0.3, acc = 0.2 * bloom + 0.3 * elements;
    if (measurable >= 0) {
        acc += 0.25 * measurable;
        wsum += 0.25;
    }
    if (coverage >= 0) {
        acc += 0.25 * coverage;
        wsum += 0.25;
    }
    out->dimensions[0].name = "educational_effectiveness";
    out->dimensions[0].value = lf_text_clamp01(acc / wsum);
    out->n_dimensions = 1;

    char lv[64] = "";
    size_t lvn = 0;
    for (int l = 0; l < 6; l++)
        if (mask & (1u << l))
            lvn += (size_t)snprintf(lv + lvn, sizeof(lv) - lvn, "%s\"%s\"", lvn ? "," : "", level_names[l]);
    int len = snprintf(detail, sizeof(detail),
                       "{\"pedagogy\":{\"measurable_objectives\":%zu,\"objectives\":%zu,\"bloom_levels_present\":[%s],"
                       "\"bloom_verbs\":%zu,\"example_cues\":%zu,\"components\":{\"measurable\":%.3f,"
                       "\"bloom_fit\":%.3f,"
                       "\"type_elements\":%.3f,\"objective_coverage\":%.3f}}}",
                       n_measurable, n_lo, lv, nverbs, ncues, measurable, bloom, elements, coverage);
    if (len > 0 && (size_t)len < sizeof(detail)) {
        out->details_json = s->host->alloc((size_t)len + 1);
        if (out->details_json != NULL)
            memcpy(out->details_json, detail, (size_t)len + 1);
    }

Exit:
    s->host->free(act.p);
    s->host->free(lower);
    lf_json_free(s->host, &oj);
    lf_json_free(s->host, &j);
    return err;
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_SCORER, .name = "pedagogy", .version = "1.0.0",
                     .description = "measurable objectives, Bloom's levels for the age group, type elements, coverage",
                     .init = pe_init, .destroy = pe_destroy, .score = pe_score)
