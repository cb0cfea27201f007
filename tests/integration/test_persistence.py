# tests/integration/test_persistence.py - stored content, users/keys, GDPR, runbook SQL and outages over real HTTP + PostgreSQL
# SPDX-License-Identifier: MIT
"""The gateway against a throwaway PostgreSQL cluster (scripts/pg-test.sh; never a mock).

Every generation answered 200 must be stored exactly once, the runbook's SQL must tell the truth about what the
test generated, database keys must authenticate (and stop at once when revoked), export/erasure must really
remove every linked row, and generation must keep working while PostgreSQL is down.
"""
import json
import os
import sys
import tempfile
import threading
import time
import unittest
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import ADMIN_KEY, USER_KEY, LfServer, default_config, wait_until  # noqa: E402
from pg_helpers import PgCluster  # noqa: E402

SYSTEM_USER = "00000000-0000-0000-0000-000000000001"
TYPES = ["flashcards", "study_guide", "faq_collection", "one_pager_summary"]
RUNBOOK = {
    "total": "SELECT COUNT(*) as total_content FROM educational_content;",
    "recent": ("SELECT COUNT(*) as recent_content \nFROM educational_content \n"
               "WHERE created_at >= NOW() - INTERVAL '24 hours';"),
    "quality": ("SELECT \n    AVG(quality_score) as avg_quality,\n    AVG(educational_effectiveness) as avg_educational,\n"
                "    AVG(factual_accuracy) as avg_accuracy\nFROM educational_content \n"
                "WHERE created_at >= NOW() - INTERVAL '7 days';"),
    "types": ("SELECT \n    content_type,\n    COUNT(*) as count,\n    AVG(quality_score) as avg_quality\n"
              "FROM educational_content \nGROUP BY content_type \nORDER BY count DESC;"),
    "perf": ("SELECT \n    content_type,\n    AVG(generation_duration_ms) as avg_duration,\n"
             "    MIN(generation_duration_ms) as min_duration,\n    MAX(generation_duration_ms) as max_duration\n"
             "FROM educational_content \nWHERE generation_duration_ms IS NOT NULL\nGROUP BY content_type;"),
}
LINKED = ["educational_content", "quality_assessments", "content_feedback", "api_usage",
          "content_generation_sessions", "provider_attempts", "api_keys"]


SCORERS = ["readability", "structure", "pedagogy", "engagement", "factuality"]


def scored_config():
    cfg = default_config()
    cfg["scorers"] = [{"name": n, "plugin": n} for n in SCORERS]
    return cfg


def q2(x):
    """A score as NUMERIC(3,2) stores it (PostgreSQL rounds half away from zero)."""
    return Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def mean(xs):
    xs = list(xs)
    return sum(xs, Decimal(0)) / len(xs)


class PgTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = PgCluster().start()

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()

    def server(self, db, journal=None, **kw):
        self.journal = journal or tempfile.mkdtemp(prefix="lf-journal-")
        env = {"DATABASE_URL": self.pg.conninfo(db), "LA_FACTORIA_JOURNAL_DIR": self.journal}
        return LfServer(config=kw.pop("config", None) or default_config(), env=env, **kw)

    def gen(self, s, t, topic, key=USER_KEY, age="high_school"):
        return s.json("POST", "/api/v1/generate/" + t, {"topic": topic, "age_group": age}, key=key)

    def wait_rows(self, db, sql, want, timeout=20):
        got = [None]

        def ok():
            got[0] = self.pg.scalar(sql, db)
            return got[0] == str(want)
        if not wait_until(ok, timeout, 0.1):
            self.fail("%s: %s rows, expected %s" % (sql, got[0], want))


class StoredContent(PgTest):
    def test_generations_runbook_and_content_endpoints(self):
        db = "it_persist_content"
        self.pg.create_database(db)
        with self.server(db, config=scored_config()) as s:
            singles = []
            for i in range(12):
                t = TYPES[i % len(TYPES)]
                st, _, b = self.gen(s, t, "Photosynthesis in plants %d" % i, age="high_school" if i % 2 else "college")
                self.assertEqual(st, 200, b)
                singles.append(b)
            batches = []
            for i in range(2):
                st, _, b = s.json("POST", "/api/v1/generate/batch",
                                  {"topic": "The water cycle %d" % i, "age_group": "middle_school",
                                   "content_types": ["flashcards", "study_guide", "faq_collection"]}, key=USER_KEY)
                self.assertEqual(st, 200, b)
                self.assertEqual(b["summary"]["successful"], 3, b)
                batches.append(b)
            answered = singles + [r for b in batches for r in b["results"].values()]
            ids = {r["id"] for r in answered}
            self.assertEqual(len(ids), 18)
            self.wait_rows(db, "SELECT count(*) FROM educational_content", 18)
            self.wait_rows(db, "SELECT count(*) FROM content_generation_sessions", 2)
            # exactly once, and exactly these
            stored = {r[0] for r in self.pg.rows("SELECT id FROM educational_content", db)}
            self.assertEqual(stored, ids)
            self.assertEqual(self.pg.scalar("SELECT count(DISTINCT id) FROM educational_content", db), "18")
            sess = {r[0]: r[1:] for r in self.pg.rows(
                "SELECT id, successful_count, failed_count, user_id FROM content_generation_sessions", db)}
            self.assertEqual(set(sess), {b["batch_id"] for b in batches})
            for v in sess.values():
                self.assertEqual(v, ["3", "0", SYSTEM_USER])
            # every row belongs to the bootstrap key's user (the system user)
            self.assertEqual(self.pg.rows("SELECT DISTINCT user_id FROM educational_content", db), [[SYSTEM_USER]])
            # (regenerations below the quality threshold add attempts; each generation has at least one ok)
            self.assertEqual(self.pg.scalar(
                "SELECT count(DISTINCT content_id) FROM provider_attempts WHERE outcome = 'ok'", db), "18")
            self.assertEqual(self.pg.rows("SELECT DISTINCT user_id FROM provider_attempts", db), [[SYSTEM_USER]])

            # the runbook's queries, verbatim
            self.assertEqual(self.pg.scalar(RUNBOOK["total"], db), "18")
            self.assertEqual(self.pg.scalar(RUNBOOK["recent"], db), "18")
            qm = [r["quality_metrics"] for r in answered]
            avg = self.pg.rows(RUNBOOK["quality"], db)[0]
            self.assertAlmostEqual(float(avg[0]), float(mean(q2(m["overall_quality_score"]) for m in qm)), places=9)
            self.assertAlmostEqual(float(avg[1]), float(mean(q2(m["educational_effectiveness"]) for m in qm)),
                                   places=9)
            self.assertAlmostEqual(float(avg[2]), float(mean(q2(m["factual_accuracy"]) for m in qm)), places=9)
            by_type = {}
            for r in answered:
                by_type.setdefault(r["content_type"], []).append(r)
            rows = self.pg.rows(RUNBOOK["types"], db)
            self.assertEqual({r[0]: int(r[1]) for r in rows}, {t: len(v) for t, v in by_type.items()})
            counts = [int(r[1]) for r in rows]
            self.assertEqual(counts, sorted(counts, reverse=True))
            for r in rows:
                want = mean(q2(x["quality_metrics"]["overall_quality_score"]) for x in by_type[r[0]])
                self.assertAlmostEqual(float(r[2]), float(want), places=9)
            for r in self.pg.rows(RUNBOOK["perf"], db):
                d = [x["metadata"]["generation_duration_ms"] for x in by_type[r[0]]]
                self.assertAlmostEqual(float(r[1]), sum(d) / len(d), places=6)
                self.assertEqual((int(r[2]), int(r[3])), (min(d), max(d)))

            # GET /api/v1/content/{id} returns what the client got
            one = singles[3]
            st, _, b = s.json("GET", "/api/v1/content/" + one["id"], key=USER_KEY)
            self.assertEqual(st, 200, b)
            self.assertEqual(b["generated_content"], one["generated_content"])
            self.assertEqual(b["content_type"], one["content_type"])
            self.assertAlmostEqual(b["quality_metrics"]["overall_quality_score"],
                                   one["quality_metrics"]["overall_quality_score"], places=6)
            st, _, b = s.json("GET", "/api/v1/content/00000000-0000-4000-8000-000000000000", key=USER_KEY)
            self.assertEqual((st, b["error"]["code"]), (404, "NOT_FOUND"))
            st, _, b = s.json("GET", "/api/v1/content/not-a-uuid", key=USER_KEY)
            self.assertEqual(st, 404)
            st, _, b = s.json("GET", "/api/v1/content/" + one["id"])
            self.assertEqual(st, 401)

            # listing: cursor pagination, newest first, every id once
            seen, cursor, pages = [], None, 0
            while True:
                path = "/api/v1/content?limit=5" + ("&cursor=" + cursor if cursor else "")
                st, _, b = s.json("GET", path, key=USER_KEY)
                self.assertEqual(st, 200, b)
                self.assertLessEqual(len(b["items"]), 5)
                seen += [(x["created_at"], x["id"]) for x in b["items"]]
                pages += 1
                cursor = b["next_cursor"]
                if not cursor:
                    break
                self.assertLess(pages, 10)
            self.assertEqual(len(seen), 18)
            self.assertEqual({i for _, i in seen}, ids)
            self.assertEqual(seen, sorted(seen, reverse=True))
            st, _, b = s.json("GET", "/api/v1/content?content_type=flashcards&limit=100", key=USER_KEY)
            self.assertEqual(st, 200)
            self.assertEqual(len(b["items"]), len(by_type["flashcards"]))
            self.assertTrue(all(x["content_type"] == "flashcards" for x in b["items"]))
            st, _, b = s.json("GET", "/api/v1/content?age_group=middle_school&limit=100", key=USER_KEY)
            self.assertEqual(len(b["items"]), 6)
            for bad in ("limit=0", "limit=101", "limit=abc", "cursor=garbage"):
                st, _, b = s.json("GET", "/api/v1/content?" + bad, key=USER_KEY)
                self.assertEqual((st, b["error"]["code"]), (400, "INVALID_REQUEST"), bad)

            # feedback
            fb = "/api/v1/content/%s/feedback" % one["id"]
            st, _, b = s.json("POST", fb, {"rating": 4, "feedback_type": "helpful", "feedback_text": "clear"},
                              key=USER_KEY)
            self.assertEqual(st, 201, b)
            self.assertEqual((b["rating"], b["content_id"]), (4, one["id"]))
            for body in ({"rating": 0}, {"rating": 6}, {"rating": "5"}, {"rating": 3, "feedback_text": "x" * 2001}):
                st, _, b = s.json("POST", fb, body, key=USER_KEY)
                self.assertEqual((st, b["error"]["code"]), (400, "INVALID_REQUEST"), body)
            st, _, b = s.json("POST", fb, {"rating": 3, "feedback_text": "é" * 2000}, key=USER_KEY)
            self.assertEqual(st, 201, b)
            st, _, b = s.json("POST", "/api/v1/content/00000000-0000-4000-8000-000000000000/feedback",
                              {"rating": 3}, key=USER_KEY)
            self.assertEqual(st, 404)
            self.assertEqual(self.pg.scalar(
                "SELECT count(*) FROM content_feedback WHERE content_id = '%s'" % one["id"], db), "2")

            # educational metrics (public) and admin statistics: real figures
            st, _, b = s.json("GET", "/api/v1/metrics/educational")
            self.assertEqual(st, 200, b)
            self.assertEqual((b["total_content"], b["content_last_24h"]), (18, 18))
            self.assertEqual(b["quality_thresholds"]["overall"], 0.7)
            st, _, b = s.json("GET", "/api/v1/admin/content/stats", key=ADMIN_KEY)
            self.assertEqual(st, 200, b)
            self.assertIn("18", json.dumps(b))
            st, _, b = s.json("GET", "/api/v1/admin/content/stats", key=USER_KEY)
            self.assertEqual(st, 403)
            st, _, b = s.json("GET", "/api/v1/admin/system/info", key=ADMIN_KEY)
            self.assertEqual(st, 200, b)
            self.assertGreater(b["database"]["database_size_bytes"], 0)
            self.assertGreater(b["pid"], 0)
            self.assertEqual((b["version"], b["environment"], b["workers"]), ("0.1.0", "test", 2))
            self.assertEqual(b["database"]["status"], "up")
            self.assertGreaterEqual(b["database"]["schema_version"], 6)
            self.assertEqual(b["store"]["state"], "up")
            wait_until(lambda: self.pg.scalar("SELECT count(*) FROM api_usage", db) not in (None, "0"), 10)
            st, _, b = s.json("GET", "/api/v1/admin/usage?user_id=%s&limit=1000" % SYSTEM_USER, key=ADMIN_KEY)
            self.assertEqual(st, 200, b)
            self.assertGreaterEqual(b["count"], 14)
            self.assertNotIn(USER_KEY, json.dumps(b))
            for bad in ("since=yesterday", "since=2026-13-01", "user_id=nope", "limit=0"):
                st, _, b = s.json("GET", "/api/v1/admin/usage?" + bad, key=ADMIN_KEY)
                self.assertEqual((st, b["error"]["code"]), (400, "INVALID_REQUEST"), bad)
            st, _, b = s.json("GET", "/api/v1/admin/usage?since=2000-01-01T00:00:00Z&limit=2", key=ADMIN_KEY)
            self.assertEqual((st, b["count"]), (200, 2), b)
            st, _, b = s.json("GET", "/api/v1/admin/usage?since=2999-01-01T00:00:00%2B02:00", key=ADMIN_KEY)
            self.assertEqual((st, b["count"]), (200, 0), b)

            # delete
            st, _, raw = s.request("DELETE", "/api/v1/content/" + one["id"], key=USER_KEY)
            self.assertEqual((st, raw), (204, b""))
            st, _, b = s.json("GET", "/api/v1/content/" + one["id"], key=USER_KEY)
            self.assertEqual(st, 404)
            st, _, b = s.json("DELETE", "/api/v1/content/" + one["id"], key=USER_KEY)
            self.assertEqual(st, 404)
            self.assertEqual(self.pg.scalar(RUNBOOK["total"], db), "17")
            self.assertEqual(self.pg.scalar(
                "SELECT count(*) FROM content_feedback WHERE content_id = '%s'" % one["id"], db), "0")

    def test_without_database_answers_503(self):
        with LfServer() as s:
            for m, p, k in (("GET", "/api/v1/content", USER_KEY), ("GET", "/api/v1/metrics/educational", None),
                            ("GET", "/api/v1/admin/usage", ADMIN_KEY)):
                st, _, b = s.json(m, p, key=k)
                self.assertEqual((st, b["error"]["code"]), (503, "DATABASE_UNAVAILABLE"), p)
                self.assertIn("DATABASE_URL", b["error"]["message"])
            st, _, b = self.gen(s, "flashcards", "Photosynthesis")
            self.assertEqual(st, 200)


class UsersAndKeys(PgTest):
    def test_keys_export_erasure(self):
        db = "it_persist_users"
        self.pg.create_database(db)
        with self.server(db) as s:
            st, _, b = s.json("POST", "/api/v1/admin/users", {"username": "ada", "email": "ada@example.org"},
                              key=USER_KEY)
            self.assertEqual(st, 403)
            st, _, b = s.json("POST", "/api/v1/admin/users", {"username": "ada", "email": "ada@example.org"},
                              key=ADMIN_KEY)
            self.assertEqual(st, 201, b)
            uid, key1, kid1 = b["user"]["id"], b["api_key"]["key"], b["api_key"]["id"]
            self.assertTrue(key1.startswith("lf_"))
            st, _, b = s.json("POST", "/api/v1/admin/users", {"username": "ada", "email": "x@example.org"},
                              key=ADMIN_KEY)
            self.assertEqual((st, b["error"]["code"]), (400, "INVALID_REQUEST"))
            st, _, b = s.json("POST", "/api/v1/admin/users", {"username": "a"}, key=ADMIN_KEY)
            self.assertEqual(st, 400)

            # the new key authenticates at once and its records carry the user's id
            mine = []
            for i in range(3):
                st, _, g = self.gen(s, TYPES[i], "Plate tectonics %d" % i, key=key1)
                self.assertEqual(st, 200, g)
                mine.append(g["id"])
            st, _, b = s.json("POST", "/api/v1/generate/batch",
                              {"topic": "Volcanoes", "content_types": ["flashcards", "faq_collection"]}, key=key1)
            self.assertEqual(st, 200, b)
            mine += [r["id"] for r in b["results"].values()]
            st, _, other = self.gen(s, "flashcards", "Someone else's topic", key=USER_KEY)
            self.assertEqual(st, 200)
            self.wait_rows(db, "SELECT count(*) FROM educational_content WHERE user_id = '%s'" % uid, 5)
            self.wait_rows(db, "SELECT count(*) FROM content_generation_sessions WHERE user_id = '%s'" % uid, 1)
            self.wait_rows(db, "SELECT count(*) FROM provider_attempts WHERE user_id = '%s'" % uid, 5)
            wait_until(lambda: int(self.pg.scalar(
                "SELECT count(*) FROM api_usage WHERE user_id = '%s'" % uid, db)) >= 4, 10)

            # owner checks: a user sees only their content, admin sees all
            st, _, b = s.json("GET", "/api/v1/content/" + mine[0], key=USER_KEY)
            self.assertEqual(st, 404)
            st, _, b = s.json("GET", "/api/v1/content/" + other["id"], key=key1)
            self.assertEqual(st, 404)
            st, _, b = s.json("GET", "/api/v1/content/" + mine[0], key=ADMIN_KEY)
            self.assertEqual(st, 200)
            st, _, b = s.json("GET", "/api/v1/content?limit=100", key=key1)
            self.assertEqual({x["id"] for x in b["items"]}, set(mine))
            st, _, raw = s.request("DELETE", "/api/v1/content/" + other["id"], key=key1)
            self.assertEqual(st, 404)
            st, _, b = s.json("POST", "/api/v1/content/%s/feedback" % mine[0], {"rating": 5}, key=key1)
            self.assertEqual(st, 201)
            st, _, b = s.json("POST", "/api/v1/content/%s/feedback" % mine[1], {"rating": 2}, key=USER_KEY)
            self.assertEqual(st, 404)
            st, _, b = s.json("POST", "/api/v1/content/%s/feedback" % mine[1], {"rating": 2}, key=ADMIN_KEY)
            self.assertEqual(st, 201)
            st, _, b = s.json("GET", "/api/v1/admin/users/%s/export" % uid, key=key1)
            self.assertEqual(st, 403)

            # a second key; revoking the first stops it at once, the second keeps working
            st, _, b = s.json("POST", "/api/v1/admin/users/%s/keys" % uid, {"name": "ci"}, key=ADMIN_KEY)
            self.assertEqual(st, 201, b)
            key2 = b["key"]
            st, _, b = s.json("GET", "/api/v1/content?limit=1", key=key2)
            self.assertEqual(st, 200, b)
            st, _, raw = s.request("DELETE", "/api/v1/admin/keys/" + kid1, key=ADMIN_KEY)
            self.assertEqual(st, 204, raw)
            st, _, b = s.json("GET", "/api/v1/content?limit=1", key=key1)
            self.assertEqual((st, b["error"]["code"]), (401, "UNAUTHORIZED"))
            st, _, b = self.gen(s, "flashcards", "Revoked key topic", key=key1)
            self.assertEqual(st, 401)
            st, _, b = s.json("GET", "/api/v1/content?limit=1", key=key2)
            self.assertEqual(st, 200)
            st, _, b = s.json("POST", "/api/v1/admin/users/00000000-0000-4000-8000-000000000000/keys", {},
                              key=ADMIN_KEY)
            self.assertEqual(st, 404)
            st, _, b = s.json("DELETE", "/api/v1/admin/keys/00000000-0000-4000-8000-000000000000", key=ADMIN_KEY)
            self.assertEqual(st, 404)
            # still revoked after the background refresh
            time.sleep(3.5)
            st, _, b = s.json("GET", "/api/v1/content?limit=1", key=key1)
            self.assertEqual(st, 401)

            # keys never in clear in any table (positive control: the hash is there)
            tables = [r[0] for r in self.pg.rows(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'", db)]
            dump = "".join(self.pg.psql("SELECT t::text FROM %s t" % t, db) for t in tables)
            for k in (key1, key2, USER_KEY, ADMIN_KEY):
                self.assertNotIn(k, dump)
            import hashlib
            self.assertIn(hashlib.sha256(key1.encode()).hexdigest(), dump)

            # export: everything linked to the user
            st, _, ex = s.json("GET", "/api/v1/admin/users/%s/export" % uid, key=ADMIN_KEY)
            self.assertEqual(st, 200, ex)
            self.assertEqual(ex["user"]["username"], "ada")
            self.assertEqual({c["id"] for c in ex["content"]}, set(mine))
            self.assertEqual(len(ex["api_keys"]), 2)
            self.assertEqual(len(ex["sessions"]), 1)
            self.assertGreaterEqual(len(ex["api_usage"]), 4)
            self.assertEqual(len(ex["provider_attempts"]), 5)
            self.assertGreaterEqual(len(ex["feedback"]), 2)
            self.assertNotIn(key1, json.dumps(ex))
            self.assertNotIn(hashlib.sha256(key1.encode()).hexdigest(), json.dumps(ex))
            st, _, b = s.json("GET", "/api/v1/admin/users/00000000-0000-4000-8000-000000000000/export",
                              key=ADMIN_KEY)
            self.assertEqual(st, 404)

            # erasure: counts actually deleted, then nothing linked remains (SQL), keys stop working
            before = {t: int(self.pg.scalar("SELECT count(*) FROM %s WHERE user_id = '%s'" % (t, uid), db))
                      for t in LINKED if t not in ("quality_assessments", "content_feedback")}
            qa = int(self.pg.scalar("SELECT count(*) FROM quality_assessments WHERE content_id IN "
                                    "(SELECT id FROM educational_content WHERE user_id = '%s')" % uid, db))
            st, _, er = s.json("DELETE", "/api/v1/admin/users/" + uid, key=ADMIN_KEY)
            self.assertEqual(st, 200, er)
            d = er["deleted"]
            self.assertEqual(d["users"], 1)
            for t, n in before.items():
                self.assertEqual(d[t], n, t)
            self.assertEqual(d["quality_assessments"], qa)
            self.assertGreaterEqual(d["content_feedback"], 2)
            st, _, b = s.json("GET", "/api/v1/content?limit=1", key=key2)
            self.assertEqual(st, 401)
            self.assertEqual(self.pg.scalar("SELECT count(*) FROM users WHERE id = '%s'" % uid, db), "0")
            for t in LINKED:
                col = "content_id IN (%s)" % ",".join("'%s'" % i for i in mine) \
                    if t in ("quality_assessments", "content_feedback") else "user_id = '%s'" % uid
                self.assertEqual(self.pg.scalar("SELECT count(*) FROM %s WHERE %s" % (t, col), db), "0", t)
            self.assertEqual(self.pg.scalar(
                "SELECT count(*) FROM educational_content WHERE id IN (%s)" % ",".join("'%s'" % i for i in mine),
                db), "0")
            # the other user's content is untouched; the system user cannot be erased
            st, _, b = s.json("GET", "/api/v1/content/" + other["id"], key=USER_KEY)
            self.assertEqual(st, 200)
            st, _, b = s.json("DELETE", "/api/v1/admin/users/" + SYSTEM_USER, key=ADMIN_KEY)
            self.assertEqual(st, 400)
            st, _, b = s.json("DELETE", "/api/v1/admin/users/" + uid, key=ADMIN_KEY)
            self.assertEqual(st, 404)
            # nothing comes back later from the journal
            time.sleep(1)
            self.assertEqual(self.pg.scalar(
                "SELECT count(*) FROM api_usage WHERE user_id = '%s'" % uid, db), "0")


class KeysAcrossRestart(PgTest):
    def test_admin_db_key_and_restart(self):
        db = "it_persist_restart"
        self.pg.create_database(db)
        journal = tempfile.mkdtemp(prefix="lf-journal-")
        with self.server(db, journal) as s:
            st, _, b = s.json("POST", "/api/v1/admin/users", {"username": "root2", "role": "admin"}, key=ADMIN_KEY)
            self.assertEqual(st, 201, b)
            admin2, uid = b["api_key"]["key"], b["user"]["id"]
            st, _, b = s.json("POST", "/api/v1/admin/users", {"username": "bob"}, key=ADMIN_KEY)
            self.assertEqual(st, 201, b)
            bob = b["api_key"]["key"]
            st, _, b = s.json("GET", "/api/v1/admin/users", key=ADMIN_KEY)
            self.assertEqual(st, 200, b)
            self.assertEqual({u["username"] for u in b["items"]} >= {"root2", "bob"}, True)
        # a database admin key is an admin key; a user-role key of the same user is not
        with self.server(db, journal) as s:
            st, _, b = s.json("GET", "/api/v1/admin/usage?limit=1", key=admin2)
            self.assertEqual(st, 200, b)
            st, _, b = s.json("GET", "/api/v1/admin/usage?limit=1", key=bob)
            self.assertEqual((st, b["error"]["code"]), (403, "FORBIDDEN"))
            st, _, g = self.gen(s, "flashcards", "Restarted", key=bob)
            self.assertEqual(st, 200, g)
            # read-your-writes: the content is there right after the answer
            st, _, b2 = s.json("GET", "/api/v1/content/" + g["id"], key=bob)
            self.assertEqual(st, 200, b2)
            for i in range(5):
                st, _, g2 = self.gen(s, "faq_collection", "Immediate %d" % i, key=bob)
                st, _, b2 = s.json("POST", "/api/v1/content/%s/feedback" % g2["id"], {"rating": 5}, key=bob)
                self.assertEqual(st, 201, b2)
            st, _, b = s.json("POST", "/api/v1/admin/users/%s/keys" % uid, {"role": "user"}, key=admin2)
            self.assertEqual(st, 201, b)
            st, _, b2 = s.json("GET", "/api/v1/admin/usage?limit=1", key=b["key"])
            self.assertEqual(st, 403)
            st, _, b2 = s.json("POST", "/api/v1/admin/users/%s/keys" % uid, {"role": "root"}, key=admin2)
            self.assertEqual(st, 400)
            st, _, b2 = s.json("GET", "/api/v1/content/" + g["id"], key=b["key"])
            self.assertEqual(st, 404)  # another user's content
            st, _, b2 = s.json("GET", "/api/v1/content/" + g["id"], key=admin2)
            self.assertEqual(st, 200)  # admin sees all


class NeverBlocksTheLoop(PgTest):
    def test_slow_database_does_not_stall_workers(self):
        """A table lock holds every content read for 4 s: the workers keep answering everything else."""
        import subprocess
        db = "it_persist_slow"
        self.pg.create_database(db)
        cfg = default_config()
        cfg["server"]["workers"] = 1  # one loop: a blocked worker would stall every request below
        with self.server(db, config=cfg) as s:
            st, _, g = self.gen(s, "flashcards", "Before the lock")
            self.assertEqual(st, 200)
            self.wait_rows(db, "SELECT count(*) FROM educational_content", 1)
            locker = subprocess.Popen(
                [os.path.join(self.pg.bin, "psql"), "-X", "-q", "-h", self.pg.dir, "-p", "5432", "-U", "postgres",
                 "-d", db, "-c", "BEGIN; LOCK TABLE educational_content IN ACCESS EXCLUSIVE MODE; "
                 "SELECT pg_sleep(4); COMMIT;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(0.5)
                slow = []
                readers = [threading.Thread(target=lambda: slow.append(
                    s.json("GET", "/api/v1/content/" + g["id"], key=USER_KEY)[0])) for _ in range(6)]
                for t in readers:
                    t.start()
                time.sleep(0.3)
                t0 = time.time()
                for i in range(10):
                    self.assertEqual(s.json("GET", "/health")[0], 200)
                    st, _, b = self.gen(s, "faq_collection", "While the table is locked %d" % i)
                    self.assertEqual(st, 200, b)
                elapsed = time.time() - t0
                self.assertLess(elapsed, 2.0, "the event loop waited on PostgreSQL")
                self.assertEqual(slow, [], "reads should still be waiting on the lock")
                for t in readers:
                    t.join(15)
                self.assertEqual(slow, [200] * 6)
            finally:
                locker.wait(15)


class Outage(PgTest):
    def test_generation_survives_a_database_outage(self):
        db = "it_persist_outage"
        self.pg.create_database(db)
        with self.server(db) as s:
            st, _, b = self.gen(s, "flashcards", "Before the outage")
            self.assertEqual(st, 200)
            answered, failures, stop = [b["id"]], [], threading.Event()
            lock = threading.Lock()

            def load(n):
                i = 0
                while not stop.is_set():
                    try:
                        st, _, g = self.gen(s, TYPES[i % len(TYPES)], "Outage topic %d %d" % (n, i))
                    except OSError as e:
                        st, g = 0, str(e)
                    with lock:
                        if st == 200:
                            answered.append(g["id"])
                        else:
                            failures.append((st, g))
                    i += 1
            threads = [threading.Thread(target=load, args=(n,)) for n in range(3)]
            for t in threads:
                t.start()
            time.sleep(0.5)
            self.pg.stop_server()
            try:
                ok = wait_until(lambda: s.json("GET", "/api/v1/ready")[2].get("reasons") and
                                "database_unavailable" in json.dumps(s.json("GET", "/api/v1/ready")[2]), 15)
                st, _, rd = s.json("GET", "/api/v1/ready")
                self.assertTrue(ok, rd)
                self.assertEqual(st, 503, rd)
                self.assertIn("database_unavailable", json.dumps(rd))
                n_down = len(answered)
                time.sleep(1.5)
                self.assertGreater(len(answered), n_down + 5)
                # reads need the database: a clear 503, not a hang
                t0 = time.time()
                st, _, b = s.json("GET", "/api/v1/content?limit=1", key=USER_KEY)
                self.assertEqual((st, b["error"]["code"]), (503, "DATABASE_UNAVAILABLE"))
                self.assertLess(time.time() - t0, 10)
                st, _, h = s.json("GET", "/api/v1/health")
                self.assertGreater(h["services"]["database"]["spooled_records"], 0, h)
            finally:
                self.pg.start_server()
                time.sleep(0.5)
                stop.set()
            for t in threads:
                t.join()
            self.assertEqual(failures, [])
            n = len(answered)
            self.assertEqual(len(set(answered)), n)
            self.wait_rows(db, "SELECT count(*) FROM educational_content", n, timeout=30)
            stored = {r[0] for r in self.pg.rows("SELECT id FROM educational_content", db)}
            self.assertEqual(stored, set(answered))
            self.assertTrue(wait_until(lambda: s.json("GET", "/api/v1/ready")[0] == 200, 15))
            st, _, b = s.json("GET", "/api/v1/content/" + answered[-1], key=USER_KEY)
            self.assertEqual(st, 200, b)


if __name__ == "__main__":
    unittest.main()
