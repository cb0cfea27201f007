/*
 * tests/unit/content_types.c - loading content types as data: the eight, a ninth folder, and refusals
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "content_types.h"
#include "mem.h"
#include "plaintext.h"
#include "schema.h"

#define REAL_DIR LF_SOURCE_DIR "/config/content_types"

static const char *const eight[] = {"master_content_outline", "podcast_script", "study_guide",
                                    "one_pager_summary",      "detailed_reading_material", "faq_collection",
                                    "flashcards",             "reading_guide_questions"};

static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = lf_asprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    lf_free(path);
}

static void sh(const char *cmd)
{
    assert_int_equal(system(cmd), 0);
}

/* A fresh temp copy of the real folder; returns its path (lf_free). */
static char *copy_real(void)
{
    char tmpl[] = "/tmp/lf-ct-XXXXXX";
    char *cmd;
    assert_non_null(mkdtemp(tmpl));
    cmd = lf_asprintf("cp -r '%s'/. '%s'/", REAL_DIR, tmpl);
    sh(cmd);
    lf_free(cmd);
    return lf_strdup(tmpl);
}

static void rm_rf(char *dir)
{
    char *cmd = lf_asprintf("rm -rf '%s'", dir);
    sh(cmd);
    lf_free(cmd);
    lf_free(dir);
}

static void test_eight_types(void **state)
{
    struct lf_content_types *reg = NULL;
    char err[512];
    json_t *list;
    (void)state;
    assert_int_equal(lf_content_types_load(REAL_DIR, &reg, err, sizeof(err)), LF_OK);
    assert_int_equal(lf_content_types_count(reg), 8);
    for (size_t i = 0; i < 8; i++) {
        const struct lf_content_type *t = lf_content_types_at(reg, i);
        char *want = lf_asprintf("%s@1", eight[i]);
        assert_string_equal(t->id, eight[i]); /* API.md order */
        assert_ptr_equal(lf_content_types_find(reg, eight[i]), t);
        assert_string_equal(t->template_version, want);
        assert_true(t->n_use_cases >= 1);
        assert_true(t->estimated_seconds > 0);
        assert_true(t->max_tokens >= t->expected_output_tokens);
        assert_non_null(strstr(t->system_prompt, "<<<USER_"));
        assert_int_equal(lf_schema_check(t->schema, err, sizeof(err)), LF_OK);
        assert_int_equal(strlen(t->schema_json), t->schema_json_len);
        lf_free(want);
    }
    assert_null(lf_content_types_find(reg, "batch"));
    assert_null(lf_content_types_find(reg, "nope"));
    assert_null(lf_content_types_at(reg, 8));

    list = lf_content_types_list_json(reg);
    assert_int_equal(json_integer_value(json_object_get(list, "total_count")), 8);
    assert_int_equal(json_array_size(json_object_get(list, "content_types")), 8);
    {
        json_t *first = json_array_get(json_object_get(list, "content_types"), 0);
        assert_int_equal(json_object_size(first), 6);
        assert_string_equal(json_string_value(json_object_get(first, "id")), "master_content_outline");
        assert_string_equal(json_string_value(json_object_get(first, "name")), "Master Content Outline");
        assert_true(json_is_string(json_object_get(first, "description")));
        assert_true(json_array_size(json_object_get(first, "typical_use_cases")) >= 1);
        assert_true(json_is_number(json_object_get(first, "estimated_generation_seconds")));
        assert_true(json_equal(json_object_get(first, "output_schema"), lf_content_types_at(reg, 0)->schema));
        /* a deep copy: editing the body never touches the registry */
        assert_ptr_not_equal(json_object_get(first, "output_schema"), lf_content_types_at(reg, 0)->schema);
    }
    json_decref(list);
    lf_content_types_free(reg);
}

/* Minimal valid examples of each type's output shape pass their schema; shape violations fail. */
static void test_schemas_match_api_shapes(void **state)
{
    struct lf_content_types *reg = NULL;
    char err[512];
    json_t *doc, *errs = NULL;
    (void)state;
    assert_int_equal(lf_content_types_load(REAL_DIR, &reg, err, sizeof(err)), LF_OK);
    const json_t *faq = lf_content_types_find(reg, "faq_collection")->schema;
    doc = json_loads("{\"title\":\"t\",\"items\":[{\"question\":\"a?\",\"answer\":\"b\"},{\"question\":\"a?\","
                     "\"answer\":\"b\"},{\"question\":\"a?\",\"answer\":\"b\"},{\"question\":\"a?\",\"answer\":\"b\"},"
                     "{\"question\":\"no question mark\",\"answer\":\"b\",\"category\":\"x\"}]}",
                     0, NULL);
    assert_false(lf_schema_validate(faq, doc, &errs));
    assert_string_equal(json_string_value(json_array_get(errs, 0)), "$.items[4].question: does not match pattern");
    json_decref(errs);
    json_decref(doc);
    /* podcast: either segments or main_content */
    const json_t *pod = lf_content_types_find(reg, "podcast_script")->schema;
    doc = json_loads("{\"title\":\"t\",\"introduction\":\"i\",\"main_content\":\"m\",\"conclusion\":\"c\","
                     "\"estimated_duration_minutes\":12}",
                     0, NULL);
    assert_true(lf_schema_validate(pod, doc, NULL));
    json_object_del(doc, "main_content");
    assert_false(lf_schema_validate(pod, doc, NULL));
    json_object_set_new(doc, "segments", json_pack("[{s:s,s:s},{s:s,s:s}]", "speaker", "Host", "text", "x",
                                                   "speaker", "Guest", "text", "y"));
    assert_true(lf_schema_validate(pod, doc, NULL));
    json_decref(doc);
    /* flashcards: at least 10, difficulty enum */
    const json_t *fc = lf_content_types_find(reg, "flashcards")->schema;
    doc = json_pack("{s:s, s:[]}", "title", "t", "items");
    for (int i = 0; i < 10; i++) {
        json_array_append_new(json_object_get(doc, "items"), json_pack("{s:s,s:s}", "term", "a", "definition", "b"));
    }
    assert_true(lf_schema_validate(fc, doc, NULL));
    json_object_set_new(json_array_get(json_object_get(doc, "items"), 3), "difficulty", json_string("extreme"));
    assert_false(lf_schema_validate(fc, doc, NULL));
    json_array_remove(json_object_get(doc, "items"), 3);
    assert_false(lf_schema_validate(fc, doc, NULL)); /* 9 cards */
    json_decref(doc);
    lf_content_types_free(reg);
}

static void test_ninth_type(void **state)
{
    char *dir = copy_real();
    char *sub = lf_asprintf("%s/glossary", dir);
    struct lf_content_types *reg = NULL;
    char err[512];
    (void)state;
    assert_int_equal(mkdir(sub, 0755), 0);
    write_file(sub, "type.json",
               "{\"id\":\"glossary\",\"name\":\"Glossary\",\"description\":\"Terms and definitions.\","
               "\"typical_use_cases\":[\"vocabulary lists\"],\"estimated_generation_seconds\":20.5,"
               "\"expected_output_tokens\":600,\"max_tokens\":1500,\"template_version\":3}");
    write_file(sub, "schema.json",
               "{\"type\":\"object\",\"required\":[\"title\",\"entries\"],\"properties\":{\"title\":{\"type\":"
               "\"string\"},\"entries\":{\"type\":\"array\",\"minItems\":4,\"items\":{\"type\":\"object\","
               "\"required\":[\"word\",\"meaning\"],\"properties\":{\"word\":{\"type\":\"string\"},\"meaning\":"
               "{\"type\":\"string\",\"minLength\":30}}}}}}");
    write_file(sub, "prompt.txt", "Write a glossary of {{topic}} for {{age_group}}.\n{{age_guidance}}\n{{output_schema}}\n");
    assert_int_equal(lf_content_types_load(dir, &reg, err, sizeof(err)), LF_OK);
    assert_int_equal(lf_content_types_count(reg), 9);
    const struct lf_content_type *g = lf_content_types_find(reg, "glossary");
    assert_non_null(g);
    assert_ptr_equal(lf_content_types_at(reg, 8), g); /* no "order": sorts after the eight */
    assert_string_equal(g->template_version, "glossary@3");
    assert_non_null(strstr(g->system_prompt, "USER_")); /* the default system prompt */
    json_t *list = lf_content_types_list_json(reg);
    assert_int_equal(json_integer_value(json_object_get(list, "total_count")), 9);
    json_t *last = json_array_get(json_object_get(list, "content_types"), 8);
    assert_string_equal(json_string_value(json_object_get(last, "id")), "glossary");
    assert_true(json_real_value(json_object_get(last, "estimated_generation_seconds")) == 20.5);
    json_decref(list);
    lf_content_types_free(reg);
    lf_free(sub);
    rm_rf(dir);
}

/* cmd_fmt with every "%s" replaced by dir (lf_free). */
static char *expand(const char *cmd_fmt, const char *dir)
{
    char *out = lf_strdup(""), *tmp;
    const char *p = cmd_fmt, *hit;
    while ((hit = strstr(p, "%s")) != NULL) {
        tmp = lf_asprintf("%s%.*s%s", out, (int)(hit - p), p, dir);
        lf_free(out);
        out = tmp;
        p = hit + 2;
    }
    tmp = lf_asprintf("%s%s", out, p);
    lf_free(out);
    return tmp;
}

/* Run cmd_fmt (every %s = the temp dir) on a fresh copy and expect the load to fail with `want` in the message. */
static void refused(const char *cmd_fmt, const char *want)
{
    char *dir = copy_real();
    char *cmd = expand(cmd_fmt, dir);
    struct lf_content_types *reg = NULL;
    char err[512];
    sh(cmd);
    assert_int_not_equal(lf_content_types_load(dir, &reg, err, sizeof(err)), LF_OK);
    assert_null(reg);
    if (strstr(err, want) == NULL) {
        fail_msg("message \"%s\" does not contain \"%s\"", err, want);
    }
    lf_free(cmd);
    rm_rf(dir);
}

static void test_refusals(void **state)
{
    (void)state;
    refused("mv %s/flashcards %s/batch", "batch: folder name must be a content type id");
    refused("mv %s/flashcards %s/Flash-Cards", "Flash-Cards: folder name must be a content type id");
    refused("mv %s/flashcards %s/cards", "cards/type.json: id \"flashcards\" differs from the folder name \"cards\"");
    refused("rm %s/flashcards/schema.json", "flashcards/schema.json: file is missing");
    refused("rm %s/flashcards/type.json", "flashcards/type.json: file is missing");
    refused("rm %s/flashcards/prompt.txt", "flashcards/prompt.txt: file is missing");
    refused("echo '{' > %s/faq_collection/schema.json", "faq_collection/schema.json: invalid JSON");
    refused("sed -i 's/\"minItems\"/\"uniqueItems\"/' %s/faq_collection/schema.json",
            "faq_collection/schema.json: $.properties.items: unsupported keyword \"uniqueItems\"");
    refused("sed -i 's/\"minLength\": 2/\"format\": 2/' %s/faq_collection/schema.json",
            "faq_collection/schema.json: $.properties.items.items.properties.question: unsupported keyword \"format\"");
    refused("sed -i 's/{{topic}}/{{subject}}/' %s/study_guide/prompt.txt",
            "study_guide/prompt.txt: unknown placeholder {{subject}}");
    refused("sed -i 's/\"order\"/\"sort\"/' %s/study_guide/type.json", "study_guide/type.json: unknown key \"sort\"");
    refused("sed -i 's/\"template_version\": 1/\"template_version\": \"v1\"/' %s/study_guide/type.json",
            "study_guide/type.json: \"template_version\" must be a positive integer");
    refused("sed -i 's/\"max_tokens\": 4000/\"max_tokens\": 0/' %s/study_guide/type.json",
            "study_guide/type.json: \"max_tokens\" must be an integer between 1 and 1000000");
    refused("sed -i 's/\"name\": \"Study Guide\"/\"name\": \"\"/' %s/study_guide/type.json",
            "study_guide/type.json: \"name\" must be a non-empty string");
    refused("rm -r %s/*", "no content type folders found");
}

static void test_unreadable_dir(void **state)
{
    struct lf_content_types *reg = NULL;
    char err[512];
    (void)state;
    assert_int_equal(lf_content_types_load("/nonexistent/lf-ct", &reg, err, sizeof(err)), LF_EIO);
    assert_non_null(strstr(err, "/nonexistent/lf-ct"));
    assert_int_equal(lf_content_types_count(NULL), 0);
    assert_null(lf_content_types_find(NULL, "x"));
    lf_content_types_free(NULL);
}

static void test_valid_id(void **state)
{
    (void)state;
    assert_true(lf_content_types_valid_id("study_guide"));
    assert_true(lf_content_types_valid_id("t9"));
    assert_false(lf_content_types_valid_id("batch"));
    assert_false(lf_content_types_valid_id(""));
    assert_false(lf_content_types_valid_id("Study"));
    assert_false(lf_content_types_valid_id("a-b"));
    assert_false(lf_content_types_valid_id("../x"));
}

static void test_plaintext(void **state)
{
    json_t *c = json_loads("{\"title\":\"Cells\",\"overview\":\"Cells are small.\",\"n\":3,"
                           "\"learning_objectives\":[\"Name parts.\",\"Explain roles.\"],"
                           "\"items\":[{\"question\":\"What is a cell?\",\"answer\":\"A unit of life.\","
                           "\"category\":\"basics\",\"difficulty\":\"easy\"}],\"empty\":\"\"}",
                           0, NULL);
    char *t;
    (void)state;
    t = lf_plaintext_extract(c);
    assert_string_equal(t, "Cells\n\nCells are small.\n\nName parts.\nExplain roles.\n\nWhat is a cell?\n\n"
                           "A unit of life.");
    lf_free(t);
    json_decref(c);
    c = json_pack("{s:i}", "n", 1);
    t = lf_plaintext_extract(c);
    assert_string_equal(t, "");
    lf_free(t);
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eight_types), cmocka_unit_test(test_schemas_match_api_shapes),
        cmocka_unit_test(test_ninth_type),  cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_unreadable_dir), cmocka_unit_test(test_valid_id),
        cmocka_unit_test(test_plaintext),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
