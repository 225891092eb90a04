"""The FastAPI app: loads the model once at start-up and only translates HTTP to matcher calls."""
from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from matcher import MatchModel, load, limits
from matcher.cache import CachedRecommender

from . import errors
from .middleware import BodyLimit
from .routes import api, pages
from .settings import Settings

log = logging.getLogger("service")

DESCRIPTION = "Support offers for municipal actors, explained.\n\nLimits: " + "; ".join(
    lim.help for lim in limits.LIMITS) + "."


def _load_in_background(app: FastAPI, settings: Settings) -> threading.Thread:
    """Load the model off the event loop, so /health answers at once and /ready says 503 until it is in."""
    def work():
        try:
            app.state.recommender = CachedRecommender(load(settings.model_dir), settings.cache_size)
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
            app.state.recommender = CachedRecommender(model, settings.cache_size)
        elif settings.model_dir:
            _load_in_background(app, settings)
        else:
            app.state.load_error = "no model directory configured (KOMMUNE_MATCHER_MODEL)"
        yield

    app = FastAPI(title="kommune-matcher", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.recommender = None
    app.state.load_error = None
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn (`matcher serve`): the model directory comes from KOMMUNE_MATCHER_MODEL."""
    return create_app()
