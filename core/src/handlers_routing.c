/*
 * core/src/handlers_routing.c - live routing changes: PATCH /api/v1/admin/providers/{name}
 * SPDX-License-Identifier: MIT
 *
 * Body (every field optional): {"enabled": bool, "priority": integer, "weight": number >= 0,
 * "budget": {"daily_usd": number >= 0 | null, "monthly_usd": number >= 0 | null}, "clear_overrides": bool}.
 * A budget of null is unlimited, 0 refuses every paid attempt. The change is stored as an admin
 * override keyed by the instance name (runtime.c): it applies to the next routing decision, survives
 * reloads, and wins over the configuration until "clear_overrides": true drops it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "registry.h"
#include "runtime.h"
#include "server.h"

#define MAX_PRIORITY 1000000

static int bad_field(struct lf_http *h, const char *field, const char *expected)
{
    lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s,s:s}", "field", field, "expected", expected),
                       "%s: expected %s", field, expected);
    return -1;
}

/* a budget limit: null = unlimited (-1), a finite number >= 0 */
static int budget_value(struct lf_http *h, json_t *v, const char *field, double *out)
{
    if (json_is_null(v)) {
        *out = -1;
        return 0;
    }
    if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0)
        return bad_field(h, field, "a number >= 0 or null");
    *out = json_number_value(v);
    return 0;
}

/* Parse and validate the body into *ov. Answers 400 and returns -1 on the first bad field. */
static int parse_patch(struct lf_http *h, json_t *body, struct lf_provider_override *ov, int *clear)
{
    const char *k;
    json_t *v;
    memset(ov, 0, sizeof(*ov));
    *clear = 0;
    json_object_foreach(body, k, v) {
        if (strcmp(k, "enabled") == 0) {
            if (!json_is_boolean(v))
                return bad_field(h, "enabled", "a boolean");
            ov->enabled = json_is_true(v);
            ov->set |= LF_OVERRIDE_ENABLED;
        } else if (strcmp(k, "priority") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < -MAX_PRIORITY ||
                json_integer_value(v) > MAX_PRIORITY)
                return bad_field(h, "priority", "an integer in [-1000000, 1000000]");
            ov->priority = (int)json_integer_value(v);
            ov->set |= LF_OVERRIDE_PRIORITY;
        } else if (strcmp(k, "weight") == 0) {
            if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0 ||
                json_number_value(v) > 1e6)
                return bad_field(h, "weight", "a number in [0, 1000000]");
            ov->weight = json_number_value(v);
            ov->set |= LF_OVERRIDE_WEIGHT;
        } else if (strcmp(k, "budget") == 0) {
            if (!json_is_object(v))
                return bad_field(h, "budget", "an object {daily_usd, monthly_usd}");
            const char *bk;
            json_t *bv;
            json_object_foreach(v, bk, bv) {
                if (strcmp(bk, "daily_usd") == 0) {
                    if (budget_value(h, bv, "budget.daily_usd", &ov->budget_daily_usd) != 0)
                        return -1;
                    ov->set |= LF_OVERRIDE_BUDGET_DAY;
                } else if (strcmp(bk, "monthly_usd") == 0) {
                    if (budget_value(h, bv, "budget.monthly_usd", &ov->budget_monthly_usd) != 0)
                        return -1;
                    ov->set |= LF_OVERRIDE_BUDGET_MONTH;
                } else {
                    char f[96];
                    snprintf(f, sizeof(f), "budget.%s", bk);
                    return bad_field(h, f, "no such field (daily_usd, monthly_usd)");
                }
            }
        } else if (strcmp(k, "clear_overrides") == 0) {
            if (!json_is_boolean(v))
                return bad_field(h, "clear_overrides", "a boolean");
            *clear = json_is_true(v);
        } else {
            return bad_field(h, k, "no such field (enabled, priority, weight, budget, clear_overrides)");
        }
    }
    return 0;
}

static json_t *override_json(const struct lf_provider_override *ov)
{
    json_t *o = json_object();
    if (ov->set & LF_OVERRIDE_ENABLED)
        json_object_set_new(o, "enabled", json_boolean(ov->enabled));
    if (ov->set & LF_OVERRIDE_PRIORITY)
        json_object_set_new(o, "priority", json_integer(ov->priority));
    if (ov->set & LF_OVERRIDE_WEIGHT)
        json_object_set_new(o, "weight", json_real(ov->weight));
    if (ov->set & (LF_OVERRIDE_BUDGET_DAY | LF_OVERRIDE_BUDGET_MONTH)) {
        json_t *b = json_object();
        if (ov->set & LF_OVERRIDE_BUDGET_DAY)
            json_object_set_new(b, "daily_usd",
                                ov->budget_daily_usd < 0 ? json_null() : json_real(ov->budget_daily_usd));
        if (ov->set & LF_OVERRIDE_BUDGET_MONTH)
            json_object_set_new(b, "monthly_usd",
                                ov->budget_monthly_usd < 0 ? json_null() : json_real(ov->budget_monthly_usd));
        json_object_set_new(o, "budget", b);
    }
    return o;
}

void lf_h_admin_provider_patch(struct lf_http *h)
{
    const char *name = lf_http_param(h, 0);
    struct lf_registry *reg = lf_registry_acquire();
    struct lf_provider *p = lf_registry_provider(reg, name);
    json_t *body = NULL;
    if (p == NULL) {
        json_t *known = json_array();
        for (size_t i = 0; i < reg->nproviders; ++i)
            json_array_append_new(known, json_string(reg->providers[i].name));
        lf_http_send_error(h, 404, "NOT_FOUND", json_pack("{s:s,s:o}", "provider", name, "known", known),
                           "no provider named \"%s\"", name);
        goto Exit;
    }
    body = lf_http_body_json(h);
    if (body == NULL)
        goto Exit;
    struct lf_provider_override ov;
    int clear;
    if (parse_patch(h, body, &ov, &clear) != 0)
        goto Exit;
    if ((ov.set & LF_OVERRIDE_ENABLED) && ov.enabled && !p->enabled) {
        lf_http_send_error(h, 400, "INVALID_REQUEST",
                           json_pack("{s:s,s:s}", "field", "enabled", "reason",
                                     p->disabled_reason ? p->disabled_reason : "not initialised"),
                           "enabled: provider \"%s\" cannot be enabled at runtime (%s); change the configuration "
                           "and reload",
                           p->name, p->disabled_reason ? p->disabled_reason : "not initialised");
        goto Exit;
    }
    lf_runtime_override_set(p->name, &ov, clear);
    struct lf_provider_override now;
    lf_runtime_override_get(p->name, &now);
    lf_http_send_json(h, 200, json_pack("{s:o,s:o,s:I}", "provider", lf_provider_json(p, 1), "overrides",
                                        override_json(&now), "config_generation", (json_int_t)reg->generation));
Exit:
    json_decref(body);
    lf_registry_release(reg);
}
