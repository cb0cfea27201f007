#!/usr/bin/env bash
# tests/e2e/lint-openapi.sh — lint web/openapi.json with @redocly/cli; exits non-zero on any lint error
# SPDX-License-Identifier: MIT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
spec="${1:-$here/../../web/openapi.json}"
cd "$here"
if [ ! -x node_modules/.bin/redocly ]; then
    npm ci --no-audit --no-fund
fi
# JSON must parse before linting (a clearer message than the linter's)
node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$spec"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    node_modules/.bin/redocly lint --config "$here/redocly.yaml" --format=stylish "$spec"
