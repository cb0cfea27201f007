#!/bin/sh
# scripts/deps.sh - install everything the project needs on Debian 12 (build, tests, local PostgreSQL)
# SPDX-License-Identifier: MIT
#
#   scripts/deps.sh           # build + run + test dependencies
#   LF_SKIP_DEPS=1 ...        # callers skip this step when the machine is already prepared
set -eu
if [ "${LF_SKIP_DEPS:-0}" = 1 ]; then exit 0; fi
PKGS="build-essential cmake pkg-config libh2o-evloop-dev libssl-dev libcurl4-openssl-dev libpq-dev libjansson-dev
libcmocka-dev postgresql postgresql-client python3 prometheus chromium nodejs npm wrk nginx-light"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node/npm may come from elsewhere on the machine: only install Debian's when absent
if command -v node >/dev/null 2>&1; then missing=$(echo "$missing" | sed 's/ nodejs//; s/ npm//'); fi
if [ -z "$(echo "$missing" | tr -d ' ')" ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# the packaged services are not needed: the project starts its own PostgreSQL and nginx when it wants one
for s in postgresql nginx prometheus; do
    $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || $SUDO service "$s" stop >/dev/null 2>&1 || true
done
