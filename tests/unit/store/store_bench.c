/*
 * tests/unit/store/store_bench.c - store throughput, submit latency and replay-rate benchmark (not a ctest)
 * SPDX-License-Identifier: MIT
 *
 * Usage: lf-store-bench [records=100000] [producers=2] [rate=5000] [rate_seconds=10]
 * Starts its own throwaway cluster (scripts/pg-test.sh; LF_PG_DURABLE=1 for fsync on).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "migrate.h"
#include "pg_fixture.h"
#include "records.h"
#include "store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct prod {
    unsigned prefix, from, n;
    double rate; /* per producer, 0 = full speed */
    double *lat;
};

static void *producer(void *p)
{
    struct prod *a = p;
    char id[37];
    double t0 = now_s();
    for (unsigned i = 0; i < a->n; i++) {
        if (a->rate > 0) {
            double due = t0 + i / a->rate;
            double w = due - now_s();
            if (w > 0) {
                usleep((useconds_t)(w * 1e6));
            }
        }
        snprintf(id, sizeof(id), "%08x-0000-4000-8000-%012x", a->prefix, a->from + i);
        json_t *r = rec_generation(id, SYSTEM_USER, "study_guide", 0.8, 1200, NULL);
        double s = now_s();
        if (lf_store_submit(r) != LF_OK) {
            fprintf(stderr, "submit failed\n");
            exit(1);
        }
        a->lat[i] = now_s() - s;
    }
    return NULL;
}

static void pct(const char *what, double *lat, size_t n)
{
    qsort(lat, n, sizeof(*lat), cmp_d);
    printf("  %s submit latency: p50 %.1f us, p99 %.1f us, max %.1f us\n", what, lat[n / 2] * 1e6,
           lat[(size_t)(n * 0.99)] * 1e6, lat[n - 1] * 1e6);
}

/* Submit n records with `np` producers at `rate` total (0 = full speed); returns submit seconds. */
static double run_producers(unsigned prefix, unsigned n, int np, double rate, double *lat)
{
    pthread_t t[16];
    struct prod a[16];
    double t0 = now_s();
    for (int i = 0; i < np; i++) {
        a[i] = (struct prod){.prefix = prefix + (unsigned)i, .from = 0, .n = n / (unsigned)np,
                             .rate = rate / np, .lat = lat + (size_t)i * (n / (unsigned)np)};
        pthread_create(&t[i], NULL, producer, &a[i]);
    }
    for (int i = 0; i < np; i++) {
        pthread_join(t[i], NULL);
    }
    return now_s() - t0;
}

static void start(const char *ci, const char *dir, int batch)
{
    char err[256];
    struct lf_store_options o = {.conninfo = ci, .journal_dir = dir, .batch_max = batch};
    if (lf_store_start(&o, err, sizeof(err)) != LF_OK) {
        fprintf(stderr, "start: %s\n", err);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 100000;
    int np = argc > 2 ? atoi(argv[2]) : 2;
    double rate = argc > 3 ? atof(argv[3]) : 5000;
    int rate_s = argc > 4 ? atoi(argv[4]) : 10;
    char err[256], dir[64];
    double *lat = lf_calloc(n > (unsigned)(rate * rate_s) ? n : (unsigned)(rate * rate_s) + 16, sizeof(double));
    struct lf_store_stats st;

    lf_log_set_level(2);
    pgfx_start();
    const char *ci = pgfx_create_db("bench");
    if (lf_migrate_run(ci, LF_SOURCE_DIR "/migrations", err, sizeof(err)) != LF_OK) {
        fprintf(stderr, "migrate: %s\n", err);
        return 1;
    }
    json_t *sample = rec_generation("00000000-0000-4000-8000-000000000000", SYSTEM_USER, "study_guide", 0.8, 1, NULL);
    char *s = json_dumps(sample, JSON_COMPACT);
    printf("record size: %zu bytes (generation with quality_metrics; also writes quality_assessments)\n", strlen(s));
    free(s);
    json_decref(sample);

    /* 1. capacity: full-speed producers, time until everything is committed */
    pgfx_tmpdir(dir, sizeof(dir));
    start(ci, dir, 1000);
    double t0 = now_s();
    double sub = run_producers(0x100, n, np, 0, lat);
    if (!lf_store_wait_idle(600000)) {
        fprintf(stderr, "did not drain\n");
        return 1;
    }
    double total = now_s() - t0;
    lf_store_stats(&st);
    printf("1. full speed: %u records by %d producers submitted in %.2f s; all committed after %.2f s = %.0f "
           "records/s stored (%llu batches)\n",
           n, np, sub, total, n / total, (unsigned long long)st.batches_total);
    pct("full-speed", lat, n);
    lf_store_stop();

    /* 2. sustained fixed rate: is the store keeping up (backlog stays small)? */
    unsigned rn = (unsigned)(rate * rate_s);
    pgfx_tmpdir(dir, sizeof(dir));
    start(ci, dir, 1000);
    t0 = now_s();
    sub = run_producers(0x200, rn, np, rate, lat);
    lf_store_stats(&st);
    double lag0 = now_s();
    lf_store_wait_idle(600000);
    printf("2. fixed rate %.0f/s for %d s: %u records submitted in %.2f s; backlog at the end %llu records, "
           "drained %.3f s later\n",
           rate, rate_s, rn, sub, (unsigned long long)st.spooled_records, now_s() - lag0);
    pct("with database", lat, rn);
    lf_store_stop();

    /* 3. same rate without a database (journal only): submit latency must not change */
    pgfx_tmpdir(dir, sizeof(dir));
    start("host=/nonexistent dbname=x connect_timeout=1", dir, 1000);
    run_producers(0x300, rn, np, rate, lat);
    pct("no database  ", lat, rn);
    lf_store_stop();

    /* 4. outage replay: records journaled while PostgreSQL is down, then the rate it catches up */
    pgfx_tmpdir(dir, sizeof(dir));
    start(ci, dir, 1000);
    pgfx_server_stop();
    run_producers(0x400, n, np, 0, lat);
    lf_store_stats(&st);
    printf("4. outage: %llu records spooled while PostgreSQL was down (db_up=%d)\n",
           (unsigned long long)st.spooled_records, st.db_up);
    pgfx_server_start();
    t0 = now_s();
    while (!lf_store_db_up()) {
        usleep(1000);
    }
    double up = now_s();
    lf_store_wait_idle(600000);
    double rep = now_s() - up;
    printf("   reconnect %.2f s after restart, replayed %u records in %.2f s = %.0f records/s\n", up - t0, n, rep,
           n / rep);
    lf_store_stop();
    long c = pgfx_int(ci, "SELECT count(*) FROM educational_content");
    printf("rows in educational_content: %ld (expected %u)\n", c, n + rn + n);
    pgfx_stop();
    lf_free(lat);
    return c == (long)(n + rn + n) ? 0 : 1;
}
