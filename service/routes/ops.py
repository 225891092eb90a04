"""Liveness and readiness. Both are async: they run on the event loop, never behind engine requests in the
thread pool, so they answer in milliseconds under full load."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["ops"])


@router.get("/health")
async def health() -> dict:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "the model is not loaded (yet)"}})
async def ready(request: Request):
    """Readiness: 200 once the model is loaded, 503 before (or when loading failed)."""
    state = request.app.state
    if state.recommender is None:
        return JSONResponse(status_code=503, content={"status": "loading" if state.load_error is None else "failed",
                                                      "error": state.load_error})
    model = state.recommender.model
    return {"status": "ready", "offers": len(model.offers), "semantic": model.semantic}
