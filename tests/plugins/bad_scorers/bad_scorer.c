/*
 * tests/plugins/bad_scorers/bad_scorer.c - a deliberately misbehaving scorer (NaN, 1.5 or an error), chosen at build time
 * SPDX-License-Identifier: MIT
 */
#include <lafactoria/plugin.h>

#include <math.h>
#include <string.h>

struct bad_state {
    const struct lf_host_api *host;
};

static int bad_init(const struct lf_plugin_init_args *args, void **state)
{
    struct bad_state *s = args->host->alloc(sizeof(*s));
    if (s == NULL)
        return LF_ENOMEM;
    s->host = args->host;
    *state = s;
    return LF_OK;
}

static void bad_destroy(void *state)
{
    struct bad_state *s = state;
    if (s != NULL)
        s->host->free(s);
}

static int bad_score(void *state, const struct lf_score_input *in, struct lf_score_output *out)
{
    struct bad_state *s = state;
    (void)in;
    /* details are allocated in every mode so that the pipeline must free them even when excluding us */
    out->details_json = s->host->alloc(32);
    if (out->details_json != NULL)
        memcpy(out->details_json, "{\"bad\":{\"mode\":1}}", 19);
    out->dimensions[0].name = "engagement";
    out->n_dimensions = 1;
#if defined(BAD_NAN)
    out->dimensions[0].value = NAN;
    return LF_OK;
#elif defined(BAD_OVER1)
    out->dimensions[0].value = 1.5;
    return LF_OK;
#else
    out->dimensions[0].value = 0.5;
    return LF_EINTERNAL;
#endif
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_SCORER, .name = BAD_NAME, .version = "0.0.1",
                     .description = "test scorer that misbehaves", .init = bad_init, .destroy = bad_destroy,
                     .score = bad_score)
