# tests/integration/test_browser.py - the web pages in headless Chromium against the real gateway (offline provider)
# SPDX-License-Identifier: MIT
"""Starts the real server with the offline provider and the five scorers, then runs tests/e2e/run.sh
(npm ci, redocly lint of web/openapi.json, node --test ui.test.mjs driving Debian's chromium through
playwright-core) with LF_BASE_URL and LF_API_KEY pointing at it. Screenshots go to
<LF_BUILD_DIR>/e2e-artifacts. Fails (never skips) when node, npm or chromium are missing: .ci/run installs them.
"""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import BUILD, SOURCE, USER_KEY, LfServer, default_config  # noqa: E402
from pg_helpers import PgCluster  # noqa: E402
import tempfile  # noqa: E402

SCORERS = [{"name": n, "plugin": n} for n in ("readability", "structure", "pedagogy", "engagement", "factuality")]
SCREENSHOTS = ("ui-flashcards-flipped.png", "ui-podcast-script.png", "ui-error-401.png", "ui-batch-faq.png",
               "dashboard.png", "docs.png")


class Browser(unittest.TestCase):
    def test_pages_in_chromium(self):
        chromium = os.environ.get("LF_CHROMIUM", "/usr/bin/chromium")
        self.assertIsNotNone(shutil.which("node"), "node is missing (Debian package nodejs)")
        self.assertIsNotNone(shutil.which("npm"), "npm is missing (Debian package npm)")
        self.assertTrue(os.access(chromium, os.X_OK), "chromium is missing at %s (Debian package chromium)" % chromium)
        artifacts = os.path.join(os.path.abspath(BUILD), "e2e-artifacts")
        os.makedirs(artifacts, exist_ok=True)
        for name in SCREENSHOTS:
            try:
                os.unlink(os.path.join(artifacts, name))
            except FileNotFoundError:
                pass
        cfg = default_config()
        cfg["scorers"] = SCORERS
        # the UI tests generate a dozen items and the dashboard polls: keep the per-key limits out of the way
        cfg["rate_limits"] = {"requests_per_minute": 100000, "generations_per_hour": 100000}
        # the pages are tested as a newcomer gets them from scripts/run.sh: with a database
        pg = PgCluster().start()
        self.addCleanup(pg.stop)
        journal = tempfile.mkdtemp(prefix="lf-journal-")
        self.addCleanup(shutil.rmtree, journal, True)
        with LfServer(config=cfg, env={"LF_OPS_TICK_MS": "1000", "DATABASE_URL": pg.conninfo(),
                                       "LA_FACTORIA_JOURNAL_DIR": journal}) as s:
            env = dict(os.environ)
            env.update({"LF_BASE_URL": "http://127.0.0.1:%d" % s.port, "LF_API_KEY": USER_KEY,
                        "LF_ARTIFACT_DIR": artifacts, "LF_CHROMIUM": chromium})
            p = subprocess.run(["bash", os.path.join(SOURCE, "tests", "e2e", "run.sh")], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=1200)
            out = p.stdout.decode("utf-8", "replace")
            server_errors = [l for l in s.logs().splitlines() if '"level":"error"' in l]
        sys.stdout.write(out[-20000:])
        self.assertEqual(p.returncode, 0, "tests/e2e/run.sh failed against the real gateway:\n" + out[-8000:] +
                         ("\nserver errors:\n" + "\n".join(server_errors[-20:]) if server_errors else ""))
        self.assertRegex(out, r"(?m)^# fail 0$")
        missing = [n for n in SCREENSHOTS if not os.path.isfile(os.path.join(artifacts, n))]
        self.assertEqual(missing, [], "screenshots not written to " + artifacts)


if __name__ == "__main__":
    unittest.main()
