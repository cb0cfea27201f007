/*
 * core/src/util.h - small shared helpers: ids, clocks, time formatting, hashing, constant-time compare
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_CORE_UTIL_H
#define LF_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/** Monotonic clock in nanoseconds / microseconds / milliseconds. */
uint64_t lf_now_ns(void);
uint64_t lf_now_us(void);
uint64_t lf_now_ms(void);
/** Wall clock in milliseconds since the epoch. */
uint64_t lf_wall_ms(void);

/** RFC 3339 UTC timestamp with milliseconds ("2026-11-29T04:14:29.123Z") of wall-clock ms into buf (>= 32 bytes). */
void lf_rfc3339(uint64_t wall_ms, char *buf, size_t len);

/** Fill buf with cryptographically random bytes (getrandom); aborts if the kernel refuses. */
void lf_random_bytes(void *buf, size_t len);

/** A random RFC 4122 version-4 UUID string into out (>= 37 bytes). */
void lf_uuid_v4(char *out);

/** Hex SHA-256 of data into out (>= 65 bytes). */
void lf_sha256_hex(const void *data, size_t len, char *out);

/** Constant-time equality of two buffers of the same length n. */
int lf_consttime_memeq(const void *a, const void *b, size_t n);

/** Constant-time equality of two byte strings (time depends only on the lengths). */
int lf_consttime_eq(const char *a, size_t alen, const char *b, size_t blen);

/** Number of Unicode code points of valid UTF-8 `s` (len bytes); -1 when not valid UTF-8. */
long lf_utf8_length(const char *s, size_t len);

/** Read a whole file into a fresh NUL-terminated buffer (lf_free); NULL on error. */
char *lf_read_file(const char *path, size_t *len_out);

/**
 * One byte of a left-to-right scan over JSON text: tracks string literals (*in_str, *esc start at 0).
 * Returns 1 when c belongs to a string literal (its quotes and escapes included), 0 for a byte outside strings.
 */
static inline int lf_json_scan_in_string(char c, int *in_str, int *esc);

/* inline definitions */

static inline int lf_json_scan_in_string(char c, int *in_str, int *esc)
{
    if (*in_str) {
        if (*esc) {
            *esc = 0;
        } else if (c == '\\') {
            *esc = 1;
        } else if (c == '"') {
            *in_str = 0;
        }
        return 1;
    }
    if (c == '"') {
        *in_str = 1;
        return 1;
    }
    return 0;
}

#endif
