"""A scriptable HTTP receiver for tests: plays a partner's callback endpoint or reference-image host.

It is a small ASGI app served by uvicorn on 127.0.0.1 in the running event loop. It records every
request, answers from a script, and lets a test wait for requests without sleeping::

    async with Receiver() as partner:
        partner.script(500, 500, 200)                 # answers in order, then the default (200)
        partner.route("/ref.jpg", Reply.image(jpeg))  # a fixed answer for one path
        ...
        [first] = await partner.wait_for(1)           # TimeoutError if none comes within 5 s
        assert first.json()["status"] == "COMPLETED"

Which answer a request gets: the reply routed to its exact path, else the next scripted one, else
`default`. `Reply(hold=event)` answers only once the event is set (to make a caller time out); every
held reply is released when the receiver stops. `stop()` then `start()` takes the receiver down and
up again on the same port (connections are refused while it is down).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class Reply:
    """One scripted answer. `repeat` > 1 streams `body` that many times, chunked (no Content-Length)."""

    status: int = 200
    body: bytes = b'{"status":"ok"}'
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    repeat: int = 1
    hold: asyncio.Event | None = None

    @classmethod
    def image(cls, data: bytes, content_type: str = "image/jpeg") -> Reply:
        return cls(200, data, content_type)

    @classmethod
    def html(cls, text: str = "<html><body>Not found</body></html>", status: int = 200) -> Reply:
        return cls(status, text.encode(), "text/html; charset=utf-8")

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, b"", "text/plain", (("location", location),))


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as the receiver saw it; header names are lower-case."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    received_at: float = field(default_factory=time.time)
    """Wall-clock time of arrival (the benchmark measures callback latency with it)."""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    host: str = "127.0.0.1"
    port: int = 0
    default: Reply = field(default_factory=Reply)
    requests: list[ReceivedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue: deque[Reply] = deque()
        self._routes: dict[str, Reply] = {}
        self._holds: list[asyncio.Event] = []
        self._arrived = asyncio.Condition()
        self._server: uvicorn.Server | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:54321 (known once started, and kept across restarts)."""
        return f"http://{self.host}:{self.port}"

    def url_for(self, path: str) -> str:
        return f"{self.url}{path}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def script(self, *replies: Reply | int) -> None:
        """Queue answers (a status code stands for `Reply(status)`), used in order by the next requests."""
        self._queue.extend(Reply(r) if isinstance(r, int) else r for r in replies)

    def route(self, path: str, reply: Reply) -> None:
        """Answer every request for `path` with `reply`."""
        self._routes[path] = reply

    def hold(self) -> Reply:
        """A reply that stays unanswered until the receiver stops: script it to make callers time out."""
        event = asyncio.Event()
        self._holds.append(event)
        return Reply(hold=event)

    async def wait_for(self, count: int, within: float = 5.0) -> list[ReceivedRequest]:
        """The first `count` requests, once they have arrived; TimeoutError if not `within` seconds."""
        try:
            async with asyncio.timeout(within), self._arrived:
                await self._arrived.wait_for(lambda: len(self.requests) >= count)
        except TimeoutError:
            seen = [f"{r.method} {r.path}" for r in self.requests]
            raise TimeoutError(f"expected {count} request(s) within {within} s, got {len(seen)}: {seen}") from None
        return self.requests[:count]

    async def start(self) -> None:
        """Listen (on `port`, or a free one the first time); requests are accepted from now on."""
        if self._server is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app, interface="asgi3", lifespan="off", log_config=None, proxy_headers=False, access_log=False
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[sock])
        self._server = server

    async def stop(self) -> None:
        """Release held replies and stop listening; the port refuses connections until `start()`."""
        for event in self._holds:
            event.set()
        server, self._server = self._server, None
        if server is None:
            return
        # uvicorn's own shutdown() pauses a fixed 0.1 s; close listeners and connections, then await requests.
        for listener in server.servers:
            listener.close()
        for connection in list(server.server_state.connections):
            connection.shutdown()
        if server.server_state.tasks:
            await asyncio.wait(list(server.server_state.tasks), timeout=5.0)
        for listener in server.servers:
            await listener.wait_closed()

    async def __aenter__(self) -> Receiver:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _reply_for(self, path: str) -> Reply:
        if path in self._routes:
            return self._routes[path]
        if self._queue:
            return self._queue.popleft()
        return self.default

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode()
        request = ReceivedRequest(scope["method"], scope["path"], query, headers, b"".join(chunks))
        reply = self._reply_for(request.path)
        async with self._arrived:
            self.requests.append(request)
            self._arrived.notify_all()
        if reply.hold is not None:
            await reply.hold.wait()
        await _send(reply, send)


async def _send(reply: Reply, send: Send) -> None:
    headers = [(b"content-type", reply.content_type.encode())]
    headers += [(k.encode(), v.encode()) for k, v in reply.headers]
    if reply.repeat <= 1:
        headers.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    for n in range(max(1, reply.repeat)):
        await send({"type": "http.response.body", "body": reply.body, "more_body": n < reply.repeat - 1})
