/*
 * core/src/metrics.c - lock-free per-worker metric shards merged on read; Prometheus and JSON renderers
 * SPDX-License-Identifier: MIT
 *
 * See metrics.h for the model and docs/internals/METRICS.md for the metric catalogue.
 */
#include "metrics.h"

#include "mem.h"
#include "sysstat.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NSTATUS 600
#define SEC_RING 64
#define MIN_RING 1440
#define GEN_SLOTS 2048
#define LABEL_MAX_LEN 80

typedef _Atomic uint64_t a64;
typedef _Atomic double adbl;

const double lf_metrics_http_bounds[LF_METRICS_HTTP_NBUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                 0.5,   1,      2.5,   5,    10,    30,   60};
#define OVH_NB 13
static const double ovh_bounds[OVH_NB] = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                          0.0025,  0.005,    0.01,    0.025,  0.05,   0.1};
#define QUAL_NB 14
static const double qual_bounds[QUAL_NB] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1};
#define PLAT_NB 14 /* provider attempt latency, seconds */
static const double plat_bounds[PLAT_NB] = {0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60};
#define GDUR_NB 12 /* generation duration, seconds */
static const double gdur_bounds[GDUR_NB] = {0.1, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60};

static const char *route_names[LF_METRICS_ROUTE__COUNT] = {"health",  "generate", "batch",  "chat", "content",
                                                           "admin",   "metrics",  "static", "other"};

/* ---- atomic helpers: single writer per shard, so load+store is enough ---- */

static inline void add64(a64 *p, uint64_t v)
{
    atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v, memory_order_relaxed);
}

static inline void addd(adbl *p, double v)
{
    atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + v, memory_order_relaxed);
}

static inline uint64_t ld64(a64 *p)
{
    return atomic_load_explicit(p, memory_order_relaxed);
}

static inline double ldd(adbl *p)
{
    return atomic_load_explicit(p, memory_order_relaxed);
}

/* ---- histograms ---- */

struct hist {
    a64 b[LF_METRICS_HIST_MAX + 1]; /* non-cumulative; [nb] is +Inf */
    a64 count;
    adbl sum;
    adbl max;
};

struct hsnap {
    uint64_t b[LF_METRICS_HIST_MAX + 1];
    uint64_t count;
    double sum;
    double max;
};

static void hist_observe(struct hist *h, const double *bounds, size_t nb, double v)
{
    size_t i = 0;
    if (!(v >= 0)) /* NaN or negative */
        v = 0;
    while (i < nb && v > bounds[i])
        i++;
    add64(&h->b[i], 1);
    add64(&h->count, 1);
    addd(&h->sum, v);
    if (v > ldd(&h->max))
        atomic_store_explicit(&h->max, v, memory_order_relaxed);
}

static void hist_merge(struct hsnap *dst, struct hist *h, size_t nb)
{
    for (size_t i = 0; i <= nb; i++)
        dst->b[i] += ld64(&h->b[i]);
    dst->count += ld64(&h->count);
    dst->sum += ldd(&h->sum);
    double mx = ldd(&h->max);
    if (mx > dst->max)
        dst->max = mx;
}

double lf_metrics_hist_quantile(const double *bounds, size_t nb, const uint64_t *counts, double q, double max_observed)
{
    uint64_t total = 0;
    for (size_t i = 0; i <= nb; i++)
        total += counts[i];
    if (total == 0)
        return NAN;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    double rank = q * (double)total;
    uint64_t cum = 0;
    for (size_t i = 0; i <= nb; i++) {
        if (counts[i] == 0)
            continue;
        if ((double)(cum + counts[i]) >= rank) {
            double lo = i == 0 ? 0 : bounds[i - 1];
            double hi;
            if (i < nb) {
                hi = bounds[i];
                if (max_observed > lo && max_observed < hi) /* nothing was above the largest observation */
                    hi = max_observed;
            } else {
                hi = max_observed > lo ? max_observed : lo;
            }
            double frac = (rank - (double)cum) / (double)counts[i];
            if (frac < 0)
                frac = 0;
            return lo + (hi - lo) * frac;
        }
        cum += counts[i];
    }
    return nb > 0 ? bounds[nb - 1] : NAN;
}

/* ---- interned label tables (registry-wide, lock-free lookups) ---- */

struct intern {
    pthread_mutex_t mu;
    char **names;   /* written under mu before n is published with release */
    atomic_size_t n;
    size_t cap;
};

static void intern_init(struct intern *t, size_t cap)
{
    pthread_mutex_init(&t->mu, NULL);
    t->names = lf_calloc(cap, sizeof(char *));
    atomic_init(&t->n, 0);
    t->cap = cap;
}

static void intern_fini(struct intern *t)
{
    size_t n = atomic_load(&t->n);
    for (size_t i = 0; i < n; i++)
        lf_free(t->names[i]);
    lf_free(t->names);
    pthread_mutex_destroy(&t->mu);
}

static size_t intern_find(struct intern *t, const char *name, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t->names[i], name) == 0)
            return i;
    return SIZE_MAX;
}

/* Index of `name` (truncated to LABEL_MAX_LEN bytes); the last slot is "_other" once the table is full. */
static size_t intern_get(struct intern *t, const char *name)
{
    char buf[LABEL_MAX_LEN + 1];
    size_t n, i;
    if (name == NULL || name[0] == '\0')
        name = "unknown";
    if (strlen(name) > LABEL_MAX_LEN) {
        memcpy(buf, name, LABEL_MAX_LEN);
        buf[LABEL_MAX_LEN] = '\0';
        name = buf;
    }
    n = atomic_load_explicit(&t->n, memory_order_acquire);
    i = intern_find(t, name, n);
    if (i != SIZE_MAX)
        return i;
    if (n == t->cap)
        return t->cap - 1;
    pthread_mutex_lock(&t->mu);
    n = atomic_load_explicit(&t->n, memory_order_relaxed);
    i = intern_find(t, name, n);
    if (i == SIZE_MAX) {
        if (n < t->cap - 1) {
            t->names[n] = lf_strdup(name);
            i = n;
        } else if (n == t->cap - 1) {
            t->names[n] = lf_strdup("_other");
            i = n;
        } else {
            i = t->cap - 1;
        }
        if (i == n)
            atomic_store_explicit(&t->n, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&t->mu);
    return i;
}

static size_t intern_count(struct intern *t)
{
    return atomic_load_explicit(&t->n, memory_order_acquire);
}

/* ---- shards ---- */

struct sec_bucket {
    a64 epoch; /* second index + 1 (0 = never used) */
    a64 requests;
};

struct min_bucket {
    a64 epoch; /* minute index + 1 */
    adbl cost;
    a64 requests;
    a64 generations;
};

struct gen_slot {
    _Atomic uint32_t key; /* 0 empty, else 1 + packed (type, provider, outcome); published with release */
    a64 count;
};

struct lf_metrics_shard {
    struct lf_metrics *m;
    pthread_mutex_t *lock; /* only the shared shard */
    a64 http_status[LF_METRICS_ROUTE__COUNT][NSTATUS];
    struct hist http_dur[LF_METRICS_ROUTE__COUNT];
    struct hist http_ovh[LF_METRICS_ROUTE__COUNT];
    a64 bytes_in[LF_METRICS_ROUTE__COUNT];
    a64 bytes_out[LF_METRICS_ROUTE__COUNT];
    struct gen_slot gen[GEN_SLOTS];
    a64 gen_dropped;
    struct hist gen_dur[LF_METRICS_MAX_TYPES];
    a64 prov_attempts[LF_METRICS_MAX_PROVIDERS][LF_METRICS_MAX_OUTCOMES];
    struct hist prov_lat[LF_METRICS_MAX_PROVIDERS];
    a64 tok_prompt[LF_METRICS_MAX_PROVIDERS];
    a64 tok_completion[LF_METRICS_MAX_PROVIDERS];
    adbl cost[LF_METRICS_MAX_PROVIDERS];
    struct hist quality[LF_METRICS_MAX_TYPES];
    a64 cache_hit, cache_miss;
    a64 deferred_starts;
    adbl plugin[LF_METRICS_MAX_PLUGIN_COUNTERS];
    struct sec_bucket sec[SEC_RING];
    struct min_bucket min[MIN_RING];
};

struct lf_metrics {
    int nshards;
    struct lf_metrics_shard **shards; /* nshards + 1; the last is the shared one */
    pthread_mutex_t shared_mu;
    lf_metrics_clock_fn clock;
    void *clock_ud;
    double start;
    struct intern types, providers, outcomes, plugins;
};

static _Thread_local struct lf_metrics_shard *thread_shard;

static double real_clock(void *ud)
{
    struct timespec ts;
    (void)ud;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct lf_metrics *lf_metrics_new(int nshards)
{
    struct lf_metrics *m = lf_calloc(1, sizeof(*m));
    if (nshards < 1)
        nshards = 1;
    m->nshards = nshards;
    m->shards = lf_calloc((size_t)nshards + 1, sizeof(*m->shards));
    pthread_mutex_init(&m->shared_mu, NULL);
    for (int i = 0; i <= nshards; i++) {
        m->shards[i] = lf_calloc(1, sizeof(struct lf_metrics_shard));
        m->shards[i]->m = m;
    }
    m->shards[nshards]->lock = &m->shared_mu;
    m->clock = real_clock;
    m->start = real_clock(NULL);
    intern_init(&m->types, LF_METRICS_MAX_TYPES);
    intern_init(&m->providers, LF_METRICS_MAX_PROVIDERS);
    intern_init(&m->outcomes, LF_METRICS_MAX_OUTCOMES);
    intern_init(&m->plugins, LF_METRICS_MAX_PLUGIN_COUNTERS);
    return m;
}

void lf_metrics_free(struct lf_metrics *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i <= m->nshards; i++)
        lf_free(m->shards[i]);
    lf_free(m->shards);
    pthread_mutex_destroy(&m->shared_mu);
    intern_fini(&m->types);
    intern_fini(&m->providers);
    intern_fini(&m->outcomes);
    intern_fini(&m->plugins);
    lf_free(m);
}

void lf_metrics_set_clock(struct lf_metrics *m, lf_metrics_clock_fn fn, void *ud)
{
    m->clock = fn != NULL ? fn : real_clock;
    m->clock_ud = fn != NULL ? ud : NULL;
    m->start = m->clock(m->clock_ud);
}

double lf_metrics_now(const struct lf_metrics *m)
{
    return m->clock(m->clock_ud);
}

struct lf_metrics_shard *lf_metrics_shard(struct lf_metrics *m, int i)
{
    if (m == NULL || i < 0 || i >= m->nshards)
        return NULL;
    return m->shards[i];
}

struct lf_metrics_shard *lf_metrics_shared(struct lf_metrics *m)
{
    return m != NULL ? m->shards[m->nshards] : NULL;
}

void lf_metrics_bind_thread(struct lf_metrics_shard *shard)
{
    thread_shard = shard;
}

struct lf_metrics_shard *lf_metrics_thread_shard(void)
{
    return thread_shard;
}

const char *lf_metrics_route_name(enum lf_metrics_route r)
{
    if ((int)r < 0 || r >= LF_METRICS_ROUTE__COUNT)
        return "other";
    return route_names[r];
}

static int has_prefix(const char *p, size_t len, const char *pre)
{
    size_t n = strlen(pre);
    return len >= n && memcmp(p, pre, n) == 0;
}

/* `pre` followed by end, '/' or '?' */
static int is_segment(const char *p, size_t len, const char *pre)
{
    size_t n = strlen(pre);
    return has_prefix(p, len, pre) && (len == n || p[n] == '/' || p[n] == '?');
}

enum lf_metrics_route lf_metrics_route_of_path(const char *p, size_t len)
{
    if (p == NULL)
        return LF_METRICS_ROUTE_OTHER;
    if (is_segment(p, len, "/api/v1/health") || is_segment(p, len, "/health"))
        return LF_METRICS_ROUTE_HEALTH;
    if (is_segment(p, len, "/api/v1/generate/batch"))
        return LF_METRICS_ROUTE_BATCH;
    if (is_segment(p, len, "/api/v1/generate"))
        return LF_METRICS_ROUTE_GENERATE;
    if (is_segment(p, len, "/v1"))
        return LF_METRICS_ROUTE_CHAT;
    if (is_segment(p, len, "/api/v1/content") || is_segment(p, len, "/api/v1/quality") ||
        is_segment(p, len, "/api/v1/content-types"))
        return LF_METRICS_ROUTE_CONTENT;
    if (is_segment(p, len, "/api/v1/admin"))
        return LF_METRICS_ROUTE_ADMIN;
    if (is_segment(p, len, "/metrics") || is_segment(p, len, "/api/v1/metrics") || is_segment(p, len, "/api/v1/alerts"))
        return LF_METRICS_ROUTE_METRICS;
    if (len == 0 || is_segment(p, len, "/") || is_segment(p, len, "/static") || is_segment(p, len, "/docs") ||
        is_segment(p, len, "/openapi.json") || is_segment(p, len, "/favicon.ico"))
        return LF_METRICS_ROUTE_STATIC;
    return LF_METRICS_ROUTE_OTHER;
}

/* ---- recorders ---- */

static inline void shard_lock(struct lf_metrics_shard *s)
{
    if (s->lock != NULL)
        pthread_mutex_lock(s->lock);
}

static inline void shard_unlock(struct lf_metrics_shard *s)
{
    if (s->lock != NULL)
        pthread_mutex_unlock(s->lock);
}

/* Reset a ring bucket to `epoch`: counters are zeroed before the epoch is published, so a reader that sees the
 * new epoch sees only new data (readers only consider epochs inside their window; the old epoch is outside). */
static struct sec_bucket *sec_bucket(struct lf_metrics_shard *s, uint64_t sec)
{
    struct sec_bucket *b = &s->sec[sec % SEC_RING];
    if (atomic_load_explicit(&b->epoch, memory_order_relaxed) != sec + 1) {
        atomic_store_explicit(&b->requests, 0, memory_order_relaxed);
        atomic_store_explicit(&b->epoch, sec + 1, memory_order_release);
    }
    return b;
}

static struct min_bucket *min_bucket(struct lf_metrics_shard *s, uint64_t minute)
{
    struct min_bucket *b = &s->min[minute % MIN_RING];
    if (atomic_load_explicit(&b->epoch, memory_order_relaxed) != minute + 1) {
        atomic_store_explicit(&b->cost, 0.0, memory_order_relaxed);
        atomic_store_explicit(&b->requests, 0, memory_order_relaxed);
        atomic_store_explicit(&b->generations, 0, memory_order_relaxed);
        atomic_store_explicit(&b->epoch, minute + 1, memory_order_release);
    }
    return b;
}

static uint64_t now_sec(struct lf_metrics *m)
{
    double t = m->clock(m->clock_ud);
    return t > 0 ? (uint64_t)t : 0;
}

void lf_metrics_http(struct lf_metrics_shard *s, enum lf_metrics_route route, int status, uint64_t duration_us,
                     uint64_t overhead_us, uint64_t bytes_in, uint64_t bytes_out)
{
    if (s == NULL)
        return;
    if ((int)route < 0 || route >= LF_METRICS_ROUTE__COUNT)
        route = LF_METRICS_ROUTE_OTHER;
    if (status < 100 || status >= NSTATUS)
        status = 0;
    uint64_t t = now_sec(s->m);
    shard_lock(s);
    add64(&s->http_status[route][status], 1);
    hist_observe(&s->http_dur[route], lf_metrics_http_bounds, LF_METRICS_HTTP_NBUCKETS, (double)duration_us / 1e6);
    hist_observe(&s->http_ovh[route], ovh_bounds, OVH_NB, (double)overhead_us / 1e6);
    add64(&s->bytes_in[route], bytes_in);
    add64(&s->bytes_out[route], bytes_out);
    add64(&sec_bucket(s, t)->requests, 1);
    add64(&min_bucket(s, t / 60)->requests, 1);
    shard_unlock(s);
}

static uint32_t gen_key(size_t t, size_t p, size_t o)
{
    return (uint32_t)(((t * LF_METRICS_MAX_PROVIDERS + p) * LF_METRICS_MAX_OUTCOMES + o) + 1);
}

static void gen_unkey(uint32_t key, size_t *t, size_t *p, size_t *o)
{
    uint32_t k = key - 1;
    *o = k % LF_METRICS_MAX_OUTCOMES;
    k /= LF_METRICS_MAX_OUTCOMES;
    *p = k % LF_METRICS_MAX_PROVIDERS;
    *t = k / LF_METRICS_MAX_PROVIDERS;
}

static uint32_t key_hash(uint32_t k)
{
    k ^= k >> 16;
    k *= 0x7feb352dU;
    k ^= k >> 15;
    return k;
}

static void provider_usage(struct lf_metrics_shard *s, size_t p, uint64_t tp, uint64_t tc, double cost, uint64_t t)
{
    add64(&s->tok_prompt[p], tp);
    add64(&s->tok_completion[p], tc);
    if (cost > 0 && isfinite(cost)) {
        addd(&s->cost[p], cost);
        addd(&min_bucket(s, t / 60)->cost, cost);
    }
}

void lf_metrics_generation(struct lf_metrics_shard *s, const char *content_type, const char *provider,
                           const char *outcome, uint64_t tokens_prompt, uint64_t tokens_completion, double cost_usd,
                           double duration_ms)
{
    if (s == NULL)
        return;
    struct lf_metrics *m = s->m;
    size_t ti = intern_get(&m->types, content_type);
    size_t pi = intern_get(&m->providers, provider != NULL ? provider : "none");
    size_t oi = intern_get(&m->outcomes, outcome != NULL ? outcome : "failed");
    uint32_t key = gen_key(ti, pi, oi);
    uint64_t t = now_sec(m);
    shard_lock(s);
    uint32_t h = key_hash(key);
    int done = 0;
    for (uint32_t i = 0; i < GEN_SLOTS && !done; i++) {
        struct gen_slot *g = &s->gen[(h + i) % GEN_SLOTS];
        uint32_t k = atomic_load_explicit(&g->key, memory_order_relaxed);
        if (k == key) {
            add64(&g->count, 1);
            done = 1;
        } else if (k == 0) {
            atomic_store_explicit(&g->count, 1, memory_order_relaxed);
            atomic_store_explicit(&g->key, key, memory_order_release);
            done = 1;
        }
    }
    if (!done)
        add64(&s->gen_dropped, 1);
    hist_observe(&s->gen_dur[ti], gdur_bounds, GDUR_NB, duration_ms / 1000.0);
    provider_usage(s, pi, tokens_prompt, tokens_completion, cost_usd, t);
    add64(&min_bucket(s, t / 60)->generations, 1);
    shard_unlock(s);
}

void lf_metrics_provider_usage(struct lf_metrics_shard *s, const char *provider, uint64_t tokens_prompt,
                               uint64_t tokens_completion, double cost_usd)
{
    if (s == NULL)
        return;
    size_t pi = intern_get(&s->m->providers, provider);
    uint64_t t = now_sec(s->m);
    shard_lock(s);
    provider_usage(s, pi, tokens_prompt, tokens_completion, cost_usd, t);
    shard_unlock(s);
}

void lf_metrics_provider_attempt(struct lf_metrics_shard *s, const char *provider, const char *outcome,
                                 double latency_ms)
{
    if (s == NULL)
        return;
    size_t pi = intern_get(&s->m->providers, provider);
    size_t oi = intern_get(&s->m->outcomes, outcome != NULL ? outcome : "failed");
    shard_lock(s);
    add64(&s->prov_attempts[pi][oi], 1);
    hist_observe(&s->prov_lat[pi], plat_bounds, PLAT_NB, latency_ms / 1000.0);
    shard_unlock(s);
}

void lf_metrics_quality(struct lf_metrics_shard *s, const char *content_type, double overall_score)
{
    if (s == NULL || !isfinite(overall_score))
        return;
    size_t ti = intern_get(&s->m->types, content_type);
    shard_lock(s);
    hist_observe(&s->quality[ti], qual_bounds, QUAL_NB, overall_score);
    shard_unlock(s);
}

void lf_metrics_deferred_start(struct lf_metrics_shard *s)
{
    if (s == NULL)
        return;
    shard_lock(s);
    add64(&s->deferred_starts, 1);
    shard_unlock(s);
}

void lf_metrics_cache(struct lf_metrics_shard *s, int hit)
{
    if (s == NULL)
        return;
    shard_lock(s);
    add64(hit ? &s->cache_hit : &s->cache_miss, 1);
    shard_unlock(s);
}

void lf_metrics_plugin_add(struct lf_metrics_shard *s, const char *plugin, const char *name, double value)
{
    char key[2 * LABEL_MAX_LEN + 2];
    if (s == NULL || !isfinite(value) || value < 0) /* a counter only grows */
        return;
    /* the interned key is "plugin\x1fname" (unit separator: cannot appear in sane names) */
    snprintf(key, sizeof(key), "%.*s\x1f%.*s", LABEL_MAX_LEN, plugin != NULL ? plugin : "unknown", LABEL_MAX_LEN,
             name != NULL ? name : "unknown");
    size_t i = intern_get(&s->m->plugins, key);
    shard_lock(s);
    addd(&s->plugin[i], value);
    shard_unlock(s);
}

/* ---- snapshot: every shard summed ---- */

struct gen_entry {
    uint32_t key;
    uint64_t count;
};

struct snap {
    double now, uptime;
    size_t ntypes, nproviders, noutcomes, nplugins;
    uint64_t http_status[LF_METRICS_ROUTE__COUNT][NSTATUS];
    struct hsnap http_dur[LF_METRICS_ROUTE__COUNT];
    struct hsnap http_ovh[LF_METRICS_ROUTE__COUNT];
    uint64_t bytes_in[LF_METRICS_ROUTE__COUNT], bytes_out[LF_METRICS_ROUTE__COUNT];
    struct gen_entry gen[2 * GEN_SLOTS]; /* open addressing, plain */
    uint64_t gen_dropped;
    struct hsnap gen_dur[LF_METRICS_MAX_TYPES];
    uint64_t prov_attempts[LF_METRICS_MAX_PROVIDERS][LF_METRICS_MAX_OUTCOMES];
    struct hsnap prov_lat[LF_METRICS_MAX_PROVIDERS];
    uint64_t tok_prompt[LF_METRICS_MAX_PROVIDERS], tok_completion[LF_METRICS_MAX_PROVIDERS];
    double cost[LF_METRICS_MAX_PROVIDERS];
    struct hsnap quality[LF_METRICS_MAX_TYPES];
    uint64_t cache_hit, cache_miss;
    uint64_t deferred_starts;
    double plugin[LF_METRICS_MAX_PLUGIN_COUNTERS];
    uint64_t requests_last_60s;
    double cost_last_24h;
    /* history for charts: [last] is the current minute / the 60 minutes ending now */
    uint64_t min_req[60], min_gen[60], hour_req[24], hour_gen[24];
    double min_cost[60], hour_cost[24];
};

static void snap_gen_add(struct snap *sn, uint32_t key, uint64_t count)
{
    uint32_t h = key_hash(key);
    for (uint32_t i = 0; i < 2 * GEN_SLOTS; i++) {
        struct gen_entry *e = &sn->gen[(h + i) % (2 * GEN_SLOTS)];
        if (e->key == key || e->key == 0) {
            e->key = key;
            e->count += count;
            return;
        }
    }
    sn->gen_dropped += count;
}

static struct snap *snap_take(struct lf_metrics *m)
{
    struct snap *sn = lf_calloc(1, sizeof(*sn));
    sn->now = m->clock(m->clock_ud);
    sn->uptime = sn->now - m->start;
    if (sn->uptime < 0)
        sn->uptime = 0;
    sn->ntypes = intern_count(&m->types);
    sn->nproviders = intern_count(&m->providers);
    sn->noutcomes = intern_count(&m->outcomes);
    sn->nplugins = intern_count(&m->plugins);
    uint64_t cur_sec = sn->now > 0 ? (uint64_t)sn->now : 0;
    uint64_t cur_min = cur_sec / 60;
    for (int si = 0; si <= m->nshards; si++) {
        struct lf_metrics_shard *s = m->shards[si];
        shard_lock(s); /* no-op except for the shared shard */
        for (int r = 0; r < LF_METRICS_ROUTE__COUNT; r++) {
            for (int st = 0; st < NSTATUS; st++)
                sn->http_status[r][st] += ld64(&s->http_status[r][st]);
            hist_merge(&sn->http_dur[r], &s->http_dur[r], LF_METRICS_HTTP_NBUCKETS);
            hist_merge(&sn->http_ovh[r], &s->http_ovh[r], OVH_NB);
            sn->bytes_in[r] += ld64(&s->bytes_in[r]);
            sn->bytes_out[r] += ld64(&s->bytes_out[r]);
        }
        for (size_t i = 0; i < GEN_SLOTS; i++) {
            uint32_t k = atomic_load_explicit(&s->gen[i].key, memory_order_acquire);
            if (k != 0)
                snap_gen_add(sn, k, ld64(&s->gen[i].count));
        }
        sn->gen_dropped += ld64(&s->gen_dropped);
        for (size_t t = 0; t < LF_METRICS_MAX_TYPES; t++) {
            hist_merge(&sn->gen_dur[t], &s->gen_dur[t], GDUR_NB);
            hist_merge(&sn->quality[t], &s->quality[t], QUAL_NB);
        }
        for (size_t p = 0; p < LF_METRICS_MAX_PROVIDERS; p++) {
            for (size_t o = 0; o < LF_METRICS_MAX_OUTCOMES; o++)
                sn->prov_attempts[p][o] += ld64(&s->prov_attempts[p][o]);
            hist_merge(&sn->prov_lat[p], &s->prov_lat[p], PLAT_NB);
            sn->tok_prompt[p] += ld64(&s->tok_prompt[p]);
            sn->tok_completion[p] += ld64(&s->tok_completion[p]);
            sn->cost[p] += ldd(&s->cost[p]);
        }
        sn->cache_hit += ld64(&s->cache_hit);
        sn->cache_miss += ld64(&s->cache_miss);
        sn->deferred_starts += ld64(&s->deferred_starts);
        for (size_t i = 0; i < LF_METRICS_MAX_PLUGIN_COUNTERS; i++)
            sn->plugin[i] += ldd(&s->plugin[i]);
        for (size_t i = 0; i < SEC_RING; i++) {
            uint64_t e = atomic_load_explicit(&s->sec[i].epoch, memory_order_acquire);
            /* the last 60 seconds, the current one included */
            if (e != 0 && e - 1 <= cur_sec && e - 1 + 60 > cur_sec)
                sn->requests_last_60s += ld64(&s->sec[i].requests);
        }
        for (size_t i = 0; i < MIN_RING; i++) {
            uint64_t e = atomic_load_explicit(&s->min[i].epoch, memory_order_acquire);
            if (e != 0 && e - 1 <= cur_min && e - 1 + MIN_RING > cur_min) {
                uint64_t age = cur_min - (e - 1);
                double c = ldd(&s->min[i].cost);
                uint64_t rq = ld64(&s->min[i].requests), gn = ld64(&s->min[i].generations);
                sn->cost_last_24h += c;
                if (age < 60) {
                    sn->min_req[59 - age] += rq;
                    sn->min_gen[59 - age] += gn;
                    sn->min_cost[59 - age] += c;
                }
                sn->hour_req[23 - age / 60] += rq;
                sn->hour_gen[23 - age / 60] += gn;
                sn->hour_cost[23 - age / 60] += c;
            }
        }
        shard_unlock(s);
    }
    return sn;
}

/* Outcome index of "ok", or SIZE_MAX when never seen. */
static size_t outcome_ok(struct lf_metrics *m, size_t noutcomes)
{
    return intern_find(&m->outcomes, "ok", noutcomes);
}

void lf_metrics_totals(struct lf_metrics *m, struct lf_metrics_totals *out)
{
    struct snap *sn = snap_take(m);
    size_t ok = outcome_ok(m, sn->noutcomes);
    memset(out, 0, sizeof(*out));
    for (int r = 0; r < LF_METRICS_ROUTE__COUNT; r++) {
        out->requests += sn->http_dur[r].count;
        if (r == LF_METRICS_ROUTE_GENERATE || r == LF_METRICS_ROUTE_BATCH || r == LF_METRICS_ROUTE_CHAT)
            continue;
        for (int i = 0; i <= LF_METRICS_HTTP_NBUCKETS; i++)
            out->api_latency_buckets[i] += sn->http_dur[r].b[i];
        if (sn->http_dur[r].max > out->api_latency_max_s)
            out->api_latency_max_s = sn->http_dur[r].max;
    }
    for (size_t i = 0; i < 2 * GEN_SLOTS; i++) {
        size_t t, p, o;
        if (sn->gen[i].key == 0)
            continue;
        gen_unkey(sn->gen[i].key, &t, &p, &o);
        out->generations += sn->gen[i].count;
        if (o == ok)
            out->generations_ok += sn->gen[i].count;
    }
    for (size_t t = 0; t < LF_METRICS_MAX_TYPES; t++) {
        out->quality_count += sn->quality[t].count;
        out->quality_sum += sn->quality[t].sum;
    }
    lf_free(sn);
}

/* ---- Prometheus text ---- */

struct sbuf {
    char *p;
    size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t avail = b->cap - b->len;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, avail, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < avail) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 1;
        b->p = lf_realloc(b->p, b->cap);
    }
}

/* Label value escaped per the text format (backslash, double quote, newline). Returns `buf`. */
static const char *esc(const char *s, char *buf, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; s[i] != '\0' && j + 3 < cap; i++) {
        char c = s[i];
        if (c == '\\' || c == '"') {
            buf[j++] = '\\';
            buf[j++] = c;
        } else if (c == '\n') {
            buf[j++] = '\\';
            buf[j++] = 'n';
        } else {
            buf[j++] = c;
        }
    }
    buf[j] = '\0';
    return buf;
}

/* A float in the text format. */
static const char *fmtd(double v, char *buf, size_t cap)
{
    if (isnan(v))
        snprintf(buf, cap, "NaN");
    else if (isinf(v))
        snprintf(buf, cap, v > 0 ? "+Inf" : "-Inf");
    else
        snprintf(buf, cap, "%.15g", v);
    return buf;
}

static void family(struct sbuf *b, const char *name, const char *type, const char *help)
{
    sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Histogram series; `labels` is "" or `k="v",` pairs ending with a comma. */
static void hist_series(struct sbuf *b, const char *name, const char *labels, const struct hsnap *h,
                        const double *bounds, size_t nb)
{
    char d1[40], d2[40];
    uint64_t cum = 0;
    for (size_t i = 0; i < nb; i++) {
        cum += h->b[i];
        sb_printf(b, "%s_bucket{%sle=\"%s\"} %" PRIu64 "\n", name, labels, fmtd(bounds[i], d1, sizeof(d1)), cum);
    }
    cum += h->b[nb];
    sb_printf(b, "%s_bucket{%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, cum);
    size_t ll = strlen(labels);
    if (ll > 0) /* drop the trailing comma */
        sb_printf(b, "%s_sum{%.*s} %s\n%s_count{%.*s} %" PRIu64 "\n", name, (int)(ll - 1), labels,
                  fmtd(h->sum, d2, sizeof(d2)), name, (int)(ll - 1), labels, cum);
    else
        sb_printf(b, "%s_sum %s\n%s_count %" PRIu64 "\n", name, fmtd(h->sum, d2, sizeof(d2)), name, cum);
}

char *lf_metrics_prometheus(struct lf_metrics *m, const struct lf_metrics_extra *x, size_t *len_out)
{
    struct sbuf b = {lf_malloc(16384), 0, 16384};
    struct snap *sn = snap_take(m);
    char e1[256], e2[256], e3[256], d1[40], lab[600];
    b.p[0] = '\0';

    family(&b, "lafactoria_http_requests_total", "counter", "HTTP requests answered, by route group and status code.");
    for (int r = 0; r < LF_METRICS_ROUTE__COUNT; r++)
        for (int st = 0; st < NSTATUS; st++)
            if (sn->http_status[r][st] > 0)
                sb_printf(&b, "lafactoria_http_requests_total{route=\"%s\",status=\"%d\"} %" PRIu64 "\n",
                          route_names[r], st, sn->http_status[r][st]);

    family(&b, "lafactoria_http_request_duration_seconds", "histogram",
           "Time from request received to response sent, by route group.");
    for (int r = 0; r < LF_METRICS_ROUTE__COUNT; r++) {
        snprintf(lab, sizeof(lab), "route=\"%s\",", route_names[r]);
        hist_series(&b, "lafactoria_http_request_duration_seconds", lab, &sn->http_dur[r], lf_metrics_http_bounds,
                    LF_METRICS_HTTP_NBUCKETS);
    }

    family(&b, "lafactoria_gateway_overhead_seconds", "histogram",
           "Time spent in the gateway itself, excluding upstream waiting, by route group.");
    for (int r = 0; r < LF_METRICS_ROUTE__COUNT; r++) {
        snprintf(lab, sizeof(lab), "route=\"%s\",", route_names[r]);
        hist_series(&b, "lafactoria_gateway_overhead_seconds", lab, &sn->http_ovh[r], ovh_bounds, OVH_NB);
    }

    family(&b, "lafactoria_http_request_bytes_total", "counter", "Request body bytes received, by route group.");
    for (int r = 0; r < LF_METRICS_ROUTE__COUNT; r++)
        sb_printf(&b, "lafactoria_http_request_bytes_total{route=\"%s\"} %" PRIu64 "\n", route_names[r],
                  sn->bytes_in[r]);
    family(&b, "lafactoria_http_response_bytes_total", "counter", "Response body bytes sent, by route group.");
    for (int r = 0; r < LF_METRICS_ROUTE__COUNT; r++)
        sb_printf(&b, "lafactoria_http_response_bytes_total{route=\"%s\"} %" PRIu64 "\n", route_names[r],
                  sn->bytes_out[r]);

    family(&b, "lafactoria_generations_total", "counter",
           "Finished generations by content type, provider and outcome (ok or the failure class).");
    for (size_t i = 0; i < 2 * GEN_SLOTS; i++) {
        size_t t, p, o;
        if (sn->gen[i].key == 0)
            continue;
        gen_unkey(sn->gen[i].key, &t, &p, &o);
        if (t >= sn->ntypes || p >= sn->nproviders || o >= sn->noutcomes)
            continue; /* cannot happen: keys are published after their names */
        sb_printf(&b, "lafactoria_generations_total{content_type=\"%s\",provider=\"%s\",outcome=\"%s\"} %" PRIu64 "\n",
                  esc(m->types.names[t], e1, sizeof(e1)), esc(m->providers.names[p], e2, sizeof(e2)),
                  esc(m->outcomes.names[o], e3, sizeof(e3)), sn->gen[i].count);
    }
    family(&b, "lafactoria_generation_duration_seconds", "histogram",
           "End-to-end duration of finished generations, by content type.");
    for (size_t t = 0; t < sn->ntypes; t++) {
        snprintf(lab, sizeof(lab), "content_type=\"%s\",", esc(m->types.names[t], e1, sizeof(e1)));
        hist_series(&b, "lafactoria_generation_duration_seconds", lab, &sn->gen_dur[t], gdur_bounds, GDUR_NB);
    }

    family(&b, "lafactoria_provider_requests_total", "counter", "Attempts on each provider, by outcome.");
    for (size_t p = 0; p < sn->nproviders; p++)
        for (size_t o = 0; o < sn->noutcomes; o++)
            if (sn->prov_attempts[p][o] > 0)
                sb_printf(&b, "lafactoria_provider_requests_total{provider=\"%s\",outcome=\"%s\"} %" PRIu64 "\n",
                          esc(m->providers.names[p], e1, sizeof(e1)), esc(m->outcomes.names[o], e2, sizeof(e2)),
                          sn->prov_attempts[p][o]);
    family(&b, "lafactoria_provider_latency_seconds", "histogram", "Latency of attempts on each provider.");
    for (size_t p = 0; p < sn->nproviders; p++) {
        if (sn->prov_lat[p].count == 0)
            continue;
        snprintf(lab, sizeof(lab), "provider=\"%s\",", esc(m->providers.names[p], e1, sizeof(e1)));
        hist_series(&b, "lafactoria_provider_latency_seconds", lab, &sn->prov_lat[p], plat_bounds, PLAT_NB);
    }
    family(&b, "lafactoria_provider_cost_usd_total", "counter", "Spend reported by each provider, in US dollars.");
    for (size_t p = 0; p < sn->nproviders; p++)
        sb_printf(&b, "lafactoria_provider_cost_usd_total{provider=\"%s\"} %s\n",
                  esc(m->providers.names[p], e1, sizeof(e1)), fmtd(sn->cost[p], d1, sizeof(d1)));
    family(&b, "lafactoria_provider_tokens_total", "counter", "Tokens used on each provider, by kind.");
    for (size_t p = 0; p < sn->nproviders; p++) {
        esc(m->providers.names[p], e1, sizeof(e1));
        sb_printf(&b, "lafactoria_provider_tokens_total{provider=\"%s\",kind=\"prompt\"} %" PRIu64 "\n", e1,
                  sn->tok_prompt[p]);
        sb_printf(&b, "lafactoria_provider_tokens_total{provider=\"%s\",kind=\"completion\"} %" PRIu64 "\n", e1,
                  sn->tok_completion[p]);
    }
    family(&b, "lafactoria_provider_circuit_state", "gauge",
           "Circuit breaker state of each provider: 0 closed, 1 half_open, 2 open.");
    if (x != NULL && x->providers != NULL)
        for (size_t i = 0; i < x->nproviders; i++)
            if (x->providers[i].name != NULL)
                sb_printf(&b, "lafactoria_provider_circuit_state{provider=\"%s\"} %d\n",
                          esc(x->providers[i].name, e1, sizeof(e1)), x->providers[i].circuit);

    family(&b, "lafactoria_quality_score", "histogram", "Overall quality score (0..1) of scored content, by type.");
    for (size_t t = 0; t < sn->ntypes; t++) {
        if (sn->quality[t].count == 0)
            continue;
        snprintf(lab, sizeof(lab), "content_type=\"%s\",", esc(m->types.names[t], e1, sizeof(e1)));
        hist_series(&b, "lafactoria_quality_score", lab, &sn->quality[t], qual_bounds, QUAL_NB);
    }

    family(&b, "lafactoria_cache_requests_total", "counter", "Response cache lookups, by result.");
    sb_printf(&b, "lafactoria_cache_requests_total{result=\"hit\"} %" PRIu64 "\n", sn->cache_hit);
    sb_printf(&b, "lafactoria_cache_requests_total{result=\"miss\"} %" PRIu64 "\n", sn->cache_miss);

    family(&b, "lafactoria_deferred_starts_total", "counter",
           "Generation starts that waited for a later event-loop iteration (the loop's start budget was spent).");
    sb_printf(&b, "lafactoria_deferred_starts_total %" PRIu64 "\n", sn->deferred_starts);

    /* plugin.h names it lafactoria_plugin_counter, but promtool rejects "counter" in a metric name */
    family(&b, "lafactoria_plugin_metric_total", "counter", "Counters reported by plugins through the host API.");
    for (size_t i = 0; i < sn->nplugins; i++) {
        const char *k = m->plugins.names[i];
        const char *sep = strchr(k, '\x1f');
        char pl[LABEL_MAX_LEN + 1];
        size_t pn = sep != NULL ? (size_t)(sep - k) : strlen(k);
        if (pn > LABEL_MAX_LEN)
            pn = LABEL_MAX_LEN;
        memcpy(pl, k, pn);
        pl[pn] = '\0';
        sb_printf(&b, "lafactoria_plugin_metric_total{plugin=\"%s\",name=\"%s\"} %s\n", esc(pl, e1, sizeof(e1)),
                  esc(sep != NULL ? sep + 1 : "_other", e2, sizeof(e2)), fmtd(sn->plugin[i], d1, sizeof(d1)));
    }

    if (x != NULL && x->db_pending_writes >= 0) {
        family(&b, "lafactoria_db_pending_writes", "gauge", "Rows queued for PostgreSQL and not yet written.");
        sb_printf(&b, "lafactoria_db_pending_writes %lld\n", x->db_pending_writes);
    }

    family(&b, "lafactoria_process_uptime_seconds", "gauge", "Seconds since the gateway started.");
    sb_printf(&b, "lafactoria_process_uptime_seconds %s\n", fmtd(sn->uptime, d1, sizeof(d1)));
    family(&b, "lafactoria_process_start_time_seconds", "gauge", "Start time of the gateway, seconds since the epoch.");
    sb_printf(&b, "lafactoria_process_start_time_seconds %s\n", fmtd(m->start, d1, sizeof(d1)));
    if (x != NULL && x->sys != NULL) {
        const struct lf_sysstat *sy = x->sys;
        family(&b, "lafactoria_process_resident_memory_bytes", "gauge", "Resident set size of the gateway process.");
        sb_printf(&b, "lafactoria_process_resident_memory_bytes %" PRIu64 "\n", sy->rss_bytes);
        family(&b, "lafactoria_process_virtual_memory_bytes", "gauge", "Virtual memory size of the gateway process.");
        sb_printf(&b, "lafactoria_process_virtual_memory_bytes %" PRIu64 "\n", sy->vsize_bytes);
        family(&b, "lafactoria_process_cpu_seconds_total", "counter", "User and system CPU time of the gateway.");
        sb_printf(&b, "lafactoria_process_cpu_seconds_total %s\n", fmtd(sy->process_cpu_seconds, d1, sizeof(d1)));
        family(&b, "lafactoria_process_threads", "gauge", "Threads of the gateway process.");
        sb_printf(&b, "lafactoria_process_threads %d\n", sy->threads);
        if (sy->have_cpu) {
            family(&b, "lafactoria_system_cpu_usage_ratio", "gauge",
                   "Busy share (0..1) of all CPUs of the machine over the last sampling interval.");
            sb_printf(&b, "lafactoria_system_cpu_usage_ratio %s\n", fmtd(sy->cpu_percent / 100.0, d1, sizeof(d1)));
        }
        if (sy->mem_total_bytes > 0) {
            family(&b, "lafactoria_system_memory_usage_ratio", "gauge",
                   "Share (0..1) of the machine's memory in use (total minus available).");
            sb_printf(&b, "lafactoria_system_memory_usage_ratio %s\n",
                      fmtd(sy->memory_percent / 100.0, d1, sizeof(d1)));
        }
        family(&b, "lafactoria_system_load1", "gauge", "One-minute load average of the machine.");
        sb_printf(&b, "lafactoria_system_load1 %s\n", fmtd(sy->load1, d1, sizeof(d1)));
        if (sy->disk_total_bytes > 0) {
            family(&b, "lafactoria_disk_free_bytes", "gauge", "Free bytes on the data filesystem.");
            sb_printf(&b, "lafactoria_disk_free_bytes %" PRIu64 "\n", sy->disk_free_bytes);
        }
    }
    lf_free(sn);
    if (len_out != NULL)
        *len_out = b.len;
    return b.p;
}

/* ---- JSON ---- */

static json_t *json_num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static double round_to(double v, double unit)
{
    return isfinite(v) ? round(v / unit) * unit : v;
}

static json_t *iso_time(double t)
{
    char buf[96];
    struct tm tm;
    time_t s = (time_t)t;
    int ms = (int)((t - (double)s) * 1000);
    if (ms < 0 || ms > 999)
        ms = 0;
    gmtime_r(&s, &tm);
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    return json_string(buf);
}

static void json_add_u64(json_t *obj, const char *key, uint64_t add)
{
    json_t *cur = json_object_get(obj, key);
    json_int_t v = cur != NULL ? json_integer_value(cur) : 0;
    json_object_set_new(obj, key, json_integer(v + (json_int_t)add));
}

static uint64_t cur_minute(const struct snap *sn)
{
    return sn->now > 0 ? (uint64_t)sn->now / 60 : 0;
}

json_t *lf_metrics_json(struct lf_metrics *m, const struct lf_metrics_extra *x)
{
    struct snap *sn = snap_take(m);
    json_t *root = json_object();
    json_t *by_status = json_object(), *latency = json_object(), *by_type = json_object(),
           *by_provider = json_object(), *providers = json_object();
    uint64_t total_req = 0, gen_total = 0, gen_ok = 0;
    size_t ok = outcome_ok(m, sn->noutcomes);
    char key[16];
    double total_cost = 0;

    json_object_set_new(root, "timestamp", iso_time(sn->now));
    json_object_set_new(root, "uptime_seconds", json_real(round_to(sn->uptime, 0.001)));

    for (int st = 0; st < NSTATUS; st++) {
        uint64_t n = 0;
        for (int r = 0; r < LF_METRICS_ROUTE__COUNT; r++)
            n += sn->http_status[r][st];
        if (n == 0)
            continue;
        snprintf(key, sizeof(key), "%d", st);
        json_object_set_new(by_status, key, json_integer((json_int_t)n));
        total_req += n;
    }
    json_object_set_new(root, "requests",
                        json_pack("{s:I, s:o, s:f}", "total", (json_int_t)total_req, "by_status", by_status,
                                  "per_second_1m", round_to((double)sn->requests_last_60s / 60.0, 0.001)));

    for (int r = 0; r < LF_METRICS_ROUTE__COUNT; r++) {
        const struct hsnap *h = &sn->http_dur[r];
        double q[3] = {0.5, 0.95, 0.99};
        json_t *o = json_object();
        const char *names[3] = {"p50", "p95", "p99"};
        for (int i = 0; i < 3; i++) {
            double v = lf_metrics_hist_quantile(lf_metrics_http_bounds, LF_METRICS_HTTP_NBUCKETS, h->b, q[i], h->max);
            json_object_set_new(o, names[i], json_num_or_null(round_to(v * 1000.0, 0.001)));
        }
        json_object_set_new(o, "count", json_integer((json_int_t)h->count));
        json_object_set_new(latency, route_names[r], o);
    }
    json_object_set_new(root, "latency_ms", latency);

    for (size_t i = 0; i < 2 * GEN_SLOTS; i++) {
        size_t t, p, o;
        if (sn->gen[i].key == 0)
            continue;
        gen_unkey(sn->gen[i].key, &t, &p, &o);
        if (t >= sn->ntypes || p >= sn->nproviders || o >= sn->noutcomes)
            continue;
        gen_total += sn->gen[i].count;
        if (o == ok)
            gen_ok += sn->gen[i].count;
        json_add_u64(by_type, m->types.names[t], sn->gen[i].count);
        json_add_u64(by_provider, m->providers.names[p], sn->gen[i].count);
    }
    json_object_set_new(root, "generations",
                        json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}", "total", (json_int_t)gen_total, "succeeded",
                                  (json_int_t)gen_ok, "failed", (json_int_t)(gen_total - gen_ok), "success_rate",
                                  gen_total > 0 ? json_real(round_to((double)gen_ok / (double)gen_total, 0.0001))
                                                : json_null(),
                                  "by_type", by_type, "by_provider", by_provider));

    for (size_t p = 0; p < sn->nproviders; p++) {
        uint64_t req = 0, fail = 0;
        for (size_t o = 0; o < sn->noutcomes; o++) {
            req += sn->prov_attempts[p][o];
            if (o != ok)
                fail += sn->prov_attempts[p][o];
        }
        const struct hsnap *h = &sn->prov_lat[p];
        double p95 = lf_metrics_hist_quantile(plat_bounds, PLAT_NB, h->b, 0.95, h->max);
        total_cost += sn->cost[p];
        json_object_set_new(providers, m->providers.names[p],
                            json_pack("{s:I, s:I, s:I, s:I, s:f, s:o}", "requests", (json_int_t)req, "failures",
                                      (json_int_t)fail, "tokens_prompt", (json_int_t)sn->tok_prompt[p],
                                      "tokens_completion", (json_int_t)sn->tok_completion[p], "cost_usd",
                                      round_to(sn->cost[p], 1e-9), "latency_ms_p95",
                                      json_num_or_null(round_to(p95 * 1000.0, 0.001))));
    }
    if (x != NULL && x->providers != NULL) /* configured providers with no traffic yet */
        for (size_t i = 0; i < x->nproviders; i++)
            if (x->providers[i].name != NULL && json_object_get(providers, x->providers[i].name) == NULL)
                json_object_set_new(providers, x->providers[i].name,
                                    json_pack("{s:i, s:i, s:i, s:i, s:f, s:n}", "requests", 0, "failures", 0,
                                              "tokens_prompt", 0, "tokens_completion", 0, "cost_usd", 0.0,
                                              "latency_ms_p95"));
    json_object_set_new(root, "providers", providers);
    json_object_set_new(root, "cost",
                        json_pack("{s:f, s:f}", "total_usd", round_to(total_cost, 1e-9), "last_24h_usd",
                                  round_to(sn->cost_last_24h, 1e-9)));
    uint64_t lookups = sn->cache_hit + sn->cache_miss;
    json_object_set_new(root, "cache",
                        json_pack("{s:I, s:I, s:o}", "hits", (json_int_t)sn->cache_hit, "misses",
                                  (json_int_t)sn->cache_miss, "hit_ratio",
                                  lookups > 0 ? json_real(round_to((double)sn->cache_hit / (double)lookups, 0.0001))
                                              : json_null()));
    json_t *h = json_object(), *a1 = json_array(), *a2 = json_array(), *a3 = json_array(), *a4 = json_array(),
           *a5 = json_array(), *a6 = json_array();
    for (int i = 0; i < 60; i++) {
        json_array_append_new(a1, json_integer((json_int_t)sn->min_req[i]));
        json_array_append_new(a2, json_integer((json_int_t)sn->min_gen[i]));
        json_array_append_new(a3, json_real(round_to(sn->min_cost[i], 1e-9)));
    }
    for (int i = 0; i < 24; i++) {
        json_array_append_new(a4, json_integer((json_int_t)sn->hour_req[i]));
        json_array_append_new(a5, json_integer((json_int_t)sn->hour_gen[i]));
        json_array_append_new(a6, json_real(round_to(sn->hour_cost[i], 1e-9)));
    }
    json_object_set_new(h, "minute_end", iso_time((double)(cur_minute(sn) * 60 + 60)));
    json_object_set_new(h, "requests_per_minute", a1);
    json_object_set_new(h, "generations_per_minute", a2);
    json_object_set_new(h, "cost_usd_per_minute", a3);
    json_object_set_new(h, "requests_per_hour", a4);
    json_object_set_new(h, "generations_per_hour", a5);
    json_object_set_new(h, "cost_usd_per_hour", a6);
    json_object_set_new(root, "history", h);
    const struct lf_sysstat *sy = x != NULL ? x->sys : NULL;
    json_object_set_new(
        root, "system",
        json_pack("{s:o, s:o, s:o}", "cpu_percent",
                  sy != NULL && sy->have_cpu ? json_real(round_to(sy->cpu_percent, 0.01)) : json_null(),
                  "memory_rss_bytes", sy != NULL ? json_integer((json_int_t)sy->rss_bytes) : json_null(),
                  "memory_percent",
                  sy != NULL && sy->mem_total_bytes > 0 ? json_real(round_to(sy->memory_percent, 0.01)) : json_null()));
    lf_free(sn);
    return root;
}
