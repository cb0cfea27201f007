#!/bin/sh
# scripts/test.sh - install dependencies, build, and run the whole test suite
# SPDX-License-Identifier: MIT
#
#   scripts/test.sh            # normal build and ASan+UBSan build, every test (what CI runs)
#   scripts/test.sh normal     # only the normal build
#   scripts/test.sh asan       # only the sanitizer build
# Starts a throwaway PostgreSQL for the tests and stops it at the end. Prints ctest's summary.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
sh scripts/deps.sh
MODES=${1:-"normal asan"}
if [ "$MODES" = all ]; then MODES="normal asan"; fi

eval "$(sh scripts/pg-test.sh start)"
cleanup() { sh scripts/pg-test.sh stop "$PGTMP" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM
export LF_TEST_DATABASE_URL

status=0
for mode in $MODES; do
    case "$mode" in
    normal) BUILD="$ROOT/build"; FLAGS="-DCMAKE_BUILD_TYPE=RelWithDebInfo" ;;
    asan) BUILD="$ROOT/build-asan"; FLAGS="-DCMAKE_BUILD_TYPE=Debug -DLF_SANITIZE=ON" ;;
    *) echo "test.sh: unknown mode $mode (normal | asan)" >&2; exit 2 ;;
    esac
    echo "== $mode build ($BUILD)"
    cmake -S "$ROOT" -B "$BUILD" $FLAGS -DLF_WERROR=ON >/dev/null
    if ! cmake --build "$BUILD" -j"$(nproc)" >"$BUILD/build.log" 2>&1; then
        grep -E "error|Error" "$BUILD/build.log" | head -40
        echo "test.sh: $mode build failed (full log: $BUILD/build.log)" >&2
        exit 1
    fi
    grep -E "warning:" "$BUILD/build.log" || true
    echo "== $mode tests"
    if [ "$mode" = asan ]; then
        export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
        export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
        export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    fi
    if ! ctest --test-dir "$BUILD" --output-on-failure -j2 --timeout 900; then
        status=1
    fi
    unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
done
exit $status
