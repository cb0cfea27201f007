/*
 * core/src/registry.h - plugin loader and the published registry generation (hot swap)
 * SPDX-License-Identifier: MIT
 *
 * A registry generation bundles everything a request needs and that a reload may change: the
 * configuration, the content types, the loaded plugin files and the provider and scorer instances.
 * Requests take a reference with lf_registry_acquire() for their whole life (including asynchronous
 * callbacks into plugin code) and drop it with lf_registry_release(). A reload builds a complete new
 * generation off to the side (plugins loaded from private copies, instances initialised, self-tests run)
 * and publishes it atomically; the old one is finalised and its plugins dlclose()d when its last
 * reference drops. A failed reload publishes nothing.
 */
#ifndef LF_CORE_REGISTRY_H
#define LF_CORE_REGISTRY_H

#include <jansson.h>
#include <lafactoria/plugin.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct lf_content_types;

/** A loaded .so (shared between generations while its file is unchanged). */
struct lf_plugin_file {
    atomic_long refs;
    char *file;          /* path of the original file in the plugin directory */
    char *kind_dir;      /* "providers" or "scorers" */
    char sha256[65];
    void *dl;
    struct lf_plugin_descriptor desc; /* core-owned copy, zero-filled past the plugin's struct_size */
    uint64_t loaded_generation;
    uint64_t loaded_at_ms;
};

/** Opaque configuration handle handed to plugins (host->config_*). */
struct lf_plugin_cfg;

struct lf_provider {
    char *name;
    struct lf_plugin_file *plugin; /* NULL when the plugin is not loaded */
    void *state;
    int enabled;                   /* effective */
    char *disabled_reason;         /* why not enabled, or NULL */
    int priority;
    double weight;
    const struct lf_model_info *models;
    size_t nmodels;
    struct lf_plugin_cfg *cfg;
    const struct lf_provider_conf *conf; /* borrowed from the generation's config */
    int http;                      /* 1: build_request/parse_response, 0: generate */
    struct lf_provider_rt *rt;     /* runtime state shared across generations (circuit, budget, stats) */
};

struct lf_scorer {
    char *name;
    struct lf_plugin_file *plugin;
    void *state;
    int enabled;
    char *disabled_reason;
    double weight;
    struct lf_plugin_cfg *cfg;
};

struct lf_registry {
    atomic_long refs;
    uint64_t generation;
    uint64_t created_ms;
    struct lf_config *config;
    struct lf_content_types *types;
    struct lf_plugin_file **files;
    size_t nfiles;
    struct lf_provider *providers;
    size_t nproviders;
    struct lf_scorer *scorers;
    size_t nscorers;
    json_t *refusals;  /* [{file, error}] plugins the loader refused */
    json_t *warnings;  /* [string] */
};

/** The host API table given to every plugin. */
const struct lf_host_api *lf_registry_host_api(void);

/**
 * Load one plugin file with every ABI check. On refusal returns NULL and writes a message naming the
 * problem into err. `generation` is recorded; the file is loaded from a private copy.
 */
struct lf_plugin_file *lf_plugin_file_load(const char *path, const char *kind_dir, uint64_t generation, char *err,
                                           size_t errlen);
void lf_plugin_file_unref(struct lf_plugin_file *pf);

/**
 * Build a complete generation from `config` (stolen on success and on failure). `previous` (may be
 * NULL) lets unchanged plugin files be shared. On failure returns NULL and sets err.
 */
struct lf_registry *lf_registry_build(struct lf_config *config, const struct lf_registry *previous,
                                      uint64_t generation, char *err, size_t errlen);

/** Publish `reg` (takes its initial reference) as current; the old one is released. */
void lf_registry_publish(struct lf_registry *reg);

/** The current generation with a reference taken; never NULL after the first publish. */
struct lf_registry *lf_registry_acquire(void);
void lf_registry_release(struct lf_registry *reg);

/** Drop the published generation (shutdown). */
void lf_registry_shutdown(void);

/** Lookups within a generation. */
struct lf_provider *lf_registry_provider(struct lf_registry *reg, const char *name);

/** Number of generations built so far that are still alive (published or draining). */
long lf_registry_live_generations(void);

/** JSON of the loaded plugin files of every live generation (admin view). */
json_t *lf_registry_plugins_json(void);

/** Price of `tokens` on the provider's model (default model when model is NULL). */
double lf_provider_price(const struct lf_provider *p, const char *model, uint64_t prompt_tokens,
                         uint64_t completion_tokens);

#endif
