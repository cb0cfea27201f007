#!/bin/sh
# scripts/pg-local.sh - private PostgreSQL cluster under <project>/var/pg (Unix socket only, no TCP)
# SPDX-License-Identifier: MIT
#
#   scripts/pg-local.sh start    # initdb on first use, start; prints the libpq conninfo on stdout
#   scripts/pg-local.sh stop | status | conninfo
# The cluster runs as a non-root user (postgres if it exists, else nobody) when started by root.
# LF_VAR_DIR overrides <project>/var.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=${LF_VAR_DIR:-$ROOT/var}
D="$VAR/pg"
PGBIN=${LF_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    echo "pg-local.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
    exit 1
fi
RUNAS=""
OWNER=$(id -un)
if [ "$(id -u)" = 0 ]; then
    if id postgres >/dev/null 2>&1; then OWNER=postgres; else OWNER=nobody; fi
    RUNAS="runuser -u $OWNER --"
fi
DB=lafactoria
CONNINFO="host=$D/sock dbname=$DB user=postgres"

running() {
    $RUNAS "$PGBIN/pg_ctl" -D "$D/data" status >/dev/null 2>&1
}

case "${1:-}" in
start)
    mkdir -p "$VAR"
    if [ ! -f "$D/data/PG_VERSION" ]; then
        mkdir -p "$D/sock"
        chmod 700 "$D"
        if [ -n "$RUNAS" ]; then chown -R "$OWNER": "$D"; fi
        if ! $RUNAS "$PGBIN/initdb" -D "$D/data" -U postgres -A trust -E UTF8 >"$D/initdb.log" 2>&1; then
            cat "$D/initdb.log" >&2
            exit 1
        fi
    fi
    if ! running; then
        $RUNAS "$PGBIN/pg_ctl" -D "$D/data" -l "$D/server.log" -w -t 60 \
            -o "-c listen_addresses= -k $D/sock -c unix_socket_permissions=0700" start >/dev/null
    fi
    if ! $RUNAS "$PGBIN/psql" -h "$D/sock" -U postgres -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
        $RUNAS "$PGBIN/createdb" -h "$D/sock" -U postgres "$DB"
    fi
    echo "$CONNINFO"
    ;;
stop)
    if running; then $RUNAS "$PGBIN/pg_ctl" -D "$D/data" -m fast -w stop >/dev/null; fi
    ;;
status)
    if running; then echo "running: $CONNINFO"; else echo "stopped"; exit 3; fi
    ;;
conninfo)
    echo "$CONNINFO"
    ;;
*)
    echo "usage: $0 start | stop | status | conninfo" >&2
    exit 2
    ;;
esac
