/*
 * core/src/store.c - the store thread: journal first, then batched idempotent writes to PostgreSQL
 * SPDX-License-Identifier: MIT
 */
#include "store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "journal.h"
#include "log.h"
#include "mem.h"

#define MODULE "store"
#define PING_INTERVAL_MS 1000
#define IDLE_COMPACT_BYTES (1u << 20)

/* Clamp a JSON number to [0,1] for the numeric(3,2) quality columns. */
#define UNIT(x) "LEAST(1, GREATEST(0, (" x ")::numeric))"
#define INTN(x) "ROUND((" x ")::numeric)::int"

enum kind { K_GENERATION, K_ATTEMPT, K_API_USAGE, K_SESSION, K_FEEDBACK, K_PLUGIN_RELOAD, K__COUNT };

static const char *const kind_names[K__COUNT] = {"generation", "attempt", "api_usage",
                                                 "session",    "feedback", "plugin_reload"};

#define USER_OK "(r.user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id))"

/* Statements per kind, each taking $1 = a JSON array of records. Order matters (content before assessment). */
/*
 * A generation fills educational_content and, when it carries quality_metrics, quality_assessments, in one
 * statement: the batch is parsed once (MATERIALIZED), the content rows go in through a data-modifying CTE and
 * the assessments follow for content inserted now or stored by an earlier (replayed) batch.
 */
static const char *const sql_generation =
    "WITH r AS MATERIALIZED (SELECT (j->>'id')::uuid AS id, (j->>'created_at')::timestamptz AS created_at, "
    "j->>'request_id' AS request_id, (j->>'user_id')::uuid AS user_id, "
    "j->>'content_type' AS content_type, j->>'topic' AS topic, j->>'age_group' AS age_group, "
    "j->>'additional_requirements' AS additional_requirements, "
    "NULLIF(j->'learning_objectives', 'null'::jsonb) AS learning_objectives, "
    "NULLIF(j->'generated_content', 'null'::jsonb) AS generated_content, "
    "NULLIF(j->'quality_metrics', 'null'::jsonb) AS quality_metrics, "
    "NULLIF(j->'metadata', 'null'::jsonb) AS metadata "
    "FROM (SELECT e::jsonb AS j FROM json_array_elements($1::json) e OFFSET 0) s), "
    "ins AS (INSERT INTO educational_content (id, user_id, content_type, topic, age_group, generated_content, "
    "learning_objectives, quality_score, educational_effectiveness, factual_accuracy, age_appropriateness, "
    "cognitive_load_metrics, generation_duration_ms, tokens_used, ai_provider, ai_model, prompt_template, "
    "additional_requirements, created_at, updated_at, request_id, prompt_tokens, completion_tokens, cost_usd, "
    "quality_metrics, metadata) "
    "SELECT r.id, r.user_id, r.content_type, LEFT(r.topic, 500), COALESCE(r.age_group, 'general'), "
    "COALESCE(r.generated_content, '{}'::jsonb), r.learning_objectives, "
    UNIT("r.quality_metrics->>'overall_quality_score'") ", "
    UNIT("r.quality_metrics->>'educational_effectiveness'") ", "
    UNIT("r.quality_metrics->>'factual_accuracy'") ", "
    UNIT("r.quality_metrics->>'age_appropriateness'") ", "
    "r.quality_metrics->'cognitive_load', "
    INTN("r.metadata->>'generation_duration_ms'") ", "
    "COALESCE(" INTN("r.metadata->'tokens'->>'total'") ", " INTN("r.metadata->'tokens'->>'prompt'") " + "
    INTN("r.metadata->'tokens'->>'completion'") "), "
    "LEFT(r.metadata->>'ai_provider', 50), LEFT(r.metadata->>'ai_model', 100), "
    "LEFT(r.metadata->>'prompt_template', 100), r.additional_requirements, "
    "COALESCE(r.created_at, NOW()), COALESCE(r.created_at, NOW()), LEFT(r.request_id, 128), "
    INTN("r.metadata->'tokens'->>'prompt'") ", " INTN("r.metadata->'tokens'->>'completion'") ", "
    "(r.metadata->>'cost_usd')::numeric, r.quality_metrics, r.metadata "
    "FROM r WHERE " USER_OK " ON CONFLICT (id) DO NOTHING RETURNING id) "
    "INSERT INTO quality_assessments (id, content_id, overall_quality_score, educational_effectiveness, "
    "factual_accuracy, age_appropriateness, structural_quality, engagement_level, readability_score, "
    "cognitive_load_metrics, meets_quality_threshold, meets_educational_threshold, meets_factual_threshold, "
    "assessment_details, assessor_version, assessed_at) "
    "SELECT r.id, r.id, "
    UNIT("q->>'overall_quality_score'") ", " UNIT("q->>'educational_effectiveness'") ", "
    UNIT("q->>'factual_accuracy'") ", " UNIT("q->>'age_appropriateness'") ", "
    UNIT("q->>'structural_quality'") ", " UNIT("q->>'engagement'") ", "
    "LEAST(9999, GREATEST(-9999, (q->'readability'->>'flesch_reading_ease')::numeric)), "
    "q->'cognitive_load', (q->'meets_thresholds'->>'overall')::boolean, "
    "(q->'meets_thresholds'->>'educational')::boolean, (q->'meets_thresholds'->>'factual')::boolean, "
    "q, 'lafactoria', COALESCE(r.created_at, NOW()) "
    "FROM r, LATERAL (SELECT r.quality_metrics AS q) l "
    "WHERE jsonb_typeof(r.quality_metrics) = 'object' AND (r.id IN (SELECT id FROM ins) "
    "OR EXISTS (SELECT 1 FROM educational_content e WHERE e.id = r.id)) ON CONFLICT (id) DO NOTHING";

static const char *const sql_attempt =
    "INSERT INTO provider_attempts (id, request_id, content_id, user_id, attempt_no, provider, model, outcome, "
    "http_status, latency_ms, prompt_tokens, completion_tokens, tokens_estimated, cost_usd, error_message, "
    "created_at) "
    "SELECT r.id, LEFT(r.request_id, 128), r.content_id, r.user_id, " INTN("r.attempt_no") ", "
    "LEFT(COALESCE(r.provider, 'unknown'), 100), LEFT(r.model, 200), LEFT(COALESCE(r.outcome, 'unknown'), 40), "
    INTN("r.http_status") ", " INTN("r.latency_ms") ", " INTN("r.prompt_tokens") ", "
    INTN("r.completion_tokens") ", COALESCE(r.tokens_estimated, FALSE), r.cost_usd, r.error, "
    "COALESCE(r.created_at, NOW()) "
    "FROM (SELECT (j->>'id')::uuid AS id, (j->>'created_at')::timestamptz AS created_at, "
    "j->>'request_id' AS request_id, (j->>'content_id')::uuid AS content_id, "
    "(j->>'user_id')::uuid AS user_id, (j->>'attempt_no')::numeric AS attempt_no, "
    "j->>'provider' AS provider, j->>'model' AS model, j->>'outcome' AS outcome, "
    "(j->>'http_status')::numeric AS http_status, (j->>'latency_ms')::numeric AS latency_ms, "
    "(j->>'prompt_tokens')::numeric AS prompt_tokens, "
    "(j->>'completion_tokens')::numeric AS completion_tokens, "
    "(j->>'tokens_estimated')::boolean AS tokens_estimated, (j->>'cost_usd')::numeric AS cost_usd, "
    "j->>'error' AS error "
    "FROM (SELECT e::jsonb AS j FROM json_array_elements($1::json) e OFFSET 0) s) r "
    "WHERE " USER_OK " ON CONFLICT (id) DO NOTHING";

static const char *const sql_api_usage =
    "INSERT INTO api_usage (id, user_id, api_key_hash, endpoint, method, status_code, response_time_ms, "
    "request_size_bytes, response_size_bytes, ip_address, user_agent, created_at, request_id) "
    "SELECT r.id, r.user_id, LEFT(r.api_key_hash, 255), LEFT(COALESCE(r.endpoint, ''), 255), "
    "LEFT(COALESCE(r.method, ''), 10), " INTN("r.status_code") ", " INTN("r.response_time_ms") ", "
    INTN("r.request_size_bytes") ", " INTN("r.response_size_bytes") ", r.ip_address::inet, r.user_agent, "
    "COALESCE(r.created_at, NOW()), LEFT(r.request_id, 128) "
    "FROM (SELECT (j->>'id')::uuid AS id, (j->>'created_at')::timestamptz AS created_at, "
    "j->>'request_id' AS request_id, (j->>'user_id')::uuid AS user_id, "
    "j->>'api_key_hash' AS api_key_hash, j->>'endpoint' AS endpoint, j->>'method' AS method, "
    "(j->>'status_code')::numeric AS status_code, "
    "(j->>'response_time_ms')::numeric AS response_time_ms, "
    "(j->>'request_size_bytes')::numeric AS request_size_bytes, "
    "(j->>'response_size_bytes')::numeric AS response_size_bytes, j->>'ip_address' AS ip_address, "
    "j->>'user_agent' AS user_agent "
    "FROM (SELECT e::jsonb AS j FROM json_array_elements($1::json) e OFFSET 0) s) r "
    "WHERE " USER_OK " ON CONFLICT (id) DO NOTHING";

static const char *const sql_session =
    "INSERT INTO content_generation_sessions (id, user_id, session_type, topic, age_group, "
    "requested_content_types, status, started_at, completed_at, total_duration_ms, error_message, created_at, "
    "request_id, successful_count, failed_count, average_quality_score, total_cost_usd, details) "
    "SELECT r.id, r.user_id, LEFT(COALESCE(r.session_type, 'batch'), 50), LEFT(r.topic, 500), "
    "LEFT(r.age_group, 50), r.requested_content_types, COALESCE(r.status, 'completed'), "
    "COALESCE(r.started_at, r.created_at, NOW()), r.completed_at, " INTN("r.total_duration_ms") ", "
    "r.error_message, COALESCE(r.created_at, NOW()), LEFT(r.request_id, 128), " INTN("r.successful_count") ", "
    INTN("r.failed_count") ", " UNIT("r.average_quality_score") ", r.total_cost_usd, r.details "
    "FROM (SELECT (j->>'id')::uuid AS id, (j->>'created_at')::timestamptz AS created_at, "
    "j->>'request_id' AS request_id, (j->>'user_id')::uuid AS user_id, "
    "j->>'session_type' AS session_type, j->>'topic' AS topic, j->>'age_group' AS age_group, "
    "NULLIF(j->'requested_content_types', 'null'::jsonb) AS requested_content_types, "
    "j->>'status' AS status, (j->>'started_at')::timestamptz AS started_at, "
    "(j->>'completed_at')::timestamptz AS completed_at, "
    "(j->>'total_duration_ms')::numeric AS total_duration_ms, j->>'error_message' AS error_message, "
    "(j->>'successful_count')::numeric AS successful_count, "
    "(j->>'failed_count')::numeric AS failed_count, "
    "(j->>'average_quality_score')::numeric AS average_quality_score, "
    "(j->>'total_cost_usd')::numeric AS total_cost_usd, "
    "NULLIF(j->'details', 'null'::jsonb) AS details "
    "FROM (SELECT e::jsonb AS j FROM json_array_elements($1::json) e OFFSET 0) s) r "
    "WHERE " USER_OK " ON CONFLICT (id) DO NOTHING";

static const char *const sql_feedback =
    "INSERT INTO content_feedback (id, content_id, user_id, rating, feedback_type, feedback_text, created_at) "
    "SELECT r.id, r.content_id, r.user_id, " INTN("r.rating") ", LEFT(r.feedback_type, 50), r.feedback_text, "
    "COALESCE(r.created_at, NOW()) "
    "FROM (SELECT (j->>'id')::uuid AS id, (j->>'created_at')::timestamptz AS created_at, "
    "(j->>'content_id')::uuid AS content_id, (j->>'user_id')::uuid AS user_id, "
    "(j->>'rating')::numeric AS rating, j->>'feedback_type' AS feedback_type, "
    "j->>'feedback_text' AS feedback_text "
    "FROM (SELECT e::jsonb AS j FROM json_array_elements($1::json) e OFFSET 0) s) r "
    "WHERE " USER_OK " AND EXISTS (SELECT 1 FROM educational_content e WHERE e.id = r.content_id) "
    "ON CONFLICT (id) DO NOTHING";

static const char *const sql_plugin_reload =
    "INSERT INTO plugin_reloads (id, config_generation, trigger, actor, success, loaded, unloaded, unchanged, "
    "errors, duration_ms, created_at) "
    "SELECT r.id, r.config_generation, LEFT(r.trigger, 20), LEFT(r.actor, 255), COALESCE(r.success, FALSE), "
    "r.loaded, r.unloaded, r.unchanged, r.errors, " INTN("r.duration_ms") ", COALESCE(r.created_at, NOW()) "
    "FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, created_at timestamptz, config_generation bigint, "
    "trigger text, actor text, success boolean, loaded jsonb, unloaded jsonb, unchanged jsonb, errors jsonb, "
    "duration_ms numeric) ON CONFLICT (id) DO NOTHING";

static const char *const *const kind_sql[K__COUNT][1] = {
    [K_GENERATION] = {&sql_generation},   [K_ATTEMPT] = {&sql_attempt},
    [K_API_USAGE] = {&sql_api_usage},     [K_SESSION] = {&sql_session},
    [K_FEEDBACK] = {&sql_feedback},       [K_PLUGIN_RELOAD] = {&sql_plugin_reload},
};

/* One parsed record of a batch. */
struct rec {
    int kind;        /* enum kind, or -1 = invalid (rejected) */
    const char *txt; /* JSON text: the journal line or `owned` */
    size_t len;
    char *owned;     /* re-serialised record (jansson malloc), or NULL */
    const char *line; /* original journal line */
    size_t line_len;
    const char *why; /* why invalid */
};

struct buf {
    char *p;
    size_t len, cap;
};

static struct {
    atomic_int started;
    struct lf_store_options opt;
    char *conninfo;
    struct lf_journal *j;
    pthread_t thr;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int stop;
    atomic_int idle_wait; /* the thread waits for new records: submitters signal it */
    PGconn *conn;
    atomic_int db_up;
    uint64_t backlog; /* records left by an earlier process, at start */
    _Atomic uint64_t submitted, written, rejected, processed, batches, last_batch_us, journal_bytes;
    pthread_mutex_t err_mu;
    char last_error[256];
    pthread_rwlock_t life; /* submitters hold it shared; start/stop exclusively (no submit into a closed journal) */
} S = {.mu = PTHREAD_MUTEX_INITIALIZER, .err_mu = PTHREAD_MUTEX_INITIALIZER, .life = PTHREAD_RWLOCK_INITIALIZER};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void set_error(const char *msg)
{
    char clean[256];
    size_t n = 0;
    /* one line, no trailing newline */
    for (const char *s = msg; *s && n < sizeof(clean) - 1; s++) {
        clean[n++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
    }
    while (n > 0 && clean[n - 1] == ' ') {
        n--;
    }
    clean[n] = '\0';
    pthread_mutex_lock(&S.err_mu);
    snprintf(S.last_error, sizeof(S.last_error), "%s", clean);
    pthread_mutex_unlock(&S.err_mu);
}

void lf_store_uuid(char out[37])
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof(b)) {
        ssize_t r = getrandom(b + got, sizeof(b) - got, 0);
        if (r > 0) {
            got += (size_t)r;
        } else if (errno != EINTR) {
            abort(); /* no entropy source: never hand out predictable ids */
        }
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int lf_store_is_uuid(const char *s)
{
    static const char *const pat = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (s == NULL || strlen(s) != 36) {
        return 0;
    }
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (pat[i] == '-') {
            if (c != '-') {
                return 0;
            }
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return 1;
}

static void now_rfc3339(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

enum lf_err lf_store_submit(json_t *rec)
{
    enum lf_err rc = LF_EINVAL;
    json_t *id, *kind;
    char *line = NULL;
    size_t len;
    char uuid[37], ts[32];
    unsigned char addr[16];
    const char *ip;
    json_t *ordered = NULL;
    int locked = 0;

    pthread_rwlock_rdlock(&S.life);
    locked = 1;
    if (!S.started) {
        rc = LF_ENOTFOUND;
        goto Exit;
    }
    if (!json_is_object(rec)) {
        goto Exit;
    }
    kind = json_object_get(rec, "kind");
    if (!json_is_string(kind)) {
        goto Exit;
    }
    id = json_object_get(rec, "id");
    if (id == NULL) {
        lf_store_uuid(uuid);
        json_object_set_new(rec, "id", json_string(uuid));
    } else if (!json_is_string(id) || !lf_store_is_uuid(json_string_value(id))) {
        goto Exit;
    }
    if (json_object_get(rec, "created_at") == NULL) {
        now_rfc3339(ts);
        json_object_set_new(rec, "created_at", json_string(ts));
    }
    ip = json_string_value(json_object_get(rec, "ip_address"));
    if (ip != NULL && inet_pton(AF_INET, ip, addr) != 1 && inet_pton(AF_INET6, ip, addr) != 1) {
        json_object_del(rec, "ip_address"); /* an unparsable client address must not cost the row */
    }
    /* "kind" first, so the store thread routes the line without parsing it */
    ordered = json_pack("{s:O}", "kind", kind);
    json_object_del(rec, "kind");
    json_object_update(ordered, rec);
    line = json_dumps(ordered, JSON_COMPACT | JSON_ENSURE_ASCII); /* no raw newline can appear in the line */
    if (line == NULL) {
        goto Exit;
    }
    len = strlen(line);
    line[len] = '\n'; /* overwrite the NUL: the buffer is len+1 bytes */
    rc = lf_journal_append(S.j, line, len + 1);
    if (rc != LF_OK) {
        goto Exit;
    }
    atomic_fetch_add(&S.submitted, 1);
    if (atomic_load(&S.idle_wait)) { /* seq_cst pairs with wait_ms(): no lost wake-up */
        pthread_mutex_lock(&S.mu);
        pthread_cond_signal(&S.cv);
        pthread_mutex_unlock(&S.mu);
    }
Exit:
    if (locked) {
        pthread_rwlock_unlock(&S.life);
    }
    if (rc == LF_EINVAL) {
        lf_log_error(MODULE, "record refused: not an object with a string \"kind\" and a uuid \"id\"");
    }
    free(line);
    json_decref(ordered);
    json_decref(rec);
    return rc;
}

/* ---- store thread ---- */

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = lf_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static int db_connect(void)
{
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *vals[] = {S.conninfo, "5", "lafactoria-store", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        set_error(PQerrorMessage(c));
        PQfinish(c);
        return 0;
    }
    PGresult *r = PQexec(c, "SET client_min_messages = warning");
    PQclear(r);
    /* prepare every statement once per connection: the big INSERTs are not re-planned per batch */
    for (int k = 0; k < K__COUNT; k++) {
        char name[32];
        snprintf(name, sizeof(name), "lf_store_%d", k);
        r = PQprepare(c, name, *kind_sql[k][0], 1, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            char e[256];
            snprintf(e, sizeof(e), "prepare %s: %s", kind_names[k], PQresultErrorMessage(r));
            set_error(e);
            PQclear(r);
            PQfinish(c);
            return 0;
        }
        PQclear(r);
    }
    S.conn = c;
    if (!atomic_exchange(&S.db_up, 1)) {
        lf_log_info(MODULE, "database connection up");
    }
    return 1;
}

static void db_drop(const char *why)
{
    if (S.conn != NULL) {
        PQfinish(S.conn);
        S.conn = NULL;
    }
    if (why != NULL) {
        set_error(why);
    }
    if (atomic_exchange(&S.db_up, 0)) {
        lf_log_warn(MODULE, "database unavailable, records wait in the journal: %s", S.last_error);
    }
}

/* 0 = ok, 1 = data error (reject the record), 2 = database/connection problem (retry later). */
static int classify(PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    const char *state;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        return 0;
    }
    if (PQstatus(S.conn) != CONNECTION_OK) {
        return 2;
    }
    state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (state != NULL && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)) {
        return 1;
    }
    return 2;
}

/* The error without DETAIL (which can quote row data, e.g. a topic): safe for logs and stats. */
static void short_error(PGresult *r, char *out, size_t outlen)
{
    const char *prim = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (prim != NULL) {
        snprintf(out, outlen, "%s (SQLSTATE %s)", prim, state ? state : "?");
    } else {
        snprintf(out, outlen, "%s", PQerrorMessage(S.conn));
    }
}

static int exec_simple(const char *sql)
{
    PGresult *r = PQexec(S.conn, sql);
    int c = classify(r);
    if (c != 0) {
        char e[256];
        short_error(r, e, sizeof(e));
        set_error(e);
    }
    PQclear(r);
    return c;
}

/* Run the statements of `kind` with the JSON array `arr`. Returns classify() of the first failure. */
static int exec_kind(int kind, const char *arr, char *errout, size_t errlen)
{
    const char *params[1] = {arr};
    char name[32];
    snprintf(name, sizeof(name), "lf_store_%d", kind);
    PGresult *r = PQexecPrepared(S.conn, name, 1, params, NULL, NULL, 0);
    int c = classify(r);
    if (c != 0) {
        short_error(r, errout, errlen);
    }
    PQclear(r);
    return c;
}

/* lf_store_submit() writes "kind" first: recognise {"kind":"<name>", without parsing the record. */
static int fast_kind(struct rec *r)
{
    static const char pre[] = "{\"kind\":\"";
    const size_t pl = sizeof(pre) - 1;
    if (r->len < pl + 3 || memcmp(r->txt, pre, pl) != 0) {
        return 0;
    }
    for (int x = 0; x < K__COUNT; x++) {
        size_t kl = strlen(kind_names[x]);
        if (r->len > pl + kl + 2 && memcmp(r->txt + pl, kind_names[x], kl) == 0 && r->txt[pl + kl] == '"' &&
            r->txt[pl + kl + 1] == ',') {
            r->kind = x;
            return 1;
        }
    }
    return 0;
}

/* Parse lines into recs; invalid ones get kind -1. */
static void parse_batch(const struct lf_journal_batch *b, struct rec *recs)
{
    for (size_t i = 0; i < b->count; i++) {
        struct rec *r = &recs[i];
        json_error_t je;
        json_t *o;
        memset(r, 0, sizeof(*r));
        r->line = b->lines[i];
        r->line_len = b->lens[i];
        r->txt = b->lines[i];
        r->len = b->lens[i];
        if (fast_kind(r)) {
            continue;
        }
        o = json_loadb(b->lines[i], b->lens[i], 0, &je);
        r->kind = -1;
        r->why = "not a JSON object";
        if (o == NULL || !json_is_object(o)) {
            json_decref(o);
            continue;
        }
        const char *k = json_string_value(json_object_get(o, "kind"));
        r->why = "unknown kind";
        for (int x = 0; k != NULL && x < K__COUNT; x++) {
            if (strcmp(k, kind_names[x]) == 0) {
                r->kind = x;
            }
        }
        if (r->kind == K_API_USAGE) {
            /* an unparsable client address must not cost the usage row: drop the field */
            const char *ip = json_string_value(json_object_get(o, "ip_address"));
            unsigned char tmp[16];
            if (ip != NULL && inet_pton(AF_INET, ip, tmp) != 1 && inet_pton(AF_INET6, ip, tmp) != 1) {
                json_object_del(o, "ip_address");
                r->owned = json_dumps(o, JSON_COMPACT);
                r->txt = r->owned;
                r->len = strlen(r->owned);
            }
        }
        json_decref(o);
    }
}

/* Write one batch; returns 0 on commit, 2 on a database problem (nothing committed). */
static int write_batch(struct rec *recs, size_t n)
{
    struct buf arr[K__COUNT];
    char err[512];
    int c;
    memset(arr, 0, sizeof(arr));
    for (size_t i = 0; i < n; i++) {
        if (recs[i].kind < 0) {
            continue;
        }
        struct buf *b = &arr[recs[i].kind];
        buf_add(b, b->len == 0 ? "[" : ",", 1);
        buf_add(b, recs[i].txt, recs[i].len);
    }
    c = exec_simple("BEGIN");
    for (int k = 0; c == 0 && k < K__COUNT; k++) {
        if (arr[k].len == 0) {
            continue;
        }
        buf_add(&arr[k], "]", 1);
        c = exec_kind(k, arr[k].p, err, sizeof(err));
        if (c != 0) {
            set_error(err);
        }
    }
    if (c == 0) {
        c = exec_simple("COMMIT");
    } else if (PQstatus(S.conn) == CONNECTION_OK) {
        PGresult *r = PQexec(S.conn, "ROLLBACK");
        PQclear(r);
    }
    for (int k = 0; k < K__COUNT; k++) {
        lf_free(arr[k].p);
    }
    if (c == 1) {
        /* some record is invalid: write them one by one, reject the ones PostgreSQL refuses */
        for (size_t i = 0; i < n; i++) {
            struct buf one = {0};
            if (recs[i].kind < 0) {
                continue;
            }
            buf_add(&one, "[", 1);
            buf_add(&one, recs[i].txt, recs[i].len);
            buf_add(&one, "]", 1);
            int ci = exec_simple("BEGIN");
            if (ci == 0) {
                ci = exec_kind(recs[i].kind, one.p, err, sizeof(err));
                if (ci == 0) {
                    ci = exec_simple("COMMIT");
                } else if (PQstatus(S.conn) == CONNECTION_OK) {
                    PGresult *r = PQexec(S.conn, "ROLLBACK");
                    PQclear(r);
                }
            }
            lf_free(one.p);
            if (ci == 2) {
                return 2;
            }
            if (ci == 1) {
                recs[i].kind = -1;
                recs[i].why = NULL;
                lf_journal_reject(S.j, recs[i].line, recs[i].line_len, err);
                lf_log_error(MODULE, "record refused by the database, kept in rejected.jsonl: %s", err);
            }
        }
        return 0;
    }
    return c;
}

/*
 * Sleep up to ms; lf_store_stop() always wakes it, lf_store_submit() only when wake_on_submit. With
 * wake_on_submit, `seen` is S.submitted read before the journal was found empty: if it moved since, a
 * record may be waiting and we return at once.
 */
static void wait_ms(int64_t ms, int wake_on_submit, uint64_t seen)
{
    struct timespec ts;
    if (ms <= 0) {
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&S.mu);
    atomic_store(&S.idle_wait, wake_on_submit);
    if (!atomic_load(&S.stop) && !(wake_on_submit && atomic_load(&S.submitted) != seen)) {
        pthread_cond_timedwait(&S.cv, &S.mu, &ts);
    }
    atomic_store(&S.idle_wait, 0);
    pthread_mutex_unlock(&S.mu);
}

static uint64_t spooled(void)
{
    uint64_t total = S.backlog + atomic_load(&S.submitted);
    uint64_t done = atomic_load(&S.processed);
    return total > done ? total - done : 0;
}

static void *store_main(void *arg)
{
    (void)arg;
    int64_t backoff = 100, next_connect = 0, last_sync = now_ms(), last_activity = now_ms(), drain_deadline = 0;
    struct rec *recs = lf_calloc((size_t)S.opt.batch_max, sizeof(*recs));

    for (;;) {
        int64_t now = now_ms();
        if (atomic_load(&S.stop)) {
            if (drain_deadline == 0) {
                drain_deadline = now + S.opt.drain_timeout_ms;
            }
            if (spooled() == 0 || now >= drain_deadline) {
                break;
            }
        }
        if (now - last_sync >= S.opt.fsync_interval_ms) {
            lf_journal_sync(S.j);
            last_sync = now;
        }
        lf_journal_maybe_rotate(S.j, IDLE_COMPACT_BYTES);
        if (S.conn == NULL) {
            atomic_store(&S.journal_bytes, lf_journal_bytes(S.j));
            if (now >= next_connect) {
                if (db_connect()) {
                    backoff = 100;
                    lf_journal_rewind(S.j);
                } else {
                    next_connect = now + backoff;
                    backoff = backoff * 2 > S.opt.reconnect_max_ms ? S.opt.reconnect_max_ms : backoff * 2;
                    atomic_store(&S.db_up, 0);
                }
            }
            if (S.conn == NULL) {
                int64_t w = next_connect - now;
                int64_t ws = S.opt.fsync_interval_ms - (now - last_sync);
                wait_ms(w < ws ? w : ws, 0, 0);
                continue;
            }
        }
        struct lf_journal_batch b;
        uint64_t seen = atomic_load(&S.submitted);
        if (lf_journal_read(S.j, (size_t)S.opt.batch_max, &b) != LF_OK) {
            wait_ms(S.opt.fsync_interval_ms, 0, 0);
            continue;
        }
        if (b.count == 0) {
            if (b.skipped_torn) {
                lf_journal_commit(S.j, &b.end);
                continue;
            }
            if (now - last_activity >= PING_INTERVAL_MS) {
                last_activity = now;
                if (exec_simple("SELECT 1") != 0) {
                    db_drop(NULL);
                    continue;
                }
            }
            atomic_store(&S.journal_bytes, lf_journal_bytes(S.j));
            if (atomic_load(&S.stop)) {
                break; /* journal fully read: nothing more to drain */
            }
            wait_ms(S.opt.fsync_interval_ms - (now_ms() - last_sync), 1, seen);
            continue;
        }
        int64_t t0 = now_us();
        parse_batch(&b, recs);
        int c = write_batch(recs, b.count);
        size_t ok = 0, bad = 0;
        for (size_t i = 0; i < b.count; i++) {
            if (recs[i].kind >= 0) {
                ok++;
            } else {
                bad++;
                if (c == 0 && recs[i].why != NULL) {
                    lf_journal_reject(S.j, recs[i].line, recs[i].line_len, recs[i].why);
                    lf_log_error(MODULE, "invalid journal record kept in rejected.jsonl: %s", recs[i].why);
                }
            }
            free(recs[i].owned);
        }
        if (c != 0) {
            lf_journal_rewind(S.j);
            db_drop(NULL);
            next_connect = now_ms() + backoff;
            continue;
        }
        lf_journal_commit(S.j, &b.end);
        last_activity = now_ms();
        atomic_fetch_add(&S.written, ok);
        atomic_fetch_add(&S.rejected, bad);
        atomic_fetch_add(&S.processed, b.count);
        atomic_fetch_add(&S.batches, 1);
        atomic_store(&S.last_batch_us, (uint64_t)(now_us() - t0));
    }
    lf_journal_sync(S.j);
    if (S.conn != NULL) {
        PQfinish(S.conn);
        S.conn = NULL;
    }
    atomic_store(&S.db_up, 0);
    lf_free(recs);
    return NULL;
}

enum lf_err lf_store_start(const struct lf_store_options *opt, char *err, size_t errlen)
{
    enum lf_err rc;
    pthread_condattr_t ca;
    char dummy[1];
    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    if (S.started) {
        snprintf(err, errlen, "the store is already started");
        return LF_EINVAL;
    }
    if (opt == NULL || opt->conninfo == NULL || opt->journal_dir == NULL) {
        snprintf(err, errlen, "the store needs a conninfo and a journal directory");
        return LF_EINVAL;
    }
    S.opt = *opt;
    if (S.opt.fsync_interval_ms <= 0) {
        S.opt.fsync_interval_ms = 100;
    }
    if (S.opt.batch_max <= 0) {
        S.opt.batch_max = 1000;
    }
    if (S.opt.drain_timeout_ms <= 0) {
        S.opt.drain_timeout_ms = 5000;
    }
    if (S.opt.reconnect_max_ms <= 0) {
        S.opt.reconnect_max_ms = 5000;
    }
    rc = lf_journal_open(opt->journal_dir, opt->segment_max_bytes, &S.j, &S.backlog, err, errlen);
    if (rc != LF_OK) {
        return rc;
    }
    S.conninfo = lf_strdup(opt->conninfo);
    S.opt.conninfo = S.conninfo;
    S.opt.journal_dir = NULL;
    atomic_store(&S.stop, 0);
    atomic_store(&S.db_up, 0);
    atomic_store(&S.submitted, 0);
    atomic_store(&S.written, 0);
    atomic_store(&S.rejected, 0);
    atomic_store(&S.processed, 0);
    atomic_store(&S.batches, 0);
    S.last_error[0] = '\0';
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&S.cv, &ca);
    pthread_condattr_destroy(&ca);
    if (S.backlog > 0) {
        lf_log_info(MODULE, "replaying %llu journal records left by an earlier process",
                    (unsigned long long)S.backlog);
    }
    S.started = 1;
    if (pthread_create(&S.thr, NULL, store_main, NULL) != 0) {
        S.started = 0;
        lf_journal_close(S.j);
        S.j = NULL;
        lf_free(S.conninfo);
        S.conninfo = NULL;
        snprintf(err, errlen, "cannot start the store thread");
        return LF_EIO;
    }
    return LF_OK;
}

void lf_store_stop(void)
{
    if (!S.started) {
        return;
    }
    pthread_mutex_lock(&S.mu);
    atomic_store(&S.stop, 1);
    pthread_cond_broadcast(&S.cv);
    pthread_mutex_unlock(&S.mu);
    pthread_join(S.thr, NULL);
    pthread_rwlock_wrlock(&S.life); /* wait for submitters still inside lf_store_submit() */
    S.started = 0;
    pthread_rwlock_unlock(&S.life);
    if (spooled() > 0) {
        lf_log_warn(MODULE, "stopping with %llu records still in the journal (written at next start)",
                    (unsigned long long)spooled());
    }
    lf_journal_close(S.j);
    S.j = NULL;
    pthread_cond_destroy(&S.cv);
    lf_free(S.conninfo);
    S.conninfo = NULL;
}

void lf_store_stats(struct lf_store_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!S.started) {
        return;
    }
    uint64_t processed = atomic_load(&S.processed);
    uint64_t own_done = processed > S.backlog ? processed - S.backlog : 0;
    uint64_t sub = atomic_load(&S.submitted);
    out->pending_writes = sub > own_done ? sub - own_done : 0;
    out->spooled_records = spooled();
    out->db_up = atomic_load(&S.db_up);
    pthread_mutex_lock(&S.err_mu);
    snprintf(out->last_error, sizeof(out->last_error), "%s", S.last_error);
    pthread_mutex_unlock(&S.err_mu);
    out->written_total = atomic_load(&S.written);
    out->replayed_total = processed < S.backlog ? processed : S.backlog;
    out->rejected_total = atomic_load(&S.rejected);
    out->submitted_total = sub;
    out->batches_total = atomic_load(&S.batches);
    out->journal_bytes = atomic_load(&S.journal_bytes);
    out->last_batch_us = atomic_load(&S.last_batch_us);
}

int lf_store_db_up(void)
{
    return S.started && atomic_load(&S.db_up);
}

int lf_store_wait_idle(int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    while (S.started && spooled() > 0) {
        if (now_ms() >= end) {
            return 0;
        }
        usleep(2000);
    }
    return 1;
}
