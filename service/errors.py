"""Every error as JSON {"detail": [{type, loc, msg}]}, the shape of FastAPI's own 422, so pages render both alike."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from matcher import MatcherInputError

log = logging.getLogger("service")


def _detail(items) -> list[dict]:
    return [{"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]} for e in items]


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return JSONResponse(status_code=422, content={"detail": _detail(exc.errors())})

    @app.exception_handler(MatcherInputError)
    async def invalid_input(request: Request, exc: MatcherInputError):
        status = 404 if all(p.type == "not_found" for p in exc.problems) else 422
        return JSONResponse(status_code=status, content={"detail": [p.to_dict() for p in exc.problems]})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, list) else [
            {"type": "http_error", "loc": [], "msg": str(exc.detail)}]
        return JSONResponse(status_code=exc.status_code, content={"detail": detail}, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": [{"type": "internal", "loc": [],
                                                                  "msg": "internal error; it has been logged"}]})
