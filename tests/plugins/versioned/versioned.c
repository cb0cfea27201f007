/*
 * tests/plugins/versioned/versioned.c - test provider built twice (v1, v2) to exercise plugin hot swap
 * SPDX-License-Identifier: MIT
 *
 * generate() only (no network). Config: "text" (string, the answer; default a fixed sentence) and
 * "latency_ms" (integer, default 0: the core delivers the answer after it). The version is compiled in
 * (VERSIONED_VERSION) and shows up as the plugin version and in the model id "versioned-<version>",
 * so a test can tell from metadata.ai_model which build answered.
 */
#include <stdint.h>
#include <string.h>

#include <lafactoria/plugin.h>

#ifndef VERSIONED_VERSION
#define VERSIONED_VERSION "0.0.0"
#endif

#define PLUGIN "versioned"

struct vstate {
    const struct lf_host_api *host;
    char *text;
    uint32_t latency_ms;
    struct lf_model_info model;
};

static const struct lf_config_field CONFIG_MAP[] = {
    {"text", LF_CONFIG_STRING, 0, NULL, "answer text", 0},
    {"latency_ms", LF_CONFIG_INTEGER, 0, "0", "simulated latency of every answer", 0},
    {NULL, 0, 0, NULL, NULL, 0},
};

static char *dup_host(const struct lf_host_api *host, const char *s)
{
    size_t n = strlen(s);
    char *d = host->alloc(n + 1);
    if (d != NULL)
        memcpy(d, s, n + 1);
    return d;
}

static int v_init(const struct lf_plugin_init_args *args, void **state)
{
    const struct lf_host_api *host = args->host;
    struct vstate *st = host->alloc(sizeof(*st));
    if (st == NULL)
        return LF_ENOMEM;
    memset(st, 0, sizeof(*st));
    st->host = host;
    const char *t = host->config_string(args->config, "text");
    st->text = dup_host(host, t != NULL ? t : "versioned provider answer");
    double lat = 0;
    if (host->config_number(args->config, "latency_ms", &lat) && lat > 0)
        st->latency_ms = (uint32_t)lat;
    st->model.id = "versioned-" VERSIONED_VERSION;
    st->model.input_usd_per_mtok = 0.1;
    st->model.output_usd_per_mtok = 0.2;
    if (st->text == NULL) {
        host->free(st);
        return LF_ENOMEM;
    }
    *state = st;
    return LF_OK;
}

static void v_destroy(void *state)
{
    struct vstate *st = state;
    if (st == NULL)
        return;
    st->host->free(st->text);
    st->host->free(st);
}

static int v_self_test(void *state)
{
    return state != NULL ? LF_OK : LF_EINVAL;
}

static size_t v_models(void *state, const struct lf_model_info **models)
{
    struct vstate *st = state;
    *models = &st->model;
    return 1;
}

static int v_generate(void *state, const struct lf_gen_request *req, struct lf_gen_result *out)
{
    struct vstate *st = state;
    out->failure = LF_FAILURE_NONE;
    out->text = dup_host(st->host, st->text);
    out->text_len = out->text != NULL ? strlen(out->text) : 0;
    out->model = dup_host(st->host, st->model.id);
    out->finish_reason = dup_host(st->host, "stop");
    out->usage.prompt_tokens = req->prompt_len / 4 + 1;
    out->usage.completion_tokens = out->text_len / 4 + 1;
    out->cost_usd = -1;
    out->delay_ms = st->latency_ms;
    return out->text != NULL ? LF_OK : LF_ENOMEM;
}

LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_PROVIDER, .name = PLUGIN, .version = VERSIONED_VERSION,
                     .description = "test provider for hot swap (version compiled in)", .config_map = CONFIG_MAP,
                     .init = v_init, .destroy = v_destroy, .self_test = v_self_test, .models = v_models,
                     .generate = v_generate)
