/*
 * core/src/curlmem.h - libcurl's allocator: upload buffers from a page-aligned pool (see curlmem.c)
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_CORE_CURLMEM_H
#define LF_CORE_CURLMEM_H

#include <stddef.h>

/** curl_global_init_mem(flags, ...) with the pooled allocator. Once, before any thread. 0 or -1. */
int lf_curlmem_global_init(long flags);
/** curl_global_cleanup, then releases the pool. After every curl handle is gone. */
void lf_curlmem_global_cleanup(void);
/** The allocator handed to libcurl (public for tests). */
void *lf_curlmem_malloc(size_t size);
void lf_curlmem_free(void *p);
void *lf_curlmem_realloc(void *p, size_t size);
char *lf_curlmem_strdup(const char *s);
void *lf_curlmem_calloc(size_t n, size_t size);
/** The buffer size served from the pool (CURLOPT_UPLOAD_BUFFERSIZE must be this). */
size_t lf_curlmem_slot_size(void);
/** Pool slots handed out and not freed (for tests). */
size_t lf_curlmem_slots_in_use(void);

#endif /* LF_CORE_CURLMEM_H */
