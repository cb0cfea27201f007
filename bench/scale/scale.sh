#!/bin/sh
# bench/scale/scale.sh - N concurrent generations held open against an upstream answering after a delay
# SPDX-License-Identifier: MIT
#   [UPSTREAM=h2|h1] [PERF=file.data] bench/scale/scale.sh [build-dir] [N] [delay-s] [workers]
# The upstream is nginx answering every POST /v1/chat/completions with a fixed flashcards chat completion after
# delay-s (echo_sleep; bench/overhead/make_nginx_conf.py): UPSTREAM=h2 (default) serves HTTPS with HTTP/2, so the
# gateway's calls in flight share a few connections as streams; UPSTREAM=h1 serves cleartext HTTP/1.1, one
# upstream connection per call in flight. The gateway's openai provider points at it. h2load (nghttp2-client)
# opens N HTTP/1.1 connections at once, one POST /api/v1/generate/flashcards each; bench/scale/health_probe.py
# (own process) sends GET /health every 20 ms meanwhile. The gateway's VmHWM is its peak RSS.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build-bench}
N=${2:-10000}
DELAY=${3:-2}
WORKERS=${4:-2}
UPSTREAM=${UPSTREAM:-h2}
UP=${PORT_UP:-18490}
GP=${PORT_GW:-18491}
command -v h2load >/dev/null || { echo "h2load missing: apt-get install nghttp2-client"; exit 1; }
GW= NG= SP=
T=$(mktemp -d)
trap 'kill $GW $NG $SP 2>/dev/null || true; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
ulimit -n "$(ulimit -Hn)"
echo "machine: $(nproc) cores, $(uname -r); ulimit -n $(ulimit -n); N=$N delay ${DELAY}s; gateway workers $WORKERS;" \
     "upstream $UPSTREAM; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$UPSTREAM" = h2 ]; then
    python3 "$ROOT/bench/overhead/make_nginx_conf.py" "$T" "$UP" flashcards "$((DELAY * 1000))" h2
    BASE="https://127.0.0.1:$UP/v1"; TLS=",\"tls_ca_file\":\"$T/cert.pem\""
else
    python3 "$ROOT/bench/overhead/make_nginx_conf.py" "$T" "$UP" flashcards "$((DELAY * 1000))"
    BASE="http://127.0.0.1:$UP/v1"; TLS=""
fi
nginx -c "$T/nginx.conf" -p "$T" & NG=$!
cat >"$T/lf.json" <<JSON
{"server":{"host":"127.0.0.1","port":$GP,"workers":$WORKERS,"access_log":false,"request_deadline_ms":120000},
 "paths":{"plugin_dir":"$BUILD/lib/lafactoria","content_types_dir":"$ROOT/config/content_types"},"scorers":[],
 "rate_limits":{"requests_per_minute":1000000000,"generations_per_hour":1000000000},
 "routing":{"strategy":"priority","max_attempts":1,"attempt_timeout_ms":60000},
 "providers":[{"name":"openai","plugin":"openai","retry":{"attempts":0}$TLS,"config":{"api_key":"bench-upstream-key",
   "base_url":"$BASE","model":"gpt-4o-mini"}}]}
JSON
env ${GWENV:-} LA_FACTORIA_CONFIG="$T/lf.json" LA_FACTORIA_API_KEY=bench-user-key-123 LA_FACTORIA_ADMIN_KEY=bench-admin-key-123 \
    "$BUILD/core/lafactoria" serve >"$T/gw.out" 2>"$T/gw.err" & GW=$!
sleep 1.5
echo '{"topic":"Photosynthesis in Plants","age_group":"high_school"}' >"$T/body.json"
curl -sf -o /dev/null -X POST -H 'Authorization: Bearer bench-user-key-123' -H 'Content-Type: application/json' \
    -d @"$T/body.json" "http://127.0.0.1:$GP/api/v1/generate/flashcards" || { echo "gateway not answering"; cat "$T/gw.err"; exit 1; }
echo "gateway VmHWM after one request: $(grep VmHWM /proc/$GW/status | tr -s ' ')"
# descriptors and upstream connections of the gateway, sampled every 250 ms
( while [ ! -e "$T/stop" ]; do
      echo "$(ls /proc/$GW/fd | wc -l) $(ss -Htn state established "( dport = :$UP )" | wc -l) $(awk '/VmRSS/ {print $2}' /proc/$GW/status)"
      sleep 0.25
  done >"$T/samples" ) & SP=$!
[ -n "${PERF:-}" ] && { perf record -F 499 -g -o "$PERF" -p $GW >/dev/null 2>&1 & PF=$!; }
python3 "$ROOT/bench/scale/health_probe.py" "$GP" "$T/stop" >"$T/probe.out" & HP=$!
sleep 0.5
h2load --h1 -n "$N" -c "$N" -t 2 -d "$T/body.json" -H 'Authorization: Bearer bench-user-key-123' \
    -H 'Content-Type: application/json' --log-file="$T/req.log" \
    "http://127.0.0.1:$GP/api/v1/generate/flashcards" >"$T/h2load.out" 2>&1 || true
sleep 0.5
touch "$T/stop"; wait $HP; wait $SP || true
grep -E "finished in|requests:|status codes:|time for connect" "$T/h2load.out"
# --log-file: start time, status, duration (us) per request
sort -n -k3 "$T/req.log" | awk -v n="$N" '{ d[NR] = $3; s[$2]++ } END {
    printf "requests logged %d of %d; statuses:", NR, n; for (k in s) printf " %s x %d", k, s[k];
    if (NR) printf "; duration p50 %.2f s, p99 %.2f s, max %.2f s", d[int(NR * .5) + 1] / 1e6,
                   d[int(NR * .99) + (NR * .99 < NR)] / 1e6, d[NR] / 1e6; print "" }'
cat "$T/probe.out"
awk '{ if ($1 > f) f = $1; if ($2 > c) c = $2; t = t sprintf(" %d/%d", $1, $3 / 1024) }
     END { printf "gateway peak descriptors %d, peak upstream connections %d\n", f, c;
           if (ENVIRON["SAMPLES"] != "") print "descriptors/RSS MB every 250 ms:" t }' "$T/samples"
[ -n "${SMAPS:-}" ] && awk '/^[0-9a-f]+-[0-9a-f]+ / {big = 0} /^Size: +2097152 kB/ {big = 1} big && /^Rss:/ {print "curl upload-buffer pool RSS: " $2 " kB"}' /proc/$GW/smaps
echo "gateway VmHWM at end: $(grep VmHWM /proc/$GW/status | tr -s ' '); load after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${PERF:-}" ] && { kill -INT $PF; wait $PF || true; }
grep -c '"level":"error"' "$T/gw.out" | sed 's/^/gateway error log lines: /' || true
grep '"level":"error"' "$T/gw.out" | head -3 || true
