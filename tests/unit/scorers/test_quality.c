/*
 * tests/unit/scorers/test_quality.c - the quality pipeline: weighting, thresholds, containment of misbehaving scorers
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "harness.h"
#include "quality.h"

#define SCORER_DIR LF_BUILD_DIR "/lib/lafactoria/scorers"
#define BAD_DIR LF_TEST_PLUGIN_DIR "/bad_scorers"

/* ---- in-test scorers with fixed values ---- */

struct fixed {
    const char *dim;
    double value;
};

static int fixed_score(void *state, const struct lf_score_input *in, struct lf_score_output *out)
{
    const struct fixed *f = state;
    (void)in;
    out->dimensions[0].name = f->dim;
    out->dimensions[0].value = f->value;
    out->n_dimensions = 1;
    return LF_OK;
}

static const struct lf_plugin_descriptor fixed_desc = {
    .struct_size = sizeof(struct lf_plugin_descriptor),
    .abi_major = LF_PLUGIN_ABI_MAJOR,
    .kind = LF_PLUGIN_KIND_SCORER,
    .name = "fixed",
    .version = "9.9.9",
    .score = fixed_score,
};

static struct fixed fixed_values[] = {{"educational_effectiveness", 0.8}, {"factual_accuracy", 0.9},
                                      {"age_appropriateness", 0.7},       {"structural_quality", 1.0},
                                      {"engagement", 0.5}};

static json_t *content_min(void)
{
    return json_pack("{s:s}", "title", "x");
}

static void test_weighted_overall(void **unused)
{
    (void)unused;
    struct lf_quality_scorer sc[5];
    for (size_t i = 0; i < 5; i++)
        sc[i] = (struct lf_quality_scorer){fixed_values[i].dim, NULL, &fixed_desc, &fixed_values[i], 0};
    json_t *content = content_min();
    double overall = -1;
    int all = -1;
    /* 0.3*0.8 + 0.25*0.9 + 0.2*0.7 + 0.15*1.0 + 0.1*0.5 = 0.24 + 0.225 + 0.14 + 0.15 + 0.05 = 0.805 */
    json_t *m = lf_quality_assess(sc, 5, NULL, "study_guide", "general", content, NULL, NULL, 1, NULL, "", &overall,
                                  &all);
    assert_float_equal(overall, 0.805, 1e-9);
    assert_float_equal(json_real_value(json_object_get(m, "overall_quality_score")), 0.805, 1e-9);
    assert_int_equal(all, 1); /* 0.805 >= 0.70, 0.8 >= 0.75, 0.9 >= 0.85 */
    assert_true(json_is_true(json_object_get(json_object_get(m, "meets_thresholds"), "factual")));
    assert_int_equal(json_array_size(json_object_get(m, "scorers")), 5);
    json_t *e0 = json_array_get(json_object_get(m, "scorers"), 0);
    assert_string_equal(json_string_value(json_object_get(e0, "version")), "9.9.9");
    assert_true(json_is_integer(json_object_get(e0, "duration_us")));
    json_decref(m);

    /* engagement weight 0 in the config: (0.805 - 0.05) / 0.9 = 0.838889 -> 0.839; factual threshold 0.95 fails */
    struct lf_quality_config cfg;
    lf_quality_config_defaults(&cfg);
    json_t *w = json_pack("{s:f}", "engagement", 0.0);
    cfg.weights = w;
    cfg.threshold_factual = 0.95;
    m = lf_quality_assess(sc, 5, &cfg, "study_guide", "general", content, NULL, NULL, 1, NULL, "", &overall, &all);
    assert_float_equal(overall, 0.839, 1e-9);
    assert_int_equal(all, 0);
    assert_true(json_is_false(json_object_get(json_object_get(m, "meets_thresholds"), "factual")));
    assert_true(json_is_true(json_object_get(json_object_get(m, "meets_thresholds"), "overall")));
    json_decref(m);
    json_decref(w);

    /* weight_override on the engagement scorer (weight 0.4): (0.755 + 0.4*0.5)/(0.9 + 0.4) = 0.734615 -> 0.735 */
    sc[4].weight_override = 0.4;
    m = lf_quality_assess(sc, 5, NULL, "study_guide", "general", content, NULL, NULL, 1, NULL, "", &overall, &all);
    assert_float_equal(overall, 0.735, 1e-9);
    json_decref(m);

    /* two scorers reporting the same dimension are averaged: engagement (0.5 + 0.9)/2 = 0.7 ->
     * 0.24 + 0.225 + 0.14 + 0.15 + 0.1*0.7 = 0.825 */
    struct fixed extra = {"engagement", 0.9};
    struct lf_quality_scorer sc6[6];
    memcpy(sc6, sc, sizeof(sc));
    sc6[4].weight_override = 0;
    sc6[5] = (struct lf_quality_scorer){"engagement2", NULL, &fixed_desc, &extra, 0};
    m = lf_quality_assess(sc6, 6, NULL, "study_guide", "general", content, NULL, NULL, 1, NULL, "", &overall, &all);
    assert_float_equal(json_real_value(json_object_get(m, "engagement")), 0.7, 1e-9);
    assert_float_equal(overall, 0.825, 1e-9);
    json_decref(m);

    /* no scorers at all: overall 0, nothing met, dimensions null */
    m = lf_quality_assess(NULL, 0, NULL, "study_guide", "general", content, NULL, NULL, 1, NULL, "", &overall, &all);
    assert_float_equal(overall, 0.0, 1e-9);
    assert_int_equal(all, 0);
    assert_true(json_is_null(json_object_get(m, "factual_accuracy")));
    json_decref(m);
    json_decref(content);
}

static void test_misbehaving_contained(void **unused)
{
    (void)unused;
    struct th_plugin p[4];
    const char *names[3] = {"nan", "over1", "error"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(th_load(BAD_DIR, names[i], &p[i]), 0);
    assert_int_equal(th_load(SCORER_DIR, "engagement", &p[3]), 0);
    struct lf_quality_scorer sc[5];
    for (size_t i = 0; i < 4; i++)
        sc[i] = (struct lf_quality_scorer){p[i].desc->name, NULL, p[i].desc, p[i].state, 0};
    /* a scorer without a score callback is reported too */
    static const struct lf_plugin_descriptor empty = {.struct_size = sizeof(struct lf_plugin_descriptor),
                                                      .name = "empty", .version = "1.0.0"};
    sc[4] = (struct lf_quality_scorer){"empty", NULL, &empty, NULL, 0};

    json_t *content = content_min();
    const char *text = "Have you ever seen a rainbow? For example, after rain you can see one in real life.";
    double overall;
    int all;
    json_t *m = lf_quality_assess(sc, 5, NULL, "faq_collection", "general", content, NULL, NULL, 1, NULL, text,
                                  &overall, &all);
    json_t *list = json_object_get(m, "scorers");
    assert_int_equal(json_array_size(list), 5);
    for (size_t i = 0; i < 3; i++) {
        json_t *e = json_array_get(list, i);
        assert_string_equal(json_string_value(json_object_get(e, "name")), names[i]);
        assert_true(json_is_string(json_object_get(e, "error")));
        assert_true(json_is_true(json_object_get(e, "excluded")));
        assert_null(json_object_get(e, "scores"));
    }
    assert_true(json_is_string(json_object_get(json_array_get(list, 4), "error")));
    assert_null(json_object_get(json_array_get(list, 3), "error"));
    /* the bad scorers' details are not merged; only engagement's value counts (0.938235, see test_scorers.c) */
    assert_null(json_object_get(m, "bad"));
    assert_float_equal(json_real_value(json_object_get(m, "engagement")), 0.938, 1e-9);
    /* overall = the only weighted dimension present */
    assert_float_equal(overall, 0.938, 1e-9);
    assert_int_equal(all, 0); /* educational and factual missing */
    json_decref(m);
    json_decref(content);
    for (size_t i = 0; i < 4; i++)
        th_unload(&p[i]);
}

static void test_real_pipeline(void **unused)
{
    (void)unused;
    const char *names[5] = {"readability", "structure", "pedagogy", "engagement", "factuality"};
    struct th_plugin p[5];
    struct lf_quality_scorer sc[5];
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(th_load(SCORER_DIR, names[i], &p[i]), 0);
        sc[i] = (struct lf_quality_scorer){names[i], NULL, p[i].desc, p[i].state, 0};
    }
    json_t *content = json_loads(
        "{\"title\":\"Plants FAQ\",\"items\":["
        "{\"question\":\"What is a leaf?\",\"answer\":\"A leaf is the part of a plant that makes food from light.\"},"
        "{\"question\":\"Why are leaves green?\",\"answer\":\"They contain chlorophyll, for example in every cell.\"},"
        "{\"question\":\"Do roots drink?\",\"answer\":\"Roots absorb water from the soil you walk on.\"},"
        "{\"question\":\"What is a stem?\",\"answer\":\"A stem holds the plant up and carries water.\"},"
        "{\"question\":\"Can plants move?\",\"answer\":\"Yes, slowly: they turn toward light in real life.\"}]}",
        0, NULL);
    assert_non_null(content);
    double overall;
    int all;
    /* plain_text NULL: the pipeline's fallback extraction is used */
    json_t *m = lf_quality_assess(sc, 5, NULL, "faq_collection", "elementary", content, NULL, NULL, 1, NULL, NULL,
                                  &overall, &all);
    const char *dims[5] = {"overall_quality_score", "educational_effectiveness", "factual_accuracy",
                           "age_appropriateness", "structural_quality"};
    for (size_t i = 0; i < 5; i++) {
        double v = json_real_value(json_object_get(m, dims[i]));
        assert_true(json_is_real(json_object_get(m, dims[i])));
        assert_true(v >= 0 && v <= 1);
    }
    assert_true(json_is_real(json_object_get(m, "engagement")));
    assert_true(json_integer_value(json_object_get(json_object_get(m, "readability"), "words")) > 40);
    assert_non_null(json_object_get(json_object_get(m, "cognitive_load"), "germane"));
    assert_float_equal(json_real_value(json_object_get(m, "structural_quality")), 1.0, 1e-9);
    json_t *list = json_object_get(m, "scorers");
    assert_int_equal(json_array_size(list), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *e = json_array_get(list, i);
        assert_null(json_object_get(e, "error"));
        assert_string_equal(json_string_value(json_object_get(e, "version")), "1.0.0");
        assert_true(json_is_object(json_object_get(e, "details")));
    }
    /* deterministic apart from durations */
    json_t *m2 = lf_quality_assess(sc, 5, NULL, "faq_collection", "elementary", content, NULL, NULL, 1, NULL, NULL,
                                   NULL, NULL);
    assert_true(json_equal(json_object_get(m, "dimensions"), json_object_get(m2, "dimensions")));
    json_decref(m2);
    json_decref(m);
    json_decref(content);
    for (size_t i = 0; i < 5; i++)
        th_unload(&p[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weighted_overall),
        cmocka_unit_test(test_misbehaving_contained),
        cmocka_unit_test(test_real_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
