/*
 * tests/unit/store/pg_fixture.c - throwaway PostgreSQL cluster for the storage tests (via scripts/pg-test.sh)
 * SPDX-License-Identifier: MIT
 */
#include "pg_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"

static char pgtmp[512];
static char pgbin[512];
static char conn_slots[8][1024];
static int slot;
static char tmpdirs[64][64];
static int ntmp;

static void die(const char *msg)
{
    fprintf(stderr, "pg_fixture: %s\n", msg);
    exit(1); /* never skip silently: a missing PostgreSQL is a failure */
}

static void read_cmd(const char *cmd, char *out, size_t outlen)
{
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    if (p == NULL) {
        die("popen failed");
    }
    while (n + 1 < outlen && fgets(out + n, (int)(outlen - n), p) != NULL) {
        n = strlen(out);
    }
    out[n] = '\0';
    if (pclose(p) != 0) {
        fprintf(stderr, "pg_fixture: command failed: %s\n%s\n", cmd, out);
        die("cannot run the PostgreSQL helper");
    }
}

void pgfx_start(void)
{
    char out[2048], cmd[1024];
    const char *p;
    snprintf(cmd, sizeof(cmd), "sh '%s/scripts/pg-test.sh' start", LF_SOURCE_DIR);
    read_cmd(cmd, out, sizeof(out));
    p = strstr(out, "PGTMP=");
    if (p == NULL) {
        die("pg-test.sh printed no PGTMP");
    }
    p += 6;
    size_t n = strcspn(p, " \n");
    snprintf(pgtmp, sizeof(pgtmp), "%.*s", (int)n, p);
    read_cmd("ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1", pgbin, sizeof(pgbin));
    pgbin[strcspn(pgbin, "\n")] = '\0';
}

void pgfx_stop(void)
{
    char cmd[1024];
    if (pgtmp[0] == '\0') {
        return;
    }
    snprintf(cmd, sizeof(cmd), "sh '%s/scripts/pg-test.sh' stop '%s'", LF_SOURCE_DIR, pgtmp);
    if (system(cmd) != 0) {
        fprintf(stderr, "pg_fixture: stop failed\n");
    }
    pgtmp[0] = '\0';
    for (int i = 0; i < ntmp; i++) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%.64s'", tmpdirs[i]);
        if (system(cmd) != 0) {
            fprintf(stderr, "pg_fixture: cannot remove %s\n", tmpdirs[i]);
        }
    }
    ntmp = 0;
}

void pgfx_server_stop(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "sh '%s/scripts/pg-test.sh' pgstop '%s'", LF_SOURCE_DIR, pgtmp);
    if (system(cmd) != 0) {
        die("pgstop failed");
    }
}

void pgfx_server_start(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "sh '%s/scripts/pg-test.sh' pgstart '%s'", LF_SOURCE_DIR, pgtmp);
    if (system(cmd) != 0) {
        die("pgstart failed");
    }
}

const char *pgfx_dir(void)
{
    return pgtmp;
}

const char *pgfx_conninfo(const char *name)
{
    char *c = conn_slots[slot++ % 8];
    snprintf(c, 1024, "host=%s port=5432 user=postgres dbname=%s", pgtmp, name);
    return c;
}

const char *pgfx_create_db(const char *name)
{
    char sql[256];
    const char *admin = pgfx_conninfo("postgres");
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
    pgfx_exec(admin, sql);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    if (pgfx_exec(admin, sql) != 0) {
        die("create database failed");
    }
    return pgfx_conninfo(name);
}

int pgfx_exec(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    int rc = -1;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK) {
            rc = 0;
        } else {
            fprintf(stderr, "pg_fixture: %s: %s", sql, PQresultErrorMessage(r));
        }
        PQclear(r);
    } else {
        fprintf(stderr, "pg_fixture: connect: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return rc;
}

char *pgfx_text(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    char *out = NULL;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) >= 1) {
            out = lf_strdup(PQgetisnull(r, 0, 0) ? "NULL" : PQgetvalue(r, 0, 0));
        } else {
            fprintf(stderr, "pg_fixture: %s: %s", sql, PQresultErrorMessage(r));
        }
        PQclear(r);
    } else {
        fprintf(stderr, "pg_fixture: connect: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return out;
}

char *pgfx_dump(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    char *out = NULL;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK) {
            out = lf_strdup("");
            for (int i = 0; i < PQntuples(r); i++) {
                for (int k = 0; k < PQnfields(r); k++) {
                    char *n = lf_asprintf("%s%s%s", out, k ? "|" : (i ? ";" : ""),
                                          PQgetisnull(r, i, k) ? "NULL" : PQgetvalue(r, i, k));
                    lf_free(out);
                    out = n;
                }
            }
        } else {
            fprintf(stderr, "pg_fixture: %s: %s", sql, PQresultErrorMessage(r));
        }
        PQclear(r);
    }
    PQfinish(c);
    return out;
}

long pgfx_int(const char *conninfo, const char *sql)
{
    char *t = pgfx_text(conninfo, sql);
    long v = t ? strtol(t, NULL, 10) : -1;
    lf_free(t);
    return v;
}

int pgfx_psql_file(const char *dbname, const char *file)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s/psql' -X -q -v ON_ERROR_STOP=1 -h '%s' -U postgres -d %s -f '%s' 2>/dev/null",
             pgbin, pgtmp, dbname, file);
    return system(cmd);
}

void pgfx_tmpdir(char *out, size_t outlen)
{
    snprintf(out, outlen, "/tmp/lfstore.XXXXXX");
    if (mkdtemp(out) == NULL) {
        die("mkdtemp failed");
    }
    if (ntmp < 64) {
        snprintf(tmpdirs[ntmp++], sizeof(tmpdirs[0]), "%s", out);
    }
}
