/*
 * tests/unit/router_flow.c - the routing modules composed as the pipeline uses them (simulated upstreams)
 * SPDX-License-Identifier: MIT
 *
 * run_request() below follows the recipe of docs/internals/ROUTING.md step by step (route, failover walk,
 * lf_router_attempt_begin / _end around each attempt) against simulated
 * providers whose behaviour each test chooses. It checks the behaviours issue 5 asks for at the level of
 * these modules: failover to the secondary, no traffic to an open circuit, Retry-After honoured,
 * half-open recovery with a single probe, cost ordering, budget exhaustion moving traffic (then 402), no
 * overshoot under concurrency, and the deadline (504).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "router.h"

#define T0 1781524800000ULL
#define NP 3

/* what a simulated provider answers */
enum behaviour { OK, REFUSE, FAIL_5XX, LIMITED_429, SLOW };

struct flow {
    struct lf_router_registry *reg;
    struct lf_route_candidate cands[NP];
    _Atomic int behaviour[NP];
    uint32_t retry_after_ms; /* for LIMITED_429 */
    _Atomic int sent[NP];    /* attempts that reached each provider */
    struct lf_budget *key_budget;
    enum lf_route_strategy strategy;
};

struct outcome {
    int status; /* 200, 402, 502, 503, 504 */
    int served_by;
    int n_attempts;
    int attempt_provider[8];
    uint32_t attempt_failure[8];
};

static void flow_init(struct flow *f, enum lf_route_strategy s)
{
    static const char *names[NP] = {"primary", "secondary", "tertiary"};
    static const double price_in[NP] = {1.0, 2.0, 3.0};
    static const double price_out[NP] = {2.0, 4.0, 6.0};
    memset(f, 0, sizeof(*f));
    struct lf_circuit_config cfg;
    lf_circuit_config_defaults(&cfg);
    cfg.failure_threshold = 3;
    cfg.cooldown_ms = 1000;
    f->reg = lf_router_registry_new(&cfg, NULL, NULL);
    f->strategy = s;
    for (int i = 0; i < NP; i++) {
        f->cands[i] = (struct lf_route_candidate){.name = names[i],
                                                  .enabled = 1,
                                                  .priority = i + 1,
                                                  .weight = 1,
                                                  .price_in_per_mtok = price_in[i],
                                                  .price_out_per_mtok = price_out[i]};
        f->cands[i].rt = lf_router_registry_acquire(f->reg, names[i], NULL);
    }
}

static void flow_free(struct flow *f)
{
    for (int i = 0; i < NP; i++)
        lf_provider_rt_release(f->cands[i].rt);
    lf_router_registry_free(f->reg);
    lf_budget_free(f->key_budget);
}

/* The simulated upstream: returns the failure class and the latency it took. */
static uint32_t upstream(struct flow *f, int p, uint32_t *retry_after_ms, uint32_t *latency_ms)
{
    atomic_fetch_add(&f->sent[p], 1);
    *retry_after_ms = 0;
    *latency_ms = 100 + 10 * (uint32_t)p;
    switch (atomic_load(&f->behaviour[p])) {
    case REFUSE:
        *latency_ms = 0;
        return LF_FAILURE_CONNECT_ERROR;
    case FAIL_5XX:
        return LF_FAILURE_UPSTREAM_5XX;
    case LIMITED_429:
        *retry_after_ms = f->retry_after_ms;
        return LF_FAILURE_RATE_LIMITED;
    case SLOW:
        *latency_ms = 30000;
        return LF_FAILURE_TIMEOUT;
    default:
        return LF_FAILURE_NONE;
    }
}

/* The pipeline's attempt loop, as documented in ROUTING.md. */
static void run_request(struct flow *f, uint64_t now, uint64_t deadline, struct outcome *out)
{
    struct lf_route_request q = {.strategy = f->strategy,
                                 .prompt_tokens = 1000,
                                 .completion_tokens = 1000,
                                 .key_budget = f->key_budget,
                                 .now_ms = now};
    struct lf_route_result route;
    struct lf_failover fo;
    uint32_t pos, delay;
    int skipped_budget = 0;

    memset(out, 0, sizeof(*out));
    out->served_by = -1;
    lf_router_route(f->cands, NP, &q, &route);
    lf_failover_init(&fo, route.n_routable, NULL, deadline);
    enum lf_failover_step st = lf_failover_next(&fo, LF_FAILURE_NONE, 0, 0, now, 0, &pos, &delay);
    while (st == LF_FAILOVER_ATTEMPT) {
        const struct lf_route_entry *e = &route.routable[pos];
        struct lf_route_candidate *c = &f->cands[e->index];
        struct lf_route_attempt a;
        enum lf_attempt_verdict v =
            lf_router_attempt_begin(&a, c->rt, f->key_budget, e->est_cost_usd, now);
        if (v != LF_ATTEMPT_GO) {
            skipped_budget |= v == LF_ATTEMPT_BUDGET || v == LF_ATTEMPT_KEY_BUDGET;
            st = lf_failover_next(&fo, 0, 0, 1, now, 0, &pos, &delay);
            continue;
        }
        now += delay;
        uint32_t retry_after, latency;
        uint32_t failure = upstream(f, (int)e->index, &retry_after, &latency);
        now += latency;
        out->attempt_provider[out->n_attempts] = (int)e->index;
        out->attempt_failure[out->n_attempts] = failure;
        out->n_attempts++;
        if (failure == LF_FAILURE_NONE) {
            lf_router_attempt_end(&a, failure, 0, NULL, latency, 1000, 1000, e->est_cost_usd, now);
            out->status = 200;
            out->served_by = (int)e->index;
            return;
        }
        lf_router_attempt_end(&a, failure, retry_after, "simulated", latency, 0, 0, -1, now);
        st = lf_failover_next(&fo, failure, retry_after, 0, now, 0, &pos, &delay);
    }
    if (st == LF_FAILOVER_DEADLINE)
        out->status = 504;
    else if (fo.attempts > 0)
        out->status = 502;
    else if (route.all_budget || skipped_budget)
        out->status = 402;
    else
        out->status = 503;
}

static void test_failover_to_secondary(void **state)
{
    (void)state;
    struct flow f;
    struct outcome o;
    flow_init(&f, LF_ROUTE_PRIORITY);
    f.behaviour[0] = REFUSE;
    run_request(&f, T0, 0, &o);
    assert_int_equal(o.status, 200);
    assert_int_equal(o.served_by, 1);
    assert_int_equal(o.n_attempts, 2);
    assert_int_equal(o.attempt_provider[0], 0);
    assert_int_equal(o.attempt_failure[0], LF_FAILURE_CONNECT_ERROR);
    assert_int_equal(o.attempt_provider[1], 1);
    assert_int_equal(o.attempt_failure[1], LF_FAILURE_NONE);
    flow_free(&f);
}

static void test_open_circuit_gets_no_traffic_then_recovers(void **state)
{
    (void)state;
    struct flow f;
    struct outcome o;
    flow_init(&f, LF_ROUTE_PRIORITY);
    f.behaviour[0] = FAIL_5XX;
    for (int i = 0; i < 3; i++) {
        run_request(&f, T0 + (uint64_t)i, 0, &o);
        assert_int_equal(o.served_by, 1);
    }
    assert_int_equal(f.sent[0], 3);
    /* open: zero attempts on the primary */
    for (int i = 0; i < 50; i++) {
        run_request(&f, T0 + 200 + (uint64_t)i, 0, &o);
        assert_int_equal(o.n_attempts, 1);
        assert_int_equal(o.attempt_provider[0], 1);
    }
    assert_int_equal(f.sent[0], 3);
    /* the primary heals; after the cooldown one probe goes there and closes the breaker */
    f.behaviour[0] = OK;
    run_request(&f, T0 + 2000, 0, &o);
    assert_int_equal(o.served_by, 0);
    assert_int_equal(f.sent[0], 4);
    struct lf_circuit_info info;
    lf_circuit_get_info(f.cands[0].rt->circuit, T0 + 2500, &info);
    assert_string_equal(info.state_name, "closed");
    run_request(&f, T0 + 2600, 0, &o);
    assert_int_equal(o.served_by, 0);
    flow_free(&f);
}

static void test_retry_after_honoured(void **state)
{
    (void)state;
    struct flow f;
    struct outcome o;
    flow_init(&f, LF_ROUTE_PRIORITY);
    f.behaviour[0] = LIMITED_429;
    f.retry_after_ms = 5000;
    run_request(&f, T0, 0, &o);
    assert_int_equal(o.served_by, 1);
    assert_int_equal(o.attempt_failure[0], LF_FAILURE_RATE_LIMITED);
    f.behaviour[0] = OK;
    for (uint64_t t = T0 + 1000; t < T0 + 5000; t += 500) {
        run_request(&f, t, 0, &o);
        assert_int_equal(o.served_by, 1);
    }
    assert_int_equal(f.sent[0], 1);
    run_request(&f, T0 + 5200, 0, &o);
    assert_int_equal(o.served_by, 0);
    flow_free(&f);
}

struct probe_race {
    struct flow *f;
    _Atomic int go;
};

static void *probe_thread(void *arg)
{
    struct probe_race *r = arg;
    struct outcome o;
    while (!atomic_load(&r->go))
        ;
    for (int i = 0; i < 200; i++)
        run_request(r->f, T0 + 1500, 0, &o);
    return NULL;
}

static void test_half_open_single_probe_under_concurrency(void **state)
{
    (void)state;
    struct flow f;
    struct outcome o;
    flow_init(&f, LF_ROUTE_PRIORITY);
    f.behaviour[0] = FAIL_5XX;
    for (int i = 0; i < 3; i++)
        run_request(&f, T0, 0, &o);
    assert_int_equal(f.sent[0], 3);
    /* still failing: 8 threads x 200 requests after the cooldown, at one instant -> exactly one probe */
    struct probe_race r = {.f = &f};
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, probe_thread, &r);
    atomic_store(&r.go, 1);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(f.sent[0], 4);
    assert_int_equal(f.sent[1], 3 + 8 * 200);
    flow_free(&f);
}

static void test_cost_order_and_budget_moves_traffic(void **state)
{
    (void)state;
    struct flow f;
    struct outcome o;
    flow_init(&f, LF_ROUTE_COST);
    /* put the cheapest last in priority, cost must still win */
    f.cands[0].priority = 9;
    /* cost per request: primary 0.003, secondary 0.006, tertiary 0.009 USD */
    lf_budget_set_limits(f.cands[0].rt->budget, 0.030, LF_BUDGET_UNLIMITED);
    lf_budget_set_limits(f.cands[1].rt->budget, 0.012, LF_BUDGET_UNLIMITED);
    lf_budget_set_limits(f.cands[2].rt->budget, 0.009, LF_BUDGET_UNLIMITED);
    int served[NP] = {0};
    for (int i = 0; i < 20; i++) {
        run_request(&f, T0 + (uint64_t)i, 0, &o);
        if (o.status != 200)
            break;
        served[o.served_by]++;
    }
    assert_int_equal(served[0], 10);
    assert_int_equal(served[1], 2);
    assert_int_equal(served[2], 1);
    assert_int_equal(o.status, 402); /* everything over budget: BUDGET_EXCEEDED */
    assert_int_equal(o.n_attempts, 0);
    /* a raised limit takes effect at once */
    lf_budget_set_limits(f.cands[2].rt->budget, 1.0, LF_BUDGET_UNLIMITED);
    run_request(&f, T0 + 100, 0, &o);
    assert_int_equal(o.served_by, 2);
    flow_free(&f);
}

struct spend_race {
    struct flow *f;
    _Atomic int served;
};

static void *spend_thread(void *arg)
{
    struct spend_race *r = arg;
    struct outcome o;
    for (int i = 0; i < 500; i++) {
        run_request(r->f, T0, 0, &o);
        if (o.status == 200)
            atomic_fetch_add(&r->served, 1);
    }
    return NULL;
}

static void test_concurrent_requests_never_overshoot_key_budget(void **state)
{
    (void)state;
    struct flow f;
    flow_init(&f, LF_ROUTE_COST);
    /* the key may spend $0.5: at 0.003 per request on the primary that is 166 requests */
    f.key_budget = lf_budget_new("key", 0.5, LF_BUDGET_UNLIMITED);
    struct spend_race r = {.f = &f};
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, spend_thread, &r);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    struct lf_budget_status st[LF_BUDGET_N_PERIODS];
    lf_budget_query(f.key_budget, T0, st);
    assert_true(st[LF_BUDGET_DAY].spent_usd <= 0.5 + 1e-12);
    assert_true(fabs(st[LF_BUDGET_DAY].reserved_usd) < 1e-12);
    assert_int_equal(atomic_load(&r.served), 166);
    struct lf_provider_stats_snapshot ss;
    lf_provider_rt_stats(f.cands[0].rt, &ss);
    assert_true(fabs(ss.cost_usd - 166 * 0.003) < 1e-9);
    flow_free(&f);
}

static void test_deadline_and_nothing_routable(void **state)
{
    (void)state;
    struct flow f;
    struct outcome o;
    flow_init(&f, LF_ROUTE_PRIORITY);
    f.behaviour[0] = SLOW;
    run_request(&f, T0, T0 + 20000, &o);
    assert_int_equal(o.status, 504);
    assert_int_equal(o.n_attempts, 1);
    /* all disabled: 503 NO_PROVIDER_AVAILABLE */
    for (int i = 0; i < NP; i++)
        f.cands[i].enabled = 0;
    run_request(&f, T0, 0, &o);
    assert_int_equal(o.status, 503);
    /* all failing: 502 after max_attempts (3), each provider once */
    for (int i = 0; i < NP; i++) {
        f.cands[i].enabled = 1;
        f.behaviour[i] = FAIL_5XX;
    }
    run_request(&f, T0 + 1, 0, &o);
    assert_int_equal(o.status, 502);
    assert_int_equal(o.n_attempts, 3);
    assert_int_equal(o.attempt_provider[0], 0);
    assert_int_equal(o.attempt_provider[2], 2);
    flow_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failover_to_secondary),
        cmocka_unit_test(test_open_circuit_gets_no_traffic_then_recovers),
        cmocka_unit_test(test_retry_after_honoured),
        cmocka_unit_test(test_half_open_single_probe_under_concurrency),
        cmocka_unit_test(test_cost_order_and_budget_moves_traffic),
        cmocka_unit_test(test_concurrent_requests_never_overshoot_key_budget),
        cmocka_unit_test(test_deadline_and_nothing_routable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
