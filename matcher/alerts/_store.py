"""Saved searches in a database, behind secret links derived from a key the database never holds."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text, create_engine,
                        delete, insert, inspect, select, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from ..core import Offer, Problem, Profile, UnavailableError, parse_profile


# The secret links of saved searches: a token per search, derived from a key the database never holds.
#
# A token is HMAC-SHA256(key, search id), 256 bits, as unguessable as `secrets.token_urlsafe(32)`. The database
# stores only the search id and the token's SHA-256, so a leaked database gives no link away; whoever holds the key
# file as well (the service and `matcher alerts`, beside the model) can rebuild a search's link for its digest.
# Tokens are looked up by their hash and compared in constant time.

KEY_BYTES = 32


def load_key(path: str | Path) -> bytes:
    """The key in `path`, made (random, readable by its owner only) when there is none yet.

    Two processes starting at once (two workers, a worker and `matcher alerts`) agree on one key: it is written to
    a temporary file and linked into place, which fails when the other process was first.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(KEY_BYTES) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            tmp.unlink()
    key = bytes.fromhex(path.read_text().strip())
    if len(key) < KEY_BYTES:
        raise ValueError(f"the key file {str(path)!r} holds {len(key)} bytes, expected {KEY_BYTES}")
    return key


def new_search_id() -> str:
    """A search's public id: random, says nothing about its token; names its digest files."""
    return secrets.token_hex(8)


def token_for(key: bytes, search_id: str) -> str:
    """The search's secret token (43 URL-safe characters)."""
    mac = hmac.new(key, b"saved-search:" + search_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    """What the database stores of a token. Any text hashes, so a garbage token takes the path of a real one."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_hash(stored: str, computed: str) -> bool:
    return hmac.compare_digest(stored.encode(), computed.encode())


# Saved searches and their notices in a database: SQLite by default, PostgreSQL (any SQLAlchemy URL) when given.
#
# A saved search holds a profile, which is personal data (the needs in the person's own words): it is stored only
# on consent, kept `retention_days` and deleted at once by its secret link. A notice is one offer that entered a
# search's top k, recorded once per search, ever (the key is (search, offer), so two workers computing the same
# retrain store it once).

metadata = MetaData()
searches = Table(
    "saved_searches", metadata,
    Column("id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of the token, never the token
    Column("profile", Text, nullable=False),  # the contract's profile fields, as JSON
    Column("top_k", Integer, nullable=False),
    Column("created", DateTime, nullable=False),  # UTC
    Column("expires", DateTime, nullable=False, index=True),
    Column("checked_model", String(64)),  # fingerprint of the last model its notices were computed for
)
notices = Table(
    "saved_search_notices", metadata,
    Column("search_id", String(32), ForeignKey("saved_searches.id", ondelete="CASCADE"), primary_key=True),
    Column("offer_id", String(200), primary_key=True),
    Column("title", Text, nullable=False),  # as the offer was titled then, so a feed outlives a catalog change
    Column("provider", Text, nullable=False),
    Column("url", Text),
    Column("noticed", DateTime, nullable=False),
    Column("model", String(64), nullable=False),
    Column("baseline", Boolean, nullable=False),  # in the top k when the search was saved: seen, never "new"
    Column("sent", DateTime),  # when `matcher alerts` put it into a digest
)


def default_locations(model_dir) -> tuple[str, str]:
    """(database URL, key file) beside the model directory: where the service and `matcher alerts` both look
    unless told otherwise."""
    folder = Path(model_dir).absolute().parent  # beside the link `matcher train` swaps, not inside a version
    return f"sqlite:///{folder / 'searches.sqlite'}", str(folder / "searches.key")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)  # naive UTC: SQLite keeps no zone


@dataclass(frozen=True)
class SavedSearch:
    id: str
    profile: Profile
    top_k: int
    created: datetime
    expires: datetime
    token: str | None = None  # known when the search was just saved or when the key rebuilds it


@dataclass(frozen=True)
class Notice:
    offer_id: str
    title: str
    provider: str
    url: str | None
    noticed: datetime
    model: str
    baseline: bool
    sent: datetime | None


def profile_to_json(profile: Profile) -> str:
    record = {"id": profile.id, "role": profile.role, "role_title": profile.role_title,
              "fields": list(profile.fields), "needs": profile.needs, "region": profile.region,
              "format_preference": profile.format_preference}
    return json.dumps({k: v for k, v in record.items() if v not in (None, [])}, ensure_ascii=False)


class SearchStore:
    """The saved searches of one database, their tokens derived from the key in `key_file` (see load_key). The
    tables and the key are made on first use, so a service nobody saves a search with writes neither."""

    def __init__(self, url: str, key_file: str | Path, retention_days: int = 180):
        if retention_days < 1:
            raise ValueError(f"retention_days must be 1 or more, got {retention_days}")
        self.url, self.key_file, self.retention_days = url, key_file, retention_days
        self._engine = self._key_bytes = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never a password of the URL
        return f"SearchStore({self.url.split('@')[-1]!r}, retention_days={self.retention_days})"

    @property
    def _key(self) -> bytes:
        with self._lock:
            if self._key_bytes is None:
                try:
                    self._key_bytes = load_key(self.key_file)
                except (OSError, ValueError) as exc:
                    raise UnavailableError([Problem(("searches_key_file",), f"the key of saved searches cannot be "
                                                    f"read or made: {type(exc).__name__}", "unavailable")]) from None
            return self._key_bytes

    def exists(self) -> bool:
        """False for a SQLite file not made yet (no search was ever saved): nothing to compute, nothing to create."""
        try:
            url = make_url(self.url)
        except SQLAlchemyError:
            return True  # not even a URL: the first query says so, as UnavailableError
        return not (url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:"
                    and not Path(url.database).exists())

    # the database

    def _get_engine(self):
        with self._lock:
            if self._engine is None:
                options = {"pool_pre_ping": True}
                if self.url.startswith("sqlite"):
                    options.update(connect_args={"check_same_thread": False}, poolclass=NullPool)
                engine = create_engine(self.url, **options)
                try:
                    metadata.create_all(engine)
                except SQLAlchemyError:  # another process created the tables between the check and the CREATE
                    if not inspect(engine).has_table(notices.name):
                        raise
                self._engine = engine
            return self._engine

    @contextmanager
    def _begin(self):
        """A transaction; a database that fails becomes UnavailableError (503 over HTTP, exit 2 in the CLI)."""
        try:
            with self._get_engine().begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise UnavailableError([Problem(("searches_db",), f"the saved-search database failed: "
                                            f"{type(exc).__name__}", "unavailable")]) from None

    # searches

    def save(self, profile: Profile, top_k: int, baseline: list[Offer], model: str,
             now: datetime | None = None) -> SavedSearch:
        """Store a search with the offers its person has just seen as its baseline; returns it with its token."""
        now = now or utcnow()
        search_id = new_search_id()
        token = token_for(self._key, search_id)
        search = SavedSearch(search_id, profile, top_k, now, now + timedelta(days=self.retention_days), token)
        with self._begin() as conn:
            conn.execute(insert(searches).values(
                id=search.id, token_hash=token_hash(token), profile=profile_to_json(profile), top_k=top_k,
                created=search.created, expires=search.expires, checked_model=model))
            self._insert_notices(conn, search.id, baseline, model, now, baseline=True)
        return search

    def find(self, token: str, now: datetime | None = None) -> SavedSearch | None:
        """The search of a token, or None (unknown, garbage or expired: one path, one answer)."""
        wanted = token_hash(token)
        with self._begin() as conn:
            row = conn.execute(select(searches).where(searches.c.token_hash == wanted)).first()
        if row is None or not same_hash(row.token_hash, wanted) or row.expires <= (now or utcnow()):
            return None
        return self._search(row, token)

    def delete(self, token: str) -> bool:
        """Delete a search and its notices at once; False when the token is unknown."""
        found = self.find(token)
        if found is None:
            return False
        with self._begin() as conn:
            self._delete(conn, [found.id])
        return True

    def purge(self, now: datetime | None = None) -> int:
        """Delete the searches past their retention; returns how many."""
        with self._begin() as conn:
            expired = list(conn.execute(select(searches.c.id).where(searches.c.expires <= (now or utcnow()))).scalars())
            self._delete(conn, expired)
        return len(expired)

    @staticmethod
    def _delete(conn, ids: list[str]) -> None:
        if ids:  # notices first: SQLite enforces no foreign keys unless asked, so the cascade is done by hand
            conn.execute(delete(notices).where(notices.c.search_id.in_(ids)))
            conn.execute(delete(searches).where(searches.c.id.in_(ids)))

    def active(self, now: datetime | None = None) -> list[SavedSearch]:
        """Every search within its retention, oldest first, each with its token when the key rebuilds it."""
        with self._begin() as conn:
            rows = conn.execute(select(searches).where(searches.c.expires > (now or utcnow()))
                                .order_by(searches.c.created, searches.c.id)).all()
        return [self._search(row) for row in rows]

    def unchecked(self, model: str, now: datetime | None = None) -> list[SavedSearch]:
        """The active searches whose notices were not yet computed for this model."""
        with self._begin() as conn:
            rows = conn.execute(select(searches).where(searches.c.expires > (now or utcnow()),
                                                       (searches.c.checked_model != model)
                                                       | searches.c.checked_model.is_(None))).all()
        return [self._search(row) for row in rows]

    def _search(self, row, token: str | None = None) -> SavedSearch:
        if token is None:
            derived = token_for(self._key, row.id)
            token = derived if same_hash(row.token_hash, token_hash(derived)) else None  # None: another key
        return SavedSearch(row.id, parse_profile(json.loads(row.profile)), row.top_k, row.created, row.expires,
                           token)

    # notices

    def record(self, search_id: str, offers: list[Offer], model: str, now: datetime | None = None) -> int:
        """Note the offers of a search's current top k that were never noticed for it; returns how many."""
        with self._begin() as conn:
            added = self._insert_notices(conn, search_id, offers, model, now or utcnow(), baseline=False)
            conn.execute(update(searches).where(searches.c.id == search_id).values(checked_model=model))
        return added

    @staticmethod
    def _insert_notices(conn, search_id: str, offers: list[Offer], model: str, now: datetime, baseline: bool) -> int:
        rows = [{"search_id": search_id, "offer_id": o.id, "title": o.title, "provider": o.provider, "url": o.url,
                 "noticed": now, "model": model, "baseline": baseline, "sent": None} for o in offers]
        dialect = {"sqlite": sqlite, "postgresql": postgresql}.get(conn.dialect.name)
        if dialect is not None:  # an offer noticed before (by this process or another) is skipped by the database
            statement = (dialect.insert(notices).on_conflict_do_nothing(index_elements=["search_id", "offer_id"])
                         .returning(notices.c.offer_id))  # a row comes back only when stored (rowcount is -1 here)
            return sum(len(conn.execute(statement.values(**row)).all()) for row in rows)
        added = 0
        for row in rows:  # any other database: one savepoint per row, a duplicate rolled back alone
            try:
                with conn.begin_nested():
                    conn.execute(insert(notices).values(**row))
                added += 1
            except IntegrityError:
                pass
        return added

    def notices(self, search_id: str, new_only: bool = True) -> list[Notice]:
        """A search's notices, newest first; new_only leaves out the baseline."""
        query = select(notices).where(notices.c.search_id == search_id)
        if new_only:
            query = query.where(notices.c.baseline.is_(False))
        with self._begin() as conn:
            rows = conn.execute(query.order_by(notices.c.noticed.desc(), notices.c.offer_id)).all()
        return [Notice(r.offer_id, r.title, r.provider, r.url, r.noticed, r.model, r.baseline, r.sent) for r in rows]

    def mark_sent(self, search_id: str, offer_ids: list[str], now: datetime | None = None) -> None:
        with self._begin() as conn:
            conn.execute(update(notices).where(notices.c.search_id == search_id, notices.c.offer_id.in_(offer_ids))
                         .values(sent=now or utcnow()))
