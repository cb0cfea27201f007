# tests/integration/test_providers.py - gateway -> fake upstream for openai, anthropic and gemini: every content
# type, every failure class in metadata.attempts and error details.attempts, estimated usage, headers, no key leaks
# SPDX-License-Identifier: MIT
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from jsonschema_mini import errors as schema_errors  # noqa: E402
from lfserver import SOURCE, FakeUpstreams, LfServer, default_config, free_port  # noqa: E402

TYPES = ["master_content_outline", "podcast_script", "study_guide", "one_pager_summary",
         "detailed_reading_material", "faq_collection", "flashcards", "reading_guide_questions"]
KINDS = ("openai", "anthropic", "gemini")
KEYS = {"openai": "test-openai-key", "anthropic": "test-anthropic-key", "gemini": "test-gemini-key"}
WRONG_KEY = "wrong-key-must-never-leak-5150"
BODY = {"topic": "Photosynthesis in Plants", "age_group": "high_school"}
CT_DIR = os.path.join(SOURCE, "config", "content_types")
NO_BREAKER = {"failure_threshold": 1000, "min_requests": 100000, "error_ratio": 2}


def schema_of(t):
    with open(os.path.join(CT_DIR, t, "schema.json")) as f:
        return json.load(f)


FAKE = None


def setUpModule():
    global FAKE
    FAKE = FakeUpstreams()


def tearDownModule():
    FAKE.stop()


def provider(kind, base=None, key=None, name=None, priority=1):
    base = FAKE.base if base is None else base
    conf = {"api_key": key or KEYS[kind], "base_url": base + "/v1" if kind == "openai" else base}
    return {"name": name or kind, "plugin": kind, "priority": priority, "config": conf,
            "retry": {"attempts": 0}, "circuit": NO_BREAKER}


def backup():
    return {"name": "backup", "plugin": "chaos", "priority": 100, "retry": {"attempts": 0},
            "config": {"latency_ms": 1, "models": [{"id": "chaos-backup", "input_usd_per_mtok": 0.15,
                                                    "output_usd_per_mtok": 0.6}]}}


def config(providers, attempt_timeout_ms=5000):
    cfg = default_config()
    cfg["providers"] = providers
    cfg["scorers"] = []
    cfg["routing"] = {"strategy": "priority", "max_attempts": 4, "attempt_timeout_ms": attempt_timeout_ms}
    return cfg


class Base(unittest.TestCase):
    def setUp(self):
        FAKE.reset()
        self.seen = []  # every response (headers and body) of this test, checked for keys at the end

    def gen(self, s, t="flashcards", body=None):
        st, h, raw = s.request("POST", "/api/v1/generate/" + t, body=body or BODY, key=s.user_key)
        self.seen.append(json.dumps(h) + raw.decode("utf-8", "replace"))
        return st, h, json.loads(raw)

    def assert_no_keys(self, s):
        text = "\n".join(self.seen) + s.logs() + "".join(s.stderr_lines)
        for k in list(KEYS.values()) + [WRONG_KEY]:
            self.assertNotIn(k, text, "a provider key appeared in a response or the logs")
        self.assertNotIn("Sanitizer", "".join(s.stderr_lines), "sanitizer report (LF_SANITIZE build)")


class Generation(Base):
    def test_every_type_every_provider(self):
        for kind in KINDS:
            with LfServer(config=config([provider(kind)])) as s:
                for t in TYPES:
                    st, h, b = self.gen(s, t)
                    self.assertEqual(st, 200, (kind, t, b))
                    self.assertEqual(schema_errors(schema_of(t), b["generated_content"]), [], (kind, t))
                    self.assertIn("Photosynthesis", json.dumps(b["generated_content"]))
                    m = b["metadata"]
                    self.assertEqual(m["ai_provider"], kind)
                    self.assertEqual([a["outcome"] for a in m["attempts"]], ["ok"], (kind, t))
                    self.assertFalse(m["tokens_estimated"], (kind, t))
                    self.assertGreater(m["tokens"]["prompt"], 0)
                    self.assertGreater(m["tokens"]["completion"], 0)
                    self.assertGreater(m["cost_usd"], 0, (kind, t))
                    self.assertEqual(h["x-lf-provider"], kind)
                    self.assertEqual(h["x-lf-attempts"], "1")
                    self.assertIn("x-lf-overhead-us", h)
                last = FAKE.stats()["last"][kind]
                hd = last["headers"]
                if kind == "openai":
                    self.assertEqual(last["path"], "/v1/chat/completions")
                    self.assertEqual(hd.get("authorization"), "Bearer " + KEYS["openai"])
                elif kind == "anthropic":
                    self.assertEqual(last["path"], "/v1/messages")
                    self.assertEqual(hd.get("x-api-key"), KEYS["anthropic"])
                    self.assertIn("anthropic-version", hd)
                    self.assertIn("max_tokens", json.loads(last["body"]))
                else:
                    self.assertRegex(last["path"], r"^/v1beta/models/[^/]+:generateContent")
                    self.assertEqual(hd.get("x-goog-api-key"), KEYS["gemini"])
                self.assertEqual(FAKE.stats()["requests"][kind], len(TYPES))
                # the read-only views of providers, plugins, system and metrics never show a key either
                for path in ("/api/v1/providers", "/api/v1/admin/plugins", "/api/v1/admin/system/info",
                             "/api/v1/health/detailed", "/api/v1/metrics", "/metrics"):
                    st, h, raw = s.request("GET", path, key=s.admin_key)  # (503 possible: no database)
                    self.seen.append(path + " " + json.dumps(h) + raw.decode("utf-8", "replace"))
                self.assert_no_keys(s)

    def test_check_config_masks_keys(self):
        s = LfServer(config=config([provider(k) for k in KINDS] + [provider("openai", key=WRONG_KEY, name="o2")]),
                     args=("check-config",), wait=False).start()
        try:
            s.proc.wait(30)
        finally:
            s.stop()
        time.sleep(0.2)  # let the reader threads drain the pipes
        self.assertEqual(s.proc.returncode, 0, "".join(s.stderr_lines))
        out = s.logs() + "".join(s.stderr_lines)
        self.assertIn("base_url", out)
        self.assert_no_keys(s)

    def test_missing_usage_is_estimated_never_free(self):
        for kind in KINDS:
            with LfServer(config=config([provider(kind)])) as s:
                FAKE.fault(kind, "no_usage")
                st, h, b = self.gen(s, "study_guide")
                self.assertEqual(st, 200, (kind, b))
                m = b["metadata"]
                self.assertTrue(m["tokens_estimated"], kind)
                self.assertGreater(m["tokens"]["completion"], 0, kind)
                self.assertGreater(m["cost_usd"], 0, kind)
                self.assertTrue(m["attempts"][0]["tokens"]["estimated"], kind)
                self.assertNotEqual(float(h["x-lf-cost-usd"]), 0.0)
                self.assert_no_keys(s)
                FAKE.reset()


# failure class -> (fake fault or None, extra fault args, attempt_timeout_ms)
FAULTS = {
    "rate_limited": [("429", {"retry_after": 3})],
    "upstream_5xx": [("500", {}), ("503", {}), ("529", {})],
    "invalid_response": [("malformed", {})],
    "schema_invalid": [("schema_invalid", {})],
    "timeout": [("slow", {"ms": 2500})],
}


class Failures(Base):
    """Each class twice: recovered by a backup (metadata.attempts) and with no backup (error details.attempts)."""

    def check(self, kind, outcome, primary, fault=None, timeout_ms=5000, **fault_args):
        # 1) a backup answers: 200 and the failed attempt is listed first in metadata.attempts
        with LfServer(config=config([primary, backup()], timeout_ms)) as s:
            if fault:
                FAKE.fault(kind, fault, **fault_args)
            st, h, b = self.gen(s)
            self.assertEqual(st, 200, (kind, outcome, fault, b))
            att = b["metadata"]["attempts"]
            self.assertEqual((att[0]["provider"], att[0]["outcome"]), (kind, outcome), (fault, att))
            self.assertEqual((att[-1]["provider"], att[-1]["outcome"]), ("backup", "ok"), att)
            self.assertEqual(h["x-lf-attempts"], str(len(att)))
            self.assertEqual(b["metadata"]["ai_provider"], "backup")
            if outcome == "rate_limited":
                # Retry-After is honoured: within its window the provider gets no traffic
                sent = FAKE.stats()["requests"][kind]
                st, h, b = self.gen(s)
                self.assertEqual(st, 200, b)
                self.assertEqual(b["metadata"]["ai_provider"], "backup")
                self.assertEqual(FAKE.stats()["requests"][kind], sent, "request sent during Retry-After")
            self.assert_no_keys(s)
        FAKE.reset()
        # 2) nothing answers: 502 UPSTREAM_FAILED, every attempt in error.details.attempts has the class
        with LfServer(config=config([primary], timeout_ms)) as s:
            if fault:
                FAKE.fault(kind, fault, **fault_args)
            st, h, b = self.gen(s)
            self.assertEqual(st, 502, (kind, outcome, fault, b))
            err = b["error"]
            self.assertEqual(err["code"], "UPSTREAM_FAILED")
            att = err["details"]["attempts"]
            self.assertGreaterEqual(len(att), 1)
            for a in att:
                self.assertEqual((a["provider"], a["outcome"]), (kind, outcome), (fault, att))
            self.assert_no_keys(s)
        FAKE.reset()

    def test_connect_error(self):
        closed = "http://127.0.0.1:%d" % free_port()
        for kind in KINDS:
            self.check(kind, "connect_error", provider(kind, base=closed))

    def test_auth_error_wrong_key(self):
        for kind in KINDS:
            self.check(kind, "auth_error", provider(kind, key=WRONG_KEY))

    def test_fault_classes(self):
        for kind in KINDS:
            for outcome, faults in FAULTS.items():
                for fault, args in faults:
                    with self.subTest(kind=kind, outcome=outcome, fault=fault):
                        self.check(kind, outcome, provider(kind), fault,
                                   1000 if outcome == "timeout" else 5000, **args)


if __name__ == "__main__":
    unittest.main()
