# tests/integration/test_custom_scorer_reload.py - a scorer built out of tree against the installed SDK is
# dropped into the plugin directory and loaded by the running server after a reload (no rebuild, no restart)
# SPDX-License-Identifier: MIT
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import ADMIN_KEY, BUILD, PLUGIN_DIR, USER_KEY, LfServer, default_config  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class CustomScorerReload(unittest.TestCase):
    def test_build_drop_reload(self):
        work = tempfile.mkdtemp(prefix="lf-custom-")
        plugins = os.path.join(work, "plugins")
        try:
            os.makedirs(os.path.join(plugins, "providers"))
            os.makedirs(os.path.join(plugins, "scorers"))
            shutil.copy(os.path.join(PLUGIN_DIR, "providers", "offline.so"), os.path.join(plugins, "providers"))
            shutil.copy(os.path.join(PLUGIN_DIR, "scorers", "readability.so"), os.path.join(plugins, "scorers"))
            cfg = default_config()
            cfg["paths"]["plugin_dir"] = plugins
            cfg["scorers"] = [{"name": "readability", "plugin": "readability"},
                              {"name": "wordcount", "plugin": "wordcount", "weight": 1.0,
                               "config": {"max_words": 4000}}]
            with LfServer(config=cfg) as s:
                st, _, b = s.json("GET", "/api/v1/scorers", key=USER_KEY)
                self.assertEqual(st, 200)
                wc = [x for x in b["scorers"] if x["name"] == "wordcount"][0]
                self.assertFalse(wc["enabled"])
                self.assertIn("not loaded", wc["disabled_reason"])

                r = subprocess.run(["sh", os.path.join(HERE, "custom_scorer_build.sh"), BUILD,
                                    os.path.join(work, "sdk")], capture_output=True, text=True, timeout=300)
                self.assertEqual(r.returncode, 0, r.stderr)
                so = r.stdout.strip().splitlines()[-1]
                self.assertTrue(os.path.isfile(so), so)
                # drop it in the way an operator should: copy under a temporary name, then rename
                tmp = os.path.join(plugins, "scorers", ".wordcount.so.tmp")
                shutil.copy(so, tmp)
                os.rename(tmp, os.path.join(plugins, "scorers", "wordcount.so"))

                st, _, b = s.json("POST", "/api/v1/admin/reload", key=ADMIN_KEY)
                self.assertEqual(st, 200, b)
                self.assertIn("wordcount", [x["name"] for x in b["loaded"]])
                self.assertIn("readability", [x["name"] for x in b["unchanged"]])

                st, _, b = s.json("GET", "/api/v1/scorers", key=USER_KEY)
                wc = [x for x in b["scorers"] if x["name"] == "wordcount"][0]
                self.assertTrue(wc["enabled"], wc)
                self.assertTrue(wc["version"])

                st, _, b = s.json("POST", "/api/v1/generate/study_guide", {"topic": "Photosynthesis"}, key=USER_KEY)
                self.assertEqual(st, 200, b)
                names = [x["name"] for x in b["quality_metrics"]["scorers"]]
                self.assertIn("wordcount", names)
                entry = [x for x in b["quality_metrics"]["scorers"] if x["name"] == "wordcount"][0]
                self.assertNotIn("error", entry)
                self.assertIn("length_fit", entry["scores"])
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
