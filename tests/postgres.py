"""A PostgreSQL database for the demand-log tests: KOMMUNE_MATCHER_TEST_PG_URL, or Debian's local cluster."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

DB, USER = "matcher_test", "matcher"


def _as_postgres(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True)


def postgres_url() -> str:
    url = os.environ.get("KOMMUNE_MATCHER_TEST_PG_URL")
    if url:
        return url
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster") or not os.path.isdir("/etc/postgresql"):
        pytest.skip("no PostgreSQL server here: install Debian's postgresql (as the README's test command does) "
                    "or set KOMMUNE_MATCHER_TEST_PG_URL")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", version, "main", "start"], capture_output=True)  # running already is fine
    _as_postgres("psql", "-q", "-c", f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{USER}') "
                 f"THEN CREATE ROLE {USER} LOGIN PASSWORD '{USER}'; END IF; END$$;")
    exists = _as_postgres("psql", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DB}'")
    if exists.stdout.strip() != "1":
        made = _as_postgres("createdb", "-O", USER, DB)
        assert made.returncode == 0, made.stderr
    return f"postgresql+psycopg://{USER}:{USER}@127.0.0.1:5432/{DB}"
