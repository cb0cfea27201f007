/*
 * core/src/ratelimit.c - keyed rate limiter (GCRA) with bounded memory and striped locks
 * SPDX-License-Identifier: MIT
 *
 * Times are microseconds internally so that period / limit keeps sub-millisecond precision.
 * Keys are spread over STRIPES independent hash tables, each with its own mutex and a fixed capacity.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "mem.h"

#define STRIPES 16

struct entry {
    struct entry *next;
    uint64_t tat_us; /* theoretical arrival time */
    uint64_t t_us;   /* emission interval tat_us was computed with (a live limit change rescales) */
    char key[];
};

struct stripe {
    pthread_mutex_t mu;
    struct entry **slots;
    uint32_t n_slots; /* power of two */
    uint32_t count;
    uint32_t cap;
};

struct lf_ratelimit {
    _Atomic uint32_t limit;
    _Atomic uint64_t period_us;
    uint64_t seed;
    struct stripe stripes[STRIPES];
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_key(uint64_t seed, const char *s)
{
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return mix64(h);
}

struct lf_ratelimit *lf_ratelimit_new(uint32_t limit, uint64_t period_ms, uint32_t max_keys)
{
    struct lf_ratelimit *rl = lf_calloc(1, sizeof(*rl));
    atomic_init(&rl->limit, limit ? limit : 1);
    atomic_init(&rl->period_us, (period_ms ? period_ms : 1) * 1000);
    if (getrandom(&rl->seed, sizeof(rl->seed), GRND_NONBLOCK) != (ssize_t)sizeof(rl->seed))
        rl->seed = mix64((uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)rl);
    if (max_keys == 0)
        max_keys = LF_RATELIMIT_DEFAULT_MAX_KEYS;
    uint32_t cap = (max_keys + STRIPES - 1) / STRIPES;
    if (cap < 4)
        cap = 4;
    uint32_t n_slots = 8;
    while (n_slots < cap)
        n_slots *= 2;
    for (int i = 0; i < STRIPES; i++) {
        struct stripe *s = &rl->stripes[i];
        pthread_mutex_init(&s->mu, NULL);
        s->cap = cap;
        s->n_slots = n_slots;
        s->slots = lf_calloc(n_slots, sizeof(*s->slots));
    }
    return rl;
}

void lf_ratelimit_free(struct lf_ratelimit *rl)
{
    if (rl == NULL)
        return;
    for (int i = 0; i < STRIPES; i++) {
        struct stripe *s = &rl->stripes[i];
        for (uint32_t j = 0; j < s->n_slots; j++) {
            struct entry *e = s->slots[j];
            while (e != NULL) {
                struct entry *next = e->next;
                lf_free(e);
                e = next;
            }
        }
        lf_free(s->slots);
        pthread_mutex_destroy(&s->mu);
    }
    lf_free(rl);
}

void lf_ratelimit_set_limit(struct lf_ratelimit *rl, uint32_t limit, uint64_t period_ms)
{
    if (limit == 0 || period_ms == 0)
        return;
    atomic_store(&rl->limit, limit);
    atomic_store(&rl->period_us, period_ms * 1000);
}

/* Under s->mu: drop idle keys; if none was idle, drop the one closest to idle. */
static void evict(struct stripe *s, uint64_t now_us)
{
    struct entry **victim = NULL;
    uint64_t victim_tat = UINT64_MAX;
    uint32_t removed = 0;
    for (uint32_t j = 0; j < s->n_slots; j++) {
        struct entry **pp = &s->slots[j];
        while (*pp != NULL) {
            struct entry *e = *pp;
            if (e->tat_us <= now_us) {
                *pp = e->next;
                lf_free(e);
                removed++;
                continue;
            }
            if (e->tat_us < victim_tat) {
                victim_tat = e->tat_us;
                victim = pp;
            }
            pp = &e->next;
        }
    }
    s->count -= removed;
    if (removed == 0 && victim != NULL) {
        struct entry *e = *victim;
        *victim = e->next;
        lf_free(e);
        s->count--;
    }
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

int lf_ratelimit_check(struct lf_ratelimit *rl, const char *key, uint64_t now_ms, uint32_t n,
                       struct lf_ratelimit_result *res)
{
    uint32_t limit = atomic_load_explicit(&rl->limit, memory_order_relaxed);
    uint64_t period = atomic_load_explicit(&rl->period_us, memory_order_relaxed);
    uint64_t t = period / limit; /* emission interval */
    uint64_t now = now_ms * 1000;
    uint64_t h = hash_key(rl->seed, key);
    struct stripe *s = &rl->stripes[h % STRIPES];
    struct entry *e = NULL;
    uint64_t tat;

    if (t == 0)
        t = 1;
    period =
        t * limit; /* the burst window: exactly `limit` intervals, never limit + 1 after rounding */
    memset(res, 0, sizeof(*res));
    res->limit = limit;

    pthread_mutex_lock(&s->mu);
    uint32_t slot = (uint32_t)((h / STRIPES) & (s->n_slots - 1));
    for (e = s->slots[slot]; e != NULL; e = e->next)
        if (strcmp(e->key, key) == 0)
            break;
    if (e != NULL && e->t_us != t && e->tat_us > now) {
        /* the limit changed: keep the number of units consumed, not the time they cost */
        e->tat_us = now + (uint64_t)((double)(e->tat_us - now) / (double)e->t_us * (double)t);
        e->t_us = t;
    }
    tat = e != NULL && e->tat_us > now ? e->tat_us : now;

    uint64_t new_tat = tat + (uint64_t)n * t;
    int allowed = n <= limit && new_tat <= now + period;
    if (allowed) {
        if (n > 0 && e == NULL) {
            if (s->count >= s->cap)
                evict(s, now);
            size_t len = strlen(key);
            e = lf_malloc(sizeof(*e) + len + 1);
            memcpy(e->key, key, len + 1);
            e->next = s->slots[slot];
            s->slots[slot] = e;
            s->count++;
        }
        if (e != NULL) {
            e->tat_us = new_tat;
            e->t_us = t;
        }
        tat = new_tat;
    } else {
        uint64_t wait = n > limit ? period : new_tat - (now + period);
        res->retry_after_ms = ceil_div(wait, 1000);
        res->retry_after_seconds = (uint32_t)ceil_div(wait, 1000000);
        if (res->retry_after_seconds == 0)
            res->retry_after_seconds = 1;
        if (res->retry_after_ms == 0)
            res->retry_after_ms = 1;
    }
    pthread_mutex_unlock(&s->mu);

    /* units still grantable now: how many emission intervals fit between tat and now + period */
    uint64_t room = now + period > tat ? now + period - tat : 0;
    uint64_t rem = room / t;
    res->remaining = rem > limit ? limit : (uint32_t)rem;
    res->reset_epoch_seconds = ceil_div(tat, 1000000);
    res->allowed = allowed;
    return allowed;
}

int lf_ratelimit_blocked(struct lf_ratelimit *rl, const char *key, uint64_t now_ms,
                         struct lf_ratelimit_result *res)
{
    lf_ratelimit_check(rl, key, now_ms, 0, res);
    return res->remaining == 0;
}

uint32_t lf_ratelimit_size(struct lf_ratelimit *rl)
{
    uint32_t n = 0;
    for (int i = 0; i < STRIPES; i++) {
        pthread_mutex_lock(&rl->stripes[i].mu);
        n += rl->stripes[i].count;
        pthread_mutex_unlock(&rl->stripes[i].mu);
    }
    return n;
}
