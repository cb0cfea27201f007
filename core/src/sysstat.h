/*
 * core/src/sysstat.h - process and system resource figures read from /proc and statvfs
 * SPDX-License-Identifier: MIT
 *
 * A sampler keeps the previous CPU counters so percentages cover the interval between two samples. The core
 * calls lf_sysstat_sample() periodically (e.g. every 10 s from a timer); request handlers read the latest
 * sample with lf_sysstat_latest() (thread-safe copy, never touches /proc).
 */
#ifndef LF_CORE_SYSSTAT_H
#define LF_CORE_SYSSTAT_H

#include <jansson.h>
#include <stdint.h>

struct lf_sysstat {
    double timestamp;              /* wall clock of the sample (seconds since the epoch) */
    double interval_s;             /* seconds since the previous sample (0 for the first one) */
    int have_cpu;                  /* 1 when the cpu percentages below cover an interval */
    double cpu_percent;            /* whole machine, 0..100, busy share of all CPUs over the interval */
    double process_cpu_percent;    /* this process, % of ONE cpu (may exceed 100 with several threads) */
    double process_cpu_seconds;    /* this process, user + system, cumulative */
    double process_start_time;     /* seconds since the epoch */
    uint64_t rss_bytes;            /* resident set size of this process */
    uint64_t vsize_bytes;          /* virtual size of this process */
    int threads;
    int ncpu;                      /* online CPUs seen in /proc/stat */
    uint64_t mem_total_bytes;      /* /proc/meminfo MemTotal */
    uint64_t mem_available_bytes;  /* MemAvailable */
    double memory_percent;         /* (total - available) / total * 100: the machine's memory in use */
    double process_memory_percent; /* rss / total * 100 */
    double load1, load5, load15;
    uint64_t disk_total_bytes;     /* statvfs of the configured path (0 if unavailable) */
    uint64_t disk_free_bytes;      /* available to unprivileged users */
    double disk_used_percent;
};

struct lf_sysstat_sampler;

/**
 * New sampler. proc_root: "/proc" when NULL (tests pass a directory with fake stat, meminfo, loadavg and
 * self/stat, self/statm files). disk_path: directory whose filesystem is reported ("/" when NULL).
 * Takes a first sample immediately (no CPU percentage yet). Free with lf_sysstat_sampler_free().
 */
struct lf_sysstat_sampler *lf_sysstat_sampler_new(const char *proc_root, const char *disk_path);
void lf_sysstat_sampler_free(struct lf_sysstat_sampler *s);

/**
 * Read everything now; CPU percentages cover the time since the previous call. `now` is the wall clock in
 * seconds (<= 0: read the real clock). Stores the result as the latest sample and copies it to *out when out
 * is not NULL. Returns 0, or -1 when /proc could not be read (the latest sample is left unchanged).
 */
int lf_sysstat_sample(struct lf_sysstat_sampler *s, double now, struct lf_sysstat *out);

/** Copy of the latest sample (thread-safe). */
void lf_sysstat_latest(struct lf_sysstat_sampler *s, struct lf_sysstat *out);

/** The sample as JSON (new reference): the fields above, with cpu figures null until have_cpu. */
json_t *lf_sysstat_json(const struct lf_sysstat *st);

#endif
