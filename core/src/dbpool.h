/*
 * core/src/dbpool.h - a small thread pool that runs blocking db.h calls off the event loops
 * SPDX-License-Identifier: MIT
 *
 * A handler fills a job (struct lf_dbjob first in its own struct) and calls lf_dbpool_submit(): `run` executes
 * on a pool thread (blocking libpq work, must not touch the request), then `done` runs on the worker loop that
 * owns the request (posted back with h2o_multithread messages) and answers it; `h` is NULL when the client went
 * away meanwhile. `release` frees the job afterwards. Workers never wait on PostgreSQL.
 */
#ifndef LF_CORE_DBPOOL_H
#define LF_CORE_DBPOOL_H

#include <h2o.h>
#include <jansson.h>
#include <lafactoria/plugin.h>

struct lf_http;
struct lf_worker;

struct lf_dbjob {
    h2o_multithread_message_t msg; /* private */
    struct lf_dbjob *next;         /* private */
    struct lf_worker *worker;      /* private */
    struct lf_http *h;             /* private: NULL once the request is gone */
    void (*run)(struct lf_dbjob *j);                      /* pool thread */
    void (*done)(struct lf_dbjob *j, struct lf_http *h);  /* owning worker loop; h NULL if gone */
    void (*release)(struct lf_dbjob *j);                  /* frees the job (any thread) */
};

/**
 * Start `nthreads` pool threads (<= 0: 4), lf_db_init(conninfo, nthreads) and the API key cache. Called once at
 * start-up when a database is configured. LF_OK or LF_EIO.
 */
enum lf_err lf_dbpool_start(const char *conninfo, int nthreads);
/** Stop the threads (queued jobs are released without running), the key cache and the db pool. */
void lf_dbpool_stop(void);
/** 1 when started (a database is configured). */
int lf_dbpool_enabled(void);

/**
 * Queue a job for the request `h` (on its worker thread). LF_OK: `done` will be called exactly once on this
 * worker. LF_EBUSY-like failure (queue full, not started, not on a worker): returns LF_EIO and the job is NOT
 * taken (the caller answers and frees).
 */
enum lf_err lf_dbpool_submit(struct lf_http *h, struct lf_dbjob *j);

/** On the worker thread, before its context is disposed: no more results are delivered to it. */
void lf_dbpool_worker_stop(struct lf_worker *w);

/* ---- a ready-made job for handlers: one db.h call, answered in the API error shape ---- */

struct lf_dbcall;
typedef enum lf_err (*lf_dbcall_fn)(struct lf_dbcall *c);

struct lf_dbcall {
    struct lf_dbjob job;
    lf_dbcall_fn fn;          /* pool thread: calls db.h, sets out (and errmsg on LF_EINVAL) */
    void (*answer)(struct lf_dbcall *c, struct lf_http *h); /* optional: custom answer on the worker */
    int is_admin;             /* caller's role is admin */
    char user_id[37];         /* caller's users.id */
    char *s[6];               /* strings owned by the call (lf_free) */
    long n[4];
    json_t *out;              /* result (decref'd on release unless sent) */
    enum lf_err rc;
    int ok_status;            /* 200, 201 or 204 */
    char errmsg[256];         /* message for 400 (LF_EINVAL) */
    const char *notfound;     /* message for 404 */
};

/** A call for request h (copies the caller's identity). ok_status: answer on LF_OK. */
struct lf_dbcall *lf_dbcall_new(struct lf_http *h, lf_dbcall_fn fn, int ok_status);
/**
 * Queue the call. Answers by itself: LF_OK -> ok_status with out (204: empty), LF_ENOTFOUND -> 404, LF_EINVAL
 * -> 400, LF_EIO -> 503 DATABASE_UNAVAILABLE; also 503 when no database is configured or the queue is full.
 */
void lf_dbcall_submit(struct lf_http *h, struct lf_dbcall *c);
/** The default answer for c->rc (for custom `answer` functions that add to it). */
void lf_dbcall_answer(struct lf_dbcall *c, struct lf_http *h);
/** Free a call that was never submitted. */
void lf_dbcall_free(struct lf_dbcall *c);
/** Answer 503 DATABASE_UNAVAILABLE "no database is configured" when none is; returns 1 if it answered. */
int lf_dbcall_require_db(struct lf_http *h);

#endif
