#!/bin/sh
# scripts/pg-test.sh - throwaway PostgreSQL cluster for tests (Unix socket only, no TCP)
# SPDX-License-Identifier: MIT
#
#   eval "$(scripts/pg-test.sh start)"   # exports PGTMP PGHOST PGPORT PGUSER PGDATABASE LF_TEST_DATABASE_URL
#   scripts/pg-test.sh stop "$PGTMP"
#   scripts/pg-test.sh pgstop "$PGTMP" / pgstart "$PGTMP"   # stop/start the server, keep the data (outage tests)
# Fails (exit 1) if the PostgreSQL server binaries are missing: tests never skip silently.
set -eu
PGBIN=${LF_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    echo "pg-test.sh: PostgreSQL server binaries not found (install the postgresql package)" >&2
    exit 1
fi
RUNAS=""
if [ "$(id -u)" = 0 ]; then RUNAS="runuser -u postgres --"; fi
# Tests trade durability for speed; LF_PG_DURABLE=1 keeps PostgreSQL's defaults (fsync on) for benchmarks.
OPTS="-c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${LF_PG_DURABLE:-0}" = 1 ]; then OPTS="-c listen_addresses="; fi

pg_start() {
    $RUNAS "$PGBIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 30 -o "$OPTS -k $1" start >/dev/null
}

case "${1:-}" in
start)
    D=$(mktemp -d /tmp/lfpg.XXXXXX)
    chmod 755 "$D"
    if [ -n "$RUNAS" ]; then chown postgres: "$D"; fi
    if ! $RUNAS "$PGBIN/initdb" -D "$D/data" -U postgres -A trust -E UTF8 --no-sync >"$D/initdb.log" 2>&1; then
        cat "$D/initdb.log" >&2
        exit 1
    fi
    pg_start "$D"
    echo "export PGTMP=$D PGHOST=$D PGPORT=5432 PGUSER=postgres PGDATABASE=postgres"
    echo "export LF_TEST_DATABASE_URL='host=$D port=5432 user=postgres dbname=postgres'"
    ;;
pgstop)
    $RUNAS "$PGBIN/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null
    ;;
pgstart)
    pg_start "$2"
    ;;
stop)
    [ -n "${2:-}" ] && [ -d "$2/data" ] || { echo "pg-test.sh: stop needs the PGTMP directory" >&2; exit 1; }
    $RUNAS "$PGBIN/pg_ctl" -D "$2/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$2"
    ;;
*)
    echo "usage: $0 start | stop DIR | pgstop DIR | pgstart DIR" >&2
    exit 2
    ;;
esac
