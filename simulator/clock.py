"""Simulator time: the `Clock` protocol and the controllable clock every component reads.

The controllable clock runs with the wall clock plus an offset, or stands frozen at an instant.
Advancing moves either forward. Listeners (the scheduler) are woken on every change. The truth is the
`clock` row of the database (one clock for every instance): `simulator.services.control.clock` changes
the row and `apply`s what it returns; other instances `apply` it when told of the change.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, as the simulator sees them."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class ControllableClock:
    """Wall clock + offset, or frozen at an instant; advance, freeze and resume at run time."""

    def __init__(self, wall: Clock | None = None) -> None:
        self._wall = wall or SystemClock()
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at
        return self._wall.now() + self._offset

    def wall(self) -> float:
        """The wall clock under the simulator clock (what the shared clock row's offset is relative to)."""
        return self._wall.now()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: float | None = None) -> None:
        self._frozen_at = self.now() if at is None else at
        self._changed()

    def resume(self) -> None:
        if self._frozen_at is not None:
            self._offset = self._frozen_at - self._wall.now()
            self._frozen_at = None
        self._changed()

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds
        self._changed()

    def set(self, at: float) -> None:
        """Jump to `at` (forward or back), keeping the frozen/running mode."""
        if self._frozen_at is not None:
            self._frozen_at = at
        else:
            self._offset = at - self._wall.now()
        self._changed()

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def state(self) -> dict[str, Any]:
        return {"offset": self._offset, "frozenAt": self._frozen_at}

    def restore(self, state: dict[str, Any]) -> None:
        self._offset = float(state.get("offset") or 0.0)
        frozen = state.get("frozenAt")
        self._frozen_at = None if frozen is None else float(frozen)

    def apply(self, offset: float, frozen_at: float | None) -> None:
        """Take the state the database holds (the clock row shared by every instance) and wake listeners."""
        changed = (offset, frozen_at) != (self._offset, self._frozen_at)
        self._offset, self._frozen_at = offset, frozen_at
        if changed:
            self._changed()

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()


MAX_WAIT_SECONDS = 10 * 365 * 86_400
"""The longest any configured wait may be (a processing delay, a callback delay or retry wait, a URL or token
lifetime): ten years of simulator time. Larger values are refused where they are given."""
_LATEST = 253_402_300_799  # 9999-12-31T23:59:59Z, the last instant RFC 3339 can write


def iso(ts: float | None) -> str | None:
    """RFC 3339 UTC with a `Z`, second precision, as the vendor's examples write it.

    An instant outside years 1970..9999 (only reachable through a database written by hand) is written
    as the nearest one inside, never raised.
    """
    if ts is None:
        return None
    if not 0 <= ts <= _LATEST:  # also False for NaN
        ts = _LATEST if ts > 0 else 0
    return _iso_seconds(int(ts))


@functools.lru_cache(maxsize=4096)
def _iso_seconds(seconds: int) -> str:
    # Every status answer formats the same few instants: remember them.
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
