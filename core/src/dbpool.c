/*
 * core/src/dbpool.c - a small thread pool that runs blocking db.h calls off the event loops
 * SPDX-License-Identifier: MIT
 */
#include "dbpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "db.h"
#include "keycache.h"
#include "log.h"
#include "mem.h"
#include "server.h"
#include "util.h"

#define MODULE "dbpool"
#define MAX_WORKERS 256
#define QUEUE_MAX 4096

struct rx_slot {
    h2o_multithread_receiver_t rx;
    struct lf_worker *w;
    int registered; /* touched on the worker thread only */
    int closed;     /* guarded by mu */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct lf_dbjob *head, *tail; /* guarded by mu */
static size_t queued;
static int stopping;
static pthread_t *threads;
static int nthr;
static atomic_int enabled;
static struct rx_slot slots[MAX_WORKERS];

static void on_messages(h2o_multithread_receiver_t *rx, h2o_linklist_t *messages)
{
    (void)rx;
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        struct lf_dbjob *j = H2O_STRUCT_FROM_MEMBER(struct lf_dbjob, msg, m);
        struct lf_http *h = j->h;
        if (h != NULL) {
            h->on_gone = NULL;
            h->data = NULL;
        }
        j->done(j, h);
        j->release(j);
    }
}

static void job_gone(struct lf_http *h)
{
    struct lf_dbjob *j = h->data;
    if (j != NULL)
        j->h = NULL;
}

static void *pool_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        while (!stopping && head == NULL)
            pthread_cond_wait(&cv, &mu);
        if (stopping)
            break;
        struct lf_dbjob *j = head;
        head = j->next;
        if (head == NULL)
            tail = NULL;
        --queued;
        pthread_mutex_unlock(&mu);
        j->run(j);
        pthread_mutex_lock(&mu);
        struct rx_slot *s = &slots[j->worker->id];
        if (s->closed) {
            pthread_mutex_unlock(&mu);
            j->release(j);
            pthread_mutex_lock(&mu);
        } else {
            h2o_multithread_send_message(&s->rx, &j->msg);
        }
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

enum lf_err lf_dbpool_start(const char *conninfo, int nthreads)
{
    if (atomic_load(&enabled))
        return LF_OK;
    if (nthreads <= 0)
        nthreads = 4;
    if (lf_db_init(conninfo, nthreads) != LF_OK)
        return LF_EIO;
    if (lf_keycache_start(conninfo, 3000) != LF_OK)
        return LF_EIO;
    stopping = 0;
    threads = lf_calloc((size_t)nthreads, sizeof(*threads));
    for (nthr = 0; nthr < nthreads; ++nthr)
        if (pthread_create(&threads[nthr], NULL, pool_main, NULL) != 0)
            break;
    if (nthr == 0) {
        lf_free(threads);
        threads = NULL;
        lf_keycache_stop();
        return LF_EIO;
    }
    atomic_store(&enabled, 1);
    lf_log_info(MODULE, "database pool started with %d threads", nthr);
    return LF_OK;
}

int lf_dbpool_enabled(void)
{
    return atomic_load(&enabled);
}

void lf_dbpool_stop(void)
{
    if (!atomic_load(&enabled))
        return;
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < nthr; ++i)
        pthread_join(threads[i], NULL);
    lf_free(threads);
    threads = NULL;
    nthr = 0;
    while (head != NULL) {
        struct lf_dbjob *j = head;
        head = j->next;
        j->release(j);
    }
    tail = NULL;
    queued = 0;
    atomic_store(&enabled, 0);
    lf_keycache_stop();
    lf_db_shutdown();
}

enum lf_err lf_dbpool_submit(struct lf_http *h, struct lf_dbjob *j)
{
    struct lf_worker *w = h->worker;
    if (!atomic_load(&enabled) || w == NULL || w->id >= MAX_WORKERS || lf_worker_self() != w)
        return LF_EIO;
    struct rx_slot *s = &slots[w->id];
    if (!s->registered) {
        h2o_multithread_register_receiver(w->ctx.queue, &s->rx, on_messages);
        s->w = w;
        s->registered = 1;
    }
    j->worker = w;
    j->h = h;
    j->next = NULL;
    memset(&j->msg, 0, sizeof(j->msg));
    pthread_mutex_lock(&mu);
    if (stopping || s->closed || queued >= QUEUE_MAX) {
        pthread_mutex_unlock(&mu);
        return LF_EIO;
    }
    if (tail != NULL)
        tail->next = j;
    else
        head = j;
    tail = j;
    ++queued;
    h->data = j;
    h->on_gone = job_gone;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    return LF_OK;
}

void lf_dbpool_worker_stop(struct lf_worker *w)
{
    if (w == NULL || w->id >= MAX_WORKERS)
        return;
    struct rx_slot *s = &slots[w->id];
    if (!s->registered)
        return;
    pthread_mutex_lock(&mu);
    s->closed = 1; /* pool threads release later results instead of sending them here */
    pthread_mutex_unlock(&mu);
    /* deliver what was already sent (bounded) so that the receiver can be unregistered */
    uint64_t until = lf_now_ms() + 2000;
    while (!h2o_linklist_is_empty(&s->rx._messages) && lf_now_ms() < until)
        h2o_evloop_run(w->ctx.loop, 10);
    if (!h2o_linklist_is_empty(&s->rx._messages)) {
        lf_log_warn(MODULE, "worker %u: database results still queued at exit", w->id);
        return;
    }
    h2o_multithread_unregister_receiver(w->ctx.queue, &s->rx);
    s->registered = 0;
}

/* ---- lf_dbcall ---- */

static void call_run(struct lf_dbjob *j)
{
    struct lf_dbcall *c = (struct lf_dbcall *)j;
    c->rc = c->fn(c);
}

void lf_dbcall_answer(struct lf_dbcall *c, struct lf_http *h)
{
    char e[256];
    switch (c->rc) {
    case LF_OK:
        if (c->ok_status == 204) {
            lf_http_send_raw(h, 204, NULL, "", 0);
        } else {
            json_t *o = c->out != NULL ? c->out : json_object();
            c->out = NULL;
            lf_http_send_json(h, c->ok_status, o);
        }
        break;
    case LF_ENOTFOUND:
        lf_http_send_error(h, 404, "NOT_FOUND", NULL, "%s", c->notfound ? c->notfound : "not found");
        break;
    case LF_EINVAL:
        lf_http_send_error(h, 400, "INVALID_REQUEST", NULL, "%s", c->errmsg[0] ? c->errmsg : "invalid request");
        break;
    default:
        lf_db_last_error(e, sizeof(e));
        lf_log_warn(MODULE, "request %s: database call failed: %s", h->request_id, e);
        lf_http_add_header(h, "Retry-After", "5");
        lf_http_send_error(h, 503, "DATABASE_UNAVAILABLE", NULL, "the database is unavailable; retry later");
        break;
    }
}

static void call_done(struct lf_dbjob *j, struct lf_http *h)
{
    struct lf_dbcall *c = (struct lf_dbcall *)j;
    if (h == NULL)
        return;
    if (c->answer != NULL)
        c->answer(c, h);
    else
        lf_dbcall_answer(c, h);
}

static void call_release(struct lf_dbjob *j)
{
    struct lf_dbcall *c = (struct lf_dbcall *)j;
    for (size_t i = 0; i < sizeof(c->s) / sizeof(c->s[0]); ++i)
        lf_free(c->s[i]);
    json_decref(c->out);
    lf_free(c);
}

void lf_dbcall_free(struct lf_dbcall *c)
{
    call_release(&c->job);
}

struct lf_dbcall *lf_dbcall_new(struct lf_http *h, lf_dbcall_fn fn, int ok_status)
{
    struct lf_dbcall *c = lf_calloc(1, sizeof(*c));
    c->job.run = call_run;
    c->job.done = call_done;
    c->job.release = call_release;
    c->fn = fn;
    c->ok_status = ok_status;
    c->is_admin = h->role == LF_ROLE_ADMIN;
    snprintf(c->user_id, sizeof(c->user_id), "%s", h->user_id[0] ? h->user_id : LF_DB_SYSTEM_USER_ID);
    return c;
}

int lf_dbcall_require_db(struct lf_http *h)
{
    if (atomic_load(&enabled))
        return 0;
    lf_http_send_error(h, 503, "DATABASE_UNAVAILABLE", NULL,
                       "no database is configured (set DATABASE_URL to store and read content)");
    return 1;
}

void lf_dbcall_submit(struct lf_http *h, struct lf_dbcall *c)
{
    if (lf_dbcall_require_db(h)) {
        call_release(&c->job);
        return;
    }
    if (lf_dbpool_submit(h, &c->job) != LF_OK) {
        call_release(&c->job);
        lf_http_add_header(h, "Retry-After", "1");
        lf_http_send_error(h, 503, "DATABASE_UNAVAILABLE", NULL, "the database queue is full; retry later");
    }
}
