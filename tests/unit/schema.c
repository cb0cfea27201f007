/*
 * tests/unit/schema.c - the JSON Schema subset validator: every keyword accepts and refuses
 * SPDX-License-Identifier: MIT
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"

/* Validate doc against schema (both JSON texts); returns the verdict and, when want_err, checks that
 * the first error contains want_err. */
static int run(const char *schema_txt, const char *doc_txt, const char *want_err)
{
    json_error_t e;
    json_t *s = json_loads(schema_txt, 0, &e);
    json_t *d = json_loads(doc_txt, JSON_DECODE_ANY, &e);
    json_t *errs = NULL;
    char msg[256];
    int ok;
    assert_non_null(s);
    assert_non_null(d);
    assert_int_equal(lf_schema_check(s, msg, sizeof(msg)), LF_OK);
    ok = lf_schema_validate(s, d, &errs);
    assert_non_null(errs);
    if (ok) {
        assert_int_equal(json_array_size(errs), 0);
    } else {
        assert_true(json_array_size(errs) > 0);
        if (want_err != NULL) {
            const char *first = json_string_value(json_array_get(errs, 0));
            if (strstr(first, want_err) == NULL) {
                fail_msg("error \"%s\" does not contain \"%s\"", first, want_err);
            }
        }
    }
    /* the verdict is the same without error collection */
    assert_int_equal(lf_schema_validate(s, d, NULL), ok);
    json_decref(errs);
    json_decref(s);
    json_decref(d);
    return ok;
}

static void test_type(void **state)
{
    (void)state;
    assert_true(run("{\"type\":\"string\"}", "\"x\"", NULL));
    assert_false(run("{\"type\":\"string\"}", "3", "$: expected string, got integer"));
    assert_true(run("{\"type\":\"integer\"}", "3", NULL));
    assert_true(run("{\"type\":\"integer\"}", "3.0", NULL));
    assert_false(run("{\"type\":\"integer\"}", "3.5", "expected integer"));
    assert_true(run("{\"type\":\"number\"}", "3.5", NULL));
    assert_false(run("{\"type\":\"number\"}", "\"3\"", NULL));
    assert_true(run("{\"type\":[\"string\",\"null\"]}", "null", NULL));
    assert_false(run("{\"type\":[\"string\",\"null\"]}", "true", "expected string or null, got boolean"));
    assert_true(run("{\"type\":\"boolean\"}", "false", NULL));
    assert_true(run("{\"type\":\"array\"}", "[]", NULL));
    assert_false(run("{\"type\":\"object\"}", "[]", NULL));
}

static void test_properties_required(void **state)
{
    const char *s = "{\"type\":\"object\",\"required\":[\"title\"],"
                    "\"properties\":{\"title\":{\"type\":\"string\"},\"n\":{\"type\":\"integer\"}}}";
    (void)state;
    assert_true(run(s, "{\"title\":\"a\"}", NULL));
    assert_true(run(s, "{\"title\":\"a\",\"extra\":1}", NULL));
    assert_false(run(s, "{\"n\":1}", "$.title: required property is missing"));
    assert_false(run(s, "{\"title\":\"a\",\"n\":\"x\"}", "$.n: expected integer, got string"));
}

static void test_additional_properties(void **state)
{
    (void)state;
    assert_false(run("{\"type\":\"object\",\"properties\":{\"a\":{}},\"additionalProperties\":false}",
                     "{\"a\":1,\"b\":2}", "$.b: property is not allowed"));
    assert_true(run("{\"type\":\"object\",\"properties\":{\"a\":{}},\"additionalProperties\":false}", "{\"a\":1}",
                    NULL));
    assert_true(run("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}", "{\"b\":\"x\"}", NULL));
    assert_false(run("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}", "{\"b\":2}",
                     "$.b: expected string"));
}

static void test_items_counts(void **state)
{
    const char *s = "{\"type\":\"array\",\"minItems\":2,\"maxItems\":3,\"items\":{\"type\":\"string\"}}";
    (void)state;
    assert_true(run(s, "[\"a\",\"b\"]", NULL));
    assert_false(run(s, "[\"a\"]", "has 1 items, fewer than minItems 2"));
    assert_false(run(s, "[\"a\",\"b\",\"c\",\"d\"]", "more than maxItems 3"));
    assert_false(run(s, "[\"a\",4]", "$[1]: expected string"));
}

static void test_lengths_code_points(void **state)
{
    const char *s = "{\"type\":\"string\",\"minLength\":3,\"maxLength\":4}";
    (void)state;
    /* "été" is 3 code points but 5 bytes */
    assert_true(run(s, "\"\\u00e9t\\u00e9\"", NULL));
    assert_true(run(s, "\"abcd\"", NULL));
    assert_false(run(s, "\"ab\"", "shorter than minLength 3"));
    assert_false(run(s, "\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"", "longer than maxLength 4"));
}

static void test_min_max(void **state)
{
    const char *s = "{\"type\":\"number\",\"minimum\":1,\"maximum\":10}";
    (void)state;
    assert_true(run(s, "1", NULL));
    assert_true(run(s, "10", NULL));
    assert_false(run(s, "0.5", "less than minimum 1"));
    assert_false(run(s, "11", "greater than maximum 10"));
}

static void test_enum(void **state)
{
    const char *s = "{\"enum\":[\"easy\",\"medium\",\"hard\"]}";
    (void)state;
    assert_true(run(s, "\"hard\"", NULL));
    assert_false(run(s, "\"extreme\"", "is not one of the enum values"));
}

static void test_pattern(void **state)
{
    const char *s = "{\"type\":\"string\",\"pattern\":\"\\\\?\\\\s*$\"}";
    (void)state;
    assert_true(run(s, "\"Why is the sky blue?\"", NULL));
    assert_true(run(s, "\"Why is the sky blue? \"", NULL));
    assert_false(run(s, "\"The sky is blue.\"", "$: does not match pattern"));
    /* unanchored search like JSON Schema */
    assert_true(run("{\"type\":\"string\",\"pattern\":\"b+\"}", "\"abbbc\"", NULL));
}

static void test_any_one_of(void **state)
{
    const char *any = "{\"type\":\"object\",\"anyOf\":[{\"required\":[\"a\"]},{\"required\":[\"b\"]}]}";
    const char *one = "{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}";
    (void)state;
    assert_true(run(any, "{\"a\":1}", NULL));
    assert_true(run(any, "{\"a\":1,\"b\":2}", NULL));
    assert_false(run(any, "{\"c\":1}", "does not match any of the anyOf schemas"));
    assert_true(run(one, "1.5", NULL));
    assert_false(run(one, "2", "matches 2 of the oneOf schemas"));
    assert_false(run(one, "\"x\"", "matches 0 of the oneOf schemas"));
}

static void test_nested_path_and_cap(void **state)
{
    const char *s = "{\"type\":\"object\",\"properties\":{\"items\":{\"type\":\"array\",\"items\":"
                    "{\"type\":\"object\",\"properties\":{\"question\":{\"type\":\"string\",\"pattern\":\"\\\\?$\"}}}}}}";
    json_t *schema = json_loads(s, 0, NULL), *doc = json_array(), *root, *errs = NULL;
    (void)state;
    assert_false(run(s, "{\"items\":[{\"question\":\"a?\"},{\"question\":\"b?\"},{\"question\":\"c?\"},"
                        "{\"question\":\"no\"}]}",
                     "$.items[3].question: does not match pattern"));
    for (int i = 0; i < 50; i++) {
        json_array_append_new(doc, json_pack("{s:s}", "question", "no"));
    }
    root = json_pack("{s:o}", "items", doc);
    assert_false(lf_schema_validate(schema, root, &errs));
    assert_int_equal(json_array_size(errs), LF_SCHEMA_MAX_ERRORS);
    json_decref(errs);
    json_decref(root);
    json_decref(schema);
}

static void check_refused(const char *schema_txt, const char *want)
{
    char msg[256];
    json_t *s = json_loads(schema_txt, JSON_DECODE_ANY, NULL);
    assert_non_null(s);
    assert_int_equal(lf_schema_check(s, msg, sizeof(msg)), LF_EINVAL);
    if (strstr(msg, want) == NULL) {
        fail_msg("message \"%s\" does not contain \"%s\"", msg, want);
    }
    json_decref(s);
}

static void test_check_refuses(void **state)
{
    (void)state;
    check_refused("{\"uniqueItems\":true}", "$: unsupported keyword \"uniqueItems\"");
    check_refused("{\"properties\":{\"a\":{\"format\":\"email\"}}}", "$.properties.a: unsupported keyword \"format\"");
    check_refused("{\"type\":\"text\"}", "unknown type \"text\"");
    check_refused("{\"minItems\":-1}", "\"minItems\" must be a non-negative integer");
    check_refused("{\"pattern\":\"(\"}", "is not a valid POSIX extended regular expression");
    check_refused("{\"anyOf\":[]}", "\"anyOf\" must be a non-empty array");
    check_refused("{\"items\":[{}]}", "\"items\" must be a single schema");
    check_refused("{\"oneOf\":[{\"$ref\":\"#\"}]}", "$.oneOf[0]: unsupported keyword \"$ref\"");
    check_refused("3", "a schema must be an object or a boolean");
}

/* Several threads validating with patterns at once (the compiled-pattern cache is shared). */
static void *validate_many(void *arg)
{
    long id = (long)(intptr_t)arg, bad = 0;
    char schema_txt[128], good_txt[64], bad_txt[64];
    for (int i = 0; i < 300; i++) {
        int k = (int)((id + i) % 7);
        snprintf(schema_txt, sizeof(schema_txt), "{\"type\":\"string\",\"pattern\":\"^x{%d}y\"}", k + 1);
        snprintf(good_txt, sizeof(good_txt), "\"%.*sy\"", k + 1, "xxxxxxxx");
        snprintf(bad_txt, sizeof(bad_txt), "\"%.*sz\"", k + 1, "xxxxxxxx");
        json_t *s = json_loads(schema_txt, 0, NULL);
        json_t *g = json_loads(good_txt, JSON_DECODE_ANY, NULL);
        json_t *b = json_loads(bad_txt, JSON_DECODE_ANY, NULL);
        if (lf_schema_validate(s, g, NULL) != 1 || lf_schema_validate(s, b, NULL) != 0) {
            bad++;
        }
        json_decref(s);
        json_decref(g);
        json_decref(b);
    }
    return (void *)(intptr_t)bad;
}

static void test_threads(void **state)
{
    pthread_t th[4];
    (void)state;
    for (long i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, validate_many, (void *)(intptr_t)i), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *ret = NULL;
        assert_int_equal(pthread_join(th[i], &ret), 0);
        assert_int_equal((intptr_t)ret, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type),          cmocka_unit_test(test_properties_required),
        cmocka_unit_test(test_additional_properties), cmocka_unit_test(test_items_counts),
        cmocka_unit_test(test_lengths_code_points),   cmocka_unit_test(test_min_max),
        cmocka_unit_test(test_enum),          cmocka_unit_test(test_pattern),
        cmocka_unit_test(test_any_one_of),    cmocka_unit_test(test_nested_path_and_cap),
        cmocka_unit_test(test_check_refuses),         cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
