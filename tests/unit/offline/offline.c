/*
 * tests/unit/offline/offline.c - the offline provider .so: every type and age group validates against its schema
 * SPDX-License-Identifier: MIT
 *
 * Loads the real build output LF_BUILD_DIR/lib/lafactoria/providers/offline.so with dlopen and a small
 * fake host API (tests/unit/common/fake_host.c), the way the core does, and checks its output with the
 * core's own validator.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "content_types.h"
#include "mem.h"
#include "plaintext.h"
#include "prompt.h"
#include "repair.h"
#include "schema.h"

#include "../common/fake_host.h"

#define SO_PATH LF_BUILD_DIR "/lib/lafactoria/providers/offline.so"

static const char *const ages[] = {"elementary", "middle_school", "high_school", "college", "adult_learning",
                                   "general"};

static void *so;
static const struct lf_plugin_descriptor *desc;
static void *pstate;
static struct lf_content_types *reg;

static int setup(void **state)
{
    char err[512];
    lf_plugin_entry_fn entry;
    struct lf_plugin_init_args args = {sizeof(args), fake_host(), "offline", NULL, "{}", 2};
    (void)state;
    so = dlopen(SO_PATH, RTLD_NOW | RTLD_LOCAL);
    if (so == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", SO_PATH, dlerror());
        return -1;
    }
    *(void **)(&entry) = dlsym(so, "lf_plugin_entry");
    if (entry == NULL) {
        return -1;
    }
    desc = entry();
    if (lf_content_types_load(LF_SOURCE_DIR "/config/content_types", &reg, err, sizeof(err)) != LF_OK) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return desc->init(&args, &pstate) == LF_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    desc->destroy(pstate);
    lf_content_types_free(reg);
    dlclose(so);
    return 0;
}

static void free_result(struct lf_gen_result *r)
{
    fake_host()->free(r->text);
    fake_host()->free(r->model);
    fake_host()->free(r->finish_reason);
    fake_host()->free(r->error_message);
    memset(r, 0, sizeof(*r));
}

/* Generate `t` and return the parsed content (new reference); checks the result fields on the way. */
static json_t *generate(const struct lf_content_type *t, const char *topic, const char *age, const char *reqs,
                        const char *objectives_json)
{
    struct lf_gen_request req;
    struct lf_gen_result res;
    json_t *objs = objectives_json ? json_loads(objectives_json, 0, NULL) : NULL;
    char *prompt = lf_prompt_render(t, topic, age, reqs, objs);
    const char *method = NULL;
    json_t *content;

    memset(&req, 0, sizeof(req));
    memset(&res, 0, sizeof(res));
    req.struct_size = sizeof(req);
    res.struct_size = sizeof(res);
    req.request_id = "test";
    req.content_type = t->id;
    req.age_group = age;
    req.topic = topic;
    req.additional_requirements = reqs;
    req.learning_objectives_json = objectives_json;
    req.system_prompt = t->system_prompt;
    req.system_prompt_len = strlen(t->system_prompt);
    req.prompt = prompt;
    req.prompt_len = strlen(prompt);
    req.output_schema_json = t->schema_json;
    req.output_schema_json_len = t->schema_json_len;
    req.max_tokens = t->max_tokens;
    req.temperature = -1;
    req.top_p = -1;
    req.attempt = 1;
    assert_int_equal(desc->generate(pstate, &req, &res), LF_OK);
    assert_int_equal(res.failure, LF_FAILURE_NONE);
    assert_non_null(res.text);
    assert_int_equal(strlen(res.text), res.text_len);
    assert_string_equal(res.model, "offline-1");
    assert_string_equal(res.finish_reason, "stop");
    assert_true(res.cost_usd == 0);
    assert_int_equal(res.usage.estimated, 1);
    assert_int_equal(res.usage.completion_tokens, (res.text_len + 3) / 4);
    assert_int_equal(res.usage.prompt_tokens, (req.system_prompt_len + req.prompt_len + 3) / 4);
    assert_int_equal(res.delay_ms, 0);
    content = lf_repair_parse(res.text, res.text_len, &method);
    assert_non_null(content);
    assert_string_equal(method, "direct");
    free_result(&res);
    lf_free(prompt);
    json_decref(objs);
    return content;
}

static void assert_valid(const struct lf_content_type *t, const json_t *content, const char *age)
{
    json_t *errs = NULL;
    if (!lf_schema_validate(t->schema, content, &errs)) {
        char *e = json_dumps(errs, 0);
        fail_msg("%s / %s does not validate: %s", t->id, age, e);
    }
    json_decref(errs);
}

static const char *objectives_json =
    "[{\"cognitive_level\":\"applying\",\"subject_area\":\"Biology\",\"specific_skill\":\"Measure leaf oxygen "
    "output\",\"measurable_outcome\":\"Records three trials\",\"difficulty_level\":5}]";

static void test_all_types_all_ages(void **state)
{
    (void)state;
    assert_int_equal(lf_content_types_count(reg), 8);
    for (size_t i = 0; i < lf_content_types_count(reg); i++) {
        const struct lf_content_type *t = lf_content_types_at(reg, i);
        for (size_t a = 0; a < sizeof(ages) / sizeof(ages[0]); a++) {
            /* plain request */
            json_t *c = generate(t, "Photosynthesis in Plants", ages[a], NULL, NULL);
            char *text = json_dumps(c, 0), *plain = lf_plaintext_extract(c);
            assert_valid(t, c, ages[a]);
            assert_non_null(strstr(text, "Photosynthesis in Plants"));
            assert_true(strlen(plain) > 200);
            lf_free(plain);
            free(text);
            json_decref(c);
            /* with requirements and objectives: both reflected */
            c = generate(t, "Photosynthesis in Plants", ages[a], "Include lab activities", objectives_json);
            text = json_dumps(c, 0);
            assert_valid(t, c, ages[a]);
            if (strstr(text, "Include lab activities") == NULL) {
                fail_msg("%s / %s ignores the additional requirements", t->id, ages[a]);
            }
            if (strstr(text, "Measure leaf oxygen output") == NULL) {
                fail_msg("%s / %s ignores the learning objectives", t->id, ages[a]);
            }
            free(text);
            json_decref(c);
        }
    }
    assert_int_equal(fake_host_live_allocs(), 1); /* only the plugin state is alive */
}

/* Words per sentence of the content's prose. */
static double words_per_sentence(const json_t *c)
{
    char *plain = lf_plaintext_extract(c);
    size_t words = 0, sentences = 0;
    int in = 0;
    for (const char *p = plain; *p != '\0'; p++) {
        int sp = *p == ' ' || *p == '\n';
        if (!sp && !in) {
            words++;
        }
        in = !sp;
        if (*p == '.' || *p == '?' || *p == '!') {
            sentences++;
        }
    }
    lf_free(plain);
    return sentences ? (double)words / (double)sentences : 0;
}

static void test_age_groups_differ(void **state)
{
    (void)state;
    for (size_t i = 0; i < lf_content_types_count(reg); i++) {
        const struct lf_content_type *t = lf_content_types_at(reg, i);
        json_t *young = generate(t, "Volcanoes", "elementary", NULL, NULL);
        json_t *old = generate(t, "Volcanoes", "college", NULL, NULL);
        json_t *adult = generate(t, "Volcanoes", "adult_learning", NULL, NULL);
        double wy = words_per_sentence(young), wo = words_per_sentence(old);
        assert_false(json_equal(young, old));
        assert_false(json_equal(adult, old));
        if (!(wy < wo)) {
            fail_msg("%s: elementary %.1f words per sentence, college %.1f", t->id, wy, wo);
        }
        json_decref(young);
        json_decref(old);
        json_decref(adult);
    }
}

static void test_deterministic(void **state)
{
    const struct lf_content_type *t = lf_content_types_find(reg, "study_guide");
    json_t *a = generate(t, "Fractions", "middle_school", "Use pizza examples", objectives_json);
    json_t *b = generate(t, "Fractions", "middle_school", "Use pizza examples", objectives_json);
    (void)state;
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
}

static void test_ninth_type_from_schema(void **state)
{
    struct lf_content_type g;
    const char *schema_txt =
        "{\"type\":\"object\",\"required\":[\"title\",\"entries\",\"quiz\"],\"properties\":{"
        "\"title\":{\"type\":\"string\",\"maxLength\":40},"
        "\"entries\":{\"type\":\"array\",\"minItems\":12,\"maxItems\":12,\"items\":{\"type\":\"object\","
        "\"required\":[\"word\",\"meaning\",\"level\",\"rank\"],\"additionalProperties\":false,"
        "\"properties\":{\"word\":{\"type\":\"string\",\"minLength\":2},"
        "\"meaning\":{\"type\":\"string\",\"minLength\":400},"
        "\"level\":{\"enum\":[\"basic\",\"advanced\"]},\"rank\":{\"type\":\"integer\",\"minimum\":5,\"maximum\":9},"
        "\"score\":{\"type\":\"number\",\"minimum\":0.5}}}},"
        "\"quiz\":{\"type\":\"array\",\"minItems\":2,\"items\":{\"type\":\"string\",\"pattern\":\"\\\\?$\","
        "\"maxLength\":30}},"
        "\"flags\":{\"type\":[\"boolean\",\"null\"]},"
        "\"either\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}}}";
    char err[256];
    json_t *c;
    (void)state;
    memset(&g, 0, sizeof(g));
    g.id = (char *)(uintptr_t) "glossary";
    g.name = (char *)(uintptr_t) "Glossary";
    g.system_prompt = (char *)(uintptr_t) "system";
    g.prompt_template = (char *)(uintptr_t) "{{topic}} {{age_guidance}}";
    g.schema = json_loads(schema_txt, 0, NULL);
    assert_non_null(g.schema);
    assert_int_equal(lf_schema_check(g.schema, err, sizeof(err)), LF_OK);
    g.schema_json = json_dumps(g.schema, JSON_COMPACT);
    g.schema_json_len = strlen(g.schema_json);
    for (size_t a = 0; a < sizeof(ages) / sizeof(ages[0]); a++) {
        c = generate(&g, "Plate Tectonics and the Slow Movement of the Continents", ages[a], NULL, NULL);
        assert_valid(&g, c, ages[a]);
        assert_int_equal(json_array_size(json_object_get(c, "entries")), 12);
        json_decref(c);
    }
    free(g.schema_json);
    json_decref(g.schema);
}

static void test_chat(void **state)
{
    struct lf_gen_request req;
    struct lf_gen_result res;
    const char *msgs = "[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"hello\"}]";
    (void)state;
    memset(&req, 0, sizeof(req));
    memset(&res, 0, sizeof(res));
    req.struct_size = sizeof(req);
    res.struct_size = sizeof(res);
    req.messages_json = msgs;
    req.messages_json_len = strlen(msgs);
    assert_int_equal(desc->generate(pstate, &req, &res), LF_OK);
    assert_int_equal(res.failure, LF_FAILURE_NONE);
    assert_non_null(strstr(res.text, "offline provider"));
    assert_non_null(strstr(res.text, "You sent 2 message(s); the last user message has 5 characters"));
    assert_string_equal(res.model, "offline-1");
    assert_int_equal(res.usage.estimated, 1);
    assert_int_equal(res.usage.prompt_tokens, (strlen(msgs) + 3) / 4);
    free_result(&res);
}

static void test_descriptor_and_models(void **state)
{
    const struct lf_model_info *m = NULL;
    (void)state;
    assert_int_equal(desc->struct_size, sizeof(struct lf_plugin_descriptor));
    assert_int_equal(desc->abi_major, LF_PLUGIN_ABI_MAJOR);
    assert_int_equal(desc->kind, LF_PLUGIN_KIND_PROVIDER);
    assert_string_equal(desc->name, "offline");
    assert_null(desc->build_request);
    assert_non_null(desc->generate);
    assert_int_equal(desc->models(pstate, &m), 1);
    assert_string_equal(m[0].id, "offline-1");
    assert_true(m[0].input_usd_per_mtok == 0 && m[0].output_usd_per_mtok == 0);
    assert_int_equal(desc->self_test(pstate), LF_OK);
    /* only the entry point is exported */
    assert_null(dlsym(so, "offline_style_for"));
}

static void test_speed(void **state)
{
    enum { N = 200 };
    (void)state;
    for (size_t i = 0; i < lf_content_types_count(reg); i++) {
        const struct lf_content_type *t = lf_content_types_at(reg, i);
        struct lf_gen_request req;
        struct lf_gen_result res;
        uint64_t t0, dt, best = UINT64_MAX;
        memset(&req, 0, sizeof(req));
        req.struct_size = sizeof(req);
        req.content_type = t->id;
        req.age_group = "high_school";
        req.topic = "Photosynthesis in Plants";
        req.additional_requirements = "Include lab activities";
        req.learning_objectives_json = objectives_json;
        req.output_schema_json = t->schema_json;
        req.output_schema_json_len = t->schema_json_len;
        t0 = fake_host()->now_ns();
        for (int k = 0; k < N; k++) {
            uint64_t t1 = fake_host()->now_ns(), d;
            memset(&res, 0, sizeof(res));
            res.struct_size = sizeof(res);
            assert_int_equal(desc->generate(pstate, &req, &res), LF_OK);
            free_result(&res);
            d = fake_host()->now_ns() - t1;
            best = d < best ? d : best;
        }
        dt = (fake_host()->now_ns() - t0) / N;
        printf("offline generate %-26s mean %6.1f us, best %6.1f us per generation\n", t->id, (double)dt / 1000.0,
               (double)best / 1000.0);
        /* informational only: the speed target is checked by bench/ (lf-bench-pipeline), not by a timed test */
    }
}

static int latency_number(const void *cfg, const char *key, double *out)
{
    if (strcmp(key, "latency_ms") != 0) {
        return 0;
    }
    *out = *(const double *)cfg;
    return 1;
}

static void test_latency_config(void **state)
{
    struct lf_host_api h2 = *fake_host();
    double latency = 25;
    struct lf_plugin_init_args args = {sizeof(args), &h2, "offline-slow", &latency, "{\"latency_ms\":25}", 17};
    void *st2 = NULL;
    struct lf_gen_request req;
    struct lf_gen_result res;
    (void)state;
    h2.config_number = latency_number;
    assert_int_equal(desc->init(&args, &st2), LF_OK);
    memset(&req, 0, sizeof(req));
    memset(&res, 0, sizeof(res));
    req.struct_size = sizeof(req);
    res.struct_size = sizeof(res);
    req.content_type = "flashcards";
    req.topic = "Tides";
    assert_int_equal(desc->generate(st2, &req, &res), LF_OK);
    assert_int_equal(res.delay_ms, 25);
    free_result(&res);
    desc->destroy(st2);
    latency = -1;
    st2 = NULL;
    assert_int_equal(desc->init(&args, &st2), LF_ECONFIG);
    assert_null(st2);
    /* a type it does not know and no schema: a failed attempt, not a crash */
    req.content_type = "unknown_type";
    memset(&res, 0, sizeof(res));
    res.struct_size = sizeof(res);
    assert_int_equal(desc->generate(pstate, &req, &res), LF_OK);
    assert_int_equal(res.failure, LF_FAILURE_INVALID_RESPONSE);
    assert_null(res.text);
    assert_non_null(strstr(res.error_message, "output schema"));
    free_result(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_types_all_ages), cmocka_unit_test(test_age_groups_differ),
        cmocka_unit_test(test_deterministic),      cmocka_unit_test(test_ninth_type_from_schema),
        cmocka_unit_test(test_chat),               cmocka_unit_test(test_descriptor_and_models),
        cmocka_unit_test(test_latency_config),     cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
