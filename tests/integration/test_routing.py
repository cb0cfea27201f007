# tests/integration/test_routing.py - routing against real .so plugins and fake upstreams: failover, breakers,
# Retry-After, half-open recovery, cost order, budgets (no overshoot), rate limits, pinning, PATCH, deadline
# SPDX-License-Identifier: MIT
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import FakeUpstreams, LfServer, default_config, free_port, wait_until  # noqa: E402

GEN = "/api/v1/generate/flashcards"
BODY = {"topic": "photosynthesis in plants", "age_group": "high_school"}
OPENAI_KEY = "test-openai-key"
ANTHROPIC_KEY = "test-anthropic-key"


def openai(name, base, priority=1, **extra):
    p = {"name": name, "plugin": "openai", "priority": priority,
         "config": {"api_key": OPENAI_KEY, "base_url": base + "/v1", "model": "gpt-4o-mini"}}
    p.update(extra)
    return p


def anthropic(name, base, priority=2, **extra):
    p = {"name": name, "plugin": "anthropic", "priority": priority,
         "config": {"api_key": ANTHROPIC_KEY, "base_url": base}}
    p.update(extra)
    return p


def chaos(name, priority=1, price=(0.15, 0.60), **conf):
    c = {"latency_ms": 1, "models": [{"id": "chaos-" + name, "input_usd_per_mtok": price[0],
                                      "output_usd_per_mtok": price[1]}]}
    c.update(conf)
    return {"name": name, "plugin": "chaos", "priority": priority, "config": c}


def config(providers, strategy="priority", **top):
    cfg = default_config()
    cfg["providers"] = providers
    cfg["scorers"] = []
    cfg["routing"] = {"strategy": strategy, "max_attempts": 3, "attempt_timeout_ms": 5000}
    for k, v in top.items():
        cfg[k] = v
    return cfg


def providers_by_name(s):
    st, _, b = s.json("GET", "/api/v1/providers", key=s.user_key)
    assert st == 200, b
    return {p["name"]: p for p in b["providers"]}


def attempts_of(body):
    return [(a["provider"], a["outcome"]) for a in body["metadata"]["attempts"]]


class WithFakes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeUpstreams()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.reset()


class Failover(WithFakes):
    def test_refused_primary_secondary_serves(self):
        closed = "http://127.0.0.1:%d" % free_port()  # nothing listens there
        cfg = config([openai("primary", closed, 1), anthropic("secondary", self.fake.base, 2)])
        with LfServer(config=cfg) as s:
            st, h, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(st, 200, b)
            self.assertEqual(attempts_of(b), [("primary", "connect_error"), ("secondary", "ok")])
            self.assertEqual(b["metadata"]["ai_provider"], "secondary")
            self.assertEqual(h["x-lf-provider"], "secondary")
            for a in b["metadata"]["attempts"]:
                self.assertGreaterEqual(a["latency_ms"], 0)
            self.assertEqual(self.fake.requests("anthropic"), 1)

    def test_500s_open_the_circuit_then_zero_attempts_then_half_open_recovery(self):
        cfg = config([openai("primary", self.fake.base, 1, circuit={"failure_threshold": 3, "cooldown_ms": 3000}),
                      anthropic("secondary", self.fake.base, 2)])
        self.fake.fault("openai", "500")
        with LfServer(config=cfg) as s:
            for i in range(3):
                st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
                self.assertEqual(st, 200, b)
                self.assertEqual(attempts_of(b), [("primary", "upstream_5xx"), ("secondary", "ok")], i)
            p = providers_by_name(s)["primary"]
            self.assertEqual(p["state"], "open")
            self.assertEqual(p["circuit"]["state"], "open")
            self.assertGreater(p["circuit"]["retry_at_ms"], 0)
            sent = self.fake.requests("openai")
            self.assertEqual(sent, 3)
            for _ in range(5):
                st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
                self.assertEqual(st, 200, b)
                self.assertEqual(attempts_of(b), [("secondary", "ok")])
            self.assertEqual(self.fake.requests("openai"), sent, "an open breaker must get no traffic")
            # upstream heals; after the cooldown one probe goes through and closes the breaker
            self.fake.fault("openai", "none")
            retry_at = p["circuit"]["retry_at_ms"]
            self.assertTrue(wait_until(lambda: time.time() * 1000 > retry_at + 50, 5))
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(st, 200, b)
            self.assertEqual(attempts_of(b), [("primary", "ok")])
            self.assertEqual(providers_by_name(s)["primary"]["state"], "closed")

    def test_failed_probe_reopens(self):
        cfg = config([openai("primary", self.fake.base, 1, circuit={"failure_threshold": 1, "cooldown_ms": 800}),
                      anthropic("secondary", self.fake.base, 2)])
        self.fake.fault("openai", "503")
        with LfServer(config=cfg) as s:
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(attempts_of(b), [("primary", "upstream_5xx"), ("secondary", "ok")])
            time.sleep(0.9)
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)  # the probe, fails
            self.assertEqual(attempts_of(b), [("primary", "upstream_5xx"), ("secondary", "ok")])
            p = providers_by_name(s)["primary"]
            self.assertEqual(p["state"], "open")
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(attempts_of(b), [("secondary", "ok")])
            self.assertEqual(self.fake.requests("openai"), 2)

    def test_429_retry_after_honoured(self):
        cfg = config([openai("primary", self.fake.base, 1, circuit={"cooldown_ms": 200}),
                      anthropic("secondary", self.fake.base, 2)])
        self.fake.fault("openai", "429", retry_after=2)
        with LfServer(config=cfg) as s:
            t0 = time.time() * 1000
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(st, 200, b)
            self.assertEqual(attempts_of(b), [("primary", "rate_limited"), ("secondary", "ok")])
            p = providers_by_name(s)["primary"]
            self.assertEqual(p["state"], "open")
            # open for the Retry-After (2 s), not the 200 ms cooldown
            self.assertGreaterEqual(p["circuit"]["retry_at_ms"] - t0, 1700)
            time.sleep(0.5)  # past the cooldown, still inside Retry-After
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(attempts_of(b), [("secondary", "ok")])
            self.assertEqual(self.fake.requests("openai"), 1)
            self.fake.fault("openai", "none")
            self.assertTrue(wait_until(lambda: time.time() * 1000 > p["circuit"]["retry_at_ms"] + 50, 5))
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(attempts_of(b), [("primary", "ok")])

    def test_cost_strategy_follows_price_tables(self):
        # priority prefers anthropic; cost must pick whichever the plugins' price tables make cheaper
        cfg = config([anthropic("claude", self.fake.base, 1), openai("gpt", self.fake.base, 2)], strategy="cost")
        with LfServer(config=cfg) as s:
            provs = providers_by_name(s)
            price = {n: (p["models"][0]["input_usd_per_mtok"], p["models"][0]["output_usd_per_mtok"])
                     for n, p in provs.items()}
            cheaper = min(price, key=lambda n: (price[n][0] + 4 * price[n][1], n))
            self.assertNotEqual(price["claude"], price["gpt"])
            for _ in range(3):
                st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
                self.assertEqual(st, 200, b)
                self.assertEqual(b["metadata"]["ai_provider"], cheaper, price)
            # a live price change through priority does not matter under cost ...
            st, _, b = s.json("PATCH", "/api/v1/admin/providers/" + cheaper, {"priority": 50}, key=s.admin_key)
            self.assertEqual(st, 200, b)
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(b["metadata"]["ai_provider"], cheaper)
            # ... but disabling the cheaper one moves traffic to the other
            s.json("PATCH", "/api/v1/admin/providers/" + cheaper, {"enabled": False}, key=s.admin_key)
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(st, 200, b)
            self.assertNotEqual(b["metadata"]["ai_provider"], cheaper)


class HealthProbe(unittest.TestCase):
    def test_probe_opens_the_breaker_without_traffic_and_closes_it_on_recovery(self):
        port = free_port()
        base = "http://127.0.0.1:%d" % port  # refused until a fake starts there
        cfg = config([openai("primary", base, 1, health_probe_interval_ms=100,
                             circuit={"failure_threshold": 2, "cooldown_ms": 300}),
                      chaos("backup", 2)])
        with LfServer(config=cfg) as s:
            self.assertTrue(wait_until(lambda: providers_by_name(s)["primary"]["state"] == "open", 5),
                            providers_by_name(s)["primary"])
            p = providers_by_name(s)["primary"]
            self.assertIn("health probe", p["circuit"]["last_error"])
            self.assertEqual(p["stats"]["requests"], 0, "probes do not count as requests")
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(attempts_of(b), [("backup", "ok")])
            fake = FakeUpstreams(port)
            try:
                # the next probe after the cooldown is the half-open probe: it closes the breaker
                self.assertTrue(wait_until(lambda: providers_by_name(s)["primary"]["state"] == "closed", 5),
                                providers_by_name(s)["primary"])
                st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
                self.assertEqual(attempts_of(b), [("primary", "ok")])
            finally:
                fake.stop()


class Budgets(unittest.TestCase):
    def test_exhaustion_moves_traffic_then_402(self):
        cfg = config([dict(chaos("cheap", 1, (0.15, 0.60)), budget={"daily_usd": 0.002}),
                      dict(chaos("pricey", 2, (0.30, 1.20)), budget={"daily_usd": 0.004})], strategy="cost")
        with LfServer(config=cfg) as s:
            seq = []
            for _ in range(40):
                st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
                if st != 200:
                    self.assertEqual(st, 402, b)
                    self.assertEqual(b["error"]["code"], "BUDGET_EXCEEDED")
                    seq.append("402")
                    break
                seq.append(b["metadata"]["ai_provider"])
            self.assertEqual(seq[-1], "402", seq)
            self.assertIn("cheap", seq)
            self.assertIn("pricey", seq)
            first_pricey = seq.index("pricey")
            self.assertTrue(all(x == "cheap" for x in seq[:first_pricey]), seq)
            self.assertTrue(all(x == "pricey" for x in seq[first_pricey:-1]), seq)
            for name, p in providers_by_name(s).items():
                day = [x for x in p["budget"] if x["period"] == "day"][0]
                self.assertLessEqual(day["spent_usd"], day["limit_usd"] + 1e-12, (name, day))
                self.assertEqual(day["reserved_usd"], 0)
                self.assertGreater(day["spent_usd"], 0)

    def test_parallel_requests_near_the_limit_never_overshoot(self):
        limit = 0.006
        cfg = config([dict(chaos("only", 1, (0.15, 0.60), latency_ms=300), budget={"daily_usd": limit})],
                     strategy="cost")
        cfg["server"]["workers"] = 2
        with LfServer(config=cfg) as s:
            results = []
            lock = threading.Lock()

            def one():
                st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
                with lock:
                    results.append((st, b))

            threads = [threading.Thread(target=one) for _ in range(40)]
            for t in threads:
                t.start()
            # while requests are in flight: spent + reserved never above the limit
            peak = 0
            for _ in range(10):
                day = [x for x in providers_by_name(s)["only"]["budget"] if x["period"] == "day"][0]
                self.assertLessEqual(day["spent_usd"] + day["reserved_usd"], limit + 1e-12, day)
                peak = max(peak, day["reserved_usd"])
                time.sleep(0.03)
            for t in threads:
                t.join()
            ok = [b for st, b in results if st == 200]
            refused = [b for st, b in results if st == 402]
            self.assertEqual(len(ok) + len(refused), 40, [st for st, _ in results])
            self.assertGreater(len(ok), 0)
            self.assertGreater(len(refused), 0)
            self.assertGreater(peak, 0, "requests were in flight together")
            day = [x for x in providers_by_name(s)["only"]["budget"] if x["period"] == "day"][0]
            self.assertLessEqual(day["spent_usd"], limit + 1e-12, day)
            self.assertEqual(day["reserved_usd"], 0)
            spent = sum(b["metadata"]["cost_usd"] for b in ok)
            self.assertAlmostEqual(spent, day["spent_usd"], places=9)

    def test_patch_budget_live(self):
        cfg = config([chaos("a", 1), chaos("b", 2)])
        with LfServer(config=cfg) as s:
            st, _, b = s.json("PATCH", "/api/v1/admin/providers/a", {"budget": {"daily_usd": 0}}, key=s.admin_key)
            self.assertEqual(st, 200, b)
            self.assertEqual(b["overrides"], {"budget": {"daily_usd": 0.0}})
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(b["metadata"]["ai_provider"], "b")
            s.json("PATCH", "/api/v1/admin/providers/b", {"budget": {"daily_usd": 0, "monthly_usd": 5}},
                   key=s.admin_key)
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(st, 402, b)
            self.assertEqual(b["error"]["code"], "BUDGET_EXCEEDED")
            # survives a reload
            st, _, r = s.json("POST", "/api/v1/admin/reload", key=s.admin_key)
            self.assertEqual(st, 200, r)
            p = providers_by_name(s)
            self.assertEqual([x["limit_usd"] for x in p["b"]["budget"]], [0.0, 5.0])
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(st, 402, b)
            # null = unlimited
            st, _, b = s.json("PATCH", "/api/v1/admin/providers/b", {"budget": {"daily_usd": None}}, key=s.admin_key)
            self.assertEqual(st, 200, b)
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual((st, b["metadata"]["ai_provider"]), (200, "b"))


class AdminPatch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = LfServer(config=config([chaos("a", 1), chaos("b", 2)])).start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def tearDown(self):
        for n in ("a", "b"):
            self.s.json("PATCH", "/api/v1/admin/providers/" + n, {"clear_overrides": True}, key=self.s.admin_key)

    def patch(self, name, body, key=None):
        return self.s.json("PATCH", "/api/v1/admin/providers/" + name, body, key=key or self.s.admin_key)

    def test_errors(self):
        st, _, b = self.patch("nope", {"enabled": False})
        self.assertEqual((st, b["error"]["code"]), (404, "NOT_FOUND"))
        st, _, b = self.patch("a", {"enabled": False}, key=self.s.user_key)
        self.assertEqual((st, b["error"]["code"]), (403, "FORBIDDEN"))
        for body, field in (({"enabled": "no"}, "enabled"), ({"priority": 1.5}, "priority"),
                            ({"weight": -1}, "weight"), ({"budget": 3}, "budget"),
                            ({"budget": {"daily_usd": "x"}}, "budget.daily_usd"),
                            ({"budget": {"weekly_usd": 1}}, "budget.weekly_usd"), ({"colour": 1}, "colour")):
            st, _, b = self.patch("a", body)
            self.assertEqual(st, 400, (body, b))
            self.assertEqual(b["error"]["code"], "INVALID_REQUEST")
            self.assertEqual(b["error"]["details"]["field"], field)
            self.assertIn(field, b["error"]["message"])
        # nothing was applied by the refused bodies
        p = providers_by_name(self.s)["a"]
        self.assertEqual((p["enabled"], p["priority"]), (True, 1))

    def test_pinned_disabled_is_503_not_a_silent_fallback(self):
        st, _, b = self.patch("a", {"enabled": False})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["provider"]["state"], "disabled")
        st, _, d = self.s.json("GET", "/api/v1/health/detailed", key=self.s.user_key)
        self.assertEqual(st, 200, d)
        a = [p for p in d["providers"] if p["name"] == "a"][0]
        self.assertEqual((a["enabled"], a["state"]), (False, "disabled"))
        st, _, d = self.s.json("GET", "/api/v1/health")
        pv = d["services"]["providers"]
        self.assertEqual((pv["enabled"], pv["available"]), (1, 1), d)
        self.assertEqual([i["enabled"] for i in pv["items"] if i["name"] == "a"], [False])
        st, _, b = self.s.json("POST", GEN, dict(BODY, provider="a"), key=self.s.user_key)
        self.assertEqual(st, 503, b)
        self.assertEqual(b["error"]["code"], "NO_PROVIDER_AVAILABLE")
        st, _, b = self.s.json("POST", GEN, BODY, key=self.s.user_key)
        self.assertEqual((st, b["metadata"]["ai_provider"]), (200, "b"))
        st, _, b = self.patch("a", {"enabled": True})
        self.assertEqual(st, 200, b)
        st, _, b = self.s.json("POST", GEN, dict(BODY, provider="a"), key=self.s.user_key)
        self.assertEqual((st, b["metadata"]["ai_provider"]), (200, "a"))

    def test_priority_and_weight_live_and_across_reload(self):
        st, _, b = self.patch("b", {"priority": 0, "weight": 2.5})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["overrides"], {"priority": 0, "weight": 2.5})
        st, _, b = self.s.json("POST", GEN, BODY, key=self.s.user_key)
        self.assertEqual(b["metadata"]["ai_provider"], "b")
        st, _, r = self.s.json("POST", "/api/v1/admin/reload", key=self.s.admin_key)
        self.assertEqual(st, 200, r)
        p = providers_by_name(self.s)["b"]
        self.assertEqual((p["priority"], p["weight"]), (0, 2.5))
        st, _, b = self.s.json("POST", GEN, BODY, key=self.s.user_key)
        self.assertEqual(b["metadata"]["ai_provider"], "b")
        st, _, b = self.patch("b", {"clear_overrides": True})
        self.assertEqual((st, b["overrides"]), (200, {}))
        st, _, b = self.s.json("POST", GEN, BODY, key=self.s.user_key)
        self.assertEqual(b["metadata"]["ai_provider"], "a")


class RateLimitsAndDeadline(unittest.TestCase):
    def test_headers_and_429(self):
        cfg = config([chaos("a", 1)], rate_limits={"requests_per_minute": 5, "generations_per_hour": 1000})
        with LfServer(config=cfg) as s:
            remaining = []
            for _ in range(5):
                st, h, b = s.json("GET", "/api/v1/providers", key=s.user_key)
                self.assertEqual(st, 200, b)
                self.assertEqual(h["x-ratelimit-limit"], "5")
                remaining.append(int(h["x-ratelimit-remaining"]))
                self.assertGreater(int(h["x-ratelimit-reset"]), time.time() - 1)
            self.assertEqual(remaining, [4, 3, 2, 1, 0])
            st, h, b = s.json("GET", "/api/v1/providers", key=s.user_key)
            self.assertEqual((st, b["error"]["code"]), (429, "RATE_LIMITED"))
            self.assertGreaterEqual(int(h["retry-after"]), 1)
            self.assertEqual(h["x-ratelimit-remaining"], "0")
            self.assertEqual(b["error"]["details"]["limit"], 5)
            for path in ("/health", "/api/v1/live", "/api/v1/ready"):
                for _ in range(3):
                    self.assertEqual(s.request("GET", path)[0], 200, path)

    def test_generations_per_hour(self):
        cfg = config([chaos("a", 1)], rate_limits={"requests_per_minute": 1000, "generations_per_hour": 2})
        with LfServer(config=cfg) as s:
            for i in range(2):
                st, h, b = s.json("POST", GEN, BODY, key=s.user_key)
                self.assertEqual(st, 200, b)
                self.assertEqual(h["x-ratelimit-remaining"], str(1 - i))
            st, h, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual((st, b["error"]["code"]), (429, "RATE_LIMITED"))
            self.assertEqual(b["error"]["details"]["limit_name"], "generations_per_hour")
            self.assertIn("retry-after", h)

    def test_deadline_504(self):
        cfg = config([chaos("slow", 1, latency_ms=5000)])
        cfg["server"]["request_deadline_ms"] = 400
        with LfServer(config=cfg) as s:
            t0 = time.time()
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            took = time.time() - t0
            self.assertEqual(st, 504, b)
            self.assertEqual(b["error"]["code"], "UPSTREAM_TIMEOUT")
            self.assertLess(took, 2.0)
            self.assertEqual([a["outcome"] for a in b["error"]["details"]["attempts"]], ["timeout"])

    def test_all_attempts_fail_502(self):
        cfg = config([chaos("x", 1, mode="upstream_5xx"), chaos("y", 2, mode="upstream_5xx")])
        with LfServer(config=cfg) as s:
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual((st, b["error"]["code"]), (502, "UPSTREAM_FAILED"))
            self.assertEqual([(a["provider"], a["outcome"]) for a in b["error"]["details"]["attempts"]],
                             [("x", "upstream_5xx"), ("y", "upstream_5xx")])


class ReloadAndLimits(unittest.TestCase):
    def day(self, s, name):
        return [x for x in providers_by_name(s)[name]["budget"] if x["period"] == "day"][0]

    def test_reload_applies_limits_keeps_spending_and_a_failed_reload_changes_nothing(self):
        cfg = config([dict(chaos("a", 1), budget={"daily_usd": 1.0})],
                     rate_limits={"requests_per_minute": 1000, "generations_per_hour": 1000})
        with LfServer(config=cfg) as s:
            st, h, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(st, 200, b)
            spent = self.day(s, "a")["spent_usd"]
            self.assertGreater(spent, 0)
            # a reload that fails while building the generation (the second provider's plugin config is
            # invalid, after the first was set up) with other limits changes nothing
            bad = json.loads(json.dumps(cfg))
            bad["providers"][0]["budget"] = {"daily_usd": 0.5}
            bad["providers"].append(chaos("b", 2, latency_ms="slow"))
            bad["rate_limits"]["requests_per_minute"] = 7
            s.write_config(bad)
            st, _, r = s.json("POST", "/api/v1/admin/reload", key=s.admin_key)
            self.assertEqual(st, 400, r)
            self.assertIn("latency_ms", r["error"]["message"])
            self.assertEqual(self.day(s, "a")["limit_usd"], 1.0)
            st, h, _ = s.json("GET", "/api/v1/providers", key=s.user_key)
            self.assertEqual(h["x-ratelimit-limit"], "1000")
            # a good one applies the new budget limit and rate limit, and keeps what was spent
            bad["providers"].pop()
            s.write_config(bad)
            st, _, r = s.json("POST", "/api/v1/admin/reload", key=s.admin_key)
            self.assertEqual(st, 200, r)
            d = self.day(s, "a")
            self.assertEqual((d["limit_usd"], d["spent_usd"]), (0.5, spent))
            st, h, _ = s.json("GET", "/api/v1/providers", key=s.user_key)
            self.assertEqual(h["x-ratelimit-limit"], "7")

    def test_key_budget_and_max_cost(self):
        cfg = config([chaos("a", 1)], key_budget={"daily_usd": 0.0015})
        with LfServer(config=cfg) as s:
            st, _, b = s.json("POST", GEN, dict(BODY, max_cost_usd=0.00001), key=s.user_key)
            self.assertEqual((st, b["error"]["code"]), (402, "BUDGET_EXCEEDED"), b)
            codes = []
            for _ in range(10):
                st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
                codes.append(st)
                if st != 200:
                    self.assertEqual(b["error"]["code"], "BUDGET_EXCEEDED")
                    break
            self.assertEqual(codes[-1], 402, codes)
            self.assertGreater(codes.count(200), 0, codes)

    def test_batch_counts_one_generation_per_type(self):
        cfg = config([chaos("a", 1)], rate_limits={"requests_per_minute": 1000, "generations_per_hour": 3})
        with LfServer(config=cfg) as s:
            st, h, b = s.json("POST", "/api/v1/generate/batch",
                              dict(BODY, content_types=["flashcards", "faq_collection"]), key=s.user_key)
            self.assertEqual(st, 200, b)
            self.assertEqual(h["x-ratelimit-remaining"], "1")
            st, h, b = s.json("POST", "/api/v1/generate/batch",
                              dict(BODY, content_types=["flashcards", "faq_collection"]), key=s.user_key)
            self.assertEqual((st, b["error"]["code"]), (429, "RATE_LIMITED"))

    def test_failed_auth_limited_per_address(self):
        cfg = config([chaos("a", 1)], rate_limits={"requests_per_minute": 1000, "generations_per_hour": 1000,
                                                   "auth_failures_per_minute": 3})
        with LfServer(config=cfg) as s:
            statuses = [s.json("GET", "/api/v1/providers", key="wrong-key-%d" % i)[0] for i in range(6)]
            self.assertEqual(statuses[:3], [401, 401, 401], statuses)
            self.assertIn(429, statuses[3:], statuses)
            st, h, b = s.json("GET", "/api/v1/providers", key="another-wrong-key")
            self.assertEqual(st, 429, b)
            self.assertIn("retry-after", h)
            self.assertEqual(s.request("GET", "/health")[0], 200)


class Strategies(unittest.TestCase):
    def test_per_content_type_strategy(self):
        # globally cost (cheap first); flashcards use priority (pricey has priority 1)
        cfg = config([chaos("pricey", 1, (5.0, 15.0)), chaos("cheap", 2, (0.1, 0.2))], strategy="cost")
        cfg["routing"]["per_content_type"] = {"flashcards": "priority"}
        with LfServer(config=cfg) as s:
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual((st, b["metadata"]["ai_provider"]), (200, "pricey"))
            st, _, b = s.json("POST", "/api/v1/generate/faq_collection", BODY, key=s.user_key)
            self.assertEqual((st, b["metadata"]["ai_provider"]), (200, "cheap"))

    def test_latency_strategy_prefers_the_faster(self):
        cfg = config([chaos("slow", 1, latency_ms=120), chaos("fast", 2, latency_ms=5)], strategy="latency")
        with LfServer(config=cfg) as s:
            for name in ("slow", "fast"):  # one sample each for the moving averages
                st, _, b = s.json("POST", GEN, dict(BODY, provider=name), key=s.user_key)
                self.assertEqual(st, 200, b)
            for _ in range(3):
                st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
                self.assertEqual((st, b["metadata"]["ai_provider"]), (200, "fast"))
            p = providers_by_name(s)
            self.assertGreater(p["slow"]["stats"]["latency_ewma_ms"], p["fast"]["stats"]["latency_ewma_ms"])

    def test_weighted_follows_live_weights(self):
        cfg = config([chaos("a", 1), chaos("b", 1)], strategy="weighted")
        with LfServer(config=cfg) as s:
            def share_of_a(n=60):
                got = [s.json("POST", GEN, BODY, key=s.user_key)[2]["metadata"]["ai_provider"] for _ in range(n)]
                return got.count("a") / float(n)

            s.json("PATCH", "/api/v1/admin/providers/b", {"weight": 0}, key=s.admin_key)
            self.assertEqual(share_of_a(20), 1.0)  # weight 0 only after every positive weight
            s.json("PATCH", "/api/v1/admin/providers/b", {"weight": 9}, key=s.admin_key)
            self.assertLess(share_of_a(), 0.35)  # expected 0.1


class Retries(unittest.TestCase):
    def test_retry_only_where_configured(self):
        cfg = config([dict(chaos("a", 1, mode="upstream_5xx"), retry={"attempts": 2, "backoff_ms": 10}),
                      chaos("b", 2, mode="upstream_5xx"), chaos("c", 3)])
        cfg["routing"]["max_attempts"] = 10
        with LfServer(config=cfg) as s:
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual(st, 200, b)
            self.assertEqual(attempts_of(b), [("a", "upstream_5xx")] * 3 + [("b", "upstream_5xx"), ("c", "ok")])

    def test_max_attempts_bounds_the_walk(self):
        cfg = config([chaos("a", 1, mode="upstream_5xx"), chaos("b", 2, mode="upstream_5xx"), chaos("c", 3)])
        cfg["routing"]["max_attempts"] = 2
        with LfServer(config=cfg) as s:
            st, _, b = s.json("POST", GEN, BODY, key=s.user_key)
            self.assertEqual((st, b["error"]["code"]), (502, "UPSTREAM_FAILED"))
            self.assertEqual(len(b["error"]["details"]["attempts"]), 2)


if __name__ == "__main__":
    unittest.main()
