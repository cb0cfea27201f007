/*
 * tests/unit/metrics.c - per-worker metric shards: recording, merging, percentiles, rings, renderers, threads
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mem.h"
#include "metrics.h"
#include "sysstat.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static double fake_now;

static double fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

static struct lf_metrics *new_fake(int n)
{
    struct lf_metrics *m = lf_metrics_new(n);
    fake_now = 1800000000.0; /* a fixed wall time, minute-aligned */
    lf_metrics_set_clock(m, fake_clock, NULL);
    return m;
}

static void test_quantile(void **state)
{
    (void)state;
    const double b[3] = {1, 2, 4};
    uint64_t c[4] = {0, 10, 0, 0};
    /* all ten in (1,2]: median interpolates to 1.5 */
    assert_true(fabs(lf_metrics_hist_quantile(b, 3, c, 0.5, 0) - 1.5) < 1e-9);
    assert_true(fabs(lf_metrics_hist_quantile(b, 3, c, 1.0, 0) - 2.0) < 1e-9);
    uint64_t c2[4] = {50, 0, 0, 50};
    /* p75 lies in +Inf bucket: (4, max=8], halfway -> 6 */
    assert_true(fabs(lf_metrics_hist_quantile(b, 3, c2, 0.75, 8) - 6.0) < 1e-9);
    /* max below the last bound: +Inf bucket collapses to the last bound */
    assert_true(fabs(lf_metrics_hist_quantile(b, 3, c2, 0.75, 1) - 4.0) < 1e-9);
    /* p25 in the first bucket [0,1] */
    assert_true(fabs(lf_metrics_hist_quantile(b, 3, c2, 0.25, 8) - 0.5) < 1e-9);
    /* the largest observation bounds its bucket: ten in (1,2] with max 1.2 -> median 1.1 */
    assert_true(fabs(lf_metrics_hist_quantile(b, 3, c, 0.5, 1.2) - 1.1) < 1e-9);
    uint64_t z[4] = {0};
    assert_true(isnan(lf_metrics_hist_quantile(b, 3, z, 0.5, 0)));
}

static void test_route_of_path(void **state)
{
    (void)state;
#define R(p) lf_metrics_route_of_path(p, strlen(p))
    assert_int_equal(R("/api/v1/health"), LF_METRICS_ROUTE_HEALTH);
    assert_int_equal(R("/api/v1/health/detailed"), LF_METRICS_ROUTE_HEALTH);
    assert_int_equal(R("/api/v1/healthz"), LF_METRICS_ROUTE_OTHER);
    assert_int_equal(R("/api/v1/generate/batch"), LF_METRICS_ROUTE_BATCH);
    assert_int_equal(R("/api/v1/generate/flashcards"), LF_METRICS_ROUTE_GENERATE);
    assert_int_equal(R("/v1/chat/completions"), LF_METRICS_ROUTE_CHAT);
    assert_int_equal(R("/v1/models"), LF_METRICS_ROUTE_CHAT);
    assert_int_equal(R("/api/v1/content/abc"), LF_METRICS_ROUTE_CONTENT);
    assert_int_equal(R("/api/v1/content-types"), LF_METRICS_ROUTE_CONTENT);
    assert_int_equal(R("/api/v1/quality/assess"), LF_METRICS_ROUTE_CONTENT);
    assert_int_equal(R("/api/v1/admin/reload"), LF_METRICS_ROUTE_ADMIN);
    assert_int_equal(R("/metrics"), LF_METRICS_ROUTE_METRICS);
    assert_int_equal(R("/api/v1/metrics/educational"), LF_METRICS_ROUTE_METRICS);
    assert_int_equal(R("/api/v1/alerts"), LF_METRICS_ROUTE_METRICS);
    assert_int_equal(R("/"), LF_METRICS_ROUTE_STATIC);
    assert_int_equal(R("/static/monitor.html"), LF_METRICS_ROUTE_STATIC);
    assert_int_equal(R("/docs"), LF_METRICS_ROUTE_STATIC);
    assert_int_equal(R("/api/v1/providers"), LF_METRICS_ROUTE_OTHER);
#undef R
    assert_string_equal(lf_metrics_route_name(LF_METRICS_ROUTE_CHAT), "chat");
    assert_string_equal(lf_metrics_route_name((enum lf_metrics_route)99), "other");
}

static json_t *jpath(json_t *root, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(root, a);
    if (b != NULL)
        v = json_object_get(v, b);
    if (c != NULL)
        v = json_object_get(v, c);
    return v;
}

static double jnum(json_t *v)
{
    assert_non_null(v);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

static void test_http_and_json(void **state)
{
    (void)state;
    struct lf_metrics *m = new_fake(2);
    struct lf_metrics_shard *s0 = lf_metrics_shard(m, 0), *s1 = lf_metrics_shard(m, 1);
    assert_null(lf_metrics_shard(m, 2));
    /* 100 health requests: 50 at 2 ms, 50 at 20 ms, split over two shards */
    for (int i = 0; i < 50; i++) {
        lf_metrics_http(s0, LF_METRICS_ROUTE_HEALTH, 200, 2000, 50, 0, 100);
        lf_metrics_http(s1, LF_METRICS_ROUTE_HEALTH, 200, 20000, 80, 0, 100);
    }
    lf_metrics_http(s0, LF_METRICS_ROUTE_GENERATE, 503, 3000000, 900, 120, 300);
    lf_metrics_http(lf_metrics_shared(m), LF_METRICS_ROUTE_ADMIN, 403, 500, 40, 0, 10);
    lf_metrics_http(NULL, LF_METRICS_ROUTE_ADMIN, 403, 500, 40, 0, 10); /* no-op */

    struct lf_sysstat sys = {0};
    sys.have_cpu = 1;
    sys.cpu_percent = 12.5;
    sys.rss_bytes = 4096;
    sys.mem_total_bytes = 1000;
    sys.memory_percent = 40;
    struct lf_metrics_extra x = {NULL, 0, 3, &sys};
    fake_now += 30;
    json_t *j = lf_metrics_json(m, &x);
    assert_int_equal(json_integer_value(jpath(j, "requests", "total", NULL)), 102);
    assert_int_equal(json_integer_value(jpath(j, "requests", "by_status", "200")), 100);
    assert_int_equal(json_integer_value(jpath(j, "requests", "by_status", "503")), 1);
    assert_int_equal(json_integer_value(jpath(j, "requests", "by_status", "403")), 1);
    assert_true(fabs(jnum(jpath(j, "requests", "per_second_1m", NULL)) - 1.7) < 1e-9);
    /* p50 of health: rank 50 is the last of the (1,2.5] ms bucket -> 2.5 ms; p95/p99 in (10,25] ms */
    double p50 = jnum(jpath(j, "latency_ms", "health", "p50"));
    double p95 = jnum(jpath(j, "latency_ms", "health", "p95"));
    double p99 = jnum(jpath(j, "latency_ms", "health", "p99"));
    assert_true(p50 > 1.0 && p50 <= 2.5);
    assert_true(p95 > 10.0 && p95 <= 25.0);
    assert_true(p99 >= p95 && p99 <= 25.0);
    assert_true(json_is_null(jpath(j, "latency_ms", "chat", "p50")));
    assert_true(fabs(jnum(jpath(j, "uptime_seconds", NULL, NULL)) - 30) < 1e-6);
    assert_true(fabs(jnum(jpath(j, "system", "cpu_percent", NULL)) - 12.5) < 1e-9);
    assert_int_equal(json_integer_value(jpath(j, "system", "memory_rss_bytes", NULL)), 4096);
    assert_true(json_is_string(json_object_get(j, "timestamp")));
    assert_true(json_is_null(jpath(j, "cache", "hit_ratio", NULL)));
    json_decref(j);

    /* per_second_1m forgets requests older than a minute */
    fake_now += 61;
    j = lf_metrics_json(m, NULL);
    assert_true(jnum(jpath(j, "requests", "per_second_1m", NULL)) == 0.0);
    assert_true(json_is_null(jpath(j, "system", "cpu_percent", NULL)));
    json_decref(j);

    struct lf_metrics_totals t;
    lf_metrics_totals(m, &t);
    assert_int_equal(t.requests, 102);
    uint64_t api = 0;
    for (int i = 0; i <= LF_METRICS_HTTP_NBUCKETS; i++)
        api += t.api_latency_buckets[i];
    assert_int_equal(api, 101); /* the generate request is not an API-latency request */
    lf_metrics_free(m);
}

static void test_generations_providers_cost(void **state)
{
    (void)state;
    struct lf_metrics *m = new_fake(1);
    struct lf_metrics_shard *s = lf_metrics_shard(m, 0);
    for (int i = 0; i < 9; i++)
        lf_metrics_generation(s, "flashcards", "openai", "ok", 100, 200, 0.01, 1500);
    lf_metrics_generation(s, "podcast_script", NULL, "all_providers_failed", 0, 0, 0, 40000);
    lf_metrics_provider_usage(s, "anthropic", 10, 20, 0.5);
    lf_metrics_provider_attempt(s, "openai", "ok", 900);
    lf_metrics_provider_attempt(s, "openai", "upstream_5xx", 120);
    for (int i = 0; i < 3; i++)
        lf_metrics_quality(s, "flashcards", 0.8);
    lf_metrics_cache(s, 1);
    lf_metrics_cache(s, 0);
    lf_metrics_cache(s, 0);
    lf_metrics_cache(s, 0);

    json_t *j = lf_metrics_json(m, NULL);
    assert_int_equal(json_integer_value(jpath(j, "generations", "total", NULL)), 10);
    assert_int_equal(json_integer_value(jpath(j, "generations", "succeeded", NULL)), 9);
    assert_int_equal(json_integer_value(jpath(j, "generations", "failed", NULL)), 1);
    assert_true(fabs(jnum(jpath(j, "generations", "success_rate", NULL)) - 0.9) < 1e-9);
    assert_int_equal(json_integer_value(jpath(j, "generations", "by_type", "flashcards")), 9);
    assert_int_equal(json_integer_value(jpath(j, "generations", "by_type", "podcast_script")), 1);
    assert_int_equal(json_integer_value(jpath(j, "generations", "by_provider", "none")), 1);
    assert_int_equal(json_integer_value(jpath(j, "providers", "openai", "requests")), 2);
    assert_int_equal(json_integer_value(jpath(j, "providers", "openai", "failures")), 1);
    assert_int_equal(json_integer_value(jpath(j, "providers", "openai", "tokens_prompt")), 900);
    assert_int_equal(json_integer_value(jpath(j, "providers", "openai", "tokens_completion")), 1800);
    assert_true(fabs(jnum(jpath(j, "providers", "openai", "cost_usd")) - 0.09) < 1e-9);
    double lp95 = jnum(jpath(j, "providers", "openai", "latency_ms_p95"));
    assert_true(lp95 > 500 && lp95 <= 1000);
    assert_int_equal(json_integer_value(jpath(j, "providers", "anthropic", "tokens_completion")), 20);
    assert_true(fabs(jnum(jpath(j, "cost", "total_usd", NULL)) - 0.59) < 1e-9);
    assert_true(fabs(jnum(jpath(j, "cost", "last_24h_usd", NULL)) - 0.59) < 1e-9);
    assert_int_equal(json_integer_value(jpath(j, "cache", "hits", NULL)), 1);
    assert_int_equal(json_integer_value(jpath(j, "cache", "misses", NULL)), 3);
    assert_true(fabs(jnum(jpath(j, "cache", "hit_ratio", NULL)) - 0.25) < 1e-9);
    json_decref(j);

    /* history: everything so far happened in the current minute */
    j = lf_metrics_json(m, NULL);
    json_t *h = json_object_get(j, "history");
    assert_int_equal(json_array_size(json_object_get(h, "generations_per_minute")), 60);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(h, "generations_per_minute"), 59)), 10);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(h, "generations_per_minute"), 58)), 0);
    assert_int_equal(json_array_size(json_object_get(h, "generations_per_hour")), 24);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(h, "generations_per_hour"), 23)), 10);
    assert_true(fabs(json_real_value(json_array_get(json_object_get(h, "cost_usd_per_hour"), 23)) - 0.59) < 1e-9);
    json_decref(j);
    /* two minutes later one more generation: the first ten moved two slots left */
    fake_now += 120;
    lf_metrics_generation(s, "flashcards", "openai", "ok", 0, 0, 0, 10);
    j = lf_metrics_json(m, NULL);
    h = json_object_get(j, "history");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(h, "generations_per_minute"), 57)), 10);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(h, "generations_per_minute"), 59)), 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(h, "generations_per_hour"), 23)), 11);
    json_decref(j);

    /* 23 h later one more cost; 25 h after the first batch only the newer cost is in the 24 h window */
    fake_now += 23 * 3600;
    lf_metrics_provider_usage(s, "anthropic", 0, 0, 0.25);
    fake_now += 2 * 3600;
    j = lf_metrics_json(m, NULL);
    assert_true(fabs(jnum(jpath(j, "cost", "last_24h_usd", NULL)) - 0.25) < 1e-9);
    assert_true(fabs(jnum(jpath(j, "cost", "total_usd", NULL)) - 0.84) < 1e-9);
    assert_true(fabs(json_real_value(json_array_get(jpath(j, "history", "cost_usd_per_hour", NULL), 21)) - 0.25) < 1e-9);
    assert_true(json_real_value(json_array_get(jpath(j, "history", "cost_usd_per_hour", NULL), 0)) == 0.0);
    json_decref(j);

    /* a provider listed by the caller with no traffic still appears */
    struct lf_metrics_provider_state ps[2] = {{"openai", LF_METRICS_CIRCUIT_OPEN}, {"offline", 0}};
    struct lf_metrics_extra x = {ps, 2, -1, NULL};
    j = lf_metrics_json(m, &x);
    assert_int_equal(json_integer_value(jpath(j, "providers", "offline", "requests")), 0);
    json_decref(j);

    struct lf_metrics_totals t;
    lf_metrics_totals(m, &t);
    assert_int_equal(t.generations, 11);
    assert_int_equal(t.generations_ok, 10);
    assert_int_equal(t.quality_count, 3);
    assert_true(fabs(t.quality_sum - 2.4) < 1e-9);
    lf_metrics_free(m);
}

static void test_prometheus_text(void **state)
{
    (void)state;
    struct lf_metrics *m = new_fake(1);
    struct lf_metrics_shard *s = lf_metrics_shard(m, 0);
    lf_metrics_http(s, LF_METRICS_ROUTE_HEALTH, 200, 2000, 50, 0, 100);
    lf_metrics_generation(s, "study_guide", "open\"ai\\x\ny", "ok", 1, 2, 0.5, 1000);
    lf_metrics_quality(s, "study_guide", 0.72);
    lf_metrics_plugin_add(s, "readability", "words", 42);
    struct lf_metrics_provider_state ps[1] = {{"openai", LF_METRICS_CIRCUIT_HALF_OPEN}};
    struct lf_metrics_extra x = {ps, 1, 7, NULL};
    size_t len = 0;
    char *txt = lf_metrics_prometheus(m, &x, &len);
    assert_int_equal(len, strlen(txt));
    assert_non_null(strstr(txt, "lafactoria_http_requests_total{route=\"health\",status=\"200\"} 1\n"));
    assert_non_null(strstr(txt, "lafactoria_http_request_duration_seconds_bucket{route=\"health\",le=\"0.0025\"} 1\n"));
    assert_non_null(strstr(txt, "lafactoria_http_request_duration_seconds_bucket{route=\"health\",le=\"0.001\"} 0\n"));
    assert_non_null(strstr(txt, "lafactoria_http_request_duration_seconds_count{route=\"health\"} 1\n"));
    assert_non_null(strstr(txt, "lafactoria_http_request_duration_seconds_sum{route=\"health\"} 0.002\n"));
    assert_non_null(strstr(txt, "lafactoria_generations_total{content_type=\"study_guide\",provider=\"open\\\"ai\\\\x\\ny\","
                                "outcome=\"ok\"} 1\n"));
    assert_non_null(strstr(txt, "lafactoria_provider_circuit_state{provider=\"openai\"} 1\n"));
    assert_non_null(strstr(txt, "lafactoria_quality_score_bucket{content_type=\"study_guide\",le=\"0.75\"} 1\n"));
    assert_non_null(strstr(txt, "lafactoria_quality_score_bucket{content_type=\"study_guide\",le=\"0.7\"} 0\n"));
    assert_non_null(strstr(txt, "lafactoria_db_pending_writes 7\n"));
    assert_non_null(strstr(txt, "lafactoria_plugin_metric_total{plugin=\"readability\",name=\"words\"} 42\n"));
    assert_non_null(strstr(txt, "lafactoria_provider_tokens_total{provider=\"open\\\"ai\\\\x\\ny\",kind=\"completion\"} 2\n"));
    assert_non_null(strstr(txt, "# TYPE lafactoria_gateway_overhead_seconds histogram\n"));
    assert_non_null(strstr(txt, "lafactoria_process_uptime_seconds 0\n"));
    lf_free(txt);
    lf_metrics_free(m);
}

static void test_label_overflow(void **state)
{
    (void)state;
    struct lf_metrics *m = new_fake(1);
    struct lf_metrics_shard *s = lf_metrics_shard(m, 0);
    char name[32];
    for (int i = 0; i < LF_METRICS_MAX_TYPES + 10; i++) {
        snprintf(name, sizeof(name), "type%d", i);
        lf_metrics_quality(s, name, 0.5);
    }
    json_t *j = NULL;
    char *txt = lf_metrics_prometheus(m, NULL, NULL);
    /* the first 63 types have their own series, the rest land in "_other" */
    assert_non_null(strstr(txt, "content_type=\"type62\""));
    assert_null(strstr(txt, "content_type=\"type63\""));
    assert_non_null(strstr(txt, "lafactoria_quality_score_count{content_type=\"_other\"} 11\n"));
    lf_free(txt);
    (void)j;
    lf_metrics_free(m);
}

/* ---- threads: every worker writes its own shard while a reader renders ---- */

#define NTHREADS 4
#define NITER 20000

struct warg {
    struct lf_metrics *m;
    int idx;
};

static void *worker(void *p)
{
    struct warg *w = p;
    struct lf_metrics_shard *s = w->idx < NTHREADS ? lf_metrics_shard(w->m, w->idx) : lf_metrics_shared(w->m);
    char type[16];
    lf_metrics_bind_thread(s);
    assert_true(lf_metrics_thread_shard() == s);
    for (int i = 0; i < NITER; i++) {
        snprintf(type, sizeof(type), "t%d", i % 5);
        lf_metrics_http(s, (enum lf_metrics_route)(i % LF_METRICS_ROUTE__COUNT), 200 + i % 3, (uint64_t)i, 10, 1, 2);
        lf_metrics_generation(s, type, i % 2 ? "a" : "b", i % 10 ? "ok" : "timeout", 1, 1, 0.001, 10);
        lf_metrics_quality(s, type, 0.5);
        lf_metrics_plugin_add(lf_metrics_thread_shard(), "p", "n", 1);
    }
    return NULL;
}

static void *reader(void *p)
{
    struct lf_metrics *m = p;
    for (int i = 0; i < 20; i++) {
        char *t = lf_metrics_prometheus(m, NULL, NULL);
        lf_free(t);
        json_decref(lf_metrics_json(m, NULL));
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct lf_metrics *m = lf_metrics_new(NTHREADS);
    pthread_t th[NTHREADS + 2], rd;
    struct warg args[NTHREADS + 2];
    pthread_create(&rd, NULL, reader, m);
    for (int i = 0; i < NTHREADS + 2; i++) { /* two threads share the locked shard */
        args[i].m = m;
        args[i].idx = i;
        pthread_create(&th[i], NULL, worker, &args[i]);
    }
    for (int i = 0; i < NTHREADS + 2; i++)
        pthread_join(th[i], NULL);
    pthread_join(rd, NULL);
    struct lf_metrics_totals t;
    lf_metrics_totals(m, &t);
    assert_int_equal(t.requests, (uint64_t)(NTHREADS + 2) * NITER);
    assert_int_equal(t.generations, (uint64_t)(NTHREADS + 2) * NITER);
    assert_int_equal(t.generations_ok, (uint64_t)(NTHREADS + 2) * NITER * 9 / 10);
    assert_int_equal(t.quality_count, (uint64_t)(NTHREADS + 2) * NITER);
    char *txt = lf_metrics_prometheus(m, NULL, NULL);
    char want[128];
    snprintf(want, sizeof(want), "lafactoria_plugin_metric_total{plugin=\"p\",name=\"n\"} %d\n", (NTHREADS + 2) * NITER);
    assert_non_null(strstr(txt, want));
    lf_free(txt);
    lf_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantile),
        cmocka_unit_test(test_route_of_path),
        cmocka_unit_test(test_http_and_json),
        cmocka_unit_test(test_generations_providers_cost),
        cmocka_unit_test(test_prometheus_text),
        cmocka_unit_test(test_label_overflow),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
