"""Limits before work: a request with a body is authenticated, its role checked against the route's, then its
Content-Length checked, then its bytes counted as they are read — before any route parses (or spools) it. Pure
ASGI, so nothing is buffered."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from o2c.api.auth import may, refusal

BODYLESS = {"GET", "HEAD", "OPTIONS", "TRACE"}
MULTIPART_ALLOWANCE = 64 * 1024  # form boundaries and part headers around a file of the maximum size
# The reviewer workspace signs in with a form and then carries a signed session cookie, not X-API-Key: its own
# routes check the session (api/workspace/session.py). Its forms are small, so an unauthenticated body is capped
# at this size before anything reads it.
WORKSPACE_PREFIX = "/review"
WORKSPACE_FORM_LIMIT = 64 * 1024


class BodyTooLarge(HTTPException):
    """The request body grew past the limit while it was read."""

    def __init__(self, limit: int):
        super().__init__(413, f"the request body is over the {limit}-byte limit")


async def _answer(send: Send, status: int, error: str, message: str, headers: list | None = None) -> None:
    body = json.dumps({"error": error, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Authenticate (401), check the role the route admits (403), check Content-Length (413), then count bytes
    while the app reads (413)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: Callable[[], int],
        role_of_key: Callable[[str], str | None],
        roles_for: Callable[[Scope], tuple[str, ...] | None],
    ):
        self.app = app
        self.max_body = max_body
        self.role_of_key = role_of_key
        self.roles_for = roles_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in BODYLESS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = scope.get("path", "")
        if path == WORKSPACE_PREFIX or path.startswith(WORKSPACE_PREFIX + "/"):
            limit = WORKSPACE_FORM_LIMIT
        else:
            key = headers.get("x-api-key")
            role = self.role_of_key(key) if key else None
            if role is None:  # before a single byte of the body is read
                await _answer(
                    send,
                    401,
                    "unauthorized",
                    "missing X-API-Key header" if not key else "unknown API key",
                    [(b"www-authenticate", b"APIKey")],
                )
                return
            roles = self.roles_for(scope)
            if roles is not None and not may(role, roles):  # the route's own check, before the body as well
                await _answer(send, 403, "forbidden", refusal(role, roles))
                return
            limit = self.max_body() + MULTIPART_ALLOWANCE
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await _answer(send, 400, "invalid_request", "Content-Length is not a number")
                return
            if int(declared) > limit:
                await _answer(
                    send,
                    413,
                    "document_too_large",
                    f"the request body of {declared} bytes is over the {limit}-byte limit",
                )
                return
        counted = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal counted
            message = await receive()
            if message["type"] == "http.request":
                counted += len(message.get("body", b""))
                if counted > limit:  # a lying or missing Content-Length (chunked upload)
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as exc:  # raised where no handler of the app caught it
            if started:
                raise
            await _answer(send, 413, "document_too_large", str(exc.detail))
