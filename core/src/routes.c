/*
 * core/src/routes.c - the route table (order matters only for identical patterns)
 * SPDX-License-Identifier: MIT
 */
#include "handlers.h"
#include "server.h"

const struct lf_route lf_routes[] = {
    {"GET", "/health", LF_AUTH_PUBLIC, LF_ROUTE_NO_RATELIMIT, "health", lf_h_health},
    {"GET", "/api/v1/live", LF_AUTH_PUBLIC, LF_ROUTE_NO_RATELIMIT, "health", lf_h_live},
    {"GET", "/api/v1/ready", LF_AUTH_PUBLIC, LF_ROUTE_NO_RATELIMIT, "health", lf_h_ready},
    {"GET", "/api/v1/health", LF_AUTH_PUBLIC, 0, "health", lf_h_api_health},
    {"GET", "/api/v1/health/detailed", LF_AUTH_PUBLIC, 0, "health", lf_h_health_detailed},
    {"GET", "/metrics", LF_AUTH_METRICS, LF_ROUTE_NO_RATELIMIT, "metrics", lf_h_metrics_prometheus},
    {"GET", "/api/v1/metrics", LF_AUTH_PUBLIC, 0, "metrics", lf_h_metrics_json},
    {"GET", "/api/v1/alerts", LF_AUTH_PUBLIC, 0, "metrics", lf_h_alerts},
    {"GET", "/api/v1/content-types", LF_AUTH_PUBLIC, 0, "other", lf_h_content_types},
    {"POST", "/api/v1/generate/batch", LF_AUTH_USER, LF_ROUTE_JSON_BODY | LF_ROUTE_GENERATION, "batch",
     lf_h_generate_batch},
    {"POST", "/api/v1/generate/{}", LF_AUTH_USER, LF_ROUTE_JSON_BODY | LF_ROUTE_GENERATION, "generate",
     lf_h_generate},
    {"POST", "/api/v1/quality/assess", LF_AUTH_USER, LF_ROUTE_JSON_BODY, "other", lf_h_quality_assess},
    {"POST", "/v1/chat/completions", LF_AUTH_USER, LF_ROUTE_JSON_BODY | LF_ROUTE_GENERATION, "v1",
     lf_h_v1_chat_completions},
    {"GET", "/v1/models", LF_AUTH_USER, 0, "v1", lf_h_v1_models},
    {"GET", "/api/v1/providers", LF_AUTH_USER, 0, "other", lf_h_providers},
    {"GET", "/api/v1/scorers", LF_AUTH_USER, 0, "other", lf_h_scorers},
    {"POST", "/api/v1/admin/reload", LF_AUTH_ADMIN, 0, "admin", lf_h_admin_reload},
    {"GET", "/api/v1/admin/plugins", LF_AUTH_ADMIN, 0, "admin", lf_h_admin_plugins},
    {"PATCH", "/api/v1/admin/providers/{}", LF_AUTH_ADMIN, LF_ROUTE_JSON_BODY, "admin", lf_h_admin_provider_patch},
    {"GET", "/api/v1/content", LF_AUTH_USER, 0, "content", lf_h_content_list},
    {"GET", "/api/v1/content/{}", LF_AUTH_USER, 0, "content", lf_h_content_get},
    {"DELETE", "/api/v1/content/{}", LF_AUTH_USER, 0, "content", lf_h_content_delete},
    {"POST", "/api/v1/content/{}/feedback", LF_AUTH_USER, LF_ROUTE_JSON_BODY, "content", lf_h_content_feedback},
    {"GET", "/api/v1/metrics/educational", LF_AUTH_PUBLIC, 0, "metrics", lf_h_metrics_educational},
    {"GET", "/api/v1/admin/content/stats", LF_AUTH_ADMIN, 0, "admin", lf_h_admin_content_stats},
    {"GET", "/api/v1/admin/usage", LF_AUTH_ADMIN, 0, "admin", lf_h_admin_usage},
    {"GET", "/api/v1/admin/system/info", LF_AUTH_ADMIN, 0, "admin", lf_h_admin_system_info},
    {"GET", "/api/v1/admin/users", LF_AUTH_ADMIN, 0, "admin", lf_h_admin_user_list},
    {"POST", "/api/v1/admin/users", LF_AUTH_ADMIN, LF_ROUTE_JSON_BODY, "admin", lf_h_admin_user_create},
    {"POST", "/api/v1/admin/users/{}/keys", LF_AUTH_ADMIN, 0, "admin", lf_h_admin_key_create},
    {"DELETE", "/api/v1/admin/keys/{}", LF_AUTH_ADMIN, 0, "admin", lf_h_admin_key_revoke},
    {"GET", "/api/v1/admin/users/{}/export", LF_AUTH_ADMIN, 0, "admin", lf_h_admin_user_export},
    {"DELETE", "/api/v1/admin/users/{}", LF_AUTH_ADMIN, 0, "admin", lf_h_admin_user_erase},
    {"GET", "/", LF_AUTH_PUBLIC, 0, "static", lf_h_root},
    {"GET", "/static/{}", LF_AUTH_PUBLIC, 0, "static", lf_h_static},
    {"GET", "/docs", LF_AUTH_PUBLIC, 0, "static", lf_h_docs},
    {"GET", "/openapi.json", LF_AUTH_PUBLIC, 0, "static", lf_h_openapi},
};

const size_t lf_nroutes = sizeof(lf_routes) / sizeof(lf_routes[0]);
