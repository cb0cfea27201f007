/*
 * tests/unit/store/records.c - builders of store records (the formats of docs/internals/STORAGE.md)
 * SPDX-License-Identifier: MIT
 */
#include "records.h"

json_t *rec_generation(const char *id, const char *user_id, const char *content_type, double quality,
                       int duration_ms, const char *created_at)
{
    json_t *r = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:{s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}]},"
        " s:{s:i, s:{s:i, s:i, s:i}, s:f, s:s, s:s, s:s, s:[{s:s, s:s, s:i}], s:i, s:b}}",
        "kind", "generation", "id", id, "request_id", "req-test", "user_id", user_id, "content_type", content_type,
        "topic", "Photosynthesis in Plants", "age_group", "high_school", "learning_objectives", "cognitive_level",
        "applying", "subject_area", "Biology", "generated_content", "title", "Photosynthesis", "overview",
        "How plants turn light into sugar, with enough text to look like a real study guide body.",
        "key_concepts", "term", "chlorophyll", "explanation", "the green pigment", "term", "stomata", "explanation",
        "leaf pores", "metadata", "generation_duration_ms", duration_ms, "tokens", "prompt", 900, "completion", 1500,
        "total", 2400, "cost_usd", 0.00123, "ai_provider", "offline", "ai_model", "offline-1", "prompt_template",
        "study_guide@1", "attempts", "provider", "offline", "outcome", "ok", "latency_ms", 3, "regenerations", 0,
        "cached", 0);
    if (created_at != NULL) {
        json_object_set_new(r, "created_at", json_string(created_at));
    }
    if (quality >= 0) {
        json_object_set_new(r, "quality_metrics",
                            json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:{s:f, s:f}, s:{s:f, s:f, s:f},"
                                      " s:{s:b, s:b, s:b}}",
                                      "overall_quality_score", quality, "educational_effectiveness", quality,
                                      "factual_accuracy", quality, "age_appropriateness", quality,
                                      "structural_quality", 0.9, "engagement", 0.7, "readability",
                                      "flesch_reading_ease", 61.2, "flesch_kincaid_grade", 8.1, "cognitive_load",
                                      "intrinsic", 0.4, "extraneous", 0.2, "germane", 0.6, "meets_thresholds",
                                      "overall", quality >= 0.7, "educational", quality >= 0.75, "factual",
                                      quality >= 0.85));
    }
    return r;
}

json_t *rec_attempt(const char *id, const char *content_id, const char *outcome)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:f, s:i, s:i, s:b, s:f}", "kind",
                     "attempt", "id", id, "request_id", "req-test", "content_id", content_id, "user_id",
                     SYSTEM_USER, "attempt_no", 1, "provider", "openai", "model", "gpt-4o-mini", "outcome", outcome,
                     "http_status", 200, "latency_ms", 120.5, "prompt_tokens", 900, "completion_tokens", 1500,
                     "tokens_estimated", 0, "cost_usd", 0.00123);
}

json_t *rec_usage(const char *id, const char *user_id, const char *ip)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:f, s:i, s:i, s:s, s:s}", "kind", "api_usage", "id", id,
                     "user_id", user_id, "api_key_hash",
                     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "endpoint",
                     "/api/v1/generate/study_guide", "method", "POST", "status_code", 200, "response_time_ms", 12.7,
                     "request_size_bytes", 120, "response_size_bytes", 4200, "ip_address", ip, "user_agent",
                     "test/1.0");
}

json_t *rec_session(const char *id, const char *user_id)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s, s], s:s, s:i, s:i, s:i, s:f, s:f}", "kind", "session",
                     "id", id, "user_id", user_id, "session_type", "batch", "topic", "Photosynthesis", "age_group",
                     "college", "requested_content_types", "study_guide", "flashcards", "status", "partial",
                     "total_duration_ms", 3400, "successful_count", 1, "failed_count", 1,
                     "average_quality_score", 0.81, "total_cost_usd", 0.0021);
}
