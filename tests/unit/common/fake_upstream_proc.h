/*
 * tests/unit/common/fake_upstream_proc.h - run tests/fakes/fake_upstreams.py as a child process for C tests
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_TESTS_UNIT_COMMON_FAKE_UPSTREAM_PROC_H
#define LF_TESTS_UNIT_COMMON_FAKE_UPSTREAM_PROC_H

#include <sys/types.h>

/** Start the fake on an ephemeral port and wait until it accepts connections (at most 5 s).
 *  Returns 0 and sets *pid and *port, or -1. */
int lf_test_fake_start(const char *source_dir, pid_t *pid, int *port);
/** SIGTERM the fake and reap it. */
void lf_test_fake_stop(pid_t pid);

#endif
