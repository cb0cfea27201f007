/*
 * tests/unit/sysstat.c - /proc parsing and interval CPU percentages, on a fake /proc and on the real one
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mem.h"
#include "sysstat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void put(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void write_proc(unsigned long long user, unsigned long long sys, unsigned long long idle,
                       unsigned long utime, unsigned long stime)
{
    char buf[512];
    snprintf(buf, sizeof(buf),
             "cpu  %llu 0 %llu %llu 0 0 0 0 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\ncpu1 1 0 1 1 0 0 0 0 0 0\n"
             "intr 1 2 3\nctxt 99\nbtime 1700000000\nprocesses 5\n",
             user, sys, idle);
    put("stat", buf);
    /* comm with a space and a parenthesis: parsing must start after the last ')' */
    snprintf(buf, sizeof(buf),
             "4242 (la fact)ory) S 1 2 3 4 5 6 7 8 9 10 %lu %lu 0 0 20 0 7 0 500 123456789 300 18446744073709551615 1 "
             "2\n",
             utime, stime);
    put("self/stat", buf);
}

static int setup(void **state)
{
    (void)state;
    char path[128];
    strcpy(root, "/tmp/lf-sysstat-XXXXXX");
    assert_non_null(mkdtemp(root));
    snprintf(path, sizeof(path), "%s/self", root);
    mkdir(path, 0700);
    put("meminfo", "MemTotal:        1000000 kB\nMemFree:          100000 kB\nMemAvailable:     250000 kB\n"
                   "Buffers:            1000 kB\n");
    put("loadavg", "0.50 0.40 0.30 1/100 1234\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_fake_proc(void **state)
{
    (void)state;
    long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    struct lf_sysstat st;
    write_proc(1000, 500, 8500, 100, 50);
    struct lf_sysstat_sampler *s = lf_sysstat_sampler_new(root, "/");
    lf_sysstat_latest(s, &st);
    assert_int_equal(st.have_cpu, 0); /* the first sample covers no interval */
    assert_int_equal(st.ncpu, 2);
    assert_int_equal(st.threads, 7);
    assert_int_equal(st.rss_bytes, 300 * (uint64_t)page);
    assert_int_equal(st.vsize_bytes, 123456789);
    assert_int_equal(st.mem_total_bytes, 1000000ull * 1024);
    assert_int_equal(st.mem_available_bytes, 250000ull * 1024);
    assert_true(fabs(st.memory_percent - 75.0) < 1e-9);
    assert_true(fabs(st.process_memory_percent - 100.0 * 300 * page / (1000000.0 * 1024)) < 1e-9);
    assert_true(fabs(st.load1 - 0.5) < 1e-9 && fabs(st.load15 - 0.3) < 1e-9);
    assert_true(fabs(st.process_cpu_seconds - 150.0 / hz) < 1e-9);
    assert_true(fabs(st.process_start_time - (1700000000.0 + 500.0 / hz)) < 1e-6);
    assert_true(st.disk_total_bytes > 0);

    /* 10 s later: +300 busy (user 200, system 100) of +1000 ticks -> 30 %; process +hz/2 ticks per s -> 50 % */
    write_proc(1200, 600, 9200, 100 + (unsigned long)(hz * 5 / 2), 50 + (unsigned long)(hz * 5 / 2));
    assert_int_equal(lf_sysstat_sample(s, 1800000010.0, &st), 0);
    /* the sampler's first sample used the real clock, so give it a second interval with injected times */
    write_proc(1500, 750, 9950, 100 + (unsigned long)(hz * 10 / 2), 50 + (unsigned long)(hz * 10 / 2));
    assert_int_equal(lf_sysstat_sample(s, 1800000020.0, &st), 0);
    assert_int_equal(st.have_cpu, 1);
    assert_true(fabs(st.interval_s - 10.0) < 1e-9);
    assert_true(fabs(st.cpu_percent - 100.0 * 450 / 1200) < 1e-9);
    assert_true(fabs(st.process_cpu_percent - 50.0) < 1e-9);
    struct lf_sysstat latest;
    lf_sysstat_latest(s, &latest);
    assert_true(latest.timestamp == 1800000020.0);

    json_t *j = lf_sysstat_json(&st);
    assert_true(fabs(json_real_value(json_object_get(j, "cpu_percent")) - 37.5) < 1e-9);
    assert_true(fabs(json_real_value(json_object_get(j, "memory_percent")) - 75.0) < 1e-9);
    assert_int_equal(json_array_size(json_object_get(j, "load_average")), 3);
    json_decref(j);

    /* an unreadable /proc leaves the latest sample alone */
    put("stat", "garbage\n");
    assert_int_equal(lf_sysstat_sample(s, 1800000030.0, &st), -1);
    lf_sysstat_latest(s, &latest);
    assert_true(latest.timestamp == 1800000020.0);
    lf_sysstat_sampler_free(s);
}

static void test_missing_proc(void **state)
{
    (void)state;
    struct lf_sysstat st;
    struct lf_sysstat_sampler *s = lf_sysstat_sampler_new("/nonexistent-proc", "/nonexistent-disk");
    assert_int_equal(lf_sysstat_sample(s, 0, &st), -1);
    lf_sysstat_latest(s, &st);
    assert_int_equal(st.rss_bytes, 0);
    assert_int_equal(st.have_cpu, 0);
    lf_sysstat_sampler_free(s);
}

static void test_real_proc(void **state)
{
    (void)state;
    struct lf_sysstat st;
    struct lf_sysstat_sampler *s = lf_sysstat_sampler_new(NULL, NULL);
    volatile double x = 0;
    for (int i = 0; i < 20000000; i++) /* burn some CPU so the process figure moves */
        x += i * 0.5;
    usleep(100000);
    assert_int_equal(lf_sysstat_sample(s, 0, &st), 0);
    assert_true(st.rss_bytes > 0);
    assert_true(st.threads >= 1);
    assert_true(st.ncpu >= 1);
    assert_true(st.mem_total_bytes > 0 && st.memory_percent > 0 && st.memory_percent <= 100);
    assert_true(st.disk_total_bytes > 0);
    assert_int_equal(st.have_cpu, 1);
    assert_true(st.cpu_percent >= 0 && st.cpu_percent <= 100);
    assert_true(st.process_cpu_seconds > 0);
    assert_true(st.process_start_time > 1.6e9);
    lf_sysstat_sampler_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fake_proc, setup, teardown),
        cmocka_unit_test(test_missing_proc),
        cmocka_unit_test(test_real_proc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
