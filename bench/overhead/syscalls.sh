#!/bin/sh
# bench/overhead/syscalls.sh - system calls per /v1/chat/completions request in the gateway (strace -c), a
# measure that does not depend on how busy the shared cores are
# SPDX-License-Identifier: MIT
#   [WORKERS=n] bench/overhead/syscalls.sh [build-dir] [duration-s]
# Same setup as overhead.sh (nginx answering a fixed chat completion, the gateway's openai provider pointed at
# it); wrk -c1 and -c50 run while `strace -f -c` is attached to the gateway; prints the system calls per request
# (total and by call). strace slows the gateway down: use the counts, not the request rates.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build-bench}
DUR=${2:-4}
NP=${PORT_NGINX:-18392}
GP=${PORT_GW:-18393}
T=$(mktemp -d)
trap 'kill $GW $NG 2>/dev/null || true; rm -rf "$T"' EXIT
python3 "$ROOT/bench/overhead/make_nginx_conf.py" "$T" "$NP" flashcards
nginx -c "$T/nginx.conf" -p "$T" & NG=$!
cat >"$T/lf.json" <<JSON
{"server":{"host":"127.0.0.1","port":$GP,"workers":${WORKERS:-1},"access_log":false},
 "paths":{"plugin_dir":"$BUILD/lib/lafactoria","content_types_dir":"$ROOT/config/content_types"},"scorers":[],
 "rate_limits":{"requests_per_minute":1000000000,"generations_per_hour":1000000000},
 "routing":{"strategy":"priority","max_attempts":1},
 "providers":[{"name":"openai","plugin":"openai","config":{"api_key":"bench-upstream-key",
   "base_url":"http://127.0.0.1:$NP/v1","model":"gpt-4o-mini"}}]}
JSON
LA_FACTORIA_CONFIG="$T/lf.json" LA_FACTORIA_API_KEY=bench-user-key-123 LA_FACTORIA_ADMIN_KEY=bench-admin-key-123 \
    "$BUILD/core/lafactoria" serve >/dev/null 2>"$T/err" & GW=$!
sleep 1
CHAT='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Photosynthesis in Plants"}]}'
export LF_BODY="$CHAT"
curl -sf -o /dev/null -X POST -H 'Authorization: Bearer bench-user-key-123' -H 'Content-Type: application/json' \
    -d "$CHAT" "http://127.0.0.1:$GP/v1/chat/completions" || { echo "gateway not answering"; cat "$T/err"; exit 1; }
echo "build $BUILD; gateway workers ${WORKERS:-1}; ${DUR}s per run; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in 1 50; do
    th=1; [ "$c" -gt 1 ] && th=2
    strace -f -c -o "$T/st.$c" -p $GW 2>/dev/null & ST=$!
    sleep 0.5
    wrk -t$th -c$c -d"${DUR}s" -s "$ROOT/bench/overhead/post_chat.lua" "http://127.0.0.1:$GP/v1/chat/completions" \
        >"$T/wrk.$c" 2>&1
    sleep 0.3
    kill -INT $ST; wait $ST || true
    reqs=$(awk '/requests in/ {print $1}' "$T/wrk.$c")
    echo "== -c$c: $reqs requests"
    awk -v n="$reqs" '$1 ~ /^[0-9.]+$/ && NF >= 5 { calls = $4; name = $NF; if (name == "total") tot = calls;
            else if (calls / n >= 0.05) printf "  %-16s %6.2f per request\n", name, calls / n }
        END { printf "  total            %6.2f per request\n", tot / n }' "$T/st.$c" | sort -k2 -rn
done
