/*
 * core/src/content_types.h - content types as data: the registry loaded from config/content_types/<id>/
 * SPDX-License-Identifier: MIT
 *
 * Each folder <dir>/<id>/ holds:
 *   type.json   {id, name, description, typical_use_cases[], estimated_generation_seconds,
 *                expected_output_tokens, max_tokens, template_version (integer >= 1), order? (sort key)}
 *   schema.json the JSON Schema of generated_content (the subset of schema.h)
 *   prompt.txt  the user prompt template (placeholders: see prompt.h)
 *   system.txt  optional system prompt (a built-in default otherwise)
 * Folders whose name starts with '.' and plain files (README.md) are ignored. A registry is immutable
 * once loaded and may be shared by threads; reload builds a new one.
 */
#ifndef LF_CORE_CONTENT_TYPES_H
#define LF_CORE_CONTENT_TYPES_H

#include <jansson.h>
#include <stddef.h>

#include <lafactoria/plugin.h>

/** One content type (all fields owned by the registry). */
struct lf_content_type {
    char *id;                   /**< [a-z0-9_]+, equals the folder name, never "batch" */
    char *name;                 /**< display name */
    char *description;
    char **use_cases;           /**< typical_use_cases */
    size_t n_use_cases;
    double estimated_seconds;   /**< estimated_generation_seconds */
    unsigned expected_output_tokens;
    unsigned max_tokens;
    int template_version_num;   /**< template_version of type.json */
    char *template_version;     /**< "<id>@<n>" (metadata.prompt_template) */
    int order;                  /**< sort key (type.json "order", default 1000), then id */
    json_t *schema;             /**< owned reference; immutable */
    char *schema_json;          /**< compact serialisation of schema */
    size_t schema_json_len;
    char *system_prompt;        /**< system.txt or the default */
    char *prompt_template;      /**< prompt.txt */
    char *dir;                  /**< the folder it was loaded from */
};

/** The registry: types sorted by (order, id). */
struct lf_content_types {
    struct lf_content_type *types;
    size_t n;
};

/**
 * Load every type folder of `dir` into a new registry (*out, free with lf_content_types_free()).
 * Returns LF_OK, or an error with a message naming the file and the problem in err:
 * LF_EIO (directory or file unreadable), LF_ECONFIG (invalid definition, bad id, duplicate, no types).
 */
enum lf_err lf_content_types_load(const char *dir, struct lf_content_types **out, char *err, size_t errlen);

/** The type with this id, or NULL (borrowed from reg). NULL-safe. */
const struct lf_content_type *lf_content_types_find(const struct lf_content_types *reg, const char *id);

/** Number of types (0 for NULL). */
size_t lf_content_types_count(const struct lf_content_types *reg);

/** The i-th type in (order, id) order, or NULL when out of range. */
const struct lf_content_type *lf_content_types_at(const struct lf_content_types *reg, size_t i);

/** Release a registry (NULL-safe). */
void lf_content_types_free(struct lf_content_types *reg);

/**
 * The body of GET /api/v1/content-types (new reference):
 * {content_types:[{id, name, description, typical_use_cases, estimated_generation_seconds, output_schema}],
 *  total_count}.
 */
json_t *lf_content_types_list_json(const struct lf_content_types *reg);

/** Does `id` have the shape of a content type id ([a-z0-9_]{1,64}, not "batch")? */
int lf_content_types_valid_id(const char *id);

#endif
