#!/bin/sh
# bench/overhead/overhead.sh - gateway overhead: the same fixed chat completion from nginx, directly and through
# the gateway, wrk at 1 and 50 connections in the same run, plus the X-LF-Overhead-Us distribution
# SPDX-License-Identifier: MIT
#   [MODE=v1|generate] [WORKERS=n] [PERF=file.data] bench/overhead/overhead.sh [build-dir] [duration-s] [content-type]
# MODE=v1 (default): POST /v1/chat/completions through the gateway's openai provider to nginx.
# MODE=generate: POST /api/v1/generate/<type> through the same provider; nginx's fixed completion carries valid
# JSON for <type>, so the gateway also renders the prompt, parses and schema-validates the content and builds
# and records the generation. PERF: perf record (dwarf call graphs) the gateway for 4 s at -c50.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build-bench}
DUR=${2:-10}
TYPE=${3:-flashcards}
NP=${PORT_NGINX:-18390}
GP=${PORT_GW:-18391}
T=$(mktemp -d)
trap 'kill $GW $NG 2>/dev/null || true; rm -rf "$T"' EXIT
python3 "$ROOT/bench/overhead/make_nginx_conf.py" "$T" "$NP" "$TYPE"
nginx -c "$T/nginx.conf" -p "$T" & NG=$!
cat >"$T/lf.json" <<JSON
{"server":{"host":"127.0.0.1","port":$GP,"workers":${WORKERS:-1},"access_log":false},
 "paths":{"plugin_dir":"$BUILD/lib/lafactoria","content_types_dir":"$ROOT/config/content_types"},"scorers":[],
 "rate_limits":{"requests_per_minute":1000000000,"generations_per_hour":1000000000},
 "routing":{"strategy":"priority","max_attempts":1},
 "providers":[{"name":"openai","plugin":"openai","config":{"api_key":"bench-upstream-key",
   "base_url":"http://127.0.0.1:$NP/v1","model":"gpt-4o-mini"}}]}
JSON
env ${GWENV:-} LA_FACTORIA_CONFIG="$T/lf.json" LA_FACTORIA_API_KEY=bench-user-key-123 LA_FACTORIA_ADMIN_KEY=bench-admin-key-123 \
    "$BUILD/core/lafactoria" serve >/dev/null 2>"$T/err" & GW=$!
sleep 1
curl -sf -o /dev/null -X POST -H 'Authorization: Bearer bench-user-key-123' -H 'Content-Type: application/json' \
    -d '{"topic":"Photosynthesis in Plants","age_group":"high_school"}' "http://127.0.0.1:$GP/api/v1/generate/$TYPE" \
    || { echo "gateway not answering"; cat "$T/err"; exit 1; }
CHAT='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Photosynthesis in Plants"}]}'
L="$ROOT/bench/overhead/post_chat.lua"
cpu_ticks() { awk '{print $14 + $15}' /proc/$GW/stat; }
MODE=${MODE:-v1}
if [ "$MODE" = v1 ]; then
    GWPATH=/v1/chat/completions
    export LF_BODY="$CHAT"
    curl -sf -o /dev/null -X POST -H 'Authorization: Bearer bench-user-key-123' -H 'Content-Type: application/json' \
        -d "$CHAT" "http://127.0.0.1:$GP$GWPATH" || { echo "gateway $GWPATH failed"; exit 1; }
else
    GWPATH=/api/v1/generate/$TYPE
fi
echo "machine: $(nproc) cores, $(uname -r); gateway workers ${WORKERS:-1}; mode $MODE ($GWPATH); ${DUR}s per run"
for c in 1 50; do
    th=1; [ "$c" -gt 1 ] && th=2
    echo "== direct nginx, -c$c (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
    LF_BODY="$CHAT" wrk -t$th -c$c -d"${DUR}s" --latency -s "$L" "http://127.0.0.1:$NP/v1/chat/completions" 2>&1 \
        | grep -E "Requests/sec|Latency  |50%|90%|99%|Non-2xx|non-200|errors"
    echo "== through gateway, -c$c (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
    [ -n "${PERF:-}" ] && [ "$c" -gt 1 ] && { perf record -F 199 --call-graph dwarf,16384 -o "$PERF" -p $GW -- sleep 4 >/dev/null 2>&1 & }
    c0=$(cpu_ticks); r0=$(date +%s.%N)
    wrk -t$th -c$c -d"${DUR}s" --latency -s "$L" "http://127.0.0.1:$GP$GWPATH" >"$T/wrk.out" 2>&1
    c1=$(cpu_ticks); r1=$(date +%s.%N)
    grep -E "Requests/sec|Latency  |50%|90%|99%|Non-2xx|non-200|errors" "$T/wrk.out"
    reqs=$(awk '/requests in/ {print $1}' "$T/wrk.out")
    awk -v a="$c0" -v b="$c1" -v n="$reqs" -v t0="$r0" -v t1="$r1" -v hz="$(getconf CLK_TCK)" 'BEGIN {
        printf "gateway CPU: %.2f s of %.2f s wall (%.0f%% of one core), %.0f us per request\n",
               (b - a) / hz, t1 - t0, 100 * (b - a) / hz / (t1 - t0), 1e6 * (b - a) / hz / n }'
    echo "== X-LF-Overhead-Us through gateway, -c$c, $((DUR / 2))s"
    LF_COLLECT=1 wrk -t$th -c$c -d"$((DUR / 2))s" -s "$L" "http://127.0.0.1:$GP$GWPATH" 2>&1 \
        | grep -E "X-LF-Overhead|Requests/sec|non-200"
done
echo "gateway VmHWM: $(grep VmHWM /proc/$GW/status)"
