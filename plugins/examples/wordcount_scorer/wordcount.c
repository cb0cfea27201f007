/*
 * plugins/examples/wordcount_scorer/wordcount.c - example out-of-tree scorer: does the length fit the content type?
 * SPDX-License-Identifier: MIT
 *
 * Built against the installed SDK only (pkg-config lafactoria-plugin); see README.md.
 * Dimension: length_fit = 1 inside [min_words, max_words], falling linearly to 0 at half the minimum and
 * at twice the maximum.
 */
#include <lafactoria/plugin.h>

#include <stdio.h>
#include <string.h>

struct wc_state {
    const struct lf_host_api *host;
    double min_words, max_words; /* 0 = per-type default */
};

/* Default word ranges per content type (the whole generated_content's prose). */
static const struct {
    const char *type;
    double lo, hi;
} ranges[] = {
    {"master_content_outline", 300, 1500}, {"podcast_script", 600, 3000},          {"study_guide", 800, 6000},
    {"one_pager_summary", 250, 700},       {"detailed_reading_material", 1000, 6000}, {"faq_collection", 200, 2000},
    {"flashcards", 100, 1200},             {"reading_guide_questions", 80, 1000},
};

static const struct lf_config_field config_map[] = {
    {"min_words", LF_CONFIG_NUMBER, 0, "per type", "fewer words than this lowers length_fit", 0},
    {"max_words", LF_CONFIG_NUMBER, 0, "per type", "more words than this lowers length_fit", 0},
    {NULL, 0, 0, NULL, NULL, 0},
};

static int wc_init(const struct lf_plugin_init_args *args, void **state)
{
    const struct lf_host_api *h = args->host;
    struct wc_state *s = h->alloc(sizeof(*s));
    double v;
    if (s == NULL)
        return LF_ENOMEM;
    memset(s, 0, sizeof(*s));
    s->host = h;
    if (LF_HOST_HAS(h, config_number) && h->config_number(args->config, "min_words", &v) && v >= 0)
        s->min_words = v;
    if (LF_HOST_HAS(h, config_number) && h->config_number(args->config, "max_words", &v) && v >= 0)
        s->max_words = v;
    if (s->max_words > 0 && s->min_words > s->max_words) {
        h->log(LF_LOG_ERROR, "wordcount", "min_words %g is above max_words %g", s->min_words, s->max_words);
        h->free(s);
        return LF_ECONFIG;
    }
    *state = s;
    return LF_OK;
}

static void wc_destroy(void *state)
{
    struct wc_state *s = state;
    if (s != NULL)
        s->host->free(s);
}

static int wc_score(void *state, const struct lf_score_input *in, struct lf_score_output *out)
{
    struct wc_state *s = state;
    double lo = 150, hi = 5000, words = 0, fit;
    int in_word = 0;

    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        if (in->content_type != NULL && strcmp(in->content_type, ranges[i].type) == 0) {
            lo = ranges[i].lo;
            hi = ranges[i].hi;
        }
    if (s->min_words > 0)
        lo = s->min_words;
    if (s->max_words > 0)
        hi = s->max_words;
    for (size_t i = 0; i < in->plain_text_len; i++) {
        char c = in->plain_text[i];
        int w = !(c == ' ' || c == '\n' || c == '\t' || c == '\r');
        words += w && !in_word;
        in_word = w;
    }
    if (words < lo)
        fit = words <= lo / 2 ? 0.0 : (words - lo / 2) / (lo / 2);
    else if (words > hi)
        fit = words >= 2 * hi ? 0.0 : (2 * hi - words) / hi;
    else
        fit = 1.0;
    out->dimensions[0].name = "length_fit";
    out->dimensions[0].value = fit;
    out->n_dimensions = 1;

    char buf[128];
    int len = snprintf(buf, sizeof(buf), "{\"wordcount\":{\"words\":%.0f,\"target\":[%.0f,%.0f]}}", words, lo, hi);
    if (len > 0 && (size_t)len < sizeof(buf)) {
        out->details_json = s->host->alloc((size_t)len + 1);
        if (out->details_json != NULL)
            memcpy(out->details_json, buf, (size_t)len + 1);
    }
    return LF_OK;
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_SCORER, .name = "wordcount", .version = "0.1.0",
                     .description = "example: does the length of the content fit its type?", .config_map = config_map,
                     .init = wc_init, .destroy = wc_destroy, .score = wc_score)
