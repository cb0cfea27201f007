/*
 * core/src/ops.c - operations sampler thread: sysstat samples and alert evaluation every tick
 * SPDX-License-Identifier: MIT
 */
#include "ops.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alerts.h"
#include "handlers.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "registry.h"
#include "runtime.h"
#include "sysstat.h"

#define MODULE "ops"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static pthread_t thread;
static int running, stopping;
static struct lf_sysstat_sampler *sampler;
static struct lf_alerts *alerts;
static uint32_t tick_ms = LF_OPS_TICK_MS_DEFAULT;
static atomic_ullong ticks;
static _Atomic double last_assessment_ms = -1;

struct lf_sysstat_sampler *lf_ops_sysstat(void)
{
    return sampler;
}

struct lf_alerts *lf_ops_alerts(void)
{
    return alerts;
}

uint32_t lf_ops_tick_ms(void)
{
    return tick_ms;
}

uint64_t lf_ops_ticks(void)
{
    return atomic_load(&ticks);
}

void lf_ops_note_assessment(double ms)
{
    if (ms >= 0 && isfinite(ms))
        atomic_store(&last_assessment_ms, ms);
}

double lf_ops_last_assessment_ms(void)
{
    return atomic_load(&last_assessment_ms);
}

static uint32_t tick_from_env(void)
{
    const char *v = getenv(LF_OPS_TICK_ENV);
    if (v == NULL || *v == '\0')
        return LF_OPS_TICK_MS_DEFAULT;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < 50 || n > 600000) {
        lf_log_warn(MODULE, "%s=\"%s\" ignored (an integer 50..600000 is expected); ticking every %d ms",
                    LF_OPS_TICK_ENV, v, LF_OPS_TICK_MS_DEFAULT);
        return LF_OPS_TICK_MS_DEFAULT;
    }
    return (uint32_t)n;
}

/* Health as the alert rules see it: at least one enabled provider can take a request now. */
static int health_now(void)
{
    struct lf_registry *reg = lf_registry_acquire();
    if (reg == NULL)
        return -1;
    int ok = 0;
    for (size_t i = 0; i < reg->nproviders && !ok; ++i)
        if (reg->providers[i].enabled && lf_provider_routable(&reg->providers[i]))
            ok = 1;
    lf_registry_release(reg);
    return ok;
}

static int db_now(void)
{
    const char *s = lf_runtime_db_state();
    if (strcmp(s, "up") == 0)
        return 1;
    if (strcmp(s, "down") == 0)
        return 0;
    return -1; /* not configured */
}

static void tick(void)
{
    struct lf_metrics *m = lf_runtime_metrics();
    struct lf_sysstat st;
    if (lf_sysstat_sample(sampler, 0, &st) != 0)
        lf_sysstat_latest(sampler, &st);
    if (m != NULL) {
        struct lf_alerts_input in;
        lf_alerts_input_fill(&in, lf_metrics_now(m), m, &st, health_now(), db_now());
        lf_alerts_evaluate(alerts, &in);
    }
    atomic_fetch_add(&ticks, 1);
}

static void *run(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!stopping) {
        pthread_mutex_unlock(&mu);
        tick();
        pthread_mutex_lock(&mu);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += tick_ms / 1000;
        ts.tv_nsec += (long)(tick_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec += 1;
            ts.tv_nsec -= 1000000000L;
        }
        while (!stopping && pthread_cond_timedwait(&cv, &mu, &ts) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* The filesystem to report: the journal directory when it exists, else the working directory. */
static char *disk_path(void)
{
    char *path = NULL;
    struct lf_registry *reg = lf_registry_acquire();
    if (reg != NULL) {
        struct stat sb;
        if (reg->config->journal_dir != NULL && stat(reg->config->journal_dir, &sb) == 0 && S_ISDIR(sb.st_mode))
            path = lf_strdup(reg->config->journal_dir);
        lf_registry_release(reg);
    }
    return path != NULL ? path : lf_strdup(".");
}

int lf_ops_start(void)
{
    if (running)
        return 0;
    tick_ms = tick_from_env();
    char *dp = disk_path();
    sampler = lf_sysstat_sampler_new(NULL, dp);
    lf_free(dp);
    struct lf_metrics *m = lf_runtime_metrics();
    alerts = lf_alerts_new(NULL, m != NULL ? lf_metrics_now(m) : (double)time(NULL));
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cv, &ca);
    pthread_condattr_destroy(&ca);
    stopping = 0;
    if (pthread_create(&thread, NULL, run, NULL) != 0) {
        lf_log_error(MODULE, "cannot start the operations sampler thread: alerts will not be evaluated");
        pthread_cond_destroy(&cv);
        return -1;
    }
    running = 1;
    lf_log_info(MODULE, "operations sampler started (tick %u ms)", (unsigned)tick_ms);
    return 0;
}

void lf_ops_stop(void)
{
    if (running) {
        pthread_mutex_lock(&mu);
        stopping = 1;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
        pthread_join(thread, NULL);
        pthread_cond_destroy(&cv);
        running = 0;
    }
    lf_alerts_free(alerts);
    alerts = NULL;
    lf_sysstat_sampler_free(sampler);
    sampler = NULL;
}
