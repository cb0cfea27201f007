/*
 * tests/unit/repair.c - recovering the JSON object from model output
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "repair.h"

/* Parse text and check the method and the value of "title". */
static void expect(const char *text, const char *method, const char *title)
{
    const char *m = "unset";
    json_t *j = lf_repair_parse(text, strlen(text), &m);
    if (method == NULL) {
        assert_null(j);
        assert_null(m);
        return;
    }
    if (j == NULL) {
        fail_msg("nothing recovered from: %s", text);
    }
    assert_string_equal(m, method);
    assert_string_equal(json_string_value(json_object_get(j, "title")), title);
    json_decref(j);
}

static void test_direct(void **state)
{
    (void)state;
    expect("{\"title\":\"a\"}", "direct", "a");
    expect("  \n {\"title\":\"b\", \"n\": [1, 2]}\n\n", "direct", "b");
}

static void test_fence(void **state)
{
    (void)state;
    expect("Here is the content:\n```json\n{\"title\":\"c\"}\n```\nHope it helps.", "fence", "c");
    expect("```\n{\"title\":\"d\"}\n```", "fence", "d");
    expect("```JSON\n{\"title\":\"e\"}", "fence", "e"); /* unterminated fence */
    /* a first fence that is not JSON, then the real one */
    expect("```python\nprint(1)\n```\n```json\n{\"title\":\"f\"}\n```", "fence", "f");
}

static void test_extracted(void **state)
{
    (void)state;
    expect("Sure! Here: {\"title\":\"g\"} Let me know.", "extracted", "g");
    /* braces and quotes inside strings do not confuse the scan */
    expect("Result -> {\"title\":\"h\",\"x\":\"a } b { \\\" c\"} end", "extracted", "h");
    /* a brace span in the prose that is not JSON comes first */
    expect("Use {curly braces} like this: {\"title\":\"i\",\"o\":{\"k\":1}}", "extracted", "i");
    /* nested objects: the outermost is returned */
    expect("x {\"title\":\"j\",\"inner\":{\"title\":\"inner\"}} y", "extracted", "j");
}

static void test_trailing_commas(void **state)
{
    (void)state;
    expect("{\"title\":\"k\",\"l\":[1,2,],}", "direct", "k");
    expect("text {\"title\":\"l\",\"s\":\"keep ,} this\",} text", "extracted", "l");
}

static void test_nothing(void **state)
{
    const char *m = "unset";
    (void)state;
    expect("no json here", NULL, NULL);
    expect("[1,2,3]", NULL, NULL);
    expect("{\"title\": unquoted}", NULL, NULL);
    expect("{\"title\":\"x\"", NULL, NULL);
    assert_null(lf_repair_parse("", 0, &m));
    assert_null(m);
    assert_null(lf_repair_parse(NULL, 5, NULL));
}

static void test_not_nul_terminated(void **state)
{
    const char buf[] = "{\"title\":\"m\"}GARBAGE";
    const char *m = NULL;
    json_t *j = lf_repair_parse(buf, 13, &m);
    (void)state;
    assert_non_null(j);
    assert_string_equal(m, "direct");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct),          cmocka_unit_test(test_fence),   cmocka_unit_test(test_extracted),
        cmocka_unit_test(test_trailing_commas), cmocka_unit_test(test_nothing), cmocka_unit_test(test_not_nul_terminated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
