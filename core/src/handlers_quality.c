/*
 * core/src/handlers_quality.c - POST /api/v1/quality/assess: the scorer pipeline on caller-supplied content
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include "content_types.h"
#include "genreq.h"
#include "handlers.h"
#include "registry.h"
#include "runtime.h"
#include "schema.h"
#include "server.h"

void lf_h_quality_assess(struct lf_http *h)
{
    json_t *body = lf_http_body_json(h);
    if (body == NULL)
        return;
    struct lf_registry *reg = lf_registry_acquire();
    const json_t *ct = json_object_get(body, "content_type");
    const json_t *age = json_object_get(body, "age_group");
    const json_t *content = json_object_get(body, "content");
    const json_t *objectives = json_object_get(body, "learning_objectives");
    const struct lf_content_type *t = NULL;
    if (!json_is_string(ct)) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s}", "field", "content_type"),
                           "content_type is required and must be a string");
        goto Exit;
    }
    t = lf_content_types_find(reg->types, json_string_value(ct));
    if (t == NULL) {
        lf_http_send_error(h, 400, "INVALID_REQUEST",
                           json_pack("{s:s,s:s}", "field", "content_type", "provided", json_string_value(ct)),
                           "unknown content type \"%s\"", json_string_value(ct));
        goto Exit;
    }
    if (age != NULL && (!json_is_string(age) || !lf_genreq_valid_age_group(json_string_value(age)))) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s}", "field", "age_group"),
                           "age_group must be one of elementary, middle_school, high_school, college, "
                           "adult_learning, general");
        goto Exit;
    }
    if (!json_is_object(content)) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s}", "field", "content"),
                           "content is required and must be a JSON object");
        goto Exit;
    }
    if (objectives != NULL && !json_is_array(objectives)) {
        lf_http_send_error(h, 400, "INVALID_REQUEST", json_pack("{s:s}", "field", "learning_objectives"),
                           "learning_objectives must be an array");
        goto Exit;
    }
    double overall = -1;
    int meets = 0;
    json_t *q = lf_runtime_quality(reg, t->id, age ? json_string_value(age) : "general", content, objectives,
                                   t->schema, &overall, &meets);
    if (q == NULL) {
        lf_http_send_error(h, 503, "NO_PROVIDER_AVAILABLE", json_pack("{s:[s]}", "reasons", "no_scorer_enabled"),
                           "no quality scorer is enabled");
        goto Exit;
    }
    json_t *errors = NULL;
    int valid = lf_schema_validate(t->schema, content, &errors);
    lf_http_send_json(h, 200, json_pack("{s:o,s:s,s:{s:b,s:o}}", "quality_metrics", q, "content_type", t->id,
                                        "schema", "valid", valid, "errors", errors ? errors : json_array()));
Exit:
    lf_registry_release(reg);
    json_decref(body);
}
