/*
 * core/src/handlers_users.c - admin users and API keys, GDPR export and erasure (API.md §5)
 * SPDX-License-Identifier: MIT
 *
 * Keys are created by db.h (clear key returned once, SHA-256 stored); the key cache is updated on the pool
 * thread right after the database commit, so a new key works and a revoked key fails at once.
 */
#include <string.h>

#include "db.h"
#include "dbpool.h"
#include "handlers.h"
#include "keycache.h"
#include "mem.h"
#include "server.h"
#include "store.h"
#include "util.h"

#define MODULE "users"

static int role_value(const char *r)
{
    return strcmp(r, "admin") == 0 ? LF_ROLE_ADMIN : LF_ROLE_USER;
}

/* after a key was created: make it usable at once (out = {id, key, role, ...}) */
static void cache_new_key(const json_t *key, const char *user_id)
{
    const char *clear = json_string_value(json_object_get(key, "key"));
    const char *kid = json_string_value(json_object_get(key, "id"));
    const char *role = json_string_value(json_object_get(key, "role"));
    if (clear == NULL || kid == NULL || user_id == NULL)
        return;
    char hash[65];
    lf_db_key_hash(clear, hash);
    lf_keycache_add(hash, kid, user_id, role_value(role ? role : "user"));
}

static int bad_role(struct lf_http *h, const json_t *role)
{
    if (role == NULL || json_is_null(role))
        return 0;
    if (json_is_string(role) && (strcmp(json_string_value(role), "user") == 0 ||
                                 strcmp(json_string_value(role), "admin") == 0))
        return 0;
    lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s,s:[ss]}", "field", "role", "allowed", "user", "admin"),
                       "role must be \"user\" or \"admin\"");
    return 1;
}

/* ---- POST /api/v1/admin/users ---- */

static enum lf_err run_user_create(struct lf_dbcall *c)
{
    enum lf_err rc = lf_db_user_create(c->s[0], c->s[1], c->s[2], &c->out);
    if (rc == LF_OK)
        cache_new_key(json_object_get(c->out, "api_key"),
                      json_string_value(json_object_get(json_object_get(c->out, "user"), "id")));
    else if (rc == LF_EINVAL)
        snprintf(c->errmsg, sizeof(c->errmsg), "username or email is already taken");
    return rc;
}

static int valid_username(const char *s, size_t len)
{
    if (len < 3 || len > 100)
        return 0;
    for (size_t i = 0; i < len; ++i) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-' || ch == '.'))
            return 0;
    }
    return 1;
}

static int valid_email(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    return len >= 3 && len <= 255 && at != NULL && at != s && at != s + len - 1 && memchr(s, ' ', len) == NULL;
}

void lf_h_admin_user_create(struct lf_http *h)
{
    json_t *body = lf_http_body_json(h);
    if (body == NULL)
        return;
    json_t *u = json_object_get(body, "username");
    json_t *e = json_object_get(body, "email");
    json_t *r = json_object_get(body, "role");
    if (!json_is_string(u) || !valid_username(json_string_value(u), json_string_length(u))) {
        lf_http_send_error(h, 400, "INVALID_REQUEST",
                           json_pack("{s:s,s:i,s:i}", "field", "username", "min_length", 3, "max_length", 100),
                           "username must be 3 to 100 characters of letters, digits, '_', '-' or '.'");
        goto Exit;
    }
    if (e != NULL && !json_is_null(e) &&
        (!json_is_string(e) || !valid_email(json_string_value(e), json_string_length(e)))) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s}", "field", "email"),
                           "email must be an address of at most 255 characters");
        goto Exit;
    }
    if (bad_role(h, r))
        goto Exit;
    struct lf_dbcall *c = lf_dbcall_new(h, run_user_create, 201);
    c->s[0] = lf_strdup(json_string_value(u));
    c->s[1] = json_is_string(e) ? lf_strdup(json_string_value(e)) : NULL;
    c->s[2] = json_is_string(r) ? lf_strdup(json_string_value(r)) : NULL;
    lf_dbcall_submit(h, c);
Exit:
    json_decref(body);
}

/* ---- GET /api/v1/admin/users ---- */

static enum lf_err run_user_list(struct lf_dbcall *c)
{
    return lf_db_user_list((int)c->n[0], &c->out);
}

void lf_h_admin_user_list(struct lf_http *h)
{
    struct lf_dbcall *c = lf_dbcall_new(h, run_user_list, 200);
    c->n[0] = 1000;
    lf_dbcall_submit(h, c);
}

/* ---- POST /api/v1/admin/users/{id}/keys ---- */

static enum lf_err run_key_create(struct lf_dbcall *c)
{
    enum lf_err rc = lf_db_key_create(c->s[0], c->s[1], c->s[2], &c->out);
    if (rc == LF_OK)
        cache_new_key(c->out, c->s[0]);
    else if (rc == LF_EINVAL)
        snprintf(c->errmsg, sizeof(c->errmsg), "role must be user or admin and name at most 100 characters");
    return rc;
}

void lf_h_admin_key_create(struct lf_http *h)
{
    const char *uid = lf_http_param(h, 0);
    json_t *body = NULL;
    json_t *r = NULL, *n = NULL;
    if (h->req->entity.base != NULL && h->req->entity.len > 0) {
        body = lf_http_body_json(h);
        if (body == NULL)
            return;
        r = json_object_get(body, "role");
        n = json_object_get(body, "name");
    }
    if (!lf_store_is_uuid(uid)) {
        lf_http_send_error(h, 404, "NOT_FOUND", NULL, "no user with this id");
        goto Exit;
    }
    if (bad_role(h, r))
        goto Exit;
    if (n != NULL && !json_is_null(n) && (!json_is_string(n) || json_string_length(n) > 100)) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s,s:i}", "field", "name", "max_length", 100),
                           "name must be a string of at most 100 characters");
        goto Exit;
    }
    struct lf_dbcall *c = lf_dbcall_new(h, run_key_create, 201);
    c->s[0] = lf_strdup(uid);
    c->s[1] = json_is_string(r) ? lf_strdup(json_string_value(r)) : NULL;
    c->s[2] = json_is_string(n) ? lf_strdup(json_string_value(n)) : NULL;
    c->notfound = "no user with this id";
    lf_dbcall_submit(h, c);
Exit:
    json_decref(body);
}

/* ---- DELETE /api/v1/admin/keys/{key_id} ---- */

static enum lf_err run_key_revoke(struct lf_dbcall *c)
{
    enum lf_err rc = lf_db_key_revoke(c->s[0]);
    if (rc == LF_OK)
        lf_keycache_revoke(c->s[0]);
    return rc;
}

void lf_h_admin_key_revoke(struct lf_http *h)
{
    const char *kid = lf_http_param(h, 0);
    if (!lf_store_is_uuid(kid)) {
        lf_http_send_error(h, 404, "NOT_FOUND", NULL, "no API key with this id");
        return;
    }
    struct lf_dbcall *c = lf_dbcall_new(h, run_key_revoke, 204);
    c->s[0] = lf_strdup(kid);
    c->notfound = "no API key with this id";
    lf_dbcall_submit(h, c);
}

/* ---- GET /api/v1/admin/users/{id}/export, DELETE /api/v1/admin/users/{id} ---- */

static enum lf_err run_user_export(struct lf_dbcall *c)
{
    return lf_db_user_export(c->s[0], &c->out);
}

void lf_h_admin_user_export(struct lf_http *h)
{
    const char *uid = lf_http_param(h, 0);
    if (!lf_store_is_uuid(uid)) {
        lf_http_send_error(h, 404, "NOT_FOUND", NULL, "no user with this id");
        return;
    }
    struct lf_dbcall *c = lf_dbcall_new(h, run_user_export, 200);
    c->s[0] = lf_strdup(uid);
    c->notfound = "no user with this id";
    lf_dbcall_submit(h, c);
}

static enum lf_err run_user_erase(struct lf_dbcall *c)
{
    enum lf_err rc = lf_db_user_erase(c->s[0], &c->out);
    if (rc == LF_OK)
        lf_keycache_user_erased(c->s[0]);
    else if (rc == LF_EINVAL)
        snprintf(c->errmsg, sizeof(c->errmsg), "the system user cannot be erased");
    return rc;
}

void lf_h_admin_user_erase(struct lf_http *h)
{
    const char *uid = lf_http_param(h, 0);
    if (!lf_store_is_uuid(uid)) {
        lf_http_send_error(h, 404, "NOT_FOUND", NULL, "no user with this id");
        return;
    }
    struct lf_dbcall *c = lf_dbcall_new(h, run_user_erase, 200);
    c->s[0] = lf_strdup(uid);
    c->notfound = "no user with this id";
    lf_dbcall_submit(h, c);
}
