/*
 * tests/unit/metrics_promtool.c - the Prometheus exposition passes `promtool check metrics` (fails without promtool)
 * SPDX-License-Identifier: MIT
 *
 * promtool comes with the Debian package `prometheus`. Set PROMTOOL to use another binary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mem.h"
#include "metrics.h"
#include "sysstat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *promtool(void)
{
    const char *p = getenv("PROMTOOL");
    return p != NULL && p[0] != '\0' ? p : "promtool";
}

/* Run promtool check metrics on `text`; returns its exit status, its output in *out (caller frees). */
static int check(const char *text, char **out)
{
    char path[] = "/tmp/lf-promtool-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    char *cmd = lf_asprintf("'%s' check metrics < '%s' 2>&1", promtool(), path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 4096, len = 0;
    char *buf = lf_malloc(cap);
    size_t r;
    while ((r = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += r;
        if (cap - len < 2)
            buf = lf_realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    int st = pclose(p);
    unlink(path);
    lf_free(cmd);
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_promtool_present(void **state)
{
    (void)state;
    char *cmd = lf_asprintf("'%s' --version > /dev/null 2>&1", promtool());
    int rc = system(cmd);
    lf_free(cmd);
    if (rc != 0)
        fail_msg("promtool not found (install the Debian package `prometheus`, or set PROMTOOL)");
}

static void test_promtool_rejects_garbage(void **state)
{
    (void)state;
    char *out = NULL;
    /* a counter without _total and a sample of an undeclared histogram without buckets: both are flagged */
    int rc = check("# HELP x_requests Requests.\n# TYPE x_requests counter\nx_requests 1\n"
                   "# HELP x_h H.\n# TYPE x_h histogram\nx_h_sum 1\n",
                   &out);
    assert_int_not_equal(rc, 0);
    lf_free(out);
}

static void test_full_exposition_passes(void **state)
{
    (void)state;
    struct lf_metrics *m = lf_metrics_new(2);
    struct lf_metrics_shard *s = lf_metrics_shard(m, 0);
    for (int r = 0; r < LF_METRICS_ROUTE__COUNT; r++)
        lf_metrics_http(s, (enum lf_metrics_route)r, 200 + r, 1000u * (uint64_t)(r + 1), 20, 10, 20);
    lf_metrics_http(s, LF_METRICS_ROUTE_GENERATE, 0, 999999999, 5, 0, 0);
    lf_metrics_generation(s, "flashcards", "openai", "ok", 10, 20, 0.001, 2000);
    lf_metrics_generation(s, "weird \"type\"\\\n", NULL, "quality_rejected", 0, 0, 0, 100000);
    lf_metrics_provider_attempt(lf_metrics_shared(m), "openai", "timeout", 30000);
    lf_metrics_provider_usage(s, "anthropic", 1, 2, 0.5);
    lf_metrics_quality(s, "flashcards", 0.91);
    lf_metrics_quality(s, "flashcards", 1.5);
    lf_metrics_cache(s, 1);
    lf_metrics_plugin_add(s, "readability", "words_scored", 1234.5);
    struct lf_sysstat_sampler *ss = lf_sysstat_sampler_new(NULL, NULL);
    struct lf_sysstat sys;
    usleep(20000);
    assert_int_equal(lf_sysstat_sample(ss, 0, &sys), 0);
    struct lf_metrics_provider_state ps[3] = {{"openai", 2}, {"anthropic", 1}, {"offline", 0}};
    struct lf_metrics_extra x = {ps, 3, 12, &sys};
    char *txt = lf_metrics_prometheus(m, &x, NULL);
    char *out = NULL;
    int rc = check(txt, &out);
    if (rc != 0 || out[0] != '\0')
        fail_msg("promtool check metrics failed (rc %d):\n%s", rc, out);
    lf_free(out);
    lf_free(txt);

    /* an empty registry with no extras is valid too */
    struct lf_metrics *empty = lf_metrics_new(1);
    txt = lf_metrics_prometheus(empty, NULL, NULL);
    rc = check(txt, &out);
    if (rc != 0 || out[0] != '\0')
        fail_msg("promtool check metrics failed on the empty registry (rc %d):\n%s", rc, out);
    lf_free(out);
    lf_free(txt);
    lf_metrics_free(empty);
    lf_sysstat_sampler_free(ss);
    lf_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promtool_present),
        cmocka_unit_test(test_promtool_rejects_garbage),
        cmocka_unit_test(test_full_exposition_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
