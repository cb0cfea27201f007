/*
 * tests/unit/strings.c - the JSON string writer, the pooled random bytes and UUIDs
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "mem.h"
#include "util.h"

/* Write s as a JSON string, parse it back with jansson: the same bytes must come out. */
static void roundtrip(const char *s, size_t n)
{
    struct lf_sbuf b = {NULL, 0, 0};
    lf_sbuf_add(&b, "[", 1);
    lf_sbuf_json_str(&b, s, n);
    lf_sbuf_add(&b, "]", 1);
    json_error_t err;
    json_t *v = json_loadb(b.p, b.len, JSON_ALLOW_NUL, &err);
    if (v == NULL)
        fail_msg("not JSON (%s): %s", err.text, b.p);
    const json_t *str = json_array_get(v, 0);
    assert_int_equal(json_string_length(str), n);
    assert_memory_equal(json_string_value(str), s, n);
    json_decref(v);
    lf_free(b.p);
}

#define RT(lit) roundtrip(lit, sizeof(lit) - 1)

static void test_json_str(void **state)
{
    (void)state;
    RT("");
    RT("plain text");
    RT("quote \" backslash \\ slash /");
    RT("lines\n\r\ttabs");
    RT("\x01\x1f control");
    RT("nul \0 inside");
    RT("utf-8: \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8c\xb1");
    /* long text crossing the buffer's growth, escapes at the edges */
    char big[5000];
    for (size_t i = 0; i < sizeof(big); ++i)
        big[i] = (char)(i % 7 == 0 ? '"' : 'a' + (int)(i % 26));
    roundtrip(big, sizeof(big));
    /* exact output for the escapes */
    struct lf_sbuf b = {NULL, 0, 0};
    lf_sbuf_json_str(&b, "a\"\\\n\x02", 5);
    assert_string_equal(b.p, "\"a\\\"\\\\\\n\\u0002\"");
    lf_free(b.p);
}

static void test_random_pool(void **state)
{
    (void)state;
    /* many small draws (served from the per-thread pool) never repeat and are not all zero */
    enum { N = 2000 };
    static uint64_t seen[N];
    int nonzero = 0;
    for (int i = 0; i < N; ++i) {
        lf_random_bytes(&seen[i], sizeof(seen[i]));
        nonzero += seen[i] != 0;
        for (int j = 0; j < i; ++j)
            assert_true(seen[j] != seen[i]);
    }
    assert_true(nonzero > N - 2);
    /* a large draw bypasses the pool */
    unsigned char big[1000], zero[1000];
    memset(big, 0, sizeof(big));
    memset(zero, 0, sizeof(zero));
    lf_random_bytes(big, sizeof(big));
    assert_true(memcmp(big, zero, sizeof(big)) != 0);
}

/* A forked child must not hand out the bytes its parent's pool still holds. */
static void test_random_after_fork(void **state)
{
    (void)state;
    uint64_t warm, mine, theirs;
    int fds[2];
    lf_random_bytes(&warm, sizeof(warm)); /* fills this thread's pool */
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uint64_t v;
        lf_random_bytes(&v, sizeof(v));
        _exit(write(fds[1], &v, sizeof(v)) == (ssize_t)sizeof(v) ? 0 : 1);
    }
    lf_random_bytes(&mine, sizeof(mine));
    assert_int_equal(read(fds[0], &theirs, sizeof(theirs)), (ssize_t)sizeof(theirs));
    int status;
    waitpid(pid, &status, 0);
    close(fds[0]);
    close(fds[1]);
    assert_true(mine != theirs);
}

static void test_uuid(void **state)
{
    (void)state;
    char a[37], b[37];
    lf_uuid_v4(a);
    lf_uuid_v4(b);
    assert_int_equal(strlen(a), 36);
    assert_string_not_equal(a, b);
    for (int i = 0; i < 36; ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(a[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", a[i]));
    }
    assert_int_equal(a[14], '4');                  /* version 4 */
    assert_non_null(strchr("89ab", a[19]));         /* RFC 4122 variant */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_json_str), cmocka_unit_test(test_random_pool),
                                       cmocka_unit_test(test_random_after_fork),
                                       cmocka_unit_test(test_uuid)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
