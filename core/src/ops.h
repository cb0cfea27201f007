/*
 * core/src/ops.h - operations sampler: a background thread that samples sysstat and evaluates the alert rules
 * SPDX-License-Identifier: MIT
 *
 * lf_ops_start() (called once from lf_app_init, after the first registry is published) creates the resource
 * sampler (/proc, statvfs of the journal directory or the working directory) and the alert evaluator, then
 * starts one thread that every tick (default 10 s; env LF_OPS_TICK_MS, 50..600000 ms, for tests) takes a
 * sysstat sample and evaluates the alert rules with the current health (a routable provider exists) and
 * database status. lf_ops_stop() (first thing in lf_app_shutdown) stops and joins the thread and frees both.
 * Request handlers read the latest sample and the alert states through the accessors below; they never touch
 * /proc themselves.
 */
#ifndef LF_CORE_OPS_H
#define LF_CORE_OPS_H

#include <stdint.h>

struct lf_sysstat_sampler;
struct lf_alerts;

/** Default tick in milliseconds and the environment variable that overrides it. */
#define LF_OPS_TICK_MS_DEFAULT 10000
#define LF_OPS_TICK_ENV "LF_OPS_TICK_MS"

/** Start the sampler thread (idempotent). Returns 0, or -1 when the thread could not be created (logged). */
int lf_ops_start(void);
/** Stop and join the thread, free the sampler and the evaluator (idempotent). */
void lf_ops_stop(void);

/** The resource sampler (NULL before lf_ops_start / after lf_ops_stop). Read with lf_sysstat_latest(). */
struct lf_sysstat_sampler *lf_ops_sysstat(void);
/** The alert evaluator (NULL before lf_ops_start / after lf_ops_stop). Thread-safe. */
struct lf_alerts *lf_ops_alerts(void);
/** Tick interval in use (ms). */
uint32_t lf_ops_tick_ms(void);
/** Number of ticks evaluated so far. */
uint64_t lf_ops_ticks(void);

/**
 * Quality pipeline hook: the duration of one quality assessment in milliseconds. The quality pipeline
 * (lf_runtime_quality) should call it after each lf_quality_assess(); lf_ops_last_assessment_ms() returns the
 * latest value, or a negative number when none was reported yet (shown as null).
 */
void lf_ops_note_assessment(double ms);
double lf_ops_last_assessment_ms(void);

#endif
