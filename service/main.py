"""The FastAPI app: loads the model once at start-up and only translates HTTP to matcher calls."""
from __future__ import annotations

import logging
import os
import threading
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from matcher import MatchModel, load, limits
from matcher.batch import read_profiles
from matcher.cache import CachedRecommender
from matcher.coverage import demand_records
from matcher.demand import DemandLog
from matcher.encoder import QueryCache

from . import errors
from .admission import Admission
from .headers import SecurityHeaders
from .middleware import BodyLimit
from .routes import api, pages
from .settings import Settings

log = logging.getLogger("service")

DESCRIPTION = "Support offers for municipal actors, explained.\n\nLimits: " + "; ".join(
    lim.help for lim in limits.LIMITS) + "."


def _start(app: FastAPI, model: MatchModel, settings: Settings) -> None:
    """Everything a request needs, prepared before the app reports ready: no request reads a file."""
    if settings.demand_profiles:
        profiles = [p for _, p, _ in read_profiles(settings.demand_profiles) if p is not None]
        app.state.survey_demand = demand_records(model, profiles)
        log.info("demand of %d profiles read from %s", len(profiles), settings.demand_profiles)
    if settings.demand_db:
        app.state.demand_log = DemandLog(settings.demand_db, settings.demand_retention_days)
    app.state.recommender = recommender(model, settings)


def recommender(model: MatchModel, settings: Settings) -> CachedRecommender:
    """The served model with its caches: results by request, query embeddings by text."""
    if model.semantic and settings.query_cache_size > 0:
        model = replace(model, encoder=QueryCache(model.encoder, settings.query_cache_size))
    return CachedRecommender(model, settings.cache_size)


def model_version(model_dir: str) -> str:
    """Which saved model the directory points at now: `matcher train` swaps a link to a new version."""
    return os.path.realpath(model_dir)


def reload_if_changed(app: FastAPI, settings: Settings) -> bool:
    """Load and swap in the model when `matcher train` has replaced it; the old one serves until then."""
    version = model_version(settings.model_dir)
    if version == app.state.model_version:
        return False
    try:
        model = load(settings.model_dir)
    except Exception as exc:  # keep serving the model we have
        log.error("new model in %s cannot be loaded, keeping the current one: %s", settings.model_dir, exc)
        app.state.model_version = version
        return False
    app.state.model_version = version
    app.state.recommender = recommender(model, settings)  # one assignment: an atomic swap
    log.info("model reloaded from %s", settings.model_dir)
    return True


def _watch(app: FastAPI, settings: Settings, stop: threading.Event) -> None:
    while not stop.wait(settings.reload_seconds):
        reload_if_changed(app, settings)


def _load_in_background(app: FastAPI, settings: Settings) -> threading.Thread:
    """Load the model off the event loop, so /health answers at once and /ready says 503 until it is in."""
    def work():
        try:
            app.state.model_version = model_version(settings.model_dir)
            _start(app, load(settings.model_dir), settings)
            log.info("model loaded from %s", settings.model_dir)
        except Exception as exc:  # the service stays up and /ready reports why
            app.state.load_error = str(exc)
            log.error("cannot load the model: %s", exc)
    thread = threading.Thread(target=work, name="model-loader", daemon=True)
    thread.start()
    return thread


def create_app(model: MatchModel | None = None, settings: Settings | None = None) -> FastAPI:
    """The app; with `model` given (tests, embedding) it is ready at once, else it loads settings.model_dir."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if model is not None:
            _start(app, model, settings)
        elif settings.model_dir:
            _load_in_background(app, settings)
        else:
            app.state.load_error = "no model directory configured (KOMMUNE_MATCHER_MODEL)"
        stop = threading.Event()
        if model is None and settings.model_dir and settings.reload_seconds > 0:
            threading.Thread(target=_watch, args=(app, settings, stop), name="model-watch", daemon=True).start()
        yield
        stop.set()

    app = FastAPI(title="kommune-matcher", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.recommender = None
    app.state.load_error = None
    app.state.demand_log = None
    app.state.survey_demand = []
    app.state.model_version = None
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(Admission, max_waiting=settings.max_waiting)
    app.add_middleware(SecurityHeaders)  # added last, so it wraps every answer, the refusals above included
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn (`matcher serve`): the model directory comes from KOMMUNE_MATCHER_MODEL."""
    return create_app()
