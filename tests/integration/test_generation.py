# tests/integration/test_generation.py - generation end to end over HTTP with the offline provider
# SPDX-License-Identifier: MIT
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from jsonschema_mini import errors as schema_errors  # noqa: E402
from lfserver import ADMIN_KEY, SOURCE, USER_KEY, LfServer, default_config  # noqa: E402

TYPES = ["master_content_outline", "podcast_script", "study_guide", "one_pager_summary",
         "detailed_reading_material", "faq_collection", "flashcards", "reading_guide_questions"]
CT_DIR = os.path.join(SOURCE, "config", "content_types")


def schema_of(t, ct_dir=CT_DIR):
    with open(os.path.join(ct_dir, t, "schema.json")) as f:
        return json.load(f)


class Generation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = LfServer().start()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def gen(self, t, body, key=USER_KEY):
        return self.s.json("POST", "/api/v1/generate/" + t, body, key=key)

    def test_content_types_listing(self):
        st, _, b = self.s.json("GET", "/api/v1/content-types")
        self.assertEqual(st, 200)
        ids = [c["id"] for c in b["content_types"]]
        self.assertEqual(sorted(ids), sorted(TYPES))
        self.assertEqual(b["total_count"], 8)
        for c in b["content_types"]:
            for k in ("name", "description", "typical_use_cases", "estimated_generation_seconds", "output_schema"):
                self.assertIn(k, c)
            self.assertEqual(c["output_schema"], schema_of(c["id"]))

    def test_all_types_all_ages(self):
        for t in TYPES:
            for age in ("elementary", "high_school", "adult_learning"):
                st, h, b = self.gen(t, {"topic": "Photosynthesis in Plants", "age_group": age,
                                        "additional_requirements": "Include lab activities",
                                        "learning_objectives": [{"cognitive_level": "applying",
                                                                 "subject_area": "Biology",
                                                                 "specific_skill": "explain light reactions",
                                                                 "measurable_outcome": "label a diagram",
                                                                 "difficulty_level": 5}]})
                self.assertEqual(st, 200, (t, age, b))
                errs = schema_errors(schema_of(t), b["generated_content"])
                self.assertEqual(errs, [], (t, age, errs))
                self.assertEqual(b["content_type"], t)
                self.assertEqual(b["age_group"], age)
                self.assertIn("Photosynthesis", json.dumps(b["generated_content"]))
                m = b["metadata"]
                self.assertEqual(m["ai_provider"], "offline")
                self.assertEqual(m["cost_usd"], 0)
                self.assertEqual(m["prompt_template"], t + "@1")
                self.assertEqual(m["attempts"][0]["outcome"], "ok")
                self.assertFalse(m["cached"])
                self.assertEqual(m["regenerations"] if "regenerations" in m else 0, m.get("regenerations", 0))
                self.assertEqual(h["x-lf-provider"], "offline")
                self.assertEqual(h["x-lf-attempts"], "1")
                self.assertIn("x-lf-cost-usd", h)
                self.assertRegex(b["id"], r"^[0-9a-f-]{36}$")

    def test_age_group_changes_content(self):
        _, _, a = self.gen("study_guide", {"topic": "The water cycle", "age_group": "elementary"})
        _, _, c = self.gen("study_guide", {"topic": "The water cycle", "age_group": "college"})
        self.assertNotEqual(a["generated_content"], c["generated_content"])

    def test_deterministic(self):
        body = {"topic": "Volcanoes", "age_group": "middle_school"}
        _, _, a = self.gen("faq_collection", body)
        _, _, b = self.gen("faq_collection", body)
        self.assertEqual(a["generated_content"], b["generated_content"])
        self.assertNotEqual(a["id"], b["id"])

    def test_validation_rules_name_the_field(self):
        ok = {"topic": "Photosynthesis"}
        cases = [
            ({"topic": "ab"}, "topic"),
            ({"topic": "   ab   "}, "topic"),
            ({"topic": "x" * 501}, "topic"),
            ({"topic": 123}, "topic"),
            ({}, "topic"),
            ({"topic": "Photo\u0001synthesis"}, "topic"),
            (dict(ok, age_group="toddlers"), "age_group"),
            (dict(ok, additional_requirements="r" * 1001), "additional_requirements"),
            (dict(ok, learning_objectives=[{"cognitive_level": "applying", "subject_area": "B",
                                            "specific_skill": "s", "measurable_outcome": "m"}] * 11),
             "learning_objectives"),
            (dict(ok, learning_objectives=[{"cognitive_level": "guessing", "subject_area": "B",
                                            "specific_skill": "s", "measurable_outcome": "m"}]),
             "learning_objectives[0].cognitive_level"),
            (dict(ok, learning_objectives=[{"cognitive_level": "applying", "subject_area": "B",
                                            "specific_skill": "s", "measurable_outcome": "m",
                                            "difficulty_level": 11}]),
             "learning_objectives[0].difficulty_level"),
            (dict(ok, provider="nosuchprovider"), "provider"),
            (dict(ok, quality_gate="strict"), "quality_gate"),
            (dict(ok, max_cost_usd=-1), "max_cost_usd"),
        ]
        for body, field in cases:
            st, _, b = self.gen("flashcards", body)
            self.assertEqual(st, 400, (body, b))
            self.assertEqual(b["error"]["code"], "INVALID_REQUEST")
            self.assertEqual(b["error"]["details"]["field"], field, (body, b))
        # 500 code points of a multi-byte script are fine; 501 are not
        st, _, b = self.gen("flashcards", {"topic": "é" * 500})
        self.assertEqual(st, 200, b)
        st, _, b = self.gen("flashcards", {"topic": "é" * 501})
        self.assertEqual(st, 400)
        # invalid UTF-8
        st, _, raw = self.s.request("POST", "/api/v1/generate/flashcards", body=b'{"topic":"abc\xff\xfe"}',
                                    key=USER_KEY)
        self.assertEqual(st, 400)
        # unknown fields are ignored
        st, _, b = self.gen("flashcards", dict(ok, cache=True, something_else=[1, 2]))
        self.assertEqual(st, 200, b)

    def test_batch(self):
        st, _, b = self.s.json("POST", "/api/v1/generate/batch",
                               {"topic": "Photosynthesis", "age_group": "high_school",
                                "content_types": ["flashcards", "faq_collection", "study_guide"]}, key=USER_KEY)
        self.assertEqual(st, 200, b)
        self.assertEqual(sorted(b["results"]), ["faq_collection", "flashcards", "study_guide"])
        self.assertEqual(b["errors"], {})
        sm = b["summary"]
        self.assertEqual((sm["total_requested"], sm["successful"], sm["failed"]), (3, 3, 0))
        for k in ("average_quality_score", "total_cost_usd", "duration_ms"):
            self.assertIn(k, sm)
        self.assertTrue(b["batch_id"])
        for t, r in b["results"].items():
            self.assertEqual(schema_errors(schema_of(t), r["generated_content"]), [])

    def test_batch_validation(self):
        cases = [([], "content_types"), (["flashcards", "flashcards"], "content_types"),
                 (["flashcards", "nope"], "content_types"), (TYPES + ["flashcards"], "content_types"),
                 ("flashcards", "content_types"), (["batch"], "content_types")]
        for types, field in cases:
            st, _, b = self.s.json("POST", "/api/v1/generate/batch", {"topic": "Photosynthesis",
                                                                      "content_types": types}, key=USER_KEY)
            self.assertEqual(st, 400, (types, b))
            self.assertTrue(b["error"]["details"]["field"].startswith(field), b)


class BatchPartialFailure(unittest.TestCase):
    def test_partial_failure(self):
        cfg = default_config()
        cfg["providers"] = [{"name": "flaky", "plugin": "chaos",
                             "config": {"latency_ms": 0, "fail_first_n": 1, "mode": "upstream_5xx"}}]
        cfg["routing"] = {"max_attempts": 1}
        cfg["scorers"] = []
        with LfServer(config=cfg) as s:
            st, _, b = s.json("POST", "/api/v1/generate/batch",
                              {"topic": "Photosynthesis", "content_types": ["flashcards", "faq_collection",
                                                                            "one_pager_summary"]}, key=USER_KEY)
            self.assertEqual(st, 200, b)
            self.assertEqual(b["summary"]["failed"], 1, b)
            self.assertEqual(b["summary"]["successful"], 2, b)
            (t, err), = b["errors"].items()
            self.assertEqual(err["code"], "UPSTREAM_FAILED")
            self.assertEqual(err["details"]["attempts"][0]["outcome"], "upstream_5xx")
            self.assertNotIn(t, b["results"])


class NinthType(unittest.TestCase):
    GLOSSARY = {
        "type.json": {"id": "glossary", "name": "Glossary", "description": "Terms and meanings",
                      "typical_use_cases": ["vocabulary"], "estimated_generation_seconds": 20,
                      "expected_output_tokens": 600, "max_tokens": 1200, "template_version": 1},
        "schema.json": {"type": "object", "required": ["title", "entries"],
                        "properties": {"title": {"type": "string", "minLength": 1},
                                       "entries": {"type": "array", "minItems": 4, "maxItems": 12,
                                                   "items": {"type": "object", "required": ["word", "meaning"],
                                                             "properties": {"word": {"type": "string", "minLength": 1},
                                                                            "meaning": {"type": "string",
                                                                                        "minLength": 10}}}}}},
    }
    PROMPT = ("Content type: glossary\nWrite a glossary about {{topic}} for {{age_group}}.\n{{age_guidance}}\n"
              "{{additional_requirements}}\n{{learning_objectives}}\nReturn JSON matching:\n{{output_schema}}\n")

    def add_type(self, ct_dir):
        d = os.path.join(ct_dir, "glossary")
        os.makedirs(d)
        for name, content in self.GLOSSARY.items():
            with open(os.path.join(d, name), "w") as f:
                json.dump(content, f)
        with open(os.path.join(d, "prompt.txt"), "w") as f:
            f.write(self.PROMPT)

    def test_ninth_type_after_restart_and_reload(self):
        ct = tempfile.mkdtemp(prefix="lf-ct-")
        shutil.rmtree(ct)
        shutil.copytree(CT_DIR, ct)
        cfg = default_config()
        cfg["paths"]["content_types_dir"] = ct
        try:
            with LfServer(config=cfg) as s:
                st, _, b = s.json("POST", "/api/v1/generate/glossary", {"topic": "Photosynthesis"}, key=USER_KEY)
                self.assertEqual(st, 404)
                self.add_type(ct)
                st, _, b = s.json("POST", "/api/v1/admin/reload", key=ADMIN_KEY)
                self.assertEqual(st, 200, b)
                st, _, b = s.json("POST", "/api/v1/generate/glossary", {"topic": "Photosynthesis"}, key=USER_KEY)
                self.assertEqual(st, 200, b)
                self.assertEqual(schema_errors(self.GLOSSARY["schema.json"], b["generated_content"]), [])
            with LfServer(config=cfg) as s:   # a restart serves it too
                st, _, b = s.json("GET", "/api/v1/content-types")
                self.assertIn("glossary", [c["id"] for c in b["content_types"]])
                self.assertEqual(b["total_count"], 9)
                st, _, b = s.json("POST", "/api/v1/generate/glossary", {"topic": "Volcanoes"}, key=USER_KEY)
                self.assertEqual(st, 200, b)
        finally:
            shutil.rmtree(ct, ignore_errors=True)


class Cli(unittest.TestCase):
    def test_generate_and_plugins(self):
        import subprocess
        from lfserver import BINARY
        s = LfServer()
        s.write_config()
        env = dict(s.env, LA_FACTORIA_CONFIG=s.config_path)
        r = subprocess.run([BINARY, "generate", "flashcards", "--topic", "Photosynthesis", "--age-group",
                            "elementary"], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        b = json.loads(r.stdout)
        self.assertEqual(schema_errors(schema_of("flashcards"), b["generated_content"]), [])
        r = subprocess.run([BINARY, "generate", "flashcards", "--topic", "ab"], env=env, capture_output=True,
                           text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        r = subprocess.run([BINARY, "plugins"], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("offline", r.stdout)
        self.assertIn("readability", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
