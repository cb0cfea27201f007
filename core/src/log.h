/*
 * core/src/log.h - structured JSON-lines logging on stdout
 * SPDX-License-Identifier: MIT
 *
 * One line per event: {"ts":"...","level":"info","module":"router","msg":"...", ...extra}.
 * Each line is written with a single write(2), so lines from several threads never interleave.
 * Never log secrets (API keys, connection strings with passwords) or prompt bodies above debug.
 */
#ifndef LF_CORE_LOG_H
#define LF_CORE_LOG_H

#include <jansson.h>

enum lf_log_level_core { LF_LOG_LVL_DEBUG = 0, LF_LOG_LVL_INFO = 1, LF_LOG_LVL_WARN = 2, LF_LOG_LVL_ERROR = 3 };

/** Minimum level printed (default info; LF_LOG_LEVEL=debug|info|warn|error overrides). */
void lf_log_set_level(int level);
int lf_log_get_level(void);

/** Log a message for `module` (printf format). */
void lf_log(int level, const char *module, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Log a message with extra fields: `fields` is a JSON object (stolen: the call takes the reference). */
void lf_log_fields(int level, const char *module, json_t *fields, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Write one raw JSON object as a log line (access log); `obj` is borrowed. */
void lf_log_json(json_t *obj);

#define lf_log_debug(m, ...) lf_log(LF_LOG_LVL_DEBUG, m, __VA_ARGS__)
#define lf_log_info(m, ...) lf_log(LF_LOG_LVL_INFO, m, __VA_ARGS__)
#define lf_log_warn(m, ...) lf_log(LF_LOG_LVL_WARN, m, __VA_ARGS__)
#define lf_log_error(m, ...) lf_log(LF_LOG_LVL_ERROR, m, __VA_ARGS__)

#endif
