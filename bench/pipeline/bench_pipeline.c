/*
 * bench/pipeline/bench_pipeline.c - one offline generation end to end, in-process, per content type
 * SPDX-License-Identifier: MIT
 *
 * Builds the registry from the configuration (LA_FACTORIA_CONFIG or the default), then runs the real
 * generation pipeline (routing, offline provider, repair, schema validation, quality pipeline when
 * scorers are configured, response JSON) N times per content type on a private event loop, and prints
 * the mean and p99 per generation. Usage: lf-bench-pipeline [iterations] [--no-scorers]
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "content_types.h"
#include "log.h"
#include "mem.h"
#include "pipeline.h"
#include "registry.h"
#include "runtime.h"
#include "server.h"
#include "upstream.h"
#include "util.h"

struct job {
    int done, status;
};

static void on_done(void *ud, int status, json_t *body, uint64_t up, const char *prov, double cost)
{
    (void)body;
    (void)up;
    (void)prov;
    (void)cost;
    struct job *j = ud;
    j->done = 1;
    j->status = status;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    int no_scorers = argc > 2 && strcmp(argv[2], "--no-scorers") == 0;
    char err[512];
    struct lf_config *cfg = NULL;
    lf_log_set_level(LF_LOG_LVL_ERROR);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (lf_config_load(NULL, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (no_scorers)
        cfg->nscorers = 0;
    cfg->max_regenerations = 0;
    lf_runtime_init(cfg);
    struct lf_registry *reg = lf_registry_build(cfg, NULL, 1, err, sizeof(err));
    if (reg == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    lf_registry_publish(reg);
    struct lf_worker *w = lf_worker_private_new();
    uint64_t *samples = lf_calloc((size_t)n, sizeof(*samples));
    struct lf_registry *cur = lf_registry_acquire();
    printf("%-26s %10s %10s %10s  (%d generations each, scorers %s)\n", "content type", "mean_us", "p50_us", "p99_us",
           n, no_scorers ? "off" : "on");
    for (size_t t = 0; t < lf_content_types_count(cur->types); ++t) {
        const char *id = lf_content_types_at(cur->types, t)->id;
        for (int i = 0; i < n; ++i) {
            struct lf_gen_params p;
            memset(&p, 0, sizeof(p));
            p.content_type = id;
            p.topic = "Photosynthesis in Plants";
            p.age_group = "high_school";
            p.max_cost_usd = -1;
            p.temperature = p.top_p = -1;
            struct job j = {0, 0};
            uint64_t t0 = lf_now_ns();
            lf_gen_start(w, cur, &p, on_done, &j);
            while (!j.done)
                h2o_evloop_run(w->ctx.loop, 1);
            samples[i] = lf_now_ns() - t0;
            if (j.status != 200) {
                fprintf(stderr, "%s: status %d\n", id, j.status);
                return 1;
            }
        }
        uint64_t sum = 0;
        for (int i = 0; i < n; ++i)
            sum += samples[i];
        qsort(samples, (size_t)n, sizeof(*samples), cmp_u64);
        printf("%-26s %10.1f %10.1f %10.1f\n", id, (double)sum / n / 1000.0, (double)samples[n / 2] / 1000.0,
               (double)samples[(size_t)(n * 0.99)] / 1000.0);
    }
    lf_registry_release(cur);
    lf_worker_private_free(w);
    lf_free(samples);
    lf_registry_shutdown();
    lf_runtime_shutdown();
    curl_global_cleanup();
    return 0;
}
