"""What the service holds while it runs, built in the lifespan and kept on `app.state`; the routes reach it only
through the dependencies of service/deps.py.

    app.state.recommender   the served model with its caches (None until loaded); a retrained model replaces it
                            in one assignment, while the old one serves until then
    app.state.demand_log    the demand log, or None
    app.state.feedback      the verdicts people give on offers ("passt" / "passt nicht"), or None
    app.state.survey        a survey's demand, read once at start-up
    app.state.searches      the saved searches, or None; their new offers are computed for each model that is
                            swapped in, in the background (once per model, see matcher.alerts.refresh_notices)
"""
from __future__ import annotations

import logging
import os
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI

from matcher import MatchModel, load, read_profiles
from matcher.alerts import SearchStore, refresh_notices
from matcher.coverage import DemandLog, demand_records
from matcher.feedback import FeedbackStore
from matcher.model import read_ahead
from matcher.ranking import CachedRecommender
from matcher.text import QueryCache

log = logging.getLogger("service")


def lifespan(settings, model: MatchModel | None, drain):
    """The app's lifespan: `model` is served at once (tests, embedding); else settings.model_dir is loaded off the
    event loop, so /health answers at once and /ready says 503 until it is in, and watched for retrains."""
    @asynccontextmanager
    async def run(app: FastAPI):
        drain.install()
        state = app.state
        state.settings, state.recommender, state.load_error, state.refreshing = settings, None, None, None
        state.model_version, state.survey = None, []
        state.demand_log = DemandLog(settings.demand_db, settings.demand_retention_days) if settings.demand_db \
            else None
        state.feedback = FeedbackStore(settings.feedback_db, settings.demand_retention_days) \
            if settings.feedback_db else None
        state.searches = _search_store(settings)
        stop = threading.Event()
        if model is not None:
            _start(app, model)
        elif settings.model_dir:
            threading.Thread(target=_load, args=(app,), name="model-loader", daemon=True).start()
            if settings.reload_seconds > 0:
                threading.Thread(target=_watch, args=(app, stop), name="model-watch", daemon=True).start()
        else:
            state.load_error = "no model directory configured (KOMMUNE_MATCHER_MODEL)"
        yield
        stop.set()
    return run


def _start(app: FastAPI, model: MatchModel) -> None:
    """Everything a request needs, prepared before the service reports ready: no request reads a file."""
    settings = app.state.settings
    model = model if settings.semantic else model.lexical()
    if settings.demand_profiles:
        profiles = [p for _, p, _ in read_profiles(settings.demand_profiles) if p is not None]
        app.state.survey = demand_records(model, profiles)
        log.info("demand of %d profiles read from %s", len(profiles), settings.demand_profiles)
    _serve(app, model)


def _serve(app: FastAPI, model: MatchModel) -> None:
    """The served model with its caches, results by request and query embeddings by text; one assignment swaps it."""
    settings = app.state.settings
    if model.semantic and settings.query_cache_size > 0:
        model = model.but(encoder=QueryCache(model.encoder, settings.query_cache_size))
    app.state.recommender = recommender = CachedRecommender(model, settings.cache_size)
    if app.state.searches is not None:
        refreshing = threading.Thread(target=refresh_searches, args=(app.state.searches, recommender.model),
                                      name="search-notices", daemon=True)
        refreshing.start()
        app.state.refreshing = refreshing  # started before it is seen: whoever joins it never meets an unstarted one


def _version(settings) -> str:
    """Which saved model the directory points at now: `matcher train` swaps a link to a new version."""
    return os.path.realpath(settings.model_dir)


def _read(settings) -> MatchModel:
    """The model of the directory, its files read into the page cache first: it serves warm from its first request."""
    read_ahead(settings.model_dir)
    return load(settings.model_dir)


def _load(app: FastAPI) -> None:
    settings = app.state.settings
    try:
        app.state.model_version = _version(settings)
        _start(app, _read(settings))
        log.info("model loaded from %s", settings.model_dir)
    except Exception as exc:  # the service stays up and /ready reports why
        app.state.load_error = str(exc)
        log.error("cannot load the model: %s", exc)


def reload_if_changed(app: FastAPI) -> bool:
    """Load and swap in the model when `matcher train` has replaced it; the old one serves until then."""
    settings = app.state.settings
    version = _version(settings)
    if version == app.state.model_version:
        return False
    try:
        model = _read(settings)
    except Exception as exc:  # keep serving the model we have
        log.error("new model in %s cannot be loaded, keeping the current one: %s", settings.model_dir, exc)
        app.state.model_version = version
        return False
    app.state.model_version = version
    _serve(app, model if settings.semantic else model.lexical())
    log.info("model reloaded from %s", settings.model_dir)
    return True


def _watch(app: FastAPI, stop: threading.Event) -> None:
    while not stop.wait(app.state.settings.reload_seconds):
        reload_if_changed(app)


def _search_store(settings) -> SearchStore | None:
    if not settings.searches_db:
        return None
    if not settings.searches_key_file:
        log.error("saved searches are off: no key file configured (KOMMUNE_MATCHER_SEARCHES_KEY_FILE)")
        return None
    return SearchStore(settings.searches_db, settings.searches_key_file, settings.searches_retention_days)


def refresh_searches(searches: SearchStore, model: MatchModel) -> None:
    """The offers new in each saved search's top k under this model; a failing database is logged, never raised
    (the next model, or `matcher alerts`, computes what this run missed)."""
    try:
        if not searches.exists():
            return
        counts = refresh_notices(searches, model)
        log.info("saved searches: %(searches)d checked against the new model, %(new)d new offers noticed, "
                 "%(purged)d expired searches deleted", counts)
    except Exception as exc:
        log.error("saved searches: computing new offers failed (%s)", type(exc).__name__)
