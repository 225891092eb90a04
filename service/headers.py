"""Security headers on every response: no inline script or style runs, no framing, no MIME sniffing.

The interactive API docs (/docs, /redoc) are FastAPI's own pages, which load Swagger UI from a CDN with an inline
script; they get a policy that allows exactly that, every other response the strict one.
"""
from __future__ import annotations

STRICT = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
          "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DOCS = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
        "worker-src blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")

COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
          (b"x-frame-options", b"DENY"), (b"cross-origin-opener-policy", b"same-origin")]


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        policy = (DOCS if scope["path"].startswith(DOCS_PATHS) else STRICT).encode()

        async def with_headers(message):
            if message["type"] == "http.response.start":
                taken = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in [(b"content-security-policy", policy), *COMMON] if n not in taken]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
