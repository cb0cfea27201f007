/*
 * core/src/sysstat.c - process and system resource figures read from /proc and statvfs
 * SPDX-License-Identifier: MIT
 */
#include "sysstat.h"

#include "mem.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

struct cpu_times {
    uint64_t busy, total; /* /proc/stat "cpu" line, in clock ticks */
    uint64_t proc;        /* utime + stime of this process, in ticks */
    int valid;
};

struct lf_sysstat_sampler {
    char *proc_root;
    char *disk_path;
    long hz;
    long page_size;
    pthread_mutex_t mu;
    struct cpu_times prev;
    double prev_time;
    struct lf_sysstat latest;
};

/* Read a whole small file into buf; returns length or -1. */
static ssize_t read_file(const struct lf_sysstat_sampler *s, const char *rel, char *buf, size_t cap)
{
    char path[512];
    FILE *f;
    size_t n;
    snprintf(path, sizeof(path), "%s/%s", s->proc_root, rel);
    f = fopen(path, "re");
    if (f == NULL)
        return -1;
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (ssize_t)n;
}

/* "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; also counts cpuN lines. */
static int parse_proc_stat(const char *text, uint64_t *busy, uint64_t *total, int *ncpu)
{
    unsigned long long v[10] = {0};
    int n = sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6], &v[7], &v[8], &v[9]);
    if (n < 4)
        return -1;
    /* guest and guest_nice are already included in user and nice */
    uint64_t idle = v[3] + v[4];
    uint64_t all = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    *busy = all - idle;
    *total = all;
    *ncpu = 0;
    for (const char *p = strstr(text, "\ncpu"); p != NULL; p = strstr(p + 1, "\ncpu"))
        if (p[4] >= '0' && p[4] <= '9')
            (*ncpu)++;
    return 0;
}

/* /proc/self/stat: fields after the ")" of comm. */
static int parse_self_stat(const char *text, uint64_t *ticks, double *starttime_ticks, uint64_t *vsize, long *rss_pages,
                           int *threads)
{
    const char *p = strrchr(text, ')');
    unsigned long utime, stime, vs;
    unsigned long long start;
    long nthreads, rss;
    if (p == NULL)
        return -1;
    /* state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) cutime cstime
     * priority nice num_threads(20) itrealvalue starttime(22) vsize(23) rss(24) */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %ld %*d %llu %lu %ld", &utime,
               &stime, &nthreads, &start, &vs, &rss) != 6)
        return -1;
    *ticks = (uint64_t)utime + stime;
    *starttime_ticks = (double)start;
    *vsize = vs;
    *rss_pages = rss;
    *threads = (int)nthreads;
    return 0;
}

static uint64_t meminfo_kb(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    unsigned long long v = 0;
    if (p == NULL)
        return 0;
    if (sscanf(p + strlen(key), " %llu", &v) != 1)
        return 0;
    return (uint64_t)v * 1024;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct lf_sysstat_sampler *lf_sysstat_sampler_new(const char *proc_root, const char *disk_path)
{
    struct lf_sysstat_sampler *s = lf_calloc(1, sizeof(*s));
    s->proc_root = lf_strdup(proc_root != NULL ? proc_root : "/proc");
    s->disk_path = lf_strdup(disk_path != NULL ? disk_path : "/");
    s->hz = sysconf(_SC_CLK_TCK);
    if (s->hz <= 0)
        s->hz = 100;
    s->page_size = sysconf(_SC_PAGESIZE);
    if (s->page_size <= 0)
        s->page_size = 4096;
    pthread_mutex_init(&s->mu, NULL);
    lf_sysstat_sample(s, 0, NULL);
    return s;
}

void lf_sysstat_sampler_free(struct lf_sysstat_sampler *s)
{
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->mu);
    lf_free(s->proc_root);
    lf_free(s->disk_path);
    lf_free(s);
}

int lf_sysstat_sample(struct lf_sysstat_sampler *s, double now, struct lf_sysstat *out)
{
    char buf[16384];
    struct lf_sysstat st;
    struct cpu_times cur = {0};
    uint64_t vsize = 0;
    long rss_pages = 0;
    double start_ticks = 0, btime = 0;
    int ncpu = 0;

    memset(&st, 0, sizeof(st));
    if (now <= 0)
        now = wall_now();
    st.timestamp = now;

    if (read_file(s, "stat", buf, sizeof(buf)) < 0 || parse_proc_stat(buf, &cur.busy, &cur.total, &ncpu) != 0)
        return -1;
    const char *bt = strstr(buf, "\nbtime ");
    if (bt != NULL)
        btime = strtod(bt + 7, NULL);
    st.ncpu = ncpu > 0 ? ncpu : 1;
    if (read_file(s, "self/stat", buf, sizeof(buf)) < 0 ||
        parse_self_stat(buf, &cur.proc, &start_ticks, &vsize, &rss_pages, &st.threads) != 0)
        return -1;
    cur.valid = 1;
    st.vsize_bytes = vsize;
    st.rss_bytes = rss_pages > 0 ? (uint64_t)rss_pages * (uint64_t)s->page_size : 0;
    st.process_cpu_seconds = (double)cur.proc / (double)s->hz;
    st.process_start_time = btime + start_ticks / (double)s->hz;

    if (read_file(s, "meminfo", buf, sizeof(buf)) >= 0) {
        st.mem_total_bytes = meminfo_kb(buf, "MemTotal:");
        st.mem_available_bytes = meminfo_kb(buf, "MemAvailable:");
        if (st.mem_total_bytes > 0) {
            uint64_t used = st.mem_total_bytes > st.mem_available_bytes ? st.mem_total_bytes - st.mem_available_bytes
                                                                        : 0;
            st.memory_percent = 100.0 * (double)used / (double)st.mem_total_bytes;
            st.process_memory_percent = 100.0 * (double)st.rss_bytes / (double)st.mem_total_bytes;
        }
    }
    if (read_file(s, "loadavg", buf, sizeof(buf)) >= 0)
        (void)sscanf(buf, "%lf %lf %lf", &st.load1, &st.load5, &st.load15);

    struct statvfs vfs;
    if (statvfs(s->disk_path, &vfs) == 0) {
        st.disk_total_bytes = (uint64_t)vfs.f_blocks * vfs.f_frsize;
        st.disk_free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        if (st.disk_total_bytes > 0) {
            uint64_t used = (uint64_t)(vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize;
            st.disk_used_percent = 100.0 * (double)used / (double)(used + st.disk_free_bytes);
        }
    }

    pthread_mutex_lock(&s->mu);
    if (s->prev.valid && now > s->prev_time) {
        st.interval_s = now - s->prev_time;
        if (cur.total > s->prev.total && cur.busy >= s->prev.busy) {
            st.cpu_percent = 100.0 * (double)(cur.busy - s->prev.busy) / (double)(cur.total - s->prev.total);
            st.have_cpu = 1;
        }
        if (cur.proc >= s->prev.proc)
            st.process_cpu_percent = 100.0 * ((double)(cur.proc - s->prev.proc) / (double)s->hz) / st.interval_s;
    }
    s->prev = cur;
    s->prev_time = now;
    s->latest = st;
    pthread_mutex_unlock(&s->mu);
    if (out != NULL)
        *out = st;
    return 0;
}

void lf_sysstat_latest(struct lf_sysstat_sampler *s, struct lf_sysstat *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->latest;
    pthread_mutex_unlock(&s->mu);
}

static json_t *r2(double v)
{
    return json_real(round(v * 100.0) / 100.0);
}

json_t *lf_sysstat_json(const struct lf_sysstat *st)
{
    return json_pack("{s:o, s:o, s:o, s:I, s:I, s:i, s:o, s:I, s:I, s:o, s:o, s:[fff], s:I, s:I, s:o, s:i}",
                     "cpu_percent", st->have_cpu ? r2(st->cpu_percent) : json_null(), "process_cpu_percent",
                     st->interval_s > 0 ? r2(st->process_cpu_percent) : json_null(), "process_cpu_seconds",
                     r2(st->process_cpu_seconds), "memory_rss_bytes", (json_int_t)st->rss_bytes,
                     "memory_virtual_bytes", (json_int_t)st->vsize_bytes, "threads", st->threads, "memory_percent",
                     st->mem_total_bytes > 0 ? r2(st->memory_percent) : json_null(), "memory_total_bytes",
                     (json_int_t)st->mem_total_bytes, "memory_available_bytes", (json_int_t)st->mem_available_bytes,
                     "process_memory_percent", st->mem_total_bytes > 0 ? r2(st->process_memory_percent) : json_null(),
                     "disk_used_percent", st->disk_total_bytes > 0 ? r2(st->disk_used_percent) : json_null(),
                     "load_average", st->load1, st->load5, st->load15, "disk_total_bytes",
                     (json_int_t)st->disk_total_bytes, "disk_free_bytes", (json_int_t)st->disk_free_bytes,
                     "sample_interval_seconds", r2(st->interval_s), "cpu_count", st->ncpu);
}
