/*
 * tests/unit/ratelimit.c - unit tests of core/src/ratelimit.c (GCRA, headers, eviction, threads)
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "ratelimit.h"

#define T0 1780000000000ULL /* ms, a whole second */

static void test_per_minute(void **state)
{
    (void)state;
    struct lf_ratelimit *rl = lf_ratelimit_new(60, 60000, 0);
    struct lf_ratelimit_result r;

    for (uint32_t i = 0; i < 60; i++) {
        assert_int_equal(lf_ratelimit_check(rl, "key1", T0, 1, &r), 1);
        assert_int_equal(r.limit, 60);
        assert_int_equal(r.remaining, 59 - i);
        assert_int_equal(r.retry_after_seconds, 0);
    }
    /* the allowance is whole again one minute after the burst */
    assert_int_equal(r.reset_epoch_seconds, T0 / 1000 + 60);
    assert_int_equal(lf_ratelimit_check(rl, "key1", T0, 1, &r), 0);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(r.retry_after_seconds, 1);
    assert_int_equal(r.retry_after_ms, 1000);
    /* other keys are independent */
    assert_int_equal(lf_ratelimit_check(rl, "key2", T0, 1, &r), 1);
    /* 1 s later exactly one more unit is back */
    assert_int_equal(lf_ratelimit_check(rl, "key1", T0 + 999, 1, &r), 0);
    assert_int_equal(r.retry_after_ms, 1);
    assert_int_equal(lf_ratelimit_check(rl, "key1", T0 + 1000, 1, &r), 1);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(lf_ratelimit_check(rl, "key1", T0 + 1000, 1, &r), 0);
    /* after 30 s idle, 30 units */
    assert_int_equal(lf_ratelimit_check(rl, "key1", T0 + 31000, 0, &r), 1);
    assert_int_equal(r.remaining, 30);
    lf_ratelimit_free(rl);
}

static void test_per_hour_batches(void **state)
{
    (void)state;
    struct lf_ratelimit *rl = lf_ratelimit_new(100, 3600000, 0);
    struct lf_ratelimit_result r;
    /* a batch of 4 content types counts 4 generations */
    for (int i = 0; i < 24; i++)
        assert_int_equal(lf_ratelimit_check(rl, "k", T0, 4, &r), 1);
    assert_int_equal(r.remaining, 4);
    assert_int_equal(lf_ratelimit_check(rl, "k", T0, 5, &r), 0);
    assert_int_equal(r.retry_after_seconds, 36); /* one generation comes back every 36 s */
    assert_int_equal(lf_ratelimit_check(rl, "k", T0, 4, &r), 1);
    assert_int_equal(r.remaining, 0);
    assert_int_equal(r.reset_epoch_seconds, T0 / 1000 + 3600);
    /* more than the whole limit at once can never pass */
    assert_int_equal(lf_ratelimit_check(rl, "fresh", T0, 101, &r), 0);
    assert_int_equal(r.retry_after_seconds, 3600);
    lf_ratelimit_free(rl);
}

static void test_peek_does_not_consume(void **state)
{
    (void)state;
    struct lf_ratelimit *rl = lf_ratelimit_new(5, 60000, 0);
    struct lf_ratelimit_result r;
    for (int i = 0; i < 10; i++)
        assert_int_equal(lf_ratelimit_check(rl, "k", T0, 0, &r), 1);
    assert_int_equal(r.remaining, 5);
    assert_int_equal(r.reset_epoch_seconds, T0 / 1000);
    assert_int_equal(lf_ratelimit_size(rl), 0); /* looking creates nothing */
    lf_ratelimit_free(rl);
}

static void test_auth_guard(void **state)
{
    (void)state;
    struct lf_ratelimit *rl =
        lf_ratelimit_new(LF_RATELIMIT_DEFAULT_AUTH_FAILURES_PER_MIN, 60000, 0);
    struct lf_ratelimit_result r;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(lf_ratelimit_blocked(rl, "10.0.0.7", T0 + (uint64_t)i, &r), 0);
        lf_ratelimit_check(rl, "10.0.0.7", T0 + (uint64_t)i, 1, &r); /* a failed authentication */
    }
    assert_int_equal(lf_ratelimit_blocked(rl, "10.0.0.7", T0 + 10, &r), 1);
    assert_int_equal(lf_ratelimit_blocked(rl, "10.0.0.8", T0 + 10, &r), 0);
    /* 6 s later one attempt is allowed again */
    assert_int_equal(lf_ratelimit_blocked(rl, "10.0.0.7", T0 + 6000, &r), 0);
    lf_ratelimit_free(rl);
}

static void test_live_limit_change(void **state)
{
    (void)state;
    struct lf_ratelimit *rl = lf_ratelimit_new(2, 60000, 0);
    struct lf_ratelimit_result r;
    assert_int_equal(lf_ratelimit_check(rl, "k", T0, 2, &r), 1);
    assert_int_equal(lf_ratelimit_check(rl, "k", T0, 1, &r), 0);
    lf_ratelimit_set_limit(rl, 10, 60000);
    lf_ratelimit_set_limit(rl, 0, 60000); /* ignored */
    /* the 2 units consumed stay consumed: 8 of the new 10 are left */
    assert_int_equal(lf_ratelimit_check(rl, "k", T0, 0, &r), 1);
    assert_int_equal(r.limit, 10);
    assert_int_equal(r.remaining, 8);
    assert_int_equal(lf_ratelimit_check(rl, "k", T0, 8, &r), 1);
    assert_int_equal(lf_ratelimit_check(rl, "k", T0, 1, &r), 0);
    lf_ratelimit_free(rl);
}

static void test_bounded_memory(void **state)
{
    (void)state;
    struct lf_ratelimit *rl = lf_ratelimit_new(10, 60000, 256);
    struct lf_ratelimit_result r;
    char key[32];
    /* 20000 distinct client addresses in the same second: memory stays bounded */
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "192.0.%d.%d", i / 256, i % 256);
        assert_int_equal(lf_ratelimit_check(rl, key, T0, 1, &r), 1);
    }
    assert_true(lf_ratelimit_size(rl) <= 256);
    /* idle keys go first and losslessly: a key that was idle answers like a fresh one */
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "h%d", i);
        lf_ratelimit_check(rl, key, T0 + 120000 + (uint64_t)i, 1, &r);
    }
    assert_true(lf_ratelimit_size(rl) <= 256);
    assert_int_equal(lf_ratelimit_check(rl, "192.0.0.1", T0 + 200000, 0, &r), 1);
    assert_int_equal(r.remaining, 10);
    lf_ratelimit_free(rl);
    lf_ratelimit_free(NULL);
}

struct race {
    struct lf_ratelimit *rl;
    _Atomic int allowed;
};

static void *race_thread(void *arg)
{
    struct race *rc = arg;
    struct lf_ratelimit_result r;
    char other[32];
    for (int i = 0; i < 2000; i++) {
        if (lf_ratelimit_check(rc->rl, "shared", T0, 1, &r))
            atomic_fetch_add(&rc->allowed, 1);
        snprintf(other, sizeof(other), "noise-%d", i % 97);
        lf_ratelimit_check(rc->rl, other, T0, 1, &r);
    }
    return NULL;
}

static void test_threads_exact(void **state)
{
    (void)state;
    struct race rc = {.rl = lf_ratelimit_new(100, 3600000, 0)};
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, race_thread, &rc);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&rc.allowed), 100);
    lf_ratelimit_free(rc.rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_minute),
        cmocka_unit_test(test_per_hour_batches),
        cmocka_unit_test(test_peek_does_not_consume),
        cmocka_unit_test(test_auth_guard),
        cmocka_unit_test(test_live_limit_change),
        cmocka_unit_test(test_bounded_memory),
        cmocka_unit_test(test_threads_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
