/*
 * tests/unit/budget.c - unit tests of core/src/budget.c (reserve / settle / release, periods, concurrency)
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "budget.h"

/* 2026-06-15 12:00:00 UTC */
#define NOON 1781524800000ULL
#define DAY 86400000ULL

static void assert_usd(double a, double b)
{
    if (fabs(a - b) > 1e-9)
        fail_msg("%.12f != %.12f", a, b);
}

static void test_reserve_settle_release(void **state)
{
    (void)state;
    struct lf_budget *b = lf_budget_new("p", 1.0, 10.0);
    struct lf_budget_reservation r1, r2, r3;
    struct lf_budget_status st[LF_BUDGET_N_PERIODS];

    assert_int_equal(lf_budget_reserve(b, 0.6, NOON, &r1), LF_OK);
    assert_int_equal(lf_budget_reserve(b, 0.3, NOON, &r2), LF_OK);
    /* 0.6 + 0.3 + 0.2 > 1.0: refused, reservation stays empty */
    assert_int_equal(lf_budget_reserve(b, 0.2, NOON, &r3), LF_BUDGET_REFUSED);
    assert_null(r3.budget);
    assert_int_equal(lf_budget_can_afford(b, 0.1, NOON), 1);
    assert_int_equal(lf_budget_can_afford(b, 0.11, NOON), 0);
    lf_budget_query(b, NOON, st);
    assert_string_equal(st[LF_BUDGET_DAY].period, "day");
    assert_usd(st[LF_BUDGET_DAY].limit_usd, 1.0);
    assert_usd(st[LF_BUDGET_DAY].reserved_usd, 0.9);
    assert_usd(st[LF_BUDGET_DAY].spent_usd, 0);
    assert_usd(st[LF_BUDGET_MONTH].reserved_usd, 0.9);
    /* settle with a cheaper actual, release the other */
    assert_usd(lf_budget_settle(&r1, 0.25, NOON), -0.35);
    assert_null(r1.budget);
    lf_budget_release(&r2);
    lf_budget_release(&r2); /* double release is harmless */
    assert_usd(lf_budget_settle(&r1, 1.0, NOON),
               0); /* settling an empty reservation does nothing */
    lf_budget_query(b, NOON, st);
    assert_usd(st[LF_BUDGET_DAY].spent_usd, 0.25);
    assert_usd(st[LF_BUDGET_DAY].reserved_usd, 0);
    assert_usd(st[LF_BUDGET_MONTH].spent_usd, 0.25);
    /* exactly up to the limit is allowed */
    assert_int_equal(lf_budget_reserve(b, 0.75, NOON, &r1), LF_OK);
    assert_int_equal(lf_budget_reserve(b, 0.000000001, NOON, &r2), LF_BUDGET_REFUSED);
    /* an unknown actual cost is charged as the reservation, never as $0 */
    lf_budget_settle(&r1, -1, NOON);
    lf_budget_query(b, NOON, st);
    assert_usd(st[LF_BUDGET_DAY].spent_usd, 1.0);
    assert_int_equal(lf_budget_reserve(b, -0.1, NOON, &r1), LF_EINVAL);
    assert_int_equal(lf_budget_reserve(b, NAN, NOON, &r1), LF_EINVAL);
    lf_budget_free(b);
}

static void test_limits_live_and_unlimited(void **state)
{
    (void)state;
    struct lf_budget *b = lf_budget_new("p", LF_BUDGET_UNLIMITED, LF_BUDGET_UNLIMITED);
    struct lf_budget_reservation r;
    struct lf_budget_status st[LF_BUDGET_N_PERIODS];
    assert_int_equal(lf_budget_reserve(b, 1e6, NOON, &r), LF_OK);
    lf_budget_settle(&r, 5.0, NOON);
    lf_budget_query(b, NOON, st);
    assert_true(st[LF_BUDGET_DAY].limit_usd < 0);
    /* lower the monthly limit below what was spent: everything is refused, even $0 requests */
    lf_budget_set_limits(b, LF_BUDGET_UNLIMITED, 4.0);
    assert_int_equal(lf_budget_reserve(b, 0.01, NOON, &r), LF_BUDGET_REFUSED);
    lf_budget_set_limits(b, LF_BUDGET_UNLIMITED, 5.5);
    assert_int_equal(lf_budget_reserve(b, 0.5, NOON, &r), LF_OK);
    lf_budget_release(&r);
    /* a zero limit refuses everything but a zero-cost reservation */
    lf_budget_set_limits(b, 0, LF_BUDGET_UNLIMITED);
    assert_int_equal(lf_budget_reserve(b, 0.0001, NOON, &r), LF_BUDGET_REFUSED);
    lf_budget_free(b);
}

static void test_period_rollover(void **state)
{
    (void)state;
    struct lf_budget *b = lf_budget_new("p", 1.0, 2.0);
    struct lf_budget_reservation r, in_flight;
    struct lf_budget_status st[LF_BUDGET_N_PERIODS];

    assert_int_equal(lf_budget_reserve(b, 0.9, NOON, &r), LF_OK);
    lf_budget_settle(&r, 0.9, NOON);
    assert_int_equal(lf_budget_reserve(b, 0.2, NOON, &r), LF_BUDGET_REFUSED);
    assert_int_equal(lf_budget_reserve(b, 0.05, NOON + 1000, &in_flight), LF_OK);
    /* next UTC day: the day's spending restarts, the month keeps it, the reservation carries over */
    uint64_t tomorrow = NOON + DAY / 2; /* 2026-06-16 00:00:00 */
    assert_int_equal(lf_budget_reserve(b, 0.5, tomorrow, &r), LF_OK);
    lf_budget_query(b, tomorrow, st);
    assert_usd(st[LF_BUDGET_DAY].spent_usd, 0);
    assert_usd(st[LF_BUDGET_DAY].reserved_usd, 0.55);
    assert_usd(st[LF_BUDGET_MONTH].spent_usd, 0.9);
    assert_int_equal(st[LF_BUDGET_DAY].period_start_ms, tomorrow);
    assert_int_equal(st[LF_BUDGET_DAY].reset_ms, tomorrow + DAY);
    lf_budget_settle(&in_flight, 0.05, tomorrow + 1);
    lf_budget_settle(&r, 0.5, tomorrow + 1);
    lf_budget_query(b, tomorrow + 1, st);
    assert_usd(st[LF_BUDGET_DAY].spent_usd, 0.55);
    assert_usd(st[LF_BUDGET_MONTH].spent_usd, 1.45);
    /* the month limit (2.0) now binds before the day limit */
    assert_int_equal(lf_budget_reserve(b, 0.45, tomorrow + 2, &r), LF_OK);
    lf_budget_settle(&r, 0.45, tomorrow + 2);
    assert_int_equal(lf_budget_reserve(b, 0.2, tomorrow + 3, &r), LF_BUDGET_REFUSED);
    /* July 1st: both restart */
    uint64_t july = 1782864000000ULL; /* 2026-07-01 00:00:00 UTC */
    assert_int_equal(lf_budget_reserve(b, 0.2, july, &r), LF_OK);
    lf_budget_query(b, july, st);
    assert_usd(st[LF_BUDGET_MONTH].spent_usd, 0);
    assert_int_equal(st[LF_BUDGET_MONTH].period_start_ms, july);
    lf_budget_release(&r);

    /* restore from storage */
    lf_budget_restore(b, 0.7, 1.9, july + 5);
    lf_budget_query(b, july + 5, st);
    assert_usd(st[LF_BUDGET_DAY].spent_usd, 0.7);
    assert_usd(st[LF_BUDGET_MONTH].spent_usd, 1.9);
    lf_budget_charge(b, 0.05, july + 6);
    lf_budget_query(b, july + 6, st);
    assert_usd(st[LF_BUDGET_MONTH].spent_usd, 1.95);
    lf_budget_free(b);
}

static void test_month_bounds(void **state)
{
    (void)state;
    uint64_t s, n;
    /* 2026-12-31 23:59:59 UTC -> Dec 1st .. Jan 1st 2027 */
    lf_budget_period_bounds(LF_BUDGET_MONTH, 1798761599000ULL, &s, &n);
    assert_int_equal(s, 1796083200000ULL);
    assert_int_equal(n, 1798761600000ULL);
    /* 2028-02-10 (leap year) -> Feb 1st .. Mar 1st, 29 days */
    lf_budget_period_bounds(LF_BUDGET_MONTH, 1833753600000ULL, &s, &n);
    assert_int_equal(n - s, 29 * DAY);
    lf_budget_period_bounds(LF_BUDGET_DAY, NOON, &s, &n);
    assert_int_equal(s, NOON - DAY / 2);
    assert_int_equal(n, NOON + DAY / 2);
}

struct hammer {
    struct lf_budget *b;
    _Atomic int stop;
    _Atomic uint64_t granted_nusd;
    _Atomic int violations;
    uint64_t seed;
};

static uint64_t xs(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    uint64_t seed = h->seed + (uint64_t)(uintptr_t)&seed;
    for (int i = 0; i < 20000; i++) {
        struct lf_budget_reservation r;
        /* 0.001 .. 0.050 USD */
        double amount = (double)(1 + xs(&seed) % 50) / 1000.0;
        if (lf_budget_reserve(h->b, amount, NOON, &r) != LF_OK)
            continue;
        switch (xs(&seed) % 3) {
        case 0:
            lf_budget_release(&r);
            break;
        case 1:
            atomic_fetch_add(&h->granted_nusd, (uint64_t)llround(amount * 1e9));
            lf_budget_settle(&r, amount, NOON); /* actual == estimate */
            break;
        default: {
            double actual = amount / 2; /* cheaper than estimated */
            atomic_fetch_add(&h->granted_nusd, (uint64_t)llround(actual * 1e9));
            lf_budget_settle(&r, actual, NOON);
            break;
        }
        }
    }
    return NULL;
}

static void *watch_thread(void *arg)
{
    struct hammer *h = arg;
    struct lf_budget_status st[LF_BUDGET_N_PERIODS];
    while (!atomic_load(&h->stop)) {
        lf_budget_query(h->b, NOON, st);
        if (st[LF_BUDGET_DAY].spent_usd + st[LF_BUDGET_DAY].reserved_usd > 5.0 + 1e-9)
            atomic_fetch_add(&h->violations, 1);
    }
    return NULL;
}

/* 8 threads reserve concurrently near a $5 limit: spent + reserved never exceeds it. */
static void test_concurrent_no_overshoot(void **state)
{
    (void)state;
    struct hammer h = {.b = lf_budget_new("p", 5.0, 100.0), .seed = 0x1234567};
    pthread_t th[8], w;
    pthread_create(&w, NULL, watch_thread, &h);
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, hammer_thread, &h);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    atomic_store(&h.stop, 1);
    pthread_join(w, NULL);

    struct lf_budget_status st[LF_BUDGET_N_PERIODS];
    lf_budget_query(h.b, NOON, st);
    assert_int_equal(atomic_load(&h.violations), 0);
    assert_usd(st[LF_BUDGET_DAY].reserved_usd, 0);
    assert_true(st[LF_BUDGET_DAY].spent_usd <= 5.0 + 1e-12);
    /* the budget was actually driven to its limit (otherwise the test proves nothing) */
    assert_true(st[LF_BUDGET_DAY].spent_usd > 4.9);
    /* the books agree with what the threads were granted, to the nano-dollar */
    assert_int_equal((uint64_t)llround(st[LF_BUDGET_DAY].spent_usd * 1e9),
                     atomic_load(&h.granted_nusd));
    lf_budget_free(h.b);
}

static void test_table(void **state)
{
    (void)state;
    struct lf_budget_table *t = lf_budget_table_new(1.0, LF_BUDGET_UNLIMITED);
    struct lf_budget *a = lf_budget_table_get(t, "key-a");
    assert_ptr_equal(a, lf_budget_table_get(t, "key-a"));
    /* many keys: the table grows and pointers stay valid */
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "k%d", i);
        lf_budget_table_get(t, name);
    }
    assert_ptr_equal(a, lf_budget_table_get(t, "key-a"));
    struct lf_budget_reservation r;
    assert_int_equal(lf_budget_reserve(a, 1.5, NOON, &r), LF_BUDGET_REFUSED);
    lf_budget_table_set_limits(t, "key-a", 2.0, 3.0);
    assert_int_equal(lf_budget_reserve(a, 1.5, NOON, &r), LF_OK);
    lf_budget_release(&r);
    lf_budget_table_free(t);
    lf_budget_table_free(NULL);
    lf_budget_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve_settle_release),
        cmocka_unit_test(test_limits_live_and_unlimited),
        cmocka_unit_test(test_period_rollover),
        cmocka_unit_test(test_month_bounds),
        cmocka_unit_test(test_concurrent_no_overshoot),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
