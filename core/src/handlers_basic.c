/*
 * core/src/handlers_basic.c - health, liveness, readiness, content types, static pages
 * SPDX-License-Identifier: MIT
 */
#include "handlers.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "config.h"
#include "content_types.h"
#include "mem.h"
#include "registry.h"
#include "server.h"
#include "util.h"

static void now_str(char *buf, size_t len)
{
    lf_rfc3339(lf_wall_ms(), buf, len);
}

void lf_h_health(struct lf_http *h)
{
    /* constant time: touches no database and no provider */
    char ts[40];
    now_str(ts, sizeof(ts));
    lf_http_send_json(h, 200, json_pack("{s:s,s:s,s:s,s:s}", "status", "healthy", "timestamp", ts, "version",
                                        LF_VERSION, "environment", lf_app_config()->environment));
}

void lf_h_live(struct lf_http *h)
{
    char ts[40];
    now_str(ts, sizeof(ts));
    lf_http_send_json(h, 200, json_pack("{s:s,s:s,s:s}", "status", "alive", "timestamp", ts, "version", LF_VERSION));
}

/* Reasons why nothing can serve (new array; empty when ready). */
json_t *lf_readiness_reasons(struct lf_registry *reg)
{
    json_t *reasons = json_array();
    size_t enabled = 0;
    for (size_t i = 0; i < reg->nproviders; ++i)
        if (reg->providers[i].enabled && lf_provider_routable(&reg->providers[i]))
            ++enabled;
    if (enabled == 0)
        json_array_append_new(reasons, json_string("no_provider_available"));
    lf_db_readiness(reasons);
    return reasons;
}

void lf_h_ready(struct lf_http *h)
{
    struct lf_registry *reg = lf_registry_acquire();
    json_t *reasons = lf_readiness_reasons(reg);
    lf_registry_release(reg);
    if (json_array_size(reasons) == 0) {
        json_decref(reasons);
        lf_http_send_json(h, 200, json_pack("{s:s}", "status", "ready"));
    } else {
        lf_http_send_json(h, 503, json_pack("{s:s,s:o}", "status", "not ready", "reasons", reasons));
    }
}

void lf_h_api_health(struct lf_http *h)
{
    char ts[40];
    now_str(ts, sizeof(ts));
    struct lf_registry *reg = lf_registry_acquire();
    size_t penabled = 0, pavail = 0, senabled = 0;
    json_t *plist = json_array();
    for (size_t i = 0; i < reg->nproviders; ++i) {
        struct lf_provider *p = &reg->providers[i];
        int enabled = lf_provider_enabled(p); /* admin overrides included */
        int routable = enabled && lf_provider_routable(p);
        penabled += enabled != 0;
        pavail += routable != 0;
        json_array_append_new(plist, json_pack("{s:s,s:b,s:s}", "name", p->name, "enabled", enabled, "state",
                                               lf_provider_state_name(p)));
    }
    for (size_t i = 0; i < reg->nscorers; ++i)
        senabled += reg->scorers[i].enabled != 0;
    json_t *db = lf_db_health_json();
    const char *dbstatus = json_string_value(json_object_get(db, "status"));
    const char *status = "healthy";
    if (pavail == 0)
        status = "unhealthy";
    else if (pavail < penabled || (dbstatus != NULL && strcmp(dbstatus, "down") == 0) ||
             senabled < reg->nscorers)
        status = "degraded";
    json_t *body = json_pack("{s:s,s:s,s:s,s:{s:o,s:{s:s,s:I,s:I,s:I,s:o},s:{s:s,s:I,s:I}}}", "status", status,
                             "timestamp", ts, "version", LF_VERSION, "services", "database", db, "providers",
                             "status", pavail > 0 ? "up" : "down", "configured", (json_int_t)reg->nproviders,
                             "enabled", (json_int_t)penabled, "available", (json_int_t)pavail, "items", plist,
                             "scorers", "status", senabled > 0 ? "up" : "none", "configured",
                             (json_int_t)reg->nscorers, "enabled", (json_int_t)senabled);
    lf_registry_release(reg);
    lf_http_send_json(h, 200, body);
}

void lf_h_content_types(struct lf_http *h)
{
    struct lf_registry *reg = lf_registry_acquire();
    json_t *body = lf_content_types_list_json(reg->types);
    lf_registry_release(reg);
    lf_http_send_json(h, 200, body);
}

/* ---- static pages ---- */

static const char *mime(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL)
        return "application/octet-stream";
    if (strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (strcmp(dot, ".js") == 0 || strcmp(dot, ".mjs") == 0)
        return "text/javascript; charset=utf-8";
    if (strcmp(dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (strcmp(dot, ".json") == 0)
        return "application/json; charset=utf-8";
    if (strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    if (strcmp(dot, ".png") == 0)
        return "image/png";
    if (strcmp(dot, ".ico") == 0)
        return "image/x-icon";
    if (strcmp(dot, ".txt") == 0 || strcmp(dot, ".md") == 0)
        return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

static int safe_name(const char *s)
{
    if (*s == '\0' || *s == '.')
        return 0;
    for (; *s; ++s)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static void send_file(struct lf_http *h, const char *name)
{
    if (!safe_name(name) || strstr(name, "..") != NULL) {
        lf_http_send_error(h, 404, "NOT_FOUND", json_pack("{s:s}", "path", name), "no such file");
        return;
    }
    struct lf_registry *reg = lf_registry_acquire();
    char *path = lf_asprintf("%s/%s", reg->config->web_dir, name);
    lf_registry_release(reg);
    size_t len = 0;
    char *data = lf_read_file(path, &len);
    lf_free(path);
    if (data == NULL) {
        lf_http_send_error(h, 404, "NOT_FOUND", json_pack("{s:s}", "path", name), "no such file");
        return;
    }
    lf_http_add_header(h, "Cache-Control", "no-cache");
    lf_http_add_header(h, "X-Content-Type-Options", "nosniff");
    lf_http_send_raw(h, 200, mime(name), data, len);
    lf_free(data);
}

void lf_h_static(struct lf_http *h)
{
    send_file(h, lf_http_param(h, 0));
}

void lf_h_root(struct lf_http *h)
{
    send_file(h, "index.html");
}

void lf_h_docs(struct lf_http *h)
{
    send_file(h, "docs.html");
}

void lf_h_openapi(struct lf_http *h)
{
    send_file(h, "openapi.json");
}
