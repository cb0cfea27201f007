/*
 * core/src/keycache.h - in-memory snapshot of the API keys stored in PostgreSQL (auth without a DB round trip)
 * SPDX-License-Identifier: MIT
 *
 * A background thread reloads every key (hash, key id, user id, role, revoked) every few seconds with its own
 * libpq connection; create/revoke/erase update the snapshot at once. Lookups on the request path take a read
 * lock and a binary search: they never touch the database. Clear keys never enter the cache (SHA-256 hex only).
 */
#ifndef LF_CORE_KEYCACHE_H
#define LF_CORE_KEYCACHE_H

#include <stddef.h>
#include <lafactoria/plugin.h>

struct lf_keycache_entry {
    char key_id[37];  /* api_keys.id */
    char user_id[37]; /* users.id */
    int role;         /* enum lf_role (LF_ROLE_USER or LF_ROLE_ADMIN) */
};

/** Start the refresher (interval_ms <= 0: 3000). Does not wait for the database. */
enum lf_err lf_keycache_start(const char *conninfo, int interval_ms);
/** Stop the refresher and drop the snapshot. */
void lf_keycache_stop(void);
/** 1 once a snapshot has been loaded from the database at least once. */
int lf_keycache_loaded(void);
/** Block until a refresh has completed after this call (tests, admin); 0 on success, -1 on timeout. */
int lf_keycache_refresh_now(int timeout_ms);

/** Authenticate by the lower-case hex SHA-256 of a clear key: 1 and *out filled for an active key, else 0. */
int lf_keycache_lookup(const char sha256_hex[65], struct lf_keycache_entry *out);

/**
 * users.id for the records of a request authenticated with the key whose SHA-256 hex starts with `key_id16`
 * (struct lf_http.key_id). Revoked keys and keys of erased users still map to their user (records of an erased
 * user are then skipped by the store). Unknown ids (the bootstrap keys) map to LF_DB_SYSTEM_USER_ID.
 */
void lf_keycache_user_of(const char *key_id16, char out[37]);

/** A key was just created (clear key hashed by the caller): visible to lookups at once. */
void lf_keycache_add(const char sha256_hex[65], const char *key_id, const char *user_id, int role);
/** A key was just revoked: lookups fail at once. */
void lf_keycache_revoke(const char *key_id);
/** A user was just erased: every key of the user stops working at once. */
void lf_keycache_user_erased(const char *user_id);

#endif
