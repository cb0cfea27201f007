#!/usr/bin/env python3
# bench/routing/failover_bench.py - added latency of failover when the primary refuses connections
# SPDX-License-Identifier: MIT
"""Runs the real server twice against the fake upstreams (tests/fakes/fake_upstreams.py):

  secondary-only : the secondary alone
  failover       : openai -> a closed port (connection refused), then the secondary

SECONDARY (third argument): "chaos" (default; the chaos provider with latency 0, no network, so the figure
is the failover overhead alone) or "fake" (anthropic -> the Python fake upstream over HTTP; its own latency
and jitter dominate).

The primary's breaker is configured never to open (failure_threshold 1000, error_ratio 2 = off), so
every request of the failover run pays a refused connection plus the failover. N sequential requests on
one keep-alive connection per run (after a warm-up), ROUNDS alternating rounds; prints p50/p90/p99/max of
the client-observed latency in ms and the differences, and the same percentiles of the refused attempt's
own latency_ms as the server records it in metadata.attempts (the time the failover cost inside the
server, free of client-side noise), as JSON.

  LF_BUILD_DIR=build-rel python3 bench/routing/failover_bench.py [N] [ROUNDS] [chaos|fake]
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from lfserver import LfServer, free_port  # noqa: E402
from test_routing import BODY, GEN, FakeUpstreams, anthropic, chaos, config, openai  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def run(cfg, n, want_attempts):
    with LfServer(config=cfg) as s:
        conn = s.conn()
        for _ in range(20):
            s.json("POST", GEN, BODY, key=s.user_key, conn=conn)
        lat, refused = [], []
        for _ in range(n):
            t0 = time.perf_counter()
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key, conn=conn)
            lat.append((time.perf_counter() - t0) * 1000)
            if st != 200 or len(b["metadata"]["attempts"]) != want_attempts:
                raise SystemExit("unexpected answer: %s %s" % (st, b))
            if want_attempts == 2:
                refused.append(b["metadata"]["attempts"][0]["latency_ms"])
        conn.close()
        return lat, refused


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    kind = sys.argv[3] if len(sys.argv) > 3 else "chaos"
    fake = FakeUpstreams()
    closed = "http://127.0.0.1:%d" % free_port()
    never_open = {"failure_threshold": 1000, "error_ratio": 2}

    def secondary():
        return anthropic("secondary", fake.base, 2) if kind == "fake" else chaos("secondary", 2, latency_ms=0)

    only = config([secondary()])
    fo = config([openai("primary", closed, 1, circuit=never_open), secondary()])
    for cfg in (only, fo):
        cfg["server"]["workers"] = 1
    res = {"secondary_only": [], "failover": [], "refused_attempt_server_side": []}
    try:
        for _ in range(rounds):
            res["secondary_only"] += run(only, n, 1)[0]
            lat, refused = run(fo, n, 2)
            res["failover"] += lat
            res["refused_attempt_server_side"] += refused
    finally:
        fake.stop()
    out = {}
    for k, lat in res.items():
        out[k] = {"n": len(lat), "p50": pct(lat, 50), "p90": pct(lat, 90), "p99": pct(lat, 99), "max": max(lat)}
    out["added_p50_ms"] = out["failover"]["p50"] - out["secondary_only"]["p50"]
    out["added_p99_ms"] = out["failover"]["p99"] - out["secondary_only"]["p99"]
    out["secondary"] = kind
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
