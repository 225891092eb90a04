"""The FastAPI app: one runtime built in the lifespan, one router per resource, middleware around them."""
from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from matcher import MatchModel, limits

from . import errors, redaction
from .admission import Admission
from .draining import Drain
from .headers import SecurityHeaders
from .middleware import BodyLimit
from .routes import (actor_page, coverage, offers, ops, provider_page, providers, recommendations, search_page,
                     searches, team_page)
from .runtime import Runtime
from .settings import Settings

DESCRIPTION = "Support offers for municipal actors, explained.\n\nLimits: " + "; ".join(
    lim.help for lim in limits.LIMITS) + "."
ROUTERS = (ops, recommendations, offers, coverage, providers, searches, actor_page, team_page, provider_page,
           search_page)


def create_app(model: MatchModel | None = None, settings: Settings | None = None) -> FastAPI:
    """The app; with `model` given (tests, embedding) it is ready at once, else it loads settings.model_dir."""
    settings = settings or Settings()
    redaction.install()  # before anything can log a saved search's path
    drain = Drain(settings.drain_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        drain.install()
        runtime = app.state.runtime = Runtime(settings)
        if model is not None:
            runtime.start(model)
        elif settings.model_dir:
            runtime.load_in_background()
        else:
            runtime.load_error = "no model directory configured (KOMMUNE_MATCHER_MODEL)"
        stop = threading.Event()
        if model is None and settings.model_dir and settings.reload_seconds > 0:
            threading.Thread(target=runtime.watch, args=(stop,), name="model-watch", daemon=True).start()
        yield
        stop.set()

    app = FastAPI(title="kommune-matcher", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
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
