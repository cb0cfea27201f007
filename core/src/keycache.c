/*
 * core/src/keycache.c - in-memory snapshot of the API keys stored in PostgreSQL, refreshed in the background
 * SPDX-License-Identifier: MIT
 */
#include "keycache.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "mem.h"
#include "server.h"

#define MODULE "keycache"

struct kc_item {
    char hash[65];
    struct lf_keycache_entry e;
    int active; /* not revoked, user active */
};

struct kc_snap {
    struct kc_item *items; /* sorted by hash */
    size_t n, cap;
};

static pthread_rwlock_t snap_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct kc_snap snap;       /* guarded by snap_lock */
static struct kc_snap tombstones; /* keys of erased users (unsorted, appended); guarded by snap_lock */

/* refresh_mu serialises a whole refresh (query + swap) with the immediate updates, so that a refresh that
 * read the table before a revoke committed can never overwrite the revoke (the revoke waits, then applies) */
static pthread_mutex_t refresh_mu = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t thr_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t thr_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static pthread_t thr;
static int running, stop_flag, kick;
static unsigned long refresh_count;
static char *conn_str;
static int interval;
static atomic_int loaded;

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const struct kc_item *)a)->hash, ((const struct kc_item *)b)->hash);
}

static void snap_push(struct kc_snap *s, const struct kc_item *it)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->items = lf_realloc(s->items, s->cap * sizeof(*s->items));
    }
    s->items[s->n++] = *it;
}

static int role_of(const char *r)
{
    return r != NULL && strcmp(r, "admin") == 0 ? LF_ROLE_ADMIN : LF_ROLE_USER;
}

/* caller holds snap_lock (read or write) */
static struct kc_item *find_hash(const char *hash)
{
    size_t lo = 0, hi = snap.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(snap.items[mid].hash, hash);
        if (c == 0)
            return &snap.items[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* first item whose hash starts with the 16-char prefix; caller holds snap_lock */
static struct kc_item *find_prefix(const char *prefix16)
{
    size_t lo = 0, hi = snap.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strncmp(snap.items[mid].hash, prefix16, 16) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < snap.n && strncmp(snap.items[lo].hash, prefix16, 16) == 0)
        return &snap.items[lo];
    return NULL;
}

static PGconn *connect_db(void)
{
    const char *kw[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *val[] = {conn_str, "3", "lafactoria-keycache", NULL};
    PGconn *c = PQconnectdbParams(kw, val, 1);
    if (c != NULL && PQstatus(c) == CONNECTION_OK)
        return c;
    PQfinish(c);
    return NULL;
}

/* one refresh; returns 0 on success. Holds refresh_mu throughout. */
static int refresh_once(PGconn **conn)
{
    int rc = -1;
    PGresult *r = NULL;
    pthread_mutex_lock(&refresh_mu);
    if (*conn == NULL || PQstatus(*conn) != CONNECTION_OK) {
        PQfinish(*conn);
        *conn = connect_db();
        if (*conn == NULL)
            goto Exit;
    }
    r = PQexec(*conn, "SELECT k.key_hash, k.id, k.user_id, k.role, "
                      "(k.revoked_at IS NULL AND u.is_active IS NOT FALSE) FROM api_keys k "
                      "JOIN users u ON u.id = k.user_id");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        if (PQstatus(*conn) != CONNECTION_OK) {
            PQfinish(*conn);
            *conn = NULL;
        }
        goto Exit;
    }
    struct kc_snap fresh = {0};
    int nt = PQntuples(r);
    for (int i = 0; i < nt; ++i) {
        struct kc_item it;
        memset(&it, 0, sizeof(it));
        snprintf(it.hash, sizeof(it.hash), "%s", PQgetvalue(r, i, 0));
        snprintf(it.e.key_id, sizeof(it.e.key_id), "%s", PQgetvalue(r, i, 1));
        snprintf(it.e.user_id, sizeof(it.e.user_id), "%s", PQgetvalue(r, i, 2));
        it.e.role = role_of(PQgetvalue(r, i, 3));
        it.active = PQgetvalue(r, i, 4)[0] == 't';
        snap_push(&fresh, &it);
    }
    if (fresh.n > 1)
        qsort(fresh.items, fresh.n, sizeof(*fresh.items), cmp_item);
    pthread_rwlock_wrlock(&snap_lock);
    struct kc_snap old = snap;
    snap = fresh;
    pthread_rwlock_unlock(&snap_lock);
    lf_free(old.items);
    atomic_store(&loaded, 1);
    rc = 0;
Exit:
    PQclear(r);
    pthread_mutex_unlock(&refresh_mu);
    return rc;
}

static void *refresher(void *arg)
{
    (void)arg;
    PGconn *conn = NULL;
    int last_ok = 1;
    pthread_mutex_lock(&thr_mu);
    while (!stop_flag) {
        pthread_mutex_unlock(&thr_mu);
        int ok = refresh_once(&conn) == 0;
        if (ok != last_ok)
            lf_log_info(MODULE, ok ? "API key snapshot loaded again" : "API key snapshot not refreshed (database "
                                                                       "unreachable or schema missing); keeping the last one");
        last_ok = ok;
        pthread_mutex_lock(&thr_mu);
        ++refresh_count;
        pthread_cond_broadcast(&done_cv);
        if (stop_flag)
            break;
        if (!kick) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long ms = interval;
            ts.tv_sec += ms / 1000;
            ts.tv_nsec += (ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec += 1;
                ts.tv_nsec -= 1000000000L;
            }
            while (!stop_flag && !kick && pthread_cond_timedwait(&thr_cv, &thr_mu, &ts) != ETIMEDOUT) {
            }
        }
        kick = 0;
    }
    pthread_mutex_unlock(&thr_mu);
    PQfinish(conn);
    return NULL;
}

enum lf_err lf_keycache_start(const char *conninfo, int interval_ms)
{
    if (conninfo == NULL)
        return LF_EINVAL;
    pthread_mutex_lock(&thr_mu);
    if (running) {
        pthread_mutex_unlock(&thr_mu);
        return LF_OK;
    }
    conn_str = lf_strdup(conninfo);
    interval = interval_ms > 0 ? interval_ms : 3000;
    stop_flag = 0;
    kick = 0;
    if (pthread_create(&thr, NULL, refresher, NULL) != 0) {
        lf_free(conn_str);
        conn_str = NULL;
        pthread_mutex_unlock(&thr_mu);
        return LF_EIO;
    }
    running = 1;
    /* give the first load a moment, so that database keys work from the first request after a restart;
     * a database that is down only delays the start by the connect timeout (3 s) */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 4;
    while (refresh_count == 0)
        if (pthread_cond_timedwait(&done_cv, &thr_mu, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&thr_mu);
    return LF_OK;
}

void lf_keycache_stop(void)
{
    pthread_mutex_lock(&thr_mu);
    if (!running) {
        pthread_mutex_unlock(&thr_mu);
        return;
    }
    stop_flag = 1;
    pthread_cond_broadcast(&thr_cv);
    pthread_mutex_unlock(&thr_mu);
    pthread_join(thr, NULL);
    pthread_mutex_lock(&thr_mu);
    running = 0;
    lf_free(conn_str);
    conn_str = NULL;
    pthread_mutex_unlock(&thr_mu);
    pthread_rwlock_wrlock(&snap_lock);
    lf_free(snap.items);
    lf_free(tombstones.items);
    memset(&snap, 0, sizeof(snap));
    memset(&tombstones, 0, sizeof(tombstones));
    pthread_rwlock_unlock(&snap_lock);
    atomic_store(&loaded, 0);
}

int lf_keycache_loaded(void)
{
    return atomic_load(&loaded);
}

int lf_keycache_refresh_now(int timeout_ms)
{
    int rc = 0;
    pthread_mutex_lock(&thr_mu);
    if (!running) {
        pthread_mutex_unlock(&thr_mu);
        return -1;
    }
    /* the refresh in progress may have read the table already: wait for two completions at most */
    unsigned long target = refresh_count + 2;
    kick = 1;
    pthread_cond_broadcast(&thr_cv);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec += 1;
        ts.tv_nsec -= 1000000000L;
    }
    while (refresh_count < target) {
        if (refresh_count + 1 == target)
            kick = 1, pthread_cond_broadcast(&thr_cv);
        if (pthread_cond_timedwait(&done_cv, &thr_mu, &ts) == ETIMEDOUT) {
            rc = refresh_count >= target ? 0 : -1;
            break;
        }
    }
    pthread_mutex_unlock(&thr_mu);
    return rc;
}

int lf_keycache_lookup(const char sha256_hex[65], struct lf_keycache_entry *out)
{
    int found = 0;
    pthread_rwlock_rdlock(&snap_lock);
    const struct kc_item *it = find_hash(sha256_hex);
    if (it != NULL && it->active) {
        *out = it->e;
        found = 1;
    }
    pthread_rwlock_unlock(&snap_lock);
    return found;
}

void lf_keycache_user_of(const char *key_id16, char out[37])
{
    snprintf(out, 37, "%s", LF_DB_SYSTEM_USER_ID);
    if (key_id16 == NULL || strlen(key_id16) < 16)
        return;
    pthread_rwlock_rdlock(&snap_lock);
    const struct kc_item *it = find_prefix(key_id16);
    if (it != NULL) {
        snprintf(out, 37, "%s", it->e.user_id);
    } else {
        for (size_t i = 0; i < tombstones.n; ++i)
            if (strncmp(tombstones.items[i].hash, key_id16, 16) == 0) {
                snprintf(out, 37, "%s", tombstones.items[i].e.user_id);
                break;
            }
    }
    pthread_rwlock_unlock(&snap_lock);
}

void lf_keycache_add(const char sha256_hex[65], const char *key_id, const char *user_id, int role)
{
    struct kc_item it;
    memset(&it, 0, sizeof(it));
    snprintf(it.hash, sizeof(it.hash), "%s", sha256_hex);
    snprintf(it.e.key_id, sizeof(it.e.key_id), "%s", key_id);
    snprintf(it.e.user_id, sizeof(it.e.user_id), "%s", user_id);
    it.e.role = role;
    it.active = 1;
    pthread_mutex_lock(&refresh_mu);
    pthread_rwlock_wrlock(&snap_lock);
    struct kc_item *cur = find_hash(it.hash);
    if (cur != NULL) {
        *cur = it;
    } else {
        snap_push(&snap, &it);
        qsort(snap.items, snap.n, sizeof(*snap.items), cmp_item);
    }
    pthread_rwlock_unlock(&snap_lock);
    pthread_mutex_unlock(&refresh_mu);
}

void lf_keycache_revoke(const char *key_id)
{
    pthread_mutex_lock(&refresh_mu);
    pthread_rwlock_wrlock(&snap_lock);
    for (size_t i = 0; i < snap.n; ++i)
        if (strcmp(snap.items[i].e.key_id, key_id) == 0)
            snap.items[i].active = 0;
    pthread_rwlock_unlock(&snap_lock);
    pthread_mutex_unlock(&refresh_mu);
}

void lf_keycache_user_erased(const char *user_id)
{
    pthread_mutex_lock(&refresh_mu);
    pthread_rwlock_wrlock(&snap_lock);
    size_t w = 0;
    for (size_t i = 0; i < snap.n; ++i) {
        if (strcmp(snap.items[i].e.user_id, user_id) == 0) {
            struct kc_item t = snap.items[i];
            t.active = 0;
            snap_push(&tombstones, &t);
        } else {
            snap.items[w++] = snap.items[i];
        }
    }
    snap.n = w;
    pthread_rwlock_unlock(&snap_lock);
    pthread_mutex_unlock(&refresh_mu);
}
