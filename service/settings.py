"""Service settings, read once from the environment (set by `matcher serve`)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from matcher import limits


@dataclass(frozen=True)
class Settings:
    model_dir: str | None
    max_body_bytes: int = limits.MAX_BODY_BYTES
    cache_size: int = 1024
    demand_db: str | None = None  # SQLAlchemy URL of the demand log; None: no log
    demand_retention_days: int = 365
    demand_profiles: str | None = None  # a profiles file (e.g. a survey) counted as demand in /coverage
    max_waiting: int = limits.MAX_WAITING  # engine requests held at once before 503 (service/admission.py)
    query_cache_size: int = 4096  # query embeddings kept by text (matcher/encoder.py QueryCache)
    reload_seconds: float = 10.0  # how often to look for a model that `matcher train` swapped in; 0: never

    @classmethod
    def from_env(cls) -> "Settings":
        model_dir = os.environ.get("KOMMUNE_MATCHER_MODEL")
        default_db = f"sqlite:///{Path(model_dir).resolve().parent / 'demand.sqlite'}" if model_dir else None
        return cls(model_dir=model_dir,
                   cache_size=int(os.environ.get("KOMMUNE_MATCHER_CACHE_SIZE", "1024")),
                   demand_db=os.environ.get("KOMMUNE_MATCHER_DEMAND_DB", default_db) or None,
                   demand_retention_days=int(os.environ.get("KOMMUNE_MATCHER_DEMAND_RETENTION_DAYS", "365")),
                   demand_profiles=os.environ.get("KOMMUNE_MATCHER_DEMAND_PROFILES") or None,
                   query_cache_size=int(os.environ.get("KOMMUNE_MATCHER_QUERY_CACHE_SIZE", "4096")),
                   max_waiting=int(os.environ.get("KOMMUNE_MATCHER_MAX_WAITING", str(limits.MAX_WAITING))),
                   reload_seconds=float(os.environ.get("KOMMUNE_MATCHER_RELOAD_SECONDS", "10")))
