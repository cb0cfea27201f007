/*
 * tests/unit/circuit.c - unit tests of core/src/circuit.c (per-provider circuit breaker)
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "circuit.h"

#define T0 1780000000000ULL /* an arbitrary wall-clock instant, ms */

struct log_rec {
    int n;
    enum lf_circuit_state from[16], to[16];
    const char *reason[16];
    uint64_t retry_at[16];
};

static void on_transition(void *ud, const char *name, enum lf_circuit_state from,
                          enum lf_circuit_state to, const char *reason, uint64_t now_ms,
                          uint64_t retry_at_ms)
{
    struct log_rec *l = ud;
    (void)name;
    (void)now_ms;
    if (l->n < 16) {
        l->from[l->n] = from;
        l->to[l->n] = to;
        l->reason[l->n] = reason;
        l->retry_at[l->n] = retry_at_ms;
        l->n++;
    }
}

static struct lf_circuit_config cfg_basic(void)
{
    struct lf_circuit_config c;
    lf_circuit_config_defaults(&c);
    c.failure_threshold = 3;
    c.error_ratio = 2.0; /* off */
    c.cooldown_ms = 1000;
    c.max_cooldown_ms = 10000;
    return c;
}

static void rec_fail(struct lf_circuit *c, uint32_t failure, uint64_t now)
{
    struct lf_circuit_permit p;
    assert_int_equal(lf_circuit_acquire(c, now, &p), 1);
    lf_circuit_record(c, &p, failure, 0, "boom", now);
}

static void rec_ok(struct lf_circuit *c, uint64_t now)
{
    struct lf_circuit_permit p;
    assert_int_equal(lf_circuit_acquire(c, now, &p), 1);
    lf_circuit_record(c, &p, LF_FAILURE_NONE, 0, NULL, now);
}

static void test_consecutive_failures_open(void **state)
{
    (void)state;
    struct lf_circuit_config cfg = cfg_basic();
    struct log_rec log = {0};
    struct lf_circuit *c = lf_circuit_new("p1", &cfg, on_transition, &log);
    struct lf_circuit_permit p;

    rec_fail(c, LF_FAILURE_UPSTREAM_5XX, T0);
    rec_fail(c, LF_FAILURE_CONNECT_ERROR, T0 + 1);
    rec_ok(c, T0 + 2); /* a success resets the streak */
    rec_fail(c, LF_FAILURE_TIMEOUT, T0 + 3);
    rec_fail(c, LF_FAILURE_UPSTREAM_5XX, T0 + 4);
    assert_int_equal(lf_circuit_peek(c, T0 + 4), LF_CIRCUIT_ALLOW);
    rec_fail(c, LF_FAILURE_INVALID_RESPONSE, T0 + 5);
    assert_int_equal(lf_circuit_peek(c, T0 + 5), LF_CIRCUIT_DENY);
    assert_int_equal(lf_circuit_acquire(c, T0 + 500, &p), 0);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.from[0], LF_CIRCUIT_CLOSED);
    assert_int_equal(log.to[0], LF_CIRCUIT_OPEN);
    assert_string_equal(log.reason[0], "consecutive_failures");
    assert_int_equal(log.retry_at[0], T0 + 5 + 1000);

    struct lf_circuit_info info;
    lf_circuit_get_info(c, T0 + 10, &info);
    assert_string_equal(info.state_name, "open");
    assert_int_equal(info.consecutive_failures, 3);
    assert_int_equal(info.opened_at_ms, T0 + 5);
    assert_int_equal(info.retry_at_ms, T0 + 1005);
    assert_int_equal(info.requests_1m, 6);
    assert_int_equal(info.failures_1m, 5);
    assert_true(info.error_rate_1m > 0.83 && info.error_rate_1m < 0.84);
    assert_int_equal(info.last_failure, LF_FAILURE_INVALID_RESPONSE);
    assert_string_equal(info.last_error, "invalid_response: boom");
    lf_circuit_free(c);
}

static void test_error_ratio_window(void **state)
{
    (void)state;
    struct lf_circuit_config cfg;
    lf_circuit_config_defaults(&cfg);
    cfg.failure_threshold = 100;
    cfg.error_ratio = 0.5;
    cfg.window_ms = 10000;
    cfg.min_requests = 10;
    struct log_rec log = {0};
    struct lf_circuit *c = lf_circuit_new("p", &cfg, on_transition, &log);

    /* one success then failures: below min_requests nothing happens, the 10th request trips (9/10) */
    rec_ok(c, T0);
    for (int i = 1; i < 9; i++)
        rec_fail(c, LF_FAILURE_UPSTREAM_5XX, T0 + (uint64_t)i);
    assert_int_equal(lf_circuit_peek(c, T0 + 8), LF_CIRCUIT_ALLOW);
    rec_fail(c, LF_FAILURE_UPSTREAM_5XX, T0 + 9);
    assert_int_equal(lf_circuit_peek(c, T0 + 9), LF_CIRCUIT_DENY);
    assert_string_equal(log.reason[0], "error_ratio");
    lf_circuit_reset(c, T0 + 10);
    assert_int_equal(lf_circuit_peek(c, T0 + 10), LF_CIRCUIT_ALLOW);

    /* alternating success / failure: 4 of 9 is below min_requests; the 10th request trips at 5/10 */
    uint64_t t = T0 + 100000;
    for (int i = 0; i < 9; i++) {
        if (i % 2)
            rec_fail(c, LF_FAILURE_TIMEOUT, t + (uint64_t)i);
        else
            rec_ok(c, t + (uint64_t)i);
    }
    assert_int_equal(lf_circuit_peek(c, t + 9), LF_CIRCUIT_ALLOW);
    rec_fail(c, LF_FAILURE_TIMEOUT, t + 9);
    assert_int_equal(lf_circuit_peek(c, t + 9), LF_CIRCUIT_DENY);

    /* window expiry: failures older than window_ms do not count */
    lf_circuit_reset(c, t + 10);
    t = T0 + 200000;
    for (int i = 0; i < 4; i++)
        rec_fail(c, LF_FAILURE_TIMEOUT, t);
    t += 20000; /* beyond the 10 s window */
    for (int i = 0; i < 9; i++)
        rec_ok(c, t);
    rec_fail(c, LF_FAILURE_TIMEOUT, t); /* 1/10 in the window: stays closed */
    assert_int_equal(lf_circuit_peek(c, t), LF_CIRCUIT_ALLOW);
    lf_circuit_free(c);
}

static void test_half_open_probe(void **state)
{
    (void)state;
    struct lf_circuit_config cfg = cfg_basic();
    struct log_rec log = {0};
    struct lf_circuit *c = lf_circuit_new("p", &cfg, on_transition, &log);
    struct lf_circuit_permit p1, p2, late;

    assert_int_equal(lf_circuit_acquire(c, T0, &late), 1); /* in flight while the circuit opens */
    for (int i = 0; i < 3; i++)
        rec_fail(c, LF_FAILURE_UPSTREAM_5XX, T0);
    assert_int_equal(lf_circuit_peek(c, T0 + 999), LF_CIRCUIT_DENY);
    assert_int_equal(lf_circuit_peek(c, T0 + 1000), LF_CIRCUIT_PROBE);
    assert_int_equal(lf_circuit_acquire(c, T0 + 1000, &p1), 1);
    assert_true(p1.probe_id != 0);
    assert_int_equal(lf_circuit_peek(c, T0 + 1001), LF_CIRCUIT_DENY);
    assert_int_equal(lf_circuit_acquire(c, T0 + 1001, &p2), 0);
    /* the late success of a request sent before the opening does not close it */
    lf_circuit_record(c, &late, LF_FAILURE_NONE, 0, NULL, T0 + 1002);
    struct lf_circuit_info info;
    lf_circuit_get_info(c, T0 + 1002, &info);
    assert_string_equal(info.state_name, "half_open");
    /* the probe fails: re-open with a doubled cooldown */
    lf_circuit_record(c, &p1, LF_FAILURE_TIMEOUT, 0, NULL, T0 + 1100);
    lf_circuit_get_info(c, T0 + 1100, &info);
    assert_string_equal(info.state_name, "open");
    assert_int_equal(info.retry_at_ms, T0 + 1100 + 2000);
    assert_int_equal(lf_circuit_acquire(c, T0 + 3099, &p2), 0);
    assert_int_equal(lf_circuit_acquire(c, T0 + 3100, &p2), 1);
    assert_true(p2.probe_id != 0 && p2.probe_id != p1.probe_id);
    /* a stale result of the old probe is ignored */
    lf_circuit_record(c, &p1, LF_FAILURE_NONE, 0, NULL, T0 + 3101);
    lf_circuit_get_info(c, T0 + 3101, &info);
    assert_string_equal(info.state_name, "half_open");
    /* the probe succeeds: closed, and the ratio window starts fresh */
    lf_circuit_record(c, &p2, LF_FAILURE_NONE, 0, NULL, T0 + 3200);
    assert_int_equal(lf_circuit_peek(c, T0 + 3200), LF_CIRCUIT_ALLOW);
    lf_circuit_get_info(c, T0 + 3200, &info);
    assert_string_equal(info.state_name, "closed");
    assert_int_equal(info.consecutive_failures, 0);
    assert_int_equal(info.retry_at_ms, 0);

    /* closed -> open -> half_open -> open -> half_open -> closed */
    assert_int_equal(log.n, 5);
    assert_string_equal(log.reason[0], "consecutive_failures");
    assert_string_equal(log.reason[1], "cooldown_elapsed");
    assert_string_equal(log.reason[2], "probe_failed");
    assert_string_equal(log.reason[3], "cooldown_elapsed");
    assert_string_equal(log.reason[4], "probe_succeeded");
    assert_int_equal(log.to[4], LF_CIRCUIT_CLOSED);
    lf_circuit_free(c);
}

static void test_cancel_and_probe_timeout(void **state)
{
    (void)state;
    struct lf_circuit_config cfg = cfg_basic();
    cfg.probe_timeout_ms = 5000;
    struct lf_circuit *c = lf_circuit_new("p", &cfg, NULL, NULL);
    struct lf_circuit_permit p, q;
    for (int i = 0; i < 3; i++)
        rec_fail(c, LF_FAILURE_UPSTREAM_5XX, T0);
    assert_int_equal(lf_circuit_acquire(c, T0 + 1000, &p), 1);
    assert_int_equal(lf_circuit_acquire(c, T0 + 1000, &q), 0);
    lf_circuit_cancel(c, &p); /* never sent: the slot is free again at once */
    assert_int_equal(lf_circuit_peek(c, T0 + 1001), LF_CIRCUIT_PROBE);
    assert_int_equal(lf_circuit_acquire(c, T0 + 1001, &q), 1);
    assert_true(q.probe_id != 0);
    /* q never answers: after probe_timeout_ms another probe may go */
    assert_int_equal(lf_circuit_acquire(c, T0 + 6000, &p), 0);
    assert_int_equal(lf_circuit_acquire(c, T0 + 6001, &p), 1);
    assert_true(p.probe_id != q.probe_id);
    lf_circuit_record(c, &p, LF_FAILURE_NONE, 0, NULL, T0 + 6002);
    assert_int_equal(lf_circuit_peek(c, T0 + 6002), LF_CIRCUIT_ALLOW);
    lf_circuit_free(c);
}

static void test_retry_after(void **state)
{
    (void)state;
    struct lf_circuit_config cfg = cfg_basic();
    struct log_rec log = {0};
    struct lf_circuit *c = lf_circuit_new("p", &cfg, on_transition, &log);
    struct lf_circuit_permit p, late;

    /* a 429 without Retry-After counts like any failure */
    assert_int_equal(lf_circuit_acquire(c, T0, &late), 1);
    assert_int_equal(lf_circuit_acquire(c, T0, &p), 1);
    lf_circuit_record(c, &p, LF_FAILURE_RATE_LIMITED, 0, NULL, T0);
    assert_int_equal(lf_circuit_peek(c, T0), LF_CIRCUIT_ALLOW);
    /* with Retry-After 5 s it opens at once until then (longer than the 1 s cooldown) */
    assert_int_equal(lf_circuit_acquire(c, T0 + 1, &p), 1);
    lf_circuit_record(c, &p, LF_FAILURE_RATE_LIMITED, 5000, "slow down", T0 + 1);
    assert_int_equal(lf_circuit_peek(c, T0 + 5000), LF_CIRCUIT_DENY);
    assert_int_equal(lf_circuit_peek(c, T0 + 5001), LF_CIRCUIT_PROBE);
    assert_string_equal(log.reason[0], "retry_after");
    /* a later 429 of a request in flight extends it, never shortens it */
    lf_circuit_record(c, &late, LF_FAILURE_RATE_LIMITED, 8000, NULL, T0 + 2);
    struct lf_circuit_info info;
    lf_circuit_get_info(c, T0 + 2, &info);
    assert_int_equal(info.retry_at_ms, T0 + 8002);
    /* Retry-After is capped by max_cooldown_ms */
    lf_circuit_reset(c, T0 + 3);
    assert_int_equal(lf_circuit_acquire(c, T0 + 3, &p), 1);
    lf_circuit_record(c, &p, LF_FAILURE_RATE_LIMITED, 3600000, NULL, T0 + 3);
    lf_circuit_get_info(c, T0 + 3, &info);
    assert_int_equal(info.retry_at_ms, T0 + 3 + 10000);
    /* retry_after_opens = -1 turns the rule off */
    cfg.retry_after_opens = -1;
    lf_circuit_configure(c, &cfg);
    lf_circuit_reset(c, T0 + 4);
    assert_int_equal(lf_circuit_acquire(c, T0 + 4, &p), 1);
    lf_circuit_record(c, &p, LF_FAILURE_RATE_LIMITED, 5000, NULL, T0 + 4);
    assert_int_equal(lf_circuit_peek(c, T0 + 4), LF_CIRCUIT_ALLOW);
    lf_circuit_free(c);
}

static void test_auth_error(void **state)
{
    (void)state;
    struct lf_circuit_config cfg = cfg_basic();
    cfg.auth_cooldown_ms = 60000;
    struct lf_circuit *c = lf_circuit_new("p", &cfg, NULL, NULL);
    rec_fail(c, LF_FAILURE_AUTH_ERROR, T0);
    struct lf_circuit_info info;
    lf_circuit_get_info(c, T0, &info);
    assert_string_equal(info.state_name, "open");
    assert_int_equal(info.retry_at_ms, T0 + 60000);
    assert_string_equal(info.last_error, "auth_error: boom");
    /* counted like the others when auth_opens = -1 */
    cfg.auth_opens = -1;
    lf_circuit_configure(c, &cfg);
    lf_circuit_reset(c, T0);
    rec_fail(c, LF_FAILURE_AUTH_ERROR, T0);
    assert_int_equal(lf_circuit_peek(c, T0), LF_CIRCUIT_ALLOW);
    rec_fail(c, LF_FAILURE_AUTH_ERROR, T0);
    rec_fail(c, LF_FAILURE_SCHEMA_INVALID, T0);
    assert_int_equal(lf_circuit_peek(c, T0), LF_CIRCUIT_DENY);
    lf_circuit_free(c);
}

struct race {
    struct lf_circuit *c;
    _Atomic int go;
    _Atomic int winners;
};

static void *race_thread(void *arg)
{
    struct race *r = arg;
    struct lf_circuit_permit p;
    while (!atomic_load(&r->go))
        ;
    for (int i = 0; i < 1000; i++) {
        if (lf_circuit_acquire(r->c, T0 + 1000, &p)) {
            assert_true(p.probe_id != 0);
            atomic_fetch_add(&r->winners, 1);
        }
    }
    return NULL;
}

static void test_probe_claim_is_exclusive(void **state)
{
    (void)state;
    struct lf_circuit_config cfg = cfg_basic();
    for (int round = 0; round < 20; round++) {
        struct race r = {.c = lf_circuit_new("p", &cfg, NULL, NULL)};
        for (int i = 0; i < 3; i++)
            rec_fail(r.c, LF_FAILURE_UPSTREAM_5XX, T0);
        pthread_t th[8];
        for (int i = 0; i < 8; i++)
            pthread_create(&th[i], NULL, race_thread, &r);
        atomic_store(&r.go, 1);
        for (int i = 0; i < 8; i++)
            pthread_join(th[i], NULL);
        assert_int_equal(atomic_load(&r.winners), 1);
        lf_circuit_free(r.c);
    }
}

static void test_names_and_defaults(void **state)
{
    (void)state;
    struct lf_circuit_config d;
    lf_circuit_config_defaults(&d);
    assert_int_equal(d.failure_threshold, 5);
    assert_int_equal(d.cooldown_ms, 30000);
    assert_string_equal(lf_circuit_state_name(LF_CIRCUIT_HALF_OPEN), "half_open");
    assert_string_equal(lf_circuit_failure_name(LF_FAILURE_UPSTREAM_5XX), "upstream_5xx");
    assert_string_equal(lf_circuit_failure_name(99), "unknown");
    struct lf_circuit *c = lf_circuit_new("p", NULL, NULL, NULL); /* NULL config = defaults */
    for (int i = 0; i < 4; i++)
        rec_fail(c, LF_FAILURE_UPSTREAM_5XX, T0);
    assert_int_equal(lf_circuit_peek(c, T0), LF_CIRCUIT_ALLOW);
    rec_fail(c, LF_FAILURE_UPSTREAM_5XX, T0);
    assert_int_equal(lf_circuit_peek(c, T0), LF_CIRCUIT_DENY);
    lf_circuit_free(c);
    lf_circuit_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consecutive_failures_open),
        cmocka_unit_test(test_error_ratio_window),
        cmocka_unit_test(test_half_open_probe),
        cmocka_unit_test(test_cancel_and_probe_timeout),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_auth_error),
        cmocka_unit_test(test_probe_claim_is_exclusive),
        cmocka_unit_test(test_names_and_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
