#!/usr/bin/env python3
# bench/scale/scale_client.py - N concurrent POSTs held open against the gateway, /health probed meanwhile
# SPDX-License-Identifier: MIT
"""scale_client.py PORT N PATH KEY [GW_PID]: opens N connections (stdlib asyncio), sends one generation POST on
each and waits up to 120 s for all answers, while a separate connection sends GET /health every 20 ms and
records its latency. Samples the gateway's VmRSS/VmHWM every 100 ms when GW_PID is given. Prints a summary."""
import asyncio
import collections
import sys
import time

PORT, N, PATH, KEY = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
PID = sys.argv[5] if len(sys.argv) > 5 else None
BODY = b'{"topic":"Photosynthesis in Plants","age_group":"high_school"}'
REQ = (b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
       b"Content-Length: %d\r\n\r\n%s" % (PATH.encode(), KEY.encode(), len(BODY), BODY))
statuses = collections.Counter()
errors = collections.Counter()
latencies = []
sent = []  # per request: seconds from its start until its POST was written
health = []
health_fail = 0
samples = []  # the first non-200 bodies
rss = {"max_rss_kb": 0, "hwm_kb": 0}


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    n = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":", 1)[1])
    body = await reader.readexactly(n) if n else b""
    if status != 200 and len(samples) < 3:
        samples.append(body[:400].decode("utf-8", "replace"))
    return status


async def one(sem_connect):
    t0 = time.monotonic()
    try:
        async with sem_connect:
            reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
        writer.write(REQ)
        await writer.drain()
        sent.append(time.monotonic() - t0)
        status = await asyncio.wait_for(read_response(reader), 120)
        statuses[status] += 1
        latencies.append(time.monotonic() - t0)
        writer.close()
    except Exception as e:  # noqa: BLE001 - counted and reported
        errors[type(e).__name__ + ": " + str(e)[:80]] += 1


async def prober(stop):
    global health_fail
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            st = await asyncio.wait_for(read_response(reader), 10)
            if st == 200:
                health.append((time.monotonic() - t0) * 1000)
            else:
                health_fail += 1
        except Exception:  # noqa: BLE001
            health_fail += 1
            reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
        await asyncio.sleep(0.02)


async def sampler(stop):
    while PID and not stop.is_set():
        try:
            with open("/proc/%s/status" % PID) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss["max_rss_kb"] = max(rss["max_rss_kb"], int(line.split()[1]))
                    if line.startswith("VmHWM:"):
                        rss["hwm_kb"] = int(line.split()[1])
        except OSError:
            pass
        await asyncio.sleep(0.1)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


async def main():
    stop = asyncio.Event()
    aux = [asyncio.ensure_future(prober(stop)), asyncio.ensure_future(sampler(stop))]
    await asyncio.sleep(0.5)
    base = list(health)
    t0 = time.monotonic()
    sem = asyncio.Semaphore(2000)  # connects in flight at once (listen backlog is 4096)
    await asyncio.gather(*(one(sem) for _ in range(N)))
    wall = time.monotonic() - t0
    stop.set()
    await asyncio.sleep(0.1)
    during = health[len(base):]
    print("requests %d: statuses %s, errors %s, wall %.2f s" % (N, dict(statuses), dict(errors), wall))
    print("client: every POST written by %.2f s (p50 %.2f s); the load generator is not the bottleneck when "
          "this is well below the request latency" % (max(sent) if sent else float("nan"), pct(sent, .5)))
    for b in samples:
        print("non-200 body:", b)
    print("request latency s: p50 %.3f p99 %.3f max %.3f" % (pct(latencies, .5), pct(latencies, .99),
                                                               max(latencies) if latencies else float("nan")))
    print("/health in the client loop (includes its own lag): n=%d fail=%d p50 %.2f ms p99 %.2f ms max %.2f ms" % (
        len(during), health_fail, pct(during, .5), pct(during, .99), max(during) if during else float("nan")))
    print("gateway max VmRSS sampled %.1f MB, VmHWM %.1f MB" % (rss["max_rss_kb"] / 1024, rss["hwm_kb"] / 1024))


asyncio.run(main())
