/*
 * tests/unit/alerts.c - every alert rule driven over its threshold and back with injected time; transitions logged
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alerts.h"
#include "log.h"
#include "mem.h"
#include "sysstat.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1800000000.0

static struct lf_alerts_input base_input(double t)
{
    struct lf_alerts_input in;
    memset(&in, 0, sizeof(in));
    in.now = t;
    in.health_ok = 1;
    in.db_ok = 1;
    in.cpu_percent = 10;
    in.memory_percent = 20;
    return in;
}

static int firing(struct lf_alerts *a, const char *name)
{
    struct lf_alert_status st;
    assert_int_equal(lf_alerts_find(a, name, &st), 0);
    return st.firing;
}

static struct lf_alert_status status(struct lf_alerts *a, const char *name)
{
    struct lf_alert_status st;
    assert_int_equal(lf_alerts_find(a, name, &st), 0);
    return st;
}

/* ---- capture stdout (the log) around a block ---- */
static int saved_fd = -1;
static char cap_path[64];

static void capture_begin(void)
{
    strcpy(cap_path, "/tmp/lf-alerts-log-XXXXXX");
    int fd = mkstemp(cap_path);
    assert_true(fd >= 0);
    fflush(stdout);
    saved_fd = dup(1);
    dup2(fd, 1);
    close(fd);
}

static char *capture_end(void)
{
    fflush(stdout);
    dup2(saved_fd, 1);
    close(saved_fd);
    FILE *f = fopen(cap_path, "r");
    assert_non_null(f);
    char *buf = lf_calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    unlink(cap_path);
    return buf;
}

static int count_substr(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_all_ok_and_json(void **state)
{
    (void)state;
    struct lf_alerts *a = lf_alerts_new(NULL, T0);
    struct lf_alerts_input in = base_input(T0 + 10);
    lf_alerts_evaluate(a, &in);
    assert_int_equal(lf_alerts_count(a), 9);
    assert_int_equal(lf_alerts_firing(a, LF_ALERT_WARNING), 0);
    json_t *j = lf_alerts_json(a);
    json_t *arr = json_object_get(j, "alerts");
    assert_int_equal(json_array_size(arr), 9);
    const char *names[9] = {"api_down",           "health_check_failing", "database_unreachable",
                            "quality_score_critical", "quality_score_low", "response_time_high",
                            "cpu_high",           "memory_high",          "generation_success_rate_low"};
    for (size_t i = 0; i < 9; i++) {
        json_t *al = json_array_get(arr, i);
        assert_string_equal(json_string_value(json_object_get(al, "name")), names[i]);
        assert_string_equal(json_string_value(json_object_get(al, "state")), "ok");
        const char *sev = json_string_value(json_object_get(al, "severity"));
        assert_true(strcmp(sev, "critical") == 0 || strcmp(sev, "warning") == 0);
        assert_true(json_is_number(json_object_get(al, "threshold")));
        assert_true(json_is_number(json_object_get(al, "window_seconds")));
        assert_true(json_is_string(json_object_get(al, "since")));
        assert_non_null(json_object_get(al, "value"));
    }
    /* not enough data: value null */
    assert_true(json_is_null(json_object_get(json_array_get(arr, 3), "value")));
    assert_true(json_real_value(json_object_get(json_array_get(arr, 6), "value")) == 10.0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "since")), "2027-01-15T08:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(j, "firing")), 0);
    json_decref(j);
    lf_alerts_free(a);
}

static void test_health_and_api_down(void **state)
{
    (void)state;
    struct lf_alerts *a = lf_alerts_new(NULL, T0);
    struct lf_alerts_input in = base_input(T0);
    in.health_ok = 0;
    lf_alerts_evaluate(a, &in);
    assert_true(firing(a, "health_check_failing"));
    assert_false(firing(a, "api_down"));
    assert_true(status(a, "health_check_failing").since == T0);
    for (double t = 10; t <= 120; t += 10) {
        in.now = T0 + t;
        lf_alerts_evaluate(a, &in);
        assert_false(firing(a, "api_down")); /* not yet more than 120 s */
    }
    in.now = T0 + 130;
    lf_alerts_evaluate(a, &in);
    assert_true(firing(a, "api_down"));
    assert_true(fabs(status(a, "api_down").value - 130) < 1e-9);
    assert_int_equal(lf_alerts_firing(a, LF_ALERT_CRITICAL), 2);
    in.now = T0 + 140;
    in.health_ok = 1;
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, "api_down"));
    assert_false(firing(a, "health_check_failing"));
    assert_true(status(a, "api_down").since == T0 + 140);
    /* a flap restarts the downtime count */
    in.health_ok = 0;
    in.now = T0 + 150;
    lf_alerts_evaluate(a, &in);
    in.now = T0 + 200;
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, "api_down"));
    assert_true(fabs(status(a, "api_down").value - 50) < 1e-9);
    /* unknown health: no value, not firing */
    in.health_ok = -1;
    in.now = T0 + 210;
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, "health_check_failing"));
    assert_false(status(a, "health_check_failing").has_value);
    lf_alerts_free(a);
}

static void test_database_and_logging(void **state)
{
    (void)state;
    struct lf_alerts *a = lf_alerts_new(NULL, T0);
    struct lf_alerts_input in = base_input(T0 + 10);
    char *log;
    lf_alerts_evaluate(a, &in);
    capture_begin();
    in.db_ok = 0;
    in.now = T0 + 20;
    lf_alerts_evaluate(a, &in);
    in.now = T0 + 30;
    lf_alerts_evaluate(a, &in); /* still firing: no second log line */
    log = capture_end();
    assert_true(firing(a, "database_unreachable"));
    assert_int_equal(count_substr(log, "alert \\\"database_unreachable\\\" firing"), 1);
    assert_non_null(strstr(log, "\"level\":\"error\""));
    assert_non_null(strstr(log, "\"module\":\"alerts\""));
    assert_non_null(strstr(log, "\"state\":\"firing\""));
    lf_free(log);
    capture_begin();
    in.db_ok = 1;
    in.now = T0 + 40;
    lf_alerts_evaluate(a, &in);
    log = capture_end();
    assert_false(firing(a, "database_unreachable"));
    assert_int_equal(count_substr(log, "alert \\\"database_unreachable\\\" resolved"), 1);
    assert_true(status(a, "database_unreachable").since == T0 + 40);
    lf_free(log);
    in.db_ok = -1; /* no database configured */
    in.now = T0 + 50;
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, "database_unreachable"));
    lf_alerts_free(a);
}

static void test_quality(void **state)
{
    (void)state;
    struct lf_alerts *a = lf_alerts_new(NULL, T0);
    struct lf_alerts_input in = base_input(T0);
    lf_alerts_evaluate(a, &in);
    /* two bad scores: below min_samples, cannot fire */
    in.now = T0 + 5;
    in.totals.quality_count = 2;
    in.totals.quality_sum = 0.2;
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, "quality_score_critical"));
    assert_false(status(a, "quality_score_critical").has_value);
    /* ten at 0.6 -> average 0.5 with the first two: both rules fire */
    in.now = T0 + 10;
    in.totals.quality_count = 12;
    in.totals.quality_sum = 0.2 + 6.0;
    lf_alerts_evaluate(a, &in);
    assert_true(firing(a, "quality_score_critical"));
    assert_true(firing(a, "quality_score_low"));
    assert_true(fabs(status(a, "quality_score_critical").value - 6.2 / 12) < 1e-9);
    /* fifty at 0.9: (6.2 + 45) / 62 = 0.826 -> both ok */
    in.now = T0 + 20;
    in.totals.quality_count = 62;
    in.totals.quality_sum = 51.2;
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, "quality_score_critical"));
    assert_false(firing(a, "quality_score_low"));
    /* ten at 0.68 at t=1000: the 15 min window holds only them (0.68: not critical); the hour still averages high */
    in.now = T0 + 1000;
    in.totals.quality_count = 72;
    in.totals.quality_sum = 51.2 + 6.8;
    lf_alerts_evaluate(a, &in);
    assert_true(fabs(status(a, "quality_score_critical").value - 0.68) < 1e-9);
    assert_false(firing(a, "quality_score_critical"));
    assert_false(firing(a, "quality_score_low"));
    /* ten more at 0.68 at t=4000: the hour window (from t=400) now holds only the twenty at 0.68 -> warning */
    in.now = T0 + 4000;
    in.totals.quality_count = 82;
    in.totals.quality_sum = 51.2 + 13.6;
    lf_alerts_evaluate(a, &in);
    assert_true(firing(a, "quality_score_low"));
    assert_true(fabs(status(a, "quality_score_low").value - 0.68) < 1e-9);
    assert_false(firing(a, "quality_score_critical"));
    /* an hour with nothing scored: back to ok, value unknown */
    in.now = T0 + 7700;
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, "quality_score_low"));
    assert_false(status(a, "quality_score_low").has_value);
    lf_alerts_free(a);
}

static void test_response_time(void **state)
{
    (void)state;
    struct lf_alerts *a = lf_alerts_new(NULL, T0);
    struct lf_alerts_input in = base_input(T0);
    lf_alerts_evaluate(a, &in);
    /* ten requests in (1, 2.5] s: p95 is above 1000 ms */
    in.now = T0 + 10;
    in.totals.api_latency_buckets[10] = 10;
    in.totals.api_latency_max_s = 2.0;
    lf_alerts_evaluate(a, &in);
    assert_true(firing(a, "response_time_high"));
    double v = status(a, "response_time_high").value;
    assert_true(v > 1000 && v <= 2000);
    /* two hundred fast requests (<= 10 ms) in the same 5 min: p95 falls under 1000 ms */
    in.now = T0 + 20;
    in.totals.api_latency_buckets[3] = 200;
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, "response_time_high"));
    assert_true(status(a, "response_time_high").value <= 10.0);
    /* 6 min later ten slow requests: the window (from t=100) sees only them */
    in.now = T0 + 400;
    in.totals.api_latency_buckets[10] = 20;
    lf_alerts_evaluate(a, &in);
    assert_true(firing(a, "response_time_high"));
    /* five more minutes of silence: no data, ok */
    in.now = T0 + 800;
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, "response_time_high"));
    lf_alerts_free(a);
}

static void run_sustained(const char *name, int memory)
{
    struct lf_alerts *a = lf_alerts_new(NULL, T0);
    struct lf_alerts_input in = base_input(T0);
#define SET(v) (memory ? (in.memory_percent = (v)) : (in.cpu_percent = (v)))
    /* 90 % from t=0, ticks every 60 s, one dip at t=300 */
    for (int t = 0; t <= 1200; t += 60) {
        in.now = T0 + t;
        SET(t == 300 ? 70 : 90);
        if (t == 420)
            SET(NAN); /* an unknown figure neither breaks nor extends the streak */
        lf_alerts_evaluate(a, &in);
        /* the streak restarted at t=360: fires from t=960 */
        if (t < 960)
            assert_false(firing(a, name));
        else
            assert_true(firing(a, name));
    }
    assert_true(status(a, name).since == T0 + 960);
    /* a missed sample while firing keeps it firing */
    in.now = T0 + 1230;
    SET(NAN);
    lf_alerts_evaluate(a, &in);
    assert_true(firing(a, name));
    assert_true(fabs(status(a, name).value - 90) < 1e-9);
    in.now = T0 + 1260;
    SET(79.9);
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, name));
    assert_int_equal(lf_alerts_firing(a, LF_ALERT_WARNING), 0);
#undef SET
    lf_alerts_free(a);
}

static void test_cpu(void **state)
{
    (void)state;
    run_sustained("cpu_high", 0);
}

static void test_memory(void **state)
{
    (void)state;
    run_sustained("memory_high", 1);
}

static void test_success_rate(void **state)
{
    (void)state;
    struct lf_alerts *a = lf_alerts_new(NULL, T0);
    struct lf_alerts_input in = base_input(T0);
    lf_alerts_evaluate(a, &in);
    in.now = T0 + 10;
    in.totals.generations = 3; /* all failed, but fewer than min_generations */
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, "generation_success_rate_low"));
    in.now = T0 + 20;
    in.totals.generations = 13;
    in.totals.generations_ok = 10; /* 10 / 13 = 0.77 */
    lf_alerts_evaluate(a, &in);
    assert_true(firing(a, "generation_success_rate_low"));
    assert_true(fabs(status(a, "generation_success_rate_low").value - 10.0 / 13) < 1e-9);
    assert_int_equal(lf_alerts_firing(a, LF_ALERT_WARNING), 1);
    assert_int_equal(lf_alerts_firing(a, LF_ALERT_CRITICAL), 0);
    in.now = T0 + 30;
    in.totals.generations = 113;
    in.totals.generations_ok = 110; /* 0.973 */
    lf_alerts_evaluate(a, &in);
    assert_false(firing(a, "generation_success_rate_low"));
    /* later, a window with only failures and successes at exactly 90 %: not below, not firing */
    in.now = T0 + 2000;
    in.totals.generations = 123;
    in.totals.generations_ok = 119;
    lf_alerts_evaluate(a, &in);
    assert_true(fabs(status(a, "generation_success_rate_low").value - 0.9) < 1e-9);
    assert_false(firing(a, "generation_success_rate_low"));
    lf_alerts_free(a);
}

static void test_dense_ticks_keep_windows(void **state)
{
    (void)state;
    /* ticks every second (closer than min_sample_spacing) must still give correct windows */
    struct lf_alerts *a = lf_alerts_new(NULL, T0);
    struct lf_alerts_input in = base_input(T0);
    for (int t = 0; t <= 2000; t++) {
        in.now = T0 + t;
        in.totals.generations = (uint64_t)t; /* one per second */
        in.totals.generations_ok = t < 1500 ? (uint64_t)t : 1500; /* all fail from t=1500 */
        lf_alerts_evaluate(a, &in);
    }
    /* the 900 s window at t=2000 starts near t=1100: ~400 ok of ~900 */
    struct lf_alert_status st = status(a, "generation_success_rate_low");
    assert_true(st.firing);
    assert_true(fabs(st.value - 400.0 / 900) < 0.01);
    lf_alerts_free(a);
}

static void test_custom_config(void **state)
{
    (void)state;
    struct lf_alerts_config c;
    lf_alerts_config_default(&c);
    c.cpu_percent = 50;
    c.cpu_window = 60;
    struct lf_alerts *a = lf_alerts_new(&c, T0);
    struct lf_alerts_input in = base_input(T0);
    in.cpu_percent = 60;
    lf_alerts_evaluate(a, &in);
    in.now = T0 + 60;
    lf_alerts_evaluate(a, &in);
    assert_true(firing(a, "cpu_high"));
    assert_true(status(a, "cpu_high").threshold == 50);
    assert_true(status(a, "cpu_high").window_seconds == 60);
    struct lf_alert_status st;
    assert_int_equal(lf_alerts_find(a, "nope", &st), -1);
    assert_int_equal(lf_alerts_get(a, 99, &st), -1);
    lf_alerts_free(a);
}

static void test_input_from_metrics(void **state)
{
    (void)state;
    struct lf_metrics *m = lf_metrics_new(1);
    struct lf_metrics_shard *s = lf_metrics_shard(m, 0);
    for (int i = 0; i < 10; i++) {
        lf_metrics_http(s, LF_METRICS_ROUTE_CONTENT, 200, 3000000, 10, 0, 0); /* 3 s: slow API route */
        lf_metrics_http(s, LF_METRICS_ROUTE_GENERATE, 200, 9000000, 10, 0, 0); /* generation: not counted */
        lf_metrics_generation(s, "flashcards", "offline", i < 5 ? "ok" : "timeout", 0, 0, 0, 10);
        lf_metrics_quality(s, "flashcards", 0.5);
    }
    struct lf_sysstat sys;
    memset(&sys, 0, sizeof(sys));
    sys.mem_total_bytes = 100;
    sys.memory_percent = 91;
    struct lf_alerts_input in;
    lf_alerts_input_fill(&in, T0 + 10, m, &sys, 1, -1);
    assert_true(isnan(in.cpu_percent));
    assert_int_equal(in.totals.generations, 10);
    assert_int_equal(in.totals.generations_ok, 5);
    struct lf_alerts *a = lf_alerts_new(NULL, T0);
    lf_alerts_evaluate(a, &in);
    assert_true(firing(a, "response_time_high"));
    /* interpolated in (2.5, 5] s but bounded by the largest observation, 3 s */
    assert_true(status(a, "response_time_high").value > 2500 && status(a, "response_time_high").value <= 3000);
    assert_true(firing(a, "generation_success_rate_low"));
    assert_true(firing(a, "quality_score_critical"));
    assert_true(firing(a, "quality_score_low"));
    assert_false(firing(a, "memory_high")); /* not yet for 10 minutes */
    assert_false(firing(a, "database_unreachable"));
    lf_alerts_free(a);
    lf_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_ok_and_json),
        cmocka_unit_test(test_health_and_api_down),
        cmocka_unit_test(test_database_and_logging),
        cmocka_unit_test(test_quality),
        cmocka_unit_test(test_response_time),
        cmocka_unit_test(test_cpu),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_success_rate),
        cmocka_unit_test(test_dense_ticks_keep_windows),
        cmocka_unit_test(test_custom_config),
        cmocka_unit_test(test_input_from_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
