/*
 * tests/unit/store/pg_fixture.h - throwaway PostgreSQL cluster for the storage tests (via scripts/pg-test.sh)
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_TESTS_STORE_PG_FIXTURE_H
#define LF_TESTS_STORE_PG_FIXTURE_H

#include <libpq-fe.h>

/** Start a cluster with scripts/pg-test.sh (aborts the test run if PostgreSQL is missing). */
void pgfx_start(void);
/** Destroy the cluster. */
void pgfx_stop(void);
/** Stop / start the server keeping its data (outage tests). */
void pgfx_server_stop(void);
void pgfx_server_start(void);
/** Create database `name` (dropping an old one) and return its conninfo (static buffer per call slot). */
const char *pgfx_create_db(const char *name);
/** conninfo of an existing database (static buffer). */
const char *pgfx_conninfo(const char *name);
/** Run a query returning one integer (or -1 on error, printing it). */
long pgfx_int(const char *conninfo, const char *sql);
/** Run one query returning one text value; caller frees with lf_free(); NULL on error. */
char *pgfx_text(const char *conninfo, const char *sql);
/** All rows as "v|v|v;v|v|v" (NULL as "NULL"); caller frees with lf_free(); NULL on error. */
char *pgfx_dump(const char *conninfo, const char *sql);
/** Run a statement; 0 on success. */
int pgfx_exec(const char *conninfo, const char *sql);
/** Run `psql -v ON_ERROR_STOP=1 -q -f file` against the database; returns the exit status. */
int pgfx_psql_file(const char *dbname, const char *file);
/** The cluster directory (socket dir). */
const char *pgfx_dir(void);
/** A fresh empty temporary directory (static buffer of the caller's). */
void pgfx_tmpdir(char *out, size_t outlen);

#endif
