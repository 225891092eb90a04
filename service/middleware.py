"""Refuse oversized request bodies with 413 before anything parses them (pure ASGI, so streaming bodies count too),
and the JSON answers that middleware gives before the app sees a request."""
from __future__ import annotations

import json

from .errors import one_error


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and not declared.isdigit():
            return await self._answer(send, 400, "bad_request", "Content-Length is not a number")
        if declared is not None and int(declared) > self.max_bytes:
            return await self._refuse(send)
        state = {"seen": 0, "too_large": False, "answered": False}

        async def counting_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["seen"] += len(message.get("body", b""))
                if state["seen"] > self.max_bytes:
                    state["too_large"] = True
                    raise _TooLarge
            return message

        async def guarded_send(message):
            # Once the body ran over, whatever the app answers (a 400 from its body parser) becomes our 413.
            if state["too_large"]:
                if not state["answered"]:
                    state["answered"] = True
                    await self._refuse(send)
                return
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            pass
        if state["too_large"] and not state["answered"]:
            await self._refuse(send)

    async def _refuse(self, send):
        await self._answer(send, 413, "too_large", f"request body is larger than {self.max_bytes} bytes")

    @staticmethod
    async def _answer(send, status: int, type_: str, msg: str):
        await send_error(send, status, type_, ["body"], msg)


async def send_error(send, status: int, type_: str, loc: list, msg: str, headers: tuple = ()) -> None:
    """An error answered by middleware, before the app, in the service's one error shape (errors.error_body)."""
    body = json.dumps(one_error(type_, loc, msg)).encode()
    await send_body(send, status, b"application/json", body, headers)


async def send_body(send, status: int, content_type: bytes, body: bytes, headers: tuple = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})
