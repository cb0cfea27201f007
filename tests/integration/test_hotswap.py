# tests/integration/test_hotswap.py - replace a provider .so under load, reload, zero failures, old copy unloaded
# SPDX-License-Identifier: MIT
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import BUILD, LfServer, default_config, wait_until  # noqa: E402

GEN = "/api/v1/generate/flashcards"
BODY = {"topic": "the water cycle", "age_group": "middle_school"}
V1 = os.path.join(BUILD, "tests", "plugins", "versioned_v1", "providers", "versioned.so")
V2 = os.path.join(BUILD, "tests", "plugins", "versioned_v2", "providers", "versioned.so")
LATENCY_MS = 600


def valid_flashcards_text():
    """A schema-valid flashcards object, produced once by the chaos provider."""
    cfg = default_config()
    cfg["providers"] = [{"name": "c", "plugin": "chaos", "config": {"latency_ms": 1}}]
    cfg["scorers"] = []
    with LfServer(config=cfg) as s:
        st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
        assert st == 200, b
        return json.dumps(b["generated_content"])


def install(src, plugin_dir):
    """Copy to a temporary name in the same directory, then rename over (never overwrite in place)."""
    dst = os.path.join(plugin_dir, "providers", "versioned.so")
    tmp = os.path.join(plugin_dir, "providers", ".versioned.so.tmp")
    shutil.copyfile(src, tmp)
    os.rename(tmp, dst)


def private_copies(pid):
    """Distinct private plugin copies mapped by the process (the loader's $TMPDIR/lafactoria-plugin-<pid>-<n>.so)."""
    pat = re.compile(r"(/\S*lafactoria-plugin-%d-\d+\.so)" % pid)
    with open("/proc/%d/maps" % pid) as f:
        return sorted({m.group(1) for m in pat.finditer(f.read())})


@unittest.skipUnless(os.path.exists(V1) and os.path.exists(V2), "versioned test plugins not built")
class HotSwap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = valid_flashcards_text()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lf-hotswap-")
        self.plugin_dir = os.path.join(self.tmp, "plugins")
        os.makedirs(os.path.join(self.plugin_dir, "providers"))
        os.makedirs(os.path.join(self.plugin_dir, "scorers"))
        self.private_tmp = os.path.join(self.tmp, "private")
        os.makedirs(self.private_tmp)
        install(V1, self.plugin_dir)
        cfg = default_config()
        cfg["paths"]["plugin_dir"] = self.plugin_dir
        cfg["providers"] = [{"name": "v", "plugin": "versioned",
                             "config": {"text": self.text, "latency_ms": LATENCY_MS}}]
        cfg["scorers"] = []
        cfg["server"]["workers"] = 2
        self.cfg = cfg
        self.s = LfServer(config=cfg, env={"TMPDIR": self.private_tmp}).start()

    def tearDown(self):
        self.s.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def plugins(self):
        st, _, b = self.s.json("GET", "/api/v1/admin/plugins", key=self.s.admin_key)
        self.assertEqual(st, 200, b)
        return b

    def test_swap_under_load(self):
        pid = self.s.proc.pid
        before = private_copies(pid)
        self.assertEqual(len(before), 1, before)
        self.assertEqual(self.plugins()["generations"][0]["plugins"][0]["version"], "1.0.0")

        results = []
        lock = threading.Lock()
        stop = threading.Event()

        def client():
            conn = self.s.conn()
            while not stop.is_set():
                t0 = time.time()
                st, _, b = self.s.json("POST", GEN, BODY, key=self.s.user_key, conn=conn)
                model = b.get("metadata", {}).get("ai_model") if st == 200 else None
                with lock:
                    results.append((t0, time.time(), st, model, b if st != 200 else None))
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(6)]
        for t in threads:
            t.start()
        time.sleep(LATENCY_MS / 1000 * 1.5)  # requests in flight on generation 1

        install(V2, self.plugin_dir)
        t_reload = time.time()
        st, _, r = self.s.json("POST", "/api/v1/admin/reload", key=self.s.admin_key)
        t_reloaded = time.time()
        self.assertEqual(st, 200, r)
        self.assertEqual([(x["name"], x["version"]) for x in r["loaded"]], [("versioned", "2.0.0")])
        self.assertEqual([(x["name"], x["version"]) for x in r["unloaded"]], [("versioned", "1.0.0")])
        self.assertEqual(r["errors"], [])

        # right after the swap the old generation is still draining: both copies are mapped
        p = self.plugins()
        self.assertEqual(p["config_generation"], 2)
        gens = {g["generation"]: g for g in p["generations"]}
        self.assertIn(1, gens, "generation 1 should still be draining requests in flight")
        self.assertFalse(gens[1]["current"])
        self.assertTrue(gens[2]["current"])
        self.assertEqual(gens[2]["plugins"][0]["version"], "2.0.0")
        self.assertEqual(gens[1]["plugins"][0]["version"], "1.0.0")
        self.assertEqual(len(private_copies(pid)), 2)

        time.sleep(LATENCY_MS / 1000 * 2.5)
        stop.set()
        for t in threads:
            t.join()

        failed = [(st, b) for _, _, st, _, b in results if st != 200]
        self.assertEqual(failed, [], "zero failed requests across the swap")
        new = [m for t0, _, st, m, _ in results if t0 > t_reloaded]
        old_era = [m for _, t1, st, m, _ in results if t1 < t_reload]
        self.assertGreater(len(new), 0)
        self.assertEqual(set(new), {"versioned-2.0.0"})
        self.assertEqual(set(old_era), {"versioned-1.0.0"})

        # drained: the old generation is finalised and its private copy unmapped
        self.assertTrue(wait_until(lambda: self.plugins()["live_generations"] == 1, 10), self.plugins())
        after = private_copies(pid)
        self.assertEqual(len(after), 1, after)
        self.assertNotEqual(after, before)
        self.assertEqual([g["generation"] for g in self.plugins()["generations"]], [2])
        # private copies are unlinked right after loading
        self.assertEqual(os.listdir(self.private_tmp), [])

    def test_failed_reload_changes_nothing_and_says_why(self):
        bad = json.loads(json.dumps(self.cfg))
        bad["routing"] = {"strategy": "cheapest-please"}
        self.s.write_config(bad)
        install(V2, self.plugin_dir)
        st, _, b = self.s.json("POST", "/api/v1/admin/reload", key=self.s.admin_key)
        self.assertEqual(st, 400, b)
        self.assertEqual(b["error"]["code"], "INVALID_REQUEST")
        self.assertIn("strategy", b["error"]["message"])
        self.assertIn("nothing changed", b["error"]["message"])
        p = self.plugins()
        self.assertEqual((p["config_generation"], p["live_generations"]), (1, 1))
        self.assertEqual(p["generations"][0]["plugins"][0]["version"], "1.0.0")
        st, _, g = self.s.json("POST", GEN, BODY, key=self.s.user_key)
        self.assertEqual((st, g["metadata"]["ai_model"]), (200, "versioned-1.0.0"))
        # a user key may not reload
        st, _, b = self.s.json("POST", "/api/v1/admin/reload", key=self.s.user_key)
        self.assertEqual(st, 403, b)
        # fixed config + SIGHUP: the new version is published
        self.s.write_config(self.cfg)
        self.s.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_until(lambda: self.plugins()["config_generation"] == 2, 10))
        st, _, g = self.s.json("POST", GEN, BODY, key=self.s.user_key)
        self.assertEqual((st, g["metadata"]["ai_model"]), (200, "versioned-2.0.0"))


if __name__ == "__main__":
    unittest.main()
