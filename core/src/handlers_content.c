/*
 * core/src/handlers_content.c - stored content, feedback, educational metrics and admin statistics over PostgreSQL
 * SPDX-License-Identifier: MIT
 *
 * Every handler copies what it needs into an lf_dbcall and returns: the db.h call runs on the dbpool threads and
 * the answer is sent from the worker loop (API.md §3 "Stored content", §5 stats/usage/system info, §6).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "config.h"
#include "db.h"
#include "dbpool.h"
#include "handlers.h"
#include "mem.h"
#include "ops.h"
#include "registry.h"
#include "runtime.h"
#include "server.h"
#include "store.h"
#include "sysstat.h"
#include "util.h"

#define MODULE "content"

/* ---- read-your-writes ----
 * Generations reach PostgreSQL through the store thread a few milliseconds after the answer. A client that asks
 * for its content at once may be ahead of it: on "not found", wait (on the pool thread, bounded) until every
 * record this process had journaled when the request arrived is committed, then look again. */

#define RYW_WAIT_MS 1000

static void note_journal_position(struct lf_dbcall *c)
{
    struct lf_store_stats st;
    lf_store_stats(&st);
    c->n[3] = (long)st.submitted_total;
}

static int wait_journal_position(const struct lf_dbcall *c)
{
    uint64_t until = lf_now_ms() + RYW_WAIT_MS;
    for (;;) {
        struct lf_store_stats st;
        lf_store_stats(&st);
        if (st.submitted_total - st.pending_writes >= (uint64_t)c->n[3])
            return 1; /* everything journaled before the request is committed (the journal is FIFO) */
        if (!st.db_up || lf_now_ms() >= until)
            return 0;
        usleep(2000);
    }
}

/* ---- GET/DELETE /api/v1/content/{id} ---- */

static enum lf_err run_content_get(struct lf_dbcall *c)
{
    enum lf_err rc = lf_db_content_get(c->s[0], c->user_id, c->is_admin, &c->out);
    if (rc == LF_ENOTFOUND && lf_store_is_uuid(c->s[0]) && wait_journal_position(c))
        rc = lf_db_content_get(c->s[0], c->user_id, c->is_admin, &c->out);
    return rc;
}

static enum lf_err run_content_delete(struct lf_dbcall *c)
{
    enum lf_err rc = lf_db_content_delete(c->s[0], c->user_id, c->is_admin);
    if (rc == LF_ENOTFOUND && lf_store_is_uuid(c->s[0]) && wait_journal_position(c))
        rc = lf_db_content_delete(c->s[0], c->user_id, c->is_admin);
    return rc;
}

void lf_h_content_get(struct lf_http *h)
{
    struct lf_dbcall *c = lf_dbcall_new(h, run_content_get, 200);
    c->s[0] = lf_strdup(lf_http_param(h, 0));
    note_journal_position(c);
    c->notfound = "no stored content with this id";
    lf_dbcall_submit(h, c);
}

void lf_h_content_delete(struct lf_http *h)
{
    struct lf_dbcall *c = lf_dbcall_new(h, run_content_delete, 204);
    c->s[0] = lf_strdup(lf_http_param(h, 0));
    note_journal_position(c);
    c->notfound = "no stored content with this id";
    lf_dbcall_submit(h, c);
}

/* ---- GET /api/v1/content ---- */

static enum lf_err run_content_list(struct lf_dbcall *c)
{
    struct lf_db_content_filter f = {.user_id = c->user_id,
                                     .is_admin = c->is_admin,
                                     .content_type = c->s[0],
                                     .age_group = c->s[1],
                                     .limit = (int)c->n[0],
                                     .cursor = c->s[2]};
    enum lf_err rc = lf_db_content_list(&f, &c->out);
    if (rc == LF_EINVAL)
        snprintf(c->errmsg, sizeof(c->errmsg), "cursor is not a next_cursor value of this endpoint");
    return rc;
}

/* strict integer in [lo, hi]; -1 when malformed */
static long parse_int(const char *s, long lo, long hi)
{
    if (s == NULL || *s == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -1;
    return v;
}

static char *opt_query(struct lf_http *h, const char *name)
{
    const char *v = lf_http_query(h, name);
    return v != NULL && v[0] != '\0' ? lf_strdup(v) : NULL;
}

void lf_h_content_list(struct lf_http *h)
{
    long limit = 50;
    const char *ls = lf_http_query(h, "limit");
    if (ls != NULL) {
        limit = parse_int(ls, 1, 100);
        if (limit < 0) {
            lf_http_send_error(h, 400, "INVALID_REQUEST",
                               json_pack("{s:s,s:s,s:i,s:i}", "field", "limit", "provided", ls, "min", 1, "max", 100),
                               "limit must be an integer between 1 and 100");
            return;
        }
    }
    const char *cur = lf_http_query(h, "cursor");
    if (cur != NULL && (cur[0] == '\0' || strlen(cur) > 200)) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s}", "field", "cursor"),
                           "cursor is not a next_cursor value of this endpoint");
        return;
    }
    struct lf_dbcall *c = lf_dbcall_new(h, run_content_list, 200);
    c->s[0] = opt_query(h, "content_type");
    c->s[1] = opt_query(h, "age_group");
    c->s[2] = opt_query(h, "cursor");
    c->n[0] = limit;
    lf_dbcall_submit(h, c);
}

/* ---- POST /api/v1/content/{id}/feedback ---- */

static enum lf_err run_feedback(struct lf_dbcall *c)
{
    enum lf_err rc = lf_db_feedback_insert(c->s[0], c->user_id, c->is_admin, (int)c->n[0], c->s[1], c->s[2], &c->out);
    if (rc == LF_ENOTFOUND && lf_store_is_uuid(c->s[0]) && wait_journal_position(c))
        rc = lf_db_feedback_insert(c->s[0], c->user_id, c->is_admin, (int)c->n[0], c->s[1], c->s[2], &c->out);
    if (rc == LF_EINVAL)
        snprintf(c->errmsg, sizeof(c->errmsg), "feedback rejected: rating 1..5, feedback_type at most 50 "
                                               "characters, feedback_text at most 2000 characters");
    return rc;
}

void lf_h_content_feedback(struct lf_http *h)
{
    json_t *body = lf_http_body_json(h);
    if (body == NULL)
        return;
    json_t *r = json_object_get(body, "rating");
    json_t *t = json_object_get(body, "feedback_type");
    json_t *x = json_object_get(body, "feedback_text");
    if (!json_is_integer(r) || json_integer_value(r) < 1 || json_integer_value(r) > 5) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s,s:i,s:i}", "field", "rating", "min", 1, "max", 5),
                           "rating must be an integer between 1 and 5");
        goto Exit;
    }
    if (t != NULL && !json_is_null(t) &&
        (!json_is_string(t) || lf_utf8_length(json_string_value(t), json_string_length(t)) > 50)) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s,s:i}", "field", "feedback_type", "max_length", 50),
                           "feedback_type must be a string of at most 50 characters");
        goto Exit;
    }
    if (x != NULL && !json_is_null(x)) {
        long n = json_is_string(x) ? lf_utf8_length(json_string_value(x), json_string_length(x)) : -1;
        if (n < 0 || n > 2000) {
            lf_http_send_error(h, 400, "INVALID_REQUEST",
                               json_pack("{s:s,s:I,s:i}", "field", "feedback_text", "provided_length", (json_int_t)n,
                                         "max_length", 2000),
                               "feedback_text must be a string of at most 2000 characters");
            goto Exit;
        }
    }
    struct lf_dbcall *c = lf_dbcall_new(h, run_feedback, 201);
    c->s[0] = lf_strdup(lf_http_param(h, 0));
    c->s[1] = json_is_string(t) ? lf_strdup(json_string_value(t)) : NULL;
    c->s[2] = json_is_string(x) ? lf_strdup(json_string_value(x)) : NULL;
    c->n[0] = (long)json_integer_value(r);
    c->notfound = "no stored content with this id";
    note_journal_position(c);
    lf_dbcall_submit(h, c);
Exit:
    json_decref(body);
}

/* ---- GET /api/v1/metrics/educational (public) ---- */

static enum lf_err run_metrics_educational(struct lf_dbcall *c)
{
    /* thresholds in thousandths, copied on the worker from the current configuration */
    return lf_db_metrics_educational((double)c->n[0] / 1000.0, (double)c->n[1] / 1000.0, (double)c->n[2] / 1000.0,
                                     &c->out);
}

/* The endpoint is public and runs several aggregates: answers are shared for EDU_CACHE_MS, so that anonymous
 * callers cannot turn it into load on PostgreSQL. */
#define EDU_CACHE_MS 2000

static pthread_mutex_t edu_mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *edu_cached; /* guarded by edu_mu */
static uint64_t edu_cached_at;
static long edu_cached_thr[3];

static void answer_metrics_educational(struct lf_dbcall *c, struct lf_http *h)
{
    if (c->rc == LF_OK && c->out != NULL) {
        pthread_mutex_lock(&edu_mu);
        json_decref(edu_cached);
        edu_cached = json_deep_copy(c->out);
        edu_cached_at = lf_now_ms();
        memcpy(edu_cached_thr, c->n, sizeof(edu_cached_thr));
        pthread_mutex_unlock(&edu_mu);
    }
    c->answer = NULL;
    lf_dbcall_answer(c, h);
}

void lf_h_metrics_educational(struct lf_http *h)
{
    struct lf_dbcall *c = lf_dbcall_new(h, run_metrics_educational, 200);
    struct lf_registry *reg = lf_registry_acquire();
    const struct lf_config *cfg = reg != NULL ? reg->config : NULL;
    c->n[0] = cfg != NULL ? (long)(cfg->threshold_overall * 1000 + 0.5) : 700;
    c->n[1] = cfg != NULL ? (long)(cfg->threshold_educational * 1000 + 0.5) : 750;
    c->n[2] = cfg != NULL ? (long)(cfg->threshold_factual * 1000 + 0.5) : 850;
    if (reg != NULL)
        lf_registry_release(reg);
    json_t *hit = NULL;
    pthread_mutex_lock(&edu_mu);
    if (edu_cached != NULL && lf_now_ms() - edu_cached_at < EDU_CACHE_MS &&
        memcmp(edu_cached_thr, c->n, sizeof(edu_cached_thr)) == 0)
        hit = json_deep_copy(edu_cached);
    pthread_mutex_unlock(&edu_mu);
    if (hit != NULL && lf_dbpool_enabled()) {
        lf_dbcall_free(c);
        lf_http_send_json(h, 200, hit);
        return;
    }
    json_decref(hit);
    c->answer = answer_metrics_educational;
    lf_dbcall_submit(h, c);
}

/* ---- admin: content stats, usage, system info ---- */

static enum lf_err run_admin_stats(struct lf_dbcall *c)
{
    return lf_db_admin_content_stats(&c->out);
}

void lf_h_admin_content_stats(struct lf_http *h)
{
    lf_dbcall_submit(h, lf_dbcall_new(h, run_admin_stats, 200));
}

static enum lf_err run_usage(struct lf_dbcall *c)
{
    enum lf_err rc = lf_db_usage_list(c->s[0], c->s[1], (int)c->n[0], &c->out);
    if (rc == LF_EINVAL)
        snprintf(c->errmsg, sizeof(c->errmsg), "since must be an RFC 3339 timestamp and user_id a uuid");
    return rc;
}

static int digits(const char *s, int n, int lo, int hi)
{
    int v = 0;
    for (int i = 0; i < n; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi;
}

/* RFC 3339 date or date-time: YYYY-MM-DD[(T| )hh:mm[:ss[.frac]][Z|(+|-)hh:mm]] */
static int rfc3339_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 10 || !digits(s, 4, 1, 9999) || s[4] != '-' || !digits(s + 5, 2, 1, 12) || s[7] != '-' ||
        !digits(s + 8, 2, 1, 31))
        return 0;
    s += 10;
    if (*s == '\0')
        return 1;
    if ((*s != 'T' && *s != 't' && *s != ' ') || !digits(s + 1, 2, 0, 23) || s[3] != ':' || !digits(s + 4, 2, 0, 59))
        return 0;
    s += 6;
    if (*s == ':') {
        if (!digits(s + 1, 2, 0, 60))
            return 0;
        s += 3;
        if (*s == '.') {
            ++s;
            if (*s < '0' || *s > '9')
                return 0;
            while (*s >= '0' && *s <= '9')
                ++s;
        }
    }
    if (*s == 'Z' || *s == 'z')
        return s[1] == '\0';
    if (*s == '+' || *s == '-')
        return digits(s + 1, 2, 0, 23) && s[3] == ':' && digits(s + 4, 2, 0, 59) && s[6] == '\0';
    return *s == '\0';
}

void lf_h_admin_usage(struct lf_http *h)
{
    const char *since = lf_http_query(h, "since");
    if (since != NULL && since[0] != '\0' && !rfc3339_ok(since)) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s,s:s}", "field", "since", "expected", "RFC 3339"),
                           "since must be an RFC 3339 timestamp such as 2026-01-31T00:00:00Z");
        return;
    }
    long limit = 100;
    const char *ls = lf_http_query(h, "limit");
    if (ls != NULL && (limit = parse_int(ls, 1, 1000)) < 0) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s,s:i,s:i}", "field", "limit", "min", 1, "max", 1000),
                           "limit must be an integer between 1 and 1000");
        return;
    }
    const char *uid = lf_http_query(h, "user_id");
    if (uid != NULL && uid[0] != '\0' && !lf_store_is_uuid(uid)) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s}", "field", "user_id"),
                           "user_id must be a uuid");
        return;
    }
    struct lf_dbcall *c = lf_dbcall_new(h, run_usage, 200);
    c->s[0] = opt_query(h, "since");
    c->s[1] = opt_query(h, "user_id");
    c->n[0] = limit;
    lf_dbcall_submit(h, c);
}

static enum lf_err run_system_info(struct lf_dbcall *c)
{
    double ms = 0;
    enum lf_err rc = lf_db_system_info(&c->out);
    if (rc == LF_OK && lf_db_ping(&ms) == LF_OK)
        json_object_set_new(c->out, "ping_ms", json_real(ms));
    return rc;
}

static void answer_system_info(struct lf_dbcall *c, struct lf_http *h)
{
    if (c->rc != LF_OK) {
        /* the process figures alone are still true, but the endpoint promises PostgreSQL's: say it is down */
        lf_http_add_header(h, "Retry-After", "5");
        lf_http_send_error(h, 503, "DATABASE_UNAVAILABLE", NULL, "the database is unavailable; retry later");
        return;
    }
    struct lf_store_stats st;
    lf_store_stats(&st);
    json_t *store = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "state", lf_runtime_db_state(),
                              "pending_writes", (json_int_t)st.pending_writes, "spooled_records",
                              (json_int_t)st.spooled_records, "written_total", (json_int_t)st.written_total,
                              "replayed_total", (json_int_t)st.replayed_total, "rejected_total",
                              (json_int_t)st.rejected_total, "batches_total", (json_int_t)st.batches_total,
                              "journal_bytes", (json_int_t)st.journal_bytes, "last_batch_us",
                              (json_int_t)st.last_batch_us);
    if (st.last_error[0])
        json_object_set_new(store, "last_error", json_string(st.last_error));
    /* top level as web/openapi.json's SystemInfo: version, environment, uptime_seconds, pid, workers,
     * config_generation, database{status, ...} */
    json_object_set_new(c->out, "status", json_string(lf_runtime_db_state()));
    char ts[40];
    lf_rfc3339(lf_wall_ms(), ts, sizeof(ts));
    const struct lf_config *boot = lf_app_config();
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:i,s:I,s:O,s:o}", "timestamp", ts, "version", LF_VERSION,
                          "environment", boot != NULL && boot->environment ? boot->environment : "",
                          "uptime_seconds", (json_int_t)((lf_now_ms() - lf_server.started_mono_ms) / 1000), "pid",
                          (json_int_t)getpid(), "workers", (int)lf_server.nworkers, "config_generation",
                          (json_int_t)lf_app_generation(), "database", c->out, "store", store);
    struct lf_sysstat_sampler *smp = lf_ops_sysstat();
    if (smp != NULL) {
        struct lf_sysstat ss;
        lf_sysstat_latest(smp, &ss);
        json_object_set_new(o, "system", lf_sysstat_json(&ss));
    }
    lf_http_send_json(h, 200, o);
}

void lf_h_admin_system_info(struct lf_http *h)
{
    struct lf_dbcall *c = lf_dbcall_new(h, run_system_info, 200);
    c->answer = answer_system_info;
    lf_dbcall_submit(h, c);
}
