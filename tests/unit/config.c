/*
 * tests/unit/config.c - configuration parsing, strict validation, ${ENV} substitution, overrides, masking
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mem.h"

static void clear_env(void)
{
    const char *vars[] = {"PORT", "ENVIRONMENT", "DATABASE_URL", "LA_FACTORIA_API_KEY", "LA_FACTORIA_ADMIN_KEY",
                          "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "GEMINI_API_KEY",
                          "RATE_LIMIT_REQUESTS_PER_MINUTE", "RATE_LIMIT_GENERATIONS_PER_HOUR", "LF_WORKERS",
                          "LA_FACTORIA_PLUGIN_DIR", "LF_T_A", "LF_T_B"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); ++i)
        unsetenv(vars[i]);
}

static struct lf_config *load_ok(const char *text)
{
    char err[512] = "";
    struct lf_config *c = NULL;
    if (lf_config_load_string(text, "t", &c, err, sizeof(err)) != 0)
        fail_msg("unexpected error: %s", err);
    return c;
}

static void load_err(const char *text, const char *needle)
{
    char err[512] = "";
    struct lf_config *c = NULL;
    int rc = lf_config_load_string(text, "t", &c, err, sizeof(err));
    lf_config_free(c);
    assert_int_equal(rc, -1);
    if (strstr(err, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, err);
}

static void test_defaults(void **s)
{
    (void)s;
    clear_env();
    struct lf_config *c = load_ok("{}");
    assert_int_equal(c->port, 8080);
    assert_string_equal(c->environment, "development");
    assert_string_equal(c->host, "0.0.0.0");
    assert_int_equal(c->max_body_bytes, 65536);
    assert_int_equal(c->requests_per_minute, 60);
    assert_int_equal(c->generations_per_hour, 100);
    assert_true(c->workers >= 1);
    assert_false(c->http2);
    assert_null(c->api_key);
    assert_null(c->database_url);
    assert_string_equal(c->strategy, "cost");
    assert_true(c->threshold_overall > 0.69 && c->threshold_overall < 0.71);
    /* built-in providers: the three real ones (disabled without keys) and offline on auto */
    assert_int_equal(c->nproviders, 4);
    assert_string_equal(c->providers[3].plugin, "offline");
    assert_int_equal(c->providers[3].enabled, LF_ENABLED_AUTO);
    assert_int_equal(c->nscorers, 5);
    lf_config_free(c);
}

static void test_strict_errors(void **s)
{
    (void)s;
    clear_env();
    load_err("{\"server\":{\"port\":\"80\"}}", "$.server.port: expected an integer");
    load_err("{\"server\":{\"port\":70000}}", "$.server.port: must be between 0 and 65535");
    load_err("{\"server\":{\"bogus\":1}}", "$.server.bogus: unknown key");
    load_err("{\"nope\":true}", "$.nope: unknown key");
    load_err("{\"routing\":{\"strategy\":\"cheapest\"}}", "$.routing.strategy: unknown value \"cheapest\"");
    load_err("{\"providers\":[{\"name\":\"a\",\"plugin\":\"x\",\"weight\":\"heavy\"}]}",
             "$.providers[0].weight: expected a number");
    load_err("{\"providers\":[{\"name\":\"a\",\"plugin\":\"x\"},{\"name\":\"a\",\"plugin\":\"y\"}]}",
             "$.providers[1].name: duplicate provider name \"a\"");
    load_err("{\"providers\":[{\"plugin\":\"x\"}]}", "\"name\" and \"plugin\" are required");
    load_err("{\"quality\":{\"thresholds\":{\"overall\":1.5}}}", "$.quality.thresholds.overall: must be between 0 and 1");
    load_err("{\"server\": ", "invalid JSON");
    load_err("{\"a\":1,\"a\":2}", "invalid JSON");
    load_err("[]", "expected an object");
    load_err("{\"server\":{\"http2\":true}}", "$.server.http2: HTTP/2 is not offered by this gateway");
}

static void test_substitution(void **s)
{
    (void)s;
    clear_env();
    setenv("LF_T_A", "alpha", 1);
    json_t *j = json_loads("{\"x\":\"${LF_T_A}\",\"y\":\"pre-${LF_T_A}-post\",\"z\":\"${LF_T_B}\","
                           "\"w\":\"${LF_T_B:-fallback}\",\"v\":\"a${LF_T_B}b\",\"arr\":[\"${LF_T_B}\",\"${LF_T_A}\"],"
                           "\"o\":{\"k\":\"${LF_T_A:-no}\"},\"lit\":\"$notavar {x}\"}",
                           0, NULL);
    lf_config_substitute(j);
    assert_string_equal(json_string_value(json_object_get(j, "x")), "alpha");
    assert_string_equal(json_string_value(json_object_get(j, "y")), "pre-alpha-post");
    assert_null(json_object_get(j, "z")); /* only an unset reference: absent */
    assert_string_equal(json_string_value(json_object_get(j, "w")), "fallback");
    assert_string_equal(json_string_value(json_object_get(j, "v")), "ab");
    assert_true(json_is_null(json_array_get(json_object_get(j, "arr"), 0)));
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "arr"), 1)), "alpha");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "o"), "k")), "alpha");
    assert_string_equal(json_string_value(json_object_get(j, "lit")), "$notavar {x}");
    json_decref(j);
    unsetenv("LF_T_A");
}

static void test_env_overrides(void **s)
{
    (void)s;
    clear_env();
    setenv("PORT", "9191", 1);
    setenv("ENVIRONMENT", "production", 1);
    setenv("DATABASE_URL", "postgresql://u:secretpw@db/x", 1);
    setenv("LA_FACTORIA_API_KEY", "user-key-from-env", 1);
    setenv("RATE_LIMIT_REQUESTS_PER_MINUTE", "7", 1);
    setenv("RATE_LIMIT_GENERATIONS_PER_HOUR", "9", 1);
    setenv("OPENAI_API_KEY", "sk-from-env-123456", 1);
    setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", 1);
    struct lf_config *c = load_ok("{\"environment\":\"staging\",\"server\":{\"port\":1234},"
                                  "\"auth\":{\"api_key\":\"from-file\"},\"rate_limits\":{\"requests_per_minute\":5},"
                                  "\"providers\":[{\"name\":\"openai\",\"plugin\":\"openai\",\"config\":{\"api_key\":"
                                  "\"file-key\"}}]}");
    assert_int_equal(c->port, 9191);
    assert_string_equal(c->environment, "production");
    assert_string_equal(c->api_key, "user-key-from-env");
    assert_int_equal(c->requests_per_minute, 7);
    assert_int_equal(c->generations_per_hour, 9);
    assert_string_equal(json_string_value(json_object_get(c->providers[0].config, "api_key")), "sk-from-env-123456");
    assert_string_equal(json_string_value(json_object_get(c->providers[0].config, "base_url")),
                        "http://127.0.0.1:9/v1");
    /* masked view: no secret, no password */
    json_t *m = lf_config_to_json_masked(c);
    char *dump = json_dumps(m, 0);
    assert_null(strstr(dump, "user-key-from-env"));
    assert_null(strstr(dump, "sk-from-env-123456"));
    assert_null(strstr(dump, "secretpw"));
    assert_non_null(strstr(dump, "****3456"));
    assert_non_null(strstr(dump, "postgresql://u:****@db/x"));
    free(dump);
    json_decref(m);
    lf_config_free(c);
    setenv("PORT", "not-a-port", 1);
    load_err("{}", "environment variable PORT: expected an integer between 0 and 65535");
    clear_env();
}

static void test_mask(void **s)
{
    (void)s;
    char *m = lf_config_mask("abcdefghijkl");
    assert_string_equal(m, "****ijkl");
    lf_free(m);
    m = lf_config_mask("short");
    assert_string_equal(m, "****");
    lf_free(m);
    assert_null(lf_config_mask(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_defaults), cmocka_unit_test(test_strict_errors),
                                       cmocka_unit_test(test_substitution), cmocka_unit_test(test_env_overrides),
                                       cmocka_unit_test(test_mask)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
