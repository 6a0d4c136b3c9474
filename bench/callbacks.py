"""The partner's callback endpoint during the flow phase: the simulator's test receiver, on its own loop thread.

`settle` waits (with a timeout, no sleeping) until one callback per completed submission has arrived and
measures each one's latency: arrival (wall clock) minus the submission's `completed_at` (simulator
clock, which runs with the wall clock during the bench).
"""

from __future__ import annotations

import asyncio
import math
import threading
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

    def settle(self, database: Path, completed_at: Callable[[Path], dict[str, float]]) -> dict[str, Any]:
        """Callback figures once every completed submission's callback arrived (or SETTLE_SECONDS passed)."""
        expected = len(completed_at(database))
        try:
            future = asyncio.run_coroutine_threadsafe(self.receiver.wait_for(expected, SETTLE_SECONDS), self.loop)
            future.result(SETTLE_SECONDS + 10)
        except TimeoutError:
            pass
        completed = completed_at(database)
        first: dict[str, float] = {}
        for request in list(self.receiver.requests):
            submission_id = str(request.json().get("submissionId"))
            first.setdefault(submission_id, request.received_at)
        latencies = [(first[s] - at) * 1000 for s, at in completed.items() if s in first]
        return {
            "received": len(self.receiver.requests),
            "missing": sum(1 for s in completed if s not in first),
            "p50Ms": percentile(latencies, 50),
            "p99Ms": percentile(latencies, 99),
        }
