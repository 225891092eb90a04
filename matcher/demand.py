"""The demand log: what people asked for, as derived codes only (role, fields, region, format, day).

Free text, job titles and addresses are personal data under the GDPR (DSGVO) and are never stored. SQLite by
default, PostgreSQL (or any SQLAlchemy database) when a URL is given. A database that fails never stops a
recommendation: the failure is logged once and the request goes on.
"""
from __future__ import annotations

import logging
import threading
from datetime import date, timedelta

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, delete, insert, select

from .coverage import DemandRecord
from .engine import Interpretation
from .schema import Profile

log = logging.getLogger(__name__)

metadata = MetaData()
requests = Table(
    "demand_requests", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False, index=True),
    Column("role", String(32)),  # inferred or given role code; null when unknown
    Column("fields", String(200), nullable=False),  # field codes joined by "|"
    Column("region", String(8)),  # state code or "bund"
    Column("format_preference", String(16)),
    Column("kind", String(16), nullable=False),  # "person" or "team"
)


class DemandLog:
    """Append-only log of derived request codes with a retention period in days (0 = keep forever)."""

    def __init__(self, url: str, retention_days: int = 365):
        if retention_days < 0:
            raise ValueError(f"retention_days must be 0 (keep forever) or more, got {retention_days}")
        self.url, self.retention_days = url, retention_days
        self._failed = False
        self._lock = threading.Lock()
        self._engine = None

    def _get_engine(self):
        if self._engine is None:
            args = {"check_same_thread": False} if self.url.startswith("sqlite") else {}
            self._engine = create_engine(self.url, connect_args=args, pool_pre_ping=True)
            metadata.create_all(self._engine)
            self.purge()
        return self._engine

    def _fail(self, action: str, exc: Exception) -> None:
        with self._lock:
            if not self._failed:
                log.error("demand log %s failed (%s); recommendations go on without it", action,
                          type(exc).__name__)
                self._failed = True

    def record(self, interpreted: Interpretation, profile: Profile, kind: str = "person",
               day: date | None = None) -> bool:
        """Store one request's codes; False (logged once) when the database cannot be written."""
        row = {"day": day or date.today(), "role": interpreted.role, "fields": "|".join(interpreted.fields),
               "region": profile.region, "format_preference": profile.format_preference, "kind": kind}
        try:
            with self._get_engine().begin() as conn:
                conn.execute(insert(requests), [row])
            return True
        except Exception as exc:  # a bad URL, a missing driver, a full disk: the request goes on regardless
            self._fail("write", exc)
            return False

    def read(self, since: date | None = None) -> list[DemandRecord]:
        query = select(requests.c.role, requests.c.fields, requests.c.region, requests.c.day)
        if since is not None:
            query = query.where(requests.c.day >= since)
        with self._get_engine().connect() as conn:
            return [DemandRecord(r.role, tuple(f for f in r.fields.split("|") if f), r.region, r.day)
                    for r in conn.execute(query)]

    def read_or_empty(self, since: date | None = None) -> list[DemandRecord]:
        """read(), or [] (logged once) when the database cannot be read."""
        try:
            return self.read(since)
        except Exception as exc:  # as in record: never let the log stop a request
            self._fail("read", exc)
            return []

    def purge(self, today: date | None = None) -> int:
        """Delete rows older than the retention period; returns how many."""
        if not self.retention_days:
            return 0
        cutoff = (today or date.today()) - timedelta(days=self.retention_days)
        with self._get_engine().begin() as conn:
            return conn.execute(delete(requests).where(requests.c.day < cutoff)).rowcount
