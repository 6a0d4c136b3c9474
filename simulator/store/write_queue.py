"""The write queue of one instance: its single-writer lock, where the scheduler's work goes first.

SQLite has one writer, so every write transaction of an instance waits its turn on one lock
(`Repository.write`). Under load hundreds of requests wait there (each status poll of an IN_PROGRESS
submission counts itself with a write), and with a first-come lock the scheduler's writes (the claim of a
due job, a completion, a callback's attempt) waited behind all of them: a verdict due now came seconds
late, the SDK polled more, and the queue grew further. Writes made in an `urgent()` context (the
scheduler sets it for its claims and for the jobs it runs) are served before every ordinary waiter;
within each class, first come first served. On release the lock passes straight to the next waiter, so
no newcomer overtakes a waiter of its class.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar
from types import TracebackType

_URGENT: ContextVar[bool] = ContextVar("onekyc_urgent_writes", default=False)


@contextlib.contextmanager
def urgent() -> Iterator[None]:
    """Within this block (and in tasks created in it), this task's writes go before ordinary ones."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


def is_urgent() -> bool:
    """True in an `urgent()` context."""
    return _URGENT.get()


class WriteQueue:
    """An asyncio lock with two classes of waiters, urgent (see `urgent()`) before ordinary.

    Use as `async with queue: ...`. Not thread-safe (one event loop), like `asyncio.Lock`.
    """

    def __init__(self, share: int = 1) -> None:
        self._share = share
        self._urgent_turns = 0
        self._locked = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._ordinary: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        return self._locked

    def waiting(self) -> tuple[int, int]:
        """How many (urgent, ordinary) waiters there are."""
        return len(self._urgent), len(self._ordinary)

    async def acquire(self) -> None:
        """Wait for the lock: at once when free, else after every urgent waiter (and, if ordinary, every
        earlier ordinary one). A waiter cancelled once the lock was handed to it passes it on."""
        if not self._locked:
            self._locked = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if _URGENT.get() else self._ordinary
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()
            else:
                with contextlib.suppress(ValueError):
                    queue.remove(waiter)
            raise

    def release(self) -> None:
        """Hand the lock to the next waiter (urgent first), or free it. RuntimeError when not locked."""
        if not self._locked:
            raise RuntimeError("release of a write queue that is not locked")
        order = (self._ordinary, self._urgent) if self._urgent_turns >= self._share else (self._urgent, self._ordinary)
        for queue in order:
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    self._urgent_turns = self._urgent_turns + 1 if queue is self._urgent else 0
                    waiter.set_result(None)
                    return
        self._locked = False
        self._urgent_turns = 0

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
