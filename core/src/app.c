/*
 * core/src/app.c - startup, auth and per-response hooks
 * SPDX-License-Identifier: MIT
 */
#include "app.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "dbpool.h"
#include "keycache.h"
#include "handlers.h"
#include "healthprobe.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "migrate.h"
#include "ops.h"
#include "registry.h"
#include "runtime.h"
#include "store.h"
#include "upstream.h"
#include "server.h"
#include "util.h"

#define MODULE "app"

static struct lf_config *boot_config; /* a copy of the first configuration, for server-level settings */
static char *user_key, *admin_key;
static char user_sha[65], admin_sha[65]; /* SHA-256 of the bootstrap keys, computed once */
static atomic_ullong generation_counter;
static pthread_mutex_t reload_mu = PTHREAD_MUTEX_INITIALIZER;

const struct lf_config *lf_app_config(void)
{
    return boot_config;
}

const char *lf_app_user_key(void)
{
    return user_key;
}

const char *lf_app_admin_key(void)
{
    return admin_key;
}

uint64_t lf_app_generation(void)
{
    return atomic_load(&generation_counter);
}

static char *generate_key(const char *prefix)
{
    unsigned char b[24];
    char hex[49];
    lf_random_bytes(b, sizeof(b));
    for (size_t i = 0; i < sizeof(b); ++i)
        snprintf(hex + 2 * i, 3, "%02x", b[i]);
    return lf_asprintf("%s%s", prefix, hex);
}

int lf_app_init(struct lf_config *config, char *err, size_t errlen)
{
    char e2[512];
    /* the boot copy keeps server settings; the registry owns `config` */
    if (lf_config_load_string("{}", "boot", &boot_config, e2, sizeof(e2)) != 0) {
        snprintf(err, errlen, "%s", e2);
        lf_config_free(config);
        return -1;
    }
    /* copy the scalar server settings that never change at runtime */
    lf_free(boot_config->host);
    boot_config->host = lf_strdup(config->host);
    boot_config->port = config->port;
    boot_config->workers = config->workers;
    boot_config->max_body_bytes = config->max_body_bytes;
    boot_config->http2 = config->http2;
    boot_config->shutdown_timeout_ms = config->shutdown_timeout_ms;
    boot_config->request_deadline_ms = config->request_deadline_ms;
    boot_config->access_log = config->access_log;
    lf_free(boot_config->environment);
    boot_config->environment = lf_strdup(config->environment);
    boot_config->metrics_require_key = config->metrics_require_key;

    if (config->api_key == NULL) {
        user_key = generate_key("lf_user_");
        fprintf(stderr, "LA_FACTORIA_API_KEY is not set: generated a user key for this run (shown once): %s\n",
                user_key);
    } else {
        user_key = lf_strdup(config->api_key);
    }
    if (config->admin_key == NULL) {
        admin_key = generate_key("lf_admin_");
        fprintf(stderr, "LA_FACTORIA_ADMIN_KEY is not set: generated an admin key for this run (shown once): %s\n",
                admin_key);
    } else {
        admin_key = lf_strdup(config->admin_key);
    }
    lf_sha256_hex(user_key, strlen(user_key), user_sha);
    lf_sha256_hex(admin_key, strlen(admin_key), admin_sha);
    if (strcmp(user_key, admin_key) == 0) {
        snprintf(err, errlen, "LA_FACTORIA_API_KEY and LA_FACTORIA_ADMIN_KEY must differ");
        lf_config_free(config);
        return -1;
    }
    lf_runtime_init(config);
    if (config->database_url != NULL) {
        char merr[512];
        if (lf_migrate_run(config->database_url, config->migrations_dir, merr, sizeof(merr)) != LF_OK)
            lf_log_warn(MODULE, "migrations not applied now (the store retries in the background): %s", merr);
        struct lf_store_options so = {.conninfo = config->database_url,
                                      .journal_dir = config->journal_dir,
                                      .fsync_interval_ms = config->fsync_interval_ms};
        if (lf_store_start(&so, merr, sizeof(merr)) != LF_OK) {
            snprintf(err, errlen, "store: %s", merr);
            lf_config_free(config);
            return -1;
        }
        /* reads and admin writes (db.h) run on their own threads; DB API keys authenticate via the key cache */
        if (lf_dbpool_start(config->database_url, 4) != LF_OK)
            lf_log_warn(MODULE, "database pool not started: stored-content endpoints answer 503");
    }
    uint64_t gen = atomic_fetch_add(&generation_counter, 1) + 1;
    struct lf_registry *reg = lf_registry_build(config, NULL, gen, err, errlen);
    if (reg == NULL)
        return -1;
    lf_registry_publish(reg);
    lf_runtime_retain(reg);
    lf_ops_start();
    return 0;
}

void lf_app_shutdown(void)
{
    lf_ops_stop();
    lf_registry_shutdown();
    lf_dbpool_stop();
    lf_store_stop();
    lf_runtime_shutdown();
    lf_config_free(boot_config);
    boot_config = NULL;
    lf_free(user_key);
    lf_free(admin_key);
    user_key = admin_key = NULL;
}

/* ---- auth ---- */

static int bearer(struct lf_http *h, const char **tok, size_t *len)
{
    ssize_t i = h2o_find_header(&h->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0)
        return 0;
    h2o_iovec_t v = h->req->headers.entries[i].value;
    if (v.len < 7 || strncasecmp(v.base, "Bearer ", 7) != 0)
        return -1;
    *tok = v.base + 7;
    *len = v.len - 7;
    while (*len > 0 && (*tok)[0] == ' ') {
        ++*tok;
        --*len;
    }
    return *len > 0 ? 1 : -1;
}

int lf_app_authorize(struct lf_http *h)
{
    int need = h->route->auth;
    if (need == LF_AUTH_PUBLIC || (need == LF_AUTH_METRICS && !boot_config->metrics_require_key))
        return 0;
    uint64_t retry_s = 0;
    if (lf_runtime_auth_blocked(h->client_addr, &retry_s)) {
        char ra[32];
        snprintf(ra, sizeof(ra), "%llu", (unsigned long long)retry_s);
        lf_http_add_header(h, "Retry-After", ra);
        lf_http_send_error(h, 429, "RATE_LIMITED",
                           json_pack("{s:s,s:I,s:i}", "limit_name", "auth_failures_per_minute", "retry_after",
                                     (json_int_t)retry_s, "window_seconds", 60),
                           "too many failed authentication attempts from this address; retry in %llu s",
                           (unsigned long long)retry_s);
        return -1;
    }
    const char *tok = NULL;
    size_t len = 0;
    int b = bearer(h, &tok, &len);
    int role = LF_ROLE_NONE;
    char sha[65];
    if (b == 1) {
        /* one digest per request, compared in constant time with the bootstrap keys' digests */
        lf_sha256_hex(tok, len, sha);
        if (lf_consttime_memeq(sha, admin_sha, 64))
            role = LF_ROLE_ADMIN;
        else if (lf_consttime_memeq(sha, user_sha, 64))
            role = LF_ROLE_USER;
        if (role != LF_ROLE_NONE) {
            snprintf(h->user_id, sizeof(h->user_id), "%s", LF_DB_SYSTEM_USER_ID);
        } else {
            /* keys stored (hashed) in PostgreSQL: an in-memory snapshot, never a database round trip */
            struct lf_keycache_entry ke;
            if (lf_keycache_lookup(sha, &ke)) {
                role = ke.role;
                snprintf(h->user_id, sizeof(h->user_id), "%s", ke.user_id);
            }
        }
    }
    if (role == LF_ROLE_NONE) {
        lf_runtime_auth_failure(h->client_addr, &retry_s);
        lf_http_add_header(h, "WWW-Authenticate", "Bearer realm=\"lafactoria\"");
        lf_http_send_error(h, 401, "UNAUTHORIZED", NULL,
                           b == 0 ? "missing bearer key in the Authorization header" : "invalid bearer key");
        return -1;
    }
    memcpy(h->key_id, sha, 16);
    h->key_id[16] = '\0';
    h->role = role;
    if (need == LF_AUTH_ADMIN && role != LF_ROLE_ADMIN) {
        lf_http_send_error(h, 403, "FORBIDDEN", json_pack("{s:s}", "required_role", "admin"),
                           "this endpoint requires the admin key");
        return -1;
    }
    if (h->route->flags & LF_ROUTE_NO_RATELIMIT)
        return 0;
    return lf_runtime_ratelimit(h, h->route->flags & LF_ROUTE_GENERATION ? lf_app_generation_units(h) : 0);
}

/* ---- per-response hook ---- */

void lf_app_on_response(struct lf_http *h, int status, uint64_t total_ns, uint64_t overhead_ns, size_t bytes)
{
    if (h->worker != NULL && h->worker->metrics != NULL) {
        enum lf_metrics_route rg = h->route != NULL ? lf_metrics_route_of_path(h->route->pattern, strlen(h->route->pattern))
                                                    : LF_METRICS_ROUTE_OTHER;
        lf_metrics_http(h->worker->metrics, rg, status, total_ns / 1000, overhead_ns / 1000,
                        h->req->entity.base != NULL ? h->req->entity.len : 0, bytes);
    }
    lf_runtime_store_api_usage(h, status, total_ns, bytes);
    if (!boot_config->access_log)
        return;
    char ts[40];
    lf_rfc3339(lf_wall_ms(), ts, sizeof(ts));
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s#,s:s#,s:i,s:f,s:I,s:I}", "ts", ts, "level", "info", "module",
                          "access", "request_id", h->request_id, "method", h->req->method.base,
                          (int)h->req->method.len, "path", h->req->path_normalized.base,
                          (int)h->req->path_normalized.len, "status", status, "latency_ms", (double)total_ns / 1e6,
                          "overhead_us", (json_int_t)(overhead_ns / 1000), "bytes", (json_int_t)bytes);
    if (h->route != NULL)
        json_object_set_new(o, "route", json_string(h->route->pattern));
    if (h->key_id[0] != '\0')
        json_object_set_new(o, "key_id", json_string(h->key_id));
    if (h->log_provider != NULL)
        json_object_set_new(o, "provider", json_string(h->log_provider));
    if (h->log_cost_set)
        json_object_set_new(o, "cost_usd", json_real(h->log_cost));
    lf_log_json(o);
    json_decref(o);
}

int lf_app_worker_init(struct lf_worker *w, char *err, size_t errlen)
{
    struct lf_upstream_config uc;
    memset(&uc, 0, sizeof(uc));
    uc.default_timeout_ms = (uint32_t)boot_config->request_deadline_ms;
    w->upstream = lf_upstream_new(w->ctx.loop, &uc);
    if (w->upstream == NULL) {
        snprintf(err, errlen, "worker %u: cannot create the upstream HTTP client", w->id);
        return -1;
    }
    w->metrics = lf_metrics_shard(lf_runtime_metrics(), (int)w->id);
    return 0;
}

void lf_app_worker_bind(struct lf_worker *w)
{
    lf_metrics_bind_thread(w->metrics);
    lf_healthprobe_start(w);
}

void lf_app_worker_stop(struct lf_worker *w)
{
    lf_healthprobe_stop(w);
    lf_dbpool_worker_stop(w);
    lf_upstream_free(w->upstream);
    w->upstream = NULL;
}

/* ---- reload ---- */

json_t *lf_server_reload(int *ok)
{
    char err[512];
    struct lf_config *cfg = NULL;
    pthread_mutex_lock(&reload_mu);
    json_t *result = NULL;
    struct lf_registry *old = lf_registry_acquire();
    if (lf_config_load(NULL, &cfg, err, sizeof(err)) != 0) {
        *ok = 0;
        result = json_pack("{s:I,s:[],s:[],s:[],s:[s]}", "config_generation", (json_int_t)old->generation, "loaded",
                           "unloaded", "unchanged", "errors", err);
        goto Exit;
    }
    uint64_t gen = atomic_load(&generation_counter) + 1;
    struct lf_registry *reg = lf_registry_build(cfg, old, gen, err, sizeof(err));
    if (reg == NULL) {
        *ok = 0;
        result = json_pack("{s:I,s:[],s:[],s:[],s:[s]}", "config_generation", (json_int_t)old->generation, "loaded",
                           "unloaded", "unchanged", "errors", err);
        goto Exit;
    }
    atomic_store(&generation_counter, gen);
    json_t *loaded = json_array(), *unloaded = json_array(), *unchanged = json_array();
    for (size_t i = 0; i < reg->nfiles; ++i) {
        struct lf_plugin_file *pf = reg->files[i];
        json_t *entry = json_pack("{s:s,s:s,s:s}", "name", pf->desc.name, "version", pf->desc.version, "file",
                                  pf->file);
        json_array_append_new(pf->loaded_generation == gen ? loaded : unchanged, entry);
    }
    for (size_t i = 0; i < old->nfiles; ++i) {
        int kept = 0;
        for (size_t k = 0; k < reg->nfiles; ++k)
            if (reg->files[k] == old->files[i])
                kept = 1;
        if (!kept)
            json_array_append_new(unloaded, json_pack("{s:s,s:s,s:s}", "name", old->files[i]->desc.name, "version",
                                                      old->files[i]->desc.version, "file", old->files[i]->file));
    }
    json_t *errors = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(reg->refusals, i, r) json_array_append(errors, json_object_get(r, "error"));
    result = json_pack("{s:I,s:o,s:o,s:o,s:o}", "config_generation", (json_int_t)gen, "loaded", loaded, "unloaded",
                       unloaded, "unchanged", unchanged, "errors", errors);
    /* process-wide state follows the new generation: rate limits, key budgets, provider runtime state and
     * budget limits (done here, not during the build, so a failed reload changes nothing) */
    lf_runtime_apply_config(reg->config);
    lf_runtime_retain(reg);
    lf_registry_publish(reg);
    *ok = 1;
    lf_log_fields(LF_LOG_LVL_INFO, MODULE, json_pack("{s:I}", "generation", (json_int_t)gen),
                  "configuration reloaded");
Exit:
    if (!*ok)
        lf_log_warn(MODULE, "reload failed, nothing changed: %s", err);
    lf_registry_release(old);
    pthread_mutex_unlock(&reload_mu);
    return result;
}

uint32_t lf_app_generation_units(struct lf_http *h)
{
    if (h->route->fn != lf_h_generate_batch)
        return 1;
    /* a batch counts one generation per requested type (an invalid body counts one: it gets its 400) */
    json_t *b = h->req->entity.base ? json_loadb(h->req->entity.base, h->req->entity.len, 0, NULL) : NULL;
    size_t n = json_array_size(json_object_get(b, "content_types"));
    json_decref(b);
    return n > 0 && n <= 8 ? (uint32_t)n : 1;
}
