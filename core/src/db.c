/*
 * core/src/db.c - synchronous PostgreSQL reads and admin writes (small connection pool)
 * SPDX-License-Identifier: MIT
 */
#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "log.h"
#include "mem.h"
#include "store.h"

#define MODULE "db"
#define POOL_MAX 32
#define ACQUIRE_TIMEOUT_S 5

static struct {
    char *conninfo;
    int size;
    PGconn *conns[POOL_MAX];
    int busy[POOL_MAX];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char last_error[256];
} P = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* RFC 3339 UTC with milliseconds, as SQL. */
#define TS(col) "to_char((" col ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

#define CONTENT_JSON                                                                                          \
    "jsonb_build_object('id', c.id, 'content_type', c.content_type, 'topic', c.topic, 'age_group', "          \
    "c.age_group, 'generated_content', c.generated_content, 'quality_metrics', COALESCE(c.quality_metrics, " \
    "jsonb_build_object('overall_quality_score', c.quality_score, 'educational_effectiveness', "               \
    "c.educational_effectiveness, 'factual_accuracy', c.factual_accuracy, 'age_appropriateness', "            \
    "c.age_appropriateness)), 'metadata', COALESCE(c.metadata, jsonb_build_object('generation_duration_ms', " \
    "c.generation_duration_ms, 'ai_provider', c.ai_provider, 'ai_model', c.ai_model, 'prompt_template', "     \
    "c.prompt_template)), 'learning_objectives', c.learning_objectives, 'additional_requirements', "           \
    "c.additional_requirements, 'created_at', " TS("c.created_at") ")"

static void set_error(const char *msg)
{
    pthread_mutex_lock(&P.mu);
    snprintf(P.last_error, sizeof(P.last_error), "%s", msg);
    for (char *s = P.last_error; *s; s++) {
        if (*s == '\n' || *s == '\t') {
            *s = ' ';
        }
    }
    pthread_mutex_unlock(&P.mu);
}

void lf_db_last_error(char *out, size_t outlen)
{
    pthread_mutex_lock(&P.mu);
    snprintf(out, outlen, "%s", P.last_error);
    pthread_mutex_unlock(&P.mu);
}

enum lf_err lf_db_init(const char *conninfo, int pool_size)
{
    if (conninfo == NULL) {
        return LF_EINVAL;
    }
    lf_db_shutdown();
    pthread_mutex_lock(&P.mu);
    P.conninfo = lf_strdup(conninfo);
    P.size = pool_size <= 0 ? 4 : (pool_size > POOL_MAX ? POOL_MAX : pool_size);
    pthread_mutex_unlock(&P.mu);
    return LF_OK;
}

void lf_db_shutdown(void)
{
    pthread_mutex_lock(&P.mu);
    for (int i = 0; i < POOL_MAX; i++) {
        if (P.conns[i] != NULL) {
            PQfinish(P.conns[i]);
            P.conns[i] = NULL;
        }
        P.busy[i] = 0;
    }
    lf_free(P.conninfo);
    P.conninfo = NULL;
    P.size = 0;
    pthread_mutex_unlock(&P.mu);
}

/* Take a connection (connecting if needed); returns the slot or -1. */
static int acquire(void)
{
    struct timespec until;
    int slot = -1;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ACQUIRE_TIMEOUT_S;
    pthread_mutex_lock(&P.mu);
    while (P.size > 0) {
        for (int i = 0; i < P.size; i++) {
            if (!P.busy[i]) {
                slot = i;
                break;
            }
        }
        if (slot >= 0 || pthread_cond_timedwait(&P.cv, &P.mu, &until) != 0) {
            break;
        }
    }
    if (slot < 0) {
        pthread_mutex_unlock(&P.mu);
        set_error("no database connection available");
        return -1;
    }
    P.busy[slot] = 1;
    PGconn *c = P.conns[slot];
    char *ci = lf_strdup(P.conninfo);
    pthread_mutex_unlock(&P.mu);
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        const char *keys[] = {"dbname", "connect_timeout", "application_name", "options", NULL};
        const char *vals[] = {ci, "3", "lafactoria-db", "-c statement_timeout=10000", NULL};
        if (c != NULL) {
            PQfinish(c);
        }
        c = PQconnectdbParams(keys, vals, 1);
        if (PQstatus(c) != CONNECTION_OK) {
            set_error(PQerrorMessage(c));
            PQfinish(c);
            c = NULL;
        }
    }
    lf_free(ci);
    pthread_mutex_lock(&P.mu);
    P.conns[slot] = c;
    if (c == NULL) {
        P.busy[slot] = 0;
        pthread_cond_signal(&P.cv);
        slot = -1;
    }
    pthread_mutex_unlock(&P.mu);
    return slot;
}

static void release(int slot)
{
    pthread_mutex_lock(&P.mu);
    P.busy[slot] = 0;
    pthread_cond_signal(&P.cv);
    pthread_mutex_unlock(&P.mu);
}

/* Map a failed result to an lf_err. */
static enum lf_err result_err(PGconn *c, PGresult *r)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *prim = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    char msg[256];
    snprintf(msg, sizeof(msg), "%s (SQLSTATE %s)", prim ? prim : PQerrorMessage(c), state ? state : "?");
    set_error(msg);
    if (PQstatus(c) != CONNECTION_OK) {
        return LF_EIO;
    }
    if (state != NULL && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)) {
        return LF_EINVAL;
    }
    lf_log_error(MODULE, "query failed: %s", msg);
    return LF_EIO;
}

/* Run a query; on success *res holds the result (caller PQclear). */
static enum lf_err run(int slot, const char *sql, int n, const char *const *params, PGresult **res)
{
    PGconn *c = P.conns[slot];
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    *res = NULL;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        enum lf_err e = result_err(c, r);
        PQclear(r);
        return e;
    }
    *res = r;
    return LF_OK;
}

/* A query whose first row, first column is a JSON text. LF_ENOTFOUND on no row / NULL. */
static enum lf_err query_json(const char *sql, int n, const char *const *params, json_t **out)
{
    PGresult *r = NULL;
    enum lf_err rc;
    json_error_t je;
    int slot = acquire();
    *out = NULL;
    if (slot < 0) {
        return LF_EIO;
    }
    rc = run(slot, sql, n, params, &r);
    if (rc != LF_OK) {
        goto Exit;
    }
    if (PQntuples(r) < 1 || PQgetisnull(r, 0, 0)) {
        rc = LF_ENOTFOUND;
        goto Exit;
    }
    *out = json_loads(PQgetvalue(r, 0, 0), JSON_DECODE_ANY, &je);
    rc = *out ? LF_OK : LF_EINTERNAL;
Exit:
    PQclear(r);
    release(slot);
    return rc;
}

enum lf_err lf_db_ping(double *latency_ms)
{
    struct timespec a, b;
    PGresult *r = NULL;
    int slot;
    clock_gettime(CLOCK_MONOTONIC, &a);
    slot = acquire();
    if (slot < 0) {
        return LF_EIO;
    }
    enum lf_err rc = run(slot, "SELECT 1", 0, NULL, &r);
    PQclear(r);
    release(slot);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (latency_ms != NULL) {
        *latency_ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    }
    return rc;
}

static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        n += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return n;
}

static int uuid_ok(const char *s)
{
    return lf_store_is_uuid(s);
}

enum lf_err lf_db_content_get(const char *id, const char *user_id, int is_admin, json_t **out)
{
    const char *p[2] = {id, is_admin ? NULL : user_id};
    *out = NULL;
    if (!uuid_ok(id)) {
        return LF_ENOTFOUND;
    }
    if (!is_admin && !uuid_ok(user_id)) {
        return LF_EINVAL;
    }
    return query_json("SELECT " CONTENT_JSON "::text FROM educational_content c WHERE c.id = $1::uuid "
                      "AND ($2::uuid IS NULL OR c.user_id = $2::uuid)",
                      2, p, out);
}

enum lf_err lf_db_content_list(const struct lf_db_content_filter *f, json_t **out)
{
    char limbuf[16], curts[64], curid[37];
    const char *p[6];
    int limit = f->limit <= 0 ? 50 : (f->limit > 100 ? 100 : f->limit);
    *out = NULL;
    if (!f->is_admin && !uuid_ok(f->user_id)) {
        return LF_EINVAL;
    }
    p[0] = f->is_admin ? NULL : f->user_id;
    p[1] = f->content_type;
    p[2] = f->age_group;
    p[3] = NULL;
    p[4] = NULL;
    if (f->cursor != NULL && f->cursor[0] != '\0') {
        const char *tilde = strchr(f->cursor, '~');
        if (tilde == NULL || (size_t)(tilde - f->cursor) >= sizeof(curts) || !uuid_ok(tilde + 1)) {
            return LF_EINVAL;
        }
        snprintf(curts, sizeof(curts), "%.*s", (int)(tilde - f->cursor), f->cursor);
        snprintf(curid, sizeof(curid), "%s", tilde + 1);
        p[3] = curts;
        p[4] = curid;
    }
    snprintf(limbuf, sizeof(limbuf), "%d", limit);
    p[5] = limbuf;
    return query_json(
        "WITH page AS (SELECT c.*, row_number() OVER (ORDER BY c.created_at DESC, c.id DESC) AS rn "
        "FROM educational_content c WHERE ($1::uuid IS NULL OR c.user_id = $1::uuid) "
        "AND ($2::text IS NULL OR c.content_type = $2) AND ($3::text IS NULL OR c.age_group = $3) "
        "AND ($4::timestamptz IS NULL OR (c.created_at, c.id) < ($4::timestamptz, $5::uuid)) "
        "ORDER BY c.created_at DESC, c.id DESC LIMIT $6::int + 1) "
        "SELECT jsonb_build_object('items', COALESCE((SELECT jsonb_agg(" CONTENT_JSON " ORDER BY c.rn) "
        "FROM page c WHERE c.rn <= $6::int), '[]'::jsonb), 'next_cursor', "
        "(SELECT to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || '~' || c.id "
        "FROM page c WHERE c.rn = $6::int AND EXISTS (SELECT 1 FROM page x WHERE x.rn > $6::int)))::text",
        6, p, out);
}

enum lf_err lf_db_content_delete(const char *id, const char *user_id, int is_admin)
{
    const char *p[2] = {id, is_admin ? NULL : user_id};
    PGresult *r = NULL;
    enum lf_err rc;
    int slot;
    if (!uuid_ok(id) || (!is_admin && !uuid_ok(user_id))) {
        return LF_ENOTFOUND;
    }
    slot = acquire();
    if (slot < 0) {
        return LF_EIO;
    }
    rc = run(slot, "DELETE FROM educational_content WHERE id = $1::uuid AND ($2::uuid IS NULL OR user_id = $2::uuid)",
             2, p, &r);
    if (rc == LF_OK && strcmp(PQcmdTuples(r), "1") != 0) {
        rc = LF_ENOTFOUND;
    }
    PQclear(r);
    release(slot);
    return rc;
}

enum lf_err lf_db_feedback_insert(const char *content_id, const char *user_id, int is_admin, int rating,
                                  const char *feedback_type, const char *feedback_text, json_t **out)
{
    char rbuf[16], id[37];
    const char *p[7];
    *out = NULL;
    if (!uuid_ok(content_id)) {
        return LF_ENOTFOUND;
    }
    if (!uuid_ok(user_id) || rating < 1 || rating > 5 || (feedback_type && strlen(feedback_type) > 50) ||
        (feedback_text && utf8_len(feedback_text) > 2000)) {
        return LF_EINVAL;
    }
    lf_store_uuid(id);
    snprintf(rbuf, sizeof(rbuf), "%d", rating);
    p[0] = id;
    p[1] = content_id;
    p[2] = user_id;
    p[3] = rbuf;
    p[4] = feedback_type;
    p[5] = feedback_text;
    p[6] = is_admin ? "t" : "f";
    return query_json(
        "WITH ins AS (INSERT INTO content_feedback (id, content_id, user_id, rating, feedback_type, "
        "feedback_text) SELECT $1::uuid, c.id, $3::uuid, $4::int, $5, $6 FROM educational_content c "
        "WHERE c.id = $2::uuid AND ($7::boolean OR c.user_id = $3::uuid) RETURNING *) "
        "SELECT jsonb_build_object('id', id, 'content_id', content_id, 'rating', rating, 'feedback_type', "
        "feedback_type, 'feedback_text', feedback_text, 'created_at', " TS("created_at") ")::text FROM ins",
        7, p, out);
}

enum lf_err lf_db_metrics_educational(double overall, double educational, double factual, json_t **out)
{
    char a[32], b[32], c[32];
    const char *p[3] = {a, b, c};
    snprintf(a, sizeof(a), "%.4f", overall);
    snprintf(b, sizeof(b), "%.4f", educational);
    snprintf(c, sizeof(c), "%.4f", factual);
    return query_json(
        "WITH d AS (SELECT * FROM educational_content WHERE created_at >= NOW() - INTERVAL '24 hours'), "
        "w AS (SELECT * FROM educational_content WHERE created_at >= NOW() - INTERVAL '7 days') "
        "SELECT jsonb_build_object("
        "'timestamp', " TS("NOW()") ", "
        "'total_content', (SELECT count(*) FROM educational_content), "
        "'content_last_24h', (SELECT count(*) FROM d), "
        "'by_content_type', COALESCE((SELECT jsonb_agg(jsonb_build_object('content_type', content_type, "
        "'count', n, 'avg_quality', aq, 'avg_educational', ae, 'avg_factual', af, 'avg_duration_ms', ad) "
        "ORDER BY n DESC, content_type) FROM (SELECT content_type, count(*) n, "
        "round(avg(quality_score), 4)::float8 aq, round(avg(educational_effectiveness), 4)::float8 ae, "
        "round(avg(factual_accuracy), 4)::float8 af, round(avg(generation_duration_ms), 1)::float8 ad "
        "FROM d GROUP BY content_type) t), '[]'::jsonb), "
        "'quality_distribution', (SELECT jsonb_build_object("
        "'excellent', count(*) FILTER (WHERE quality_score >= 0.9), "
        "'good', count(*) FILTER (WHERE quality_score >= 0.8 AND quality_score < 0.9), "
        "'acceptable', count(*) FILTER (WHERE quality_score >= 0.7 AND quality_score < 0.8), "
        "'below_threshold', count(*) FILTER (WHERE quality_score < 0.7)) FROM d), "
        "'threshold_pass_rates', (SELECT jsonb_build_object("
        "'overall', CASE WHEN count(*) = 0 THEN 0 ELSE round(count(*) FILTER (WHERE quality_score >= "
        "$1::numeric)::numeric / count(*), 4)::float8 END, "
        "'educational', CASE WHEN count(*) = 0 THEN 0 ELSE round(count(*) FILTER (WHERE "
        "educational_effectiveness >= $2::numeric)::numeric / count(*), 4)::float8 END, "
        "'factual', CASE WHEN count(*) = 0 THEN 0 ELSE round(count(*) FILTER (WHERE factual_accuracy >= "
        "$3::numeric)::numeric / count(*), 4)::float8 END, 'window_days', 7, 'total', count(*)) FROM w), "
        "'hourly_last_24h', COALESCE((SELECT jsonb_agg(jsonb_build_object('hour', "
        "to_char(h, 'YYYY-MM-DD\"T\"HH24:00:00\"Z\"'), 'count', n, 'avg_quality', aq) ORDER BY h) FROM "
        "(SELECT date_trunc('hour', created_at AT TIME ZONE 'UTC') h, count(*) n, "
        "round(avg(quality_score), 4)::float8 aq FROM d GROUP BY 1) t), '[]'::jsonb), "
        "'quality_thresholds', jsonb_build_object('overall', $1::float8, 'educational', $2::float8, "
        "'factual', $3::float8))::text",
        3, p, out);
}

enum lf_err lf_db_admin_content_stats(json_t **out)
{
    return query_json(
        "SELECT jsonb_build_object("
        "'timestamp', " TS("NOW()") ", "
        "'total_content', (SELECT count(*) FROM educational_content), "
        "'content_last_24h', (SELECT count(*) FROM educational_content WHERE created_at >= NOW() - "
        "INTERVAL '24 hours'), "
        "'content_last_7d', (SELECT count(*) FROM educational_content WHERE created_at >= NOW() - "
        "INTERVAL '7 days'), "
        "'average_quality_score', (SELECT round(avg(quality_score), 4)::float8 FROM educational_content), "
        "'total_tokens', (SELECT COALESCE(sum(tokens_used), 0) FROM educational_content), "
        "'total_cost_usd', (SELECT COALESCE(round(sum(cost_usd), 6), 0)::float8 FROM provider_attempts), "
        "'by_content_type', COALESCE((SELECT jsonb_agg(jsonb_build_object('content_type', content_type, "
        "'count', n, 'avg_quality', aq, 'avg_duration_ms', ad) ORDER BY n DESC, content_type) FROM "
        "(SELECT content_type, count(*) n, round(avg(quality_score), 4)::float8 aq, "
        "round(avg(generation_duration_ms), 1)::float8 ad FROM educational_content GROUP BY 1) t), '[]'), "
        "'by_age_group', COALESCE((SELECT jsonb_object_agg(age_group, n) FROM (SELECT age_group, count(*) n "
        "FROM educational_content GROUP BY 1) t), '{}'), "
        "'by_provider', COALESCE((SELECT jsonb_agg(jsonb_build_object('provider', provider, 'attempts', n, "
        "'succeeded', ok, 'failed', n - ok, 'prompt_tokens', pt, 'completion_tokens', ct, 'cost_usd', cost, "
        "'avg_latency_ms', lat) ORDER BY n DESC, provider) FROM (SELECT provider, count(*) n, "
        "count(*) FILTER (WHERE outcome = 'ok') ok, COALESCE(sum(prompt_tokens), 0) pt, "
        "COALESCE(sum(completion_tokens), 0) ct, COALESCE(round(sum(cost_usd), 6), 0)::float8 cost, "
        "round(avg(latency_ms), 1)::float8 lat FROM provider_attempts GROUP BY provider) t), '[]'), "
        "'feedback', (SELECT jsonb_build_object('count', count(*), 'average_rating', "
        "round(avg(rating), 3)::float8) FROM content_feedback), "
        "'users', (SELECT count(*) FROM users))::text",
        0, NULL, out);
}

enum lf_err lf_db_usage_list(const char *since, const char *user_id, int limit, json_t **out)
{
    char lim[16];
    const char *p[3];
    *out = NULL;
    if (user_id != NULL && !uuid_ok(user_id)) {
        return LF_EINVAL;
    }
    snprintf(lim, sizeof(lim), "%d", limit <= 0 ? 100 : (limit > 1000 ? 1000 : limit));
    p[0] = since;
    p[1] = user_id;
    p[2] = lim;
    return query_json(
        "WITH u AS (SELECT * FROM api_usage WHERE ($1::timestamptz IS NULL OR created_at >= $1::timestamptz) "
        "AND ($2::uuid IS NULL OR user_id = $2::uuid) ORDER BY created_at DESC, id DESC LIMIT $3::int) "
        "SELECT jsonb_build_object('items', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', id, "
        "'request_id', request_id, 'user_id', user_id, 'key_hash_prefix', left(api_key_hash, 12), "
        "'endpoint', endpoint, 'method', method, 'status_code', status_code, 'response_time_ms', "
        "response_time_ms, 'request_size_bytes', request_size_bytes, 'response_size_bytes', "
        "response_size_bytes, 'ip_address', host(ip_address), 'user_agent', user_agent, 'created_at', "
        TS("created_at") ") ORDER BY created_at DESC, id DESC) FROM u), '[]'::jsonb), "
        "'count', (SELECT count(*) FROM u))::text",
        3, p, out);
}

void lf_db_key_hash(const char *key, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(key, strlen(key), md, &n, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
    out[64] = '\0';
}

/* "lf_" + 48 hex chars (192 random bits). */
static void new_key(char out[52])
{
    unsigned char b[24];
    size_t got = 0;
    while (got < sizeof(b)) {
        ssize_t r = getrandom(b + got, sizeof(b) - got, 0);
        if (r > 0) {
            got += (size_t)r;
        } else if (errno != EINTR) {
            abort();
        }
    }
    memcpy(out, "lf_", 3);
    for (size_t i = 0; i < sizeof(b); i++) {
        snprintf(out + 3 + 2 * i, 3, "%02x", b[i]);
    }
}

static int role_ok(const char *role)
{
    return role != NULL && (strcmp(role, "user") == 0 || strcmp(role, "admin") == 0);
}

/* Insert a key for user_id in an open connection; *out = key JSON with the clear key. */
static enum lf_err insert_key(int slot, const char *user_id, const char *role, const char *name, json_t **out)
{
    char key[52], hash[65], prefix[11];
    const char *p[5];
    PGresult *r = NULL;
    json_error_t je;
    new_key(key);
    lf_db_key_hash(key, hash);
    snprintf(prefix, sizeof(prefix), "%.10s", key);
    p[0] = user_id;
    p[1] = hash;
    p[2] = prefix;
    p[3] = role;
    p[4] = name;
    enum lf_err rc = run(slot,
                         "INSERT INTO api_keys (user_id, key_hash, key_prefix, role, name) VALUES ($1::uuid, $2, $3, "
                         "$4, $5) RETURNING jsonb_build_object('id', id, 'key_prefix', key_prefix, 'role', role, "
                         "'name', name, 'created_at', " TS("created_at") ")::text",
                         5, p, &r);
    if (rc == LF_OK) {
        *out = json_loads(PQgetvalue(r, 0, 0), 0, &je);
        json_object_set_new(*out, "key", json_string(key));
    }
    PQclear(r);
    return rc;
}

enum lf_err lf_db_user_create(const char *username, const char *email, const char *role, json_t **out)
{
    const char *p[3] = {username, email, role ? role : "user"};
    PGresult *r = NULL;
    json_t *user = NULL, *key = NULL;
    json_error_t je;
    enum lf_err rc;
    int slot;
    *out = NULL;
    if (username == NULL || username[0] == '\0' || strlen(username) > 255 || (email && strlen(email) > 255) ||
        !role_ok(p[2])) {
        return LF_EINVAL;
    }
    slot = acquire();
    if (slot < 0) {
        return LF_EIO;
    }
    rc = run(slot, "BEGIN", 0, NULL, &r);
    PQclear(r);
    r = NULL;
    if (rc != LF_OK) {
        goto Exit;
    }
    rc = run(slot,
             "INSERT INTO users (username, email, role) VALUES ($1, $2, $3) RETURNING jsonb_build_object('id', id, "
             "'username', username, 'email', email, 'role', role, 'created_at', " TS("created_at") ")::text",
             3, p, &r);
    if (rc != LF_OK) {
        goto Exit;
    }
    user = json_loads(PQgetvalue(r, 0, 0), 0, &je);
    PQclear(r);
    r = NULL;
    rc = insert_key(slot, json_string_value(json_object_get(user, "id")), p[2], "initial", &key);
    if (rc != LF_OK) {
        goto Exit;
    }
    rc = run(slot, "COMMIT", 0, NULL, &r);
    if (rc != LF_OK) {
        goto Exit;
    }
    *out = json_pack("{s:o, s:o}", "user", user, "api_key", key);
    user = key = NULL;
Exit:
    PQclear(r);
    if (rc != LF_OK && PQstatus(P.conns[slot]) == CONNECTION_OK) {
        PQclear(PQexec(P.conns[slot], "ROLLBACK"));
    }
    json_decref(user);
    json_decref(key);
    release(slot);
    return rc;
}

enum lf_err lf_db_user_list(int limit, json_t **out)
{
    char lim[16];
    const char *p[1] = {lim};
    snprintf(lim, sizeof(lim), "%d", limit <= 0 ? 100 : (limit > 1000 ? 1000 : limit));
    return query_json(
        "WITH u AS (SELECT * FROM users ORDER BY created_at, username LIMIT $1::int) "
        "SELECT jsonb_build_object('items', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', u.id, "
        "'username', u.username, 'email', u.email, 'role', u.role, 'is_active', u.is_active, 'created_at', "
        TS("u.created_at") ", 'content_count', (SELECT count(*) FROM educational_content c WHERE c.user_id = "
        "u.id), 'active_keys', (SELECT count(*) FROM api_keys k WHERE k.user_id = u.id AND k.revoked_at IS "
        "NULL)) ORDER BY u.created_at, u.username) FROM u), '[]'::jsonb), 'count', (SELECT count(*) FROM u))::text",
        1, p, out);
}

enum lf_err lf_db_key_create(const char *user_id, const char *role, const char *name, json_t **out)
{
    PGresult *r = NULL;
    const char *p[1] = {user_id};
    enum lf_err rc;
    int slot;
    *out = NULL;
    if (!uuid_ok(user_id)) {
        return LF_ENOTFOUND;
    }
    if (!role_ok(role ? role : "user") || (name && strlen(name) > 100)) {
        return LF_EINVAL;
    }
    slot = acquire();
    if (slot < 0) {
        return LF_EIO;
    }
    rc = run(slot, "SELECT 1 FROM users WHERE id = $1::uuid", 1, p, &r);
    if (rc == LF_OK && PQntuples(r) != 1) {
        rc = LF_ENOTFOUND;
    }
    PQclear(r);
    if (rc == LF_OK) {
        rc = insert_key(slot, user_id, role ? role : "user", name, out);
    }
    release(slot);
    return rc;
}

enum lf_err lf_db_key_revoke(const char *key_id)
{
    PGresult *r = NULL;
    const char *p[1] = {key_id};
    enum lf_err rc;
    int slot;
    if (!uuid_ok(key_id)) {
        return LF_ENOTFOUND;
    }
    slot = acquire();
    if (slot < 0) {
        return LF_EIO;
    }
    rc = run(slot, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, NOW()) WHERE id = $1::uuid", 1, p, &r);
    if (rc == LF_OK && strcmp(PQcmdTuples(r), "1") != 0) {
        rc = LF_ENOTFOUND;
    }
    PQclear(r);
    release(slot);
    return rc;
}

enum lf_err lf_db_key_lookup(const char *key, struct lf_db_key_info *out)
{
    char hash[65];
    const char *p[1] = {hash};
    PGresult *r = NULL;
    enum lf_err rc;
    int slot;
    memset(out, 0, sizeof(*out));
    if (key == NULL || key[0] == '\0') {
        return LF_ENOTFOUND;
    }
    lf_db_key_hash(key, hash);
    slot = acquire();
    if (slot < 0) {
        return LF_EIO;
    }
    rc = run(slot,
             "SELECT k.id, k.user_id, k.role, u.username FROM api_keys k JOIN users u ON u.id = k.user_id "
             "WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND u.is_active",
             1, p, &r);
    if (rc == LF_OK && PQntuples(r) != 1) {
        rc = LF_ENOTFOUND;
    }
    if (rc == LF_OK) {
        snprintf(out->key_id, sizeof(out->key_id), "%s", PQgetvalue(r, 0, 0));
        snprintf(out->user_id, sizeof(out->user_id), "%s", PQgetvalue(r, 0, 1));
        snprintf(out->role, sizeof(out->role), "%s", PQgetvalue(r, 0, 2));
        snprintf(out->username, sizeof(out->username), "%s", PQgetvalue(r, 0, 3));
    }
    PQclear(r);
    release(slot);
    return rc;
}

enum lf_err lf_db_user_export(const char *user_id, json_t **out)
{
    const char *p[1] = {user_id};
    *out = NULL;
    if (!uuid_ok(user_id)) {
        return LF_ENOTFOUND;
    }
    return query_json(
        "SELECT jsonb_build_object("
        "'exported_at', " TS("NOW()") ", "
        "'user', to_jsonb(u) - 'api_key_hash', "
        "'api_keys', COALESCE((SELECT jsonb_agg(to_jsonb(k) - 'key_hash' ORDER BY k.created_at) FROM api_keys k "
        "WHERE k.user_id = u.id), '[]'), "
        "'content', COALESCE((SELECT jsonb_agg(to_jsonb(c) ORDER BY c.created_at) FROM educational_content c "
        "WHERE c.user_id = u.id), '[]'), "
        "'quality_assessments', COALESCE((SELECT jsonb_agg(to_jsonb(q) ORDER BY q.assessed_at) FROM "
        "quality_assessments q JOIN educational_content c ON c.id = q.content_id WHERE c.user_id = u.id), '[]'), "
        "'feedback', COALESCE((SELECT jsonb_agg(to_jsonb(f) ORDER BY f.created_at) FROM content_feedback f "
        "WHERE f.user_id = u.id OR f.content_id IN (SELECT id FROM educational_content WHERE user_id = u.id)), "
        "'[]'), "
        "'api_usage', COALESCE((SELECT jsonb_agg(to_jsonb(a) ORDER BY a.created_at) FROM api_usage a "
        "WHERE a.user_id = u.id), '[]'), "
        "'sessions', COALESCE((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.created_at) FROM "
        "content_generation_sessions s WHERE s.user_id = u.id), '[]'), "
        "'provider_attempts', COALESCE((SELECT jsonb_agg(to_jsonb(pa) ORDER BY pa.created_at) FROM "
        "provider_attempts pa WHERE pa.user_id = u.id OR pa.content_id IN (SELECT id FROM educational_content "
        "WHERE user_id = u.id)), '[]'))::text FROM users u WHERE u.id = $1::uuid",
        1, p, out);
}

enum lf_err lf_db_user_erase(const char *user_id, json_t **out)
{
    static const struct {
        const char *name;
        const char *sql;
    } steps[] = {
        {"content_feedback", "DELETE FROM content_feedback WHERE user_id = $1::uuid OR content_id IN "
                             "(SELECT id FROM educational_content WHERE user_id = $1::uuid)"},
        {"quality_assessments", "DELETE FROM quality_assessments WHERE content_id IN "
                                "(SELECT id FROM educational_content WHERE user_id = $1::uuid)"},
        {"provider_attempts", "DELETE FROM provider_attempts WHERE user_id = $1::uuid OR content_id IN "
                              "(SELECT id FROM educational_content WHERE user_id = $1::uuid)"},
        {"api_usage", "DELETE FROM api_usage WHERE user_id = $1::uuid"},
        {"content_generation_sessions", "DELETE FROM content_generation_sessions WHERE user_id = $1::uuid"},
        {"educational_content", "DELETE FROM educational_content WHERE user_id = $1::uuid"},
        {"budget_spend", "DELETE FROM budget_spend WHERE (scope = 'user' AND scope_id = $1) OR (scope = 'key' "
                         "AND scope_id IN (SELECT id::text FROM api_keys WHERE user_id = $1::uuid))"},
        {"api_keys", "DELETE FROM api_keys WHERE user_id = $1::uuid"},
        {"users", "DELETE FROM users WHERE id = $1::uuid"},
    };
    const char *p[1] = {user_id};
    PGresult *r = NULL;
    json_t *counts = NULL;
    enum lf_err rc;
    int slot;
    *out = NULL;
    if (!uuid_ok(user_id)) {
        return LF_ENOTFOUND;
    }
    if (strcmp(user_id, LF_DB_SYSTEM_USER_ID) == 0) {
        return LF_EINVAL;
    }
    slot = acquire();
    if (slot < 0) {
        return LF_EIO;
    }
    rc = run(slot, "BEGIN", 0, NULL, &r);
    PQclear(r);
    r = NULL;
    if (rc != LF_OK) {
        goto Exit;
    }
    rc = run(slot, "SELECT 1 FROM users WHERE id = $1::uuid FOR UPDATE", 1, p, &r);
    if (rc == LF_OK && PQntuples(r) != 1) {
        rc = LF_ENOTFOUND;
    }
    PQclear(r);
    r = NULL;
    if (rc != LF_OK) {
        goto Exit;
    }
    counts = json_object();
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        rc = run(slot, steps[i].sql, 1, p, &r);
        if (rc != LF_OK) {
            goto Exit;
        }
        json_object_set_new(counts, steps[i].name, json_integer(strtoll(PQcmdTuples(r), NULL, 10)));
        PQclear(r);
        r = NULL;
    }
    rc = run(slot, "COMMIT", 0, NULL, &r);
    if (rc != LF_OK) {
        goto Exit;
    }
    *out = json_pack("{s:s, s:o}", "user_id", user_id, "deleted", counts);
    counts = NULL;
    lf_log_info(MODULE, "erased user %s and every linked row", user_id);
Exit:
    PQclear(r);
    if (rc != LF_OK && PQstatus(P.conns[slot]) == CONNECTION_OK) {
        PQclear(PQexec(P.conns[slot], "ROLLBACK"));
    }
    json_decref(counts);
    release(slot);
    return rc;
}

enum lf_err lf_db_system_info(json_t **out)
{
    return query_json(
        "SELECT jsonb_build_object('version', version(), 'server_version_num', "
        "current_setting('server_version_num')::int, 'database_size_bytes', pg_database_size(current_database()), "
        "'schema_version', (SELECT max(version) FROM schema_migrations), "
        "'tables', (SELECT jsonb_object_agg(relname, n_live_tup) FROM pg_stat_user_tables))::text",
        0, NULL, out);
}
