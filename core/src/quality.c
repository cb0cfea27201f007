/*
 * core/src/quality.c - the quality pipeline: run the scorer plugins, weight, threshold, build quality_metrics
 * SPDX-License-Identifier: MIT
 */
#include "quality.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "plaintext.h"

#define MAX_DIMS 64

static const struct {
    const char *name;
    double weight;
} default_weights[] = {
    {"educational_effectiveness", 0.30}, {"factual_accuracy", 0.25}, {"age_appropriateness", 0.20},
    {"structural_quality", 0.15},        {"engagement", 0.10},
};

void lf_quality_config_defaults(struct lf_quality_config *cfg)
{
    cfg->weights = NULL;
    cfg->threshold_overall = LF_QUALITY_THRESHOLD_OVERALL;
    cfg->threshold_educational = LF_QUALITY_THRESHOLD_EDUCATIONAL;
    cfg->threshold_factual = LF_QUALITY_THRESHOLD_FACTUAL;
}

double lf_quality_default_weight(const char *dimension)
{
    for (size_t i = 0; i < sizeof(default_weights) / sizeof(default_weights[0]); i++)
        if (strcmp(default_weights[i].name, dimension) == 0)
            return default_weights[i].weight;
    return 0.0;
}

double lf_quality_weight(const struct lf_quality_config *cfg, const char *dimension)
{
    if (cfg != NULL && cfg->weights != NULL) {
        const json_t *w = json_object_get(cfg->weights, dimension);
        if (json_is_number(w) && json_number_value(w) >= 0)
            return json_number_value(w);
    }
    return lf_quality_default_weight(dimension);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double round3(double x)
{
    return round(x * 1000.0) / 1000.0;
}

/* ---- the pipeline ---- */

struct dim {
    char name[64];
    double sum;
    unsigned count;
    double override; /* max weight_override of the scorers reporting it, 0 = none */
};

static struct dim *dim_get(struct dim *dims, size_t *ndims, const char *name)
{
    for (size_t i = 0; i < *ndims; i++)
        if (strcmp(dims[i].name, name) == 0)
            return &dims[i];
    if (*ndims >= MAX_DIMS)
        return NULL;
    struct dim *d = &dims[(*ndims)++];
    memset(d, 0, sizeof(*d));
    snprintf(d->name, sizeof(d->name), "%s", name);
    return d;
}

static char *dump_or_null(const json_t *v)
{
    return v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* Validate one scorer output; NULL when acceptable, else a static reason written into buf. */
static const char *validate(const struct lf_score_output *out, char *buf, size_t len)
{
    if (out->n_dimensions == 0)
        return "no dimension reported";
    if (out->n_dimensions > LF_SCORE_MAX_DIMENSIONS)
        return "too many dimensions";
    for (uint32_t i = 0; i < out->n_dimensions; i++) {
        const struct lf_score_dimension *d = &out->dimensions[i];
        if (d->name == NULL || d->name[0] == '\0' || strlen(d->name) >= 64) {
            snprintf(buf, len, "dimension %u has no valid name", i);
            return buf;
        }
        if (isnan(d->value)) {
            snprintf(buf, len, "dimension \"%s\" is NaN", d->name);
            return buf;
        }
        if (!(d->value >= 0.0 && d->value <= 1.0)) {
            snprintf(buf, len, "dimension \"%s\" is %g, outside [0,1]", d->name, d->value);
            return buf;
        }
    }
    return NULL;
}

json_t *lf_quality_assess(const struct lf_quality_scorer *scorers, size_t n, const struct lf_quality_config *cfg,
                          const char *content_type, const char *age_group, const json_t *content,
                          const json_t *learning_objectives, const json_t *schema, int schema_valid,
                          const json_t *schema_errors, const char *plain_text, double *overall_out,
                          int *meets_all_out)
{
    struct lf_quality_config defaults;
    struct dim dims[MAX_DIMS];
    size_t ndims = 0;
    char *own_text = NULL;
    char *content_json = NULL, *lo_json = NULL, *schema_json = NULL, *errors_json = NULL;
    json_t *metrics = json_object(), *list = json_array(), *merged = json_object();
    uint64_t t_start = now_ns();

    if (cfg == NULL) {
        lf_quality_config_defaults(&defaults);
        cfg = &defaults;
    }
    content_json = dump_or_null(content);
    lo_json = json_array_size(learning_objectives) > 0 ? dump_or_null(learning_objectives) : NULL;
    schema_json = dump_or_null(schema);
    errors_json = schema_valid == 0 ? dump_or_null(schema_errors) : NULL;
    if (plain_text == NULL) {
        own_text = content != NULL ? lf_plaintext_extract(content) : NULL;
        plain_text = own_text != NULL ? own_text : "";
    }

    struct lf_score_input in = {
        .struct_size = sizeof(struct lf_score_input),
        .content_type = content_type,
        .age_group = age_group != NULL ? age_group : "general",
        .content_json = content_json != NULL ? content_json : "null",
        .content_json_len = content_json != NULL ? strlen(content_json) : 4,
        .plain_text = plain_text,
        .plain_text_len = strlen(plain_text),
        .learning_objectives_json = lo_json,
        .schema_json = schema_json,
        .schema_valid = schema_valid < 0 ? -1 : (schema_valid ? 1 : 0),
        .schema_errors_json = errors_json,
        .topic = NULL,
    };

    for (size_t i = 0; i < n; i++) {
        const struct lf_quality_scorer *sc = &scorers[i];
        struct lf_score_output out;
        char reason[160];
        const char *error = NULL;
        const char *version = sc->version ? sc->version : (sc->desc && sc->desc->version ? sc->desc->version : "");
        json_t *entry = json_pack("{s:s,s:s}", "name", sc->name ? sc->name : "", "version", version);
        json_t *details = NULL;
        uint64_t t0, t1;
        int rc;

        memset(&out, 0, sizeof(out));
        out.struct_size = sizeof(out);
        if (sc->desc == NULL || sc->desc->score == NULL) {
            json_object_set_new(entry, "duration_us", json_integer(0));
            json_object_set_new(entry, "error", json_string("the plugin has no score callback"));
            json_object_set_new(entry, "excluded", json_true());
            json_array_append_new(list, entry);
            continue;
        }
        t0 = now_ns();
        rc = sc->desc->score(sc->state, &in, &out);
        t1 = now_ns();
        json_object_set_new(entry, "duration_us", json_integer((json_int_t)((t1 - t0) / 1000)));
        if (out.details_json != NULL) {
            details = json_loads(out.details_json, 0, NULL);
            free(out.details_json); /* host->alloc in the core is malloc (registry.c) */
            out.details_json = NULL;
        }
        if (rc != LF_OK) {
            snprintf(reason, sizeof(reason), "score() returned error %d", rc);
            error = reason;
        } else {
            error = validate(&out, reason, sizeof(reason));
        }
        if (error != NULL) {
            json_object_set_new(entry, "error", json_string(error));
            json_object_set_new(entry, "excluded", json_true());
            json_decref(details);
            json_array_append_new(list, entry);
            continue;
        }
        json_t *scores = json_object();
        for (uint32_t k = 0; k < out.n_dimensions; k++) {
            struct dim *d = dim_get(dims, &ndims, out.dimensions[k].name);
            json_object_set_new(scores, out.dimensions[k].name, json_real(round3(out.dimensions[k].value)));
            if (d == NULL)
                continue;
            d->sum += out.dimensions[k].value;
            d->count++;
            if (sc->weight_override > 0 && sc->weight_override > d->override)
                d->override = sc->weight_override;
        }
        json_object_set_new(entry, "scores", scores);
        if (json_is_object(details)) {
            const char *k;
            json_t *v;
            json_object_foreach(details, k, v)
            {
                if (json_object_get(merged, k) == NULL)
                    json_object_set(merged, k, v);
            }
            json_object_set_new(entry, "details", details);
        } else {
            json_decref(details);
        }
        json_array_append_new(list, entry);
    }

    /* dimension values (mean over the scorers reporting them) and the weighted overall score */
    json_t *dimobj = json_object(), *weights = json_object();
    double wsum = 0, acc = 0;
    for (size_t i = 0; i < ndims; i++) {
        double v = dims[i].sum / dims[i].count;
        double w = dims[i].override > 0 ? dims[i].override : lf_quality_weight(cfg, dims[i].name);
        json_object_set_new(dimobj, dims[i].name, json_real(round3(v)));
        json_object_set_new(weights, dims[i].name, json_real(w));
        if (w > 0) {
            acc += w * v;
            wsum += w;
        }
    }
    double overall = wsum > 0 ? round3(acc / wsum) : 0.0;
    json_object_set_new(metrics, "overall_quality_score", json_real(overall));
    for (size_t i = 0; i < sizeof(default_weights) / sizeof(default_weights[0]); i++) {
        const json_t *v = json_object_get(dimobj, default_weights[i].name);
        json_object_set_new(metrics, default_weights[i].name, v ? json_copy((json_t *)(uintptr_t)v) : json_null());
    }
    const json_t *edu = json_object_get(dimobj, "educational_effectiveness");
    const json_t *fac = json_object_get(dimobj, "factual_accuracy");
    int m_overall = wsum > 0 && overall >= cfg->threshold_overall;
    int m_edu = edu != NULL && json_real_value(edu) >= cfg->threshold_educational;
    int m_fac = fac != NULL && json_real_value(fac) >= cfg->threshold_factual;

    const char *k;
    json_t *v;
    json_object_foreach(merged, k, v)
    {
        if (json_object_get(metrics, k) == NULL)
            json_object_set(metrics, k, v);
    }
    json_object_set_new(metrics, "meets_thresholds",
                        json_pack("{s:b,s:b,s:b}", "overall", m_overall, "educational", m_edu, "factual", m_fac));
    json_object_set_new(metrics, "thresholds",
                        json_pack("{s:f,s:f,s:f}", "overall", cfg->threshold_overall, "educational",
                                  cfg->threshold_educational, "factual", cfg->threshold_factual));
    json_object_set_new(metrics, "dimensions", dimobj);
    json_object_set_new(metrics, "weights", weights);
    json_object_set_new(metrics, "scorers", list);
    json_object_set_new(metrics, "duration_us", json_integer((json_int_t)((now_ns() - t_start) / 1000)));

    if (overall_out != NULL)
        *overall_out = overall;
    if (meets_all_out != NULL)
        *meets_all_out = m_overall && m_edu && m_fac;

    json_decref(merged);
    free(content_json); /* jansson's json_dumps allocates with malloc (default allocator) */
    free(lo_json);
    free(schema_json);
    free(errors_json);
    lf_free(own_text);
    return metrics;
}
