/*
 * core/src/config.c - configuration loading and strict validation
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"

#ifndef LF_SOURCE_DIR
#define LF_SOURCE_DIR "."
#endif
#ifndef LF_DEFAULT_PLUGIN_DIR
#define LF_DEFAULT_PLUGIN_DIR "/usr/local/lib/lafactoria"
#endif

/* Built-in defaults used when no configuration file exists: the offline provider and the scorers. */
static const char builtin_defaults[] =
    "{\"providers\":[{\"name\":\"openai\",\"plugin\":\"openai\",\"priority\":10,"
    "\"config\":{\"api_key\":\"${OPENAI_API_KEY}\",\"base_url\":\"${OPENAI_BASE_URL:-https://api.openai.com/v1}\"}},"
    "{\"name\":\"anthropic\",\"plugin\":\"anthropic\",\"priority\":20,"
    "\"config\":{\"api_key\":\"${ANTHROPIC_API_KEY}\",\"base_url\":\"${ANTHROPIC_BASE_URL:-https://api.anthropic.com}\"}},"
    "{\"name\":\"gemini\",\"plugin\":\"gemini\",\"priority\":30,"
    "\"config\":{\"api_key\":\"${GEMINI_API_KEY}\",\"base_url\":\"${GEMINI_BASE_URL:-https://generativelanguage.googleapis.com}\"}},"
    "{\"name\":\"offline\",\"plugin\":\"offline\",\"enabled\":\"auto\",\"priority\":1000}],"
    "\"scorers\":[{\"name\":\"readability\",\"plugin\":\"readability\"},{\"name\":\"structure\",\"plugin\":\"structure\"},"
    "{\"name\":\"pedagogy\",\"plugin\":\"pedagogy\"},{\"name\":\"engagement\",\"plugin\":\"engagement\"},"
    "{\"name\":\"factuality\",\"plugin\":\"factuality\"}]}";

/* ---- ${ENV} substitution ---- */

/* Returns a fresh string with substitutions; *all_unset is set when the string was exactly one ${VAR}
 * reference whose variable is unset or empty and has no default. */
static char *substitute_string(const char *s, int *all_unset)
{
    size_t cap = strlen(s) + 64, len = 0;
    char *out = lf_malloc(cap);
    int refs = 0, unset_refs = 0, literal = 0;
    const char *p = s;
    while (*p != '\0') {
        const char *piece = NULL;
        size_t piece_len = 0;
        char *tmp = NULL;
        if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p + 2, '}');
            if (end != NULL) {
                char *ref = lf_strndup(p + 2, (size_t)(end - p - 2));
                char *dflt = strstr(ref, ":-");
                if (dflt != NULL) {
                    *dflt = '\0';
                    dflt += 2;
                }
                const char *v = getenv(ref);
                ++refs;
                if (v != NULL && *v != '\0') {
                    tmp = lf_strdup(v);
                } else if (dflt != NULL) {
                    tmp = lf_strdup(dflt);
                } else {
                    ++unset_refs;
                    tmp = lf_strdup("");
                }
                lf_free(ref);
                piece = tmp;
                piece_len = strlen(tmp);
                p = end + 1;
            }
        }
        if (piece == NULL) {
            piece = p;
            piece_len = 1;
            ++p;
            ++literal;
        }
        if (len + piece_len + 1 > cap) {
            cap = (len + piece_len + 1) * 2;
            out = lf_realloc(out, cap);
        }
        memcpy(out + len, piece, piece_len);
        len += piece_len;
        lf_free(tmp);
    }
    out[len] = '\0';
    *all_unset = refs == 1 && unset_refs == 1 && literal == 0;
    return out;
}

void lf_config_substitute(json_t *root)
{
    if (json_is_object(root)) {
        const char *key;
        json_t *val;
        void *tmp;
        json_object_foreach_safe(root, tmp, key, val)
        {
            if (json_is_string(val)) {
                int unset;
                char *s = substitute_string(json_string_value(val), &unset);
                if (unset)
                    json_object_del(root, key);
                else
                    json_object_set_new(root, key, json_string(s));
                lf_free(s);
            } else {
                lf_config_substitute(val);
            }
        }
    } else if (json_is_array(root)) {
        size_t i;
        json_t *val;
        json_array_foreach(root, i, val)
        {
            if (json_is_string(val)) {
                int unset;
                char *s = substitute_string(json_string_value(val), &unset);
                json_array_set_new(root, i, unset ? json_null() : json_string(s));
                lf_free(s);
            } else {
                lf_config_substitute(val);
            }
        }
    }
}

/* ---- strict validation ---- */

enum ftype { F_STRING, F_INT, F_NUMBER, F_BOOL, F_OBJECT, F_ANY_OBJECT, F_ARRAY, F_BOOL_OR_AUTO };

struct field {
    const char *name;
    enum ftype type;
    double min, max; /* for numbers; ignored when min > max */
    const struct field *children; /* for F_OBJECT */
    const char *const *one_of;    /* allowed strings */
};

static const char *const strategies[] = {"cost", "priority", "latency", "weighted", NULL};
static const char *const gates[] = {"best_effort", "reject", NULL};
static const char *const http_versions[] = {"auto", "1.1", NULL}; /* index = enum lf_upstream_http */

static const struct field server_fields[] = {
    {"host", F_STRING, 1, 0, NULL, NULL},
    {"port", F_INT, 0, 65535, NULL, NULL},
    {"workers", F_INT, 0, 256, NULL, NULL},
    {"max_body_bytes", F_INT, 1024, 64 * 1024 * 1024, NULL, NULL},
    {"http2", F_BOOL, 1, 0, NULL, NULL},
    {"shutdown_timeout_ms", F_INT, 0, 600000, NULL, NULL},
    {"request_deadline_ms", F_INT, 100, 600000, NULL, NULL},
    {"access_log", F_BOOL, 1, 0, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL}};
static const struct field auth_fields[] = {{"api_key", F_STRING, 1, 0, NULL, NULL},
                                           {"admin_key", F_STRING, 1, 0, NULL, NULL},
                                           {"metrics_require_key", F_BOOL, 1, 0, NULL, NULL},
                                           {NULL, 0, 0, 0, NULL, NULL}};
static const struct field db_fields[] = {{"url", F_STRING, 1, 0, NULL, NULL},
                                         {"journal_dir", F_STRING, 1, 0, NULL, NULL},
                                         {"fsync_interval_ms", F_INT, 1, 60000, NULL, NULL},
                                         {NULL, 0, 0, 0, NULL, NULL}};
static const struct field rl_fields[] = {{"requests_per_minute", F_INT, 1, 1e9, NULL, NULL},
                                         {"generations_per_hour", F_INT, 1, 1e9, NULL, NULL},
                                         {"auth_failures_per_minute", F_INT, 1, 1e9, NULL, NULL},
                                         {NULL, 0, 0, 0, NULL, NULL}};
static const struct field path_fields[] = {{"plugin_dir", F_STRING, 1, 0, NULL, NULL},
                                           {"content_types_dir", F_STRING, 1, 0, NULL, NULL},
                                           {"web_dir", F_STRING, 1, 0, NULL, NULL},
                                           {"migrations_dir", F_STRING, 1, 0, NULL, NULL},
                                           {NULL, 0, 0, 0, NULL, NULL}};
static const struct field routing_fields[] = {{"strategy", F_STRING, 1, 0, NULL, strategies},
                                              {"per_content_type", F_ANY_OBJECT, 1, 0, NULL, NULL},
                                              {"max_attempts", F_INT, 1, 10, NULL, NULL},
                                              {"attempt_timeout_ms", F_INT, 10, 600000, NULL, NULL},
                                              {NULL, 0, 0, 0, NULL, NULL}};
static const struct field threshold_fields[] = {{"overall", F_NUMBER, 0, 1, NULL, NULL},
                                                {"educational", F_NUMBER, 0, 1, NULL, NULL},
                                                {"factual", F_NUMBER, 0, 1, NULL, NULL},
                                                {NULL, 0, 0, 0, NULL, NULL}};
static const struct field quality_fields[] = {{"gate", F_STRING, 1, 0, NULL, gates},
                                              {"max_regenerations", F_INT, 0, 5, NULL, NULL},
                                              {"thresholds", F_OBJECT, 1, 0, threshold_fields, NULL},
                                              {"weights", F_ANY_OBJECT, 1, 0, NULL, NULL},
                                              {NULL, 0, 0, 0, NULL, NULL}};
static const struct field budget_fields[] = {{"daily_usd", F_NUMBER, 0, 1e12, NULL, NULL},
                                             {"monthly_usd", F_NUMBER, 0, 1e12, NULL, NULL},
                                             {NULL, 0, 0, 0, NULL, NULL}};
static const struct field retry_fields[] = {{"attempts", F_INT, 0, 5, NULL, NULL},
                                            {"backoff_ms", F_INT, 0, 60000, NULL, NULL},
                                            {NULL, 0, 0, 0, NULL, NULL}};
static const struct field circuit_fields[] = {{"failure_threshold", F_INT, 1, 1000, NULL, NULL},
                                              {"error_ratio", F_NUMBER, 0, 2, NULL, NULL},
                                              {"window_ms", F_INT, 1000, 3600000, NULL, NULL},
                                              {"min_requests", F_INT, 1, 100000, NULL, NULL},
                                              {"cooldown_ms", F_INT, 10, 86400000, NULL, NULL},
                                              {"max_cooldown_ms", F_INT, 10, 86400000, NULL, NULL},
                                              {NULL, 0, 0, 0, NULL, NULL}};
static const struct field provider_fields[] = {{"name", F_STRING, 1, 0, NULL, NULL},
                                               {"plugin", F_STRING, 1, 0, NULL, NULL},
                                               {"enabled", F_BOOL_OR_AUTO, 1, 0, NULL, NULL},
                                               {"priority", F_INT, -1e6, 1e6, NULL, NULL},
                                               {"weight", F_NUMBER, 0, 1e6, NULL, NULL},
                                               {"config", F_ANY_OBJECT, 1, 0, NULL, NULL},
                                               {"budget", F_OBJECT, 1, 0, budget_fields, NULL},
                                               {"retry", F_OBJECT, 1, 0, retry_fields, NULL},
                                               {"circuit", F_OBJECT, 1, 0, circuit_fields, NULL},
                                               {"health_probe_interval_ms", F_INT, 0, 86400000, NULL, NULL},
                                               {"http_version", F_STRING, 1, 0, NULL, http_versions},
                                               {"tls_ca_file", F_STRING, 1, 0, NULL, NULL},
                                               {NULL, 0, 0, 0, NULL, NULL}};
static const struct field scorer_fields[] = {{"name", F_STRING, 1, 0, NULL, NULL},
                                             {"plugin", F_STRING, 1, 0, NULL, NULL},
                                             {"enabled", F_BOOL, 1, 0, NULL, NULL},
                                             {"weight", F_NUMBER, 0, 1e6, NULL, NULL},
                                             {"config", F_ANY_OBJECT, 1, 0, NULL, NULL},
                                             {NULL, 0, 0, 0, NULL, NULL}};
static const struct field keybudget_fields[] = {{"daily_usd", F_NUMBER, 0, 1e12, NULL, NULL},
                                                {"monthly_usd", F_NUMBER, 0, 1e12, NULL, NULL},
                                                {NULL, 0, 0, 0, NULL, NULL}};
static const struct field root_fields[] = {{"environment", F_STRING, 1, 0, NULL, NULL},
                                           {"server", F_OBJECT, 1, 0, server_fields, NULL},
                                           {"auth", F_OBJECT, 1, 0, auth_fields, NULL},
                                           {"database", F_OBJECT, 1, 0, db_fields, NULL},
                                           {"rate_limits", F_OBJECT, 1, 0, rl_fields, NULL},
                                           {"paths", F_OBJECT, 1, 0, path_fields, NULL},
                                           {"routing", F_OBJECT, 1, 0, routing_fields, NULL},
                                           {"quality", F_OBJECT, 1, 0, quality_fields, NULL},
                                           {"key_budget", F_OBJECT, 1, 0, keybudget_fields, NULL},
                                           {"providers", F_ARRAY, 1, 0, provider_fields, NULL},
                                           {"scorers", F_ARRAY, 1, 0, scorer_fields, NULL},
                                           {NULL, 0, 0, 0, NULL, NULL}};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *type_name(enum ftype t)
{
    switch (t) {
    case F_STRING:
        return "a string";
    case F_INT:
        return "an integer";
    case F_NUMBER:
        return "a number";
    case F_BOOL:
        return "a boolean";
    case F_OBJECT:
    case F_ANY_OBJECT:
        return "an object";
    case F_ARRAY:
        return "an array";
    case F_BOOL_OR_AUTO:
        return "a boolean or \"auto\"";
    }
    return "?";
}

static int validate_object(json_t *obj, const struct field *fields, const char *path, char *err, size_t errlen);

static int validate_value(json_t *v, const struct field *f, const char *path, char *err, size_t errlen)
{
    int ok = 1;
    switch (f->type) {
    case F_STRING:
        ok = json_is_string(v);
        break;
    case F_INT:
        ok = json_is_integer(v);
        break;
    case F_NUMBER:
        ok = json_is_number(v);
        break;
    case F_BOOL:
        ok = json_is_boolean(v);
        break;
    case F_OBJECT:
    case F_ANY_OBJECT:
        ok = json_is_object(v);
        break;
    case F_ARRAY:
        ok = json_is_array(v);
        break;
    case F_BOOL_OR_AUTO:
        ok = json_is_boolean(v) || (json_is_string(v) && strcmp(json_string_value(v), "auto") == 0);
        break;
    }
    if (!ok)
        return fail(err, errlen, "%s: expected %s", path, type_name(f->type));
    if ((f->type == F_INT || f->type == F_NUMBER) && f->min <= f->max) {
        double d = json_number_value(v);
        if (d < f->min || d > f->max)
            return fail(err, errlen, "%s: must be between %g and %g", path, f->min, f->max);
    }
    if (f->type == F_STRING && f->one_of != NULL) {
        const char *s = json_string_value(v);
        int found = 0;
        for (const char *const *o = f->one_of; *o != NULL; ++o)
            if (strcmp(*o, s) == 0)
                found = 1;
        if (!found)
            return fail(err, errlen, "%s: unknown value \"%s\"", path, s);
    }
    if (f->type == F_OBJECT && f->children != NULL)
        return validate_object(v, f->children, path, err, errlen);
    if (f->type == F_ARRAY && f->children != NULL) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            char sub[256];
            snprintf(sub, sizeof(sub), "%.200s[%zu]", path, i);
            if (!json_is_object(item))
                return fail(err, errlen, "%s: expected an object", sub);
            if (validate_object(item, f->children, sub, err, errlen) != 0)
                return -1;
        }
    }
    return 0;
}

static int validate_object(json_t *obj, const struct field *fields, const char *path, char *err, size_t errlen)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        char sub[256];
        snprintf(sub, sizeof(sub), "%.120s.%.120s", path, key);
        const struct field *f = NULL;
        for (const struct field *c = fields; c->name != NULL; ++c)
            if (strcmp(c->name, key) == 0)
                f = c;
        if (f == NULL)
            return fail(err, errlen, "%s: unknown key", sub);
        if (validate_value(val, f, sub, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* ---- reading into the struct ---- */

static const json_t *get_path(const json_t *root, const char *a, const char *b)
{
    const json_t *v = json_object_get(root, a);
    if (v != NULL && b != NULL)
        v = json_object_get(v, b);
    return v;
}

static char *get_str(const json_t *root, const char *a, const char *b, const char *dflt)
{
    const json_t *v = get_path(root, a, b);
    if (json_is_string(v))
        return lf_strdup(json_string_value(v));
    return dflt != NULL ? lf_strdup(dflt) : NULL;
}

static long long get_int(const json_t *root, const char *a, const char *b, long long dflt)
{
    const json_t *v = get_path(root, a, b);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static double get_num(const json_t *root, const char *a, const char *b, double dflt)
{
    const json_t *v = get_path(root, a, b);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static int get_bool(const json_t *root, const char *a, const char *b, int dflt)
{
    const json_t *v = get_path(root, a, b);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static char *base_dir(void)
{
    const char *home = getenv("LA_FACTORIA_HOME");
    if (home != NULL && *home != '\0')
        return lf_strdup(home);
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) != NULL && access("config/content_types", F_OK) == 0)
        return lf_strdup(cwd);
    return lf_strdup(LF_SOURCE_DIR);
}

static char *resolve_path(const char *base, char *p)
{
    if (p == NULL || p[0] == '/' || p[0] == '\0')
        return p;
    char *abs = lf_asprintf("%s/%s", base, p);
    lf_free(p);
    return abs;
}

static char *env_or(const char *name, char *current)
{
    const char *v = getenv(name);
    if (v != NULL && *v != '\0') {
        lf_free(current);
        return lf_strdup(v);
    }
    return current;
}

static int env_int(const char *name, int *out, long min, long max, char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || *end != '\0' || n < min || n > max)
        return fail(err, errlen, "environment variable %s: expected an integer between %ld and %ld", name, min, max);
    *out = (int)n;
    return 0;
}

static void provider_env_override(json_t *providers, const char *plugin, const char *key_env, const char *url_env)
{
    size_t i;
    json_t *p;
    json_array_foreach(providers, i, p)
    {
        const char *pl = json_string_value(json_object_get(p, "plugin"));
        if (pl == NULL || strcmp(pl, plugin) != 0)
            continue;
        json_t *c = json_object_get(p, "config");
        if (!json_is_object(c)) {
            c = json_object();
            json_object_set_new(p, "config", c);
        }
        const char *k = getenv(key_env), *u = getenv(url_env);
        if (k != NULL && *k != '\0')
            json_object_set_new(c, "api_key", json_string(k));
        if (u != NULL && *u != '\0')
            json_object_set_new(c, "base_url", json_string(u));
    }
}

static int build(json_t *root, const char *origin, struct lf_config **out, char *err, size_t errlen)
{
    struct lf_config *c = NULL;
    char *base = NULL;
    int rc = -1;

    if (!json_is_object(root)) {
        fail(err, errlen, "%s: $: expected an object", origin);
        goto Exit;
    }
    lf_config_substitute(root);
    /* provider keys and base URLs from the environment win over the file */
    json_t *providers = json_object_get(root, "providers");
    if (providers == NULL) {
        json_t *d = json_loads(builtin_defaults, 0, NULL);
        lf_config_substitute(d);
        json_object_set(root, "providers", json_object_get(d, "providers"));
        if (json_object_get(root, "scorers") == NULL)
            json_object_set(root, "scorers", json_object_get(d, "scorers"));
        json_decref(d);
        providers = json_object_get(root, "providers");
    }
    if (json_is_array(providers)) {
        provider_env_override(providers, "openai", "OPENAI_API_KEY", "OPENAI_BASE_URL");
        provider_env_override(providers, "anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL");
        provider_env_override(providers, "gemini", "GEMINI_API_KEY", "GEMINI_BASE_URL");
    }
    {
        char e2[400];
        if (validate_object(root, root_fields, "$", e2, sizeof(e2)) != 0) {
            fail(err, errlen, "%s: %s", origin, e2);
            goto Exit;
        }
    }

    c = lf_calloc(1, sizeof(*c));
    base = base_dir();
    c->source_path = origin != NULL ? lf_strdup(origin) : NULL;
    c->environment = env_or("ENVIRONMENT", get_str(root, "environment", NULL, "development"));
    c->host = get_str(root, "server", "host", "0.0.0.0");
    c->port = (int)get_int(root, "server", "port", 8080);
    c->workers = (int)get_int(root, "server", "workers", 0);
    c->max_body_bytes = (size_t)get_int(root, "server", "max_body_bytes", 65536);
    c->http2 = get_bool(root, "server", "http2", 0);
    if (c->http2) {
        /* h2o 2.2.5 lacks the later HTTP/2 denial-of-service fixes (API.md §1): refuse rather than ignore it */
        fail(err, errlen, "%s: $.server.http2: HTTP/2 is not offered by this gateway; put a current proxy in front "
                          "to serve HTTP/2",
             origin);
        goto Exit;
    }
    c->shutdown_timeout_ms = (int)get_int(root, "server", "shutdown_timeout_ms", 10000);
    c->request_deadline_ms = (int)get_int(root, "server", "request_deadline_ms", 30000);
    c->access_log = get_bool(root, "server", "access_log", 1);
    c->api_key = env_or("LA_FACTORIA_API_KEY", get_str(root, "auth", "api_key", NULL));
    c->admin_key = env_or("LA_FACTORIA_ADMIN_KEY", get_str(root, "auth", "admin_key", NULL));
    c->metrics_require_key = get_bool(root, "auth", "metrics_require_key", 0);
    c->database_url = env_or("DATABASE_URL", get_str(root, "database", "url", NULL));
    if (c->database_url != NULL && c->database_url[0] == '\0') {
        lf_free(c->database_url);
        c->database_url = NULL;
    }
    c->journal_dir = get_str(root, "database", "journal_dir", "var/journal");
    c->fsync_interval_ms = (int)get_int(root, "database", "fsync_interval_ms", 100);
    c->requests_per_minute = (int)get_int(root, "rate_limits", "requests_per_minute", 60);
    c->generations_per_hour = (int)get_int(root, "rate_limits", "generations_per_hour", 100);
    c->auth_failures_per_minute = (int)get_int(root, "rate_limits", "auth_failures_per_minute", 10);
    c->plugin_dir = get_str(root, "paths", "plugin_dir", "");
    if (c->plugin_dir[0] == '\0') {
        lf_free(c->plugin_dir);
        c->plugin_dir = lf_strdup(access(LF_DEFAULT_PLUGIN_DIR, F_OK) == 0 ? LF_DEFAULT_PLUGIN_DIR
                                                                            : "/usr/local/lib/lafactoria");
    }
    c->plugin_dir = resolve_path(base, env_or("LA_FACTORIA_PLUGIN_DIR", c->plugin_dir));
    c->content_types_dir = resolve_path(base, get_str(root, "paths", "content_types_dir", "config/content_types"));
    c->web_dir = resolve_path(base, get_str(root, "paths", "web_dir", "web"));
    c->migrations_dir = resolve_path(base, get_str(root, "paths", "migrations_dir", "migrations"));
    c->journal_dir = resolve_path(base, env_or("LA_FACTORIA_JOURNAL_DIR", c->journal_dir));
    c->strategy = get_str(root, "routing", "strategy", "cost");
    c->per_content_type = json_incref(json_object_get(json_object_get(root, "routing"), "per_content_type"));
    if (c->per_content_type == NULL)
        c->per_content_type = json_object();
    {
        const char *k;
        json_t *v;
        json_object_foreach(c->per_content_type, k, v)
        {
            int ok = 0;
            for (const char *const *s = strategies; *s != NULL; ++s)
                if (json_is_string(v) && strcmp(*s, json_string_value(v)) == 0)
                    ok = 1;
            if (!ok) {
                fail(err, errlen, "%s: $.routing.per_content_type.%s: expected one of cost, priority, latency, weighted",
                     origin, k);
                goto Exit;
            }
        }
    }
    c->max_attempts = (int)get_int(root, "routing", "max_attempts", 3);
    c->attempt_timeout_ms = (int)get_int(root, "routing", "attempt_timeout_ms", 25000);
    c->quality_gate = get_str(root, "quality", "gate", "best_effort");
    c->max_regenerations = (int)get_int(root, "quality", "max_regenerations", 1);
    {
        const json_t *th = get_path(root, "quality", "thresholds");
        c->threshold_overall = get_num(th, "overall", NULL, 0.70);
        c->threshold_educational = get_num(th, "educational", NULL, 0.75);
        c->threshold_factual = get_num(th, "factual", NULL, 0.85);
    }
    c->quality_weights = json_incref(json_object_get(json_object_get(root, "quality"), "weights"));
    c->key_budget_daily_usd = get_num(root, "key_budget", "daily_usd", 0);
    c->key_budget_monthly_usd = get_num(root, "key_budget", "monthly_usd", 0);

    if (env_int("PORT", &c->port, 0, 65535, err, errlen) != 0 ||
        env_int("RATE_LIMIT_REQUESTS_PER_MINUTE", &c->requests_per_minute, 1, 1000000000, err, errlen) != 0 ||
        env_int("RATE_LIMIT_GENERATIONS_PER_HOUR", &c->generations_per_hour, 1, 1000000000, err, errlen) != 0 ||
        env_int("LF_WORKERS", &c->workers, 0, 256, err, errlen) != 0)
        goto Exit;
    if (c->workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->workers = n > 0 ? (int)n : 1;
    }

    providers = json_object_get(root, "providers");
    c->nproviders = json_array_size(providers);
    c->providers = lf_calloc(c->nproviders + 1, sizeof(*c->providers));
    for (size_t i = 0; i < c->nproviders; ++i) {
        json_t *p = json_array_get(providers, i);
        struct lf_provider_conf *pc = &c->providers[i];
        pc->name = get_str(p, "name", NULL, NULL);
        pc->plugin = get_str(p, "plugin", NULL, NULL);
        if (pc->name == NULL || pc->plugin == NULL) {
            fail(err, errlen, "%s: $.providers[%zu]: \"name\" and \"plugin\" are required", origin, i);
            goto Exit;
        }
        for (size_t j = 0; j < i; ++j)
            if (strcmp(c->providers[j].name, pc->name) == 0) {
                fail(err, errlen, "%s: $.providers[%zu].name: duplicate provider name \"%s\"", origin, i, pc->name);
                goto Exit;
            }
        const json_t *en = json_object_get(p, "enabled");
        pc->enabled = en == NULL ? 1 : json_is_string(en) ? LF_ENABLED_AUTO : json_is_true(en);
        pc->priority = (int)get_int(p, "priority", NULL, 100);
        pc->weight = get_num(p, "weight", NULL, 1.0);
        pc->config = json_deep_copy(json_object_get(p, "config"));
        if (pc->config == NULL)
            pc->config = json_object();
        pc->budget_daily_usd = get_num(p, "budget", "daily_usd", 0);
        pc->budget_monthly_usd = get_num(p, "budget", "monthly_usd", 0);
        pc->retries = (int)get_int(p, "retry", "attempts", 0);
        pc->retry_backoff_ms = (int)get_int(p, "retry", "backoff_ms", 200);
        /* breaker settings: 0 = the circuit module's default */
        pc->circuit_failure_threshold = (int)get_int(p, "circuit", "failure_threshold", 0);
        pc->circuit_error_ratio = get_num(p, "circuit", "error_ratio", 0);
        pc->circuit_window_ms = (int)get_int(p, "circuit", "window_ms", 0);
        pc->circuit_min_requests = (int)get_int(p, "circuit", "min_requests", 0);
        pc->circuit_cooldown_ms = (int)get_int(p, "circuit", "cooldown_ms", 0);
        pc->circuit_max_cooldown_ms = (int)get_int(p, "circuit", "max_cooldown_ms", 0);
        pc->health_probe_interval_ms = (int)get_int(p, "health_probe_interval_ms", NULL, 0);
        char *hv = get_str(p, "http_version", NULL, NULL);
        for (int k = 0; hv != NULL && http_versions[k] != NULL; ++k)
            if (strcmp(hv, http_versions[k]) == 0)
                pc->http_version = k;
        lf_free(hv);
        pc->tls_ca_file = get_str(p, "tls_ca_file", NULL, NULL);
        if (pc->tls_ca_file != NULL && access(pc->tls_ca_file, R_OK) != 0) {
            fail(err, errlen, "%s: $.providers[%zu].tls_ca_file: cannot read \"%s\": %s", origin, i, pc->tls_ca_file,
                 strerror(errno));
            goto Exit;
        }
    }
    json_t *scorers = json_object_get(root, "scorers");
    c->nscorers = json_array_size(scorers);
    c->scorers = lf_calloc(c->nscorers + 1, sizeof(*c->scorers));
    for (size_t i = 0; i < c->nscorers; ++i) {
        json_t *s = json_array_get(scorers, i);
        struct lf_scorer_conf *sc = &c->scorers[i];
        sc->name = get_str(s, "name", NULL, NULL);
        sc->plugin = get_str(s, "plugin", NULL, NULL);
        if (sc->name == NULL || sc->plugin == NULL) {
            fail(err, errlen, "%s: $.scorers[%zu]: \"name\" and \"plugin\" are required", origin, i);
            goto Exit;
        }
        sc->enabled = get_bool(s, "enabled", NULL, 1);
        sc->weight = get_num(s, "weight", NULL, 0);
        sc->config = json_deep_copy(json_object_get(s, "config"));
        if (sc->config == NULL)
            sc->config = json_object();
    }
    *out = c;
    c = NULL;
    rc = 0;
Exit:
    lf_config_free(c);
    lf_free(base);
    return rc;
}

int lf_config_load_string(const char *text, const char *origin, struct lf_config **out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return fail(err, errlen, "%s: invalid JSON at line %d column %d: %s", origin, je.line, je.column, je.text);
    int rc = build(root, origin, out, err, errlen);
    json_decref(root);
    return rc;
}

int lf_config_load(const char *path, struct lf_config **out, char *err, size_t errlen)
{
    char *chosen = NULL;
    int rc;
    if (path == NULL || *path == '\0')
        path = getenv("LA_FACTORIA_CONFIG");
    if (path != NULL && *path != '\0') {
        chosen = lf_strdup(path);
    } else if (access("config/lafactoria.json", R_OK) == 0) {
        chosen = lf_strdup("config/lafactoria.json");
    } else if (access(LF_SOURCE_DIR "/config/lafactoria.json", R_OK) == 0) {
        chosen = lf_strdup(LF_SOURCE_DIR "/config/lafactoria.json");
    }
    if (chosen == NULL)
        return lf_config_load_string("{}", "built-in defaults", out, err, errlen);
    json_error_t je;
    json_t *root = json_load_file(chosen, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        if (access(chosen, R_OK) != 0)
            rc = fail(err, errlen, "%s: cannot read the configuration file: %s", chosen, strerror(errno));
        else
            rc = fail(err, errlen, "%s: invalid JSON at line %d column %d: %s", chosen, je.line, je.column, je.text);
        lf_free(chosen);
        return rc;
    }
    rc = build(root, chosen, out, err, errlen);
    json_decref(root);
    lf_free(chosen);
    return rc;
}

char *lf_config_mask(const char *secret)
{
    if (secret == NULL)
        return NULL;
    size_t n = strlen(secret);
    if (n <= 8)
        return lf_strdup("****");
    return lf_asprintf("****%s", secret + n - 4);
}

static json_t *masked_string(const char *s)
{
    char *m = lf_config_mask(s);
    json_t *j = m != NULL ? json_string(m) : json_null();
    lf_free(m);
    return j;
}

static int is_secret_key(const char *k)
{
    return strstr(k, "key") != NULL || strstr(k, "secret") != NULL || strstr(k, "token") != NULL ||
           strstr(k, "password") != NULL;
}

static json_t *mask_object(json_t *o)
{
    json_t *r = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (json_is_string(v) && is_secret_key(k))
            json_object_set_new(r, k, masked_string(json_string_value(v)));
        else if (json_is_object(v))
            json_object_set_new(r, k, mask_object(v));
        else
            json_object_set(r, k, v);
    }
    return r;
}

static char *mask_url(const char *url)
{
    /* postgresql://user:password@host/db -> postgresql://user:****@host/db; key=value password=... masked */
    if (url == NULL)
        return NULL;
    const char *scheme = strstr(url, "://");
    const char *at = strrchr(url, '@');
    if (scheme != NULL && at != NULL && at > scheme) {
        const char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
        if (colon != NULL)
            return lf_asprintf("%.*s:****%s", (int)(colon - url), url, at);
    }
    const char *pw = strstr(url, "password=");
    if (pw != NULL) {
        const char *end = strchr(pw, ' ');
        return lf_asprintf("%.*spassword=****%s", (int)(pw - url), url, end != NULL ? end : "");
    }
    return lf_strdup(url);
}

json_t *lf_config_to_json_masked(const struct lf_config *c)
{
    char *db = mask_url(c->database_url);
    json_t *providers = json_array(), *scorers = json_array();
    for (size_t i = 0; i < c->nproviders; ++i) {
        const struct lf_provider_conf *p = &c->providers[i];
        json_array_append_new(
            providers,
            json_pack("{s:s,s:s,s:o,s:i,s:f,s:o,s:{s:f,s:f},s:{s:i,s:i}}", "name", p->name, "plugin", p->plugin,
                      "enabled", p->enabled == LF_ENABLED_AUTO ? json_string("auto") : json_boolean(p->enabled),
                      "priority", p->priority, "weight", p->weight, "config", mask_object(p->config), "budget",
                      "daily_usd", p->budget_daily_usd, "monthly_usd", p->budget_monthly_usd, "retry", "attempts",
                      p->retries, "backoff_ms", p->retry_backoff_ms));
        json_t *po = json_array_get(providers, json_array_size(providers) - 1);
        json_object_set_new(po, "http_version", json_string(http_versions[p->http_version]));
        if (p->tls_ca_file != NULL)
            json_object_set_new(po, "tls_ca_file", json_string(p->tls_ca_file));
        json_object_set_new(po, "circuit",
                            json_pack("{s:i,s:f,s:i,s:i,s:i,s:i}", "failure_threshold", p->circuit_failure_threshold,
                                      "error_ratio", p->circuit_error_ratio, "window_ms", p->circuit_window_ms,
                                      "min_requests", p->circuit_min_requests, "cooldown_ms", p->circuit_cooldown_ms,
                                      "max_cooldown_ms", p->circuit_max_cooldown_ms));
        json_object_set_new(po, "health_probe_interval_ms", json_integer(p->health_probe_interval_ms));
    }
    for (size_t i = 0; i < c->nscorers; ++i) {
        const struct lf_scorer_conf *s = &c->scorers[i];
        json_array_append_new(scorers, json_pack("{s:s,s:s,s:b,s:f,s:o}", "name", s->name, "plugin", s->plugin,
                                                 "enabled", s->enabled, "weight", s->weight, "config",
                                                 mask_object(s->config)));
    }
    json_t *r = json_pack(
        "{s:o,s:s,s:{s:s,s:i,s:i,s:I,s:b,s:i,s:i,s:b},s:{s:o,s:o,s:b},s:{s:o,s:s,s:i},s:{s:i,s:i,s:i},"
        "s:{s:s,s:s,s:s,s:s},s:{s:s,s:O,s:i,s:i},s:{s:s,s:i,s:{s:f,s:f,s:f},s:O},s:o,s:o}",
        "source", c->source_path ? json_string(c->source_path) : json_null(), "environment", c->environment,
        "server", "host", c->host, "port", c->port, "workers", c->workers, "max_body_bytes",
        (json_int_t)c->max_body_bytes, "http2", c->http2, "shutdown_timeout_ms", c->shutdown_timeout_ms,
        "request_deadline_ms", c->request_deadline_ms, "access_log", c->access_log, "auth", "api_key",
        masked_string(c->api_key), "admin_key", masked_string(c->admin_key), "metrics_require_key",
        c->metrics_require_key, "database", "url", db ? json_string(db) : json_null(), "journal_dir", c->journal_dir,
        "fsync_interval_ms", c->fsync_interval_ms, "rate_limits", "requests_per_minute", c->requests_per_minute,
        "generations_per_hour", c->generations_per_hour, "auth_failures_per_minute", c->auth_failures_per_minute,
        "paths", "plugin_dir", c->plugin_dir, "content_types_dir", c->content_types_dir, "web_dir", c->web_dir,
        "migrations_dir", c->migrations_dir, "routing", "strategy", c->strategy, "per_content_type",
        c->per_content_type, "max_attempts", c->max_attempts, "attempt_timeout_ms", c->attempt_timeout_ms, "quality",
        "gate", c->quality_gate, "max_regenerations", c->max_regenerations, "thresholds", "overall",
        c->threshold_overall, "educational", c->threshold_educational, "factual", c->threshold_factual, "weights",
        c->quality_weights ? c->quality_weights : json_null(), "providers", providers, "scorers", scorers);
    lf_free(db);
    return r;
}

void lf_config_free(struct lf_config *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nproviders; ++i) {
        lf_free(c->providers[i].name);
        lf_free(c->providers[i].plugin);
        lf_free(c->providers[i].tls_ca_file);
        json_decref(c->providers[i].config);
    }
    for (size_t i = 0; i < c->nscorers; ++i) {
        lf_free(c->scorers[i].name);
        lf_free(c->scorers[i].plugin);
        json_decref(c->scorers[i].config);
    }
    lf_free(c->providers);
    lf_free(c->scorers);
    lf_free(c->source_path);
    lf_free(c->environment);
    lf_free(c->host);
    lf_free(c->api_key);
    lf_free(c->admin_key);
    lf_free(c->database_url);
    lf_free(c->journal_dir);
    lf_free(c->plugin_dir);
    lf_free(c->content_types_dir);
    lf_free(c->web_dir);
    lf_free(c->migrations_dir);
    lf_free(c->strategy);
    json_decref(c->per_content_type);
    lf_free(c->quality_gate);
    json_decref(c->quality_weights);
    lf_free(c);
}
