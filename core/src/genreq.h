/*
 * core/src/genreq.h - parse and validate the body of POST /api/v1/generate/{type} and /generate/batch
 * SPDX-License-Identifier: MIT
 *
 * Rules (API.md §3 and the original's field rules): topic 3-500 code points after trimming;
 * age_group one of elementary, middle_school, high_school, college, adult_learning, general (default
 * general); additional_requirements at most 1000 code points after trimming; learning_objectives an array
 * of at most 10 objects {cognitive_level: remembering|understanding|applying|analyzing|evaluating|creating,
 * subject_area 1-100, specific_skill 1-200, measurable_outcome 1-300, difficulty_level integer 1-10 (default
 * 5)}; every string valid UTF-8 without control characters other than newline and tab; JSON nesting at
 * most 32; provider a string of 1-64 characters; max_cost_usd a number >= 0; quality_gate best_effort |
 * reject; unknown fields ignored; null counts as absent for optional fields. Batch bodies also need
 * content_types: 1-8 distinct strings, each known (through the callback). Checks run in that order and
 * the first failure answers.
 */
#ifndef LF_CORE_GENREQ_H
#define LF_CORE_GENREQ_H

#include <jansson.h>
#include <stddef.h>

#include <lafactoria/plugin.h>

#define LF_GENREQ_MAX_DEPTH 32
#define LF_GENREQ_MAX_BATCH 8

/** A validated request; every member is owned (release with lf_genreq_clear()). */
struct lf_genreq {
    char *topic;                   /**< trimmed */
    char *age_group;               /**< one of the six ids */
    char *additional_requirements; /**< trimmed; NULL when absent or empty */
    json_t *learning_objectives;   /**< normalised array of objects with exactly the five fields
                                        (difficulty_level filled in); NULL when absent or empty */
    char *provider;                /**< pinned provider or NULL */
    double max_cost_usd;           /**< < 0 when absent */
    int reject_gate;               /**< 1 when quality_gate is "reject", 0 for best_effort */
    char **content_types;          /**< batch only: the requested ids in request order */
    size_t n_content_types;
};

/** Is `content_type` a known type? Returns non-zero when it is. */
typedef int (*lf_genreq_known_fn)(void *ud, const char *content_type);

/**
 * Parse and validate a raw body (len bytes). `batch` non-zero requires content_types; `known` (may be
 * NULL = any id accepted) checks each of them. On success returns LF_OK and fills *out (zeroed first).
 * On failure returns LF_EINVAL and sets *error to a new object
 *   {"code":"INVALID_REQUEST", "message":"topic must be between 3 and 500 characters",
 *    "details":{"field":"topic", "provided_length":2, "min_length":3, "max_length":500}}
 * (the caller adds request_id). Messages are lower case without a trailing period and name the field;
 * details.field is the field's path ("learning_objectives[2].subject_area", "body" for the body itself).
 */
enum lf_err lf_genreq_parse(const char *body, size_t len, int batch, lf_genreq_known_fn known, void *ud,
                            struct lf_genreq *out, json_t **error);

/** The same on an already-parsed body (no nesting-depth or UTF-8 check of the raw text). */
enum lf_err lf_genreq_from_json(const json_t *root, int batch, lf_genreq_known_fn known, void *ud,
                                struct lf_genreq *out, json_t **error);

/** Release the members of r and zero it (NULL-safe). */
void lf_genreq_clear(struct lf_genreq *r);

/** Maximum nesting depth of the JSON text (objects and arrays; strings respected). */
int lf_genreq_json_depth(const char *body, size_t len);

/** Is `age_group` one of the six ids? */
int lf_genreq_valid_age_group(const char *age_group);

#endif
