"""The partner's callback endpoint during the flow phase: the simulator's test receiver, on its own loop thread.

`settle` waits (with a timeout, no sleeping) until one callback per completed submission has arrived and
measures each one's latency: arrival (wall clock) minus the submission's `completed_at` (simulator
clock, which runs with the wall clock during the bench).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from simulator.testing_receiver import Receiver

SETTLE_SECONDS = 120.0


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


class CallbackSink:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="bench-callbacks", daemon=True)
        self.receiver = Receiver()

    @property
    def url(self) -> str:
        return self.receiver.url_for("/callback")

    def __enter__(self) -> CallbackSink:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.receiver.start(), self.loop).result(30)
        return self

    def __exit__(self, *exc: object | TracebackType | None) -> None:
        asyncio.run_coroutine_threadsafe(self.receiver.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def settle(
        self,
        database: Path,
        completed_at: Callable[[Path], dict[str, float]],
        awaiting: Callable[[Path], int] = lambda _database: 0,
    ) -> dict[str, Any]:
        """Callback figures once every submission confirmed has its verdict and every completed one's callback
        arrived (or SETTLE_SECONDS passed: the rest count as missing). The load has stopped by then, but
        verdicts may still be coming, so the expected count is read again until it holds still."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            if awaiting(database):
                time.sleep(0.2)  # the bench's own wait for the server's job runner (not a test)
                continue
            expected = len(completed_at(database))
            remaining = max(0.1, deadline - time.monotonic())
            future = asyncio.run_coroutine_threadsafe(self.receiver.wait_for(expected, remaining), self.loop)
            try:
                future.result(remaining + 10)
            except TimeoutError:
                break
            if len(completed_at(database)) == expected and not awaiting(database):
                break
        completed = completed_at(database)
        first: dict[str, float] = {}
        for request in list(self.receiver.requests):
            submission_id = str(request.json().get("submissionId"))
            first.setdefault(submission_id, request.received_at)
        latencies = [(first[s] - at) * 1000 for s, at in completed.items() if s in first]
        return {
            "received": len(self.receiver.requests),
            "missing": sum(1 for s in completed if s not in first),
            "awaitingVerdict": awaiting(database),
            "p50Ms": percentile(latencies, 50),
            "p99Ms": percentile(latencies, 99),
        }
