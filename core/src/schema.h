/*
 * core/src/schema.h - validator for the JSON Schema subset used by the content type definitions
 * SPDX-License-Identifier: MIT
 *
 * Supported keywords: type (a name or an array of names; "integer" accepts integral reals), properties,
 * required, additionalProperties (boolean or schema), items (one schema), minItems, maxItems, minLength,
 * maxLength (Unicode code points), minimum, maximum, enum, pattern (POSIX extended regular expression with
 * GNU extensions such as \s, searched unanchored like JSON Schema does), anyOf, oneOf. Annotations that
 * do not affect validation are accepted: $schema, $id, $comment, title, description, default, examples.
 * Anything else is refused by lf_schema_check().
 *
 * Thread safety: both functions may be called from several threads at once. Compiled patterns are kept
 * in a process-wide cache protected by a mutex (glibc's regexec is safe on a shared regex_t).
 */
#ifndef LF_CORE_SCHEMA_H
#define LF_CORE_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include <lafactoria/plugin.h>

/** Maximum number of error strings lf_schema_validate() reports (it stops collecting after that). */
#define LF_SCHEMA_MAX_ERRORS 20

/**
 * Validate `doc` against `schema` (both borrowed). Returns 1 when valid, 0 when invalid. When `errors`
 * is not NULL it receives a new JSON array (caller decrefs) of at most LF_SCHEMA_MAX_ERRORS strings such
 * as "$.items[3].question: does not match pattern" (empty when valid). The schema is assumed to have
 * passed lf_schema_check(); unknown keywords are ignored here.
 */
int lf_schema_validate(const json_t *schema, const json_t *doc, json_t **errors);

/**
 * Check that `schema` only uses the supported subset and that every keyword has a value of the right
 * type (and every pattern compiles). Returns LF_OK, or LF_EINVAL with a message naming the JSON path and
 * the problem in err (e.g. "$.properties.items: unsupported keyword \"uniqueItems\"").
 */
enum lf_err lf_schema_check(const json_t *schema, char *err, size_t errlen);

#endif
