/*
 * core/src/migrate.h - schema migrations: numbered SQL files applied in order, recorded in schema_migrations
 * SPDX-License-Identifier: MIT
 */
#ifndef LF_CORE_MIGRATE_H
#define LF_CORE_MIGRATE_H

#include <stddef.h>
#include <lafactoria/plugin.h>

/**
 * Apply every pending migration of `migrations_dir` (files named NNN_name.sql, applied by ascending
 * number) to the database `conninfo` (libpq conninfo or URL). Each file runs in its own transaction and
 * is recorded in schema_migrations(version, name, applied_at, checksum). The whole run holds a
 * PostgreSQL advisory lock, so several instances starting at once are safe: one applies, the others
 * wait and then find nothing pending. A schema created by running 001 by hand with psql (tables exist,
 * no schema_migrations row) is adopted: 001 is idempotent, so it is re-run and recorded. A checksum that
 * differs from the recorded one is logged as a warning, never re-applied.
 * Returns LF_OK, LF_EIO (connection or SQL failure; message in err) or LF_ECONFIG (bad directory).
 * `applied` (may be NULL) receives the number of files applied by this call.
 */
enum lf_err lf_migrate_run_ex(const char *conninfo, const char *migrations_dir, int *applied, char *err,
                              size_t errlen);

/** lf_migrate_run_ex() without the count. */
enum lf_err lf_migrate_run(const char *conninfo, const char *migrations_dir, char *err, size_t errlen);

#endif
