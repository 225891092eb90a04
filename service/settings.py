"""Service settings: one BaseSettings, read from KOMMUNE_MATCHER_* environment variables (set by `matcher serve`)."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from matcher import limits
from matcher.alerts import default_locations

from .draining import DRAIN_SECONDS


def _demand_db_beside_the_model(data: dict) -> str | None:
    model_dir = data.get("model_dir")
    return f"sqlite:///{Path(model_dir).resolve().parent / 'demand.sqlite'}" if model_dir else None


def _searches_db_beside_the_model(data: dict) -> str | None:
    return default_locations(data["model_dir"])[0] if data.get("model_dir") else None  # as `matcher alerts` does


def _searches_key_beside_the_model(data: dict) -> str | None:
    return default_locations(data["model_dir"])[1] if data.get("model_dir") else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOMMUNE_MATCHER_", frozen=True, populate_by_name=True,
                                      protected_namespaces=())

    model_dir: str | None = Field(None, validation_alias="KOMMUNE_MATCHER_MODEL")
    max_body_bytes: int = limits.MAX_BODY_BYTES
    cache_size: int = 1024  # results kept by request (matcher.ranking.CachedRecommender)
    # SQLAlchemy URL of the demand log; default a SQLite file beside the model directory; "" for none
    demand_db: str | None = Field(default_factory=_demand_db_beside_the_model)
    demand_retention_days: int = 365
    # saved searches (personal data, stored on consent): SQLAlchemy URL, default a SQLite file beside the model
    # directory, "" for none; the key their links are derived from (a file the database never holds); retention
    searches_db: str | None = Field(default_factory=_searches_db_beside_the_model)
    searches_key_file: str | None = Field(default_factory=_searches_key_beside_the_model)
    searches_retention_days: int = Field(180, ge=1)
    demand_profiles: str | None = None  # a profiles file (e.g. a survey) counted as demand in /coverage
    max_waiting: int = limits.MAX_WAITING  # engine requests held at once before 503 (service/admission.py)
    query_cache_size: int = 4096  # query embeddings kept by text (matcher.text.QueryCache)
    reload_seconds: float = 10.0  # how often to look for a model that `matcher train` swapped in; 0: never
    semantic: bool = True  # false: the fast mode, lexical signals only (`serve --no-semantic`)
    drain_seconds: float = DRAIN_SECONDS  # on SIGTERM, new requests get 503 this long before the shutdown

    @field_validator("demand_db", "demand_profiles", "searches_db", "searches_key_file")
    @classmethod
    def _empty_means_none(cls, value: str | None) -> str | None:
        return value or None
