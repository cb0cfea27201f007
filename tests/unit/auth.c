/*
 * tests/unit/auth.c - constant-time comparison, key hashing, UTF-8 counting and the API error shape
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "util.h"

static void test_consttime(void **s)
{
    (void)s;
    assert_true(lf_consttime_eq("secret-key", 10, "secret-key", 10));
    assert_false(lf_consttime_eq("secret-key", 10, "secret-kez", 10));
    assert_false(lf_consttime_eq("secret-key", 10, "secret-key-longer", 17));
    assert_false(lf_consttime_eq("", 0, "x", 1));
    assert_true(lf_consttime_eq("", 0, "", 0));
    /* embedded NULs are compared as bytes */
    assert_false(lf_consttime_eq("a\0b", 3, "a\0c", 3));
    assert_true(lf_consttime_memeq("abcdef", "abcdef", 6));
    assert_false(lf_consttime_memeq("abcdef", "abcdeg", 6));
    assert_false(lf_consttime_memeq("xbcdef", "abcdef", 6));
}

static void test_sha256(void **s)
{
    (void)s;
    char hex[65];
    lf_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_uuid(void **s)
{
    (void)s;
    char a[37], b[37];
    lf_uuid_v4(a);
    lf_uuid_v4(b);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '4');
    assert_true(strchr("89ab", a[19]) != NULL);
    assert_string_not_equal(a, b);
}

static void test_utf8(void **s)
{
    (void)s;
    assert_int_equal(lf_utf8_length("abc", 3), 3);
    assert_int_equal(lf_utf8_length("\xc3\xa9t\xc3\xa9", 5), 3);              /* été */
    assert_int_equal(lf_utf8_length("\xf0\x9f\x8c\xb1", 4), 1);              /* one emoji */
    assert_int_equal(lf_utf8_length("\xc3", 1), -1);                          /* truncated */
    assert_int_equal(lf_utf8_length("\xc0\xaf", 2), -1);                      /* overlong */
    assert_int_equal(lf_utf8_length("\xed\xa0\x80", 3), -1);                  /* surrogate */
}

static void test_error_shape(void **s)
{
    (void)s;
    json_t *e = lf_http_error_json("req-1", "INVALID_REQUEST", "topic must be between 3 and 500 characters",
                                   json_pack("{s:s,s:i}", "field", "topic", "provided_length", 2));
    json_t *err = json_object_get(e, "error");
    assert_non_null(err);
    assert_int_equal(json_object_size(e), 1);
    assert_string_equal(json_string_value(json_object_get(err, "code")), "INVALID_REQUEST");
    assert_string_equal(json_string_value(json_object_get(err, "message")), "topic must be between 3 and 500 characters");
    assert_string_equal(json_string_value(json_object_get(json_object_get(err, "details"), "field")), "topic");
    assert_string_equal(json_string_value(json_object_get(err, "request_id")), "req-1");
    json_decref(e);
    /* details default to an empty object, never null */
    e = lf_http_error_json("r", "NOT_FOUND", "no such endpoint", NULL);
    assert_true(json_is_object(json_object_get(json_object_get(e, "error"), "details")));
    json_decref(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_consttime), cmocka_unit_test(test_sha256),
                                       cmocka_unit_test(test_uuid), cmocka_unit_test(test_utf8),
                                       cmocka_unit_test(test_error_shape)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
