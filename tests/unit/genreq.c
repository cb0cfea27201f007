/*
 * tests/unit/genreq.c - generation request validation: every rule, with its field named
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "genreq.h"
#include "mem.h"

static int known(void *ud, const char *id)
{
    (void)ud;
    return strcmp(id, "study_guide") == 0 || strcmp(id, "flashcards") == 0 || strcmp(id, "faq_collection") == 0;
}

/* Expect a 400 naming `field` whose message contains `msg`. */
static void bad(int batch, const char *body, const char *field, const char *msg)
{
    struct lf_genreq r;
    json_t *err = NULL;
    assert_int_equal(lf_genreq_parse(body, strlen(body), batch, known, NULL, &r, &err), LF_EINVAL);
    assert_non_null(err);
    assert_string_equal(json_string_value(json_object_get(err, "code")), "INVALID_REQUEST");
    const char *m = json_string_value(json_object_get(err, "message"));
    const char *f = json_string_value(json_object_get(json_object_get(err, "details"), "field"));
    if (f == NULL || strcmp(f, field) != 0) {
        fail_msg("body %s: field %s, expected %s (message %s)", body, f ? f : "(none)", field, m);
    }
    if (strstr(m, msg) == NULL) {
        fail_msg("body %s: message \"%s\" lacks \"%s\"", body, m, msg);
    }
    /* style: lower-case start, no trailing period, names the field */
    assert_true(m[0] >= 'a' && m[0] <= 'z');
    assert_true(m[strlen(m) - 1] != '.');
    assert_non_null(strstr(m, field));
    assert_null(r.topic);
    json_decref(err);
}

static void good(int batch, const char *body, struct lf_genreq *r)
{
    json_t *err = NULL;
    enum lf_err rc = lf_genreq_parse(body, strlen(body), batch, known, NULL, r, &err);
    if (rc != LF_OK) {
        char *s = json_dumps(err, 0);
        fail_msg("body %s refused: %s", body, s);
    }
    assert_null(err);
}

static void test_defaults(void **state)
{
    struct lf_genreq r;
    (void)state;
    good(0, "{\"topic\":\"  Photosynthesis in Plants \\n\",\"unknown\":{\"x\":1},\"content_types\":5}", &r);
    assert_string_equal(r.topic, "Photosynthesis in Plants");
    assert_string_equal(r.age_group, "general");
    assert_null(r.additional_requirements);
    assert_null(r.learning_objectives);
    assert_null(r.provider);
    assert_true(r.max_cost_usd < 0);
    assert_int_equal(r.reject_gate, 0);
    assert_int_equal(r.n_content_types, 0);
    lf_genreq_clear(&r);
    lf_genreq_clear(&r); /* idempotent */
    lf_genreq_clear(NULL);
}

static void test_full(void **state)
{
    struct lf_genreq r;
    (void)state;
    good(0,
         "{\"topic\":\"Photosynthesis\",\"age_group\":\"high_school\",\"additional_requirements\":\" Include lab "
         "activities \",\"learning_objectives\":[{\"cognitive_level\":\"applying\",\"subject_area\":\"Biology\","
         "\"specific_skill\":\"s\",\"measurable_outcome\":\"o\",\"extra\":1},{\"cognitive_level\":\"creating\","
         "\"subject_area\":\"B\",\"specific_skill\":\"s\",\"measurable_outcome\":\"o\",\"difficulty_level\":9.0}],"
         "\"provider\":\"anthropic\",\"max_cost_usd\":0.05,\"quality_gate\":\"reject\"}",
         &r);
    assert_string_equal(r.age_group, "high_school");
    assert_string_equal(r.additional_requirements, "Include lab activities");
    assert_int_equal(json_array_size(r.learning_objectives), 2);
    json_t *o = json_array_get(r.learning_objectives, 0);
    assert_int_equal(json_object_size(o), 5); /* normalised: "extra" dropped, difficulty filled */
    assert_int_equal(json_integer_value(json_object_get(o, "difficulty_level")), 5);
    assert_true(json_is_integer(json_object_get(json_array_get(r.learning_objectives, 1), "difficulty_level")));
    assert_string_equal(r.provider, "anthropic");
    assert_true(r.max_cost_usd == 0.05);
    assert_int_equal(r.reject_gate, 1);
    lf_genreq_clear(&r);
    /* nulls are absent; best_effort explicit; 500 code points of multibyte text */
    good(0, "{\"topic\":\"abc\",\"age_group\":null,\"provider\":null,\"quality_gate\":\"best_effort\"}", &r);
    assert_string_equal(r.age_group, "general");
    lf_genreq_clear(&r);
}

static void test_topic(void **state)
{
    char body[4096];
    struct lf_genreq r;
    (void)state;
    bad(0, "{}", "topic", "topic is required");
    bad(0, "{\"topic\":null}", "topic", "topic is required");
    bad(0, "{\"topic\":123}", "topic", "topic must be a string");
    bad(0, "{\"topic\":[\"x\"]}", "topic", "topic must be a string");
    bad(0, "{\"topic\":\"  ab  \"}", "topic", "topic must be between 3 and 500 characters");
    /* 500 two-byte characters pass, 501 fail: lengths are code points */
    strcpy(body, "{\"topic\":\"");
    for (int i = 0; i < 500; i++) {
        strcat(body, "\xc3\xa9");
    }
    strcat(body, "\"}");
    good(0, body, &r);
    lf_genreq_clear(&r);
    body[strlen(body) - 2] = '\0';
    strcat(body, "\xc3\xa9\"}");
    bad(0, body, "topic", "topic must be between 3 and 500 characters");
    {
        json_t *err = NULL;
        assert_int_equal(lf_genreq_parse("{\"topic\":\"ab\"}", 14, 0, NULL, NULL, &r, &err), LF_EINVAL);
        json_t *d = json_object_get(err, "details");
        assert_int_equal(json_integer_value(json_object_get(d, "provided_length")), 2);
        assert_int_equal(json_integer_value(json_object_get(d, "min_length")), 3);
        assert_int_equal(json_integer_value(json_object_get(d, "max_length")), 500);
        json_decref(err);
    }
    bad(0, "{\"topic\":\"abc\\u0001def\"}", "topic", "topic must not contain control characters");
    bad(0, "{\"topic\":\"abc\\rdef\"}", "topic", "topic must not contain control characters");
    bad(0, "{\"topic\":\"abc\\u0085def\"}", "topic", "topic must not contain control characters");
    good(0, "{\"topic\":\"abc\\n\\tdef\"}", &r);
    lf_genreq_clear(&r);
}

static void test_age_group(void **state)
{
    (void)state;
    bad(0, "{\"topic\":\"abc\",\"age_group\":\"kindergarten\"}", "age_group",
        "age_group must be one of elementary, middle_school, high_school, college, adult_learning, general");
    bad(0, "{\"topic\":\"abc\",\"age_group\":3}", "age_group", "age_group must be one of");
}

static void test_additional_requirements(void **state)
{
    char body[2200];
    (void)state;
    strcpy(body, "{\"topic\":\"abc\",\"additional_requirements\":\"");
    for (int i = 0; i < 1001; i++) {
        strcat(body, "x");
    }
    strcat(body, "\"}");
    bad(0, body, "additional_requirements", "additional_requirements must be at most 1000 characters");
    bad(0, "{\"topic\":\"abc\",\"additional_requirements\":7}", "additional_requirements",
        "additional_requirements must be a string");
    bad(0, "{\"topic\":\"abc\",\"additional_requirements\":\"a\\u0007b\"}", "additional_requirements",
        "must not contain control characters");
}

#define OBJ(extra) \
    "{\"topic\":\"abc\",\"learning_objectives\":[{\"cognitive_level\":\"applying\",\"subject_area\":\"B\"," \
    "\"specific_skill\":\"s\",\"measurable_outcome\":\"o\"}," extra "]}"

static void test_learning_objectives(void **state)
{
    char body[4096];
    (void)state;
    bad(0, "{\"topic\":\"abc\",\"learning_objectives\":{}}", "learning_objectives",
        "learning_objectives must be an array");
    strcpy(body, "{\"topic\":\"abc\",\"learning_objectives\":[");
    for (int i = 0; i < 11; i++) {
        strcat(body, i ? ",{}" : "{}");
    }
    strcat(body, "]}");
    bad(0, body, "learning_objectives", "learning_objectives must have at most 10 items");
    bad(0, OBJ("5"), "learning_objectives[1]", "learning_objectives[1] must be an object");
    bad(0, OBJ("{\"subject_area\":\"B\",\"specific_skill\":\"s\",\"measurable_outcome\":\"o\"}"),
        "learning_objectives[1].cognitive_level", "learning_objectives[1].cognitive_level is required");
    bad(0, OBJ("{\"cognitive_level\":\"memorising\",\"subject_area\":\"B\",\"specific_skill\":\"s\",\"measurable_"
               "outcome\":\"o\"}"),
        "learning_objectives[1].cognitive_level",
        "learning_objectives[1].cognitive_level must be one of remembering, understanding, applying, analyzing, "
        "evaluating, creating");
    bad(0, OBJ("{\"cognitive_level\":\"applying\",\"subject_area\":\"\",\"specific_skill\":\"s\",\"measurable_"
               "outcome\":\"o\"}"),
        "learning_objectives[1].subject_area", "learning_objectives[1].subject_area must be between 1 and 100");
    bad(0, OBJ("{\"cognitive_level\":\"applying\",\"subject_area\":\"B\",\"measurable_outcome\":\"o\"}"),
        "learning_objectives[1].specific_skill", "learning_objectives[1].specific_skill is required");
    bad(0, OBJ("{\"cognitive_level\":\"applying\",\"subject_area\":\"B\",\"specific_skill\":\"s\","
               "\"measurable_outcome\":3}"),
        "learning_objectives[1].measurable_outcome", "learning_objectives[1].measurable_outcome must be a string");
    bad(0, OBJ("{\"cognitive_level\":\"applying\",\"subject_area\":\"B\",\"specific_skill\":\"s\","
               "\"measurable_outcome\":\"o\",\"difficulty_level\":11}"),
        "learning_objectives[1].difficulty_level", "learning_objectives[1].difficulty_level must be between 1 and 10");
    bad(0, OBJ("{\"cognitive_level\":\"applying\",\"subject_area\":\"B\",\"specific_skill\":\"s\","
               "\"measurable_outcome\":\"o\",\"difficulty_level\":2.5}"),
        "learning_objectives[1].difficulty_level", "learning_objectives[1].difficulty_level must be an integer");
    bad(0, OBJ("{\"cognitive_level\":\"applying\",\"subject_area\":\"B\",\"specific_skill\":\"s\","
               "\"measurable_outcome\":\"o\",\"difficulty_level\":true}"),
        "learning_objectives[1].difficulty_level", "must be an integer");
    /* lengths: specific_skill 200, measurable_outcome 300 */
    strcpy(body, "{\"topic\":\"abc\",\"learning_objectives\":[{\"cognitive_level\":\"applying\",\"subject_area\":"
                 "\"B\",\"measurable_outcome\":\"o\",\"specific_skill\":\"");
    for (int i = 0; i < 201; i++) {
        strcat(body, "s");
    }
    strcat(body, "\"}]}");
    bad(0, body, "learning_objectives[0].specific_skill", "must be between 1 and 200 characters");
}

static void test_provider_cost_gate(void **state)
{
    (void)state;
    bad(0, "{\"topic\":\"abc\",\"provider\":1}", "provider", "provider must be a string");
    bad(0, "{\"topic\":\"abc\",\"provider\":\"\"}", "provider", "provider must be between 1 and 64 characters");
    bad(0, "{\"topic\":\"abc\",\"max_cost_usd\":\"1\"}", "max_cost_usd", "max_cost_usd must be a number");
    bad(0, "{\"topic\":\"abc\",\"max_cost_usd\":true}", "max_cost_usd", "max_cost_usd must be a number");
    bad(0, "{\"topic\":\"abc\",\"max_cost_usd\":-0.01}", "max_cost_usd",
        "max_cost_usd must be greater than or equal to 0");
    bad(0, "{\"topic\":\"abc\",\"quality_gate\":\"strict\"}", "quality_gate",
        "quality_gate must be one of best_effort, reject");
}

static void test_body(void **state)
{
    char deep[200] = "{\"topic\":\"abc\",\"x\":";
    char ok[200] = "{\"topic\":\"abc\",\"x\":";
    struct lf_genreq r;
    (void)state;
    bad(0, "", "body", "request body must be a json object");
    bad(0, "[1]", "body", "request body must be a json object");
    bad(0, "{\"topic\":", "body", "request body is not valid json");
    bad(0, "{\"topic\":\"ab\xff\"}", "body", "request body must be valid utf-8");
    /* depth 33 (the body object is level 1) is refused, 32 accepted */
    for (int i = 0; i < 32; i++) {
        strcat(deep, "[");
    }
    for (int i = 0; i < 32; i++) {
        strcat(deep, "]");
    }
    strcat(deep, "}");
    bad(0, deep, "body", "request body nests deeper than 32 levels");
    for (int i = 0; i < 31; i++) {
        strcat(ok, "[");
    }
    for (int i = 0; i < 31; i++) {
        strcat(ok, "]");
    }
    strcat(ok, "}");
    good(0, ok, &r);
    lf_genreq_clear(&r);
    assert_int_equal(lf_genreq_json_depth("{\"a\":\"[[[{{{\"}", 13), 1);
}

static void test_batch(void **state)
{
    struct lf_genreq r;
    (void)state;
    good(1, "{\"topic\":\"abc\",\"content_types\":[\"study_guide\",\"flashcards\"]}", &r);
    assert_int_equal(r.n_content_types, 2);
    assert_string_equal(r.content_types[0], "study_guide");
    assert_string_equal(r.content_types[1], "flashcards");
    lf_genreq_clear(&r);
    bad(1, "{\"topic\":\"abc\"}", "content_types", "content_types is required");
    bad(1, "{\"topic\":\"abc\",\"content_types\":\"study_guide\"}", "content_types",
        "content_types must be an array");
    bad(1, "{\"topic\":\"abc\",\"content_types\":[]}", "content_types",
        "content_types must contain between 1 and 8 items");
    bad(1, "{\"topic\":\"abc\",\"content_types\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}",
        "content_types", "content_types must contain between 1 and 8 items");
    bad(1, "{\"topic\":\"abc\",\"content_types\":[\"study_guide\",3]}", "content_types[1]",
        "content_types[1] must be a string");
    bad(1, "{\"topic\":\"abc\",\"content_types\":[\"flashcards\",\"flashcards\"]}", "content_types",
        "content_types must not contain duplicates");
    bad(1, "{\"topic\":\"abc\",\"content_types\":[\"flashcards\",\"batch\"]}", "content_types",
        "content_types contains an unknown content type \"batch\"");
    /* the topic is checked before the types */
    bad(1, "{\"topic\":\"a\",\"content_types\":[]}", "topic", "topic must be between");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_full),
        cmocka_unit_test(test_topic),         cmocka_unit_test(test_age_group),
        cmocka_unit_test(test_additional_requirements), cmocka_unit_test(test_learning_objectives),
        cmocka_unit_test(test_provider_cost_gate), cmocka_unit_test(test_body),
        cmocka_unit_test(test_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
