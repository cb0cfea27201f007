# tests/integration/test_upstream_h2.py - provider calls over HTTPS with HTTP/2 (a private CA via tls_ca_file,
# many calls multiplexed on few connections, streamed and large answers), "http_version": "1.1", and bursts larger
# than one loop iteration's start budget (deferred starts)
# SPDX-License-Identifier: MIT
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import BINARY, LfServer, USER_KEY, default_config, free_port  # noqa: E402

HERE = os.path.dirname(__file__)
MAKE_NGINX = os.path.join(HERE, "..", "..", "bench", "overhead", "make_nginx_conf.py")
BODY = json.dumps({"topic": "Photosynthesis in Plants", "age_group": "high_school"})
STREAM_TEXT = ["Hello", " over", " HTTP/2", "."]
BIG_TEXT = ("Photosynthesis converts light energy into chemical energy. " * 210)[:12000]
SSE_CHUNKS = ([{"id": "chatcmpl-h2", "object": "chat.completion.chunk", "created": 1764374400, "model": "gpt-4o-mini",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}] +
              [{"id": "chatcmpl-h2", "object": "chat.completion.chunk", "created": 1764374400, "model": "gpt-4o-mini",
                "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}]} for t in STREAM_TEXT] +
              [{"id": "chatcmpl-h2", "object": "chat.completion.chunk", "created": 1764374400, "model": "gpt-4o-mini",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}])


class Nginx:
    """nginx answering POST /v1/chat/completions with a valid flashcards completion after delay_ms, over HTTPS
    with HTTP/2 and a fresh self-signed certificate for 127.0.0.1; logs the protocol and connection of each
    request."""

    def __init__(self, delay_ms):
        self.dir = tempfile.mkdtemp(prefix="lf-h2-")
        self.port = free_port()
        subprocess.run([sys.executable, MAKE_NGINX, self.dir, str(self.port), "flashcards", str(delay_ms), "h2"],
                       check=True)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf) as f:
            text = f.read()
        text = text.replace("    access_log off;",
                            "    log_format lf '$server_protocol $connection';\n"
                            "    access_log %s/access.log lf;" % self.dir)
        # a streamed answer in OpenAI's chunk format under /sse/v1 (a second provider instance points there)
        sse = "".join("data: %s\n\n" % json.dumps(c) for c in SSE_CHUNKS) + "data: [DONE]\n\n"
        # a 12 KB answer under /big/v1 (longer than curl's 4 KiB receive buffer; nginx limits one parameter to
        # 4 KB, so it is echoed in pieces)
        big = json.dumps({"id": "chatcmpl-big", "object": "chat.completion", "created": 1764374400,
                          "model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant",
                          "content": BIG_TEXT}, "finish_reason": "stop"}],
                          "usage": {"prompt_tokens": 10, "completion_tokens": 3000, "total_tokens": 3010}})
        pieces = "".join("            echo -n '%s';\n" % big[i:i + 3000] for i in range(0, len(big), 3000))
        text = text.replace("        location = /v1/chat/completions {",
                            "        location = /big/v1/chat/completions {\n"
                            "            default_type application/json;\n"
                            "            echo_sleep 0.05;\n" + pieces +
                            "        }\n"
                            "        location = /v1/chat/completions {")
        text = text.replace("        location = /v1/chat/completions {",
                            "        location = /sse/v1/chat/completions {\n"
                            "            default_type text/event-stream;\n"
                            "            return 200 '%s';\n"
                            "        }\n"
                            "        location = /v1/chat/completions {" % sse.replace("\n", "\\n"))
        with open(conf, "w") as f:
            f.write(text)
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", self.dir], stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def cert(self):
        return os.path.join(self.dir, "cert.pem")

    def log(self):
        with open(os.path.join(self.dir, "access.log")) as f:
            return [line.split() for line in f if line.strip()]

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def provider(ng, **extra):
    p = {"name": "openai", "plugin": "openai", "retry": {"attempts": 0},
         "config": {"api_key": "test-openai-key", "base_url": "https://127.0.0.1:%d/v1" % ng.port,
                    "model": "gpt-4o-mini"}}
    p.update(extra)
    return p


def config_for(providers):
    cfg = default_config()
    cfg["providers"] = providers
    cfg["routing"] = {"strategy": "priority", "max_attempts": 1}
    cfg["scorers"] = []
    return cfg


def parallel_generate(s, n):
    out = [None] * n

    def one(i):
        c = s.conn(60)
        try:
            st, _, body = s.request("POST", "/api/v1/generate/flashcards", BODY, key=USER_KEY, conn=c)
            out[i] = (st, body)
        except OSError as e:
            out[i] = (0, str(e))
        finally:
            c.close()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


@unittest.skipUnless(shutil.which("nginx") and shutil.which("openssl"), "nginx and openssl are needed")
class UpstreamHttp2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ng = Nginx(300)

    @classmethod
    def tearDownClass(cls):
        cls.ng.close()

    def test_h2_multiplexes_calls_in_flight(self):
        before = len(self.ng.log())
        with LfServer(config=config_for([provider(self.ng, tls_ca_file=self.ng.cert())])) as s:
            res = parallel_generate(s, 60)
            for st, body in res:
                self.assertEqual(st, 200, body)
                self.assertEqual(json.loads(body)["metadata"]["ai_provider"], "openai")
        lines = self.ng.log()[before:]
        self.assertEqual(len(lines), 60)
        self.assertTrue(all(p == "HTTP/2.0" for p, _ in lines), lines[:3])
        # 60 calls held open together (300 ms upstream) over HTTP/2: a few connections, not one per call
        self.assertLessEqual(len({c for _, c in lines}), 10, lines)

    def test_stream_relayed_over_h2(self):
        before = len(self.ng.log())
        sse = provider(self.ng, tls_ca_file=self.ng.cert())
        sse["name"] = "ssebackend"
        sse["config"]["base_url"] = "https://127.0.0.1:%d/sse/v1" % self.ng.port
        with LfServer(config=config_for([sse])) as s:
            body = {"model": "ssebackend/gpt-4o-mini", "stream": True,
                    "messages": [{"role": "user", "content": "Say hello."}]}
            st, hdrs, raw = s.request("POST", "/v1/chat/completions", body, key=USER_KEY)
            self.assertEqual(st, 200, raw)
            self.assertTrue(hdrs["content-type"].startswith("text/event-stream"), hdrs)
            events = [line[6:] for line in raw.decode().split("\n") if line.startswith("data: ")]
            self.assertEqual(events[-1], "[DONE]")
            chunks = [json.loads(e) for e in events[:-1]]
            text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
            self.assertEqual(text, "".join(STREAM_TEXT))
            self.assertEqual(chunks[-1]["choices"][0]["finish_reason"], "stop")
        lines = self.ng.log()[before:]
        self.assertEqual([p for p, _ in lines], ["HTTP/2.0"])

    def test_large_answers_many_waves(self):
        # Answers longer than the receive buffer, 100 calls at once on one worker, three waves: reusing the easy
        # handle of a finished HTTP/2 transfer for the next call crashed the gateway here (libcurl 7.88 still
        # delivered frames of the old stream to it); such handles are now not reused.
        big = provider(self.ng, tls_ca_file=self.ng.cert())
        big["name"] = "bigbackend"
        big["config"]["base_url"] = "https://127.0.0.1:%d/big/v1" % self.ng.port
        cfg = config_for([big])
        cfg["server"]["workers"] = 1
        body = json.dumps({"model": "bigbackend/gpt-4o-mini", "messages": [{"role": "user", "content": "Explain."}]})
        with LfServer(config=cfg) as s:
            for wave in range(3):
                out = [None] * 100

                def one(i):
                    c = s.conn(60)
                    try:
                        out[i] = s.request("POST", "/v1/chat/completions", body, key=USER_KEY, conn=c)
                    except OSError as e:
                        out[i] = (0, {}, str(e).encode())
                    finally:
                        c.close()
                threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                for st, _, raw in out:
                    self.assertEqual(st, 200, (wave, raw[:300]))
                    self.assertEqual(json.loads(raw)["choices"][0]["message"]["content"], BIG_TEXT)
            self.assertIsNone(s.proc.poll(), "the gateway exited")

    def test_http_1_1_forced(self):
        before = len(self.ng.log())
        with LfServer(config=config_for([provider(self.ng, tls_ca_file=self.ng.cert(), http_version="1.1")])) as s:
            st, _, body = s.request("POST", "/api/v1/generate/flashcards", BODY, key=USER_KEY)
            self.assertEqual(st, 200, body)
        self.assertEqual([p for p, _ in self.ng.log()[before:]], ["HTTP/1.1"])

    def test_untrusted_certificate_is_a_connect_error(self):
        # without the private CA the system store does not trust the upstream: the call fails, it is not sent
        before = len(self.ng.log())
        with LfServer(config=config_for([provider(self.ng)])) as s:
            st, _, body = s.request("POST", "/api/v1/generate/flashcards", BODY, key=USER_KEY)
            self.assertEqual(st, 502, body)
            attempts = json.loads(body)["error"]["details"]["attempts"]
            self.assertEqual(attempts[0]["outcome"], "connect_error")
        self.assertEqual(len(self.ng.log()), before)

    def test_config_rejects_unreadable_ca_file_and_bad_version(self):
        for extra, needle in (({"tls_ca_file": "/nonexistent/ca.pem"}, "$.providers[0].tls_ca_file"),
                              ({"http_version": "3"}, "$.providers[0].http_version")):
            s = LfServer(config=config_for([provider(self.ng, **extra)]))
            s.write_config()
            r = subprocess.run([BINARY, "check-config"], env=dict(s.env, LA_FACTORIA_CONFIG=s.config_path),
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn(needle, r.stderr)


class DeferredStartsTest(unittest.TestCase):
    """More generation starts than one loop iteration's budget: later ones wait for the next iterations
    (lafactoria_deferred_starts_total counts them) and every one is answered."""

    def deferred(self, s):
        st, _, data = s.request("GET", "/metrics")
        self.assertEqual(st, 200)
        for line in data.decode().splitlines():
            if line.startswith("lafactoria_deferred_starts_total "):
                return int(float(line.split()[1]))
        self.fail("lafactoria_deferred_starts_total missing")

    def test_burst_all_answered(self):
        cfg = default_config(scorers=[])
        cfg["server"]["workers"] = 1
        cfg["providers"] = [{"name": "slow", "plugin": "chaos",
                             "config": {"latency_ms": 200, "error_ratio": 0.0}}]
        with LfServer(config=cfg) as s:
            self.assertEqual(self.deferred(s), 0)
            req = ("POST /api/v1/generate/flashcards HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (USER_KEY, len(BODY), BODY))
            socks = [socket.create_connection(("127.0.0.1", s.port), timeout=60) for _ in range(300)]
            for c in socks:  # all written before any is read: one burst for the single worker
                c.sendall(req.encode())
            statuses = []
            for c in socks:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                statuses.append(data.split(b" ", 2)[1] if data else b"closed")
                c.close()
            self.assertEqual(statuses, [b"200"] * 300)
            # 300 starts cannot all fit in 1 ms of one iteration: some were deferred
            self.assertGreater(self.deferred(s), 0)
            st, _, body = s.request("POST", "/api/v1/generate/flashcards", BODY, key=USER_KEY)
            self.assertEqual(st, 200, body)


if __name__ == "__main__":
    unittest.main()
