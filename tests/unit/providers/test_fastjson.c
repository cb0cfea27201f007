/*
 * tests/unit/providers/test_fastjson.c - pu_json_loadb gives what json_loadb gives, and takes its fast path
 * for the shapes of provider answers
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fastjson.h"

/* Same value (or both NULL) as jansson; fast says whether the fast path alone must accept it. */
static void same(const char *in, size_t len, int fast)
{
    json_t *want = json_loadb(in, len, 0, NULL);
    json_t *got = pu_json_loadb(in, len);
    json_t *f = pu_json_parse_fast(in, len);
    if (want == NULL)
        assert_null(got);
    else if (got == NULL || !json_equal(want, got))
        fail_msg("differs from jansson: %.*s", (int)len, in);
    if (fast && f == NULL)
        fail_msg("fast path bailed out on: %.*s", (int)len, in);
    if (!fast && f != NULL)
        fail_msg("fast path accepted: %.*s", (int)len, in);
    if (f != NULL && (want == NULL || !json_equal(want, f)))
        fail_msg("fast path differs from jansson: %.*s", (int)len, in);
    json_decref(want);
    json_decref(got);
    json_decref(f);
}
#define FAST(lit) same(lit, sizeof(lit) - 1, 1)
#define SLOW(lit) same(lit, sizeof(lit) - 1, 0)

static void test_fast_shapes(void **state)
{
    (void)state;
    FAST("{}");
    FAST("[]");
    FAST(" \n\t{ \"a\" : [ 1 , -2 , 0 , -0 , true , false , null , \"x\" ] }\r\n ");
    FAST("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1764374400,\"choices\":[{\"index\":0,"
         "\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"title\\\": \\\"Cards\\\", \\\"cards\\\": []}\"},"
         "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":812,\"completion_tokens\":420}}");
    FAST("[\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t end\"]");
    FAST("[\"\\u00e9\\u20ac \\uD83C\\uDF31 \\u0041\"]");                    /* BMP and a surrogate pair */
    FAST("[\"raw utf-8: \xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\xb1 \x7f\"]");
    FAST("{\"dup\":1,\"dup\":2}");                                         /* the last one wins */
    FAST("[999999999999999999,-999999999999999999]");                     /* 18 digits */
    FAST("{\"a very long key that does not fit the sixty-four byte stack buffer of the parser\":1}");
    char nest[80];
    memset(nest, '[', 40);
    memset(nest + 40, ']', 40);
    same(nest, sizeof(nest), 1);
}

static void test_bail_outs_match_jansson(void **state)
{
    (void)state;
    SLOW("[1.5]");                  /* reals go to jansson */
    SLOW("[1e3]");
    SLOW("[9223372036854775807]");  /* 19 digits */
    SLOW("[99999999999999999999]"); /* too big for jansson too */
    SLOW("[\"\\u0000\"]");          /* refused by jansson's default flags */
    SLOW("[\"\\uDC00\"]");          /* lone low surrogate */
    SLOW("[\"\\uD800x\"]");         /* high surrogate without its pair */
    SLOW("[\"\xc0\xaf\"]");         /* overlong */
    SLOW("[\"\xed\xa0\x80\"]");     /* UTF-8 surrogate */
    SLOW("[\"\xf4\x90\x80\x80\"]"); /* > U+10FFFF */
    SLOW("[\"\xe2\x82\"]");         /* truncated */
    SLOW("[\"tab\there\"]");        /* raw control byte */
    SLOW("[01]");
    SLOW("[-]");
    SLOW("[tru]");
    SLOW("{\"a\" 1}");
    SLOW("{\"a\":1,}");
    SLOW("[1,]");
    SLOW("[1 2]");
    SLOW("{\"a\":1} x");            /* trailing bytes */
    SLOW("{\"a\":1");               /* truncated */
    SLOW("[\"unterminated");
    SLOW("\"a bare string\"");      /* jansson's default: object or array only */
    SLOW("42");
    SLOW("");
    SLOW("   ");
    SLOW("[\"\\x\"]");
    SLOW("[\"\\u12G4\"]");
    static const char nul[] = {'[', '1', ']', '\0', ' '};
    same(nul, sizeof(nul), 0);      /* a NUL byte after the value */
    /* nesting beyond the fast path's limit: jansson decides */
    char deep[1400];
    memset(deep, '[', 700);
    memset(deep + 700, ']', 700);
    same(deep, sizeof(deep), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fast_shapes),
                                       cmocka_unit_test(test_bail_outs_match_jansson)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
