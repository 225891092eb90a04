"""The FastAPI app: the service's state built in the lifespan (service/lifespan.py), one router per resource,
middleware around them."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from matcher import MatchModel, limits

from . import errors, redaction
from .admission import Admission
from .draining import Drain
from .headers import SecurityHeaders
from .lifespan import lifespan
from .middleware import BodyLimit
from .routes import (actor_page, coverage, feedback, feedback_page, offers, ops, provider_page, providers,
                     recommendations, search_page, searches, team_page)
from .settings import Settings

DESCRIPTION = "Support offers for municipal actors, explained.\n\nLimits: " + "; ".join(
    lim.help for lim in limits.LIMITS) + "."
ROUTERS = (ops, recommendations, feedback, offers, coverage, providers, searches, actor_page, team_page,
           provider_page, search_page, feedback_page)


def create_app(model: MatchModel | None = None, settings: Settings | None = None) -> FastAPI:
    """The app; with `model` given (tests, embedding) it is ready at once, else it loads settings.model_dir."""
    settings = settings or Settings()
    limits.one_blas_thread()
    redaction.install()  # before anything can log a saved search's path
    drain = Drain(settings.drain_seconds)

    app = FastAPI(title="kommune-matcher", version="0.1.0", description=DESCRIPTION,
                  lifespan=lifespan(settings, model, drain))
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(Admission, max_waiting=settings.max_waiting, drain=drain)
    app.add_middleware(SecurityHeaders)  # added last, so it wraps every answer, the refusals above included
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn (`matcher serve`): the settings, the model directory too, come from the environment."""
    return create_app()
