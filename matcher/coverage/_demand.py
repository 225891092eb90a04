"""The demand log: what people asked for, as derived codes only (role, fields, region, format, day).

Free text, job titles and addresses are personal data under the GDPR (DSGVO) and are never stored. SQLite by
default, PostgreSQL (or any SQLAlchemy database) when a URL is given. A database that fails never stops a
recommendation: the failure is logged once and the request goes on.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import (Column, Date, Integer, MetaData, String, Table, create_engine, delete, func, insert, inspect,
                        select)
from sqlalchemy.exc import ArgumentError as BadURL, SQLAlchemyError
from sqlalchemy.pool import NullPool

from ..core import ArgumentError, Problem, Profile, UnavailableError, german_count
from ..io import read_profiles
from ..ranking import Interpretation
from ._gaps import DemandRecord, demand_records

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
shown = Table(  # which offers a request's list showed: counts per offer for providers (never who saw them)
    "demand_shown", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False, index=True),
    Column("offer_id", String(200), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
)


def default_demand_db(model_dir: str | Path) -> str:
    """Where the service keeps its demand log (and the verdicts) unless told otherwise: SQLite beside the model."""
    return f"sqlite:///{Path(model_dir).resolve().parent / 'demand.sqlite'}"


def connect(url: str, tables: MetaData = metadata):
    """An engine for url with the tables created; SQLite gets a fresh connection per use, so a file deleted or
    made read-only under a running service is noticed (and logged) instead of being written to unseen."""
    options = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False}
        if ":memory:" not in url and not url.rstrip("/").endswith("sqlite:"):
            options["poolclass"] = NullPool
    engine = create_engine(url, **options)
    try:
        tables.create_all(engine)
    except SQLAlchemyError:
        # another process (a service, a CLI run) created the tables between the check and the CREATE
        if not all(inspect(engine).has_table(t) for t in tables.tables):
            raise
    return engine


class DemandLog:
    """Append-only log of derived request codes with a retention period in days (0 = keep forever).

    record() only queues the row; a writer thread inserts queued rows in batches, so a request never waits
    for the database. A batch the database refuses (locked by another process, gone for a while) is kept and
    tried again with the next batch or after retry_seconds, at most max_pending rows, the oldest dropped first
    (counted in .dropped). read() and purge() first wait until everything queued is written or kept.
    """

    retry_seconds = 5.0
    max_pending = 10_000  # about 1 MB of rows: hours of requests, not an unbounded memory

    def __init__(self, url: str, retention_days: int = 365):
        if retention_days < 0:
            raise ValueError(f"retention_days must be 0 (keep forever) or more, got {retention_days}")
        self.url, self.retention_days = url, retention_days
        self._failed = False
        self._lock = threading.Lock()
        self._engine = None
        self._engine_lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue()
        self._writer: threading.Thread | None = None
        self.pending: list[dict] = []  # rows of refused batches, oldest first, for the next attempt
        self.dropped = 0

    def _get_engine(self):
        with self._engine_lock:  # the writer thread and a reading request may both come first
            return self._engine or self._create_engine()

    def _create_engine(self):
        self._engine = engine = connect(self.url)  # only a database that has the tables counts as connected
        self._delete_expired(date.today())
        return engine

    def _fail(self, action: str, exc: Exception) -> None:
        with self._lock:
            if not self._failed:
                log.error("demand log %s failed (%s); recommendations go on without it", action,
                          type(exc).__name__)
                self._failed = True

    def record(self, interpreted: Interpretation, profile: Profile, kind: str = "person",
               day: date | None = None, shown_ids: Sequence[str] = ()) -> None:
        """Queue one request's codes, and the ids of the offers its list showed, for the writer thread."""
        row = {"day": day or date.today(), "role": interpreted.role, "fields": "|".join(interpreted.fields),
               "region": profile.region, "format_preference": profile.format_preference, "kind": kind,
               "shown": tuple(shown_ids)}
        with self._lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_forever, name="demand-log", daemon=True)
                self._writer.start()
        self._queue.put(row)

    def _write_forever(self) -> None:
        while True:
            try:  # with rows kept from a refused batch, wake up to try them again even when no request comes
                rows = [self._queue.get(timeout=self.retry_seconds if self.pending else None)]
            except queue.Empty:
                rows = []
            while not self._queue.empty() and len(rows) < 500:
                rows.append(self._queue.get())
            self._write([*self.pending, *rows])
            for _ in rows:
                self._queue.task_done()

    def _write(self, batch: list[dict]) -> None:
        try:
            with self._get_engine().begin() as conn:
                conn.execute(insert(requests), [{k: v for k, v in r.items() if k != "shown"} for r in batch])
                seen = [{"day": r["day"], "offer_id": o, "kind": r["kind"]} for r in batch for o in r["shown"]]
                if seen:
                    conn.execute(insert(shown), seen)
            self.pending = []
        except Exception as exc:  # a locked database, a bad URL, a full disk: requests go on regardless
            self._fail("write", exc)
            self.dropped += max(0, len(batch) - self.max_pending)
            self.pending = batch[-self.max_pending:]

    def flush(self) -> None:
        """Wait until every queued row is written (or kept for the next attempt)."""
        self._queue.join()

    def read(self, since: date | None = None) -> list[DemandRecord]:
        self.flush()
        query = select(requests.c.role, requests.c.fields, requests.c.region, requests.c.day)
        if since is not None:
            query = query.where(requests.c.day >= since)
        with self._get_engine().connect() as conn:
            return [DemandRecord(r.role, tuple(f for f in r.fields.split("|") if f), r.region, r.day)
                    for r in conn.execute(query)]

    def shown_counts(self) -> Counter:
        """How often each offer was shown in a list, by offer id."""
        self.flush()
        query = select(shown.c.offer_id, func.count()).group_by(shown.c.offer_id)
        with self._get_engine().connect() as conn:
            return Counter(dict(conn.execute(query).all()))

    def shown_counts_or_empty(self) -> Counter:
        """shown_counts(), or empty (logged once) when the database cannot be read."""
        try:
            return self.shown_counts()
        except Exception as exc:  # as in record: never let the log stop a request
            self._fail("read", exc)
            return Counter()

    def read_or_empty(self, since: date | None = None) -> list[DemandRecord]:
        """read(), or [] (logged once) when the database cannot be read."""
        try:
            return self.read(since)
        except Exception as exc:  # as in record: never let the log stop a request
            self._fail("read", exc)
            return []

    def purge(self, today: date | None = None) -> int:
        """Delete rows older than the retention period; returns how many."""
        self.flush()
        self._get_engine()
        return self._delete_expired(today or date.today())

    def _delete_expired(self, today: date) -> int:
        return delete_expired(self._engine, self.retention_days, today, requests, shown)


def delete_expired(engine, retention_days: int, today: date, *tables: Table) -> int:
    """Delete the rows of tables (each with a `day`) older than retention_days (0: keep all); returns how many of
    the first table's."""
    if not retention_days:
        return 0
    cutoff = today - timedelta(days=retention_days)
    with engine.begin() as conn:
        counts = [conn.execute(delete(t).where(t.c.day < cutoff)).rowcount for t in tables]
    return counts[0]


@dataclass(frozen=True)
class Demand:
    """Demand gathered for a report: the records, the German names of their sources, the good profiles of a
    profiles file (for the exposure of offers) and how many of its profiles were bad (reported and skipped)."""

    records: list[DemandRecord]
    sources: list[str]
    profiles: list[Profile] = field(default_factory=list)
    bad: int = 0


def read_demand(model, *, profiles: str | Path | None = None, sheet: str | None = None,
                demand_db: str | None = None, survey_name: str | None = None,
                on_problem: Callable[[Problem], None] = lambda p: None) -> Demand:
    """Demand from a profiles file (e.g. a survey: each profile read as the model reads a person; bad ones
    reported to on_problem and skipped) and from a demand log (ArgumentError for a URL that is no URL,
    UnavailableError for a database that cannot be read). The survey is named survey_name, else by its path."""
    good, survey, logged, bad = [], None, None, 0
    if profiles:
        for _, profile, problems in read_profiles(profiles, sheet=sheet):
            for problem in problems:
                on_problem(problem)
            bad += bool(problems)
            if profile is not None:
                good.append(profile)
        survey = demand_records(model, good)
    if demand_db:
        try:
            logged = DemandLog(demand_db, retention_days=0).read()
        except Exception as exc:
            # a URL that is no URL is the call's fault; a missing driver or a server that does not answer is not
            error = ArgumentError if isinstance(exc, BadURL) else UnavailableError
            raise error([Problem(("demand_db",), f"cannot read the demand log {demand_db!r}: "
                                 f"{type(exc).__name__}: {exc}".splitlines()[0], "unreadable")]) from None
    records, sources = gather_demand(survey, survey_name or str(profiles), logged)
    return Demand(records, sources, good, bad)


def gather_demand(survey: list[DemandRecord] | None = None, survey_name: str = "Umfrage",
                  logged: list[DemandRecord] | None = None) -> tuple[list[DemandRecord], list[str]]:
    """(demand records, German names of their sources) of a survey's profiles and the logged requests; a source
    given as None is not used and not named."""
    sources = [f"{survey_name} ({german_count(len(survey), 'Profil', 'Profile')})"] if survey is not None else []
    sources += [f"Anfrageprotokoll ({german_count(len(logged), 'Anfrage', 'Anfragen')})"] if logged is not None else []
    return [*(survey or ()), *(logged or ())], sources
