/*
 * core/src/metrics.h - lock-free per-worker metric shards merged on read; Prometheus and JSON renderers
 * SPDX-License-Identifier: MIT
 *
 * Model: one registry (struct lf_metrics) owns N shards. Each worker thread owns one shard and is its only
 * writer: updates are relaxed atomic load+store pairs (no lock prefix, no contention), so readers on other
 * threads are race-free (TSan-clean) and see each counter monotonically. Readers (renderers) sum every shard.
 * Threads that own no shard (database writer, plugin loader, timers) write to lf_metrics_shared(m), a shard
 * whose recorders take a mutex. Recorders given a NULL shard do nothing.
 *
 * Dynamic label values (content types, providers, outcomes, plugin counters) are interned in registry-wide
 * tables with a bounded size (LF_METRICS_MAX_TYPES ...). Lookups are lock-free; the first sighting of a new
 * value takes a mutex once. When a table is full, further new values are counted under the label "_other".
 *
 * Time: every event is stamped with the registry clock (wall clock seconds; tests inject their own) to fill
 * a per-second ring (requests per second over the last minute) and a per-minute ring (cost over 24 h).
 */
#ifndef LF_CORE_METRICS_H
#define LF_CORE_METRICS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct lf_sysstat;

/** Fixed route groups (label `route`). */
enum lf_metrics_route {
    LF_METRICS_ROUTE_HEALTH = 0,
    LF_METRICS_ROUTE_GENERATE,
    LF_METRICS_ROUTE_BATCH,
    LF_METRICS_ROUTE_CHAT,
    LF_METRICS_ROUTE_CONTENT,
    LF_METRICS_ROUTE_ADMIN,
    LF_METRICS_ROUTE_METRICS,
    LF_METRICS_ROUTE_STATIC,
    LF_METRICS_ROUTE_OTHER,
    LF_METRICS_ROUTE__COUNT
};

/** Circuit states as exported by lafactoria_provider_circuit_state. */
enum lf_metrics_circuit { LF_METRICS_CIRCUIT_CLOSED = 0, LF_METRICS_CIRCUIT_HALF_OPEN = 1, LF_METRICS_CIRCUIT_OPEN = 2 };

#define LF_METRICS_MAX_TYPES 64      /* distinct content types (incl. "_other") */
#define LF_METRICS_MAX_PROVIDERS 64  /* distinct providers (incl. "_other") */
#define LF_METRICS_MAX_OUTCOMES 32   /* distinct outcome strings (incl. "_other") */
#define LF_METRICS_MAX_PLUGIN_COUNTERS 128
#define LF_METRICS_HIST_MAX 20       /* max finite buckets of any histogram */

/** HTTP request duration buckets (seconds), also used for latency percentiles and the response-time alert. */
#define LF_METRICS_HTTP_NBUCKETS 15
extern const double lf_metrics_http_bounds[LF_METRICS_HTTP_NBUCKETS];

struct lf_metrics;
struct lf_metrics_shard;

/** Clock: returns seconds since the Unix epoch (fractional). */
typedef double (*lf_metrics_clock_fn)(void *ud);

/** New registry with `nshards` worker shards (>= 1). Never NULL. Free with lf_metrics_free(). */
struct lf_metrics *lf_metrics_new(int nshards);
void lf_metrics_free(struct lf_metrics *m);
/** Replace the clock (tests). Call before any event is recorded; resets the uptime origin to now. */
void lf_metrics_set_clock(struct lf_metrics *m, lf_metrics_clock_fn fn, void *ud);
/** Current time by the registry clock. */
double lf_metrics_now(const struct lf_metrics *m);
/** The shard of worker `i` (0 <= i < nshards); borrowed, lives as long as the registry. NULL if out of range. */
struct lf_metrics_shard *lf_metrics_shard(struct lf_metrics *m, int i);
/** The shared shard (any thread may write it; writes take a mutex). Borrowed. */
struct lf_metrics_shard *lf_metrics_shared(struct lf_metrics *m);
/** Bind `shard` to the calling thread (NULL unbinds); lf_metrics_thread_shard() returns it (NULL if none). */
void lf_metrics_bind_thread(struct lf_metrics_shard *shard);
struct lf_metrics_shard *lf_metrics_thread_shard(void);

/** Name of a route group ("health", ...); "other" for out-of-range values. */
const char *lf_metrics_route_name(enum lf_metrics_route r);
/** Classify a request path (without query string) into a route group. */
enum lf_metrics_route lf_metrics_route_of_path(const char *path, size_t len);

/* ---- hot-path recorders: `s` is the calling worker's shard (or lf_metrics_shared(m)); NULL = no-op ---- */

/** One answered HTTP request. status 100..599 (others are recorded as "0"); durations in microseconds. */
void lf_metrics_http(struct lf_metrics_shard *s, enum lf_metrics_route route, int status,
                     uint64_t duration_us, uint64_t overhead_us, uint64_t bytes_in, uint64_t bytes_out);
/**
 * One finished generation (one content type of a request; a batch records one per type). outcome "ok" counts as
 * succeeded, any other string (e.g. "failed", "quality_rejected", "timeout") as failed. provider NULL = "none".
 * Tokens and cost are also added to the provider's totals (do NOT call lf_metrics_provider_usage for them too).
 */
void lf_metrics_generation(struct lf_metrics_shard *s, const char *content_type,
                           const char *provider, const char *outcome, uint64_t tokens_prompt,
                           uint64_t tokens_completion, double cost_usd, double duration_ms);
/** Token and cost usage not covered by lf_metrics_generation (OpenAI-compatible /v1 calls). */
void lf_metrics_provider_usage(struct lf_metrics_shard *s, const char *provider,
                               uint64_t tokens_prompt, uint64_t tokens_completion, double cost_usd);
/** One attempt on a provider (outcome "ok" = success, else the failure class, e.g. "timeout", "upstream_5xx"). */
void lf_metrics_provider_attempt(struct lf_metrics_shard *s, const char *provider,
                                 const char *outcome, double latency_ms);
/** Overall quality score (0..1) of one scored content. */
void lf_metrics_quality(struct lf_metrics_shard *s, const char *content_type,
                        double overall_score);
/** One response-cache lookup. */
void lf_metrics_cache(struct lf_metrics_shard *s, int hit);
/** A generation start that waited for a later loop iteration: lafactoria_deferred_starts_total. */
void lf_metrics_deferred_start(struct lf_metrics_shard *s);
/** host->metric_add: add `value` (>= 0; negative values are ignored) to the counter
 *  lafactoria_plugin_metric_total{plugin,name} (wire it with lf_metrics_thread_shard(), falling back to
 *  lf_metrics_shared(m) on threads without a shard). */
void lf_metrics_plugin_add(struct lf_metrics_shard *s, const char *plugin, const char *name,
                           double value);

/* ---- readers ---- */

/** Provider state passed in by the caller (router/circuit owner) for rendering. Strings borrowed. */
struct lf_metrics_provider_state {
    const char *name;
    int circuit; /* enum lf_metrics_circuit */
};

/** Figures the metrics module does not own; every pointer may be NULL. */
struct lf_metrics_extra {
    const struct lf_metrics_provider_state *providers;
    size_t nproviders;
    long long db_pending_writes;      /* < 0: unknown, not rendered */
    const struct lf_sysstat *sys;     /* latest sample, or NULL */
};

/** Prometheus text exposition 0.0.4. Returns a fresh NUL-terminated string (lf_free); *len_out gets its length. */
char *lf_metrics_prometheus(struct lf_metrics *m, const struct lf_metrics_extra *x, size_t *len_out);
/** Content-Type to send with lf_metrics_prometheus output. */
#define LF_METRICS_PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/**
 * The /api/v1/metrics object (new reference): timestamp, uptime_seconds, requests, latency_ms, generations,
 * providers, cost, cache, system, and history (for charts: requests_per_minute, generations_per_minute,
 * cost_usd_per_minute: 60 values, oldest first, the last is the current minute; requests_per_hour,
 * generations_per_hour, cost_usd_per_hour: 24 rolling 60-minute spans, the last ends now; minute_end: the end of
 * the current minute). The caller adds "database".
 */
json_t *lf_metrics_json(struct lf_metrics *m, const struct lf_metrics_extra *x);

/** Cumulative totals since the registry was created (input for the alert evaluator). */
struct lf_metrics_totals {
    uint64_t requests;
    /** Non-cumulative per-bucket counts (last = +Inf) of request durations of API routes that do not wait on a
     *  provider (all groups but generate, batch, chat), bounds lf_metrics_http_bounds. */
    uint64_t api_latency_buckets[LF_METRICS_HTTP_NBUCKETS + 1];
    double api_latency_max_s;
    uint64_t generations;
    uint64_t generations_ok;
    uint64_t quality_count;
    double quality_sum;
};
void lf_metrics_totals(struct lf_metrics *m, struct lf_metrics_totals *out);

/**
 * Quantile q (0..1) of a histogram with `nb` finite upper bounds and nb+1 non-cumulative counts (last = +Inf),
 * interpolated linearly within the bucket (lower edge 0 for the first). The bucket holding the largest
 * observation ends at max_observed (the +Inf bucket too; it collapses to the last bound when max_observed is
 * not above it); pass 0 when unknown. Returns NAN when the histogram is empty.
 */
double lf_metrics_hist_quantile(const double *bounds, size_t nb, const uint64_t *counts, double q,
                                double max_observed);

#endif
