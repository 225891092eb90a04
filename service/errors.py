"""Every error as JSON {"detail": [{type, loc, msg}]}, the shape of FastAPI's own 422, so pages render both alike.

error_body builds it everywhere: the exception handlers here and the middleware that answers before the app.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from matcher import MatcherInputError, UnavailableError

log = logging.getLogger("service")


class NotReady(Exception):
    """The model is not loaded (yet): 503, try again shortly."""


def error_body(items) -> dict:
    """{"detail": [...]} of (type, loc, msg) dicts or Problems."""
    detail = [p.to_dict() if hasattr(p, "to_dict") else {"type": p["type"], "loc": list(p["loc"]), "msg": p["msg"]}
              for p in items]
    return {"detail": detail}


def one_error(type_: str, loc: list, msg: str) -> dict:
    return error_body([{"type": type_, "loc": loc, "msg": msg}])


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        return JSONResponse(status_code=422, content=error_body(exc.errors()))

    @app.exception_handler(MatcherInputError)
    async def invalid_input(request: Request, exc: MatcherInputError):
        status = 404 if all(p.type == "not_found" for p in exc.problems) else 422
        return JSONResponse(status_code=status, content=error_body(exc.problems))

    @app.exception_handler(NotReady)
    async def not_ready(request: Request, exc: NotReady):
        return JSONResponse(status_code=503, content=one_error("not_ready", [], "the model is still loading; "
                                                                               "try again shortly"))

    @app.exception_handler(UnavailableError)
    async def unavailable(request: Request, exc: UnavailableError):
        log.error("unavailable on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(status_code=503, content=error_body(exc.problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return JSONResponse(status_code=exc.status_code, content=one_error("http_error", [], str(exc.detail)),
                            headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content=one_error("internal", [], "internal error; it has been logged"))
