/*
 * scorers/common/state.c - instance state and details output shared by the bundled scorer plugins
 * SPDX-License-Identifier: MIT
 */
#include "state.h"

#include <string.h>

int lf_scorer_state_init(const struct lf_plugin_init_args *args, void **state)
{
    struct lf_scorer_state *s = args->host->alloc(sizeof(*s));

    if (s == NULL)
        return LF_ENOMEM;
    s->host = args->host;
    *state = s;
    return LF_OK;
}

void lf_scorer_state_destroy(void *state)
{
    struct lf_scorer_state *s = state;

    if (s != NULL)
        s->host->free(s);
}

void lf_scorer_one_dimension(struct lf_score_output *out, const char *name, double value)
{
    out->dimensions[0].name = name;
    out->dimensions[0].value = value;
    out->n_dimensions = 1;
}

int lf_scorer_set_details(const struct lf_host_api *h, struct lf_score_output *out, const char *buf, size_t cap,
                          int len)
{
    if (len < 0 || (size_t)len >= cap)
        return LF_EINTERNAL;
    out->details_json = h->alloc((size_t)len + 1);
    if (out->details_json != NULL)
        memcpy(out->details_json, buf, (size_t)len + 1);
    return LF_OK;
}
