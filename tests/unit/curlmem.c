/*
 * tests/unit/curlmem.c - libcurl's pooled allocator: upload-buffer-sized blocks from page-aligned slots,
 * recycled; everything else from malloc
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "curlmem.h"

static void test_pool(void **state)
{
    (void)state;
    assert_int_equal(lf_curlmem_global_init(0), 0);
    size_t sz = lf_curlmem_slot_size();
    assert_int_equal(sz, 16384);
    assert_int_equal(lf_curlmem_slots_in_use(), 0);

    unsigned char *a = lf_curlmem_malloc(sz), *b = lf_curlmem_malloc(sz);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal((uintptr_t)a % 4096, 0); /* page-aligned slots: unwritten pages stay untouched */
    assert_int_equal((uintptr_t)b % 4096, 0);
    assert_true(a != b);
    assert_int_equal(lf_curlmem_slots_in_use(), 2);
    memset(a, 0xab, sz); /* the whole slot is usable */
    memset(b, 0xcd, sz);
    assert_int_equal(a[sz - 1], 0xab);

    lf_curlmem_free(a);
    assert_int_equal(lf_curlmem_slots_in_use(), 1);
    unsigned char *c = lf_curlmem_malloc(sz);
    assert_ptr_equal(c, a); /* most recently freed first */

    /* realloc of a slot moves it to malloc and frees the slot, keeping the bytes */
    unsigned char *d = lf_curlmem_realloc(c, 100);
    assert_non_null(d);
    assert_int_equal(d[99], 0xab);
    assert_int_equal(lf_curlmem_slots_in_use(), 1);
    lf_curlmem_free(d);

    /* other sizes and the other functions are malloc's */
    char *e = lf_curlmem_malloc(sz - 1), *f = lf_curlmem_calloc(4, 8), *g = lf_curlmem_strdup("curl");
    assert_non_null(e);
    assert_non_null(f);
    assert_string_equal(g, "curl");
    assert_int_equal(f[31], 0);
    e = lf_curlmem_realloc(e, 3 * sz);
    assert_non_null(e);
    lf_curlmem_free(e);
    lf_curlmem_free(f);
    lf_curlmem_free(g);
    lf_curlmem_free(NULL);
    assert_int_equal(lf_curlmem_slots_in_use(), 1);

    lf_curlmem_free(b);
    assert_int_equal(lf_curlmem_slots_in_use(), 0);
    lf_curlmem_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pool)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
