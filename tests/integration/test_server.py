# tests/integration/test_server.py - the server skeleton over real HTTP: statuses, errors, auth, shutdown, config
# SPDX-License-Identifier: MIT
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import ADMIN_KEY, BINARY, USER_KEY, LfServer, default_config  # noqa: E402

GEN = "/api/v1/generate/flashcards"


def chaos_config(latency_ms=1500, **extra):
    cfg = default_config()
    cfg["providers"] = [{"name": "slow", "plugin": "chaos", "priority": 1,
                         "config": dict({"latency_ms": latency_ms}, **extra)}]
    cfg["scorers"] = []
    return cfg


class ServerBasics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cfg = default_config()
        cfg["server"]["max_body_bytes"] = 4096
        cls.s = LfServer(config=cfg).start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def assertError(self, status, body, want_status, code):
        self.assertEqual(status, want_status, body)
        self.assertIn("error", body)
        err = body["error"]
        self.assertEqual(err["code"], code)
        self.assertIsInstance(err["message"], str)
        self.assertFalse(err["message"].endswith("."))
        self.assertIn("details", err)
        self.assertTrue(err["request_id"])

    def test_health(self):
        st, h, b = self.s.json("GET", "/health")
        self.assertEqual(st, 200)
        self.assertEqual(b["status"], "healthy")
        self.assertEqual(b["version"], "0.1.0")
        self.assertEqual(b["environment"], "test")
        self.assertTrue(b["timestamp"].endswith("Z"))
        self.assertEqual(h["content-type"], "application/json; charset=utf-8")
        self.assertIn("x-request-id", h)
        self.assertIn("x-lf-overhead-us", h)

    def test_live_ready_health(self):
        st, _, b = self.s.json("GET", "/api/v1/live")
        self.assertEqual((st, b["status"]), (200, "alive"))
        st, _, b = self.s.json("GET", "/api/v1/ready")
        self.assertEqual((st, b["status"]), (200, "ready"))
        st, _, b = self.s.json("GET", "/api/v1/health")
        self.assertEqual(st, 200)
        self.assertIn(b["status"], ("healthy", "degraded"))
        for k in ("database", "providers", "scorers"):
            self.assertIn(k, b["services"])

    def test_404_json(self):
        st, _, b = self.s.json("GET", "/no/such/path")
        self.assertError(st, b, 404, "NOT_FOUND")
        st, _, b = self.s.json("POST", "/api/v1/generate/not_a_type", {"topic": "abc"}, key=USER_KEY)
        self.assertError(st, b, 404, "NOT_FOUND")

    def test_405_allow(self):
        st, h, b = self.s.json("DELETE", "/health")
        self.assertError(st, b, 405, "METHOD_NOT_ALLOWED")
        self.assertEqual(h["allow"], "GET")

    def test_413_json_before_auth(self):
        big = json.dumps({"topic": "x" * 6000})
        st, h, b = self.s.json("POST", GEN, big)
        self.assertError(st, b, 413, "PAYLOAD_TOO_LARGE")
        self.assertEqual(b["error"]["details"]["limit_bytes"], 4096)

    def test_401_403(self):
        st, h, b = self.s.json("POST", GEN, {"topic": "Photosynthesis"})
        self.assertError(st, b, 401, "UNAUTHORIZED")
        self.assertTrue(h["www-authenticate"].startswith("Bearer"))
        st, h, b = self.s.json("POST", GEN, {"topic": "Photosynthesis"}, key="wrong-key")
        self.assertError(st, b, 401, "UNAUTHORIZED")
        st, _, b = self.s.json("POST", "/api/v1/admin/reload", key=USER_KEY)
        self.assertError(st, b, 403, "FORBIDDEN")
        st, _, b = self.s.json("GET", "/api/v1/admin/plugins", key=ADMIN_KEY)
        self.assertEqual(st, 200, b)

    def test_415(self):
        st, _, b = self.s.request("POST", GEN, body=json.dumps({"topic": "Photosynthesis"}), key=USER_KEY,
                                  content_type="text/plain")
        self.assertError(st, json.loads(b), 415, "UNSUPPORTED_MEDIA_TYPE")

    def test_400_and_keepalive(self):
        c = self.s.conn()
        try:
            st, h, b = self.s.request("POST", GEN, body="{not json", key=USER_KEY, conn=c)
            self.assertError(st, json.loads(b), 400, "INVALID_REQUEST")
            self.assertNotEqual(h.get("connection", "").lower(), "close")
            # the same connection still serves
            st, _, b = self.s.request("GET", "/health", conn=c)
            self.assertEqual(st, 200)
            st, _, b = self.s.request("POST", GEN, body=json.dumps({"topic": "ab"}), key=USER_KEY, conn=c)
            body = json.loads(b)
            self.assertError(st, body, 400, "INVALID_REQUEST")
            self.assertEqual(body["error"]["details"]["field"], "topic")
            st, _, _ = self.s.request("GET", "/nope", conn=c)
            self.assertEqual(st, 404)
            st, _, _ = self.s.request("GET", "/health", conn=c)
            self.assertEqual(st, 200)
        finally:
            c.close()

    def test_nesting_depth(self):
        deep = {"topic": "Photosynthesis", "x": json.loads("[" * 40 + "]" * 40)}
        st, _, b = self.s.json("POST", GEN, deep, key=USER_KEY)
        self.assertError(st, b, 400, "INVALID_REQUEST")

    def test_request_id(self):
        st, h, _ = self.s.request("GET", "/health", headers={"X-Request-Id": "abc-123:x.y_z"})
        self.assertEqual(h["x-request-id"], "abc-123:x.y_z")
        st, h, _ = self.s.request("GET", "/health", headers={"X-Request-Id": "bad id with spaces"})
        self.assertNotEqual(h["x-request-id"], "bad id with spaces")
        self.assertRegex(h["x-request-id"], r"^[A-Za-z0-9._:-]{1,128}$")

    def test_generate_offline(self):
        st, h, b = self.s.json("POST", GEN, {"topic": "Photosynthesis in Plants", "age_group": "high_school"},
                               key=USER_KEY)
        self.assertEqual(st, 200, b)
        self.assertEqual(b["metadata"]["ai_provider"], "offline")
        self.assertEqual(h["x-lf-provider"], "offline")
        self.assertIn("x-ratelimit-limit", h)


class RateLimits(unittest.TestCase):
    def test_requests_per_minute(self):
        cfg = default_config()
        cfg["rate_limits"] = {"requests_per_minute": 3, "generations_per_hour": 100}
        with LfServer(config=cfg) as s:
            statuses = []
            for _ in range(5):
                st, h, b = s.json("GET", "/api/v1/providers", key=USER_KEY)
                statuses.append(st)
            self.assertEqual(statuses[:3], [200, 200, 200])
            self.assertEqual(statuses[3], 429)
            self.assertEqual(b["error"]["code"], "RATE_LIMITED")
            self.assertIn("retry-after", h)
            self.assertEqual(h["x-ratelimit-remaining"], "0")
            for k in ("limit", "window_seconds", "retry_after"):
                self.assertIn(k, b["error"]["details"])
            # health endpoints are never limited
            for _ in range(5):
                self.assertEqual(s.request("GET", "/health")[0], 200)

    def test_env_override(self):
        with LfServer(env={"RATE_LIMIT_REQUESTS_PER_MINUTE": "2"}) as s:
            codes = [s.json("GET", "/api/v1/providers", key=USER_KEY)[0] for _ in range(3)]
            self.assertEqual(codes, [200, 200, 429])


class Shutdown(unittest.TestCase):
    def test_graceful_with_request_in_flight(self):
        s = LfServer(config=chaos_config(latency_ms=1500)).start()
        result = {}

        def call():
            result["r"] = s.json("POST", GEN, {"topic": "Photosynthesis"}, key=USER_KEY)

        t = threading.Thread(target=call)
        t.start()
        time.sleep(0.4)
        s.proc.send_signal(signal.SIGTERM)
        t.join(10)
        rc = s.proc.wait(10)
        self.assertEqual(rc, 0)
        st, _, b = result["r"]
        self.assertEqual(st, 200, b)
        self.assertEqual(b["metadata"]["ai_provider"], "slow")

    def test_not_ready_without_provider(self):
        cfg = default_config()
        cfg["providers"] = []
        with LfServer(config=cfg) as s:
            st, _, b = s.json("GET", "/api/v1/ready")
            self.assertEqual(st, 503)
            self.assertEqual(b["status"], "not ready")
            self.assertIn("no_provider_available", b["reasons"])
            st, _, b = s.json("POST", GEN, {"topic": "Photosynthesis"}, key=USER_KEY)
            self.assertEqual(st, 503)
            self.assertEqual(b["error"]["code"], "NO_PROVIDER_AVAILABLE")


class Config(unittest.TestCase):
    def run_cli(self, config_text, *args, env=None):
        s = LfServer(config=config_text)
        s.write_config()
        e = dict(s.env, LA_FACTORIA_CONFIG=s.config_path)
        e.update(env or {})
        return subprocess.run([BINARY] + list(args), env=e, capture_output=True, text=True, timeout=30)

    def test_bad_type_names_path(self):
        cfg = default_config()
        cfg["server"]["port"] = "eighty"
        r = self.run_cli(json.dumps(cfg), "check-config")
        self.assertEqual(r.returncode, 1)
        self.assertIn("$.server.port: expected an integer", r.stderr)

    def test_unknown_key_names_path(self):
        cfg = default_config()
        cfg["server"]["bogus"] = 1
        r = self.run_cli(json.dumps(cfg), "check-config")
        self.assertEqual(r.returncode, 1)
        self.assertIn("$.server.bogus: unknown key", r.stderr)
        # serve refuses too
        r = self.run_cli(json.dumps(cfg), "serve")
        self.assertEqual(r.returncode, 1)
        self.assertIn("$.server.bogus", r.stderr)

    def test_plugin_config_key_checked(self):
        cfg = default_config()
        cfg["providers"][0]["config"] = {"nonsense": True}
        r = self.run_cli(json.dumps(cfg), "serve")
        self.assertEqual(r.returncode, 1)
        self.assertIn("$.providers[0].config.nonsense: unknown key", r.stderr)

    def test_invalid_json(self):
        r = self.run_cli("{\"server\": ", "check-config")
        self.assertEqual(r.returncode, 1)
        self.assertIn("invalid JSON", r.stderr)

    def test_env_substitution_and_masking(self):
        cfg = default_config()
        cfg["providers"].append({"name": "openai", "plugin": "openai",
                                 "config": {"api_key": "${MY_SECRET_KEY}", "base_url": "${MY_URL:-http://x}"}})
        r = self.run_cli(json.dumps(cfg), "check-config", env={"MY_SECRET_KEY": "sk-verysecretvalue1234"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("verysecret", r.stdout)
        eff = json.loads(r.stdout)
        p = [p for p in eff["providers"] if p["name"] == "openai"][0]
        self.assertEqual(p["config"]["api_key"], "****1234")
        self.assertEqual(p["config"]["base_url"], "http://x")
        self.assertNotIn(USER_KEY, r.stdout)

    def test_version_and_help(self):
        r = subprocess.run([BINARY, "--version"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("0.1.0", r.stdout)
        for cmd in ("serve", "check-config", "plugins", "generate", "migrate"):
            r = subprocess.run([BINARY, cmd, "--help"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0)
            self.assertIn("usage: lafactoria " + cmd, r.stdout)

    def test_generated_keys_printed_once(self):
        s = LfServer(env={"LA_FACTORIA_API_KEY": None, "LA_FACTORIA_ADMIN_KEY": None})
        s.start()
        try:
            err = "".join(s.stderr_lines)
            keys = [l.rsplit(" ", 1)[1].strip() for l in s.stderr_lines if "shown once" in l]
            self.assertEqual(len(keys), 2, err)
            st, _, _ = s.json("GET", "/api/v1/providers")
            self.assertEqual(st, 401)  # never open
            st, _, _ = s.json("GET", "/api/v1/providers", key=keys[0])
            self.assertEqual(st, 200)
            self.assertNotIn(keys[0], s.logs())
        finally:
            s.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
