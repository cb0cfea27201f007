# tests/integration/test_crash.py - kill -9 the gateway under load: every generation answered 200 is stored once
# SPDX-License-Identifier: MIT
"""Parallel generations (single and batch) against the real binary and a throwaway PostgreSQL; the server is
killed with SIGKILL mid-load, restarted on the same journal folder, and the database must then hold every
generation a client got a 200 for — none twice (one ok provider attempt per content id, one usage row per
request). Once with PostgreSQL up, once with PostgreSQL down at the moment of the crash."""
import os
import signal
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from lfserver import USER_KEY, LfServer, default_config, wait_until  # noqa: E402
from pg_helpers import PgCluster  # noqa: E402

TYPES = ["flashcards", "study_guide", "faq_collection", "one_pager_summary", "reading_guide_questions"]


class Load:
    """N threads generating until stopped or the server dies; collects what was answered 200."""

    def __init__(self, server, nthreads=4):
        self.s = server
        self.ids, self.batches, self.other = [], [], []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(nthreads)]

    def run(self, n):
        conn = None
        i = 0
        while not self.stop.is_set():
            try:
                if conn is None:
                    conn = self.s.conn(timeout=10)
                if n == 0 and i % 3 == 2:
                    st, _, b = self.s.json("POST", "/api/v1/generate/batch",
                                           {"topic": "Crash batch %d %d" % (n, i),
                                            "content_types": ["flashcards", "faq_collection"]},
                                           key=USER_KEY, conn=conn)
                    if st == 200:
                        with self.lock:
                            self.batches.append(b["batch_id"])
                            self.ids.extend(r["id"] for r in b["results"].values())
                else:
                    st, _, b = self.s.json("POST", "/api/v1/generate/" + TYPES[i % len(TYPES)],
                                           {"topic": "Crash topic %d %d" % (n, i)}, key=USER_KEY, conn=conn)
                    if st == 200:
                        with self.lock:
                            self.ids.append(b["id"])
                if st != 200:
                    with self.lock:
                        self.other.append((st, b))
            except (OSError, ValueError, AttributeError):
                # the server is gone (connection refused/reset, truncated answer): nothing was answered
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.01)
            i += 1
        if conn is not None:
            conn.close()

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(15)


class Crash(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = PgCluster().start()

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()

    def server(self, db, journal):
        cfg = default_config()
        cfg["scorers"] = []
        return LfServer(config=cfg, env={"DATABASE_URL": self.pg.conninfo(db), "LA_FACTORIA_JOURNAL_DIR": journal})

    def check_exactly_once(self, db, load, journal, timeout=60):
        answered = set(load.ids)
        self.assertEqual(len(answered), len(load.ids), "the server answered the same id twice")
        self.assertGreater(len(answered), 20, "too little load before the kill")
        with self.server(db, journal) as s2:
            sql = "SELECT count(*) FROM educational_content"
            ok = wait_until(lambda: int(self.pg.scalar(sql, db)) >= len(answered) and
                            s2.json("GET", "/api/v1/health")[2]["services"]["database"]["spooled_records"] == 0,
                            timeout, 0.2)
            stored = {r[0] for r in self.pg.rows("SELECT id FROM educational_content", db)}
            missing = answered - stored
            self.assertTrue(ok and not missing, "%d answered generations missing after restart (of %d)"
                            % (len(missing), len(answered)))
            # none twice: one ok provider attempt per generation, one usage row per request, one row per session
            self.assertEqual(self.pg.rows(
                "SELECT content_id, count(*) FROM provider_attempts WHERE outcome = 'ok' "
                "GROUP BY content_id HAVING count(*) > 1", db), [])
            self.assertEqual(self.pg.scalar(
                "SELECT count(*) FROM provider_attempts WHERE outcome = 'ok' AND content_id IN "
                "(SELECT id FROM educational_content)", db), str(len(stored)))
            self.assertEqual(self.pg.rows(
                "SELECT request_id, count(*) FROM api_usage GROUP BY request_id HAVING count(*) > 1", db), [])
            sessions = {r[0] for r in self.pg.rows("SELECT id FROM content_generation_sessions", db)}
            self.assertTrue(set(load.batches) <= sessions)
            # the restarted server serves what the killed one answered
            st, _, b = s2.json("GET", "/api/v1/content/" + load.ids[-1], key=USER_KEY)
            self.assertEqual(st, 200, b)
        return len(answered), len(stored)

    def test_kill9_under_load(self):
        db = "it_crash_up"
        self.pg.create_database(db)
        journal = tempfile.mkdtemp(prefix="lf-crash-")
        s = self.server(db, journal).start()
        load = Load(s).start()
        wait_until(lambda: len(load.ids) >= 200, 20)
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(10)
        load.finish()
        self.assertEqual(load.other, [])
        answered, stored = self.check_exactly_once(db, load, journal)
        print("\ncrash (database up): %d answered 200 before SIGKILL, %d stored after restart" % (answered, stored))

    def test_kill9_while_database_down(self):
        db = "it_crash_down"
        self.pg.create_database(db)
        journal = tempfile.mkdtemp(prefix="lf-crash-")
        s = self.server(db, journal).start()
        load = Load(s).start()
        wait_until(lambda: len(load.ids) >= 50, 20)
        self.pg.stop_server()
        try:
            n = len(load.ids)
            wait_until(lambda: len(load.ids) >= n + 150, 20)
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait(10)
            load.finish()
        finally:
            self.pg.start_server()
        self.assertEqual(load.other, [])
        answered, stored = self.check_exactly_once(db, load, journal)
        print("\ncrash (database down): %d answered 200 before SIGKILL, %d stored after restart"
              % (answered, stored))


if __name__ == "__main__":
    unittest.main()
