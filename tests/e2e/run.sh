#!/usr/bin/env bash
# tests/e2e/run.sh — install node deps, lint web/openapi.json, run the browser tests in headless chromium
# Env: LF_BASE_URL + LF_API_KEY (a running gateway; if LF_BASE_URL is unset the mock server is started),
#      LF_ARTIFACT_DIR (screenshots, default ./artifacts), LF_CHROMIUM (default /usr/bin/chromium)
# SPDX-License-Identifier: MIT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export LF_ARTIFACT_DIR="$(mkdir -p "${LF_ARTIFACT_DIR:-$here/artifacts}" && cd "${LF_ARTIFACT_DIR:-$here/artifacts}" && pwd)"
export LF_CHROMIUM="${LF_CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$LF_CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "e2e: installing Debian chromium" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "e2e: chromium not found at $LF_CHROMIUM (apt-get install -y chromium)" >&2
        exit 1
    fi
fi

npm ci --no-audit --no-fund --loglevel=error
bash "$here/lint-openapi.sh"

mock_pid=""
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT
if [ -z "${LF_BASE_URL:-}" ]; then
    export LF_API_KEY="${LF_API_KEY:-test-key}"
    log="$(mktemp)"
    node "$here/mock_server.mjs" 0 >"$log" 2>&1 &
    mock_pid=$!
    for _ in $(seq 1 50); do
        grep -q '^listening ' "$log" && break
        sleep 0.1
    done
    LF_BASE_URL="$(sed -n 's/^listening //p' "$log")"
    [ -n "$LF_BASE_URL" ] || { echo "e2e: mock server did not start" >&2; cat "$log" >&2; exit 1; }
    export LF_BASE_URL
    echo "e2e: using the mock server at $LF_BASE_URL" >&2
fi
node --test --test-concurrency=1 "$here/ui.test.mjs"
