/*
 * core/src/circuit.c - per-provider circuit breaker (closed / open / half-open)
 * SPDX-License-Identifier: MIT
 *
 * All mutations happen under one mutex per breaker; state, retry_at and the probe deadline are mirrored
 * in atomics so that lf_circuit_peek() (called by the router for every candidate) never locks.
 * Two rolling windows of fixed buckets are kept: the configurable trip window (RATIO_BUCKETS buckets of
 * window_ms / RATIO_BUCKETS) and a fixed one-minute window (12 x 5 s) for error_rate_1m.
 */
#include "circuit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

#define RATIO_BUCKETS 20
#define MINUTE_BUCKETS 12
#define MINUTE_BUCKET_MS 5000

struct bucket {
    uint64_t slot; /* now_ms / width of the period this bucket holds */
    uint32_t total;
    uint32_t failures;
};

struct window {
    struct bucket b[RATIO_BUCKETS];
    uint32_t n;        /* buckets in use (<= RATIO_BUCKETS) */
    uint64_t width_ms; /* width of one bucket */
};

struct lf_circuit {
    pthread_mutex_t mu;
    char *name;
    struct lf_circuit_config cfg;
    lf_circuit_transition_fn cb;
    void *cb_ud;
    /* mirrored for lock-free peek */
    _Atomic uint32_t state;
    _Atomic uint64_t retry_at_ms;
    _Atomic uint64_t probe_deadline_ms; /* half-open: when an unanswered probe may be replaced */
    /* under mu */
    uint64_t probe_id; /* id of the probe in flight (0 = none) */
    uint64_t next_probe_id;
    uint32_t consecutive;
    uint32_t reopen_count; /* failed probes since the breaker last closed */
    uint64_t opened_at_ms;
    uint32_t last_failure;
    uint64_t last_failure_at_ms;
    char last_error[160];
    struct window ratio;
    struct window minute;
};

struct transition {
    int happened;
    enum lf_circuit_state from, to;
    const char *reason;
    uint64_t retry_at_ms;
};

void lf_circuit_config_defaults(struct lf_circuit_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->failure_threshold = 5;
    cfg->error_ratio = 0.5;
    cfg->window_ms = 60000;
    cfg->min_requests = 10;
    cfg->cooldown_ms = 30000;
    cfg->max_cooldown_ms = 600000;
    cfg->auth_cooldown_ms = 300000;
    cfg->probe_timeout_ms = 60000;
    cfg->auth_opens = 1;
    cfg->retry_after_opens = 1;
}

static void apply_defaults(struct lf_circuit_config *dst, const struct lf_circuit_config *src)
{
    struct lf_circuit_config d;
    lf_circuit_config_defaults(&d);
    if (src == NULL) {
        *dst = d;
        return;
    }
    *dst = *src;
    if (dst->failure_threshold == 0)
        dst->failure_threshold = d.failure_threshold;
    if (!(dst->error_ratio > 0))
        dst->error_ratio = d.error_ratio;
    if (dst->window_ms == 0)
        dst->window_ms = d.window_ms;
    if (dst->min_requests == 0)
        dst->min_requests = d.min_requests;
    if (dst->cooldown_ms == 0)
        dst->cooldown_ms = d.cooldown_ms;
    if (dst->max_cooldown_ms == 0)
        dst->max_cooldown_ms = d.max_cooldown_ms;
    if (dst->max_cooldown_ms < dst->cooldown_ms)
        dst->max_cooldown_ms = dst->cooldown_ms;
    if (dst->auth_cooldown_ms == 0)
        dst->auth_cooldown_ms = d.auth_cooldown_ms;
    if (dst->probe_timeout_ms == 0)
        dst->probe_timeout_ms = d.probe_timeout_ms;
    if (dst->auth_opens == 0)
        dst->auth_opens = d.auth_opens;
    if (dst->retry_after_opens == 0)
        dst->retry_after_opens = d.retry_after_opens;
}

static void window_init(struct window *w, uint32_t n, uint64_t width_ms)
{
    memset(w, 0, sizeof(*w));
    w->n = n;
    w->width_ms = width_ms ? width_ms : 1;
}

static void window_add(struct window *w, uint64_t now_ms, int failed)
{
    uint64_t slot = now_ms / w->width_ms;
    struct bucket *b = &w->b[slot % w->n];
    if (b->slot != slot) {
        b->slot = slot;
        b->total = 0;
        b->failures = 0;
    }
    b->total++;
    if (failed)
        b->failures++;
}

static void window_sum(const struct window *w, uint64_t now_ms, uint64_t *total, uint64_t *failures)
{
    uint64_t slot = now_ms / w->width_ms;
    *total = 0;
    *failures = 0;
    for (uint32_t i = 0; i < w->n; i++) {
        const struct bucket *b = &w->b[i];
        if (b->total == 0 || b->slot > slot || slot - b->slot >= w->n)
            continue;
        *total += b->total;
        *failures += b->failures;
    }
}

static void ratio_window_reset(struct lf_circuit *c)
{
    uint64_t width = c->cfg.window_ms / RATIO_BUCKETS;
    window_init(&c->ratio, RATIO_BUCKETS, width ? width : 1);
}

struct lf_circuit *lf_circuit_new(const char *name, const struct lf_circuit_config *cfg,
                                  lf_circuit_transition_fn cb, void *cb_ud)
{
    struct lf_circuit *c = lf_calloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->name = lf_strdup(name != NULL ? name : "");
    apply_defaults(&c->cfg, cfg);
    c->cb = cb;
    c->cb_ud = cb_ud;
    atomic_init(&c->state, LF_CIRCUIT_CLOSED);
    atomic_init(&c->retry_at_ms, 0);
    atomic_init(&c->probe_deadline_ms, 0);
    c->next_probe_id = 1;
    ratio_window_reset(c);
    window_init(&c->minute, MINUTE_BUCKETS, MINUTE_BUCKET_MS);
    return c;
}

void lf_circuit_free(struct lf_circuit *c)
{
    if (c == NULL)
        return;
    pthread_mutex_destroy(&c->mu);
    lf_free(c->name);
    lf_free(c);
}

void lf_circuit_configure(struct lf_circuit *c, const struct lf_circuit_config *cfg)
{
    pthread_mutex_lock(&c->mu);
    uint32_t old_window = c->cfg.window_ms;
    apply_defaults(&c->cfg, cfg);
    if (c->cfg.window_ms != old_window)
        ratio_window_reset(c);
    pthread_mutex_unlock(&c->mu);
}

void lf_circuit_set_callback(struct lf_circuit *c, lf_circuit_transition_fn cb, void *cb_ud)
{
    pthread_mutex_lock(&c->mu);
    c->cb = cb;
    c->cb_ud = cb_ud;
    pthread_mutex_unlock(&c->mu);
}

enum lf_circuit_verdict lf_circuit_peek(const struct lf_circuit *c, uint64_t now_ms)
{
    uint32_t st = atomic_load_explicit(&c->state, memory_order_acquire);
    if (st == LF_CIRCUIT_CLOSED)
        return LF_CIRCUIT_ALLOW;
    if (st == LF_CIRCUIT_OPEN)
        return now_ms >= atomic_load_explicit(&c->retry_at_ms, memory_order_relaxed)
                   ? LF_CIRCUIT_PROBE
                   : LF_CIRCUIT_DENY;
    /* half-open: the probe is in flight unless it is overdue */
    return now_ms >= atomic_load_explicit(&c->probe_deadline_ms, memory_order_relaxed)
               ? LF_CIRCUIT_PROBE
               : LF_CIRCUIT_DENY;
}

static void set_state(struct lf_circuit *c, struct transition *t, enum lf_circuit_state to,
                      const char *reason)
{
    enum lf_circuit_state from =
        (enum lf_circuit_state)atomic_load_explicit(&c->state, memory_order_relaxed);
    atomic_store_explicit(&c->state, (uint32_t)to, memory_order_release);
    if (from == to)
        return;
    t->happened = 1;
    t->from = from;
    t->to = to;
    t->reason = reason;
    t->retry_at_ms = atomic_load_explicit(&c->retry_at_ms, memory_order_relaxed);
}

static void notify(struct lf_circuit *c, const struct transition *t, lf_circuit_transition_fn cb,
                   void *ud, uint64_t now_ms)
{
    if (t->happened && cb != NULL)
        cb(ud, c->name, t->from, t->to, t->reason, now_ms, t->retry_at_ms);
}

int lf_circuit_acquire(struct lf_circuit *c, uint64_t now_ms, struct lf_circuit_permit *permit)
{
    struct transition t = {0};
    lf_circuit_transition_fn cb;
    void *ud;
    int ok = 0;

    permit->probe_id = 0;
    if (atomic_load_explicit(&c->state, memory_order_acquire) == LF_CIRCUIT_CLOSED)
        return 1; /* fast path; a concurrent open lets this one request through, which is harmless */

    pthread_mutex_lock(&c->mu);
    switch ((enum lf_circuit_state)atomic_load_explicit(&c->state, memory_order_relaxed)) {
    case LF_CIRCUIT_CLOSED:
        ok = 1;
        break;
    case LF_CIRCUIT_OPEN:
        if (now_ms < atomic_load_explicit(&c->retry_at_ms, memory_order_relaxed))
            break;
        c->probe_id = c->next_probe_id++;
        atomic_store_explicit(&c->probe_deadline_ms, now_ms + c->cfg.probe_timeout_ms,
                              memory_order_relaxed);
        set_state(c, &t, LF_CIRCUIT_HALF_OPEN, "cooldown_elapsed");
        permit->probe_id = c->probe_id;
        ok = 1;
        break;
    case LF_CIRCUIT_HALF_OPEN:
        if (c->probe_id != 0 &&
            now_ms < atomic_load_explicit(&c->probe_deadline_ms, memory_order_relaxed))
            break;
        /* no probe in flight (cancelled) or the previous one never answered: claim a new one */
        c->probe_id = c->next_probe_id++;
        atomic_store_explicit(&c->probe_deadline_ms, now_ms + c->cfg.probe_timeout_ms,
                              memory_order_relaxed);
        permit->probe_id = c->probe_id;
        ok = 1;
        break;
    }
    cb = c->cb;
    ud = c->cb_ud;
    pthread_mutex_unlock(&c->mu);
    notify(c, &t, cb, ud, now_ms);
    return ok;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* Open (or re-open) the breaker at now_ms for open_for_ms (callers cap it). */
static void trip(struct lf_circuit *c, struct transition *t, uint64_t now_ms, uint64_t open_for_ms,
                 const char *reason)
{
    uint64_t until = now_ms + open_for_ms;
    uint64_t cur = atomic_load_explicit(&c->retry_at_ms, memory_order_relaxed);
    uint32_t st = atomic_load_explicit(&c->state, memory_order_relaxed);
    if (st == LF_CIRCUIT_OPEN && cur > until)
        until = cur; /* never shorten an existing open period */
    atomic_store_explicit(&c->retry_at_ms, until, memory_order_relaxed);
    if (st != LF_CIRCUIT_OPEN)
        c->opened_at_ms = now_ms;
    c->probe_id = 0;
    atomic_store_explicit(&c->probe_deadline_ms, 0, memory_order_relaxed);
    set_state(c, t, LF_CIRCUIT_OPEN, reason);
}

static uint64_t probe_backoff_ms(const struct lf_circuit *c)
{
    uint64_t d = c->cfg.cooldown_ms;
    for (uint32_t i = 0; i < c->reopen_count && d < c->cfg.max_cooldown_ms; i++)
        d *= 2;
    return min_u64(d, c->cfg.max_cooldown_ms);
}

void lf_circuit_record(struct lf_circuit *c, const struct lf_circuit_permit *permit,
                       uint32_t failure, uint32_t retry_after_ms, const char *message,
                       uint64_t now_ms)
{
    struct transition t = {0};
    lf_circuit_transition_fn cb;
    void *ud;
    int failed = failure != LF_FAILURE_NONE;

    pthread_mutex_lock(&c->mu);
    enum lf_circuit_state st =
        (enum lf_circuit_state)atomic_load_explicit(&c->state, memory_order_relaxed);
    int is_probe = permit != NULL && permit->probe_id != 0 && permit->probe_id == c->probe_id &&
                   st == LF_CIRCUIT_HALF_OPEN;

    window_add(&c->minute, now_ms, failed);
    if (st == LF_CIRCUIT_CLOSED)
        window_add(&c->ratio, now_ms, failed);

    if (!failed) {
        c->consecutive = 0;
        if (is_probe) {
            c->probe_id = 0;
            c->reopen_count = 0;
            atomic_store_explicit(&c->retry_at_ms, 0, memory_order_relaxed);
            ratio_window_reset(c);
            set_state(c, &t, LF_CIRCUIT_CLOSED, "probe_succeeded");
        }
        goto Exit;
    }

    c->consecutive++;
    c->last_failure = failure;
    c->last_failure_at_ms = now_ms;
    if (message != NULL && message[0] != '\0')
        snprintf(c->last_error, sizeof(c->last_error), "%s: %s", lf_circuit_failure_name(failure),
                 message);
    else
        snprintf(c->last_error, sizeof(c->last_error), "%s", lf_circuit_failure_name(failure));

    int retry_after =
        failure == LF_FAILURE_RATE_LIMITED && retry_after_ms > 0 && c->cfg.retry_after_opens > 0;
    int auth = failure == LF_FAILURE_AUTH_ERROR && c->cfg.auth_opens > 0;

    if (st == LF_CIRCUIT_OPEN) {
        /* a late answer of a request sent before the breaker opened: only Retry-After matters */
        if (retry_after)
            trip(c, &t, now_ms, min_u64(retry_after_ms, c->cfg.max_cooldown_ms), "retry_after");
        goto Exit;
    }
    if (st == LF_CIRCUIT_HALF_OPEN) {
        if (!is_probe)
            goto Exit;
        c->reopen_count++;
        uint64_t d = auth ? c->cfg.auth_cooldown_ms : probe_backoff_ms(c);
        if (retry_after && retry_after_ms > d)
            d = min_u64(retry_after_ms, c->cfg.max_cooldown_ms);
        trip(c, &t, now_ms, d, "probe_failed");
        goto Exit;
    }

    /* closed */
    if (auth) {
        trip(c, &t, now_ms, c->cfg.auth_cooldown_ms, "auth_error");
        goto Exit;
    }
    if (retry_after) {
        uint64_t d = retry_after_ms > c->cfg.cooldown_ms ? retry_after_ms : c->cfg.cooldown_ms;
        trip(c, &t, now_ms, min_u64(d, c->cfg.max_cooldown_ms), "retry_after");
        goto Exit;
    }
    if (c->consecutive >= c->cfg.failure_threshold) {
        trip(c, &t, now_ms, c->cfg.cooldown_ms, "consecutive_failures");
        goto Exit;
    }
    if (c->cfg.error_ratio <= 1.0) {
        uint64_t total, fails;
        window_sum(&c->ratio, now_ms, &total, &fails);
        if (total >= c->cfg.min_requests && (double)fails >= c->cfg.error_ratio * (double)total)
            trip(c, &t, now_ms, c->cfg.cooldown_ms, "error_ratio");
    }

Exit:
    cb = c->cb;
    ud = c->cb_ud;
    pthread_mutex_unlock(&c->mu);
    notify(c, &t, cb, ud, now_ms);
}

void lf_circuit_cancel(struct lf_circuit *c, const struct lf_circuit_permit *permit)
{
    if (permit == NULL || permit->probe_id == 0)
        return;
    pthread_mutex_lock(&c->mu);
    if (c->probe_id == permit->probe_id &&
        atomic_load_explicit(&c->state, memory_order_relaxed) == LF_CIRCUIT_HALF_OPEN) {
        c->probe_id = 0;
        atomic_store_explicit(&c->probe_deadline_ms, 0,
                              memory_order_relaxed); /* free the slot now */
    }
    pthread_mutex_unlock(&c->mu);
}

void lf_circuit_reset(struct lf_circuit *c, uint64_t now_ms)
{
    struct transition t = {0};
    lf_circuit_transition_fn cb;
    void *ud;

    pthread_mutex_lock(&c->mu);
    c->consecutive = 0;
    c->reopen_count = 0;
    c->probe_id = 0;
    atomic_store_explicit(&c->retry_at_ms, 0, memory_order_relaxed);
    atomic_store_explicit(&c->probe_deadline_ms, 0, memory_order_relaxed);
    ratio_window_reset(c);
    set_state(c, &t, LF_CIRCUIT_CLOSED, "reset");
    cb = c->cb;
    ud = c->cb_ud;
    pthread_mutex_unlock(&c->mu);
    notify(c, &t, cb, ud, now_ms);
}

void lf_circuit_get_info(struct lf_circuit *c, uint64_t now_ms, struct lf_circuit_info *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&c->mu);
    out->state = (enum lf_circuit_state)atomic_load_explicit(&c->state, memory_order_relaxed);
    out->state_name = lf_circuit_state_name(out->state);
    out->consecutive_failures = c->consecutive;
    window_sum(&c->minute, now_ms, &out->requests_1m, &out->failures_1m);
    out->error_rate_1m =
        out->requests_1m ? (double)out->failures_1m / (double)out->requests_1m : 0.0;
    out->opened_at_ms = c->opened_at_ms;
    out->retry_at_ms = out->state == LF_CIRCUIT_OPEN
                           ? atomic_load_explicit(&c->retry_at_ms, memory_order_relaxed)
                           : 0;
    out->last_failure = c->last_failure;
    out->last_failure_at_ms = c->last_failure_at_ms;
    memcpy(out->last_error, c->last_error, sizeof(out->last_error));
    pthread_mutex_unlock(&c->mu);
}

const char *lf_circuit_state_name(enum lf_circuit_state s)
{
    switch (s) {
    case LF_CIRCUIT_CLOSED:
        return "closed";
    case LF_CIRCUIT_OPEN:
        return "open";
    case LF_CIRCUIT_HALF_OPEN:
        return "half_open";
    }
    return "unknown";
}

const char *lf_circuit_failure_name(uint32_t failure)
{
    switch (failure) {
    case LF_FAILURE_NONE:
        return "none";
    case LF_FAILURE_CONNECT_ERROR:
        return "connect_error";
    case LF_FAILURE_TIMEOUT:
        return "timeout";
    case LF_FAILURE_RATE_LIMITED:
        return "rate_limited";
    case LF_FAILURE_UPSTREAM_5XX:
        return "upstream_5xx";
    case LF_FAILURE_AUTH_ERROR:
        return "auth_error";
    case LF_FAILURE_INVALID_RESPONSE:
        return "invalid_response";
    case LF_FAILURE_SCHEMA_INVALID:
        return "schema_invalid";
    }
    return "unknown";
}
