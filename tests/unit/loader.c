/*
 * tests/unit/loader.c - the plugin loader refuses broken plugins with messages naming the problem
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "registry.h"
#include "runtime.h"

#define BROKEN LF_BUILD_DIR "/tests/plugins/broken"

static void expect_refusal(const char *file, const char *needle)
{
    char path[PATH_MAX], err[1024] = "";
    snprintf(path, sizeof(path), "%s/%s", BROKEN, file);
    struct lf_plugin_file *pf = lf_plugin_file_load(path, "providers", 1, err, sizeof(err));
    if (pf != NULL)
        lf_plugin_file_unref(pf);
    assert_null(pf);
    if (strstr(err, needle) == NULL)
        fail_msg("refusal of %s: expected \"%s\" in \"%s\"", file, needle, err);
    /* the message names the file */
    assert_non_null(strstr(err, file));
}

static void test_missing_entry(void **s)
{
    (void)s;
    expect_refusal("missing_entry.so", "missing entry symbol lf_plugin_entry");
}

static void test_abi_major(void **s)
{
    (void)s;
    expect_refusal("abi_major.so", "plugin ABI major 2 is not supported (core has ABI major 1)");
}

static void test_short_struct(void **s)
{
    (void)s;
    expect_refusal("short_struct.so", "descriptor too short: struct_size is 16 bytes");
}

static void test_unknown_kind(void **s)
{
    (void)s;
    expect_refusal("unknown_kind.so", "unknown plugin kind 7");
}

static void test_abi_extra(void **s)
{
    (void)s;
    expect_refusal("abi_extra.so", "ABI mismatch: core has build string \"lafactoria-c11\", plugin has \"other-build\"");
}

static void test_good_loads(void **s)
{
    (void)s;
    char err[512] = "";
    struct lf_plugin_file *pf = lf_plugin_file_load(BROKEN "/good.so", "providers", 3, err, sizeof(err));
    assert_non_null(pf);
    assert_string_equal(pf->desc.name, "good");
    assert_string_equal(pf->desc.version, "1.2.3");
    assert_int_equal(pf->desc.kind, LF_PLUGIN_KIND_PROVIDER);
    assert_int_equal(pf->loaded_generation, 3);
    assert_int_equal(strlen(pf->sha256), 64);
    lf_plugin_file_unref(pf);
}

static int copy(const char *src, const char *dst, mode_t mode)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    if (in == NULL || out == NULL)
        return -1;
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
    return chmod(dst, mode);
}

static void test_world_writable(void **s)
{
    (void)s;
    char dir[] = "/tmp/lf-loader-XXXXXX", path[PATH_MAX], err[512] = "";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/good.so", dir);
    assert_int_equal(copy(BROKEN "/good.so", path, 0666), 0);
    chmod(path, 0666);
    struct lf_plugin_file *pf = lf_plugin_file_load(path, "providers", 1, err, sizeof(err));
    assert_null(pf);
    assert_non_null(strstr(err, "world-writable"));
    unlink(path);
    rmdir(dir);
}

/* A whole plugin directory: duplicate names and a symlink leaving the directory are refused, the rest loads. */
static void test_registry_scan(void **s)
{
    (void)s;
    char dir[] = "/tmp/lf-loader-XXXXXX", outside[] = "/tmp/lf-outside-XXXXXX", p[PATH_MAX], q[PATH_MAX];
    assert_non_null(mkdtemp(dir));
    assert_non_null(mkdtemp(outside));
    snprintf(p, sizeof(p), "%s/providers", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/scorers", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/providers/dup_a.so", dir);
    assert_int_equal(copy(BROKEN "/dup_a.so", p, 0755), 0);
    snprintf(p, sizeof(p), "%s/providers/dup_b.so", dir);
    assert_int_equal(copy(BROKEN "/dup_b.so", p, 0755), 0);
    snprintf(q, sizeof(q), "%s/good.so", outside);
    assert_int_equal(copy(BROKEN "/good.so", q, 0755), 0);
    snprintf(p, sizeof(p), "%s/providers/evil.so", dir);
    assert_int_equal(symlink(q, p), 0);

    char cfgtext[2048], err[1024] = "";
    snprintf(cfgtext, sizeof(cfgtext),
             "{\"paths\":{\"plugin_dir\":\"%s\",\"content_types_dir\":\"%s/config/content_types\"},"
             "\"providers\":[{\"name\":\"d\",\"plugin\":\"dup\"}],\"scorers\":[]}",
             dir, LF_SOURCE_DIR);
    struct lf_config *cfg = NULL;
    assert_int_equal(lf_config_load_string(cfgtext, "test", &cfg, err, sizeof(err)), 0);
    lf_runtime_init(cfg);
    struct lf_registry *reg = lf_registry_build(cfg, NULL, 1, err, sizeof(err));
    if (reg == NULL)
        fail_msg("build failed: %s", err);
    char *refusals = json_dumps(reg->refusals, 0);
    if (strstr(refusals, "duplicate plugin name \\\"dup\\\"") == NULL)
        fail_msg("no duplicate refusal in %s", refusals);
    if (strstr(refusals, "path outside the plugin directory") == NULL)
        fail_msg("no outside-path refusal in %s", refusals);
    free(refusals);
    assert_int_equal(reg->nfiles, 1);
    assert_string_equal(reg->files[0]->desc.version, "1.0.0"); /* dup_a sorts first and wins */
    lf_registry_publish(reg);
    lf_registry_shutdown();

    /* a plugin reference that tries to leave the directory is a configuration error */
    snprintf(cfgtext, sizeof(cfgtext),
             "{\"paths\":{\"plugin_dir\":\"%s\",\"content_types_dir\":\"%s/config/content_types\"},"
             "\"providers\":[{\"name\":\"x\",\"plugin\":\"../../etc/evil\"}],\"scorers\":[]}",
             dir, LF_SOURCE_DIR);
    assert_int_equal(lf_config_load_string(cfgtext, "test", &cfg, err, sizeof(err)), 0);
    reg = lf_registry_build(cfg, NULL, 2, err, sizeof(err));
    assert_null(reg);
    assert_non_null(strstr(err, "$.providers[0].plugin"));
    assert_non_null(strstr(err, "path outside the plugin directory"));
    lf_runtime_shutdown();

    char cmd[PATH_MAX * 2 + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, outside);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_entry), cmocka_unit_test(test_abi_major),
        cmocka_unit_test(test_short_struct),  cmocka_unit_test(test_unknown_kind),
        cmocka_unit_test(test_abi_extra),     cmocka_unit_test(test_good_loads),
        cmocka_unit_test(test_world_writable), cmocka_unit_test(test_registry_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
