#!/usr/bin/env python3
# bench/scale/health_probe.py - GET /health every 20 ms on one keep-alive connection, in its own process
# SPDX-License-Identifier: MIT
"""health_probe.py PORT STOPFILE: probes until STOPFILE exists, then prints the latency distribution. Runs in
its own process so that the load generator's event loop cannot delay the measurement."""
import http.client
import os
import sys
import time

port, stop = int(sys.argv[1]), sys.argv[2]
lat, fail, slow = [], 0, []
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
begin = time.perf_counter()
while not os.path.exists(stop):
    t0 = time.perf_counter()
    try:
        c.request("GET", "/health")
        r = c.getresponse()
        r.read()
        if r.status == 200:
            lat.append((time.perf_counter() - t0) * 1000)
            if lat[-1] > 10:
                slow.append("%.0f ms at %.2f s" % (lat[-1], t0 - begin))
        else:
            fail += 1
    except (OSError, http.client.HTTPException):
        fail += 1
        c.close()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    time.sleep(0.02)
lat.sort()


def pct(p):
    return lat[min(len(lat) - 1, int(len(lat) * p))] if lat else float("nan")


print("/health (separate process, every 20 ms): n=%d fail=%d p50 %.2f ms p90 %.2f ms p99 %.2f ms max %.2f ms; "
      "over 10 ms: %d" % (len(lat), fail, pct(.5), pct(.9), pct(.99), lat[-1] if lat else float("nan"),
                          sum(1 for v in lat if v > 10)))
if slow:
    print("  over 10 ms (latency at time since the probe started): " + ", ".join(slow))
