/*
 * tests/plugins/broken/broken.c - deliberately broken plugins for the loader's refusal tests
 * SPDX-License-Identifier: MIT
 *
 * Built several times with one of BROKEN_* defined (see tests/plugins/broken.cmake).
 */
#include <lafactoria/plugin.h>
#include <string.h>

__attribute__((unused)) static int t_init(const struct lf_plugin_init_args *args, void **state)
{
    (void)args;
    *state = NULL;
    return LF_OK;
}

__attribute__((unused)) static void t_destroy(void *state)
{
    (void)state;
}

__attribute__((unused)) static int t_generate(void *state, const struct lf_gen_request *req, struct lf_gen_result *out)
{
    (void)state;
    (void)req;
    out->failure = LF_FAILURE_UPSTREAM_5XX;
    return LF_OK;
}

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "broken"
#endif

#if defined(BROKEN_MISSING_ENTRY)
/* exports no lf_plugin_entry at all */
LF_PLUGIN_EXPORT int lf_plugin_entry_typo(void);
LF_PLUGIN_EXPORT int lf_plugin_entry_typo(void)
{
    return 0;
}
#elif defined(BROKEN_ABI_MAJOR)
static const struct lf_plugin_descriptor d = {
    .struct_size = sizeof(struct lf_plugin_descriptor), .abi_major = 2, .abi_minor = 0,
    .kind = LF_PLUGIN_KIND_PROVIDER, .name = PLUGIN_NAME, .version = "1.0.0", .abi = LF_ABI_VALUES_INIT,
    .init = t_init, .destroy = t_destroy, .generate = t_generate};
LF_PLUGIN_EXPORT const struct lf_plugin_descriptor *lf_plugin_entry(void);
LF_PLUGIN_EXPORT const struct lf_plugin_descriptor *lf_plugin_entry(void)
{
    return &d;
}
#elif defined(BROKEN_SHORT_STRUCT)
static const struct lf_plugin_descriptor d = {
    .struct_size = 16, .abi_major = LF_PLUGIN_ABI_MAJOR, .abi_minor = 0, .kind = LF_PLUGIN_KIND_PROVIDER,
    .name = PLUGIN_NAME, .version = "1.0.0", .abi = LF_ABI_VALUES_INIT, .init = t_init, .generate = t_generate};
LF_PLUGIN_EXPORT const struct lf_plugin_descriptor *lf_plugin_entry(void);
LF_PLUGIN_EXPORT const struct lf_plugin_descriptor *lf_plugin_entry(void)
{
    return &d;
}
#elif defined(BROKEN_UNKNOWN_KIND)
LF_PLUGIN_DESCRIPTOR(.kind = 7, .name = PLUGIN_NAME, .version = "1.0.0", .init = t_init, .destroy = t_destroy,
                     .generate = t_generate)
#elif defined(BROKEN_ABI_EXTRA)
static const struct lf_plugin_descriptor d = {
    .struct_size = sizeof(struct lf_plugin_descriptor), .abi_major = LF_PLUGIN_ABI_MAJOR, .abi_minor = 0,
    .kind = LF_PLUGIN_KIND_PROVIDER, .name = PLUGIN_NAME, .version = "1.0.0",
    .abi = {sizeof(void *), sizeof(long), sizeof(size_t), sizeof(double), "other-build"},
    .init = t_init, .destroy = t_destroy, .generate = t_generate};
LF_PLUGIN_EXPORT const struct lf_plugin_descriptor *lf_plugin_entry(void);
LF_PLUGIN_EXPORT const struct lf_plugin_descriptor *lf_plugin_entry(void)
{
    return &d;
}
#else
/* a valid provider that always fails (used for the duplicate-name test and as a positive control) */
LF_PLUGIN_DESCRIPTOR(.kind = LF_PLUGIN_KIND_PROVIDER, .name = PLUGIN_NAME, .version = PLUGIN_VERSION,
                     .description = "test provider", .init = t_init, .destroy = t_destroy, .generate = t_generate)
#endif
