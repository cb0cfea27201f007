#!/bin/sh
# bench/health_vs_nginx.sh - GET /health on the gateway beside nginx serving a static JSON body, same run
# SPDX-License-Identifier: MIT
#   bench/health_vs_nginx.sh [build-dir] [duration-s] [connections]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-release}
DUR=${2:-10}
CONN=${3:-50}
T=$(mktemp -d)
trap 'kill $GW $NG 2>/dev/null || true; rm -rf "$T"' EXIT
cat >"$T/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $T/nginx.pid;
error_log $T/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    server {
        listen 127.0.0.1:18190;
        location = /health {
            default_type application/json;
            return 200 '{"status":"healthy","timestamp":"2026-11-29T00:00:00.000Z","version":"0.1.0","environment":"development"}';
        }
    }
}
NGX
nginx -c "$T/nginx.conf" -p "$T" & NG=$!
cat >"$T/lf.json" <<JSON
{"server":{"host":"127.0.0.1","port":18191,"workers":1,"access_log":false},
 "paths":{"plugin_dir":"$BUILD/lib/lafactoria"},"scorers":[]}
JSON
LA_FACTORIA_CONFIG="$T/lf.json" LA_FACTORIA_API_KEY=bench-user-key-123 LA_FACTORIA_ADMIN_KEY=bench-admin-key-123 \
    "$BUILD/core/lafactoria" serve >/dev/null 2>&1 & GW=$!
sleep 1
echo "machine: $(nproc) cores, $(uname -r); wrk -t2 -c$CONN -d${DUR}s --latency; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for target in "nginx http://127.0.0.1:18190/health" "lafactoria http://127.0.0.1:18191/health"; do
    set -- $target
    echo "== $1"
    wrk -t2 -c"$CONN" -d"${DUR}s" --latency "$2" | grep -E "Requests/sec|Latency|50%|75%|90%|99%"
done
