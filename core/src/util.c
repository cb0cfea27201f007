/*
 * core/src/util.c - small shared helpers
 * SPDX-License-Identifier: MIT
 */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"

uint64_t lf_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t lf_now_us(void)
{
    return lf_now_ns() / 1000u;
}

uint64_t lf_now_ms(void)
{
    return lf_now_ns() / 1000000u;
}

uint64_t lf_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void lf_rfc3339(uint64_t wall_ms, char *buf, size_t len)
{
    time_t secs = (time_t)(wall_ms / 1000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t k = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    if (k > 0 && k < len)
        snprintf(buf + k, len - k, ".%03uZ", (unsigned)(wall_ms % 1000u));
}

static void random_fill(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            abort();
        }
        p += n;
        len -= (size_t)n;
    }
}

/* Ids are drawn for every request (request id, generation id): one getrandom per 512 bytes per thread instead
   of one system call each (two per /v1 call before, bench/overhead/syscalls.sh). The bytes are the kernel's CSPRNG output all the
   same, each handed out once and wiped from the pool. A forked child drops the pool it inherited (else parent
   and child would hand out the same "random" ids): pthread_atfork runs in the child's only thread, the one that
   called fork, whose pool is the only one left. */
#define RANDOM_POOL 512
static __thread unsigned char random_pool[RANDOM_POOL];
static __thread size_t random_left;
static pthread_once_t random_once = PTHREAD_ONCE_INIT;

static void random_forget(void)
{
    memset(random_pool, 0, sizeof(random_pool));
    random_left = 0;
}

static void random_init(void)
{
    pthread_atfork(NULL, NULL, random_forget);
}

void lf_random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    pthread_once(&random_once, random_init);
    if (len > RANDOM_POOL / 4) {
        random_fill(p, len);
        return;
    }
    if (random_left < len) {
        random_fill(random_pool, RANDOM_POOL);
        random_left = RANDOM_POOL;
    }
    unsigned char *src = random_pool + (RANDOM_POOL - random_left);
    memcpy(p, src, len);
    memset(src, 0, len);
    random_left -= len;
}

void lf_uuid_v4(char *out)
{
    unsigned char b[16];
    lf_random_bytes(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

void lf_sha256_hex(const void *data, size_t len, char *out)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; ++i)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
}

int lf_consttime_memeq(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; ++i)
        diff |= (unsigned char)(x[i] ^ y[i]);
    return diff == 0;
}

int lf_consttime_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    /* compare digests so that the time does not even depend on the common prefix or the lengths */
    unsigned char da[32], db[32];
    unsigned int n = 0;
    EVP_Digest(a, alen, da, &n, EVP_sha256(), NULL);
    EVP_Digest(b, blen, db, &n, EVP_sha256(), NULL);
    return lf_consttime_memeq(da, db, sizeof(da)) & (alen == blen);
}

long lf_utf8_length(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    long count = 0;
    while (p < end) {
        unsigned c = *p;
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            n = 1;
            cp = c;
        } else if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4;
            cp = c & 0x07;
        } else {
            return -1;
        }
        if ((size_t)(end - p) < n)
            return -1;
        for (size_t i = 1; i < n; ++i) {
            if ((p[i] & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        p += n;
        ++count;
    }
    return count;
}

char *lf_read_file(const char *path, size_t *len_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = lf_malloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = lf_realloc(buf, cap);
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            lf_free(buf);
            close(fd);
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    if (len_out != NULL)
        *len_out = len;
    return buf;
}
