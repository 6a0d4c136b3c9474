"""The simulator clock as every instance shares it: each change is one atomic update of the clock row.

The in-process `ControllableClock` only mirrors the row: a change here updates the row, applies the
row as the database returns it, and tells the other instances (`clock` notification with the state),
which apply it too. Twenty concurrent advances over several instances add up to the sum of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from simulator.services.container import Services
from simulator.store import shared
from simulator.store.changes import publish


def clock_payload(state: shared.ClockState) -> str:
    offset, frozen = state
    return f"{offset!r} {'-' if frozen is None else repr(frozen)}"


def parse_clock_payload(key: str) -> shared.ClockState:
    offset, _, frozen = key.partition(" ")
    return float(offset), None if frozen == "-" else float(frozen)


async def _change(svc: Services, change: Callable[[AsyncConnection], Awaitable[shared.ClockState]]) -> None:
    async with svc.repo.write() as conn:
        state = await change(conn)
        await publish(conn, svc.repo.instance_id, "clock", clock_payload(state))
    svc.clock.apply(*state)


async def advance(svc: Services, seconds: float) -> None:
    """Move the shared clock forward by `seconds` (>= 0)."""
    await _change(svc, lambda conn: shared.advance_clock(conn, seconds))


async def freeze(svc: Services, at: float | None) -> None:
    """Stop the shared clock at `at` (epoch seconds), or where it is now."""
    await _change(svc, lambda conn: shared.freeze_clock(conn, at, svc.clock.wall()))


async def resume(svc: Services) -> None:
    """Let the shared clock run again from where it stands."""
    await _change(svc, lambda conn: shared.resume_clock(conn, svc.clock.wall()))


async def set_to(svc: Services, at: float) -> None:
    """Jump the shared clock to `at`, keeping it frozen or running."""
    await _change(svc, lambda conn: shared.set_clock(conn, at, svc.clock.wall()))


async def reload(svc: Services) -> None:
    """Apply the clock row as it is now (after a missed notification)."""
    async with svc.repo.engine.connect() as conn:
        state = await shared.load_clock(conn)
    svc.clock.apply(*state)
