# tests/integration/lfserver.py - start the real lafactoria binary for integration tests
# SPDX-License-Identifier: MIT
"""Helpers shared by the integration tests (python3 stdlib only).

    with LfServer(env={...}, config={...}) as s:
        status, headers, body = s.request("GET", "/health")
        s.json("POST", "/api/v1/generate/flashcards", {"topic": "x"}, key=s.user_key)

The server runs on an ephemeral port (PORT=0); its stderr line "LISTENING <port>" gives the port.
`config` (a dict) is written to a temporary file and passed as LA_FACTORIA_CONFIG; paths default to the
source tree and the build tree's plugins.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

BUILD = os.environ.get("LF_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
SOURCE = os.environ.get("LF_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.path.join(BUILD, "core", "lafactoria")
PLUGIN_DIR = os.path.join(BUILD, "lib", "lafactoria")

USER_KEY = "test-user-key-0123456789"
ADMIN_KEY = "test-admin-key-0123456789"


def default_config(**overrides):
    cfg = {
        "environment": "test",
        "server": {"host": "127.0.0.1", "port": 0, "workers": 2, "access_log": False,
                   "shutdown_timeout_ms": 5000},
        "paths": {"plugin_dir": PLUGIN_DIR,
                  "content_types_dir": os.path.join(SOURCE, "config", "content_types"),
                  "web_dir": os.path.join(SOURCE, "web"),
                  "migrations_dir": os.path.join(SOURCE, "migrations")},
        "rate_limits": {"requests_per_minute": 100000, "generations_per_hour": 100000},
        "providers": [{"name": "offline", "plugin": "offline", "enabled": "auto", "priority": 1000}],
    }
    for k, v in overrides.items():
        cfg[k] = v
    return cfg


class LfServer:
    def __init__(self, config=None, env=None, binary=BINARY, args=("serve",), user_key=USER_KEY,
                 admin_key=ADMIN_KEY, wait=True):
        self.config = config if config is not None else default_config()
        self.env = dict(os.environ)
        for k in ("PORT", "DATABASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY",
                  "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GEMINI_BASE_URL", "LA_FACTORIA_CONFIG",
                  "RATE_LIMIT_REQUESTS_PER_MINUTE", "RATE_LIMIT_GENERATIONS_PER_HOUR", "ENVIRONMENT"):
            self.env.pop(k, None)
        self.env["LA_FACTORIA_API_KEY"] = user_key
        self.env["LA_FACTORIA_ADMIN_KEY"] = admin_key
        if env:
            for k, v in env.items():
                if v is None:
                    self.env.pop(k, None)
                else:
                    self.env[k] = v
        self.user_key = user_key
        self.admin_key = admin_key
        self.binary = binary
        self.args = list(args)
        self.wait = wait
        self.proc = None
        self.port = None
        self.stdout_lines = []
        self.stderr_lines = []
        self.tmpdir = tempfile.mkdtemp(prefix="lf-it-")
        self.config_path = os.path.join(self.tmpdir, "lafactoria.json")

    def write_config(self, config=None):
        if config is not None:
            self.config = config
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            if isinstance(self.config, str):
                f.write(self.config)
            else:
                json.dump(self.config, f)
        os.replace(tmp, self.config_path)

    def start(self):
        self.write_config()
        self.env["LA_FACTORIA_CONFIG"] = self.config_path
        self.proc = subprocess.Popen([self.binary] + self.args, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        ready = threading.Event()

        def read_err():
            for line in self.proc.stderr:
                self.stderr_lines.append(line)
                if line.startswith("LISTENING "):
                    self.port = int(line.split()[1])
                    ready.set()
            ready.set()

        def read_out():
            for line in self.proc.stdout:
                self.stdout_lines.append(line)

        threading.Thread(target=read_err, daemon=True).start()
        threading.Thread(target=read_out, daemon=True).start()
        if self.wait:
            ready.wait(30)
            if self.port is None:
                self.proc.wait(5)
                raise RuntimeError("server did not start: " + "".join(self.stderr_lines[-20:]))
        return self

    def __enter__(self):
        return self.start()

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __exit__(self, *exc):
        self.stop()

    def conn(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, key=None, conn=None, content_type="application/json"):
        """Returns (status, headers dict with lower-case names, body bytes)."""
        h = dict(headers or {})
        if key is not None:
            h["Authorization"] = "Bearer " + key
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if body is not None and content_type is not None and "Content-Type" not in h:
            h["Content-Type"] = content_type
        own = conn is None
        c = conn or self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if own:
                c.close()

    def json(self, method, path, body=None, key=None, headers=None, conn=None):
        status, hdrs, data = self.request(method, path, body=body, key=key, headers=headers, conn=conn)
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = {"_raw": data.decode("utf-8", "replace")}
        return status, hdrs, parsed

    def logs(self):
        return "".join(self.stdout_lines)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_until(pred, timeout=10.0, interval=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(interval)
    return False


class FakeUpstreams:
    """tests/fakes/fake_upstreams.py in a child process."""

    def __init__(self, port=0):
        self.proc = subprocess.Popen([sys.executable, os.path.join(SOURCE, "tests", "fakes", "fake_upstreams.py"),
                                      str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError("fake upstreams did not start: %r" % line)
        self.port = int(line.split()[1])
        self.base = "http://127.0.0.1:%d" % self.port

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return json.loads(raw) if raw else None

    def fault(self, provider, fault, count=-1, **kw):
        self.call("POST", "/_control", dict({"provider": provider, "fault": fault, "count": count}, **kw))

    def reset(self):
        self.call("POST", "/_reset", {})

    def stats(self):
        return self.call("GET", "/_stats")

    def requests(self, provider):
        return self.stats()["requests"].get(provider, 0)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
