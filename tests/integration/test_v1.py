# tests/integration/test_v1.py - the OpenAI-compatible API (/v1/chat/completions plain and streaming, /v1/models)
# against the real provider plugins pointed at tests/fakes/fake_upstreams.py
# SPDX-License-Identifier: MIT
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import LfServer, default_config  # noqa: E402
from lfserver import FakeUpstreams  # noqa: E402

OPENAI_KEY = "test-openai-key"
ANTHROPIC_KEY = "test-anthropic-key"
GEMINI_KEY = "test-gemini-key"
CHAT = "/v1/chat/completions"
USER_MSG = "Explain photosynthesis to me in two short sentences please."
EXPECTED = "Hello from the fake upstream. You said: " + USER_MSG
PINS = {"openai": "openai/gpt-4o-mini", "anthropic": "anthropic/claude-3-5-haiku-latest",
        "gemini": "gemini/gemini-2.0-flash"}


def providers(base):
    return [
        {"name": "openai", "plugin": "openai", "priority": 1,
         "config": {"api_key": OPENAI_KEY, "base_url": base + "/v1", "model": "gpt-4o-mini"}},
        {"name": "anthropic", "plugin": "anthropic", "priority": 2,
         "config": {"api_key": ANTHROPIC_KEY, "base_url": base}},
        {"name": "gemini", "plugin": "gemini", "priority": 3,
         "config": {"api_key": GEMINI_KEY, "base_url": base}},
        {"name": "offline", "plugin": "offline", "priority": 50},
        {"name": "slowchaos", "plugin": "chaos", "priority": 60,
         "config": {"latency_ms": 1, "error_ratio": 1.0, "faults": ["slow_stream"], "chunk_delay_ms": 60}},
    ]


def make_config(base):
    cfg = default_config()
    cfg["providers"] = providers(base)
    for p in cfg["providers"]:
        # the tests inject failures on purpose: keep every breaker closed so that tests stay independent
        p["circuit"] = {"failure_threshold": 1000, "error_ratio": 2, "min_requests": 100000}
    cfg["scorers"] = []
    cfg["routing"] = {"strategy": "priority", "max_attempts": 3, "attempt_timeout_ms": 5000}
    return cfg


def parse_sse(raw):
    """Returns the list of data payloads (parsed JSON, or the string "[DONE]")."""
    out = []
    text = raw.decode("utf-8")
    for block in text.split("\n\n"):
        block = block.strip("\n")
        if not block:
            continue
        data = "\n".join(line[6:] if line.startswith("data: ") else line[5:]
                         for line in block.split("\n") if line.startswith("data:"))
        out.append("[DONE]" if data == "[DONE]" else json.loads(data))
    return out


def chat_body(model, stream=False, **extra):
    b = {"model": model, "messages": [{"role": "system", "content": "You are terse."},
                                      {"role": "user", "content": USER_MSG}]}
    if stream:
        b["stream"] = True
    b.update(extra)
    return b


class V1(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeUpstreams()
        cls.srv = LfServer(config=make_config(cls.fake.base)).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.fake.stop()
        err = "".join(cls.srv.stderr_lines)
        # with -DLF_SANITIZE=ON: no ASan/UBSan error, no leak allocated by our code (h2o 2.2.5 itself leaks a
        # few per-thread buffers at exit, which LeakSanitizer reports for every run of the server)
        assert "ERROR: AddressSanitizer" not in err and "runtime error" not in err, err[-4000:]
        ours = [ln for ln in err.splitlines() if " in lf_" in ln or "/core/src/" in ln]
        assert not ours, "leaks from our code:\n" + err[-6000:]
        assert rc == 0 or "LeakSanitizer" in err, "server exit code %r: %s" % (rc, err[-2000:])

    def setUp(self):
        self.fake.reset()

    def chat(self, body, key=None):
        return self.srv.json("POST", CHAT, body, key=key or self.srv.user_key)

    def stream(self, body):
        st, hdrs, raw = self.srv.request("POST", CHAT, body, key=self.srv.user_key)
        return st, hdrs, raw

    def last_upstream(self, provider):
        return self.fake.call("GET", "/_stats")["last"][provider]

    # ---- /v1/models ----
    def test_models_list(self):
        st, _, b = self.srv.json("GET", "/v1/models", key=self.srv.user_key)
        self.assertEqual(st, 200, b)
        self.assertEqual(b["object"], "list")
        ids = [m["id"] for m in b["data"]]
        for want in ("auto", "openai/gpt-4o-mini", "gpt-4o-mini", "anthropic/claude-3-5-haiku-latest",
                     "gemini/gemini-2.0-flash"):
            self.assertIn(want, ids)
        self.assertEqual(len(ids), len(set(ids)))
        for m in b["data"]:
            self.assertEqual(m["object"], "model")
            self.assertIsInstance(m["created"], int)
            self.assertIsInstance(m["owned_by"], str)
        st, _, _ = self.srv.json("GET", "/v1/models")
        self.assertEqual(st, 401)

    # ---- non-streaming per provider ----
    def check_completion(self, st, hdrs, b, provider):
        self.assertEqual(st, 200, b)
        self.assertEqual(b["object"], "chat.completion")
        self.assertTrue(b["id"].startswith("chatcmpl-"))
        self.assertIsInstance(b["created"], int)
        self.assertTrue(b["model"])
        self.assertEqual(len(b["choices"]), 1)
        c = b["choices"][0]
        self.assertEqual(c["index"], 0)
        self.assertEqual(c["message"]["role"], "assistant")
        self.assertEqual(c["message"]["content"], EXPECTED)
        self.assertEqual(c["finish_reason"], "stop")
        u = b["usage"]
        self.assertGreater(u["prompt_tokens"], 0)
        self.assertGreater(u["completion_tokens"], 0)
        self.assertEqual(u["total_tokens"], u["prompt_tokens"] + u["completion_tokens"])
        self.assertEqual(hdrs["x-lf-provider"], provider)
        self.assertGreater(float(hdrs["x-lf-cost-usd"]), 0)
        self.assertEqual(hdrs["x-lf-attempts"], "1")

    def test_openai_plain(self):
        st, hdrs, b = self.chat(chat_body(PINS["openai"], temperature=0.3, top_p=0.9, max_tokens=50,
                                          stop=["\n\n"]))
        self.check_completion(st, hdrs, b, "openai")
        self.assertEqual(b["model"], "gpt-4o-mini")
        up = json.loads(self.last_upstream("openai")["body"])
        self.assertEqual(up["messages"][0], {"role": "system", "content": "You are terse."})
        self.assertEqual(up["temperature"], 0.3)
        self.assertEqual(up["top_p"], 0.9)
        self.assertIn(50, (up.get("max_tokens"), up.get("max_completion_tokens")))
        self.assertEqual(up["stop"], ["\n\n"])

    def test_anthropic_serves_openai_client(self):
        st, hdrs, b = self.chat(chat_body(PINS["anthropic"], temperature=0.5, max_completion_tokens=64, stop="END"))
        self.check_completion(st, hdrs, b, "anthropic")
        up = json.loads(self.last_upstream("anthropic")["body"])
        self.assertIn("You are terse.", json.dumps(up.get("system")))
        self.assertTrue(all(m["role"] != "system" for m in up["messages"]))
        self.assertEqual(up["max_tokens"], 64)
        self.assertEqual(up["temperature"], 0.5)
        self.assertEqual(up["stop_sequences"], ["END"])

    def test_gemini_serves_openai_client(self):
        st, hdrs, b = self.chat(chat_body(PINS["gemini"], temperature=0.2, max_tokens=32, stop=["X"]))
        self.check_completion(st, hdrs, b, "gemini")
        last = self.last_upstream("gemini")
        self.assertIn(":generateContent", last["path"])
        up = json.loads(last["body"])
        self.assertIn("You are terse.", json.dumps(up.get("systemInstruction")))
        gc = up["generationConfig"]
        self.assertEqual(gc["maxOutputTokens"], 32)
        self.assertEqual(gc["temperature"], 0.2)
        self.assertEqual(gc["stopSequences"], ["X"])

    def test_model_selection(self):
        # a bare model id goes to the provider that offers it
        st, hdrs, b = self.chat(chat_body("claude-3-5-haiku-latest"))
        self.assertEqual(st, 200, b)
        self.assertEqual(hdrs["x-lf-provider"], "anthropic")
        # auto: the router's choice (priority: openai)
        st, hdrs, b = self.chat(chat_body("auto"))
        self.assertEqual(st, 200, b)
        self.assertEqual(hdrs["x-lf-provider"], "openai")
        # a provider name alone pins it with its default model
        st, hdrs, b = self.chat(chat_body("gemini"))
        self.assertEqual(st, 200, b)
        self.assertEqual(hdrs["x-lf-provider"], "gemini")

    def test_developer_role_and_content_parts(self):
        # developer role and content parts are accepted and translated
        body = {"model": PINS["openai"], "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": USER_MSG}]}]}
        st, hdrs, b = self.chat(body)
        self.assertEqual(st, 200, b)
        self.assertEqual(b["choices"][0]["message"]["content"], EXPECTED)
        up = json.loads(self.last_upstream("openai")["body"])
        self.assertEqual(up["messages"][0]["role"], "system")

    def test_failover_plain(self):
        self.fake.fault("openai", "500", count=-1)
        st, hdrs, b = self.chat(chat_body("auto"))
        self.assertEqual(st, 200, b)
        self.assertEqual(hdrs["x-lf-provider"], "anthropic")
        self.assertEqual(hdrs["x-lf-attempts"], "2")

    def test_pinned_failure_is_an_error(self):
        self.fake.fault("openai", "500", count=-1)
        st, _, b = self.chat(chat_body(PINS["openai"]))
        self.assertEqual(st, 502, b)
        self.assertEqual(b["error"]["code"], "UPSTREAM_FAILED")
        self.assertIn("message", b["error"])

    # ---- streaming ----
    def check_stream(self, st, hdrs, raw, provider, include_usage):
        self.assertEqual(st, 200, raw)
        self.assertTrue(hdrs["content-type"].startswith("text/event-stream"), hdrs)
        self.assertEqual(hdrs["x-lf-provider"], provider)
        events = parse_sse(raw)
        self.assertEqual(events[-1], "[DONE]")
        chunks = events[:-1]
        for c in chunks:
            self.assertNotIn("error", c)
            self.assertEqual(c["object"], "chat.completion.chunk")
            self.assertTrue(c["id"].startswith("chatcmpl-"))
            self.assertEqual(c["id"], chunks[0]["id"])
            self.assertIsInstance(c["created"], int)
        self.assertEqual(chunks[0]["choices"][0]["delta"]["role"], "assistant")
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
        self.assertEqual(text, EXPECTED)
        content_chunks = [c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]
        self.assertGreater(len(content_chunks), 1, "the text must arrive in several chunks")
        if include_usage:
            last = chunks[-1]
            self.assertEqual(last["choices"], [])
            u = last["usage"]
            self.assertGreater(u["prompt_tokens"], 0)
            self.assertGreater(u["completion_tokens"], 0)
            self.assertEqual(u["total_tokens"], u["prompt_tokens"] + u["completion_tokens"])
            final = chunks[-2]
        else:
            self.assertTrue(all("usage" not in c for c in chunks))
            final = chunks[-1]
        self.assertEqual(final["choices"][0]["finish_reason"], "stop")
        self.assertEqual(final["choices"][0]["delta"], {})
        return chunks

    def test_stream_per_provider(self):
        for prov, model in PINS.items():
            for include_usage in (False, True):
                with self.subTest(provider=prov, include_usage=include_usage):
                    extra = {"stream_options": {"include_usage": True}} if include_usage else {}
                    st, hdrs, raw = self.stream(chat_body(model, stream=True, **extra))
                    self.check_stream(st, hdrs, raw, prov, include_usage)
                    last = self.last_upstream(prov)
                    if prov == "gemini":
                        self.assertIn(":streamGenerateContent", last["path"])
                    else:
                        self.assertTrue(json.loads(last["body"]).get("stream"), "upstream request must stream")

    def test_stream_is_relayed_incrementally(self):
        # the fake sleeps 150 ms between chunks: the first delta must reach us well before the end
        self.fake.fault("openai", "slow", count=1, ms=150)
        c = self.srv.conn()
        t0 = time.time()
        c.request("POST", CHAT, body=json.dumps(chat_body(PINS["openai"], stream=True)),
                  headers={"Authorization": "Bearer " + self.srv.user_key, "Content-Type": "application/json"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        first = r.readline()
        t_first = time.time() - t0
        rest = r.read()
        t_all = time.time() - t0
        c.close()
        self.assertTrue(first.startswith(b"data: "), first)
        self.assertGreater(t_all - t_first, 0.3, (t_first, t_all))
        self.assertEqual(parse_sse(first + rest)[-1], "[DONE]")

    def test_stream_failover_before_first_byte(self):
        for fault in ("503", "drop"):
            with self.subTest(fault=fault):
                self.fake.reset()
                self.fake.fault("openai", fault, count=-1)
                st, hdrs, raw = self.stream(chat_body("auto", stream=True))
                self.check_stream(st, hdrs, raw, "anthropic", False)

    def test_stream_failure_after_first_byte(self):
        for fault in ("drop_mid_stream", "stream_error"):
            for prov in ("openai", "anthropic", "gemini"):
                with self.subTest(fault=fault, provider=prov):
                    self.fake.reset()
                    self.fake.fault(prov, fault, count=1)
                    before = self.fake.call("GET", "/_stats")["requests"]
                    t0 = time.time()
                    # auto with the failing provider first: no failover once text went out
                    model = "auto" if prov == "openai" else PINS[prov]
                    st, hdrs, raw = self.stream(chat_body(model, stream=True))
                    self.assertLess(time.time() - t0, 10)
                    self.assertEqual(st, 200)
                    events = parse_sse(raw)
                    self.assertEqual(events[-1], "[DONE]")
                    err = events[-2]
                    self.assertIn("error", err, events)
                    self.assertIn("message", err["error"])
                    self.assertEqual(err["error"]["code"], "UPSTREAM_FAILED")
                    got = "".join(c["choices"][0]["delta"].get("content") or ""
                                  for c in events[:-2] if c.get("choices"))
                    self.assertTrue(got and EXPECTED.startswith(got), got)
                    after = self.fake.call("GET", "/_stats")["requests"]
                    for other in ("openai", "anthropic", "gemini"):
                        if other != prov:
                            self.assertEqual(after[other], before[other], "no failover after the first byte")

    def test_client_disconnect_mid_stream(self):
        # the client goes away while the upstream is still streaming: nothing hangs or leaks, the server goes on
        for model in (PINS["openai"], "slowchaos"):
            with self.subTest(model=model):
                self.fake.fault("openai", "slow", count=1, ms=200)
                c = self.srv.conn()
                c.request("POST", CHAT, body=json.dumps(chat_body(model, stream=True)),
                          headers={"Authorization": "Bearer " + self.srv.user_key,
                                   "Content-Type": "application/json"})
                r = c.getresponse()
                self.assertEqual(r.status, 200)
                self.assertTrue(r.readline().startswith(b"data: "))
                c.sock.close()
                c.close()
        time.sleep(1.5)
        st, hdrs, raw = self.stream(chat_body(PINS["openai"], stream=True))
        self.check_stream(st, hdrs, raw, "openai", False)

    def test_stream_without_upstream_usage_is_estimated(self):
        for prov in ("openai", "anthropic"):
            with self.subTest(provider=prov):
                self.fake.reset()
                self.fake.fault(prov, "no_usage", count=1)
                st, hdrs, raw = self.stream(chat_body(PINS[prov], stream=True,
                                                      stream_options={"include_usage": True}))
                self.check_stream(st, hdrs, raw, prov, True)

    def test_finish_reason_translated(self):
        # the providers' refusal / safety stops arrive as OpenAI's content_filter, plain and streamed
        for prov, stream in (("openai", False), ("anthropic", False), ("anthropic", True), ("gemini", False),
                             ("gemini", True)):
            with self.subTest(provider=prov, stream=stream):
                self.fake.reset()
                self.fake.fault(prov, "refusal", count=1)
                if not stream:
                    st, _, b = self.chat(chat_body(PINS[prov]))
                    self.assertEqual(st, 200, b)
                    self.assertEqual(b["choices"][0]["finish_reason"], "content_filter")
                else:
                    st, _, raw = self.stream(chat_body(PINS[prov], stream=True))
                    self.assertEqual(st, 200, raw)
                    events = parse_sse(raw)
                    self.assertEqual(events[-1], "[DONE]")
                    self.assertEqual(events[-2]["choices"][0]["finish_reason"], "content_filter")

    def test_parallel_streams_and_keep_alive(self):
        import threading
        results = []

        def one():
            c = self.srv.conn()
            try:
                for _ in range(2):  # two streams on one keep-alive connection
                    st, hdrs, raw = self.srv.request("POST", CHAT, chat_body(PINS["openai"], stream=True),
                                                     key=self.srv.user_key, conn=c)
                    results.append((st, hdrs, raw))
            finally:
                c.close()
        threads = [threading.Thread(target=one) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(len(results), 24)
        for st, hdrs, raw in results:
            self.check_stream(st, hdrs, raw, "openai", False)

    def test_plain_headers(self):
        st, hdrs, b = self.chat(chat_body(PINS["openai"]))
        self.assertEqual(st, 200, b)
        self.assertTrue(hdrs["content-type"].startswith("application/json"))
        self.assertIn("x-lf-overhead-us", hdrs)
        self.assertIn("x-request-id", hdrs)

    def test_stream_offline_provider_in_chunks(self):
        st, hdrs, raw = self.stream(chat_body("offline", stream=True, stream_options={"include_usage": True}))
        self.assertEqual(st, 200, raw)
        self.assertEqual(hdrs["x-lf-provider"], "offline")
        events = parse_sse(raw)
        self.assertEqual(events[-1], "[DONE]")
        chunks = events[:-1]
        self.assertEqual(chunks[0]["choices"][0]["delta"]["role"], "assistant")
        self.assertEqual(chunks[-1]["choices"], [])
        self.assertIn("usage", chunks[-1])
        self.assertEqual(chunks[-2]["choices"][0]["finish_reason"], "stop")
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
        self.assertTrue(text)
        # same text as the non-streaming answer
        st, _, b = self.chat(chat_body("offline"))
        self.assertEqual(st, 200, b)
        self.assertEqual(b["choices"][0]["message"]["content"], text)

    def test_stream_chaos_slow_stream_honours_chunk_delay(self):
        c = self.srv.conn()
        c.request("POST", CHAT, body=json.dumps(chat_body("slowchaos", stream=True)),
                  headers={"Authorization": "Bearer " + self.srv.user_key, "Content-Type": "application/json"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        times = []
        lines = []
        while True:
            line = r.readline()
            if not line:
                break
            if line.startswith(b"data: "):
                times.append(time.time())
                lines.append(line)
        c.close()
        self.assertEqual(lines[-1].strip(), b"data: [DONE]")
        contents = [json.loads(x[6:]) for x in lines[:-1]]
        n = len([x for x in contents if x["choices"] and x["choices"][0]["delta"].get("content")])
        self.assertGreater(n, 2)
        # n content chunks with 60 ms between them
        self.assertGreaterEqual(times[-1] - times[0], (n - 1) * 0.06 * 0.8)

    def test_stream_error_before_first_byte_is_plain_json(self):
        self.fake.fault("openai", "500", count=-1)
        st, hdrs, raw = self.stream(chat_body(PINS["openai"], stream=True))
        self.assertEqual(st, 502)
        self.assertTrue(hdrs["content-type"].startswith("application/json"))
        self.assertEqual(json.loads(raw)["error"]["code"], "UPSTREAM_FAILED")

    # ---- bad requests ----
    def test_bad_requests(self):
        good = chat_body("auto")
        cases = [
            ({k: v for k, v in good.items() if k != "model"}, "model"),
            (dict(good, model=""), "model"),
            (dict(good, model=42), "model"),
            (dict(good, model="no-such-model-anywhere"), "model"),
            ({k: v for k, v in good.items() if k != "messages"}, "messages"),
            (dict(good, messages=[]), "messages"),
            (dict(good, messages="hi"), "messages"),
            (dict(good, messages=[{"role": "wizard", "content": "x"}]), "messages[0].role"),
            (dict(good, messages=[{"role": "user"}]), "messages[0].content"),
            (dict(good, messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]),
             "messages[0].content"),
            (dict(good, messages=[{"role": "system", "content": "only system"}]), "messages"),
            (dict(good, temperature=3), "temperature"),
            (dict(good, temperature="hot"), "temperature"),
            (dict(good, top_p=1.5), "top_p"),
            (dict(good, max_tokens=0), "max_tokens"),
            (dict(good, max_tokens=1.5), "max_tokens"),
            (dict(good, max_completion_tokens=-1), "max_completion_tokens"),
            (dict(good, n=2), "n"),
            (dict(good, stream="yes"), "stream"),
            (dict(good, stream_options={"include_usage": "yes"}), "stream_options"),
            (dict(good, stop=[1]), "stop"),
            (dict(good, stop=["a", "b", "c", "d", "e"]), "stop"),
            (dict(good, tools=[{"type": "function", "function": {"name": "f"}}]), "tools"),
            (dict(good, response_format={"type": "json_schema"}), "response_format"),
            (dict(good, presence_penalty=5), "presence_penalty"),
        ]
        for body, field in cases:
            with self.subTest(field=field, body=body):
                st, _, b = self.chat(body)
                self.assertEqual(st, 400, b)
                self.assertEqual(b["error"]["code"], "INVALID_REQUEST")
                self.assertIn("request_id", b["error"])
                fields = [b["error"]["details"].get("field")] + [e["field"] for e in
                                                                 b["error"]["details"].get("errors", [])]
                self.assertIn(field, fields)
        # several problems at once are all named
        st, _, b = self.chat({"model": "auto", "messages": [], "temperature": 9, "n": 3})
        self.assertEqual(st, 400)
        fields = [e["field"] for e in b["error"]["details"]["errors"]]
        self.assertEqual(set(fields), {"messages", "temperature", "n"})
        self.assertIn("temperature", b["error"]["message"])
        # not JSON, no key
        st, _, b = self.srv.json("POST", CHAT, "{nope", key=self.srv.user_key)
        self.assertEqual(st, 400)
        st, _, b = self.srv.json("POST", CHAT, good)
        self.assertEqual(st, 401)


if __name__ == "__main__":
    unittest.main()
