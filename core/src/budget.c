/*
 * core/src/budget.c - USD budgets per day and per month (UTC) with reserve / settle / release
 * SPDX-License-Identifier: MIT
 */
#include "budget.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "mem.h"

#define NUSD_PER_USD 1e9
#define DAY_MS 86400000ULL

/* Written only under the budget's mutex; atomics so that lf_budget_can_afford() can read without it. */
struct period {
    _Atomic int64_t limit_nusd; /* < 0 = unlimited */
    _Atomic int64_t spent_nusd;
    _Atomic int64_t reserved_nusd;
    _Atomic uint64_t start_ms;
    _Atomic uint64_t next_ms;
};

struct lf_budget {
    pthread_mutex_t mu;
    char *name;
    struct period p[LF_BUDGET_N_PERIODS];
};

static int64_t to_nusd(double usd)
{
    if (usd < 0 || isnan(usd))
        return -1;
    if (usd > 9.0e9)
        usd = 9.0e9;
    return (int64_t)llround(usd * NUSD_PER_USD);
}

static double to_usd(int64_t nusd)
{
    return (double)nusd / NUSD_PER_USD;
}

void lf_budget_period_bounds(enum lf_budget_period p, uint64_t now_ms, uint64_t *start_ms,
                             uint64_t *next_ms)
{
    if (p == LF_BUDGET_DAY) {
        *start_ms = now_ms / DAY_MS * DAY_MS;
        *next_ms = *start_ms + DAY_MS;
        return;
    }
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_mday = 1;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = 0;
    *start_ms = (uint64_t)timegm(&tm) * 1000;
    tm.tm_mon += 1; /* timegm normalises December + 1 */
    *next_ms = (uint64_t)timegm(&tm) * 1000;
}

/* Under b->mu: start a new period when now has passed its end. Reservations carry over. */
static void roll(struct lf_budget *b, uint64_t now_ms)
{
    for (int i = 0; i < LF_BUDGET_N_PERIODS; i++) {
        struct period *p = &b->p[i];
        if (now_ms >= p->start_ms && now_ms < p->next_ms)
            continue;
        if (now_ms < p->start_ms && p->next_ms != 0)
            continue; /* the clock went backwards: keep the current period */
        uint64_t start, next;
        lf_budget_period_bounds((enum lf_budget_period)i, now_ms, &start, &next);
        if (start != p->start_ms)
            p->spent_nusd = 0;
        p->start_ms = start;
        p->next_ms = next;
    }
}

struct lf_budget *lf_budget_new(const char *name, double day_limit_usd, double month_limit_usd)
{
    struct lf_budget *b = lf_calloc(1, sizeof(*b));
    pthread_mutex_init(&b->mu, NULL);
    b->name = lf_strdup(name != NULL ? name : "");
    b->p[LF_BUDGET_DAY].limit_nusd = to_nusd(day_limit_usd);
    b->p[LF_BUDGET_MONTH].limit_nusd = to_nusd(month_limit_usd);
    return b;
}

void lf_budget_free(struct lf_budget *b)
{
    if (b == NULL)
        return;
    pthread_mutex_destroy(&b->mu);
    lf_free(b->name);
    lf_free(b);
}

void lf_budget_set_limits(struct lf_budget *b, double day_limit_usd, double month_limit_usd)
{
    pthread_mutex_lock(&b->mu);
    b->p[LF_BUDGET_DAY].limit_nusd = to_nusd(day_limit_usd);
    b->p[LF_BUDGET_MONTH].limit_nusd = to_nusd(month_limit_usd);
    pthread_mutex_unlock(&b->mu);
}

void lf_budget_restore(struct lf_budget *b, double day_spent_usd, double month_spent_usd,
                       uint64_t now_ms)
{
    int64_t d = to_nusd(day_spent_usd), m = to_nusd(month_spent_usd);
    pthread_mutex_lock(&b->mu);
    roll(b, now_ms);
    b->p[LF_BUDGET_DAY].spent_nusd = d < 0 ? 0 : d;
    b->p[LF_BUDGET_MONTH].spent_nusd = m < 0 ? 0 : m;
    pthread_mutex_unlock(&b->mu);
}

static int fits(const struct lf_budget *b, int64_t amount)
{
    for (int i = 0; i < LF_BUDGET_N_PERIODS; i++) {
        const struct period *p = &b->p[i];
        if (p->limit_nusd < 0)
            continue;
        if (p->spent_nusd + p->reserved_nusd + amount > p->limit_nusd)
            return 0;
    }
    return 1;
}

int lf_budget_reserve(struct lf_budget *b, double amount_usd, uint64_t now_ms,
                      struct lf_budget_reservation *res)
{
    int64_t amount = to_nusd(amount_usd);
    int ret = LF_OK;

    res->budget = NULL;
    res->amount_nusd = 0;
    if (amount < 0)
        return LF_EINVAL;
    pthread_mutex_lock(&b->mu);
    roll(b, now_ms);
    if (!fits(b, amount)) {
        ret = LF_BUDGET_REFUSED;
        goto Exit;
    }
    for (int i = 0; i < LF_BUDGET_N_PERIODS; i++)
        b->p[i].reserved_nusd += amount;
    res->budget = b;
    res->amount_nusd = amount;
Exit:
    pthread_mutex_unlock(&b->mu);
    return ret;
}

double lf_budget_settle(struct lf_budget_reservation *res, double actual_usd, uint64_t now_ms)
{
    struct lf_budget *b = res->budget;
    if (b == NULL)
        return 0;
    int64_t actual = to_nusd(actual_usd);
    if (actual < 0)
        actual = res->amount_nusd; /* unknown cost is never charged as $0 */
    pthread_mutex_lock(&b->mu);
    roll(b, now_ms);
    for (int i = 0; i < LF_BUDGET_N_PERIODS; i++) {
        b->p[i].reserved_nusd -= res->amount_nusd;
        if (b->p[i].reserved_nusd < 0)
            b->p[i].reserved_nusd = 0;
        b->p[i].spent_nusd += actual;
    }
    pthread_mutex_unlock(&b->mu);
    double diff = to_usd(actual - res->amount_nusd);
    res->budget = NULL;
    res->amount_nusd = 0;
    return diff;
}

void lf_budget_release(struct lf_budget_reservation *res)
{
    struct lf_budget *b = res->budget;
    if (b == NULL)
        return;
    pthread_mutex_lock(&b->mu);
    for (int i = 0; i < LF_BUDGET_N_PERIODS; i++) {
        b->p[i].reserved_nusd -= res->amount_nusd;
        if (b->p[i].reserved_nusd < 0)
            b->p[i].reserved_nusd = 0;
    }
    pthread_mutex_unlock(&b->mu);
    res->budget = NULL;
    res->amount_nusd = 0;
}

void lf_budget_charge(struct lf_budget *b, double actual_usd, uint64_t now_ms)
{
    int64_t actual = to_nusd(actual_usd);
    if (actual <= 0)
        return;
    pthread_mutex_lock(&b->mu);
    roll(b, now_ms);
    for (int i = 0; i < LF_BUDGET_N_PERIODS; i++)
        b->p[i].spent_nusd += actual;
    pthread_mutex_unlock(&b->mu);
}

int lf_budget_can_afford(struct lf_budget *b, double amount_usd, uint64_t now_ms)
{
    int64_t amount = to_nusd(amount_usd);
    if (amount < 0)
        return 0;
    for (int i = 0; i < LF_BUDGET_N_PERIODS; i++) {
        const struct period *p = &b->p[i];
        if (now_ms < p->start_ms || now_ms >= p->next_ms) {
            /* a period must roll first: take the lock */
            pthread_mutex_lock(&b->mu);
            roll(b, now_ms);
            int ok = fits(b, amount);
            pthread_mutex_unlock(&b->mu);
            return ok;
        }
    }
    /* lock-free look (the router calls this for every candidate); lf_budget_reserve() decides */
    return fits(b, amount);
}

void lf_budget_query(struct lf_budget *b, uint64_t now_ms,
                     struct lf_budget_status out[LF_BUDGET_N_PERIODS])
{
    static const char *names[LF_BUDGET_N_PERIODS] = {"day", "month"};
    pthread_mutex_lock(&b->mu);
    roll(b, now_ms);
    for (int i = 0; i < LF_BUDGET_N_PERIODS; i++) {
        const struct period *p = &b->p[i];
        out[i].period = names[i];
        out[i].limit_usd = p->limit_nusd < 0 ? LF_BUDGET_UNLIMITED : to_usd(p->limit_nusd);
        out[i].spent_usd = to_usd(p->spent_nusd);
        out[i].reserved_usd = to_usd(p->reserved_nusd);
        out[i].period_start_ms = p->start_ms;
        out[i].reset_ms = p->next_ms;
    }
    pthread_mutex_unlock(&b->mu);
}

/* ---- per-key table: a small chained hash map under one mutex (lookups are rare: once per request) ---- */

struct table_entry {
    struct table_entry *next;
    struct lf_budget *budget;
    char key[];
};

struct lf_budget_table {
    pthread_mutex_t mu;
    double default_day, default_month;
    struct table_entry **slots;
    size_t n_slots, n_entries;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

struct lf_budget_table *lf_budget_table_new(double default_day_usd, double default_month_usd)
{
    struct lf_budget_table *t = lf_calloc(1, sizeof(*t));
    pthread_mutex_init(&t->mu, NULL);
    t->default_day = default_day_usd;
    t->default_month = default_month_usd;
    t->n_slots = 64;
    t->slots = lf_calloc(t->n_slots, sizeof(*t->slots));
    return t;
}

void lf_budget_table_free(struct lf_budget_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_slots; i++) {
        struct table_entry *e = t->slots[i];
        while (e != NULL) {
            struct table_entry *next = e->next;
            lf_budget_free(e->budget);
            lf_free(e);
            e = next;
        }
    }
    lf_free(t->slots);
    pthread_mutex_destroy(&t->mu);
    lf_free(t);
}

static void grow(struct lf_budget_table *t)
{
    size_t n = t->n_slots * 2;
    struct table_entry **slots = lf_calloc(n, sizeof(*slots));
    for (size_t i = 0; i < t->n_slots; i++) {
        struct table_entry *e = t->slots[i];
        while (e != NULL) {
            struct table_entry *next = e->next;
            size_t j = hash_str(e->key) & (n - 1);
            e->next = slots[j];
            slots[j] = e;
            e = next;
        }
    }
    lf_free(t->slots);
    t->slots = slots;
    t->n_slots = n;
}

/* Under t->mu. */
static struct lf_budget *lookup(struct lf_budget_table *t, const char *key, int *created)
{
    size_t i = hash_str(key) & (t->n_slots - 1);
    for (struct table_entry *e = t->slots[i]; e != NULL; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e->budget;
    size_t len = strlen(key);
    struct table_entry *e = lf_malloc(sizeof(*e) + len + 1);
    memcpy(e->key, key, len + 1);
    e->budget = lf_budget_new(key, t->default_day, t->default_month);
    e->next = t->slots[i];
    t->slots[i] = e;
    *created = 1;
    if (++t->n_entries > t->n_slots)
        grow(t);
    return e->budget;
}

struct lf_budget *lf_budget_table_get(struct lf_budget_table *t, const char *key)
{
    int created = 0;
    pthread_mutex_lock(&t->mu);
    struct lf_budget *b = lookup(t, key, &created);
    pthread_mutex_unlock(&t->mu);
    return b;
}

void lf_budget_table_set_limits(struct lf_budget_table *t, const char *key, double day_usd,
                                double month_usd)
{
    lf_budget_set_limits(lf_budget_table_get(t, key), day_usd, month_usd);
}
