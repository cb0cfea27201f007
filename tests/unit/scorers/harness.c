/*
 * tests/unit/scorers/harness.c - dlopen loader for the scorer tests (host table: tests/unit/common/fake_host.c)
 * SPDX-License-Identifier: MIT
 */
#include "harness.h"

#include "../common/fake_host.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct lf_host_api *th_host(void)
{
    return fake_host();
}

int th_load(const char *dir, const char *name, struct th_plugin *p)
{
    char path[1024];
    memset(p, 0, sizeof(*p));
    snprintf(path, sizeof(path), "%s/%s.so", dir, name);
    p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (p->dl == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return -1;
    }
    lf_plugin_entry_fn entry;
    *(void **)(&entry) = dlsym(p->dl, "lf_plugin_entry");
    if (entry == NULL)
        return -1;
    p->desc = entry();
    if (p->desc == NULL || p->desc->abi_major != LF_PLUGIN_ABI_MAJOR || p->desc->kind != LF_PLUGIN_KIND_SCORER ||
        strcmp(p->desc->name, name) != 0 || p->desc->score == NULL)
        return -1;
    struct lf_plugin_init_args args = {sizeof(args), fake_host(), name, NULL, "{}", 2};
    if (p->desc->init != NULL && p->desc->init(&args, &p->state) != LF_OK)
        return -1;
    return 0;
}

void th_unload(struct th_plugin *p)
{
    if (p->desc != NULL && p->desc->destroy != NULL)
        p->desc->destroy(p->state);
    if (p->dl != NULL)
        dlclose(p->dl);
    memset(p, 0, sizeof(*p));
}

int th_score(const struct th_plugin *p, const char *content_type, const char *age_group, const char *content_json,
             const char *plain_text, const char *objectives_json, int schema_valid, const char *schema_errors_json,
             const char *dim, double *value, char **details)
{
    struct lf_score_input in = {
        .struct_size = sizeof(in),
        .content_type = content_type,
        .age_group = age_group,
        .content_json = content_json ? content_json : "{}",
        .content_json_len = strlen(content_json ? content_json : "{}"),
        .plain_text = plain_text ? plain_text : "",
        .plain_text_len = strlen(plain_text ? plain_text : ""),
        .learning_objectives_json = objectives_json,
        .schema_valid = schema_valid,
        .schema_errors_json = schema_errors_json,
    };
    struct lf_score_output out;
    memset(&out, 0, sizeof(out));
    out.struct_size = sizeof(out);
    int rc = p->desc->score(p->state, &in, &out);
    *value = NAN;
    for (uint32_t i = 0; i < out.n_dimensions; i++)
        if (strcmp(out.dimensions[i].name, dim) == 0)
            *value = out.dimensions[i].value;
    if (details != NULL)
        *details = out.details_json;
    else
        free(out.details_json);
    return rc;
}
