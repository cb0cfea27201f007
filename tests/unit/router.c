/*
 * tests/unit/router.c - unit tests of core/src/router.c (strategies, exclusions, failover, registry)
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "router.h"

#define T0 1781524800000ULL

static struct lf_router_registry *reg;

static int setup(void **state)
{
    (void)state;
    struct lf_circuit_config cfg;
    lf_circuit_config_defaults(&cfg);
    cfg.failure_threshold = 2;
    cfg.cooldown_ms = 1000;
    reg = lf_router_registry_new(&cfg, NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lf_router_registry_free(reg);
    reg = NULL;
    return 0;
}

static struct lf_route_candidate cand(const char *name, int32_t prio, double pin, double pout)
{
    struct lf_route_candidate c = {.name = name,
                                   .enabled = 1,
                                   .priority = prio,
                                   .weight = 1,
                                   .price_in_per_mtok = pin,
                                   .price_out_per_mtok = pout};
    c.rt = lf_router_registry_acquire(reg, name, NULL);
    return c;
}

static void release_all(struct lf_route_candidate *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lf_provider_rt_release(c[i].rt);
}

static const char *routed_name(const struct lf_route_candidate *c, const struct lf_route_result *r,
                               uint32_t i)
{
    return c[r->routable[i].index].name;
}

static struct lf_route_request request(enum lf_route_strategy s)
{
    struct lf_route_request q = {
        .strategy = s, .prompt_tokens = 1000, .completion_tokens = 2000, .now_ms = T0};
    return q;
}

static void test_cost_order(void **state)
{
    (void)state;
    struct lf_route_candidate c[5] = {
        cand("openai", 1, 2.50, 10.00),    /* 0.0025 + 0.02 = 0.0225 */
        cand("anthropic", 2, 3.00, 15.00), /* 0.003 + 0.03 = 0.033 */
        cand("mini", 3, 0.15, 0.60),       /* 0.00015 + 0.0012 = 0.00135 */
        cand("offline", 9, 0, 0),          /* 0 */
        cand("mystery", 0, -1, -1),        /* unknown price: last */
    };
    struct lf_route_request q = request(LF_ROUTE_COST);
    struct lf_route_result r;
    assert_int_equal(lf_router_route(c, 5, &q, &r), 5);
    assert_string_equal(routed_name(c, &r, 0), "offline");
    assert_string_equal(routed_name(c, &r, 1), "mini");
    assert_string_equal(routed_name(c, &r, 2), "openai");
    assert_string_equal(routed_name(c, &r, 3), "anthropic");
    assert_string_equal(routed_name(c, &r, 4), "mystery");
    assert_true(fabs(r.routable[2].est_cost_usd - 0.0225) < 1e-12);
    assert_true(r.routable[4].est_cost_usd < 0);
    assert_true(fabs(lf_router_estimate_cost(0.15, 0.60, 1000, 2000) - 0.00135) < 1e-12);

    /* equal prices: priority, then name, then position decide */
    struct lf_route_candidate d[3] = {cand("b", 2, 1, 1), cand("a", 2, 1, 1), cand("c", 1, 1, 1)};
    assert_int_equal(lf_router_route(d, 3, &q, &r), 3);
    assert_string_equal(routed_name(d, &r, 0), "c");
    assert_string_equal(routed_name(d, &r, 1), "a");
    assert_string_equal(routed_name(d, &r, 2), "b");
    release_all(c, 5);
    release_all(d, 3);
}

static void test_priority_order(void **state)
{
    (void)state;
    struct lf_route_candidate c[4] = {cand("x", 3, 0, 0), cand("y", 1, 9, 9), cand("z", 2, 0, 0),
                                      cand("w", 1, 0, 0)};
    struct lf_route_request q = request(LF_ROUTE_PRIORITY);
    struct lf_route_result r;
    assert_int_equal(lf_router_route(c, 4, &q, &r), 4);
    assert_string_equal(routed_name(c, &r, 0), "w");
    assert_string_equal(routed_name(c, &r, 1), "y");
    assert_string_equal(routed_name(c, &r, 2), "z");
    assert_string_equal(routed_name(c, &r, 3), "x");
    release_all(c, 4);
}

static void test_latency_order_and_stats(void **state)
{
    (void)state;
    struct lf_route_candidate c[4] = {cand("slow", 1, 0, 0), cand("fast", 2, 0, 0),
                                      cand("new", 3, 0, 0), cand("mid", 4, 0, 0)};
    lf_provider_rt_record(c[0].rt, LF_FAILURE_NONE, 900, 10, 20, 0.01);
    lf_provider_rt_record(c[1].rt, LF_FAILURE_NONE, 100, 10, 20, 0.01);
    lf_provider_rt_record(c[3].rt, LF_FAILURE_NONE, 400, 10, 20, 0.01);
    /* failures do not feed the latency EWMA */
    lf_provider_rt_record(c[1].rt, LF_FAILURE_TIMEOUT, 30000, 0, 0, -1);
    struct lf_route_request q = request(LF_ROUTE_LATENCY);
    struct lf_route_result r;
    assert_int_equal(lf_router_route(c, 4, &q, &r), 4);
    /* "new" has no sample: it ranks as the median of the known (400) and wins the tie with "mid" on priority */
    assert_string_equal(routed_name(c, &r, 0), "fast");
    assert_string_equal(routed_name(c, &r, 1), "new");
    assert_string_equal(routed_name(c, &r, 2), "mid");
    assert_string_equal(routed_name(c, &r, 3), "slow");

    /* EWMA: 100 then 200 with alpha 0.2 = 120 */
    lf_provider_rt_record(c[1].rt, LF_FAILURE_NONE, 200, 5, 5, 0.5);
    struct lf_provider_stats_snapshot s;
    lf_provider_rt_stats(c[1].rt, &s);
    assert_true(fabs(s.latency_ewma_ms - 120.0) < 1e-9);
    assert_int_equal(s.requests, 3);
    assert_int_equal(s.failures, 1);
    assert_int_equal(s.prompt_tokens, 15);
    assert_int_equal(s.completion_tokens, 25);
    assert_true(fabs(s.cost_usd - 0.51) < 1e-9);
    assert_int_equal(s.latency_samples, 2);
    assert_true(lf_provider_rt_latency_ms(c[2].rt) < 0);
    release_all(c, 4);

    /* nobody measured yet: priority order */
    struct lf_route_candidate d[2] = {cand("d2", 2, 0, 0), cand("d1", 1, 0, 0)};
    assert_int_equal(lf_router_route(d, 2, &q, &r), 2);
    assert_string_equal(routed_name(d, &r, 0), "d1");
    release_all(d, 2);
}

struct seq_rng {
    uint64_t v[8];
    int i;
};

static uint64_t seq_rng_next(void *ud)
{
    struct seq_rng *s = ud;
    return s->v[s->i++ % 8];
}

static void test_weighted(void **state)
{
    (void)state;
    struct lf_route_candidate c[3] = {cand("heavy", 1, 0, 0), cand("light", 2, 0, 0),
                                      cand("zero", 0, 0, 0)};
    c[0].weight = 3;
    c[1].weight = 1;
    c[2].weight = 0; /* only after every positive weight */
    struct lf_route_request q = request(LF_ROUTE_WEIGHTED);
    struct lf_route_result r;

    /* injected RNG: the same draws give the same order */
    struct seq_rng s1 = {.v = {UINT64_MAX / 10, UINT64_MAX / 2, 7}}, s2 = s1;
    q.rng = seq_rng_next;
    q.rng_ud = &s1;
    assert_int_equal(lf_router_route(c, 3, &q, &r), 3);
    uint32_t first = r.routable[0].index;
    assert_string_equal(routed_name(c, &r, 2), "zero");
    q.rng_ud = &s2;
    lf_router_route(c, 3, &q, &r);
    assert_int_equal(r.routable[0].index, first);
    /* u_heavy = 0.1 -> -ln(0.1)/3 = 0.77; u_light = 0.5 -> 0.69: light first */
    assert_string_equal(routed_name(c, &r, 0), "light");

    /* default RNG: heavy first about 3 times in 4 */
    q.rng = NULL;
    int heavy_first = 0;
    for (int i = 0; i < 20000; i++) {
        lf_router_route(c, 3, &q, &r);
        heavy_first += r.routable[0].index == 0;
        assert_string_equal(routed_name(c, &r, 2), "zero");
    }
    assert_true(heavy_first > 14400 && heavy_first < 15600);
    release_all(c, 3);
}

static void test_exclusions(void **state)
{
    (void)state;
    struct lf_route_candidate c[6] = {
        cand("off", 1, 1, 1),        cand("broken", 2, 1, 1),     cand("poor", 3, 1, 1),
        cand("pricey", 4, 100, 100), cand("unpriced", 5, -1, -1), cand("good", 6, 1, 1),
    };
    c[0].enabled = 0;
    struct lf_circuit_permit p;
    for (int i = 0; i < 2; i++) {
        lf_circuit_acquire(c[1].rt->circuit, T0, &p);
        lf_circuit_record(c[1].rt->circuit, &p, LF_FAILURE_UPSTREAM_5XX, 0, NULL, T0);
    }
    lf_budget_set_limits(c[2].rt->budget, 0.001, LF_BUDGET_UNLIMITED);
    struct lf_route_request q = request(LF_ROUTE_COST);
    q.max_cost_usd = 0.01;
    struct lf_route_result r;
    assert_int_equal(lf_router_route(c, 6, &q, &r), 1);
    assert_string_equal(routed_name(c, &r, 0), "good");
    assert_int_equal(r.n_excluded, 5);
    uint32_t want[5] = {LF_ROUTE_DISABLED, LF_ROUTE_CIRCUIT_OPEN, LF_ROUTE_OVER_BUDGET,
                        LF_ROUTE_OVER_MAX_COST, LF_ROUTE_PRICE_UNKNOWN};
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(r.excluded[i].index, i);
        assert_int_equal(r.excluded[i].reason, want[i]);
    }
    assert_string_equal(lf_router_exclusion_name(LF_ROUTE_CIRCUIT_OPEN), "circuit_open");
    assert_string_equal(lf_router_exclusion_name(LF_ROUTE_OVER_MAX_COST), "over_max_cost");
    assert_int_equal(r.all_budget, 0);

    /* after the cooldown the broken one is routable again, flagged as the probe */
    q.now_ms = T0 + 1000;
    q.max_cost_usd = 0;
    lf_router_route(c, 6, &q, &r);
    int seen = 0;
    for (uint32_t i = 0; i < r.n_routable; i++)
        if (r.routable[i].index == 1) {
            seen = 1;
            assert_int_equal(r.routable[i].probe, 1);
        }
    assert_true(seen);
    /* its probe in flight: excluded again for everyone else */
    assert_int_equal(lf_circuit_acquire(c[1].rt->circuit, T0 + 1000, &p), 1);
    lf_router_route(c, 6, &q, &r);
    for (uint32_t i = 0; i < r.n_routable; i++)
        assert_int_not_equal(r.routable[i].index, 1);
    lf_circuit_cancel(c[1].rt->circuit, &p);

    /* pinning */
    q.pinned = "poor";
    q.now_ms = T0;
    assert_int_equal(lf_router_route(c, 6, &q, &r), 0);
    assert_int_equal(r.pinned_unknown, 0);
    assert_int_equal(r.all_budget, 1); /* -> 402 BUDGET_EXCEEDED */
    q.pinned = "good";
    assert_int_equal(lf_router_route(c, 6, &q, &r), 1);
    assert_int_equal(r.n_excluded, 5);
    assert_int_equal(r.excluded[0].reason, LF_ROUTE_NOT_PINNED);
    q.pinned = "nope";
    assert_int_equal(lf_router_route(c, 6, &q, &r), 0);
    assert_int_equal(r.pinned_unknown, 1);
    assert_int_equal(r.all_budget, 0);

    /* the key's budget */
    struct lf_budget *kb = lf_budget_new("key", 0.0001, LF_BUDGET_UNLIMITED);
    q.pinned = NULL;
    q.key_budget = kb;
    assert_int_equal(lf_router_route(c, 6, &q, &r), 1); /* only "unpriced" (reserved as 0) */
    assert_string_equal(routed_name(c, &r, 0), "unpriced");
    lf_budget_free(kb);
    release_all(c, 6);
}

static void test_all_budget(void **state)
{
    (void)state;
    struct lf_route_candidate c[2] = {cand("a", 1, 1, 1), cand("b", 2, 1, 1)};
    lf_budget_set_limits(c[0].rt->budget, 0, 0);
    lf_budget_set_limits(c[1].rt->budget, LF_BUDGET_UNLIMITED, 0.001);
    struct lf_route_request q = request(LF_ROUTE_PRIORITY);
    struct lf_route_result r;
    assert_int_equal(lf_router_route(c, 2, &q, &r), 0);
    assert_int_equal(r.all_budget, 1);
    release_all(c, 2);
}

static void test_backoff(void **state)
{
    (void)state;
    struct lf_retry_policy p;
    lf_retry_policy_defaults(&p);
    p.jitter = 0;
    assert_int_equal(lf_router_backoff_ms(&p, 1, 0, 0), 100);
    assert_int_equal(lf_router_backoff_ms(&p, 2, 0, 0), 200);
    assert_int_equal(lf_router_backoff_ms(&p, 4, 0, 0), 800);
    assert_int_equal(lf_router_backoff_ms(&p, 10, 0, 0), 2000);
    assert_int_equal(lf_router_backoff_ms(&p, 1, 700, 0), 700);    /* Retry-After wins */
    assert_int_equal(lf_router_backoff_ms(&p, 1, 90000, 0), 2000); /* but is capped */
    p.jitter = 0.5;
    assert_int_equal(lf_router_backoff_ms(&p, 2, 0, 0), 100);       /* u = 0: half */
    assert_true(lf_router_backoff_ms(&p, 2, 0, UINT64_MAX) >= 199); /* u -> 1: (almost) whole */
    assert_true(lf_router_backoff_ms(&p, 2, 0, UINT64_MAX) <= 200);
    assert_int_equal(lf_router_backoff_ms(&p, 2, 0, UINT64_MAX / 2), 150);
    assert_int_equal(lf_router_failure_retryable(LF_FAILURE_UPSTREAM_5XX), 1);
    assert_int_equal(lf_router_failure_retryable(LF_FAILURE_AUTH_ERROR), 0);
    assert_int_equal(lf_router_failure_retryable(LF_FAILURE_SCHEMA_INVALID), 0);
}

static void test_failover_walk(void **state)
{
    (void)state;
    struct lf_route_result r = {.n_routable = 3};
    for (uint32_t i = 0; i < 3; i++)
        r.routable[i].index = i;
    struct lf_failover fo;
    uint32_t pos = 99, delay = 99;

    /* default: each provider once, at most 3 attempts, no ping-pong */
    lf_failover_init(&fo, r.n_routable, NULL, 0);
    assert_int_equal(lf_failover_next(&fo, 0, 0, 0, T0, 0, &pos, &delay), LF_FAILOVER_ATTEMPT);
    assert_int_equal(pos, 0);
    assert_int_equal(delay, 0);
    assert_int_equal(lf_failover_next(&fo, LF_FAILURE_CONNECT_ERROR, 0, 0, T0, 0, &pos, &delay),
                     LF_FAILOVER_ATTEMPT);
    assert_int_equal(pos, 1);
    assert_int_equal(lf_failover_next(&fo, LF_FAILURE_UPSTREAM_5XX, 0, 0, T0, 0, &pos, &delay),
                     LF_FAILOVER_ATTEMPT);
    assert_int_equal(pos, 2);
    assert_int_equal(lf_failover_next(&fo, LF_FAILURE_TIMEOUT, 0, 0, T0, 0, &pos, &delay),
                     LF_FAILOVER_MAX_ATTEMPTS);

    /* skipped candidates (permit or budget refused at attempt time) do not count */
    struct lf_retry_policy pol;
    lf_retry_policy_defaults(&pol);
    pol.max_attempts = 2;
    lf_failover_init(&fo, r.n_routable, &pol, 0);
    lf_failover_next(&fo, 0, 0, 0, T0, 0, &pos, &delay);
    assert_int_equal(lf_failover_next(&fo, 0, 0, 1, T0, 0, &pos, &delay), LF_FAILOVER_ATTEMPT);
    assert_int_equal(pos, 1);
    assert_int_equal(lf_failover_next(&fo, LF_FAILURE_TIMEOUT, 0, 0, T0, 0, &pos, &delay),
                     LF_FAILOVER_ATTEMPT);
    assert_int_equal(pos, 2);
    assert_int_equal(lf_failover_next(&fo, LF_FAILURE_TIMEOUT, 0, 0, T0, 0, &pos, &delay),
                     LF_FAILOVER_MAX_ATTEMPTS);

    /* retries on the same provider with backoff, then move on for good */
    pol.max_attempts = 10;
    pol.retries_per_provider = 2;
    pol.jitter = 0;
    lf_failover_init(&fo, r.n_routable, &pol, 0);
    lf_failover_next(&fo, 0, 0, 0, T0, 0, &pos, &delay);
    assert_int_equal(lf_failover_next(&fo, LF_FAILURE_UPSTREAM_5XX, 0, 0, T0, 0, &pos, &delay),
                     LF_FAILOVER_ATTEMPT);
    assert_int_equal(pos, 0);
    assert_int_equal(delay, 100);
    assert_int_equal(lf_failover_next(&fo, LF_FAILURE_UPSTREAM_5XX, 0, 0, T0, 0, &pos, &delay),
                     LF_FAILOVER_ATTEMPT);
    assert_int_equal(pos, 0);
    assert_int_equal(delay, 200);
    assert_int_equal(lf_failover_next(&fo, LF_FAILURE_UPSTREAM_5XX, 0, 0, T0, 0, &pos, &delay),
                     LF_FAILOVER_ATTEMPT);
    assert_int_equal(pos, 1);
    assert_int_equal(delay, 0);
    /* an auth error is not retried on the same provider */
    assert_int_equal(lf_failover_next(&fo, LF_FAILURE_AUTH_ERROR, 0, 0, T0, 0, &pos, &delay),
                     LF_FAILOVER_ATTEMPT);
    assert_int_equal(pos, 2);
    /* a Retry-After longer than max_delay moves on instead of waiting */
    assert_int_equal(lf_failover_next(&fo, LF_FAILURE_RATE_LIMITED, 60000, 0, T0, 0, &pos, &delay),
                     LF_FAILOVER_EXHAUSTED);

    /* the deadline: an attempt that cannot start before it is not made */
    lf_failover_init(&fo, r.n_routable, &pol, T0 + 150);
    lf_failover_next(&fo, 0, 0, 0, T0, 0, &pos, &delay);
    assert_int_equal(lf_failover_next(&fo, LF_FAILURE_UPSTREAM_5XX, 0, 0, T0 + 10, 0, &pos, &delay),
                     LF_FAILOVER_ATTEMPT); /* +100 ms < deadline */
    assert_int_equal(
        lf_failover_next(&fo, LF_FAILURE_UPSTREAM_5XX, 0, 0, T0 + 120, 0, &pos, &delay),
        LF_FAILOVER_DEADLINE);

    /* nothing routable */
    struct lf_route_result empty = {0};
    lf_failover_init(&fo, empty.n_routable, NULL, 0);
    assert_int_equal(lf_failover_next(&fo, 0, 0, 0, T0, 0, &pos, &delay), LF_FAILOVER_EXHAUSTED);
}

static void test_registry_reload(void **state)
{
    (void)state;
    /* generation 1 names a and b */
    struct lf_provider_rt *a1 = lf_router_registry_acquire(reg, "a", NULL);
    struct lf_provider_rt *b1 = lf_router_registry_acquire(reg, "b", NULL);
    lf_provider_rt_record(a1, LF_FAILURE_NONE, 50, 1, 1, 0.1);
    /* generation 2 names a and c, with a new breaker config: a keeps its state */
    struct lf_circuit_config cfg;
    lf_circuit_config_defaults(&cfg);
    cfg.failure_threshold = 1;
    struct lf_provider_rt *a2 = lf_router_registry_acquire(reg, "a", &cfg);
    struct lf_provider_rt *c2 = lf_router_registry_acquire(reg, "c", NULL);
    assert_ptr_equal(a1, a2);
    assert_true(lf_provider_rt_latency_ms(a2) == 50);
    const char *names[] = {"a", "c"};
    lf_router_registry_retain_only(reg, names, 2);
    assert_int_equal(lf_router_registry_count(reg), 2);
    struct lf_provider_rt *none = lf_router_registry_find(reg, "b");
    assert_null(none);
    /* b is still usable by generation 1 until it lets go */
    lf_provider_rt_record(b1, LF_FAILURE_TIMEOUT, 0, 0, 0, 0);
    struct lf_circuit_permit p;
    assert_int_equal(lf_circuit_acquire(a2->circuit, T0, &p), 1);
    lf_circuit_record(a2->circuit, &p, LF_FAILURE_TIMEOUT, 0, NULL, T0);
    assert_int_equal(lf_circuit_peek(a2->circuit, T0),
                     LF_CIRCUIT_DENY); /* new threshold 1 applies */
    /* generation 1 finalised */
    lf_provider_rt_release(a1);
    lf_provider_rt_release(b1);
    struct lf_provider_rt *a3 = lf_router_registry_find(reg, "a");
    assert_ptr_equal(a3, a2);
    lf_provider_rt_release(a3);
    lf_provider_rt_release(a2);
    lf_provider_rt_release(c2);
    lf_provider_rt_release(NULL);
}

static void test_rt_json(void **state)
{
    (void)state;
    struct lf_provider_rt *rt = lf_router_registry_acquire(reg, "openai", NULL);
    json_t *j = lf_provider_rt_json(rt, T0);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "closed");
    assert_true(json_is_null(json_object_get(j, "latency_ewma_ms")));
    assert_true(json_is_null(json_object_get(j, "budget")));
    assert_true(json_is_null(json_object_get(j, "opened_at")));
    json_decref(j);

    lf_budget_set_limits(rt->budget, 10.0, 50.0);
    struct lf_budget_reservation res;
    assert_int_equal(lf_budget_reserve(rt->budget, 4.0, T0, &res), LF_OK);
    lf_budget_settle(&res, 4.0, T0);
    lf_provider_rt_record(rt, LF_FAILURE_NONE, 250, 100, 200, 4.0);
    struct lf_circuit_permit p;
    for (int i = 0; i < 2; i++) {
        lf_circuit_acquire(rt->circuit, T0 + 1500, &p);
        lf_circuit_record(rt->circuit, &p, LF_FAILURE_UPSTREAM_5XX, 0, "HTTP 503", T0 + 1500);
    }
    j = lf_provider_rt_json(rt, T0 + 2000);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "open");
    assert_string_equal(json_string_value(json_object_get(j, "opened_at")),
                        "2026-06-15T12:00:01.500Z");
    assert_string_equal(json_string_value(json_object_get(j, "retry_at")),
                        "2026-06-15T12:00:02.500Z");
    assert_string_equal(json_string_value(json_object_get(j, "last_error")),
                        "upstream_5xx: HTTP 503");
    assert_true(fabs(json_real_value(json_object_get(j, "latency_ewma_ms")) - 250) < 1e-9);
    json_t *b = json_object_get(j, "budget");
    assert_string_equal(json_string_value(json_object_get(b, "period")),
                        "day"); /* 40 % used vs 8 % */
    assert_true(fabs(json_real_value(json_object_get(b, "spent_usd")) - 4.0) < 1e-9);
    assert_int_equal(json_array_size(json_object_get(j, "budgets")), 2);
    json_t *st = json_object_get(j, "stats");
    assert_int_equal(json_integer_value(json_object_get(st, "tokens")), 300);
    assert_int_equal(json_integer_value(json_object_get(st, "requests")), 1);
    json_decref(j);
    lf_provider_rt_release(rt);
}

static void test_attempt_helpers(void **state)
{
    (void)state;
    struct lf_provider_rt *rt = lf_router_registry_acquire(reg, "p", NULL);
    struct lf_budget *kb = lf_budget_new("key", 1.0, LF_BUDGET_UNLIMITED);
    struct lf_budget_status st[LF_BUDGET_N_PERIODS];
    struct lf_route_attempt a;
    lf_budget_set_limits(rt->budget, 2.0, LF_BUDGET_UNLIMITED);

    /* success with a known cost settles both budgets and feeds the stats */
    assert_int_equal(lf_router_attempt_begin(&a, rt, kb, 0.5, T0), LF_ATTEMPT_GO);
    lf_budget_query(kb, T0, st);
    assert_true(fabs(st[LF_BUDGET_DAY].reserved_usd - 0.5) < 1e-12);
    lf_router_attempt_end(&a, LF_FAILURE_NONE, 0, NULL, 80, 10, 20, 0.25, T0);
    lf_router_attempt_end(&a, LF_FAILURE_NONE, 0, NULL, 80, 10, 20, 0.25, T0); /* inactive: no-op */
    lf_budget_query(kb, T0, st);
    assert_true(fabs(st[LF_BUDGET_DAY].spent_usd - 0.25) < 1e-12);
    assert_true(fabs(st[LF_BUDGET_DAY].reserved_usd) < 1e-12);

    /* the key budget refuses: the provider reservation is given back */
    assert_int_equal(lf_router_attempt_begin(&a, rt, kb, 0.9, T0), LF_ATTEMPT_KEY_BUDGET);
    assert_int_equal(a.active, 0);
    lf_budget_query(rt->budget, T0, st);
    assert_true(fabs(st[LF_BUDGET_DAY].reserved_usd) < 1e-12);

    /* an unbilled failure releases; a billed failure (schema_invalid) is charged */
    assert_int_equal(lf_router_attempt_begin(&a, rt, kb, 0.1, T0), LF_ATTEMPT_GO);
    lf_router_attempt_end(&a, LF_FAILURE_UPSTREAM_5XX, 0, "HTTP 502", 10, 0, 0, -1, T0);
    assert_int_equal(lf_router_attempt_begin(&a, rt, kb, 0.1, T0), LF_ATTEMPT_GO);
    lf_router_attempt_end(&a, LF_FAILURE_SCHEMA_INVALID, 0, NULL, 10, 5, 5, 0.05, T0);
    lf_budget_query(kb, T0, st);
    assert_true(fabs(st[LF_BUDGET_DAY].spent_usd - 0.30) < 1e-12);
    /* two failures opened the breaker (threshold 2 in setup()): attempts are refused now */
    assert_int_equal(lf_router_attempt_begin(&a, rt, kb, 0.2, T0), LF_ATTEMPT_CIRCUIT);
    lf_budget_query(kb, T0, st);
    assert_true(fabs(st[LF_BUDGET_DAY].reserved_usd) < 1e-12);
    lf_circuit_reset(rt->circuit, T0);
    /* a success of unknown cost is charged the estimate, never $0 */
    assert_int_equal(lf_router_attempt_begin(&a, rt, kb, 0.2, T0), LF_ATTEMPT_GO);
    lf_router_attempt_end(&a, LF_FAILURE_NONE, 0, NULL, 10, 5, 5, -1, T0);
    lf_budget_query(kb, T0, st);
    assert_true(fabs(st[LF_BUDGET_DAY].spent_usd - 0.50) < 1e-12);
    struct lf_provider_stats_snapshot ss;
    lf_provider_rt_stats(rt, &ss);
    assert_int_equal(ss.requests, 4);
    assert_int_equal(ss.failures, 2);
    assert_true(fabs(ss.cost_usd - 0.50) < 1e-9);

    /* abort gives everything back, including the half-open probe slot */
    lf_budget_set_limits(rt->budget, 0.0, LF_BUDGET_UNLIMITED);
    assert_int_equal(lf_router_attempt_begin(&a, rt, kb, 0.1, T0), LF_ATTEMPT_BUDGET);
    lf_budget_set_limits(rt->budget, LF_BUDGET_UNLIMITED, LF_BUDGET_UNLIMITED);
    struct lf_circuit_permit p;
    lf_circuit_acquire(rt->circuit, T0, &p);
    lf_circuit_record(rt->circuit, &p, LF_FAILURE_AUTH_ERROR, 0, NULL, T0); /* open */
    assert_int_equal(lf_router_attempt_begin(&a, rt, kb, 0.1, T0 + 1), LF_ATTEMPT_CIRCUIT);
    assert_int_equal(lf_router_attempt_begin(&a, rt, kb, 0.1, T0 + 400000), LF_ATTEMPT_GO);
    assert_true(a.permit.probe_id != 0);
    lf_router_attempt_abort(&a);
    assert_int_equal(lf_circuit_peek(rt->circuit, T0 + 400001), LF_CIRCUIT_PROBE);
    lf_budget_query(kb, T0, st);
    assert_true(fabs(st[LF_BUDGET_DAY].reserved_usd) < 1e-12);
    /* no runtime state: always go, only the key budget applies */
    assert_int_equal(lf_router_attempt_begin(&a, NULL, kb, 0.1, T0), LF_ATTEMPT_GO);
    lf_router_attempt_end(&a, LF_FAILURE_NONE, 0, NULL, 1, 1, 1, 0.1, T0);
    lf_budget_free(kb);
    lf_provider_rt_release(rt);
}

static void test_strategy_names(void **state)
{
    (void)state;
    enum lf_route_strategy s;
    assert_int_equal(lf_router_strategy_parse("latency", &s), LF_OK);
    assert_int_equal(s, LF_ROUTE_LATENCY);
    assert_int_equal(lf_router_strategy_parse("cheapest", &s), LF_EINVAL);
    assert_string_equal(lf_router_strategy_name(LF_ROUTE_WEIGHTED), "weighted");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cost_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priority_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency_order_and_stats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weighted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exclusions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_budget, setup, teardown),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_failover_walk),
        cmocka_unit_test_setup_teardown(test_registry_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rt_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attempt_helpers, setup, teardown),
        cmocka_unit_test(test_strategy_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
