"""The journal's capture point: a pure ASGI middleware around every vendor, storage and web request.

It keeps references, not copies: the header list, the first bytes of each body, status, latency.
The entry is handed to the journal just before the last body chunk is sent, so a client that has
its response can already find the request with `/_sim/requests`. Redaction, attribution and the
database write happen later, off the request path. `/_sim` itself is not journaled.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.services.journal.buffer import Exchange, Journal

ADMIN_PREFIX = "/_sim"
_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


def kind_of(path: str) -> str:
    if path.startswith("/storage/"):
        return "storage"
    if path.startswith("/kyc/"):
        return "web"
    return "vendor"


def _journal_of(scope: Scope) -> tuple[Journal, float] | None:
    app: Any = scope.get("app")
    services = getattr(getattr(app, "state", None), "services", None)
    if services is None:
        return None
    journal: Journal = services.journal
    return journal, services.clock.now()


class JournalMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        found = _journal_of(scope)
        if found is None:
            await self.app(scope, receive, send)
            return
        journal, now = found
        started = time.perf_counter()
        path: str = scope["path"]
        kind = kind_of(path)
        method: str = scope["method"]
        exchange = Exchange(
            at=now,
            kind=kind,
            method=method,
            path=path,
            query=scope.get("query_string", b""),
            headers=scope["headers"],
            capture_bodies=kind != "storage",
        )
        limit = journal.excerpt_bytes
        recorded = False

        def finish() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                exchange.latency_ms = (time.perf_counter() - started) * 1000.0
                journal.record_exchange(exchange)

        async def capture_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk: bytes = message.get("body", b"")
                if chunk:
                    if exchange.capture_bodies and exchange.request_size < limit:
                        exchange.request_chunks.append(chunk[: limit - exchange.request_size])
                    exchange.request_size += len(chunk)
            return message

        async def capture_send(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                exchange.status = message["status"]
                exchange.response_headers = message.get("headers", [])
            elif kind == "http.response.body":
                chunk: bytes = message.get("body", b"")
                if chunk:
                    if exchange.capture_bodies and exchange.response_size < limit:
                        exchange.response_chunks.append(chunk[: limit - exchange.response_size])
                    exchange.response_size += len(chunk)
                if not message.get("more_body", False):
                    finish()
            await send(message)

        try:
            await self.app(scope, receive if method in _NO_BODY else capture_receive, capture_send)
        except BaseException as exc:
            if not recorded:
                exchange.error = f"{type(exc).__name__}: {exc}"[:500]
                if exchange.status is None:
                    exchange.status = 500
            raise
        finally:
            if not recorded:
                exchange.error = exchange.error or "the response was not completed (client gone or connection dropped)"
            finish()
