/*
 * core/src/registry.c - plugin loader, host API and registry generations
 * SPDX-License-Identifier: MIT
 */
#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "content_types.h"
#include "router.h"
#include "runtime.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "util.h"

#define MODULE "loader"

/* ---- host API ---- */

struct lf_plugin_cfg {
    json_t *obj;
    json_t *dumps; /* key -> string (cache for config_json) */
    pthread_mutex_t mu;
};

static void host_log(int level, const char *plugin, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lf_log_fields(level, "plugin", json_pack("{s:s}", "plugin", plugin ? plugin : "?"), "%s", msg);
}

static void *host_alloc(size_t n)
{
    return malloc(n ? n : 1);
}

static void *host_realloc(void *p, size_t n)
{
    return realloc(p, n ? n : 1);
}

static void host_free(void *p)
{
    free(p);
}

static const json_t *cfg_lookup(const void *cfg, const char *key)
{
    const struct lf_plugin_cfg *c = cfg;
    if (c == NULL || key == NULL)
        return NULL;
    const json_t *v = c->obj;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", key);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok != NULL && v != NULL; tok = strtok_r(NULL, ".", &save))
        v = json_object_get(v, tok);
    return v;
}

static const char *host_config_string(const void *cfg, const char *key)
{
    const json_t *v = cfg_lookup(cfg, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int host_config_number(const void *cfg, const char *key, double *out)
{
    const json_t *v = cfg_lookup(cfg, key);
    if (!json_is_number(v))
        return 0;
    *out = json_number_value(v);
    return 1;
}

static int host_config_bool(const void *cfg, const char *key, int *out)
{
    const json_t *v = cfg_lookup(cfg, key);
    if (!json_is_boolean(v))
        return 0;
    *out = json_is_true(v);
    return 1;
}

static const char *host_config_json(const void *cfg, const char *key)
{
    struct lf_plugin_cfg *c = (struct lf_plugin_cfg *)(uintptr_t)cfg;
    const json_t *v = cfg_lookup(cfg, key);
    if (v == NULL)
        return NULL;
    pthread_mutex_lock(&c->mu);
    json_t *cached = json_object_get(c->dumps, key);
    if (cached == NULL) {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        cached = json_string(s != NULL ? s : "null");
        free(s);
        json_object_set_new(c->dumps, key, cached);
    }
    const char *r = json_string_value(cached);
    pthread_mutex_unlock(&c->mu);
    return r;
}

static void host_metric_add(const char *plugin, const char *name, double value)
{
    /* lafactoria_plugin_metric_total{plugin,name}: the worker's shard, else the shared (locked) one */
    struct lf_metrics_shard *s = lf_metrics_thread_shard();
    struct lf_metrics *m = lf_runtime_metrics();
    if (s == NULL && m != NULL)
        s = lf_metrics_shared(m);
    lf_metrics_plugin_add(s, plugin, name, value);
}

static uint64_t host_now_ns(void)
{
    return lf_now_ns();
}

static uint64_t host_wall_ms(void)
{
    return lf_wall_ms();
}

static const struct lf_host_api host_api = {
    .struct_size = sizeof(struct lf_host_api),
    .abi_major = LF_PLUGIN_ABI_MAJOR,
    .abi_minor = LF_PLUGIN_ABI_MINOR,
    .log = host_log,
    .alloc = host_alloc,
    .realloc = host_realloc,
    .free = host_free,
    .now_ns = host_now_ns,
    .wall_ms = host_wall_ms,
    .config_string = host_config_string,
    .config_number = host_config_number,
    .config_bool = host_config_bool,
    .config_json = host_config_json,
    .metric_add = host_metric_add,
};

const struct lf_host_api *lf_registry_host_api(void)
{
    return &host_api;
}

static struct lf_plugin_cfg *cfg_new(json_t *obj)
{
    struct lf_plugin_cfg *c = lf_calloc(1, sizeof(*c));
    c->obj = json_incref(obj);
    c->dumps = json_object();
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

static void cfg_free(struct lf_plugin_cfg *c)
{
    if (c == NULL)
        return;
    json_decref(c->obj);
    json_decref(c->dumps);
    pthread_mutex_destroy(&c->mu);
    lf_free(c);
}

/* ---- loading one file ---- */

static atomic_ulong copy_seq;

static int copy_private(const char *src, char *dst, size_t dstlen, char *sha_out, char *err, size_t errlen)
{
    size_t len = 0;
    char *data = lf_read_file(src, &len);
    if (data == NULL) {
        snprintf(err, errlen, "%s: cannot read: %s", src, strerror(errno));
        return -1;
    }
    lf_sha256_hex(data, len, sha_out);
    const char *tmp = getenv("TMPDIR");
    snprintf(dst, dstlen, "%s/lafactoria-plugin-%d-%lu.so", tmp && *tmp ? tmp : "/tmp", (int)getpid(),
             (unsigned long)atomic_fetch_add(&copy_seq, 1));
    int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create private copy: %s", src, strerror(errno));
        lf_free(data);
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n <= 0) {
            snprintf(err, errlen, "%s: cannot write private copy: %s", src, strerror(errno));
            close(fd);
            unlink(dst);
            lf_free(data);
            return -1;
        }
        off += (size_t)n;
    }
    close(fd);
    lf_free(data);
    return 0;
}

static int valid_plugin_name(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 63)
        return 0;
    for (const char *p = s; *p; ++p)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

struct lf_plugin_file *lf_plugin_file_load(const char *path, const char *kind_dir, uint64_t generation, char *err,
                                           size_t errlen)
{
    struct lf_plugin_file *pf = NULL;
    void *dl = NULL;
    char priv[PATH_MAX], sha[65];
    struct stat st;

    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return NULL;
    }
    if (st.st_mode & S_IWOTH) {
        snprintf(err, errlen, "%s: refused: the file is world-writable", path);
        return NULL;
    }
    if (copy_private(path, priv, sizeof(priv), sha, err, errlen) != 0)
        return NULL;
    dl = dlopen(priv, RTLD_NOW | RTLD_LOCAL);
    unlink(priv);
    if (dl == NULL) {
        const char *e = dlerror();
        snprintf(err, errlen, "%s: dlopen failed: %s", path, e ? e : "unknown error");
        return NULL;
    }
    lf_plugin_entry_fn entry;
    *(void **)(&entry) = dlsym(dl, "lf_plugin_entry");
    if (entry == NULL) {
        snprintf(err, errlen, "%s: missing entry symbol lf_plugin_entry (declare the plugin with LF_PLUGIN_DESCRIPTOR)",
                 path);
        goto Error;
    }
    const struct lf_plugin_descriptor *d = entry();
    if (d == NULL) {
        snprintf(err, errlen, "%s: lf_plugin_entry returned NULL", path);
        goto Error;
    }
    size_t min_size = offsetof(struct lf_plugin_descriptor, self_test);
    if (d->struct_size < min_size) {
        snprintf(err, errlen, "%s: descriptor too short: struct_size is %u bytes, at least %zu required", path,
                 (unsigned)d->struct_size, min_size);
        goto Error;
    }
    if (d->abi_major != LF_PLUGIN_ABI_MAJOR) {
        snprintf(err, errlen, "%s: plugin ABI major %u is not supported (core has ABI major %d)", path,
                 (unsigned)d->abi_major, LF_PLUGIN_ABI_MAJOR);
        goto Error;
    }
    {
        struct lf_abi_values mine = LF_ABI_VALUES_INIT;
        if (d->abi.pointer_size != mine.pointer_size) {
            snprintf(err, errlen, "%s: ABI mismatch: core has pointer size %u, plugin has %u", path,
                     (unsigned)mine.pointer_size, (unsigned)d->abi.pointer_size);
            goto Error;
        }
        if (d->abi.long_size != mine.long_size || d->abi.size_t_size != mine.size_t_size ||
            d->abi.double_size != mine.double_size) {
            snprintf(err, errlen, "%s: ABI mismatch: core has long/size_t/double sizes %u/%u/%u, plugin has %u/%u/%u",
                     path, (unsigned)mine.long_size, (unsigned)mine.size_t_size, (unsigned)mine.double_size,
                     (unsigned)d->abi.long_size, (unsigned)d->abi.size_t_size, (unsigned)d->abi.double_size);
            goto Error;
        }
        if (memcmp(d->abi.extra, mine.extra, sizeof(mine.extra)) != 0) {
            snprintf(err, errlen, "%s: ABI mismatch: core has build string \"%s\", plugin has \"%.24s\"", path,
                     mine.extra, d->abi.extra);
            goto Error;
        }
    }
    if (d->kind != LF_PLUGIN_KIND_PROVIDER && d->kind != LF_PLUGIN_KIND_SCORER) {
        snprintf(err, errlen, "%s: unknown plugin kind %u (expected 1 provider or 2 scorer)", path, (unsigned)d->kind);
        goto Error;
    }
    if (!valid_plugin_name(d->name)) {
        snprintf(err, errlen, "%s: invalid plugin name (expected [a-z0-9_-], at most 63 bytes)", path);
        goto Error;
    }
    if (d->version == NULL || d->init == NULL) {
        snprintf(err, errlen, "%s: plugin \"%s\" lacks a version or an init callback", path, d->name);
        goto Error;
    }
    pf = lf_calloc(1, sizeof(*pf));
    atomic_init(&pf->refs, 1);
    memcpy(&pf->desc, d, d->struct_size < sizeof(pf->desc) ? d->struct_size : sizeof(pf->desc));
    if (d->kind == LF_PLUGIN_KIND_PROVIDER) {
        int has_http = pf->desc.build_request != NULL && pf->desc.parse_response != NULL;
        if (!has_http && pf->desc.generate == NULL) {
            snprintf(err, errlen, "%s: provider \"%s\" implements neither build_request+parse_response nor generate",
                     path, d->name);
            lf_free(pf);
            pf = NULL;
            goto Error;
        }
    } else if (pf->desc.score == NULL) {
        snprintf(err, errlen, "%s: scorer \"%s\" lacks a score callback", path, d->name);
        lf_free(pf);
        pf = NULL;
        goto Error;
    }
    pf->dl = dl;
    pf->file = lf_strdup(path);
    pf->kind_dir = lf_strdup(kind_dir);
    memcpy(pf->sha256, sha, sizeof(sha));
    pf->loaded_generation = generation;
    pf->loaded_at_ms = lf_wall_ms();
    return pf;
Error:
    dlclose(dl);
    return NULL;
}

void lf_plugin_file_unref(struct lf_plugin_file *pf)
{
    if (pf == NULL)
        return;
    if (atomic_fetch_sub(&pf->refs, 1) != 1)
        return;
    lf_log_fields(LF_LOG_LVL_INFO, MODULE,
                  json_pack("{s:s,s:s,s:I}", "plugin", pf->desc.name, "version", pf->desc.version, "generation",
                            (json_int_t)pf->loaded_generation),
                  "plugin unloaded");
    dlclose(pf->dl);
    lf_free(pf->file);
    lf_free(pf->kind_dir);
    lf_free(pf);
}

/* ---- building a generation ---- */

static struct lf_plugin_file *find_file(struct lf_plugin_file **files, size_t n, const char *name, uint32_t kind)
{
    for (size_t i = 0; i < n; ++i)
        if (files[i]->desc.kind == kind && strcmp(files[i]->desc.name, name) == 0)
            return files[i];
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Scan <plugin_dir>/<kind_dir>/ *.so and load each (sharing unchanged files with `previous`). */
static void scan_dir(struct lf_registry *reg, const struct lf_registry *previous, const char *plugin_dir,
                     const char *kind_dir, uint32_t kind)
{
    char dirpath[PATH_MAX], realdir[PATH_MAX];
    snprintf(dirpath, sizeof(dirpath), "%.3900s/%s", plugin_dir, kind_dir);
    DIR *d = opendir(dirpath);
    if (d == NULL) {
        json_array_append_new(reg->warnings, json_sprintf("plugin directory %s: %s", dirpath, strerror(errno)));
        return;
    }
    if (realpath(dirpath, realdir) == NULL)
        snprintf(realdir, sizeof(realdir), "%s", dirpath);
    char **names = NULL;
    size_t nnames = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l > 3 && strcmp(de->d_name + l - 3, ".so") == 0) {
            names = lf_realloc(names, (nnames + 1) * sizeof(*names));
            names[nnames++] = lf_strdup(de->d_name);
        }
    }
    closedir(d);
    if (nnames > 0)
        qsort(names, nnames, sizeof(*names), cmp_str);
    for (size_t i = 0; i < nnames; ++i) {
        char path[PATH_MAX + 320], real[PATH_MAX], err[3 * PATH_MAX];
        snprintf(path, sizeof(path), "%.4000s/%.255s", dirpath, names[i]);
        struct lf_plugin_file *pf = NULL;
        if (realpath(path, real) == NULL || strncmp(real, realdir, strlen(realdir)) != 0 ||
            real[strlen(realdir)] != '/') {
            snprintf(err, sizeof(err), "%s: refused: path outside the plugin directory %s", path, realdir);
            goto Refused;
        }
        /* share the previous generation's handle when the file is byte-identical */
        if (previous != NULL) {
            size_t len = 0;
            char *data = lf_read_file(path, &len);
            if (data != NULL) {
                char sha[65];
                lf_sha256_hex(data, len, sha);
                lf_free(data);
                for (size_t k = 0; k < previous->nfiles; ++k) {
                    struct lf_plugin_file *old = previous->files[k];
                    if (strcmp(old->file, path) == 0 && strcmp(old->sha256, sha) == 0) {
                        atomic_fetch_add(&old->refs, 1);
                        pf = old;
                        break;
                    }
                }
            }
        }
        if (pf == NULL)
            pf = lf_plugin_file_load(path, kind_dir, reg->generation, err, sizeof(err));
        if (pf == NULL)
            goto Refused;
        if (pf->desc.kind != kind) {
            snprintf(err, sizeof(err), "%s: refused: a %s plugin in the %s directory", path,
                     pf->desc.kind == LF_PLUGIN_KIND_PROVIDER ? "provider" : "scorer", kind_dir);
            lf_plugin_file_unref(pf);
            goto Refused;
        }
        {
            struct lf_plugin_file *dup = find_file(reg->files, reg->nfiles, pf->desc.name, pf->desc.kind);
            if (dup != NULL) {
                snprintf(err, sizeof(err), "%s: refused: duplicate plugin name \"%s\" (already loaded from %s)", path,
                         pf->desc.name, dup->file);
                lf_plugin_file_unref(pf);
                goto Refused;
            }
        }
        reg->files = lf_realloc(reg->files, (reg->nfiles + 1) * sizeof(*reg->files));
        reg->files[reg->nfiles++] = pf;
        continue;
    Refused:
        lf_log_fields(LF_LOG_LVL_WARN, MODULE, json_pack("{s:s}", "file", path), "plugin refused: %s", err);
        json_array_append_new(reg->refusals, json_pack("{s:s,s:s}", "file", path, "error", err));
    }
    for (size_t i = 0; i < nnames; ++i)
        lf_free(names[i]);
    lf_free(names);
}

static const char *cfg_type_name(uint32_t t)
{
    switch (t) {
    case LF_CONFIG_STRING:
        return "a string";
    case LF_CONFIG_INTEGER:
        return "an integer";
    case LF_CONFIG_NUMBER:
        return "a number";
    case LF_CONFIG_BOOLEAN:
        return "a boolean";
    case LF_CONFIG_OBJECT:
        return "an object";
    case LF_CONFIG_ARRAY:
        return "an array";
    }
    return "a value";
}

static int cfg_type_ok(uint32_t t, const json_t *v)
{
    switch (t) {
    case LF_CONFIG_STRING:
        return json_is_string(v);
    case LF_CONFIG_INTEGER:
        return json_is_integer(v);
    case LF_CONFIG_NUMBER:
        return json_is_number(v);
    case LF_CONFIG_BOOLEAN:
        return json_is_boolean(v);
    case LF_CONFIG_OBJECT:
        return json_is_object(v);
    case LF_CONFIG_ARRAY:
        return json_is_array(v);
    }
    return 1;
}

/* Check an instance's config against the plugin's config map. Returns -1 (err set) on unknown keys or wrong
 * types; sets *missing to the first missing required key (or NULL). */
static int check_instance_config(const struct lf_plugin_descriptor *d, json_t *config, const char *path,
                                 const char **missing, char *err, size_t errlen)
{
    const char *key;
    json_t *val;
    *missing = NULL;
    json_object_foreach(config, key, val)
    {
        const struct lf_config_field *f = NULL;
        for (const struct lf_config_field *c = d->config_map; c != NULL && c->name != NULL; ++c)
            if (strcmp(c->name, key) == 0)
                f = c;
        if (f == NULL) {
            snprintf(err, errlen, "%s.%s: unknown key for plugin \"%s\"", path, key, d->name);
            return -1;
        }
        if (!cfg_type_ok(f->type, val)) {
            snprintf(err, errlen, "%s.%s: expected %s", path, key, cfg_type_name(f->type));
            return -1;
        }
    }
    for (const struct lf_config_field *c = d->config_map; c != NULL && c->name != NULL; ++c) {
        if (c->required && json_object_get(config, c->name) == NULL) {
            *missing = c->name;
            break;
        }
    }
    return 0;
}

static int init_instance(struct lf_plugin_file *pf, const char *instance, json_t *config, struct lf_plugin_cfg **cfg_out,
                         void **state_out, char *err, size_t errlen)
{
    struct lf_plugin_cfg *cfg = cfg_new(config);
    char *json = json_dumps(config, JSON_COMPACT);
    struct lf_plugin_init_args args = {
        .struct_size = sizeof(args),
        .host = &host_api,
        .instance_name = instance,
        .config = cfg,
        .config_json = json,
        .config_json_len = json ? strlen(json) : 0,
    };
    void *state = NULL;
    int rc = pf->desc.init(&args, &state);
    free(json);
    if (rc != LF_OK) {
        snprintf(err, errlen, "plugin \"%s\" failed to initialise instance \"%s\" (error %d)", pf->desc.name, instance,
                 rc);
        cfg_free(cfg);
        return -1;
    }
    if (pf->desc.self_test != NULL && pf->desc.self_test(state) != LF_OK) {
        snprintf(err, errlen, "plugin \"%s\" instance \"%s\" failed its self-test", pf->desc.name, instance);
        if (pf->desc.destroy != NULL)
            pf->desc.destroy(state);
        cfg_free(cfg);
        return -1;
    }
    *cfg_out = cfg;
    *state_out = state;
    return 0;
}

static void registry_free(struct lf_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->nproviders; ++i) {
        struct lf_provider *p = &reg->providers[i];
        if (p->state != NULL && p->plugin != NULL && p->plugin->desc.destroy != NULL)
            p->plugin->desc.destroy(p->state);
        cfg_free(p->cfg);
        lf_provider_rt_release(p->rt);
        lf_free(p->name);
        lf_free(p->disabled_reason);
    }
    for (size_t i = 0; i < reg->nscorers; ++i) {
        struct lf_scorer *s = &reg->scorers[i];
        if (s->state != NULL && s->plugin != NULL && s->plugin->desc.destroy != NULL)
            s->plugin->desc.destroy(s->state);
        cfg_free(s->cfg);
        lf_free(s->name);
        lf_free(s->disabled_reason);
    }
    lf_free(reg->providers);
    lf_free(reg->scorers);
    for (size_t i = 0; i < reg->nfiles; ++i)
        lf_plugin_file_unref(reg->files[i]);
    lf_free(reg->files);
    lf_content_types_free(reg->types);
    lf_config_free(reg->config);
    json_decref(reg->refusals);
    json_decref(reg->warnings);
    lf_free(reg);
}

static atomic_long live_generations;

static int bad_plugin_ref(const char *name)
{
    return name == NULL || strchr(name, '/') != NULL || strstr(name, "..") != NULL || !valid_plugin_name(name);
}

struct lf_registry *lf_registry_build(struct lf_config *config, const struct lf_registry *previous,
                                      uint64_t generation, char *err, size_t errlen)
{
    struct lf_registry *reg = lf_calloc(1, sizeof(*reg));
    atomic_init(&reg->refs, 1);
    atomic_fetch_add(&live_generations, 1);
    reg->generation = generation;
    reg->created_ms = lf_wall_ms();
    reg->config = config;
    reg->refusals = json_array();
    reg->warnings = json_array();

    if (lf_content_types_load(config->content_types_dir, &reg->types, err, errlen) != LF_OK)
        goto Error;

    scan_dir(reg, previous, config->plugin_dir, "providers", LF_PLUGIN_KIND_PROVIDER);
    scan_dir(reg, previous, config->plugin_dir, "scorers", LF_PLUGIN_KIND_SCORER);

    reg->providers = lf_calloc(config->nproviders + 1, sizeof(*reg->providers));
    int any_real = 0;
    for (size_t i = 0; i < config->nproviders; ++i) {
        struct lf_provider_conf *pc = &config->providers[i];
        struct lf_provider *p = &reg->providers[reg->nproviders++];
        char path[64];
        snprintf(path, sizeof(path), "$.providers[%zu].config", i);
        p->name = lf_strdup(pc->name);
        p->conf = pc;
        p->priority = pc->priority;
        p->weight = pc->weight;
        p->rt = lf_runtime_provider_rt(p);
        if (bad_plugin_ref(pc->plugin)) {
            snprintf(err, errlen, "$.providers[%zu].plugin: \"%s\" refused: path outside the plugin directory", i,
                     pc->plugin);
            goto Error;
        }
        p->plugin = find_file(reg->files, reg->nfiles, pc->plugin, LF_PLUGIN_KIND_PROVIDER);
        if (p->plugin == NULL) {
            p->disabled_reason = lf_asprintf("plugin \"%s\" is not loaded", pc->plugin);
        } else {
            const char *missing;
            if (check_instance_config(&p->plugin->desc, pc->config, path, &missing, err, errlen) != 0)
                goto Error;
            p->http = p->plugin->desc.build_request != NULL && p->plugin->desc.parse_response != NULL;
            if (pc->enabled == 0) {
                p->disabled_reason = lf_strdup("disabled in configuration");
            } else if (missing != NULL) {
                p->disabled_reason = lf_asprintf("missing %s", missing);
                lf_log_fields(LF_LOG_LVL_WARN, MODULE, json_pack("{s:s}", "provider", p->name),
                              "provider \"%s\" disabled: %s is not set", p->name, missing);
            } else {
                if (init_instance(p->plugin, p->name, pc->config, &p->cfg, &p->state, err, errlen) != 0)
                    goto Error;
                if (p->plugin->desc.models != NULL)
                    p->nmodels = p->plugin->desc.models(p->state, &p->models);
                p->enabled = 1;
                if (pc->enabled != LF_ENABLED_AUTO)
                    any_real = 1;
            }
        }
        if (p->plugin == NULL && pc->enabled == 1)
            lf_log_fields(LF_LOG_LVL_WARN, MODULE, json_pack("{s:s}", "provider", p->name),
                          "provider \"%s\" disabled: %s", p->name, p->disabled_reason);
    }
    /* "auto" providers (offline) serve only while no real provider is enabled: never a silent fallback */
    for (size_t i = 0; i < reg->nproviders; ++i) {
        struct lf_provider *p = &reg->providers[i];
        if (p->conf->enabled == LF_ENABLED_AUTO && p->enabled && any_real) {
            p->enabled = 0;
            lf_free(p->disabled_reason);
            p->disabled_reason = lf_strdup("disabled because a real provider is configured");
        }
    }

    reg->scorers = lf_calloc(config->nscorers + 1, sizeof(*reg->scorers));
    for (size_t i = 0; i < config->nscorers; ++i) {
        struct lf_scorer_conf *sc = &config->scorers[i];
        struct lf_scorer *s = &reg->scorers[reg->nscorers++];
        char path[64];
        snprintf(path, sizeof(path), "$.scorers[%zu].config", i);
        s->name = lf_strdup(sc->name);
        s->weight = sc->weight;
        if (bad_plugin_ref(sc->plugin)) {
            snprintf(err, errlen, "$.scorers[%zu].plugin: \"%s\" refused: path outside the plugin directory", i,
                     sc->plugin);
            goto Error;
        }
        s->plugin = find_file(reg->files, reg->nfiles, sc->plugin, LF_PLUGIN_KIND_SCORER);
        if (s->plugin == NULL) {
            s->disabled_reason = lf_asprintf("plugin \"%s\" is not loaded", sc->plugin);
            lf_log_fields(LF_LOG_LVL_WARN, MODULE, json_pack("{s:s}", "scorer", s->name), "scorer \"%s\" disabled: %s",
                          s->name, s->disabled_reason);
            continue;
        }
        const char *missing;
        if (check_instance_config(&s->plugin->desc, sc->config, path, &missing, err, errlen) != 0)
            goto Error;
        if (!sc->enabled) {
            s->disabled_reason = lf_strdup("disabled in configuration");
        } else if (missing != NULL) {
            s->disabled_reason = lf_asprintf("missing %s", missing);
        } else {
            if (init_instance(s->plugin, s->name, sc->config, &s->cfg, &s->state, err, errlen) != 0)
                goto Error;
            s->enabled = 1;
        }
    }
    return reg;
Error:
    reg->config = config;
    registry_free(reg);
    atomic_fetch_sub(&live_generations, 1);
    return NULL;
}

/* ---- publication ---- */

static pthread_mutex_t current_mu = PTHREAD_MUTEX_INITIALIZER;
static struct lf_registry *current;
static struct lf_registry **live;  /* every generation still alive, for the admin view */
static size_t nlive;

void lf_registry_publish(struct lf_registry *reg)
{
    pthread_mutex_lock(&current_mu);
    struct lf_registry *old = current;
    current = reg;
    live = lf_realloc(live, (nlive + 1) * sizeof(*live));
    live[nlive++] = reg;
    pthread_mutex_unlock(&current_mu);
    if (old != NULL)
        lf_registry_release(old);
}

struct lf_registry *lf_registry_acquire(void)
{
    pthread_mutex_lock(&current_mu);
    struct lf_registry *r = current;
    if (r != NULL)
        atomic_fetch_add(&r->refs, 1);
    pthread_mutex_unlock(&current_mu);
    return r;
}

void lf_registry_release(struct lf_registry *reg)
{
    if (reg == NULL)
        return;
    if (atomic_fetch_sub(&reg->refs, 1) != 1)
        return;
    pthread_mutex_lock(&current_mu);
    for (size_t i = 0; i < nlive; ++i)
        if (live[i] == reg) {
            live[i] = live[--nlive];
            break;
        }
    pthread_mutex_unlock(&current_mu);
    lf_log_fields(LF_LOG_LVL_INFO, MODULE, json_pack("{s:I}", "generation", (json_int_t)reg->generation),
                  "registry generation finalised");
    registry_free(reg);
    atomic_fetch_sub(&live_generations, 1);
}

void lf_registry_shutdown(void)
{
    pthread_mutex_lock(&current_mu);
    struct lf_registry *old = current;
    current = NULL;
    pthread_mutex_unlock(&current_mu);
    lf_registry_release(old);
    pthread_mutex_lock(&current_mu);
    if (nlive == 0) {
        lf_free(live);
        live = NULL;
    }
    pthread_mutex_unlock(&current_mu);
}

long lf_registry_live_generations(void)
{
    return atomic_load(&live_generations);
}

struct lf_provider *lf_registry_provider(struct lf_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->nproviders; ++i)
        if (strcmp(reg->providers[i].name, name) == 0)
            return &reg->providers[i];
    return NULL;
}

json_t *lf_registry_plugins_json(void)
{
    json_t *gens = json_array();
    pthread_mutex_lock(&current_mu);
    for (size_t i = 0; i < nlive; ++i) {
        struct lf_registry *r = live[i];
        json_t *files = json_array();
        for (size_t k = 0; k < r->nfiles; ++k) {
            struct lf_plugin_file *pf = r->files[k];
            json_array_append_new(
                files, json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:I,s:I,s:s}", "name", pf->desc.name, "kind",
                                 pf->desc.kind == LF_PLUGIN_KIND_PROVIDER ? "provider" : "scorer", "file", pf->file,
                                 "version", pf->desc.version, "description",
                                 pf->desc.description ? pf->desc.description : "", "abi_major", pf->desc.abi_major,
                                 "abi_minor", pf->desc.abi_minor, "loaded_generation",
                                 (json_int_t)pf->loaded_generation, "refs", (json_int_t)atomic_load(&pf->refs),
                                 "sha256", pf->sha256));
        }
        json_array_append_new(gens, json_pack("{s:I,s:b,s:I,s:o,s:O}", "generation", (json_int_t)r->generation,
                                              "current", r == current, "refs", (json_int_t)atomic_load(&r->refs),
                                              "plugins", files, "refused", r->refusals));
    }
    pthread_mutex_unlock(&current_mu);
    return gens;
}

double lf_provider_price(const struct lf_provider *p, const char *model, uint64_t prompt_tokens,
                         uint64_t completion_tokens)
{
    const struct lf_model_info *m = NULL;
    for (size_t i = 0; i < p->nmodels; ++i)
        if (model != NULL && p->models[i].id != NULL && strcmp(p->models[i].id, model) == 0)
            m = &p->models[i];
    if (m == NULL && p->nmodels > 0)
        m = &p->models[0];
    if (m == NULL)
        return 0;
    return ((double)prompt_tokens * m->input_usd_per_mtok + (double)completion_tokens * m->output_usd_per_mtok) / 1e6;
}
