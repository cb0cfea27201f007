# tests/integration/test_openai_sdk.py - the official `openai` npm package against the real server and fake
# upstreams (tests/e2e/openai_sdk.test.mjs): chat.completions.create plain and streaming, models.list()
# SPDX-License-Identifier: MIT
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import SOURCE, LfServer  # noqa: E402
from lfserver import FakeUpstreams  # noqa: E402
from test_v1 import make_config  # noqa: E402

E2E = os.path.join(SOURCE, "tests", "e2e")
MODELS = "auto,openai/gpt-4o-mini,anthropic/claude-3-5-haiku-latest,gemini/gemini-2.0-flash,offline/offline-1"


class OpenAISdk(unittest.TestCase):
    def test_official_sdk(self):
        node = shutil.which("node")
        npm = shutil.which("npm")
        self.assertIsNotNone(node, "node is required for the OpenAI SDK test (apt-get install nodejs npm)")
        if not os.path.isfile(os.path.join(E2E, "node_modules", "openai", "package.json")):
            self.assertIsNotNone(npm, "npm is required to install the openai package")
            r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=E2E,
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, 0, "npm ci failed: " + r.stderr[-2000:])
        fake = FakeUpstreams()
        try:
            with LfServer(config=make_config(fake.base)) as s:
                env = dict(os.environ, LF_V1_BASE_URL="http://127.0.0.1:%d/v1" % s.port, LF_API_KEY=s.user_key,
                           LF_V1_MODELS=MODELS, LF_V1_ECHO="0")
                r = subprocess.run([node, "--test", "--test-concurrency=1", "openai_sdk.test.mjs"], cwd=E2E,
                                   env=env, capture_output=True, text=True, timeout=300)
                out = r.stdout + r.stderr
                self.assertEqual(r.returncode, 0, out[-6000:])
                # every test ran and passed (node --test prints a summary)
                self.assertIn("# fail 0", out)
                self.assertNotIn("# pass 0", out)
        finally:
            fake.stop()


if __name__ == "__main__":
    unittest.main()
