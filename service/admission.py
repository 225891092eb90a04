"""Admission control: at most a bounded number of requests wait for the engine; beyond it, 503 at once.

The engine (the encoder above all) serves a fixed number of requests per second on a machine. A request admitted
behind a long line is answered late for everyone; one refused at once with `Retry-After` can come back. Only
requests that run the engine count: the API's recommendation routes and the pages when they carry a search.
Health checks, static files and empty forms pass untouched, so API load never starves them.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time

from .middleware import send_body, send_error

log = logging.getLogger("service")

# Engine requests that run at once; the others wait their turn on the event loop, first come first served. Two
# keep both cores busy (the encoder is native code); more only make every request slower and, holding the GIL
# in turn, starve the event loop that answers /health.
RUNNING = 2
ENGINE_POSTS = ("/recommendations", "/recommendations/group", "/searches", "/suche", "/feedback",
                "/rueckmeldung")  # saving and feedback rank too
SEARCH_PAGES = {"/": b"bedarf=", "/team": b"aktion=suchen"}  # a page runs the engine when its query has this


def runs_engine(scope) -> bool:
    path, method = scope["path"], scope["method"]
    if method == "POST":
        return path in ENGINE_POSTS
    marker = SEARCH_PAGES.get(path)
    return method == "GET" and marker is not None and marker in scope.get("query_string", b"")


class Admission:
    """Pure ASGI middleware: admits at most max_waiting engine requests, of which `running` run at once; while the
    service drains before a shutdown (service/draining.py) it admits nothing but /health."""

    def __init__(self, app, max_waiting: int, running: int = RUNNING, drain=None):
        self.app, self.max_waiting, self.drain = app, max_waiting, drain
        self.turns = asyncio.Semaphore(running)
        self.active = 0
        self.shed = 0
        self.seconds_per_request = 0.1  # running mean of an admitted request's time in the service

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.drain is not None and self.drain.started.is_set() \
                and scope["path"] != "/health":
            return await self._refuse(scope, send, draining=True)
        if scope["type"] != "http" or not runs_engine(scope):
            return await self.app(scope, receive, send)
        if self.active >= self.max_waiting:
            self.shed += 1
            if self.shed == 1 or self.shed % 100 == 0:
                log.warning("overloaded: %d engine requests in the service, %d refused so far",
                            self.active, self.shed)
            return await self._refuse(scope, send)
        self.active += 1  # the event loop is one thread: no lock needed
        started = time.perf_counter()
        try:
            async with self.turns:
                await self.app(scope, receive, send)
        finally:
            self.active -= 1
            self.seconds_per_request += 0.1 * (time.perf_counter() - started - self.seconds_per_request)

    def retry_after(self) -> int:
        """Seconds until a place is likely free: within one request's time in the service, a running one ends."""
        return max(1, math.ceil(self.seconds_per_request))

    async def _refuse(self, scope, send, draining: bool = False):
        seconds = self.retry_after()
        headers = ((b"retry-after", str(seconds).encode()),)
        if draining:  # the client should come back on a fresh connection, to a process that stays
            headers += ((b"connection", b"close"),)
        if scope["method"] == "GET" and scope["path"] != "/ready":  # a page: German HTML
            page = (RESTART_PAGE if draining else OVERLOAD_PAGE).format(seconds=seconds)
            await send_body(send, 503, b"text/html; charset=utf-8", page.encode(), headers)
        elif draining:
            await send_error(send, 503, "shutting_down", [], f"the service is restarting; try again in {seconds} s",
                             headers)
        else:
            await send_error(send, 503, "overloaded", [], f"the service is busy; try again in {seconds} s", headers)

OVERLOAD_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Gerade ausgelastet – kommune-matcher</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><main class="container"><h1>Gerade ausgelastet</h1>
<p>Im Moment suchen sehr viele Menschen gleichzeitig. Bitte versuchen Sie es in {seconds} Sekunden noch einmal
&ndash; Ihre Eingaben stehen noch in der Adresse dieser Seite; laden Sie sie einfach neu.</p>
<p><a href="/">Zur Startseite</a></p></main></body></html>
"""

RESTART_PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Wird neu gestartet – kommune-matcher</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><main class="container"><h1>Wird gerade neu gestartet</h1>
<p>Der Dienst startet in diesem Moment neu. Bitte laden Sie die Seite in {seconds} Sekunden noch einmal
&ndash; Ihre Eingaben stehen noch in der Adresse dieser Seite.</p>
<p><a href="/">Zur Startseite</a></p></main></body></html>
"""
