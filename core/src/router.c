/*
 * core/src/router.c - routing decision, provider runtime state (stats, breaker, budget), failover policy
 * SPDX-License-Identifier: MIT
 */
#include "router.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "mem.h"

/* ---- provider runtime state ---- */

static struct lf_provider_rt *rt_new(const char *name, const struct lf_circuit_config *ccfg,
                                     lf_circuit_transition_fn cb, void *cb_ud)
{
    struct lf_provider_rt *rt = lf_calloc(1, sizeof(*rt));
    rt->name = lf_strdup(name);
    rt->circuit = lf_circuit_new(name, ccfg, cb, cb_ud);
    rt->budget = lf_budget_new(name, LF_BUDGET_UNLIMITED, LF_BUDGET_UNLIMITED);
    atomic_init(&rt->_refcnt, 1);
    return rt;
}

void lf_provider_rt_addref(struct lf_provider_rt *rt)
{
    atomic_fetch_add_explicit(&rt->_refcnt, 1, memory_order_relaxed);
}

void lf_provider_rt_release(struct lf_provider_rt *rt)
{
    if (rt == NULL)
        return;
    if (atomic_fetch_sub_explicit(&rt->_refcnt, 1, memory_order_acq_rel) != 1)
        return;
    lf_circuit_free(rt->circuit);
    lf_budget_free(rt->budget);
    lf_free(rt->name);
    lf_free(rt);
}

static double bits_to_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof(d));
    return d;
}

static uint64_t double_to_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof(b));
    return b;
}

void lf_provider_rt_record(struct lf_provider_rt *rt, uint32_t failure, double latency_ms,
                           uint64_t prompt_tokens, uint64_t completion_tokens, double cost_usd)
{
    struct lf_provider_stats *s = &rt->stats;
    atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
    if (failure != LF_FAILURE_NONE)
        atomic_fetch_add_explicit(&s->failures, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->prompt_tokens, prompt_tokens, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->completion_tokens, completion_tokens, memory_order_relaxed);
    if (cost_usd > 0 && !isnan(cost_usd) && cost_usd < 1e9)
        atomic_fetch_add_explicit(&s->cost_nusd, (uint64_t)llround(cost_usd * 1e9),
                                  memory_order_relaxed);
    if (failure != LF_FAILURE_NONE || !(latency_ms >= 0) || isinf(latency_ms))
        return;
    uint64_t old = atomic_load_explicit(&s->latency_ewma_bits, memory_order_relaxed), nv;
    do {
        double next = old == 0 ? latency_ms
                               : LF_ROUTER_EWMA_ALPHA * latency_ms +
                                     (1 - LF_ROUTER_EWMA_ALPHA) * bits_to_double(old);
        nv = double_to_bits(next);
        if (nv == 0)
            nv = double_to_bits(1e-9); /* keep 0 meaning "no sample" */
    } while (!atomic_compare_exchange_weak_explicit(&s->latency_ewma_bits, &old, nv,
                                                    memory_order_relaxed, memory_order_relaxed));
    atomic_fetch_add_explicit(&s->latency_samples, 1, memory_order_relaxed);
}

double lf_provider_rt_latency_ms(const struct lf_provider_rt *rt)
{
    uint64_t b = atomic_load_explicit(&rt->stats.latency_ewma_bits, memory_order_relaxed);
    return b == 0 ? -1.0 : bits_to_double(b);
}

void lf_provider_rt_stats(const struct lf_provider_rt *rt, struct lf_provider_stats_snapshot *out)
{
    const struct lf_provider_stats *s = &rt->stats;
    out->requests = atomic_load_explicit(&s->requests, memory_order_relaxed);
    out->failures = atomic_load_explicit(&s->failures, memory_order_relaxed);
    out->prompt_tokens = atomic_load_explicit(&s->prompt_tokens, memory_order_relaxed);
    out->completion_tokens = atomic_load_explicit(&s->completion_tokens, memory_order_relaxed);
    out->cost_usd = (double)atomic_load_explicit(&s->cost_nusd, memory_order_relaxed) / 1e9;
    out->latency_ewma_ms = lf_provider_rt_latency_ms(rt);
    out->latency_samples = atomic_load_explicit(&s->latency_samples, memory_order_relaxed);
}

static json_t *iso_or_null(uint64_t ms)
{
    if (ms == 0)
        return json_null();
    char buf[40];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%03uZ", (unsigned)(ms % 1000));
    return json_string(buf);
}

static json_t *budget_json(const struct lf_budget_status *st)
{
    return json_pack("{s:s, s:o, s:f, s:f, s:o}", "period", st->period, "limit_usd",
                     st->limit_usd < 0 ? json_null() : json_real(st->limit_usd), "spent_usd",
                     st->spent_usd, "reserved_usd", st->reserved_usd, "resets_at",
                     iso_or_null(st->reset_ms));
}

json_t *lf_provider_rt_json(struct lf_provider_rt *rt, uint64_t now_ms)
{
    struct lf_circuit_info ci;
    struct lf_provider_stats_snapshot ss;
    struct lf_budget_status bs[LF_BUDGET_N_PERIODS];
    lf_circuit_get_info(rt->circuit, now_ms, &ci);
    lf_provider_rt_stats(rt, &ss);
    lf_budget_query(rt->budget, now_ms, bs);

    json_t *lat = ss.latency_ewma_ms < 0 ? json_null() : json_real(ss.latency_ewma_ms);
    json_t *budgets = json_array();
    int most = -1;
    double most_ratio = -1;
    for (int i = 0; i < LF_BUDGET_N_PERIODS; i++) {
        json_array_append_new(budgets, budget_json(&bs[i]));
        if (bs[i].limit_usd < 0)
            continue;
        double ratio = bs[i].limit_usd > 0
                           ? (bs[i].spent_usd + bs[i].reserved_usd) / bs[i].limit_usd
                           : INFINITY;
        if (ratio > most_ratio) {
            most_ratio = ratio;
            most = i;
        }
    }
    json_t *out = json_pack(
        "{s:s, s:I, s:f, s:I, s:o, s:o, s:o, s:O, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:f, s:O}}",
        "state", ci.state_name, "consecutive_failures", (json_int_t)ci.consecutive_failures,
        "error_rate_1m", ci.error_rate_1m, "requests_1m", (json_int_t)ci.requests_1m, "opened_at",
        iso_or_null(ci.opened_at_ms), "retry_at", iso_or_null(ci.retry_at_ms), "last_error",
        ci.last_error[0] ? json_string(ci.last_error) : json_null(), "latency_ewma_ms", lat,
        "budget", most >= 0 ? budget_json(&bs[most]) : json_null(), "budgets", budgets, "stats",
        "requests", (json_int_t)ss.requests, "failures", (json_int_t)ss.failures, "tokens",
        (json_int_t)(ss.prompt_tokens + ss.completion_tokens), "tokens_prompt",
        (json_int_t)ss.prompt_tokens, "tokens_completion", (json_int_t)ss.completion_tokens,
        "cost_usd", ss.cost_usd, "latency_ewma_ms", lat);
    json_decref(lat); /* both uses took their own reference ("O") */
    return out;
}

/* ---- registry ---- */

struct lf_router_registry {
    pthread_mutex_t mu;
    struct lf_circuit_config ccfg;
    int has_ccfg;
    lf_circuit_transition_fn cb;
    void *cb_ud;
    struct lf_provider_rt **items;
    size_t n, cap;
};

struct lf_router_registry *lf_router_registry_new(const struct lf_circuit_config *ccfg,
                                                  lf_circuit_transition_fn cb, void *cb_ud)
{
    struct lf_router_registry *reg = lf_calloc(1, sizeof(*reg));
    pthread_mutex_init(&reg->mu, NULL);
    if (ccfg != NULL) {
        reg->ccfg = *ccfg;
        reg->has_ccfg = 1;
    }
    reg->cb = cb;
    reg->cb_ud = cb_ud;
    return reg;
}

void lf_router_registry_free(struct lf_router_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->n; i++)
        lf_provider_rt_release(reg->items[i]);
    lf_free(reg->items);
    pthread_mutex_destroy(&reg->mu);
    lf_free(reg);
}

static struct lf_provider_rt *reg_lookup(struct lf_router_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->n; i++)
        if (strcmp(reg->items[i]->name, name) == 0)
            return reg->items[i];
    return NULL;
}

struct lf_provider_rt *lf_router_registry_acquire(struct lf_router_registry *reg, const char *name,
                                                  const struct lf_circuit_config *ccfg)
{
    pthread_mutex_lock(&reg->mu);
    struct lf_provider_rt *rt = reg_lookup(reg, name);
    if (rt == NULL) {
        rt = rt_new(name, ccfg != NULL ? ccfg : (reg->has_ccfg ? &reg->ccfg : NULL), reg->cb,
                    reg->cb_ud);
        if (reg->n == reg->cap) {
            reg->cap = reg->cap ? reg->cap * 2 : 8;
            reg->items = lf_realloc(reg->items, reg->cap * sizeof(*reg->items));
        }
        reg->items[reg->n++] = rt;
    } else if (ccfg != NULL) {
        lf_circuit_configure(rt->circuit, ccfg);
    }
    lf_provider_rt_addref(rt);
    pthread_mutex_unlock(&reg->mu);
    return rt;
}

struct lf_provider_rt *lf_router_registry_find(struct lf_router_registry *reg, const char *name)
{
    pthread_mutex_lock(&reg->mu);
    struct lf_provider_rt *rt = reg_lookup(reg, name);
    if (rt != NULL)
        lf_provider_rt_addref(rt);
    pthread_mutex_unlock(&reg->mu);
    return rt;
}

void lf_router_registry_retain_only(struct lf_router_registry *reg, const char *const *names,
                                    size_t n)
{
    pthread_mutex_lock(&reg->mu);
    size_t j = 0;
    for (size_t i = 0; i < reg->n; i++) {
        struct lf_provider_rt *rt = reg->items[i];
        int keep = 0;
        for (size_t k = 0; k < n && !keep; k++)
            keep = names[k] != NULL && strcmp(names[k], rt->name) == 0;
        if (keep)
            reg->items[j++] = rt;
        else
            lf_provider_rt_release(rt);
    }
    reg->n = j;
    pthread_mutex_unlock(&reg->mu);
}

size_t lf_router_registry_count(struct lf_router_registry *reg)
{
    pthread_mutex_lock(&reg->mu);
    size_t n = reg->n;
    pthread_mutex_unlock(&reg->mu);
    return n;
}

/* ---- routing decision ---- */

double lf_router_estimate_cost(double price_in_per_mtok, double price_out_per_mtok,
                               uint64_t prompt_tokens, uint64_t completion_tokens)
{
    if (!(price_in_per_mtok >= 0) || !(price_out_per_mtok >= 0))
        return -1.0;
    return ((double)prompt_tokens * price_in_per_mtok +
            (double)completion_tokens * price_out_per_mtok) /
           1e6;
}

static _Thread_local uint64_t tls_rng_state;

static uint64_t default_rng(void *ud)
{
    (void)ud;
    uint64_t x = tls_rng_state;
    if (x == 0) {
        if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != (ssize_t)sizeof(x) || x == 0)
            x = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL + (uint64_t)(uintptr_t)&tls_rng_state;
        if (x == 0)
            x = 0x9e3779b97f4a7c15ULL;
    }
    /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    tls_rng_state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* uniform in (0, 1] from 64 random bits */
static double unit_open0(uint64_t r)
{
    return ((double)(r >> 11) + 1.0) / 9007199254740992.0;
}

struct sort_item {
    double key;
    int32_t priority;
    const char *name;
    uint32_t entry; /* index into out->routable */
};

/* a < b in routing order: key, then priority, then name, then candidate index */
static int item_less(const struct sort_item *a, const struct sort_item *b,
                     const struct lf_route_result *out)
{
    if (a->key != b->key)
        return a->key < b->key;
    if (a->priority != b->priority)
        return a->priority < b->priority;
    int c = strcmp(a->name, b->name);
    if (c != 0)
        return c < 0;
    return out->routable[a->entry].index < out->routable[b->entry].index;
}

static void exclude(struct lf_route_result *out, uint32_t index, uint32_t reason, double cost)
{
    struct lf_route_entry *e = &out->excluded[out->n_excluded++];
    e->index = index;
    e->reason = reason;
    e->est_cost_usd = cost;
    e->probe = 0;
}

uint32_t lf_router_route(const struct lf_route_candidate *cands, size_t n,
                         const struct lf_route_request *req, struct lf_route_result *out)
{
    struct sort_item items[LF_ROUTE_MAX];
    uint32_t n_budget = 0, n_other = 0;
    int pinned_found = 0;

    out->n_routable = 0;
    out->n_excluded = 0;
    out->pinned_unknown = 0;
    out->all_budget = 0;

    for (size_t i = 0; i < n; i++) {
        const struct lf_route_candidate *c = &cands[i];
        uint32_t idx = (uint32_t)i;
        if (i >= LF_ROUTE_MAX) {
            if (out->n_excluded < LF_ROUTE_MAX)
                exclude(out, idx, LF_ROUTE_TOO_MANY, -1);
            continue;
        }
        double cost = lf_router_estimate_cost(c->price_in_per_mtok, c->price_out_per_mtok,
                                              req->prompt_tokens, req->completion_tokens);
        if (req->pinned != NULL && strcmp(req->pinned, c->name) != 0) {
            exclude(out, idx, LF_ROUTE_NOT_PINNED, cost);
            continue;
        }
        pinned_found = 1;
        if (!c->enabled) {
            exclude(out, idx, LF_ROUTE_DISABLED, cost);
            continue;
        }
        int probe = 0;
        if (c->rt != NULL) {
            enum lf_circuit_verdict v = lf_circuit_peek(c->rt->circuit, req->now_ms);
            if (v == LF_CIRCUIT_DENY) {
                exclude(out, idx, LF_ROUTE_CIRCUIT_OPEN, cost);
                n_other++;
                continue;
            }
            probe = v == LF_CIRCUIT_PROBE;
        }
        if (req->max_cost_usd > 0) {
            if (cost < 0) {
                exclude(out, idx, LF_ROUTE_PRICE_UNKNOWN, cost);
                n_other++;
                continue;
            }
            if (cost > req->max_cost_usd) {
                exclude(out, idx, LF_ROUTE_OVER_MAX_COST, cost);
                n_other++;
                continue;
            }
        }
        /* an unknown price is reserved as 0 here; the pipeline charges the real usage at settle time */
        double reserve = cost < 0 ? 0 : cost;
        if (c->rt != NULL && !lf_budget_can_afford(c->rt->budget, reserve, req->now_ms)) {
            exclude(out, idx, LF_ROUTE_OVER_BUDGET, cost);
            n_budget++;
            continue;
        }
        if (req->key_budget != NULL &&
            !lf_budget_can_afford(req->key_budget, reserve, req->now_ms)) {
            exclude(out, idx, LF_ROUTE_KEY_BUDGET, cost);
            n_budget++;
            continue;
        }
        struct lf_route_entry *e = &out->routable[out->n_routable];
        e->index = idx;
        e->reason = LF_ROUTE_OK;
        e->est_cost_usd = cost;
        e->probe = probe;
        struct sort_item *it = &items[out->n_routable];
        it->priority = c->priority;
        it->name = c->name;
        it->entry = out->n_routable;
        it->key = 0;
        out->n_routable++;
    }
    if (req->pinned != NULL && !pinned_found)
        out->pinned_unknown = 1;
    out->all_budget = out->n_routable == 0 && n_budget > 0 && n_other == 0;

    uint32_t m = out->n_routable;
    if (m == 0)
        return 0;

    /* primary sort key per strategy */
    switch (req->strategy) {
    case LF_ROUTE_COST:
        for (uint32_t i = 0; i < m; i++) {
            double cst = out->routable[i].est_cost_usd;
            items[i].key = cst < 0 ? INFINITY : cst;
        }
        break;
    case LF_ROUTE_PRIORITY:
        break; /* ties on key 0 fall through to priority, name, index */
    case LF_ROUTE_LATENCY: {
        double known[LF_ROUTE_MAX];
        uint32_t nk = 0;
        for (uint32_t i = 0; i < m; i++) {
            const struct lf_route_candidate *c = &cands[out->routable[i].index];
            double l = c->rt != NULL ? lf_provider_rt_latency_ms(c->rt) : -1.0;
            items[i].key = l;
            if (l >= 0)
                known[nk++] = l;
        }
        /* unknown latency ranks as the median of the known ones: neither starved nor favoured */
        double subst = 0;
        if (nk > 0) {
            for (uint32_t i = 1; i < nk; i++) /* insertion sort, nk <= 32 */
                for (uint32_t j = i; j > 0 && known[j - 1] > known[j]; j--) {
                    double t = known[j];
                    known[j] = known[j - 1];
                    known[j - 1] = t;
                }
            subst = nk % 2 ? known[nk / 2] : (known[nk / 2 - 1] + known[nk / 2]) / 2;
        }
        for (uint32_t i = 0; i < m; i++)
            if (items[i].key < 0)
                items[i].key = subst;
        break;
    }
    case LF_ROUTE_WEIGHTED: {
        lf_route_rng_fn rng = req->rng != NULL ? req->rng : default_rng;
        for (uint32_t i = 0; i < m; i++) {
            uint32_t w = cands[out->routable[i].index].weight;
            /* Efraimidis-Spirakis: u^(1/w) descending == -ln(u)/w ascending */
            items[i].key = w == 0 ? INFINITY : -log(unit_open0(rng(req->rng_ud))) / (double)w;
        }
        break;
    }
    }

    for (uint32_t i = 1; i < m; i++) {
        struct sort_item x = items[i];
        uint32_t j = i;
        while (j > 0 && item_less(&x, &items[j - 1], out)) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = x;
    }
    struct lf_route_entry sorted[LF_ROUTE_MAX];
    for (uint32_t i = 0; i < m; i++)
        sorted[i] = out->routable[items[i].entry];
    memcpy(out->routable, sorted, m * sizeof(sorted[0]));
    return m;
}

const char *lf_router_exclusion_name(uint32_t reason)
{
    switch (reason) {
    case LF_ROUTE_OK:
        return "ok";
    case LF_ROUTE_DISABLED:
        return "disabled";
    case LF_ROUTE_CIRCUIT_OPEN:
        return "circuit_open";
    case LF_ROUTE_OVER_BUDGET:
        return "over_budget";
    case LF_ROUTE_KEY_BUDGET:
        return "key_budget";
    case LF_ROUTE_OVER_MAX_COST:
        return "over_max_cost";
    case LF_ROUTE_PRICE_UNKNOWN:
        return "price_unknown";
    case LF_ROUTE_NOT_PINNED:
        return "not_pinned";
    case LF_ROUTE_TOO_MANY:
        return "too_many";
    }
    return "unknown";
}

int lf_router_strategy_parse(const char *s, enum lf_route_strategy *out)
{
    static const char *names[] = {"cost", "priority", "latency", "weighted"};
    if (s == NULL)
        return LF_EINVAL;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum lf_route_strategy)i;
            return LF_OK;
        }
    return LF_EINVAL;
}

const char *lf_router_strategy_name(enum lf_route_strategy s)
{
    switch (s) {
    case LF_ROUTE_COST:
        return "cost";
    case LF_ROUTE_PRIORITY:
        return "priority";
    case LF_ROUTE_LATENCY:
        return "latency";
    case LF_ROUTE_WEIGHTED:
        return "weighted";
    }
    return "unknown";
}

/* ---- one attempt ---- */

enum lf_attempt_verdict lf_router_attempt_begin(struct lf_route_attempt *a,
                                                struct lf_provider_rt *rt,
                                                struct lf_budget *key_budget, double est_cost_usd,
                                                uint64_t now_ms)
{
    double est = est_cost_usd >= 0 ? est_cost_usd : 0;
    memset(a, 0, sizeof(*a));
    a->rt = rt;
    a->key_budget = key_budget;
    a->est_cost_usd = est;
    if (rt != NULL) {
        if (!lf_circuit_acquire(rt->circuit, now_ms, &a->permit))
            return LF_ATTEMPT_CIRCUIT;
        if (lf_budget_reserve(rt->budget, est, now_ms, &a->provider_res) != LF_OK) {
            lf_circuit_cancel(rt->circuit, &a->permit);
            return LF_ATTEMPT_BUDGET;
        }
    }
    if (key_budget != NULL && lf_budget_reserve(key_budget, est, now_ms, &a->key_res) != LF_OK) {
        lf_budget_release(&a->provider_res);
        if (rt != NULL)
            lf_circuit_cancel(rt->circuit, &a->permit);
        return LF_ATTEMPT_KEY_BUDGET;
    }
    a->active = 1;
    return LF_ATTEMPT_GO;
}

void lf_router_attempt_end(struct lf_route_attempt *a, uint32_t failure, uint32_t retry_after_ms,
                           const char *message, double latency_ms, uint64_t prompt_tokens,
                           uint64_t completion_tokens, double cost_usd, uint64_t now_ms)
{
    if (!a->active)
        return;
    a->active = 0;
    int billed = cost_usd > 0 && !isnan(cost_usd);
    if (failure == LF_FAILURE_NONE && !(cost_usd >= 0))
        cost_usd = a->est_cost_usd; /* unknown cost of a success: charge the estimate */
    if (failure == LF_FAILURE_NONE || billed) {
        lf_budget_settle(&a->provider_res, cost_usd, now_ms);
        lf_budget_settle(&a->key_res, cost_usd, now_ms);
    } else {
        lf_budget_release(&a->provider_res);
        lf_budget_release(&a->key_res);
    }
    if (a->rt == NULL)
        return;
    lf_circuit_record(a->rt->circuit, &a->permit, failure, retry_after_ms, message, now_ms);
    lf_provider_rt_record(a->rt, failure, latency_ms, prompt_tokens, completion_tokens, cost_usd);
}

void lf_router_attempt_abort(struct lf_route_attempt *a)
{
    if (!a->active)
        return;
    a->active = 0;
    lf_budget_release(&a->provider_res);
    lf_budget_release(&a->key_res);
    if (a->rt != NULL)
        lf_circuit_cancel(a->rt->circuit, &a->permit);
}

/* ---- failover ---- */

void lf_retry_policy_defaults(struct lf_retry_policy *p)
{
    p->max_attempts = 3;
    p->retries_per_provider = 0;
    p->base_delay_ms = 100;
    p->max_delay_ms = 2000;
    p->jitter = 0.5;
}

uint32_t lf_router_backoff_ms(const struct lf_retry_policy *p, uint32_t retry,
                              uint32_t retry_after_ms, uint64_t rnd)
{
    if (retry == 0)
        retry = 1;
    double d = (double)p->base_delay_ms;
    for (uint32_t i = 1; i < retry && d < (double)p->max_delay_ms; i++)
        d *= 2;
    if (d > (double)p->max_delay_ms)
        d = (double)p->max_delay_ms;
    double j = p->jitter < 0 ? 0 : (p->jitter > 1 ? 1 : p->jitter);
    double u = (double)(rnd >> 11) / 9007199254740992.0; /* [0, 1) */
    d = d * (1 - j) + u * d * j;
    if ((double)retry_after_ms > d)
        d = (double)retry_after_ms;
    if (d > (double)p->max_delay_ms)
        d = (double)p->max_delay_ms;
    return (uint32_t)d;
}

int lf_router_failure_retryable(uint32_t failure)
{
    switch (failure) {
    case LF_FAILURE_CONNECT_ERROR:
    case LF_FAILURE_TIMEOUT:
    case LF_FAILURE_RATE_LIMITED:
    case LF_FAILURE_UPSTREAM_5XX:
        return 1;
    default:
        return 0;
    }
}

void lf_failover_init(struct lf_failover *fo, uint32_t n_routable, const struct lf_retry_policy *policy,
                      uint64_t deadline_ms)
{
    memset(fo, 0, sizeof(*fo));
    fo->n_routable = n_routable;
    if (policy != NULL)
        fo->policy = *policy;
    else
        lf_retry_policy_defaults(&fo->policy);
    if (fo->policy.max_attempts == 0)
        fo->policy.max_attempts = 1;
    fo->deadline_ms = deadline_ms;
}

enum lf_failover_step lf_failover_next(struct lf_failover *fo, uint32_t last_failure,
                                       uint32_t retry_after_ms, int skipped, uint64_t now_ms,
                                       uint64_t rnd, uint32_t *pos, uint32_t *delay_ms)
{
    uint32_t delay = 0;

    if (!fo->started) {
        fo->started = 1;
    } else if (skipped) {
        fo->pos++;
        fo->tries_here = 0;
    } else {
        fo->attempts++;
        fo->tries_here++;
        int same =
            lf_router_failure_retryable(last_failure) &&
            fo->tries_here <= fo->policy.retries_per_provider &&
            !(last_failure == LF_FAILURE_RATE_LIMITED && retry_after_ms > fo->policy.max_delay_ms);
        if (same) {
            delay = lf_router_backoff_ms(&fo->policy, fo->tries_here, retry_after_ms, rnd);
        } else {
            fo->pos++;
            fo->tries_here = 0;
        }
        if (fo->attempts >= fo->policy.max_attempts)
            return LF_FAILOVER_MAX_ATTEMPTS;
    }
    if (fo->pos >= fo->n_routable)
        return LF_FAILOVER_EXHAUSTED;
    if (fo->deadline_ms != 0 && now_ms + delay >= fo->deadline_ms)
        return LF_FAILOVER_DEADLINE;
    *pos = fo->pos;
    *delay_ms = delay;
    return LF_FAILOVER_ATTEMPT;
}
