/*
 * core/src/curlmem.c - libcurl's allocator: upload buffers from a page-aligned pool
 * SPDX-License-Identifier: MIT
 *
 * Over HTTP/2 (and HTTP/1.1 over TLS) libcurl 7.88 copies every request body into an upload buffer of
 * CURLOPT_UPLOAD_BUFFERSIZE bytes (16 KiB at least) and keeps it until the answer is complete. A provider
 * request is 2-4 KB, so three quarters of that buffer are never written; but from the heap, the buffer's
 * pages are also handed out for other data in between, so over time all of them become resident: ~16 KB of
 * RSS per call in flight, the largest single item with 10,000 calls held open (bench/RESULTS.md, "Scale").
 *
 * Buffers of exactly that size therefore come from a pool of page-aligned slots in one reserved region, used
 * for nothing else: a slot's unwritten pages are never touched, so each call in flight costs the pages its
 * body fills (one or two) instead of four. Slots are recycled through a free list (most recently freed first:
 * its pages are the ones already resident). Everything else goes to malloc. The region is reserved with
 * MAP_NORESERVE (address space only); when it is full, malloc serves again.
 */
#include "curlmem.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <curl/curl.h>

#define SLOT_SIZE ((size_t)16384)       /* == CURLOPT_UPLOAD_BUFFERSIZE set by upstream.c */
#define SLOT_COUNT ((size_t)1 << 17)    /* 131,072 slots: 2 GiB of address space, none of it committed */

static unsigned char *region;          /* NULL: pool off (malloc only) */
static size_t next_unused;             /* slots [next_unused, SLOT_COUNT) were never handed out */
static void *free_list;                /* freed slots; the first word of a free slot links to the next */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int in_pool(const void *p)
{
    const unsigned char *c = p;
    return region != NULL && c >= region && c < region + SLOT_SIZE * SLOT_COUNT;
}

static void *slot_get(void)
{
    void *p = NULL;
    pthread_mutex_lock(&lock);
    if (free_list != NULL) {
        p = free_list;
        free_list = *(void **)p;
    } else if (next_unused < SLOT_COUNT) {
        p = region + SLOT_SIZE * next_unused++;
    }
    pthread_mutex_unlock(&lock);
    return p;
}

static void slot_put(void *p)
{
    pthread_mutex_lock(&lock);
    *(void **)p = free_list;
    free_list = p;
    pthread_mutex_unlock(&lock);
}

void *lf_curlmem_malloc(size_t size)
{
    if (size == SLOT_SIZE && region != NULL) {
        void *p = slot_get();
        if (p != NULL)
            return p;
    }
    return malloc(size);
}

void lf_curlmem_free(void *p)
{
    if (in_pool(p))
        slot_put(p);
    else
        free(p);
}

void *lf_curlmem_realloc(void *p, size_t size)
{
    if (!in_pool(p))
        return realloc(p, size);
    void *n = malloc(size ? size : 1);
    if (n == NULL)
        return NULL;
    memcpy(n, p, size < SLOT_SIZE ? size : SLOT_SIZE);
    slot_put(p);
    return n;
}

char *lf_curlmem_strdup(const char *s)
{
    return strdup(s);
}

void *lf_curlmem_calloc(size_t n, size_t size)
{
    return calloc(n, size);
}

int lf_curlmem_global_init(long flags)
{
    void *r = mmap(NULL, SLOT_SIZE * SLOT_COUNT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    region = r == MAP_FAILED ? NULL : r; /* no pool: curl still works, with malloc */
    return curl_global_init_mem(flags, lf_curlmem_malloc, lf_curlmem_free, lf_curlmem_realloc,
                                lf_curlmem_strdup, lf_curlmem_calloc) == CURLE_OK ? 0 : -1;
}

void lf_curlmem_global_cleanup(void)
{
    curl_global_cleanup();
    if (region != NULL)
        munmap(region, SLOT_SIZE * SLOT_COUNT);
    region = NULL;
    next_unused = 0;
    free_list = NULL;
}

size_t lf_curlmem_slot_size(void)
{
    return SLOT_SIZE;
}

size_t lf_curlmem_slots_in_use(void)
{
    size_t n;
    pthread_mutex_lock(&lock);
    n = next_unused;
    for (void *p = free_list; p != NULL; p = *(void **)p)
        n--;
    pthread_mutex_unlock(&lock);
    return n;
}
