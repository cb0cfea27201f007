/*
 * scorers/readability/readability.c - Flesch reading ease / Flesch-Kincaid grade per age band, and cognitive load
 * SPDX-License-Identifier: MIT
 *
 * Dimension: age_appropriateness. Details: {"readability":{...}, "cognitive_load":{...}}.
 * Formulas: see README.md next to this file.
 */
#include <lafactoria/plugin.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/state.h"
#include "../common/text.h"

struct band {
    const char *age;
    double lo, hi;
};

/* Flesch-Kincaid grade band per age group (US school grades). */
static const struct band bands[] = {
    {"elementary", 1.0, 5.0},  {"middle_school", 5.0, 8.5},  {"high_school", 8.0, 12.0},
    {"college", 11.0, 16.0},   {"adult_learning", 7.0, 13.0}, {"general", 6.0, 11.0},
};

/* Germane-load cues: prompts that make the reader build schemas (examples, practice, retrieval, comparison). */
static const char *const germane_cues[] = {"example", "examples", "for instance", "e.g", "practice", "try",
                                           "remember", "recall", "compare", "explain", "summary", "summarize",
                                           "in other words", "think about", "imagine", "notice", NULL};

static const struct band *band_for(const char *age)
{
    size_t nb = sizeof(bands) / sizeof(bands[0]);
    if (age != NULL)
        for (size_t i = 0; i < nb; i++)
            if (strcmp(bands[i].age, age) == 0)
                return &bands[i];
    return &bands[nb - 1];
}

/** Score of a Flesch-Kincaid grade against a band: 1 inside, -1/6 per grade above, -0.08 per grade below (>= 0.6). */
static double band_score(double grade, const struct band *b)
{
    if (grade > b->hi)
        return lf_text_clamp01(1.0 - (grade - b->hi) / 6.0);
    if (grade < b->lo) {
        double s = 1.0 - 0.08 * (b->lo - grade);
        return s < 0.6 ? 0.6 : s;
    }
    return 1.0;
}

static double round_to(double x, double unit)
{
    return round(x / unit) * unit;
}

static int rd_score(void *state, const struct lf_score_input *in, struct lf_score_output *out)
{
    struct lf_scorer_state *s = state;
    struct lf_text_stats st;
    const char *text = in->plain_text ? in->plain_text : "";
    size_t n = in->plain_text ? in->plain_text_len : 0;
    const struct band *b = band_for(in->age_group);
    double fre = 0, grade = 0, score = 0, intrinsic = 0, extraneous = 0, germane = 0;
    size_t cues = 0;

    lf_text_analyze(text, n, &st);
    if (st.words > 0 && st.sentences > 0) {
        double wps = (double)st.words / (double)st.sentences;
        double spw = (double)st.syllables / (double)st.words;
        fre = 206.835 - 1.015 * wps - 84.6 * spw;
        grade = 0.39 * wps + 11.8 * spw - 15.59;
        score = band_score(grade, b);

        char *lower = s->host->alloc(n + 1);
        if (lower == NULL)
            return LF_ENOMEM;
        lf_text_lower(text, n, lower);
        cues = lf_text_match(lower, n, germane_cues, NULL, NULL);
        s->host->free(lower);

        double poly = (double)st.polysyllables / (double)st.words;
        intrinsic = lf_text_clamp01(0.5 * lf_text_clamp01(grade / 16.0) + 0.5 * lf_text_clamp01(poly / 0.25));
        extraneous = lf_text_clamp01(0.6 * lf_text_clamp01((wps - 20.0) / 20.0) +
                                     0.4 * lf_text_clamp01(((double)st.max_paragraph_words - 150.0) / 250.0));
        germane = lf_text_clamp01((double)(cues + st.questions) * 1000.0 / (double)st.words / 20.0);
    }

    lf_scorer_one_dimension(out, "age_appropriateness", score);

    char buf[512];
    int len = snprintf(buf, sizeof(buf),
                       "{\"readability\":{\"flesch_reading_ease\":%.1f,\"flesch_kincaid_grade\":%.1f,\"words\":%zu,"
                       "\"sentences\":%zu,\"syllables\":%zu,\"target_grade\":[%.1f,%.1f]},"
                       "\"cognitive_load\":{\"intrinsic\":%.2f,\"extraneous\":%.2f,\"germane\":%.2f}}",
                       round_to(fre, 0.1), round_to(grade, 0.1), st.words, st.sentences, st.syllables, b->lo, b->hi,
                       intrinsic, extraneous, germane);
    return lf_scorer_set_details(s->host, out, buf, sizeof(buf), len);
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_SCORER, .name = "readability", .version = "1.0.0",
                     .description = "Flesch reading ease / Flesch-Kincaid grade against the age group's band",
                     .init = lf_scorer_state_init, .destroy = lf_scorer_state_destroy, .score = rd_score)
