#!/bin/sh
# tests/integration/promtool_check.sh - fetch a running gateway's /metrics and run `promtool check metrics` on it
# SPDX-License-Identifier: MIT
#
# usage: promtool_check.sh [URL] [API_KEY]   (URL defaults to http://127.0.0.1:8080/metrics)
# Exit status: 0 valid; 1 promtool found problems; 2 promtool missing; 3 fetch failed. PROMTOOL overrides the binary.
set -u
url=${1:-http://127.0.0.1:8080/metrics}
key=${2:-}
promtool=${PROMTOOL:-promtool}
if ! "$promtool" --version >/dev/null 2>&1; then
    echo "promtool_check: promtool not found (Debian package 'prometheus')" >&2
    exit 2
fi
tmp=$(mktemp) || exit 3
trap 'rm -f "$tmp"' EXIT
if [ -n "$key" ]; then
    python3 -c 'import sys,urllib.request as u; r=u.Request(sys.argv[1], headers={"Authorization":"Bearer "+sys.argv[2]}); sys.stdout.buffer.write(u.urlopen(r, timeout=10).read())' "$url" "$key" >"$tmp" || exit 3
else
    python3 -c 'import sys,urllib.request as u; sys.stdout.buffer.write(u.urlopen(sys.argv[1], timeout=10).read())' "$url" >"$tmp" || exit 3
fi
out=$("$promtool" check metrics <"$tmp" 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
    echo "promtool_check: $url failed promtool check metrics:" >&2
    echo "$out" >&2
    exit 1
fi
echo "promtool_check: $url ok ($(grep -vc '^#' "$tmp") samples)"
