/*
 * tests/unit/scorers/harness.h - load scorer plugins with dlopen and a small fake host API table
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_TESTS_UNIT_SCORERS_HARNESS_H
#define LF_TESTS_UNIT_SCORERS_HARNESS_H

#include <lafactoria/plugin.h>
#include <stddef.h>

struct th_plugin {
    void *dl;
    const struct lf_plugin_descriptor *desc;
    void *state;
};

/** The fake host table (malloc-based, like the core's). */
const struct lf_host_api *th_host(void);

/** dlopen dir/name.so, check the descriptor is a scorer and init it. Returns 0 on success. */
int th_load(const char *dir, const char *name, struct th_plugin *p);
void th_unload(struct th_plugin *p);

/**
 * Score with one plugin. Returns the callback's result; *value gets dimension `dim` (NaN when absent);
 * *details (may be NULL) receives details_json (caller free()s).
 */
int th_score(const struct th_plugin *p, const char *content_type, const char *age_group, const char *content_json,
             const char *plain_text, const char *objectives_json, int schema_valid, const char *schema_errors_json,
             const char *dim, double *value, char **details);

#endif
