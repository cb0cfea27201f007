/*
 * core/src/migrate.c - schema migrations under a PostgreSQL advisory lock
 * SPDX-License-Identifier: MIT
 */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "log.h"
#include "mem.h"

#define MODULE "migrate"
/* Arbitrary constant identifying "La Factoria migrations" among advisory locks ('LFMIGRAT'). */
#define MIGRATE_LOCK_KEY "5497236148297271636"

struct migration {
    long version;
    char *name; /* file name */
};

static int cmp_migration(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (f == NULL) {
        return NULL;
    }
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 16384;
            buf = lf_realloc(buf, cap + 1);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            break;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        lf_free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < mdlen && i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
    out[64] = '\0';
}

/* Runs sql (no params); returns 1 on success, else writes the error to err. */
static int exec_ok(PGconn *conn, const char *sql, const char *what, char *err, size_t errlen)
{
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) {
        snprintf(err, errlen, "%s: %s", what, PQresultErrorMessage(r));
    }
    PQclear(r);
    return ok;
}

static int list_migrations(const char *dir, struct migration **out, size_t *count, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    struct migration *v = NULL;
    size_t n = 0;
    if (d == NULL) {
        snprintf(err, errlen, "cannot open migrations directory \"%s\": %s", dir, strerror(errno));
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        size_t len = strlen(nm);
        char *end = NULL;
        if (len < 6 || strcmp(nm + len - 4, ".sql") != 0 || nm[0] < '0' || nm[0] > '9') {
            continue;
        }
        long ver = strtol(nm, &end, 10);
        if (end == NULL || *end != '_' || ver <= 0) {
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            if (v[i].version == ver) {
                snprintf(err, errlen, "two migrations with number %ld: \"%s\" and \"%s\"", ver, v[i].name, nm);
                closedir(d);
                for (size_t j = 0; j < n; j++) {
                    lf_free(v[j].name);
                }
                lf_free(v);
                return 0;
            }
        }
        v = lf_realloc(v, (n + 1) * sizeof(*v));
        v[n].version = ver;
        v[n].name = lf_strdup(nm);
        n++;
    }
    closedir(d);
    if (n > 0) {
        qsort(v, n, sizeof(*v), cmp_migration);
    }
    *out = v;
    *count = n;
    return 1;
}

enum lf_err lf_migrate_run_ex(const char *conninfo, const char *migrations_dir, int *applied, char *err,
                              size_t errlen)
{
    enum lf_err rc = LF_EIO;
    PGconn *conn = NULL;
    PGresult *res = NULL;
    struct migration *migs = NULL;
    size_t nmigs = 0;
    char *sql = NULL;
    int locked = 0, nApplied = 0;
    char dummy[256]; /* errors of cleanup statements are dropped; sized so that snprintf never truncates noisily */

    if (err == NULL || errlen == 0) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
    if (!list_migrations(migrations_dir, &migs, &nmigs, err, errlen)) {
        rc = LF_ECONFIG;
        goto Exit;
    }
    conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to the database: %s", PQerrorMessage(conn));
        goto Exit;
    }
    if (!exec_ok(conn, "SET client_min_messages = warning", "set", err, errlen) ||
        !exec_ok(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "advisory lock", err, errlen)) {
        goto Exit;
    }
    locked = 1;
    if (!exec_ok(conn,
                 "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                 "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), checksum TEXT NOT NULL)",
                 "create schema_migrations", err, errlen)) {
        goto Exit;
    }
    for (size_t i = 0; i < nmigs; i++) {
        char path[4096], verbuf[32], sum[65];
        size_t len = 0;
        int adopted = 0;
        const char *params[3];

        snprintf(path, sizeof(path), "%s/%s", migrations_dir, migs[i].name);
        lf_free(sql);
        sql = read_file(path, &len);
        if (sql == NULL) {
            snprintf(err, errlen, "cannot read \"%s\": %s", path, strerror(errno));
            rc = LF_ECONFIG;
            goto Exit;
        }
        sha256_hex(sql, len, sum);
        snprintf(verbuf, sizeof(verbuf), "%ld", migs[i].version);
        params[0] = verbuf;
        res = PQexecParams(conn, "SELECT checksum FROM schema_migrations WHERE version = $1::int", 1, NULL,
                           params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "read schema_migrations: %s", PQresultErrorMessage(res));
            goto Exit;
        }
        if (PQntuples(res) == 1) {
            if (strcmp(PQgetvalue(res, 0, 0), sum) != 0) {
                lf_log_warn(MODULE, "migration \"%s\" changed since it was applied (checksum differs); not re-applied",
                            migs[i].name);
            }
            PQclear(res);
            res = NULL;
            continue;
        }
        PQclear(res);
        res = NULL;
        if (migs[i].version == 1) {
            res = PQexec(conn, "SELECT to_regclass('public.educational_content') IS NOT NULL");
            adopted = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
                      strcmp(PQgetvalue(res, 0, 0), "t") == 0;
            PQclear(res);
            res = NULL;
        }
        if (!exec_ok(conn, "BEGIN", "begin", err, errlen)) {
            goto Exit;
        }
        res = PQexec(conn, sql); /* the migration file itself: trusted text from the install, no parameters */
        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "migration \"%s\" failed: %s", migs[i].name, PQresultErrorMessage(res));
            PQclear(res);
            res = NULL;
            exec_ok(conn, "ROLLBACK", "rollback", dummy, sizeof(dummy));
            goto Exit;
        }
        PQclear(res);
        params[0] = verbuf;
        params[1] = migs[i].name;
        params[2] = sum;
        res = PQexecParams(conn,
                           "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1::int, $2, $3)", 3,
                           NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            snprintf(err, errlen, "record migration \"%s\": %s", migs[i].name, PQresultErrorMessage(res));
            PQclear(res);
            res = NULL;
            exec_ok(conn, "ROLLBACK", "rollback", dummy, sizeof(dummy));
            goto Exit;
        }
        PQclear(res);
        res = NULL;
        if (!exec_ok(conn, "COMMIT", "commit", err, errlen)) {
            goto Exit;
        }
        nApplied++;
        lf_log_info(MODULE, "%s migration \"%s\"", adopted ? "adopted existing schema for" : "applied",
                    migs[i].name);
    }
    rc = LF_OK;
Exit:
    PQclear(res);
    if (locked && PQstatus(conn) == CONNECTION_OK) {
        exec_ok(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", "advisory unlock", dummy, sizeof(dummy));
    }
    if (conn != NULL) {
        PQfinish(conn);
    }
    for (size_t i = 0; i < nmigs; i++) {
        lf_free(migs[i].name);
    }
    lf_free(migs);
    lf_free(sql);
    if (applied != NULL) {
        *applied = nApplied;
    }
    if (rc != LF_OK) {
        lf_log_error(MODULE, "%s", err);
    }
    return rc;
}

enum lf_err lf_migrate_run(const char *conninfo, const char *migrations_dir, char *err, size_t errlen)
{
    return lf_migrate_run_ex(conninfo, migrations_dir, NULL, err, errlen);
}
