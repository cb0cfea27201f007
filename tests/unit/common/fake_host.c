/*
 * tests/unit/common/fake_host.c - a malloc-based fake host API table for tests that dlopen real plugins
 * SPDX-License-Identifier: MIT
 */
#include "fake_host.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_long live_allocs;

__attribute__((format(printf, 3, 4))) static void fh_log(int level, const char *plugin, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%d] %s: ", level, plugin);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void *fh_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p != NULL) {
        atomic_fetch_add(&live_allocs, 1);
    }
    return p;
}

static void *fh_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (p == NULL && q != NULL) {
        atomic_fetch_add(&live_allocs, 1);
    }
    return q;
}

static void fh_free(void *p)
{
    if (p != NULL) {
        atomic_fetch_sub(&live_allocs, 1);
    }
    free(p);
}

static uint64_t fh_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t fh_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000ULL + (uint64_t)ts.tv_nsec / 1000000ULL;
}

static const char *fh_cfg_string(const void *cfg, const char *key)
{
    (void)cfg;
    (void)key;
    return NULL;
}

static int fh_cfg_number(const void *cfg, const char *key, double *out)
{
    (void)cfg;
    (void)key;
    (void)out;
    return 0;
}

static int fh_cfg_bool(const void *cfg, const char *key, int *out)
{
    (void)cfg;
    (void)key;
    (void)out;
    return 0;
}

static const char *fh_cfg_json(const void *cfg, const char *key)
{
    (void)cfg;
    (void)key;
    return NULL;
}

static void fh_metric_add(const char *plugin, const char *name, double value)
{
    (void)plugin;
    (void)name;
    (void)value;
}

static const struct lf_host_api host = {
    .struct_size = sizeof(struct lf_host_api),
    .abi_major = LF_PLUGIN_ABI_MAJOR,
    .abi_minor = LF_PLUGIN_ABI_MINOR,
    .log = fh_log,
    .alloc = fh_alloc,
    .realloc = fh_realloc,
    .free = fh_free,
    .now_ns = fh_now_ns,
    .wall_ms = fh_wall_ms,
    .config_string = fh_cfg_string,
    .config_number = fh_cfg_number,
    .config_bool = fh_cfg_bool,
    .config_json = fh_cfg_json,
    .metric_add = fh_metric_add,
};

const struct lf_host_api *fake_host(void)
{
    return &host;
}

long fake_host_live_allocs(void)
{
    return atomic_load(&live_allocs);
}
