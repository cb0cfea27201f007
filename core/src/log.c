/*
 * core/src/log.c - structured JSON-lines logging on stdout
 * SPDX-License-Identifier: MIT
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = LF_LOG_LVL_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};

void lf_log_set_level(int level)
{
    atomic_store(&log_level, level);
}

int lf_log_get_level(void)
{
    return atomic_load(&log_level);
}

static void write_line(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s == NULL)
        return;
    size_t n = strlen(s);
    char *line = malloc(n + 2);
    if (line != NULL) {
        memcpy(line, s, n);
        line[n] = '\n';
        size_t off = 0;
        while (off < n + 1) {
            ssize_t w = write(1, line + off, n + 1 - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        free(line);
    }
    free(s);
}

static json_t *base(int level, const char *module, const char *msg)
{
    struct timespec ts;
    struct tm tm;
    char buf[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t k = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + k, sizeof(buf) - k, ".%03ldZ", ts.tv_nsec / 1000000);
    if (level < 0 || level > 3)
        level = 1;
    return json_pack("{s:s,s:s,s:s,s:s}", "ts", buf, "level", level_names[level], "module", module ? module : "core",
                     "msg", msg);
}

static void vlog(int level, const char *module, json_t *fields, const char *fmt, va_list ap)
{
    if (level < atomic_load(&log_level)) {
        json_decref(fields);
        return;
    }
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    json_t *o = base(level, module, msg);
    if (o != NULL && fields != NULL)
        json_object_update_missing(o, fields);
    json_decref(fields);
    if (o != NULL) {
        write_line(o);
        json_decref(o);
    }
}

void lf_log(int level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, module, NULL, fmt, ap);
    va_end(ap);
}

void lf_log_fields(int level, const char *module, json_t *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, module, fields, fmt, ap);
    va_end(ap);
}

void lf_log_json(json_t *obj)
{
    write_line(obj);
}
