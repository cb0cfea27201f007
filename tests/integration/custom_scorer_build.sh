#!/bin/sh
# tests/integration/custom_scorer_build.sh - install the SDK, build the example scorer out of tree, check its exports
# SPDX-License-Identifier: MIT
#
# Usage: custom_scorer_build.sh <build-dir> [work-dir]
#   1. cmake --install <build-dir> --prefix <work-dir>/prefix
#   2. builds plugins/examples/wordcount_scorer with only PKG_CONFIG_PATH=<prefix>/lib/pkgconfig (a copy of the
#      example outside the source tree, so no relative include can reach the sources)
#   3. checks with nm -D that the .so defines exactly one dynamic symbol: lf_plugin_entry
# On success the last line of stdout is the absolute path of wordcount.so; exit status 0. Any failure exits
# non-zero with a message on stderr.
set -eu

build=${1:?usage: custom_scorer_build.sh <build-dir> [work-dir]}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
work=${2:-$(mktemp -d "${TMPDIR:-/tmp}/lf-custom-scorer.XXXXXX")}
mkdir -p "$work"
prefix="$work/prefix"

cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || {
    echo "cmake --install failed (see $work/install.log)" >&2
    exit 1
}
pc=$(find "$prefix" -name lafactoria-plugin.pc | head -n 1)
[ -n "$pc" ] || { echo "lafactoria-plugin.pc was not installed" >&2; exit 1; }
[ -f "$prefix/include/lafactoria/plugin.h" ] || { echo "plugin.h was not installed" >&2; exit 1; }

rm -rf "$work/example"
cp -R "$src/plugins/examples/wordcount_scorer" "$work/example"
# Nothing but the installed SDK: a clean pkg-config search path and no include path into the source tree.
PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_LIBDIR=$(dirname "$pc") make -C "$work/example" >"$work/build.log" 2>&1 || {
    echo "building the example failed (see $work/build.log)" >&2
    cat "$work/build.log" >&2
    exit 1
}
so="$work/example/wordcount.so"
[ -f "$so" ] || { echo "wordcount.so missing" >&2; exit 1; }

syms=$(nm -D --defined-only "$so" | awk '{print $NF}' | sort -u)
if [ "$syms" != "lf_plugin_entry" ]; then
    echo "wordcount.so must export only lf_plugin_entry, found:" >&2
    echo "$syms" >&2
    exit 1
fi
echo "$so"
