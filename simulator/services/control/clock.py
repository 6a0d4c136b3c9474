"""The simulator clock as every instance shares it: each change is one atomic update of the clock row.

The in-process `ControllableClock` only mirrors the row: a change here updates the row, applies the
row as the database returns it, and tells the other instances (`clock` notification with the state),
which apply it too. Twenty concurrent advances over several instances add up to the sum of them.
`advance_and_settle` and `set_and_settle` are the `/_sim/clock` moves: they answer only once every job the
move made due has run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from simulator.clock import iso
from simulator.errors import SimBadRequest
from simulator.services.context import Services
from simulator.store import shared
from simulator.store.changes import publish

CLOCK_MAX = 64060588800.0  # 4000-01-01T00:00:00Z: room for token lifetimes and retries after any clock move


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


async def _settle(svc: Services, before: int) -> int:
    """Wait until every job the clock made due has finished, on whichever instance runs it; how many
    jobs this instance ran since `before` (its loop may have taken some)."""
    if svc.scheduler is None:
        return 0
    await svc.scheduler.settle(svc.coherence, within=2 * svc.settings.job_lease_seconds + 30)
    return svc.scheduler.jobs_run - before


async def advance_and_settle(svc: Services, seconds: float) -> int:
    """Move the shared clock `seconds` forward, then wait for every job that became due; the number of jobs
    this instance ran meanwhile. Raises 400 `SIM_400` when the clock would pass `CLOCK_MAX`."""
    if svc.clock.now() + seconds > CLOCK_MAX:
        raise SimBadRequest(f"`seconds`: the clock cannot go past {iso(CLOCK_MAX)}.")
    before = svc.scheduler.jobs_run if svc.scheduler else 0
    await advance(svc, seconds)
    return await _settle(svc, before)


async def set_and_settle(svc: Services, at: float) -> int:
    """Jump the shared clock to `at` (epoch seconds), then wait as `advance_and_settle` does."""
    before = svc.scheduler.jobs_run if svc.scheduler else 0
    await set_to(svc, at)
    return await _settle(svc, before)
