#!/bin/sh
# scripts/run.sh - set up and run the gateway with the embedded defaults
# SPDX-License-Identifier: MIT
#
# Installs the Debian packages, builds (Release), starts a private PostgreSQL under var/pg unless
# DATABASE_URL is set, and runs `lafactoria serve` on $PORT (default 8080). With no provider API key
# set, the offline provider serves. Keys: LA_FACTORIA_API_KEY / LA_FACTORIA_ADMIN_KEY, or generated
# and printed once at start.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
sh scripts/deps.sh
BUILD=${LF_RUN_BUILD_DIR:-$ROOT/build-release}
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DLF_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null
if [ -z "${DATABASE_URL:-}" ]; then
    DATABASE_URL=$(sh scripts/pg-local.sh start)
    export DATABASE_URL
    echo "run.sh: embedded PostgreSQL under var/pg (stop it with: scripts/pg-local.sh stop)" >&2
fi
export LA_FACTORIA_PLUGIN_DIR="$BUILD/lib/lafactoria"
exec "$BUILD/core/lafactoria" serve "$@"
