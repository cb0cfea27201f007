/*
 * tests/unit/common/fake_host.h - a malloc-based fake host API table for tests that dlopen real plugins
 * SPDX-License-Identifier: MIT
 *
 * Not a test of its own: listed in the SOURCES of the tests that use it (tests/unit/offline,
 * tests/unit/scorers).
 */
#ifndef LF_TESTS_UNIT_COMMON_FAKE_HOST_H
#define LF_TESTS_UNIT_COMMON_FAKE_HOST_H

#include <lafactoria/plugin.h>

/**
 * The fake host table: log to stderr; alloc/realloc/free are malloc/realloc/free (a size of 0 asks for 1 byte)
 * and keep a count of live blocks; monotonic and wall clocks; config lookups find nothing; metrics are dropped.
 */
const struct lf_host_api *fake_host(void);

/** Blocks allocated through the fake host and not freed yet. */
long fake_host_live_allocs(void);

#endif
