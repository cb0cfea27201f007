/*
 * core/src/journal.c - append-only local journal of store records (segments + checkpoint)
 * SPDX-License-Identifier: MIT
 */
#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "mem.h"

#define MODULE "journal"
#define READ_CHUNK (1u << 20)

struct lf_journal {
    char *dir;
    int lock_fd;
    uint64_t seg_max;
    /* writer side: the rwlock lets many writers append at once; rotation takes it exclusively */
    pthread_rwlock_t rw;
    int wfd;
    _Atomic uint64_t wseg;
    atomic_int dirty;
    int sync_fd; /* fd that needs an fsync after rotation (old segment), or -1 */
    /* reader side (store thread only) */
    struct lf_journal_pos rpos;   /* next byte to read */
    struct lf_journal_pos ckpt;   /* committed position */
    int rfd;
    uint64_t rfd_seg;
    char *buf;
    size_t bufcap;
    const char **lines;
    size_t *lens;
    size_t linecap;
    pthread_mutex_t reject_mu;
};

static char *seg_path(const struct lf_journal *j, uint64_t seg)
{
    return lf_asprintf("%s/seg-%020" PRIu64 ".jsonl", j->dir, seg);
}

static int mkdir_p(const char *path)
{
    char *p = lf_strdup(path);
    int rc = 0;
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0700) != 0 && errno != EEXIST) {
                rc = -1;
            }
            *s = '/';
        }
    }
    if (mkdir(p, 0700) != 0 && errno != EEXIST) {
        rc = -1;
    }
    lf_free(p);
    return rc;
}

/* Sorted list of existing segment numbers. */
static uint64_t *list_segments(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    uint64_t *v = NULL;
    size_t n = 0;
    if (d == NULL) {
        *count = 0;
        return NULL;
    }
    while ((de = readdir(d)) != NULL) {
        unsigned long long s;
        char tail[8];
        if (sscanf(de->d_name, "seg-%20llu.%7s", &s, tail) == 2 && strcmp(tail, "jsonl") == 0) {
            v = lf_realloc(v, (n + 1) * sizeof(*v));
            v[n++] = s;
        }
    }
    closedir(d);
    for (size_t i = 1; i < n; i++) { /* insertion sort: few segments */
        uint64_t x = v[i];
        size_t k = i;
        while (k > 0 && v[k - 1] > x) {
            v[k] = v[k - 1];
            k--;
        }
        v[k] = x;
    }
    *count = n;
    return v;
}

static int write_checkpoint(struct lf_journal *j, const struct lf_journal_pos *pos)
{
    char *tmp = lf_asprintf("%s/checkpoint.tmp", j->dir);
    char *dst = lf_asprintf("%s/checkpoint", j->dir);
    char line[64];
    int rc = -1;
    int n = snprintf(line, sizeof(line), "%" PRIu64 " %" PRIu64 "\n", pos->seg, pos->off);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (write(fd, line, (size_t)n) == n && rename(tmp, dst) == 0) {
            rc = 0;
        }
        close(fd);
    }
    if (rc != 0) {
        lf_log_error(MODULE, "cannot write checkpoint in \"%s\": %s", j->dir, strerror(errno));
    }
    lf_free(tmp);
    lf_free(dst);
    return rc;
}

static void read_checkpoint(struct lf_journal *j)
{
    char *p = lf_asprintf("%s/checkpoint", j->dir);
    FILE *f = fopen(p, "r");
    unsigned long long s = 0, o = 0;
    j->ckpt.seg = 0;
    j->ckpt.off = 0;
    if (f != NULL) {
        if (fscanf(f, "%llu %llu", &s, &o) == 2) {
            j->ckpt.seg = s;
            j->ckpt.off = o;
        }
        fclose(f);
    }
    lf_free(p);
}

static int open_write_segment(struct lf_journal *j, uint64_t seg)
{
    char *p = seg_path(j, seg);
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    lf_free(p);
    return fd;
}

/* Count complete lines of a segment from `off`. */
static uint64_t count_lines(struct lf_journal *j, uint64_t seg, uint64_t off)
{
    char *p = seg_path(j, seg);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    uint64_t n = 0;
    char buf[65536];
    ssize_t r;
    lf_free(p);
    if (fd < 0) {
        return 0;
    }
    while ((r = pread(fd, buf, sizeof(buf), (off_t)off)) > 0) {
        for (ssize_t i = 0; i < r; i++) {
            n += buf[i] == '\n';
        }
        off += (uint64_t)r;
    }
    close(fd);
    return n;
}

enum lf_err lf_journal_open(const char *dir, uint64_t segment_max_bytes, struct lf_journal **out,
                            uint64_t *backlog, char *err, size_t errlen)
{
    struct lf_journal *j = NULL;
    uint64_t *segs = NULL;
    size_t nsegs = 0;
    char *lockp = NULL;
    enum lf_err rc = LF_EIO;
    uint64_t bl = 0;

    *out = NULL;
    if (mkdir_p(dir) != 0) {
        snprintf(err, errlen, "cannot create journal directory \"%s\": %s", dir, strerror(errno));
        goto Exit;
    }
    j = lf_calloc(1, sizeof(*j));
    j->dir = lf_strdup(dir);
    j->seg_max = segment_max_bytes ? segment_max_bytes : (64u << 20);
    j->wfd = j->rfd = j->lock_fd = j->sync_fd = -1;
    pthread_rwlock_init(&j->rw, NULL);
    pthread_mutex_init(&j->reject_mu, NULL);
    lockp = lf_asprintf("%s/lock", dir);
    j->lock_fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->lock_fd < 0) {
        snprintf(err, errlen, "cannot open \"%s\": %s", lockp, strerror(errno));
        goto Exit;
    }
    if (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "journal directory \"%s\" is in use by another process", dir);
        rc = LF_EINVAL;
        goto Exit;
    }
    read_checkpoint(j);
    segs = list_segments(dir, &nsegs);
    /* the read position: the checkpoint, or the first segment after it if that one is gone */
    j->rpos = j->ckpt;
    if (nsegs > 0) {
        size_t i = 0;
        while (i < nsegs && segs[i] < j->ckpt.seg) { /* consumed but not deleted (crash): delete now */
            char *p = seg_path(j, segs[i]);
            unlink(p);
            lf_free(p);
            i++;
        }
        if (i < nsegs && segs[i] != j->ckpt.seg) {
            j->rpos.seg = segs[i];
            j->rpos.off = 0;
        }
        for (size_t k = i; k < nsegs; k++) {
            bl += count_lines(j, segs[k], segs[k] == j->rpos.seg ? j->rpos.off : 0);
        }
        atomic_store(&j->wseg, segs[nsegs - 1] + 1);
    } else {
        atomic_store(&j->wseg, j->ckpt.seg + 1);
        j->rpos.seg = atomic_load(&j->wseg);
        j->rpos.off = 0;
    }
    if (j->rpos.seg > atomic_load(&j->wseg)) {
        j->rpos.seg = atomic_load(&j->wseg);
        j->rpos.off = 0;
    }
    j->wfd = open_write_segment(j, atomic_load(&j->wseg));
    if (j->wfd < 0) {
        snprintf(err, errlen, "cannot create a journal segment in \"%s\": %s", dir, strerror(errno));
        goto Exit;
    }
    j->ckpt = j->rpos;
    write_checkpoint(j, &j->ckpt);
    if (backlog != NULL) {
        *backlog = bl;
    }
    *out = j;
    j = NULL;
    rc = LF_OK;
Exit:
    lf_free(segs);
    lf_free(lockp);
    lf_journal_close(j);
    return rc;
}

void lf_journal_close(struct lf_journal *j)
{
    if (j == NULL) {
        return;
    }
    if (j->wfd >= 0) {
        close(j->wfd);
    }
    if (j->sync_fd >= 0) {
        close(j->sync_fd);
    }
    if (j->rfd >= 0) {
        close(j->rfd);
    }
    if (j->lock_fd >= 0) {
        close(j->lock_fd); /* releases the flock */
    }
    pthread_rwlock_destroy(&j->rw);
    pthread_mutex_destroy(&j->reject_mu);
    lf_free(j->buf);
    lf_free(j->lines);
    lf_free(j->lens);
    lf_free(j->dir);
    lf_free(j);
}

enum lf_err lf_journal_append(struct lf_journal *j, const char *line, size_t len)
{
    ssize_t w;
    pthread_rwlock_rdlock(&j->rw);
    do {
        w = write(j->wfd, line, len);
    } while (w < 0 && errno == EINTR);
    pthread_rwlock_unlock(&j->rw);
    if (w != (ssize_t)len) {
        lf_log_error(MODULE, "journal append failed: %s", w < 0 ? strerror(errno) : "short write");
        return LF_EIO;
    }
    atomic_store_explicit(&j->dirty, 1, memory_order_relaxed);
    return LF_OK;
}

int lf_journal_sync(struct lf_journal *j)
{
    int rc = 0, fd;
    if (j->sync_fd >= 0) { /* a segment rotated away from: make its tail durable too */
        if (fdatasync(j->sync_fd) != 0) {
            rc = -1;
        }
        close(j->sync_fd);
        j->sync_fd = -1;
    }
    if (!atomic_exchange(&j->dirty, 0)) {
        return rc;
    }
    pthread_rwlock_rdlock(&j->rw);
    fd = j->wfd;
    if (fdatasync(fd) != 0) {
        rc = -1;
        lf_log_error(MODULE, "journal fsync failed: %s", strerror(errno));
    }
    pthread_rwlock_unlock(&j->rw);
    return rc;
}

void lf_journal_maybe_rotate(struct lf_journal *j, uint64_t idle_bytes)
{
    struct stat st;
    uint64_t cur = atomic_load(&j->wseg);
    int fd;
    if (fstat(j->wfd, &st) != 0) {
        return;
    }
    int caught_up = j->rpos.seg == cur && j->rpos.off == (uint64_t)st.st_size;
    if ((uint64_t)st.st_size < j->seg_max && !(caught_up && (uint64_t)st.st_size > idle_bytes)) {
        return;
    }
    if (j->sync_fd >= 0) {
        lf_journal_sync(j);
    }
    fd = open_write_segment(j, cur + 1);
    if (fd < 0) {
        lf_log_error(MODULE, "cannot rotate the journal: %s", strerror(errno));
        return;
    }
    pthread_rwlock_wrlock(&j->rw);
    j->sync_fd = j->wfd;
    j->wfd = fd;
    atomic_store(&j->wseg, cur + 1);
    pthread_rwlock_unlock(&j->rw);
    atomic_store(&j->dirty, 1);
}

static int open_read_segment(struct lf_journal *j)
{
    if (j->rfd >= 0 && j->rfd_seg == j->rpos.seg) {
        return 0;
    }
    if (j->rfd >= 0) {
        close(j->rfd);
        j->rfd = -1;
    }
    char *p = seg_path(j, j->rpos.seg);
    j->rfd = open(p, O_RDONLY | O_CLOEXEC);
    lf_free(p);
    if (j->rfd < 0) {
        return -1;
    }
    j->rfd_seg = j->rpos.seg;
    return 0;
}

enum lf_err lf_journal_read(struct lf_journal *j, size_t max_lines, struct lf_journal_batch *out)
{
    memset(out, 0, sizeof(*out));
    for (;;) {
        uint64_t wseg = atomic_load(&j->wseg);
        size_t have = 0;
        ssize_t r;
        if (open_read_segment(j) != 0) {
            if (j->rpos.seg < wseg) { /* missing finished segment: move on */
                j->rpos.seg++;
                j->rpos.off = 0;
                continue;
            }
            out->end = j->rpos;
            return LF_OK;
        }
        if (j->bufcap == 0) {
            j->bufcap = READ_CHUNK;
            j->buf = lf_malloc(j->bufcap);
        }
        /* read until at least one complete line is in the buffer, or EOF */
        for (;;) {
            r = pread(j->rfd, j->buf + have, j->bufcap - have, (off_t)(j->rpos.off + have));
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r < 0) {
                lf_log_error(MODULE, "journal read failed: %s", strerror(errno));
                return LF_EIO;
            }
            have += (size_t)r;
            if (r == 0 || memchr(j->buf, '\n', have) != NULL) {
                break;
            }
            if (have == j->bufcap) {
                j->bufcap *= 2;
                j->buf = lf_realloc(j->buf, j->bufcap);
            }
        }
        if (memchr(j->buf, '\n', have) == NULL) {
            if (j->rpos.seg < wseg && j->rpos.seg < atomic_load(&j->wseg)) {
                /* finished segment: re-check its size (a writer may have finished just before rotation) */
                struct stat st;
                if (fstat(j->rfd, &st) == 0 && (uint64_t)st.st_size > j->rpos.off + have) {
                    continue;
                }
                if (have > 0) {
                    lf_log_warn(MODULE, "skipping a torn last line of %zu bytes in journal segment %" PRIu64,
                                have, j->rpos.seg);
                    out->skipped_torn = have;
                }
                j->rpos.seg++;
                j->rpos.off = 0;
                out->end = j->rpos;
                if (have > 0) {
                    return LF_OK; /* let the caller commit past the torn line */
                }
                continue;
            }
            out->end = j->rpos;
            return LF_OK; /* nothing complete yet in the live segment */
        }
        /* split complete lines */
        size_t pos = 0, n = 0;
        while (n < max_lines && pos < have) {
            char *nl = memchr(j->buf + pos, '\n', have - pos);
            if (nl == NULL) {
                break;
            }
            if (n == j->linecap) {
                j->linecap = j->linecap ? j->linecap * 2 : 256;
                j->lines = lf_realloc(j->lines, j->linecap * sizeof(*j->lines));
                j->lens = lf_realloc(j->lens, j->linecap * sizeof(*j->lens));
            }
            size_t l = (size_t)(nl - (j->buf + pos));
            if (l > 0) {
                j->lines[n] = j->buf + pos;
                j->lens[n] = l;
                n++;
            }
            pos += l + 1;
        }
        j->rpos.off += pos;
        out->count = n;
        out->lines = j->lines;
        out->lens = j->lens;
        out->end = j->rpos;
        return LF_OK;
    }
}

void lf_journal_rewind(struct lf_journal *j)
{
    j->rpos = j->ckpt;
}

enum lf_err lf_journal_commit(struct lf_journal *j, const struct lf_journal_pos *pos)
{
    uint64_t old = j->ckpt.seg;
    if (pos->seg == j->ckpt.seg && pos->off == j->ckpt.off) {
        return LF_OK;
    }
    j->ckpt = *pos;
    if (write_checkpoint(j, pos) != 0) {
        return LF_EIO;
    }
    for (uint64_t s = old; s < pos->seg; s++) {
        char *p = seg_path(j, s);
        if (j->rfd >= 0 && j->rfd_seg == s) {
            close(j->rfd);
            j->rfd = -1;
        }
        unlink(p);
        lf_free(p);
    }
    return LF_OK;
}

void lf_journal_reject(struct lf_journal *j, const char *line, size_t len, const char *error)
{
    char *p = lf_asprintf("%s/rejected.jsonl", j->dir);
    json_t *o = json_object();
    json_error_t je;
    json_t *rec = json_loadb(line, len, 0, &je);
    char *s;
    json_object_set_new(o, "error", json_string(error ? error : ""));
    json_object_set_new(o, "record", rec ? rec : json_stringn(line, len));
    s = json_dumps(o, JSON_COMPACT);
    pthread_mutex_lock(&j->reject_mu);
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0 && s != NULL) {
        size_t sl = strlen(s);
        if (write(fd, s, sl) < 0 || write(fd, "\n", 1) < 0) {
            lf_log_error(MODULE, "cannot write rejected.jsonl: %s", strerror(errno));
        }
        fsync(fd);
    }
    if (fd >= 0) {
        close(fd);
    }
    pthread_mutex_unlock(&j->reject_mu);
    free(s);
    json_decref(o);
    lf_free(p);
}

uint64_t lf_journal_bytes(struct lf_journal *j)
{
    struct stat st;
    uint64_t total = 0;
    uint64_t w = atomic_load(&j->wseg);
    for (uint64_t s = j->ckpt.seg; s <= w; s++) {
        char *p = seg_path(j, s);
        if (stat(p, &st) == 0) {
            total += (uint64_t)st.st_size;
        }
        lf_free(p);
    }
    return total;
}
