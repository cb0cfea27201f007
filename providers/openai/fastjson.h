/*
 * providers/openai/fastjson.h - a faster json_loadb for provider answers (shared by the HTTP provider plugins)
 * SPDX-License-Identifier: MIT
 *
 * jansson's parser reads one byte at a time through a UTF-8 checking stream and spends ~19 us on a 1.6 KB chat
 * completion, a fifth of the gateway's CPU per /v1 call (bench/RESULTS.md, "Tuning (issue 4)"). pu_json_loadb
 * parses the common shape of provider answers (objects, arrays, strings with any escapes and valid UTF-8,
 * integers, true/false/null) itself, scanning strings in runs, and builds the same jansson values. Anything
 * else (a real number, an integer of 19+ digits, \u0000, a lone surrogate, invalid UTF-8 or JSON, nesting
 * beyond 512) is handed to json_loadb(buf, len, 0, NULL), so the result is always what jansson gives.
 */
#ifndef LF_PROVIDERS_FASTJSON_H
#define LF_PROVIDERS_FASTJSON_H

#include <stddef.h>

#include <jansson.h>

/** Same result as json_loadb(buf, len, 0, NULL): a new reference, or NULL when buf is not a JSON object/array. */
json_t *pu_json_loadb(const char *buf, size_t len);
/** The fast path alone: NULL when it bails out (for tests: which inputs take which path). */
json_t *pu_json_parse_fast(const char *buf, size_t len);

#endif
