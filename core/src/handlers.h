/*
 * core/src/handlers.h - HTTP handlers (one function per route) and the runtime glue they share
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_CORE_HANDLERS_H
#define LF_CORE_HANDLERS_H

#include <jansson.h>

struct lf_http;
struct lf_registry;
struct lf_provider;

/* handlers_basic.c */
void lf_h_health(struct lf_http *h);
void lf_h_live(struct lf_http *h);
void lf_h_ready(struct lf_http *h);
void lf_h_api_health(struct lf_http *h);
void lf_h_content_types(struct lf_http *h);
void lf_h_static(struct lf_http *h);
void lf_h_root(struct lf_http *h);
void lf_h_docs(struct lf_http *h);
void lf_h_openapi(struct lf_http *h);
json_t *lf_readiness_reasons(struct lf_registry *reg);

/* handlers_gen.c */
void lf_h_generate(struct lf_http *h);
void lf_h_generate_batch(struct lf_http *h);

/* handlers_quality.c */
void lf_h_quality_assess(struct lf_http *h);

/* handlers_admin.c */
void lf_h_admin_reload(struct lf_http *h);
void lf_h_admin_plugins(struct lf_http *h);
void lf_h_providers(struct lf_http *h);
void lf_h_scorers(struct lf_http *h);

/* runtime.c: per-provider runtime state that survives reloads (circuit, stats), database status */
int lf_provider_routable(const struct lf_provider *p);
/* enabled with admin overrides (PATCH) applied */
int lf_provider_enabled(const struct lf_provider *p);
const char *lf_provider_state_name(const struct lf_provider *p);
void lf_db_readiness(json_t *reasons);
json_t *lf_db_health_json(void);

/* handlers_ops.c: detailed health, metrics (JSON and Prometheus), alerts */
void lf_h_health_detailed(struct lf_http *h);
void lf_h_metrics_prometheus(struct lf_http *h);
void lf_h_metrics_json(struct lf_http *h);
void lf_h_alerts(struct lf_http *h);

/* handlers_routing.c: live routing changes (admin overrides kept across reloads, see runtime.h) */
void lf_h_admin_provider_patch(struct lf_http *h);
/* handlers_admin.c: one provider as GET /api/v1/providers shows it (new reference) */
json_t *lf_provider_json(struct lf_provider *p, int detailed);

/* handlers_v1.c: OpenAI-compatible API (API.md §4) */
void lf_h_v1_chat_completions(struct lf_http *h);
void lf_h_v1_models(struct lf_http *h);

/* handlers_content.c: stored content, feedback, educational metrics, admin statistics (PostgreSQL via dbpool) */
void lf_h_content_get(struct lf_http *h);
void lf_h_content_delete(struct lf_http *h);
void lf_h_content_list(struct lf_http *h);
void lf_h_content_feedback(struct lf_http *h);
void lf_h_metrics_educational(struct lf_http *h);
void lf_h_admin_content_stats(struct lf_http *h);
void lf_h_admin_usage(struct lf_http *h);
void lf_h_admin_system_info(struct lf_http *h);

/* handlers_users.c: users, API keys, GDPR export and erasure */
void lf_h_admin_user_create(struct lf_http *h);
void lf_h_admin_user_list(struct lf_http *h);
void lf_h_admin_key_create(struct lf_http *h);
void lf_h_admin_key_revoke(struct lf_http *h);
void lf_h_admin_user_export(struct lf_http *h);
void lf_h_admin_user_erase(struct lf_http *h);

#endif
