/*
 * tests/unit/store/records.h - builders of store records (the formats of docs/internals/STORAGE.md)
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_TESTS_STORE_RECORDS_H
#define LF_TESTS_STORE_RECORDS_H

#include <jansson.h>

#define SYSTEM_USER "00000000-0000-0000-0000-000000000001"
#define DEMO_USER "00000000-0000-0000-0000-000000000002"

/** A generation record (owned reference). quality < 0 = no quality_metrics. created_at may be NULL. */
json_t *rec_generation(const char *id, const char *user_id, const char *content_type, double quality,
                       int duration_ms, const char *created_at);
/** A provider attempt record. */
json_t *rec_attempt(const char *id, const char *content_id, const char *outcome);
/** An api_usage record. */
json_t *rec_usage(const char *id, const char *user_id, const char *ip);
/** A batch session record. */
json_t *rec_session(const char *id, const char *user_id);

#endif
