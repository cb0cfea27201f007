/*
 * scorers/common/state.h - instance state and details output shared by the bundled scorer plugins
 * SPDX-License-Identifier: MIT
 *
 * Compiled into each scorer .so that lists state.c in its SOURCES (hidden visibility, never exported).
 */
#ifndef LF_SCORERS_COMMON_STATE_H
#define LF_SCORERS_COMMON_STATE_H

#include <stddef.h>

#include <lafactoria/plugin.h>

/** Instance state of a scorer that keeps nothing but the host table. */
struct lf_scorer_state {
    const struct lf_host_api *host;
};

/** init callback: allocates a struct lf_scorer_state (host->alloc). LF_OK or LF_ENOMEM. */
int lf_scorer_state_init(const struct lf_plugin_init_args *args, void **state);
/** destroy callback: frees a state made by lf_scorer_state_init (NULL-safe). */
void lf_scorer_state_destroy(void *state);

/** Report a single dimension: out->dimensions[0] = {name, value}, n_dimensions = 1. */
void lf_scorer_one_dimension(struct lf_score_output *out, const char *name, double value);

/**
 * Set out->details_json to a host->alloc'd copy of buf, whose length snprintf reported as len into a buffer of
 * cap bytes. Returns LF_EINTERNAL when snprintf failed or truncated (len < 0 or len >= cap), else LF_OK (also
 * when the copy could not be allocated: details are optional, details_json stays NULL).
 */
int lf_scorer_set_details(const struct lf_host_api *h, struct lf_score_output *out, const char *buf, size_t cap,
                          int len);

#endif
