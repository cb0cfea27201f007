#!/bin/sh
# bench/scale/scale.sh - N concurrent generations held open against an upstream answering after 2 s
# SPDX-License-Identifier: MIT
#   bench/scale/scale.sh [build-dir] [N] [delay-s] [workers]   (PERF=file.data: perf record the gateway)
# The gateway's openai provider points at bench/scale/slow_upstream.py; bench/scale/scale_client.py opens N
# connections to POST /api/v1/generate/flashcards at once and probes GET /health meanwhile.
# Each request in flight holds two descriptors in the gateway (client + upstream, HTTP/1.1): raise ulimit -n.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build-bench}
N=${2:-10000}
DELAY=${3:-2}
WORKERS=${4:-2}
UP=${PORT_UP:-18490}
GP=${PORT_GW:-18491}
T=$(mktemp -d)
trap 'kill $GW $US 2>/dev/null || true; rm -rf "$T"' EXIT
ulimit -n "$(ulimit -Hn)"
echo "machine: $(nproc) cores, $(uname -r); ulimit -n $(ulimit -n); N=$N delay ${DELAY}s; gateway workers $WORKERS;" \
     "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$ROOT/bench/scale/slow_upstream.py" "$UP" "$DELAY" flashcards >"$T/up.out" 2>&1 & US=$!
cat >"$T/lf.json" <<JSON
{"server":{"host":"127.0.0.1","port":$GP,"workers":$WORKERS,"access_log":false,"request_deadline_ms":120000},
 "paths":{"plugin_dir":"$BUILD/lib/lafactoria","content_types_dir":"$ROOT/config/content_types"},"scorers":[],
 "rate_limits":{"requests_per_minute":1000000000,"generations_per_hour":1000000000},
 "routing":{"strategy":"priority","max_attempts":1,"attempt_timeout_ms":60000},
 "providers":[{"name":"openai","plugin":"openai","retry":{"attempts":0},"config":{"api_key":"bench-upstream-key",
   "base_url":"http://127.0.0.1:$UP/v1","model":"gpt-4o-mini"}}]}
JSON
LA_FACTORIA_CONFIG="$T/lf.json" LA_FACTORIA_API_KEY=bench-user-key-123 LA_FACTORIA_ADMIN_KEY=bench-admin-key-123 \
    "$BUILD/core/lafactoria" serve >"$T/gw.out" 2>"$T/gw.err" & GW=$!
sleep 1.5
echo "gateway VmHWM at start: $(grep VmHWM /proc/$GW/status | tr -s ' ')"
[ -n "${PERF:-}" ] && { perf record -F 499 -g -o "$PERF" -p $GW >/dev/null 2>&1 & PF=$!; }
python3 "$ROOT/bench/scale/health_probe.py" "$GP" "$T/stop" >"$T/probe.out" & HP=$!
sleep 0.5
python3 "$ROOT/bench/scale/scale_client.py" "$GP" "$N" /api/v1/generate/flashcards bench-user-key-123 "$GW"
touch "$T/stop"; wait $HP; cat "$T/probe.out"
echo "gateway VmHWM at end: $(grep VmHWM /proc/$GW/status | tr -s ' '); load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${PERF:-}" ] && { kill -INT $PF; wait $PF || true; }
kill -TERM $US; sleep 0.5
echo "upstream: $(cat "$T/up.out" | tr '\n' ' ')"
grep -c '"level":"error"' "$T/gw.out" | sed 's/^/gateway error log lines: /' || true
grep '"level":"error"' "$T/gw.out" | head -3 || true
