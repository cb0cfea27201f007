# tests/integration/test_quality_gate.py - the quality pipeline and gate through the real server
# SPDX-License-Identifier: MIT
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import BUILD, PLUGIN_DIR, USER_KEY, LfServer, default_config  # noqa: E402

SCORERS = ["readability", "structure", "pedagogy", "engagement", "factuality"]
GEN = "/api/v1/generate/study_guide"
BODY = {"topic": "Photosynthesis in Plants", "age_group": "high_school"}


def with_scorers(cfg, names=SCORERS):
    cfg["scorers"] = [{"name": n, "plugin": n} for n in names]
    return cfg


class Pipeline(unittest.TestCase):
    def test_quality_metrics_shape(self):
        with LfServer(config=with_scorers(default_config())) as s:
            st, _, b = s.json("POST", GEN, BODY, key=USER_KEY)
            self.assertEqual(st, 200, b)
            q = b["quality_metrics"]
            for k in ("overall_quality_score", "educational_effectiveness", "factual_accuracy",
                      "age_appropriateness", "structural_quality", "engagement"):
                self.assertGreaterEqual(q[k], 0.0, k)
                self.assertLessEqual(q[k], 1.0, k)
            self.assertIn("flesch_reading_ease", q["readability"])
            self.assertIn("flesch_kincaid_grade", q["readability"])
            for k in ("intrinsic", "extraneous", "germane"):
                self.assertIn(k, q["cognitive_load"])
            self.assertEqual(set(q["meets_thresholds"]), {"overall", "educational", "factual"})
            names = [x["name"] for x in q["scorers"]]
            self.assertEqual(sorted(names), sorted(SCORERS))
            for x in q["scorers"]:
                self.assertIn("version", x)
                self.assertIn("duration_us", x)
                self.assertIn("scores", x)

    def test_no_scorer_no_numbers(self):
        cfg = default_config()
        cfg["scorers"] = []
        with LfServer(config=cfg) as s:
            st, _, b = s.json("POST", GEN, BODY, key=USER_KEY)
            self.assertEqual(st, 200)
            self.assertIsNone(b["quality_metrics"])  # never invented

    def test_misbehaving_scorers_contained(self):
        d = tempfile.mkdtemp(prefix="lf-plugins-")
        try:
            os.makedirs(os.path.join(d, "providers"))
            os.makedirs(os.path.join(d, "scorers"))
            shutil.copy(os.path.join(PLUGIN_DIR, "providers", "offline.so"), os.path.join(d, "providers"))
            shutil.copy(os.path.join(PLUGIN_DIR, "scorers", "readability.so"), os.path.join(d, "scorers"))
            for bad in ("nan", "over1", "error"):
                shutil.copy(os.path.join(BUILD, "tests", "plugins", "bad_scorers", bad + ".so"),
                            os.path.join(d, "scorers"))
            cfg = default_config()
            cfg["paths"]["plugin_dir"] = d
            with_scorers(cfg, ["readability", "nan", "over1", "error"])
            with LfServer(config=cfg) as s:
                st, _, b = s.json("POST", GEN, BODY, key=USER_KEY)
                self.assertEqual(st, 200, b)
                q = b["quality_metrics"]
                by = {x["name"]: x for x in q["scorers"]}
                for bad in ("nan", "over1", "error"):
                    self.assertIn("error", by[bad], by[bad])
                self.assertNotIn("error", by["readability"])
                self.assertGreaterEqual(q["overall_quality_score"], 0)
                self.assertLessEqual(q["overall_quality_score"], 1)
                # the server still serves
                self.assertEqual(s.request("GET", "/health")[0], 200)
        finally:
            shutil.rmtree(d, ignore_errors=True)


class Assess(unittest.TestCase):
    def test_assess(self):
        with LfServer(config=with_scorers(default_config())) as s:
            st, _, g = s.json("POST", GEN, BODY, key=USER_KEY)
            self.assertEqual(st, 200)
            req = {"content_type": "study_guide", "age_group": "high_school", "content": g["generated_content"]}
            st, _, b = s.json("POST", "/api/v1/quality/assess", req, key=USER_KEY)
            self.assertEqual(st, 200, b)
            self.assertTrue(b["schema"]["valid"])
            # the same content scores the same through both paths
            self.assertEqual(b["quality_metrics"]["overall_quality_score"],
                             g["quality_metrics"]["overall_quality_score"])
            # content that breaks the schema is assessed, with structural findings, never a 500
            st, _, b = s.json("POST", "/api/v1/quality/assess",
                              {"content_type": "flashcards", "content": {"title": "Cards", "items": []}},
                              key=USER_KEY)
            self.assertEqual(st, 200, b)
            self.assertFalse(b["schema"]["valid"])
            self.assertTrue(b["schema"]["errors"])
            self.assertLess(b["quality_metrics"]["structural_quality"], 1.0)
            self.assertFalse(b["quality_metrics"]["structure"]["schema_valid"])
            for bad, field in ((dict(req, content_type="nope"), "content_type"), (dict(req, content="x"), "content"),
                               (dict(req, age_group="babies"), "age_group")):
                st, _, b = s.json("POST", "/api/v1/quality/assess", bad, key=USER_KEY)
                self.assertEqual(st, 400, b)
                self.assertEqual(b["error"]["details"]["field"], field)
            st, _, _ = s.json("POST", "/api/v1/quality/assess", req)
            self.assertEqual(st, 401)


class Gate(unittest.TestCase):
    def two_providers(self, gate, regen):
        cfg = with_scorers(default_config())
        cfg["providers"] = [{"name": "first", "plugin": "chaos", "priority": 1, "config": {"latency_ms": 0}},
                            {"name": "second", "plugin": "chaos", "priority": 2, "config": {"latency_ms": 0}}]
        cfg["routing"] = {"strategy": "priority", "max_attempts": 3}
        cfg["quality"] = {"gate": gate, "max_regenerations": regen,
                          "thresholds": {"overall": 0.999, "educational": 0.999, "factual": 0.999}}
        return cfg

    def test_best_effort_regenerates_on_another_provider(self):
        with LfServer(config=self.two_providers("best_effort", 1)) as s:
            st, _, b = s.json("POST", GEN, BODY, key=USER_KEY)
            self.assertEqual(st, 200, b)
            m = b["metadata"]
            self.assertEqual(m["regenerations"], 1)
            self.assertEqual([a["provider"] for a in m["attempts"]], ["first", "second"])
            self.assertFalse(b["quality_metrics"]["meets_thresholds"]["overall"])

    def test_request_reject_gate(self):
        with LfServer(config=self.two_providers("best_effort", 1)) as s:
            st, _, b = s.json("POST", GEN, dict(BODY, quality_gate="reject"), key=USER_KEY)
            self.assertEqual(st, 422, b)
            e = b["error"]
            self.assertEqual(e["code"], "QUALITY_BELOW_THRESHOLD")
            self.assertIn("overall_quality_score", e["details"]["quality_metrics"])
            self.assertEqual(e["details"]["regenerations"], 1)

    def test_passing_content_is_not_regenerated(self):
        cfg = self.two_providers("best_effort", 2)
        cfg["quality"]["thresholds"] = {"overall": 0.0, "educational": 0.0, "factual": 0.0}
        with LfServer(config=cfg) as s:
            st, _, b = s.json("POST", GEN, dict(BODY, quality_gate="reject"), key=USER_KEY)
            self.assertEqual(st, 200, b)
            self.assertEqual(b["metadata"]["regenerations"], 0)
            self.assertEqual(len(b["metadata"]["attempts"]), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
