/*
 * core/src/repair.h - recover the JSON object from a model's output text
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_CORE_REPAIR_H
#define LF_CORE_REPAIR_H

#include <jansson.h>
#include <stddef.h>

/**
 * Recover one JSON object from `text` (len bytes, need not be NUL-terminated), trying in order:
 *   "direct"    the trimmed text is a JSON object;
 *   "fence"     the content of a ```json (or bare ```) code fence is a JSON object;
 *   "extracted" a balanced {...} span found by a scan that respects strings and escapes, with prose
 *               before and/or after it (the first span that parses, outermost first; the inner objects
 *               of a span that does not parse are skipped).
 * Each candidate is retried with trailing commas (",}" / ",]" outside strings) removed.
 * Returns a new reference to the object and sets *method (static string) when method is not NULL;
 * NULL when nothing parses (then *method is NULL). Input over 1 MiB is refused (NULL).
 */
json_t *lf_repair_parse(const char *text, size_t len, const char **method);

#endif
