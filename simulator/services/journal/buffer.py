"""The request journal: every inbound vendor request and every outbound call, redacted and bounded.

The request path only appends to an in-memory buffer (`record`, `record_exchange`: O(1), never
blocks, never raises). A background task owned by the services turns buffered items into redacted
rows and writes them in batches (one transaction and one multi-row insert per batch), so redaction and
database work stay off the request path. Memory and disk stay flat: the buffer holds at most
`max_entries` items and at most `max_bytes` of captured headers and body excerpts (the oldest unwritten
item is dropped when the writer falls behind, counted in `dropped`), and the sink deletes rows older
than the newest `max_entries` after every batch (each row's bodies are excerpts of `excerpt_bytes`).
`flush()` writes everything recorded before it was called: readers call it first to see their own writes.
Identical consecutive status polls of a submission are written as one row counting them (`repeats`,
first and last time; see `journal_coalesce`), so the cap counts rows, not requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from simulator.services.journal.coalesce import Coalescer, Merge, Run

log = logging.getLogger("simulator.journal")

Direction = Literal["inbound", "outbound"]
DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # captured headers and body excerpts waiting for the writer
BATCH_SIZE = 2000


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request as the journal keeps it. Headers and bodies are excerpts, already redacted."""

    direction: Direction
    kind: str  # "vendor" | "storage" | "web" for inbound; "callback" | "reference" | "reference-endpoint" outbound
    at: float
    method: str
    url: str
    status: int | None
    latency_ms: float
    client_id: str | None = None
    partner_session_id: str | None = None
    session_key: str | None = None
    submission_id: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str | None = None
    response_body: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    request_size: int | None = None
    response_size: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Exchange:
    """An inbound request as captured on the request path: raw references, turned into an entry later."""

    at: float
    kind: str
    method: str
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    capture_bodies: bool
    request_chunks: list[bytes] = field(default_factory=list)
    request_size: int = 0
    status: int | None = None
    response_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    response_chunks: list[bytes] = field(default_factory=list)
    response_size: int = 0
    latency_ms: float = 0.0
    error: str | None = None


Row = tuple[Any, ...]


def _headers_size(headers: Any) -> int:
    if isinstance(headers, dict):
        return sum(len(name) + len(value) for name, value in headers.items())
    return sum(len(name) + len(value) for name, value in headers)


def size_of(item: JournalEntry | Exchange) -> int:
    """Bytes an item holds in the buffer: its headers and body excerpts (the rest is a few fixed fields)."""
    if isinstance(item, Exchange):
        chunks = sum(len(c) for c in item.request_chunks) + sum(len(c) for c in item.response_chunks)
        return 256 + chunks + _headers_size(item.headers) + _headers_size(item.response_headers)
    bodies = len(item.request_body or "") + len(item.response_body or "") + len(item.error or "")
    return 256 + len(item.url) + bodies + _headers_size(item.request_headers) + _headers_size(item.response_headers)


class JournalSink(Protocol):
    async def append(
        self, rows: Sequence[Row], cap: int, merges: Sequence[Merge] = ()
    ) -> tuple[list[int], dict[int, int]]:
        """In one transaction: add each merge's requests to its stored row (when that row is still the
        newest of its submission, else insert the merge's fallback row), store `rows`, then keep only the
        newest `cap` rows. Returns the ids of `rows` in order, and the fallback row id per `Merge.run`."""
        ...


Builder = Callable[[Exchange], Row]
Finisher = Callable[[JournalEntry], Row]
PREPARE_SLICE = 256


class Journal:
    """The bounded buffer in front of the journal table, and the task that drains it."""

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        sink: JournalSink | None = None,
        build: Builder | None = None,
        finish: Finisher | None = None,
        linger_seconds: float = 0.02,
        excerpt_bytes: int = 2048,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.excerpt_bytes = excerpt_bytes
        self._pending: deque[tuple[JournalEntry | Exchange, int]] = deque()
        self._pending_bytes = 0
        self._sink = sink
        self._build = build
        self._finish = finish
        self._linger = linger_seconds
        self._wake = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._coalescer = Coalescer()
        self.recorded = 0
        self.dropped = 0
        self.written = 0

    @property
    def coalesced(self) -> int:
        """Requests written as a repeat of an earlier row instead of a row of their own."""
        return self._coalescer.coalesced

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def pending_bytes(self) -> int:
        """Bytes of headers and excerpts the buffer holds (see `size_of`); at most `max_bytes`."""
        return self._pending_bytes

    def record(self, entry: JournalEntry) -> None:
        """Keep `entry`; never blocks and never raises on the request path."""
        self._append(entry)

    def record_exchange(self, exchange: Exchange) -> None:
        """Keep a captured inbound request; redaction and attribution happen when it is written."""
        self._append(exchange)

    def _append(self, item: JournalEntry | Exchange) -> None:
        size = size_of(item)
        self._pending.append((item, size))
        self._pending_bytes += size
        self.recorded += 1
        while len(self._pending) > self.max_entries or (self._pending_bytes > self.max_bytes and self._pending):
            self._pending_bytes -= self._pending.popleft()[1]
            self.dropped += 1
        if self._sink is not None and not self._wake.is_set():
            self._wake.set()

    async def flush(self) -> int:
        """Write everything recorded so far; how many entries (requests) this call wrote.

        Identical consecutive polls of a submission become one counted row (`journal_coalesce`).
        """
        if self._sink is None:
            return 0
        written = 0
        async with self._flush_lock:
            budget = len(self._pending)  # what was recorded before this call; later items are the writer's
            while budget and self._pending:
                batch: list[Row] = []
                touched: dict[int, Run] = {}
                entries = 0
                while budget and self._pending and len(batch) < BATCH_SIZE:
                    item, size = self._pending.popleft()
                    self._pending_bytes -= size
                    budget -= 1
                    try:
                        row = self._row(item)
                    except Exception:
                        self.dropped += 1
                        log.exception("journal entry could not be prepared")
                        continue
                    self._coalescer.add(row, batch, touched)
                    entries += 1
                    if entries % PREPARE_SLICE == 0:
                        await asyncio.sleep(0)  # let requests run between slices of a large batch
                merges = self._coalescer.prepare(batch, touched)
                try:
                    ids, fallbacks = await self._sink.append(batch, self.max_entries, merges)
                except Exception:
                    self.dropped += entries
                    self._coalescer.forget()
                    log.exception("journal batch could not be written", extra={"entries": entries})
                    continue
                self._coalescer.written(touched, ids, fallbacks)
                written += entries
        self.written += written
        return written

    def _row(self, item: JournalEntry | Exchange) -> Row:
        if isinstance(item, Exchange):
            if self._build is not None:
                return self._build(item)
        elif self._finish is not None:
            return self._finish(item)
        raise ValueError("the journal has no way to prepare this item")

    async def start(self) -> None:
        if self._task is None and self._sink is not None:
            self._task = asyncio.create_task(self._run(), name="onekyc-journal")

    async def stop(self) -> None:
        """Stop the writer task, then write what is still buffered."""
        if self._task is not None:
            async with self._flush_lock:  # never cancel a batch half-written
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if self._linger and len(self._pending) < BATCH_SIZE:
                # Let a batch build up under load: one transaction per batch, not per request.
                await asyncio.sleep(self._linger)
            self._wake.clear()
            await self.flush()
