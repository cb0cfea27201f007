/*
 * core/src/app.h - the application: startup, configuration and registry, auth, hooks around every response
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_CORE_APP_H
#define LF_CORE_APP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct lf_config;
struct lf_http;
struct lf_worker;

/** Load the configuration, build and publish the first registry generation. `config` is stolen. */
int lf_app_init(struct lf_config *config, char *err, size_t errlen);
/** Release everything (after lf_server_run returned). */
void lf_app_shutdown(void);

/** Configuration the process started with (server-level settings never change on reload). */
const struct lf_config *lf_app_config(void);

/** Auth (401/403) and rate limits (429) for h->route. Answers and returns -1 when the request must stop. */
int lf_app_authorize(struct lf_http *h);

/** Called once per response (metrics, access log). */
void lf_app_on_response(struct lf_http *h, int status, uint64_t total_ns, uint64_t overhead_ns, size_t bytes);

/** Per-worker resources (upstream client, metrics shard). */
int lf_app_worker_init(struct lf_worker *w, char *err, size_t errlen);
void lf_app_worker_stop(struct lf_worker *w);
/** Called on the worker's own thread before its loop runs. */
void lf_app_worker_bind(struct lf_worker *w);
/** Generations a request counts for (batch: one per content type). */
uint32_t lf_app_generation_units(struct lf_http *h);

/** Key of the bootstrap user / admin (generated when not configured). */
const char *lf_app_user_key(void);
const char *lf_app_admin_key(void);

/** Monotonic configuration generation (incremented by each successful reload). */
uint64_t lf_app_generation(void);

#endif
