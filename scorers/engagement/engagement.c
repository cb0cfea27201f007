/*
 * scorers/engagement/engagement.c - questions to the reader, examples, real-world links, direct address, variety
 * SPDX-License-Identifier: MIT
 *
 * Dimension: engagement. Formulas: see README.md next to this file.
 */
#include <lafactoria/plugin.h>

#include <stdio.h>
#include <string.h>

#include "../common/state.h"
#include "../common/text.h"

static const char *const example_cues[] = {"for example", "for instance", "e.g", "such as", "example", "imagine",
                                           "consider", "picture", NULL};
static const char *const world_cues[] = {"real world", "real-world", "real life", "everyday", "every day",
                                         "daily life", "at home", "in your", "in practice", "you might",
                                         "you may have", "around you", "in the kitchen", "at school", "at work",
                                         "in nature", NULL};
static const char *const address_cues[] = {"you", "your", "you're", "yourself", "let's", "we", "our", NULL};

static int en_score(void *state, const struct lf_score_input *in, struct lf_score_output *out)
{
    struct lf_scorer_state *s = state;
    struct lf_text_stats st;
    const char *text = in->plain_text ? in->plain_text : "";
    size_t n = in->plain_text ? in->plain_text_len : 0;
    double q = 0, ex = 0, rw = 0, ad = 0, va = 0, score = 0;
    size_t nex = 0, nrw = 0, nad = 0;

    lf_text_analyze_ex(text, n, &st, 0); /* no syllables needed */
    if (st.words > 0 && st.sentences > 0) {
        char *lower = s->host->alloc(n + 1);
        if (lower == NULL)
            return LF_ENOMEM;
        lf_text_lower(text, n, lower);
        /* one pass over the text for the three lists */
        const char *all[LF_TEXT_MAX_PHRASES + 1];
        size_t counts[LF_TEXT_MAX_PHRASES], k = 0, e1, e2;
        for (size_t i = 0; example_cues[i]; i++)
            all[k++] = example_cues[i];
        e1 = k;
        for (size_t i = 0; world_cues[i]; i++)
            all[k++] = world_cues[i];
        e2 = k;
        for (size_t i = 0; address_cues[i]; i++)
            all[k++] = address_cues[i];
        all[k] = NULL;
        lf_text_match(lower, n, all, counts, NULL);
        for (size_t i = 0; i < k; i++)
            *(i < e1 ? &nex : i < e2 ? &nrw : &nad) += counts[i];
        s->host->free(lower);

        double per_k = 1000.0 / (double)st.words;
        q = lf_text_clamp01((double)st.questions / (double)st.sentences / 0.08);
        ex = lf_text_clamp01((double)nex * per_k / 6.0);
        rw = lf_text_clamp01((double)nrw * per_k / 4.0);
        ad = lf_text_clamp01((double)nad * per_k / 25.0);
        va = st.sentence_len_mean > 0 ? lf_text_clamp01(st.sentence_len_sd / st.sentence_len_mean / 0.5) : 0;
        score = lf_text_clamp01(0.25 * q + 0.20 * ex + 0.20 * rw + 0.20 * ad + 0.15 * va);
    }
    lf_scorer_one_dimension(out, "engagement", score);

    char buf[384];
    int len = snprintf(buf, sizeof(buf),
                       "{\"engagement\":{\"questions\":%zu,\"example_cues\":%zu,\"real_world_cues\":%zu,"
                       "\"direct_address\":%zu,\"components\":{\"questions\":%.3f,\"examples\":%.3f,"
                       "\"real_world\":%.3f,\"direct_address\":%.3f,\"variety\":%.3f}}}",
                       st.questions, nex, nrw, nad, q, ex, rw, ad, va);
    return lf_scorer_set_details(s->host, out, buf, sizeof(buf), len);
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_SCORER, .name = "engagement", .version = "1.0.0",
                     .description = "questions, examples, real-world links, direct address and sentence variety",
                     .init = lf_scorer_state_init, .destroy = lf_scorer_state_destroy, .score = en_score)
