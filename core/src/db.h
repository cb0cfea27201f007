/*
 * core/src/db.h - synchronous PostgreSQL reads and admin writes (small connection pool)
 * SPDX-License-Identifier: MIT
 *
 * Every call blocks for one or a few short parameterised queries (PQexecParams), so call these off the
 * event loop (a worker pool) or accept a short block. Results are jansson objects ready to send (owned by
 * the caller). Generation-path writes never come here: they go through the store (store.h).
 *
 * Identity: `user_id` is the caller's users.id (uuid text); `is_admin` lifts the owner check.
 * Errors: LF_OK; LF_ENOTFOUND (no such row, or not the caller's); LF_EINVAL (malformed id, cursor or
 * value, or a unique name already taken); LF_EIO (database unreachable or failing; see lf_db_last_error()).
 */
#ifndef LF_CORE_DB_H
#define LF_CORE_DB_H

#include <stddef.h>
#include <jansson.h>
#include <lafactoria/plugin.h>

/** users.id of the seed users of migration 001. */
#define LF_DB_SYSTEM_USER_ID "00000000-0000-0000-0000-000000000001"
#define LF_DB_DEMO_USER_ID "00000000-0000-0000-0000-000000000002"

/** Set up a pool of `pool_size` (default 4 when <= 0) lazily opened connections. Never connects here. */
enum lf_err lf_db_init(const char *conninfo, int pool_size);
/** Close every connection. */
void lf_db_shutdown(void);
/** Copy of the last database error (no conninfo, no row data) into out. */
void lf_db_last_error(char *out, size_t outlen);

/** SELECT 1; latency in milliseconds into *latency_ms (may be NULL). */
enum lf_err lf_db_ping(double *latency_ms);

/**
 * The stored generation response {id, content_type, topic, age_group, generated_content, quality_metrics,
 * metadata, learning_objectives, additional_requirements, created_at}. LF_ENOTFOUND when absent or not the
 * caller's (and not admin).
 */
enum lf_err lf_db_content_get(const char *id, const char *user_id, int is_admin, json_t **out);

struct lf_db_content_filter {
    const char *user_id;      /* caller */
    int is_admin;             /* admin lists everybody's content */
    const char *content_type; /* NULL = any */
    const char *age_group;    /* NULL = any */
    int limit;                /* 1..100, default 50 */
    const char *cursor;       /* next_cursor of the previous page, or NULL */
};

/** {items:[<as lf_db_content_get>], next_cursor: string|null}, newest first (created_at, id). */
enum lf_err lf_db_content_list(const struct lf_db_content_filter *f, json_t **out);

/** Delete content (its assessments and feedback go with it). LF_ENOTFOUND if absent or not the caller's. */
enum lf_err lf_db_content_delete(const char *id, const char *user_id, int is_admin);

/**
 * Store feedback on content visible to the caller: rating 1..5, feedback_type <= 50 chars, text <= 2000
 * code points (else LF_EINVAL). *out = {id, content_id, rating, feedback_type, feedback_text, created_at}.
 */
enum lf_err lf_db_feedback_insert(const char *content_id, const char *user_id, int is_admin, int rating,
                                  const char *feedback_type, const char *feedback_text, json_t **out);

/**
 * GET /api/v1/metrics/educational (API.md section 6): {timestamp, total_content, content_last_24h,
 * by_content_type[] (24 h), quality_distribution (24 h), threshold_pass_rates (7 days), hourly_last_24h[],
 * quality_thresholds}. Thresholds are the configured ones (defaults 0.70, 0.75, 0.85).
 */
enum lf_err lf_db_metrics_educational(double overall, double educational, double factual, json_t **out);

/** GET /api/v1/admin/content/stats: totals, per type, age group, provider, 24 h / 7 d, cost, feedback. */
enum lf_err lf_db_admin_content_stats(json_t **out);

/** GET /api/v1/admin/usage: {items:[...], count} newest first; since (RFC 3339) and user_id optional. */
enum lf_err lf_db_usage_list(const char *since, const char *user_id, int limit, json_t **out);

/**
 * Create a user with role "user" or "admin" and a first API key. *out = {user:{id, username, email, role,
 * created_at}, api_key:{id, key, key_prefix, role, created_at}}: `key` is the clear key, returned only here.
 * LF_EINVAL if the username or email is taken or invalid.
 */
enum lf_err lf_db_user_create(const char *username, const char *email, const char *role, json_t **out);

/** {items:[{id, username, email, role, is_active, created_at, content_count, active_keys}], count}. */
enum lf_err lf_db_user_list(int limit, json_t **out);

/** A new key for an existing user: {id, key, key_prefix, role, name, created_at}; the clear key only here. */
enum lf_err lf_db_key_create(const char *user_id, const char *role, const char *name, json_t **out);

/** Revoke a key by api_keys.id (idempotent). LF_ENOTFOUND if no such key. */
enum lf_err lf_db_key_revoke(const char *key_id);

struct lf_db_key_info {
    char key_id[37];
    char user_id[37];
    char role[16];
    char username[256];
};

/**
 * Authenticate a clear bearer key: hashes it (SHA-256) and looks the hash up among unrevoked keys of
 * active users. LF_ENOTFOUND when unknown or revoked. The clear key is never stored or logged.
 */
enum lf_err lf_db_key_lookup(const char *key, struct lf_db_key_info *out);

/** Lower-case hex SHA-256 of `key` (the api_keys.key_hash and api_usage.api_key_hash format). */
void lf_db_key_hash(const char *key, char out[65]);

/** GDPR access: {user, api_keys (no hashes), content, quality_assessments, feedback, api_usage, sessions,
 *  provider_attempts, exported_at}. LF_ENOTFOUND if no such user. */
enum lf_err lf_db_user_export(const char *user_id, json_t **out);

/**
 * GDPR erasure in one transaction: the user and every linked row. *out = {user_id, deleted:{users,
 * educational_content, quality_assessments, content_feedback, api_usage, content_generation_sessions,
 * provider_attempts, api_keys, budget_spend}} with the counts actually deleted. The seed user "system"
 * cannot be erased (LF_EINVAL). LF_ENOTFOUND if no such user.
 */
enum lf_err lf_db_user_erase(const char *user_id, json_t **out);

/** {version, server_version_num, database_size_bytes, schema_version, tables:{name: row estimate}}. */
enum lf_err lf_db_system_info(json_t **out);

#endif
