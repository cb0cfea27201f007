#!/usr/bin/env python3
# bench/scale/slow_upstream.py - asyncio OpenAI-style upstream that answers every POST after a fixed delay
# SPDX-License-Identifier: MIT
"""slow_upstream.py PORT DELAY_S TYPE: HTTP/1.1 keep-alive server (stdlib asyncio); every POST gets, DELAY_S
seconds after its body arrived, a fixed chat completion whose content is a valid object of TYPE. Prints
"READY <port>", then on SIGTERM/SIGINT "SERVED <n> PEAK <max concurrent>"."""
import asyncio
import json
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fakes"))
from fake_upstreams import content_for  # noqa: E402

PORT, DELAY, TYPE = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
BODY = json.dumps({"id": "chatcmpl-slow", "object": "chat.completion", "created": 1764374400, "model": "gpt-4o-mini",
                   "choices": [{"index": 0, "message": {"role": "assistant",
                                                        "content": json.dumps(content_for(TYPE, "Photosynthesis"))},
                                "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 800, "completion_tokens": 400, "total_tokens": 1200}}).encode()
RESP = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
served = 0
current = 0
peak = 0


async def handle(reader, writer):
    global served, current, peak
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":", 1)[1])
            if n:
                await reader.readexactly(n)
            current += 1
            peak = max(peak, current)
            await asyncio.sleep(DELAY)
            current -= 1
            writer.write(RESP)
            await writer.drain()
            served += 1
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", PORT, backlog=4096)
    print("READY", server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    print("SERVED", served, "PEAK", peak, flush=True)
    os._exit(0)  # no teardown noise from the connections still open


asyncio.run(main())
