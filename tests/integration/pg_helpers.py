# tests/integration/pg_helpers.py - throwaway PostgreSQL clusters for integration tests (scripts/pg-test.sh)
# SPDX-License-Identifier: MIT
"""Start a private PostgreSQL cluster (Unix socket only) for a test, query it with psql, stop it.

    from pg_helpers import PgCluster
    with PgCluster() as pg:                    # raises if PostgreSQL is not installed: never skips silently
        url = pg.create_database("it_store")   # libpq conninfo, pass as DATABASE_URL to the server
        ...
        self.assertEqual(pg.scalar("SELECT count(*) FROM educational_content", db="it_store"), "3")
        pg.stop_server(); ...; pg.start_server()   # outage tests: same data, server down then up

Everything runs through scripts/pg-test.sh and the cluster's psql, so the tests need only the stdlib.
"""
import glob
import os
import shlex
import subprocess

SOURCE_DIR = os.environ.get("LF_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(SOURCE_DIR, "scripts", "pg-test.sh")


def pg_bin_dir():
    """The newest /usr/lib/postgresql/*/bin, or LF_PGBIN; raises RuntimeError if absent."""
    d = os.environ.get("LF_PGBIN")
    if not d:
        dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: [int(x) for x in p.split("/")[-2].split(".") if x.isdigit()])
        d = dirs[-1] if dirs else None
    if not d or not os.path.exists(os.path.join(d, "initdb")):
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    return d


class PgCluster:
    """A throwaway cluster. Attributes: dir (also the socket directory), bin."""

    def __init__(self, durable=False):
        self.durable = durable
        self.dir = None
        self.bin = pg_bin_dir()

    # lifecycle -------------------------------------------------------------------------------------------
    def start(self):
        env = dict(os.environ, LF_PG_DURABLE="1" if self.durable else "0")
        out = subprocess.run(["sh", SCRIPT, "start"], check=True, capture_output=True, text=True,
                             env=env).stdout
        for word in shlex.split(out.replace("export ", " ")):
            if word.startswith("PGTMP="):
                self.dir = word[len("PGTMP="):]
        if not self.dir:
            raise RuntimeError("pg-test.sh printed no PGTMP: " + out)
        return self

    def stop(self):
        """Destroy the cluster and its data."""
        if self.dir:
            subprocess.run(["sh", SCRIPT, "stop", self.dir], check=False)
            self.dir = None

    def stop_server(self):
        """Stop the server, keeping the data (simulates a database outage)."""
        subprocess.run(["sh", SCRIPT, "pgstop", self.dir], check=True)

    def start_server(self):
        subprocess.run(["sh", SCRIPT, "pgstart", self.dir], check=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # access ----------------------------------------------------------------------------------------------
    def conninfo(self, db="postgres"):
        """libpq conninfo for DATABASE_URL (keyword form; the server accepts it like a URL)."""
        return "host=%s port=5432 user=postgres dbname=%s" % (self.dir, db)

    def url(self, db="postgres"):
        """postgresql:// URL form of the same database (socket directory in the host parameter)."""
        return "postgresql://postgres@/%s?host=%s&port=5432" % (db, self.dir)

    def create_database(self, name):
        """(Re)create database `name` (an identifier chosen by the test) and return its conninfo."""
        if not name.replace("_", "").isalnum():
            raise ValueError("database names are plain identifiers")
        self.psql("DROP DATABASE IF EXISTS %s" % name)
        self.psql("CREATE DATABASE %s" % name)
        return self.conninfo(name)

    def psql(self, sql, db="postgres", check=True):
        """Run SQL with psql; returns stdout (unaligned, tab-separated, no headers)."""
        cmd = [os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
               "-h", self.dir, "-p", "5432", "-U", "postgres", "-d", db, "-c", sql]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (sql, r.stderr))
        return r.stdout

    def rows(self, sql, db="postgres"):
        """Rows as lists of strings (NULL as '')."""
        out = self.psql(sql, db)
        return [line.split("\t") for line in out.splitlines() if line != ""]

    def scalar(self, sql, db="postgres"):
        """First column of the first row as a string, or None."""
        r = self.rows(sql, db)
        return r[0][0] if r else None

    def apply_file(self, path, db="postgres"):
        """psql -f a SQL file (e.g. migrations/001_initial_schema.sql, the runbook's manual step)."""
        cmd = [os.path.join(self.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-p", "5432",
               "-U", "postgres", "-d", db, "-f", path]
        subprocess.run(cmd, check=True, capture_output=True, text=True)

    def apply_migrations(self, db="postgres"):
        """Apply migrations/*.sql in order with psql (without schema_migrations bookkeeping; the server's
        migrator adopts 001 and applies the rest when it starts)."""
        for f in sorted(glob.glob(os.path.join(SOURCE_DIR, "migrations", "[0-9]*_*.sql"))):
            self.apply_file(f, db)


if __name__ == "__main__":
    with PgCluster() as pg:
        pg.create_database("selfcheck")
        pg.apply_migrations("selfcheck")
        assert pg.scalar("SELECT count(*) FROM users", "selfcheck") == "2"
        pg.stop_server()
        pg.start_server()
        assert pg.scalar("SELECT username FROM users ORDER BY username LIMIT 1", "selfcheck") == "demo_user"
        print("pg_helpers ok:", pg.conninfo("selfcheck"))
