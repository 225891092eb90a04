"""The feedback store: verdicts ("passt" / "passt nicht") on offers people were shown, with the numbers the
ranker saw, and nothing that says who gave them.

Per verdict only: the day, the offer id, the verdict, the role codes and fields as read, the model version, a
keyed digest that groups the verdicts of one result list (its key lives in memory only, so the digest cannot be
traced back to a person, nor linked across days or restarts) and the standardised signals of the offers of that
list. Never the needs text, the job title or an address. The same databases and retention rule as the demand log.
"""
from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, Text, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from ..core import Problem, UnavailableError
from ..coverage import DemandLog, Responses, connect, delete_expired

log = logging.getLogger(__name__)

VERDICTS = ("passt", "passt_nicht")
metadata = MetaData()
verdicts = Table(
    "feedback_verdicts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # "person" or "team"
    Column("offer_id", String(200), nullable=False, index=True),
    Column("verdict", String(16), nullable=False),  # "passt" or "passt_nicht"
    Column("roles", String(200), nullable=False),  # role codes as read, joined by "|"; "" when unknown
    Column("fields", String(200), nullable=False),  # field codes as read, joined by "|"
    Column("model_version", String(64), nullable=False),
    Column("list_key", String(32), nullable=False, index=True),  # groups one result list's verdicts
    Column("signals", Text, nullable=False),  # JSON: {"names": [...], "offers": [...], "values": [[...], ...]}
)


@dataclass(frozen=True)
class StoredVerdict:
    """One verdict as a refit reads it: the list it was given on and the signals of that list's offers."""

    id: int
    list_key: str
    offer_id: str
    passt: bool
    kind: str
    model_version: str
    roles: tuple[str, ...]  # the person's role codes as read, the first the main one
    names: tuple[str, ...]
    offers: tuple[str, ...]  # the list shown, best first (the judged offer last when it was not among them)
    values: tuple[tuple[float, ...], ...]  # per offer of `offers`, the standardised signals `names`


class FeedbackStore:
    """Verdicts in a SQLAlchemy database (SQLite beside the model by default), kept retention_days (0 = forever)."""

    def __init__(self, url: str, retention_days: int = 365):
        if retention_days < 0:
            raise ValueError(f"retention_days must be 0 (keep forever) or more, got {retention_days}")
        self.url, self.retention_days = url, retention_days
        self._engine = None
        self._lock = threading.Lock()

    def _get_engine(self):
        with self._lock:
            if self._engine is None:
                self._engine = connect(self.url, metadata)
                self._delete_expired(date.today())
            return self._engine

    def add(self, row: dict) -> int:
        """Store one verdict row (columns of `verdicts` but id); returns its id."""
        row = {**row, "signals": json.dumps(row["signals"], separators=(",", ":"))}
        try:
            with self._get_engine().begin() as conn:
                return int(conn.execute(insert(verdicts).values(**row)).inserted_primary_key[0])
        except SQLAlchemyError as exc:  # locked, gone, read-only: the verdict is refused, nothing half-stored
            log.error("feedback store: write failed (%s)", type(exc).__name__)
            raise UnavailableError([Problem(("feedback_db",), "the feedback database does not answer; try again "
                                            "later", "unavailable")]) from None

    def read(self, kind: str | None = None) -> list[StoredVerdict]:
        query = select(verdicts).order_by(verdicts.c.id)
        if kind is not None:
            query = query.where(verdicts.c.kind == kind)
        with self._get_engine().connect() as conn:
            rows = conn.execute(query).all()
        out = []
        for r in rows:
            signals = json.loads(r.signals)
            out.append(StoredVerdict(r.id, r.list_key, r.offer_id, r.verdict == "passt", r.kind, r.model_version,
                                     tuple(x for x in r.roles.split("|") if x), tuple(signals["names"]),
                                     tuple(signals["offers"]),
                                     tuple(tuple(v) for v in signals["values"])))
        return out

    def counts(self) -> dict[str, Counter]:
        """{"passt": Counter(offer_id), "passt_nicht": Counter(offer_id)} over everything stored."""
        query = select(verdicts.c.verdict, verdicts.c.offer_id, func.count()).group_by(verdicts.c.verdict,
                                                                                      verdicts.c.offer_id)
        out = {v: Counter() for v in VERDICTS}
        with self._get_engine().connect() as conn:
            for verdict, offer_id, n in conn.execute(query):
                out[verdict][offer_id] = n
        return out

    def purge(self, today: date | None = None) -> int:
        self._get_engine()
        return self._delete_expired(today or date.today())

    def _delete_expired(self, today: date) -> int:
        return delete_expired(self._engine, self.retention_days, today, verdicts)


def read_responses(demand_log: DemandLog | None, store: FeedbackStore | None) -> Responses:
    """How often each offer was shown (the demand log) and judged (the verdicts); what cannot be read is empty,
    logged once by the demand log, and never stops a page."""
    shown = demand_log.shown_counts_or_empty() if demand_log is not None else {}
    verdict_counts = {v: {} for v in VERDICTS}
    if store is not None:
        try:
            verdict_counts = store.counts()
        except Exception as exc:  # as the demand log: a report never fails for its feedback
            log.error("feedback store: read failed (%s)", type(exc).__name__)
    return Responses(shown, verdict_counts["passt"], verdict_counts["passt_nicht"])
