# tests/integration/test_ops.py - operations surface on the real server: detailed health, metrics, Prometheus, alerts
# SPDX-License-Identifier: MIT
"""Checks every field API.md §2 lists for /api/v1/health/detailed and §6 for /api/v1/metrics, /metrics and
/api/v1/alerts on the real binary; runs `promtool check metrics` on the live exposition (fails when promtool is
missing: Debian package `prometheus`); checks X-LF-Overhead-Us on every response; drives the
generation-success-rate alert over its threshold with the chaos provider.

The ops sampler ticks every LF_OPS_TICK_MS milliseconds (default 10000); these tests use 200 ms so sysstat CPU
figures and alert evaluations appear within a second. Alert windows need no change: before a window has elapsed
since start, its baseline is the start (zero totals), so five failed generations are enough to fire the
generation success-rate rule.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import ADMIN_KEY, USER_KEY, LfServer, default_config, wait_until  # noqa: E402

TICK_ENV = {"LF_OPS_TICK_MS": "200"}
SCORERS = [{"name": n, "plugin": n} for n in ("readability", "structure", "pedagogy", "engagement", "factuality")]
GEN = "/api/v1/generate/flashcards"
BODY = {"topic": "photosynthesis in plants", "age_group": "high_school"}


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class OpsMixin:
    """Every request goes through here so the X-LF-Overhead-Us header is checked on every response."""

    def req(self, method, path, body=None, key=None):
        st, h, data = self.s.request(method, path, body=body, key=key)
        self.assertIn("x-lf-overhead-us", h, "%s %s: no X-LF-Overhead-Us" % (method, path))
        self.assertRegex(h["x-lf-overhead-us"], r"^\d+$", path)
        return st, h, data

    def get_json(self, path, key=None):
        st, h, data = self.req("GET", path, key=key)
        return st, h, json.loads(data) if data else None

    def gen(self, n=1, key=USER_KEY):
        out = []
        for _ in range(n):
            st, _, data = self.req("POST", GEN, body=BODY, key=key)
            out.append((st, json.loads(data)))
        return out


class OpsEndpoints(OpsMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cfg = default_config()
        cfg["providers"] = [
            {"name": "offline", "plugin": "offline", "enabled": "auto", "priority": 1000},
            {"name": "spare", "plugin": "chaos", "enabled": False, "priority": 5000},
        ]
        cfg["scorers"] = SCORERS
        cls.s = LfServer(config=cfg, env=TICK_ENV).start()
        cls.gens = []
        for _ in range(3):
            st, _, data = cls.s.request("POST", GEN, body=BODY, key=USER_KEY)
            cls.gens.append((st, json.loads(data)))
        # two ticks after the generations so CPU figures exist and alerts saw the totals
        time.sleep(0.6)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_generations_succeeded(self):
        for st, b in self.gens:
            self.assertEqual(st, 200, b)

    def test_health_detailed_fields(self):
        st, h, b = self.get_json("/api/v1/health/detailed")
        self.assertEqual(st, 200, b)
        self.assertEqual(h["content-type"], "application/json; charset=utf-8")
        self.assertIn(b["status"], ("healthy", "degraded", "unhealthy"))
        self.assertRegex(b["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertEqual(b["version"], "0.1.0")
        self.assertEqual(b["environment"], "test")
        self.assertTrue(is_num(b["uptime_seconds"]) and 0 <= b["uptime_seconds"] < 300, b["uptime_seconds"])
        sysd = b["system"]
        for k in ("cpu_percent", "memory_rss_bytes", "memory_percent", "load_average", "disk_free_bytes"):
            self.assertIn(k, sysd)
        self.assertTrue(is_num(sysd["cpu_percent"]) and 0 <= sysd["cpu_percent"] <= 100, sysd)
        self.assertTrue(isinstance(sysd["memory_rss_bytes"], int) and sysd["memory_rss_bytes"] > 1 << 20, sysd)
        self.assertTrue(0 < sysd["memory_percent"] <= 100, sysd)
        self.assertEqual(len(sysd["load_average"]), 3)
        self.assertTrue(all(is_num(x) and x >= 0 for x in sysd["load_average"]))
        self.assertTrue(isinstance(sysd["disk_free_bytes"], int) and sysd["disk_free_bytes"] > 0)
        # RSS agrees with the kernel's figure for the process (within 64 MiB: it moves between the two reads)
        with open("/proc/%d/statm" % self.s.proc.pid) as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        self.assertLess(abs(rss - sysd["memory_rss_bytes"]), 64 << 20)
        db = b["database"]
        self.assertEqual(db["status"], "not_configured")
        self.assertIn("latency_ms", db)
        self.assertIsNone(db["latency_ms"])  # no probe query in the store: null, never an invented figure
        self.assertEqual((db["pending_writes"], db["spooled_records"]), (0, 0))
        provs = {p["name"]: p for p in b["providers"]}
        self.assertEqual(set(provs), {"offline", "spare"})
        for p in provs.values():
            for k in ("name", "plugin", "version", "state", "enabled", "latency_ewma_ms", "error_rate_1m",
                      "last_error"):
                self.assertIn(k, p)
            self.assertIn(p["state"], ("closed", "open", "half_open", "disabled"))
        off = provs["offline"]
        self.assertEqual((off["plugin"], off["state"], off["enabled"]), ("offline", "closed", True))
        self.assertTrue(off["version"])
        self.assertTrue(is_num(off["latency_ewma_ms"]) and off["latency_ewma_ms"] >= 0, off)
        self.assertEqual(off["error_rate_1m"], 0)
        self.assertIsNone(off["last_error"])
        self.assertEqual((provs["spare"]["state"], provs["spare"]["enabled"]), ("disabled", False))
        self.assertEqual(provs["spare"]["plugin"], "chaos")
        scorers = {s["name"]: s for s in b["scorers"]}
        self.assertEqual(set(scorers), {s["name"] for s in SCORERS})
        for s in scorers.values():
            self.assertTrue(s["enabled"], s)
            self.assertTrue(s["plugin"] and s["version"], s)
        qp = b["quality_pipeline"]
        self.assertEqual(qp["status"], "healthy")
        # duration of the latest quality assessment (lf_ops_note_assessment from the quality pipeline): three
        # generations were scored, so it is a measured figure, not null
        self.assertTrue(is_num(qp.get("last_assessment_ms")) and qp["last_assessment_ms"] > 0,
                        "quality_pipeline.last_assessment_ms: %r" % qp.get("last_assessment_ms"))
        self.assertEqual(b["config_generation"], 1)
        self.assertEqual(b["status"], "healthy")
        # no secrets, no connection strings
        text = json.dumps(b)
        for secret in (USER_KEY, ADMIN_KEY, "postgres", "password", "api_key"):
            self.assertNotIn(secret, text)

    def test_metrics_json_fields(self):
        st, _, b = self.get_json("/api/v1/metrics")
        self.assertEqual(st, 200, b)
        for k in ("timestamp", "uptime_seconds", "requests", "latency_ms", "generations", "providers", "cost",
                  "cache", "database", "system"):
            self.assertIn(k, b)
        r = b["requests"]
        self.assertGreaterEqual(r["total"], 3)
        self.assertGreaterEqual(r["by_status"]["200"], 3)
        self.assertTrue(is_num(r["per_second_1m"]) and r["per_second_1m"] > 0)
        for group in ("health", "generate", "metrics", "static", "admin", "other"):
            self.assertIn(group, b["latency_ms"])
        g = b["latency_ms"]["generate"]
        self.assertGreaterEqual(g["count"], 3)
        self.assertTrue(0 < g["p50"] <= g["p95"] <= g["p99"], g)
        gens = b["generations"]
        for k in ("total", "succeeded", "failed", "success_rate", "by_type", "by_provider"):
            self.assertIn(k, gens)
        self.assertEqual(gens["total"], 3)
        self.assertEqual(gens["by_type"].get("flashcards"), 3)
        self.assertEqual(gens["by_provider"].get("offline"), 3)
        self.assertEqual((gens["succeeded"], gens["failed"], gens["success_rate"]), (3, 0, 1.0),
                         "successful generations must count as succeeded (outcome \"ok\")")
        p = b["providers"]["offline"]
        for k in ("requests", "failures", "tokens_prompt", "tokens_completion", "cost_usd", "latency_ms_p95"):
            self.assertIn(k, p)
        self.assertGreaterEqual(p["requests"], 3)  # regenerations add attempts
        self.assertEqual(p["failures"], 0)
        tok_p = sum(x[1]["metadata"]["tokens"]["prompt"] for x in self.gens)
        tok_c = sum(x[1]["metadata"]["tokens"]["completion"] for x in self.gens)
        self.assertEqual((p["tokens_prompt"], p["tokens_completion"]), (tok_p, tok_c),
                         "provider tokens must equal the sum of the responses' metadata.tokens (counted once)")
        self.assertIn("spare", b["providers"])  # passed in: present before its first request
        for k in ("total_usd", "last_24h_usd"):
            self.assertTrue(is_num(b["cost"][k]))
        for k in ("hits", "misses", "hit_ratio"):
            self.assertIn(k, b["cache"])
        for k in ("status", "pending_writes", "spooled_records"):
            self.assertIn(k, b["database"])
        for k in ("cpu_percent", "memory_rss_bytes", "memory_percent"):
            self.assertIn(k, b["system"])
        self.assertGreater(b["system"]["memory_rss_bytes"], 0)

    def test_prometheus_names(self):
        st, h, data = self.req("GET", "/metrics")
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        text = data.decode()

        def has(pattern):
            self.assertTrue(re.search(r"(?m)" + pattern, text), "no line matches %s in /metrics" % pattern)

        for fam in ("lafactoria_http_requests_total", "lafactoria_http_request_duration_seconds",
                    "lafactoria_generations_total", "lafactoria_provider_cost_usd_total",
                    "lafactoria_provider_tokens_total", "lafactoria_provider_circuit_state",
                    "lafactoria_quality_score", "lafactoria_gateway_overhead_seconds", "lafactoria_db_pending_writes"):
            has(r"^# TYPE %s " % fam)
        has(r'^lafactoria_http_requests_total\{route="generate",status="200"\} 3$')
        has(r'^lafactoria_http_request_duration_seconds_bucket\{route="generate",le="\+Inf"\} 3$')
        has(r'^lafactoria_generations_total\{content_type="flashcards",provider="offline",'
                               r'outcome="ok"\} 3$')
        has(r'^lafactoria_provider_circuit_state\{provider="offline"\} 0$')
        has(r'^lafactoria_provider_circuit_state\{provider="spare"\} 0$')
        has(r'^lafactoria_provider_tokens_total\{provider="offline",kind="prompt"\} [1-9]')
        has(r'^lafactoria_quality_score_count\{content_type="flashcards"\} [1-9]\d*$')
        has(r"^lafactoria_db_pending_writes 0$")
        has(r"^lafactoria_process_resident_memory_bytes [1-9]")

    def test_promtool_check_live(self):
        st, _, data = self.req("GET", "/metrics")
        self.assertEqual(st, 200)
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool is missing (Debian package prometheus)")
        p = subprocess.run([promtool, "check", "metrics"], input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout.decode())

    def test_alerts_shape(self):
        st, _, b = self.get_json("/api/v1/alerts")
        self.assertEqual(st, 200, b)
        names = {a["name"]: a for a in b["alerts"]}
        self.assertEqual(set(names), {"api_down", "health_check_failing", "database_unreachable",
                                      "quality_score_critical", "quality_score_low", "response_time_high",
                                      "cpu_high", "memory_high", "generation_success_rate_low"})
        for a in b["alerts"]:
            for k in ("name", "severity", "state", "value", "threshold", "window_seconds", "since"):
                self.assertIn(k, a)
            self.assertIn(a["severity"], ("critical", "warning"))
            self.assertIn(a["state"], ("firing", "ok"))
            self.assertRegex(a["since"], r"Z$")
        self.assertEqual(names["quality_score_low"]["threshold"], 0.70)
        self.assertEqual(names["quality_score_low"]["window_seconds"], 3600)
        self.assertEqual(names["quality_score_critical"]["threshold"], 0.65)
        self.assertEqual(names["response_time_high"]["threshold"], 1000)
        self.assertEqual((names["cpu_high"]["threshold"], names["cpu_high"]["window_seconds"]), (80, 600))
        self.assertEqual((names["memory_high"]["threshold"], names["memory_high"]["window_seconds"]), (80, 600))
        self.assertEqual(names["generation_success_rate_low"]["threshold"], 0.90)
        # healthy server: health ok, database not configured (no value), three good generations (< 5: no value)
        self.assertEqual((names["health_check_failing"]["state"], names["health_check_failing"]["value"]), ("ok", 1))
        self.assertIsNone(names["database_unreachable"]["value"])
        self.assertEqual(names["generation_success_rate_low"]["state"], "ok")
        self.assertTrue(is_num(names["cpu_high"]["value"]), names["cpu_high"])

    def test_overhead_header_everywhere(self):
        for method, path, key in (("GET", "/health", None), ("GET", "/api/v1/live", None),
                                  ("GET", "/api/v1/ready", None), ("GET", "/api/v1/health", None),
                                  ("GET", "/api/v1/content-types", None), ("GET", "/api/v1/providers", USER_KEY),
                                  ("GET", "/api/v1/providers", None), ("GET", "/api/v1/admin/plugins", ADMIN_KEY),
                                  ("GET", "/no/such/path", None), ("DELETE", "/metrics", None),
                                  ("GET", "/static/monitor.html", None), ("GET", "/", None),
                                  ("GET", "/openapi.json", None)):
            self.req(method, path, key=key)


class MetricsRequireKey(OpsMixin, unittest.TestCase):
    def test_metrics_key(self):
        cfg = default_config()
        cfg["auth"] = {"metrics_require_key": True}
        with LfServer(config=cfg, env=TICK_ENV) as self.s:
            st, h, _ = self.req("GET", "/metrics")
            self.assertEqual(st, 401)
            st, _, data = self.req("GET", "/metrics", key=USER_KEY)
            self.assertEqual(st, 200)
            self.assertIn(b"lafactoria_http_requests_total", data)
            st, _, _ = self.req("GET", "/api/v1/metrics")  # the JSON stays public (API.md §2)
            self.assertEqual(st, 200)


class SuccessRateAlert(OpsMixin, unittest.TestCase):
    """The chaos provider answers 5xx: generations fail, the success-rate rule fires and its transition is logged."""

    def test_generation_success_rate_fires(self):
        cfg = default_config()
        cfg["providers"] = [{"name": "flaky", "plugin": "chaos", "priority": 1,
                             "config": {"mode": "upstream_5xx", "latency_ms": 5}}]
        cfg["scorers"] = []
        with LfServer(config=cfg, env=TICK_ENV) as self.s:
            res = self.gen(6)
            for st, b in res:
                self.assertIn(st, (502, 503), b)
            st, _, m = self.get_json("/api/v1/metrics")
            self.assertEqual(m["generations"]["failed"], 6,
                             "failed generations must be recorded in the metrics: %s" % m["generations"])
            self.assertEqual(m["generations"]["success_rate"], 0)

            def firing():
                _, _, b = self.get_json("/api/v1/alerts")
                a = {x["name"]: x for x in b["alerts"]}["generation_success_rate_low"]
                return a if a["state"] == "firing" else None

            self.assertTrue(wait_until(lambda: firing() is not None, timeout=5), "alert did not fire")
            a = firing()
            self.assertEqual((a["severity"], a["value"], a["threshold"]), ("warning", 0, 0.9))
            self.assertTrue(wait_until(lambda: "generation_success_rate_low" in self.s.logs(), timeout=2))
            line = [json.loads(x) for x in self.s.logs().splitlines()
                    if '"alerts"' in x and "generation_success_rate_low" in x][0]
            self.assertEqual((line["level"], line["state"]), ("warn", "firing"))
            # the alert counts reach /api/v1/health/detailed too
            _, _, hd = self.get_json("/api/v1/health/detailed")
            self.assertGreaterEqual(hd["alerts_firing"]["warning"], 1)
            self.assertEqual({p["name"]: p["last_error"] is not None for p in hd["providers"]}, {"flaky": True})


if __name__ == "__main__":
    unittest.main()
