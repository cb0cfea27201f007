#!/usr/bin/env python3
# bench/routing/reload_bench.py - RELOADS hot swaps of a provider .so during a steady wrk load
# SPDX-License-Identifier: MIT
"""Starts the real server with a private plugin directory holding the test provider `versioned`
(tests/plugins/versioned_provider.cmake; answers after LATENCY ms from the core's timer), runs
`wrk -t2 -cCONNS -dDURATION` against POST /api/v1/generate/flashcards and, while it runs, RELOADS times:
installs the other build (v1 <-> v2; copy to a temporary name + rename over) and POSTs
/api/v1/admin/reload. Prints wrk's summary, the reload answers' statuses and generations, and whether
wrk saw any non-2xx answer or socket error. Exit status 1 on any non-2xx/socket error or failed reload.

  LF_BUILD_DIR=build-rel python3 bench/routing/reload_bench.py [RELOADS=20] [DURATION_S=30] [CONNS=32] [LATENCY=20]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from lfserver import BUILD, LfServer, default_config  # noqa: E402
from test_hotswap import install, private_copies, valid_flashcards_text  # noqa: E402

V = {1: os.path.join(BUILD, "tests", "plugins", "versioned_v1", "providers", "versioned.so"),
     2: os.path.join(BUILD, "tests", "plugins", "versioned_v2", "providers", "versioned.so")}


def main():
    reloads = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    duration = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    conns = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    latency = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    text = valid_flashcards_text()
    tmp = tempfile.mkdtemp(prefix="lf-reload-bench-")
    pdir = os.path.join(tmp, "plugins")
    os.makedirs(os.path.join(pdir, "providers"))
    os.makedirs(os.path.join(pdir, "scorers"))
    priv = os.path.join(tmp, "private")
    os.makedirs(priv)
    install(V[1], pdir)
    cfg = default_config()
    cfg["paths"]["plugin_dir"] = pdir
    cfg["providers"] = [{"name": "v", "plugin": "versioned", "config": {"text": text, "latency_ms": latency}}]
    cfg["scorers"] = []
    cfg["server"]["workers"] = 2
    bad = 0
    with LfServer(config=cfg, env={"TMPDIR": priv}) as s:
        env = dict(os.environ, LF_BENCH_KEY=s.user_key)
        wrk = subprocess.Popen(["wrk", "-t2", "-c%d" % conns, "-d%ds" % duration, "--latency", "-s",
                                os.path.join(HERE, "post_generate.lua"), "http://127.0.0.1:%d" % s.port],
                               stdout=subprocess.PIPE, text=True, env=env)
        time.sleep(2)
        gap = (duration - 4) / float(reloads)
        answers = []
        for i in range(reloads):
            install(V[2 if i % 2 == 0 else 1], pdir)
            t0 = time.perf_counter()
            st, _, r = s.json("POST", "/api/v1/admin/reload", key=s.admin_key)
            ms = (time.perf_counter() - t0) * 1000
            answers.append((st, r.get("config_generation"), [x["version"] for x in r.get("loaded", [])], round(ms, 1)))
            if st != 200:
                bad += 1
            time.sleep(gap)
        out, _ = wrk.communicate()
        _, _, p = s.json("GET", "/api/v1/admin/plugins", key=s.admin_key)
        mapped = private_copies(s.proc.pid)
    shutil.rmtree(tmp, ignore_errors=True)
    print(out)
    print("reloads (status, generation, loaded versions, ms):")
    for a in answers:
        print("  ", a)
    print("after: live_generations=%s, private copies mapped=%d" % (p["live_generations"], len(mapped)))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockerr = re.search(r"Socket errors: (.*)", out)
    reqs = re.search(r"(\d+) requests in", out)
    summary = {"requests": int(reqs.group(1)) if reqs else None, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
               "socket_errors": sockerr.group(1) if sockerr else "none", "reloads_ok": reloads - bad,
               "reloads_failed": bad}
    print(json.dumps(summary))
    sys.exit(1 if summary["non_2xx"] or sockerr or bad else 0)


if __name__ == "__main__":
    main()
