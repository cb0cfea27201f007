/*
 * core/src/cli.c - lafactoria plugins / generate / migrate
 * SPDX-License-Identifier: MIT
 */
#include "cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "genreq.h"
#include "log.h"
#include "mem.h"
#include "migrate.h"
#include "pipeline.h"
#include "registry.h"
#include "runtime.h"
#include "server.h"
#include "upstream.h"
#include "util.h"

int lf_cli_plugins(struct lf_config *cfg)
{
    char err[512];
    lf_log_set_level(LF_LOG_LVL_ERROR);
    lf_runtime_init(cfg);
    struct lf_registry *reg = lf_registry_build(cfg, NULL, 1, err, sizeof(err));
    if (reg == NULL) {
        fprintf(stderr, "lafactoria: %s\n", err);
        lf_runtime_shutdown();
        return 1;
    }
    printf("plugin directory: %s (core ABI %d.%d)\n\n", reg->config->plugin_dir, LF_PLUGIN_ABI_MAJOR,
           LF_PLUGIN_ABI_MINOR);
    printf("%-14s %-9s %-9s %-5s %s\n", "PLUGIN", "KIND", "VERSION", "ABI", "FILE");
    for (size_t i = 0; i < reg->nfiles; ++i) {
        struct lf_plugin_file *pf = reg->files[i];
        printf("%-14s %-9s %-9s %u.%-3u %s\n", pf->desc.name,
               pf->desc.kind == LF_PLUGIN_KIND_PROVIDER ? "provider" : "scorer", pf->desc.version,
               (unsigned)pf->desc.abi_major, (unsigned)pf->desc.abi_minor, pf->file);
    }
    printf("\nproviders:\n");
    for (size_t i = 0; i < reg->nproviders; ++i) {
        struct lf_provider *p = &reg->providers[i];
        printf("  %-12s %-8s %s\n", p->name, p->enabled ? "enabled" : "disabled",
               p->disabled_reason ? p->disabled_reason : "");
    }
    printf("scorers:\n");
    for (size_t i = 0; i < reg->nscorers; ++i) {
        struct lf_scorer *s = &reg->scorers[i];
        printf("  %-12s %-8s %s\n", s->name, s->enabled ? "enabled" : "disabled",
               s->disabled_reason ? s->disabled_reason : "");
    }
    size_t nref = json_array_size(reg->refusals);
    if (nref > 0) {
        printf("\nrefused:\n");
        for (size_t i = 0; i < nref; ++i)
            printf("  %s\n", json_string_value(json_object_get(json_array_get(reg->refusals, i), "error")));
    }
    lf_registry_publish(reg);
    lf_registry_shutdown();
    lf_runtime_shutdown();
    return 0;
}

struct cli_job {
    int done;
    int status;
    json_t *body;
};

static void cli_done(void *ud, int status, json_t *body, uint64_t upstream_ns, const char *provider, double cost)
{
    (void)upstream_ns;
    (void)provider;
    (void)cost;
    struct cli_job *j = ud;
    j->done = 1;
    j->status = status;
    j->body = json_incref(body);
}

int lf_cli_generate(struct lf_config *cfg, int argc, char **argv)
{
    char err[512];
    const char *type = NULL, *topic = NULL, *age = "general", *req = NULL, *provider = NULL;
    for (int i = 0; i < argc; ++i) {
        if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc)
            topic = argv[++i];
        else if (strcmp(argv[i], "--age-group") == 0 && i + 1 < argc)
            age = argv[++i];
        else if (strcmp(argv[i], "--requirements") == 0 && i + 1 < argc)
            req = argv[++i];
        else if (strcmp(argv[i], "--provider") == 0 && i + 1 < argc)
            provider = argv[++i];
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            ++i;
        else if (argv[i][0] != '-' && type == NULL)
            type = argv[i];
    }
    if (type == NULL || topic == NULL) {
        fprintf(stderr, "usage: lafactoria generate TYPE --topic TEXT [--age-group GROUP] [--requirements TEXT] "
                        "[--provider NAME]\n");
        lf_config_free(cfg);
        return 2;
    }
    lf_log_set_level(LF_LOG_LVL_WARN);
    if (lf_upstream_global_init() != LF_OK) {
        fprintf(stderr, "lafactoria: cannot initialise libcurl\n");
        lf_config_free(cfg);
        return 1;
    }
    lf_runtime_init(cfg);
    struct lf_registry *reg = lf_registry_build(cfg, NULL, 1, err, sizeof(err));
    if (reg == NULL) {
        fprintf(stderr, "lafactoria: %s\n", err);
        return 1;
    }
    lf_registry_publish(reg);
    /* validate exactly as the HTTP API does */
    json_t *body = json_pack("{s:s,s:s}", "topic", topic, "age_group", age);
    if (req != NULL)
        json_object_set_new(body, "additional_requirements", json_string(req));
    if (provider != NULL)
        json_object_set_new(body, "provider", json_string(provider));
    struct lf_genreq rq;
    json_t *error = NULL;
    memset(&rq, 0, sizeof(rq));
    int rc = 1;
    if (lf_genreq_from_json(body, 0, NULL, NULL, &rq, &error) != LF_OK) {
        char *s = json_dumps(error, JSON_INDENT(2));
        fprintf(stderr, "%s\n", s);
        free(s);
        json_decref(error);
        goto Exit;
    }
    /* a private loop stands in for a worker */
    struct lf_worker *w = lf_worker_private_new();
    struct cli_job job = {0, 0, NULL};
    struct lf_gen_params p;
    memset(&p, 0, sizeof(p));
    p.content_type = type;
    p.topic = rq.topic;
    p.age_group = rq.age_group;
    p.additional_requirements = rq.additional_requirements;
    p.provider = rq.provider;
    p.max_cost_usd = -1;
    p.request_id = "cli";
    p.temperature = p.top_p = -1;
    struct lf_registry *cur = lf_registry_acquire();
    lf_gen_start(w, cur, &p, cli_done, &job);
    lf_registry_release(cur);
    while (!job.done)
        h2o_evloop_run(w->ctx.loop, 100);
    char *s = json_dumps(job.status == 200 ? job.body : json_pack("{s:O}", "error", job.body),
                         JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", s);
    free(s);
    rc = job.status == 200 ? 0 : 1;
    json_decref(job.body);
    lf_worker_private_free(w);
Exit:
    lf_genreq_clear(&rq);
    json_decref(body);
    lf_registry_shutdown();
    lf_runtime_shutdown();
    lf_upstream_global_cleanup();
    return rc;
}

int lf_cli_migrate(struct lf_config *cfg)
{
    char err[512];
    int rc = 0;
    if (cfg->database_url == NULL) {
        fprintf(stderr, "lafactoria: DATABASE_URL is not set (and $.database.url is empty)\n");
        rc = 1;
    } else {
        int applied = 0;
        if (lf_migrate_run_ex(cfg->database_url, cfg->migrations_dir, &applied, err, sizeof(err)) != LF_OK) {
            fprintf(stderr, "lafactoria: migration failed: %s\n", err);
            rc = 1;
        } else {
            printf("migrations applied: %d\n", applied);
        }
    }
    lf_config_free(cfg);
    return rc;
}
