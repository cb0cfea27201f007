/*
 * core/src/quality.h - the quality pipeline: run every enabled scorer plugin and build quality_metrics
 * SPDX-License-Identifier: MIT
 *
 * lf_quality_assess() runs the given scorers on one piece of structured content and returns the
 * `quality_metrics` object of API.md §3. It never fails because of a scorer: a scorer that returns an
 * error, reports no dimension, a NaN, a value outside [0,1] or an unnamed dimension is listed in
 * quality_metrics.scorers[] with "error" and "excluded": true and ignored for every score.
 *
 * Memory: scorers allocate details_json with host->alloc; the core's host table (registry.c) allocates
 * with malloc, so this module releases details_json with free(). A host table with another allocator
 * must not be used with this module.
 *
 * Threads: reentrant; the scorers' own thread-safety rules apply (plugin.h).
 */
#ifndef LF_CORE_QUALITY_H
#define LF_CORE_QUALITY_H

#include <jansson.h>
#include <lafactoria/plugin.h>
#include <stddef.h>

/** Default thresholds (API.md, DESIGN.md). */
#define LF_QUALITY_THRESHOLD_OVERALL 0.70
#define LF_QUALITY_THRESHOLD_EDUCATIONAL 0.75
#define LF_QUALITY_THRESHOLD_FACTUAL 0.85

/** One enabled scorer instance (all borrowed; valid for the call). */
struct lf_quality_scorer {
    const char *name;                        /* instance name, reported as scorers[].name */
    const char *version;                     /* reported version; NULL = desc->version */
    const struct lf_plugin_descriptor *desc; /* the loaded plugin's descriptor (kind scorer) */
    void *state;                             /* what desc->init returned */
    double weight_override;                  /* > 0: weight of every dimension this scorer reports;
                                                <= 0: the dimension weights of the config (or the defaults) */
};

struct lf_quality_config {
    const json_t *weights;        /* borrowed {dimension: weight >= 0} or NULL; missing dimensions use defaults */
    double threshold_overall;     /* overall_quality_score >= this -> meets_thresholds.overall */
    double threshold_educational; /* educational_effectiveness >= this -> meets_thresholds.educational */
    double threshold_factual;     /* factual_accuracy >= this -> meets_thresholds.factual */
};

/** Fill cfg with the defaults: weights NULL and the LF_QUALITY_THRESHOLD_* values. */
void lf_quality_config_defaults(struct lf_quality_config *cfg);

/**
 * Default weight of a dimension: educational_effectiveness 0.30, factual_accuracy 0.25,
 * age_appropriateness 0.20, structural_quality 0.15, engagement 0.10; any other dimension 0 (reported,
 * not part of the overall score unless the config or the scorer's weight_override gives it a weight).
 */
double lf_quality_default_weight(const char *dimension);

/** The weight lf_quality_assess uses for `dimension` under cfg (NULL = defaults), ignoring overrides. */
double lf_quality_weight(const struct lf_quality_config *cfg, const char *dimension);

/**
 * Run `n` scorers and build quality_metrics (a new reference; caller json_decref()s).
 *   cfg                 NULL = lf_quality_config_defaults()
 *   content_type        type id (may be NULL)
 *   age_group           one of the six age groups (NULL = general)
 *   content             the generated_content object (borrowed; required)
 *   learning_objectives JSON array requested by the caller or NULL
 *   schema              the type's JSON Schema or NULL
 *   schema_valid        1 valid, 0 invalid, -1 unknown
 *   schema_errors       JSON array of strings when schema_valid == 0, else NULL
 *   plain_text          the content's prose, paragraphs separated by "\n\n"; NULL = extracted here with
 *                       lf_plaintext_extract() (plaintext.h)
 *   overall_out         (may be NULL) the overall score as reported (rounded to 3 decimals)
 *   meets_all_out       (may be NULL) 1 when overall, educational and factual thresholds are all met
 * Output keys: overall_quality_score, educational_effectiveness, factual_accuracy, age_appropriateness,
 * structural_quality, engagement (null when no working scorer reports them), dimensions{every reported
 * dimension}, weights{effective weights used}, meets_thresholds{overall, educational, factual},
 * thresholds{...}, scorers[{name, version, scores{}, duration_us, details?} or {name, version,
 * duration_us, error, excluded: true}], duration_us; plus each top-level key of the scorers' details
 * (e.g. readability{}, cognitive_load{}) when not already present.
 */
json_t *lf_quality_assess(const struct lf_quality_scorer *scorers, size_t n, const struct lf_quality_config *cfg,
                          const char *content_type, const char *age_group, const json_t *content,
                          const json_t *learning_objectives, const json_t *schema, int schema_valid,
                          const json_t *schema_errors, const char *plain_text, double *overall_out,
                          int *meets_all_out);

#endif
