#!/bin/sh
# bench/pipeline/gen_http.sh - one offline generation per request over HTTP, wrk per content type
# SPDX-License-Identifier: MIT
#   bench/pipeline/gen_http.sh [build-dir] [duration-s] [connections] [scorers: none|default]
# Starts the gateway (1 worker, offline provider, rate limits raised) and runs wrk with a POST script
# against /api/v1/generate/<type> for each of the eight types. Non-2xx answers are printed by wrk.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build-bench}
DUR=${2:-5}
CONN=${3:-1}
SCORERS=${4:-none}
PORT=${PORT_GW:-18291}
T=$(mktemp -d)
trap 'kill $GW 2>/dev/null || true; rm -rf "$T"' EXIT
if [ "$SCORERS" = none ]; then SC='"scorers":[],'; else SC=''; fi
cat >"$T/lf.json" <<JSON
{"server":{"host":"127.0.0.1","port":$PORT,"workers":${WORKERS:-1},"access_log":false},
 "paths":{"plugin_dir":"$BUILD/lib/lafactoria","content_types_dir":"$ROOT/config/content_types"},$SC
 "rate_limits":{"requests_per_minute":1000000000,"generations_per_hour":1000000000},
 "providers":[{"name":"offline","plugin":"offline","enabled":true}]}
JSON
LA_FACTORIA_CONFIG="$T/lf.json" LA_FACTORIA_API_KEY=bench-user-key-123 LA_FACTORIA_ADMIN_KEY=bench-admin-key-123 \
    "$BUILD/core/lafactoria" serve >/dev/null 2>"$T/err" & GW=$!
sleep 1
curl -sf -o /dev/null -X POST -H 'Authorization: Bearer bench-user-key-123' -H 'Content-Type: application/json' \
    -d '{"topic":"x y z","age_group":"high_school"}' "http://127.0.0.1:$PORT/api/v1/generate/flashcards" \
    || { echo "gateway not answering"; cat "$T/err"; exit 1; }
echo "machine: $(nproc) cores, $(uname -r); gateway workers ${WORKERS:-1}, scorers $SCORERS;" \
     "wrk -t1 -c$CONN -d${DUR}s --latency; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in master_content_outline podcast_script study_guide one_pager_summary detailed_reading_material \
         faq_collection flashcards reading_guide_questions; do
    echo "== $t"
    wrk -t1 -c"$CONN" -d"${DUR}s" --latency -s "$ROOT/bench/pipeline/post.lua" \
        "http://127.0.0.1:$PORT/api/v1/generate/$t" 2>&1 | grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|non-200|errors"
done
echo "gateway VmHWM: $(grep VmHWM /proc/$GW/status)"
